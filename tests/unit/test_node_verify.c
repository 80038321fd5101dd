/*
 * The verification budget end to end (overlay/verifysched.h inside a real node): a flooding
 * peer spends its own group's share, not an honest peer's, and is not penalised for what it
 * cannot know; what was dropped over budget still arrives later.
 */
#include "harness.h"
#include "node_harness.h"

enum { V = 0, F = 1, H = 2 };
#define FLOOD 300

/* 50 checks a second: the victim's budget is small enough for one flooder to exhaust. */
static void small_budget(struct hs_node_config *cfg)
{
	cfg->verifies_per_s = 50;
}

static void test_flooder_does_not_starve_honest(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", small_budget); /* V */
	tn_add(&net, "test", NULL);         /* F, in 10.2.0.0/16 */
	tn_add(&net, "test", NULL);         /* H, in 10.3.0.0/16 */
	tn_connect(&net, F, V);
	tn_connect(&net, H, V);
	uint8_t id[HS_ID_LEN];
	char msg[32];
	for (int i = 0; i < FLOOD; i++) {
		snprintf(msg, sizeof(msg), "flood %d", i);
		CHECK_EQ(hs_node_publish(net.n[F].node, id, "t", (const uint8_t *)msg, strlen(msg),
		                         net.now),
		         0);
	}
	tn_pump(&net);
	unsigned flooded = net.n[V].deliveries;
	CHECK(flooded < FLOOD); /* the flood met the budget */
	const char *honest = "honest";
	CHECK_EQ(hs_node_publish(net.n[H].node, id, "t", (const uint8_t *)honest, strlen(honest),
	                         net.now),
	         0);
	tn_pump(&net);
	/* No time has passed, yet the honest rumor is verified and delivered at once. */
	CHECK_EQ(net.n[V].deliveries, flooded + 1);
	CHECK_MEM(net.n[V].last_rumor_id, id, HS_ID_LEN);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[V].node, &st);
	CHECK_EQ(st.verify_admitted, flooded + 1);
	CHECK(st.verify_over_group_share > 0);
	CHECK_EQ(st.sig_failures, 0);
	/* Over budget is no fault: nobody is charged, nobody is closed. */
	CHECK_EQ(net.n[V].faults, 0);
	CHECK_EQ(net.n[V].closes, 0);
	struct hs_peer_info info[4];
	CHECK_EQ(hs_node_peers(net.n[V].node, info, 4), 2);
	CHECK(info[0].faults == 0 && info[1].faults == 0);
	/* Dropped, not lost: the ids were not remembered, so pulls bring the rest in as the
	 * budget refills. */
	tn_advance(&net, 120 * HS_NS_PER_S);
	CHECK_EQ(net.n[V].deliveries, FLOOD + 1);
	CHECK_EQ(net.n[V].faults, 0);
	tn_free(&net);
}

/* Four flooders in one /16 share one group's burst between them; the honest peer in another
 * /16 is still checked at once. */
static void test_sybil_group_gets_one_share(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", small_budget); /* V */
	for (int i = 0; i < 4; i++) {
		struct tnode *t = tn_add(&net, "test", NULL);
		t->addr = hs_netaddr_ipv4(10, 99, 0, (uint8_t)(1 + i), 7000); /* one /16 */
	}
	tn_add(&net, "test", NULL); /* the honest peer: index 5, in 10.6.0.0/16 */
	for (int i = 1; i <= 5; i++)
		tn_connect(&net, i, V);
	uint8_t id[HS_ID_LEN];
	char msg[32];
	for (int i = 1; i <= 4; i++)
		for (int k = 0; k < 100; k++) {
			snprintf(msg, sizeof(msg), "sybil %d %d", i, k);
			CHECK_EQ(hs_node_publish(net.n[i].node, id, "t", (const uint8_t *)msg,
			                         strlen(msg), net.now),
			         0);
		}
	tn_pump(&net);
	/* One group's burst in all: verifies_per_s 50 gives a burst of 50. */
	CHECK(net.n[V].deliveries > 0 && net.n[V].deliveries <= 50);
	unsigned before = net.n[V].deliveries;
	CHECK_EQ(hs_node_publish(net.n[5].node, id, "t", (const uint8_t *)"honest", 6, net.now), 0);
	tn_pump(&net);
	CHECK_EQ(net.n[V].deliveries, before + 1);
	CHECK_MEM(net.n[V].last_rumor_id, id, HS_ID_LEN);
	CHECK_EQ(net.n[V].faults, 0);
	CHECK_EQ(net.n[V].closes, 0);
	tn_free(&net);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_flooder_does_not_starve_honest);
	RUN(test_sybil_group_gets_one_share);
	return hs_test_done();
}

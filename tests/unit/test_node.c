/*
 * The protocol core end to end, in process: real keys, Noise, signatures and codecs, joined by
 * in-memory links (tests/node_harness.h).
 */
#include "harness.h"
#include "hearsay/msg.h"
#include "node_harness.h"

static void test_two_nodes_deliver(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	tn_add(&net, "test", NULL);
	tn_connect(&net, 0, 1);
	CHECK_EQ(net.n[0].ups, 1);
	CHECK_EQ(net.n[1].ups, 1);
	struct hs_peer_info info[4];
	CHECK_EQ(hs_node_peers(net.n[0].node, info, 4), 1);
	CHECK(info[0].active);
	CHECK_MEM(info[0].id, hs_identity_pubkey(net.n[1].id), 32);
	CHECK(info[0].rtt_ns == 0); /* in-memory links take no time */

	uint8_t id[HS_ID_LEN];
	const char *msg = "hello, hearsay";
	CHECK_EQ(
	        hs_node_publish(net.n[0].node, id, "t", (const uint8_t *)msg, strlen(msg), net.now),
	        0);
	tn_pump(&net);
	CHECK_EQ(net.n[0].deliveries, 1); /* our own rumor is delivered too */
	CHECK_EQ(net.n[1].deliveries, 1);
	CHECK_MEM(net.n[1].last_rumor_id, id, HS_ID_LEN);
	CHECK(strcmp(net.n[1].last_payload, msg) == 0);
	const uint8_t *enc;
	size_t enclen;
	CHECK_EQ(hs_node_get_rumor(net.n[1].node, id, &enc, &enclen), 0);
	tn_free(&net);
}

/* A - B - C in a line: C gets A's rumor through B, once. */
static void test_line_relay(void)
{
	struct tnet net = { .now = TN_T0 };
	for (int i = 0; i < 3; i++)
		tn_add(&net, "test", NULL);
	tn_connect(&net, 0, 1);
	tn_connect(&net, 1, 2);
	uint8_t id[HS_ID_LEN];
	CHECK_EQ(hs_node_publish(net.n[0].node, id, "t", (const uint8_t *)"x", 1, net.now), 0);
	tn_pump(&net);
	CHECK_EQ(net.n[1].deliveries, 1);
	CHECK_EQ(net.n[2].deliveries, 1);
	CHECK_MEM(net.n[2].last_rumor_id, id, HS_ID_LEN);
	tn_free(&net);
}

static void no_eager(struct hs_node_config *cfg)
{
	cfg->eager_push = 0;
}

/* With eager push off, the rumor moves by inv / getdata only; a triangle delivers once. */
static void test_inv_getdata_triangle(void)
{
	struct tnet net = { .now = TN_T0 };
	for (int i = 0; i < 3; i++)
		tn_add(&net, "test", no_eager);
	tn_connect(&net, 0, 1);
	tn_connect(&net, 1, 2);
	tn_connect(&net, 0, 2);
	uint8_t id[HS_ID_LEN];
	CHECK_EQ(hs_node_publish(net.n[0].node, id, "t", (const uint8_t *)"y", 1, net.now), 0);
	tn_pump(&net);
	CHECK_EQ(net.n[1].deliveries, 1);
	CHECK_EQ(net.n[2].deliveries, 1);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[1].node, &st);
	CHECK_EQ(st.payload_copies_in, 1); /* requested once, from the first announcer */
	CHECK(st.msgs_in[HS_MSG_INV] >= 1);
	CHECK(st.requests_sent >= 1);
	tn_free(&net);
}

static void other_network(struct hs_node_config *cfg)
{
	cfg->network = "other";
}

static void test_other_network_refused(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	tn_add(&net, "other", other_network);
	tn_connect(&net, 0, 1);
	CHECK_EQ(net.n[0].ups, 0);
	CHECK_EQ(net.n[1].ups, 0);
	CHECK_EQ(net.n[1].last_reason, HS_REASON_NETWORK);
	CHECK_EQ(net.n[1].faults, 0); /* another network is not misbehaviour */
	tn_free(&net);
}

/* Garbage after the handshake: a provable fault, the session closes, the node lives on. */
static void test_garbage_frame_closes(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	tn_add(&net, "test", NULL);
	struct tlink *l = tn_connect(&net, 0, 1);
	uint8_t junk[40] = { 38, 0 };
	for (int i = 2; i < 40; i++)
		junk[i] = (uint8_t)i;
	CHECK_EQ(hs_node_recv(net.n[1].node, l->pb, junk, sizeof(junk), net.now), 0);
	tn_events(&net, 1);
	CHECK_EQ(net.n[1].faults, 1);
	CHECK_EQ(net.n[1].closes, 1);
	CHECK(l->closed);
	tn_free(&net);
}

/* A handshake message longer than any real one is refused before it is buffered. */
static void test_oversize_handshake_frame(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	uint64_t h;
	struct hs_netaddr a = hs_netaddr_ipv4(1, 2, 3, 4, 5);
	CHECK_EQ(hs_node_peer_open(net.n[0].node, &h, true, &a, net.now), 0);
	uint8_t hdr[2] = { 0xff, 0xff };
	CHECK_EQ(hs_node_recv(net.n[0].node, h, hdr, 2, net.now), 0);
	struct hs_event ev;
	bool closed = false, fault = false;
	while (hs_node_poll_event(net.n[0].node, &ev)) {
		closed |= ev.type == HS_EV_CLOSE;
		fault |= ev.type == HS_EV_FAULT;
	}
	CHECK(closed);
	CHECK(fault);
	tn_free(&net);
}

/* A node that joins late catches up through pull. */
static void test_pull_catch_up(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	tn_add(&net, "test", NULL);
	uint8_t id[HS_ID_LEN];
	for (int i = 0; i < 5; i++)
		CHECK_EQ(hs_node_publish(net.n[0].node, id, "t", (const uint8_t *)"z", 1, net.now),
		         0);
	tn_advance(&net, HS_NS_PER_S);
	tn_connect(&net, 1, 0); /* node 1 dials: its catch-up pull asks node 0 */
	tn_pump(&net);
	CHECK_EQ(net.n[1].deliveries, 5);
	tn_free(&net);
}

/* Pings measure nothing in zero time, but keep sessions alive past the idle timeout. */
static void test_idle_and_ping(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	tn_add(&net, "test", NULL);
	struct tlink *l = tn_connect(&net, 0, 1);
	tn_advance(&net, 300 * HS_NS_PER_S);
	CHECK(!l->closed);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[0].node, &st);
	CHECK(st.msgs_out[HS_MSG_PING] >= 9);
	CHECK(st.msgs_in[HS_MSG_PONG] >= 9);
	tn_free(&net);
}

/* State set on one node reaches the others (inv / getdata), newer versions replace older,
 * tombstones delete, and a node that joins later catches up through digest sync. */
static void test_state_spreads_and_syncs(void)
{
	struct tnet net = { .now = TN_T0 };
	for (int i = 0; i < 4; i++)
		tn_add(&net, "test", NULL);
	tn_connect(&net, 0, 1);
	tn_connect(&net, 1, 2);
	const uint8_t *origin = hs_identity_pubkey(net.n[0].id);
	uint8_t id[HS_ID_LEN];
	CHECK_EQ(hs_node_set_state(net.n[0].node, "height", (const uint8_t *)"41", 2, id, net.now),
	         0);
	tn_pump(&net);
	struct hs_entry e;
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(hs_node_get_state(net.n[i].node, origin, "height", &e), 0);
		CHECK(e.value_len == 2 && memcmp(e.value, "41", 2) == 0);
	}
	CHECK_EQ(hs_node_set_state(net.n[0].node, "height", (const uint8_t *)"42", 2, id, net.now),
	         0);
	CHECK_EQ(hs_node_set_state(net.n[0].node, "tip", (const uint8_t *)"abc", 3, NULL, net.now),
	         0);
	CHECK_EQ(hs_node_del_state(net.n[0].node, "tip", NULL, net.now), 0);
	tn_pump(&net);
	CHECK_EQ(hs_node_get_state(net.n[2].node, origin, "height", &e), 0);
	CHECK(e.value_len == 2 && memcmp(e.value, "42", 2) == 0);
	CHECK_EQ(e.version, 2);
	CHECK_EQ(hs_node_get_state(net.n[2].node, origin, "tip", &e), 0);
	CHECK_EQ(e.kind, HS_ENTRY_TOMBSTONE);
	/* Node 3 joins late: its catch-up sync brings everything. */
	tn_connect(&net, 3, 2);
	tn_pump(&net);
	CHECK_EQ(hs_node_get_state(net.n[3].node, origin, "height", &e), 0);
	CHECK(e.value_len == 2 && memcmp(e.value, "42", 2) == 0);
	CHECK_EQ(hs_node_get_state(net.n[3].node, origin, "tip", &e), 0);
	/* Bad keys and oversize values are refused. */
	CHECK_EQ(hs_node_set_state(net.n[0].node, "has space", (const uint8_t *)"x", 1, NULL,
	                           net.now),
	         HS_ERR_INVALID);
	static uint8_t big[HS_STATE_VALUE_MAX + 1];
	CHECK_EQ(hs_node_set_state(net.n[0].node, "big", big, sizeof(big), NULL, net.now),
	         HS_ERR_INVALID);
	CHECK_EQ(hs_node_equivocations(net.n[1].node), 0);
	tn_free(&net);
}

static void small_inbound(struct hs_node_config *cfg)
{
	cfg->peers_max = 4;
	cfg->outbound_target = 0;
}

/* A full node evicts an inbound session to take a new one: never one of the longest
 * standing, preferring the network group that holds the most sessions. */
static void test_inbound_eviction(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", small_inbound);
	for (int i = 1; i <= 5; i++)
		tn_add(&net, "test", NULL);
	/* Nodes 3 and 4 share a network group (10.50/16); the others have their own. */
	net.n[3].addr = hs_netaddr_ipv4(10, 50, 0, 3, 7000);
	net.n[4].addr = hs_netaddr_ipv4(10, 50, 0, 4, 7000);
	struct tlink *l[6];
	for (int i = 1; i <= 4; i++) {
		l[i] = tn_connect(&net, i, 0);
		tn_advance(&net, HS_NS_PER_S); /* distinct connection ages */
	}
	CHECK_EQ(hs_node_peers(net.n[0].node, NULL, 0), 4);
	l[5] = tn_connect(&net, 5, 0);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.evictions, 1);
	CHECK(!l[5]->closed);                  /* the newcomer got in */
	CHECK(!l[1]->closed && !l[2]->closed); /* the two longest standing are protected */
	CHECK(l[4]->closed);                   /* the youngest of the crowded group went */
	CHECK(!l[3]->closed);
	CHECK_EQ(net.n[4].last_reason, HS_REASON_EVICTED);
	tn_free(&net);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_two_nodes_deliver);
	RUN(test_line_relay);
	RUN(test_inv_getdata_triangle);
	RUN(test_other_network_refused);
	RUN(test_garbage_frame_closes);
	RUN(test_oversize_handshake_frame);
	RUN(test_pull_catch_up);
	RUN(test_idle_and_ping);
	RUN(test_state_spreads_and_syncs);
	RUN(test_inbound_eviction);
	return hs_test_done();
}

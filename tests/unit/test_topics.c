/*
 * Topic coverage (overlay/topics.c) end to end: a node that takes only some topics dials
 * beyond outbound_target until each of its topics has HS_TOPIC_PEERS_MIN sessions with peers
 * that take it, so a peer taking fewer topics cannot cut it off, and it trims the extras it
 * does not need. The in-memory network of tests/node_harness.h, plus dialling (its event
 * hook): an HS_EV_DIAL for a node's address connects to that node.
 */
#include "base/limits.h"
#include "harness.h"
#include "node_harness.h"

/* ---- a network that dials ---------------------------------------------------------------- */

/* Opens a link for a dial from a to b, reusing closed links (sessions churn here). */
static bool tt_open(struct tnet *net, int a, int b)
{
	struct tlink *l = NULL;
	for (size_t i = 0; i < TN_LINKS && !l; i++)
		if (!net->links[i].used || net->links[i].closed)
			l = &net->links[i];
	REQUIRE(l != NULL);
	struct tlink nl = { .used = true, .a = a, .b = b };
	if (hs_node_peer_open(net->n[b].node, &nl.pb, true, &net->n[a].addr, net->now) != 0)
		return false;
	if (hs_node_peer_open(net->n[a].node, &nl.pa, false, &net->n[b].addr, net->now) != 0) {
		hs_node_peer_closed(net->n[b].node, nl.pb, net->now);
		return false;
	}
	*l = nl;
	return true;
}

/* The harness's event hook: an HS_EV_DIAL for a node's address connects to that node. */
static void tt_event(struct tnet *net, int i, const struct hs_event *ev)
{
	if (ev->type != HS_EV_DIAL)
		return;
	int to = -1;
	for (size_t j = 0; j < net->count; j++)
		if (hs_netaddr_equal(&net->n[j].addr, &ev->addr))
			to = (int)j;
	struct hs_netaddr a = ev->addr;
	if (to < 0 || to == i || !tt_open(net, i, to))
		hs_node_dial_failed(net->n[i].node, &a, net->now);
}

/* Outbound sessions of node i (dialled by it, active or not). */
static size_t outbound(struct tnet *net, int i)
{
	struct hs_peer_info info[HS_PEERS_MAX];
	size_t n = hs_node_peers(net->n[i].node, info, HS_PEERS_MAX), out = 0;
	for (size_t k = 0; k < n; k++)
		out += !info[k].inbound;
	return out;
}

static size_t outbound_max_seen[TN_MAX];

/* After every step: the most outbound sessions each node ever had. */
static void tt_step(struct tnet *net)
{
	for (size_t i = 0; i < net->count; i++) {
		size_t o = outbound(net, (int)i);
		if (o > outbound_max_seen[i])
			outbound_max_seen[i] = o;
	}
}

/* ---- configurations ------------------------------------------------------------------------ */

static void base(struct hs_node_config *cfg)
{
	cfg->outbound_target = 1;
	cfg->feeler_interval_ns = 0; /* no feelers or rotation: only the topic rule adds sessions */
	cfg->rotate_interval_ns = 0;
}

static void takes_tx(struct hs_node_config *cfg)
{
	base(cfg);
	cfg->all_topics = false;
	cfg->ntopics = 1;
	cfg->topics[0] = "tx";
}

static void takes_blocks(struct hs_node_config *cfg)
{
	base(cfg);
	cfg->all_topics = false;
	cfg->ntopics = 1;
	cfg->topics[0] = "blocks";
}

static void takes_both(struct hs_node_config *cfg)
{
	base(cfg);
	cfg->all_topics = false;
	cfg->ntopics = 2;
	cfg->topics[0] = "blocks";
	cfg->topics[1] = "tx";
}

static void takes_rare(struct hs_node_config *cfg)
{
	base(cfg);
	cfg->all_topics = false;
	cfg->ntopics = 1;
	cfg->topics[0] = "rare";
}

/* ---- tests ------------------------------------------------------------------------------------
 */

enum { A, C, D, E, F, G, X };

/* A - C - D where C takes only `blocks`: D still gets A's `tx` rumors, because it dials extra
 * sessions to the `tx` takers it learns of from C (A, E, F, G). */
static void test_subset_peer_does_not_cut(void)
{
	struct tnet net = { .now = TN_T0, .on_event = tt_event, .on_step = tt_step };
	memset(outbound_max_seen, 0, sizeof(outbound_max_seen));
	tn_add(&net, "test", takes_both);   /* A */
	tn_add(&net, "test", takes_blocks); /* C */
	tn_add(&net, "test", takes_tx);     /* D */
	tn_add(&net, "test", takes_tx);     /* E */
	tn_add(&net, "test", takes_tx);     /* F */
	tn_add(&net, "test", base);         /* G: every topic */
	tn_connect(&net, A, C);
	tn_connect(&net, E, C);
	tn_connect(&net, F, C);
	tn_connect(&net, G, C);
	tn_connect(&net, D, C); /* D's getaddr brings it A, E, F and G */
	/* (tn_connect runs no timers, so nobody dials during the wiring.) */

	/* In zero time nothing has been dialled: D hangs off C alone and hears nothing. */
	uint8_t id[HS_ID_LEN];
	CHECK_EQ(hs_node_publish(net.n[A].node, id, "tx", (const uint8_t *)"t1", 2, net.now), 0);
	tn_pump(&net);
	CHECK_EQ(net.n[C].deliveries, 0);
	CHECK_EQ(net.n[D].deliveries, 0);

	tn_advance(&net, 5 * 60 * HS_NS_PER_S);
	CHECK_EQ(hs_node_publish(net.n[A].node, id, "tx", (const uint8_t *)"t2", 2, net.now), 0);
	tn_advance(&net, 10 * HS_NS_PER_S);
	/* The new rumor, and the old one by catch-up pull on the new sessions. */
	CHECK_EQ(net.n[D].deliveries, 2);
	CHECK_MEM(net.n[D].last_rumor_id, id, HS_ID_LEN);
	CHECK_EQ(net.n[E].deliveries, 2);
	CHECK_EQ(net.n[F].deliveries, 2);
	CHECK(net.n[G].deliveries >= 1);  /* G takes all, and is reached once a tx taker dials it */
	CHECK_EQ(net.n[C].deliveries, 0); /* C still takes only `blocks` */

	struct hs_node_stats st;
	hs_node_get_stats(net.n[D].node, &st);
	/* D dialled beyond its outbound target while tx was short, and never past the cap; E and
	 * F, as short of tx as D, dialled too, so D may since have trimmed extras it no longer
	 * needs. C, its base session, stays although it serves none of its topics. */
	CHECK(outbound_max_seen[D] >= 2);
	CHECK(outbound_max_seen[D] <= 1 + HS_TOPIC_EXTRA_OUTBOUND_MAX);
	CHECK(st.dials >= 1);
	CHECK(outbound(&net, D) >= 1);

	/* E and F dial D: tx has more takers than it needs, so D ends with no more outbound
	 * sessions than its target plus what tx still needs, never below its target. */
	tn_connect(&net, E, D);
	tn_connect(&net, F, D);
	tn_advance(&net, 5 * 60 * HS_NS_PER_S);
	CHECK(outbound(&net, D) >= 1); /* never below outbound_target */
	CHECK(outbound(&net, D) <= 1 + HS_TOPIC_PEERS_MIN);
	CHECK_EQ(hs_node_publish(net.n[A].node, id, "tx", (const uint8_t *)"t3", 2, net.now), 0);
	tn_advance(&net, 10 * HS_NS_PER_S);
	CHECK_EQ(net.n[D].deliveries, 3);
	CHECK_EQ(net.n[C].deliveries, 0);
	/* A node that takes every topic needs nothing beyond outbound_target. */
	hs_node_get_stats(net.n[G].node, &st);
	CHECK_EQ(st.dials, 0);
	CHECK_EQ(st.topic_closes, 0);
	CHECK_EQ(outbound_max_seen[G], 1);
	for (size_t i = 0; i < net.count; i++)
		CHECK_EQ(net.n[i].faults, 0);
	tn_free(&net);
}

/* A topic nobody reachable takes: the node keeps trying, within the extra cap and at the
 * churn bound of HS_TOPIC_EXTRA_OUTBOUND_MAX dials per HS_TOPIC_TRY_S, and never drops below
 * outbound_target. */
static void test_unserved_topic_churn_bounded(void)
{
	struct tnet net = { .now = TN_T0, .on_event = tt_event, .on_step = tt_step };
	memset(outbound_max_seen, 0, sizeof(outbound_max_seen));
	for (int i = 0; i < X; i++)
		tn_add(&net, "test", i == C ? takes_blocks : takes_tx);
	tn_add(&net, "test", takes_rare); /* X */
	for (int i = 0; i < X; i++)
		if (i != C)
			tn_connect(&net, i, C);
	tn_connect(&net, X, C);
	const uint64_t minutes = 10;
	tn_advance(&net, minutes * 60 * HS_NS_PER_S);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[X].node, &st);
	CHECK(st.dials >= 1); /* it tried */
	CHECK(st.dials <= HS_TOPIC_EXTRA_OUTBOUND_MAX * (1 + minutes * 60 / HS_TOPIC_TRY_S));
	CHECK(st.topic_closes <= st.dials);
	CHECK(outbound_max_seen[X] <= 1 + HS_TOPIC_EXTRA_OUTBOUND_MAX);
	CHECK(outbound(&net, X) >= 1);
	for (size_t i = 0; i < net.count; i++)
		CHECK_EQ(net.n[i].faults, 0);
	tn_free(&net);
}

int main(void)
{
	RUN(test_subset_peer_does_not_cut);
	RUN(test_unserved_topic_churn_bounded);
	return hs_test_done();
}

/*
 * Membership through the real core (overlay/membership.c): heartbeats spread as state entries
 * and fill every node's members table; a node that falls silent is suspect after
 * suspect_heartbeats intervals and dead after dead_heartbeats; a signed leave makes it left
 * everywhere at once; a joiner learns the members by anti-entropy; applications cannot write
 * hearsay's reserved keys; heartbeats are not saved and are not reported as state changes.
 */
#include <string.h>

#include "harness.h"
#include "node_harness.h"
#include "overlay/msg.h"

#define IV (10 * HS_NS_PER_S) /* the default heartbeat interval */

struct seen_ev {
	unsigned count[7];        /* member events by change */
	uint64_t at[7];           /* when the last of each came */
	unsigned state_events;    /* HS_EV_STATE for heartbeats: must stay 0 */
	uint64_t longest_suspect; /* the longest suspect -> alive episode */
	unsigned heartbeat_saves;
};

static struct seen_ev g_ev[TN_MAX];
static uint8_t g_watch[HS_KEY_LEN]; /* the member whose events are counted */

static void on_event(struct tnet *net, int i, const struct hs_event *ev)
{
	if (ev->type == HS_EV_MEMBER && memcmp(ev->member.id, g_watch, HS_KEY_LEN) == 0 &&
	    ev->change < 7) {
		if (ev->change == HS_MEMBER_RECOVERED && g_ev[i].at[HS_MEMBER_SUSPECTED] &&
		    net->now - g_ev[i].at[HS_MEMBER_SUSPECTED] > g_ev[i].longest_suspect)
			g_ev[i].longest_suspect = net->now - g_ev[i].at[HS_MEMBER_SUSPECTED];
		g_ev[i].count[ev->change]++;
		g_ev[i].at[ev->change] = net->now;
	}
	if (ev->type == HS_EV_STATE && hs_entry_is_heartbeat(ev->entry.key, ev->entry.key_len))
		g_ev[i].state_events++;
	if (ev->type == HS_EV_SAVE && ev->save_kind == HS_SAVE_STATE && ev->keylen > HS_KEY_LEN &&
	    hs_entry_is_heartbeat(ev->key + HS_KEY_LEN, ev->keylen - HS_KEY_LEN))
		g_ev[i].heartbeat_saves++;
}

static void heartbeats(struct hs_node_config *cfg)
{
	cfg->heartbeat_interval_ns = IV;
}

static const struct hs_member *member(struct tnet *net, int at, int who)
{
	static struct hs_member_info info[TN_MAX];
	size_t n = hs_node_members(net->n[at].node, info, TN_MAX);
	for (size_t k = 0; k < n && k < TN_MAX; k++)
		if (memcmp(info[k].m.id, hs_identity_pubkey(net->n[who].id), HS_KEY_LEN) == 0)
			return &info[k].m;
	return NULL;
}

static void test_lifecycle(void)
{
	struct tnet net = { .now = TN_T0, .on_event = on_event };
	memset(g_ev, 0, sizeof(g_ev));
	for (int i = 0; i < 4; i++)
		tn_add(&net, "t", heartbeats);
	memcpy(g_watch, hs_identity_pubkey(net.n[2].id), HS_KEY_LEN);
	/* A line 0 - 1 - 2 - 3: heartbeats cross it. */
	tn_connect(&net, 0, 1);
	tn_connect(&net, 1, 2);
	struct tlink *l23 = tn_connect(&net, 2, 3);
	tn_advance(&net, IV + HS_NS_PER_S);
	for (int i = 0; i < 4; i++) {
		struct hs_node_usage u;
		hs_node_get_usage(net.n[i].node, &u);
		CHECK_EQ(u.members[0], 4);
		CHECK_EQ(u.members[HS_MEMBER_ALIVE], 4);
		CHECK_EQ(g_ev[i].state_events, 0);
		CHECK_EQ(g_ev[i].heartbeat_saves, 0);
	}
	CHECK_EQ(g_ev[0].count[HS_MEMBER_JOINED], 1);
	const struct hs_member *m = member(&net, 0, 2);
	REQUIRE(m != NULL);
	CHECK_EQ(m->status, HS_MEMBER_ALIVE);
	CHECK(m->heartbeat >= 2); /* the one at start and the one an interval later */
	CHECK_EQ(m->interval_ns, IV);

	/* Node 2 falls silent: it loses every link (its own timers go on, unheard). */
	for (size_t k = 0; k < TN_LINKS; k++)
		if (net.links[k].used && !net.links[k].closed &&
		    (net.links[k].a == 2 || net.links[k].b == 2))
			tn_close_link(&net, &net.links[k]);
	(void)l23;
	tn_connect(&net, 1, 3); /* 3 stays reachable */
	uint64_t silent = net.now;
	tn_advance(&net, 3 * IV + 2 * HS_NS_PER_S);
	CHECK_EQ(member(&net, 0, 2)->status, HS_MEMBER_SUSPECT);
	CHECK_EQ(g_ev[0].count[HS_MEMBER_SUSPECTED], 1);
	CHECK_EQ(g_ev[0].count[HS_MEMBER_FAILED], 0);
	CHECK_EQ(member(&net, 0, 3)->status, HS_MEMBER_ALIVE);
	tn_advance(&net, 3 * IV + 2 * HS_NS_PER_S);
	for (int i = 0; i < 4; i += 1 + (i == 1)) { /* 0, 1 and 3 */
		CHECK_EQ(member(&net, i, 2)->status, HS_MEMBER_DEAD);
		CHECK_EQ(g_ev[i].count[HS_MEMBER_FAILED], 1);
		/* Its neighbours' probes time out (the harness never answers a dial) and they
		 * accuse it from two groups: dead 3 intervals later, and never later than the
		 * heartbeat timeout (6 intervals after it fell silent, plus one interval and the
		 * aging period). */
		CHECK(g_ev[i].at[HS_MEMBER_FAILED] >= silent + 3 * IV);
		CHECK(g_ev[i].at[HS_MEMBER_FAILED] <= silent + 7 * IV + HS_NS_PER_S);
	}
	CHECK_EQ(member(&net, 2, 2)->status, HS_MEMBER_ALIVE); /* it never suspects itself */

	/* It comes back: its next heartbeat makes it alive again everywhere. */
	tn_connect(&net, 2, 0);
	tn_advance(&net, IV + HS_NS_PER_S);
	CHECK_EQ(member(&net, 3, 2)->status, HS_MEMBER_ALIVE);
	CHECK_EQ(g_ev[3].count[HS_MEMBER_RECOVERED], 1);

	/* A graceful leave reaches everyone without waiting for a timeout. */
	CHECK_EQ(hs_node_leave(net.n[2].node, net.now), 0);
	CHECK_EQ(hs_node_leave(net.n[2].node, net.now), HS_ERR_EXISTS);
	tn_pump(&net);
	tn_advance(&net, HS_NS_PER_S);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(member(&net, i, 2)->status, HS_MEMBER_LEFT);
		if (i != 2)
			CHECK_EQ(g_ev[i].count[HS_MEMBER_DEPARTED], 1);
	}
	/* Left is final for the generation: no heartbeat follows, no suspicion either. */
	uint64_t hb = member(&net, 0, 2)->heartbeat;
	tn_advance(&net, 8 * IV);
	CHECK_EQ(member(&net, 0, 2)->status, HS_MEMBER_LEFT);
	CHECK_EQ(member(&net, 0, 2)->heartbeat, hb);
	CHECK_EQ(g_ev[0].count[HS_MEMBER_FAILED], 1);

	/* An update event for a member's other state entries. */
	memcpy(g_watch, hs_identity_pubkey(net.n[3].id), HS_KEY_LEN);
	CHECK_EQ(
	        hs_node_set_state(net.n[3].node, "color", (const uint8_t *)"red", 3, NULL, net.now),
	        0);
	tn_advance(&net, HS_NS_PER_S);
	CHECK_EQ(g_ev[0].count[HS_MEMBER_UPDATED], 1);
	tn_free(&net);
}

/* A node that joins late learns every member by anti-entropy, before the next heartbeat. */
static void test_joiner(void)
{
	struct tnet net = { .now = TN_T0, .on_event = on_event };
	memset(g_ev, 0, sizeof(g_ev));
	for (int i = 0; i < 5; i++)
		tn_add(&net, "t", heartbeats);
	for (int i = 0; i < 3; i++)
		tn_connect(&net, i, i + 1);
	tn_advance(&net, 2 * HS_NS_PER_S);
	CHECK_EQ(hs_node_set_state(net.n[0].node, "k", (const uint8_t *)"v", 1, NULL, net.now), 0);
	tn_advance(&net, 2 * HS_NS_PER_S);
	/* Node 4 joins through node 3 between two heartbeats: its first sync brings them. */
	tn_connect(&net, 4, 3);
	tn_advance(&net, HS_NS_PER_S);
	struct hs_node_usage u;
	hs_node_get_usage(net.n[4].node, &u);
	CHECK_EQ(u.members[HS_MEMBER_ALIVE], 5);
	struct hs_entry e;
	CHECK_EQ(hs_node_get_state(net.n[4].node, hs_identity_pubkey(net.n[0].id), "k", &e), 0);
	/* Heartbeats keep coming after the sync; node 0's data entry is still there. */
	tn_advance(&net, 3 * IV);
	CHECK_EQ(hs_node_get_state(net.n[4].node, hs_identity_pubkey(net.n[0].id), "k", &e), 0);
	hs_node_get_usage(net.n[4].node, &u);
	CHECK_EQ(u.members[HS_MEMBER_ALIVE], 5);
	tn_free(&net);
}

static void no_heartbeat(struct hs_node_config *cfg)
{
	cfg->heartbeat_interval_ns = 0;
}

static void test_reserved(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "t", heartbeats);
	struct hs_node *n = net.n[0].node;
	CHECK_EQ(hs_node_set_state(n, "hs.heartbeat", (const uint8_t *)"x", 1, NULL, net.now),
	         HS_ERR_INVALID);
	CHECK_EQ(hs_node_set_state(n, "hs.other", (const uint8_t *)"x", 1, NULL, net.now),
	         HS_ERR_INVALID);
	CHECK_EQ(hs_node_del_state(n, "hs.heartbeat", NULL, net.now), HS_ERR_INVALID);
	CHECK_EQ(hs_node_set_state(n, "hsx", (const uint8_t *)"x", 1, NULL, net.now), 0);
	struct hs_node_stats st;
	hs_node_get_stats(n, &st);
	CHECK_EQ(st.heartbeats_sent, 0); /* the first one goes at the first timer */
	tn_advance(&net, 1);
	hs_node_get_stats(n, &st);
	CHECK_EQ(st.heartbeats_sent, 1);
	/* Without heartbeats a node cannot leave, and stays out of its own table. */
	tn_add(&net, "t", no_heartbeat);
	tn_advance(&net, 2 * IV);
	CHECK_EQ(hs_node_leave(net.n[1].node, net.now), HS_ERR_INVALID);
	struct hs_node_usage u;
	hs_node_get_usage(net.n[1].node, &u);
	CHECK_EQ(u.members[0], 0);
	tn_free(&net);
}

/* Probes of the crashed node fail at once (its address refuses), as on a real network. */
static int g_crashed = -1;

static void refuse_crashed(struct tnet *net, int i, const struct hs_event *ev)
{
	on_event(net, i, ev);
	if (ev->type == HS_EV_DIAL && g_crashed >= 0 &&
	    hs_netaddr_equal(&ev->addr, &net->n[g_crashed].addr)) {
		struct hs_netaddr a = ev->addr;
		hs_node_dial_failed(net->n[i].node, &a, net->now);
	}
}

static void crash(struct tnet *net, int x)
{
	g_crashed = x;
	for (size_t k = 0; k < TN_LINKS; k++)
		if (net->links[k].used && !net->links[k].closed &&
		    (net->links[k].a == x || net->links[k].b == x))
			tn_close_link(net, &net->links[k]);
	tn_pump(net);
}

/* Neighbours that lose a node and cannot reach it again accuse it; its neighbours, three
 * groups, get it declared dead after two intervals, well before the six of the heartbeat
 * timeout; node 3 knows only one accuser's group (the others share the unknown one), so
 * it waits three. */
static void test_accused_dead_fast(void)
{
	struct tnet net = { .now = TN_T0, .on_event = refuse_crashed };
	memset(g_ev, 0, sizeof(g_ev));
	g_crashed = -1;
	for (int i = 0; i < 5; i++)
		tn_add(&net, "t", heartbeats); /* each in its own /16 (10.<i+1>.0.1) */
	for (int i = 0; i < 3; i++) {
		tn_connect(&net, i, 4);     /* 0, 1 and 2 are node 4's neighbours */
		tn_connect(&net, i, i + 1); /* and a line 0 - 1 - 2 - 3 */
	}
	tn_advance(&net, IV + HS_NS_PER_S);
	memcpy(g_watch, hs_identity_pubkey(net.n[4].id), HS_KEY_LEN);
	CHECK_EQ(member(&net, 3, 4)->status, HS_MEMBER_ALIVE);
	uint64_t t0 = net.now;
	crash(&net, 4);
	tn_advance(&net, HS_NS_PER_S);
	struct hs_node_stats st;
	unsigned accusations = 0;
	for (int i = 0; i < 3; i++) {
		hs_node_get_stats(net.n[i].node, &st);
		accusations += (unsigned)st.accusations;
	}
	CHECK_EQ(accusations, 3);
	/* Node 3 never had a session with node 4: it learns from the accusations alone. */
	CHECK_EQ(member(&net, 3, 4)->status, HS_MEMBER_SUSPECT);
	CHECK_EQ(g_ev[3].count[HS_MEMBER_SUSPECTED], 1);
	tn_advance(&net, 3 * IV + HS_NS_PER_S);
	for (int i = 0; i < 4; i++) {
		uint64_t iv = i == 3 ? 3 * IV : 2 * IV;
		CHECK_EQ(member(&net, i, 4)->status, HS_MEMBER_DEAD);
		CHECK_EQ(g_ev[i].count[HS_MEMBER_FAILED], 1);
		CHECK(g_ev[i].at[HS_MEMBER_FAILED] >= t0 + iv);
		CHECK(g_ev[i].at[HS_MEMBER_FAILED] <= t0 + iv + 2 * HS_NS_PER_S);
	}
	g_crashed = -1;
	tn_free(&net);
}

/* A signed suspects list from node `liar`, naming `victim`'s current heartbeat. */
static void accuse(struct tnet *net, struct tlink *l, int liar, int victim)
{
	const struct hs_member *m = member(net, liar, victim);
	REQUIRE(m != NULL);
	struct hs_suspect s = { .generation = m->generation, .heartbeat = m->heartbeat };
	memcpy(s.id, m->id, HS_KEY_LEN);
	uint8_t v[HS_SUSPECTS_VALUE_MAX], enc[512];
	size_t vlen = hs_suspects_encode(&s, 1, v), len;
	struct hs_entry e = { .key = (const uint8_t *)HS_SUSPECTS_KEY,
		              .key_len = strlen(HS_SUSPECTS_KEY),
		              .generation = 0,
		              .version = 1000000 + m->heartbeat,
		              .kind = HS_ENTRY_VALUE,
		              .value = v,
		              .value_len = vlen };
	memcpy(e.origin, hs_identity_pubkey(net->n[liar].id), HS_KEY_LEN);
	REQUIRE(hs_entry_encode(&e, enc, sizeof(enc), &len) == 0);
	struct hs_tag tag;
	REQUIRE(hs_tag_init(&tag, "state", "t") == 0);
	uint8_t digest[32];
	hs_tag_hash(&tag, digest, enc, len - HS_SIG_LEN);
	REQUIRE(tn_sign(&net->n[liar], enc + len - HS_SIG_LEN, digest) == 0);
	uint8_t frame[600];
	frame[0] = HS_MSG_STATE;
	frame[1] = 1;
	memcpy(frame + 2, enc, len);
	uint64_t h = l->a == liar ? l->pa : l->pb;
	REQUIRE(hs_node_send_raw(net->n[liar].node, h, frame, 2 + len, net->now) == 0);
	tn_pump(net);
}

/* Two liars from two groups keep accusing a live node: it refutes each time with a fresh
 * heartbeat, and nobody ever declares it dead. */
static void test_liars_refuted(void)
{
	struct tnet net = { .now = TN_T0, .on_event = on_event };
	memset(g_ev, 0, sizeof(g_ev));
	for (int i = 0; i < 4; i++)
		tn_add(&net, "t", heartbeats);
	struct tlink *l0 = tn_connect(&net, 0, 2), *l1 = tn_connect(&net, 1, 2);
	tn_connect(&net, 2, 3);
	tn_advance(&net, IV + HS_NS_PER_S);
	memcpy(g_watch, hs_identity_pubkey(net.n[3].id), HS_KEY_LEN);
	/* Each round accuses node 3's current heartbeat (half an interval after it). */
	for (int round = 0; round < 8; round++) {
		tn_advance(&net, IV / 2);
		accuse(&net, l0, 0, 3);
		accuse(&net, l1, 1, 3);
		tn_advance(&net, IV / 2);
	}
	struct hs_node_stats st;
	hs_node_get_stats(net.n[3].node, &st);
	/* It refuted when an accusation named its newest heartbeat (later rounds found the next
	 * regular one already on its way: that refutes too). */
	CHECK(st.refutations >= 1);
	CHECK(g_ev[2].count[HS_MEMBER_SUSPECTED] >= 8); /* the liars did make it suspect */
	CHECK_EQ(g_ev[2].count[HS_MEMBER_RECOVERED], g_ev[2].count[HS_MEMBER_SUSPECTED]);
	CHECK(g_ev[2].longest_suspect <= HS_NS_PER_S); /* for a round trip, not a timeout */
	CHECK_EQ(g_ev[2].count[HS_MEMBER_FAILED], 0);
	CHECK_EQ(g_ev[0].count[HS_MEMBER_FAILED], 0);
	CHECK_EQ(member(&net, 2, 3)->status, HS_MEMBER_ALIVE);
	tn_free(&net);
}

/* A heartbeat value is exactly 12 bytes with a non-zero interval. */
static void test_heartbeat_value(void)
{
	uint8_t v[HS_HEARTBEAT_VALUE_LEN];
	hs_heartbeat_value(v, 0x0102030405060708ull, 10000);
	static const uint8_t want[] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03,
		                        0x02, 0x01, 0x10, 0x27, 0x00, 0x00 };
	CHECK_MEM(v, want, sizeof(want));
	uint64_t t;
	uint32_t iv;
	CHECK_EQ(hs_heartbeat_decode(v, sizeof(v), &t, &iv), 0);
	CHECK_EQ(t, 0x0102030405060708ull);
	CHECK_EQ(iv, 10000);
	CHECK_EQ(hs_heartbeat_decode(v, sizeof(v) - 1, &t, &iv), HS_ERR_BAD_VALUE);
	uint8_t zero[HS_HEARTBEAT_VALUE_LEN] = { 1 };
	CHECK_EQ(hs_heartbeat_decode(zero, sizeof(zero), &t, &iv), HS_ERR_BAD_VALUE);
	CHECK(hs_entry_is_heartbeat((const uint8_t *)"hs.heartbeat", 12));
	CHECK(!hs_entry_is_heartbeat((const uint8_t *)"hs.heartbeats", 13));
}

int main(void)
{
	RUN(test_lifecycle);
	RUN(test_joiner);
	RUN(test_reserved);
	RUN(test_accused_dead_fast);
	RUN(test_liars_refuted);
	RUN(test_heartbeat_value);
	return hs_test_done();
}

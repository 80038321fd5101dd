/*
 * The protocol core end to end, in process: real keys, Noise, signatures and codecs, joined by
 * in-memory links (tests/node_harness.h).
 */
#include "harness.h"
#include "node_harness.h"
#include "overlay/msg.h"
#include "overlay/record.h"

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
	tn_advance(&net, HS_NS_PER_S); /* an inbound announcer waits request_nonpreferred_delay */
	CHECK_EQ(net.n[1].deliveries, 1);
	CHECK_EQ(net.n[2].deliveries, 1);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[1].node, &st);
	CHECK_EQ(st.payload_copies_in, 1); /* requested once, from one announcer */
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

/* Garbage after the handshake fails authentication: anyone on the path could have sent it, so
 * the session closes and nobody is penalised (PROTOCOL.md §9.6); the node lives on. */
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
	CHECK_EQ(net.n[1].faults, 0);
	CHECK_EQ(net.n[1].closes, 1);
	CHECK(l->closed);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[1].node, &st);
	CHECK_EQ(st.auth_failures, 1);
	CHECK_EQ(hs_node_bans(net.n[1].node, NULL, 0, net.now), 0);
	tn_free(&net);
}

/* A handshake message longer than any real one is refused before it is buffered; the length
 * prefix is not authenticated, so the close penalises nobody. */
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
	CHECK(!fault);
	CHECK_EQ(hs_node_bans(net.n[0].node, NULL, 0, net.now), 0);
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

/* A peer's msgs_in as node i counts them (the first session). */
static uint64_t msgs_from_peer(struct tnet *net, int i)
{
	struct hs_peer_info info[4];
	size_t n = hs_node_peers(net->n[i].node, info, 4);
	return n ? info[0].msgs_in : 0;
}

/* A state entry is never announced back to the peer that sent it: B asks A for it (one
 * getdata) and sends nothing else, where an echo would add an inv A has no use for. */
static void test_state_not_echoed(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	tn_add(&net, "test", NULL);
	tn_connect(&net, 0, 1);
	tn_advance(&net, HS_NS_PER_S);
	uint64_t before = msgs_from_peer(&net, 0);
	CHECK_EQ(hs_node_set_state(net.n[0].node, "height", (const uint8_t *)"7", 1, NULL, net.now),
	         0);
	tn_advance(&net, HS_NS_PER_S);
	struct hs_entry e;
	CHECK_EQ(hs_node_get_state(net.n[1].node, hs_identity_pubkey(net.n[0].id), "height", &e),
	         0);
	CHECK_EQ(msgs_from_peer(&net, 0) - before, 1);
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
	tn_advance(&net, HS_NS_PER_S); /* inbound announcers wait request_nonpreferred_delay */
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
	tn_advance(&net, HS_NS_PER_S);
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

/* One sync repairs both sides: two nodes that wrote state apart meet, and the dialler's
 * catch-up sync brings it the other's entries and the other, by the sync sent back, its own
 * (Cassandra's ACK and ACK2), with no inv to either. */
static void test_sync_both_ways(void)
{
	struct tnet net = { .now = TN_T0 };
	for (int i = 0; i < 2; i++)
		tn_add(&net, "test", NULL);
	CHECK_EQ(hs_node_set_state(net.n[0].node, "a", (const uint8_t *)"1", 1, NULL, net.now), 0);
	CHECK_EQ(hs_node_set_state(net.n[0].node, "a2", (const uint8_t *)"2", 1, NULL, net.now), 0);
	CHECK_EQ(hs_node_set_state(net.n[1].node, "b", (const uint8_t *)"3", 1, NULL, net.now), 0);
	tn_connect(&net, 0, 1); /* 0 dials: only it sends a catch-up sync */
	struct hs_entry e;
	CHECK_EQ(hs_node_get_state(net.n[0].node, hs_identity_pubkey(net.n[1].id), "b", &e), 0);
	CHECK_EQ(hs_node_get_state(net.n[1].node, hs_identity_pubkey(net.n[0].id), "a", &e), 0);
	CHECK_EQ(hs_node_get_state(net.n[1].node, hs_identity_pubkey(net.n[0].id), "a2", &e), 0);
	struct hs_node_stats s0, s1;
	hs_node_get_stats(net.n[0].node, &s0);
	hs_node_get_stats(net.n[1].node, &s1);
	CHECK_EQ(s1.counter_syncs, 1); /* node 1 was behind on node 0's origin */
	CHECK_EQ(s0.counter_syncs, 0); /* and node 0 then behind on nothing it was told of */
	CHECK_EQ(s0.msgs_in[HS_MSG_INV] + s1.msgs_in[HS_MSG_INV], 0);
	tn_free(&net);
}

static unsigned own_saves; /* HS_SAVE_STATE events node 0 emitted */

static void count_own_saves(struct tnet *net, int i, const struct hs_event *ev)
{
	(void)net;
	if (i == 0 && ev->type == HS_EV_SAVE && ev->save_kind == HS_SAVE_STATE)
		own_saves++;
}

/* caps.save_own: our entry is stored before anything else happens; a refusal is returned
 * with nothing merged, reported or announced, and the version is not reused. */
static void test_state_save_own(void)
{
	struct tnet net = { .now = TN_T0, .on_event = count_own_saves };
	net.use_save_own = true;
	tn_add(&net, "test", NULL);
	net.use_save_own = false;
	tn_add(&net, "test", NULL);
	tn_connect(&net, 0, 1);
	const uint8_t *origin = hs_identity_pubkey(net.n[0].id);
	own_saves = 0;
	net.n[0].save_own_result = HS_ERR_IO;
	CHECK_EQ(
	        hs_node_set_state(net.n[0].node, "k", (const uint8_t *)"refused", 7, NULL, net.now),
	        HS_ERR_IO);
	CHECK_EQ(net.n[0].save_own_calls, 1);
	tn_advance(&net, 2 * HS_NS_PER_S);
	struct hs_entry e;
	CHECK_EQ(hs_node_get_state(net.n[0].node, origin, "k", &e), HS_ERR_NOT_FOUND);
	CHECK_EQ(hs_node_get_state(net.n[1].node, origin, "k", &e), HS_ERR_NOT_FOUND);
	net.n[0].save_own_result = 0;
	CHECK_EQ(hs_node_set_state(net.n[0].node, "k", (const uint8_t *)"stored", 6, NULL, net.now),
	         0);
	CHECK_EQ(net.n[0].save_own_calls, 2);
	tn_advance(&net, 2 * HS_NS_PER_S);
	CHECK_EQ(hs_node_get_state(net.n[1].node, origin, "k", &e), 0);
	CHECK(e.value_len == 6 && memcmp(e.value, "stored", 6) == 0);
	CHECK_EQ(e.version, 2); /* the refused version 1 is never reused */
	CHECK_EQ(own_saves, 0); /* stored through save_own, not an HS_SAVE_STATE event */
	CHECK_EQ(hs_node_equivocations(net.n[1].node), 0);
	tn_free(&net);
}

static void small_inbound(struct hs_node_config *cfg)
{
	cfg->peers_max = 4 + HS_OUTBOUND_RESERVE_EXTRA; /* 4 inbound slots */
	cfg->outbound_target = 0;
}

static void reserved_outbound(struct hs_node_config *cfg)
{
	cfg->peers_max = 6;
	cfg->outbound_target = 2; /* 6 - 2 - HS_OUTBOUND_RESERVE_EXTRA = 2 inbound slots */
	cfg->feeler_interval_ns = 0;
}

/* An inbound flood cannot take the outbound reserve: past its inbound slots a node evicts
 * inbound sessions for newcomers, and its own dials still find room. */
static void test_outbound_reserved(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", reserved_outbound);
	for (int i = 1; i <= 9; i++)
		tn_add(&net, "test", NULL);
	for (int i = 1; i <= 6; i++)
		tn_connect(&net, i, 0); /* inbound to node 0 */
	struct hs_peer_info info[16];
	size_t n = hs_node_peers(net.n[0].node, info, 16), inbound = 0;
	for (size_t k = 0; k < n; k++)
		inbound += info[k].inbound && info[k].active;
	CHECK_EQ(inbound, 2);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.evictions, 4);
	for (int i = 7; i <= 9; i++) {
		struct tlink *l = tn_connect(&net, 0, i); /* node 0 dials out */
		CHECK(!l->closed);
	}
	n = hs_node_peers(net.n[0].node, info, 16);
	size_t outbound = 0;
	for (size_t k = 0; k < n; k++)
		outbound += !info[k].inbound && info[k].active;
	CHECK_EQ(outbound, 3);
	tn_free(&net);
}

/* The daemon reports a closed session only after its event loop comes round again, so a
 * burst of inbound connections, each evicting the one before, leaves closing sessions in their
 * slots. They must not take the slots the outbound reserve needs: with 300 connections and no
 * close reported, the node still opens its reserve's outbound sessions. */
static void test_eviction_burst_keeps_slots(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", reserved_outbound); /* 2 inbound slots, a reserve of 4 */
	struct hs_node *node = net.n[0].node;
	size_t admitted = 0;
	for (unsigned i = 0; i < 300; i++) {
		struct hs_netaddr a =
		        hs_netaddr_ipv4(10, (uint8_t)(100 + i % 6), (uint8_t)(i / 250),
		                        (uint8_t)(i % 250 + 1), 7000);
		uint64_t h;
		admitted += hs_node_peer_open(node, &h, true, &a, net.now) == 0;
		CHECK(hs_node_check(node));
	}
	struct hs_node_stats st;
	hs_node_get_stats(node, &st);
	CHECK(admitted >= 2);
	CHECK(st.inbound_refused > 0); /* refused once only the reserve's slots were left */
	for (unsigned i = 0; i < 4; i++) {
		struct hs_netaddr a = hs_netaddr_ipv4(10, (uint8_t)(20 + i), 0, 1, 7000);
		uint64_t h;
		CHECK_EQ(hs_node_peer_open(node, &h, false, &a, net.now), 0);
	}
	tn_free(&net);
}

/* A dial that connects but whose session the node itself refuses (no room) is over at once:
 * the address is not left "being dialled" until the handshake timeout, and can be dialled
 * again. */
static void test_refused_dial_released(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", reserved_outbound); /* peers_max 6 */
	struct hs_node *node = net.n[0].node;
	uint64_t h;
	for (unsigned i = 0; i < 6; i++) {
		struct hs_netaddr a = hs_netaddr_ipv4(10, (uint8_t)(20 + i), 0, 1, 7000);
		CHECK_EQ(hs_node_peer_open(node, &h, false, &a, net.now), 0);
	}
	struct hs_netaddr more = hs_netaddr_ipv4(10, 30, 0, 1, 7000);
	CHECK_EQ(hs_node_dial_once(node, &more, net.now), 0);
	CHECK_EQ(hs_node_dial_once(node, &more, net.now), HS_ERR_EXISTS); /* pending */
	CHECK_EQ(hs_node_peer_open(node, &h, false, &more, net.now), HS_ERR_FULL);
	CHECK_EQ(hs_node_dial_once(node, &more, net.now), 0); /* released, dialled again */
	tn_free(&net);
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

/* ---- eager push: grafts, declines, learning ------------------------------------------------ */

/* The peer info node i holds about node j (by identity); NULL if not connected. */
static const struct hs_peer_info *info_of(struct tnet *net, int i, int j)
{
	static struct hs_peer_info info[TN_MAX];
	size_t n = hs_node_peers(net->n[i].node, info, TN_MAX);
	for (size_t k = 0; k < n && k < TN_MAX; k++)
		if (memcmp(info[k].id, hs_identity_pubkey(net->n[j].id), 32) == 0)
			return &info[k];
	return NULL;
}

static bool pushes(struct tnet *net, int from, int to)
{
	const struct hs_peer_info *a = info_of(net, to, from);
	bool asked = a && a->pushes_to_us;
	const struct hs_peer_info *b = info_of(net, from, to);
	bool agreed = b && b->eager;
	CHECK(asked == agreed); /* both ends agree once the frames have arrived */
	return asked && agreed;
}

static void one_receiver(struct hs_node_config *cfg)
{
	cfg->eager_receivers_max = 1;
}

/* A node pushes to at most eager_receivers_max peers: the rest are declined, back off for a
 * minute, and get in once a place is free. */
static void test_push_receivers_bounded(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", one_receiver); /* 0: the hub */
	tn_add(&net, "test", NULL);
	tn_add(&net, "test", NULL);
	struct tlink *l1 = tn_connect(&net, 1, 0);
	tn_connect(&net, 2, 0);
	/* Each leaf's only candidate is the hub: it grafts it. The hub takes the first. */
	CHECK(pushes(&net, 0, 1));
	CHECK(!pushes(&net, 0, 2));
	struct hs_node_stats st;
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.grafts_declined, 1);
	CHECK_EQ(st.msgs_in[HS_MSG_PUSH], 3); /* two grafts, and the declined leaf's prune */
	/* Within the back-off the declined leaf does not ask again. */
	tn_advance(&net, 59 * HS_NS_PER_S);
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.grafts_declined, 1);
	tn_advance(&net, 2 * HS_NS_PER_S);
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.grafts_declined, 2);
	CHECK(!pushes(&net, 0, 2));
	/* The receiver leaves; a minute later the other leaf takes its place. */
	tn_close_link(&net, l1);
	tn_pump(&net);
	tn_advance(&net, 61 * HS_NS_PER_S);
	CHECK(pushes(&net, 0, 2));
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.grafts_declined, 2);
	CHECK_EQ(net.n[0].faults + net.n[1].faults + net.n[2].faults, 0);
	tn_free(&net);
}

/* O - X - A - B in a line: X got O's rumor from its origin and pushes it to A; A pushes it to
 * B only because B grafted A (with eager_push 0, B asks nobody and must request it). */
static void test_push_follows_grafts(void)
{
	for (int lazy = 0; lazy < 2; lazy++) {
		struct tnet net = { .now = TN_T0 };
		for (int i = 0; i < 3; i++)
			tn_add(&net, "test", NULL);
		tn_add(&net, "test", lazy ? no_eager : NULL);
		tn_connect(&net, 0, 1);
		tn_connect(&net, 1, 2);
		tn_connect(&net, 2, 3);
		CHECK(pushes(&net, 2, 3) == !lazy);
		uint8_t id[HS_ID_LEN];
		CHECK_EQ(hs_node_publish(net.n[0].node, id, "t", (const uint8_t *)"q", 1, net.now),
		         0);
		tn_advance(&net, HS_NS_PER_S); /* B's announcer A is inbound: it waits */
		CHECK_EQ(net.n[3].deliveries, 1);
		struct hs_node_stats st;
		hs_node_get_stats(net.n[2].node, &st);
		CHECK_EQ(st.requests_sent, 0); /* the origin's peer pushed it to A */
		hs_node_get_stats(net.n[3].node, &st);
		CHECK_EQ(st.payload_copies_in, 1);
		CHECK_EQ(st.requests_sent, lazy ? 1 : 0);
		CHECK_EQ(st.msgs_in[HS_MSG_INV], lazy ? 1 : 0);
		tn_free(&net);
	}
}

/* B has three peers; every rumor reaches it first through A2 (the only peer of the publisher
 * P). B starts with the two first-connected peers as pushers, switches to A2 after the first
 * rumor, and once it has judged 8 rumors keeps A2 alone: A2 tells it first of all of them,
 * more than eager_cover (35 %). When A2 leaves, its place is filled at once. */
static void test_push_learns_first_teller(void)
{
	struct tnet net = { .now = TN_T0 };
	for (int i = 0; i < 5; i++)
		tn_add(&net, "test", NULL);
	enum { B = 0, A1 = 1, A3 = 2, A2 = 3, P = 4 };
	tn_connect(&net, B, A1);
	tn_connect(&net, B, A3);
	struct tlink *l2 = tn_connect(&net, B, A2);
	tn_connect(&net, P, A2);
	CHECK(pushes(&net, A1, B) && pushes(&net, A3, B) && !pushes(&net, A2, B));
	for (int k = 0; k < 10; k++) {
		uint8_t id[HS_ID_LEN], payload[2] = { 'r', (uint8_t)k };
		CHECK_EQ(hs_node_publish(net.n[P].node, id, "t", payload, 2, net.now), 0);
		tn_pump(&net);
		CHECK_EQ(net.n[B].deliveries, (unsigned)k + 1);
		CHECK(pushes(&net, A2, B));
		CHECK(pushes(&net, A1, B) == (k < 7)); /* two pushers until 8 rumors are judged */
		CHECK(!pushes(&net, A3, B));
		tn_advance(&net, HS_NS_PER_S);
	}
	for (int i = A1; i <= A2; i++)
		CHECK_EQ(net.n[i].deliveries, 10);
	tn_close_link(&net, l2);
	tn_pump(&net);
	/* A1 and A3 never told B first: with no evidence B wants eager_push pushers again. */
	CHECK(pushes(&net, A1, B) && pushes(&net, A3, B));
	unsigned faults = 0;
	for (int i = 0; i < 5; i++)
		faults += net.n[i].faults;
	CHECK_EQ(faults, 0);
	tn_free(&net);
}

/* A rumor older than pull_window that reaches a node late (here by the catch-up pull of a
 * session opened two minutes after it was published) is relayed onward, by inv only: B
 * grafted A, yet requests it. B could not have got it otherwise: its own pulls of A cover
 * only the last pull_window. */
static void test_late_rumor_announced(void)
{
	struct tnet net = { .now = TN_T0 };
	enum { O = 0, A = 1, B = 2 };
	for (int i = 0; i < 3; i++)
		tn_add(&net, "test", NULL);
	tn_connect(&net, B, A);
	CHECK(pushes(&net, A, B));
	uint8_t id[HS_ID_LEN];
	CHECK_EQ(hs_node_publish(net.n[O].node, id, "t", (const uint8_t *)"old", 3, net.now), 0);
	tn_advance(&net, 120 * HS_NS_PER_S);
	CHECK_EQ(net.n[B].deliveries, 0);
	tn_connect(&net, A, O);
	tn_pump(&net);
	CHECK_EQ(net.n[A].deliveries, 1);
	CHECK_EQ(net.n[B].deliveries, 1);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[B].node, &st);
	CHECK_EQ(st.requests_sent, 1);
	CHECK_EQ(st.payload_copies_in, 1);
	CHECK_EQ(st.msgs_in[HS_MSG_INV], 1);
	CHECK_EQ(net.n[O].faults + net.n[A].faults + net.n[B].faults, 0);
	tn_free(&net);
}

static void own_record(struct hs_node *node, struct hs_record *rec)
{
	uint8_t enc[HS_RECORD_MAX];
	size_t len;
	CHECK_EQ(hs_node_record(node, enc, sizeof(enc), &len), 0);
	CHECK_EQ(hs_record_decode(rec, enc, len), 0);
}

/* A driver that learns a public address (a UPnP mapping) puts it in our signed record; a
 * node that connects afterwards learns it from our hello. A bad list changes nothing. */
static void test_set_addrs(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	tn_add(&net, "test", NULL);
	struct hs_record before, after;
	own_record(net.n[0].node, &before);
	CHECK_EQ(before.naddrs, 1);
	struct hs_netaddr addrs[2] = { hs_netaddr_ipv4(5, 77, 0, 1, 7000), net.n[0].addr };
	CHECK_EQ(hs_node_set_addrs(net.n[0].node, addrs, 2, net.now), 0);
	own_record(net.n[0].node, &after);
	CHECK(after.seq > before.seq);
	CHECK_EQ(after.naddrs, 2);
	CHECK(hs_netaddr_equal(&after.addrs[0], &addrs[0]));
	CHECK(hs_netaddr_equal(&after.addrs[1], &addrs[1]));

	struct hs_netaddr dup[2] = { addrs[0], addrs[0] };
	CHECK_EQ(hs_node_set_addrs(net.n[0].node, dup, 2, net.now), HS_ERR_INVALID);
	struct hs_netaddr bad = { 0 };
	CHECK_EQ(hs_node_set_addrs(net.n[0].node, &bad, 1, net.now), HS_ERR_INVALID);
	struct hs_netaddr many[HS_RECORD_ADDRS_MAX + 1];
	for (size_t i = 0; i <= HS_RECORD_ADDRS_MAX; i++)
		many[i] = hs_netaddr_ipv4(5, 77, 0, (uint8_t)(i + 1), 7000);
	CHECK_EQ(hs_node_set_addrs(net.n[0].node, many, HS_RECORD_ADDRS_MAX + 1, net.now),
	         HS_ERR_INVALID);
	struct hs_record still;
	own_record(net.n[0].node, &still);
	CHECK_EQ(still.seq, after.seq);
	CHECK_EQ(still.naddrs, 2);

	tn_connect(&net, 0, 1);
	struct hs_record book[4];
	size_t n = hs_node_addresses(net.n[1].node, book, 4);
	bool learned = false;
	for (size_t i = 0; i < n; i++)
		learned |= memcmp(book[i].id, after.id, HS_KEY_LEN) == 0 && book[i].naddrs == 2 &&
		           hs_netaddr_equal(&book[i].addrs[0], &addrs[0]);
	CHECK(learned);

	/* Losing the mapping: back to the listening address alone. */
	CHECK_EQ(hs_node_set_addrs(net.n[0].node, &net.n[0].addr, 1, net.now), 0);
	own_record(net.n[0].node, &still);
	CHECK(still.seq > after.seq);
	CHECK_EQ(still.naddrs, 1);
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
	RUN(test_sync_both_ways);
	RUN(test_state_not_echoed);
	RUN(test_inbound_eviction);
	RUN(test_outbound_reserved);
	RUN(test_eviction_burst_keeps_slots);
	RUN(test_refused_dial_released);
	RUN(test_push_receivers_bounded);
	RUN(test_push_follows_grafts);
	RUN(test_push_learns_first_teller);
	RUN(test_late_rumor_announced);
	RUN(test_set_addrs);
	RUN(test_state_save_own);
	return hs_test_done();
}

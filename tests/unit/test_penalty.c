/*
 * ctest `penalty`: the one penalty policy — the score ladder and its weights, ban keys (IPv6
 * /64, network groups, escalation), and the node enforcing every standing for every message:
 * a flood ends in a ban, below gossip nothing is taken, a banned origin is dropped before its
 * signature is checked, and repeated bans in one group ban the group.
 */
#include <math.h>

#include "base/netaddr.h"
#include "harness.h"
#include "node_harness.h"
#include "reputation/banlist.h"
#include "reputation/score.h"

#define S  1000000000ull
#define MS 1000000ull

static const uint8_t secret[16] = { 9, 8, 7 };

/* ---- the ladder ------------------------------------------------------------------------ */

static void test_params_check(void)
{
	struct hs_score_params p;
	hs_score_params_default(&p);
	CHECK_EQ(hs_score_params_check(&p), 0);
	struct hs_score_params q = p;
	q.weight[HS_SCORE_FLOOD] = 5; /* a fault that rewards */
	CHECK_EQ(hs_score_params_check(&q), HS_ERR_INVALID);
	q = p;
	q.weight[HS_SCORE_DELIVERED] = -1; /* a reward that punishes */
	CHECK_EQ(hs_score_params_check(&q), HS_ERR_INVALID);
	q = p;
	q.graylist_threshold = -10; /* above gossip: not a ladder */
	CHECK_EQ(hs_score_params_check(&q), HS_ERR_INVALID);
	q = p;
	q.ban_threshold = -2000; /* below the cap: a ban could never happen */
	CHECK_EQ(hs_score_params_check(&q), HS_ERR_INVALID);
	q = p;
	q.weight[HS_SCORE_BAD_SIG] = NAN;
	CHECK_EQ(hs_score_params_check(&q), HS_ERR_INVALID);
	q = p;
	q.halflife_s = -1;
	CHECK_EQ(hs_score_params_check(&q), HS_ERR_INVALID);
}

/* Each default fault lands where its rationale says, from a clean score. */
static void test_ladder(void)
{
	static const struct {
		enum hs_score_kind kind;
		unsigned to_nogossip, to_graylist, to_ban; /* events at one instant */
	} rows[] = {
		{ HS_SCORE_MALFORMED, 1, 1, 1 }, { HS_SCORE_PROTOCOL, 1, 1, 1 },
		{ HS_SCORE_BAD_SIG, 1, 1, 1 },   { HS_SCORE_HANDSHAKE, 1, 1, 1 },
		{ HS_SCORE_REJECTED, 1, 3, 5 },  { HS_SCORE_FLOOD, 2, 5, 10 },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct hs_scores s;
		hs_scores_init(&s, secret, 4, NULL);
		uint8_t k[32] = { (uint8_t)r + 1 };
		unsigned first[4] = { 0 };
		for (unsigned i = 1; i <= 20; i++) {
			double v;
			CHECK_EQ(hs_scores_add(&s, k, rows[r].kind, 0, &v), 0);
			enum hs_standing st = hs_scores_standing(&s, v);
			for (unsigned l = 1; l <= (unsigned)st; l++)
				if (!first[l])
					first[l] = i;
		}
		CHECK_EQ(first[HS_STANDING_NO_GOSSIP], rows[r].to_nogossip);
		CHECK_EQ(first[HS_STANDING_GRAYLIST], rows[r].to_graylist);
		CHECK_EQ(first[HS_STANDING_BAN], rows[r].to_ban);
		hs_scores_deinit(&s);
	}
	/* Rewards cannot be banked against a fault: at the +20 cap, one bad signature still
	 * reaches the graylist and a second the ban. */
	struct hs_scores s;
	hs_scores_init(&s, secret, 4, NULL);
	uint8_t k[32] = { 77 };
	double v;
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_DELIVERED, 0, &v), 0);
	CHECK(v == 20.0);
	CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_BAD_SIG, 0, &v), 0);
	CHECK_EQ(hs_scores_standing(&s, v), HS_STANDING_GRAYLIST);
	CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_BAD_SIG, 0, &v), 0);
	CHECK_EQ(hs_scores_standing(&s, v), HS_STANDING_BAN);
	hs_scores_deinit(&s);
}

/* A flood ends in a ban at any sustained rate of one fault every 30 s or faster (decay cannot
 * keep a steady flooder above the threshold), and never lands at -99.99 "nearly banned". */
static void test_flood_always_bans(void)
{
	static const uint64_t gaps[] = { 0, 1 * MS, 250 * MS, S, 10 * S, 30 * S };
	for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		struct hs_scores s;
		hs_scores_init(&s, secret, 4, NULL);
		uint8_t k[32] = { 5 };
		bool banned = false;
		uint64_t t = 0;
		for (int i = 0; i < 10000 && !banned; i++, t += gaps[g]) {
			double v;
			CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_FLOOD, t, &v), 0);
			banned = hs_scores_standing(&s, v) == HS_STANDING_BAN;
		}
		CHECK(banned);
		hs_scores_deinit(&s);
	}
}

/* ---- ban keys -------------------------------------------------------------------------- */

static struct hs_netaddr v6(uint16_t a, uint16_t b, uint16_t c, uint16_t d, uint16_t last)
{
	uint8_t ip[16] = { 0 };
	uint16_t g[8] = { a, b, c, d, 0, 0, 0, last };
	for (int i = 0; i < 8; i++) {
		ip[2 * i] = (uint8_t)(g[i] >> 8);
		ip[2 * i + 1] = (uint8_t)g[i];
	}
	return hs_netaddr_ipv6(ip, 7070);
}

static void test_ban_keys(void)
{
	/* The group key restates hs_netaddr_group: the two must agree. */
	struct hs_netaddr as[] = { hs_netaddr_ipv4(1, 2, 3, 4, 5), hs_netaddr_ipv4(1, 2, 0, 0, 9),
		                   v6(0x2001, 0xdb8, 1, 2, 5), v6(0x2a00, 0x1, 0xffff, 0, 1) };
	for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		uint8_t gk[32], g[8];
		hs_ban_group_key(&as[i], gk);
		hs_netaddr_group(&as[i], g);
		CHECK_MEM(gk, g, 8);
		for (int b = 8; b < 32; b++)
			CHECK_EQ(gk[b], 0);
	}
	struct hs_banlist bl;
	hs_banlist_init(&bl, secret, 64);
	uint8_t key[32];
	/* An IPv6 ban covers the /64, not the next one. */
	struct hs_netaddr host = v6(0x2001, 0xdb8, 1, 2, 5);
	hs_ban_addr_key(&host, key);
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ADDR, key, 100, HS_BAN_MISBEHAVING, 0), 0);
	struct hs_netaddr same64 = v6(0x2001, 0xdb8, 1, 2, 0xffff);
	struct hs_netaddr next64 = v6(0x2001, 0xdb8, 1, 3, 5);
	CHECK(hs_banlist_has_addr(&bl, &same64, 1));
	CHECK(!hs_banlist_has_addr(&bl, &next64, 1));
	/* A /128 key stored before /64 bans is cut to its /64 when loaded. */
	uint8_t old[32] = { HS_AF_INET6 };
	memcpy(old + 1, next64.ip, 16);
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ADDR, old, 100, HS_BAN_OPERATOR, 0), 0);
	struct hs_netaddr next64b = v6(0x2001, 0xdb8, 1, 3, 77);
	CHECK(hs_banlist_has_addr(&bl, &next64b, 1));
	CHECK(hs_banlist_remove(&bl, HS_BAN_ADDR, old));
	CHECK(!hs_banlist_has_addr(&bl, &next64b, 1));
	/* A group ban covers the whole /16; IPv4 address bans stay exact. */
	struct hs_netaddr a = hs_netaddr_ipv4(10, 9, 1, 1, 1),
	                  b = hs_netaddr_ipv4(10, 9, 200, 7, 1);
	struct hs_netaddr c = hs_netaddr_ipv4(10, 10, 1, 1, 1);
	hs_ban_addr_key(&a, key);
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ADDR, key, 100, HS_BAN_MISBEHAVING, 0), 0);
	CHECK(!hs_banlist_has_addr(&bl, &b, 1));
	CHECK_EQ(hs_banlist_count_group(&bl, &b, 1), 1);
	CHECK_EQ(hs_banlist_count_group(&bl, &c, 1), 0);
	CHECK_EQ(hs_banlist_count_group(&bl, &b, 100), 0); /* expired */
	hs_ban_group_key(&b, key);
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_GROUP, key, 100, HS_BAN_MISBEHAVING, 0), 0);
	CHECK(hs_banlist_has_addr(&bl, &b, 1));
	CHECK(!hs_banlist_has_addr(&bl, &c, 1));
	/* Group bans are stored like the others. */
	struct hs_ban ban = bl.bans[bl.count - 1], back;
	uint8_t enc[HS_BAN_ENCODED_LEN];
	hs_ban_encode(&ban, enc);
	CHECK_EQ(hs_ban_decode(&back, enc, sizeof(enc)), 0);
	CHECK_EQ(back.kind, HS_BAN_GROUP);
	enc[0] = 9;
	CHECK_EQ(hs_ban_decode(&back, enc, sizeof(enc)), HS_ERR_CORRUPT);
	hs_banlist_deinit(&bl);
}

/* A ban table an attacker cannot flush: with the table full, a stream of automatic bans from
 * one /16 is compacted into one group ban; the operator's ban and an earlier misbehaviour ban
 * from elsewhere stay; when nothing compacts, the automatic ban with the least time left goes,
 * never an operator ban. */
static void test_ban_table_flush(void)
{
	struct hs_banlist bl;
	hs_banlist_init(&bl, secret, 16);
	uint8_t op[32] = { 0xaa }, key[32];
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ID, op, 10 * S, HS_BAN_OPERATOR, 0), 0);
	struct hs_netaddr earlier = hs_netaddr_ipv4(192, 0, 2, 1, 1);
	hs_ban_addr_key(&earlier, key);
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ADDR, key, 5 * S, HS_BAN_MISBEHAVING, 0), 0);
	struct hs_ban removed[16];
	size_t groups = 0, merged = 0, lost = 0;
	for (unsigned i = 0; i < 3000; i++) {
		struct hs_netaddr a = hs_netaddr_ipv4(10, 50, (uint8_t)(i >> 8), (uint8_t)i, 1);
		hs_ban_addr_key(&a, key);
		struct hs_ban_changes ch = { .removed = removed, .removed_max = 16 };
		CHECK(hs_banlist_make_room(&bl, 1 * S, &ch));
		groups += ch.has_added;
		merged += ch.nmerged;
		lost += ch.nremoved - ch.nmerged;
		for (size_t r = 0; r < ch.nmerged; r++)
			CHECK_EQ(removed[r].kind, HS_BAN_ADDR); /* merged: still covered, below */
		CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ADDR, key, (6 + i) * S, HS_BAN_MISBEHAVING, S),
		         0);
	}
	CHECK(groups >= 1);
	/* Every ban that made room was merged into the group ban: none was lost (the count
	 * behind hearsay_bans_evicted_total). */
	CHECK(merged >= 2999 - 14);
	CHECK_EQ(lost, 0);
	CHECK(hs_banlist_has_id(&bl, op, 2 * S));
	CHECK(hs_banlist_has_addr(&bl, &earlier, 2 * S));
	struct hs_netaddr any = hs_netaddr_ipv4(10, 50, 99, 99, 1);
	CHECK(hs_banlist_has_addr(&bl, &any, 2 * S)); /* the group ban */
	/* Nothing compacts (identity bans): the shortest automatic ban goes, then the next;
	 * the operator's never. */
	lost = 0;
	for (unsigned i = 0; i < 100; i++) {
		uint8_t id[32] = { 1, (uint8_t)i, (uint8_t)(i >> 8) };
		struct hs_ban_changes ch = { .removed = removed, .removed_max = 16 };
		CHECK(hs_banlist_make_room(&bl, 1 * S, &ch));
		lost += ch.nremoved - ch.nmerged;
		CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ID, id, (9000 + i) * S, HS_BAN_MISBEHAVING, S),
		         0);
		for (size_t r = 0; r < ch.nremoved; r++)
			CHECK(removed[r].reason != HS_BAN_OPERATOR);
	}
	CHECK(hs_banlist_has_id(&bl, op, 2 * S));
	/* Identity bans do not merge: past the places the first compaction freed (fewer than the
	 * table holds), each place is an eviction. */
	CHECK(lost >= 100 - 16);
	/* A table of operator bans only refuses an automatic one. */
	struct hs_banlist full;
	hs_banlist_init(&full, secret, 2);
	uint8_t o1[32] = { 1 }, o2[32] = { 2 };
	CHECK_EQ(hs_banlist_add(&full, HS_BAN_ID, o1, 10 * S, HS_BAN_OPERATOR, 0), 0);
	CHECK_EQ(hs_banlist_add(&full, HS_BAN_ID, o2, 10 * S, HS_BAN_OPERATOR, 0), 0);
	struct hs_ban_changes ch = { .removed = removed, .removed_max = 16 };
	CHECK(!hs_banlist_make_room(&full, 1 * S, &ch));
	CHECK_EQ(full.count, 2);
	hs_banlist_deinit(&full);
	hs_banlist_deinit(&bl);
}

/* ---- the node -------------------------------------------------------------------------- */

static void slow_frames(struct hs_node_config *cfg)
{
	cfg->peer_frames_per_s = 2; /* burst 4 */
}

static bool banned(const struct tnode *t, uint8_t kind, const uint8_t key[32], uint64_t now)
{
	struct hs_ban bans[64];
	size_t n = hs_node_bans(t->node, bans, 64, now);
	for (size_t i = 0; i < n && i < 64; i++)
		if (bans[i].kind == kind && memcmp(bans[i].key, key, 32) == 0)
			return true;
	return false;
}

/* A peer over its frame rate gathers flood faults until it is banned, identity and address,
 * and its session closes: the flood cannot end in a close it simply returns from. */
static void test_node_flood_bans(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", slow_frames);
	tn_add(&net, "test", NULL);
	struct tlink *l = tn_connect(&net, 1, 0);
	for (int i = 0; i < 40 && !l->closed; i++) {
		uint8_t id[HS_ID_LEN];
		char msg[32];
		snprintf(msg, sizeof(msg), "rumor %d", i);
		CHECK_EQ(hs_node_publish(net.n[1].node, id, "t", (const uint8_t *)msg, strlen(msg),
		                         net.now),
		         0);
		tn_pump(&net);
	}
	CHECK(l->closed);
	CHECK(net.n[0].faults >= 10);
	CHECK(banned(&net.n[0], HS_BAN_ID, hs_identity_pubkey(net.n[1].id), net.now));
	uint8_t ak[32];
	hs_ban_addr_key(&net.n[1].addr, ak);
	CHECK(banned(&net.n[0], HS_BAN_ADDR, ak, net.now));
	const struct hs_score_entry *e;
	double v = hs_node_score(net.n[0].node, hs_identity_pubkey(net.n[1].id), net.now, &e);
	CHECK(v <= -100);
	REQUIRE(e != NULL);
	CHECK(e->count[HS_SCORE_FLOOD] >= 10);
	/* The banned address is refused before any handshake. */
	uint64_t h;
	CHECK_EQ(hs_node_peer_open(net.n[0].node, &h, true, &net.n[1].addr, net.now),
	         HS_ERR_BANNED);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.inbound_refused, 1);
	tn_free(&net);
}

/* Sets a's score of b's identity to value (as if loaded from the store). */
static void set_score(struct tnode *a, const struct tnode *b, double value, uint64_t now)
{
	struct hs_score_entry e;
	memset(&e, 0, sizeof(e));
	memcpy(e.key, hs_identity_pubkey(b->id), 32);
	e.value = value;
	e.updated_ns = now;
	uint8_t enc[HS_SCORE_ENTRY_ENCODED_LEN];
	hs_score_entry_encode(&e, enc);
	CHECK_EQ(hs_node_load_score(a->node, enc, sizeof(enc)), 0);
}

/* Below the gossip threshold a peer's rumors, state, pulls and syncs are neither taken nor
 * served; below graylist nothing it sends is heard (but it is not banned). */
static void test_node_standing_enforced(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	tn_add(&net, "test", NULL);
	struct tlink *l = tn_connect(&net, 1, 0);
	set_score(&net.n[0], &net.n[1], -30, net.now); /* below gossip (-20) */
	uint8_t id[HS_ID_LEN];
	CHECK_EQ(hs_node_publish(net.n[1].node, id, "t", (const uint8_t *)"x", 1, net.now), 0);
	CHECK_EQ(hs_node_set_state(net.n[1].node, "height", (const uint8_t *)"7", 1, NULL, net.now),
	         0);
	tn_pump(&net);
	tn_advance(&net, 20 * S); /* pulls and syncs go both ways */
	CHECK_EQ(net.n[0].deliveries, 0);
	struct hs_entry e;
	CHECK_EQ(hs_node_get_state(net.n[0].node, hs_identity_pubkey(net.n[1].id), "height", &e),
	         HS_ERR_NOT_FOUND);
	/* What node 0 publishes does not reach it either (no inv, no push, no pull answer). */
	CHECK_EQ(hs_node_publish(net.n[0].node, id, "t", (const uint8_t *)"y", 1, net.now), 0);
	tn_pump(&net);
	tn_advance(&net, 20 * S);
	CHECK_EQ(net.n[1].deliveries, 1); /* its own rumor only */
	struct hs_node_stats st;
	hs_node_get_stats(net.n[0].node, &st);
	CHECK(st.ignored_standing > 0);
	uint64_t ignored = st.ignored_standing;
	CHECK(!l->closed);
	/* Graylisted: even its pings go unanswered. */
	set_score(&net.n[0], &net.n[1], -60, net.now);
	tn_advance(&net, 40 * S);
	hs_node_get_stats(net.n[0].node, &st);
	CHECK(st.ignored_standing > ignored);
	CHECK_EQ(net.n[0].faults, 0);
	CHECK_EQ(hs_node_bans(net.n[0].node, NULL, 0, net.now), 0);
	tn_free(&net);
}

/* O -- R -- A: A has banned O. O's rumor reaches R; A drops it unverified and does not blame
 * R, which could not know. */
static void test_node_banned_origin(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL); /* O */
	tn_add(&net, "test", NULL); /* R */
	tn_add(&net, "test", NULL); /* A */
	tn_connect(&net, 0, 1);
	tn_connect(&net, 2, 1);
	CHECK_EQ(hs_node_ban(net.n[2].node, HS_BAN_ID, hs_identity_pubkey(net.n[0].id),
	                     net.now + 3600 * S, net.now),
	         0);
	tn_pump(&net);
	struct hs_node_stats before, after;
	hs_node_get_stats(net.n[2].node, &before);
	uint8_t id[HS_ID_LEN];
	CHECK_EQ(hs_node_publish(net.n[0].node, id, "t", (const uint8_t *)"z", 1, net.now), 0);
	tn_pump(&net);
	tn_advance(&net, 10 * S);
	CHECK_EQ(net.n[1].deliveries, 1);
	CHECK_EQ(net.n[2].deliveries, 0);
	hs_node_get_stats(net.n[2].node, &after);
	CHECK(after.banned_origin >= 1);
	CHECK_EQ(after.sig_checks, before.sig_checks);
	CHECK_EQ(net.n[2].faults, 0);
	CHECK(hs_node_score(net.n[2].node, hs_identity_pubkey(net.n[1].id), net.now, NULL) >= 0);
	tn_free(&net);
}

/* Eight flooders from one /16 are each banned; the eighth ban bans the group, and a ninth
 * address of that group is refused. Another group is unaffected. */
static void test_node_group_escalation(void)
{
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", slow_frames);
	for (int f = 0; f < HS_GROUP_BANS_ESCALATE; f++) {
		struct tnode *t = tn_add(&net, "test", NULL);
		t->addr = hs_netaddr_ipv4(10, 99, (uint8_t)(f + 1), 1, 7000);
		struct tlink *l = tn_connect(&net, (int)net.count - 1, 0);
		for (int i = 0; i < 40 && !l->closed; i++) {
			uint8_t id[HS_ID_LEN];
			CHECK_EQ(hs_node_publish(t->node, id, "t", (const uint8_t *)&i, sizeof(i),
			                         net.now),
			         0);
			tn_pump(&net);
		}
		CHECK(l->closed);
	}
	struct hs_node_stats st;
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.group_bans, 1);
	uint8_t gk[32];
	struct hs_netaddr ninth = hs_netaddr_ipv4(10, 99, 200, 1, 7000);
	hs_ban_group_key(&ninth, gk);
	CHECK(banned(&net.n[0], HS_BAN_GROUP, gk, net.now));
	uint64_t h;
	CHECK_EQ(hs_node_peer_open(net.n[0].node, &h, true, &ninth, net.now), HS_ERR_BANNED);
	struct hs_netaddr other = hs_netaddr_ipv4(10, 98, 1, 1, 7000);
	CHECK_EQ(hs_node_peer_open(net.n[0].node, &h, true, &other, net.now), 0);
	tn_free(&net);
}

int main(void)
{
	RUN(test_params_check);
	RUN(test_ladder);
	RUN(test_flood_always_bans);
	RUN(test_ban_keys);
	RUN(test_ban_table_flush);
	RUN(test_node_flood_bans);
	RUN(test_node_standing_enforced);
	RUN(test_node_banned_origin);
	RUN(test_node_group_escalation);
	return hs_test_done();
}

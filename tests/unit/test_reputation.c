/* ctest `reputation`: scores (decay, caps, thresholds, explanations, bounds, persistence)
 * against a naive model, and bans (ids, addresses, expiry, bounds, persistence). */
#include <math.h>

#include "harness.h"
#include "reputation/banlist.h"
#include "reputation/score.h"
#include "testrng.h"

#define S 1000000000ull

static const uint8_t secret[16] = { 1, 2, 3 };

static void key_of(uint8_t key[32], unsigned i)
{
	memset(key, 0, 32);
	key[0] = (uint8_t)i;
	key[31] = (uint8_t)(i * 7);
}

static void test_score_basics(void)
{
	struct hs_scores s;
	hs_scores_init(&s, secret, 16, NULL);
	uint8_t k[32];
	key_of(k, 1);
	CHECK(hs_scores_value(&s, k, 0) == 0.0);
	double v;
	CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_FLOOD, 0, &v), 0);
	CHECK(v == -10.0);
	CHECK_EQ(hs_scores_standing(&s, v), HS_STANDING_GOOD);
	CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_FLOOD, 0, &v), 0);
	CHECK_EQ(hs_scores_standing(&s, v), HS_STANDING_NO_GOSSIP); /* -20 */
	/* One half-life later: -10. */
	CHECK(fabs(hs_scores_value(&s, k, 600 * S) + 10.0) < 1e-9);
	CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_BAD_SIG, 600 * S, &v), 0);
	CHECK(fabs(v + 110.0) < 1e-9);
	CHECK_EQ(hs_scores_standing(&s, v), HS_STANDING_BAN);
	/* The explanation: counts, points, last events in order. */
	const struct hs_score_entry *e = hs_scores_find(&s, k);
	REQUIRE(e != NULL);
	CHECK_EQ(e->count[HS_SCORE_FLOOD], 2);
	CHECK_EQ(e->count[HS_SCORE_BAD_SIG], 1);
	CHECK(fabs(e->points[HS_SCORE_FLOOD] + 20.0) < 1e-9);
	CHECK_EQ(e->nlast, 3);
	CHECK_EQ(e->last[(e->head + HS_SCORE_EVENTS - 1) % HS_SCORE_EVENTS].kind, HS_SCORE_BAD_SIG);
	CHECK_EQ(e->last[(e->head + HS_SCORE_EVENTS - 1) % HS_SCORE_EVENTS].delta_milli, -100000);
	/* Caps: rewards stop at +20; penalties at -1000. */
	key_of(k, 2);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_DELIVERED, 0, &v), 0);
	CHECK(v == 20.0);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_MALFORMED, 0, &v), 0);
	CHECK(v == -1000.0);
	CHECK_EQ(hs_scores_add(&s, k, (enum hs_score_kind)0, 0, &v), HS_ERR_INVALID);
	CHECK_EQ(hs_scores_add(&s, k, (enum hs_score_kind)HS_SCORE_KINDS, 0, &v), HS_ERR_INVALID);
	CHECK(strcmp(hs_score_kind_name(HS_SCORE_BAD_SIG), "bad-signature") == 0);
	hs_scores_forget(&s, k);
	CHECK(hs_scores_find(&s, k) == NULL);
	hs_scores_deinit(&s);
}

/* Full table: the entry nearest zero gives way, never a strongly negative one. */
static void test_score_bounded(void)
{
	struct hs_scores s;
	hs_scores_init(&s, secret, 8, NULL);
	uint8_t k[32];
	double v;
	key_of(k, 100);
	CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_MALFORMED, 0, &v), 0);
	for (unsigned i = 0; i < 50; i++) {
		key_of(k, i);
		CHECK_EQ(hs_scores_add(&s, k, HS_SCORE_DELIVERED, 0, &v), 0);
	}
	CHECK_EQ(s.count, 8);
	key_of(k, 100);
	CHECK(hs_scores_find(&s, k) != NULL);
	hs_scores_deinit(&s);
}

/* The model: replay the history of one key with plain arithmetic. */
struct hist {
	uint64_t t;
	uint8_t kind;
};

static double model_value(const struct hs_score_params *p, const struct hist *h, size_t n,
                          uint64_t now)
{
	double v = 0;
	uint64_t at = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t t = h[i].t > at ? h[i].t : at;
		v *= pow(2.0, -((double)(t - at) / 1e9) / p->halflife_s);
		at = t;
		v += p->weight[h[i].kind];
		v = v > p->max ? p->max : v < p->min ? p->min : v;
	}
	uint64_t t = now > at ? now : at;
	return v * pow(2.0, -((double)(t - at) / 1e9) / p->halflife_s);
}

static void test_score_model(void)
{
	static const uint8_t kinds[] = { HS_SCORE_MALFORMED, HS_SCORE_FLOOD, HS_SCORE_REJECTED,
		                         HS_SCORE_DELIVERED, HS_SCORE_ANSWERED };
	for (int run = 0; run < 200; run++) {
		uint64_t seed = 42 + (uint64_t)run;
		struct test_rng rng;
		test_rng_seed(&rng, seed);
		struct hs_scores s;
		hs_scores_init(&s, secret, 64, NULL);
		static struct hist h[8][400];
		size_t n[8] = { 0 };
		uint64_t now = 0;
		bool ok = true;
		for (int op = 0; op < 400 && ok; op++) {
			now += test_rng_below(&rng, 120 * S);
			unsigned who = (unsigned)test_rng_below(&rng, 8);
			uint8_t kind = kinds[test_rng_below(&rng, sizeof(kinds))];
			uint8_t k[32];
			key_of(k, who);
			double v;
			ok = hs_scores_add(&s, k, kind, now, &v) == 0;
			h[who][n[who]++] = (struct hist){ now, kind };
			double want = model_value(&s.params, h[who], n[who], now);
			ok = ok && fabs(v - want) < 1e-6 * (1 + fabs(want));
			/* Persistence round trip on the way. */
			uint8_t enc[HS_SCORE_ENTRY_ENCODED_LEN];
			hs_score_entry_encode(hs_scores_find(&s, k), enc);
			struct hs_scores s2;
			hs_scores_init(&s2, secret, 4, NULL);
			ok = ok && hs_scores_load(&s2, enc, sizeof(enc)) == 0;
			ok = ok && fabs(hs_scores_value(&s2, k, now + S) -
			                hs_scores_value(&s, k, now + S)) < 1e-9;
			const struct hs_score_entry *a = hs_scores_find(&s, k),
			                            *b = hs_scores_find(&s2, k);
			ok = ok && a && b && a->count[kind] == b->count[kind] &&
			     a->nlast == b->nlast;
			hs_scores_deinit(&s2);
		}
		if (!ok)
			fprintf(stderr, "score model disagrees; seed %llu\n",
			        (unsigned long long)seed);
		CHECK(ok);
		hs_scores_deinit(&s);
	}
	uint8_t bad[10] = { 0 };
	struct hs_scores s;
	hs_scores_init(&s, secret, 4, NULL);
	CHECK_EQ(hs_scores_load(&s, bad, sizeof(bad)), HS_ERR_CORRUPT);
	hs_scores_deinit(&s);
}

static void test_bans(void)
{
	struct hs_banlist bl;
	hs_banlist_init(&bl, secret, 3);
	uint8_t id[32] = { 9 };
	struct hs_netaddr a = hs_netaddr_ipv4(10, 1, 2, 3, 4000);
	struct hs_netaddr same_ip = hs_netaddr_ipv4(10, 1, 2, 3, 5000);
	struct hs_netaddr other = hs_netaddr_ipv4(10, 1, 2, 4, 4000);
	uint8_t ak[32];
	hs_ban_addr_key(&a, ak);
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ID, id, 100 * S, HS_BAN_OPERATOR, 0), 0);
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ADDR, ak, 50 * S, HS_BAN_MISBEHAVING, 0), 0);
	CHECK(hs_banlist_has_id(&bl, id, 99 * S));
	CHECK(!hs_banlist_has_id(&bl, id, 100 * S));
	CHECK(hs_banlist_has_addr(&bl, &same_ip, 0)); /* any port */
	CHECK(!hs_banlist_has_addr(&bl, &other, 0));
	CHECK_EQ(hs_banlist_add(&bl, 7, id, 1, 1, 0), HS_ERR_INVALID);
	/* Full: adding is refused until room is made; the automatic ban ending first gives
	 * way, never the operator's. */
	uint8_t id2[32] = { 2 }, id3[32] = { 3 };
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ID, id2, 200 * S, 1, 0), 0);
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ID, id3, 300 * S, 1, 0), HS_ERR_FULL);
	struct hs_ban removed[3];
	struct hs_ban_changes ch = { .removed = removed, .removed_max = 3 };
	CHECK(hs_banlist_make_room(&bl, 0, &ch));
	CHECK_EQ(ch.nremoved, 1);
	CHECK_EQ(removed[0].kind, HS_BAN_ADDR);
	CHECK(!ch.has_added);
	CHECK_EQ(hs_banlist_add(&bl, HS_BAN_ID, id3, 300 * S, 1, 0), 0);
	CHECK_EQ(bl.count, 3);
	CHECK(!hs_banlist_has_addr(&bl, &a, 0));
	/* Persistence. */
	uint8_t enc[HS_BAN_ENCODED_LEN];
	hs_ban_encode(&bl.bans[0], enc);
	struct hs_ban b;
	CHECK_EQ(hs_ban_decode(&b, enc, sizeof(enc)), 0);
	CHECK_MEM(&b.key, bl.bans[0].key, 32);
	CHECK(b.until_ns == bl.bans[0].until_ns && b.kind == bl.bans[0].kind);
	enc[0] = 9;
	CHECK_EQ(hs_ban_decode(&b, enc, sizeof(enc)), HS_ERR_CORRUPT);
	CHECK_EQ(hs_ban_decode(&b, enc, 5), HS_ERR_CORRUPT);
	CHECK_EQ(hs_banlist_expire(&bl, 250 * S), 2);
	CHECK(hs_banlist_has_id(&bl, id3, 250 * S));
	CHECK(hs_banlist_remove(&bl, HS_BAN_ID, id3));
	CHECK(!hs_banlist_remove(&bl, HS_BAN_ID, id3));
	hs_banlist_deinit(&bl);
}

int main(void)
{
	RUN(test_score_basics);
	RUN(test_score_bounded);
	RUN(test_score_model);
	RUN(test_bans);
	return hs_test_done();
}

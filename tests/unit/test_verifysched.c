/*
 * overlay/verifysched.c: edge cases, then the fairness properties against a deliberately naive
 * model under random operations.
 *
 * The model does not share the scheduler's water-filling: it knows only the node's rate, the
 * elapsed time and what each group asked for, and computes the max-min fair split of the
 * budget by the textbook rule (light groups get what they asked for, the flooding groups
 * split the rest evenly). The scheduler must agree within one burst (plus the reserve's
 * refill) per group, never refuse a light group, and never admit more than the budget.
 * Runs use fixed seeds; a failure prints the seed.
 */
#include "harness.h"
#include "overlay/verifysched.h"
#include "testrng.h"

#define MS UINT64_C(1000000)
#define S  UINT64_C(1000000000)
#define T0 (UINT64_C(1767225600) * S)

static void key(uint8_t k[8], unsigned g)
{
	memset(k, 0, 8);
	k[0] = 4;
	k[1] = (uint8_t)(g >> 8);
	k[2] = (uint8_t)g;
}

static struct hs_verifysched *mk(uint64_t rate, uint64_t burst, uint64_t reserve, size_t peers)
{
	struct hs_verifysched_config c = {
		.rate_per_s = rate, .burst = burst, .reserve = reserve, .peers_max = peers
	};
	struct hs_verifysched *vs = NULL;
	REQUIRE(hs_verifysched_new(&vs, &c, T0) == 0);
	return vs;
}

static bool ask(struct hs_verifysched *vs, unsigned slot, unsigned g, uint64_t now)
{
	uint8_t k[8];
	key(k, g);
	return hs_verifysched_admit(vs, slot, k, now);
}

/* Admits until the first refusal; returns how many were admitted. */
static uint64_t drain(struct hs_verifysched *vs, unsigned slot, unsigned g, uint64_t now)
{
	uint64_t n = 0;
	while (ask(vs, slot, g, now))
		n++;
	return n;
}

/* ---- edge cases ---------------------------------------------------------------------- */

static void test_config_refused(void)
{
	struct hs_verifysched *vs = NULL;
	struct hs_verifysched_config c = { .rate_per_s = 0, .burst = 1, .peers_max = 1 };
	CHECK_EQ(hs_verifysched_new(&vs, &c, 0), HS_ERR_INVALID);
	c.rate_per_s = 1;
	c.burst = 0;
	CHECK_EQ(hs_verifysched_new(&vs, &c, 0), HS_ERR_INVALID);
	c.burst = 1;
	c.peers_max = 0;
	CHECK_EQ(hs_verifysched_new(&vs, &c, 0), HS_ERR_INVALID);
	c.peers_max = 1;
	c.reserve = 65;
	CHECK_EQ(hs_verifysched_new(&vs, &c, 0), HS_ERR_INVALID);
	CHECK(vs == NULL);
}

static void test_burst_then_refill(void)
{
	struct hs_verifysched *vs = mk(1000, 10, 10, 4);
	CHECK_EQ(drain(vs, 0, 1, T0), 10); /* a new group: one burst from the reserve */
	CHECK_EQ(hs_verifysched_stats(vs)->over_group_share, 1);
	CHECK(!ask(vs, 0, 1, T0 + MS / 2)); /* within the refill interval: nothing yet */
	/* 10 ms: 10 tokens, shared with the reserve (which funded the group): 5 each. */
	CHECK_EQ(drain(vs, 0, 1, T0 + 10 * MS), 5);
	CHECK(!ask(vs, 0, 1, T0 + 5 * MS)); /* time going backwards adds nothing */
	/* Long idle: the reserve and the group are both full again. */
	CHECK_EQ(drain(vs, 0, 1, T0 + 100 * S), 10);
	const struct hs_verifysched_stats *st = hs_verifysched_stats(vs);
	CHECK_EQ(st->admitted, 25);
	CHECK_EQ(st->over_peer_share, 0);
	CHECK_EQ(st->over_group_share, 5);
	CHECK(!ask(vs, 4, 1, T0 + 100 * S)); /* a slot out of range */
	CHECK_EQ(st->over_peer_share, 1);
	CHECK(hs_verifysched_check(vs));
	hs_verifysched_del(vs);
}

static void test_peer_share_in_group(void)
{
	struct hs_verifysched *vs = mk(1000, 10, 10, 4);
	CHECK(ask(vs, 0, 1, T0)); /* slot 0 holds the group's burst, less one */
	CHECK_EQ(hs_verifysched_tokens(vs, 0), 9);
	CHECK(!ask(vs, 1, 1, T0)); /* slot 1 joins empty; slot 0 is cut to 5 */
	CHECK_EQ(hs_verifysched_tokens(vs, 0), 5);
	CHECK_EQ(hs_verifysched_stats(vs)->over_peer_share, 1);
	CHECK_EQ(drain(vs, 0, 1, T0), 5);
	CHECK(!ask(vs, 1, 1, T0));
	CHECK_EQ(hs_verifysched_stats(vs)->over_group_share, 2);
	/* 20 ms: 20 tokens; the reserve needs 10, the group 10: 5 to each peer. */
	CHECK_EQ(drain(vs, 1, 1, T0 + 20 * MS), 5);
	CHECK_EQ(drain(vs, 0, 1, T0 + 20 * MS), 5);
	CHECK(hs_verifysched_check(vs));
	hs_verifysched_del(vs);
}

static void test_churn_buys_nothing(void)
{
	struct hs_verifysched *vs = mk(1000, 10, 20, 4);
	CHECK_EQ(drain(vs, 0, 1, T0), 10);
	hs_verifysched_remove(vs, 0, T0);
	CHECK(!hs_verifysched_has(vs, 0));
	CHECK(!ask(vs, 0, 1, T0)); /* the departed record kept its empty bucket */
	hs_verifysched_remove(vs, 0, T0);
	CHECK(!ask(vs, 2, 1, T0)); /* so does another slot in that group */
	/* The same slot in a new group: funded by the reserve (10 left of 20), then nothing. */
	CHECK_EQ(drain(vs, 2, 2, T0), 10);
	CHECK_EQ(drain(vs, 3, 3, T0), 0);
	CHECK(hs_verifysched_check(vs));
	hs_verifysched_del(vs);
}

static void test_records_bounded(void)
{
	/* 2 slots: 4 records. Leave departed records behind and keep adding groups. */
	struct hs_verifysched *vs = mk(1000, 10, 64 * 10, 2);
	for (unsigned g = 1; g <= 50; g++) {
		CHECK(ask(vs, 0, g, T0));
		CHECK(hs_verifysched_check(vs));
	}
	CHECK(ask(vs, 1, 100, T0));
	CHECK(hs_verifysched_check(vs));
	hs_verifysched_del(vs);
}

/* ---- an honest peer against a /16 of 1,000 Sybils ---------------------------------------- */

static void test_lone_honest_vs_thousand_sybils(void)
{
	const uint64_t rate = 4000, burst = 512;
	struct hs_verifysched *vs = mk(rate, burst, 8 * burst, 1001);
	const unsigned honest = 1000, hgroup = 7, sgroup = 9;
	CHECK(ask(vs, honest, hgroup, T0));
	uint64_t sybil = 0, honest_ok = 1, honest_refused = 0, want = 0;
	/* 10 s in 1 ms steps; the honest peer asks 1.2 per ms on average (1,200/s, under the
	 * R / 3 a live group is guaranteed); every Sybil asks every step. */
	for (uint64_t t = 1; t <= 10000; t++) {
		uint64_t now = T0 + t * MS;
		for (unsigned s = 0; s < 1000; s++)
			sybil += ask(vs, s, sgroup, now);
		want += 12;
		for (; want >= 10; want -= 10) {
			if (ask(vs, honest, hgroup, now))
				honest_ok++;
			else
				honest_refused++;
		}
	}
	CHECK_EQ(honest_refused, 0);
	CHECK_EQ(honest_ok, 12001);
	/* The Sybils get the rest, and no more: 10 s of budget plus their burst. */
	CHECK(sybil + honest_ok <= 10 * rate + burst + 8 * burst);
	CHECK(sybil >= 10 * rate - honest_ok - 8 * burst - 2 * burst);
	CHECK(hs_verifysched_check(vs));
	hs_verifysched_del(vs);
}

/* ---- groups, not peers, share the node ----------------------------------------------------- */

static void test_backlogged_groups_equal(void)
{
	const uint64_t rate = 3000, burst = 100;
	struct hs_verifysched *vs = mk(rate, burst, 3 * burst, 64);
	const unsigned sizes[3] = { 1, 50, 5 };
	uint64_t got[3] = { 0 }, per_peer[64] = { 0 };
	for (uint64_t t = 0; t < 5000; t++) {
		uint64_t now = T0 + t * MS;
		unsigned slot = 0;
		for (unsigned g = 0; g < 3; g++)
			for (unsigned i = 0; i < sizes[g]; i++, slot++) {
				uint64_t n = drain(vs, slot, g, now);
				got[g] += n;
				per_peer[slot] += n;
			}
	}
	for (unsigned g = 0; g < 3; g++)
		for (unsigned h = 0; h < 3; h++)
			CHECK(got[g] <= got[h] + 2 * burst + 2);
	CHECK(got[0] + got[1] + got[2] <= 5 * rate + 6 * burst);
	CHECK(got[0] + got[1] + got[2] >= 5 * rate - 6 * burst);
	/* Within the 50-peer group every peer gets the same, to a burst share, except that the
	 * first spent the group's burst before the others joined. */
	for (unsigned i = 2; i < 51; i++)
		CHECK(per_peer[i] <= per_peer[2] + 2 * burst / 50 + 2 &&
		      per_peer[2] <= per_peer[i] + 2 * burst / 50 + 2);
	CHECK(per_peer[1] <= per_peer[2] + burst + 2);
	hs_verifysched_del(vs);
}

/* ---- the model test ----------------------------------------------------------------------- */

#define MODEL_GROUPS 6

struct mgroup {
	bool light;     /* asks at a rate under its guaranteed share; else floods */
	unsigned first; /* its slots: first .. first + npeers - 1 */
	unsigned npeers;
	uint64_t asked, admitted, refused;
	uint64_t acc; /* light: asks owed, in 1/1000 */
};

/* The naive max-min split of budget among the groups: every light group gets what it asked
 * for, the flooders share the rest evenly. */
static double model_flooder_share(const struct mgroup *g, size_t n, double budget)
{
	size_t flooders = 0;
	for (size_t i = 0; i < n; i++) {
		if (g[i].light)
			budget -= (double)g[i].asked;
		else
			flooders++;
	}
	return flooders ? budget / (double)flooders : 0;
}

static void model_run(uint64_t seed)
{
	struct test_rng r;
	test_rng_seed(&r, seed);
	uint64_t rate = 200 + test_rng_below(&r, 20000);
	size_t ngroups = 2 + test_rng_below(&r, MODEL_GROUPS - 1);
	struct mgroup g[MODEL_GROUPS] = { 0 };
	unsigned slots = 0;
	for (size_t i = 0; i < ngroups; i++) {
		g[i].light = i == 0 || test_rng_below(&r, 3) == 0;
		if (i == ngroups - 1)
			g[i].light = false; /* at least one flooder */
		g[i].first = slots;
		g[i].npeers = g[i].light ? 1 : 1 + (unsigned)test_rng_below(&r, 20);
		slots += g[i].npeers;
	}
	/* A burst well above a step's budget, so capacity never limits a backlogged group. */
	uint64_t burst = 2 * rate * 5 / 1000 + 20 + test_rng_below(&r, 200);
	uint64_t reserve = burst * (ngroups + 1);
	struct hs_verifysched *vs = mk(rate, burst, reserve, slots);
	/* Light groups ask at a quarter of the least share a live group is guaranteed. */
	uint64_t light_milli_per_ms = rate * 1000 / 1000 / (4 * (ngroups + 1));
	uint64_t now = T0, churns = 0;
	for (size_t i = 0; i < ngroups; i++)
		if (g[i].light) {
			g[i].asked++;
			g[i].admitted += ask(vs, g[i].first, (unsigned)i, now);
		}
	uint64_t steps = 2000 + test_rng_below(&r, 2000);
	for (uint64_t st = 0; st < steps; st++) {
		uint64_t dt = test_rng_below(&r, 4) == 0 ? test_rng_below(&r, MS)
		                                         : test_rng_below(&r, 5 * MS);
		now += dt;
		for (size_t i = 0; i < ngroups; i++) {
			struct mgroup *m = &g[i];
			if (m->light) {
				for (m->acc += light_milli_per_ms * dt / MS; m->acc >= 1000;
				     m->acc -= 1000) {
					m->asked++;
					if (ask(vs, m->first, (unsigned)i, now))
						m->admitted++;
					else
						m->refused++;
				}
				continue;
			}
			unsigned s = m->first + (unsigned)test_rng_below(&r, m->npeers);
			if (test_rng_below(&r, 50) == 0) {
				hs_verifysched_remove(vs, s,
				                      now); /* a session ends, another opens */
				churns++;
			}
			for (unsigned k = 0; k < m->npeers; k++) {
				uint64_t n = drain(vs, m->first + k, (unsigned)i, now);
				m->admitted += n;
				m->asked += n + 1;
			}
		}
		if (!hs_verifysched_check(vs)) {
			fprintf(stderr, "seed %" PRIu64 ": invariant broken at step %" PRIu64 "\n",
			        seed, st);
			CHECK(false);
			break;
		}
	}
	double budget = (double)rate * (double)(now - T0) / (double)S;
	double share = model_flooder_share(g, ngroups, budget);
	/* Slack: the group's own burst (held at the start or at the end), the reserve refilling
	 * what it funded, the step that has not been shared out yet, and tokens a departing
	 * session took with it (under one each, since flooders drain every step). */
	double slack = 2.0 * (double)burst + (double)reserve / 2.0 + (double)rate * 0.005 +
	               (double)churns + (double)g[0].npeers + 2;
	uint64_t total = 0;
	for (size_t i = 0; i < ngroups; i++) {
		total += g[i].admitted;
		bool ok = g[i].light ? g[i].refused == 0
		                     : (double)g[i].admitted <= share + slack &&
		                               (double)g[i].admitted >= share - slack;
		if (!ok)
			fprintf(stderr,
			        "seed %" PRIu64 ": group %zu (%s, %u peers) admitted %" PRIu64
			        " refused %" PRIu64 ", model share %.0f +- %.0f\n",
			        seed, i, g[i].light ? "light" : "flooder", g[i].npeers,
			        g[i].admitted, g[i].refused, share, slack);
		CHECK(ok);
	}
	/* Never more than the budget and what the reserve held at the start. */
	CHECK((double)total <= budget + (double)reserve + 1);
	const struct hs_verifysched_stats *stats = hs_verifysched_stats(vs);
	CHECK_EQ(stats->admitted, total);
	hs_verifysched_del(vs);
}

static void test_model(void)
{
	for (uint64_t seed = 1; seed <= 60; seed++)
		model_run(seed);
}

int main(void)
{
	RUN(test_config_refused);
	RUN(test_burst_then_refill);
	RUN(test_peer_share_in_group);
	RUN(test_churn_buys_nothing);
	RUN(test_records_bounded);
	RUN(test_lone_honest_vs_thousand_sybils);
	RUN(test_backlogged_groups_equal);
	RUN(test_model);
	return hs_test_done();
}

/*
 * The seed crawler's reachability statistics (overlay/crawl.h): the decay math against
 * hand-computed values and against a naive model that keeps every sample and sums its
 * weight e^-(age / window) afresh; the reachability rule; the stored form's round trip and
 * its refusals.
 * A failure of the model test prints the seed; HS_TEST_SEED=<seed> replays it alone.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "harness.h"
#include "overlay/crawl.h"
#include "overlay/node.h"
#include "testrng.h"

#define S          HS_NS_PER_S
#define H          (3600 * S)
#define T0         (1000000 * S)
#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void test_first_sample(void)
{
	struct hs_crawl_stat s;
	memset(&s, 0, sizeof(s));
	for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++)
		CHECK(hs_crawl_stat_ratio(&s, w) == 0.0);
	CHECK(!hs_crawl_stat_reachable(&s, HS_CRAWL_2H, T0));
	hs_crawl_stat_update(&s, true, T0);
	CHECK_EQ(s.attempts, 1);
	CHECK_EQ(s.successes, 1);
	CHECK(s.last_ok);
	CHECK_EQ(s.last_success_ns, T0);
	for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++) {
		CHECK(NEAR(hs_crawl_stat_ratio(&s, w), 1.0));
		CHECK(NEAR(hs_crawl_stat_weight(&s, w, T0), 1.0));
		CHECK(hs_crawl_stat_reachable(&s, w, T0));
	}
	CHECK_EQ(hs_crawl_window_s(HS_CRAWL_2H), 7200);
	CHECK_EQ(hs_crawl_window_s(HS_CRAWL_1W), 604800);
	CHECK(strcmp(hs_crawl_window_name(HS_CRAWL_8H), "8h") == 0);
}

/* A success, then a failure one 2 h window later: in the 2 h window the success weighs e^-1. */
static void test_decay_values(void)
{
	struct hs_crawl_stat s;
	memset(&s, 0, sizeof(s));
	hs_crawl_stat_update(&s, true, T0);
	hs_crawl_stat_update(&s, false, T0 + 2 * H);
	double e1 = exp(-1.0);
	CHECK(NEAR(hs_crawl_stat_ratio(&s, HS_CRAWL_2H), e1 / (e1 + 1.0)));
	double f8 = exp(-2.0 / 8.0), fw = exp(-2.0 / 168.0);
	CHECK(NEAR(hs_crawl_stat_ratio(&s, HS_CRAWL_8H), f8 / (f8 + 1.0)));
	CHECK(NEAR(hs_crawl_stat_ratio(&s, HS_CRAWL_1W), fw / (fw + 1.0)));
	/* Evidence decays with time, the ratio does not. */
	CHECK(NEAR(hs_crawl_stat_weight(&s, HS_CRAWL_2H, T0 + 4 * H), (e1 + 1.0) * e1));
	CHECK(NEAR(hs_crawl_stat_ratio(&s, HS_CRAWL_2H), e1 / (e1 + 1.0)));
	CHECK(!s.last_ok);
	CHECK_EQ(s.attempts, 2);
	CHECK_EQ(s.successes, 1);
	CHECK_EQ(s.last_try_ns, T0 + 2 * H);
	CHECK_EQ(s.last_success_ns, T0);
	/* A clock that steps back counts as no time passed. */
	struct hs_crawl_stat b = s;
	hs_crawl_stat_update(&b, true, T0);
	CHECK_EQ(b.updated_ns, T0 + 2 * H);
	CHECK(NEAR(b.win[HS_CRAWL_2H].den, s.win[HS_CRAWL_2H].den + 1.0));
}

static void test_reachable_rule(void)
{
	struct hs_crawl_stat s;
	memset(&s, 0, sizeof(s));
	hs_crawl_stat_update(&s, true, T0);
	/* The last success ages out of the short windows first. */
	CHECK(hs_crawl_stat_reachable(&s, HS_CRAWL_2H, T0 + 2 * H));
	CHECK(!hs_crawl_stat_reachable(&s, HS_CRAWL_2H, T0 + 3 * H));
	CHECK(hs_crawl_stat_reachable(&s, HS_CRAWL_8H, T0 + 3 * H));
	CHECK(!hs_crawl_stat_reachable(&s, HS_CRAWL_1D, T0 + 25 * H));
	CHECK(hs_crawl_stat_reachable(&s, HS_CRAWL_1W, T0 + 25 * H));
	/* One failure after many successes: down until the next success. */
	for (unsigned i = 1; i < 10; i++)
		hs_crawl_stat_update(&s, true, T0 + (uint64_t)i * S);
	hs_crawl_stat_update(&s, false, T0 + 10 * S);
	CHECK(hs_crawl_stat_ratio(&s, HS_CRAWL_2H) > 0.85);
	for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++)
		CHECK(!hs_crawl_stat_reachable(&s, w, T0 + 11 * S));
	hs_crawl_stat_update(&s, true, T0 + 12 * S);
	CHECK(hs_crawl_stat_reachable(&s, HS_CRAWL_2H, T0 + 12 * S));
	/* A success after mostly failures: below HS_CRAWL_GOOD_PCT, still down. */
	struct hs_crawl_stat f;
	memset(&f, 0, sizeof(f));
	for (unsigned i = 0; i < 4; i++)
		hs_crawl_stat_update(&f, false, T0 + (uint64_t)i * S);
	hs_crawl_stat_update(&f, true, T0 + 4 * S);
	CHECK(f.last_ok);
	CHECK(hs_crawl_stat_ratio(&f, HS_CRAWL_2H) * 100 < HS_CRAWL_GOOD_PCT);
	CHECK(!hs_crawl_stat_reachable(&f, HS_CRAWL_2H, T0 + 4 * S));
}

/* The naive model: every sample kept, each weighing e^-(T - t)/window at the last time T. */
#define SAMPLES_MAX 200
struct sample {
	uint64_t t;
	bool ok;
};

static double model_ratio(const struct sample *v, size_t n, unsigned w)
{
	double num = 0, den = 0, tau = (double)hs_crawl_window_s(w);
	uint64_t last = v[n - 1].t;
	for (size_t i = 0; i < n; i++) {
		double wt = exp(-(double)(last - v[i].t) / (double)S / tau);
		num += v[i].ok ? wt : 0;
		den += wt;
	}
	return num / den;
}

static double model_den(const struct sample *v, size_t n, unsigned w)
{
	double den = 0, tau = (double)hs_crawl_window_s(w);
	for (size_t i = 0; i < n; i++)
		den += exp(-(double)(v[n - 1].t - v[i].t) / (double)S / tau);
	return den;
}

static bool model_run(uint64_t seed)
{
	struct test_rng r;
	test_rng_seed(&r, seed);
	struct sample v[SAMPLES_MAX];
	struct hs_crawl_stat s;
	memset(&s, 0, sizeof(s));
	uint64_t t = T0;
	size_t n = 1 + (size_t)test_rng_below(&r, SAMPLES_MAX);
	uint32_t oks = 0;
	for (size_t i = 0; i < n; i++) {
		/* Steps from nothing to two days: bursts of visits and long silences. */
		uint64_t step = test_rng_below(&r, 4) == 0 ? test_rng_below(&r, 48 * H)
		                                           : test_rng_below(&r, 120 * S);
		t += step;
		bool ok = test_rng_below(&r, 3) != 0;
		v[i].t = t;
		v[i].ok = ok;
		oks += ok;
		hs_crawl_stat_update(&s, ok, t);
		for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++) {
			double want = model_ratio(v, i + 1, w), got = hs_crawl_stat_ratio(&s, w);
			double dw = model_den(v, i + 1, w), dg = hs_crawl_stat_weight(&s, w, t);
			if (fabs(want - got) > 1e-9 || fabs(dw - dg) > 1e-9 * dw) {
				fprintf(stderr,
				        "model: seed %llu sample %zu window %u: %.12f vs %.12f\n",
				        (unsigned long long)seed, i, w, got, want);
				return false;
			}
		}
	}
	return s.attempts == n && s.successes == oks;
}

static void test_model(void)
{
	const char *env = getenv("HS_TEST_SEED");
	if (env) {
		CHECK(model_run(strtoull(env, NULL, 10)));
		return;
	}
	for (uint64_t seed = 1; seed <= 200; seed++)
		CHECK(model_run(seed));
}

static void test_round_trip(void)
{
	struct hs_crawl_stat s, back;
	memset(&s, 0, sizeof(s));
	hs_crawl_stat_update(&s, true, T0);
	hs_crawl_stat_update(&s, false, T0 + 3 * H + 7 * S);
	hs_crawl_stat_update(&s, true, T0 + 30 * H);
	uint8_t enc[HS_CRAWL_STAT_LEN], again[HS_CRAWL_STAT_LEN];
	hs_crawl_stat_encode(&s, enc);
	CHECK_EQ(enc[0], 1);
	REQUIRE(hs_crawl_stat_decode(&back, enc, sizeof(enc)) == 0);
	CHECK_EQ(back.attempts, 3);
	CHECK_EQ(back.successes, 2);
	CHECK_EQ(back.last_try_ns, T0 + 30 * H);
	CHECK_EQ(back.last_success_ns, T0 + 30 * H);
	CHECK_EQ(back.updated_ns, T0 + 30 * H);
	CHECK(back.last_ok);
	for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++) {
		CHECK(back.win[w].num == s.win[w].num); /* bit-exact doubles */
		CHECK(back.win[w].den == s.win[w].den);
		CHECK(hs_crawl_stat_reachable(&back, w, T0 + 30 * H) ==
		      hs_crawl_stat_reachable(&s, w, T0 + 30 * H));
	}
	hs_crawl_stat_encode(&back, again);
	CHECK_MEM(enc, again, sizeof(enc));
	/* Sub-second times are stored in seconds. */
	struct hs_crawl_stat frac;
	memset(&frac, 0, sizeof(frac));
	hs_crawl_stat_update(&frac, true, T0 + S / 2);
	hs_crawl_stat_encode(&frac, enc);
	REQUIRE(hs_crawl_stat_decode(&back, enc, sizeof(enc)) == 0);
	CHECK_EQ(back.last_success_ns, T0);
}

static void test_decode_refuses(void)
{
	struct hs_crawl_stat s, out;
	memset(&s, 0, sizeof(s));
	hs_crawl_stat_update(&s, true, T0);
	hs_crawl_stat_update(&s, false, T0 + S);
	uint8_t enc[HS_CRAWL_STAT_LEN + 1], bad[HS_CRAWL_STAT_LEN + 1];
	hs_crawl_stat_encode(&s, enc);
	CHECK(hs_crawl_stat_decode(&out, enc, HS_CRAWL_STAT_LEN - 1) == HS_ERR_INVALID);
	enc[HS_CRAWL_STAT_LEN] = 0;
	CHECK(hs_crawl_stat_decode(&out, enc, HS_CRAWL_STAT_LEN + 1) == HS_ERR_INVALID);
	memcpy(bad, enc, sizeof(bad));
	bad[0] = 2; /* version */
	CHECK(hs_crawl_stat_decode(&out, bad, HS_CRAWL_STAT_LEN) == HS_ERR_INVALID);
	memcpy(bad, enc, sizeof(bad));
	bad[33] = 2; /* last_ok */
	CHECK(hs_crawl_stat_decode(&out, bad, HS_CRAWL_STAT_LEN) == HS_ERR_INVALID);
	memcpy(bad, enc, sizeof(bad));
	bad[5] = 9; /* successes above attempts */
	CHECK(hs_crawl_stat_decode(&out, bad, HS_CRAWL_STAT_LEN) == HS_ERR_INVALID);
	double nan = NAN, neg = -1.0, big = 5.0;
	memcpy(bad, enc, sizeof(bad));
	memcpy(bad + 34, &nan, 8); /* the 2 h window's num (little-endian host) */
	CHECK(hs_crawl_stat_decode(&out, bad, HS_CRAWL_STAT_LEN) == HS_ERR_INVALID);
	memcpy(bad, enc, sizeof(bad));
	memcpy(bad + 42, &neg, 8); /* its den */
	CHECK(hs_crawl_stat_decode(&out, bad, HS_CRAWL_STAT_LEN) == HS_ERR_INVALID);
	memcpy(bad, enc, sizeof(bad));
	memcpy(bad + 34, &big, 8); /* num above den */
	CHECK(hs_crawl_stat_decode(&out, bad, HS_CRAWL_STAT_LEN) == HS_ERR_INVALID);
	memcpy(bad, enc, sizeof(bad));
	memset(bad + 9, 0xff, 8); /* a time past the node's clock */
	CHECK(hs_crawl_stat_decode(&out, bad, HS_CRAWL_STAT_LEN) == HS_ERR_INVALID);
	CHECK(hs_crawl_stat_decode(&out, enc, HS_CRAWL_STAT_LEN) == 0);
}

int main(void)
{
	RUN(test_first_sample);
	RUN(test_decay_values);
	RUN(test_reachable_rule);
	RUN(test_model);
	RUN(test_round_trip);
	RUN(test_decode_refuses);
	return hs_test_done();
}

/*
 * reputation/ratelimit.c against a deliberately naive model, plus edge cases.
 *
 * The model keeps tokens exactly, as a rational with denominator 1e9 (rate_per_s tokens per
 * second times dt nanoseconds is a whole number of 1e-9 tokens), so it never rounds. The
 * bucket under test must agree with it on every take and every available: a bucket that
 * rounds a refill down and forgets the remainder drifts below the model and is caught.
 * Runs use fixed seeds; a failure prints the seed, which HS_TEST_SEED=<seed> replays alone.
 */
#include "harness.h"
#include "reputation/ratelimit.h"
#include "testrng.h"

#define NS_PER_S  UINT64_C(1000000000)
#define RATE_MAX  UINT64_C(1000000000)
#define BURST_MAX UINT64_C(1000000000)

/* ---- the shared test PRNG: fixed seeds, same sequence everywhere ----------------------- */

static struct test_rng rng;

static uint64_t rng_below(uint64_t n)
{
	return test_rng_below(&rng, n);
}

/* ---- the naive model ------------------------------------------------------------------- */

struct model {
	uint64_t rate, burst; /* burst <= 1e9 so burst * 1e9 fits in 64 bits */
	uint64_t nano;        /* tokens * 1e9, exact */
	uint64_t last;        /* the latest time seen: earlier times add nothing */
};

static void model_init(struct model *m, uint64_t rate, uint64_t burst, uint64_t now)
{
	m->rate = rate > RATE_MAX ? RATE_MAX : rate;
	m->burst = burst;
	m->nano = burst * NS_PER_S;
	m->last = now;
}

static void model_refill(struct model *m, uint64_t now)
{
	if (now <= m->last)
		return;
	uint64_t dt = now - m->last, room = m->burst * NS_PER_S - m->nano;
	m->last = now;
	if (m->rate == 0)
		return;
	/* Full once rate * dt >= room, i.e. dt >= ceil(room / rate); otherwise rate * dt < room
	 * and the product cannot overflow. */
	if (dt >= room / m->rate + (room % m->rate != 0))
		m->nano = m->burst * NS_PER_S;
	else
		m->nano += m->rate * dt;
}

static bool model_take(struct model *m, uint64_t cost, uint64_t now)
{
	model_refill(m, now);
	if (cost > m->burst || cost * NS_PER_S > m->nano)
		return false;
	m->nano -= cost * NS_PER_S;
	return true;
}

static uint64_t model_available(struct model *m, uint64_t now)
{
	model_refill(m, now);
	return m->nano / NS_PER_S;
}

/* ---- random runs ----------------------------------------------------------------------- */

static uint64_t pick_rate(void)
{
	static const uint64_t r[] = {
		0, 1, 2, 3, 7, 10, 999, 1000, 1001, 123457, 1000000, RATE_MAX
	};
	uint64_t i = rng_below(sizeof(r) / sizeof(r[0]) + 2);
	if (i < sizeof(r) / sizeof(r[0]))
		return r[i];
	return i == sizeof(r) / sizeof(r[0]) ? 1 + rng_below(RATE_MAX) : UINT64_MAX;
}

static uint64_t pick_burst(void)
{
	static const uint64_t b[] = { 0, 1, 2, 5, 100, 1000, 1000000, NS_PER_S };
	uint64_t i = rng_below(sizeof(b) / sizeof(b[0]) + 1);
	return i < sizeof(b) / sizeof(b[0]) ? b[i] : rng_below(NS_PER_S + 1);
}

static uint64_t next_time(uint64_t now)
{
	uint64_t kind = rng_below(100), d;
	if (kind < 5) /* backwards */
		return now - (now < NS_PER_S ? now : rng_below(NS_PER_S));
	if (kind < 35)
		d = rng_below(1000); /* sub-microsecond: a flood */
	else if (kind < 65)
		d = rng_below(1000000);
	else if (kind < 90)
		d = rng_below(NS_PER_S);
	else if (kind < 98)
		d = rng_below(100 * NS_PER_S);
	else
		d = test_rng_next(&rng) >> 2; /* a huge jump */
	return d > UINT64_MAX - now ? UINT64_MAX : now + d;
}

static uint64_t pick_cost(uint64_t burst)
{
	uint64_t kind = rng_below(100);
	if (kind < 10)
		return 0;
	if (kind < 40)
		return 1;
	if (kind < 95)
		return rng_below(burst / 4 + 2);
	if (kind < 97)
		return burst + rng_below(3);
	return kind < 99 ? UINT64_MAX / 1000 + 1 : UINT64_MAX;
}

/* One run of ops operations; false (after printing the seed) at the first disagreement. */
static bool model_run(uint64_t seed, int ops)
{
	test_rng_seed(&rng, seed);
	uint64_t rate = pick_rate(), burst = pick_burst(), now = test_rng_next(&rng) >> 2;
	struct hs_ratelimit rl;
	struct model m;
	hs_ratelimit_init(&rl, rate, burst, now);
	model_init(&m, rate, burst, now);
	for (int i = 0; i < ops; i++) {
		now = next_time(now);
		uint64_t got, want, cost = 0;
		bool is_take = rng_below(100) < 60;
		if (is_take) {
			cost = pick_cost(burst);
			got = hs_ratelimit_take(&rl, cost, now);
			want = model_take(&m, cost, now);
		} else {
			got = hs_ratelimit_available(&rl, now);
			want = model_available(&m, now);
		}
		if (got != want) {
			fprintf(stderr,
			        "ratelimit model mismatch: seed %" PRIu64 " (HS_TEST_SEED=%" PRIu64
			        "), op %d: %s(cost %" PRIu64 ") at now %" PRIu64 " gave %" PRIu64
			        ", model %" PRIu64 " (rate %" PRIu64 "/s, burst %" PRIu64
			        ", model tokens %" PRIu64 ".%09" PRIu64 ")\n",
			        seed, seed, i, is_take ? "take" : "available", cost, now, got, want,
			        rate, burst, m.nano / NS_PER_S, m.nano % NS_PER_S);
			return false;
		}
	}
	return true;
}

static void test_model(void)
{
	const char *env = getenv("HS_TEST_SEED");
	if (env != NULL) {
		uint64_t seed = strtoull(env, NULL, 0);
		CHECK(model_run(seed, 20000));
		return;
	}
	int failed = 0, runs = 0;
	for (int s = 1; s <= 300; s++) {
		bool ok = model_run((uint64_t)s * UINT64_C(0x100000001b3), 20000);
		runs++;
		failed += !ok;
		CHECK(ok);
		if (failed >= 5) {
			fprintf(stderr, "ratelimit model: stopping after 5 failing seeds\n");
			break;
		}
	}
	printf("ratelimit model: %d runs of 20000 ops, %d disagreed\n", runs, failed);
}

/* ---- edge cases ------------------------------------------------------------------------ */

/* A caller that checks very often must still see the advertised rate: refills may not be
 * rounded away call by call. */
static void test_frequent_calls_refill(void)
{
	struct hs_ratelimit rl;
	uint64_t t = 1000;
	hs_ratelimit_init(&rl, 1, 1, t);
	CHECK(hs_ratelimit_take(&rl, 1, t));
	CHECK_EQ(hs_ratelimit_available(&rl, t), 0);
	/* Every 0.5 ms for 1.5 s: after 1 s one token must have come back. */
	for (int i = 0; i < 3000; i++) {
		t += 500000;
		(void)hs_ratelimit_available(&rl, t);
	}
	CHECK_EQ(hs_ratelimit_available(&rl, t), 1);

	/* The same at 1000 tokens/s, polled every 999 ns for 10 ms: 10 tokens. */
	hs_ratelimit_init(&rl, 1000, 100, t);
	CHECK(hs_ratelimit_take(&rl, 100, t));
	uint64_t start = t;
	while (t - start < 10000000) {
		t += 999;
		(void)hs_ratelimit_available(&rl, t);
	}
	t = start + 10000000;
	CHECK_EQ(hs_ratelimit_available(&rl, t), 10);
}

static void test_time_backwards(void)
{
	struct hs_ratelimit rl;
	uint64_t t0 = 1000 * NS_PER_S;
	hs_ratelimit_init(&rl, 10, 10, t0);
	CHECK(hs_ratelimit_take(&rl, 10, t0));
	/* Going back adds nothing and takes nothing. */
	CHECK_EQ(hs_ratelimit_available(&rl, t0 - 500 * NS_PER_S), 0);
	CHECK(!hs_ratelimit_take(&rl, 1, 0));
	/* Coming forward again but still before t0: still nothing (t0 is the reference). */
	CHECK_EQ(hs_ratelimit_available(&rl, t0 - NS_PER_S), 0);
	/* Half a second after t0: 5 tokens, however the clock wandered meanwhile. */
	CHECK_EQ(hs_ratelimit_available(&rl, t0 + NS_PER_S / 2), 5);
	CHECK(hs_ratelimit_take(&rl, 5, t0 + NS_PER_S / 2));
	CHECK(!hs_ratelimit_take(&rl, 1, t0 + NS_PER_S / 2));
}

static void test_huge_jumps(void)
{
	struct hs_ratelimit rl;
	hs_ratelimit_init(&rl, RATE_MAX, BURST_MAX, 0);
	CHECK(hs_ratelimit_take(&rl, BURST_MAX, 0));
	CHECK_EQ(hs_ratelimit_available(&rl, 0), 0);
	CHECK_EQ(hs_ratelimit_available(&rl, UINT64_MAX), BURST_MAX);
	/* Starting at the end of time works, and time cannot pass any more. */
	hs_ratelimit_init(&rl, 5, 3, UINT64_MAX);
	CHECK_EQ(hs_ratelimit_available(&rl, UINT64_MAX), 3);
	CHECK(hs_ratelimit_take(&rl, 3, UINT64_MAX));
	CHECK_EQ(hs_ratelimit_available(&rl, UINT64_MAX), 0);
	/* 1000 tokens/s, huge burst, huge gap: exactly full, never more. */
	hs_ratelimit_init(&rl, 1000, BURST_MAX, 0);
	CHECK(hs_ratelimit_take(&rl, BURST_MAX, 0));
	CHECK_EQ(hs_ratelimit_available(&rl, UINT64_MAX), BURST_MAX);
	/* 1 token/s for 2^64 ns (584 years): 18446744073 tokens, capped at the burst. */
	hs_ratelimit_init(&rl, 1, BURST_MAX, 0);
	CHECK(hs_ratelimit_take(&rl, BURST_MAX, 0));
	CHECK_EQ(hs_ratelimit_available(&rl, UINT64_MAX), BURST_MAX);
	/* 1 token/s, burst 2e10 asked (clamped to 1e9): 1000 s after emptying, 1000 tokens. */
	hs_ratelimit_init(&rl, 1, 20 * BURST_MAX, 0);
	CHECK(hs_ratelimit_take(&rl, BURST_MAX, 0));
	CHECK_EQ(hs_ratelimit_available(&rl, 1000 * NS_PER_S), 1000);
}

static void test_burst_zero(void)
{
	struct hs_ratelimit rl;
	hs_ratelimit_init(&rl, 1000, 0, 5);
	CHECK_EQ(hs_ratelimit_available(&rl, 5), 0);
	CHECK(hs_ratelimit_take(&rl, 0, 5));
	CHECK(!hs_ratelimit_take(&rl, 1, 5));
	CHECK(!hs_ratelimit_take(&rl, 1, 100 * NS_PER_S));
	CHECK_EQ(hs_ratelimit_available(&rl, UINT64_MAX), 0);
}

static void test_rate_zero(void)
{
	struct hs_ratelimit rl;
	hs_ratelimit_init(&rl, 0, 4, 0);
	CHECK(hs_ratelimit_take(&rl, 4, 0));
	CHECK_EQ(hs_ratelimit_available(&rl, UINT64_MAX), 0);
	CHECK(!hs_ratelimit_take(&rl, 1, UINT64_MAX));
}

static void test_clamping_and_costs(void)
{
	struct hs_ratelimit rl;
	hs_ratelimit_init(&rl, UINT64_MAX, UINT64_MAX, 0);
	CHECK(rl.rate_per_s == RATE_MAX);
	CHECK(rl.burst == BURST_MAX);
	CHECK_EQ(hs_ratelimit_available(&rl, 0), BURST_MAX); /* starts full */
	CHECK(hs_ratelimit_take(&rl, BURST_MAX, 0));
	CHECK_EQ(hs_ratelimit_available(&rl, NS_PER_S), RATE_MAX);
	CHECK_EQ(hs_ratelimit_available(&rl, 1000 * NS_PER_S), BURST_MAX);
	/* Costs too large to count in thousandths are refused without taking anything. */
	CHECK(!hs_ratelimit_take(&rl, UINT64_MAX, 1000 * NS_PER_S));
	CHECK(!hs_ratelimit_take(&rl, UINT64_MAX / 1000 + 1, 1000 * NS_PER_S));
	CHECK(!hs_ratelimit_take(&rl, BURST_MAX + 1, 1000 * NS_PER_S));
	CHECK_EQ(hs_ratelimit_available(&rl, 1000 * NS_PER_S), BURST_MAX);
	/* Exactly the burst is allowed; zero cost always is. */
	CHECK(hs_ratelimit_take(&rl, 0, 1000 * NS_PER_S));
	CHECK(hs_ratelimit_take(&rl, BURST_MAX, 1000 * NS_PER_S));
	CHECK(hs_ratelimit_take(&rl, 0, 1000 * NS_PER_S));
	CHECK(!hs_ratelimit_take(&rl, 1, 1000 * NS_PER_S));
	/* Values below the clamps are kept as given. */
	hs_ratelimit_init(&rl, 7, 9, 0);
	CHECK(rl.rate_per_s == 7 && rl.burst == 9);
	CHECK_EQ(hs_ratelimit_available(&rl, 0), 9);
}

int main(void)
{
	RUN(test_model);
	RUN(test_frequent_calls_refill);
	RUN(test_time_backwards);
	RUN(test_huge_jumps);
	RUN(test_burst_zero);
	RUN(test_rate_zero);
	RUN(test_clamping_and_costs);
	return hs_test_done();
}

/*
 * overlay/seen.c against a deliberately naive model: a list of (id, expiry) in arrival order,
 * searched linearly. The contract (seen.h): has is true while an id is remembered and its
 * expiry is after now; add of a remembered id only ever extends its expiry; add of a new id
 * first forgets the expired entries at the old end, then, when seen_max are held, the oldest
 * entry (FIFO), and fails with HS_ERR_FULL only when seen_max is 0; expire forgets expired
 * entries at the old end and stops at the first live one.
 *
 * Random add/has/expire sequences with a clock that stands still, steps and jumps, from fixed
 * seeds; after every operation the cache must agree with the model on the result, the count
 * and the arrival order of what it holds, and (every other operation, for big caches) on has
 * for every id of the pool.
 * A failure prints the seed; HS_TEST_SEED=<seed> replays it alone.
 */
#include <stdbool.h>

#define MODEL_NAME "seen"
#include "harness.h"
#include "model.h"
#include "overlay/seen.h"
#include "testrng.h"

#define POOL_MAX 100
#define HELD_MAX 40

struct model {
	uint8_t pool[POOL_MAX][HS_ID_LEN];
	size_t npool;
	struct {
		size_t id; /* index in pool */
		uint64_t expiry;
	} held[HELD_MAX]; /* oldest first */
	size_t count, max;
};

static long model_find(const struct model *md, size_t id)
{
	for (size_t i = 0; i < md->count; i++)
		if (md->held[i].id == id)
			return (long)i;
	return -1;
}

static void model_pop(struct model *md)
{
	memmove(&md->held[0], &md->held[1], (md->count - 1) * sizeof(md->held[0]));
	md->count--;
}

static void model_expire(struct model *md, uint64_t now)
{
	while (md->count > 0 && md->held[0].expiry <= now)
		model_pop(md);
}

static int model_add(struct model *md, size_t id, uint64_t expiry, uint64_t now)
{
	long i = model_find(md, id);
	if (i >= 0) {
		if (expiry > md->held[i].expiry)
			md->held[i].expiry = expiry;
		return 0;
	}
	model_expire(md, now);
	if (md->max == 0)
		return HS_ERR_FULL;
	if (md->count >= md->max)
		model_pop(md);
	md->held[md->count].id = id;
	md->held[md->count].expiry = expiry;
	md->count++;
	return 0;
}

static bool model_has(const struct model *md, size_t id, uint64_t now)
{
	long i = model_find(md, id);
	return i >= 0 && md->held[i].expiry > now;
}

static bool check(const struct hs_seen *s, const struct model *md, uint64_t now, bool full)
{
	EXPECT(hs_seen_count(s) == md->count);
	for (size_t i = 0; i < md->count; i++) /* arrival order: each element starts with its id */
		EXPECT(memcmp(hs_idring_at(&s->ring, i), md->pool[md->held[i].id], HS_ID_LEN) == 0);
	for (size_t i = 0; full && i < md->npool; i++)
		EXPECT(hs_seen_has(s, md->pool[i], now) == model_has(md, i, now));
	return true;
}

static uint64_t advance(struct test_rng *rng, uint64_t now)
{
	uint64_t k = test_rng_below(rng, 100);
	if (k < 40)
		return now; /* many operations at one instant */
	if (k < 95)
		return now + 1 + test_rng_below(rng, 4);
	return now + test_rng_below(rng, 200); /* a jump past most expiries */
}

static bool run(uint64_t seed, int ops)
{
	static const size_t maxes[] = { 0, 1, 2, 5, 16, 17, HELD_MAX };
	static struct model md;
	struct test_rng rng;
	test_rng_seed(&rng, seed);
	g_seed = seed;
	g_op = -1;
	memset(&md, 0, sizeof(md));
	md.max = maxes[seed % (sizeof(maxes) / sizeof(maxes[0]))]; /* each in turn */
	md.npool = md.max * 2 + 6;
	for (size_t i = 0; i < md.npool; i++) {
		test_rng_bytes(&rng, md.pool[i], HS_ID_LEN);
		md.pool[i][0] = (uint8_t)i; /* distinct */
	}
	uint8_t key[16];
	test_rng_bytes(&rng, key, sizeof(key));
	struct hs_seen s;
	hs_seen_init(&s, key, md.max);
	uint64_t now = 1000 + test_rng_below(&rng, 1000);
	int every = md.max >= 16 ? 2 : 1;
	bool ok = true;
	for (g_op = 0; g_op < ops && ok; g_op++) {
		now = advance(&rng, now);
		size_t id = (size_t)test_rng_below(&rng, md.npool);
		uint64_t k = test_rng_below(&rng, 100);
		if (k < 70) {
			/* Expiries in the past, at now (already not remembered) and ahead. */
			uint64_t expiry = now - 5 + test_rng_below(&rng, 60);
			int want = model_add(&md, id, expiry, now);
			int got = hs_seen_add(&s, md.pool[id], expiry, now);
			if (got != want) {
				fprintf(stderr, "add: got %d want %d\n", got, want);
				ok = false;
			}
		} else if (k < 85) {
			model_expire(&md, now);
			hs_seen_expire(&s, now);
		} /* else: has only, below */
		ok = ok && check(&s, &md, now, g_op % every == 0);
	}
	if (!ok)
		fprintf(stderr, "seen model: seed %" PRIu64 " (HS_TEST_SEED=%" PRIu64 ") fails\n",
		        seed, seed);
	hs_seen_deinit(&s);
	return ok;
}

static void test_model(void)
{
	model_seeds(run, 0x7365656e00000000u, 24, 3000); /* "seen" */
}

/* The node's use: an id stays remembered up to its expiry, a later add extends it. */
static void test_extend(void)
{
	uint8_t key[16] = { 1 }, a[HS_ID_LEN] = { 0xaa };
	struct hs_seen s;
	hs_seen_init(&s, key, 4);
	CHECK_EQ(hs_seen_add(&s, a, 100, 10), 0);
	CHECK(hs_seen_has(&s, a, 99));
	CHECK(!hs_seen_has(&s, a, 100));
	CHECK_EQ(hs_seen_add(&s, a, 50, 20), 0); /* an earlier expiry does not shorten it */
	CHECK(hs_seen_has(&s, a, 99));
	CHECK_EQ(hs_seen_add(&s, a, 200, 30), 0);
	CHECK(hs_seen_has(&s, a, 199));
	hs_seen_expire(&s, 199);
	CHECK_EQ(hs_seen_count(&s), 1);
	hs_seen_expire(&s, 200);
	CHECK_EQ(hs_seen_count(&s), 0);
	hs_seen_deinit(&s);
	hs_seen_init(&s, key, 0);
	CHECK_EQ(hs_seen_add(&s, a, 100, 10), HS_ERR_FULL);
	CHECK(!hs_seen_has(&s, a, 10));
	hs_seen_deinit(&s);
}

int main(void)
{
	RUN(test_model);
	RUN(test_extend);
	return hs_test_done();
}

/*
 * crypto/idmap.c against a deliberately naive model: an array of (id, value, present) over a
 * fixed pool of ids, searched linearly. Random put/get/del/write-through-pointer sequences from
 * fixed seeds; after every operation the map must agree with the model on the result, the
 * count and (every few operations, for big pools) every id of the pool, and its table must be
 * sound: a power-of-two capacity no larger than entries_max needs, at most 3/4 full, and every
 * occupied slot reachable from its id (backward-shift deletion leaves no holes in a probe run).
 * A failure prints the seed; HS_TEST_SEED=<seed> replays it alone.
 */
#include <stdbool.h>

#define MODEL_NAME "idmap"
#include "crypto/crypto.h"
#include "crypto/idmap.h"
#include "harness.h"
#include "model.h"
#include "testrng.h"

#define POOL_MAX 640

struct model {
	uint8_t id[POOL_MAX][HS_ID_LEN];
	uint32_t value[POOL_MAX];
	bool present[POOL_MAX];
	size_t pool, count, entries_max;
};

/* The capacity entries_max needs: the smallest power of two >= 16 that holds it 3/4 full. */
static size_t cap_bound(size_t entries_max)
{
	size_t c = 16;
	while (entries_max * 4 > c * 3)
		c *= 2;
	return c;
}

/* The cheap invariants, after every operation. */
static bool check_shape(const struct hs_idmap *m, const struct model *md)
{
	EXPECT(m->count == md->count);
	if (m->cap == 0) {
		EXPECT(m->count == 0 && m->slots == NULL);
		return true;
	}
	EXPECT((m->cap & (m->cap - 1)) == 0 && m->cap >= 16);
	EXPECT(m->cap <= cap_bound(md->entries_max));
	EXPECT(m->count * 4 <= m->cap * 3);
	return true;
}

/* Every occupied slot is found from its id, and there are count of them. */
static bool check_table(const struct hs_idmap *m, const struct model *md)
{
	if (!check_shape(m, md))
		return false;
	size_t used = 0;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].used)
			continue;
		used++;
		EXPECT(hs_idmap_get(m, m->slots[i].id) == &m->slots[i].value);
	}
	EXPECT(used == m->count);
	return true;
}

static bool check_all(const struct hs_idmap *m, const struct model *md)
{
	for (size_t i = 0; i < md->pool; i++) {
		const uint32_t *v = hs_idmap_get(m, md->id[i]);
		EXPECT((v != NULL) == md->present[i]);
		EXPECT(!v || *v == md->value[i]);
	}
	return check_table(m, md);
}

/* A pool of ids: random ones, and runs that differ only in their last byte. */
static void make_pool(struct test_rng *rng, struct model *md)
{
	for (size_t i = 0; i < md->pool; i++) {
		if (i > 0 && test_rng_below(rng, 4) == 0) {
			memcpy(md->id[i], md->id[i - 1], HS_ID_LEN);
			md->id[i][HS_ID_LEN - 1] = (uint8_t)(md->id[i - 1][HS_ID_LEN - 1] + 1 + i);
			/* A clash with an earlier id would make the pool ambiguous: redraw it. */
			for (size_t j = 0; j < i; j++)
				if (memcmp(md->id[j], md->id[i], HS_ID_LEN) == 0) {
					test_rng_bytes(rng, md->id[i], HS_ID_LEN);
					break;
				}
		} else {
			test_rng_bytes(rng, md->id[i], HS_ID_LEN);
		}
	}
}

static bool run(uint64_t seed, int ops)
{
	static const size_t maxes[] = { 0, 1, 2, 3, 11, 12, 13, 24, 25, 48, 100, 200 };
	static struct model md;
	struct test_rng rng;
	test_rng_seed(&rng, seed);
	g_seed = seed;
	g_op = -1;
	memset(&md, 0, sizeof(md));
	md.entries_max = maxes[seed % (sizeof(maxes) / sizeof(maxes[0]))]; /* each in turn */
	md.pool = 2 * md.entries_max + 8;
	make_pool(&rng, &md);
	uint8_t key[16];
	test_rng_bytes(&rng, key, sizeof(key));
	struct hs_idmap m;
	hs_idmap_init(&m, key, md.entries_max);
	size_t every = md.pool <= 64 ? 1 : 16;
	bool ok = true;
	for (g_op = 0; g_op < ops && ok; g_op++) {
		size_t i = (size_t)test_rng_below(&rng, md.pool);
		uint64_t kind = test_rng_below(&rng, 100);
		if (kind < 45) {
			uint32_t v = (uint32_t)test_rng_next(&rng);
			int want = md.present[i]                ? HS_ERR_EXISTS
			           : md.count >= md.entries_max ? HS_ERR_FULL
			                                        : 0;
			int got = hs_idmap_put(&m, md.id[i], v);
			if (got != want) {
				fprintf(stderr, "put: got %d want %d\n", got, want);
				ok = false;
				break;
			}
			if (got == 0) {
				md.present[i] = true;
				md.value[i] = v;
				md.count++;
			}
		} else if (kind < 80) {
			bool got = hs_idmap_del(&m, md.id[i]);
			if (got != md.present[i]) {
				fprintf(stderr, "del: got %d want %d\n", got, md.present[i]);
				ok = false;
				break;
			}
			if (got) {
				md.present[i] = false;
				md.count--;
			}
		} else {
			/* get, and write through the pointer it returns */
			uint32_t *v = hs_idmap_get(&m, md.id[i]);
			if ((v != NULL) != md.present[i] || (v && *v != md.value[i])) {
				fprintf(stderr, "get disagrees\n");
				ok = false;
				break;
			}
			if (v && kind < 90) {
				*v = (uint32_t)test_rng_next(&rng);
				md.value[i] = *v;
			}
		}
		ok = g_op % (int)every == 0 ? check_all(&m, &md) : check_shape(&m, &md);
	}
	if (ok) {
		g_op = ops;
		ok = check_all(&m, &md);
	}
	if (!ok)
		fprintf(stderr, "idmap model: seed %" PRIu64 " (HS_TEST_SEED=%" PRIu64 ") fails\n",
		        seed, seed);
	hs_idmap_deinit(&m);
	return ok;
}

static void test_model(void)
{
	model_seeds(run, 0x69646d6170000000u, 24, 2500); /* "idmap" */
}

/* Edges the random runs reach only by chance. */
static void test_edges(void)
{
	uint8_t key[16] = { 7 }, a[HS_ID_LEN] = { 1 }, b[HS_ID_LEN] = { 2 };
	struct hs_idmap m;
	/* entries_max 0: nothing fits and no memory is taken. */
	hs_idmap_init(&m, key, 0);
	CHECK_EQ(hs_idmap_put(&m, a, 1), HS_ERR_FULL);
	CHECK(hs_idmap_get(&m, a) == NULL);
	CHECK(!hs_idmap_del(&m, a));
	CHECK(m.cap == 0);
	hs_idmap_deinit(&m);
	/* Full, then a removal makes room again; the same id twice is refused. */
	hs_idmap_init(&m, key, 1);
	CHECK_EQ(hs_idmap_put(&m, a, 5), 0);
	CHECK_EQ(hs_idmap_put(&m, a, 6), HS_ERR_EXISTS);
	CHECK_EQ(hs_idmap_put(&m, b, 6), HS_ERR_FULL);
	CHECK(hs_idmap_del(&m, a));
	CHECK_EQ(hs_idmap_put(&m, b, 6), 0);
	CHECK(hs_idmap_get(&m, b) && *hs_idmap_get(&m, b) == 6);
	CHECK(hs_idmap_get(&m, a) == NULL);
	hs_idmap_deinit(&m);
	/* 12 entries fit a 16-slot table; the 13th needs 32 slots. */
	hs_idmap_init(&m, key, 13);
	for (uint8_t i = 0; i < 12; i++) {
		a[0] = i;
		CHECK_EQ(hs_idmap_put(&m, a, i), 0);
	}
	CHECK_EQ(m.cap, 16);
	a[0] = 12;
	CHECK_EQ(hs_idmap_put(&m, a, 12), 0);
	CHECK_EQ(m.cap, 32);
	hs_idmap_deinit(&m);
}

int main(void)
{
	RUN(test_model);
	RUN(test_edges);
	return hs_test_done();
}

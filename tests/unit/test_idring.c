/*
 * overlay/idring.c against a deliberately naive model: a plain array of (id, payload) in
 * arrival order, popped by moving everything down one place. Random push/find/at/pop sequences
 * from fixed seeds, some starting with the 32-bit arrival number just below its wrap (as after
 * 2^32 arrivals); after every operation the ring must agree with the model on the result, on
 * every element in order (at) and its storage must stay within the power of two above
 * elems_max; every operation (every fourth, for big rings) also on find for every id held and
 * for absent ones (an eighth of the pool each time).
 * A failure prints the seed; HS_TEST_SEED=<seed> replays it alone.
 */
#include <stdbool.h>

#define MODEL_NAME "idring"
#include "harness.h"
#include "model.h"
#include "overlay/idring.h"
#include "testrng.h"

#define POOL_MAX 200
#define HELD_MAX 80

struct elem {
	uint8_t id[HS_ID_LEN];
	uint64_t payload;
	uint8_t tail[5];
};

struct model {
	uint8_t pool[POOL_MAX][HS_ID_LEN];
	size_t npool;
	struct elem held[HELD_MAX]; /* oldest first */
	size_t count, max;
};

static long model_find(const struct model *md, const uint8_t id[HS_ID_LEN])
{
	for (size_t i = 0; i < md->count; i++)
		if (memcmp(md->held[i].id, id, HS_ID_LEN) == 0)
			return (long)i;
	return -1;
}

static bool same(const struct elem *a, const struct elem *b)
{
	return memcmp(a->id, b->id, HS_ID_LEN) == 0 && a->payload == b->payload &&
	       memcmp(a->tail, b->tail, sizeof(a->tail)) == 0;
}

/* Count and order after every operation; find too when full. */
static bool check(const struct hs_idring *r, const struct model *md, bool full)
{
	EXPECT(r->count == md->count);
	EXPECT(r->count <= r->elems_max);
	EXPECT(r->map.count == md->count);
	size_t bound = 16;
	while (bound < md->max)
		bound *= 2;
	EXPECT(r->cap == 0 || ((r->cap & (r->cap - 1)) == 0 && r->cap <= bound));
	for (size_t i = 0; i < md->count; i++) {
		const struct elem *e = hs_idring_at(r, i);
		EXPECT(same(e, &md->held[i]));
		EXPECT(!full || hs_idring_find(r, md->held[i].id) == e);
	}
	if (!full)
		return true;
	for (size_t i = (size_t)g_op % 8; i < md->npool; i += 8) /* an eighth of the pool */
		if (model_find(md, md->pool[i]) < 0)
			EXPECT(hs_idring_find(r, md->pool[i]) == NULL);
	return true;
}

static bool step(struct test_rng *rng, struct hs_idring *r, struct model *md)
{
	const uint8_t *id = md->pool[test_rng_below(rng, md->npool)];
	uint64_t kind = test_rng_below(rng, 100);
	if (kind < 55) {
		int want = model_find(md, id) >= 0 ? HS_ERR_EXISTS
		           : md->count >= md->max  ? HS_ERR_FULL
		                                   : 0;
		void *slot = NULL;
		int got = hs_idring_push(r, id, &slot);
		EXPECT(got == want);
		if (got != 0)
			return true;
		struct elem zero = { .payload = 0 };
		memcpy(zero.id, id, HS_ID_LEN);
		EXPECT(same(slot, &zero)); /* a zeroed element with its id set */
		struct elem *e = slot;
		e->payload = test_rng_next(rng);
		test_rng_bytes(rng, e->tail, sizeof(e->tail));
		md->held[md->count++] = *e;
	} else if (kind < 80) {
		if (md->count == 0)
			return true;
		hs_idring_pop(r);
		memmove(&md->held[0], &md->held[1], (md->count - 1) * sizeof(md->held[0]));
		md->count--;
	} else if (kind < 90) {
		/* Rewrite an element through find: the ring hands out its storage. */
		long i = model_find(md, id);
		struct elem *e = hs_idring_find(r, id);
		EXPECT((e != NULL) == (i >= 0));
		if (e) {
			e->payload = test_rng_next(rng);
			md->held[i].payload = e->payload;
		}
	} else if (md->count > 0) {
		size_t i = (size_t)test_rng_below(rng, md->count);
		struct elem *e = hs_idring_at(r, i);
		test_rng_bytes(rng, e->tail, sizeof(e->tail));
		memcpy(md->held[i].tail, e->tail, sizeof(e->tail));
	}
	return true;
}

static bool run(uint64_t seed, int ops)
{
	static const size_t maxes[] = { 0, 1, 2, 15, 16, 17, 33, 64, HELD_MAX };
	static struct model md;
	struct test_rng rng;
	test_rng_seed(&rng, seed);
	g_seed = seed;
	g_op = -1;
	memset(&md, 0, sizeof(md));
	md.max = maxes[seed % (sizeof(maxes) / sizeof(maxes[0]))]; /* each in turn */
	md.npool = md.max * 2 + 4;
	for (size_t i = 0; i < md.npool; i++) {
		test_rng_bytes(&rng, md.pool[i], HS_ID_LEN);
		md.pool[i][0] = (uint8_t)i; /* distinct */
		md.pool[i][1] = (uint8_t)(i >> 8);
	}
	uint8_t key[16];
	test_rng_bytes(&rng, key, sizeof(key));
	struct hs_idring r;
	hs_idring_init(&r, key, sizeof(struct elem), md.max);
	if (test_rng_below(&rng, 2))
		r.head_seq = UINT32_MAX - (uint32_t)test_rng_below(&rng, 64); /* near the wrap */
	int every = md.max <= 17 ? 1 : 4;
	bool ok = true;
	for (g_op = 0; g_op < ops && ok; g_op++)
		ok = step(&rng, &r, &md) && check(&r, &md, g_op % every == 0);
	if (!ok)
		fprintf(stderr, "idring model: seed %" PRIu64 " (HS_TEST_SEED=%" PRIu64 ") fails\n",
		        seed, seed);
	while (r.count > 0)
		hs_idring_pop(&r);
	hs_idring_deinit(&r);
	return ok;
}

static void test_model(void)
{
	model_seeds(run, 0x696472696e670000u, 16, 2500); /* "idring" */
}

int main(void)
{
	RUN(test_model);
	return hs_test_done();
}

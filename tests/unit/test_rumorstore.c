/*
 * overlay/rumorstore.c against a deliberately naive model: an array of copies in arrival order,
 * searched linearly. The contract (rumorstore.h): add copies the encoding, refuses with
 * HS_ERR_TOO_LARGE what could never fit (or a topic outside it), with HS_ERR_EXISTS an id it
 * holds (even expired: an entry stays held until expire or eviction reaches it), with
 * HS_ERR_FULL anything when count_max is 0; otherwise it forgets the expired entries at the old
 * end, then the oldest arrivals until both the count and the byte total have room. find sees
 * only unexpired entries; the knows bits are per entry and forget_peer clears one slot's bit
 * everywhere; newest lists entries newest first, expired or not.
 *
 * Random add/find/knows/forget_peer/expire sequences from fixed seeds, with count and byte
 * bounds from tight to loose; after every operation the store must agree with the model on
 * the result, the count, the byte total and every field and byte of every entry in order, and
 * (every fourth operation, for big stores) on find for every id of the pool.
 * A failure prints the seed; HS_TEST_SEED=<seed> replays it alone.
 */
#include <stdbool.h>

#define MODEL_NAME "rumorstore"
#include "harness.h"
#include "model.h"
#include "overlay/rumorstore.h"
#include "testrng.h"

#define POOL_MAX 90
#define HELD_MAX 40
#define ENC_MAX  1200

struct mrumor {
	size_t id; /* index in pool */
	uint8_t enc[ENC_MAX];
	size_t enclen, topic_off, topic_len;
	uint64_t origin_ns, received_ns, expiry_ns;
	uint64_t knows[HS_PEER_WORDS];
};

struct model {
	uint8_t pool[POOL_MAX][HS_ID_LEN];
	size_t npool;
	struct mrumor held[HELD_MAX]; /* oldest first */
	size_t count, count_max, bytes, bytes_max;
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
	md->bytes -= md->held[0].enclen;
	memmove(&md->held[0], &md->held[1], (md->count - 1) * sizeof(md->held[0]));
	md->count--;
}

static void model_expire(struct model *md, uint64_t now)
{
	while (md->count > 0 && md->held[0].expiry_ns <= now)
		model_pop(md);
}

static int model_add(struct model *md, const struct mrumor *r, uint64_t now)
{
	if (r->enclen > md->bytes_max || r->topic_off + r->topic_len > r->enclen)
		return HS_ERR_TOO_LARGE;
	if (model_find(md, r->id) >= 0)
		return HS_ERR_EXISTS;
	if (md->count_max == 0)
		return HS_ERR_FULL;
	model_expire(md, now);
	while (md->count > 0 &&
	       (md->count >= md->count_max || md->bytes + r->enclen > md->bytes_max))
		model_pop(md);
	md->held[md->count] = *r;
	md->held[md->count].received_ns = now;
	md->count++;
	md->bytes += r->enclen;
	return 0;
}

static bool same(const struct hs_stored_rumor *s, const struct model *md, const struct mrumor *m)
{
	return memcmp(s->id, md->pool[m->id], HS_ID_LEN) == 0 && s->enclen == m->enclen &&
	       (m->enclen == 0 || memcmp(s->enc, m->enc, m->enclen) == 0) &&
	       s->topic_off == m->topic_off && s->topic_len == m->topic_len &&
	       s->origin_ns == m->origin_ns && s->received_ns == m->received_ns &&
	       s->expiry_ns == m->expiry_ns && memcmp(s->knows, m->knows, sizeof(m->knows)) == 0;
}

static bool check(const struct hs_rumorstore *st, const struct model *md, uint64_t now, bool full)
{
	EXPECT(hs_rumorstore_count(st) == md->count);
	EXPECT(st->bytes == md->bytes);
	EXPECT(st->bytes <= st->bytes_max);
	for (size_t i = 0; i < md->count; i++) {
		const struct mrumor *m = &md->held[md->count - 1 - i];
		const struct hs_stored_rumor *s = hs_rumorstore_newest(st, i);
		EXPECT(same(s, md, m));
		EXPECT(!full || hs_rumorstore_find(st, md->pool[m->id], now) ==
		                        (m->expiry_ns > now ? s : NULL));
	}
	for (size_t i = 0; full && i < md->npool; i++)
		if (model_find(md, i) < 0)
			EXPECT(hs_rumorstore_find(st, md->pool[i], now) == NULL);
	return true;
}

/* A rumor to add: mostly fitting, sometimes too large or with its topic out of bounds. */
static void make_rumor(struct test_rng *rng, const struct model *md, struct mrumor *r, uint64_t now)
{
	memset(r, 0, sizeof(*r));
	r->id = (size_t)test_rng_below(rng, md->npool);
	uint64_t k = test_rng_below(rng, 100);
	size_t top = md->bytes_max < ENC_MAX - 8 ? md->bytes_max : ENC_MAX - 8;
	if (k < 5)
		r->enclen = top + test_rng_below(rng, 3); /* at and just past bytes_max */
	else if (k < 10)
		r->enclen = 0;
	else
		r->enclen = (size_t)test_rng_below(rng, top / 3 + 2);
	if (r->enclen > ENC_MAX)
		r->enclen = ENC_MAX;
	test_rng_bytes(rng, r->enc, r->enclen);
	r->topic_off = (size_t)test_rng_below(rng, r->enclen + 1);
	r->topic_len = (size_t)test_rng_below(rng, r->enclen - r->topic_off + 1);
	if (test_rng_below(rng, 20) == 0)
		r->topic_len = r->enclen - r->topic_off + 1 + test_rng_below(rng, 3); /* outside */
	r->origin_ns = now - test_rng_below(rng, 30);
	r->expiry_ns = now - 3 + test_rng_below(rng, 80); /* some already expired */
}

static bool step(struct test_rng *rng, struct hs_rumorstore *st, struct model *md, uint64_t now)
{
	uint64_t k = test_rng_below(rng, 100);
	if (k < 50) {
		static struct mrumor r;
		make_rumor(rng, md, &r, now);
		int want = model_add(md, &r, now);
		struct hs_stored_rumor *out = NULL;
		int got = hs_rumorstore_add(st, &out, md->pool[r.id], r.enc, r.enclen, r.topic_off,
		                            r.topic_len, r.origin_ns, r.expiry_ns, now);
		EXPECT(got == want);
		EXPECT(got != 0 || out == hs_rumorstore_newest(st, 0));
	} else if (k < 80) {
		/* Mark that a peer knows a held rumor, through find or through newest. */
		unsigned p = (unsigned)test_rng_below(rng, HS_PEERS_MAX);
		if (md->count == 0)
			return true;
		size_t i = (size_t)test_rng_below(rng, md->count);
		struct mrumor *m = &md->held[md->count - 1 - i];
		struct hs_stored_rumor *s = hs_rumorstore_find(st, md->pool[m->id], now);
		EXPECT((s != NULL) == (m->expiry_ns > now));
		if (!s)
			s = hs_rumorstore_newest(st, i);
		hs_knows_set(s, p);
		m->knows[p / 64] |= (uint64_t)1 << (p % 64);
		EXPECT(hs_knows(s, p));
	} else if (k < 90) {
		unsigned p = (unsigned)test_rng_below(rng, HS_PEERS_MAX);
		hs_rumorstore_forget_peer(st, p);
		for (size_t i = 0; i < md->count; i++)
			md->held[i].knows[p / 64] &= ~((uint64_t)1 << (p % 64));
	} else {
		hs_rumorstore_expire(st, now);
		model_expire(md, now);
	}
	return true;
}

static bool run(uint64_t seed, int ops)
{
	static const size_t counts[] = { 0, 1, 2, 7, 16, HELD_MAX };
	static const size_t bytes[] = { 0, 1, 40, 300, 1000, 100000 };
	static struct model md;
	struct test_rng rng;
	test_rng_seed(&rng, seed);
	g_seed = seed;
	g_op = -1;
	memset(&md, 0, sizeof(md));
	md.count_max = counts[seed % 6]; /* each bound in turn */
	md.bytes_max = bytes[seed / 6 % 6];
	md.npool = md.count_max * 2 + 6;
	for (size_t i = 0; i < md.npool; i++) {
		test_rng_bytes(&rng, md.pool[i], HS_ID_LEN);
		md.pool[i][0] = (uint8_t)i; /* distinct */
	}
	uint8_t key[16];
	test_rng_bytes(&rng, key, sizeof(key));
	struct hs_rumorstore st;
	hs_rumorstore_init(&st, key, md.count_max, md.bytes_max);
	uint64_t now = 1000;
	int every = md.count_max >= 16 ? 4 : 1;
	bool ok = true;
	for (g_op = 0; g_op < ops && ok; g_op++) {
		uint64_t k = test_rng_below(&rng, 100);
		now += k < 40   ? 0
		       : k < 97 ? 1 + test_rng_below(&rng, 3)
		                : test_rng_below(&rng, 100);
		ok = step(&rng, &st, &md, now) && check(&st, &md, now, g_op % every == 0);
	}
	if (!ok)
		fprintf(stderr,
		        "rumorstore model: seed %" PRIu64 " (HS_TEST_SEED=%" PRIu64 ") fails\n",
		        seed, seed);
	hs_rumorstore_deinit(&st);
	return ok;
}

static void test_model(void)
{
	model_seeds(run, 0x72756d6f72000000u, 24, 2500); /* "rumor" */
}

int main(void)
{
	RUN(test_model);
	return hs_test_done();
}

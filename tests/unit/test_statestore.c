/*
 * overlay/statestore.c against a deliberately naive model: an array of (origin, key) slots
 * searched linearly, last writer wins by (generation, version). The contract (statestore.h):
 *
 *   - an entry whose id is held is a DUPLICATE; an entry older than the one held for its
 *     (origin, key) is OLDER and changes nothing;
 *   - a newer one (or the first) is NEWER: it replaces the held one (its peer bits cleared) and
 *     stamps its origin as updated now; a tombstone is an entry like any other;
 *   - equal (generation, version) with other bytes is an EQUIVOCATION: a proof of the two
 *     encodings is recorded (the first HS_EQUIVOCATIONS_MAX kept, all counted) and the entry
 *     with the smaller id is the one held, whatever the order of arrival;
 *   - an origin holds at most HS_STATE_KEYS_PER_ORIGIN keys (HS_ERR_FULL past that);
 *   - the store holds at most entries_max entries and bytes_max bytes: to make room for a new
 *     key, or for the difference of a larger replacement, every entry of the origin updated
 *     longest ago (never the entry's own origin) is evicted, each reported to on_evict;
 *     HS_ERR_FULL, evicting nothing, when the entry would not fit beside its own origin's;
 *   - an origin is known (hs_statestore_origin) exactly while it holds entries, with the
 *     highest (generation, version) it holds.
 *
 * Random sequences of fresh entries, re-deliveries, equivocations, tombstones, peer bits and
 * forget_peer from fixed seeds, with bounds from one entry to a greedy origin at its key cap;
 * after every operation (every few, for the big runs) the store must agree with the model on
 * the result, every entry (bytes, times, bits; by key and by id), every origin, the counts, the
 * byte total, the evictions and the proofs, and its own lists and slot array must be sound.
 * A failure prints the seed; HS_TEST_SEED=<seed> replays it alone.
 */
#include <stdbool.h>

#define MODEL_NAME "statestore"
#include "crypto/crypto.h"
#include "harness.h"
#include "model.h"
#include "overlay/entry.h"
#include "overlay/statestore.h"
#include "testrng.h"

#define ORIGINS     6
#define SLOTS_MAX   300
#define ENC_MAX     600
#define HIST_MAX    64
#define GREEDY_KEYS (HS_STATE_KEYS_PER_ORIGIN + 20)

struct mentry {
	size_t origin;
	unsigned key;
	uint64_t gen, ver;
	uint8_t id[HS_ID_LEN];
	uint8_t enc[ENC_MAX];
	size_t enclen;
};

struct mslot {
	struct mentry e;
	uint64_t received_ns;
	uint64_t knows[HS_PEER_WORDS];
};

struct morigin {
	bool present;
	uint64_t updated_ns;
};

struct mproof {
	uint8_t a[ENC_MAX], b[ENC_MAX];
	size_t alen, blen;
};

struct model {
	uint8_t origin_key[ORIGINS][HS_KEY_LEN];
	struct mslot slot[SLOTS_MAX];
	size_t count, entries_max, bytes, bytes_max;
	struct morigin origin[ORIGINS];
	struct mproof proof[HS_EQUIVOCATIONS_MAX];
	size_t nproofs, proofs_seen;
	uint8_t evicted[SLOTS_MAX][HS_ID_LEN]; /* by the last apply */
	size_t nevicted;
	struct mentry hist[HIST_MAX]; /* entries made so far, to deliver again */
	size_t nhist;
	bool greedy; /* origin 0 draws from GREEDY_KEYS keys */
};

/* What on_evict reported during the last apply. */
static uint8_t g_evicted[SLOTS_MAX][HS_ID_LEN];
static size_t g_nevicted;
/* What the runs reached, so that a change that stops reaching a case is noticed. */
static struct {
	unsigned long result[4], full, cap_full, evicted, replace_evicted, tombstones;
} g_reached;

static void on_evict(void *ctx, const struct hs_state_slot *slot)
{
	(void)ctx;
	if (g_nevicted < SLOTS_MAX)
		memcpy(g_evicted[g_nevicted], slot->id, HS_ID_LEN);
	g_nevicted++;
}

/* ---- the model ----------------------------------------------------------------------- */

static bool newer(uint64_t g1, uint64_t v1, uint64_t g2, uint64_t v2)
{
	return g1 > g2 || (g1 == g2 && v1 > v2);
}

static long model_by_key(const struct model *md, size_t origin, unsigned key)
{
	for (size_t i = 0; i < md->count; i++)
		if (md->slot[i].e.origin == origin && md->slot[i].e.key == key)
			return (long)i;
	return -1;
}

static long model_by_id(const struct model *md, const uint8_t id[HS_ID_LEN])
{
	for (size_t i = 0; i < md->count; i++)
		if (memcmp(md->slot[i].e.id, id, HS_ID_LEN) == 0)
			return (long)i;
	return -1;
}

static size_t model_keys(const struct model *md, size_t origin)
{
	size_t n = 0;
	for (size_t i = 0; i < md->count; i++)
		n += md->slot[i].e.origin == origin;
	return n;
}

/* Evicts every entry of the stalest origin other than keep; false if there is none. */
static bool model_evict(struct model *md, size_t keep)
{
	size_t w = ORIGINS;
	for (size_t o = 0; o < ORIGINS; o++)
		if (o != keep && md->origin[o].present &&
		    (w == ORIGINS || md->origin[o].updated_ns < md->origin[w].updated_ns))
			w = o;
	if (w == ORIGINS)
		return false;
	for (size_t i = 0; i < md->count;) {
		if (md->slot[i].e.origin != w) {
			i++;
			continue;
		}
		memcpy(md->evicted[md->nevicted++], md->slot[i].e.id, HS_ID_LEN);
		md->bytes -= md->slot[i].e.enclen;
		md->slot[i] = md->slot[--md->count];
	}
	md->origin[w].present = false;
	return true;
}

/* Evicts other origins until entries more entries and grow more bytes fit; false, evicting
 * nothing, when they cannot fit beside keep's own entries. */
static bool model_make_room(struct model *md, size_t keep, size_t entries, size_t grow)
{
	size_t keys = 0, bytes = 0;
	for (size_t i = 0; i < md->count; i++)
		if (md->slot[i].e.origin == keep) {
			keys++;
			bytes += md->slot[i].e.enclen;
		}
	if (keys + entries > md->entries_max || bytes + grow > md->bytes_max)
		return false;
	while (md->count + entries > md->entries_max || md->bytes + grow > md->bytes_max) {
		bool evicted = model_evict(md, keep);
		if (!evicted)
			abort(); /* keep alone fits: another origin is left */
		if (entries == 0)
			g_reached.replace_evicted++;
	}
	return true;
}

static void model_proof(struct model *md, const struct mentry *held, const struct mentry *e)
{
	md->proofs_seen++;
	if (md->nproofs >= HS_EQUIVOCATIONS_MAX)
		return;
	struct mproof *p = &md->proof[md->nproofs++];
	memcpy(p->a, held->enc, held->enclen);
	p->alen = held->enclen;
	memcpy(p->b, e->enc, e->enclen);
	p->blen = e->enclen;
}

/* The model's apply: the error, the result and the model slot stored (-1 for none). */
static int model_apply(struct model *md, const struct mentry *e, uint64_t now,
                       enum hs_apply *result, long *stored)
{
	*stored = -1;
	md->nevicted = 0;
	if (model_by_id(md, e->id) >= 0) {
		*result = HS_APPLY_DUPLICATE;
		return 0;
	}
	long s = model_by_key(md, e->origin, e->key);
	if (s >= 0) {
		struct mslot *sl = &md->slot[s];
		if (newer(sl->e.gen, sl->e.ver, e->gen, e->ver)) {
			*result = HS_APPLY_OLDER;
			return 0;
		}
		if (sl->e.gen == e->gen && sl->e.ver == e->ver) {
			model_proof(md, &sl->e, e);
			*result = HS_APPLY_EQUIVOCATION;
			if (memcmp(e->id, sl->e.id, HS_ID_LEN) > 0)
				return 0;
		} else {
			*result = HS_APPLY_NEWER;
		}
		/* A larger replacement needs room too, made by other origins. */
		size_t grow = e->enclen > sl->e.enclen ? e->enclen - sl->e.enclen : 0;
		if (!model_make_room(md, e->origin, 0, grow))
			return HS_ERR_FULL;
		s = model_by_key(md, e->origin, e->key); /* eviction moves model slots */
		sl = &md->slot[s];
		md->bytes = md->bytes - sl->e.enclen + e->enclen;
		sl->e = *e;
		sl->received_ns = now;
		memset(sl->knows, 0, sizeof(sl->knows));
		md->origin[e->origin].updated_ns = now;
		*stored = s;
		return 0;
	}
	if (md->origin[e->origin].present && model_keys(md, e->origin) >= HS_STATE_KEYS_PER_ORIGIN)
		return HS_ERR_FULL;
	if (!model_make_room(md, e->origin, 1, e->enclen))
		return HS_ERR_FULL;
	struct mslot *sl = &md->slot[md->count];
	memset(sl, 0, sizeof(*sl));
	sl->e = *e;
	sl->received_ns = now;
	md->bytes += e->enclen;
	md->origin[e->origin].present = true;
	md->origin[e->origin].updated_ns = now;
	*stored = (long)md->count++;
	*result = HS_APPLY_NEWER;
	return 0;
}

/* ---- checking ------------------------------------------------------------------------ */

static void key_name(char out[16], unsigned key)
{
	snprintf(out, 16, "k%u", key);
}

static bool same_slot(const struct hs_state_slot *s, const struct model *md, const struct mslot *m)
{
	return memcmp(s->id, m->e.id, HS_ID_LEN) == 0 &&
	       memcmp(s->origin, md->origin_key[m->e.origin], HS_KEY_LEN) == 0 &&
	       s->enclen == m->e.enclen && s->enc && memcmp(s->enc, m->e.enc, m->e.enclen) == 0 &&
	       s->generation == m->e.gen && s->version == m->e.ver &&
	       s->received_ns == m->received_ns &&
	       memcmp(s->knows, m->knows, sizeof(m->knows)) == 0;
}

/* The store's own structure: free and used slots, each origin's list. */
static bool check_structure(const struct hs_statestore *st, const struct model *md)
{
	size_t used = 0, bytes = 0;
	for (size_t i = 0; i < st->cap; i++) {
		const struct hs_state_slot *s = hs_statestore_slot(st, i);
		if (!s->enc)
			continue;
		used++;
		bytes += s->enclen;
		EXPECT(hs_statestore_by_id(st, s->id) == s);
	}
	EXPECT(used == md->count && bytes == md->bytes);
	EXPECT(st->cap <= md->entries_max);
	size_t listed = 0;
	for (size_t o = 0; o < st->norigins; o++) {
		const struct hs_state_origin *so = &st->origins[o];
		EXPECT(so->head != UINT32_MAX && so->keys > 0);
		uint32_t prev = UINT32_MAX;
		size_t n = 0;
		for (uint32_t i = so->head; i != UINT32_MAX && n <= so->keys; n++) {
			EXPECT(i < st->cap && st->slots[i].enc != NULL);
			EXPECT(st->slots[i].oprev == prev);
			EXPECT(memcmp(st->slots[i].origin, so->origin, HS_KEY_LEN) == 0);
			prev = i;
			i = st->slots[i].onext;
		}
		EXPECT(n == so->keys);
		listed += n;
	}
	EXPECT(listed == md->count);
	return true;
}

static bool check(const struct hs_statestore *st, const struct model *md, bool full)
{
	EXPECT(st->count == md->count);
	EXPECT(st->bytes == md->bytes);
	EXPECT(st->count <= md->entries_max && st->bytes <= md->bytes_max);
	EXPECT(st->proofs_seen == md->proofs_seen && st->nproofs == md->nproofs);
	/* Each origin's key count and highest (generation, version), in one pass. */
	size_t keys[ORIGINS] = { 0 };
	uint64_t g[ORIGINS] = { 0 }, v[ORIGINS] = { 0 };
	for (size_t i = 0; i < md->count; i++) {
		const struct mentry *e = &md->slot[i].e;
		keys[e->origin]++;
		if (newer(e->gen, e->ver, g[e->origin], v[e->origin])) {
			g[e->origin] = e->gen;
			v[e->origin] = e->ver;
		}
	}
	size_t norigins = 0;
	for (size_t o = 0; o < ORIGINS; o++) {
		const struct hs_state_origin *so = hs_statestore_origin(st, md->origin_key[o]);
		EXPECT((so != NULL) == md->origin[o].present);
		EXPECT(md->origin[o].present == (keys[o] > 0));
		if (!so)
			continue;
		norigins++;
		EXPECT(so->generation == g[o] && so->version == v[o]);
		EXPECT(so->updated_ns == md->origin[o].updated_ns);
		EXPECT(so->keys == keys[o]);
	}
	EXPECT(st->norigins == norigins);
	if (!full)
		return true;
	for (size_t i = 0; i < md->count; i++) {
		const struct mslot *m = &md->slot[i];
		char k[16];
		key_name(k, m->e.key);
		const struct hs_state_slot *s = hs_statestore_get(st, md->origin_key[m->e.origin],
		                                                  (const uint8_t *)k, strlen(k));
		EXPECT(s && same_slot(s, md, m));
		EXPECT(hs_statestore_by_id(st, m->e.id) == s);
	}
	for (size_t i = 0; i < md->nproofs; i++) {
		const struct hs_equivocation *p = &st->proofs[i];
		const struct mproof *q = &md->proof[i];
		EXPECT(p->alen == q->alen && memcmp(p->a, q->a, q->alen) == 0);
		EXPECT(p->blen == q->blen && memcmp(p->b, q->b, q->blen) == 0);
	}
	return check_structure(st, md);
}

/* ---- operations ---------------------------------------------------------------------- */

/* Encodes m with a random kind and value: a large value big_in_10 times in ten. */
static void encode_entry(struct test_rng *rng, struct model *md, struct mentry *m,
                         unsigned big_in_10)
{
	char k[16];
	key_name(k, m->key);
	uint8_t value[400];
	struct hs_entry e = { .key = (const uint8_t *)k,
		              .key_len = strlen(k),
		              .generation = m->gen,
		              .version = m->ver };
	memcpy(e.origin, md->origin_key[m->origin], HS_KEY_LEN);
	if (test_rng_below(rng, 5) == 0) {
		e.kind = HS_ENTRY_TOMBSTONE;
		g_reached.tombstones++;
	} else {
		e.kind = HS_ENTRY_VALUE;
		e.value_len =
		        (size_t)(test_rng_below(rng, 10) < big_in_10 ? test_rng_below(rng, 400)
		                                                     : test_rng_below(rng, 4));
		test_rng_bytes(rng, value, e.value_len);
		e.value = value;
	}
	test_rng_bytes(rng, e.sig, sizeof(e.sig)); /* never checked by the store */
	if (hs_entry_encode(&e, m->enc, sizeof(m->enc), &m->enclen) != 0)
		abort();
	hs_blake2b256(m->id, m->enc, m->enclen);
}

/* A fresh entry: small generations and versions, so that re-uses of one (generation,
 * version) with other bytes — equivocations — are frequent. */
static void make_entry(struct test_rng *rng, struct model *md, struct mentry *m)
{
	memset(m, 0, sizeof(*m));
	m->origin = (size_t)test_rng_below(rng, ORIGINS);
	if (md->greedy && test_rng_below(rng, 2) == 0)
		m->origin = 0; /* the greedy origin: half of all entries, on many keys */
	bool greedy = md->greedy && m->origin == 0;
	m->key = (unsigned)test_rng_below(rng, greedy ? GREEDY_KEYS : 6);
	m->gen = test_rng_below(rng, 3);
	m->ver = test_rng_below(rng, 6);
	encode_entry(rng, md, m, 1);
}

/* The origin of a held entry updates its key: a newer version, often a larger value. */
static void make_update(struct test_rng *rng, struct model *md, struct mentry *m)
{
	const struct mentry *held = &md->slot[test_rng_below(rng, md->count)].e;
	memset(m, 0, sizeof(*m));
	m->origin = held->origin;
	m->key = held->key;
	m->gen = held->gen + (test_rng_below(rng, 8) == 0);
	m->ver = held->ver + 1;
	encode_entry(rng, md, m, 5);
}

static bool apply(struct hs_statestore *st, struct model *md, const struct mentry *m, uint64_t now)
{
	struct hs_entry e;
	EXPECT(hs_entry_decode(&e, m->enc, m->enclen) == 0);
	enum hs_apply want_r = HS_APPLY_OLDER, got_r = HS_APPLY_OLDER;
	long stored;
	int want = model_apply(md, m, now, &want_r, &stored);
	struct hs_state_slot *slot = NULL;
	g_nevicted = 0;
	int got = hs_statestore_apply(st, &e, m->enc, m->enclen, m->id, now, &got_r, &slot);
	if (got != want || (got == 0 && got_r != want_r))
		fprintf(stderr, "apply: got %d/%d want %d/%d\n", got, (int)got_r, want,
		        (int)want_r);
	EXPECT(got == want);
	if (got == 0) {
		EXPECT(got_r == want_r);
		EXPECT((slot != NULL) == (stored >= 0));
		EXPECT(!slot || same_slot(slot, md, &md->slot[stored]));
	}
	if (got == 0)
		g_reached.result[got_r]++;
	else if (got == HS_ERR_FULL)
		g_reached.full++;
	g_reached.evicted += g_nevicted;
	if (got == HS_ERR_FULL && md->origin[m->origin].present &&
	    model_by_key(md, m->origin, m->key) < 0 &&
	    model_keys(md, m->origin) >= HS_STATE_KEYS_PER_ORIGIN)
		g_reached.cap_full++;
	/* The evictions reported are exactly the model's. */
	EXPECT(g_nevicted == md->nevicted);
	for (size_t i = 0; i < g_nevicted; i++) {
		bool found = false;
		for (size_t j = 0; j < md->nevicted && !found; j++)
			found = memcmp(g_evicted[i], md->evicted[j], HS_ID_LEN) == 0;
		EXPECT(found);
	}
	return true;
}

static bool step(struct test_rng *rng, struct hs_statestore *st, struct model *md, uint64_t now)
{
	uint64_t k = test_rng_below(rng, 100);
	if (k < 55 || md->nhist == 0) {
		struct mentry *m = &md->hist[md->nhist < HIST_MAX ? md->nhist++
		                                                  : test_rng_below(rng, HIST_MAX)];
		make_entry(rng, md, m);
		return apply(st, md, m, now);
	}
	if (k < 70) /* an entry seen before: a duplicate, an older one, or evicted and back */
		return apply(st, md, &md->hist[test_rng_below(rng, md->nhist)], now);
	if (k < 80 && md->count > 0) {
		struct mentry *m = &md->hist[md->nhist < HIST_MAX ? md->nhist++
		                                                  : test_rng_below(rng, HIST_MAX)];
		make_update(rng, md, m);
		return apply(st, md, m, now);
	}
	if (k < 92) {
		if (md->count == 0)
			return true;
		struct mslot *m = &md->slot[test_rng_below(rng, md->count)];
		unsigned p = (unsigned)test_rng_below(rng, HS_PEERS_MAX);
		struct hs_state_slot *s = hs_statestore_by_id(st, m->e.id);
		EXPECT(s != NULL);
		s->knows[p / 64] |= (uint64_t)1 << (p % 64);
		m->knows[p / 64] |= (uint64_t)1 << (p % 64);
		return true;
	}
	unsigned p = (unsigned)test_rng_below(rng, HS_PEERS_MAX);
	hs_statestore_forget_peer(st, p);
	for (size_t i = 0; i < md->count; i++)
		md->slot[i].knows[p / 64] &= ~((uint64_t)1 << (p % 64));
	return true;
}

static bool run(uint64_t seed, int ops)
{
	static const size_t entries[] = { 1, 2, 5, 12, 40 };
	static const size_t bytes[] = { 150, 600, 3000, 1u << 20 };
	static struct model md;
	struct test_rng rng;
	test_rng_seed(&rng, seed);
	g_seed = seed;
	g_op = -1;
	memset(&md, 0, sizeof(md));
	md.greedy = seed % 8 == 7; /* one run in eight: origin 0 up to its key cap */
	if (md.greedy) {
		md.entries_max = SLOTS_MAX;
		md.bytes_max = 1u << 20;
	} else {
		md.entries_max = entries[seed % 5]; /* each bound in turn */
		md.bytes_max = bytes[seed / 5 % 4];
	}
	for (size_t o = 0; o < ORIGINS; o++)
		test_rng_bytes(&rng, md.origin_key[o], HS_KEY_LEN);
	uint8_t secret[16];
	test_rng_bytes(&rng, secret, sizeof(secret));
	struct hs_statestore st;
	hs_statestore_init(&st, secret, md.entries_max, md.bytes_max);
	st.on_evict = on_evict;
	uint64_t now = 1000;
	int every = md.greedy ? 32 : md.entries_max >= 12 ? 4 : 1;
	bool ok = true;
	for (g_op = 0; g_op < ops && ok; g_op++) {
		now += 1 + test_rng_below(&rng, 1000); /* strictly later: no ties among origins */
		ok = step(&rng, &st, &md, now) && check(&st, &md, g_op % every == 0);
	}
	if (ok)
		ok = check(&st, &md, true);
	if (!ok)
		fprintf(stderr,
		        "statestore model: seed %" PRIu64 " (HS_TEST_SEED=%" PRIu64 ") fails\n",
		        seed, seed);
	hs_statestore_deinit(&st);
	return ok;
}

static void test_model(void)
{
	model_seeds(run, 0x7374617465000000u, 16, 2500); /* "state" */
	printf("statestore model: %lu newer, %lu older, %lu duplicate, %lu equivocation, %lu full "
	       "(%lu at the key cap), %lu evicted (%lu by a larger replacement), %lu tombstones\n",
	       g_reached.result[HS_APPLY_NEWER], g_reached.result[HS_APPLY_OLDER],
	       g_reached.result[HS_APPLY_DUPLICATE], g_reached.result[HS_APPLY_EQUIVOCATION],
	       g_reached.full, g_reached.cap_full, g_reached.evicted, g_reached.replace_evicted,
	       g_reached.tombstones);
	for (int r = 0; r < 4; r++)
		CHECK(g_reached.result[r] > 0);
	CHECK(g_reached.full > 0 && g_reached.cap_full > 0 && g_reached.evicted > 0);
	CHECK(g_reached.replace_evicted > 0 && g_reached.tombstones > 0);
}

/* ---- regressions, one case each ------------------------------------------------------- */

struct fixed {
	uint8_t enc[ENC_MAX], id[HS_ID_LEN];
	size_t enclen;
	struct hs_entry e;
};

static void fixed_entry(struct fixed *f, uint8_t origin, const char *key, uint64_t gen,
                        uint64_t ver, size_t value_len, uint8_t fill)
{
	uint8_t value[400];
	memset(value, fill, sizeof(value));
	struct hs_entry e = { .key = (const uint8_t *)key,
		              .key_len = strlen(key),
		              .generation = gen,
		              .version = ver,
		              .kind = HS_ENTRY_VALUE,
		              .value = value,
		              .value_len = value_len };
	memset(e.origin, origin, HS_KEY_LEN);
	REQUIRE(hs_entry_encode(&e, f->enc, sizeof(f->enc), &f->enclen) == 0);
	hs_blake2b256(f->id, f->enc, f->enclen);
	REQUIRE(hs_entry_decode(&f->e, f->enc, f->enclen) == 0);
}

static int fixed_apply(struct hs_statestore *st, const struct fixed *f, uint64_t now,
                       enum hs_apply *r)
{
	struct hs_state_slot *slot;
	return hs_statestore_apply(st, &f->e, f->enc, f->enclen, f->id, now, r, &slot);
}

/* Two entries for one version: both orders end holding the smaller id, with one proof. */
static void test_equivocation_converges(void)
{
	static const uint8_t secret[16] = { 3 };
	struct fixed a, b;
	fixed_entry(&a, 1, "k", 1, 1, 3, 0xaa);
	fixed_entry(&b, 1, "k", 1, 1, 3, 0xbb);
	const uint8_t *small = memcmp(a.id, b.id, HS_ID_LEN) < 0 ? a.id : b.id;
	for (int order = 0; order < 2; order++) {
		struct hs_statestore st;
		hs_statestore_init(&st, secret, 8, 4096);
		enum hs_apply r;
		CHECK_EQ(fixed_apply(&st, order ? &b : &a, 10, &r), 0);
		CHECK_EQ(r, HS_APPLY_NEWER);
		CHECK_EQ(fixed_apply(&st, order ? &a : &b, 20, &r), 0);
		CHECK_EQ(r, HS_APPLY_EQUIVOCATION);
		const struct hs_state_slot *held =
		        hs_statestore_get(&st, a.e.origin, (const uint8_t *)"k", 1);
		CHECK(held && memcmp(held->id, small, HS_ID_LEN) == 0);
		CHECK_EQ(st.nproofs, 1);
		hs_statestore_deinit(&st);
	}
}

/* A replaced entry's id leads to its successor (the newest for its slot), and heartbeats stay
 * out of their origin's digest. */
static void test_successor_and_digest(void)
{
	static const uint8_t secret[16] = { 6 };
	struct hs_statestore st;
	hs_statestore_init(&st, secret, 8, 1 << 20);
	struct fixed v1, v2, v3, hb;
	enum hs_apply r;
	fixed_entry(&v1, 1, "k", 1, 1, 3, 1);
	fixed_entry(&v2, 1, "k", 1, 2, 3, 2);
	fixed_entry(&v3, 1, "k", 1, 3, 3, 3);
	CHECK(hs_statestore_successor(&st, v1.id) == NULL); /* nothing replaced yet */
	CHECK_EQ(fixed_apply(&st, &v1, 10, &r), 0);
	CHECK_EQ(fixed_apply(&st, &v2, 20, &r), 0);
	const struct hs_state_slot *s = hs_statestore_successor(&st, v1.id);
	CHECK(s && memcmp(s->id, v2.id, HS_ID_LEN) == 0);
	CHECK_EQ(fixed_apply(&st, &v3, 30, &r), 0);
	s = hs_statestore_successor(&st, v1.id); /* still the newest, two replacements on */
	CHECK(s && memcmp(s->id, v3.id, HS_ID_LEN) == 0);
	s = hs_statestore_successor(&st, v2.id);
	CHECK(s && memcmp(s->id, v3.id, HS_ID_LEN) == 0);
	CHECK(hs_statestore_successor(&st, v3.id) == NULL); /* the newest has none */
	/* A heartbeat with a far higher version leaves the digest at the data's (1, 3). */
	fixed_entry(&hb, 1, HS_HEARTBEAT_KEY, 1, 99, 12, 4);
	CHECK_EQ(fixed_apply(&st, &hb, 40, &r), 0);
	CHECK_EQ(r, HS_APPLY_NEWER);
	const struct hs_state_origin *o = hs_statestore_origin(&st, v1.e.origin);
	REQUIRE(o != NULL);
	CHECK_EQ(o->generation, 1);
	CHECK_EQ(o->version, 3);
	hs_statestore_deinit(&st);
}

/* A store full of single-entry origins still takes a new origin, evicting the stalest. */
static void test_new_origin_when_full(void)
{
	static const uint8_t secret[16] = { 4 };
	struct hs_statestore st;
	hs_statestore_init(&st, secret, 3, 1 << 20);
	struct fixed f;
	enum hs_apply r;
	for (uint8_t o = 1; o <= 4; o++) {
		fixed_entry(&f, o, "k", 0, 1, 1, o);
		CHECK_EQ(fixed_apply(&st, &f, 100 * o, &r), 0);
		CHECK_EQ(r, HS_APPLY_NEWER);
	}
	uint8_t first[HS_KEY_LEN];
	memset(first, 1, sizeof(first));
	CHECK(hs_statestore_origin(&st, first) == NULL); /* the stalest went */
	CHECK(hs_statestore_origin(&st, f.e.origin) != NULL);
	CHECK_EQ(st.count, 3);
	CHECK_EQ(st.norigins, 3);
	hs_statestore_deinit(&st);
}

/* An entry that cannot fit is refused without evicting anyone, and leaves no origin behind;
 * a replacement by a larger entry makes room for the difference. */
static void test_room(void)
{
	static const uint8_t secret[16] = { 5 };
	struct hs_statestore st;
	struct fixed small, big, other;
	enum hs_apply r;
	fixed_entry(&small, 1, "k", 0, 1, 1, 1);
	fixed_entry(&other, 2, "k", 0, 1, 1, 2);
	fixed_entry(&big, 3, "k", 0, 1, 300, 3);
	hs_statestore_init(&st, secret, 8, 2 * small.enclen + 10);
	CHECK_EQ(fixed_apply(&st, &small, 10, &r), 0);
	CHECK_EQ(fixed_apply(&st, &other, 20, &r), 0);
	CHECK_EQ(fixed_apply(&st, &big, 30, &r), HS_ERR_FULL);
	CHECK_EQ(st.count, 2);
	CHECK(hs_statestore_origin(&st, big.e.origin) == NULL);
	/* Origin 2 grows its value: origin 1, the stalest, makes room. */
	struct fixed grown;
	fixed_entry(&grown, 2, "k", 0, 2, 12, 2);
	CHECK_EQ(fixed_apply(&st, &grown, 40, &r), 0);
	CHECK_EQ(r, HS_APPLY_NEWER);
	CHECK(st.bytes <= st.bytes_max);
	CHECK(hs_statestore_origin(&st, small.e.origin) == NULL);
	CHECK_EQ(st.count, 1);
	hs_statestore_deinit(&st);
}

int main(void)
{
	RUN(test_model);
	RUN(test_equivocation_converges);
	RUN(test_successor_and_digest);
	RUN(test_new_origin_when_full);
	RUN(test_room);
	return hs_test_done();
}

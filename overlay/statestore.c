/* The state store (see statestore.h). */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "statestore.h"

#define NONE UINT32_MAX

void hs_statestore_init(struct hs_statestore *st, const uint8_t secret[16], size_t entries_max,
                        size_t bytes_max)
{
	memset(st, 0, sizeof(*st));
	hs_idmap_init(&st->by_key, secret, entries_max);
	hs_idmap_init(&st->by_id, secret, entries_max);
	hs_idmap_init(&st->by_origin, secret, entries_max);
	st->entries_max = entries_max;
	st->bytes_max = bytes_max;
	st->free_head = NONE;
}

void hs_statestore_deinit(struct hs_statestore *st)
{
	for (size_t i = 0; i < st->cap; i++)
		free(st->slots[i].enc);
	for (size_t i = 0; i < st->nproofs; i++) {
		free(st->proofs[i].a);
		free(st->proofs[i].b);
	}
	free(st->slots);
	free(st->origins);
	free(st->superseded);
	hs_idmap_deinit(&st->by_key);
	hs_idmap_deinit(&st->by_id);
	hs_idmap_deinit(&st->by_origin);
	memset(st, 0, sizeof(*st));
}

/* The map key of (origin, key): a hash, so every slot key is 32 bytes. */
static void slot_key(uint8_t out[32], const uint8_t origin[HS_KEY_LEN], const uint8_t *key,
                     size_t keylen)
{
	uint8_t buf[HS_KEY_LEN + HS_STATE_KEY_MAX];
	memcpy(buf, origin, HS_KEY_LEN);
	memcpy(buf + HS_KEY_LEN, key, keylen);
	hs_blake2b256(out, buf, HS_KEY_LEN + keylen);
}

struct hs_state_slot *hs_statestore_by_id(const struct hs_statestore *st,
                                          const uint8_t id[HS_ID_LEN])
{
	const uint32_t *i = hs_idmap_get(&st->by_id, id);
	return i ? &st->slots[*i] : NULL;
}

struct hs_state_slot *hs_statestore_get(const struct hs_statestore *st,
                                        const uint8_t origin[HS_KEY_LEN], const uint8_t *key,
                                        size_t keylen)
{
	if (keylen > HS_STATE_KEY_MAX)
		return NULL;
	uint8_t k[32];
	slot_key(k, origin, key, keylen);
	const uint32_t *i = hs_idmap_get(&st->by_key, k);
	return i ? &st->slots[*i] : NULL;
}

const struct hs_state_origin *hs_statestore_origin(const struct hs_statestore *st,
                                                   const uint8_t origin[HS_KEY_LEN])
{
	const uint32_t *i = hs_idmap_get(&st->by_origin, origin);
	return i ? &st->origins[*i] : NULL;
}

void hs_statestore_forget_peer(struct hs_statestore *st, unsigned p)
{
	uint64_t mask = ~((uint64_t)1 << (p % 64));
	for (size_t i = 0; i < st->cap; i++)
		st->slots[i].knows[p / 64] &= mask;
}

/* ---- slots and origins --------------------------------------------------------------- */

static bool newer(uint64_t g1, uint64_t v1, uint64_t g2, uint64_t v2)
{
	return g1 > g2 || (g1 == g2 && v1 > v2);
}

static struct hs_state_origin *origin_obtain(struct hs_statestore *st,
                                             const uint8_t origin[HS_KEY_LEN])
{
	uint32_t *i = hs_idmap_get(&st->by_origin, origin);
	if (i)
		return &st->origins[*i];
	if (st->norigins == st->origins_cap) {
		size_t ncap = st->origins_cap ? st->origins_cap * 2 : 16;
		struct hs_state_origin *n = realloc(st->origins, ncap * sizeof(*n));
		if (!n)
			return NULL;
		st->origins = n;
		st->origins_cap = ncap;
	}
	if (hs_idmap_put(&st->by_origin, origin, (uint32_t)st->norigins) != 0)
		return NULL;
	struct hs_state_origin *o = &st->origins[st->norigins++];
	memset(o, 0, sizeof(*o));
	memcpy(o->origin, origin, HS_KEY_LEN);
	o->head = NONE;
	return o;
}

static void origin_remove(struct hs_statestore *st, struct hs_state_origin *o)
{
	size_t i = (size_t)(o - st->origins), last = st->norigins - 1;
	hs_idmap_del(&st->by_origin, o->origin);
	if (i != last) {
		st->origins[i] = st->origins[last];
		*hs_idmap_get(&st->by_origin, st->origins[i].origin) = (uint32_t)i;
	}
	st->norigins--;
}

static void slot_free(struct hs_statestore *st, uint32_t s, struct hs_state_origin *o)
{
	struct hs_state_slot *sl = &st->slots[s];
	struct hs_entry e;
	if (hs_entry_decode(&e, sl->enc, sl->enclen) == 0) {
		uint8_t k[32];
		slot_key(k, sl->origin, e.key, e.key_len);
		hs_idmap_del(&st->by_key, k);
	}
	hs_idmap_del(&st->by_id, sl->id);
	if (sl->oprev != NONE)
		st->slots[sl->oprev].onext = sl->onext;
	else
		o->head = sl->onext;
	if (sl->onext != NONE)
		st->slots[sl->onext].oprev = sl->oprev;
	o->keys--;
	st->bytes -= sl->enclen;
	free(sl->enc);
	memset(sl, 0, sizeof(*sl));
	sl->onext = (uint32_t)st->free_head;
	st->free_head = s;
	st->count--;
}

/* Drops every entry of the origin updated longest ago, except origin `keep`; false if
 * there is no other origin. */
static bool evict_stalest(struct hs_statestore *st, const uint8_t keep[HS_KEY_LEN])
{
	size_t w = SIZE_MAX;
	for (size_t i = 0; i < st->norigins; i++)
		if (memcmp(st->origins[i].origin, keep, HS_KEY_LEN) != 0 &&
		    (w == SIZE_MAX || st->origins[i].updated_ns < st->origins[w].updated_ns))
			w = i;
	if (w == SIZE_MAX)
		return false;
	struct hs_state_origin *o = &st->origins[w];
	while (o->head != NONE) {
		if (st->on_evict)
			st->on_evict(st->evict_ctx, &st->slots[o->head]);
		slot_free(st, o->head, o);
	}
	origin_remove(st, o);
	return true;
}

static int slot_alloc(struct hs_statestore *st, uint32_t *out)
{
	if (st->free_head == NONE) {
		size_t ncap = st->cap ? st->cap * 2 : 16;
		if (ncap > st->entries_max)
			ncap = st->entries_max;
		if (ncap <= st->cap)
			return HS_ERR_FULL;
		struct hs_state_slot *n = realloc(st->slots, ncap * sizeof(*n));
		if (!n)
			return HS_ERR_NOMEM;
		memset(n + st->cap, 0, (ncap - st->cap) * sizeof(*n));
		for (size_t i = ncap; i-- > st->cap;) {
			n[i].onext = (uint32_t)st->free_head;
			st->free_head = i;
		}
		st->slots = n;
		st->cap = ncap;
	}
	*out = (uint32_t)st->free_head;
	st->free_head = st->slots[*out].onext;
	return 0;
}

/* ---- merging ------------------------------------------------------------------------- */

void hs_statestore_record_proof(struct hs_statestore *st, const uint8_t *a, size_t alen,
                                const uint8_t *b, size_t blen)
{
	st->proofs_seen++;
	if (st->nproofs >= HS_EQUIVOCATIONS_MAX)
		return; /* enough evidence kept; the count still grows */
	struct hs_equivocation *p = &st->proofs[st->nproofs];
	p->a = malloc(alen);
	p->b = malloc(blen);
	if (!p->a || !p->b) {
		free(p->a);
		free(p->b);
		return;
	}
	memcpy(p->a, a, alen);
	memcpy(p->b, b, blen);
	p->alen = alen;
	p->blen = blen;
	st->nproofs++;
}

/* Fills slot s with the entry and links it to its origin. */
static int fill(struct hs_statestore *st, uint32_t s, struct hs_state_origin *o,
                const struct hs_entry *e, const uint8_t *enc, size_t enclen,
                const uint8_t id[HS_ID_LEN], uint64_t now)
{
	struct hs_state_slot *sl = &st->slots[s];
	uint8_t *copy = malloc(enclen);
	if (!copy)
		return HS_ERR_NOMEM;
	memcpy(copy, enc, enclen);
	memset(sl, 0, sizeof(*sl));
	memcpy(sl->id, id, HS_ID_LEN);
	memcpy(sl->origin, e->origin, HS_KEY_LEN);
	sl->enc = copy;
	sl->enclen = (uint32_t)enclen;
	sl->generation = e->generation;
	sl->version = e->version;
	sl->received_ns = now;
	sl->heartbeat = hs_entry_is_heartbeat(e->key, e->key_len);
	sl->oprev = NONE;
	sl->onext = o->head;
	if (o->head != NONE)
		st->slots[o->head].oprev = s;
	o->head = s;
	o->keys++;
	st->bytes += enclen;
	st->count++;
	return 0;
}

static size_t superseded_index(const uint8_t id[HS_ID_LEN])
{
	/* Ids are hashes of signed encodings: grinding them costs a signature each, and a
	 * collision only forgets one (limits.h). */
	return ((size_t)id[0] | (size_t)id[1] << 8 | (size_t)id[2] << 16) % HS_SUPERSEDED_MAX;
}

static void remember_superseded(struct hs_statestore *st, const uint8_t old_id[HS_ID_LEN],
                                const uint8_t key[32])
{
	if (!st->superseded)
		st->superseded = calloc(HS_SUPERSEDED_MAX, sizeof(*st->superseded));
	if (!st->superseded)
		return; /* only the notfound of before */
	struct hs_superseded *x = &st->superseded[superseded_index(old_id)];
	memcpy(x->id, old_id, HS_ID_LEN);
	memcpy(x->key, key, 32);
}

struct hs_state_slot *hs_statestore_successor(const struct hs_statestore *st,
                                              const uint8_t id[HS_ID_LEN])
{
	if (!st->superseded)
		return NULL;
	const struct hs_superseded *x = &st->superseded[superseded_index(id)];
	if (memcmp(x->id, id, HS_ID_LEN) != 0)
		return NULL;
	const uint32_t *i = hs_idmap_get(&st->by_key, x->key);
	return i ? &st->slots[*i] : NULL;
}

/* Replaces the entry in slot s (same origin and key) by a newer one. */
static int replace(struct hs_statestore *st, uint32_t s, const struct hs_entry *e,
                   const uint8_t *enc, size_t enclen, const uint8_t id[HS_ID_LEN], uint64_t now)
{
	struct hs_state_slot *sl = &st->slots[s];
	uint8_t k[32];
	slot_key(k, e->origin, e->key, e->key_len);
	remember_superseded(st, sl->id, k);
	uint8_t *copy = malloc(enclen);
	if (!copy)
		return HS_ERR_NOMEM;
	memcpy(copy, enc, enclen);
	hs_idmap_del(&st->by_id, sl->id);
	st->bytes = st->bytes - sl->enclen + enclen;
	free(sl->enc);
	sl->enc = copy;
	sl->enclen = (uint32_t)enclen;
	memcpy(sl->id, id, HS_ID_LEN);
	sl->generation = e->generation;
	sl->version = e->version;
	sl->received_ns = now;
	memset(sl->knows, 0, sizeof(sl->knows));
	return hs_idmap_put(&st->by_id, id, s);
}

/* Evicts the stalest origins other than keep until `entries` more entries and `grow` more
 * bytes fit. HS_ERR_FULL, evicting nothing, when they would not fit beside keep's own entries
 * even with every other origin gone. */
static int make_room(struct hs_statestore *st, const uint8_t keep[HS_KEY_LEN], size_t entries,
                     size_t grow)
{
	if (st->count + entries <= st->entries_max && st->bytes + grow <= st->bytes_max)
		return 0;
	size_t keys = 0, bytes = 0;
	const uint32_t *i = hs_idmap_get(&st->by_origin, keep);
	if (i) {
		const struct hs_state_origin *o = &st->origins[*i];
		keys = o->keys;
		for (uint32_t s = o->head; s != NONE; s = st->slots[s].onext)
			bytes += st->slots[s].enclen;
	}
	if (keys + entries > st->entries_max || bytes + grow > st->bytes_max)
		return HS_ERR_FULL;
	while (st->count + entries > st->entries_max || st->bytes + grow > st->bytes_max)
		if (!evict_stalest(st, keep))
			return HS_ERR_FULL;
	return 0;
}

int hs_statestore_apply(struct hs_statestore *st, const struct hs_entry *e, const uint8_t *enc,
                        size_t enclen, const uint8_t id[HS_ID_LEN], uint64_t now,
                        enum hs_apply *result, struct hs_state_slot **slot)
{
	*slot = NULL;
	if (hs_idmap_get(&st->by_id, id)) {
		*result = HS_APPLY_DUPLICATE;
		return 0;
	}
	uint8_t k[32];
	slot_key(k, e->origin, e->key, e->key_len);
	uint32_t *ip = hs_idmap_get(&st->by_key, k);
	if (ip) {
		struct hs_state_slot *sl = &st->slots[*ip];
		if (newer(sl->generation, sl->version, e->generation, e->version)) {
			*result = HS_APPLY_OLDER;
			return 0;
		}
		bool equivocation = sl->generation == e->generation && sl->version == e->version;
		if (equivocation) {
			hs_statestore_record_proof(st, sl->enc, sl->enclen, enc, enclen);
			*result = HS_APPLY_EQUIVOCATION;
			if (memcmp(id, sl->id, HS_ID_LEN) > 0)
				return 0; /* the held entry has the smaller id: it stays */
		} else {
			*result = HS_APPLY_NEWER;
		}
		uint32_t s = *ip;
		/* A larger entry needs the difference in bytes: other origins make room (never
		 * this one, so slot s stays). */
		int err =
		        make_room(st, e->origin, 0, enclen > sl->enclen ? enclen - sl->enclen : 0);
		if (!err)
			err = replace(st, s, e, enc, enclen, id, now);
		if (err)
			return err;
		struct hs_state_origin *o = origin_obtain(st, e->origin);
		if (o && !st->slots[s].heartbeat &&
		    newer(e->generation, e->version, o->generation, o->version)) {
			o->generation = e->generation;
			o->version = e->version;
		}
		if (o)
			o->updated_ns = now;
		*slot = &st->slots[s];
		return 0;
	}
	const struct hs_state_origin *known = hs_statestore_origin(st, e->origin);
	if (known && known->keys >= HS_STATE_KEYS_PER_ORIGIN)
		return HS_ERR_FULL;
	/* Room first, then the origin's record: a refused entry leaves no empty origin behind,
	 * and a new origin always fits its map (fewer origins than entries are held). */
	int err = make_room(st, e->origin, 1, enclen);
	if (err)
		return err;
	struct hs_state_origin *o = origin_obtain(st, e->origin);
	if (!o)
		return HS_ERR_NOMEM;
	uint32_t s;
	err = slot_alloc(st, &s);
	if (!err)
		err = fill(st, s, o, e, enc, enclen, id, now);
	if (!err)
		err = hs_idmap_put(&st->by_key, k, s);
	if (!err)
		err = hs_idmap_put(&st->by_id, id, s);
	if (err)
		return err;
	if (!st->slots[s].heartbeat &&
	    newer(e->generation, e->version, o->generation, o->version)) {
		o->generation = e->generation;
		o->version = e->version;
	}
	o->updated_ns = now;
	*result = HS_APPLY_NEWER;
	*slot = &st->slots[s];
	return 0;
}

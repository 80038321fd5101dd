/*
 * Each honest node's saved bytes, kept in memory as a daemon keeps them on disk: every
 * HS_EV_SAVE is applied to a small (kind, key) -> value map, so the node can crash and restart
 * from exactly what it persisted (sim_node_restart). The map is generic by key: a save kind the
 * simulator does not know is kept as well (and listed by sim_store_load as not fed), so a new
 * kind (e.g. anchors) needs one line in load_order below, nothing else.
 *
 * Deletions: HS_SAVE_UNBAN deletes the HS_SAVE_BAN entry with the same key, HS_SAVE_UNSTATE the
 * HS_SAVE_STATE one, HS_SAVE_UNANCHOR the HS_SAVE_ANCHOR one, HS_SAVE_UNRECORD the
 * HS_SAVE_RECORD one; any other save without a value deletes its own (kind, key).
 */
#include <stdlib.h>
#include <string.h>

#include "sim_impl.h"

static uint8_t stored_kind(enum hs_save_kind k)
{
	if (k == HS_SAVE_UNBAN)
		return HS_SAVE_BAN;
	if (k == HS_SAVE_UNSTATE)
		return HS_SAVE_STATE;
	if (k == HS_SAVE_UNANCHOR)
		return HS_SAVE_ANCHOR;
	if (k == HS_SAVE_UNRECORD)
		return HS_SAVE_RECORD;
	return (uint8_t)k;
}

static uint64_t kv_hash(uint8_t kind, const uint8_t *key, size_t keylen)
{
	uint64_t h = sim_mix64(kind ^ ((uint64_t)keylen << 8));
	for (size_t i = 0; i < keylen; i += 8) {
		uint64_t w = 0;
		size_t n = keylen - i < 8 ? keylen - i : 8;
		memcpy(&w, key + i, n);
		h = sim_mix64(h ^ w);
	}
	return h ? h : 1;
}

static struct sim_kv *slot_of(const struct sim_store *st, uint8_t kind, const uint8_t *key,
                              size_t keylen, uint64_t h, size_t *at)
{
	size_t mask = st->cap - 1;
	for (size_t k = h & mask;; k = (k + 1) & mask) {
		struct sim_kv *e = &st->v[k];
		*at = k;
		if (e->hash == 0)
			return NULL;
		if (e->hash == h && e->kind == kind && e->keylen == keylen &&
		    memcmp(e->bytes, key, keylen) == 0)
			return e;
	}
}

static int grow(struct sim_store *st)
{
	size_t ncap = st->cap ? st->cap * 2 : 64;
	struct sim_kv *nv = calloc(ncap, sizeof(*nv));
	if (!nv)
		return HS_ERR_NOMEM;
	for (size_t i = 0; i < st->cap; i++) {
		if (st->v[i].hash == 0)
			continue;
		size_t k = st->v[i].hash & (ncap - 1);
		while (nv[k].hash)
			k = (k + 1) & (ncap - 1);
		nv[k] = st->v[i];
	}
	free(st->v);
	st->v = nv;
	st->cap = ncap;
	return 0;
}

/* Linear probing's backward-shift deletion: no tombstones. */
static void remove_at(struct sim_store *st, size_t i)
{
	size_t mask = st->cap - 1;
	free(st->v[i].bytes);
	st->v[i] = (struct sim_kv){ 0 };
	st->count--;
	for (size_t j = (i + 1) & mask; st->v[j].hash; j = (j + 1) & mask) {
		size_t home = st->v[j].hash & mask;
		/* Move j back to i if its home is not in (i, j]. */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		st->v[i] = st->v[j];
		st->v[j] = (struct sim_kv){ 0 };
		i = j;
	}
}

int sim_store_save(struct sim_store *st, const struct hs_event *ev)
{
	uint8_t kind = stored_kind(ev->save_kind);
	bool del = ev->save_kind == HS_SAVE_UNBAN || ev->save_kind == HS_SAVE_UNSTATE ||
	           ev->save_kind == HS_SAVE_UNANCHOR || ev->save_kind == HS_SAVE_UNRECORD ||
	           ev->value == NULL;
	if (ev->keylen > UINT16_MAX || ev->valuelen > UINT32_MAX)
		return HS_ERR_INVALID;
	if (st->cap == 0 || (!del && 2 * (st->count + 1) > st->cap)) {
		int err = grow(st);
		if (err)
			return err;
	}
	uint64_t h = kv_hash(kind, ev->key, ev->keylen);
	size_t at;
	struct sim_kv *e = slot_of(st, kind, ev->key, ev->keylen, h, &at);
	if (del) {
		if (e)
			remove_at(st, at);
		return 0;
	}
	uint8_t *bytes = malloc(ev->keylen + ev->valuelen + 1);
	if (!bytes)
		return HS_ERR_NOMEM;
	memcpy(bytes, ev->key, ev->keylen);
	if (ev->valuelen)
		memcpy(bytes + ev->keylen, ev->value, ev->valuelen);
	if (e) {
		free(e->bytes);
	} else {
		e = &st->v[at];
		st->count++;
	}
	*e = (struct sim_kv){ .kind = kind,
		              .keylen = (uint16_t)ev->keylen,
		              .valuelen = (uint32_t)ev->valuelen,
		              .hash = h,
		              .bytes = bytes };
	return 0;
}

void sim_store_free(struct sim_store *st)
{
	for (size_t i = 0; i < st->cap; i++)
		free(st->v[i].bytes);
	free(st->v);
	*st = (struct sim_store){ 0 };
}

/* node/persist.c's order: bans, scores, records, anchors (after the records they name), state. */
static const uint8_t load_order[] = { HS_SAVE_BAN, HS_SAVE_SCORE, HS_SAVE_RECORD, HS_SAVE_ANCHOR,
	                              HS_SAVE_STATE };

static int feed(struct hs_node *node, uint8_t kind, const uint8_t *val, size_t len, uint64_t now)
{
	switch (kind) {
	case HS_SAVE_BAN:
		return hs_node_load_ban(node, val, len);
	case HS_SAVE_SCORE:
		return hs_node_load_score(node, val, len);
	case HS_SAVE_RECORD:
		return hs_node_add_record(node, val, len, now);
	case HS_SAVE_ANCHOR:
		return hs_node_add_anchor(node, val, len, now);
	case HS_SAVE_STATE:
		return hs_node_load_state(node, val, len, now);
	default:
		return HS_ERR_UNKNOWN_TYPE;
	}
}

size_t sim_store_load(const struct sim_store *st, struct hs_node *node, uint64_t now)
{
	size_t fed = 0;
	for (size_t o = 0; o < sizeof(load_order); o++)
		for (size_t i = 0; i < st->cap; i++) {
			const struct sim_kv *e = &st->v[i];
			if (e->hash == 0 || e->kind != load_order[o])
				continue;
			/* A refused entry (e.g. an expired record) is skipped, as a daemon does. */
			fed += feed(node, e->kind, e->bytes + e->keylen, e->valuelen, now) == 0;
		}
	return fed;
}

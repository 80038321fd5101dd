/*
 * overlay/: the state store — the latest signed entry for every (origin, key) we know.
 *
 * Merge rule (DESIGN §2): for one origin and key, the higher (generation, version) wins. Equal
 * (generation, version) with different bytes is equivocation: the origin signed two values
 * for one slot. Both entries are kept as a proof, and every node keeps the one with the smaller
 * entry id, so all nodes converge on the same value whatever order the two arrive in.
 *
 * Each origin's versions count up across all its keys (Cassandra's per-endpoint version), so
 * (generation, highest version) per origin is a complete digest of what we hold from it.
 *
 * Bounds: entries_max entries, at most HS_STATE_KEYS_PER_ORIGIN keys per origin (one origin
 * cannot crowd out the others), bytes_max bytes. When full, every entry of the origin whose
 * latest update is the oldest is evicted (stale origins go first).
 *
 * Pure data: signatures are checked by the caller before apply. Keys of the maps are
 * peer-chosen, so they are secret-keyed.
 */
#ifndef HEARSAY_OVERLAY_STATESTORE_H
#define HEARSAY_OVERLAY_STATESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "crypto/idmap.h"
#include "overlay/entry.h"
#include "rumorstore.h" /* HS_PEER_WORDS, hs_knows */

struct hs_state_slot {
	uint8_t id[HS_ID_LEN];
	uint8_t origin[HS_KEY_LEN];
	uint8_t *enc; /* owned copy of the signed encoding; NULL for a free slot */
	uint32_t enclen;
	uint64_t generation, version;
	uint64_t received_ns;
	bool heartbeat;        /* under HS_HEARTBEAT_KEY: left out of the origin's digest */
	uint32_t onext, oprev; /* the origin's entries */
	uint64_t knows[HS_PEER_WORDS];
};

struct hs_state_origin {
	uint8_t origin[HS_KEY_LEN];
	/* The highest (generation, version) held, heartbeats left out. Rationale: a heartbeat's
	 * version outruns the origin's other entries within seconds, so a digest that counted it
	 * would claim entries a node that heard the heartbeat first never got (a joiner, or a
	 * node back from a partition), and anti-entropy would never send them. */
	uint64_t generation, version;
	uint64_t updated_ns;
	uint32_t head; /* first entry, or UINT32_MAX */
	uint32_t keys;
};

struct hs_equivocation {
	uint8_t *a, *b; /* two signed encodings for one (origin, key, generation, version) */
	size_t alen, blen;
};

enum hs_apply {
	HS_APPLY_NEWER = 0,        /* stored: the first or a newer entry for its slot */
	HS_APPLY_OLDER = 1,        /* a newer entry is held: ignored */
	HS_APPLY_DUPLICATE = 2,    /* this very entry is held */
	HS_APPLY_EQUIVOCATION = 3, /* a proof was recorded (and the smaller id kept) */
};

struct hs_statestore {
	struct hs_state_slot *slots;
	size_t cap, count, entries_max, free_head;
	struct hs_idmap by_key;    /* BLAKE2b(origin || key) -> slot */
	struct hs_idmap by_id;     /* entry id -> slot */
	struct hs_idmap by_origin; /* origin -> index in origins */
	struct hs_state_origin *origins;
	size_t norigins, origins_cap;
	size_t bytes, bytes_max;
	/* Ids replaced by a newer entry for their slot: old id -> the slot's key hash. */
	struct hs_superseded {
		uint8_t id[HS_ID_LEN];
		uint8_t key[32];
	} *superseded; /* HS_SUPERSEDED_MAX, allocated at the first replacement */
	struct hs_equivocation proofs[HS_EQUIVOCATIONS_MAX];
	size_t nproofs, proofs_seen;
	/* Told about every entry dropped to make room, before it is freed (may be NULL). */
	void (*on_evict)(void *ctx, const struct hs_state_slot *slot);
	void *evict_ctx;
};

void hs_statestore_init(struct hs_statestore *st, const uint8_t secret[16], size_t entries_max,
                        size_t bytes_max);
void hs_statestore_deinit(struct hs_statestore *st);
/* The entry that superseded the one with this id (the newest for its slot), or NULL if the id
 * is not remembered as superseded. */
struct hs_state_slot *hs_statestore_successor(const struct hs_statestore *st,
                                              const uint8_t id[HS_ID_LEN]);
/* Keeps a copy of two signed encodings as an equivocation proof (the first
 * HS_EQUIVOCATIONS_MAX; every one is counted in proofs_seen). apply does it by itself. */
void hs_statestore_record_proof(struct hs_statestore *st, const uint8_t *a, size_t alen,
                                const uint8_t *b, size_t blen);
/* Merges a decoded, signature-checked entry (enc is its encoding, id its id). *slot gets the
 * stored entry for NEWER. HS_ERR_NOMEM; HS_ERR_FULL if the origin has its maximum of keys. */
HS_MUST_USE int hs_statestore_apply(struct hs_statestore *st, const struct hs_entry *e,
                                    const uint8_t *enc, size_t enclen, const uint8_t id[HS_ID_LEN],
                                    uint64_t now, enum hs_apply *result,
                                    struct hs_state_slot **slot);
struct hs_state_slot *hs_statestore_by_id(const struct hs_statestore *st,
                                          const uint8_t id[HS_ID_LEN]);
struct hs_state_slot *hs_statestore_get(const struct hs_statestore *st,
                                        const uint8_t origin[HS_KEY_LEN], const uint8_t *key,
                                        size_t keylen);
const struct hs_state_origin *hs_statestore_origin(const struct hs_statestore *st,
                                                   const uint8_t origin[HS_KEY_LEN]);
/* Clears slot bit p in every entry (a peer slot was freed). */
void hs_statestore_forget_peer(struct hs_statestore *st, unsigned p);
/* Entry i of the slot array (may be free: enc == NULL), i < cap. */
static inline struct hs_state_slot *hs_statestore_slot(const struct hs_statestore *st, size_t i)
{
	return &st->slots[i];
}

#endif

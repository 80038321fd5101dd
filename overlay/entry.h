/*
 * overlay/: state entries — one origin's signed value (or tombstone) for one of its keys.
 *
 *   origin[32] || key (name, 1..HS_STATE_KEY_MAX) || generation u64 || version u64 ||
 *   kind u8 (0 value, 1 tombstone) || [value (bytes, 0..HS_STATE_VALUE_MAX) if kind 0] ||
 *   sig[64]
 *
 * sig: BIP340 by origin over tagged_hash("hearsay/state/<network>", every byte before sig).
 * Higher (generation, version) wins; equal (generation, version) with different bytes is
 * equivocation. The entry id is BLAKE2b-256 of the whole signed encoding. The decoder does
 * not verify the signature.
 *
 * Canonical rules (docs/PROTOCOL.md §5.4): the key is a name (overlay/rumor.h); kind is 0 or 1
 * (else HS_ERR_BAD_VALUE); a tombstone has no value field at all; a value is a minimal varint
 * length <= HS_STATE_VALUE_MAX (else HS_ERR_TOO_LARGE) then the bytes — an empty value is a
 * value, distinct from a tombstone.
 *
 * A decoded entry borrows key and value from the buffer it was decoded from. To encode, key
 * must be non-NULL; value may be NULL only when value_len is 0; a tombstone has value_len 0.
 *
 * Attacker model: entries are relayed from any peer; every field is peer data.
 */
#ifndef HEARSAY_ENTRY_H
#define HEARSAY_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/wire.h"
#include "hearsay/error.h"

enum hs_entry_kind {
	HS_ENTRY_VALUE = 0,
	HS_ENTRY_TOMBSTONE = 1,
};

struct hs_entry {
	uint8_t origin[HS_KEY_LEN];
	const uint8_t *key;
	size_t key_len;
	uint64_t generation;
	uint64_t version;
	uint8_t kind;
	const uint8_t *value; /* NULL with value_len 0 for a tombstone */
	size_t value_len;
	uint8_t sig[HS_SIG_LEN];
};

/* Streamed forms: errors are sticky. A failed read leaves *e all zero (NULL pointers);
 * writing an invalid entry records HS_ERR_INVALID in w. */
void hs_entry_read(struct hs_reader *r, struct hs_entry *e);
void hs_entry_write(struct hs_writer *w, const struct hs_entry *e);
/* Whole-buffer forms, as for rumors. */
HS_MUST_USE int hs_entry_decode(struct hs_entry *e, const uint8_t *data, size_t datalen);
HS_MUST_USE int hs_entry_encode(const struct hs_entry *e, uint8_t *out, size_t outcap,
                                size_t *outlen);
size_t hs_entry_encoded_len(const struct hs_entry *e);

/* Heartbeats (overlay/members.h, docs/PROTOCOL.md §5.5): the entry under the reserved key
 * HS_HEARTBEAT_KEY. Its value is time_ms u64 (the signer's wall clock) || interval_ms u32 (its
 * heartbeat interval, 1..2^32-1); a tombstone under the key is the signer's leave for that
 * generation. Keys starting with HS_RESERVED_KEY_PREFIX are hearsay's own: an application
 * cannot write them through hs_node_set_state. */
#define HS_HEARTBEAT_KEY       "hs.heartbeat"
#define HS_RESERVED_KEY_PREFIX "hs."
bool hs_entry_is_heartbeat(const uint8_t *key, size_t key_len);
bool hs_key_is_reserved(const char *key, size_t key_len);
void hs_heartbeat_value(uint8_t out[HS_HEARTBEAT_VALUE_LEN], uint64_t time_ms,
                        uint32_t interval_ms);
/* 0, or HS_ERR_BAD_VALUE for a value that is not exactly HS_HEARTBEAT_VALUE_LEN bytes or has
 * a zero interval. */
HS_MUST_USE int hs_heartbeat_decode(const uint8_t *value, size_t value_len, uint64_t *time_ms,
                                    uint32_t *interval_ms);

/* Suspects (PROTOCOL.md §5.5): the signer's accusations, under the reserved key
 * HS_SUSPECTS_KEY: count u8 (0..HS_SUSPECTS_MAX) || count x (id[32] || generation u64 ||
 * heartbeat u64), ids strictly ascending: "I lost these members at these heartbeats". */
#define HS_SUSPECTS_KEY       "hs.suspects"
#define HS_SUSPECTS_VALUE_MAX (1 + HS_SUSPECTS_MAX * (HS_KEY_LEN + 16))
struct hs_suspect {
	uint8_t id[HS_KEY_LEN];
	uint64_t generation, heartbeat;
};
bool hs_entry_is_suspects(const uint8_t *key, size_t key_len);
/* Encodes n <= HS_SUSPECTS_MAX suspects, ids strictly ascending, into out (at least
 * HS_SUSPECTS_VALUE_MAX bytes); returns the length, 0 if the list breaks a rule. */
size_t hs_suspects_encode(const struct hs_suspect *s, size_t n, uint8_t *out);
/* Decodes into out (HS_SUSPECTS_MAX entries); HS_ERR_BAD_VALUE for a wrong length or count,
 * HS_ERR_NONCANONICAL for ids out of order or repeated. */
HS_MUST_USE int hs_suspects_decode(const uint8_t *value, size_t value_len,
                                   struct hs_suspect out[HS_SUSPECTS_MAX], size_t *n);

#endif

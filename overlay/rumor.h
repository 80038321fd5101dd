/*
 * overlay/: rumors — immutable signed messages on a topic.
 *
 *   origin[32] || topic (name, 1..HS_TOPIC_MAX) || time_ms u64 ||
 *   payload (bytes, 0..HS_RUMOR_PAYLOAD_MAX) || sig[64]
 *
 * sig: BIP340 by origin over tagged_hash("hearsay/rumor/<network>", every byte before sig).
 * The rumor id is BLAKE2b-256 of the whole signed encoding. The decoder does not verify the
 * signature.
 *
 * Canonical rules (docs/PROTOCOL.md §5.3): a name is a minimal varint length then 1..max
 * bytes of 0x21..0x7e (too long: HS_ERR_TOO_LARGE; empty or another byte: HS_ERR_BAD_VALUE);
 * the payload length is a minimal varint <= HS_RUMOR_PAYLOAD_MAX (else HS_ERR_TOO_LARGE).
 *
 * A decoded rumor borrows topic and payload from the buffer it was decoded from (payload is
 * non-NULL even when empty). To encode, topic must be non-NULL; payload may be NULL only when
 * payload_len is 0.
 *
 * Attacker model: rumors are relayed from any peer; every field is peer data.
 */
#ifndef HEARSAY_RUMOR_H
#define HEARSAY_RUMOR_H

#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/wire.h"
#include "hearsay/error.h"

struct hs_rumor {
	uint8_t origin[HS_KEY_LEN];
	const uint8_t *topic;
	size_t topic_len;
	uint64_t time_ms; /* origin's wall clock, Unix milliseconds */
	const uint8_t *payload;
	size_t payload_len;
	uint8_t sig[HS_SIG_LEN];
};

/* Streamed forms: errors are sticky. A failed read leaves *rm all zero (NULL pointers);
 * writing an invalid rumor records HS_ERR_INVALID in w. */
void hs_rumor_read(struct hs_reader *r, struct hs_rumor *rm);
void hs_rumor_write(struct hs_writer *w, const struct hs_rumor *rm);
/* Whole-buffer forms: decode rejects trailing bytes; encode returns HS_ERR_INVALID for a
 * rumor that breaks a rule above, HS_ERR_BUFFER if outcap is too small. */
HS_MUST_USE int hs_rumor_decode(struct hs_rumor *rm, const uint8_t *data, size_t datalen);
HS_MUST_USE int hs_rumor_encode(const struct hs_rumor *rm, uint8_t *out, size_t outcap,
                                size_t *outlen);
/* Bytes of the encoding of rm. */
size_t hs_rumor_encoded_len(const struct hs_rumor *rm);

#endif

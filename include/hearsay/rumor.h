/*
 * overlay/: rumors — immutable signed messages on a topic.
 *
 *   origin[32] || topic (name, 1..HS_TOPIC_MAX) || time_ms u64 ||
 *   payload (bytes, 0..HS_RUMOR_PAYLOAD_MAX) || sig[64]
 *
 * sig: BIP340 by origin over tagged_hash("hearsay/rumor/<network>", every byte before sig).
 * The rumor id is BLAKE2b-256 of the whole signed encoding.
 *
 * A decoded rumor borrows topic and payload from the buffer it was decoded from.
 */
#ifndef HEARSAY_RUMOR_H
#define HEARSAY_RUMOR_H

#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"
#include "hearsay/limits.h"
#include "hearsay/wire.h"

struct hs_rumor {
	uint8_t origin[HS_KEY_LEN];
	const uint8_t *topic;
	size_t topic_len;
	uint64_t time_ms; /* origin's wall clock, Unix milliseconds */
	const uint8_t *payload;
	size_t payload_len;
	uint8_t sig[HS_SIG_LEN];
};

void hs_rumor_read(struct hs_reader *r, struct hs_rumor *rm);
void hs_rumor_write(struct hs_writer *w, const struct hs_rumor *rm);
HS_MUST_USE int hs_rumor_decode(struct hs_rumor *rm, const uint8_t *data, size_t datalen);
HS_MUST_USE int hs_rumor_encode(const struct hs_rumor *rm, uint8_t *out, size_t outcap,
                                size_t *outlen);
/* Bytes of the encoding of rm. */
size_t hs_rumor_encoded_len(const struct hs_rumor *rm);

#endif

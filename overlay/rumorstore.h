/*
 * overlay/: the rumor store — rumors we hold to serve getdata and pull, for the retention time.
 *
 * Each stored rumor keeps its signed encoding (copied), its times, and a bitmap over peer
 * slots: bit p set means the peer in slot p has the rumor or has been told of it (it sent or
 * announced it to us, or we announced or sent it). That bitmap is the per-peer filter that
 * guarantees no peer is told about an id twice, with memory proportional to what we store,
 * not to peers times ids. When a slot is reused, hs_rumorstore_forget_peer clears its bit.
 *
 * Bounded by a count and a byte total; the oldest arrival is evicted first; an entry past its
 * expiry is treated as absent even before eviction reaches it.
 */
#ifndef HEARSAY_OVERLAY_RUMORSTORE_H
#define HEARSAY_OVERLAY_RUMORSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "idring.h"

#define HS_PEER_WORDS (HS_PEERS_MAX / 64)

struct hs_stored_rumor {
	uint8_t id[HS_ID_LEN];
	uint8_t *enc; /* owned copy of the signed encoding */
	uint32_t enclen;
	uint16_t topic_off; /* topic bytes within enc */
	uint16_t topic_len;
	uint64_t origin_ns; /* the rumor's own time */
	uint64_t received_ns;
	uint64_t expiry_ns;
	uint64_t knows[HS_PEER_WORDS];
};

struct hs_rumorstore {
	struct hs_idring ring;
	size_t bytes;
	size_t bytes_max;
};

void hs_rumorstore_init(struct hs_rumorstore *st, const uint8_t key[16], size_t count_max,
                        size_t bytes_max);
void hs_rumorstore_deinit(struct hs_rumorstore *st);
/* Stores a copy of enc, evicting the oldest rumors to make room. HS_ERR_EXISTS,
 * HS_ERR_TOO_LARGE (larger than bytes_max alone), HS_ERR_NOMEM. *out: the new entry. */
HS_MUST_USE int hs_rumorstore_add(struct hs_rumorstore *st, struct hs_stored_rumor **out,
                                  const uint8_t id[HS_ID_LEN], const uint8_t *enc, size_t enclen,
                                  size_t topic_off, size_t topic_len, uint64_t origin_ns,
                                  uint64_t expiry_ns, uint64_t now);
/* The unexpired rumor with this id, or NULL. */
struct hs_stored_rumor *hs_rumorstore_find(const struct hs_rumorstore *st,
                                           const uint8_t id[HS_ID_LEN], uint64_t now);
void hs_rumorstore_expire(struct hs_rumorstore *st, uint64_t now);
/* Clears peer slot p's bit in every stored rumor. */
void hs_rumorstore_forget_peer(struct hs_rumorstore *st, unsigned p);
size_t hs_rumorstore_count(const struct hs_rumorstore *st);
/* i-th stored rumor, newest first (i < count); may be expired. */
struct hs_stored_rumor *hs_rumorstore_newest(const struct hs_rumorstore *st, size_t i);

static inline bool hs_knows(const struct hs_stored_rumor *r, unsigned p)
{
	return (r->knows[p / 64] >> (p % 64)) & 1u;
}

static inline void hs_knows_set(struct hs_stored_rumor *r, unsigned p)
{
	r->knows[p / 64] |= (uint64_t)1 << (p % 64);
}

#endif

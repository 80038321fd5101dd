/*
 * overlay/: the seen cache — ids we have already handled, so a duplicate never reaches
 * signature verification.
 *
 * Holds ids of rumors we accepted, rejected or ignored, each until its expiry. The node sets
 * the expiry past the end of the rumor's acceptance window (retention + clock skew), so once
 * an id is forgotten the rumor itself is too old to be accepted again: a replay is refused by
 * the cache or by the time window, never by luck.
 *
 * Bounded by seen_max; when full the oldest entry is forgotten first (FIFO).
 * Rationale: a flooder's fresh ids then push out the flooder's own older ids as much as
 * anyone's, and the time window still refuses any replay older than the retention.
 */
#ifndef HEARSAY_OVERLAY_SEEN_H
#define HEARSAY_OVERLAY_SEEN_H

#include <stdbool.h>
#include <stdint.h>

#include "idring.h"

struct hs_seen {
	struct hs_idring ring;
};

void hs_seen_init(struct hs_seen *s, const uint8_t key[16], size_t seen_max);
void hs_seen_deinit(struct hs_seen *s);
/* True if id is remembered and its expiry is after now. */
bool hs_seen_has(const struct hs_seen *s, const uint8_t id[HS_ID_LEN], uint64_t now);
/* Remembers id until expiry_ns (a later expiry extends it). 0, HS_ERR_NOMEM, or HS_ERR_FULL
 * when seen_max is 0. */
HS_MUST_USE int hs_seen_add(struct hs_seen *s, const uint8_t id[HS_ID_LEN], uint64_t expiry_ns,
                            uint64_t now);
/* Forgets expired entries at the old end. */
void hs_seen_expire(struct hs_seen *s, uint64_t now);
size_t hs_seen_count(const struct hs_seen *s);

#endif

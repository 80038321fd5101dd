/*
 * overlay/: a bounded FIFO of fixed-size elements, each findable by its 32-byte id.
 *
 * The seen cache and the rumor store are both "remember things in arrival order, look them up
 * by id, forget the oldest first": this is that mechanism, once. Every element begins with its
 * id (HS_ID_LEN bytes). Elements are stored in a ring that grows by doubling up to the
 * power of two above elems_max; the id index is a secret-keyed hs_idmap holding each element's
 * 32-bit arrival sequence number.
 *
 * Invariant: count <= elems_max; the map holds exactly the ids in the ring.
 */
#ifndef HEARSAY_OVERLAY_IDRING_H
#define HEARSAY_OVERLAY_IDRING_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/idmap.h"
#include "hearsay/error.h"

struct hs_idring {
	struct hs_idmap map;
	uint8_t *elems;
	size_t elem_size;
	size_t elems_max;
	size_t cap;  /* 0 or a power of two */
	size_t head; /* ring index of the oldest element */
	size_t count;
	uint32_t head_seq; /* arrival number of the oldest element */
};

/* elem_size >= HS_ID_LEN; each element starts with its id. */
void hs_idring_init(struct hs_idring *r, const uint8_t key[16], size_t elem_size, size_t elems_max);
void hs_idring_deinit(struct hs_idring *r);
/* Appends a zeroed element with this id and returns it (its id already set).
 * HS_ERR_EXISTS, HS_ERR_FULL (pop first), HS_ERR_NOMEM. */
HS_MUST_USE int hs_idring_push(struct hs_idring *r, const uint8_t id[HS_ID_LEN], void **elem);
void *hs_idring_find(const struct hs_idring *r, const uint8_t id[HS_ID_LEN]);
/* i-th element in arrival order (0 = oldest), i < count. */
void *hs_idring_at(const struct hs_idring *r, size_t i);
/* Forgets the oldest element (the caller releases what it points to first). */
void hs_idring_pop(struct hs_idring *r);

#endif

/*
 * crypto/: a hash map from 32-byte ids to 32-bit values, keyed by a secret.
 *
 * Ids (rumor ids, entry ids, node ids) are chosen by peers, who could grind them to collide
 * in a predictable hash; slots are therefore chosen by SipHash under a per-map secret key
 * (Rationale: addrman's bucket key). Open addressing with linear probing and backward-shift
 * deletion, so there are no tombstones and a lookup never degrades with churn. Capacity is a
 * power of two, grows by doubling up to what entries_max needs, and never beyond: a put past
 * entries_max fails with HS_ERR_FULL and the caller evicts first.
 */
#ifndef HEARSAY_IDMAP_H
#define HEARSAY_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "hearsay/error.h"

struct hs_idmap_slot {
	uint8_t id[HS_ID_LEN];
	uint32_t value;
	uint32_t used; /* 1 when occupied */
};

struct hs_idmap {
	struct hs_idmap_slot *slots;
	size_t cap; /* 0 or a power of two */
	size_t count;
	size_t entries_max;
	uint8_t key[16];
};

void hs_idmap_init(struct hs_idmap *m, const uint8_t key[16], size_t entries_max);
void hs_idmap_deinit(struct hs_idmap *m);
/* Pointer to id's value (valid until the next put or del), or NULL. */
uint32_t *hs_idmap_get(const struct hs_idmap *m, const uint8_t id[HS_ID_LEN]);
/* Adds id. HS_ERR_EXISTS if present, HS_ERR_FULL at entries_max, HS_ERR_NOMEM. */
HS_MUST_USE int hs_idmap_put(struct hs_idmap *m, const uint8_t id[HS_ID_LEN], uint32_t value);
/* Removes id; false if absent. */
bool hs_idmap_del(struct hs_idmap *m, const uint8_t id[HS_ID_LEN]);

#endif

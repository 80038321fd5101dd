/*
 * overlay/: the address book — signed node records we may dial, with connection history.
 *
 * Keyed by node id (a secret-keyed map: ids are peer-chosen). Only records whose signature the
 * node has verified are added; a newer seq replaces an older record of the same node. Bounded
 * by entries_max: when full, a new record replaces the worst entry — the one with the most
 * consecutive failed attempts, then never connected, then the oldest added.
 * Rationale: records a peer pushes at us can only displace entries that never proved useful,
 * so a flood of fresh records cannot push out peers we have connected to.
 *
 * Pure data with explicit time. The node chooses whom to dial (overlay/connect.c); this only
 * keeps the entries and their history.
 */
#ifndef HEARSAY_OVERLAY_ADDRBOOK_H
#define HEARSAY_OVERLAY_ADDRBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"
#include "hearsay/idmap.h"
#include "hearsay/record.h"

struct hs_book_entry {
	uint8_t id[HS_KEY_LEN];
	struct hs_record rec;    /* verified; re-encoding it gives the signed bytes back */
	uint8_t source_group[8]; /* group of the peer that told us */
	bool tried;              /* we connected to it at least once */
	bool connected;          /* a session with it is open now */
	uint32_t attempts;       /* consecutive failed attempts */
	uint64_t added_ns, last_try_ns, last_success_ns;
};

struct hs_addrbook {
	struct hs_idmap map; /* id -> index in entries */
	struct hs_book_entry *entries;
	size_t count, cap, entries_max;
};

void hs_addrbook_init(struct hs_addrbook *ab, const uint8_t key[16], size_t entries_max);
void hs_addrbook_deinit(struct hs_addrbook *ab);
/* Adds or refreshes a verified record. A record with a seq not above the stored one is
 * ignored (returns 0). HS_ERR_NOMEM; HS_ERR_FULL when every entry is connected. */
HS_MUST_USE int hs_addrbook_add(struct hs_addrbook *ab, const struct hs_record *rec,
                                const uint8_t source_group[8], uint64_t now);
struct hs_book_entry *hs_addrbook_find(const struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN]);
/* The entry advertising addr as its first address, or NULL. */
struct hs_book_entry *hs_addrbook_find_addr(const struct hs_addrbook *ab,
                                            const struct hs_netaddr *addr);
void hs_addrbook_remove(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN]);
size_t hs_addrbook_count(const struct hs_addrbook *ab);
struct hs_book_entry *hs_addrbook_at(const struct hs_addrbook *ab, size_t i);

#endif

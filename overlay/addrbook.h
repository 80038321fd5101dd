/*
 * overlay/: the address book — signed node records we may dial, with connection history, in
 * Bitcoin Core's addrman mould.
 *
 * Two tables of buckets of HS_BOOK_BUCKET_SIZE (64) slots; every entry sits in exactly one
 * slot of one table:
 *
 *   new    records we were told of and have not (recently) reached. A record's bucket is
 *          chosen by a secret-keyed hash of the group of the peer that told us (its *source
 *          group*) and of one of new_per_source buckets picked by a keyed hash of the record's
 *          own group; its slot in the bucket is the first free of HS_BOOK_NEW_CHOICES (4)
 *          positions, each a keyed hash of its first address.
 *   tried  records we had a successful outbound session with. The bucket is a keyed hash of
 *          the record's group and one of tried_per_group buckets picked by its address.
 *
 * Sizes, from entries_max = N (the config's addrbook_max): tried_buckets = ceil(N / 320),
 * new_buckets = 4 * tried_buckets, 64 slots each, so there are at least N slots, a fifth of
 * them tried (Bitcoin's 256 : 1024 buckets; N = 81920 gives exactly Bitcoin's tables).
 * new_per_source = max(1, new_buckets / 16) and tried_per_group = max(1, tried_buckets / 32)
 * keep Bitcoin's shares (64 of 1024, 8 of 256). At most N entries are held at once.
 *
 * Rules:
 *  - A record whose new positions all hold other entries takes the first whose entry is
 *    *terrible* (never reached after HS_BOOK_RETRIES tries, or HS_BOOK_FAILURES_MAX failures
 *    and no success for a week; never one tried in the last minute); otherwise the new record
 *    is refused.
 *  - An entry moves to tried only after a successful session (hs_addrbook_good). If its tried
 *    slot holds another entry, that is a *collision*: the id is queued (at most
 *    HS_BOOK_COLLISIONS_MAX) and the old entry is kept unless a test of it (a feeler,
 *    hs_addrbook_collision_to_test) fails; then the old entry goes back to new and the newcomer
 *    takes its slot (test-before-evict). A collision not decided within
 *    HS_BOOK_TEST_WINDOW_S is dropped and the old entry stays.
 *  - Selection (hs_addrbook_select) picks tried or new with equal odds (when both have a
 *    candidate), then a network group uniformly among those the table's candidates are in,
 *    then an entry of it with weight 0.66^attempts, a hundredth of it when tried in the last
 *    10 minutes (Bitcoin's GetChance). Rationale: an attacker with many addresses in few
 *    groups gets no more outbound chances than one address in each of them; a book poisoned
 *    with thousands of its records still gives honest groups most picks.
 * Rationale: an attacker that tells us of many records from few network groups fills only the
 * few new buckets its source groups hash to, and cannot displace tried entries at all except
 * by making them fail a test; secret keys stop it from choosing where its records land.
 *
 * Keyed by node id (a secret-keyed map: ids are peer-chosen). Only records whose signature the
 * node has verified are added; a newer seq replaces an older record of the same node (one
 * whose first address changed is placed afresh, as new). Removed ids are queued for the node
 * (hs_addrbook_pop_removed) so it can delete them from the store.
 *
 * Pure data with explicit time and randomness (a callback the caller owns); testable alone.
 */
#ifndef HEARSAY_OVERLAY_ADDRBOOK_H
#define HEARSAY_OVERLAY_ADDRBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/idmap.h"
#include "hearsay/error.h"
#include "overlay/record.h"

#define HS_BOOK_BUCKET_SIZE 64

struct hs_book_entry {
	uint8_t id[HS_KEY_LEN];
	struct hs_record rec;    /* verified; re-encoding it gives the signed bytes back */
	uint8_t source_group[8]; /* group of the peer that told us (new bucket) */
	bool tried;              /* in the tried table */
	bool connected;          /* a session with it is open now */
	uint32_t attempts;       /* consecutive failed attempts */
	uint32_t slot;           /* bucket * HS_BOOK_BUCKET_SIZE + position, in its table */
	uint64_t added_ns, last_try_ns, last_fail_ns, last_success_ns;
};

struct hs_book_collision {
	uint8_t id[HS_KEY_LEN];
	uint64_t queued_ns;
};

/* What the book refused or replaced: limits that discard say so. */
struct hs_book_stats {
	uint64_t refused;            /* new records whose slot held a healthy entry, or book full */
	uint64_t replaced;           /* terrible entries overwritten by a new record */
	uint64_t collisions;         /* tried-slot collisions queued */
	uint64_t collisions_dropped; /* collisions over HS_BOOK_COLLISIONS_MAX or out of time */
	uint64_t demoted;            /* tried entries that failed a test and went back to new */
	uint64_t unsaved; /* removals or changes past HS_BOOK_REMOVED_MAX between two drains: the
	                   * store keeps that entry's old value until the next start */
};

struct hs_addrbook {
	struct hs_idmap map; /* id -> index in entries */
	struct hs_book_entry *entries;
	size_t count, cap, entries_max, ntried;
	uint8_t key[16];
	uint32_t *new_slots, *tried_slots; /* entry index + 1; 0 = empty */
	size_t new_buckets, tried_buckets, new_per_source, tried_per_group;
	struct hs_book_collision collisions[HS_BOOK_COLLISIONS_MAX];
	size_t ncollisions;
	uint8_t removed[HS_BOOK_REMOVED_MAX][HS_KEY_LEN]; /* ids removed, for the store */
	size_t nremoved;
	uint8_t changed[HS_BOOK_REMOVED_MAX][HS_KEY_LEN]; /* moved by a collision's outcome */
	size_t nchanged;
	struct hs_book_stats stats;
};

/* Randomness: 64 unpredictable bits per call. */
typedef uint64_t (*hs_book_rand)(void *ctx);

/* HS_ERR_NOMEM. entries_max 0 makes a book that holds nothing. */
HS_MUST_USE int hs_addrbook_init(struct hs_addrbook *ab, const uint8_t key[16], size_t entries_max);
void hs_addrbook_deinit(struct hs_addrbook *ab);
/* Adds (into new) or refreshes a verified record. A record with a seq not above the stored one
 * is ignored (returns 0). HS_ERR_FULL when refused (its slot holds a healthy entry, or the
 * book holds entries_max and none is terrible). */
HS_MUST_USE int hs_addrbook_add(struct hs_addrbook *ab, const struct hs_record *rec,
                                const uint8_t source_group[8], uint64_t now);
struct hs_book_entry *hs_addrbook_find(const struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN]);
/* True if the book holds the record whose signed encoding is enc, byte for byte: its
 * signature was checked when it went in, so a hello carrying it again needs no check. */
bool hs_addrbook_holds(const struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN],
                       const uint8_t *enc, size_t enclen);
/* The entry advertising addr as its first address, or NULL. */
struct hs_book_entry *hs_addrbook_find_addr(const struct hs_addrbook *ab,
                                            const struct hs_netaddr *addr);
void hs_addrbook_remove(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN]);
size_t hs_addrbook_count(const struct hs_addrbook *ab);
size_t hs_addrbook_tried_count(const struct hs_addrbook *ab);
struct hs_book_entry *hs_addrbook_at(const struct hs_addrbook *ab, size_t i);

/* A successful session with id: attempts reset, and a move to tried (or a queued collision).
 * Returns true if the entry is in tried afterwards. */
bool hs_addrbook_good(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN], uint64_t now);
/* A failed attempt to reach id. */
void hs_addrbook_failed(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN], uint64_t now);
/* Decides queued collisions (see the rules above). */
void hs_addrbook_resolve_collisions(struct hs_addrbook *ab, uint64_t now);
/* A tried entry that a queued collision wants tested and that has not been tried since, or
 * NULL. */
struct hs_book_entry *hs_addrbook_collision_to_test(const struct hs_addrbook *ab);
bool hs_addrbook_is_terrible(const struct hs_book_entry *e, uint64_t now);

/* A random entry for which ok(ctx, e) holds (ok may be NULL), from new only or tried-biased
 * (see above); NULL if none. */
struct hs_book_entry *hs_addrbook_select(const struct hs_addrbook *ab, bool new_only,
                                         bool (*ok)(void *ctx, const struct hs_book_entry *e),
                                         void *okctx, hs_book_rand rnd, void *rctx, uint64_t now);
/* Up to max records for a getaddr answer, none terrible, none with id exclude (may be NULL):
 * tried filling half of max first, then new, then tried again. Within a table the picks are
 * spread over network groups: a random entry of each group in random order, then a second of
 * each, and so on. Returns how many. Rationale: a Sybil operator's few dense groups no longer
 * fill the answers honest nodes give each other, so an honest node learns the honest groups
 * (with uniform picks, 200 honest nodes beside 200 Sybils from 32 /16s gave attackers 41% of
 * their outbound slots; spread picks, 36%). */
size_t hs_addrbook_sample(const struct hs_addrbook *ab, struct hs_record *out, size_t max,
                          const uint8_t *exclude, hs_book_rand rnd, void *rctx, uint64_t now);

/* The bucket a record goes to (tables as above), for tests and the consistency check. */
uint32_t hs_addrbook_new_bucket(const struct hs_addrbook *ab, const struct hs_record *rec,
                                const uint8_t source_group[8]);
uint32_t hs_addrbook_tried_bucket(const struct hs_addrbook *ab, const struct hs_record *rec);
/* The slot (bucket * HS_BOOK_BUCKET_SIZE + position) a record goes to in a table: in new,
 * its choice-th of HS_BOOK_NEW_CHOICES positions (choice < HS_BOOK_NEW_CHOICES); in tried,
 * its one slot (choice ignored). */
uint32_t hs_addrbook_slot(const struct hs_addrbook *ab, const struct hs_record *rec,
                          const uint8_t source_group[8], bool tried, unsigned choice);
/* Pops one removed id into id; false when none is queued. */
bool hs_addrbook_pop_removed(struct hs_addrbook *ab, uint8_t id[HS_KEY_LEN]);
/* Pops one id whose table hs_addrbook_resolve_collisions changed (to save it again). */
bool hs_addrbook_pop_changed(struct hs_addrbook *ab, uint8_t id[HS_KEY_LEN]);
/* Every entry in the slot its hashes name, slot tables and map agree, counts match. */
bool hs_addrbook_check(const struct hs_addrbook *ab);

/* ---- the stored form (HS_SAVE_RECORD values, docs/OPERATIONS.md) -------------------------
 *
 *   record encoding (§5.2) || version u8 = 1 || flags u8 (bit 0: tried; others zero) ||
 *   attempts u32 LE || last_success_s u64 LE (0: never) || source_group[8]
 *
 * A bare record encoding (what older versions saved) is also accepted: a new entry. */
#define HS_BOOK_META_LEN 22
struct hs_book_meta {
	bool tried;
	uint32_t attempts;
	uint64_t last_success_ns;
	uint8_t source_group[8];
};
/* HS_ERR_BUFFER if outcap is too small, HS_ERR_INVALID for a record that does not encode. */
HS_MUST_USE int hs_book_value_encode(const struct hs_book_entry *e, uint8_t *out, size_t outcap,
                                     size_t *outlen);
/* Decodes either form: *reclen is the length of the record part (the signed bytes), *has_meta
 * says whether the trailer was there (else *meta is zero). Rejects anything else. */
HS_MUST_USE int hs_book_value_decode(struct hs_record *rec, size_t *reclen,
                                     struct hs_book_meta *meta, bool *has_meta, const uint8_t *data,
                                     size_t datalen);
/* Restores a stored entry: into tried if it was tried and its slot is free, else as new.
 * Same results as hs_addrbook_add. */
HS_MUST_USE int hs_addrbook_load(struct hs_addrbook *ab, const struct hs_record *rec,
                                 const struct hs_book_meta *meta, uint64_t now);

#endif

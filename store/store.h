/*
 * store/: hearsay's persistent state in LevelDB (DATADIR/store).
 *
 * A thin, typed-by-prefix key-value layer: the driver (node/) writes what the core asks it to
 * save and reads it back at start. The core never calls this module.
 *
 * Keys begin with one table byte (docs/OPERATIONS.md lists them): 'v' schema version,
 * 'g' generation counter, 'r' node records, 'b' bans, 's' scores, 'e' state entries,
 * 'a' anchors, 'c' a seed's crawl statistics. Values are the objects' canonical encodings plus
 * small fixed headers.
 *
 * Durability: writes flagged sync reach the disk before the call returns (what the node
 * acknowledges: bans, its own state entries, the generation counter); others go through
 * LevelDB's log and may be lost in an OS crash, never corrupted. A store that fails LevelDB's
 * checks opens with HS_ERR_CORRUPT and a message naming the repair command (hearsayd
 * -repairstore).
 *
 * Errors: every failing call leaves one non-empty line in hs_store_error() naming the store's
 * directory, the cause in plain words ("no space left on device", "permission denied", "the
 * store is damaged") and LevelDB's own status text.
 *
 * Write failures: after a write fails (a full disk, an I/O error, or LevelDB's sticky
 * background error after a failed compaction) the store takes no further write until
 * hs_store_probe succeeds. Rationale: LevelDB 1.23's log writer does not rewind after a
 * failed append, so a record written after a partial one lands at the wrong offset and the
 * next open finds "Corruption: checksum mismatch" (paranoid checks) or silently drops
 * records (repair). A partial record at the very end of the log is what a crash leaves and
 * recovery ignores; so the store stops writing to that log, and hs_store_probe closes and
 * reopens the database (a fresh log) before it writes again.
 */
#ifndef HEARSAY_STORE_H
#define HEARSAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"

#define HS_STORE_SCHEMA 1
/* hs_store_error's line, at most (longer ones are cut). */
#define HS_STORE_ERR_MAX 512

enum hs_store_table {
	HS_TABLE_SCHEMA = 'v',
	HS_TABLE_GENERATION = 'g',
	HS_TABLE_RECORD = 'r',
	HS_TABLE_BAN = 'b',
	HS_TABLE_SCORE = 's',
	HS_TABLE_STATE = 'e',
	HS_TABLE_ANCHOR = 'a',
	HS_TABLE_CRAWL = 'c',
};

struct hs_store;

/* Opens (creating if missing) the store in dir. err gets one non-empty line on failure:
 * HS_ERR_IO (cannot create or lock: e.g. another hearsayd uses it, a missing parent
 * directory, no permission, a full disk), HS_ERR_CORRUPT (damaged: the line names the repair;
 * or a schema this version does not know). */
HS_MUST_USE int hs_store_open(struct hs_store **out, const char *dir, char *err, size_t errlen);
void hs_store_close(struct hs_store *st);
/* Rebuilds a damaged store with LevelDB's repair (tables are scanned entry by entry, logs
 * replayed), then replays every whole record of the newest log found by a byte-by-byte scan
 * (store/salvage.h: what LevelDB's block reader misses after a record lost mid-log), and
 * opens the result with the checks a start uses. *salvaged: the log batches replayed. */
HS_MUST_USE int hs_store_repair(const char *dir, char *err, size_t errlen, size_t *salvaged);

/* Key = table byte || key bytes. A failed write returns HS_ERR_IO (HS_ERR_CORRUPT when
 * LevelDB reports damage) and leaves the store refusing writes (hs_store_is_failed) until
 * hs_store_probe succeeds. */
HS_MUST_USE int hs_store_put(struct hs_store *st, uint8_t table, const void *key, size_t keylen,
                             const void *val, size_t vallen, bool sync);
HS_MUST_USE int hs_store_del(struct hs_store *st, uint8_t table, const void *key, size_t keylen,
                             bool sync);
/* *val is malloc'd (free it); HS_ERR_NOT_FOUND if absent. */
HS_MUST_USE int hs_store_get(struct hs_store *st, uint8_t table, const void *key, size_t keylen,
                             uint8_t **val, size_t *vallen);
/* Calls fn for every entry of table in key order, with the key minus its table byte. Stops
 * early when fn returns false. A damaged block is skipped and its error returned after the
 * walk: fn saw every entry that could be read. */
HS_MUST_USE int hs_store_each(struct hs_store *st, uint8_t table,
                              bool (*fn)(void *ctx, const uint8_t *key, size_t keylen,
                                         const uint8_t *val, size_t vallen),
                              void *ctx);
/* Deletes every entry of table. */
HS_MUST_USE int hs_store_clear(struct hs_store *st, uint8_t table, bool sync);
/* Replaces table's content with the n given entries in one atomic synchronous write. */
HS_MUST_USE int hs_store_replace(struct hs_store *st, uint8_t table, size_t n,
                                 const uint8_t *const *keys, const size_t *keylens,
                                 const uint8_t *const *vals, const size_t *vallens);

/* Reads the generation counter and writes back the larger of one more and floor,
 * synchronously: every start of a node gets a generation higher than any before it. The
 * caller passes the wall clock in Unix milliseconds as floor (Cassandra's generation is its
 * seconds), so a node restarted with its key but a new store still outranks what it signed before.
 */
HS_MUST_USE int hs_store_next_generation(struct hs_store *st, uint64_t floor, uint64_t *generation);

/* The last failure's line (empty before any). Valid until the next call on st. */
const char *hs_store_error(const struct hs_store *st);
/* True after a write failed, until hs_store_probe succeeds. */
bool hs_store_is_failed(const struct hs_store *st);
/* After a failed write: closes and reopens the database, then writes one small record
 * synchronously. 0 when that succeeded and the store takes writes again (also 0 when no write
 * had failed); otherwise the error, with hs_store_error saying why. */
HS_MUST_USE int hs_store_probe(struct hs_store *st);

/* For tests: the next write fails as if LevelDB had returned status (e.g. "IO error:
 * 000005.log: No space left on device"), without touching the database. */
void hs_store_inject_write_error(struct hs_store *st, const char *status);

#endif

/*
 * store/: hearsay's persistent state in LevelDB (DATADIR/store).
 *
 * A thin, typed-by-prefix key-value layer: the driver (node/) writes what the core asks it to
 * save and reads it back at start. The core never calls this module.
 *
 * Keys begin with one table byte (docs/OPERATIONS.md lists them): 'v' schema version,
 * 'g' generation counter, 'r' node records, 'b' bans, 's' scores, 'e' state entries,
 * 'a' anchors. Values are the objects' canonical encodings plus small fixed headers.
 *
 * Durability: writes flagged sync reach the disk before the call returns (bans, the
 * generation counter: what must survive a crash); others go through LevelDB's log and may be
 * lost in a crash, never corrupted. A store that fails LevelDB's checks opens with
 * HS_ERR_CORRUPT and a message naming the repair command (hearsayd -repairstore).
 */
#ifndef HEARSAY_STORE_H
#define HEARSAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"

#define HS_STORE_SCHEMA 1

enum hs_store_table {
	HS_TABLE_SCHEMA = 'v',
	HS_TABLE_GENERATION = 'g',
	HS_TABLE_RECORD = 'r',
	HS_TABLE_BAN = 'b',
	HS_TABLE_SCORE = 's',
	HS_TABLE_STATE = 'e',
	HS_TABLE_ANCHOR = 'a',
};

struct hs_store;

/* Opens (creating if missing) the store in dir. err gets one line on failure:
 * HS_ERR_IO (cannot create or lock: e.g. another hearsayd uses it), HS_ERR_CORRUPT (damaged,
 * or a schema this version does not know). */
HS_MUST_USE int hs_store_open(struct hs_store **out, const char *dir, char *err, size_t errlen);
void hs_store_close(struct hs_store *st);
/* Rebuilds a damaged store with LevelDB's repair (keeps what can be read). */
HS_MUST_USE int hs_store_repair(const char *dir, char *err, size_t errlen);

/* Key = table byte || key bytes. */
HS_MUST_USE int hs_store_put(struct hs_store *st, uint8_t table, const void *key, size_t keylen,
                             const void *val, size_t vallen, bool sync);
HS_MUST_USE int hs_store_del(struct hs_store *st, uint8_t table, const void *key, size_t keylen,
                             bool sync);
/* *val is malloc'd (free it); HS_ERR_NOT_FOUND if absent. */
HS_MUST_USE int hs_store_get(struct hs_store *st, uint8_t table, const void *key, size_t keylen,
                             uint8_t **val, size_t *vallen);
/* Calls fn for every entry of table in key order, with the key minus its table byte. Stops
 * early when fn returns false. */
HS_MUST_USE int hs_store_each(struct hs_store *st, uint8_t table,
                              bool (*fn)(void *ctx, const uint8_t *key, size_t keylen,
                                         const uint8_t *val, size_t vallen),
                              void *ctx);
/* Deletes every entry of table. */
HS_MUST_USE int hs_store_clear(struct hs_store *st, uint8_t table, bool sync);

/* Reads the generation counter, adds one and writes it back synchronously: every start of a
 * node gets a generation higher than any before it. */
HS_MUST_USE int hs_store_next_generation(struct hs_store *st, uint64_t *generation);

#endif

/*
 * store/salvage.c: reads LevelDB log files byte by byte, for hs_store_repair.
 *
 * LevelDB's own repair reads a log in 32 KB blocks and drops the rest of a block at the first
 * bad record. When a record is missing or cut short in the middle of a log (what LevelDB 1.23
 * leaves after a failed append followed by successful ones: the later records sit at offsets
 * the block reader does not expect), every record after it is unreadable to that reader,
 * although each is whole and checksummed. This scan tries every byte offset for a record
 * header whose CRC-32C matches, reassembles fragmented records, and keeps each write batch
 * that parses completely; hs_store_repair replays them in sequence order after LevelDB's
 * repair, so no record that can be read is lost.
 *
 * Input: files on disk that may hold any bytes. Every length is checked against the file
 * before it is used; a batch is applied whole or not at all.
 */
#ifndef HEARSAY_STORE_SALVAGE_H
#define HEARSAY_STORE_SALVAGE_H

#include <stddef.h>
#include <stdint.h>

#include <leveldb/c.h>

struct hs_salvage_batch {
	uint64_t seq;
	uint8_t *rep; /* the write batch as logged: seq, count, records */
	size_t replen;
};

struct hs_salvage {
	struct hs_salvage_batch *batches;
	size_t n, cap;
	size_t records; /* physical records with a valid checksum */
};

/* Scans every *.log file in dir. 0, or HS_ERR_IO / HS_ERR_NOMEM. */
int hs_salvage_scan(struct hs_salvage *s, const char *dir);
/* The same over one log file's bytes (the fuzz target's entry). 0, or HS_ERR_NOMEM. */
int hs_salvage_scan_bytes(struct hs_salvage *s, const uint8_t *p, size_t n);
/* Writes every salvaged batch, in sequence order, into db (synchronously at the end).
 * Returns how many were applied; *lerr is set (LevelDB's message) on a write error. */
size_t hs_salvage_apply(const struct hs_salvage *s, leveldb_t *db, char **lerr);
void hs_salvage_free(struct hs_salvage *s);

#endif

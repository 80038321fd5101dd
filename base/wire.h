/*
 * overlay/: the canonical wire codec — one bounds-checked reader, one writer.
 *
 * Encoding rules (docs/PROTOCOL.md §2): fixed-width integers are little-endian; counts and
 * lengths are unsigned LEB128 varints of minimal length (at most 10 bytes, no trailing 0x00
 * continuation group, value fits 64 bits); byte strings are a varint length then the bytes;
 * an object is its fields in fixed order with nothing after the last.
 *
 * Errors are sticky: the first failure is kept in err, later reads return zero/NULL and do
 * not advance, so a decoder reads every field and checks hs_reader_end() once. A reader never
 * reads outside [data, data + len) and never allocates.
 *
 * Attacker model: every byte in a reader is the peer's. Lengths are checked against a caller
 * limit *before* anything is sized from them.
 */
#ifndef HEARSAY_WIRE_H
#define HEARSAY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"

struct hs_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
	int err; /* 0 or the first HS_ERR_* met */
};

struct hs_writer {
	uint8_t *data;
	size_t cap;
	size_t len;
	int err; /* 0 or the first error: HS_ERR_BUFFER, or what hs_writer_fail recorded */
};

void hs_reader_init(struct hs_reader *r, const uint8_t *data, size_t len);
/* Records err unless an earlier error is already recorded. */
void hs_reader_fail(struct hs_reader *r, int err);
size_t hs_reader_left(const struct hs_reader *r);
/* The first error, else HS_ERR_TRAILING if bytes remain, else 0. */
HS_MUST_USE int hs_reader_end(const struct hs_reader *r);

uint8_t hs_read_u8(struct hs_reader *r);
uint16_t hs_read_u16(struct hs_reader *r);
uint32_t hs_read_u32(struct hs_reader *r);
uint64_t hs_read_u64(struct hs_reader *r);
/* A minimal varint no larger than max (else HS_ERR_TOO_LARGE; non-minimal:
 * HS_ERR_NONCANONICAL; over 64 bits: HS_ERR_NONCANONICAL). */
uint64_t hs_read_varint(struct hs_reader *r, uint64_t max);
/* n bytes, borrowed from the reader's buffer; NULL on error (n == 0 gives a non-NULL pointer). */
const uint8_t *hs_read_fixed(struct hs_reader *r, size_t n);
/* Varint length (<= max) then that many bytes, borrowed; *len set to 0 on error. */
const uint8_t *hs_read_bytes(struct hs_reader *r, size_t *len, size_t max);
/* Names (networks, topics, state keys): 1..max bytes, each printable ASCII 0x21..0x7e. */
bool hs_name_is_valid(const void *name, size_t namelen, size_t max);

/* hs_read_bytes whose content must also satisfy hs_name_is_valid (else HS_ERR_BAD_VALUE). */
const uint8_t *hs_read_name(struct hs_reader *r, size_t *len, size_t max);
/* A bool byte: 0 or 1, anything else HS_ERR_NONCANONICAL. */
bool hs_read_bool(struct hs_reader *r);

void hs_writer_init(struct hs_writer *w, uint8_t *data, size_t cap);
/* Records err (e.g. HS_ERR_INVALID from an encoder's check) unless an error is recorded. */
void hs_writer_fail(struct hs_writer *w, int err);
/* The first error recorded, else 0. */
HS_MUST_USE int hs_writer_end(const struct hs_writer *w);

void hs_write_u8(struct hs_writer *w, uint8_t v);
void hs_write_u16(struct hs_writer *w, uint16_t v);
void hs_write_u32(struct hs_writer *w, uint32_t v);
void hs_write_u64(struct hs_writer *w, uint64_t v);
void hs_write_varint(struct hs_writer *w, uint64_t v);
void hs_write_fixed(struct hs_writer *w, const void *p, size_t n);
void hs_write_bytes(struct hs_writer *w, const void *p, size_t n); /* varint length + bytes */
void hs_write_bool(struct hs_writer *w, bool v);

/* Bytes a varint of v occupies (1..10). */
size_t hs_varint_len(uint64_t v);

#endif

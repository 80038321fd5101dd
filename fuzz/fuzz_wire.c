/*
 * libFuzzer target: the wire reader and writer. The input is a script: an op byte chooses the
 * next field (its low bits the kind, its high bits a limit or size), then the field's bytes.
 * If the whole input reads cleanly, writing the same ops and values back must reproduce the
 * input byte for byte (one encoding per value), and reading that must give the same values.
 * If a read fails, the error must be sticky: later reads return zero and never advance.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS_MAX 4096

enum { OP_U8, OP_U16, OP_U32, OP_U64, OP_VARINT, OP_BYTES, OP_NAME, OP_BOOL, OP_FIXED, OP_KINDS };

static const uint64_t varint_max[4] = { UINT64_MAX, 127, 16384, 1000 };

struct field {
	uint8_t op;
	uint64_t v;
	const uint8_t *p;
	size_t len;
};

static struct field fields[FIELDS_MAX];

/* Reads one field; false once the reader has failed. */
static bool read_field(struct hs_reader *r, struct field *f, uint8_t op)
{
	f->op = op;
	f->v = 0;
	f->p = NULL;
	f->len = 0;
	switch (op % OP_KINDS) {
	case OP_U8:
		f->v = hs_read_u8(r);
		break;
	case OP_U16:
		f->v = hs_read_u16(r);
		break;
	case OP_U32:
		f->v = hs_read_u32(r);
		break;
	case OP_U64:
		f->v = hs_read_u64(r);
		break;
	case OP_VARINT:
		f->v = hs_read_varint(r, varint_max[(op >> 4) & 3]);
		break;
	case OP_BYTES:
		f->p = hs_read_bytes(r, &f->len, 64);
		break;
	case OP_NAME:
		f->p = hs_read_name(r, &f->len, 16);
		break;
	case OP_BOOL:
		f->v = hs_read_bool(r);
		break;
	case OP_FIXED:
		f->len = op >> 4;
		f->p = hs_read_fixed(r, f->len);
		break;
	}
	return r->err == 0;
}

static void write_field(struct hs_writer *w, const struct field *f)
{
	hs_write_u8(w, f->op);
	switch (f->op % OP_KINDS) {
	case OP_U8:
		hs_write_u8(w, (uint8_t)f->v);
		break;
	case OP_U16:
		hs_write_u16(w, (uint16_t)f->v);
		break;
	case OP_U32:
		hs_write_u32(w, (uint32_t)f->v);
		break;
	case OP_U64:
		hs_write_u64(w, f->v);
		break;
	case OP_VARINT:
		hs_write_varint(w, f->v);
		break;
	case OP_BYTES:
	case OP_NAME:
		hs_write_bytes(w, f->p, f->len);
		break;
	case OP_BOOL:
		hs_write_bool(w, f->v != 0);
		break;
	case OP_FIXED:
		hs_write_fixed(w, f->p, f->len);
		break;
	}
}

/* After a failure: every read returns zero/NULL, nothing advances, the error stays. */
static void check_sticky(struct hs_reader *r)
{
	size_t pos = r->pos;
	int err = r->err;
	size_t len = 1;
	if (err == 0 || hs_read_u8(r) != 0 || hs_read_u64(r) != 0 ||
	    hs_read_varint(r, UINT64_MAX) != 0 || hs_read_fixed(r, 0) != NULL ||
	    hs_read_bytes(r, &len, 10) != NULL || len != 0 || hs_read_bool(r) || r->pos != pos ||
	    r->err != err || hs_reader_end(r) != err)
		abort();
}

static uint8_t out[FIELDS_MAX * 80];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_reader r;
	size_t n = 0;
	hs_reader_init(&r, data, size);
	while (hs_reader_left(&r) > 0) {
		if (n == FIELDS_MAX)
			return 0;
		uint8_t op = hs_read_u8(&r);
		if (!read_field(&r, &fields[n++], op)) {
			check_sticky(&r);
			return 0;
		}
	}
	if (hs_reader_end(&r) != 0)
		abort();
	struct hs_writer w;
	hs_writer_init(&w, out, sizeof(out));
	for (size_t i = 0; i < n; i++)
		write_field(&w, &fields[i]);
	if (hs_writer_end(&w) != 0 || w.len != size || (size && memcmp(out, data, size) != 0))
		abort();
	hs_reader_init(&r, out, w.len);
	for (size_t i = 0; i < n; i++) {
		struct field f;
		if (!read_field(&r, &f, hs_read_u8(&r)) || f.op != fields[i].op ||
		    f.v != fields[i].v || f.len != fields[i].len ||
		    (f.len && memcmp(f.p, fields[i].p, f.len) != 0))
			abort();
	}
	if (hs_reader_end(&r) != 0)
		abort();
	return 0;
}

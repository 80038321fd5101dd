/* The canonical wire codec: one bounds-checked reader, one writer (see base/wire.h). */
#include <string.h>

#include "base/wire.h"

void hs_reader_init(struct hs_reader *r, const uint8_t *data, size_t len)
{
	r->data = data;
	r->len = data ? len : 0;
	r->pos = 0;
	r->err = 0;
}

void hs_reader_fail(struct hs_reader *r, int err)
{
	if (r->err == 0)
		r->err = err;
}

size_t hs_reader_left(const struct hs_reader *r)
{
	return r->len - r->pos;
}

int hs_reader_end(const struct hs_reader *r)
{
	if (r->err)
		return r->err;
	return r->pos == r->len ? 0 : HS_ERR_TRAILING;
}

/* The next n bytes, or NULL (and HS_ERR_TRUNCATED) if fewer remain or an error is recorded. */
static const uint8_t *take(struct hs_reader *r, size_t n)
{
	if (r->err)
		return NULL;
	if (n > r->len - r->pos) {
		hs_reader_fail(r, HS_ERR_TRUNCATED);
		return NULL;
	}
	static const uint8_t empty[1];
	if (!r->data)
		return empty; /* n == 0 on an empty reader: no pointer arithmetic on NULL */
	const uint8_t *p = r->data + r->pos;
	r->pos += n;
	return p;
}

static uint64_t read_le(struct hs_reader *r, size_t n)
{
	const uint8_t *p = take(r, n);
	uint64_t v = 0;
	if (!p)
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

uint8_t hs_read_u8(struct hs_reader *r)
{
	return (uint8_t)read_le(r, 1);
}

uint16_t hs_read_u16(struct hs_reader *r)
{
	return (uint16_t)read_le(r, 2);
}

uint32_t hs_read_u32(struct hs_reader *r)
{
	return (uint32_t)read_le(r, 4);
}

uint64_t hs_read_u64(struct hs_reader *r)
{
	return read_le(r, 8);
}

uint64_t hs_read_varint(struct hs_reader *r, uint64_t max)
{
	uint64_t v = 0;
	size_t start = r->pos;
	for (unsigned shift = 0;; shift += 7) {
		const uint8_t *p = take(r, 1);
		if (!p)
			return 0;
		uint64_t group = *p & 0x7fu;
		/* The 10th byte may only carry the top bit of a 64-bit value. */
		if (shift == 63 && (*p & 0xfeu) != 0) {
			hs_reader_fail(r, HS_ERR_NONCANONICAL);
			return 0;
		}
		v |= group << shift;
		if ((*p & 0x80u) == 0) {
			/* Minimal: a multi-byte varint never ends in a zero group. */
			if (*p == 0 && r->pos - start > 1) {
				hs_reader_fail(r, HS_ERR_NONCANONICAL);
				return 0;
			}
			break;
		}
	}
	if (v > max) {
		hs_reader_fail(r, HS_ERR_TOO_LARGE);
		return 0;
	}
	return v;
}

const uint8_t *hs_read_fixed(struct hs_reader *r, size_t n)
{
	return take(r, n);
}

const uint8_t *hs_read_bytes(struct hs_reader *r, size_t *len, size_t max)
{
	*len = 0;
	uint64_t n = hs_read_varint(r, max);
	const uint8_t *p = take(r, (size_t)n);
	if (p)
		*len = (size_t)n;
	return p;
}

const uint8_t *hs_read_name(struct hs_reader *r, size_t *len, size_t max)
{
	const uint8_t *p = hs_read_bytes(r, len, max);
	if (p && !hs_name_is_valid(p, *len, max)) {
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
		*len = 0;
		return NULL;
	}
	return p;
}

bool hs_read_bool(struct hs_reader *r)
{
	uint8_t v = hs_read_u8(r);
	if (v > 1)
		hs_reader_fail(r, HS_ERR_NONCANONICAL);
	return v == 1;
}

void hs_writer_init(struct hs_writer *w, uint8_t *data, size_t cap)
{
	w->data = data;
	w->cap = data ? cap : 0;
	w->len = 0;
	w->err = 0;
}

void hs_writer_fail(struct hs_writer *w, int err)
{
	if (w->err == 0)
		w->err = err;
}

int hs_writer_end(const struct hs_writer *w)
{
	return w->err;
}

/* Room for n more bytes, or NULL (and HS_ERR_BUFFER) if they do not fit. */
static uint8_t *room(struct hs_writer *w, size_t n)
{
	if (w->err)
		return NULL;
	if (n > w->cap - w->len) {
		w->err = HS_ERR_BUFFER;
		return NULL;
	}
	if (!w->data)
		return NULL; /* n == 0 into an empty writer */
	uint8_t *p = w->data + w->len;
	w->len += n;
	return p;
}

static void write_le(struct hs_writer *w, uint64_t v, size_t n)
{
	uint8_t *p = room(w, n);
	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void hs_write_u8(struct hs_writer *w, uint8_t v)
{
	write_le(w, v, 1);
}

void hs_write_u16(struct hs_writer *w, uint16_t v)
{
	write_le(w, v, 2);
}

void hs_write_u32(struct hs_writer *w, uint32_t v)
{
	write_le(w, v, 4);
}

void hs_write_u64(struct hs_writer *w, uint64_t v)
{
	write_le(w, v, 8);
}

size_t hs_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80u) {
		v >>= 7;
		n++;
	}
	return n;
}

void hs_write_varint(struct hs_writer *w, uint64_t v)
{
	uint8_t *p = room(w, hs_varint_len(v));
	if (!p)
		return;
	while (v >= 0x80u) {
		*p++ = (uint8_t)(v | 0x80u);
		v >>= 7;
	}
	*p = (uint8_t)v;
}

void hs_write_fixed(struct hs_writer *w, const void *src, size_t n)
{
	uint8_t *p = room(w, n);
	if (p && n)
		memcpy(p, src, n);
}

void hs_write_bytes(struct hs_writer *w, const void *src, size_t n)
{
	hs_write_varint(w, n);
	hs_write_fixed(w, src, n);
}

void hs_write_bool(struct hs_writer *w, bool v)
{
	hs_write_u8(w, v ? 1 : 0);
}

bool hs_name_is_valid(const void *name, size_t namelen, size_t max)
{
	const uint8_t *p = name;
	if (name == NULL || namelen == 0 || namelen > max)
		return false;
	for (size_t i = 0; i < namelen; i++) {
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	}
	return true;
}

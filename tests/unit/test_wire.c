/*
 * ctest `wire`: the bounds-checked reader and writer (overlay/wire.c).
 *
 * Varints at every length boundary and every non-minimal or oversized form, truncation at
 * every byte, sticky errors, trailing detection, writer overflow, and a model test that writes
 * random field sequences and reads them back (fixed seed; HS_TEST_SEED overrides it, and a
 * failure prints the seed that reproduces it).
 */
#include <stdbool.h>

#include "base/wire.h"
#include "harness.h"
#include "testrng.h"

/* ---- helpers ------------------------------------------------------------------------ */

static size_t enc_varint(uint8_t out[16], uint64_t v)
{
	struct hs_writer w;
	hs_writer_init(&w, out, 16);
	hs_write_varint(&w, v);
	return hs_writer_end(&w) == 0 ? w.len : 0;
}

/* Decodes data as one varint under max; returns the error, *v the value. */
static int dec_varint(const uint8_t *data, size_t len, uint64_t max, uint64_t *v)
{
	struct hs_reader r;
	hs_reader_init(&r, data, len);
	*v = hs_read_varint(&r, max);
	return hs_reader_end(&r);
}

/* Boundary values: 0, 2^(7k)-1 and 2^(7k) for every k, 2^63 and 2^64-1. */
static size_t boundaries(uint64_t out[32], size_t lens[32])
{
	size_t n = 0;
	out[n] = 0;
	lens[n++] = 1;
	for (unsigned k = 1; k <= 9; k++) {
		out[n] = ((uint64_t)1 << (7 * k)) - 1;
		lens[n++] = k;
		out[n] = (uint64_t)1 << (7 * k);
		lens[n++] = k + 1;
	}
	out[n] = (uint64_t)1 << 63;
	lens[n++] = 10;
	out[n] = UINT64_MAX;
	lens[n++] = 10;
	return n;
}

/* ---- varints --------------------------------------------------------------------------- */

static void test_varint_known(void)
{
	static const struct {
		uint64_t v;
		const char *hex;
	} cases[] = {
		{ 0, "00" },
		{ 1, "01" },
		{ 127, "7f" },
		{ 128, "8001" },
		{ 300, "ac02" },
		{ 16383, "ff7f" },
		{ 16384, "808001" },
		{ 0xffffffffu, "ffffffff0f" },
		{ (uint64_t)1 << 63, "80808080808080808001" },
		{ UINT64_MAX, "ffffffffffffffffff01" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t want[16], got[16];
		int n = hs_test_unhex(want, sizeof(want), cases[i].hex);
		REQUIRE(n > 0);
		CHECK_EQ(enc_varint(got, cases[i].v), n);
		CHECK_MEM(got, want, (size_t)n);
		CHECK_EQ(hs_varint_len(cases[i].v), n);
		uint64_t v;
		CHECK_EQ(dec_varint(want, (size_t)n, UINT64_MAX, &v), 0);
		CHECK(v == cases[i].v);
	}
}

static void test_varint_boundaries(void)
{
	uint64_t vals[32];
	size_t lens[32];
	size_t n = boundaries(vals, lens);
	CHECK_EQ(n, 21);
	for (size_t i = 0; i < n; i++) {
		uint8_t buf[16];
		uint64_t v;
		CHECK_EQ(enc_varint(buf, vals[i]), lens[i]);
		CHECK_EQ(hs_varint_len(vals[i]), lens[i]);
		CHECK_EQ(dec_varint(buf, lens[i], UINT64_MAX, &v), 0);
		CHECK(v == vals[i]);
		/* The limit is inclusive: max == v passes, max == v - 1 is too large. */
		CHECK_EQ(dec_varint(buf, lens[i], vals[i], &v), 0);
		if (vals[i] > 0) {
			CHECK_EQ(dec_varint(buf, lens[i], vals[i] - 1, &v), HS_ERR_TOO_LARGE);
			CHECK(v == 0);
		}
		/* Every proper prefix is truncated. */
		for (size_t cut = 0; cut < lens[i]; cut++)
			CHECK_EQ(dec_varint(buf, cut, UINT64_MAX, &v), HS_ERR_TRUNCATED);
		/* One more byte is trailing. */
		buf[lens[i]] = 0;
		CHECK_EQ(dec_varint(buf, lens[i] + 1, UINT64_MAX, &v), HS_ERR_TRAILING);
	}
}

/* Every padded form of every boundary value: the minimal encoding with its last byte given a
 * continuation bit, then 0x80 groups, then a final 0x00, up to 11 bytes. */
static void test_varint_nonminimal(void)
{
	uint64_t vals[32];
	size_t lens[32];
	size_t n = boundaries(vals, lens);
	unsigned forms = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t total = lens[i] + 1; total <= 11; total++) {
			uint8_t buf[16];
			uint64_t v = 1;
			size_t len = enc_varint(buf, vals[i]);
			buf[len - 1] |= 0x80;
			while (len < total - 1)
				buf[len++] = 0x80;
			buf[len++] = 0x00;
			CHECK_EQ(dec_varint(buf, len, UINT64_MAX, &v), HS_ERR_NONCANONICAL);
			CHECK(v == 0);
			forms++;
		}
	}
	CHECK(forms > 100);
}

static void test_varint_oversized(void)
{
	static const char *const bad[] = {
		"8080808080808080808000", /* 11 bytes */
		"ffffffffffffffffffff01", /* 11 bytes, value bits beyond 64 */
		"ffffffffffffffffff02",   /* 10 bytes: 2^64 */
		"ffffffffffffffffff7f",   /* 10 bytes: far over 64 bits */
		"80808080808080808002",   /* 10 bytes: 2^64 exactly */
		"8080808080808080808001", /* 11 bytes */
		"ffffffffffffffffff81",   /* 10th byte continues */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[16];
		uint64_t v = 1;
		int n = hs_test_unhex(buf, sizeof(buf), bad[i]);
		REQUIRE(n > 0);
		CHECK_EQ(dec_varint(buf, (size_t)n, UINT64_MAX, &v), HS_ERR_NONCANONICAL);
		CHECK(v == 0);
	}
	/* Twenty continuation bytes: rejected at the tenth, never read past it. */
	uint8_t many[20];
	memset(many, 0xff, sizeof(many));
	struct hs_reader r;
	hs_reader_init(&r, many, sizeof(many));
	CHECK(hs_read_varint(&r, UINT64_MAX) == 0);
	CHECK_EQ(r.err, HS_ERR_NONCANONICAL);
	CHECK_EQ(r.pos, 10);
}

/* ---- fixed fields, byte strings, names, bools ---------------------------------------- */

static void test_fixed_le(void)
{
	uint8_t buf[32];
	struct hs_writer w;
	hs_writer_init(&w, buf, sizeof(buf));
	hs_write_u8(&w, 0xab);
	hs_write_u16(&w, 0x1234);
	hs_write_u32(&w, 0x89abcdefu);
	hs_write_u64(&w, 0x0102030405060708u);
	hs_write_bool(&w, true);
	hs_write_bool(&w, false);
	CHECK_EQ(hs_writer_end(&w), 0);
	static const uint8_t want[] = { 0xab, 0x34, 0x12, 0xef, 0xcd, 0xab, 0x89, 0x08, 0x07,
		                        0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x01, 0x00 };
	CHECK_EQ(w.len, sizeof(want));
	CHECK_MEM(buf, want, sizeof(want));

	struct hs_reader r;
	hs_reader_init(&r, buf, w.len);
	CHECK_EQ(hs_read_u8(&r), 0xab);
	CHECK_EQ(hs_read_u16(&r), 0x1234);
	CHECK(hs_read_u32(&r) == 0x89abcdefu);
	CHECK(hs_read_u64(&r) == 0x0102030405060708u);
	CHECK(hs_read_bool(&r) == true);
	CHECK(hs_read_bool(&r) == false);
	CHECK_EQ(hs_reader_end(&r), 0);
	/* Truncation at every byte of the sequence. */
	for (size_t cut = 0; cut < sizeof(want); cut++) {
		hs_reader_init(&r, want, cut);
		(void)hs_read_u8(&r);
		(void)hs_read_u16(&r);
		(void)hs_read_u32(&r);
		(void)hs_read_u64(&r);
		(void)hs_read_bool(&r);
		(void)hs_read_bool(&r);
		CHECK_EQ(hs_reader_end(&r), HS_ERR_TRUNCATED);
	}
}

static void test_bool(void)
{
	for (unsigned b = 0; b < 256; b++) {
		uint8_t byte = (uint8_t)b;
		struct hs_reader r;
		hs_reader_init(&r, &byte, 1);
		bool v = hs_read_bool(&r);
		CHECK_EQ(hs_reader_end(&r), b <= 1 ? 0 : HS_ERR_NONCANONICAL);
		CHECK(v == (b == 1));
	}
}

static void test_bytes(void)
{
	uint8_t buf[300];
	struct hs_reader r;
	size_t len = 99;
	/* Empty string: a non-NULL pointer and length 0. */
	buf[0] = 0;
	hs_reader_init(&r, buf, 1);
	CHECK(hs_read_bytes(&r, &len, 10) != NULL);
	CHECK_EQ(len, 0);
	CHECK_EQ(hs_reader_end(&r), 0);
	/* A length over max: too large, nothing sized from it. */
	buf[0] = 11;
	hs_reader_init(&r, buf, 12);
	CHECK(hs_read_bytes(&r, &len, 10) == NULL);
	CHECK_EQ(len, 0);
	CHECK_EQ(r.err, HS_ERR_TOO_LARGE);
	/* A huge declared length against a short buffer. */
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2 };
	hs_reader_init(&r, huge, sizeof(huge));
	CHECK(hs_read_bytes(&r, &len, SIZE_MAX) == NULL);
	CHECK_EQ(r.err, HS_ERR_TRUNCATED);
	/* Exactly the declared length, then every truncation. */
	buf[0] = 0xac;
	buf[1] = 0x02;
	for (size_t i = 0; i < 300; i++)
		buf[2 + i % 298] = (uint8_t)i;
	hs_reader_init(&r, buf, sizeof(buf));
	CHECK(hs_read_bytes(&r, &len, 1000) == NULL); /* 300 declared, 298 present */
	CHECK_EQ(r.err, HS_ERR_TRUNCATED);
	uint8_t big[302];
	struct hs_writer w;
	hs_writer_init(&w, big, sizeof(big));
	hs_write_bytes(&w, buf, 300);
	CHECK_EQ(hs_writer_end(&w), 0);
	CHECK_EQ(w.len, 302);
	for (size_t cut = 0; cut <= sizeof(big); cut++) {
		hs_reader_init(&r, big, cut);
		const uint8_t *p = hs_read_bytes(&r, &len, 300);
		CHECK_EQ(hs_reader_end(&r), cut == sizeof(big) ? 0 : HS_ERR_TRUNCATED);
		CHECK(cut == sizeof(big) ? (p == big + 2 && len == 300) : (p == NULL && len == 0));
	}
}

static int read_one_name(const char *s, size_t len, size_t max)
{
	uint8_t buf[300];
	struct hs_writer w;
	hs_writer_init(&w, buf, sizeof(buf));
	hs_write_bytes(&w, s, len);
	REQUIRE(hs_writer_end(&w) == 0);
	struct hs_reader r;
	hs_reader_init(&r, buf, w.len);
	size_t got = 99;
	const uint8_t *p = hs_read_name(&r, &got, max);
	int err = hs_reader_end(&r);
	if (err == 0)
		CHECK(p == buf + hs_varint_len(len) && got == len);
	else
		CHECK(p == NULL && got == 0);
	return err;
}

static void test_names(void)
{
	CHECK_EQ(read_one_name("main", 4, 32), 0);
	CHECK_EQ(read_one_name("!", 1, 32), 0);
	CHECK_EQ(read_one_name("~", 1, 32), 0);
	CHECK_EQ(read_one_name("", 0, 32), HS_ERR_BAD_VALUE);
	CHECK_EQ(read_one_name("a b", 3, 32), HS_ERR_BAD_VALUE);
	CHECK_EQ(read_one_name("a\x7f", 2, 32), HS_ERR_BAD_VALUE);
	CHECK_EQ(read_one_name("a\x80", 2, 32), HS_ERR_BAD_VALUE);
	CHECK_EQ(read_one_name("a\0b", 3, 32), HS_ERR_BAD_VALUE);
	CHECK_EQ(read_one_name("\n", 1, 32), HS_ERR_BAD_VALUE);
	char s[80];
	memset(s, 'x', sizeof(s));
	CHECK_EQ(read_one_name(s, 32, 32), 0);
	CHECK_EQ(read_one_name(s, 33, 32), HS_ERR_TOO_LARGE);
	CHECK_EQ(read_one_name(s, 64, 64), 0);
	CHECK_EQ(read_one_name(s, 65, 64), HS_ERR_TOO_LARGE);
	/* Every byte value in a one-byte name. */
	for (unsigned b = 0; b < 256; b++) {
		char c = (char)b;
		CHECK_EQ(read_one_name(&c, 1, 8), b >= 0x21 && b <= 0x7e ? 0 : HS_ERR_BAD_VALUE);
	}
}

/* ---- sticky errors, trailing, writer overflow ---------------------------------------- */

static void test_sticky_reader(void)
{
	static const uint8_t buf[] = { 0x80, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct hs_reader r;
	hs_reader_init(&r, buf, sizeof(buf));
	CHECK(hs_read_varint(&r, UINT64_MAX) == 0);
	CHECK_EQ(r.err, HS_ERR_NONCANONICAL);
	size_t pos = r.pos;
	/* Every later read returns zero/NULL, does not advance and keeps the first error. */
	CHECK_EQ(hs_read_u8(&r), 0);
	CHECK_EQ(hs_read_u16(&r), 0);
	CHECK(hs_read_u32(&r) == 0);
	CHECK(hs_read_u64(&r) == 0);
	CHECK(hs_read_varint(&r, UINT64_MAX) == 0);
	CHECK(hs_read_fixed(&r, 1) == NULL);
	CHECK(hs_read_fixed(&r, 0) == NULL);
	size_t len = 5;
	CHECK(hs_read_bytes(&r, &len, 10) == NULL);
	CHECK_EQ(len, 0);
	len = 5;
	CHECK(hs_read_name(&r, &len, 10) == NULL);
	CHECK_EQ(len, 0);
	CHECK(hs_read_bool(&r) == false);
	CHECK_EQ(r.pos, pos);
	hs_reader_fail(&r, HS_ERR_BAD_VALUE);
	CHECK_EQ(r.err, HS_ERR_NONCANONICAL);
	CHECK_EQ(hs_reader_end(&r), HS_ERR_NONCANONICAL);
	CHECK_EQ(hs_reader_left(&r), sizeof(buf) - pos);

	/* A truncation error wins over the trailing check, and is sticky too. */
	hs_reader_init(&r, buf + 2, 3);
	CHECK(hs_read_u32(&r) == 0);
	CHECK_EQ(r.err, HS_ERR_TRUNCATED);
	CHECK_EQ(r.pos, 0);
	CHECK_EQ(hs_read_u8(&r), 0);
	CHECK_EQ(hs_reader_end(&r), HS_ERR_TRUNCATED);
}

static void test_trailing(void)
{
	static const uint8_t buf[] = { 1, 2, 3 };
	struct hs_reader r;
	hs_reader_init(&r, buf, sizeof(buf));
	CHECK_EQ(hs_reader_end(&r), HS_ERR_TRAILING);
	CHECK_EQ(hs_read_u16(&r), 0x0201);
	CHECK_EQ(hs_reader_left(&r), 1);
	CHECK_EQ(hs_reader_end(&r), HS_ERR_TRAILING);
	CHECK_EQ(hs_read_u8(&r), 3);
	CHECK_EQ(hs_reader_left(&r), 0);
	CHECK_EQ(hs_reader_end(&r), 0);
	/* An empty reader, and a NULL one, are at their end. */
	hs_reader_init(&r, buf, 0);
	CHECK_EQ(hs_reader_end(&r), 0);
	hs_reader_init(&r, NULL, 5);
	CHECK_EQ(hs_reader_left(&r), 0);
	CHECK_EQ(hs_read_u8(&r), 0);
	CHECK_EQ(hs_reader_end(&r), HS_ERR_TRUNCATED);
	/* An explicit failure is reported by end. */
	hs_reader_init(&r, buf, sizeof(buf));
	hs_reader_fail(&r, HS_ERR_BAD_VALUE);
	CHECK_EQ(hs_reader_end(&r), HS_ERR_BAD_VALUE);
}

static void test_writer_overflow(void)
{
	uint8_t buf[8];
	struct hs_writer w;
	/* Exact fit. */
	hs_writer_init(&w, buf, 8);
	hs_write_u64(&w, 1);
	CHECK_EQ(hs_writer_end(&w), 0);
	CHECK_EQ(w.len, 8);
	/* One byte over: nothing partial is written, the error is sticky. */
	memset(buf, 0xee, sizeof(buf));
	hs_writer_init(&w, buf, 7);
	hs_write_u32(&w, 0x01020304);
	hs_write_u32(&w, 0x05060708);
	CHECK_EQ(hs_writer_end(&w), HS_ERR_BUFFER);
	CHECK_EQ(w.len, 4);
	CHECK_EQ(buf[4], 0xee);
	hs_write_u8(&w, 9);
	hs_write_u16(&w, 9);
	hs_write_u64(&w, 9);
	hs_write_varint(&w, 9);
	hs_write_fixed(&w, "x", 1);
	hs_write_bytes(&w, "x", 1);
	hs_write_bool(&w, true);
	CHECK_EQ(w.len, 4);
	CHECK_EQ(buf[4], 0xee);
	CHECK_EQ(hs_writer_end(&w), HS_ERR_BUFFER);
	/* A varint that does not fit writes none of its bytes. */
	memset(buf, 0xee, sizeof(buf));
	hs_writer_init(&w, buf, 2);
	hs_write_varint(&w, 16384);
	CHECK_EQ(hs_writer_end(&w), HS_ERR_BUFFER);
	CHECK_EQ(w.len, 0);
	CHECK_EQ(buf[0], 0xee);
	/* A byte string whose length fits but whose bytes do not. */
	hs_writer_init(&w, buf, 4);
	hs_write_bytes(&w, "hello", 5);
	CHECK_EQ(hs_writer_end(&w), HS_ERR_BUFFER);
	/* A writer with no buffer takes nothing. */
	hs_writer_init(&w, NULL, 100);
	CHECK_EQ(w.cap, 0);
	hs_write_u8(&w, 1);
	CHECK_EQ(hs_writer_end(&w), HS_ERR_BUFFER);
	/* Zero-length writes into a full buffer succeed. */
	hs_writer_init(&w, buf, 8);
	hs_write_u64(&w, 7);
	hs_write_fixed(&w, NULL, 0);
	CHECK_EQ(hs_writer_end(&w), 0);
}

/* ---- randomized model test ------------------------------------------------------------- */

enum field_kind { F_U8, F_U16, F_U32, F_U64, F_VARINT, F_FIXED, F_BYTES, F_BOOL, F_NAME, F_KINDS };

struct field {
	enum field_kind kind;
	uint64_t v;    /* integer value, or length for byte fields */
	uint8_t b[40]; /* byte content */
	size_t size;   /* encoded size */
};

static void random_field(struct test_rng *s, struct field *f)
{
	f->kind = (enum field_kind)test_rng_below(s, F_KINDS);
	uint64_t x = test_rng_next(s);
	unsigned bits = (unsigned)test_rng_below(s, 65);
	uint64_t v = bits == 64 ? x : x & (((uint64_t)1 << bits) - 1);
	f->v = v;
	f->size = 0;
	for (size_t i = 0; i < sizeof(f->b); i++)
		f->b[i] = (uint8_t)test_rng_next(s);
	switch (f->kind) {
	case F_U8:
	case F_BOOL:
		f->v = f->kind == F_BOOL ? v & 1 : v & 0xff;
		f->size = 1;
		break;
	case F_U16:
		f->v = v & 0xffff;
		f->size = 2;
		break;
	case F_U32:
		f->v = v & 0xffffffffu;
		f->size = 4;
		break;
	case F_U64:
		f->size = 8;
		break;
	case F_VARINT:
		f->size = hs_varint_len(v);
		break;
	case F_FIXED:
	case F_BYTES:
	case F_NAME:
		f->v = v % sizeof(f->b);
		if (f->kind == F_NAME) {
			f->v += f->v == 0;
			for (size_t i = 0; i < f->v; i++)
				f->b[i] = (uint8_t)(0x21 + f->b[i] % (0x7f - 0x21));
		}
		f->size = (f->kind == F_FIXED ? 0 : hs_varint_len(f->v)) + f->v;
		break;
	case F_KINDS:
		break;
	}
}

static void write_field(struct hs_writer *w, const struct field *f)
{
	switch (f->kind) {
	case F_U8:
		hs_write_u8(w, (uint8_t)f->v);
		break;
	case F_U16:
		hs_write_u16(w, (uint16_t)f->v);
		break;
	case F_U32:
		hs_write_u32(w, (uint32_t)f->v);
		break;
	case F_U64:
		hs_write_u64(w, f->v);
		break;
	case F_VARINT:
		hs_write_varint(w, f->v);
		break;
	case F_FIXED:
		hs_write_fixed(w, f->b, (size_t)f->v);
		break;
	case F_BYTES:
	case F_NAME:
		hs_write_bytes(w, f->b, (size_t)f->v);
		break;
	case F_BOOL:
		hs_write_bool(w, f->v != 0);
		break;
	case F_KINDS:
		break;
	}
}

/* Reads f's kind back and says whether the value matches. */
static bool read_field(struct hs_reader *r, const struct field *f)
{
	size_t len = 0;
	const uint8_t *p;
	switch (f->kind) {
	case F_U8:
		return hs_read_u8(r) == f->v;
	case F_U16:
		return hs_read_u16(r) == f->v;
	case F_U32:
		return hs_read_u32(r) == f->v;
	case F_U64:
		return hs_read_u64(r) == f->v;
	case F_VARINT:
		return hs_read_varint(r, UINT64_MAX) == f->v;
	case F_FIXED:
		p = hs_read_fixed(r, (size_t)f->v);
		return p && memcmp(p, f->b, (size_t)f->v) == 0;
	case F_BYTES:
		p = hs_read_bytes(r, &len, sizeof(f->b));
		return p && len == f->v && memcmp(p, f->b, len) == 0;
	case F_NAME:
		p = hs_read_name(r, &len, sizeof(f->b));
		return p && len == f->v && memcmp(p, f->b, len) == 0;
	case F_BOOL:
		return hs_read_bool(r) == (f->v != 0);
	case F_KINDS:
		break;
	}
	return false;
}

static bool model_round(uint64_t seed)
{
	struct test_rng s;
	test_rng_seed(&s, seed);
	struct field fields[64];
	size_t n = 1 + test_rng_below(&s, 64), total = 0;
	for (size_t i = 0; i < n; i++) {
		random_field(&s, &fields[i]);
		total += fields[i].size;
	}
	uint8_t buf[64 * 48];
	struct hs_writer w;
	hs_writer_init(&w, buf, sizeof(buf));
	for (size_t i = 0; i < n; i++)
		write_field(&w, &fields[i]);
	if (hs_writer_end(&w) != 0 || w.len != total)
		return false;
	/* The whole buffer reads back, field by field, to the end. */
	struct hs_reader r;
	hs_reader_init(&r, buf, total);
	for (size_t i = 0; i < n; i++)
		if (!read_field(&r, &fields[i]) || r.err != 0)
			return false;
	if (hs_reader_end(&r) != 0)
		return false;
	/* Cut anywhere: fields wholly before the cut read back, the one across it is truncated. */
	size_t cut = (size_t)test_rng_below(&s, total + 1), at = 0;
	hs_reader_init(&r, buf, cut);
	for (size_t i = 0; i < n; i++) {
		bool ok = read_field(&r, &fields[i]);
		if (at + fields[i].size <= cut ? !ok || r.err : r.err != HS_ERR_TRUNCATED)
			return false;
		at += fields[i].size;
	}
	if (hs_reader_end(&r) != (cut == total ? 0 : HS_ERR_TRUNCATED))
		return false;
	if (total == 0)
		return true;
	/* A writer one byte short fails with HS_ERR_BUFFER. */
	hs_writer_init(&w, buf, total - 1);
	for (size_t i = 0; i < n; i++)
		write_field(&w, &fields[i]);
	return hs_writer_end(&w) == HS_ERR_BUFFER;
}

static void test_model(void)
{
	uint64_t seed = 0x6865617273617931u; /* "hearsay1" */
	const char *env = getenv("HS_TEST_SEED");
	if (env)
		seed = strtoull(env, NULL, 0);
	unsigned failures = 0;
	for (uint64_t i = 0; i < 20000; i++) {
		if (!model_round(seed + i)) {
			if (failures++ < 5)
				fprintf(stderr, "model test failed: HS_TEST_SEED=%" PRIu64 "\n",
				        seed + i);
		}
	}
	CHECK_EQ(failures, 0);
}

int main(void)
{
	RUN(test_varint_known);
	RUN(test_varint_boundaries);
	RUN(test_varint_nonminimal);
	RUN(test_varint_oversized);
	RUN(test_fixed_le);
	RUN(test_bool);
	RUN(test_bytes);
	RUN(test_names);
	RUN(test_sticky_reader);
	RUN(test_trailing);
	RUN(test_writer_overflow);
	RUN(test_model);
	return hs_test_done();
}

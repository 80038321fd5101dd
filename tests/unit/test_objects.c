/*
 * ctest `objects`: network addresses, node records, rumors and state entries.
 *
 * Round trips; every malformed form (truncation at every byte offset, each canonical rule
 * broken in turn, oversize lengths, bad names, trailing bytes); maximal objects; encoders that
 * refuse what decoders would reject; the RFC 5952 text form and network groups.
 */
#include <stdbool.h>

#include "base/netaddr.h"
#include "harness.h"
#include "overlay/entry.h"
#include "overlay/record.h"
#include "overlay/rumor.h"

/* ---- netaddr ---------------------------------------------------------------------------- */

static int netaddr_dec(struct hs_netaddr *a, const uint8_t *data, size_t len)
{
	struct hs_reader r;
	hs_reader_init(&r, data, len);
	hs_netaddr_read(&r, a);
	return hs_reader_end(&r);
}

static int netaddr_enc(const struct hs_netaddr *a, uint8_t *out, size_t cap, size_t *len)
{
	struct hs_writer w;
	hs_writer_init(&w, out, cap);
	hs_netaddr_write(&w, a);
	*len = w.len;
	return hs_writer_end(&w);
}

static bool is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static struct hs_netaddr v6(const char *hex, uint16_t port)
{
	uint8_t ip[16];
	REQUIRE(hs_test_unhex(ip, sizeof(ip), hex) == 16);
	struct hs_netaddr a;
	memset(&a, 0, sizeof(a));
	a.family = HS_AF_INET6;
	memcpy(a.ip, ip, 16);
	a.port = port;
	return a;
}

static void test_netaddr_roundtrip(void)
{
	struct hs_netaddr in[3] = {
		hs_netaddr_ipv4(1, 2, 3, 4, 5),
		v6("20010db8000000000000000000000001", 8333),
		hs_netaddr_ipv4(255, 255, 255, 255, 65535),
	};
	static const char *const want[] = {
		"04010203040500",
		"0620010db80000000000000000000000018d20",
		"04ffffffffffff",
	};
	for (size_t i = 0; i < 3; i++) {
		uint8_t buf[32], exp[32];
		size_t len;
		int n = hs_test_unhex(exp, sizeof(exp), want[i]);
		CHECK(hs_netaddr_is_valid(&in[i]));
		CHECK_EQ(netaddr_enc(&in[i], buf, sizeof(buf), &len), 0);
		CHECK_EQ(len, n);
		CHECK_MEM(buf, exp, len);
		CHECK_EQ(len, in[i].family == HS_AF_INET ? HS_NETADDR_V4_LEN : HS_NETADDR_V6_LEN);
		struct hs_netaddr out;
		CHECK_EQ(netaddr_dec(&out, buf, len), 0);
		CHECK(hs_netaddr_equal(&in[i], &out));
		CHECK_MEM(&in[i].ip, &out.ip, 16);
		/* Every truncation fails and leaves the address zero; a trailing byte is refused.
		 */
		for (size_t cut = 0; cut < len; cut++) {
			CHECK_EQ(netaddr_dec(&out, buf, cut), HS_ERR_TRUNCATED);
			CHECK(out.family == 0 && out.port == 0 && is_zero(out.ip, 16));
		}
		buf[len] = 0;
		CHECK_EQ(netaddr_dec(&out, buf, len + 1), HS_ERR_TRAILING);
		/* One byte short of room: HS_ERR_BUFFER. */
		CHECK_EQ(netaddr_enc(&in[i], buf, len - 1, &len), HS_ERR_BUFFER);
	}
}

static void test_netaddr_malformed(void)
{
	static const struct {
		const char *hex;
		int err;
	} cases[] = {
		{ "00010203040500", HS_ERR_BAD_VALUE }, /* family 0 */
		{ "05010203040500", HS_ERR_BAD_VALUE }, /* family 5 */
		{ "ff010203040500", HS_ERR_BAD_VALUE }, /* family 255 */
		{ "02", HS_ERR_BAD_VALUE },             /* family 2, nothing after */
		{ "04010203040000", HS_ERR_BAD_VALUE }, /* port 0 */
		{ "0600000000000000000000000000000001"
		  "0000",
		  HS_ERR_BAD_VALUE }, /* [::1]:0 */
		/* ::ffff:1.2.3.4 and ::ffff:0.0.0.0: IPv4 must be family 4 */
		{ "0600000000000000000000ffff01020304"
		  "0500",
		  HS_ERR_NONCANONICAL },
		{ "0600000000000000000000ffff00000000"
		  "0100",
		  HS_ERR_NONCANONICAL },
		/* IPv6 with half a port, IPv4 with none */
		{ "0620010db8000000000000000000000001"
		  "05",
		  HS_ERR_TRUNCATED },
		{ "0401020304", HS_ERR_TRUNCATED },
		{ "04010203040500"
		  "00",
		  HS_ERR_TRAILING },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[32];
		int n = hs_test_unhex(buf, sizeof(buf), cases[i].hex);
		REQUIRE(n > 0);
		struct hs_netaddr a;
		int err = netaddr_dec(&a, buf, (size_t)n);
		CHECK_EQ(err, cases[i].err);
		if (err != cases[i].err)
			fprintf(stderr, "  case %zu: %s\n", i, cases[i].hex);
		if (err != HS_ERR_TRAILING) /* a failed read leaves the address zero */
			CHECK(a.family == 0 && a.port == 0 && is_zero(a.ip, 16));
	}
	/* Not mapped: ::1.2.3.4 (IPv4-compatible) and ::fffe:1.2.3.4 are ordinary IPv6. */
	uint8_t ok[32];
	struct hs_netaddr a;
	int n = hs_test_unhex(ok, sizeof(ok),
	                      "0600000000000000000000000001020304"
	                      "0500");
	CHECK_EQ(netaddr_dec(&a, ok, (size_t)n), 0);
	n = hs_test_unhex(ok, sizeof(ok),
	                  "0600000000000000000000fffe01020304"
	                  "0500");
	CHECK_EQ(netaddr_dec(&a, ok, (size_t)n), 0);
}

static void test_netaddr_encoder_refuses(void)
{
	struct hs_netaddr bad[5];
	bad[0] = hs_netaddr_ipv4(1, 2, 3, 4, 0);
	bad[1] = hs_netaddr_ipv4(1, 2, 3, 4, 5);
	bad[1].family = 5;
	bad[2] = hs_netaddr_ipv4(1, 2, 3, 4, 5);
	bad[2].ip[15] = 1; /* junk after the IPv4 bytes */
	bad[3] = v6("00000000000000000000ffff01020304", 5);
	bad[4] = v6("20010db8000000000000000000000001", 0);
	for (size_t i = 0; i < 5; i++) {
		uint8_t buf[32];
		memset(buf, 0xee, sizeof(buf));
		size_t len;
		CHECK(!hs_netaddr_is_valid(&bad[i]));
		CHECK_EQ(netaddr_enc(&bad[i], buf, sizeof(buf), &len), HS_ERR_INVALID);
		CHECK_EQ(len, 0);
		CHECK_EQ(buf[0], 0xee);
	}
	/* The error is sticky: a later valid address writes nothing. */
	struct hs_writer w;
	uint8_t buf[32];
	hs_writer_init(&w, buf, sizeof(buf));
	hs_netaddr_write(&w, &bad[0]);
	struct hs_netaddr good = hs_netaddr_ipv4(1, 2, 3, 4, 5);
	hs_netaddr_write(&w, &good);
	CHECK_EQ(hs_writer_end(&w), HS_ERR_INVALID);
	CHECK_EQ(w.len, 0);
}

static void fmt_is(const struct hs_netaddr *a, const char *want)
{
	char out[HS_NETADDR_STRLEN];
	memset(out, 'Z', sizeof(out));
	hs_netaddr_format(a, out);
	CHECK(memchr(out, '\0', sizeof(out)) != NULL);
	CHECK(strcmp(out, want) == 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "  formatted \"%s\", want \"%s\"\n", out, want);
}

static void test_netaddr_format(void)
{
	struct hs_netaddr a = hs_netaddr_ipv4(1, 2, 3, 4, 5);
	fmt_is(&a, "1.2.3.4:5");
	a = hs_netaddr_ipv4(0, 0, 0, 0, 65535);
	fmt_is(&a, "0.0.0.0:65535");
	a = hs_netaddr_ipv4(255, 255, 255, 255, 10);
	fmt_is(&a, "255.255.255.255:10");
	a = hs_netaddr_ipv4(192, 168, 100, 9, 8333);
	fmt_is(&a, "192.168.100.9:8333");
	static const struct {
		const char *hex;
		uint16_t port;
		const char *text;
	} v6s[] = {
		{ "00000000000000000000000000000001", 8333, "[::1]:8333" },
		{ "20010db8000000000000000000000001", 1, "[2001:db8::1]:1" },
		{ "00000000000000000000000000000000", 1, "[::]:1" },
		{ "fe800000000000000000000000000000", 2, "[fe80::]:2" },
		/* RFC 5952 §4.2.2: a single zero group is not shortened. */
		{ "20010db8000000010001000100010001", 1, "[2001:db8:0:1:1:1:1:1]:1" },
		/* §4.2.3: the longest run, then the first of equal runs. */
		{ "20010000000000010000000000000001", 1, "[2001:0:0:1::1]:1" },
		{ "20010db8000000000001000000000001", 1, "[2001:db8::1:0:0:1]:1" },
		/* §4.3: lowercase, leading zeros dropped. */
		{ "20010DB80ABC00CD000000000000000A", 1, "[2001:db8:abc:cd::a]:1" },
		{ "ffffffffffffffffffffffffffffffff", 1,
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:1" },
		/* §5: IPv4-mapped in mixed notation (never canonical on the wire). */
		{ "00000000000000000000ffff01020304", 1, "[::ffff:1.2.3.4]:1" },
		{ "00010002000300040005000600070000", 1, "[1:2:3:4:5:6:7:0]:1" },
		{ "00000001000000000000000000000000", 1, "[0:1::]:1" },
		{ "00000000000100000000000000000000", 1, "[0:0:1::]:1" },
		{ "00010000000000000000000000000000", 1, "[1::]:1" },
	};
	for (size_t i = 0; i < sizeof(v6s) / sizeof(v6s[0]); i++) {
		a = v6(v6s[i].hex, v6s[i].port);
		fmt_is(&a, v6s[i].text);
	}
	/* The longest text form fits exactly. */
	a = v6("ffffffffffffffffffffffffffffffff", 65535);
	char out[HS_NETADDR_STRLEN];
	hs_netaddr_format(&a, out);
	CHECK_EQ(strlen(out), HS_NETADDR_STRLEN - 1);
	a.family = 0;
	fmt_is(&a, "invalid");
	a.family = 7;
	fmt_is(&a, "invalid");
}

static void test_netaddr_groups(void)
{
	uint8_t g[8];
	struct hs_netaddr a = hs_netaddr_ipv4(1, 2, 3, 4, 5);
	hs_netaddr_group(&a, g);
	static const uint8_t g4[8] = { 4, 1, 2, 0, 0, 0, 0, 0 };
	CHECK_MEM(g, g4, 8);
	struct hs_netaddr b = hs_netaddr_ipv4(1, 2, 200, 100, 9);
	CHECK(hs_netaddr_same_group(&a, &b));
	b = hs_netaddr_ipv4(1, 3, 3, 4, 5);
	CHECK(!hs_netaddr_same_group(&a, &b));

	struct hs_netaddr c = v6("20010db8000000000000000000000001", 1);
	hs_netaddr_group(&c, g);
	static const uint8_t g6[8] = { 6, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0 };
	CHECK_MEM(g, g6, 8);
	struct hs_netaddr d = v6("20010db8ffff00000000000000000002", 2);
	CHECK(hs_netaddr_same_group(&c, &d));
	d = v6("20010db9000000000000000000000001", 1);
	CHECK(!hs_netaddr_same_group(&c, &d));
	/* Families never share a group, even with equal leading bytes. */
	struct hs_netaddr e = hs_netaddr_ipv4(0x20, 0x01, 0, 0, 1);
	CHECK(!hs_netaddr_same_group(&c, &e));
	/* An invalid family groups by its byte alone. */
	e.family = 9;
	hs_netaddr_group(&e, g);
	static const uint8_t g9[8] = { 9, 0, 0, 0, 0, 0, 0, 0 };
	CHECK_MEM(g, g9, 8);
}

static void test_netaddr_equal_and_ctor(void)
{
	struct hs_netaddr a = hs_netaddr_ipv4(1, 2, 3, 4, 5), b = a;
	CHECK(hs_netaddr_equal(&a, &b));
	b.port = 6;
	CHECK(!hs_netaddr_equal(&a, &b));
	b = a;
	b.ip[3] = 9;
	CHECK(!hs_netaddr_equal(&a, &b));
	b = a;
	b.family = HS_AF_INET6;
	CHECK(!hs_netaddr_equal(&a, &b));
	/* A mapped IPv6 socket address becomes the canonical IPv4 address. */
	uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4 };
	struct hs_netaddr m = hs_netaddr_ipv6(mapped, 5);
	CHECK(hs_netaddr_equal(&m, &a));
	CHECK(hs_netaddr_is_valid(&m));
	uint8_t loop[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	m = hs_netaddr_ipv6(loop, 8333);
	CHECK_EQ(m.family, HS_AF_INET6);
	CHECK_MEM(m.ip, loop, 16);
	CHECK_EQ(m.port, 8333);
}

/* ---- records ------------------------------------------------------------------------- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static struct hs_record sample_record(size_t naddrs)
{
	struct hs_record rec;
	memset(&rec, 0, sizeof(rec));
	fill(rec.id, sizeof(rec.id), 1);
	rec.seq = 0x0102030405060708u;
	rec.generation = 3;
	rec.time_s = 1700000000;
	rec.services = HS_SERVICE_RELAY | HS_SERVICE_SEED | ((uint64_t)1 << 63);
	rec.naddrs = naddrs;
	for (size_t i = 0; i < naddrs; i++) {
		if (i % 2 == 0)
			rec.addrs[i] = hs_netaddr_ipv4(10, 0, 0, (uint8_t)(i + 1), 8333);
		else
			rec.addrs[i] = v6("20010db8000000000000000000000001", (uint16_t)(i + 1));
	}
	fill(rec.sig, sizeof(rec.sig), 99);
	return rec;
}

static bool record_equal(const struct hs_record *a, const struct hs_record *b)
{
	if (memcmp(a->id, b->id, 32) || a->seq != b->seq || a->generation != b->generation ||
	    a->time_s != b->time_s || a->services != b->services || a->naddrs != b->naddrs ||
	    memcmp(a->sig, b->sig, 64))
		return false;
	for (size_t i = 0; i < a->naddrs; i++)
		if (!hs_netaddr_equal(&a->addrs[i], &b->addrs[i]))
			return false;
	return true;
}

static void check_record_truncations(const uint8_t *enc, size_t len)
{
	uint8_t buf[HS_RECORD_MAX + 1];
	struct hs_record out;
	for (size_t cut = 0; cut < len; cut++) {
		int err = hs_record_decode(&out, enc, cut);
		CHECK_EQ(err, HS_ERR_TRUNCATED);
		CHECK(is_zero(&out, sizeof(out)));
	}
	memcpy(buf, enc, len);
	buf[len] = 0;
	CHECK_EQ(hs_record_decode(&out, buf, len + 1), HS_ERR_TRAILING);
	CHECK(is_zero(&out, sizeof(out)));
}

static void test_record_roundtrip(void)
{
	for (size_t naddrs = 0; naddrs <= HS_RECORD_ADDRS_MAX; naddrs++) {
		struct hs_record rec = sample_record(naddrs), out;
		uint8_t buf[HS_RECORD_MAX], again[HS_RECORD_MAX];
		size_t len = 0, len2 = 0;
		CHECK_EQ(hs_record_encode(&rec, buf, sizeof(buf), &len), 0);
		CHECK_EQ(len, hs_record_encoded_len(&rec));
		CHECK(len <= HS_RECORD_MAX);
		CHECK_EQ(hs_record_decode(&out, buf, len), 0);
		CHECK(record_equal(&rec, &out));
		CHECK_EQ(hs_record_encode(&out, again, sizeof(again), &len2), 0);
		CHECK_EQ(len2, len);
		CHECK_MEM(again, buf, len);
		/* Field layout: id, four u64 LE, naddrs, then the signature last. */
		CHECK_MEM(buf, rec.id, 32);
		CHECK_EQ(buf[32], 0x08);
		CHECK_EQ(buf[39], 0x01);
		CHECK_EQ(buf[64], naddrs);
		CHECK_MEM(buf + len - 64, rec.sig, 64);
		check_record_truncations(buf, len);
		CHECK_EQ(hs_record_encode(&rec, buf, len - 1, &len2), HS_ERR_BUFFER);
	}
}

static void test_record_max(void)
{
	struct hs_record rec = sample_record(0);
	rec.naddrs = HS_RECORD_ADDRS_MAX;
	for (size_t i = 0; i < HS_RECORD_ADDRS_MAX; i++) {
		rec.addrs[i] = v6("2001000000000000000000000000000f", 65535);
		rec.addrs[i].ip[2] = (uint8_t)i;
	}
	rec.seq = rec.generation = rec.time_s = rec.services = UINT64_MAX;
	uint8_t buf[HS_RECORD_MAX];
	size_t len = 0;
	CHECK_EQ(hs_record_encode(&rec, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 32 + 32 + 1 + HS_RECORD_ADDRS_MAX * 19 + 64);
	CHECK(len <= HS_RECORD_MAX);
	struct hs_record out;
	CHECK_EQ(hs_record_decode(&out, buf, len), 0);
	CHECK(record_equal(&rec, &out));
}

/* Decodes a record built as prefix-hex of everything before naddrs, then tail-hex. */
static int record_with_tail(const char *addrs_hex)
{
	uint8_t buf[512];
	struct hs_record base = sample_record(0);
	size_t len;
	REQUIRE(hs_record_encode(&base, buf, sizeof(buf), &len) == 0);
	size_t at = 64; /* naddrs offset */
	int n = hs_test_unhex(buf + at, sizeof(buf) - at - 64, addrs_hex);
	REQUIRE(n > 0);
	memcpy(buf + at + (size_t)n, base.sig, 64);
	struct hs_record out;
	int err = hs_record_decode(&out, buf, at + (size_t)n + 64);
	if (err)
		CHECK(is_zero(&out, sizeof(out)));
	return err;
}

static void test_record_malformed(void)
{
	CHECK_EQ(record_with_tail("00"), 0);
	CHECK_EQ(record_with_tail("01"
	                          "04010203040500"),
	         0);
	/* naddrs over the limit, and non-minimal. */
	CHECK_EQ(record_with_tail("05"), HS_ERR_TOO_LARGE);
	CHECK_EQ(record_with_tail("ff01"), HS_ERR_TOO_LARGE);
	CHECK_EQ(record_with_tail("8000"), HS_ERR_NONCANONICAL);
	CHECK_EQ(record_with_tail("8100"
	                          "04010203040500"),
	         HS_ERR_NONCANONICAL);
	/* A duplicate address, adjacent or not; same IP with another port is allowed. */
	CHECK_EQ(record_with_tail("02"
	                          "04010203040500"
	                          "04010203040500"),
	         HS_ERR_BAD_VALUE);
	CHECK_EQ(record_with_tail("03"
	                          "04010203040500"
	                          "04010203040600"
	                          "04010203040500"),
	         HS_ERR_BAD_VALUE);
	CHECK_EQ(record_with_tail("02"
	                          "04010203040500"
	                          "04010203040600"),
	         0);
	/* Bad addresses inside a record keep their own error codes. */
	CHECK_EQ(record_with_tail("01"
	                          "05010203040500"),
	         HS_ERR_BAD_VALUE);
	CHECK_EQ(record_with_tail("01"
	                          "04010203040000"),
	         HS_ERR_BAD_VALUE);
	CHECK_EQ(record_with_tail("01"
	                          "0600000000000000000000ffff010203040500"),
	         HS_ERR_NONCANONICAL);
	/* naddrs says two, one is there: the signature is read as an address. */
	CHECK(record_with_tail("02"
	                       "04010203040500") != 0);
}

static void test_record_encoder_refuses(void)
{
	uint8_t buf[512];
	size_t len = 12345;
	struct hs_record rec = sample_record(2);
	rec.naddrs = HS_RECORD_ADDRS_MAX + 1;
	CHECK_EQ(hs_record_encode(&rec, buf, sizeof(buf), &len), HS_ERR_INVALID);
	rec = sample_record(3);
	rec.addrs[2] = rec.addrs[0];
	CHECK_EQ(hs_record_encode(&rec, buf, sizeof(buf), &len), HS_ERR_INVALID);
	rec = sample_record(2);
	rec.addrs[1].port = 0;
	CHECK_EQ(hs_record_encode(&rec, buf, sizeof(buf), &len), HS_ERR_INVALID);
	rec = sample_record(1);
	rec.addrs[0].family = 0;
	CHECK_EQ(hs_record_encode(&rec, buf, sizeof(buf), &len), HS_ERR_INVALID);
	CHECK_EQ(len, 12345);
}

/* ---- rumors ---------------------------------------------------------------------------- */

static struct hs_rumor sample_rumor(const char *topic, const uint8_t *payload, size_t plen)
{
	struct hs_rumor rm;
	memset(&rm, 0, sizeof(rm));
	fill(rm.origin, 32, 5);
	rm.topic = (const uint8_t *)topic;
	rm.topic_len = strlen(topic);
	rm.time_ms = 1700000000123u;
	rm.payload = payload;
	rm.payload_len = plen;
	fill(rm.sig, 64, 77);
	return rm;
}

static bool rumor_equal(const struct hs_rumor *a, const struct hs_rumor *b)
{
	return memcmp(a->origin, b->origin, 32) == 0 && a->topic_len == b->topic_len &&
	       memcmp(a->topic, b->topic, a->topic_len) == 0 && a->time_ms == b->time_ms &&
	       a->payload_len == b->payload_len &&
	       (a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0) &&
	       memcmp(a->sig, b->sig, 64) == 0;
}

static uint8_t big[HS_RUMOR_PAYLOAD_MAX + 200];

static void check_rumor_roundtrip(const struct hs_rumor *rm)
{
	static uint8_t buf[HS_RUMOR_PAYLOAD_MAX + 300];
	size_t len = 0;
	CHECK_EQ(hs_rumor_encode(rm, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, hs_rumor_encoded_len(rm));
	struct hs_rumor out;
	CHECK_EQ(hs_rumor_decode(&out, buf, len), 0);
	CHECK(rumor_equal(rm, &out));
	CHECK(out.topic == buf + 33 && out.payload != NULL);
	CHECK_MEM(buf + len - 64, rm->sig, 64);
	/* Truncation at every offset (every offset near the ends for big payloads). */
	for (size_t cut = 0; cut < len; cut++) {
		if (len > 400 && cut > 200 && cut < len - 200)
			continue;
		CHECK_EQ(hs_rumor_decode(&out, buf, cut), HS_ERR_TRUNCATED);
		CHECK(is_zero(&out, sizeof(out)));
	}
	buf[len] = 0x00;
	CHECK_EQ(hs_rumor_decode(&out, buf, len + 1), HS_ERR_TRAILING);
	CHECK_EQ(hs_rumor_encode(rm, buf, len - 1, &len), HS_ERR_BUFFER);
}

static void test_rumor_roundtrip(void)
{
	const uint8_t payload[] = "hello, gossip";
	struct hs_rumor rm = sample_rumor("blocks", payload, sizeof(payload) - 1);
	check_rumor_roundtrip(&rm);
	rm = sample_rumor("t", NULL, 0); /* empty payload */
	check_rumor_roundtrip(&rm);
	char topic[HS_TOPIC_MAX + 1];
	memset(topic, '~', HS_TOPIC_MAX);
	topic[HS_TOPIC_MAX] = '\0';
	fill(big, HS_RUMOR_PAYLOAD_MAX, 3);
	rm = sample_rumor(topic, big, HS_RUMOR_PAYLOAD_MAX); /* the largest rumor */
	check_rumor_roundtrip(&rm);
}

/* Builds origin || topic bytes || time || payload bytes || sig from raw pieces. */
static int rumor_raw(const uint8_t *topic_field, size_t tlen, const uint8_t *payload_field,
                     size_t plen)
{
	static uint8_t buf[HS_RUMOR_PAYLOAD_MAX + 400];
	size_t n = 0;
	fill(buf, 32, 5);
	n = 32;
	memcpy(buf + n, topic_field, tlen);
	n += tlen;
	memset(buf + n, 0x11, 8);
	n += 8;
	memcpy(buf + n, payload_field, plen);
	n += plen;
	fill(buf + n, 64, 1);
	n += 64;
	struct hs_rumor out;
	int err = hs_rumor_decode(&out, buf, n);
	if (err)
		CHECK(is_zero(&out, sizeof(out)));
	return err;
}

static void test_rumor_malformed(void)
{
	static const uint8_t t_ok[] = { 1, 'a' };
	static const uint8_t p_ok[] = { 2, 'h', 'i' };
	CHECK_EQ(rumor_raw(t_ok, 2, p_ok, 3), 0);
	/* Topic: empty, bad bytes, too long, non-minimal length. */
	static const uint8_t t_empty[] = { 0 };
	static const uint8_t t_space[] = { 2, 'a', ' ' };
	static const uint8_t t_del[] = { 1, 0x7f };
	static const uint8_t t_high[] = { 1, 0xc3 };
	static const uint8_t t_nonmin[] = { 0x81, 0x00, 'a' };
	CHECK_EQ(rumor_raw(t_empty, 1, p_ok, 3), HS_ERR_BAD_VALUE);
	CHECK_EQ(rumor_raw(t_space, 3, p_ok, 3), HS_ERR_BAD_VALUE);
	CHECK_EQ(rumor_raw(t_del, 2, p_ok, 3), HS_ERR_BAD_VALUE);
	CHECK_EQ(rumor_raw(t_high, 2, p_ok, 3), HS_ERR_BAD_VALUE);
	CHECK_EQ(rumor_raw(t_nonmin, 3, p_ok, 3), HS_ERR_NONCANONICAL);
	uint8_t t_long[HS_TOPIC_MAX + 2];
	t_long[0] = HS_TOPIC_MAX + 1;
	memset(t_long + 1, 'x', HS_TOPIC_MAX + 1);
	CHECK_EQ(rumor_raw(t_long, sizeof(t_long), p_ok, 3), HS_ERR_TOO_LARGE);
	t_long[0] = HS_TOPIC_MAX;
	CHECK_EQ(rumor_raw(t_long, sizeof(t_long) - 1, p_ok, 3), 0);
	/* Payload: one over the limit, non-minimal length, the largest allowed. */
	big[0] = 0xe1; /* 60001 = 0xea61 -> e1 d4 03 */
	big[1] = 0xd4;
	big[2] = 0x03;
	memset(big + 3, 'p', HS_RUMOR_PAYLOAD_MAX + 1);
	CHECK_EQ(rumor_raw(t_ok, 2, big, 3 + HS_RUMOR_PAYLOAD_MAX + 1), HS_ERR_TOO_LARGE);
	big[0] = 0xe0; /* 60000 */
	CHECK_EQ(rumor_raw(t_ok, 2, big, 3 + HS_RUMOR_PAYLOAD_MAX), 0);
	static const uint8_t p_nonmin[] = { 0x80, 0x00 };
	CHECK_EQ(rumor_raw(t_ok, 2, p_nonmin, 2), HS_ERR_NONCANONICAL);
	static const uint8_t p_empty[] = { 0 };
	CHECK_EQ(rumor_raw(t_ok, 2, p_empty, 1), 0);
	/* A payload length past the end of the buffer. */
	static const uint8_t p_over[] = { 0xff, 0x01 };
	CHECK_EQ(rumor_raw(t_ok, 2, p_over, 2), HS_ERR_TRUNCATED);
}

static void test_rumor_encoder_refuses(void)
{
	static uint8_t buf[HS_RUMOR_PAYLOAD_MAX + 300];
	size_t len = 777;
	struct hs_rumor rm = sample_rumor("ok", big, HS_RUMOR_PAYLOAD_MAX + 1);
	CHECK_EQ(hs_rumor_encode(&rm, buf, sizeof(buf), &len), HS_ERR_INVALID);
	rm = sample_rumor("", NULL, 0);
	CHECK_EQ(hs_rumor_encode(&rm, buf, sizeof(buf), &len), HS_ERR_INVALID);
	rm = sample_rumor("a b", NULL, 0);
	CHECK_EQ(hs_rumor_encode(&rm, buf, sizeof(buf), &len), HS_ERR_INVALID);
	char topic[HS_TOPIC_MAX + 2];
	memset(topic, 'x', HS_TOPIC_MAX + 1);
	topic[HS_TOPIC_MAX + 1] = '\0';
	rm = sample_rumor(topic, NULL, 0);
	CHECK_EQ(hs_rumor_encode(&rm, buf, sizeof(buf), &len), HS_ERR_INVALID);
	rm = sample_rumor("ok", NULL, 3); /* NULL payload with a length */
	CHECK_EQ(hs_rumor_encode(&rm, buf, sizeof(buf), &len), HS_ERR_INVALID);
	rm = sample_rumor("ok", NULL, 0);
	rm.topic = NULL;
	CHECK_EQ(hs_rumor_encode(&rm, buf, sizeof(buf), &len), HS_ERR_INVALID);
	CHECK_EQ(len, 777);
}

/* ---- state entries ------------------------------------------------------------------- */

static struct hs_entry sample_entry(const char *key, uint8_t kind, const uint8_t *v, size_t vlen)
{
	struct hs_entry e;
	memset(&e, 0, sizeof(e));
	fill(e.origin, 32, 9);
	e.key = (const uint8_t *)key;
	e.key_len = strlen(key);
	e.generation = 7;
	e.version = 0xfffffffffffffffeu;
	e.kind = kind;
	e.value = v;
	e.value_len = vlen;
	fill(e.sig, 64, 33);
	return e;
}

static bool entry_equal(const struct hs_entry *a, const struct hs_entry *b)
{
	return memcmp(a->origin, b->origin, 32) == 0 && a->key_len == b->key_len &&
	       memcmp(a->key, b->key, a->key_len) == 0 && a->generation == b->generation &&
	       a->version == b->version && a->kind == b->kind && a->value_len == b->value_len &&
	       (a->value_len == 0 || memcmp(a->value, b->value, a->value_len) == 0) &&
	       memcmp(a->sig, b->sig, 64) == 0;
}

static void check_entry_roundtrip(const struct hs_entry *e)
{
	uint8_t buf[HS_STATE_VALUE_MAX + 300];
	size_t len = 0;
	CHECK_EQ(hs_entry_encode(e, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, hs_entry_encoded_len(e));
	struct hs_entry out;
	CHECK_EQ(hs_entry_decode(&out, buf, len), 0);
	CHECK(entry_equal(e, &out));
	if (e->kind == HS_ENTRY_TOMBSTONE)
		CHECK(out.value == NULL && out.value_len == 0);
	else
		CHECK(out.value != NULL);
	CHECK_MEM(buf + len - 64, e->sig, 64);
	for (size_t cut = 0; cut < len; cut++) {
		CHECK_EQ(hs_entry_decode(&out, buf, cut), HS_ERR_TRUNCATED);
		CHECK(is_zero(&out, sizeof(out)));
	}
	buf[len] = 0;
	CHECK_EQ(hs_entry_decode(&out, buf, len + 1), HS_ERR_TRAILING);
	CHECK_EQ(hs_entry_encode(e, buf, len - 1, &len), HS_ERR_BUFFER);
}

static void test_entry_roundtrip(void)
{
	const uint8_t v[] = "value";
	struct hs_entry e = sample_entry("height", HS_ENTRY_VALUE, v, 5);
	check_entry_roundtrip(&e);
	e = sample_entry("k", HS_ENTRY_VALUE, NULL, 0); /* an empty value is a value */
	check_entry_roundtrip(&e);
	e = sample_entry("k", HS_ENTRY_TOMBSTONE, NULL, 0);
	check_entry_roundtrip(&e);
	char key[HS_STATE_KEY_MAX + 1];
	memset(key, '!', HS_STATE_KEY_MAX);
	key[HS_STATE_KEY_MAX] = '\0';
	fill(big, HS_STATE_VALUE_MAX, 2);
	e = sample_entry(key, HS_ENTRY_VALUE, big, HS_STATE_VALUE_MAX);
	check_entry_roundtrip(&e);
	/* Value and tombstone encodings differ in the kind byte and the value field. */
	uint8_t a[200], b[200];
	size_t la, lb;
	struct hs_entry ev = sample_entry("k", HS_ENTRY_VALUE, NULL, 0);
	struct hs_entry et = sample_entry("k", HS_ENTRY_TOMBSTONE, NULL, 0);
	CHECK_EQ(hs_entry_encode(&ev, a, sizeof(a), &la), 0);
	CHECK_EQ(hs_entry_encode(&et, b, sizeof(b), &lb), 0);
	CHECK_EQ(la, lb + 1);
	CHECK_EQ(a[32 + 2 + 16], 0);
	CHECK_EQ(b[32 + 2 + 16], 1);
}

/* origin || key field || gen || ver || kind || rest (value field, if any) || sig */
static int entry_raw(const char *key_hex, uint8_t kind, const uint8_t *rest, size_t restlen)
{
	static uint8_t buf[HS_STATE_VALUE_MAX + 400];
	size_t n;
	fill(buf, 32, 9);
	int k = hs_test_unhex(buf + 32, 200, key_hex);
	REQUIRE(k > 0);
	n = 32 + (size_t)k;
	memset(buf + n, 0x22, 16);
	n += 16;
	buf[n++] = kind;
	if (restlen)
		memcpy(buf + n, rest, restlen);
	n += restlen;
	fill(buf + n, 64, 4);
	n += 64;
	struct hs_entry out;
	int err = hs_entry_decode(&out, buf, n);
	if (err)
		CHECK(is_zero(&out, sizeof(out)));
	return err;
}

static void test_entry_malformed(void)
{
	static const uint8_t val[] = { 3, 'a', 'b', 'c' };
	CHECK_EQ(entry_raw("016b", 0, val, 4), 0);
	CHECK_EQ(entry_raw("016b", 1, NULL, 0), 0);
	/* Kinds other than 0 and 1. */
	CHECK_EQ(entry_raw("016b", 2, NULL, 0), HS_ERR_BAD_VALUE);
	CHECK_EQ(entry_raw("016b", 2, val, 4), HS_ERR_BAD_VALUE);
	CHECK_EQ(entry_raw("016b", 0xff, NULL, 0), HS_ERR_BAD_VALUE);
	/* A tombstone followed by a value field: the bytes are trailing. */
	CHECK_EQ(entry_raw("016b", 1, val, 4), HS_ERR_TRAILING);
	static const uint8_t empty[] = { 0 };
	CHECK_EQ(entry_raw("016b", 1, empty, 1), HS_ERR_TRAILING);
	/* A value entry with its value field missing: the signature is read as the value. */
	CHECK(entry_raw("016b", 0, NULL, 0) != 0);
	/* Keys: empty, bad bytes, too long, non-minimal. */
	CHECK_EQ(entry_raw("00", 0, val, 4), HS_ERR_BAD_VALUE);
	CHECK_EQ(entry_raw("026b20", 0, val, 4), HS_ERR_BAD_VALUE);
	CHECK_EQ(entry_raw("8100"
	                   "6b",
	                   0, val, 4),
	         HS_ERR_NONCANONICAL);
	char hex[2 + 2 * 66 + 1];
	strcpy(hex, "41");
	for (int i = 0; i < 65; i++)
		strcat(hex, "6b");
	CHECK_EQ(entry_raw(hex, 0, val, 4), HS_ERR_TOO_LARGE);
	hex[1] = '0'; /* 0x40 = 64 bytes */
	hex[2 + 2 * 64] = '\0';
	CHECK_EQ(entry_raw(hex, 0, val, 4), 0);
	/* Value: one over the limit, exactly the limit, non-minimal length. */
	big[0] = 0x81; /* 4097 = 0x1001 -> 81 20 */
	big[1] = 0x20;
	memset(big + 2, 'v', HS_STATE_VALUE_MAX + 1);
	CHECK_EQ(entry_raw("016b", 0, big, 2 + HS_STATE_VALUE_MAX + 1), HS_ERR_TOO_LARGE);
	big[0] = 0x80; /* 4096 -> 80 20 */
	CHECK_EQ(entry_raw("016b", 0, big, 2 + HS_STATE_VALUE_MAX), 0);
	static const uint8_t v_nonmin[] = { 0x83, 0x00, 'a', 'b', 'c' };
	CHECK_EQ(entry_raw("016b", 0, v_nonmin, 5), HS_ERR_NONCANONICAL);
}

static void test_entry_encoder_refuses(void)
{
	uint8_t buf[HS_STATE_VALUE_MAX + 300];
	size_t len = 555;
	const uint8_t v[] = "x";
	struct hs_entry e = sample_entry("k", HS_ENTRY_TOMBSTONE, v, 1);
	CHECK_EQ(hs_entry_encode(&e, buf, sizeof(buf), &len), HS_ERR_INVALID);
	e = sample_entry("k", 2, NULL, 0);
	CHECK_EQ(hs_entry_encode(&e, buf, sizeof(buf), &len), HS_ERR_INVALID);
	e = sample_entry("k", HS_ENTRY_VALUE, big, HS_STATE_VALUE_MAX + 1);
	CHECK_EQ(hs_entry_encode(&e, buf, sizeof(buf), &len), HS_ERR_INVALID);
	e = sample_entry("k", HS_ENTRY_VALUE, NULL, 1);
	CHECK_EQ(hs_entry_encode(&e, buf, sizeof(buf), &len), HS_ERR_INVALID);
	e = sample_entry("", HS_ENTRY_VALUE, NULL, 0);
	CHECK_EQ(hs_entry_encode(&e, buf, sizeof(buf), &len), HS_ERR_INVALID);
	e = sample_entry("bad key", HS_ENTRY_VALUE, NULL, 0);
	CHECK_EQ(hs_entry_encode(&e, buf, sizeof(buf), &len), HS_ERR_INVALID);
	e = sample_entry("k", HS_ENTRY_VALUE, NULL, 0);
	e.key = NULL;
	CHECK_EQ(hs_entry_encode(&e, buf, sizeof(buf), &len), HS_ERR_INVALID);
	CHECK_EQ(len, 555);
	/* A tombstone with a stray non-NULL value pointer but no bytes is fine. */
	e = sample_entry("k", HS_ENTRY_TOMBSTONE, v, 0);
	CHECK_EQ(hs_entry_encode(&e, buf, sizeof(buf), &len), 0);
}

/* Streamed reads of several objects back to back stop at the first error. */
static void test_streamed_sequence(void)
{
	uint8_t buf[1024];
	struct hs_writer w;
	hs_writer_init(&w, buf, sizeof(buf));
	struct hs_record rec = sample_record(2);
	const uint8_t p[] = "pp";
	struct hs_rumor rm = sample_rumor("t", p, 2);
	struct hs_entry e = sample_entry("k", HS_ENTRY_TOMBSTONE, NULL, 0);
	hs_record_write(&w, &rec);
	hs_rumor_write(&w, &rm);
	hs_entry_write(&w, &e);
	CHECK_EQ(hs_writer_end(&w), 0);
	CHECK_EQ(w.len, hs_record_encoded_len(&rec) + hs_rumor_encoded_len(&rm) +
	                        hs_entry_encoded_len(&e));
	struct hs_reader r;
	hs_reader_init(&r, buf, w.len);
	struct hs_record rec2;
	struct hs_rumor rm2;
	struct hs_entry e2;
	hs_record_read(&r, &rec2);
	hs_rumor_read(&r, &rm2);
	hs_entry_read(&r, &e2);
	CHECK_EQ(hs_reader_end(&r), 0);
	CHECK(record_equal(&rec, &rec2) && rumor_equal(&rm, &rm2) && entry_equal(&e, &e2));
	/* An invalid object in the middle poisons the writer. */
	hs_writer_init(&w, buf, sizeof(buf));
	hs_record_write(&w, &rec);
	rm.topic_len = 0;
	hs_rumor_write(&w, &rm);
	size_t at = w.len;
	hs_entry_write(&w, &e);
	CHECK_EQ(hs_writer_end(&w), HS_ERR_INVALID);
	CHECK_EQ(w.len, at);
}

int main(void)
{
	RUN(test_netaddr_roundtrip);
	RUN(test_netaddr_malformed);
	RUN(test_netaddr_encoder_refuses);
	RUN(test_netaddr_format);
	RUN(test_netaddr_groups);
	RUN(test_netaddr_equal_and_ctor);
	RUN(test_record_roundtrip);
	RUN(test_record_max);
	RUN(test_record_malformed);
	RUN(test_record_encoder_refuses);
	RUN(test_rumor_roundtrip);
	RUN(test_rumor_malformed);
	RUN(test_rumor_encoder_refuses);
	RUN(test_entry_roundtrip);
	RUN(test_entry_malformed);
	RUN(test_entry_encoder_refuses);
	RUN(test_streamed_sequence);
	return hs_test_done();
}

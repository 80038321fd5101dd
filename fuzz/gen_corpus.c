/*
 * Writes the seed corpora in fuzz/corpus/<target>/: valid encodings of every variant and the
 * interesting malformed forms next to them. Not part of the build (the fuzz CMake glob takes
 * fuzz_*.c only); run by hand from the repository root after a format change, and check the
 * files in:
 *
 *   cc -std=c11 -I. -Iinclude fuzz/gen_corpus.c build/overlay/libhs_overlay.a \
 *      build/reputation/libhs_reputation.a build/crypto/libhs_crypto.a build/base/libhs_base.a \
 *      -lsodium -lsecp256k1 -o /tmp/gen_corpus
 *   /tmp/gen_corpus fuzz/corpus
 *
 * The signatures are arbitrary bytes: decoders do not verify them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "overlay/msg.h"

static const char *root;

/* 0 if data decodes as one object of target's kind (wire scripts are not checked here). */
static int decode_as(const char *target, const uint8_t *data, size_t len)
{
	static struct hs_msg m;
	struct hs_record rec;
	struct hs_rumor rm;
	struct hs_entry e;
	struct hs_netaddr a;
	struct hs_reader r;
	if (strcmp(target, "netaddr") == 0) {
		hs_reader_init(&r, data, len);
		hs_netaddr_read(&r, &a);
		return hs_reader_end(&r);
	}
	if (strcmp(target, "record") == 0)
		return hs_record_decode(&rec, data, len);
	if (strcmp(target, "rumor") == 0)
		return hs_rumor_decode(&rm, data, len);
	if (strcmp(target, "entry") == 0)
		return hs_entry_decode(&e, data, len);
	if (strcmp(target, "msg") == 0)
		return hs_msg_decode(&m, data, len);
	return -1;
}

/* Writes one seed; a seed named valid-* must decode and any other must not. */
static void put(const char *target, const char *name, const void *data, size_t len)
{
	if (strcmp(target, "wire") != 0) {
		int err = decode_as(target, data, len);
		if ((strncmp(name, "valid", 5) == 0) != (err == 0)) {
			fprintf(stderr, "gen_corpus: %s/%s decodes to %d\n", target, name, err);
			exit(1);
		}
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
		fprintf(stderr, "gen_corpus: cannot write %s\n", path);
		exit(1);
	}
}

/* Writes data (a valid-* name) and its truncated and trailing-byte variants. */
static void put_variants(const char *target, const char *name, const uint8_t *data, size_t len)
{
	char n[128];
	uint8_t buf[HS_FRAME_MAX + 1];
	put(target, name, data, len);
	snprintf(n, sizeof(n), "bad-truncated-%s", name + strlen("valid-"));
	put(target, n, data, len ? len - 1 : 0);
	snprintf(n, sizeof(n), "bad-trailing-%s", name + strlen("valid-"));
	memcpy(buf, data, len);
	buf[len] = 0;
	put(target, n, buf, len + 1);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 29);
}

static struct hs_netaddr v6(uint8_t last, uint16_t port)
{
	uint8_t ip[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	ip[15] = last;
	return hs_netaddr_ipv6(ip, port);
}

/* ---- wire ---------------------------------------------------------------------------- */

static void gen_wire(void)
{
	/* op % 9: u8 u16 u32 u64 varint bytes name bool fixed; high bits pick a limit/size. */
	static const uint8_t every[] = {
		0,        0xab,                                        /* u8 */
		1,        0x34, 0x12,                                  /* u16 */
		2,        1,    2,    3,    4,                         /* u32 */
		3,        1,    2,    3,    4,    5,    6,    7,    8, /* u64 */
		4,        0xac, 0x02,                                  /* varint 300 */
		5,        3,    'a',  'b',  'c',                       /* bytes */
		6,        4,    'm',  'a',  'i',  'n',                 /* name */
		7,        1,                                           /* bool */
		8 + 0x30, 9,    9,    9,                               /* fixed 3 */
		4,        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff,     0x01, /* varint 2^64-1 */
	};
	put("wire", "valid-every-kind", every, sizeof(every));
	static const uint8_t nonminimal[] = { 4, 0x80, 0x00 };
	put("wire", "bad-varint-nonminimal", nonminimal, sizeof(nonminimal));
	static const uint8_t eleven[] = { 4,    0x80, 0x80, 0x80, 0x80, 0x80,
		                          0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
	put("wire", "bad-varint-11-bytes", eleven, sizeof(eleven));
	static const uint8_t over[] = { 4,    0xff, 0xff, 0xff, 0xff, 0xff,
		                        0xff, 0xff, 0xff, 0xff, 0x02 };
	put("wire", "bad-varint-over-64-bits", over, sizeof(over));
	static const uint8_t limit[] = { 4 + 0x10, 0x80, 0x01 }; /* 128 > 127 */
	put("wire", "bad-varint-over-limit", limit, sizeof(limit));
	static const uint8_t name[] = { 6, 2, 'a', ' ' };
	put("wire", "bad-name-space", name, sizeof(name));
	static const uint8_t boolean[] = { 7, 2 };
	put("wire", "bad-bool", boolean, sizeof(boolean));
	static const uint8_t bytes[] = { 5, 65 };
	put("wire", "bad-bytes-over-limit", bytes, sizeof(bytes));
	put("wire", "truncated-u64", every + 10, 5);
}

/* ---- objects ------------------------------------------------------------------------- */

static size_t write_netaddr(uint8_t *out, const struct hs_netaddr *a)
{
	struct hs_writer w;
	hs_writer_init(&w, out, 64);
	hs_netaddr_write(&w, a);
	if (hs_writer_end(&w) != 0)
		exit(1);
	return w.len;
}

static void gen_netaddr(void)
{
	uint8_t buf[64];
	struct hs_netaddr a = hs_netaddr_ipv4(203, 0, 113, 7, 8333);
	put_variants("netaddr", "valid-ipv4", buf, write_netaddr(buf, &a));
	a = v6(1, 8333);
	put_variants("netaddr", "valid-ipv6", buf, write_netaddr(buf, &a));
	size_t n = write_netaddr(buf, &a);
	memset(buf + 1, 0, 10);
	buf[11] = buf[12] = 0xff;
	put("netaddr", "bad-ipv4-mapped", buf, n);
	a = hs_netaddr_ipv4(1, 2, 3, 4, 5);
	n = write_netaddr(buf, &a);
	buf[5] = buf[6] = 0;
	put("netaddr", "bad-port-zero", buf, n);
	buf[0] = 5;
	put("netaddr", "bad-family", buf, n);
}

static struct hs_record sample_record(size_t naddrs)
{
	struct hs_record rec;
	memset(&rec, 0, sizeof(rec));
	fill(rec.id, 32, 1);
	rec.seq = 7;
	rec.generation = 2;
	rec.time_s = 1700000000;
	rec.services = HS_SERVICE_RELAY;
	rec.naddrs = naddrs;
	for (size_t i = 0; i < naddrs; i++)
		rec.addrs[i] =
		        i % 2 ? v6((uint8_t)i, 8333) : hs_netaddr_ipv4(10, 0, 0, (uint8_t)i, 1);
	fill(rec.sig, 64, 2);
	return rec;
}

static void gen_record(void)
{
	uint8_t buf[HS_RECORD_MAX + 1];
	size_t n;
	char name[64];
	for (size_t k = 0; k <= HS_RECORD_ADDRS_MAX; k++) {
		struct hs_record rec = sample_record(k);
		if (hs_record_encode(&rec, buf, sizeof(buf), &n) != 0)
			exit(1);
		snprintf(name, sizeof(name), "valid-%zu-addrs", k);
		if (k == 2)
			put_variants("record", name, buf, n);
		else
			put("record", name, buf, n);
	}
	struct hs_record rec = sample_record(2);
	rec.addrs[1] = rec.addrs[0];
	rec.addrs[1].port = 2;
	if (hs_record_encode(&rec, buf, sizeof(buf), &n) != 0)
		exit(1);
	buf[64 + 1 + 7 + 5] = 1; /* second address's port now equals the first's */
	put("record", "bad-duplicate-addr", buf, n);
	rec = sample_record(0);
	if (hs_record_encode(&rec, buf, sizeof(buf), &n) != 0)
		exit(1);
	buf[64] = 5;
	put("record", "bad-naddrs-5", buf, n);
}

static void gen_rumor(void)
{
	static uint8_t buf[4096];
	size_t n;
	struct hs_rumor rm;
	memset(&rm, 0, sizeof(rm));
	fill(rm.origin, 32, 3);
	rm.topic = (const uint8_t *)"blocks";
	rm.topic_len = 6;
	rm.time_ms = 1700000000000u;
	rm.payload = (const uint8_t *)"hello, hearsay";
	rm.payload_len = 14;
	fill(rm.sig, 64, 4);
	if (hs_rumor_encode(&rm, buf, sizeof(buf), &n) != 0)
		exit(1);
	put_variants("rumor", "valid-small", buf, n);
	buf[34] = ' ';
	put("rumor", "bad-topic-byte", buf, n);
	rm.payload_len = 0;
	if (hs_rumor_encode(&rm, buf, sizeof(buf), &n) != 0)
		exit(1);
	put("rumor", "valid-empty-payload", buf, n);
	static uint8_t payload[2000];
	fill(payload, sizeof(payload), 5);
	static const char topic[] =
	        "0123456789012345678901234567890123456789012345678901234567890123";
	rm.topic = (const uint8_t *)topic;
	rm.topic_len = HS_TOPIC_MAX;
	rm.payload = payload;
	rm.payload_len = sizeof(payload);
	if (hs_rumor_encode(&rm, buf, sizeof(buf), &n) != 0)
		exit(1);
	put("rumor", "valid-max-topic", buf, n);
	buf[32] = HS_TOPIC_MAX + 1;
	put("rumor", "bad-topic-too-long", buf, n);
}

static void gen_entry(void)
{
	uint8_t buf[512];
	size_t n;
	struct hs_entry e;
	memset(&e, 0, sizeof(e));
	fill(e.origin, 32, 6);
	e.key = (const uint8_t *)"height";
	e.key_len = 6;
	e.generation = 1;
	e.version = 42;
	e.value = (const uint8_t *)"812345";
	e.value_len = 6;
	fill(e.sig, 64, 7);
	if (hs_entry_encode(&e, buf, sizeof(buf), &n) != 0)
		exit(1);
	put_variants("entry", "valid-value", buf, n);
	buf[32 + 7 + 16] = 2;
	put("entry", "bad-kind-2", buf, n);
	e.value_len = 0;
	if (hs_entry_encode(&e, buf, sizeof(buf), &n) != 0)
		exit(1);
	put("entry", "valid-empty-value", buf, n);
	buf[32 + 7 + 16] = 1; /* a tombstone followed by a value field */
	put("entry", "bad-tombstone-with-value", buf, n);
	e.kind = HS_ENTRY_TOMBSTONE;
	e.value = NULL;
	if (hs_entry_encode(&e, buf, sizeof(buf), &n) != 0)
		exit(1);
	put("entry", "valid-tombstone", buf, n);
	/* A heartbeat (§5.5) and its leave. */
	uint8_t hb[HS_HEARTBEAT_VALUE_LEN];
	hs_heartbeat_value(hb, 1700000000000ull, 10000);
	e.key = (const uint8_t *)HS_HEARTBEAT_KEY;
	e.key_len = strlen(HS_HEARTBEAT_KEY);
	e.kind = HS_ENTRY_VALUE;
	e.value = hb;
	e.value_len = sizeof(hb);
	if (hs_entry_encode(&e, buf, sizeof(buf), &n) != 0)
		exit(1);
	put("entry", "valid-heartbeat", buf, n);
	e.kind = HS_ENTRY_TOMBSTONE;
	e.value = NULL;
	e.value_len = 0;
	if (hs_entry_encode(&e, buf, sizeof(buf), &n) != 0)
		exit(1);
	put("entry", "valid-leave", buf, n);
	/* A suspects list naming two members. */
	struct hs_suspect sus[2];
	memset(sus, 0, sizeof(sus));
	fill(sus[0].id, 32, 8);
	fill(sus[1].id, 32, 9);
	sus[0].generation = sus[1].generation = 3;
	sus[0].heartbeat = 17;
	sus[1].heartbeat = 4;
	uint8_t sv[HS_SUSPECTS_VALUE_MAX];
	e.key = (const uint8_t *)HS_SUSPECTS_KEY;
	e.key_len = strlen(HS_SUSPECTS_KEY);
	e.kind = HS_ENTRY_VALUE;
	e.value = sv;
	e.value_len = hs_suspects_encode(sus, 2, sv);
	if (e.value_len == 0 || hs_entry_encode(&e, buf, sizeof(buf), &n) != 0)
		exit(1);
	put("entry", "valid-suspects", buf, n);
}

/* ---- frames ---------------------------------------------------------------------------- */

static uint8_t fb[HS_FRAME_MAX + 1];

static size_t enc(const struct hs_msg *m)
{
	size_t n;
	if (hs_msg_encode(m, fb, sizeof(fb), &n) != 0) {
		fprintf(stderr, "gen_corpus: cannot encode %s\n", hs_msg_type_name(m->type));
		exit(1);
	}
	return n;
}

static void gen_hello(void)
{
	static struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_HELLO;
	m.u.hello.version = 1;
	m.u.hello.network.p = (const uint8_t *)"main";
	m.u.hello.network.len = 4;
	m.u.hello.record = sample_record(2);
	m.u.hello.time_ms = 1700000000123ull;
	m.u.hello.your_addr = hs_netaddr_ipv4(198, 51, 100, 1, 40000);
	m.u.hello.ntopics = 2;
	m.u.hello.topics[0].p = (const uint8_t *)"blocks";
	m.u.hello.topics[0].len = 6;
	m.u.hello.topics[1].p = (const uint8_t *)"tx";
	m.u.hello.topics[1].len = 2;
	size_t n = enc(&m);
	put_variants("msg", "valid-hello", fb, n);
	/* Swap the topics: out of order. */
	memcpy(fb + n - 10,
	       "\x02tx\x06"
	       "blocks",
	       10);
	put("msg", "bad-hello-topic-order", fb, n);
	m.u.hello.your_addr = v6(9, 1);
	put("msg", "valid-hello-ipv6-addr", fb, enc(&m));
	memset(&m.u.hello.your_addr, 0, sizeof(m.u.hello.your_addr));
	m.u.hello.ntopics = 0;
	m.u.hello.flags = HS_HELLO_ALL_TOPICS;
	n = enc(&m);
	put("msg", "valid-hello-all-topics", fb, n);
	fb[n - 2] = 0x02;
	put("msg", "bad-hello-unknown-flag", fb, n);
}

static void gen_frames(void)
{
	static struct hs_msg m;
	static uint8_t items[4 * HS_INV_ITEM_LEN];
	gen_hello();
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_PING;
	m.u.ping.nonce = 0x0123456789abcdefu;
	put_variants("msg", "valid-ping", fb, enc(&m));
	m.type = HS_MSG_PONG;
	put("msg", "valid-pong", fb, enc(&m));
	fill(items, sizeof(items), 8);
	for (size_t i = 0; i < 4; i++)
		items[i * HS_INV_ITEM_LEN] = (uint8_t)(1 + i % 2);
	static const uint8_t types[] = { HS_MSG_INV, HS_MSG_GETDATA, HS_MSG_NOTFOUND };
	for (size_t t = 0; t < 3; t++) {
		memset(&m, 0, sizeof(m));
		m.type = types[t];
		m.u.inv.count = 4;
		m.u.inv.items = items;
		char name[64];
		snprintf(name, sizeof(name), "valid-%s", hs_msg_type_name(types[t]));
		put("msg", name, fb, enc(&m));
	}
	size_t n = enc(&m);
	fb[2] = 3;
	put("msg", "bad-inv-kind", fb, n);
	static const uint8_t zero_count[] = { HS_MSG_INV, 0 };
	put("msg", "bad-inv-count-zero", zero_count, sizeof(zero_count));

	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_RUMOR;
	fill(m.u.rumor.rumor.origin, 32, 1);
	m.u.rumor.rumor.topic = (const uint8_t *)"tx";
	m.u.rumor.rumor.topic_len = 2;
	m.u.rumor.rumor.payload = items;
	m.u.rumor.rumor.payload_len = 40;
	put("msg", "valid-rumor", fb, enc(&m));

	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_STATE;
	m.u.state.count = 3;
	for (size_t i = 0; i < 3; i++) {
		struct hs_entry *e = &m.u.state.entries[i];
		fill(e->origin, 32, (uint8_t)i);
		e->key = (const uint8_t *)"k";
		e->key_len = 1;
		e->version = i;
		e->kind = i == 2 ? HS_ENTRY_TOMBSTONE : HS_ENTRY_VALUE;
		e->value = i == 2 ? NULL : items;
		e->value_len = i == 2 ? 0 : 5;
	}
	put("msg", "valid-state", fb, enc(&m));

	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_DISCONNECT;
	m.u.disconnect.reason = HS_REASON_FULL;
	m.u.disconnect.text.p = (const uint8_t *)"no free slot";
	m.u.disconnect.text.len = 12;
	n = enc(&m);
	put("msg", "valid-disconnect", fb, n);
	fb[5] = '\n';
	put("msg", "bad-disconnect-text", fb, n);
	static const uint8_t unknown[] = { 0x0a, 1, 2, 3 };
	put("msg", "bad-unknown-type", unknown, sizeof(unknown));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus CORPUS_DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);
	gen_wire();
	gen_netaddr();
	gen_record();
	gen_rumor();
	gen_entry();
	gen_frames();
	return 0;
}

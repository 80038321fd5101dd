/*
 * ctest `protocol`: docs/PROTOCOL.md and the code cannot drift.
 *
 * The document marks every byte example as a fenced block
 *
 *     ```hex example=<name>
 *     04 cb 00 71 07   # '#' starts a comment; whitespace is ignored
 *     ```
 *
 * and the varint examples of §2 as a ```varint examples``` block. For each example this test
 * decodes the bytes with the decoder for its kind, re-encodes them to the same bytes, verifies
 * every signature inside with hs_verify over the tagged hash for network "main", and re-creates
 * the example from the documented values, the fixed test key (secret key 32 bytes of 0x01) and
 * BIP340 aux = 32 zero bytes, requiring identical bytes. A missing file, a missing, unknown or
 * repeated example fails loudly; on a mismatch the expected block is printed so the document
 * can be corrected.
 */
#include <ctype.h>
#include <stdbool.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "overlay/msg.h"

#define NETWORK "main"
#define MAXLEN  2048

static struct hs_crypto *crypto;
static struct hs_identity *key;

/* ---- building the examples from the documented values -------------------------------- */

/* Signs a signed object in place: digest of every byte before the last 64, sig appended. */
static void sign_tail(const char *purpose, uint8_t *buf, size_t len)
{
	static const uint8_t aux[32];
	struct hs_tag tag;
	uint8_t digest[32];
	REQUIRE(hs_tag_init(&tag, purpose, NETWORK) == 0);
	hs_tag_hash(&tag, digest, buf, len - HS_SIG_LEN);
	REQUIRE(hs_identity_sign(crypto, key, buf + len - HS_SIG_LEN, digest, aux) == 0);
}

static size_t build_netaddr4(uint8_t *out)
{
	struct hs_netaddr a = hs_netaddr_ipv4(203, 0, 113, 7, 8333);
	struct hs_writer w;
	hs_writer_init(&w, out, MAXLEN);
	hs_netaddr_write(&w, &a);
	REQUIRE(hs_writer_end(&w) == 0);
	return w.len;
}

static size_t build_netaddr6(uint8_t *out)
{
	static const uint8_t ip[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7
	};
	struct hs_netaddr a = hs_netaddr_ipv6(ip, 8333);
	struct hs_writer w;
	hs_writer_init(&w, out, MAXLEN);
	hs_netaddr_write(&w, &a);
	REQUIRE(hs_writer_end(&w) == 0);
	return w.len;
}

static size_t build_record(uint8_t *out)
{
	static const uint8_t ip[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7
	};
	struct hs_record rec;
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.id, hs_identity_pubkey(key), 32);
	rec.seq = 1;
	rec.generation = 1;
	rec.time_s = 1700000000;
	rec.services = HS_SERVICE_RELAY;
	rec.naddrs = 2;
	rec.addrs[0] = hs_netaddr_ipv4(203, 0, 113, 7, 8333);
	rec.addrs[1] = hs_netaddr_ipv6(ip, 8333);
	size_t len;
	REQUIRE(hs_record_encode(&rec, out, MAXLEN, &len) == 0);
	sign_tail("record", out, len);
	return len;
}

static size_t build_rumor(uint8_t *out)
{
	struct hs_rumor rm;
	memset(&rm, 0, sizeof(rm));
	memcpy(rm.origin, hs_identity_pubkey(key), 32);
	rm.topic = (const uint8_t *)"blocks";
	rm.topic_len = 6;
	rm.time_ms = 1700000000000u;
	rm.payload = (const uint8_t *)"hello, hearsay";
	rm.payload_len = 14;
	size_t len;
	REQUIRE(hs_rumor_encode(&rm, out, MAXLEN, &len) == 0);
	sign_tail("rumor", out, len);
	return len;
}

static size_t build_entry(uint8_t *out, uint8_t kind)
{
	struct hs_entry e;
	memset(&e, 0, sizeof(e));
	memcpy(e.origin, hs_identity_pubkey(key), 32);
	e.key = (const uint8_t *)"height";
	e.key_len = 6;
	e.generation = 1;
	e.version = kind == HS_ENTRY_VALUE ? 42 : 43;
	e.kind = kind;
	if (kind == HS_ENTRY_VALUE) {
		e.value = (const uint8_t *)"812345";
		e.value_len = 6;
	}
	size_t len;
	REQUIRE(hs_entry_encode(&e, out, MAXLEN, &len) == 0);
	sign_tail("state", out, len);
	return len;
}

/* §5.5: the test key's heartbeat, signed at 1700000000000 ms with a 10 s interval. */
static size_t build_entry_heartbeat(uint8_t *out)
{
	struct hs_entry e;
	memset(&e, 0, sizeof(e));
	memcpy(e.origin, hs_identity_pubkey(key), 32);
	e.key = (const uint8_t *)HS_HEARTBEAT_KEY;
	e.key_len = strlen(HS_HEARTBEAT_KEY);
	e.generation = 1;
	e.version = 44;
	e.kind = HS_ENTRY_VALUE;
	uint8_t v[HS_HEARTBEAT_VALUE_LEN];
	hs_heartbeat_value(v, 1700000000000ull, 10000);
	e.value = v;
	e.value_len = sizeof(v);
	size_t len;
	REQUIRE(hs_entry_encode(&e, out, MAXLEN, &len) == 0);
	sign_tail("state", out, len);
	return len;
}

static size_t build_entry_value(uint8_t *out)
{
	return build_entry(out, HS_ENTRY_VALUE);
}

static size_t build_entry_tombstone(uint8_t *out)
{
	return build_entry(out, HS_ENTRY_TOMBSTONE);
}

static size_t encode_msg(const struct hs_msg *m, uint8_t *out)
{
	size_t len;
	REQUIRE(hs_msg_encode(m, out, MAXLEN, &len) == 0);
	return len;
}

/* The hello frames carry the record example; enc keeps the bytes it is decoded from alive. */
static void hello_base(struct hs_msg *m, uint8_t *enc)
{
	memset(m, 0, sizeof(*m));
	m->type = HS_MSG_HELLO;
	m->u.hello.version = HS_PROTOCOL_VERSION;
	m->u.hello.network.p = (const uint8_t *)NETWORK;
	m->u.hello.network.len = strlen(NETWORK);
	size_t len = build_record(enc);
	REQUIRE(hs_record_decode(&m->u.hello.record, enc, len) == 0);
	m->u.hello.time_ms = 1700000000123ull;
}

static size_t build_frame_hello(uint8_t *out)
{
	struct hs_msg m;
	uint8_t enc[MAXLEN];
	hello_base(&m, enc);
	m.u.hello.your_addr = hs_netaddr_ipv4(198, 51, 100, 1, 40000);
	m.u.hello.ntopics = 2;
	m.u.hello.topics[0].p = (const uint8_t *)"blocks";
	m.u.hello.topics[0].len = 6;
	m.u.hello.topics[1].p = (const uint8_t *)"tx";
	m.u.hello.topics[1].len = 2;
	return encode_msg(&m, out);
}

static size_t build_frame_hello_all(uint8_t *out)
{
	struct hs_msg m;
	uint8_t enc[MAXLEN];
	hello_base(&m, enc); /* your_addr unknown: family 0 */
	m.u.hello.flags = HS_HELLO_ALL_TOPICS;
	return encode_msg(&m, out);
}

static size_t build_ping_like(uint8_t *out, uint8_t type)
{
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.u.ping.nonce = 0x0123456789abcdefu;
	return encode_msg(&m, out);
}

static size_t build_frame_ping(uint8_t *out)
{
	return build_ping_like(out, HS_MSG_PING);
}

static size_t build_frame_pong(uint8_t *out)
{
	return build_ping_like(out, HS_MSG_PONG);
}

/* Items: the rumor example's id and/or the value entry's id. */
static size_t build_inv_like(uint8_t *out, uint8_t type, bool rumor, bool entry)
{
	uint8_t obj[MAXLEN], items[2 * HS_INV_ITEM_LEN];
	size_t n = 0;
	if (rumor) {
		items[n * HS_INV_ITEM_LEN] = HS_INV_RUMOR;
		hs_blake2b256(items + n * HS_INV_ITEM_LEN + 1, obj, build_rumor(obj));
		n++;
	}
	if (entry) {
		items[n * HS_INV_ITEM_LEN] = HS_INV_STATE;
		hs_blake2b256(items + n * HS_INV_ITEM_LEN + 1, obj, build_entry_value(obj));
		n++;
	}
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.u.inv.count = n;
	m.u.inv.items = items;
	return encode_msg(&m, out);
}

static size_t build_frame_inv(uint8_t *out)
{
	return build_inv_like(out, HS_MSG_INV, true, true);
}

static size_t build_frame_getdata(uint8_t *out)
{
	return build_inv_like(out, HS_MSG_GETDATA, true, false);
}

static size_t build_frame_notfound(uint8_t *out)
{
	return build_inv_like(out, HS_MSG_NOTFOUND, false, true);
}

static size_t build_frame_rumor(uint8_t *out)
{
	uint8_t enc[MAXLEN];
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_RUMOR;
	REQUIRE(hs_rumor_decode(&m.u.rumor.rumor, enc, build_rumor(enc)) == 0);
	return encode_msg(&m, out);
}

static size_t build_frame_state(uint8_t *out)
{
	uint8_t enc0[MAXLEN], enc1[MAXLEN];
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_STATE;
	m.u.state.count = 2;
	REQUIRE(hs_entry_decode(&m.u.state.entries[0], enc0, build_entry_value(enc0)) == 0);
	REQUIRE(hs_entry_decode(&m.u.state.entries[1], enc1, build_entry_tombstone(enc1)) == 0);
	return encode_msg(&m, out);
}

static size_t build_frame_disconnect(uint8_t *out)
{
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_DISCONNECT;
	m.u.disconnect.reason = HS_REASON_FULL;
	m.u.disconnect.text.p = (const uint8_t *)"no free slot";
	m.u.disconnect.text.len = 12;
	return encode_msg(&m, out);
}

static size_t build_frame_getaddr(uint8_t *out)
{
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_GETADDR;
	return encode_msg(&m, out);
}

static size_t build_frame_addr(uint8_t *out)
{
	uint8_t enc[MAXLEN];
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_ADDR;
	m.u.addr.count = 1;
	REQUIRE(hs_record_decode(&m.u.addr.records[0], enc, build_record(enc)) == 0);
	return encode_msg(&m, out);
}

/* Salt 00..0f, since 2026-01-01T00:00:00Z, the short ids of the rumor and entry examples. */
static size_t build_frame_pull(uint8_t *out)
{
	uint8_t obj[MAXLEN], id[HS_ID_LEN], ids[16];
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_PULL;
	for (unsigned i = 0; i < 16; i++)
		m.u.pull.salt[i] = (uint8_t)i;
	m.u.pull.since_ms = 1767225600000u;
	uint64_t sid[2];
	hs_blake2b256(id, obj, build_rumor(obj));
	sid[0] = hs_shorthash(m.u.pull.salt, id, HS_ID_LEN);
	hs_blake2b256(id, obj, build_entry_value(obj));
	sid[1] = hs_shorthash(m.u.pull.salt, id, HS_ID_LEN);
	if (sid[0] > sid[1]) {
		uint64_t t = sid[0];
		sid[0] = sid[1];
		sid[1] = t;
	}
	for (unsigned k = 0; k < 2; k++)
		for (unsigned b = 0; b < 8; b++)
			ids[k * 8 + b] = (uint8_t)(sid[k] >> (8 * b));
	m.u.pull.count = 2;
	m.u.pull.ids = ids;
	return encode_msg(&m, out);
}

/* The digest of a node holding the entry examples of §5.4: the test key's origin, generation 1,
 * version 43 (the tombstone's). */
static size_t build_frame_sync(uint8_t *out)
{
	uint8_t item[HS_SYNC_ITEM_LEN];
	memcpy(item, hs_identity_pubkey(key), 32);
	memset(item + 32, 0, 16);
	item[32] = 1;
	item[40] = 43;
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_SYNC;
	m.u.sync.count = 1;
	m.u.sync.items = item;
	return encode_msg(&m, out);
}

/* A graft: "push new rumors to me whole". */
static size_t build_frame_push(uint8_t *out)
{
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_PUSH;
	m.u.push.mode = HS_PUSH_GRAFT;
	return encode_msg(&m, out);
}

/* §6.12: the entry of §5.4 and a second value signed for the same version. */
static size_t build_frame_equivocation(uint8_t *out)
{
	uint8_t e1[MAXLEN], e2[MAXLEN];
	size_t l1 = build_entry_value(e1);
	struct hs_entry e;
	memset(&e, 0, sizeof(e));
	memcpy(e.origin, hs_identity_pubkey(key), 32);
	e.key = (const uint8_t *)"height";
	e.key_len = 6;
	e.generation = 1;
	e.version = 42;
	e.value = (const uint8_t *)"812346";
	e.value_len = 6;
	size_t l2;
	REQUIRE(hs_entry_encode(&e, e2, MAXLEN, &l2) == 0);
	sign_tail("state", e2, l2);
	struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_EQUIVOCATION;
	REQUIRE(hs_entry_decode(&m.u.equivocation.a, e1, l1) == 0); /* "812345" sorts first */
	REQUIRE(hs_entry_decode(&m.u.equivocation.b, e2, l2) == 0);
	return encode_msg(&m, out);
}

static size_t build_test_pubkey(uint8_t *out)
{
	memcpy(out, hs_identity_pubkey(key), 32);
	return 32;
}

/* ---- the example table ------------------------------------------------------------------- */

enum kind { K_PUBKEY, K_NETADDR, K_RECORD, K_RUMOR, K_ENTRY, K_FRAME, K_ID, K_DIGEST };

struct example {
	const char *name;
	enum kind kind;
	size_t (*build)(uint8_t *out);
	const char *base; /* K_ID, K_DIGEST: the example whose id or signed digest this is */
	bool seen;
};

static struct example examples[] = {
	{ "test-key-pubkey", K_PUBKEY, build_test_pubkey, NULL, false },
	{ "netaddr-ipv4", K_NETADDR, build_netaddr4, NULL, false },
	{ "netaddr-ipv6", K_NETADDR, build_netaddr6, NULL, false },
	{ "record", K_RECORD, build_record, NULL, false },
	{ "record-digest", K_DIGEST, NULL, "record", false },
	{ "record-id", K_ID, NULL, "record", false },
	{ "rumor", K_RUMOR, build_rumor, NULL, false },
	{ "rumor-digest", K_DIGEST, NULL, "rumor", false },
	{ "rumor-id", K_ID, NULL, "rumor", false },
	{ "entry-value", K_ENTRY, build_entry_value, NULL, false },
	{ "entry-value-digest", K_DIGEST, NULL, "entry-value", false },
	{ "entry-value-id", K_ID, NULL, "entry-value", false },
	{ "entry-tombstone", K_ENTRY, build_entry_tombstone, NULL, false },
	{ "entry-tombstone-id", K_ID, NULL, "entry-tombstone", false },
	{ "entry-heartbeat", K_ENTRY, build_entry_heartbeat, NULL, false },
	{ "entry-heartbeat-id", K_ID, NULL, "entry-heartbeat", false },
	{ "frame-hello", K_FRAME, build_frame_hello, NULL, false },
	{ "frame-hello-all-topics", K_FRAME, build_frame_hello_all, NULL, false },
	{ "frame-ping", K_FRAME, build_frame_ping, NULL, false },
	{ "frame-pong", K_FRAME, build_frame_pong, NULL, false },
	{ "frame-inv", K_FRAME, build_frame_inv, NULL, false },
	{ "frame-getdata", K_FRAME, build_frame_getdata, NULL, false },
	{ "frame-notfound", K_FRAME, build_frame_notfound, NULL, false },
	{ "frame-rumor", K_FRAME, build_frame_rumor, NULL, false },
	{ "frame-state", K_FRAME, build_frame_state, NULL, false },
	{ "frame-disconnect", K_FRAME, build_frame_disconnect, NULL, false },
	{ "frame-getaddr", K_FRAME, build_frame_getaddr, NULL, false },
	{ "frame-addr", K_FRAME, build_frame_addr, NULL, false },
	{ "frame-pull", K_FRAME, build_frame_pull, NULL, false },
	{ "frame-sync", K_FRAME, build_frame_sync, NULL, false },
	{ "frame-push", K_FRAME, build_frame_push, NULL, false },
	{ "frame-equivocation", K_FRAME, build_frame_equivocation, NULL, false },
};
#define NEXAMPLES (sizeof(examples) / sizeof(examples[0]))

static struct example *find_example(const char *name)
{
	for (size_t i = 0; i < NEXAMPLES; i++)
		if (strcmp(examples[i].name, name) == 0)
			return &examples[i];
	return NULL;
}

static const char *purpose_of(enum kind k)
{
	return k == K_RECORD ? "record" : k == K_RUMOR ? "rumor" : "state";
}

/* ---- checking the document's bytes ------------------------------------------------------ */

/* Verifies a signed object's encoding: the signer must be the documented test key. */
static void check_signed(const char *purpose, const uint8_t *signer, const uint8_t *enc, size_t len)
{
	struct hs_tag tag;
	uint8_t digest[32];
	REQUIRE(len > HS_SIG_LEN);
	REQUIRE(hs_tag_init(&tag, purpose, NETWORK) == 0);
	hs_tag_hash(&tag, digest, enc, len - HS_SIG_LEN);
	CHECK_EQ(hs_verify(crypto, signer, enc + len - HS_SIG_LEN, digest), 0);
	CHECK_MEM(signer, hs_identity_pubkey(key), 32);
	/* One flipped bit anywhere breaks the signature. */
	uint8_t copy[MAXLEN];
	memcpy(copy, enc, len);
	copy[len / 2] ^= 1;
	hs_tag_hash(&tag, digest, copy, len - HS_SIG_LEN);
	CHECK(hs_verify(crypto, signer, copy + len - HS_SIG_LEN, digest) != 0);
}

static void check_frame_signatures(const struct hs_msg *m)
{
	switch (m->type) {
	case HS_MSG_HELLO:
		check_signed("record", m->u.hello.record.id, m->u.hello.record_enc,
		             m->u.hello.record_enclen);
		break;
	case HS_MSG_RUMOR:
		check_signed("rumor", m->u.rumor.rumor.origin, m->u.rumor.enc, m->u.rumor.enclen);
		break;
	case HS_MSG_STATE:
		for (size_t i = 0; i < m->u.state.count; i++)
			check_signed("state", m->u.state.entries[i].origin, m->u.state.enc[i],
			             m->u.state.enclen[i]);
		break;
	default:
		break;
	}
}

/* Decodes the document's bytes with the right decoder and re-encodes them. */
static void check_codec(enum kind kind, const uint8_t *doc, size_t len)
{
	uint8_t again[MAXLEN];
	size_t len2 = 0;
	int err = -1;
	struct hs_reader r;
	struct hs_writer w;
	struct hs_netaddr a;
	struct hs_record rec;
	struct hs_rumor rm;
	struct hs_entry e;
	static struct hs_msg m;
	switch (kind) {
	case K_NETADDR:
		hs_reader_init(&r, doc, len);
		hs_netaddr_read(&r, &a);
		err = hs_reader_end(&r);
		hs_writer_init(&w, again, sizeof(again));
		hs_netaddr_write(&w, &a);
		CHECK_EQ(hs_writer_end(&w), 0);
		len2 = w.len;
		break;
	case K_RECORD:
		err = hs_record_decode(&rec, doc, len);
		CHECK_EQ(hs_record_encode(&rec, again, sizeof(again), &len2), 0);
		check_signed("record", rec.id, doc, len);
		break;
	case K_RUMOR:
		err = hs_rumor_decode(&rm, doc, len);
		CHECK_EQ(hs_rumor_encode(&rm, again, sizeof(again), &len2), 0);
		check_signed("rumor", rm.origin, doc, len);
		break;
	case K_ENTRY:
		err = hs_entry_decode(&e, doc, len);
		CHECK_EQ(hs_entry_encode(&e, again, sizeof(again), &len2), 0);
		check_signed("state", e.origin, doc, len);
		break;
	case K_FRAME:
		err = hs_msg_decode(&m, doc, len);
		CHECK_EQ(hs_msg_encode(&m, again, sizeof(again), &len2), 0);
		check_frame_signatures(&m);
		break;
	default:
		return;
	}
	CHECK_EQ(err, 0);
	CHECK_EQ(len2, len);
	CHECK(len2 == len && memcmp(again, doc, len) == 0);
}

static void print_block(const char *name, const uint8_t *p, size_t n)
{
	fprintf(stderr, "  expected:\n```hex example=%s\n", name);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x%s", p[i], (i % 16 == 15 || i + 1 == n) ? "\n" : " ");
	fprintf(stderr, "```\n");
}

/* The bytes an example must have, re-created from the documented values. */
static size_t expected_bytes(const struct example *ex, uint8_t *out)
{
	if (ex->kind != K_ID && ex->kind != K_DIGEST)
		return ex->build(out);
	const struct example *base = find_example(ex->base);
	REQUIRE(base && base->build);
	uint8_t obj[MAXLEN];
	size_t n = base->build(obj);
	if (ex->kind == K_ID) {
		hs_blake2b256(out, obj, n);
	} else {
		struct hs_tag tag;
		REQUIRE(hs_tag_init(&tag, purpose_of(base->kind), NETWORK) == 0);
		hs_tag_hash(&tag, out, obj, n - HS_SIG_LEN);
	}
	return 32;
}

static void check_example(const char *name, const uint8_t *doc, size_t len)
{
	struct example *ex = find_example(name);
	if (!ex) {
		fprintf(stderr, "PROTOCOL.md: unknown example \"%s\"\n", name);
		CHECK(ex != NULL);
		return;
	}
	if (ex->seen)
		fprintf(stderr, "PROTOCOL.md: example \"%s\" appears twice\n", name);
	CHECK(!ex->seen);
	ex->seen = true;
	uint8_t want[MAXLEN];
	size_t n = expected_bytes(ex, want);
	bool same = n == len && memcmp(want, doc, n) == 0;
	CHECK(same);
	if (!same) {
		fprintf(stderr, "PROTOCOL.md: example \"%s\" differs from the code\n", name);
		print_block(name, want, n);
	}
	check_codec(ex->kind, doc, len);
}

/* ---- parsing the document ------------------------------------------------------------- */

/* Hex digits of a block, '#' comments and whitespace skipped; -1 on any other character. */
static long parse_hex_block(const char *p, const char *end, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int half = -1;
	for (; p < end; p++) {
		if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (isspace((unsigned char)*p))
			continue;
		if (!isxdigit((unsigned char)*p) || n >= cap)
			return -1;
		int v = isdigit((unsigned char)*p) ? *p - '0'
		                                   : (tolower((unsigned char)*p) - 'a' + 10);
		if (half < 0) {
			half = v;
		} else {
			out[n++] = (uint8_t)(half << 4 | v);
			half = -1;
		}
	}
	return half < 0 ? (long)n : -1;
}

static int err_by_name(const char *s)
{
	static const struct {
		const char *name;
		int err;
	} errs[] = {
		{ "HS_ERR_NONCANONICAL", HS_ERR_NONCANONICAL },
		{ "HS_ERR_TRUNCATED", HS_ERR_TRUNCATED },
		{ "HS_ERR_TOO_LARGE", HS_ERR_TOO_LARGE },
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (strncmp(s, errs[i].name, strlen(errs[i].name)) == 0)
			return errs[i].err;
	return 0;
}

/* One line of the varint block: "<decimal> <hex...>" or "reject <hex...> HS_ERR_x ...". */
static int check_varint_line(const char *line, const char *end)
{
	char buf[256];
	size_t n = (size_t)(end - line);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	char *p = buf;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	bool reject = strncmp(p, "reject", 6) == 0;
	uint64_t value = 0;
	if (reject) {
		p += 6;
	} else {
		char *after;
		value = strtoull(p, &after, 10);
		if (after == p)
			return -1;
		p = after;
	}
	char *errname = strstr(p, "HS_ERR_");
	int want_err = reject ? (errname ? err_by_name(errname) : 0) : 0;
	if (reject && want_err == 0)
		return -1;
	uint8_t bytes[16];
	long len = parse_hex_block(p, errname ? errname : p + strlen(p), bytes, sizeof(bytes));
	if (len <= 0)
		return -1;
	struct hs_reader r;
	hs_reader_init(&r, bytes, (size_t)len);
	uint64_t got = hs_read_varint(&r, UINT64_MAX);
	int err = hs_reader_end(&r);
	if (reject)
		return err == want_err ? 1 : -1;
	uint8_t enc[16];
	struct hs_writer w;
	hs_writer_init(&w, enc, sizeof(enc));
	hs_write_varint(&w, value);
	bool ok = err == 0 && got == value && hs_writer_end(&w) == 0 && w.len == (size_t)len &&
	          memcmp(enc, bytes, w.len) == 0;
	return ok ? 1 : -1;
}

static void check_varint_block(const char *p, const char *end, unsigned *accepted)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		int res = check_varint_line(p, le);
		if (res < 0)
			fprintf(stderr, "PROTOCOL.md: bad varint example: %.*s\n", (int)(le - p),
			        p);
		CHECK(res >= 0);
		if (res > 0)
			(*accepted)++;
		p = le + 1;
	}
}

static void test_protocol_examples(void)
{
	size_t doclen = 0;
	char *doc = hs_test_slurp(HS_SOURCE_DIR "/docs/PROTOCOL.md", &doclen);
	if (!doc)
		fprintf(stderr, "cannot read %s\n", HS_SOURCE_DIR "/docs/PROTOCOL.md");
	REQUIRE(doc != NULL);
	const char *end = doc + doclen;
	unsigned blocks = 0, varints = 0;
	static const char hex_open[] = "```hex example=";
	static const char var_open[] = "```varint examples";
	for (const char *p = doc; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		bool is_hex = strncmp(p, hex_open, sizeof(hex_open) - 1) == 0;
		bool is_var = strncmp(p, var_open, sizeof(var_open) - 1) == 0;
		if (!is_hex && !is_var) {
			p = le + 1;
			continue;
		}
		const char *body = le + 1;
		const char *close = strstr(body, "\n```");
		REQUIRE(close != NULL);
		if (is_var) {
			check_varint_block(body, close, &varints);
		} else {
			char name[64];
			const char *np = p + sizeof(hex_open) - 1;
			size_t nlen = (size_t)(le - np);
			while (nlen > 0 && isspace((unsigned char)np[nlen - 1]))
				nlen--;
			REQUIRE(nlen > 0 && nlen < sizeof(name));
			memcpy(name, np, nlen);
			name[nlen] = '\0';
			static uint8_t bytes[MAXLEN];
			long n = parse_hex_block(body, close, bytes, sizeof(bytes));
			if (n < 0)
				fprintf(stderr, "PROTOCOL.md: example \"%s\" is not hex\n", name);
			CHECK(n > 0);
			if (n > 0)
				check_example(name, bytes, (size_t)n);
			blocks++;
		}
		p = close + 4;
	}
	for (size_t i = 0; i < NEXAMPLES; i++) {
		if (!examples[i].seen) {
			uint8_t want[MAXLEN];
			fprintf(stderr, "PROTOCOL.md: example \"%s\" is missing\n",
			        examples[i].name);
			print_block(examples[i].name, want, expected_bytes(&examples[i], want));
		}
		CHECK(examples[i].seen);
	}
	CHECK_EQ(blocks, NEXAMPLES);
	CHECK(varints >= 10);
	free(doc);
}

/* The document's fixed sections that other specifications are merged into. */
static void test_protocol_sections(void)
{
	char *doc = hs_test_slurp(HS_SOURCE_DIR "/docs/PROTOCOL.md", NULL);
	REQUIRE(doc != NULL);
	/* Every section is there, in order, and no placeholder is left. */
	static const char *const heads[] = {
		"## §1 Overview",
		"## §2 Encoding primitives",
		"## §3 Transport: Noise XX handshake",
		"### §3.1 Framing on TCP",
		"## §4 Identity",
		"## §5 Signed objects",
		"## §6 Frames",
		"### §6.9 pull (type 12)",
		"### §6.10 sync (type 13)",
		"## §7 Disconnect reasons",
		"## §8 Limits",
		"## §9 Session and dissemination rules",
		"### §9.6 Faults",
	};
	const char *at = doc;
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		const char *h = strstr(at, heads[i]);
		CHECK(h != NULL);
		if (h)
			at = h;
	}
	CHECK(strstr(doc, "(defined with the overlay core)") == NULL);
	CHECK(strstr(doc, "(this section is merged") == NULL);
	free(doc);
}

int main(void)
{
	REQUIRE(sodium_init() >= 0);
	static const uint8_t seed[32],
	        secret[32] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	REQUIRE(hs_crypto_new(&crypto, seed) == 0);
	REQUIRE(hs_identity_new(&key, crypto, secret) == 0);
	RUN(test_protocol_examples);
	RUN(test_protocol_sections);
	hs_identity_del(key);
	hs_crypto_del(crypto);
	return hs_test_done();
}

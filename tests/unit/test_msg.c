/*
 * ctest `msg`: every frame type round trips; every malformed form we can name is refused with
 * the error that says why; truncation at every offset; the largest inv and rumor frames fit
 * HS_FRAME_MAX; encoders refuse what decoders would reject.
 */
#include <stdbool.h>

#include "harness.h"
#include "overlay/msg.h"

static uint8_t frame[HS_FRAME_MAX + 64];
static uint8_t frame2[HS_FRAME_MAX + 64];
static uint8_t blob[HS_FRAME_MAX + 64];
static struct hs_msg m, m2;

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static struct hs_name name(const char *s)
{
	struct hs_name n = { (const uint8_t *)s, strlen(s) };
	return n;
}

static struct hs_record sample_record(void)
{
	struct hs_record rec;
	memset(&rec, 0, sizeof(rec));
	fill(rec.id, 32, 1);
	rec.seq = 5;
	rec.generation = 2;
	rec.time_s = 1700000000;
	rec.services = HS_SERVICE_RELAY;
	rec.naddrs = 1;
	rec.addrs[0] = hs_netaddr_ipv4(203, 0, 113, 7, 8333);
	fill(rec.sig, 64, 3);
	return rec;
}

static void make_hello(struct hs_msg *msg, size_t ntopics)
{
	static const char *const topics[] = { "a", "ab", "b", "blocks", "tx" };
	memset(msg, 0, sizeof(*msg));
	msg->type = HS_MSG_HELLO;
	struct hs_msg_hello *h = &msg->u.hello;
	h->version = HS_PROTOCOL_VERSION;
	h->network = name("main");
	h->record = sample_record();
	h->time_ms = 1700000000123ull;
	h->your_addr = hs_netaddr_ipv4(198, 51, 100, 1, 40000);
	h->ntopics = ntopics;
	for (size_t i = 0; i < ntopics; i++)
		h->topics[i] = name(topics[i]);
}

static void make_inv(struct hs_msg *msg, uint8_t type, size_t count)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = type;
	fill(blob, count * HS_INV_ITEM_LEN, 7);
	for (size_t i = 0; i < count; i++)
		blob[i * HS_INV_ITEM_LEN] = i % 2 ? HS_INV_STATE : HS_INV_RUMOR;
	msg->u.inv.count = count;
	msg->u.inv.items = blob;
}

static void make_rumor(struct hs_msg *msg, size_t payload_len)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = HS_MSG_RUMOR;
	struct hs_rumor *rm = &msg->u.rumor.rumor;
	fill(rm->origin, 32, 4);
	rm->topic = (const uint8_t *)"blocks";
	rm->topic_len = 6;
	rm->time_ms = 1700000000000u;
	fill(blob, payload_len, 9);
	rm->payload = blob;
	rm->payload_len = payload_len;
	fill(rm->sig, 64, 8);
}

static void make_state(struct hs_msg *msg, size_t count, size_t value_len)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = HS_MSG_STATE;
	msg->u.state.count = count;
	fill(blob, value_len, 1);
	for (size_t i = 0; i < count; i++) {
		struct hs_entry *e = &msg->u.state.entries[i];
		fill(e->origin, 32, (uint8_t)i);
		e->key = (const uint8_t *)"height";
		e->key_len = 6;
		e->generation = 1;
		e->version = i;
		e->kind = i % 3 == 2 ? HS_ENTRY_TOMBSTONE : HS_ENTRY_VALUE;
		e->value = e->kind == HS_ENTRY_VALUE ? blob : NULL;
		e->value_len = e->kind == HS_ENTRY_VALUE ? value_len : 0;
		fill(e->sig, 64, (uint8_t)(i + 100));
	}
}

static void make_disconnect(struct hs_msg *msg, uint8_t reason, const char *text)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = HS_MSG_DISCONNECT;
	msg->u.disconnect.reason = reason;
	msg->u.disconnect.text = name(text);
}

/* ---- comparisons ------------------------------------------------------------------------ */

static bool name_eq(const struct hs_name *a, const struct hs_name *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static bool bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool record_eq(const struct hs_record *a, const struct hs_record *b)
{
	bool ok = memcmp(a->id, b->id, 32) == 0 && a->seq == b->seq &&
	          a->generation == b->generation && a->time_s == b->time_s &&
	          a->services == b->services && a->naddrs == b->naddrs &&
	          memcmp(a->sig, b->sig, 64) == 0;
	for (size_t i = 0; ok && i < a->naddrs; i++)
		ok = hs_netaddr_equal(&a->addrs[i], &b->addrs[i]);
	return ok;
}

static bool entry_eq(const struct hs_entry *a, const struct hs_entry *b)
{
	return memcmp(a->origin, b->origin, 32) == 0 &&
	       bytes_eq(a->key, a->key_len, b->key, b->key_len) && a->generation == b->generation &&
	       a->version == b->version && a->kind == b->kind &&
	       bytes_eq(a->value, a->value_len, b->value, b->value_len) &&
	       memcmp(a->sig, b->sig, 64) == 0;
}

static bool msg_eq(const struct hs_msg *a, const struct hs_msg *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case HS_MSG_HELLO: {
		const struct hs_msg_hello *x = &a->u.hello, *y = &b->u.hello;
		bool ok = x->version == y->version && name_eq(&x->network, &y->network) &&
		          record_eq(&x->record, &y->record) && x->flags == y->flags &&
		          x->time_ms == y->time_ms && x->your_addr.family == y->your_addr.family &&
		          hs_netaddr_equal(&x->your_addr, &y->your_addr) &&
		          x->ntopics == y->ntopics;
		for (size_t i = 0; ok && i < x->ntopics; i++)
			ok = name_eq(&x->topics[i], &y->topics[i]);
		return ok;
	}
	case HS_MSG_PING:
	case HS_MSG_PONG:
		return a->u.ping.nonce == b->u.ping.nonce;
	case HS_MSG_INV:
	case HS_MSG_GETDATA:
	case HS_MSG_NOTFOUND:
		return bytes_eq(a->u.inv.items, a->u.inv.count * HS_INV_ITEM_LEN, b->u.inv.items,
		                b->u.inv.count * HS_INV_ITEM_LEN);
	case HS_MSG_RUMOR: {
		const struct hs_rumor *x = &a->u.rumor.rumor, *y = &b->u.rumor.rumor;
		return memcmp(x->origin, y->origin, 32) == 0 &&
		       bytes_eq(x->topic, x->topic_len, y->topic, y->topic_len) &&
		       x->time_ms == y->time_ms &&
		       bytes_eq(x->payload, x->payload_len, y->payload, y->payload_len) &&
		       memcmp(x->sig, y->sig, 64) == 0;
	}
	case HS_MSG_STATE: {
		bool ok = a->u.state.count == b->u.state.count;
		for (size_t i = 0; ok && i < a->u.state.count; i++)
			ok = entry_eq(&a->u.state.entries[i], &b->u.state.entries[i]);
		return ok;
	}
	case HS_MSG_DISCONNECT:
		return a->u.disconnect.reason == b->u.disconnect.reason &&
		       name_eq(&a->u.disconnect.text, &b->u.disconnect.text);
	case HS_MSG_GETADDR:
		return true;
	case HS_MSG_ADDR: {
		bool ok = a->u.addr.count == b->u.addr.count;
		for (size_t i = 0; ok && i < a->u.addr.count; i++)
			ok = record_eq(&a->u.addr.records[i], &b->u.addr.records[i]);
		return ok;
	}
	case HS_MSG_SYNC:
		return bytes_eq(a->u.sync.items, a->u.sync.count * HS_SYNC_ITEM_LEN,
		                b->u.sync.items, b->u.sync.count * HS_SYNC_ITEM_LEN);
	case HS_MSG_PUSH:
		return a->u.push.mode == b->u.push.mode;
	case HS_MSG_PULL:
		return memcmp(a->u.pull.salt, b->u.pull.salt, 16) == 0 &&
		       a->u.pull.since_ms == b->u.pull.since_ms &&
		       bytes_eq(a->u.pull.ids, a->u.pull.count * 8, b->u.pull.ids,
		                b->u.pull.count * 8);
	default:
		return false;
	}
}

/* Encodes msg, decodes, compares, re-encodes to the same bytes, then checks every truncation
 * (all offsets for frames up to 2,000 bytes, the first and last 300 otherwise) and a trailing
 * byte. Returns the frame length. */
static size_t roundtrip(const struct hs_msg *msg)
{
	size_t len = 0, len2 = 0;
	int err = hs_msg_encode(msg, frame, sizeof(frame), &len);
	CHECK_EQ(err, 0);
	if (err)
		return 0;
	CHECK(len <= HS_FRAME_MAX);
	CHECK_EQ(frame[0], msg->type);
	CHECK_EQ(hs_msg_decode(&m2, frame, len), 0);
	CHECK(msg_eq(msg, &m2));
	CHECK_EQ(hs_msg_encode(&m2, frame2, sizeof(frame2), &len2), 0);
	CHECK_EQ(len2, len);
	CHECK_MEM(frame2, frame, len);
	for (size_t cut = 0; cut < len; cut++) {
		if (len > 2000 && cut > 300 && cut < len - 300)
			continue;
		err = hs_msg_decode(&m2, frame, cut);
		CHECK_EQ(err, HS_ERR_TRUNCATED);
		CHECK_EQ(m2.type, cut ? msg->type : 0);
	}
	if (len < HS_FRAME_MAX) {
		frame[len] = 0;
		CHECK_EQ(hs_msg_decode(&m2, frame, len + 1), HS_ERR_TRAILING);
	}
	/* The caller's buffer one byte short. */
	CHECK_EQ(hs_msg_encode(msg, frame2, len - 1, &len2), HS_ERR_BUFFER);
	return len;
}

/* ---- round trips ----------------------------------------------------------------------- */

static void test_hello_roundtrip(void)
{
	struct hs_msg msg;
	for (size_t n = 0; n <= 5; n++) {
		make_hello(&msg, n);
		roundtrip(&msg);
	}
	/* your_addr unknown: one zero byte on the wire. */
	make_hello(&msg, 0);
	memset(&msg.u.hello.your_addr, 0, sizeof(msg.u.hello.your_addr));
	size_t len = roundtrip(&msg);
	size_t known = hs_record_encoded_len(&msg.u.hello.record) + 1 + 2 + 1 + 4 + 8 + 1 + 1;
	CHECK_EQ(len, known + 1);
	/* IPv6 your_addr, all-topics flag, another version. */
	make_hello(&msg, 0);
	uint8_t ip[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	ip[15] = 1;
	msg.u.hello.your_addr = hs_netaddr_ipv6(ip, 1);
	msg.u.hello.flags = HS_HELLO_ALL_TOPICS;
	msg.u.hello.version = 0xffff;
	roundtrip(&msg);
	/* The record's encoding is exposed exactly where it sits in the frame. */
	make_hello(&msg, 2);
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), 0);
	CHECK_EQ(hs_msg_decode(&m, frame, len), 0);
	CHECK(m.u.hello.record_enc == frame + 1 + 2 + 1 + 4);
	CHECK_EQ(m.u.hello.record_enclen, hs_record_encoded_len(&msg.u.hello.record));
	struct hs_record rec;
	CHECK_EQ(hs_record_decode(&rec, m.u.hello.record_enc, m.u.hello.record_enclen), 0);
	/* The largest hello: 64 maximal topics and a full record. */
	make_hello(&msg, 0);
	static char topics[HS_HELLO_TOPICS_MAX][HS_TOPIC_MAX];
	for (size_t i = 0; i < HS_HELLO_TOPICS_MAX; i++) {
		memset(topics[i], 'a', HS_TOPIC_MAX);
		topics[i][HS_TOPIC_MAX - 1] = (char)(0x21 + i);
		msg.u.hello.topics[i].p = (const uint8_t *)topics[i];
		msg.u.hello.topics[i].len = HS_TOPIC_MAX;
	}
	msg.u.hello.ntopics = HS_HELLO_TOPICS_MAX;
	roundtrip(&msg);
}

static void test_ping_pong_roundtrip(void)
{
	struct hs_msg msg;
	memset(&msg, 0, sizeof(msg));
	static const uint64_t nonces[] = { 0, 1, 0x0123456789abcdefu, UINT64_MAX };
	for (size_t i = 0; i < 4; i++) {
		msg.type = HS_MSG_PING;
		msg.u.ping.nonce = nonces[i];
		CHECK_EQ(roundtrip(&msg), 9);
		msg.type = HS_MSG_PONG;
		CHECK_EQ(roundtrip(&msg), 9);
	}
	static const uint8_t want[] = { 2, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 };
	msg.type = HS_MSG_PING;
	msg.u.ping.nonce = 0x0123456789abcdefu;
	size_t len;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), 0);
	CHECK_MEM(frame, want, sizeof(want));
}

static void test_inv_roundtrip(void)
{
	static const uint8_t types[] = { HS_MSG_INV, HS_MSG_GETDATA, HS_MSG_NOTFOUND };
	struct hs_msg msg;
	for (size_t t = 0; t < 3; t++) {
		make_inv(&msg, types[t], 1);
		CHECK_EQ(roundtrip(&msg), 1 + 1 + 33);
		make_inv(&msg, types[t], 128);
		CHECK_EQ(roundtrip(&msg), 1 + 2 + 128 * 33);
	}
	/* hs_inv_item reads items in place. */
	make_inv(&msg, HS_MSG_INV, 3);
	size_t len;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), 0);
	CHECK_EQ(hs_msg_decode(&m, frame, len), 0);
	for (size_t i = 0; i < 3; i++) {
		uint8_t kind;
		const uint8_t *id;
		hs_inv_item(&m.u.inv, i, &kind, &id);
		CHECK_EQ(kind, i % 2 ? HS_INV_STATE : HS_INV_RUMOR);
		CHECK(id == frame + 2 + i * 33 + 1);
	}
}

static void test_inv_max_fits(void)
{
	static const uint8_t types[] = { HS_MSG_INV, HS_MSG_GETDATA, HS_MSG_NOTFOUND };
	struct hs_msg msg;
	for (size_t t = 0; t < 3; t++) {
		make_inv(&msg, types[t], HS_INV_MAX);
		size_t len = roundtrip(&msg);
		CHECK_EQ(len, 1 + hs_varint_len(HS_INV_MAX) + HS_INV_MAX * HS_INV_ITEM_LEN);
		CHECK(len <= HS_FRAME_MAX);
	}
}

static void test_rumor_roundtrip(void)
{
	struct hs_msg msg;
	make_rumor(&msg, 0);
	roundtrip(&msg);
	make_rumor(&msg, 100);
	size_t len = roundtrip(&msg);
	CHECK_EQ(hs_msg_decode(&m, frame, len), 0);
	CHECK(m.u.rumor.enc == frame + 1);
	CHECK_EQ(m.u.rumor.enclen, len - 1);
	CHECK_EQ(m.u.rumor.enclen, hs_rumor_encoded_len(&msg.u.rumor.rumor));
}

static void test_rumor_max_fits(void)
{
	struct hs_msg msg;
	make_rumor(&msg, HS_RUMOR_PAYLOAD_MAX);
	static char topic[HS_TOPIC_MAX];
	memset(topic, 'z', sizeof(topic));
	msg.u.rumor.rumor.topic = (const uint8_t *)topic;
	msg.u.rumor.rumor.topic_len = HS_TOPIC_MAX;
	size_t len = roundtrip(&msg);
	CHECK_EQ(len, 1 + 32 + 1 + HS_TOPIC_MAX + 8 + 3 + HS_RUMOR_PAYLOAD_MAX + 64);
	CHECK(len <= HS_FRAME_MAX);
	/* One byte over the payload limit is refused both ways. */
	msg.u.rumor.rumor.payload_len = HS_RUMOR_PAYLOAD_MAX + 1;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	msg.u.rumor.rumor.payload_len = HS_RUMOR_PAYLOAD_MAX;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), 0);
	/* Patch the payload length varint to 60001 and add a byte. */
	size_t at = 1 + 32 + 1 + HS_TOPIC_MAX + 8;
	CHECK_EQ(frame[at], 0xe0);
	frame[at] = 0xe1;
	memcpy(frame2, frame, len);
	frame2[len] = 0;
	CHECK_EQ(hs_msg_decode(&m, frame2, len + 1), HS_ERR_TOO_LARGE);
}

static void test_state_roundtrip(void)
{
	struct hs_msg msg;
	make_state(&msg, 1, 10);
	roundtrip(&msg);
	make_state(&msg, 3, 0);
	roundtrip(&msg);
	make_state(&msg, HS_STATE_BATCH_MAX, 100);
	size_t len = roundtrip(&msg);
	CHECK_EQ(hs_msg_decode(&m, frame, len), 0);
	size_t at = 2;
	for (size_t i = 0; i < HS_STATE_BATCH_MAX; i++) {
		CHECK(m.u.state.enc[i] == frame + at);
		CHECK_EQ(m.u.state.enclen[i], hs_entry_encoded_len(&msg.u.state.entries[i]));
		at += m.u.state.enclen[i];
	}
	CHECK_EQ(at, len);
	/* The largest state frame that fits: as many maximal entries as HS_FRAME_MAX holds. */
	size_t one = hs_entry_encoded_len(&(struct hs_entry){ .key_len = 6, .value_len = 4096 });
	size_t fit = (HS_FRAME_MAX - 2) / one;
	make_state(&msg, fit, HS_STATE_VALUE_MAX);
	for (size_t i = 0; i < fit; i++) {
		msg.u.state.entries[i].kind = HS_ENTRY_VALUE;
		msg.u.state.entries[i].value = blob;
		msg.u.state.entries[i].value_len = HS_STATE_VALUE_MAX;
	}
	CHECK(roundtrip(&msg) <= HS_FRAME_MAX);
}

/* equivocation (§6.12): two entries for one slot, ascending; the decoder checks the pairing. */
static void test_equivocation(void)
{
	struct hs_msg msg;
	make_state(&msg, 2, 10);
	struct hs_entry a = msg.u.state.entries[0], b = a;
	b.value_len = 9; /* another value for one (origin, key, generation, version) */
	struct hs_msg q = { .type = HS_MSG_EQUIVOCATION };
	q.u.equivocation.a = a;
	q.u.equivocation.b = b;
	size_t len;
	/* b is a's prefix-shorter value: it sorts first, so (a, b) is refused and (b, a) taken. */
	CHECK_EQ(hs_msg_encode(&q, frame, sizeof(frame), &len), HS_ERR_INVALID);
	q.u.equivocation.a = b;
	q.u.equivocation.b = a;
	REQUIRE(hs_msg_encode(&q, frame, sizeof(frame), &len) == 0);
	CHECK_EQ(hs_msg_decode(&m, frame, len), 0);
	CHECK_EQ(m.type, HS_MSG_EQUIVOCATION);
	CHECK(m.u.equivocation.enc_a == frame + 1);
	CHECK_EQ(m.u.equivocation.len_a, hs_entry_encoded_len(&b));
	CHECK(m.u.equivocation.enc_b == frame + 1 + m.u.equivocation.len_a);
	CHECK_EQ(1 + m.u.equivocation.len_a + m.u.equivocation.len_b, len);
	CHECK_EQ(m.u.equivocation.a.value_len, 9);
	size_t len2;
	CHECK_EQ(hs_msg_encode(&m, frame2, sizeof(frame2), &len2), 0);
	CHECK_EQ(len2, len);
	CHECK_MEM(frame2, frame, len);
	for (size_t cut = 1; cut < len; cut++)
		CHECK_EQ(hs_msg_decode(&m2, frame, cut), HS_ERR_TRUNCATED);
	/* The two entries swapped on the wire: not canonical. */
	size_t la = m.u.equivocation.len_a, lb = m.u.equivocation.len_b;
	frame2[0] = HS_MSG_EQUIVOCATION;
	memcpy(frame2 + 1, frame + 1 + la, lb);
	memcpy(frame2 + 1 + lb, frame + 1, la);
	CHECK_EQ(hs_msg_decode(&m2, frame2, len), HS_ERR_NONCANONICAL);
	/* One entry twice proves nothing. */
	memcpy(frame2 + 1, frame + 1, la);
	memcpy(frame2 + 1 + la, frame + 1, la);
	CHECK_EQ(hs_msg_decode(&m2, frame2, 1 + 2 * la), HS_ERR_NONCANONICAL);
	/* Another version, key or origin: not a pair. */
	struct hs_entry c = a;
	c.version++;
	size_t lc;
	REQUIRE(hs_entry_encode(&c, frame2 + 1 + la, sizeof(frame2) - 1 - la, &lc) == 0);
	memcpy(frame2 + 1, frame + 1, la);
	CHECK_EQ(hs_msg_decode(&m2, frame2, 1 + la + lc), HS_ERR_BAD_VALUE);
	c = a;
	c.origin[0] ^= 1;
	REQUIRE(hs_entry_encode(&c, frame2 + 1 + la, sizeof(frame2) - 1 - la, &lc) == 0);
	CHECK_EQ(hs_msg_decode(&m2, frame2, 1 + la + lc), HS_ERR_BAD_VALUE);
	/* Trailing bytes after the pair. */
	frame[len] = 0;
	CHECK_EQ(hs_msg_decode(&m2, frame, len + 1), HS_ERR_TRAILING);
}

static void test_state_too_big(void)
{
	/* 64 maximal entries cannot fit one frame: the encoder refuses, whatever the buffer. */
	struct hs_msg msg;
	make_state(&msg, HS_STATE_BATCH_MAX, HS_STATE_VALUE_MAX);
	static uint8_t huge[HS_STATE_BATCH_MAX * (HS_STATE_VALUE_MAX + 200)];
	size_t len = 4242;
	CHECK_EQ(hs_msg_encode(&msg, huge, sizeof(huge), &len), HS_ERR_INVALID);
	CHECK_EQ(hs_msg_encode(&msg, huge, HS_FRAME_MAX, &len), HS_ERR_INVALID);
	CHECK_EQ(hs_msg_encode(&msg, huge, 1000, &len), HS_ERR_BUFFER);
	CHECK_EQ(len, 4242);
	/* The same bytes as a frame are refused for size before anything else. */
	struct hs_writer w;
	hs_writer_init(&w, huge, sizeof(huge));
	hs_write_u8(&w, HS_MSG_STATE);
	hs_write_varint(&w, HS_STATE_BATCH_MAX);
	for (size_t i = 0; i < HS_STATE_BATCH_MAX; i++)
		hs_entry_write(&w, &msg.u.state.entries[i]);
	CHECK_EQ(hs_writer_end(&w), 0);
	CHECK(w.len > HS_FRAME_MAX);
	CHECK_EQ(hs_msg_decode(&m, huge, w.len), HS_ERR_TOO_LARGE);
	CHECK_EQ(m.type, HS_MSG_STATE);
	CHECK_EQ(hs_msg_decode(&m, huge, HS_FRAME_MAX + 1), HS_ERR_TOO_LARGE);
	CHECK_EQ(hs_msg_decode(&m, huge, HS_FRAME_MAX), HS_ERR_TRUNCATED);
}

static void test_disconnect_roundtrip(void)
{
	struct hs_msg msg;
	make_disconnect(&msg, HS_REASON_BANNED, "you are banned until tomorrow");
	roundtrip(&msg);
	make_disconnect(&msg, HS_REASON_SHUTDOWN, "");
	CHECK_EQ(roundtrip(&msg), 3);
	/* Any reason code decodes; unknown ones read as "other". */
	for (unsigned r = 0; r < 256; r++) {
		make_disconnect(&msg, (uint8_t)r, " ~");
		CHECK_EQ(roundtrip(&msg), 5);
	}
	char text[HS_REASON_MAX + 1];
	memset(text, ' ', HS_REASON_MAX);
	text[HS_REASON_MAX] = '\0';
	make_disconnect(&msg, 1, text);
	roundtrip(&msg);
	msg.u.disconnect.text.p = NULL;
	msg.u.disconnect.text.len = 0;
	roundtrip(&msg);
}

/* ---- malformed frames --------------------------------------------------------------------- */

static int decode_hex(const char *hex)
{
	int n = hs_test_unhex(frame, sizeof(frame), hex);
	REQUIRE(n >= 0);
	int err = hs_msg_decode(&m, frame, (size_t)n);
	if (err) {
		/* A failed decode leaves the body zero. */
		static const struct hs_msg zero;
		CHECK(memcmp(&m.u, &zero.u, sizeof(zero.u)) == 0);
	}
	return err;
}

static void test_unknown_and_empty(void)
{
	CHECK_EQ(decode_hex(""), HS_ERR_TRUNCATED);
	CHECK_EQ(m.type, 0);
	CHECK_EQ(decode_hex("00"), HS_ERR_UNKNOWN_TYPE);
	CHECK_EQ(decode_hex("10"), HS_ERR_UNKNOWN_TYPE);
	CHECK_EQ(decode_hex("100102"), HS_ERR_UNKNOWN_TYPE);
	CHECK_EQ(m.type, 16);
	CHECK_EQ(decode_hex("ff"), HS_ERR_UNKNOWN_TYPE);
	CHECK_EQ(decode_hex("80"), HS_ERR_UNKNOWN_TYPE);
	for (unsigned t = HS_MSG_EQUIVOCATION + 1; t < 256; t++) {
		frame[0] = (uint8_t)t;
		CHECK_EQ(hs_msg_decode(&m, frame, 1), HS_ERR_UNKNOWN_TYPE);
	}
	/* A NULL frame of length 0 is an empty frame. */
	CHECK_EQ(hs_msg_decode(&m, NULL, 0), HS_ERR_TRUNCATED);
	/* The encoder refuses unknown types. */
	struct hs_msg msg;
	memset(&msg, 0, sizeof(msg));
	size_t len;
	msg.type = 0;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	msg.type = HS_MSG_PUSH + 1;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
}

static void test_ping_malformed(void)
{
	CHECK_EQ(decode_hex("020102030405060708"), 0);
	CHECK_EQ(decode_hex("0201020304050607"), HS_ERR_TRUNCATED);
	CHECK_EQ(decode_hex("02010203040506070809"), HS_ERR_TRAILING);
	CHECK_EQ(decode_hex("030102030405060708"), 0);
	CHECK_EQ(decode_hex("03"), HS_ERR_TRUNCATED);
	CHECK_EQ(decode_hex("0301020304050607080900"), HS_ERR_TRAILING);
}

#define ID32 "0000000000000000000000000000000000000000000000000000000000000000"

static void test_inv_malformed(void)
{
	static const char *const types[] = { "04", "05", "06" };
	char hex[600];
	for (size_t t = 0; t < 3; t++) {
		const char *ty = types[t];
		snprintf(hex, sizeof(hex),
		         "%s01"
		         "01" ID32,
		         ty);
		CHECK_EQ(decode_hex(hex), 0);
		snprintf(hex, sizeof(hex),
		         "%s02"
		         "01" ID32 "02" ID32,
		         ty);
		CHECK_EQ(decode_hex(hex), 0);
		snprintf(hex, sizeof(hex), "%s00", ty); /* count 0 */
		CHECK_EQ(decode_hex(hex), HS_ERR_BAD_VALUE);
		snprintf(hex, sizeof(hex), "%s", ty); /* no count */
		CHECK_EQ(decode_hex(hex), HS_ERR_TRUNCATED);
		snprintf(hex, sizeof(hex),
		         "%se907"
		         "01" ID32,
		         ty); /* count 1001 */
		CHECK_EQ(decode_hex(hex), HS_ERR_TOO_LARGE);
		snprintf(hex, sizeof(hex), "%sffffffffffffffffff01", ty); /* count 2^64-1 */
		CHECK_EQ(decode_hex(hex), HS_ERR_TOO_LARGE);
		snprintf(hex, sizeof(hex),
		         "%s8100"
		         "01" ID32,
		         ty); /* non-minimal count */
		CHECK_EQ(decode_hex(hex), HS_ERR_NONCANONICAL);
		snprintf(hex, sizeof(hex),
		         "%s01"
		         "00" ID32,
		         ty); /* kind 0 */
		CHECK_EQ(decode_hex(hex), HS_ERR_UNKNOWN_TYPE);
		snprintf(hex, sizeof(hex),
		         "%s01"
		         "03" ID32,
		         ty); /* kind 3 */
		CHECK_EQ(decode_hex(hex), HS_ERR_UNKNOWN_TYPE);
		snprintf(hex, sizeof(hex),
		         "%s02"
		         "01" ID32 "ff" ID32,
		         ty); /* second kind bad */
		CHECK_EQ(decode_hex(hex), HS_ERR_UNKNOWN_TYPE);
		snprintf(hex, sizeof(hex),
		         "%s02"
		         "01" ID32,
		         ty); /* one item short */
		CHECK_EQ(decode_hex(hex), HS_ERR_TRUNCATED);
		snprintf(hex, sizeof(hex),
		         "%s01"
		         "01" ID32 "00",
		         ty);
		CHECK_EQ(decode_hex(hex), HS_ERR_TRAILING);
	}
	/* Encoder: count 0, over the limit, NULL items, an unknown kind. */
	struct hs_msg msg;
	size_t len;
	make_inv(&msg, HS_MSG_INV, 2);
	msg.u.inv.count = 0;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_inv(&msg, HS_MSG_INV, HS_INV_MAX);
	msg.u.inv.count = HS_INV_MAX + 1;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_inv(&msg, HS_MSG_GETDATA, 2);
	msg.u.inv.items = NULL;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_inv(&msg, HS_MSG_NOTFOUND, 2);
	blob[HS_INV_ITEM_LEN] = 9;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
}

/* A hello with the given your_addr, flags and topic hex (count included) after a fixed head. */
static int hello_hex(const char *addr_hex, const char *flags_hex, const char *topics_hex)
{
	struct hs_msg msg;
	make_hello(&msg, 0);
	uint8_t head[400];
	size_t hlen;
	msg.u.hello.your_addr.family = 0;
	memset(&msg.u.hello.your_addr, 0, sizeof(msg.u.hello.your_addr));
	REQUIRE(hs_msg_encode(&msg, head, sizeof(head), &hlen) == 0);
	hlen -= 3; /* drop the unknown-address byte, flags and ntopics */
	char hex[3000];
	hs_test_hex(hex, head, hlen);
	snprintf(hex + 2 * hlen, sizeof(hex) - 2 * hlen, "%s%s%s", addr_hex, flags_hex, topics_hex);
	return decode_hex(hex);
}

static void test_hello_malformed(void)
{
	CHECK_EQ(hello_hex("00", "00", "00"), 0);
	CHECK_EQ(hello_hex("04c6336401409c", "00", "00"), 0);
	/* your_addr: bad family, port 0, mapped, unknown followed by address bytes. */
	CHECK_EQ(hello_hex("05c6336401409c", "00", "00"), HS_ERR_BAD_VALUE);
	CHECK_EQ(hello_hex("04c63364010000", "00", "00"), HS_ERR_BAD_VALUE);
	CHECK_EQ(hello_hex("0600000000000000000000ffffc63364010100", "00", "00"),
	         HS_ERR_NONCANONICAL);
	CHECK_EQ(hello_hex("00c633640140", "00", "00"), HS_ERR_BAD_VALUE);
	/* Flags: unknown bits; all-topics with a topic list. */
	CHECK_EQ(hello_hex("00", "01", "00"), 0);
	CHECK_EQ(hello_hex("00", "02", "00"), HS_ERR_BAD_VALUE);
	CHECK_EQ(hello_hex("00", "80", "00"), HS_ERR_BAD_VALUE);
	CHECK_EQ(hello_hex("00", "03", "00"), HS_ERR_BAD_VALUE);
	CHECK_EQ(hello_hex("00", "01",
	                   "0101"
	                   "61"),
	         HS_ERR_BAD_VALUE);
	/* Topics: order, duplicates, prefixes, names, counts. */
	CHECK_EQ(hello_hex("00", "00",
	                   "02"
	                   "0161"
	                   "0162"),
	         0); /* a, b */
	CHECK_EQ(hello_hex("00", "00",
	                   "02"
	                   "0162"
	                   "0161"),
	         HS_ERR_NONCANONICAL); /* b, a */
	CHECK_EQ(hello_hex("00", "00",
	                   "02"
	                   "0161"
	                   "0161"),
	         HS_ERR_NONCANONICAL); /* a, a */
	CHECK_EQ(hello_hex("00", "00",
	                   "02"
	                   "0161"
	                   "026161"),
	         0); /* a, aa */
	CHECK_EQ(hello_hex("00", "00",
	                   "02"
	                   "026161"
	                   "0161"),
	         HS_ERR_NONCANONICAL); /* aa, a */
	CHECK_EQ(hello_hex("00", "00",
	                   "02"
	                   "026162"
	                   "0162"),
	         0); /* ab, b */
	CHECK_EQ(hello_hex("00", "00",
	                   "02"
	                   "0162"
	                   "026162"),
	         HS_ERR_NONCANONICAL); /* b, ab */
	CHECK_EQ(hello_hex("00", "00",
	                   "03"
	                   "0161"
	                   "0162"
	                   "0162"),
	         HS_ERR_NONCANONICAL);
	CHECK_EQ(hello_hex("00", "00",
	                   "01"
	                   "00"),
	         HS_ERR_BAD_VALUE); /* empty topic */
	CHECK_EQ(hello_hex("00", "00",
	                   "01"
	                   "0120"),
	         HS_ERR_BAD_VALUE); /* space */
	CHECK_EQ(hello_hex("00", "00",
	                   "02"
	                   "0161"),
	         HS_ERR_TRUNCATED);
	CHECK_EQ(hello_hex("00", "00", "41"), HS_ERR_TOO_LARGE); /* 65 topics */
	CHECK_EQ(hello_hex("00", "00", "8000"), HS_ERR_NONCANONICAL);
	CHECK_EQ(hello_hex("00", "00",
	                   "00"
	                   "00"),
	         HS_ERR_TRAILING);
	char hex[200] = "01"
	                "41";
	for (int i = 0; i < 65; i++)
		strcat(hex, "61");
	CHECK_EQ(hello_hex("00", "00", hex), HS_ERR_TOO_LARGE); /* a 65-byte topic */
	/* Head fields: network name, record. */
	CHECK_EQ(decode_hex("01"
	                    "0100"
	                    "00"),
	         HS_ERR_BAD_VALUE); /* empty network */
	CHECK_EQ(decode_hex("01"
	                    "0100"
	                    "026d20"),
	         HS_ERR_BAD_VALUE); /* "m " */
	CHECK_EQ(decode_hex("01"
	                    "0100"
	                    "21"),
	         HS_ERR_TOO_LARGE); /* 33-byte network */
	CHECK_EQ(decode_hex("01"
	                    "0100"
	                    "046d61696e" ID32),
	         HS_ERR_TRUNCATED);
	/* A record with a bad address inside the hello. */
	struct hs_msg msg;
	make_hello(&msg, 0);
	size_t len;
	REQUIRE(hs_msg_encode(&msg, frame2, sizeof(frame2), &len) == 0);
	size_t addr_at = 1 + 2 + 5 + 64 + 1; /* family byte of the record's first address */
	CHECK_EQ(frame2[addr_at], 4);
	frame2[addr_at] = 5;
	CHECK_EQ(hs_msg_decode(&m, frame2, len), HS_ERR_BAD_VALUE);
}

static void test_hello_encoder_refuses(void)
{
	struct hs_msg msg;
	size_t len;
	make_hello(&msg, 2);
	msg.u.hello.flags = HS_HELLO_ALL_TOPICS;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 0);
	msg.u.hello.flags = 2;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 3);
	msg.u.hello.topics[2] = name("a"); /* out of order */
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 2);
	msg.u.hello.topics[1] = name("a"); /* duplicate */
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 1);
	msg.u.hello.topics[0] = name("");
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 1);
	msg.u.hello.topics[0].p = NULL;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 0);
	msg.u.hello.ntopics = HS_HELLO_TOPICS_MAX + 1;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 0);
	msg.u.hello.network = name("two words");
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 0);
	msg.u.hello.network.p = NULL;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 0);
	msg.u.hello.your_addr.port = 0;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 0);
	msg.u.hello.your_addr.family = 0; /* unknown, but an address left behind */
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_hello(&msg, 0);
	msg.u.hello.record.naddrs = HS_RECORD_ADDRS_MAX + 1;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
}

static void test_rumor_malformed(void)
{
	struct hs_msg msg;
	size_t len;
	make_rumor(&msg, 5);
	REQUIRE(hs_msg_encode(&msg, frame2, sizeof(frame2), &len) == 0);
	/* Topic length byte at 33: 0 (empty) and over the limit; a bad topic byte. */
	memcpy(frame, frame2, len);
	frame[1 + 32] = 0;
	CHECK(hs_msg_decode(&m, frame, len) != 0);
	memcpy(frame, frame2, len);
	frame[1 + 32 + 1] = ' ';
	CHECK_EQ(hs_msg_decode(&m, frame, len), HS_ERR_BAD_VALUE);
	memcpy(frame, frame2, len);
	frame[1 + 32] = HS_TOPIC_MAX + 1;
	CHECK_EQ(hs_msg_decode(&m, frame, len), HS_ERR_TOO_LARGE);
	memcpy(frame, frame2, len);
	frame[len] = 0;
	CHECK_EQ(hs_msg_decode(&m, frame, len + 1), HS_ERR_TRAILING);
	make_rumor(&msg, 5);
	msg.u.rumor.rumor.topic_len = 0;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
}

static void test_state_malformed(void)
{
	struct hs_msg msg;
	size_t len;
	CHECK_EQ(decode_hex("0800"), HS_ERR_BAD_VALUE);
	CHECK_EQ(decode_hex("08"), HS_ERR_TRUNCATED);
	CHECK_EQ(decode_hex("0841"), HS_ERR_TOO_LARGE);
	CHECK_EQ(decode_hex("088000"), HS_ERR_NONCANONICAL);
	/* Count two with one entry; one entry with a bad kind. */
	make_state(&msg, 1, 4);
	REQUIRE(hs_msg_encode(&msg, frame2, sizeof(frame2), &len) == 0);
	memcpy(frame, frame2, len);
	frame[1] = 2;
	CHECK_EQ(hs_msg_decode(&m, frame, len), HS_ERR_TRUNCATED);
	memcpy(frame, frame2, len);
	size_t kind_at = 2 + 32 + 7 + 16;
	CHECK_EQ(frame[kind_at], 0);
	frame[kind_at] = 2;
	CHECK_EQ(hs_msg_decode(&m, frame, len), HS_ERR_BAD_VALUE);
	memcpy(frame, frame2, len);
	frame[len] = 1;
	CHECK_EQ(hs_msg_decode(&m, frame, len + 1), HS_ERR_TRAILING);
	/* Encoder: count 0 and over the batch limit; an invalid entry. */
	make_state(&msg, 1, 4);
	msg.u.state.count = 0;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	msg.u.state.count = HS_STATE_BATCH_MAX + 1;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_state(&msg, 2, 4);
	msg.u.state.entries[1].kind = 7;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
}

static void test_disconnect_malformed(void)
{
	CHECK_EQ(decode_hex("090000"), 0);
	CHECK_EQ(decode_hex("09ff0220"
	                    "7e"),
	         0);
	CHECK_EQ(decode_hex("09"), HS_ERR_TRUNCATED);
	CHECK_EQ(decode_hex("0901"), HS_ERR_TRUNCATED);
	CHECK_EQ(decode_hex("0901026869"), 0);
	CHECK_EQ(decode_hex("090102681f"), HS_ERR_BAD_VALUE);
	CHECK_EQ(decode_hex("090102687f"), HS_ERR_BAD_VALUE);
	CHECK_EQ(decode_hex("0901026880"), HS_ERR_BAD_VALUE);
	CHECK_EQ(decode_hex("090101"
	                    "0a"),
	         HS_ERR_BAD_VALUE); /* newline */
	CHECK_EQ(decode_hex("090101"
	                    "00"),
	         HS_ERR_BAD_VALUE);
	CHECK_EQ(decode_hex("09018000"), HS_ERR_NONCANONICAL);
	CHECK_EQ(decode_hex("0901026869"
	                    "00"),
	         HS_ERR_TRAILING);
	char hex[400] = "0901"
	                "8101";
	for (int i = 0; i < HS_REASON_MAX + 1; i++)
		strcat(hex, "61");
	CHECK_EQ(decode_hex(hex), HS_ERR_TOO_LARGE);
	/* Encoder. */
	struct hs_msg msg;
	size_t len;
	make_disconnect(&msg, 1, "tab\there");
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	char text[HS_REASON_MAX + 2];
	memset(text, 'x', HS_REASON_MAX + 1);
	text[HS_REASON_MAX + 1] = '\0';
	make_disconnect(&msg, 1, text);
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	make_disconnect(&msg, 1, "");
	msg.u.disconnect.text.len = 3; /* NULL with a length */
	msg.u.disconnect.text.p = NULL;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
}

static void test_names(void)
{
	CHECK(strcmp(hs_msg_type_name(HS_MSG_HELLO), "hello") == 0);
	CHECK(strcmp(hs_msg_type_name(HS_MSG_NOTFOUND), "notfound") == 0);
	CHECK(strcmp(hs_msg_type_name(HS_MSG_DISCONNECT), "disconnect") == 0);
	CHECK(strcmp(hs_msg_type_name(0), "unknown") == 0);
	CHECK(strcmp(hs_msg_type_name(HS_MSG_PULL), "pull") == 0);
	CHECK(strcmp(hs_msg_type_name(HS_MSG_SYNC), "sync") == 0);
	CHECK(strcmp(hs_msg_type_name(HS_MSG_PUSH), "push") == 0);
	CHECK(strcmp(hs_msg_type_name(HS_MSG_EQUIVOCATION), "equivocation") == 0);
	CHECK(strcmp(hs_msg_type_name(16), "unknown") == 0);
	CHECK(strcmp(hs_msg_type_name(255), "unknown") == 0);
	CHECK(strcmp(hs_reason_name(HS_REASON_PROTOCOL), "protocol") == 0);
	CHECK(strcmp(hs_reason_name(HS_REASON_SELF), "self") == 0);
	CHECK(strcmp(hs_reason_name(12), "other") == 0);
	CHECK(strcmp(hs_reason_name(255), "other") == 0);
	for (unsigned t = 1; t <= HS_MSG_PUSH; t++)
		CHECK(strcmp(hs_msg_type_name((uint8_t)t), "unknown") != 0);
}

/* ---- getaddr, addr, pull ---------------------------------------------------------------- */

static uint8_t pull_ids[HS_PULL_IDS_MAX * 8];

static void make_pull(struct hs_msg *msg, size_t count)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = HS_MSG_PULL;
	fill(msg->u.pull.salt, 16, 9);
	msg->u.pull.since_ms = 1767225600000u;
	for (size_t i = 0; i < count; i++) /* ascending: 3i + 1 */
		for (unsigned b = 0; b < 8; b++)
			pull_ids[i * 8 + b] = (uint8_t)((3 * i + 1) >> (8 * b));
	msg->u.pull.count = count;
	msg->u.pull.ids = pull_ids;
}

static void test_addr_pull_roundtrip(void)
{
	struct hs_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = HS_MSG_GETADDR;
	CHECK_EQ(roundtrip(&msg), 1);
	msg.type = HS_MSG_ADDR;
	for (size_t n = 1; n <= HS_ADDR_MAX; n += HS_ADDR_MAX - 1) {
		msg.u.addr.count = n;
		for (size_t i = 0; i < n; i++) {
			msg.u.addr.records[i] = sample_record();
			msg.u.addr.records[i].seq = i;
		}
		roundtrip(&msg);
	}
	make_pull(&msg, 0);
	CHECK_EQ(roundtrip(&msg), 1 + 16 + 8 + 1);
	make_pull(&msg, 3);
	CHECK_EQ(roundtrip(&msg), 1 + 16 + 8 + 1 + 24);
	make_pull(&msg, HS_PULL_IDS_MAX);
	roundtrip(&msg);
	size_t len;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), 0);
	CHECK_EQ(hs_msg_decode(&m, frame, len), 0);
	CHECK_EQ(hs_pull_id(&m.u.pull, 2), 7);
	CHECK(hs_pull_has(&m.u.pull, 1));
	CHECK(hs_pull_has(&m.u.pull, 3 * (HS_PULL_IDS_MAX - 1) + 1));
	CHECK(!hs_pull_has(&m.u.pull, 2));
	CHECK(!hs_pull_has(&m.u.pull, 0));
	CHECK(!hs_pull_has(&m.u.pull, UINT64_MAX));
}

static void test_addr_pull_malformed(void)
{
	/* getaddr has no body. */
	CHECK_EQ(decode_hex("0a00"), HS_ERR_TRAILING);
	/* addr: at least one record, at most HS_ADDR_MAX. */
	CHECK_EQ(decode_hex("0b00"), HS_ERR_BAD_VALUE);
	CHECK_EQ(decode_hex("0b21"), HS_ERR_TOO_LARGE); /* 33 */
	struct hs_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = HS_MSG_ADDR;
	size_t len;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	msg.u.addr.count = HS_ADDR_MAX + 1;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	/* pull: ids strictly ascending, at most HS_PULL_IDS_MAX. */
	make_pull(&msg, 3);
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), 0);
	memcpy(frame2, frame, len);
	frame[1 + 16 + 8 + 1 + 8] = 1; /* second id equals the first */
	CHECK_EQ(hs_msg_decode(&m, frame, len), HS_ERR_NONCANONICAL);
	frame[1 + 16 + 8 + 1 + 8] = 0; /* second id below the first */
	CHECK_EQ(hs_msg_decode(&m, frame, len), HS_ERR_NONCANONICAL);
	CHECK_EQ(hs_msg_decode(&m, frame2, len), 0);
	frame2[1 + 16 + 8] = 4; /* count says 4, only 3 ids follow */
	CHECK_EQ(hs_msg_decode(&m, frame2, len), HS_ERR_TRUNCATED);
	frame2[1 + 16 + 8] = 0x81; /* count 0x1001 > HS_PULL_IDS_MAX */
	frame2[1 + 16 + 8 + 1] = 0x20;
	CHECK_EQ(hs_msg_decode(&m, frame2, len), HS_ERR_TOO_LARGE);
	make_pull(&msg, 3);
	pull_ids[8] = 1; /* the encoder refuses an unsorted digest too */
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	msg.u.pull.count = HS_PULL_IDS_MAX + 1;
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
}

/* ---- sync ---------------------------------------------------------------------------- */

static uint8_t sync_items[HS_SYNC_ORIGINS_MAX * HS_SYNC_ITEM_LEN];

static void make_sync(struct hs_msg *msg, size_t count)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = HS_MSG_SYNC;
	for (size_t i = 0; i < count; i++) { /* origins ascending: first two bytes = i */
		uint8_t *it = sync_items + i * HS_SYNC_ITEM_LEN;
		memset(it, 0x11, HS_KEY_LEN);
		memset(it + HS_KEY_LEN, 0, 16);
		it[0] = (uint8_t)(i >> 8);
		it[1] = (uint8_t)i;
		it[32] = (uint8_t)(i + 1); /* generation */
		it[40] = 7;                /* version */
	}
	msg->u.sync.count = count;
	msg->u.sync.items = sync_items;
}

static void test_sync(void)
{
	struct hs_msg msg;
	make_sync(&msg, 0);
	CHECK_EQ(roundtrip(&msg), 2);
	make_sync(&msg, 3);
	CHECK_EQ(roundtrip(&msg), 1 + 1 + 3 * HS_SYNC_ITEM_LEN);
	make_sync(&msg, HS_SYNC_ORIGINS_MAX);
	size_t len = roundtrip(&msg);
	CHECK(len <= HS_FRAME_MAX);
	CHECK_EQ(hs_msg_decode(&m, frame, len), 0);
	const uint8_t *o;
	uint64_t g, v;
	hs_sync_item(&m.u.sync, 5, &o, &g, &v);
	CHECK(o[1] == 5 && g == 6 && v == 7);
	uint8_t want[32];
	memcpy(want, sync_items + 700 * HS_SYNC_ITEM_LEN, 32);
	CHECK(hs_sync_find(&m.u.sync, want, &g, &v) && g == (uint64_t)(700 + 1) % 256);
	want[31] ^= 1;
	CHECK(!hs_sync_find(&m.u.sync, want, &g, &v));
	/* Origins must be strictly ascending; counts bounded. */
	make_sync(&msg, 3);
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), 0);
	memcpy(frame + 2 + HS_SYNC_ITEM_LEN, frame + 2, HS_SYNC_ITEM_LEN); /* a repeated origin */
	CHECK_EQ(hs_msg_decode(&m, frame, len), HS_ERR_NONCANONICAL);
	sync_items[HS_SYNC_ITEM_LEN + 1] = 0; /* second origin below... equal to the first */
	CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	CHECK_EQ(decode_hex("0d8108"), HS_ERR_TOO_LARGE); /* 1025 origins */
	CHECK_EQ(decode_hex("0d01"), HS_ERR_TRUNCATED);
}

/* ---- push ---------------------------------------------------------------------------- */

static void test_push(void)
{
	/* Each mode round-trips as exactly two bytes (every truncation and a trailing byte are
	 * checked by roundtrip). */
	static const uint8_t modes[] = { HS_PUSH_PRUNE, HS_PUSH_GRAFT, HS_PUSH_DECLINE };
	for (size_t i = 0; i < sizeof(modes); i++) {
		struct hs_msg msg;
		memset(&msg, 0, sizeof(msg));
		msg.type = HS_MSG_PUSH;
		msg.u.push.mode = modes[i];
		CHECK_EQ(roundtrip(&msg), 2);
		CHECK_EQ(frame[1], modes[i]);
	}
	CHECK_EQ(decode_hex("0e01"), 0);
	CHECK_EQ(m.type, HS_MSG_PUSH);
	CHECK_EQ(m.u.push.mode, HS_PUSH_GRAFT);
	CHECK_EQ(decode_hex("0e00"), 0);
	CHECK_EQ(m.u.push.mode, HS_PUSH_PRUNE);
	CHECK_EQ(decode_hex("0e02"), 0);
	CHECK_EQ(m.u.push.mode, HS_PUSH_DECLINE);
	/* Malformed: no mode, a mode this version does not know, bytes after the mode. */
	CHECK_EQ(decode_hex("0e"), HS_ERR_TRUNCATED);
	CHECK_EQ(m.type, HS_MSG_PUSH);
	for (unsigned v = 3; v < 256; v++) {
		frame[0] = HS_MSG_PUSH;
		frame[1] = (uint8_t)v;
		CHECK_EQ(hs_msg_decode(&m, frame, 2), HS_ERR_BAD_VALUE);
		CHECK_EQ(m.u.push.mode, 0); /* the body is zeroed on error */
	}
	CHECK_EQ(decode_hex("0e0100"), HS_ERR_TRAILING);
	CHECK_EQ(decode_hex("0e0301"), HS_ERR_BAD_VALUE); /* the bad value is seen first */
	/* The encoder refuses an unknown mode. */
	struct hs_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = HS_MSG_PUSH;
	size_t len;
	for (unsigned v = 3; v < 256; v++) {
		msg.u.push.mode = (uint8_t)v;
		CHECK_EQ(hs_msg_encode(&msg, frame, sizeof(frame), &len), HS_ERR_INVALID);
	}
	/* A one-byte buffer cannot hold the frame. */
	msg.u.push.mode = HS_PUSH_GRAFT;
	CHECK_EQ(hs_msg_encode(&msg, frame, 1, &len), HS_ERR_BUFFER);
}

int main(void)
{
	RUN(test_hello_roundtrip);
	RUN(test_ping_pong_roundtrip);
	RUN(test_inv_roundtrip);
	RUN(test_inv_max_fits);
	RUN(test_rumor_roundtrip);
	RUN(test_rumor_max_fits);
	RUN(test_state_roundtrip);
	RUN(test_state_too_big);
	RUN(test_equivocation);
	RUN(test_disconnect_roundtrip);
	RUN(test_unknown_and_empty);
	RUN(test_ping_malformed);
	RUN(test_inv_malformed);
	RUN(test_hello_malformed);
	RUN(test_hello_encoder_refuses);
	RUN(test_rumor_malformed);
	RUN(test_state_malformed);
	RUN(test_disconnect_malformed);
	RUN(test_addr_pull_roundtrip);
	RUN(test_addr_pull_malformed);
	RUN(test_sync);
	RUN(test_push);
	RUN(test_names);
	return hs_test_done();
}

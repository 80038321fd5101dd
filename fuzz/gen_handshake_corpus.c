/*
 * Writes the seed corpora of fuzz_handshake_initiator, fuzz_handshake_responder and
 * fuzz_transport: valid conversations between the fixture's two sides (handshake_fixture.h),
 * so the fuzzer starts deep, plus one seed per failure branch. Payloads 2 and 3 are encrypted,
 * so a fuzzer cannot reach their checks by mutation alone: each of those seeds is crafted with
 * a raw Noise endpoint holding the fixture's keys, so its tags are valid.
 *
 * Not part of the build (its name does not start with fuzz_). Build and run it by hand after
 * changing the handshake or the fixture, from the repository root:
 *
 *   cmake --build build --target hs_crypto
 *   cc -std=c11 -Iinclude -Ifuzz fuzz/gen_handshake_corpus.c build/crypto/libhs_crypto.a \
 *      -lsodium -lsecp256k1 -o /tmp/gen_handshake_corpus
 *   /tmp/gen_handshake_corpus fuzz/corpus
 */
#include <stdio.h>

#include "crypto/noise.h"
#include "handshake_fixture.h"

#define PROLOGUE "hearsay/noise/1"
#define MAX_IN   4096

struct seed {
	uint8_t b[MAX_IN];
	size_t len;
};

static const char *corpus_dir;

static void fail(const char *what)
{
	fprintf(stderr, "gen_handshake_corpus: %s\n", what);
	exit(1);
}

static void add(struct seed *s, const uint8_t *msg, size_t len)
{
	if (s->len + 2 + len > MAX_IN)
		fail("seed too long");
	s->b[s->len++] = (uint8_t)len;
	s->b[s->len++] = (uint8_t)(len >> 8);
	memcpy(s->b + s->len, msg, len);
	s->len += len;
}

/* A length prefix claiming more bytes than follow, e.g. an oversize message. */
static void add_raw_len(struct seed *s, size_t claimed, uint8_t fill, size_t actual)
{
	s->b[s->len++] = (uint8_t)claimed;
	s->b[s->len++] = (uint8_t)(claimed >> 8);
	memset(s->b + s->len, fill, actual);
	s->len += actual;
}

static void save(const char *target, const char *name, const struct seed *s)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/%s", corpus_dir, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->len, f) != s->len || fclose(f) != 0)
		fail(path);
}

static size_t put_hello(uint8_t *p, uint8_t version, const char *network)
{
	size_t n = strlen(network);
	p[0] = version;
	p[1] = (uint8_t)n;
	memcpy(p + 2, network, n);
	return 2 + n;
}

static size_t put_proof(uint8_t *p, const uint8_t identity[32], const uint8_t sig[64])
{
	memcpy(p, identity, 32);
	memcpy(p + 32, sig, 64);
	return 96;
}

static struct hs_noise *raw_new(bool initiator)
{
	struct hs_noise *n;
	if (hs_noise_new(&n, HS_NOISE_BLAKE2B, initiator, (const uint8_t *)PROLOGUE,
	                 strlen(PROLOGUE), initiator ? hs_fix_init_static : hs_fix_resp_static,
	                 initiator ? hs_fix_init_ephemeral : hs_fix_resp_ephemeral) != 0)
		fail("hs_noise_new");
	return n;
}

/* step || Noise message with payload pl. */
static size_t raw_write(struct hs_noise *n, uint8_t step, uint8_t *out, const uint8_t *pl,
                        size_t pllen)
{
	size_t len;
	out[0] = step;
	if (hs_noise_write(n, out + 1, HS_HANDSHAKE_MSG_MAX - 1, &len, pl, pllen) != 0)
		fail("hs_noise_write");
	return 1 + len;
}

static void raw_read(struct hs_noise *n, const uint8_t *msg, size_t len)
{
	uint8_t pl[HS_HANDSHAKE_MSG_MAX];
	size_t pllen;
	if (hs_noise_read(n, pl, sizeof(pl), &pllen, msg + 1, len - 1) != 0)
		fail("hs_noise_read");
}

/* Message 2 with any payload, answering the fixture initiator's message 1. */
static size_t craft_msg2(const uint8_t *msg1, size_t len1, uint8_t *out, const uint8_t *pl,
                         size_t pllen)
{
	struct hs_noise *n = raw_new(false);
	raw_read(n, msg1, len1);
	size_t len = raw_write(n, 2, out, pl, pllen);
	hs_noise_del(n);
	return len;
}

/* Message 3 with any payload, answering the fixture responder's message 2. */
static size_t craft_msg3(const uint8_t *msg1, size_t len1, const uint8_t *msg2, size_t len2,
                         uint8_t *out, const uint8_t *pl, size_t pllen)
{
	uint8_t tmp[HS_HANDSHAKE_MSG_MAX], hello[64];
	struct hs_noise *n = raw_new(true);
	size_t hlen = put_hello(hello, HS_PROTOCOL_VERSION, HS_FIX_NETWORK);
	if (raw_write(n, 1, tmp, hello, hlen) != len1 || memcmp(tmp, msg1, len1) != 0)
		fail("raw message 1 differs from the fixture's");
	raw_read(n, msg2, len2);
	size_t len = raw_write(n, 3, out, pl, pllen);
	hs_noise_del(n);
	return len;
}

static void transport_msgs(struct hs_transport *t, uint8_t out[][1100], size_t *lens,
                           unsigned count)
{
	static const char *const texts[] = { "ping", "", "a longer message of gossip", "fourth" };
	for (unsigned i = 0; i < count; i++) {
		const char *text = texts[i % 4];
		if (hs_transport_encrypt(t, out[i], sizeof(out[i]), &lens[i], (const uint8_t *)text,
		                         strlen(text)) != 0)
			fail("hs_transport_encrypt");
	}
}

/* A seed of one or two messages. */
static void save1(const char *target, const char *name, const uint8_t *msg, size_t len)
{
	struct seed s = { .len = 0 };
	add(&s, msg, len);
	save(target, name, &s);
}

static void save2(const char *target, const char *name, const uint8_t *m1, size_t len1,
                  const uint8_t *m2, size_t len2)
{
	struct seed s = { .len = 0 };
	add(&s, m1, len1);
	add(&s, m2, len2);
	save(target, name, &s);
}

/* Valid conversations, then one seed per framing and order failure. */
static void gen_initiator(uint8_t m[3][HS_HANDSHAKE_MSG_MAX], const size_t ml[3],
                          struct hs_transport *tr)
{
	const char *target = "handshake_initiator";
	uint8_t t[4][1100], msg[HS_HANDSHAKE_MSG_MAX];
	size_t tl[4];
	struct seed s = { .len = 0 };

	hs_transport_set_nonces(tr, 0, 0);
	transport_msgs(tr, t, tl, 4);
	add(&s, m[1], ml[1]);
	save(target, "valid_handshake", &s);
	for (unsigned i = 0; i < 4; i++)
		add(&s, t[i], tl[i]);
	save(target, "valid_conversation", &s);
	memset(&s, 0, sizeof(s));
	add(&s, m[1], ml[1]);
	add(&s, t[1], tl[1]); /* skips nonce 0 */
	add(&s, t[0], tl[0]);
	save(target, "valid_transport_reordered", &s);

	save1(target, "bad_truncated", m[1], 100);
	memcpy(msg, m[1], ml[1]);
	msg[150] ^= 0x20;
	save1(target, "bad_tampered", msg, ml[1]);
	save1(target, "bad_replay_own_msg1", m[0], ml[0]);
	save1(target, "bad_order_msg3", m[2], ml[2]);
	memcpy(msg, m[1], ml[1]);
	msg[0] = 0;
	save1(target, "bad_step0", msg, ml[1]);
	save1(target, "bad_empty", msg, 0);
	memset(&s, 0, sizeof(s));
	add_raw_len(&s, 300, 2, 300);
	save(target, "bad_oversize", &s);
}

/* Message 2 with each payload failure; encrypted, so each is crafted with valid tags. */
static void gen_initiator_crafted(const struct hs_fix *f, uint8_t m[3][HS_HANDSHAKE_MSG_MAX],
                                  const size_t ml[3])
{
	uint8_t pl[256], msg[HS_HANDSHAKE_MSG_MAX], sig[64];
	const uint8_t *resp_id = hs_identity_pubkey(f->resp.id);
	struct {
		const char *name;
		uint8_t version;
		const char *network;
		const uint8_t *identity;
		const uint8_t *sig;
		int extra; /* -1: cut one byte; 1: one trailing byte */
	} crafted[] = {
		{ "bad_network", 1, "test", resp_id, f->resp.sig, 0 },
		{ "bad_version", 2, HS_FIX_NETWORK, resp_id, f->resp.sig, 0 },
		{ "bad_identity", 1, HS_FIX_NETWORK, hs_identity_pubkey(f->init.id), f->resp.sig,
		  0 },
		{ "bad_sig_network", 1, HS_FIX_NETWORK, resp_id, sig, 0 },
		{ "bad_truncated_payload", 1, HS_FIX_NETWORK, resp_id, f->resp.sig, -1 },
		{ "bad_trailing", 1, HS_FIX_NETWORK, resp_id, f->resp.sig, 1 },
	};

	if (hs_handshake_prove(f->crypto, f->resp.id, "test", f->resp.s, hs_fix_aux, sig) != 0)
		fail("prove");
	for (size_t i = 0; i < sizeof(crafted) / sizeof(crafted[0]); i++) {
		size_t plen = put_hello(pl, crafted[i].version, crafted[i].network);
		plen += put_proof(pl + plen, crafted[i].identity, crafted[i].sig);
		pl[plen] = 0;
		plen = (size_t)((long)plen + crafted[i].extra);
		size_t len = craft_msg2(m[0], ml[0], msg, pl, plen);
		save1("handshake_initiator", crafted[i].name, msg, len);
	}
}

static void gen_responder(uint8_t m[3][HS_HANDSHAKE_MSG_MAX], const size_t ml[3],
                          struct hs_transport *ti)
{
	const char *target = "handshake_responder";
	uint8_t t[4][1100], msg[HS_HANDSHAKE_MSG_MAX];
	size_t tl[4];
	struct seed s = { .len = 0 };

	hs_transport_set_nonces(ti, 0, 0);
	transport_msgs(ti, t, tl, 4);
	add(&s, m[0], ml[0]);
	add(&s, m[2], ml[2]);
	save(target, "valid_handshake", &s);
	for (unsigned i = 0; i < 4; i++)
		add(&s, t[i], tl[i]);
	save(target, "valid_conversation", &s);

	memcpy(msg, m[0], ml[0]);
	memset(msg + 1, 0, 32); /* a low-order ephemeral key */
	save1(target, "bad_m1_low_order", msg, ml[0]);
	save2(target, "bad_replay_msg1", m[0], ml[0], m[0], ml[0]);
	save2(target, "bad_replay_own_msg2", m[0], ml[0], m[1], ml[1]);
	save2(target, "bad_m3_truncated", m[0], ml[0], m[2], 80);
	save1(target, "bad_order_msg3_first", m[2], ml[2]);
	save1(target, "bad_truncated", m[0], 20);
}

/* Message 1 is in clear: its variants need no crafting beyond the payload. Message 3 is
 * encrypted: each variant is crafted with valid tags. */
static void gen_responder_crafted(const struct hs_fix *f, uint8_t m[3][HS_HANDSHAKE_MSG_MAX],
                                  const size_t ml[3])
{
	const char *target = "handshake_responder";
	uint8_t pl[256], msg[HS_HANDSHAKE_MSG_MAX], sig[64];
	static const struct {
		const char *name;
		uint8_t pl[40];
		size_t len;
	} m1[] = {
		{ "bad_m1_network", { 1, 4, 't', 'e', 's', 't' }, 6 },
		{ "bad_m1_version", { 2, 4, 'm', 'a', 'i', 'n' }, 6 },
		{ "bad_m1_varint", { 1, 0x84, 0, 'm', 'a', 'i', 'n' }, 7 },
		{ "bad_m1_name", { 1, 4, 'm', 'a', 0x01, 'n' }, 6 },
		{ "bad_m1_trailing", { 1, 4, 'm', 'a', 'i', 'n', 0 }, 7 },
		{ "bad_m1_truncated", { 1, 4, 'm', 'a' }, 4 },
	};
	for (size_t i = 0; i < sizeof(m1) / sizeof(m1[0]); i++) {
		struct hs_noise *n = raw_new(true);
		size_t len = raw_write(n, 1, msg, m1[i].pl, m1[i].len);
		hs_noise_del(n);
		save1(target, m1[i].name, msg, len);
	}

	struct hs_noise_static *other;
	if (hs_noise_static_new(&other, hs_fix_resp_ephemeral) != 0 ||
	    hs_handshake_prove(f->crypto, f->init.id, HS_FIX_NETWORK, other, hs_fix_aux, sig) != 0)
		fail("prove");
	hs_noise_static_del(other);
	struct {
		const char *name;
		const uint8_t *sig;
		int extra;
	} m3[] = {
		{ "bad_m3_identity", sig, 0 },
		{ "bad_m3_truncated_payload", f->init.sig, -1 },
		{ "bad_m3_trailing", f->init.sig, 1 },
	};
	for (size_t i = 0; i < sizeof(m3) / sizeof(m3[0]); i++) {
		size_t plen = put_proof(pl, hs_identity_pubkey(f->init.id), m3[i].sig);
		pl[plen] = 0;
		plen = (size_t)((long)plen + m3[i].extra);
		size_t len = craft_msg3(m[0], ml[0], m[1], ml[1], msg, pl, plen);
		save2(target, m3[i].name, m[0], ml[0], msg, len);
	}
}

static void gen_transport(struct hs_transport *ti)
{
	const char *target = "transport";
	uint8_t t[4][1100], pt[1000], big[1100];
	size_t tl[4], biglen;
	struct seed s;

	hs_transport_set_nonces(ti, 0, 0);
	transport_msgs(ti, t, tl, 4);
	memset(pt, 'x', sizeof(pt));
	if (hs_transport_encrypt(ti, big, sizeof(big), &biglen, pt, sizeof(pt)) != 0)
		fail("hs_transport_encrypt");
	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 0; /* flags */
	for (unsigned i = 0; i < 4; i++)
		add(&s, t[i], tl[i]);
	add(&s, big, biglen); /* a 1016-byte message at nonce 4 */
	save(target, "valid_stream", &s);

	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 0;
	add(&s, t[1], tl[1]);
	add(&s, t[0], tl[0]);
	add(&s, t[0], tl[0]);
	add(&s, t[1], tl[1]);
	save(target, "reordered_and_replayed", &s);

	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 0;
	memcpy(big, t[0], tl[0]);
	big[2] ^= 1;
	add(&s, big, tl[0]);
	add(&s, t[0], 15);
	add(&s, t[0], tl[0]);
	save(target, "tampered_truncated_then_valid", &s);

	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 0;
	for (unsigned i = 1; i < 4; i++)
		add(&s, t[i], tl[i]); /* nonces 1..3 all fail: the receiver expects 0 */
	save(target, "wrong_nonces", &s);

	/* Near exhaustion: the sender starts at 2^64-3, as flag bit 0 sets the receiver. */
	hs_transport_set_nonces(ti, UINT64_MAX - 2, 0);
	transport_msgs(ti, t, tl, 2);
	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 1;
	add(&s, t[0], tl[0]);
	add(&s, t[1], tl[1]);
	add(&s, t[1], tl[1]); /* the receive nonce is now 2^64-1: exhausted */
	save(target, "nonce_exhaustion_recv", &s);

	hs_transport_set_nonces(ti, 0, 0);
	transport_msgs(ti, t, tl, 2);
	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 2; /* the replies exhaust the send nonce */
	add(&s, t[0], tl[0]);
	add(&s, t[1], tl[1]);
	save(target, "nonce_exhaustion_send", &s);
}

int main(int argc, char **argv)
{
	uint8_t m[3][HS_HANDSHAKE_MSG_MAX];
	size_t ml[3];
	struct hs_transport *ti, *tr;

	if (argc != 2)
		fail("usage: gen_handshake_corpus CORPUS_DIR");
	corpus_dir = argv[1];
	const struct hs_fix *f = hs_fix_get();
	if (hs_fix_run(f, m, ml, &ti, &tr) != 0)
		fail("fixture handshake");
	gen_initiator(m, ml, tr);
	gen_initiator_crafted(f, m, ml);
	gen_responder(m, ml, ti);
	gen_responder_crafted(f, m, ml);
	gen_transport(ti);
	hs_transport_del(ti);
	hs_transport_del(tr);
	return 0;
}

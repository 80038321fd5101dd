/*
 * Noise XX: the published vectors (BLAKE2b and SHA-256) byte for byte, then every limit and
 * failure of the state machine and the transport, and a transport model test under random
 * sends, tampering and reordering.
 */
#include <jansson.h>
#include <sodium.h>

#include "crypto/noise.h"
#include "harness.h"
#include "testrng.h"

#define U64_MAX_MINUS(k) (UINT64_MAX - (uint64_t)(k))

static const uint8_t key_is[32] = { 1, 2, 3 }, key_ie[32] = { 4, 5, 6 };
static const uint8_t key_rs[32] = { 7, 8, 9 }, key_re[32] = { 10, 11, 12 };
static const uint8_t prologue[] = "test prologue";

/* ---- helpers --------------------------------------------------------------------------- */

struct pair {
	struct hs_noise *init, *resp;
	uint8_t msg[3][256];
	size_t msglen[3];
};

static void pair_new(struct pair *p, enum hs_noise_hash hash)
{
	memset(p, 0, sizeof(*p));
	REQUIRE(hs_noise_new(&p->init, hash, true, prologue, sizeof(prologue), key_is, key_ie) ==
	        0);
	REQUIRE(hs_noise_new(&p->resp, hash, false, prologue, sizeof(prologue), key_rs, key_re) ==
	        0);
}

static void pair_del(struct pair *p)
{
	hs_noise_del(p->init);
	hs_noise_del(p->resp);
}

/* Writes message i (0..2) with a short payload and, if deliver, reads it on the other side. */
static void pair_step(struct pair *p, unsigned i, bool deliver)
{
	struct hs_noise *w = i % 2 == 0 ? p->init : p->resp, *r = i % 2 == 0 ? p->resp : p->init;
	uint8_t pl[8] = { 'p', 'a', 'y', (uint8_t)('0' + i) }, got[256];
	size_t gotlen;

	REQUIRE(hs_noise_write(w, p->msg[i], sizeof(p->msg[i]), &p->msglen[i], pl, 4) == 0);
	if (deliver) {
		REQUIRE(hs_noise_read(r, got, sizeof(got), &gotlen, p->msg[i], p->msglen[i]) == 0);
		REQUIRE(gotlen == 4 && memcmp(got, pl, 4) == 0);
	}
}

static void pair_handshake(struct pair *p, enum hs_noise_hash hash, struct hs_transport **ti,
                           struct hs_transport **tr)
{
	pair_new(p, hash);
	for (unsigned i = 0; i < 3; i++)
		pair_step(p, i, true);
	REQUIRE(hs_noise_split(p->init, ti) == 0);
	REQUIRE(hs_noise_split(p->resp, tr) == 0);
}

static size_t unhex_json(uint8_t *out, size_t cap, json_t *obj, const char *key)
{
	const char *hex = json_string_value(json_object_get(obj, key));
	REQUIRE(hex != NULL);
	int n = hs_test_unhex(out, cap, hex);
	REQUIRE(n >= 0);
	return (size_t)n;
}

/* ---- the published vectors -------------------------------------------------------------- */

/* After the vector's third message: both sides done, the handshake hash and remote static
 * keys as expected; then the split. */
static void check_done(struct hs_noise *init, struct hs_noise *resp, enum hs_noise_hash hash,
                       const uint8_t *hh, size_t hhlen, const uint8_t is[32], const uint8_t rs[32],
                       struct hs_transport **ti, struct hs_transport **tr)
{
	uint8_t got_hh[64], pub[32];

	CHECK_EQ(hhlen, hash == HS_NOISE_BLAKE2B ? 64 : 32);
	CHECK(hs_noise_is_done(init) && hs_noise_is_done(resp));
	CHECK_EQ(hs_noise_handshake_hash(init, got_hh), hhlen);
	CHECK_MEM(got_hh, hh, hhlen);
	CHECK_EQ(hs_noise_handshake_hash(resp, got_hh), hhlen);
	CHECK_MEM(got_hh, hh, hhlen);
	REQUIRE(hs_x25519_public(pub, rs) == 0);
	REQUIRE(hs_noise_remote_static(init) != NULL);
	CHECK_MEM(hs_noise_remote_static(init), pub, 32);
	REQUIRE(hs_x25519_public(pub, is) == 0);
	REQUIRE(hs_noise_remote_static(resp) != NULL);
	CHECK_MEM(hs_noise_remote_static(resp), pub, 32);
	REQUIRE(hs_noise_split(init, ti) == 0);
	REQUIRE(hs_noise_split(resp, tr) == 0);
}

/* Vector message i: handshake messages 0..2, then transport messages, alternating senders
 * from the initiator; each must be written byte for byte and read back. */
static void check_message(struct hs_noise *init, struct hs_noise *resp, struct hs_transport *ti,
                          struct hs_transport *tr, size_t i, json_t *m)
{
	uint8_t pl[1024], ct[1024], out[1024];
	size_t pllen = unhex_json(pl, sizeof(pl), m, "payload");
	size_t ctlen = unhex_json(ct, sizeof(ct), m, "ciphertext");
	bool from_init = i % 2 == 0;
	size_t outlen = 0, ptlen = 0;

	if (i < 3) {
		CHECK(hs_noise_wants_write(from_init ? init : resp));
		CHECK(!hs_noise_wants_write(from_init ? resp : init));
		CHECK_EQ(hs_noise_write(from_init ? init : resp, out, sizeof(out), &outlen, pl,
		                        pllen),
		         0);
		CHECK_EQ(outlen, ctlen);
		CHECK_MEM(out, ct, ctlen);
		CHECK_EQ(
		        hs_noise_read(from_init ? resp : init, out, sizeof(out), &ptlen, ct, ctlen),
		        0);
	} else {
		CHECK_EQ(hs_transport_encrypt(from_init ? ti : tr, out, sizeof(out), &outlen, pl,
		                              pllen),
		         0);
		CHECK_EQ(outlen, ctlen);
		CHECK_MEM(out, ct, ctlen);
		CHECK_EQ(hs_transport_decrypt(from_init ? tr : ti, out, sizeof(out), &ptlen, ct,
		                              ctlen),
		         0);
	}
	CHECK_EQ(ptlen, pllen);
	CHECK_MEM(out, pl, pllen);
}

static void run_vector(json_t *v)
{
	const char *name = json_string_value(json_object_get(v, "protocol_name"));
	uint8_t is[32], ie[32], rs[32], re[32], pro_i[256], pro_r[256], hh[64], got_hh[64];
	struct hs_noise *init = NULL, *resp = NULL;
	struct hs_transport *ti = NULL, *tr = NULL;
	enum hs_noise_hash hash;

	REQUIRE(name != NULL);
	if (strcmp(name, "Noise_XX_25519_ChaChaPoly_BLAKE2b") == 0) {
		hash = HS_NOISE_BLAKE2B;
	} else {
		REQUIRE(strcmp(name, "Noise_XX_25519_ChaChaPoly_SHA256") == 0);
		hash = HS_NOISE_SHA256;
	}
	REQUIRE(unhex_json(is, 32, v, "init_static") == 32);
	REQUIRE(unhex_json(ie, 32, v, "init_ephemeral") == 32);
	REQUIRE(unhex_json(rs, 32, v, "resp_static") == 32);
	REQUIRE(unhex_json(re, 32, v, "resp_ephemeral") == 32);
	size_t pro_ilen = unhex_json(pro_i, sizeof(pro_i), v, "init_prologue");
	size_t pro_rlen = unhex_json(pro_r, sizeof(pro_r), v, "resp_prologue");
	size_t hhlen = unhex_json(hh, sizeof(hh), v, "handshake_hash");

	REQUIRE(hs_noise_new(&init, hash, true, pro_i, pro_ilen, is, ie) == 0);
	REQUIRE(hs_noise_new(&resp, hash, false, pro_r, pro_rlen, rs, re) == 0);
	json_t *msgs = json_object_get(v, "messages");
	REQUIRE(json_array_size(msgs) == 6);
	for (size_t i = 0; i < 6; i++) {
		if (i == 3)
			check_done(init, resp, hash, hh, hhlen, is, rs, &ti, &tr);
		check_message(init, resp, ti, tr, i, json_array_get(msgs, i));
	}
	/* The hash survives the split (channel binding); a second split is refused. */
	CHECK_EQ(hs_noise_handshake_hash(init, got_hh), hhlen);
	CHECK_MEM(got_hh, hh, hhlen);
	struct hs_transport *again = NULL;
	CHECK_EQ(hs_noise_split(init, &again), HS_ERR_STATE);
	CHECK(again == NULL);
	hs_transport_del(ti);
	hs_transport_del(tr);
	hs_noise_del(init);
	hs_noise_del(resp);
}

static void test_vectors(void)
{
	json_error_t jerr;
	json_t *root = json_load_file(HS_VECTOR_DIR "/noise-xx.json", 0, &jerr);
	if (!root)
		fprintf(stderr, "cannot load %s: %s\n", HS_VECTOR_DIR "/noise-xx.json", jerr.text);
	REQUIRE(root != NULL);
	json_t *vectors = json_object_get(root, "vectors");
	REQUIRE(json_array_size(vectors) == 2);
	bool seen_blake = false, seen_sha = false;
	for (size_t i = 0; i < json_array_size(vectors); i++) {
		json_t *v = json_array_get(vectors, i);
		const char *name = json_string_value(json_object_get(v, "protocol_name"));
		REQUIRE(name != NULL);
		seen_blake |= strcmp(name, "Noise_XX_25519_ChaChaPoly_BLAKE2b") == 0;
		seen_sha |= strcmp(name, "Noise_XX_25519_ChaChaPoly_SHA256") == 0;
		run_vector(v);
	}
	CHECK(seen_blake && seen_sha);
	json_decref(root);
}

/* ---- state machine ---------------------------------------------------------------------- */

static void test_wrong_turn(void)
{
	uint8_t buf[512];
	size_t len = 99;
	struct pair p;
	struct hs_transport *t = NULL;

	pair_new(&p, HS_NOISE_BLAKE2B);
	/* The responder may not write first; the initiator may not read first. Neither call
	 * changes the state. */
	CHECK_EQ(hs_noise_write(p.resp, buf, sizeof(buf), &len, NULL, 0), HS_ERR_STATE);
	CHECK_EQ(len, 0);
	CHECK_EQ(hs_noise_read(p.init, buf, sizeof(buf), &len, buf, 100), HS_ERR_STATE);
	CHECK_EQ(hs_noise_split(p.init, &t), HS_ERR_STATE);
	CHECK(t == NULL);
	pair_step(&p, 0, true);
	CHECK_EQ(hs_noise_write(p.init, buf, sizeof(buf), &len, NULL, 0), HS_ERR_STATE);
	CHECK_EQ(hs_noise_read(p.resp, buf, sizeof(buf), &len, p.msg[0], p.msglen[0]),
	         HS_ERR_STATE);
	pair_step(&p, 1, true);
	CHECK_EQ(hs_noise_write(p.resp, buf, sizeof(buf), &len, NULL, 0), HS_ERR_STATE);
	CHECK_EQ(hs_noise_read(p.init, buf, sizeof(buf), &len, p.msg[1], p.msglen[1]),
	         HS_ERR_STATE);
	CHECK(!hs_noise_is_done(p.init));
	pair_step(&p, 2, true);
	CHECK(hs_noise_is_done(p.init) && hs_noise_is_done(p.resp));
	CHECK(!hs_noise_wants_write(p.init) && !hs_noise_wants_write(p.resp));
	/* After the third message neither side writes or reads handshake messages. */
	CHECK_EQ(hs_noise_write(p.init, buf, sizeof(buf), &len, NULL, 0), HS_ERR_STATE);
	CHECK_EQ(hs_noise_write(p.resp, buf, sizeof(buf), &len, NULL, 0), HS_ERR_STATE);
	CHECK_EQ(hs_noise_read(p.resp, buf, sizeof(buf), &len, p.msg[2], p.msglen[2]),
	         HS_ERR_STATE);
	CHECK_EQ(hs_noise_read(p.init, buf, sizeof(buf), &len, p.msg[2], p.msglen[2]),
	         HS_ERR_STATE);
	pair_del(&p);
}

static void test_handshake_hash_roles(void)
{
	static const enum hs_noise_hash hashes[] = { HS_NOISE_BLAKE2B, HS_NOISE_SHA256 };
	for (size_t h = 0; h < 2; h++) {
		struct pair p;
		uint8_t a[64], b[64], pub[32];
		pair_new(&p, hashes[h]);
		CHECK_EQ(hs_noise_handshake_hash(p.init, a), 0);
		CHECK(hs_noise_remote_static(p.init) == NULL);
		pair_step(&p, 0, true);
		CHECK(hs_noise_remote_static(p.resp) == NULL);
		pair_step(&p, 1, true);
		/* The initiator learns the responder's static key in message 2. */
		REQUIRE(hs_x25519_public(pub, key_rs) == 0);
		REQUIRE(hs_noise_remote_static(p.init) != NULL);
		CHECK_MEM(hs_noise_remote_static(p.init), pub, 32);
		CHECK(hs_noise_remote_static(p.resp) == NULL);
		pair_step(&p, 2, true);
		REQUIRE(hs_x25519_public(pub, key_is) == 0);
		REQUIRE(hs_noise_remote_static(p.resp) != NULL);
		CHECK_MEM(hs_noise_remote_static(p.resp), pub, 32);
		size_t n = hs_noise_handshake_hash(p.init, a);
		CHECK_EQ(n, hashes[h] == HS_NOISE_BLAKE2B ? 64 : 32);
		CHECK_EQ(hs_noise_handshake_hash(p.resp, b), n);
		CHECK_MEM(a, b, n);
		pair_del(&p);
	}
}

static void test_bad_arguments(void)
{
	struct hs_noise *hs = (struct hs_noise *)1;
	CHECK_EQ(hs_noise_new(&hs, (enum hs_noise_hash)3, true, NULL, 0, key_is, key_ie),
	         HS_ERR_INVALID);
	CHECK(hs == NULL);
	CHECK_EQ(hs_noise_new(&hs, HS_NOISE_SHA256, true, NULL, 5, key_is, key_ie), HS_ERR_INVALID);
	CHECK_EQ(hs_noise_new(&hs, HS_NOISE_SHA256, true, NULL, 0, NULL, key_ie), HS_ERR_INVALID);
	/* An empty prologue is allowed. */
	CHECK_EQ(hs_noise_new(&hs, HS_NOISE_SHA256, true, NULL, 0, key_is, key_ie), 0);
	CHECK(hs != NULL);
	hs_noise_del(hs);
	hs_noise_del(NULL);
	hs_transport_del(NULL);
}

/* Message i truncated to each shorter length fails with the right code and kills the
 * handshake; a later call with the genuine message fails with HS_ERR_STATE. */
static void test_truncated_handshake(void)
{
	/* Token bytes before the payload: e = 32; e, ee, s(+tag), es + payload tag = 96;
	 * s(+tag), se + payload tag = 64. */
	static const size_t min[3] = { 32, 96, 64 };
	for (unsigned i = 0; i < 3; i++) {
		struct pair p;
		pair_new(&p, HS_NOISE_BLAKE2B);
		pair_step(&p, 0, i > 0);
		if (i >= 1)
			pair_step(&p, 1, i > 1);
		if (i >= 2)
			pair_step(&p, 2, false);
		size_t full = p.msglen[i];
		CHECK_EQ(full, min[i] + 4);
		pair_del(&p);
		for (size_t len = 0; len < full; len++) {
			uint8_t got[256];
			size_t gotlen = 77;
			pair_new(&p, HS_NOISE_BLAKE2B);
			for (unsigned j = 0; j <= i; j++)
				pair_step(&p, j, j < i);
			struct hs_noise *r = i % 2 == 0 ? p.resp : p.init;
			int want = len < min[i] ? HS_ERR_TRUNCATED : (i == 0 ? 0 : HS_ERR_DECRYPT);
			CHECK_EQ(hs_noise_read(r, got, sizeof(got), &gotlen, p.msg[i], len), want);
			if (want != 0) {
				CHECK_EQ(gotlen, 0);
				CHECK(!hs_noise_is_done(r));
				CHECK(!hs_noise_wants_write(r));
				CHECK_EQ(hs_noise_read(r, got, sizeof(got), &gotlen, p.msg[i],
				                       p.msglen[i]),
				         HS_ERR_STATE);
				CHECK(hs_noise_remote_static(r) == NULL);
			} else {
				/* Message 1's payload is cleartext: a shortened payload reads, but
				 * the transcripts now differ and message 2 fails to decrypt. */
				CHECK_EQ(gotlen, len - 32);
				pair_step(&p, 1, false);
				CHECK_EQ(hs_noise_read(p.init, got, sizeof(got), &gotlen, p.msg[1],
				                       p.msglen[1]),
				         HS_ERR_DECRYPT);
			}
			pair_del(&p);
		}
	}
}

/* Every single-byte change of every handshake message is detected, at the latest when the
 * next message is read. */
static void test_tampered_handshake(void)
{
	for (unsigned i = 0; i < 3; i++) {
		size_t full;
		{
			struct pair p;
			pair_new(&p, HS_NOISE_SHA256);
			for (unsigned j = 0; j <= i; j++)
				pair_step(&p, j, j < i);
			full = p.msglen[i];
			pair_del(&p);
		}
		for (size_t pos = 0; pos < full; pos++) {
			struct pair p;
			uint8_t got[256];
			size_t gotlen;
			pair_new(&p, HS_NOISE_SHA256);
			for (unsigned j = 0; j <= i; j++)
				pair_step(&p, j, j < i);
			p.msg[i][pos] ^= 0x40;
			struct hs_noise *r = i % 2 == 0 ? p.resp : p.init;
			int err =
			        hs_noise_read(r, got, sizeof(got), &gotlen, p.msg[i], p.msglen[i]);
			if (i == 0) {
				/* e and the payload are cleartext; the change surfaces in msg 2 (or
				 * as a low-order key, which a single flip does not produce here).
				 */
				CHECK_EQ(err, 0);
				pair_step(&p, 1, false);
				CHECK_EQ(hs_noise_read(p.init, got, sizeof(got), &gotlen, p.msg[1],
				                       p.msglen[1]),
				         HS_ERR_DECRYPT);
			} else {
				CHECK_EQ(err, HS_ERR_DECRYPT);
			}
			pair_del(&p);
		}
	}
}

static void test_prologue_mismatch(void)
{
	struct hs_noise *init, *resp;
	uint8_t m[256], got[256];
	size_t mlen, gotlen;
	static const uint8_t other[] = "another prologue";

	REQUIRE(hs_noise_new(&init, HS_NOISE_BLAKE2B, true, prologue, sizeof(prologue), key_is,
	                     key_ie) == 0);
	REQUIRE(hs_noise_new(&resp, HS_NOISE_BLAKE2B, false, other, sizeof(other), key_rs,
	                     key_re) == 0);
	REQUIRE(hs_noise_write(init, m, sizeof(m), &mlen, NULL, 0) == 0);
	CHECK_EQ(hs_noise_read(resp, got, sizeof(got), &gotlen, m, mlen), 0);
	CHECK_EQ(gotlen, 0);
	REQUIRE(hs_noise_write(resp, m, sizeof(m), &mlen, NULL, 0) == 0);
	CHECK_EQ(hs_noise_read(init, got, sizeof(got), &gotlen, m, mlen), HS_ERR_DECRYPT);
	hs_noise_del(init);
	hs_noise_del(resp);
}

/* Low-order X25519 points as the peer's ephemeral: refused when read, never mixed in. */
static void test_low_order_keys(void)
{
	static const char *const points[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		struct pair p;
		uint8_t m[64], got[64];
		size_t gotlen;
		pair_new(&p, HS_NOISE_BLAKE2B);
		REQUIRE(hs_test_unhex(m, 32, points[i]) == 32);
		CHECK_EQ(hs_noise_read(p.resp, got, sizeof(got), &gotlen, m, 32), HS_ERR_BAD_KEY);
		CHECK(!hs_noise_wants_write(p.resp));
		pair_del(&p);

		/* The same key in message 2 to the initiator. */
		pair_new(&p, HS_NOISE_BLAKE2B);
		pair_step(&p, 0, true);
		pair_step(&p, 1, false);
		REQUIRE(hs_test_unhex(p.msg[1], 32, points[i]) == 32);
		CHECK_EQ(hs_noise_read(p.init, got, sizeof(got), &gotlen, p.msg[1], p.msglen[1]),
		         HS_ERR_BAD_KEY);
		pair_del(&p);
	}
}

static void test_handshake_sizes(void)
{
	static uint8_t pl[70000], m[70000], got[70000];
	size_t mlen = 1, gotlen;
	struct pair p;

	pair_new(&p, HS_NOISE_BLAKE2B);
	/* Message 1 is e (32) + cleartext payload: 65503 bytes of payload is the most. */
	CHECK_EQ(hs_noise_write(p.init, m, sizeof(m), &mlen, pl, 65535 - 32 + 1), HS_ERR_TOO_LARGE);
	CHECK_EQ(mlen, 0);
	CHECK_EQ(hs_noise_write(p.init, m, 65534, &mlen, pl, 65535 - 32), HS_ERR_BUFFER);
	CHECK(hs_noise_wants_write(p.init)); /* neither error changed the state */
	CHECK_EQ(hs_noise_write(p.init, m, sizeof(m), &mlen, pl, 65535 - 32), 0);
	CHECK_EQ(mlen, 65535);
	/* A payload buffer that is too small is the caller's problem: the state is kept. */
	CHECK_EQ(hs_noise_read(p.resp, got, 65502, &gotlen, m, mlen), HS_ERR_BUFFER);
	CHECK_EQ(hs_noise_read(p.resp, got, sizeof(got), &gotlen, m, mlen), 0);
	CHECK_EQ(gotlen, 65503);
	/* Message 2 carries 96 bytes of tokens and tags. */
	CHECK_EQ(hs_noise_write(p.resp, m, sizeof(m), &mlen, pl, 65535 - 96 + 1), HS_ERR_TOO_LARGE);
	CHECK_EQ(hs_noise_write(p.resp, m, sizeof(m), &mlen, pl, 65535 - 96), 0);
	CHECK_EQ(mlen, 65535);
	CHECK_EQ(hs_noise_read(p.init, got, sizeof(got), &gotlen, m, mlen), 0);
	CHECK_EQ(gotlen, 65535 - 96);
	pair_del(&p);

	/* A 65536-byte message is refused before anything else, and kills the handshake. */
	pair_new(&p, HS_NOISE_BLAKE2B);
	memset(m, 0x55, sizeof(m));
	CHECK_EQ(hs_noise_read(p.resp, got, sizeof(got), &gotlen, m, 65536), HS_ERR_TOO_LARGE);
	CHECK_EQ(hs_noise_read(p.resp, got, sizeof(got), &gotlen, m, 64), HS_ERR_STATE);
	pair_del(&p);
}

/* The payload buffer may be the message buffer itself. */
static void test_handshake_in_place(void)
{
	struct pair p;
	uint8_t m[256];
	size_t mlen, gotlen;
	pair_new(&p, HS_NOISE_BLAKE2B);
	for (unsigned i = 0; i < 3; i++) {
		struct hs_noise *w = i % 2 == 0 ? p.init : p.resp,
		                *r = i % 2 == 0 ? p.resp : p.init;
		REQUIRE(hs_noise_write(w, m, sizeof(m), &mlen, (const uint8_t *)"hello", 5) == 0);
		CHECK_EQ(hs_noise_read(r, m, sizeof(m), &gotlen, m, mlen), 0);
		CHECK_EQ(gotlen, 5);
		CHECK_MEM(m, "hello", 5);
	}
	CHECK(hs_noise_is_done(p.init) && hs_noise_is_done(p.resp));
	pair_del(&p);
}

/* ---- transport -------------------------------------------------------------------------- */

static void test_nonce_exhaustion(void)
{
	struct pair p;
	struct hs_transport *ti, *tr;
	uint8_t c1[64], c2[64], out[64];
	size_t clen1, clen2, outlen;

	pair_handshake(&p, HS_NOISE_BLAKE2B, &ti, &tr);
	hs_transport_set_nonces(ti, U64_MAX_MINUS(1), 0);
	hs_transport_set_nonces(tr, 0, U64_MAX_MINUS(1));
	/* 2^64-2 is the last usable nonce: one message, then nothing. */
	CHECK_EQ(hs_transport_encrypt(ti, c1, sizeof(c1), &clen1, (const uint8_t *)"last", 4), 0);
	CHECK_EQ(hs_transport_encrypt(ti, c2, sizeof(c2), &clen2, (const uint8_t *)"more", 4),
	         HS_ERR_NONCE_EXHAUSTED);
	CHECK_EQ(clen2, 0);
	CHECK_EQ(hs_transport_encrypt(ti, c2, sizeof(c2), &clen2, NULL, 0), HS_ERR_NONCE_EXHAUSTED);
	CHECK_EQ(hs_transport_decrypt(tr, out, sizeof(out), &outlen, c1, clen1), 0);
	CHECK_EQ(outlen, 4);
	CHECK_MEM(out, "last", 4);
	/* The receiver's next nonce would be 2^64-1: it refuses before looking at the tag. */
	CHECK_EQ(hs_transport_decrypt(tr, out, sizeof(out), &outlen, c1, clen1),
	         HS_ERR_NONCE_EXHAUSTED);
	/* The other direction is independent. */
	CHECK_EQ(hs_transport_encrypt(tr, c2, sizeof(c2), &clen2, (const uint8_t *)"back", 4), 0);
	CHECK_EQ(hs_transport_decrypt(ti, out, sizeof(out), &outlen, c2, clen2), 0);
	CHECK_MEM(out, "back", 4);
	/* A message under nonce 2^64-2 from the other direction also decrypts exactly once. */
	hs_transport_set_nonces(tr, U64_MAX_MINUS(1), 0);
	hs_transport_set_nonces(ti, 0, U64_MAX_MINUS(1));
	CHECK_EQ(hs_transport_encrypt(tr, c2, sizeof(c2), &clen2, (const uint8_t *)"edge", 4), 0);
	CHECK_EQ(hs_transport_decrypt(ti, out, sizeof(out), &outlen, c2, clen2), 0);
	CHECK_EQ(hs_transport_decrypt(ti, out, sizeof(out), &outlen, c2, clen2),
	         HS_ERR_NONCE_EXHAUSTED);
	hs_transport_del(ti);
	hs_transport_del(tr);
	pair_del(&p);
}

static void test_transport_sizes(void)
{
	static uint8_t pt[70000], ct[70000], out[70000];
	struct pair p;
	struct hs_transport *ti, *tr;
	size_t clen = 1, outlen = 1;

	pair_handshake(&p, HS_NOISE_SHA256, &ti, &tr);
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7);
	/* 65519 bytes of plaintext + 16 = 65535: the largest message. */
	CHECK_EQ(hs_transport_encrypt(ti, ct, sizeof(ct), &clen, pt, 65520), HS_ERR_TOO_LARGE);
	CHECK_EQ(clen, 0);
	CHECK_EQ(hs_transport_encrypt(ti, ct, 65534, &clen, pt, 65519), HS_ERR_BUFFER);
	CHECK_EQ(hs_transport_encrypt(ti, ct, sizeof(ct), &clen, pt, 65519), 0);
	CHECK_EQ(clen, 65535);
	CHECK_EQ(hs_transport_decrypt(tr, out, 65518, &outlen, ct, clen), HS_ERR_BUFFER);
	CHECK_EQ(hs_transport_decrypt(tr, out, sizeof(out), &outlen, ct, 65536), HS_ERR_TOO_LARGE);
	CHECK_EQ(hs_transport_decrypt(tr, out, sizeof(out), &outlen, ct, 15), HS_ERR_TRUNCATED);
	CHECK_EQ(hs_transport_decrypt(tr, out, sizeof(out), &outlen, ct, 0), HS_ERR_TRUNCATED);
	/* None of those consumed a nonce. */
	CHECK_EQ(hs_transport_decrypt(tr, out, sizeof(out), &outlen, ct, clen), 0);
	CHECK_EQ(outlen, 65519);
	CHECK_MEM(out, pt, 65519);
	/* An empty message is just a tag. */
	CHECK_EQ(hs_transport_encrypt(ti, ct, 16, &clen, NULL, 0), 0);
	CHECK_EQ(clen, 16);
	CHECK_EQ(hs_transport_decrypt(tr, NULL, 0, &outlen, ct, clen), 0);
	CHECK_EQ(outlen, 0);
	hs_transport_del(ti);
	hs_transport_del(tr);
	pair_del(&p);
}

static void test_transport_tamper(void)
{
	struct pair p;
	struct hs_transport *ti, *tr;
	uint8_t ct[64], bad[64], out[64];
	size_t clen, outlen;

	pair_handshake(&p, HS_NOISE_BLAKE2B, &ti, &tr);
	REQUIRE(hs_transport_encrypt(ti, ct, sizeof(ct), &clen, (const uint8_t *)"gossip", 6) == 0);
	for (size_t pos = 0; pos < clen; pos++) {
		memcpy(bad, ct, clen);
		bad[pos] ^= 1;
		CHECK_EQ(hs_transport_decrypt(tr, out, sizeof(out), &outlen, bad, clen),
		         HS_ERR_DECRYPT);
		CHECK_EQ(outlen, 0);
	}
	/* Cut short (but still a tag's length) and extended copies fail as well. */
	CHECK_EQ(hs_transport_decrypt(tr, out, sizeof(out), &outlen, ct, clen - 1), HS_ERR_DECRYPT);
	CHECK_EQ(hs_transport_decrypt(tr, out, sizeof(out), &outlen, ct, 16), HS_ERR_DECRYPT);
	/* The receive nonce did not advance: the genuine message still decrypts, in place. */
	CHECK_EQ(hs_transport_decrypt(tr, ct, sizeof(ct), &outlen, ct, clen), 0);
	CHECK_EQ(outlen, 6);
	CHECK_MEM(ct, "gossip", 6);
	/* The wrong direction's key does not open it either. */
	REQUIRE(hs_transport_encrypt(ti, ct, sizeof(ct), &clen, (const uint8_t *)"x", 1) == 0);
	CHECK_EQ(hs_transport_decrypt(ti, out, sizeof(out), &outlen, ct, clen), HS_ERR_DECRYPT);
	/* Encrypting in place works too. */
	memcpy(bad, "inplace", 7);
	CHECK_EQ(hs_transport_encrypt(tr, bad, sizeof(bad), &clen, bad, 7), 0);
	CHECK_EQ(hs_transport_decrypt(ti, out, sizeof(out), &outlen, bad, clen), 0);
	CHECK_MEM(out, "inplace", 7);
	hs_transport_del(ti);
	hs_transport_del(tr);
	pair_del(&p);
}

/* Model test: a sender numbers its messages; the receiver must accept exactly the next number
 * and nothing else (tampered, replayed, skipped-ahead), whatever order the attacker picks. */
static void test_transport_model(void)
{
	enum { QUEUE = 8, OPS = 3000 };
	const uint64_t seed = 0x9e3779b97f4a7c15u;
	struct pair p;
	struct hs_transport *t[2];
	uint8_t q[2][QUEUE][80], out[80];
	size_t qlen[2][QUEUE], outlen;
	uint64_t sent[2] = { 0, 0 }, recvd[2] = { 0, 0 }; /* model: per direction */
	int failures = 0;

	struct test_rng rng;
	test_rng_seed(&rng, seed);
	pair_handshake(&p, HS_NOISE_SHA256, &t[0], &t[1]);
	for (int op = 0; op < OPS; op++) {
		unsigned d =
		        (unsigned)test_rng_below(&rng, 2); /* direction: d sends, 1-d receives */
		uint64_t r = test_rng_below(&rng, 10);
		if (r < 4 && sent[d] - recvd[d] < QUEUE) {
			uint8_t pt[64];
			size_t len = (size_t)test_rng_below(&rng, 64);
			for (size_t i = 0; i < len; i++)
				pt[i] = (uint8_t)(sent[d] + i);
			uint8_t *slot = q[d][sent[d] % QUEUE];
			CHECK_EQ(hs_transport_encrypt(t[d], slot, 80, &qlen[d][sent[d] % QUEUE], pt,
			                              len),
			         0);
			sent[d]++;
		} else if (sent[d] > 0) {
			/* Deliver some message in the window: maybe the expected one, maybe an
			 * old or future one, maybe tampered. */
			uint64_t lo = recvd[d] >= 2 ? recvd[d] - 2 : 0;
			uint64_t pick = lo + test_rng_below(&rng, sent[d] - lo);
			if (pick + QUEUE < sent[d] || pick >= sent[d])
				continue;
			uint8_t msg[80];
			size_t len = qlen[d][pick % QUEUE];
			memcpy(msg, q[d][pick % QUEUE], len);
			bool tamper = test_rng_below(&rng, 5) == 0;
			if (tamper)
				msg[test_rng_below(&rng, len)] ^=
				        (uint8_t)(1 + test_rng_below(&rng, 255));
			int err =
			        hs_transport_decrypt(t[1 - d], out, sizeof(out), &outlen, msg, len);
			bool expect_ok = !tamper && pick == recvd[d];
			if ((err == 0) != expect_ok || (err != 0 && err != HS_ERR_DECRYPT))
				failures++;
			if (err == 0) {
				for (size_t i = 0; i < outlen; i++)
					if (out[i] != (uint8_t)(pick + i))
						failures++;
				recvd[d]++;
			}
		}
	}
	if (failures)
		fprintf(stderr, "transport model: seed 0x%016" PRIx64 " reproduces\n", seed);
	CHECK_EQ(failures, 0);
	CHECK(recvd[0] > 100 && recvd[1] > 100);
	hs_transport_del(t[0]);
	hs_transport_del(t[1]);
	pair_del(&p);
}

int main(void)
{
	REQUIRE(sodium_init() >= 0);
	RUN(test_vectors);
	RUN(test_wrong_turn);
	RUN(test_handshake_hash_roles);
	RUN(test_bad_arguments);
	RUN(test_truncated_handshake);
	RUN(test_tampered_handshake);
	RUN(test_prologue_mismatch);
	RUN(test_low_order_keys);
	RUN(test_handshake_sizes);
	RUN(test_handshake_in_place);
	RUN(test_nonce_exhaustion);
	RUN(test_transport_sizes);
	RUN(test_transport_tamper);
	RUN(test_transport_model);
	return hs_test_done();
}

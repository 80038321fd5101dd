/*
 * Fixed keys for the handshake fuzz targets, their corpus generator
 * (fuzz/gen_handshake_corpus.c), the handshake unit test and the worked example in the
 * protocol document. Everything is deterministic: fixed static and ephemeral keys, and BIP340
 * auxiliary randomness of 32 zero bytes, so one conversation is always the same bytes and the
 * seeds written by the generator drive the targets deep into the handshake.
 *
 * These keys are public test data. Never use them for anything else.
 */
#ifndef HEARSAY_FUZZ_HANDSHAKE_FIXTURE_H
#define HEARSAY_FUZZ_HANDSHAKE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/handshake.h"

#define HS_FIX_NETWORK "main"

/* 32 copies of one byte. */
#define HS_FIX_REP(b)                                                                              \
	{ b, b, b, b, b, b, b, b, b, b, b, b, b, b, b, b,                                          \
	  b, b, b, b, b, b, b, b, b, b, b, b, b, b, b, b }

/* secp256k1 identity secrets, X25519 Noise static secrets, X25519 ephemeral secrets. */
static const uint8_t hs_fix_init_identity[32] = HS_FIX_REP(0x11);
static const uint8_t hs_fix_init_static[32] = HS_FIX_REP(0x12);
static const uint8_t hs_fix_init_ephemeral[32] = HS_FIX_REP(0x13);
static const uint8_t hs_fix_resp_identity[32] = HS_FIX_REP(0x21);
static const uint8_t hs_fix_resp_static[32] = HS_FIX_REP(0x22);
static const uint8_t hs_fix_resp_ephemeral[32] = HS_FIX_REP(0x23);
/* BIP340 aux randomness for both proofs, and the secp256k1 context blinding seed (which does
 * not change any output). */
static const uint8_t hs_fix_aux[32] = HS_FIX_REP(0x00);
static const uint8_t hs_fix_crypto_seed[32] = HS_FIX_REP(0x5e);

/* One side's long-lived material. */
struct hs_fix_side {
	struct hs_identity *id;
	struct hs_noise_static *s;
	uint8_t sig[64];
	struct hs_handshake_config cfg;
};

struct hs_fix {
	struct hs_crypto *crypto;
	struct hs_fix_side init, resp;
};

static inline int hs_fix_side_new(struct hs_fix_side *side, const struct hs_crypto *crypto,
                                  const uint8_t identity[32], const uint8_t noise_static[32],
                                  const char *network)
{
	int err = hs_identity_new(&side->id, crypto, identity);
	if (err == 0)
		err = hs_noise_static_new(&side->s, noise_static);
	if (err == 0)
		err = hs_handshake_prove(crypto, side->id, network, side->s, hs_fix_aux, side->sig);
	if (err != 0)
		return err;
	side->cfg.crypto = crypto;
	side->cfg.noise_static = side->s;
	side->cfg.identity = hs_identity_pubkey(side->id);
	side->cfg.identity_sig = side->sig;
	side->cfg.network = network;
	return 0;
}

static inline void hs_fix_del(struct hs_fix *f)
{
	hs_identity_del(f->init.id);
	hs_identity_del(f->resp.id);
	hs_noise_static_del(f->init.s);
	hs_noise_static_del(f->resp.s);
	hs_crypto_del(f->crypto);
	memset(f, 0, sizeof(*f));
}

/* Both sides on HS_FIX_NETWORK. The caller must have called sodium_init(). */
static inline int hs_fix_new(struct hs_fix *f)
{
	memset(f, 0, sizeof(*f));
	int err = hs_crypto_new(&f->crypto, hs_fix_crypto_seed);
	if (err == 0)
		err = hs_fix_side_new(&f->init, f->crypto, hs_fix_init_identity, hs_fix_init_static,
		                      HS_FIX_NETWORK);
	if (err == 0)
		err = hs_fix_side_new(&f->resp, f->crypto, hs_fix_resp_identity, hs_fix_resp_static,
		                      HS_FIX_NETWORK);
	if (err != 0)
		hs_fix_del(f);
	return err;
}

/* A handshake for one role, with that role's fixed ephemeral key. */
static inline int hs_fix_handshake(const struct hs_fix *f, bool initiator,
                                   struct hs_handshake **out)
{
	return hs_handshake_new(out, initiator ? &f->init.cfg : &f->resp.cfg, initiator,
	                        initiator ? hs_fix_init_ephemeral : hs_fix_resp_ephemeral);
}

/* The known error codes of hs_handshake_read/write and the transport, for the targets'
 * invariant checks. */
static inline bool hs_fix_is_known_error(int err)
{
	switch (err) {
	case HS_ERR_STATE:
	case HS_ERR_BUFFER:
	case HS_ERR_TRUNCATED:
	case HS_ERR_TOO_LARGE:
	case HS_ERR_TRAILING:
	case HS_ERR_BAD_VALUE:
	case HS_ERR_BAD_KEY:
	case HS_ERR_DECRYPT:
	case HS_ERR_NONCE_EXHAUSTED:
	case HS_ERR_HS_REPLAY:
	case HS_ERR_HS_ORDER:
	case HS_ERR_HS_NETWORK:
	case HS_ERR_HS_VERSION:
	case HS_ERR_HS_IDENTITY:
	case HS_ERR_HS_DONE:
		return true;
	default:
		return false;
	}
}

/* A whole handshake between the fixture's two sides, in memory: the three messages (if
 * msgs is not NULL) and both transports (initiator's, responder's). */
static inline int hs_fix_run(const struct hs_fix *f, uint8_t msgs[3][HS_HANDSHAKE_MSG_MAX],
                             size_t lens[3], struct hs_transport **ti, struct hs_transport **tr)
{
	struct hs_handshake *side[2] = { NULL, NULL };
	uint8_t buf[HS_HANDSHAKE_MSG_MAX], id[32];
	size_t len = 0;
	int err = hs_fix_handshake(f, true, &side[0]);
	if (err == 0)
		err = hs_fix_handshake(f, false, &side[1]);
	for (unsigned i = 0; i < 3 && err == 0; i++) {
		err = hs_handshake_write(side[i % 2], buf, sizeof(buf), &len);
		if (err == 0)
			err = hs_handshake_read(side[1 - i % 2], buf, len);
		if (err == 0 && msgs) {
			memcpy(msgs[i], buf, len);
			lens[i] = len;
		}
	}
	if (err == 0)
		err = hs_handshake_finish(side[0], ti, id);
	if (err == 0)
		err = hs_handshake_finish(side[1], tr, id);
	hs_handshake_del(side[0]);
	hs_handshake_del(side[1]);
	return err;
}

/* Fuzz input format shared by the targets and the corpus generator: a sequence of messages,
 * each a 2-byte little-endian length followed by that many bytes (fewer if the input ends
 * first). At most HS_FIX_MSGS_MAX messages are taken from one input, to bound its work. */
#define HS_FIX_MSGS_MAX 32

struct hs_fix_reader {
	const uint8_t *p;
	size_t len;
	unsigned taken;
};

static inline bool hs_fix_next(struct hs_fix_reader *r, const uint8_t **msg, size_t *msglen)
{
	if (r->len < 2 || r->taken >= HS_FIX_MSGS_MAX)
		return false;
	size_t want = (size_t)r->p[0] | (size_t)r->p[1] << 8;
	r->p += 2;
	r->len -= 2;
	*msglen = want < r->len ? want : r->len;
	*msg = r->p;
	r->p += *msglen;
	r->len -= *msglen;
	r->taken++;
	return true;
}

/* A broken invariant is a bug: crash so the fuzzer records the input. */
#define HS_FIX_CHECK(cond)                                                                         \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__,         \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The fixture, built on first use (libFuzzer and the replay driver both call the target
 * directly), then kept for the process. */
static inline const struct hs_fix *hs_fix_get(void)
{
	static struct hs_fix fix;
	static bool ready;
	if (!ready) {
		HS_FIX_CHECK(sodium_init() >= 0);
		HS_FIX_CHECK(hs_fix_new(&fix) == 0);
		ready = true;
	}
	return &fix;
}

/* After the handshake: every remaining message goes to the transport. A message that
 * decrypts is answered (exercising the send side), and never decrypts a second time. */
static inline void hs_fix_drive_transport(struct hs_transport *t, struct hs_fix_reader *rd)
{
	static uint8_t pt[HS_NOISE_MSG_MAX], ct[HS_NOISE_MSG_MAX];
	const uint8_t *msg;
	size_t msglen, ptlen, ctlen;

	while (hs_fix_next(rd, &msg, &msglen)) {
		int err = hs_transport_decrypt(t, pt, sizeof(pt), &ptlen, msg, msglen);
		HS_FIX_CHECK(err == 0 || hs_fix_is_known_error(err));
		if (err != 0) {
			HS_FIX_CHECK(ptlen == 0);
			continue;
		}
		HS_FIX_CHECK(ptlen + HS_NOISE_TAG_LEN == msglen);
		err = hs_transport_decrypt(t, ct, sizeof(ct), &ctlen, msg, msglen);
		HS_FIX_CHECK(err == HS_ERR_DECRYPT || err == HS_ERR_NONCE_EXHAUSTED);
		err = hs_transport_encrypt(t, ct, sizeof(ct), &ctlen, pt, ptlen);
		HS_FIX_CHECK(err == 0 || err == HS_ERR_NONCE_EXHAUSTED);
	}
}

/* Drives one role of the handshake with the input's messages: our messages are written
 * whenever it is our turn, the peer's are read; after completion the rest goes to the
 * transport. Invariants: only known errors; a failure kills the handshake for good; our own
 * writes never fail on our turn; done implies the proven peer identity is the fixture peer's
 * (nothing else can sign for the fixture's static keys). */
static inline void hs_fix_drive(bool initiator, const uint8_t *data, size_t size)
{
	const struct hs_fix *f = hs_fix_get();
	struct hs_fix_reader rd = { data, size, 0 };
	struct hs_handshake *hs;
	struct hs_transport *t = NULL;
	uint8_t out[HS_HANDSHAKE_MSG_MAX], peer[32];
	const uint8_t *msg;
	size_t msglen, outlen;

	HS_FIX_CHECK(hs_fix_handshake(f, initiator, &hs) == 0);
	for (;;) {
		bool wants = hs_handshake_wants_write(hs), done = hs_handshake_is_done(hs);
		HS_FIX_CHECK(!(wants && done));
		if (wants) {
			HS_FIX_CHECK(hs_handshake_write(hs, out, sizeof(out), &outlen) == 0);
			HS_FIX_CHECK(outlen >= 1 && outlen <= HS_HANDSHAKE_MSG_MAX);
			continue;
		}
		if (done || !hs_fix_next(&rd, &msg, &msglen))
			break;
		int err = hs_handshake_read(hs, msg, msglen);
		HS_FIX_CHECK(err == 0 || hs_fix_is_known_error(err));
		if (err != 0) {
			HS_FIX_CHECK(!hs_handshake_is_done(hs) && !hs_handshake_wants_write(hs));
			HS_FIX_CHECK(hs_handshake_read(hs, msg, msglen) == HS_ERR_STATE);
			HS_FIX_CHECK(hs_handshake_write(hs, out, sizeof(out), &outlen) ==
			             HS_ERR_STATE);
			HS_FIX_CHECK(hs_handshake_finish(hs, &t, peer) == HS_ERR_STATE);
			goto out;
		}
	}
	if (hs_handshake_is_done(hs)) {
		HS_FIX_CHECK(hs_handshake_read(hs, data, size) == HS_ERR_HS_DONE);
		HS_FIX_CHECK(hs_handshake_finish(hs, &t, peer) == 0);
		HS_FIX_CHECK(memcmp(peer, hs_identity_pubkey(initiator ? f->resp.id : f->init.id),
		                    32) == 0);
		hs_fix_drive_transport(t, &rd);
	}
out:
	hs_transport_del(t);
	hs_handshake_del(hs);
}

#endif

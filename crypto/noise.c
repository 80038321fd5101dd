/*
 * Noise XX (revision 34) as a sans-IO state machine: CipherState, SymmetricState and a
 * HandshakeState that interprets the XX message patterns token by token, for
 * Noise_XX_25519_ChaChaPoly_BLAKE2b and Noise_XX_25519_ChaChaPoly_SHA256.
 *
 * Section numbers in comments refer to the Noise specification, revision 34.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/limits.h"
#include "crypto/noise.h"

#define DHLEN        ((size_t)32)
#define KEYLEN       ((size_t)32)
#define TAGLEN       ((size_t)HS_NOISE_TAG_LEN)
#define MSG_MAX      ((size_t)HS_NOISE_MSG_MAX)
#define HASHLEN_MAX  64
#define BLOCKLEN_MAX 128
#define MSGS         3u /* XX has three handshake messages */

/* ---- hash functions (§4.3), HMAC (RFC 2104) and HKDF (§4.3) ------------------------------ */

struct hash_state {
	enum hs_noise_hash hash;
	union {
		crypto_hash_sha256_state sha256;
		crypto_generichash_blake2b_state blake2b;
	} u;
};

static size_t hash_len(enum hs_noise_hash hash)
{
	return hash == HS_NOISE_BLAKE2B ? 64 : 32;
}

static size_t block_len(enum hs_noise_hash hash)
{
	return hash == HS_NOISE_BLAKE2B ? 128 : 64;
}

static void hash_init(struct hash_state *st, enum hs_noise_hash hash)
{
	st->hash = hash;
	if (hash == HS_NOISE_BLAKE2B)
		(void)crypto_generichash_blake2b_init(&st->u.blake2b, NULL, 0, 64);
	else
		(void)crypto_hash_sha256_init(&st->u.sha256);
}

static void hash_update(struct hash_state *st, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (st->hash == HS_NOISE_BLAKE2B)
		(void)crypto_generichash_blake2b_update(&st->u.blake2b, p, n);
	else
		(void)crypto_hash_sha256_update(&st->u.sha256, p, n);
}

/* Writes hash_len() bytes and wipes the state (it may have absorbed key material). */
static void hash_final(struct hash_state *st, uint8_t *out)
{
	if (st->hash == HS_NOISE_BLAKE2B)
		(void)crypto_generichash_blake2b_final(&st->u.blake2b, out, 64);
	else
		(void)crypto_hash_sha256_final(&st->u.sha256, out);
	sodium_memzero(st, sizeof(*st));
}

/* out = HMAC-HASH(key, d1 || d2). out may alias key. */
static void hmac(enum hs_noise_hash hash, uint8_t *out, const uint8_t *key, size_t keylen,
                 const uint8_t *d1, size_t d1len, const uint8_t *d2, size_t d2len)
{
	size_t blocklen = block_len(hash), hashlen = hash_len(hash);
	uint8_t k[BLOCKLEN_MAX] = { 0 }, pad[BLOCKLEN_MAX], inner[HASHLEN_MAX];
	struct hash_state st;

	if (keylen > blocklen) {
		hash_init(&st, hash);
		hash_update(&st, key, keylen);
		hash_final(&st, k);
	} else {
		memcpy(k, key, keylen);
	}
	for (size_t i = 0; i < blocklen; i++)
		pad[i] = (uint8_t)(k[i] ^ 0x36);
	hash_init(&st, hash);
	hash_update(&st, pad, blocklen);
	hash_update(&st, d1, d1len);
	hash_update(&st, d2, d2len);
	hash_final(&st, inner);
	for (size_t i = 0; i < blocklen; i++)
		pad[i] = (uint8_t)(k[i] ^ 0x5c);
	hash_init(&st, hash);
	hash_update(&st, pad, blocklen);
	hash_update(&st, inner, hashlen);
	hash_final(&st, out);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

/* HKDF(chaining_key, ikm) with two outputs of HASHLEN bytes each. out1 may alias ck. */
static void hkdf2(enum hs_noise_hash hash, uint8_t *out1, uint8_t *out2, const uint8_t *ck,
                  const uint8_t *ikm, size_t ikmlen)
{
	size_t hashlen = hash_len(hash);
	uint8_t temp_key[HASHLEN_MAX], one = 1, two = 2;

	hmac(hash, temp_key, ck, hashlen, ikm, ikmlen, NULL, 0);
	hmac(hash, out1, temp_key, hashlen, &one, 1, NULL, 0);
	hmac(hash, out2, temp_key, hashlen, out1, hashlen, &two, 1);
	sodium_memzero(temp_key, sizeof(temp_key));
}

/* ---- CipherState (§5.1) ------------------------------------------------------------------ */

struct cipher {
	uint8_t k[KEYLEN];
	uint64_t n;
	bool has_key;
};

struct hs_transport {
	struct cipher send;
	struct cipher recv;
};

static void cipher_init(struct cipher *c, const uint8_t *k)
{
	memcpy(c->k, k, KEYLEN);
	c->n = 0;
	c->has_key = true;
}

/* ChaChaPoly nonce (§12.3): 32 zero bits, then the 64-bit counter little-endian. */
static void cipher_nonce(uint8_t nonce[12], uint64_t n)
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* out = pt (no key) or ENCRYPT(k, n++, ad, pt) with the tag appended; out may equal pt.
 * Rationale: nonce 2^64-1 is reserved (§5.1), so a cipher state refuses to use it rather
 * than ever reusing a (key, nonce) pair. */
static int cipher_encrypt(struct cipher *c, uint8_t *out, const uint8_t *ad, size_t adlen,
                          const uint8_t *pt, size_t ptlen)
{
	uint8_t nonce[12];

	if (!c->has_key) {
		if (ptlen > 0)
			memmove(out, pt, ptlen);
		return 0;
	}
	if (c->n == UINT64_MAX)
		return HS_ERR_NONCE_EXHAUSTED;
	cipher_nonce(nonce, c->n);
	(void)crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, ptlen, ad, adlen, NULL,
	                                                nonce, c->k);
	c->n++;
	return 0;
}

/* out = ct (no key) or DECRYPT(k, n, ad, ct); n advances only on success (§5.1), so a forged
 * message does not desynchronise the channel. out may equal ct. */
static int cipher_decrypt(struct cipher *c, uint8_t *out, const uint8_t *ad, size_t adlen,
                          const uint8_t *ct, size_t ctlen)
{
	uint8_t nonce[12], dummy[1];

	if (!c->has_key) {
		if (ctlen > 0)
			memmove(out, ct, ctlen);
		return 0;
	}
	if (ctlen < TAGLEN)
		return HS_ERR_TRUNCATED;
	if (c->n == UINT64_MAX)
		return HS_ERR_NONCE_EXHAUSTED;
	cipher_nonce(nonce, c->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(ctlen > TAGLEN ? out : dummy, NULL, NULL, ct,
	                                              ctlen, ad, adlen, nonce, c->k) != 0)
		return HS_ERR_DECRYPT;
	c->n++;
	return 0;
}

/* ---- transport --------------------------------------------------------------------------- */

void hs_transport_del(struct hs_transport *t)
{
	if (!t)
		return;
	sodium_memzero(t, sizeof(*t));
	free(t);
}

int hs_transport_encrypt(struct hs_transport *t, uint8_t *out, size_t outcap, size_t *outlen,
                         const uint8_t *pt, size_t ptlen)
{
	*outlen = 0;
	if (ptlen > MSG_MAX - TAGLEN)
		return HS_ERR_TOO_LARGE;
	if (outcap < ptlen + TAGLEN)
		return HS_ERR_BUFFER;
	int err = cipher_encrypt(&t->send, out, NULL, 0, pt, ptlen);
	if (err == 0)
		*outlen = ptlen + TAGLEN;
	return err;
}

int hs_transport_decrypt(struct hs_transport *t, uint8_t *out, size_t outcap, size_t *outlen,
                         const uint8_t *ct, size_t ctlen)
{
	*outlen = 0;
	if (ctlen > MSG_MAX)
		return HS_ERR_TOO_LARGE;
	if (ctlen < TAGLEN)
		return HS_ERR_TRUNCATED;
	if (outcap < ctlen - TAGLEN)
		return HS_ERR_BUFFER;
	int err = cipher_decrypt(&t->recv, out, NULL, 0, ct, ctlen);
	if (err == 0)
		*outlen = ctlen - TAGLEN;
	return err;
}

void hs_transport_set_nonces(struct hs_transport *t, uint64_t send_n, uint64_t recv_n)
{
	t->send.n = send_n;
	t->recv.n = recv_n;
}

/* ---- DH (§12.1) -------------------------------------------------------------------------- */

/* Rationale: an all-zero X25519 output means the peer sent a low-order point; mixing it in
 * would make the "secret" known to anyone, so it is refused (§12.1 allows either; we refuse). */
static int dh(uint8_t out[DHLEN], const uint8_t secret[DHLEN], const uint8_t pub[DHLEN])
{
	if (crypto_scalarmult(out, secret, pub) != 0 || sodium_is_zero(out, DHLEN)) {
		sodium_memzero(out, DHLEN);
		return HS_ERR_BAD_KEY;
	}
	return 0;
}

int hs_x25519_public(uint8_t pub[32], const uint8_t secret[32])
{
	if (crypto_scalarmult_base(pub, secret) != 0 || sodium_is_zero(pub, 32))
		return HS_ERR_BAD_KEY;
	return 0;
}

/* ---- SymmetricState (§5.2) and HandshakeState (§5.3) ------------------------------------- */

enum token { T_END = 0, T_E, T_S, T_EE, T_ES, T_SE };

/* XX (§7.5): -> e;  <- e, ee, s, es;  -> s, se. */
static const enum token xx_pattern[MSGS][5] = {
	{ T_E, T_END },
	{ T_E, T_EE, T_S, T_ES, T_END },
	{ T_S, T_SE, T_END },
};

struct hs_noise {
	enum hs_noise_hash hash;
	size_t hashlen;
	uint8_t ck[HASHLEN_MAX];
	uint8_t h[HASHLEN_MAX];
	struct cipher cs;
	bool initiator;
	bool dead;     /* a message failed: every later call fails */
	bool has_rs;   /* the remote static key has been received */
	bool split;    /* the transport keys were handed out */
	unsigned msgs; /* handshake messages processed, 0..MSGS */
	uint8_t s[DHLEN], s_pub[DHLEN];
	uint8_t e[DHLEN], e_pub[DHLEN];
	uint8_t rs[DHLEN], re[DHLEN];
};

static void mix_hash(struct hs_noise *hs, const uint8_t *data, size_t datalen)
{
	struct hash_state st;

	hash_init(&st, hs->hash);
	hash_update(&st, hs->h, hs->hashlen);
	hash_update(&st, data, datalen);
	hash_final(&st, hs->h);
}

/* MixKey (§5.2): ck, temp_k = HKDF(ck, ikm); k = temp_k truncated to 32 bytes; n = 0. */
static void mix_key(struct hs_noise *hs, const uint8_t *ikm, size_t ikmlen)
{
	uint8_t temp_k[HASHLEN_MAX];

	hkdf2(hs->hash, hs->ck, temp_k, hs->ck, ikm, ikmlen);
	cipher_init(&hs->cs, temp_k);
	sodium_memzero(temp_k, sizeof(temp_k));
}

static int encrypt_and_hash(struct hs_noise *hs, uint8_t *out, const uint8_t *pt, size_t ptlen)
{
	int err = cipher_encrypt(&hs->cs, out, hs->h, hs->hashlen, pt, ptlen);
	if (err == 0)
		mix_hash(hs, out, ptlen + (hs->cs.has_key ? TAGLEN : 0));
	return err;
}

/* The new h is computed before decrypting, so out may alias ct. */
static int decrypt_and_hash(struct hs_noise *hs, uint8_t *out, const uint8_t *ct, size_t ctlen)
{
	uint8_t h2[HASHLEN_MAX];
	struct hash_state st;

	hash_init(&st, hs->hash);
	hash_update(&st, hs->h, hs->hashlen);
	hash_update(&st, ct, ctlen);
	hash_final(&st, h2);
	int err = cipher_decrypt(&hs->cs, out, hs->h, hs->hashlen, ct, ctlen);
	if (err == 0)
		memcpy(hs->h, h2, hs->hashlen);
	return err;
}

/* Wipes every secret: after a failure, or when the object is deleted. */
static void wipe_secrets(struct hs_noise *hs)
{
	sodium_memzero(hs->ck, sizeof(hs->ck));
	sodium_memzero(&hs->cs, sizeof(hs->cs));
	sodium_memzero(hs->s, sizeof(hs->s));
	sodium_memzero(hs->e, sizeof(hs->e));
}

static void make_dead(struct hs_noise *hs)
{
	hs->dead = true;
	wipe_secrets(hs);
	sodium_memzero(hs->h, sizeof(hs->h));
	sodium_memzero(hs->rs, sizeof(hs->rs));
	sodium_memzero(hs->re, sizeof(hs->re));
}

int hs_noise_new(struct hs_noise **out, enum hs_noise_hash hash, bool initiator,
                 const uint8_t *prologue, size_t prologuelen, const uint8_t s_secret[32],
                 const uint8_t e_secret[32])
{
	static const char *const names[] = {
		[HS_NOISE_BLAKE2B] = "Noise_XX_25519_ChaChaPoly_BLAKE2b",
		[HS_NOISE_SHA256] = "Noise_XX_25519_ChaChaPoly_SHA256",
	};
	struct hs_noise *hs;

	*out = NULL;
	if (hash != HS_NOISE_BLAKE2B && hash != HS_NOISE_SHA256)
		return HS_ERR_INVALID;
	if (!s_secret || !e_secret || (!prologue && prologuelen > 0))
		return HS_ERR_INVALID;
	hs = calloc(1, sizeof(*hs));
	if (!hs)
		return HS_ERR_NOMEM;
	hs->hash = hash;
	hs->hashlen = hash_len(hash);
	hs->initiator = initiator;
	memcpy(hs->s, s_secret, DHLEN);
	memcpy(hs->e, e_secret, DHLEN);
	if (hs_x25519_public(hs->s_pub, hs->s) != 0 || hs_x25519_public(hs->e_pub, hs->e) != 0) {
		hs_noise_del(hs);
		return HS_ERR_BAD_KEY;
	}
	/* InitializeSymmetric (§5.2): both names are at most HASHLEN bytes, so h is the name
	 * zero-padded to HASHLEN. */
	size_t namelen = strlen(names[hash]);
	memcpy(hs->h, names[hash], namelen);
	memcpy(hs->ck, hs->h, hs->hashlen);
	mix_hash(hs, prologue, prologuelen);
	*out = hs;
	return 0;
}

void hs_noise_del(struct hs_noise *hs)
{
	if (!hs)
		return;
	sodium_memzero(hs, sizeof(*hs));
	free(hs);
}

bool hs_noise_wants_write(const struct hs_noise *hs)
{
	/* The initiator writes messages 0 and 2, the responder message 1. */
	return !hs->dead && hs->msgs < MSGS && ((hs->msgs % 2 == 0) == hs->initiator);
}

bool hs_noise_is_done(const struct hs_noise *hs)
{
	return !hs->dead && hs->msgs == MSGS;
}

/* Length of the next message with an empty payload: tokens plus the payload's tag. */
static size_t overhead(const struct hs_noise *hs, bool *payload_encrypted)
{
	bool has_key = hs->cs.has_key;
	size_t len = 0;

	for (const enum token *t = xx_pattern[hs->msgs]; *t != T_END; t++) {
		if (*t == T_E)
			len += DHLEN;
		else if (*t == T_S)
			len += DHLEN + (has_key ? TAGLEN : 0);
		else
			has_key = true;
	}
	*payload_encrypted = has_key;
	return len + (has_key ? TAGLEN : 0);
}

/* The DH of a token; es and se depend on the role (§7.1). */
static int token_dh(struct hs_noise *hs, enum token t)
{
	uint8_t shared[DHLEN];
	int err;

	if (t == T_EE)
		err = dh(shared, hs->e, hs->re);
	else if ((t == T_ES) == hs->initiator)
		err = dh(shared, hs->e, hs->rs); /* initiator's es, responder's se */
	else
		err = dh(shared, hs->s, hs->re); /* responder's es, initiator's se */
	if (err == 0)
		mix_key(hs, shared, DHLEN);
	sodium_memzero(shared, sizeof(shared));
	return err;
}

static int write_tokens(struct hs_noise *hs, uint8_t *out, size_t *off)
{
	int err = 0;

	for (const enum token *t = xx_pattern[hs->msgs]; *t != T_END && err == 0; t++) {
		if (*t == T_E) {
			memcpy(out + *off, hs->e_pub, DHLEN);
			mix_hash(hs, hs->e_pub, DHLEN);
			*off += DHLEN;
		} else if (*t == T_S) {
			size_t len = DHLEN + (hs->cs.has_key ? TAGLEN : 0);
			err = encrypt_and_hash(hs, out + *off, hs->s_pub, DHLEN);
			*off += len;
		} else {
			err = token_dh(hs, *t);
		}
	}
	return err;
}

int hs_noise_write(struct hs_noise *hs, uint8_t *out, size_t outcap, size_t *outlen,
                   const uint8_t *payload, size_t payloadlen)
{
	bool encrypted;
	size_t off = 0;
	int err;

	*outlen = 0;
	if (!hs_noise_wants_write(hs))
		return HS_ERR_STATE;
	if (!payload && payloadlen > 0)
		return HS_ERR_INVALID;
	size_t need = overhead(hs, &encrypted);
	if (payloadlen > MSG_MAX - need)
		return HS_ERR_TOO_LARGE;
	need += payloadlen;
	if (outcap < need)
		return HS_ERR_BUFFER;
	err = write_tokens(hs, out, &off);
	if (err == 0)
		err = encrypt_and_hash(hs, out + off, payload, payloadlen);
	if (err != 0) {
		make_dead(hs);
		sodium_memzero(out, need);
		return err;
	}
	hs->msgs++;
	*outlen = need;
	return 0;
}

static int read_tokens(struct hs_noise *hs, const uint8_t *msg, size_t *off)
{
	uint8_t check[DHLEN];
	int err = 0;

	for (const enum token *t = xx_pattern[hs->msgs]; *t != T_END && err == 0; t++) {
		if (*t == T_E) {
			memcpy(hs->re, msg + *off, DHLEN);
			mix_hash(hs, hs->re, DHLEN);
			*off += DHLEN;
			/* Rationale: the responder's first DH with re happens only when it
			 * writes; checking re here blames the message that carried it. */
			if (!hs->initiator)
				err = dh(check, hs->e, hs->re);
			sodium_memzero(check, sizeof(check));
		} else if (*t == T_S) {
			size_t len = DHLEN + (hs->cs.has_key ? TAGLEN : 0);
			err = decrypt_and_hash(hs, hs->rs, msg + *off, len);
			hs->has_rs = err == 0;
			*off += len;
		} else {
			err = token_dh(hs, *t);
		}
	}
	return err;
}

int hs_noise_read(struct hs_noise *hs, uint8_t *payload, size_t payloadcap, size_t *payloadlen,
                  const uint8_t *msg, size_t msglen)
{
	uint8_t dummy[1];
	bool encrypted;
	size_t off = 0;
	int err;

	*payloadlen = 0;
	if (hs->dead || hs->msgs >= MSGS || hs_noise_wants_write(hs))
		return HS_ERR_STATE;
	size_t min = overhead(hs, &encrypted);
	if (msglen > MSG_MAX) {
		err = HS_ERR_TOO_LARGE;
		goto out;
	}
	if (msglen < min) {
		err = HS_ERR_TRUNCATED;
		goto out;
	}
	/* A caller's buffer that is too small is not the peer's fault: the state is kept. */
	if (payloadcap < msglen - min)
		return HS_ERR_BUFFER;
	err = read_tokens(hs, msg, &off);
	if (err == 0)
		err = decrypt_and_hash(hs, msglen > min ? payload : dummy, msg + off, msglen - off);
out:
	if (err != 0) {
		make_dead(hs);
		return err;
	}
	hs->msgs++;
	*payloadlen = msglen - min;
	return 0;
}

size_t hs_noise_handshake_hash(const struct hs_noise *hs, uint8_t out[64])
{
	if (!hs_noise_is_done(hs))
		return 0;
	memcpy(out, hs->h, hs->hashlen);
	return hs->hashlen;
}

const uint8_t *hs_noise_remote_static(const struct hs_noise *hs)
{
	return hs->has_rs && !hs->dead ? hs->rs : NULL;
}

/* Split (§5.2): two cipher states from HKDF(ck, ""); the first is the initiator's sending
 * key. The handshake's own secrets are no longer needed and are wiped. */
int hs_noise_split(struct hs_noise *hs, struct hs_transport **out)
{
	uint8_t k1[HASHLEN_MAX], k2[HASHLEN_MAX];
	struct hs_transport *t;

	*out = NULL;
	if (!hs_noise_is_done(hs) || hs->split)
		return HS_ERR_STATE;
	t = calloc(1, sizeof(*t));
	if (!t)
		return HS_ERR_NOMEM;
	hkdf2(hs->hash, k1, k2, hs->ck, NULL, 0);
	cipher_init(hs->initiator ? &t->send : &t->recv, k1);
	cipher_init(hs->initiator ? &t->recv : &t->send, k2);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	wipe_secrets(hs);
	hs->split = true;
	*out = t;
	return 0;
}

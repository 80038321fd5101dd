/*
 * The secp256k1 context, identity keys and BIP340 signatures (see crypto/crypto.h).
 *
 * An hs_identity holds a libsecp256k1 keypair (secret key and its public point) and caches
 * the 32-byte x-only public key, so hs_identity_pubkey() costs nothing. The keypair is the
 * only copy of the secret this module keeps; it is wiped with sodium_memzero before the
 * memory is freed, on every path.
 *
 * Verification takes peer bytes: a public key that does not parse is HS_ERR_BAD_KEY, any
 * other failure HS_ERR_BAD_SIG. libsecp256k1 never aborts on such bytes (its illegal-argument
 * callback fires only for NULL pointers, which we never pass).
 */
#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "crypto/crypto.h"

struct hs_crypto {
	secp256k1_context *ctx;
};

struct hs_identity {
	secp256k1_keypair keypair; /* secret: wiped before free */
	uint8_t pub[32];           /* x-only public key, serialized */
};

int hs_crypto_new(struct hs_crypto **out, const uint8_t seed[32])
{
	*out = NULL;
	struct hs_crypto *c = malloc(sizeof(*c));
	if (c == NULL)
		return HS_ERR_NOMEM;
	c->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (c->ctx == NULL) {
		free(c);
		return HS_ERR_NOMEM;
	}
	/* Rationale: blinding the signing context hides the secret scalar's bits from power and
	 * timing side channels in the base-point multiplication. */
	if (!secp256k1_context_randomize(c->ctx, seed)) {
		secp256k1_context_destroy(c->ctx);
		free(c);
		return HS_ERR_INVALID;
	}
	*out = c;
	return 0;
}

void hs_crypto_del(struct hs_crypto *crypto)
{
	if (crypto == NULL)
		return;
	/* The context holds the blinding values derived from the seed. */
	secp256k1_context_destroy(crypto->ctx);
	free(crypto);
}

static void identity_free(struct hs_identity *id)
{
	sodium_memzero(id, sizeof(*id));
	free(id);
}

int hs_identity_new(struct hs_identity **out, const struct hs_crypto *crypto,
                    const uint8_t secret[32])
{
	int err = 0;
	secp256k1_xonly_pubkey xpub;
	*out = NULL;
	struct hs_identity *id = malloc(sizeof(*id));
	if (id == NULL)
		return HS_ERR_NOMEM;
	/* Fails for zero and for values not below the curve order n. */
	if (!secp256k1_keypair_create(crypto->ctx, &id->keypair, secret)) {
		err = HS_ERR_BAD_KEY;
		goto out;
	}
	/* Both calls return 1 for any keypair that keypair_create accepted. */
	if (!secp256k1_keypair_xonly_pub(crypto->ctx, &xpub, NULL, &id->keypair) ||
	    !secp256k1_xonly_pubkey_serialize(crypto->ctx, id->pub, &xpub))
		abort();
	*out = id;
	id = NULL;
out:
	if (id != NULL)
		identity_free(id);
	return err;
}

void hs_identity_del(struct hs_identity *id)
{
	if (id != NULL)
		identity_free(id);
}

const uint8_t *hs_identity_pubkey(const struct hs_identity *id)
{
	return id->pub;
}

void hs_identity_export(const struct hs_identity *id, uint8_t secret[32])
{
	/* keypair_sec only copies bytes out; the static context needs no blinding for that. */
	if (!secp256k1_keypair_sec(secp256k1_context_static, secret, &id->keypair))
		abort();
}

int hs_identity_sign(const struct hs_crypto *crypto, const struct hs_identity *id, uint8_t sig[64],
                     const uint8_t digest[32], const uint8_t aux[32])
{
	/* Rationale: fresh aux randomness makes every nonce unpredictable even if the digest
	 * repeats, which is BIP340's defence against fault and differential side-channel
	 * attacks; the nonce still depends on the secret, so a weak RNG cannot leak the key. */
	if (!secp256k1_schnorrsig_sign32(crypto->ctx, sig, digest, &id->keypair, aux))
		return HS_ERR_BAD_KEY;
	return 0;
}

int hs_verify(const struct hs_crypto *crypto, const uint8_t pub[32], const uint8_t sig[64],
              const uint8_t digest[32])
{
	secp256k1_xonly_pubkey xpub;
	if (!secp256k1_xonly_pubkey_parse(crypto->ctx, &xpub, pub))
		return HS_ERR_BAD_KEY;
	if (!secp256k1_schnorrsig_verify(crypto->ctx, sig, digest, 32, &xpub))
		return HS_ERR_BAD_SIG;
	return 0;
}

/* ---- parsed-key cache ---------------------------------------------------------------------- */

struct keycache_slot {
	uint8_t pub[32];
	secp256k1_xonly_pubkey parsed;
	bool used;
};

struct hs_keycache {
	uint8_t key[16];
	size_t mask;
	struct keycache_slot slots[];
};

int hs_keycache_new(struct hs_keycache **out, const uint8_t secret[16], size_t slots)
{
	size_t n = 1;
	while (n < slots && n < ((size_t)1 << 20))
		n *= 2;
	struct hs_keycache *kc = calloc(1, sizeof(*kc) + n * sizeof(kc->slots[0]));
	if (!kc)
		return HS_ERR_NOMEM;
	memcpy(kc->key, secret, 16);
	kc->mask = n - 1;
	*out = kc;
	return 0;
}

void hs_keycache_del(struct hs_keycache *kc)
{
	free(kc);
}

int hs_verify_cached(const struct hs_crypto *crypto, struct hs_keycache *kc, const uint8_t pub[32],
                     const uint8_t sig[64], const uint8_t digest[32])
{
	struct keycache_slot *s = &kc->slots[hs_shorthash(kc->key, pub, 32) & kc->mask];
	if (!s->used || memcmp(s->pub, pub, 32) != 0) {
		secp256k1_xonly_pubkey xpub;
		if (!secp256k1_xonly_pubkey_parse(crypto->ctx, &xpub, pub))
			return HS_ERR_BAD_KEY; /* invalid keys are not cached: they cost their parse
			                        */
		memcpy(s->pub, pub, 32);
		s->parsed = xpub;
		s->used = true;
	}
	if (!secp256k1_schnorrsig_verify(crypto->ctx, sig, digest, 32, &s->parsed))
		return HS_ERR_BAD_SIG;
	return 0;
}

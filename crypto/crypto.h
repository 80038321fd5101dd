/*
 * crypto/: hashes, identity keys and BIP340 signatures.
 *
 * A node is its 32-byte x-only secp256k1 public key. Every signature is BIP340 over a
 * *tagged hash* (BIP340 style: SHA256(SHA256(tag) || SHA256(tag) || msg)) whose tag names the
 * object type and the network, "hearsay/<purpose>/<network>", so a signature made for one
 * purpose or network never verifies for another.
 *
 * Sans-IO: nothing here reads a clock, a file or a global RNG. Randomness (key generation,
 * context blinding, BIP340 auxiliary randomness) is passed in as bytes by the driver, which
 * must have called sodium_init() first. Secret keys live only in the opaque types below and
 * are wiped on every exit path; they never reach a log line.
 *
 * Attacker model: public keys, signatures and messages given to hs_verify() are peer bytes
 * and may be anything; hs_verify() never crashes on them and answers 0 or an error.
 */
#ifndef HEARSAY_CRYPTO_H
#define HEARSAY_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "base/wire.h"
#include "hearsay/error.h"

/* ---- hashes ------------------------------------------------------------------------- */

void hs_sha256(uint8_t out[32], const void *data, size_t datalen);
/* BLAKE2b with a 32-byte output: object ids are this hash of the signed encoding. */
void hs_blake2b256(uint8_t out[32], const void *data, size_t datalen);

/* A BIP340 tag with its 64-byte prefix already absorbed, so each hash costs only the message. */
struct hs_tag {
	crypto_hash_sha256_state mid;
};

/* Tag string "hearsay/<purpose>/<network>". HS_ERR_INVALID if purpose or network is not a
 * valid name (hs_name_is_valid with HS_NETWORK_MAX for the network). */
HS_MUST_USE int hs_tag_init(struct hs_tag *tag, const char *purpose, const char *network);
/* out = SHA256(SHA256(tag) || SHA256(tag) || msg). */
void hs_tag_hash(const struct hs_tag *tag, uint8_t out[32], const void *msg, size_t msglen);

/* ---- secret-keyed short hash --------------------------------------------------------- */

/* SipHash-2-4 under a 16-byte secret: for hash maps and buckets keyed by peer data, so a
 * peer cannot choose colliding keys. */
uint64_t hs_shorthash(const uint8_t key[16], const void *data, size_t datalen);

/* ---- the secp256k1 context ------------------------------------------------------------ */

struct hs_crypto;

/* seed: 32 random bytes blinding the signing context against side channels. */
HS_MUST_USE int hs_crypto_new(struct hs_crypto **out, const uint8_t seed[32]);
void hs_crypto_del(struct hs_crypto *crypto);

/* ---- identities (secret) ------------------------------------------------------------- */

struct hs_identity;

/* From a 32-byte secret key; HS_ERR_BAD_KEY if it is zero or not below the curve order.
 * To generate a key, pass 32 fresh random bytes and retry on HS_ERR_BAD_KEY. */
HS_MUST_USE int hs_identity_new(struct hs_identity **out, const struct hs_crypto *crypto,
                                const uint8_t secret[32]);
/* Wipes the secret and frees. */
void hs_identity_del(struct hs_identity *id);
/* The 32-byte x-only public key: the node id. */
const uint8_t *hs_identity_pubkey(const struct hs_identity *id);
/* Copies the secret key out, for the driver to write the key file. Wipe it after use. */
void hs_identity_export(const struct hs_identity *id, uint8_t secret[32]);

/* BIP340 signature over a 32-byte digest (normally an hs_tag_hash output); aux is 32 fresh
 * random bytes (BIP340 auxiliary randomness). */
HS_MUST_USE int hs_identity_sign(const struct hs_crypto *crypto, const struct hs_identity *id,
                                 uint8_t sig[64], const uint8_t digest[32], const uint8_t aux[32]);

/* 0 if sig is pub's BIP340 signature of digest; HS_ERR_BAD_KEY if pub is not an x-only key
 * on the curve; HS_ERR_BAD_SIG otherwise. */
HS_MUST_USE int hs_verify(const struct hs_crypto *crypto, const uint8_t pub[32],
                          const uint8_t sig[64], const uint8_t digest[32]);

/* ---- parsed public keys ------------------------------------------------------------------ */

/* A direct-mapped cache of parsed x-only public keys: verifying a signature from a key seen
 * before skips the square root that parsing costs (about 13 % of a verification). Slots are
 * chosen by SipHash under a secret (peers choose the keys), so collisions cannot be aimed; a
 * collision only costs the parse again. Not thread-safe; holds no secret. */
struct hs_keycache;

/* slots is rounded up to a power of two (at most 2^20). */
HS_MUST_USE int hs_keycache_new(struct hs_keycache **out, const uint8_t secret[16], size_t slots);
void hs_keycache_del(struct hs_keycache *kc);
/* hs_verify, with the key's parse cached. */
HS_MUST_USE int hs_verify_cached(const struct hs_crypto *crypto, struct hs_keycache *kc,
                                 const uint8_t pub[32], const uint8_t sig[64],
                                 const uint8_t digest[32]);

#endif

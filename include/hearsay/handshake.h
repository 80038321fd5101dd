/*
 * crypto/: the hearsay handshake — Noise_XX_25519_ChaChaPoly_BLAKE2b with identity payloads.
 *
 * Each handshake message on the wire is one step byte (1, 2 or 3) followed by the Noise
 * message. The prologue is "hearsay/noise/1". Payloads (docs/PROTOCOL.md has every byte):
 *
 *   1  -> e                 version u8 || network (varint length || bytes)     (cleartext)
 *   2  <- e, ee, s, es      version u8 || network || identity[32] || sig[64]   (encrypted)
 *   3  -> s, se             identity[32] || sig[64]                            (encrypted)
 *
 * sig is the sender's BIP340 signature, by its identity key, over
 * tagged_hash("hearsay/noise-static/<network>", noise_static_public_key): it binds the Noise
 * static key (whose possession Noise proves) to the secp256k1 identity and to the network.
 * So when the handshake completes, the peer's identity is known and proven, on our network.
 *
 * Failures, each distinct: HS_ERR_HS_NETWORK (another network), HS_ERR_HS_VERSION,
 * HS_ERR_HS_IDENTITY (bad identity signature or key), HS_ERR_TRUNCATED, HS_ERR_HS_REPLAY (a
 * step already processed), HS_ERR_HS_ORDER (a step ahead of its turn), HS_ERR_DECRYPT
 * (tampered, or from another session), HS_ERR_BAD_VALUE (an unknown step or malformed payload),
 * HS_ERR_TOO_LARGE (over the Noise limit). After any failure the handshake is dead.
 *
 * Attacker model: the peer controls every byte handed to hs_handshake_read(), and may replay
 * messages from this or other sessions, reorder, truncate or flood them.
 */
#ifndef HEARSAY_HANDSHAKE_H
#define HEARSAY_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearsay/crypto.h"
#include "hearsay/error.h"
#include "hearsay/limits.h"
#include "hearsay/noise.h"

/* Largest hearsay handshake message: step byte + message 2. */
#define HS_HANDSHAKE_MSG_MAX 256

/* A node's Noise static key pair (X25519). Opaque; the secret never leaves crypto/. */
struct hs_noise_static;

HS_MUST_USE int hs_noise_static_new(struct hs_noise_static **out, const uint8_t secret[32]);
void hs_noise_static_del(struct hs_noise_static *s);
const uint8_t *hs_noise_static_pubkey(const struct hs_noise_static *s);

/* sig = BIP340 signature by id over tagged_hash("hearsay/noise-static/<network>", static
 * public key). Made once at start by the driver; public, so the overlay may hold it. */
HS_MUST_USE int hs_handshake_prove(const struct hs_crypto *crypto, const struct hs_identity *id,
                                   const char *network, const struct hs_noise_static *s,
                                   const uint8_t aux[32], uint8_t sig[64]);

/* Borrowed by hs_handshake_new: everything pointed to must outlive the handshake. */
struct hs_handshake_config {
	const struct hs_crypto *crypto;
	const struct hs_noise_static *noise_static;
	const uint8_t *identity;     /* our 32-byte identity public key */
	const uint8_t *identity_sig; /* hs_handshake_prove() */
	const char *network;
};

struct hs_handshake;

/* ephemeral: 32 fresh random bytes, the X25519 ephemeral secret. */
HS_MUST_USE int hs_handshake_new(struct hs_handshake **out, const struct hs_handshake_config *cfg,
                                 bool initiator, const uint8_t ephemeral[32]);
/* Wipes every key and frees. */
void hs_handshake_del(struct hs_handshake *hs);

/* True when this side must write the next message (hs_handshake_write). */
bool hs_handshake_wants_write(const struct hs_handshake *hs);
/* True once both sides' identities are proven and transport keys exist. */
bool hs_handshake_is_done(const struct hs_handshake *hs);

/* Writes the next message (step byte + Noise message), at most HS_HANDSHAKE_MSG_MAX bytes. */
HS_MUST_USE int hs_handshake_write(struct hs_handshake *hs, uint8_t *out, size_t outcap,
                                   size_t *outlen);
/* Reads one message from the peer. */
HS_MUST_USE int hs_handshake_read(struct hs_handshake *hs, const uint8_t *msg, size_t msglen);

/* After completion: the peer's proven identity and the transport. Call once. */
HS_MUST_USE int hs_handshake_finish(struct hs_handshake *hs, struct hs_transport **transport,
                                    uint8_t remote_identity[32]);

#endif

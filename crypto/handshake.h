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
 * The network is carried as a varint length and the name; a name is 1..HS_NETWORK_MAX bytes,
 * so the varint is always one byte below 0x80, and any other form is malformed. No bytes may
 * follow a payload. Payload 1 travels in clear (Noise has no key yet), so an observer sees the
 * version and network; payloads 2 and 3 are encrypted, and message 3 is the only one that
 * reveals the initiator's identity, to a responder that already proved its own.
 *
 * Failures of hs_handshake_read(), each distinct, checked cheapest first (length, step byte,
 * Noise, payload fields, signature):
 *   HS_ERR_TRUNCATED     empty message, or too short for its tokens or payload fields
 *   HS_ERR_TOO_LARGE     longer than HS_HANDSHAKE_MSG_MAX (so also over the Noise limit)
 *   HS_ERR_BAD_VALUE     unknown step byte (0 or > 3), or a malformed network field
 *   HS_ERR_HS_REPLAY     a step this session already processed (written or read)
 *   HS_ERR_HS_ORDER      a step ahead of its turn, or arriving when it is our turn to write
 *   HS_ERR_DECRYPT       an AEAD tag fails: tampered, or from another session
 *   HS_ERR_BAD_KEY       the peer's X25519 key is a low-order point (all-zero DH output)
 *   HS_ERR_HS_VERSION    the peer's version is not HS_PROTOCOL_VERSION (checked before the
 *                        rest of payloads 1 and 2, whose layout a new version may change)
 *   HS_ERR_HS_NETWORK    a well-formed network name that is not ours
 *   HS_ERR_TRAILING      bytes after the end of a payload
 *   HS_ERR_HS_IDENTITY   the identity key does not parse, or its signature over the Noise
 *                        static key the peer proved it holds does not verify
 * After any of these the handshake is dead: its keys are wiped, and every later call fails
 * with HS_ERR_STATE. Calls that are the caller's mistake change nothing: HS_ERR_STATE (not
 * this side's turn to write), HS_ERR_BUFFER (outcap too small), HS_ERR_HS_DONE (a read or
 * write after completion; the completed handshake stays usable for hs_handshake_finish()).
 *
 * Attacker model: the peer controls every byte handed to hs_handshake_read(), and may replay
 * messages from this or other sessions, reorder, truncate or flood them.
 */
#ifndef HEARSAY_HANDSHAKE_H
#define HEARSAY_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "crypto/crypto.h"
#include "crypto/noise.h"
#include "hearsay/error.h"

/* Largest hearsay handshake message: step byte + message 2 with a 32-byte network is 227
 * bytes; longer messages are refused (HS_ERR_TOO_LARGE) before any cryptography. */
#define HS_HANDSHAKE_MSG_MAX 256

/* A node's Noise static key pair (X25519). Opaque; the secret never leaves crypto/. */
struct hs_noise_static;

HS_MUST_USE int hs_noise_static_new(struct hs_noise_static **out, const uint8_t secret[32]);
void hs_noise_static_del(struct hs_noise_static *s);
const uint8_t *hs_noise_static_pubkey(const struct hs_noise_static *s);

/* sig = BIP340 signature by id over tagged_hash("hearsay/noise-static/<network>", static
 * public key). Made once at start by the driver; public, so the overlay may hold it.
 * aux: 32 fresh random bytes (BIP340 auxiliary randomness). HS_ERR_INVALID for a bad network
 * name. */
HS_MUST_USE int hs_handshake_prove(const struct hs_crypto *crypto, const struct hs_identity *id,
                                   const char *network, const struct hs_noise_static *s,
                                   const uint8_t aux[32], uint8_t sig[64]);

/* Read by hs_handshake_new, which copies what it keeps; only crypto must outlive the handshake. */
struct hs_handshake_config {
	const struct hs_crypto *crypto;
	const struct hs_noise_static *noise_static;
	const uint8_t *identity;     /* our 32-byte identity public key */
	const uint8_t *identity_sig; /* hs_handshake_prove() */
	const char *network;
};

struct hs_handshake;

/* ephemeral: 32 fresh random bytes, the X25519 ephemeral secret. The identity, its signature
 * and the network are copied; crypto must outlive the handshake. HS_ERR_INVALID for a NULL
 * field or an invalid network name. The signature is not checked here: a wrong one makes the
 * peer fail with HS_ERR_HS_IDENTITY. */
HS_MUST_USE int hs_handshake_new(struct hs_handshake **out, const struct hs_handshake_config *cfg,
                                 bool initiator, const uint8_t ephemeral[32]);
/* Wipes every key and frees. */
void hs_handshake_del(struct hs_handshake *hs);

/* True when this side must write the next message (hs_handshake_write). */
bool hs_handshake_wants_write(const struct hs_handshake *hs);
/* True once the peer's identity is proven and our own proof is sent, so hs_handshake_finish()
 * can hand out the transport: for the initiator after writing message 3, for the responder
 * after reading it. The initiator may send transport messages at once (Noise XX allows it). */
bool hs_handshake_is_done(const struct hs_handshake *hs);

/* Writes the next message (step byte + Noise message), at most HS_HANDSHAKE_MSG_MAX bytes.
 * HS_ERR_STATE if dead or not our turn, HS_ERR_HS_DONE after completion, HS_ERR_BUFFER. */
HS_MUST_USE int hs_handshake_write(struct hs_handshake *hs, uint8_t *out, size_t outcap,
                                   size_t *outlen);
/* Reads one message from the peer (errors: see the top of this file). */
HS_MUST_USE int hs_handshake_read(struct hs_handshake *hs, const uint8_t *msg, size_t msglen);

/* What the peer's hello payload said, even after a failure (for a log line naming a peer on
 * another version or network): false before its version byte was read; else its protocol
 * version, and its network name (empty unless a well-formed one was read; then
 * 1..HS_NETWORK_MAX printable characters without spaces, hs_name_is_valid). Both are the
 * peer's word, unauthenticated in message 1. The string lives as long as the handshake. */
bool hs_handshake_peer_hello(const struct hs_handshake *hs, unsigned *version,
                             const char **network);

/* After completion: the peer's proven identity and the transport (the caller owns it:
 * hs_transport_del). Call once; HS_ERR_STATE before completion, after a failure, or on a
 * second call. The handshake's own keys are wiped here; hs_handshake_del() is still needed. */
HS_MUST_USE int hs_handshake_finish(struct hs_handshake *hs, struct hs_transport **transport,
                                    uint8_t remote_identity[32]);

#endif

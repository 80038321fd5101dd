/*
 * crypto/: the Noise Protocol Framework, pattern XX, as a sans-IO state machine.
 *
 *   XX:  -> e
 *        <- e, ee, s, es
 *        -> s, se
 *
 * DH is X25519, the cipher ChaChaPoly (IETF ChaCha20-Poly1305, nonce = 4 zero bytes ||
 * 64-bit little-endian counter), the hash BLAKE2b (hearsay's suite) or SHA-256 (for the
 * published test vectors). Bytes in, bytes out: no sockets, no clock, no RNG; the caller passes
 * the static and ephemeral secret keys. Message size limits and nonce exhaustion follow the
 * Noise specification (revision 34): no message over 65535 bytes, and a cipher state refuses
 * to use nonce 2^64-1.
 *
 * Attacker model: every message given to hs_noise_read() or hs_transport_decrypt() is peer
 * bytes: any length, any content, replayed or out of order. Failures return an error and leave
 * no secret behind; a failed handshake must be discarded.
 */
#ifndef HEARSAY_NOISE_H
#define HEARSAY_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"

enum hs_noise_hash {
	HS_NOISE_BLAKE2B = 1, /* Noise_XX_25519_ChaChaPoly_BLAKE2b: hearsay's suite */
	HS_NOISE_SHA256 = 2,  /* Noise_XX_25519_ChaChaPoly_SHA256 */
};

/* ---- transport (after the handshake) --------------------------------------------------- */

/* Two cipher states: one to send, one to receive. Opaque; holds keys; wiped on del. */
struct hs_transport;

void hs_transport_del(struct hs_transport *t);
/* out = ciphertext || 16-byte tag, outlen = ptlen + 16. ptlen + 16 must be <= 65535.
 * HS_ERR_NONCE_EXHAUSTED once the send nonce reaches 2^64-1. out may equal pt. */
HS_MUST_USE int hs_transport_encrypt(struct hs_transport *t, uint8_t *out, size_t outcap,
                                     size_t *outlen, const uint8_t *pt, size_t ptlen);
/* HS_ERR_DECRYPT if the tag does not verify (the receive nonce does not advance then);
 * HS_ERR_TRUNCATED if ctlen < 16; HS_ERR_TOO_LARGE if ctlen > 65535. out may equal ct. */
HS_MUST_USE int hs_transport_decrypt(struct hs_transport *t, uint8_t *out, size_t outcap,
                                     size_t *outlen, const uint8_t *ct, size_t ctlen);
/* Noise SetNonce, for tests of nonce exhaustion. */
void hs_transport_set_nonces(struct hs_transport *t, uint64_t send_n, uint64_t recv_n);

/* ---- raw handshake state ------------------------------------------------------------- */

struct hs_noise;

/* s_secret, e_secret: X25519 secret keys (clamped inside). The prologue is copied. */
HS_MUST_USE int hs_noise_new(struct hs_noise **out, enum hs_noise_hash hash, bool initiator,
                             const uint8_t *prologue, size_t prologuelen,
                             const uint8_t s_secret[32], const uint8_t e_secret[32]);
/* Wipes every key and frees. */
void hs_noise_del(struct hs_noise *hs);
/* True when it is this side's turn to write the next handshake message. */
bool hs_noise_wants_write(const struct hs_noise *hs);
bool hs_noise_is_done(const struct hs_noise *hs);
/* Writes the next handshake message carrying payload. HS_ERR_STATE if it is not our turn. */
HS_MUST_USE int hs_noise_write(struct hs_noise *hs, uint8_t *out, size_t outcap, size_t *outlen,
                               const uint8_t *payload, size_t payloadlen);
/* Reads the next handshake message and returns its decrypted payload. HS_ERR_STATE if it is
 * not the peer's turn, HS_ERR_TRUNCATED if too short for its tokens, HS_ERR_DECRYPT if a tag
 * fails. After an error the handshake is dead: every later call fails with HS_ERR_STATE. */
HS_MUST_USE int hs_noise_read(struct hs_noise *hs, uint8_t *payload, size_t payloadcap,
                              size_t *payloadlen, const uint8_t *msg, size_t msglen);
/* After the last message: the handshake hash (32 or 64 bytes) and the remote static key. */
size_t hs_noise_handshake_hash(const struct hs_noise *hs, uint8_t out[64]);
const uint8_t *hs_noise_remote_static(const struct hs_noise *hs);
/* Splits into transport cipher states (send = the initiator's first for the initiator).
 * HS_ERR_STATE before the handshake is done. */
HS_MUST_USE int hs_noise_split(struct hs_noise *hs, struct hs_transport **out);

/* X25519 public key of a secret key (clamped), e.g. to publish a static key. */
HS_MUST_USE int hs_x25519_public(uint8_t pub[32], const uint8_t secret[32]);

#endif

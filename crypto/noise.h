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
 * Invariants: a cipher state never uses a (key, nonce) pair twice and never uses nonce
 * 2^64-1; a receive nonce advances only when a message authenticates; an X25519 result of all
 * zeros (a low-order peer key) is refused, never mixed into the keys.
 *
 * Attacker model: every message given to hs_noise_read() or hs_transport_decrypt() is peer
 * bytes: any length, any content, replayed or out of order. Failures return an error and leave
 * no secret behind; a failed handshake must be discarded.
 *
 * Ownership: inputs are borrowed for the call; output buffers belong to the caller. Objects are
 * heap allocated and wiped (sodium_memzero) when deleted.
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

/* s_secret, e_secret: X25519 secret keys (clamped inside), copied. The prologue is hashed in
 * at once (InitializeSymmetric + MixHash), so it need not outlive the call. */
HS_MUST_USE int hs_noise_new(struct hs_noise **out, enum hs_noise_hash hash, bool initiator,
                             const uint8_t *prologue, size_t prologuelen,
                             const uint8_t s_secret[32], const uint8_t e_secret[32]);
/* Wipes every key and frees. */
void hs_noise_del(struct hs_noise *hs);
/* True when it is this side's turn to write the next handshake message. */
bool hs_noise_wants_write(const struct hs_noise *hs);
bool hs_noise_is_done(const struct hs_noise *hs);
/* Writes the next handshake message carrying payload (which must not overlap out).
 * HS_ERR_STATE if it is not our turn, HS_ERR_TOO_LARGE if the message would exceed 65535 bytes,
 * HS_ERR_BUFFER if outcap is too small: these three leave the state unchanged. */
HS_MUST_USE int hs_noise_write(struct hs_noise *hs, uint8_t *out, size_t outcap, size_t *outlen,
                               const uint8_t *payload, size_t payloadlen);
/* Reads the next handshake message and returns its decrypted payload (payload may equal msg).
 * HS_ERR_STATE if it is not the peer's turn and HS_ERR_BUFFER if payloadcap is too small: the
 * caller's mistakes, which leave the state unchanged. Errors caused by the message itself:
 * HS_ERR_TOO_LARGE (over 65535 bytes), HS_ERR_TRUNCATED (too short for its tokens and tag),
 * HS_ERR_DECRYPT (a tag fails), HS_ERR_BAD_KEY (a peer key is a low-order point). After one of
 * those the handshake is dead, its secrets wiped: every later call fails with HS_ERR_STATE. */
HS_MUST_USE int hs_noise_read(struct hs_noise *hs, uint8_t *payload, size_t payloadcap,
                              size_t *payloadlen, const uint8_t *msg, size_t msglen);
/* After the last message: the handshake hash; returns its length (32 or 64), or 0 (out
 * untouched) if the handshake is not done. */
size_t hs_noise_handshake_hash(const struct hs_noise *hs, uint8_t out[64]);
/* The remote static key (32 bytes, inside hs) once the message carrying it has been read and
 * authenticated; NULL before that or after a failure. */
const uint8_t *hs_noise_remote_static(const struct hs_noise *hs);
/* Splits into transport cipher states (send = the initiator's first for the initiator) and
 * wipes the handshake's secret keys. HS_ERR_STATE before the handshake is done or on a
 * second call. The caller owns *out (hs_transport_del). */
HS_MUST_USE int hs_noise_split(struct hs_noise *hs, struct hs_transport **out);

/* X25519 public key of a secret key (clamped), e.g. to publish a static key. HS_ERR_BAD_KEY
 * only if libsodium refuses. */
HS_MUST_USE int hs_x25519_public(uint8_t pub[32], const uint8_t secret[32]);

#endif

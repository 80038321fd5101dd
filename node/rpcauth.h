/*
 * node/rpcauth.c: the RPC's password check and hex decoding, kept apart from the HTTP server
 * so they are testable alone.
 *
 * An rpcauth line is bitcoind's share/rpcauth format: USER:SALT$HMAC, where HMAC is the
 * lowercase hex of HMAC-SHA256(key = SALT as text, message = PASSWORD). The daemon keeps
 * only the line; the password is known to the client alone. A user or password is whatever
 * an HTTP Basic header carries: attacker-controlled bytes, compared in constant time.
 */
#ifndef HEARSAY_RPCAUTH_H
#define HEARSAY_RPCAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if line has the form USER:SALT$HMAC (USER non-empty without ':', SALT non-empty
 * without '$', HMAC 64 hex digits). */
bool hs_rpcauth_is_valid(const char *line);
/* True if user and password match the line. */
bool hs_rpcauth_verify(const char *line, const char *user, const char *password);
/* Fills out (64 hex digits + NUL) with HMAC-SHA256(salt, password), for the generator. */
void hs_rpcauth_hmac_hex(char out[65], const char *salt, const char *password);

/* Decodes hexlen hex digits (either case) into out. Returns the byte count, or -1 when the
 * text is not hex (an odd length or a non-hex character, whose offset goes to *bad_at when
 * bad_at is not NULL) or does not fit in outcap bytes. */
long hs_hex_decode(uint8_t *out, size_t outcap, const char *hex, size_t hexlen, size_t *bad_at);

#endif

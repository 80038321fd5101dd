/*
 * overlay/: node records — a node's signed, self-certifying description of itself.
 *
 *   id[32] || seq u64 || generation u64 || time_s u64 || services u64 ||
 *   naddrs varint (0..HS_RECORD_ADDRS_MAX) || naddrs × netaddr || sig[64]
 *
 * sig is the BIP340 signature by id over tagged_hash("hearsay/record/<network>", every byte
 * before sig). Higher seq wins. The encoding is at most HS_RECORD_MAX bytes.
 *
 * Canonical rules (docs/PROTOCOL.md §5.2): integers little-endian; naddrs a minimal varint no
 * larger than HS_RECORD_ADDRS_MAX (else HS_ERR_TOO_LARGE); each address canonical
 * (base/netaddr.h); no address listed twice (HS_ERR_BAD_VALUE); the order of the addresses
 * is the signer's preference and is kept; unknown service bits are allowed (forward
 * compatibility) and ignored.
 *
 * Like every signed object: the signature is the last 64 bytes of the encoding and covers
 * the tagged hash of everything before it, so a receiver verifies the bytes it got, and a
 * signer encodes, hashes the prefix and appends. The decoder does not verify the signature.
 *
 * Attacker model: records arrive from any peer, relayed; every field is peer data.
 */
#ifndef HEARSAY_RECORD_H
#define HEARSAY_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/netaddr.h"
#include "base/wire.h"
#include "hearsay/error.h"

/* Service bits a record advertises. */
enum hs_services {
	HS_SERVICE_RELAY = 1u << 0, /* relays rumors and state for others */
	HS_SERVICE_SEED = 1u << 1,  /* a seed/bootnode: hands out addresses */
};

struct hs_record {
	uint8_t id[HS_KEY_LEN];
	uint64_t seq;
	uint64_t generation;
	uint64_t time_s; /* Unix seconds when signed */
	uint64_t services;
	size_t naddrs;
	struct hs_netaddr addrs[HS_RECORD_ADDRS_MAX];
	uint8_t sig[HS_SIG_LEN];
};

/* Streamed forms: errors are sticky in the reader/writer. A failed read leaves *rec all
 * zero; writing an invalid record records HS_ERR_INVALID in w. */
void hs_record_read(struct hs_reader *r, struct hs_record *rec);
void hs_record_write(struct hs_writer *w, const struct hs_record *rec);

/* Whole-buffer forms: decode rejects trailing bytes. encode: HS_ERR_INVALID if rec breaks a
 * canonical rule, HS_ERR_BUFFER if outcap is too small; *outlen set only on success. */
HS_MUST_USE int hs_record_decode(struct hs_record *rec, const uint8_t *data, size_t datalen);
HS_MUST_USE int hs_record_encode(const struct hs_record *rec, uint8_t *out, size_t outcap,
                                 size_t *outlen);
/* Bytes of the encoding of rec (meaningful for a valid record). */
size_t hs_record_encoded_len(const struct hs_record *rec);

#endif

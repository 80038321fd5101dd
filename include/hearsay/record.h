/*
 * overlay/: node records — a node's signed, self-certifying description of itself.
 *
 *   id[32] || seq u64 || generation u64 || time_s u64 || services u64 ||
 *   naddrs varint (0..HS_RECORD_ADDRS_MAX) || naddrs × netaddr || sig[64]
 *
 * sig is the BIP340 signature by id over tagged_hash("hearsay/record/<network>", every byte
 * before sig). Higher seq wins. The encoding is at most HS_RECORD_MAX bytes.
 *
 * Like every signed object: the signature is the last 64 bytes of the encoding and covers
 * the tagged hash of everything before it, so a receiver verifies the bytes it got, and a
 * signer encodes, hashes the prefix and appends.
 */
#ifndef HEARSAY_RECORD_H
#define HEARSAY_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"
#include "hearsay/limits.h"
#include "hearsay/netaddr.h"
#include "hearsay/wire.h"

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

/* Streamed forms: errors are sticky in the reader/writer. */
void hs_record_read(struct hs_reader *r, struct hs_record *rec);
void hs_record_write(struct hs_writer *w, const struct hs_record *rec);

/* Whole-buffer forms: decode rejects trailing bytes. */
HS_MUST_USE int hs_record_decode(struct hs_record *rec, const uint8_t *data, size_t datalen);
HS_MUST_USE int hs_record_encode(const struct hs_record *rec, uint8_t *out, size_t outcap,
                                 size_t *outlen);

#endif

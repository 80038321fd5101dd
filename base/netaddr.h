/*
 * overlay/: network addresses (IPv4 or IPv6 plus a TCP port) and their network groups.
 *
 * Wire form (docs/PROTOCOL.md §5.1): family u8 (4 or 6) || 4 or 16 address bytes ||
 * port u16 LE. Canonical form: an IPv4 address is always family 4, never an IPv4-mapped IPv6
 * address (::ffff:0:0/96, refused with HS_ERR_NONCANONICAL); the port is non-zero; any other
 * family is HS_ERR_BAD_VALUE. In memory, a family-4 address keeps ip[4..15] zero.
 *
 * The network group is the unit of diversity for peer selection: IPv4 /16, IPv6 /32.
 *
 * Attacker model: every address we hold came from a peer (records, hellos); the reader
 * checks every byte and formatting never reads past the struct.
 */
#ifndef HEARSAY_NETADDR_H
#define HEARSAY_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/wire.h"
#include "hearsay/error.h"

enum hs_family {
	HS_AF_INET = 4,
	HS_AF_INET6 = 6,
};

struct hs_netaddr {
	uint8_t family; /* HS_AF_INET or HS_AF_INET6 */
	uint8_t ip[16]; /* IPv4 in ip[0..3], rest zero */
	uint16_t port;
};

/* Longest text form: "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" + NUL. */
#define HS_NETADDR_STRLEN 48
/* Bytes of the wire form: 7 for IPv4, 19 for IPv6. */
#define HS_NETADDR_V4_LEN 7
#define HS_NETADDR_V6_LEN 19

/* Wire form. A failed read records the error in r and leaves *a all zero. Writing an address
 * that is not hs_netaddr_is_valid records HS_ERR_INVALID in w and writes nothing. */
void hs_netaddr_read(struct hs_reader *r, struct hs_netaddr *a);
void hs_netaddr_write(struct hs_writer *w, const struct hs_netaddr *a);

/* True if a is in canonical form (the wire rules above plus zero ip[4..15] for IPv4). */
bool hs_netaddr_is_valid(const struct hs_netaddr *a);
/* Family, address bytes that belong to the family, and port all equal. */
bool hs_netaddr_equal(const struct hs_netaddr *a, const struct hs_netaddr *b);
/* Network group bytes (family byte + 2 bytes for IPv4 /16, + 4 bytes for IPv6 /32), zero
 * padded to 8 bytes, for hashing and comparison. Another family gives its byte then zeros. */
void hs_netaddr_group(const struct hs_netaddr *a, uint8_t group[8]);
bool hs_netaddr_same_group(const struct hs_netaddr *a, const struct hs_netaddr *b);
/* "1.2.3.4:5" or "[::1]:5" (RFC 5952: lowercase, no leading zeros, the longest run of two or
 * more zero groups shortened to "::", the first on a tie; ::ffff:a.b.c.d in mixed notation);
 * an address of another family formats as "invalid". Always NUL-terminated. */
void hs_netaddr_format(const struct hs_netaddr *a, char out[HS_NETADDR_STRLEN]);
/* IPv4 convenience constructor (does not validate: port 0 gives an invalid address). */
struct hs_netaddr hs_netaddr_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
/* From 16 IPv6 address bytes, e.g. a socket address: an IPv4-mapped address becomes family 4,
 * so a driver always produces the canonical form. Does not validate the port. */
struct hs_netaddr hs_netaddr_ipv6(const uint8_t ip[16], uint16_t port);

#endif

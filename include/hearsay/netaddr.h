/*
 * overlay/: network addresses (IPv4 or IPv6 plus a TCP port) and their network groups.
 *
 * Canonical form: an IPv4 address is always family 4, never an IPv4-mapped IPv6 address;
 * port is non-zero. The network group is the unit of diversity: IPv4 /16, IPv6 /32.
 */
#ifndef HEARSAY_NETADDR_H
#define HEARSAY_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"
#include "hearsay/wire.h"

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

/* Wire form: family u8, 4 or 16 address bytes, port u16. Canonical checks as above. */
void hs_netaddr_read(struct hs_reader *r, struct hs_netaddr *a);
void hs_netaddr_write(struct hs_writer *w, const struct hs_netaddr *a);

bool hs_netaddr_equal(const struct hs_netaddr *a, const struct hs_netaddr *b);
/* Network group bytes (family byte + 2 bytes for IPv4 /16, + 4 bytes for IPv6 /32), zero
 * padded to 8 bytes, for hashing and comparison. */
void hs_netaddr_group(const struct hs_netaddr *a, uint8_t group[8]);
bool hs_netaddr_same_group(const struct hs_netaddr *a, const struct hs_netaddr *b);
/* "1.2.3.4:5" or "[::1]:5" (RFC 5952 compressed); always NUL-terminated. */
void hs_netaddr_format(const struct hs_netaddr *a, char out[HS_NETADDR_STRLEN]);
/* IPv4 convenience constructor. */
struct hs_netaddr hs_netaddr_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);

#endif

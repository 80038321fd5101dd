/* Network addresses: canonical wire form, groups and RFC 5952 text (see base/netaddr.h). */
#include <string.h>

#include "base/netaddr.h"

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static size_t family_len(uint8_t family)
{
	switch (family) {
	case HS_AF_INET:
		return 4;
	case HS_AF_INET6:
		return 16;
	default:
		return 0;
	}
}

void hs_netaddr_read(struct hs_reader *r, struct hs_netaddr *a)
{
	memset(a, 0, sizeof(*a));
	uint8_t family = hs_read_u8(r);
	size_t n = family_len(family);
	if (n == 0) {
		hs_reader_fail(r, HS_ERR_BAD_VALUE); /* no-op if the byte was missing */
		return;
	}
	const uint8_t *ip = hs_read_fixed(r, n);
	uint16_t port = hs_read_u16(r);
	if (r->err)
		return;
	/* Rationale: one address, one encoding. A mapped IPv4 address would dodge duplicate
	 * checks and give one host two network groups. */
	if (n == 16 && memcmp(ip, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
		hs_reader_fail(r, HS_ERR_NONCANONICAL);
		return;
	}
	if (port == 0) {
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
		return;
	}
	a->family = family;
	memcpy(a->ip, ip, n);
	a->port = port;
}

bool hs_netaddr_is_valid(const struct hs_netaddr *a)
{
	static const uint8_t zero[12];
	switch (a->family) {
	case HS_AF_INET:
		if (memcmp(a->ip + 4, zero, sizeof(zero)) != 0)
			return false;
		break;
	case HS_AF_INET6:
		if (memcmp(a->ip, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0)
			return false;
		break;
	default:
		return false;
	}
	return a->port != 0;
}

void hs_netaddr_write(struct hs_writer *w, const struct hs_netaddr *a)
{
	if (!hs_netaddr_is_valid(a)) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_u8(w, a->family);
	hs_write_fixed(w, a->ip, family_len(a->family));
	hs_write_u16(w, a->port);
}

bool hs_netaddr_equal(const struct hs_netaddr *a, const struct hs_netaddr *b)
{
	size_t n = family_len(a->family);
	if (n == 0)
		n = sizeof(a->ip);
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, n) == 0;
}

void hs_netaddr_group(const struct hs_netaddr *a, uint8_t group[8])
{
	memset(group, 0, 8);
	group[0] = a->family;
	if (a->family == HS_AF_INET)
		memcpy(group + 1, a->ip, 2);
	else if (a->family == HS_AF_INET6)
		memcpy(group + 1, a->ip, 4);
}

bool hs_netaddr_same_group(const struct hs_netaddr *a, const struct hs_netaddr *b)
{
	uint8_t ga[8], gb[8];
	hs_netaddr_group(a, ga);
	hs_netaddr_group(b, gb);
	return memcmp(ga, gb, sizeof(ga)) == 0;
}

/* ---- text form (no inet_ntop: the core may not include arpa/inet.h) ------------------- */

static char *put_dec(char *p, unsigned v)
{
	char tmp[5];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n < sizeof(tmp));
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static char *put_hex16(char *p, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	bool started = false;
	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 15u;
		if (d != 0 || started || shift == 0) {
			*p++ = digits[d];
			started = true;
		}
	}
	return p;
}

static char *put_ipv4(char *p, const uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		if (i > 0)
			*p++ = '.';
		p = put_dec(p, ip[i]);
	}
	return p;
}

/* RFC 5952 §4.2: the longest run of at least two zero groups, the first one on a tie. */
static void longest_zero_run(const unsigned g[8], int *start, int *len)
{
	*start = -1;
	*len = 0;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i >= 2 && j - i > *len) {
			*start = i;
			*len = j - i;
		}
		i = j > i ? j : i + 1;
	}
}

static char *put_ipv6(char *p, const uint8_t ip[16])
{
	if (memcmp(ip, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
		memcpy(p, "::ffff:", 7);
		return put_ipv4(p + 7, ip + 12);
	}
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
	int zstart, zlen;
	longest_zero_run(g, &zstart, &zlen);
	for (int i = 0; i < 8;) {
		if (i == zstart) {
			*p++ = ':';
			*p++ = ':';
			i += zlen;
			continue;
		}
		if (i > 0 && i != zstart + zlen)
			*p++ = ':';
		p = put_hex16(p, g[i]);
		i++;
	}
	return p;
}

void hs_netaddr_format(const struct hs_netaddr *a, char out[HS_NETADDR_STRLEN])
{
	char *p = out;
	switch (a->family) {
	case HS_AF_INET:
		p = put_ipv4(p, a->ip);
		break;
	case HS_AF_INET6:
		*p++ = '[';
		p = put_ipv6(p, a->ip);
		*p++ = ']';
		break;
	default:
		memcpy(out, "invalid", sizeof("invalid"));
		return;
	}
	*p++ = ':';
	p = put_dec(p, a->port);
	*p = '\0';
}

struct hs_netaddr hs_netaddr_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct hs_netaddr n;
	memset(&n, 0, sizeof(n));
	n.family = HS_AF_INET;
	n.ip[0] = a;
	n.ip[1] = b;
	n.ip[2] = c;
	n.ip[3] = d;
	n.port = port;
	return n;
}

struct hs_netaddr hs_netaddr_ipv6(const uint8_t ip[16], uint16_t port)
{
	if (memcmp(ip, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0)
		return hs_netaddr_ipv4(ip[12], ip[13], ip[14], ip[15], port);
	struct hs_netaddr n;
	memset(&n, 0, sizeof(n));
	n.family = HS_AF_INET6;
	memcpy(n.ip, ip, 16);
	n.port = port;
	return n;
}

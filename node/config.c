/* hearsayd's configuration: file (inih) and flags (see node/config.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "crypto/crypto.h"
#include "node/config.h"
#include "node/log.h"
#include "node/rpcauth.h"
#include "overlay/node.h"
#include "overlay/suggest.h"

#define DEFAULT_PORT 7070

bool hs_netaddr_is_loopback(const struct hs_netaddr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	if (a->family == HS_AF_INET)
		return a->ip[0] == 127;
	return a->family == HS_AF_INET6 && memcmp(a->ip, v6_loopback, 16) == 0;
}

bool hs_netaddr_parse(struct hs_netaddr *a, const char *text, uint16_t default_port)
{
	char host[64];
	const char *port = NULL;
	memset(a, 0, sizeof(*a));
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end || (size_t)(end - text - 1) >= sizeof(host))
			return false;
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return false;
	} else {
		const char *colon = strrchr(text, ':');
		size_t n = colon ? (size_t)(colon - text) : strlen(text);
		if (n >= sizeof(host) || (colon && strchr(text, ':') != colon))
			return false;
		memcpy(host, text, n);
		host[n] = '\0';
		port = colon ? colon + 1 : NULL;
	}
	long p = default_port;
	if (port) {
		char *endp;
		errno = 0;
		p = strtol(port, &endp, 10);
		if (errno || *endp || endp == port)
			return false;
	}
	if (p <= 0 || p > 65535)
		return false;
	uint8_t ip[16];
	if (inet_pton(AF_INET, host, ip) == 1) {
		*a = hs_netaddr_ipv4(ip[0], ip[1], ip[2], ip[3], (uint16_t)p);
		return true;
	}
	if (inet_pton(AF_INET6, host, ip) == 1) {
		*a = hs_netaddr_ipv6(ip, (uint16_t)p);
		return true;
	}
	return false;
}

/* The port after a ':' : digits only, 1..65535. */
static bool parse_port(const char *s, uint16_t *port)
{
	if (!*s || strlen(s) > 5)
		return false;
	unsigned long p = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		p = p * 10 + (unsigned long)(*c - '0');
	}
	if (p == 0 || p > 65535)
		return false;
	*port = (uint16_t)p;
	return true;
}

/* A DNS name (see hs_endpoint_parse); NULL if valid, else why not. */
static const char *check_hostname(const char *h, size_t n)
{
	if (n > 0 && h[n - 1] == '.')
		n--; /* the root label */
	if (n == 0)
		return "the host is empty";
	if (n > HS_HOSTNAME_MAX)
		return "a host name is at most 253 characters";
	size_t label = 0;
	bool digits_only = true;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? h[i] : '.';
		if (c == '.') {
			if (label == 0)
				return "a host name has an empty label (a leading dot or two dots)";
			if (h[i - 1] == '-' || h[i - label] == '-')
				return "a label of a host name may not start or end with '-'";
			if (i == n && digits_only)
				return "not an IPv4 address (and a host name does not end in a "
				       "number)";
			label = 0;
			digits_only = true;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			return "a host name has only letters, digits, '-', '_' and dots";
		if (++label > 63)
			return "a label of a host name is at most 63 characters";
		digits_only &= c >= '0' && c <= '9';
	}
	return NULL;
}

bool hs_endpoint_parse(struct hs_endpoint *e, const char *text, uint16_t default_port,
                       const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	memset(e, 0, sizeof(*e));
	const char *host = text, *port = NULL;
	size_t hostlen;
	uint8_t ip[16];
	char buf[HS_HOSTNAME_MAX + 2];
	if (text[0] == '\0') {
		*why = "empty";
		return false;
	}
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end) {
			*why = "a '[' without its ']'";
			return false;
		}
		host = text + 1;
		hostlen = (size_t)(end - host);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0') {
			*why = "text after ']' that is not :PORT";
			return false;
		}
		if (hostlen >= sizeof(buf) || (memcpy(buf, host, hostlen), buf[hostlen] = '\0',
		                               inet_pton(AF_INET6, buf, ip) != 1)) {
			*why = "not an IPv6 address inside [ ]";
			return false;
		}
	} else {
		const char *colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':')) {
			*why = inet_pton(AF_INET6, text, ip) == 1
			               ? "an IPv6 address goes in brackets: [IPv6]:PORT"
			               : "more than one ':' (an IPv6 address goes in brackets)";
			return false;
		}
		hostlen = colon ? (size_t)(colon - text) : strlen(text);
		port = colon ? colon + 1 : NULL;
		if (hostlen == 0) {
			*why = "the host is empty";
			return false;
		}
		if (hostlen >= sizeof(buf)) {
			*why = "a host name is at most 253 characters";
			return false;
		}
		memcpy(buf, host, hostlen);
		buf[hostlen] = '\0';
	}
	uint16_t p = default_port;
	if (port && !parse_port(port, &p)) {
		*why = "the port must be a number 1..65535";
		return false;
	}
	if (!port && p == 0) {
		*why = "a port is needed (HOST:PORT)";
		return false;
	}
	e->port = p;
	if (text[0] == '[') {
		e->addr = hs_netaddr_ipv6(ip, p);
		return true;
	}
	if (inet_pton(AF_INET, buf, ip) == 1) {
		e->addr = hs_netaddr_ipv4(ip[0], ip[1], ip[2], ip[3], p);
		return true;
	}
	const char *bad = check_hostname(buf, hostlen);
	if (bad) {
		*why = bad;
		return false;
	}
	if (buf[hostlen - 1] == '.')
		buf[--hostlen] = '\0';
	for (size_t i = 0; i < hostlen; i++)
		e->host[i] = (char)tolower((unsigned char)buf[i]);
	e->host[hostlen] = '\0';
	return true;
}

void hs_endpoint_format(const struct hs_endpoint *e, char *out, size_t outlen)
{
	if (e->host[0]) {
		snprintf(out, outlen, "%s:%u", e->host, (unsigned)e->port);
		return;
	}
	char a[HS_NETADDR_STRLEN];
	hs_netaddr_format(&e->addr, a);
	snprintf(out, outlen, "%s", a);
}

/* ---- key handlers ---------------------------------------------------------------------- */

struct source {
	struct hs_config *cfg;
	bool cli;
	const char *where; /* "the command line" or the file path */
	int line;
	char *err;
	size_t errlen;
	bool failed;
	char expect[192]; /* an expected form with the reason a value failed */
};

typedef bool (*setter)(struct source *src, const char *value, const char **expect);

static bool parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || *end || end == v || v[0] == '-' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0) {
		*out = false;
		return true;
	}
	return false;
}

static bool set_path(char *dst, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n >= HS_CONFIG_PATH_MAX)
		return false;
	memcpy(dst, v, n + 1);
	return true;
}

/* Adds HOST:PORT, IP:PORT or [IPv6]:PORT to a repeatable key's list; names_only refuses an
 * address (dnsseed). On failure *expect says the form and what was wrong. */
static bool add_endpoint(struct source *src, struct hs_addr_list *l, const char *v, bool names_only,
                         const char **expect)
{
	const char *form = names_only ? "HOST or HOST:PORT (repeatable)"
	                              : "HOST:PORT, IP:PORT or [IPv6]:PORT (repeatable)";
	const char *why = NULL;
	*expect = form;
	if (src->cli && !l->from_cli) {
		l->count = 0; /* the command line replaces the file's list */
		l->from_cli = true;
	} else if (!src->cli && l->from_cli) {
		return true;
	}
	struct hs_endpoint e;
	if (l->count >= HS_CONFIG_ADDRS_MAX)
		why = "at most 32 of them";
	else if (!hs_endpoint_parse(&e, v, DEFAULT_PORT, &why))
		;
	else if (names_only && !e.host[0])
		why = "a host name whose addresses are seeds; give an address as seednode=";
	if (why) {
		snprintf(src->expect, sizeof(src->expect), "%s: %s", form, why);
		*expect = src->expect;
		return false;
	}
	l->items[l->count++] = e;
	return true;
}

#define SETTER(name) static bool set_##name(struct source *src, const char *v, const char **expect)

SETTER(datadir)
{
	*expect = "a directory path";
	return src->cli || set_path(src->cfg->datadir, v); /* read from argv before the file */
}

SETTER(conf)
{
	(void)v;
	*expect = "a file path (command line only)";
	return src->cli;
}

SETTER(network)
{
	*expect = "1..32 printable characters without spaces";
	size_t n = strlen(v);
	if (!hs_name_is_valid(v, n, HS_NETWORK_MAX))
		return false;
	memcpy(src->cfg->network, v, n + 1);
	return true;
}

SETTER(listen)
{
	*expect = "IP:PORT, or 0 to not listen";
	if (strcmp(v, "0") == 0) {
		src->cfg->listen_on = false;
		return true;
	}
	src->cfg->listen_on = true;
	return hs_netaddr_parse(&src->cfg->listen, v, DEFAULT_PORT);
}

SETTER(connect)
{
	return add_endpoint(src, &src->cfg->connect, v, false, expect);
}

SETTER(addnode)
{
	return add_endpoint(src, &src->cfg->addnode, v, false, expect);
}

SETTER(seednode)
{
	return add_endpoint(src, &src->cfg->seednode, v, false, expect);
}

SETTER(dnsseed)
{
	return add_endpoint(src, &src->cfg->dnsseed, v, true, expect);
}

SETTER(maxconnections)
{
	*expect = "an integer 1..128";
	uint64_t n;
	if (!parse_u64(v, 1, HS_PEERS_MAX, &n))
		return false;
	src->cfg->maxconnections = (unsigned)n;
	return true;
}

SETTER(maxoutbound)
{
	*expect = "an integer 0..64";
	uint64_t n;
	if (!parse_u64(v, 0, 64, &n))
		return false;
	src->cfg->maxoutbound = (unsigned)n;
	return true;
}

SETTER(bantime)
{
	*expect = "seconds, 1..31536000";
	return parse_u64(v, 1, 31536000, &src->cfg->bantime_s);
}

SETTER(topics)
{
	*expect = "comma-separated topic names (1..64 printable characters each), or * for all";
	struct hs_config *c = src->cfg;
	if (src->cli && !c->topics_from_cli) {
		c->ntopics = 0;
		c->topics_from_cli = true;
	} else if (!src->cli && c->topics_from_cli) {
		return true;
	}
	if (strcmp(v, "*") == 0) {
		c->all_topics = true;
		c->ntopics = 0;
		return true;
	}
	c->all_topics = false;
	const char *p = v;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (!hs_name_is_valid(p, n, HS_TOPIC_MAX) || c->ntopics >= HS_HELLO_TOPICS_MAX)
			return false;
		memcpy(c->topics[c->ntopics], p, n);
		c->topics[c->ntopics++][n] = '\0';
		p += n + (comma ? 1 : 0);
		if (comma && !*p)
			return false;
	}
	return c->ntopics > 0;
}

SETTER(rpcsocket)
{
	*expect = "a socket path";
	return set_path(src->cfg->rpcsocket, v) && strlen(v) < 100; /* sun_path is ~108 bytes */
}

/* ---- JSON-RPC over HTTP (docs/RPC.md) ---------------------------------------------------- */

/* An address with or without a port, IPv6 with or without brackets; port 0 when none. */
static bool parse_ip_port(struct hs_netaddr *a, const char *v)
{
	char bracketed[64];
	if (hs_netaddr_parse(a, v, 0))
		return true;
	if (hs_netaddr_parse(a, v, 1)) {
		a->port = 0;
		return true;
	}
	if (strlen(v) < sizeof(bracketed) - 2 &&
	    snprintf(bracketed, sizeof(bracketed), "[%s]", v) > 0 &&
	    hs_netaddr_parse(a, bracketed, 1)) {
		a->port = 0;
		return true;
	}
	return false;
}

/* A repeatable key's list: given on the command line it replaces the file's. false: skip. */
static bool list_take(struct source *src, bool *from_cli, size_t *count)
{
	if (src->cli && !*from_cli) {
		*count = 0;
		*from_cli = true;
	} else if (!src->cli && *from_cli) {
		return false;
	}
	return true;
}

SETTER(rpcbind)
{
	*expect = "IP or IP:PORT, e.g. 127.0.0.1, ::1 or [::1]:7071 (repeatable)";
	struct hs_config *c = src->cfg;
	if (!list_take(src, &c->rpcbind_from_cli, &c->nrpcbind))
		return true;
	struct hs_netaddr a;
	if (c->nrpcbind >= HS_RPCBIND_MAX || !parse_ip_port(&a, v))
		return false;
	c->rpcbind[c->nrpcbind++] = a;
	return true;
}

SETTER(rpcport)
{
	*expect = "a port, 1..65535, or 0 for no HTTP server";
	uint64_t port;
	if (!parse_u64(v, 0, 65535, &port))
		return false;
	src->cfg->rpcport = (uint16_t)port;
	return true;
}

SETTER(rpcallowip)
{
	*expect = "an IP address or IP/BITS subnet allowed to connect (repeatable)";
	struct hs_config *c = src->cfg;
	if (!list_take(src, &c->rpcallowip_from_cli, &c->nrpcallowip))
		return true;
	char ip[64];
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	if (n >= sizeof(ip) || c->nrpcallowip >= HS_RPCALLOWIP_MAX)
		return false;
	memcpy(ip, v, n);
	ip[n] = '\0';
	struct hs_netaddr a;
	if (!parse_ip_port(&a, ip) || a.port != 0)
		return false;
	uint64_t bits = a.family == HS_AF_INET ? 32 : 128;
	if (slash && !parse_u64(slash + 1, 0, bits, &bits))
		return false;
	c->rpcallowip[c->nrpcallowip] = a;
	c->rpcallowip_bits[c->nrpcallowip++] = (uint8_t)bits;
	return true;
}

SETTER(rpcauth)
{
	*expect = "USER:SALT$HMAC as hearsay-cli -rpcauth=USER prints (repeatable)";
	struct hs_config *c = src->cfg;
	if (!list_take(src, &c->rpcauth_from_cli, &c->nrpcauth))
		return true;
	if (c->nrpcauth >= HS_RPCAUTH_MAX || strlen(v) >= HS_RPCAUTH_LEN || !hs_rpcauth_is_valid(v))
		return false;
	memcpy(c->rpcauth[c->nrpcauth++], v, strlen(v) + 1);
	return true;
}

SETTER(rpcservertimeout)
{
	*expect = "seconds, 1..3600";
	return parse_u64(v, 1, 3600, &src->cfg->rpcservertimeout_s);
}

/* A text value of at most HS_RPCAUTH_LEN - 1 bytes. */
static bool set_text(char *dst, const char *v, bool empty_ok)
{
	size_t n = strlen(v);
	if ((n == 0 && !empty_ok) || n >= HS_RPCAUTH_LEN)
		return false;
	memcpy(dst, v, n + 1);
	return true;
}

SETTER(rpcuser)
{
	*expect = "a user name without ':' (with rpcpassword)";
	return !strchr(v, ':') && set_text(src->cfg->rpcuser, v, false);
}

SETTER(rpcpassword)
{
	*expect = "a password (with rpcuser; rpcauth keeps none in the file)";
	return set_text(src->cfg->rpcpassword, v, false);
}

SETTER(rpccookiefile)
{
	*expect = "a file path";
	return set_path(src->cfg->rpccookiefile, v);
}

SETTER(rpcconnect)
{
	*expect = "an IP address or host name (read by hearsay-cli)";
	return set_text(src->cfg->rpcconnect, v, false);
}

SETTER(loglevel)
{
	*expect = "error, warn, info or debug";
	static const char *const names[] = { "error", "warn", "info", "debug" };
	for (int i = 0; i < 4; i++)
		if (strcasecmp(v, names[i]) == 0) {
			src->cfg->loglevel = i;
			return true;
		}
	return false;
}

SETTER(server)
{
	*expect = "0 or 1";
	return parse_bool(v, &src->cfg->server);
}

SETTER(upnp)
{
	*expect = "0 or 1";
	return parse_bool(v, &src->cfg->upnp);
}

SETTER(upnplease)
{
	*expect = "seconds, 0 (permanent) or 4..604800";
	if (strcmp(v, "0") == 0) {
		src->cfg->upnplease_s = 0;
		return true;
	}
	return parse_u64(v, HS_UPNP_LEASE_MIN_S, HS_UPNP_LEASE_MAX_S, &src->cfg->upnplease_s);
}

SETTER(seed)
{
	*expect = "0 or 1";
	return parse_bool(v, &src->cfg->seed);
}

SETTER(crawlinterval)
{
	*expect = "milliseconds, 10..3600000";
	return parse_u64(v, 10, 3600000, &src->cfg->crawlinterval_ms);
}

SETTER(ignorestoredamage)
{
	*expect = "0 or 1";
	return parse_bool(v, &src->cfg->ignorestoredamage);
}

SETTER(metrics)
{
	*expect = "IP:PORT (loopback recommended), or 0 for off";
	if (strcmp(v, "0") == 0) {
		src->cfg->metrics_on = false;
		return true;
	}
	src->cfg->metrics_on = true;
	return hs_netaddr_parse(&src->cfg->metrics, v, 0);
}

SETTER(metricsallowremote)
{
	*expect = "0 or 1";
	return parse_bool(v, &src->cfg->metrics_allow_remote);
}

SETTER(externalip)
{
	*expect = "IP:PORT, an address others can dial (not 0.0.0.0 or [::])";
	static const uint8_t zero[16];
	struct hs_netaddr *a = &src->cfg->externalip;
	src->cfg->externalip_set = true;
	return hs_netaddr_parse(a, v, DEFAULT_PORT) &&
	       memcmp(a->ip, zero, a->family == HS_AF_INET ? 4 : 16) != 0;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

SETTER(topicsigners)
{
	*expect = "TOPIC:KEY[,KEY...] (node ids of 64 hex digits; at most 16 topics and 64 keys "
	          "a topic)";
	struct hs_config *c = src->cfg;
	if (src->cli && !c->topicsigners_from_cli) {
		c->ntopicsigners = 0;
		c->topicsigners_from_cli = true;
	} else if (!src->cli && c->topicsigners_from_cli) {
		return true;
	}
	const char *colon = strchr(v, ':');
	if (!colon || !hs_name_is_valid(v, (size_t)(colon - v), HS_TOPIC_MAX))
		return false;
	size_t tl = (size_t)(colon - v);
	struct hs_signer_policy *pol = NULL;
	for (size_t i = 0; i < c->ntopicsigners && !pol; i++)
		if (strlen(c->topicsigners[i].topic) == tl &&
		    memcmp(c->topicsigners[i].topic, v, tl) == 0)
			pol = &c->topicsigners[i];
	if (!pol) {
		if (c->ntopicsigners >= HS_SIGNER_TOPICS_MAX)
			return false;
		pol = &c->topicsigners[c->ntopicsigners++];
		memset(pol, 0, sizeof(*pol));
		memcpy(pol->topic, v, tl);
	}
	for (const char *p = colon + 1;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		uint8_t key[32];
		if (n != 64 || pol->nkeys >= HS_SIGNERS_PER_TOPIC_MAX)
			return false;
		for (size_t i = 0; i < 32; i++) {
			int hi = hex_digit(p[2 * i]), lo = hex_digit(p[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return false;
			key[i] = (uint8_t)(hi << 4 | lo);
		}
		memcpy(pol->keys[pol->nkeys++], key, 32);
		if (!comma)
			return true;
		p = comma + 1;
	}
}

SETTER(validatetimeout)
{
	*expect = "milliseconds, 10..600000";
	return parse_u64(v, 10, 600000, &src->cfg->validatetimeout_ms);
}

SETTER(validatedefault)
{
	*expect = "accept, ignore or reject";
	int verdict = strcmp(v, "accept") == 0   ? HS_ACCEPT
	              : strcmp(v, "ignore") == 0 ? HS_IGNORE
	              : strcmp(v, "reject") == 0 ? HS_REJECT_ORIGIN
	                                         : -1;
	if (verdict < 0)
		return false;
	src->cfg->validatedefault = verdict;
	return true;
}

struct key {
	const char *name;
	setter set;
	const char *help;
};

static const struct key keys[] = {
	{ "datadir", set_datadir, "data directory (default ~/.hearsay)" },
	{ "conf", set_conf, "config file (default DATADIR/hearsay.conf)" },
	{ "network", set_network, "network name (default main)" },
	{ "listen", set_listen,
	  "IP:PORT to accept peers on, [::]:PORT for IPv6 and IPv4 (default 0.0.0.0:7070; 0: "
	  "none)" },
	{ "connect", set_connect, "connect only to HOST:PORT or IP:PORT (repeatable)" },
	{ "addnode", set_addnode, "keep a connection to HOST:PORT or IP:PORT (repeatable)" },
	{ "seednode", set_seednode,
	  "fetch addresses from HOST:PORT or IP:PORT, then leave (repeatable)" },
	{ "dnsseed", set_dnsseed,
	  "a DNS name whose A/AAAA answers are seeds, HOST[:PORT] (repeatable; asked when the "
	  "address book is short)" },
	{ "peers_max", set_maxconnections, "sessions at most, in and out (default 64)" },
	{ "outbound", set_maxoutbound, "outbound sessions to keep (default 8)" },
	{ "bantime_s", set_bantime, "seconds a misbehaving peer stays banned (default 86400)" },
	{ "topics", set_topics, "topics to relay and keep, comma-separated (default *: all)" },
	{ "rpcsocket", set_rpcsocket, "JSON-RPC Unix socket (default DATADIR/rpc.sock)" },
	{ "rpcbind", set_rpcbind,
	  "IP[:PORT] for JSON-RPC over HTTP (repeatable; default 127.0.0.1 and ::1)" },
	{ "server", set_server,
	  "serve JSON-RPC on rpcsocket and rpcport (default 1 in hearsayd, 0 in a program "
	  "embedding libhearsay)" },
	{ "rpcport", set_rpcport, "JSON-RPC HTTP port (default 7071; 0: no HTTP server)" },
	{ "rpcallowip", set_rpcallowip,
	  "IP or IP/BITS allowed to use HTTP RPC besides loopback (repeatable)" },
	{ "rpcauth", set_rpcauth, "USER:SALT$HMAC, an HTTP RPC user (repeatable)" },
	{ "rpcservertimeout", set_rpcservertimeout,
	  "seconds an HTTP RPC connection may idle (default 30)" },
	{ "rpcuser", set_rpcuser, "a plain-text HTTP RPC user (with rpcpassword; prefer rpcauth)" },
	{ "rpcpassword", set_rpcpassword, "the rpcuser's password" },
	{ "rpccookiefile", set_rpccookiefile, "the RPC cookie file (default DATADIR/.cookie)" },
	{ "rpcconnect", set_rpcconnect,
	  "the address hearsay-cli speaks HTTP to (default 127.0.0.1; hearsayd ignores it)" },
	{ "loglevel", set_loglevel, "error, warn, info or debug (default info)" },
	{ "upnp", set_upnp, "map the listening port with UPnP (default 0)" },
	{ "upnplease", set_upnplease,
	  "seconds a UPnP mapping lasts, renewed at half (default 3600; 0: permanent)" },
	{ "metrics", set_metrics, "Prometheus metrics on IP:PORT (default 0: off)" },
	{ "metricsallowremote", set_metricsallowremote,
	  "allow metrics on a non-loopback address (default 0)" },
	{ "seed", set_seed, "run as a seed/bootnode (default 0)" },
	{ "crawl_interval_ms", set_crawlinterval,
	  "seed mode: milliseconds between crawl visits (default 2000)" },
	{ "ignorestoredamage", set_ignorestoredamage,
	  "start even if a store table cannot be read, logging the loss (default 0)" },
	{ "externalip", set_externalip, "address to advertise, when not the listen address" },
	{ "topicsigners", set_topicsigners,
	  "TOPIC:KEY[,KEY...]: take rumors on TOPIC only from these origins (repeatable)" },
	{ "validate_timeout_ms", set_validatetimeout,
	  "milliseconds an external validator has for each verdict (default 2000)" },
	{ "validate_default", set_validatedefault,
	  "verdict on a validator's timeout, overflow or disconnect: accept, ignore or reject "
	  "(default ignore)" },
};

/* ---- core knobs ------------------------------------------------------------------------ */

/* Each sets one field of struct hs_node_config (docs/KNOBS.md, "One name per knob"): the key is
 * hearsay-sim's flag without "--" and with '_' for '-'; a suffix _ms or _s names the unit.
 * Unset knobs keep the core's default (hs_node_config_default). */
enum knob_unit { U_COUNT, U_MS, U_S };
#define KNOB(n, field, unit, lo, hi, help)                                                         \
	{ n,                                                                                       \
	  offsetof(struct hs_node_config, field),                                                  \
	  sizeof(((struct hs_node_config *)0)->field),                                             \
	  unit,                                                                                    \
	  lo,                                                                                      \
	  hi,                                                                                      \
	  help }
static const struct knob {
	const char *name;
	size_t off, size;
	enum knob_unit unit;
	uint64_t min, max;
	const char *help;
} knobs[] = {
	KNOB("eager_push", eager_push, U_COUNT, 0, 64,
	     "peers asked to push new rumors to us whole, at most (default 2)"),
	KNOB("eager_cover", eager_cover_pct, U_COUNT, 0, 100,
	     "ask the fewest pushers that told us first of this % of rumors (default 35)"),
	KNOB("eager_receivers", eager_receivers_max, U_COUNT, 0, HS_PEERS_MAX,
	     "peers we push to at their request, at most (default 16)"),
	KNOB("eager_wait_max_ms", eager_wait_max_ns, U_MS, 0, 3600000,
	     "longest wait for pushers before asking an announcer (default 500)"),
	KNOB("lazy_delay_ms", lazy_request_delay_ns, U_MS, 0, 3600000,
	     "fixed wait before every getdata (default 0)"),
	KNOB("request_timeout_ms", request_timeout_ns, U_MS, 1, 3600000,
	     "getdata unanswered this long: ask the next announcer (default 2000)"),
	KNOB("request_nonpreferred_delay_ms", request_nonpreferred_delay_ns, U_MS, 0, 3600000,
	     "extra wait before asking an inbound announcer (default 100)"),
	KNOB("pull_interval_ms", pull_interval_ns, U_MS, 100, 3600000,
	     "milliseconds between pull digests (default 5000)"),
	KNOB("pull_window_s", pull_window_ns, U_S, 1, 86400,
	     "seconds of rumors the periodic pull covers (default 60)"),
	KNOB("retention_s", retention_ns, U_S, 1, 604800,
	     "seconds rumors are kept and served (default 600)"),
	KNOB("feeler_interval_s", feeler_interval_ns, U_S, 0, 86400,
	     "seconds between feeler sessions, 0: none (default 120)"),
	KNOB("rotate_interval_s", rotate_interval_ns, U_S, 0, 86400,
	     "seconds between outbound rotations, 0: off (default 600)"),
	KNOB("heartbeat_interval_s", heartbeat_interval_ns, U_S, 0,
	     HS_HEARTBEAT_INTERVAL_MAX_MS / 1000,
	     "seconds between our signed heartbeats, 0: none, not a member (default 10)"),
	KNOB("suspect_heartbeats", suspect_heartbeats, U_COUNT, 1, 999,
	     "a member's intervals without a heartbeat before it is suspect (default 3)"),
	KNOB("dead_heartbeats", dead_heartbeats, U_COUNT, 2, 1000,
	     "a member's intervals without a heartbeat before it is dead (default 6)"),
	KNOB("member_reap_s", member_reap_ns, U_S, 1, 31536000,
	     "seconds dead and left members stay listed (default 86400)"),
	KNOB("addrbook_max", addrbook_max, U_COUNT, 16, 1000000,
	     "node records the address book keeps (default 4096)"),
	KNOB("verifies_per_s", verifies_per_s, U_COUNT, 1, 1000000000,
	     "signature checks per second on peer data, node-wide (default 4000)"),
};
#define NKNOBS (sizeof(knobs) / sizeof(knobs[0]))
_Static_assert(NKNOBS <= HS_CONFIG_KNOBS, "struct hs_config holds every knob");

static bool set_knob(struct source *src, size_t i, const char *v, const char **expect)
{
	static const char *const units[] = { "an integer", "milliseconds", "seconds" };
	const struct knob *k = &knobs[i];
	snprintf(src->expect, sizeof(src->expect), "%s, %llu..%llu", units[k->unit],
	         (unsigned long long)k->min, (unsigned long long)k->max);
	*expect = src->expect;
	uint64_t n;
	if (!parse_u64(v, k->min, k->max, &n))
		return false;
	src->cfg->knob[i] = n;
	src->cfg->knob_set |= 1u << i;
	return true;
}

void hs_config_node_knobs(const struct hs_config *c, struct hs_node_config *nc)
{
	static const uint64_t scale[] = { 1, HS_NS_PER_MS, HS_NS_PER_S };
	for (size_t i = 0; i < NKNOBS; i++) {
		if (!(c->knob_set & (1u << i)))
			continue;
		uint64_t v = c->knob[i] * scale[knobs[i].unit];
		uint8_t *at = (uint8_t *)nc + knobs[i].off;
		if (knobs[i].size == sizeof(uint32_t)) {
			uint32_t v32 = (uint32_t)v;
			memcpy(at, &v32, sizeof(v32));
		} else if (knobs[i].size == sizeof(size_t)) {
			size_t vz = (size_t)v;
			memcpy(at, &vz, sizeof(vz));
		} else {
			memcpy(at, &v, sizeof(v));
		}
	}
}

/* The membership knobs together (the core refuses a node config that breaks this): a member
 * is suspect before it is dead, so dead_heartbeats, given or default, exceeds
 * suspect_heartbeats. */
static bool membership_ok(const struct hs_config *c, char *err, size_t errlen)
{
	struct hs_node_config nc;
	hs_node_config_default(&nc);
	hs_config_node_knobs(c, &nc);
	if (nc.dead_heartbeats > nc.suspect_heartbeats)
		return true;
	snprintf(err, errlen,
	         "dead_heartbeats (%u) must be more than suspect_heartbeats (%u): a member is "
	         "suspect before it is dead",
	         (unsigned)nc.dead_heartbeats, (unsigned)nc.suspect_heartbeats);
	return false;
}

/* Keys renamed to the one-name rule: still read, with a warning, until a release drops them. */
static const struct {
	const char *old, *now;
} renamed[] = {
	{ "eagerpush", "eager_push" },
	{ "pullinterval", "pull_interval_ms" },
	{ "pullwindow", "pull_window_s" },
	{ "retention", "retention_s" },
	{ "maxconnections", "peers_max" },
	{ "maxoutbound", "outbound" },
	{ "bantime", "bantime_s" },
	{ "scoremalformed", "score_malformed" },
	{ "scoreprotocol", "score_protocol" },
	{ "scorebadsig", "score_bad_sig" },
	{ "scorehandshake", "score_handshake" },
	{ "scorerejected", "score_rejected" },
	{ "scoreflood", "score_flood" },
	{ "scoredelivered", "score_delivered" },
	{ "scoreanswered", "score_answered" },
	{ "scoregossip", "score_gossip" },
	{ "scoregraylist", "score_graylist" },
	{ "scoreban", "score_ban" },
	{ "scorehalflife", "score_halflife_s" },
};

/* The penalty policy's keys: points per event (faults negative), thresholds, half-life. */
#define SCORE_KEY(n, field, help) { n, offsetof(struct hs_score_params, field), help }
static const struct score_key {
	const char *name;
	size_t off;
	const char *help;
} score_keys[] = {
	SCORE_KEY("score_malformed", weight[HS_SCORE_MALFORMED],
	          "points for a malformed authenticated frame (default -100)"),
	SCORE_KEY("score_protocol", weight[HS_SCORE_PROTOCOL],
	          "points for a protocol violation (default -100)"),
	SCORE_KEY("score_bad_sig", weight[HS_SCORE_BAD_SIG],
	          "points for an object with a bad signature (default -100)"),
	SCORE_KEY("score_handshake", weight[HS_SCORE_HANDSHAKE],
	          "points for a bad identity proof (default -100)"),
	SCORE_KEY("score_rejected", weight[HS_SCORE_REJECTED],
	          "points for a rumor the validator rejected (default -20)"),
	SCORE_KEY("score_equivocation", weight[HS_SCORE_EQUIVOCATION],
	          "points for an origin proven to have equivocated (default -120)"),
	SCORE_KEY("score_flood", weight[HS_SCORE_FLOOD],
	          "points for a frame over the rate limit (default -10)"),
	SCORE_KEY("score_delivered", weight[HS_SCORE_DELIVERED],
	          "points for first delivery of a valid rumor (default 1)"),
	SCORE_KEY("score_answered", weight[HS_SCORE_ANSWERED],
	          "points for answering a request (default 0.25)"),
	SCORE_KEY("score_gossip", gossip_threshold,
	          "at or below: no data taken or given (default -20)"),
	SCORE_KEY("score_graylist", graylist_threshold,
	          "at or below: everything ignored (default -50)"),
	SCORE_KEY("score_ban", ban_threshold, "at or below: banned for bantime (default -100)"),
	SCORE_KEY("score_halflife_s", halflife_s, "seconds for a score to halve (default 600)"),
};

static bool apply_score(struct source *src, const struct score_key *k, const char *value)
{
	char *end;
	errno = 0;
	double d = strtod(value, &end);
	if (errno || end == value || *end || !isfinite(d) || fabs(d) > 1e6)
		return false;
	memcpy((uint8_t *)&src->cfg->score + k->off, &d, sizeof(d));
	return true;
}

static void consider(const char *name, const char *candidate, const char **best, size_t *bestd)
{
	size_t d = hs_edit_distance(name, candidate);
	if (d < *bestd) {
		*bestd = d;
		*best = candidate;
	}
}

/* The real key nearest to an unknown one, or NULL if none is near (at most a third of the
 * name's letters wrong, and at least two allowed). */
const char *hs_config_suggest(const char *name)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		consider(name, keys[i].name, &best, &bestd);
	for (size_t i = 0; i < NKNOBS; i++)
		consider(name, knobs[i].name, &best, &bestd);
	for (size_t i = 0; i < sizeof(score_keys) / sizeof(score_keys[0]); i++)
		consider(name, score_keys[i].name, &best, &bestd);
	return best && hs_suggest_near(name, bestd) ? best : NULL;
}

static bool apply(struct source *src, const char *name, const char *value)
{
	const char *given = name;
	for (size_t i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++)
		if (strcmp(renamed[i].old, name) == 0) {
			name = renamed[i].now;
			if (src->cli)
				hs_log(HS_LOG_WARN, "-%s is deprecated: use -%s", given, name);
			else
				hs_log(HS_LOG_WARN, "'%s' in %s line %d is deprecated: use '%s'",
				       given, src->where, src->line, name);
			break;
		}
	for (size_t i = 0; i < sizeof(score_keys) / sizeof(score_keys[0]); i++) {
		if (strcmp(score_keys[i].name, name) != 0)
			continue;
		if (apply_score(src, &score_keys[i], value))
			return true;
		snprintf(src->err, src->errlen, "bad value for %s%s: '%s' (expected a number)",
		         src->cli ? "-" : "", given, value);
		return false;
	}
	const char *expect = "";
	bool known = false, ok = false;
	for (size_t i = 0; i < NKNOBS && !known; i++)
		if (strcmp(knobs[i].name, name) == 0) {
			known = true;
			ok = set_knob(src, i, value, &expect);
		}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !known; i++)
		if (strcmp(keys[i].name, name) == 0) {
			known = true;
			ok = keys[i].set(src, value, &expect);
		}
	if (ok)
		return true;
	if (known && src->cli)
		snprintf(src->err, src->errlen, "bad value for -%s on %s: '%s' (expected %s)",
		         given, src->where, value, expect);
	else if (known)
		snprintf(src->err, src->errlen,
		         "bad value for '%s' in %s line %d: '%s' (expected %s)", given, src->where,
		         src->line, value, expect);
	if (known)
		return false;
	char hint[128] = "";
	const char *near = hs_config_suggest(name);
	if (near)
		snprintf(hint, sizeof(hint), "; did you mean '%s%s'?", src->cli ? "-" : "", near);
	if (src->cli)
		snprintf(src->err, src->errlen, "unknown option -%s%s (see --help)", name, hint);
	else
		snprintf(src->err, src->errlen,
		         "unknown key '%s' in %s line %d%s (see hearsayd --help)", name, src->where,
		         src->line, hint);
	return false;
}

/* inih (as Debian builds it) does not pass line numbers: a reader that counts them does. */
struct counted_file {
	FILE *f;
	struct source *src;
};

static char *read_counted(char *str, int num, void *stream)
{
	struct counted_file *cf = stream;
	char *line = fgets(str, num, cf->f);
	if (line)
		cf->src->line++;
	return line;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct source *src = user;
	if (src->failed)
		return 0;
	int lineno = src->line;
	if (section[0]) {
		snprintf(src->err, src->errlen, "sections are not used: [%s] in %s line %d",
		         section, src->where, lineno);
		src->failed = true;
		return 0;
	}
	if (!apply(src, name, value)) {
		src->failed = true;
		return 0;
	}
	return 1;
}

/* ---- loading ------------------------------------------------------------------------- */

static void defaults(struct hs_config *c)
{
	memset(c, 0, sizeof(*c));
	const char *home = getenv("HOME");
	snprintf(c->datadir, sizeof(c->datadir), "%s/.hearsay", home ? home : ".");
	memcpy(c->network, "main", 5);
	c->listen_on = true;
	c->listen = hs_netaddr_ipv4(0, 0, 0, 0, DEFAULT_PORT);
	c->maxconnections = 64;
	c->maxoutbound = 8;
	c->bantime_s = 86400;
	c->upnplease_s = 3600;
	c->all_topics = true;
	c->loglevel = HS_LOG_INFO;
	c->rpcport = 7071;
	c->server = true;
	c->rpcservertimeout_s = HS_RPC_HTTP_TIMEOUT_S;
	c->validatetimeout_ms = 2000;
	c->validatedefault = HS_IGNORE;
	hs_score_params_default(&c->score);
}

/* Splits "-key=value" / "--key=value" / "-key". false if arg is not a flag. */
static bool split_flag(const char *arg, char *name, size_t namecap, const char **value)
{
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	if (n == 0 || n >= namecap)
		return false;
	memcpy(name, arg, n);
	name[n] = '\0';
	*value = eq ? eq + 1 : "1";
	return true;
}

/* First pass over argv: help, version, datadir and conf (needed to find the file). */
static enum hs_config_result early_flags(struct hs_config *c, int argc, char **argv, char *err,
                                         size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		char name[64];
		const char *v;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-help") == 0 ||
		    strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "-?") == 0)
			return HS_CONFIG_HELP;
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-version") == 0)
			return HS_CONFIG_VERSION;
		if (!split_flag(argv[i], name, sizeof(name), &v)) {
			snprintf(err, errlen,
			         "unexpected argument '%s' (options look like -key=value)",
			         argv[i]);
			return HS_CONFIG_USAGE;
		}
		if (strcmp(name, "datadir") == 0 && !set_path(c->datadir, v)) {
			snprintf(err, errlen, "bad value for -datadir: '%s'", v);
			return HS_CONFIG_USAGE;
		}
		if (strcmp(name, "conf") == 0 && !set_path(c->conf, v)) {
			snprintf(err, errlen, "bad value for -conf: '%s'", v);
			return HS_CONFIG_USAGE;
		}
	}
	return HS_CONFIG_OK;
}

static enum hs_config_result read_file(struct hs_config *c, bool explicit_conf, char *err,
                                       size_t errlen)
{
	struct source src = { .cfg = c, .where = c->conf, .err = err, .errlen = errlen };
	FILE *f = fopen(c->conf, "r");
	if (!f) {
		if ((errno == ENOENT || errno == ENOTDIR) && !explicit_conf)
			return HS_CONFIG_OK; /* no file: defaults and flags */
		snprintf(err, errlen, "cannot read config file %s: %s", c->conf, strerror(errno));
		return HS_CONFIG_BAD;
	}
	struct counted_file cf = { f, &src };
	int rc = ini_parse_stream(read_counted, &cf, on_key, &src);
	fclose(f);
	if (src.failed)
		return HS_CONFIG_BAD;
	if (rc != 0) {
		snprintf(err, errlen, "cannot parse %s line %d (expected key=value)", c->conf, rc);
		return HS_CONFIG_BAD;
	}
	return HS_CONFIG_OK;
}

static enum hs_config_result cli_flags(struct hs_config *c, int argc, char **argv, char *err,
                                       size_t errlen)
{
	struct source src = {
		.cfg = c, .cli = true, .where = "the command line", .err = err, .errlen = errlen
	};
	for (int i = 1; i < argc; i++) {
		char name[64];
		const char *v;
		if (!split_flag(argv[i], name, sizeof(name), &v))
			return HS_CONFIG_USAGE;
		if (strcmp(name, "datadir") == 0 || strcmp(name, "conf") == 0)
			continue;
		if (strcmp(name, "repairstore") == 0)
			continue; /* an action, handled by hearsayd */
		if (!apply(&src, name, v))
			return HS_CONFIG_USAGE;
	}
	return HS_CONFIG_OK;
}

static enum hs_config_result load(struct hs_config *c, int argc, char **argv, char *err,
                                  size_t errlen)
{
	enum hs_config_result r = early_flags(c, argc, argv, err, errlen);
	if (r != HS_CONFIG_OK)
		return r;
	bool explicit_conf = c->conf[0] != '\0';
	if (!explicit_conf && snprintf(c->conf, sizeof(c->conf), "%s/hearsay.conf", c->datadir) >=
	                              (int)sizeof(c->conf)) {
		snprintf(err, errlen, "data directory path too long");
		return HS_CONFIG_USAGE;
	}
	r = read_file(c, explicit_conf, err, errlen);
	if (r == HS_CONFIG_OK)
		r = cli_flags(c, argc, argv, err, errlen);
	if (r == HS_CONFIG_OK && c->rpcsocket[0] == '\0') {
		int n = snprintf(c->rpcsocket, sizeof(c->rpcsocket), "%s/rpc.sock", c->datadir);
		if (n >= 100) {
			snprintf(err, errlen,
			         "the RPC socket path %s is too long for a Unix socket; set "
			         "-rpcsocket to a shorter path",
			         c->rpcsocket);
			return HS_CONFIG_BAD;
		}
	}
	if (r == HS_CONFIG_OK && c->metrics_on && !c->metrics_allow_remote &&
	    !hs_netaddr_is_loopback(&c->metrics)) {
		char a[HS_NETADDR_STRLEN];
		hs_netaddr_format(&c->metrics, a);
		snprintf(err, errlen,
		         "metrics=%s is not a loopback address: anyone who can reach it reads the "
		         "node's state; set metricsallowremote=1 to serve it there anyway",
		         a);
		return HS_CONFIG_BAD;
	}
	if (r == HS_CONFIG_OK && c->nrpcbind == 0) {
		c->rpcbind[c->nrpcbind++] = hs_netaddr_ipv4(127, 0, 0, 1, 0);
		struct hs_netaddr six = { .family = HS_AF_INET6 };
		six.ip[15] = 1;
		c->rpcbind[c->nrpcbind++] = six;
	}
	if (r == HS_CONFIG_OK && !c->rpcuser[0] != !c->rpcpassword[0]) {
		snprintf(err, errlen, "rpcuser and rpcpassword go together: set both or neither");
		return HS_CONFIG_BAD;
	}
	for (size_t i = 0; r == HS_CONFIG_OK && c->rpcport && i < c->nrpcbind; i++) {
		if (hs_netaddr_is_loopback(&c->rpcbind[i]) || c->nrpcallowip > 0)
			continue;
		char a[HS_NETADDR_STRLEN];
		hs_netaddr_format(&c->rpcbind[i], a);
		snprintf(err, errlen,
		         "rpcbind=%s is not a loopback address: anyone who can reach it may try "
		         "passwords; set rpcallowip= for the clients to allow, or bind loopback",
		         a);
		return HS_CONFIG_BAD;
	}
	if (r == HS_CONFIG_OK && hs_score_params_check(&c->score) != 0) {
		snprintf(err, errlen,
		         "the score_* keys do not form a ladder: faults must be negative and "
		         "rewards "
		         "not, and 0 > score_gossip > score_graylist > score_ban >= -1000");
		return HS_CONFIG_BAD;
	}
	if (r == HS_CONFIG_OK && !membership_ok(c, err, errlen))
		return HS_CONFIG_BAD;
	if (r == HS_CONFIG_OK && c->maxoutbound > c->maxconnections) {
		snprintf(err, errlen, "outbound (%u) exceeds peers_max (%u)", c->maxoutbound,
		         c->maxconnections);
		return HS_CONFIG_BAD;
	}
	return r;
}

/* The embedder's defaults (hs_host_set_default): "key=value" lines over the built-in ones. */
static enum hs_config_result program_defaults(struct hs_config *c, size_t ndefs,
                                              const char *const *defs, char *err, size_t errlen)
{
	struct source src = {
		.cfg = c, .where = "the program's defaults", .err = err, .errlen = errlen
	};
	for (size_t i = 0; i < ndefs; i++) {
		const char *eq = strchr(defs[i], '=');
		char name[64];
		if (!eq || (size_t)(eq - defs[i]) >= sizeof(name)) {
			snprintf(err, errlen, "bad default '%s' (key=value)", defs[i]);
			return HS_CONFIG_BAD;
		}
		memcpy(name, defs[i], (size_t)(eq - defs[i]));
		name[eq - defs[i]] = '\0';
		if (!apply(&src, name, eq + 1))
			return HS_CONFIG_BAD;
	}
	return HS_CONFIG_OK;
}

enum hs_config_result hs_config_load_with(struct hs_config *cfg, size_t ndefs,
                                          const char *const *defs, int argc, char **argv, char *err,
                                          size_t errlen)
{
	defaults(cfg);
	enum hs_config_result r = program_defaults(cfg, ndefs, defs, err, errlen);
	return r == HS_CONFIG_OK ? load(cfg, argc, argv, err, errlen) : r;
}

enum hs_config_result hs_config_load(struct hs_config *cfg, int argc, char **argv, char *err,
                                     size_t errlen)
{
	return hs_config_load_with(cfg, 0, NULL, argc, argv, err, errlen);
}

enum hs_config_result hs_config_reload_with(const struct hs_config *current,
                                            struct hs_config *fresh, size_t ndefs,
                                            const char *const *defs, int argc, char **argv,
                                            char *err, size_t errlen)
{
	defaults(fresh);
	enum hs_config_result r = program_defaults(fresh, ndefs, defs, err, errlen);
	memcpy(fresh->datadir, current->datadir, sizeof(fresh->datadir));
	return r == HS_CONFIG_OK ? load(fresh, argc, argv, err, errlen) : r;
}

enum hs_config_result hs_config_reload(const struct hs_config *current, struct hs_config *fresh,
                                       int argc, char **argv, char *err, size_t errlen)
{
	return hs_config_reload_with(current, fresh, 0, NULL, argc, argv, err, errlen);
}

const char *hs_config_usage(void)
{
	static char text[8192];
	if (text[0])
		return text;
	size_t off = (size_t)snprintf(
	        text, sizeof(text),
	        "Usage: hearsayd [-key=value ...]\n\n"
	        "hearsay node: a signed gossip overlay for open peer-to-peer networks.\n"
	        "Every option may also be a line key=value in DATADIR/hearsay.conf;\n"
	        "options on the command line override the file.\n\n"
	        "Options:\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && off < sizeof(text); i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "  -%-18s  %s\n",
		                        keys[i].name, keys[i].help);
	for (size_t i = 0; i < NKNOBS && off < sizeof(text); i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "  -%-18s  %s\n",
		                        knobs[i].name, knobs[i].help);
	for (size_t i = 0; i < sizeof(score_keys) / sizeof(score_keys[0]) && off < sizeof(text);
	     i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "  -%-18s  %s\n",
		                        score_keys[i].name, score_keys[i].help);
	if (off < sizeof(text))
		snprintf(
		        text + off, sizeof(text) - off,
		        "  -repairstore        rebuild a damaged store (DATADIR/store), then exit\n"
		        "  --help              this text\n"
		        "  --version           the version\n\n"
		        "Signals: SIGINT/SIGTERM leave gracefully; SIGHUP re-reads the config "
		        "file.\n");
	return text;
}

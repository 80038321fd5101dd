/* hearsayd's configuration: file (inih) and flags (see hearsay/config.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "hearsay/config.h"
#include "hearsay/crypto.h"
#include "hearsay/node.h"

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

SETTER(eagerpush)
{
	*expect = "an integer 0..64";
	uint64_t n;
	if (!parse_u64(v, 0, 64, &n))
		return false;
	src->cfg->eagerpush = (unsigned)n;
	src->cfg->eagerpush_set = true;
	return true;
}

SETTER(pullinterval)
{
	*expect = "milliseconds, 100..3600000";
	return parse_u64(v, 100, 3600000, &src->cfg->pullinterval_ms);
}

SETTER(pullwindow)
{
	*expect = "seconds, 1..86400";
	return parse_u64(v, 1, 86400, &src->cfg->pullwindow_s);
}

SETTER(retention)
{
	*expect = "seconds, 1..604800";
	return parse_u64(v, 1, 604800, &src->cfg->retention_s);
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
	{ "maxconnections", set_maxconnections, "sessions at most, in and out (default 64)" },
	{ "maxoutbound", set_maxoutbound, "outbound sessions to keep (default 8)" },
	{ "bantime", set_bantime, "seconds a misbehaving peer stays banned (default 86400)" },
	{ "topics", set_topics, "topics to relay and keep, comma-separated (default *: all)" },
	{ "rpcsocket", set_rpcsocket, "JSON-RPC Unix socket (default DATADIR/rpc.sock)" },
	{ "loglevel", set_loglevel, "error, warn, info or debug (default info)" },
	{ "upnp", set_upnp, "map the listening port with UPnP (default 0)" },
	{ "upnplease", set_upnplease,
	  "seconds a UPnP mapping lasts, renewed at half (default 3600; 0: permanent)" },
	{ "metrics", set_metrics, "Prometheus metrics on IP:PORT (default 0: off)" },
	{ "metricsallowremote", set_metricsallowremote,
	  "allow metrics on a non-loopback address (default 0)" },
	{ "seed", set_seed, "run as a seed/bootnode (default 0)" },
	{ "ignorestoredamage", set_ignorestoredamage,
	  "start even if a store table cannot be read, logging the loss (default 0)" },
	{ "externalip", set_externalip, "address to advertise, when not the listen address" },
	{ "eagerpush", set_eagerpush,
	  "peers asked to push new rumors to us whole, at most (default 2)" },
	{ "pullinterval", set_pullinterval, "milliseconds between pull digests (default 5000)" },
	{ "pullwindow", set_pullwindow, "seconds of rumors the periodic pull covers (default 60)" },
	{ "retention", set_retention, "seconds rumors are kept and served (default 600)" },
	{ "topicsigners", set_topicsigners,
	  "TOPIC:KEY[,KEY...]: take rumors on TOPIC only from these origins (repeatable)" },
	{ "validatetimeout", set_validatetimeout,
	  "milliseconds an external validator has for each verdict (default 2000)" },
	{ "validatedefault", set_validatedefault,
	  "verdict on a validator's timeout, overflow or disconnect: accept, ignore or reject "
	  "(default ignore)" },
};

/* The penalty policy's keys: points per event (faults negative), thresholds, half-life. */
#define SCORE_KEY(n, field, help) { n, offsetof(struct hs_score_params, field), help }
static const struct score_key {
	const char *name;
	size_t off;
	const char *help;
} score_keys[] = {
	SCORE_KEY("scoremalformed", weight[HS_SCORE_MALFORMED],
	          "points for a malformed authenticated frame (default -100)"),
	SCORE_KEY("scoreprotocol", weight[HS_SCORE_PROTOCOL],
	          "points for a protocol violation (default -100)"),
	SCORE_KEY("scorebadsig", weight[HS_SCORE_BAD_SIG],
	          "points for an object with a bad signature (default -100)"),
	SCORE_KEY("scorehandshake", weight[HS_SCORE_HANDSHAKE],
	          "points for a bad identity proof (default -100)"),
	SCORE_KEY("scorerejected", weight[HS_SCORE_REJECTED],
	          "points for a rumor the validator rejected (default -20)"),
	SCORE_KEY("scoreflood", weight[HS_SCORE_FLOOD],
	          "points for a frame over the rate limit (default -10)"),
	SCORE_KEY("scoredelivered", weight[HS_SCORE_DELIVERED],
	          "points for first delivery of a valid rumor (default 1)"),
	SCORE_KEY("scoreanswered", weight[HS_SCORE_ANSWERED],
	          "points for answering a request (default 0.25)"),
	SCORE_KEY("scoregossip", gossip_threshold,
	          "at or below: no data taken or given (default -20)"),
	SCORE_KEY("scoregraylist", graylist_threshold,
	          "at or below: everything ignored (default -50)"),
	SCORE_KEY("scoreban", ban_threshold, "at or below: banned for bantime (default -100)"),
	SCORE_KEY("scorehalflife", halflife_s, "seconds for a score to halve (default 600)"),
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

static bool apply(struct source *src, const char *name, const char *value)
{
	for (size_t i = 0; i < sizeof(score_keys) / sizeof(score_keys[0]); i++) {
		if (strcmp(score_keys[i].name, name) != 0)
			continue;
		if (apply_score(src, &score_keys[i], value))
			return true;
		snprintf(src->err, src->errlen, "bad value for %s%s: '%s' (expected a number)",
		         src->cli ? "-" : "", name, value);
		return false;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].name, name) != 0)
			continue;
		const char *expect = "";
		if (keys[i].set(src, value, &expect))
			return true;
		if (src->cli)
			snprintf(src->err, src->errlen,
			         "bad value for -%s on %s: '%s' (expected %s)", name, src->where,
			         value, expect);
		else
			snprintf(src->err, src->errlen,
			         "bad value for '%s' in %s line %d: '%s' (expected %s)", name,
			         src->where, src->line, value, expect);
		return false;
	}
	if (src->cli)
		snprintf(src->err, src->errlen, "unknown option -%s (see --help)", name);
	else
		snprintf(src->err, src->errlen,
		         "unknown key '%s' in %s line %d (see hearsayd --help)", name, src->where,
		         src->line);
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
	if (r == HS_CONFIG_OK && hs_score_params_check(&c->score) != 0) {
		snprintf(
		        err, errlen,
		        "the score* keys do not form a ladder: faults must be negative and rewards "
		        "not, and 0 > scoregossip > scoregraylist > scoreban >= -1000");
		return HS_CONFIG_BAD;
	}
	if (r == HS_CONFIG_OK && c->maxoutbound > c->maxconnections) {
		snprintf(err, errlen, "maxoutbound (%u) exceeds maxconnections (%u)",
		         c->maxoutbound, c->maxconnections);
		return HS_CONFIG_BAD;
	}
	return r;
}

enum hs_config_result hs_config_load(struct hs_config *cfg, int argc, char **argv, char *err,
                                     size_t errlen)
{
	defaults(cfg);
	return load(cfg, argc, argv, err, errlen);
}

enum hs_config_result hs_config_reload(const struct hs_config *current, struct hs_config *fresh,
                                       int argc, char **argv, char *err, size_t errlen)
{
	defaults(fresh);
	memcpy(fresh->datadir, current->datadir, sizeof(fresh->datadir));
	return load(fresh, argc, argv, err, errlen);
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
		off += (size_t)snprintf(text + off, sizeof(text) - off, "  -%-16s %s\n",
		                        keys[i].name, keys[i].help);
	for (size_t i = 0; i < sizeof(score_keys) / sizeof(score_keys[0]) && off < sizeof(text);
	     i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "  -%-16s %s\n",
		                        score_keys[i].name, score_keys[i].help);
	if (off < sizeof(text))
		snprintf(text + off, sizeof(text) - off,
		         "  -repairstore      rebuild a damaged store (DATADIR/store), then exit\n"
		         "  --help            this text\n"
		         "  --version         the version\n\n"
		         "Signals: SIGINT/SIGTERM leave gracefully; SIGHUP re-reads the config "
		         "file.\n");
	return text;
}

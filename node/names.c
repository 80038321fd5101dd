/*
 * hearsayd's host names: connect, addnode and seednode targets given as HOST:PORT (config,
 * flags, the addnode RPC), and DNS seeds (dnsseed=HOST[:PORT]).
 *
 * Names are resolved with uv_getaddrinfo, on libuv's thread pool, so a slow or dead resolver
 * never stalls the event loop; the core only ever sees addresses. A connect, addnode or
 * seednode name gives the core one address at a time (the first usable answer); after a
 * failed dial of it, or a session that ended before its handshake, the name is looked up
 * again after the same backoff as the core's (2 s doubling to 10 min), and the core is given
 * another address when the answer no longer holds this one, or holds others and this one
 * failed. A name that does not resolve, or resolves to nothing usable (unspecified,
 * multicast or broadcast addresses only), is logged once per backoff step and looked up
 * again, never given up.
 *
 * A DNS seed (bitcoind's model) is asked only while the address book is short of records
 * (HS_DNSSEED_BOOK_MIN), or while no outbound session came up HS_DNSSEED_WAIT_S after start;
 * each usable A/AAAA answer, up to HS_DNSSEED_ADDRS_MAX, becomes a seed in the core (dialled
 * one at a time when the book has no candidate, asked for addresses, then left). The answers
 * beyond the cap and those the core has no room for are counted and logged.
 *
 * Attacker model: whoever answers DNS queries chooses the addresses. They are only dialled:
 * every peer still proves its identity in the handshake, and a seed's addresses arrive as
 * signed records checked like any other.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"

#define BACKOFF_BASE_NS (2 * HS_NS_PER_S) /* the core's dial backoff (overlay/connect.c) */
#define BACKOFF_MAX_NS  (600 * HS_NS_PER_S)
#define TICK_MS         1000

enum kind { K_CONNECT, K_ADDNODE, K_SEED, K_DNSSEED, K_ONETRY };
static const char *const kind_names[] = { "connect", "addnode", "seednode", "dnsseed",
	                                  "addnode onetry" };

struct name {
	struct name *next;
	struct hs_daemon *d;
	enum kind kind;
	char host[HS_HOSTNAME_MAX + 1];
	uint16_t port;
	uv_getaddrinfo_t req;
	bool resolving;
	bool removed;           /* an RPC removed it while it was resolving: freed on return */
	bool failed;            /* the address in use failed since the last lookup */
	bool announced;         /* its first resolution was logged */
	uint32_t failures;      /* lookups in a row with no usable address */
	uint32_t dial_failures; /* failed dials of its addresses since one last worked */
	uint64_t next_ns;       /* the next lookup; UINT64_MAX: none planned */
	size_t naddrs;          /* what the core holds for it (peers and seeds: at most one) */
	struct hs_netaddr addrs[HS_DNSSEED_ADDRS_MAX];
	bool owned[HS_DNSSEED_ADDRS_MAX]; /* added by us (not also configured by address) */
};

struct hs_names {
	struct name *list;
	size_t count;
	uv_timer_t timer;
	bool timer_on;
	uint64_t lookups, lookup_failures;
	uint64_t discarded; /* DNS seed answers over the cap or refused by the core */
};

static uint64_t backoff_ns(uint32_t failures)
{
	uint64_t d = BACKOFF_BASE_NS << (failures < 12 ? failures : 12);
	return d < BACKOFF_MAX_NS ? d : BACKOFF_MAX_NS;
}

static void duration(char *out, size_t outlen, uint64_t ns)
{
	uint64_t s = (ns + HS_NS_PER_S / 2) / HS_NS_PER_S;
	if (s < 120)
		snprintf(out, outlen, "%llu s", (unsigned long long)s);
	else
		snprintf(out, outlen, "%llu min", (unsigned long long)((s + 30) / 60));
}

/* An address worth dialling: not unspecified, multicast or broadcast, nor in 0.0.0.0/8. */
static bool usable(const struct hs_netaddr *a)
{
	static const uint8_t zero[16];
	if (!hs_netaddr_is_valid(a))
		return false;
	if (a->family == HS_AF_INET)
		return a->ip[0] != 0 && a->ip[0] < 224;
	return memcmp(a->ip, zero, 16) != 0 && a->ip[0] != 0xff;
}

static bool from_addrinfo(struct hs_netaddr *a, const struct addrinfo *ai, uint16_t port)
{
	if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
		const uint8_t *ip =
		        (const uint8_t *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
		*a = hs_netaddr_ipv4(ip[0], ip[1], ip[2], ip[3], port);
		return true;
	}
	if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ai->ai_addr;
		*a = hs_netaddr_ipv6((const uint8_t *)&s->sin6_addr, port);
		return true;
	}
	return false;
}

static void on_tick(uv_timer_t *t);

static struct name *add(struct hs_daemon *d, const char *host, uint16_t port, enum kind kind)
{
	struct hs_names *ns = d->names;
	if (!ns || ns->count >= HS_NAMES_MAX)
		return NULL;
	struct name *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->d = d;
	n->kind = kind;
	snprintf(n->host, sizeof(n->host), "%s", host);
	n->port = port;
	n->next_ns = hs_daemon_now(d);
	n->next = ns->list;
	ns->list = n;
	ns->count++;
	if (!ns->timer_on) {
		uv_timer_start(&ns->timer, on_tick, 0, TICK_MS);
		ns->timer_on = true;
	}
	return n;
}

static void unlink_free(struct name *n)
{
	struct hs_names *ns = n->d->names;
	for (struct name **pp = &ns->list; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			ns->count--;
			break;
		}
	}
	free(n);
}

/* Takes back from the core what it holds for n. */
static void release(struct name *n)
{
	for (size_t i = 0; i < n->naddrs; i++)
		if (n->owned[i])
			(void)!hs_node_remove_peer(n->d->node, &n->addrs[i]);
	n->naddrs = 0;
}

/* ---- lookups ------------------------------------------------------------------------------ */

/* Nothing usable: logged once per backoff step (the last step once, then at debug level). */
static void resolve_failed(struct name *n, const char *why)
{
	struct hs_daemon *d = n->d;
	d->names->lookup_failures++;
	uint64_t wait = backoff_ns(n->failures);
	bool same_step = n->failures > 0 && backoff_ns(n->failures - 1) == wait;
	n->failures++;
	if (n->kind == K_ONETRY) {
		hs_log(HS_LOG_WARN, "cannot resolve %s (%s): %s; not tried again", n->host,
		       kind_names[n->kind], why);
		unlink_free(n);
		return;
	}
	n->next_ns = hs_daemon_now(d) + wait;
	char w[32];
	duration(w, sizeof(w), wait);
	hs_log(same_step ? HS_LOG_DEBUG : HS_LOG_WARN,
	       "cannot resolve %s (%s): %s; trying again in %s%s", n->host, kind_names[n->kind],
	       why, w,
	       same_step                ? ""
	       : wait == BACKOFF_MAX_NS ? " (the longest wait; later failures are logged at "
	                                  "debug level)"
	       : n->failures == 1       ? " (the wait doubles with each failure, up to 10 min)"
	                                : "");
}

static void apply_peer(struct name *n, const struct hs_netaddr *got, size_t ngot)
{
	struct hs_daemon *d = n->d;
	uint64_t now = hs_daemon_now(d);
	size_t at = ngot;
	for (size_t i = 0; n->naddrs && i < ngot; i++)
		if (hs_netaddr_equal(&got[i], &n->addrs[0]))
			at = i;
	size_t pick = at == ngot ? 0 : n->failed && ngot > 1 ? (at + 1) % ngot : at;
	n->failed = false;
	if (n->naddrs && pick == at)
		return; /* the address in use is still the answer */
	char a[HS_NETADDR_STRLEN], was[HS_NETADDR_STRLEN] = "";
	hs_netaddr_format(&got[pick], a);
	if (n->naddrs)
		hs_netaddr_format(&n->addrs[0], was);
	release(n);
	int rc = n->kind == K_SEED ? hs_node_add_seed(d->node, &got[pick], now)
	                           : hs_node_add_peer(d->node, &got[pick], now);
	if (rc && rc != HS_ERR_EXISTS) {
		hs_log(HS_LOG_WARN, "%s %s: the node cannot take %s: %s", kind_names[n->kind],
		       n->host, a, hs_strerror(rc));
		n->next_ns = now + backoff_ns(n->dial_failures++);
		return;
	}
	n->addrs[0] = got[pick];
	n->owned[0] = rc == 0; /* else also configured by address: not ours to remove */
	n->naddrs = 1;
	if (!n->announced)
		hs_log(HS_LOG_INFO, "%s %s resolves to %s%s", kind_names[n->kind], n->host, a,
		       ngot > 1 ? " (the first of its addresses)" : "");
	else
		hs_log(HS_LOG_INFO, "%s %s: trying %s instead of %s%s", kind_names[n->kind],
		       n->host, a, was, at == ngot ? " (no longer in its answer)" : " (it failed)");
	n->announced = true;
}

static void apply_dnsseed(struct name *n, const struct hs_netaddr *got, size_t ngot, size_t nall)
{
	struct hs_daemon *d = n->d;
	uint64_t now = hs_daemon_now(d);
	/* Seeds from the last answer that this one no longer holds leave the core. */
	for (size_t i = 0; i < n->naddrs; i++) {
		bool kept = false;
		for (size_t j = 0; j < ngot; j++)
			kept |= hs_netaddr_equal(&n->addrs[i], &got[j]);
		if (!kept && n->owned[i])
			(void)!hs_node_remove_peer(d->node, &n->addrs[i]);
	}
	struct hs_netaddr old[HS_DNSSEED_ADDRS_MAX];
	bool old_owned[HS_DNSSEED_ADDRS_MAX];
	size_t nold = n->naddrs, refused = 0;
	memcpy(old, n->addrs, sizeof(old));
	memcpy(old_owned, n->owned, sizeof(old_owned));
	n->naddrs = 0;
	for (size_t j = 0; j < ngot; j++) {
		int rc = hs_node_add_seed(d->node, &got[j], now);
		bool owned = rc == 0;
		for (size_t i = 0; rc == HS_ERR_EXISTS && i < nold; i++)
			if (hs_netaddr_equal(&old[i], &got[j]))
				owned = old_owned[i];
		if (rc && rc != HS_ERR_EXISTS) {
			refused++;
			continue;
		}
		n->addrs[n->naddrs] = got[j];
		n->owned[n->naddrs++] = owned;
	}
	size_t over = nall - ngot;
	d->names->discarded += over + refused;
	char first[HS_NETADDR_STRLEN] = "";
	if (n->naddrs)
		hs_netaddr_format(&n->addrs[0], first);
	hs_log(over + refused ? HS_LOG_WARN : HS_LOG_INFO,
	       "dnsseed %s: %zu usable addresses, %zu taken as seeds (%s%s); %zu beyond the cap of "
	       "%d and %zu the node had no room for were discarded",
	       n->host, nall, n->naddrs, first, n->naddrs > 1 ? ", ..." : "", over,
	       (int)HS_DNSSEED_ADDRS_MAX, refused);
	n->next_ns = now + (uint64_t)HS_DNSSEED_REQUERY_S * HS_NS_PER_S;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct name *n = req->data;
	struct hs_daemon *d = n->d;
	n->resolving = false;
	if (n->removed) {
		uv_freeaddrinfo(res);
		unlink_free(n);
		return;
	}
	if (d->stopping || !d->node) {
		uv_freeaddrinfo(res);
		return;
	}
	struct hs_netaddr got[HS_DNSSEED_ADDRS_MAX];
	/* A DNS seed's answers up to the cap; a peer's too: any may be the next one tried. */
	size_t ngot = 0, nall = 0, cap = HS_DNSSEED_ADDRS_MAX;
	for (const struct addrinfo *ai = status == 0 ? res : NULL; ai; ai = ai->ai_next) {
		struct hs_netaddr a;
		if (!from_addrinfo(&a, ai, n->port) || !usable(&a))
			continue;
		bool dup = false;
		for (size_t i = 0; i < ngot; i++)
			dup |= hs_netaddr_equal(&got[i], &a);
		if (dup)
			continue;
		nall++;
		if (ngot < cap)
			got[ngot++] = a;
	}
	uv_freeaddrinfo(res);
	if (status < 0 || ngot == 0) {
		resolve_failed(n, status < 0 ? uv_strerror(status)
		                             : "no usable address in its answer (only unspecified, "
		                               "multicast or broadcast ones)");
		hs_daemon_pump(d);
		return;
	}
	n->failures = 0;
	if (n->kind == K_ONETRY) {
		char a[HS_NETADDR_STRLEN];
		hs_netaddr_format(&got[0], a);
		int rc = hs_node_dial_once(d->node, &got[0], hs_daemon_now(d));
		hs_log(rc ? HS_LOG_WARN : HS_LOG_INFO, "addnode onetry %s: %s %s%s%s", n->host,
		       rc ? "cannot dial" : "dialling", a, rc ? ": " : "",
		       rc ? hs_strerror(rc) : "");
		unlink_free(n);
	} else if (n->kind == K_DNSSEED) {
		apply_dnsseed(n, got, ngot, nall);
	} else {
		n->next_ns = UINT64_MAX;
		apply_peer(n, got, ngot);
	}
	hs_daemon_pump(d);
}

static void lookup(struct name *n)
{
	struct hs_daemon *d = n->d;
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	n->resolving = true;
	n->next_ns = UINT64_MAX;
	n->req.data = n;
	d->names->lookups++;
	int rc = uv_getaddrinfo(&d->loop, &n->req, on_resolved, n->host, NULL, &hints);
	if (rc) {
		n->resolving = false;
		resolve_failed(n, uv_strerror(rc));
	}
}

/* ---- when to look up -------------------------------------------------------------------- */

static bool book_short(struct hs_daemon *d, uint64_t now)
{
	struct hs_node_usage u;
	hs_node_get_usage(d->node, &u);
	if (u.addresses < HS_DNSSEED_BOOK_MIN)
		return true;
	if (now - d->wall0_ns < (uint64_t)HS_DNSSEED_WAIT_S * HS_NS_PER_S)
		return false;
	for (const struct conn *c = d->conns; c; c = c->next)
		if (c->outbound && c->up)
			return false;
	return true;
}

static void on_tick(uv_timer_t *t)
{
	struct hs_daemon *d = t->data;
	if (d->stopping || !d->node)
		return;
	uint64_t now = hs_daemon_now(d);
	struct name *next;
	for (struct name *n = d->names->list; n; n = next) {
		next = n->next; /* a lookup that fails at once may free n (onetry) */
		if (n->resolving || n->removed || now < n->next_ns)
			continue;
		if (n->kind == K_DNSSEED && !book_short(d, now))
			continue;
		lookup(n);
	}
}

/* ---- the daemon's interface --------------------------------------------------------------- */

static enum kind kind_of_list(const struct hs_daemon *d, const struct hs_addr_list *l)
{
	return l == &d->cfg.connect    ? K_CONNECT
	       : l == &d->cfg.addnode  ? K_ADDNODE
	       : l == &d->cfg.seednode ? K_SEED
	                               : K_DNSSEED;
}

static struct name *find(struct hs_daemon *d, const char *host, uint16_t port, bool peers)
{
	for (struct name *n = d->names ? d->names->list : NULL; n; n = n->next)
		if (!n->removed && n->port == port && strcmp(n->host, host) == 0 &&
		    (n->kind == K_CONNECT || n->kind == K_ADDNODE) == peers)
			return n;
	return NULL;
}

static void add_list(struct hs_daemon *d, const struct hs_addr_list *l)
{
	enum kind kind = kind_of_list(d, l);
	for (size_t i = 0; i < l->count; i++) {
		const struct hs_endpoint *e = &l->items[i];
		if (!e->host[0] ||
		    find(d, e->host, e->port, kind == K_CONNECT || kind == K_ADDNODE))
			continue;
		if (!add(d, e->host, e->port, kind))
			hs_log(HS_LOG_WARN, "%s %s:%u: more than %d names; ignored",
			       kind_names[kind], e->host, (unsigned)e->port, (int)HS_NAMES_MAX);
	}
}

int hs_names_start(struct hs_daemon *d)
{
	d->names = calloc(1, sizeof(*d->names));
	if (!d->names)
		return HS_ERR_NOMEM;
	uv_timer_init(&d->loop, &d->names->timer);
	d->names->timer.data = d;
	add_list(d, &d->cfg.connect);
	add_list(d, &d->cfg.addnode);
	if (d->cfg.connect.count == 0) {
		add_list(d, &d->cfg.seednode);
		add_list(d, &d->cfg.dnsseed);
	}
	return 0;
}

void hs_names_reload(struct hs_daemon *d, const struct hs_addr_list *addnode)
{
	for (size_t i = 0; i < addnode->count; i++) {
		const struct hs_endpoint *e = &addnode->items[i];
		if (e->host[0] && !find(d, e->host, e->port, true) &&
		    add(d, e->host, e->port, K_ADDNODE))
			hs_log(HS_LOG_INFO, "reload: added the manual peer %s:%u", e->host,
			       (unsigned)e->port);
	}
}

int hs_names_addnode(struct hs_daemon *d, const struct hs_endpoint *e, const char *cmd)
{
	struct name *n = find(d, e->host, e->port, true);
	if (strcmp(cmd, "add") == 0) {
		if (n)
			return HS_ERR_EXISTS;
		return add(d, e->host, e->port, K_ADDNODE) ? 0 : HS_ERR_FULL;
	}
	if (strcmp(cmd, "remove") == 0) {
		if (!n || n->kind != K_ADDNODE)
			return HS_ERR_NOT_FOUND;
		release(n);
		if (n->resolving) {
			n->removed = true;
			uv_cancel((uv_req_t *)&n->req);
		} else {
			unlink_free(n);
		}
		return 0;
	}
	if (strcmp(cmd, "onetry") == 0)
		return add(d, e->host, e->port, K_ONETRY) ? 0 : HS_ERR_FULL;
	return HS_ERR_INVALID;
}

void hs_names_dial_failed(struct hs_daemon *d, const struct hs_netaddr *addr)
{
	uint64_t now = hs_daemon_now(d);
	for (struct name *n = d->names ? d->names->list : NULL; n; n = n->next) {
		if (n->kind == K_DNSSEED || n->kind == K_ONETRY || n->removed || !n->naddrs ||
		    !hs_netaddr_equal(&n->addrs[0], addr))
			continue;
		n->failed = true;
		uint64_t at = now + backoff_ns(n->dial_failures++);
		if (!n->resolving && (n->next_ns == UINT64_MAX || at < n->next_ns))
			n->next_ns = at;
	}
}

void hs_names_connected(struct hs_daemon *d, const struct hs_netaddr *addr)
{
	for (struct name *n = d->names ? d->names->list : NULL; n; n = n->next)
		if (n->naddrs && n->kind != K_DNSSEED && hs_netaddr_equal(&n->addrs[0], addr)) {
			n->dial_failures = 0;
			n->failed = false;
		}
}

const char *hs_names_of(const struct hs_daemon *d, const struct hs_netaddr *addr)
{
	for (const struct name *n = d->names ? d->names->list : NULL; n; n = n->next)
		for (size_t i = 0; !n->removed && i < n->naddrs; i++)
			if (hs_netaddr_equal(&n->addrs[i], addr))
				return n->host;
	return NULL;
}

void hs_names_stats(const struct hs_daemon *d, uint64_t *lookups, uint64_t *failures,
                    uint64_t *discarded)
{
	const struct hs_names *ns = d->names;
	*lookups = ns ? ns->lookups : 0;
	*failures = ns ? ns->lookup_failures : 0;
	*discarded = ns ? ns->discarded : 0;
}

void hs_names_stop(struct hs_daemon *d)
{
	if (!d->names)
		return;
	for (struct name *n = d->names->list; n; n = n->next)
		if (n->resolving)
			uv_cancel((uv_req_t *)&n->req); /* a lookup already running is waited for */
}

void hs_names_free(struct hs_daemon *d)
{
	if (!d->names)
		return;
	while (d->names->list)
		unlink_free(d->names->list);
	free(d->names);
	d->names = NULL;
}

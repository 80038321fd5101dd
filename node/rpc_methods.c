/*
 * The JSON-RPC methods (docs/RPC.md): bitcoin-cli names where they exist. Parameters are
 * positional; a bad one answers -32602 with a message naming it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon_impl.h"
#include "node/rpcauth.h"
#include "overlay/record.h"
#include "reputation/banlist.h"

#define E_METHOD    (-32601)
#define E_NOTFOUND  (-32002)
#define E_STORE     (-20) /* bitcoind's RPC_DATABASE_ERROR: the store refused a write */
#define E_POLICY    (-40) /* a signer policy (topicsigners) refuses our own publish */
#define E_VALIDATOR (-41) /* a registration or verdict refused (docs/RPC.md) */
#define PEERS_MAX   HS_PEERS_MAX

void hs_hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

bool hs_unhex(uint8_t *out, size_t n, const char *hex)
{
	if (!hex || strlen(hex) != 2 * n)
		return false;
	for (size_t i = 0; i < 2 * n; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (v < 0)
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return true;
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char h[2 * 64 + 1];
	hs_hex(h, p, n);
	return json_string(h);
}

static json_t *addr_json(const struct hs_netaddr *a)
{
	char s[HS_NETADDR_STRLEN];
	hs_netaddr_format(a, s);
	return json_string(s);
}

static bool printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

json_t *hs_rumor_json(const struct hs_rumor *rm, const uint8_t id[HS_ID_LEN])
{
	json_t *o = json_object();
	json_object_set_new(o, "id", hex_json(id, HS_ID_LEN));
	json_object_set_new(o, "origin", hex_json(rm->origin, HS_KEY_LEN));
	json_object_set_new(o, "topic", json_stringn((const char *)rm->topic, rm->topic_len));
	json_object_set_new(o, "time_ms", json_integer((json_int_t)rm->time_ms));
	/* data: the payload as text when it is printable ASCII; data_hex always. */
	if (printable(rm->payload, rm->payload_len))
		json_object_set_new(o, "data",
		                    json_stringn((const char *)rm->payload, rm->payload_len));
	else
		json_object_set_new(o, "data", json_null());
	char *h = malloc(2 * rm->payload_len + 1);
	if (h) {
		hs_hex(h, rm->payload, rm->payload_len);
		json_object_set_new(o, "data_hex", json_string(h));
		free(h);
	}
	return o;
}

/* ---- parameter helpers ----------------------------------------------------------------- */

struct call {
	struct hs_daemon *d;
	struct rpc_client *c;
	json_t *params;
	int *code;
	const char **message;
	bool prefix_failed; /* an id prefix was unknown or ambiguous: the message says which */
};

/* The last error message: valid until the next call (the loop is single-threaded). */
static char last_error[1024];

__attribute__((format(printf, 3, 4))) static json_t *fail(struct call *k, int code, const char *fmt,
                                                          ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	*k->code = code;
	*k->message = last_error;
	return NULL;
}

static const char *str_param(struct call *k, size_t i)
{
	return json_string_value(json_array_get(k->params, i));
}

/* A non-negative integer given as a JSON number or a decimal string. */
static bool uint_param(struct call *k, size_t i, uint64_t *out)
{
	json_t *v = json_array_get(k->params, i);
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	const char *s = json_string_value(v);
	if (!s || !*s)
		return false;
	char *end;
	unsigned long long n = strtoull(s, &end, 10);
	if (*end || s[0] == '-')
		return false;
	*out = n;
	return true;
}

static bool too_many(struct call *k, size_t max)
{
	return json_array_size(k->params) > max;
}

/* ---- node ids by prefix -------------------------------------------------------------------- */

/* The shortest prefix taken for an id. Rationale: fewer digits match by accident too often to
 * be what the operator meant. */
#define ID_PREFIX_MIN 4

struct prefix_match {
	const char *prefix;
	size_t len;
	uint8_t first[32];
	size_t n; /* distinct ids that match */
};

static void prefix_offer(struct prefix_match *m, const uint8_t id[32])
{
	char h[65];
	hs_hex(h, id, 32);
	if (strncasecmp(h, m->prefix, m->len) != 0)
		return;
	if (m->n && memcmp(m->first, id, 32) == 0)
		return;
	if (m->n == 0)
		memcpy(m->first, id, 32);
	m->n += m->n < 2 ? 1 : 0; /* two are enough to call it ambiguous */
}

static void prefix_state(void *ctx, const struct hs_entry *e, const uint8_t id[HS_ID_LEN])
{
	(void)id;
	prefix_offer(ctx, e->origin);
}

static bool is_hex_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

/* A node id given in full (64 hex digits) or by a unique prefix of at least ID_PREFIX_MIN
 * digits among the ids this node knows: its own, connected peers, the address book, banned
 * ids and state origins. 1: resolved; 0: not an id at all (id untouched); -1: an unknown or
 * ambiguous prefix, the error already set. */
static int resolve_id(struct call *k, const char *s, uint8_t id[32])
{
	size_t n = s ? strlen(s) : 0;
	if (n == 64 && hs_unhex(id, 32, s))
		return 1;
	if (n < ID_PREFIX_MIN || n > 64 || !is_hex_text(s, n))
		return 0;
	struct prefix_match m = { .prefix = s, .len = n };
	prefix_offer(&m, hs_identity_pubkey(k->d->id));
	struct hs_peer_info info[PEERS_MAX];
	size_t np = hs_node_peers(k->d->node, info, PEERS_MAX);
	for (size_t i = 0; i < np && i < PEERS_MAX; i++)
		prefix_offer(&m, info[i].id);
	size_t max = 4096;
	struct hs_record *recs = malloc(max * sizeof(*recs));
	size_t nr = recs ? hs_node_addresses(k->d->node, recs, max) : 0;
	for (size_t i = 0; i < nr && i < max; i++)
		prefix_offer(&m, recs[i].id);
	free(recs);
	uint64_t t = hs_daemon_now(k->d);
	size_t nb = hs_node_bans(k->d->node, NULL, 0, t) + 1;
	struct hs_ban *bans = malloc(nb * sizeof(*bans));
	size_t got = bans ? hs_node_bans(k->d->node, bans, nb, t) : 0;
	for (size_t i = 0; i < got && i < nb; i++)
		if (bans[i].kind == HS_BAN_ID)
			prefix_offer(&m, bans[i].key);
	free(bans);
	hs_node_each_state(k->d->node, NULL, prefix_state, &m);
	if (m.n == 1) {
		memcpy(id, m.first, 32);
		return 1;
	}
	if (m.n == 0)
		fail(k, E_PARAMS,
		     "unknown node id prefix %s: no known node (peer, address book, ban or state "
		     "origin) has an id starting so",
		     s);
	else
		fail(k, E_PARAMS,
		     "ambiguous node id prefix %s: more than one known node id starts so; give "
		     "more digits",
		     s);
	return -1;
}

/* "ADDR or ID": 64 hex digits are an id; anything else must parse as an address, with or
 * without a port, an IPv6 one with or without brackets (as listbanned prints it). */
static bool target_param(struct call *k, size_t i, bool *is_id, uint8_t id[32],
                         struct hs_netaddr *addr)
{
	const char *s = str_param(k, i);
	if (!s)
		return false;
	if (strlen(s) == 64 && hs_unhex(id, 32, s)) {
		*is_id = true;
		return true;
	}
	*is_id = false;
	if (hs_netaddr_parse(addr, s, 1))
		return true;
	char bracketed[64];
	if (strlen(s) < sizeof(bracketed) - 2 &&
	    snprintf(bracketed, sizeof(bracketed), "[%s]", s) > 0 &&
	    hs_netaddr_parse(addr, bracketed, 1))
		return true;
	int r = resolve_id(k, s, id);
	if (r < 0)
		k->prefix_failed = true;
	*is_id = r == 1;
	return r == 1;
}

/* A ban target as listbanned prints it: "ID", "ADDR", "IPv6/64" (the same as the bare
 * address: IPv6 bans cover the /64), or "NET/16" / "NET/32" for a network group. */
static bool ban_target(struct call *k, uint8_t *kind, uint8_t key[32])
{
	const char *s = str_param(k, 0);
	bool is_id;
	uint8_t id[32];
	struct hs_netaddr a;
	if (!s)
		return false;
	const char *slash = strchr(s, '/');
	char head[64];
	if (slash) {
		size_t n = (size_t)(slash - s);
		if (n >= sizeof(head) ||
		    (strcmp(slash, "/16") && strcmp(slash, "/32") && strcmp(slash, "/64")))
			return false;
		memcpy(head, s, n);
		head[n] = '\0';
		json_t *one = json_pack("[s]", head);
		if (!one)
			return false;
		json_t *saved = k->params;
		k->params = one;
		bool ok = target_param(k, 0, &is_id, id, &a);
		k->params = saved;
		json_decref(one);
		if (!ok || is_id)
			return false;
		bool group = strcmp(slash, "/64") != 0;
		if (group != (strcmp(slash, a.family == HS_AF_INET ? "/16" : "/32") == 0))
			return false; /* /16 for IPv4 groups, /32 and /64 for IPv6 */
		*kind = group ? HS_BAN_GROUP : HS_BAN_ADDR;
		if (group)
			hs_ban_group_key(&a, key);
		else
			hs_ban_addr_key(&a, key);
		return true;
	}
	if (!target_param(k, 0, &is_id, id, &a))
		return false;
	*kind = is_id ? HS_BAN_ID : HS_BAN_ADDR;
	if (is_id)
		memcpy(key, id, 32);
	else
		hs_ban_addr_key(&a, key);
	return true;
}

static uint64_t now(struct call *k)
{
	return hs_daemon_now(k->d);
}

/* ---- the store ---------------------------------------------------------------------------- */

/* Refuses a write of the node's own while the store refuses writes. */
static json_t *readonly_fail(struct call *k, const char *what)
{
	return fail(k, E_STORE,
	            "%s refused: the node is read-only until its store takes writes again: %s",
	            what, hs_persist_error(k->d));
}

static uint64_t store_failures(const struct hs_daemon *d)
{
	return d->store_write_errors + d->store_saves_dropped;
}

/* Writes what the call asked the core to save (its HS_EV_SAVE events) now, so the reply can
 * say whether it was stored. */
static bool saved_since(struct call *k, uint64_t failures)
{
	hs_daemon_pump(k->d);
	return store_failures(k->d) == failures;
}

/* ---- network ---------------------------------------------------------------------------- */

/* The addresses our signed record advertises now, in its order. */
static json_t *local_addresses(struct hs_daemon *d)
{
	json_t *a = json_array();
	uint8_t enc[HS_RECORD_MAX];
	size_t len;
	struct hs_record rec;
	if (hs_node_record(d->node, enc, sizeof(enc), &len) == 0 &&
	    hs_record_decode(&rec, enc, len) == 0)
		for (size_t i = 0; i < rec.naddrs; i++)
			json_array_append_new(a, addr_json(&rec.addrs[i]));
	return a;
}

static json_t *m_getnetworkinfo(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "getnetworkinfo takes no parameters");
	struct hs_daemon *d = k->d;
	struct hs_peer_info info[PEERS_MAX];
	size_t n = hs_node_peers(d->node, info, PEERS_MAX), in = 0, active = 0;
	for (size_t i = 0; i < n && i < PEERS_MAX; i++) {
		in += info[i].inbound;
		active += info[i].active;
	}
	json_t *o = json_object();
	json_object_set_new(o, "id", hex_json(hs_identity_pubkey(d->id), 32));
	json_object_set_new(o, "network", json_string(d->cfg.network));
	json_object_set_new(o, "generation", json_integer((json_int_t)d->generation));
	json_object_set_new(o, "listen",
	                    d->cfg.listen_on ? addr_json(&d->cfg.listen) : json_null());
	json_object_set_new(o, "connections", json_integer((json_int_t)active));
	json_object_set_new(o, "connections_in", json_integer((json_int_t)in));
	json_object_set_new(o, "connections_out", json_integer((json_int_t)(n - in)));
	json_object_set_new(o, "version", json_string(HS_VERSION));
	json_object_set_new(o, "protocolversion", json_integer(HS_PROTOCOL_VERSION));
	json_object_set_new(o, "seed", json_boolean(d->cfg.seed));
	size_t samples;
	int64_t off = hs_node_time_offset_ms(d->node, &samples);
	json_object_set_new(o, "timeoffset", json_integer((json_int_t)(off / 1000)));
	json_object_set_new(o, "timeoffset_samples", json_integer((json_int_t)samples));
	json_object_set_new(o, "uptime",
	                    json_integer((json_int_t)((now(k) - d->started_ns) / HS_NS_PER_S)));
	json_object_set_new(o, "localaddresses", local_addresses(d));
	json_object_set_new(o, "upnp", hs_upnp_json(d));
	json_object_set_new(o, "members", hs_members_counts_json(d));
	json_object_set_new(o, "store_readonly", json_boolean(hs_persist_readonly(d)));
	json_object_set_new(o, "store_error",
	                    hs_persist_readonly(d) ? json_string(hs_persist_error(d))
	                                           : json_null());
	return o;
}

static json_t *m_getpeerinfo(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "getpeerinfo takes no parameters");
	struct hs_peer_info info[PEERS_MAX];
	size_t n = hs_node_peers(k->d->node, info, PEERS_MAX);
	json_t *a = json_array();
	for (size_t i = 0; i < n && i < PEERS_MAX; i++) {
		const struct hs_peer_info *p = &info[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", hex_json(p->id, 32));
		json_object_set_new(o, "addr", addr_json(&p->addr));
		json_object_set_new(o, "inbound", json_boolean(p->inbound));
		json_object_set_new(o, "active", json_boolean(p->active));
		json_object_set_new(o, "rtt_ms", json_real((double)p->rtt_ns / 1e6));
		json_object_set_new(o, "score", json_real(p->score));
		json_object_set_new(o, "eager", json_boolean(p->eager));
		json_object_set_new(o, "pushes_to_us", json_boolean(p->pushes_to_us));
		json_object_set_new(
		        o, "conntime_s",
		        json_integer((json_int_t)((now(k) - p->connected_ns) / HS_NS_PER_S)));
		json_object_set_new(o, "bytes_sent", json_integer((json_int_t)p->bytes_out));
		json_object_set_new(o, "bytes_recv", json_integer((json_int_t)p->bytes_in));
		json_object_set_new(o, "msgs_sent", json_integer((json_int_t)p->msgs_out));
		json_object_set_new(o, "msgs_recv", json_integer((json_int_t)p->msgs_in));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *m_getnodeaddresses(struct call *k)
{
	uint64_t count = 1;
	if (too_many(k, 1) || (json_array_size(k->params) == 1 && !uint_param(k, 0, &count)))
		return fail(k, E_PARAMS, "%s", "count must be a non-negative integer (0: all)");
	size_t max = 4096;
	struct hs_record *recs = malloc(max * sizeof(*recs));
	if (!recs)
		return fail(k, E_INTERNAL, "%s", "out of memory");
	size_t n = hs_node_addresses(k->d->node, recs, max);
	if (n > max)
		n = max;
	if (count && count < n)
		n = (size_t)count;
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "id", hex_json(recs[i].id, 32));
		json_object_set_new(o, "addr",
		                    recs[i].naddrs ? addr_json(&recs[i].addrs[0]) : json_null());
		json_object_set_new(o, "services", json_integer((json_int_t)recs[i].services));
		json_object_set_new(o, "time", json_integer((json_int_t)recs[i].time_s));
		json_object_set_new(o, "seq", json_integer((json_int_t)recs[i].seq));
		json_array_append_new(a, o);
	}
	free(recs);
	return a;
}

static json_t *m_addnode(struct call *k)
{
	struct hs_endpoint e;
	const char *cmd = str_param(k, 1), *why = "missing";
	if (too_many(k, 2) || !str_param(k, 0) ||
	    !hs_endpoint_parse(&e, str_param(k, 0), 7070, &why))
		return fail(k, E_PARAMS, "addnode needs HOST:PORT, IP:PORT or [IPv6]:PORT (%s)",
		            why);
	const struct hs_netaddr a = e.addr;
	int rc;
	if (cmd && e.host[0] &&
	    (strcmp(cmd, "add") == 0 || strcmp(cmd, "remove") == 0 || strcmp(cmd, "onetry") == 0))
		rc = hs_names_addnode(k->d, &e, cmd); /* resolved off the loop, then dialled */
	else if (cmd && strcmp(cmd, "add") == 0)
		rc = hs_node_add_peer(k->d->node, &a, now(k));
	else if (cmd && strcmp(cmd, "remove") == 0)
		rc = hs_node_remove_peer(k->d->node, &a);
	else if (cmd && strcmp(cmd, "onetry") == 0)
		rc = hs_node_dial_once(k->d->node, &a, now(k));
	else
		return fail(k, E_PARAMS, "%s", "the command must be add, remove or onetry");
	if (rc == HS_ERR_EXISTS)
		return fail(k, -23, "%s", "node already added");
	if (rc == HS_ERR_NOT_FOUND)
		return fail(k, -24, "%s", "node has not been added");
	if (rc)
		return fail(k, E_INTERNAL, "%s", hs_strerror(rc));
	return json_null();
}

static json_t *m_disconnectnode(struct call *k)
{
	bool is_id;
	uint8_t id[32];
	struct hs_netaddr a;
	if (too_many(k, 1) || !target_param(k, 0, &is_id, id, &a))
		return k->prefix_failed ? NULL
		                        : fail(k, E_PARAMS, "%s",
		                               "disconnectnode needs an address or a node id (hex, "
		                               "or a unique prefix of it)");
	struct hs_peer_info info[PEERS_MAX];
	size_t n = hs_node_peers(k->d->node, info, PEERS_MAX);
	for (size_t i = 0; i < n && i < PEERS_MAX; i++) {
		bool match = is_id ? memcmp(info[i].id, id, 32) == 0
		                   : hs_netaddr_equal(&info[i].addr, &a);
		if (match && hs_node_disconnect(k->d->node, info[i].peer, now(k)) == 0)
			return json_null();
	}
	return fail(k, -29, "%s", "node not found in connected nodes");
}

/* ---- bans ------------------------------------------------------------------------------- */

static json_t *m_setban(struct call *k)
{
	uint8_t kind, key[32];
	const char *cmd = str_param(k, 1);
	if (too_many(k, 3) || !ban_target(k, &kind, key))
		return k->prefix_failed
		               ? NULL
		               : fail(k, E_PARAMS, "%s",
		                      "setban needs a node id (hex), an IP address, or a network "
		                      "as listbanned "
		                      "prints it (1.2.0.0/16, 2001:db8::/32, 2001:db8:1:2::/64)");
	uint64_t failures = store_failures(k->d);
	if (cmd && strcmp(cmd, "remove") == 0) {
		if (hs_node_unban(k->d->node, kind, key, now(k)) != 0)
			return fail(k, -30, "%s", "unban failed: not banned");
		if (!saved_since(k, failures))
			return fail(k, E_STORE,
			            "the ban is lifted until the node stops, but the store refused "
			            "the change: %s",
			            hs_persist_error(k->d));
		return json_null();
	}
	if (!cmd || strcmp(cmd, "add") != 0)
		return fail(k, E_PARAMS, "%s", "the command must be add or remove");
	uint64_t secs = k->d->cfg.bantime_s;
	if (json_array_size(k->params) == 3 && (!uint_param(k, 2, &secs) || secs == 0))
		return fail(k, E_PARAMS, "%s", "bantime must be a positive number of seconds");
	if (hs_node_ban(k->d->node, kind, key, now(k) + secs * HS_NS_PER_S, now(k)) != 0)
		return fail(k, E_INTERNAL, "%s", "cannot ban");
	if (!saved_since(k, failures))
		return fail(k, E_STORE,
		            "the ban holds until the node stops, but the store refused it (it is "
		            "rewritten when the store takes writes again): %s",
		            hs_persist_error(k->d));
	return json_null();
}

static json_t *ban_json(const struct hs_ban *b)
{
	json_t *o = json_object();
	if (b->kind == HS_BAN_ID) {
		json_object_set_new(o, "id", hex_json(b->key, 32));
	} else {
		struct hs_netaddr a;
		memset(&a, 0, sizeof(a));
		a.family = b->key[0];
		a.port = 1;
		memcpy(a.ip, b->key + 1, a.family == HS_AF_INET ? 4 : 16);
		char s[HS_NETADDR_STRLEN + 4];
		hs_netaddr_format(&a, s);
		char *colon = strrchr(s, ':'); /* an address ban has no port */
		if (colon)
			*colon = '\0';
		if (s[0] == '[') {
			memmove(s, s + 1, strlen(s));
			s[strlen(s) - 1] = '\0';
		}
		/* IPv6 bans cover the /64; a group ban its /16 or /32. */
		if (b->kind == HS_BAN_GROUP)
			strcat(s, a.family == HS_AF_INET ? "/16" : "/32");
		else if (a.family == HS_AF_INET6)
			strcat(s, "/64");
		json_object_set_new(o, b->kind == HS_BAN_GROUP ? "network" : "address",
		                    json_string(s));
	}
	json_object_set_new(o, "ban_created",
	                    json_integer((json_int_t)(b->created_ns / HS_NS_PER_S)));
	json_object_set_new(o, "banned_until",
	                    json_integer((json_int_t)(b->until_ns / HS_NS_PER_S)));
	json_object_set_new(
	        o, "reason",
	        json_string(b->reason == HS_BAN_MISBEHAVING ? "misbehaving" : "operator"));
	return o;
}

static json_t *m_listbanned(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "listbanned takes no parameters");
	size_t max = 4096;
	struct hs_ban *bans = malloc(max * sizeof(*bans));
	if (!bans)
		return fail(k, E_INTERNAL, "%s", "out of memory");
	size_t n = hs_node_bans(k->d->node, bans, max, now(k));
	json_t *a = json_array();
	for (size_t i = 0; i < n && i < max; i++)
		json_array_append_new(a, ban_json(&bans[i]));
	free(bans);
	return a;
}

static json_t *m_clearbanned(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "clearbanned takes no parameters");
	uint64_t failures = store_failures(k->d);
	hs_node_clear_bans(k->d->node, now(k));
	if (!saved_since(k, failures))
		return fail(k, E_STORE,
		            "the bans are lifted until the node stops, but the store refused the "
		            "change: %s",
		            hs_persist_error(k->d));
	return json_null();
}

static json_t *m_getscore(struct call *k)
{
	uint8_t id[32];
	int r = too_many(k, 1) ? 0 : resolve_id(k, str_param(k, 0), id);
	if (r < 0)
		return NULL;
	if (r == 0)
		return fail(k, E_PARAMS, "%s",
		            "getscore needs a node id (64 hex digits, or a unique prefix of at "
		            "least 4)");
	const struct hs_score_entry *e;
	double score = hs_node_score(k->d->node, id, now(k), &e);
	json_t *o = json_object();
	json_object_set_new(o, "id", hex_json(id, 32));
	json_object_set_new(o, "score", json_real(score));
	/* Every ban, not a first few: a flood fills the table with thousands. */
	size_t cap = hs_node_bans(k->d->node, NULL, 0, now(k)) + 1;
	struct hs_ban *bans = malloc(cap * sizeof(*bans));
	if (!bans) {
		json_decref(o);
		return fail(k, E_INTERNAL, "%s", "out of memory");
	}
	size_t nb = hs_node_bans(k->d->node, bans, cap, now(k));
	bool banned = false;
	for (size_t i = 0; i < nb && i < cap; i++)
		banned |= bans[i].kind == HS_BAN_ID && memcmp(bans[i].key, id, 32) == 0;
	free(bans);
	struct hs_score_params p;
	hs_score_params_default(&p);
	/* While a ban holds the peer is banned, even as its score decays back toward zero. */
	const char *standing = banned                          ? "banned"
	                       : score <= p.ban_threshold      ? "ban"
	                       : score <= p.graylist_threshold ? "graylist"
	                       : score <= p.gossip_threshold   ? "no-gossip"
	                                                       : "good";
	json_object_set_new(o, "standing", json_string(standing));
	json_object_set_new(o, "banned", json_boolean(banned));
	json_t *totals = json_object(), *events = json_array();
	for (unsigned kind = 1; e && kind < HS_SCORE_KINDS; kind++)
		if (e->count[kind])
			json_object_set_new(totals, hs_score_kind_name((uint8_t)kind),
			                    json_pack("{s:i, s:f}", "count",
			                              (json_int_t)e->count[kind], "points",
			                              e->points[kind]));
	for (unsigned i = 0; e && i < e->nlast; i++) {
		const struct hs_score_event *ev =
		        &e->last[((unsigned)e->head + HS_SCORE_EVENTS - e->nlast + i) %
		                 HS_SCORE_EVENTS];
		json_array_append_new(events,
		                      json_pack("{s:I, s:s, s:f}", "time_ms",
		                                (json_int_t)(ev->time_ns / HS_NS_PER_MS), "kind",
		                                hs_score_kind_name(ev->kind), "points",
		                                (double)ev->delta_milli / 1000.0));
	}
	json_object_set_new(o, "totals", totals);
	json_object_set_new(o, "events", events);
	return o;
}

/* ---- rumors ----------------------------------------------------------------------------- */

static json_t *publish_bytes(struct call *k, const char *topic, const uint8_t *data, size_t datalen)
{
	if (hs_persist_readonly(k->d))
		return readonly_fail(k, "publish");
	if (!hs_validators_signer_ok(k->d, (const uint8_t *)topic, strlen(topic),
	                             hs_identity_pubkey(k->d->id)))
		return fail(k, E_POLICY,
		            "topic %s takes rumors only from the keys its topicsigners "
		            "line lists, and this node's key is not one of them",
		            topic);
	uint8_t id[HS_ID_LEN];
	int rc = hs_node_publish(k->d->node, id, topic, data, datalen, now(k));
	if (rc == HS_ERR_INVALID)
		return fail(k, E_PARAMS, "%s",
		            "invalid topic (1..64 printable characters, no spaces) or data over "
		            "60000 bytes");
	if (rc)
		return fail(k, E_INTERNAL, "%s", hs_strerror(rc));
	return json_pack("{s:o}", "id", hex_json(id, HS_ID_LEN));
}

static json_t *m_publish(struct call *k)
{
	const char *topic = str_param(k, 0), *data = str_param(k, 1);
	if (too_many(k, 2) || !topic || !data)
		return fail(k, E_PARAMS, "%s", "publish needs TOPIC and DATA");
	return publish_bytes(k, topic, (const uint8_t *)data, strlen(data));
}

static json_t *m_publishhex(struct call *k)
{
	const char *topic = str_param(k, 0), *hex = str_param(k, 1);
	if (too_many(k, 2) || !topic || !hex)
		return fail(k, E_PARAMS, "%s", "publishhex needs TOPIC and HEX");
	size_t n = strlen(hex), bad = 0;
	if (n > 2 * (size_t)HS_RUMOR_PAYLOAD_MAX)
		return fail(k, E_PARAMS, "HEX is %zu digits: data over %u bytes", n,
		            (unsigned)HS_RUMOR_PAYLOAD_MAX);
	uint8_t *data = malloc(n / 2 + 1);
	if (!data)
		return fail(k, E_INTERNAL, "%s", "out of memory");
	long len = hs_hex_decode(data, n / 2 + 1, hex, n, &bad);
	json_t *r;
	if (len < 0 && bad == n)
		r = fail(k, E_PARAMS, "invalid hex: an odd number of digits (%zu)", n);
	else if (len < 0)
		r = fail(k, E_PARAMS, "invalid hex: '%c' at offset %zu is not a hex digit",
		         hex[bad] >= 0x20 && hex[bad] < 0x7f ? hex[bad] : '?', bad);
	else
		r = publish_bytes(k, topic, data, (size_t)len);
	free(data);
	return r;
}

static json_t *m_getrumor(struct call *k)
{
	uint8_t id[HS_ID_LEN];
	if (too_many(k, 1) || !hs_unhex(id, HS_ID_LEN, str_param(k, 0)))
		return fail(k, E_PARAMS, "%s", "getrumor needs a rumor id (64 hex digits)");
	const uint8_t *enc;
	size_t enclen;
	struct hs_rumor rm;
	if (hs_node_get_rumor(k->d->node, id, &enc, &enclen) != 0 ||
	    hs_rumor_decode(&rm, enc, enclen) != 0)
		return fail(k, E_NOTFOUND, "%s", "rumor not found (unknown, or past retention)");
	return hs_rumor_json(&rm, id);
}

/* The stream subscribe members opens instead of a topic's. */
#define MEMBERS_STREAM "members"

static json_t *m_subscribe(struct call *k)
{
	const char *topic = str_param(k, 0);
	if (!k->c)
		return fail(k, E_PARAMS, "%s",
		            "subscribe needs a connection that stays open: use the Unix socket "
		            "(hearsay-cli subscribe)");
	if (topic && strcmp(topic, MEMBERS_STREAM) == 0 && json_array_size(k->params) == 1) {
		k->c->members = true;
		return json_pack("{s:s}", "subscribed", MEMBERS_STREAM);
	}
	if (too_many(k, 1) || (json_array_size(k->params) == 1 &&
	                       (!topic || !hs_name_is_valid(topic, strlen(topic), HS_TOPIC_MAX))))
		return fail(k, E_PARAMS, "%s", "subscribe takes an optional valid TOPIC");
	k->c->subscribed = true;
	snprintf(k->c->topic, sizeof(k->c->topic), "%s", topic ? topic : "");
	return json_pack("{s:s}", "subscribed", topic ? topic : "*");
}

static json_t *m_listrumors(struct call *k)
{
	return hs_recent_rpc_list(k->d, k->params, k->code, k->message);
}

/* ---- validators (node/validators.c) ------------------------------------------------------ */

static json_t *m_validate(struct call *k)
{
	const char *topic = str_param(k, 0);
	if (too_many(k, 1) || !topic || !hs_name_is_valid(topic, strlen(topic), HS_TOPIC_MAX))
		return fail(k, E_PARAMS, "%s", "validate needs a valid TOPIC");
	const char *why = NULL;
	json_t *r = hs_validators_register(k->d, k->c, topic, &why);
	return r ? r : fail(k, E_VALIDATOR, "%s", why);
}

static json_t *m_verdict(struct call *k)
{
	uint8_t id[HS_ID_LEN];
	const char *verdict = str_param(k, 1);
	if (too_many(k, 2) || !hs_unhex(id, HS_ID_LEN, str_param(k, 0)) || !verdict)
		return fail(
		        k, E_PARAMS, "%s",
		        "verdict needs a rumor id (64 hex digits) and accept, reject or ignore");
	const char *why = NULL;
	json_t *r = hs_validators_verdict(k->d, k->c, id, verdict, &why);
	return r ? r : fail(k, E_VALIDATOR, "%s", why);
}

static json_t *m_getvalidationinfo(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "getvalidationinfo takes no parameters");
	return hs_validators_json(k->d);
}

/* ---- state ------------------------------------------------------------------------------ */

json_t *hs_entry_json(const struct hs_entry *e, const uint8_t id[HS_ID_LEN])
{
	json_t *o = json_object();
	json_object_set_new(o, "id", hex_json(id, HS_ID_LEN));
	json_object_set_new(o, "origin", hex_json(e->origin, HS_KEY_LEN));
	json_object_set_new(o, "key", json_stringn((const char *)e->key, e->key_len));
	json_object_set_new(o, "generation", json_integer((json_int_t)e->generation));
	json_object_set_new(o, "version", json_integer((json_int_t)e->version));
	json_object_set_new(o, "deleted", json_boolean(e->kind == HS_ENTRY_TOMBSTONE));
	if (e->kind == HS_ENTRY_VALUE && printable(e->value, e->value_len))
		json_object_set_new(o, "value", json_stringn((const char *)e->value, e->value_len));
	else
		json_object_set_new(o, "value", json_null());
	char *h = malloc(2 * e->value_len + 1);
	if (h) {
		hs_hex(h, e->value, e->value_len);
		json_object_set_new(o, "value_hex", json_string(h));
		free(h);
	}
	return o;
}

static json_t *own_entry(struct call *k, const char *key, const uint8_t id[HS_ID_LEN])
{
	struct hs_entry e;
	if (hs_node_get_state(k->d->node, hs_identity_pubkey(k->d->id), key, &e) != 0)
		return fail(k, E_INTERNAL, "%s", "the entry vanished");
	return hs_entry_json(&e, id);
}

static json_t *m_setstate(struct call *k)
{
	const char *key = str_param(k, 0), *value = str_param(k, 1);
	if (too_many(k, 2) || !key || !value)
		return fail(k, E_PARAMS, "%s", "setstate needs KEY and VALUE");
	if (hs_key_is_reserved(key, strlen(key)))
		return fail(k, E_PARAMS, "%s",
		            "keys starting with hs. are hearsay's own (hs.heartbeat: membership)");
	if (hs_persist_readonly(k->d))
		return readonly_fail(k, "setstate");
	uint8_t id[HS_ID_LEN];
	int rc = hs_node_set_state(k->d->node, key, (const uint8_t *)value, strlen(value), id,
	                           now(k));
	if (rc == HS_ERR_IO || rc == HS_ERR_CORRUPT)
		return fail(k, E_STORE, "setstate not stored (nothing changed or announced): %s",
		            hs_persist_error(k->d));
	if (rc == HS_ERR_INVALID)
		return fail(k, E_PARAMS, "%s",
		            "invalid key (1..64 printable characters, no spaces) or value over "
		            "4096 bytes");
	if (rc == HS_ERR_FULL) {
		/* The store took the entry before the core refused a 257th key. */
		uint8_t sk[HS_KEY_LEN + HS_STATE_KEY_MAX];
		memcpy(sk, hs_identity_pubkey(k->d->id), HS_KEY_LEN);
		memcpy(sk + HS_KEY_LEN, key, strlen(key));
		if (hs_persist_unsave_own(k->d, sk, HS_KEY_LEN + strlen(key)) != 0)
			hs_log(HS_LOG_WARN, "store: cannot delete a refused key: %s",
			       hs_persist_error(k->d));
		return fail(k, E_PARAMS, "%s", "too many keys (256 per node)");
	}
	if (rc)
		return fail(k, E_INTERNAL, "%s", hs_strerror(rc));
	return own_entry(k, key, id);
}

static json_t *m_delstate(struct call *k)
{
	const char *key = str_param(k, 0);
	if (too_many(k, 1) || !key)
		return fail(k, E_PARAMS, "%s", "delstate needs KEY");
	if (hs_key_is_reserved(key, strlen(key)))
		return fail(k, E_PARAMS, "%s",
		            "keys starting with hs. are hearsay's own: leave sends the signed "
		            "tombstone of hs.heartbeat");
	struct hs_entry e;
	if (hs_node_get_state(k->d->node, hs_identity_pubkey(k->d->id), key, &e) != 0)
		return fail(k, E_NOTFOUND, "%s", "no such key");
	if (hs_persist_readonly(k->d))
		return readonly_fail(k, "delstate");
	uint8_t id[HS_ID_LEN];
	int rc = hs_node_del_state(k->d->node, key, id, now(k));
	if (rc == HS_ERR_IO || rc == HS_ERR_CORRUPT)
		return fail(k, E_STORE, "delstate not stored (nothing changed or announced): %s",
		            hs_persist_error(k->d));
	if (rc)
		return fail(k, E_INTERNAL, "%s", hs_strerror(rc));
	return own_entry(k, key, id);
}

/* An ORIGIN parameter: "self" (our own id), 64 hex digits or a unique prefix. */
static int origin_param(struct call *k, size_t i, uint8_t origin[HS_KEY_LEN])
{
	const char *s = str_param(k, i);
	if (s && strcmp(s, "self") == 0) {
		memcpy(origin, hs_identity_pubkey(k->d->id), HS_KEY_LEN);
		return 1;
	}
	return resolve_id(k, s, origin);
}

static json_t *m_getstate(struct call *k)
{
	uint8_t origin[HS_KEY_LEN];
	bool own = json_array_size(k->params) == 1; /* getstate KEY: our own */
	const char *key = str_param(k, own ? 0 : 1);
	int r = own ? 1 : too_many(k, 2) ? 0 : origin_param(k, 0, origin);
	if (own)
		memcpy(origin, hs_identity_pubkey(k->d->id), HS_KEY_LEN);
	if (r < 0)
		return NULL;
	if (r == 0 || !key)
		return fail(k, E_PARAMS, "%s",
		            "getstate needs [ORIGIN] KEY: ORIGIN is self (the default), 64 hex "
		            "digits or a unique prefix");
	struct hs_entry e;
	if (hs_node_get_state(k->d->node, origin, key, &e) != 0)
		return fail(k, E_NOTFOUND, "%s", "no entry for that origin and key");
	uint8_t id[HS_ID_LEN];
	uint8_t enc[HS_KEY_LEN + HS_STATE_KEY_MAX + HS_STATE_VALUE_MAX + 128];
	size_t len;
	if (hs_entry_encode(&e, enc, sizeof(enc), &len) != 0)
		return fail(k, E_INTERNAL, "%s", "cannot encode the entry");
	hs_blake2b256(id, enc, len);
	return hs_entry_json(&e, id);
}

/* hearsay's own keys (heartbeats) are left out: getmembers shows what they say. */
static void list_one(void *ctx, const struct hs_entry *e, const uint8_t id[HS_ID_LEN])
{
	if (!hs_key_is_reserved((const char *)e->key, e->key_len))
		json_array_append_new(ctx, hs_entry_json(e, id));
}

/* One proof: both signed entries, decoded and as hex (anyone can check both signatures). */
static void list_proof(void *ctx, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	json_t *both = json_array();
	const uint8_t *enc[2] = { a, b };
	size_t len[2] = { alen, blen };
	for (int i = 0; i < 2; i++) {
		struct hs_entry e;
		uint8_t id[HS_ID_LEN];
		char *h = malloc(2 * len[i] + 1);
		if (!h || hs_entry_decode(&e, enc[i], len[i]) != 0) {
			free(h);
			continue;
		}
		hs_blake2b256(id, enc[i], len[i]);
		json_t *o = hs_entry_json(&e, id);
		hs_hex(h, enc[i], len[i]);
		json_object_set_new(o, "signed_hex", json_string(h));
		free(h);
		json_array_append_new(both, o);
	}
	json_array_append_new(ctx, both);
}

static json_t *m_listequivocations(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "listequivocations takes no parameters");
	json_t *proofs = json_array();
	hs_node_each_equivocation(k->d->node, list_proof, proofs);
	return json_pack("{s:I, s:o}", "seen", (json_int_t)hs_node_equivocations(k->d->node),
	                 "proofs", proofs);
}

static json_t *m_liststate(struct call *k)
{
	uint8_t origin[HS_KEY_LEN];
	bool one = json_array_size(k->params) == 1;
	int r = too_many(k, 1) ? 0 : one ? origin_param(k, 0, origin) : 1;
	if (r < 0)
		return NULL;
	if (r == 0)
		return fail(k, E_PARAMS, "%s",
		            "liststate takes an optional ORIGIN (self, 64 hex digits or a unique "
		            "prefix)");
	json_t *a = json_array();
	hs_node_each_state(k->d->node, one ? origin : NULL, list_one, a);
	return a;
}

/* ---- node ------------------------------------------------------------------------------- */

static json_t *m_uptime(struct call *k)
{
	return json_integer((json_int_t)((now(k) - k->d->started_ns) / HS_NS_PER_S));
}

static json_t *m_stop(struct call *k)
{
	hs_daemon_stop(k->d, "RPC stop");
	return json_string("hearsay stopping");
}

/* The graceful leave: our signed leave goes to every peer whole, then the stop of m_stop, whose
 * disconnects follow it on each session (so peers list us as left, not dead). */
static json_t *m_leave(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "leave takes no parameters");
	int rc = hs_node_leave(k->d->node, now(k));
	if (rc == HS_ERR_INVALID) {
		hs_daemon_stop(k->d, "RPC leave; heartbeats are off, so no member list to leave");
		return json_string("hearsay stopping: heartbeats are off (heartbeat_interval_s=0), "
		                   "so this node was in no member list");
	}
	if (rc && rc != HS_ERR_EXISTS) /* EXISTS: left already (a stop is under way) */
		return fail(k, E_INTERNAL, "cannot sign the leave: %s", hs_strerror(rc));
	hs_daemon_stop(k->d, "RPC leave");
	return json_string("hearsay stopping: left the network");
}

static json_t *m_getmembers(struct call *k)
{
	return hs_members_rpc_get(k->d, k->params, k->code, k->message);
}

static json_t *m_getseedstats(struct call *k)
{
	return hs_seed_rpc_stats(k->d, k->params, k->code, k->message);
}

static json_t *m_exportseeds(struct call *k)
{
	return hs_seed_rpc_export(k->d, k->params, k->code, k->message);
}

static json_t *m_ping(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "ping takes no parameters");
	return json_null();
}

static json_t *m_getconnectioncount(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "getconnectioncount takes no parameters");
	struct hs_peer_info info[PEERS_MAX];
	size_t n = hs_node_peers(k->d->node, info, PEERS_MAX), active = 0;
	for (size_t i = 0; i < n && i < PEERS_MAX; i++)
		active += info[i].active;
	return json_integer((json_int_t)active);
}

static json_t *m_getrpcinfo(struct call *k)
{
	if (too_many(k, 0))
		return fail(k, E_PARAMS, "%s", "getrpcinfo takes no parameters");
	size_t clients = 0;
	for (struct rpc_client *c = k->d->clients; c; c = c->next)
		clients += !c->closing;
	return json_pack("{s:i, s:o}", "unix_clients", (int)clients, "http", hs_httprpc_json(k->d));
}

static json_t *m_help(struct call *k);

struct method {
	const char *name;
	json_t *(*fn)(struct call *k);
	const char *usage;
};

static const struct method methods[] = {
	{ "getnetworkinfo", m_getnetworkinfo, "getnetworkinfo" },
	{ "getpeerinfo", m_getpeerinfo, "getpeerinfo" },
	{ "getconnectioncount", m_getconnectioncount, "getconnectioncount" },
	{ "getnodeaddresses", m_getnodeaddresses, "getnodeaddresses [count]" },
	{ "addnode", m_addnode, "addnode ADDR add|remove|onetry" },
	{ "disconnectnode", m_disconnectnode, "disconnectnode ADDR|ID" },
	{ "setban", m_setban, "setban IP|ID add|remove [seconds]" },
	{ "listbanned", m_listbanned, "listbanned" },
	{ "clearbanned", m_clearbanned, "clearbanned" },
	{ "getscore", m_getscore, "getscore ID" },
	{ "publish", m_publish, "publish TOPIC DATA" },
	{ "publishhex", m_publishhex, "publishhex TOPIC HEX" },
	{ "getrumor", m_getrumor, "getrumor ID" },
	{ "subscribe", m_subscribe, "subscribe [TOPIC|members]" },
	{ "listrumors", m_listrumors, "listrumors TOPIC [CURSOR] [COUNT]" },
	{ "validate", m_validate, "validate TOPIC" },
	{ "verdict", m_verdict, "verdict ID accept|reject|ignore" },
	{ "getvalidationinfo", m_getvalidationinfo, "getvalidationinfo" },
	{ "setstate", m_setstate, "setstate KEY VALUE" },
	{ "delstate", m_delstate, "delstate KEY" },
	{ "getstate", m_getstate, "getstate [ORIGIN] KEY" },
	{ "liststate", m_liststate, "liststate [ORIGIN]" },
	{ "listequivocations", m_listequivocations, "listequivocations" },
	{ "getmembers", m_getmembers, "getmembers [alive|suspect|dead|left]" },
	{ "getseedstats", m_getseedstats, "getseedstats [count]" },
	{ "exportseeds", m_exportseeds, "exportseeds [list [MINPCT] | zone NAME [PORT] [MINPCT]]" },
	{ "uptime", m_uptime, "uptime" },
	{ "ping", m_ping, "ping" },
	{ "getrpcinfo", m_getrpcinfo, "getrpcinfo" },
	{ "stop", m_stop, "stop" },
	{ "leave", m_leave, "leave" },
	{ "help", m_help, "help [METHOD]" },
};

/* help METHOD: what each method does and an example, by name (kept apart from the method
 * table so adding a method is one line there and one here). */
static const struct method_doc {
	const char *name;
	const char *description;
	const char *example;
} docs[] = {
	{ "getseedstats",
	  "Seed mode only: the crawl's reachability figures per window (2 h, 8 h, 1 d, 1 w) and "
	  "the best COUNT records (default 10).",
	  "hearsay-cli getseedstats 20" },
	{ "exportseeds",
	  "Seed mode only: the records reachable in the last day, as IP:PORT lines (list) or as "
	  "zone-file lines for a DNS seed (zone NAME [PORT] [MINPCT]).",
	  "hearsay-cli -format=text exportseeds zone seed.example.org 7070" },
	{ "validate",
	  "Become TOPIC's external validator on this connection: each rumor on TOPIC arrives as a "
	  "validate notification to answer with verdict before its deadline (Unix socket only).",
	  "hearsay-cli validate blocks" },
	{ "verdict",
	  "Answer a rumor sent to this connection's validator: accept, reject (the origin is "
	  "charged) or ignore (nobody is).",
	  "hearsay-cli verdict 3f2a... accept (on the validating connection)" },
	{ "getvalidationinfo",
	  "Signer policies, registered validators and the validation counters.",
	  "hearsay-cli getvalidationinfo" },
	{ "getnetworkinfo",
	  "This node: id, network, listen address, sessions, version, uptime, "
	  "advertised addresses, UPnP, member counts by status and store state.",
	  "hearsay-cli getnetworkinfo" },
	{ "getpeerinfo", "One object per session: id, address, direction, RTT, score, traffic.",
	  "hearsay-cli getpeerinfo" },
	{ "getconnectioncount", "The number of active (handshaken) sessions.",
	  "hearsay-cli getconnectioncount" },
	{ "getnodeaddresses",
	  "Known node records from the address book; count 0 lists all "
	  "(default 1).",
	  "hearsay-cli getnodeaddresses 10" },
	{ "addnode",
	  "add: keep a connection to ADDR; remove: stop; onetry: dial once. ADDR is "
	  "HOST:PORT, IP:PORT or [IPv6]:PORT.",
	  "hearsay-cli addnode 192.0.2.7:7070 add" },
	{ "disconnectnode",
	  "Ends the session with a peer, named by address or id (or a unique "
	  "id prefix).",
	  "hearsay-cli disconnectnode 3f2a9c" },
	{ "setban",
	  "Bans (add) or unbans (remove) a node id, an address, or a network as "
	  "listbanned prints it; seconds defaults to bantime.",
	  "hearsay-cli setban 192.0.2.7 add 3600" },
	{ "listbanned", "Every ban in force, with its creation, end and reason.",
	  "hearsay-cli listbanned" },
	{ "clearbanned", "Lifts every ban.", "hearsay-cli clearbanned" },
	{ "getscore",
	  "A node's score, standing, totals per kind and last events; ID may be a "
	  "unique prefix of at least 4 hex digits.",
	  "hearsay-cli getscore 3f2a9c" },
	{ "publish", "Signs and floods a rumor on TOPIC with DATA as text; returns its id.",
	  "hearsay-cli publish news 'hello'" },
	{ "publishhex",
	  "As publish, with the payload given as hex (binary data); invalid hex "
	  "is an error naming the offset.",
	  "hearsay-cli publishhex blobs 00ff10" },
	{ "getrumor",
	  "A kept rumor by id: origin, topic, time, data (text or null) and "
	  "data_hex.",
	  "hearsay-cli getrumor <64 hex digits>" },
	{ "subscribe",
	  "Streams delivered rumors (of TOPIC, or all with state changes) as "
	  "notifications, each rumor with its listrumors cursor; subscribe members streams "
	  "member events instead (join, alive, suspect, dead, leave, update, each with the "
	  "member as getmembers shows it). Unix socket only.",
	  "hearsay-cli subscribe members" },
	{ "listrumors",
	  "Rumors delivered after CURSOR (none: the oldest held), oldest first, at most COUNT "
	  "(default 100, max 1000), of TOPIC (\"\" or * for all), with the cursor to pass next, "
	  "missed (gone: ring overflow or retention), reset (the cursor is from an earlier run "
	  "or another node) and more (call again).",
	  "hearsay-cli listrumors news 9f3a1c0d2b4e5f60-42 50" },
	{ "setstate", "Sets our own signed state entry KEY to VALUE and announces it.",
	  "hearsay-cli setstate status ready" },
	{ "delstate", "Deletes our own entry KEY (a signed tombstone).",
	  "hearsay-cli delstate status" },
	{ "getstate",
	  "An entry by origin and key; ORIGIN is self (the default when left out), "
	  "64 hex digits or a unique prefix.",
	  "hearsay-cli getstate status" },
	{ "liststate", "Every state entry, or those of ORIGIN (self, an id or a prefix).",
	  "hearsay-cli liststate self" },
	{ "listequivocations",
	  "Origins caught signing two entries for one key, generation and version: how many "
	  "were seen, and the first proofs kept, each as both signed entries (decoded and as "
	  "signed_hex, which anyone can verify against the origin's key).",
	  "hearsay-cli listequivocations" },
	{ "getmembers",
	  "Every node whose signed heartbeat this node has seen (itself included), by id: "
	  "address when known, status (alive, suspect, dead or left), generation, heartbeat "
	  "version, declared interval, and first_seen, last_seen and status_since as Unix "
	  "seconds; STATUS keeps only the members in that status.",
	  "hearsay-cli getmembers dead" },
	{ "uptime", "Seconds since the node started.", "hearsay-cli uptime" },
	{ "ping", "Answers null: the node is up and the RPC works.", "hearsay-cli ping" },
	{ "getrpcinfo",
	  "The RPC servers: Unix socket clients, HTTP connections and counts of "
	  "refused, unauthorized and oversized requests.",
	  "hearsay-cli getrpcinfo" },
	{ "stop", "Stops the node gracefully.", "hearsay-cli stop" },
	{ "leave",
	  "Leaves the network gracefully: signs this node's leave and sends it to every peer "
	  "(they list it as left, not dead), then stops as stop does.",
	  "hearsay-cli leave" },
	{ "help", "Lists every method's usage; help METHOD describes one, with an example.",
	  "hearsay-cli help publish" },
};

static json_t *m_help(struct call *k)
{
	size_t nm = sizeof(methods) / sizeof(methods[0]);
	const char *name = str_param(k, 0);
	if (too_many(k, 1) || (json_array_size(k->params) == 1 && !name))
		return fail(k, E_PARAMS, "%s", "help takes an optional METHOD");
	if (!name) {
		json_t *a = json_array();
		for (size_t i = 0; i < nm; i++)
			json_array_append_new(a, json_string(methods[i].usage));
		return a;
	}
	for (size_t i = 0; i < nm; i++) {
		if (strcmp(methods[i].name, name) != 0)
			continue;
		const char *description = "(no description yet)", *example = "";
		for (size_t j = 0; j < sizeof(docs) / sizeof(docs[0]); j++)
			if (strcmp(docs[j].name, name) == 0) {
				description = docs[j].description;
				example = docs[j].example;
			}
		return json_pack("{s:s, s:s, s:s, s:s}", "method", name, "usage", methods[i].usage,
		                 "description", description, "example", example);
	}
	return fail(k, E_METHOD, "help: no method %s (help lists them)", name);
}

json_t *hs_rpc_call(struct hs_daemon *d, struct rpc_client *c, const char *method, json_t *params,
                    int *code, const char **message)
{
	struct call k = { .d = d, .c = c, .params = params, .code = code, .message = message };
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, method) == 0)
			return methods[i].fn(&k);
	return fail(&k, E_METHOD, "method not found: %s (see help)", method);
}

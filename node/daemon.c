/*
 * hearsayd's event loop: TCP connections, the core's timer, signals, start and stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon_impl.h"
#include "node/keyfile.h"
#include "reputation/banlist.h"

#define STOP_GRACE_MS 2000

/* ---- time and capabilities --------------------------------------------------------------- */

uint64_t hs_daemon_now(const struct hs_daemon *d)
{
	return d->wall0_ns + (uv_hrtime() - d->mono0_ns);
}

static void cap_random(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	randombytes_buf(out, len);
}

static int cap_sign(void *ctx, uint8_t sig[64], const uint8_t digest[32])
{
	struct hs_daemon *d = ctx;
	uint8_t aux[32];
	randombytes_buf(aux, sizeof(aux));
	return hs_identity_sign(d->crypto, d->id, sig, digest, aux);
}

static int cap_verify(void *ctx, const uint8_t pub[32], const uint8_t sig[64],
                      const uint8_t digest[32])
{
	struct hs_daemon *d = ctx;
	return hs_verify_cached(d->crypto, d->keys, pub, sig, digest);
}

static enum hs_verdict cap_validate(void *ctx, const struct hs_rumor *rumor,
                                    const uint8_t id[HS_ID_LEN])
{
	return hs_validators_judge(ctx, rumor, id);
}

static int cap_save_own(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *enc,
                        size_t enclen)
{
	return hs_persist_save_own(ctx, key, keylen, enc, enclen);
}

static void cap_log(void *ctx, enum hs_log_level level, const char *line)
{
	(void)ctx;
	hs_log(level, "%s", line);
}

/* ---- addresses -------------------------------------------------------------------------- */

static void to_sockaddr(const struct hs_netaddr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == HS_AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(a->port);
		memcpy(&s->sin_addr, a->ip, 4);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(a->port);
		memcpy(&s->sin6_addr, a->ip, 16);
	}
}

static bool is_unspecified(const struct hs_netaddr *a)
{
	static const uint8_t zero[16];
	return memcmp(a->ip, zero, a->family == HS_AF_INET ? 4 : 16) == 0;
}

static bool from_sockaddr(struct hs_netaddr *a, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		const uint8_t *ip = (const uint8_t *)&s->sin_addr;
		*a = hs_netaddr_ipv4(ip[0], ip[1], ip[2], ip[3], ntohs(s->sin_port));
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		*a = hs_netaddr_ipv6((const uint8_t *)&s->sin6_addr, ntohs(s->sin6_port));
		return true;
	}
	return false;
}

/* ---- connections ------------------------------------------------------------------------ */

static struct conn *conn_new(struct hs_daemon *d, bool outbound)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->d = d;
	c->outbound = outbound;
	uv_tcp_init(&d->loop, &c->tcp);
	c->tcp.data = c;
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	return c;
}

/* One line per session, when its socket has closed: who, and the first reason seen (the
 * core's, the peer's disconnect, or the socket's). */
static void log_session_end(struct conn *c)
{
	struct hs_daemon *d = c->d;
	char a[HS_NETADDR_STRLEN];
	hs_netaddr_format(&c->addr, a);
	const char *dir = c->outbound ? "out" : "in";
	const char *why = c->why[0] ? c->why : "the connection closed";
	if (c->up) {
		char id[2 * HS_KEY_LEN + 1];
		hs_hex(id, c->id, HS_KEY_LEN);
		uint64_t s = (hs_daemon_now(d) - c->up_ns) / HS_NS_PER_S;
		hs_log(HS_LOG_INFO, "session with %s at %s (%s, %llu s) ended: %s", id, a, dir,
		       (unsigned long long)s, why);
		return;
	}
	if (c->outbound) {
		const char *name = hs_names_of(d, &c->addr);
		hs_log(HS_LOG_INFO, "session with %s%s%s%s (out) ended before its handshake: %s",
		       name ? name : "", name ? " (" : "", a, name ? ")" : "", why);
		return;
	}
	uint64_t now = hs_daemon_now(d);
	if (now - d->early_window_ns >= 60 * HS_NS_PER_S) {
		if (d->early_suppressed)
			hs_log(HS_LOG_INFO,
			       "%llu more inbound sessions ended before their handshake in the "
			       "last minute (not logged one by one beyond %d a minute)",
			       (unsigned long long)d->early_suppressed,
			       (int)HS_LOG_EARLY_ENDS_PER_MIN);
		d->early_window_ns = now;
		d->early_logged = d->early_suppressed = 0;
	}
	if (d->early_logged >= HS_LOG_EARLY_ENDS_PER_MIN) {
		d->early_suppressed++;
		hs_log(HS_LOG_DEBUG, "session with %s (in) ended before its handshake: %s", a, why);
		return;
	}
	d->early_logged++;
	hs_log(HS_LOG_INFO, "session with %s (in) ended before its handshake: %s", a, why);
}

static void set_why(struct conn *c, const char *why)
{
	if (!c->why[0])
		snprintf(c->why, sizeof(c->why), "%s", why);
}

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct hs_daemon *d = c->d;
	if (c->peer && d->node) {
		log_session_end(c);
		if (c->outbound && !c->up && !d->stopping)
			hs_names_dial_failed(d, &c->addr);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	uint64_t peer = c->peer;
	free(c->wbuf);
	free(c);
	if (peer && d->node) {
		hs_node_peer_closed(d->node, peer, hs_daemon_now(d));
		hs_daemon_pump(d);
	}
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static struct conn *conn_of_peer(struct hs_daemon *d, uint64_t peer)
{
	for (struct conn *c = d->conns; c; c = c->next)
		if (c->peer == peer)
			return c;
	return NULL;
}

static void flush_conn(struct conn *c);

static void on_written(uv_write_t *req, int status)
{
	struct conn *c = req->data;
	free(c->wbuf);
	c->wbuf = NULL;
	c->writing = false;
	if (status < 0) {
		char why[96];
		snprintf(why, sizeof(why), "cannot write to the socket: %s", uv_strerror(status));
		set_why(c, why);
		conn_close(c);
		return;
	}
	flush_conn(c);
	hs_daemon_pump(c->d);
}

/* Writes what the core holds for this connection (one write in flight at a time: the core's
 * bounded queue is the backpressure), and closes it when asked and drained. */
static void flush_conn(struct conn *c)
{
	struct hs_daemon *d = c->d;
	if (c->closing || c->writing || !c->peer)
		return;
	size_t n = hs_node_pending(d->node, c->peer);
	if (n > 0) {
		c->wbuf = malloc(n);
		if (!c->wbuf) {
			conn_close(c);
			return;
		}
		n = hs_node_write(d->node, c->peer, c->wbuf, n, hs_daemon_now(d));
		uv_buf_t b = uv_buf_init((char *)c->wbuf, (unsigned)n);
		c->wreq.data = c;
		c->writing = true;
		int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written);
		if (rc < 0) {
			free(c->wbuf);
			c->wbuf = NULL;
			c->writing = false;
			conn_close(c);
		}
		return;
	}
	if (c->close_requested)
		conn_close(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct conn *c = h->data;
	*buf = uv_buf_init((char *)c->d->readbuf, sizeof(c->d->readbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	struct hs_daemon *d = c->d;
	if (nread < 0) {
		char why[96];
		if (nread == UV_EOF)
			snprintf(why, sizeof(why), "the peer closed the connection");
		else
			snprintf(why, sizeof(why), "socket error: %s", uv_strerror((int)nread));
		set_why(c, why);
		conn_close(c);
		return;
	}
	if (nread == 0 || c->close_requested || c->closing)
		return;
	int rc = hs_node_recv(d->node, c->peer, (const uint8_t *)buf->base, (size_t)nread,
	                      hs_daemon_now(d));
	if (rc) {
		set_why(c, hs_strerror(rc));
		conn_close(c);
	}
	hs_daemon_pump(d);
}

static bool start_session(struct conn *c, bool inbound)
{
	struct hs_daemon *d = c->d;
	uv_tcp_nodelay(&c->tcp, 1);
	int rc = hs_node_peer_open(d->node, &c->peer, inbound, &c->addr, hs_daemon_now(d));
	if (rc) {
		char a[HS_NETADDR_STRLEN];
		hs_netaddr_format(&c->addr, a);
		hs_log(HS_LOG_DEBUG, "refusing %s: %s", a, hs_strerror(rc));
		c->peer = 0;
		conn_close(c);
		return false;
	}
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	return true;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct hs_daemon *d = server->data;
	if (status < 0)
		return;
	struct conn *c = conn_new(d, false);
	if (!c)
		return;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	if (d->stopping || uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0 ||
	    !from_sockaddr(&c->addr, &ss)) {
		conn_close(c);
		return;
	}
	start_session(c, true);
	hs_daemon_pump(d);
}

/* After the core heard of a failed dial: one line per address at the default level (its
 * first failure since it last worked, with the backoff), debug for the retries. */
static void dial_failed(struct hs_daemon *d, const struct hs_netaddr *addr, const char *why)
{
	uint64_t now = hs_daemon_now(d);
	hs_node_dial_failed(d->node, addr, now);
	if (d->stopping)
		return;
	char a[HS_NETADDR_STRLEN], who[HS_HOSTNAME_MAX + HS_NETADDR_STRLEN + 4], wait[32];
	hs_netaddr_format(addr, a);
	const char *name = hs_names_of(d, addr);
	if (name)
		snprintf(who, sizeof(who), "%s (%s)", name, a);
	else
		snprintf(who, sizeof(who), "%s", a);
	uint32_t failures = 0;
	uint64_t retry = 0;
	if (!hs_node_dial_backoff(d->node, addr, now, &failures, &retry)) {
		hs_log(HS_LOG_INFO, "cannot connect to %s: %s; not tried again", who, why);
	} else {
		uint64_t secs = (retry + HS_NS_PER_S / 2) / HS_NS_PER_S;
		if (secs < 120)
			snprintf(wait, sizeof(wait), "%llu s", (unsigned long long)secs);
		else
			snprintf(wait, sizeof(wait), "%llu min",
			         (unsigned long long)(secs + 30) / 60);
		if (failures <= 1)
			hs_log(HS_LOG_INFO,
			       "cannot connect to %s: %s; next try in %s (the wait doubles with "
			       "each "
			       "failure, up to 10 min; later failures of this address are logged "
			       "at "
			       "debug level)",
			       who, why, wait);
		else
			hs_log(HS_LOG_DEBUG, "cannot connect to %s: %s; failure %u, next try in %s",
			       who, why, (unsigned)failures, wait);
	}
	hs_names_dial_failed(d, addr);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	struct hs_daemon *d = c->d;
	if (status < 0)
		d->dial_results[status == UV_ECONNREFUSED ? HS_DIAL_REFUSED : HS_DIAL_FAILED]++;
	else
		d->dial_results[HS_DIAL_OK]++;
	if (status < 0 || d->stopping) {
		dial_failed(d, &c->addr, status < 0 ? uv_strerror(status) : "stopping");
		conn_close(c);
		hs_daemon_pump(d);
		return;
	}
	start_session(c, false);
	hs_daemon_pump(d);
}

static void dial(struct hs_daemon *d, const struct hs_netaddr *addr)
{
	struct conn *c = conn_new(d, true);
	if (!c) {
		dial_failed(d, addr, "out of memory");
		return;
	}
	c->addr = *addr;
	struct sockaddr_storage ss;
	/* Leave from our own listening address when it is a specific one, so peers see the
	 * address (and network group) we advertise; many nodes on one host's loopback
	 * (127.A.B.C) are then as distinct as nodes on different hosts. */
	const struct hs_netaddr *l = &d->cfg.listen;
	if (d->cfg.listen_on && l->family == addr->family && !is_unspecified(l)) {
		struct hs_netaddr src = *l;
		src.port = 0;
		to_sockaddr(&src, &ss);
		if (uv_tcp_bind(&c->tcp, (const struct sockaddr *)&ss, 0) != 0)
			hs_log(HS_LOG_DEBUG, "cannot bind the outbound source address");
	}
	to_sockaddr(addr, &ss);
	c->creq.data = c;
	int rc = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&ss, on_connect);
	if (rc != 0) {
		d->dial_results[rc == UV_ECONNREFUSED ? HS_DIAL_REFUSED : HS_DIAL_FAILED]++;
		dial_failed(d, addr, uv_strerror(rc));
		conn_close(c);
	}
}

/* ---- the pump ------------------------------------------------------------------------- */

/* A ban's target as listbanned prints it: an id, an address (IPv6: its /64) or a group. */
static void ban_target_text(uint8_t kind, const uint8_t *key, char *out, size_t outlen)
{
	if (kind == HS_BAN_ID) {
		char id[2 * HS_KEY_LEN + 1];
		hs_hex(id, key, HS_KEY_LEN);
		snprintf(out, outlen, "node %s", id);
		return;
	}
	struct hs_netaddr a;
	memset(&a, 0, sizeof(a));
	a.family = key[0];
	a.port = 1;
	memcpy(a.ip, key + 1, a.family == HS_AF_INET ? 4 : 16);
	char s[HS_NETADDR_STRLEN];
	hs_netaddr_format(&a, s);
	char *colon = strrchr(s, ':'); /* no port */
	if (colon)
		*colon = '\0';
	const char *ip = s[0] == '[' ? s + 1 : s;
	size_t n = strlen(ip) - (s[0] == '[');
	const char *suffix = kind == HS_BAN_GROUP      ? (a.family == HS_AF_INET ? "/16" : "/32")
	                     : a.family == HS_AF_INET6 ? "/64"
	                                               : "";
	snprintf(out, outlen, "%s %.*s%s", kind == HS_BAN_GROUP ? "network" : "address", (int)n, ip,
	         suffix);
}

static void log_ban(const struct hs_event *ev)
{
	if (ev->keylen != 33)
		return;
	char target[HS_NETADDR_STRLEN + 80];
	ban_target_text(ev->key[0], ev->key + 1, target, sizeof(target));
	const char *why = ev->text ? ev->text : "";
	struct hs_ban b;
	if (ev->save_kind == HS_SAVE_UNBAN) {
		hs_log(HS_LOG_INFO, "ban lifted: %s (%s)", target, why);
	} else if (hs_ban_decode(&b, ev->value, ev->valuelen) == 0) {
		hs_log(HS_LOG_WARN, "banned %s for %llu s (%s)", target,
		       (unsigned long long)((b.until_ns - b.created_ns) / HS_NS_PER_S), why);
	}
}

static void log_event(const struct hs_event *ev)
{
	char a[HS_NETADDR_STRLEN], id[2 * HS_KEY_LEN + 1];
	static const uint8_t zero[HS_KEY_LEN];
	hs_netaddr_format(&ev->addr, a);
	hs_hex(id, ev->id, HS_KEY_LEN);
	bool has_id = memcmp(ev->id, zero, HS_KEY_LEN) != 0;
	if (ev->type == HS_EV_PEER_UP)
		hs_log(HS_LOG_INFO, "session with %s at %s (%s) up", id, a,
		       ev->inbound ? "in" : "out");
	else if (ev->type == HS_EV_FAULT)
		hs_log(HS_LOG_WARN, "peer %s%sat %s: %s", has_id ? id : "", has_id ? " " : "", a,
		       ev->text);
	else if (ev->type == HS_EV_CLOSE)
		hs_log(HS_LOG_DEBUG, "closing %s: %s", a, ev->text); /* the end: log_session_end */
	else if (ev->type == HS_EV_SAVE &&
	         (ev->save_kind == HS_SAVE_BAN || ev->save_kind == HS_SAVE_UNBAN))
		log_ban(ev);
}

static void handle_event(struct hs_daemon *d, const struct hs_event *ev)
{
	log_event(ev);
	switch (ev->type) {
	case HS_EV_DELIVER:
		d->deliveries++;
		hs_recent_deliver(d, ev);
		hs_rpc_notify_rumor(d, ev);
		hs_host_deliver(d, ev);
		break;
	case HS_EV_STATE:
		hs_rpc_notify_state(d, ev);
		hs_host_state_changed(d, ev);
		break;
	case HS_EV_MEMBER:
		hs_members_on_event(d, ev);
		hs_host_member_changed(d, ev);
		break;
	case HS_EV_DIAL:
		if (!d->stopping)
			dial(d, &ev->addr);
		else
			hs_node_dial_failed(d->node, &ev->addr, hs_daemon_now(d));
		break;
	case HS_EV_CLOSE: {
		struct conn *c = conn_of_peer(d, ev->peer);
		if (c) {
			c->close_requested = true;
			set_why(c, ev->text);
		}
		break;
	}
	case HS_EV_PEER_UP: {
		struct conn *c = conn_of_peer(d, ev->peer);
		if (c) {
			c->up = true;
			c->up_ns = hs_daemon_now(d);
			memcpy(c->id, ev->id, HS_KEY_LEN);
			if (c->outbound)
				hs_names_connected(d, &c->addr);
		}
		break;
	}
	case HS_EV_SAVE:
		hs_persist_save(d, ev);
		break;
	case HS_EV_FAULT:
		hs_metrics_fault(d, ev->fault);
		break;
	default:
		break;
	}
}

#define CLOCK_CHECK_MS 5000
#define CLOCK_STEP_NS  ((int64_t)HS_NS_PER_S) /* smaller moves are NTP slewing: not worth it */

static void on_timer(uv_timer_t *t)
{
	struct hs_daemon *d = t->data;
	hs_node_timer(d->node, hs_daemon_now(d));
	hs_daemon_pump(d);
}

/* The system clock may be corrected, or the machine suspended, while we run: hs_daemon_now
 * stays monotonic for the core's timers, and the difference becomes the node's wall offset,
 * so rumor times follow the corrected clock without a restart. */
static void on_clock(uv_timer_t *t)
{
	struct hs_daemon *d = t->data;
	if (!d->node)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t wall = (uint64_t)ts.tv_sec * HS_NS_PER_S + (uint64_t)ts.tv_nsec;
	uint64_t now = hs_daemon_now(d);
	int64_t off = wall >= now ? (int64_t)(wall - now) : -(int64_t)(now - wall);
	int64_t moved = off - d->wall_offset_ns;
	if (moved > -CLOCK_STEP_NS && moved < CLOCK_STEP_NS)
		return;
	hs_log(HS_LOG_WARN,
	       "the system clock moved %+.1f s against our monotonic clock (set, or "
	       "resumed from suspend); following it",
	       (double)moved / 1e9);
	d->wall_offset_ns = off;
	hs_node_set_wall_offset(d->node, off, now);
	hs_daemon_pump(d);
}

static void rearm(struct hs_daemon *d)
{
	uint64_t deadline = hs_node_next_deadline(d->node), now = hs_daemon_now(d);
	if (deadline == UINT64_MAX) {
		uv_timer_stop(&d->timer);
		return;
	}
	uint64_t ms = deadline > now ? (deadline - now + HS_NS_PER_MS - 1) / HS_NS_PER_MS : 0;
	uv_timer_start(&d->timer, on_timer, ms, 0);
}

void hs_daemon_pump(struct hs_daemon *d)
{
	if (!d->node)
		return;
	/* Called again from inside (a host callback that publishes or stops, which runs within
	 * handle_event): polling now would free the event that callback is still reading, so the
	 * running pump goes round once more instead. */
	if (d->pumping) {
		d->pump_again = true;
		return;
	}
	d->pumping = true;
	do {
		d->pump_again = false;
		struct hs_event ev;
		while (hs_node_poll_event(d->node, &ev))
			handle_event(d, &ev);
		for (struct conn *c = d->conns; c; c = c->next)
			flush_conn(c);
	} while (d->pump_again && d->node);
	d->pumping = false;
	if (!d->node)
		return;
	if (d->stopping && !d->conns) {
		d->finished = true;
		uv_stop(&d->loop);
	} else {
		rearm(d);
	}
}

/* ---- signals, stop, tick --------------------------------------------------------------- */

static void on_stop_timer(uv_timer_t *t)
{
	struct hs_daemon *d = t->data;
	hs_log(HS_LOG_INFO, "stop: closing remaining connections");
	for (struct conn *c = d->conns; c; c = c->next) {
		set_why(c, "stopping: the grace period ended");
		conn_close(c);
	}
	d->finished = true;
	uv_stop(&d->loop);
}

void hs_daemon_stop(struct hs_daemon *d, const char *why)
{
	if (d->stopping)
		return;
	hs_log(HS_LOG_INFO, "stopping (%s): telling peers we leave", why);
	d->stopping = true;
	if (d->listening) {
		uv_close((uv_handle_t *)&d->listener, NULL);
		d->listening = false;
	}
	hs_upnp_leave(d);
	hs_node_shutdown(d->node, hs_daemon_now(d));
	uv_timer_start(&d->stop_timer, on_stop_timer, STOP_GRACE_MS, 0);
	hs_daemon_pump(d);
}

void hs_daemon_reload(struct hs_daemon *d)
{
	struct hs_config fresh;
	char err[512];
	if (hs_config_reload_with(&d->cfg, &fresh, d->ndefs, d->defs, d->argc, d->argv, err,
	                          sizeof(err)) != HS_CONFIG_OK) {
		hs_log(HS_LOG_ERROR, "reload: %s (keeping the running configuration)", err);
		return;
	}
	hs_log_set_level((enum hs_log_level)fresh.loglevel);
	uint64_t now = hs_daemon_now(d);
	for (size_t i = 0; i < fresh.addnode.count; i++) {
		const struct hs_endpoint *e = &fresh.addnode.items[i];
		char a[HS_NETADDR_STRLEN];
		hs_netaddr_format(&e->addr, a);
		if (!e->host[0] && hs_node_add_peer(d->node, &e->addr, now) == 0)
			hs_log(HS_LOG_INFO, "reload: added the manual peer %s", a);
	}
	hs_names_reload(d, &fresh.addnode);
	d->cfg.loglevel = fresh.loglevel;
	d->cfg.bantime_s = fresh.bantime_s;
	/* Signer policies apply to the next rumor (validators.c reads them per rumor). */
	memcpy(d->cfg.topicsigners, fresh.topicsigners, sizeof(fresh.topicsigners));
	d->cfg.ntopicsigners = fresh.ntopicsigners;
	hs_log(HS_LOG_INFO,
	       "reloaded %s (loglevel, addnode, bantime_s and topicsigners take effect; other "
	       "keys need a restart)",
	       d->cfg.conf);
	hs_daemon_pump(d);
}

/* ---- start ------------------------------------------------------------------------------- */

enum {
	EX_OK = 0,
	EX_USAGE = 64,
	EX_DATAERR = 65,
	EX_UNAVAILABLE = 69,
	EX_SOFTWARE = 70,
	EX_CANTCREAT = 73,
	EX_IOERR = 74,
	EX_NOPERM = 77,
	EX_CONFIG = 78,
};

/* Logs one error line, keeps it for hs_host_error and returns the exit code. */
__attribute__((format(printf, 3, 4))) static int fail(struct hs_daemon *d, int code,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->error, sizeof(d->error), fmt, ap);
	va_end(ap);
	hs_log(HS_LOG_ERROR, "%s", d->error);
	return code;
}

static int prepare_datadir(struct hs_daemon *d)
{
	const char *dir = d->cfg.datadir;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail(d, EX_CANTCREAT, "cannot create data directory %s", dir);
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return fail(d, EX_CANTCREAT, "data directory %s is not a directory", dir);
	if ((st.st_mode & 077) != 0) {
		/* The store and the RPC cookie live here: like the key file, not for others. */
		if (chmod(dir, st.st_mode & 0700) != 0)
			return fail(d, EX_NOPERM,
			            "data directory %s can be read by group or others (mode %03o) "
			            "and cannot be made private; run: chmod 700 %s",
			            dir, (unsigned)(st.st_mode & 0777), dir);
		hs_log(HS_LOG_WARN,
		       "data directory %s was readable by group or others (mode %03o); "
		       "made it 0700",
		       dir, (unsigned)(st.st_mode & 0777));
	}
	char probe[HS_CONFIG_PATH_MAX + 32];
	snprintf(probe, sizeof(probe), "%s/.write-test", dir);
	int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return fail(d, EX_CANTCREAT, "data directory %s is not writable", dir);
	close(fd);
	unlink(probe);
	return 0;
}

static int load_identity(struct hs_daemon *d)
{
	uint8_t seed[32];
	randombytes_buf(seed, sizeof(seed));
	uint8_t cache_key[16];
	randombytes_buf(cache_key, sizeof(cache_key));
	if (hs_crypto_new(&d->crypto, seed) != 0 || hs_keycache_new(&d->keys, cache_key, 4096) != 0)
		return fail(d, EX_SOFTWARE, "%s", "cannot create the secp256k1 context");
	char path[HS_CONFIG_PATH_MAX + 16], err[512];
	snprintf(path, sizeof(path), "%s/identity.key", d->cfg.datadir);
	struct stat st;
	bool fresh = lstat(path, &st) != 0 && errno == ENOENT;
	int rc = hs_keyfile_load(&d->id, d->crypto, path, true, err, sizeof(err));
	if (rc == HS_ERR_KEY_PERMS)
		return fail(d, EX_NOPERM, "%s", err);
	if (rc)
		return fail(d, rc == HS_ERR_KEY_FILE ? EX_DATAERR : EX_IOERR, "%s", err);
	if (fresh) {
		char id[2 * HS_KEY_LEN + 1];
		hs_hex(id, hs_identity_pubkey(d->id), HS_KEY_LEN);
		hs_log(HS_LOG_INFO,
		       "created a new identity %s in %s (back this file up to keep the node's "
		       "identity)",
		       id, path);
	}
	uint8_t secret[32];
	randombytes_buf(secret, sizeof(secret));
	rc = hs_noise_static_new(&d->noise, secret);
	sodium_memzero(secret, sizeof(secret));
	return rc ? fail(d, EX_SOFTWARE, "%s", "cannot create the Noise static key") : 0;
}

static void node_config(struct hs_daemon *d, struct hs_node_config *nc)
{
	const struct hs_config *c = &d->cfg;
	hs_node_config_default(nc);
	nc->network = c->network;
	memcpy(nc->identity, hs_identity_pubkey(d->id), HS_KEY_LEN);
	nc->generation = d->generation;
	nc->crypto = d->crypto;
	nc->noise_static = d->noise;
	if (c->seed) {
		nc->services |= HS_SERVICE_SEED;
		nc->seed_mode = true;
		if (c->crawlinterval_ms)
			nc->crawl_interval_ns = c->crawlinterval_ms * HS_NS_PER_MS;
	}
	/* The record advertises an address others can dial: externalip, else a specific listen
	 * address; never a wildcard (0.0.0.0, [::]), which names no host. */
	if (c->externalip_set)
		nc->addrs[nc->naddrs++] = c->externalip;
	else if (c->listen_on && !is_unspecified(&c->listen))
		nc->addrs[nc->naddrs++] = c->listen;
	nc->all_topics = c->all_topics;
	nc->ntopics = c->ntopics;
	for (size_t i = 0; i < c->ntopics; i++)
		nc->topics[i] = c->topics[i];
	nc->peers_max = c->maxconnections;
	nc->outbound_target = c->connect.count > 0 ? 0 : c->maxoutbound;
	nc->bantime_ns = c->bantime_s * HS_NS_PER_S;
	nc->score = c->score;
	hs_config_node_knobs(c, nc);
	if (nc->pull_window_ns > nc->retention_ns)
		nc->pull_window_ns = nc->retention_ns;
	nc->validate_timeout_ns = c->validatetimeout_ms * HS_NS_PER_MS;
	nc->validate_default = (enum hs_verdict)c->validatedefault;
}

static int start_node(struct hs_daemon *d)
{
	struct hs_node_config nc;
	node_config(d, &nc);
	uint8_t aux[32];
	randombytes_buf(aux, sizeof(aux));
	if (hs_handshake_prove(d->crypto, d->id, d->cfg.network, d->noise, aux, nc.noise_proof))
		return fail(d, EX_SOFTWARE, "%s", "cannot sign the Noise static key");
	struct hs_caps caps = { .ctx = d,
		                .random = cap_random,
		                .sign = cap_sign,
		                .verify = cap_verify,
		                .log = cap_log,
		                .save_own = cap_save_own };
	if (hs_validators_new(d) != 0 || hs_recent_start(d) != 0)
		return fail(d, EX_SOFTWARE, "%s", "out of memory");
	caps.validate = cap_validate;
	uint64_t now = hs_daemon_now(d);
	if (hs_node_new(&d->node, &nc, &caps, now) != 0)
		return fail(d, EX_CONFIG, "%s", "the configuration does not make a valid node");
	char err[1024];
	if (hs_persist_load(d, err, sizeof(err)) != 0)
		return fail(d, EX_DATAERR, "%s", err);
	const struct hs_config *c = &d->cfg;
	for (size_t i = 0; i < c->connect.count; i++)
		if (!c->connect.items[i].host[0])
			(void)!hs_node_add_peer(d->node, &c->connect.items[i].addr, now);
	for (size_t i = 0; i < c->addnode.count; i++)
		if (!c->addnode.items[i].host[0])
			(void)!hs_node_add_peer(d->node, &c->addnode.items[i].addr, now);
	for (size_t i = 0; c->connect.count == 0 && i < c->seednode.count; i++)
		if (!c->seednode.items[i].host[0])
			(void)!hs_node_add_seed(d->node, &c->seednode.items[i].addr, now);
	if (hs_names_start(d) != 0)
		return fail(d, EX_SOFTWARE, "%s", "out of memory");
	if (c->connect.count + c->addnode.count + c->seednode.count + c->dnsseed.count == 0) {
		struct hs_node_usage u;
		hs_node_get_usage(d->node, &u);
		if (u.addresses == 0)
			hs_log(HS_LOG_WARN, "%s",
			       "no seeds or peers configured (seednode=, dnsseed=, addnode= or "
			       "connect=) and the address book is empty: this node will not find "
			       "the network by itself, only peers that connect to it");
		else
			hs_log(HS_LOG_WARN,
			       "no seeds or peers configured (seednode=, dnsseed=, addnode= or "
			       "connect=): relying on the %zu node records in the address book",
			       u.addresses);
	}
	return 0;
}

static int start_listener(struct hs_daemon *d)
{
	if (!d->cfg.listen_on)
		return 0;
	char a[HS_NETADDR_STRLEN];
	hs_netaddr_format(&d->cfg.listen, a);
	struct sockaddr_storage ss;
	to_sockaddr(&d->cfg.listen, &ss);
	/* [::] takes IPv4 too (as v4-mapped addresses, which peers' addresses are unmapped
	 * from): asked for explicitly, whatever net.ipv6.bindv6only says. */
	bool dual = d->cfg.listen.family == HS_AF_INET6 && is_unspecified(&d->cfg.listen);
	uv_tcp_init_ex(&d->loop, &d->listener, dual ? AF_INET6 : AF_UNSPEC);
	d->listener.data = d;
	uv_os_fd_t fd;
	int off = 0;
	if (dual && (uv_fileno((uv_handle_t *)&d->listener, &fd) != 0 ||
	             setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0)) {
		dual = false;
		hs_log(HS_LOG_WARN, "%s",
		       "this system refuses IPv4 on an IPv6 socket: listening on IPv6 only");
	}
	int rc = uv_tcp_bind(&d->listener, (const struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&d->listener, 128, on_connection);
	if (rc) {
		uv_close((uv_handle_t *)&d->listener, NULL);
		char line[256];
		snprintf(line, sizeof(line), "cannot listen on %s: %s", a, uv_strerror(rc));
		return fail(d, EX_UNAVAILABLE, "%s", line);
	}
	d->listening = true;
	hs_log(HS_LOG_INFO, "listening on %s%s", a, dual ? " (IPv6 and IPv4)" : "");
	return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void teardown(struct hs_daemon *d)
{
	d->stopping = true; /* callbacks still to come (lookups) touch nothing */
	hs_names_stop(d);
	hs_upnp_stop(d);
	hs_seed_stop(d);
	hs_metrics_stop(d);
	hs_rpc_stop(d);
	/* Peers still open when the grace period ended: their slots go before the node. */
	for (struct conn *c = d->conns; c; c = c->next)
		c->peer = 0;
	uv_walk(&d->loop, close_walk, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	hs_names_free(d);
	while (d->conns) {
		struct conn *c = d->conns;
		d->conns = c->next;
		free(c->wbuf);
		free(c);
	}
	uv_loop_close(&d->loop);
	hs_node_del(d->node);
	d->node = NULL;
	hs_validators_free(d);
	hs_recent_stop(d);
	hs_persist_close(d);
	hs_noise_static_del(d->noise);
	hs_identity_del(d->id);
	hs_keycache_del(d->keys);
	hs_crypto_del(d->crypto);
}

static int start(struct hs_daemon *d)
{
	/* Cheapest and most likely failures first, so a bad start says one line and leaves
	 * nothing behind. */
	int rc = prepare_datadir(d);
	if (!rc)
		rc = load_identity(d);
	if (!rc)
		rc = start_listener(d);
	char err[512];
	if (!rc && hs_persist_open(d, err, sizeof(err)) != 0)
		rc = fail(d, strstr(err, "damaged") ? EX_DATAERR : EX_IOERR, "%s", err);
	if (!rc)
		rc = start_node(d);
	if (!rc && d->cfg.server && hs_rpc_start(d, err, sizeof(err)) != 0)
		rc = fail(d, EX_UNAVAILABLE, "%s", err);
	if (!rc && d->cfg.metrics_on && !hs_netaddr_is_loopback(&d->cfg.metrics))
		hs_log(HS_LOG_WARN, "%s",
		       "metrics served on a non-loopback address (metricsallowremote=1): anyone "
		       "who can reach it reads this node's state");
	if (!rc && d->cfg.metrics_on && hs_metrics_start(d, err, sizeof(err)) != 0)
		rc = fail(d, EX_UNAVAILABLE, "%s", err);
	if (rc)
		return rc;
	if (d->cfg.upnp)
		hs_upnp_start(d);
	if (d->cfg.seed)
		hs_seed_start(d);
	char id[65];
	hs_hex(id, hs_identity_pubkey(d->id), 32);
	hs_log(HS_LOG_INFO, "hearsayd %s: node %s, network %s, generation %llu", HS_VERSION, id,
	       d->cfg.network, (unsigned long long)d->generation);
	hs_daemon_pump(d);
	return 0;
}

int hs_daemon_repair(struct hs_daemon *d)
{
	char dir[HS_CONFIG_PATH_MAX + 8], err[1024];
	if (snprintf(dir, sizeof(dir), "%s/store", d->cfg.datadir) >= (int)sizeof(dir))
		return fail(d, EX_USAGE, "data directory path too long");
	size_t salvaged;
	if (hs_store_repair(dir, err, sizeof(err), &salvaged) != 0)
		return fail(d, EX_IOERR, "%s", err);
	hs_log(HS_LOG_INFO, "repaired %s (%zu log records replayed)", dir, salvaged);
	return EX_OK;
}

int hs_daemon_start(struct hs_daemon *d)
{
	hs_log_set_level((enum hs_log_level)d->cfg.loglevel);
	/* A peer that vanishes mid-write must cost a write error, not the process (unless the
	 * program installed its own SIGPIPE handler). */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return fail(d, EX_SOFTWARE, "%s", "cannot initialise libsodium");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	d->wall0_ns = (uint64_t)ts.tv_sec * HS_NS_PER_S + (uint64_t)ts.tv_nsec;
	d->mono0_ns = uv_hrtime();
	d->started_ns = d->wall0_ns;
	uv_timer_init(&d->loop, &d->timer);
	uv_timer_init(&d->loop, &d->stop_timer);
	uv_timer_init(&d->loop, &d->clock_timer);
	d->timer.data = d->stop_timer.data = d->clock_timer.data = d;
	uv_timer_start(&d->clock_timer, on_clock, CLOCK_CHECK_MS, CLOCK_CHECK_MS);
	return start(d);
}

void hs_daemon_teardown(struct hs_daemon *d)
{
	teardown(d);
}

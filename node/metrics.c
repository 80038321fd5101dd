/*
 * Prometheus metrics on a loopback HTTP port (metrics=IP:PORT): GET /metrics.
 *
 * A deliberately small HTTP/1.0 responder on the event loop: it reads one request head
 * (bounded), answers with the text rendered from the node's counters, and closes. It serves
 * monitoring scrapers on a loopback address, not the open internet; anything but a GET gets
 * 405, a head over 8 KB or slower than 5 seconds is dropped. Rationale: an HTTP library would
 * bring a TLS stack and a thread into every daemon for one plain GET.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"
#include "hearsay/banlist.h"
#include "hearsay/msg.h"
#include "hearsay/score.h"

#define HEAD_MAX    8192
#define TEXT_MAX    65536
#define CLIENTS_MAX 16
#define TIMEOUT_MS  5000

/* Why the responder dropped a scrape (hearsay_metrics_dropped_total{reason}). */
enum { DROP_CLIENTS, DROP_HEAD, DROP_TIMEOUT, DROP_KINDS };
static const char *const drop_names[DROP_KINDS] = { "clients", "head", "timeout" };

struct hs_metrics {
	uv_tcp_t server;
	struct hs_daemon *d;
	unsigned clients;
	uint64_t faults[16]; /* HS_EV_FAULT events by enum hs_score_kind (a fault kind) */
	uint64_t dropped[DROP_KINDS];
};

struct scrape {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct hs_metrics *m;
	char head[HEAD_MAX];
	size_t len;
	bool answered;
	int closing;
	uv_write_t wreq;
	char *reply;
};

/* The text being rendered; a render that would not fit is cut at the last whole line. */
struct text {
	char *buf;
	size_t off;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void emit(struct text *t, const char *fmt, ...)
{
	if (t->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->off, TEXT_MAX - t->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= TEXT_MAX - t->off)
		t->full = true;
	else
		t->off += (size_t)n;
}

/* The # HELP and # TYPE lines of one family (name without the hearsay_ prefix). */
static void family(struct text *t, const char *name, const char *type, const char *help)
{
	emit(t, "# HELP hearsay_%s %s\n# TYPE hearsay_%s %s\n", name, help, name, type);
}

static void sample(struct text *t, const char *name, uint64_t v)
{
	emit(t, "hearsay_%s %llu\n", name, (unsigned long long)v);
}

#define STAT(name, field, help) { name, help, offsetof(struct hs_node_stats, field) }
static const struct {
	const char *name, *help;
	size_t offset;
} counters[] = {
	STAT("sent_bytes_total", bytes_out, "Wire bytes sent, framing and Noise included."),
	STAT("received_bytes_total", bytes_in, "Wire bytes received, framing and Noise included."),
	STAT("rumors_published_total", rumors_published, "Rumors this node signed and published."),
	STAT("rumors_delivered_total", rumors_delivered,
	     "Rumors delivered to the application (each once)."),
	STAT("rumor_copies_received_total", payload_copies_in,
	     "Rumor frames received (full payload copies)."),
	STAT("duplicates_total", duplicates, "Rumor frames whose id was already known."),
	STAT("signature_checks_total", sig_checks, "Signatures verified."),
	STAT("signature_failures_total", sig_failures, "Signatures that failed verification."),
	STAT("requests_sent_total", requests_sent, "getdata requests sent."),
	STAT("requests_timed_out_total", requests_timed_out,
	     "getdata requests unanswered in time (asked elsewhere)."),
	STAT("notfound_sent_total", notfound_sent, "notfound answers sent."),
	STAT("announcements_dropped_total", announcements_dropped,
	     "inv items past the per-peer announcement limit, dropped."),
	STAT("pulls_sent_total", pulls_sent, "Pull digests sent."),
	STAT("pull_rumors_sent_total", pull_rumors_sent, "Rumors sent in answer to pulls."),
	STAT("repairs_refused_total", repairs_refused,
	     "Pulls and state syncs over a peer's rate, ignored."),
	STAT("evictions_total", evictions, "Inbound sessions closed to make room for another."),
	STAT("grafts_declined_total", grafts_declined,
	     "Requests to push to a peer beyond the eager receiver limit, declined."),
	STAT("feelers_total", feelers, "Short outbound sessions made to repair and test."),
	STAT("dials_requested_total", dials, "Outbound connections the core asked for."),
	STAT("auth_failures_total", auth_failures,
	     "Sessions closed for a frame that failed authentication or had a bad length."),
	STAT("inbound_refused_total", inbound_refused,
	     "Inbound connections refused: banned or graylisted address or group, or no slot to "
	     "spare from the outbound reserve."),
	STAT("ignored_for_standing_total", ignored_standing,
	     "Messages ignored for the sender's standing (gossip or graylist threshold)."),
	STAT("banned_origin_dropped_total", banned_origin,
	     "Objects dropped unverified because their origin is banned."),
	STAT("group_bans_total", group_bans, "Network groups banned after repeated bans in them."),
	STAT("bans_compacted_total", bans_compacted,
	     "Times a full ban table merged a group's address bans into one."),
	STAT("bans_evicted_total", bans_evicted,
	     "Bans removed from a full table (expired, or the shortest left)."),
	STAT("input_stalls_total", input_stalls,
	     "Times peer input waited for the driver to drain events."),
	STAT("rumors_skewed_total", rumors_skewed,
	     "Rumors refused as from our future (beyond the clock skew allowed)."),
	STAT("rumors_too_old_total", rumors_too_old, "Rumors refused as older than retention."),
	STAT("announcements_evicted_total", announcements_evicted,
	     "Inbound announcers displaced from a full id by outbound ones."),
	STAT("pushers_dropped_total", pushers_dropped,
	     "Pushers dropped for letting fresh rumors come by request."),
	STAT("topic_closes_total", topic_closes,
	     "Extra outbound sessions closed: no topic we lack."),
	STAT("rotations_total", rotations, "Outbound peers replaced by a feeler-tested candidate."),
	STAT("anchors_dialled_total", anchors_dialled,
	     "Anchors from the last run dialled at start."),
	STAT("getaddr_limited_total", getaddr_limited,
	     "getaddr requests over the per-group limit, not answered."),
	STAT("addresses_refused_total", book_refused,
	     "Records the address book refused (slot taken, book full)."),
	STAT("signature_checks_admitted_total", verify_admitted,
	     "Signature checks on peer data the verification budget allowed."),
};

static void render_messages(struct text *t, const struct hs_node_stats *st)
{
	static const struct {
		const char *name, *help;
	} dirs[2] = { { "messages_sent_total", "Messages sent, by type." },
		      { "messages_received_total", "Messages received, by type." } };
	for (int dir = 0; dir < 2; dir++) {
		const uint64_t *v = dir == 0 ? st->msgs_out : st->msgs_in;
		family(t, dirs[dir].name, "counter", dirs[dir].help);
		for (unsigned ty = 1; ty < 16; ty++)
			if (v[ty])
				emit(t, "hearsay_%s{type=\"%s\"} %llu\n", dirs[dir].name,
				     hs_msg_type_name((uint8_t)ty), (unsigned long long)v[ty]);
	}
}

static void render_counters(struct text *t, const struct hs_node_stats *st)
{
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		uint64_t v;
		memcpy(&v, (const uint8_t *)st + counters[i].offset, sizeof(v));
		family(t, counters[i].name, "counter", counters[i].help);
		sample(t, counters[i].name, v);
	}
}

/* Faults by kind (every fault kind, zeros included: a fixed label set). */
static void render_faults(struct text *t, const struct hs_metrics *m)
{
	family(t, "faults_total", "counter", "Provable faults committed by peers, by kind.");
	for (uint8_t k = 1; k < 16; k++) {
		const char *name = hs_score_kind_name(k);
		if (HS_SCORE_IS_FAULT(k) && strcmp(name, "unknown") != 0)
			emit(t, "hearsay_faults_total{kind=\"%s\"} %llu\n", name,
			     (unsigned long long)m->faults[k]);
	}
}

/* The verification budget drops (never queues) a check over it: the refusals by whose share
 * was spent. */
static void render_verify(struct text *t, const struct hs_node_stats *st)
{
	family(t, "signature_checks_refused_total", "counter",
	       "Signature checks over the verification budget: the object dropped unverified, "
	       "unpenalised, by whose share was spent.");
	emit(t,
	     "hearsay_signature_checks_refused_total{share=\"peer\"} %llu\n"
	     "hearsay_signature_checks_refused_total{share=\"group\"} %llu\n",
	     (unsigned long long)st->verify_over_peer_share,
	     (unsigned long long)st->verify_over_group_share);
}

static void render_dials(struct text *t, const struct hs_daemon *d)
{
	static const char *const names[HS_DIAL_RESULTS] = { "ok", "failed", "refused" };
	family(t, "dials_total", "counter",
	       "Outbound TCP connects by result: ok, refused (nothing listens), failed (timeout, "
	       "unreachable, no memory).");
	for (int r = 0; r < HS_DIAL_RESULTS; r++)
		emit(t, "hearsay_dials_total{result=\"%s\"} %llu\n", names[r],
		     (unsigned long long)d->dial_results[r]);
}

static void render_gauges(struct text *t, struct hs_daemon *d)
{
	struct hs_peer_info info[HS_PEERS_MAX];
	size_t n = hs_node_peers(d->node, info, HS_PEERS_MAX), in = 0;
	for (size_t i = 0; i < n && i < HS_PEERS_MAX; i++)
		in += info[i].inbound;
	family(t, "peers", "gauge", "Open sessions, by direction.");
	emit(t, "hearsay_peers{direction=\"in\"} %zu\nhearsay_peers{direction=\"out\"} %zu\n", in,
	     n - in);
	struct hs_node_usage u;
	hs_node_get_usage(d->node, &u);
	family(t, "addresses", "gauge", "Address book records, by whether we ever connected.");
	emit(t, "hearsay_addresses{state=\"new\"} %zu\nhearsay_addresses{state=\"tried\"} %zu\n",
	     u.addresses - u.addresses_tried, u.addresses_tried);
	family(t, "stored_rumors", "gauge", "Rumors held to serve getdata and pulls.");
	sample(t, "stored_rumors", u.rumors);
	family(t, "stored_rumor_bytes", "gauge", "Encoded bytes of the rumors held.");
	sample(t, "stored_rumor_bytes", u.rumor_bytes);
	family(t, "state_entries", "gauge", "Replicated state entries held (all origins).");
	sample(t, "state_entries", u.state_entries);
	family(t, "state_bytes", "gauge", "Encoded bytes of the state entries held.");
	sample(t, "state_bytes", u.state_bytes);
	family(t, "equivocations_total", "counter",
	       "Equivocations seen: two signed state entries for one version.");
	sample(t, "equivocations_total", hs_node_equivocations(d->node));
}

/* Bans in force by target (an IPv6 address ban covers its /64) and by who set them. */
enum { BAN_ID, BAN_ADDRESS, BAN_PREFIX64, BAN_GROUP, BAN_TARGETS };
static const char *const ban_targets[BAN_TARGETS] = { "id", "address", "prefix64", "group" };

static void render_bans(struct text *t, struct hs_daemon *d)
{
	uint64_t now = hs_daemon_now(d);
	size_t n = hs_node_bans(d->node, NULL, 0, now), by[BAN_TARGETS][2] = { { 0 } };
	struct hs_ban *bans = malloc((n ? n : 1) * sizeof(*bans));
	if (bans) {
		size_t got = hs_node_bans(d->node, bans, n, now);
		for (size_t i = 0; i < got && i < n; i++) {
			const struct hs_ban *b = &bans[i];
			int k = b->kind == HS_BAN_ID      ? BAN_ID
			        : b->kind == HS_BAN_GROUP ? BAN_GROUP
			        : b->kind == HS_BAN_ADDR
			                ? (b->key[0] == HS_AF_INET6 ? BAN_PREFIX64 : BAN_ADDRESS)
			                : -1;
			if (k >= 0)
				by[k][b->reason == HS_BAN_OPERATOR]++;
		}
		free(bans);
	}
	family(t, "bans", "gauge",
	       "Bans in force, by target (id, address, prefix64: an IPv6 /64, group) and by "
	       "reason (operator: setban; misbehaving: the score).");
	for (int k = 0; k < BAN_TARGETS; k++)
		emit(t,
		     "hearsay_bans{kind=\"%s\",reason=\"misbehaving\"} %zu\n"
		     "hearsay_bans{kind=\"%s\",reason=\"operator\"} %zu\n",
		     ban_targets[k], by[k][0], ban_targets[k], by[k][1]);
}

static void render_names(struct text *t, struct hs_daemon *d)
{
	uint64_t lookups, failures, discarded;
	hs_names_stats(d, &lookups, &failures, &discarded);
	family(t, "name_lookups_total", "counter",
	       "Host name lookups (connect, addnode and seednode names, DNS seeds).");
	sample(t, "name_lookups_total", lookups);
	family(t, "name_lookup_failures_total", "counter",
	       "Host name lookups that gave no usable address (retried after a backoff).");
	sample(t, "name_lookup_failures_total", failures);
	family(t, "dnsseed_discarded_total", "counter",
	       "DNS seed answers discarded: beyond the per-answer cap, or no room in the node.");
	sample(t, "dnsseed_discarded_total", discarded);
}

static void render_process(struct text *t, struct hs_daemon *d)
{
	const struct hs_metrics *m = d->metrics;
	family(t, "metrics_dropped_total", "counter",
	       "Metrics requests dropped: too many clients, an oversize head, too slow.");
	for (int r = 0; r < DROP_KINDS; r++)
		emit(t, "hearsay_metrics_dropped_total{reason=\"%s\"} %llu\n", drop_names[r],
		     (unsigned long long)m->dropped[r]);
	family(t, "store_readonly", "gauge",
	       "1 while the store refuses writes: the node refuses its own writes.");
	sample(t, "store_readonly", d->store_readonly ? 1 : 0);
	family(t, "store_write_errors_total", "counter", "Store writes and probes that failed.");
	sample(t, "store_write_errors_total", d->store_write_errors);
	family(t, "store_saves_dropped_total", "counter",
	       "Saves the core asked for that a failing store could not make.");
	sample(t, "store_saves_dropped_total", d->store_saves_dropped);
	family(t, "uptime_seconds", "gauge", "Seconds since the daemon started.");
	sample(t, "uptime_seconds", (hs_daemon_now(d) - d->started_ns) / HS_NS_PER_S);
	family(t, "build_info", "gauge", "The hearsayd version and wire protocol version.");
	emit(t, "hearsay_build_info{version=\"%s\",protocol=\"%d\"} 1\n", HS_VERSION,
	     HS_PROTOCOL_VERSION);
}

/* Renders the metrics as Prometheus text (format 0.0.4) into buf; returns the length. */
static size_t render(struct hs_daemon *d, char *buf)
{
	struct text t = { .buf = buf };
	struct hs_node_stats st;
	hs_node_get_stats(d->node, &st);
	render_gauges(&t, d);
	render_messages(&t, &st);
	render_counters(&t, &st);
	render_verify(&t, &st);
	render_faults(&t, d->metrics);
	render_dials(&t, d);
	render_bans(&t, d);
	render_names(&t, d);
	render_process(&t, d);
	if (t.full) {
		hs_log(HS_LOG_WARN, "metrics: the text exceeds %d bytes and was cut", TEXT_MAX);
		while (t.off > 0 && buf[t.off - 1] != '\n')
			t.off--;
	}
	return t.off;
}

void hs_metrics_fault(struct hs_daemon *d, int kind)
{
	if (d->metrics && kind >= 0 && kind < 16)
		d->metrics->faults[kind]++;
}

static void scrape_freed(uv_handle_t *h)
{
	struct scrape *s = h->data;
	if (--s->closing > 0)
		return;
	s->m->clients--;
	free(s->reply);
	free(s);
}

static void scrape_close(struct scrape *s)
{
	if (s->closing)
		return;
	s->closing = 2;
	uv_close((uv_handle_t *)&s->tcp, scrape_freed);
	uv_close((uv_handle_t *)&s->timer, scrape_freed);
}

static void on_replied(uv_write_t *req, int status)
{
	(void)status;
	scrape_close(req->data);
}

static void answer(struct scrape *s)
{
	s->answered = true;
	static char text[TEXT_MAX];
	const char *status = "200 OK";
	size_t n;
	bool get = strncmp(s->head, "GET ", 4) == 0;
	bool path = strncmp(s->head + 4, "/metrics ", 9) == 0 || strncmp(s->head + 4, "/ ", 2) == 0;
	if (!get) {
		status = "405 Method Not Allowed";
		n = (size_t)snprintf(text, sizeof(text), "only GET\n");
	} else if (!path) {
		status = "404 Not Found";
		n = (size_t)snprintf(text, sizeof(text), "not found: try /metrics\n");
	} else {
		n = render(s->m->d, text);
	}
	s->reply = malloc(n + 160);
	if (!s->reply) {
		scrape_close(s);
		return;
	}
	int h = snprintf(s->reply, 160,
	                 "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	                 status, n);
	memcpy(s->reply + h, text, n);
	uv_buf_t b = uv_buf_init(s->reply, (unsigned)((size_t)h + n));
	s->wreq.data = s;
	if (uv_write(&s->wreq, (uv_stream_t *)&s->tcp, &b, 1, on_replied) != 0)
		scrape_close(s);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct scrape *s = h->data;
	*buf = uv_buf_init(s->head + s->len, (unsigned)(HEAD_MAX - 1 - s->len));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	struct scrape *s = st->data;
	if (nread < 0 || (nread == 0 && s->len >= HEAD_MAX - 1)) {
		scrape_close(s);
		return;
	}
	s->len += (size_t)nread;
	s->head[s->len] = '\0';
	if (!s->answered && strstr(s->head, "\r\n\r\n")) {
		uv_read_stop(st);
		answer(s);
	} else if (s->len >= HEAD_MAX - 1) {
		s->m->dropped[DROP_HEAD]++;
		scrape_close(s);
	}
}

static void on_timeout(uv_timer_t *t)
{
	struct scrape *s = t->data;
	if (!s->answered)
		s->m->dropped[DROP_TIMEOUT]++;
	scrape_close(s);
}

static void server_freed(uv_handle_t *h)
{
	free(h->data);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct hs_metrics *m = server->data;
	if (status < 0)
		return;
	struct scrape *s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->m = m;
	m->clients++;
	uv_tcp_init(server->loop, &s->tcp);
	uv_timer_init(server->loop, &s->timer);
	s->tcp.data = s->timer.data = s;
	if (uv_accept(server, (uv_stream_t *)&s->tcp) != 0 || m->clients > CLIENTS_MAX) {
		m->dropped[DROP_CLIENTS] += m->clients > CLIENTS_MAX;
		scrape_close(s);
		return;
	}
	uv_timer_start(&s->timer, on_timeout, TIMEOUT_MS, 0);
	uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
}

int hs_metrics_start(struct hs_daemon *d, char *err, size_t errlen)
{
	char a[HS_NETADDR_STRLEN];
	hs_netaddr_format(&d->cfg.metrics, a);
	if (d->cfg.metrics.family != HS_AF_INET) {
		snprintf(err, errlen, "metrics: only an IPv4 address is supported (%s)", a);
		return HS_ERR_INVALID;
	}
	struct hs_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return HS_ERR_NOMEM;
	m->d = d;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(d->cfg.metrics.port) };
	memcpy(&sa.sin_addr, d->cfg.metrics.ip, 4);
	uv_tcp_init(&d->loop, &m->server);
	m->server.data = m;
	int rc = uv_tcp_bind(&m->server, (const struct sockaddr *)&sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&m->server, 16, on_connection);
	if (rc) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s", a, uv_strerror(rc));
		uv_close((uv_handle_t *)&m->server, server_freed);
		return HS_ERR_IO;
	}
	d->metrics = m;
	hs_log(HS_LOG_INFO, "metrics on http://%s/metrics", a);
	return 0;
}

void hs_metrics_stop(struct hs_daemon *d)
{
	struct hs_metrics *m = d->metrics;
	if (!m)
		return;
	if (!uv_is_closing((uv_handle_t *)&m->server))
		uv_close((uv_handle_t *)&m->server, server_freed);
	d->metrics = NULL;
}

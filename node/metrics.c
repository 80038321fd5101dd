/*
 * Prometheus metrics on a loopback HTTP port (metrics=IP:PORT): GET /metrics (or /).
 *
 * Threads, as in httprpc.c: libmicrohttpd parses HTTP on its own thread
 * (MHD_USE_AUTO_INTERNAL_THREAD). A complete GET or HEAD of /metrics is queued under a mutex,
 * its connection suspended, and the loop woken with a uv_async; the loop thread renders the
 * text (render: it alone reads the core), hands the buffer back and resumes the connection;
 * MHD's thread sends it. A slow or idle client costs MHD's thread nothing but a slot, so it
 * cannot hold up another client's scrape. Anything else: 405 (another method), 404 (another
 * path).
 *
 * Attacker model: anyone who can reach the port (loopback, or anyone with
 * metricsallowremote=1) may open connections and send any bytes at any rate. A client costs
 * one slot (HS_METRICS_CONNECTIONS_MAX, per address HS_METRICS_PER_IP_MAX) and MHD's
 * per-connection memory (HS_METRICS_CONN_MEMORY, which bounds the head) for at most
 * HS_METRICS_TIMEOUT_S seconds of inactivity. Every connection that ends without a scrape for
 * one of those limits is counted in hearsay_metrics_dropped_total{reason}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon_impl.h"
#include "overlay/msg.h"
#include "reputation/banlist.h"
#include "reputation/score.h"

#define TEXT_MAX HS_METRICS_TEXT_MAX

/* Why a metrics connection ended without a scrape (hearsay_metrics_dropped_total{reason}). */
enum { DROP_CLIENTS, DROP_HEAD, DROP_TIMEOUT, DROP_KINDS };
static const char *const drop_names[DROP_KINDS] = { "clients", "head", "timeout" };

/* One connection (MHD's socket context and every request's context), owned by MHD's thread;
 * the loop thread touches only text, len and done of one that is queued (suspended). */
struct mconn {
	struct mconn *next; /* in the queue for the loop */
	struct MHD_Connection *conn;
	struct hs_netaddr ip;
	uint64_t start_ms; /* monotonic, when accepted */
	bool known;        /* ip is set */
	unsigned nreq;     /* request lines seen */
	bool inreq;        /* a request line came and no answer was queued yet */
	bool queued;       /* waiting for the loop's render */
	bool done;         /* rendered: text and len are set */
	char *text;        /* malloc'd; handed to MHD with the response */
	size_t len;
};

struct hs_metrics {
	struct hs_daemon *d;
	uint64_t faults[16]; /* HS_EV_FAULT events by enum hs_score_kind (a fault kind) */
	struct MHD_Daemon *mhd;
	uv_async_t async;
	pthread_mutex_t mu;
	struct mconn *head, *tail; /* scrapes for the loop to render */
	bool closing;              /* under mu: new scrapes get 503 */
	atomic_bool stopping;      /* closes from here on are the stop's, not counted */
	atomic_uint open;          /* connections now */
	struct hs_ipcount per_ip;  /* open connections per address (ipcount.c) */
	atomic_ullong dropped[DROP_KINDS];
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
	STAT("addresses_unsaved_total", book_unsaved,
	     "Address book removals or changes past the queue to the store (an old value stays "
	     "stored until the next start)."),
	STAT("signature_checks_admitted_total", verify_admitted,
	     "Signature checks on peer data the verification budget allowed."),
	STAT("heartbeats_sent_total", heartbeats_sent, "Heartbeats this node signed."),
	STAT("heartbeats_malformed_total", heartbeats_malformed,
	     "Signed heartbeats or suspects lists whose value is malformed, ignored for "
	     "membership."),
	STAT("members_evicted_total", members_evicted,
	     "Members forgotten to make room in a full members table."),
	STAT("members_reaped_total", members_reaped,
	     "Dead and left members forgotten after member_reap_s."),
	STAT("accusations_total", accusations,
	     "Neighbours this node accused: lost without a disconnect, and its probe failed."),
	STAT("refutations_total", refutations,
	     "Fresh heartbeats signed at once to refute an accusation of this node."),
	STAT("equivocation_proofs_sent_total", proofs_sent,
	     "Equivocation proofs sent to peers (each convicts the origin there)."),
	STAT("equivocation_proofs_received_total", proofs_received,
	     "Equivocation proofs received with both signatures valid."),
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
	family(t, "members", "gauge",
	       "Members (nodes whose signed heartbeat we have seen, ourselves included), by "
	       "status.");
	for (uint8_t k = HS_MEMBER_ALIVE; k <= HS_MEMBER_LEFT; k++)
		emit(t, "hearsay_members{status=\"%s\"} %zu\n", hs_member_status_name(k),
		     u.members[k]);
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
	       "Metrics connections that ended without a scrape: refused over the connection "
	       "limits, an oversize or malformed head (or none before a close), the timeout.");
	for (int r = 0; r < DROP_KINDS; r++)
		emit(t, "hearsay_metrics_dropped_total{reason=\"%s\"} %llu\n", drop_names[r],
		     (unsigned long long)atomic_load(&m->dropped[r]));
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

/* ---- MHD's thread --------------------------------------------------------------------------- */

/* MHD's accept policy: a slot must be free overall and for the address; a refusal is
 * counted as reason="clients". */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct hs_metrics *m = cls;
	(void)addrlen;
	struct hs_netaddr a;
	unsigned from_ip = 0;
	if (hs_sockaddr_netaddr(&a, addr)) {
		from_ip = hs_ipcount_add(&m->per_ip, &a, 0);
	}
	if (atomic_load(&m->open) >= HS_METRICS_CONNECTIONS_MAX ||
	    from_ip >= HS_METRICS_PER_IP_MAX) {
		atomic_fetch_add(&m->dropped[DROP_CLIENTS], 1);
		return MHD_NO;
	}
	return MHD_YES;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A connection's start and end. One that MHD closes before a whole first request line came
 * is counted: at the timeout as reason="timeout", earlier as reason="head"
 * (MHD refused a request line over HS_METRICS_CONN_MEMORY or one it could not parse); a
 * client that hangs up is not, nor a
 * kept-alive connection that goes idle after a scrape. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct hs_metrics *m = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&m->open, 1);
		struct mconn *c = calloc(1, sizeof(*c));
		*socket_context = c;
		const union MHD_ConnectionInfo *info =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (!c)
			return; /* the handler refuses a connection without one */
		c->conn = conn;
		c->start_ms = mono_ms();
		c->known =
		        info && info->client_addr && hs_sockaddr_netaddr(&c->ip, info->client_addr);
		if (c->known) {
			hs_ipcount_add(&m->per_ip, &c->ip, 1);
		}
		return;
	}
	atomic_fetch_sub(&m->open, 1);
	struct mconn *c = *socket_context;
	if (!c)
		return;
	if (c->known) {
		hs_ipcount_add(&m->per_ip, &c->ip, -1);
	}
	if (c->nreq == 0 && !m->stopping) {
		/* Bytes still unread, or the client's side still open (MHD timed it out or shut
		 * it down first), mean MHD refused a request line it could not hold or parse; an
		 * end of stream or a reset is the client hanging up, not counted. Partial: a
		 * client that hangs up the moment MHD refuses a malformed line looks the same. */
		const union MHD_ConnectionInfo *fdi =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		bool refused = false;
		if (fdi) {
			char byte;
			ssize_t n = recv(fdi->connect_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
			refused = n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		}
		if (refused)
			atomic_fetch_add(&m->dropped[mono_ms() - c->start_ms + 250 >=
			                                             HS_METRICS_TIMEOUT_S * 1000u
			                                     ? DROP_TIMEOUT
			                                     : DROP_HEAD],
			                 1);
	}
	free(c->text);
	free(c);
	*socket_context = NULL;
}

/* A request line came: the request's context is its connection's. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)uri;
	const union MHD_ConnectionInfo *info =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct mconn *c = info ? info->socket_context : NULL;
	if (c) {
		c->nreq++;
		c->inreq = true;
	}
	return c;
}

/* A request ended. One we never answered was refused by MHD (a head over
 * HS_METRICS_CONN_MEMORY, a malformed one) or abandoned with its head unfinished
 * (reason="head"; a client reading MHD's 431 and closing may look like a reset), or timed out
 * trickling (reason="timeout"); a stop is not counted. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct hs_metrics *m = cls;
	(void)conn;
	struct mconn *c = *con_cls;
	if (!c || !c->inreq)
		return;
	c->inreq = false;
	if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
		atomic_fetch_add(&m->dropped[DROP_TIMEOUT], 1);
	else if (toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN)
		atomic_fetch_add(&m->dropped[DROP_HEAD], 1);
}

static enum MHD_Result reply_static(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct hs_metrics *m = cls;
	struct mconn *c = *con_cls;
	(void)version;
	(void)upload_data;
	if (!c)
		return MHD_NO; /* no memory for the connection's record: close it */
	if (c->done) {
		struct MHD_Response *r =
		        MHD_create_response_from_buffer(c->len, c->text, MHD_RESPMEM_MUST_FREE);
		if (!r)
			return MHD_NO;
		c->text = NULL;
		c->done = c->queued = c->inreq = false;
		MHD_add_response_header(r, "Content-Type",
		                        "text/plain; version=0.0.4; charset=utf-8");
		enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
		return rc;
	}
	if (c->queued)
		return MHD_YES; /* resumed without a render: cannot happen, wait */
	*upload_data_size = 0;  /* a body is read and dropped */
	if (!c->inreq)
		return MHD_YES; /* the answer is queued already; the rest of the body */
	c->inreq = false;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (strcmp(url, "/metrics") != 0 && strcmp(url, "/") != 0)
		return reply_static(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	pthread_mutex_lock(&m->mu);
	bool closing = m->closing;
	if (!closing) {
		c->queued = true;
		c->next = NULL;
		if (m->tail)
			m->tail->next = c;
		else
			m->head = c;
		m->tail = c;
		MHD_suspend_connection(conn);
	}
	pthread_mutex_unlock(&m->mu);
	if (closing)
		return reply_static(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "hearsayd is stopping\n");
	uv_async_send(&m->async);
	return MHD_YES;
}

/* ---- the loop thread ---------------------------------------------------------------------- */

/* Renders every queued scrape and hands it back to MHD's thread. */
static void drain(struct hs_metrics *m, bool closing)
{
	pthread_mutex_lock(&m->mu);
	struct mconn *c = m->head;
	m->head = m->tail = NULL;
	if (closing)
		m->closing = true;
	pthread_mutex_unlock(&m->mu);
	while (c) {
		struct mconn *next = c->next;
		struct MHD_Connection *conn = c->conn;
		c->text = malloc(TEXT_MAX);
		c->len = c->text ? render(m->d, c->text) : 0;
		c->done = true;
		MHD_resume_connection(conn); /* c belongs to MHD's thread from here on */
		c = next;
	}
}

static void on_async(uv_async_t *a)
{
	drain(a->data, false);
}

static void metrics_free(struct hs_metrics *m)
{
	pthread_mutex_destroy(&m->mu);
	hs_ipcount_destroy(&m->per_ip);
	free(m);
}

static void async_closed(uv_handle_t *handle)
{
	metrics_free(handle->data);
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
	pthread_mutex_init(&m->mu, NULL);
	hs_ipcount_init(&m->per_ip, HS_METRICS_CONNECTIONS_MAX + 1);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(d->cfg.metrics.port) };
	memcpy(&sa.sin_addr, d->cfg.metrics.ip, 4);
	/* The daemon exists before MHD's thread can call on_request, so the async is ready. */
	uv_async_init(&d->loop, &m->async, on_async);
	m->async.data = m;
	m->mhd = MHD_start_daemon(
	        MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, d->cfg.metrics.port,
	        on_accept, m, on_request, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HS_METRICS_CONNECTIONS_MAX + 1,
	        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HS_METRICS_PER_IP_MAX + 1,
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HS_METRICS_CONN_MEMORY,
	        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HS_METRICS_TIMEOUT_S,
	        MHD_OPTION_URI_LOG_CALLBACK, on_uri, m, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	        m, MHD_OPTION_NOTIFY_CONNECTION, on_connection, m, MHD_OPTION_END);
	if (!m->mhd) {
		snprintf(err, errlen,
		         "cannot serve metrics on %s (in use, or no such address here)", a);
		uv_close((uv_handle_t *)&m->async, async_closed);
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
	drain(m, true); /* no scrape stays suspended; new ones get 503 */
	m->stopping = true;
	MHD_stop_daemon(m->mhd);
	d->metrics = NULL;
	if (uv_is_closing((uv_handle_t *)&m->async)) {
		metrics_free(m); /* teardown's walk closed it already */
		return;
	}
	uv_close((uv_handle_t *)&m->async, async_closed);
}

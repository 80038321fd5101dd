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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"
#include "hearsay/msg.h"

#define HEAD_MAX    8192
#define TEXT_MAX    16384
#define CLIENTS_MAX 16
#define TIMEOUT_MS  5000

struct hs_metrics {
	uv_tcp_t server;
	struct hs_daemon *d;
	unsigned clients;
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

#define EMIT(...)                                                                                  \
	do {                                                                                       \
		if (off < TEXT_MAX)                                                                \
			off += (size_t)snprintf(buf + off, TEXT_MAX - off, __VA_ARGS__);           \
	} while (0)

/* Renders the counters as Prometheus text into buf; returns the length. */
static size_t render(struct hs_daemon *d, char *buf)
{
	size_t off = 0;
	struct hs_node_stats st;
	hs_node_get_stats(d->node, &st);
	struct hs_peer_info info[HS_PEERS_MAX];
	size_t n = hs_node_peers(d->node, info, HS_PEERS_MAX), in = 0;
	for (size_t i = 0; i < n && i < HS_PEERS_MAX; i++)
		in += info[i].inbound;
	EMIT("# TYPE hearsay_peers gauge\nhearsay_peers{direction=\"in\"} %zu\n"
	     "hearsay_peers{direction=\"out\"} %zu\n",
	     in, n - in);
	EMIT("# TYPE hearsay_messages_sent_total counter\n");
	for (unsigned t = 1; t < 16; t++)
		if (st.msgs_out[t])
			EMIT("hearsay_messages_sent_total{type=\"%s\"} %llu\n",
			     hs_msg_type_name((uint8_t)t), (unsigned long long)st.msgs_out[t]);
	EMIT("# TYPE hearsay_messages_received_total counter\n");
	for (unsigned t = 1; t < 16; t++)
		if (st.msgs_in[t])
			EMIT("hearsay_messages_received_total{type=\"%s\"} %llu\n",
			     hs_msg_type_name((uint8_t)t), (unsigned long long)st.msgs_in[t]);
	static const struct {
		const char *name, *type;
		size_t offset;
	} counters[] = {
		{ "bytes_sent_total", "counter", offsetof(struct hs_node_stats, bytes_out) },
		{ "bytes_received_total", "counter", offsetof(struct hs_node_stats, bytes_in) },
		{ "rumors_published_total", "counter",
		  offsetof(struct hs_node_stats, rumors_published) },
		{ "rumors_delivered_total", "counter",
		  offsetof(struct hs_node_stats, rumors_delivered) },
		{ "duplicates_total", "counter", offsetof(struct hs_node_stats, duplicates) },
		{ "signature_checks_total", "counter", offsetof(struct hs_node_stats, sig_checks) },
		{ "signature_failures_total", "counter",
		  offsetof(struct hs_node_stats, sig_failures) },
		{ "faults_total", "counter", offsetof(struct hs_node_stats, faults) },
		{ "requests_sent_total", "counter", offsetof(struct hs_node_stats, requests_sent) },
		{ "auth_failures_total", "counter", offsetof(struct hs_node_stats, auth_failures) },
		{ "inbound_refused_total", "counter",
		  offsetof(struct hs_node_stats, inbound_refused) },
		{ "ignored_for_standing_total", "counter",
		  offsetof(struct hs_node_stats, ignored_standing) },
		{ "banned_origin_dropped_total", "counter",
		  offsetof(struct hs_node_stats, banned_origin) },
		{ "group_bans_total", "counter", offsetof(struct hs_node_stats, group_bans) },
		{ "bans_compacted_total", "counter",
		  offsetof(struct hs_node_stats, bans_compacted) },
		{ "bans_evicted_total", "counter", offsetof(struct hs_node_stats, bans_evicted) },
		{ "input_stalls_total", "counter", offsetof(struct hs_node_stats, input_stalls) },
	};
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		uint64_t v;
		memcpy(&v, (const uint8_t *)&st + counters[i].offset, sizeof(v));
		EMIT("# TYPE hearsay_%s %s\nhearsay_%s %llu\n", counters[i].name, counters[i].type,
		     counters[i].name, (unsigned long long)v);
	}
	EMIT("# TYPE hearsay_bans gauge\nhearsay_bans %zu\n",
	     hs_node_bans(d->node, NULL, 0, hs_daemon_now(d)));
	EMIT("# TYPE hearsay_uptime_seconds gauge\nhearsay_uptime_seconds %llu\n",
	     (unsigned long long)((hs_daemon_now(d) - d->started_ns) / HS_NS_PER_S));
	return off < TEXT_MAX ? off : TEXT_MAX;
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
		scrape_close(s);
	}
}

static void on_timeout(uv_timer_t *t)
{
	scrape_close(t->data);
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

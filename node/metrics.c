/*
 * Prometheus metrics on a loopback HTTP port (metrics=IP:PORT).
 *
 * libmicrohttpd serves from its own thread; the core is single-threaded, so the loop thread
 * renders the text once a second into a buffer under a mutex, and the HTTP thread only copies
 * that buffer. No request ever touches the node.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"
#include "hearsay/msg.h"

#define TEXT_MAX 16384

struct hs_metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	char text[TEXT_MAX];
	size_t len;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **req_cls)
{
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req_cls;
	struct hs_metrics *m = cls;
	if (strcmp(method, "GET") != 0)
		return MHD_NO;
	bool ok = strcmp(url, "/metrics") == 0 || strcmp(url, "/") == 0;
	char copy[TEXT_MAX];
	size_t n;
	if (ok) {
		pthread_mutex_lock(&m->lock);
		n = m->len;
		memcpy(copy, m->text, n);
		pthread_mutex_unlock(&m->lock);
	} else {
		n = (size_t)snprintf(copy, sizeof(copy), "not found: try /metrics\n");
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(n, copy, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	enum MHD_Result rc = MHD_queue_response(conn, ok ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, r);
	MHD_destroy_response(r);
	return rc;
}

int hs_metrics_start(struct hs_daemon *d, char *err, size_t errlen)
{
	struct hs_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return HS_ERR_NOMEM;
	pthread_mutex_init(&m->lock, NULL);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(d->cfg.metrics.port) };
	memcpy(&sa.sin_addr, d->cfg.metrics.ip, 4);
	if (d->cfg.metrics.family != HS_AF_INET) {
		snprintf(err, errlen, "metrics: only an IPv4 address is supported");
		free(m);
		return HS_ERR_INVALID;
	}
	m->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, d->cfg.metrics.port, NULL, NULL,
	                          answer, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                          MHD_OPTION_CONNECTION_LIMIT, 8u, MHD_OPTION_CONNECTION_TIMEOUT,
	                          5u, MHD_OPTION_END);
	if (!m->mhd) {
		char a[HS_NETADDR_STRLEN];
		hs_netaddr_format(&d->cfg.metrics, a);
		snprintf(err, errlen, "cannot serve metrics on %s (port in use?)", a);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return HS_ERR_IO;
	}
	d->metrics = m;
	hs_metrics_update(d);
	return 0;
}

#define EMIT(...)                                                                                  \
	do {                                                                                       \
		if (off < TEXT_MAX)                                                                \
			off += (size_t)snprintf(buf + off, TEXT_MAX - off, __VA_ARGS__);           \
	} while (0)

void hs_metrics_update(struct hs_daemon *d)
{
	struct hs_metrics *m = d->metrics;
	if (!m || !d->node)
		return;
	static char buf[TEXT_MAX];
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
	EMIT("# TYPE hearsay_bytes_sent_total counter\nhearsay_bytes_sent_total %llu\n",
	     (unsigned long long)st.bytes_out);
	EMIT("# TYPE hearsay_bytes_received_total counter\nhearsay_bytes_received_total %llu\n",
	     (unsigned long long)st.bytes_in);
	EMIT("# TYPE hearsay_rumors_published_total counter\nhearsay_rumors_published_total "
	     "%llu\n",
	     (unsigned long long)st.rumors_published);
	EMIT("# TYPE hearsay_rumors_delivered_total counter\nhearsay_rumors_delivered_total "
	     "%llu\n",
	     (unsigned long long)st.rumors_delivered);
	EMIT("# TYPE hearsay_duplicates_total counter\nhearsay_duplicates_total %llu\n",
	     (unsigned long long)st.duplicates);
	EMIT("# TYPE hearsay_signature_checks_total counter\nhearsay_signature_checks_total "
	     "%llu\n",
	     (unsigned long long)st.sig_checks);
	EMIT("# TYPE hearsay_faults_total counter\nhearsay_faults_total %llu\n",
	     (unsigned long long)st.faults);
	struct hs_ban bans[1];
	EMIT("# TYPE hearsay_bans gauge\nhearsay_bans %zu\n",
	     hs_node_bans(d->node, bans, 0, hs_daemon_now(d)));
	EMIT("# TYPE hearsay_uptime_seconds gauge\nhearsay_uptime_seconds %llu\n",
	     (unsigned long long)((hs_daemon_now(d) - d->started_ns) / HS_NS_PER_S));
	pthread_mutex_lock(&m->lock);
	memcpy(m->text, buf, off < TEXT_MAX ? off : TEXT_MAX);
	m->len = off < TEXT_MAX ? off : TEXT_MAX;
	pthread_mutex_unlock(&m->lock);
}

void hs_metrics_stop(struct hs_daemon *d)
{
	struct hs_metrics *m = d->metrics;
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m);
	d->metrics = NULL;
}

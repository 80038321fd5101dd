/*
 * JSON-RPC 2.0 over HTTP on loopback TCP, in bitcoind's conventions (docs/RPC.md): POST a
 * request (or a batch) to /, authenticated with HTTP Basic as the cookie's user
 * (__cookie__:SECRET from DATADIR/.cookie) or an rpcauth= user.
 *
 * Threads: libmicrohttpd parses HTTP on its own thread, one per bound address
 * (MHD_USE_INTERNAL_POLLING_THREAD). That thread checks the credentials and collects the body;
 * a complete request is queued under a mutex, its connection suspended, and the loop woken
 * with a uv_async. The loop thread runs the method table (hs_rpc_call, as for the Unix socket),
 * writes the reply into the request and resumes the connection; MHD's thread sends it. The
 * core is touched by the loop thread only.
 *
 * Attacker model: anyone who can reach the port may send any bytes at any rate. Before
 * authentication a client costs one connection slot (HS_RPC_HTTP_CONNECTIONS_MAX, per address
 * HS_RPC_HTTP_PER_IP_MAX) and MHD's per-connection memory (HS_RPC_HTTP_CONN_MEMORY) for at most
 * rpcservertimeout seconds; a body is kept only up to HS_RPC_HTTP_BODY_MAX (over it: 413 with
 * a JSON-RPC error, the rest read and dropped). Credentials are compared in constant time. A
 * non-loopback address is bound only with rpcallowip= (config.c), and only loopback and those
 * subnets may connect.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"
#include "node/rpcauth.h"

#define COOKIE_USER "__cookie__"

struct hreq {
	struct hreq *next;
	struct MHD_Connection *conn;
	char *body;
	size_t len, cap;
	bool authed, too_large, queued, done;
	unsigned status;
	char *reply; /* malloc'd; handed to MHD with the response */
	size_t replylen;
};

struct hs_httprpc {
	struct hs_daemon *d;
	struct MHD_Daemon *mhd[HS_RPCBIND_MAX];
	size_t nmhd;
	uv_async_t async;
	pthread_mutex_t mu;
	struct hreq *head, *tail; /* complete requests for the loop */
	bool closing;             /* under mu: new requests get 503 */
	atomic_uint open;         /* connections now, over every bound address */
	struct hs_ipcount per_ip; /* open connections per address (ipcount.c) */
	atomic_ullong refused;    /* connections refused over the limits */
	atomic_ullong forbidden;  /* connections from addresses not allowed */
	atomic_ullong unauthorized, too_large, requests;
};

/* ---- addresses ---------------------------------------------------------------------------- */

bool hs_sockaddr_netaddr(struct hs_netaddr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)sa;
		a->family = HS_AF_INET;
		memcpy(a->ip, &s->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)sa;
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
		if (memcmp(&s->sin6_addr, mapped, 12) == 0) {
			a->family = HS_AF_INET;
			memcpy(a->ip, (const uint8_t *)&s->sin6_addr + 12, 4);
		} else {
			a->family = HS_AF_INET6;
			memcpy(a->ip, &s->sin6_addr, 16);
		}
		return true;
	}
	return false;
}

static bool in_subnet(const struct hs_netaddr *a, const struct hs_netaddr *net, unsigned bits)
{
	if (a->family != net->family)
		return false;
	for (unsigned i = 0; i < bits / 8; i++)
		if (a->ip[i] != net->ip[i])
			return false;
	if (bits % 8 == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
	return (a->ip[bits / 8] & mask) == (net->ip[bits / 8] & mask);
}

/* MHD's accept policy: loopback and rpcallowip subnets, while a slot is free overall and for
 * the address. Every refusal is counted (getrpcinfo). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct hs_httprpc *h = cls;
	(void)addrlen;
	struct hs_netaddr a;
	bool known = hs_sockaddr_netaddr(&a, addr);
	bool allowed = known && hs_netaddr_is_loopback(&a);
	for (size_t i = 0; known && !allowed && i < h->d->cfg.nrpcallowip; i++)
		allowed = in_subnet(&a, &h->d->cfg.rpcallowip[i], h->d->cfg.rpcallowip_bits[i]);
	unsigned from_ip = allowed ? hs_ipcount_add(&h->per_ip, &a, 0) : 0;
	if (!allowed) {
		atomic_fetch_add(&h->forbidden, 1);
		return MHD_NO;
	}
	if (atomic_load(&h->open) >= HS_RPC_HTTP_CONNECTIONS_MAX ||
	    from_ip >= HS_RPC_HTTP_PER_IP_MAX) {
		atomic_fetch_add(&h->refused, 1);
		return MHD_NO;
	}
	return MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct hs_httprpc *h = cls;
	(void)socket_context;
	const union MHD_ConnectionInfo *info =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct hs_netaddr a;
	bool known = info && info->client_addr && hs_sockaddr_netaddr(&a, info->client_addr);
	bool up = code == MHD_CONNECTION_NOTIFY_STARTED;
	if (up)
		atomic_fetch_add(&h->open, 1);
	else
		atomic_fetch_sub(&h->open, 1);
	if (known) {
		hs_ipcount_add(&h->per_ip, &a, up ? 1 : -1);
	}
}

/* ---- MHD's thread --------------------------------------------------------------------------- */

static bool credentials_ok(struct hs_httprpc *h, struct MHD_Connection *conn)
{
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(conn, &pass);
	bool ok = false;
	if (user && pass) {
		const char *cookie = h->d->cookie; /* "__cookie__:SECRET", fixed after start */
		size_t ulen = strlen(user), plen = strlen(pass), clen = strlen(cookie);
		size_t cu = sizeof(COOKIE_USER) - 1;
		if (ulen == cu && plen == clen - cu - 1)
			ok = sodium_memcmp(user, cookie, cu) == 0 &&
			     sodium_memcmp(pass, cookie + cu + 1, plen) == 0;
		for (size_t i = 0; !ok && i < h->d->cfg.nrpcauth; i++)
			ok = hs_rpcauth_verify(h->d->cfg.rpcauth[i], user, pass);
		const char *ru = h->d->cfg.rpcuser, *rp = h->d->cfg.rpcpassword;
		if (!ok && ru[0] && strlen(user) == strlen(ru) && strlen(pass) == strlen(rp))
			ok = (sodium_memcmp(user, ru, strlen(ru)) == 0) &
			     (sodium_memcmp(pass, rp, strlen(rp)) == 0);
	}
	if (pass) {
		sodium_memzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

/* A reply MHD sends as it is (text is copied). */
static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc;
	if (status == MHD_HTTP_UNAUTHORIZED)
		rc = MHD_queue_basic_auth_fail_response(conn, "jsonrpc", r);
	else
		rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static const char E_TOO_LARGE[] =
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"request "
        "body over the limit (HS_RPC_HTTP_BODY_MAX, 1048576 bytes)\"}}\n";
static const char E_UNAUTHORIZED[] =
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,\"message\":\"unauthorized: "
        "use HTTP Basic with the cookie (DATADIR/.cookie) or an rpcauth user\"}}\n";
static const char E_METHOD[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
                               "\"message\":\"JSON-RPC requests are POSTed\"}}\n";
static const char E_STOPPING[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-28,"
                                 "\"message\":\"hearsayd is stopping\"}}\n";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct hs_httprpc *h = cls;
	struct hreq *r = *con_cls;
	(void)url;
	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->conn = conn;
		r->authed = credentials_ok(h, conn);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* Only an authenticated body is kept; any other is read and dropped. */
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (!r->authed || r->too_large)
			return MHD_YES;
		if (r->len + n > HS_RPC_HTTP_BODY_MAX) {
			r->too_large = true;
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
			return MHD_YES;
		}
		if (r->len + n > r->cap) {
			size_t ncap = r->cap ? r->cap : 4096;
			while (ncap < r->len + n)
				ncap *= 2;
			if (ncap > HS_RPC_HTTP_BODY_MAX)
				ncap = HS_RPC_HTTP_BODY_MAX;
			char *nb = realloc(r->body, ncap);
			if (!nb)
				return MHD_NO;
			r->body = nb;
			r->cap = ncap;
		}
		memcpy(r->body + r->len, upload_data, n);
		r->len += n;
		return MHD_YES;
	}
	if (r->done) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(r->replylen, r->reply,
		                                                            MHD_RESPMEM_MUST_FREE);
		if (!resp)
			return MHD_NO;
		r->reply = NULL;
		if (r->replylen)
			MHD_add_response_header(resp, "Content-Type", "application/json");
		enum MHD_Result rc = MHD_queue_response(conn, r->status, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	if (!r->authed) {
		atomic_fetch_add(&h->unauthorized, 1);
		return reply_text(conn, MHD_HTTP_UNAUTHORIZED, E_UNAUTHORIZED);
	}
	if (strcmp(method, "POST") != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, E_METHOD);
	if (r->too_large) {
		atomic_fetch_add(&h->too_large, 1);
		return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, E_TOO_LARGE);
	}
	if (r->queued)
		return MHD_YES; /* resumed without a reply: cannot happen, wait */
	pthread_mutex_lock(&h->mu);
	bool closing = h->closing;
	if (!closing) {
		r->queued = true;
		if (h->tail)
			h->tail->next = r;
		else
			h->head = r;
		h->tail = r;
		MHD_suspend_connection(conn);
	}
	pthread_mutex_unlock(&h->mu);
	if (closing)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, E_STOPPING);
	atomic_fetch_add(&h->requests, 1);
	uv_async_send(&h->async);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct hreq *r = *con_cls;
	if (!r)
		return;
	free(r->body);
	free(r->reply);
	free(r);
	*con_cls = NULL;
}

/* ---- the loop thread ---------------------------------------------------------------------- */

static json_t *error_obj(json_t *id, int code, const char *message)
{
	return json_pack("{s:s, s:O?, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id, "error", "code",
	                 code, "message", message);
}

/* One request object: its reply, or NULL for a notification (no "id"). */
static json_t *handle_one(struct hs_daemon *d, json_t *req)
{
	if (!json_is_object(req))
		return error_obj(NULL, -32600, "invalid request: expected an object");
	json_t *id = json_object_get(req, "id");
	const char *method = json_string_value(json_object_get(req, "method"));
	json_t *params = json_object_get(req, "params");
	json_t *out;
	if (!method) {
		out = error_obj(id, -32600, "invalid request: no method");
	} else if (params && !json_is_array(params) && !json_is_null(params)) {
		out = error_obj(id, -32602, "invalid params: expected a positional array");
	} else {
		int code = 0;
		const char *message = NULL;
		json_t *empty = json_is_array(params) ? NULL : json_array();
		json_t *result =
		        hs_rpc_call(d, NULL, method, empty ? empty : params, &code, &message);
		json_decref(empty);
		/* As on the socket: what the call stored is written before the reply leaves. */
		hs_daemon_pump(d);
		out = result ? json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id, "result",
		                         result)
		             : error_obj(id, code, message);
	}
	if (!id) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static void process(struct hs_daemon *d, struct hreq *r)
{
	json_error_t jerr;
	json_t *req = json_loadb(r->body ? r->body : "", r->len, 0, &jerr);
	json_t *out = NULL;
	if (!req) {
		out = error_obj(NULL, -32700, "parse error: the body is not JSON");
	} else if (json_is_array(req)) {
		size_t n = json_array_size(req);
		if (n == 0 || n > HS_RPC_BATCH_MAX) {
			out = error_obj(NULL, -32600,
			                n ? "invalid request: a batch of over 1000 requests"
			                  : "invalid request: an empty batch");
		} else {
			out = json_array();
			for (size_t i = 0; i < n; i++) {
				json_t *one = handle_one(d, json_array_get(req, i));
				if (one)
					json_array_append_new(out, one);
			}
			if (json_array_size(out) == 0) {
				json_decref(out);
				out = NULL;
			}
		}
	} else {
		out = handle_one(d, req);
	}
	json_decref(req);
	r->status = MHD_HTTP_OK;
	if (out) {
		char *text = json_dumps(out, JSON_COMPACT);
		json_decref(out);
		size_t n = text ? strlen(text) : 0;
		r->reply = text ? realloc(text, n + 2) : NULL;
		if (!r->reply) {
			free(text);
			r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			r->replylen = 0;
		} else {
			r->reply[n] = '\n';
			r->reply[n + 1] = '\0';
			r->replylen = n + 1;
		}
	} else {
		r->status = MHD_HTTP_NO_CONTENT; /* only notifications */
		r->reply = NULL;
		r->replylen = 0;
	}
	r->done = true;
}

/* Replies to every queued request. */
static void drain(struct hs_httprpc *h, bool closing)
{
	pthread_mutex_lock(&h->mu);
	struct hreq *r = h->head;
	h->head = h->tail = NULL;
	if (closing)
		h->closing = true;
	pthread_mutex_unlock(&h->mu);
	while (r) {
		struct hreq *next = r->next;
		struct MHD_Connection *conn = r->conn;
		process(h->d, r);
		MHD_resume_connection(conn); /* r belongs to MHD's thread from here on */
		r = next;
	}
}

static void on_async(uv_async_t *a)
{
	struct hs_httprpc *h = a->data;
	drain(h, false);
}

/* ---- start and stop ----------------------------------------------------------------------- */

static struct MHD_Daemon *start_one(struct hs_httprpc *h, const struct hs_netaddr *a, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
	if (a->family == HS_AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a->ip, 4);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, a->ip, 16);
		flags |= MHD_USE_IPv6;
	}
	return MHD_start_daemon(
	        flags, port, on_accept, h, on_request, h, MHD_OPTION_SOCK_ADDR,
	        (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
	        (unsigned)HS_RPC_HTTP_CONNECTIONS_MAX + 1, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	        (unsigned)HS_RPC_HTTP_PER_IP_MAX + 1, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	        (size_t)HS_RPC_HTTP_CONN_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
	        (unsigned)h->d->cfg.rpcservertimeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	        h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_END);
}

int hs_httprpc_start(struct hs_daemon *d, char *err, size_t errlen)
{
	if (d->cfg.rpcport == 0)
		return 0;
	struct hs_httprpc *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return HS_ERR_NOMEM;
	}
	h->d = d;
	pthread_mutex_init(&h->mu, NULL);
	hs_ipcount_init(&h->per_ip, HS_RPC_HTTP_CONNECTIONS_MAX + 1);
	uv_async_init(&d->loop, &h->async, on_async);
	h->async.data = h;
	d->http = h;
	char bound[HS_RPCBIND_MAX * (HS_NETADDR_STRLEN + 2)] = "";
	for (size_t i = 0; i < d->cfg.nrpcbind; i++) {
		const struct hs_netaddr *a = &d->cfg.rpcbind[i];
		uint16_t port = a->port ? a->port : d->cfg.rpcport;
		struct hs_netaddr shown = *a;
		shown.port = port;
		char s[HS_NETADDR_STRLEN];
		hs_netaddr_format(&shown, s);
		struct MHD_Daemon *m = start_one(h, a, port);
		if (!m) {
			/* As bitcoind: an address that cannot be bound (no IPv6, say) is a
			 * warning while another one works. */
			hs_log(HS_LOG_WARN,
			       "rpc: cannot serve HTTP on %s (in use, or no such "
			       "address here)",
			       s);
			continue;
		}
		if (!hs_netaddr_is_loopback(a))
			hs_log(HS_LOG_WARN,
			       "rpc: HTTP on the non-loopback address %s (rpcallowip is set): "
			       "credentials cross the network in the clear",
			       s);
		h->mhd[h->nmhd++] = m;
		snprintf(bound + strlen(bound), sizeof(bound) - strlen(bound), "%s%s",
		         bound[0] ? " " : "", s);
	}
	if (h->nmhd == 0) {
		snprintf(err, errlen,
		         "cannot serve JSON-RPC over HTTP on any rpcbind address at port %u (set "
		         "rpcport to a free port, or rpcport=0 for the Unix socket only)",
		         (unsigned)d->cfg.rpcport);
		return HS_ERR_IO;
	}
	hs_log(HS_LOG_INFO, "RPC over HTTP on %s", bound);
	return 0;
}

static void async_closed(uv_handle_t *handle)
{
	struct hs_httprpc *h = handle->data;
	pthread_mutex_destroy(&h->mu);
	hs_ipcount_destroy(&h->per_ip);
	free(h);
}

void hs_httprpc_stop(struct hs_daemon *d)
{
	struct hs_httprpc *h = d->http;
	if (!h)
		return;
	d->http = NULL;
	drain(h, true); /* no request stays suspended; new ones get 503 */
	for (size_t i = 0; i < h->nmhd; i++)
		MHD_stop_daemon(h->mhd[i]);
	if (uv_is_closing((uv_handle_t *)&h->async)) {
		/* teardown's walk closed it already; its callback (NULL) will not free h */
		pthread_mutex_destroy(&h->mu);
		hs_ipcount_destroy(&h->per_ip);
		free(h);
		return;
	}
	uv_close((uv_handle_t *)&h->async, async_closed);
}

json_t *hs_httprpc_json(struct hs_daemon *d)
{
	struct hs_httprpc *h = d->http;
	if (!h)
		return json_null();
	return json_pack("{s:i, s:i, s:I, s:I, s:I, s:I}", "connections",
	                 (int)atomic_load(&h->open), "connections_max", HS_RPC_HTTP_CONNECTIONS_MAX,
	                 "requests", (json_int_t)atomic_load(&h->requests), "refused",
	                 (json_int_t)atomic_load(&h->refused), "unauthorized",
	                 (json_int_t)atomic_load(&h->unauthorized), "too_large",
	                 (json_int_t)atomic_load(&h->too_large));
}

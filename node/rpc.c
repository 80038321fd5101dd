/*
 * The JSON-RPC 2.0 server on the Unix socket (docs/RPC.md); it also starts and stops the
 * HTTP one (httprpc.c), which shares the cookie and the method table.
 *
 * Framing: one JSON object per line, each way. Authentication: the first request on a
 * connection must be {"method":"auth","params":["<cookie>"]}, where the cookie is the line in
 * DATADIR/.cookie (mode 0600, renewed at every start, removed at exit); anything else first gets
 * error -32001 and the connection is closed. The socket itself is mode 0600.
 *
 * A client is untrusted until it authenticates: its line is bounded (HS_RPC_LINE_MAX), and a
 * client that stops reading its notifications is dropped at HS_RPC_BACKLOG_MAX.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_impl.h"

/* ---- writing ---------------------------------------------------------------------------- */

struct wreq {
	uv_write_t req;
	struct rpc_client *c;
	size_t len;
	char data[];
};

static void client_closed(uv_handle_t *h)
{
	struct rpc_client *c = h->data;
	struct hs_daemon *d = c->d;
	hs_validators_client_gone(d, c);
	if (c->prev)
		c->prev->next = c->next;
	else if (d->clients == c)
		d->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->in);
	free(c);
}

static void client_close(struct rpc_client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->pipe, client_closed);
}

static void on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	w->c->backlog -= w->len;
	if (status < 0)
		client_close(w->c);
	free(w);
}

void hs_rpc_send(struct rpc_client *c, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (!text || c->closing) {
		free(text);
		return;
	}
	size_t n = strlen(text);
	if (c->backlog + n + 1 > HS_RPC_BACKLOG_MAX) {
		hs_log(HS_LOG_WARN, "rpc: dropping a client that does not read its replies");
		free(text);
		client_close(c);
		return;
	}
	struct wreq *w = malloc(sizeof(*w) + n + 1);
	if (!w) {
		free(text);
		return;
	}
	memcpy(w->data, text, n);
	w->data[n] = '\n';
	free(text);
	w->c = c;
	w->len = n + 1;
	c->backlog += w->len;
	uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) != 0) {
		c->backlog -= w->len;
		free(w);
		client_close(c);
	}
}

static json_t *error_obj(json_t *id, int code, const char *message)
{
	return json_pack("{s:s, s:O?, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id, "error", "code",
	                 code, "message", message);
}

/* ---- requests ---------------------------------------------------------------------------- */

static void handle_line(struct rpc_client *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, 0, &jerr);
	if (!req || !json_is_object(req)) {
		hs_rpc_send(c, error_obj(NULL, -32700, "parse error: expected one JSON object"));
		json_decref(req);
		return;
	}
	json_t *id = json_object_get(req, "id");
	const char *method = json_string_value(json_object_get(req, "method"));
	json_t *params = json_object_get(req, "params");
	if (!method) {
		hs_rpc_send(c, error_obj(id, -32600, "invalid request: no method"));
	} else if (params && !json_is_array(params)) {
		hs_rpc_send(c,
		            error_obj(id, -32602, "invalid params: expected a positional array"));
	} else if (!c->authed) {
		const char *cookie = json_string_value(json_array_get(params, 0));
		size_t want = strlen(c->d->cookie);
		if (strcmp(method, "auth") == 0 && cookie && strlen(cookie) == want &&
		    sodium_memcmp(cookie, c->d->cookie, want) == 0) {
			c->authed = true;
			hs_rpc_send(c, json_pack("{s:s, s:O?, s:b}", "jsonrpc", "2.0", "id", id,
			                         "result", 1));
		} else {
			hs_rpc_send(c, error_obj(id, -32001,
			                         "unauthorized: send auth with the cookie "
			                         "from DATADIR/.cookie first"));
			client_close(c);
		}
	} else {
		int code = 0;
		const char *message = NULL;
		json_t *empty = params ? NULL : json_array();
		json_t *result =
		        hs_rpc_call(c->d, c, method, params ? params : empty, &code, &message);
		json_decref(empty);
		/* Rationale: what the call asked the store to keep is written before the reply
		 * leaves, so an acknowledged write survives a crash right after it. */
		hs_daemon_pump(c->d);
		if (result)
			hs_rpc_send(c, json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id,
			                         "result", result));
		else
			hs_rpc_send(c, error_obj(id, code, message));
	}
	json_decref(req);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct rpc_client *c = h->data;
	if (c->incap - c->inlen < 4096) {
		size_t ncap = c->incap ? c->incap * 2 : 8192;
		char *n = ncap <= HS_RPC_LINE_MAX + 8192 ? realloc(c->in, ncap) : NULL;
		if (!n) {
			*buf = uv_buf_init(NULL, 0);
			return;
		}
		c->in = n;
		c->incap = ncap;
	}
	(void)suggested;
	*buf = uv_buf_init(c->in + c->inlen, (unsigned)(c->incap - c->inlen));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	struct rpc_client *c = s->data;
	if (nread < 0 || (nread == 0 && !buf->base)) {
		client_close(c);
		return;
	}
	c->inlen += (size_t)nread;
	size_t start = 0;
	for (size_t i = 0; i < c->inlen && !c->closing; i++) {
		if (c->in[i] != '\n')
			continue;
		handle_line(c, c->in + start, i - start);
		start = i + 1;
	}
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
	if (c->inlen > HS_RPC_LINE_MAX) {
		hs_rpc_send(c, error_obj(NULL, -32600, "request line too long"));
		client_close(c);
	}
	hs_daemon_pump(c->d);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct hs_daemon *d = server->data;
	if (status < 0)
		return;
	struct rpc_client *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->d = d;
	uv_pipe_init(&d->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = d->clients;
	if (d->clients)
		d->clients->prev = c;
	d->clients = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		client_close(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/* ---- start, stop, notifications --------------------------------------------------------- */

static int write_cookie(struct hs_daemon *d, char *err, size_t errlen)
{
	uint8_t secret[32];
	randombytes_buf(secret, sizeof(secret));
	char hex[65];
	hs_hex(hex, secret, 32);
	snprintf(d->cookie, sizeof(d->cookie), "__cookie__:%s", hex);
	if (d->cfg.rpccookiefile[0])
		snprintf(d->cookie_path, sizeof(d->cookie_path), "%s", d->cfg.rpccookiefile);
	else
		snprintf(d->cookie_path, sizeof(d->cookie_path), "%s/.cookie", d->cfg.datadir);
	unlink(d->cookie_path);
	int fd = open(d->cookie_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, d->cookie, strlen(d->cookie)) != (ssize_t)strlen(d->cookie)) {
		snprintf(err, errlen, "cannot write %s: %s", d->cookie_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return HS_ERR_IO;
	}
	fchmod(fd, 0600);
	close(fd);
	return 0;
}

/* True if a process accepts connections on the socket at path. */
static bool socket_alive(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >= (int)sizeof(sa.sun_path)) {
		close(fd);
		return false;
	}
	bool alive = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return alive;
}

int hs_rpc_start(struct hs_daemon *d, char *err, size_t errlen)
{
	const char *path = d->cfg.rpcsocket;
	if (socket_alive(path)) {
		snprintf(err, errlen, "RPC socket %s is in use by another process", path);
		return HS_ERR_IO;
	}
	unlink(path); /* a file left by a node that was killed */
	int rc = write_cookie(d, err, errlen);
	if (rc)
		return rc;
	uv_pipe_init(&d->loop, &d->rpc, 0);
	d->rpc.data = d;
	rc = uv_pipe_bind(&d->rpc, path);
	if (rc == 0) {
		chmod(path, 0600);
		rc = uv_listen((uv_stream_t *)&d->rpc, 16, on_connection);
	}
	if (rc) {
		snprintf(err, errlen, "cannot listen for RPC on %s: %s", path, uv_strerror(rc));
		uv_close((uv_handle_t *)&d->rpc, NULL);
		unlink(d->cookie_path);
		return HS_ERR_IO;
	}
	d->rpc_on = true;
	hs_log(HS_LOG_INFO, "RPC on %s (cookie in %s)", path, d->cookie_path);
	rc = hs_httprpc_start(d, err, errlen);
	if (rc)
		hs_rpc_stop(d);
	return rc;
}

void hs_rpc_stop(struct hs_daemon *d)
{
	hs_httprpc_stop(d);
	for (struct rpc_client *c = d->clients; c; c = c->next)
		client_close(c);
	if (d->rpc_on) {
		if (!uv_is_closing((uv_handle_t *)&d->rpc))
			uv_close((uv_handle_t *)&d->rpc, NULL);
		unlink(d->cfg.rpcsocket);
		d->rpc_on = false;
	}
	if (d->cookie_path[0])
		unlink(d->cookie_path);
}

void hs_rpc_notify_state(struct hs_daemon *d, const struct hs_event *ev)
{
	json_t *params = NULL;
	for (struct rpc_client *c = d->clients; c; c = c->next) {
		if (!c->subscribed || c->closing || c->topic[0])
			continue;
		if (!params)
			params = hs_entry_json(&ev->entry, ev->id);
		hs_rpc_send(c, json_pack("{s:s, s:s, s:O}", "jsonrpc", "2.0", "method", "state",
		                         "params", params));
	}
	json_decref(params);
}

void hs_rpc_notify_member(struct hs_daemon *d, const struct hs_event *ev)
{
	json_t *params = NULL;
	for (struct rpc_client *c = d->clients; c; c = c->next) {
		if (!c->members || c->closing)
			continue;
		if (!params) {
			params = json_pack("{s:s}", "change", hs_member_change_name(ev->change));
			json_object_update_new(params, hs_member_json(&ev->member, &ev->addr));
		}
		hs_rpc_send(c, json_pack("{s:s, s:s, s:O}", "jsonrpc", "2.0", "method", "member",
		                         "params", params));
	}
	json_decref(params);
}

void hs_rpc_notify_rumor(struct hs_daemon *d, const struct hs_event *ev)
{
	json_t *params = NULL;
	for (struct rpc_client *c = d->clients; c; c = c->next) {
		if (!c->subscribed || c->closing)
			continue;
		if (c->topic[0] && (strlen(c->topic) != ev->rumor.topic_len ||
		                    memcmp(c->topic, ev->rumor.topic, ev->rumor.topic_len) != 0))
			continue;
		if (!params) {
			params = hs_rumor_json(&ev->rumor, ev->id);
			json_object_set_new(params, "cursor", hs_recent_cursor_json(d));
		}
		hs_rpc_send(c, json_pack("{s:s, s:s, s:O}", "jsonrpc", "2.0", "method", "rumor",
		                         "params", params));
	}
	json_decref(params);
}

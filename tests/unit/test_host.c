/*
 * The host API (include/hearsay/hearsay.h) end to end, in one process over loopback TCP: two
 * hosts on threads of their own, a third inside an application's libuv loop. Publish and
 * subscribe, validators (reject, pending then a verdict), state and its watchers, and the
 * contract's errors: a bad key, free while running, free from a callback, calls after stop;
 * the process-wide log sink; and members (hs_host_members, hs_host_watch_members).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "harness.h"
#include "hearsay/hearsay.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Waits up to 15 s for *flag to reach want. */
static bool wait_for(atomic_int *flag, int want)
{
	for (int i = 0; i < 1500; i++) {
		if (atomic_load(flag) >= want)
			return true;
		sleep_ms(10);
	}
	return false;
}

static char root[] = "/tmp/hs-host-XXXXXX";
static int base_port;

static struct hs_host *make_host(const char *name, int port, int connect_port)
{
	struct hs_host *h = hs_host_new();
	CHECK(h != NULL);
	char dir[256], addr[64];
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	CHECK(hs_host_set(h, "datadir", dir) == 0);
	CHECK(hs_host_set(h, "network", "hosttest") == 0);
	CHECK(hs_host_set(h, "loglevel", "warn") == 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	CHECK(hs_host_set(h, "listen", addr) == 0);
	if (connect_port) {
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", connect_port);
		CHECK(hs_host_set(h, "connect", addr) == 0);
	}
	return h;
}

static bool wait_peers(struct hs_host *h, size_t want)
{
	for (int i = 0; i < 1500; i++) {
		size_t n = 0;
		struct hs_host_peer p[4];
		if (hs_host_peers(h, p, 4, &n) == 0 && n >= want)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* ---- B's callbacks (B's loop thread) ---- */

static atomic_int got_t, got_good, got_bad, got_pending, watched, free_rc_set;
static int free_rc, echo_rc = 1;
static bool data_intact;
static uint8_t origin_seen[HS_HOST_ID_LEN], pending_id[HS_HOST_ID_LEN];
static struct hs_host *host_b;

static void on_t(void *ctx, const struct hs_message *m)
{
	(void)ctx;
	memcpy(origin_seen, m->origin, HS_HOST_ID_LEN);
	if (!atomic_load(&free_rc_set)) {
		/* Publishing from a callback calls into the node and pumps; the message must
		 * still be readable afterwards (ASan catches a freed event). */
		echo_rc = hs_host_publish(host_b, "echo", m->data, m->len, NULL);
		data_intact = m->len == 5 && memcmp(m->data, "hello", 5) == 0;
		free_rc = hs_host_free(host_b); /* from a callback: refused */
		atomic_store(&free_rc_set, 1);
	}
	atomic_fetch_add(&got_t, 1);
}

static void on_v(void *ctx, const struct hs_message *m)
{
	(void)ctx;
	if (m->len == 4 && memcmp(m->data, "good", 4) == 0)
		atomic_fetch_add(&got_good, 1);
	else
		atomic_fetch_add(&got_bad, 1);
}

static enum hs_host_verdict validate_v(void *ctx, const struct hs_message *m)
{
	(void)ctx;
	return m->len == 4 && memcmp(m->data, "good", 4) == 0 ? HS_VERDICT_ACCEPT
	                                                      : HS_VERDICT_REJECT_ORIGIN;
}

static atomic_int held;
static enum hs_host_verdict validate_p(void *ctx, const struct hs_message *m)
{
	(void)ctx;
	memcpy(pending_id, m->id, HS_HOST_ID_LEN);
	atomic_store(&held, 1);
	return HS_VERDICT_PENDING;
}

static void on_p(void *ctx, const struct hs_message *m)
{
	(void)ctx;
	(void)m;
	atomic_fetch_add(&got_pending, 1);
}

static uint8_t watched_origin[HS_HOST_ID_LEN];
static char watched_value[16];
static void on_state(void *ctx, const struct hs_state *s)
{
	(void)ctx;
	if (strcmp(s->key, "height") != 0 || s->deleted || s->len >= sizeof(watched_value))
		return;
	memcpy(watched_origin, s->origin, HS_HOST_ID_LEN);
	memcpy(watched_value, s->value, s->len);
	watched_value[s->len] = '\0';
	atomic_fetch_add(&watched, 1);
}

/* ---- C inside an application's loop ---- */

static atomic_int got_c;
static struct hs_host *host_c, *host_a;
static uv_timer_t app_timer;

static void on_c(void *ctx, const struct hs_message *m)
{
	(void)ctx;
	(void)m;
	if (atomic_fetch_add(&got_c, 1) == 0) {
		uv_timer_stop(&app_timer);
		uv_close((uv_handle_t *)&app_timer, NULL);
		CHECK(hs_host_stop(host_c) == 0); /* on the loop thread: begins the stop */
	}
}

static void on_app_timer(uv_timer_t *t)
{
	(void)t;
	/* This thread is C's loop thread and a foreign thread for A: the call is handed over. */
	CHECK(hs_host_publish(host_a, "c", "to c", 4, NULL) == 0);
}

static void test_bad_config(void)
{
	struct hs_host *h = hs_host_new();
	CHECK(h != NULL);
	CHECK(hs_host_set(h, "listne", "127.0.0.1:1") == 0); /* checked at start */
	CHECK(hs_host_start(h) != 0);
	CHECK(strstr(hs_host_error(h), "listne") != NULL);
	CHECK(strstr(hs_host_error(h), "listen") != NULL); /* the suggestion */
	CHECK(hs_host_exit_status(h) == 64 || hs_host_exit_status(h) == 78);
	CHECK(!hs_host_running(h));
	CHECK(hs_host_publish(h, "t", "x", 1, NULL) == HS_ERR_STOPPED);
	CHECK(hs_host_free(h) == 0);

	h = hs_host_new();
	CHECK(hs_host_set(h, "-datadir", "/tmp") == HS_ERR_INVALID); /* a key, not a flag */
	char prog[] = "prog", help[] = "--help";
	char *argv[] = { prog, help };
	CHECK(hs_host_args(h, 2, argv) == HS_HOST_ARGS_HELP);
	CHECK(strstr(hs_host_help(), "datadir") != NULL);
	CHECK(hs_host_free(h) == 0);
}

/* ---- the log sink (the logging host's thread) ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int log_listening, log_lines;
static bool log_clean = true;

static void on_log(void *ctx, int level, const char *line)
{
	pthread_mutex_lock(&log_mu);
	log_clean &= ctx == &log_mu && level >= 0 && level <= 3 && strchr(line, '\n') == NULL &&
	             !(strlen(line) > 10 && line[4] == '-' && line[10] == 'T'); /* no timestamp */
	pthread_mutex_unlock(&log_mu);
	atomic_fetch_add(&log_lines, 1);
	if (strstr(line, "listening on"))
		atomic_store(&log_listening, 1);
}

/* An embedder's sink receives the host's lines instead of stderr, and NULL restores stderr. */
static void test_log_sink(void)
{
	hs_set_log(on_log, &log_mu);
	struct hs_host *h = make_host("log", base_port + 3, 0);
	CHECK(hs_host_set(h, "loglevel", "info") == 0);
	CHECK(hs_host_start(h) == 0);
	CHECK(wait_for(&log_listening, 1));
	CHECK(hs_host_stop(h) == 0);
	CHECK(hs_host_free(h) == 0);
	hs_set_log(NULL, NULL);
	int n = atomic_load(&log_lines);
	CHECK(n >= 2);
	pthread_mutex_lock(&log_mu);
	CHECK(log_clean);
	pthread_mutex_unlock(&log_mu);
}

/* ---- members (B's loop thread) ---- */

static pthread_mutex_t member_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t member_watch_id[HS_HOST_ID_LEN]; /* the member whose events are counted */
static atomic_int member_joined, member_departed, member_events;
static bool member_event_ok = true;

static void on_member(void *ctx, enum hs_host_member_change change, const struct hs_host_member *m)
{
	(void)ctx;
	atomic_fetch_add(&member_events, 1);
	pthread_mutex_lock(&member_mu);
	bool watched_one = memcmp(m->id, member_watch_id, HS_HOST_ID_LEN) == 0;
	if (watched_one && change == HS_HOST_MEMBER_JOINED) {
		member_event_ok &= m->status == HS_HOST_MEMBER_ALIVE && m->interval_ms == 1000;
		atomic_fetch_add(&member_joined, 1);
	}
	if (watched_one && change == HS_HOST_MEMBER_DEPARTED) {
		member_event_ok &= m->status == HS_HOST_MEMBER_LEFT;
		atomic_fetch_add(&member_departed, 1);
	}
	pthread_mutex_unlock(&member_mu);
}

/* Whether h lists id with status (and every field a member should have). */
static bool lists_member(struct hs_host *h, const uint8_t id[HS_HOST_ID_LEN], int status)
{
	struct hs_host_member m[8];
	size_t n = 0;
	if (hs_host_members(h, m, 8, &n) != 0)
		return false;
	uint64_t now_ms = (uint64_t)time(NULL) * 1000;
	for (size_t i = 0; i < n && i < 8; i++) {
		if (i > 0 && memcmp(m[i - 1].id, m[i].id, HS_HOST_ID_LEN) >= 0)
			return false; /* sorted by id */
		if (memcmp(m[i].id, id, HS_HOST_ID_LEN) != 0)
			continue;
		return m[i].status == status && m[i].interval_ms == 1000 &&
		       strncmp(m[i].addr, "127.0.0.1:", 10) == 0 && m[i].generation > 0 &&
		       m[i].first_seen_ms <= m[i].last_seen_ms &&
		       m[i].first_seen_ms + 60000 > now_ms && m[i].last_seen_ms < now_ms + 60000 &&
		       m[i].status_since_ms >= m[i].first_seen_ms;
	}
	return false;
}

static bool wait_member(struct hs_host *h, const uint8_t id[HS_HOST_ID_LEN], int status)
{
	for (int i = 0; i < 1500; i++) {
		if (lists_member(h, id, status))
			return true;
		sleep_ms(10);
	}
	return false;
}

/* Two hosts with a 1 s heartbeat: each lists both alive, the watcher hears the join; A's stop
 * signs its leave, so B lists it left and hears the departure. */
static void test_members(void)
{
	struct hs_host *a = make_host("ma", base_port + 4, 0);
	struct hs_host *b = make_host("mb", base_port + 5, base_port + 4);
	CHECK(hs_host_set(a, "heartbeat_interval_s", "1") == 0);
	CHECK(hs_host_set(b, "heartbeat_interval_s", "1") == 0);
	CHECK(hs_host_watch_members(b, on_member, NULL) == 0);
	CHECK(hs_host_watch_members(b, NULL, NULL) == HS_ERR_INVALID);
	size_t n = 7;
	CHECK(hs_host_members(a, NULL, 0, &n) == HS_ERR_STATE); /* not started */
	uint8_t id_a[HS_HOST_ID_LEN], id_b[HS_HOST_ID_LEN];
	CHECK(hs_host_start(a) == 0);
	CHECK(hs_host_id(a, id_a) == 0);
	pthread_mutex_lock(&member_mu);
	memcpy(member_watch_id, id_a, HS_HOST_ID_LEN);
	pthread_mutex_unlock(&member_mu);
	CHECK(hs_host_start(b) == 0);
	CHECK(hs_host_id(b, id_b) == 0);
	CHECK(wait_member(b, id_a, HS_HOST_MEMBER_ALIVE));
	CHECK(wait_member(b, id_b, HS_HOST_MEMBER_ALIVE)); /* ourselves */
	CHECK(wait_member(a, id_b, HS_HOST_MEMBER_ALIVE));
	CHECK(hs_host_members(b, NULL, 0, &n) == 0 && n == 2);
	struct hs_host_member one;
	CHECK(hs_host_members(b, &one, 1, &n) == 0 && n == 2);
	CHECK(hs_host_members(b, NULL, 1, &n) == HS_ERR_INVALID);
	CHECK(wait_for(&member_joined, 1));

	CHECK(hs_host_stop(a) == 0); /* the leave goes first */
	CHECK(wait_member(b, id_a, HS_HOST_MEMBER_LEFT));
	CHECK(wait_for(&member_departed, 1));
	CHECK(hs_host_members(a, NULL, 0, &n) == HS_ERR_STOPPED);
	CHECK(hs_host_stop(b) == 0);
	pthread_mutex_lock(&member_mu);
	CHECK(member_event_ok);
	pthread_mutex_unlock(&member_mu);
	CHECK(atomic_load(&member_joined) == 1 && atomic_load(&member_departed) == 1);
	CHECK(hs_host_free(a) == 0);
	CHECK(hs_host_free(b) == 0);
}

static void test_hosts(void)
{
	host_a = make_host("a", base_port, 0);
	host_b = make_host("b", base_port + 1, base_port);
	CHECK(hs_host_subscribe(host_b, "t", on_t, NULL) == 0);
	CHECK(hs_host_subscribe(host_b, "v", on_v, NULL) == 0);
	CHECK(hs_host_subscribe(host_b, "p", on_p, NULL) == 0);
	CHECK(hs_host_set_validator(host_b, "v", validate_v, NULL) == 0);
	CHECK(hs_host_set_validator(host_b, "v", validate_v, NULL) == HS_ERR_EXISTS);
	CHECK(hs_host_set_validator(host_b, "p", validate_p, NULL) == 0);
	CHECK(hs_host_watch_state(host_b, on_state, NULL) == 0);
	uint8_t id_a[HS_HOST_ID_LEN];
	CHECK(hs_host_id(host_a, id_a) == HS_ERR_STATE); /* not started: no key yet */
	CHECK(hs_host_start(host_a) == 0);
	CHECK(hs_host_start(host_a) == HS_ERR_STATE);
	CHECK(hs_host_start(host_b) == 0);
	CHECK(hs_host_running(host_a) && hs_host_running(host_b));
	CHECK(hs_host_set(host_a, "loglevel", "debug") == HS_ERR_STATE);
	CHECK(hs_host_id(host_a, id_a) == 0);
	CHECK(wait_peers(host_a, 1) && wait_peers(host_b, 1));

	/* Publish on A, delivered on B with A as the origin. */
	uint8_t rid[HS_HOST_ID_LEN];
	CHECK(hs_host_publish(host_a, "t", "hello", 5, rid) == 0);
	CHECK(wait_for(&got_t, 1));
	CHECK(memcmp(origin_seen, id_a, HS_HOST_ID_LEN) == 0);
	CHECK(wait_for(&free_rc_set, 1) && free_rc == HS_ERR_THREAD);
	CHECK(echo_rc == 0 && data_intact);          /* a publish from inside a callback */
	CHECK(hs_host_free(host_a) == HS_ERR_STATE); /* running */
	CHECK(hs_host_publish(host_a, "bad topic", "x", 1, NULL) == HS_ERR_INVALID);

	/* A validator: the bad one never reaches B's subscriber, the good one does. */
	CHECK(hs_host_publish(host_a, "v", "evil", 4, NULL) == 0);
	CHECK(hs_host_publish(host_a, "v", "good", 4, NULL) == 0);
	CHECK(wait_for(&got_good, 1));
	sleep_ms(300);
	CHECK(atomic_load(&got_bad) == 0);

	/* Pending: held until the verdict, which delivers it; a second verdict finds nothing. */
	CHECK(hs_host_publish(host_a, "p", "later", 5, NULL) == 0);
	CHECK(wait_for(&held, 1));
	sleep_ms(100);
	CHECK(atomic_load(&got_pending) == 0);
	CHECK(hs_host_verdict(host_b, pending_id, HS_VERDICT_PENDING) == HS_ERR_INVALID);
	CHECK(hs_host_verdict(host_b, pending_id, HS_VERDICT_ACCEPT) == 0);
	CHECK(wait_for(&got_pending, 1));
	CHECK(hs_host_verdict(host_b, pending_id, HS_VERDICT_ACCEPT) == HS_ERR_NOT_FOUND);

	/* State: set on A, watched and read on B; read back on A as its own. */
	CHECK(hs_host_set_state(host_a, "height", "42", 2) == 0);
	CHECK(wait_for(&watched, 1));
	CHECK(memcmp(watched_origin, id_a, HS_HOST_ID_LEN) == 0 &&
	      strcmp(watched_value, "42") == 0);
	char buf[16];
	size_t len = 0;
	CHECK(hs_host_get_state(host_b, id_a, "height", buf, sizeof(buf), &len) == 0 && len == 2 &&
	      memcmp(buf, "42", 2) == 0);
	CHECK(hs_host_get_state(host_a, NULL, "height", buf, 1, &len) == HS_ERR_BUFFER && len == 2);
	CHECK(hs_host_get_state(host_a, NULL, "nope", buf, sizeof(buf), &len) == HS_ERR_NOT_FOUND);

	/* C inside an application's loop, connected to A; A's rumors reach it. */
	uv_loop_t app;
	CHECK(uv_loop_init(&app) == 0);
	host_c = make_host("c", base_port + 2, base_port);
	CHECK(hs_host_subscribe(host_c, "c", on_c, NULL) == 0);
	CHECK(hs_host_start_on(host_c, &app) == 0);
	uv_timer_init(&app, &app_timer);
	uv_timer_start(&app_timer, on_app_timer, 200, 200);
	uv_run(&app, UV_RUN_DEFAULT); /* until C has stopped and closed its handles */
	CHECK(atomic_load(&got_c) >= 1);
	CHECK(!hs_host_running(host_c));
	CHECK(uv_loop_close(&app) == 0);
	CHECK(hs_host_free(host_c) == 0);

	/* Stop from this (foreign) thread: returns stopped; then every call says so. */
	CHECK(hs_host_stop(host_a) == 0);
	CHECK(!hs_host_running(host_a));
	CHECK(hs_host_publish(host_a, "t", "late", 4, NULL) == HS_ERR_STOPPED);
	CHECK(hs_host_set_state(host_a, "height", "43", 2) == HS_ERR_STOPPED);
	CHECK(hs_host_stop(host_a) == 0);
	CHECK(hs_host_free(host_a) == 0);
	CHECK(hs_host_stop(host_b) == 0);
	CHECK(hs_host_free(host_b) == 0);

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	REQUIRE(mkdtemp(root) != NULL);
	base_port = 20000 + (int)(getpid() % 20000);
	RUN(test_bad_config);
	RUN(test_log_sink);
	RUN(test_members);
	RUN(test_hosts);
	return hs_test_done();
}

/*
 * The host API (include/hearsay/hearsay.h): a node with its driver, owned by a program.
 *
 * The node and every handle live on the host's own libuv loop, run by exactly one thread (the
 * loop thread): a thread of the host's (hs_host_start), the caller's (hs_host_run), or the
 * application's loop thread (hs_host_start_on, which embeds the host's loop in the
 * application's through its backend descriptor and timeout, the way libuv documents it).
 * A call from another thread is queued, the loop is woken (uv_async), and the caller waits on
 * a condition variable until the loop thread has carried it out; a call from the loop thread
 * runs at once. So nothing but the queue and the run state is shared between threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"
#include "hearsay/hearsay.h"

enum run_state { HOST_NEW, HOST_STARTING, HOST_RUNNING, HOST_STOPPING, HOST_STOPPED };
enum run_mode { MODE_NONE, MODE_THREAD, MODE_CALLER, MODE_EMBEDDED };

struct call {
	int (*fn)(struct hs_host *h, void *arg);
	void *arg;
	int rc;
	bool done;
	struct call *next;
};

struct sub {
	bool used, any;
	char topic[HS_TOPIC_MAX + 1];
	hs_message_fn fn;
	void *ctx;
};

struct validator {
	bool used;
	char topic[HS_TOPIC_MAX + 1];
	hs_validate_fn fn;
	void *ctx;
};

struct watcher {
	bool used;
	hs_state_fn fn;
	void *ctx;
};

struct member_watcher {
	bool used;
	hs_member_fn fn;
	void *ctx;
};

struct hs_host {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	enum run_state state; /* under mu */
	enum run_mode mode;
	pthread_t loop_thread, thread;
	bool thread_started;
	struct call *calls, **calls_tail; /* under mu */
	uv_async_t wake;
	unsigned in_callback; /* loop thread only */

	/* Configuration, as flags: defaults (below the file), then hs_host_set, then argv. */
	char *defs[HS_HOST_CONFIG_ENTRIES_MAX];
	size_t ndefs;
	char *args[HS_HOST_CONFIG_ENTRIES_MAX + 1]; /* args[0] is the program name */
	int nargs;

	struct sub subs[HS_HOST_SUBSCRIPTIONS_MAX];
	struct validator validators[HS_HOST_SUBSCRIPTIONS_MAX];
	struct watcher watchers[HS_HOST_SUBSCRIPTIONS_MAX];
	struct member_watcher member_watchers[HS_HOST_SUBSCRIPTIONS_MAX];

	struct hs_daemon *d;
	char error[1024];
	int exit_status;
	int run_rc; /* hs_host_run: why the host stopped */

	/* hs_host_start_on */
	uv_loop_t *app;
	uv_poll_t poll;
	uv_timer_t tick;
	unsigned app_handles_open;
};

/* ---- helpers ------------------------------------------------------------------------------ */

const char *hs_version(void)
{
	return HS_VERSION;
}

int hs_protocol_version(void)
{
	return HS_PROTOCOL_VERSION;
}

const char *hs_host_help(void)
{
	return hs_config_usage();
}

__attribute__((format(printf, 4, 5))) static int set_error(struct hs_host *h, int rc, int status,
                                                           const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->error, sizeof(h->error), fmt, ap);
	va_end(ap);
	h->exit_status = status;
	return rc;
}

static bool on_loop_thread(const struct hs_host *h)
{
	return h->mode != MODE_NONE && pthread_equal(pthread_self(), h->loop_thread);
}

/* Runs fn on the loop thread: at once when called there (or before the start, when there is
 * no loop yet), else queued and waited for. */
static int on_loop(struct hs_host *h, int (*fn)(struct hs_host *, void *), void *arg)
{
	pthread_mutex_lock(&h->mu);
	while (h->state == HOST_STARTING && !on_loop_thread(h))
		pthread_cond_wait(&h->cv, &h->mu);
	enum run_state st = h->state;
	if (st == HOST_NEW || (st != HOST_STOPPED && on_loop_thread(h))) {
		pthread_mutex_unlock(&h->mu);
		return fn(h, arg);
	}
	if (st != HOST_RUNNING) {
		pthread_mutex_unlock(&h->mu);
		return HS_ERR_STOPPED;
	}
	struct call c = { .fn = fn, .arg = arg };
	*h->calls_tail = &c;
	h->calls_tail = &c.next;
	uv_async_send(&h->wake);
	while (!c.done)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	return c.rc;
}

/* Ends every queued call with rc (under mu). */
static void fail_calls(struct hs_host *h, int rc)
{
	for (struct call *c = h->calls; c; c = c->next) {
		c->rc = rc;
		c->done = true;
	}
	h->calls = NULL;
	h->calls_tail = &h->calls;
	pthread_cond_broadcast(&h->cv);
}

static void on_wake(uv_async_t *a)
{
	struct hs_host *h = a->data;
	pthread_mutex_lock(&h->mu);
	struct call *list = h->calls;
	h->calls = NULL;
	h->calls_tail = &h->calls;
	pthread_mutex_unlock(&h->mu);
	while (list) {
		struct call *next = list->next;
		int rc = list->fn(h, list->arg);
		pthread_mutex_lock(&h->mu);
		list->rc = rc;
		list->done = true;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		list = next;
	}
	if (h->d)
		hs_daemon_pump(h->d);
}

static bool topic_ok(const char *topic)
{
	return topic && hs_name_is_valid(topic, strlen(topic), HS_TOPIC_MAX);
}

/* Whether the configuration takes topic (topics= unset: every topic). */
static bool takes_topic(const struct hs_config *c, const char *topic)
{
	if (c->all_topics)
		return true;
	for (size_t i = 0; i < c->ntopics; i++)
		if (strcmp(topic, c->topics[i]) == 0)
			return true;
	return false;
}

/* ---- create and configure ------------------------------------------------------------------ */

struct hs_host *hs_host_new(void)
{
	struct hs_host *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->calls_tail = &h->calls;
	h->args[0] = strdup("hearsay");
	h->nargs = 1;
	/* An embedded host serves no RPC unless asked (hearsayd asks). */
	if (!h->args[0] || hs_host_set_default(h, "server", "0") != 0) {
		free(h->args[0]);
		free(h);
		return NULL;
	}
	return h;
}

static char *key_value(const char *prefix, const char *key, const char *value)
{
	size_t n = strlen(prefix) + strlen(key) + 1 + strlen(value) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s=%s", prefix, key, value);
	return s;
}

static int check_new(struct hs_host *h)
{
	pthread_mutex_lock(&h->mu);
	enum run_state st = h->state;
	pthread_mutex_unlock(&h->mu);
	if (st != HOST_NEW)
		return set_error(h, HS_ERR_STATE, 78, "%s",
		                 "the host has started: configure it before");
	return 0;
}

int hs_host_set_default(struct hs_host *h, const char *key, const char *value)
{
	if (!h || !key || !value)
		return HS_ERR_INVALID;
	int rc = check_new(h);
	if (rc)
		return rc;
	if (h->ndefs == HS_HOST_CONFIG_ENTRIES_MAX)
		return set_error(h, HS_ERR_FULL, 78, "%s", "too many configuration entries");
	char *s = key_value("", key, value);
	if (!s)
		return HS_ERR_NOMEM;
	h->defs[h->ndefs++] = s;
	return 0;
}

static int add_arg(struct hs_host *h, char *s)
{
	if (!s)
		return HS_ERR_NOMEM;
	if (h->nargs == HS_HOST_CONFIG_ENTRIES_MAX) {
		free(s);
		return set_error(h, HS_ERR_FULL, 78, "%s", "too many configuration entries");
	}
	h->args[h->nargs++] = s;
	return 0;
}

int hs_host_set(struct hs_host *h, const char *key, const char *value)
{
	if (!h || !key || !value || !key[0] || key[0] == '-' || strchr(key, '='))
		return HS_ERR_INVALID;
	int rc = check_new(h);
	return rc ? rc : add_arg(h, key_value("-", key, value));
}

/* Loads the configuration the host would start with into cfg. */
static int load_config(struct hs_host *h, struct hs_config *cfg)
{
	char err[1024];
	enum hs_config_result r = hs_config_load_with(cfg, h->ndefs, (const char *const *)h->defs,
	                                              h->nargs, h->args, err, sizeof(err));
	if (r == HS_CONFIG_HELP)
		return HS_HOST_ARGS_HELP;
	if (r == HS_CONFIG_VERSION)
		return HS_HOST_ARGS_VERSION;
	if (r != HS_CONFIG_OK)
		return set_error(h, HS_ERR_INVALID, r == HS_CONFIG_USAGE ? 64 : 78, "%s", err);
	return 0;
}

int hs_host_args(struct hs_host *h, int argc, char **argv)
{
	if (!h || argc < 1 || !argv)
		return HS_ERR_INVALID;
	int rc = check_new(h);
	if (rc)
		return rc;
	free(h->args[0]);
	h->args[0] = strdup(argv[0]);
	if (!h->args[0])
		return HS_ERR_NOMEM;
	for (int i = 1; i < argc; i++)
		if ((rc = add_arg(h, strdup(argv[i]))) != 0)
			return rc;
	struct hs_config *cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return HS_ERR_NOMEM;
	rc = load_config(h, cfg);
	free(cfg);
	return rc;
}

/* ---- callbacks --------------------------------------------------------------------------- */

struct sub_arg {
	const char *topic;
	hs_message_fn fn;
	void *ctx;
	bool remove;
};

static int do_subscribe(struct hs_host *h, void *arg)
{
	struct sub_arg *a = arg;
	if (a->remove) {
		bool found = false;
		for (size_t i = 0; i < HS_HOST_SUBSCRIPTIONS_MAX; i++) {
			struct sub *s = &h->subs[i];
			if (s->used && s->fn == a->fn && s->ctx == a->ctx && s->any == !a->topic &&
			    (!a->topic || strcmp(s->topic, a->topic) == 0)) {
				s->used = false;
				found = true;
			}
		}
		return found ? 0 : HS_ERR_NOT_FOUND;
	}
	if (a->topic && h->d && !takes_topic(&h->d->cfg, a->topic))
		return set_error(h, HS_ERR_INVALID, 78,
		                 "the host does not take topic %s: add it to topics=", a->topic);
	for (size_t i = 0; i < HS_HOST_SUBSCRIPTIONS_MAX; i++) {
		struct sub *s = &h->subs[i];
		if (s->used)
			continue;
		s->used = true;
		s->any = !a->topic;
		snprintf(s->topic, sizeof(s->topic), "%s", a->topic ? a->topic : "");
		s->fn = a->fn;
		s->ctx = a->ctx;
		return 0;
	}
	return HS_ERR_FULL;
}

int hs_host_subscribe(struct hs_host *h, const char *topic, hs_message_fn fn, void *ctx)
{
	if (!h || !fn || (topic && !topic_ok(topic)))
		return HS_ERR_INVALID;
	struct sub_arg a = { topic, fn, ctx, false };
	return on_loop(h, do_subscribe, &a);
}

int hs_host_unsubscribe(struct hs_host *h, const char *topic, hs_message_fn fn, void *ctx)
{
	if (!h || !fn || (topic && !topic_ok(topic)))
		return HS_ERR_INVALID;
	struct sub_arg a = { topic, fn, ctx, true };
	return on_loop(h, do_subscribe, &a);
}

struct validator_arg {
	const char *topic;
	hs_validate_fn fn;
	void *ctx;
};

static int do_set_validator(struct hs_host *h, void *arg)
{
	struct validator_arg *a = arg;
	struct validator *free_slot = NULL;
	for (size_t i = 0; i < HS_HOST_SUBSCRIPTIONS_MAX; i++) {
		struct validator *v = &h->validators[i];
		if (!v->used) {
			free_slot = free_slot ? free_slot : v;
			continue;
		}
		if (strcmp(v->topic, a->topic) != 0)
			continue;
		if (a->fn)
			return HS_ERR_EXISTS;
		v->used = false;
		return 0;
	}
	if (!a->fn)
		return HS_ERR_NOT_FOUND;
	if (!free_slot)
		return HS_ERR_FULL;
	free_slot->used = true;
	snprintf(free_slot->topic, sizeof(free_slot->topic), "%s", a->topic);
	free_slot->fn = a->fn;
	free_slot->ctx = a->ctx;
	return 0;
}

int hs_host_set_validator(struct hs_host *h, const char *topic, hs_validate_fn fn, void *ctx)
{
	if (!h || !topic_ok(topic))
		return HS_ERR_INVALID;
	struct validator_arg a = { topic, fn, ctx };
	return on_loop(h, do_set_validator, &a);
}

struct watch_arg {
	hs_state_fn fn;
	hs_member_fn member_fn;
	void *ctx;
};

static int do_watch(struct hs_host *h, void *arg)
{
	struct watch_arg *a = arg;
	for (size_t i = 0; i < HS_HOST_SUBSCRIPTIONS_MAX; i++) {
		if (a->member_fn) {
			struct member_watcher *w = &h->member_watchers[i];
			if (w->used)
				continue;
			*w = (struct member_watcher){ true, a->member_fn, a->ctx };
			return 0;
		}
		struct watcher *w = &h->watchers[i];
		if (w->used)
			continue;
		w->used = true;
		w->fn = a->fn;
		w->ctx = a->ctx;
		return 0;
	}
	return HS_ERR_FULL;
}

int hs_host_watch_state(struct hs_host *h, hs_state_fn fn, void *ctx)
{
	if (!h || !fn)
		return HS_ERR_INVALID;
	struct watch_arg a = { .fn = fn, .ctx = ctx };
	return on_loop(h, do_watch, &a);
}

int hs_host_watch_members(struct hs_host *h, hs_member_fn fn, void *ctx)
{
	if (!h || !fn)
		return HS_ERR_INVALID;
	struct watch_arg a = { .member_fn = fn, .ctx = ctx };
	return on_loop(h, do_watch, &a);
}

/* The public form of a rumor; topic copied to a NUL-terminated buffer. */
static void message_of(struct hs_message *m, char *topic, const struct hs_rumor *rm,
                       const uint8_t id[HS_ID_LEN])
{
	memcpy(topic, rm->topic, rm->topic_len);
	topic[rm->topic_len] = '\0';
	m->topic = topic;
	m->data = rm->payload;
	m->len = rm->payload_len;
	memcpy(m->id, id, HS_ID_LEN);
	memcpy(m->origin, rm->origin, HS_KEY_LEN);
	m->time_ms = rm->time_ms;
}

void hs_host_deliver(struct hs_daemon *d, const struct hs_event *ev)
{
	struct hs_host *h = d->host;
	if (!h)
		return;
	struct hs_message m;
	char topic[HS_TOPIC_MAX + 1];
	message_of(&m, topic, &ev->rumor, ev->id);
	for (size_t i = 0; i < HS_HOST_SUBSCRIPTIONS_MAX; i++) {
		struct sub *s = &h->subs[i];
		if (!s->used || (!s->any && strcmp(s->topic, topic) != 0))
			continue;
		h->in_callback++;
		s->fn(s->ctx, &m);
		h->in_callback--;
	}
}

void hs_host_state_changed(struct hs_daemon *d, const struct hs_event *ev)
{
	struct hs_host *h = d->host;
	if (!h)
		return;
	const struct hs_entry *e = &ev->entry;
	char key[HS_STATE_KEY_MAX + 1];
	size_t n = e->key_len < HS_STATE_KEY_MAX ? e->key_len : HS_STATE_KEY_MAX;
	memcpy(key, e->key, n);
	key[n] = '\0';
	struct hs_state s = { .key = key,
		              .value = e->value,
		              .len = e->value_len,
		              .deleted = e->value == NULL,
		              .generation = e->generation,
		              .version = e->version };
	memcpy(s.origin, e->origin, HS_KEY_LEN);
	for (size_t i = 0; i < HS_HOST_SUBSCRIPTIONS_MAX; i++) {
		struct watcher *w = &h->watchers[i];
		if (!w->used)
			continue;
		h->in_callback++;
		w->fn(w->ctx, &s);
		h->in_callback--;
	}
}

/* The public form of a member; the core's times (hs_daemon_now) are Unix ns. */
static void member_of(struct hs_host_member *out, const struct hs_member *m,
                      const struct hs_netaddr *addr)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, m->id, HS_KEY_LEN);
	if (addr->family) {
		char s[HS_NETADDR_STRLEN];
		hs_netaddr_format(addr, s);
		snprintf(out->addr, sizeof(out->addr), "%s", s);
	}
	out->status = m->status;
	out->generation = m->generation;
	out->heartbeat = m->heartbeat;
	out->interval_ms = m->interval_ns / HS_NS_PER_MS;
	out->first_seen_ms = m->first_seen_ns / HS_NS_PER_MS;
	out->last_seen_ms = m->last_seen_ns / HS_NS_PER_MS;
	out->status_since_ms = m->status_ns / HS_NS_PER_MS;
}

void hs_host_member_changed(struct hs_daemon *d, const struct hs_event *ev)
{
	struct hs_host *h = d->host;
	if (!h)
		return;
	struct hs_host_member m;
	member_of(&m, &ev->member, &ev->addr);
	for (size_t i = 0; i < HS_HOST_SUBSCRIPTIONS_MAX; i++) {
		struct member_watcher *w = &h->member_watchers[i];
		if (!w->used)
			continue;
		h->in_callback++;
		w->fn(w->ctx, (enum hs_host_member_change)ev->change, &m);
		h->in_callback--;
	}
}

enum hs_verdict hs_host_validate(struct hs_daemon *d, const struct hs_rumor *rm,
                                 const uint8_t id[HS_ID_LEN])
{
	struct hs_host *h = d->host;
	if (!h)
		return HS_ACCEPT;
	struct hs_message m;
	char topic[HS_TOPIC_MAX + 1];
	message_of(&m, topic, rm, id);
	for (size_t i = 0; i < HS_HOST_SUBSCRIPTIONS_MAX; i++) {
		struct validator *v = &h->validators[i];
		if (!v->used || strcmp(v->topic, topic) != 0)
			continue;
		h->in_callback++;
		enum hs_host_verdict r = v->fn(v->ctx, &m);
		h->in_callback--;
		switch (r) {
		case HS_VERDICT_ACCEPT:
			return HS_ACCEPT;
		case HS_VERDICT_REJECT:
			return HS_REJECT;
		case HS_VERDICT_IGNORE:
			return HS_IGNORE;
		case HS_VERDICT_PENDING:
			return HS_PENDING;
		case HS_VERDICT_REJECT_ORIGIN:
			return HS_REJECT_ORIGIN;
		}
		hs_log(HS_LOG_WARN, "the validator for %s answered %d, not a verdict: ignored",
		       topic, (int)r);
		return HS_IGNORE;
	}
	return HS_ACCEPT;
}

/* ---- run -------------------------------------------------------------------------------- */

/* On the loop thread once the loop has stopped: everything closes. */
static void finish(struct hs_host *h, int rc)
{
	pthread_mutex_lock(&h->mu);
	h->state = HOST_STOPPING;
	fail_calls(h, HS_ERR_STOPPED);
	pthread_mutex_unlock(&h->mu);
	hs_daemon_teardown(h->d);
	if (h->d->exit_code == 0 && !rc)
		hs_log(HS_LOG_INFO, "stopped");
	h->run_rc = rc;
}

static void set_stopped(struct hs_host *h)
{
	pthread_mutex_lock(&h->mu);
	h->state = HOST_STOPPED;
	fail_calls(h, HS_ERR_STOPPED);
	pthread_mutex_unlock(&h->mu);
}

/* Starts the node on the host's loop (on the loop thread). 0 or an error with h->error. */
static int start_node(struct hs_host *h)
{
	struct hs_daemon *d = calloc(1, sizeof(*d));
	if (!d)
		return set_error(h, HS_ERR_NOMEM, 71, "%s", "out of memory");
	h->d = d;
	d->host = h;
	d->argc = h->nargs;
	d->argv = h->args;
	d->ndefs = h->ndefs;
	d->defs = (const char *const *)h->defs;
	int rc = load_config(h, &d->cfg);
	if (rc > 0) /* --help among hs_host_set values */
		rc = set_error(h, HS_ERR_INVALID, 64, "%s",
		               "--help and --version are not settings");
	for (size_t i = 0; !rc && i < HS_HOST_SUBSCRIPTIONS_MAX; i++)
		if (h->subs[i].used && !h->subs[i].any && !takes_topic(&d->cfg, h->subs[i].topic))
			rc = set_error(
			        h, HS_ERR_INVALID, 78,
			        "subscribed to topic %s, which the host does not take: add it to "
			        "topics=",
			        h->subs[i].topic);
	uv_loop_init(&d->loop);
	uv_async_init(&d->loop, &h->wake, on_wake);
	h->wake.data = h;
	if (!rc) {
		int status = hs_daemon_start(d);
		if (status)
			rc = set_error(h, HS_ERR_IO, status, "%s",
			               d->error[0] ? d->error : "the node did not start");
	}
	if (rc) {
		hs_daemon_teardown(d);
		return rc;
	}
	return 0;
}

static void announce(struct hs_host *h, enum run_state st)
{
	pthread_mutex_lock(&h->mu);
	h->state = st;
	if (st != HOST_RUNNING)
		fail_calls(h, HS_ERR_STOPPED);
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

static int begin(struct hs_host *h, enum run_mode mode)
{
	if (!h)
		return HS_ERR_INVALID;
	pthread_mutex_lock(&h->mu);
	if (h->state != HOST_NEW) {
		pthread_mutex_unlock(&h->mu);
		return set_error(h, HS_ERR_STATE, 70, "%s", "the host was started before");
	}
	h->state = HOST_STARTING;
	h->mode = mode;
	h->loop_thread = pthread_self();
	pthread_mutex_unlock(&h->mu);
	h->error[0] = '\0';
	h->exit_status = 0;
	return 0;
}

int hs_host_run(struct hs_host *h)
{
	int rc = begin(h, MODE_CALLER);
	if (rc)
		return rc;
	rc = start_node(h);
	if (rc) {
		announce(h, HOST_STOPPED);
		return rc;
	}
	announce(h, HOST_RUNNING);
	uv_run(&h->d->loop, UV_RUN_DEFAULT);
	finish(h, 0);
	set_stopped(h);
	return h->d->exit_code ? HS_ERR_IO : 0;
}

static void *thread_main(void *arg)
{
	struct hs_host *h = arg;
	pthread_mutex_lock(&h->mu);
	h->loop_thread = pthread_self();
	pthread_mutex_unlock(&h->mu);
	int rc = start_node(h);
	if (rc) {
		announce(h, HOST_STOPPED);
		return NULL;
	}
	announce(h, HOST_RUNNING);
	uv_run(&h->d->loop, UV_RUN_DEFAULT);
	finish(h, 0);
	set_stopped(h);
	return NULL;
}

int hs_host_start(struct hs_host *h)
{
	int rc = begin(h, MODE_THREAD);
	if (rc)
		return rc;
	pthread_mutex_lock(&h->mu);
	rc = pthread_create(&h->thread, NULL, thread_main, h);
	if (rc) {
		h->state = HOST_NEW;
		h->mode = MODE_NONE;
		pthread_mutex_unlock(&h->mu);
		return set_error(h, HS_ERR_IO, 71, "cannot start the host's thread: %s",
		                 strerror(rc));
	}
	h->thread_started = true;
	while (h->state == HOST_STARTING)
		pthread_cond_wait(&h->cv, &h->mu);
	bool up = h->state == HOST_RUNNING;
	pthread_mutex_unlock(&h->mu);
	if (!up) {
		pthread_join(h->thread, NULL);
		h->thread_started = false;
		return h->error[0] ? HS_ERR_IO : HS_ERR_STOPPED;
	}
	return 0;
}

/* hs_host_start_on: the host's loop runs in steps from the application's loop. */
static void app_closed(uv_handle_t *handle)
{
	struct hs_host *h = handle->data;
	if (--h->app_handles_open == 0)
		set_stopped(h);
}

static void on_tick(uv_timer_t *t);

static void step(struct hs_host *h)
{
	struct hs_daemon *d = h->d;
	if (h->state != HOST_RUNNING)
		return;
	uv_run(&d->loop, UV_RUN_NOWAIT);
	if (d->finished) {
		uv_poll_stop(&h->poll);
		uv_timer_stop(&h->tick);
		finish(h, 0);
		uv_close((uv_handle_t *)&h->poll, app_closed);
		uv_close((uv_handle_t *)&h->tick, app_closed);
		return;
	}
	int t = uv_backend_timeout(&d->loop);
	if (t >= 0)
		uv_timer_start(&h->tick, on_tick, (uint64_t)t, 0);
	else
		uv_timer_stop(&h->tick);
}

static void on_tick(uv_timer_t *t)
{
	step(t->data);
}

static void on_backend(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	step(p->data);
}

int hs_host_start_on(struct hs_host *h, struct uv_loop_s *loop)
{
	if (!loop)
		return HS_ERR_INVALID;
	int rc = begin(h, MODE_EMBEDDED);
	if (rc)
		return rc;
	rc = start_node(h);
	if (rc) {
		announce(h, HOST_STOPPED);
		return rc;
	}
	h->app = loop;
	uv_poll_init(loop, &h->poll, uv_backend_fd(&h->d->loop));
	uv_timer_init(loop, &h->tick);
	h->poll.data = h->tick.data = h;
	h->app_handles_open = 2;
	uv_poll_start(&h->poll, UV_READABLE, on_backend);
	announce(h, HOST_RUNNING);
	uv_timer_start(&h->tick, on_tick, 0, 0);
	return 0;
}

static int do_stop(struct hs_host *h, void *arg)
{
	(void)arg;
	hs_daemon_stop(h->d, "the program asked");
	return 0;
}

int hs_host_stop(struct hs_host *h)
{
	if (!h)
		return HS_ERR_INVALID;
	pthread_mutex_lock(&h->mu);
	enum run_state st = h->state;
	pthread_mutex_unlock(&h->mu);
	if (st == HOST_NEW || st == HOST_STOPPED)
		return 0;
	int rc = on_loop(h, do_stop, NULL);
	if (rc == HS_ERR_STOPPED)
		rc = 0;
	if (on_loop_thread(h) || rc)
		return rc; /* the loop thread cannot wait for itself: the stop has begun */
	pthread_mutex_lock(&h->mu);
	while (h->state != HOST_STOPPED)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	if (h->thread_started) {
		pthread_join(h->thread, NULL);
		h->thread_started = false;
	}
	return 0;
}

bool hs_host_running(const struct hs_host *h)
{
	if (!h)
		return false;
	pthread_mutex_lock((pthread_mutex_t *)&h->mu);
	bool up = h->state == HOST_RUNNING;
	pthread_mutex_unlock((pthread_mutex_t *)&h->mu);
	return up;
}

static int do_reload(struct hs_host *h, void *arg)
{
	(void)arg;
	if (!h->d)
		return HS_ERR_STATE;
	hs_daemon_reload(h->d);
	return 0;
}

int hs_host_reload(struct hs_host *h)
{
	return h ? on_loop(h, do_reload, NULL) : HS_ERR_INVALID;
}

int hs_host_repair(struct hs_host *h)
{
	if (!h)
		return HS_ERR_INVALID;
	int rc = check_new(h);
	if (rc)
		return rc;
	struct hs_daemon *d = calloc(1, sizeof(*d));
	if (!d)
		return HS_ERR_NOMEM;
	rc = load_config(h, &d->cfg);
	if (rc == 0) {
		hs_log_set_level((enum hs_log_level)d->cfg.loglevel);
		int status = hs_daemon_repair(d);
		if (status)
			rc = set_error(h, HS_ERR_IO, status, "%s", d->error);
	}
	free(d);
	return rc;
}

int hs_host_free(struct hs_host *h)
{
	if (!h)
		return 0;
	if (h->in_callback && on_loop_thread(h))
		return set_error(h, HS_ERR_THREAD, 70, "%s", "hs_host_free called from a callback");
	pthread_mutex_lock(&h->mu);
	enum run_state st = h->state;
	pthread_mutex_unlock(&h->mu);
	if (st != HOST_NEW && st != HOST_STOPPED)
		return set_error(h, HS_ERR_STATE, 70, "%s", "the host is running: stop it first");
	if (h->thread_started)
		pthread_join(h->thread, NULL);
	for (size_t i = 0; i < h->ndefs; i++)
		free(h->defs[i]);
	for (int i = 0; i < h->nargs; i++)
		free(h->args[i]);
	free(h->d);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
	return 0;
}

const char *hs_host_error(const struct hs_host *h)
{
	return h ? h->error : "no host";
}

int hs_host_exit_status(const struct hs_host *h)
{
	return h ? h->exit_status : 70;
}

/* ---- act ----------------------------------------------------------------------------------- */

static int need_node(struct hs_host *h)
{
	if (!h->d || !h->d->node)
		return set_error(h, HS_ERR_STATE, 70, "%s", "the host is not running");
	return 0;
}

static int do_id(struct hs_host *h, void *arg)
{
	int rc = need_node(h);
	if (!rc)
		memcpy(arg, hs_identity_pubkey(h->d->id), HS_KEY_LEN);
	return rc;
}

int hs_host_id(struct hs_host *h, uint8_t id[HS_HOST_ID_LEN])
{
	return h && id ? on_loop(h, do_id, id) : HS_ERR_INVALID;
}

struct publish_arg {
	const char *topic;
	const void *data;
	size_t len;
	uint8_t *id;
};

static int do_publish(struct hs_host *h, void *arg)
{
	struct publish_arg *a = arg;
	int rc = need_node(h);
	if (rc)
		return rc;
	uint8_t id[HS_ID_LEN];
	rc = hs_node_publish(h->d->node, id, a->topic, a->data, a->len, hs_daemon_now(h->d));
	if (rc == 0 && a->id)
		memcpy(a->id, id, HS_ID_LEN);
	hs_daemon_pump(h->d);
	return rc;
}

int hs_host_publish(struct hs_host *h, const char *topic, const void *data, size_t len,
                    uint8_t id[HS_HOST_ID_LEN])
{
	if (!h || !topic_ok(topic) || (!data && len))
		return HS_ERR_INVALID;
	struct publish_arg a = { topic, data, len, id };
	return on_loop(h, do_publish, &a);
}

struct verdict_arg {
	const uint8_t *id;
	enum hs_host_verdict verdict;
};

static int do_verdict(struct hs_host *h, void *arg)
{
	struct verdict_arg *a = arg;
	int rc = need_node(h);
	if (rc)
		return rc;
	rc = hs_node_verdict(h->d->node, a->id, (enum hs_verdict)a->verdict, hs_daemon_now(h->d));
	hs_daemon_pump(h->d);
	return rc;
}

int hs_host_verdict(struct hs_host *h, const uint8_t id[HS_HOST_ID_LEN],
                    enum hs_host_verdict verdict)
{
	if (!h || !id || verdict == HS_VERDICT_PENDING ||
	    (verdict != HS_VERDICT_ACCEPT && verdict != HS_VERDICT_REJECT &&
	     verdict != HS_VERDICT_IGNORE && verdict != HS_VERDICT_REJECT_ORIGIN))
		return HS_ERR_INVALID;
	struct verdict_arg a = { id, verdict };
	return on_loop(h, do_verdict, &a);
}

struct state_arg {
	const char *key;
	const void *value;
	size_t len;
	bool del;
	const uint8_t *origin;
	void *buf;
	size_t cap;
	size_t *outlen;
};

static int do_set_state(struct hs_host *h, void *arg)
{
	struct state_arg *a = arg;
	int rc = need_node(h);
	if (rc)
		return rc;
	uint8_t id[HS_ID_LEN];
	uint64_t now = hs_daemon_now(h->d);
	rc = a->del ? hs_node_del_state(h->d->node, a->key, id, now)
	            : hs_node_set_state(h->d->node, a->key, a->value, a->len, id, now);
	hs_daemon_pump(h->d);
	return rc;
}

int hs_host_set_state(struct hs_host *h, const char *key, const void *value, size_t len)
{
	if (!h || !key || (!value && len))
		return HS_ERR_INVALID;
	struct state_arg a = { .key = key, .value = value ? value : "", .len = len };
	return on_loop(h, do_set_state, &a);
}

int hs_host_del_state(struct hs_host *h, const char *key)
{
	if (!h || !key)
		return HS_ERR_INVALID;
	struct state_arg a = { .key = key, .del = true };
	return on_loop(h, do_set_state, &a);
}

static int do_get_state(struct hs_host *h, void *arg)
{
	struct state_arg *a = arg;
	int rc = need_node(h);
	if (rc)
		return rc;
	const uint8_t *origin = a->origin ? a->origin : hs_identity_pubkey(h->d->id);
	struct hs_entry e;
	rc = hs_node_get_state(h->d->node, origin, a->key, &e);
	if (rc)
		return rc;
	if (!e.value)
		return HS_ERR_NOT_FOUND;
	if (a->outlen)
		*a->outlen = e.value_len;
	if (e.value_len > a->cap)
		return HS_ERR_BUFFER;
	memcpy(a->buf, e.value, e.value_len);
	return 0;
}

int hs_host_get_state(struct hs_host *h, const uint8_t origin[HS_HOST_ID_LEN], const char *key,
                      void *buf, size_t cap, size_t *len)
{
	if (!h || !key || (!buf && cap))
		return HS_ERR_INVALID;
	struct state_arg a = {
		.key = key, .origin = origin, .buf = buf, .cap = cap, .outlen = len
	};
	return on_loop(h, do_get_state, &a);
}

struct peers_arg {
	struct hs_host_peer *out;
	size_t max, *n;
};

static int do_peers(struct hs_host *h, void *arg)
{
	struct peers_arg *a = arg;
	int rc = need_node(h);
	if (rc)
		return rc;
	struct hs_peer_info info[HS_PEERS_MAX];
	size_t n = hs_node_peers(h->d->node, info, HS_PEERS_MAX);
	size_t k = 0;
	for (size_t i = 0; i < n && i < HS_PEERS_MAX; i++) {
		if (!info[i].active)
			continue;
		if (k < a->max) {
			struct hs_host_peer *p = &a->out[k];
			memcpy(p->id, info[i].id, HS_KEY_LEN);
			char s[HS_NETADDR_STRLEN];
			hs_netaddr_format(&info[i].addr, s);
			snprintf(p->addr, sizeof(p->addr), "%s", s);
			p->inbound = info[i].inbound;
			p->score = info[i].score;
		}
		k++;
	}
	if (a->n)
		*a->n = k;
	return 0;
}

int hs_host_peers(struct hs_host *h, struct hs_host_peer *out, size_t max, size_t *n)
{
	if (!h || (!out && max))
		return HS_ERR_INVALID;
	struct peers_arg a = { out, max, n };
	return on_loop(h, do_peers, &a);
}

struct members_arg {
	struct hs_host_member *out;
	size_t max, *n;
};

static int do_members(struct hs_host *h, void *arg)
{
	struct members_arg *a = arg;
	int rc = need_node(h);
	if (rc)
		return rc;
	size_t n = 0;
	struct hs_member_info *all = hs_members_sorted(h->d, &n);
	if (!all)
		return HS_ERR_NOMEM;
	for (size_t i = 0; i < n && i < a->max; i++)
		member_of(&a->out[i], &all[i].m, &all[i].addr);
	free(all);
	if (a->n)
		*a->n = n;
	return 0;
}

int hs_host_members(struct hs_host *h, struct hs_host_member *out, size_t max, size_t *n)
{
	if (!h || (!out && max))
		return HS_ERR_INVALID;
	struct members_arg a = { out, max, n };
	return on_loop(h, do_members, &a);
}

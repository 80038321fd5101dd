/*
 * Seed mode in the daemon (seed=1): a status line in the log every minute, and the RPC
 * methods getseedstats and exportseeds (docs/RPC.md). The crawler itself is the core's
 * (overlay/crawl.c, overlay/crawl.h); this file only reads its figures.
 *
 * A one-second timer samples the core's counters into a ring, so "in the last minute" is
 * exact to a second; every 60th sample writes the status line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"
#include "overlay/crawl.h"

#define SAMPLES     61 /* one a second: the last minute and its start */
#define STATUS_TICK 60 /* samples between status lines */
#define TOP_DEFAULT 10
#define TOP_MAX     1000
#define EXPORT_MAX  4096

#define E_NOTSEED (-1)

struct sample {
	uint64_t visits, visits_ok, answers, limited;
};

struct hs_seed {
	uv_timer_t timer;
	struct sample ring[SAMPLES];
	size_t head, filled; /* ring[head] is the newest */
	unsigned ticks;
};

static struct sample take(struct hs_daemon *d, struct hs_crawl_summary *sum)
{
	hs_node_crawl_summary(d->node, sum, hs_daemon_now(d));
	struct sample s = { sum->visits, sum->visits_ok, sum->answers, sum->limited };
	return s;
}

/* The newest sample minus the one a minute (or as much as there is) before it. */
static struct sample last_minute(const struct hs_seed *s)
{
	struct sample z = { 0, 0, 0, 0 };
	if (s->filled == 0)
		return z;
	const struct sample *now = &s->ring[s->head];
	size_t back = s->filled - 1;
	const struct sample *old = &s->ring[(s->head + SAMPLES - back) % SAMPLES];
	struct sample r = { now->visits - old->visits, now->visits_ok - old->visits_ok,
		            now->answers - old->answers, now->limited - old->limited };
	return r;
}

static void on_tick(uv_timer_t *t)
{
	struct hs_daemon *d = t->data;
	struct hs_seed *s = d->seed;
	if (!d->node || d->stopping)
		return;
	struct hs_crawl_summary sum;
	struct sample now = take(d, &sum);
	s->head = (s->head + 1) % SAMPLES;
	s->ring[s->head] = now;
	if (s->filled < SAMPLES)
		s->filled++;
	if (++s->ticks % STATUS_TICK != 0)
		return;
	struct sample m = last_minute(s);
	hs_log(HS_LOG_INFO,
	       "seed: %zu records known, %zu reachable (2 h window; %zu in 1 d), %llu crawled in "
	       "the "
	       "last minute (%llu reached), %llu getaddr answers served, %llu refused by the rate "
	       "limit",
	       sum.known, sum.reachable[HS_CRAWL_2H], sum.reachable[HS_CRAWL_1D],
	       (unsigned long long)m.visits, (unsigned long long)m.visits_ok,
	       (unsigned long long)m.answers, (unsigned long long)m.limited);
}

void hs_seed_start(struct hs_daemon *d)
{
	struct hs_seed *s = calloc(1, sizeof(*s));
	if (!s) {
		hs_log(HS_LOG_WARN, "%s", "seed: out of memory: no status line");
		return;
	}
	d->seed = s;
	struct hs_crawl_summary sum;
	s->ring[0] = take(d, &sum);
	s->filled = 1;
	uv_timer_init(&d->loop, &s->timer);
	s->timer.data = d;
	uv_timer_start(&s->timer, on_tick, 1000, 1000);
	hs_log(HS_LOG_INFO, "seed mode: crawling %zu known records, a visit every %llu ms",
	       sum.known,
	       (unsigned long long)(d->cfg.crawlinterval_ms ? d->cfg.crawlinterval_ms : 2000));
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void hs_seed_stop(struct hs_daemon *d)
{
	struct hs_seed *s = d->seed;
	if (!s)
		return;
	d->seed = NULL;
	s->timer.data = s;
	uv_close((uv_handle_t *)&s->timer, on_closed);
}

/* ---- RPC --------------------------------------------------------------------------------- */

static json_t *fail(int *code, const char **message, int c, const char *m)
{
	*code = c;
	*message = m;
	return NULL;
}

static bool uint_at(json_t *params, size_t i, uint64_t *out)
{
	json_t *v = json_array_get(params, i);
	if (!v)
		return true; /* absent: the default stays */
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	const char *s = json_string_value(v);
	if (!s || !*s || s[0] == '-')
		return false;
	char *end;
	unsigned long long n = strtoull(s, &end, 10);
	if (*end)
		return false;
	*out = n;
	return true;
}

static json_t *addr_json(const struct hs_netaddr *a)
{
	char s[HS_NETADDR_STRLEN];
	hs_netaddr_format(a, s);
	return json_string(s);
}

static json_t *time_json(uint64_t ns)
{
	return ns ? json_integer((json_int_t)(ns / HS_NS_PER_S)) : json_null();
}

static json_t *row_json(const struct hs_crawl_row *r, uint64_t now)
{
	char id[2 * HS_KEY_LEN + 1];
	hs_hex(id, r->rec.id, HS_KEY_LEN);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "addr", addr_json(&r->rec.addrs[0]));
	json_object_set_new(o, "attempts", json_integer(r->stat.attempts));
	json_object_set_new(o, "successes", json_integer(r->stat.successes));
	json_object_set_new(o, "last_try", time_json(r->stat.last_try_ns));
	json_object_set_new(o, "last_success", time_json(r->stat.last_success_ns));
	json_object_set_new(o, "last_ok", json_boolean(r->stat.last_ok));
	json_t *w = json_object();
	for (unsigned i = 0; i < HS_CRAWL_WINDOWS; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "ratio", json_real(hs_crawl_stat_ratio(&r->stat, i)));
		json_object_set_new(x, "weight", json_real(hs_crawl_stat_weight(&r->stat, i, now)));
		json_object_set_new(x, "reachable",
		                    json_boolean(hs_crawl_stat_reachable(&r->stat, i, now)));
		json_object_set_new(w, hs_crawl_window_name(i), x);
	}
	json_object_set_new(o, "windows", w);
	return o;
}

json_t *hs_seed_rpc_stats(struct hs_daemon *d, json_t *params, int *code, const char **message)
{
	if (!d->cfg.seed)
		return fail(code, message, E_NOTSEED, "not a seed: start the node with seed=1");
	uint64_t top = TOP_DEFAULT;
	if (json_array_size(params) > 1 || !uint_at(params, 0, &top) || top > TOP_MAX)
		return fail(code, message, E_PARAMS, "count must be an integer 0..1000");
	uint64_t now = hs_daemon_now(d);
	struct hs_crawl_summary sum;
	hs_node_crawl_summary(d->node, &sum, now);
	struct hs_crawl_row *rows = malloc((top ? top : 1) * sizeof(*rows));
	if (!rows)
		return fail(code, message, E_INTERNAL, "out of memory");
	size_t n = hs_node_crawl_rows(d->node, rows, (size_t)top, 0.0, false, now);
	json_t *o = json_object();
	json_object_set_new(o, "known", json_integer((json_int_t)sum.known));
	json_object_set_new(o, "crawled", json_integer((json_int_t)sum.crawled));
	json_t *r = json_object();
	for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++)
		json_object_set_new(r, hs_crawl_window_name(w),
		                    json_integer((json_int_t)sum.reachable[w]));
	json_object_set_new(o, "reachable", r);
	uint64_t interval = d->cfg.crawlinterval_ms ? d->cfg.crawlinterval_ms : 2000;
	json_object_set_new(o, "crawl_interval_ms", json_integer((json_int_t)interval));
	struct sample m = d->seed ? last_minute(d->seed) : (struct sample){ 0, 0, 0, 0 };
	json_object_set_new(o, "crawled_last_minute", json_integer((json_int_t)m.visits));
	json_object_set_new(o, "visits", json_integer((json_int_t)sum.visits));
	json_object_set_new(o, "visits_ok", json_integer((json_int_t)sum.visits_ok));
	json_object_set_new(o, "inflight", json_integer((json_int_t)sum.inflight));
	json_object_set_new(o, "answers", json_integer((json_int_t)sum.answers));
	json_object_set_new(o, "getaddr_limited", json_integer((json_int_t)sum.limited));
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, row_json(&rows[i], now));
	json_object_set_new(o, "top", a);
	free(rows);
	return o;
}

/* One zone line: "NAME. TTL IN A|AAAA IP", the address without its port. */
static void zone_line(char *out, size_t outlen, const char *name, const struct hs_netaddr *a)
{
	char s[HS_NETADDR_STRLEN];
	hs_netaddr_format(a, s);
	char *colon = strrchr(s, ':');
	if (colon)
		*colon = '\0';
	const char *ip = s;
	size_t n = strlen(s);
	if (s[0] == '[') {
		ip = s + 1;
		n -= 2;
	}
	size_t len = strlen(name);
	snprintf(out, outlen, "%s%s 60 IN %s %.*s\n", name, len && name[len - 1] == '.' ? "" : ".",
	         a->family == HS_AF_INET ? "A" : "AAAA", (int)n, ip);
}

/* exportseeds list [MINPCT]  |  exportseeds zone NAME [PORT] [MINPCT] */
json_t *hs_seed_rpc_export(struct hs_daemon *d, json_t *params, int *code, const char **message)
{
	if (!d->cfg.seed)
		return fail(code, message, E_NOTSEED, "not a seed: start the node with seed=1");
	const char *format = json_string_value(json_array_get(params, 0));
	if (!format)
		format = "list";
	bool zone = strcmp(format, "zone") == 0;
	if (!zone && strcmp(format, "list") != 0)
		return fail(code, message, E_PARAMS, "format must be list or zone");
	const char *name = NULL;
	uint64_t port = 7070, minpct = HS_CRAWL_GOOD_PCT;
	size_t next = 1;
	if (zone) {
		name = json_string_value(json_array_get(params, 1));
		if (!name || !*name || strlen(name) > 253 || strpbrk(name, " \t\r\n;()\"\\"))
			return fail(code, message, E_PARAMS, "zone needs a DNS NAME");
		if (!uint_at(params, 2, &port) || port == 0 || port > 65535)
			return fail(code, message, E_PARAMS, "port must be 1..65535");
		next = 3;
	}
	if (json_array_size(params) > next + 1 || !uint_at(params, next, &minpct) || minpct > 100)
		return fail(code, message, E_PARAMS, "minpct must be an integer 0..100");
	struct hs_crawl_row *rows = malloc(EXPORT_MAX * sizeof(*rows));
	char *text = malloc(EXPORT_MAX * 320 + 1);
	if (!rows || !text) {
		free(rows);
		free(text);
		return fail(code, message, E_INTERNAL, "out of memory");
	}
	uint64_t now = hs_daemon_now(d);
	size_t n = hs_node_crawl_rows(d->node, rows, EXPORT_MAX, (double)minpct / 100.0, true, now);
	size_t off = 0;
	text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct hs_netaddr *a = &rows[i].rec.addrs[0];
		char line[320];
		if (zone) {
			if (a->port != port)
				continue; /* a DNS answer carries no port */
			zone_line(line, sizeof(line), name, a);
		} else {
			char s[HS_NETADDR_STRLEN];
			hs_netaddr_format(a, s);
			snprintf(line, sizeof(line), "%s\n", s);
		}
		size_t l = strlen(line);
		memcpy(text + off, line, l + 1);
		off += l;
	}
	json_t *r = json_stringn(text, off);
	free(rows);
	free(text);
	return r;
}

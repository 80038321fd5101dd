/*
 * Seed mode: the crawler, its reachability statistics and a seed's getaddr answers
 * (overlay/crawl.h). The statistics are pure data with explicit time; the crawler is driven by
 * the connect timer and hears of each visit's end from connect.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "node_impl.h"

/* ---- the statistics ------------------------------------------------------------------------ */

static const uint64_t window_s[HS_CRAWL_WINDOWS] = { 2 * 3600, 8 * 3600, 24 * 3600, 7 * 24 * 3600 };
static const char *const window_name[HS_CRAWL_WINDOWS] = { "2h", "8h", "1d", "1w" };

uint64_t hs_crawl_window_s(unsigned w)
{
	return w < HS_CRAWL_WINDOWS ? window_s[w] : 0;
}

const char *hs_crawl_window_name(unsigned w)
{
	return w < HS_CRAWL_WINDOWS ? window_name[w] : "?";
}

static double decay(uint64_t from_ns, uint64_t to_ns, unsigned w)
{
	if (to_ns <= from_ns)
		return 1.0;
	double age_s = (double)(to_ns - from_ns) / (double)HS_NS_PER_S;
	return exp(-age_s / (double)window_s[w]);
}

void hs_crawl_stat_update(struct hs_crawl_stat *s, bool ok, uint64_t now)
{
	if (now < s->updated_ns)
		now = s->updated_ns;
	for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++) {
		double f = s->attempts ? decay(s->updated_ns, now, w) : 1.0;
		s->win[w].num = s->win[w].num * f + (ok ? 1.0 : 0.0);
		s->win[w].den = s->win[w].den * f + 1.0;
	}
	s->attempts++;
	s->successes += ok;
	s->last_try_ns = now;
	if (ok)
		s->last_success_ns = now;
	s->last_ok = ok;
	s->updated_ns = now;
}

double hs_crawl_stat_ratio(const struct hs_crawl_stat *s, unsigned w)
{
	if (w >= HS_CRAWL_WINDOWS || !(s->win[w].den > 0))
		return 0.0;
	double r = s->win[w].num / s->win[w].den;
	return r > 1.0 ? 1.0 : r;
}

double hs_crawl_stat_weight(const struct hs_crawl_stat *s, unsigned w, uint64_t now)
{
	if (w >= HS_CRAWL_WINDOWS)
		return 0.0;
	return s->win[w].den * decay(s->updated_ns, now, w);
}

bool hs_crawl_stat_reachable(const struct hs_crawl_stat *s, unsigned w, uint64_t now)
{
	if (w >= HS_CRAWL_WINDOWS || !s->last_ok || s->last_success_ns == 0)
		return false;
	if (now > s->last_success_ns && now - s->last_success_ns > window_s[w] * HS_NS_PER_S)
		return false;
	return hs_crawl_stat_ratio(s, w) * 100.0 >= (double)HS_CRAWL_GOOD_PCT;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t double_bits(double d)
{
	uint64_t v;
	memcpy(&v, &d, sizeof(v));
	return v;
}

static double bits_double(uint64_t v)
{
	double d;
	memcpy(&d, &v, sizeof(d));
	return d;
}

void hs_crawl_stat_encode(const struct hs_crawl_stat *s, uint8_t out[HS_CRAWL_STAT_LEN])
{
	uint8_t *p = out;
	*p++ = 1;
	put_u32(p, s->attempts);
	put_u32(p + 4, s->successes);
	put_u64(p + 8, s->last_try_ns / HS_NS_PER_S);
	put_u64(p + 16, s->last_success_ns / HS_NS_PER_S);
	put_u64(p + 24, s->updated_ns / HS_NS_PER_S);
	p[32] = s->last_ok;
	p += 33;
	for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++, p += 16) {
		put_u64(p, double_bits(s->win[w].num));
		put_u64(p + 8, double_bits(s->win[w].den));
	}
}

/* Seconds that fit the node's nanosecond clock. */
static bool time_ok(uint64_t s)
{
	return s <= UINT64_MAX / HS_NS_PER_S;
}

int hs_crawl_stat_decode(struct hs_crawl_stat *s, const uint8_t *data, size_t datalen)
{
	if (datalen != HS_CRAWL_STAT_LEN || data[0] != 1 || data[33] > 1)
		return HS_ERR_INVALID;
	struct hs_crawl_stat t;
	memset(&t, 0, sizeof(t));
	const uint8_t *p = data + 1;
	t.attempts = get_u32(p);
	t.successes = get_u32(p + 4);
	uint64_t try_s = get_u64(p + 8), ok_s = get_u64(p + 16), upd_s = get_u64(p + 24);
	if (!time_ok(try_s) || !time_ok(ok_s) || !time_ok(upd_s) || t.successes > t.attempts)
		return HS_ERR_INVALID;
	t.last_try_ns = try_s * HS_NS_PER_S;
	t.last_success_ns = ok_s * HS_NS_PER_S;
	t.updated_ns = upd_s * HS_NS_PER_S;
	t.last_ok = p[32] == 1;
	p += 33;
	for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++, p += 16) {
		double num = bits_double(get_u64(p)), den = bits_double(get_u64(p + 8));
		if (!isfinite(num) || !isfinite(den) || num < 0 || den < 0 || num > den)
			return HS_ERR_INVALID;
		t.win[w].num = num;
		t.win[w].den = den;
	}
	*s = t;
	return 0;
}

/* ---- the table ------------------------------------------------------------------------------ */

int hs_crawl_init(struct hs_node *node, uint64_t now)
{
	struct crawl_table *t = &node->crawl;
	memset(t, 0, sizeof(*t));
	t->max = node->cfg.seed_mode ? node->cfg.addrbook_max : 0;
	hs_idmap_init(&t->map, node->secret, t->max);
	t->next_crawl_ns = node->cfg.seed_mode ? now + node->cfg.crawl_interval_ns : UINT64_MAX;
	return 0;
}

void hs_crawl_deinit(struct hs_node *node)
{
	hs_idmap_deinit(&node->crawl.map);
	free(node->crawl.entries);
	node->crawl.entries = NULL;
}

static struct crawl_entry *find(const struct crawl_table *t, const uint8_t id[HS_KEY_LEN])
{
	const uint32_t *i = hs_idmap_get(&t->map, id);
	return i ? &t->entries[*i] : NULL;
}

static struct crawl_entry *insert(struct crawl_table *t, const uint8_t id[HS_KEY_LEN])
{
	if (t->count >= t->max)
		return NULL;
	if (t->count == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		if (cap > t->max)
			cap = t->max;
		struct crawl_entry *e = realloc(t->entries, cap * sizeof(*e));
		if (!e)
			return NULL;
		t->entries = e;
		t->cap = cap;
	}
	if (hs_idmap_put(&t->map, id, (uint32_t)t->count) != 0)
		return NULL;
	struct crawl_entry *e = &t->entries[t->count++];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, HS_KEY_LEN);
	return e;
}

static void remove_at(struct hs_node *node, size_t i)
{
	struct crawl_table *t = &node->crawl;
	hs_event_save(node, HS_SAVE_UNCRAWL, t->entries[i].id, HS_KEY_LEN, NULL, 0, NULL, 0);
	hs_idmap_del(&t->map, t->entries[i].id);
	t->entries[i] = t->entries[--t->count];
	if (i < t->count)
		*hs_idmap_get(&t->map, t->entries[i].id) = (uint32_t)i;
}

/* Forgets the statistics of records the book no longer holds, a few per call. */
static void prune(struct hs_node *node)
{
	struct crawl_table *t = &node->crawl;
	for (size_t n = 0; n < 64 && t->count > 0; n++) {
		if (t->prune_cursor >= t->count)
			t->prune_cursor = 0;
		size_t i = t->prune_cursor;
		if (!hs_addrbook_find(&node->book, t->entries[i].id))
			remove_at(node, i); /* the last entry moved here: look at it next */
		else
			t->prune_cursor++;
	}
}

int hs_node_load_crawl(struct hs_node *node, const uint8_t id[HS_KEY_LEN], const uint8_t *val,
                       size_t vallen)
{
	if (!node->cfg.seed_mode)
		return HS_ERR_STATE;
	struct hs_crawl_stat s;
	if (hs_crawl_stat_decode(&s, val, vallen) != 0)
		return HS_ERR_INVALID;
	struct crawl_entry *e = find(&node->crawl, id);
	if (!e)
		e = insert(&node->crawl, id);
	if (!e)
		return HS_ERR_FULL;
	e->stat = s;
	return 0;
}

void hs_crawl_result(struct hs_node *node, const uint8_t id[HS_KEY_LEN], bool ok, uint64_t now)
{
	struct crawl_table *t = &node->crawl;
	if (!node->cfg.seed_mode)
		return;
	t->visits++;
	t->visits_ok += ok;
	struct crawl_entry *e = find(t, id);
	if (!e)
		e = insert(t, id);
	if (!e) {
		t->dropped++; /* a full table: pruning makes room as the book forgets records */
		return;
	}
	hs_crawl_stat_update(&e->stat, ok, now);
	uint8_t enc[HS_CRAWL_STAT_LEN];
	hs_crawl_stat_encode(&e->stat, enc);
	hs_event_save(node, HS_SAVE_CRAWL, id, HS_KEY_LEN, NULL, 0, enc, sizeof(enc));
}

/* ---- the crawler ----------------------------------------------------------------------------- */

static size_t inflight(const struct hs_node *node)
{
	size_t n = 0;
	for (size_t i = 0; i < node->ndials; i++)
		n += node->dials[i].crawl;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		n += node->peers[s] && node->peers[s]->crawl && node->peers[s]->state != PS_CLOSING;
	return n;
}

static bool dialling(const struct hs_node *node, const struct hs_book_entry *e)
{
	for (size_t i = 0; i < node->ndials; i++) {
		const struct pending_dial *d = &node->dials[i];
		if ((d->has_id && memcmp(d->id, e->id, HS_KEY_LEN) == 0) ||
		    hs_netaddr_equal(&d->addr, &e->rec.addrs[0]))
			return true;
	}
	return false;
}

/* The session we hold with id, if any, and whether one of ours (outbound) is active. */
static bool has_session(const struct hs_node *node, const struct hs_book_entry *e, bool *ours)
{
	*ours = false;
	bool any = false;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		if (!p || p->state == PS_CLOSING)
			continue;
		bool same = (p->has_id && memcmp(p->id, e->id, HS_KEY_LEN) == 0) ||
		            hs_netaddr_equal(&p->addr, &e->rec.addrs[0]);
		if (!same)
			continue;
		any = true;
		if (p->kind != CONN_INBOUND && p->state == PS_ACTIVE &&
		    memcmp(p->id, e->id, HS_KEY_LEN) == 0)
			*ours = true;
	}
	return any;
}

/* The record crawled longest ago (never crawled first; the book's order breaks ties). An
 * active outbound session of ours is its own proof. An inbound one proves nothing about
 * dialling the record, so it is dialled anyway: the visit ends as a duplicate once the
 * handshake has proved the record's identity at its address, which is a success
 * (hs_connect_on_identity). */
static void crawl_one(struct hs_node *node, uint64_t now)
{
	struct hs_book_entry *best = NULL;
	uint64_t best_t = UINT64_MAX;
	bool best_ours = false;
	size_t n = hs_addrbook_count(&node->book);
	for (size_t i = 0; i < n; i++) {
		struct hs_book_entry *e = hs_addrbook_at(&node->book, i);
		if (e->rec.naddrs == 0 || dialling(node, e) ||
		    hs_banlist_has_id(&node->bans, e->id, now) ||
		    hs_banlist_has_addr(&node->bans, &e->rec.addrs[0], now))
			continue;
		const struct crawl_entry *c = find(&node->crawl, e->id);
		uint64_t t = c ? c->stat.last_try_ns + 1 : 0;
		if (t >= best_t)
			continue;
		bool ours;
		(void)has_session(node, e, &ours);
		best = e;
		best_t = t;
		best_ours = ours;
	}
	if (!best)
		return;
	if (best_ours) {
		hs_crawl_result(node, best->id, true, now);
		return;
	}
	best->last_try_ns = now;
	if (hs_connect_feeler(node, &best->rec.addrs[0], best->id, true, now))
		node->crawl.started++;
}

void hs_crawl_timer(struct hs_node *node, uint64_t now)
{
	struct crawl_table *t = &node->crawl;
	if (!node->cfg.seed_mode || now < t->next_crawl_ns)
		return;
	t->next_crawl_ns = now + node->cfg.crawl_interval_ns;
	prune(node);
	/* Leave half the dial slots to the node's own outbound and manual dials. */
	if (node->shutting_down || inflight(node) >= HS_CRAWL_INFLIGHT_MAX ||
	    node->ndials >= HS_DIALS_MAX / 2)
		return;
	crawl_one(node, now);
}

uint64_t hs_crawl_deadline(const struct hs_node *node)
{
	return node->cfg.seed_mode && !node->shutting_down ? node->crawl.next_crawl_ns : UINT64_MAX;
}

void hs_crawl_on_inbound(struct hs_node *node, struct peer *p, uint64_t now)
{
	if (!node->cfg.seed_mode)
		return;
	size_t relay = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *q = node->peers[s];
		relay += q && q != p && q->kind == CONN_INBOUND && q->state == PS_ACTIVE &&
		         !q->close_at_ns;
	}
	if (relay >= HS_SEED_RELAY_IN)
		p->close_at_ns = now + HS_SEED_VISIT_S * HS_NS_PER_S;
}

void hs_crawl_visit_only(struct hs_node *node, struct peer *p, uint64_t now)
{
	if (!node->cfg.seed_mode || p->kind != CONN_INBOUND)
		return;
	uint64_t at = now + HS_SEED_VISIT_S * HS_NS_PER_S;
	if (!p->close_at_ns || at < p->close_at_ns)
		p->close_at_ns = at;
}

/* ---- a seed's getaddr answer ----------------------------------------------------------------- */

static uint64_t rand_cb(void *ctx)
{
	return hs_node_rand64(ctx);
}

size_t hs_crawl_answer(struct hs_node *node, struct hs_record *out, size_t max,
                       const uint8_t *exclude, uint64_t now)
{
	size_t n = hs_addrbook_count(&node->book), k = 0, seen = 0;
	/* Reservoir sampling over the verified records: uniform, one pass, no allocation. */
	for (size_t i = 0; i < n; i++) {
		const struct hs_book_entry *e = hs_addrbook_at(&node->book, i);
		if (exclude && memcmp(e->id, exclude, HS_KEY_LEN) == 0)
			continue;
		const struct crawl_entry *c = find(&node->crawl, e->id);
		if (!c || !hs_crawl_stat_reachable(&c->stat, HS_CRAWL_2H, now))
			continue;
		seen++;
		if (k < max) {
			out[k++] = e->rec;
		} else {
			uint64_t j = hs_node_rand64(node) % seen;
			if (j < max)
				out[j] = e->rec;
		}
	}
	if (seen >= HS_SEED_VERIFIED_MIN || k >= max)
		return k;
	/* Too few verified yet: top up from the ordinary sample, without repeats. */
	struct hs_record extra[HS_ADDR_MAX];
	size_t want = max - k < HS_ADDR_MAX ? max - k : HS_ADDR_MAX;
	size_t m = hs_addrbook_sample(&node->book, extra, want, exclude, rand_cb, node, now);
	for (size_t i = 0; i < m && k < max; i++) {
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = memcmp(out[j].id, extra[i].id, HS_KEY_LEN) == 0;
		if (!dup)
			out[k++] = extra[i];
	}
	return k;
}

/* ---- introspection -----------------------------------------------------------------------------
 */

void hs_node_crawl_summary(const struct hs_node *node, struct hs_crawl_summary *out, uint64_t now)
{
	memset(out, 0, sizeof(*out));
	const struct crawl_table *t = &node->crawl;
	size_t n = hs_addrbook_count(&node->book);
	out->known = n;
	for (size_t i = 0; i < n; i++) {
		const struct crawl_entry *c = find(t, hs_addrbook_at(&node->book, i)->id);
		if (!c || c->stat.attempts == 0)
			continue;
		out->crawled++;
		for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++)
			out->reachable[w] += hs_crawl_stat_reachable(&c->stat, w, now);
	}
	out->visits = t->visits;
	out->visits_ok = t->visits_ok;
	out->answers = t->answers;
	out->limited = node->stats.getaddr_limited;
	out->inflight = inflight(node);
}

static int cmp_rows(const void *a, const void *b, uint64_t now)
{
	const struct hs_crawl_row *x = a, *y = b;
	bool rx = hs_crawl_stat_reachable(&x->stat, HS_CRAWL_1D, now);
	bool ry = hs_crawl_stat_reachable(&y->stat, HS_CRAWL_1D, now);
	if (rx != ry)
		return rx ? -1 : 1;
	double d = hs_crawl_stat_ratio(&y->stat, HS_CRAWL_2H) -
	           hs_crawl_stat_ratio(&x->stat, HS_CRAWL_2H);
	if (d != 0)
		return d < 0 ? -1 : 1;
	d = hs_crawl_stat_ratio(&y->stat, HS_CRAWL_1D) - hs_crawl_stat_ratio(&x->stat, HS_CRAWL_1D);
	if (d != 0)
		return d < 0 ? -1 : 1;
	if (x->stat.successes != y->stat.successes)
		return x->stat.successes > y->stat.successes ? -1 : 1;
	return memcmp(x->rec.id, y->rec.id, HS_KEY_LEN);
}

/* Insertion into a sorted prefix: rows are few (the caller's max), candidates many. */
size_t hs_node_crawl_rows(const struct hs_node *node, struct hs_crawl_row *out, size_t max,
                          double min_ratio, bool reachable_only, uint64_t now)
{
	size_t n = hs_addrbook_count(&node->book), k = 0;
	for (size_t i = 0; i < n && max > 0; i++) {
		const struct hs_book_entry *e = hs_addrbook_at(&node->book, i);
		const struct crawl_entry *c = find(&node->crawl, e->id);
		if (!c || c->stat.attempts == 0 || e->rec.naddrs == 0)
			continue;
		if (hs_crawl_stat_ratio(&c->stat, HS_CRAWL_1D) < min_ratio)
			continue;
		if (reachable_only && !hs_crawl_stat_reachable(&c->stat, HS_CRAWL_1D, now))
			continue;
		struct hs_crawl_row row = { .rec = e->rec, .stat = c->stat };
		size_t pos = k;
		while (pos > 0 && cmp_rows(&row, &out[pos - 1], now) < 0)
			pos--;
		if (pos >= max)
			continue;
		size_t last = k < max ? k : max - 1;
		memmove(&out[pos + 1], &out[pos], (last - pos) * sizeof(*out));
		out[pos] = row;
		if (k < max)
			k++;
	}
	return k;
}

/* The address book: new and tried tables (see addrbook.h). */
#include <stdlib.h>
#include <string.h>

#include "addrbook.h"
#include "base/wire.h"
#include "crypto/crypto.h"

#define NS_PER_S         1000000000ull
#define RECENT_TRY_NS    (60 * NS_PER_S)  /* never call an entry tried this recently terrible */
#define CHANCE_RECENT_NS (600 * NS_PER_S) /* tried this recently: a hundredth of the weight */
#define SLOTS            HS_BOOK_BUCKET_SIZE

/* ---- placement -------------------------------------------------------------------------- */

static void addr_bytes(const struct hs_netaddr *a, uint8_t out[19])
{
	out[0] = a->family;
	memcpy(out + 1, a->ip, 16);
	out[17] = (uint8_t)a->port;
	out[18] = (uint8_t)(a->port >> 8);
}

/* Keyed hash of domain || a || b || x (x little-endian). */
static uint64_t keyed(const struct hs_addrbook *ab, uint8_t domain, const uint8_t *a, size_t alen,
                      const uint8_t *b, size_t blen, uint64_t x)
{
	uint8_t buf[1 + 19 + 19 + 8];
	size_t n = 0;
	buf[n++] = domain;
	memcpy(buf + n, a, alen);
	n += alen;
	if (blen) /* b may be NULL */
		memcpy(buf + n, b, blen);
	n += blen;
	for (unsigned i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(x >> (8 * i));
	return hs_shorthash(ab->key, buf, n);
}

uint32_t hs_addrbook_new_bucket(const struct hs_addrbook *ab, const struct hs_record *rec,
                                const uint8_t source_group[8])
{
	uint8_t g[8];
	hs_netaddr_group(&rec->addrs[0], g);
	uint64_t h1 = keyed(ab, 'N', g, 8, source_group, 8, 0) % ab->new_per_source;
	return (uint32_t)(keyed(ab, 'n', source_group, 8, NULL, 0, h1) % ab->new_buckets);
}

uint32_t hs_addrbook_tried_bucket(const struct hs_addrbook *ab, const struct hs_record *rec)
{
	uint8_t g[8], a[19];
	hs_netaddr_group(&rec->addrs[0], g);
	addr_bytes(&rec->addrs[0], a);
	uint64_t h1 = keyed(ab, 'T', a, sizeof(a), NULL, 0, 0) % ab->tried_per_group;
	return (uint32_t)(keyed(ab, 't', g, 8, NULL, 0, h1) % ab->tried_buckets);
}

static uint32_t position(const struct hs_addrbook *ab, bool tried, uint32_t bucket,
                         const struct hs_record *rec, unsigned choice)
{
	uint8_t a[19];
	addr_bytes(&rec->addrs[0], a);
	uint64_t x = bucket | (uint64_t)choice << 32; /* choice 0: the single position of before */
	return (uint32_t)(keyed(ab, tried ? 'Q' : 'P', a, sizeof(a), NULL, 0, x) % SLOTS);
}

/* Every new-table slot rec may take, in order of preference (one bucket, HS_BOOK_NEW_CHOICES
 * positions in it). */
static void new_slots_of(const struct hs_addrbook *ab, const struct hs_record *rec,
                         const uint8_t source_group[8], uint32_t out[HS_BOOK_NEW_CHOICES])
{
	uint32_t b = hs_addrbook_new_bucket(ab, rec, source_group);
	for (unsigned c = 0; c < HS_BOOK_NEW_CHOICES; c++)
		out[c] = b * SLOTS + position(ab, false, b, rec, c);
}

static uint32_t tried_slot_of(const struct hs_addrbook *ab, const struct hs_record *rec)
{
	uint32_t b = hs_addrbook_tried_bucket(ab, rec);
	return b * SLOTS + position(ab, true, b, rec, 0);
}

uint32_t hs_addrbook_slot(const struct hs_addrbook *ab, const struct hs_record *rec,
                          const uint8_t source_group[8], bool tried, unsigned choice)
{
	if (tried)
		return tried_slot_of(ab, rec);
	uint32_t s[HS_BOOK_NEW_CHOICES];
	new_slots_of(ab, rec, source_group, s);
	return s[choice < HS_BOOK_NEW_CHOICES ? choice : 0];
}

/* The entry in a slot, or NULL. */
static struct hs_book_entry *occupant(const struct hs_addrbook *ab, bool tried, uint32_t slot)
{
	uint32_t v = tried ? ab->tried_slots[slot] : ab->new_slots[slot];
	return v ? &ab->entries[v - 1] : NULL;
}

static void set_slot(struct hs_addrbook *ab, bool tried, uint32_t slot, uint32_t v)
{
	if (tried)
		ab->tried_slots[slot] = v;
	else
		ab->new_slots[slot] = v;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

int hs_addrbook_init(struct hs_addrbook *ab, const uint8_t key[16], size_t entries_max)
{
	memset(ab, 0, sizeof(*ab));
	memcpy(ab->key, key, 16);
	hs_idmap_init(&ab->map, key, entries_max);
	ab->entries_max = entries_max;
	ab->tried_buckets = (entries_max + 5 * SLOTS - 1) / (5 * SLOTS);
	if (ab->tried_buckets == 0)
		ab->tried_buckets = 1;
	ab->new_buckets = 4 * ab->tried_buckets;
	ab->new_per_source = ab->new_buckets / 16 ? ab->new_buckets / 16 : 1;
	ab->tried_per_group = ab->tried_buckets / 32 ? ab->tried_buckets / 32 : 1;
	ab->new_slots = calloc(ab->new_buckets * SLOTS, sizeof(uint32_t));
	ab->tried_slots = calloc(ab->tried_buckets * SLOTS, sizeof(uint32_t));
	if (!ab->new_slots || !ab->tried_slots) {
		hs_addrbook_deinit(ab);
		return HS_ERR_NOMEM;
	}
	return 0;
}

void hs_addrbook_deinit(struct hs_addrbook *ab)
{
	hs_idmap_deinit(&ab->map);
	free(ab->entries);
	free(ab->new_slots);
	free(ab->tried_slots);
	sodium_memzero(ab->key, sizeof(ab->key));
	memset(ab, 0, sizeof(*ab));
}

struct hs_book_entry *hs_addrbook_find(const struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN])
{
	const uint32_t *i = hs_idmap_get(&ab->map, id);
	return i ? &ab->entries[*i] : NULL;
}

struct hs_book_entry *hs_addrbook_find_addr(const struct hs_addrbook *ab,
                                            const struct hs_netaddr *addr)
{
	for (size_t i = 0; i < ab->count; i++) {
		struct hs_book_entry *e = &ab->entries[i];
		if (hs_netaddr_equal(&e->rec.addrs[0], addr))
			return e;
	}
	return NULL;
}

size_t hs_addrbook_count(const struct hs_addrbook *ab)
{
	return ab->count;
}

size_t hs_addrbook_tried_count(const struct hs_addrbook *ab)
{
	return ab->ntried;
}

struct hs_book_entry *hs_addrbook_at(const struct hs_addrbook *ab, size_t i)
{
	return i < ab->count ? &ab->entries[i] : NULL;
}

/* ---- removal ---------------------------------------------------------------------------- */

static void drop_collision(struct hs_addrbook *ab, size_t i)
{
	memmove(&ab->collisions[i], &ab->collisions[i + 1],
	        (ab->ncollisions - i - 1) * sizeof(ab->collisions[0]));
	ab->ncollisions--;
}

/* Takes entry i out of its slot, the map and the array (the last entry moves into i). */
static void unlink_at(struct hs_addrbook *ab, size_t i)
{
	struct hs_book_entry *e = &ab->entries[i];
	set_slot(ab, e->tried, e->slot, 0);
	ab->ntried -= e->tried;
	hs_idmap_del(&ab->map, e->id);
	for (size_t c = 0; c < ab->ncollisions; c++)
		if (memcmp(ab->collisions[c].id, e->id, HS_KEY_LEN) == 0) {
			drop_collision(ab, c);
			break;
		}
	size_t last = ab->count - 1;
	if (i != last) {
		ab->entries[i] = ab->entries[last];
		struct hs_book_entry *m = &ab->entries[i];
		*hs_idmap_get(&ab->map, m->id) = (uint32_t)i;
		set_slot(ab, m->tried, m->slot, (uint32_t)i + 1);
	}
	ab->count--;
}

static void note_removed(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN])
{
	if (ab->nremoved < HS_BOOK_REMOVED_MAX)
		memcpy(ab->removed[ab->nremoved++], id, HS_KEY_LEN);
	else
		ab->stats.unsaved++;
}

static void note_changed(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN])
{
	if (ab->nchanged < HS_BOOK_REMOVED_MAX)
		memcpy(ab->changed[ab->nchanged++], id, HS_KEY_LEN);
	else
		ab->stats.unsaved++;
}

static void remove_at(struct hs_addrbook *ab, size_t i)
{
	note_removed(ab, ab->entries[i].id);
	unlink_at(ab, i);
}

void hs_addrbook_remove(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN])
{
	uint32_t *ip = hs_idmap_get(&ab->map, id);
	if (ip)
		remove_at(ab, *ip);
}

bool hs_addrbook_pop_removed(struct hs_addrbook *ab, uint8_t id[HS_KEY_LEN])
{
	if (ab->nremoved == 0)
		return false;
	memcpy(id, ab->removed[--ab->nremoved], HS_KEY_LEN);
	return true;
}

bool hs_addrbook_pop_changed(struct hs_addrbook *ab, uint8_t id[HS_KEY_LEN])
{
	if (ab->nchanged == 0)
		return false;
	memcpy(id, ab->changed[--ab->nchanged], HS_KEY_LEN);
	return true;
}

bool hs_addrbook_is_terrible(const struct hs_book_entry *e, uint64_t now)
{
	if (e->connected || (e->last_try_ns && now < e->last_try_ns + RECENT_TRY_NS))
		return false;
	if (e->last_success_ns == 0 && e->attempts >= HS_BOOK_RETRIES)
		return true;
	return e->attempts >= HS_BOOK_FAILURES_MAX &&
	       now >= e->last_success_ns + HS_BOOK_MIN_FAIL_S * NS_PER_S;
}

bool hs_addrbook_holds(const struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN],
                       const uint8_t *enc, size_t enclen)
{
	const struct hs_book_entry *e = hs_addrbook_find(ab, id);
	if (!e || enclen < HS_SIG_LEN || memcmp(e->rec.sig, enc + enclen - HS_SIG_LEN, HS_SIG_LEN))
		return false; /* the signature ends the encoding: the cheap test first */
	uint8_t mine[HS_RECORD_MAX];
	size_t len;
	return hs_record_encode(&e->rec, mine, sizeof(mine), &len) == 0 && len == enclen &&
	       memcmp(mine, enc, len) == 0;
}

/* ---- insertion -------------------------------------------------------------------------- */

static int reserve(struct hs_addrbook *ab)
{
	if (ab->count < ab->cap)
		return 0;
	size_t ncap = ab->cap ? ab->cap * 2 : 16;
	if (ncap > ab->entries_max)
		ncap = ab->entries_max;
	struct hs_book_entry *n = realloc(ab->entries, ncap * sizeof(*n));
	if (!n)
		return HS_ERR_NOMEM;
	ab->entries = n;
	ab->cap = ncap;
	return 0;
}

/* Makes room for one more entry at a full book: evicts a terrible new entry, if any. */
static bool make_room(struct hs_addrbook *ab, uint64_t now)
{
	if (ab->count < ab->entries_max)
		return true;
	for (size_t i = 0; i < ab->count; i++)
		if (!ab->entries[i].tried && hs_addrbook_is_terrible(&ab->entries[i], now)) {
			remove_at(ab, i);
			ab->stats.replaced++;
			return true;
		}
	return false;
}

/* Where rec goes in the new table: the first of its HS_BOOK_NEW_CHOICES slots that is free,
 * else the first whose occupant is terrible (*victim); false when healthy entries hold all. */
static bool new_place(const struct hs_addrbook *ab, const struct hs_record *rec,
                      const uint8_t source_group[8], uint64_t now, uint32_t *slot,
                      struct hs_book_entry **victim)
{
	uint32_t s[HS_BOOK_NEW_CHOICES];
	new_slots_of(ab, rec, source_group, s);
	*victim = NULL;
	for (unsigned c = 0; c < HS_BOOK_NEW_CHOICES; c++)
		if (!occupant(ab, false, s[c])) {
			*slot = s[c];
			return true;
		}
	for (unsigned c = 0; c < HS_BOOK_NEW_CHOICES; c++)
		if (hs_addrbook_is_terrible(occupant(ab, false, s[c]), now)) {
			*slot = s[c];
			*victim = occupant(ab, false, s[c]);
			return true;
		}
	return false;
}

/* Puts rec into a slot of the tried (if tried) or new table, taking it from a terrible
 * occupant in new; HS_ERR_FULL when refused. */
static int insert(struct hs_addrbook *ab, const struct hs_record *rec,
                  const uint8_t source_group[8], bool tried, uint64_t now)
{
	uint32_t slot;
	struct hs_book_entry *o = NULL;
	bool placed;
	if (tried) {
		slot = tried_slot_of(ab, rec);
		placed = !occupant(ab, true, slot);
	} else {
		placed = new_place(ab, rec, source_group, now, &slot, &o);
	}
	if (!placed) {
		ab->stats.refused++;
		return HS_ERR_FULL;
	}
	if (o) {
		remove_at(ab, (size_t)(o - ab->entries));
		ab->stats.replaced++;
	} else if (!make_room(ab, now)) {
		ab->stats.refused++;
		return HS_ERR_FULL;
	}
	int err = reserve(ab);
	if (!err)
		err = hs_idmap_put(&ab->map, rec->id, (uint32_t)ab->count);
	if (err)
		return err;
	struct hs_book_entry *e = &ab->entries[ab->count++];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, rec->id, HS_KEY_LEN);
	e->rec = *rec;
	memcpy(e->source_group, source_group, 8);
	e->added_ns = now;
	e->tried = tried;
	e->slot = slot;
	ab->ntried += tried;
	set_slot(ab, tried, slot, (uint32_t)ab->count);
	return 0;
}

int hs_addrbook_add(struct hs_addrbook *ab, const struct hs_record *rec,
                    const uint8_t source_group[8], uint64_t now)
{
	if (rec->naddrs == 0)
		return HS_ERR_INVALID;
	if (ab->entries_max == 0)
		return HS_ERR_FULL;
	struct hs_book_entry *e = hs_addrbook_find(ab, rec->id);
	if (e) {
		if (rec->seq <= e->rec.seq)
			return 0;
		if (hs_netaddr_equal(&rec->addrs[0], &e->rec.addrs[0])) {
			e->rec = *rec; /* same slot: the hashes read only the first address */
			return 0;
		}
		/* It moved: its history was about the old address. Placed afresh, as new. */
		unlink_at(ab, (size_t)(e - ab->entries));
		int err = insert(ab, rec, source_group, false, now);
		if (err)
			note_removed(ab, rec->id);
		return err;
	}
	return insert(ab, rec, source_group, false, now);
}

int hs_addrbook_load(struct hs_addrbook *ab, const struct hs_record *rec,
                     const struct hs_book_meta *meta, uint64_t now)
{
	if (rec->naddrs == 0)
		return HS_ERR_INVALID;
	if (hs_addrbook_find(ab, rec->id) || ab->entries_max == 0)
		return hs_addrbook_add(ab, rec, meta->source_group, now);
	int err = HS_ERR_FULL;
	if (meta->tried && !occupant(ab, true, tried_slot_of(ab, rec)))
		err = insert(ab, rec, meta->source_group, true, now);
	if (err == HS_ERR_FULL)
		err = insert(ab, rec, meta->source_group, false, now);
	if (err)
		return err;
	struct hs_book_entry *e = &ab->entries[ab->count - 1]; /* insert appends */
	e->attempts = meta->attempts;
	e->last_success_ns = meta->last_success_ns;
	return 0;
}

/* ---- history: success, failure, test-before-evict --------------------------------------- */

static void move_to_tried(struct hs_addrbook *ab, struct hs_book_entry *e, uint32_t slot)
{
	set_slot(ab, false, e->slot, 0);
	e->tried = true;
	e->slot = slot;
	ab->ntried++;
	set_slot(ab, true, slot, (uint32_t)(e - ab->entries) + 1);
}

/* A tried entry goes back to new: to the first free of its new slots, else to the first,
 * whose occupant is dropped for it (it once proved itself, the occupant never did). */
static void demote(struct hs_addrbook *ab, size_t i)
{
	uint32_t s[HS_BOOK_NEW_CHOICES];
	new_slots_of(ab, &ab->entries[i].rec, ab->entries[i].source_group, s);
	uint32_t ns = s[0];
	for (unsigned c = 1; c < HS_BOOK_NEW_CHOICES && occupant(ab, false, ns); c++)
		if (!occupant(ab, false, s[c]))
			ns = s[c];
	struct hs_book_entry *o = occupant(ab, false, ns);
	if (o) {
		size_t oi = (size_t)(o - ab->entries);
		if (i == ab->count - 1)
			i = oi; /* the removal moves the last entry into oi */
		remove_at(ab, oi);
	}
	struct hs_book_entry *e = &ab->entries[i];
	set_slot(ab, true, e->slot, 0);
	ab->ntried--;
	e->tried = false;
	e->slot = ns;
	set_slot(ab, false, ns, (uint32_t)(e - ab->entries) + 1);
	ab->stats.demoted++;
	note_changed(ab, e->id);
}

bool hs_addrbook_good(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN], uint64_t now)
{
	struct hs_book_entry *e = hs_addrbook_find(ab, id);
	if (!e)
		return false;
	e->attempts = 0;
	e->last_success_ns = now;
	e->last_try_ns = now;
	if (e->tried)
		return true;
	uint32_t ts = tried_slot_of(ab, &e->rec);
	if (!occupant(ab, true, ts)) {
		move_to_tried(ab, e, ts);
		return true;
	}
	for (size_t c = 0; c < ab->ncollisions; c++)
		if (memcmp(ab->collisions[c].id, id, HS_KEY_LEN) == 0)
			return false; /* already waiting */
	if (ab->ncollisions >= HS_BOOK_COLLISIONS_MAX) {
		ab->stats.collisions_dropped++;
		return false;
	}
	struct hs_book_collision *c = &ab->collisions[ab->ncollisions++];
	memcpy(c->id, id, HS_KEY_LEN);
	c->queued_ns = now;
	ab->stats.collisions++;
	return false;
}

void hs_addrbook_failed(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN], uint64_t now)
{
	struct hs_book_entry *e = hs_addrbook_find(ab, id);
	if (!e)
		return;
	e->attempts++;
	e->last_try_ns = now;
	e->last_fail_ns = now;
}

static bool recently_good(const struct hs_book_entry *o, uint64_t now)
{
	return o->connected ||
	       (o->last_success_ns && now < o->last_success_ns + HS_BOOK_REPLACEMENT_S * NS_PER_S);
}

/* Decides one collision; true when it is settled (and must leave the queue). */
static bool resolve_one(struct hs_addrbook *ab, const struct hs_book_collision *c, uint64_t now)
{
	struct hs_book_entry *e = hs_addrbook_find(ab, c->id);
	if (!e || e->tried)
		return true;
	uint32_t ts = tried_slot_of(ab, &e->rec);
	struct hs_book_entry *o = occupant(ab, true, ts);
	if (!o) {
		move_to_tried(ab, e, ts);
		note_changed(ab, e->id);
		return true;
	}
	if (recently_good(o, now))
		return true; /* the old entry answers: keep it */
	if (o->last_fail_ns >= c->queued_ns && o->last_fail_ns > o->last_success_ns) {
		uint8_t id[HS_KEY_LEN];
		memcpy(id, c->id, HS_KEY_LEN);
		demote(ab, (size_t)(o - ab->entries)); /* the test failed: the newcomer gets in */
		e = hs_addrbook_find(ab, id);
		if (e && !occupant(ab, true, ts)) {
			move_to_tried(ab, e, ts);
			note_changed(ab, id);
		}
		return true;
	}
	if (now >= c->queued_ns + HS_BOOK_TEST_WINDOW_S * NS_PER_S) {
		ab->stats.collisions_dropped++;
		return true; /* never shown to fail: the old entry stays */
	}
	return false;
}

void hs_addrbook_resolve_collisions(struct hs_addrbook *ab, uint64_t now)
{
	for (size_t i = 0; i < ab->ncollisions;) {
		struct hs_book_collision c = ab->collisions[i];
		size_t before = ab->ncollisions;
		bool settled = resolve_one(ab, &c, now);
		if (ab->ncollisions < before) {
			i = 0; /* a removal inside changed the queue: start over */
			continue;
		}
		if (settled)
			drop_collision(ab, i);
		else
			i++;
	}
}

struct hs_book_entry *hs_addrbook_collision_to_test(const struct hs_addrbook *ab)
{
	for (size_t i = 0; i < ab->ncollisions; i++) {
		const struct hs_book_collision *c = &ab->collisions[i];
		const struct hs_book_entry *e = hs_addrbook_find(ab, c->id);
		if (!e || e->tried)
			continue;
		struct hs_book_entry *o = occupant(ab, true, tried_slot_of(ab, &e->rec));
		if (o && !o->connected && o->last_try_ns < c->queued_ns)
			return o;
	}
	return NULL;
}

/* ---- selection -------------------------------------------------------------------------- */

/* Bitcoin's GetChance in fixed point: 0.66^attempts (at most 8), x 1/100 if tried in the last
 * 10 minutes. */
static uint64_t weight(const struct hs_book_entry *e, uint64_t now)
{
	static const uint64_t w[9] = { 65536, 43254, 28548, 18842, 12435, 8207, 5417, 3575, 2360 };
	uint64_t x = w[e->attempts < 8 ? e->attempts : 8];
	if (e->last_try_ns && now < e->last_try_ns + CHANCE_RECENT_NS)
		x /= 100;
	return x;
}

struct cand {
	uint8_t group[8];
	uint32_t index;
	uint64_t weight;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int c = memcmp(x->group, y->group, 8);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* A random candidate of c[0..n) (sorted by group): a network group uniformly among those
 * present, then an entry of it by weight. */
static uint32_t pick_by_group(const struct cand *c, size_t n, hs_book_rand rnd, void *rctx)
{
	size_t groups = 0;
	for (size_t i = 0; i < n; i++)
		groups += i == 0 || memcmp(c[i].group, c[i - 1].group, 8) != 0;
	uint64_t g = rnd(rctx) % groups;
	size_t start = 0;
	for (size_t i = 0, k = 0; i < n; i++) {
		if (i > 0 && memcmp(c[i].group, c[i - 1].group, 8) != 0)
			k++;
		if (k == g) {
			start = i;
			break;
		}
	}
	size_t end = start;
	uint64_t sum = 0;
	while (end < n && memcmp(c[end].group, c[start].group, 8) == 0)
		sum += c[end++].weight;
	uint64_t r = rnd(rctx) % sum;
	for (size_t i = start; i < end; i++) {
		if (r < c[i].weight)
			return c[i].index;
		r -= c[i].weight;
	}
	return c[end - 1].index; /* unreachable: r < sum */
}

struct hs_book_entry *hs_addrbook_select(const struct hs_addrbook *ab, bool new_only,
                                         bool (*ok)(void *ctx, const struct hs_book_entry *e),
                                         void *okctx, hs_book_rand rnd, void *rctx, uint64_t now)
{
	uint64_t sum[2] = { 0, 0 }; /* new, tried */
	for (size_t i = 0; i < ab->count; i++) {
		const struct hs_book_entry *e = &ab->entries[i];
		if ((new_only && e->tried) || (ok && !ok(okctx, e)))
			continue;
		sum[e->tried] += weight(e, now);
	}
	if (sum[0] == 0 && sum[1] == 0)
		return NULL;
	bool t = sum[0] && sum[1] ? (rnd(rctx) & 1) != 0 : sum[1] != 0;
	struct cand *c = malloc(ab->count * sizeof(*c));
	if (!c)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < ab->count; i++) {
		const struct hs_book_entry *e = &ab->entries[i];
		if (e->tried != t || (ok && !ok(okctx, e)))
			continue;
		hs_netaddr_group(&e->rec.addrs[0], c[n].group);
		c[n].index = (uint32_t)i;
		c[n++].weight = weight(e, now);
	}
	struct hs_book_entry *e = NULL;
	if (n > 0) {
		qsort(c, n, sizeof(*c), cmp_cand);
		e = &ab->entries[pick_by_group(c, n, rnd, rctx)];
	}
	free(c);
	return e;
}

struct sample_cand {
	uint32_t idx;
	uint32_t rank; /* how many of its group's candidates come before it */
	uint64_t key;  /* random order */
	uint8_t group[8];
};

static int by_group_key(const void *a, const void *b)
{
	const struct sample_cand *x = a, *y = b;
	int c = memcmp(x->group, y->group, 8);
	return c ? c : (x->key > y->key) - (x->key < y->key);
}

static int by_rank_key(const void *a, const void *b)
{
	const struct sample_cand *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->key > y->key) - (x->key < y->key);
}

/* Up to max indices of table t's entries, as spread over network groups as can be: one
 * random entry of each group in random order, then a second of each, and so on. */
static size_t diverse(const struct hs_addrbook *ab, bool t, uint32_t *idx, size_t max,
                      const uint8_t *exclude, hs_book_rand rnd, void *rctx, uint64_t now)
{
	struct sample_cand *c = malloc((ab->count ? ab->count : 1) * sizeof(*c));
	if (!c)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < ab->count; i++) {
		const struct hs_book_entry *e = &ab->entries[i];
		if (e->tried != t || hs_addrbook_is_terrible(e, now) ||
		    (exclude && memcmp(e->id, exclude, HS_KEY_LEN) == 0))
			continue;
		c[n].idx = (uint32_t)i;
		c[n].key = rnd(rctx);
		hs_netaddr_group(&e->rec.addrs[0], c[n].group);
		n++;
	}
	qsort(c, n, sizeof(*c), by_group_key);
	for (size_t i = 0; i < n; i++) {
		c[i].rank =
		        i > 0 && memcmp(c[i].group, c[i - 1].group, 8) == 0 ? c[i - 1].rank + 1 : 0;
		c[i].key = rnd(rctx);
	}
	qsort(c, n, sizeof(*c), by_rank_key);
	size_t k = n < max ? n : max;
	for (size_t i = 0; i < k; i++)
		idx[i] = c[i].idx;
	free(c);
	return k;
}

size_t hs_addrbook_sample(const struct hs_addrbook *ab, struct hs_record *out, size_t max,
                          const uint8_t *exclude, hs_book_rand rnd, void *rctx, uint64_t now)
{
	if (max == 0)
		return 0;
	uint32_t *idx = malloc(2 * max * sizeof(*idx));
	if (!idx)
		return 0;
	size_t nt = diverse(ab, true, idx, max, exclude, rnd, rctx, now);
	size_t nn = diverse(ab, false, idx + max, max, exclude, rnd, rctx, now);
	/* Tried first, at least half of the answer when it has that many. */
	size_t half = (max + 1) / 2;
	size_t kn = nn < max - (nt < half ? nt : half) ? nn : max - (nt < half ? nt : half);
	size_t kt = nt < max - kn ? nt : max - kn;
	size_t k = 0;
	for (size_t i = 0; i < kt; i++)
		out[k++] = ab->entries[idx[i]].rec;
	for (size_t i = 0; i < kn; i++)
		out[k++] = ab->entries[idx[max + i]].rec;
	free(idx);
	return k;
}

/* ---- consistency ---------------------------------------------------------------------- */

bool hs_addrbook_check(const struct hs_addrbook *ab)
{
	size_t ntried = 0, used = 0;
	if (ab->count > ab->entries_max || ab->count > ab->cap || ab->map.count != ab->count ||
	    ab->ncollisions > HS_BOOK_COLLISIONS_MAX || ab->nremoved > HS_BOOK_REMOVED_MAX ||
	    ab->nchanged > HS_BOOK_REMOVED_MAX)
		return false;
	for (size_t i = 0; i < ab->count; i++) {
		const struct hs_book_entry *e = &ab->entries[i];
		const uint32_t *m = hs_idmap_get(&ab->map, e->id);
		uint32_t s[HS_BOOK_NEW_CHOICES];
		new_slots_of(ab, &e->rec, e->source_group, s);
		bool placed = e->tried && e->slot == tried_slot_of(ab, &e->rec);
		for (unsigned c = 0; !e->tried && c < HS_BOOK_NEW_CHOICES; c++)
			placed |= e->slot == s[c];
		if (!m || *m != i || e->rec.naddrs == 0 || !placed ||
		    occupant(ab, e->tried, e->slot) != e ||
		    memcmp(e->id, e->rec.id, HS_KEY_LEN) != 0)
			return false;
		ntried += e->tried;
	}
	for (size_t s = 0; s < ab->new_buckets * SLOTS; s++)
		used += ab->new_slots[s] != 0;
	for (size_t s = 0; s < ab->tried_buckets * SLOTS; s++)
		used += ab->tried_slots[s] != 0;
	return ntried == ab->ntried && used == ab->count;
}

/* ---- the stored form ---------------------------------------------------------------------- */

int hs_book_value_encode(const struct hs_book_entry *e, uint8_t *out, size_t outcap, size_t *outlen)
{
	size_t reclen;
	if (hs_record_encoded_len(&e->rec) + HS_BOOK_META_LEN > outcap)
		return HS_ERR_BUFFER;
	int err = hs_record_encode(&e->rec, out, outcap, &reclen);
	if (err)
		return err;
	struct hs_writer w;
	hs_writer_init(&w, out + reclen, outcap - reclen);
	hs_write_u8(&w, 1);
	hs_write_u8(&w, e->tried ? 1 : 0);
	hs_write_u32(&w, e->attempts);
	hs_write_u64(&w, e->last_success_ns / NS_PER_S);
	hs_write_fixed(&w, e->source_group, 8);
	err = hs_writer_end(&w);
	if (err)
		return err;
	*outlen = reclen + w.len;
	return 0;
}

int hs_book_value_decode(struct hs_record *rec, size_t *reclen, struct hs_book_meta *meta,
                         bool *has_meta, const uint8_t *data, size_t datalen)
{
	struct hs_reader r;
	hs_reader_init(&r, data, datalen);
	hs_record_read(&r, rec);
	memset(meta, 0, sizeof(*meta));
	*has_meta = false;
	if (r.err)
		return r.err;
	*reclen = datalen - hs_reader_left(&r);
	if (hs_reader_left(&r) == 0)
		return 0;
	uint8_t version = hs_read_u8(&r), flags = hs_read_u8(&r);
	if (r.err == 0 && (version != 1 || (flags & ~1u) != 0))
		hs_reader_fail(&r, HS_ERR_BAD_VALUE);
	meta->tried = flags & 1u;
	meta->attempts = hs_read_u32(&r);
	uint64_t s = hs_read_u64(&r);
	if (r.err == 0 && s > UINT64_MAX / NS_PER_S)
		hs_reader_fail(&r, HS_ERR_BAD_VALUE);
	meta->last_success_ns = s * NS_PER_S;
	const uint8_t *g = hs_read_fixed(&r, 8);
	if (g)
		memcpy(meta->source_group, g, 8);
	int err = hs_reader_end(&r);
	if (err) {
		memset(rec, 0, sizeof(*rec));
		memset(meta, 0, sizeof(*meta));
		return err;
	}
	*has_meta = true;
	return 0;
}

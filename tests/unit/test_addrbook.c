/*
 * The address book (overlay/addrbook.c) alone and in the node: new and tried tables against a
 * deliberately naive model under random operations, source-group placement against an
 * address-poisoning attacker, test-before-evict, the stored form; then, with real cores,
 * tried-only-after-success, getaddr limits, anchors across a restart, one outbound session
 * per network group, outbound rotation and no re-dial of a connected node.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "overlay/addrbook.h"
#include "overlay/node_impl.h"
#include "testrng.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "node_harness.h"
#pragma GCC diagnostic pop

#define S   HS_NS_PER_S
#define MIN (60 * S)
#define T0  TN_T0

static uint64_t rnd(void *ctx)
{
	return test_rng_next(ctx);
}

static struct hs_record mkrec(uint32_t n, struct hs_netaddr a, uint64_t seq)
{
	struct hs_record r;
	memset(&r, 0, sizeof(r));
	for (unsigned i = 0; i < 4; i++)
		r.id[i] = (uint8_t)(n >> (8 * i));
	r.id[31] = 0x5a;
	r.seq = seq;
	r.naddrs = 1;
	r.addrs[0] = a;
	return r;
}

static void group_of(struct hs_netaddr a, uint8_t g[8])
{
	hs_netaddr_group(&a, g);
}

static const uint8_t key16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* ---- the naive model ---------------------------------------------------------------------- */

#define POOL 150

struct m_entry {
	bool used, tried, connected;
	struct hs_record rec;
	uint8_t src[8];
	uint32_t attempts, slot;
	uint64_t last_try, last_fail, last_success;
};

struct model {
	const struct hs_addrbook *ab; /* only its hash functions: where a record goes */
	struct m_entry e[POOL];
	uint32_t coll[HS_BOOK_COLLISIONS_MAX];
	uint64_t coll_at[HS_BOOK_COLLISIONS_MAX];
	size_t ncoll;
};

static bool m_terrible(const struct m_entry *e, uint64_t now)
{
	if (e->connected || (e->last_try && now < e->last_try + 60 * S))
		return false;
	if (e->last_success == 0 && e->attempts >= HS_BOOK_RETRIES)
		return true;
	return e->attempts >= HS_BOOK_FAILURES_MAX &&
	       now >= e->last_success + (uint64_t)HS_BOOK_MIN_FAIL_S * S;
}

static int m_occupant(const struct model *m, bool tried, uint32_t slot)
{
	for (int i = 0; i < POOL; i++)
		if (m->e[i].used && m->e[i].tried == tried && m->e[i].slot == slot)
			return i;
	return -1;
}

static bool m_drop_coll(struct model *m, uint32_t n)
{
	for (size_t c = 0; c < m->ncoll; c++)
		if (m->coll[c] == n) {
			for (size_t k = c + 1; k < m->ncoll; k++) {
				m->coll[k - 1] = m->coll[k];
				m->coll_at[k - 1] = m->coll_at[k];
			}
			m->ncoll--;
			return true;
		}
	return false;
}

static void m_remove(struct model *m, uint32_t n)
{
	m->e[n].used = false;
	m_drop_coll(m, n);
}

static void m_insert(struct model *m, uint32_t n, const struct hs_record *r, const uint8_t src[8],
                     uint64_t now)
{
	/* The first free of the new positions, else the first with a terrible occupant. */
	uint32_t slot = 0;
	int o = -1;
	bool found = false;
	for (unsigned c = 0; c < HS_BOOK_NEW_CHOICES && !found; c++) {
		slot = hs_addrbook_slot(m->ab, r, src, false, c);
		found = m_occupant(m, false, slot) < 0;
	}
	for (unsigned c = 0; c < HS_BOOK_NEW_CHOICES && !found; c++) {
		slot = hs_addrbook_slot(m->ab, r, src, false, c);
		o = m_occupant(m, false, slot);
		found = m_terrible(&m->e[o], now);
	}
	if (!found)
		return;
	if (o >= 0)
		m_remove(m, (uint32_t)o);
	struct m_entry *e = &m->e[n];
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->rec = *r;
	memcpy(e->src, src, 8);
	e->slot = slot;
}

static void m_add(struct model *m, uint32_t n, const struct hs_record *r, const uint8_t src[8],
                  uint64_t now)
{
	struct m_entry *e = &m->e[n];
	if (e->used) {
		if (r->seq <= e->rec.seq)
			return;
		if (hs_netaddr_equal(&r->addrs[0], &e->rec.addrs[0])) {
			e->rec = *r;
			return;
		}
		m_remove(m, n);
	}
	m_insert(m, n, r, src, now);
}

static void m_good(struct model *m, uint32_t n, uint64_t now)
{
	struct m_entry *e = &m->e[n];
	if (!e->used)
		return;
	e->attempts = 0;
	e->last_success = e->last_try = now;
	if (e->tried)
		return;
	uint32_t ts = hs_addrbook_slot(m->ab, &e->rec, e->src, true, 0);
	if (m_occupant(m, true, ts) < 0) {
		e->tried = true;
		e->slot = ts;
		return;
	}
	for (size_t c = 0; c < m->ncoll; c++)
		if (m->coll[c] == n)
			return;
	if (m->ncoll < HS_BOOK_COLLISIONS_MAX) {
		m->coll[m->ncoll] = n;
		m->coll_at[m->ncoll++] = now;
	}
}

static void m_demote(struct model *m, int o)
{
	struct m_entry *e = &m->e[o];
	uint32_t ns = hs_addrbook_slot(m->ab, &e->rec, e->src, false, 0);
	for (unsigned c = 1; c < HS_BOOK_NEW_CHOICES; c++) {
		uint32_t alt = hs_addrbook_slot(m->ab, &e->rec, e->src, false, c);
		if (m_occupant(m, false, ns) >= 0 && m_occupant(m, false, alt) < 0)
			ns = alt;
	}
	int x = m_occupant(m, false, ns);
	if (x >= 0)
		m_remove(m, (uint32_t)x);
	e->tried = false;
	e->slot = ns;
}

/* One collision: true when settled. */
static bool m_resolve_one(struct model *m, uint32_t n, uint64_t at, uint64_t now)
{
	struct m_entry *e = &m->e[n];
	if (!e->used || e->tried)
		return true;
	uint32_t ts = hs_addrbook_slot(m->ab, &e->rec, e->src, true, 0);
	int o = m_occupant(m, true, ts);
	if (o < 0) {
		e->tried = true;
		e->slot = ts;
		return true;
	}
	struct m_entry *old = &m->e[o];
	if (old->connected ||
	    (old->last_success && now < old->last_success + (uint64_t)HS_BOOK_REPLACEMENT_S * S))
		return true;
	if (old->last_fail >= at && old->last_fail > old->last_success) {
		m_demote(m, o);
		if (e->used && m_occupant(m, true, ts) < 0) {
			e->tried = true;
			e->slot = ts;
		}
		return true;
	}
	return now >= at + (uint64_t)HS_BOOK_TEST_WINDOW_S * S;
}

static void m_resolve(struct model *m, uint64_t now)
{
	for (size_t i = 0; i < m->ncoll;) {
		uint32_t n = m->coll[i];
		size_t before = m->ncoll;
		bool settled = m_resolve_one(m, n, m->coll_at[i], now);
		if (m->ncoll < before) {
			i = 0;
			continue;
		}
		if (settled)
			m_drop_coll(m, n);
		else
			i++;
	}
}

static uint32_t idn_of(const uint8_t id[HS_KEY_LEN])
{
	return (uint32_t)id[0] | (uint32_t)id[1] << 8 | (uint32_t)id[2] << 16 |
	       (uint32_t)id[3] << 24;
}

static bool compare(const struct model *m, const struct hs_addrbook *ab)
{
	size_t count = 0, tried = 0;
	bool ok = hs_addrbook_check(ab);
	for (uint32_t n = 0; n < POOL; n++) {
		const struct m_entry *e = &m->e[n];
		struct hs_record probe = mkrec(n, hs_netaddr_ipv4(1, 1, 1, 1, 1), 0);
		const struct hs_book_entry *b = hs_addrbook_find(ab, probe.id);
		if (!e->used) {
			ok = ok && !b;
			continue;
		}
		count++;
		tried += e->tried;
		ok = ok && b && b->tried == e->tried && b->slot == e->slot &&
		     b->attempts == e->attempts && b->rec.seq == e->rec.seq &&
		     hs_netaddr_equal(&b->rec.addrs[0], &e->rec.addrs[0]);
	}
	ok = ok && count == hs_addrbook_count(ab) && tried == hs_addrbook_tried_count(ab) &&
	     m->ncoll == ab->ncollisions;
	for (size_t c = 0; ok && c < m->ncoll; c++)
		ok = idn_of(ab->collisions[c].id) == m->coll[c];
	return ok;
}

static bool odd_id(void *ctx, const struct hs_book_entry *e)
{
	(void)ctx;
	return (e->id[0] & 1) != 0;
}

/* The sample's picks from one table are spread over network groups as evenly as its eligible
 * entries allow: no group has two more picks than a group with an eligible entry left out. */
static bool spread(const struct model *m, const struct hs_record *out, size_t k, bool tried,
                   uint64_t now)
{
	uint8_t group[POOL][8];
	size_t eligible[POOL] = { 0 }, picked[POOL] = { 0 }, ng = 0;
	for (uint32_t n = 0; n < POOL; n++) {
		if (!m->e[n].used || n == 3 || m->e[n].tried != tried || m_terrible(&m->e[n], now))
			continue;
		uint8_t g[8];
		group_of(m->e[n].rec.addrs[0], g);
		size_t i = 0;
		while (i < ng && memcmp(group[i], g, 8) != 0)
			i++;
		if (i == ng)
			memcpy(group[ng++], g, 8);
		eligible[i]++;
		for (size_t j = 0; j < k; j++)
			picked[i] += memcmp(out[j].id, m->e[n].rec.id, HS_KEY_LEN) == 0;
	}
	for (size_t a = 0; a < ng; a++)
		for (size_t b = 0; b < ng; b++)
			if (picked[b] < eligible[b] && picked[a] > picked[b] + 1)
				return false;
	return true;
}

/* Selection and sampling obey their filters. */
static bool check_select(const struct model *m, const struct hs_addrbook *ab, struct test_rng *r,
                         uint64_t now)
{
	bool any_odd = false, any_odd_new = false;
	for (uint32_t n = 0; n < POOL; n++)
		if (m->e[n].used && (n & 1)) {
			any_odd = true;
			any_odd_new |= !m->e[n].tried;
		}
	const struct hs_book_entry *s = hs_addrbook_select(ab, false, odd_id, NULL, rnd, r, now);
	bool ok = any_odd ? s && odd_id(NULL, s) : !s;
	s = hs_addrbook_select(ab, true, odd_id, NULL, rnd, r, now);
	ok = ok && (any_odd_new ? s && odd_id(NULL, s) && !s->tried : !s);
	struct hs_record out[HS_ADDR_MAX];
	struct hs_record ex = mkrec(3, hs_netaddr_ipv4(1, 1, 1, 1, 1), 0);
	size_t k = hs_addrbook_sample(ab, out, HS_ADDR_MAX, ex.id, rnd, r, now);
	size_t eligible = 0, eligible_tried = 0, got_tried = 0;
	for (uint32_t n = 0; n < POOL; n++)
		if (m->e[n].used && n != 3 && !m_terrible(&m->e[n], now)) {
			eligible++;
			eligible_tried += m->e[n].tried;
		}
	for (size_t i = 0; i < k; i++) {
		uint32_t n = idn_of(out[i].id);
		ok = ok && n < POOL && n != 3 && m->e[n].used && !m_terrible(&m->e[n], now);
		got_tried += n < POOL && m->e[n].tried;
		for (size_t j = 0; j < i; j++)
			ok = ok && memcmp(out[i].id, out[j].id, HS_KEY_LEN) != 0;
	}
	size_t want_tried = eligible_tried < HS_ADDR_MAX / 2 ? eligible_tried : HS_ADDR_MAX / 2;
	return ok && k == (eligible < HS_ADDR_MAX ? eligible : HS_ADDR_MAX) &&
	       got_tried >= want_tried && spread(m, out, k, true, now) &&
	       spread(m, out, k, false, now);
}

static void test_model(void)
{
	uint64_t collisions = 0, replaced = 0;
	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct test_rng r;
		test_rng_seed(&r, seed);
		struct hs_addrbook ab;
		REQUIRE(hs_addrbook_init(&ab, key16, 200) == 0); /* never full: POOL < 200 */
		static struct model m;
		memset(&m, 0, sizeof(m));
		m.ab = &ab;
		uint64_t now = T0, seq = 1;
		bool ok = true;
		for (int op = 0; op < 4000 && ok; op++) {
			uint32_t n = (uint32_t)test_rng_below(&r, POOL);
			uint64_t k = test_rng_below(&r, 100);
			struct hs_book_entry *b;
			struct hs_record probe = mkrec(n, hs_netaddr_ipv4(1, 1, 1, 1, 1), 0);
			if (k < 40) {
				/* few groups and ports: slots collide often */
				struct hs_netaddr a =
				        hs_netaddr_ipv4(10, (uint8_t)test_rng_below(&r, 6), 0,
				                        (uint8_t)test_rng_below(&r, 4),
				                        (uint16_t)(7000 + test_rng_below(&r, 30)));
				struct hs_record rec = mkrec(n, a, seq++);
				uint8_t src[8];
				group_of(hs_netaddr_ipv4(20, (uint8_t)test_rng_below(&r, 3), 0, 1,
				                         1),
				         src);
				int err = hs_addrbook_add(&ab, &rec, src, now);
				ok = err == 0 || err == HS_ERR_FULL;
				m_add(&m, n, &rec, src, now);
			} else if (k < 60) {
				hs_addrbook_good(&ab, probe.id, now);
				m_good(&m, n, now);
			} else if (k < 80) {
				hs_addrbook_failed(&ab, probe.id, now);
				if (m.e[n].used) {
					m.e[n].attempts++;
					m.e[n].last_try = m.e[n].last_fail = now;
				}
			} else if (k < 84) {
				hs_addrbook_remove(&ab, probe.id);
				if (m.e[n].used)
					m_remove(&m, n);
			} else if (k < 88) {
				bool c = test_rng_below(&r, 2) != 0;
				if ((b = hs_addrbook_find(&ab, probe.id)) != NULL)
					b->connected = c;
				m.e[n].connected = m.e[n].used && c;
			} else if (k < 96) {
				hs_addrbook_resolve_collisions(&ab, now);
				m_resolve(&m, now);
			} else {
				now += test_rng_below(&r, 3) == 0 ? 5 * 3600 * S
				                                  : test_rng_below(&r, 3600) * S;
			}
			ok = ok && compare(&m, &ab);
			if (op % 50 == 0)
				ok = ok && check_select(&m, &ab, &r, now);
			uint8_t id[HS_KEY_LEN];
			while (hs_addrbook_pop_removed(&ab, id) || hs_addrbook_pop_changed(&ab, id))
				;
		}
		if (!ok)
			fprintf(stderr, "model mismatch, seed %llu\n", (unsigned long long)seed);
		CHECK(ok);
		collisions += ab.stats.collisions;
		replaced += ab.stats.replaced;
		hs_addrbook_deinit(&ab);
	}
	CHECK(collisions > 0 && replaced > 0); /* the rules were hit */
}

/* ---- placement against address poisoning -------------------------------------------------- */

/* The bucket follows the source group: one record told by 40 groups lands in many buckets;
 * records of many groups told by one source group, in new_per_source. */
static void test_bucket_follows_source(void)
{
	struct hs_addrbook ab;
	REQUIRE(hs_addrbook_init(&ab, key16, 4096) == 0);
	struct hs_record one = mkrec(5, hs_netaddr_ipv4(11, 5, 0, 1, 7000), 1);
	uint32_t seen_b[64] = { 0 };
	size_t distinct = 0, distinct_one_src = 0;
	for (uint8_t k = 0; k < 40; k++) {
		uint8_t src[8];
		group_of(hs_netaddr_ipv4(30, k, 0, 1, 1), src);
		uint32_t b = hs_addrbook_new_bucket(&ab, &one, src);
		distinct += seen_b[b]++ == 0;
	}
	memset(seen_b, 0, sizeof(seen_b));
	for (uint32_t k = 0; k < 200; k++) {
		uint8_t src[8];
		group_of(hs_netaddr_ipv4(30, 7, 0, 1, 1), src);
		struct hs_record rk = mkrec(k, hs_netaddr_ipv4(40, (uint8_t)k, 0, 1, 7000), 1);
		uint32_t b = hs_addrbook_new_bucket(&ab, &rk, src);
		distinct_one_src += seen_b[b]++ == 0;
	}
	CHECK(distinct >= 10);
	CHECK_EQ(distinct_one_src, ab.new_per_source);
	hs_addrbook_deinit(&ab);
}

/* A small network learnt from one seed: the seed's record and three others, all told by the
 * seed's group, fit whatever the book's key (with one position per record, one in 30 fresh
 * books lost a record to a taken slot, and that node was never dialled). */
static void test_small_network_fits(void)
{
	struct test_rng r;
	test_rng_seed(&r, 7);
	size_t refused = 0;
	for (int run = 0; run < 10000; run++) {
		uint8_t key[16], src[8];
		test_rng_bytes(&r, key, sizeof(key));
		struct hs_addrbook ab;
		REQUIRE(hs_addrbook_init(&ab, key, 4096) == 0);
		uint16_t port = (uint16_t)(20000 + test_rng_below(&r, 30000));
		group_of(hs_netaddr_ipv4(127, 10, 0, 1, port), src);
		for (uint8_t k = 0; k < 4; k++) {
			struct hs_record rk = mkrec((uint32_t)run * 4 + k,
			                            hs_netaddr_ipv4(127, 10 + k, 0, 1, port), 1);
			refused += hs_addrbook_add(&ab, &rk, src, T0) != 0;
		}
		CHECK(hs_addrbook_check(&ab));
		hs_addrbook_deinit(&ab);
	}
	CHECK_EQ(refused, 0);
}

/* Removals past the store queue between two drains are counted, not lost silently. */
static void test_removed_overflow_counted(void)
{
	struct hs_addrbook ab;
	REQUIRE(hs_addrbook_init(&ab, key16, 4096) == 0);
	uint8_t src[8];
	group_of(hs_netaddr_ipv4(30, 1, 0, 1, 1), src);
	size_t added = 0;
	for (uint32_t k = 0; k < HS_BOOK_REMOVED_MAX + 10; k++) {
		struct hs_record r = mkrec(k, hs_netaddr_ipv4(40, (uint8_t)k, 0, 1, 7000), 1);
		added += hs_addrbook_add(&ab, &r, src, T0) == 0;
	}
	REQUIRE(added == HS_BOOK_REMOVED_MAX + 10);
	for (uint32_t k = 0; k < HS_BOOK_REMOVED_MAX + 10; k++) {
		struct hs_record r = mkrec(k, hs_netaddr_ipv4(40, (uint8_t)k, 0, 1, 7000), 1);
		hs_addrbook_remove(&ab, r.id);
	}
	CHECK_EQ(ab.stats.unsaved, 10);
	uint8_t id[HS_KEY_LEN];
	size_t popped = 0;
	while (hs_addrbook_pop_removed(&ab, id))
		popped++;
	CHECK_EQ(popped, HS_BOOK_REMOVED_MAX);
	CHECK(hs_addrbook_check(&ab));
	hs_addrbook_deinit(&ab);
}

static void test_source_groups(void)
{
	struct hs_addrbook ab;
	REQUIRE(hs_addrbook_init(&ab, key16, 4096) == 0);
	uint64_t now = T0;
	/* 400 honest nodes in 400 groups, told by 40 sources; 100 of them reached: tried. */
	for (uint32_t i = 0; i < 400; i++) {
		struct hs_record rec = mkrec(
		        i, hs_netaddr_ipv4(11 + (uint8_t)(i / 200), (uint8_t)i, 0, 1, 7000), 1);
		uint8_t src[8];
		group_of(hs_netaddr_ipv4(30, (uint8_t)(i % 40), 0, 1, 1), src);
		CHECK(hs_addrbook_add(&ab, &rec, src, now) == 0 || ab.stats.refused > 0);
	}
	size_t honest = hs_addrbook_count(&ab);
	CHECK(honest >= 350); /* a few share a slot with another: refused */
	for (uint32_t i = 0; i < 100; i++) {
		struct hs_record p = mkrec(i, hs_netaddr_ipv4(1, 1, 1, 1, 1), 0);
		hs_addrbook_good(&ab, p.id, now);
	}
	size_t tried = hs_addrbook_tried_count(&ab);
	CHECK(tried >= 80);
	/* The attacker: 2000 identities at addresses in its 2 groups, told by its 2 groups. */
	uint32_t buckets[64];
	size_t nb = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		uint8_t g = (uint8_t)(i & 1);
		struct hs_record rec = mkrec(
		        100000 + i,
		        hs_netaddr_ipv4(66, g, (uint8_t)(i >> 8), (uint8_t)i, (uint16_t)(8000 + i)),
		        1);
		uint8_t src[8];
		group_of(hs_netaddr_ipv4(66, (uint8_t)((i >> 1) & 1), 0, 1, 1), src);
		if (hs_addrbook_add(&ab, &rec, src, now) == 0) {
			uint32_t b = hs_addrbook_new_bucket(&ab, &rec, src);
			bool seen = false;
			for (size_t k = 0; k < nb; k++)
				seen |= buckets[k] == b;
			if (!seen && nb < 64)
				buckets[nb++] = b;
		}
	}
	/* Each (record group, source group) pair hashes to one bucket: at most 4 of 64. */
	CHECK(nb <= 4);
	size_t attackers = hs_addrbook_count(&ab) - honest;
	CHECK(attackers <= 4 * HS_BOOK_BUCKET_SIZE);
	CHECK(hs_addrbook_tried_count(&ab) == tried);
	/* Even connecting to every attacker record cannot push a tried honest entry out. */
	for (uint32_t i = 0; i < 2000; i++) {
		struct hs_record p = mkrec(100000 + i, hs_netaddr_ipv4(1, 1, 1, 1, 1), 0);
		hs_addrbook_good(&ab, p.id, now);
	}
	now += 3 * 3600 * S; /* honest entries still reached within 4 h */
	hs_addrbook_resolve_collisions(&ab, now);
	now += HS_BOOK_TEST_WINDOW_S * S;
	hs_addrbook_resolve_collisions(&ab, now);
	size_t still = 0;
	for (uint32_t i = 0; i < 100; i++) {
		struct hs_record p = mkrec(i, hs_netaddr_ipv4(1, 1, 1, 1, 1), 0);
		const struct hs_book_entry *e = hs_addrbook_find(&ab, p.id);
		still += e && e->tried;
	}
	CHECK_EQ(still, tried);
	CHECK(hs_addrbook_tried_count(&ab) <= tried + 2 * HS_BOOK_BUCKET_SIZE);
	CHECK(hs_addrbook_check(&ab));
	hs_addrbook_deinit(&ab);
}

/* ---- test-before-evict ------------------------------------------------------------------- */

/* Two records (ids a, b) whose tried slots collide, in a one-tried-bucket book. */
static void colliding_pair(struct hs_addrbook *ab, struct hs_record *a, struct hs_record *b)
{
	uint8_t src[8] = { 4, 9 };
	*a = mkrec(1, hs_netaddr_ipv4(12, 1, 0, 1, 7000), 1);
	for (uint32_t i = 0;; i++) {
		*b = mkrec(2, hs_netaddr_ipv4(13, (uint8_t)(i / 250), (uint8_t)i, 1, 7000), 1);
		if (hs_addrbook_slot(ab, a, src, true, 0) ==
		            hs_addrbook_slot(ab, b, src, true, 0) &&
		    hs_addrbook_slot(ab, a, src, false, 0) !=
		            hs_addrbook_slot(ab, b, src, false, 0))
			return;
	}
}

enum tbe_case { TBE_OLD_ANSWERS, TBE_OLD_FAILS, TBE_NO_TEST, TBE_OLD_CONNECTED };

static void tbe_case(enum tbe_case which)
{
	struct hs_addrbook ab;
	REQUIRE(hs_addrbook_init(&ab, key16, 16) == 0);
	CHECK_EQ(ab.tried_buckets, 1);
	struct hs_record a, b;
	colliding_pair(&ab, &a, &b);
	uint8_t src[8] = { 4, 9 };
	uint64_t now = T0;
	CHECK(hs_addrbook_add(&ab, &a, src, now) == 0);
	CHECK(hs_addrbook_good(&ab, a.id, now));
	now += 5 * 3600 * S; /* a's success is old: it must be tested */
	CHECK(hs_addrbook_add(&ab, &b, src, now) == 0);
	CHECK(!hs_addrbook_good(&ab, b.id, now)); /* collision: b waits in new */
	CHECK(!hs_addrbook_find(&ab, b.id)->tried && hs_addrbook_find(&ab, a.id)->tried);
	CHECK_EQ(ab.ncollisions, 1);
	CHECK(hs_addrbook_collision_to_test(&ab) == hs_addrbook_find(&ab, a.id));
	hs_addrbook_resolve_collisions(&ab, now + S); /* undecided: nothing moves */
	CHECK_EQ(ab.ncollisions, 1);
	now += MIN;
	if (which == TBE_OLD_ANSWERS)
		CHECK(hs_addrbook_good(&ab, a.id, now));
	else if (which == TBE_OLD_FAILS)
		hs_addrbook_failed(&ab, a.id, now);
	else if (which == TBE_OLD_CONNECTED)
		hs_addrbook_find(&ab, a.id)->connected = true;
	else
		now += HS_BOOK_TEST_WINDOW_S * S;
	hs_addrbook_resolve_collisions(&ab, now);
	CHECK_EQ(ab.ncollisions, 0);
	bool b_in = hs_addrbook_find(&ab, b.id)->tried;
	CHECK(b_in == (which == TBE_OLD_FAILS));
	CHECK(hs_addrbook_find(&ab, a.id)->tried == (which != TBE_OLD_FAILS));
	CHECK_EQ(hs_addrbook_count(&ab), 2); /* the loser is back in (or still in) new */
	CHECK_EQ(ab.stats.demoted, which == TBE_OLD_FAILS);
	CHECK(hs_addrbook_check(&ab));
	hs_addrbook_deinit(&ab);
}

static void test_before_evict(void)
{
	tbe_case(TBE_OLD_ANSWERS);
	tbe_case(TBE_OLD_FAILS);
	tbe_case(TBE_NO_TEST);
	tbe_case(TBE_OLD_CONNECTED);
	/* The queue is bounded; a recently reached old entry is kept without a test. */
	struct hs_addrbook ab;
	REQUIRE(hs_addrbook_init(&ab, key16, 16) == 0);
	uint8_t src[8] = { 4, 9 };
	struct hs_record a, b;
	colliding_pair(&ab, &a, &b);
	CHECK(hs_addrbook_add(&ab, &a, src, T0) == 0 && hs_addrbook_good(&ab, a.id, T0));
	CHECK(hs_addrbook_add(&ab, &b, src, T0) == 0 && !hs_addrbook_good(&ab, b.id, T0));
	CHECK(hs_addrbook_collision_to_test(&ab) == NULL); /* a answered within 4 h */
	hs_addrbook_resolve_collisions(&ab, T0 + S);
	CHECK(ab.ncollisions == 0 && hs_addrbook_find(&ab, a.id)->tried);
	hs_addrbook_deinit(&ab);
}

static void test_tried_only_after_success(void)
{
	struct hs_addrbook ab;
	REQUIRE(hs_addrbook_init(&ab, key16, 64) == 0);
	uint8_t src[8] = { 4, 1 };
	struct hs_record a = mkrec(7, hs_netaddr_ipv4(12, 1, 0, 1, 7000), 1);
	CHECK(hs_addrbook_add(&ab, &a, src, T0) == 0);
	CHECK(!hs_addrbook_find(&ab, a.id)->tried);
	hs_addrbook_failed(&ab, a.id, T0);
	CHECK(!hs_addrbook_find(&ab, a.id)->tried && hs_addrbook_find(&ab, a.id)->attempts == 1);
	a.seq = 2;
	CHECK(hs_addrbook_add(&ab, &a, src, T0) == 0); /* a newer record is no success */
	CHECK(!hs_addrbook_find(&ab, a.id)->tried);
	CHECK(hs_addrbook_good(&ab, a.id, T0 + S));
	CHECK(hs_addrbook_find(&ab, a.id)->tried && hs_addrbook_find(&ab, a.id)->attempts == 0);
	/* A record that moved is placed afresh, as new. */
	a.seq = 3;
	a.addrs[0] = hs_netaddr_ipv4(12, 2, 0, 1, 7000);
	CHECK(hs_addrbook_add(&ab, &a, src, T0 + 2 * S) == 0);
	CHECK(!hs_addrbook_find(&ab, a.id)->tried && hs_addrbook_tried_count(&ab) == 0);
	CHECK(hs_addrbook_check(&ab));
	hs_addrbook_deinit(&ab);
}

/* Terrible entries give way; healthy ones do not; a full book refuses. */
static void test_full_and_terrible(void)
{
	struct hs_addrbook ab;
	REQUIRE(hs_addrbook_init(&ab, key16, 4) == 0);
	uint8_t src[8] = { 4, 1 };
	uint64_t now = T0;
	for (uint32_t i = 0; i < 4; i++) {
		struct hs_record r = mkrec(i, hs_netaddr_ipv4(12, (uint8_t)i, 0, 1, 7000), 1);
		CHECK(hs_addrbook_add(&ab, &r, src, now) == 0);
	}
	struct hs_record x = mkrec(9, hs_netaddr_ipv4(12, 9, 0, 1, 7000), 1);
	CHECK(hs_addrbook_add(&ab, &x, src, now) == HS_ERR_FULL);
	CHECK_EQ(hs_addrbook_count(&ab), 4);
	struct hs_record p = mkrec(2, hs_netaddr_ipv4(1, 1, 1, 1, 1), 0);
	for (int k = 0; k < HS_BOOK_RETRIES; k++)
		hs_addrbook_failed(&ab, p.id, now);
	CHECK(!hs_addrbook_is_terrible(hs_addrbook_find(&ab, p.id), now)); /* just tried */
	now += 2 * MIN;
	CHECK(hs_addrbook_is_terrible(hs_addrbook_find(&ab, p.id), now));
	CHECK(hs_addrbook_add(&ab, &x, src, now) == 0);
	CHECK(hs_addrbook_find(&ab, p.id) == NULL && hs_addrbook_find(&ab, x.id) != NULL);
	uint8_t id[HS_KEY_LEN];
	CHECK(hs_addrbook_pop_removed(&ab, id) && memcmp(id, p.id, HS_KEY_LEN) == 0);
	CHECK(hs_addrbook_check(&ab));
	hs_addrbook_deinit(&ab);
	/* A book of 0 holds nothing. */
	REQUIRE(hs_addrbook_init(&ab, key16, 0) == 0);
	CHECK(hs_addrbook_add(&ab, &x, src, now) == HS_ERR_FULL);
	hs_addrbook_deinit(&ab);
}

static void test_stored_form(void)
{
	struct hs_addrbook ab;
	REQUIRE(hs_addrbook_init(&ab, key16, 64) == 0);
	uint8_t src[8] = { 4, 1, 2 };
	struct hs_record a = mkrec(7, hs_netaddr_ipv4(12, 1, 0, 1, 7000), 1);
	CHECK(hs_addrbook_add(&ab, &a, src, T0) == 0);
	hs_addrbook_good(&ab, a.id, T0 + 5 * S);
	hs_addrbook_failed(&ab, a.id, T0 + 6 * S);
	uint8_t enc[HS_RECORD_MAX + HS_BOOK_META_LEN];
	size_t len;
	CHECK(hs_book_value_encode(hs_addrbook_find(&ab, a.id), enc, sizeof(enc), &len) == 0);
	struct hs_record r;
	struct hs_book_meta meta;
	size_t reclen;
	bool has;
	CHECK(hs_book_value_decode(&r, &reclen, &meta, &has, enc, len) == 0);
	CHECK(has && meta.tried && meta.attempts == 1 && meta.last_success_ns == T0 + 5 * S);
	CHECK(reclen == hs_record_encoded_len(&a) && len == reclen + HS_BOOK_META_LEN);
	CHECK_MEM(meta.source_group, src, 8);
	/* Older stores hold the bare record: a new entry. */
	CHECK(hs_book_value_decode(&r, &reclen, &meta, &has, enc, reclen) == 0 && !has);
	/* Trailers that are not exactly the layout are refused. */
	CHECK(hs_book_value_decode(&r, &reclen, &meta, &has, enc, len - 1) == HS_ERR_TRUNCATED);
	enc[reclen] = 2;
	CHECK(hs_book_value_decode(&r, &reclen, &meta, &has, enc, len) == HS_ERR_BAD_VALUE);
	enc[reclen] = 1;
	enc[reclen + 1] = 2;
	CHECK(hs_book_value_decode(&r, &reclen, &meta, &has, enc, len) == HS_ERR_BAD_VALUE);
	/* Loading restores the table. */
	struct hs_addrbook ab2;
	REQUIRE(hs_addrbook_init(&ab2, key16, 64) == 0);
	struct hs_book_meta m2 = { .tried = true, .attempts = 3, .last_success_ns = T0 };
	memcpy(m2.source_group, src, 8);
	CHECK(hs_addrbook_load(&ab2, &a, &m2, T0) == 0);
	CHECK(hs_addrbook_find(&ab2, a.id)->tried && hs_addrbook_find(&ab2, a.id)->attempts == 3);
	CHECK(hs_addrbook_check(&ab2));
	hs_addrbook_deinit(&ab2);
	hs_addrbook_deinit(&ab);
}

/* ---- real cores ------------------------------------------------------------------------ */

#define SAVES_MAX 512

struct saved {
	int kind;
	uint8_t key[64];
	size_t keylen;
	uint8_t value[HS_RECORD_MAX + HS_BOOK_META_LEN];
	size_t valuelen;
};

/* What the test driver keeps of one node: its store (last value per kind and key), its
 * dials. */
struct driver {
	struct saved saves[SAVES_MAX];
	size_t nsaves;
	struct hs_netaddr dials[256];
	size_t ndials;
	bool refuse_dials; /* HS_EV_DIAL fails at once */
};

static struct driver drv[TN_MAX];

static void keep_save(struct driver *d, const struct hs_event *ev)
{
	int kind = ev->save_kind == HS_SAVE_UNRECORD   ? HS_SAVE_RECORD
	           : ev->save_kind == HS_SAVE_UNANCHOR ? HS_SAVE_ANCHOR
	                                               : (int)ev->save_kind;
	size_t i = 0;
	while (i < d->nsaves && !(d->saves[i].kind == kind && d->saves[i].keylen == ev->keylen &&
	                          memcmp(d->saves[i].key, ev->key, ev->keylen) == 0))
		i++;
	if (!ev->value) { /* a deletion */
		if (i < d->nsaves)
			d->saves[i] = d->saves[--d->nsaves];
		return;
	}
	if (i == d->nsaves) {
		if (d->nsaves >= SAVES_MAX || ev->keylen > 64 ||
		    ev->valuelen > sizeof(d->saves[0].value))
			return;
		d->nsaves++;
	}
	struct saved *s = &d->saves[i];
	s->kind = kind;
	memcpy(s->key, ev->key, ev->keylen);
	s->keylen = ev->keylen;
	memcpy(s->value, ev->value, ev->valuelen);
	s->valuelen = ev->valuelen;
}

static int node_at(struct tnet *net, const struct hs_netaddr *a)
{
	for (size_t i = 0; i < net->count; i++)
		if (hs_netaddr_equal(&net->n[i].addr, a))
			return (int)i;
	return -1;
}

static void an_dial(struct tnet *net, int i, const struct hs_netaddr *a)
{
	struct driver *d = &drv[i];
	if (d->ndials < 256)
		d->dials[d->ndials++] = *a;
	int b = node_at(net, a);
	struct tlink *l = NULL;
	for (size_t k = 0; k < TN_LINKS && !l; k++)
		if (!net->links[k].used)
			l = &net->links[k];
	/* The accepting side sees an ephemeral source port, as with TCP. */
	struct hs_netaddr from = net->n[i].addr;
	from.port = (uint16_t)(50000 + i);
	if (b < 0 || d->refuse_dials || !l) {
		hs_node_dial_failed(net->n[i].node, a, net->now);
		return;
	}
	memset(l, 0, sizeof(*l));
	if (hs_node_peer_open(net->n[b].node, &l->pb, true, &from, net->now) != 0) {
		hs_node_dial_failed(net->n[i].node, a, net->now);
		return;
	}
	l->a = i;
	l->b = b;
	REQUIRE(hs_node_peer_open(net->n[i].node, &l->pa, false, a, net->now) == 0);
	l->used = true;
}

/* The harness's event hook: saves are kept as a driver's store would, dials connected. */
static size_t g_unrecords; /* HS_SAVE_UNRECORD events node 0 emitted */

static void an_event(struct tnet *net, int i, const struct hs_event *ev)
{
	if (ev->type == HS_EV_SAVE && i == 0 && ev->save_kind == HS_SAVE_UNRECORD)
		g_unrecords++;
	if (ev->type == HS_EV_SAVE) {
		keep_save(&drv[i], ev);
	} else if (ev->type == HS_EV_DIAL) {
		struct hs_netaddr a = ev->addr;
		an_dial(net, i, &a);
	}
}

/* i dials j now (outbound for i). */
static void an_connect(struct tnet *net, int i, int j)
{
	an_dial(net, i, &net->n[j].addr);
	tn_pump(net);
}

/* Gives node i a signed record of node j (what a getaddr answer would). */
static void teach(struct tnet *net, int i, int j)
{
	uint8_t rec[HS_RECORD_MAX];
	size_t len;
	REQUIRE(hs_node_record(net->n[j].node, rec, sizeof(rec), &len) == 0);
	REQUIRE(hs_node_add_record(net->n[i].node, rec, len, net->now) == 0);
}

static const struct hs_book_entry *entry_of(struct tnet *net, int i, int j)
{
	return hs_addrbook_find(&net->n[i].node->book, hs_identity_pubkey(net->n[j].id));
}

static size_t outbound_to(struct tnet *net, int i, int j)
{
	size_t n = 0;
	const struct hs_node *node = net->n[i].node;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		n += p && p->state == PS_ACTIVE && p->kind == CONN_OUTBOUND &&
		     memcmp(p->id, hs_identity_pubkey(net->n[j].id), HS_KEY_LEN) == 0;
	}
	return n;
}

static size_t outbound_count(struct tnet *net, int i)
{
	size_t n = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = net->n[i].node->peers[s];
		n += p && p->state == PS_ACTIVE && p->kind == CONN_OUTBOUND;
	}
	return n;
}

static void quiet(struct hs_node_config *c)
{
	c->outbound_target = 0;
	c->feeler_interval_ns = 0;
	c->rotate_interval_ns = 0;
}

static size_t g_target = 2;
static void dialler(struct hs_node_config *c)
{
	c->outbound_target = g_target;
	c->feeler_interval_ns = 0;
	c->rotate_interval_ns = 0;
}

static void net_init(struct tnet *net)
{
	memset(net, 0, sizeof(*net));
	memset(drv, 0, sizeof(drv));
	net->now = T0;
	net->on_event = an_event;
}

static void test_node_tried_after_session(void)
{
	static struct tnet net;
	net_init(&net);
	tn_add(&net, "main", quiet);
	tn_add(&net, "main", quiet);
	an_connect(&net, 0, 1);
	CHECK(outbound_to(&net, 0, 1) == 1);
	CHECK(entry_of(&net, 0, 1) && entry_of(&net, 0, 1)->tried);  /* we reached it */
	CHECK(entry_of(&net, 1, 0) && !entry_of(&net, 1, 0)->tried); /* it reached us: new */
	/* The save carries the history. */
	bool saved_tried = false;
	for (size_t k = 0; k < drv[0].nsaves; k++) {
		struct saved *s = &drv[0].saves[k];
		struct hs_record r;
		struct hs_book_meta m;
		size_t rl;
		bool has;
		if (s->kind == HS_SAVE_RECORD &&
		    hs_book_value_decode(&r, &rl, &m, &has, s->value, s->valuelen) == 0 && has &&
		    memcmp(r.id, hs_identity_pubkey(net.n[1].id), HS_KEY_LEN) == 0)
			saved_tried = m.tried;
	}
	CHECK(saved_tried);
	tn_free(&net);
}

/* A hello carrying the record the book already holds, byte for byte, costs no signature
 * check; a newer record is checked again. */
static void test_known_hello_unchecked(void)
{
	static struct tnet net;
	net_init(&net);
	tn_add(&net, "main", quiet);
	tn_add(&net, "main", quiet);
	an_connect(&net, 0, 1);
	REQUIRE(entry_of(&net, 0, 1) && entry_of(&net, 1, 0));
	tn_close_all(&net);
	tn_pump(&net);
	struct hs_node_stats a0, a1, b0, b1;
	hs_node_get_stats(net.n[0].node, &a0);
	hs_node_get_stats(net.n[1].node, &a1);
	an_connect(&net, 0, 1);
	REQUIRE(outbound_to(&net, 0, 1) == 1);
	hs_node_get_stats(net.n[0].node, &b0);
	hs_node_get_stats(net.n[1].node, &b1);
	CHECK_EQ(b0.sig_checks, a0.sig_checks);
	CHECK_EQ(b1.sig_checks, a1.sig_checks);
	/* Node 1 signs a new record (seq + 1): its next hello is checked. */
	tn_close_all(&net);
	tn_pump(&net);
	struct hs_netaddr addrs[2] = { net.n[1].addr, hs_netaddr_ipv4(5, 78, 0, 1, 7000) };
	REQUIRE(hs_node_set_addrs(net.n[1].node, addrs, 2, net.now) == 0);
	hs_node_get_stats(net.n[0].node, &a0);
	an_connect(&net, 0, 1);
	REQUIRE(outbound_to(&net, 0, 1) == 1);
	hs_node_get_stats(net.n[0].node, &b0);
	CHECK(b0.sig_checks > a0.sig_checks);
	tn_free(&net);
}

/* A record of a node we banned, in an addr answer, is dropped before its check. */
static void test_banned_record_dropped(void)
{
	static struct tnet net;
	net_init(&net);
	tn_add(&net, "main", quiet);
	tn_add(&net, "main", quiet);
	tn_add(&net, "main", quiet);
	teach(&net, 1, 2);
	REQUIRE(hs_node_ban(net.n[0].node, HS_BAN_ID, hs_identity_pubkey(net.n[2].id),
	                    net.now + 3600 * S, net.now) == 0);
	struct hs_node_stats before, after;
	hs_node_get_stats(net.n[0].node, &before);
	an_connect(&net, 0, 1);
	hs_node_get_stats(net.n[0].node, &after);
	CHECK(entry_of(&net, 0, 1) != NULL);
	CHECK(entry_of(&net, 0, 2) == NULL);
	CHECK_EQ(after.banned_origin, before.banned_origin + 1);
	CHECK_EQ(after.sig_checks, before.sig_checks + 1); /* 1's hello record only */
	tn_free(&net);
}

static void test_getaddr_limits(void)
{
	static struct tnet net;
	net_init(&net);
	tn_add(&net, "main", quiet); /* 0: answers */
	for (int i = 1; i < 6; i++)
		teach(&net, 0, (int)(tn_add(&net, "main", quiet) - net.n));
	/* Repeated askers, all from one /16 (10.200). */
	int first = (int)net.count;
	while (net.count < TN_MAX) {
		struct tnode *t = tn_add(&net, "main", quiet);
		t->addr = hs_netaddr_ipv4(10, 200, 0, (uint8_t)net.count, 7000);
	}
	struct hs_node_stats st;
	size_t sessions = 0;
	for (int round = 0; round < 2; round++)
		for (int i = first; i < (int)net.count; i++) {
			an_connect(&net, i, 0);
			sessions++;
			tn_close_all(&net);
			tn_pump(&net);
		}
	hs_node_get_stats(net.n[0].node, &st);
	CHECK(sessions > HS_GETADDR_GROUP_MAX);
	CHECK_EQ(st.getaddr_limited, sessions - HS_GETADDR_GROUP_MAX);
	/* A new window answers again. */
	net.now += HS_GETADDR_WINDOW_S * S;
	an_connect(&net, first, 0);
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.getaddr_limited, sessions - HS_GETADDR_GROUP_MAX);
	/* A second getaddr in one session is not answered, and not punished. */
	struct hs_node *node = net.n[0].node;
	struct peer *p = NULL;
	for (unsigned s = 0; s < HS_PEERS_MAX && !p; s++)
		if (node->peers[s] && node->peers[s]->state == PS_ACTIVE)
			p = node->peers[s];
	REQUIRE(p != NULL);
	struct hs_msg m = { .type = HS_MSG_GETADDR };
	hs_connect_on_msg(node, p, &m, net.now);
	hs_node_get_stats(node, &st);
	CHECK_EQ(st.getaddr_limited, sessions - HS_GETADDR_GROUP_MAX + 1);
	CHECK_EQ(p->faults, 0);
	/* An answer is a sample without the asker, tried first. */
	struct hs_record out[HS_ADDR_MAX];
	struct test_rng r;
	test_rng_seed(&r, 5);
	size_t k = hs_addrbook_sample(&node->book, out, HS_ADDR_MAX, p->id, rnd, &r, net.now);
	CHECK(k > 0);
	for (size_t i = 0; i < k; i++)
		CHECK(memcmp(out[i].id, p->id, HS_KEY_LEN) != 0);
	tn_free(&net);
}

/* Builds the node of slot i again from its keys, as a restart does. */
static void restart(struct tnet *net, int i, void (*edit)(struct hs_node_config *))
{
	struct tnode *t = &net->n[i];
	for (size_t k = 0; k < TN_LINKS; k++)
		if (net->links[k].used && !net->links[k].closed &&
		    (net->links[k].a == i || net->links[k].b == i))
			tn_close_link(net, &net->links[k]);
	tn_pump(net);
	hs_node_del(t->node);
	struct hs_node_config cfg;
	hs_node_config_default(&cfg);
	cfg.network = "main";
	cfg.generation = 2;
	memcpy(cfg.identity, hs_identity_pubkey(t->id), 32);
	cfg.crypto = t->crypto;
	cfg.noise_static = t->noise;
	uint8_t b[32] = { 7 };
	REQUIRE(hs_handshake_prove(t->crypto, t->id, "main", t->noise, b, cfg.noise_proof) == 0);
	cfg.naddrs = 1;
	cfg.addrs[0] = t->addr;
	edit(&cfg);
	struct hs_caps caps = {
		.ctx = t, .random = tn_random, .sign = tn_sign, .verify = tn_verify
	};
	REQUIRE(hs_node_new(&t->node, &cfg, &caps, net->now) == 0);
}

static size_t count_saved(int i, int kind)
{
	size_t n = 0;
	for (size_t k = 0; k < drv[i].nsaves; k++)
		n += drv[i].saves[k].kind == kind;
	return n;
}

/* What a driver does at start: hands the node its saved values of one kind back. */
static size_t load_saved(struct tnet *net, int i, int kind)
{
	size_t ok = 0;
	for (size_t k = 0; k < drv[i].nsaves; k++) {
		const struct saved *s = &drv[i].saves[k];
		if (s->kind == HS_SAVE_RECORD && kind == HS_SAVE_RECORD)
			ok += hs_node_add_record(net->n[i].node, s->value, s->valuelen, net->now) ==
			      0;
		if (s->kind == HS_SAVE_ANCHOR && kind == HS_SAVE_ANCHOR)
			ok += hs_node_add_anchor(net->n[i].node, s->value, s->valuelen, net->now) ==
			      0;
	}
	return ok;
}

static size_t g_book_max = 8;
static void small_book(struct hs_node_config *c)
{
	quiet(c);
	c->addrbook_max = g_book_max;
}

/* The driver's store mirrors the book: however the book learns records (sessions, getaddr
 * answers, the store at start) and whatever it evicts to stay within addrbook_max, the saved
 * records never outnumber the bound and are exactly the book's entries. */
static void check_mirror(struct tnet *net, int i, const char *when)
{
	const struct hs_addrbook *ab = &net->n[i].node->book;
	size_t saved = count_saved(i, HS_SAVE_RECORD), stale = 0;
	for (size_t k = 0; k < drv[i].nsaves; k++)
		if (drv[i].saves[k].kind == HS_SAVE_RECORD &&
		    !hs_addrbook_find((struct hs_addrbook *)ab, drv[i].saves[k].key))
			stale++;
	if (saved > g_book_max || stale != 0 || saved != hs_addrbook_count(ab))
		fprintf(stderr, "%s: %zu saved, %zu stale, book %zu, bound %zu\n", when, saved,
		        stale, hs_addrbook_count(ab), g_book_max);
	CHECK(saved <= g_book_max);
	CHECK_EQ(stale, 0);
	CHECK_EQ(saved, hs_addrbook_count(ab));
}

static void test_store_mirrors_book(void)
{
	static struct tnet net;
	net_init(&net);
	g_unrecords = 0;
	tn_add(&net, "main", small_book); /* 0: the node whose store is watched */
	tn_add(&net, "main", quiet);      /* 1: knows everyone, answers getaddr */
	while (net.count < TN_MAX) {
		int j = (int)(tn_add(&net, "main", quiet) - net.n);
		teach(&net, 1, j);
	}
	/* A getaddr answer with more records than the book holds. */
	an_connect(&net, 0, 1);
	tn_advance(&net, 2 * S);
	check_mirror(&net, 0, "after a getaddr answer");
	/* Dials to the book's entries fail until each has failed three times: terrible, so a
	 * new record may take its place. */
	REQUIRE(hs_addrbook_count(&net.n[0].node->book) == g_book_max);
	drv[0].refuse_dials = true;
	net.n[0].node->cfg.outbound_target = 2;
	for (int step = 0; step < 60; step++) {
		tn_advance(&net, 60 * S);
		check_mirror(&net, 0, "while dials fail");
	}
	net.n[0].node->cfg.outbound_target = 0;
	drv[0].refuse_dials = false;
	/* A second getaddr answer: its records replace the terrible entries. */
	tn_close_all(&net);
	tn_pump(&net);
	an_connect(&net, 0, 1);
	tn_advance(&net, 2 * S);
	check_mirror(&net, 0, "after a second getaddr answer");
	/* Sessions with every node: each is saved (tried), evicting others. */
	for (int j = 2; j < (int)net.count; j++) {
		an_connect(&net, 0, j);
		tn_advance(&net, S);
		check_mirror(&net, 0, "after a session");
	}
	/* A restart that loads the store into the book, then learns again. */
	restart(&net, 0, small_book);
	load_saved(&net, 0, HS_SAVE_RECORD);
	tn_pump(&net);
	check_mirror(&net, 0, "after a restart");
	an_connect(&net, 0, 1);
	tn_advance(&net, 2 * S);
	check_mirror(&net, 0, "after a getaddr answer, restarted");
	/* The bound was reached and the book evicted: the deletions are what kept the mirror. */
	CHECK_EQ(hs_addrbook_count(&net.n[0].node->book), g_book_max);
	CHECK(g_unrecords > 0);
	tn_free(&net);
}

static void test_anchors(void)
{
	static struct tnet net;
	net_init(&net);
	g_target = 3;
	tn_add(&net, "main", dialler); /* 0: the victim */
	for (int i = 1; i <= 4; i++) {
		tn_add(&net, "main", quiet);
		teach(&net, 0, i);
	}
	tn_advance(&net, 5 * S);
	CHECK_EQ(outbound_count(&net, 0), 3);
	/* Two anchors saved, both outbound peers now. */
	size_t anchors = 0, anchors_outbound = 0;
	struct hs_netaddr anchor_addr[HS_ANCHORS_MAX];
	for (size_t k = 0; k < drv[0].nsaves; k++) {
		struct saved *s = &drv[0].saves[k];
		if (s->kind != HS_SAVE_ANCHOR)
			continue;
		struct hs_record r;
		CHECK(hs_record_decode(&r, s->value, s->valuelen) == 0);
		for (int j = 1; j <= 4; j++)
			if (memcmp(r.id, hs_identity_pubkey(net.n[j].id), HS_KEY_LEN) == 0) {
				anchors_outbound += outbound_to(&net, 0, j);
				if (anchors < HS_ANCHORS_MAX)
					anchor_addr[anchors] = r.addrs[0];
			}
		anchors++;
	}
	CHECK_EQ(anchors, HS_ANCHORS_MAX);
	CHECK_EQ(anchors_outbound, HS_ANCHORS_MAX);
	/* Shutdown keeps them. */
	hs_node_shutdown(net.n[0].node, net.now);
	tn_pump(&net);
	CHECK_EQ(count_saved(0, HS_SAVE_ANCHOR), HS_ANCHORS_MAX);
	/* Restart: the store is loaded (records, then anchors); the anchors are the first dials,
	 * and the book kept what it knew, tried included. */
	restart(&net, 0, dialler);
	CHECK_EQ(load_saved(&net, 0, HS_SAVE_RECORD),
	         3); /* the three it reached (teach() loads, it does not save) */
	CHECK(hs_addrbook_tried_count(&net.n[0].node->book) == 3);
	CHECK_EQ(load_saved(&net, 0, HS_SAVE_ANCHOR), HS_ANCHORS_MAX);
	drv[0].ndials = 0;
	tn_advance(&net, 1);
	CHECK(drv[0].ndials >= HS_ANCHORS_MAX);
	for (size_t a = 0; a < HS_ANCHORS_MAX && drv[0].ndials >= HS_ANCHORS_MAX; a++) {
		bool first = false;
		for (size_t d = 0; d < HS_ANCHORS_MAX; d++)
			first |= hs_netaddr_equal(&drv[0].dials[d], &anchor_addr[a]);
		CHECK(first);
	}
	struct hs_node_stats st;
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.anchors_dialled, HS_ANCHORS_MAX);
	tn_advance(&net, 5 * S);
	for (size_t a = 0; a < HS_ANCHORS_MAX; a++)
		CHECK_EQ(outbound_to(&net, 0, node_at(&net, &anchor_addr[a])), 1);
	/* An anchor that cannot be reached after a restart is dropped from the store. */
	hs_node_shutdown(net.n[0].node, net.now);
	tn_pump(&net);
	CHECK_EQ(count_saved(0, HS_SAVE_ANCHOR), HS_ANCHORS_MAX);
	restart(&net, 0, dialler);
	drv[0].refuse_dials = true;
	CHECK_EQ(load_saved(&net, 0, HS_SAVE_ANCHOR), HS_ANCHORS_MAX);
	tn_advance(&net, 1);
	CHECK_EQ(count_saved(0, HS_SAVE_ANCHOR), 0);
	tn_free(&net);
}

static bool saved_anchor(int i, const uint8_t id[HS_KEY_LEN])
{
	for (size_t k = 0; k < drv[i].nsaves; k++)
		if (drv[i].saves[k].kind == HS_SAVE_ANCHOR &&
		    memcmp(drv[i].saves[k].key, id, HS_KEY_LEN) == 0)
			return true;
	return false;
}

/* An anchor whose session ends (not at shutdown) is replaced by another outbound peer. */
static void test_anchor_replaced(void)
{
	static struct tnet net;
	net_init(&net);
	g_target = 3;
	tn_add(&net, "main", dialler);
	for (int i = 1; i <= 3; i++) {
		tn_add(&net, "main", quiet);
		teach(&net, 0, i);
	}
	tn_advance(&net, 5 * S);
	REQUIRE(outbound_count(&net, 0) == 3 && count_saved(0, HS_SAVE_ANCHOR) == HS_ANCHORS_MAX);
	int gone = 0, spare = 0;
	for (int i = 1; i <= 3; i++) {
		if (saved_anchor(0, hs_identity_pubkey(net.n[i].id)))
			gone = gone ? gone : i;
		else
			spare = i;
	}
	REQUIRE(gone && spare);
	for (size_t k = 0; k < TN_LINKS; k++) {
		struct tlink *l = &net.links[k];
		if (l->used && !l->closed && l->a == 0 && l->b == gone)
			tn_close_link(&net, l);
	}
	tn_pump(&net);
	CHECK(!saved_anchor(0, hs_identity_pubkey(net.n[gone].id)));
	CHECK(saved_anchor(0, hs_identity_pubkey(net.n[spare].id)));
	CHECK_EQ(count_saved(0, HS_SAVE_ANCHOR), HS_ANCHORS_MAX);
	tn_free(&net);
}

static void test_one_outbound_per_group(void)
{
	static struct tnet net;
	net_init(&net);
	g_target = 6;
	tn_add(&net, "main", dialler);
	/* Six nodes in two /16s (10.50 and 10.51), and one alone. */
	for (int i = 1; i <= 7; i++) {
		struct tnode *t = tn_add(&net, "main", quiet);
		t->addr = hs_netaddr_ipv4(10, (uint8_t)(i == 7 ? 60 : 50 + i % 2), 0, (uint8_t)i,
		                          7000);
	}
	/* Records naming those addresses: the nodes re-sign with them. */
	for (int i = 1; i <= 7; i++) {
		restart(&net, i, quiet);
		teach(&net, 0, i);
	}
	for (int step = 0; step < 40; step++) {
		tn_advance(&net, 500 * HS_NS_PER_MS);
		/* Never two outbound sessions or dials in one group, at any moment. */
		const struct hs_node *node = net.n[0].node;
		for (unsigned s = 0; s < HS_PEERS_MAX; s++)
			for (unsigned u = s + 1; u < HS_PEERS_MAX; u++) {
				const struct peer *p = node->peers[s], *q = node->peers[u];
				if (p && q && p->kind == CONN_OUTBOUND &&
				    q->kind == CONN_OUTBOUND && p->state != PS_CLOSING &&
				    q->state != PS_CLOSING)
					CHECK(!hs_netaddr_same_group(&p->addr, &q->addr));
			}
		for (size_t d = 0; d < node->ndials; d++)
			for (unsigned s = 0; s < HS_PEERS_MAX; s++)
				if (node->peers[s] && node->peers[s]->kind == CONN_OUTBOUND)
					CHECK(!hs_netaddr_same_group(&node->peers[s]->addr,
					                             &node->dials[d].addr));
	}
	CHECK_EQ(outbound_count(&net, 0), 3); /* one per group */
	tn_free(&net);
}

static void rotator(struct hs_node_config *c)
{
	c->outbound_target = 2;
	c->feeler_interval_ns = 0;
	c->rotate_interval_ns = 60 * S;
}

static void rotation_case(bool worst_scores_well)
{
	static struct tnet net;
	net_init(&net);
	tn_add(&net, "main", rotator);
	for (int i = 1; i <= 2; i++) {
		tn_add(&net, "main", quiet);
		teach(&net, 0, i);
	}
	tn_advance(&net, 5 * S);
	CHECK_EQ(outbound_count(&net, 0), 2);
	tn_add(&net, "main", quiet); /* 3: the candidate */
	teach(&net, 0, 3);
	if (worst_scores_well)
		for (int i = 1; i <= 2; i++)
			CHECK(hs_scores_add(&net.n[0].node->scores, hs_identity_pubkey(net.n[i].id),
			                    HS_SCORE_DELIVERED, net.now, NULL) == 0);
	tn_advance(&net, 61 * S);
	struct hs_node_stats st;
	hs_node_get_stats(net.n[0].node, &st);
	CHECK_EQ(st.feelers, 1);
	CHECK_EQ(st.rotations, worst_scores_well ? 0 : 1);
	CHECK_EQ(outbound_to(&net, 0, 3), worst_scores_well ? 0 : 1);
	tn_advance(&net, 10 * S); /* the candidate that did not replace anyone has left */
	CHECK_EQ(outbound_count(&net, 0), 2);
	CHECK_EQ(outbound_to(&net, 0, 3), worst_scores_well ? 0 : 1);
	CHECK(entry_of(&net, 0, 3)->tried); /* tested either way */
	tn_free(&net);
}

static void test_rotation(void)
{
	rotation_case(false);
	rotation_case(true);
}

static void test_no_redial(void)
{
	static struct tnet net;
	net_init(&net);
	g_target = 4;
	tn_add(&net, "main", dialler); /* 0 */
	tn_add(&net, "main", quiet);   /* 1 dials 0 */
	an_connect(&net, 1, 0);
	CHECK(entry_of(&net, 0, 1) != NULL); /* learned from its hello */
	/* 1 is in 0's book and a manual peer of 0: still never dialled while connected. */
	CHECK(hs_node_add_peer(net.n[0].node, &net.n[1].addr, net.now) == 0);
	tn_advance(&net, 120 * S);
	size_t dials = 0;
	for (size_t d = 0; d < drv[0].ndials; d++)
		dials += hs_netaddr_equal(&drv[0].dials[d], &net.n[1].addr);
	CHECK_EQ(dials, 0);
	CHECK_EQ(net.n[1].closes + net.n[0].closes, 0);
	/* Once the session is gone, the manual peer is dialled again. */
	tn_close_all(&net);
	tn_advance(&net, 5 * S);
	dials = 0;
	for (size_t d = 0; d < drv[0].ndials; d++)
		dials += hs_netaddr_equal(&drv[0].dials[d], &net.n[1].addr);
	CHECK(dials >= 1);
	tn_free(&net);
}

static void feeler_only(struct hs_node_config *c)
{
	c->outbound_target = 0; /* "full": feelers run */
	c->feeler_interval_ns = 120 * S;
	c->rotate_interval_ns = 0;
}

static bool saved_tried(int i, const uint8_t id[HS_KEY_LEN])
{
	for (size_t k = 0; k < drv[i].nsaves; k++) {
		const struct saved *s = &drv[i].saves[k];
		struct hs_record r;
		struct hs_book_meta m;
		size_t rl;
		bool has;
		if (s->kind == HS_SAVE_RECORD &&
		    hs_book_value_decode(&r, &rl, &m, &has, s->value, s->valuelen) == 0 &&
		    memcmp(r.id, id, HS_KEY_LEN) == 0)
			return m.tried;
	}
	return false;
}

/* A session with B collides with A's tried slot; the feeler tests A first. */
static void collision_case(bool old_answers)
{
	static struct tnet net;
	net_init(&net);
	tn_add(&net, "main", feeler_only); /* 0: V */
	tn_add(&net, "main", quiet);       /* 1: A, the tried entry */
	tn_add(&net, "main", quiet);       /* 2: B, the newcomer */
	net.n[1].addr = hs_netaddr_ipv4(10, 77, 0, 1, 7000);
	restart(&net, 1, quiet);
	an_connect(&net, 0, 1);
	struct hs_addrbook *ab = &net.n[0].node->book;
	const uint8_t *a_id = hs_identity_pubkey(net.n[1].id),
	              *b_id = hs_identity_pubkey(net.n[2].id);
	REQUIRE(hs_addrbook_find(ab, a_id) && hs_addrbook_find(ab, a_id)->tried);
	/* B at an address of A's group whose tried slot is A's (under V's secret key). */
	struct hs_record a_rec = hs_addrbook_find(ab, a_id)->rec, cand = a_rec;
	uint8_t src[8];
	for (uint16_t port = 7001;; port++) {
		cand.addrs[0] = hs_netaddr_ipv4(10, 77, 0, 2, port);
		group_of(cand.addrs[0], src);
		if (hs_addrbook_slot(ab, &cand, src, true, 0) ==
		    hs_addrbook_slot(ab, &a_rec, src, true, 0))
			break;
	}
	net.n[2].addr = cand.addrs[0];
	restart(&net, 2, quiet);
	tn_close_all(&net);
	tn_pump(&net);
	net.now += 5 * 3600 * S; /* A's success is old now; no timer has run */
	an_connect(&net, 0, 2);
	CHECK(!hs_addrbook_find(ab, b_id)->tried && ab->ncollisions == 1);
	CHECK(hs_addrbook_collision_to_test(ab) == hs_addrbook_find(ab, a_id));
	tn_add(&net, "main", quiet); /* 3: a new entry a feeler would otherwise prefer */
	teach(&net, 0, 3);
	drv[0].refuse_dials = !old_answers;
	drv[0].ndials = 0;
	tn_advance(&net,
	           60 * S); /* the feeler is due: it visits A, then the collision is decided */
	CHECK(drv[0].ndials >= 1 && hs_netaddr_equal(&drv[0].dials[0], &a_rec.addrs[0]));
	CHECK_EQ(ab->ncollisions, 0);
	CHECK(hs_addrbook_find(ab, a_id)->tried == old_answers);
	CHECK(hs_addrbook_find(ab, b_id)->tried == !old_answers);
	CHECK(saved_tried(0, a_id) == old_answers && saved_tried(0, b_id) == !old_answers);
	CHECK_EQ(ab->stats.demoted, !old_answers);
	tn_free(&net);
}

static void test_node_collision_feeler(void)
{
	collision_case(false);
	collision_case(true);
}

int main(void)
{
	RUN(test_model);
	RUN(test_bucket_follows_source);
	RUN(test_small_network_fits);
	RUN(test_removed_overflow_counted);
	RUN(test_source_groups);
	RUN(test_before_evict);
	RUN(test_tried_only_after_success);
	RUN(test_full_and_terrible);
	RUN(test_stored_form);
	RUN(test_node_tried_after_session);
	RUN(test_known_hello_unchecked);
	RUN(test_banned_record_dropped);
	RUN(test_getaddr_limits);
	RUN(test_store_mirrors_book);
	RUN(test_anchors);
	RUN(test_anchor_replaced);
	RUN(test_one_outbound_per_group);
	RUN(test_rotation);
	RUN(test_no_redial);
	RUN(test_node_collision_feeler);
	return hs_test_done();
}

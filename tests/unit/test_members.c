/*
 * overlay/members.c against a deliberately naive model: an unordered list of members, searched
 * linearly. The contract (members.h): a heartbeat of an unknown node adds it alive when it is
 * fresh and not a leave (else nothing); a known member's heartbeat counts only when its
 * (generation, version) is higher: a leave makes it left, a fresh heartbeat alive again (and
 * refreshes its last progress), a stale one of a newer generation turns a left member dead;
 * aging makes an alive member suspect after suspect x interval without progress and dead after
 * dead x interval, and forgets dead and left members reap after their change; ourselves never
 * age. A full table evicts by left, dead, suspect, alive, the oldest change first.
 *
 * Random heard/age sequences from fixed seeds, with a table of 8 over a pool of 20 ids; after
 * every operation the table must agree with the model on the change reported and on every
 * member's fields. An eviction may pick any of the members tied for worst.
 * A failure prints the seed; HS_TEST_SEED=<seed> replays it alone.
 */
#include <stdbool.h>
#include <string.h>

#define MODEL_NAME "members"
#include "harness.h"
#include "model.h"
#include "overlay/members.h"
#include "testrng.h"

#define POOL 20
#define MAX  8
#define SUSP 3
#define DEAD 6
#define REAP 5000
#define SELF 0 /* pool index of ourselves */

struct mm {
	bool used;
	uint64_t gen, hb, iv, first, last, since;
	uint8_t status;
};

struct model {
	uint8_t ids[POOL][HS_KEY_LEN];
	struct mm m[POOL];
	size_t count;
	unsigned changes[7]; /* reported by age, by kind */
};

static bool newer(uint64_t g1, uint64_t v1, uint64_t g2, uint64_t v2)
{
	return g1 > g2 || (g1 == g2 && v1 > v2);
}

static int rank(const struct mm *m)
{
	return m->status == HS_MEMBER_LEFT      ? 0
	       : m->status == HS_MEMBER_DEAD    ? 1
	       : m->status == HS_MEMBER_SUSPECT ? 2
	                                        : 3;
}

/* The eviction key: smaller is evicted first. */
static uint64_t key_of(const struct mm *m)
{
	uint64_t t = m->status == HS_MEMBER_ALIVE ? m->last : m->since;
	return ((uint64_t)rank(m) << 60) | t;
}

static enum hs_member_change model_heard(struct model *md, size_t id, uint64_t g, uint64_t v,
                                         bool left, bool fresh, uint64_t iv, uint64_t now)
{
	struct mm *m = &md->m[id];
	if (!m->used) {
		if (left || !fresh)
			return HS_MEMBER_NONE;
		*m = (struct mm){ .used = true,
			          .gen = g,
			          .hb = v,
			          .iv = iv,
			          .first = now,
			          .last = now,
			          .since = now,
			          .status = HS_MEMBER_ALIVE };
		md->count++;
		return HS_MEMBER_JOINED;
	}
	if (!newer(g, v, m->gen, m->hb))
		return HS_MEMBER_NONE;
	bool restarted = g > m->gen;
	m->gen = g;
	m->hb = v;
	if (left) {
		if (m->status == HS_MEMBER_LEFT)
			return HS_MEMBER_NONE;
		m->status = HS_MEMBER_LEFT;
		m->since = now;
		return HS_MEMBER_DEPARTED;
	}
	if (!fresh) {
		if (restarted && m->status == HS_MEMBER_LEFT) {
			m->status = HS_MEMBER_DEAD;
			m->since = now;
		}
		return HS_MEMBER_NONE;
	}
	m->last = now;
	m->iv = iv;
	if (m->status == HS_MEMBER_ALIVE)
		return HS_MEMBER_NONE;
	m->status = HS_MEMBER_ALIVE;
	m->since = now;
	return HS_MEMBER_RECOVERED;
}

static void model_age(struct model *md, uint64_t now)
{
	for (size_t i = 0; i < POOL; i++) {
		struct mm *m = &md->m[i];
		if (!m->used || i == SELF)
			continue;
		if (m->status == HS_MEMBER_ALIVE && now - m->last >= SUSP * m->iv) {
			m->status = HS_MEMBER_SUSPECT;
			m->since = now;
			md->changes[HS_MEMBER_SUSPECTED]++;
		}
		if (m->status == HS_MEMBER_SUSPECT && now - m->last >= DEAD * m->iv) {
			m->status = HS_MEMBER_DEAD;
			m->since = now;
			md->changes[HS_MEMBER_FAILED]++;
		}
		if ((m->status == HS_MEMBER_DEAD || m->status == HS_MEMBER_LEFT) &&
		    now - m->since >= REAP) {
			m->used = false;
			md->count--;
		}
	}
}

static unsigned g_seen[7];

static void on_change(void *ctx, const struct hs_member *m, enum hs_member_change c)
{
	(void)ctx;
	(void)m;
	g_seen[c]++;
}

static bool agree(const struct hs_members *t, const struct model *md)
{
	EXPECT(hs_members_check(t));
	EXPECT(t->count == md->count);
	for (size_t i = 0; i < POOL; i++) {
		const struct hs_member *m = hs_members_get(t, md->ids[i]);
		const struct mm *x = &md->m[i];
		EXPECT((m != NULL) == x->used);
		if (!m)
			continue;
		EXPECT(m->generation == x->gen && m->heartbeat == x->hb);
		EXPECT(m->interval_ns == x->iv && m->status == x->status);
		EXPECT(m->first_seen_ns == x->first && m->last_seen_ns == x->last);
		EXPECT(m->status_ns == x->since);
	}
	return true;
}

static bool run(uint64_t seed, int ops)
{
	g_seed = seed;
	g_op = -1;
	struct test_rng r;
	test_rng_seed(&r, seed);
	struct model md;
	memset(&md, 0, sizeof(md));
	memset(g_seen, 0, sizeof(g_seen));
	for (size_t i = 0; i < POOL; i++) {
		test_rng_bytes(&r, md.ids[i], HS_KEY_LEN);
		md.ids[i][0] = (uint8_t)i; /* distinct */
	}
	uint8_t secret[16] = { 7 };
	struct hs_members t;
	hs_members_init(&t, secret, md.ids[SELF], MAX);
	uint64_t now = 1000;
	bool ok = true;
	for (g_op = 0; ok && g_op < ops; g_op++) {
		now += 1 + test_rng_below(&r, test_rng_below(&r, 4) == 0 ? 400 : 20);
		if (test_rng_below(&r, 4) == 0) {
			hs_members_age(&t, now, SUSP, DEAD, REAP, on_change, NULL);
			model_age(&md, now);
			ok = ok && agree(&t, &md);
			for (int c = 0; ok && c < 7; c++)
				if (g_seen[c] != md.changes[c]) {
					fprintf(stderr,
					        "members model: seed %" PRIu64 " op %d: change %d "
					        "reported %u times, model %u\n",
					        seed, g_op, c, g_seen[c], md.changes[c]);
					ok = false;
				}
			continue;
		}
		size_t id = test_rng_below(&r, POOL);
		const struct mm *x = &md.m[id];
		uint64_t g = x->used ? x->gen : 1, v = x->used ? x->hb : 0;
		switch (test_rng_below(&r, 5)) {
		case 0:
			g++, v = test_rng_below(&r, 3);
			break; /* a restart */
		case 1:
			v = v > 0 ? v - test_rng_below(&r, 2) : v;
			break; /* old or the same */
		default:
			v += 1 + test_rng_below(&r, 2);
			break;
		}
		bool left = test_rng_below(&r, 8) == 0, fresh = test_rng_below(&r, 6) != 0;
		uint64_t iv = 10 + 10 * test_rng_below(&r, 5);
		/* Who the table holds before, to find an eviction. */
		bool held[POOL];
		for (size_t i = 0; i < POOL; i++)
			held[i] = md.m[i].used;
		const struct hs_member *got;
		enum hs_member_change c =
		        hs_members_heard(&t, md.ids[id], g, v, left, fresh, iv, now, &got);
		if (!md.m[id].used && !left && fresh && md.count == MAX) {
			/* The table evicts one of the members tied for worst (never ourselves). */
			uint64_t worst = UINT64_MAX;
			for (size_t i = 0; i < POOL; i++)
				if (held[i] && i != SELF && key_of(&md.m[i]) < worst)
					worst = key_of(&md.m[i]);
			size_t gone = POOL;
			for (size_t i = 0; i < POOL; i++)
				if (held[i] && !hs_members_get(&t, md.ids[i]))
					gone = i;
			if (gone == POOL || gone == SELF || key_of(&md.m[gone]) != worst) {
				fprintf(stderr,
				        "members model: seed %" PRIu64 " op %d: bad eviction\n",
				        seed, g_op);
				ok = false;
				break;
			}
			md.m[gone].used = false;
			md.count--;
		}
		enum hs_member_change want = model_heard(&md, id, g, v, left, fresh, iv, now);
		if (c != want || (c == HS_MEMBER_JOINED && !got)) {
			fprintf(stderr,
			        "members model: seed %" PRIu64 " op %d: change %d, model %d\n",
			        seed, g_op, (int)c, (int)want);
			ok = false;
		}
		ok = ok && agree(&t, &md);
	}
	hs_members_deinit(&t);
	if (!ok)
		fprintf(stderr,
		        "members model: seed %" PRIu64 " (HS_TEST_SEED=%" PRIu64 ") fails\n", seed,
		        seed);
	return ok;
}

static void test_model(void)
{
	model_seeds(run, 0x6d656d6200000000u, 24, 4000); /* "memb" */
}

/* The table never grows past its bound, and counts what it forgets. */
static void test_bounded(void)
{
	uint8_t secret[16] = { 1 }, self[HS_KEY_LEN] = { 0xee }, id[HS_KEY_LEN] = { 0 };
	struct hs_members t;
	hs_members_init(&t, secret, self, 4);
	CHECK_EQ(hs_members_heard(&t, self, 1, 1, false, true, 10, 1, NULL), HS_MEMBER_JOINED);
	for (unsigned i = 1; i <= 10; i++) {
		id[0] = (uint8_t)i;
		CHECK_EQ(hs_members_heard(&t, id, 1, 1, false, true, 10, 1 + i, NULL),
		         HS_MEMBER_JOINED);
		CHECK(t.count <= 4);
	}
	CHECK_EQ(t.count, 4);
	CHECK_EQ(t.evicted, 7);
	CHECK(hs_members_get(&t, self) != NULL); /* never ourselves */
	size_t counts[5];
	hs_members_count(&t, counts);
	CHECK_EQ(counts[0], 4);
	CHECK_EQ(counts[HS_MEMBER_ALIVE], 4);
	/* Ourselves never age; everyone else is dead after 6 intervals, reaped after reap. */
	hs_members_age(&t, 1000, 3, 6, 100, NULL, NULL);
	hs_members_count(&t, counts);
	CHECK_EQ(counts[HS_MEMBER_ALIVE], 1);
	CHECK_EQ(counts[HS_MEMBER_DEAD], 3);
	hs_members_age(&t, 1100, 3, 6, 100, NULL, NULL);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(t.reaped, 3);
	CHECK(hs_members_check(&t));
	hs_members_deinit(&t);
}

int main(void)
{
	RUN(test_model);
	RUN(test_bounded);
	return hs_test_done();
}

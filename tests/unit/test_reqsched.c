/*
 * overlay/reqsched.c against a deliberately naive model ("horrible_reqsched"), plus directed
 * tests of each rule in reqsched.h.
 *
 * The model is a flat array of announcements that implements the specification literally,
 * by scanning everything on every question. Random operation sequences over small peer and
 * id spaces (so limits and collisions are hit all the time) drive both, and after every
 * operation the two must agree on every result: announce codes, the (peer, id) requests and
 * their order, timeout counts, next_deadline, every introspection function; and
 * hs_reqsched_check() must hold. Each sequence has a fixed seed derived from a base seed; a
 * failure prints it, and HS_TEST_SEED=<seed> replays that sequence alone
 * (HS_TEST_VERBOSE=1 also prints each operation).
 */
#include "harness.h"
#include "overlay/reqsched.h"

#include <stdbool.h>

/* ---- a local PRNG (splitmix64): fixed seeds, same sequence everywhere ------------------ */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in 0..n-1 (n > 0); the modulo bias is irrelevant for a test. */
static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(rng_next() % n);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* Id number n as 32 bytes: the number in the first four, a pattern in the rest. */
static void make_id(uint8_t id[HS_ID_LEN], uint32_t n)
{
	for (size_t i = 0; i < HS_ID_LEN; i++)
		id[i] = (uint8_t)(0xa5 ^ (n * 7 + i));
	memcpy(id, &n, sizeof(n));
}

static const uint8_t test_key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* ---- horrible_reqsched: the specification, by brute force --------------------------------- */

enum { M_CANDIDATE, M_REQUESTED, M_FAILED };
#define M_ANNS_MAX 512

struct mann {
	uint32_t peer, id;
	uint64_t reqtime, expiry, seq;
	int state;
};

struct model {
	struct mann a[M_ANNS_MAX];
	size_t n;
	uint64_t now, seq;
	size_t announced_max, inflight_max, announcers_max;
	uint64_t timeout;
};

static void m_remove(struct model *m, size_t i)
{
	memmove(&m->a[i], &m->a[i + 1], (m->n - i - 1) * sizeof(m->a[0]));
	m->n--;
}

static long m_find(const struct model *m, uint32_t peer, uint32_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->a[i].peer == peer && m->a[i].id == id)
			return (long)i;
	return -1;
}

static size_t m_peer_count(const struct model *m, uint32_t peer)
{
	size_t c = 0;
	for (size_t i = 0; i < m->n; i++)
		c += m->a[i].peer == peer;
	return c;
}

static size_t m_inflight(const struct model *m, uint32_t peer)
{
	size_t c = 0;
	for (size_t i = 0; i < m->n; i++)
		c += m->a[i].peer == peer && m->a[i].state == M_REQUESTED;
	return c;
}

static size_t m_id_count(const struct model *m, uint32_t id, int state)
{
	size_t c = 0;
	for (size_t i = 0; i < m->n; i++)
		c += m->a[i].id == id && (state < 0 || m->a[i].state == state);
	return c;
}

/* Every id whose remaining announcements are all FAILED is forgotten. */
static void m_cleanup(struct model *m)
{
	for (size_t i = 0; i < m->n;) {
		uint32_t id = m->a[i].id;
		if (m_id_count(m, id, M_FAILED) != m_id_count(m, id, -1)) {
			i++;
			continue;
		}
		for (size_t j = m->n; j-- > 0;)
			if (m->a[j].id == id)
				m_remove(m, j);
		i = 0;
	}
}

static int m_announce(struct model *m, uint32_t peer, uint32_t id, uint64_t reqtime)
{
	if (peer >= HS_PEERS_MAX)
		return HS_ERR_INVALID;
	if (m_find(m, peer, id) >= 0)
		return 0;
	if (m_peer_count(m, peer) >= m->announced_max || m_id_count(m, id, -1) >= m->announcers_max)
		return HS_ERR_FULL;
	REQUIRE(m->n < M_ANNS_MAX);
	m->a[m->n++] = (struct mann){
		.peer = peer, .id = id, .reqtime = reqtime, .seq = m->seq++, .state = M_CANDIDATE
	};
	return 0;
}

/* Every peer's REQUESTED count, so that the questions below stay quadratic, not cubic. */
static void m_inflight_all(const struct model *m, size_t inflight[HS_PEERS_MAX])
{
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++)
		inflight[p] = m_inflight(m, p);
}

/* Is id requestable at now? If so, *chosen is its chosen candidate. */
static bool m_requestable(const struct model *m, uint32_t id, uint64_t now,
                          const size_t inflight[HS_PEERS_MAX], size_t *chosen)
{
	bool found = false;
	if (m_id_count(m, id, M_REQUESTED) > 0)
		return false;
	for (size_t i = 0; i < m->n; i++) {
		const struct mann *a = &m->a[i];
		if (a->id != id || a->state != M_CANDIDATE || a->reqtime > now ||
		    inflight[a->peer] >= m->inflight_max)
			continue;
		if (!found || a->seq < m->a[*chosen].seq)
			*chosen = i;
		found = true;
	}
	return found;
}

static size_t m_poll(struct model *m, uint64_t now, struct hs_request *out, size_t max,
                     size_t *timeouts)
{
	size_t n = 0;
	m->now = now > m->now ? now : m->now;
	*timeouts = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (m->a[i].state == M_REQUESTED && m->a[i].expiry <= m->now) {
			m->a[i].state = M_FAILED;
			++*timeouts;
		}
	}
	m_cleanup(m);
	while (n < max) {
		size_t best = 0, c = 0, inflight[HS_PEERS_MAX];
		bool any = false;
		m_inflight_all(m, inflight);
		for (size_t i = 0; i < m->n; i++) {
			if (m_requestable(m, m->a[i].id, m->now, inflight, &c) &&
			    (!any || m->a[c].seq < m->a[best].seq)) {
				best = c;
				any = true;
			}
		}
		if (!any)
			break;
		m->a[best].state = M_REQUESTED;
		m->a[best].expiry = sat_add(m->now, m->timeout);
		out[n].peer = m->a[best].peer;
		make_id(out[n].id, m->a[best].id);
		n++;
	}
	return n;
}

static void m_received(struct model *m, uint32_t id)
{
	for (size_t j = m->n; j-- > 0;)
		if (m->a[j].id == id)
			m_remove(m, j);
}

static void m_notfound(struct model *m, uint32_t peer, uint32_t id)
{
	long i = m_find(m, peer, id);
	if (i >= 0)
		m->a[i].state = M_FAILED;
	m_cleanup(m);
}

static void m_peer_gone(struct model *m, uint32_t peer)
{
	for (size_t j = m->n; j-- > 0;)
		if (m->a[j].peer == peer)
			m_remove(m, j);
	m_cleanup(m);
}

static uint64_t m_next_deadline(const struct model *m)
{
	uint64_t d = UINT64_MAX;
	size_t c, inflight[HS_PEERS_MAX];
	m_inflight_all(m, inflight);
	for (size_t i = 0; i < m->n; i++) {
		const struct mann *a = &m->a[i];
		if (m_requestable(m, a->id, m->now, inflight, &c) && m->now < d)
			d = m->now;
		if (a->state == M_CANDIDATE && a->reqtime > m->now &&
		    m_id_count(m, a->id, M_REQUESTED) == 0 && a->reqtime < d)
			d = a->reqtime;
		if (a->state == M_REQUESTED && a->expiry < d)
			d = a->expiry;
	}
	return d;
}

static bool m_is_requested(const struct model *m, uint32_t peer, uint32_t id)
{
	long i = m_find(m, peer, id);
	return i >= 0 && m->a[i].state == M_REQUESTED;
}

/* ---- random comparison ------------------------------------------------------------------------
 */

static const uint32_t peer_table[8] = { 0, 1, 2, 3, 7, 64, 126, HS_PEERS_MAX - 1 };
static int verbose;

struct run {
	struct model m;
	struct hs_reqsched *rs;
	uint64_t seed, now;
	uint32_t npeers, nids;
	int op;
};

#define MISMATCH(r, ...)                                                                           \
	do {                                                                                       \
		fprintf(stderr, "reqsched model mismatch: seed %" PRIu64 " op %d: ", (r)->seed,    \
		        (r)->op);                                                                  \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fprintf(stderr, "\n  reproduce with HS_TEST_SEED=%" PRIu64 "\n", (r)->seed);       \
		return false;                                                                      \
	} while (0)

/* Every observable of the scheduler equals the model's, and its invariants hold. */
static bool compare_state(struct run *r)
{
	uint8_t id[HS_ID_LEN];
	if (!hs_reqsched_check(r->rs))
		MISMATCH(r, "hs_reqsched_check failed");
	if (hs_reqsched_count(r->rs) != r->m.n)
		MISMATCH(r, "count %zu, model %zu", hs_reqsched_count(r->rs), r->m.n);
	if (hs_reqsched_next_deadline(r->rs) != m_next_deadline(&r->m))
		MISMATCH(r, "next_deadline %" PRIu64 ", model %" PRIu64,
		         hs_reqsched_next_deadline(r->rs), m_next_deadline(&r->m));
	for (uint32_t k = 0; k < r->npeers; k++) {
		uint32_t p = peer_table[k];
		if (hs_reqsched_peer_count(r->rs, p) != m_peer_count(&r->m, p) ||
		    hs_reqsched_peer_inflight(r->rs, p) != m_inflight(&r->m, p))
			MISMATCH(r, "peer %u count/inflight %zu/%zu, model %zu/%zu", p,
			         hs_reqsched_peer_count(r->rs, p),
			         hs_reqsched_peer_inflight(r->rs, p), m_peer_count(&r->m, p),
			         m_inflight(&r->m, p));
	}
	/* is_requested: every request the model has in flight is in flight here too; with the
	 * per-peer in-flight counts equal (above) the two sets are then equal. One more probe per
	 * id, of a peer that changes with every operation, checks a "no" answer directly. */
	for (uint32_t i = 0; i < r->nids; i++) {
		uint32_t probe = peer_table[(i + (uint32_t)r->op) % r->npeers];
		make_id(id, i);
		if (hs_reqsched_has_id(r->rs, id) != (m_id_count(&r->m, i, -1) > 0))
			MISMATCH(r, "has_id %u", i);
		if (hs_reqsched_is_requested(r->rs, probe, id) != m_is_requested(&r->m, probe, i))
			MISMATCH(r, "is_requested peer %u id %u", probe, i);
	}
	for (size_t k = 0; k < r->m.n; k++) {
		make_id(id, r->m.a[k].id);
		if (r->m.a[k].state == M_REQUESTED &&
		    !hs_reqsched_is_requested(r->rs, r->m.a[k].peer, id))
			MISMATCH(r, "is_requested peer %u id %u", r->m.a[k].peer, r->m.a[k].id);
	}
	return true;
}

static uint32_t pick_peer(struct run *r)
{
	uint32_t x = rng_below(64);
	if (x == 0)
		return HS_PEERS_MAX + rng_below(3);
	if (x == 1)
		return UINT32_MAX;
	return peer_table[rng_below(r->npeers)];
}

/* An id the model holds half the time (so notfound and received usually hit something). */
static uint32_t pick_id(struct run *r)
{
	if (r->m.n > 0 && rng_below(2) == 0)
		return r->m.a[rng_below((uint32_t)r->m.n)].id;
	return rng_below(r->nids);
}

static bool op_announce(struct run *r)
{
	uint8_t id[HS_ID_LEN];
	uint32_t peer = pick_peer(r), i = rng_below(r->nids);
	uint64_t d = rng_below(14), reqtime;
	reqtime = d < 4 ? (r->now >= 4 - d ? r->now - (4 - d) : 0) : sat_add(r->now, d - 4);
	make_id(id, i);
	int got = hs_reqsched_announce(r->rs, peer, id, 1, reqtime);
	int want = m_announce(&r->m, peer, i, reqtime);
	if (verbose)
		printf("  announce(%u, %u, %" PRIu64 ") = %d\n", peer, i, reqtime, want);
	if (got != want)
		MISMATCH(r, "announce(%u, %u, %" PRIu64 ") = %d, model %d", peer, i, reqtime, got,
		         want);
	return true;
}

static bool op_poll(struct run *r, uint64_t now)
{
	struct hs_request got[64], want[64];
	size_t max = rng_below(4) == 0 ? rng_below(4) : 64, got_to = 0, want_to = 0;
	size_t ng = hs_reqsched_poll(r->rs, now, max ? got : NULL, max, &got_to);
	size_t nw = m_poll(&r->m, now, want, max, &want_to);
	if (verbose)
		printf("  poll(%" PRIu64 ", %zu) = %zu requests, %zu timeouts\n", now, max, nw,
		       want_to);
	if (ng != nw || got_to != want_to)
		MISMATCH(r, "poll(%" PRIu64 ", %zu): %zu requests %zu timeouts, model %zu %zu", now,
		         max, ng, got_to, nw, want_to);
	for (size_t i = 0; i < nw; i++) {
		uint32_t wid;
		memcpy(&wid, want[i].id, sizeof(wid));
		if (verbose)
			printf("    -> (%u, %u)\n", want[i].peer, wid);
		if (got[i].peer != want[i].peer || memcmp(got[i].id, want[i].id, HS_ID_LEN) != 0)
			MISMATCH(r, "poll request %zu is peer %u, model (%u, %u)", i, got[i].peer,
			         want[i].peer, wid);
	}
	return true;
}

static bool op_other(struct run *r, uint32_t kind)
{
	uint8_t id[HS_ID_LEN];
	uint32_t peer = pick_peer(r), i = pick_id(r);
	make_id(id, i);
	if (kind == 0) {
		if (verbose)
			printf("  received(%u)\n", i);
		hs_reqsched_received(r->rs, id);
		m_received(&r->m, i);
	} else if (kind == 1) {
		/* notfound mostly from a peer that announced the id */
		long k = m_find(&r->m, peer, i);
		if (k < 0 && r->m.n > 0 && rng_below(2) == 0) {
			const struct mann *a = &r->m.a[rng_below((uint32_t)r->m.n)];
			peer = a->peer, i = a->id;
			make_id(id, i);
		}
		if (verbose)
			printf("  notfound(%u, %u)\n", peer, i);
		hs_reqsched_notfound(r->rs, peer, id);
		if (peer < HS_PEERS_MAX)
			m_notfound(&r->m, peer, i);
	} else {
		if (verbose)
			printf("  peer_gone(%u)\n", peer);
		hs_reqsched_peer_gone(r->rs, peer);
		if (peer < HS_PEERS_MAX)
			m_peer_gone(&r->m, peer);
	}
	return true;
}

static bool step(struct run *r)
{
	uint32_t x = rng_below(100);
	if (x < 40)
		return op_announce(r);
	if (x < 70) {
		r->now = sat_add(r->now, rng_below(6));
		return op_poll(r, r->now);
	}
	if (x < 73) {
		r->now = sat_add(r->now, rng_below(200));
		return op_poll(r, r->now);
	}
	if (x < 75) /* an earlier now: acts at the current time */
		return op_poll(r, r->now > 10 ? r->now - rng_below(10) : 0);
	if (x < 83)
		return op_other(r, 0);
	if (x < 96)
		return op_other(r, 1);
	return op_other(r, 2);
}

static bool model_run(uint64_t seed, int ops)
{
	struct run r = { .seed = seed };
	rng_state = seed;
	r.m.announced_max = 1 + rng_below(6);
	r.m.inflight_max = 1 + rng_below(3);
	r.m.announcers_max = 1 + rng_below(4);
	r.m.timeout = 1 + rng_below(30);
	r.npeers = 1 + rng_below(8);
	r.nids = 1 + rng_below(24);
	/* Now and then start near the end of time, so expiries saturate. */
	r.now = rng_below(8) == 0 ? UINT64_MAX - rng_below(300) : rng_below(1000);
	struct hs_reqsched_config cfg = { .peer_announced_max = r.m.announced_max,
		                          .peer_inflight_max = r.m.inflight_max,
		                          .id_announcers_max = r.m.announcers_max,
		                          .request_timeout_ns = r.m.timeout };
	uint8_t key[16];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)rng_next();
	REQUIRE(hs_reqsched_new(&r.rs, &cfg, key) == 0);
	bool ok = compare_state(&r);
	for (r.op = 0; ok && r.op < ops; r.op++)
		ok = step(&r) && compare_state(&r);
	hs_reqsched_del(r.rs);
	return ok;
}

#define MODEL_SEQS 2000
#define MODEL_OPS  300

static void test_model(void)
{
	const char *env = getenv("HS_TEST_SEED");
	verbose = getenv("HS_TEST_VERBOSE") != NULL;
	if (env) {
		CHECK(model_run(strtoull(env, NULL, 0), MODEL_OPS));
		return;
	}
	uint64_t base = UINT64_C(0x7265717363686564); /* "reqsched" */
	int failures = 0;
	for (uint64_t i = 0; i < MODEL_SEQS && failures < 5; i++) {
		bool ok = model_run(base + i, MODEL_OPS);
		CHECK(ok);
		failures += !ok;
	}
	if (failures >= 5)
		fprintf(stderr, "reqsched model: stopping after 5 failing seeds\n");
	printf("     model: %d sequences of %d operations (base seed %" PRIu64 ")\n", MODEL_SEQS,
	       MODEL_OPS, base);
}

/* ---- directed tests
 * ------------------------------------------------------------------------------ */

static uint8_t X[8][HS_ID_LEN];

static struct hs_reqsched *mk(size_t announced, size_t inflight, size_t announcers,
                              uint64_t timeout)
{
	struct hs_reqsched_config cfg = { announced, inflight, announcers, timeout };
	struct hs_reqsched *rs = NULL;
	REQUIRE(hs_reqsched_new(&rs, &cfg, test_key) == 0);
	return rs;
}

/* One poll; its requests in out (up to 16). */
static size_t poll16(struct hs_reqsched *rs, uint64_t now, struct hs_request *out, size_t *to)
{
	return hs_reqsched_poll(rs, now, out, 16, to);
}

static bool req_is(const struct hs_request *q, uint32_t peer, const uint8_t *id)
{
	return q->peer == peer && memcmp(q->id, id, HS_ID_LEN) == 0;
}

static void test_first_announcer_first(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 2, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 3, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 2, X[1], 1, 0), 0); /* 2 is first for X[1] */
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[1], 1, 0), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 2);
	CHECK(req_is(&q[0], 1, X[0]));
	CHECK(req_is(&q[1], 2, X[1]));
	CHECK(hs_reqsched_is_requested(rs, 1, X[0]));
	CHECK(!hs_reqsched_is_requested(rs, 2, X[0]));
	CHECK(!hs_reqsched_is_requested(rs, 1, X[1]));
	CHECK_EQ(hs_reqsched_count(rs), 5);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 100);
	CHECK_EQ(poll16(rs, 0, q, &to), 0); /* nothing more while both are in flight */
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_timeout_moves_on(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	for (uint32_t p = 1; p <= 3; p++)
		CHECK_EQ(hs_reqsched_announce(rs, p, X[0], 1, 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	CHECK(req_is(&q[0], 1, X[0]));
	CHECK_EQ(poll16(rs, 99, q, &to), 0); /* the second announcer waits for the timeout */
	CHECK_EQ(to, 0);
	CHECK(!hs_reqsched_is_requested(rs, 2, X[0]));
	CHECK_EQ(poll16(rs, 100, q, &to), 1);
	CHECK_EQ(to, 1);
	CHECK(req_is(&q[0], 2, X[0]));
	CHECK(!hs_reqsched_is_requested(rs, 1, X[0]));
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 0);
	CHECK_EQ(hs_reqsched_peer_count(rs, 1), 1);           /* the FAILED one still counts */
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, 0), 0); /* no-op: 1 is not asked again */
	CHECK_EQ(hs_reqsched_count(rs), 3);
	CHECK_EQ(poll16(rs, 200, q, &to), 1);
	CHECK(req_is(&q[0], 3, X[0]));
	CHECK_EQ(poll16(rs, 300, q, &to), 0); /* all failed: the id is forgotten */
	CHECK_EQ(to, 1);
	CHECK(!hs_reqsched_has_id(rs, X[0]));
	CHECK_EQ(hs_reqsched_count(rs), 0);
	CHECK_EQ(hs_reqsched_peer_count(rs, 1), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), UINT64_MAX);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, 300), 0); /* a later inv starts afresh */
	CHECK_EQ(poll16(rs, 300, q, &to), 1);
	CHECK(req_is(&q[0], 1, X[0]));
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_notfound_moves_on(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	for (uint32_t p = 1; p <= 3; p++)
		CHECK_EQ(hs_reqsched_announce(rs, p, X[0], 1, 0), 0);
	CHECK_EQ(poll16(rs, 5, q, &to), 1);
	hs_reqsched_notfound(rs, 1, X[0]);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 5); /* requestable now */
	CHECK_EQ(poll16(rs, 5, q, &to), 1);
	CHECK_EQ(to, 0);
	CHECK(req_is(&q[0], 2, X[0]));
	hs_reqsched_notfound(rs, 3, X[0]); /* a candidate can fail too */
	hs_reqsched_notfound(rs, 1, X[0]); /* already failed: nothing */
	hs_reqsched_notfound(rs, 4, X[0]); /* never announced: nothing */
	hs_reqsched_notfound(rs, 1, X[5]); /* unknown id: nothing */
	CHECK_EQ(hs_reqsched_count(rs), 3);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_notfound(rs, 2, X[0]); /* the last live one: forgotten */
	CHECK(!hs_reqsched_has_id(rs, X[0]));
	CHECK_EQ(hs_reqsched_count(rs), 0);
	CHECK_EQ(poll16(rs, 5, q, &to), 0);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_received_forgets(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	for (uint32_t p = 1; p <= 3; p++)
		CHECK_EQ(hs_reqsched_announce(rs, p, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 3, X[1], 1, 50), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	hs_reqsched_notfound(rs, 2, X[0]);
	hs_reqsched_received(rs, X[0]);
	CHECK(!hs_reqsched_has_id(rs, X[0]));
	CHECK_EQ(hs_reqsched_count(rs), 1);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 0);
	CHECK_EQ(hs_reqsched_peer_count(rs, 1), 0);
	CHECK_EQ(hs_reqsched_peer_count(rs, 2), 0);
	CHECK_EQ(hs_reqsched_peer_count(rs, 3), 1);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 50);
	hs_reqsched_received(rs, X[7]); /* unknown: nothing */
	CHECK_EQ(poll16(rs, 10, q, &to), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 2, X[0], 1, 0), 0); /* afresh: 2 is asked now */
	CHECK_EQ(poll16(rs, 10, q, &to), 1);
	CHECK(req_is(&q[0], 2, X[0]));
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_peer_gone_hands_over(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[1], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 2, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 2, X[1], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[2], 1, 0), 0); /* only 1 has X[2] */
	CHECK_EQ(poll16(rs, 0, q, &to), 3);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 3);
	hs_reqsched_peer_gone(rs, 1);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 0);
	CHECK_EQ(hs_reqsched_peer_count(rs, 1), 0);
	CHECK(!hs_reqsched_has_id(rs, X[2]));
	CHECK_EQ(poll16(rs, 1, q, &to), 2); /* no timeout needed */
	CHECK_EQ(to, 0);
	CHECK(req_is(&q[0], 2, X[0]));
	CHECK(req_is(&q[1], 2, X[1]));
	hs_reqsched_peer_gone(rs, 2);
	CHECK_EQ(hs_reqsched_count(rs), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), UINT64_MAX);
	hs_reqsched_peer_gone(rs, 2); /* twice: nothing */
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_reqtime_delay(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, 50), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 50);
	CHECK_EQ(poll16(rs, 49, q, &to), 0);
	CHECK_EQ(poll16(rs, 50, q, &to), 1);
	CHECK(req_is(&q[0], 1, X[0]));
	/* An earlier announcer that is not due yet loses to a later one that is. */
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[1], 1, 200), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 2, X[1], 1, 60), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 60);
	CHECK_EQ(poll16(rs, 60, q, &to), 1);
	CHECK(req_is(&q[0], 2, X[1]));
	/* Both due: the earlier announcement wins even with the later reqtime. */
	CHECK_EQ(hs_reqsched_announce(rs, 3, X[2], 1, 70), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 4, X[2], 1, 65), 0);
	CHECK_EQ(poll16(rs, 70, q, &to), 1);
	CHECK(req_is(&q[0], 3, X[2]));
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_peer_announced_limit(void)
{
	struct hs_reqsched *rs = mk(3, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	for (int i = 0; i < 3; i++)
		CHECK_EQ(hs_reqsched_announce(rs, 1, X[i], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[3], 1, 0), HS_ERR_FULL);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, 0), 0); /* existing: no-op even when full */
	CHECK_EQ(hs_reqsched_peer_count(rs, 1), 3);
	CHECK_EQ(hs_reqsched_announce(rs, 2, X[3], 1, 0), 0); /* other peers are unaffected */
	hs_reqsched_received(rs, X[1]);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[3], 1, 0), 0);
	/* FAILED announcements count while the id lives: no pinning past the limit. */
	CHECK_EQ(poll16(rs, 0, q, &to), 3);
	hs_reqsched_notfound(rs, 2, X[3]);
	CHECK(hs_reqsched_has_id(rs, X[3]));
	CHECK_EQ(hs_reqsched_peer_count(rs, 2), 1);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_peer_inflight_limit(void)
{
	struct hs_reqsched *rs = mk(10, 2, 4, 100);
	struct hs_request q[16];
	size_t to;
	for (int i = 0; i < 3; i++)
		CHECK_EQ(hs_reqsched_announce(rs, 1, X[i], 1, 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 2);
	CHECK(req_is(&q[0], 1, X[0]) && req_is(&q[1], 1, X[1]));
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 2);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 100); /* the blocked one does not make us spin */
	CHECK_EQ(poll16(rs, 10, q, &to), 0);
	hs_reqsched_received(rs, X[0]);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 10);
	CHECK_EQ(poll16(rs, 10, q, &to), 1); /* unblocked: the next poll asks */
	CHECK(req_is(&q[0], 1, X[2]));
	/* A timeout unblocks too, within the same poll. */
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[3], 1, 0), 0);
	CHECK_EQ(poll16(rs, 100, q, &to), 1);
	CHECK_EQ(to, 1);
	CHECK(req_is(&q[0], 1, X[3]));
	hs_reqsched_del(rs);

	/* A blocked peer's id goes to the next announcer, within one poll. */
	rs = mk(10, 1, 4, 100);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[1], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 2, X[1], 1, 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 2);
	CHECK(req_is(&q[0], 1, X[0]) && req_is(&q[1], 2, X[1]));
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_id_announcer_limit(void)
{
	struct hs_reqsched *rs = mk(10, 10, 3, 100);
	struct hs_request q[16];
	size_t to;
	for (uint32_t p = 0; p < 3; p++)
		CHECK_EQ(hs_reqsched_announce(rs, p, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 3, X[0], 1, 0), HS_ERR_FULL);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	hs_reqsched_notfound(rs, 0, X[0]); /* FAILED still takes its place */
	CHECK_EQ(hs_reqsched_announce(rs, 3, X[0], 1, 0), HS_ERR_FULL);
	hs_reqsched_peer_gone(rs, 1);
	CHECK_EQ(hs_reqsched_announce(rs, 3, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_count(rs), 3);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_flood_bounded(void)
{
	struct hs_reqsched_config cfg = { .request_timeout_ns = 1000 }; /* zero counts: defaults */
	struct hs_reqsched *rs = NULL;
	static struct hs_request q[HS_REQ_PEER_ANNOUNCED_MAX];
	uint8_t id[HS_ID_LEN];
	size_t ok = 0, full = 0, to;
	REQUIRE(hs_reqsched_new(&rs, &cfg, test_key) == 0);
	for (uint32_t i = 0; i < 6000; i++) {
		make_id(id, 1000 + i);
		int err = hs_reqsched_announce(rs, 5, id, 1, 0);
		ok += err == 0;
		full += err == HS_ERR_FULL;
	}
	CHECK_EQ(ok, HS_REQ_PEER_ANNOUNCED_MAX);
	CHECK_EQ(full, 6000 - HS_REQ_PEER_ANNOUNCED_MAX);
	CHECK_EQ(hs_reqsched_count(rs), HS_REQ_PEER_ANNOUNCED_MAX);
	CHECK_EQ(hs_reqsched_peer_count(rs, 5), HS_REQ_PEER_ANNOUNCED_MAX);
	CHECK_EQ(hs_reqsched_poll(rs, 0, q, HS_REQ_PEER_ANNOUNCED_MAX, &to),
	         HS_REQ_PEER_INFLIGHT_MAX);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_peer_gone(rs, 5);
	CHECK_EQ(hs_reqsched_count(rs), 0);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);

	/* Every peer at its limit: the total is peers * limit and not one more. */
	rs = mk(20, 4, 16, 100);
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++)
		for (uint32_t i = 0; i < 25; i++) {
			make_id(id, (i + p) % 40); /* overlapping ids */
			int err = hs_reqsched_announce(rs, p, id, 1, 0);
			CHECK(err == 0 || err == HS_ERR_FULL);
		}
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++)
		for (uint32_t i = 0; i < 25; i++) {
			make_id(id, 100 + p * 25 + i); /* fresh ids */
			CHECK(hs_reqsched_announce(rs, p, id, 1, 0) == 0 ||
			      hs_reqsched_peer_count(rs, p) == 20);
		}
	CHECK_EQ(hs_reqsched_count(rs), HS_PEERS_MAX * 20);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_invalid_peers(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	CHECK_EQ(hs_reqsched_announce(rs, HS_PEERS_MAX, X[0], 1, 0), HS_ERR_INVALID);
	CHECK_EQ(hs_reqsched_announce(rs, UINT32_MAX, X[0], 1, 0), HS_ERR_INVALID);
	CHECK(!hs_reqsched_has_id(rs, X[0]));
	CHECK_EQ(hs_reqsched_announce(rs, HS_PEERS_MAX - 1, X[0], 1, 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	CHECK(req_is(&q[0], HS_PEERS_MAX - 1, X[0]));
	hs_reqsched_notfound(rs, HS_PEERS_MAX, X[0]);
	hs_reqsched_notfound(rs, UINT32_MAX, X[0]);
	hs_reqsched_peer_gone(rs, HS_PEERS_MAX);
	hs_reqsched_peer_gone(rs, UINT32_MAX);
	CHECK(hs_reqsched_is_requested(rs, HS_PEERS_MAX - 1, X[0]));
	CHECK(!hs_reqsched_is_requested(rs, HS_PEERS_MAX, X[0]));
	CHECK_EQ(hs_reqsched_peer_count(rs, HS_PEERS_MAX), 0);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, UINT32_MAX), 0);
	CHECK_EQ(hs_reqsched_count(rs), 1);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_config(void)
{
	static int dummy;
	struct hs_reqsched *rs = (struct hs_reqsched *)(void *)&dummy;
	struct hs_reqsched_config cfg = { 0 };
	CHECK_EQ(hs_reqsched_new(&rs, &cfg, test_key), HS_ERR_INVALID); /* no timeout */
	CHECK(rs == NULL);
	CHECK_EQ(hs_reqsched_new(&rs, NULL, test_key), HS_ERR_INVALID);
	cfg.request_timeout_ns = 1;
	cfg.peer_announced_max = (size_t)1 << 21;
	CHECK_EQ(hs_reqsched_new(&rs, &cfg, test_key), HS_ERR_INVALID);
	cfg.peer_announced_max = 1;
	cfg.peer_inflight_max = SIZE_MAX; /* larger than can ever be reached: fine */
	cfg.id_announcers_max = SIZE_MAX;
	CHECK_EQ(hs_reqsched_new(&rs, &cfg, test_key), 0);
	CHECK(rs != NULL && hs_reqsched_check(rs));
	hs_reqsched_del(rs);
	hs_reqsched_del(NULL);
}

static void test_poll_output_full(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to = 7;
	for (int i = 0; i < 5; i++)
		CHECK_EQ(hs_reqsched_announce(rs, 1, X[i], 1, 0), 0);
	CHECK_EQ(hs_reqsched_poll(rs, 20, q, 2, &to), 2);
	CHECK_EQ(to, 0);
	CHECK(req_is(&q[0], 1, X[0]) && req_is(&q[1], 1, X[1]));
	CHECK_EQ(hs_reqsched_next_deadline(rs), 20); /* more to do now */
	CHECK_EQ(hs_reqsched_poll(rs, 20, NULL, 0, NULL), 0);
	CHECK_EQ(poll16(rs, 20, q, &to), 3);
	CHECK(req_is(&q[0], 1, X[2]) && req_is(&q[2], 1, X[4]));
	CHECK_EQ(hs_reqsched_next_deadline(rs), 120);
	hs_reqsched_del(rs);
}

static void test_time(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	CHECK_EQ(poll16(rs, 1000, q, &to), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, 500), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 1000);
	CHECK_EQ(poll16(rs, 10, q, &to), 1); /* an earlier now acts at 1000 */
	CHECK_EQ(hs_reqsched_next_deadline(rs), 1100);
	hs_reqsched_del(rs);

	/* Expiry saturates at the end of time. */
	rs = mk(10, 10, 4, 100);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, 0), 0);
	CHECK_EQ(hs_reqsched_announce(rs, 2, X[0], 1, 0), 0);
	CHECK_EQ(poll16(rs, UINT64_MAX - 50, q, &to), 1);
	CHECK_EQ(hs_reqsched_next_deadline(rs), UINT64_MAX);
	CHECK_EQ(poll16(rs, UINT64_MAX - 1, q, &to), 0);
	CHECK_EQ(poll16(rs, UINT64_MAX, q, &to), 1);
	CHECK_EQ(to, 1);
	CHECK(req_is(&q[0], 2, X[0]));
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

int main(void)
{
	for (uint32_t i = 0; i < 8; i++)
		make_id(X[i], i);
	RUN(test_first_announcer_first);
	RUN(test_timeout_moves_on);
	RUN(test_notfound_moves_on);
	RUN(test_received_forgets);
	RUN(test_peer_gone_hands_over);
	RUN(test_reqtime_delay);
	RUN(test_peer_announced_limit);
	RUN(test_peer_inflight_limit);
	RUN(test_id_announcer_limit);
	RUN(test_flood_bounded);
	RUN(test_invalid_peers);
	RUN(test_config);
	RUN(test_poll_output_full);
	RUN(test_time);
	RUN(test_model);
	return hs_test_done();
}

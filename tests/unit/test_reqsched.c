/*
 * overlay/reqsched.c against a deliberately naive model ("horrible_reqsched"), plus directed
 * tests of each rule in reqsched.h.
 *
 * The model is a flat array of announcements that implements the specification literally,
 * by scanning everything on every question; it computes each priority from the formula in
 * reqsched.h (SipHash of id || peer under the same secret), so the random choice is checked
 * exactly, not just statistically. Random operation sequences over small peer and id spaces
 * (so limits, evictions and collisions are hit all the time) drive both, and after every
 * operation the two must agree on every result: announce codes, the (peer, id) requests and
 * their order, timeout counts, next_deadline, every introspection function; and
 * hs_reqsched_check() must hold. Each sequence has a fixed seed derived from a base seed; a
 * failure prints it, and HS_TEST_SEED=<seed> replays that sequence alone
 * (HS_TEST_VERBOSE=1 also prints each operation).
 *
 * Then directed tests of each rule, of the uniform choice, and of the delay bound that k
 * colluding withholders can cause (reqsched.h, "Delay bound").
 */
#include "crypto/crypto.h"
#include "harness.h"
#include "overlay/reqsched.h"
#include "testrng.h"

#include <stdbool.h>

static struct test_rng rng;

static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)test_rng_below(&rng, n);
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

#define RANK_SHIFT 61
#define UNPROVEN   ((uint64_t)1 << RANK_SHIFT)
#define DEMOTED    ((uint64_t)4 << RANK_SHIFT)

/* The priority of (peer, id) without the demotion term, from the formula in reqsched.h. */
static uint64_t spec_priority(const uint8_t key[16], const uint8_t id[HS_ID_LEN], uint32_t peer,
                              enum hs_req_class cls)
{
	uint8_t buf[HS_ID_LEN + 1];
	memcpy(buf, id, HS_ID_LEN);
	buf[HS_ID_LEN] = (uint8_t)peer;
	return ((uint64_t)cls << (RANK_SHIFT + 1)) | (hs_shorthash(key, buf, sizeof(buf)) >> 3);
}

/* ---- horrible_reqsched: the specification, by brute force --------------------------------- */

enum { M_CANDIDATE, M_REQUESTED, M_FAILED };
#define M_ANNS_MAX 512

struct mann {
	uint32_t peer, id;
	uint64_t reqtime, expiry, seq, prio;
	int state;
	enum hs_req_class cls;
};

struct model {
	struct mann a[M_ANNS_MAX];
	size_t n;
	uint64_t now, seq, evictions;
	size_t announced_max, inflight_max, announcers_max, strikes_max;
	uint64_t timeout, nonpref_delay;
	size_t strikes[HS_PEERS_MAX];
	bool proven[HS_PEERS_MAX];
	uint8_t key[16];
};

/* The priority with the demotion term: what the choice compares. */
static uint64_t m_prio(const struct model *m, const struct mann *a)
{
	return a->prio + (m->strikes[a->peer] >= m->strikes_max ? DEMOTED : 0) +
	       (m->proven[a->peer] ? 0 : UNPROVEN);
}

/* a before b: smaller priority, then (for the unspecified equal case) smaller seq. */
static bool m_better(const struct model *m, const struct mann *a, const struct mann *b)
{
	uint64_t pa = m_prio(m, a), pb = m_prio(m, b);
	return pa < pb || (pa == pb && a->seq < b->seq);
}

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

static int m_announce(struct model *m, uint32_t peer, uint32_t id, enum hs_req_class cls,
                      uint64_t reqtime)
{
	uint8_t idb[HS_ID_LEN];
	if (peer >= HS_PEERS_MAX || (cls != HS_REQ_PREFERRED && cls != HS_REQ_OTHER))
		return HS_ERR_INVALID;
	if (m_find(m, peer, id) >= 0)
		return 0;
	if (m_peer_count(m, peer) >= m->announced_max)
		return HS_ERR_FULL;
	if (m_id_count(m, id, -1) >= m->announcers_max) {
		long victim = -1;
		for (size_t i = 0; i < m->n && cls == HS_REQ_PREFERRED; i++)
			if (m->a[i].id == id && m->a[i].state == M_CANDIDATE &&
			    m->a[i].cls == HS_REQ_OTHER &&
			    (victim < 0 || m->a[i].seq > m->a[victim].seq))
				victim = (long)i;
		if (victim < 0)
			return HS_ERR_FULL;
		m_remove(m, (size_t)victim);
		m->evictions++;
	}
	REQUIRE(m->n < M_ANNS_MAX);
	make_id(idb, id);
	if (cls == HS_REQ_OTHER)
		reqtime = sat_add(reqtime, m->nonpref_delay);
	m->a[m->n++] = (struct mann){ .peer = peer,
		                      .id = id,
		                      .reqtime = reqtime,
		                      .seq = m->seq++,
		                      .prio = spec_priority(m->key, idb, peer, cls),
		                      .state = M_CANDIDATE,
		                      .cls = cls };
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
		if (!found || m_better(m, a, &m->a[*chosen]))
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
			m->strikes[m->a[i].peer]++;
			m->proven[m->a[i].peer] = false;
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
			    (!any || m_better(m, &m->a[c], &m->a[best]))) {
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
	for (size_t j = m->n; j-- > 0;) {
		if (m->a[j].id == id)
			m_remove(m, j);
	}
}

static bool m_delivered(struct model *m, uint32_t peer, uint32_t id)
{
	long i = m_find(m, peer, id);
	bool answer = i >= 0 && m->a[i].state == M_REQUESTED;
	if (answer)
		m->strikes[peer] = 0;
	m->proven[peer] = true;
	if (i >= 0)
		m->a[i].state = M_FAILED;
	m_cleanup(m);
	return answer;
}

static void m_notfound(struct model *m, uint32_t peer, uint32_t id)
{
	long i = m_find(m, peer, id);
	if (i >= 0 && m->a[i].state == M_REQUESTED)
		m->strikes[peer] = 0;
	if (i >= 0)
		m->a[i].state = M_FAILED;
	m_cleanup(m);
}

static void m_peer_gone(struct model *m, uint32_t peer)
{
	for (size_t j = m->n; j-- > 0;)
		if (m->a[j].peer == peer)
			m_remove(m, j);
	m->strikes[peer] = 0;
	m->proven[peer] = false;
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
	if (hs_reqsched_evictions(r->rs) != r->m.evictions)
		MISMATCH(r, "evictions %" PRIu64 ", model %" PRIu64, hs_reqsched_evictions(r->rs),
		         r->m.evictions);
	if (hs_reqsched_next_deadline(r->rs) != m_next_deadline(&r->m))
		MISMATCH(r, "next_deadline %" PRIu64 ", model %" PRIu64,
		         hs_reqsched_next_deadline(r->rs), m_next_deadline(&r->m));
	for (uint32_t k = 0; k < r->npeers; k++) {
		uint32_t p = peer_table[k];
		if (hs_reqsched_peer_strikes(r->rs, p) != r->m.strikes[p])
			MISMATCH(r, "peer %u strikes %zu, model %zu", p,
			         hs_reqsched_peer_strikes(r->rs, p), r->m.strikes[p]);
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
	/* Each peer mostly keeps one class, as a session does; now and then a bad one. */
	uint32_t c = rng_below(16);
	enum hs_req_class cls = c == 0  ? (enum hs_req_class)(2 + rng_below(3))
	                        : c < 4 ? (enum hs_req_class)((peer + 1) % 2)
	                                : (enum hs_req_class)(peer % 2);
	make_id(id, i);
	int got = hs_reqsched_announce(r->rs, peer, id, 1, cls, reqtime);
	int want = m_announce(&r->m, peer, i, cls, reqtime);
	if (verbose)
		printf("  announce(%u, %u, class %d, %" PRIu64 ") = %d\n", peer, i, (int)cls,
		       reqtime, want);
	if (got != want)
		MISMATCH(r, "announce(%u, %u, %d, %" PRIu64 ") = %d, model %d", peer, i, (int)cls,
		         reqtime, got, want);
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
	} else if (kind == 1 || kind == 3) {
		/* notfound or delivered, mostly from a peer that announced the id */
		long k = m_find(&r->m, peer, i);
		if (k < 0 && r->m.n > 0 && rng_below(2) == 0) {
			const struct mann *a = &r->m.a[rng_below((uint32_t)r->m.n)];
			peer = a->peer, i = a->id;
			make_id(id, i);
		}
		if (verbose)
			printf("  %s(%u, %u)\n", kind == 1 ? "notfound" : "delivered", peer, i);
		bool answer = false;
		if (kind == 1)
			hs_reqsched_notfound(r->rs, peer, id);
		else
			answer = hs_reqsched_delivered(r->rs, peer, id);
		if (peer < HS_PEERS_MAX && kind == 1)
			m_notfound(&r->m, peer, i);
		else if (peer < HS_PEERS_MAX && m_delivered(&r->m, peer, i) != answer)
			MISMATCH(r, "delivered(%u, %u) answered %d, model %d", peer, i, answer,
			         !answer);
		else if (peer >= HS_PEERS_MAX && answer)
			MISMATCH(r, "delivered(%u, %u) answered for a peer out of range", peer, i);
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
	if (x < 81)
		return op_other(r, 0);
	if (x < 89)
		return op_other(r, 1);
	if (x < 96)
		return op_other(r, 3);
	return op_other(r, 2);
}

static bool model_run(uint64_t seed, int ops)
{
	static struct run r;
	r = (struct run){ .seed = seed };
	test_rng_seed(&rng, seed);
	r.m.announced_max = 1 + rng_below(6);
	r.m.inflight_max = 1 + rng_below(3);
	r.m.announcers_max = 1 + rng_below(4);
	r.m.strikes_max = 1 + rng_below(3);
	r.m.timeout = 1 + rng_below(30);
	r.m.nonpref_delay = rng_below(3) == 0 ? 0 : rng_below(20);
	r.npeers = 1 + rng_below(8);
	r.nids = 1 + rng_below(24);
	/* Now and then start near the end of time, so expiries saturate. */
	r.now = rng_below(8) == 0 ? UINT64_MAX - rng_below(300) : rng_below(1000);
	struct hs_reqsched_config cfg = { .peer_announced_max = r.m.announced_max,
		                          .peer_inflight_max = r.m.inflight_max,
		                          .id_announcers_max = r.m.announcers_max,
		                          .peer_strikes_max = r.m.strikes_max,
		                          .request_timeout_ns = r.m.timeout,
		                          .nonpreferred_delay_ns = r.m.nonpref_delay };
	test_rng_bytes(&rng, r.m.key, sizeof(r.m.key));
	REQUIRE(hs_reqsched_new(&r.rs, &cfg, r.m.key) == 0);
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

/* ---- directed tests ------------------------------------------------------------------------ */

static uint8_t X[64][HS_ID_LEN];

static struct hs_reqsched *mk_cfg(size_t announced, size_t inflight, size_t announcers,
                                  uint64_t timeout, uint64_t delay)
{
	struct hs_reqsched_config cfg = { .peer_announced_max = announced,
		                          .peer_inflight_max = inflight,
		                          .id_announcers_max = announcers,
		                          .request_timeout_ns = timeout,
		                          .nonpreferred_delay_ns = delay };
	struct hs_reqsched *rs = NULL;
	REQUIRE(hs_reqsched_new(&rs, &cfg, test_key) == 0);
	return rs;
}

static struct hs_reqsched *mk(size_t announced, size_t inflight, size_t announcers,
                              uint64_t timeout)
{
	return mk_cfg(announced, inflight, announcers, timeout, 0);
}

static int ann(struct hs_reqsched *rs, uint32_t peer, const uint8_t *id, uint64_t reqtime)
{
	return hs_reqsched_announce(rs, peer, id, 1, HS_REQ_PREFERRED, reqtime);
}

static int ann_other(struct hs_reqsched *rs, uint32_t peer, const uint8_t *id, uint64_t reqtime)
{
	return hs_reqsched_announce(rs, peer, id, 1, HS_REQ_OTHER, reqtime);
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

/* peers[0..n) (equal class) sorted into the order the scheduler asks them for id. */
static void ask_order(const uint8_t *id, uint32_t *peers, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && spec_priority(test_key, id, peers[j], 0) <
		                                    spec_priority(test_key, id, peers[j - 1], 0);
		     j--) {
			uint32_t t = peers[j];
			peers[j] = peers[j - 1];
			peers[j - 1] = t;
		}
}

static void test_random_choice(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	uint32_t o[3] = { 1, 2, 3 };
	ask_order(X[0], o, 3);
	for (uint32_t p = 1; p <= 3; p++)
		CHECK_EQ(ann(rs, p, X[0], 0), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	CHECK(req_is(&q[0], o[0], X[0])); /* the smallest keyed hash, not the first announcer */
	CHECK(hs_reqsched_is_requested(rs, o[0], X[0]));
	CHECK(!hs_reqsched_is_requested(rs, o[1], X[0]));
	CHECK_EQ(hs_reqsched_next_deadline(rs), 100);
	CHECK_EQ(poll16(rs, 0, q, &to), 0); /* nothing more while it is in flight */
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);

	/* Uniform among equals: 4 announcers of each of 4000 ids, all due at once. */
	enum { IDS = 4000, PEERS = 4 };
	uint32_t asked[PEERS] = { 0 }, first_announcer = 0;
	uint8_t id[HS_ID_LEN];
	rs = mk(IDS, IDS, PEERS, 100);
	for (uint32_t i = 0; i < IDS; i++) {
		make_id(id, 100 + i);
		for (uint32_t k = 0; k < PEERS; k++)
			CHECK_EQ(ann(rs, (i + k) % PEERS, id, 0),
			         0); /* a different first each time */
	}
	static struct hs_request big[IDS];
	CHECK_EQ(hs_reqsched_poll(rs, 0, big, IDS, &to), IDS);
	for (uint32_t i = 0; i < IDS; i++) {
		uint32_t n;
		memcpy(&n, big[i].id, sizeof(n));
		asked[big[i].peer]++;
		first_announcer += big[i].peer == (n - 100) % PEERS;
	}
	for (uint32_t k = 0; k < PEERS; k++) /* 1000 expected; 5 sigma is 137 */
		CHECK(asked[k] > 860 && asked[k] < 1140);
	CHECK(first_announcer > 860 && first_announcer < 1140);
	hs_reqsched_del(rs);
}

static void test_preferred_first(void)
{
	struct hs_reqsched *rs = mk_cfg(10, 10, 8, 100, 30);
	struct hs_request q[16];
	size_t to;
	/* Inbound peers announce first, but wait nonpreferred_delay: the outbound one that
	 * announces within it is asked, whatever the hashes. */
	CHECK_EQ(ann_other(rs, 1, X[0], 0), 0);
	CHECK_EQ(ann_other(rs, 2, X[0], 0), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 30);
	CHECK_EQ(poll16(rs, 10, q, &to), 0);
	CHECK_EQ(ann(rs, 3, X[0], 20), 0);
	CHECK_EQ(poll16(rs, 20, q, &to), 1);
	CHECK(req_is(&q[0], 3, X[0]));
	/* Both due at once: preferred first, across ids too. */
	CHECK_EQ(ann_other(rs, 1, X[1], 0), 0);
	CHECK_EQ(ann(rs, 4, X[1], 50), 0);
	CHECK_EQ(poll16(rs, 50, q, &to), 1);
	CHECK(req_is(&q[0], 4, X[1]));
	/* Alone, an inbound announcer is asked once its delay is over. */
	CHECK_EQ(ann_other(rs, 5, X[2], 60), 0);
	CHECK_EQ(poll16(rs, 89, q, &to), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 90);
	CHECK_EQ(poll16(rs, 90, q, &to), 1);
	CHECK(req_is(&q[0], 5, X[2]));
	/* A preferred withholder fails; the inbound ones are asked next. */
	CHECK_EQ(poll16(rs, 120, q, &to), 1);
	CHECK_EQ(to, 1);
	CHECK(q[0].peer == 1 || q[0].peer == 2);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);

	/* The delay saturates at the end of time. */
	rs = mk_cfg(10, 10, 8, 100, 30);
	CHECK_EQ(ann_other(rs, 1, X[0], UINT64_MAX - 10), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), UINT64_MAX);
	CHECK_EQ(poll16(rs, UINT64_MAX, q, &to), 1);
	hs_reqsched_del(rs);
}

static void test_eviction(void)
{
	struct hs_reqsched *rs = mk(10, 10, 3, 100);
	struct hs_request q[16];
	size_t to;
	/* Three inbound peers fill the id; the outbound one evicts the last of them. */
	for (uint32_t p = 1; p <= 3; p++)
		CHECK_EQ(ann_other(rs, p, X[0], 0), 0);
	CHECK_EQ(ann_other(rs, 4, X[0], 0), HS_ERR_FULL);
	CHECK_EQ(ann(rs, 5, X[0], 0), 0);
	CHECK_EQ(hs_reqsched_evictions(rs), 1);
	CHECK_EQ(hs_reqsched_peer_count(rs, 3), 0);
	CHECK_EQ(hs_reqsched_count(rs), 3);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	CHECK(req_is(&q[0], 5, X[0]));
	/* A REQUESTED or FAILED inbound announcement is never evicted: only candidates are. */
	hs_reqsched_notfound(rs, 5, X[0]);
	CHECK_EQ(poll16(rs, 0, q, &to), 1); /* 1 or 2 */
	uint32_t asked = q[0].peer, other = asked == 1 ? 2 : 1;
	CHECK_EQ(ann(rs, 6, X[0], 0), 0); /* evicts the remaining candidate */
	CHECK_EQ(hs_reqsched_peer_count(rs, other), 0);
	CHECK_EQ(ann(rs, 7, X[0], 0), HS_ERR_FULL); /* FAILED 5, REQUESTED asked, candidate 6 */
	CHECK(hs_reqsched_is_requested(rs, asked, X[0]));
	CHECK_EQ(hs_reqsched_evictions(rs), 2);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);

	/* Full of preferred announcements: a preferred one is refused too. */
	rs = mk(10, 10, 2, 100);
	CHECK_EQ(ann(rs, 1, X[0], 0), 0);
	CHECK_EQ(ann(rs, 2, X[0], 0), 0);
	CHECK_EQ(ann(rs, 3, X[0], 0), HS_ERR_FULL);
	CHECK_EQ(hs_reqsched_evictions(rs), 0);
	hs_reqsched_del(rs);
}

static void test_strikes_demote(void)
{
	struct hs_reqsched_config cfg = { .peer_inflight_max = 10,
		                          .request_timeout_ns = 100,
		                          .peer_strikes_max = 2 };
	struct hs_reqsched *rs = NULL;
	struct hs_request q[16];
	size_t to;
	REQUIRE(hs_reqsched_new(&rs, &cfg, test_key) == 0);
	/* Peer 1 (outbound) times out twice in a row. */
	CHECK_EQ(ann(rs, 1, X[0], 0), 0);
	CHECK_EQ(ann(rs, 1, X[1], 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 2);
	CHECK_EQ(poll16(rs, 100, q, &to), 0);
	CHECK_EQ(to, 2);
	CHECK_EQ(hs_reqsched_peer_strikes(rs, 1), 2);
	/* Now an inbound announcer is asked before it. */
	CHECK_EQ(ann(rs, 1, X[2], 100), 0);
	CHECK_EQ(ann_other(rs, 2, X[2], 100), 0);
	CHECK_EQ(poll16(rs, 100, q, &to), 1);
	CHECK(req_is(&q[0], 2, X[2]));
	/* Demoted, it is still asked when nobody else has the id. */
	CHECK_EQ(ann(rs, 1, X[3], 100), 0);
	CHECK_EQ(poll16(rs, 100, q, &to), 1);
	CHECK(req_is(&q[0], 1, X[3]));
	/* An answer (here: notfound) clears its strikes; it ranks first again. */
	hs_reqsched_notfound(rs, 1, X[3]);
	CHECK_EQ(hs_reqsched_peer_strikes(rs, 1), 0);
	CHECK_EQ(ann(rs, 1, X[4], 100), 0);
	CHECK_EQ(ann_other(rs, 3, X[4], 100), 0);
	CHECK_EQ(poll16(rs, 100, q, &to), 1);
	CHECK(req_is(&q[0], 1, X[4]));
	/* delivered while it has the request counts as its answer; a notfound for a mere
	 * candidate does not, nor does the object arriving from someone else (received). */
	/* At 200 X[4] times out at 1 (a strike) and goes to 3; X[2] times out at 2 and goes to
	 * 1, no longer demoted. */
	CHECK_EQ(poll16(rs, 200, q, &to), 2);
	CHECK_EQ(to, 2);
	CHECK(hs_reqsched_is_requested(rs, 3, X[4]) && hs_reqsched_is_requested(rs, 1, X[2]));
	CHECK_EQ(hs_reqsched_peer_strikes(rs, 1), 1);
	CHECK_EQ(ann(rs, 1, X[5], 200), 0);
	hs_reqsched_notfound(rs, 1, X[5]);
	CHECK_EQ(hs_reqsched_peer_strikes(rs, 1), 1);
	CHECK_EQ(ann(rs, 1, X[6], 200), 0);
	CHECK_EQ(poll16(rs, 200, q, &to), 1);
	CHECK(req_is(&q[0], 1, X[6]));
	hs_reqsched_received(rs, X[6]);
	CHECK_EQ(hs_reqsched_peer_strikes(rs, 1), 1);
	CHECK_EQ(ann(rs, 1, X[7], 200), 0);
	CHECK_EQ(poll16(rs, 200, q, &to), 1);
	CHECK(req_is(&q[0], 1, X[7]));
	CHECK(hs_reqsched_delivered(rs, 1, X[7])); /* it answered the request */
	CHECK_EQ(hs_reqsched_peer_strikes(rs, 1), 0);
	CHECK(!hs_reqsched_is_requested(rs, 1, X[7]));
	hs_reqsched_peer_gone(rs, 2);
	CHECK_EQ(hs_reqsched_peer_strikes(rs, 2), 0);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

/* A peer that delivered anything is asked before unproven ones of its class (whatever the
 * random order says), not before a better class, and loses that at its next timeout. */
static void test_proven_first(void)
{
	struct hs_reqsched_config cfg = { .peer_inflight_max = 10,
		                          .request_timeout_ns = 100,
		                          .peer_strikes_max = 2 };
	struct hs_reqsched *rs = NULL;
	struct hs_request q[16];
	size_t to;
	REQUIRE(hs_reqsched_new(&rs, &cfg, test_key) == 0);
	/* Peers 1..4 outbound, 5 inbound. Peer 3 pushed us something unasked. */
	CHECK(!hs_reqsched_delivered(rs, 3, X[20])); /* nothing asked: no answer */
	CHECK(!hs_reqsched_delivered(rs, 5, X[21]));
	size_t first3 = 0;
	for (uint32_t i = 0; i < 16; i++) {
		for (uint32_t p = 1; p <= 4; p++)
			CHECK_EQ(ann(rs, p, X[i], 0), 0);
		CHECK_EQ(ann_other(rs, 5, X[i], 0), 0);
		CHECK_EQ(poll16(rs, 0, q, &to), 1);
		first3 += req_is(&q[0], 3, X[i]);
		hs_reqsched_received(rs, X[i]);
	}
	CHECK_EQ(first3, 16);
	/* A timeout takes the proof away: peer 3 is one of the unproven again. */
	CHECK_EQ(ann(rs, 3, X[30], 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	CHECK_EQ(poll16(rs, 100, q, &to), 0);
	CHECK_EQ(to, 1);
	first3 = 0;
	for (uint32_t i = 32; i < 64; i++) {
		for (uint32_t p = 1; p <= 4; p++)
			CHECK_EQ(ann(rs, p, X[i], 100), 0);
		CHECK_EQ(poll16(rs, 100, q, &to), 1);
		first3 += req_is(&q[0], 3, X[i]);
		hs_reqsched_received(rs, X[i]);
	}
	CHECK(first3 > 0 && first3 < 32); /* one of four at random: 8 expected */
	hs_reqsched_peer_gone(rs, 5);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_timeout_moves_on(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	uint32_t o[3] = { 1, 2, 3 };
	ask_order(X[0], o, 3);
	for (uint32_t p = 1; p <= 3; p++)
		CHECK_EQ(ann(rs, p, X[0], 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	CHECK(req_is(&q[0], o[0], X[0]));
	CHECK_EQ(poll16(rs, 99, q, &to), 0); /* the next announcer waits for the timeout */
	CHECK_EQ(to, 0);
	CHECK(!hs_reqsched_is_requested(rs, o[1], X[0]));
	CHECK_EQ(poll16(rs, 100, q, &to), 1);
	CHECK_EQ(to, 1);
	CHECK(req_is(&q[0], o[1], X[0]));
	CHECK(!hs_reqsched_is_requested(rs, o[0], X[0]));
	CHECK_EQ(hs_reqsched_peer_inflight(rs, o[0]), 0);
	CHECK_EQ(hs_reqsched_peer_count(rs, o[0]), 1);   /* the FAILED one still counts */
	CHECK_EQ(hs_reqsched_peer_strikes(rs, o[0]), 1); /* and its peer has a strike */
	CHECK_EQ(ann(rs, o[0], X[0], 0), 0);             /* no-op: it is not asked again */
	CHECK_EQ(hs_reqsched_count(rs), 3);
	CHECK_EQ(poll16(rs, 200, q, &to), 1);
	CHECK(req_is(&q[0], o[2], X[0]));
	CHECK_EQ(poll16(rs, 300, q, &to), 0); /* all failed: the id is forgotten */
	CHECK_EQ(to, 1);
	CHECK(!hs_reqsched_has_id(rs, X[0]));
	CHECK_EQ(hs_reqsched_count(rs), 0);
	CHECK_EQ(hs_reqsched_peer_count(rs, o[0]), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), UINT64_MAX);
	CHECK_EQ(ann(rs, o[0], X[0], 300), 0); /* a later inv starts afresh */
	CHECK_EQ(poll16(rs, 300, q, &to), 1);
	CHECK(req_is(&q[0], o[0], X[0]));
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_notfound_moves_on(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	uint32_t o[3] = { 1, 2, 3 };
	ask_order(X[0], o, 3);
	for (uint32_t p = 1; p <= 3; p++)
		CHECK_EQ(ann(rs, p, X[0], 0), 0);
	CHECK_EQ(poll16(rs, 5, q, &to), 1);
	CHECK(req_is(&q[0], o[0], X[0]));
	hs_reqsched_notfound(rs, o[0], X[0]);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, o[0]), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 5); /* requestable now */
	CHECK_EQ(poll16(rs, 5, q, &to), 1);
	CHECK_EQ(to, 0);
	CHECK(req_is(&q[0], o[1], X[0]));
	hs_reqsched_notfound(rs, o[2], X[0]); /* a candidate can fail too */
	hs_reqsched_notfound(rs, o[0], X[0]); /* already failed: nothing */
	hs_reqsched_notfound(rs, 4, X[0]);    /* never announced: nothing */
	hs_reqsched_notfound(rs, 1, X[5]);    /* unknown id: nothing */
	CHECK_EQ(hs_reqsched_count(rs), 3);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_notfound(rs, o[1], X[0]); /* the last live one: forgotten */
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
		CHECK_EQ(ann(rs, p, X[0], 0), 0);
	CHECK_EQ(ann(rs, 3, X[1], 50), 0);
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
	CHECK_EQ(ann(rs, 2, X[0], 0), 0); /* afresh: 2 is asked now */
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
	CHECK_EQ(ann(rs, 1, X[0], 0), 0);
	CHECK_EQ(ann(rs, 1, X[1], 0), 0);
	CHECK_EQ(ann(rs, 1, X[2], 0), 0); /* only 1 has X[2] */
	CHECK_EQ(poll16(rs, 0, q, &to), 3);
	CHECK_EQ(ann(rs, 2, X[0], 0), 0); /* 2 comes later: 1 already has the requests */
	CHECK_EQ(ann(rs, 2, X[1], 0), 0);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 3);
	hs_reqsched_peer_gone(rs, 1);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 0);
	CHECK_EQ(hs_reqsched_peer_count(rs, 1), 0);
	CHECK(!hs_reqsched_has_id(rs, X[2]));
	CHECK_EQ(poll16(rs, 1, q, &to), 2); /* no timeout needed */
	CHECK_EQ(to, 0);
	CHECK(hs_reqsched_is_requested(rs, 2, X[0]));
	CHECK(hs_reqsched_is_requested(rs, 2, X[1]));
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
	CHECK_EQ(ann(rs, 1, X[0], 50), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 50);
	CHECK_EQ(poll16(rs, 49, q, &to), 0);
	CHECK_EQ(poll16(rs, 50, q, &to), 1);
	CHECK(req_is(&q[0], 1, X[0]));
	/* An earlier announcer that is not due yet loses to a later one that is. */
	CHECK_EQ(ann(rs, 1, X[1], 200), 0);
	CHECK_EQ(ann(rs, 2, X[1], 60), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 60);
	CHECK_EQ(poll16(rs, 60, q, &to), 1);
	CHECK(req_is(&q[0], 2, X[1]));
	/* Both due: the smaller priority wins, whatever the order or times of announcement. */
	uint32_t o[2] = { 3, 4 };
	ask_order(X[2], o, 2);
	CHECK_EQ(ann(rs, o[1], X[2], 65), 0);
	CHECK_EQ(ann(rs, o[0], X[2], 70), 0);
	CHECK_EQ(poll16(rs, 70, q, &to), 1);
	CHECK(req_is(&q[0], o[0], X[2]));
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_peer_announced_limit(void)
{
	struct hs_reqsched *rs = mk(3, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	for (int i = 0; i < 3; i++)
		CHECK_EQ(ann(rs, 1, X[i], 0), 0);
	CHECK_EQ(ann(rs, 1, X[3], 0), HS_ERR_FULL);
	CHECK_EQ(ann(rs, 1, X[0], 0), 0); /* existing: no-op even when full */
	CHECK_EQ(hs_reqsched_peer_count(rs, 1), 3);
	CHECK_EQ(ann(rs, 2, X[3], 0), 0); /* other peers are unaffected */
	hs_reqsched_received(rs, X[1]);
	CHECK_EQ(ann(rs, 1, X[3], 0), 0);
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
		CHECK_EQ(ann(rs, 1, X[i], 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 2);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 2);
	int waiting = !hs_reqsched_is_requested(rs, 1, X[0])   ? 0
	              : !hs_reqsched_is_requested(rs, 1, X[1]) ? 1
	                                                       : 2;
	CHECK(!hs_reqsched_is_requested(rs, 1, X[waiting]));
	CHECK_EQ(hs_reqsched_next_deadline(rs), 100); /* the blocked one does not make us spin */
	CHECK_EQ(poll16(rs, 10, q, &to), 0);
	hs_reqsched_received(rs, X[(waiting + 1) % 3]);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 10);
	CHECK_EQ(poll16(rs, 10, q, &to), 1); /* unblocked: the next poll asks */
	CHECK(req_is(&q[0], 1, X[waiting]));
	/* A timeout unblocks too, within the same poll. */
	CHECK_EQ(ann(rs, 1, X[3], 0), 0);
	CHECK_EQ(poll16(rs, 100, q, &to), 1);
	CHECK_EQ(to, 1);
	CHECK(req_is(&q[0], 1, X[3]));
	hs_reqsched_del(rs);

	/* A blocked peer's id goes to another announcer, whatever the priorities. */
	rs = mk(10, 1, 4, 100);
	CHECK_EQ(ann(rs, 1, X[0], 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	CHECK_EQ(ann(rs, 1, X[1], 0), 0);
	CHECK_EQ(ann(rs, 2, X[1], 0), 0);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	CHECK(req_is(&q[0], 2, X[1]));
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_id_announcer_limit(void)
{
	struct hs_reqsched *rs = mk(10, 10, 3, 100);
	struct hs_request q[16];
	size_t to;
	for (uint32_t p = 0; p < 3; p++)
		CHECK_EQ(ann(rs, p, X[0], 0), 0);
	CHECK_EQ(ann(rs, 3, X[0], 0), HS_ERR_FULL);
	CHECK_EQ(poll16(rs, 0, q, &to), 1);
	hs_reqsched_notfound(rs, 0, X[0]); /* FAILED still takes its place */
	CHECK_EQ(ann(rs, 3, X[0], 0), HS_ERR_FULL);
	hs_reqsched_peer_gone(rs, 1);
	CHECK_EQ(ann(rs, 3, X[0], 0), 0);
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
		int err = ann_other(rs, 5, id, 0);
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

	/* Every peer at its limit: the total is peers * limit and not one more, evictions
	 * included (a preferred announcement evicts one of the same total). */
	rs = mk(20, 4, 16, 100);
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++)
		for (uint32_t i = 0; i < 25; i++) {
			make_id(id, (i + p) % 40); /* overlapping ids */
			int err = hs_reqsched_announce(rs, p, id, 1, (enum hs_req_class)(p % 2), 0);
			CHECK(err == 0 || err == HS_ERR_FULL);
		}
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++)
		for (uint32_t i = 0; i < 25; i++) {
			make_id(id, 100 + p * 25 + i); /* fresh ids */
			CHECK(ann(rs, p, id, 0) == 0 || hs_reqsched_peer_count(rs, p) == 20);
		}
	CHECK(hs_reqsched_count(rs) <= HS_PEERS_MAX * 20);
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++)
		CHECK(hs_reqsched_peer_count(rs, p) <= 20);
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

static void test_invalid_peers(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	CHECK_EQ(ann(rs, HS_PEERS_MAX, X[0], 0), HS_ERR_INVALID);
	CHECK_EQ(ann(rs, UINT32_MAX, X[0], 0), HS_ERR_INVALID);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, (enum hs_req_class)2, 0), HS_ERR_INVALID);
	CHECK_EQ(hs_reqsched_announce(rs, 1, X[0], 1, (enum hs_req_class) - 1, 0), HS_ERR_INVALID);
	CHECK(!hs_reqsched_has_id(rs, X[0]));
	CHECK_EQ(ann(rs, HS_PEERS_MAX - 1, X[0], 0), 0);
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
	CHECK_EQ(hs_reqsched_peer_strikes(rs, UINT32_MAX), 0);
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
	cfg.peer_strikes_max = SIZE_MAX;
	cfg.nonpreferred_delay_ns = UINT64_MAX;
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
		CHECK_EQ(ann(rs, 1, X[i], 0), 0);
	CHECK_EQ(hs_reqsched_poll(rs, 20, q, 2, &to), 2);
	CHECK_EQ(to, 0);
	CHECK(spec_priority(test_key, q[0].id, 1, 0) < spec_priority(test_key, q[1].id, 1, 0));
	CHECK_EQ(hs_reqsched_next_deadline(rs), 20); /* more to do now */
	CHECK_EQ(hs_reqsched_poll(rs, 20, NULL, 0, NULL), 0);
	CHECK_EQ(poll16(rs, 20, q, &to), 3);
	CHECK_EQ(hs_reqsched_peer_inflight(rs, 1), 5);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 120);
	hs_reqsched_del(rs);
}

static void test_time(void)
{
	struct hs_reqsched *rs = mk(10, 10, 4, 100);
	struct hs_request q[16];
	size_t to;
	CHECK_EQ(poll16(rs, 1000, q, &to), 0);
	CHECK_EQ(ann(rs, 1, X[0], 500), 0);
	CHECK_EQ(hs_reqsched_next_deadline(rs), 1000);
	CHECK_EQ(poll16(rs, 10, q, &to), 1); /* an earlier now acts at 1000 */
	CHECK_EQ(hs_reqsched_next_deadline(rs), 1100);
	hs_reqsched_del(rs);

	/* Expiry saturates at the end of time. */
	rs = mk(10, 10, 4, 100);
	CHECK_EQ(ann(rs, 1, X[0], 0), 0);
	CHECK_EQ(ann(rs, 2, X[0], 0), 0);
	CHECK_EQ(poll16(rs, UINT64_MAX - 50, q, &to), 1);
	uint32_t first = q[0].peer;
	CHECK_EQ(hs_reqsched_next_deadline(rs), UINT64_MAX);
	CHECK_EQ(poll16(rs, UINT64_MAX - 1, q, &to), 0);
	CHECK_EQ(poll16(rs, UINT64_MAX, q, &to), 1);
	CHECK_EQ(to, 1);
	CHECK(req_is(&q[0], 3 - first, X[0]));
	CHECK(hs_reqsched_check(rs));
	hs_reqsched_del(rs);
}

/* ---- the delay bound: k colluding withholders -------------------------------------------- */

struct bound_case {
	uint32_t k;                /* withholders: peers 1..k; the honest announcer is peer 0 */
	enum hs_req_class cls[17]; /* by peer */
	uint64_t at[17];           /* when each announces */
};

/* Drives one id through the scheduler as the node would (poll at every deadline and
 * announcement); withholders never answer. Returns the timeouts after h_due (when the honest
 * peer's announcement fell due) and before the honest peer was asked. */
static size_t bound_run(const struct bound_case *c, uint64_t timeout, uint64_t delay,
                        uint64_t h_due, uint64_t *asked_at)
{
	struct hs_reqsched *rs = mk_cfg(10, 10, HS_REQ_ID_ANNOUNCERS_MAX, timeout, delay);
	struct hs_request q[16];
	size_t timeouts = 0, to;
	bool announced[17] = { false };
	uint64_t now = 0;
	for (;;) {
		uint64_t next = hs_reqsched_next_deadline(rs);
		for (uint32_t p = 0; p <= c->k; p++)
			if (!announced[p] && c->at[p] < next)
				next = c->at[p];
		REQUIRE(next != UINT64_MAX); /* the honest peer is always asked eventually */
		now = next;
		for (uint32_t p = 0; p <= c->k; p++)
			if (!announced[p] && c->at[p] <= now) {
				CHECK_EQ(hs_reqsched_announce(rs, p, X[0], 1, c->cls[p], c->at[p]),
				         0);
				announced[p] = true;
			}
		size_t n = poll16(rs, now, q, &to);
		timeouts += now > h_due ? to : 0;
		for (size_t i = 0; i < n; i++)
			if (q[i].peer == 0) {
				*asked_at = now;
				hs_reqsched_del(rs);
				return timeouts;
			}
	}
}

static void test_withholders_bound(void)
{
	const uint64_t timeout = 100, delay = 30;
	test_rng_seed(&rng, 0x626f756e64); /* "bound" */
	for (int run = 0; run < 3000; run++) {
		struct bound_case c = { .k = rng_below(HS_REQ_ID_ANNOUNCERS_MAX) };
		uint32_t pref_w = 0, other_w = 0;
		bool first_due = true;
		for (uint32_t p = 0; p <= c.k; p++) {
			c.cls[p] = (enum hs_req_class)rng_below(2);
			c.at[p] = rng_below(4) == 0 ? 0 : rng_below(400);
			if (p > 0) {
				pref_w += c.cls[p] == HS_REQ_PREFERRED;
				other_w += c.cls[p] == HS_REQ_OTHER;
			}
		}
		uint64_t h_due = c.at[0] + (c.cls[0] == HS_REQ_OTHER ? delay : 0), asked_at = 0;
		for (uint32_t p = 1; p <= c.k; p++)
			first_due = first_due &&
			            c.at[p] + (c.cls[p] == HS_REQ_OTHER ? delay : 0) > h_due;
		size_t t = bound_run(&c, timeout, delay, h_due, &asked_at);
		/* Each withholder costs at most one timeout once h is due... */
		CHECK(t <= c.k);
		/* ... so the honest peer is asked at most k timeouts after it is due. */
		CHECK(asked_at <= h_due + t * timeout);
		CHECK(asked_at >= h_due);
		if (c.cls[0] == HS_REQ_PREFERRED) {
			/* Inbound withholders cost at most the one request in flight when h fell
			 * due; none if h fell due first. */
			CHECK(t <= pref_w + 1);
			if (first_due)
				CHECK(t <= pref_w);
			if (pref_w == 0 && first_due)
				CHECK_EQ(t, 0);
		}
		if (c.cls[0] == HS_REQ_OTHER && first_due)
			CHECK(t <= pref_w + other_w);
		(void)other_w;
	}
}

/* The old weakness: k fast inbound withholders announce before the one honest outbound
 * announcer, which follows within the delay: no timeout at all. And j outbound withholders
 * cost j / 2 on average, not j. */
static void test_withholders_race(void)
{
	const uint64_t timeout = 100, delay = 30;
	uint64_t sum_equal = 0, runs_equal = 0;
	for (uint32_t k = 1; k <= HS_REQ_ID_ANNOUNCERS_MAX - 1; k++) {
		struct bound_case c = { .k = k };
		uint64_t asked_at;
		c.cls[0] = HS_REQ_PREFERRED;
		c.at[0] = 25;
		for (uint32_t p = 1; p <= k; p++)
			c.cls[p] = HS_REQ_OTHER, c.at[p] = p; /* all before the honest one */
		CHECK_EQ(bound_run(&c, timeout, delay, 0, &asked_at), 0);
		CHECK_EQ(asked_at, 25);
	}

	/* j outbound withholders and one honest outbound announcer, all due at once: the random
	 * order costs j / 2 timeouts on average (j / (P - j + 1) with P = j + 1), not j. */
	for (int run = 0; run < 2000; run++) {
		struct bound_case c = { .k = 3 };
		uint64_t asked_at;
		for (uint32_t p = 0; p <= c.k; p++)
			c.cls[p] = HS_REQ_PREFERRED, c.at[p] = 0;
		/* A different id each run: a fresh random order. */
		make_id(X[0], 1000 + (uint32_t)run);
		sum_equal += bound_run(&c, timeout, delay, 0, &asked_at);
		runs_equal++;
	}
	make_id(X[0], 0);
	/* 1.5 expected; the standard error over 2000 runs is 0.025. */
	CHECK(sum_equal * 10 > runs_equal * 13 && sum_equal * 10 < runs_equal * 17);
	printf("     bound: 3 outbound withholders cost %.3f timeouts on average\n",
	       (double)sum_equal / (double)runs_equal);
}

int main(void)
{
	for (uint32_t i = 0; i < 64; i++)
		make_id(X[i], i);
	RUN(test_random_choice);
	RUN(test_preferred_first);
	RUN(test_eviction);
	RUN(test_strikes_demote);
	RUN(test_proven_first);
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
	RUN(test_withholders_bound);
	RUN(test_withholders_race);
	RUN(test_model);
	return hs_test_done();
}

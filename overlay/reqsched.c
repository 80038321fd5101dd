/*
 * Request scheduler (see reqsched.h for the specification).
 *
 * Shape. Announcements live in one pool and are linked twice: into their id's list (in seq
 * order, at most id_announcers_max long) and into their peer's list. An id record is found
 * through a secret-keyed hs_idmap. Every announcement is in at most one heap, named by its
 * `where` field:
 *   - WAITING: a CANDIDATE of an id with nothing in flight, reqtime > now (one global heap,
 *     by reqtime);
 *   - READY: the same with reqtime <= now (one heap per peer, by priority without the
 *     demotion term: the same order, since that term is one constant for all of a peer's);
 *   - INFLIGHT: a REQUESTED announcement (one global heap, by expiry);
 *   - NOWHERE: a FAILED one, or a CANDIDATE of an id that has a request in flight.
 * A last heap holds the peers that have a READY candidate and room in flight, keyed by the
 * priority of their first READY candidate (demotion term included). Its top is exactly the
 * next request poll must make: the eligible announcement of smallest priority over all ids is
 * also the smallest of its own id, i.e. that id's chosen candidate. A peer leaves that heap
 * when its in-flight count reaches the limit and comes back the moment the count drops, so a
 * candidate held back only by its peer's limit is output by the next poll; its key moves when
 * its strikes cross peer_strikes_max.
 *
 * Heaps are indexed (each member knows its position), so removal is O(log n) and nothing is
 * deleted lazily: memory never grows with churn. Every array is grown in announce, the only
 * call that may fail; the other calls never allocate.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/idmap.h"
#include "reqsched.h"

#define NONE UINT32_MAX
/* Per-peer cap on peer_announced_max: keeps every index below 2^32 with room to spare. */
#define PEER_ANNOUNCED_CAP (UINT32_C(1) << 20)
#define POOL_MIN           64

_Static_assert(HS_PEERS_MAX <= 256, "peer numbers are stored in one byte");

enum state { CANDIDATE, REQUESTED, FAILED, FREE };
enum where { NOWHERE, WAITING, READY, INFLIGHT };

struct ann {
	uint64_t seq;
	uint64_t prio;         /* class * 2^62 + hash: the priority without the demotion term */
	uint64_t time;         /* reqtime while CANDIDATE, expiry while REQUESTED */
	uint32_t rec;          /* the id record */
	uint32_t inext, iprev; /* the id's announcements in seq order; inext links the free list */
	uint32_t pnext, pprev; /* the peer's announcements */
	uint8_t peer;
	uint8_t state; /* enum state */
	uint8_t where; /* enum where */
	uint8_t cls;   /* enum hs_req_class */
};

struct idrec {
	uint8_t id[HS_ID_LEN];
	uint8_t kind;        /* the caller's kind of object, from the first announcement */
	uint32_t head, tail; /* announcements, ascending seq; head links the free list */
	uint32_t requested;  /* the REQUESTED announcement, or NONE */
	uint32_t count;      /* announcements; 0 when the record is free */
	uint32_t live;       /* CANDIDATE or REQUESTED announcements */
};

struct heap_ent {
	uint64_t key;
	uint32_t idx;
};

struct heap {
	struct heap_ent *v;
	uint32_t len, cap;
};

struct peer {
	struct heap ready;   /* READY candidates by prio; cap <= peer_announced_max */
	uint32_t head;       /* announcements list */
	uint32_t count;      /* announcements of any state */
	uint32_t inflight;   /* REQUESTED announcements */
	uint32_t strikes;    /* timeouts since its last answer */
	bool proven;         /* delivered an object since it last timed out */
	uint64_t timeout_ns; /* its own request timeout (0: the configured one) */
};

struct hs_reqsched {
	uint32_t announced_max, inflight_max, announcers_max, strikes_max;
	uint64_t timeout_ns, nonpref_delay_ns;
	uint64_t evictions;
	uint64_t now; /* the largest now given to poll */
	uint64_t seq; /* the next announcement's seq */
	struct hs_idmap ids;
	struct ann *anns;
	uint32_t *ann_pos; /* each announcement's index in the heap `where` names, or NONE */
	struct idrec *recs;
	uint32_t pool_cap, pool_max, anns_used, ann_free, rec_free;
	struct heap waiting, inflight, peers;
	uint32_t peer_pos[HS_PEERS_MAX];
	struct peer peer[HS_PEERS_MAX];
};

/* ---- indexed binary min-heap ------------------------------------------------------------ */

static void heap_set(struct heap *h, uint32_t *pos, uint32_t i, struct heap_ent e)
{
	h->v[i] = e;
	pos[e.idx] = i;
}

static void heap_up(struct heap *h, uint32_t *pos, uint32_t i)
{
	struct heap_ent e = h->v[i];
	while (i > 0 && e.key < h->v[(i - 1) / 2].key) {
		heap_set(h, pos, i, h->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(h, pos, i, e);
}

static void heap_down(struct heap *h, uint32_t *pos, uint32_t i)
{
	struct heap_ent e = h->v[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->len)
			break;
		if (c + 1 < h->len && h->v[c + 1].key < h->v[c].key)
			c++;
		if (e.key <= h->v[c].key)
			break;
		heap_set(h, pos, i, h->v[c]);
		i = c;
	}
	heap_set(h, pos, i, e);
}

/* Restores the heap order around i after its key changed or it was replaced. */
static void heap_fix(struct heap *h, uint32_t *pos, uint32_t i)
{
	if (i > 0 && h->v[i].key < h->v[(i - 1) / 2].key)
		heap_up(h, pos, i);
	else
		heap_down(h, pos, i);
}

static void heap_push(struct heap *h, uint32_t *pos, uint64_t key, uint32_t idx)
{
	assert(h->len < h->cap); /* capacity is reserved in announce */
	h->v[h->len] = (struct heap_ent){ .key = key, .idx = idx };
	heap_up(h, pos, h->len++);
}

static void heap_remove(struct heap *h, uint32_t *pos, uint32_t i)
{
	assert(i < h->len);
	pos[h->v[i].idx] = NONE;
	if (i == --h->len)
		return;
	heap_set(h, pos, i, h->v[h->len]);
	heap_fix(h, pos, i);
}

static int heap_reserve(struct heap *h, uint32_t cap)
{
	if (h->cap >= cap)
		return 0;
	struct heap_ent *v = realloc(h->v, (size_t)cap * sizeof(*v));
	if (!v)
		return HS_ERR_NOMEM;
	h->v = v;
	h->cap = cap;
	return 0;
}

/* ---- priorities ----------------------------------------------------------------------------- */

#define RANK_SHIFT 61
/* The peer terms of a priority (reqsched.h): unproven adds 1 to the rank, demoted 4; the
 * class adds 2 for OTHER. */
#define UNPROVEN ((uint64_t)1 << RANK_SHIFT)
#define DEMOTED  ((uint64_t)4 << RANK_SHIFT)

/* The priority of (peer, id) without the demotion term (reqsched.h). */
static uint64_t priority(const struct hs_reqsched *rs, const uint8_t id[HS_ID_LEN], uint32_t peer,
                         enum hs_req_class cls)
{
	uint8_t buf[HS_ID_LEN + 1];
	memcpy(buf, id, HS_ID_LEN);
	buf[HS_ID_LEN] = (uint8_t)peer;
	return ((uint64_t)cls << (RANK_SHIFT + 1)) |
	       (hs_shorthash(rs->ids.key, buf, sizeof(buf)) >> 3);
}

/* The peer's terms: one constant for all of its announcements. */
static uint64_t demotion(const struct hs_reqsched *rs, uint32_t p)
{
	return (rs->peer[p].strikes >= rs->strikes_max ? DEMOTED : 0) +
	       (rs->peer[p].proven ? 0 : UNPROVEN);
}

/* ---- placement: which heap an announcement belongs in ------------------------------------ */

/* Puts peer p in the peers heap, with the right key, exactly when it has a READY candidate
 * and room in flight. */
static void peer_sync(struct hs_reqsched *rs, uint32_t p)
{
	const struct peer *pe = &rs->peer[p];
	bool want = pe->ready.len > 0 && pe->inflight < rs->inflight_max;
	uint32_t i = rs->peer_pos[p];
	if (i != NONE && !want) {
		heap_remove(&rs->peers, rs->peer_pos, i);
	} else if (i != NONE) {
		rs->peers.v[i].key = pe->ready.v[0].key + demotion(rs, p);
		heap_fix(&rs->peers, rs->peer_pos, i);
	} else if (want) {
		heap_push(&rs->peers, rs->peer_pos, pe->ready.v[0].key + demotion(rs, p), p);
	}
}

/* A CANDIDATE of an id with nothing in flight enters the heap its reqtime calls for. */
static void place(struct hs_reqsched *rs, uint32_t a)
{
	struct ann *an = &rs->anns[a];
	assert(an->state == CANDIDATE && an->where == NOWHERE);
	if (an->time <= rs->now) {
		heap_push(&rs->peer[an->peer].ready, rs->ann_pos, an->prio, a);
		an->where = READY;
		peer_sync(rs, an->peer);
	} else {
		heap_push(&rs->waiting, rs->ann_pos, an->time, a);
		an->where = WAITING;
	}
}

static void unplace(struct hs_reqsched *rs, uint32_t a)
{
	struct ann *an = &rs->anns[a];
	uint32_t i = rs->ann_pos[a];
	switch (an->where) {
	case READY:
		heap_remove(&rs->peer[an->peer].ready, rs->ann_pos, i);
		peer_sync(rs, an->peer);
		break;
	case WAITING:
		heap_remove(&rs->waiting, rs->ann_pos, i);
		break;
	case INFLIGHT:
		heap_remove(&rs->inflight, rs->ann_pos, i);
		break;
	default:
		break;
	}
	an->where = NOWHERE;
}

/* ---- announcements and id records --------------------------------------------------------- */

/* Unlinks announcement a from everything and frees it. The caller settles its id record. */
static void ann_drop(struct hs_reqsched *rs, uint32_t a)
{
	struct ann *an = &rs->anns[a];
	struct idrec *r = &rs->recs[an->rec];
	struct peer *pe = &rs->peer[an->peer];
	unplace(rs, a);
	if (an->state == REQUESTED) {
		r->requested = NONE;
		pe->inflight--;
		peer_sync(rs, an->peer);
	}
	if (an->state != FAILED)
		r->live--;
	r->count--;
	pe->count--;
	if (an->iprev != NONE)
		rs->anns[an->iprev].inext = an->inext;
	else
		r->head = an->inext;
	if (an->inext != NONE)
		rs->anns[an->inext].iprev = an->iprev;
	else
		r->tail = an->iprev;
	if (an->pprev != NONE)
		rs->anns[an->pprev].pnext = an->pnext;
	else
		pe->head = an->pnext;
	if (an->pnext != NONE)
		rs->anns[an->pnext].pprev = an->pprev;
	an->state = FREE;
	an->inext = rs->ann_free;
	rs->ann_free = a;
	rs->anns_used--;
}

/* Drops every announcement of record r and frees it (the id is forgotten). */
static void rec_forget(struct hs_reqsched *rs, uint32_t r)
{
	struct idrec *rec = &rs->recs[r];
	while (rec->head != NONE)
		ann_drop(rs, rec->head);
	bool found = hs_idmap_del(&rs->ids, rec->id);
	assert(found);
	(void)found;
	rec->head = rs->rec_free;
	rs->rec_free = r;
}

/* Restores record r's invariants after a change: an id whose announcements have all failed is
 * forgotten; the candidates of an id with nothing in flight are placed. */
static void rec_settle(struct hs_reqsched *rs, uint32_t r)
{
	struct idrec *rec = &rs->recs[r];
	if (rec->live == 0) {
		rec_forget(rs, r);
		return;
	}
	if (rec->requested != NONE)
		return;
	for (uint32_t a = rec->head; a != NONE; a = rs->anns[a].inext)
		if (rs->anns[a].state == CANDIDATE && rs->anns[a].where == NOWHERE)
			place(rs, a);
}

/* A CANDIDATE or REQUESTED announcement becomes FAILED (notfound or timeout). */
static void ann_fail(struct hs_reqsched *rs, uint32_t a)
{
	struct ann *an = &rs->anns[a];
	struct idrec *r = &rs->recs[an->rec];
	unplace(rs, a);
	if (an->state == REQUESTED) {
		r->requested = NONE;
		rs->peer[an->peer].inflight--;
		peer_sync(rs, an->peer);
	}
	an->state = FAILED;
	r->live--;
	rec_settle(rs, an->rec);
}

/* Candidate a (READY, its peer below the in-flight limit) is requested now. */
static void ann_request(struct hs_reqsched *rs, uint32_t a)
{
	struct ann *an = &rs->anns[a];
	struct idrec *r = &rs->recs[an->rec];
	/* Nothing else of this id may be requested while this request is in flight. */
	for (uint32_t b = r->head; b != NONE; b = rs->anns[b].inext)
		unplace(rs, b);
	an->state = REQUESTED;
	uint64_t to =
	        rs->peer[an->peer].timeout_ns ? rs->peer[an->peer].timeout_ns : rs->timeout_ns;
	an->time = rs->now + to < rs->now ? UINT64_MAX : rs->now + to;
	heap_push(&rs->inflight, rs->ann_pos, an->time, a);
	an->where = INFLIGHT;
	r->requested = a;
	rs->peer[an->peer].inflight++;
	peer_sync(rs, an->peer);
}

static uint32_t find(const struct hs_reqsched *rs, uint32_t r, uint32_t peer)
{
	for (uint32_t a = rs->recs[r].head; a != NONE; a = rs->anns[a].inext)
		if (rs->anns[a].peer == peer)
			return a;
	return NONE;
}

static uint32_t lookup(const struct hs_reqsched *rs, const uint8_t id[HS_ID_LEN])
{
	const uint32_t *v = hs_idmap_get(&rs->ids, id);
	return v ? *v : NONE;
}

/* ---- allocation --------------------------------------------------------------------------- */

static int grow_array(void **p, size_t n, size_t elem)
{
	void *q = realloc(*p, n * elem);
	if (!q)
		return HS_ERR_NOMEM;
	*p = q;
	return 0;
}

/* Grows the pools (announcements, records, and the global heaps that can hold each
 * announcement once) by doubling, up to pool_max. Only called with a full pool. */
static int pool_grow(struct hs_reqsched *rs)
{
	uint32_t old = rs->pool_cap;
	uint32_t cap = old > rs->pool_max / 2 ? rs->pool_max : old * 2;
	if (cap < POOL_MIN)
		cap = rs->pool_max < POOL_MIN ? rs->pool_max : POOL_MIN;
	assert(cap > old);
	if (grow_array((void **)&rs->anns, cap, sizeof(*rs->anns)) ||
	    grow_array((void **)&rs->ann_pos, cap, sizeof(*rs->ann_pos)) ||
	    grow_array((void **)&rs->recs, cap, sizeof(*rs->recs)) ||
	    heap_reserve(&rs->waiting, cap) || heap_reserve(&rs->inflight, cap))
		return HS_ERR_NOMEM;
	for (uint32_t i = cap; i-- > old;) {
		rs->anns[i] = (struct ann){ .state = FREE, .inext = rs->ann_free };
		rs->ann_pos[i] = NONE;
		rs->ann_free = i;
		rs->recs[i] = (struct idrec){ .head = rs->rec_free, .requested = NONE };
		rs->rec_free = i;
	}
	rs->pool_cap = cap;
	return 0;
}

/* Makes sure one more announcement of peer p, and possibly a new record, fits. */
static int reserve(struct hs_reqsched *rs, uint32_t p)
{
	struct heap *ready = &rs->peer[p].ready;
	if (rs->ann_free == NONE || rs->rec_free == NONE) {
		int err = pool_grow(rs);
		if (err)
			return err;
	}
	if (ready->cap > rs->peer[p].count)
		return 0;
	uint32_t cap = ready->cap < 8 ? 8 : ready->cap * 2;
	return heap_reserve(ready, cap < rs->announced_max ? cap : rs->announced_max);
}

static int rec_new(struct hs_reqsched *rs, uint32_t *out, const uint8_t id[HS_ID_LEN], uint8_t kind)
{
	uint32_t r = rs->rec_free;
	int err = hs_idmap_put(&rs->ids, id, r);
	if (err)
		return err;
	struct idrec *rec = &rs->recs[r];
	rs->rec_free = rec->head;
	*rec = (struct idrec){ .head = NONE, .tail = NONE, .requested = NONE };
	memcpy(rec->id, id, HS_ID_LEN);
	rec->kind = kind;
	*out = r;
	return 0;
}

/* ---- public API ----------------------------------------------------------------------------- */

static uint32_t cfg_count(size_t v, uint32_t dflt, uint32_t cap)
{
	if (v == 0)
		return dflt;
	return v > cap ? cap : (uint32_t)v;
}

int hs_reqsched_new(struct hs_reqsched **out, const struct hs_reqsched_config *cfg,
                    const uint8_t key[16])
{
	*out = NULL;
	if (!cfg || cfg->request_timeout_ns == 0 || cfg->peer_announced_max > PEER_ANNOUNCED_CAP)
		return HS_ERR_INVALID;
	struct hs_reqsched *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return HS_ERR_NOMEM;
	rs->announced_max =
	        cfg_count(cfg->peer_announced_max, HS_REQ_PEER_ANNOUNCED_MAX, PEER_ANNOUNCED_CAP);
	rs->inflight_max = cfg_count(cfg->peer_inflight_max, HS_REQ_PEER_INFLIGHT_MAX, UINT32_MAX);
	rs->announcers_max =
	        cfg_count(cfg->id_announcers_max, HS_REQ_ID_ANNOUNCERS_MAX, UINT32_MAX);
	rs->strikes_max = cfg_count(cfg->peer_strikes_max, HS_REQ_PEER_STRIKES_MAX, UINT32_MAX);
	rs->timeout_ns = cfg->request_timeout_ns;
	rs->nonpref_delay_ns = cfg->nonpreferred_delay_ns;
	rs->pool_max = rs->announced_max * HS_PEERS_MAX;
	rs->ann_free = rs->rec_free = NONE;
	hs_idmap_init(&rs->ids, key, rs->pool_max);
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++) {
		rs->peer[p].head = NONE;
		rs->peer_pos[p] = NONE;
	}
	if (heap_reserve(&rs->peers, HS_PEERS_MAX)) {
		hs_reqsched_del(rs);
		return HS_ERR_NOMEM;
	}
	*out = rs;
	return 0;
}

void hs_reqsched_del(struct hs_reqsched *rs)
{
	if (!rs)
		return;
	hs_idmap_deinit(&rs->ids);
	sodium_memzero(rs->ids.key, sizeof(rs->ids.key));
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++)
		free(rs->peer[p].ready.v);
	free(rs->anns);
	free(rs->ann_pos);
	free(rs->recs);
	free(rs->waiting.v);
	free(rs->inflight.v);
	free(rs->peers.v);
	free(rs);
}

/* The announcement a PREFERRED one evicts from full record r: its OTHER CANDIDATE of largest
 * seq (the list is in seq order), or NONE. */
static uint32_t evictable(const struct hs_reqsched *rs, uint32_t r)
{
	uint32_t victim = NONE;
	for (uint32_t a = rs->recs[r].head; a != NONE; a = rs->anns[a].inext)
		if (rs->anns[a].state == CANDIDATE && rs->anns[a].cls == HS_REQ_OTHER)
			victim = a;
	return victim;
}

int hs_reqsched_announce(struct hs_reqsched *rs, uint32_t peer, const uint8_t id[HS_ID_LEN],
                         uint8_t kind, enum hs_req_class cls, uint64_t reqtime)
{
	if (peer >= HS_PEERS_MAX || (cls != HS_REQ_PREFERRED && cls != HS_REQ_OTHER))
		return HS_ERR_INVALID;
	struct peer *pe = &rs->peer[peer];
	uint32_t r = lookup(rs, id), victim = NONE;
	if (r != NONE && find(rs, r, peer) != NONE)
		return 0;
	if (pe->count >= rs->announced_max)
		return HS_ERR_FULL;
	if (r != NONE && rs->recs[r].count >= rs->announcers_max) {
		victim = cls == HS_REQ_PREFERRED ? evictable(rs, r) : NONE;
		if (victim == NONE)
			return HS_ERR_FULL;
	}
	int err = reserve(rs, peer);
	if (!err && r == NONE)
		err = rec_new(rs, &r, id, kind);
	if (err)
		return err;
	if (victim != NONE) {
		/* A CANDIDATE, and the new announcement keeps the record live: nothing to settle.
		 */
		ann_drop(rs, victim);
		rs->evictions++;
	}
	if (cls == HS_REQ_OTHER)
		reqtime = reqtime + rs->nonpref_delay_ns < reqtime ? UINT64_MAX
		                                                   : reqtime + rs->nonpref_delay_ns;
	struct idrec *rec = &rs->recs[r];
	uint32_t a = rs->ann_free;
	struct ann *an = &rs->anns[a];
	rs->ann_free = an->inext;
	*an = (struct ann){ .seq = rs->seq++,
		            .prio = priority(rs, id, peer, cls),
		            .time = reqtime,
		            .rec = r,
		            .inext = NONE,
		            .iprev = rec->tail,
		            .pnext = pe->head,
		            .pprev = NONE,
		            .peer = (uint8_t)peer,
		            .state = CANDIDATE,
		            .where = NOWHERE,
		            .cls = (uint8_t)cls };
	if (rec->tail != NONE)
		rs->anns[rec->tail].inext = a;
	else
		rec->head = a;
	rec->tail = a;
	if (pe->head != NONE)
		rs->anns[pe->head].pprev = a;
	pe->head = a;
	rec->count++;
	rec->live++;
	pe->count++;
	rs->anns_used++;
	if (rec->requested == NONE)
		place(rs, a);
	return 0;
}

size_t hs_reqsched_poll(struct hs_reqsched *rs, uint64_t now, struct hs_request *out, size_t max,
                        size_t *timeouts)
{
	size_t expired = 0, n = 0;
	if (now > rs->now)
		rs->now = now;
	while (rs->inflight.len > 0 && rs->inflight.v[0].key <= rs->now) {
		uint32_t a = rs->inflight.v[0].idx;
		struct peer *pe = &rs->peer[rs->anns[a].peer];
		pe->strikes += pe->strikes < UINT32_MAX;
		pe->proven = false;
		ann_fail(rs, a); /* re-keys the peer, demoted or not */
		expired++;
	}
	while (rs->waiting.len > 0 && rs->waiting.v[0].key <= rs->now) {
		uint32_t a = rs->waiting.v[0].idx;
		unplace(rs, a);
		place(rs, a);
	}
	while (n < max && rs->peers.len > 0) {
		uint32_t p = rs->peers.v[0].idx;
		uint32_t a = rs->peer[p].ready.v[0].idx;
		ann_request(rs, a);
		out[n].peer = p;
		out[n].kind = rs->recs[rs->anns[a].rec].kind;
		memcpy(out[n].id, rs->recs[rs->anns[a].rec].id, HS_ID_LEN);
		n++;
	}
	if (timeouts)
		*timeouts = expired;
	return n;
}

void hs_reqsched_received(struct hs_reqsched *rs, const uint8_t id[HS_ID_LEN])
{
	uint32_t r = lookup(rs, id);
	if (r == NONE)
		return;
	rec_forget(rs, r);
}

bool hs_reqsched_delivered(struct hs_reqsched *rs, uint32_t peer, const uint8_t id[HS_ID_LEN])
{
	if (peer >= HS_PEERS_MAX)
		return false;
	struct peer *pe = &rs->peer[peer];
	uint32_t r = lookup(rs, id);
	uint32_t a = r == NONE ? NONE : find(rs, r, peer);
	bool answer = a != NONE && rs->anns[a].state == REQUESTED;
	if (answer)
		pe->strikes = 0;
	pe->proven = true;
	if (a != NONE && rs->anns[a].state != FAILED)
		ann_fail(rs, a); /* answered: it is not asked for the id again */
	peer_sync(rs, peer);     /* its key lost the unproven term */
	return answer;
}

void hs_reqsched_notfound(struct hs_reqsched *rs, uint32_t peer, const uint8_t id[HS_ID_LEN])
{
	uint32_t r = lookup(rs, id);
	if (peer >= HS_PEERS_MAX || r == NONE)
		return;
	uint32_t a = find(rs, r, peer);
	if (a != NONE && rs->anns[a].state == REQUESTED)
		rs->peer[peer].strikes = 0; /* an answer; ann_fail re-keys the peer */
	if (a != NONE && rs->anns[a].state != FAILED)
		ann_fail(rs, a);
}

void hs_reqsched_peer_gone(struct hs_reqsched *rs, uint32_t peer)
{
	if (peer >= HS_PEERS_MAX)
		return;
	struct peer *pe = &rs->peer[peer];
	while (pe->head != NONE) {
		uint32_t r = rs->anns[pe->head].rec;
		ann_drop(rs, pe->head);
		rec_settle(rs, r);
	}
	/* The slot will be reused by another peer: give the memory back. */
	assert(pe->ready.len == 0 && pe->inflight == 0 && pe->count == 0);
	free(pe->ready.v);
	pe->ready = (struct heap){ 0 };
	pe->strikes = 0;
	pe->proven = false;
	pe->timeout_ns = 0;
}

void hs_reqsched_set_timeout(struct hs_reqsched *rs, uint32_t peer, uint64_t timeout_ns)
{
	if (peer < HS_PEERS_MAX)
		rs->peer[peer].timeout_ns = timeout_ns == 0 || timeout_ns > rs->timeout_ns
		                                    ? rs->timeout_ns
		                                    : timeout_ns;
}

uint64_t hs_reqsched_next_deadline(const struct hs_reqsched *rs)
{
	if (rs->peers.len > 0)
		return rs->now;
	uint64_t d = UINT64_MAX;
	if (rs->waiting.len > 0)
		d = rs->waiting.v[0].key;
	if (rs->inflight.len > 0 && rs->inflight.v[0].key < d)
		d = rs->inflight.v[0].key;
	return d;
}

/* ---- introspection ----------------------------------------------------------------------------
 */

bool hs_reqsched_is_requested(const struct hs_reqsched *rs, uint32_t peer,
                              const uint8_t id[HS_ID_LEN])
{
	uint32_t r = lookup(rs, id);
	if (peer >= HS_PEERS_MAX || r == NONE)
		return false;
	uint32_t a = rs->recs[r].requested;
	return a != NONE && rs->anns[a].peer == peer;
}

bool hs_reqsched_has_id(const struct hs_reqsched *rs, const uint8_t id[HS_ID_LEN])
{
	return lookup(rs, id) != NONE;
}

size_t hs_reqsched_count(const struct hs_reqsched *rs)
{
	return rs->anns_used;
}

size_t hs_reqsched_peer_count(const struct hs_reqsched *rs, uint32_t peer)
{
	return peer < HS_PEERS_MAX ? rs->peer[peer].count : 0;
}

size_t hs_reqsched_peer_inflight(const struct hs_reqsched *rs, uint32_t peer)
{
	return peer < HS_PEERS_MAX ? rs->peer[peer].inflight : 0;
}

size_t hs_reqsched_peer_strikes(const struct hs_reqsched *rs, uint32_t peer)
{
	return peer < HS_PEERS_MAX ? rs->peer[peer].strikes : 0;
}

uint64_t hs_reqsched_evictions(const struct hs_reqsched *rs)
{
	return rs->evictions;
}

/* ---- invariant check
 * ----------------------------------------------------------------------------- */

static bool heap_ok(const struct heap *h, const uint32_t *pos, uint32_t idx_max)
{
	if (h->len > h->cap)
		return false;
	for (uint32_t i = 0; i < h->len; i++) {
		if (h->v[i].idx >= idx_max || pos[h->v[i].idx] != i)
			return false;
		if (i > 0 && h->v[i].key < h->v[(i - 1) / 2].key)
			return false;
	}
	return true;
}

/* Announcement a is in the heap its state, record and time call for, under the right key. */
static bool ann_place_ok(const struct hs_reqsched *rs, uint32_t a)
{
	const struct ann *an = &rs->anns[a];
	const struct idrec *r = &rs->recs[an->rec];
	uint32_t i = rs->ann_pos[a];
	enum where want = NOWHERE;
	const struct heap *h = NULL;
	uint64_t key = an->time;
	if (an->state == REQUESTED) {
		want = INFLIGHT, h = &rs->inflight;
	} else if (an->state == CANDIDATE && r->requested == NONE && an->time > rs->now) {
		want = WAITING, h = &rs->waiting;
	} else if (an->state == CANDIDATE && r->requested == NONE) {
		want = READY, h = &rs->peer[an->peer].ready, key = an->prio;
	}
	if (an->where != want || an->cls > HS_REQ_OTHER ||
	    an->prio != priority(rs, r->id, an->peer, (enum hs_req_class)an->cls))
		return false;
	if (!h)
		return i == NONE;
	return i < h->len && h->v[i].idx == a && h->v[i].key == key;
}

/* Walks record r's list: order, back links, counts, one announcement per peer. */
static bool rec_ok(const struct hs_reqsched *rs, uint32_t r)
{
	const struct idrec *rec = &rs->recs[r];
	const uint32_t *v = hs_idmap_get(&rs->ids, rec->id);
	uint8_t seen[HS_PEERS_MAX] = { 0 };
	uint32_t count = 0, live = 0, requested = NONE, prev = NONE;
	if (!v || *v != r)
		return false;
	for (uint32_t a = rec->head; a != NONE; prev = a, a = rs->anns[a].inext) {
		if (a >= rs->pool_cap)
			return false;
		const struct ann *an = &rs->anns[a];
		if (an->state == FREE || an->rec != r || an->iprev != prev || seen[an->peer] ||
		    ++count > rec->count)
			return false;
		if (prev != NONE && rs->anns[prev].seq >= an->seq)
			return false;
		seen[an->peer] = 1;
		live += an->state != FAILED;
		if (an->state == REQUESTED && requested != NONE)
			return false;
		if (an->state == REQUESTED)
			requested = a;
	}
	return rec->tail == prev && count == rec->count && live == rec->live && live > 0 &&
	       requested == rec->requested && count <= rs->announcers_max;
}

/* Walks peer p's list and checks its counters and its place in the peers heap. */
static bool peer_ok(const struct hs_reqsched *rs, uint32_t p)
{
	const struct peer *pe = &rs->peer[p];
	uint32_t count = 0, inflight = 0, ready = 0, prev = NONE;
	for (uint32_t a = pe->head; a != NONE; prev = a, a = rs->anns[a].pnext) {
		if (a >= rs->pool_cap)
			return false;
		const struct ann *an = &rs->anns[a];
		if (an->state == FREE || an->peer != p || an->pprev != prev || ++count > pe->count)
			return false;
		inflight += an->state == REQUESTED;
		ready += an->where == READY;
	}
	if (count != pe->count || inflight != pe->inflight || ready != pe->ready.len ||
	    count > rs->announced_max || !heap_ok(&pe->ready, rs->ann_pos, rs->pool_cap))
		return false;
	uint32_t i = rs->peer_pos[p];
	if (pe->ready.len == 0 || pe->inflight >= rs->inflight_max)
		return i == NONE;
	return i < rs->peers.len && rs->peers.v[i].key == pe->ready.v[0].key + demotion(rs, p);
}

bool hs_reqsched_check(const struct hs_reqsched *rs)
{
	uint32_t used = 0, recs = 0, waiting = 0, inflight = 0, free_anns = 0, free_recs = 0;
	for (uint32_t a = 0; a < rs->pool_cap; a++) {
		const struct ann *an = &rs->anns[a];
		if (an->state == FREE) {
			if (an->where != NOWHERE || rs->ann_pos[a] != NONE)
				return false;
			continue;
		}
		used++;
		waiting += an->where == WAITING;
		inflight += an->where == INFLIGHT;
		if (an->peer >= HS_PEERS_MAX || an->rec >= rs->pool_cap ||
		    rs->recs[an->rec].count == 0 || !ann_place_ok(rs, a))
			return false;
	}
	for (uint32_t r = 0; r < rs->pool_cap; r++) {
		if (rs->recs[r].count == 0)
			continue;
		recs++;
		if (!rec_ok(rs, r))
			return false;
	}
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++)
		if (!peer_ok(rs, p))
			return false;
	for (uint32_t a = rs->ann_free; a != NONE && free_anns <= rs->pool_cap;
	     a = rs->anns[a].inext)
		free_anns++;
	for (uint32_t r = rs->rec_free; r != NONE && free_recs <= rs->pool_cap;
	     r = rs->recs[r].head)
		free_recs++;
	return used == rs->anns_used && recs == rs->ids.count && used + free_anns == rs->pool_cap &&
	       recs + free_recs == rs->pool_cap && waiting == rs->waiting.len &&
	       inflight == rs->inflight.len && rs->anns_used <= rs->pool_max &&
	       heap_ok(&rs->waiting, rs->ann_pos, rs->pool_cap) &&
	       heap_ok(&rs->inflight, rs->ann_pos, rs->pool_cap) &&
	       heap_ok(&rs->peers, rs->peer_pos, HS_PEERS_MAX);
}

/*
 * Connections: keeping outbound_target outbound sessions, seeds, manual peers, and the address
 * exchange that fills the address book.
 *
 * Outbound peers come from the address book, at most one per network group (IPv4 /16, IPv6
 * /32), so an attacker holding many addresses in few groups cannot surround us. A dialled
 * record names the identity that must answer; anyone else is refused. Seeds are asked for
 * addresses and then left (Bitcoin's -seednode); manual peers are kept (-addnode).
 * Addresses travel as signed node records: each is verified before it enters the book.
 */
#include <stdlib.h>
#include <string.h>

#include "node_impl.h"

#define BACKOFF_BASE_NS  (2 * HS_NS_PER_S)
#define BACKOFF_MAX_NS   (600 * HS_NS_PER_S)
#define ATTEMPTS_MAX     10 /* consecutive failures after which a record is forgotten */
#define FEELER_LINGER_NS (5 * HS_NS_PER_S) /* a feeler stays long enough to trade digests */

static uint64_t backoff(uint32_t failures)
{
	uint64_t d = BACKOFF_BASE_NS << (failures < 12 ? failures : 12);
	return d < BACKOFF_MAX_NS ? d : BACKOFF_MAX_NS;
}

static bool is_outbound_kind(enum conn_kind k)
{
	return k == CONN_OUTBOUND || k == CONN_SEED;
}

/* ---- records --------------------------------------------------------------------------- */

int hs_connect_sign_record(struct hs_node *node, uint64_t now)
{
	struct hs_record *r = &node->rec;
	memset(r, 0, sizeof(*r));
	memcpy(r->id, node->cfg.identity, HS_KEY_LEN);
	/* Restarts increment the generation, so seq keeps growing across them. */
	r->seq = node->cfg.generation << 32 | ++node->rec_counter;
	r->generation = node->cfg.generation;
	r->time_s = hs_node_wall(node, now) / HS_NS_PER_S;
	r->services = node->cfg.services;
	r->naddrs = node->cfg.naddrs;
	memcpy(r->addrs, node->cfg.addrs, sizeof(r->addrs));
	int err = hs_record_encode(r, node->rec_enc, sizeof(node->rec_enc), &node->rec_enclen);
	if (err)
		return err;
	uint8_t digest[32];
	hs_tag_hash(&node->tag_record, digest, node->rec_enc, node->rec_enclen - HS_SIG_LEN);
	uint8_t *sig = node->rec_enc + node->rec_enclen - HS_SIG_LEN;
	err = node->caps.sign(node->caps.ctx, sig, digest);
	if (err)
		return err;
	memcpy(r->sig, sig, HS_SIG_LEN);
	return 0;
}

static uint64_t rand_cb(void *ctx)
{
	return hs_node_rand64(ctx);
}

void hs_connect_save_entry(struct hs_node *node, const struct hs_book_entry *e)
{
	uint8_t enc[HS_RECORD_MAX + HS_BOOK_META_LEN];
	size_t len;
	if (hs_book_value_encode(e, enc, sizeof(enc), &len) == 0)
		hs_event_save(node, HS_SAVE_RECORD, e->id, HS_KEY_LEN, NULL, 0, enc, len);
}

void hs_connect_book_sync(struct hs_node *node)
{
	uint8_t id[HS_KEY_LEN];
	while (hs_addrbook_pop_removed(&node->book, id))
		if (!hs_addrbook_find(&node->book, id)) /* not taken back in since */
			hs_event_save(node, HS_SAVE_UNRECORD, id, HS_KEY_LEN, NULL, 0, NULL, 0);
	while (hs_addrbook_pop_changed(&node->book, id)) {
		const struct hs_book_entry *e = hs_addrbook_find(&node->book, id);
		if (e)
			hs_connect_save_entry(node, e);
	}
}

/* Adds a record whose signature is already checked. */
static void remember(struct hs_node *node, const struct hs_record *rec, const uint8_t group[8],
                     uint64_t now)
{
	if (memcmp(rec->id, node->cfg.identity, HS_KEY_LEN) == 0 || rec->naddrs == 0)
		return;
	const struct hs_book_entry *e = hs_addrbook_find(&node->book, rec->id);
	if (e && e->rec.seq >= rec->seq)
		return;
	if (hs_addrbook_add(&node->book, rec, group, now) != 0) {
		hs_node_log(node, HS_LOG_DEBUG, "address book: record refused");
		return;
	}
	/* New or newer: ask the driver to keep it across restarts. */
	e = hs_addrbook_find(&node->book, rec->id);
	if (e)
		hs_connect_save_entry(node, e);
}

/* Verifies a record p sent unless the book already holds it at this seq or later, then adds
 * it; false if its signature is bad. */
static bool learn(struct hs_node *node, struct peer *p, const struct hs_record *rec,
                  const uint8_t group[8], uint64_t now)
{
	if (memcmp(rec->id, node->cfg.identity, HS_KEY_LEN) == 0 || rec->naddrs == 0)
		return true;
	const struct hs_book_entry *e = hs_addrbook_find(&node->book, rec->id);
	if (e && e->rec.seq >= rec->seq)
		return true; /* nothing new: skip the signature check */
	if (hs_banlist_has_id(&node->bans, rec->id, now)) {
		node->stats.banned_origin++; /* never dialled: dropped before verification */
		return true;
	}
	if (!hs_node_may_verify(node, p, now))
		return true; /* over budget: dropped unverified, counted, no fault (gossip.c) */
	uint8_t enc[HS_RECORD_MAX];
	size_t enclen;
	if (hs_record_encode(rec, enc, sizeof(enc), &enclen) != 0 ||
	    !hs_node_signed_by(node, &node->tag_record, rec->id, enc, enclen))
		return false;
	remember(node, rec, group, now);
	return true;
}

/* A failed attempt to reach id (dial, handshake or identity), saved. */
static void attempt_failed(struct hs_node *node, const uint8_t id[HS_KEY_LEN], uint64_t now)
{
	struct hs_book_entry *e = hs_addrbook_find(&node->book, id);
	if (!e)
		return;
	hs_addrbook_failed(&node->book, id, now);
	if (e->attempts >= ATTEMPTS_MAX && !e->tried)
		hs_addrbook_remove(&node->book, id);
	else
		hs_connect_save_entry(node, e);
}

/* ---- anchors ------------------------------------------------------------------------------ */

static size_t anchor_count(const struct hs_node *node)
{
	size_t n = node->nanchors;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		n += node->peers[s] && node->peers[s]->anchor;
	return n;
}

static void make_anchor(struct hs_node *node, struct peer *p)
{
	uint8_t enc[HS_RECORD_MAX];
	size_t len;
	if (p->rec.naddrs == 0 || hs_record_encode(&p->rec, enc, sizeof(enc), &len) != 0)
		return; /* nothing to dial it at next time */
	p->anchor = true;
	hs_event_save(node, HS_SAVE_ANCHOR, p->id, HS_KEY_LEN, NULL, 0, enc, len);
}

static void drop_pending_anchor(struct hs_node *node, size_t i)
{
	hs_event_save(node, HS_SAVE_UNANCHOR, node->anchors[i].rec.id, HS_KEY_LEN, NULL, 0, NULL,
	              0);
	node->anchors[i] = node->anchors[--node->nanchors];
}

/* A dial to id failed: if it was a pending anchor, it is one no more. */
static void anchor_failed(struct hs_node *node, const uint8_t id[HS_KEY_LEN])
{
	for (size_t i = 0; i < node->nanchors; i++)
		if (node->anchors[i].dialled &&
		    memcmp(node->anchors[i].rec.id, id, HS_KEY_LEN) == 0) {
			drop_pending_anchor(node, i);
			return;
		}
}

/* A full-relay outbound session became active: it is the pending anchor it was dialled as,
 * or a new anchor while there are fewer than HS_ANCHORS_MAX. */
static void anchor_on_active(struct hs_node *node, struct peer *p)
{
	for (size_t i = 0; i < node->nanchors; i++)
		if (memcmp(node->anchors[i].rec.id, p->id, HS_KEY_LEN) == 0) {
			node->anchors[i] = node->anchors[--node->nanchors];
			make_anchor(node, p);
			return;
		}
	if (anchor_count(node) < HS_ANCHORS_MAX)
		make_anchor(node, p);
}

/* An anchor's session ended (not at shutdown): the oldest other outbound peer takes over. */
static void anchor_closed(struct hs_node *node, struct peer *p)
{
	p->anchor = false;
	hs_event_save(node, HS_SAVE_UNANCHOR, p->id, HS_KEY_LEN, NULL, 0, NULL, 0);
	struct peer *best = NULL;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *q = node->peers[s];
		if (q && q != p && q->kind == CONN_OUTBOUND && q->state == PS_ACTIVE &&
		    !q->anchor && (!best || q->opened_ns < best->opened_ns))
			best = q;
	}
	if (best && anchor_count(node) < HS_ANCHORS_MAX)
		make_anchor(node, best);
}

int hs_connect_add_anchor(struct hs_node *node, const struct hs_record *rec, uint64_t now)
{
	if (rec->naddrs == 0 || memcmp(rec->id, node->cfg.identity, HS_KEY_LEN) == 0)
		return HS_ERR_INVALID;
	for (size_t i = 0; i < node->nanchors; i++)
		if (memcmp(node->anchors[i].rec.id, rec->id, HS_KEY_LEN) == 0)
			return HS_ERR_EXISTS;
	if (node->nanchors >= HS_ANCHORS_MAX)
		return HS_ERR_FULL;
	static const uint8_t nogroup[8];
	remember(node, rec, nogroup, now);
	struct pending_anchor *a = &node->anchors[node->nanchors++];
	a->rec = *rec;
	a->dialled = false;
	node->next_dial_ns = now;
	return 0;
}

/* ---- who we are connected to ------------------------------------------------------------ */

static bool dial_pending(const struct hs_node *node, const struct hs_netaddr *a)
{
	for (size_t i = 0; i < node->ndials; i++)
		if (hs_netaddr_equal(&node->dials[i].addr, a))
			return true;
	return false;
}

/* True if a live session or a pending dial reaches a: by the address it connected from, or
 * (once its hello came) by an address its record lists. Rationale: an inbound session comes
 * from an ephemeral port, so without its record we would dial the same node again. */
static bool addr_connected(const struct hs_node *node, const struct hs_netaddr *a)
{
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		if (!p || p->state == PS_CLOSING)
			continue;
		if (hs_netaddr_equal(&p->addr, a))
			return true;
		if (p->state == PS_ACTIVE)
			for (size_t i = 0; i < p->rec.naddrs; i++)
				if (hs_netaddr_equal(&p->rec.addrs[i], a))
					return true;
	}
	return dial_pending(node, a);
}

/* True if id has a live session with us (either direction) or a dial is on its way. */
static bool id_connected(const struct hs_node *node, const uint8_t id[HS_KEY_LEN])
{
	if (hs_node_peer_by_id(node, id, NULL))
		return true;
	for (size_t i = 0; i < node->ndials; i++)
		if (node->dials[i].has_id && memcmp(node->dials[i].id, id, HS_KEY_LEN) == 0)
			return true;
	return false;
}

/* True if an outbound session (other than except) or dial already uses a's network group. */
static bool group_used(const struct hs_node *node, const struct hs_netaddr *a,
                       const struct peer *except)
{
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		if (p && p != except && p->state != PS_CLOSING && is_outbound_kind(p->kind) &&
		    hs_netaddr_same_group(&p->addr, a))
			return true;
	}
	for (size_t i = 0; i < node->ndials; i++)
		if (is_outbound_kind(node->dials[i].kind) &&
		    hs_netaddr_same_group(&node->dials[i].addr, a))
			return true;
	return false;
}

/* ---- identity checks and session life --------------------------------------------------- */

bool hs_connect_on_identity(struct hs_node *node, struct peer *p, uint64_t now)
{
	if (memcmp(p->id, node->cfg.identity, HS_KEY_LEN) == 0) {
		hs_peer_close(node, p, HS_REASON_SELF, "connected to ourselves", now);
		return false;
	}
	if (p->has_expect && memcmp(p->id, p->expect_id, HS_KEY_LEN) != 0) {
		/* The record is stale (the address changed hands) or a lie: either way this is not
		 * the node we meant to reach (counted as a failed attempt when it closes). */
		hs_peer_close(node, p, HS_REASON_PROTOCOL, "identity differs from its record", now);
		return false;
	}
	if (hs_banlist_has_id(&node->bans, p->id, now)) {
		hs_peer_close(node, p, HS_REASON_BANNED, "banned", now);
		return false;
	}
	if (hs_node_peer_by_id(node, p->id, p)) {
		if (p->crawl) { /* the record's identity answered at its address: reached */
			hs_crawl_result(node, p->id, true, now);
			p->crawl = false;
		}
		hs_peer_close(node, p, HS_REASON_DUPLICATE, "already connected to this node", now);
		return false;
	}
	return true;
}

/* The full-relay outbound peer with the lowest score (the youngest on a tie), or NULL. */
static struct peer *worst_outbound(const struct hs_node *node, uint64_t now)
{
	struct peer *w = NULL;
	double wv = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (!p || p->kind != CONN_OUTBOUND || p->state != PS_ACTIVE)
			continue;
		double v = hs_scores_value(&node->scores, p->id, now);
		if (!w || v < wv || (v == wv && p->opened_ns > w->opened_ns)) {
			w = p;
			wv = v;
		}
	}
	return w;
}

/* A rotation feeler answered: it replaces the worst outbound peer if that one scores no
 * better than it (and the one-per-group rule still holds); else it leaves like a feeler. */
static void rotate_into(struct hs_node *node, struct peer *p, uint64_t now)
{
	p->rotate = false;
	struct peer *w = worst_outbound(node, now);
	if (!w ||
	    hs_scores_value(&node->scores, w->id, now) > hs_scores_value(&node->scores, p->id, now))
		return;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *q = node->peers[s];
		if (q && q != p && q != w && q->state != PS_CLOSING && is_outbound_kind(q->kind) &&
		    hs_netaddr_same_group(&q->addr, &p->addr))
			return;
	}
	hs_peer_close(node, w, HS_REASON_OTHER, "replaced by a tested outbound peer", now);
	p->kind = CONN_OUTBOUND;
	node->stats.rotations++;
}

void hs_connect_on_active(struct hs_node *node, struct peer *p, uint64_t now)
{
	uint8_t group[8];
	hs_netaddr_group(&p->addr, group);
	remember(node, &p->rec, group, now); /* checked with the hello */
	struct hs_book_entry *e = hs_addrbook_find(&node->book, p->id);
	if (e) {
		e->connected = true;
		if (p->kind != CONN_INBOUND) {
			hs_addrbook_good(&node->book, p->id,
			                 now); /* tried, or a queued collision */
			hs_connect_save_entry(node, e);
		}
	}
	for (size_t i = 0; i < node->nmanual; i++)
		if (hs_netaddr_equal(&node->manual[i].addr, &p->addr))
			node->manual[i].failures = 0;
	if (p->kind == CONN_FEELER && p->rotate)
		rotate_into(node, p, now);
	if (p->kind == CONN_OUTBOUND && !node->shutting_down)
		anchor_on_active(node, p);
	if (p->kind != CONN_INBOUND) {
		struct hs_msg m = { .type = HS_MSG_GETADDR };
		p->sent_getaddr = hs_peer_send(node, p, &m, now);
	}
	if (p->kind == CONN_FEELER)
		p->close_at_ns = now + FEELER_LINGER_NS;
	if (p->crawl) {
		hs_crawl_result(node, p->id, true, now);
		p->close_at_ns = now + HS_CRAWL_LINGER_MS * HS_NS_PER_MS;
	}
	if (p->kind == CONN_INBOUND)
		hs_crawl_on_inbound(node, p, now);
}

void hs_connect_on_closed(struct hs_node *node, struct peer *p, uint64_t now)
{
	struct hs_book_entry *e = p->has_id ? hs_addrbook_find(&node->book, p->id) : NULL;
	if (e && !hs_node_peer_by_id(node, p->id, p))
		e->connected = false;
	if (p->anchor && !node->shutting_down)
		anchor_closed(node, p);
	/* An active session is closing by now (PS_CLOSING): whether its hello came is p->up. */
	if (p->kind == CONN_INBOUND || p->up)
		return;
	/* An outbound session that never became active counts as a failed attempt on the node
	 * we meant to reach, unless that node is connected another way (a duplicate). */
	const uint8_t *target = p->has_expect ? p->expect_id : p->has_id ? p->id : NULL;
	if (target && !hs_node_peer_by_id(node, target, p)) {
		attempt_failed(node, target, now);
		anchor_failed(node, target);
		if (p->crawl)
			hs_crawl_result(node, target, false, now);
		if (p->probe)
			hs_membership_probe_failed(node, target, now);
	}
	for (size_t i = 0; i < node->nmanual; i++) {
		struct manual_addr *m = &node->manual[i];
		if (hs_netaddr_equal(&m->addr, &p->addr))
			m->next_try_ns = now + backoff(m->failures++);
	}
}

/* ---- address exchange ------------------------------------------------------------------- */

/* True if p's network group may have another getaddr answer in this window. */
static bool getaddr_allowed(struct hs_node *node, const struct peer *p, uint64_t now)
{
	uint8_t g[9] = { 'G' };
	hs_netaddr_group(&p->addr, g + 1);
	struct getaddr_group *slot =
	        &node->getaddr_groups[hs_shorthash(node->secret, g, sizeof(g)) % HS_GETADDR_GROUPS];
	/* A slot whose window is still running counts for whichever group hashes to it: a
	 * collision shares the count (tightens the limit), never starts a fresh window. */
	if (now >= slot->window_ns + HS_GETADDR_WINDOW_S * HS_NS_PER_S) {
		slot->window_ns = now;
		slot->count = 0;
	}
	if (slot->count >= HS_GETADDR_GROUP_MAX)
		return false;
	slot->count++;
	return true;
}

static void answer_getaddr(struct hs_node *node, struct peer *p, uint64_t now)
{
	/* One answer per session, as Bitcoin does, and HS_GETADDR_GROUP_MAX per network group
	 * and window: no scraping by repetition or by reconnecting. Over it: ignored. */
	if (p->answered_getaddr || !getaddr_allowed(node, p, now)) {
		node->stats.getaddr_limited++;
		hs_crawl_visit_only(node, p, now);
		return;
	}
	p->answered_getaddr = true;
	static struct hs_msg zero;
	struct hs_msg *m = malloc(sizeof(*m));
	if (!m)
		return;
	*m = zero;
	m->type = HS_MSG_ADDR;
	if (node->cfg.seed_mode) {
		m->u.addr.count = hs_crawl_answer(node, m->u.addr.records, HS_ADDR_MAX, p->id, now);
		node->crawl.answers += m->u.addr.count > 0;
	} else {
		m->u.addr.count = hs_addrbook_sample(&node->book, m->u.addr.records, HS_ADDR_MAX,
		                                     p->id, rand_cb, node, now);
	}
	if (m->u.addr.count > 0)
		hs_peer_send(node, p, m, now);
	else
		hs_crawl_visit_only(node, p, now); /* nothing for it here yet: come back later */
	free(m);
}

static void on_addr(struct hs_node *node, struct peer *p, const struct hs_msg_addr *a, uint64_t now)
{
	if (!p->sent_getaddr || p->got_addr)
		return; /* unsolicited: ignored (cheap to send, costly to verify) */
	p->got_addr = true;
	uint8_t group[8];
	hs_netaddr_group(&p->addr, group);
	for (size_t i = 0; i < a->count; i++) {
		if (!learn(node, p, &a->records[i], group, now)) {
			hs_peer_fault(node, p, HS_SCORE_BAD_SIG, "node record with a bad signature",
			              now);
			return;
		}
	}
	if (p->kind == CONN_SEED)
		hs_peer_close(node, p, HS_REASON_OTHER, "address fetch done", now);
	else if (p->crawl)
		hs_peer_close(node, p, HS_REASON_OTHER, "crawl visit done", now);
}

void hs_connect_on_msg(struct hs_node *node, struct peer *p, const struct hs_msg *m, uint64_t now)
{
	if (m->type == HS_MSG_GETADDR)
		answer_getaddr(node, p, now);
	else if (m->type == HS_MSG_ADDR)
		on_addr(node, p, &m->u.addr, now);
}

/* ---- dialling ------------------------------------------------------------------------- */

static struct pending_dial *dial(struct hs_node *node, const struct hs_netaddr *addr,
                                 const uint8_t *id, enum conn_kind kind, uint64_t now)
{
	if (node->ndials >= HS_DIALS_MAX)
		return NULL;
	struct pending_dial *d = &node->dials[node->ndials++];
	memset(d, 0, sizeof(*d));
	d->addr = *addr;
	d->kind = kind;
	d->started_ns = now;
	if (id) {
		memcpy(d->id, id, HS_KEY_LEN);
		d->has_id = true;
	}
	node->stats.dials++;
	struct hs_event ev = { .type = HS_EV_DIAL, .addr = *addr };
	hs_event_push(node, &ev, NULL);
	return d;
}

struct dial_ctx {
	const struct hs_node *node;
	uint64_t now;
	bool feeler; /* a 5 s visit: exempt from the one-per-group rule, as in Bitcoin */
};

/* A book entry we may dial now: not connected in any way, not backing off, not banned, and
 * (unless for a feeler) of a network group no outbound session uses. */
static bool dialable(void *ctx, const struct hs_book_entry *e)
{
	const struct dial_ctx *c = ctx;
	const struct hs_node *node = c->node;
	if (e->connected || e->rec.naddrs == 0)
		return false;
	if (e->attempts > 0 && c->now < e->last_try_ns + backoff(e->attempts - 1))
		return false;
	const struct hs_netaddr *a = &e->rec.addrs[0];
	return !id_connected(node, e->id) && !addr_connected(node, a) &&
	       (c->feeler || !group_used(node, a, NULL)) &&
	       !hs_banlist_has_id(&node->bans, e->id, c->now) &&
	       !hs_banlist_has_addr(&node->bans, a, c->now);
}

/* A dialable book entry: tried-biased, or from new only. */
static struct hs_book_entry *pick_candidate(struct hs_node *node, bool new_only, bool feeler,
                                            uint64_t now)
{
	struct dial_ctx c = { node, now, feeler };
	return hs_addrbook_select(&node->book, new_only, dialable, &c, rand_cb, node, now);
}

static size_t outbound_wanted(const struct hs_node *node)
{
	size_t n = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		if (p && p->state != PS_CLOSING && is_outbound_kind(p->kind))
			n++;
	}
	for (size_t i = 0; i < node->ndials; i++)
		if (is_outbound_kind(node->dials[i].kind))
			n++;
	size_t target = node->cfg.outbound_target + hs_topics_extra_outbound(node);
	return n < target ? target - n : 0;
}

/* A manual peer is up if we reach its address, outbound or (by its record) inbound. */
static void dial_manual(struct hs_node *node, bool seeds, uint64_t now)
{
	for (size_t i = 0; i < node->nmanual; i++) {
		struct manual_addr *m = &node->manual[i];
		if (m->seed != seeds || now < m->next_try_ns || addr_connected(node, &m->addr))
			continue;
		m->next_try_ns = now + backoff(m->failures);
		dial(node, &m->addr, NULL, seeds ? CONN_SEED : CONN_MANUAL, now);
		if (seeds)
			return; /* one seed at a time is enough to learn addresses */
	}
}

/* The anchors of the last run, before anything else; one that cannot be dialled (already
 * connected, its group taken) is no anchor any more. */
static void dial_anchors(struct hs_node *node, uint64_t now)
{
	for (size_t i = 0; i < node->nanchors;) {
		struct pending_anchor *a = &node->anchors[i];
		if (a->dialled) {
			i++;
			continue;
		}
		if (node->ndials >= HS_DIALS_MAX || outbound_wanted(node) == 0)
			return;
		const struct hs_netaddr *addr = &a->rec.addrs[0];
		if (id_connected(node, a->rec.id) || addr_connected(node, addr) ||
		    group_used(node, addr, NULL)) {
			drop_pending_anchor(node, i);
			continue;
		}
		struct hs_book_entry *e = hs_addrbook_find(&node->book, a->rec.id);
		if (e)
			e->last_try_ns = now;
		dial(node, addr, a->rec.id, CONN_OUTBOUND, now);
		a->dialled = true;
		node->stats.anchors_dialled++;
		i++;
	}
}

static void expire_dials(struct hs_node *node, uint64_t now)
{
	for (size_t i = 0; i < node->ndials;) {
		if (now >= node->dials[i].started_ns + node->cfg.handshake_timeout_ns) {
			struct hs_netaddr a = node->dials[i].addr;
			hs_connect_dial_failed(node, &a, now);
		} else {
			i++;
		}
	}
}

/* Every feeler interval, while our outbound slots are full, visit one known node: the old
 * entry of a tried collision first (test-before-evict), else a new entry, else any. Its
 * addresses, a catch-up pull and sync, then leave. Rationale: two halves of a network that
 * lost every session across a partition find each other again, and the book's addresses
 * get tested. */
static void feeler(struct hs_node *node, uint64_t now)
{
	if (now < node->next_feeler_ns)
		return;
	node->next_feeler_ns = now + node->cfg.feeler_interval_ns;
	if (outbound_wanted(node) > 0 || node->shutting_down)
		return;
	struct dial_ctx c = { node, now, true };
	struct hs_book_entry *e = hs_addrbook_collision_to_test(&node->book);
	if (e && !dialable(&c, e))
		e = NULL;
	if (!e)
		e = pick_candidate(node, true, true, now);
	if (!e)
		e = pick_candidate(node, false, true, now);
	if (!e)
		return;
	e->last_try_ns = now;
	node->stats.feelers++;
	dial(node, &e->rec.addrs[0], e->id, CONN_FEELER, now);
}

/* Every rotate interval, while our outbound slots are full: a feeler to a candidate that, if
 * it answers, replaces the worst-scored outbound peer (rotate_into). Rationale: an attacker
 * that got an outbound slot by luck cannot keep it by merely staying connected. */
static void rotate(struct hs_node *node, uint64_t now)
{
	if (now < node->next_rotate_ns)
		return;
	node->next_rotate_ns = now + node->cfg.rotate_interval_ns;
	if (outbound_wanted(node) > 0 || node->shutting_down || !worst_outbound(node, now))
		return;
	struct hs_book_entry *e = pick_candidate(node, false, false, now);
	if (!e)
		return;
	e->last_try_ns = now;
	struct pending_dial *d = dial(node, &e->rec.addrs[0], e->id, CONN_FEELER, now);
	if (d) {
		d->rotate = true;
		node->stats.feelers++;
	}
}

bool hs_connect_probe(struct hs_node *node, const struct hs_netaddr *addr,
                      const uint8_t id[HS_KEY_LEN], uint64_t now)
{
	if (dial_pending(node, addr) || node->shutting_down)
		return false;
	struct pending_dial *d = dial(node, addr, id, CONN_FEELER, now);
	if (!d)
		return false;
	d->probe = true;
	node->stats.feelers++;
	return true;
}

bool hs_connect_feeler(struct hs_node *node, const struct hs_netaddr *addr,
                       const uint8_t id[HS_KEY_LEN], bool crawl, uint64_t now)
{
	struct pending_dial *d = dial(node, addr, id, CONN_FEELER, now);
	if (!d)
		return false;
	d->crawl = crawl;
	node->stats.feelers++;
	return true;
}

void hs_connect_timer(struct hs_node *node, uint64_t now)
{
	expire_dials(node, now);
	hs_crawl_timer(node, now);
	hs_topics_trim(node, now);
	hs_addrbook_resolve_collisions(&node->book, now);
	feeler(node, now);
	rotate(node, now);
	if (node->shutting_down || now < node->next_dial_ns)
		return;
	node->next_dial_ns = now + node->cfg.dial_interval_ns;
	dial_anchors(node, now);
	dial_manual(node, false, now);
	if (outbound_wanted(node) == 0)
		return;
	struct hs_book_entry *e = pick_candidate(node, false, false, now);
	if (e) {
		e->last_try_ns = now;
		dial(node, &e->rec.addrs[0], e->id, CONN_OUTBOUND, now);
		return;
	}
	/* Nothing left to try in the book: ask a seed for more. */
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		if (node->peers[s] && node->peers[s]->kind == CONN_SEED)
			return;
	for (size_t i = 0; i < node->ndials; i++)
		if (node->dials[i].kind == CONN_SEED)
			return;
	dial_manual(node, true, now);
}

uint64_t hs_connect_deadline(const struct hs_node *node)
{
	uint64_t d = node->next_feeler_ns < node->next_rotate_ns ? node->next_feeler_ns
	                                                         : node->next_rotate_ns;
	uint64_t c = hs_crawl_deadline(node);
	if (c < d)
		d = c;
	for (size_t i = 0; i < node->ndials; i++) {
		uint64_t t = node->dials[i].started_ns + node->cfg.handshake_timeout_ns;
		if (t < d)
			d = t;
	}
	bool manual_down = false;
	for (size_t i = 0; i < node->nmanual; i++)
		if (!node->manual[i].seed && !addr_connected(node, &node->manual[i].addr))
			manual_down = true;
	if (!node->shutting_down && (manual_down || outbound_wanted(node) > 0) &&
	    node->next_dial_ns < d)
		d = node->next_dial_ns;
	return d;
}

void hs_connect_on_open(struct hs_node *node, struct peer *p)
{
	for (size_t i = 0; i < node->ndials; i++) {
		struct pending_dial *d = &node->dials[i];
		if (!hs_netaddr_equal(&d->addr, &p->addr))
			continue;
		p->kind = d->kind;
		p->rotate = d->rotate;
		p->crawl = d->crawl;
		p->probe = d->probe;
		if (d->has_id) {
			memcpy(p->expect_id, d->id, HS_KEY_LEN);
			p->has_expect = true;
		}
		node->dials[i] = node->dials[--node->ndials];
		return;
	}
}

void hs_connect_on_refused(struct hs_node *node, const struct hs_netaddr *addr)
{
	for (size_t i = 0; i < node->ndials; i++) {
		struct pending_dial *d = &node->dials[i];
		if (!hs_netaddr_equal(&d->addr, addr))
			continue;
		/* A pending anchor stays one, to be dialled again first. */
		for (size_t k = 0; d->has_id && k < node->nanchors; k++)
			if (memcmp(node->anchors[k].rec.id, d->id, HS_KEY_LEN) == 0)
				node->anchors[k].dialled = false;
		node->dials[i] = node->dials[--node->ndials];
		return;
	}
}

void hs_connect_dial_failed(struct hs_node *node, const struct hs_netaddr *addr, uint64_t now)
{
	for (size_t i = 0; i < node->ndials; i++) {
		struct pending_dial *d = &node->dials[i];
		if (!hs_netaddr_equal(&d->addr, addr))
			continue;
		struct pending_dial gone = *d;
		node->dials[i] = node->dials[--node->ndials];
		if (gone.has_id) {
			attempt_failed(node, gone.id, now);
			anchor_failed(node, gone.id);
			if (gone.crawl)
				hs_crawl_result(node, gone.id, false, now);
			if (gone.probe)
				hs_membership_probe_failed(node, gone.id, now);
		}
		for (size_t j = 0; j < node->nmanual; j++)
			if (hs_netaddr_equal(&node->manual[j].addr, addr))
				node->manual[j].next_try_ns =
				        now + backoff(node->manual[j].failures++);
		return;
	}
}

bool hs_node_dial_backoff(const struct hs_node *node, const struct hs_netaddr *addr, uint64_t now,
                          uint32_t *failures, uint64_t *retry_ns)
{
	for (size_t i = 0; i < node->nmanual; i++) {
		const struct manual_addr *m = &node->manual[i];
		if (!hs_netaddr_equal(&m->addr, addr))
			continue;
		*failures = m->failures;
		*retry_ns = m->next_try_ns > now ? m->next_try_ns - now : 0;
		return true;
	}
	size_t n = hs_addrbook_count(&node->book);
	for (size_t i = 0; i < n; i++) {
		const struct hs_book_entry *e = hs_addrbook_at(&node->book, i);
		if (e->rec.naddrs == 0 || !hs_netaddr_equal(&e->rec.addrs[0], addr))
			continue;
		*failures = e->attempts;
		uint64_t at = e->attempts ? e->last_try_ns + backoff(e->attempts - 1) : now;
		*retry_ns = at > now ? at - now : 0;
		return true;
	}
	return false;
}

/* ---- inbound eviction --------------------------------------------------------------------- */

#define PROTECT_EACH 4 /* Bitcoin protects 4 peers on each of several grounds */

static size_t live_sessions(const struct hs_node *node, bool inbound_only)
{
	size_t n = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		n += p && p->state != PS_CLOSING && (!inbound_only || p->kind == CONN_INBOUND);
	}
	return n;
}

/* Inbound sessions at most: peers_max less the outbound reserve (the outbound target, a
 * feeler and a manual dial), leaving at least one. Rationale: inbound and outbound share the
 * slots, and an inbound flood must never block the dials that find honest peers (Bitcoin
 * keeps its 11 outbound slots out of the inbound count the same way). */
static size_t inbound_max(const struct hs_node *node)
{
	size_t reserve = node->cfg.outbound_target + HS_OUTBOUND_RESERVE_EXTRA;
	return node->cfg.peers_max > reserve ? node->cfg.peers_max - reserve : 1;
}

/* The reserve's sessions not open yet: slots our own dials may still need. */
static size_t reserve_unused(const struct hs_node *node)
{
	size_t reserve = node->cfg.outbound_target + HS_OUTBOUND_RESERVE_EXTRA;
	size_t out = live_sessions(node, false) - live_sessions(node, true);
	return out < reserve ? reserve - out : 0;
}

/* Slots held by no session (HS_PEERS_MAX in all: live and closing sessions). */
static size_t free_slots(const struct hs_node *node, size_t *closing)
{
	size_t n = 0;
	*closing = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		n += !node->peers[s];
		*closing += node->peers[s] && node->peers[s]->state == PS_CLOSING;
	}
	return n;
}

/* Removes from c[0..n) the PROTECT_EACH best by better(a, b) among those that earn
 * protection at all (better(a, NULL)); returns the new n. */
static size_t protect(struct peer **c, size_t n, const struct hs_node *node, uint64_t now,
                      bool (*better)(const struct hs_node *, const struct peer *,
                                     const struct peer *, uint64_t))
{
	for (size_t k = 0; k < PROTECT_EACH && n > 0; k++) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < n; i++)
			if (better(node, c[i], NULL, now) &&
			    (best == SIZE_MAX || better(node, c[i], c[best], now)))
				best = i;
		if (best == SIZE_MAX)
			break;
		c[best] = c[--n];
	}
	return n;
}

static bool better_score(const struct hs_node *node, const struct peer *a, const struct peer *b,
                         uint64_t now)
{
	double va = hs_scores_value(&node->scores, a->id, now);
	return b ? va > hs_scores_value(&node->scores, b->id, now) : va > 0;
}

static bool better_rtt(const struct hs_node *node, const struct peer *a, const struct peer *b,
                       uint64_t now)
{
	(void)node;
	(void)now;
	return a->rtt_ns && (!b || !b->rtt_ns || a->rtt_ns < b->rtt_ns);
}

static bool older(const struct hs_node *node, const struct peer *a, const struct peer *b,
                  uint64_t now)
{
	(void)node;
	(void)now;
	return a->opened_ns < b->opened_ns;
}

/* Bitcoin's AttemptToEvictConnection in small: protect the peers an attacker finds hardest to
 * imitate (well-scored, fast, long-standing, from rare network groups), then evict from the
 * rest the youngest session of the worst-scored network group (the sum of its members'
 * faults), the group holding the most sessions among equals.
 * Rationale: an attacker with many addresses in few groups can take slots only from itself,
 * and a group that has misbehaved gives way first. */
static struct peer *eviction_victim(struct hs_node *node, uint64_t now)
{
	struct peer *c[HS_PEERS_MAX];
	size_t n = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (p && p->kind == CONN_INBOUND && p->state != PS_CLOSING)
			c[n++] = p;
	}
	n = protect(c, n, node, now, better_score);
	n = protect(c, n, node, now, better_rtt);
	size_t keep_old = n / 2; /* half of the rest, the longest connected */
	for (size_t k = 0; k < keep_old; k++) {
		size_t best = 0;
		for (size_t i = 1; i < n; i++)
			if (older(node, c[i], c[best], now))
				best = i;
		c[best] = c[--n];
	}
	struct peer *victim = NULL;
	size_t victim_group = 0;
	double victim_score = 0;
	for (size_t i = 0; i < n; i++) {
		size_t same = 0;
		for (size_t j = 0; j < n; j++)
			same += hs_netaddr_same_group(&c[i]->addr, &c[j]->addr);
		double score = hs_reputation_group_score(node, &c[i]->addr, now);
		if (!victim || score < victim_score ||
		    (score == victim_score &&
		     (same > victim_group ||
		      (same == victim_group && c[i]->opened_ns > victim->opened_ns)))) {
			victim = c[i];
			victim_group = same;
			victim_score = score;
		}
	}
	return victim;
}

bool hs_connect_make_room(struct hs_node *node, bool inbound, const struct hs_netaddr *addr,
                          uint64_t now)
{
	size_t live = live_sessions(node, false);
	if (!inbound)
		return live < node->cfg.peers_max; /* the reserve keeps room for us */
	/* A closing session keeps its slot until the driver reports it closed. A burst of
	 * inbound connections, each evicting the one before, can fill every spare slot with
	 * them before the driver runs again, and then our own dials find no slot though the
	 * reserve says they have room (a real daemon under an inbound flood refused its own
	 * outbound sessions this way). So while closing sessions hold slots, an inbound session
	 * never takes one of those the reserve may still need. */
	size_t closing, nfree = free_slots(node, &closing);
	if (closing > 0 && nfree <= reserve_unused(node)) {
		node->stats.inbound_refused++;
		return false;
	}
	if (live < node->cfg.peers_max && live_sessions(node, true) < inbound_max(node))
		return true;
	/* A group that has misbehaved does not push an honest session out. */
	double newcomer = hs_reputation_group_score(node, addr, now);
	if (newcomer <= node->cfg.score.graylist_threshold) {
		node->stats.inbound_refused++;
		return false;
	}
	struct peer *victim = eviction_victim(node, now);
	if (!victim || hs_reputation_group_score(node, &victim->addr, now) > newcomer)
		return false;
	node->stats.evictions++;
	hs_peer_close(node, victim, HS_REASON_EVICTED, "evicted to make room", now);
	return true;
}

/* ---- the operator's address API ------------------------------------------------------- */

static int cmp_success(const void *a, const void *b)
{
	const struct hs_book_entry *x = *(const struct hs_book_entry *const *)a;
	const struct hs_book_entry *y = *(const struct hs_book_entry *const *)b;
	return (x->last_success_ns < y->last_success_ns) -
	       (x->last_success_ns > y->last_success_ns);
}

size_t hs_node_addresses(const struct hs_node *node, struct hs_record *out, size_t max)
{
	size_t n = hs_addrbook_count(&node->book);
	const struct hs_book_entry **order = malloc((n ? n : 1) * sizeof(*order));
	if (!order)
		return 0;
	for (size_t i = 0; i < n; i++)
		order[i] = hs_addrbook_at(&node->book, i);
	qsort(order, n, sizeof(*order), cmp_success);
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = order[i]->rec;
	free(order);
	return n;
}

int hs_node_remove_peer(struct hs_node *node, const struct hs_netaddr *addr)
{
	for (size_t i = 0; i < node->nmanual; i++) {
		if (!hs_netaddr_equal(&node->manual[i].addr, addr))
			continue;
		node->manual[i] = node->manual[--node->nmanual];
		return 0;
	}
	return HS_ERR_NOT_FOUND;
}

int hs_node_dial_once(struct hs_node *node, const struct hs_netaddr *addr, uint64_t now)
{
	if (!hs_netaddr_is_valid(addr))
		return HS_ERR_INVALID;
	if (node->shutting_down)
		return HS_ERR_STATE; /* hs_node_peer_open would refuse the connection anyway */
	if (addr_connected(node, addr))
		return HS_ERR_EXISTS;
	if (node->ndials >= HS_DIALS_MAX)
		return HS_ERR_FULL;
	(void)dial(node, addr, NULL, CONN_MANUAL, now);
	return 0;
}

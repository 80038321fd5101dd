/*
 * Rumor dissemination: publish, the validation pipeline, inventory (inv / getdata / notfound),
 * eager push, and pull.
 *
 * The validation pipeline runs cheapest check first, so a flood costs the flooder more than
 * us: frame size and rate (peer.c) -> decode (peer.c) -> dedup by id -> time window -> topic ->
 * fair signature budget (verifysched.h) -> signature -> application validator -> store, deliver,
 * relay. A duplicate never reaches signature verification. Only provable faults are penalised.
 *
 * Relay (docs/PROTOCOL.md §9.3): a new rumor is pushed whole to the peers that asked for it
 * (push frame, graft) — to all peers at its origin and at the origin's own peers — and
 * announced by id to every other peer that takes its topic and does not have it. The receiver
 * chooses who pushes to it: the peers that most often told it first of new rumors, one where
 * one such peer covers eager_cover of its first tellings, else up to eager_push. A peer that
 * lacks an announced id asks one announcer (reqsched.h: outbound first, at random among
 * equals), at once if that is a pusher or would answer before the pushers' copy usually
 * comes, else after giving the pushers that time.
 *
 * Attacker model for push: a peer can make us push full copies only while it is one of at
 * most eager_receivers_max grafted peers; it earns a place among our pushers only by being
 * first with valid rumors not its own, and loses it by ceasing to be; a pusher that withholds
 * costs latency, never delivery, since inv/getdata and pull go on regardless.
 * Every few seconds a node sends one random peer a digest of the ids it holds from the last
 * pull_window (pull); the peer answers with the rumors missing from it. That repairs whatever push
 * missed and brings a joining node up to date.
 */
#include <stdlib.h>
#include <string.h>

#include "node_impl.h"

#define SWEEP_INTERVAL_NS HS_NS_PER_S
#define REQUEST_BATCH     256

/* ---- helpers ------------------------------------------------------------------------- */

static bool is_active(const struct peer *p)
{
	return p && p->state == PS_ACTIVE;
}

/* Rumor time in ns, saturating (a far-future time must not wrap into the window). */
static uint64_t rumor_ns(const struct hs_rumor *rm)
{
	return rm->time_ms > UINT64_MAX / HS_NS_PER_MS ? UINT64_MAX : rm->time_ms * HS_NS_PER_MS;
}

static bool send_stored(struct hs_node *node, struct peer *p, struct hs_stored_rumor *r,
                        uint64_t now)
{
	struct hs_msg m; /* only the rumor member is used: no need to clear the whole union */
	m.type = HS_MSG_RUMOR;
	m.u.rumor = (struct hs_msg_rumor){ 0 };
	if (hs_rumor_decode(&m.u.rumor.rumor, r->enc, r->enclen) != 0)
		return false; /* cannot happen: we stored only rumors that decoded */
	hs_knows_set(r, p->slot);
	return hs_peer_send(node, p, &m, now);
}

static void deliver(struct hs_node *node, const struct hs_stored_rumor *r, uint64_t now)
{
	uint8_t *copy = malloc(r->enclen);
	if (!copy)
		return;
	memcpy(copy, r->enc, r->enclen);
	struct hs_event ev = { .type = HS_EV_DELIVER, .received_ns = now };
	memcpy(ev.id, r->id, HS_ID_LEN);
	if (hs_rumor_decode(&ev.rumor, copy, r->enclen) != 0) {
		free(copy);
		return;
	}
	node->stats.rumors_delivered++;
	hs_event_push(node, &ev, copy);
}

/* ---- eager push: who pushes to whom ---------------------------------------------------- */

/* A peer's share of first tellings, in units of 1/FIRSTS_ONE. */
#define FIRSTS_ONE (1u << 16)
/* Shares are averaged over the last FIRSTS_WINDOW new rumors (over all of them until then).
 * Rationale: who is on our fastest path is a stable property of the overlay, so a long memory
 * beats a quick one (hearsay-sim: windows of 4 and 8 did worse than 32); the plain average at
 * first makes a new node's choice useful after its first rumor. */
#define FIRSTS_WINDOW 32
/* Until it has judged this many rumors a node asks eager_push peers (by RTT at first): one
 * observation is no evidence that a single pusher covers its first tellings. */
#define PUSH_WARMUP 8
/* A peer that declined our graft is not asked again before this. */
#define DECLINE_BACKOFF_NS (60 * HS_NS_PER_S)

static uint64_t rtt_key(const struct peer *p)
{
	return p->rtt_ns ? p->rtt_ns : UINT64_MAX; /* unknown RTT sorts last */
}

static void send_push(struct hs_node *node, struct peer *p, uint8_t mode, uint64_t now)
{
	struct hs_msg m = { .type = HS_MSG_PUSH };
	m.u.push.mode = mode;
	hs_peer_send(node, p, &m, now);
}

/* A push frame: the peer grafts or prunes itself as our eager receiver, or declines ours.
 * Rationale: at most eager_receivers_max peers get every rumor from us whole, so no peer (or
 * set of peers) can make us send full copies without bound; the rest are declined and fall
 * back to their next choice, and inv/getdata still serves them. */
static void on_push(struct hs_node *node, struct peer *p, const struct hs_msg_push *pu,
                    uint64_t now)
{
	if (pu->mode == HS_PUSH_GRAFT && !p->eager) {
		size_t n = 0;
		for (unsigned s = 0; s < HS_PEERS_MAX; s++)
			n += is_active(node->peers[s]) && node->peers[s]->eager;
		if (n < node->cfg.eager_receivers_max) {
			p->eager = true;
		} else {
			node->stats.grafts_declined++;
			send_push(node, p, HS_PUSH_DECLINE, now);
		}
	} else if (pu->mode == HS_PUSH_PRUNE) {
		p->eager = false;
	} else if (pu->mode == HS_PUSH_DECLINE) {
		p->declined_until_ns = now + DECLINE_BACKOFF_NS;
		node->pushers_dirty = true; /* p is no candidate for a while: choose another */
		if (p->pusher) {
			/* The prune makes both ends agree even if this answers an older graft. */
			p->pusher = false;
			send_push(node, p, HS_PUSH_PRUNE, now);
		}
	}
}

/* Whether we may ask p to push to us: an active, regular session in good standing. */
static bool may_push_to_us(struct hs_node *node, const struct peer *p, uint64_t now)
{
	return is_active(p) && p->kind != CONN_FEELER && p->kind != CONN_SEED &&
	       p->declined_until_ns <= now &&
	       hs_reputation_standing(node, p, now) == HS_STANDING_GOOD;
}

/* Candidate order: share of first tellings, then round-trip time, then slot. */
static bool ranks_above(const struct peer *a, const struct peer *b)
{
	if (a->firsts != b->firsts)
		return a->firsts > b->firsts;
	if (rtt_key(a) != rtt_key(b))
		return rtt_key(a) < rtt_key(b);
	return a->slot < b->slot;
}

static void set_pusher(struct hs_node *node, struct peer *p, bool on, uint64_t now)
{
	p->pusher = on;
	if (is_active(p))
		send_push(node, p, on ? HS_PUSH_GRAFT : HS_PUSH_PRUNE, now);
}

/* How many pushers we want of the n candidates c (reordered): after the warm-up, the fewest
 * top-ranked whose shares of first tellings add up to eager_cover_pct of all candidates'
 * shares; at most eager_push. */
static size_t pushers_wanted(const struct hs_node *node, struct peer **c, size_t n)
{
	size_t want = node->cfg.eager_push;
	if (want <= 1 || node->judged < PUSH_WARMUP || node->cfg.eager_cover_pct >= 100)
		return want;
	uint64_t total = 0, got = 0;
	for (size_t i = 0; i < n; i++)
		total += c[i]->firsts;
	if (total == 0)
		return want;
	for (size_t k = 0; k < want && k < n; k++) {
		size_t best = k; /* partial selection sort: the k-th ranked candidate */
		for (size_t j = k + 1; j < n; j++)
			if (ranks_above(c[j], c[best]))
				best = j;
		struct peer *t = c[k];
		c[k] = c[best];
		c[best] = t;
		got += c[k]->firsts;
		if (got * 100 >= total * node->cfg.eager_cover_pct)
			return k + 1;
	}
	return want;
}

/* Grafts and prunes until our pushers are the wanted number of candidates and no other
 * candidate has told us first more often than the weakest of them. A pusher that is no
 * longer a candidate is pruned first. Each peer's standing is looked up once per call. */
static void choose_pushers(struct hs_node *node, uint64_t now)
{
	struct peer *c[HS_PEERS_MAX];
	size_t n = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (p && may_push_to_us(node, p, now))
			c[n++] = p;
		else if (p && p->pusher)
			set_pusher(node, p, false, now);
	}
	size_t want = pushers_wanted(node, c, n);
	for (;;) {
		struct peer *worst = NULL, *best = NULL;
		size_t have = 0;
		for (size_t i = 0; i < n; i++) {
			struct peer *p = c[i];
			if (p->pusher) {
				have++;
				if (!worst || ranks_above(worst, p))
					worst = p;
			} else if (!best || ranks_above(p, best)) {
				best = p;
			}
		}
		if (have > want) {
			set_pusher(node, worst, false, now);
		} else if (have < want && best) {
			set_pusher(node, best, true, now);
		} else if (worst && best && best->firsts > worst->firsts) {
			set_pusher(node, worst, false, now);
			set_pusher(node, best, true, now);
		} else {
			return;
		}
	}
}

/* The teller log: who first told us of each recent rumor id, and when. Direct-mapped under a
 * keyed hash, so a peer cannot aim ids at one entry; an overwritten entry only loses one
 * observation. */
static struct teller *teller_slot(struct hs_node *node, const uint8_t id[HS_ID_LEN])
{
	return &node->tellers[hs_shorthash(node->secret, id, HS_ID_LEN) % HS_TELLERS_MAX];
}

static struct teller *teller_find(struct hs_node *node, const uint8_t id[HS_ID_LEN])
{
	struct teller *t = teller_slot(node, id);
	return t->used && memcmp(t->id, id, HS_ID_LEN) == 0 ? t : NULL;
}

/* p told us of an id that is new to us (by inv, or by sending the rumor): log it unless
 * someone told us first. Rationale: a pusher is asked to push, so its inv earns nothing; a
 * peer that accepted our graft and only announces loses its share and its place. */
static void teller_note(struct hs_node *node, const struct peer *p, const uint8_t id[HS_ID_LEN],
                        bool by_push, uint64_t now)
{
	if (teller_find(node, id))
		return;
	struct teller *t = teller_slot(node, id);
	memcpy(t->id, id, HS_ID_LEN);
	t->used = true;
	t->first_ns = now;
	t->slot = (uint8_t)p->slot;
	t->handle = p->pusher && !by_push ? 0 : p->handle;
}

/* A pusher's copy came lag_ns after the first word of its rumor: keep the usual lag and its
 * mean deviation, smoothed as TCP smooths RTT (gains 1/8 and 1/4). */
static void note_push_lag(struct hs_node *node, const struct peer *p, const uint8_t id[HS_ID_LEN],
                          uint64_t now)
{
	if (!p->pusher)
		return; /* checked first: this runs for every duplicate rumor frame */
	const struct teller *t = teller_find(node, id);
	if (!t || now <= t->first_ns)
		return;
	uint64_t lag = now - t->first_ns;
	if (node->push_lag_ns == 0) {
		node->push_lag_ns = lag;
		node->push_lagdev_ns = lag / 2;
		return;
	}
	uint64_t dev = lag > node->push_lag_ns ? lag - node->push_lag_ns : node->push_lag_ns - lag;
	node->push_lagdev_ns = (3 * node->push_lagdev_ns + dev) / 4;
	node->push_lag_ns = (7 * node->push_lag_ns + lag) / 8;
}

/* Younger than pull_window: whole copies still go to those who asked for pushes. */
static bool fresh_rumor(const struct hs_node *node, const struct hs_stored_rumor *r, uint64_t now)
{
	uint64_t wall = hs_node_wall(node, now);
	return wall <= r->origin_ns || wall - r->origin_ns <= node->cfg.pull_window_ns;
}

/* Our pushers that let a fresh rumor come by request from someone else: a miss each. A
 * pusher that misses HS_PUSH_MISSES_MAX in a row loses its share, so it is pruned at the next
 * choice. Rationale: a peer that earned the role and then stops pushing (withholds) would
 * otherwise keep every rumor waiting for it until its share decayed. */
static void note_push_misses(struct hs_node *node, const struct hs_stored_rumor *r,
                             const struct peer *from)
{
	const uint8_t *topic = r->enc + r->topic_off;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (!is_active(p) || !p->pusher || p == from ||
		    !hs_peer_takes_topic(node, p, topic, r->topic_len))
			continue;
		if (++p->push_misses >= HS_PUSH_MISSES_MAX) {
			p->push_misses = 0;
			p->firsts = 0;
			node->pushers_dirty = true;
			node->stats.pushers_dropped++;
		}
	}
}

/* A new rumor proved valid: every share decays, and the peer that told us of it first earns
 * one telling if its own copy is the one we took. Rationale: credit waits for validity, so
 * announcing ids buys nothing, and it goes to a copy, not a word, so a peer that announces
 * fast but never serves (a withholder) earns nothing and is never asked to push; a peer earns
 * nothing for its own rumors, so publishing cannot buy a fast relay's place. */
static void credit_first(struct hs_node *node, const struct hs_stored_rumor *r,
                         const struct hs_rumor *rm, struct peer *from, bool asked, uint64_t now)
{
	teller_note(node, from, r->id, true, now);
	note_push_lag(node, from, r->id, now);
	if (from->pusher)
		from->push_misses = 0;
	else if (asked && fresh_rumor(node, r, now))
		note_push_misses(node, r, from);
	const struct teller *t = teller_find(node, r->id);
	struct peer *first = t && t->handle ? node->peers[t->slot] : NULL;
	if (first &&
	    (first->handle != t->handle || hs_reqsched_peer_strikes(node->reqs, first->slot) > 0 ||
	     (first->has_id && memcmp(first->id, rm->origin, HS_KEY_LEN) == 0)))
		first = NULL;
	if (node->judged < FIRSTS_WINDOW)
		node->judged++;
	node->pushers_dirty = true;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (p)
			p->firsts = p->firsts - p->firsts / node->judged +
			            (p == first ? FIRSTS_ONE / node->judged : 0);
	}
}

/* How long to give our pushers before asking p, which announced an id we lack: nothing if p
 * is a pusher, if we have none or know no lag yet, or if p's round trip is shorter than the
 * usual lag of our pushers' copies (it would likely answer first); else that usual lag plus
 * twice its mean deviation (the recipe of TCP's retransmission timeout), at most
 * eager_wait_max. */
static uint64_t push_wait(const struct hs_node *node, const struct peer *p)
{
	if (p->pusher || node->push_lag_ns == 0 || p->rtt_ns < node->push_lag_ns)
		return 0;
	bool pushers = false;
	for (unsigned s = 0; s < HS_PEERS_MAX && !pushers; s++)
		pushers = is_active(node->peers[s]) && node->peers[s]->pusher;
	if (!pushers)
		return 0;
	uint64_t wait = node->push_lag_ns + 2 * node->push_lagdev_ns;
	return wait < node->cfg.eager_wait_max_ns ? wait : node->cfg.eager_wait_max_ns;
}

/* ---- relay ----------------------------------------------------------------------------- */

/* Pushes r whole to the peers that grafted us, and announces it by id to the other peers that
 * take its topic and do not have it. At its origin, and at a peer that got it from its origin,
 * it is pushed to all of them (unless eager push is off).
 * Rationale: while few nodes hold a rumor, whole copies cost little (about degree^2 in all,
 * whatever the network size), and there the pushers learned from other rumors point the wrong
 * way. hearsay-sim, 1,000 nodes x 50 rumors, seed 1: without it p99 latency is 2.97 x the
 * flood bound at 1.94 payload copies per node, with it 1.37 x at 1.88 (docs/KNOBS.md).
 * A rumor is relayed at its first acceptance whatever its age: acceptance happens once per
 * node and rumor (the seen cache and the retention window see to that), so this costs one
 * announcement per session per rumor, as for a fresh one; and a rumor learned late (across a
 * healed partition, by a catch-up pull) then spreads by inv/getdata in round trips instead of
 * waiting on other nodes' catch-up pulls (hearsay-sim: 200 nodes, half cut off for 90 s,
 * everyone has everything 1 s after the heal instead of 250 s). Whole copies go only while the
 * rumor is fresh (younger than pull_window): an older one is most likely held by the peers
 * already (a joining node's catch-up pull brings it), so it is only announced. */
static void relay(struct hs_node *node, struct hs_stored_rumor *r, const struct peer *from,
                  uint64_t now)
{
	const uint8_t *topic = r->enc + r->topic_off;
	bool fresh = fresh_rumor(node, r, now);
	bool flood = fresh && node->cfg.eager_push > 0 &&
	             (!from || (from->has_id && memcmp(from->id, r->enc, HS_KEY_LEN) == 0));
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (!is_active(p) || hs_knows(r, s) ||
		    !hs_peer_takes_topic(node, p, topic, r->topic_len) ||
		    hs_reputation_standing(node, p, now) != HS_STANDING_GOOD)
			continue;
		if (flood || (fresh && p->eager))
			send_stored(node, p, r, now);
		else if (hs_itemq_push(&p->invq, HS_INV_RUMOR, r->id))
			hs_knows_set(r, s);
	}
}

/* ---- the validation pipeline ----------------------------------------------------------- */

static void remember(struct hs_node *node, const uint8_t id[HS_ID_LEN], uint64_t now)
{
	/* The time window is closed ([now - retention, now + skew]) and an id is forgotten once
	 * its expiry is no longer after now, so the extra nanosecond keeps a rumor from the edge
	 * of the future remembered at the last instant the window still admits it. */
	uint64_t ttl = node->cfg.retention_ns + node->cfg.clock_skew_ns + 1;
	if (hs_seen_add(&node->seen, id, now + ttl, now) != 0)
		hs_node_log(node, HS_LOG_WARN, "seen cache: cannot remember an id");
	hs_reqsched_received(node->reqs, id);
}

/* Checks that cost no signature: false if the rumor goes no further. */
static bool admissible(struct hs_node *node, struct peer *from, const struct hs_rumor *rm,
                       const uint8_t id[HS_ID_LEN], uint64_t now)
{
	uint64_t t = rumor_ns(rm), wall = hs_node_wall(node, now);
	if (t > wall + node->cfg.clock_skew_ns) {
		/* From the future: ignored, it may be fine once our clocks agree. Counted, and
		 * logged once per session: a clock far off cuts a node off silently otherwise. */
		node->stats.rumors_skewed++;
		if (from && !from->skew_logged) {
			from->skew_logged = true;
			hs_node_log(
			        node, HS_LOG_WARN,
			        "peer %llu sent a rumor %llu s ahead of our clock: its clock or "
			        "ours is off",
			        (unsigned long long)from->handle,
			        (unsigned long long)((t - wall) / HS_NS_PER_S));
		}
		return false;
	}
	if (t + node->cfg.retention_ns < wall) {
		/* Older than we keep anything: a late copy, or a replay. */
		node->stats.rumors_too_old++;
		return false;
	}
	if (!hs_node_takes_topic(node, rm->topic, rm->topic_len)) {
		remember(node, id, now); /* not ours: do not fetch it again */
		return false;
	}
	return true;
}

/* A new rumor passed every check: keep it, hand it to the application, pass it on. */
static void accept(struct hs_node *node, struct peer *from, bool asked, const struct hs_rumor *rm,
                   const uint8_t id[HS_ID_LEN], const uint8_t *enc, size_t enclen, uint64_t now)
{
	uint64_t t = rumor_ns(rm);
	struct hs_stored_rumor *r;
	int err = hs_rumorstore_add(&node->store, &r, id, enc, enclen, (size_t)(rm->topic - enc),
	                            rm->topic_len, t,
	                            hs_node_mono(node, t + node->cfg.retention_ns), now);
	remember(node, id, now);
	if (err) {
		hs_node_log(node, HS_LOG_WARN, "rumor store: %s", hs_strerror(err));
		return;
	}
	if (from) {
		hs_knows_set(r, from->slot);
		hs_reputation_event(node, from, HS_SCORE_DELIVERED, now);
		credit_first(node, r, rm, from, asked, now);
	}
	deliver(node, r, now);
	relay(node, r, from, now);
}

static void ingest(struct hs_node *node, struct peer *p, const struct hs_msg_rumor *mr,
                   uint64_t now)
{
	const struct hs_rumor *rm = &mr->rumor;
	uint8_t id[HS_ID_LEN];
	hs_blake2b256(id, mr->enc, mr->enclen);
	node->stats.payload_copies_in++;
	struct hs_stored_rumor *have = hs_rumorstore_find(&node->store, id, now);
	if (have || hs_seen_has(&node->seen, id, now) || hs_held_has(node, id)) {
		node->stats.duplicates++;
		if (have) {
			hs_reqsched_delivered(node->reqs, p->slot, id); /* a copy of a valid one */
			hs_knows_set(have, p->slot);
			note_push_lag(node, p, id, now);
		}
		hs_reqsched_received(node->reqs, id);
		return;
	}
	if (!admissible(node, p, rm, id, now))
		return;
	if (hs_reputation_origin_banned(node, rm->origin, now)) {
		/* Dropped before verification, and remembered; the relay could not know. */
		node->stats.banned_origin++;
		remember(node, id, now);
		return;
	}
	if (!hs_node_may_verify(node, p, now)) {
		/* Over the fair verification budget: dropped unverified and counted. Not
		 * remembered, so an honest copy from another peer is still verified; no fault,
		 * since a peer cannot know a budget it shares with others. */
		return;
	}
	if (!hs_node_signed_by(node, &node->tag_rumor, rm->origin, mr->enc, mr->enclen)) {
		remember(node, id, now);
		hs_peer_fault(node, p, HS_SCORE_BAD_SIG, "rumor with a bad signature", now);
		return;
	}
	/* Signed by its origin: p served valid data (and answered us, if we asked it). */
	bool asked = hs_reqsched_delivered(node->reqs, p->slot, id);
	enum hs_verdict v = HS_ACCEPT;
	if (node->caps.validate)
		v = node->caps.validate(node->caps.ctx, rm, id);
	if (v == HS_PENDING)
		hs_held_park(node, p, asked, rm, id, mr->enc, mr->enclen, now);
	else
		hs_gossip_judged(node, p, asked, rm, id, mr->enc, mr->enclen, v, now);
}

void hs_gossip_judged(struct hs_node *node, struct peer *from, bool asked,
                      const struct hs_rumor *rm, const uint8_t id[HS_ID_LEN], const uint8_t *enc,
                      size_t enclen, enum hs_verdict v, uint64_t now)
{
	switch (v) {
	case HS_ACCEPT:
		accept(node, from, asked, rm, id, enc, enclen, now);
		return;
	case HS_REJECT: /* a network-wide rule: the relay should have checked it too */
		node->stats.validate_rejected++;
		remember(node, id, now);
		if (from)
			hs_peer_fault(node, from, HS_SCORE_REJECTED,
			              "rumor rejected by the application", now);
		return;
	case HS_REJECT_ORIGIN: /* a local rule: only the signer answers for the content */
		node->stats.validate_rejected_origin++;
		remember(node, id, now);
		hs_reputation_origin_fault(node, rm->origin, HS_SCORE_REJECTED, now);
		return;
	default: /* HS_IGNORE, and anything a validator should not have said */
		node->stats.validate_ignored++;
		remember(node, id, now);
		return;
	}
}

/* ---- inventory ------------------------------------------------------------------------- */

static void on_inv(struct hs_node *node, struct peer *p, const struct hs_msg_inv *inv, uint64_t now)
{
	uint64_t reqtime = now + node->cfg.lazy_request_delay_ns + push_wait(node, p);
	for (size_t i = 0; i < inv->count; i++) {
		uint8_t kind;
		const uint8_t *id;
		hs_inv_item(inv, i, &kind, &id);
		if (kind == HS_INV_STATE) {
			hs_state_on_inv_item(node, p, id, now);
			continue;
		}
		struct hs_stored_rumor *r = hs_rumorstore_find(&node->store, id, now);
		if (r) {
			hs_knows_set(r, p->slot);
			continue;
		}
		if (hs_seen_has(&node->seen, id, now))
			continue;
		/* Past the per-peer announcement limit the rest are ignored (txrequest does the
		 * same): the ids still reach us through other announcers or pull. */
		if (hs_reqsched_announce(node->reqs, p->slot, id, kind,
		                         hs_peer_req_class(node, p, now), reqtime) != 0)
			node->stats.announcements_dropped++;
		else
			teller_note(node, p, id, false, now);
	}
}

static void on_getdata(struct hs_node *node, struct peer *p, const struct hs_msg_inv *inv,
                       uint64_t now)
{
	for (size_t i = 0; i < inv->count; i++) {
		uint8_t kind;
		const uint8_t *id;
		hs_inv_item(inv, i, &kind, &id);
		if (!hs_itemq_push(&p->getdataq, kind, id)) {
			hs_peer_fault(node, p, HS_SCORE_FLOOD, "getdata queue overflow", now);
			return;
		}
	}
}

static void send_items(struct hs_node *node, struct peer *p, uint8_t type, const uint8_t *items,
                       size_t n, uint64_t now)
{
	struct hs_msg m = { .type = type };
	m.u.inv.count = n;
	m.u.inv.items = items;
	hs_peer_send(node, p, &m, now);
}

/* Answers queued getdata while the peer's output stays under the high-water mark. */
static void serve_getdata(struct hs_node *node, struct peer *p, uint64_t now)
{
	uint8_t batch[64 * HS_INV_ITEM_LEN], missing[64 * HS_INV_ITEM_LEN];
	while (is_active(p) && p->getdataq.count > 0 && hs_peer_pending(p) < HS_SEND_HIGH_WATER) {
		size_t n = hs_itemq_pop(&p->getdataq, batch, 64), nmissing = 0, nstate = 0;
		uint8_t state_items[64 * HS_INV_ITEM_LEN];
		for (size_t i = 0; i < n; i++) {
			const uint8_t *it = batch + i * HS_INV_ITEM_LEN;
			if (it[0] == HS_INV_STATE) {
				memcpy(state_items + HS_INV_ITEM_LEN * nstate++, it,
				       HS_INV_ITEM_LEN);
				continue;
			}
			struct hs_stored_rumor *r = hs_rumorstore_find(&node->store, it + 1, now);
			if (r)
				send_stored(node, p, r, now);
			else
				memcpy(missing + HS_INV_ITEM_LEN * nmissing++, it, HS_INV_ITEM_LEN);
		}
		if (nstate > 0)
			nmissing += hs_state_serve(node, p, state_items, nstate,
			                           missing + HS_INV_ITEM_LEN * nmissing, now);
		if (nmissing > 0 && is_active(p)) {
			node->stats.notfound_sent += nmissing;
			send_items(node, p, HS_MSG_NOTFOUND, missing, nmissing, now);
		}
	}
}

static void flush_inv(struct hs_node *node, struct peer *p, uint64_t now)
{
	static const size_t per_frame = HS_INV_MAX;
	uint8_t *items = NULL;
	while (is_active(p) && p->invq.count > 0) {
		if (!items && !(items = malloc(per_frame * HS_INV_ITEM_LEN)))
			return;
		size_t n = hs_itemq_pop(&p->invq, items, per_frame);
		send_items(node, p, HS_MSG_INV, items, n, now);
	}
	free(items);
}

/* Sends the getdata requests the scheduler says are due, grouped per peer. */
static void send_requests(struct hs_node *node, uint64_t now)
{
	struct hs_request reqs[REQUEST_BATCH];
	uint8_t items[REQUEST_BATCH * HS_INV_ITEM_LEN];
	size_t n, timeouts;
	while ((n = hs_reqsched_poll(node->reqs, now, reqs, REQUEST_BATCH, &timeouts)) > 0 ||
	       timeouts > 0) {
		node->stats.requests_timed_out += timeouts;
		node->stats.requests_sent += n;
		bool done[REQUEST_BATCH] = { false };
		for (size_t i = 0; i < n; i++) {
			if (done[i])
				continue;
			size_t k = 0;
			for (size_t j = i; j < n; j++) {
				if (done[j] || reqs[j].peer != reqs[i].peer)
					continue;
				items[k * HS_INV_ITEM_LEN] = reqs[j].kind;
				memcpy(items + k * HS_INV_ITEM_LEN + 1, reqs[j].id, HS_ID_LEN);
				k++;
				done[j] = true;
			}
			struct peer *p = node->peers[reqs[i].peer];
			if (is_active(p))
				send_items(node, p, HS_MSG_GETDATA, items, k, now);
		}
		if (n < REQUEST_BATCH)
			break;
	}
}

/* ---- pull ------------------------------------------------------------------------------ */

/* Stored rumors with origin time (wall clock) >= since, newest arrival first; stops at the
 * first whose arrival proves every older one is older than since (arrival >= origin - skew;
 * arrivals are on the node's monotonic clock). */
#define FOR_RECENT(node, i, r, since)                                                              \
	for (size_t i = 0; i < hs_rumorstore_count(&(node)->store); i++)                           \
		if (((r) = hs_rumorstore_newest(&(node)->store, i))->received_ns +                 \
		            (node)->cfg.clock_skew_ns <                                            \
		    hs_node_mono((node), (since)))                                                 \
			break;                                                                     \
		else if ((r)->origin_ns >= (since))

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void send_pull(struct hs_node *node, struct peer *p, uint64_t since, uint64_t now)
{
	uint64_t *ids = malloc(HS_PULL_IDS_MAX * sizeof(*ids));
	if (!ids)
		return;
	struct hs_msg m = { .type = HS_MSG_PULL };
	struct hs_msg_pull *pl = &m.u.pull;
	node->caps.random(node->caps.ctx, pl->salt, sizeof(pl->salt));
	size_t n = 0;
	struct hs_stored_rumor *r;
	FOR_RECENT(node, i, r, since)
	{
		if (n == HS_PULL_IDS_MAX) {
			since = r->origin_ns + 1; /* the digest covers only what fits */
			break;
		}
		ids[n++] = hs_shorthash(pl->salt, r->id, HS_ID_LEN);
	}
	qsort(ids, n, sizeof(*ids), cmp_u64);
	size_t k = 0; /* drop equal short ids: the list must be strictly ascending */
	for (size_t i = 0; i < n; i++)
		if (k == 0 || ids[i] != ids[k - 1])
			ids[k++] = ids[i];
	uint8_t *raw = malloc(k * 8 + 1);
	if (raw) {
		for (size_t i = 0; i < k; i++)
			for (unsigned b = 0; b < 8; b++)
				raw[i * 8 + b] = (uint8_t)(ids[i] >> (8 * b));
		pl->since_ms = since / HS_NS_PER_MS;
		pl->count = k;
		pl->ids = raw;
		node->stats.pulls_sent++;
		hs_peer_send(node, p, &m, now);
	}
	free(raw);
	free(ids);
}

static void on_pull(struct hs_node *node, struct peer *p, const struct hs_msg_pull *pl,
                    uint64_t now)
{
	if (!hs_ratelimit_take(&p->pull_rl, 1, now)) {
		/* Ignored, not punished: a stalled link delivers its held pulls in one burst. */
		node->stats.repairs_refused++;
		return;
	}
	uint64_t since =
	        pl->since_ms > UINT64_MAX / HS_NS_PER_MS ? UINT64_MAX : pl->since_ms * HS_NS_PER_MS;
	size_t sent = 0;
	struct hs_stored_rumor *r;
	FOR_RECENT(node, i, r, since)
	{
		if (sent == HS_PULL_REPLY_MAX || hs_peer_pending(p) >= HS_SEND_HIGH_WATER)
			break;
		if (r->expiry_ns <= now ||
		    !hs_peer_takes_topic(node, p, r->enc + r->topic_off, r->topic_len))
			continue;
		if (hs_pull_has(pl, hs_shorthash(pl->salt, r->id, HS_ID_LEN)))
			continue;
		send_stored(node, p, r, now);
		sent++;
	}
	node->stats.pull_rumors_sent += sent;
}

static struct peer *random_active_peer(struct hs_node *node)
{
	struct peer *pick = NULL;
	uint64_t seen = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		if (!is_active(node->peers[s]))
			continue;
		seen++;
		if (hs_node_rand64(node) % seen == 0)
			pick = node->peers[s];
	}
	return pick;
}

/* ---- the node's entry points ----------------------------------------------------------- */

void hs_gossip_on_msg(struct hs_node *node, struct peer *p, const struct hs_msg *m, uint64_t now)
{
	switch (m->type) {
	case HS_MSG_INV:
		on_inv(node, p, &m->u.inv, now);
		break;
	case HS_MSG_GETDATA:
		on_getdata(node, p, &m->u.inv, now);
		break;
	case HS_MSG_NOTFOUND:
		for (size_t i = 0; i < m->u.inv.count; i++) {
			uint8_t kind;
			const uint8_t *id;
			hs_inv_item(&m->u.inv, i, &kind, &id);
			hs_reqsched_notfound(node->reqs, p->slot, id);
		}
		break;
	case HS_MSG_RUMOR:
		ingest(node, p, &m->u.rumor, now);
		break;
	case HS_MSG_PULL:
		on_pull(node, p, &m->u.pull, now);
		break;
	case HS_MSG_STATE:
		hs_state_on_frame(node, p, &m->u.state, now);
		break;
	case HS_MSG_SYNC:
		hs_state_on_sync(node, p, &m->u.sync, now);
		break;
	case HS_MSG_EQUIVOCATION:
		hs_state_on_equivocation(node, p, &m->u.equivocation, now);
		break;
	case HS_MSG_PUSH:
		on_push(node, p, &m->u.push, now);
		break;
	default:
		break;
	}
}

void hs_gossip_on_active(struct hs_node *node, struct peer *p, uint64_t now)
{
	node->pushers_dirty = true;
	hs_state_send_proofs(node, p, now); /* every session learns of the convicted */
	/* Catch up from each new outbound peer on everything it still retains. */
	if (p->kind != CONN_INBOUND) {
		uint64_t wall = hs_node_wall(node, now);
		send_pull(node, p,
		          wall > node->cfg.retention_ns ? wall - node->cfg.retention_ns : 0, now);
		hs_state_send_sync(node, p, now);
	}
}

void hs_gossip_flush(struct hs_node *node, uint64_t now)
{
	/* Rationale: the choice depends only on sessions, standings, shares and back-offs, so it is
	 * redone when one of them may have changed (and every sweep, for decay and expiry), not
	 * after every input: a duplicate frame must stay cheap. */
	if (node->pushers_dirty) {
		node->pushers_dirty = false;
		choose_pushers(node, now);
	}
	send_requests(node, now);
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (!is_active(p))
			continue;
		flush_inv(node, p, now);
		serve_getdata(node, p, now);
	}
}

void hs_gossip_timer(struct hs_node *node, uint64_t now)
{
	if (now >= node->next_sweep_ns) {
		hs_seen_expire(&node->seen, now);
		hs_rumorstore_expire(&node->store, now);
		node->next_sweep_ns = now + SWEEP_INTERVAL_NS;
		node->pushers_dirty = true;
	}
	if (now >= node->next_pull_ns) {
		struct peer *p = random_active_peer(node);
		if (p) {
			uint64_t wall = hs_node_wall(node, now);
			send_pull(node, p,
			          wall > node->cfg.pull_window_ns ? wall - node->cfg.pull_window_ns
			                                          : 0,
			          now);
			hs_state_send_sync(node, p, now);
		}
		/* Jitter of up to a quarter interval keeps nodes from pulling in lockstep. */
		uint64_t jitter = hs_node_rand64(node) % (node->cfg.pull_interval_ns / 4 + 1);
		node->next_pull_ns = now + node->cfg.pull_interval_ns - jitter;
	}
}

uint64_t hs_gossip_deadline(const struct hs_node *node)
{
	uint64_t d = hs_reqsched_next_deadline(node->reqs);
	if (node->next_pull_ns < d)
		d = node->next_pull_ns;
	if (node->next_sweep_ns < d)
		d = node->next_sweep_ns;
	return d;
}

int hs_gossip_publish(struct hs_node *node, uint8_t id[HS_ID_LEN], const char *topic,
                      const uint8_t *payload, size_t payloadlen, uint64_t now)
{
	size_t tl = topic ? strlen(topic) : 0;
	if (!hs_name_is_valid(topic, tl, HS_TOPIC_MAX) || payloadlen > HS_RUMOR_PAYLOAD_MAX ||
	    (payloadlen > 0 && !payload))
		return HS_ERR_INVALID;
	struct hs_rumor rm = { .topic = (const uint8_t *)topic, .topic_len = tl };
	memcpy(rm.origin, node->cfg.identity, HS_KEY_LEN);
	rm.time_ms = hs_node_wall(node, now) / HS_NS_PER_MS;
	rm.payload = payload;
	rm.payload_len = payloadlen;
	size_t enclen = hs_rumor_encoded_len(&rm);
	uint8_t *enc = malloc(enclen);
	if (!enc)
		return HS_ERR_NOMEM;
	size_t len;
	int err = hs_rumor_encode(&rm, enc, enclen, &len);
	uint8_t digest[32];
	if (!err) {
		hs_tag_hash(&node->tag_rumor, digest, enc, len - HS_SIG_LEN);
		err = node->caps.sign(node->caps.ctx, enc + len - HS_SIG_LEN, digest);
	}
	if (!err) {
		hs_blake2b256(id, enc, len);
		err = hs_rumor_decode(&rm, enc, len);
	}
	if (!err) {
		node->stats.rumors_published++;
		accept(node, NULL, false, &rm, id, enc, len, now);
	}
	free(enc);
	return err;
}

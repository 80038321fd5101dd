/*
 * Replicated state: each node's signed key/value entries, spread to every node.
 *
 * A node writes only its own keys; each write is an entry signed by it, carrying (generation,
 * version): the generation counts the node's restarts, the version counts its writes within one
 * generation, so a restarted node's fresh state always wins. New entries are announced by id
 * (inv kind 2) and fetched with getdata like rumors; anti-entropy repairs the rest:
 * Cassandra-style digest sync, where a node sends one random peer (and every new outbound
 * peer) its per-origin (generation, highest version) and gets back the entries it lacks,
 * at most HS_SYNC_REPLY_MAX per round — incremental, never the whole store.
 *
 * Validation, cheapest first: dedup by entry id, per-peer signature budget, signature (tag
 * hearsay/state/<network>), merge. An entry older than the one held is remembered (so it is not
 * fetched again) and ignored; a bad signature is the sender's provable fault.
 */
#include <stdlib.h>
#include <string.h>

#include "node_impl.h"

static void on_evict(void *ctx, const struct hs_state_slot *slot);

/* The per-peer "has it or was told" bit of an entry, as for rumors. */
static bool knows(const struct hs_state_slot *sl, unsigned s)
{
	return (sl->knows[s / 64] >> (s % 64)) & 1u;
}

static void know(struct hs_state_slot *sl, unsigned s)
{
	sl->knows[s / 64] |= (uint64_t)1 << (s % 64);
}

void hs_state_init(struct hs_node *node)
{
	hs_statestore_init(&node->state, node->secret, 65536, 64u << 20);
	node->state.on_evict = on_evict;
	node->state.evict_ctx = node;
}

/* ---- saving and events ------------------------------------------------------------------ */

static void save(struct hs_node *node, const uint8_t *enc, size_t enclen, bool remove)
{
	struct hs_entry e;
	if (hs_entry_decode(&e, enc, enclen) == 0)
		hs_event_save(node, remove ? HS_SAVE_UNSTATE : HS_SAVE_STATE, e.origin, HS_KEY_LEN,
		              e.key, e.key_len, remove ? NULL : enc, remove ? 0 : enclen);
}

static void on_evict(void *ctx, const struct hs_state_slot *slot)
{
	if (!slot->heartbeat) /* heartbeats are never saved */
		save(ctx, slot->enc, slot->enclen, true);
}

static void changed(struct hs_node *node, const struct hs_state_slot *sl)
{
	uint8_t *copy = malloc(sl->enclen);
	if (!copy)
		return;
	memcpy(copy, sl->enc, sl->enclen);
	struct hs_event ev = { .type = HS_EV_STATE };
	memcpy(ev.id, sl->id, HS_ID_LEN);
	if (hs_entry_decode(&ev.entry, copy, sl->enclen) != 0) {
		free(copy);
		return;
	}
	hs_event_push(node, &ev, copy);
}

/* Announces a new entry to every peer in good standing that does not have it. */
static void relay(struct hs_node *node, struct hs_state_slot *sl, uint64_t now)
{
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (!p || p->state != PS_ACTIVE || knows(sl, s))
			continue;
		if (hs_reputation_standing(node, p, now) != HS_STANDING_GOOD)
			continue;
		if (hs_itemq_push(&p->invq, HS_INV_STATE, sl->id))
			know(sl, s);
	}
}

/* ---- equivocation proofs ------------------------------------------------------------------ */

/* Bytewise order of two encodings, a shorter prefix first (the proof frame's order, §6.12). */
static int enc_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

/* A proof's id: BLAKE2b-256 of the two entry ids, in the frame's order. */
static void proof_id(uint8_t out[HS_ID_LEN], const uint8_t *a, size_t alen, const uint8_t *b,
                     size_t blen)
{
	uint8_t ids[2 * HS_ID_LEN];
	bool swap = enc_cmp(a, alen, b, blen) > 0;
	hs_blake2b256(ids + (swap ? HS_ID_LEN : 0), a, alen);
	hs_blake2b256(ids + (swap ? 0 : HS_ID_LEN), b, blen);
	hs_blake2b256(out, ids, sizeof(ids));
}

/* A proof held for origin, or its identity banned: a further proof adds nothing. */
static bool convicted(const struct hs_node *node, const uint8_t origin[HS_KEY_LEN], uint64_t now)
{
	for (size_t i = 0; i < node->state.nproofs; i++)
		if (memcmp(node->state.proofs[i].a, origin, HS_KEY_LEN) == 0)
			return true;
	return hs_reputation_origin_banned(node, origin, now);
}

/* Sends one proof (two encodings, in any order) to p. */
static void send_proof(struct hs_node *node, struct peer *p, const uint8_t *a, size_t alen,
                       const uint8_t *b, size_t blen, uint64_t now)
{
	struct hs_msg m = { .type = HS_MSG_EQUIVOCATION };
	bool swap = enc_cmp(a, alen, b, blen) > 0;
	if (hs_entry_decode(&m.u.equivocation.a, swap ? b : a, swap ? blen : alen) != 0 ||
	    hs_entry_decode(&m.u.equivocation.b, swap ? a : b, swap ? alen : blen) != 0)
		return;
	if (hs_peer_send(node, p, &m, now))
		node->stats.proofs_sent++;
}

/* Two signature-checked entries of one origin for one version: records the proof (unless the
 * store did), charges the origin (HS_SCORE_EQUIVOCATION) and sends the proof to every active
 * peer in good standing but from, once per proof. */
static void convict(struct hs_node *node, const struct peer *from, const uint8_t *a, size_t alen,
                    const uint8_t *b, size_t blen, bool record, uint64_t now)
{
	uint8_t pid[HS_ID_LEN];
	proof_id(pid, a, alen, b, blen);
	if (hs_seen_has(&node->seen, pid, now))
		return;
	if (hs_seen_add(&node->seen, pid, now + node->cfg.retention_ns, now) != 0)
		hs_node_log(node, HS_LOG_WARN, "seen cache: cannot remember a proof");
	if (record)
		hs_statestore_record_proof(&node->state, a, alen, b, blen);
	uint8_t origin[HS_KEY_LEN];
	memcpy(origin, a, HS_KEY_LEN); /* an entry's encoding starts with its origin */
	hs_reputation_origin_fault(node, origin, HS_SCORE_EQUIVOCATION, now);
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (p && p != from && p->state == PS_ACTIVE &&
		    hs_reputation_standing(node, p, now) == HS_STANDING_GOOD)
			send_proof(node, p, a, alen, b, blen, now);
	}
}

static enum hs_apply merge(struct hs_node *node, const struct peer *from, const struct hs_entry *e,
                           const uint8_t *enc, size_t enclen, const uint8_t id[HS_ID_LEN],
                           bool spread, bool saved, uint64_t now);

void hs_state_on_equivocation(struct hs_node *node, struct peer *p,
                              const struct hs_msg_equivocation *q, uint64_t now)
{
	uint8_t pid[HS_ID_LEN];
	proof_id(pid, q->enc_a, q->len_a, q->enc_b, q->len_b);
	if (hs_seen_has(&node->seen, pid, now))
		return;
	if (convicted(node, q->a.origin, now)) {
		node->stats.banned_origin += hs_reputation_origin_banned(node, q->a.origin, now);
		if (hs_seen_add(&node->seen, pid, now + node->cfg.retention_ns, now) != 0)
			hs_node_log(node, HS_LOG_WARN, "seen cache: cannot remember a proof");
		return;
	}
	/* Two checks: over budget, the proof is dropped unverified, unremembered, unpunished. */
	if (!hs_node_may_verify(node, p, now) || !hs_node_may_verify(node, p, now))
		return;
	if (!hs_node_signed_by(node, &node->tag_state, q->a.origin, q->enc_a, q->len_a) ||
	    !hs_node_signed_by(node, &node->tag_state, q->b.origin, q->enc_b, q->len_b)) {
		if (hs_seen_add(&node->seen, pid, now + node->cfg.retention_ns, now) != 0)
			hs_node_log(node, HS_LOG_WARN, "seen cache: cannot remember a proof");
		hs_peer_fault(node, p, HS_SCORE_BAD_SIG, "equivocation proof with a bad signature",
		              now);
		return;
	}
	node->stats.proofs_received++;
	/* Both entries merge like any (the store keeps the smaller id); merging the second
	 * convicts the origin when the first was stored. If the store held a newer entry, the
	 * proof is recorded here. */
	uint8_t ida[HS_ID_LEN], idb[HS_ID_LEN];
	hs_blake2b256(ida, q->enc_a, q->len_a);
	hs_blake2b256(idb, q->enc_b, q->len_b);
	merge(node, p, &q->a, q->enc_a, q->len_a, ida, true, false, now);
	merge(node, p, &q->b, q->enc_b, q->len_b, idb, true, false, now);
	convict(node, p, q->enc_a, q->len_a, q->enc_b, q->len_b, true, now);
}

void hs_state_send_proofs(struct hs_node *node, struct peer *p, uint64_t now)
{
	for (size_t i = 0; i < node->state.nproofs; i++) {
		const struct hs_equivocation *q = &node->state.proofs[i];
		send_proof(node, p, q->a, q->alen, q->b, q->blen, now);
	}
}

/* Merges one signature-checked entry; saves, reports and relays it when it is new, never to
 * the peer it came from (from, NULL for our own). */
static enum hs_apply merge(struct hs_node *node, const struct peer *from, const struct hs_entry *e,
                           const uint8_t *enc, size_t enclen, const uint8_t id[HS_ID_LEN],
                           bool spread, bool saved, uint64_t now)
{
	enum hs_apply r = HS_APPLY_OLDER;
	struct hs_state_slot *sl;
	/* The entry held for the slot, copied when this one may equivocate with it. */
	uint8_t *held = NULL;
	size_t heldlen = 0;
	const struct hs_state_slot *h =
	        hs_statestore_get(&node->state, e->origin, e->key, e->key_len);
	if (h && h->generation == e->generation && h->version == e->version &&
	    memcmp(h->id, id, HS_ID_LEN) != 0 && (held = malloc(h->enclen)) != NULL) {
		memcpy(held, h->enc, h->enclen);
		heldlen = h->enclen;
	}
	int err = hs_statestore_apply(&node->state, e, enc, enclen, id, now, &r, &sl);
	if (err) {
		hs_node_log(node, HS_LOG_WARN, "state store: %s", hs_strerror(err));
		free(held);
		return HS_APPLY_OLDER;
	}
	if (r == HS_APPLY_EQUIVOCATION) {
		hs_node_log(node, HS_LOG_WARN,
		            "state: an origin signed two entries for one version");
		if (held)
			convict(node, NULL, held, heldlen, enc, enclen, false, now);
	}
	free(held);
	if (!sl)
		return r;
	/* Heartbeats are news of liveness, not data: never saved (a restart starts a new
	 * generation anyway) and reported as member events rather than state changes. */
	if (spread && !saved && !sl->heartbeat)
		save(node, enc, enclen, false);
	if (!sl->heartbeat)
		changed(node, sl);
	hs_membership_on_entry(node, e, now);
	if (from)
		know(sl, from->slot);
	if (spread)
		relay(node, sl, now);
	return r;
}

/* ---- receiving ---------------------------------------------------------------------------- */

static void remember(struct hs_node *node, const uint8_t id[HS_ID_LEN], uint64_t now)
{
	/* State has no clock of its own: an older entry stays older, so its id is remembered
	 * only long enough to stop refetching it from the peers announcing it now. */
	if (hs_seen_add(&node->seen, id, now + node->cfg.retention_ns, now) != 0)
		hs_node_log(node, HS_LOG_WARN, "seen cache: cannot remember an id");
	hs_reqsched_received(node->reqs, id);
}

void hs_state_on_frame(struct hs_node *node, struct peer *p, const struct hs_msg_state *ms,
                       uint64_t now)
{
	for (size_t i = 0; i < ms->count && p->state == PS_ACTIVE; i++) {
		const struct hs_entry *e = &ms->entries[i];
		uint8_t id[HS_ID_LEN];
		hs_blake2b256(id, ms->enc[i], ms->enclen[i]);
		struct hs_state_slot *have = hs_statestore_by_id(&node->state, id);
		if (have || hs_seen_has(&node->seen, id, now)) {
			if (have) {
				know(have, p->slot);
				hs_reqsched_delivered(node->reqs, p->slot, id); /* a copy of ours */
			}
			hs_reqsched_received(node->reqs, id);
			continue;
		}
		if (hs_reputation_origin_banned(node, e->origin, now)) {
			/* Dropped before verification; the relay could not know. */
			node->stats.banned_origin++;
			remember(node, id, now);
			continue;
		}
		if (!hs_node_may_verify(node, p, now))
			continue; /* over budget: dropped unverified and counted, not remembered, no
			           * fault (a peer cannot know a budget it shares with others) */
		if (!hs_node_signed_by(node, &node->tag_state, e->origin, ms->enc[i],
		                       ms->enclen[i])) {
			remember(node, id, now);
			hs_peer_fault(node, p, HS_SCORE_BAD_SIG, "state entry with a bad signature",
			              now);
			return;
		}
		hs_reqsched_delivered(node->reqs, p->slot, id); /* signed: p served valid data */
		hs_reqsched_received(node->reqs, id);
		enum hs_apply r =
		        merge(node, p, e, ms->enc[i], ms->enclen[i], id, true, false, now);
		have = hs_statestore_by_id(&node->state, id);
		if (have)
			know(have, p->slot);
		/* A heartbeat earns nothing: every node signs one per interval, so a Sybil
		 * relaying its own would farm standing by merely existing. */
		if (r == HS_APPLY_NEWER && !hs_entry_is_heartbeat(e->key, e->key_len))
			hs_reputation_event(node, p, HS_SCORE_DELIVERED, now);
		else
			remember(node, id, now);
	}
}

void hs_state_on_inv_item(struct hs_node *node, struct peer *p, const uint8_t id[HS_ID_LEN],
                          uint64_t now)
{
	struct hs_state_slot *have = hs_statestore_by_id(&node->state, id);
	if (have) {
		know(have, p->slot);
		return;
	}
	if (hs_seen_has(&node->seen, id, now))
		return;
	if (hs_reqsched_announce(node->reqs, p->slot, id, HS_INV_STATE,
	                         hs_peer_req_class(node, p, now),
	                         now + node->cfg.lazy_request_delay_ns) != 0)
		node->stats.announcements_dropped++;
}

/* ---- sending ------------------------------------------------------------------------------ */

/* Sends entries in state frames of at most HS_STATE_BATCH_MAX entries and one frame's bytes. */
struct batch {
	struct hs_msg m;
	size_t bytes;
};

static void batch_flush(struct hs_node *node, struct peer *p, struct batch *b, uint64_t now)
{
	if (b->m.u.state.count > 0)
		hs_peer_send(node, p, &b->m, now);
	b->m.u.state.count = 0;
	b->bytes = 0;
}

static void batch_add(struct hs_node *node, struct peer *p, struct batch *b,
                      struct hs_state_slot *sl, uint64_t now)
{
	if (b->m.u.state.count == HS_STATE_BATCH_MAX || b->bytes + sl->enclen + 8 > HS_FRAME_MAX)
		batch_flush(node, p, b, now);
	size_t i = b->m.u.state.count;
	if (hs_entry_decode(&b->m.u.state.entries[i], sl->enc, sl->enclen) != 0)
		return;
	b->m.u.state.count++;
	b->bytes += sl->enclen;
	know(sl, p->slot);
}

static struct batch *batch_new(void)
{
	struct batch *b = calloc(1, sizeof(*b));
	if (b)
		b->m.type = HS_MSG_STATE;
	return b;
}

size_t hs_state_serve(struct hs_node *node, struct peer *p, const uint8_t *items, size_t n,
                      uint8_t *missing, uint64_t now)
{
	struct batch *b = batch_new();
	size_t nmissing = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *it = items + i * HS_INV_ITEM_LEN;
		struct hs_state_slot *sl = b ? hs_statestore_by_id(&node->state, it + 1) : NULL;
		if (!sl && b) {
			/* Superseded since we announced it: the newer entry answers instead
			 * (statestore.h, HS_SUPERSEDED_MAX). Its knows bit only says we announced
			 * it: the peer asking for an older one evidently lacks it. */
			sl = hs_statestore_successor(&node->state, it + 1);
			node->stats.successors_served += sl != NULL;
		}
		if (sl)
			batch_add(node, p, b, sl, now);
		else
			memcpy(missing + HS_INV_ITEM_LEN * nmissing++, it, HS_INV_ITEM_LEN);
	}
	if (b)
		batch_flush(node, p, b, now);
	free(b);
	return nmissing;
}

static int cmp_origin(const void *a, const void *b)
{
	return memcmp(a, b, HS_KEY_LEN);
}

void hs_state_send_sync(struct hs_node *node, struct peer *p, uint64_t now)
{
	size_t n = node->state.norigins;
	if (n > HS_SYNC_ORIGINS_MAX)
		n = HS_SYNC_ORIGINS_MAX; /* a window that starts at a random origin each round */
	uint8_t *items = malloc(n * HS_SYNC_ITEM_LEN + 1);
	if (!items)
		return;
	size_t start = node->state.norigins ? hs_node_rand64(node) % node->state.norigins : 0;
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		const struct hs_state_origin *o =
		        &node->state.origins[(start + i) % node->state.norigins];
		if (o->version == 0)
			continue; /* only a heartbeat held: nothing for a digest to cover */
		uint8_t *it = items + count++ * HS_SYNC_ITEM_LEN;
		memcpy(it, o->origin, HS_KEY_LEN);
		for (unsigned b = 0; b < 8; b++) {
			it[HS_KEY_LEN + b] = (uint8_t)(o->generation >> (8 * b));
			it[HS_KEY_LEN + 8 + b] = (uint8_t)(o->version >> (8 * b));
		}
	}
	qsort(items, count, HS_SYNC_ITEM_LEN, cmp_origin);
	struct hs_msg m = { .type = HS_MSG_SYNC };
	m.u.sync.count = count;
	m.u.sync.items = items;
	hs_peer_send(node, p, &m, now);
	free(items);
}

static bool older(uint64_t g1, uint64_t v1, uint64_t g2, uint64_t v2)
{
	return g1 < g2 || (g1 == g2 && v1 < v2);
}

/* The second half of the exchange (Cassandra's ACK and ACK2): the origins of the peer's
 * digest we hold less of, or nothing of, listed with what we hold ((0, 0) for nothing), so the
 * peer answers with what we lack. A subset of its digest, so in its order; sent only when not
 * empty, so the peer, which is ahead on every origin listed, has nothing to ask back. */
static void send_counter_sync(struct hs_node *node, struct peer *p, const struct hs_msg_sync *sy,
                              uint64_t now)
{
	uint8_t *items = sy->count ? malloc(sy->count * HS_SYNC_ITEM_LEN) : NULL;
	if (!items)
		return;
	size_t n = 0;
	for (size_t i = 0; i < sy->count; i++) {
		const uint8_t *origin;
		uint64_t g, v;
		hs_sync_item(sy, i, &origin, &g, &v);
		const struct hs_state_origin *o = hs_statestore_origin(&node->state, origin);
		uint64_t og = o ? o->generation : 0, ov = o ? o->version : 0;
		if (!older(og, ov, g, v))
			continue;
		uint8_t *it = items + n++ * HS_SYNC_ITEM_LEN;
		memcpy(it, origin, HS_KEY_LEN);
		for (unsigned b = 0; b < 8; b++) {
			it[HS_KEY_LEN + b] = (uint8_t)(og >> (8 * b));
			it[HS_KEY_LEN + 8 + b] = (uint8_t)(ov >> (8 * b));
		}
	}
	if (n > 0) {
		struct hs_msg m = { .type = HS_MSG_SYNC };
		m.u.sync.count = n;
		m.u.sync.items = items;
		hs_peer_send(node, p, &m, now);
		node->stats.counter_syncs++;
	}
	free(items);
}

void hs_state_on_sync(struct hs_node *node, struct peer *p, const struct hs_msg_sync *sy,
                      uint64_t now)
{
	if (!hs_ratelimit_take(&p->pull_rl, 1, now)) {
		/* Ignored, not punished: a stalled link delivers its held syncs in one burst. */
		node->stats.repairs_refused++;
		return;
	}
	struct batch *b = batch_new();
	size_t sent = 0;
	for (size_t i = 0; b && i < node->state.norigins && sent < HS_SYNC_REPLY_MAX; i++) {
		const struct hs_state_origin *o = &node->state.origins[i];
		uint64_t g = 0, v = 0;
		bool known = hs_sync_find(sy, o->origin, &g, &v);
		if (known && !older(g, v, o->generation, o->version))
			continue;
		for (uint32_t s = o->head; s != UINT32_MAX && sent < HS_SYNC_REPLY_MAX;) {
			struct hs_state_slot *sl = &node->state.slots[s];
			s = sl->onext;
			/* Heartbeats are outside the digest (statestore.h): sent only in answer
			 * to a session's first sync (a joiner's catch-up), for origins it lists
			 * no data of; later ones reach it by push. */
			if (sl->heartbeat ? known || p->sync_answered
			                  : known && !older(g, v, sl->generation, sl->version))
				continue;
			batch_add(node, p, b, sl, now);
			sent++;
		}
	}
	if (b)
		batch_flush(node, p, b, now);
	free(b);
	p->sync_answered = true;
	send_counter_sync(node, p, sy, now);
}

/* ---- the public API -------------------------------------------------------------------------- */

int hs_state_write_own(struct hs_node *node, const char *key, uint8_t kind, const uint8_t *value,
                       size_t valuelen, uint8_t id[HS_ID_LEN], uint64_t now)
{
	size_t kl = key ? strlen(key) : 0;
	if (!hs_name_is_valid(key, kl, HS_STATE_KEY_MAX) || valuelen > HS_STATE_VALUE_MAX ||
	    (valuelen > 0 && !value))
		return HS_ERR_INVALID;
	struct hs_entry e = { .key = (const uint8_t *)key, .key_len = kl, .kind = kind };
	memcpy(e.origin, node->cfg.identity, HS_KEY_LEN);
	e.generation = node->cfg.generation;
	e.version = node->own_version + 1;
	e.value = kind == HS_ENTRY_VALUE ? value : NULL;
	e.value_len = kind == HS_ENTRY_VALUE ? valuelen : 0;
	size_t cap = hs_entry_encoded_len(&e), len;
	uint8_t *enc = malloc(cap);
	if (!enc)
		return HS_ERR_NOMEM;
	uint8_t digest[32], eid[HS_ID_LEN];
	int err = hs_entry_encode(&e, enc, cap, &len);
	if (!err) {
		hs_tag_hash(&node->tag_state, digest, enc, len - HS_SIG_LEN);
		err = node->caps.sign(node->caps.ctx, enc + len - HS_SIG_LEN, digest);
	}
	if (!err)
		err = hs_entry_decode(&e, enc, len);
	bool saved = false;
	if (!err) {
		hs_blake2b256(eid, enc, len);
		node->own_version++; /* even if the driver refuses it: a version is never reused */
		if (node->caps.save_own && !hs_entry_is_heartbeat(e.key, e.key_len)) {
			uint8_t k[HS_KEY_LEN + HS_STATE_KEY_MAX];
			memcpy(k, e.origin, HS_KEY_LEN);
			memcpy(k + HS_KEY_LEN, e.key, e.key_len);
			err = node->caps.save_own(node->caps.ctx, k, HS_KEY_LEN + e.key_len, enc,
			                          len);
			saved = true;
		}
	}
	if (!err) {
		if (merge(node, NULL, &e, enc, len, eid, true, saved, now) != HS_APPLY_NEWER)
			err = hs_statestore_get(&node->state, e.origin, e.key, e.key_len)
			              ? 0
			              : HS_ERR_FULL;
		if (id)
			memcpy(id, eid, HS_ID_LEN);
	}
	free(enc);
	return err;
}

/* An application key: a valid name outside hearsay's reserved prefix. */
static bool app_key(const char *key)
{
	return key && !hs_key_is_reserved(key, strlen(key));
}

int hs_node_set_state(struct hs_node *node, const char *key, const uint8_t *value, size_t valuelen,
                      uint8_t id[HS_ID_LEN], uint64_t now)
{
	if (!app_key(key))
		return HS_ERR_INVALID;
	int err = hs_state_write_own(node, key, HS_ENTRY_VALUE, value, valuelen, id, now);
	hs_gossip_flush(node, now);
	return err;
}

int hs_node_del_state(struct hs_node *node, const char *key, uint8_t id[HS_ID_LEN], uint64_t now)
{
	if (!app_key(key))
		return HS_ERR_INVALID;
	int err = hs_state_write_own(node, key, HS_ENTRY_TOMBSTONE, NULL, 0, id, now);
	hs_gossip_flush(node, now);
	return err;
}

void hs_state_push(struct hs_node *node, const uint8_t id[HS_ID_LEN], uint64_t now)
{
	struct hs_state_slot *sl = hs_statestore_by_id(&node->state, id);
	struct batch *b = sl ? batch_new() : NULL;
	if (!b)
		return;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		/* The knows bit is not asked: relay has just queued its inv to them all. */
		if (!p || p->state != PS_ACTIVE ||
		    hs_reputation_standing(node, p, now) != HS_STANDING_GOOD)
			continue;
		batch_add(node, p, b, sl, now);
		batch_flush(node, p, b, now);
	}
	free(b);
}

int hs_node_get_state(const struct hs_node *node, const uint8_t origin[HS_KEY_LEN], const char *key,
                      struct hs_entry *e)
{
	size_t kl = key ? strlen(key) : 0;
	const struct hs_state_slot *sl =
	        hs_statestore_get(&node->state, origin, (const uint8_t *)key, kl);
	if (!sl)
		return HS_ERR_NOT_FOUND;
	return hs_entry_decode(e, sl->enc, sl->enclen);
}

void hs_node_each_state(const struct hs_node *node, const uint8_t *origin,
                        void (*fn)(void *ctx, const struct hs_entry *e,
                                   const uint8_t id[HS_ID_LEN]),
                        void *ctx)
{
	for (size_t i = 0; i < node->state.cap; i++) {
		const struct hs_state_slot *sl = &node->state.slots[i];
		struct hs_entry e;
		if (!sl->enc || (origin && memcmp(sl->origin, origin, HS_KEY_LEN) != 0) ||
		    hs_entry_decode(&e, sl->enc, sl->enclen) != 0)
			continue;
		fn(ctx, &e, sl->id);
	}
}

int hs_node_load_state(struct hs_node *node, const uint8_t *enc, size_t enclen, uint64_t now)
{
	struct hs_entry e;
	int err = hs_entry_decode(&e, enc, enclen);
	if (err)
		return err;
	if (!hs_node_signed_by(node, &node->tag_state, e.origin, enc, enclen))
		return HS_ERR_BAD_SIG;
	uint8_t id[HS_ID_LEN];
	hs_blake2b256(id, enc, enclen);
	merge(node, NULL, &e, enc, enclen, id, false, false, now);
	return 0;
}

size_t hs_node_equivocations(const struct hs_node *node)
{
	return node->state.proofs_seen;
}

void hs_node_each_equivocation(const struct hs_node *node,
                               void (*fn)(void *ctx, const uint8_t *a, size_t alen,
                                          const uint8_t *b, size_t blen),
                               void *ctx)
{
	for (size_t i = 0; i < node->state.nproofs; i++) {
		const struct hs_equivocation *p = &node->state.proofs[i];
		fn(ctx, p->a, p->alen, p->b, p->blen);
	}
}

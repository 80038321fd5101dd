/*
 * Rumor dissemination: publish, the validation pipeline, inventory (inv / getdata / notfound),
 * eager push, and pull.
 *
 * The validation pipeline runs cheapest check first, so a flood costs the flooder more than
 * us: frame size and rate (peer.c) -> decode (peer.c) -> dedup by id -> time window -> topic ->
 * per-peer signature budget -> signature -> application validator -> store, deliver, relay.
 * A duplicate never reaches signature verification. Only provable faults are penalised.
 *
 * Relay: a new rumor is pushed whole to the eager_push peers with the lowest round-trip time
 * that do not have it (to all of them at its origin and at the origin's own peers), and
 * announced by id to every other peer that takes its topic and does not have it. A peer that
 * lacks an announced id asks the first announcer (reqsched.c).
 * Every few seconds a node sends one random peer a digest of the ids it holds (pull); the peer
 * answers with the rumors missing from it. That repairs whatever push missed and brings a
 * joining node up to date.
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
	struct hs_msg m = { .type = HS_MSG_RUMOR };
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

/* ---- relay ----------------------------------------------------------------------------- */

static uint64_t rtt_key(const struct peer *p)
{
	return p->rtt_ns ? p->rtt_ns : UINT64_MAX; /* unknown RTT sorts last */
}

/* Pushes r to the eager_push fastest peers lacking it; announces it to the rest. Near its
 * origin (we published it, or the origin itself sent it to us) a rumor is pushed to every peer
 * lacking it, unless eager push is off altogether.
 * Rationale: while few nodes hold a rumor, whole copies cost little (about degree^2 in all,
 * whatever the network size), and every hop taken by push instead of inv/getdata saves two
 * link latencies on every path through it. Measured by hearsay-sim (docs/SIM.md): 1,000 nodes,
 * p99 latency 2.17 -> 1.83 x the flood bound for 2.74 -> 2.86 payload copies per node. */
static void relay(struct hs_node *node, struct hs_stored_rumor *r, bool near_origin, uint64_t now)
{
	if (now > r->origin_ns && now - r->origin_ns > node->cfg.relay_age_ns)
		return; /* aged out: kept for pull and getdata, no longer announced */
	const uint8_t *topic = r->enc + r->topic_off;
	struct peer *want[HS_PEERS_MAX];
	size_t n = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (is_active(p) && !hs_knows(r, s) &&
		    hs_peer_takes_topic(node, p, topic, r->topic_len) &&
		    hs_reputation_standing(node, p, now) == HS_STANDING_GOOD)
			want[n++] = p;
	}
	/* Partial selection sort: the eager_push lowest-RTT peers first. */
	size_t eager = node->cfg.eager_push < n ? node->cfg.eager_push : n;
	if (near_origin && node->cfg.eager_push > 0)
		eager = n;
	for (size_t i = 0; i < eager; i++) {
		size_t best = i;
		for (size_t j = i + 1; j < n; j++)
			if (rtt_key(want[j]) < rtt_key(want[best]))
				best = j;
		struct peer *t = want[i];
		want[i] = want[best];
		want[best] = t;
		want[i]->eager = true;
		send_stored(node, want[i], r, now);
	}
	for (size_t i = eager; i < n; i++) {
		want[i]->eager = false;
		if (hs_itemq_push(&want[i]->invq, HS_INV_RUMOR, r->id))
			hs_knows_set(r, want[i]->slot);
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
static bool admissible(struct hs_node *node, const struct hs_rumor *rm, const uint8_t id[HS_ID_LEN],
                       uint64_t now)
{
	uint64_t t = rumor_ns(rm);
	if (t > now + node->cfg.clock_skew_ns)
		return false; /* from the future: ignored, it may be fine once our clocks agree */
	if (t + node->cfg.retention_ns < now)
		return false; /* older than we keep anything: a late copy, or a replay */
	if (!hs_node_takes_topic(node, rm->topic, rm->topic_len)) {
		remember(node, id, now); /* not ours: do not fetch it again */
		return false;
	}
	return true;
}

/* A new rumor passed every check: keep it, hand it to the application, pass it on. */
static void accept(struct hs_node *node, struct peer *from, const struct hs_rumor *rm,
                   const uint8_t id[HS_ID_LEN], const uint8_t *enc, size_t enclen, uint64_t now)
{
	uint64_t t = rumor_ns(rm);
	struct hs_stored_rumor *r;
	int err = hs_rumorstore_add(&node->store, &r, id, enc, enclen, (size_t)(rm->topic - enc),
	                            rm->topic_len, t, t + node->cfg.retention_ns, now);
	remember(node, id, now);
	if (err) {
		hs_node_log(node, HS_LOG_WARN, "rumor store: %s", hs_strerror(err));
		return;
	}
	if (from) {
		hs_knows_set(r, from->slot);
		hs_reputation_event(node, from, HS_SCORE_DELIVERED, now);
	}
	deliver(node, r, now);
	relay(node, r, !from || (from->has_id && memcmp(from->id, rm->origin, HS_KEY_LEN) == 0),
	      now);
}

static void ingest(struct hs_node *node, struct peer *p, const struct hs_msg_rumor *mr,
                   uint64_t now)
{
	const struct hs_rumor *rm = &mr->rumor;
	uint8_t id[HS_ID_LEN];
	hs_blake2b256(id, mr->enc, mr->enclen);
	node->stats.payload_copies_in++;
	struct hs_stored_rumor *have = hs_rumorstore_find(&node->store, id, now);
	if (have || hs_seen_has(&node->seen, id, now)) {
		node->stats.duplicates++;
		if (have)
			hs_knows_set(have, p->slot);
		hs_reqsched_received(node->reqs, id);
		return;
	}
	if (!admissible(node, rm, id, now))
		return;
	if (!hs_ratelimit_take(&p->verify_rl, 1, now)) {
		/* Not remembered: an honest peer may still deliver it. */
		hs_peer_fault(node, p, HS_FAULT_FLOOD, "over the signature-check budget", now);
		return;
	}
	if (!hs_node_signed_by(node, &node->tag_rumor, rm->origin, mr->enc, mr->enclen)) {
		remember(node, id, now);
		hs_peer_fault(node, p, HS_FAULT_BAD_SIG, "rumor with a bad signature", now);
		return;
	}
	enum hs_verdict v = HS_ACCEPT;
	if (node->caps.validate)
		v = node->caps.validate(node->caps.ctx, rm, id);
	if (v != HS_ACCEPT) {
		remember(node, id, now);
		if (v == HS_REJECT)
			hs_peer_fault(node, p, HS_FAULT_REJECTED,
			              "rumor rejected by the application", now);
		return;
	}
	accept(node, p, rm, id, mr->enc, mr->enclen, now);
}

/* ---- inventory ------------------------------------------------------------------------- */

static void on_inv(struct hs_node *node, struct peer *p, const struct hs_msg_inv *inv, uint64_t now)
{
	if (hs_reputation_standing(node, p, now) != HS_STANDING_GOOD)
		return; /* below the gossip threshold: we take nothing from it */
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
		                         now + node->cfg.lazy_request_delay_ns) != 0)
			node->stats.announcements_dropped++;
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
			hs_peer_fault(node, p, HS_FAULT_FLOOD, "getdata queue overflow", now);
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

/* Stored rumors with origin time >= since, newest arrival first; stops at the first whose
 * arrival proves every older one is older than since (arrival >= origin - skew). */
#define FOR_RECENT(node, i, r, since)                                                              \
	for (size_t i = 0; i < hs_rumorstore_count(&(node)->store); i++)                           \
		if (((r) = hs_rumorstore_newest(&(node)->store, i))->received_ns +                 \
		            (node)->cfg.clock_skew_ns <                                            \
		    (since))                                                                       \
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
	default:
		break;
	}
}

void hs_gossip_on_active(struct hs_node *node, struct peer *p, uint64_t now)
{
	/* Catch up from each new outbound peer on everything it still retains. */
	if (p->kind != CONN_INBOUND) {
		send_pull(node, p, now > node->cfg.retention_ns ? now - node->cfg.retention_ns : 0,
		          now);
		hs_state_send_sync(node, p, now);
	}
}

void hs_gossip_flush(struct hs_node *node, uint64_t now)
{
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
	}
	if (now >= node->next_pull_ns) {
		struct peer *p = random_active_peer(node);
		if (p) {
			send_pull(node, p,
			          now > node->cfg.relay_age_ns ? now - node->cfg.relay_age_ns : 0,
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
	rm.time_ms = now / HS_NS_PER_MS;
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
		accept(node, NULL, &rm, id, enc, len, now);
	}
	free(enc);
	return err;
}

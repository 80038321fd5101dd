/*
 * Topic coverage: a node that takes only some topics keeps enough sessions with peers that
 * take each of them, so that a peer taking fewer topics cannot cut it off.
 *
 * The problem: a rumor travels only between peers that both take its topic (gossip.c relays
 * to takers only), so in A - C - D, where C takes `blocks` and A and D take `tx`, D never
 * hears of A's `tx` rumors however healthy the rest of the overlay. The book cannot tell us
 * who takes what (records do not list topics); only a hello does.
 *
 * The rule (docs/PROTOCOL.md §9.5): a topic we take is *short* while fewer than
 * HS_TOPIC_PEERS_MIN active sessions (inbound or outbound, feelers and seeds aside) are with
 * peers that take it. While any topic is short the connect logic dials up to
 * HS_TOPIC_EXTRA_OUTBOUND_MAX outbound sessions beyond outbound_target, within peers_max.
 * While the node has more outbound sessions than outbound_target, an *extra* one (not among
 * the outbound_target oldest) that has been up for HS_TOPIC_TRY_S and is not *useful* (it
 * takes no topic we take that has at most HS_TOPIC_PEERS_MIN takers, so closing it leaves no
 * topic short that was not already) is closed, the youngest first, one per timer: while a
 * topic is short the dial that replaces it is another try at a peer that takes it, and once
 * none is short the extras that serve nothing we lack are gone. A node that takes every topic
 * needs none of this.
 *
 * Bounds: at most HS_TOPIC_EXTRA_OUTBOUND_MAX extra outbound sessions; only they are closed,
 * each after at least HS_TOPIC_TRY_S, so the churn while a topic stays short (nobody we can
 * reach takes it) is at most HS_TOPIC_EXTRA_OUTBOUND_MAX dials per HS_TOPIC_TRY_S. The node
 * never closes below outbound_target outbound sessions, nor closes a manual peer, a seed or
 * an inbound session. Cost: O(sessions x topics x log topics) per call (trim: plus
 * O(sessions^2) for the oldest-sessions rule, 16k steps at HS_PEERS_MAX), O(1) for a node
 * that takes every topic.
 *
 * Attacker model: a peer chooses the topics in its hello. Claiming every topic makes it count
 * for all of them, as any peer we take rumors from does (a withholder is handled by pull and
 * by request scheduling, not here); claiming none makes it a candidate for closing, which
 * costs it only the session it made useless. Outbound sessions are still ours to choose, so
 * the extra sessions go where our book sends them, not where a peer asks.
 */
#include "node_impl.h"

static bool counts(const struct peer *p)
{
	return p && p->state == PS_ACTIVE && p->kind != CONN_FEELER && p->kind != CONN_SEED;
}

/* Does p take the topic whose keyed hash is h? (p->topic_hash is sorted, under our key.) */
static bool takes(const struct peer *p, uint64_t h)
{
	size_t lo = 0, hi = p->ntopics;
	if (p->all_topics)
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->topic_hash[mid] == h)
			return true;
		if (p->topic_hash[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* n[t]: sessions that count and take our topic t (node->topic_hash[t]). */
static void takers(const struct hs_node *node, size_t n[HS_HELLO_TOPICS_MAX])
{
	for (size_t t = 0; t < node->cfg.ntopics; t++)
		n[t] = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		for (size_t t = 0; counts(node->peers[s]) && t < node->cfg.ntopics; t++)
			n[t] += takes(node->peers[s], node->topic_hash[t]);
}

static bool any_short(const struct hs_node *node)
{
	size_t n[HS_HELLO_TOPICS_MAX];
	if (node->cfg.all_topics)
		return false;
	takers(node, n);
	for (size_t t = 0; t < node->cfg.ntopics; t++)
		if (n[t] < HS_TOPIC_PEERS_MIN)
			return true;
	return false;
}

/* p takes a topic of ours that has at most HS_TOPIC_PEERS_MIN takers (n from takers()). */
static bool useful(const struct hs_node *node, const struct peer *p, const size_t *n)
{
	for (size_t t = 0; t < node->cfg.ntopics; t++)
		if (n[t] <= HS_TOPIC_PEERS_MIN && takes(p, node->topic_hash[t]))
			return true;
	return false;
}

static bool is_outbound(enum conn_kind k)
{
	return k == CONN_OUTBOUND || k == CONN_SEED; /* as connect.c counts outbound_target */
}

/* Outbound sessions and dials (connect.c's count), and live sessions with dials. */
static void tally(const struct hs_node *node, size_t *outbound, size_t *live)
{
	*outbound = *live = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		if (!p || p->state == PS_CLOSING)
			continue;
		*outbound += is_outbound(p->kind);
		++*live;
	}
	for (size_t i = 0; i < node->ndials; i++)
		*outbound += is_outbound(node->dials[i].kind);
	*live += node->ndials;
}

size_t hs_topics_extra_outbound(const struct hs_node *node)
{
	if (!any_short(node))
		return 0;
	size_t outbound, live;
	tally(node, &outbound, &live);
	size_t have =
	        outbound > node->cfg.outbound_target ? outbound - node->cfg.outbound_target : 0;
	size_t room = node->cfg.peers_max > live ? node->cfg.peers_max - live : 0;
	size_t want = have + room;
	return want < HS_TOPIC_EXTRA_OUTBOUND_MAX ? want : HS_TOPIC_EXTRA_OUTBOUND_MAX;
}

bool hs_topics_useful(const struct hs_node *node, const struct peer *p)
{
	size_t n[HS_HELLO_TOPICS_MAX];
	if (node->cfg.all_topics || !counts(p))
		return false;
	takers(node, n);
	return useful(node, p, n);
}

/* True if p is one of the outbound_target oldest outbound sessions: those are never closed
 * here, so only the extra slots churn. */
static bool is_base(const struct hs_node *node, const struct peer *p)
{
	size_t older = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *q = node->peers[s];
		if (q && q != p && q->state != PS_CLOSING && is_outbound(q->kind) &&
		    (q->opened_ns < p->opened_ns || (q->opened_ns == p->opened_ns && s < p->slot)))
			older++;
	}
	return older < node->cfg.outbound_target;
}

void hs_topics_trim(struct hs_node *node, uint64_t now)
{
	if (node->cfg.all_topics || node->shutting_down)
		return;
	size_t outbound, live;
	tally(node, &outbound, &live);
	if (outbound <= node->cfg.outbound_target)
		return;
	size_t n[HS_HELLO_TOPICS_MAX];
	takers(node, n);
	struct peer *victim = NULL;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (!counts(p) || p->kind != CONN_OUTBOUND ||
		    now < p->opened_ns + (uint64_t)HS_TOPIC_TRY_S * HS_NS_PER_S ||
		    useful(node, p, n) || is_base(node, p))
			continue;
		if (!victim || p->opened_ns > victim->opened_ns)
			victim = p;
	}
	if (!victim)
		return;
	node->stats.topic_closes++;
	hs_peer_close(node, victim, HS_REASON_EVICTED, "takes no topic we are short of", now);
}

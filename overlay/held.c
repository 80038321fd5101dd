/*
 * Rumors held for an asynchronous verdict.
 *
 * caps.validate is synchronous; an application that judges rumors elsewhere (hearsayd's
 * external validators) answers HS_PENDING, and the node keeps a copy of the signature-checked
 * rumor here until hs_node_verdict gives the verdict or validate_timeout passes, which gives
 * validate_default. Then the rumor goes on exactly as if caps.validate had said it at once
 * (hs_gossip_judged): store, deliver and relay, or drop with the charge the verdict names.
 *
 * Invariants: nheld counts the places whose enc is set; at most HS_VALIDATE_HELD_MAX places,
 * at most HS_VALIDATE_HELD_PER_TOPIC_MAX per topic; no id is held twice, and a held id is
 * never in the store. A held rumor's id is also in the seen cache, so nobody fetches it again
 * meanwhile; a copy that arrives anyway is a duplicate.
 *
 * Attacker model: a peer chooses which rumors arrive and when, so it can fill the hold; a full
 * hold (node-wide or the topic's) gives the newcomer the default verdict at once, counted
 * (validate_overflows), and never displaces a rumor already held. The validator is the
 * application's: a verdict for an unknown id, or a second one, is refused and changes nothing.
 * Lookups are linear over at most HS_VALIDATE_HELD_MAX places, and only while one is used.
 */
#include <stdlib.h>
#include <string.h>

#include "node_impl.h"

static struct held_rumor *find(struct hs_node *node, const uint8_t id[HS_ID_LEN])
{
	if (node->nheld == 0)
		return NULL;
	for (size_t i = 0; i < HS_VALIDATE_HELD_MAX; i++) {
		struct held_rumor *h = &node->held[i];
		if (h->enc && memcmp(h->id, id, HS_ID_LEN) == 0)
			return h;
	}
	return NULL;
}

bool hs_held_has(const struct hs_node *node, const uint8_t id[HS_ID_LEN])
{
	return find((struct hs_node *)node, id) != NULL;
}

static bool same_topic(const struct held_rumor *h, const uint8_t *topic, size_t topic_len)
{
	return h->topic_len == topic_len && memcmp(h->enc + h->topic_off, topic, topic_len) == 0;
}

/* A free place for a rumor on rm's topic, or NULL when the hold or the topic's share is full. */
static struct held_rumor *place_for(struct hs_node *node, const struct hs_rumor *rm)
{
	if (node->nheld >= HS_VALIDATE_HELD_MAX)
		return NULL;
	struct held_rumor *free_place = NULL;
	size_t on_topic = 0;
	for (size_t i = 0; i < HS_VALIDATE_HELD_MAX; i++) {
		struct held_rumor *h = &node->held[i];
		if (!h->enc) {
			if (!free_place)
				free_place = h;
		} else if (same_topic(h, rm->topic, rm->topic_len) &&
		           ++on_topic >= HS_VALIDATE_HELD_PER_TOPIC_MAX) {
			return NULL;
		}
	}
	return free_place;
}

static struct peer *peer_by_handle(struct hs_node *node, uint64_t handle)
{
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (p && p->handle == handle)
			return p->state == PS_ACTIVE ? p : NULL;
	}
	return NULL;
}

/* Frees the place and applies v to its rumor. */
static void release(struct hs_node *node, struct held_rumor *h, enum hs_verdict v, uint64_t now)
{
	struct held_rumor copy = *h;
	memset(h, 0, sizeof(*h));
	node->nheld--;
	struct hs_rumor rm;
	if (hs_rumor_decode(&rm, copy.enc, copy.enclen) == 0) /* it decoded when it came */
		hs_gossip_judged(node, peer_by_handle(node, copy.from), copy.asked, &rm, copy.id,
		                 copy.enc, copy.enclen, v, now);
	free(copy.enc);
}

void hs_held_park(struct hs_node *node, struct peer *from, bool asked, const struct hs_rumor *rm,
                  const uint8_t id[HS_ID_LEN], const uint8_t *enc, size_t enclen, uint64_t now)
{
	hs_held_timer(node, now); /* places whose deadline has come are free again */
	struct held_rumor *h = place_for(node, rm);
	uint8_t *copy = h ? malloc(enclen) : NULL;
	if (!copy) {
		node->stats.validate_overflows++;
		hs_gossip_judged(node, from, asked, rm, id, enc, enclen, node->cfg.validate_default,
		                 now);
		return;
	}
	memcpy(copy, enc, enclen);
	memcpy(h->id, id, HS_ID_LEN);
	h->enc = copy;
	h->enclen = enclen;
	h->topic_off = (size_t)(rm->topic - enc);
	h->topic_len = rm->topic_len;
	h->from = from ? from->handle : 0;
	h->asked = asked;
	h->deadline_ns = now + node->cfg.validate_timeout_ns;
	node->nheld++;
	node->stats.validate_held++;
	/* Remembered now, so neither an announcement nor a pull fetches it again meanwhile; the
	 * verdict remembers it again (or stores it) when it comes. */
	uint64_t ttl = node->cfg.retention_ns + node->cfg.clock_skew_ns + 1;
	if (hs_seen_add(&node->seen, id, now + ttl, now) != 0)
		hs_node_log(node, HS_LOG_WARN, "seen cache: cannot remember an id");
	hs_reqsched_received(node->reqs, id);
}

void hs_held_timer(struct hs_node *node, uint64_t now)
{
	for (size_t i = 0; i < HS_VALIDATE_HELD_MAX && node->nheld > 0; i++) {
		struct held_rumor *h = &node->held[i];
		if (h->enc && h->deadline_ns <= now) {
			node->stats.validate_timeouts++;
			release(node, h, node->cfg.validate_default, now);
		}
	}
}

uint64_t hs_held_deadline(const struct hs_node *node)
{
	uint64_t d = UINT64_MAX;
	for (size_t i = 0; i < HS_VALIDATE_HELD_MAX && node->nheld > 0; i++)
		if (node->held[i].enc && node->held[i].deadline_ns < d)
			d = node->held[i].deadline_ns;
	return d;
}

bool hs_held_check(const struct hs_node *node)
{
	size_t n = 0;
	for (size_t i = 0; i < HS_VALIDATE_HELD_MAX; i++) {
		const struct held_rumor *h = &node->held[i];
		if (!h->enc)
			continue;
		n++;
		if (h->topic_off + h->topic_len > h->enclen ||
		    hs_idring_find(&node->store.ring, h->id))
			return false;
		size_t on_topic = 0;
		for (size_t j = 0; j < HS_VALIDATE_HELD_MAX; j++) {
			const struct held_rumor *o = &node->held[j];
			if (!o->enc)
				continue;
			if (j != i && memcmp(o->id, h->id, HS_ID_LEN) == 0)
				return false;
			on_topic += same_topic(o, h->enc + h->topic_off, h->topic_len);
		}
		if (on_topic > HS_VALIDATE_HELD_PER_TOPIC_MAX)
			return false;
	}
	return n == node->nheld && n <= HS_VALIDATE_HELD_MAX;
}

void hs_held_free(struct hs_node *node)
{
	for (size_t i = 0; i < HS_VALIDATE_HELD_MAX; i++) {
		free(node->held[i].enc);
		node->held[i].enc = NULL;
	}
	node->nheld = 0;
}

size_t hs_node_held(const struct hs_node *node)
{
	return node->nheld;
}

int hs_node_verdict(struct hs_node *node, const uint8_t id[HS_ID_LEN], enum hs_verdict verdict,
                    uint64_t now)
{
	if (verdict != HS_ACCEPT && verdict != HS_REJECT && verdict != HS_IGNORE &&
	    verdict != HS_REJECT_ORIGIN)
		return HS_ERR_INVALID;
	struct held_rumor *h = find(node, id);
	if (!h)
		return HS_ERR_NOT_FOUND;
	release(node, h, verdict, now);
	hs_gossip_flush(node, now);
	hs_connect_book_sync(node);
	node->stats_now_ns = now;
	return 0;
}

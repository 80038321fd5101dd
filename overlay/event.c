/*
 * The node's event queue: a ring of events for the driver to poll.
 *
 * Never lossy by design: peer input, the one input the driver does not control, stops at
 * HS_EVENTS_MAX - HS_EVENTS_PER_FRAME_MAX queued events (peer.c), and every other input
 * causes a bounded number of events, which the pump drains after it. So the queue stays under
 * HS_EVENTS_MAX plus one input's worth while the driver follows the pump; only a failed
 * allocation loses an event (events_dropped, which hs_node_check requires to be 0).
 */
#include <stdlib.h>
#include <string.h>

#include "node_impl.h"

void hs_event_push(struct hs_node *node, const struct hs_event *ev, uint8_t *owned)
{
	if (node->ev_count == node->ev_cap) {
		size_t ncap = node->ev_cap ? node->ev_cap * 2 : 16;
		struct queued_event *n = malloc(ncap * sizeof(*n));
		if (!n) {
			/* Out of memory: the one way an event can be lost. Counted, and
			 * hs_node_check reports it. */
			node->events_dropped++;
			hs_node_log(node, HS_LOG_ERROR, "out of memory: an event was lost");
			free(owned);
			return;
		}
		for (size_t i = 0; i < node->ev_count; i++)
			n[i] = node->events[(node->ev_head + i) % node->ev_cap];
		free(node->events);
		node->events = n;
		node->ev_cap = ncap;
		node->ev_head = 0;
	}
	struct queued_event *q = &node->events[(node->ev_head + node->ev_count) % node->ev_cap];
	q->ev = *ev;
	q->owned = owned;
	node->ev_count++;
}

bool hs_node_poll_event(struct hs_node *node, struct hs_event *ev)
{
	free(node->ev_last_owned);
	node->ev_last_owned = NULL;
	if (node->ev_count == 0)
		return false;
	struct queued_event *q = &node->events[node->ev_head];
	*ev = q->ev;
	node->ev_last_owned = q->owned;
	node->ev_head = (node->ev_head + 1) % node->ev_cap;
	node->ev_count--;
	return true;
}

void hs_event_queue_free(struct hs_node *node)
{
	free(node->ev_last_owned);
	node->ev_last_owned = NULL;
	for (size_t i = 0; i < node->ev_count; i++)
		free(node->events[(node->ev_head + i) % node->ev_cap].owned);
	free(node->events);
	node->events = NULL;
	node->ev_count = node->ev_cap = node->ev_head = 0;
}

void hs_event_save_why(struct hs_node *node, enum hs_save_kind kind, const uint8_t *key1,
                       size_t key1len, const uint8_t *key2, size_t key2len, const uint8_t *value,
                       size_t valuelen, const char *why)
{
	size_t keylen = key1len + key2len, whylen = why ? strlen(why) + 1 : 0;
	uint8_t *buf = malloc(keylen + valuelen + whylen + 1);
	if (!buf) {
		node->events_dropped++;
		hs_node_log(node, HS_LOG_ERROR, "out of memory: a record to save was lost");
		return;
	}
	memcpy(buf, key1, key1len);
	if (key2len)
		memcpy(buf + key1len, key2, key2len);
	if (valuelen)
		memcpy(buf + keylen, value, valuelen);
	if (whylen)
		memcpy(buf + keylen + valuelen, why, whylen);
	struct hs_event ev = { .type = HS_EV_SAVE, .save_kind = kind };
	ev.key = buf;
	ev.keylen = keylen;
	ev.value = value ? buf + keylen : NULL;
	ev.valuelen = valuelen;
	ev.text = why ? (const char *)buf + keylen + valuelen : NULL;
	hs_event_push(node, &ev, buf);
}

void hs_event_save(struct hs_node *node, enum hs_save_kind kind, const uint8_t *key1,
                   size_t key1len, const uint8_t *key2, size_t key2len, const uint8_t *value,
                   size_t valuelen)
{
	hs_event_save_why(node, kind, key1, key1len, key2, key2len, value, valuelen, NULL);
}

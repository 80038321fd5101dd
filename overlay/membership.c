/*
 * Membership: our signed heartbeat, the members table fed by everyone's, member events.
 *
 * A heartbeat is one of our state entries (key HS_HEARTBEAT_KEY, value: signing time and
 * interval), re-signed every heartbeat_interval and spread like any entry; anti-entropy leaves
 * it out of digests (statestore.h). A heartbeat is news of liveness only while it is fresh:
 * signed no longer ago than its origin's dead timeout and not from beyond our clock-skew
 * window. Older ones (brought by a sync from a node that kept a dead member's entry) update the
 * table's counters but never make a member alive. The table (members.h) judges each member
 * from the progress of its heartbeat as we see it, on our clock.
 */
#include <string.h>

#include "node_impl.h"

/* The table is aged this often: the resolution of suspect and dead times. */
#define AGE_PERIOD_NS (HS_NS_PER_S / 2)

void hs_membership_init(struct hs_node *node, uint64_t now)
{
	hs_members_init(&node->members, node->secret, node->cfg.identity, HS_MEMBERS_MAX);
	node->next_heartbeat_ns = node->cfg.heartbeat_interval_ns ? now : UINT64_MAX;
	node->next_age_ns = now + AGE_PERIOD_NS;
}

static void addr_of(const struct hs_node *node, const uint8_t id[HS_KEY_LEN],
                    struct hs_netaddr *addr)
{
	memset(addr, 0, sizeof(*addr));
	const struct hs_book_entry *b = hs_addrbook_find(&node->book, id);
	if (b && b->rec.naddrs > 0) {
		*addr = b->rec.addrs[0];
		return;
	}
	const struct peer *p = hs_node_peer_by_id(node, id, NULL);
	if (p)
		*addr = p->addr;
	else if (memcmp(id, node->cfg.identity, HS_KEY_LEN) == 0 && node->cfg.naddrs > 0)
		*addr = node->cfg.addrs[0];
}

static void report(struct hs_node *node, const struct hs_member *m, enum hs_member_change c)
{
	struct hs_event ev = { .type = HS_EV_MEMBER, .change = (uint8_t)c, .member = *m };
	memcpy(ev.id, m->id, HS_KEY_LEN);
	addr_of(node, m->id, &ev.addr);
	hs_event_push(node, &ev, NULL);
}

static void on_change(void *ctx, const struct hs_member *m, enum hs_member_change c)
{
	struct hs_node *node = ctx;
	/* Debug only: the driver logs the event (HS_EV_MEMBER) with what it knows besides. */
	hs_node_log(node, HS_LOG_DEBUG, "member %02x%02x%02x%02x %s", m->id[0], m->id[1], m->id[2],
	            m->id[3], c == HS_MEMBER_SUSPECTED ? "is suspect" : "is dead");
	report(node, m, c);
}

static uint64_t clamp_interval(uint32_t ms)
{
	if (ms < HS_HEARTBEAT_INTERVAL_MIN_MS)
		ms = HS_HEARTBEAT_INTERVAL_MIN_MS;
	if (ms > HS_HEARTBEAT_INTERVAL_MAX_MS)
		ms = HS_HEARTBEAT_INTERVAL_MAX_MS;
	return ms * HS_NS_PER_MS;
}

void hs_membership_on_entry(struct hs_node *node, const struct hs_entry *e, uint64_t now)
{
	if (!hs_entry_is_heartbeat(e->key, e->key_len)) {
		const struct hs_member *m = hs_members_get(&node->members, e->origin);
		if (m && m->status != HS_MEMBER_LEFT)
			report(node, m, HS_MEMBER_UPDATED);
		return;
	}
	bool left = e->kind == HS_ENTRY_TOMBSTONE;
	uint64_t time_ms = 0, interval_ns = 0;
	bool fresh = false;
	if (!left) {
		uint32_t iv;
		if (hs_heartbeat_decode(e->value, e->value_len, &time_ms, &iv) != 0) {
			node->stats.heartbeats_malformed++;
			return;
		}
		interval_ns = clamp_interval(iv);
		uint64_t wall_ms = hs_node_wall(node, now) / HS_NS_PER_MS;
		uint64_t dead_ms = node->cfg.dead_heartbeats * interval_ns / HS_NS_PER_MS;
		uint64_t skew_ms = node->cfg.clock_skew_ns / HS_NS_PER_MS;
		fresh = time_ms + dead_ms >= wall_ms && time_ms <= wall_ms + skew_ms;
	}
	const struct hs_member *m;
	enum hs_member_change c = hs_members_heard(&node->members, e->origin, e->generation,
	                                           e->version, left, fresh, interval_ns, now, &m);
	if (c != HS_MEMBER_NONE && m)
		report(node, m, c);
}

static void heartbeat(struct hs_node *node, uint64_t now)
{
	uint8_t v[HS_HEARTBEAT_VALUE_LEN];
	uint64_t iv_ms = node->cfg.heartbeat_interval_ns / HS_NS_PER_MS;
	hs_heartbeat_value(v, hs_node_wall(node, now) / HS_NS_PER_MS, (uint32_t)iv_ms);
	int err =
	        hs_state_write_own(node, HS_HEARTBEAT_KEY, HS_ENTRY_VALUE, v, sizeof(v), NULL, now);
	if (err)
		hs_node_log(node, HS_LOG_WARN, "heartbeat: %s", hs_strerror(err));
	else
		node->stats.heartbeats_sent++;
}

void hs_membership_timer(struct hs_node *node, uint64_t now)
{
	if (now >= node->next_heartbeat_ns && !node->left && !node->shutting_down) {
		heartbeat(node, now);
		node->next_heartbeat_ns = now + node->cfg.heartbeat_interval_ns;
	}
	if (now >= node->next_age_ns) {
		uint64_t before = node->members.reaped;
		hs_members_age(&node->members, now, node->cfg.suspect_heartbeats,
		               node->cfg.dead_heartbeats, node->cfg.member_reap_ns, on_change,
		               node);
		node->stats.members_reaped += node->members.reaped - before;
		node->next_age_ns = now + AGE_PERIOD_NS;
	}
	node->stats.members_evicted = node->members.evicted;
}

uint64_t hs_membership_deadline(const struct hs_node *node)
{
	uint64_t h = node->left ? UINT64_MAX : node->next_heartbeat_ns;
	return h < node->next_age_ns ? h : node->next_age_ns;
}

void hs_membership_leave(struct hs_node *node, uint64_t now)
{
	if (node->left || node->cfg.heartbeat_interval_ns == 0)
		return;
	uint8_t id[HS_ID_LEN];
	int err = hs_state_write_own(node, HS_HEARTBEAT_KEY, HS_ENTRY_TOMBSTONE, NULL, 0, id, now);
	if (err) {
		hs_node_log(node, HS_LOG_WARN, "leave: %s", hs_strerror(err));
		return;
	}
	node->left = true;
	hs_state_push(node, id, now);
}

int hs_node_leave(struct hs_node *node, uint64_t now)
{
	if (node->cfg.heartbeat_interval_ns == 0)
		return HS_ERR_INVALID; /* we never joined anyone's member list */
	if (node->left)
		return HS_ERR_EXISTS;
	hs_membership_leave(node, now);
	hs_gossip_flush(node, now);
	return node->left ? 0 : HS_ERR_NOMEM;
}

size_t hs_node_members(const struct hs_node *node, struct hs_member_info *out, size_t max)
{
	const struct hs_members *t = &node->members;
	for (size_t i = 0; i < t->count && i < max; i++) {
		out[i].m = t->m[i];
		addr_of(node, t->m[i].id, &out[i].addr);
	}
	return t->count;
}

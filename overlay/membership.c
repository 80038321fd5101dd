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
 *
 * Faster than the heartbeat timeout, for a neighbour: a session that ends without a
 * disconnect from either side (a crash, a cut link) is probed with one dial; if that fails,
 * we accuse the node in our signed suspects list (hs.suspects), which spreads like any entry.
 * A member accused of its current heartbeat from HS_SUSPECT_GROUPS_MIN network groups is
 * suspect, and dead after a suspicion timeout that shrinks with more groups (members.h). The
 * accused, if alive, refutes by signing a fresh heartbeat at once: every accusation of an
 * older heartbeat is void, so liars can make a live node suspect for a round trip, never
 * dead, unless they also withhold its every heartbeat from us (SWIM's suspicion with
 * Lifeguard's dynamic timeout; the accusation is signed by its accuser).
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

static void on_suspects(struct hs_node *node, const struct hs_entry *e, uint64_t now);

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
	if (hs_entry_is_suspects(e->key, e->key_len)) {
		on_suspects(node, e, now);
		return;
	}
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

static void heartbeat(struct hs_node *node, uint64_t now);

/* ---- accusations ------------------------------------------------------------------------ */

/* The network group an identity's record claims (false when we hold none, nor a session). */
static bool group_of(const struct hs_node *node, const uint8_t id[HS_KEY_LEN], uint8_t group[8])
{
	struct hs_netaddr a;
	addr_of(node, id, &a);
	if (a.family == 0)
		return false;
	hs_netaddr_group(&a, group);
	return true;
}

/* Signs our suspects list as it is now. */
static void sign_suspects(struct hs_node *node, uint64_t now)
{
	uint8_t v[HS_SUSPECTS_VALUE_MAX];
	size_t len = hs_suspects_encode(node->suspects, node->nsuspects, v);
	int err = len ? hs_state_write_own(node, HS_SUSPECTS_KEY, HS_ENTRY_VALUE, v, len, NULL, now)
	              : HS_ERR_INVALID;
	if (err)
		hs_node_log(node, HS_LOG_WARN, "suspects: %s", hs_strerror(err));
}

void hs_membership_lost(struct hs_node *node, const struct peer *p, uint64_t now)
{
	const struct hs_member *m = hs_members_get(&node->members, p->id);
	if (node->cfg.heartbeat_interval_ns == 0 || node->shutting_down || !m ||
	    (m->status != HS_MEMBER_ALIVE && m->status != HS_MEMBER_SUSPECT) ||
	    p->rec.naddrs == 0 || hs_node_peer_by_id(node, p->id, p))
		return;
	hs_connect_probe(node, &p->rec.addrs[0], p->id, now);
}

void hs_membership_probe_failed(struct hs_node *node, const uint8_t id[HS_KEY_LEN], uint64_t now)
{
	const struct hs_member *m = hs_members_get(&node->members, id);
	if (node->cfg.heartbeat_interval_ns == 0 || !m ||
	    (m->status != HS_MEMBER_ALIVE && m->status != HS_MEMBER_SUSPECT))
		return;
	size_t i = 0;
	while (i < node->nsuspects && memcmp(node->suspects[i].id, id, HS_KEY_LEN) < 0)
		i++;
	bool have = i < node->nsuspects && memcmp(node->suspects[i].id, id, HS_KEY_LEN) == 0;
	if (!have) {
		if (node->nsuspects == HS_SUSPECTS_MAX)
			return; /* the heartbeat timeout still judges it */
		memmove(&node->suspects[i + 1], &node->suspects[i],
		        (node->nsuspects - i) * sizeof(node->suspects[0]));
		node->nsuspects++;
		memcpy(node->suspects[i].id, id, HS_KEY_LEN);
	} else if (node->suspects[i].generation == m->generation &&
	           node->suspects[i].heartbeat == m->heartbeat) {
		return; /* accused already, of this very heartbeat */
	}
	node->suspects[i].generation = m->generation;
	node->suspects[i].heartbeat = m->heartbeat;
	node->stats.accusations++;
	hs_node_log(node, HS_LOG_INFO, "member %02x%02x%02x%02x unreachable: accused", id[0], id[1],
	            id[2], id[3]);
	sign_suspects(node, now); /* merging it applies our own accusation too */
}

/* Drops from our list every member no longer worth accusing: refuted by a newer heartbeat
 * (or a restart), left, forgotten, or dead for long enough that every node's heartbeat timeout
 * has judged it too. Rationale: withdrawn the moment we declare it dead, our accusation would
 * leave the nodes a round trip behind us one confirmation short. */
static void prune_suspects(struct hs_node *node, uint64_t now)
{
	size_t kept = 0;
	for (size_t i = 0; i < node->nsuspects; i++) {
		const struct hs_suspect *s = &node->suspects[i];
		const struct hs_member *m = hs_members_get(&node->members, s->id);
		bool keep = m && m->status != HS_MEMBER_LEFT && m->generation == s->generation &&
		            m->heartbeat == s->heartbeat &&
		            (m->status != HS_MEMBER_DEAD ||
		             now - m->status_ns < node->cfg.dead_heartbeats * m->interval_ns);
		if (keep)
			node->suspects[kept++] = *s;
	}
	if (kept == node->nsuspects)
		return;
	node->nsuspects = kept;
	sign_suspects(node, now);
}

/* Another node's (or our own) suspects list was merged. */
static void on_suspects(struct hs_node *node, const struct hs_entry *e, uint64_t now)
{
	struct hs_suspect list[HS_SUSPECTS_MAX];
	size_t n = 0;
	if (e->kind != HS_ENTRY_VALUE ||
	    hs_suspects_decode(e->value, e->value_len, list, &n) != 0) {
		node->stats.heartbeats_malformed++;
		return;
	}
	uint8_t ids[HS_SUSPECTS_MAX][HS_KEY_LEN];
	for (size_t i = 0; i < n; i++)
		memcpy(ids[i], list[i].id, HS_KEY_LEN);
	hs_members_withdraw(&node->members, e->origin, (const uint8_t(*)[HS_KEY_LEN])ids, n);
	/* Rationale: an accuser we hold no record of, nor a session with, cannot be placed in a
	 * network group; all such accusers share one pseudo-group (family 0xff, which no address
	 * has), so together they count as one confirmation. */
	uint8_t group[8];
	if (!group_of(node, e->origin, group))
		memset(group, 0xff, sizeof(group));
	for (size_t i = 0; i < n; i++) {
		const struct hs_suspect *s = &list[i];
		if (memcmp(s->id, node->cfg.identity, HS_KEY_LEN) == 0) {
			/* Accused of our current heartbeat: refute it with a fresh one, at once
			 * (at most once per HS_REFUTE_MIN_MS). */
			if (node->cfg.heartbeat_interval_ns && !node->left &&
			    s->generation == node->cfg.generation &&
			    s->heartbeat >= node->own_heartbeat &&
			    now >= node->last_refute_ns + HS_REFUTE_MIN_MS * HS_NS_PER_MS) {
				node->last_refute_ns = now;
				node->stats.refutations++;
				heartbeat(node, now);
				node->next_heartbeat_ns = now + node->cfg.heartbeat_interval_ns;
			}
			continue;
		}
		const struct hs_member *m;
		enum hs_member_change c = hs_members_accuse(&node->members, s->id, e->origin, group,
		                                            s->generation, s->heartbeat, now, &m);
		if (c != HS_MEMBER_NONE && m) {
			on_change(node, m, c);
		}
	}
}

static void heartbeat(struct hs_node *node, uint64_t now)
{
	uint8_t v[HS_HEARTBEAT_VALUE_LEN];
	uint64_t iv_ms = node->cfg.heartbeat_interval_ns / HS_NS_PER_MS;
	hs_heartbeat_value(v, hs_node_wall(node, now) / HS_NS_PER_MS, (uint32_t)iv_ms);
	int err =
	        hs_state_write_own(node, HS_HEARTBEAT_KEY, HS_ENTRY_VALUE, v, sizeof(v), NULL, now);
	if (err) {
		hs_node_log(node, HS_LOG_WARN, "heartbeat: %s", hs_strerror(err));
		return;
	}
	node->stats.heartbeats_sent++;
	node->own_heartbeat = node->own_version; /* the version it was signed with */
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
		prune_suspects(node, now);
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

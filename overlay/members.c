/*
 * The members table (overlay/members.h): a bounded array indexed by a keyed id map.
 */
#include "members.h"

#include <stdlib.h>
#include <string.h>

void hs_members_init(struct hs_members *t, const uint8_t secret[16], const uint8_t self[HS_KEY_LEN],
                     size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max < HS_MEMBERS_MAX ? max : HS_MEMBERS_MAX;
	memcpy(t->self, self, HS_KEY_LEN);
	hs_idmap_init(&t->by_id, secret, t->max);
}

void hs_members_deinit(struct hs_members *t)
{
	hs_idmap_deinit(&t->by_id);
	free(t->m);
	memset(t, 0, sizeof(*t));
}

static bool newer(uint64_t g1, uint64_t v1, uint64_t g2, uint64_t v2)
{
	return g1 > g2 || (g1 == g2 && v1 > v2);
}

static void drop(struct hs_members *t, size_t i)
{
	hs_idmap_del(&t->by_id, t->m[i].id);
	size_t last = --t->count;
	if (i != last) {
		t->m[i] = t->m[last];
		*hs_idmap_get(&t->by_id, t->m[i].id) = (uint32_t)i;
	}
}

/* Eviction order (members.h): left, dead, suspect, then alive; the oldest change first. */
static bool worse(const struct hs_member *a, const struct hs_member *b)
{
	static const int rank[] = { [HS_MEMBER_LEFT] = 0,
		                    [HS_MEMBER_DEAD] = 1,
		                    [HS_MEMBER_SUSPECT] = 2,
		                    [HS_MEMBER_ALIVE] = 3 };
	if (rank[a->status] != rank[b->status])
		return rank[a->status] < rank[b->status];
	uint64_t ta = a->status == HS_MEMBER_ALIVE ? a->last_seen_ns : a->status_ns;
	uint64_t tb = b->status == HS_MEMBER_ALIVE ? b->last_seen_ns : b->status_ns;
	return ta < tb;
}

static bool make_room(struct hs_members *t)
{
	if (t->count < t->max) {
		if (t->count < t->cap)
			return true;
		size_t cap = t->cap ? t->cap * 2 : 64;
		if (cap > t->max)
			cap = t->max;
		struct hs_member *m = realloc(t->m, cap * sizeof(*m));
		if (!m)
			return false;
		t->m = m;
		t->cap = cap;
		return true;
	}
	size_t w = SIZE_MAX;
	for (size_t i = 0; i < t->count; i++)
		if (memcmp(t->m[i].id, t->self, HS_KEY_LEN) != 0 &&
		    (w == SIZE_MAX || worse(&t->m[i], &t->m[w])))
			w = i;
	if (w == SIZE_MAX)
		return false;
	drop(t, w);
	t->evicted++;
	return true;
}

static struct hs_member *find(const struct hs_members *t, const uint8_t id[HS_KEY_LEN])
{
	uint32_t *i = hs_idmap_get(&t->by_id, id);
	return i ? &t->m[*i] : NULL;
}

enum hs_member_change hs_members_heard(struct hs_members *t, const uint8_t id[HS_KEY_LEN],
                                       uint64_t generation, uint64_t version, bool left, bool fresh,
                                       uint64_t interval_ns, uint64_t now,
                                       const struct hs_member **member)
{
	if (member)
		*member = NULL;
	struct hs_member *m = find(t, id);
	if (!m) {
		/* Stale news and leaves of nodes we never saw alive are not members. */
		if (left || !fresh || !make_room(t))
			return HS_MEMBER_NONE;
		m = &t->m[t->count];
		if (hs_idmap_put(&t->by_id, id, (uint32_t)t->count) != 0)
			return HS_MEMBER_NONE;
		t->count++;
		memset(m, 0, sizeof(*m));
		memcpy(m->id, id, HS_KEY_LEN);
		m->generation = generation;
		m->heartbeat = version;
		m->interval_ns = interval_ns;
		m->first_seen_ns = m->last_seen_ns = m->status_ns = now;
		m->status = HS_MEMBER_ALIVE;
		if (member)
			*member = m;
		return HS_MEMBER_JOINED;
	}
	if (member)
		*member = m;
	if (!newer(generation, version, m->generation, m->heartbeat))
		return HS_MEMBER_NONE;
	bool restarted = generation > m->generation;
	m->generation = generation;
	m->heartbeat = version;
	if (restarted || left) {
		m->naccusers = 0;
		m->accused_ns = 0;
	}
	if (left) {
		if (m->status == HS_MEMBER_LEFT)
			return HS_MEMBER_NONE;
		m->status = HS_MEMBER_LEFT;
		m->status_ns = now;
		return HS_MEMBER_DEPARTED;
	}
	if (!fresh) {
		/* An old heartbeat of a newer generation: it did not leave, but nothing says it
		 * lives now. */
		if (restarted && m->status == HS_MEMBER_LEFT) {
			m->status = HS_MEMBER_DEAD;
			m->status_ns = now;
		}
		return HS_MEMBER_NONE;
	}
	m->last_seen_ns = now;
	m->interval_ns = interval_ns;
	m->naccusers = 0; /* a fresh heartbeat refutes every accusation of an older one */
	m->accused_ns = 0;
	if (m->status == HS_MEMBER_ALIVE)
		return HS_MEMBER_NONE;
	m->status = HS_MEMBER_ALIVE;
	m->status_ns = now;
	return HS_MEMBER_RECOVERED;
}

size_t hs_member_accuser_groups(const struct hs_member *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->naccusers; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = memcmp(m->accusers[i].group, m->accusers[j].group, 8) == 0;
		n += !seen;
	}
	return n;
}

enum hs_member_change hs_members_accuse(struct hs_members *t, const uint8_t id[HS_KEY_LEN],
                                        const uint8_t accuser[HS_KEY_LEN], const uint8_t group[8],
                                        uint64_t generation, uint64_t version, uint64_t now,
                                        const struct hs_member **member)
{
	struct hs_member *m = find(t, id);
	if (member)
		*member = m;
	if (!m || m->status == HS_MEMBER_DEAD || m->status == HS_MEMBER_LEFT ||
	    memcmp(id, t->self, HS_KEY_LEN) == 0 || memcmp(id, accuser, HS_KEY_LEN) == 0 ||
	    newer(m->generation, m->heartbeat, generation, version))
		return HS_MEMBER_NONE; /* unknown, final, ourselves, or refuted already */
	size_t i = 0;
	while (i < m->naccusers && memcmp(m->accusers[i].accuser, accuser, HS_KEY_LEN) != 0)
		i++;
	if (i == m->naccusers) {
		if (m->naccusers == HS_MEMBER_ACCUSERS_MAX)
			return HS_MEMBER_NONE; /* enough confirmations held */
		m->naccusers++;
		memcpy(m->accusers[i].accuser, accuser, HS_KEY_LEN);
	}
	memcpy(m->accusers[i].group, group, 8);
	if (hs_member_accuser_groups(m) < HS_SUSPECT_GROUPS_MIN) {
		m->accused_ns = 0;
		return HS_MEMBER_NONE;
	}
	if (m->accused_ns != 0)
		return HS_MEMBER_NONE;
	m->accused_ns = now;
	if (m->status != HS_MEMBER_ALIVE)
		return HS_MEMBER_NONE; /* suspect by its heartbeat already: now accused too */
	m->status = HS_MEMBER_SUSPECT;
	m->status_ns = now;
	return HS_MEMBER_SUSPECTED;
}

void hs_members_withdraw(struct hs_members *t, const uint8_t accuser[HS_KEY_LEN],
                         const uint8_t (*keep)[HS_KEY_LEN], size_t n)
{
	for (size_t i = 0; i < t->count; i++) {
		struct hs_member *m = &t->m[i];
		bool kept = false;
		for (size_t k = 0; k < n && !kept; k++)
			kept = memcmp(keep[k], m->id, HS_KEY_LEN) == 0;
		for (size_t a = 0; !kept && a < m->naccusers; a++) {
			if (memcmp(m->accusers[a].accuser, accuser, HS_KEY_LEN) != 0)
				continue;
			m->accusers[a] = m->accusers[--m->naccusers];
			if (hs_member_accuser_groups(m) < HS_SUSPECT_GROUPS_MIN)
				m->accused_ns = 0;
			break;
		}
	}
}

/* The suspicion timeout of an accused member, in its intervals (members.h). */
static uint64_t accused_timeout(const struct hs_member *m)
{
	size_t g = hs_member_accuser_groups(m);
	uint64_t steps = g >= 4 ? 1 : g == 3 ? 2 : 3;
	return steps * m->interval_ns;
}

void hs_members_age(struct hs_members *t, uint64_t now, uint32_t suspect_heartbeats,
                    uint32_t dead_heartbeats, uint64_t reap_ns,
                    void (*fn)(void *ctx, const struct hs_member *m, enum hs_member_change c),
                    void *ctx)
{
	for (size_t i = 0; i < t->count;) {
		struct hs_member *m = &t->m[i];
		if (memcmp(m->id, t->self, HS_KEY_LEN) == 0) {
			i++;
			continue;
		}
		uint64_t quiet = now > m->last_seen_ns ? now - m->last_seen_ns : 0;
		if (m->status == HS_MEMBER_ALIVE && quiet >= suspect_heartbeats * m->interval_ns) {
			m->status = HS_MEMBER_SUSPECT;
			m->status_ns = now;
			if (fn)
				fn(ctx, m, HS_MEMBER_SUSPECTED);
		}
		bool accused_out = m->accused_ns != 0 && now - m->accused_ns >= accused_timeout(m);
		if (m->status == HS_MEMBER_SUSPECT &&
		    (quiet >= dead_heartbeats * m->interval_ns || accused_out)) {
			m->status = HS_MEMBER_DEAD;
			m->status_ns = now;
			if (fn)
				fn(ctx, m, HS_MEMBER_FAILED);
		}
		if ((m->status == HS_MEMBER_DEAD || m->status == HS_MEMBER_LEFT) &&
		    now - m->status_ns >= reap_ns) {
			drop(t, i);
			t->reaped++;
			continue;
		}
		i++;
	}
}

const struct hs_member *hs_members_get(const struct hs_members *t, const uint8_t id[HS_KEY_LEN])
{
	return find(t, id);
}

void hs_members_count(const struct hs_members *t, size_t counts[5])
{
	memset(counts, 0, 5 * sizeof(counts[0]));
	counts[0] = t->count;
	for (size_t i = 0; i < t->count; i++)
		counts[t->m[i].status]++;
}

bool hs_members_check(const struct hs_members *t)
{
	if (t->count > t->max || t->count > t->cap || t->by_id.count != t->count)
		return false;
	for (size_t i = 0; i < t->count; i++) {
		const struct hs_member *m = &t->m[i];
		uint32_t *j = hs_idmap_get(&t->by_id, m->id);
		if (!j || *j != i || m->status < HS_MEMBER_ALIVE || m->status > HS_MEMBER_LEFT ||
		    m->interval_ns == 0 || m->naccusers > HS_MEMBER_ACCUSERS_MAX ||
		    (m->accused_ns != 0 && hs_member_accuser_groups(m) < HS_SUSPECT_GROUPS_MIN))
			return false;
	}
	return true;
}

/*
 * The verification scheduler (see verifysched.h): a node-wide token budget shared by integer
 * water-filling over network groups, then over each group's peers.
 *
 * Levels are nano-tokens. A live group's level is the sum of its peers' levels (kept so a
 * refusal can say whose share ran out in O(1)); a departed group's level is the one its last
 * peer left. Scratch arrays for a refill are allocated once, with the object.
 */
#include <stdlib.h>
#include <string.h>

#include "verifysched.h"

#define NANO      UINT64_C(1000000000)
#define RATE_MAX  NANO
#define BURST_MAX HS_VERIFYSCHED_BURST_MAX
#define PEERS_MAX 4096u
#define NONE      UINT32_MAX
#define GROUP_KEY 8

struct vpeer {
	uint32_t group; /* record index; NONE: unregistered */
	uint64_t level;
};

struct vgroup {
	uint8_t key[GROUP_KEY];
	bool used;
	uint32_t npeers; /* 0 with used: departed */
	uint64_t level;
};

struct hs_verifysched {
	uint64_t rate_per_s;
	uint64_t burst; /* nano-tokens */
	uint64_t reserve, reserve_max;
	uint64_t last_ns; /* the last refill */
	uint32_t npeers, ngroups;
	struct vpeer *peers;
	struct vgroup *groups;
	/* Refill scratch: deficits of the records (+ the reserve), a sorted copy, the slots
	 * ordered by group and each group's first index into them, the peers' deficits. */
	uint64_t *gdef, *sorted, *pdef;
	uint32_t *members, *start;
	struct hs_verifysched_stats st;
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int hs_verifysched_new(struct hs_verifysched **out, const struct hs_verifysched_config *cfg,
                       uint64_t now)
{
	if (!cfg || cfg->rate_per_s < 1 || cfg->rate_per_s > RATE_MAX || cfg->burst < 1 ||
	    cfg->burst > BURST_MAX || cfg->reserve > 64 * cfg->burst || cfg->peers_max < 1 ||
	    cfg->peers_max > PEERS_MAX)
		return HS_ERR_INVALID;
	struct hs_verifysched *vs = calloc(1, sizeof(*vs));
	if (!vs)
		return HS_ERR_NOMEM;
	vs->rate_per_s = cfg->rate_per_s;
	vs->burst = cfg->burst * NANO;
	vs->reserve = vs->reserve_max = cfg->reserve * NANO;
	vs->last_ns = now;
	vs->npeers = (uint32_t)cfg->peers_max;
	vs->ngroups = 2 * vs->npeers;
	size_t nsort = vs->ngroups + 1u;
	vs->peers = calloc(vs->npeers, sizeof(*vs->peers));
	vs->groups = calloc(vs->ngroups, sizeof(*vs->groups));
	vs->gdef = calloc(vs->ngroups + 1u, sizeof(*vs->gdef));
	vs->sorted = calloc(nsort, sizeof(*vs->sorted));
	vs->pdef = calloc(vs->npeers, sizeof(*vs->pdef));
	vs->members = calloc(vs->npeers, sizeof(*vs->members));
	vs->start = calloc(vs->ngroups + 1u, sizeof(*vs->start));
	if (!vs->peers || !vs->groups || !vs->gdef || !vs->sorted || !vs->pdef || !vs->members ||
	    !vs->start) {
		hs_verifysched_del(vs);
		return HS_ERR_NOMEM;
	}
	for (uint32_t s = 0; s < vs->npeers; s++)
		vs->peers[s].group = NONE;
	*out = vs;
	return 0;
}

void hs_verifysched_del(struct hs_verifysched *vs)
{
	if (!vs)
		return;
	free(vs->peers);
	free(vs->groups);
	free(vs->gdef);
	free(vs->sorted);
	free(vs->pdef);
	free(vs->members);
	free(vs->start);
	free(vs);
}

/* ---- water-filling ------------------------------------------------------------------- */

/* The largest L with sum(min(d[i], L)) <= x, for x < sum(d); sorts a copy into scratch. */
static uint64_t water_level(const uint64_t *d, size_t n, uint64_t x, uint64_t *scratch)
{
	memcpy(scratch, d, n * sizeof(*d));
	qsort(scratch, n, sizeof(*scratch), cmp_u64);
	uint64_t below = 0; /* the sum of the deficits already under the level */
	for (size_t i = 0; i < n; i++) {
		uint64_t l = (x - below) / (n - i);
		if (l < scratch[i])
			return l;
		below += scratch[i];
	}
	return UINT64_MAX; /* cannot happen for x < sum(d) */
}

/* burst / npeers, but at least one token: a group with more peers than burst still checks. */
static uint64_t peer_cap(const struct hs_verifysched *vs, const struct vgroup *g)
{
	uint64_t cap = vs->burst / g->npeers;
	return cap > NANO ? cap : NANO;
}

/* Orders the registered slots by group: members[start[g] .. start[g + 1]) are g's. */
static void sort_members(struct hs_verifysched *vs)
{
	memset(vs->start, 0, (vs->ngroups + 1u) * sizeof(*vs->start));
	for (uint32_t s = 0; s < vs->npeers; s++)
		if (vs->peers[s].group != NONE)
			vs->start[vs->peers[s].group + 1]++;
	for (uint32_t g = 0; g < vs->ngroups; g++)
		vs->start[g + 1] += vs->start[g];
	/* Fill from each group's end, so start[g] ends where it began. */
	for (uint32_t s = vs->npeers; s-- > 0;)
		if (vs->peers[s].group != NONE)
			vs->members[--vs->start[vs->peers[s].group + 1]] = s;
	for (uint32_t g = 0; g < vs->ngroups; g++)
		vs->start[g + 1] = vs->start[g] + vs->groups[g].npeers;
}

/* Gives x nano-tokens (at most the group's deficit) to g's peers by water-filling. */
static void fill_group(struct hs_verifysched *vs, uint32_t gi, uint64_t x)
{
	struct vgroup *g = &vs->groups[gi];
	uint64_t cap = peer_cap(vs, g), sum = 0;
	const uint32_t *m = vs->members + vs->start[gi];
	for (uint32_t i = 0; i < g->npeers; i++)
		sum += vs->pdef[i] = cap - vs->peers[m[i]].level;
	uint64_t level = x >= sum ? UINT64_MAX : water_level(vs->pdef, g->npeers, x, vs->sorted);
	for (uint32_t i = 0; i < g->npeers; i++) {
		uint64_t add = min_u64(vs->pdef[i], level);
		vs->peers[m[i]].level += add;
		g->level += add;
	}
}

static void refill(struct hs_verifysched *vs, uint64_t now)
{
	if (now <= vs->last_ns || now - vs->last_ns < HS_VERIFY_REFILL_NS)
		return;
	uint64_t dt = now - vs->last_ns;
	vs->last_ns = now;
	uint64_t total = 0;
	for (uint32_t g = 0; g < vs->ngroups; g++) {
		const struct vgroup *r = &vs->groups[g];
		vs->gdef[g] = r->used && r->npeers > 0 ? r->npeers * peer_cap(vs, r) - r->level : 0;
		total += vs->gdef[g];
	}
	vs->gdef[vs->ngroups] = vs->reserve_max - vs->reserve;
	total += vs->gdef[vs->ngroups];
	if (total == 0)
		return;
	/* Past this many nanoseconds every bucket is full; the cap keeps dt * rate in range. */
	uint64_t x = dt >= total / vs->rate_per_s + 1 ? total : dt * vs->rate_per_s;
	uint64_t level =
	        x >= total ? UINT64_MAX : water_level(vs->gdef, vs->ngroups + 1u, x, vs->sorted);
	vs->reserve += min_u64(vs->gdef[vs->ngroups], level);
	sort_members(vs);
	for (uint32_t g = 0; g < vs->ngroups; g++) {
		uint64_t give = min_u64(vs->gdef[g], level);
		if (give > 0)
			fill_group(vs, g, give);
	}
}

/* ---- membership ----------------------------------------------------------------------- */

static uint32_t find_group(const struct hs_verifysched *vs, const uint8_t key[GROUP_KEY])
{
	for (uint32_t g = 0; g < vs->ngroups; g++)
		if (vs->groups[g].used && memcmp(vs->groups[g].key, key, GROUP_KEY) == 0)
			return g;
	return NONE;
}

/* An unused record, else the departed one with the highest level (lowest index on a tie). */
static uint32_t free_record(const struct hs_verifysched *vs)
{
	uint32_t best = NONE;
	for (uint32_t g = 0; g < vs->ngroups; g++) {
		const struct vgroup *r = &vs->groups[g];
		if (!r->used)
			return g;
		if (r->npeers == 0 && (best == NONE || r->level > vs->groups[best].level))
			best = g;
	}
	return best;
}

static bool join(struct hs_verifysched *vs, unsigned slot, const uint8_t key[GROUP_KEY])
{
	struct vpeer *p = &vs->peers[slot];
	uint32_t gi = find_group(vs, key);
	if (gi == NONE) {
		gi = free_record(vs);
		if (gi == NONE)
			return false; /* cannot happen: live groups < peers_max < records */
		struct vgroup *r = &vs->groups[gi];
		memcpy(r->key, key, GROUP_KEY);
		r->used = true;
		r->npeers = 0;
		r->level = min_u64(vs->burst, vs->reserve);
		vs->reserve -= r->level;
	}
	struct vgroup *g = &vs->groups[gi];
	p->group = gi;
	if (g->npeers++ == 0) {
		p->level = g->level; /* new or departed: the peer holds the record's level */
		return true;
	}
	p->level = 0;
	uint64_t cap = peer_cap(vs, g);
	for (uint32_t s = 0; s < vs->npeers; s++) {
		struct vpeer *q = &vs->peers[s];
		if (q->group == gi && q->level > cap) {
			g->level -= q->level - cap;
			q->level = cap;
		}
	}
	return true;
}

static void leave(struct hs_verifysched *vs, unsigned slot)
{
	struct vpeer *p = &vs->peers[slot];
	struct vgroup *g = &vs->groups[p->group];
	if (--g->npeers > 0)
		g->level -= p->level; /* its tokens leave with it */
	/* else departed: the record keeps the level, which is the last peer's */
	p->group = NONE;
	p->level = 0;
}

/* ---- the interface -------------------------------------------------------------------- */

bool hs_verifysched_admit(struct hs_verifysched *vs, unsigned slot, const uint8_t group[8],
                          uint64_t now)
{
	if (slot >= vs->npeers) {
		vs->st.over_peer_share++;
		return false;
	}
	struct vpeer *p = &vs->peers[slot];
	if (p->group != NONE && memcmp(vs->groups[p->group].key, group, GROUP_KEY) != 0)
		leave(vs, slot);
	if (p->group == NONE && !join(vs, slot, group)) {
		vs->st.over_group_share++;
		return false;
	}
	if (p->level < NANO)
		refill(vs, now);
	struct vgroup *g = &vs->groups[p->group];
	if (p->level >= NANO) {
		p->level -= NANO;
		g->level -= NANO;
		vs->st.admitted++;
		return true;
	}
	if (g->level < NANO)
		vs->st.over_group_share++;
	else
		vs->st.over_peer_share++;
	return false;
}

void hs_verifysched_remove(struct hs_verifysched *vs, unsigned slot, uint64_t now)
{
	(void)now;
	if (slot < vs->npeers && vs->peers[slot].group != NONE)
		leave(vs, slot);
}

bool hs_verifysched_has(const struct hs_verifysched *vs, unsigned slot)
{
	return slot < vs->npeers && vs->peers[slot].group != NONE;
}

uint64_t hs_verifysched_tokens(const struct hs_verifysched *vs, unsigned slot)
{
	return hs_verifysched_has(vs, slot) ? vs->peers[slot].level / NANO : 0;
}

const struct hs_verifysched_stats *hs_verifysched_stats(const struct hs_verifysched *vs)
{
	return &vs->st;
}

static bool group_ok(const struct hs_verifysched *vs, uint32_t gi)
{
	const struct vgroup *g = &vs->groups[gi];
	if (!g->used)
		return g->npeers == 0;
	if (g->level > (g->npeers > 0 ? g->npeers * peer_cap(vs, g) : vs->burst))
		return false;
	for (uint32_t h = gi + 1; h < vs->ngroups; h++)
		if (vs->groups[h].used && memcmp(vs->groups[h].key, g->key, GROUP_KEY) == 0)
			return false;
	if (g->npeers == 0)
		return true;
	uint32_t n = 0;
	uint64_t sum = 0;
	for (uint32_t s = 0; s < vs->npeers; s++) {
		if (vs->peers[s].group != gi)
			continue;
		n++;
		sum += vs->peers[s].level;
		if (vs->peers[s].level > peer_cap(vs, g))
			return false;
	}
	return n == g->npeers && sum == g->level;
}

bool hs_verifysched_check(const struct hs_verifysched *vs)
{
	if (vs->reserve > vs->reserve_max)
		return false;
	for (uint32_t s = 0; s < vs->npeers; s++) {
		const struct vpeer *p = &vs->peers[s];
		if (p->group == NONE ? p->level != 0
		                     : p->group >= vs->ngroups || !vs->groups[p->group].used)
			return false;
	}
	for (uint32_t g = 0; g < vs->ngroups; g++)
		if (!group_ok(vs, g))
			return false;
	return true;
}

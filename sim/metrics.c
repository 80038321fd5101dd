/*
 * Metrics: the flood lower bound and the report (docs/SIM.md defines each figure).
 *
 * The flood bound of (rumor, node) is the earliest any protocol could have delivered the
 * rumor over the sessions that existed when it was published: Dijkstra from the origin over
 * the graph of sessions active at both ends at that moment, each edge weighted by its one-way
 * latency, with no loss and no processing time.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_impl.h"

#define PUSH_SLACK 1.5 /* a push takes one latency; a request at least three */

/* ---- the flood bound ---------------------------------------------------------------------- */

int sim_flood_bound(struct hs_sim *sim, size_t r)
{
	uint64_t *dist = sim->flood_ns + r * sim->cfg.nodes;
	struct sim_evq q = { 0 };
	uint32_t origin = sim->rumors[r].origin;
	dist[origin] = 0;
	int err = sim_evq_push(&q, 0, 0, origin, 0, NULL);
	struct sim_event e;
	while (!err && sim_evq_pop(&q, &e)) {
		if (e.at_ns != dist[e.a])
			continue; /* a longer path found earlier */
		const struct sim_node *u = &sim->nodes[e.a];
		for (size_t i = 0; i < u->neps && !err; i++) {
			const struct sim_conn *k = &sim->conns[u->eps[i].conn];
			if (!k->up[0] || !k->up[1])
				continue;
			uint32_t v = k->node[1 - u->eps[i].side];
			if (sim_is_attacker(sim, v))
				continue; /* the bound honest nodes can reach without attackers */
			uint64_t d = e.at_ns + k->latency_ns;
			if (d < dist[v]) {
				dist[v] = d;
				err = sim_evq_push(&q, d, 0, v, 0, NULL);
			}
		}
	}
	sim_evq_free(&q);
	return err;
}

void sim_count_sessions(struct hs_sim *sim)
{
	size_t total = 0, outbound = 0, honest = 0, outbound_bad = 0;
	sim->sessions_min = SIZE_MAX;
	sim->sessions_max = 0;
	sim->isolated = 0;
	for (size_t i = 0; i < sim->cfg.nodes; i++) {
		const struct sim_node *n = &sim->nodes[i];
		size_t s = 0;
		for (size_t j = 0; j < n->neps; j++) {
			const struct sim_conn *k = &sim->conns[n->eps[j].conn];
			if (k->up[0] && k->up[1]) {
				bool bad = sim_is_attacker(sim, k->node[1 - n->eps[j].side]);
				s++;
				honest += !bad;
				outbound += n->eps[j].side == 0;
				outbound_bad += n->eps[j].side == 0 && bad;
			}
		}
		total += s;
		sim->sessions_min = s < sim->sessions_min ? s : sim->sessions_min;
		sim->sessions_max = s > sim->sessions_max ? s : sim->sessions_max;
		sim->isolated += s == 0;
	}
	sim->sessions_mean = (double)total / (double)sim->cfg.nodes;
	sim->outbound_mean = (double)outbound / (double)sim->cfg.nodes;
	sim->honest_sessions_mean = (double)honest / (double)sim->cfg.nodes;
	sim->outbound_attacker_share = outbound ? (double)outbound_bad / (double)outbound : 0;
}

/* ---- percentiles ------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least p percent of samples at or below it. */
struct hs_sim_pct sim_percentiles(uint64_t *v, size_t n)
{
	struct hs_sim_pct p = { 0 };
	if (n == 0)
		return p;
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t r50 = (n * 50 + 99) / 100, r99 = (n * 99 + 99) / 100;
	p.p50 = (double)v[r50 > 0 ? r50 - 1 : 0] / 1e6;
	p.p99 = (double)v[r99 > 0 ? r99 - 1 : 0] / 1e6;
	p.max = (double)v[n - 1] / 1e6;
	return p;
}

/* ---- the report --------------------------------------------------------------------------- */

struct pairs {
	uint64_t *lat, *flood;
	size_t nlat, nflood;
};

/* Latency and flood samples over (rumor, non-origin node) deliveries; per-rumor times. */
static void collect(const struct hs_sim *sim, struct hs_sim_report *rep, struct pairs *p)
{
	size_t n = sim->cfg.nodes, reached_all = 0;
	double avg_sum = 0, last_sum = 0, residue = 0;
	size_t rumors_timed = 0;
	for (size_t r = 0; r < sim->cfg.rumors; r++) {
		const uint64_t *d = sim->deliver_ns + r * n, *f = sim->flood_ns + r * n;
		uint32_t origin = sim->rumors[r].origin;
		size_t reached = 0, others = 0;
		uint64_t sum = 0, last = 0;
		for (size_t i = 0; i < n; i++) {
			if (i != origin && f[i] == SIM_NEVER)
				rep->flood_unreachable++;
			if (d[i] == SIM_NEVER)
				continue;
			reached++;
			if (i == origin)
				continue;
			others++;
			sum += d[i];
			last = d[i] > last ? d[i] : last;
			p->lat[p->nlat++] = d[i];
			if (f[i] == SIM_NEVER)
				continue;
			p->flood[p->nflood++] = f[i];
			rep->flood_violations += d[i] < f[i];
		}
		reached_all += reached;
		residue += (double)(n - reached) / (double)n;
		if (others > 0) {
			avg_sum += (double)sum / (double)others / 1e6;
			last_sum += (double)last / 1e6;
			rumors_timed++;
		}
	}
	rep->delivery_ratio = (double)reached_all / (double)(sim->cfg.rumors * n);
	rep->residue = residue / (double)sim->cfg.rumors;
	rep->time_avg_ms = rumors_timed ? avg_sum / (double)rumors_timed : 0;
	rep->time_last_ms = rumors_timed ? last_sum / (double)rumors_timed : 0;
}

/* One (rumor, node) delivery seen through its delivery tree. */
struct hop_info {
	uint64_t t;      /* delivery, ns after publish */
	uint64_t tree;   /* sum of link latencies along the tree path from the origin */
	uint32_t hops;   /* tree depth */
	uint32_t pulled; /* hops on the path that were not pushes */
};

struct slow_pair {
	uint64_t t, flood, tree;
	uint32_t hops, pulled;
};

static int cmp_slow_desc(const void *a, const void *b)
{
	const struct slow_pair *x = a, *y = b;
	return x->t > y->t ? -1 : x->t < y->t;
}

struct timed {
	uint64_t t;
	uint32_t node;
};

static int cmp_timed(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t ? 1 : (x->node > y->node) - (x->node < y->node);
}

/* Fills info for rumor r, parents before children (they deliver strictly earlier); appends
 * one slow_pair per non-origin delivery. Returns the pushed hop count. */
static size_t walk_rumor(const struct hs_sim *sim, size_t r, struct timed *order,
                         struct hop_info *info, struct slow_pair *pairs, size_t *npairs)
{
	size_t n = sim->cfg.nodes, k = 0, pushed = 0;
	const uint64_t *t = sim->deliver_ns + r * n;
	for (uint32_t i = 0; i < n; i++)
		if (t[i] != SIM_NEVER)
			order[k++] = (struct timed){ .t = t[i], .node = i };
	qsort(order, k, sizeof(*order), cmp_timed);
	for (size_t j = 0; j < k; j++) {
		uint32_t i = order[j].node, from = sim->parent[r * n + i];
		struct hop_info *h = &info[i];
		memset(h, 0, sizeof(*h));
		h->t = t[i];
		if (from == SIM_NONE || from >= n || t[from] == SIM_NEVER || t[from] > t[i])
			continue; /* the origin, a copy from an attacker, or (unexpectedly) a root
			           * without a known sender */
		uint64_t lat = sim_pair_latency(sim, from, i);
		bool push = (double)(t[i] - t[from]) <= PUSH_SLACK * (double)lat;
		pushed += push;
		h->tree = info[from].tree + lat;
		h->hops = info[from].hops + 1;
		h->pulled = info[from].pulled + !push;
		pairs[*npairs] = (struct slow_pair){ .t = h->t,
			                             .flood = sim->flood_ns[r * n + i],
			                             .tree = h->tree,
			                             .hops = h->hops,
			                             .pulled = h->pulled };
		(*npairs)++;
	}
	return pushed;
}

/* Where the time goes: push or request per hop, the tree's own latency, the slowest 1%. */
static void paths(const struct hs_sim *sim, struct hs_sim_report *rep)
{
	size_t n = sim->cfg.nodes, npairs = 0, pushed = 0;
	struct timed *order = malloc(n * sizeof(*order));
	struct hop_info *info = malloc(n * sizeof(*info));
	struct slow_pair *pairs = malloc((sim->cfg.rumors * n + 1) * sizeof(*pairs));
	uint64_t *tree = malloc((sim->cfg.rumors * n + 1) * sizeof(*tree));
	if (order && info && pairs && tree) {
		for (size_t r = 0; r < sim->cfg.rumors; r++)
			pushed += walk_rumor(sim, r, order, info, pairs, &npairs);
		double hops = 0, pulled = 0;
		for (size_t i = 0; i < npairs; i++) {
			hops += pairs[i].hops;
			pulled += pairs[i].pulled;
			tree[i] = pairs[i].tree;
			rep->hops_max =
			        pairs[i].hops > rep->hops_max ? pairs[i].hops : rep->hops_max;
		}
		rep->push_fraction = npairs ? (double)pushed / (double)npairs : 0;
		rep->hops_mean = npairs ? hops / (double)npairs : 0;
		rep->pulled_hops_mean = npairs ? pulled / (double)npairs : 0;
		rep->tree_ms = sim_percentiles(tree, npairs);
		qsort(pairs, npairs, sizeof(*pairs), cmp_slow_desc);
		size_t top = (npairs + 99) / 100;
		for (size_t i = 0; i < top; i++) {
			struct slow_pair *p = &pairs[i];
			rep->slow.latency_ms += (double)p->t / 1e6 / (double)top;
			rep->slow.flood_ms +=
			        (p->flood == SIM_NEVER ? 0 : (double)p->flood) / 1e6 / (double)top;
			rep->slow.tree_ms += (double)p->tree / 1e6 / (double)top;
			rep->slow.hops += (double)p->hops / (double)top;
			rep->slow.pulled_hops += (double)p->pulled / (double)top;
		}
	}
	free(order);
	free(info);
	free(pairs);
	free(tree);
}

static void traffic(const struct hs_sim *sim, struct hs_sim_report *rep)
{
	struct sim_totals end, d;
	sim_totals_sum(sim, &end);
	const struct sim_totals *b = &sim->base;
	double per = (double)sim->cfg.nodes * (double)sim->cfg.rumors;
	double msgs = 0;
	for (unsigned k = 0; k < 16; k++) {
		d.msgs_out[k] = end.msgs_out[k] - b->msgs_out[k];
		rep->msgs_per_node[k] = (double)d.msgs_out[k] / per;
		msgs += (double)d.msgs_out[k];
	}
	rep->traffic_msgs_per_node = msgs / per;
	rep->traffic_bytes_per_node = (double)(end.bytes_out - b->bytes_out) / per;
	rep->payload_copies_per_node = (double)(end.payload_copies_in - b->payload_copies_in) / per;
	rep->duplicates_per_node = (double)(end.duplicates - b->duplicates) / per;
	rep->requests_per_node = (double)(end.requests_sent - b->requests_sent) / per;
	rep->request_timeouts_per_node =
	        (double)(end.requests_timed_out - b->requests_timed_out) / per;
	rep->notfound_per_node = (double)(end.notfound_sent - b->notfound_sent) / per;
	rep->pulls_per_node = (double)(end.pulls_sent - b->pulls_sent) / per;
	rep->pull_rumors_per_node = (double)(end.pull_rumors_sent - b->pull_rumors_sent) / per;
	rep->grafts_declined = end.grafts_declined;
}

/* Bytes sent over the whole run by nodes [from, to). */
static uint64_t bytes_sent(const struct hs_sim *sim, size_t from, size_t to)
{
	uint64_t b = 0;
	for (size_t i = from; i < to; i++) {
		if (!sim->nodes[i].node)
			continue;
		struct hs_node_stats s;
		hs_node_get_stats(sim->nodes[i].node, &s);
		b += s.bytes_out;
	}
	return b;
}

void sim_sample_memory(struct hs_sim *sim)
{
	for (size_t i = 0; i < sim->cfg.nodes; i++) {
		const struct sim_node *n = &sim->nodes[i];
		if (!n->node)
			continue;
		size_t book = hs_node_addresses(n->node, NULL, 0);
		size_t bans = hs_node_bans(n->node, NULL, 0, sim->now);
		sim->peak_addrbook = book > sim->peak_addrbook ? book : sim->peak_addrbook;
		sim->peak_bans = bans > sim->peak_bans ? bans : sim->peak_bans;
	}
}

static void adversaries(const struct hs_sim *sim, struct hs_sim_report *rep)
{
	const struct hs_sim_config *c = &sim->cfg;
	rep->adv.byzantine = c->byzantine;
	for (size_t i = 0; i < c->nodes; i++) {
		rep->adv.victims += sim->nodes[i].victim;
		rep->adv.victims_eclipsed += sim->eclipsed[i];
		rep->adv.honest_banned += sim->banned[i];
		size_t pe = sim->nodes[i].peak_eps;
		rep->adv.peak_endpoints =
		        pe > rep->adv.peak_endpoints ? pe : rep->adv.peak_endpoints;
		if (sim->nodes[i].node)
			rep->adv.equivocations += hs_node_equivocations(sim->nodes[i].node);
	}
	for (size_t i = c->nodes; i < sim->nall; i++)
		rep->adv.attackers_banned += sim->banned[i];
	rep->adv.verify_honest = sim->verify_honest;
	rep->adv.verify_attackers = sim->verify_attackers;
	rep->adv.verify_share_attackers =
	        sim->verify_honest ? (double)sim->verify_attackers / (double)sim->verify_honest : 0;
	memcpy(rep->adv.bans_by_kind, sim->bans_by_kind, sizeof(rep->adv.bans_by_kind));
	rep->adv.bans_unmapped = sim->bans_unmapped;
	rep->adv.peak_addrbook = sim->peak_addrbook;
	rep->adv.peak_bans = sim->peak_bans;
	rep->adv.honest_bytes_per_node = (double)bytes_sent(sim, 0, c->nodes) / (double)c->nodes;
	rep->adv.attacker_bytes_per_node =
	        c->byzantine ? (double)bytes_sent(sim, c->nodes, sim->nall) / (double)c->byzantine
	                     : 0;
	rep->adv.attacker_frames_dropped = sim_attack_frames(sim, false);
	rep->adv.attacker_frames_injected = sim_attack_frames(sim, true);
	rep->adv.honest_faults_seen = sim->faults;
	rep->adv.restarts = sim->restarts;
	for (size_t i = 0; i < c->nodes; i++) {
		if (!sim->nodes[i].node)
			continue;
		struct hs_node_stats st;
		hs_node_get_stats(sim->nodes[i].node, &st);
		for (unsigned k = 0; k < 16; k++)
			rep->adv.honest_frames_out[k] += st.msgs_out[k];
	}
}

void hs_sim_get_report(const struct hs_sim *sim, struct hs_sim_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->nodes = sim->cfg.nodes;
	rep->rumors = sim->cfg.rumors;
	rep->seed = sim->cfg.seed;
	size_t rn = sim->cfg.rumors * sim->cfg.nodes;
	struct pairs p = { .lat = malloc((rn + 1) * sizeof(uint64_t)),
		           .flood = malloc((rn + 1) * sizeof(uint64_t)) };
	if (p.lat && p.flood && sim->cfg.rumors > 0) {
		collect(sim, rep, &p);
		rep->latency_ms = sim_percentiles(p.lat, p.nlat);
		rep->flood_bound_ms = sim_percentiles(p.flood, p.nflood);
		rep->flood_pairs = p.nflood;
	}
	free(p.lat);
	free(p.flood);
	rep->p99_over_flood_p99 =
	        rep->flood_bound_ms.p99 > 0 ? rep->latency_ms.p99 / rep->flood_bound_ms.p99 : 0;
	paths(sim, rep);
	if (sim->published > 0)
		traffic(sim, rep);
	if (sim->cfg.state && sim->published > 0) {
		rep->state_convergence_ratio =
		        (double)sim->state_arrivals / (double)(sim->published * sim->cfg.nodes);
		rep->state_time_last_ms = (double)sim->state_last_ns / 1e6;
	}
	rep->faults = sim->faults;
	rep->flood_faults = sim->flood_faults;
	rep->double_deliveries = sim->double_deliveries;
	rep->check_calls = sim->check_calls;
	rep->sessions_mean = sim->sessions_mean;
	rep->outbound_mean = sim->outbound_mean;
	rep->honest_sessions_mean = sim->honest_sessions_mean;
	rep->outbound_attacker_share = sim->outbound_attacker_share;
	rep->honest_sessions_mean = sim->honest_sessions_mean;
	rep->outbound_attacker_share = sim->outbound_attacker_share;
	rep->sessions_min = sim->published || sim->churn.start_ns ? sim->sessions_min : 0;
	rep->sessions_max = sim->sessions_max;
	rep->isolated = sim->isolated;
	rep->verify_calls = sim->vc.calls;
	rep->verify_real = sim->vc.real;
	rep->events = sim->events;
	rep->connections = sim->nconns;
	rep->dials = sim->dials;
	rep->dials_failed = sim->dials_failed;
	rep->virtual_s = (double)(sim->now - SIM_T0_NS) / 1e9;
	rep->dissem_s =
	        sim->now > sim->publish0_ns ? (double)(sim->now - sim->publish0_ns) / 1e9 : 0;
	rep->wall_s = sim->wall_s;
	adversaries(sim, rep);
	if (sim->cfg.churn)
		sim_churn_report(sim, &rep->churn);
}

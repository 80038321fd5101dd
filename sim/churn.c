/*
 * --scenario churn (docs/SIM.md §10): honest nodes crash and restart under membership, and the
 * members tables' verdicts (HS_EV_MEMBER) are judged against what the simulator knows — who
 * was up when, and when each node signed each heartbeat.
 *
 * Timeline: the join window; a warm-up, checked once a second from the window's end, until
 * every node's members table holds every node alive (at most warmup_ns); then the churn window
 * (churn_ns) with cfg.crashes crashes at times drawn uniformly over it. Crash k takes a random
 * eligible node — not a seed, up, and if it crashed before, up for at least W since, so the
 * window judging its last restart is over — and restarts it from its saved bytes
 * after a downtime: even k short, uniform in [0.05 D, 0.95 D), odd k long, uniform in
 * [D + S, 2 D + S) (with the default 3 and 6 intervals, [1.5 D, 2.5 D)): long enough to be
 * noticed within the D + S the report allows. The run ends when the churn window and W after
 * the last restart have passed.
 *
 * D = dead_heartbeats x interval (the dead timeout), S = suspect_heartbeats x interval (the
 * suspicion timeout), W = D (the recovery window: a restart must be known everywhere before
 * a dead timeout has passed, as a crash must).
 *
 * Every draw (crash times, downtimes, which node) comes from the world's stream, in event
 * order, so a run is a function of its flags and seed like any other.
 */
#include <stdlib.h>
#include <string.h>

#include "overlay/msg.h"
#include "sim_impl.h"

#define CHECK_EVERY_NS HS_NS_PER_S /* the warm-up's convergence check */
#define PICK_TRIES     64          /* random draws for an eligible node before a scan */
#define END_MARGIN_NS  HS_NS_PER_S /* past the last recovery window */

int sim_churn_init(struct hs_sim *sim)
{
	struct sim_churn *ch = &sim->churn;
	const struct hs_sim_config *c = &sim->cfg;
	memset(ch, 0, sizeof(*ch));
	ch->interval_ns = c->heartbeat_interval_ns;
	ch->suspect_ns = c->suspect_heartbeats * ch->interval_ns;
	ch->dead_ns = c->dead_heartbeats * ch->interval_ns;
	ch->example_observer = ch->example_node = SIM_NONE;
	ch->plan_down = calloc(c->crashes + 1, sizeof(*ch->plan_down));
	if (!ch->plan_down)
		return HS_ERR_NOMEM;
	/* A ring as long as a dead timeout's heartbeats, and one more. */
	for (size_t i = 0; i < c->nodes; i++) {
		sim->nodes[i].hb = calloc(c->dead_heartbeats + 2, sizeof(uint64_t));
		if (!sim->nodes[i].hb)
			return HS_ERR_NOMEM;
	}
	return sim_evq_push(&sim->evq, SIM_T0_NS + c->join_window_ns, SIM_EV_CHURN, 0, 0, NULL);
}

void sim_churn_free(struct hs_sim *sim)
{
	struct sim_churn *ch = &sim->churn;
	for (size_t k = 0; k < ch->ncrashes; k++) {
		free(ch->crashes[k].failed_at);
		free(ch->crashes[k].alive_at);
		free(ch->crashes[k].alive_first);
	}
	free(ch->crashes);
	free(ch->plan_down);
	memset(ch, 0, sizeof(*ch));
}

/* ---- the warm-up and the plan ------------------------------------------------------------- */

static bool all_see_all(const struct hs_sim *sim)
{
	for (size_t i = 0; i < sim->cfg.nodes; i++) {
		const struct sim_node *n = &sim->nodes[i];
		if (!n->node)
			return false;
		struct hs_node_usage u;
		hs_node_get_usage(n->node, &u);
		/* Byzantine cores (--attack false-suspect) heartbeat like anyone: members too. */
		if (u.members[HS_MEMBER_ALIVE] != sim->cfg.nodes + sim->cfg.byzantine)
			return false;
	}
	return true;
}

static void must_push(struct hs_sim *sim, uint64_t at, uint32_t kind, uint32_t a, uint64_t b)
{
	if (sim_evq_push(&sim->evq, at, kind, a, b, NULL) != 0)
		sim_die(sim, "queue: out of memory", a);
}

/* The churn window begins now: plan every crash (time and downtime) and the end. */
static void begin(struct hs_sim *sim)
{
	struct sim_churn *ch = &sim->churn;
	const struct hs_sim_config *c = &sim->cfg;
	ch->start_ns = sim->now;
	ch->end_ns = sim->now + c->churn_ns;
	sim_count_sessions(sim);
	uint64_t end = ch->end_ns;
	for (size_t k = 0; k < c->crashes; k++) {
		uint64_t at = sim->now + (c->churn_ns ? sim_rng_below(&sim->rng, c->churn_ns) : 0);
		double d = (double)ch->dead_ns, s = (double)ch->suspect_ns;
		double lo = k % 2 ? d + s : 0.05 * d, hi = k % 2 ? 2 * d + s : 0.95 * d;
		ch->plan_down[k] = (uint64_t)(lo + (hi - lo) * sim_rng_unit(&sim->rng));
		uint64_t done = at + ch->plan_down[k] + ch->dead_ns; /* + W */
		end = done > end ? done : end;
		must_push(sim, at, SIM_EV_CRASH, (uint32_t)k, 0);
	}
	sim->end_ns = end + END_MARGIN_NS;
}

/* ---- crashes -------------------------------------------------------------------------------- */

static bool eligible(const struct hs_sim *sim, uint32_t i)
{
	const struct sim_node *n = &sim->nodes[i];
	const struct sim_churn *ch = &sim->churn;
	return i >= sim->cfg.seeds && n->joined && !n->down &&
	       (n->last_crash == SIM_NONE || sim->now - n->up_since >= ch->dead_ns); /* W */
}

static uint32_t pick(struct hs_sim *sim)
{
	size_t seeds = sim->cfg.seeds, span = sim->cfg.nodes - seeds;
	if (span == 0)
		return SIM_NONE;
	uint32_t i = 0;
	for (int t = 0; t < PICK_TRIES; t++) {
		i = (uint32_t)(seeds + sim_rng_below(&sim->rng, span));
		if (eligible(sim, i))
			return i;
	}
	for (size_t d = 1; d < span; d++) {
		uint32_t j = (uint32_t)(seeds + (i - seeds + d) % span);
		if (eligible(sim, j))
			return j;
	}
	return SIM_NONE;
}

static uint64_t *never_array(struct hs_sim *sim)
{
	uint64_t *v = malloc(sim->cfg.nodes * sizeof(*v));
	if (!v)
		sim_die(sim, "out of memory", SIM_NONE);
	for (size_t i = 0; i < sim->cfg.nodes; i++)
		v[i] = SIM_NEVER;
	return v;
}

static void crash(struct hs_sim *sim, size_t k)
{
	struct sim_churn *ch = &sim->churn;
	uint32_t i = pick(sim);
	if (i == SIM_NONE) {
		ch->skipped++;
		return;
	}
	if (ch->ncrashes == ch->crashes_cap) {
		size_t cap = ch->crashes_cap ? 2 * ch->crashes_cap : 64;
		struct sim_crash *v = realloc(ch->crashes, cap * sizeof(*v));
		if (!v)
			sim_die(sim, "out of memory", i);
		ch->crashes = v;
		ch->crashes_cap = cap;
	}
	struct sim_node *n = &sim->nodes[i];
	struct sim_crash *cr = &ch->crashes[ch->ncrashes];
	*cr = (struct sim_crash){ .node = i,
		                  .long_ = k % 2 == 1,
		                  .prev = n->last_crash,
		                  .crash_ns = sim->now,
		                  .restart_ns = SIM_NEVER };
	if (cr->long_) {
		cr->failed_at = never_array(sim);
		cr->alive_at = never_array(sim);
		cr->alive_first = calloc(sim->cfg.nodes, 1);
		if (!cr->alive_first)
			sim_die(sim, "out of memory", i);
	}
	n->last_crash = (uint32_t)ch->ncrashes++;
	sim_node_crash(sim, i);
	must_push(sim, sim->now + ch->plan_down[k], SIM_EV_START, i, n->last_crash);
}

void sim_churn_event(struct hs_sim *sim, const struct sim_event *ev)
{
	struct sim_churn *ch = &sim->churn;
	switch (ev->kind) {
	case SIM_EV_CHURN:
		ch->converged = all_see_all(sim);
		if (ch->converged || sim->now + CHECK_EVERY_NS > SIM_T0_NS +
		                                                         sim->cfg.join_window_ns +
		                                                         sim->cfg.warmup_ns)
			begin(sim);
		else
			must_push(sim, sim->now + CHECK_EVERY_NS, SIM_EV_CHURN, 0, 0);
		break;
	case SIM_EV_CRASH:
		crash(sim, ev->a);
		break;
	case SIM_EV_START:
		ch->crashes[ev->b].restart_ns = sim->now;
		sim_node_start(sim, ev->a);
		break;
	default:
		break;
	}
}

/* ---- what the nodes report -------------------------------------------------------------- */

void sim_churn_timer(struct hs_sim *sim, struct sim_node *n)
{
	struct hs_node_stats st;
	hs_node_get_stats(n->node, &st);
	if (st.heartbeats_sent == n->hb_sent)
		return;
	sim->churn.heartbeats_signed += st.heartbeats_sent - n->hb_sent;
	n->hb_sent = st.heartbeats_sent;
	size_t ring = sim->cfg.dead_heartbeats + 2;
	n->hb[n->hb_next] = sim->now;
	n->hb_next = (n->hb_next + 1) % ring;
	n->hb_count += n->hb_count < ring;
}

/* Whether node n is up and signed a heartbeat of its current generation (of this life) at a
 * time h with from < h <= to. */
static bool signed_between(const struct sim_node *n, uint64_t from, uint64_t to)
{
	if (n->down)
		return false;
	for (size_t j = 0; j < n->hb_count; j++)
		if (n->hb[j] >= n->up_since && n->hb[j] > from && n->hb[j] <= to)
			return true;
	return false;
}

static uint64_t before(uint64_t t, uint64_t d)
{
	return t > d ? t - d : 0;
}

void sim_churn_member(struct hs_sim *sim, struct sim_node *o, const struct hs_event *ev)
{
	struct sim_churn *ch = &sim->churn;
	uint32_t xi = sim_keymap_find(sim, ev->member.id);
	if (xi == SIM_NONE || xi >= sim->cfg.nodes || xi == o->index)
		return;
	const struct sim_node *x = &sim->nodes[xi];
	struct sim_crash *cr = x->last_crash != SIM_NONE ? &ch->crashes[x->last_crash] : NULL;
	uint64_t now = sim->now;
	switch (ev->change) {
	case HS_MEMBER_SUSPECTED:
		ch->suspected++;
		ch->false_suspect += !x->down && x->up_since + ch->suspect_ns <= now;
		break;
	case HS_MEMBER_FAILED:
		ch->failed++;
		ch->failed_while_up += !x->down;
		/* False: about the life the node is living now (a restarted node's old generation
		 * is rightly dead), while it is up and signing. */
		if (ev->member.generation == x->generation &&
		    signed_between(x, before(now, ch->dead_ns), before(now, ch->suspect_ns))) {
			if (ch->false_dead++ == 0) {
				ch->example_observer = o->index;
				ch->example_node = xi;
				ch->example_ns = now;
			}
		}
		if (x->down && cr && cr->long_) {
			if (cr->failed_at[o->index] == SIM_NEVER)
				cr->failed_at[o->index] = now;
		} else if (x->down) {
			ch->short_failed++;
		}
		break;
	case HS_MEMBER_JOINED:
	case HS_MEMBER_RECOVERED:
		if (!x->down && cr && cr->long_ && cr->restart_ns != SIM_NEVER &&
		    ev->member.generation == x->generation && cr->alive_at[o->index] == SIM_NEVER) {
			cr->alive_at[o->index] = now;
			/* A new core's first heartbeat has version 1: it is signed as the core
			 * starts, before it has any session. */
			cr->alive_first[o->index] = ev->member.heartbeat == 1;
		}
		break;
	case HS_MEMBER_DEPARTED:
		ch->departed++;
		break;
	default:
		break;
	}
}

bool sim_churn_filter(void *ctx, uint64_t peer, const uint8_t *msg, size_t msglen)
{
	(void)peer;
	struct sim_node *n = ctx;
	struct sim_churn *ch = &n->sim->churn;
	uint64_t now = n->sim->now;
	if (ch->start_ns && now >= ch->start_ns && now < ch->end_ns && msglen > 0) {
		unsigned t = msg[0] < 16 ? msg[0] : 0;
		ch->frames[t]++;
		ch->frame_bytes[t] += 2 + msglen + HS_NOISE_TAG_LEN; /* as sealed on the wire */
	}
	return true;
}

/* ---- the report ------------------------------------------------------------------------- */

/* Whether node i was up during the whole of [from, to]. */
static bool up_throughout(const struct hs_sim *sim, uint32_t i, uint64_t from, uint64_t to)
{
	const struct sim_node *n = &sim->nodes[i];
	if (!n->joined || n->joined_ns > from)
		return false;
	for (uint32_t k = n->last_crash; k != SIM_NONE; k = sim->churn.crashes[k].prev) {
		const struct sim_crash *cr = &sim->churn.crashes[k];
		if (cr->crash_ns <= to && cr->restart_ns >= from)
			return false;
	}
	return true;
}

struct samples {
	uint64_t *v;
	size_t n, cap;
};

static void add_sample(struct samples *s, uint64_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return; /* out of memory: the sample is lost, the counts stay right */
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

static void judge_long(const struct hs_sim *sim, const struct sim_crash *cr,
                       struct hs_sim_churn_report *r, struct samples *det, struct samples *rec)
{
	const struct sim_churn *ch = &sim->churn;
	/* Observers knew the node alive when it crashed: up since the churn began (after a
	 * converged warm-up every node saw every node alive) or for a dead timeout before. */
	uint64_t from = before(cr->crash_ns, ch->dead_ns), w_end = cr->restart_ns + ch->dead_ns;
	if (ch->converged && from < ch->start_ns)
		from = ch->start_ns;
	bool missed = false;
	for (uint32_t o = 0; o < sim->cfg.nodes; o++) {
		if (o == cr->node || !up_throughout(sim, o, from, cr->restart_ns))
			continue;
		r->detection_pairs++;
		if (cr->failed_at[o] != SIM_NEVER) {
			add_sample(det, cr->failed_at[o] - cr->crash_ns);
		} else {
			r->undetected_pairs++;
			missed = true;
		}
		if (w_end > sim->now || !up_throughout(sim, o, from, w_end))
			continue;
		r->recovery_pairs++;
		if (cr->alive_at[o] != SIM_NEVER) {
			r->recovered_pairs += cr->alive_at[o] <= w_end;
			r->recovered_first_heartbeat += cr->alive_first[o];
			add_sample(rec, cr->alive_at[o] - cr->restart_ns);
		}
	}
	r->undetected += missed;
}

void sim_churn_report(const struct hs_sim *sim, struct hs_sim_churn_report *r)
{
	const struct sim_churn *ch = &sim->churn;
	const struct hs_sim_config *c = &sim->cfg;
	memset(r, 0, sizeof(*r));
	r->warmup_s = ch->start_ns ? (double)(ch->start_ns - SIM_T0_NS) / 1e9 : 0;
	r->warmup_converged = ch->converged;
	r->churn_s = (double)c->churn_ns / 1e9;
	r->sim_seconds = (double)(sim->now - SIM_T0_NS) / 1e9;
	r->suspicion_timeout_ms = (double)ch->suspect_ns / 1e6;
	r->dead_timeout_ms = (double)ch->dead_ns / 1e6;
	r->recovery_window_ms = (double)ch->dead_ns / 1e6;
	r->crashes = ch->ncrashes;
	r->crashes_skipped = ch->skipped;
	r->false_dead = ch->false_dead;
	r->failed_while_up = ch->failed_while_up;
	r->false_suspect = ch->false_suspect;
	r->failed = ch->failed;
	r->suspected = ch->suspected;
	r->departed = ch->departed;
	r->short_failed = ch->short_failed;
	r->heartbeats_signed = ch->heartbeats_signed;
	if (ch->example_node != SIM_NONE) {
		r->has_example = true;
		r->example_observer = ch->example_observer;
		r->example_node = ch->example_node;
		r->example_s = (double)(ch->example_ns - SIM_T0_NS) / 1e9;
	}
	struct samples det = { 0 }, rec = { 0 };
	for (size_t k = 0; k < ch->ncrashes; k++) {
		const struct sim_crash *cr = &ch->crashes[k];
		if (!cr->long_) {
			r->short_crashes++;
			continue;
		}
		r->long_crashes++;
		if (cr->restart_ns != SIM_NEVER)
			judge_long(sim, cr, r, &det, &rec);
	}
	r->detection_ms = sim_percentiles(det.v, det.n);
	r->recovery_ms = sim_percentiles(rec.v, rec.n);
	free(det.v);
	free(rec.v);
	r->recovered_ratio =
	        r->recovery_pairs ? (double)r->recovered_pairs / (double)r->recovery_pairs : 1.0;
	double per = (double)c->nodes * (double)c->churn_ns / 1e9;
	for (unsigned t = 0; t < 16 && per > 0; t++) {
		r->bytes_per_node_per_s[t] = (double)ch->frame_bytes[t] / per;
		r->frames_per_node_per_s[t] = (double)ch->frames[t] / per;
		r->wire_bytes_per_node_per_s += r->bytes_per_node_per_s[t];
	}
	r->anti_entropy_bytes_per_node_per_s =
	        r->bytes_per_node_per_s[HS_MSG_SYNC] + r->bytes_per_node_per_s[HS_MSG_STATE];
	r->heartbeat_bytes_per_node_per_s =
	        r->bytes_per_node_per_s[HS_MSG_INV] + r->bytes_per_node_per_s[HS_MSG_GETDATA] +
	        r->bytes_per_node_per_s[HS_MSG_NOTFOUND] + r->bytes_per_node_per_s[HS_MSG_STATE];
	size_t alive_sum = 0;
	r->members_alive_min = SIZE_MAX;
	for (size_t i = 0; i < c->nodes; i++) {
		const struct sim_node *n = &sim->nodes[i];
		if (!n->node)
			continue;
		struct hs_node_usage u;
		hs_node_get_usage(n->node, &u);
		r->true_size++;
		alive_sum += u.members[HS_MEMBER_ALIVE];
		if (u.members[HS_MEMBER_ALIVE] < r->members_alive_min)
			r->members_alive_min = u.members[HS_MEMBER_ALIVE];
	}
	r->members_alive = r->true_size ? (double)alive_sum / (double)r->true_size : 0;
	if (r->true_size == 0)
		r->members_alive_min = 0;
}

/*
 * The simulated world: nodes and their capabilities, the pump, the event loop and the
 * scenario (join, warm-up, publish, tail).
 *
 * The pump is overlay/node.h's, for one node after every input: drain every open endpoint's
 * pending output onto its link (one chunk per endpoint per round), poll and handle every
 * event (a close first flushes what is pending, then closes both ends), repeat while anything
 * moved, check the node's invariants (cfg.check), and re-arm its one timer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_impl.h"

#define PUMP_ROUNDS_MAX 100000 /* a pump that keeps moving this long is a bug */
#define STUCK_MAX       10000  /* timer firings in a row that leave the deadline at now */
#define PROGRESS_EVERY  16384
#define SIM_NETWORK     "sim"
#define SIM_TOPIC       "sim"
#define CHURN_DEFAULT_S 60 /* --scenario churn: the churn window (docs/SIM.md §10) */

_Noreturn void sim_die(const struct hs_sim *sim, const char *what, uint32_t node)
{
	char cmd[512];
	hs_sim_command(&sim->cfg, cmd, sizeof(cmd));
	fprintf(stderr,
	        "hearsay-sim: BUG: %s (node %u%s, t=%.6f s)\n"
	        "hearsay-sim: reproduce with %s (and the same other flags)\n",
	        what, node, sim_is_attacker(sim, node) ? ", Byzantine" : "",
	        (double)(sim->now - SIM_T0_NS) / 1e9, cmd);
	abort();
}

void hs_sim_command(const struct hs_sim_config *c, char *buf, size_t cap)
{
	int k;
	if (c->churn) {
		/* Every flag the churn scenario's figures depend on. */
		k = snprintf(
		        buf, cap,
		        "hearsay-sim --scenario churn --seed %llu --nodes %zu --loss %g "
		        "--heartbeat-interval-s %g --suspect-heartbeats %u --dead-heartbeats %u "
		        "--churn-s %g --crashes %zu",
		        (unsigned long long)c->seed, c->nodes, c->loss,
		        (double)c->heartbeat_interval_ns / 1e9, c->suspect_heartbeats,
		        c->dead_heartbeats, (double)c->churn_ns / 1e9, c->crashes);
		if (k > 0 && (size_t)k < cap && c->check)
			snprintf(buf + k, cap - (size_t)k, " --check");
		return;
	}
	k = snprintf(buf, cap, "hearsay-sim --seed %llu --nodes %zu --rumors %zu",
	             (unsigned long long)c->seed, c->nodes, c->rumors);
	if (k > 0 && (size_t)k < cap && c->ipv6_fraction > 0)
		k += snprintf(buf + k, cap - (size_t)k, " --ipv6-fraction %g", c->ipv6_fraction);
	if (k > 0 && (size_t)k < cap && c->attack != HS_SIM_ATTACK_NONE)
		snprintf(buf + k, cap - (size_t)k,
		         " --attack %s --byzantine %zu --attacker-groups %zu --victims %zu "
		         "--attack-start-s %.3f",
		         hs_sim_attack_name(c->attack), c->byzantine, c->attacker_groups,
		         c->victims, (double)c->attack_start_ns / 1e9);
}

static void must(const struct hs_sim *sim, int err, const char *what, uint32_t node)
{
	if (err) {
		char line[160];
		snprintf(line, sizeof(line), "%s: %s", what, hs_strerror(err));
		sim_die(sim, line, node);
	}
}

/* ---- configuration ----------------------------------------------------------------------- */

void hs_sim_config_default(struct hs_sim_config *cfg, size_t nodes)
{
	memset(cfg, 0, sizeof(*cfg));
	struct hs_node_config nc;
	hs_node_config_default(&nc);
	cfg->nodes = nodes;
	cfg->rumors = 10;
	cfg->seed = 1;
	cfg->latency_min_ns = 20 * HS_NS_PER_MS;
	cfg->latency_max_ns = 200 * HS_NS_PER_MS;
	cfg->latency_dist = HS_SIM_LAT_UNIFORM;
	cfg->groups = nodes > 1 ? (nodes + 1) / 2 : 1;
	if (cfg->groups > 51200)
		cfg->groups = 51200;
	cfg->dial_timeout_ns = 3 * HS_NS_PER_S;
	cfg->seeds = nodes < 4 ? nodes : 4;
	uint64_t jw = (uint64_t)nodes * 2 * HS_NS_PER_MS;
	cfg->join_window_ns = jw < HS_NS_PER_S        ? HS_NS_PER_S
	                      : jw > 60 * HS_NS_PER_S ? 60 * HS_NS_PER_S
	                                              : jw;
	cfg->warmup_ns = 20 * HS_NS_PER_S;
	cfg->rumor_interval_ns = 100 * HS_NS_PER_MS;
	cfg->tail_ns = 30 * HS_NS_PER_S;
	cfg->payload_len = 256;
	cfg->eager_push = nc.eager_push;
	cfg->eager_cover_pct = nc.eager_cover_pct;
	cfg->eager_receivers_max = nc.eager_receivers_max;
	cfg->eager_wait_max_ns = nc.eager_wait_max_ns;
	cfg->outbound = nc.outbound_target;
	cfg->peers_max = nc.peers_max;
	cfg->addrbook_max = 256;
	cfg->pull_interval_ns = nc.pull_interval_ns;
	cfg->pull_window_ns = nc.pull_window_ns;
	cfg->retention_ns = nc.retention_ns;
	cfg->request_timeout_ns = nc.request_timeout_ns;
	cfg->lazy_delay_ns = nc.lazy_request_delay_ns;
	cfg->feeler_interval_ns = nc.feeler_interval_ns;
	/* Rationale: membership is off unless asked for (--heartbeat-interval-s, or a scenario
	 * about it): every heartbeat is one more object from every node, which at the simulator's
	 * few rumors would outweigh the dissemination being measured (docs/SIM.md). */
	cfg->heartbeat_interval_ns = 0;
	cfg->suspect_heartbeats = nc.suspect_heartbeats;
	cfg->dead_heartbeats = nc.dead_heartbeats;
	cfg->member_reap_ns = nc.member_reap_ns;
	cfg->request_nonpreferred_delay_ns = nc.request_nonpreferred_delay_ns;
	cfg->rotate_interval_ns = nc.rotate_interval_ns;
	cfg->bantime_ns = nc.bantime_ns;
	cfg->verifies_per_s = nc.verifies_per_s;
	cfg->score = nc.score;
	cfg->verify_cache_max = 1u << 18;
	cfg->attack_start_ns = UINT64_MAX;
	cfg->victim_restart_ns = UINT64_MAX;
	cfg->byzantine = cfg->attacker_groups = cfg->victims = HS_SIM_UNSET;
	cfg->cold_boot_lead_ns = 10 * HS_NS_PER_S;
	hs_sim_config_attack(cfg); /* honest: attack NONE, so no attacker */
}

void hs_sim_config_churn(struct hs_sim_config *cfg)
{
	struct hs_node_config nc;
	hs_node_config_default(&nc);
	cfg->churn = true;
	cfg->rumors = 0;
	cfg->heartbeat_interval_ns = nc.heartbeat_interval_ns;
	/* The warm-up lasts until every node sees every node alive, at most this long. */
	cfg->warmup_ns = 120 * HS_NS_PER_S;
	cfg->churn_ns = CHURN_DEFAULT_S * HS_NS_PER_S;
	cfg->crashes = cfg->nodes / 10 > 2 ? cfg->nodes / 10 : 2;
}

void hs_sim_config_attack(struct hs_sim_config *c)
{
	bool on = c->attack != HS_SIM_ATTACK_NONE;
	if (c->byzantine == HS_SIM_UNSET)
		c->byzantine = on ? c->nodes : 0;
	if (c->attacker_groups == HS_SIM_UNSET)
		c->attacker_groups = c->byzantine < 32 ? (c->byzantine ? c->byzantine : 1) : 32;
	if (c->victims == HS_SIM_UNSET)
		c->victims = on ? (c->nodes / 100 ? c->nodes / 100 : 1) : 0;
	uint64_t lead = c->attack == HS_SIM_ATTACK_COLD_BOOT ? c->cold_boot_lead_ns : 0;
	uint64_t publish0 = lead + c->join_window_ns + c->warmup_ns;
	/* covert-flash: honest while the first half of the rumors spreads (earning standing and
	 * push requests), then everyone withholds at once. */
	if (c->attack_start_ns == UINT64_MAX)
		c->attack_start_ns = c->attack == HS_SIM_ATTACK_COVERT_FLASH
		                             ? publish0 + c->rumors / 2 * c->rumor_interval_ns
		                             : 0;
	if (c->victim_restart_ns == UINT64_MAX)
		c->victim_restart_ns =
		        publish0 > 5 * HS_NS_PER_S ? publish0 - 5 * HS_NS_PER_S : publish0 / 2;
}

const char *hs_sim_config_check(const struct hs_sim_config *c)
{
	if (c->nodes < 1 || c->nodes > 1000000)
		return "nodes must be 1..1000000";
	if ((c->rumors < 1 && !c->churn) || c->rumors > 1000000 || c->rumors * c->nodes > 50000000)
		return "rumors must be 1..1000000, and rumors x nodes at most 50000000";
	if (c->churn && (c->rumors != 0 || c->state || c->partition ||
	                 (c->byzantine > 0 && c->attack != HS_SIM_ATTACK_FALSE_SUSPECT)))
		return "the churn scenario publishes no rumors and takes no partition or attack "
		       "but "
		       "false-suspect";
	if (c->churn && c->heartbeat_interval_ns == 0)
		return "the churn scenario needs heartbeats (heartbeat-interval-s > 0)";
	if (c->churn && c->nodes < 2)
		return "the churn scenario needs at least 2 nodes";
	if (c->suspect_heartbeats < 1 || c->dead_heartbeats <= c->suspect_heartbeats ||
	    c->dead_heartbeats > 1000)
		return "suspect-heartbeats must be at least 1, and dead-heartbeats more, at most "
		       "1000";
	if (c->churn_ns > 24 * 3600 * HS_NS_PER_S || c->crashes > 1000000)
		return "churn-s must be at most a day, and crashes at most 1000000";
	if (!(c->loss >= 0 && c->loss <= 0.9))
		return "loss must be in [0, 0.9]";
	if (c->latency_min_ns < 100000 || c->latency_max_ns < c->latency_min_ns ||
	    c->latency_max_ns > 10 * HS_NS_PER_S)
		return "latency must be MIN-MAX ms with 0.1 <= MIN <= MAX <= 10000";
	if (c->groups < 1 || c->groups > 51200 || c->groups > c->nodes ||
	    (c->nodes + c->groups - 1) / c->groups > 254 * 256)
		return "groups must be 1..min(nodes, 51200), with at most 65024 nodes per group";
	if (c->seeds < 1 || c->seeds > c->nodes || c->seeds > 64)
		return "seeds must be 1..min(nodes, 64)";
	if (c->partition && (!(c->partition_fraction > 0 && c->partition_fraction < 1) ||
	                     c->partition_end_ns <= c->partition_start_ns))
		return "partition must be START_S:END_S:FRACTION with START < END, 0 < FRACTION < "
		       "1";
	if (c->payload_len > HS_RUMOR_PAYLOAD_MAX)
		return "payload is larger than a rumor may carry (60000 bytes)";
	if (c->peers_max < 1 || c->peers_max > HS_PEERS_MAX || c->outbound > c->peers_max)
		return "peers-max must be 1..128 and outbound at most peers-max";
	if (c->eager_push > HS_PEERS_MAX || c->eager_receivers_max > HS_PEERS_MAX)
		return "eager-push and eager-receivers must be 0..128";
	if (c->eager_cover_pct > 100)
		return "eager-cover must be 0..100";
	if (c->pull_interval_ns == 0 || c->request_timeout_ns == 0)
		return "pull interval and request timeout must be positive";
	if (c->pull_window_ns > c->retention_ns)
		return "pull window must not exceed retention";
	if (c->addrbook_max < 1 || c->addrbook_max > 1000000)
		return "addrbook-max must be 1..1000000";
	if (c->dial_timeout_ns == 0)
		return "dial timeout must be positive";
	if (!(c->ipv6_fraction >= 0 && c->ipv6_fraction <= 1))
		return "ipv6-fraction must be in [0, 1]";
	if (c->verifies_per_s < 1 || c->verifies_per_s > 1000000000)
		return "verifies-per-s must be 1..1000000000";
	if (hs_score_params_check(&c->score) != 0)
		return "the score-* weights must form a ladder: faults negative, rewards not, and "
		       "0 > "
		       "score-gossip > score-graylist > score-ban >= -1000";
	if (c->bantime_ns == 0)
		return "bantime-s must be positive";
	if ((unsigned)c->attack >= HS_SIM_ATTACK_COUNT)
		return "unknown attack";
	if (c->byzantine > 100000 || (c->byzantine > 0 && c->attack == HS_SIM_ATTACK_NONE))
		return "byzantine must be 0..100000, and needs --attack";
	if (c->byzantine > 0 &&
	    (c->attacker_groups < 1 || c->attacker_groups > 12800 ||
	     c->attacker_groups > c->byzantine ||
	     (c->byzantine + c->attacker_groups - 1) / c->attacker_groups > 254 * 256))
		return "attacker-groups must be 1..min(byzantine, 12800), at most 65024 per group";
	if (c->victims > c->nodes - (c->seeds < c->nodes ? c->seeds : c->nodes))
		return "victims must be at most the honest nodes that are not seeds";
	if (c->attack_start_ns > 24 * 3600 * HS_NS_PER_S ||
	    c->victim_restart_ns > 24 * 3600 * HS_NS_PER_S ||
	    c->cold_boot_lead_ns > 3600 * HS_NS_PER_S)
		return "attack start and victim restart must be at most a day";
	if (c->attack == HS_SIM_ATTACK_FALSE_SUSPECT && c->heartbeat_interval_ns == 0)
		return "--attack false-suspect needs heartbeats (--heartbeat-interval-s)";
	if (c->heartbeat_interval_ns != 0 && c->heartbeat_interval_ns < 100 * HS_NS_PER_MS)
		return "the heartbeat interval must be 0 (none) or at least 0.1 s";
	if (c->member_reap_ns == 0 || c->member_reap_ns > 365 * 24 * 3600 * HS_NS_PER_S)
		return "member-reap-s must be 1 s .. a year";
	/* Bounds that keep every absolute time far from overflowing 64 bits. */
	const uint64_t hour = 3600 * HS_NS_PER_S, day = 24 * hour;
	if (c->join_window_ns > hour || c->warmup_ns > day || c->tail_ns > day ||
	    c->rumor_interval_ns > hour || c->dial_timeout_ns > hour ||
	    c->pull_interval_ns > hour || c->request_timeout_ns > hour || c->lazy_delay_ns > hour ||
	    c->eager_wait_max_ns > hour || c->feeler_interval_ns > hour ||
	    c->heartbeat_interval_ns > 600 * HS_NS_PER_S || c->retention_ns > day ||
	    c->request_nonpreferred_delay_ns > hour || c->rotate_interval_ns > day ||
	    c->bantime_ns > 365 * day || c->partition_start_ns < -(int64_t)day ||
	    c->partition_end_ns > (int64_t)day)
		return "durations must be at most an hour (warm-up, tail, retention, partition: a "
		       "day)";
	return NULL;
}

/* ---- capabilities ------------------------------------------------------------------------ */

static void cap_random(void *ctx, uint8_t *out, size_t outlen)
{
	struct sim_node *n = ctx;
	sim_rng_bytes(&n->rng, out, outlen);
}

static int cap_sign(void *ctx, uint8_t sig[HS_SIG_LEN], const uint8_t digest[32])
{
	struct sim_node *n = ctx;
	uint8_t aux[32];
	sim_rng_bytes(&n->rng, aux, sizeof(aux));
	return hs_identity_sign(n->sim->crypto, n->identity, sig, digest, aux);
}

static int cap_verify(void *ctx, const uint8_t pub[HS_KEY_LEN], const uint8_t sig[HS_SIG_LEN],
                      const uint8_t digest[32])
{
	struct sim_node *n = ctx;
	struct hs_sim *sim = n->sim;
	if (!n->adv) {
		sim->verify_honest++;
		sim->verify_attackers += sim_is_attacker(sim, sim->cur_from);
	}
	return sim_vcache_verify(&sim->vc, sim->crypto, pub, sig, digest);
}

static void cap_log(void *ctx, enum hs_log_level level, const char *line)
{
	struct sim_node *n = ctx;
	static const char *names[] = { "error", "warn", "info", "debug" };
	fprintf(stderr, "%12.6f node %u %s: %s\n", (double)(n->sim->now - SIM_T0_NS) / 1e9,
	        n->index, names[(unsigned)level & 3], line);
}

/* ---- rumors ------------------------------------------------------------------------------ */

static size_t rumor_slot(const struct hs_sim *sim, const uint8_t id[HS_ID_LEN])
{
	uint64_t h;
	memcpy(&h, id, sizeof(h));
	return (size_t)(sim_mix64(h) & (sim->rumor_index_cap - 1));
}

uint32_t sim_rumor_find(const struct hs_sim *sim, const uint8_t id[HS_ID_LEN])
{
	for (size_t k = rumor_slot(sim, id); sim->rumor_index[k];
	     k = (k + 1) & (sim->rumor_index_cap - 1)) {
		uint32_t r = sim->rumor_index[k] - 1;
		if (memcmp(sim->rumors[r].id, id, HS_ID_LEN) == 0)
			return r;
	}
	return SIM_NONE;
}

static void rumor_register(struct hs_sim *sim, uint32_t r)
{
	size_t k = rumor_slot(sim, sim->rumors[r].id);
	while (sim->rumor_index[k])
		k = (k + 1) & (sim->rumor_index_cap - 1);
	sim->rumor_index[k] = r + 1;
}

static void on_deliver(struct hs_sim *sim, struct sim_node *n, const struct hs_event *ev)
{
	uint32_t r = sim_rumor_find(sim, ev->id);
	if (r == SIM_NONE)
		sim_die(sim, "delivered a rumor nobody published", n->index);
	size_t slot = (size_t)r * sim->cfg.nodes + n->index;
	if (sim->deliver_ns[slot] != SIM_NEVER) {
		sim->double_deliveries++;
		return;
	}
	sim->deliver_ns[slot] = sim->now - sim->rumors[r].publish_ns;
	sim->parent[slot] = sim->cur_from;
	sim->deliveries++;
}

/* ---- the pump ---------------------------------------------------------------------------- */

/* Moves everything pending for handle into one chunk on its link; false if nothing was. */
static bool drain_one(struct hs_sim *sim, struct sim_node *n, const struct sim_ep *ep)
{
	size_t pend = hs_node_pending(n->node, ep->handle);
	if (pend == 0)
		return false;
	struct sim_chunk *ch = NULL;
	size_t len = 0;
	while ((pend = hs_node_pending(n->node, ep->handle)) > 0) {
		struct sim_chunk *g = realloc(ch, sizeof(*ch) + len + pend);
		if (!g)
			sim_die(sim, "out of memory", n->index);
		ch = g;
		size_t k = hs_node_write(n->node, ep->handle, ch->data + len, pend, sim->now);
		len += k;
		if (k == 0)
			break;
	}
	ch->len = (uint32_t)len;
	ch->fin = false;
	must(sim, sim_link_send(sim, ep->conn, ep->side, ch), "link", n->index);
	return true;
}

static bool drain(struct hs_sim *sim, struct sim_node *n)
{
	bool any = false;
	for (size_t i = 0; i < n->neps; i++)
		any |= drain_one(sim, n, &n->eps[i]);
	return any;
}

/* Closes our end of a connection: what is pending goes first, then the FIN. */
static void close_local(struct hs_sim *sim, struct sim_node *n, uint64_t handle)
{
	struct sim_ep *ep = sim_ep_find(n, handle);
	if (!ep)
		return;
	struct sim_ep e = *ep;
	drain_one(sim, n, &e);
	struct sim_chunk *fin = calloc(1, sizeof(*fin));
	if (!fin)
		sim_die(sim, "out of memory", n->index);
	fin->fin = true;
	must(sim, sim_link_send(sim, e.conn, e.side, fin), "link", n->index);
	struct sim_conn *k = &sim->conns[e.conn];
	k->state[e.side] = SIM_EP_CLOSED;
	k->up[e.side] = false;
	sim_ep_remove(n, handle);
	hs_node_peer_closed(n->node, handle, sim->now);
}

/* An honest node banned someone: which simulated node that names. */
static void on_ban(struct hs_sim *sim, const struct hs_event *ev)
{
	if (ev->keylen < 33)
		return;
	uint8_t kind = ev->key[0];
	sim->bans_by_kind[kind < 4 ? kind : 0]++;
	uint32_t who = sim_keymap_find(sim, ev->key + 1);
	if (who == SIM_NONE) {
		sim->bans_unmapped++;
		return;
	}
	sim->banned[who] = true;
}

static void on_save(struct hs_sim *sim, struct sim_node *n, const struct hs_event *ev)
{
	if (n->adv)
		return; /* attackers never restart */
	if (ev->save_kind == HS_SAVE_BAN)
		on_ban(sim, ev);
	must(sim, sim_store_save(&n->store, ev), "saved bytes", n->index);
}

/* --scenario state: an honest node took entry "s<r>" (each is set once, so each arrival is
 * one (entry, node) pair). */
static void on_state(struct hs_sim *sim, const struct hs_event *ev)
{
	const struct hs_entry *e = &ev->entry;
	if (!sim->cfg.state || e->key_len < 2 || e->key_len > 11 || e->key[0] != 's')
		return;
	uint64_t r = 0;
	for (size_t i = 1; i < e->key_len; i++) {
		if (e->key[i] < '0' || e->key[i] > '9')
			return;
		r = r * 10 + (uint64_t)(e->key[i] - '0');
	}
	if (r >= sim->cfg.rumors || !sim->rumors[r].published)
		return;
	sim->state_arrivals++;
	uint64_t t = sim->now - sim->rumors[r].publish_ns;
	if (t > sim->state_last_ns)
		sim->state_last_ns = t;
}

static void on_event(struct hs_sim *sim, struct sim_node *n, const struct hs_event *ev)
{
	struct sim_ep *ep;
	if (n->adv)
		sim_attack_event(sim, n, ev);
	switch (ev->type) {
	case HS_EV_DELIVER:
		if (!n->adv)
			on_deliver(sim, n, ev);
		break;
	case HS_EV_STATE:
		if (!n->adv)
			on_state(sim, ev);
		break;
	case HS_EV_MEMBER:
		if (!n->adv && sim->cfg.churn)
			sim_churn_member(sim, n, ev);
		break;
	case HS_EV_SAVE:
		on_save(sim, n, ev);
		break;
	case HS_EV_DIAL:
		must(sim, sim_net_dial(sim, n->index, &ev->addr), "dial", n->index);
		break;
	case HS_EV_CLOSE:
		close_local(sim, n, ev->peer);
		break;
	case HS_EV_PEER_UP:
		if ((ep = sim_ep_find(n, ev->peer)) != NULL)
			sim->conns[ep->conn].up[ep->side] = true;
		break;
	case HS_EV_FAULT:
		if (n->adv)
			break; /* what attackers think of honest nodes is not a metric */
		sim->faults++;
		sim->flood_faults += ev->fault == HS_SCORE_FLOOD;
		if (sim->cfg.node_log)
			fprintf(stderr, "node %u: fault %d: %s\n", n->index, ev->fault,
			        ev->text ? ev->text : "");
		break;
	default:
		break; /* PEER_DOWN (ends are marked when closed) */
	}
}

static void arm(struct hs_sim *sim, struct sim_node *n)
{
	uint64_t d = hs_node_next_deadline(n->node);
	if (d == SIM_NEVER) {
		n->timer_at = SIM_NEVER;
		return;
	}
	if (d < sim->now)
		d = sim->now;
	if (d == n->timer_at)
		return;
	n->timer_at = d;
	must(sim, sim_evq_push(&sim->evq, d, SIM_EV_TIMER, n->index, 0, NULL), "queue", n->index);
}

void sim_pump(struct hs_sim *sim, struct sim_node *n)
{
	for (unsigned round = 0;; round++) {
		if (round >= PUMP_ROUNDS_MAX)
			sim_die(sim, "the pump never settles", n->index);
		bool any = n->adv ? sim_attack_flush(sim, n) : false;
		any |= drain(sim, n);
		struct hs_event ev;
		while (hs_node_poll_event(n->node, &ev)) {
			any = true;
			on_event(sim, n, &ev);
		}
		if (!any)
			break;
	}
	if (sim->cfg.check) {
		sim->check_calls++;
		if (!hs_node_check(n->node))
			sim_die(sim, "hs_node_check failed", n->index);
	}
	if (n->victim)
		sim_attack_sample_victim(sim, n);
	arm(sim, n);
}

/* ---- inputs ------------------------------------------------------------------------------ */

/* Makes node i's core (its keys exist): the config a daemon would have, our capabilities. */
static void make_core(struct hs_sim *sim, struct sim_node *n)
{
	uint32_t i = n->index;
	struct hs_node_config nc;
	hs_node_config_default(&nc);
	nc.network = SIM_NETWORK;
	nc.generation = n->generation;
	memcpy(nc.identity, hs_identity_pubkey(n->identity), HS_KEY_LEN);
	nc.crypto = sim->crypto;
	nc.noise_static = n->noise;
	uint8_t aux[32];
	sim_rng_bytes(&n->rng, aux, sizeof(aux));
	must(sim,
	     hs_handshake_prove(sim->crypto, n->identity, SIM_NETWORK, n->noise, aux,
	                        nc.noise_proof),
	     "identity proof", i);
	nc.naddrs = 1;
	nc.addrs[0] = n->addr;
	nc.outbound_target = sim->cfg.outbound;
	nc.peers_max = sim->cfg.peers_max;
	if (i < sim->cfg.seeds && !sim->cfg.seeds_as_peers) {
		/* A dedicated bootnode: its record lists no address, so nobody keeps it as a
		 * regular peer and its slots stay free for joiners fetching addresses. */
		nc.naddrs = 0;
		nc.peers_max = HS_PEERS_MAX;
	}
	if (n->adv)
		nc.peers_max = HS_PEERS_MAX; /* an attacker takes every session it can get */
	nc.eager_push = sim->cfg.eager_push;
	nc.eager_cover_pct = (uint32_t)sim->cfg.eager_cover_pct;
	nc.eager_receivers_max = sim->cfg.eager_receivers_max;
	nc.eager_wait_max_ns = sim->cfg.eager_wait_max_ns;
	nc.pull_interval_ns = sim->cfg.pull_interval_ns;
	nc.pull_window_ns = sim->cfg.pull_window_ns;
	nc.retention_ns = sim->cfg.retention_ns;
	nc.request_timeout_ns = sim->cfg.request_timeout_ns;
	nc.lazy_request_delay_ns = sim->cfg.lazy_delay_ns;
	nc.feeler_interval_ns = sim->cfg.feeler_interval_ns;
	nc.heartbeat_interval_ns = sim->cfg.heartbeat_interval_ns;
	nc.suspect_heartbeats = sim->cfg.suspect_heartbeats;
	nc.dead_heartbeats = sim->cfg.dead_heartbeats;
	nc.member_reap_ns = sim->cfg.member_reap_ns;
	nc.addrbook_max = sim->cfg.addrbook_max;
	nc.request_nonpreferred_delay_ns = sim->cfg.request_nonpreferred_delay_ns;
	nc.rotate_interval_ns = sim->cfg.rotate_interval_ns;
	nc.bantime_ns = sim->cfg.bantime_ns;
	nc.verifies_per_s = sim->cfg.verifies_per_s;
	nc.score = sim->cfg.score;
	struct hs_caps caps = { .ctx = n,
		                .random = cap_random,
		                .sign = cap_sign,
		                .verify = cap_verify,
		                .log = sim->cfg.node_log ? cap_log : NULL,
		                .filter_out = n->adv           ? sim_attack_filter
		                              : sim->cfg.churn ? sim_churn_filter
		                                               : NULL };
	must(sim, hs_node_new(&n->node, &nc, &caps, sim->now), "hs_node_new", i);
	n->timer_at = SIM_NEVER;
}

static void add_seeds(struct hs_sim *sim, struct sim_node *n)
{
	for (uint32_t s = 0; s < sim->cfg.seeds; s++) {
		if (s == n->index)
			continue;
		must(sim, hs_node_add_seed(n->node, &sim->nodes[s].addr, sim->now), "seed",
		     n->index);
		sim_pump(sim, n);
	}
}

static void keymap_add(struct hs_sim *sim, const uint8_t key[32], uint32_t node)
{
	uint64_t h;
	memcpy(&h, key, sizeof(h));
	size_t k = sim_mix64(h) & (sim->keymap_cap - 1);
	while (sim->keymap_node[k])
		k = (k + 1) & (sim->keymap_cap - 1);
	memcpy(sim->keymap_keys[k], key, 32);
	sim->keymap_node[k] = node + 1;
}

uint32_t sim_keymap_find(const struct hs_sim *sim, const uint8_t key[32])
{
	uint64_t h;
	memcpy(&h, key, sizeof(h));
	for (size_t k = sim_mix64(h) & (sim->keymap_cap - 1); sim->keymap_node[k];
	     k = (k + 1) & (sim->keymap_cap - 1))
		if (memcmp(sim->keymap_keys[k], key, 32) == 0)
			return sim->keymap_node[k] - 1;
	return SIM_NONE;
}

static void node_join(struct hs_sim *sim, uint32_t i)
{
	struct sim_node *n = &sim->nodes[i];
	uint8_t b[32];
	int err;
	do {
		sim_rng_bytes(&n->rng, b, sizeof(b));
		err = hs_identity_new(&n->identity, sim->crypto, b);
	} while (err == HS_ERR_BAD_KEY);
	if (!err) {
		sim_rng_bytes(&n->rng, b, sizeof(b));
		err = hs_noise_static_new(&n->noise, b);
	}
	sodium_memzero(b, sizeof(b));
	must(sim, err, "keys", i);
	keymap_add(sim, hs_identity_pubkey(n->identity), i);
	make_core(sim, n);
	n->joined = true;
	n->joined_ns = n->up_since = sim->now;
	sim_pump(sim, n);
	add_seeds(sim, n);
	if (n->adv)
		sim_attack_joined(sim, n);
}

/* Every connection of node i ends as a crash ends it: the other ends see a FIN, and nothing
 * of the old life is fed to the new one. */
static void crash_connections(struct hs_sim *sim, uint32_t i)
{
	for (size_t c = 0; c < sim->nconns; c++) {
		struct sim_conn *k = &sim->conns[c];
		for (unsigned side = 0; side < 2; side++) {
			if (k->node[side] != i || k->state[side] == SIM_EP_CLOSED)
				continue;
			if (k->state[side] == SIM_EP_PENDING && side == 1)
				continue; /* the SYN is still on its way: the new life answers it */
			k->state[side] = SIM_EP_CLOSED;
			k->up[side] = false;
			struct sim_chunk *fin = calloc(1, sizeof(*fin));
			if (!fin)
				sim_die(sim, "out of memory", i);
			fin->fin = true;
			must(sim, sim_link_send(sim, (uint32_t)c, side, fin), "link", i);
		}
	}
}

void sim_node_crash(struct hs_sim *sim, uint32_t i)
{
	struct sim_node *n = &sim->nodes[i];
	if (!n->joined || n->adv || n->down)
		return;
	crash_connections(sim, i);
	n->neps = 0;
	hs_node_del(n->node);
	n->node = NULL;
	n->epoch++; /* events of the old life (its dial failures, its timer) are ignored */
	n->timer_at = SIM_NEVER;
	n->down = true;
}

void sim_node_start(struct hs_sim *sim, uint32_t i)
{
	struct sim_node *n = &sim->nodes[i];
	if (!n->joined || n->adv || !n->down)
		return;
	n->down = false;
	n->up_since = sim->now;
	n->generation++;
	n->hb_sent = 0;
	sim->restarts++;
	make_core(sim, n);
	sim_store_load(&n->store, n->node, sim->now);
	sim_pump(sim, n);
	add_seeds(sim, n);
}

void sim_node_restart(struct hs_sim *sim, uint32_t i)
{
	sim_node_crash(sim, i);
	sim_node_start(sim, i);
}

uint32_t sim_peer_node(struct hs_sim *sim, struct sim_node *n, uint64_t handle)
{
	struct sim_ep *ep = sim_ep_find(n, handle);
	if (!ep)
		return SIM_NONE;
	return sim->conns[ep->conn].node[1 - ep->side];
}

static void on_open(struct hs_sim *sim, uint32_t c, unsigned side)
{
	struct sim_conn *k = &sim->conns[c];
	if (k->state[side] != SIM_EP_PENDING)
		return;
	struct sim_node *n = &sim->nodes[k->node[side]];
	if (side == 1 && n->down) {
		/* The SYN reached a crashed node: refused, the dialler learns it a round trip
		 * after its dial. */
		k->state[1] = SIM_EP_CLOSED;
		k->refused = true;
		return;
	}
	if (side == 0 && k->refused) {
		k->state[0] = SIM_EP_CLOSED;
		sim->dials_failed++;
		hs_node_dial_failed(n->node, &k->seen_as[0], sim->now);
		sim_pump(sim, n);
		return;
	}
	uint64_t h;
	int err = hs_node_peer_open(n->node, &h, side == 1, &k->seen_as[side], sim->now);
	if (err == 0) {
		k->state[side] = SIM_EP_OPEN;
		k->handle[side] = h;
		must(sim, sim_ep_add(n, h, c, (uint8_t)side), "endpoint", n->index);
	} else {
		/* No free slot: the socket is closed at once and the other end sees a FIN. */
		k->state[side] = SIM_EP_CLOSED;
		if (side == 0)
			hs_node_dial_failed(n->node, &k->seen_as[0], sim->now);
		struct sim_chunk *fin = calloc(1, sizeof(*fin));
		if (!fin)
			sim_die(sim, "out of memory", n->index);
		fin->fin = true;
		must(sim, sim_link_send(sim, c, side, fin), "link", n->index);
	}
	sim_pump(sim, n);
}

static void on_chunk(struct hs_sim *sim, uint32_t c, unsigned side, struct sim_chunk *ch)
{
	struct sim_conn *k = &sim->conns[c];
	if (k->state[side] == SIM_EP_PENDING)
		sim_die(sim, "a chunk reached an endpoint before it opened", k->node[side]);
	if (k->state[side] != SIM_EP_OPEN) {
		sim->chunks_dropped++;
		return;
	}
	struct sim_node *n = &sim->nodes[k->node[side]];
	uint64_t h = k->handle[side];
	if (ch->fin) {
		k->state[side] = SIM_EP_CLOSED;
		k->up[side] = false;
		sim_ep_remove(n, h);
		hs_node_peer_closed(n->node, h, sim->now);
		sim_pump(sim, n);
		return;
	}
	sim->cur_from = k->node[1 - side];
	if (hs_node_recv(n->node, h, ch->data, ch->len, sim->now) != 0)
		sim_die(sim, "hs_node_recv refused a live handle", n->index);
	sim_pump(sim, n);
	sim->cur_from = SIM_NONE;
}

static bool on_timer(struct hs_sim *sim, uint32_t i, uint64_t at)
{
	struct sim_node *n = &sim->nodes[i];
	if (n->timer_at != at)
		return false; /* stale: the deadline moved since this was armed */
	n->timer_at = SIM_NEVER;
	hs_node_timer(n->node, sim->now);
	if (sim->cfg.churn && !n->adv)
		sim_churn_timer(sim, n);
	sim_pump(sim, n);
	if (n->timer_at <= sim->now) {
		if (++n->stuck > STUCK_MAX)
			sim_die(sim, "the node's deadline stays in the past after its timer ran",
			        i);
	} else {
		n->stuck = 0;
	}
	return true;
}

static void on_publish(struct hs_sim *sim, uint32_t r)
{
	if (r == 0) {
		sim_totals_sum(sim, &sim->base);
		sim_count_sessions(sim);
	}
	if (r % 8 == 0)
		sim_sample_memory(sim);
	struct sim_rumor *rm = &sim->rumors[r];
	rm->origin = (uint32_t)sim_rng_below(&sim->rng, sim->cfg.nodes);
	if (sim->cfg.attack == HS_SIM_ATTACK_CENSOR && r % 2 == 0)
		rm->origin = sim->censor_target; /* half the rumors come from the censored origin */
	rm->publish_ns = sim->now;
	must(sim, sim_flood_bound(sim, r), "flood bound", rm->origin);
	uint8_t *payload = malloc(sim->cfg.payload_len + 1);
	if (!payload)
		sim_die(sim, "out of memory", rm->origin);
	sim_rng_bytes(&sim->rng, payload, sim->cfg.payload_len);
	for (size_t b = 0; b < 4 && b < sim->cfg.payload_len; b++)
		payload[b] = (uint8_t)(r >> (8 * b)); /* the index, for a human reading a dump */
	struct sim_node *n = &sim->nodes[rm->origin];
	int err = hs_node_publish(n->node, rm->id, SIM_TOPIC, payload, sim->cfg.payload_len,
	                          sim->now);
	if (!err && sim->cfg.state) {
		char key[16];
		snprintf(key, sizeof(key), "s%u", r);
		err = hs_node_set_state(n->node, key, payload,
		                        sim->cfg.payload_len < 32 ? sim->cfg.payload_len : 32, NULL,
		                        sim->now);
	}
	free(payload);
	must(sim, err, "publish", rm->origin);
	rm->published = true;
	rumor_register(sim, r);
	sim->published++;
	sim->cur_from = SIM_NONE;
	sim_pump(sim, n);
	if (sim->published == sim->cfg.rumors) {
		uint64_t end = sim->now;
		if (sim->cfg.partition) {
			int64_t pe = (int64_t)sim->publish0_ns + sim->cfg.partition_end_ns;
			if (pe > 0 && (uint64_t)pe > end)
				end = (uint64_t)pe;
		}
		sim->end_ns = end + sim->cfg.tail_ns;
	}
}

/* Runs one event; false for a stale timer (no input happened). */
static bool dispatch(struct hs_sim *sim, struct sim_event *ev)
{
	bool input = true;
	switch (ev->kind) {
	case SIM_EV_JOIN:
		node_join(sim, ev->a);
		break;
	case SIM_EV_TIMER:
		input = on_timer(sim, ev->a, ev->at_ns);
		break;
	case SIM_EV_OPEN_IN:
		on_open(sim, ev->a, 1);
		break;
	case SIM_EV_OPEN_OUT:
		on_open(sim, ev->a, 0);
		break;
	case SIM_EV_CHUNK:
		on_chunk(sim, ev->a, (unsigned)ev->b, ev->ptr);
		break;
	case SIM_EV_DIAL_FAIL: {
		struct sim_node *n = &sim->nodes[ev->a];
		if (ev->b != n->epoch)
			break; /* dialled by a life that has since crashed */
		hs_node_dial_failed(n->node, ev->ptr, sim->now);
		sim_pump(sim, n);
		break;
	}
	case SIM_EV_ATTACK:
		sim_attack_tick(sim, &sim->nodes[ev->a]);
		break;
	case SIM_EV_RESTART:
		sim_node_restart(sim, ev->a);
		break;
	case SIM_EV_PUBLISH:
		on_publish(sim, ev->a);
		break;
	case SIM_EV_CHURN:
	case SIM_EV_CRASH:
	case SIM_EV_START:
		sim_churn_event(sim, ev);
		break;
	default:
		sim_die(sim, "unknown simulator event", SIM_NONE);
	}
	free(ev->ptr);
	ev->ptr = NULL;
	return input;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static int place_nodes(struct hs_sim *sim)
{
	size_t n = sim->cfg.nodes;
	for (uint32_t i = 0; i < sim->nall; i++) {
		struct sim_node *nd = &sim->nodes[i];
		nd->sim = sim;
		nd->index = i;
		nd->addr = sim_node_addr(sim, i);
		nd->timer_at = SIM_NEVER;
		nd->last_crash = SIM_NONE;
		/* Node i's stream depends on (seed, i) only: attackers added after the honest
		 * nodes leave the honest nodes' keys and draws alone. */
		sim_rng_seed(&nd->rng, sim_mix64(sim->cfg.seed) ^ sim_mix64(0x6e6f6465ull + i));
		nd->x = (float)sim_rng_unit(&nd->rng);
		nd->y = (float)sim_rng_unit(&nd->rng);
	}
	if (!sim->cfg.partition)
		return 0;
	/* The far side: the first fraction of a random permutation (partial Fisher-Yates). */
	uint32_t *perm = malloc(n * sizeof(*perm));
	if (!perm)
		return HS_ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	size_t far = (size_t)(sim->cfg.partition_fraction * (double)n);
	for (size_t i = 0; i < far; i++) {
		size_t j = i + (size_t)sim_rng_below(&sim->rng, n - i);
		uint32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
		sim->nodes[perm[i]].side = 1;
	}
	free(perm);
	return 0;
}

static int schedule(struct hs_sim *sim)
{
	const struct hs_sim_config *c = &sim->cfg;
	int err = 0;
	/* Cold boot: the seeds first, then the attackers over the lead, then everyone else (the
	 * benign twin keeps the same honest schedule). */
	uint64_t lead = c->attack == HS_SIM_ATTACK_COLD_BOOT ? c->cold_boot_lead_ns : 0;
	for (uint32_t i = 0; i < c->nodes && !err; i++)
		err = sim_evq_push(&sim->evq,
		                   SIM_T0_NS + (i < c->seeds ? 0 : lead) +
		                           c->join_window_ns * i / c->nodes,
		                   SIM_EV_JOIN, i, 0, NULL);
	for (uint32_t j = 0; j < c->byzantine && !err; j++) {
		uint64_t span = lead ? lead / 2 : c->join_window_ns;
		err = sim_evq_push(&sim->evq, SIM_T0_NS + span * j / c->byzantine + (lead ? 1 : 0),
		                   SIM_EV_JOIN, (uint32_t)(c->nodes + j), 0, NULL);
	}
	if (c->attack == HS_SIM_ATTACK_ECLIPSE)
		for (uint32_t i = 0; i < c->nodes && !err; i++)
			if (sim->nodes[i].victim)
				err = sim_evq_push(&sim->evq, SIM_T0_NS + c->victim_restart_ns,
				                   SIM_EV_RESTART, i, 0, NULL);
	sim->publish0_ns = SIM_T0_NS + lead + c->join_window_ns + c->warmup_ns;
	for (uint32_t r = 0; r < c->rumors && !err; r++)
		err = sim_evq_push(&sim->evq, sim->publish0_ns + r * c->rumor_interval_ns,
		                   SIM_EV_PUBLISH, r, 0, NULL);
	return err;
}

static int alloc_results(struct hs_sim *sim)
{
	size_t rn = sim->cfg.rumors * sim->cfg.nodes;
	sim->rumors = calloc(sim->cfg.rumors + 1, sizeof(*sim->rumors)); /* churn: none */
	sim->rumor_index_cap = 16;
	while (sim->rumor_index_cap < 2 * sim->cfg.rumors)
		sim->rumor_index_cap *= 2;
	sim->rumor_index = calloc(sim->rumor_index_cap, sizeof(*sim->rumor_index));
	sim->deliver_ns = malloc((rn + 1) * sizeof(*sim->deliver_ns));
	sim->flood_ns = malloc((rn + 1) * sizeof(*sim->flood_ns));
	sim->parent = malloc((rn + 1) * sizeof(*sim->parent));
	if (!sim->rumors || !sim->rumor_index || !sim->deliver_ns || !sim->flood_ns || !sim->parent)
		return HS_ERR_NOMEM;
	for (size_t i = 0; i < rn; i++) {
		sim->deliver_ns[i] = SIM_NEVER;
		sim->flood_ns[i] = SIM_NEVER;
		sim->parent[i] = SIM_NONE;
	}
	sim->deliveries_max = rn;
	return 0;
}

int hs_sim_new(struct hs_sim **out, const struct hs_sim_config *cfg)
{
	if (hs_sim_config_check(cfg))
		return HS_ERR_INVALID;
	if (sodium_init() < 0)
		return HS_ERR_STATE;
	struct hs_sim *sim = calloc(1, sizeof(*sim));
	if (!sim)
		return HS_ERR_NOMEM;
	sim->cfg = *cfg;
	sim->now = SIM_T0_NS;
	sim->end_ns = SIM_NEVER;
	sim->cur_from = SIM_NONE;
	sim_rng_seed(&sim->rng, cfg->seed);
	uint8_t b[32];
	sim_rng_bytes(&sim->rng, b, sizeof(b));
	int err = hs_crypto_new(&sim->crypto, b);
	sim->nall = cfg->nodes + cfg->byzantine;
	sim->nodes = calloc(sim->nall, sizeof(*sim->nodes));
	sim->banned = calloc(sim->nall, sizeof(*sim->banned));
	sim->eclipsed = calloc(cfg->nodes, sizeof(*sim->eclipsed));
	sim->keymap_cap = 16;
	while (sim->keymap_cap < 4 * sim->nall)
		sim->keymap_cap *= 2;
	sim->keymap_keys = calloc(sim->keymap_cap, sizeof(*sim->keymap_keys));
	sim->keymap_node = calloc(sim->keymap_cap, sizeof(*sim->keymap_node));
	if (!err && (!sim->nodes || !sim->banned || !sim->eclipsed || !sim->keymap_keys ||
	             !sim->keymap_node))
		err = HS_ERR_NOMEM;
	if (!err)
		err = sim_vcache_init(&sim->vc, cfg->verify_cache_max);
	if (!err)
		err = place_nodes(sim);
	if (!err)
		err = sim_addrmap_init(sim);
	for (uint32_t i = 0; !err && i < sim->nall; i++) {
		uint8_t key[32];
		hs_ban_addr_key(&sim->nodes[i].addr, key);
		keymap_add(sim, key, i);
	}
	if (!err)
		err = sim_attack_init(sim);
	if (!err)
		err = alloc_results(sim);
	if (!err)
		err = schedule(sim);
	if (!err && cfg->churn)
		err = sim_churn_init(sim);
	if (err) {
		hs_sim_del(sim);
		return err;
	}
	*out = sim;
	return 0;
}

void hs_sim_del(struct hs_sim *sim)
{
	if (!sim)
		return;
	for (size_t i = 0; sim->nodes && i < sim->nall; i++) {
		struct sim_node *n = &sim->nodes[i];
		hs_node_del(n->node);
		hs_noise_static_del(n->noise);
		hs_identity_del(n->identity);
		free(n->eps);
		free(n->hb);
		sim_store_free(&n->store);
	}
	sim_attack_free(sim);
	sim_churn_free(sim);
	free(sim->banned);
	free(sim->eclipsed);
	free(sim->keymap_keys);
	free(sim->keymap_node);
	sim_evq_free(&sim->evq);
	sim_vcache_deinit(&sim->vc);
	hs_crypto_del(sim->crypto);
	free(sim->nodes);
	free(sim->addrmap);
	free(sim->conns);
	free(sim->rumors);
	free(sim->rumor_index);
	free(sim->deliver_ns);
	free(sim->flood_ns);
	free(sim->parent);
	free(sim);
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report_progress(const struct hs_sim *sim)
{
	struct hs_sim_progress p = { .deliveries = sim->deliveries,
		                     .deliveries_max = sim->deliveries_max };
	double since = (double)(sim->now - SIM_T0_NS) / 1e9;
	double setup = (double)(sim->publish0_ns - SIM_T0_NS) / 1e9;
	p.virtual_s = since;
	if (sim->cfg.churn) {
		/* Until the churn begins its end is unknown: the estimate takes the shortest
		 * warm-up. */
		const struct sim_churn *ch = &sim->churn;
		uint64_t end =
		        sim->end_ns != SIM_NEVER
		                ? sim->end_ns - SIM_T0_NS
		                : sim->cfg.join_window_ns + sim->cfg.churn_ns + 4 * ch->dead_ns;
		p.phase = sim->now < SIM_T0_NS + sim->cfg.join_window_ns ? "join"
		          : !ch->start_ns                                ? "warm-up"
		          : sim->now < ch->end_ns                        ? "churn"
		                                                         : "tail";
		p.fraction = end > 0 ? since * 1e9 / (double)end : 0;
		p.fraction = p.fraction < 1 ? p.fraction : 1;
		p.churn = true;
		p.crashes = ch->ncrashes;
		p.crashes_max = sim->cfg.crashes;
		sim->cfg.progress(sim->cfg.progress_ctx, &p);
		return;
	}
	if (sim->now < SIM_T0_NS + sim->cfg.join_window_ns)
		p.phase = "join";
	else if (sim->now < sim->publish0_ns)
		p.phase = "warm-up";
	else
		p.phase = "disseminate";
	if (sim->now < sim->publish0_ns)
		p.fraction = setup > 0 ? 0.5 * since / setup : 0;
	else
		p.fraction = 0.5 + 0.5 * (double)sim->deliveries / (double)sim->deliveries_max;
	sim->cfg.progress(sim->cfg.progress_ctx, &p);
}

int hs_sim_run(struct hs_sim *sim)
{
	if (sim->ran)
		return HS_ERR_STATE;
	sim->ran = true;
	double start = wall_now();
	struct sim_event ev;
	uint64_t popped = 0;
	while (sim_evq_pop(&sim->evq, &ev)) {
		if (ev.at_ns > sim->end_ns) {
			free(ev.ptr);
			break;
		}
		sim->now = ev.at_ns;
		if (dispatch(sim, &ev))
			sim->events++;
		if (!sim->cfg.churn && sim->published == sim->cfg.rumors &&
		    sim->deliveries == sim->deliveries_max &&
		    (!sim->cfg.state || sim->state_arrivals == sim->deliveries_max))
			break; /* everything everywhere (--scenario state: the entries too) */
		if (sim->cfg.progress && ++popped % PROGRESS_EVERY == 0)
			report_progress(sim);
	}
	if (sim->cfg.progress)
		report_progress(sim);
	sim_sample_memory(sim);
	sim->wall_s = wall_now() - start;
	return 0;
}

/* ---- accessors --------------------------------------------------------------------------- */

void sim_totals_sum(const struct hs_sim *sim, struct sim_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sim->cfg.nodes; i++) {
		if (!sim->nodes[i].node)
			continue;
		struct hs_node_stats s;
		hs_node_get_stats(sim->nodes[i].node, &s);
		for (unsigned k = 0; k < 16; k++)
			t->msgs_out[k] += s.msgs_out[k];
		t->bytes_out += s.bytes_out;
		t->payload_copies_in += s.payload_copies_in;
		t->duplicates += s.duplicates;
		t->requests_sent += s.requests_sent;
		t->requests_timed_out += s.requests_timed_out;
		t->notfound_sent += s.notfound_sent;
		t->pulls_sent += s.pulls_sent;
		t->pull_rumors_sent += s.pull_rumors_sent;
		t->grafts_declined += s.grafts_declined;
	}
}

const struct hs_sim_config *hs_sim_config_of(const struct hs_sim *sim)
{
	return &sim->cfg;
}

uint64_t hs_sim_delivery_ns(const struct hs_sim *sim, size_t rumor, size_t node)
{
	return sim->deliver_ns[rumor * sim->cfg.nodes + node];
}

uint64_t hs_sim_flood_ns(const struct hs_sim *sim, size_t rumor, size_t node)
{
	return sim->flood_ns[rumor * sim->cfg.nodes + node];
}

size_t hs_sim_origin(const struct hs_sim *sim, size_t rumor)
{
	return sim->rumors[rumor].origin;
}

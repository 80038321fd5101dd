/*
 * Reports: one JSON object (the contract other tools read; docs/SIM.md), readable text, and
 * the coverage-over-time series as CSV. Every number is printed with a fixed format, so two
 * runs with the same seed print the same bytes apart from wall_s (and peak_rss_kb).
 */
#include <stdlib.h>
#include <string.h>

#include "overlay/msg.h"
#include "series.h"
#include "sim_impl.h"

static const char *dist_name(enum hs_sim_latency_dist d)
{
	return d == HS_SIM_LAT_EXP ? "exp" : d == HS_SIM_LAT_GEO ? "geo" : "uniform";
}

static void json_pct(FILE *f, const char *name, const struct hs_sim_pct *p)
{
	fprintf(f, "  \"%s\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f},\n", name, p->p50,
	        p->p99, p->max);
}

static void json_config(FILE *f, const struct hs_sim_config *c)
{
	fprintf(f,
	        "  \"config\": {\"latency_ms\": {\"min\": %.3f, \"max\": %.3f, \"dist\": \"%s\"}, ",
	        (double)c->latency_min_ns / 1e6, (double)c->latency_max_ns / 1e6,
	        dist_name(c->latency_dist));
	if (c->partition)
		fprintf(f,
		        "\"partition\": {\"start_s\": %.3f, \"end_s\": %.3f, \"fraction\": %.4f}, ",
		        (double)c->partition_start_ns / 1e9, (double)c->partition_end_ns / 1e9,
		        c->partition_fraction);
	else
		fprintf(f, "\"partition\": null, ");
	fprintf(f,
	        "\"groups\": %zu, \"ipv6_fraction\": %.4f, \"seeds\": %zu, \"seeds_as_peers\": %s, "
	        "\"join_window_s\": %.3f, "
	        "\"warmup_s\": %.3f, "
	        "\"rumor_interval_ms\": %.3f, \"tail_s\": %.3f, \"payload\": %zu, "
	        "\"dial_timeout_ms\": %.3f,\n",
	        c->groups, c->ipv6_fraction, c->seeds, c->seeds_as_peers ? "true" : "false",
	        (double)c->join_window_ns / 1e9, (double)c->warmup_ns / 1e9,
	        (double)c->rumor_interval_ns / 1e6, (double)c->tail_ns / 1e9, c->payload_len,
	        (double)c->dial_timeout_ns / 1e6);
	fprintf(f,
	        "             \"eager_push\": %zu, \"eager_cover_pct\": %zu, "
	        "\"eager_receivers_max\": %zu, \"eager_wait_max_ms\": %.3f, \"outbound\": %zu, "
	        "\"peers_max\": %zu, "
	        "\"addrbook_max\": %zu, \"pull_interval_ms\": %.3f, \"pull_window_s\": %.3f, "
	        "\"retention_s\": %.3f, \"request_timeout_ms\": %.3f, \"lazy_delay_ms\": %.3f, "
	        "\"feeler_interval_s\": %.3f, \"request_nonpreferred_delay_ms\": %.3f, "
	        "\"rotate_interval_s\": %.3f, \"verifies_per_s\": %llu, \"bantime_s\": %.3f, "
	        "\"heartbeat_interval_s\": %.3f, \"suspect_heartbeats\": %u, "
	        "\"dead_heartbeats\": %u, "
	        "\"check\": %s},\n",
	        c->eager_push, c->eager_cover_pct, c->eager_receivers_max,
	        (double)c->eager_wait_max_ns / 1e6, c->outbound, c->peers_max, c->addrbook_max,
	        (double)c->pull_interval_ns / 1e6, (double)c->pull_window_ns / 1e9,
	        (double)c->retention_ns / 1e9, (double)c->request_timeout_ns / 1e6,
	        (double)c->lazy_delay_ns / 1e6, (double)c->feeler_interval_ns / 1e9,
	        (double)c->request_nonpreferred_delay_ns / 1e6, (double)c->rotate_interval_ns / 1e9,
	        (unsigned long long)c->verifies_per_s, (double)c->bantime_ns / 1e9,
	        (double)c->heartbeat_interval_ns / 1e9, c->suspect_heartbeats, c->dead_heartbeats,
	        c->check ? "true" : "false");
}

/* Frame types by name, as msgs_per_node_by_type names them. */
static void json_by_type(FILE *f, const char *name, const double *v)
{
	fprintf(f, "  \"%s\": {", name);
	for (unsigned k = 0, first = 1; k < 16; k++) {
		const char *t = k == 0 ? "other" : hs_msg_type_name((uint8_t)k);
		if ((k == 0 || strcmp(t, "unknown") == 0) && v[k] == 0)
			continue;
		fprintf(f, "%s\"%s\": %.1f", first ? "" : ", ", t, v[k]);
		first = 0;
	}
	fprintf(f, "},\n");
}

/* --scenario churn: its own figures (docs/SIM.md §10), then the run's. */
static void json_churn(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *r,
                       long peak_rss_kb)
{
	const struct hs_sim_churn_report *c = &r->churn;
	char cmd[512];
	hs_sim_command(&sim->cfg, cmd, sizeof(cmd));
	fprintf(f,
	        "{\n  \"scenario\": \"churn\",\n  \"nodes\": %zu,\n  \"seed\": %llu,\n  "
	        "\"loss\": %.6f,\n  \"heartbeat_interval_s\": %.3f,\n",
	        r->nodes, (unsigned long long)r->seed, sim->cfg.loss,
	        (double)sim->cfg.heartbeat_interval_ns / 1e9);
	if (sim->cfg.byzantine > 0) /* --attack false-suspect: liars among the members */
		fprintf(f,
		        "  \"attack\": {\"name\": \"%s\", \"byzantine\": %zu, \"attacker_groups\": "
		        "%zu},\n  \"honest_banned\": %zu,\n  \"attackers_banned\": %zu,\n",
		        hs_sim_attack_name(sim->cfg.attack), sim->cfg.byzantine,
		        sim->cfg.attacker_groups, r->adv.honest_banned, r->adv.attackers_banned);
	fprintf(f,
	        "  \"false_dead\": %llu,\n  \"undetected\": %llu,\n  \"recovered_ratio\": %.6f,\n",
	        (unsigned long long)c->false_dead, (unsigned long long)c->undetected,
	        c->recovered_ratio);
	json_pct(f, "detection_ms", &c->detection_ms);
	fprintf(f,
	        "  \"suspicion_timeout_ms\": %.3f,\n  \"dead_timeout_ms\": %.3f,\n  "
	        "\"recovery_window_ms\": %.3f,\n",
	        c->suspicion_timeout_ms, c->dead_timeout_ms, c->recovery_window_ms);
	json_pct(f, "recovery_ms", &c->recovery_ms);
	fprintf(f,
	        "  \"false_suspect\": %llu,\n  \"failed_while_up\": %llu,\n  \"short_failed\": "
	        "%llu,\n",
	        (unsigned long long)c->false_suspect, (unsigned long long)c->failed_while_up,
	        (unsigned long long)c->short_failed);
	fprintf(f,
	        "  \"pairs\": {\"detection\": %llu, \"undetected\": %llu, \"recovery\": %llu, "
	        "\"recovered\": %llu, \"recovered_first_heartbeat\": %llu},\n",
	        (unsigned long long)c->detection_pairs, (unsigned long long)c->undetected_pairs,
	        (unsigned long long)c->recovery_pairs, (unsigned long long)c->recovered_pairs,
	        (unsigned long long)c->recovered_first_heartbeat);
	fprintf(f,
	        "  \"events\": {\"suspected\": %llu, \"failed\": %llu, \"departed\": %llu, "
	        "\"heartbeats_signed\": %llu},\n",
	        (unsigned long long)c->suspected, (unsigned long long)c->failed,
	        (unsigned long long)c->departed, (unsigned long long)c->heartbeats_signed);
	if (c->has_example)
		fprintf(f,
		        "  \"false_dead_first\": {\"observer\": %u, \"node\": %u, \"t_s\": "
		        "%.6f},\n",
		        c->example_observer, c->example_node, c->example_s);
	else
		fprintf(f, "  \"false_dead_first\": null,\n");
	fprintf(f,
	        "  \"sim_seconds\": %.3f,\n  \"warmup_s\": %.3f,\n  \"warmup_converged\": %s,\n  "
	        "\"churn_s\": %.3f,\n",
	        c->sim_seconds, c->warmup_s, c->warmup_converged ? "true" : "false", c->churn_s);
	fprintf(f,
	        "  \"crashes\": %llu,\n  \"short_crashes\": %llu,\n  \"long_crashes\": %llu,\n  "
	        "\"crashes_skipped\": %llu,\n",
	        (unsigned long long)c->crashes, (unsigned long long)c->short_crashes,
	        (unsigned long long)c->long_crashes, (unsigned long long)c->crashes_skipped);
	fprintf(f,
	        "  \"anti_entropy_bytes_per_node_per_s\": %.1f,\n  "
	        "\"heartbeat_bytes_per_node_per_s\": %.1f,\n  \"wire_bytes_per_node_per_s\": "
	        "%.1f,\n",
	        c->anti_entropy_bytes_per_node_per_s, c->heartbeat_bytes_per_node_per_s,
	        c->wire_bytes_per_node_per_s);
	json_by_type(f, "bytes_per_node_per_s_by_type", c->bytes_per_node_per_s);
	json_by_type(f, "frames_per_node_per_s_by_type", c->frames_per_node_per_s);
	fprintf(f,
	        "  \"members_alive\": %.3f,\n  \"members_alive_min\": %zu,\n  \"true_size\": "
	        "%zu,\n",
	        c->members_alive, c->members_alive_min, c->true_size);
	fprintf(f, "  \"faults\": %llu,\n  \"restarts\": %llu,\n", (unsigned long long)r->faults,
	        (unsigned long long)r->adv.restarts);
	fprintf(f,
	        "  \"overlay\": {\"sessions_mean\": %.3f, \"sessions_min\": %zu, \"sessions_max\": "
	        "%zu, \"outbound_mean\": %.3f, \"isolated\": %zu, \"connections\": %llu, "
	        "\"dials\": %llu, \"dials_failed\": %llu},\n",
	        r->sessions_mean, r->sessions_min, r->sessions_max, r->outbound_mean, r->isolated,
	        (unsigned long long)r->connections, (unsigned long long)r->dials,
	        (unsigned long long)r->dials_failed);
	fprintf(f,
	        "  \"sim\": {\"events\": %llu, \"virtual_s\": %.3f, \"verify_calls\": %llu, "
	        "\"verify_real\": %llu, \"check_calls\": %llu},\n",
	        (unsigned long long)r->events, r->virtual_s, (unsigned long long)r->verify_calls,
	        (unsigned long long)r->verify_real, (unsigned long long)r->check_calls);
	json_config(f, &sim->cfg);
	fprintf(f, "  \"command\": \"%s --json\",\n", cmd);
	if (peak_rss_kb > 0)
		fprintf(f, "  \"peak_rss_kb\": %ld,\n", peak_rss_kb);
	fprintf(f, "  \"wall_s\": %.3f\n}\n", r->wall_s);
}

static void text_churn(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *r,
                       long peak_rss_kb)
{
	const struct hs_sim_churn_report *c = &r->churn;
	const struct hs_sim_config *cfg = &sim->cfg;
	char cmd[512];
	hs_sim_command(cfg, cmd, sizeof(cmd));
	fprintf(f,
	        "hearsay-sim churn: %zu nodes, seed %llu, loss %.3f, heartbeat %.1f s (suspect "
	        "%.1f "
	        "s, dead %.1f s)\n",
	        r->nodes, (unsigned long long)r->seed, cfg->loss,
	        (double)cfg->heartbeat_interval_ns / 1e9, c->suspicion_timeout_ms / 1e3,
	        c->dead_timeout_ms / 1e3);
	fprintf(f, "timeline           warm-up %.1f s (%s), churn %.1f s, %.1f s simulated\n",
	        c->warmup_s,
	        c->warmup_converged ? "every node saw every node alive" : "NOT converged",
	        c->churn_s, c->sim_seconds);
	fprintf(f, "crashes            %llu (%llu short, %llu long; %llu skipped), %llu restarts\n",
	        (unsigned long long)c->crashes, (unsigned long long)c->short_crashes,
	        (unsigned long long)c->long_crashes, (unsigned long long)c->crashes_skipped,
	        (unsigned long long)r->adv.restarts);
	fprintf(f, "false dead         %llu   (failed while up %llu, false suspect %llu)\n",
	        (unsigned long long)c->false_dead, (unsigned long long)c->failed_while_up,
	        (unsigned long long)c->false_suspect);
	fprintf(f,
	        "detection ms       p50 %8.1f  p99 %8.1f  max %8.1f   (%llu pairs; undetected "
	        "%llu crashes, %llu pairs)\n",
	        c->detection_ms.p50, c->detection_ms.p99, c->detection_ms.max,
	        (unsigned long long)c->detection_pairs, (unsigned long long)c->undetected,
	        (unsigned long long)c->undetected_pairs);
	fprintf(f,
	        "recovered          %.6f within %.1f s (%llu/%llu pairs); restart to alive ms p50 "
	        "%.1f p99 %.1f max %.1f\n",
	        c->recovered_ratio, c->recovery_window_ms / 1e3,
	        (unsigned long long)c->recovered_pairs, (unsigned long long)c->recovery_pairs,
	        c->recovery_ms.p50, c->recovery_ms.p99, c->recovery_ms.max);
	fprintf(f, "traffic            %.0f bytes/node/s (anti-entropy %.0f, heartbeats %.0f)\n",
	        c->wire_bytes_per_node_per_s, c->anti_entropy_bytes_per_node_per_s,
	        c->heartbeat_bytes_per_node_per_s);
	fprintf(f, "members alive      %.2f mean (min %zu) of %zu live nodes; faults %llu\n",
	        c->members_alive, c->members_alive_min, c->true_size,
	        (unsigned long long)r->faults);
	fprintf(f, "sim                %llu events, %llu/%llu real verifications\n",
	        (unsigned long long)r->events, (unsigned long long)r->verify_real,
	        (unsigned long long)r->verify_calls);
	fprintf(f, "command            %s\n", cmd);
	fprintf(f, "wall               %.2f s", r->wall_s);
	if (peak_rss_kb > 0)
		fprintf(f, ", peak RSS %.1f MiB", (double)peak_rss_kb / 1024);
	fprintf(f, "\n");
}

/* Every field but wall_s and the closing brace. */
static void json_body(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *r,
                      long peak_rss_kb)
{
	fprintf(f,
	        "{\n  \"nodes\": %zu,\n  \"rumors\": %zu,\n  \"seed\": %llu,\n  \"loss\": %.6f,\n",
	        r->nodes, r->rumors, (unsigned long long)r->seed, sim->cfg.loss);
	fprintf(f, "  \"delivery_ratio\": %.6f,\n  \"residue\": %.6f,\n", r->delivery_ratio,
	        r->residue);
	json_pct(f, "latency_ms", &r->latency_ms);
	json_pct(f, "flood_bound_ms", &r->flood_bound_ms);
	if (sim->cfg.state)
		fprintf(f,
		        "  \"scenario\": \"state\",\n  \"state_convergence_ratio\": %.6f,\n"
		        "  \"state_time_last_ms\": %.3f,\n  \"rumor_time_last_ms\": %.3f,\n",
		        r->state_convergence_ratio, r->state_time_last_ms, r->latency_ms.max);
	fprintf(f, "  \"p99_over_flood_p99\": %.4f,\n", r->p99_over_flood_p99);
	fprintf(f, "  \"payload_copies_per_node\": %.4f,\n", r->payload_copies_per_node);
	fprintf(f, "  \"traffic_msgs_per_node\": %.4f,\n  \"traffic_bytes_per_node\": %.1f,\n",
	        r->traffic_msgs_per_node, r->traffic_bytes_per_node);
	fprintf(f, "  \"msgs_per_node_by_type\": {");
	/* Every type the core names (hs_msg_type_name), plus "other" when it counted any. */
	for (unsigned k = 0, first = 1; k < 16; k++) {
		const char *name = k == 0 ? "other" : hs_msg_type_name((uint8_t)k);
		if ((k == 0 || strcmp(name, "unknown") == 0) && r->msgs_per_node[k] == 0)
			continue;
		fprintf(f, "%s\"%s\": %.4f", first ? "" : ", ", name, r->msgs_per_node[k]);
		first = 0;
	}
	fprintf(f, "},\n");
	fprintf(f, "  \"time_avg_ms\": %.3f,\n  \"time_last_ms\": %.3f,\n", r->time_avg_ms,
	        r->time_last_ms);
	fprintf(f,
	        "  \"paths\": {\"push_fraction\": %.4f, \"hops_mean\": %.3f, \"hops_max\": %.0f, "
	        "\"pulled_hops_mean\": %.3f,\n            \"tree_ms\": {\"p50\": %.3f, \"p99\": "
	        "%.3f, \"max\": %.3f},\n            \"slowest_1pct\": {\"latency_ms\": %.3f, "
	        "\"flood_ms\": %.3f, \"tree_ms\": %.3f, \"hops\": %.3f, \"pulled_hops\": %.3f}},\n",
	        r->push_fraction, r->hops_mean, r->hops_max, r->pulled_hops_mean, r->tree_ms.p50,
	        r->tree_ms.p99, r->tree_ms.max, r->slow.latency_ms, r->slow.flood_ms,
	        r->slow.tree_ms, r->slow.hops, r->slow.pulled_hops);
	fprintf(f,
	        "  \"protocol\": {\"duplicates_per_node\": %.4f, \"requests_per_node\": %.4f, "
	        "\"request_timeouts_per_node\": %.4f, \"notfound_per_node\": %.4f, "
	        "\"pulls_per_node\": %.4f, \"pull_rumors_per_node\": %.4f, \"faults\": %llu, "
	        "\"flood_faults\": %llu, "
	        "\"double_deliveries\": %llu, \"grafts_declined\": %llu},\n",
	        r->duplicates_per_node, r->requests_per_node, r->request_timeouts_per_node,
	        r->notfound_per_node, r->pulls_per_node, r->pull_rumors_per_node,
	        (unsigned long long)r->faults, (unsigned long long)r->flood_faults,
	        (unsigned long long)r->double_deliveries, (unsigned long long)r->grafts_declined);
	fprintf(f,
	        "  \"overlay\": {\"sessions_mean\": %.3f, \"sessions_min\": %zu, \"sessions_max\": "
	        "%zu, \"outbound_mean\": %.3f, \"honest_sessions_mean\": %.3f, "
	        "\"outbound_attacker_share\": %.4f, \"isolated\": %zu, \"connections\": %llu, "
	        "\"dials\": "
	        "%llu, \"dials_failed\": %llu},\n",
	        r->sessions_mean, r->sessions_min, r->sessions_max, r->outbound_mean,
	        r->honest_sessions_mean, r->outbound_attacker_share, r->isolated,
	        (unsigned long long)r->connections, (unsigned long long)r->dials,
	        (unsigned long long)r->dials_failed);
	fprintf(f, "  \"flood\": {\"pairs\": %llu, \"unreachable\": %llu, \"violations\": %llu},\n",
	        (unsigned long long)r->flood_pairs, (unsigned long long)r->flood_unreachable,
	        (unsigned long long)r->flood_violations);
	fprintf(f,
	        "  \"sim\": {\"events\": %llu, \"virtual_s\": %.3f, \"dissemination_s\": %.3f, "
	        "\"verify_calls\": %llu, \"verify_real\": %llu, \"check_calls\": %llu},\n",
	        (unsigned long long)r->events, r->virtual_s, r->dissem_s,
	        (unsigned long long)r->verify_calls, (unsigned long long)r->verify_real,
	        (unsigned long long)r->check_calls);
	json_config(f, &sim->cfg);
	if (peak_rss_kb > 0)
		fprintf(f, "  \"peak_rss_kb\": %ld,\n", peak_rss_kb);
}

void hs_sim_write_json(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *r,
                       long peak_rss_kb)
{
	if (sim->cfg.churn) {
		json_churn(f, sim, r, peak_rss_kb);
		return;
	}
	json_body(f, sim, r, peak_rss_kb);
	fprintf(f, "  \"wall_s\": %.3f\n}\n", r->wall_s);
}

static void json_attack(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *r)
{
	const struct hs_sim_config *c = &sim->cfg;
	char cmd[512];
	hs_sim_command(c, cmd, sizeof(cmd));
	fprintf(f,
	        "  \"attack\": {\"name\": \"%s\", \"byzantine\": %zu, \"attacker_groups\": %zu, "
	        "\"victims\": %zu, \"attack_start_s\": %.3f, \"victim_restart_s\": %.3f, "
	        "\"command\": \"%s --json\"},\n",
	        hs_sim_attack_name(c->attack), c->byzantine, c->attacker_groups, c->victims,
	        (double)c->attack_start_ns / 1e9, (double)c->victim_restart_ns / 1e9, cmd);
	fprintf(f, "  \"honest_delivery_ratio\": %.6f,\n", r->delivery_ratio);
	fprintf(f,
	        "  \"attackers_banned\": %zu,\n  \"honest_banned\": %zu,\n  "
	        "\"victims_eclipsed\": %zu,\n  \"verify_share_attackers\": %.6f,\n",
	        r->adv.attackers_banned, r->adv.honest_banned, r->adv.victims_eclipsed,
	        r->adv.verify_share_attackers);
	fprintf(f,
	        "  \"adversary\": {\"verify_honest\": %llu, \"verify_attackers\": %llu, "
	        "\"bans_by_kind\": {\"id\": %llu, \"addr\": %llu, \"other\": %llu}, "
	        "\"bans_unmapped\": %llu, \"frames_dropped\": %llu, \"frames_injected\": %llu, "
	        "\"honest_faults_seen\": %llu, \"equivocations_seen\": %llu, \"restarts\": "
	        "%llu},\n",
	        (unsigned long long)r->adv.verify_honest,
	        (unsigned long long)r->adv.verify_attackers,
	        (unsigned long long)r->adv.bans_by_kind[1],
	        (unsigned long long)r->adv.bans_by_kind[2],
	        (unsigned long long)(r->adv.bans_by_kind[0] + r->adv.bans_by_kind[3]),
	        (unsigned long long)r->adv.bans_unmapped,
	        (unsigned long long)r->adv.attacker_frames_dropped,
	        (unsigned long long)r->adv.attacker_frames_injected,
	        (unsigned long long)r->adv.honest_faults_seen,
	        (unsigned long long)r->adv.equivocations, (unsigned long long)r->adv.restarts);
	fprintf(f, "  \"honest_frames_sent\": {");
	for (unsigned k = 1, first = 1; k < 16; k++) {
		const char *name = hs_msg_type_name((uint8_t)k);
		if (strcmp(name, "unknown") == 0)
			continue;
		fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", name,
		        (unsigned long long)r->adv.honest_frames_out[k]);
		first = 0;
	}
	fprintf(f, "},\n");
	fprintf(f,
	        "  \"honest_memory\": {\"peak_connections\": %zu, \"peak_addrbook\": %zu, "
	        "\"peak_bans\": %zu},\n",
	        r->adv.peak_endpoints, r->adv.peak_addrbook, r->adv.peak_bans);
	fprintf(f, "  \"bytes_sent\": {\"honest_per_node\": %.1f, \"attacker_per_node\": %.1f},\n",
	        r->adv.honest_bytes_per_node, r->adv.attacker_bytes_per_node);
}

void hs_sim_write_attack_json(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *r,
                              const struct hs_sim_report *b, long peak_rss_kb)
{
	if (sim->cfg.churn) { /* the churn figures are the verdict; the twin ran the same */
		json_churn(f, sim, r, peak_rss_kb);
		return;
	}
	json_body(f, sim, r, peak_rss_kb);
	json_attack(f, sim, r);
	json_pct(f, "benign_latency_ms", &b->latency_ms);
	fprintf(f,
	        "  \"benign\": {\"delivery_ratio\": %.6f, \"latency_ms\": {\"p50\": %.3f, "
	        "\"p99\": %.3f, \"max\": %.3f}, \"honest_banned\": %zu, \"victims_eclipsed\": "
	        "%zu, \"peak_connections\": %zu, \"peak_addrbook\": %zu, "
	        "\"bytes_sent_per_node\": %.1f, \"faults\": %llu, \"wall_s\": %.3f},\n",
	        b->delivery_ratio, b->latency_ms.p50, b->latency_ms.p99, b->latency_ms.max,
	        b->adv.honest_banned, b->adv.victims_eclipsed, b->adv.peak_endpoints,
	        b->adv.peak_addrbook, b->adv.honest_bytes_per_node, (unsigned long long)b->faults,
	        b->wall_s);
	fprintf(f, "  \"p99_over_benign_p99\": %.4f,\n",
	        b->latency_ms.p99 > 0 ? r->latency_ms.p99 / b->latency_ms.p99 : 0);
	fprintf(f, "  \"wall_s\": %.3f\n}\n", r->wall_s);
}

void hs_sim_write_text(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *r,
                       long peak_rss_kb)
{
	const struct hs_sim_config *c = &sim->cfg;
	if (c->churn) {
		text_churn(f, sim, r, peak_rss_kb);
		return;
	}
	fprintf(f,
	        "hearsay-sim: %zu nodes, %zu rumors, seed %llu, loss %.3f, latency %.0f-%.0f ms "
	        "%s\n",
	        r->nodes, r->rumors, (unsigned long long)r->seed, c->loss,
	        (double)c->latency_min_ns / 1e6, (double)c->latency_max_ns / 1e6,
	        dist_name(c->latency_dist));
	fprintf(f,
	        "  eager_push %zu (cover %zu %%, receivers %zu, wait max %.0f ms), outbound %zu, "
	        "peers_max %zu, pull %.0f ms, lazy delay %.0f ms\n",
	        c->eager_push, c->eager_cover_pct, c->eager_receivers_max,
	        (double)c->eager_wait_max_ns / 1e6, c->outbound, c->peers_max,
	        (double)c->pull_interval_ns / 1e6, (double)c->lazy_delay_ns / 1e6);
	fprintf(f,
	        "overlay at first publish: %.2f sessions/node (min %zu, max %zu), %.2f outbound, "
	        "%zu isolated\n",
	        r->sessions_mean, r->sessions_min, r->sessions_max, r->outbound_mean, r->isolated);
	fprintf(f, "delivery ratio     %.6f   (residue %.6f)\n", r->delivery_ratio, r->residue);
	fprintf(f, "latency ms         p50 %8.1f  p99 %8.1f  max %8.1f\n", r->latency_ms.p50,
	        r->latency_ms.p99, r->latency_ms.max);
	fprintf(f, "flood bound ms     p50 %8.1f  p99 %8.1f  max %8.1f   (p99 ratio %.3f)\n",
	        r->flood_bound_ms.p50, r->flood_bound_ms.p99, r->flood_bound_ms.max,
	        r->p99_over_flood_p99);
	fprintf(f, "time avg / last ms %.1f / %.1f\n", r->time_avg_ms, r->time_last_ms);
	fprintf(f, "payload copies     %.3f per node per rumor (duplicates %.3f)\n",
	        r->payload_copies_per_node, r->duplicates_per_node);
	fprintf(f, "traffic            %.2f frames, %.0f bytes per node per rumor\n",
	        r->traffic_msgs_per_node, r->traffic_bytes_per_node);
	fprintf(f,
	        "paths              %.1f%% of hops pushed, %.2f hops mean (%.2f not pushed), %.0f "
	        "max; tree latency p50 %.1f p99 %.1f ms\n",
	        100 * r->push_fraction, r->hops_mean, r->pulled_hops_mean, r->hops_max,
	        r->tree_ms.p50, r->tree_ms.p99);
	fprintf(f,
	        "slowest 1%%         %.1f ms (flood %.1f, tree %.1f), %.2f hops, %.2f not pushed\n",
	        r->slow.latency_ms, r->slow.flood_ms, r->slow.tree_ms, r->slow.hops,
	        r->slow.pulled_hops);
	fprintf(f,
	        "requests           %.3f sent, %.3f timed out, %.3f notfound; pulls %.3f (%.3f "
	        "rumors) per node per rumor\n",
	        r->requests_per_node, r->request_timeouts_per_node, r->notfound_per_node,
	        r->pulls_per_node, r->pull_rumors_per_node);
	fprintf(f,
	        "faults %llu (%llu rate limits), double deliveries %llu, flood violations %llu, "
	        "unreachable %llu\n",
	        (unsigned long long)r->faults, (unsigned long long)r->flood_faults,
	        (unsigned long long)r->double_deliveries, (unsigned long long)r->flood_violations,
	        (unsigned long long)r->flood_unreachable);
	fprintf(f,
	        "sim                %.1f s virtual, %llu events, %llu connections, %llu/%llu "
	        "real verifications\n",
	        r->virtual_s, (unsigned long long)r->events, (unsigned long long)r->connections,
	        (unsigned long long)r->verify_real, (unsigned long long)r->verify_calls);
	if (c->byzantine > 0)
		fprintf(f,
		        "attack %s: %zu Byzantine in %zu groups; banned %zu attackers, %zu honest; "
		        "%zu/%zu victims eclipsed; %.4f of honest signature checks on attacker "
		        "bytes\n",
		        hs_sim_attack_name(c->attack), c->byzantine, c->attacker_groups,
		        r->adv.attackers_banned, r->adv.honest_banned, r->adv.victims_eclipsed,
		        r->adv.victims, r->adv.verify_share_attackers);
	fprintf(f, "wall               %.2f s", r->wall_s);
	if (peak_rss_kb > 0)
		fprintf(f, ", peak RSS %.1f MiB", (double)peak_rss_kb / 1024);
	fprintf(f, "\n");
}

int hs_sim_write_csv(FILE *f, const struct hs_sim *sim)
{
	struct sim_series s;
	int err = sim_series_build(&s, sim);
	if (err)
		return err;
	fprintf(f, "t_ms,mean,flood_mean");
	for (size_t r = 0; r < s.rumors; r++)
		fprintf(f, ",r%zu", r);
	fprintf(f, "\n");
	for (size_t i = 0; i < s.rows; i++) {
		fprintf(f, "%.3f,%.6f,%.6f", (double)i * s.step_ms, s.mean[i], s.flood[i]);
		for (size_t r = 0; r < s.rumors; r++)
			fprintf(f, ",%.6f", s.per[r * s.rows + i]);
		fprintf(f, "\n");
	}
	sim_series_free(&s);
	return ferror(f) ? HS_ERR_IO : 0;
}

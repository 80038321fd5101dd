/*
 * sim/: hearsay-sim, the deterministic simulator — a second driver of the real protocol core.
 *
 * One process runs N real hs_node cores (real keys, real Noise, real BIP340, real codecs)
 * under virtual time, joined by a modelled TCP network, with one seeded PRNG behind every
 * random choice: keys, nonces, latencies, losses, partition sides, rumor origins. It drives
 * each core exactly as node/ does (the pump of hearsay/node.h): after every input to a node
 * it drains that node's peers' output onto the links, polls and handles every event, and
 * re-arms the node's one timer at hs_node_next_deadline.
 *
 * Determinism: the simulation is single-threaded; events are ordered by (virtual time,
 * sequence number), so ties resolve the same way every time. The same config and seed give
 * the same run, byte for byte; only the wall-clock figures (wall_s, peak RSS) differ.
 *
 * Signature verification is memoized across the whole simulation (a bounded cache keyed by a
 * hash of (public key, signature, digest)): the first check of each triple is a real
 * hs_verify, later checks of the same triple return its result. That changes CPU cost, never
 * a result. docs/SIM.md describes the network model and defines every metric.
 *
 * Attacker model: none yet — every simulated node is honest. A broken core invariant
 * (hs_node_check, with check on), a stuck deadline or a runaway pump is a bug in hearsay: the
 * simulator prints the seed that reproduces it and aborts.
 */
#ifndef HEARSAY_SIM_SIM_H
#define HEARSAY_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hearsay/error.h"
#include "hearsay/node.h"

/* The virtual clock starts at 2026-01-01T00:00:00Z (node time is ns since the Unix epoch). */
#define HS_SIM_EPOCH_S 1767225600ull

enum hs_sim_latency_dist {
	HS_SIM_LAT_UNIFORM = 0, /* uniform in [min, max] per node pair */
	HS_SIM_LAT_EXP = 1,     /* min + exponential with mean (max - min) / 2: a long tail */
	HS_SIM_LAT_GEO = 2,     /* nodes on a unit square: min + (max - min) * distance / sqrt 2 */
};

struct hs_sim_progress {
	const char *phase;       /* "join", "warm-up", "disseminate" */
	double fraction;         /* of the whole run, 0..1 (an estimate before the end is known) */
	double virtual_s;        /* since the start of the clock */
	uint64_t deliveries;     /* rumor deliveries so far */
	uint64_t deliveries_max; /* rumors x nodes */
};

struct hs_sim_config {
	size_t nodes, rumors;
	uint64_t seed;

	/* Network model. */
	double loss; /* probability that one chunk is lost (then retransmitted after an RTO) */
	uint64_t latency_min_ns, latency_max_ns;
	enum hs_sim_latency_dist latency_dist;
	size_t groups;            /* IPv4 /16 network groups the nodes are spread over */
	uint64_t dial_timeout_ns; /* an unanswered dial fails after this */
	bool partition;
	int64_t partition_start_ns, partition_end_ns; /* relative to the first publish */
	double partition_fraction;                    /* of nodes on the far side */

	/* Scenario. */
	size_t seeds;
	bool seeds_as_peers; /* seeds advertise their address like any node (default: bootnodes) */
	uint64_t join_window_ns, warmup_ns, rumor_interval_ns, tail_ns;
	size_t payload_len;

	/* Core knobs (struct hs_node_config). */
	size_t eager_push, eager_cover_pct, eager_receivers_max, outbound, peers_max, addrbook_max;
	uint64_t pull_interval_ns, pull_window_ns, retention_ns, request_timeout_ns, lazy_delay_ns;
	uint64_t eager_wait_max_ns, feeler_interval_ns;

	/* Driver. */
	bool check;              /* hs_node_check after every input; abort on failure */
	size_t verify_cache_max; /* memoized verifications kept (0: no memoization) */
	bool node_log;           /* core log lines to stderr */
	void (*progress)(void *ctx, const struct hs_sim_progress *p); /* optional */
	void *progress_ctx;
};

/* Fills cfg with the documented defaults for this many nodes (the join window scales with
 * it; docs/SIM.md lists every default). */
void hs_sim_config_default(struct hs_sim_config *cfg, size_t nodes);
/* Returns NULL if cfg is usable, else a one-line reason. */
const char *hs_sim_config_check(const struct hs_sim_config *cfg);

struct hs_sim;

HS_MUST_USE int hs_sim_new(struct hs_sim **out, const struct hs_sim_config *cfg);
void hs_sim_del(struct hs_sim *sim);
/* Runs the scenario to its end: join, warm-up, publish, then until every rumor reached every
 * node or the tail timeout. HS_ERR_NOMEM or another setup error; protocol bugs abort. */
HS_MUST_USE int hs_sim_run(struct hs_sim *sim);

struct hs_sim_pct {
	double p50, p99, max; /* ms; 0 when there is no sample */
};

/* Every metric (docs/SIM.md defines each precisely). Per-node figures divide by nodes, per
 * rumor figures by rumors. */
struct hs_sim_report {
	size_t nodes, rumors;
	uint64_t seed;
	double delivery_ratio, residue;
	struct hs_sim_pct latency_ms, flood_bound_ms;
	double p99_over_flood_p99;
	uint64_t flood_pairs, flood_unreachable, flood_violations;
	double payload_copies_per_node;
	double traffic_msgs_per_node, traffic_bytes_per_node;
	double msgs_per_node[16]; /* traffic_msgs_per_node by message type */
	double time_avg_ms, time_last_ms;
	double push_fraction; /* hops within 1.5 link latencies of the sender having it */
	double hops_mean, hops_max, pulled_hops_mean;
	struct hs_sim_pct tree_ms; /* link latencies summed along each delivery's tree path */
	struct {
		double latency_ms, flood_ms, tree_ms, hops, pulled_hops;
	} slow; /* means over the slowest 1% of (rumor, node) deliveries */
	double duplicates_per_node, requests_per_node, request_timeouts_per_node;
	double pulls_per_node, pull_rumors_per_node, notfound_per_node;
	uint64_t faults, flood_faults, double_deliveries, check_calls;
	uint64_t grafts_declined; /* over the run, all nodes */
	double sessions_mean, outbound_mean;
	size_t sessions_min, sessions_max, isolated;
	uint64_t verify_calls, verify_real;
	uint64_t events; /* inputs the simulator gave to nodes (stale timers not counted) */
	uint64_t connections, dials, dials_failed;
	double virtual_s; /* clock at the end, since the start */
	double dissem_s;  /* first publish to the end */
	double wall_s;
};

void hs_sim_get_report(const struct hs_sim *sim, struct hs_sim_report *rep);
const struct hs_sim_config *hs_sim_config_of(const struct hs_sim *sim);

/* Per (rumor, node) results: ns after the publish, UINT64_MAX if never (delivery) or
 * unreachable in the session graph at publish (flood bound). */
uint64_t hs_sim_delivery_ns(const struct hs_sim *sim, size_t rumor, size_t node);
uint64_t hs_sim_flood_ns(const struct hs_sim *sim, size_t rumor, size_t node);
size_t hs_sim_origin(const struct hs_sim *sim, size_t rumor);

/* Outputs (sim/output.c, sim/svg.c). peak_rss_kb is printed when nonzero (it is not
 * deterministic, so the JSON carries it only when asked). */
void hs_sim_write_json(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *rep,
                       long peak_rss_kb);
void hs_sim_write_text(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *rep,
                       long peak_rss_kb);
/* Coverage over time: one row per step_ms; columns t_ms, mean, flood_mean, then r0..rR-1. */
HS_MUST_USE int hs_sim_write_csv(FILE *f, const struct hs_sim *sim);
/* The same series as an SVG chart. */
HS_MUST_USE int hs_sim_write_svg(FILE *f, const struct hs_sim *sim);

#endif

/*
 * sim/: hearsay-sim, the deterministic simulator — a second driver of the real protocol core.
 *
 * One process runs N real hs_node cores (real keys, real Noise, real BIP340, real codecs)
 * under virtual time, joined by a modelled TCP network, with one seeded PRNG behind every
 * random choice: keys, nonces, latencies, losses, partition sides, rumor origins. It drives
 * each core exactly as node/ does (the pump of overlay/node.h): after every input to a node
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
 * Attacker model (sim/attack.c, docs/SIM.md §9): cfg.byzantine extra nodes, in
 * cfg.attacker_groups /16 network groups of their own, are Byzantine. Each is a real hs_node
 * core with real keys; a strategy (cfg.attack) sits on its input and output: it sees every
 * plaintext frame the core is about to send (caps.filter_out) and may drop it, and it injects
 * frames of its own (hs_node_send_raw) built with the public codecs and the attacker's own
 * keys — forged, junk, duplicated, replayed, equivocating or poisoned. The protocol is never
 * modelled apart from the core. Honest nodes are indices 0..nodes-1, attackers
 * nodes..nodes+byzantine-1; rumors are published by honest nodes only and every delivery figure
 * is over honest nodes. Every node draws from its own PRNG stream derived from (seed, index),
 * so adding attackers leaves honest nodes' keys and draws alone as far as the event order
 * allows. A broken core invariant (hs_node_check, with check on), a stuck deadline or a
 * runaway pump is a bug in hearsay: the simulator prints the command that reproduces it (seed
 * and attack flags) and aborts.
 */
#ifndef HEARSAY_SIM_SIM_H
#define HEARSAY_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hearsay/error.h"
#include "overlay/node.h"

/* The virtual clock starts at 2026-01-01T00:00:00Z (node time is ns since the Unix epoch). */
#define HS_SIM_EPOCH_S 1767225600ull

enum hs_sim_latency_dist {
	HS_SIM_LAT_UNIFORM = 0, /* uniform in [min, max] per node pair */
	HS_SIM_LAT_EXP = 1,     /* min + exponential with mean (max - min) / 2: a long tail */
	HS_SIM_LAT_GEO = 2,     /* nodes on a unit square: min + (max - min) * distance / sqrt 2 */
};

/* The strategies of Byzantine nodes (docs/SIM.md §9 defines each). */
enum hs_sim_attack {
	HS_SIM_ATTACK_NONE = 0,
	HS_SIM_ATTACK_DROP = 1,        /* black hole: takes everything, relays nothing */
	HS_SIM_ATTACK_INVALID_SIG = 2, /* rumors with bad signatures at full rate */
	HS_SIM_ATTACK_SPAM = 3,        /* duplicates, junk and control frames at full rate */
	HS_SIM_ATTACK_WITHHOLD = 4,    /* announce, never serve */
	HS_SIM_ATTACK_ECLIPSE = 5,     /* address poisoning aimed at the victims, who restart */
	HS_SIM_ATTACK_REPLAY = 6,      /* old rumors and state entries */
	HS_SIM_ATTACK_EQUIVOCATE = 7,  /* two signed entries for one key/generation/version */
	HS_SIM_ATTACK_CENSOR = 8,      /* drop one target origin's rumors only */
	HS_SIM_ATTACK_COVERT_FLASH =
	        9,                    /* behave until the attack start, then all withhold at once */
	HS_SIM_ATTACK_COLD_BOOT = 10, /* there first; poison addresses and black-hole */
	HS_SIM_ATTACK_FALSE_SUSPECT = 11, /* accuse live honest members (signed suspects lists);
	                                   * needs heartbeats */
	HS_SIM_ATTACK_COUNT = 12,
};

/* "drop", "invalid-sig", ...; NULL for an unknown value. */
const char *hs_sim_attack_name(enum hs_sim_attack a);
/* HS_ERR_NOT_FOUND for an unknown name. */
HS_MUST_USE int hs_sim_attack_parse(const char *name, enum hs_sim_attack *out);

#define HS_SIM_UNSET SIZE_MAX /* a size left for hs_sim_config_attack to fill */

struct hs_sim_progress {
	const char *phase;       /* "join", "warm-up", "disseminate" (churn: "churn", "tail") */
	double fraction;         /* of the whole run, 0..1 (an estimate before the end is known) */
	double virtual_s;        /* since the start of the clock */
	uint64_t deliveries;     /* rumor deliveries so far */
	uint64_t deliveries_max; /* rumors x nodes */
	bool churn;              /* the churn scenario: it counts crashes, not deliveries */
	uint64_t crashes, crashes_max; /* churn: crashes so far, planned */
};

struct hs_sim_config {
	size_t nodes, rumors;
	uint64_t seed;
	/* --scenario state: each publish also sets a state entry (key "s<index>") on its origin,
	 * and the report measures how state spreads next to the rumors of the same run. */
	bool state;
	/* --scenario churn (sim/churn.c, docs/SIM.md §10): no rumors; once every node sees every
	 * other alive, cfg.crashes honest non-seed nodes crash at random times over churn_ns and
	 * restart from their saved bytes after a downtime, alternately shorter than the dead
	 * timeout and longer; the report judges the members tables' verdicts. */
	bool churn;
	uint64_t churn_ns;
	size_t crashes;

	/* Network model. */
	double loss; /* probability that one chunk is lost (then retransmitted after an RTO) */
	uint64_t latency_min_ns, latency_max_ns;
	enum hs_sim_latency_dist latency_dist;
	size_t groups;        /* network groups the nodes are spread over (IPv4 /16, IPv6 /32) */
	double ipv6_fraction; /* of honest nodes on IPv6 addresses, in /32 groups (default 0) */
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
	uint64_t eager_wait_max_ns, feeler_interval_ns, heartbeat_interval_ns;
	uint32_t suspect_heartbeats, dead_heartbeats;
	uint64_t request_nonpreferred_delay_ns, rotate_interval_ns, bantime_ns;
	uint64_t verifies_per_s;
	uint64_t member_reap_ns;
	struct hs_score_params score;

	/* Adversaries (docs/SIM.md §9). byzantine == 0 is an honest run, even with attack set
	 * (the benign twin of an attack run keeps the scenario: victims' restart, censor target,
	 * cold-boot join order). */
	enum hs_sim_attack attack;
	size_t byzantine;           /* Byzantine cores added to the nodes honest ones */
	size_t attacker_groups;     /* /16 groups they sit in, distinct from the honest groups */
	size_t victims;             /* eclipse: honest nodes aimed at (and restarted) */
	uint64_t attack_start_ns;   /* since the clock start: strategies act from here */
	uint64_t victim_restart_ns; /* eclipse: victims crash and restart at this (since start) */
	uint64_t cold_boot_lead_ns; /* cold-boot: attackers join this long before honest nodes */

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
/* Fills the attack fields left at HS_SIM_UNSET (byzantine, attacker_groups, victims) or at
 * UINT64_MAX (attack_start_ns, victim_restart_ns) with their defaults: byzantine = nodes,
 * attacker_groups = min(32, byzantine), victims = 1 % of nodes (at least 1), the attack from
 * the start (covert-flash: from the middle of the publishing), the victims' restart 5 s before the
 * first publish. Call after the other fields are final. */
void hs_sim_config_attack(struct hs_sim_config *cfg);
/* --scenario churn: sets churn and its defaults over hs_sim_config_default's (heartbeats at the
 * core's interval, no rumors, the churn window and crash count of docs/SIM.md §10); flags are
 * applied after it. */
void hs_sim_config_churn(struct hs_sim_config *cfg);
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

/* --scenario churn: the members tables' verdicts against the truth (docs/SIM.md §10 defines
 * every field). D is the dead timeout, S the suspect timeout, both from the config. */
struct hs_sim_churn_report {
	double warmup_s;       /* clock start to the churn start */
	bool warmup_converged; /* every node saw every node alive before the churn began */
	double churn_s;        /* the churn window */
	double sim_seconds;    /* the clock at the end, since the start */
	double suspicion_timeout_ms, dead_timeout_ms, recovery_window_ms;
	uint64_t crashes, short_crashes, long_crashes, crashes_skipped;
	uint64_t false_dead;      /* FAILED although the node signed a heartbeat in (t-D, t-S] */
	uint64_t failed_while_up; /* FAILED about a node that was up at that moment */
	uint64_t false_suspect;   /* SUSPECTED about a node up for the whole (t-S, t] */
	uint64_t failed, suspected, departed;
	uint64_t short_failed;          /* FAILED about a node during a short downtime */
	struct hs_sim_pct detection_ms; /* long crashes: crash to each observer's FAILED */
	uint64_t detection_pairs;       /* (long crash, observer) pairs */
	uint64_t undetected, undetected_pairs;
	double recovered_ratio; /* observers that saw the new generation alive within W */
	uint64_t recovery_pairs, recovered_pairs;
	uint64_t recovered_first_heartbeat; /* ... whose alive event carried its first heartbeat */
	struct hs_sim_pct recovery_ms;      /* restart to each observer's alive event */
	double anti_entropy_bytes_per_node_per_s; /* sync and state frames */
	double heartbeat_bytes_per_node_per_s;    /* inv, getdata, notfound and state frames */
	double wire_bytes_per_node_per_s;         /* every frame after the handshake */
	double bytes_per_node_per_s[16];          /* by frame type */
	double frames_per_node_per_s[16];
	double members_alive; /* mean over live nodes, at the end */
	size_t members_alive_min;
	size_t true_size; /* live nodes at the end */
	uint64_t heartbeats_signed;
	/* The first false_dead: who declared whom dead, when (s since the clock start). */
	bool has_example;
	uint32_t example_observer, example_node;
	double example_s;
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
	/* --scenario state: (entry, honest node) pairs held at the end over all of them, and the
	 * latest arrival after the entry was set. */
	double state_convergence_ratio, state_time_last_ms;
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
	/* Sessions with honest nodes; the share of outbound sessions that go to attackers. */
	double honest_sessions_mean, outbound_attacker_share;
	size_t sessions_min, sessions_max, isolated;
	uint64_t verify_calls, verify_real;
	uint64_t events; /* inputs the simulator gave to nodes (stale timers not counted) */
	uint64_t connections, dials, dials_failed;
	double virtual_s; /* clock at the end, since the start */
	double dissem_s;  /* first publish to the end */
	double wall_s;
	struct hs_sim_churn_report churn; /* --scenario churn only */

	/* Adversaries (all zero in an honest run; docs/SIM.md §9 defines each). */
	struct {
		size_t byzantine, victims;
		size_t attackers_banned;   /* attackers banned by at least one honest node */
		size_t honest_banned;      /* honest nodes banned by any honest node */
		size_t victims_eclipsed;   /* victims whose outbound sessions were all attackers */
		uint64_t verify_honest;    /* signature checks by honest nodes */
		uint64_t verify_attackers; /* ... of those, on bytes from an attacker */
		double verify_share_attackers;
		uint64_t bans_by_kind[4]; /* honest nodes' bans: [0] unknown kind, [1] id, [2] addr
		                           */
		uint64_t bans_unmapped;   /* ban keys naming no simulated node */
		size_t peak_endpoints;    /* max over honest nodes of open connections */
		size_t peak_addrbook;     /* max over honest nodes of records (sampled) */
		size_t peak_bans;         /* max over honest nodes of bans held (sampled) */
		double honest_bytes_per_node;   /* wire bytes sent over the run, per honest node */
		double attacker_bytes_per_node; /* the same per attacker */
		uint64_t attacker_frames_dropped, attacker_frames_injected;
		uint64_t honest_faults_seen; /* faults honest nodes reported (against anyone) */
		uint64_t equivocations;      /* sum over honest nodes of hs_node_equivocations */
		uint64_t restarts;
		uint64_t honest_frames_out[16]; /* frames honest nodes sent over the run, by type */
	} adv;
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
/* An attack run: the attack report with its benign twin's figures (same seed, no attacker)
 * and the reproducing command. */
void hs_sim_write_attack_json(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *rep,
                              const struct hs_sim_report *benign, long peak_rss_kb);
/* The command line that reproduces this run (attack flags included), into buf. */
void hs_sim_command(const struct hs_sim_config *cfg, char *buf, size_t cap);
void hs_sim_write_text(FILE *f, const struct hs_sim *sim, const struct hs_sim_report *rep,
                       long peak_rss_kb);
/* Coverage over time: one row per step_ms; columns t_ms, mean, flood_mean, then r0..rR-1. */
HS_MUST_USE int hs_sim_write_csv(FILE *f, const struct hs_sim *sim);
/* The same series as an SVG chart. */
HS_MUST_USE int hs_sim_write_svg(FILE *f, const struct hs_sim *sim);

#endif

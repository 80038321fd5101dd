/*
 * sim/: the simulator's internal state, shared by its files:
 *
 *   rng.c     the seeded PRNG (xoshiro256**, seeded through splitmix64): one stream for the
 *             world (rumor origins, payloads, partition sides), one per node
 *   attack.c  the Byzantine strategies: filters on attackers' output, injected frames
 *   store.c   each honest node's saved bytes (HS_EV_SAVE) and its crash and restart
 *   evq.c     the event queue: a binary heap ordered by (time, sequence number)
 *   vcache.c  memoized signature verification
 *   net.c     the network model: addresses, latencies, connections, chunks, loss, partitions
 *   world.c   nodes, capabilities, the pump, the event loop and the scenario
 *   churn.c   --scenario churn: crashes with downtimes, the members tables judged
 *   metrics.c the flood bound (Dijkstra) and the report
 *   output.c  JSON, text and CSV;  svg.c  the coverage chart
 *
 * Invariants:
 *  - Every random draw comes from sim->rng (the world) or the node's own stream (its keys,
 *    capabilities, position, the loss of what it sends), in an order fixed by the event order,
 *    so a run is a function of its config and seed.
 *  - Nodes 0..cfg.nodes-1 are honest, cfg.nodes..nall-1 Byzantine (node->adv set).
 *  - A connection endpoint is PENDING until its node opened it, OPEN while the node holds a
 *    handle for it (and it is listed in the node's eps), CLOSED once the node was told it
 *    closed (or refused it); it never reopens.
 *  - Per direction, chunks arrive in the order they were sent: each arrival time is at least
 *    the previous one's, and equal times pop in push order (the sequence number).
 *  - node->timer_at is the time of the node's one live timer event (UINT64_MAX: none); heap
 *    entries for other times are stale and skipped.
 *  - A crashed node (churn) is down: no core (node->node NULL), no endpoint, no timer, and no
 *    address anyone can reach, until it starts again.
 */
#ifndef HEARSAY_SIM_SIM_IMPL_H
#define HEARSAY_SIM_SIM_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/netaddr.h"
#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "overlay/node.h"
#include "sim.h"

#define SIM_NONE  UINT32_MAX
#define SIM_NEVER UINT64_MAX
#define SIM_PORT  7000
#define SIM_T0_NS (HS_SIM_EPOCH_S * HS_NS_PER_S)

/* ---- rng.c ----------------------------------------------------------------------------- */
struct sim_rng {
	uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, n), n > 0 (rejection sampling: no modulo bias). */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);
/* Uniform in [0, 1) with 53 bits. */
double sim_rng_unit(struct sim_rng *r);
void sim_rng_bytes(struct sim_rng *r, uint8_t *out, size_t len);
/* The splitmix64 finalizer: a stateless hash of x (per-pair draws). */
uint64_t sim_mix64(uint64_t x);

/* ---- evq.c ----------------------------------------------------------------------------- */
enum sim_ev_kind {
	SIM_EV_JOIN = 1,      /* a: node */
	SIM_EV_TIMER = 2,     /* a: node */
	SIM_EV_OPEN_IN = 3,   /* a: connection; the responder accepts */
	SIM_EV_OPEN_OUT = 4,  /* a: connection; the dialler's connect completes */
	SIM_EV_CHUNK = 5,     /* a: connection, b: receiving side, ptr: struct sim_chunk */
	SIM_EV_DIAL_FAIL = 6, /* a: node, ptr: struct hs_netaddr */
	SIM_EV_PUBLISH = 7,   /* a: rumor index */
	SIM_EV_ATTACK = 8,    /* a: attacker node: its strategy's periodic tick */
	SIM_EV_RESTART = 9,   /* a: node: crash and restart from its saved bytes */
	SIM_EV_CHURN = 10,    /* churn: the warm-up's convergence check, once a second */
	SIM_EV_CRASH = 11,    /* a: planned crash (churn): a random eligible node crashes */
	SIM_EV_START = 12,    /* a: node, b: its crash record (churn): restart after downtime */
};

struct sim_event {
	uint64_t at_ns;
	uint64_t seq;
	uint32_t kind;
	uint32_t a;
	uint64_t b;
	void *ptr; /* owned by the event while queued */
};

struct sim_evq {
	struct sim_event *v;
	size_t count, cap;
	uint64_t next_seq;
};

HS_MUST_USE int sim_evq_push(struct sim_evq *q, uint64_t at_ns, uint32_t kind, uint32_t a,
                             uint64_t b, void *ptr);
/* The earliest event (ties: the first pushed); false when empty. */
bool sim_evq_pop(struct sim_evq *q, struct sim_event *out);
/* Frees the queue and every event's ptr. */
void sim_evq_free(struct sim_evq *q);

/* ---- vcache.c -------------------------------------------------------------------------- */
struct sim_vcache {
	uint8_t (*keys)[16]; /* 128-bit BLAKE2b prefix of pub || sig || digest */
	int8_t *results;     /* hs_verify's answer; 0 in an empty way */
	uint8_t *used;
	uint8_t *next_way; /* round-robin replacement per set */
	size_t sets;       /* a power of two; 4 ways each */
	uint64_t calls, real;
};

#define SIM_VCACHE_WAYS 4

HS_MUST_USE int sim_vcache_init(struct sim_vcache *c, size_t entries);
void sim_vcache_deinit(struct sim_vcache *c);
/* Like hs_verify, memoized. */
int sim_vcache_verify(struct sim_vcache *c, const struct hs_crypto *crypto,
                      const uint8_t pub[HS_KEY_LEN], const uint8_t sig[HS_SIG_LEN],
                      const uint8_t digest[32]);

/* ---- net.c ----------------------------------------------------------------------------- */
enum sim_ep_state {
	SIM_EP_PENDING = 0,
	SIM_EP_OPEN = 1,
	SIM_EP_CLOSED = 2,
};

/* Bytes written by one side in one pump (or a FIN when fin). */
struct sim_chunk {
	uint32_t len;
	bool fin;
	uint8_t data[];
};

/* A TCP connection: side 0 dialled, side 1 accepted. */
struct sim_conn {
	uint32_t node[2];
	uint64_t handle[2];
	uint8_t state[2]; /* enum sim_ep_state */
	bool up[2];       /* the node reported PEER_UP and the session has not ended */
	bool refused;     /* the SYN reached a crashed node (churn): the dial fails */
	uint64_t latency_ns;
	uint64_t last_arrival_ns[2];  /* per receiving side: the FIFO's tail */
	struct hs_netaddr seen_as[2]; /* how side s's node sees the other end */
};

/* A node's open endpoint. */
struct sim_ep {
	uint64_t handle;
	uint32_t conn;
	uint8_t side;
};

/* ---- store.c ---------------------------------------------------------------------------- */
/* One saved (kind, key) -> value, as HS_EV_SAVE gave it. */
struct sim_kv {
	uint8_t kind;
	uint16_t keylen;
	uint32_t valuelen;
	uint64_t hash;  /* 0: empty slot */
	uint8_t *bytes; /* key then value */
};

/* A node's saved bytes: open addressing (linear probing, backward-shift deletion). */
struct sim_store {
	struct sim_kv *v;
	size_t count, cap;
};

struct sim_node;
/* Applies one HS_EV_SAVE (a deletion for UNBAN / UNSTATE, or a value-less save). */
HS_MUST_USE int sim_store_save(struct sim_store *st, const struct hs_event *ev);
void sim_store_free(struct sim_store *st);
/* Feeds a freshly made node what st holds, as node/daemon.c does at start: bans, scores,
 * records, state entries (other kinds are kept but not fed). Returns entries fed. */
size_t sim_store_load(const struct sim_store *st, struct hs_node *node, uint64_t now);

/* ---- attack.c ---------------------------------------------------------------------------- */
struct sim_adv; /* a Byzantine node's strategy state */

struct sim_node {
	struct hs_sim *sim;
	uint32_t index;
	bool joined;
	bool victim;
	bool down;           /* crashed, not started again yet (churn) */
	uint64_t joined_ns;  /* when it first joined */
	uint64_t up_since;   /* when its current life began (join or restart) */
	uint32_t last_crash; /* churn: its latest crash record, SIM_NONE if none */
	uint64_t hb_sent;    /* churn: the current core's heartbeats_sent, last looked at */
	uint64_t *hb;        /* churn: the times it signed its latest heartbeats (a ring) */
	size_t hb_next, hb_count;
	uint32_t epoch;      /* restarts so far: events of an older life are ignored */
	uint64_t generation; /* hs_node_config.generation: + 1 at each restart */
	struct sim_rng rng;  /* this node's own stream */
	struct sim_store store;
	struct sim_adv *adv; /* NULL for an honest node */
	size_t peak_eps;
	uint8_t side; /* partition side */
	float x, y;   /* position, for the geo latency model */
	struct hs_node *node;
	struct hs_identity *identity;
	struct hs_noise_static *noise;
	struct hs_netaddr addr;
	uint64_t timer_at;
	uint32_t stuck;     /* timer fired and the deadline did not move past now */
	uint32_t ephemeral; /* next source port for a dial */
	struct sim_ep *eps;
	size_t neps, eps_cap;
};

/* The listening address of node i: honest nodes round-robin over cfg.groups /16s from 1.0/16,
 * attackers over cfg.attacker_groups /16s from 201.0/16. */
struct hs_netaddr sim_node_addr(const struct hs_sim *sim, uint32_t i);
/* The node listening at addr, or SIM_NONE. */
uint32_t sim_lookup_addr(const struct hs_sim *sim, const struct hs_netaddr *addr);
HS_MUST_USE int sim_addrmap_init(struct hs_sim *sim);
uint64_t sim_pair_latency(const struct hs_sim *sim, uint32_t a, uint32_t b);
bool sim_partitioned(const struct hs_sim *sim, uint32_t a, uint32_t b, uint64_t now);
/* Sends a chunk from side `from` of c; takes ownership of ch. */
HS_MUST_USE int sim_link_send(struct hs_sim *sim, uint32_t c, unsigned from, struct sim_chunk *ch);
/* A node asked to dial addr. */
HS_MUST_USE int sim_net_dial(struct hs_sim *sim, uint32_t node, const struct hs_netaddr *addr);
HS_MUST_USE int sim_ep_add(struct sim_node *n, uint64_t handle, uint32_t conn, uint8_t side);
struct sim_ep *sim_ep_find(struct sim_node *n, uint64_t handle);
void sim_ep_remove(struct sim_node *n, uint64_t handle);

/* ---- churn.c: its state (the functions are below) ----------------------------------- */
/* One crash of the churn scenario. For a long one (downtime over the dead timeout), per honest
 * node: when it declared the crashed node dead (FAILED) while it was down, and when it saw its
 * new generation alive (JOINED or RECOVERED); SIM_NEVER if not (yet). */
struct sim_crash {
	uint32_t node;
	bool long_;
	uint32_t prev;                 /* the node's previous crash record, SIM_NONE if none */
	uint64_t crash_ns, restart_ns; /* restart_ns: SIM_NEVER until it starts again */
	uint64_t *failed_at, *alive_at;
	uint8_t *alive_first; /* that alive event carried the new life's first heartbeat */
};

struct sim_churn {
	uint64_t interval_ns, suspect_ns, dead_ns; /* from the config */
	uint64_t start_ns, end_ns;                 /* the churn window; 0 until it begins */
	bool converged;
	uint64_t *plan_down; /* [cfg.crashes]: each planned crash's downtime */
	struct sim_crash *crashes;
	size_t ncrashes, crashes_cap;
	uint64_t skipped;
	uint64_t failed, suspected, departed, false_dead, failed_while_up, false_suspect;
	uint64_t short_failed, heartbeats_signed;
	uint32_t example_observer, example_node; /* the first false_dead, SIM_NONE if none */
	uint64_t example_ns;
	uint64_t frame_bytes[16], frames[16]; /* honest frames sent in the churn window */
};

/* ---- world.c ----------------------------------------------------------------------------- */
struct sim_rumor {
	uint8_t id[HS_ID_LEN];
	uint32_t origin;
	bool published;
	uint64_t publish_ns;
};

/* Sums of every node's counters. */
struct sim_totals {
	uint64_t msgs_out[16];
	uint64_t bytes_out, payload_copies_in, duplicates, requests_sent, requests_timed_out;
	uint64_t notfound_sent, pulls_sent, pull_rumors_sent, grafts_declined;
};

struct hs_sim {
	struct hs_sim_config cfg;
	struct sim_rng rng;
	struct sim_evq evq;
	struct sim_vcache vc;
	struct hs_crypto *crypto;
	struct sim_node *nodes;
	size_t nall;       /* honest nodes + Byzantine ones */
	uint32_t *addrmap; /* open addressing: IPv4 -> node index + 1 */
	size_t addrmap_cap;
	struct sim_conn *conns;
	size_t nconns, conns_cap;
	uint64_t now;
	uint64_t publish0_ns; /* the first publish (absolute) */
	uint64_t end_ns;      /* stop here (SIM_NEVER until the last publish) */

	struct sim_rumor *rumors;
	uint32_t *rumor_index; /* open addressing over rumor ids: index + 1 */
	size_t rumor_index_cap, published;
	uint64_t *deliver_ns;    /* [rumor * nodes + node]: ns after publish, SIM_NEVER if never */
	uint64_t state_arrivals; /* --scenario state: entries that reached honest nodes */
	uint64_t state_last_ns;  /* the latest of them, after the entry was set */
	uint32_t *parent;        /* who sent the frame that delivered it (SIM_NONE: the origin) */
	uint64_t *flood_ns;      /* the flood lower bound, SIM_NEVER if unreachable */
	uint64_t deliveries, deliveries_max;
	uint32_t cur_from; /* the sender of the chunk being processed, or SIM_NONE */

	struct sim_totals base; /* at the first publish */

	/* Adversaries. keymap: 32-byte keys (identity, hs_ban_addr_key of the address) -> node. */
	uint8_t (*keymap_keys)[32];
	uint32_t *keymap_node; /* index + 1, 0: empty */
	size_t keymap_cap;
	bool *banned;           /* [nall]: banned by at least one honest node */
	bool *eclipsed;         /* [nodes]: a victim seen with only attacker outbound sessions */
	uint32_t censor_target; /* censor: the honest origin whose rumors are dropped */
	uint64_t verify_honest, verify_attackers, bans_by_kind[4], bans_unmapped, restarts;
	size_t peak_addrbook, peak_bans;
	struct sim_adv *byzantine_state;       /* [byzantine] */
	struct hs_tag tag_state;               /* attackers sign state entries with it */
	uint8_t (*adv_records)[HS_RECORD_MAX]; /* [byzantine]: each attacker's record encoding */
	size_t *adv_record_len;
	size_t sessions_min, sessions_max, isolated;
	double sessions_mean, outbound_mean;
	/* Sessions with honest nodes; the share of outbound sessions that go to attackers. */
	double honest_sessions_mean, outbound_attacker_share;

	uint64_t events, dials, dials_failed, faults, double_deliveries, check_calls;
	uint64_t flood_faults; /* faults of kind HS_SCORE_FLOOD (rate limits) */
	uint64_t chunks_dropped;
	double wall_s;
	bool ran;
	struct sim_churn churn; /* --scenario churn */
};

void sim_totals_sum(const struct hs_sim *sim, struct sim_totals *t);
static inline bool sim_is_attacker(const struct hs_sim *sim, uint32_t i)
{
	return i != SIM_NONE && i >= sim->cfg.nodes;
}
/* The node a 32-byte identity or address-ban key names, or SIM_NONE. */
uint32_t sim_keymap_find(const struct hs_sim *sim, const uint8_t key[32]);
/* The pump of one node (after any input to it). */
void sim_pump(struct hs_sim *sim, struct sim_node *n);
/* The peer node at the other end of node n's handle, or SIM_NONE. */
uint32_t sim_peer_node(struct hs_sim *sim, struct sim_node *n, uint64_t handle);
/* Crashes node i (every connection closes, its core is freed) and starts it again from its
 * saved bytes with generation + 1: sim_node_crash then sim_node_start. */
void sim_node_restart(struct hs_sim *sim, uint32_t i);
/* Crashes node i: every connection ends as a crash ends it, its core is freed, it is down. */
void sim_node_crash(struct hs_sim *sim, uint32_t i);
/* Starts crashed node i again from its saved bytes with generation + 1. */
void sim_node_start(struct hs_sim *sim, uint32_t i);
/* The rumor with this id, or SIM_NONE. */
uint32_t sim_rumor_find(const struct hs_sim *sim, const uint8_t id[HS_ID_LEN]);

/* attack.c: set-up after every node is placed (victims, censor target, strategy state). */
HS_MUST_USE int sim_attack_init(struct hs_sim *sim);
void sim_attack_free(struct hs_sim *sim);
/* Whether the attack acts now. */
bool sim_attack_active(const struct hs_sim *sim);
/* caps.filter_out of every attacker (ctx: its struct sim_node). */
bool sim_attack_filter(void *ctx, uint64_t peer, const uint8_t *msg, size_t msglen);
/* An attacker joined (its core exists): seeds, aims, the first tick. */
void sim_attack_joined(struct hs_sim *sim, struct sim_node *n);
/* An event of an attacker's core. */
void sim_attack_event(struct hs_sim *sim, struct sim_node *n, const struct hs_event *ev);
/* The periodic tick: injects frames; re-arms itself. */
void sim_attack_tick(struct hs_sim *sim, struct sim_node *n);
/* Sends what the strategy queued (from the pump); true if anything was. */
bool sim_attack_flush(struct hs_sim *sim, struct sim_node *n);
/* Eclipse bookkeeping: a victim's sessions may have changed. */
void sim_attack_sample_victim(struct hs_sim *sim, struct sim_node *n);
size_t sim_attack_frames(const struct hs_sim *sim, bool injected);
/* Fatal: a bug in hearsay or the simulator. Prints the seed and aborts. */
_Noreturn void sim_die(const struct hs_sim *sim, const char *what, uint32_t node);

/* ---- churn.c ---------------------------------------------------------------------------- */
/* Set-up (after the nodes are placed): the warm-up's first check. */
HS_MUST_USE int sim_churn_init(struct hs_sim *sim);
void sim_churn_free(struct hs_sim *sim);
/* The scenario's own events (SIM_EV_CHURN, _CRASH, _START). */
void sim_churn_event(struct hs_sim *sim, const struct sim_event *ev);
/* A member event of an honest node's core. */
void sim_churn_member(struct hs_sim *sim, struct sim_node *n, const struct hs_event *ev);
/* After every timer call of an honest node: notes a heartbeat it signed. */
void sim_churn_timer(struct hs_sim *sim, struct sim_node *n);
/* caps.filter_out of honest nodes (ctx: its struct sim_node): counts every frame, keeps all. */
bool sim_churn_filter(void *ctx, uint64_t peer, const uint8_t *msg, size_t msglen);
void sim_churn_report(const struct hs_sim *sim, struct hs_sim_churn_report *r);

/* ---- metrics.c --------------------------------------------------------------------------- */
/* Nearest-rank p50, p99 and max of n samples in ns, in ms (sorts v). */
struct hs_sim_pct sim_percentiles(uint64_t *v, size_t n);
/* Fills flood_ns for rumor r from its origin over the currently active sessions. */
HS_MUST_USE int sim_flood_bound(struct hs_sim *sim, size_t r);
/* Session counts at this moment (sessions_* fields). */
void sim_count_sessions(struct hs_sim *sim);
/* Samples honest nodes' address books and ban lists for the peak-memory proxy. */
void sim_sample_memory(struct hs_sim *sim);

#endif

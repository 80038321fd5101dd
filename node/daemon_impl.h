/*
 * node/: hearsayd's internals, shared by its files:
 *
 *   daemon.c   start, stop, the libuv loop, TCP connections, the timer and the pump
 *   persist.c  the store: loading at start, writing what the core asks to save
 *   rpc.c      the JSON-RPC server on the Unix socket (framing, auth, dispatch)
 *   rpc_methods.c  the methods
 *   httprpc.c  JSON-RPC over HTTP on loopback TCP (libmicrohttpd's thread, replies from the loop)
 *   rpcauth.c  the rpcauth password check and hex decoding
 *   metrics.c  Prometheus text on a loopback HTTP port (libmicrohttpd's thread, rendered on the
 * loop) upnp.c     the optional UPnP port mapping, off the loop thread names.c    peers and seeds
 * named by host, and DNS seeds: resolved off the loop thread
 *   recent.c   the ring of recently delivered rumors behind listrumors
 *   members.c  membership for operators: getmembers, member counts, member events' log lines
 *
 * The driver is thin: it moves bytes, time and events between sockets, the store and the core
 * (the pump: input -> write pending bytes -> handle events -> re-arm the one timer). It makes
 * no protocol decisions.
 */
#ifndef HEARSAY_NODE_DAEMON_IMPL_H
#define HEARSAY_NODE_DAEMON_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <uv.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "node/config.h"
#include "node/log.h"
#include "overlay/node.h"
#include "store/store.h"

/* JSON-RPC error codes every method file answers with (docs/RPC.md). */
#define E_PARAMS   (-32602)
#define E_INTERNAL (-32603)

#define HS_RPC_LINE_MAX    (1024 * 1024)     /* one request */
#define HS_RPC_BACKLOG_MAX (8 * 1024 * 1024) /* unread notifications before a client is dropped */

struct hs_daemon;

struct conn {
	uv_tcp_t tcp;
	struct hs_daemon *d;
	struct conn *next, *prev;
	uint64_t peer; /* the core's handle; 0 until opened */
	struct hs_netaddr addr;
	bool outbound;
	bool up;                /* the core reported the session up (HS_EV_PEER_UP) */
	uint8_t id[HS_KEY_LEN]; /* the peer's identity, once up */
	uint64_t up_ns;
	char why[HS_REASON_MAX + 64]; /* why the session ends: the first reason seen */
	bool writing;
	bool close_requested; /* the core asked: close once pending bytes are written */
	bool closing;         /* uv_close called */
	uv_connect_t creq;
	uv_write_t wreq;
	uint8_t *wbuf;
};

struct rpc_client {
	uv_pipe_t pipe;
	struct hs_daemon *d;
	struct rpc_client *next, *prev;
	char *in;
	size_t inlen, incap;
	bool authed;
	bool subscribed;
	char topic[HS_TOPIC_MAX + 1]; /* empty: every topic */
	bool members;                 /* subscribe members: member notifications */
	bool closing;
	size_t backlog; /* bytes written but not yet flushed */
};

struct hs_metrics;
struct hs_seed;
enum { HS_DIAL_OK, HS_DIAL_FAILED, HS_DIAL_REFUSED, HS_DIAL_RESULTS };
struct hs_httprpc;
struct hs_validators;
struct hs_upnp;
struct hs_names;
struct hs_recent;

struct hs_daemon {
	struct hs_config cfg;
	int argc;
	char **argv;
	size_t ndefs;
	const char *const *defs;  /* the program's defaults (hs_host_set_default) */
	struct hs_host *host;     /* the host this node runs in (host.c) */
	char error[1024];         /* the last start failure, for hs_host_error */
	bool finished;            /* the loop has nothing left to do after a stop */
	bool pumping, pump_again; /* hs_daemon_pump is running; it was called again meanwhile */
	uv_loop_t loop;
	uv_tcp_t listener;
	bool listening;
	uv_timer_t timer;
	uv_timer_t stop_timer;
	uv_timer_t clock_timer; /* re-reads the wall clock (CLOCK_CHECK_MS) */
	int64_t wall_offset_ns; /* system clock minus hs_daemon_now, as last told to the node */
	uv_pipe_t rpc;
	bool rpc_on;

	struct hs_node *node;
	struct hs_crypto *crypto;
	struct hs_identity *id;
	struct hs_noise_static *noise;
	struct hs_keycache *keys; /* parsed public keys of recent signers */
	struct hs_store *store;
	uv_timer_t store_timer;       /* probes a store that refused a write (persist.c) */
	bool store_readonly;          /* a write failed: own writes refused until a probe works */
	uint64_t store_write_errors;  /* failed writes and probes */
	uint64_t store_saves_dropped; /* HS_EV_SAVE writes lost to a failing store */
	uint64_t generation;
	uint64_t wall0_ns, mono0_ns, started_ns;

	struct conn *conns;
	struct rpc_client *clients;
	char cookie[80];
	char cookie_path[HS_CONFIG_PATH_MAX + 16];
	bool stopping;
	int exit_code;
	uint64_t deliveries;

	/* Outbound connects by result (hearsay_dials_total{result}): the TCP connect worked,
	 * the peer refused it (nothing listens), or it failed otherwise (timeout, unreachable). */
	uint64_t dial_results[HS_DIAL_RESULTS];
	struct hs_metrics *metrics;
	struct hs_httprpc *http;          /* NULL with rpcport=0 */
	struct hs_validators *validators; /* signer policies and external validators */
	struct hs_upnp *upnp;
	struct hs_names *names;
	struct hs_seed *seed;     /* seed mode's status line (seed.c) */
	struct hs_recent *recent; /* recently delivered rumors, for listrumors (recent.c) */
	/* Inbound sessions that end before their handshake are logged at most
	 * HS_LOG_EARLY_ENDS_PER_MIN a minute; the rest are counted and the count logged. */
	uint64_t early_window_ns, early_logged, early_suppressed;
	uint8_t readbuf[65536];
};

/* daemon.c */
uint64_t hs_daemon_now(const struct hs_daemon *d);
/* After any input to the core: write, handle events, re-arm the timer. */
void hs_daemon_pump(struct hs_daemon *d);
/* Begins a graceful stop (RPC stop, hs_host_stop). */
void hs_daemon_stop(struct hs_daemon *d, const char *why);
/* With cfg loaded and the loop initialised: opens everything and starts the node. 0, or the
 * exit status (sysexits.h) with d->error set. hs_daemon_teardown follows in either case. */
int hs_daemon_start(struct hs_daemon *d);
/* After the loop stopped: closes every handle, the node, the store and the keys. */
void hs_daemon_teardown(struct hs_daemon *d);
/* Rereads the configuration file (SIGHUP). */
void hs_daemon_reload(struct hs_daemon *d);
/* -repairstore: 0 or the exit status with d->error set. */
int hs_daemon_repair(struct hs_daemon *d);

/* host.c: what the node gives the host API's callbacks. */
void hs_host_deliver(struct hs_daemon *d, const struct hs_event *ev);
void hs_host_state_changed(struct hs_daemon *d, const struct hs_event *ev);
void hs_host_member_changed(struct hs_daemon *d, const struct hs_event *ev);
/* An in-process validator's verdict for rm, or HS_ACCEPT when the topic has none. */
enum hs_verdict hs_host_validate(struct hs_daemon *d, const struct hs_rumor *rm,
                                 const uint8_t id[HS_ID_LEN]);

/* persist.c */
HS_MUST_USE int hs_persist_open(struct hs_daemon *d, char *err, size_t errlen);
/* Loads records, bans and scores into the node. A table that cannot be read stops the start
 * (err names the repair) unless cfg.ignorestoredamage, which logs the loss and goes on. */
HS_MUST_USE int hs_persist_load(struct hs_daemon *d, char *err, size_t errlen);
void hs_persist_save(struct hs_daemon *d, const struct hs_event *ev);
/* caps.save_own: our own new state entry, synchronously, before the core announces it. */
HS_MUST_USE int hs_persist_save_own(struct hs_daemon *d, const uint8_t *key, size_t keylen,
                                    const uint8_t *enc, size_t enclen);
/* Deletes one of our entries the core refused after save_own stored it. */
HS_MUST_USE int hs_persist_unsave_own(struct hs_daemon *d, const uint8_t *key, size_t keylen);
/* True while the store refuses writes (own writes are refused; see persist.c). */
bool hs_persist_readonly(const struct hs_daemon *d);
/* The store's last error line, never empty. */
const char *hs_persist_error(const struct hs_daemon *d);
void hs_persist_close(struct hs_daemon *d);

/* rpc.c */
HS_MUST_USE int hs_rpc_start(struct hs_daemon *d, char *err, size_t errlen);
void hs_rpc_stop(struct hs_daemon *d);
/* A delivered rumor: notify subscribers. */
void hs_rpc_notify_rumor(struct hs_daemon *d, const struct hs_event *ev);
/* A state entry changed: notify subscribers without a topic filter. */
void hs_rpc_notify_state(struct hs_daemon *d, const struct hs_event *ev);
/* A member event (HS_EV_MEMBER): notify `subscribe members` clients. */
void hs_rpc_notify_member(struct hs_daemon *d, const struct hs_event *ev);
json_t *hs_entry_json(const struct hs_entry *e, const uint8_t id[HS_ID_LEN]);
/* Sends one JSON value as a line to a client (takes a reference to v). */
void hs_rpc_send(struct rpc_client *c, json_t *v);

/* rpc_methods.c: the result for method/params, or NULL with *code and *message set. */
json_t *hs_rpc_call(struct hs_daemon *d, struct rpc_client *c, const char *method, json_t *params,
                    int *code, const char **message);
/* Hex and address helpers shared by the methods and the CLI-facing output. */
void hs_hex(char *out, const uint8_t *p, size_t n);
bool hs_unhex(uint8_t *out, size_t n, const char *hex);
json_t *hs_rumor_json(const struct hs_rumor *rm, const uint8_t id[HS_ID_LEN]);

/* httprpc.c: started and stopped by hs_rpc_start/hs_rpc_stop (after the cookie exists). */
HS_MUST_USE int hs_httprpc_start(struct hs_daemon *d, char *err, size_t errlen);
void hs_httprpc_stop(struct hs_daemon *d);
/* getrpcinfo's "http": connection and request counts; null when off. */
json_t *hs_httprpc_json(struct hs_daemon *d);
/* The address of an accepted socket (an IPv4-mapped IPv6 address as IPv4, port 0); false for
 * another family. Shared with metrics.c. */
struct sockaddr;
bool hs_sockaddr_netaddr(struct hs_netaddr *a, const struct sockaddr *sa);
/* validators.c: signer policies (topicsigners) and external validators over RPC */
struct hs_validation_stats {
	uint64_t policy_dropped;        /* rumors from an origin a signer policy does not list */
	uint64_t sent, answered;        /* rumors sent to validators; verdicts taken */
	uint64_t timeouts;              /* held ids whose deadline passed unanswered */
	uint64_t overflows;             /* a validator's queue was full: the default at once */
	uint64_t disconnect_defaults;   /* held rumors given the default when a validator left */
	uint64_t verdicts_refused;      /* unknown, repeated, late or foreign verdicts */
	uint64_t registrations_refused; /* topic taken, HS_VALIDATORS_MAX, second topic */
};
HS_MUST_USE int hs_validators_new(struct hs_daemon *d);
void hs_validators_free(struct hs_daemon *d);
/* caps.validate. */
enum hs_verdict hs_validators_judge(struct hs_daemon *d, const struct hs_rumor *rm,
                                    const uint8_t id[HS_ID_LEN]);
/* False if topic has a signer policy that does not list origin. */
bool hs_validators_signer_ok(const struct hs_daemon *d, const uint8_t *topic, size_t topic_len,
                             const uint8_t origin[HS_KEY_LEN]);
/* The RPC methods validate and verdict: a result, or NULL with *message set. */
json_t *hs_validators_register(struct hs_daemon *d, struct rpc_client *c, const char *topic,
                               const char **message);
json_t *hs_validators_verdict(struct hs_daemon *d, struct rpc_client *c,
                              const uint8_t id[HS_ID_LEN], const char *verdict,
                              const char **message);
/* An RPC client closed: if it was a validator, its held rumors get the default now. */
void hs_validators_client_gone(struct hs_daemon *d, struct rpc_client *c);
/* getvalidationinfo. */
json_t *hs_validators_json(const struct hs_daemon *d);
const struct hs_validation_stats *hs_validators_stats(const struct hs_daemon *d);

/* ipcount.c: open connections per address, shared by the HTTP endpoints' MHD threads. */
#define HS_IPCOUNT_SLOTS                                                                           \
	((HS_METRICS_CONNECTIONS_MAX > HS_RPC_HTTP_CONNECTIONS_MAX                                 \
	          ? HS_METRICS_CONNECTIONS_MAX                                                     \
	          : HS_RPC_HTTP_CONNECTIONS_MAX) +                                                 \
	 1)
struct hs_ipcount {
	pthread_mutex_t mu;
	size_t cap; /* slots used: one more than the endpoint's connection limit */
	struct {
		struct hs_netaddr ip; /* port 0 */
		unsigned n;
	} slot[HS_IPCOUNT_SLOTS];
};
void hs_ipcount_init(struct hs_ipcount *c, size_t cap);
void hs_ipcount_destroy(struct hs_ipcount *c);
/* The open connections from a's address after moving its count by delta (0: just read). */
unsigned hs_ipcount_add(struct hs_ipcount *c, const struct hs_netaddr *a, int delta);

/* metrics.c */
HS_MUST_USE int hs_metrics_start(struct hs_daemon *d, char *err, size_t errlen);
void hs_metrics_stop(struct hs_daemon *d);
/* Counts one HS_EV_FAULT by its kind (enum hs_score_kind), for hearsay_faults_total. */
void hs_metrics_fault(struct hs_daemon *d, int kind);

/* names.c: connect/addnode/seednode names and DNS seeds (see the top of names.c). */
HS_MUST_USE int hs_names_start(struct hs_daemon *d);
/* SIGHUP: addnode names not yet known are added. */
void hs_names_reload(struct hs_daemon *d, const struct hs_addr_list *addnode);
/* The addnode RPC with a host name: cmd add, remove or onetry. 0, HS_ERR_EXISTS (add: known),
 * HS_ERR_NOT_FOUND (remove: not added), HS_ERR_FULL (HS_NAMES_MAX), HS_ERR_INVALID (cmd). */
HS_MUST_USE int hs_names_addnode(struct hs_daemon *d, const struct hs_endpoint *e, const char *cmd);
/* A dial of addr failed, or its session ended before the handshake: the name behind it is
 * looked up again after the backoff. */
void hs_names_dial_failed(struct hs_daemon *d, const struct hs_netaddr *addr);
/* A session to addr came up: the backoff of the name behind it starts over. */
void hs_names_connected(struct hs_daemon *d, const struct hs_netaddr *addr);
/* The host name addr was resolved from, for logs; NULL if none. */
const char *hs_names_of(const struct hs_daemon *d, const struct hs_netaddr *addr);
void hs_names_stats(const struct hs_daemon *d, uint64_t *lookups, uint64_t *failures,
                    uint64_t *discarded);
/* At stop: cancels lookups not yet started (one already running is waited for). */
void hs_names_stop(struct hs_daemon *d);
/* After the loop's last run. */
void hs_names_free(struct hs_daemon *d);

/* seed.c: seed mode's status line every minute, and its RPC methods. */
void hs_seed_start(struct hs_daemon *d);
void hs_seed_stop(struct hs_daemon *d);
json_t *hs_seed_rpc_stats(struct hs_daemon *d, json_t *params, int *code, const char **message);
json_t *hs_seed_rpc_export(struct hs_daemon *d, json_t *params, int *code, const char **message);

/* recent.c: the last HS_RECENT_RUMORS_MAX delivered rumors (ids and topics, numbered in
 * delivery order from 1 within this run) and listrumors. The pure ring first (unit-tested
 * alone), then the daemon's side. */
#define HS_RECENT_CURSOR_LEN (16 + 1 + 20 + 1) /* "RUN-SEQ": 16 hex digits, '-', decimal, NUL */
struct hs_recent *hs_recent_new(uint64_t run);
void hs_recent_del(struct hs_recent *r);
uint64_t hs_recent_run(const struct hs_recent *r);
/* The newest seq delivered (0: none yet) and the oldest still held (last + 1 when empty). */
uint64_t hs_recent_last(const struct hs_recent *r);
uint64_t hs_recent_oldest(const struct hs_recent *r);
/* Entries overwritten by newer ones since the start. */
uint64_t hs_recent_evicted(const struct hs_recent *r);
/* Numbers a delivered rumor last + 1; over HS_RECENT_RUMORS_MAX the oldest is overwritten. */
void hs_recent_add(struct hs_recent *r, const uint8_t id[HS_ID_LEN], const uint8_t *topic,
                   size_t topic_len);
/* Rumor seq's id and topic (borrowed until the next add); false if not held. */
bool hs_recent_get(const struct hs_recent *r, uint64_t seq, uint8_t id[HS_ID_LEN],
                   const uint8_t **topic, size_t *topic_len);
void hs_recent_cursor_format(char out[HS_RECENT_CURSOR_LEN], uint64_t run, uint64_t seq);
/* Strict: exactly 16 lower-case hex digits, '-', 1..20 decimal digits; false otherwise. */
bool hs_recent_cursor_parse(const char *s, uint64_t *run, uint64_t *seq);
/* d->recent with a random run tag; HS_ERR_NOMEM. */
HS_MUST_USE int hs_recent_start(struct hs_daemon *d);
void hs_recent_stop(struct hs_daemon *d);
/* HS_EV_DELIVER: numbers the rumor (before subscribers are notified). */
void hs_recent_deliver(struct hs_daemon *d, const struct hs_event *ev);
/* The cursor just after the newest delivered rumor, as a JSON string (subscribe's rumor
 * notifications carry it, so a subscriber can resume with listrumors); null without a ring. */
json_t *hs_recent_cursor_json(const struct hs_daemon *d);
/* listrumors TOPIC [CURSOR] [COUNT]: a result, or NULL with *code and *message set. */
json_t *hs_recent_rpc_list(struct hs_daemon *d, json_t *params, int *code, const char **message);

/* members.c: membership for operators and RPC clients. */
const char *hs_member_status_name(uint8_t status); /* alive, suspect, dead, left */
const char *hs_member_change_name(uint8_t change); /* join, alive, suspect, dead, leave, update */
/* {id, addr, status, generation, heartbeat, interval_ms, first_seen, last_seen,
 * status_since}; addr null when its family is 0. */
json_t *hs_member_json(const struct hs_member *m, const struct hs_netaddr *addr);
/* The members table, sorted by id (malloc'd, the caller frees); *n receives how many. NULL
 * when out of memory. */
struct hs_member_info *hs_members_sorted(struct hs_daemon *d, size_t *n);
/* getmembers [STATUS]: a result, or NULL with *code and *message set. */
json_t *hs_members_rpc_get(struct hs_daemon *d, json_t *params, int *code, const char **message);
/* getnetworkinfo's "members": {alive, suspect, dead, left, total}. */
json_t *hs_members_counts_json(struct hs_daemon *d);
/* HS_EV_MEMBER: one log line for a change of status, then subscribers are notified. */
void hs_members_on_event(struct hs_daemon *d, const struct hs_event *ev);

/* upnp.c */
/* Starts the UPnP thread (upnp=1). */
void hs_upnp_start(struct hs_daemon *d);
/* The node begins to stop: the thread removes the mapping now, while peers are told. */
void hs_upnp_leave(struct hs_daemon *d);
/* Waits for the removal, at most HS_UPNP_STOP_MS, and frees what the thread left. */
void hs_upnp_stop(struct hs_daemon *d);
/* getnetworkinfo's "upnp": null when off. */
json_t *hs_upnp_json(struct hs_daemon *d);

#endif

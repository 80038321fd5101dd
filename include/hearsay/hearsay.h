/*
 * libhearsay: a hearsay node inside your program (the host API).
 *
 * A host is what hearsayd runs: the protocol core, its TCP listener and dials, the LevelDB
 * store under the data directory (addresses, bans, scores, state), the identity key file and
 * the generation counter, and, when configured, the RPC endpoints and metrics. hearsayd itself
 * is a short program over this API.
 *
 *   struct hs_host *h = hs_host_new();
 *   hs_host_set(h, "datadir", "/var/lib/myapp/hearsay");
 *   hs_host_set(h, "seednode", "seed.example.org:7070");
 *   hs_host_subscribe(h, "blocks", on_block, app);
 *   if (hs_host_start(h) != 0) { fprintf(stderr, "%s\n", hs_host_error(h)); ... }
 *   hs_host_publish(h, "blocks", header, sizeof(header), NULL);
 *   ...
 *   hs_host_stop(h);
 *   hs_host_free(h);
 *
 * Link with `pkg-config --cflags --libs hearsay` or CMake's find_package(hearsay) and
 * hearsay::hearsay. docs/EMBEDDING.md explains the API by example.
 *
 * Configuration: the keys of hearsay.conf (docs/CONFIG.md), set one by one with hs_host_set
 * or as hearsayd's command-line flags with hs_host_args, before the host starts. A host reads
 * DATADIR/hearsay.conf (or conf=PATH) as hearsayd does, and what is set here overrides it. The
 * defaults are hearsayd's, with one exception: an embedded host serves no RPC (no Unix socket,
 * no HTTP port) unless server=1 is set; hearsayd sets it.
 *
 * Threads: a host runs on one thread, its loop thread, which is where every callback runs:
 *   hs_host_start      starts a thread of its own and returns once the host is up;
 *   hs_host_run        runs on the calling thread until the host stops (as hearsayd does);
 *   hs_host_start_on   runs inside the application's libuv loop (uv_loop_t *), whose thread
 *                      then calls the callbacks; the host adds two handles to that loop.
 * Every other function may be called from any thread. From the loop thread (a callback, or
 * the application's loop in hs_host_start_on mode) it acts at once; from another thread the
 * call is handed to the loop thread and waits until it has been carried out. Calls after the
 * host stopped return HS_ERR_STOPPED; a call that cannot be made from the loop thread
 * (hs_host_free, or waiting in hs_host_stop) returns HS_ERR_THREAD there.
 *
 * Ownership: arguments are borrowed for the call; the host copies what it keeps. What a
 * callback receives is valid only during the callback.
 *
 * Errors: every function that can fail returns 0 or a negative HS_ERR_* code
 * (hearsay/error.h); hs_host_error names the last failure of the host in one line.
 */
#ifndef HEARSAY_HEARSAY_H
#define HEARSAY_HEARSAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HS_HOST_ID_LEN 32 /* node ids (x-only public keys) and rumor ids */

struct hs_host;
struct uv_loop_s; /* libuv's uv_loop_t, for hs_host_start_on */

/* The library's version, e.g. "0.1.0". */
const char *hs_version(void);
/* The wire protocol version this library speaks (docs/PROTOCOL.md). */
int hs_protocol_version(void);
/* Every configuration key with its default and meaning, as hearsayd --help prints them. */
const char *hs_host_help(void);

/* Where the log lines of every host in the process go (the default, NULL, is stderr with a UTC
 * timestamp, as hearsayd writes them). fn receives the level (0 error, 1 warn, 2 info,
 * 3 debug) and the line without timestamp or newline, control characters already replaced by
 * '?'; the line is valid only during the call, which runs on the thread of the host that logs
 * (its own thread, or the loop thread of hs_host_start_on) and must not call back into that
 * host. Process-wide, like the level (the "loglevel" key of the host started last): set it
 * before any host starts; changing it while one runs is not supported. */
typedef void (*hs_log_fn)(void *ctx, int level, const char *line);
void hs_set_log(hs_log_fn fn, void *ctx);

/* ---- create and configure -------------------------------------------------------------- */

/* A new host, not started; NULL if out of memory. */
struct hs_host *hs_host_new(void);
/* Sets one configuration key as hearsay.conf spells it ("datadir", "listen", "seednode",
 * "topics", ...). Repeatable keys (seednode, addnode, connect, dnsseed, topics, topicsigners)
 * add one value per call. Values are checked when the host starts: an unknown key or a bad
 * value fails hs_host_start with the key named. HS_ERR_STATE once started. */
HS_MUST_USE int hs_host_set(struct hs_host *h, const char *key, const char *value);
/* Sets a key's default for this program: the configuration file, hs_host_set and
 * hs_host_args still override it (hearsayd sets server=1 this way). */
HS_MUST_USE int hs_host_set_default(struct hs_host *h, const char *key, const char *value);
enum {
	HS_HOST_ARGS_HELP = 1,    /* --help: print hs_host_help() */
	HS_HOST_ARGS_VERSION = 2, /* --version */
};
/* Takes command-line flags as hearsayd does (-key=value, --key=value, a bare -key for key=1;
 * argv[0] is the program's name) and checks them with the configuration file they name:
 * 0, HS_HOST_ARGS_HELP, HS_HOST_ARGS_VERSION, or HS_ERR_INVALID with hs_host_error set (a
 * bad flag or value) and hs_host_exit_status 64 or 78. */
HS_MUST_USE int hs_host_args(struct hs_host *h, int argc, char **argv);

/* ---- callbacks (set before or after start; each runs on the loop thread) ---------------- */

/* A rumor: a signed message on a topic. */
struct hs_message {
	const char *topic; /* NUL-terminated */
	const uint8_t *data;
	size_t len;
	uint8_t id[HS_HOST_ID_LEN];     /* the rumor's id */
	uint8_t origin[HS_HOST_ID_LEN]; /* who signed it */
	uint64_t time_ms;               /* the origin's clock when it signed, Unix ms */
};

/* Called for every new valid rumor on topic (NULL: every topic), our own included. A topic
 * the host does not take (topics= lists others) never delivers: hs_host_start fails, and a
 * later call returns HS_ERR_INVALID, naming it in hs_host_error. HS_ERR_FULL beyond
 * 64 subscriptions (HS_HOST_SUBSCRIPTIONS_MAX); HS_ERR_INVALID for a bad topic name. */
typedef void (*hs_message_fn)(void *ctx, const struct hs_message *m);
HS_MUST_USE int hs_host_subscribe(struct hs_host *h, const char *topic, hs_message_fn fn,
                                  void *ctx);
/* Removes every subscription of fn with ctx on topic. HS_ERR_NOT_FOUND if there was none. */
HS_MUST_USE int hs_host_unsubscribe(struct hs_host *h, const char *topic, hs_message_fn fn,
                                    void *ctx);

/* A validator's answer (gossipsub's). Who is charged (docs/PROTOCOL.md): */
enum hs_host_verdict {
	HS_VERDICT_ACCEPT = 0,        /* deliver and relay */
	HS_VERDICT_REJECT = 1,        /* invalid by a rule every node of the network applies: the
	                               * relay that sent it is charged a fault */
	HS_VERDICT_IGNORE = 2,        /* drop, charge nobody */
	HS_VERDICT_PENDING = 3,       /* answered later with hs_host_verdict */
	HS_VERDICT_REJECT_ORIGIN = 4, /* invalid by our own rule: the signer is charged, never
	                               * the relay, which could not know the rule */
};
/* Called for every rumor on topic after its signature verified, before it is delivered or
 * relayed; one validator per topic (HS_ERR_EXISTS for a second; fn NULL removes it). A
 * rumor answered HS_VERDICT_PENDING is held until hs_host_verdict or validate_timeout_ms,
 * after which validate_default applies. */
typedef enum hs_host_verdict (*hs_validate_fn)(void *ctx, const struct hs_message *m);
HS_MUST_USE int hs_host_set_validator(struct hs_host *h, const char *topic, hs_validate_fn fn,
                                      void *ctx);
/* The answer for a held rumor. HS_ERR_NOT_FOUND if it is not held (unknown id, answered
 * already, or its deadline passed); HS_ERR_INVALID for HS_VERDICT_PENDING. */
HS_MUST_USE int hs_host_verdict(struct hs_host *h, const uint8_t id[HS_HOST_ID_LEN],
                                enum hs_host_verdict verdict);

/* A state entry: one key of one node's replicated, signed key/value state. */
struct hs_state {
	uint8_t origin[HS_HOST_ID_LEN];
	const char *key; /* NUL-terminated */
	const uint8_t *value;
	size_t len;
	bool deleted; /* a tombstone: value NULL, len 0 */
	uint64_t generation, version;
};
/* Called for every change of any node's state (our own included). HS_ERR_FULL beyond
 * 64 watchers (HS_HOST_SUBSCRIPTIONS_MAX). */
typedef void (*hs_state_fn)(void *ctx, const struct hs_state *s);
HS_MUST_USE int hs_host_watch_state(struct hs_host *h, hs_state_fn fn, void *ctx);

/* A member: a node whose signed heartbeat this host has seen (docs/PROTOCOL.md §9.8), itself
 * included. Only the member's key signs its heartbeat and its leave, so no peer can make a
 * node look alive or left; a peer can only delay the news. */
enum hs_host_member_status {
	HS_HOST_MEMBER_ALIVE = 1,   /* its heartbeat made progress recently */
	HS_HOST_MEMBER_SUSPECT = 2, /* none for suspect_heartbeats of its intervals */
	HS_HOST_MEMBER_DEAD = 3,    /* none for dead_heartbeats of its intervals */
	HS_HOST_MEMBER_LEFT = 4,    /* it signed a leave (it stopped gracefully) */
};
struct hs_host_member {
	uint8_t id[HS_HOST_ID_LEN];
	char addr[64];            /* "1.2.3.4:7070" or "[2001:db8::1]:7070"; "" when unknown */
	int status;               /* enum hs_host_member_status */
	uint64_t generation;      /* rises at each of its restarts, which make it alive again */
	uint64_t heartbeat;       /* its newest heartbeat's version */
	uint64_t interval_ms;     /* the heartbeat interval it declares */
	uint64_t first_seen_ms;   /* Unix ms: its first heartbeat reached us */
	uint64_t last_seen_ms;    /* Unix ms: its heartbeat last made progress */
	uint64_t status_since_ms; /* Unix ms: its status last changed */
};
/* What changed (Serf's member-join, -update, -failed, -leave events and SWIM's suspect). */
enum hs_host_member_change {
	HS_HOST_MEMBER_JOINED = 1,    /* first seen alive */
	HS_HOST_MEMBER_RECOVERED = 2, /* suspect, dead or left before: alive again */
	HS_HOST_MEMBER_SUSPECTED = 3,
	HS_HOST_MEMBER_FAILED = 4,   /* declared dead */
	HS_HOST_MEMBER_DEPARTED = 5, /* signed a leave */
	HS_HOST_MEMBER_UPDATED = 6,  /* one of its other state entries changed */
};
/* Called for every member event, on the loop thread; m is the member after the change.
 * HS_ERR_FULL beyond 64 watchers (HS_HOST_SUBSCRIPTIONS_MAX). */
typedef void (*hs_member_fn)(void *ctx, enum hs_host_member_change change,
                             const struct hs_host_member *m);
HS_MUST_USE int hs_host_watch_members(struct hs_host *h, hs_member_fn fn, void *ctx);

/* ---- run ----------------------------------------------------------------------------------- */

/* Starts the host on a thread of its own; returns once it listens, its store is open and
 * its peers are being dialled. On failure, hs_host_error says why and hs_host_exit_status
 * gives the exit status a daemon would use (sysexits.h). */
HS_MUST_USE int hs_host_start(struct hs_host *h);
/* Starts the host and runs it on the calling thread until it stops (hs_host_stop from
 * another thread or a callback, or the RPC stop): 0, or the error that stopped it. */
HS_MUST_USE int hs_host_run(struct hs_host *h);
/* Starts the host inside the application's libuv loop, which must run for the host to. */
HS_MUST_USE int hs_host_start_on(struct hs_host *h, struct uv_loop_s *loop);
/* Stops the host: peers are told we leave (with a signed leave when heartbeats are on, so
 * members list us as left rather than dead), sessions close (at most 2 s), the store closes.
 * From another thread it returns when the host has stopped; from the loop thread it begins
 * the stop and returns at once. Stopping a stopped host is a no-op. */
int hs_host_stop(struct hs_host *h);
/* True from a successful start until the host has stopped. */
bool hs_host_running(const struct hs_host *h);
/* hearsayd -repairstore: rebuilds a damaged store in the configured data directory from what
 * can still be read. Only on a host that is not running. */
HS_MUST_USE int hs_host_repair(struct hs_host *h);
/* Rereads the configuration file, as hearsayd does on SIGHUP (loglevel, addnode,
 * bantime_s and topicsigners take effect). */
HS_MUST_USE int hs_host_reload(struct hs_host *h);
/* Frees a host that is stopped or never started. HS_ERR_STATE while it runs (stop it
 * first); HS_ERR_THREAD from the loop thread. */
int hs_host_free(struct hs_host *h);
/* The last failure in one line, never NULL ("" when none). */
const char *hs_host_error(const struct hs_host *h);
/* The exit status a daemon should end with after the last failure (sysexits.h: 64 usage,
 * 65 damaged data, 69 unavailable, 73 cannot create, 74 I/O, 77 permission, 78 config). */
int hs_host_exit_status(const struct hs_host *h);

/* ---- act ------------------------------------------------------------------------------------ */

/* Our node id. HS_ERR_STATE before the host has started (the id comes from the key file). */
HS_MUST_USE int hs_host_id(struct hs_host *h, uint8_t id[HS_HOST_ID_LEN]);
/* Signs and spreads a rumor; id (if not NULL) receives its id. HS_ERR_INVALID for a bad
 * topic or an oversize payload (docs/PROTOCOL.md gives the limit). */
HS_MUST_USE int hs_host_publish(struct hs_host *h, const char *topic, const void *data, size_t len,
                                uint8_t id[HS_HOST_ID_LEN]);
/* Sets one of our own state keys (stored before it is announced). HS_ERR_IO if the store
 * refused the write: the value was not set. */
HS_MUST_USE int hs_host_set_state(struct hs_host *h, const char *key, const void *value,
                                  size_t len);
HS_MUST_USE int hs_host_del_state(struct hs_host *h, const char *key);
/* Copies the value of (origin, key) into buf (origin NULL: our own). *len receives the
 * value's length; HS_ERR_BUFFER if cap is smaller (nothing copied), HS_ERR_NOT_FOUND if the
 * host holds no such entry or it is deleted. */
HS_MUST_USE int hs_host_get_state(struct hs_host *h, const uint8_t origin[HS_HOST_ID_LEN],
                                  const char *key, void *buf, size_t cap, size_t *len);

/* A session to a peer. */
struct hs_host_peer {
	uint8_t id[HS_HOST_ID_LEN];
	char addr[64]; /* "1.2.3.4:7070" or "[2001:db8::1]:7070" */
	bool inbound;
	double score;
};
/* Fills up to max sessions; *n receives how many there are (may exceed max). */
HS_MUST_USE int hs_host_peers(struct hs_host *h, struct hs_host_peer *out, size_t max, size_t *n);
/* Fills up to max members (struct hs_host_member, above), sorted by id; *n receives how many
 * there are (may exceed max). Ourselves included, unless heartbeat_interval_s=0 here: then we
 * sign no heartbeat and are in nobody's list, ours included. */
HS_MUST_USE int hs_host_members(struct hs_host *h, struct hs_host_member *out, size_t max,
                                size_t *n);

#ifdef __cplusplus
}
#endif

#endif

/*
 * overlay/: the hearsay protocol core — one node, sans-IO.
 *
 * The driver (hearsayd's libuv loop, or the simulator) owns sockets, clocks, files and
 * randomness; the node owns the protocol. The driver pumps it:
 *
 *   1. feed one input: hs_node_peer_open / hs_node_recv / hs_node_peer_closed /
 *      hs_node_dial_failed / hs_node_publish / hs_node_timer;
 *   2. for every peer with output (hs_node_pending), pull bytes into its own buffer with
 *      hs_node_write and send them;
 *   3. drain events with hs_node_poll_event (deliveries, dial and close requests, records to
 *      save, peer up/down);
 *   4. re-arm one timer at hs_node_next_deadline.
 *
 * Time: `now` is nanoseconds since the Unix epoch, never decreasing from one call to the next
 * (the driver derives it from a monotonic clock and the wall clock at start); timeouts run on
 * it. What is compared with other nodes' clocks (rumor times and the clock-skew window, record
 * times) uses the wall clock, now + an offset the driver sets with hs_node_set_wall_offset
 * when the system clock is corrected (or the machine resumes) while `now` stays monotonic.
 *
 * The only callbacks are capabilities (struct hs_caps): random bytes, sign, verify, validate,
 * log. They never call back into the node, so there are no re-entrancy rules.
 *
 * Ownership: inputs are borrowed for the call; what the node keeps, it copies. Output buffers
 * belong to the caller. An event's pointers stay valid until the next call into the node.
 *
 * Attacker model: every byte given to hs_node_recv is the peer's, who may send anything, at
 * any rate, in any order, and replay anything it has seen. No peer input can crash the node,
 * make it allocate beyond the limits in limits.h, or reach an assertion. Faults a peer
 * provably commits (bad signature, malformed frame, protocol violation) count against it;
 * unknown or late data is ignored, not punished.
 */
#ifndef HEARSAY_NODE_H
#define HEARSAY_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/netaddr.h"
#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "hearsay/error.h"
#include "overlay/entry.h"
#include "overlay/members.h"
#include "overlay/record.h"
#include "overlay/rumor.h"
#include "reputation/banlist.h"
#include "reputation/score.h"

#define HS_NS_PER_MS 1000000ull
#define HS_NS_PER_S  1000000000ull

/* What the application's validator says about a rumor (gossipsub's accept/reject/ignore).
 * Who is charged (docs/PROTOCOL.md, "who is charged"): a relay only for a rule every node of
 * the network applies (HS_REJECT); never for a rule it could not know, which is any local
 * policy (HS_IGNORE, or HS_REJECT_ORIGIN, which charges the rumor's signer instead). */
enum hs_verdict {
	HS_ACCEPT = 0, /* store, deliver and relay */
	HS_REJECT = 1, /* invalid by a network-wide rule: drop, remember the id, count a fault
	                * (HS_SCORE_REJECTED) against the peer that sent it */
	HS_IGNORE = 2, /* not for us: drop and remember the id, no penalty */
	/* caps.validate only: the verdict comes later (hs_node_verdict). The node holds the rumor
	 * (HS_VALIDATE_HELD_MAX, HS_VALIDATE_HELD_PER_TOPIC_MAX) until then or until
	 * validate_timeout passes, which applies validate_default; so does a full hold. */
	HS_PENDING = 3,
	/* Invalid by a local rule: drop, remember the id, count HS_SCORE_REJECTED against the
	 * origin's identity (banned like a peer at the ban threshold: its rumors are then dropped
	 * unverified), never against the relay. */
	HS_REJECT_ORIGIN = 4,
};

enum hs_log_level {
	HS_LOG_ERROR = 0,
	HS_LOG_WARN = 1,
	HS_LOG_INFO = 2,
	HS_LOG_DEBUG = 3,
};

/* Capabilities: the node's only way to reach randomness, the identity key and the application.
 * None may call into the node. */
struct hs_caps {
	void *ctx; /* passed to every capability */
	/* Fills out with outlen unpredictable bytes. Required. */
	void (*random)(void *ctx, uint8_t *out, size_t outlen);
	/* BIP340-signs digest with the node's identity key. Required. */
	int (*sign)(void *ctx, uint8_t sig[HS_SIG_LEN], const uint8_t digest[32]);
	/* Like hs_verify. Required. */
	int (*verify)(void *ctx, const uint8_t pub[HS_KEY_LEN], const uint8_t sig[HS_SIG_LEN],
	              const uint8_t digest[32]);
	/* Judges a signature-checked rumor. Optional (NULL accepts everything). */
	enum hs_verdict (*validate)(void *ctx, const struct hs_rumor *rumor,
	                            const uint8_t id[HS_ID_LEN]);
	/* One log line, no newline. Optional. */
	void (*log)(void *ctx, enum hs_log_level level, const char *line);
	/* For adversarial drivers and test tools only (NULL for every honest node): sees the
	 * plaintext frame (type || body, as hs_msg_encode made it) of every message the node is
	 * about to send to peer, before encryption; false drops it (counted in
	 * hs_node_stats.msgs_filtered). Handshake messages do not pass through it. Optional. */
	bool (*filter_out)(void *ctx, uint64_t peer, const uint8_t *msg, size_t msglen);
	/* Stores one of our own new state entries (key = origin || state key, value = its
	 * encoding, as HS_SAVE_STATE) durably, before the node merges and announces it; nonzero
	 * refuses the write, and hs_node_set_state / hs_node_del_state return that code with
	 * nothing merged or announced. Optional: NULL sends our entries out as HS_SAVE_STATE
	 * events like everyone else's.
	 * Rationale: an entry peers have seen must survive our restart; the driver can only
	 * promise that if it stores the entry before the first byte announcing it is queued. */
	int (*save_own)(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *enc,
	                size_t enclen);
};

/* Protocol settings. hs_node_config_default() fills every field with its documented default;
 * docs/KNOBS.md explains what each does, and hearsay-sim shows it. */
struct hs_node_config {
	const char *network;          /* network name, e.g. "main" */
	uint8_t identity[HS_KEY_LEN]; /* our public key (the secret stays behind caps.sign) */
	uint64_t generation;          /* restart counter, persisted by the driver */
	uint64_t services;            /* hs_services bits advertised in our record */
	size_t naddrs;                /* our listening addresses, advertised in our record */
	struct hs_netaddr addrs[HS_RECORD_ADDRS_MAX];

	/* Transport: the handshake needs the Noise static key (crypto-owned) and the identity's
	 * signature over it (hs_handshake_prove). Borrowed; must outlive the node. */
	const struct hs_crypto *crypto;
	const struct hs_noise_static *noise_static;
	uint8_t noise_proof[HS_SIG_LEN];

	/* Topics: when all_topics, relay and deliver every topic; else only these. */
	bool all_topics;
	size_t ntopics;
	const char *topics[HS_HELLO_TOPICS_MAX];

	/* Connections. */
	size_t outbound_target; /* outbound sessions to keep (default 8) */
	size_t peers_max;       /* all sessions, inbound included (default 64, <= HS_PEERS_MAX) */
	uint64_t handshake_timeout_ns; /* open -> hello done (default 10 s) */
	uint64_t ping_interval_ns;     /* default 30 s */
	uint64_t idle_timeout_ns;      /* nothing received for this long: close (default 90 s) */
	uint64_t dial_interval_ns;     /* pacing of new outbound dials (default 500 ms) */
	uint64_t feeler_interval_ns;   /* a short visit to a random known node (default 120 s;
	                                * 0: none): repairs across partitions, tests addresses */
	uint64_t rotate_interval_ns;   /* outbound rotation (default 10 min; 0: off): a feeler
	                                * that answers replaces the worst-scored outbound peer
	                                * when that one scores no better than it */
	/* Seed mode (overlay/crawl.h): crawl the address book, answer getaddr from verified
	 * records, keep few relay sessions (default off). */
	bool seed_mode;
	uint64_t crawl_interval_ns; /* a new crawl visit at most this often (default 2 s) */

	/* Dissemination knobs. */
	size_t eager_push;              /* fanout: peers we ask to push new rumors to us whole, at
	                                 * most (default 2; 0: no eager push at all) */
	uint32_t eager_cover_pct;       /* ask the fewest of them that told us first of this share
	                                 * of recent new rumors (default 35; 100: always eager_push) */
	size_t eager_receivers_max;     /* peers we push to at their request (default 16) */
	uint64_t eager_wait_max_ns;     /* the longest we wait for our pushers before asking another
	                                 * announcer (default 500 ms; 0: never wait) */
	uint64_t pull_interval_ns;      /* interval: digest exchange with one random peer */
	uint64_t pull_window_ns;        /* the periodic pull covers rumors younger than this */
	uint64_t retention_ns;          /* retention: rumors kept and served this long */
	uint64_t clock_skew_ns;         /* rumors from further in the future are refused */
	uint64_t request_timeout_ns;    /* getdata unanswered: ask the next announcer */
	uint64_t lazy_request_delay_ns; /* a fixed wait before every getdata (default 0), on top
	                                 * of the learned push wait (eager_wait_max) */
	size_t store_max;               /* rumors kept (count) */
	size_t store_bytes_max;         /* rumors kept (bytes) */
	size_t seen_max;                /* ids remembered */
	size_t addrbook_max;            /* node records remembered */

	/* More wait before asking an inbound announcer for an id (default 100 ms): the outbound
	 * ones are asked first (overlay/reqsched.h). */
	uint64_t request_nonpreferred_delay_ns;

	/* Abuse limits: per-peer frames per second (burst 2x). */
	uint64_t peer_frames_per_s;
	/* Signature checks per second on peer data, node-wide, shared fairly across network groups
	 * and then peers (overlay/verifysched.h; default 4000, 1 .. 1e9). A check over budget drops
	 * the object unverified, without penalty. */
	uint64_t verifies_per_s;
	/* How long a peer whose score falls below the ban threshold stays banned. */
	uint64_t bantime_ns;
	/* The one penalty policy: weights, decay and thresholds (hs_score_params_default says
	 * the reason for each default). Applied to identities, to IP addresses (faults before a
	 * handshake proves an identity) and to network groups (every member's faults). */
	struct hs_score_params score;
	/* Asynchronous validation (caps.validate returning HS_PENDING): how long a held rumor
	 * waits for hs_node_verdict (default 2 s, > 0), and the verdict it then gets, as does a
	 * rumor for which no place is left (HS_ACCEPT, HS_IGNORE (default) or HS_REJECT_ORIGIN:
	 * never HS_REJECT, since a relay cannot be charged for our slow validator). */
	uint64_t validate_timeout_ns;
	enum hs_verdict validate_default;
	size_t scores_max; /* identities, and addresses and groups, whose scores are remembered */
	size_t bans_max;

	/* Membership (overlay/members.h, docs/MEMBERSHIP.md). Our heartbeat is re-signed every
	 * heartbeat_interval (default 10 s; 0: we send none, and stay out of others' member
	 * lists); a member whose heartbeat makes no progress for suspect_heartbeats of its
	 * declared intervals is suspect (default 3), for dead_heartbeats dead (default 6, more
	 * than suspect_heartbeats); dead and left members are forgotten after member_reap
	 * (default 24 h, Serf's reconnect_timeout). */
	uint64_t heartbeat_interval_ns;
	uint32_t suspect_heartbeats, dead_heartbeats;
	uint64_t member_reap_ns;
};

/* Fills cfg with defaults; the caller then sets network, identity, crypto, noise_static,
 * noise_proof and addresses. */
void hs_node_config_default(struct hs_node_config *cfg);

struct hs_node;

/* Copies what it keeps from cfg (topics, addresses); caps is copied. Seeds (addresses to
 * bootstrap from) are added with hs_node_add_seed. */
HS_MUST_USE int hs_node_new(struct hs_node **out, const struct hs_node_config *cfg,
                            const struct hs_caps *caps, uint64_t now);
void hs_node_del(struct hs_node *node);

/* ---- inputs ------------------------------------------------------------------------- */

/* A bootstrap address: dialled first, asked for addresses, then dropped once the node has
 * other outbound peers (Bitcoin's -seednode). */
HS_MUST_USE int hs_node_add_seed(struct hs_node *node, const struct hs_netaddr *addr, uint64_t now);
/* A persistent peer: always kept connected (bitcoind's -addnode / -connect). */
HS_MUST_USE int hs_node_add_peer(struct hs_node *node, const struct hs_netaddr *addr, uint64_t now);
/* A node record learned elsewhere (the store at start): verified, then added to the book.
 * Takes a bare record encoding or a saved HS_SAVE_RECORD value (the record followed by its
 * book history: tried/new, attempts, last success, source group), which restores the entry
 * into the table it was in. HS_ERR_FULL if the book has no room for it (the node then emits
 * HS_SAVE_UNRECORD for it). */
HS_MUST_USE int hs_node_add_record(struct hs_node *node, const uint8_t *rec, size_t reclen,
                                   uint64_t now);
/* An anchor saved by the last run (an HS_SAVE_ANCHOR value: a record encoding): verified,
 * added to the book, and dialled before any other outbound peer, once. If that dial fails
 * the node emits HS_SAVE_UNANCHOR for it. At most HS_ANCHORS_MAX (HS_ERR_FULL beyond);
 * HS_ERR_BAD_SIG, or a decoding error. */
HS_MUST_USE int hs_node_add_anchor(struct hs_node *node, const uint8_t *rec, size_t reclen,
                                   uint64_t now);

/* A connection opened. inbound: accepted by us; else the result of an HS_EV_DIAL for addr.
 * *peer is the node's handle for it. HS_ERR_FULL if no slot is free (close the socket). */
HS_MUST_USE int hs_node_peer_open(struct hs_node *node, uint64_t *peer, bool inbound,
                                  const struct hs_netaddr *addr, uint64_t now);
/* Bytes read from the peer's socket, any amount. A misbehaving peer is not an error: the node
 * queues an HS_EV_CLOSE for it. HS_ERR_NOT_FOUND for an unknown handle. */
HS_MUST_USE int hs_node_recv(struct hs_node *node, uint64_t peer, const uint8_t *data,
                             size_t datalen, uint64_t now);
/* The socket closed (by either side); the handle is dead afterwards. */
void hs_node_peer_closed(struct hs_node *node, uint64_t peer, uint64_t now);
/* An HS_EV_DIAL for addr could not connect. */
void hs_node_dial_failed(struct hs_node *node, const struct hs_netaddr *addr, uint64_t now);
/* For the driver's log after a failed dial: whether the node will try addr again (a manual
 * peer or seed, or an address-book entry not yet forgotten), its consecutive failures and the
 * time until its next try (the backoff: 2 s doubling to 10 min). False if the node holds no
 * such address (a one-off dial, or a book entry dropped after too many failures). */
bool hs_node_dial_backoff(const struct hs_node *node, const struct hs_netaddr *addr, uint64_t now,
                          uint32_t *failures, uint64_t *retry_ns);
/* Signs and spreads a new rumor. id receives its id. HS_ERR_INVALID for a bad topic or
 * oversize payload. */
HS_MUST_USE int hs_node_publish(struct hs_node *node, uint8_t id[HS_ID_LEN], const char *topic,
                                const uint8_t *payload, size_t payloadlen, uint64_t now);
/* The verdict for a rumor caps.validate held (HS_PENDING): HS_ACCEPT stores, delivers and
 * relays it as if judged at once; HS_REJECT charges the peer that sent it (if still
 * connected); HS_REJECT_ORIGIN its origin; HS_IGNORE nobody. HS_ERR_NOT_FOUND if no rumor
 * with this id is held (never held, already judged, or given the default at its deadline);
 * HS_ERR_INVALID for HS_PENDING or an unknown verdict. Either error changes nothing. */
HS_MUST_USE int hs_node_verdict(struct hs_node *node, const uint8_t id[HS_ID_LEN],
                                enum hs_verdict verdict, uint64_t now);
/* Rumors held for a verdict now. */
size_t hs_node_held(const struct hs_node *node);
/* The deadline passed (or any time: early calls are harmless). */
void hs_node_timer(struct hs_node *node, uint64_t now);
/* The wall clock now reads now + offset_ns (default 0): the driver re-reads the system clock
 * periodically and after a resume and passes the difference, so a corrected clock restores
 * rumor exchange without a restart; `now` itself stays monotonic. Re-signs our record. */
void hs_node_set_wall_offset(struct hs_node *node, int64_t offset_ns, uint64_t now);
/* Replaces the addresses our record advertises (at most HS_RECORD_ADDRS_MAX, each valid, none
 * twice; the order is our preference) and re-signs the record: the driver calls it when it
 * learns a new public address (a UPnP mapping) or loses one. Sessions opened afterwards get
 * the new record; open ones keep the one they have. HS_ERR_INVALID leaves the record as it
 * was. */
HS_MUST_USE int hs_node_set_addrs(struct hs_node *node, const struct hs_netaddr *addrs,
                                  size_t naddrs, uint64_t now);
/* Asks every peer to leave politely (disconnect SHUTDOWN) and closes them. */
void hs_node_shutdown(struct hs_node *node, uint64_t now);
/* Closes a session on the operator's request. */
HS_MUST_USE int hs_node_disconnect(struct hs_node *node, uint64_t peer, uint64_t now);
/* For adversarial drivers and test tools only (the simulator's Byzantine nodes, fuzzers):
 * queues msg, one plaintext frame (type || body, 1..HS_FRAME_MAX bytes, not checked in any
 * other way), as is through an active session's transport, so a driver can send forged,
 * malformed, replayed or out-of-turn messages with the node's real keys. It bypasses
 * caps.filter_out. HS_ERR_NOT_FOUND for an unknown handle, HS_ERR_INVALID if the session is
 * not active (hello not exchanged, or closing) or the length is out of range, HS_ERR_NOMEM. */
HS_MUST_USE int hs_node_send_raw(struct hs_node *node, uint64_t peer, const uint8_t *msg,
                                 size_t msglen, uint64_t now);

/* ---- outputs ------------------------------------------------------------------------ */

/* Bytes waiting to be written to peer. */
size_t hs_node_pending(const struct hs_node *node, uint64_t peer);
/* Moves up to destlen waiting bytes into dest; returns how many. */
size_t hs_node_write(struct hs_node *node, uint64_t peer, uint8_t *dest, size_t destlen,
                     uint64_t now);
/* The earliest time hs_node_timer has work to do (UINT64_MAX: none). */
uint64_t hs_node_next_deadline(const struct hs_node *node);

enum hs_event_type {
	HS_EV_DELIVER = 1,   /* a new valid rumor on a topic we take (including our own) */
	HS_EV_DIAL = 2,      /* please connect to addr, then hs_node_peer_open / _dial_failed */
	HS_EV_CLOSE = 3,     /* please close peer's socket once its pending bytes are written */
	HS_EV_PEER_UP = 4,   /* a session completed its handshake and hello */
	HS_EV_PEER_DOWN = 5, /* a session ended */
	HS_EV_SAVE = 6,      /* persist this record (the driver's store) */
	HS_EV_FAULT = 7,     /* a peer committed a provable fault, now scored (logs, metrics) */
	HS_EV_STATE = 8,     /* a state entry changed (on-change): entry is the new one */
	/* A member's status changed, or one of its state entries did (change says which: join,
	 * alive again, suspect, dead, leave, update); member is its entry in the members table
	 * and addr its address when known (a zero family otherwise). Heartbeats themselves are
	 * not reported as HS_EV_STATE. */
	HS_EV_MEMBER = 9,
};

enum hs_save_kind {
	HS_SAVE_RECORD = 1,  /* a book entry; key = node id, value = record encoding || history
	                      * (overlay/addrbook.h, docs/OPERATIONS.md); hs_node_add_record */
	HS_SAVE_BAN = 2,     /* key = ban kind || ban key (33 bytes); value = hs_ban_encode; sync */
	HS_SAVE_UNBAN = 3,   /* key as for BAN; no value: delete it; sync */
	HS_SAVE_SCORE = 4,   /* key = node id; value = hs_score_entry_encode */
	HS_SAVE_STATE = 5,   /* key = origin || state key; value = the entry's encoding */
	HS_SAVE_UNSTATE = 6, /* key as for STATE; no value: the entry was evicted, delete it */
	/* Anchors: the full-relay outbound peers of this run (at most HS_ANCHORS_MAX, the
	 * oldest first). Saved when one becomes an anchor, deleted when its session ends, but
	 * not at shutdown: what the store holds is the set to dial first next time. */
	HS_SAVE_ANCHOR = 16,   /* key = node id; value = its record encoding; hs_node_add_anchor */
	HS_SAVE_UNANCHOR = 17, /* key = node id; no value: delete it */
	HS_SAVE_UNRECORD = 18, /* key = node id; no value: the book dropped it, delete it */
	HS_SAVE_CRAWL = 19,    /* seed mode: key = node id; value = hs_crawl_stat_encode */
	HS_SAVE_UNCRAWL = 20,  /* key = node id; no value: the record is gone, delete it */
};

struct hs_event {
	enum hs_event_type type;
	uint64_t peer;               /* CLOSE, PEER_UP, PEER_DOWN, FAULT */
	uint8_t reason;              /* CLOSE, PEER_DOWN: hs_reason */
	struct hs_netaddr addr;      /* DIAL; PEER_UP/DOWN: the peer's address */
	uint8_t id[HS_ID_LEN];       /* DELIVER: rumor id; PEER_UP/DOWN/FAULT: peer identity */
	bool inbound;                /* PEER_UP */
	struct hs_rumor rumor;       /* DELIVER */
	struct hs_entry entry;       /* STATE */
	uint64_t received_ns;        /* DELIVER: when it arrived */
	int fault;                   /* FAULT: its enum hs_score_kind (a fault kind) */
	struct hs_member member;     /* MEMBER */
	uint8_t change;              /* MEMBER: enum hs_member_change */
	enum hs_save_kind save_kind; /* SAVE */
	const uint8_t *key;          /* SAVE */
	size_t keylen;
	const uint8_t *value;
	size_t valuelen;
	const char *text; /* CLOSE, FAULT: a short human reason; SAVE of BAN or UNBAN: why (for
	                   * the log: "expired", "by the operator", a misbehaving score, ...) */
};

/* Next event, or false when none is queued. */
bool hs_node_poll_event(struct hs_node *node, struct hs_event *ev);

/* ---- introspection ------------------------------------------------------------------ */

struct hs_peer_info {
	uint64_t peer;
	uint8_t id[HS_KEY_LEN]; /* zero until the handshake proves it */
	struct hs_netaddr addr;
	bool inbound;
	bool active;     /* hello exchanged */
	uint64_t rtt_ns; /* smoothed round-trip time (0: unknown) */
	uint64_t connected_ns;
	uint32_t faults; /* provable faults this session */
	double score;    /* the peer's current score (hs_scores) */
	uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
	bool eager;        /* it asked us to push new rumors to it whole, and we do */
	bool pushes_to_us; /* we asked it to push new rumors to us whole */
};

/* Our clock's offset as our outbound peers see it (bitcoind's timeoffset): the median over
 * active outbound sessions of (the peer's clock in its hello - ours), in ms; positive: their
 * clocks are ahead of ours. *samples (may be NULL) gets how many sessions it is over; 0 with
 * none. The node warns in its log when it passes half of clock_skew; it never adjusts its
 * clock by it (peers could steer it). */
int64_t hs_node_time_offset_ms(const struct hs_node *node, size_t *samples);
/* Fills up to max entries; returns the number of sessions. */
size_t hs_node_peers(const struct hs_node *node, struct hs_peer_info *out, size_t max);

/* Counters for the node's whole life, for metrics and the simulator. */
struct hs_node_stats {
	uint64_t msgs_out[16], msgs_in[16]; /* by message type */
	uint64_t bytes_out, bytes_in;       /* wire bytes, framing and Noise included */
	uint64_t rumors_published, rumors_delivered;
	uint64_t payload_copies_in; /* rumor frames received (full payload copies) */
	uint64_t duplicates;        /* rumor frames whose id was already known */
	uint64_t sig_checks, sig_failures;
	uint64_t faults;
	uint64_t auth_failures;   /* sessions closed for a frame that failed authentication or had a
	                           * bad length: not provable against the peer, so unpunished */
	uint64_t inbound_refused; /* refused: banned, graylisted, no spare slot */
	uint64_t ignored_standing; /* messages ignored for the sender's standing (below gossip or
	                            * graylist) */
	uint64_t banned_origin;    /* objects dropped unverified: their origin is banned */
	uint64_t group_bans;       /* network groups banned after repeated bans in them */
	uint64_t bans_compacted;   /* a full ban table merged a group's address bans into one */
	uint64_t bans_evicted;     /* bans removed from a full table (expired or shortest left) */
	uint64_t input_stalls;     /* times peer input waited for the driver to drain events */
	uint64_t rumors_skewed;    /* rumors refused as from our future (beyond clock_skew) */
	uint64_t rumors_too_old;   /* rumors refused as older than retention */
	uint64_t requests_sent, requests_timed_out, notfound_sent;
	uint64_t announcements_dropped; /* inv items past the per-peer announcement limit */
	uint64_t announcements_evicted; /* inbound ones displaced from a full id by outbound ones */
	uint64_t pulls_sent, pull_rumors_sent;
	uint64_t counter_syncs;     /* syncs sent back: the origins a peer's digest is ahead on */
	uint64_t successors_served; /* getdata for a superseded entry answered with the newer one */
	uint64_t repairs_refused;   /* pulls and syncs over a peer's rate, ignored */
	uint64_t evictions;         /* inbound sessions closed to make room for another */
	uint64_t grafts_declined;   /* peers that asked for our pushes beyond eager_receivers_max */
	uint64_t pushers_dropped;   /* pushers that let HS_PUSH_MISSES_MAX fresh rumors come by
	                               request */
	uint64_t feelers;           /* short outbound sessions made to repair and test */
	uint64_t topic_closes; /* extra outbound sessions closed: no topic we lack (topics.c) */
	uint64_t dials;
	/* Signature checks on peer data: allowed by the verification budget, and refused (the
	 * object dropped unverified) because the peer's share of its group's budget, or its whole
	 * group's share of the node's, was spent. */
	uint64_t verify_admitted, verify_over_peer_share, verify_over_group_share;
	uint64_t getaddr_limited; /* getaddr requests over the per-group limit: not answered */
	uint64_t rotations;       /* outbound peers replaced by a feeler-tested candidate */
	uint64_t anchors_dialled; /* anchors from the last run dialled at start */
	uint64_t book_refused;    /* records the address book refused (slot taken, book full) */
	uint64_t book_unsaved;    /* book removals or changes past the queue to the store */
	uint64_t msgs_filtered;   /* messages caps.filter_out dropped (adversarial drivers only) */
	uint64_t msgs_raw;        /* frames queued as is by hs_node_send_raw */
	/* Validation (caps.validate and hs_node_verdict): rumors rejected (the relay charged),
	 * rejected by a local rule (the origin charged), ignored; held for a later verdict; and
	 * held ones that got validate_default at their deadline or for want of a place. */
	uint64_t validate_rejected, validate_rejected_origin, validate_ignored;
	uint64_t validate_held, validate_timeouts, validate_overflows;
	/* Membership: our heartbeats signed; heartbeats whose value is not a heartbeat (signed by
	 * their origin, so stored as state, but ignored for membership); members forgotten to make
	 * room for a new one, and dead or left ones forgotten after member_reap. */
	uint64_t heartbeats_sent, heartbeats_malformed, members_evicted, members_reaped;
	/* Accusations we signed (a neighbour lost and its probe failed), and fresh heartbeats we
	 * signed at once to refute an accusation of us. */
	uint64_t accusations, refutations;
	/* Equivocation proofs (PROTOCOL.md §6.12) sent, and received with both signatures
	 * valid. */
	uint64_t proofs_sent, proofs_received;
};

void hs_node_get_stats(const struct hs_node *node, struct hs_node_stats *stats);

/* What the node holds now (for metrics gauges). */
struct hs_node_usage {
	size_t rumors, rumor_bytes;        /* the rumor store: entries and encoded bytes */
	size_t state_entries, state_bytes; /* replicated state entries held */
	size_t addresses, addresses_tried; /* address book records; those we connected to once */
	/* The members table: all members, then by enum hs_member_status ([0] is the total). */
	size_t members[5];
};
void hs_node_get_usage(const struct hs_node *node, struct hs_node_usage *usage);

/* Our own current signed record (encoded); 0 or HS_ERR_BUFFER. */
HS_MUST_USE int hs_node_record(const struct hs_node *node, uint8_t *out, size_t outcap,
                               size_t *outlen);
/* ---- reputation: bans and scores ------------------------------------------------------- */

/* Bans an identity or IP address (hs_ban_kind) until until_ns, closing matching sessions.
 * Emits HS_SAVE_BAN. */
HS_MUST_USE int hs_node_ban(struct hs_node *node, uint8_t kind, const uint8_t key[32],
                            uint64_t until_ns, uint64_t now);
/* HS_ERR_NOT_FOUND if there was no such ban. Emits HS_SAVE_UNBAN. */
HS_MUST_USE int hs_node_unban(struct hs_node *node, uint8_t kind, const uint8_t key[32],
                              uint64_t now);
/* Lifts every ban (emitting HS_SAVE_UNBAN for each). */
void hs_node_clear_bans(struct hs_node *node, uint64_t now);
/* Copies up to max current bans; returns how many there are. */
size_t hs_node_bans(const struct hs_node *node, struct hs_ban *out, size_t max, uint64_t now);
/* Restores what the driver saved (HS_SAVE_BAN / HS_SAVE_SCORE values) at start. */
HS_MUST_USE int hs_node_load_ban(struct hs_node *node, const uint8_t *enc, size_t enclen);
HS_MUST_USE int hs_node_load_score(struct hs_node *node, const uint8_t *enc, size_t enclen);
/* A peer's score now, and its explanation (NULL if never scored). */
double hs_node_score(const struct hs_node *node, const uint8_t id[HS_KEY_LEN], uint64_t now,
                     const struct hs_score_entry **entry);

/* ---- replicated state -------------------------------------------------------------------- */

/* Signs and spreads a new value for one of our own keys (version counting up within this
 * generation). id (if not NULL) receives the entry id. HS_ERR_INVALID for a bad key or an
 * oversize value; HS_ERR_FULL at HS_STATE_KEYS_PER_ORIGIN keys. */
HS_MUST_USE int hs_node_set_state(struct hs_node *node, const char *key, const uint8_t *value,
                                  size_t valuelen, uint8_t id[HS_ID_LEN], uint64_t now);
/* Signs and spreads a tombstone for one of our keys. */
HS_MUST_USE int hs_node_del_state(struct hs_node *node, const char *key, uint8_t id[HS_ID_LEN],
                                  uint64_t now);
/* The entry for (origin, key): decoded into *e, borrowing from the node until the next call.
 * HS_ERR_NOT_FOUND if none. */
HS_MUST_USE int hs_node_get_state(const struct hs_node *node, const uint8_t origin[HS_KEY_LEN],
                                  const char *key, struct hs_entry *e);
/* Calls fn for every held entry (of one origin, or all when origin is NULL). */
void hs_node_each_state(const struct hs_node *node, const uint8_t *origin,
                        void (*fn)(void *ctx, const struct hs_entry *e,
                                   const uint8_t id[HS_ID_LEN]),
                        void *ctx);
/* Restores a saved entry (HS_SAVE_STATE value) at start: verified, then merged. */
HS_MUST_USE int hs_node_load_state(struct hs_node *node, const uint8_t *enc, size_t enclen,
                                   uint64_t now);
/* Equivocations seen (two signed entries for one origin, key, generation and version). */
size_t hs_node_equivocations(const struct hs_node *node);
/* Calls fn for every equivocation proof kept (at most HS_EQUIVOCATIONS_MAX, the first ones
 * seen): the two signed encodings, each verifiable by anyone with hs_entry_decode and the
 * origin's key. */
void hs_node_each_equivocation(const struct hs_node *node,
                               void (*fn)(void *ctx, const uint8_t *a, size_t alen,
                                          const uint8_t *b, size_t blen),
                               void *ctx);

/* ---- membership ---------------------------------------------------------------------- */

struct hs_member_info {
	struct hs_member m;
	struct hs_netaddr addr; /* from its record or session; family 0 when unknown */
};
/* Copies up to max members (ourselves included); returns how many the table holds. */
size_t hs_node_members(const struct hs_node *node, struct hs_member_info *out, size_t max);
/* Signs and pushes our leave (a tombstone under HS_HEARTBEAT_KEY for this generation) to every
 * active peer whole, and stops our heartbeats: the graceful leave. hs_node_shutdown leaves
 * first if this was not called. A restart (generation + 1) makes us alive again. */
HS_MUST_USE int hs_node_leave(struct hs_node *node, uint64_t now);

/* ---- addresses ----------------------------------------------------------------------- */

/* Copies up to max records from the address book (most recently successful first);
 * returns how many the book holds. */
size_t hs_node_addresses(const struct hs_node *node, struct hs_record *out, size_t max);
/* Forgets a manual peer or seed (addnode remove). HS_ERR_NOT_FOUND if unknown. */
HS_MUST_USE int hs_node_remove_peer(struct hs_node *node, const struct hs_netaddr *addr);
/* Dials addr once, now (addnode onetry). */
HS_MUST_USE int hs_node_dial_once(struct hs_node *node, const struct hs_netaddr *addr,
                                  uint64_t now);

/* Checks the node's internal invariants (slots, queues, stores, scheduler, event queue);
 * false means a bug in hearsay. For fuzzers, the simulator and tests; O(state size). */
bool hs_node_check(const struct hs_node *node);

/* Looks a retained rumor up by id: its encoding (borrowed until the next call into the node). */
HS_MUST_USE int hs_node_get_rumor(const struct hs_node *node, const uint8_t id[HS_ID_LEN],
                                  const uint8_t **enc, size_t *enclen);

#endif

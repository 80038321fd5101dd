/*
 * overlay/: the node's internal state, shared by its files:
 *
 *   node.c     lifecycle, the public inputs, the pump (flush), timers, introspection
 *   event.c    the event queue handed to the driver
 *   peer.c     sessions: framing, Noise handshake, transport, hello, ping, close, faults
 *   gossip.c   rumors: publish, the validation pipeline, inv/getdata/notfound, relay, pull
 *   connect.c  outbound connections, seeds, address exchange
 *
 * Invariants:
 *  - peers[s] is NULL or a session whose slot is s; handles are never reused.
 *  - A peer in PS_CLOSING accepts no input; its pending output may still be written.
 *  - A stored rumor's knows-bit s is set only while slot s holds the same session (cleared
 *    when the slot is freed).
 *  - Every container is bounded by a limit in limits.h or the config.
 */
#ifndef HEARSAY_OVERLAY_NODE_IMPL_H
#define HEARSAY_OVERLAY_NODE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addrbook.h"
#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "overlay/crawl.h"
#include "overlay/msg.h"
#include "overlay/node.h"
#include "reputation/banlist.h"
#include "reputation/ratelimit.h"
#include "reputation/score.h"
#include "reqsched.h"
#include "rumorstore.h"
#include "seen.h"
#include "statestore.h"
#include "verifysched.h"

enum peer_state {
	PS_HANDSHAKE = 1, /* Noise XX in progress */
	PS_HELLO = 2,     /* transport up, waiting for the peer's hello */
	PS_ACTIVE = 3,    /* hello exchanged: gossip flows */
	PS_CLOSING = 4,   /* close requested; output may still drain */
};

/* What kind of outbound connection a dial was for. */
enum conn_kind {
	CONN_INBOUND = 0,
	CONN_OUTBOUND = 1, /* from the address book */
	CONN_SEED = 2,     /* fetch addresses, then leave */
	CONN_MANUAL = 3,   /* addnode / connect: always kept */
	CONN_FEELER = 4,   /* a short visit: addresses, catch-up pull and sync, then leave */
};

/* A byte queue: data[off, len) is pending. */
struct bytebuf {
	uint8_t *data;
	size_t off, len, cap;
};

/* A FIFO of inventory items (kind u8 || id[32]). */
struct itemq {
	uint8_t *items;
	size_t head, count, cap, max;
};

struct peer {
	unsigned slot;
	uint64_t handle;
	enum peer_state state;
	enum conn_kind kind;
	struct hs_netaddr addr;

	struct hs_handshake *hs;
	struct hs_transport *tr;
	uint8_t id[HS_KEY_LEN];
	bool has_id;
	uint8_t expect_id[HS_KEY_LEN]; /* dialled from a record: the identity it must prove */
	bool has_expect;
	bool sent_disconnect;

	/* The peer's hello. */
	struct hs_record rec;
	bool all_topics;
	size_t ntopics;
	uint64_t topic_hash[HS_HELLO_TOPICS_MAX]; /* sorted, keyed by the node secret */

	struct bytebuf in;  /* received bytes not yet processed: a partial frame, or a backlog
	                     * while the event queue is near HS_EVENTS_MAX */
	struct bytebuf out; /* encrypted bytes for the driver */

	uint64_t opened_ns, last_recv_ns;
	uint64_t hs_sent_ns; /* when our last handshake message left: the first RTT sample */
	uint64_t ping_due_ns, ping_sent_ns, ping_nonce;
	bool ping_outstanding;
	uint64_t rtt_ns;    /* smoothed (TCP SRTT, gain 1/8); 0 = unknown */
	uint64_t rttvar_ns; /* its mean deviation (TCP RTTVAR, gain 1/4) */

	struct hs_ratelimit frames_rl, pull_rl;
	uint32_t faults;       /* provable faults this session (each also scored) */
	bool stalled;          /* complete frames wait in `in` until the driver drains events */
	bool skew_logged;      /* a rumor from our future was logged for this session */
	bool has_clock;        /* an outbound peer's hello gave a clock sample */
	int64_t clock_diff_ms; /* its clock minus ours when its hello arrived */

	struct itemq invq;     /* ids to announce at the next flush */
	struct itemq getdataq; /* ids the peer asked for, served as its queue drains */
	bool sent_getaddr, got_addr, answered_getaddr;
	bool sync_answered; /* its first sync was answered (heartbeats go with that one only) */
	/* Eager push (gossip.c, PROTOCOL.md §9.3). */
	bool eager;                 /* it grafted us and we accepted: we push it new rumors whole */
	bool pusher;                /* we grafted it (and it has not declined): it pushes to us */
	uint64_t declined_until_ns; /* it declined our graft: not asked again before this */
	uint32_t firsts;      /* its share of the recent new rumors it told us of first (x 2^16) */
	uint32_t push_misses; /* fresh rumors in a row we had to ask others for while it pushed */
	bool up;              /* PEER_UP was reported: PEER_DOWN will be too */
	uint64_t close_at_ns; /* a feeler leaves at this time (0: never) */
	bool anchor;          /* an outbound peer saved as an anchor (HS_SAVE_ANCHOR) */
	bool rotate;          /* a feeler that may replace the worst outbound peer */
	bool crawl;           /* a seed's crawl visit (crawl.c) */
	bool probe;           /* a membership probe (membership.c) */

	uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
};

struct pending_dial {
	struct hs_netaddr addr;
	uint8_t id[HS_KEY_LEN];
	bool has_id;
	enum conn_kind kind;
	bool rotate; /* a rotation feeler (peer.rotate) */
	bool crawl;  /* a crawl visit (peer.crawl) */
	bool probe;  /* membership: a neighbour lost abruptly, tried once (peer.probe) */
	uint64_t started_ns;
};

/* An anchor loaded from the store, not yet dialled (hs_node_add_anchor). */
struct pending_anchor {
	struct hs_record rec;
	bool dialled;
};

/* getaddr answers given to one network group in the current window (connect.c). */
/* One slot of the getaddr limit: the groups that hash to it share one count per window. */
struct getaddr_group {
	uint64_t window_ns;
	uint32_t count;
};

/* Seed mode: the crawler's statistics, one entry per visited record (crawl.c). */
struct crawl_entry {
	uint8_t id[HS_KEY_LEN];
	struct hs_crawl_stat stat;
};
struct crawl_table {
	struct hs_idmap map; /* id -> index in entries */
	struct crawl_entry *entries;
	size_t count, cap, max;
	size_t prune_cursor;
	uint64_t next_crawl_ns;
	uint64_t started, visits, visits_ok, answers, dropped;
};

struct queued_event {
	struct hs_event ev;
	uint8_t *owned; /* buffer the event's pointers point into */
};

/* A rumor waiting for an asynchronous verdict (held.c); free when enc is NULL. */
struct held_rumor {
	uint8_t id[HS_ID_LEN];
	uint8_t *enc; /* the signed encoding, owned */
	size_t enclen;
	size_t topic_off, topic_len; /* where its topic is in enc */
	uint64_t from;               /* the handle of the peer that sent it */
	uint64_t deadline_ns;        /* validate_default applies then */
	bool asked;                  /* it came as the answer to our getdata */
};

struct manual_addr {
	struct hs_netaddr addr;
	bool seed; /* seed (fetch addresses) or manual peer (keep) */
	uint64_t next_try_ns;
	uint32_t failures;
};

#define HS_MANUAL_MAX 64
#define HS_DIALS_MAX  16

struct hs_node {
	struct hs_node_config cfg; /* topics and network point into the copies below */
	struct hs_caps caps;
	char network[HS_NETWORK_MAX + 1];
	char topic_names[HS_HELLO_TOPICS_MAX][HS_TOPIC_MAX + 1];
	uint64_t topic_hash[HS_HELLO_TOPICS_MAX]; /* our topics, sorted */
	struct hs_tag tag_record, tag_rumor, tag_state;
	uint8_t secret[16]; /* keys every map over peer-chosen data */

	struct peer *peers[HS_PEERS_MAX];
	uint64_t next_handle;

	struct hs_rumorstore store;
	struct hs_seen seen;
	struct hs_reqsched *reqs;
	struct hs_addrbook book;
	struct hs_scores scores;     /* by identity */
	struct hs_scores net_scores; /* by IP address and by network group (reputation.c keys) */
	struct hs_banlist bans;
	struct hs_statestore state;
	struct hs_verifysched *verify; /* the node's signature-check budget, fair per group */
	uint64_t own_version;          /* versions of our state entries, this generation */
	struct hs_members members;     /* membership.c */
	uint64_t next_heartbeat_ns, next_age_ns;
	bool left; /* our leave is signed: no more heartbeats this generation */
	/* Our accusations (hs.suspects, membership.c), ids ascending; our newest heartbeat's
	 * version and when we last refuted an accusation of it. */
	struct hs_suspect suspects[HS_SUSPECTS_MAX];
	size_t nsuspects;
	uint64_t own_heartbeat, last_refute_ns;

	struct hs_record rec; /* our own, signed */
	uint8_t rec_enc[HS_RECORD_MAX];
	size_t rec_enclen;
	uint32_t rec_counter;

	struct manual_addr manual[HS_MANUAL_MAX];
	size_t nmanual;
	struct pending_dial dials[HS_DIALS_MAX];
	size_t ndials;
	struct pending_anchor anchors[HS_ANCHORS_MAX];
	size_t nanchors;
	struct getaddr_group getaddr_groups[HS_GETADDR_GROUPS];
	struct crawl_table crawl; /* seed mode only */

	struct queued_event *events;
	size_t ev_head, ev_count, ev_cap;
	uint8_t *ev_last_owned; /* freed at the next poll */

	/* Eager push (gossip.c): who first told us of each recent rumor id (direct-mapped under a
	 * keyed hash), how many new rumors we have judged (up to the averaging window), and how
	 * late our pushers' copies usually come after the first word of a rumor. */
	struct teller {
		uint8_t id[HS_ID_LEN];
		uint64_t first_ns; /* when anyone first told us of it */
		uint64_t handle;   /* who, if it earns credit (0: nobody) */
		uint8_t slot;      /* its slot, checked against the handle */
		bool used;
	} tellers[HS_TELLERS_MAX];
	uint32_t judged;
	bool pushers_dirty; /* something that can change our choice of pushers happened */
	uint64_t push_lag_ns, push_lagdev_ns; /* smoothed lag and mean deviation; 0: none yet */

	struct held_rumor held[HS_VALIDATE_HELD_MAX]; /* HS_PENDING verdicts (held.c) */
	size_t nheld;

	uint64_t next_pull_ns, next_dial_ns, next_sweep_ns, next_feeler_ns, next_rotate_ns;
	bool shutting_down;
	struct hs_node_stats stats;
	uint64_t stats_now_ns; /* the latest now seen: introspection reports scores at it */
	uint64_t events_dropped;
	int64_t wall_offset_ns; /* wall clock minus now (hs_node_set_wall_offset) */
	bool clock_warned;      /* the median clock offset is past half the skew window */
};

/* ---- node.c ---------------------------------------------------------------------------- */
uint64_t hs_node_rand64(struct hs_node *node);
/* Wall-clock time at now (now + the driver's wall offset), for what is compared with other
 * nodes' clocks: rumor times, record times. Saturates at 0 and UINT64_MAX. */
uint64_t hs_node_wall(const struct hs_node *node, uint64_t now);
/* The node's monotonic time at which the wall clock reads wall (the inverse). */
uint64_t hs_node_mono(const struct hs_node *node, uint64_t wall);
void hs_node_log(struct hs_node *node, enum hs_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* True if we relay and deliver this topic. */
bool hs_node_takes_topic(const struct hs_node *node, const uint8_t *topic, size_t topic_len);
/* Checks a signed object: its last HS_SIG_LEN bytes are signer's BIP340 signature over the
 * tagged hash of every byte before them (the rule for every signed object, PROTOCOL.md §4). */
bool hs_node_signed_by(struct hs_node *node, const struct hs_tag *tag,
                       const uint8_t signer[HS_KEY_LEN], const uint8_t *enc, size_t enclen);
/* Asks the verification scheduler for one signature check on an object p sent: false means
 * drop the object unverified (counted in the node's stats; never the peer's fault). */
bool hs_node_may_verify(struct hs_node *node, const struct peer *p, uint64_t now);
uint64_t hs_node_topic_hash(const struct hs_node *node, const uint8_t *topic, size_t topic_len);
size_t hs_node_outbound_count(const struct hs_node *node);
struct peer *hs_node_peer_by_id(const struct hs_node *node, const uint8_t id[HS_KEY_LEN],
                                const struct peer *except);

/* ---- event.c --------------------------------------------------------------------------- */
/* Queues ev; owned (may be NULL) is freed once the driver has seen the event. */
void hs_event_push(struct hs_node *node, const struct hs_event *ev, uint8_t *owned);
void hs_event_queue_free(struct hs_node *node);
/* Queues HS_EV_SAVE with key = key1 || key2 and value (NULL: a deletion); copies both. */
void hs_event_save(struct hs_node *node, enum hs_save_kind kind, const uint8_t *key1,
                   size_t key1len, const uint8_t *key2, size_t key2len, const uint8_t *value,
                   size_t valuelen);
/* The same with the event's text set to a copy of why (a ban's or unban's reason). */
void hs_event_save_why(struct hs_node *node, enum hs_save_kind kind, const uint8_t *key1,
                       size_t key1len, const uint8_t *key2, size_t key2len, const uint8_t *value,
                       size_t valuelen, const char *why);

/* ---- peer.c ---------------------------------------------------------------------------- */
HS_MUST_USE int hs_peer_new(struct hs_node *node, struct peer **out, bool inbound,
                            const struct hs_netaddr *addr, uint64_t now);
void hs_peer_free(struct hs_node *node, struct peer *p);
void hs_peer_recv(struct hs_node *node, struct peer *p, const uint8_t *data, size_t len,
                  uint64_t now);
/* Encrypts and queues one message; false if the peer is closing or its queue overflowed (then
 * it is being closed). */
bool hs_peer_send(struct hs_node *node, struct peer *p, const struct hs_msg *m, uint64_t now);
/* Encrypts and queues one plaintext frame as is (hs_node_send_raw); false if it cannot. */
bool hs_peer_send_plain(struct hs_node *node, struct peer *p, const uint8_t *msg, size_t len);
/* Sends a disconnect (when possible) and asks the driver to close. */
void hs_peer_close(struct hs_node *node, struct peer *p, uint8_t reason, const char *text,
                   uint64_t now);
/* Records a provable fault: counted, reported (HS_EV_FAULT) and scored; the score decides the
 * rest (hs_reputation_fault). */
void hs_peer_fault(struct hs_node *node, struct peer *p, enum hs_score_kind kind, const char *text,
                   uint64_t now);
/* Warns (once) when our outbound peers' median clock offset passes half the skew window. */
void hs_peer_check_clock(struct hs_node *node);
/* Processes complete frames waiting in the peer's input (after a stall). */
void hs_peer_resume(struct hs_node *node, struct peer *p, uint64_t now);
/* True while the event queue has no room for the events of one more frame. */
bool hs_peer_events_full(const struct hs_node *node);
/* Pings, idle and handshake timeouts. */
void hs_peer_timer(struct hs_node *node, struct peer *p, uint64_t now);
uint64_t hs_peer_deadline(const struct hs_node *node, const struct peer *p);
bool hs_peer_takes_topic(const struct hs_node *node, const struct peer *p, const uint8_t *topic,
                         size_t topic_len);
size_t hs_peer_pending(const struct peer *p);

/* ---- itemq (peer.c) -------------------------------------------------------------------- */
bool hs_itemq_push(struct itemq *q, uint8_t kind, const uint8_t id[HS_ID_LEN]);
/* Pops up to max items into out (kind||id each); returns how many. */
size_t hs_itemq_pop(struct itemq *q, uint8_t *out, size_t max);
void hs_itemq_free(struct itemq *q);

/* ---- gossip.c -------------------------------------------------------------------------- */
void hs_gossip_on_msg(struct hs_node *node, struct peer *p, const struct hs_msg *m, uint64_t now);
/* The peer became active: a catch-up pull if it is outbound. */
void hs_gossip_on_active(struct hs_node *node, struct peer *p, uint64_t now);
/* Announce queues, getdata service, scheduled requests: called at the end of every input. */
void hs_gossip_flush(struct hs_node *node, uint64_t now);
void hs_gossip_timer(struct hs_node *node, uint64_t now);
uint64_t hs_gossip_deadline(const struct hs_node *node);
HS_MUST_USE int hs_gossip_publish(struct hs_node *node, uint8_t id[HS_ID_LEN], const char *topic,
                                  const uint8_t *payload, size_t payloadlen, uint64_t now);

/* Applies a validator's verdict (not HS_PENDING) to a new, signature-checked rumor from
 * from (NULL: that peer is gone). */
void hs_gossip_judged(struct hs_node *node, struct peer *from, bool asked,
                      const struct hs_rumor *rm, const uint8_t id[HS_ID_LEN], const uint8_t *enc,
                      size_t enclen, enum hs_verdict v, uint64_t now);

/* ---- held.c: rumors waiting for an asynchronous verdict ---------------------------------- */
bool hs_held_has(const struct hs_node *node, const uint8_t id[HS_ID_LEN]);
/* Holds a copy until hs_node_verdict or its deadline; with no place left (or no memory) it
 * gets validate_default at once. */
void hs_held_park(struct hs_node *node, struct peer *from, bool asked, const struct hs_rumor *rm,
                  const uint8_t id[HS_ID_LEN], const uint8_t *enc, size_t enclen, uint64_t now);
/* Gives validate_default to every held rumor whose deadline has come. */
void hs_held_timer(struct hs_node *node, uint64_t now);
uint64_t hs_held_deadline(const struct hs_node *node);
bool hs_held_check(const struct hs_node *node);
void hs_held_free(struct hs_node *node);

/* ---- reputation.c ---------------------------------------------------------------------- */
/* Scores a fault against an identity that is not (necessarily) a peer: a rumor's origin. At
 * the ban threshold the identity is banned (closing its sessions), so its rumors are dropped
 * unverified from then on. */
void hs_reputation_origin_fault(struct hs_node *node, const uint8_t origin[HS_KEY_LEN],
                                enum hs_score_kind kind, uint64_t now);
/* Applies a reward to the peer's identity. */
void hs_reputation_event(struct hs_node *node, struct peer *p, enum hs_score_kind kind,
                         uint64_t now);
/* Scores a provable fault: against the identity once the handshake proved it, else against
 * the IP address; always against the network group. An identity or address that falls to the
 * ban threshold is banned for bantime (an identity together with its address) and closed;
 * repeated address bans in one group ban the group. */
void hs_reputation_fault(struct hs_node *node, struct peer *p, enum hs_score_kind kind,
                         uint64_t now);
/* Whether an inbound connection from addr may open: false while its address (or group) is
 * banned or its address's score is at or below the graylist threshold. */
bool hs_reputation_admit(const struct hs_node *node, const struct hs_netaddr *addr, uint64_t now);
/* The decayed score of addr's network group (0 if none): the sum of its members' faults. */
double hs_reputation_group_score(const struct hs_node *node, const struct hs_netaddr *addr,
                                 uint64_t now);
/* True if objects signed by origin are to be dropped before verification. */
bool hs_reputation_origin_banned(const struct hs_node *node, const uint8_t origin[HS_KEY_LEN],
                                 uint64_t now);
/* The peer's standing now (GOOD for a peer without an identity yet). */
enum hs_standing hs_reputation_standing(const struct hs_node *node, const struct peer *p,
                                        uint64_t now);
/* Lifts expired bans (saving their removal). */
void hs_reputation_sweep(struct hs_node *node, uint64_t now);
/* Saves the score of a peer whose session ends. */
void hs_reputation_session_end(struct hs_node *node, const struct peer *p);

/* ---- membership.c ---------------------------------------------------------------------- */
void hs_membership_init(struct hs_node *node, uint64_t now);
/* Our heartbeat when due; ages the members table. */
void hs_membership_timer(struct hs_node *node, uint64_t now);
uint64_t hs_membership_deadline(const struct hs_node *node);
/* A merged (signature-checked, newer) state entry: a heartbeat updates its origin's member,
 * any other entry of a known member reports an update. */
void hs_membership_on_entry(struct hs_node *node, const struct hs_entry *e, uint64_t now);
/* Signs our leave and pushes it whole to every active peer (once). */
void hs_membership_leave(struct hs_node *node, uint64_t now);
/* An active session ended without a disconnect from either side: probe the node once. */
void hs_membership_lost(struct hs_node *node, const struct peer *p, uint64_t now);
/* The probe of id could not reach it: accuse it. */
void hs_membership_probe_failed(struct hs_node *node, const uint8_t id[HS_KEY_LEN], uint64_t now);
/* ---- connect.c (membership) ---------------------------------------------------------- */
/* Dials addr once to see whether node id still answers (a feeler marked probe). */
bool hs_connect_probe(struct hs_node *node, const struct hs_netaddr *addr,
                      const uint8_t id[HS_KEY_LEN], uint64_t now);
/* ---- state.c ------------------------------------------------------------------------- */
void hs_state_init(struct hs_node *node);
/* Signs and merges one of our own entries (hs_node_set_state without the reserved-key check
 * and the flush); heartbeats are not saved. */
HS_MUST_USE int hs_state_write_own(struct hs_node *node, const char *key, uint8_t kind,
                                   const uint8_t *value, size_t valuelen, uint8_t id[HS_ID_LEN],
                                   uint64_t now);
/* A proof of equivocation from p (decoded, signatures not yet checked). */
void hs_state_on_equivocation(struct hs_node *node, struct peer *p,
                              const struct hs_msg_equivocation *q, uint64_t now);
/* Sends every held equivocation proof to a new session. */
void hs_state_send_proofs(struct hs_node *node, struct peer *p, uint64_t now);
/* Sends the entry with this id whole to every active peer in good standing. */
void hs_state_push(struct hs_node *node, const uint8_t id[HS_ID_LEN], uint64_t now);
void hs_state_on_frame(struct hs_node *node, struct peer *p, const struct hs_msg_state *ms,
                       uint64_t now);
void hs_state_on_sync(struct hs_node *node, struct peer *p, const struct hs_msg_sync *sy,
                      uint64_t now);
void hs_state_on_inv_item(struct hs_node *node, struct peer *p, const uint8_t id[HS_ID_LEN],
                          uint64_t now);
/* Sends the held entries among these getdata ids; returns how many were missing (their
 * items are copied to missing). */
size_t hs_state_serve(struct hs_node *node, struct peer *p, const uint8_t *items, size_t n,
                      uint8_t *missing, uint64_t now);
void hs_state_send_sync(struct hs_node *node, struct peer *p, uint64_t now);

/* ---- connect.c ------------------------------------------------------------------------- */
void hs_connect_on_msg(struct hs_node *node, struct peer *p, const struct hs_msg *m, uint64_t now);
/* The handshake proved the peer's identity: refuse self, duplicates, wrong identities. */
bool hs_connect_on_identity(struct hs_node *node, struct peer *p, uint64_t now);
/* Hello accepted: learn the record, ask for addresses. */
void hs_connect_on_active(struct hs_node *node, struct peer *p, uint64_t now);
void hs_connect_on_closed(struct hs_node *node, struct peer *p, uint64_t now);
void hs_connect_timer(struct hs_node *node, uint64_t now);
uint64_t hs_connect_deadline(const struct hs_node *node);
/* True if a new session may open. Outbound: a free live slot (inbound sessions never take the
 * outbound reserve). Inbound: a free inbound slot, or an inbound session evicted to make one —
 * unless addr's network group scores worse than the victim's, or at the graylist. */
bool hs_connect_make_room(struct hs_node *node, bool inbound, const struct hs_netaddr *addr,
                          uint64_t now);
/* Matches an opened outbound connection to its dial. */
void hs_connect_on_open(struct hs_node *node, struct peer *p);
void hs_connect_dial_failed(struct hs_node *node, const struct hs_netaddr *addr, uint64_t now);
/* Our own dial to addr connected but we refused the session (no room, or banned since): the
 * dial is over, and neither the address nor an anchor is charged with a failed attempt. */
void hs_connect_on_refused(struct hs_node *node, const struct hs_netaddr *addr);
/* Signs (or re-signs) our record after an address change. */
HS_MUST_USE int hs_connect_sign_record(struct hs_node *node, uint64_t now);
/* A verified anchor record from the store: added to the book and dialled first. */
HS_MUST_USE int hs_connect_add_anchor(struct hs_node *node, const struct hs_record *rec,
                                      uint64_t now);
/* Emits HS_SAVE_UNRECORD for the ids the book dropped and HS_SAVE_RECORD for the entries a
 * collision moved between tables (after every input). */
void hs_connect_book_sync(struct hs_node *node);
/* Dials a feeler to addr (a record's, expecting id); crawl marks a seed's crawl visit.
 * False when no dial slot is free. */
bool hs_connect_feeler(struct hs_node *node, const struct hs_netaddr *addr,
                       const uint8_t id[HS_KEY_LEN], bool crawl, uint64_t now);
/* Saves a book entry (record and history) with HS_SAVE_RECORD. */
void hs_connect_save_entry(struct hs_node *node, const struct hs_book_entry *e);

/* ---- crawl.c (seed mode) ------------------------------------------------------------------ */
HS_MUST_USE int hs_crawl_init(struct hs_node *node, uint64_t now);
void hs_crawl_deinit(struct hs_node *node);
/* Starts the next visit when one is due (from the connect timer). */
void hs_crawl_timer(struct hs_node *node, uint64_t now);
uint64_t hs_crawl_deadline(const struct hs_node *node);
/* A visit's result for the record of id. */
void hs_crawl_result(struct hs_node *node, const uint8_t id[HS_KEY_LEN], bool ok, uint64_t now);
/* A seed's getaddr answer: records reachable in the 2 h window (topped up from the book's
 * sample while fewer than HS_SEED_VERIFIED_MIN are), none with id exclude. */
size_t hs_crawl_answer(struct hs_node *node, struct hs_record *out, size_t max,
                       const uint8_t *exclude, uint64_t now);
/* Seed mode, an inbound session's hello accepted: beyond HS_SEED_RELAY_IN relay sessions it
 * is an address-exchange visit that leaves after HS_SEED_VISIT_S. */
void hs_crawl_on_inbound(struct hs_node *node, struct peer *p, uint64_t now);
/* Seed mode: an inbound session we gave no answer to (refused by the rate limit, or nothing
 * to give yet) becomes a visit too, relay slot or not: it must not hold one in vain. */
void hs_crawl_visit_only(struct hs_node *node, struct peer *p, uint64_t now);

/* ---- request preference (reqsched.h) and topic coverage (topics.c) ------------------------ */
/* The scheduler asks PREFERRED announcers first: sessions we opened (an attacker cannot choose
 * whom we dial) whose peer is in good standing. */
static inline enum hs_req_class hs_peer_req_class(const struct hs_node *node, const struct peer *p,
                                                  uint64_t now)
{
	return p->kind != CONN_INBOUND && hs_reputation_standing(node, p, now) == HS_STANDING_GOOD
	               ? HS_REQ_PREFERRED
	               : HS_REQ_OTHER;
}
/* Outbound sessions wanted beyond outbound_target: while a topic we take has fewer than
 * HS_TOPIC_PEERS_MIN sessions with peers taking it, up to HS_TOPIC_EXTRA_OUTBOUND_MAX within
 * peers_max; 0 otherwise and for a node taking every topic. */
size_t hs_topics_extra_outbound(const struct hs_node *node);
/* True if closing p would leave a topic we take with fewer than HS_TOPIC_PEERS_MIN takers. */
bool hs_topics_useful(const struct hs_node *node, const struct peer *p);
/* Beyond outbound_target, closes the youngest outbound session that is not useful (and has
 * lived HS_TOPIC_TRY_S); at most one per call. From the connect timer. */
void hs_topics_trim(struct hs_node *node, uint64_t now);

#endif

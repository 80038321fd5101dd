/*
 * overlay/: the request scheduler — which announced id to request from which peer, and when.
 *
 * Bitcoin Core's txrequest: among the announcers of an id that are due, prefer the caller's
 * preferred ones (outbound sessions) and choose uniformly at random among equals, keyed by a
 * secret so that no peer can predict or steer the choice. Pure data with explicit time; the
 * node feeds it announcements (inv), arrivals, notfounds and departures, and polls it for the
 * (peer, id) requests to send now.
 *
 * Specification (tests/unit/test_reqsched.c checks an implementation against a naive model of
 * exactly these rules):
 *
 *  - An announcement is (peer, id, class, reqtime, seq, state), state CANDIDATE, REQUESTED or
 *    FAILED; at most one per (peer, id). seq is a counter: earlier announcements have smaller
 *    seq. class is HS_REQ_PREFERRED or HS_REQ_OTHER, fixed at announce time.
 *  - The scheduler's current time is the largest now given to poll so far (0 before the first
 *    poll); a poll with a smaller now acts at the current time. (Time never runs backwards
 *    here, so a candidate once due stays due.)
 *  - Each peer has a *strike* count: +1 for each of its requests that times out, back to 0
 *    when one of its requests is answered (notfound(peer, id) or delivered(peer, id) while
 *    that request is REQUESTED) and when the peer is gone. A peer is *demoted* while its
 *    strikes are at least peer_strikes_max. Each peer is *proven* from its first
 *    delivered(peer, ...) (an object it sent us, asked for or not) until one of its requests
 *    times out or it is gone; unproven before that.
 *    Rationale: an object that arrived from someone else while a request was in flight says
 *    nothing about the asked peer, so it neither clears nor earns a strike (a withholder whose
 *    requests are overtaken by pushes would otherwise never be demoted); a notfound answers
 *    but proves nothing, so it clears strikes and does not prove.
 *  - announce(peer, id, kind, class, reqtime): (kind is carried with the id and returned with
 *    its requests; it takes no part in scheduling) no-op returning 0 if (peer, id) exists, in
 *    any state (a peer that failed an id is not asked for it again until the id is forgotten).
 *    Refused (HS_ERR_FULL) if the peer already has peer_announced_max announcements of any
 *    state. If the id has id_announcers_max announcements of any state: a PREFERRED
 *    announcement evicts (removes) the OTHER CANDIDATE of the id with the largest seq, and is
 *    refused (HS_ERR_FULL) if there is none; an OTHER one is refused. Then a CANDIDATE with
 *    the next seq and reqtime, plus nonpreferred_delay for an OTHER one (saturating at
 *    UINT64_MAX).
 *    Rationale: FAILED announcements count against the peer's limit (as COMPLETED ones do in
 *    Bitcoin's txrequest), otherwise a peer could pin up to id_announcers_max - 1 failed
 *    announcements on every live id and the total would not be bounded by the per-peer limit.
 *    Rationale: inbound peers are cheap to make; without eviction id_announcers_max of them
 *    announcing first would keep every outbound announcer of the id out.
 *  - The *priority* of an announcement (smaller is better) is rank * 2^61 + (h >> 3), where h
 *    = SipHash-2-4 under the secret key of the 33 bytes id || peer (one byte), and rank is 0
 *    for PREFERRED, 2 for OTHER, plus 1 while its peer is unproven and 4 while it is demoted.
 *    Rationale: the low bits are a uniform random order of the announcers of each id that no
 *    peer can predict (Bitcoin's txrequest: "random assignments are hard to influence for
 *    attackers"); the rank puts outbound peers first (an attacker cannot choose whom we dial),
 *    within a class the peers that have delivered data first (a withholder never does, so once
 *    an honest announcer of the class has served us, withholders of that class are asked only
 *    after it), and peers that keep timing out last.
 *  - An announcement is *eligible* at time now when it is a CANDIDATE with reqtime <= now, its
 *    id has no REQUESTED announcement, and its peer has fewer than peer_inflight_max REQUESTED
 *    announcements. An id is *requestable* when it has an eligible announcement; its *chosen*
 *    candidate is the eligible one with the smallest priority.
 *  - poll(now): first expires every REQUESTED announcement with expiry <= now (it becomes
 *    FAILED: a timeout, and a strike for its peer); then repeatedly takes the eligible
 *    announcement with the smallest priority over all ids (it is its id's chosen candidate),
 *    marks it REQUESTED with expiry = now + request_timeout (saturating at UINT64_MAX), and
 *    outputs (peer, id) — until nothing is eligible or the output is full. Eligibility is
 *    re-evaluated after each output: a peer that reaches its in-flight limit stops being
 *    chosen within the same poll. Equal priorities (probability 2^-62 per pair) are taken in
 *    an unspecified order.
 *  - received(id): the object arrived or was judged: every announcement of id is removed.
 *  - delivered(peer, id): peer sent us the object id and the node found it valid (its
 *    signature checked, or a copy of one the node holds): the peer is proven; if its announcement
 * of id is REQUESTED, that is an answer (strikes back to 0); its announcement of id, if any and not
 * FAILED, becomes FAILED. (The node then calls received(id) once the object is judged; an object it
 * could not judge yet, e.g. over the verification budget, stays requestable from the other
 * announcers.)
 *  - notfound(peer, id): that peer's announcement of id (CANDIDATE or REQUESTED) becomes
 *    FAILED; no-op if there is none or it already FAILED.
 *  - peer_gone(peer): every announcement of peer is removed.
 *  - Whenever every remaining announcement of an id is FAILED, all of them are removed (the
 *    id is forgotten; a later inv starts afresh).
 *  - next_deadline(): the time at which the node should poll next: the smallest of: the
 *    current time if some id is requestable at it (the last poll's output was full, or
 *    something became requestable since); reqtime of a CANDIDATE, later than the current
 *    time, of an id that has no REQUESTED announcement; expiry of a REQUESTED announcement;
 *    UINT64_MAX if none. A due candidate held back only by its peer's in-flight limit does
 *    not count: it becomes requestable when one of that peer's requests completes (received,
 *    notfound, peer_gone — which the node follows with a poll anyway — or a timeout, which is
 *    itself a deadline), so counting its past reqtime would make the node spin. A future
 *    reqtime of such a candidate still counts: at worst one early wake-up per candidate.
 *  - Peer numbers are below HS_PEERS_MAX: announce refuses others (HS_ERR_INVALID); the other
 *    calls ignore them (introspection answers false or 0).
 *
 * Delay bound (k colluding withholders: peers that announce an id and never deliver it):
 *  - Each announcer is asked for an id at most once while the id is remembered, and requests
 *    for one id are sequential, so k withholders delay an id by at most k request_timeouts
 *    after an honest announcer's announcement is due (and its peer has room in flight);
 *    never more than id_announcers_max - 1.
 *  - While an honest announcer h is due and its peer has room in flight, a request for the id
 *    goes to another announcer only if that one ranks at or above h; so the requests made
 *    before h's are the one possibly in flight when h fell due and those to announcers ranked
 *    at or above h. If h is PREFERRED and not demoted, withholders of class OTHER cost nothing
 *    beyond that one request, and none at all if h's announcement falls due before theirs,
 *    which nonpreferred_delay arranges whenever h announces within that delay of the first.
 *    PREFERRED withholders (outbound sessions: peers we chose, not peers that chose us) cost
 *    at most one timeout each, and j of them among P equally ranked due announcers (P - j
 *    honest) cost j / (P - j + 1) timeouts on average, not j: the order is random (the unit
 *    test measures 1.5 for j = 3, P = 4). Once an honest PREFERRED announcer is proven
 *    (it served us anything since its last timeout) and not demoted, unproven withholders
 *    cost at most the one request possibly in flight when it fell due.
 *  - A PREFERRED announcer is never kept out of a full id by OTHER ones (eviction), and the
 *    announcers one peer can displace are bounded by its own peer_announced_max.
 *  - A withholder that times out peer_strikes_max times in a row ranks after every peer that
 *    does not, in either class, until it answers a request. Rationale: this orders slow or
 *    broken peers behind working ones; a withholder can clear its strikes with a notfound,
 *    so the bounds above do not rest on strikes.
 *
 * Bounds: each peer holds at most peer_announced_max announcements, so there are at most
 * HS_PEERS_MAX * peer_announced_max in all (and as many ids); each id has at most
 * id_announcers_max. Memory follows the most ever held, up to those bounds, and does not
 * grow with churn (no lazy deletion). Peer numbers are the node's slot indices, below
 * HS_PEERS_MAX.
 *
 * Cost (n announcements, k = id_announcers_max): one expected-O(1) id lookup, then announce
 * is O(k + log n); received and notfound O(k log n); peer_gone O(k log n) per announcement
 * of the peer; poll O(k log n) per request made, timeout or candidate falling due, never a
 * scan (O(1) when there is nothing to do); next_deadline O(1). Only new and announce
 * allocate, so only they can fail; the pools grow by doubling and are kept for reuse.
 *
 * Attacker model: peers choose the ids and the timing of inv, notfound and data, and may
 * connect to us as many times as our inbound slots allow; they cannot choose our outbound
 * sessions, read our secret key, or tell which announcer we will ask. Ids are hashed under
 * the secret key given to hs_reqsched_new, so a peer cannot grind ids that collide in the
 * index or that rank it first.
 */
#ifndef HEARSAY_OVERLAY_REQSCHED_H
#define HEARSAY_OVERLAY_REQSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "hearsay/error.h"

/* A zero count takes its default. */
struct hs_reqsched_config {
	size_t peer_announced_max;      /* default HS_REQ_PEER_ANNOUNCED_MAX; at most 2^20 */
	size_t peer_inflight_max;       /* default HS_REQ_PEER_INFLIGHT_MAX */
	size_t id_announcers_max;       /* default HS_REQ_ID_ANNOUNCERS_MAX */
	size_t peer_strikes_max;        /* default HS_REQ_PEER_STRIKES_MAX */
	uint64_t request_timeout_ns;    /* must be > 0 */
	uint64_t nonpreferred_delay_ns; /* added to the reqtime of OTHER announcements (may be 0) */
};

/* The caller's preference for an announcer, given with each announcement. */
enum hs_req_class {
	HS_REQ_PREFERRED = 0, /* a peer we chose (outbound, manual) in good standing */
	HS_REQ_OTHER = 1,     /* anyone else: asked after the preferred, and later */
};

struct hs_request {
	uint32_t peer;
	uint8_t kind; /* as given with the id's first announcement (an inv item kind) */
	uint8_t id[HS_ID_LEN];
};

struct hs_reqsched; /* opaque */

/* key: 16 secret random bytes keying the id index (copied, wiped by hs_reqsched_del).
 * HS_ERR_INVALID on a bad config, HS_ERR_NOMEM. */
HS_MUST_USE int hs_reqsched_new(struct hs_reqsched **out, const struct hs_reqsched_config *cfg,
                                const uint8_t key[16]);
void hs_reqsched_del(struct hs_reqsched *rs);

/* 0, or HS_ERR_FULL (announcement refused), HS_ERR_NOMEM, HS_ERR_INVALID (peer out of range
 * or class not an hs_req_class). */
HS_MUST_USE int hs_reqsched_announce(struct hs_reqsched *rs, uint32_t peer,
                                     const uint8_t id[HS_ID_LEN], uint8_t kind,
                                     enum hs_req_class cls, uint64_t reqtime);
/* Outputs up to max requests to make now, in the order made; returns how many (out may be NULL
 * when max is 0). *timeouts (if not NULL) gets the number of requests that expired in this
 * call. */
size_t hs_reqsched_poll(struct hs_reqsched *rs, uint64_t now, struct hs_request *out, size_t max,
                        size_t *timeouts);
void hs_reqsched_received(struct hs_reqsched *rs, const uint8_t id[HS_ID_LEN]);
/* Returns true if peer's announcement of id was REQUESTED (the delivery answered it). */
bool hs_reqsched_delivered(struct hs_reqsched *rs, uint32_t peer, const uint8_t id[HS_ID_LEN]);
void hs_reqsched_notfound(struct hs_reqsched *rs, uint32_t peer, const uint8_t id[HS_ID_LEN]);
void hs_reqsched_peer_gone(struct hs_reqsched *rs, uint32_t peer);
/* Requests to peer made from now on expire after timeout_ns (at most, and 0 meaning, the
 * configured request_timeout): the node sets it from the peer's round-trip time, so a
 * withholder costs a retransmission timeout, not the worst case. Reset when the peer goes. */
void hs_reqsched_set_timeout(struct hs_reqsched *rs, uint32_t peer, uint64_t timeout_ns);
uint64_t hs_reqsched_next_deadline(const struct hs_reqsched *rs);

/* Introspection for tests and invariants. */
bool hs_reqsched_is_requested(const struct hs_reqsched *rs, uint32_t peer,
                              const uint8_t id[HS_ID_LEN]);
bool hs_reqsched_has_id(const struct hs_reqsched *rs, const uint8_t id[HS_ID_LEN]);
size_t hs_reqsched_count(const struct hs_reqsched *rs); /* all announcements */
/* The peer's announcements of any state: what peer_announced_max limits. */
size_t hs_reqsched_peer_count(const struct hs_reqsched *rs, uint32_t peer);
size_t hs_reqsched_peer_inflight(const struct hs_reqsched *rs, uint32_t peer);
size_t hs_reqsched_peer_strikes(const struct hs_reqsched *rs, uint32_t peer);
/* Announcements evicted from full ids by PREFERRED ones, since new (the discard counter). */
uint64_t hs_reqsched_evictions(const struct hs_reqsched *rs);
/* Checks every internal invariant (indexes agree, counts match); false on a bug. */
bool hs_reqsched_check(const struct hs_reqsched *rs);

#endif

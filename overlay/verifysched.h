/*
 * overlay/: the verification scheduler — which signature checks the node spends its CPU on.
 *
 * Every signed object a peer sends (rumor, state entry, node record) costs a BIP340
 * verification once it has passed the cheap checks. The node has a budget of rate_per_s
 * verifications per second in all, shared max-min fairly: first across network groups (IPv4
 * /16, IPv6 /32: hs_netaddr_group), then across the peers of each group. So a flooder, or a
 * /16 full of them, gets at most its group's share, and an honest peer alone in its group gets
 * its group's share whatever the others send. A check over budget is refused: the caller drops
 * the object unverified (nothing is queued) and the refusal is counted, never charged to the
 * peer — a peer cannot know a budget it shares with others.
 *
 * Pure data with explicit time. Specification (tests/unit/test_verifysched.c checks it against
 * a naive model of the fair shares under random operations):
 *
 *  - Tokens are kept in nano-tokens (1e-9 token), exactly: a refill of dt ns brings
 *    rate_per_s * dt nano-tokens, and one check costs 1e9.
 *  - Each registered peer (a slot) belongs to one group and holds a bucket. A group with m
 *    registered peers has buckets of max(burst / m, 1 token) each (so a group's buckets hold
 *    at most burst in all, however many Sybils it has, while it has at most burst peers). A group
 * with no registered peer is *departed*: its record keeps the level its last peer had.
 *  - A *reserve* bucket (capacity reserve, starting full) funds groups the scheduler has no
 *    record of.
 *  - refill(now): at most once per HS_VERIFY_REFILL_NS and only when a peer without a whole
 *    token asks. dt = now - the last refill; X = rate_per_s * dt. X is shared by integer
 *    water-filling over the live groups and the reserve (one share, like a group): with D
 *    the deficits (capacity minus level; a group's is the sum of its peers'), each gets
 *    min(D, L) for the largest integer L with sum(min(D, L)) <= X; what does not divide
 *    evenly is lost (under one nano-token per bucket). Each group's part is shared the same
 *    way among its peers. A full bucket takes nothing, so an idle group's share goes to the
 *    busy ones (work-conserving).
 *  - admit(slot, group, now): registers slot in group if it is not (leaving its old group
 *    first if the slot was registered in another). Joining a live group: the peer's bucket
 *    starts empty and the others' are cut to the new capacity. Joining a departed group: the
 *    peer takes the record's level. Joining a group with no record: the peer takes
 *    min(burst, reserve) from the reserve; when every record is in use, the departed record
 *    with the highest level (on a tie, the lowest index) is forgotten for it. Then, if the
 *    peer's bucket lacks a whole token, refill(now). Then one token is taken (true) or the
 *    check is refused (false), counted as over the *group share* if the peer's group holds
 *    less than one token in all, else over the *peer share*.
 *  - remove(slot, now): the session ended. The peer's tokens leave with it, unless it was its
 *    group's last peer: then the group becomes departed with that level.
 *  - Time that goes backwards is treated as no time passing.
 *
 * Guarantees (with n live groups): no token is created except by refill, rate_per_s per
 * second in all, so over any interval of W seconds the node admits at most rate_per_s * W
 * plus what its buckets held at the start (at most burst per group record, and the reserve).
 * A live group whose buckets are not full receives at least rate_per_s / (n + 1) per second
 * (the + 1 is the reserve); two groups that both stay short of tokens receive the same,
 * whatever their number of peers; churn gives a group nothing back, since a departed group's
 * record keeps its level and a new group is funded only from the reserve.
 * Rationale: per-group rather than per-peer shares because identities are free and addresses
 * in one /16 cheap; water-filling rather than fixed shares so an honest peer's burst (a
 * catch-up pull, a sync answer) uses whatever the other groups leave idle.
 *
 * Bounds: peers_max slots and 2 * peers_max group records (live groups are at most
 * peers_max, so a record is always free or departed). Cost: admit is O(1) with a token in the
 * bucket; a refill is O(peers_max log peers_max), at most once per HS_VERIFY_REFILL_NS;
 * registering a slot is O(peers_max). Only new allocates.
 *
 * Attacker model: a peer chooses when and how often it asks (every object it sends that passes
 * the cheap checks), may open and close sessions at will and may hold many identities and
 * addresses in few groups. Slots are the node's session slots, never peer data.
 */
#ifndef HEARSAY_OVERLAY_VERIFYSCHED_H
#define HEARSAY_OVERLAY_VERIFYSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "hearsay/error.h"

#define HS_VERIFYSCHED_BURST_MAX 1000000u

struct hs_verifysched_config {
	uint64_t rate_per_s; /* checks per second, node-wide: 1 .. 1e9 */
	uint64_t burst; /* tokens one group's buckets hold in all: 1 .. HS_VERIFYSCHED_BURST_MAX */
	uint64_t reserve; /* the reserve's capacity in tokens: 0 .. 64 * burst */
	size_t peers_max; /* slots 0 .. peers_max - 1: 1 .. 4096 */
};

struct hs_verifysched_stats {
	uint64_t admitted;         /* checks allowed */
	uint64_t over_peer_share;  /* refused: the peer's group had tokens, held by its others */
	uint64_t over_group_share; /* refused: the peer's whole group was out of tokens */
};

struct hs_verifysched;

/* HS_ERR_INVALID for a config out of range, HS_ERR_NOMEM. The reserve starts full. */
HS_MUST_USE int hs_verifysched_new(struct hs_verifysched **out,
                                   const struct hs_verifysched_config *cfg, uint64_t now);
void hs_verifysched_del(struct hs_verifysched *vs);
/* Asks for one signature check by the peer in slot, whose address is in group
 * (hs_netaddr_group). True: check it. False: drop the object unverified. A slot out of range
 * is refused (counted over the peer share). */
bool hs_verifysched_admit(struct hs_verifysched *vs, unsigned slot, const uint8_t group[8],
                          uint64_t now);
/* The session in slot ended (no-op if the slot never asked). */
void hs_verifysched_remove(struct hs_verifysched *vs, unsigned slot, uint64_t now);
/* True if slot is registered (it asked since it last was removed). */
bool hs_verifysched_has(const struct hs_verifysched *vs, unsigned slot);
/* Whole tokens in slot's bucket now, without refilling (0 if unregistered). For tests. */
uint64_t hs_verifysched_tokens(const struct hs_verifysched *vs, unsigned slot);
const struct hs_verifysched_stats *hs_verifysched_stats(const struct hs_verifysched *vs);
/* Internal invariants (levels within capacities, group sums and counts, distinct records);
 * false means a bug. O(peers_max). */
bool hs_verifysched_check(const struct hs_verifysched *vs);

#endif

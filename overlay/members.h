/*
 * overlay/: the members table — every node whose signed heartbeat we have seen.
 *
 * A heartbeat is a state entry under the reserved key "hs.heartbeat" (overlay/entry.h): its
 * version rises every heartbeat interval, its generation counts the node's restarts, and a
 * tombstone under it is the node's signed leave. Only the node's own key can sign it, so no
 * peer can make another node look alive, and no peer can make it look left.
 *
 * Status, from what the table has seen locally:
 *   alive   a heartbeat made progress (a higher (generation, version)) within
 *           suspect_heartbeats of the member's declared intervals;
 *   suspect no progress for that long;
 *   dead    no progress for dead_heartbeats intervals;
 *   left    the member signed a leave for its current generation.
 * A newer generation (a restart) makes a dead or left member alive again.
 *
 * Rationale: liveness here is judged from the member's own signatures only, so a liar can
 * slow the news (withhold heartbeats) but never forge it; an honest node is declared dead only
 * if every honest path to us stops carrying its heartbeats for dead_heartbeats intervals.
 *
 * Bounds: at most HS_MEMBERS_MAX members. When full, a new member replaces the left member
 * that left first, else the dead member that died first, else the suspect longest suspected,
 * else the alive member whose heartbeat progressed longest ago (never ourselves). Dead and
 * left members are forgotten reap_ns after their status changed.
 *
 * Pure data: signatures are checked, and heartbeat values decoded, by the caller.
 */
#ifndef HEARSAY_OVERLAY_MEMBERS_H
#define HEARSAY_OVERLAY_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "crypto/idmap.h"

enum hs_member_status {
	HS_MEMBER_ALIVE = 1,
	HS_MEMBER_SUSPECT = 2,
	HS_MEMBER_DEAD = 3,
	HS_MEMBER_LEFT = 4,
};

/* A neighbour's signed statement that it lost the member (PROTOCOL.md §9.8). */
struct hs_accusation {
	uint8_t accuser[HS_KEY_LEN];
	uint8_t group[8]; /* the accuser's network group, from its record */
};

struct hs_member {
	uint8_t id[HS_KEY_LEN];
	uint64_t generation, heartbeat; /* the newest heartbeat's generation and version */
	uint64_t interval_ns;           /* the member's declared heartbeat interval */
	uint64_t first_seen_ns;         /* when its first heartbeat reached us */
	uint64_t last_seen_ns;          /* when its heartbeat last made progress */
	uint64_t status_ns;             /* when its status last changed */
	uint8_t status;                 /* enum hs_member_status */
	/* Accusations of its current heartbeat, and when they made it suspect (0: they did not;
	 * a heartbeat timeout is judged from last_seen_ns instead). */
	uint8_t naccusers;
	struct hs_accusation accusers[HS_MEMBER_ACCUSERS_MAX];
	uint64_t accused_ns;
};

/* A change the table reports to its caller (who turns it into an event). */
enum hs_member_change {
	HS_MEMBER_NONE = 0,
	HS_MEMBER_JOINED = 1,    /* first seen alive */
	HS_MEMBER_RECOVERED = 2, /* suspect, dead or left before: alive again */
	HS_MEMBER_SUSPECTED = 3,
	HS_MEMBER_FAILED = 4,   /* declared dead */
	HS_MEMBER_DEPARTED = 5, /* signed a leave */
	HS_MEMBER_UPDATED = 6,  /* one of its other state entries changed (events only) */
};

struct hs_members {
	struct hs_member *m;
	size_t count, cap, max;
	struct hs_idmap by_id; /* id -> index in m */
	uint8_t self[HS_KEY_LEN];
	uint64_t evicted, reaped;
};

void hs_members_init(struct hs_members *t, const uint8_t secret[16], const uint8_t self[HS_KEY_LEN],
                     size_t max);
void hs_members_deinit(struct hs_members *t);

/* What one signature-checked heartbeat entry says about its origin:
 * left: it is a tombstone (the origin's leave); else fresh tells whether its signing time is
 * recent enough to be news of liveness (an old heartbeat brought by anti-entropy is not), and
 * interval_ns is the origin's declared interval. Returns the change to report; *member (may be
 * NULL) gets the member's entry (NULL if it was not added: stale news of an unknown node, or
 * no memory). */
enum hs_member_change hs_members_heard(struct hs_members *t, const uint8_t id[HS_KEY_LEN],
                                       uint64_t generation, uint64_t version, bool left, bool fresh,
                                       uint64_t interval_ns, uint64_t now,
                                       const struct hs_member **member);

/* An accusation by accuser (of network group `group`) of the member's heartbeat (generation,
 * version): counted only when it names the member's current heartbeat or a newer one (an
 * older one was refuted). A member accused from HS_SUSPECT_GROUPS_MIN distinct groups turns
 * suspect (HS_MEMBER_SUSPECTED); returns the change. */
enum hs_member_change hs_members_accuse(struct hs_members *t, const uint8_t id[HS_KEY_LEN],
                                        const uint8_t accuser[HS_KEY_LEN], const uint8_t group[8],
                                        uint64_t generation, uint64_t version, uint64_t now,
                                        const struct hs_member **member);
/* Withdraws accuser's accusation of every member not in keep (n ids), as when its suspects
 * list changes. A member left with too few accusers is no longer accused (it stays suspect
 * until a fresh heartbeat or the heartbeat timeout). */
void hs_members_withdraw(struct hs_members *t, const uint8_t accuser[HS_KEY_LEN],
                         const uint8_t (*keep)[HS_KEY_LEN], size_t n);
/* Distinct network groups among the member's accusers. */
size_t hs_member_accuser_groups(const struct hs_member *m);

/* Ages every member: alive to suspect after suspect_heartbeats of its intervals without
 * progress, to dead after dead_heartbeats, and forgets dead and left members reap_ns after
 * their change. An accused member is dead once its suspicion timeout passes without a fresh
 * heartbeat, counted from when the accusations made it suspect: 3 of its intervals with
 * accusers from 2 groups, 2 with 3 groups, 1 with 4 (Lifeguard: more independent
 * confirmations, a shorter wait). fn is told of each status change (and may be NULL). */
void hs_members_age(struct hs_members *t, uint64_t now, uint32_t suspect_heartbeats,
                    uint32_t dead_heartbeats, uint64_t reap_ns,
                    void (*fn)(void *ctx, const struct hs_member *m, enum hs_member_change c),
                    void *ctx);

const struct hs_member *hs_members_get(const struct hs_members *t, const uint8_t id[HS_KEY_LEN]);
/* Members by status (index by enum hs_member_status; [0] is the total). */
void hs_members_count(const struct hs_members *t, size_t counts[5]);
bool hs_members_check(const struct hs_members *t);

#endif

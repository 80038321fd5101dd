/*
 * reputation/: peer scores — how well each peer key (and each network group) has behaved.
 *
 * A score starts at 0, moves by weighted events (penalties for provable faults and abuse,
 * small rewards for useful work), decays toward 0 with a half-life, and is capped on both
 * sides. Rationale: a cap on the positive side means goodwill cannot be banked to absorb an
 * attack later (gossipsub caps its positive terms the same way); decay lets an honest peer
 * recover from a burst of flood points, and lets a ban-worthy peer return after its ban.
 *
 * Thresholds (DESIGN §4): below gossip_threshold we stop relaying to and from the peer, below
 * graylist_threshold we ignore it, below ban_threshold we disconnect and ban it.
 *
 * Every score can be explained: each entry keeps a count and point total per event kind and
 * its last HS_SCORE_EVENTS events.
 *
 * Pure data with explicit time; bounded by entries_max (when full, the entry nearest zero is
 * forgotten: it says least). Keys are peer-chosen, so the map is secret-keyed.
 */
#ifndef HEARSAY_SCORE_H
#define HEARSAY_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/idmap.h"
#include "hearsay/error.h"

/* Event kinds: the provable faults (negative weights) and the rewards. This is the node's one
 * penalty vocabulary: a fault the core detects is one of these, scored, reported in
 * HS_EV_FAULT and explained by getscore. Persisted, so the numbers never change. */
enum hs_score_kind {
	HS_SCORE_MALFORMED = 1, /* an authenticated frame that fails decoding or is not canonical */
	HS_SCORE_PROTOCOL = 2,  /* a message not allowed here (before hello, a second hello) */
	HS_SCORE_BAD_SIG = 3,   /* an object with a bad signature */
	HS_SCORE_REJECTED = 4,  /* a rumor the application's validator rejected */
	HS_SCORE_EQUIVOCATION = 5, /* an origin signed two entries for one version (a proof) */
	HS_SCORE_FLOOD = 6,        /* over its frame rate; a getdata queue overflow */
	HS_SCORE_HANDSHAKE = 7,  /* an authenticated handshake payload with a bad identity proof */
	HS_SCORE_DELIVERED = 16, /* first to deliver a valid rumor to us */
	HS_SCORE_ANSWERED = 17,  /* answered a request */
	HS_SCORE_KINDS = 18,
};

/* True for the kinds that are faults (enum values 1..15). */
#define HS_SCORE_IS_FAULT(kind) ((kind) >= 1 && (kind) < 16)

#define HS_SCORE_EVENTS 16

struct hs_score_event {
	uint64_t time_ns;
	int32_t delta_milli; /* points × 1000 actually applied (after the caps) */
	uint8_t kind;
};

struct hs_score_entry {
	uint8_t key[32];
	double value; /* at updated_ns */
	uint64_t updated_ns;
	uint32_t count[HS_SCORE_KINDS];              /* events of each kind, ever */
	double points[HS_SCORE_KINDS];               /* points of each kind, ever (before decay) */
	struct hs_score_event last[HS_SCORE_EVENTS]; /* ring, newest at (head - 1) */
	uint8_t nlast, head;
};

/* Every weight and threshold, in one place; the defaults and the reason for each are in
 * hs_score_params_default (reputation/score.c), and hearsayd exposes each as a config key
 * (docs/CONFIG.md). */
struct hs_score_params {
	double halflife_s;             /* default 600 */
	double weight[HS_SCORE_KINDS]; /* points per event; defaults in hs_score_params_default */
	double max, min;               /* caps: default +20 and -1000 */
	double gossip_threshold;       /* default -20 */
	double graylist_threshold;     /* default -50 */
	double ban_threshold;          /* default -100 */
};
/* HS_ERR_INVALID unless every weight is finite, faults are negative and rewards not, and
 * max >= 0 > gossip > graylist > ban >= min (so the ladder is a ladder). */
HS_MUST_USE int hs_score_params_check(const struct hs_score_params *p);

enum hs_standing {
	HS_STANDING_GOOD = 0,
	HS_STANDING_NO_GOSSIP = 1,
	HS_STANDING_GRAYLIST = 2,
	HS_STANDING_BAN = 3,
};

struct hs_scores {
	struct hs_idmap map; /* key -> index */
	struct hs_score_entry *entries;
	size_t count, cap, entries_max;
	struct hs_score_params params;
};

void hs_score_params_default(struct hs_score_params *p);
void hs_scores_init(struct hs_scores *s, const uint8_t secret[16], size_t entries_max,
                    const struct hs_score_params *params);
void hs_scores_deinit(struct hs_scores *s);
/* Applies one event to key's score; *value (if not NULL) gets the new score. */
HS_MUST_USE int hs_scores_add(struct hs_scores *s, const uint8_t key[32], enum hs_score_kind kind,
                              uint64_t now, double *value);
/* The decayed score now (0 for an unknown key). */
double hs_scores_value(const struct hs_scores *s, const uint8_t key[32], uint64_t now);
enum hs_standing hs_scores_standing(const struct hs_scores *s, double value);
const struct hs_score_entry *hs_scores_find(const struct hs_scores *s, const uint8_t key[32]);
/* Forgets key's score (after its ban, or on an operator's request). */
void hs_scores_forget(struct hs_scores *s, const uint8_t key[32]);
const char *hs_score_kind_name(uint8_t kind);

/* Persistence: a fixed little-endian layout (docs/OPERATIONS.md), versioned by its length. */
#define HS_SCORE_ENTRY_ENCODED_LEN                                                                 \
	(32 + 8 + 8 + HS_SCORE_KINDS * (4 + 8) + 1 + HS_SCORE_EVENTS * (8 + 4 + 1))
void hs_score_entry_encode(const struct hs_score_entry *e, uint8_t out[HS_SCORE_ENTRY_ENCODED_LEN]);
/* Loads a stored entry (replacing any in memory). HS_ERR_CORRUPT for a bad length. */
HS_MUST_USE int hs_scores_load(struct hs_scores *s, const uint8_t *data, size_t datalen);

#endif

/*
 * The seed's crawler (seed mode): reachability statistics per node record, in the manner of
 * bitcoin-seeder's db.h (CAddrStat), and the node API that reports them.
 *
 * A seed (hs_node_config.seed_mode) visits the records of its address book one after another,
 * every crawl_interval, the one crawled longest ago (or never) first, at most
 * HS_CRAWL_INFLIGHT_MAX at once. A visit is a short outbound session (a feeler): it succeeds
 * when the node named by the record proves its identity and its hello is accepted; it fails
 * when the dial, the handshake or the hello does not. Each result updates that record's
 * statistics: attempts, successes, the last try and success, and for each window
 * (2 h, 8 h, 1 d, 1 w) an exponentially decayed success ratio:
 *
 *     f = exp(-(t - t_last) / tau)      tau: the window (2 h, 8 h, 1 d, 1 w)
 *     num = num * f + (ok ? 1 : 0)
 *     den = den * f + 1                 ratio = num / den; den: the window's evidence
 *
 * Every sample weighs 1 when taken and loses weight e-fold per window length, so the ratio
 * is the recent success rate over about that window, and den (the decayed number of
 * samples, the seeder's "count") says how much evidence there is. A record is *reachable in
 * a window* when its last visit succeeded, that success is no older than the window, and the
 * window's ratio is at least HS_CRAWL_GOOD_PCT.
 *
 * Attacker model: records are signed by their nodes, so a visit tests an identity at an
 * address; an attacker can make its own records look reachable, never others' unreachable
 * (a visit that reaches another identity fails). The table holds at most addrbook_max
 * entries and forgets a record's statistics when the book forgets the record.
 *
 * The statistics are saved (HS_SAVE_CRAWL, the store's table 'c') after each visit and
 * loaded back at start (hs_node_load_crawl), so they survive restarts. Stored form:
 *
 *   version u8 = 1 || attempts u32 LE || successes u32 LE || last_try_s u64 LE ||
 *   last_success_s u64 LE || updated_s u64 LE || last_ok u8 (0 or 1) ||
 *   4 x (num f64 || den f64), IEEE 754 binary64 bit patterns, u64 LE
 *
 * (HS_CRAWL_STAT_LEN = 98 bytes). Times are the node's clock in seconds.
 */
#ifndef HEARSAY_CRAWL_H
#define HEARSAY_CRAWL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearsay/error.h"
#include "overlay/record.h"

enum hs_crawl_window {
	HS_CRAWL_2H = 0,
	HS_CRAWL_8H = 1,
	HS_CRAWL_1D = 2,
	HS_CRAWL_1W = 3,
	HS_CRAWL_WINDOWS = 4,
};

/* The length of each window, in seconds, and its name ("2h", "8h", "1d", "1w"). */
uint64_t hs_crawl_window_s(unsigned w);
const char *hs_crawl_window_name(unsigned w);

struct hs_crawl_stat {
	uint32_t attempts, successes;
	uint64_t last_try_ns, last_success_ns; /* 0: never */
	uint64_t updated_ns;                   /* the last sample's time */
	bool last_ok;                          /* the last visit succeeded */
	struct {
		double num, den;
	} win[HS_CRAWL_WINDOWS];
};

/* One visit's result at now (now never before the last sample's time; an earlier now is
 * taken as that time). */
void hs_crawl_stat_update(struct hs_crawl_stat *s, bool ok, uint64_t now);
/* The window's decayed success ratio, 0..1 (0 without samples). Decay scales num and den
 * alike, so the ratio needs no time; the evidence does. */
double hs_crawl_stat_ratio(const struct hs_crawl_stat *s, unsigned w);
/* The window's evidence at now: den decayed to now. */
double hs_crawl_stat_weight(const struct hs_crawl_stat *s, unsigned w, uint64_t now);
/* Reachable in window w at now (see the top). */
bool hs_crawl_stat_reachable(const struct hs_crawl_stat *s, unsigned w, uint64_t now);

#define HS_CRAWL_STAT_LEN 98
void hs_crawl_stat_encode(const struct hs_crawl_stat *s, uint8_t out[HS_CRAWL_STAT_LEN]);
/* HS_ERR_INVALID for anything but the stored form (another length or version, last_ok not 0
 * or 1, a ratio or weight that is not finite and non-negative, num above den). */
HS_MUST_USE int hs_crawl_stat_decode(struct hs_crawl_stat *s, const uint8_t *data, size_t datalen);

/* ---- the node's crawler (seed mode) ------------------------------------------------------- */

struct hs_node;

/* Counts over the whole table at now. */
struct hs_crawl_summary {
	size_t known;                       /* records in the address book */
	size_t crawled;                     /* of them, visited at least once */
	size_t reachable[HS_CRAWL_WINDOWS]; /* reachable in each window */
	uint64_t visits, visits_ok;         /* visits finished this run, and those that succeeded */
	uint64_t answers; /* getaddr answers given (seed mode: verified records) */
	uint64_t limited; /* getaddr requests refused by the rate limit */
	size_t inflight;  /* visits under way now */
};
void hs_node_crawl_summary(const struct hs_node *node, struct hs_crawl_summary *out, uint64_t now);

/* One record with its statistics. */
struct hs_crawl_row {
	struct hs_record rec;
	struct hs_crawl_stat stat;
};
/* Up to max rows for records with statistics, best first: reachable in 1 d before not, then
 * by 2 h ratio, 1 d ratio, successes, and id. Only rows whose 1 d ratio is at least min_ratio
 * and (when reachable_only) reachable in the 1 d window. Returns how many were written. */
size_t hs_node_crawl_rows(const struct hs_node *node, struct hs_crawl_row *out, size_t max,
                          double min_ratio, bool reachable_only, uint64_t now);

/* Restores a saved HS_SAVE_CRAWL value for id at start (only in seed mode; HS_ERR_STATE
 * otherwise). HS_ERR_INVALID for a value that does not decode, HS_ERR_FULL when the table
 * holds addrbook_max entries. */
HS_MUST_USE int hs_node_load_crawl(struct hs_node *node, const uint8_t id[HS_KEY_LEN],
                                   const uint8_t *val, size_t vallen);

#endif

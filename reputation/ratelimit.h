/*
 * reputation/: token-bucket rate limits with explicit time.
 *
 * A bucket holds up to burst tokens and refills at rate_per_s tokens per second of the
 * caller's clock (now, nanoseconds). Pure data: no clock is read, so tests and the simulator
 * drive it with any time they like. Time that goes backwards is treated as no time passing.
 */
#ifndef HEARSAY_RATELIMIT_H
#define HEARSAY_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct hs_ratelimit {
	uint64_t rate_per_s; /* tokens added per second */
	uint64_t burst;      /* bucket capacity */
	uint64_t nano;       /* current level, in nano-tokens (exact: no rounding) */
	uint64_t last_ns;    /* time of the last refill */
};

/* Starts full. rate_per_s and burst are clamped to 1e9. */
void hs_ratelimit_init(struct hs_ratelimit *rl, uint64_t rate_per_s, uint64_t burst, uint64_t now);
/* Takes cost tokens if available: true, else false and nothing is taken. */
bool hs_ratelimit_take(struct hs_ratelimit *rl, uint64_t cost, uint64_t now);
/* Tokens available now (whole tokens). */
uint64_t hs_ratelimit_available(struct hs_ratelimit *rl, uint64_t now);

#endif

/*
 * Token buckets with explicit time (see reputation/ratelimit.h).
 *
 * The level is kept in nano-tokens (1e-9 token): a bucket refilling at rate tokens/s gains
 * exactly rate * dt nano-tokens in dt nanoseconds, so no fraction is ever rounded away, however
 * often the bucket is checked.
 */
#include "reputation/ratelimit.h"

#define NANO      1000000000u
#define RATE_MAX  1000000000u /* tokens per second */
#define BURST_MAX 1000000000u /* tokens; BURST_MAX * NANO fits 64 bits */

static void refill(struct hs_ratelimit *rl, uint64_t now)
{
	if (now <= rl->last_ns)
		return;
	uint64_t cap = rl->burst * NANO;
	uint64_t dt = now - rl->last_ns;
	rl->last_ns = now;
	if (rl->rate_per_s == 0)
		return;
	/* Past this many nanoseconds any bucket is full; capping dt keeps rate * dt in range. */
	uint64_t dt_full = cap / rl->rate_per_s + 1;
	uint64_t add = (dt < dt_full ? dt : dt_full) * rl->rate_per_s;
	rl->nano = add >= cap - rl->nano ? cap : rl->nano + add;
}

void hs_ratelimit_init(struct hs_ratelimit *rl, uint64_t rate_per_s, uint64_t burst, uint64_t now)
{
	rl->rate_per_s = rate_per_s > RATE_MAX ? RATE_MAX : rate_per_s;
	rl->burst = burst > BURST_MAX ? BURST_MAX : burst;
	rl->last_ns = now;
	rl->nano = rl->burst * NANO;
}

bool hs_ratelimit_take(struct hs_ratelimit *rl, uint64_t cost, uint64_t now)
{
	refill(rl, now);
	if (cost > rl->burst || cost * NANO > rl->nano)
		return false;
	rl->nano -= cost * NANO;
	return true;
}

uint64_t hs_ratelimit_available(struct hs_ratelimit *rl, uint64_t now)
{
	refill(rl, now);
	return rl->nano / NANO;
}

/* Token buckets with explicit time (see hearsay/ratelimit.h). */
#include "hearsay/ratelimit.h"

#define MILLI    1000u
#define NS_PER_S 1000000000u
#define RATE_MAX 1000000000u
#define BURST_MAX 1000000000000u

static uint64_t cap_milli(const struct hs_ratelimit *rl)
{
	return rl->burst * MILLI;
}

static void refill(struct hs_ratelimit *rl, uint64_t now)
{
	if (now <= rl->last_ns)
		return;
	uint64_t dt = now - rl->last_ns;
	uint64_t cap = cap_milli(rl);
	/* rate * dt / 1e6 milli-tokens, computed without overflow: whole seconds first. */
	uint64_t secs = dt / NS_PER_S, rem = dt % NS_PER_S;
	uint64_t add;
	if (rl->rate_per_s != 0 && secs >= cap / (rl->rate_per_s * MILLI) + 1)
		add = cap;
	else
		add = secs * rl->rate_per_s * MILLI + rem * rl->rate_per_s / (NS_PER_S / MILLI);
	rl->milli = add >= cap - rl->milli ? cap : rl->milli + add;
	rl->last_ns = now;
}

void hs_ratelimit_init(struct hs_ratelimit *rl, uint64_t rate_per_s, uint64_t burst, uint64_t now)
{
	/* Clamped so the refill arithmetic cannot overflow. */
	rl->rate_per_s = rate_per_s > RATE_MAX ? RATE_MAX : rate_per_s;
	rl->burst = burst > BURST_MAX ? BURST_MAX : burst;
	rl->last_ns = now;
	rl->milli = cap_milli(rl);
}

bool hs_ratelimit_take(struct hs_ratelimit *rl, uint64_t cost, uint64_t now)
{
	refill(rl, now);
	if (cost > UINT64_MAX / MILLI || cost * MILLI > rl->milli)
		return false;
	rl->milli -= cost * MILLI;
	return true;
}

uint64_t hs_ratelimit_available(struct hs_ratelimit *rl, uint64_t now)
{
	refill(rl, now);
	return rl->milli / MILLI;
}

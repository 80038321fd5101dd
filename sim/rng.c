/*
 * The simulator's one PRNG: xoshiro256** (Blackman and Vigna), its state seeded from the run's
 * seed through splitmix64 as its authors recommend. Not cryptographic, and it need not be: it
 * stands in for every random source of a whole network, and its only duty is to make a run a
 * function of its seed.
 */
#include <string.h>

#include "sim_impl.h"

uint64_t sim_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (unsigned i = 0; i < 4; i++) {
		r->s[i] = sim_mix64(x);
		x += 0x9e3779b97f4a7c15ull;
	}
}

static uint64_t rotl(uint64_t x, unsigned k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	/* Reject the top partial block so every value is equally likely. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t v;
	do
		v = sim_rng_next(r);
	while (v >= limit);
	return v % n;
}

double sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

void sim_rng_bytes(struct sim_rng *r, uint8_t *out, size_t len)
{
	while (len > 0) {
		uint64_t v = sim_rng_next(r);
		size_t n = len < 8 ? len : 8;
		for (size_t i = 0; i < n; i++)
			out[i] = (uint8_t)(v >> (8 * i));
		out += n;
		len -= n;
	}
}

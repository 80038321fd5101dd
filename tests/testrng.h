/*
 * The one PRNG of tests, fuzz fixtures and benchmarks: splitmix64 (Vigna's reference), fixed
 * seeds, the same sequence on every machine. Not for anything secret. The simulator keeps its
 * own (sim/rng.c): it is part of the tool, not of a test.
 *
 *     struct test_rng r;
 *     test_rng_seed(&r, 42);
 *     uint64_t x = test_rng_next(&r);      // 64 random bits
 *     uint64_t k = test_rng_below(&r, 10); // uniform in [0, 10)
 *     test_rng_bytes(&r, buf, sizeof(buf));
 */
#ifndef HEARSAY_TESTS_TESTRNG_H
#define HEARSAY_TESTS_TESTRNG_H

#include <stddef.h>
#include <stdint.h>

struct test_rng {
	uint64_t s;
};

static inline void test_rng_seed(struct test_rng *r, uint64_t seed)
{
	r->s = seed;
}

static inline uint64_t test_rng_next(struct test_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) for n > 0 (rejection sampling: no modulo bias); 0 when n is 0. */
static inline uint64_t test_rng_below(struct test_rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = test_rng_next(r);
	while (x >= limit);
	return x % n;
}

static inline void test_rng_bytes(struct test_rng *r, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t x = test_rng_next(r);
		for (size_t k = 0; k < 8 && i + k < len; k++)
			out[i + k] = (uint8_t)(x >> (8 * k));
	}
}

#endif

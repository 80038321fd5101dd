/*
 * Memoized signature verification, shared by every simulated node.
 *
 * In a simulated network of N honest nodes the same signature is checked up to N times: every
 * node verifies every rumor and many nodes verify each node record. The first check of each
 * (public key, signature, digest) triple is a real hs_verify; its answer is kept in a bounded
 * 4-way set-associative cache keyed by a 128-bit BLAKE2b hash of the triple, so a later check
 * of the same triple costs one hash. The answer is the one hs_verify gave, so results never
 * change, only CPU time: a 128-bit key collision (the one way to return a wrong answer) has
 * probability about n^2 / 2^129 for n cached triples. Replacement within a set is
 * round-robin, which is deterministic; an evicted triple is simply verified again.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_impl.h"

int sim_vcache_init(struct sim_vcache *c, size_t entries)
{
	memset(c, 0, sizeof(*c));
	if (entries == 0)
		return 0;
	size_t sets = 1;
	while (sets * SIM_VCACHE_WAYS < entries)
		sets *= 2;
	size_t n = sets * SIM_VCACHE_WAYS;
	c->keys = calloc(n, sizeof(*c->keys));
	c->results = calloc(n, sizeof(*c->results));
	c->used = calloc(n, 1);
	c->next_way = calloc(sets, 1);
	if (!c->keys || !c->results || !c->used || !c->next_way) {
		sim_vcache_deinit(c);
		return HS_ERR_NOMEM;
	}
	c->sets = sets;
	return 0;
}

void sim_vcache_deinit(struct sim_vcache *c)
{
	free(c->keys);
	free(c->results);
	free(c->used);
	free(c->next_way);
	memset(c, 0, sizeof(*c));
}

int sim_vcache_verify(struct sim_vcache *c, const struct hs_crypto *crypto,
                      const uint8_t pub[HS_KEY_LEN], const uint8_t sig[HS_SIG_LEN],
                      const uint8_t digest[32])
{
	c->calls++;
	if (c->sets == 0) {
		c->real++;
		return hs_verify(crypto, pub, sig, digest);
	}
	uint8_t triple[HS_KEY_LEN + HS_SIG_LEN + 32], h[32];
	memcpy(triple, pub, HS_KEY_LEN);
	memcpy(triple + HS_KEY_LEN, sig, HS_SIG_LEN);
	memcpy(triple + HS_KEY_LEN + HS_SIG_LEN, digest, 32);
	hs_blake2b256(h, triple, sizeof(triple));
	uint64_t set = 0;
	memcpy(&set, h + 16, sizeof(set));
	size_t base = (size_t)(set & (c->sets - 1)) * SIM_VCACHE_WAYS;
	for (size_t w = 0; w < SIM_VCACHE_WAYS; w++)
		if (c->used[base + w] && memcmp(c->keys[base + w], h, 16) == 0)
			return c->results[base + w];
	c->real++;
	int r = hs_verify(crypto, pub, sig, digest);
	size_t slot = base + c->next_way[base / SIM_VCACHE_WAYS];
	c->next_way[base / SIM_VCACHE_WAYS] =
	        (uint8_t)((c->next_way[base / SIM_VCACHE_WAYS] + 1) % SIM_VCACHE_WAYS);
	memcpy(c->keys[slot], h, 16);
	c->results[slot] = (int8_t)r;
	c->used[slot] = 1;
	return r;
}

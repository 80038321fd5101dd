/*
 * The simulator's parts, each against a naive model or a known answer: the PRNG (fixed
 * output for a fixed seed, ranges), the event queue (a sorted list under random pushes and
 * pops, ties in push order), the memoized verifier (same answers as hs_verify, one real
 * check per triple), the network model's pure parts, and the config checks. The scenario
 * tests live in tests/sim/scenarios.c.
 */
#include <math.h>

#include "harness.h"
#include "sim/sim_impl.h"

static void test_rng_deterministic(void)
{
	struct sim_rng a, b, c;
	sim_rng_seed(&a, 42);
	sim_rng_seed(&b, 42);
	sim_rng_seed(&c, 43);
	int same = 1, differ = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = sim_rng_next(&a), y = sim_rng_next(&b), z = sim_rng_next(&c);
		same &= x == y;
		differ += x != z;
	}
	CHECK(same);
	CHECK(differ > 990);
	/* splitmix64's published first output for seed 0 (Vigna's reference code). */
	CHECK(sim_mix64(0) == 0xe220a8397b1dcdafull);
}

static void test_rng_ranges(void)
{
	struct sim_rng r;
	sim_rng_seed(&r, 7);
	unsigned counts[10] = { 0 };
	int in_range = 1;
	for (int i = 0; i < 100000; i++) {
		uint64_t v = sim_rng_below(&r, 10);
		in_range &= v < 10;
		counts[v < 10 ? v : 0]++;
		double u = sim_rng_unit(&r);
		in_range &= u >= 0 && u < 1;
	}
	CHECK(in_range);
	for (int k = 0; k < 10; k++)
		CHECK(counts[k] > 9400 && counts[k] < 10600); /* ~6 sigma around 10000 */
	CHECK_EQ(sim_rng_below(&r, 1), 0);
	uint8_t buf[13] = { 0 }, zero[13] = { 0 };
	sim_rng_bytes(&r, buf, sizeof(buf));
	CHECK(memcmp(buf, zero, sizeof(buf)) != 0);
}

/* The heap against a naive model: an unsorted array scanned for the (time, seq) minimum. */
static void test_evq_model(void)
{
	struct sim_evq q = { 0 };
	struct sim_rng r;
	sim_rng_seed(&r, 3);
	uint64_t model_at[4096], model_seq[4096];
	size_t n = 0;
	uint64_t seq = 0;
	int ok = 1;
	for (int step = 0; step < 20000; step++) {
		if (n < 4096 && (n == 0 || sim_rng_below(&r, 3) > 0)) {
			uint64_t at = sim_rng_below(&r, 50); /* many ties */
			ok &= sim_evq_push(&q, at, 1, (uint32_t)seq, 0, NULL) == 0;
			model_at[n] = at;
			model_seq[n++] = seq++;
		} else {
			size_t best = 0;
			for (size_t i = 1; i < n; i++)
				if (model_at[i] < model_at[best] ||
				    (model_at[i] == model_at[best] &&
				     model_seq[i] < model_seq[best]))
					best = i;
			struct sim_event ev;
			ok &= sim_evq_pop(&q, &ev);
			ok &= ev.at_ns == model_at[best] && ev.a == model_seq[best];
			model_at[best] = model_at[--n];
			model_seq[best] = model_seq[n];
		}
	}
	CHECK(ok);
	CHECK_EQ(q.count, n);
	struct sim_event ev;
	while (n > 0 && sim_evq_pop(&q, &ev))
		n--;
	CHECK_EQ(n, 0);
	CHECK(!sim_evq_pop(&q, &ev));
	/* Queued pointers are freed with the queue (ASan would report a leak otherwise). */
	CHECK_EQ(sim_evq_push(&q, 5, 1, 0, 0, malloc(16)), 0);
	sim_evq_free(&q);
}

static void test_vcache(void)
{
	uint8_t seed[32] = { 1 }, sk[32] = { 2 }, aux[32] = { 0 };
	struct hs_crypto *cr;
	struct hs_identity *id;
	REQUIRE(hs_crypto_new(&cr, seed) == 0);
	REQUIRE(hs_identity_new(&id, cr, sk) == 0);
	struct sim_vcache c;
	REQUIRE(sim_vcache_init(&c, 64) == 0);
	uint8_t digest[32], sig[64];
	int ok = 1;
	for (int i = 0; i < 200; i++) {
		memset(digest, 0, sizeof(digest));
		digest[0] = (uint8_t)(i % 100); /* each digest twice: 100 distinct triples */
		REQUIRE(hs_identity_sign(cr, id, sig, digest, aux) == 0);
		if (i % 7 == 0)
			sig[5] ^= 1; /* some bad signatures: their answer is memoized too */
		int want = hs_verify(cr, hs_identity_pubkey(id), sig, digest);
		ok &= sim_vcache_verify(&c, cr, hs_identity_pubkey(id), sig, digest) == want;
		ok &= sim_vcache_verify(&c, cr, hs_identity_pubkey(id), sig, digest) == want;
	}
	CHECK(ok);
	CHECK_EQ(c.calls, 400);
	CHECK(c.real < 400 && c.real >= 100);
	sim_vcache_deinit(&c);
	/* Without a cache every check is real. */
	REQUIRE(sim_vcache_init(&c, 0) == 0);
	CHECK_EQ(sim_vcache_verify(&c, cr, hs_identity_pubkey(id), sig, digest),
	         hs_verify(cr, hs_identity_pubkey(id), sig, digest));
	CHECK_EQ(c.real, 1);
	sim_vcache_deinit(&c);
	hs_identity_del(id);
	hs_crypto_del(cr);
}

static void test_config_checks(void)
{
	struct hs_sim_config c;
	hs_sim_config_default(&c, 1000);
	CHECK(hs_sim_config_check(&c) == NULL);
	CHECK_EQ(c.groups, 500);
	CHECK_EQ(c.join_window_ns, 2 * HS_NS_PER_S);
	CHECK_EQ(c.addrbook_max, 256);
	struct hs_sim_config bad = c;
	bad.nodes = 0;
	CHECK(hs_sim_config_check(&bad) != NULL);
	bad = c;
	bad.loss = 0.95;
	CHECK(hs_sim_config_check(&bad) != NULL);
	bad = c;
	bad.latency_max_ns = bad.latency_min_ns - 1;
	CHECK(hs_sim_config_check(&bad) != NULL);
	bad = c;
	bad.partition = true;
	bad.partition_fraction = 0.5;
	bad.partition_start_ns = 10;
	bad.partition_end_ns = 5;
	CHECK(hs_sim_config_check(&bad) != NULL);
	bad = c;
	bad.outbound = bad.peers_max + 1;
	CHECK(hs_sim_config_check(&bad) != NULL);
	bad = c;
	bad.seeds = 65;
	CHECK(hs_sim_config_check(&bad) != NULL);
	bad = c;
	bad.payload_len = 60001;
	CHECK(hs_sim_config_check(&bad) != NULL);
	bad = c;
	bad.groups = 1001;
	CHECK(hs_sim_config_check(&bad) != NULL);
	struct hs_sim_config long_join = c;
	long_join.join_window_ns = 3601 * HS_NS_PER_S; /* would overflow join times at 10^6 nodes */
	CHECK(hs_sim_config_check(&long_join) != NULL);
	struct hs_sim *sim = NULL;
	CHECK_EQ(hs_sim_new(&sim, &bad), HS_ERR_INVALID);
}

/* Addresses: distinct, round-robin over the groups, found again by lookup once joined. */
static void test_addresses_and_latency(void)
{
	struct hs_sim_config c;
	hs_sim_config_default(&c, 600);
	c.groups = 256;
	struct hs_sim *sim;
	REQUIRE(hs_sim_new(&sim, &c) == 0);
	int distinct = 1, lookups = 1, symmetric = 1, in_range = 1;
	for (uint32_t i = 0; i < 600; i++) {
		struct hs_netaddr a = sim_node_addr(sim, i);
		if (i > 0) {
			struct hs_netaddr p = sim_node_addr(sim, i - 1);
			distinct &= !hs_netaddr_equal(&a, &p) && !hs_netaddr_same_group(&a, &p);
		}
		struct hs_netaddr g = sim_node_addr(sim, (i + 256) % 600);
		if (i + 256 < 600)
			distinct &= hs_netaddr_same_group(&a, &g) && !hs_netaddr_equal(&a, &g);
		lookups &= sim_lookup_addr(sim, &a) == SIM_NONE; /* nobody has joined yet */
		sim->nodes[i].joined = true;
		lookups &= sim_lookup_addr(sim, &a) == i;
		sim->nodes[i].joined = false;
		uint32_t j = (i * 7 + 3) % 600;
		uint64_t l = sim_pair_latency(sim, i, j);
		symmetric &= l == sim_pair_latency(sim, j, i);
		in_range &= l >= c.latency_min_ns && l <= c.latency_max_ns;
	}
	CHECK(distinct);
	CHECK(lookups);
	CHECK(symmetric);
	CHECK(in_range);
	struct hs_netaddr other = hs_netaddr_ipv4(9, 9, 9, 9, 7000);
	CHECK(sim_lookup_addr(sim, &other) == SIM_NONE);
	hs_sim_del(sim);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_rng_deterministic);
	RUN(test_rng_ranges);
	RUN(test_evq_model);
	RUN(test_vcache);
	RUN(test_config_checks);
	RUN(test_addresses_and_latency);
	return hs_test_done();
}

/*
 * Simulation tests: small networks of real cores under hearsay-sim, fixed seeds, the core's
 * invariants checked after every input (cfg.check). Each scenario is one ctest
 * (`sim_scenarios NAME`); a failing run prints the command line that reproduces it.
 *
 * What every run must show: every rumor reaches every node (delivery ratio 1, residue 0), no
 * node delivers a rumor twice, honest nodes commit no fault, every node was reachable in the
 * session graph at each publish, and no delivery beats its flood lower bound (which would
 * mean the simulator's clock or links are wrong).
 */
#include <math.h>

#include "harness.h"
#include "sim.h"

static void reproduce(const struct hs_sim_config *c, const char *extra)
{
	fprintf(stderr,
	        "reproduce: hearsay-sim --nodes %zu --rumors %zu --seed %llu --loss %g "
	        "--eager-push %zu --check %s\n",
	        c->nodes, c->rumors, (unsigned long long)c->seed, c->loss, c->eager_push, extra);
}

static struct hs_sim *run(const struct hs_sim_config *c, struct hs_sim_report *rep)
{
	struct hs_sim *sim;
	REQUIRE(hs_sim_new(&sim, c) == 0);
	REQUIRE(hs_sim_run(sim) == 0);
	hs_sim_get_report(sim, rep);
	return sim;
}

/* The assertions every scenario shares; false (and the seed printed) on any failure. */
static void check_full(const struct hs_sim *sim, const struct hs_sim_report *r, const char *extra)
{
	const struct hs_sim_config *c = hs_sim_config_of(sim);
	int before = hs_test_failed_checks;
	CHECK(r->delivery_ratio == 1.0);
	CHECK(r->residue == 0.0);
	CHECK_EQ(r->double_deliveries, 0);
	/* Honest nodes commit no fault, a stall included: the burst of held pulls and syncs a
	 * healed link hands over is ignored, not punished. */
	CHECK_EQ(r->faults, 0);
	CHECK_EQ(r->flood_unreachable, 0);
	CHECK_EQ(r->flood_violations, 0);
	/* hs_node_check ran (after every input to a node; a long idle run pops many timer
	 * events that feed no node, so there is no fixed ratio to events). */
	CHECK(r->check_calls >= c->nodes);
	CHECK_EQ(r->isolated, 0);
	CHECK(r->payload_copies_per_node >= (double)(c->nodes - 1) / (double)c->nodes - 1e-9);
	/* Pair by pair: the origin at 0, everyone else no earlier than the flood bound. */
	size_t early = 0, origin_late = 0;
	for (size_t k = 0; k < c->rumors; k++) {
		size_t o = hs_sim_origin(sim, k);
		origin_late += hs_sim_delivery_ns(sim, k, o) != 0;
		for (size_t i = 0; i < c->nodes; i++)
			early += hs_sim_delivery_ns(sim, k, i) < hs_sim_flood_ns(sim, k, i);
	}
	CHECK_EQ(early, 0);
	CHECK_EQ(origin_late, 0);
	CHECK(r->latency_ms.p50 >= r->flood_bound_ms.p50);
	CHECK(r->latency_ms.p99 >= r->flood_bound_ms.p99);
	if (hs_test_failed_checks != before)
		reproduce(c, extra);
}

static void base_config(struct hs_sim_config *c, size_t nodes, uint64_t seed)
{
	hs_sim_config_default(c, nodes);
	c->rumors = 10;
	c->seed = seed;
	c->check = true;
	c->warmup_ns = 15 * HS_NS_PER_S;
}

static void test_deliver(void)
{
	struct hs_sim_config c;
	base_config(&c, 120, 11);
	struct hs_sim_report r;
	struct hs_sim *sim = run(&c, &r);
	check_full(sim, &r, "--warmup-s 15");
	CHECK(r.sessions_mean >= (double)c.outbound); /* every node filled its outbound slots */
	CHECK(r.push_fraction > 0.3);                 /* eager push carries a good share */
	hs_sim_del(sim);
}

static void test_loss(void)
{
	struct hs_sim_config c;
	base_config(&c, 120, 12);
	c.loss = 0.05;
	struct hs_sim_report r, r0;
	struct hs_sim *sim = run(&c, &r);
	check_full(sim, &r, "--warmup-s 15");
	hs_sim_del(sim);
	/* The same network without loss is faster: retransmissions cost time, never data. */
	c.loss = 0;
	sim = run(&c, &r0);
	check_full(sim, &r0, "--warmup-s 15");
	CHECK(r.latency_ms.max > r0.latency_ms.max);
	hs_sim_del(sim);
}

/* 40% of nodes are cut off from 2 s before the first publish until 12 s after it: the
 * rumors published meanwhile reach the far side only once the partition heals. */
static void test_partition_heals(void)
{
	struct hs_sim_config c;
	base_config(&c, 100, 13);
	c.partition = true;
	c.partition_start_ns = -2 * (int64_t)HS_NS_PER_S;
	c.partition_end_ns = 12 * (int64_t)HS_NS_PER_S;
	c.partition_fraction = 0.4;
	struct hs_sim_report r;
	struct hs_sim *sim = run(&c, &r);
	check_full(sim, &r, "--warmup-s 15 --partition -2:12:0.4");
	CHECK(r.latency_ms.max >= 11000.0); /* the far side waited for the heal */
	hs_sim_del(sim);
}

/* Half the nodes are cut off for two minutes, longer than the idle timeout: every session
 * across the cut times out and each half refills its outbound slots from its own side. The
 * halves find each other again through feelers (short visits to random known nodes, with a
 * catch-up pull and sync), which carry the rumors across. */
static void test_long_partition_heals(void)
{
	struct hs_sim_config c;
	base_config(&c, 80, 14);
	c.rumors = 5;
	c.partition = true;
	c.partition_start_ns = -1 * (int64_t)HS_NS_PER_S;
	c.partition_end_ns = 120 * (int64_t)HS_NS_PER_S;
	c.partition_fraction = 0.5;
	c.tail_ns = 240 * HS_NS_PER_S;
	struct hs_sim_report r;
	struct hs_sim *sim = run(&c, &r);
	check_full(sim, &r, "--warmup-s 15 --partition -1:120:0.5 --tail-s 240");
	CHECK(r.latency_ms.max >= 120000.0); /* the far side waited for the heal */
	hs_sim_del(sim);
}

/* The dissemination knobs at their extremes still deliver everything: pure inventory
 * (no eager push), eager push to everyone, a lazy request delay; other latency models. */
static void test_knobs(void)
{
	static const struct {
		size_t eager;
		uint64_t lazy_ms;
		enum hs_sim_latency_dist dist;
		const char *extra;
	} cases[] = {
		{ 0, 0, HS_SIM_LAT_UNIFORM, "--warmup-s 15" },
		{ 8, 0, HS_SIM_LAT_EXP, "--warmup-s 15 --latency-dist exp" },
		{ 2, 300, HS_SIM_LAT_GEO, "--warmup-s 15 --latency-dist geo --lazy-delay-ms 300" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hs_sim_config c;
		base_config(&c, 60, 20 + i);
		c.eager_push = cases[i].eager;
		c.lazy_delay_ns = cases[i].lazy_ms * HS_NS_PER_MS;
		c.latency_dist = cases[i].dist;
		struct hs_sim_report r;
		struct hs_sim *sim = run(&c, &r);
		check_full(sim, &r, cases[i].extra);
		if (cases[i].eager == 0)
			CHECK(r.push_fraction <
			      0.05); /* only the rare lucky timing looks like one */
		hs_sim_del(sim);
	}
}

/* Half the honest nodes on IPv6 addresses (/32 groups), half on IPv4 (/16 groups): the two
 * families mix in one overlay and every rumor still reaches every node. */
static void test_ipv6(void)
{
	struct hs_sim_config c;
	base_config(&c, 120, 15);
	c.ipv6_fraction = 0.5;
	struct hs_sim_report r;
	struct hs_sim *sim = run(&c, &r);
	check_full(sim, &r, "--warmup-s 15 --ipv6-fraction 0.5");
	CHECK(r.sessions_mean >= (double)c.outbound);
	hs_sim_del(sim);
}

/* Same seed, same run: every delivery time and every metric but the wall clock. */
static void test_determinism(void)
{
	struct hs_sim_config c;
	base_config(&c, 50, 31);
	c.rumors = 5;
	c.loss = 0.02;
	struct hs_sim_report a, b;
	struct hs_sim *x = run(&c, &a), *y = run(&c, &b);
	a.wall_s = b.wall_s = 0;
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	size_t same = 0;
	for (size_t k = 0; k < c.rumors; k++)
		for (size_t i = 0; i < c.nodes; i++)
			same += hs_sim_delivery_ns(x, k, i) == hs_sim_delivery_ns(y, k, i);
	CHECK_EQ(same, c.rumors * c.nodes);
	hs_sim_del(y);
	/* Another seed: another network, other times. */
	c.seed = 32;
	y = run(&c, &b);
	size_t differ = 0;
	for (size_t k = 0; k < c.rumors; k++)
		for (size_t i = 0; i < c.nodes; i++)
			differ += hs_sim_delivery_ns(x, k, i) != hs_sim_delivery_ns(y, k, i);
	CHECK(differ > c.nodes);
	hs_sim_del(x);
	hs_sim_del(y);
}

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "deliver", test_deliver },
	{ "ipv6", test_ipv6 },
	{ "loss", test_loss },
	{ "partition", test_partition_heals },
	{ "knobs", test_knobs },
	{ "long_partition", test_long_partition_heals },
	{ "determinism", test_determinism },
};

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	size_t n = sizeof(scenarios) / sizeof(scenarios[0]);
	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], scenarios[i].name) != 0)
			continue;
		hs_test_count++;
		unsigned long c0 = hs_test_checks;
		int f0 = hs_test_failed_checks;
		scenarios[i].fn();
		if (hs_test_checks == c0 || hs_test_failed_checks != f0) {
			fprintf(stderr, "FAIL %s\n", scenarios[i].name);
			hs_test_failed_tests++;
		} else {
			printf("ok   %s (%lu checks)\n", scenarios[i].name, hs_test_checks - c0);
		}
	}
	if (hs_test_count == 0) {
		fprintf(stderr, "sim_scenarios: unknown scenario %s\n", argc > 1 ? argv[1] : "");
		return 2;
	}
	return hs_test_done();
}

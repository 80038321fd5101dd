/*
 * Model tests: a data structure checked against a deliberately naive model under random
 * operations. What every such test shares: the seed and operation a failed expectation names
 * (EXPECT returns false from the run), and the loop over fixed seeds (HS_TEST_SEED=N replays
 * one). Define MODEL_NAME ("seen", ...) before including.
 *
 *     static bool run(uint64_t seed, int ops) { g_seed = seed; ... EXPECT(x == y); ... }
 *     static void test_model(void) { model_seeds(run, 0x7365656e00000000u, 24, 3000); }
 */
#ifndef HEARSAY_TESTS_MODEL_H
#define HEARSAY_TESTS_MODEL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

static uint64_t g_seed; /* the run's seed */
static int g_op;        /* the operation under way (-1: setting up; ops: the final checks) */

#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr,                                                            \
			        "%s:%d: " MODEL_NAME " model: seed %" PRIu64 " op %d: %s\n",       \
			        __FILE__, __LINE__, g_seed, g_op, #cond);                          \
			return false;                                                              \
		}                                                                                  \
	} while (0)

/* Runs run(seed, ops) for seeds base .. base + count - 1, one CHECK each, stopping after three
 * failures; with HS_TEST_SEED set, that seed alone. */
static void model_seeds(bool (*run)(uint64_t seed, int ops), uint64_t base, unsigned count, int ops)
{
	const char *env = getenv("HS_TEST_SEED");
	if (env) {
		CHECK(run(strtoull(env, NULL, 0), ops));
		return;
	}
	unsigned failures = 0;
	for (uint64_t s = 0; s < count && failures < 3; s++) {
		bool ok = run(base + s, ops);
		CHECK(ok);
		failures += !ok;
	}
}

#endif

/*
 * node/recent.c's pure part: the ring of recent rumors against a naive model (every rumor ever
 * added, in order) under random adds past several wraps, and the cursor text: round trips and
 * the malformed forms listrumors must refuse.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "node/daemon_impl.h"
#include "testrng.h"

#define ADDS (3 * HS_RECENT_RUMORS_MAX + 17)

static const char *const topics[] = { "a", "news", "x-1234567890123456789012345678901234567890" };

struct model_entry {
	uint8_t id[HS_ID_LEN];
	size_t topic;
};

static void check_model(const struct hs_recent *r, const struct model_entry *m, uint64_t n,
                        struct test_rng *rng)
{
	uint64_t oldest = n > HS_RECENT_RUMORS_MAX ? n - HS_RECENT_RUMORS_MAX + 1 : 1;
	CHECK_EQ(hs_recent_last(r), n);
	CHECK_EQ(hs_recent_oldest(r), oldest);
	CHECK_EQ(hs_recent_evicted(r), oldest - 1);
	uint8_t id[HS_ID_LEN];
	const uint8_t *t;
	size_t tl;
	CHECK(!hs_recent_get(r, 0, id, &t, &tl));
	CHECK(!hs_recent_get(r, n + 1, id, &t, &tl));
	if (oldest > 1)
		CHECK(!hs_recent_get(r, oldest - 1, id, &t, &tl));
	for (int i = 0; i < 8 && n; i++) {
		uint64_t s = oldest + test_rng_below(rng, n - oldest + 1);
		REQUIRE(hs_recent_get(r, s, id, &t, &tl));
		CHECK_MEM(id, m[s - 1].id, HS_ID_LEN);
		const char *want = topics[m[s - 1].topic];
		CHECK(tl == strlen(want) && memcmp(t, want, tl) == 0);
	}
}

static void test_ring_model(void)
{
	struct test_rng rng;
	test_rng_seed(&rng, 7);
	struct hs_recent *r = hs_recent_new(42);
	struct model_entry *m = malloc(ADDS * sizeof(*m));
	REQUIRE(r && m);
	CHECK_EQ(hs_recent_run(r), 42);
	check_model(r, m, 0, &rng);
	for (uint64_t n = 1; n <= ADDS; n++) {
		test_rng_bytes(&rng, m[n - 1].id, HS_ID_LEN);
		m[n - 1].topic = (size_t)test_rng_below(&rng, 3);
		const char *t = topics[m[n - 1].topic];
		hs_recent_add(r, m[n - 1].id, (const uint8_t *)t, strlen(t));
		if (n < 4 || test_rng_below(&rng, 64) == 0 || n % HS_RECENT_RUMORS_MAX < 2)
			check_model(r, m, n, &rng);
	}
	check_model(r, m, ADDS, &rng);
	free(m);
	hs_recent_del(r);
}

static void test_cursor_text(void)
{
	static const uint64_t runs[] = { 0, 1, 0x9f3a1c0d2b4e5f60ull, UINT64_MAX };
	static const uint64_t seqs[] = { 0, 1, 4096, 1000000007ull, UINT64_MAX / 10, UINT64_MAX };
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		for (size_t j = 0; j < sizeof(seqs) / sizeof(seqs[0]); j++) {
			char c[HS_RECENT_CURSOR_LEN];
			uint64_t run = 7, seq = 7;
			hs_recent_cursor_format(c, runs[i], seqs[j]);
			CHECK(hs_recent_cursor_parse(c, &run, &seq));
			CHECK_EQ(run, runs[i]);
			CHECK_EQ(seq, seqs[j]);
		}
	static const char *const bad[] = {
		"",
		"-",
		"9f3a1c0d2b4e5f60",
		"9f3a1c0d2b4e5f60-",
		"9f3a1c0d2b4e5f6-1",
		"9f3a1c0d2b4e5f600-1",
		"9F3A1C0D2B4E5F60-1",
		"9f3a1c0d2b4e5f6g-1",
		"9f3a1c0d2b4e5f60--1",
		"9f3a1c0d2b4e5f60-+1",
		"9f3a1c0d2b4e5f60-1 ",
		" 9f3a1c0d2b4e5f60-1",
		"9f3a1c0d2b4e5f60-1x",
		"9f3a1c0d2b4e5f60_1",
		"9f3a1c0d2b4e5f60-18446744073709551616",
		"9f3a1c0d2b4e5f60-99999999999999999999",
		"9f3a1c0d2b4e5f60-123456789012345678901",
		"9f3a1c0d2b4e5f60-1234567890123456789012345678901234567890",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t run = 7, seq = 7;
		CHECK(!hs_recent_cursor_parse(bad[i], &run, &seq));
		CHECK(run == 7 && seq == 7);
	}
}

int main(void)
{
	RUN(test_ring_model);
	RUN(test_cursor_text);
	return hs_test_done();
}

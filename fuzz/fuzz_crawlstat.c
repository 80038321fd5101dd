/*
 * libFuzzer target: a seed's stored crawl statistics (overlay/crawl.h, the store's table 'c').
 * A decoded value must be canonical (re-encoding gives the input bytes), and what the seed
 * computes from it must stay in range: ratios in 0..1, weights finite and non-negative, and an
 * update on top of it keeps both true.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/crawl.h"
#include "overlay/node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ranges(const struct hs_crawl_stat *s, uint64_t now)
{
	for (unsigned w = 0; w < HS_CRAWL_WINDOWS; w++) {
		double r = hs_crawl_stat_ratio(s, w), g = hs_crawl_stat_weight(s, w, now);
		if (!(r >= 0.0 && r <= 1.0) || !isfinite(g) || g < 0.0)
			abort();
		(void)hs_crawl_stat_reachable(s, w, now);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_crawl_stat s;
	if (hs_crawl_stat_decode(&s, data, size) != 0)
		return 0;
	uint8_t out[HS_CRAWL_STAT_LEN];
	hs_crawl_stat_encode(&s, out);
	if (size != HS_CRAWL_STAT_LEN || memcmp(out, data, size) != 0)
		abort();
	uint64_t now = s.updated_ns + 3600 * HS_NS_PER_S;
	check_ranges(&s, now);
	hs_crawl_stat_update(&s, (data[1] & 1) != 0, now);
	check_ranges(&s, now);
	return 0;
}

/*
 * libFuzzer target: the stored forms of bans and scores (read back from the store at start,
 * where a damaged disk may put anything). A ban that decodes re-encodes to the same bytes;
 * a score entry that loads leaves a usable, bounded table whose values are finite.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reputation/banlist.h"
#include "reputation/score.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	if (data[0] & 1) {
		struct hs_ban b;
		if (hs_ban_decode(&b, p, n) == 0) {
			uint8_t again[HS_BAN_ENCODED_LEN];
			hs_ban_encode(&b, again);
			if (n != sizeof(again) || memcmp(again, p, n) != 0)
				abort();
		}
		return 0;
	}
	static const uint8_t secret[16] = { 7 };
	struct hs_scores s;
	hs_scores_init(&s, secret, 2, NULL);
	if (hs_scores_load(&s, p, n) == 0) {
		if (s.count != 1 || !isfinite(hs_scores_value(&s, p, 1000)))
			abort();
		double v;
		/* The loaded entry takes new events like any other. */
		if (hs_scores_add(&s, p, HS_SCORE_FLOOD, 2000, &v) != 0 || !isfinite(v))
			abort();
		const struct hs_score_entry *e = hs_scores_find(&s, p);
		if (!e || e->nlast > HS_SCORE_EVENTS || e->head >= HS_SCORE_EVENTS)
			abort();
	}
	hs_scores_deinit(&s);
	return 0;
}

/*
 * libFuzzer target: the LevelDB log scanner of -repairstore (store/salvage.c), over arbitrary
 * log bytes. Whatever it keeps must be a whole write batch: at least the 12-byte header, and
 * counted among the records whose checksum held.
 */
#include <stdint.h>
#include <stdlib.h>

#include "salvage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_salvage s;
	if (hs_salvage_scan_bytes(&s, data, size) != 0) {
		hs_salvage_free(&s);
		return 0;
	}
	if (s.n > s.records)
		abort();
	for (size_t i = 0; i < s.n; i++)
		if (s.batches[i].replen < 12 || !s.batches[i].rep)
			abort();
	hs_salvage_free(&s);
	return 0;
}

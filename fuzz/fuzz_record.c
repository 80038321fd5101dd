/*
 * libFuzzer target: node records. A decoded record must be canonical: re-encoding gives the
 * input bytes (one encoding per value) and decoding those gives an equal record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool record_equal(const struct hs_record *a, const struct hs_record *b)
{
	if (memcmp(a->id, b->id, sizeof(a->id)) || a->seq != b->seq ||
	    a->generation != b->generation || a->time_s != b->time_s ||
	    a->services != b->services || a->naddrs != b->naddrs ||
	    memcmp(a->sig, b->sig, sizeof(a->sig)))
		return false;
	for (size_t i = 0; i < a->naddrs; i++)
		if (!hs_netaddr_equal(&a->addrs[i], &b->addrs[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_record rec, again;
	if (hs_record_decode(&rec, data, size) != 0)
		return 0;
	uint8_t out[HS_RECORD_MAX];
	size_t len = 0;
	if (size > HS_RECORD_MAX || rec.naddrs > HS_RECORD_ADDRS_MAX)
		abort();
	if (hs_record_encode(&rec, out, sizeof(out), &len) != 0 || len != size ||
	    len != hs_record_encoded_len(&rec) || memcmp(out, data, size) != 0)
		abort();
	if (hs_record_decode(&again, out, len) != 0 || !record_equal(&rec, &again))
		abort();
	return 0;
}

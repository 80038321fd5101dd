/*
 * libFuzzer target: rumors. A decoded rumor must be canonical: re-encoding gives the input
 * bytes and decoding those gives an equal rumor; borrowed fields lie inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/rumor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[HS_RUMOR_PAYLOAD_MAX + 256];

static bool inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t size)
{
	return p >= buf && n <= size && (size_t)(p - buf) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_rumor rm, again;
	if (hs_rumor_decode(&rm, data, size) != 0)
		return 0;
	if (!inside(rm.topic, rm.topic_len, data, size) ||
	    !inside(rm.payload, rm.payload_len, data, size) || rm.topic_len == 0 ||
	    rm.topic_len > HS_TOPIC_MAX || rm.payload_len > HS_RUMOR_PAYLOAD_MAX)
		abort();
	size_t len = 0;
	if (hs_rumor_encode(&rm, out, sizeof(out), &len) != 0 || len != size ||
	    len != hs_rumor_encoded_len(&rm) || memcmp(out, data, size) != 0)
		abort();
	if (hs_rumor_decode(&again, out, len) != 0 ||
	    memcmp(again.origin, rm.origin, sizeof(rm.origin)) != 0 ||
	    again.topic_len != rm.topic_len || memcmp(again.topic, rm.topic, rm.topic_len) != 0 ||
	    again.time_ms != rm.time_ms || again.payload_len != rm.payload_len ||
	    memcmp(again.payload, rm.payload, rm.payload_len) != 0 ||
	    memcmp(again.sig, rm.sig, sizeof(rm.sig)) != 0)
		abort();
	return 0;
}

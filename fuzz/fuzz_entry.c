/*
 * libFuzzer target: state entries. A decoded entry must be canonical: re-encoding gives the
 * input bytes and decoding those gives an equal entry; a tombstone carries no value. The value of
 * any entry (and the raw input) also goes through the heartbeat value decoder (§5.5): accepted
 * exactly when 12 bytes with a non-zero interval, and re-encoding gives the same bytes; and
 * through the suspects list decoder: a list it accepts re-encodes to the same bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[HS_STATE_VALUE_MAX + 256];

static bool bytes_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void heartbeat_value(const uint8_t *v, size_t len)
{
	uint64_t t;
	uint32_t iv;
	int err = hs_heartbeat_decode(v, len, &t, &iv);
	bool want = len == HS_HEARTBEAT_VALUE_LEN && (v[8] | v[9] | v[10] | v[11]) != 0;
	if ((err == 0) != want)
		abort();
	if (err == 0) {
		uint8_t again[HS_HEARTBEAT_VALUE_LEN];
		hs_heartbeat_value(again, t, iv);
		if (memcmp(again, v, sizeof(again)) != 0)
			abort();
	}
}

static void suspects_value(const uint8_t *v, size_t len)
{
	struct hs_suspect list[HS_SUSPECTS_MAX];
	size_t n = 0;
	if (hs_suspects_decode(v, len, list, &n) != 0)
		return;
	uint8_t again[HS_SUSPECTS_VALUE_MAX];
	if (n > HS_SUSPECTS_MAX || hs_suspects_encode(list, n, again) != len ||
	    memcmp(again, v, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_entry e, again;
	heartbeat_value(data, size);
	suspects_value(data, size);
	if (hs_entry_decode(&e, data, size) != 0)
		return 0;
	if (e.kind == HS_ENTRY_VALUE) {
		heartbeat_value(e.value, e.value_len);
		suspects_value(e.value, e.value_len);
	}
	if (e.kind > HS_ENTRY_TOMBSTONE || e.key_len == 0 || e.key_len > HS_STATE_KEY_MAX ||
	    e.value_len > HS_STATE_VALUE_MAX ||
	    (e.kind == HS_ENTRY_TOMBSTONE && (e.value != NULL || e.value_len != 0)) ||
	    (e.kind == HS_ENTRY_VALUE && e.value == NULL))
		abort();
	size_t len = 0;
	if (hs_entry_encode(&e, out, sizeof(out), &len) != 0 || len != size ||
	    len != hs_entry_encoded_len(&e) || memcmp(out, data, size) != 0)
		abort();
	if (hs_entry_decode(&again, out, len) != 0 ||
	    memcmp(again.origin, e.origin, sizeof(e.origin)) != 0 ||
	    !bytes_equal(again.key, again.key_len, e.key, e.key_len) ||
	    again.generation != e.generation || again.version != e.version ||
	    again.kind != e.kind ||
	    !bytes_equal(again.value, again.value_len, e.value, e.value_len) ||
	    memcmp(again.sig, e.sig, sizeof(e.sig)) != 0)
		abort();
	return 0;
}

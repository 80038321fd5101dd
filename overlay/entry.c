/* State entries: canonical encoding (see overlay/entry.h). */
#include <string.h>

#include "crypto/crypto.h"
#include "overlay/entry.h"

void hs_entry_read(struct hs_reader *r, struct hs_entry *e)
{
	memset(e, 0, sizeof(*e));
	const uint8_t *origin = hs_read_fixed(r, HS_KEY_LEN);
	if (origin)
		memcpy(e->origin, origin, HS_KEY_LEN);
	e->key = hs_read_name(r, &e->key_len, HS_STATE_KEY_MAX);
	e->generation = hs_read_u64(r);
	e->version = hs_read_u64(r);
	e->kind = hs_read_u8(r);
	if (e->kind == HS_ENTRY_VALUE)
		e->value = hs_read_bytes(r, &e->value_len, HS_STATE_VALUE_MAX);
	else if (e->kind != HS_ENTRY_TOMBSTONE)
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
	const uint8_t *sig = hs_read_fixed(r, HS_SIG_LEN);
	if (sig)
		memcpy(e->sig, sig, HS_SIG_LEN);
	if (r->err)
		memset(e, 0, sizeof(*e));
}

static bool entry_is_valid(const struct hs_entry *e)
{
	if (!e->key || !hs_name_is_valid(e->key, e->key_len, HS_STATE_KEY_MAX))
		return false;
	switch (e->kind) {
	case HS_ENTRY_VALUE:
		return e->value_len <= HS_STATE_VALUE_MAX && (e->value || e->value_len == 0);
	case HS_ENTRY_TOMBSTONE:
		return e->value_len == 0;
	default:
		return false;
	}
}

void hs_entry_write(struct hs_writer *w, const struct hs_entry *e)
{
	if (!entry_is_valid(e)) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_fixed(w, e->origin, HS_KEY_LEN);
	hs_write_bytes(w, e->key, e->key_len);
	hs_write_u64(w, e->generation);
	hs_write_u64(w, e->version);
	hs_write_u8(w, e->kind);
	if (e->kind == HS_ENTRY_VALUE)
		hs_write_bytes(w, e->value, e->value_len);
	hs_write_fixed(w, e->sig, HS_SIG_LEN);
}

size_t hs_entry_encoded_len(const struct hs_entry *e)
{
	size_t n = HS_KEY_LEN + hs_varint_len(e->key_len) + e->key_len + 8 + 8 + 1 + HS_SIG_LEN;
	if (e->kind == HS_ENTRY_VALUE)
		n += hs_varint_len(e->value_len) + e->value_len;
	return n;
}

int hs_entry_decode(struct hs_entry *e, const uint8_t *data, size_t datalen)
{
	struct hs_reader r;
	hs_reader_init(&r, data, datalen);
	hs_entry_read(&r, e);
	int err = hs_reader_end(&r);
	if (err)
		memset(e, 0, sizeof(*e));
	return err;
}

int hs_entry_encode(const struct hs_entry *e, uint8_t *out, size_t outcap, size_t *outlen)
{
	struct hs_writer w;
	hs_writer_init(&w, out, outcap);
	hs_entry_write(&w, e);
	int err = hs_writer_end(&w);
	if (err == 0)
		*outlen = w.len;
	return err;
}

bool hs_entry_is_heartbeat(const uint8_t *key, size_t key_len)
{
	return key_len == sizeof(HS_HEARTBEAT_KEY) - 1 &&
	       memcmp(key, HS_HEARTBEAT_KEY, key_len) == 0;
}

bool hs_key_is_reserved(const char *key, size_t key_len)
{
	size_t n = sizeof(HS_RESERVED_KEY_PREFIX) - 1;
	return key_len >= n && memcmp(key, HS_RESERVED_KEY_PREFIX, n) == 0;
}

void hs_heartbeat_value(uint8_t out[HS_HEARTBEAT_VALUE_LEN], uint64_t time_ms, uint32_t interval_ms)
{
	for (unsigned i = 0; i < 8; i++)
		out[i] = (uint8_t)(time_ms >> (8 * i));
	for (unsigned i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(interval_ms >> (8 * i));
}

int hs_heartbeat_decode(const uint8_t *value, size_t value_len, uint64_t *time_ms,
                        uint32_t *interval_ms)
{
	if (value_len != HS_HEARTBEAT_VALUE_LEN || !value)
		return HS_ERR_BAD_VALUE;
	uint64_t t = 0;
	uint32_t iv = 0;
	for (unsigned i = 0; i < 8; i++)
		t |= (uint64_t)value[i] << (8 * i);
	for (unsigned i = 0; i < 4; i++)
		iv |= (uint32_t)value[8 + i] << (8 * i);
	if (iv == 0)
		return HS_ERR_BAD_VALUE;
	*time_ms = t;
	*interval_ms = iv;
	return 0;
}

bool hs_entry_is_suspects(const uint8_t *key, size_t key_len)
{
	return key_len == sizeof(HS_SUSPECTS_KEY) - 1 && memcmp(key, HS_SUSPECTS_KEY, key_len) == 0;
}

#define SUSPECT_LEN (HS_KEY_LEN + 16)

size_t hs_suspects_encode(const struct hs_suspect *s, size_t n, uint8_t *out)
{
	if (n > HS_SUSPECTS_MAX)
		return 0;
	out[0] = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && memcmp(s[i - 1].id, s[i].id, HS_KEY_LEN) >= 0)
			return 0;
		uint8_t *p = out + 1 + i * SUSPECT_LEN;
		memcpy(p, s[i].id, HS_KEY_LEN);
		for (unsigned b = 0; b < 8; b++) {
			p[HS_KEY_LEN + b] = (uint8_t)(s[i].generation >> (8 * b));
			p[HS_KEY_LEN + 8 + b] = (uint8_t)(s[i].heartbeat >> (8 * b));
		}
	}
	return 1 + n * SUSPECT_LEN;
}

int hs_suspects_decode(const uint8_t *value, size_t value_len,
                       struct hs_suspect out[HS_SUSPECTS_MAX], size_t *n)
{
	if (!value || value_len < 1 || value[0] > HS_SUSPECTS_MAX ||
	    value_len != 1 + (size_t)value[0] * SUSPECT_LEN)
		return HS_ERR_BAD_VALUE;
	size_t count = value[0];
	for (size_t i = 0; i < count; i++) {
		const uint8_t *p = value + 1 + i * SUSPECT_LEN;
		if (i > 0 && memcmp(p - SUSPECT_LEN, p, HS_KEY_LEN) >= 0)
			return HS_ERR_NONCANONICAL;
		memcpy(out[i].id, p, HS_KEY_LEN);
		out[i].generation = out[i].heartbeat = 0;
		for (unsigned b = 0; b < 8; b++) {
			out[i].generation |= (uint64_t)p[HS_KEY_LEN + b] << (8 * b);
			out[i].heartbeat |= (uint64_t)p[HS_KEY_LEN + 8 + b] << (8 * b);
		}
	}
	*n = count;
	return 0;
}

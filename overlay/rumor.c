/* Rumors: canonical encoding (see overlay/rumor.h). */
#include <string.h>

#include "crypto/crypto.h"
#include "overlay/rumor.h"

void hs_rumor_read(struct hs_reader *r, struct hs_rumor *rm)
{
	memset(rm, 0, sizeof(*rm));
	const uint8_t *origin = hs_read_fixed(r, HS_KEY_LEN);
	if (origin)
		memcpy(rm->origin, origin, HS_KEY_LEN);
	rm->topic = hs_read_name(r, &rm->topic_len, HS_TOPIC_MAX);
	rm->time_ms = hs_read_u64(r);
	rm->payload = hs_read_bytes(r, &rm->payload_len, HS_RUMOR_PAYLOAD_MAX);
	const uint8_t *sig = hs_read_fixed(r, HS_SIG_LEN);
	if (sig)
		memcpy(rm->sig, sig, HS_SIG_LEN);
	if (r->err)
		memset(rm, 0, sizeof(*rm));
}

static bool rumor_is_valid(const struct hs_rumor *rm)
{
	return rm->topic && hs_name_is_valid(rm->topic, rm->topic_len, HS_TOPIC_MAX) &&
	       rm->payload_len <= HS_RUMOR_PAYLOAD_MAX && (rm->payload || rm->payload_len == 0);
}

void hs_rumor_write(struct hs_writer *w, const struct hs_rumor *rm)
{
	if (!rumor_is_valid(rm)) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_fixed(w, rm->origin, HS_KEY_LEN);
	hs_write_bytes(w, rm->topic, rm->topic_len);
	hs_write_u64(w, rm->time_ms);
	hs_write_bytes(w, rm->payload, rm->payload_len);
	hs_write_fixed(w, rm->sig, HS_SIG_LEN);
}

size_t hs_rumor_encoded_len(const struct hs_rumor *rm)
{
	return HS_KEY_LEN + hs_varint_len(rm->topic_len) + rm->topic_len + 8 +
	       hs_varint_len(rm->payload_len) + rm->payload_len + HS_SIG_LEN;
}

int hs_rumor_decode(struct hs_rumor *rm, const uint8_t *data, size_t datalen)
{
	struct hs_reader r;
	hs_reader_init(&r, data, datalen);
	hs_rumor_read(&r, rm);
	int err = hs_reader_end(&r);
	if (err)
		memset(rm, 0, sizeof(*rm));
	return err;
}

int hs_rumor_encode(const struct hs_rumor *rm, uint8_t *out, size_t outcap, size_t *outlen)
{
	struct hs_writer w;
	hs_writer_init(&w, out, outcap);
	hs_rumor_write(&w, rm);
	int err = hs_writer_end(&w);
	if (err == 0)
		*outlen = w.len;
	return err;
}

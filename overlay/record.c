/* Node records: canonical encoding (see overlay/record.h). */
#include <string.h>

#include "overlay/record.h"

/* id, seq, generation, time_s, services, naddrs (one varint byte while the limit is < 128). */
#define RECORD_FIXED_LEN (HS_KEY_LEN + 4 * 8 + 1 + HS_SIG_LEN)

/* Rationale: the record size limit holds by construction, so no decoder path can exceed it;
 * raising the address limit must revisit this. */
_Static_assert(HS_RECORD_ADDRS_MAX < 128, "naddrs is one varint byte");
_Static_assert(RECORD_FIXED_LEN + HS_RECORD_ADDRS_MAX * HS_NETADDR_V6_LEN <= HS_RECORD_MAX,
               "the largest record fits HS_RECORD_MAX");

/* True if addrs[i] equals an earlier address. Quadratic in at most HS_RECORD_ADDRS_MAX. */
static bool is_duplicate(const struct hs_netaddr *addrs, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (hs_netaddr_equal(&addrs[j], &addrs[i]))
			return true;
	return false;
}

void hs_record_read(struct hs_reader *r, struct hs_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	const uint8_t *id = hs_read_fixed(r, HS_KEY_LEN);
	if (id)
		memcpy(rec->id, id, HS_KEY_LEN);
	rec->seq = hs_read_u64(r);
	rec->generation = hs_read_u64(r);
	rec->time_s = hs_read_u64(r);
	rec->services = hs_read_u64(r);
	rec->naddrs = (size_t)hs_read_varint(r, HS_RECORD_ADDRS_MAX);
	for (size_t i = 0; i < rec->naddrs && r->err == 0; i++) {
		hs_netaddr_read(r, &rec->addrs[i]);
		if (r->err == 0 && is_duplicate(rec->addrs, i))
			hs_reader_fail(r, HS_ERR_BAD_VALUE);
	}
	const uint8_t *sig = hs_read_fixed(r, HS_SIG_LEN);
	if (sig)
		memcpy(rec->sig, sig, HS_SIG_LEN);
	if (r->err)
		memset(rec, 0, sizeof(*rec));
}

static bool record_is_valid(const struct hs_record *rec)
{
	if (rec->naddrs > HS_RECORD_ADDRS_MAX)
		return false;
	for (size_t i = 0; i < rec->naddrs; i++)
		if (!hs_netaddr_is_valid(&rec->addrs[i]) || is_duplicate(rec->addrs, i))
			return false;
	return true;
}

void hs_record_write(struct hs_writer *w, const struct hs_record *rec)
{
	if (!record_is_valid(rec)) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_fixed(w, rec->id, HS_KEY_LEN);
	hs_write_u64(w, rec->seq);
	hs_write_u64(w, rec->generation);
	hs_write_u64(w, rec->time_s);
	hs_write_u64(w, rec->services);
	hs_write_varint(w, rec->naddrs);
	for (size_t i = 0; i < rec->naddrs; i++)
		hs_netaddr_write(w, &rec->addrs[i]);
	hs_write_fixed(w, rec->sig, HS_SIG_LEN);
}

size_t hs_record_encoded_len(const struct hs_record *rec)
{
	size_t n = RECORD_FIXED_LEN - 1 + hs_varint_len(rec->naddrs);
	for (size_t i = 0; i < rec->naddrs && i < HS_RECORD_ADDRS_MAX; i++)
		n += rec->addrs[i].family == HS_AF_INET ? HS_NETADDR_V4_LEN : HS_NETADDR_V6_LEN;
	return n;
}

int hs_record_decode(struct hs_record *rec, const uint8_t *data, size_t datalen)
{
	struct hs_reader r;
	hs_reader_init(&r, data, datalen);
	hs_record_read(&r, rec);
	int err = hs_reader_end(&r);
	if (err)
		memset(rec, 0, sizeof(*rec));
	return err;
}

int hs_record_encode(const struct hs_record *rec, uint8_t *out, size_t outcap, size_t *outlen)
{
	struct hs_writer w;
	hs_writer_init(&w, out, outcap);
	hs_record_write(&w, rec);
	int err = hs_writer_end(&w);
	if (err == 0)
		*outlen = w.len;
	return err;
}

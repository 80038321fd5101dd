/* The rumor store (see rumorstore.h). */
#include <stdlib.h>
#include <string.h>

#include "rumorstore.h"

void hs_rumorstore_init(struct hs_rumorstore *st, const uint8_t key[16], size_t count_max,
                        size_t bytes_max)
{
	hs_idring_init(&st->ring, key, sizeof(struct hs_stored_rumor), count_max);
	st->bytes = 0;
	st->bytes_max = bytes_max;
}

static void pop_oldest(struct hs_rumorstore *st)
{
	struct hs_stored_rumor *r = hs_idring_at(&st->ring, 0);
	st->bytes -= r->enclen;
	free(r->enc);
	hs_idring_pop(&st->ring);
}

void hs_rumorstore_deinit(struct hs_rumorstore *st)
{
	while (st->ring.count > 0)
		pop_oldest(st);
	hs_idring_deinit(&st->ring);
}

void hs_rumorstore_expire(struct hs_rumorstore *st, uint64_t now)
{
	while (st->ring.count > 0) {
		const struct hs_stored_rumor *r = hs_idring_at(&st->ring, 0);
		if (r->expiry_ns > now)
			break;
		pop_oldest(st);
	}
}

int hs_rumorstore_add(struct hs_rumorstore *st, struct hs_stored_rumor **out,
                      const uint8_t id[HS_ID_LEN], const uint8_t *enc, size_t enclen,
                      size_t topic_off, size_t topic_len, uint64_t origin_ns, uint64_t expiry_ns,
                      uint64_t now)
{
	if (enclen > st->bytes_max || enclen > UINT32_MAX || topic_off + topic_len > enclen ||
	    topic_off > UINT16_MAX || topic_len > UINT16_MAX)
		return HS_ERR_TOO_LARGE;
	if (hs_idring_find(&st->ring, id))
		return HS_ERR_EXISTS;
	if (st->ring.elems_max == 0)
		return HS_ERR_FULL;
	hs_rumorstore_expire(st, now);
	while (st->ring.count > 0 &&
	       (st->ring.count >= st->ring.elems_max || st->bytes + enclen > st->bytes_max))
		pop_oldest(st);
	uint8_t *copy = malloc(enclen ? enclen : 1);
	if (!copy)
		return HS_ERR_NOMEM;
	memcpy(copy, enc, enclen);
	void *slot;
	int err = hs_idring_push(&st->ring, id, &slot);
	if (err) {
		free(copy);
		return err;
	}
	struct hs_stored_rumor *r = slot;
	r->enc = copy;
	r->enclen = (uint32_t)enclen;
	r->topic_off = (uint16_t)topic_off;
	r->topic_len = (uint16_t)topic_len;
	r->origin_ns = origin_ns;
	r->received_ns = now;
	r->expiry_ns = expiry_ns;
	st->bytes += enclen;
	*out = r;
	return 0;
}

struct hs_stored_rumor *hs_rumorstore_find(const struct hs_rumorstore *st,
                                           const uint8_t id[HS_ID_LEN], uint64_t now)
{
	struct hs_stored_rumor *r = hs_idring_find(&st->ring, id);
	return r && r->expiry_ns > now ? r : NULL;
}

void hs_rumorstore_forget_peer(struct hs_rumorstore *st, unsigned p)
{
	uint64_t mask = ~((uint64_t)1 << (p % 64));
	for (size_t i = 0; i < st->ring.count; i++) {
		struct hs_stored_rumor *r = hs_idring_at(&st->ring, i);
		r->knows[p / 64] &= mask;
	}
}

size_t hs_rumorstore_count(const struct hs_rumorstore *st)
{
	return st->ring.count;
}

struct hs_stored_rumor *hs_rumorstore_newest(const struct hs_rumorstore *st, size_t i)
{
	return hs_idring_at(&st->ring, st->ring.count - 1 - i);
}

/* The seen cache (see seen.h). */
#include <string.h>

#include "seen.h"

struct seen_entry {
	uint8_t id[HS_ID_LEN];
	uint64_t expiry_ns;
};

void hs_seen_init(struct hs_seen *s, const uint8_t key[16], size_t seen_max)
{
	hs_idring_init(&s->ring, key, sizeof(struct seen_entry), seen_max);
}

void hs_seen_deinit(struct hs_seen *s)
{
	hs_idring_deinit(&s->ring);
}

bool hs_seen_has(const struct hs_seen *s, const uint8_t id[HS_ID_LEN], uint64_t now)
{
	const struct seen_entry *e = hs_idring_find(&s->ring, id);
	return e && e->expiry_ns > now;
}

void hs_seen_expire(struct hs_seen *s, uint64_t now)
{
	while (s->ring.count > 0) {
		const struct seen_entry *e = hs_idring_at(&s->ring, 0);
		if (e->expiry_ns > now)
			break;
		hs_idring_pop(&s->ring);
	}
}

int hs_seen_add(struct hs_seen *s, const uint8_t id[HS_ID_LEN], uint64_t expiry_ns, uint64_t now)
{
	struct seen_entry *e = hs_idring_find(&s->ring, id);
	if (e) {
		if (expiry_ns > e->expiry_ns)
			e->expiry_ns = expiry_ns;
		return 0;
	}
	hs_seen_expire(s, now);
	if (s->ring.elems_max == 0)
		return HS_ERR_FULL;
	if (s->ring.count >= s->ring.elems_max)
		hs_idring_pop(&s->ring);
	void *slot;
	int err = hs_idring_push(&s->ring, id, &slot);
	if (err)
		return err;
	((struct seen_entry *)slot)->expiry_ns = expiry_ns;
	return 0;
}

size_t hs_seen_count(const struct hs_seen *s)
{
	return s->ring.count;
}

/* The address book (see addrbook.h). */
#include <stdlib.h>
#include <string.h>

#include "addrbook.h"

void hs_addrbook_init(struct hs_addrbook *ab, const uint8_t key[16], size_t entries_max)
{
	memset(ab, 0, sizeof(*ab));
	hs_idmap_init(&ab->map, key, entries_max);
	ab->entries_max = entries_max;
}

void hs_addrbook_deinit(struct hs_addrbook *ab)
{
	hs_idmap_deinit(&ab->map);
	free(ab->entries);
	memset(ab, 0, sizeof(*ab));
}

struct hs_book_entry *hs_addrbook_find(const struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN])
{
	const uint32_t *i = hs_idmap_get(&ab->map, id);
	return i ? &ab->entries[*i] : NULL;
}

struct hs_book_entry *hs_addrbook_find_addr(const struct hs_addrbook *ab,
                                            const struct hs_netaddr *addr)
{
	for (size_t i = 0; i < ab->count; i++) {
		struct hs_book_entry *e = &ab->entries[i];
		if (e->rec.naddrs > 0 && hs_netaddr_equal(&e->rec.addrs[0], addr))
			return e;
	}
	return NULL;
}

void hs_addrbook_remove(struct hs_addrbook *ab, const uint8_t id[HS_KEY_LEN])
{
	uint32_t *ip = hs_idmap_get(&ab->map, id);
	if (!ip)
		return;
	size_t i = *ip;
	hs_idmap_del(&ab->map, id);
	size_t last = ab->count - 1;
	if (i != last) {
		ab->entries[i] = ab->entries[last];
		*hs_idmap_get(&ab->map, ab->entries[i].id) = (uint32_t)i;
	}
	ab->count--;
}

/* True if a is a worse entry to keep than b. */
static bool worse(const struct hs_book_entry *a, const struct hs_book_entry *b)
{
	if (a->connected != b->connected)
		return !a->connected;
	if (a->attempts != b->attempts)
		return a->attempts > b->attempts;
	if (a->tried != b->tried)
		return !a->tried;
	return a->added_ns < b->added_ns;
}

static void evict_worst(struct hs_addrbook *ab)
{
	size_t w = 0;
	for (size_t i = 1; i < ab->count; i++)
		if (worse(&ab->entries[i], &ab->entries[w]))
			w = i;
	if (!ab->entries[w].connected)
		hs_addrbook_remove(ab, ab->entries[w].id);
}

static int reserve(struct hs_addrbook *ab)
{
	if (ab->count < ab->cap)
		return 0;
	size_t ncap = ab->cap ? ab->cap * 2 : 16;
	if (ncap > ab->entries_max)
		ncap = ab->entries_max;
	struct hs_book_entry *n = realloc(ab->entries, ncap * sizeof(*n));
	if (!n)
		return HS_ERR_NOMEM;
	ab->entries = n;
	ab->cap = ncap;
	return 0;
}

int hs_addrbook_add(struct hs_addrbook *ab, const struct hs_record *rec,
                    const uint8_t source_group[8], uint64_t now)
{
	struct hs_book_entry *e = hs_addrbook_find(ab, rec->id);
	if (e) {
		if (rec->seq <= e->rec.seq)
			return 0;
	} else {
		if (ab->entries_max == 0)
			return HS_ERR_FULL;
		if (ab->count >= ab->entries_max)
			evict_worst(ab);
		if (ab->count >= ab->entries_max)
			return HS_ERR_FULL; /* every entry is connected */
		int err = reserve(ab);
		if (err)
			return err;
		err = hs_idmap_put(&ab->map, rec->id, (uint32_t)ab->count);
		if (err)
			return err;
		e = &ab->entries[ab->count++];
		memset(e, 0, sizeof(*e));
		memcpy(e->id, rec->id, HS_KEY_LEN);
		e->added_ns = now;
		memcpy(e->source_group, source_group, 8);
	}
	e->rec = *rec;
	return 0;
}

size_t hs_addrbook_count(const struct hs_addrbook *ab)
{
	return ab->count;
}

struct hs_book_entry *hs_addrbook_at(const struct hs_addrbook *ab, size_t i)
{
	return i < ab->count ? &ab->entries[i] : NULL;
}

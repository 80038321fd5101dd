/* Bans by identity or IP address (see hearsay/banlist.h). */
#include <stdlib.h>
#include <string.h>

#include "hearsay/banlist.h"

void hs_banlist_init(struct hs_banlist *bl, size_t bans_max)
{
	memset(bl, 0, sizeof(*bl));
	bl->bans_max = bans_max;
}

void hs_banlist_deinit(struct hs_banlist *bl)
{
	free(bl->bans);
	memset(bl, 0, sizeof(*bl));
}

void hs_ban_addr_key(const struct hs_netaddr *a, uint8_t key[32])
{
	memset(key, 0, 32);
	key[0] = a->family;
	memcpy(key + 1, a->ip, a->family == HS_AF_INET ? 4 : 16);
}

static struct hs_ban *find(const struct hs_banlist *bl, uint8_t kind, const uint8_t key[32])
{
	for (size_t i = 0; i < bl->count; i++)
		if (bl->bans[i].kind == kind && memcmp(bl->bans[i].key, key, 32) == 0)
			return &bl->bans[i];
	return NULL;
}

static void remove_at(struct hs_banlist *bl, size_t i)
{
	bl->bans[i] = bl->bans[--bl->count];
}

int hs_banlist_add(struct hs_banlist *bl, uint8_t kind, const uint8_t key[32], uint64_t until_ns,
                   uint8_t reason, uint64_t now)
{
	if (kind != HS_BAN_ID && kind != HS_BAN_ADDR)
		return HS_ERR_INVALID;
	struct hs_ban *b = find(bl, kind, key);
	if (!b) {
		if (bl->bans_max == 0)
			return HS_ERR_FULL;
		if (bl->count >= bl->bans_max) {
			size_t first = 0;
			for (size_t i = 1; i < bl->count; i++)
				if (bl->bans[i].until_ns < bl->bans[first].until_ns)
					first = i;
			remove_at(bl, first);
		}
		if (bl->count == bl->cap) {
			size_t ncap = bl->cap ? bl->cap * 2 : 16;
			struct hs_ban *n = realloc(bl->bans, ncap * sizeof(*n));
			if (!n)
				return HS_ERR_NOMEM;
			bl->bans = n;
			bl->cap = ncap;
		}
		b = &bl->bans[bl->count++];
		memset(b, 0, sizeof(*b));
		b->kind = kind;
		memcpy(b->key, key, 32);
	}
	b->created_ns = now;
	b->until_ns = until_ns;
	b->reason = reason;
	return 0;
}

bool hs_banlist_remove(struct hs_banlist *bl, uint8_t kind, const uint8_t key[32])
{
	struct hs_ban *b = find(bl, kind, key);
	if (!b)
		return false;
	remove_at(bl, (size_t)(b - bl->bans));
	return true;
}

bool hs_banlist_has_id(const struct hs_banlist *bl, const uint8_t id[32], uint64_t now)
{
	const struct hs_ban *b = find(bl, HS_BAN_ID, id);
	return b && b->until_ns > now;
}

bool hs_banlist_has_addr(const struct hs_banlist *bl, const struct hs_netaddr *a, uint64_t now)
{
	uint8_t key[32];
	hs_ban_addr_key(a, key);
	const struct hs_ban *b = find(bl, HS_BAN_ADDR, key);
	return b && b->until_ns > now;
}

size_t hs_banlist_expire(struct hs_banlist *bl, uint64_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < bl->count;) {
		if (bl->bans[i].until_ns <= now) {
			remove_at(bl, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

void hs_banlist_clear(struct hs_banlist *bl)
{
	bl->count = 0;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void hs_ban_encode(const struct hs_ban *b, uint8_t out[HS_BAN_ENCODED_LEN])
{
	out[0] = b->kind;
	memcpy(out + 1, b->key, 32);
	uint8_t *p = put64(out + 33, b->created_ns);
	p = put64(p, b->until_ns);
	*p = b->reason;
}

int hs_ban_decode(struct hs_ban *b, const uint8_t *data, size_t datalen)
{
	if (datalen != HS_BAN_ENCODED_LEN || (data[0] != HS_BAN_ID && data[0] != HS_BAN_ADDR))
		return HS_ERR_CORRUPT;
	b->kind = data[0];
	memcpy(b->key, data + 1, 32);
	b->created_ns = get64(data + 33);
	b->until_ns = get64(data + 41);
	b->reason = data[49];
	return 0;
}

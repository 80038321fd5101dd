/* Bans by identity, IP address or network group (see reputation/banlist.h). */
#include <stdlib.h>
#include <string.h>

#include "reputation/banlist.h"

void hs_banlist_init(struct hs_banlist *bl, const uint8_t secret[16], size_t bans_max)
{
	memset(bl, 0, sizeof(*bl));
	bl->bans_max = bans_max;
	memcpy(bl->secret, secret, sizeof(bl->secret));
	for (unsigned k = 0; k < 3; k++)
		hs_idmap_init(&bl->index[k], secret, bans_max);
}

void hs_banlist_deinit(struct hs_banlist *bl)
{
	free(bl->bans);
	for (unsigned k = 0; k < 3; k++)
		hs_idmap_deinit(&bl->index[k]);
	memset(bl, 0, sizeof(*bl));
}

/* The index of a valid kind (1 .. 3). */
static struct hs_idmap *index_of(const struct hs_banlist *bl, uint8_t kind)
{
	return (struct hs_idmap *)&bl->index[kind - 1];
}

void hs_ban_addr_key(const struct hs_netaddr *a, uint8_t key[32])
{
	memset(key, 0, 32);
	key[0] = a->family;
	memcpy(key + 1, a->ip, a->family == HS_AF_INET ? 4 : 8);
}

/* The network group as hs_netaddr_group (overlay/netaddr.c) forms it: family || IPv4 /16 or
 * IPv6 /32. reputation/ sits below overlay/, so the rule is restated here; test_reputation
 * checks that the two agree. */
void hs_ban_group_key(const struct hs_netaddr *a, uint8_t key[32])
{
	memset(key, 0, 32);
	key[0] = a->family;
	if (a->family == HS_AF_INET)
		memcpy(key + 1, a->ip, 2);
	else if (a->family == HS_AF_INET6)
		memcpy(key + 1, a->ip, 4);
}

/* An address ban's key read back as an address (port 0), for its group. */
static struct hs_netaddr key_addr(const uint8_t key[32])
{
	struct hs_netaddr a;
	memset(&a, 0, sizeof(a));
	a.family = key[0];
	memcpy(a.ip, key + 1, key[0] == HS_AF_INET ? 4 : 8);
	return a;
}

/* Address keys from before IPv6 bans covered the /64 name the whole address: cut them. */
static void normalize(uint8_t kind, uint8_t key[32])
{
	if (kind == HS_BAN_ADDR && key[0] == HS_AF_INET6)
		memset(key + 9, 0, 23);
}

static struct hs_ban *find(const struct hs_banlist *bl, uint8_t kind, const uint8_t key[32])
{
	if (kind < HS_BAN_ID || kind > HS_BAN_GROUP)
		return NULL;
	const uint32_t *i = hs_idmap_get(index_of(bl, kind), key);
	return i ? &bl->bans[*i] : NULL;
}

static void remove_at(struct hs_banlist *bl, size_t i)
{
	hs_idmap_del(index_of(bl, bl->bans[i].kind), bl->bans[i].key);
	bl->bans[i] = bl->bans[--bl->count];
	if (i < bl->count)
		*hs_idmap_get(index_of(bl, bl->bans[i].kind), bl->bans[i].key) = (uint32_t)i;
}

/* Appends b (not held; a place is free). */
static int append(struct hs_banlist *bl, const struct hs_ban *b)
{
	if (bl->count == bl->cap) {
		size_t ncap = bl->cap ? bl->cap * 2 : 16;
		struct hs_ban *n = realloc(bl->bans, ncap * sizeof(*n));
		if (!n)
			return HS_ERR_NOMEM;
		bl->bans = n;
		bl->cap = ncap;
	}
	int err = hs_idmap_put(index_of(bl, b->kind), b->key, (uint32_t)bl->count);
	if (err)
		return err;
	bl->bans[bl->count++] = *b;
	return 0;
}

int hs_banlist_add(struct hs_banlist *bl, uint8_t kind, const uint8_t key[32], uint64_t until_ns,
                   uint8_t reason, uint64_t now)
{
	if (kind != HS_BAN_ID && kind != HS_BAN_ADDR && kind != HS_BAN_GROUP)
		return HS_ERR_INVALID;
	uint8_t k[32];
	memcpy(k, key, 32);
	normalize(kind, k);
	key = k;
	struct hs_ban *b = find(bl, kind, key);
	if (b) {
		b->created_ns = now;
		b->until_ns = until_ns;
		b->reason = reason;
		return 0;
	}
	if (bl->count >= bl->bans_max)
		return HS_ERR_FULL;
	struct hs_ban nb = {
		.kind = kind, .created_ns = now, .until_ns = until_ns, .reason = reason
	};
	memcpy(nb.key, key, 32);
	return append(bl, &nb);
}

bool hs_banlist_remove(struct hs_banlist *bl, uint8_t kind, const uint8_t key[32])
{
	uint8_t k[32];
	memcpy(k, key, 32);
	normalize(kind, k);
	struct hs_ban *b = find(bl, kind, k);
	if (!b)
		return false;
	remove_at(bl, (size_t)(b - bl->bans));
	return true;
}

static bool note_removed(struct hs_ban_changes *ch, const struct hs_ban *b)
{
	if (ch->nremoved >= ch->removed_max)
		return false;
	ch->removed[ch->nremoved++] = *b;
	return true;
}

struct group_ref {
	uint8_t group[32];
	size_t index;
};

static int cmp_group(const void *a, const void *b)
{
	return memcmp(((const struct group_ref *)a)->group, ((const struct group_ref *)b)->group,
	              32);
}

/* Replaces the automatic address bans of the group holding most of them (two or more) by one
 * group ban. False if no group holds two. */
static bool compact(struct hs_banlist *bl, uint64_t now, struct hs_ban_changes *ch)
{
	struct group_ref *refs = malloc((bl->count + 1) * sizeof(*refs));
	if (!refs)
		return false;
	size_t n = 0;
	for (size_t i = 0; i < bl->count; i++) {
		const struct hs_ban *b = &bl->bans[i];
		if (b->kind != HS_BAN_ADDR || b->reason != HS_BAN_MISBEHAVING)
			continue;
		struct hs_netaddr a = key_addr(b->key);
		hs_ban_group_key(&a, refs[n].group);
		refs[n++].index = i;
	}
	qsort(refs, n, sizeof(*refs), cmp_group);
	size_t best = 0, best_len = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && memcmp(refs[j].group, refs[i].group, 32) == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j;
	}
	if (best_len < 2) {
		free(refs);
		return false;
	}
	struct hs_ban g = { .kind = HS_BAN_GROUP, .created_ns = now, .reason = HS_BAN_MISBEHAVING };
	memcpy(g.key, refs[best].group, 32);
	uint8_t *drop = calloc(bl->count, 1);
	if (!drop) {
		free(refs);
		return false;
	}
	for (size_t k = best; k < best + best_len; k++) {
		const struct hs_ban *b = &bl->bans[refs[k].index];
		if (b->until_ns > g.until_ns)
			g.until_ns = b->until_ns;
		drop[refs[k].index] = 1;
	}
	free(refs);
	/* Remove from the end so the indices of the rest stay valid. */
	size_t merged_before = ch->nmerged;
	for (size_t i = bl->count; i-- > 0;) {
		if (!drop[i])
			continue;
		if (!note_removed(ch, &bl->bans[i]))
			break;
		ch->nmerged++;
		remove_at(bl, i);
	}
	free(drop);
	struct hs_ban *old = find(bl, HS_BAN_GROUP, g.key);
	if (old) {
		if (old->until_ns < g.until_ns)
			old->until_ns = g.until_ns;
		g = *old;
	} else if (bl->count < bl->bans_max && append(bl, &g) != 0) {
		ch->has_added = false; /* out of memory: the address bans are gone, no group ban */
		ch->nmerged = merged_before;
		return true;
	}
	ch->added = g;
	ch->has_added = true;
	return true;
}

bool hs_banlist_make_room(struct hs_banlist *bl, uint64_t now, struct hs_ban_changes *ch)
{
	if (bl->count < bl->bans_max)
		return true;
	for (size_t i = 0; i < bl->count && ch->nremoved < ch->removed_max;) {
		if (bl->bans[i].until_ns <= now && note_removed(ch, &bl->bans[i]))
			remove_at(bl, i);
		else
			i++;
	}
	/* A group ban takes the place of two or more address bans: one is then free. */
	if (bl->count >= bl->bans_max)
		compact(bl, now, ch);
	if (bl->count < bl->bans_max)
		return true;
	size_t victim = bl->count;
	for (size_t i = 0; i < bl->count; i++) {
		const struct hs_ban *b = &bl->bans[i];
		if (b->reason == HS_BAN_OPERATOR)
			continue;
		if (victim == bl->count || b->until_ns < bl->bans[victim].until_ns)
			victim = i;
	}
	if (victim == bl->count || !note_removed(ch, &bl->bans[victim]))
		return false;
	remove_at(bl, victim);
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
	if (b && b->until_ns > now)
		return true;
	hs_ban_group_key(a, key);
	b = find(bl, HS_BAN_GROUP, key);
	return b && b->until_ns > now;
}

size_t hs_banlist_count_group(const struct hs_banlist *bl, const struct hs_netaddr *a, uint64_t now)
{
	uint8_t group[32];
	hs_ban_group_key(a, group);
	size_t n = 0;
	for (size_t i = 0; i < bl->count; i++) {
		const struct hs_ban *b = &bl->bans[i];
		if (b->kind != HS_BAN_ADDR || b->reason != HS_BAN_MISBEHAVING || b->until_ns <= now)
			continue;
		struct hs_netaddr k = key_addr(b->key);
		uint8_t gk[32];
		hs_ban_group_key(&k, gk);
		n += memcmp(gk, group, 32) == 0;
	}
	return n;
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
	while (bl->count > 0)
		remove_at(bl, bl->count - 1);
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
	if (datalen != HS_BAN_ENCODED_LEN ||
	    (data[0] != HS_BAN_ID && data[0] != HS_BAN_ADDR && data[0] != HS_BAN_GROUP))
		return HS_ERR_CORRUPT;
	b->kind = data[0];
	memcpy(b->key, data + 1, 32);
	b->created_ns = get64(data + 33);
	b->until_ns = get64(data + 41);
	b->reason = data[49];
	return 0;
}

/* Secret-keyed open-addressing id map (see idmap.h). */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/idmap.h"

#define LOAD_NUM 3 /* grow past 3/4 full */
#define LOAD_DEN 4
#define CAP_MIN  16

void hs_idmap_init(struct hs_idmap *m, const uint8_t key[16], size_t entries_max)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->key, key, sizeof(m->key));
	m->entries_max = entries_max;
}

void hs_idmap_deinit(struct hs_idmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}

static size_t home(const struct hs_idmap *m, const uint8_t id[HS_ID_LEN])
{
	return (size_t)hs_shorthash(m->key, id, HS_ID_LEN) & (m->cap - 1);
}

/* The slot holding id, or SIZE_MAX. */
static size_t find_slot(const struct hs_idmap *m, const uint8_t id[HS_ID_LEN])
{
	if (m->cap == 0)
		return SIZE_MAX;
	for (size_t i = home(m, id);; i = (i + 1) & (m->cap - 1)) {
		const struct hs_idmap_slot *s = &m->slots[i];
		if (!s->used)
			return SIZE_MAX;
		if (memcmp(s->id, id, HS_ID_LEN) == 0)
			return i;
	}
}

uint32_t *hs_idmap_get(const struct hs_idmap *m, const uint8_t id[HS_ID_LEN])
{
	size_t i = find_slot(m, id);
	return i == SIZE_MAX ? NULL : &m->slots[i].value;
}

static void insert(struct hs_idmap *m, const uint8_t id[HS_ID_LEN], uint32_t value)
{
	size_t i = home(m, id);
	while (m->slots[i].used)
		i = (i + 1) & (m->cap - 1);
	memcpy(m->slots[i].id, id, HS_ID_LEN);
	m->slots[i].value = value;
	m->slots[i].used = 1;
	m->count++;
}

static int grow(struct hs_idmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : CAP_MIN;
	struct hs_idmap_slot *old = m->slots;
	size_t ocap = m->cap;
	struct hs_idmap_slot *slots = calloc(ncap, sizeof(*slots));
	if (!slots)
		return HS_ERR_NOMEM;
	m->slots = slots;
	m->cap = ncap;
	m->count = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].used)
			insert(m, old[i].id, old[i].value);
	free(old);
	return 0;
}

int hs_idmap_put(struct hs_idmap *m, const uint8_t id[HS_ID_LEN], uint32_t value)
{
	if (hs_idmap_get(m, id))
		return HS_ERR_EXISTS;
	if (m->count >= m->entries_max)
		return HS_ERR_FULL;
	if ((m->count + 1) * LOAD_DEN > m->cap * LOAD_NUM) {
		int err = grow(m);
		if (err)
			return err;
	}
	insert(m, id, value);
	return 0;
}

bool hs_idmap_del(struct hs_idmap *m, const uint8_t id[HS_ID_LEN])
{
	size_t hole = find_slot(m, id);
	if (hole == SIZE_MAX)
		return false;
	size_t mask = m->cap - 1;
	/* Backward-shift deletion: pull later members of the probe run into the hole when
	 * their home position is not between the hole and themselves. */
	for (size_t i = (hole + 1) & mask; m->slots[i].used; i = (i + 1) & mask) {
		size_t h = home(m, m->slots[i].id);
		bool movable = ((i - h) & mask) >= ((i - hole) & mask);
		if (movable) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
	m->count--;
	return true;
}

/* Bounded id-indexed FIFO (see idring.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "idring.h"

void hs_idring_init(struct hs_idring *r, const uint8_t key[16], size_t elem_size, size_t elems_max)
{
	assert(elem_size >= HS_ID_LEN);
	memset(r, 0, sizeof(*r));
	hs_idmap_init(&r->map, key, elems_max);
	r->elem_size = elem_size;
	r->elems_max = elems_max;
}

void hs_idring_deinit(struct hs_idring *r)
{
	hs_idmap_deinit(&r->map);
	free(r->elems);
	r->elems = NULL;
	r->cap = r->count = 0;
}

static uint8_t *slot(const struct hs_idring *r, size_t i)
{
	return r->elems + ((r->head + i) & (r->cap - 1)) * r->elem_size;
}

void *hs_idring_at(const struct hs_idring *r, size_t i)
{
	assert(i < r->count);
	return slot(r, i);
}

void *hs_idring_find(const struct hs_idring *r, const uint8_t id[HS_ID_LEN])
{
	const uint32_t *seq = hs_idmap_get(&r->map, id);
	if (!seq)
		return NULL;
	return slot(r, (uint32_t)(*seq - r->head_seq));
}

static int grow(struct hs_idring *r)
{
	size_t ncap = r->cap ? r->cap * 2 : 16;
	uint8_t *n = malloc(ncap * r->elem_size);
	if (!n)
		return HS_ERR_NOMEM;
	for (size_t i = 0; i < r->count; i++)
		memcpy(n + i * r->elem_size, slot(r, i), r->elem_size);
	free(r->elems);
	r->elems = n;
	r->cap = ncap;
	r->head = 0;
	return 0;
}

int hs_idring_push(struct hs_idring *r, const uint8_t id[HS_ID_LEN], void **elem)
{
	if (hs_idmap_get(&r->map, id))
		return HS_ERR_EXISTS;
	if (r->count >= r->elems_max)
		return HS_ERR_FULL;
	if (r->count == r->cap) {
		int err = grow(r);
		if (err)
			return err;
	}
	int err = hs_idmap_put(&r->map, id, r->head_seq + (uint32_t)r->count);
	if (err)
		return err;
	uint8_t *e = slot(r, r->count);
	memset(e, 0, r->elem_size);
	memcpy(e, id, HS_ID_LEN);
	r->count++;
	*elem = e;
	return 0;
}

void hs_idring_pop(struct hs_idring *r)
{
	assert(r->count > 0);
	bool found = hs_idmap_del(&r->map, slot(r, 0));
	assert(found);
	(void)found;
	r->head = (r->head + 1) & (r->cap - 1);
	r->head_seq++;
	r->count--;
}

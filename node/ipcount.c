/*
 * Open connections per address, for the HTTP endpoints (httprpc.c, metrics.c): MHD's own
 * per-IP limit refuses before the accept policy runs, so its refusals could not be counted;
 * this table lets the accept policy refuse and count.
 */
#include "daemon_impl.h"

void hs_ipcount_init(struct hs_ipcount *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->cap = cap < HS_IPCOUNT_SLOTS ? cap : HS_IPCOUNT_SLOTS;
	pthread_mutex_init(&c->mu, NULL);
}

void hs_ipcount_destroy(struct hs_ipcount *c)
{
	pthread_mutex_destroy(&c->mu);
}

unsigned hs_ipcount_add(struct hs_ipcount *c, const struct hs_netaddr *a, int delta)
{
	unsigned n = 0;
	size_t free_slot = SIZE_MAX;
	pthread_mutex_lock(&c->mu);
	size_t i = 0;
	for (; i < c->cap; i++) {
		if (c->slot[i].n == 0) {
			if (free_slot == SIZE_MAX)
				free_slot = i;
			continue;
		}
		if (hs_netaddr_equal(&c->slot[i].ip, a)) {
			if (delta < 0 || c->slot[i].n < UINT32_MAX)
				c->slot[i].n = (unsigned)((int)c->slot[i].n + delta);
			n = c->slot[i].n;
			break;
		}
	}
	if (i == c->cap && delta > 0 && free_slot != SIZE_MAX) {
		c->slot[free_slot].ip = *a;
		c->slot[free_slot].n = 1;
		n = 1;
	}
	pthread_mutex_unlock(&c->mu);
	return n;
}

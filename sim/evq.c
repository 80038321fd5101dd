/*
 * The event queue: a binary min-heap keyed by (time, sequence number). The sequence number
 * is a counter assigned at push, so events at the same virtual time run in the order they
 * were scheduled — the tie-break that makes a run deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_impl.h"

static bool before(const struct sim_event *a, const struct sim_event *b)
{
	return a->at_ns < b->at_ns || (a->at_ns == b->at_ns && a->seq < b->seq);
}

int sim_evq_push(struct sim_evq *q, uint64_t at_ns, uint32_t kind, uint32_t a, uint64_t b,
                 void *ptr)
{
	if (q->count == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 1024;
		struct sim_event *n = realloc(q->v, ncap * sizeof(*n));
		if (!n)
			return HS_ERR_NOMEM;
		q->v = n;
		q->cap = ncap;
	}
	struct sim_event ev = {
		.at_ns = at_ns, .seq = q->next_seq++, .kind = kind, .a = a, .b = b, .ptr = ptr
	};
	size_t i = q->count++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!before(&ev, &q->v[up]))
			break;
		q->v[i] = q->v[up];
		i = up;
	}
	q->v[i] = ev;
	return 0;
}

bool sim_evq_pop(struct sim_evq *q, struct sim_event *out)
{
	if (q->count == 0)
		return false;
	*out = q->v[0];
	struct sim_event last = q->v[--q->count];
	size_t i = 0, n = q->count;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && before(&q->v[c + 1], &q->v[c]))
			c++;
		if (!before(&q->v[c], &last))
			break;
		q->v[i] = q->v[c];
		i = c;
	}
	if (n > 0)
		q->v[i] = last;
	return true;
}

void sim_evq_free(struct sim_evq *q)
{
	for (size_t i = 0; i < q->count; i++)
		free(q->v[i].ptr);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

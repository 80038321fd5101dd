/* Peer scores with decay, caps, thresholds and explanations (see reputation/score.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reputation/score.h"

void hs_score_params_default(struct hs_score_params *p)
{
	memset(p, 0, sizeof(*p));
	/* Rationale: ten minutes forgive an honest peer's burst of flood points within a session
	 * or two, while a ban-worthy total cannot be reached by slow trickling (ten floods an hour
	 * decay faster than they add up). */
	p->halflife_s = 600;
	/* Rationale: a malformed authenticated frame, a protocol violation, a bad signature or a
	 * bad identity proof cannot come from an honest implementation, so one is enough to ban
	 * (Bitcoin's Misbehaving(100)). */
	p->weight[HS_SCORE_MALFORMED] = -100;
	p->weight[HS_SCORE_PROTOCOL] = -100;
	p->weight[HS_SCORE_BAD_SIG] = -100;
	p->weight[HS_SCORE_HANDSHAKE] = -100;
	/* Rationale: two signatures by one key over different values for one version cannot both
	 * come from an honest node; the proof convicts its origin wherever it is checked, so it
	 * weighs the ban threshold plus the reward cap: one proof bans even an origin that banked
	 * +20 by delivering first (as an equivocating peer does with its first entry). */
	p->weight[HS_SCORE_EQUIVOCATION] = -120;
	/* Rationale: an honest relay can pass on a rumor another application would reject (it
	 * runs no validator, or an older one): one such rumor stops gossip with it (-20), five
	 * in a half-life ban it. */
	p->weight[HS_SCORE_REJECTED] = -20;
	/* Rationale: an honest peer stays under its rate; one that keeps sending past it reaches
	 * the ban threshold after ten frames over the burst, so a flood always ends in a ban. */
	p->weight[HS_SCORE_FLOOD] = -10;
	/* Rationale: rewards are small and capped at +20, so goodwill cannot be banked to absorb
	 * more than one cheap fault (gossipsub caps its positive terms the same way). */
	p->weight[HS_SCORE_DELIVERED] = 1;
	p->weight[HS_SCORE_ANSWERED] = 0.25;
	p->max = 20;
	p->min = -1000;
	p->gossip_threshold = -20;
	p->graylist_threshold = -50;
	p->ban_threshold = -100;
}

int hs_score_params_check(const struct hs_score_params *p)
{
	if (!(isfinite(p->halflife_s) && p->halflife_s >= 0))
		return HS_ERR_INVALID;
	for (unsigned k = 1; k < HS_SCORE_KINDS; k++) {
		double w = p->weight[k];
		if (!isfinite(w) || (HS_SCORE_IS_FAULT(k) ? w > 0 : w < 0))
			return HS_ERR_INVALID;
	}
	if (!(isfinite(p->max) && isfinite(p->min) && p->max >= 0 && 0 > p->gossip_threshold &&
	      p->gossip_threshold > p->graylist_threshold &&
	      p->graylist_threshold > p->ban_threshold && p->ban_threshold >= p->min))
		return HS_ERR_INVALID;
	return 0;
}

void hs_scores_init(struct hs_scores *s, const uint8_t secret[16], size_t entries_max,
                    const struct hs_score_params *params)
{
	memset(s, 0, sizeof(*s));
	hs_idmap_init(&s->map, secret, entries_max);
	s->entries_max = entries_max;
	if (params)
		s->params = *params;
	else
		hs_score_params_default(&s->params);
}

void hs_scores_deinit(struct hs_scores *s)
{
	hs_idmap_deinit(&s->map);
	free(s->entries);
	s->entries = NULL;
	s->count = s->cap = 0;
}

static double decayed(const struct hs_score_params *p, const struct hs_score_entry *e, uint64_t now)
{
	if (now <= e->updated_ns || p->halflife_s <= 0)
		return e->value;
	double dt_s = (double)(now - e->updated_ns) / 1e9;
	return e->value * exp2(-dt_s / p->halflife_s);
}

const struct hs_score_entry *hs_scores_find(const struct hs_scores *s, const uint8_t key[32])
{
	const uint32_t *i = hs_idmap_get(&s->map, key);
	return i ? &s->entries[*i] : NULL;
}

double hs_scores_value(const struct hs_scores *s, const uint8_t key[32], uint64_t now)
{
	const struct hs_score_entry *e = hs_scores_find(s, key);
	return e ? decayed(&s->params, e, now) : 0.0;
}

enum hs_standing hs_scores_standing(const struct hs_scores *s, double value)
{
	if (value <= s->params.ban_threshold)
		return HS_STANDING_BAN;
	if (value <= s->params.graylist_threshold)
		return HS_STANDING_GRAYLIST;
	if (value <= s->params.gossip_threshold)
		return HS_STANDING_NO_GOSSIP;
	return HS_STANDING_GOOD;
}

void hs_scores_forget(struct hs_scores *s, const uint8_t key[32])
{
	uint32_t *ip = hs_idmap_get(&s->map, key);
	if (!ip)
		return;
	size_t i = *ip, last = s->count - 1;
	hs_idmap_del(&s->map, key);
	if (i != last) {
		s->entries[i] = s->entries[last];
		*hs_idmap_get(&s->map, s->entries[i].key) = (uint32_t)i;
	}
	s->count--;
}

/* The entry for key, created (evicting the one nearest zero when full) if needed. */
static struct hs_score_entry *obtain(struct hs_scores *s, const uint8_t key[32], uint64_t now)
{
	uint32_t *ip = hs_idmap_get(&s->map, key);
	if (ip)
		return &s->entries[*ip];
	if (s->entries_max == 0)
		return NULL;
	if (s->count >= s->entries_max) {
		size_t w = 0;
		for (size_t i = 1; i < s->count; i++)
			if (fabs(decayed(&s->params, &s->entries[i], now)) <
			    fabs(decayed(&s->params, &s->entries[w], now)))
				w = i;
		hs_scores_forget(s, s->entries[w].key);
	}
	if (s->count == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		if (ncap > s->entries_max)
			ncap = s->entries_max;
		struct hs_score_entry *n = realloc(s->entries, ncap * sizeof(*n));
		if (!n)
			return NULL;
		s->entries = n;
		s->cap = ncap;
	}
	if (hs_idmap_put(&s->map, key, (uint32_t)s->count) != 0)
		return NULL;
	struct hs_score_entry *e = &s->entries[s->count++];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, 32);
	e->updated_ns = now;
	return e;
}

int hs_scores_add(struct hs_scores *s, const uint8_t key[32], enum hs_score_kind kind, uint64_t now,
                  double *value)
{
	if ((unsigned)kind >= HS_SCORE_KINDS || kind == 0)
		return HS_ERR_INVALID;
	struct hs_score_entry *e = obtain(s, key, now);
	if (!e)
		return HS_ERR_NOMEM;
	double before = decayed(&s->params, e, now);
	double after = before + s->params.weight[kind];
	if (after > s->params.max)
		after = s->params.max;
	if (after < s->params.min)
		after = s->params.min;
	e->value = after;
	e->updated_ns = now > e->updated_ns ? now : e->updated_ns;
	e->count[kind]++;
	e->points[kind] += after - before;
	struct hs_score_event *ev = &e->last[e->head];
	ev->time_ns = now;
	ev->delta_milli = (int32_t)lrint((after - before) * 1000);
	ev->kind = (uint8_t)kind;
	e->head = (uint8_t)((e->head + 1) % HS_SCORE_EVENTS);
	if (e->nlast < HS_SCORE_EVENTS)
		e->nlast++;
	if (value)
		*value = after;
	return 0;
}

const char *hs_score_kind_name(uint8_t kind)
{
	switch (kind) {
	case HS_SCORE_MALFORMED:
		return "malformed";
	case HS_SCORE_PROTOCOL:
		return "protocol";
	case HS_SCORE_BAD_SIG:
		return "bad-signature";
	case HS_SCORE_REJECTED:
		return "rejected";
	case HS_SCORE_EQUIVOCATION:
		return "equivocation";
	case HS_SCORE_FLOOD:
		return "flood";
	case HS_SCORE_HANDSHAKE:
		return "handshake";
	case HS_SCORE_DELIVERED:
		return "delivered";
	case HS_SCORE_ANSWERED:
		return "answered";
	default:
		return "unknown";
	}
}

/* ---- persistence ----------------------------------------------------------------------- */

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint64_t get64(const uint8_t **p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)(*p)[i] << (8 * i);
	*p += 8;
	return v;
}

static uint64_t dbits(double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	return v;
}

static double bitsd(uint64_t v)
{
	double d;
	memcpy(&d, &v, 8);
	return d;
}

void hs_score_entry_encode(const struct hs_score_entry *e, uint8_t out[HS_SCORE_ENTRY_ENCODED_LEN])
{
	uint8_t *p = out;
	memcpy(p, e->key, 32);
	p = put64(p + 32, dbits(e->value));
	p = put64(p, e->updated_ns);
	for (unsigned k = 0; k < HS_SCORE_KINDS; k++) {
		for (unsigned i = 0; i < 4; i++)
			*p++ = (uint8_t)(e->count[k] >> (8 * i));
		p = put64(p, dbits(e->points[k]));
	}
	*p++ = e->nlast;
	/* Events oldest first, so loading needs no ring arithmetic. */
	for (unsigned i = 0; i < HS_SCORE_EVENTS; i++) {
		const struct hs_score_event *ev =
		        &e->last[((unsigned)e->head + HS_SCORE_EVENTS - e->nlast + i) %
		                 HS_SCORE_EVENTS];
		bool used = i < e->nlast;
		p = put64(p, used ? ev->time_ns : 0);
		uint32_t d = used ? (uint32_t)ev->delta_milli : 0;
		for (unsigned b = 0; b < 4; b++)
			*p++ = (uint8_t)(d >> (8 * b));
		*p++ = used ? ev->kind : 0;
	}
}

int hs_scores_load(struct hs_scores *s, const uint8_t *data, size_t datalen)
{
	if (datalen != HS_SCORE_ENTRY_ENCODED_LEN)
		return HS_ERR_CORRUPT;
	const uint8_t *p = data + 32;
	struct hs_score_entry *e = obtain(s, data, 0);
	if (!e)
		return HS_ERR_NOMEM;
	e->value = bitsd(get64(&p));
	e->updated_ns = get64(&p);
	for (unsigned k = 0; k < HS_SCORE_KINDS; k++) {
		e->count[k] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		              (uint32_t)p[3] << 24;
		p += 4;
		e->points[k] = bitsd(get64(&p));
		if (!isfinite(e->points[k]))
			e->points[k] = 0;
	}
	e->nlast = *p++ % (HS_SCORE_EVENTS + 1);
	e->head = (uint8_t)(e->nlast % HS_SCORE_EVENTS);
	for (unsigned i = 0; i < HS_SCORE_EVENTS; i++) {
		e->last[i].time_ns = get64(&p);
		e->last[i].delta_milli = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		                                   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		e->last[i].kind = p[4];
		p += 5;
	}
	if (!isfinite(e->value)) /* a damaged record must not poison comparisons */
		e->value = 0;
	return 0;
}

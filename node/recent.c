/*
 * Recent rumors for listrumors (docs/RPC.md): a subscriber that restarts catches up with a
 * cursor instead of losing what was delivered while it was away.
 *
 * The ring keeps the id and topic of the last HS_RECENT_RUMORS_MAX delivered rumors, each
 * numbered in delivery order (seq 1, 2, ...) within this daemon run; bodies are read back
 * from the core's rumor store, so a rumor past its retention (or evicted by store_max) is
 * gone and is counted as missed, never skipped silently. The seq of rumor s lives in
 * slot[(s - 1) % HS_RECENT_RUMORS_MAX]; the ring holds seqs next_seq - held .. next_seq - 1.
 *
 * A cursor is "RUN-SEQ": RUN is 16 hex digits drawn at random at start (so a cursor from an
 * earlier run or another node is recognised and answered with reset), SEQ the last rumor the
 * client has seen (0: none). The text comes from RPC clients: it is parsed strictly and never
 * trusted to index anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"
#include "overlay/rumor.h"

#define COUNT_DEFAULT 100
#define RUN_DIGITS    16
/* The reply's estimated size for one rumor: data (escaped: at most twice the payload),
 * data_hex (twice) and the fixed fields. */
#define RUMOR_COST(payload_len) (4 * (size_t)(payload_len) + 512)

_Static_assert(HS_RECENT_REPLY_BYTES_MAX <= HS_RPC_BACKLOG_MAX / 2,
               "a listrumors reply leaves room for notifications in a client's backlog");
_Static_assert(RUMOR_COST(HS_RUMOR_PAYLOAD_MAX) < HS_RECENT_REPLY_BYTES_MAX,
               "the largest rumor fits one reply");

struct slot {
	uint8_t id[HS_ID_LEN];
	uint8_t topic_len;
	uint8_t topic[HS_TOPIC_MAX];
};

struct hs_recent {
	uint64_t run;
	uint64_t next_seq; /* the seq the next delivery gets */
	struct slot slot[HS_RECENT_RUMORS_MAX];
};

struct hs_recent *hs_recent_new(uint64_t run)
{
	struct hs_recent *r = calloc(1, sizeof(*r));
	if (r) {
		r->run = run;
		r->next_seq = 1;
	}
	return r;
}

void hs_recent_del(struct hs_recent *r)
{
	free(r);
}

uint64_t hs_recent_run(const struct hs_recent *r)
{
	return r->run;
}

uint64_t hs_recent_last(const struct hs_recent *r)
{
	return r->next_seq - 1;
}

uint64_t hs_recent_oldest(const struct hs_recent *r)
{
	uint64_t held =
	        r->next_seq - 1 < HS_RECENT_RUMORS_MAX ? r->next_seq - 1 : HS_RECENT_RUMORS_MAX;
	return r->next_seq - held;
}

/* Entries overwritten by newer ones: every delivery beyond the ring's size. */
uint64_t hs_recent_evicted(const struct hs_recent *r)
{
	return hs_recent_oldest(r) - 1;
}

void hs_recent_add(struct hs_recent *r, const uint8_t id[HS_ID_LEN], const uint8_t *topic,
                   size_t topic_len)
{
	struct slot *s = &r->slot[(r->next_seq - 1) % HS_RECENT_RUMORS_MAX];
	memcpy(s->id, id, HS_ID_LEN);
	s->topic_len = (uint8_t)(topic_len < HS_TOPIC_MAX ? topic_len : HS_TOPIC_MAX);
	memcpy(s->topic, topic, s->topic_len);
	r->next_seq++;
}

bool hs_recent_get(const struct hs_recent *r, uint64_t seq, uint8_t id[HS_ID_LEN],
                   const uint8_t **topic, size_t *topic_len)
{
	if (seq < hs_recent_oldest(r) || seq >= r->next_seq)
		return false;
	const struct slot *s = &r->slot[(seq - 1) % HS_RECENT_RUMORS_MAX];
	memcpy(id, s->id, HS_ID_LEN);
	*topic = s->topic;
	*topic_len = s->topic_len;
	return true;
}

void hs_recent_cursor_format(char out[HS_RECENT_CURSOR_LEN], uint64_t run, uint64_t seq)
{
	snprintf(out, HS_RECENT_CURSOR_LEN, "%016llx-%llu", (unsigned long long)run,
	         (unsigned long long)seq);
}

bool hs_recent_cursor_parse(const char *s, uint64_t *run, uint64_t *seq)
{
	size_t n = strnlen(s, HS_RECENT_CURSOR_LEN);
	if (n < RUN_DIGITS + 2 || n >= HS_RECENT_CURSOR_LEN || s[RUN_DIGITS] != '-')
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < RUN_DIGITS; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	uint64_t q = 0;
	for (size_t i = RUN_DIGITS + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t digit = (uint64_t)(s[i] - '0');
		if (q > (UINT64_MAX - digit) / 10)
			return false; /* over 64 bits */
		q = q * 10 + digit;
	}
	*run = v;
	*seq = q;
	return true;
}

/* ---- the daemon's side ------------------------------------------------------------------- */

int hs_recent_start(struct hs_daemon *d)
{
	uint64_t run;
	randombytes_buf(&run, sizeof(run));
	d->recent = hs_recent_new(run);
	return d->recent ? 0 : HS_ERR_NOMEM;
}

void hs_recent_stop(struct hs_daemon *d)
{
	hs_recent_del(d->recent);
	d->recent = NULL;
}

void hs_recent_deliver(struct hs_daemon *d, const struct hs_event *ev)
{
	if (d->recent)
		hs_recent_add(d->recent, ev->id, ev->rumor.topic, ev->rumor.topic_len);
}

json_t *hs_recent_cursor_json(const struct hs_daemon *d)
{
	if (!d->recent)
		return json_null();
	char c[HS_RECENT_CURSOR_LEN];
	hs_recent_cursor_format(c, hs_recent_run(d->recent), hs_recent_last(d->recent));
	return json_string(c);
}

static json_t *fail(int *code, const char **message, int c, const char *m)
{
	*code = c;
	*message = m;
	return NULL;
}

/* COUNT: an integer or a decimal string, 1..HS_RECENT_LIST_MAX. */
static bool count_param(json_t *v, uint64_t *out)
{
	if (!v || json_is_null(v))
		return true;
	uint64_t n;
	const char *s = json_string_value(v);
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		n = (uint64_t)json_integer_value(v);
	} else if (s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 9) {
		n = strtoull(s, NULL, 10);
	} else {
		return false;
	}
	if (n < 1 || n > HS_RECENT_LIST_MAX)
		return false;
	*out = n;
	return true;
}

static bool topic_matches(const char *want, size_t wantlen, const uint8_t *topic, size_t topic_len)
{
	return wantlen == 0 || (wantlen == topic_len && memcmp(want, topic, wantlen) == 0);
}

json_t *hs_recent_rpc_list(struct hs_daemon *d, json_t *params, int *code, const char **message)
{
	const struct hs_recent *r = d->recent;
	const char *topic = json_string_value(json_array_get(params, 0));
	json_t *cur = json_array_get(params, 1);
	uint64_t count = COUNT_DEFAULT;
	if (json_array_size(params) > 3 || !topic)
		return fail(code, message, E_PARAMS,
		            "listrumors needs TOPIC (\"\" or \"*\": every topic), then an "
		            "optional CURSOR and COUNT");
	size_t tlen = strcmp(topic, "*") == 0 ? 0 : strlen(topic);
	if (tlen && !hs_name_is_valid(topic, tlen, HS_TOPIC_MAX))
		return fail(code, message, E_PARAMS,
		            "invalid TOPIC (1..64 printable characters, no spaces; \"\" or \"*\" "
		            "for every topic)");
	const char *cs = json_string_value(cur);
	uint64_t run = 0, seq = 0;
	bool have = cs && *cs;
	if (cur && !json_is_null(cur) && !cs)
		return fail(code, message, E_PARAMS,
		            "CURSOR must be a string (as listrumors gave)");
	if (have && !hs_recent_cursor_parse(cs, &run, &seq))
		return fail(code, message, E_PARAMS,
		            "malformed CURSOR: pass the cursor a listrumors reply gave, or \"\" "
		            "for the oldest held");
	if (!count_param(json_array_get(params, 2), &count))
		return fail(code, message, E_PARAMS, "COUNT must be an integer 1..1000");
	if (!r)
		return fail(code, message, E_INTERNAL, "the recent-rumor ring is not running");

	uint64_t oldest = hs_recent_oldest(r), last = hs_recent_last(r);
	/* A cursor of another run (or another node), or past what this run delivered, is not
	 * ours: start again at the oldest held and say so. */
	bool reset = have && (run != hs_recent_run(r) || seq > last);
	uint64_t from = have && !reset ? seq + 1 : oldest;
	uint64_t overflow = 0, expired = 0;
	if (from < oldest) {
		overflow = oldest - from; /* of any topic: the ring no longer knows theirs */
		from = oldest;
	}
	json_t *list = json_array();
	uint64_t at = from > last ? last : from - 1; /* the last seq the reply covers */
	size_t bytes = 0;
	bool more = false;
	for (uint64_t s = from; s <= last; s++) {
		uint8_t id[HS_ID_LEN];
		const uint8_t *t, *enc;
		size_t tl, enclen;
		struct hs_rumor rm;
		if (!hs_recent_get(r, s, id, &t, &tl) || !topic_matches(topic, tlen, t, tl))
			goto covered;
		if (json_array_size(list) == count) {
			more = true;
			break;
		}
		if (hs_node_get_rumor(d->node, id, &enc, &enclen) != 0 ||
		    hs_rumor_decode(&rm, enc, enclen) != 0) {
			expired++; /* past retention, or evicted from the store */
			goto covered;
		}
		if (json_array_size(list) > 0 &&
		    bytes + RUMOR_COST(rm.payload_len) > HS_RECENT_REPLY_BYTES_MAX) {
			more = true;
			break;
		}
		bytes += RUMOR_COST(rm.payload_len);
		json_t *o = hs_rumor_json(&rm, id);
		char c[HS_RECENT_CURSOR_LEN];
		hs_recent_cursor_format(c, hs_recent_run(r), s);
		json_object_set_new(o, "cursor", json_string(c));
		json_array_append_new(list, o);
	covered:
		at = s;
	}
	char c[HS_RECENT_CURSOR_LEN];
	hs_recent_cursor_format(c, hs_recent_run(r), at);
	return json_pack("{s:o, s:s, s:I, s:I, s:I, s:b, s:b, s:I, s:I}", "rumors", list, "cursor",
	                 c, "missed", (json_int_t)(overflow + expired), "missed_overflow",
	                 (json_int_t)overflow, "missed_expired", (json_int_t)expired, "reset",
	                 reset, "more", more, "held", (json_int_t)(last + 1 - oldest), "evicted",
	                 (json_int_t)hs_recent_evicted(r));
}

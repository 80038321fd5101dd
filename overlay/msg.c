/* Frames: canonical encoding of every message type (see overlay/msg.h). */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "overlay/msg.h"

/* The family byte of a hello your_addr that the sender does not know. */
#define ADDR_UNKNOWN 0

/* Flag bits this version understands. */
#define HELLO_FLAGS_KNOWN ((uint8_t)HS_HELLO_ALL_TOPICS)

/* Rationale: the largest frames of fixed shape must fit one Noise message, or a valid
 * maximal inv or rumor could never be sent. */
_Static_assert(1 + 2 + (size_t)HS_INV_MAX * HS_INV_ITEM_LEN <= HS_FRAME_MAX,
               "a full inv fits one frame");
_Static_assert(1 + HS_KEY_LEN + 1 + HS_TOPIC_MAX + 8 + 3 + HS_RUMOR_PAYLOAD_MAX + HS_SIG_LEN <=
                       HS_FRAME_MAX,
               "a maximal rumor fits one frame");
_Static_assert(1 + 3 + (size_t)HS_ADDR_MAX * (2 + HS_RECORD_MAX) <= HS_FRAME_MAX,
               "a full addr answer fits one frame");

/* ---- shared pieces -------------------------------------------------------------------- */

/* Topic order: bytewise, then the shorter first when one is a prefix of the other. */
static int name_cmp(const struct hs_name *a, const struct hs_name *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->p, b->p, n) : 0;
	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

static bool text_is_valid(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

static bool inv_kind_is_known(uint8_t kind)
{
	return kind == HS_INV_RUMOR || kind == HS_INV_STATE;
}

static bool your_addr_is_valid(const struct hs_netaddr *a)
{
	if (a->family != ADDR_UNKNOWN)
		return hs_netaddr_is_valid(a);
	static const struct hs_netaddr zero;
	return a->port == 0 && memcmp(a->ip, zero.ip, sizeof(a->ip)) == 0;
}

/* ---- decoding ------------------------------------------------------------------------- */

static void read_topics(struct hs_reader *r, struct hs_msg_hello *h)
{
	h->ntopics = (size_t)hs_read_varint(r, HS_HELLO_TOPICS_MAX);
	if (h->ntopics > 0 && (h->flags & HS_HELLO_ALL_TOPICS))
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
	for (size_t i = 0; i < h->ntopics && r->err == 0; i++) {
		h->topics[i].p = hs_read_name(r, &h->topics[i].len, HS_TOPIC_MAX);
		/* Rationale: a sorted, duplicate-free list is the one encoding of a topic set. */
		if (r->err == 0 && i > 0 && name_cmp(&h->topics[i - 1], &h->topics[i]) >= 0)
			hs_reader_fail(r, HS_ERR_NONCANONICAL);
	}
}

static void read_hello(struct hs_reader *r, struct hs_msg_hello *h)
{
	h->version = hs_read_u16(r);
	h->network.p = hs_read_name(r, &h->network.len, HS_NETWORK_MAX);
	size_t start = r->pos;
	hs_record_read(r, &h->record);
	if (r->err == 0) {
		h->record_enc = r->data + start;
		h->record_enclen = r->pos - start;
	}
	h->time_ms = hs_read_u64(r);
	if (r->err == 0 && hs_reader_left(r) > 0 && r->data[r->pos] == ADDR_UNKNOWN)
		(void)hs_read_u8(r);
	else
		hs_netaddr_read(r, &h->your_addr);
	h->flags = hs_read_u8(r);
	if (r->err == 0 && (h->flags & ~HELLO_FLAGS_KNOWN) != 0)
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
	read_topics(r, h);
}

static void read_inv(struct hs_reader *r, struct hs_msg_inv *inv)
{
	inv->count = (size_t)hs_read_varint(r, HS_INV_MAX);
	if (r->err == 0 && inv->count == 0)
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
	inv->items = hs_read_fixed(r, inv->count * HS_INV_ITEM_LEN);
	for (size_t i = 0; inv->items && i < inv->count; i++) {
		if (!inv_kind_is_known(inv->items[i * HS_INV_ITEM_LEN])) {
			hs_reader_fail(r, HS_ERR_UNKNOWN_TYPE);
			break;
		}
	}
}

static void read_rumor(struct hs_reader *r, struct hs_msg_rumor *m)
{
	size_t start = r->pos;
	hs_rumor_read(r, &m->rumor);
	if (r->err == 0) {
		m->enc = r->data + start;
		m->enclen = r->pos - start;
	}
}

static void read_state(struct hs_reader *r, struct hs_msg_state *s)
{
	s->count = (size_t)hs_read_varint(r, HS_STATE_BATCH_MAX);
	if (r->err == 0 && s->count == 0)
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
	for (size_t i = 0; i < s->count && r->err == 0; i++) {
		size_t start = r->pos;
		hs_entry_read(r, &s->entries[i]);
		s->enc[i] = r->data + start;
		s->enclen[i] = r->pos - start;
	}
}

/* Bytewise order of two encodings, a shorter prefix first. */
static int enc_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

/* Whether two entries are for one slot (origin, key, generation, version). */
static bool same_slot(const struct hs_entry *a, const struct hs_entry *b)
{
	return memcmp(a->origin, b->origin, HS_KEY_LEN) == 0 && a->key_len == b->key_len &&
	       (a->key_len == 0 || memcmp(a->key, b->key, a->key_len) == 0) &&
	       a->generation == b->generation && a->version == b->version;
}

static void read_equivocation(struct hs_reader *r, struct hs_msg_equivocation *q)
{
	size_t start = r->pos;
	hs_entry_read(r, &q->a);
	q->enc_a = r->data + start;
	q->len_a = r->pos - start;
	start = r->pos;
	hs_entry_read(r, &q->b);
	q->enc_b = r->data + start;
	q->len_b = r->pos - start;
	if (r->err)
		return;
	if (!same_slot(&q->a, &q->b))
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
	else if (enc_cmp(q->enc_a, q->len_a, q->enc_b, q->len_b) >= 0)
		hs_reader_fail(r, HS_ERR_NONCANONICAL); /* equal bytes prove nothing */
}

static void read_disconnect(struct hs_reader *r, struct hs_msg_disconnect *d)
{
	d->reason = hs_read_u8(r);
	d->text.p = hs_read_bytes(r, &d->text.len, HS_REASON_MAX);
	if (d->text.p && !text_is_valid(d->text.p, d->text.len))
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
}

static void read_addr(struct hs_reader *r, struct hs_msg_addr *a)
{
	a->count = (size_t)hs_read_varint(r, HS_ADDR_MAX);
	if (r->err == 0 && a->count == 0)
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
	for (size_t i = 0; i < a->count && r->err == 0; i++)
		hs_record_read(r, &a->records[i]);
}

static void read_pull(struct hs_reader *r, struct hs_msg_pull *pl)
{
	const uint8_t *salt = hs_read_fixed(r, sizeof(pl->salt));
	if (salt)
		memcpy(pl->salt, salt, sizeof(pl->salt));
	pl->since_ms = hs_read_u64(r);
	pl->count = (size_t)hs_read_varint(r, HS_PULL_IDS_MAX);
	pl->ids = hs_read_fixed(r, pl->count * 8);
	/* Rationale: strictly ascending is the one encoding of a set, and lets the receiver
	 * search it without sorting or allocating. */
	for (size_t i = 1; pl->ids && i < pl->count; i++) {
		if (hs_pull_id(pl, i - 1) >= hs_pull_id(pl, i)) {
			hs_reader_fail(r, HS_ERR_NONCANONICAL);
			break;
		}
	}
}

static void read_sync(struct hs_reader *r, struct hs_msg_sync *sy)
{
	sy->count = (size_t)hs_read_varint(r, HS_SYNC_ORIGINS_MAX);
	sy->items = hs_read_fixed(r, sy->count * HS_SYNC_ITEM_LEN);
	for (size_t i = 1; sy->items && i < sy->count; i++) {
		if (memcmp(sy->items + (i - 1) * HS_SYNC_ITEM_LEN, sy->items + i * HS_SYNC_ITEM_LEN,
		           HS_KEY_LEN) >= 0) {
			hs_reader_fail(r, HS_ERR_NONCANONICAL);
			break;
		}
	}
}

static bool push_mode_is_known(uint8_t mode)
{
	return mode == HS_PUSH_PRUNE || mode == HS_PUSH_GRAFT || mode == HS_PUSH_DECLINE;
}

static void read_push(struct hs_reader *r, struct hs_msg_push *pu)
{
	pu->mode = hs_read_u8(r);
	/* Rationale: one byte, three meanings; anything else is not a frame this version sent. */
	if (r->err == 0 && !push_mode_is_known(pu->mode))
		hs_reader_fail(r, HS_ERR_BAD_VALUE);
}

static void read_body(struct hs_reader *r, struct hs_msg *m)
{
	switch (m->type) {
	case HS_MSG_HELLO:
		read_hello(r, &m->u.hello);
		break;
	case HS_MSG_PING:
	case HS_MSG_PONG:
		m->u.ping.nonce = hs_read_u64(r);
		break;
	case HS_MSG_INV:
	case HS_MSG_GETDATA:
	case HS_MSG_NOTFOUND:
		read_inv(r, &m->u.inv);
		break;
	case HS_MSG_RUMOR:
		read_rumor(r, &m->u.rumor);
		break;
	case HS_MSG_STATE:
		read_state(r, &m->u.state);
		break;
	case HS_MSG_DISCONNECT:
		read_disconnect(r, &m->u.disconnect);
		break;
	case HS_MSG_GETADDR:
		break;
	case HS_MSG_ADDR:
		read_addr(r, &m->u.addr);
		break;
	case HS_MSG_PULL:
		read_pull(r, &m->u.pull);
		break;
	case HS_MSG_SYNC:
		read_sync(r, &m->u.sync);
		break;
	case HS_MSG_PUSH:
		read_push(r, &m->u.push);
		break;
	case HS_MSG_EQUIVOCATION:
		read_equivocation(r, &m->u.equivocation);
		break;
	default:
		hs_reader_fail(r, HS_ERR_UNKNOWN_TYPE); /* no-op on an empty frame: truncated */
		break;
	}
}

int hs_msg_decode(struct hs_msg *m, const uint8_t *frame, size_t framelen)
{
	memset(m, 0, sizeof(*m));
	/* Rationale: the size check comes first, so an oversize frame costs nothing more. */
	if (framelen > HS_FRAME_MAX) {
		m->type = frame[0];
		return HS_ERR_TOO_LARGE;
	}
	struct hs_reader r;
	hs_reader_init(&r, frame, framelen);
	m->type = hs_read_u8(&r);
	read_body(&r, m);
	int err = hs_reader_end(&r);
	if (err)
		memset(&m->u, 0, sizeof(m->u));
	return err;
}

/* ---- encoding ------------------------------------------------------------------------- */

static bool hello_is_valid(const struct hs_msg_hello *h)
{
	if (!h->network.p || !hs_name_is_valid(h->network.p, h->network.len, HS_NETWORK_MAX))
		return false;
	if (!your_addr_is_valid(&h->your_addr) || (h->flags & ~HELLO_FLAGS_KNOWN) != 0)
		return false;
	if (h->ntopics > HS_HELLO_TOPICS_MAX ||
	    (h->ntopics > 0 && (h->flags & HS_HELLO_ALL_TOPICS)))
		return false;
	for (size_t i = 0; i < h->ntopics; i++) {
		const struct hs_name *t = &h->topics[i];
		if (!t->p || !hs_name_is_valid(t->p, t->len, HS_TOPIC_MAX))
			return false;
		if (i > 0 && name_cmp(&h->topics[i - 1], t) >= 0)
			return false;
	}
	return true; /* the record is checked by hs_record_write */
}

static void write_hello(struct hs_writer *w, const struct hs_msg_hello *h)
{
	if (!hello_is_valid(h)) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_u16(w, h->version);
	hs_write_bytes(w, h->network.p, h->network.len);
	hs_record_write(w, &h->record);
	hs_write_u64(w, h->time_ms);
	if (h->your_addr.family == ADDR_UNKNOWN)
		hs_write_u8(w, ADDR_UNKNOWN);
	else
		hs_netaddr_write(w, &h->your_addr);
	hs_write_u8(w, h->flags);
	hs_write_varint(w, h->ntopics);
	for (size_t i = 0; i < h->ntopics; i++)
		hs_write_bytes(w, h->topics[i].p, h->topics[i].len);
}

static void write_inv(struct hs_writer *w, const struct hs_msg_inv *inv)
{
	bool ok = inv->count >= 1 && inv->count <= HS_INV_MAX && inv->items;
	for (size_t i = 0; ok && i < inv->count; i++)
		ok = inv_kind_is_known(inv->items[i * HS_INV_ITEM_LEN]);
	if (!ok) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_varint(w, inv->count);
	hs_write_fixed(w, inv->items, inv->count * HS_INV_ITEM_LEN);
}

static void write_state(struct hs_writer *w, const struct hs_msg_state *s)
{
	if (s->count < 1 || s->count > HS_STATE_BATCH_MAX) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_varint(w, s->count);
	for (size_t i = 0; i < s->count; i++)
		hs_entry_write(w, &s->entries[i]);
}

static void write_equivocation(struct hs_writer *w, const struct hs_msg_equivocation *q)
{
	if (!same_slot(&q->a, &q->b)) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	size_t sa = w->len;
	hs_entry_write(w, &q->a);
	size_t sb = w->len;
	hs_entry_write(w, &q->b);
	if (w->err == 0 && enc_cmp(w->data + sa, sb - sa, w->data + sb, w->len - sb) >= 0)
		hs_writer_fail(w, HS_ERR_INVALID);
}

static void write_disconnect(struct hs_writer *w, const struct hs_msg_disconnect *d)
{
	const struct hs_name *t = &d->text;
	if (t->len > HS_REASON_MAX || (!t->p && t->len > 0) ||
	    (t->p && !text_is_valid(t->p, t->len))) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_u8(w, d->reason);
	hs_write_bytes(w, t->p, t->len);
}

static void write_addr(struct hs_writer *w, const struct hs_msg_addr *a)
{
	if (a->count < 1 || a->count > HS_ADDR_MAX) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_varint(w, a->count);
	for (size_t i = 0; i < a->count; i++)
		hs_record_write(w, &a->records[i]);
}

static void write_pull(struct hs_writer *w, const struct hs_msg_pull *pl)
{
	bool ok = pl->count <= HS_PULL_IDS_MAX && (pl->ids || pl->count == 0);
	for (size_t i = 1; ok && i < pl->count; i++)
		ok = hs_pull_id(pl, i - 1) < hs_pull_id(pl, i);
	if (!ok) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_fixed(w, pl->salt, sizeof(pl->salt));
	hs_write_u64(w, pl->since_ms);
	hs_write_varint(w, pl->count);
	hs_write_fixed(w, pl->ids, pl->count * 8);
}

static void write_sync(struct hs_writer *w, const struct hs_msg_sync *sy)
{
	bool ok = sy->count <= HS_SYNC_ORIGINS_MAX && (sy->items || sy->count == 0);
	for (size_t i = 1; ok && i < sy->count; i++)
		ok = memcmp(sy->items + (i - 1) * HS_SYNC_ITEM_LEN,
		            sy->items + i * HS_SYNC_ITEM_LEN, HS_KEY_LEN) < 0;
	if (!ok) {
		hs_writer_fail(w, HS_ERR_INVALID);
		return;
	}
	hs_write_varint(w, sy->count);
	hs_write_fixed(w, sy->items, sy->count * HS_SYNC_ITEM_LEN);
}

static void write_body(struct hs_writer *w, const struct hs_msg *m)
{
	switch (m->type) {
	case HS_MSG_HELLO:
		write_hello(w, &m->u.hello);
		break;
	case HS_MSG_PING:
	case HS_MSG_PONG:
		hs_write_u64(w, m->u.ping.nonce);
		break;
	case HS_MSG_INV:
	case HS_MSG_GETDATA:
	case HS_MSG_NOTFOUND:
		write_inv(w, &m->u.inv);
		break;
	case HS_MSG_RUMOR:
		hs_rumor_write(w, &m->u.rumor.rumor);
		break;
	case HS_MSG_STATE:
		write_state(w, &m->u.state);
		break;
	case HS_MSG_DISCONNECT:
		write_disconnect(w, &m->u.disconnect);
		break;
	case HS_MSG_GETADDR:
		break;
	case HS_MSG_ADDR:
		write_addr(w, &m->u.addr);
		break;
	case HS_MSG_PULL:
		write_pull(w, &m->u.pull);
		break;
	case HS_MSG_SYNC:
		write_sync(w, &m->u.sync);
		break;
	case HS_MSG_EQUIVOCATION:
		write_equivocation(w, &m->u.equivocation);
		break;
	case HS_MSG_PUSH:
		if (push_mode_is_known(m->u.push.mode))
			hs_write_u8(w, m->u.push.mode);
		else
			hs_writer_fail(w, HS_ERR_INVALID);
		break;
	default:
		hs_writer_fail(w, HS_ERR_INVALID);
		break;
	}
}

int hs_msg_encode(const struct hs_msg *m, uint8_t *out, size_t outcap, size_t *outlen)
{
	/* Writing into at most HS_FRAME_MAX bytes: an overflow then means the frame itself is
	 * too large (HS_ERR_INVALID) unless the caller's buffer was the smaller bound. */
	bool capped = outcap >= HS_FRAME_MAX;
	struct hs_writer w;
	hs_writer_init(&w, out, capped ? HS_FRAME_MAX : outcap);
	hs_write_u8(&w, m->type);
	write_body(&w, m);
	int err = hs_writer_end(&w);
	if (err == HS_ERR_BUFFER && capped)
		err = HS_ERR_INVALID;
	if (err == 0)
		*outlen = w.len;
	return err;
}

void hs_inv_item(const struct hs_msg_inv *inv, size_t i, uint8_t *kind, const uint8_t **id)
{
	if (i >= inv->count)
		abort(); /* the caller's bug: never reachable from peer bytes */
	const uint8_t *item = inv->items + i * HS_INV_ITEM_LEN;
	*kind = item[0];
	*id = item + 1;
}

uint64_t hs_pull_id(const struct hs_msg_pull *pull, size_t i)
{
	if (i >= pull->count)
		abort(); /* the caller's bug: never reachable from peer bytes */
	const uint8_t *p = pull->ids + 8 * i;
	uint64_t v = 0;
	for (unsigned b = 0; b < 8; b++)
		v |= (uint64_t)p[b] << (8 * b);
	return v;
}

bool hs_pull_has(const struct hs_msg_pull *pull, uint64_t sid)
{
	size_t lo = 0, hi = pull->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t v = hs_pull_id(pull, mid);
		if (v == sid)
			return true;
		if (v < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned b = 0; b < 8; b++)
		v |= (uint64_t)p[b] << (8 * b);
	return v;
}

void hs_sync_item(const struct hs_msg_sync *sync, size_t i, const uint8_t **origin,
                  uint64_t *generation, uint64_t *version)
{
	if (i >= sync->count)
		abort(); /* the caller's bug: never reachable from peer bytes */
	const uint8_t *it = sync->items + i * HS_SYNC_ITEM_LEN;
	*origin = it;
	*generation = le64(it + HS_KEY_LEN);
	*version = le64(it + HS_KEY_LEN + 8);
}

bool hs_sync_find(const struct hs_msg_sync *sync, const uint8_t origin[HS_KEY_LEN],
                  uint64_t *generation, uint64_t *version)
{
	size_t lo = 0, hi = sync->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const uint8_t *o;
		hs_sync_item(sync, mid, &o, generation, version);
		int c = memcmp(o, origin, HS_KEY_LEN);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

const char *hs_msg_type_name(uint8_t type)
{
	static const char *const names[] = {
		[HS_MSG_HELLO] = "hello",
		[HS_MSG_PING] = "ping",
		[HS_MSG_PONG] = "pong",
		[HS_MSG_INV] = "inv",
		[HS_MSG_GETDATA] = "getdata",
		[HS_MSG_NOTFOUND] = "notfound",
		[HS_MSG_RUMOR] = "rumor",
		[HS_MSG_STATE] = "state",
		[HS_MSG_DISCONNECT] = "disconnect",
		[HS_MSG_GETADDR] = "getaddr",
		[HS_MSG_ADDR] = "addr",
		[HS_MSG_PULL] = "pull",
		[HS_MSG_SYNC] = "sync",
		[HS_MSG_PUSH] = "push",
		[HS_MSG_EQUIVOCATION] = "equivocation",
	};
	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}

const char *hs_reason_name(uint8_t reason)
{
	static const char *const names[] = {
		[HS_REASON_OTHER] = "other",         [HS_REASON_PROTOCOL] = "protocol",
		[HS_REASON_NETWORK] = "network",     [HS_REASON_VERSION] = "version",
		[HS_REASON_DUPLICATE] = "duplicate", [HS_REASON_FULL] = "full",
		[HS_REASON_BANNED] = "banned",       [HS_REASON_SHUTDOWN] = "shutdown",
		[HS_REASON_TIMEOUT] = "timeout",     [HS_REASON_MISBEHAVING] = "misbehaving",
		[HS_REASON_EVICTED] = "evicted",     [HS_REASON_SELF] = "self",
	};
	if (reason < sizeof(names) / sizeof(names[0]))
		return names[reason];
	return "other";
}

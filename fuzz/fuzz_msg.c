/*
 * libFuzzer target: frames. A decoded frame must be canonical: re-encoding gives the input
 * bytes (one encoding per message), decoding those gives an equal message, and every
 * borrowed pointer and exposed encoding lies inside the frame.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[HS_FRAME_MAX];
static struct hs_msg m, again;

static bool bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool record_eq(const struct hs_record *a, const struct hs_record *b)
{
	bool ok = memcmp(a->id, b->id, 32) == 0 && a->seq == b->seq &&
	          a->generation == b->generation && a->time_s == b->time_s &&
	          a->services == b->services && a->naddrs == b->naddrs &&
	          memcmp(a->sig, b->sig, 64) == 0;
	for (size_t i = 0; ok && i < a->naddrs; i++)
		ok = hs_netaddr_equal(&a->addrs[i], &b->addrs[i]);
	return ok;
}

static bool hello_eq(const struct hs_msg_hello *x, const struct hs_msg_hello *y)
{
	bool ok = x->version == y->version &&
	          bytes_eq(x->network.p, x->network.len, y->network.p, y->network.len) &&
	          record_eq(&x->record, &y->record) && x->record_enclen == y->record_enclen &&
	          memcmp(&x->your_addr, &y->your_addr, sizeof(x->your_addr)) == 0 &&
	          x->flags == y->flags && x->time_ms == y->time_ms && x->ntopics == y->ntopics;
	for (size_t i = 0; ok && i < x->ntopics; i++)
		ok = bytes_eq(x->topics[i].p, x->topics[i].len, y->topics[i].p, y->topics[i].len);
	return ok;
}

static bool entry_eq(const struct hs_entry *a, const struct hs_entry *b)
{
	return memcmp(a->origin, b->origin, 32) == 0 &&
	       bytes_eq(a->key, a->key_len, b->key, b->key_len) && a->generation == b->generation &&
	       a->version == b->version && a->kind == b->kind &&
	       bytes_eq(a->value, a->value_len, b->value, b->value_len) &&
	       memcmp(a->sig, b->sig, 64) == 0;
}

static bool rumor_eq(const struct hs_rumor *x, const struct hs_rumor *y)
{
	return memcmp(x->origin, y->origin, 32) == 0 &&
	       bytes_eq(x->topic, x->topic_len, y->topic, y->topic_len) &&
	       x->time_ms == y->time_ms &&
	       bytes_eq(x->payload, x->payload_len, y->payload, y->payload_len) &&
	       memcmp(x->sig, y->sig, 64) == 0;
}

static bool msg_eq(const struct hs_msg *a, const struct hs_msg *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case HS_MSG_HELLO:
		return hello_eq(&a->u.hello, &b->u.hello);
	case HS_MSG_PING:
	case HS_MSG_PONG:
		return a->u.ping.nonce == b->u.ping.nonce;
	case HS_MSG_INV:
	case HS_MSG_GETDATA:
	case HS_MSG_NOTFOUND:
		return bytes_eq(a->u.inv.items, a->u.inv.count * HS_INV_ITEM_LEN, b->u.inv.items,
		                b->u.inv.count * HS_INV_ITEM_LEN);
	case HS_MSG_RUMOR:
		return rumor_eq(&a->u.rumor.rumor, &b->u.rumor.rumor) &&
		       a->u.rumor.enclen == b->u.rumor.enclen;
	case HS_MSG_STATE: {
		bool ok = a->u.state.count == b->u.state.count;
		for (size_t i = 0; ok && i < a->u.state.count; i++)
			ok = entry_eq(&a->u.state.entries[i], &b->u.state.entries[i]) &&
			     a->u.state.enclen[i] == b->u.state.enclen[i];
		return ok;
	}
	case HS_MSG_DISCONNECT:
		return a->u.disconnect.reason == b->u.disconnect.reason &&
		       bytes_eq(a->u.disconnect.text.p, a->u.disconnect.text.len,
		                b->u.disconnect.text.p, b->u.disconnect.text.len);
	case HS_MSG_GETADDR:
		return true;
	case HS_MSG_ADDR: {
		bool ok = a->u.addr.count == b->u.addr.count;
		for (size_t i = 0; ok && i < a->u.addr.count; i++)
			ok = record_eq(&a->u.addr.records[i], &b->u.addr.records[i]);
		return ok;
	}
	case HS_MSG_SYNC:
		return bytes_eq(a->u.sync.items, a->u.sync.count * HS_SYNC_ITEM_LEN,
		                b->u.sync.items, b->u.sync.count * HS_SYNC_ITEM_LEN);
	case HS_MSG_PULL:
		return memcmp(a->u.pull.salt, b->u.pull.salt, 16) == 0 &&
		       a->u.pull.since_ms == b->u.pull.since_ms &&
		       bytes_eq(a->u.pull.ids, a->u.pull.count * 8, b->u.pull.ids,
		                b->u.pull.count * 8);
	case HS_MSG_PUSH:
		return a->u.push.mode == b->u.push.mode;
	default:
		return false;
	}
}

static bool inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t size)
{
	return p >= buf && n <= size && (size_t)(p - buf) <= size - n;
}

/* Exposed encodings lie in the frame and decode to the object beside them. */
static bool encodings_ok(const struct hs_msg *msg, const uint8_t *data, size_t size)
{
	struct hs_record rec;
	struct hs_rumor rm;
	struct hs_entry e;
	switch (msg->type) {
	case HS_MSG_HELLO:
		return inside(msg->u.hello.record_enc, msg->u.hello.record_enclen, data, size) &&
		       hs_record_decode(&rec, msg->u.hello.record_enc,
		                        msg->u.hello.record_enclen) == 0 &&
		       record_eq(&rec, &msg->u.hello.record);
	case HS_MSG_RUMOR:
		return inside(msg->u.rumor.enc, msg->u.rumor.enclen, data, size) &&
		       hs_rumor_decode(&rm, msg->u.rumor.enc, msg->u.rumor.enclen) == 0 &&
		       rumor_eq(&rm, &msg->u.rumor.rumor);
	case HS_MSG_SYNC:
		return msg->u.sync.count == 0 ||
		       inside(msg->u.sync.items, msg->u.sync.count * HS_SYNC_ITEM_LEN, data, size);
	case HS_MSG_PULL:
		return msg->u.pull.count == 0 ||
		       inside(msg->u.pull.ids, msg->u.pull.count * 8, data, size);
	case HS_MSG_PUSH: /* one byte, one of three modes: its only encoding is the input */
		return size == 2 && msg->u.push.mode == data[1] && msg->u.push.mode <= 2;
	case HS_MSG_STATE:
		for (size_t i = 0; i < msg->u.state.count; i++) {
			const uint8_t *p = msg->u.state.enc[i];
			size_t n = msg->u.state.enclen[i];
			if (!inside(p, n, data, size) || hs_entry_decode(&e, p, n) != 0 ||
			    !entry_eq(&e, &msg->u.state.entries[i]))
				return false;
		}
		return true;
	default:
		return true;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (hs_msg_decode(&m, data, size) != 0)
		return 0;
	if (size == 0 || size > HS_FRAME_MAX || m.type != data[0] || !encodings_ok(&m, data, size))
		abort();
	size_t len = 0;
	if (hs_msg_encode(&m, out, sizeof(out), &len) != 0 || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	if (hs_msg_decode(&again, out, len) != 0 || !msg_eq(&m, &again))
		abort();
	return 0;
}

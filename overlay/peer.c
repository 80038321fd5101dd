/*
 * Sessions: TCP framing, the Noise handshake, the encrypted transport, hello, ping, timeouts,
 * faults and closing.
 *
 * On TCP every Noise message (handshake or transport) is one frame: length u16 LE (1..65535)
 * then that many bytes. Until the handshake completes a peer is unauthenticated, so its frames
 * are capped at HS_HANDSHAKE_MSG_MAX and it can make us buffer no more than that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_impl.h"

#define BUF_KEEP 4096 /* a drained buffer larger than this is released */

/* ---- byte buffers and item queues ---------------------------------------------------- */

static bool buf_reserve(struct bytebuf *b, size_t extra)
{
	if (b->off > 0 && b->len + extra > b->cap) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + extra <= b->cap)
		return true;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + extra)
		ncap *= 2;
	uint8_t *n = realloc(b->data, ncap);
	if (!n)
		return false;
	b->data = n;
	b->cap = ncap;
	return true;
}

static void buf_reset(struct bytebuf *b)
{
	b->off = b->len = 0;
	if (b->cap > BUF_KEEP) {
		free(b->data);
		b->data = NULL;
		b->cap = 0;
	}
}

static void buf_free(struct bytebuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

bool hs_itemq_push(struct itemq *q, uint8_t kind, const uint8_t id[HS_ID_LEN])
{
	if (q->count >= q->max)
		return false;
	if (q->count == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 16;
		if (ncap > q->max)
			ncap = q->max;
		uint8_t *n = malloc(ncap * HS_INV_ITEM_LEN);
		if (!n)
			return false;
		for (size_t i = 0; i < q->count; i++)
			memcpy(n + i * HS_INV_ITEM_LEN,
			       q->items + ((q->head + i) % q->cap) * HS_INV_ITEM_LEN,
			       HS_INV_ITEM_LEN);
		free(q->items);
		q->items = n;
		q->cap = ncap;
		q->head = 0;
	}
	uint8_t *it = q->items + ((q->head + q->count) % q->cap) * HS_INV_ITEM_LEN;
	it[0] = kind;
	memcpy(it + 1, id, HS_ID_LEN);
	q->count++;
	return true;
}

size_t hs_itemq_pop(struct itemq *q, uint8_t *out, size_t max)
{
	size_t n = 0;
	for (; n < max && q->count > 0; n++) {
		memcpy(out + n * HS_INV_ITEM_LEN, q->items + q->head * HS_INV_ITEM_LEN,
		       HS_INV_ITEM_LEN);
		q->head = (q->head + 1) % q->cap;
		q->count--;
	}
	if (q->count == 0 && q->cap > 64) {
		free(q->items);
		q->items = NULL;
		q->cap = q->head = 0;
	}
	return n;
}

void hs_itemq_free(struct itemq *q)
{
	free(q->items);
	q->items = NULL;
	q->head = q->count = q->cap = 0;
}

/* ---- output ---------------------------------------------------------------------------- */

size_t hs_peer_pending(const struct peer *p)
{
	return p->out.len - p->out.off;
}

static void count_out(struct hs_node *node, struct peer *p, uint8_t type, size_t wire)
{
	node->stats.msgs_out[type < 16 ? type : 0]++;
	node->stats.bytes_out += wire;
	p->msgs_out++;
	p->bytes_out += wire;
}

/* Queues one frame as is (handshake messages). */
static bool send_raw(struct hs_node *node, struct peer *p, const uint8_t *msg, size_t len)
{
	if (len == 0 || len > HS_NOISE_MSG_MAX || !buf_reserve(&p->out, 2 + len))
		return false;
	uint8_t *d = p->out.data + p->out.len;
	d[0] = (uint8_t)len;
	d[1] = (uint8_t)(len >> 8);
	memcpy(d + 2, msg, len);
	p->out.len += 2 + len;
	node->stats.bytes_out += 2 + len;
	p->bytes_out += 2 + len;
	return true;
}

/* An upper bound on m's encoding, so the frame can be encoded in place. */
static size_t frame_bound(const struct hs_msg *m)
{
	size_t n = 16; /* type and small fields */
	switch (m->type) {
	case HS_MSG_HELLO:
		n += 2 + 1 + HS_NETWORK_MAX + HS_RECORD_MAX + 8 + 20 + 2 +
		     m->u.hello.ntopics * (1 + HS_TOPIC_MAX);
		break;
	case HS_MSG_INV:
	case HS_MSG_GETDATA:
	case HS_MSG_NOTFOUND:
		n += 3 + m->u.inv.count * HS_INV_ITEM_LEN;
		break;
	case HS_MSG_RUMOR:
		n += hs_rumor_encoded_len(&m->u.rumor.rumor);
		break;
	case HS_MSG_STATE:
		for (size_t i = 0; i < m->u.state.count; i++)
			n += hs_entry_encoded_len(&m->u.state.entries[i]);
		break;
	case HS_MSG_EQUIVOCATION:
		n += hs_entry_encoded_len(&m->u.equivocation.a) +
		     hs_entry_encoded_len(&m->u.equivocation.b);
		break;
	case HS_MSG_DISCONNECT:
		n += 2 + m->u.disconnect.text.len;
		break;
	case HS_MSG_ADDR:
		n += 3 + m->u.addr.count * HS_RECORD_MAX;
		break;
	case HS_MSG_PULL:
		n += 16 + 8 + 3 + m->u.pull.count * 8;
		break;
	case HS_MSG_SYNC:
		n += 3 + m->u.sync.count * HS_SYNC_ITEM_LEN;
		break;
	default:
		break;
	}
	return n < HS_FRAME_MAX ? n : HS_FRAME_MAX;
}

/* Encrypts the plaintext frame of plen bytes at the tail of p->out (after room for the length)
 * in place and queues it; the caller reserved 2 + bound + HS_NOISE_TAG_LEN bytes. */
static bool seal(struct hs_node *node, struct peer *p, uint8_t type, size_t plen, size_t bound)
{
	uint8_t *d = p->out.data + p->out.len;
	size_t clen;
	if (hs_transport_encrypt(p->tr, d + 2, bound + HS_NOISE_TAG_LEN, &clen, d + 2, plen) != 0)
		return false; /* nonce exhausted after 2^64 frames: the session cannot go on */
	d[0] = (uint8_t)clen;
	d[1] = (uint8_t)(clen >> 8);
	p->out.len += 2 + clen;
	count_out(node, p, type, 2 + clen);
	return true;
}

static bool send_msg(struct hs_node *node, struct peer *p, const struct hs_msg *m)
{
	if (!p->tr)
		return false;
	size_t bound = frame_bound(m);
	if (!buf_reserve(&p->out, 2 + bound + HS_NOISE_TAG_LEN))
		return false;
	uint8_t *d = p->out.data + p->out.len;
	size_t plen;
	if (hs_msg_encode(m, d + 2, bound, &plen) != 0) {
		hs_node_log(node, HS_LOG_ERROR, "cannot encode %s", hs_msg_type_name(m->type));
		return false;
	}
	if (node->caps.filter_out &&
	    !node->caps.filter_out(node->caps.ctx, p->handle, d + 2, plen)) {
		node->stats.msgs_filtered++; /* an adversarial driver withheld it: as if sent */
		return true;
	}
	return seal(node, p, m->type, plen, bound);
}

bool hs_peer_send_plain(struct hs_node *node, struct peer *p, const uint8_t *msg, size_t len)
{
	if (!p->tr || len == 0 || len > HS_FRAME_MAX ||
	    !buf_reserve(&p->out, 2 + len + HS_NOISE_TAG_LEN))
		return false;
	memcpy(p->out.data + p->out.len + 2, msg, len);
	return seal(node, p, msg[0], len, len);
}

bool hs_peer_send(struct hs_node *node, struct peer *p, const struct hs_msg *m, uint64_t now)
{
	if (p->state == PS_CLOSING)
		return false;
	if (!send_msg(node, p, m)) {
		hs_peer_close(node, p, HS_REASON_OTHER, "cannot queue output", now);
		return false;
	}
	if (hs_peer_pending(p) > HS_SEND_MAX) {
		/* Rationale: a peer that does not read what it asked for would make us buffer
		 * without bound; Bitcoin disconnects at its send buffer limit too. */
		hs_peer_close(node, p, HS_REASON_OTHER, "send queue full (peer too slow)", now);
		return false;
	}
	return true;
}

/* ---- closing and faults ---------------------------------------------------------------- */

static const char *copy_text(const char *text, uint8_t **owned)
{
	size_t n = strlen(text);
	*owned = malloc(n + 1);
	if (!*owned)
		return "";
	memcpy(*owned, text, n + 1);
	return (const char *)*owned;
}

void hs_peer_close(struct hs_node *node, struct peer *p, uint8_t reason, const char *text,
                   uint64_t now)
{
	(void)now;
	if (p->state == PS_CLOSING)
		return;
	node->pushers_dirty = true;
	if (p->tr && !p->sent_disconnect) {
		struct hs_msg m = { .type = HS_MSG_DISCONNECT };
		m.u.disconnect.reason = reason;
		size_t tl = strlen(text);
		m.u.disconnect.text.p = (const uint8_t *)text;
		m.u.disconnect.text.len = tl < HS_REASON_MAX ? tl : HS_REASON_MAX;
		send_msg(node, p, &m);
		p->sent_disconnect = true;
	}
	p->state = PS_CLOSING;
	struct hs_event ev = { .type = HS_EV_CLOSE, .peer = p->handle, .reason = reason };
	ev.addr = p->addr;
	uint8_t *owned = NULL;
	ev.text = copy_text(text, &owned);
	hs_event_push(node, &ev, owned);
	hs_node_log(node, HS_LOG_DEBUG, "peer %llu closing: %s", (unsigned long long)p->handle,
	            text);
}

void hs_peer_fault(struct hs_node *node, struct peer *p, enum hs_score_kind kind, const char *text,
                   uint64_t now)
{
	p->faults++;
	node->stats.faults++;
	struct hs_event ev = { .type = HS_EV_FAULT, .peer = p->handle, .fault = (int)kind };
	ev.addr = p->addr;
	if (p->has_id)
		memcpy(ev.id, p->id, HS_KEY_LEN);
	uint8_t *owned = NULL;
	ev.text = copy_text(text, &owned);
	hs_event_push(node, &ev, owned);
	hs_node_log(node, HS_LOG_INFO, "peer %llu fault: %s (%s)", (unsigned long long)p->handle,
	            text, hs_score_kind_name((uint8_t)kind));
	/* The score is the only policy: it decides whether the peer is still listened to, and
	 * bans (and so closes) it at the ban threshold. */
	hs_reputation_fault(node, p, kind, now);
}

/* ---- handshake ------------------------------------------------------------------------- */

static void rtt_sample(struct hs_node *node, struct peer *p, uint64_t sample)
{
	if (!p->rtt_ns) {
		p->rtt_ns = sample;
		p->rttvar_ns = sample / 2;
	} else {
		uint64_t dev = sample > p->rtt_ns ? sample - p->rtt_ns : p->rtt_ns - sample;
		p->rttvar_ns = (3 * p->rttvar_ns + dev) / 4;
		p->rtt_ns = (7 * p->rtt_ns + sample) / 8;
	}
	/* Rationale: an answer to getdata takes a round trip plus the peer's send queue; TCP's
	 * retransmission timeout (srtt + 4 rttvar) with a floor covers both, and bounds what an
	 * announcer that never answers costs us at that, not at request_timeout. */
	uint64_t rto = p->rtt_ns + 4 * p->rttvar_ns + HS_REQ_TIMEOUT_FLOOR_MS * HS_NS_PER_MS;
	hs_reqsched_set_timeout(node->reqs, p->slot, rto);
}

static bool handshake_write(struct hs_node *node, struct peer *p, uint64_t now)
{
	uint8_t msg[HS_HANDSHAKE_MSG_MAX];
	size_t len;
	if (hs_handshake_write(p->hs, msg, sizeof(msg), &len) != 0 || !send_raw(node, p, msg, len))
		return false;
	p->hs_sent_ns = now;
	return true;
}

HS_MUST_USE static bool send_hello(struct hs_node *node, struct peer *p, uint64_t now)
{
	struct hs_msg m = { .type = HS_MSG_HELLO };
	struct hs_msg_hello *h = &m.u.hello;
	h->version = HS_PROTOCOL_VERSION;
	h->network.p = (const uint8_t *)node->network;
	h->network.len = strlen(node->network);
	h->record = node->rec;
	h->your_addr = p->addr;
	h->time_ms = hs_node_wall(node, now) / HS_NS_PER_MS;
	if (node->cfg.all_topics) {
		h->flags = HS_HELLO_ALL_TOPICS;
	} else {
		/* cfg.topics is kept sorted by the node, as the hello requires. */
		h->ntopics = node->cfg.ntopics;
		for (size_t i = 0; i < node->cfg.ntopics; i++) {
			h->topics[i].p = (const uint8_t *)node->cfg.topics[i];
			h->topics[i].len = strlen(node->cfg.topics[i]);
		}
	}
	return hs_peer_send(node, p, &m, now);
}

static void handshake_failed(struct hs_node *node, struct peer *p, int err, uint64_t now)
{
	char text[160];
	unsigned version = 0;
	const char *network = "";
	bool heard = p->hs && hs_handshake_peer_hello(p->hs, &version, &network);
	if (err == HS_ERR_HS_NETWORK && network[0])
		snprintf(text, sizeof(text), "handshake: peer is on network '%s', we are on '%s'",
		         network, node->network);
	else if (err == HS_ERR_HS_VERSION && heard)
		snprintf(text, sizeof(text),
		         "handshake: peer speaks protocol version %u, we speak %u", version,
		         (unsigned)HS_PROTOCOL_VERSION);
	else
		snprintf(text, sizeof(text), "handshake: %s", hs_strerror(err));
	p->sent_disconnect = true; /* no transport yet: nothing can be sent */
	if (err == HS_ERR_HS_NETWORK)
		hs_peer_close(node, p, HS_REASON_NETWORK, text, now);
	else if (err == HS_ERR_HS_VERSION)
		hs_peer_close(node, p, HS_REASON_VERSION, text, now);
	else if (err == HS_ERR_HS_IDENTITY)
		/* The payload passed Noise authentication, so whoever completed the key exchange
		 * from this address sent the bad proof: scored against the address and group. */
		hs_peer_fault(node, p, HS_SCORE_HANDSHAKE, text, now);
	/* Anything else (a failed tag, a truncated or out-of-turn message) a path could have
	 * caused: the session ends, nobody is penalised. */
	hs_peer_close(node, p, HS_REASON_PROTOCOL, text, now);
}

static void on_handshake_frame(struct hs_node *node, struct peer *p, const uint8_t *frame,
                               size_t len, uint64_t now)
{
	int err = hs_handshake_read(p->hs, frame, len);
	if (err) {
		handshake_failed(node, p, err, now);
		return;
	}
	if (p->hs_sent_ns)
		rtt_sample(node, p, now - p->hs_sent_ns);
	if (hs_handshake_wants_write(p->hs) && !handshake_write(node, p, now)) {
		hs_peer_close(node, p, HS_REASON_OTHER, "cannot write handshake", now);
		return;
	}
	if (!hs_handshake_is_done(p->hs))
		return;
	err = hs_handshake_finish(p->hs, &p->tr, p->id);
	hs_handshake_del(p->hs);
	p->hs = NULL;
	if (err) {
		handshake_failed(node, p, err, now);
		return;
	}
	p->has_id = true;
	p->sent_disconnect = false;
	if (!hs_connect_on_identity(node, p, now))
		return;
	p->state = PS_HELLO;
	if (!send_hello(node, p, now))
		return;
}

/* ---- hello, ping, disconnect ------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Warns once when the median clock offset of our outbound peers passes half the skew window
 * (and again after it came back): past the window our rumors and theirs are refused. */
void hs_peer_check_clock(struct hs_node *node)
{
	size_t n;
	int64_t off = hs_node_time_offset_ms(node, &n);
	uint64_t mag = (uint64_t)(off < 0 ? -off : off) * HS_NS_PER_MS;
	bool far = n > 0 && mag > node->cfg.clock_skew_ns / 2;
	if (far && !node->clock_warned)
		hs_node_log(
		        node, HS_LOG_WARN,
		        "our clock is %lld s %s the median of %zu outbound peers' clocks; rumors "
		        "more than %llu s apart are refused: check this machine's time",
		        (long long)((off < 0 ? -off : off) / 1000), off < 0 ? "ahead of" : "behind",
		        n, (unsigned long long)(node->cfg.clock_skew_ns / HS_NS_PER_S));
	node->clock_warned = far;
}

static void on_hello(struct hs_node *node, struct peer *p, const struct hs_msg_hello *h,
                     uint64_t now)
{
	char text[160];
	if (h->version != HS_PROTOCOL_VERSION) {
		snprintf(text, sizeof(text), "peer speaks protocol version %u, we speak %u",
		         h->version, (unsigned)HS_PROTOCOL_VERSION);
		hs_peer_close(node, p, HS_REASON_VERSION, text, now);
		return;
	}
	if (h->network.len != strlen(node->network) ||
	    memcmp(h->network.p, node->network, h->network.len) != 0) {
		if (hs_name_is_valid(h->network.p, h->network.len, HS_NETWORK_MAX))
			snprintf(text, sizeof(text), "peer is on network '%.*s', we are on '%s'",
			         (int)h->network.len, (const char *)h->network.p, node->network);
		else
			snprintf(text, sizeof(text), "peer is on another network");
		hs_peer_close(node, p, HS_REASON_NETWORK, text, now);
		return;
	}
	if (memcmp(h->record.id, p->id, HS_KEY_LEN) != 0) {
		hs_peer_fault(node, p, HS_SCORE_PROTOCOL, "hello carries another node's record",
		              now);
		return;
	}
	/* A record the book holds byte for byte was checked when it went in. */
	if (!hs_addrbook_holds(&node->book, h->record.id, h->record_enc, h->record_enclen) &&
	    !hs_node_signed_by(node, &node->tag_record, h->record.id, h->record_enc,
	                       h->record_enclen)) {
		hs_peer_fault(node, p, HS_SCORE_BAD_SIG, "hello record with a bad signature", now);
		return;
	}
	p->rec = h->record;
	if (p->kind != CONN_INBOUND) {
		/* Only peers we chose sample our clock (bitcoind's timeoffset): inbound ones are
		 * whoever connects, so many could drag the median. */
		uint64_t ours = hs_node_wall(node, now) / HS_NS_PER_MS;
		uint64_t theirs =
		        h->time_ms > (uint64_t)INT64_MAX / 2 ? (uint64_t)INT64_MAX / 2 : h->time_ms;
		p->clock_diff_ms =
		        theirs >= ours ? (int64_t)(theirs - ours) : -(int64_t)(ours - theirs);
		p->has_clock = true;
	}
	p->all_topics = (h->flags & HS_HELLO_ALL_TOPICS) != 0;
	p->ntopics = h->ntopics;
	for (size_t i = 0; i < h->ntopics; i++)
		p->topic_hash[i] = hs_node_topic_hash(node, h->topics[i].p, h->topics[i].len);
	qsort(p->topic_hash, p->ntopics, sizeof(p->topic_hash[0]), cmp_u64);
	p->state = PS_ACTIVE;
	p->up = true;
	p->ping_due_ns = now + node->cfg.ping_interval_ns;
	struct hs_event ev = { .type = HS_EV_PEER_UP, .peer = p->handle, .addr = p->addr };
	ev.inbound = p->kind == CONN_INBOUND;
	memcpy(ev.id, p->id, HS_KEY_LEN);
	hs_event_push(node, &ev, NULL);
	hs_connect_on_active(node, p, now);
	if (p->state == PS_ACTIVE)
		hs_gossip_on_active(node, p, now);
	if (p->has_clock)
		hs_peer_check_clock(node);
}

static void on_pong(struct hs_node *node, struct peer *p, uint64_t nonce, uint64_t now)
{
	/* An unexpected pong is ignored: late or duplicated, not provably malicious. */
	if (!p->ping_outstanding || nonce != p->ping_nonce)
		return;
	p->ping_outstanding = false;
	rtt_sample(node, p, now - p->ping_sent_ns);
}

static void on_disconnect(struct hs_node *node, struct peer *p, const struct hs_msg_disconnect *d,
                          uint64_t now)
{
	char text[HS_REASON_MAX + 48];
	snprintf(text, sizeof(text), "peer left: %s: %.*s", hs_reason_name(d->reason),
	         (int)d->text.len, (const char *)d->text.p);
	p->sent_disconnect = true;
	hs_peer_close(node, p, d->reason, text, now);
}

/* Messages that take or ask for rumors, state or addresses: refused below the gossip
 * threshold. Pings, pongs and notfound (which only frees our requests) still pass. */
static bool carries_gossip(uint8_t type)
{
	switch (type) {
	case HS_MSG_INV:
	case HS_MSG_GETDATA:
	case HS_MSG_RUMOR:
	case HS_MSG_PULL:
	case HS_MSG_STATE:
	case HS_MSG_SYNC:
	case HS_MSG_PUSH:
	case HS_MSG_EQUIVOCATION:
	case HS_MSG_GETADDR:
	case HS_MSG_ADDR:
		return true;
	default:
		return false;
	}
}

static void dispatch(struct hs_node *node, struct peer *p, const struct hs_msg *m, uint64_t now)
{
	if (m->type == HS_MSG_DISCONNECT) {
		on_disconnect(node, p, &m->u.disconnect, now);
		return;
	}
	/* Every standing is enforced here, for every message type, before any handler. */
	enum hs_standing st = hs_reputation_standing(node, p, now);
	if (st >= HS_STANDING_GRAYLIST ||
	    (st == HS_STANDING_NO_GOSSIP && carries_gossip(m->type))) {
		node->stats.ignored_standing++;
		return; /* graylisted: heard, not listened to; below gossip: no data either way */
	}
	if (p->state == PS_HELLO) {
		if (m->type == HS_MSG_HELLO)
			on_hello(node, p, &m->u.hello, now);
		else
			hs_peer_fault(node, p, HS_SCORE_PROTOCOL, "message before hello", now);
		return;
	}
	switch (m->type) {
	case HS_MSG_HELLO:
		hs_peer_fault(node, p, HS_SCORE_PROTOCOL, "second hello", now);
		break;
	case HS_MSG_PING: {
		struct hs_msg pong = { .type = HS_MSG_PONG };
		pong.u.ping.nonce = m->u.ping.nonce;
		hs_peer_send(node, p, &pong, now);
		break;
	}
	case HS_MSG_PONG:
		on_pong(node, p, m->u.ping.nonce, now);
		break;
	case HS_MSG_GETADDR:
	case HS_MSG_ADDR:
		hs_connect_on_msg(node, p, m, now);
		break;
	default:
		hs_gossip_on_msg(node, p, m, now);
		break;
	}
}

/* ---- input ----------------------------------------------------------------------------- */

static void on_frame(struct hs_node *node, struct peer *p, uint8_t *frame, size_t len, uint64_t now)
{
	if (p->state == PS_HANDSHAKE) {
		on_handshake_frame(node, p, frame, len, now);
		return;
	}
	size_t plen;
	if (hs_transport_decrypt(p->tr, frame, len, &plen, frame, len) != 0) {
		/* Rationale: anyone on the path can flip a bit of an honest peer's traffic, so a
		 * frame that fails authentication proves nothing against the peer (WireGuard drops
		 * such packets). The session cannot go on (its nonces are out of step); nobody is
		 * penalised. */
		node->stats.auth_failures++;
		hs_peer_close(node, p, HS_REASON_OTHER, "frame fails authentication", now);
		return;
	}
	p->msgs_in++;
	if (!hs_ratelimit_take(&p->frames_rl, 1, now)) {
		hs_peer_fault(node, p, HS_SCORE_FLOOD, "over the frame rate limit", now);
		return;
	}
	struct hs_msg m;
	int err = hs_msg_decode(&m, frame, plen);
	node->stats.msgs_in[plen > 0 && frame[0] < 16 ? frame[0] : 0]++;
	if (err == HS_ERR_UNKNOWN_TYPE)
		return; /* a newer protocol's message: ignored, not punished */
	if (err) {
		char text[160];
		snprintf(text, sizeof(text), "malformed %s: %s",
		         hs_msg_type_name(plen > 0 ? frame[0] : 0), hs_strerror(err));
		hs_peer_fault(node, p, HS_SCORE_MALFORMED, text, now);
		return;
	}
	dispatch(node, p, &m, now);
}

bool hs_peer_events_full(const struct hs_node *node)
{
	return node->ev_count + HS_EVENTS_PER_FRAME_MAX > HS_EVENTS_MAX;
}

/* Processes every complete frame in p->in, until the peer closes or the event queue is too
 * full for another frame (then the rest waits: p->stalled). */
static void process_input(struct hs_node *node, struct peer *p, uint64_t now)
{
	struct bytebuf *b = &p->in;
	while (p->state != PS_CLOSING) {
		size_t avail = b->len - b->off;
		if (avail < 2)
			break;
		const uint8_t *h = b->data + b->off;
		size_t flen = (size_t)(h[0] | h[1] << 8);
		size_t max = p->state == PS_HANDSHAKE ? HS_HANDSHAKE_MSG_MAX : HS_NOISE_MSG_MAX;
		if (flen == 0 || flen > max) {
			/* The length prefix is not authenticated: a path can forge it too. */
			node->stats.auth_failures++;
			hs_peer_close(node, p, HS_REASON_PROTOCOL, "bad frame length", now);
			return;
		}
		if (avail < 2 + flen)
			break;
		if (hs_peer_events_full(node)) {
			if (!p->stalled)
				node->stats.input_stalls++;
			p->stalled = true;
			return;
		}
		b->off += 2 + flen;
		on_frame(node, p, b->data + b->off - flen, flen, now);
	}
	p->stalled = false;
	if (b->off == b->len)
		buf_reset(b);
}

void hs_peer_recv(struct hs_node *node, struct peer *p, const uint8_t *data, size_t len,
                  uint64_t now)
{
	p->bytes_in += len;
	node->stats.bytes_in += len;
	p->last_recv_ns = now;
	if (p->state == PS_CLOSING || len == 0)
		return;
	struct bytebuf *b = &p->in;
	if (b->len - b->off + len > HS_RECV_BACKLOG_MAX) {
		hs_peer_close(node, p, HS_REASON_OTHER, "input backlog full", now);
		return;
	}
	if (!buf_reserve(b, len)) {
		hs_peer_close(node, p, HS_REASON_OTHER, "out of memory", now);
		return;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	if (!p->stalled)
		process_input(node, p, now);
}

void hs_peer_resume(struct hs_node *node, struct peer *p, uint64_t now)
{
	if (p->stalled && !hs_peer_events_full(node)) {
		p->stalled = false;
		process_input(node, p, now);
	}
}

/* ---- lifecycle and timers -------------------------------------------------------------- */

int hs_peer_new(struct hs_node *node, struct peer **out, bool inbound,
                const struct hs_netaddr *addr, uint64_t now)
{
	if (inbound ? !hs_reputation_admit(node, addr, now)
	            : hs_banlist_has_addr(&node->bans, addr, now)) {
		node->stats.inbound_refused += inbound;
		return HS_ERR_BANNED;
	}
	/* Live sessions count against peers_max; closing ones drain in the spare slots, so an
	 * eviction makes room at once. */
	if (!hs_connect_make_room(node, inbound, addr, now))
		return HS_ERR_FULL;
	unsigned slot = 0;
	while (slot < HS_PEERS_MAX && node->peers[slot])
		slot++;
	if (slot >= HS_PEERS_MAX)
		return HS_ERR_FULL;
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return HS_ERR_NOMEM;
	p->slot = slot;
	p->handle = ++node->next_handle;
	p->state = PS_HANDSHAKE;
	p->kind = inbound ? CONN_INBOUND : CONN_OUTBOUND;
	p->addr = *addr;
	p->opened_ns = p->last_recv_ns = now;
	hs_ratelimit_init(&p->frames_rl, node->cfg.peer_frames_per_s,
	                  2 * node->cfg.peer_frames_per_s, now);
	hs_ratelimit_init(&p->pull_rl, 1, 4, now);
	p->invq.max = HS_INV_QUEUE_MAX;
	p->getdataq.max = HS_GETDATA_QUEUE_MAX;

	struct hs_handshake_config hc = {
		.crypto = node->cfg.crypto,
		.noise_static = node->cfg.noise_static,
		.identity = node->cfg.identity,
		.identity_sig = node->cfg.noise_proof,
		.network = node->network,
	};
	uint8_t eph[32];
	node->caps.random(node->caps.ctx, eph, sizeof(eph));
	int err = hs_handshake_new(&p->hs, &hc, !inbound, eph);
	sodium_memzero(eph, sizeof(eph));
	if (err) {
		free(p);
		return err;
	}
	node->peers[slot] = p;
	if (!inbound && !handshake_write(node, p, now)) {
		hs_peer_free(node, p);
		return HS_ERR_NOMEM;
	}
	*out = p;
	return 0;
}

void hs_peer_free(struct hs_node *node, struct peer *p)
{
	hs_reqsched_peer_gone(node->reqs, p->slot);
	hs_rumorstore_forget_peer(&node->store, p->slot);
	hs_statestore_forget_peer(&node->state, p->slot);
	node->peers[p->slot] = NULL;
	node->pushers_dirty = true;
	hs_handshake_del(p->hs);
	hs_transport_del(p->tr);
	buf_free(&p->in);
	buf_free(&p->out);
	hs_itemq_free(&p->invq);
	hs_itemq_free(&p->getdataq);
	free(p);
}

void hs_peer_timer(struct hs_node *node, struct peer *p, uint64_t now)
{
	if (p->state == PS_CLOSING)
		return;
	if (p->state != PS_ACTIVE) {
		if (now >= p->opened_ns + node->cfg.handshake_timeout_ns)
			hs_peer_close(node, p, HS_REASON_TIMEOUT, "handshake timeout", now);
		return;
	}
	if (p->close_at_ns && now >= p->close_at_ns) {
		hs_peer_close(node, p, HS_REASON_OTHER, "feeler visit done", now);
		return;
	}
	if (now >= p->last_recv_ns + node->cfg.idle_timeout_ns) {
		hs_peer_close(node, p, HS_REASON_TIMEOUT, "idle timeout", now);
		return;
	}
	if (now >= p->ping_due_ns) {
		struct hs_msg m = { .type = HS_MSG_PING };
		m.u.ping.nonce = hs_node_rand64(node);
		p->ping_nonce = m.u.ping.nonce;
		p->ping_sent_ns = now;
		p->ping_outstanding = true;
		p->ping_due_ns = now + node->cfg.ping_interval_ns;
		hs_peer_send(node, p, &m, now);
	}
}

uint64_t hs_peer_deadline(const struct hs_node *node, const struct peer *p)
{
	if (p->state == PS_CLOSING)
		return UINT64_MAX;
	if (p->stalled && !hs_peer_events_full(node))
		return 0; /* frames wait for us: at once */
	if (p->state != PS_ACTIVE)
		return p->opened_ns + node->cfg.handshake_timeout_ns;
	uint64_t idle = p->last_recv_ns + node->cfg.idle_timeout_ns;
	uint64_t d = p->ping_due_ns < idle ? p->ping_due_ns : idle;
	return p->close_at_ns && p->close_at_ns < d ? p->close_at_ns : d;
}

bool hs_peer_takes_topic(const struct hs_node *node, const struct peer *p, const uint8_t *topic,
                         size_t topic_len)
{
	if (p->all_topics)
		return true;
	uint64_t h = hs_node_topic_hash(node, topic, topic_len);
	return bsearch(&h, p->topic_hash, p->ntopics, sizeof(h), cmp_u64) != NULL;
}

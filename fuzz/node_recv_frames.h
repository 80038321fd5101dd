/*
 * The frame builders of fuzz_node_recv (fuzz/fuzz_node_recv.c): well-formed frames of every
 * type, built from input fields into B.m, so inv -> getdata -> rumor, pull, sync and addr are
 * reached at once. Included once, by fuzz_node_recv.c after its per-input state (struct run,
 * R, g_pt, hold); node_recv_ops.h gives the operand format.
 */
#ifndef HS_FUZZ_NODE_RECV_FRAMES_H
#define HS_FUZZ_NODE_RECV_FRAMES_H

/* ---- building frames ------------------------------------------------------------------------ */

/* Backing storage for the message being built (too large for the stack). */
static struct {
	struct hs_msg m;
	uint8_t items[HS_INV_MAX * HS_INV_ITEM_LEN];
	uint8_t payload[HS_RUMOR_PAYLOAD_MAX];
	uint8_t text[HS_REASON_MAX];
	uint8_t ids[HS_PULL_IDS_MAX * 8];
	uint8_t origin_key[4][2];
	uint8_t value[4][64];
	uint8_t inv_mode;
} B;

static void fresh_id(struct run *r, uint8_t id[HS_ID_LEN])
{
	uint8_t seed[9] = { 0xf5 };
	uint64_t c = r->fresh++;
	for (unsigned i = 0; i < 8; i++)
		seed[1 + i] = (uint8_t)(c >> (8 * i));
	hs_blake2b256(id, seed, sizeof(seed));
}

/* A signed-looking record from one byte: bits 0-2 who (0-5 a remote, 6 the node, 7 a fresh
 * id), bits 3-5 the first address and how many (0..4), bit 6 a bad signature, bit 7 seq 2. */
static void build_record(struct run *r, struct hs_record *rec, uint8_t b)
{
	memset(rec, 0, sizeof(*rec));
	unsigned who = b & NR_REC_WHO_MASK;
	if (who < NREMOTE)
		memcpy(rec->id, pub_of(who), HS_KEY_LEN);
	else if (who == NREMOTE)
		memcpy(rec->id, hs_identity_pubkey(g_node.id), HS_KEY_LEN);
	else
		fresh_id(r, rec->id);
	rec->seq = (b & NR_REC_SEQ2) ? 2 : 1;
	rec->generation = 1;
	rec->time_s = r->now / HS_NS_PER_S;
	rec->services = HS_SERVICE_RELAY;
	unsigned first = (b >> NR_REC_ADDR_SHIFT) & 7u;
	rec->naddrs = first % (HS_RECORD_ADDRS_MAX + 1);
	for (size_t i = 0; i < rec->naddrs; i++)
		rec->addrs[i] = addr_of(first + (unsigned)i);
	memset(rec->sig, 0x33, HS_SIG_LEN);
	rec->sig[0] = (b & NR_REC_BADSIG) ? 0xa5 : SIG_OK;
}

static void build_hello(struct run *r, struct remote *rm, struct rd *in)
{
	static const char *const names[4] = { "a", "blocks", "other", "tx" };
	struct hs_msg_hello *h = &B.m.u.hello;
	uint8_t v = rd_u8(in), g = rd_u8(in);
	h->version = (v & 1u) ? 2 : HS_PROTOCOL_VERSION;
	h->network.p = (const uint8_t *)((v & 2u) ? "other" : "main");
	h->network.len = strlen((const char *)h->network.p);
	static const unsigned id_of[4] = { 0, 1, NREMOTE, 0 };
	unsigned who = id_of[(v >> 2) & 3u];
	who = who == 0 ? rm->who : (who == 1 ? (rm->who + 1) % NREMOTE : NREMOTE);
	build_record(r, &h->record, (uint8_t)who);
	h->record.naddrs = 1; /* where the remote listens */
	h->record.addrs[0] = addr_of(rm->who + 2);
	h->record.sig[0] = (v & 16u) ? 0xa5 : SIG_OK;
	if (v & 32u)
		h->your_addr = hs_netaddr_ipv4(10, 9, 0, 1, 7000);
	h->time_ms = r->now / HS_NS_PER_MS + ((v & 64u) ? 3600000u : 0u); /* a clock an hour off */
	if (g & 1u) {
		h->flags = HS_HELLO_ALL_TOPICS;
		return;
	}
	for (unsigned i = 0; i < 4; i++) {
		if (!(g & (2u << i)))
			continue;
		h->topics[h->ntopics].p = (const uint8_t *)names[i];
		h->topics[h->ntopics++].len = strlen(names[i]);
	}
}

/* Inventory items; B.inv_mode remembers fresh ids so repetitions refresh them. */
static void build_inv(struct run *r, struct rd *in)
{
	uint8_t k = rd_u8(in);
	size_t count = 1 + rd_u16(in) % HS_INV_MAX;
	uint8_t kind = (k & NR_INV_STATE) ? HS_INV_STATE : HS_INV_RUMOR;
	B.inv_mode = k & 3u;
	for (size_t i = 0; i < count; i++) {
		uint8_t *it = B.items + i * HS_INV_ITEM_LEN;
		struct held *h = held_newest(r, i);
		it[0] = kind;
		if (B.inv_mode == 0 && h)
			memcpy(it + 1, h->id, HS_ID_LEN);
		else if (B.inv_mode == 1 && r->nknown > 0)
			memcpy(it + 1, r->known[i % r->nknown], HS_ID_LEN);
		else if (B.inv_mode == 3 && in->n >= HS_INV_ITEM_LEN)
			rd_fill(in, it, HS_INV_ITEM_LEN, HS_INV_ITEM_LEN);
		else
			fresh_id(r, it + 1);
		if (B.inv_mode == 3)
			it[0] = (uint8_t)(1 + (it[0] & 1u)); /* any known kind */
	}
	B.m.u.inv.count = count;
	B.m.u.inv.items = B.items;
}

static uint64_t rumor_time(struct run *r, struct rd *in, unsigned unit)
{
	static const int64_t ms_per[3] = { 1, 1000, 10000 };
	uint64_t now_ms = r->now / HS_NS_PER_MS;
	if (unit == 3)
		return rd_u64(in);
	int64_t amount = (int8_t)rd_u8(in);
	int64_t delta = amount * ms_per[unit];
	return delta < 0 ? now_ms - (uint64_t)-delta : now_ms + (uint64_t)delta;
}

/* A new rumor from the input (M bit 2 bad sig, bits 3-4 time unit). */
static void build_rumor(struct run *r, struct rd *in, uint8_t mode)
{
	struct hs_rumor *rm = &B.m.u.rumor.rumor;
	unsigned who = rd_u8(in) % (NREMOTE + 2);
	if (who < NREMOTE)
		memcpy(rm->origin, pub_of(who), HS_KEY_LEN);
	else if (who == NREMOTE)
		memcpy(rm->origin, hs_identity_pubkey(g_node.id), HS_KEY_LEN);
	else
		fresh_id(r, rm->origin);
	const char *topic = topics[rd_u8(in) % NTOPICS];
	rm->topic = (const uint8_t *)topic;
	rm->topic_len = strlen(topic);
	rm->time_ms = rumor_time(r, in, (mode >> 3) & 3u);
	rm->payload_len = rd_u16(in) % (HS_RUMOR_PAYLOAD_MAX + 1);
	rd_fill(in, B.payload, rm->payload_len, rd_u8(in));
	rm->payload = B.payload;
	memset(rm->sig, 0x44, HS_SIG_LEN);
	rm->sig[0] = (mode & NR_RUMOR_BADSIG) ? 0xa5 : SIG_OK;
}

/* State entries, two bytes each: b1 origin (% 7: a remote or the node), bit 3 key k1 (else
 * k0), bit 4 tombstone, bit 5 bad signature, bits 6-7 generation - 1; b2 bits 0-3 version,
 * bits 4-7 value length / 4. The same (origin, key, generation, version) with another value is
 * an equivocation. */
static void build_state(struct rd *in)
{
	struct hs_msg_state *s = &B.m.u.state;
	s->count = 1 + rd_u8(in) % 4u;
	for (size_t i = 0; i < s->count; i++) {
		uint8_t b1 = rd_u8(in), b2 = rd_u8(in);
		struct hs_entry *e = &s->entries[i];
		memset(e, 0, sizeof(*e));
		memcpy(e->origin,
		       b1 % 7u == NR_WHO_NODE ? hs_identity_pubkey(g_node.id) : pub_of(b1),
		       HS_KEY_LEN);
		B.origin_key[i][0] = 'k';
		B.origin_key[i][1] = (b1 & 8u) ? '1' : '0';
		e->key = B.origin_key[i];
		e->key_len = 2;
		e->generation = 1u + (b1 >> 6);
		e->version = b2 & 15u;
		e->kind = (b1 & 16u) ? HS_ENTRY_TOMBSTONE : HS_ENTRY_VALUE;
		memset(B.value[i], 'v', sizeof(B.value[i]));
		e->value = e->kind == HS_ENTRY_VALUE ? B.value[i] : NULL;
		e->value_len = e->kind == HS_ENTRY_VALUE ? (size_t)(b2 >> 4) * 4u : 0;
		memset(e->sig, 0x55, HS_SIG_LEN);
		e->sig[0] = (b1 & 32u) ? 0xa5 : SIG_OK;
	}
}

/* A state digest: K picks origins (bit i: remote i, bit 6 the node), each then reads its
 * generation and highest version (one byte each). */
static void build_sync(struct rd *in)
{
	const uint8_t *origins[NREMOTE + 1];
	uint8_t k = rd_u8(in);
	size_t n = 0;
	for (unsigned i = 0; i <= NREMOTE; i++)
		if (k & (1u << i))
			origins[n++] = i < NREMOTE ? pub_of(i) : hs_identity_pubkey(g_node.id);
	for (size_t i = 1; i < n; i++) /* insertion sort: origins strictly ascending */
		for (size_t j = i; j > 0 && memcmp(origins[j - 1], origins[j], HS_KEY_LEN) > 0;
		     j--) {
			const uint8_t *t = origins[j];
			origins[j] = origins[j - 1];
			origins[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		uint8_t *it = B.items + i * HS_SYNC_ITEM_LEN;
		uint64_t gen = rd_u8(in), ver = rd_u8(in);
		memcpy(it, origins[i], HS_KEY_LEN);
		for (unsigned b = 0; b < 8; b++) {
			it[HS_KEY_LEN + b] = (uint8_t)(gen >> (8 * b));
			it[HS_KEY_LEN + 8 + b] = (uint8_t)(ver >> (8 * b));
		}
	}
	B.m.u.sync.count = n;
	B.m.u.sync.items = B.items;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void build_pull(struct run *r, struct rd *in)
{
	static uint64_t sid[NHELD + NKNOWN + 7 * 64];
	struct hs_msg_pull *pl = &B.m.u.pull;
	uint8_t k = rd_u8(in);
	rd_fill(in, pl->salt, sizeof(pl->salt), sizeof(pl->salt));
	uint8_t s = rd_u8(in);
	pl->since_ms = s == 0 ? 0 : (r->now - (uint64_t)s * HS_NS_PER_S) / HS_NS_PER_MS;
	size_t n = 0;
	for (size_t i = 0; (k & 1u) && i < NHELD; i++)
		if (r->held[i].enc)
			sid[n++] = hs_shorthash(pl->salt, r->held[i].id, HS_ID_LEN);
	for (size_t i = 0; (k & 2u) && i < r->nknown; i++)
		sid[n++] = hs_shorthash(pl->salt, r->known[i], HS_ID_LEN);
	for (size_t i = 0; i < ((k >> 2) & 7u) * 64u; i++)
		sid[n++] = test_rng_next(&r->hrng);
	qsort(sid, n, sizeof(sid[0]), cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || sid[i] != sid[u - 1])
			sid[u++] = sid[i];
	for (size_t i = 0; i < u; i++)
		for (unsigned b = 0; b < 8; b++)
			B.ids[i * 8 + b] = (uint8_t)(sid[i] >> (8 * b));
	pl->count = u;
	pl->ids = B.ids;
}

/* Reads the fields of a frame of type t into B.m; false if there is nothing to send. */
static bool build(struct run *r, struct remote *rm, struct rd *in, uint8_t t, uint8_t *mode)
{
	memset(&B.m, 0, sizeof(B.m));
	B.m.type = t;
	switch (t) {
	case HS_MSG_HELLO:
		build_hello(r, rm, in);
		return true;
	case HS_MSG_PING:
		B.m.u.ping.nonce = rd_u64(in);
		return true;
	case HS_MSG_PONG:
		B.m.u.ping.nonce = (rd_u8(in) & 1u) ? rm->ping_nonce : rd_u64(in);
		return true;
	case HS_MSG_INV:
	case HS_MSG_GETDATA:
	case HS_MSG_NOTFOUND:
		build_inv(r, in);
		return true;
	case HS_MSG_RUMOR:
		*mode = rd_u8(in);
		if ((*mode & 3u) == NR_RUMOR_NEW || (*mode & 3u) == NR_RUMOR_HOLD)
			build_rumor(r, in, *mode);
		return true;
	case HS_MSG_STATE:
		build_state(in);
		return true;
	case HS_MSG_SYNC:
		build_sync(in);
		return true;
	case HS_MSG_DISCONNECT:
		B.m.u.disconnect.reason = rd_u8(in);
		B.m.u.disconnect.text.len = rd_u8(in) % (HS_REASON_MAX + 1u);
		rd_fill(in, B.text, B.m.u.disconnect.text.len, B.m.u.disconnect.text.len);
		for (size_t i = 0; i < B.m.u.disconnect.text.len; i++)
			B.text[i] = (uint8_t)(0x20 + B.text[i] % 95u);
		B.m.u.disconnect.text.p = B.text;
		return true;
	case HS_MSG_GETADDR:
		return true;
	case HS_MSG_ADDR:
		B.m.u.addr.count = 1 + rd_u8(in) % HS_ADDR_MAX;
		for (size_t i = 0; i < B.m.u.addr.count; i++)
			build_record(r, &B.m.u.addr.records[i], rd_u8(in));
		return true;
	case HS_MSG_PULL:
		build_pull(r, in);
		return true;
	case HS_MSG_PUSH: /* M % 3: prune, graft or decline */
		B.m.u.push.mode = (uint8_t)(rd_u8(in) % 3u);
		return true;
	default:
		return false;
	}
}

#endif

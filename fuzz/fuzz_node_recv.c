/*
 * fuzz_node_recv: the whole protocol core (overlay/node.h), driven statefully.
 *
 * The harness is the node's driver AND the remote end of every session. The input is a little
 * program: byte 0 configures the node, then each operation is an opcode byte and its operands
 * (operands past the end of the input read as zero, so every input is a program). After every
 * operation the harness polls the node's events, as a driver must, and checks:
 *
 *   - hs_node_check() holds (the core's own invariants);
 *   - no session holds more than HS_SEND_MAX + one frame of output;
 *   - the sessions hs_node_peers() reports are exactly those opened and not yet closed;
 *     hs_node_peer_open refuses (HS_ERR_FULL) an outbound open only when NPEERS sessions are
 *     live (not closing), an inbound one only when those or its NINBOUND slots are taken and
 *     no inbound session is evicted for it;
 *   - events are well formed: a DELIVER rumor re-encodes to bytes whose BLAKE2b is ev.id, is
 *     on a topic the node takes (unless it is the node's own) and, with the default seen cache,
 *     no id is delivered twice; PEER_UP at most once per session, with the inbound flag the
 *     driver used and an identity that proved itself (exactly the remote's own when the fuzzer
 *     did not tamper with the handshake); PEER_DOWN only after PEER_UP and only on close; one
 *     CLOSE per session; FAULT with a known code; DIAL with a valid address; SAVE with a key
 *     and, unless it deletes, a value (records and bans decode); STATE entries encode; at the
 *     end, every held state entry re-encodes to its id and the node's own record decodes;
 *   - every frame the node writes decodes: a remote whose handshake the fuzzer did not tamper
 *     with accepts the node's handshake messages, proves the node's identity, then
 *     authenticates every transport message, each of which must decode with hs_msg_decode,
 *     hello first, nothing after a disconnect;
 *   - after hs_node_timer(now) the next deadline is later than now (or a driver would spin);
 *   - a closed handle is dead: recv and disconnect answer HS_ERR_NOT_FOUND, nothing pending.
 *
 * Remote ends are real. Each completes a Noise XX handshake with the node using one of
 * NREMOTE fixed identities (remote 4 holds the node's own keys; remote 5 is on another
 * network), then encrypts what the fuzzer wants the node to receive with its own transport,
 * so fuzzer-chosen frames get past decryption into hs_msg_decode and the whole dispatch.
 * Whatever the node writes is decrypted and decoded by the remote, which remembers the ids it
 * sees, the last ping nonce and the last getdata, so later operations can answer them.
 *
 * Determinism: the node's randomness is a PRNG with a fixed seed, as is the remotes'
 * (ephemeral keys). The node signs for real with a fixed key, but its verify capability is a
 * stand-in: a signature verifies iff its first byte is 0x5a (SIG_OK). So the fuzzer makes
 * valid and invalid rumors, records and hellos at will and reaches both sides of every
 * signature check; the handshake's identity proofs are checked by crypto/ for real. With
 * config bit 7 a validator judges each rumor by its first payload byte (mod 4: accept,
 * reject, ignore, accept).
 *
 * The input is a program of driver operations: open a session, raw bytes, a plaintext frame
 * the remote encrypts, a well-formed frame of any type built from input fields (so inv ->
 * getdata -> rumor, pull and addr are reached at once), publish, close, dial failure, time
 * (jumps of up to 255 hours), draining output, shutdown, seeds, records, bans, loads, the
 * node's own state writes. node_recv_ops.h gives the format byte by byte.
 *
 * Work per input is bounded (OPS_MAX operations, BUDGET bytes encrypted or drained). The keys,
 * addresses and reader live in node_recv_fixture.h, the frame builders in node_recv_frames.h;
 * fuzz/gen_node_recv_corpus.c writes the seeds in fuzz/corpus/node_recv/.
 * HS_NODE_RECV_TRACE=1 in the environment prints each operation, event and the node's
 * counters (to see what a seed or a crash does).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../overlay/addrbook.h" /* the stored form of book entries */
#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "crypto/noise.h"
#include "node_recv_fixture.h"
#include "node_recv_ops.h"
#include "overlay/msg.h"
#include "overlay/node.h"
#include "reputation/banlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPEERS        8 /* the node's peers_max: live sessions at most */
#define NOUTBOUND     2 /* its outbound target */
#define NINBOUND      (NPEERS - NOUTBOUND - HS_OUTBOUND_RESERVE_EXTRA) /* inbound slots */
#define NSLOTS        (2 * NPEERS) /* sessions the harness mirrors: live plus closing ones */
#define NKNOWN        64
#define NHELD         16
#define NGETDATA      64
#define OPS_MAX       512
#define BUDGET        (24u << 20)
#define HANDLES_MAX   1024 /* > OPS_MAX: every handle gets a flag slot */
#define SIG_OK        0x5a
#define T0            (1767225600ull * HS_NS_PER_S) /* 2026-01-01 */
#define WIRE_MAX      (2 + HS_NOISE_MSG_MAX)
#define BATCH_MAX     (1u << 18)
#define DELIVERED_MAX 8192 /* ids tracked for the no-double-delivery check */

/* ---- per-input state ----------------------------------------------------------------------- */

enum rstate { R_HANDSHAKE = 1, R_TRANSPORT = 2, R_DEAD = 3 };

enum hflag { H_OPEN = 1, H_UP = 2, H_DOWN = 4, H_CLOSE = 8, H_FREED = 16 };

/* The remote end of one session. */
struct remote {
	bool used;
	uint64_t handle;
	unsigned who;
	bool node_inbound;
	struct hs_netaddr addr;
	enum rstate state;
	struct hs_handshake *hs;
	struct hs_transport *tr;
	bool tainted; /* raw bytes reached the node before our transport was up */
	bool got_hello, got_disconnect;
	uint64_t ping_nonce;
	size_t inlen; /* a partial frame from the node in in[] */
	uint8_t in[WIRE_MAX];
};

struct held {
	uint8_t *enc; /* a rumor's encoding, held to resend */
	size_t len;
	uint8_t id[HS_ID_LEN];
};

struct run {
	struct hs_node *node;
	uint64_t now, fresh;
	struct test_rng rng, hrng;
	struct remote peer[NSLOTS];
	uint8_t known[NKNOWN][HS_ID_LEN];
	size_t nknown, known_next;
	struct held held[NHELD];
	size_t held_next;
	uint8_t getdata[NGETDATA][HS_ID_LEN];
	size_t ngetdata;
	uint8_t hflags[HANDLES_MAX];
	uint64_t last_handle;
	struct hs_netaddr last_dial;
	bool has_dial, auto_close, check_unique, all_topics, shutdown;
	size_t book_max, ops;
	size_t frames_in; /* frames the remotes sealed, and entries loaded: what can carry state */
	uint64_t to_close[HANDLES_MAX];
	size_t nclose;
	size_t budget;
	uint64_t delivered[2 * DELIVERED_MAX]; /* open addressing over the ids' first 8 bytes */
	size_t ndelivered;
};

static struct run R;
static uint8_t g_pt[HS_FRAME_MAX + 1];        /* a plaintext frame being built */
static uint8_t g_wire[WIRE_MAX];              /* one framed ciphertext */
static uint8_t g_batch[BATCH_MAX + WIRE_MAX]; /* several, for one recv call */
static size_t g_batchlen;

static void spend(struct run *r, size_t n)
{
	r->budget = n < r->budget ? r->budget - n : 0;
}

static void add_known(struct run *r, const uint8_t id[HS_ID_LEN])
{
	for (size_t i = 0; i < r->nknown; i++)
		if (memcmp(r->known[i], id, HS_ID_LEN) == 0)
			return;
	memcpy(r->known[r->known_next], id, HS_ID_LEN);
	r->known_next = (r->known_next + 1) % NKNOWN;
	if (r->nknown < NKNOWN)
		r->nknown++;
}

/* Holds a copy of a rumor's encoding (and learns its id). */
static void hold(struct run *r, const uint8_t *enc, size_t len)
{
	struct held *h = &r->held[r->held_next];
	uint8_t *copy = malloc(len);
	CHECK(copy != NULL);
	memcpy(copy, enc, len);
	free(h->enc);
	h->enc = copy;
	h->len = len;
	hs_blake2b256(h->id, enc, len);
	add_known(r, h->id);
	r->held_next = (r->held_next + 1) % NHELD;
}

static struct held *held_by_id(struct run *r, const uint8_t id[HS_ID_LEN])
{
	for (size_t i = 0; i < NHELD; i++)
		if (r->held[i].enc && memcmp(r->held[i].id, id, HS_ID_LEN) == 0)
			return &r->held[i];
	return NULL;
}

/* The i-th held rumor, newest first, or NULL. */
static struct held *held_newest(struct run *r, size_t i)
{
	struct held *h = &r->held[(r->held_next + NHELD - 1 - i % NHELD) % NHELD];
	return h->enc ? h : NULL;
}

static struct remote *remote_by_handle(struct run *r, uint64_t handle)
{
	for (size_t i = 0; i < NSLOTS; i++)
		if (r->peer[i].used && r->peer[i].handle == handle)
			return &r->peer[i];
	return NULL;
}

static size_t open_count(const struct run *r)
{
	size_t n = 0;
	for (size_t i = 0; i < NSLOTS; i++)
		n += r->peer[i].used;
	return n;
}

/* The (b % n)-th open session, or NULL. */
static struct remote *pick(struct run *r, uint8_t b)
{
	size_t n = open_count(r);
	if (n == 0)
		return NULL;
	size_t k = b % n;
	for (size_t i = 0; i < NSLOTS; i++)
		if (r->peer[i].used && k-- == 0)
			return &r->peer[i];
	return NULL;
}

/* ---- node capabilities --------------------------------------------------------------------- */

static void cap_random(void *ctx, uint8_t *out, size_t len)
{
	struct run *r = ctx;
	fill_random(&r->rng, out, len);
}

static int cap_sign(void *ctx, uint8_t sig[HS_SIG_LEN], const uint8_t digest[32])
{
	uint8_t aux[32];
	cap_random(ctx, aux, sizeof(aux));
	return hs_identity_sign(g_crypto, g_node.id, sig, digest, aux);
}

/* The stand-in: a signature verifies iff its first byte is SIG_OK. */
static int cap_verify(void *ctx, const uint8_t pub[HS_KEY_LEN], const uint8_t sig[HS_SIG_LEN],
                      const uint8_t digest[32])
{
	(void)ctx;
	(void)pub;
	(void)digest;
	return sig[0] == SIG_OK ? 0 : HS_ERR_BAD_SIG;
}

static enum hs_verdict cap_validate(void *ctx, const struct hs_rumor *rm,
                                    const uint8_t id[HS_ID_LEN])
{
	static const enum hs_verdict verdicts[4] = { HS_ACCEPT, HS_REJECT, HS_IGNORE, HS_ACCEPT };
	(void)ctx;
	(void)id;
	CHECK(rm->payload != NULL && rm->topic != NULL);
	return rm->payload_len > 0 ? verdicts[rm->payload[0] % 4] : HS_ACCEPT;
}

static void cap_log(void *ctx, enum hs_log_level level, const char *line)
{
	(void)ctx;
	CHECK(level <= HS_LOG_DEBUG && line != NULL && strlen(line) < 256);
}

static void node_start(struct run *r, uint8_t c)
{
	struct hs_node_config cfg;
	hs_node_config_default(&cfg);
	cfg.network = "main";
	memcpy(cfg.identity, hs_identity_pubkey(g_node.id), HS_KEY_LEN);
	cfg.crypto = g_crypto;
	cfg.noise_static = g_node.noise;
	memcpy(cfg.noise_proof, g_node.proof, HS_SIG_LEN);
	cfg.naddrs = 1;
	cfg.addrs[0] = hs_netaddr_ipv4(10, 9, 0, 1, 7000);
	cfg.peers_max = NPEERS;
	cfg.outbound_target = NOUTBOUND;
	cfg.eager_push = c & NR_CFG_EAGER_MASK;
	if (c & NR_CFG_TOPICS) {
		cfg.all_topics = false;
		cfg.ntopics = 2;
		cfg.topics[0] = "tx";
		cfg.topics[1] = "blocks";
	}
	if (c & NR_CFG_TINY) {
		cfg.store_max = 8;
		cfg.store_bytes_max = 2 * HS_FRAME_MAX;
		cfg.seen_max = 16;
		cfg.addrbook_max = 4;
	}
	if (c & NR_CFG_LOW_RATES) {
		cfg.peer_frames_per_s = 20;
		cfg.verifies_per_s = 5;
	}
	if (c & NR_CFG_LAZY)
		cfg.lazy_request_delay_ns = 100 * HS_NS_PER_MS;
	struct hs_caps caps = { .ctx = r,
		                .random = cap_random,
		                .sign = cap_sign,
		                .verify = cap_verify,
		                .validate = (c & NR_CFG_VALIDATE) ? cap_validate : NULL,
		                .log = cap_log };
	r->auto_close = (c & NR_CFG_AUTO_CLOSE) != 0;
	r->check_unique = (c & NR_CFG_TINY) == 0; /* a tiny seen cache forgets on purpose */
	r->all_topics = cfg.all_topics;
	r->book_max = cfg.addrbook_max;
	CHECK(hs_node_new(&r->node, &cfg, &caps, r->now) == 0);
}

static void run_reset(struct run *r)
{
	hs_node_del(r->node);
	for (size_t i = 0; i < NSLOTS; i++) {
		hs_handshake_del(r->peer[i].hs);
		hs_transport_del(r->peer[i].tr);
		r->peer[i].hs = NULL;
		r->peer[i].tr = NULL;
		r->peer[i].used = false;
		r->peer[i].inlen = 0;
	}
	for (size_t i = 0; i < NHELD; i++)
		free(r->held[i].enc);
	memset(r->held, 0, sizeof(r->held));
	r->node = NULL;
	r->now = T0;
	test_rng_seed(&r->rng, 0x6e6f6465); /* fixed seeds: the input decides everything else */
	test_rng_seed(&r->hrng, 0x72656d6f);
	r->fresh = 0;
	r->nknown = r->known_next = r->held_next = r->ngetdata = 0;
	memset(r->hflags, 0, sizeof(r->hflags));
	r->last_handle = 0;
	r->has_dial = r->shutdown = false;
	r->nclose = r->frames_in = 0;
	r->budget = BUDGET;
	memset(r->delivered, 0, sizeof(r->delivered));
	r->ndelivered = 0;
}

/* ---- the remote side: talking to the node -------------------------------------------------- */

static void feed(struct run *r, struct remote *rm, const uint8_t *b, size_t n)
{
	CHECK(hs_node_recv(r->node, rm->handle, b, n, r->now) == 0);
	spend(r, n);
}

/* Frames and sends one handshake message. */
static void send_handshake(struct run *r, struct remote *rm, const uint8_t *msg, size_t len)
{
	g_wire[0] = (uint8_t)len;
	g_wire[1] = (uint8_t)(len >> 8);
	memcpy(g_wire + 2, msg, len);
	feed(r, rm, g_wire, 2 + len);
}

/* Writes what the remote's handshake wants to write; takes the transport once it is done. */
static void remote_advance(struct run *r, struct remote *rm)
{
	uint8_t msg[HS_HANDSHAKE_MSG_MAX], peer_id[HS_KEY_LEN];
	size_t len;
	while (rm->state == R_HANDSHAKE && hs_handshake_wants_write(rm->hs)) {
		CHECK(hs_handshake_write(rm->hs, msg, sizeof(msg), &len) == 0);
		send_handshake(r, rm, msg, len);
	}
	if (rm->state != R_HANDSHAKE || !hs_handshake_is_done(rm->hs))
		return;
	CHECK(hs_handshake_finish(rm->hs, &rm->tr, peer_id) == 0);
	/* Only the node holds the keys that could complete this handshake. */
	CHECK(memcmp(peer_id, hs_identity_pubkey(g_node.id), HS_KEY_LEN) == 0);
	hs_handshake_del(rm->hs);
	rm->hs = NULL;
	rm->state = R_TRANSPORT;
}

/* What the remote learns from a frame the node sent it. */
static void remote_learn(struct run *r, struct remote *rm, const struct hs_msg *m)
{
	uint8_t kind;
	const uint8_t *id;
	switch (m->type) {
	case HS_MSG_HELLO:
		CHECK(!rm->got_hello && m->u.hello.version == HS_PROTOCOL_VERSION);
		CHECK(memcmp(m->u.hello.record.id, hs_identity_pubkey(g_node.id), HS_KEY_LEN) == 0);
		CHECK(m->u.hello.network.len == 4 && memcmp(m->u.hello.network.p, "main", 4) == 0);
		rm->got_hello = true;
		break;
	case HS_MSG_PING:
		rm->ping_nonce = m->u.ping.nonce;
		break;
	case HS_MSG_GETDATA:
		r->ngetdata = 0; /* the remote answers the latest getdata */
		__attribute__((fallthrough));
	case HS_MSG_INV:
	case HS_MSG_NOTFOUND:
		for (size_t i = 0; i < m->u.inv.count; i++) {
			hs_inv_item(&m->u.inv, i, &kind, &id);
			add_known(r, id);
			if (m->type == HS_MSG_GETDATA && r->ngetdata < NGETDATA)
				memcpy(r->getdata[r->ngetdata++], id, HS_ID_LEN);
		}
		break;
	case HS_MSG_RUMOR:
		hold(r, m->u.rumor.enc, m->u.rumor.enclen);
		break;
	case HS_MSG_DISCONNECT:
		rm->got_disconnect = true;
		break;
	default:
		break;
	}
}

/* One frame the node wrote to rm. */
static void remote_frame(struct run *r, struct remote *rm, uint8_t *frame, size_t len)
{
	if (rm->state == R_HANDSHAKE) {
		int err = hs_handshake_read(rm->hs, frame, len);
		if (err != 0) {
			CHECK(is_handshake_error(err));
			/* The node's messages are genuine unless the fuzzer spoke for us. */
			CHECK(rm->tainted || rm->who == WHO_OTHER_NET);
			rm->state = R_DEAD;
			return;
		}
		remote_advance(r, rm);
		return;
	}
	if (rm->state != R_TRANSPORT)
		return;
	size_t plen;
	if (hs_transport_decrypt(rm->tr, frame, len, &plen, frame, len) != 0) {
		CHECK(rm->tainted);
		rm->state = R_DEAD;
		return;
	}
	struct hs_msg m;
	CHECK(hs_msg_decode(&m, frame, plen) == 0); /* the node only sends what it encoded */
	CHECK(!rm->got_disconnect);
	CHECK(rm->got_hello || m.type == HS_MSG_HELLO || m.type == HS_MSG_DISCONNECT);
	remote_learn(r, rm, &m);
}

/* Bytes the node wrote to rm: split into frames. */
static void remote_take(struct run *r, struct remote *rm, const uint8_t *data, size_t n)
{
	while (n > 0) {
		size_t want = rm->inlen < 2 ? 2 : 2 + ((size_t)rm->in[0] | (size_t)rm->in[1] << 8);
		size_t take = want - rm->inlen < n ? want - rm->inlen : n;
		memcpy(rm->in + rm->inlen, data, take);
		rm->inlen += take;
		data += take;
		n -= take;
		if (rm->inlen == 2) {
			CHECK((rm->in[0] | rm->in[1]) != 0); /* the node never frames nothing */
			continue;
		}
		if (rm->inlen < want)
			continue;
		rm->inlen = 0;
		remote_frame(r, rm, rm->in + 2, want - 2);
	}
}

/* The driver writes up to max (0: all) of the node's output for rm to it. */
static void drain(struct run *r, struct remote *rm, size_t max)
{
	static uint8_t buf[1u << 16];
	size_t moved = 0;
	for (unsigned guard = 0; guard < 4096; guard++) {
		size_t want = sizeof(buf);
		if (max > 0 && max - moved < want)
			want = max - moved;
		if (want == 0)
			break;
		size_t n = hs_node_write(r->node, rm->handle, buf, want, r->now);
		CHECK(n <= want);
		if (n == 0)
			break;
		moved += n;
		spend(r, n);
		remote_take(r, rm, buf, n);
	}
}

/* Seals pt as rm's next transport message into g_wire; its framed length, or 0. */
static size_t seal(struct remote *rm, const uint8_t *pt, size_t ptlen)
{
	size_t clen;
	if (rm->state != R_TRANSPORT || ptlen > HS_FRAME_MAX)
		return 0;
	CHECK(hs_transport_encrypt(rm->tr, g_wire + 2, WIRE_MAX - 2, &clen, pt, ptlen) == 0);
	g_wire[0] = (uint8_t)clen;
	g_wire[1] = (uint8_t)(clen >> 8);
	return 2 + clen;
}

static void batch_flush(struct run *r, struct remote *rm)
{
	if (g_batchlen > 0)
		feed(r, rm, g_batch, g_batchlen);
	g_batchlen = 0;
}

/* Sends one plaintext frame: whole, split in two recv calls, or appended to the batch. */
static void send_frame(struct run *r, struct remote *rm, const uint8_t *pt, size_t ptlen,
                       bool split, bool batch)
{
	size_t n = seal(rm, pt, ptlen);
	if (n == 0)
		return;
	r->frames_in++;
	if (batch) {
		memcpy(g_batch + g_batchlen, g_wire, n);
		g_batchlen += n;
		if (g_batchlen >= BATCH_MAX)
			batch_flush(r, rm);
		return;
	}
	size_t cut = split ? 1 + ptlen % (n - 1) : n;
	feed(r, rm, g_wire, cut);
	if (cut < n)
		feed(r, rm, g_wire + cut, n - cut);
}

/* Runs the handshake until it ends one way or the other. */
static void handshake_auto(struct run *r, struct remote *rm)
{
	for (unsigned i = 0; i < 8 && rm->state == R_HANDSHAKE; i++) {
		remote_advance(r, rm);
		drain(r, rm, 0);
	}
}

/* ---- events and invariants ---------------------------------------------------------------- */

static uint8_t *hflag(struct run *r, uint64_t handle)
{
	CHECK(handle >= 1 && handle <= r->last_handle && handle < HANDLES_MAX);
	return &r->hflags[handle];
}

/* Remembers a delivered id; false if it was delivered before. */
static bool delivered_once(struct run *r, const uint8_t id[HS_ID_LEN])
{
	uint64_t key = 0;
	for (unsigned i = 0; i < 8; i++)
		key |= (uint64_t)id[i] << (8 * i);
	key |= 1; /* 0 marks an empty slot */
	if (r->ndelivered >= DELIVERED_MAX)
		return true; /* too many to track: stop checking */
	size_t mask = 2 * DELIVERED_MAX - 1;
	for (size_t i = (size_t)(key >> 1) & mask;; i = (i + 1) & mask) {
		if (r->delivered[i] == key)
			return false; /* 63 bits of a BLAKE2b id: a collision is not a plausible
			                 cause */
		if (r->delivered[i] == 0) {
			r->delivered[i] = key;
			r->ndelivered++;
			return true;
		}
	}
}

static bool node_takes(const struct run *r, const uint8_t *topic, size_t len)
{
	if (r->all_topics)
		return true;
	return (len == 2 && memcmp(topic, "tx", 2) == 0) ||
	       (len == 6 && memcmp(topic, "blocks", 6) == 0);
}

static void check_deliver(struct run *r, const struct hs_event *ev)
{
	size_t len;
	uint8_t id[HS_ID_LEN];
	CHECK(hs_rumor_encode(&ev->rumor, g_pt, sizeof(g_pt), &len) == 0);
	hs_blake2b256(id, g_pt, len);
	CHECK(memcmp(id, ev->id, HS_ID_LEN) == 0);
	CHECK(ev->received_ns == r->now);
	bool own = memcmp(ev->rumor.origin, hs_identity_pubkey(g_node.id), HS_KEY_LEN) == 0;
	CHECK(own || node_takes(r, ev->rumor.topic, ev->rumor.topic_len));
	CHECK(!r->check_unique || delivered_once(r, id));
	add_known(r, id);
}

static void check_peer_up(struct run *r, const struct hs_event *ev)
{
	uint8_t *f = hflag(r, ev->peer);
	CHECK((*f & (H_UP | H_CLOSE | H_FREED)) == 0);
	*f |= H_UP;
	struct remote *rm = remote_by_handle(r, ev->peer);
	CHECK(rm != NULL && ev->inbound == rm->node_inbound);
	CHECK(hs_netaddr_equal(&ev->addr, &rm->addr));
	if (!rm->tainted) {
		CHECK(memcmp(ev->id, pub_of(rm->who), HS_KEY_LEN) == 0);
		return;
	}
	bool proven = false; /* only keys with a proof on this network can get here */
	for (unsigned w = 0; w < WHO_OTHER_NET; w++)
		proven |= memcmp(ev->id, pub_of(w), HS_KEY_LEN) == 0;
	CHECK(proven);
}

/* What the driver is asked to persist: a key, and a value unless it is a deletion. */
static void check_save(const struct hs_event *ev)
{
	struct hs_record rec;
	struct hs_ban ban;
	CHECK(ev->key != NULL && ev->keylen > 0 && (ev->value != NULL) == (ev->valuelen > 0));
	struct hs_book_meta meta;
	size_t reclen;
	bool has_meta;
	if (ev->save_kind == HS_SAVE_RECORD)
		CHECK(ev->keylen == HS_KEY_LEN &&
		      hs_book_value_decode(&rec, &reclen, &meta, &has_meta, ev->value,
		                           ev->valuelen) == 0 &&
		      has_meta && memcmp(rec.id, ev->key, HS_KEY_LEN) == 0);
	if (ev->save_kind == HS_SAVE_ANCHOR)
		CHECK(ev->keylen == HS_KEY_LEN &&
		      hs_record_decode(&rec, ev->value, ev->valuelen) == 0 &&
		      memcmp(rec.id, ev->key, HS_KEY_LEN) == 0);
	if (ev->save_kind == HS_SAVE_UNRECORD || ev->save_kind == HS_SAVE_UNANCHOR)
		CHECK(ev->keylen == HS_KEY_LEN && ev->value == NULL);
	if (ev->save_kind == HS_SAVE_BAN)
		CHECK(hs_ban_decode(&ban, ev->value, ev->valuelen) == 0);
	if (ev->save_kind == HS_SAVE_UNBAN)
		CHECK(ev->value == NULL);
}

static void check_event(struct run *r, const struct hs_event *ev)
{
	uint8_t *f;
	if (g_trace)
		fprintf(stderr, "  event %d peer %llu fault %d %s\n", ev->type,
		        (unsigned long long)ev->peer, ev->fault, ev->text ? ev->text : "");
	switch (ev->type) {
	case HS_EV_DELIVER:
		check_deliver(r, ev);
		break;
	case HS_EV_DIAL:
		CHECK(hs_netaddr_is_valid(&ev->addr) && !r->shutdown);
		r->last_dial = ev->addr;
		r->has_dial = true;
		break;
	case HS_EV_CLOSE:
		f = hflag(r, ev->peer);
		CHECK((*f & (H_CLOSE | H_FREED)) == 0 && ev->text != NULL);
		*f |= H_CLOSE;
		if (r->auto_close)
			r->to_close[r->nclose++] = ev->peer;
		break;
	case HS_EV_PEER_UP:
		check_peer_up(r, ev);
		break;
	case HS_EV_PEER_DOWN:
		f = hflag(r, ev->peer);
		CHECK((*f & (H_UP | H_DOWN | H_FREED)) == (H_UP | H_FREED));
		*f |= H_DOWN;
		break;
	case HS_EV_SAVE:
		check_save(ev);
		break;
	case HS_EV_STATE: {
		size_t len;
		CHECK(hs_entry_encode(&ev->entry, g_pt, sizeof(g_pt), &len) == 0);
		break;
	}
	case HS_EV_MEMBER:
		CHECK(ev->change >= HS_MEMBER_JOINED && ev->change <= HS_MEMBER_UPDATED);
		CHECK(ev->member.status >= HS_MEMBER_ALIVE && ev->member.status <= HS_MEMBER_LEFT);
		break;
	case HS_EV_FAULT:
		hflag(r, ev->peer);
		CHECK(ev->fault >= HS_SCORE_MALFORMED && ev->fault <= HS_SCORE_HANDSHAKE);
		CHECK(ev->text != NULL);
		break;
	default:
		CHECK(false);
	}
}

static void close_peer(struct run *r, struct remote *rm);

static void check_node(struct run *r)
{
	CHECK(hs_node_check(r->node));
	struct hs_peer_info info[NSLOTS + 1];
	size_t n = hs_node_peers(r->node, info, NSLOTS + 1);
	CHECK(n == open_count(r));
	for (size_t i = 0; i < n; i++) {
		struct remote *rm = remote_by_handle(r, info[i].peer);
		CHECK(rm != NULL && info[i].inbound == rm->node_inbound);
		uint8_t f = *hflag(r, info[i].peer);
		CHECK(!info[i].active || (f & (H_UP | H_CLOSE)) == H_UP);
		CHECK(!r->shutdown || (f & H_CLOSE));
		/* Within the default caps; a NaN fails both comparisons. */
		CHECK(info[i].score >= -1000.0 && info[i].score <= 20.0);
		/* Rationale: HS_SEND_MAX is where the node closes a slow peer; the frame that
		 * crossed it is the most it may hold beyond. */
		CHECK(hs_node_pending(r->node, rm->handle) <= HS_SEND_MAX + WIRE_MAX);
	}
	struct hs_record rec[2];
	CHECK(hs_node_addresses(r->node, rec, 2) <= r->book_max);
}

/* Every held entry re-encodes to the bytes its id names. */
static void check_entry(void *ctx, const struct hs_entry *e, const uint8_t id[HS_ID_LEN])
{
	(void)ctx;
	uint8_t h[HS_ID_LEN];
	size_t len;
	CHECK(hs_entry_encode(e, g_pt, sizeof(g_pt), &len) == 0);
	hs_blake2b256(h, g_pt, len);
	CHECK(memcmp(h, id, HS_ID_LEN) == 0);
}

/* The introspection calls too costly for every operation, once per input. */
static void check_end(struct run *r)
{
	uint8_t enc[HS_RECORD_MAX];
	size_t len;
	struct hs_record rec;
	CHECK(hs_node_record(r->node, enc, sizeof(enc), &len) == 0);
	CHECK(hs_record_decode(&rec, enc, len) == 0 &&
	      memcmp(rec.id, hs_identity_pubkey(g_node.id), HS_KEY_LEN) == 0);
	hs_node_each_state(r->node, NULL, check_entry, NULL);
	/* A proof needs an entry from outside, and the node's own writes never equivocate. */
	CHECK(hs_node_equivocations(r->node) <= r->frames_in * HS_STATE_BATCH_MAX);
}

/* Polls every event; closes what the node asked to close when the driver does so at once. */
static void settle(struct run *r)
{
	struct hs_event ev;
	for (unsigned round = 0; round < 64; round++) {
		r->nclose = 0;
		while (hs_node_poll_event(r->node, &ev))
			check_event(r, &ev);
		if (r->nclose == 0)
			break;
		for (size_t i = 0; i < r->nclose; i++) {
			struct remote *rm = remote_by_handle(r, r->to_close[i]);
			if (rm) {
				drain(r, rm, 0);
				close_peer(r, rm);
			}
		}
	}
	for (uint64_t h = 1; h <= r->last_handle && h < HANDLES_MAX; h++)
		if ((r->hflags[h] & (H_FREED | H_UP)) == (H_FREED | H_UP))
			CHECK(r->hflags[h] & H_DOWN); /* reported as soon as it closed */
	check_node(r);
}

/* The driver reports rm's socket closed; the handle must be dead afterwards. */
static void close_peer(struct run *r, struct remote *rm)
{
	uint64_t h = rm->handle;
	uint8_t b = 0;
	*hflag(r, h) |= H_FREED;
	hs_node_peer_closed(r->node, h, r->now);
	hs_handshake_del(rm->hs);
	hs_transport_del(rm->tr);
	rm->hs = NULL;
	rm->tr = NULL;
	rm->used = false;
	CHECK(hs_node_recv(r->node, h, &b, 1, r->now) == HS_ERR_NOT_FOUND);
	CHECK(hs_node_disconnect(r->node, h, r->now) == HS_ERR_NOT_FOUND);
	CHECK(hs_node_pending(r->node, h) == 0 && hs_node_write(r->node, h, &b, 1, r->now) == 0);
}

static void run_timer(struct run *r)
{
	hs_node_timer(r->node, r->now);
	CHECK(hs_node_next_deadline(r->node) > r->now);
}

#include "node_recv_frames.h" /* the frame builders: build() fills B.m */

/* ---- structured frames ---------------------------------------------------------------------- */

/* Encodes B.m into g_pt, first varied for repetition i; its length, or 0. */
static size_t encode_rep(struct run *r, size_t i)
{
	uint8_t t = B.m.type;
	if (i > 0 && t == HS_MSG_RUMOR)
		B.m.u.rumor.rumor.time_ms++;
	if (i > 0 && (t == HS_MSG_PING || t == HS_MSG_PONG))
		B.m.u.ping.nonce++;
	if (i > 0 && (t == HS_MSG_INV || t == HS_MSG_GETDATA || t == HS_MSG_NOTFOUND) &&
	    B.inv_mode == 2)
		for (size_t k = 0; k < B.m.u.inv.count; k++)
			fresh_id(r, B.items + k * HS_INV_ITEM_LEN + 1);
	size_t len;
	if (hs_msg_encode(&B.m, g_pt, sizeof(g_pt), &len) != 0)
		return 0;
	if (t == HS_MSG_RUMOR)
		hold(r, g_pt + 1, len - 1);
	return len;
}

/* Sends a held rumor again: a duplicate, or the answer to a getdata. */
static void send_held(struct run *r, struct remote *rm, const struct held *h, bool split,
                      bool batch)
{
	g_pt[0] = HS_MSG_RUMOR;
	memcpy(g_pt + 1, h->enc, h->len);
	send_frame(r, rm, g_pt, 1 + h->len, split, batch);
}

static void rumor_special(struct run *r, struct remote *rm, struct rd *in, uint8_t mode,
                          size_t reps, uint8_t pb)
{
	bool split = pb & 128u, batch = pb & 64u;
	if ((mode & 3u) == NR_RUMOR_RESEND) {
		struct held *h = held_newest(r, rd_u8(in));
		for (size_t i = 0; h && i < reps && r->budget > 0; i++)
			send_held(r, rm, h, split, batch);
	} else {
		for (size_t i = 0; i < r->ngetdata; i++) {
			struct held *h = held_by_id(r, r->getdata[i]);
			if (h)
				send_held(r, rm, h, split, batch);
		}
	}
	batch_flush(r, rm);
}

static void op_struct(struct run *r, struct rd *in)
{
	uint8_t pb = rd_u8(in), t = rd_u8(in) % 16u, mode = 0;
	size_t reps = nr_reps(rd_u8(in));
	struct remote *rm = pick(r, pb);
	if (!rm)
		return;
	if (!build(r, rm, in, t, &mode)) {
		/* An unassigned type (0 or 15): ignored by the node, without penalty. */
		size_t len = rd_u8(in);
		g_pt[0] = t;
		rd_fill(in, g_pt + 1, len, len);
		for (size_t i = 0; i < reps && r->budget > 0; i++)
			send_frame(r, rm, g_pt, 1 + len, pb & 128u, pb & 64u);
		batch_flush(r, rm);
		return;
	}
	if (t == HS_MSG_RUMOR &&
	    ((mode & 3u) == NR_RUMOR_RESEND || (mode & 3u) == NR_RUMOR_ANSWER)) {
		rumor_special(r, rm, in, mode, reps, pb);
		return;
	}
	bool hold_only = t == HS_MSG_RUMOR && (mode & 3u) == NR_RUMOR_HOLD;
	if (!hold_only && rm->state != R_TRANSPORT)
		return;
	for (size_t i = 0; i < reps && r->budget > 0; i++) {
		size_t len = encode_rep(r, i);
		if (len == 0)
			break;
		if (!hold_only)
			send_frame(r, rm, g_pt, len, pb & 128u, pb & 64u);
	}
	batch_flush(r, rm);
}

static void send_valid_hello(struct run *r, struct remote *rm)
{
	static const uint8_t fields[2] = { 0, 1 }; /* version 1, main, own record, all topics */
	struct rd z = { fields, sizeof(fields) };
	uint8_t mode;
	size_t len;
	if (build(r, rm, &z, HS_MSG_HELLO, &mode) &&
	    hs_msg_encode(&B.m, g_pt, sizeof(g_pt), &len) == 0)
		send_frame(r, rm, g_pt, len, false, false);
}

/* ---- the driver's operations ---------------------------------------------------------------- */

static void open_session(struct run *r, uint8_t f, const struct hs_netaddr *addr, bool inbound)
{
	struct remote *rm = NULL;
	size_t live = 0, live_in = 0;
	for (size_t i = 0; i < NSLOTS; i++) {
		if (!r->peer[i].used && !rm)
			rm = &r->peer[i];
		bool up = r->peer[i].used && !(*hflag(r, r->peer[i].handle) & H_CLOSE);
		live += up;
		live_in += up && r->peer[i].node_inbound;
	}
	if (!rm)
		return; /* the harness mirrors at most NSLOTS sessions; the node would hold more */
	uint64_t h = 0;
	int err = hs_node_peer_open(r->node, &h, inbound, addr, r->now);
	if (r->shutdown) {
		CHECK(err == HS_ERR_STATE);
		return;
	}
	if (err == HS_ERR_BANNED)
		return; /* an earlier session from this address was banned */
	/* Full: an outbound open is refused; an inbound one, past its slots (the outbound
	 * reserve is never given to inbound peers), evicts an inbound session (whose CLOSE
	 * follows) or, when none may go, is refused. */
	CHECK(live <= NPEERS && live_in <= NINBOUND);
	if (inbound ? live == NPEERS || live_in == NINBOUND : live == NPEERS) {
		CHECK(err == HS_ERR_FULL || (inbound && err == 0));
		if (err)
			return;
	} else {
		CHECK(err != HS_ERR_FULL);
	}
	CHECK(err == 0 && h > r->last_handle && h < HANDLES_MAX);
	r->last_handle = h;
	r->hflags[h] = H_OPEN;
	memset(rm, 0, offsetof(struct remote, in));
	rm->used = true;
	rm->handle = h;
	rm->who = (f >> NR_WHO_SHIFT) % NREMOTE;
	rm->node_inbound = inbound;
	rm->addr = *addr;
	rm->state = R_HANDSHAKE;
	uint8_t eph[32];
	fill_random(&r->hrng, eph, sizeof(eph));
	CHECK(hs_handshake_new(&rm->hs, &g_remote[rm->who].hc, inbound, eph) == 0);
	unsigned autom = f & NR_AUTO_DRAIN;
	if (autom >= NR_AUTO_HANDSHAKE)
		handshake_auto(r, rm);
	if (autom >= NR_AUTO_HELLO && rm->state == R_TRANSPORT)
		send_valid_hello(r, rm);
	if (autom == NR_AUTO_DRAIN)
		drain(r, rm, 0);
}

static void op_raw(struct run *r, struct rd *in)
{
	struct remote *rm = pick(r, rd_u8(in));
	size_t len = rd_u8(in);
	if (len > in->n)
		len = in->n;
	if (rm && len > 0) {
		if (rm->state != R_TRANSPORT)
			rm->tainted = true;
		feed(r, rm, in->p, len);
	}
	in->p += len;
	in->n -= len;
}

static void op_frame(struct run *r, struct rd *in)
{
	uint8_t pb = rd_u8(in);
	size_t len = rd_u16(in);
	if (len > in->n)
		len = in->n;
	if (len > HS_FRAME_MAX)
		len = HS_FRAME_MAX;
	struct remote *rm = pick(r, pb);
	if (len > 0)
		memcpy(g_pt, in->p, len);
	in->p += len;
	in->n -= len;
	if (rm)
		send_frame(r, rm, g_pt, len, pb & 128u, false);
}

static void op_publish(struct run *r, struct rd *in)
{
	unsigned t = rd_u8(in) % (NTOPICS + 2);
	size_t len = rd_u16(in) % (HS_RUMOR_PAYLOAD_MAX + 2u);
	rd_fill(in, g_pt, len, rd_u8(in));
	uint8_t id[HS_ID_LEN];
	int err = hs_node_publish(r->node, id, topics[t], g_pt, len, r->now);
	if (t >= NTOPICS || len > HS_RUMOR_PAYLOAD_MAX) {
		CHECK(err == HS_ERR_INVALID);
		return;
	}
	CHECK(err == 0);
	const uint8_t *enc;
	size_t enclen;
	CHECK(hs_node_get_rumor(r->node, id, &enc, &enclen) == 0);
	hold(r, enc, enclen);
}

static void op_advance(struct run *r, struct rd *in)
{
	static const uint64_t unit_ns[6] = {
		HS_NS_PER_MS,     10 * HS_NS_PER_MS, HS_NS_PER_S,
		10 * HS_NS_PER_S, 60 * HS_NS_PER_S,  3600 * HS_NS_PER_S
	};
	uint8_t u = rd_u8(in);
	r->now += rd_u8(in) * unit_ns[u % 6u];
	if ((u & NR_TIMER_ALWAYS) || hs_node_next_deadline(r->node) <= r->now)
		run_timer(r);
}

static void op_deadline(struct run *r, struct rd *in)
{
	unsigned n = rd_u8(in) % 8u + 1;
	for (unsigned i = 0; i < n; i++) {
		uint64_t d = hs_node_next_deadline(r->node);
		if (d == UINT64_MAX || (d > r->now && d - r->now > 86400 * HS_NS_PER_S))
			return;
		if (d > r->now)
			r->now = d;
		run_timer(r);
	}
}

/* hs_node_add_record, or (F bit 1) hs_node_add_anchor. */
static int add_record(struct run *r, bool anchor, const uint8_t *p, size_t len)
{
	return anchor ? hs_node_add_anchor(r->node, p, len, r->now)
	              : hs_node_add_record(r->node, p, len, r->now);
}

static void op_record(struct run *r, struct rd *in)
{
	uint8_t f = rd_u8(in), enc[HS_RECORD_MAX];
	size_t len;
	int err;
	bool anchor = (f & 2u) != 0;
	if (f & 1u) {
		len = rd_u8(in);
		if (len > in->n)
			len = in->n;
		err = add_record(r, anchor, in->p, len);
		in->p += len;
		in->n -= len;
		CHECK(err <= 0);
		return;
	}
	uint8_t b = rd_u8(in);
	struct hs_record rec;
	build_record(r, &rec, b);
	CHECK(hs_record_encode(&rec, enc, sizeof(enc), &len) == 0);
	err = add_record(r, anchor, enc, len);
	CHECK(err <= 0 && ((b & NR_REC_BADSIG) == 0 || err == HS_ERR_BAD_SIG));
}

static void op_peer(struct run *r, struct rd *in, unsigned op)
{
	struct remote *rm = pick(r, rd_u8(in));
	if (!rm)
		return;
	if (op == NR_CLOSE)
		close_peer(r, rm);
	else
		CHECK(hs_node_disconnect(r->node, rm->handle, r->now) == 0);
}

static void op_pump(struct run *r)
{
	for (size_t i = 0; i < NSLOTS; i++) {
		struct remote *rm = &r->peer[i];
		if (!rm->used)
			continue;
		remote_advance(r, rm);
		drain(r, rm, 0);
	}
}

static void op_misc(struct run *r, struct rd *in, unsigned op)
{
	uint8_t f, a;
	struct remote *rm;
	struct hs_netaddr addr;
	int err;
	switch (op) {
	case NR_DIALFAIL:
		f = rd_u8(in);
		a = rd_u8(in);
		addr = (f & 1u) && r->has_dial ? r->last_dial : addr_of(a);
		hs_node_dial_failed(r->node, &addr, r->now);
		break;
	case NR_DRAIN:
		rm = pick(r, rd_u8(in));
		a = rd_u8(in);
		if (rm)
			drain(r, rm, (size_t)a * 256);
		break;
	case NR_SHUTDOWN:
		hs_node_shutdown(r->node, r->now);
		r->shutdown = true;
		break;
	case NR_ADDMANUAL:
		f = rd_u8(in);
		addr = addr_of(rd_u8(in));
		err = (f & 1u) ? hs_node_add_seed(r->node, &addr, r->now)
		               : hs_node_add_peer(r->node, &addr, r->now);
		CHECK(err == 0 || err == HS_ERR_EXISTS || err == HS_ERR_FULL);
		break;
	default:
		break;
	}
}

static void ban_key(uint8_t f, uint8_t b, uint8_t *kind, uint8_t key[32])
{
	bool id = (f & 7u) == NR_BAN_ID || (f & 7u) == NR_UNBAN_ID;
	*kind = id ? HS_BAN_ID : HS_BAN_ADDR;
	if (!id) {
		struct hs_netaddr a = addr_of(b);
		hs_ban_addr_key(&a, key);
	} else {
		memcpy(key, b % 7u == NR_WHO_NODE ? hs_identity_pubkey(g_node.id) : pub_of(b), 32);
	}
}

/* The operator's reputation and address calls, and what a store hands back at start. */
static void op_repute(struct run *r, struct rd *in)
{
	uint8_t f = rd_u8(in), b = rd_u8(in), kind, key[32];
	struct hs_netaddr a = addr_of(b);
	int err;
	ban_key(f, b, &kind, key);
	switch (f & 7u) {
	case NR_BAN_ID:
	case NR_BAN_ADDR:
		err = hs_node_ban(r->node, kind, key, r->now + (b + 1u) * 60 * HS_NS_PER_S, r->now);
		CHECK(err == 0 || err == HS_ERR_FULL);
		break;
	case NR_UNBAN_ID:
	case NR_UNBAN_ADDR:
		err = hs_node_unban(r->node, kind, key, r->now);
		CHECK(err == 0 || err == HS_ERR_NOT_FOUND);
		break;
	case NR_CLEAR_BANS:
		hs_node_clear_bans(r->node, r->now);
		CHECK(hs_node_bans(r->node, NULL, 0, r->now) == 0);
		break;
	case NR_REMOVE_PEER:
		err = hs_node_remove_peer(r->node, &a);
		CHECK(err == 0 || err == HS_ERR_NOT_FOUND);
		break;
	case NR_DIAL_ONCE:
		err = hs_node_dial_once(r->node, &a, r->now);
		CHECK(r->shutdown ? err == HS_ERR_STATE
		                  : err == 0 || err == HS_ERR_EXISTS || err == HS_ERR_FULL);
		break;
	default: {
		size_t len = rd_u8(in);
		if (len > in->n)
			len = in->n;
		r->frames_in += (f & NR_LOAD_STATE) != 0;
		if (f & NR_LOAD_STATE)
			err = hs_node_load_state(r->node, in->p, len, r->now);
		else if (f & NR_LOAD_SCORE)
			err = hs_node_load_score(r->node, in->p, len);
		else
			err = hs_node_load_ban(r->node, in->p, len);
		CHECK(err <= 0);
		in->p += len;
		in->n -= len;
		break;
	}
	}
}

/* The node writes its own state: F bit 0 delete, else set; key "k" + F >> 1 % 4; L8 value. */
static void op_state(struct run *r, struct rd *in)
{
	static const char *const keys[4] = { "k0", "k1", "k2", "bad key" };
	uint8_t f = rd_u8(in), id[HS_ID_LEN];
	const char *key = keys[(f >> 1) % 4u];
	size_t len = rd_u8(in);
	rd_fill(in, g_pt, len, len);
	int err = (f & 1u) ? hs_node_del_state(r->node, key, id, r->now)
	                   : hs_node_set_state(r->node, key, g_pt, len, id, r->now);
	if (key == keys[3]) {
		CHECK(err == HS_ERR_INVALID);
		return;
	}
	CHECK(err == 0);
	/* Held: ours, or a newer one a remote signed with the stand-in in our name. */
	struct hs_entry e;
	CHECK(hs_node_get_state(r->node, hs_identity_pubkey(g_node.id), key, &e) == 0);
	add_known(r, id);
}

static void do_op(struct run *r, struct rd *in)
{
	unsigned op = rd_u8(in) % NR_OPS;
	uint8_t f;
	struct hs_netaddr addr;
	if (g_trace)
		fprintf(stderr, "op %u at +%llu ms, %zu sessions\n", op,
		        (unsigned long long)((r->now - T0) / HS_NS_PER_MS), open_count(r));
	switch (op) {
	case NR_OPEN:
		f = rd_u8(in);
		addr = addr_of(rd_u8(in));
		open_session(r, f, &addr, f & NR_INBOUND);
		break;
	case NR_RAW:
		op_raw(r, in);
		break;
	case NR_FRAME:
		op_frame(r, in);
		break;
	case NR_STRUCT:
		op_struct(r, in);
		break;
	case NR_PUBLISH:
		op_publish(r, in);
		break;
	case NR_CLOSE:
	case NR_DISCONNECT:
		op_peer(r, in, op);
		break;
	case NR_ADVANCE:
		op_advance(r, in);
		break;
	case NR_DEADLINE:
		op_deadline(r, in);
		break;
	case NR_ADDRECORD:
		op_record(r, in);
		break;
	case NR_ACCEPTDIAL:
		f = rd_u8(in);
		if (r->has_dial)
			open_session(r, f, &r->last_dial, false);
		break;
	case NR_PUMP:
		op_pump(r);
		break;
	case NR_REPUTE:
		op_repute(r, in);
		break;
	case NR_STATE:
		op_state(r, in);
		break;
	default:
		op_misc(r, in, op);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run *r = &R;
	struct rd in = { data, size };
	world_init();
	run_reset(r);
	node_start(r, rd_u8(&in));
	settle(r);
	for (r->ops = 0; r->ops < OPS_MAX && in.n > 0 && r->budget > 0; r->ops++) {
		do_op(r, &in);
		settle(r);
	}
	check_end(r);
	if (g_trace)
		trace_stats(r->node);
	run_reset(r); /* everything freed: libFuzzer counts leaks per input */
	return 0;
}

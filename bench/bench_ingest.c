/*
 * bench_ingest: how fast one node takes rumors in through the whole core, against the raw
 * signature-verification rate that bounds it, and how fast it throws duplicates away.
 *
 *   ingest       NRUMORS unique valid rumors (signed by NORIGINS origins) arrive round-robin
 *                from NPEERS established sessions as encrypted rumor frames: Noise decrypt,
 *                decode, id hash, dedup, time window, signature (real BIP340 verification
 *                through hs_verify_cached, as hearsayd does: a repeat origin's key is not
 *                parsed again), store,
 *                DELIVER event, relay (eager push and inv to the other seven peers). The
 *                driver loop is what a driver does after each input: poll every event, write
 *                every peer's pending output.
 *   ingest_batched  the same, but the driver hands the node READ_BATCH frames of one peer per
 *                hs_node_recv call, as a loaded driver's socket reads do; the node's
 *                announcements then batch too (one inv per input, not per rumor).
 *   raw_verify   secp256k1_xonly_pubkey_parse + secp256k1_schnorrsig_verify on the same
 *                (key, signature, 32-byte digest) triples: the floor of any verifying ingest.
 *   dup_rumor    the same rumors again as rumor frames, each from DUP_PASSES other peers:
 *                decrypt, decode, id hash, store/seen lookup, nothing more.
 *   dup_inv      inv frames of HS_INV_MAX ids the node already holds, all ids from every peer.
 *   dup_floor    what no duplicate frame can avoid, with libsodium alone: ChaCha20-Poly1305
 *                decryption of each dup_rumor frame's size and BLAKE2b of its rumor (the id).
 *
 * Only the receiving node's work is timed: rumors are signed once, and each round gets a new
 * node whose sessions (real Noise handshakes, hellos) are set up and whose frames are
 * encrypted before its clock starts. The node's rate limits are raised out of the way (they
 * are still checked on every frame); time stands still, so no timer work interferes.
 *
 * Machines are noisy, so rounds interleave ingest and raw verification (order alternating)
 * and we report medians, min and max, and the median of per-round ingest/raw ratios (the
 * headline: adjacent runs share the machine's mood). Targets: ingest >= 90 % of raw
 * verification; >= 1,000,000 duplicates per second (both kinds). "met" in the JSON says which
 * were reached; nothing is asserted.
 *
 * Usage: bench_ingest [OUTDIR]   writes OUTDIR/ingest.json (default bench/results).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>

#include "benchstat.h"
#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "crypto/noise.h"
#include "overlay/msg.h"
#include "overlay/node.h"
#include "testrng.h"

#define NPEERS      8
#define NORIGINS    4
#define NRUMORS     20000
#define PAYLOAD_LEN 100
#define ROUNDS      7
#define DUP_PASSES  4
#define READ_BATCH  16 /* frames per recv call in ingest_batched */
#define NETWORK     "bench"
#define TOPIC       "blocks"
#define T0          (1767225600ull * HS_NS_PER_S)
#define WIRE_MAX    (2 + HS_NOISE_MSG_MAX)

/* ---- keys and the pre-signed rumors ---------------------------------------------------------- */

struct ident {
	struct hs_identity *id;
	struct hs_noise_static *noise;
	uint8_t proof[HS_SIG_LEN];
	struct hs_handshake_config hc;
};

/* A batch of framed ciphertexts, fed one frame per hs_node_recv call. */
struct frames {
	uint8_t *buf;
	size_t len, cap;
	size_t *off; /* frame i is buf[off[i], off[i + 1]) */
	uint64_t *peer;
	size_t n, max;
};

struct bench {
	struct hs_crypto *crypto;
	struct hs_keycache *keys; /* the daemon's verify path: parsed keys of recent signers */
	secp256k1_context *raw;
	struct test_rng rng; /* the node's randomness: seeded afresh each run */
	struct ident node, remote[NPEERS], origin[NORIGINS];
	struct hs_tag tag;
	uint8_t *enc[NRUMORS];
	size_t enclen[NRUMORS];
	uint8_t id[NRUMORS][HS_ID_LEN];
	uint8_t digest[NRUMORS][32];
	const uint8_t *pub[NRUMORS];
	/* One round's node and sessions. */
	struct hs_node *n;
	struct hs_transport *tr[NPEERS];
	uint64_t handle[NPEERS];
	struct frames f;
	uint64_t delivered, sink;
	unsigned failures; /* anything that went wrong voids the results */
};

static struct bench B;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "bench_ingest: %s\n", what);
	exit(1);
}

static void cap_random(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	test_rng_bytes(&B.rng, out, len);
}

static int cap_sign(void *ctx, uint8_t sig[HS_SIG_LEN], const uint8_t digest[32])
{
	uint8_t aux[32];
	cap_random(ctx, aux, sizeof(aux));
	return hs_identity_sign(B.crypto, B.node.id, sig, digest, aux);
}

static int cap_verify(void *ctx, const uint8_t pub[HS_KEY_LEN], const uint8_t sig[HS_SIG_LEN],
                      const uint8_t digest[32])
{
	(void)ctx;
	return hs_verify_cached(B.crypto, B.keys, pub, sig, digest);
}

static void ident_new(struct ident *x)
{
	uint8_t sk[32], ns[32], aux[32];
	do
		randombytes_buf(sk, sizeof(sk));
	while (hs_identity_new(&x->id, B.crypto, sk) != 0);
	randombytes_buf(ns, sizeof(ns));
	randombytes_buf(aux, sizeof(aux));
	if (hs_noise_static_new(&x->noise, ns) != 0 ||
	    hs_handshake_prove(B.crypto, x->id, NETWORK, x->noise, aux, x->proof) != 0)
		die("cannot make keys");
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(ns, sizeof(ns));
	x->hc.crypto = B.crypto;
	x->hc.noise_static = x->noise;
	x->hc.identity = hs_identity_pubkey(x->id);
	x->hc.identity_sig = x->proof;
	x->hc.network = NETWORK;
}

static void ident_del(struct ident *x)
{
	hs_identity_del(x->id);
	hs_noise_static_del(x->noise);
}

/* NRUMORS distinct rumors, each signed for real by one of the origins. */
static void make_rumors(void)
{
	uint8_t payload[PAYLOAD_LEN], aux[32];
	for (size_t i = 0; i < NRUMORS; i++) {
		const struct ident *o = &B.origin[i % NORIGINS];
		randombytes_buf(payload, sizeof(payload));
		struct hs_rumor rm = { .topic = (const uint8_t *)TOPIC,
			               .topic_len = strlen(TOPIC) };
		memcpy(rm.origin, hs_identity_pubkey(o->id), HS_KEY_LEN);
		rm.time_ms = T0 / HS_NS_PER_MS;
		rm.payload = payload;
		rm.payload_len = sizeof(payload);
		size_t cap = hs_rumor_encoded_len(&rm), len;
		B.enc[i] = malloc(cap);
		if (!B.enc[i] || hs_rumor_encode(&rm, B.enc[i], cap, &len) != 0)
			die("cannot encode a rumor");
		hs_tag_hash(&B.tag, B.digest[i], B.enc[i], len - HS_SIG_LEN);
		randombytes_buf(aux, sizeof(aux));
		if (hs_identity_sign(B.crypto, o->id, B.enc[i] + len - HS_SIG_LEN, B.digest[i],
		                     aux) != 0)
			die("cannot sign a rumor");
		B.enclen[i] = len;
		B.pub[i] = hs_identity_pubkey(o->id);
		hs_blake2b256(B.id[i], B.enc[i], len);
	}
}

static void setup(void)
{
	uint8_t seed[32];
	randombytes_buf(seed, sizeof(seed));
	if (hs_crypto_new(&B.crypto, seed) != 0 || hs_keycache_new(&B.keys, seed + 16, 4096) != 0 ||
	    hs_tag_init(&B.tag, "rumor", NETWORK) != 0)
		die("cannot make the crypto context");
	B.raw = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	randombytes_buf(seed, sizeof(seed));
	if (!B.raw || !secp256k1_context_randomize(B.raw, seed))
		die("cannot make the raw secp256k1 context");
	uint64_t rng_seed;
	randombytes_buf(&rng_seed, sizeof(rng_seed));
	test_rng_seed(&B.rng, rng_seed);
	ident_new(&B.node);
	for (size_t i = 0; i < NPEERS; i++)
		ident_new(&B.remote[i]);
	for (size_t i = 0; i < NORIGINS; i++)
		ident_new(&B.origin[i]);
	make_rumors();
	size_t max = NRUMORS * DUP_PASSES + 1;
	B.f.max = max;
	B.f.off = malloc((max + 1) * sizeof(*B.f.off));
	B.f.peer = malloc(max * sizeof(*B.f.peer));
	B.f.cap = max * 320 + (size_t)NPEERS * (NRUMORS / HS_INV_MAX + 1) * 34000;
	B.f.buf = malloc(B.f.cap);
	if (!B.f.off || !B.f.peer || !B.f.buf)
		die("out of memory");
	B.f.off[0] = 0;
}

static void teardown(void)
{
	for (size_t i = 0; i < NRUMORS; i++)
		free(B.enc[i]);
	free(B.f.off);
	free(B.f.peer);
	free(B.f.buf);
	ident_del(&B.node);
	for (size_t i = 0; i < NPEERS; i++)
		ident_del(&B.remote[i]);
	for (size_t i = 0; i < NORIGINS; i++)
		ident_del(&B.origin[i]);
	secp256k1_context_destroy(B.raw);
	hs_keycache_del(B.keys);
	hs_crypto_del(B.crypto);
}

/* ---- one round's node ---------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What a driver does after each input: poll every event, write every peer's output. */
static void pump(void)
{
	static uint8_t sink[1u << 16];
	struct hs_event ev;
	while (hs_node_poll_event(B.n, &ev)) {
		if (ev.type == HS_EV_DELIVER)
			B.delivered++;
		else if (ev.type == HS_EV_CLOSE || ev.type == HS_EV_FAULT)
			B.failures++;
	}
	for (size_t i = 0; i < NPEERS; i++) {
		size_t k;
		while ((k = hs_node_write(B.n, B.handle[i], sink, sizeof(sink), T0)) > 0)
			B.sink += sink[k - 1];
	}
}

static void send_wire(size_t peer, const uint8_t *msg, size_t len)
{
	uint8_t w[WIRE_MAX];
	w[0] = (uint8_t)len;
	w[1] = (uint8_t)(len >> 8);
	memcpy(w + 2, msg, len);
	if (hs_node_recv(B.n, B.handle[peer], w, 2 + len, T0) != 0)
		die("hs_node_recv refused a live session");
}

/* The remote end of session i runs its handshake (it dials: the node answers). */
static void handshake(size_t i)
{
	struct hs_handshake *hs;
	uint8_t eph[32], msg[WIRE_MAX], id[HS_KEY_LEN];
	size_t len;
	randombytes_buf(eph, sizeof(eph));
	if (hs_handshake_new(&hs, &B.remote[i].hc, true, eph) != 0)
		die("cannot start a handshake");
	for (int step = 0; step < 4 && !hs_handshake_is_done(hs); step++) {
		if (hs_handshake_wants_write(hs)) {
			if (hs_handshake_write(hs, msg, sizeof(msg), &len) != 0)
				die("handshake write");
			send_wire(i, msg, len);
			continue;
		}
		len = hs_node_write(B.n, B.handle[i], msg, sizeof(msg), T0);
		if (len < 2 || hs_handshake_read(hs, msg + 2, (size_t)(msg[0] | msg[1] << 8)) != 0)
			die("the node's handshake message did not read");
	}
	if (hs_handshake_finish(hs, &B.tr[i], id) != 0 ||
	    memcmp(id, hs_identity_pubkey(B.node.id), HS_KEY_LEN) != 0)
		die("handshake did not finish");
	hs_handshake_del(hs);
}

static void seal_to_node(size_t peer, const uint8_t *pt, size_t ptlen);
static double feed(void);

/* The remote's hello, its record signed for real. */
static void hello(size_t i)
{
	struct hs_msg m = { .type = HS_MSG_HELLO };
	struct hs_msg_hello *h = &m.u.hello;
	uint8_t enc[HS_RECORD_MAX], digest[32], aux[32] = { 0 }, pt[1024];
	size_t len;
	struct hs_tag tag;
	h->version = HS_PROTOCOL_VERSION;
	h->network.p = (const uint8_t *)NETWORK;
	h->network.len = strlen(NETWORK);
	h->flags = HS_HELLO_ALL_TOPICS;
	memcpy(h->record.id, hs_identity_pubkey(B.remote[i].id), HS_KEY_LEN);
	h->record.seq = 1;
	h->record.time_s = T0 / HS_NS_PER_S;
	if (hs_tag_init(&tag, "record", NETWORK) != 0 ||
	    hs_record_encode(&h->record, enc, sizeof(enc), &len) != 0)
		die("cannot encode a record");
	hs_tag_hash(&tag, digest, enc, len - HS_SIG_LEN);
	if (hs_identity_sign(B.crypto, B.remote[i].id, h->record.sig, digest, aux) != 0 ||
	    hs_msg_encode(&m, pt, sizeof(pt), &len) != 0)
		die("cannot make a hello");
	seal_to_node(i, pt, len);
	(void)feed(); /* set-up: not measured */
}

static void node_start(void)
{
	struct hs_node_config cfg;
	hs_node_config_default(&cfg);
	cfg.network = NETWORK;
	memcpy(cfg.identity, hs_identity_pubkey(B.node.id), HS_KEY_LEN);
	cfg.crypto = B.crypto;
	cfg.noise_static = B.node.noise;
	memcpy(cfg.noise_proof, B.node.proof, HS_SIG_LEN);
	cfg.naddrs = 1;
	cfg.addrs[0] = hs_netaddr_ipv4(10, 0, 0, 1, 7000);
	/* Checked on every frame, but out of the way: time stands still in this bench. */
	cfg.peer_frames_per_s = 100000000;
	cfg.verifies_per_s = 100000000;
	struct hs_caps caps = { .random = cap_random, .sign = cap_sign, .verify = cap_verify };
	if (hs_node_new(&B.n, &cfg, &caps, T0) != 0)
		die("cannot make the node");
	for (size_t i = 0; i < NPEERS; i++) {
		struct hs_netaddr a = hs_netaddr_ipv4(10, (uint8_t)(1 + i), 0, 1, 7000);
		if (hs_node_peer_open(B.n, &B.handle[i], true, &a, T0) != 0)
			die("cannot open a session");
		handshake(i);
		hello(i);
		pump();
	}
	struct hs_peer_info info[NPEERS];
	if (hs_node_peers(B.n, info, NPEERS) != NPEERS)
		die("sessions missing");
	for (size_t i = 0; i < NPEERS; i++)
		if (!info[i].active)
			die("a session did not become active");
}

static void node_stop(void)
{
	hs_node_del(B.n);
	B.n = NULL;
	for (size_t i = 0; i < NPEERS; i++) {
		hs_transport_del(B.tr[i]);
		B.tr[i] = NULL;
	}
}

/* ---- frames --------------------------------------------------------------------------------- */

static void frames_reset(void)
{
	B.f.n = B.f.len = 0;
	B.f.off[0] = 0;
}

/* Encrypts pt as the next transport message from peer and queues it (framed) for feeding. */
static void seal_to_node(size_t peer, const uint8_t *pt, size_t ptlen)
{
	struct frames *f = &B.f;
	size_t clen;
	if (f->n >= f->max || f->len + 2 + ptlen + HS_NOISE_TAG_LEN > f->cap)
		die("frame buffer too small");
	uint8_t *d = f->buf + f->len;
	if (hs_transport_encrypt(B.tr[peer], d + 2, f->cap - f->len - 2, &clen, pt, ptlen) != 0)
		die("cannot encrypt");
	d[0] = (uint8_t)clen;
	d[1] = (uint8_t)(clen >> 8);
	f->peer[f->n] = B.handle[peer];
	f->len += 2 + clen;
	f->off[++f->n] = f->len;
}

static void seal_rumor(size_t peer, size_t i)
{
	static uint8_t pt[1 + HS_FRAME_MAX];
	pt[0] = HS_MSG_RUMOR;
	memcpy(pt + 1, B.enc[i], B.enclen[i]);
	seal_to_node(peer, pt, 1 + B.enclen[i]);
}

/* inv frames of HS_INV_MAX ids: every rumor, from every peer. */
static void seal_invs(void)
{
	static uint8_t items[HS_INV_MAX * HS_INV_ITEM_LEN], pt[HS_FRAME_MAX];
	for (size_t p = 0; p < NPEERS; p++) {
		for (size_t first = 0; first < NRUMORS; first += HS_INV_MAX) {
			size_t n = NRUMORS - first < HS_INV_MAX ? NRUMORS - first : HS_INV_MAX, len;
			for (size_t k = 0; k < n; k++) {
				items[k * HS_INV_ITEM_LEN] = HS_INV_RUMOR;
				memcpy(items + k * HS_INV_ITEM_LEN + 1, B.id[first + k], HS_ID_LEN);
			}
			struct hs_msg m = { .type = HS_MSG_INV };
			m.u.inv.count = n;
			m.u.inv.items = items;
			if (hs_msg_encode(&m, pt, sizeof(pt), &len) != 0)
				die("cannot encode an inv");
			seal_to_node(p, pt, len);
		}
	}
}

/* Feeds every queued frame, up to per_call consecutive frames of one peer per recv call,
 * pumping after each call: the timed part. */
static double feed_by(size_t per_call)
{
	double t0 = now_s();
	for (size_t i = 0, j; i < B.f.n; i = j) {
		for (j = i + 1; j < B.f.n && j - i < per_call && B.f.peer[j] == B.f.peer[i]; j++)
			continue;
		if (hs_node_recv(B.n, B.f.peer[i], B.f.buf + B.f.off[i], B.f.off[j] - B.f.off[i],
		                 T0) != 0)
			B.failures++;
		pump();
	}
	double dt = now_s() - t0;
	frames_reset();
	return dt;
}

static double feed(void)
{
	return feed_by(1);
}

/* ---- the measurements ------------------------------------------------------------------------ */

enum { INGEST, INGEST_BATCHED, RAW, DUP_RUMOR, DUP_INV, DUP_FLOOR, NVARIANTS };
static const char *const variant_name[NVARIANTS] = {
	"ingest_rumors_per_s",    "ingest_batched_rumors_per_s", "raw_verify_per_s",
	"dup_rumor_frames_per_s", "dup_inv_ids_per_s",           "dup_floor_frames_per_s"
};

struct results {
	double rate[NVARIANTS][ROUNDS];
	double paired[2][ROUNDS]; /* ingest / raw and ingest_batched / raw within one round */
};

static double raw_round(void)
{
	double t0 = now_s();
	for (size_t i = 0; i < NRUMORS; i++) {
		secp256k1_xonly_pubkey pk;
		const uint8_t *sig = B.enc[i] + B.enclen[i] - HS_SIG_LEN;
		if (!secp256k1_xonly_pubkey_parse(B.raw, &pk, B.pub[i]) ||
		    !secp256k1_schnorrsig_verify(B.raw, sig, B.digest[i], 32, &pk))
			B.failures++;
	}
	return (double)NRUMORS / (now_s() - t0);
}

/* The floor of any duplicate rumor frame: a frame must be decrypted (ChaCha20-Poly1305, as
 * the Noise transport does) and its rumor's id hashed (BLAKE2b-256) before anyone can know it
 * is a duplicate. The same rumors, the same number of frames as dup_rumor, libsodium alone. */
static double floor_round(void)
{
	enum { CT_MAX = 1 + 1024 + HS_NOISE_TAG_LEN }; /* the bench's rumors are 212 bytes */
	static uint8_t ct[NRUMORS][CT_MAX];
	static unsigned long long ctlen[NRUMORS];
	static const uint8_t key[32] = { 7 }, nonce[12];
	static uint8_t pt[CT_MAX];
	for (size_t i = 0; i < NRUMORS; i++) {
		if (1 + B.enclen[i] + HS_NOISE_TAG_LEN > CT_MAX)
			die("rumor too large for the floor round");
		pt[0] = HS_MSG_RUMOR;
		memcpy(pt + 1, B.enc[i], B.enclen[i]);
		crypto_aead_chacha20poly1305_ietf_encrypt(ct[i], &ctlen[i], pt, 1 + B.enclen[i],
		                                          NULL, 0, NULL, nonce, key);
	}
	double t0 = now_s();
	for (size_t pass = 0; pass < DUP_PASSES; pass++)
		for (size_t i = 0; i < NRUMORS; i++) {
			uint8_t id[32];
			unsigned long long len;
			if (crypto_aead_chacha20poly1305_ietf_decrypt(
			            pt, &len, NULL, ct[i], ctlen[i], NULL, 0, nonce, key) != 0)
				B.failures++;
			crypto_generichash(id, sizeof(id), pt + 1, len - 1, NULL, 0);
			B.sink += id[0];
		}
	return (double)NRUMORS * DUP_PASSES / (now_s() - t0);
}

static void expect(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "bench_ingest: %s\n", what);
		B.failures++;
	}
}

/* A new node: unique rumors, then the same rumors again, then their ids in inv frames. */
static void node_round(struct results *r, size_t k)
{
	struct hs_node_stats before, after;
	node_start();
	for (size_t i = 0; i < NRUMORS; i++)
		seal_rumor(i % NPEERS, i);
	uint64_t delivered = B.delivered;
	r->rate[INGEST][k] = (double)NRUMORS / feed();
	expect(B.delivered - delivered == NRUMORS, "not every rumor was delivered");

	for (size_t pass = 1; pass <= DUP_PASSES; pass++)
		for (size_t i = 0; i < NRUMORS; i++)
			seal_rumor((i + pass) % NPEERS, i);
	hs_node_get_stats(B.n, &before);
	r->rate[DUP_RUMOR][k] = (double)NRUMORS * DUP_PASSES / feed();
	hs_node_get_stats(B.n, &after);
	expect(after.duplicates - before.duplicates == (uint64_t)NRUMORS * DUP_PASSES &&
	               after.sig_checks == before.sig_checks,
	       "duplicate rumors were not all dropped before verification");

	seal_invs();
	hs_node_get_stats(B.n, &before);
	r->rate[DUP_INV][k] = (double)NRUMORS * NPEERS / feed();
	hs_node_get_stats(B.n, &after);
	expect(after.msgs_in[HS_MSG_INV] - before.msgs_in[HS_MSG_INV] ==
	                       NPEERS * ((NRUMORS + HS_INV_MAX - 1) / HS_INV_MAX) &&
	               after.requests_sent == before.requests_sent,
	       "known ids in inv were not all dropped");
	node_stop();

	/* A new node again: the same unique rumors, READ_BATCH frames of one peer per read. */
	node_start();
	for (size_t first = 0; first < NRUMORS; first += READ_BATCH)
		for (size_t i = first; i < first + READ_BATCH && i < NRUMORS; i++)
			seal_rumor((first / READ_BATCH) % NPEERS, i);
	delivered = B.delivered;
	r->rate[INGEST_BATCHED][k] = (double)NRUMORS / feed_by(READ_BATCH);
	expect(B.delivered - delivered == NRUMORS, "not every batched rumor was delivered");
	node_stop();
}

/* ---- reporting ------------------------------------------------------------------------------- */

static int write_json(const char *path, const struct results *r)
{
	char stamp[32], cpu[128];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	bench_cpu_model(cpu, sizeof(cpu));
	const char *secp = getenv("HS_SECP256K1_VERSION");
	/* Judged on the paired ratios: a round's ingest and raw runs are adjacent in time, so a
	 * slow phase of the machine hits both. */
	double ratio = bench_median(r->paired[0], ROUNDS),
	       batched = bench_median(r->paired[1], ROUNDS);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "{\n  \"bench\": \"ingest\",\n  \"timestamp\": \"%s\",\n", stamp);
	fprintf(f, "  \"libsecp256k1\": \"%s\",\n", secp != NULL && *secp ? secp : "unknown");
	fprintf(f, "  \"libsodium\": \"%s\",\n  \"cpu\": \"%s\",\n", sodium_version_string(), cpu);
	fprintf(f, "  \"peers\": %d,\n  \"origins\": %d,\n  \"rumors_per_round\": %d,\n", NPEERS,
	        NORIGINS, NRUMORS);
	fprintf(f, "  \"payload_bytes\": %d,\n  \"rumor_bytes\": %zu,\n", PAYLOAD_LEN, B.enclen[0]);
	fprintf(f, "  \"duplicate_passes\": %d,\n  \"read_batch\": %d,\n", DUP_PASSES, READ_BATCH);
	fprintf(f, "  \"rounds\": %d,\n", ROUNDS);
	fprintf(f, "  \"variants\": {\n");
	for (size_t v = 0; v < NVARIANTS; v++) {
		fprintf(f,
		        "    \"%s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f, \"rounds\": "
		        "[",
		        variant_name[v], bench_median(r->rate[v], ROUNDS),
		        bench_min(r->rate[v], ROUNDS), bench_max(r->rate[v], ROUNDS));
		for (size_t k = 0; k < ROUNDS; k++)
			fprintf(f, "%s%.1f", k ? ", " : "", r->rate[v][k]);
		fprintf(f, "]}%s\n", v + 1 < NVARIANTS ? "," : "");
	}
	fprintf(f, "  },\n  \"ingest_over_raw_paired_median\": %.4f,\n", ratio);
	fprintf(f, "  \"ingest_over_raw_of_medians\": %.4f,\n",
	        bench_median(r->rate[INGEST], ROUNDS) / bench_median(r->rate[RAW], ROUNDS));
	fprintf(f, "  \"ingest_batched_over_raw_paired_median\": %.4f,\n", batched);
	fprintf(f, "  \"ingest_batched_over_raw_of_medians\": %.4f,\n",
	        bench_median(r->rate[INGEST_BATCHED], ROUNDS) / bench_median(r->rate[RAW], ROUNDS));
	fprintf(f, "  \"targets\": {\"ingest_over_raw\": 0.90, \"duplicates_per_s\": 1000000},\n");
	fprintf(f, "  \"met\": {\"ingest\": %s, \"ingest_batched\": %s, \"dup_rumor\": %s, ",
	        ratio >= 0.9 ? "true" : "false", batched >= 0.9 ? "true" : "false",
	        bench_median(r->rate[DUP_RUMOR], ROUNDS) >= 1e6 ? "true" : "false");
	fprintf(f, "\"dup_inv\": %s},\n",
	        bench_median(r->rate[DUP_INV], ROUNDS) >= 1e6 ? "true" : "false");
	fprintf(f, "  \"dup_rumor_over_floor\": %.4f\n}\n",
	        bench_median(r->rate[DUP_RUMOR], ROUNDS) /
	                bench_median(r->rate[DUP_FLOOR], ROUNDS));
	return fclose(f) == 0 ? 0 : -1;
}

static void print_summary(const struct results *r)
{
	printf("ingest: %d peers, %d rumors of %zu bytes per round, %d rounds\n", NPEERS, NRUMORS,
	       B.enclen[0], ROUNDS);
	printf("  %-24s %12s %12s %12s\n", "variant", "median/s", "min/s", "max/s");
	for (size_t v = 0; v < NVARIANTS; v++)
		printf("  %-24s %12.0f %12.0f %12.0f\n", variant_name[v],
		       bench_median(r->rate[v], ROUNDS), bench_min(r->rate[v], ROUNDS),
		       bench_max(r->rate[v], ROUNDS));
	printf("  ingest/raw: %.3f (median of per-round ratios %.3f; target 0.90)\n",
	       bench_median(r->rate[INGEST], ROUNDS) / bench_median(r->rate[RAW], ROUNDS),
	       bench_median(r->paired[0], ROUNDS));
	printf("  ingest_batched/raw: %.3f (median of per-round ratios %.3f)\n",
	       bench_median(r->rate[INGEST_BATCHED], ROUNDS) / bench_median(r->rate[RAW], ROUNDS),
	       bench_median(r->paired[1], ROUNDS));
	printf("  dup_rumor/dup_floor: %.3f (decrypt + id hash alone: the floor of a duplicate "
	       "frame)\n",
	       bench_median(r->rate[DUP_RUMOR], ROUNDS) / bench_median(r->rate[DUP_FLOOR], ROUNDS));
}

int main(int argc, char **argv)
{
	const char *outdir = argc > 1 ? argv[1] : "bench/results";
	static struct results r;
	char path[4096];
	if (sodium_init() < 0)
		return 1;
	setup();
	(void)raw_round(); /* warm-up, discarded */
	for (size_t k = 0; k < ROUNDS; k++) {
		if (k % 2 == 0) {
			node_round(&r, k);
			r.rate[RAW][k] = raw_round();
		} else {
			r.rate[RAW][k] = raw_round();
			node_round(&r, k);
		}
		r.rate[DUP_FLOOR][k] = floor_round();
		r.paired[0][k] = r.rate[INGEST][k] / r.rate[RAW][k];
		r.paired[1][k] = r.rate[INGEST_BATCHED][k] / r.rate[RAW][k];
	}
	teardown();
	if (B.failures != 0) {
		fprintf(stderr, "bench_ingest: %u failures; results are void\n", B.failures);
		return 1;
	}
	print_summary(&r);
	snprintf(path, sizeof(path), "%s/ingest.json", outdir);
	if (write_json(path, &r) != 0) {
		fprintf(stderr, "bench_ingest: cannot write %s\n", path);
		return 1;
	}
	printf("  wrote %s (sink %llu)\n", path, (unsigned long long)B.sink);
	return 0;
}

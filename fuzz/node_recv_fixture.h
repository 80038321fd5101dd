/*
 * The fixed world of fuzz_node_recv (fuzz/fuzz_node_recv.c): the node's and the remotes' keys,
 * a small set of addresses and topics, a seeded PRNG and the input reader. Everything is
 * deterministic, so an input always replays the same run.
 *
 * These keys are public test data (secrets are 32 copies of one byte). Never use them for
 * anything else.
 */
#ifndef HEARSAY_FUZZ_NODE_RECV_FIXTURE_H
#define HEARSAY_FUZZ_NODE_RECV_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/netaddr.h"
#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "node_recv_ops.h"
#include "overlay/node.h"
#include "testrng.h"

#define NREMOTE       NR_NREMOTE
#define WHO_SELF      NR_WHO_SELF
#define WHO_OTHER_NET NR_WHO_OTHER_NET
#define NADDR         8
#define NTOPICS       5

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_node_recv: invariant failed: %s (%s:%d)\n", #cond,   \
			        __FILE__, __LINE__);                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* ---- the input reader -------------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t rd_u8(struct rd *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t rd_u16(struct rd *in)
{
	unsigned lo = rd_u8(in);
	return (uint16_t)(lo | (unsigned)rd_u8(in) << 8);
}

static uint64_t rd_u64(struct rd *in)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)rd_u8(in) << (8 * i);
	return v;
}

/* Fills out[0, len): up to head bytes from the input, then a pattern. */
static void rd_fill(struct rd *in, uint8_t *out, size_t len, size_t head)
{
	size_t k = head < len ? head : len;
	if (k > in->n)
		k = in->n;
	if (k > 0)
		memcpy(out, in->p, k);
	in->p += k;
	in->n -= k;
	for (size_t i = k; i < len; i++)
		out[i] = (uint8_t)(i * 131u + 7u);
}

/* ---- fixed keys (built once per process) --------------------------------------------------- */

struct ident {
	struct hs_identity *id;
	struct hs_noise_static *noise;
	uint8_t proof[HS_SIG_LEN];
	struct hs_handshake_config hc;
};

static struct hs_crypto *g_crypto;
static struct ident g_node, g_remote[NREMOTE];
static bool g_trace; /* HS_NODE_RECV_TRACE set: print operations and events to stderr */

static void ident_new(struct ident *x, uint8_t secret, const char *network)
{
	uint8_t sk[32], ns[32], aux[32] = { 0 };
	memset(sk, secret, sizeof(sk));
	memset(ns, secret + 1, sizeof(ns));
	CHECK(hs_identity_new(&x->id, g_crypto, sk) == 0);
	CHECK(hs_noise_static_new(&x->noise, ns) == 0);
	CHECK(hs_handshake_prove(g_crypto, x->id, network, x->noise, aux, x->proof) == 0);
	x->hc.crypto = g_crypto;
	x->hc.noise_static = x->noise;
	x->hc.identity = hs_identity_pubkey(x->id);
	x->hc.identity_sig = x->proof;
	x->hc.network = network;
}

static void world_init(void)
{
	static bool ready;
	if (ready)
		return;
	CHECK(sodium_init() >= 0);
	uint8_t seed[32];
	memset(seed, 0x5e, sizeof(seed));
	CHECK(hs_crypto_new(&g_crypto, seed) == 0);
	ident_new(&g_node, 0x31, "main");
	for (unsigned i = 0; i < WHO_SELF; i++)
		ident_new(&g_remote[i], (uint8_t)(0x41 + 0x10 * i), "main");
	ident_new(&g_remote[WHO_SELF], 0x31, "main");
	ident_new(&g_remote[WHO_OTHER_NET], 0x91, "other");
	g_trace = getenv("HS_NODE_RECV_TRACE") != NULL;
	ready = true;
}

static const uint8_t *pub_of(unsigned who)
{
	return hs_identity_pubkey(g_remote[who % NREMOTE].id);
}

static struct hs_netaddr addr_of(unsigned i)
{
	uint8_t ip[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	switch (i % NADDR) {
	case 0:
		return hs_netaddr_ipv4(10, 1, 0, 1, 7000);
	case 1:
		return hs_netaddr_ipv4(10, 1, 0, 2, 7000); /* same /16 as 0 */
	case 2:
		return hs_netaddr_ipv4(10, 2, 0, 1, 7000);
	case 3:
		return hs_netaddr_ipv4(10, 3, 0, 1, 7001);
	case 4:
		return hs_netaddr_ipv4(192, 168, 1, 1, 8333);
	case 5:
		ip[15] = 1;
		return hs_netaddr_ipv6(ip, 7000);
	case 6:
		ip[15] = 2; /* same /32 as 5 */
		return hs_netaddr_ipv6(ip, 7000);
	default:
		ip[3] = 0xb9;
		ip[15] = 1;
		return hs_netaddr_ipv6(ip, 7000);
	}
}

static const char *const topics[NTOPICS + 2] = { "tx",  "blocks", "other",    "a",
	                                         "tx2", "",       "bad topic" };

/* One byte per PRNG output (not test_rng_bytes): the corpus was written against this sequence. */
static void fill_random(struct test_rng *rng, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)test_rng_next(rng);
}

/* The errors a handshake may fail with on bytes from a peer. */
static bool is_handshake_error(int err)
{
	switch (err) {
	case HS_ERR_TRUNCATED:
	case HS_ERR_TOO_LARGE:
	case HS_ERR_TRAILING:
	case HS_ERR_BAD_VALUE:
	case HS_ERR_BAD_KEY:
	case HS_ERR_DECRYPT:
	case HS_ERR_HS_REPLAY:
	case HS_ERR_HS_ORDER:
	case HS_ERR_HS_NETWORK:
	case HS_ERR_HS_VERSION:
	case HS_ERR_HS_IDENTITY:
		return true;
	default:
		return false;
	}
}

/* The node's counters, for HS_NODE_RECV_TRACE. */
static void trace_stats(const struct hs_node *node)
{
	struct hs_node_stats st;
	hs_node_get_stats(node, &st);
	fprintf(stderr,
	        "stats: delivered %llu dup %llu sigs %llu/%llu faults %llu req %llu/%llu "
	        "notfound %llu pulls %llu/%llu dials %llu dropped-ann %llu\n",
	        (unsigned long long)st.rumors_delivered, (unsigned long long)st.duplicates,
	        (unsigned long long)st.sig_checks, (unsigned long long)st.sig_failures,
	        (unsigned long long)st.faults, (unsigned long long)st.requests_sent,
	        (unsigned long long)st.requests_timed_out, (unsigned long long)st.notfound_sent,
	        (unsigned long long)st.pulls_sent, (unsigned long long)st.pull_rumors_sent,
	        (unsigned long long)st.dials, (unsigned long long)st.announcements_dropped);
	fprintf(stderr, "msgs in/out by type:");
	for (unsigned t = 0; t < 16; t++)
		fprintf(stderr, " %u:%llu/%llu", t, (unsigned long long)st.msgs_in[t],
		        (unsigned long long)st.msgs_out[t]);
	fprintf(stderr, "\n");
}

#endif

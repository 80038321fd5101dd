/*
 * bench_crypto: BIP340 sign and verify through hearsay's API against the same operations
 * as raw libsecp256k1 calls, measured in one run.
 *
 * Machines are noisy, so the variants are interleaved: ROUNDS short rounds, each running
 * every variant for about ROUND_S seconds, the order reversed on alternate rounds so no
 * variant always runs first (cold) or last (hot). We report each variant's median, min and
 * max over the rounds, and the hearsay/raw ratio both as a ratio of medians and as the
 * median of per-round ratios (paired, so slow drift of the machine cancels out).
 *
 * NKEYS distinct keys, messages and signatures are cycled so caches do not flatter anyone.
 * Digests are computed with hs_tag_hash from 100-byte messages before timing; the tagged
 * hash is measured as its own variant, so per-object cost = hash + sign (or verify).
 *
 * Usage: bench_crypto [OUTDIR]   writes OUTDIR/crypto.json (default bench/results).
 * HS_SECP256K1_VERSION (set by scripts/bench.sh from pkg-config) is recorded if present.
 */
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

#define NKEYS   256
#define MSG_LEN 100
#define ROUNDS  7
#define ROUND_S 0.3
#define BATCH   16 /* operations between clock reads */

struct bench {
	struct hs_crypto *crypto;
	secp256k1_context *raw;
	struct hs_tag tag;
	struct hs_identity *id[NKEYS];
	secp256k1_keypair kp[NKEYS];
	uint8_t pub[NKEYS][32];
	uint8_t msg[NKEYS][MSG_LEN];
	uint8_t digest[NKEYS][32];
	uint8_t aux[NKEYS][32];
	uint8_t sig[NKEYS][64];
	uint8_t out[64];
	unsigned sink;     /* keeps results observable so nothing is optimised away */
	unsigned failures; /* a failed operation would mean we timed an error path */
};

static void op_hs_sign(struct bench *b, size_t i)
{
	if (hs_identity_sign(b->crypto, b->id[i], b->out, b->digest[i], b->aux[i]) != 0)
		b->failures++;
	b->sink += b->out[0];
}

static void op_raw_sign(struct bench *b, size_t i)
{
	if (!secp256k1_schnorrsig_sign32(b->raw, b->out, b->digest[i], &b->kp[i], b->aux[i]))
		b->failures++;
	b->sink += b->out[0];
}

static void op_hs_verify(struct bench *b, size_t i)
{
	if (hs_verify(b->crypto, b->pub[i], b->sig[i], b->digest[i]) != 0)
		b->failures++;
}

/* Parse included: hs_verify takes the key as bytes, as it arrives from a peer. */
static void op_raw_verify(struct bench *b, size_t i)
{
	secp256k1_xonly_pubkey pk;
	if (!secp256k1_xonly_pubkey_parse(b->raw, &pk, b->pub[i]) ||
	    !secp256k1_schnorrsig_verify(b->raw, b->sig[i], b->digest[i], 32, &pk))
		b->failures++;
}

static void op_tag_hash(struct bench *b, size_t i)
{
	hs_tag_hash(&b->tag, b->out, b->msg[i], MSG_LEN);
	b->sink += b->out[0];
}

static const struct variant {
	const char *name;
	void (*op)(struct bench *b, size_t i);
} variants[] = {
	{ "hs_sign", op_hs_sign },           { "raw_sign", op_raw_sign },
	{ "hs_verify", op_hs_verify },       { "raw_verify", op_raw_verify },
	{ "hs_tag_hash_100B", op_tag_hash },
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))
enum { HS_SIGN, RAW_SIGN, HS_VERIFY, RAW_VERIFY };

/* Results end here, so the compiler must compute them. */
static volatile unsigned bench_sink;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs one variant for about seconds; returns operations per second. */
static double measure(struct bench *b, const struct variant *v, double seconds)
{
	size_t ops = 0;
	double t0 = now_s(), t;
	do {
		for (int k = 0; k < BATCH; k++)
			v->op(b, (ops++) % NKEYS);
		t = now_s();
	} while (t - t0 < seconds);
	return (double)ops / (t - t0);
}

static void setup(struct bench *b)
{
	uint8_t seed[32], sk[32];
	randombytes_buf(seed, sizeof(seed));
	if (hs_crypto_new(&b->crypto, seed) != 0 || hs_tag_init(&b->tag, "rumor", "bench") != 0)
		abort();
	b->raw = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	randombytes_buf(seed, sizeof(seed));
	if (b->raw == NULL || !secp256k1_context_randomize(b->raw, seed))
		abort();
	for (size_t i = 0; i < NKEYS; i++) {
		do
			randombytes_buf(sk, sizeof(sk));
		while (hs_identity_new(&b->id[i], b->crypto, sk) != 0);
		if (!secp256k1_keypair_create(b->raw, &b->kp[i], sk))
			abort();
		memcpy(b->pub[i], hs_identity_pubkey(b->id[i]), 32);
		randombytes_buf(b->msg[i], MSG_LEN);
		randombytes_buf(b->aux[i], 32);
		hs_tag_hash(&b->tag, b->digest[i], b->msg[i], MSG_LEN);
		if (hs_identity_sign(b->crypto, b->id[i], b->sig[i], b->digest[i], b->aux[i]) != 0)
			abort();
	}
	sodium_memzero(sk, sizeof(sk));
}

static void teardown(struct bench *b)
{
	for (size_t i = 0; i < NKEYS; i++)
		hs_identity_del(b->id[i]);
	sodium_memzero(b->kp, sizeof(b->kp));
	secp256k1_context_destroy(b->raw);
	hs_crypto_del(b->crypto);
}

struct results {
	double ops[NVARIANTS][ROUNDS];
	double sign_paired[ROUNDS], verify_paired[ROUNDS];
};

static void print_json_variants(FILE *f, const struct results *r)
{
	fprintf(f, "  \"variants\": {\n");
	for (size_t v = 0; v < NVARIANTS; v++) {
		fprintf(f, "    \"%s\": {\"ops_per_s_median\": %.1f, \"ops_per_s_min\": %.1f, ",
		        variants[v].name, bench_median(r->ops[v], ROUNDS),
		        bench_min(r->ops[v], ROUNDS));
		fprintf(f, "\"ops_per_s_max\": %.1f, \"rounds\": [", bench_max(r->ops[v], ROUNDS));
		for (size_t k = 0; k < ROUNDS; k++)
			fprintf(f, "%s%.1f", k ? ", " : "", r->ops[v][k]);
		fprintf(f, "]}%s\n", v + 1 < NVARIANTS ? "," : "");
	}
	fprintf(f, "  },\n");
}

static int write_json(const char *path, const struct results *r)
{
	char stamp[32], cpu[128];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	bench_cpu_model(cpu, sizeof(cpu));
	const char *secp = getenv("HS_SECP256K1_VERSION");
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "{\n  \"bench\": \"crypto\",\n  \"timestamp\": \"%s\",\n", stamp);
	fprintf(f, "  \"libsecp256k1\": \"%s\",\n", secp != NULL && *secp ? secp : "unknown");
	fprintf(f, "  \"libsodium\": \"%s\",\n  \"cpu\": \"%s\",\n", sodium_version_string(), cpu);
	fprintf(f, "  \"keys\": %d,\n  \"message_bytes\": %d,\n", NKEYS, MSG_LEN);
	fprintf(f, "  \"rounds\": %d,\n  \"seconds_per_round\": %.2f,\n", ROUNDS, ROUND_S);
	print_json_variants(f, r);
	fprintf(f, "  \"ratios\": {\n");
	fprintf(f, "    \"sign_hs_over_raw\": %.4f,\n",
	        bench_median(r->ops[HS_SIGN], ROUNDS) / bench_median(r->ops[RAW_SIGN], ROUNDS));
	fprintf(f, "    \"sign_hs_over_raw_paired_median\": %.4f,\n",
	        bench_median(r->sign_paired, ROUNDS));
	fprintf(f, "    \"verify_hs_over_raw\": %.4f,\n",
	        bench_median(r->ops[HS_VERIFY], ROUNDS) / bench_median(r->ops[RAW_VERIFY], ROUNDS));
	fprintf(f, "    \"verify_hs_over_raw_paired_median\": %.4f\n",
	        bench_median(r->verify_paired, ROUNDS));
	fprintf(f, "  }\n}\n");
	return fclose(f) == 0 ? 0 : -1;
}

static void print_summary(const struct results *r)
{
	printf("crypto: %d rounds x %.2f s per variant, %d keys, libsecp256k1 %s, libsodium %s\n",
	       ROUNDS, ROUND_S, NKEYS,
	       getenv("HS_SECP256K1_VERSION") ? getenv("HS_SECP256K1_VERSION") : "unknown",
	       sodium_version_string());
	printf("  %-18s %12s %12s %12s\n", "variant", "median/s", "min/s", "max/s");
	for (size_t v = 0; v < NVARIANTS; v++)
		printf("  %-18s %12.0f %12.0f %12.0f\n", variants[v].name,
		       bench_median(r->ops[v], ROUNDS), bench_min(r->ops[v], ROUNDS),
		       bench_max(r->ops[v], ROUNDS));
	printf("  sign   hearsay/raw: %.3f (median of per-round ratios %.3f)\n",
	       bench_median(r->ops[HS_SIGN], ROUNDS) / bench_median(r->ops[RAW_SIGN], ROUNDS),
	       bench_median(r->sign_paired, ROUNDS));
	printf("  verify hearsay/raw: %.3f (median of per-round ratios %.3f)\n",
	       bench_median(r->ops[HS_VERIFY], ROUNDS) / bench_median(r->ops[RAW_VERIFY], ROUNDS),
	       bench_median(r->verify_paired, ROUNDS));
}

int main(int argc, char **argv)
{
	const char *outdir = argc > 1 ? argv[1] : "bench/results";
	static struct bench b;
	static struct results r;
	char path[4096];
	if (sodium_init() < 0)
		return 1;
	setup(&b);
	for (size_t v = 0; v < NVARIANTS; v++) /* warm-up, discarded */
		(void)measure(&b, &variants[v], ROUND_S / 3);
	for (size_t k = 0; k < ROUNDS; k++) {
		for (size_t j = 0; j < NVARIANTS; j++) {
			size_t v = k % 2 == 0 ? j : NVARIANTS - 1 - j;
			r.ops[v][k] = measure(&b, &variants[v], ROUND_S);
		}
		r.sign_paired[k] = r.ops[HS_SIGN][k] / r.ops[RAW_SIGN][k];
		r.verify_paired[k] = r.ops[HS_VERIFY][k] / r.ops[RAW_VERIFY][k];
	}
	teardown(&b);
	if (b.failures != 0) {
		fprintf(stderr, "bench_crypto: %u operations failed; results are void\n",
		        b.failures);
		return 1;
	}
	print_summary(&r);
	snprintf(path, sizeof(path), "%s/crypto.json", outdir);
	if (write_json(path, &r) != 0) {
		fprintf(stderr, "bench_crypto: cannot write %s\n", path);
		return 1;
	}
	bench_sink = b.sink;
	printf("  wrote %s\n", path);
	return 0;
}

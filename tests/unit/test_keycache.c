/* ctest `keycache`: hs_verify_cached answers exactly as hs_verify, whatever the cache holds. */
#include "crypto/crypto.h"
#include "harness.h"

static void test_cached_verify_agrees(void)
{
	uint8_t seed[32] = { 1 }, key[16] = { 2 };
	struct hs_crypto *c;
	REQUIRE(hs_crypto_new(&c, seed) == 0);
	struct hs_keycache *one, *big;
	REQUIRE(hs_keycache_new(&one, key, 1) == 0); /* one slot: every other key evicts it */
	REQUIRE(hs_keycache_new(&big, key, 64) == 0);
	struct hs_identity *ids[4];
	uint8_t digest[4][32], sig[4][64], aux[32] = { 0 };
	for (int i = 0; i < 4; i++) {
		uint8_t sk[32];
		memset(sk, i + 7, sizeof(sk));
		REQUIRE(hs_identity_new(&ids[i], c, sk) == 0);
		hs_sha256(digest[i], &i, sizeof(i));
		REQUIRE(hs_identity_sign(c, ids[i], sig[i], digest[i], aux) == 0);
	}
	for (int round = 0; round < 50; round++) {
		int i = (round * 7) % 4, j = (round * 3 + 1) % 4;
		const uint8_t *pub = hs_identity_pubkey(ids[i]);
		for (int k = 0; k < 2; k++) {
			struct hs_keycache *kc = k ? big : one;
			CHECK_EQ(hs_verify_cached(c, kc, pub, sig[i], digest[i]), 0);
			CHECK_EQ(hs_verify_cached(c, kc, pub, sig[j], digest[j]),
			         i == j ? 0 : HS_ERR_BAD_SIG);
			CHECK_EQ(hs_verify_cached(c, kc, pub, sig[i], digest[i]),
			         hs_verify(c, pub, sig[i], digest[i]));
		}
	}
	/* A key not on the curve is refused (and not cached: asking again refuses again). */
	uint8_t bad[32];
	memset(bad, 0xff, sizeof(bad));
	for (int k = 0; k < 3; k++)
		CHECK_EQ(hs_verify_cached(c, big, bad, sig[0], digest[0]), HS_ERR_BAD_KEY);
	for (int i = 0; i < 4; i++)
		hs_identity_del(ids[i]);
	hs_keycache_del(one);
	hs_keycache_del(big);
	hs_crypto_del(c);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_cached_verify_agrees);
	return hs_test_done();
}

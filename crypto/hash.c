/*
 * Hashes, BIP340-style tagged hashes, name checks and the secret-keyed short hash (see
 * crypto/crypto.h). Thin wrappers over libsodium; nothing here holds a secret except the
 * caller's SipHash key, which is only borrowed for the call.
 */
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "crypto/crypto.h"

/* "hearsay/" + purpose + "/" + network. */
#define TAG_PREFIX     "hearsay/"
#define TAG_PREFIX_LEN (sizeof(TAG_PREFIX) - 1)
/* Purposes are short fixed words chosen by the project ("record", "rumor", ...). */
#define TAG_PURPOSE_MAX 32
#define TAG_MAX         (TAG_PREFIX_LEN + TAG_PURPOSE_MAX + 1 + HS_NETWORK_MAX)

/* strnlen is POSIX, and the core builds as plain C11. */
static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n] != '\0')
		n++;
	return n;
}

/* libsodium takes a non-NULL pointer even for zero bytes on some paths; give it one. */
static const uint8_t *nonnull_bytes(const void *data, size_t datalen)
{
	static const uint8_t empty[1];
	return datalen == 0 || data == NULL ? empty : (const uint8_t *)data;
}

void hs_sha256(uint8_t out[32], const void *data, size_t datalen)
{
	crypto_hash_sha256(out, nonnull_bytes(data, datalen), (unsigned long long)datalen);
}

void hs_blake2b256(uint8_t out[32], const void *data, size_t datalen)
{
	/* Fails only for an output or key length out of range: ours are constants. */
	if (crypto_generichash(out, 32, nonnull_bytes(data, datalen), (unsigned long long)datalen,
	                       NULL, 0) != 0)
		abort();
}

/*
 * The purpose may not contain '/': then the first '/' after "hearsay/" ends the purpose, so
 * two different (purpose, network) pairs can never spell the same tag string.
 * Rationale: "rumor/x" + "y" and "rumor" + "x/y" would otherwise share a signature domain.
 */
int hs_tag_init(struct hs_tag *tag, const char *purpose, const char *network)
{
	if (purpose == NULL || network == NULL)
		return HS_ERR_INVALID;
	size_t plen = bounded_len(purpose, TAG_PURPOSE_MAX + 1);
	size_t nlen = bounded_len(network, HS_NETWORK_MAX + 1);
	if (!hs_name_is_valid(purpose, plen, TAG_PURPOSE_MAX) || memchr(purpose, '/', plen) ||
	    !hs_name_is_valid(network, nlen, HS_NETWORK_MAX))
		return HS_ERR_INVALID;

	char str[TAG_MAX];
	size_t len = 0;
	memcpy(str, TAG_PREFIX, TAG_PREFIX_LEN);
	len += TAG_PREFIX_LEN;
	memcpy(str + len, purpose, plen);
	len += plen;
	str[len++] = '/';
	memcpy(str + len, network, nlen);
	len += nlen;

	uint8_t th[32];
	hs_sha256(th, str, len);
	crypto_hash_sha256_init(&tag->mid);
	crypto_hash_sha256_update(&tag->mid, th, sizeof(th));
	crypto_hash_sha256_update(&tag->mid, th, sizeof(th));
	return 0;
}

void hs_tag_hash(const struct hs_tag *tag, uint8_t out[32], const void *msg, size_t msglen)
{
	/* The midstate is copied, so one hs_tag serves any number of hashes (and threads). */
	crypto_hash_sha256_state st = tag->mid;
	crypto_hash_sha256_update(&st, nonnull_bytes(msg, msglen), (unsigned long long)msglen);
	crypto_hash_sha256_final(&st, out);
}

uint64_t hs_shorthash(const uint8_t key[16], const void *data, size_t datalen)
{
	uint8_t out[crypto_shorthash_BYTES];
	crypto_shorthash(out, nonnull_bytes(data, datalen), (unsigned long long)datalen, key);
	/* libsodium stores the SipHash result little-endian, as the reference code does. */
	uint64_t v = 0;
	for (size_t i = 0; i < sizeof(out); i++)
		v |= (uint64_t)out[i] << (8 * i);
	return v;
}

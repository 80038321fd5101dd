/*
 * The RPC's rpcauth check (bitcoind's format) and hex decoding (node/rpcauth.h).
 */
#include <sodium.h>
#include <string.h>

#include "node/rpcauth.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

long hs_hex_decode(uint8_t *out, size_t outcap, const char *hex, size_t hexlen, size_t *bad_at)
{
	for (size_t i = 0; i < hexlen; i++)
		if (hexval(hex[i]) < 0) {
			if (bad_at)
				*bad_at = i;
			return -1;
		}
	if (hexlen % 2) {
		if (bad_at)
			*bad_at = hexlen;
		return -1;
	}
	if (hexlen / 2 > outcap)
		return -1;
	for (size_t i = 0; i < hexlen / 2; i++)
		out[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	return (long)(hexlen / 2);
}

void hs_rpcauth_hmac_hex(char out[65], const char *salt, const char *password)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)salt, strlen(salt));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)password, strlen(password));
	crypto_auth_hmacsha256_final(&st, mac);
	for (size_t i = 0; i < sizeof(mac); i++) {
		out[2 * i] = digits[mac[i] >> 4];
		out[2 * i + 1] = digits[mac[i] & 15];
	}
	out[64] = '\0';
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(mac, sizeof(mac));
}

/* Splits line into its parts; false if it is not USER:SALT$HMAC. */
static bool split(const char *line, size_t *userlen, const char **salt, size_t *saltlen,
                  const char **hmac)
{
	const char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return false;
	const char *dollar = strchr(colon + 1, '$');
	if (!dollar || dollar == colon + 1)
		return false;
	*userlen = (size_t)(colon - line);
	*salt = colon + 1;
	*saltlen = (size_t)(dollar - *salt);
	*hmac = dollar + 1;
	if (strlen(*hmac) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (hexval((*hmac)[i]) < 0)
			return false;
	return true;
}

bool hs_rpcauth_is_valid(const char *line)
{
	size_t userlen, saltlen;
	const char *salt, *hmac;
	return split(line, &userlen, &salt, &saltlen, &hmac);
}

bool hs_rpcauth_verify(const char *line, const char *user, const char *password)
{
	size_t userlen, saltlen;
	const char *salt, *hmac;
	if (!user || !password || !split(line, &userlen, &salt, &saltlen, &hmac))
		return false;
	char saltz[256];
	if (saltlen >= sizeof(saltz))
		return false;
	memcpy(saltz, salt, saltlen);
	saltz[saltlen] = '\0';
	char want[65], have[65];
	hs_rpcauth_hmac_hex(have, saltz, password);
	for (size_t i = 0; i < 64; i++) /* the line may be in either case */
		want[i] = (char)(hmac[i] >= 'A' && hmac[i] <= 'F' ? hmac[i] - 'A' + 'a' : hmac[i]);
	want[64] = '\0';
	/* Both compared in full, in constant time; the user name is not secret but a timing
	 * difference between "no such user" and "wrong password" is not given away either. */
	bool user_ok = strlen(user) == userlen;
	user_ok &= sodium_memcmp(user, line, user_ok ? userlen : 0) == 0;
	bool pass_ok = sodium_memcmp(want, have, 64) == 0;
	sodium_memzero(have, sizeof(have));
	return user_ok && pass_ok;
}

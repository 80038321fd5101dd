/*
 * node/rpcauth.c: rpcauth lines in bitcoind's share/rpcauth format (USER:SALT$HMAC, HMAC =
 * HMAC-SHA256 keyed by the salt's text over the password) against vectors computed with
 * Python's hmac module, the malformed lines the config refuses, and hex decoding with the
 * offset of the first bad digit. The config's rpc* keys: defaults and refusals.
 */
#include <string.h>

#include "harness.h"
#include "node/config.h"
#include "node/rpcauth.h"

/* python3 -c "import hmac; print(hmac.new(SALT.encode(), PASSWORD.encode(),
 * 'SHA256').hexdigest())" */
static const struct {
	const char *salt, *password, *hmac;
} vectors[] = {
	{ "cb77f0957de88ff388cf817ddbc7273", "hunter2",
	  "643441f3b505f7761662443d439265df618d1cc4303203497cb48b83ed46338d" },
	{ "00", "", "650f1b854ea411f8a7e1c8d572ec46048803ea54de8c68b320be682df59a2e7e" },
};

static void test_hmac_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		char out[65];
		hs_rpcauth_hmac_hex(out, vectors[i].salt, vectors[i].password);
		CHECK(strcmp(out, vectors[i].hmac) == 0);
	}
}

static void test_verify(void)
{
	char line[256];
	snprintf(line, sizeof(line), "alice:%s$%s", vectors[0].salt, vectors[0].hmac);
	CHECK(hs_rpcauth_is_valid(line));
	CHECK(hs_rpcauth_verify(line, "alice", "hunter2"));
	CHECK(!hs_rpcauth_verify(line, "alice", "hunter3"));
	CHECK(!hs_rpcauth_verify(line, "alice", "hunter"));
	CHECK(!hs_rpcauth_verify(line, "alice", ""));
	CHECK(!hs_rpcauth_verify(line, "alic", "hunter2"));
	CHECK(!hs_rpcauth_verify(line, "alicee", "hunter2"));
	CHECK(!hs_rpcauth_verify(line, "bob", "hunter2"));
	CHECK(!hs_rpcauth_verify(line, NULL, "hunter2"));
	CHECK(!hs_rpcauth_verify(line, "alice", NULL));
	/* The HMAC in upper case is the same line. */
	char upper[256];
	snprintf(upper, sizeof(upper), "%s", line);
	for (char *p = strchr(upper, '$'); *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	CHECK(hs_rpcauth_verify(upper, "alice", "hunter2"));
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"alice",
		"alice:salt",
		":salt$643441f3b505f7761662443d439265df618d1cc4303203497cb48b83ed46338d",
		"alice:$643441f3b505f7761662443d439265df618d1cc4303203497cb48b83ed46338d",
		"alice:salt$643441f3b505f7761662443d439265df618d1cc4303203497cb48b83ed46338",
		"alice:salt$643441f3b505f7761662443d439265df618d1cc4303203497cb48b83ed46338dd",
		"alice:salt$g43441f3b505f7761662443d439265df618d1cc4303203497cb48b83ed46338d",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!hs_rpcauth_is_valid(bad[i]));
		CHECK(!hs_rpcauth_verify(bad[i], "alice", "hunter2"));
	}
}

static void test_hex(void)
{
	uint8_t out[8];
	size_t bad = 99;
	CHECK_EQ(hs_hex_decode(out, sizeof(out), "00ffA0", 6, &bad), 3);
	CHECK(out[0] == 0x00 && out[1] == 0xff && out[2] == 0xa0);
	CHECK_EQ(hs_hex_decode(out, sizeof(out), "", 0, &bad), 0);
	CHECK_EQ(hs_hex_decode(out, sizeof(out), "0g", 2, &bad), -1);
	CHECK_EQ(bad, 1);
	CHECK_EQ(hs_hex_decode(out, sizeof(out), "abc", 3, &bad), -1);
	CHECK_EQ(bad, 3); /* an odd length: the offset is the length */
	CHECK_EQ(hs_hex_decode(out, sizeof(out), "zz", 2, NULL), -1);
	CHECK_EQ(hs_hex_decode(out, 2, "000000", 6, &bad), -1); /* does not fit */
	CHECK_EQ(hs_hex_decode(out, 3, "000000", 6, &bad), 3);
}

static enum hs_config_result load(struct hs_config *c, char *err, size_t errlen, int argc,
                                  const char *const *argv)
{
	return hs_config_load(c, argc, (char **)(uintptr_t)argv, err, errlen);
}

static void test_config_keys(void)
{
	struct hs_config c;
	char err[512];
	const char *const plain[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-rpcauth" };
	CHECK_EQ(load(&c, err, sizeof(err), 2, plain), HS_CONFIG_OK);
	CHECK_EQ(c.rpcport, 7071);
	CHECK_EQ(c.nrpcbind, 2); /* 127.0.0.1 and ::1 */
	CHECK(hs_netaddr_is_loopback(&c.rpcbind[0]) && hs_netaddr_is_loopback(&c.rpcbind[1]));
	CHECK_EQ(c.rpcservertimeout_s, 30);

	const char *const remote[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-rpcauth",
		                       "-rpcbind=0.0.0.0" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, remote), HS_CONFIG_BAD);
	CHECK(strstr(err, "rpcallowip") != NULL);
	const char *const allowed[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-rpcauth",
		                        "-rpcbind=0.0.0.0", "-rpcallowip=10.0.0.0/8" };
	CHECK_EQ(load(&c, err, sizeof(err), 4, allowed), HS_CONFIG_OK);
	CHECK_EQ(c.nrpcallowip, 1);
	CHECK_EQ(c.rpcallowip_bits[0], 8);
	const char *const off[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-rpcauth",
		                    "-rpcbind=0.0.0.0", "-rpcport=0" };
	CHECK_EQ(load(&c, err, sizeof(err), 4, off), HS_CONFIG_OK); /* no HTTP server at all */
	const char *const six[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-rpcauth",
		                    "-rpcbind=::1", "-rpcbind=[::1]:9999" };
	CHECK_EQ(load(&c, err, sizeof(err), 4, six), HS_CONFIG_OK);
	CHECK_EQ(c.nrpcbind, 2);
	CHECK_EQ(c.rpcbind[0].port, 0); /* rpcport */
	CHECK_EQ(c.rpcbind[1].port, 9999);
	const char *const badauth[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-rpcauth",
		                        "-rpcauth=alice:nodollar" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, badauth), HS_CONFIG_USAGE);
	CHECK(strstr(err, "rpcauth") != NULL);
}

int main(void)
{
	RUN(test_hmac_vectors);
	RUN(test_verify);
	RUN(test_malformed);
	RUN(test_hex);
	RUN(test_config_keys);
	return hs_test_done();
}

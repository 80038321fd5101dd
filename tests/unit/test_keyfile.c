/*
 * node/keyfile.c: creation, reload, permissions, symlinks, non-regular files and every
 * malformed form we can name. Works in a fresh mkdtemp directory and removes it after.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "harness.h"
#include "node/keyfile.h"

static struct hs_crypto *crypto;
static char dir[64];

static void path_of(char *out, size_t cap, const char *name)
{
	REQUIRE((size_t)snprintf(out, cap, "%s/%s", dir, name) < cap);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, data, len) == (ssize_t)len);
	REQUIRE(fchmod(fd, mode) == 0);
	REQUIRE(close(fd) == 0);
}

static const char header[] = HS_KEYFILE_HEADER "\n";
static const char hex3[] = "0000000000000000000000000000000000000000000000000000000000000003";

/* A well-formed file for a key, as the format says. */
static size_t good_file(char *out, size_t cap, const char *hex)
{
	int n = snprintf(out, cap, "%s%s\n", header, hex);
	REQUIRE(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static void test_create_and_reload(void)
{
	char path[128], err[512];
	struct hs_identity *a = NULL, *b = NULL;
	path_of(path, sizeof(path), "key");
	CHECK_EQ(hs_keyfile_load(&a, crypto, path, true, err, sizeof(err)), 0);
	REQUIRE(a != NULL);
	CHECK_EQ(err[0], '\0');
	struct stat st;
	REQUIRE(lstat(path, &st) == 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0600);

	/* The file is exactly the header and the exported key in lowercase hex. */
	uint8_t sk[32];
	char want[256], hex[65];
	hs_identity_export(a, sk);
	hs_test_hex(hex, sk, 32);
	size_t wantlen = good_file(want, sizeof(want), hex);
	size_t len = 0;
	char *got = hs_test_slurp(path, &len);
	REQUIRE(got != NULL);
	CHECK_EQ(len, wantlen);
	CHECK(len == wantlen && memcmp(got, want, len) == 0);
	sodium_memzero(got, len);
	free(got);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(want, sizeof(want));

	/* Reloading, with or without create, gives the same identity and leaves the file. */
	CHECK_EQ(hs_keyfile_load(&b, crypto, path, false, err, sizeof(err)), 0);
	REQUIRE(b != NULL);
	CHECK_MEM(hs_identity_pubkey(a), hs_identity_pubkey(b), 32);
	hs_identity_del(b);
	b = NULL;
	CHECK_EQ(hs_keyfile_load(&b, crypto, path, true, err, sizeof(err)), 0);
	REQUIRE(b != NULL);
	CHECK_MEM(hs_identity_pubkey(a), hs_identity_pubkey(b), 32);
	hs_identity_del(a);
	hs_identity_del(b);
	CHECK_EQ(unlink(path), 0);
}

/* A hand-written file for secret key 3 loads as BIP340 vector 0's public key. */
static void test_known_key(void)
{
	char path[128], err[512], buf[256];
	uint8_t want[32];
	struct hs_identity *id = NULL;
	path_of(path, sizeof(path), "known");
	write_file(path, buf, good_file(buf, sizeof(buf), hex3), 0600);
	CHECK_EQ(hs_keyfile_load(&id, crypto, path, false, err, sizeof(err)), 0);
	REQUIRE(id != NULL);
	REQUIRE(hs_test_unhex(want, 32,
	                      "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9") ==
	        32);
	CHECK_MEM(hs_identity_pubkey(id), want, 32);
	hs_identity_del(id);
	/* Owner-only modes other than 0600 are fine: only group and others matter. */
	static const mode_t ok_modes[] = { 0400, 0700, 0500 };
	for (size_t i = 0; i < sizeof(ok_modes) / sizeof(ok_modes[0]); i++) {
		id = NULL;
		REQUIRE(chmod(path, ok_modes[i]) == 0);
		CHECK_EQ(hs_keyfile_load(&id, crypto, path, false, err, sizeof(err)), 0);
		CHECK(id != NULL);
		hs_identity_del(id);
	}
	CHECK_EQ(unlink(path), 0);
}

static void test_missing(void)
{
	char path[128], err[512];
	struct hs_identity *id = NULL;
	path_of(path, sizeof(path), "missing");
	CHECK_EQ(hs_keyfile_load(&id, crypto, path, false, err, sizeof(err)), HS_ERR_NOT_FOUND);
	CHECK(id == NULL);
	CHECK(strstr(err, path) != NULL);
	CHECK(access(path, F_OK) != 0); /* create=false made nothing */
	/* A missing directory cannot be created into: an I/O error, not a crash. */
	path_of(path, sizeof(path), "no-such-dir/key");
	CHECK_EQ(hs_keyfile_load(&id, crypto, path, true, err, sizeof(err)), HS_ERR_IO);
	CHECK(id == NULL);
	CHECK(strstr(err, path) != NULL);
}

static void test_permissions(void)
{
	static const mode_t bad[] = { 0640, 0604, 0644, 0660, 0606, 0666, 0610, 0601, 0620, 0602 };
	char path[128], err[512], buf[256], want[160];
	size_t len = good_file(buf, sizeof(buf), hex3);
	path_of(path, sizeof(path), "perms");
	snprintf(want, sizeof(want), "chmod 600 %s", path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hs_identity *id = NULL;
		write_file(path, buf, len, bad[i]);
		int rc = hs_keyfile_load(&id, crypto, path, true, err, sizeof(err));
		CHECK_EQ(rc, HS_ERR_KEY_PERMS);
		CHECK(id == NULL);
		/* The message names the file and the fix. */
		CHECK(strstr(err, want) != NULL);
		if (rc != HS_ERR_KEY_PERMS)
			fprintf(stderr, "mode %04o: %d (%s)\n", (unsigned)bad[i], rc, err);
		hs_identity_del(id);
	}
	/* After the fix it loads. */
	struct hs_identity *id = NULL;
	REQUIRE(chmod(path, 0600) == 0);
	CHECK_EQ(hs_keyfile_load(&id, crypto, path, false, err, sizeof(err)), 0);
	hs_identity_del(id);
	CHECK_EQ(unlink(path), 0);
}

static void test_malformed(void)
{
	static const char hex_upper[] =
	        "B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF";
	static const char hex_zero[] =
	        "0000000000000000000000000000000000000000000000000000000000000000";
	static const char hex_n[] =
	        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
	char cases[24][256];
	size_t lens[24];
	int n = 0;
#define CASE(...) (lens[n] = (size_t)snprintf(cases[n], sizeof(cases[n]), __VA_ARGS__), n++)
	CASE("%s", "");
	CASE("%s", header);
	CASE("%s", HS_KEYFILE_HEADER);
	CASE("%s%s", HS_KEYFILE_HEADER, hex3);            /* no newline between */
	CASE("# hearsay key\n%s\n", hex3);                /* other first line */
	CASE(" %s%s\n", header, hex3);                    /* leading space */
	CASE("%s%.63s\n", header, hex3);                  /* short */
	CASE("%s%s0\n", header, hex3);                    /* 65 digits */
	CASE("%s%s", header, hex3);                       /* no final newline */
	CASE("%s%s\n", header, hex_upper);                /* uppercase */
	CASE("%s%.63sg\n", header, hex3);                 /* not hex */
	CASE("%s%s\nextra\n", header, hex3);              /* extra data */
	CASE("%s%s\n\n", header, hex3);                   /* extra newline */
	CASE("%s%s\n%s\n", header, hex3, hex3);           /* two keys */
	CASE("%s\r\n%s\r\n", HS_KEYFILE_HEADER, hex3);    /* CRLF */
	CASE("%s%s\r\n", header, hex3);                   /* CR after the key */
	CASE("%s%s\n", header, hex_zero);                 /* zero key */
	CASE("%s%s\n", header, hex_n);                    /* the curve order */
	CASE("%s 0x%.62s\n", header, hex3);               /* prefixed */
	CASE("%s%s\n", hex3, HS_KEYFILE_HEADER);          /* lines swapped */
	CASE("%s%.32s %.31s\n", header, hex3, hex3 + 32); /* a space inside */
#undef CASE
	/* A NUL inside the key line. */
	lens[n] = good_file(cases[n], sizeof(cases[n]), hex3);
	cases[n][sizeof(header) + 10] = '\0';
	n++;
	/* A file far larger than any key file. */
	char big[4096];
	memset(big, 'a', sizeof(big));
	memcpy(big, header, sizeof(header) - 1);

	char path[128], err[512];
	path_of(path, sizeof(path), "bad");
	for (int i = 0; i <= n; i++) {
		struct hs_identity *id = NULL;
		if (i < n)
			write_file(path, cases[i], lens[i], 0600);
		else
			write_file(path, big, sizeof(big), 0600);
		int rc = hs_keyfile_load(&id, crypto, path, true, err, sizeof(err));
		if (rc != HS_ERR_KEY_FILE)
			fprintf(stderr, "malformed case %d: got %d (%s)\n", i, rc, err);
		CHECK_EQ(rc, HS_ERR_KEY_FILE);
		CHECK(id == NULL);
		CHECK(strstr(err, path) != NULL);
		/* A malformed file is never replaced by a new key. */
		size_t len = 0;
		char *after = hs_test_slurp(path, &len);
		REQUIRE(after != NULL);
		CHECK(i < n ? len == lens[i] && memcmp(after, cases[i], len) == 0
		            : len == sizeof(big) && memcmp(after, big, len) == 0);
		free(after);
		hs_identity_del(id);
	}
	CHECK_EQ(unlink(path), 0);
}

static void test_symlink(void)
{
	char path[128], link[128], dangling[128], target[128], err[512], buf[256];
	struct hs_identity *id = NULL;
	path_of(path, sizeof(path), "real");
	path_of(link, sizeof(link), "link");
	path_of(dangling, sizeof(dangling), "dangling");
	path_of(target, sizeof(target), "nowhere");
	write_file(path, buf, good_file(buf, sizeof(buf), hex3), 0600);
	REQUIRE(symlink(path, link) == 0);
	CHECK_EQ(hs_keyfile_load(&id, crypto, link, false, err, sizeof(err)), HS_ERR_KEY_FILE);
	CHECK(id == NULL);
	CHECK(strstr(err, "symbolic link") != NULL);
	CHECK_EQ(hs_keyfile_load(&id, crypto, link, true, err, sizeof(err)), HS_ERR_KEY_FILE);
	CHECK(id == NULL);
	/* A dangling link is not followed to create a key somewhere else. */
	REQUIRE(symlink(target, dangling) == 0);
	CHECK_EQ(hs_keyfile_load(&id, crypto, dangling, true, err, sizeof(err)), HS_ERR_KEY_FILE);
	CHECK(id == NULL);
	CHECK(access(target, F_OK) != 0);
	CHECK_EQ(unlink(link), 0);
	CHECK_EQ(unlink(dangling), 0);
	CHECK_EQ(unlink(path), 0);
}

static void test_not_regular(void)
{
	char path[128], err[512];
	struct hs_identity *id = NULL;
	path_of(path, sizeof(path), "adir");
	REQUIRE(mkdir(path, 0700) == 0);
	CHECK_EQ(hs_keyfile_load(&id, crypto, path, true, err, sizeof(err)), HS_ERR_KEY_FILE);
	CHECK(id == NULL);
	CHECK_EQ(rmdir(path), 0);
	/* A FIFO must be refused without blocking in open or read. */
	path_of(path, sizeof(path), "fifo");
	REQUIRE(mkfifo(path, 0600) == 0);
	CHECK_EQ(hs_keyfile_load(&id, crypto, path, true, err, sizeof(err)), HS_ERR_KEY_FILE);
	CHECK(id == NULL);
	CHECK(strstr(err, "not a regular file") != NULL);
	CHECK_EQ(unlink(path), 0);
}

/* A restrictive umask must not produce a key file its owner cannot read back. */
static void test_umask(void)
{
	char path[128], err[512];
	struct hs_identity *id = NULL;
	path_of(path, sizeof(path), "umask");
	mode_t old = umask(0777);
	int rc = hs_keyfile_load(&id, crypto, path, true, err, sizeof(err));
	umask(old);
	CHECK_EQ(rc, 0);
	CHECK(id != NULL);
	struct stat st;
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
	hs_identity_del(id);
	CHECK_EQ(unlink(path), 0);
}

/* err may be absent; the answer is the same. */
static void test_no_err_buffer(void)
{
	char path[128];
	struct hs_identity *id = NULL;
	path_of(path, sizeof(path), "noerr");
	CHECK_EQ(hs_keyfile_load(&id, crypto, path, false, NULL, 0), HS_ERR_NOT_FOUND);
	CHECK_EQ(hs_keyfile_load(&id, crypto, path, true, NULL, 0), 0);
	CHECK(id != NULL);
	hs_identity_del(id);
	char tiny[8];
	REQUIRE(chmod(path, 0644) == 0);
	CHECK_EQ(hs_keyfile_load(&id, crypto, path, false, tiny, sizeof(tiny)), HS_ERR_KEY_PERMS);
	CHECK_EQ(strlen(tiny), sizeof(tiny) - 1); /* truncated, terminated */
	CHECK_EQ(unlink(path), 0);
}

/* Every test removed its files: the directory must be empty now. */
static void test_cleanup(void)
{
	int rc = rmdir(dir);
	if (rc != 0)
		fprintf(stderr, "cannot remove %s: %s\n", dir, strerror(errno));
	CHECK_EQ(rc, 0);
}

int main(void)
{
	uint8_t seed[32];
	REQUIRE(sodium_init() >= 0);
	randombytes_buf(seed, sizeof(seed));
	REQUIRE(hs_crypto_new(&crypto, seed) == 0);
	snprintf(dir, sizeof(dir), "%s", "/tmp/hearsay-keyfile-XXXXXX");
	REQUIRE(mkdtemp(dir) != NULL);
	RUN(test_create_and_reload);
	RUN(test_known_key);
	RUN(test_missing);
	RUN(test_permissions);
	RUN(test_malformed);
	RUN(test_symlink);
	RUN(test_not_regular);
	RUN(test_umask);
	RUN(test_no_err_buffer);
	RUN(test_cleanup);
	hs_crypto_del(crypto);
	return hs_test_done();
}

/* The identity key file: create once, check and load at every start (see node/keyfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "node/keyfile.h"

#define HEADER_LEN (sizeof(HS_KEYFILE_HEADER) - 1)
#define HEX_LEN    64
/* header "\n" hex "\n" */
#define FILE_LEN (HEADER_LEN + 1 + HEX_LEN + 1)

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
	va_list ap;
	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reads until end of file or cap bytes; *len says how many. */
static int read_all(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	*len = 0;
	while (*len < cap) {
		ssize_t n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return HS_ERR_IO;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

/* Checks without branching on the secret's digits, so the check leaks no key bits
 * through timing; sodium_hex2bin then decodes in constant time too. */
static bool is_lower_hex(const uint8_t *p, size_t n)
{
	unsigned bad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];
		unsigned digit = (unsigned)(c - '0') <= 9;
		unsigned letter = (unsigned)(c - 'a') <= 5;
		bad |= (digit | letter) ^ 1u;
	}
	return bad == 0;
}

static int parse(uint8_t secret[32], const uint8_t *buf, size_t len, const char *path, char *err,
                 size_t errlen)
{
	if (len < HEADER_LEN + 1 || memcmp(buf, HS_KEYFILE_HEADER, HEADER_LEN) != 0 ||
	    buf[HEADER_LEN] != '\n') {
		set_err(err, errlen, "%s: first line is not \"%s\"; is this a hearsay key file?",
		        path, HS_KEYFILE_HEADER);
		return HS_ERR_KEY_FILE;
	}
	const uint8_t *hex = buf + HEADER_LEN + 1;
	size_t rest = len - (HEADER_LEN + 1);
	if (rest < HEX_LEN + 1 || !is_lower_hex(hex, HEX_LEN) || hex[HEX_LEN] != '\n') {
		set_err(err, errlen,
		        "%s: second line must be the secret key as 64 lowercase hex digits and a "
		        "newline",
		        path);
		return HS_ERR_KEY_FILE;
	}
	if (rest > HEX_LEN + 1) {
		set_err(err, errlen, "%s: unexpected data after the key line", path);
		return HS_ERR_KEY_FILE;
	}
	size_t binlen = 0;
	if (sodium_hex2bin(secret, 32, (const char *)hex, HEX_LEN, NULL, &binlen, NULL) != 0 ||
	    binlen != 32) {
		set_err(err, errlen, "%s: cannot decode the key line", path);
		return HS_ERR_KEY_FILE;
	}
	return 0;
}

static int open_checked(const char *path, char *err, size_t errlen)
{
	/* O_NOFOLLOW: a symlink is refused, not followed. O_NONBLOCK: a FIFO planted at the
	 * path cannot hang the open; it fails the regular-file check below instead. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			set_err(err, errlen, "%s: no key file", path);
			return HS_ERR_NOT_FOUND;
		}
		if (errno == ELOOP) {
			set_err(err, errlen,
			        "%s is a symbolic link; refusing it (put the key file itself "
			        "there)",
			        path);
			return HS_ERR_KEY_FILE;
		}
		set_err(err, errlen, "%s: cannot open key file: %s", path, strerror(errno));
		return HS_ERR_IO;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		set_err(err, errlen, "%s: cannot stat key file: %s", path, strerror(errno));
		close(fd);
		return HS_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s is not a regular file", path);
		close(fd);
		return HS_ERR_KEY_FILE;
	}
	/* Rationale: a key others can read is a key others may have copied; refuse to run on
	 * it rather than silently carry on with a possibly stolen identity (as ssh does). */
	if ((st.st_mode & 077) != 0) {
		set_err(err, errlen,
		        "%s: key file is accessible by group or others (mode %04o); fix it with: "
		        "chmod 600 %s",
		        path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return HS_ERR_KEY_PERMS;
	}
	return fd;
}

static int load(struct hs_identity **out, const struct hs_crypto *crypto, const char *path,
                char *err, size_t errlen)
{
	uint8_t buf[FILE_LEN + 1]; /* one spare byte tells "extra data" from "exact fit" */
	uint8_t secret[32];
	size_t len = 0;
	int rc = open_checked(path, err, errlen);
	if (rc < 0)
		return rc;
	int fd = rc;
	rc = read_all(fd, buf, sizeof(buf), &len);
	if (rc != 0) {
		set_err(err, errlen, "%s: cannot read key file: %s", path, strerror(errno));
		goto out;
	}
	rc = parse(secret, buf, len, path, err, errlen);
	if (rc != 0)
		goto out;
	rc = hs_identity_new(out, crypto, secret);
	if (rc == HS_ERR_BAD_KEY) {
		set_err(err, errlen,
		        "%s: not a valid secp256k1 secret key (zero or not below the "
		        "curve order)",
		        path);
		rc = HS_ERR_KEY_FILE;
	} else if (rc != 0) {
		set_err(err, errlen, "%s: %s", path, hs_strerror(rc));
	}
out:
	close(fd);
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

/* A fresh secret that crypto/ accepts (a uniformly random 32-byte string is out of range
 * with probability about 2^-128, but the loop does not rely on that). */
static int new_secret(uint8_t secret[32], const struct hs_crypto *crypto)
{
	for (;;) {
		struct hs_identity *id = NULL;
		randombytes_buf(secret, 32);
		int rc = hs_identity_new(&id, crypto, secret);
		hs_identity_del(id);
		if (rc != HS_ERR_BAD_KEY)
			return rc;
	}
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return HS_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory holding path, so the new file's name survives a crash. */
static int sync_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		size_t n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return HS_ERR_IO;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return HS_ERR_IO;
	/* Some file systems cannot sync a directory (EINVAL); that is not a failure. */
	int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : HS_ERR_IO;
	close(fd);
	return rc;
}

/* Writes a new key file. HS_ERR_EXISTS if something is already at path (then the caller
 * loads whatever it is, through all the checks). */
static int create_file(const struct hs_crypto *crypto, const char *path, char *err, size_t errlen)
{
	uint8_t buf[FILE_LEN + 1]; /* + 1: sodium_bin2hex writes a terminating NUL */
	uint8_t secret[32];
	int fd = -1;
	int rc = new_secret(secret, crypto);
	if (rc != 0) {
		set_err(err, errlen, "%s: cannot make a key: %s", path, hs_strerror(rc));
		goto out;
	}
	memcpy(buf, HS_KEYFILE_HEADER "\n", HEADER_LEN + 1);
	sodium_bin2hex((char *)buf + HEADER_LEN + 1, HEX_LEN + 1, secret, 32);
	buf[FILE_LEN - 1] = '\n';

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = errno == EEXIST ? HS_ERR_EXISTS : HS_ERR_IO;
		set_err(err, errlen, "%s: cannot create key file: %s", path, strerror(errno));
		goto out;
	}
	/* fchmod: the umask must not leave the owner unable to read the key back. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, buf, FILE_LEN) != 0 || fsync(fd) != 0) {
		set_err(err, errlen, "%s: cannot write key file: %s", path, strerror(errno));
		close(fd);
		unlink(path); /* never leave a partial key behind */
		rc = HS_ERR_IO;
		goto out;
	}
	if (close(fd) != 0 || sync_parent(path) != 0) {
		set_err(err, errlen, "%s: cannot sync key file: %s", path, strerror(errno));
		rc = HS_ERR_IO;
	}
out:
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

int hs_keyfile_load(struct hs_identity **out, const struct hs_crypto *crypto, const char *path,
                    bool create, char *err, size_t errlen)
{
	*out = NULL;
	set_err(err, errlen, "%s", "");
	int rc = load(out, crypto, path, err, errlen);
	if (rc != HS_ERR_NOT_FOUND || !create)
		return rc;
	rc = create_file(crypto, path, err, errlen);
	if (rc != 0 && rc != HS_ERR_EXISTS)
		return rc;
	/* Read back what is on disk, through every check, so the key we run with is the key
	 * the next start will load. */
	set_err(err, errlen, "%s", "");
	return load(out, crypto, path, err, errlen);
}

/* ctest `store`: the LevelDB layer — round trips, tables, generation, locking, damage, repair,
 * and every error path: the message is never empty, names the store's directory, and names
 * the repair where the store is damaged. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "store/store.h"
#include "testrng.h"

static char dir[256];
static size_t salv; /* log batches a repair replayed */

static void rmtree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char p[512];
			snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				rmtree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(path);
}

static void fresh(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hs-store-XXXXXX");
	REQUIRE(mkdtemp(dir) != NULL);
}

static bool count_cb(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *val,
                     size_t vallen)
{
	(void)key;
	(void)val;
	size_t *n = ctx;
	*n += keylen + vallen > 0;
	return true;
}

static void test_roundtrip_and_tables(void)
{
	fresh();
	struct hs_store *st;
	char err[256];
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	CHECK_EQ(hs_store_put(st, HS_TABLE_BAN, "k1", 2, "v1", 2, true), 0);
	CHECK_EQ(hs_store_put(st, HS_TABLE_BAN, "k2", 2, "value2", 6, false), 0);
	CHECK_EQ(hs_store_put(st, HS_TABLE_SCORE, "k1", 2, "other", 5, false), 0);
	uint8_t *v;
	size_t n;
	CHECK_EQ(hs_store_get(st, HS_TABLE_BAN, "k2", 2, &v, &n), 0);
	CHECK_EQ(n, 6);
	CHECK_MEM(v, "value2", 6);
	free(v);
	CHECK_EQ(hs_store_get(st, HS_TABLE_RECORD, "k2", 2, &v, &n), HS_ERR_NOT_FOUND);
	size_t count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_BAN, count_cb, &count), 0);
	CHECK_EQ(count, 2); /* the score table's k1 is not a ban */
	CHECK_EQ(hs_store_del(st, HS_TABLE_BAN, "k1", 2, true), 0);
	count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_BAN, count_cb, &count), 0);
	CHECK_EQ(count, 1);
	CHECK_EQ(hs_store_clear(st, HS_TABLE_BAN, true), 0);
	count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_BAN, count_cb, &count), 0);
	CHECK_EQ(count, 0);
	count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_SCORE, count_cb, &count), 0);
	CHECK_EQ(count, 1);
	/* Keys are bounded. */
	static uint8_t big[600];
	CHECK_EQ(hs_store_put(st, HS_TABLE_BAN, big, sizeof(big), "x", 1, false), HS_ERR_INVALID);
	hs_store_close(st);
	rmtree(dir);
}

static void test_generation_survives_reopen(void)
{
	fresh();
	struct hs_store *st;
	char err[256];
	uint64_t g = 0;
	for (uint64_t want = 1; want <= 3; want++) {
		REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
		CHECK_EQ(hs_store_next_generation(st, 0, &g), 0);
		CHECK_EQ(g, want);
		hs_store_close(st);
	}
	/* A floor above the counter wins; the next start is one above it even if the floor is
	 * lower then (a clock set back). */
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	CHECK_EQ(hs_store_next_generation(st, 1700000000, &g), 0);
	CHECK_EQ(g, 1700000000);
	CHECK_EQ(hs_store_next_generation(st, 5, &g), 0);
	CHECK_EQ(g, 1700000001);
	hs_store_close(st);
	rmtree(dir);
}

static void test_lock_and_schema(void)
{
	fresh();
	struct hs_store *st, *st2;
	char err[256];
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	/* A second opener (another hearsayd on the same datadir) is refused, with a message. */
	CHECK_EQ(hs_store_open(&st2, dir, err, sizeof(err)), HS_ERR_IO);
	CHECK(strstr(err, "cannot open store") != NULL);
	uint8_t other = 99;
	CHECK_EQ(hs_store_put(st, HS_TABLE_SCHEMA, NULL, 0, &other, 1, true), 0);
	hs_store_close(st);
	CHECK_EQ(hs_store_open(&st, dir, err, sizeof(err)), HS_ERR_CORRUPT);
	CHECK(strstr(err, "schema 99") != NULL);
	rmtree(dir);
}

/* Damage a table file; open says so and names the repair; repair makes it usable again. */
static void test_damage_and_repair(void)
{
	fresh();
	struct hs_store *st;
	char err[256];
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	for (int i = 0; i < 200; i++) {
		char k[16];
		snprintf(k, sizeof(k), "key%03d", i);
		CHECK_EQ(hs_store_put(st, HS_TABLE_RECORD, k, strlen(k), "value", 5, false), 0);
	}
	hs_store_close(st);
	/* Overwrite the MANIFEST with garbage: LevelDB can no longer find its tables. */
	DIR *d = opendir(dir);
	REQUIRE(d != NULL);
	struct dirent *e;
	int damaged = 0;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "MANIFEST", 8) != 0)
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		FILE *f = fopen(p, "r+b");
		REQUIRE(f != NULL);
		for (int i = 0; i < 64; i++)
			fputc(0xa5, f);
		fclose(f);
		damaged++;
	}
	closedir(d);
	CHECK(damaged > 0);
	CHECK_EQ(hs_store_open(&st, dir, err, sizeof(err)), HS_ERR_CORRUPT);
	CHECK(strstr(err, "-repairstore") != NULL);
	CHECK_EQ(hs_store_repair(dir, err, sizeof(err), &salv), 0);
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	size_t count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_RECORD, count_cb, &count), 0);
	CHECK_EQ(count, 200); /* the log and tables were intact: nothing lost */
	hs_store_close(st);
	rmtree(dir);
}

/* A failure's line: not empty, names the directory, and the repair when damage is the cause. */
static void check_line(const char *line, const char *path, bool damaged)
{
	CHECK(line[0] != '\0');
	CHECK(strstr(line, path) != NULL);
	CHECK((strstr(line, "-repairstore") != NULL) == damaged);
	CHECK(strchr(line, '\n') == NULL);
}

/* The first file in dir whose name ends in suffix (or starts with it, for "MANIFEST"). */
static bool find_file(char *out, size_t outlen, const char *suffix)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *e;
	bool found = false;
	while (!found && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name), m = strlen(suffix);
		if ((n >= m && strcmp(e->d_name + n - m, suffix) == 0) ||
		    strncmp(e->d_name, suffix, m) == 0) {
			snprintf(out, outlen, "%s/%s", dir, e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* A store with n entries in a table file (a reopen turns LevelDB's log into a table). */
static void fill_table(size_t n)
{
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	for (size_t i = 0; i < n; i++) {
		char k[32];
		snprintf(k, sizeof(k), "key%03zu", i);
		CHECK_EQ(hs_store_put(st, HS_TABLE_RECORD, k, strlen(k), "value", 5, false), 0);
	}
	hs_store_close(st);
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	hs_store_close(st);
}

static void test_missing_dir(void)
{
	fresh();
	char path[512];
	snprintf(path, sizeof(path), "%s/no/such/dir", dir);
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	memset(err, 'Z', sizeof(err));
	CHECK_EQ(hs_store_open(&st, path, err, sizeof(err)), HS_ERR_IO);
	check_line(err, path, false);
	CHECK(strstr(err, "no such file or directory") != NULL);
	/* A path that is a file, not a directory. */
	snprintf(path, sizeof(path), "%s/file", dir);
	FILE *f = fopen(path, "w");
	REQUIRE(f != NULL);
	fclose(f);
	CHECK(hs_store_open(&st, path, err, sizeof(err)) != 0);
	check_line(err, path, false);
	rmtree(dir);
}

/* Permission denied: root passes permission checks, so a child drops to nobody first. */
static void test_permission_denied(void)
{
	fresh();
	char path[512];
	snprintf(path, sizeof(path), "%s/store", dir);
	REQUIRE(mkdir(path, 0700) == 0);
	int fds[2];
	REQUIRE(pipe(fds) == 0);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		bool root = geteuid() == 0;
		if (root && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		if (!root && chmod(path, 0) != 0)
			_exit(2);
		struct hs_store *st;
		char err[HS_STORE_ERR_MAX] = "";
		int rc = hs_store_open(&st, path, err, sizeof(err));
		ssize_t w = write(fds[1], err, strlen(err) + 1);
		_exit(rc == HS_ERR_IO && w > 0 ? 0 : 1);
	}
	close(fds[1]);
	char line[HS_STORE_ERR_MAX] = "";
	ssize_t n = read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(n > 0);
	check_line(line, path, false);
	CHECK(strstr(line, "permission denied") != NULL);
	chmod(path, 0700);
	rmtree(dir);
}

/* A truncated table holding the schema key: the open reads it and says it is damaged (this
 * used to leave the message unset: an empty ERROR line). */
static void test_truncated_table(void)
{
	fresh();
	fill_table(200);
	char ldb[512];
	REQUIRE(find_file(ldb, sizeof(ldb), ".ldb"));
	struct stat sb;
	REQUIRE(stat(ldb, &sb) == 0);
	REQUIRE(truncate(ldb, sb.st_size / 2) == 0);
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	memset(err, 0, sizeof(err));
	CHECK_EQ(hs_store_open(&st, dir, err, sizeof(err)), HS_ERR_CORRUPT);
	check_line(err, dir, true);
	CHECK_EQ(hs_store_repair(dir, err, sizeof(err), &salv), 0);
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	hs_store_close(st);
	rmtree(dir);
}

/* The oldest table file (lowest number) in dir. */
static bool oldest_table(char *out, size_t outlen)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *e;
	char best[256] = "";
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".ldb") == 0 &&
		    (!best[0] || strcmp(e->d_name, best) < 0))
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (best[0])
		snprintf(out, outlen, "%s/%s", dir, best);
	return best[0] != '\0';
}

static void zero_file(const char *path)
{
	struct stat sb;
	REQUIRE(stat(path, &sb) == 0);
	int fd = open(path, O_WRONLY);
	REQUIRE(fd >= 0);
	static uint8_t zeros[1 << 16];
	size_t len = (size_t)sb.st_size < sizeof(zeros) ? (size_t)sb.st_size : sizeof(zeros);
	CHECK_EQ((size_t)pwrite(fd, zeros, len, 0), len);
	close(fd);
}

/* A zeroed table holding the schema key: the open says damaged, with the repair. */
static void test_zeroed_table_open(void)
{
	fresh();
	fill_table(200);
	char ldb[512];
	REQUIRE(oldest_table(ldb, sizeof(ldb)));
	zero_file(ldb);
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	CHECK_EQ(hs_store_open(&st, dir, err, sizeof(err)), HS_ERR_CORRUPT);
	check_line(err, dir, true);
	rmtree(dir);
}

/* A zeroed table the open does not need (the schema key is in a newer one): reading the
 * table's entries reports damage with the repair, after the entries read before it. */
static void test_zeroed_table_read(void)
{
	fresh();
	fill_table(200);
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	uint8_t one = HS_STORE_SCHEMA;
	CHECK_EQ(hs_store_put(st, HS_TABLE_SCHEMA, NULL, 0, &one, 1, true), 0);
	hs_store_close(st);
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0); /* the log becomes a table */
	hs_store_close(st);
	char ldb[512];
	REQUIRE(oldest_table(ldb, sizeof(ldb)));
	zero_file(ldb);
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	size_t count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_RECORD, count_cb, &count), HS_ERR_CORRUPT);
	check_line(hs_store_error(st), dir, true);
	uint8_t *v;
	size_t n;
	CHECK_EQ(hs_store_get(st, HS_TABLE_RECORD, "key000", 6, &v, &n), HS_ERR_CORRUPT);
	check_line(hs_store_error(st), dir, true);
	hs_store_close(st);
	rmtree(dir);
}

/* Zeroed CURRENT, garbage MANIFEST: the open says damaged and names the repair. */
static void test_zeroed_current(void)
{
	fresh();
	fill_table(20);
	char path[512];
	snprintf(path, sizeof(path), "%s/CURRENT", dir);
	FILE *f = fopen(path, "wb");
	REQUIRE(f != NULL);
	for (int i = 0; i < 16; i++)
		fputc(0, f);
	fclose(f);
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	CHECK_EQ(hs_store_open(&st, dir, err, sizeof(err)), HS_ERR_CORRUPT);
	check_line(err, dir, true);
	CHECK_EQ(hs_store_repair(dir, err, sizeof(err), &salv), 0);
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	size_t count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_RECORD, count_cb, &count), 0);
	CHECK_EQ(count, 20); /* the tables were intact: the repair keeps every entry */
	hs_store_close(st);
	rmtree(dir);
}

/* A damaged record in the middle of the log: the open refuses; the repair keeps the readable
 * records on both sides of it. */
static void test_damaged_log_repair(void)
{
	fresh();
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	static char val[1000];
	memset(val, 'v', sizeof(val));
	for (int i = 0; i < 200; i++) {
		char k[16];
		snprintf(k, sizeof(k), "key%03d", i);
		CHECK_EQ(hs_store_put(st, HS_TABLE_RECORD, k, strlen(k), val, sizeof(val), false),
		         0);
	}
	hs_store_close(st); /* LevelDB leaves the log as is at close */
	char log[512];
	REQUIRE(find_file(log, sizeof(log), ".log"));
	int fd = open(log, O_WRONLY);
	REQUIRE(fd >= 0);
	static const uint8_t junk[16] = { 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
		                          0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5 };
	CHECK_EQ(pwrite(fd, junk, sizeof(junk), 100000), (ssize_t)sizeof(junk));
	close(fd);
	CHECK_EQ(hs_store_open(&st, dir, err, sizeof(err)), HS_ERR_CORRUPT);
	check_line(err, dir, true);
	CHECK_EQ(hs_store_repair(dir, err, sizeof(err), &salv), 0);
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	size_t count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_RECORD, count_cb, &count), 0);
	CHECK(count >= 199); /* at most the one damaged record is lost */
	uint8_t *v;
	size_t n;
	CHECK_EQ(hs_store_get(st, HS_TABLE_RECORD, "key000", 6, &v, &n), 0);
	free(v);
	CHECK_EQ(hs_store_get(st, HS_TABLE_RECORD, "key199", 6, &v, &n), 0);
	free(v);
	hs_store_close(st);
	rmtree(dir);
}

/* A record lost in the middle of the log, the later ones shifted (what LevelDB 1.23 leaves
 * after a failed append that later appends follow): LevelDB's block reader loses every record
 * after the gap; the repair's byte scan finds them, so only the lost record is missing. */
static void test_shifted_log_repair(void)
{
	fresh();
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	static char val[700];
	for (int i = 0; i < 300; i++) {
		char k[16];
		snprintf(k, sizeof(k), "key%03d", i);
		memset(val, 'a' + i % 26, sizeof(val));
		CHECK_EQ(hs_store_put(st, HS_TABLE_STATE, k, strlen(k), val, sizeof(val), false),
		         0);
	}
	/* A newer value for one key, after the gap: the replay must keep it, not the old. */
	memset(val, 'Z', sizeof(val));
	CHECK_EQ(hs_store_put(st, HS_TABLE_STATE, "key000", 6, val, sizeof(val), true), 0);
	hs_store_close(st);
	char log[512];
	REQUIRE(find_file(log, sizeof(log), ".log"));
	FILE *f = fopen(log, "rb");
	REQUIRE(f != NULL);
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	REQUIRE(n > 150000);
	/* Cut 300 bytes out at 50,000: the tail of one record and the head of the next. */
	memmove(buf + 50000, buf + 50300, n - 50300);
	f = fopen(log, "wb");
	REQUIRE(f != NULL);
	CHECK_EQ(fwrite(buf, 1, n - 300, f), n - 300);
	fclose(f);
	CHECK_EQ(hs_store_open(&st, dir, err, sizeof(err)), HS_ERR_CORRUPT);
	check_line(err, dir, true);
	CHECK_EQ(hs_store_repair(dir, err, sizeof(err), &salv), 0);
	CHECK(salv >= 290);
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	size_t count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_STATE, count_cb, &count), 0);
	CHECK(count >= 298 && count <= 300); /* at most the two records the cut touched */
	uint8_t *v;
	size_t vl;
	CHECK_EQ(hs_store_get(st, HS_TABLE_STATE, "key000", 6, &v, &vl), 0);
	CHECK(vl == sizeof(val) && v[0] == 'Z'); /* the newest value, not the replayed old one */
	free(v);
	CHECK_EQ(hs_store_get(st, HS_TABLE_STATE, "key299", 6, &v, &vl), 0);
	CHECK(vl == sizeof(val) && v[0] == 'a' + 299 % 26);
	free(v);
	hs_store_close(st);
	rmtree(dir);
}

/* The repair reads a log that may hold any bytes: seeded random damage (flipped bytes, cut
 * and duplicated ranges, random garbage appended) never crashes it (the ASan build runs it
 * too), and the repaired store opens. */
static void test_repair_random_damage(void)
{
	struct test_rng r;
	for (uint64_t seed = 1; seed <= 12; seed++) {
		test_rng_seed(&r, seed);
		fresh();
		struct hs_store *st;
		char err[HS_STORE_ERR_MAX];
		REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
		static uint8_t val[3000];
		for (int i = 0; i < 100; i++) {
			char k[16];
			snprintf(k, sizeof(k), "key%03d", i);
			size_t vl = (size_t)test_rng_below(&r, sizeof(val));
			test_rng_bytes(&r, val, vl);
			CHECK_EQ(hs_store_put(st, HS_TABLE_STATE, k, strlen(k), val, vl, false), 0);
		}
		hs_store_close(st);
		char log[512];
		REQUIRE(find_file(log, sizeof(log), ".log"));
		FILE *f = fopen(log, "rb");
		REQUIRE(f != NULL);
		static uint8_t buf[1 << 20];
		size_t n = fread(buf, 1, sizeof(buf) / 2, f);
		fclose(f);
		REQUIRE(n > 1000);
		for (int d = 0; d < 8; d++) {
			size_t at = (size_t)test_rng_below(&r, n);
			switch (test_rng_below(&r, 3)) {
			case 0:
				buf[at] ^= (uint8_t)(1 + test_rng_below(&r, 255));
				break;
			case 1: { /* cut */
				size_t len = (size_t)test_rng_below(&r, n - at);
				memmove(buf + at, buf + at + len, n - at - len);
				n -= len;
				break;
			}
			default: { /* duplicate a range after itself */
				size_t len = (size_t)test_rng_below(&r, 4096);
				if (at + len > n || n + len > sizeof(buf))
					break;
				memmove(buf + at + len, buf + at, n - at);
				n += len;
				break;
			}
			}
			if (n < 16)
				break;
		}
		size_t garbage = (size_t)test_rng_below(&r, 5000);
		test_rng_bytes(&r, buf + n, garbage);
		n += garbage;
		f = fopen(log, "wb");
		REQUIRE(f != NULL);
		CHECK_EQ(fwrite(buf, 1, n, f), n);
		fclose(f);
		CHECK_EQ(hs_store_repair(dir, err, sizeof(err), &salv), 0);
		REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
		size_t count = 0;
		CHECK_EQ(hs_store_each(st, HS_TABLE_STATE, count_cb, &count), 0);
		CHECK(count <= 100);
		hs_store_close(st);
		rmtree(dir);
	}
}

/* A failed write (here injected: ENOSPC's status text) refuses every later write with the
 * same cause until a probe reopens the store; what was written before is kept. */
static void test_write_failure_and_probe(void)
{
	fresh();
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	CHECK_EQ(hs_store_error(st)[0], '\0');
	CHECK(!hs_store_is_failed(st));
	CHECK_EQ(hs_store_put(st, HS_TABLE_STATE, "a", 1, "1", 1, true), 0);
	hs_store_inject_write_error(st, "IO error: 000005.log: No space left on device");
	CHECK_EQ(hs_store_put(st, HS_TABLE_STATE, "b", 1, "2", 1, true), HS_ERR_IO);
	check_line(hs_store_error(st), dir, false);
	CHECK(strstr(hs_store_error(st), "no space left on device") != NULL);
	CHECK(hs_store_is_failed(st));
	/* Every write is refused now, with the same cause; reads go on. */
	CHECK_EQ(hs_store_put(st, HS_TABLE_STATE, "c", 1, "3", 1, false), HS_ERR_IO);
	CHECK_EQ(hs_store_del(st, HS_TABLE_STATE, "a", 1, true), HS_ERR_IO);
	CHECK_EQ(hs_store_clear(st, HS_TABLE_STATE, true), HS_ERR_IO);
	uint64_t g;
	CHECK_EQ(hs_store_next_generation(st, 0, &g), HS_ERR_IO);
	CHECK(strstr(hs_store_error(st), "no space left on device") != NULL);
	uint8_t *v;
	size_t n;
	CHECK_EQ(hs_store_get(st, HS_TABLE_STATE, "a", 1, &v, &n), 0);
	free(v);
	/* A probe reopens and writes: the store takes writes again, and kept what it had. */
	CHECK_EQ(hs_store_probe(st), 0);
	CHECK(!hs_store_is_failed(st));
	CHECK_EQ(hs_store_put(st, HS_TABLE_STATE, "c", 1, "3", 1, true), 0);
	CHECK_EQ(hs_store_get(st, HS_TABLE_STATE, "a", 1, &v, &n), 0);
	free(v);
	CHECK_EQ(hs_store_get(st, HS_TABLE_STATE, "b", 1, &v, &n), HS_ERR_NOT_FOUND);
	/* Other causes are named too; damage names the repair. */
	hs_store_inject_write_error(st, "IO error: 000007.log: Permission denied");
	CHECK_EQ(hs_store_put(st, HS_TABLE_STATE, "d", 1, "4", 1, true), HS_ERR_IO);
	CHECK(strstr(hs_store_error(st), "permission denied") != NULL);
	CHECK_EQ(hs_store_probe(st), 0);
	hs_store_inject_write_error(st, "Corruption: bad block");
	CHECK_EQ(hs_store_put(st, HS_TABLE_STATE, "d", 1, "4", 1, true), HS_ERR_CORRUPT);
	check_line(hs_store_error(st), dir, true);
	CHECK_EQ(hs_store_probe(st), 0);
	hs_store_close(st);
	rmtree(dir);
}

/* hs_store_replace: a table's content swapped in one write. */
static void test_replace(void)
{
	fresh();
	struct hs_store *st;
	char err[HS_STORE_ERR_MAX];
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	CHECK_EQ(hs_store_put(st, HS_TABLE_BAN, "old", 3, "x", 1, true), 0);
	CHECK_EQ(hs_store_put(st, HS_TABLE_SCORE, "keep", 4, "y", 1, true), 0);
	const uint8_t *keys[2] = { (const uint8_t *)"n1", (const uint8_t *)"n2" };
	const uint8_t *vals[2] = { (const uint8_t *)"a", (const uint8_t *)"b" };
	size_t kl[2] = { 2, 2 }, vl[2] = { 1, 1 };
	CHECK_EQ(hs_store_replace(st, HS_TABLE_BAN, 2, keys, kl, vals, vl), 0);
	size_t count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_BAN, count_cb, &count), 0);
	CHECK_EQ(count, 2);
	uint8_t *v;
	size_t n;
	CHECK_EQ(hs_store_get(st, HS_TABLE_BAN, "old", 3, &v, &n), HS_ERR_NOT_FOUND);
	CHECK_EQ(hs_store_get(st, HS_TABLE_SCORE, "keep", 4, &v, &n), 0);
	free(v);
	hs_store_close(st);
	rmtree(dir);
}

int main(void)
{
	RUN(test_roundtrip_and_tables);
	RUN(test_generation_survives_reopen);
	RUN(test_lock_and_schema);
	RUN(test_damage_and_repair);
	RUN(test_missing_dir);
	RUN(test_permission_denied);
	RUN(test_truncated_table);
	RUN(test_zeroed_table_open);
	RUN(test_zeroed_table_read);
	RUN(test_zeroed_current);
	RUN(test_damaged_log_repair);
	RUN(test_shifted_log_repair);
	RUN(test_repair_random_damage);
	RUN(test_write_failure_and_probe);
	RUN(test_replace);
	return hs_test_done();
}

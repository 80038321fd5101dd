/* ctest `store`: the LevelDB layer — round trips, tables, generation, locking, damage, repair. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "hearsay/store.h"

static char dir[256];

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
		CHECK_EQ(hs_store_next_generation(st, &g), 0);
		CHECK_EQ(g, want);
		hs_store_close(st);
	}
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
	CHECK_EQ(hs_store_repair(dir, err, sizeof(err)), 0);
	REQUIRE(hs_store_open(&st, dir, err, sizeof(err)) == 0);
	size_t count = 0;
	CHECK_EQ(hs_store_each(st, HS_TABLE_RECORD, count_cb, &count), 0);
	CHECK_EQ(count, 200); /* the log and tables were intact: nothing lost */
	hs_store_close(st);
	rmtree(dir);
}

int main(void)
{
	RUN(test_roundtrip_and_tables);
	RUN(test_generation_survives_reopen);
	RUN(test_lock_and_schema);
	RUN(test_damage_and_repair);
	return hs_test_done();
}

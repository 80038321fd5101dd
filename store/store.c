/* LevelDB-backed persistence (see store/store.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leveldb/c.h>

#include "salvage.h"
#include "store/store.h"

#define KEY_MAX 512
#define DIR_MAX 4096

struct hs_store {
	leveldb_t *db; /* NULL after a reopen failed */
	leveldb_options_t *opts;
	leveldb_readoptions_t *ropts;
	leveldb_writeoptions_t *wsync, *wlazy;
	bool failed; /* a write failed: no more writes until hs_store_probe succeeds */
	char inject[256];
	char dir[DIR_MAX];
	char err[HS_STORE_ERR_MAX];
};

/* snprintf that may cut: every error line fits its buffer, however long the path. */
__attribute__((format(printf, 3, 4))) static void put(char *out, size_t outlen, const char *fmt,
                                                      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
}

/* A table file shorter than the manifest says: LevelDB reads tables through mmap and
 * reports a read past the mapping's end as EINVAL on that file. */
static bool is_truncated_table(const char *lerr)
{
	return strstr(lerr, ".ldb: Invalid argument") || strstr(lerr, ".sst: Invalid argument");
}

/* LevelDB reports damage as "Corruption: ..." (and a truncated table as above); everything
 * else (locks, permissions, a full disk) is I/O. */
static int classify(const char *lerr)
{
	return lerr && (strncmp(lerr, "Corruption", 10) == 0 || is_truncated_table(lerr))
	               ? HS_ERR_CORRUPT
	               : HS_ERR_IO;
}

/* The cause in plain words. LevelDB's POSIX env puts strerror(errno) at the end of its
 * status text ("IO error: DIR/000005.log: No space left on device"). */
static const char *cause_of(const char *lerr)
{
	static const struct {
		const char *text, *cause;
	} causes[] = {
		{ "No space left on device", "no space left on device" },
		{ "Disk quota exceeded", "disk quota exceeded" },
		{ "Permission denied", "permission denied" },
		{ "Read-only file system", "read-only file system" },
		{ "Input/output error", "input/output error" },
		{ "No such file or directory", "no such file or directory" },
		{ "Not a directory", "not a directory" },
		{ "Too many open files", "too many open files" },
		{ "Resource temporarily unavailable", "locked by another process" },
		{ "already held by process", "locked by another process" },
	};
	if (!lerr || !*lerr)
		return "unknown error";
	if (classify(lerr) == HS_ERR_CORRUPT)
		return "the store is damaged";
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (strstr(lerr, causes[i].text))
			return causes[i].cause;
	return "I/O error";
}

/* Records one failure line in st->err (and err, when given) and frees lerr. what says what
 * failed ("cannot open store", "cannot write to store"); damage always names the repair. */
static int record(struct hs_store *st, char *err, size_t errlen, const char *what, char *lerr)
{
	const char *status = lerr && *lerr ? lerr : "unknown error";
	int rc = classify(status);
	if (rc == HS_ERR_CORRUPT)
		put(st->err, sizeof(st->err),
		    "store is damaged (repair: hearsayd -repairstore); %s %s: %s", what, st->dir,
		    status);
	else
		put(st->err, sizeof(st->err), "%s %s: %s (%s)", what, st->dir, cause_of(status),
		    status);
	if (err && errlen)
		put(err, errlen, "%s", st->err);
	leveldb_free(lerr);
	return rc;
}

/* A write's status: on failure the store stops writing (see store/store.h). */
static int write_done(struct hs_store *st, char *lerr)
{
	if (!lerr)
		return 0;
	st->failed = true;
	return record(st, NULL, 0, "cannot write to store", lerr);
}

/* Before a write: refuses it while a failed write has not been probed away. */
static int write_begin(struct hs_store *st)
{
	if (!st->db || st->failed) {
		if (!st->err[0])
			put(st->err, sizeof(st->err), "store %s is not writable", st->dir);
		return HS_ERR_IO;
	}
	if (st->inject[0]) {
		size_t n = strlen(st->inject) + 1;
		char *lerr = malloc(n);
		if (!lerr)
			return HS_ERR_NOMEM;
		memcpy(lerr, st->inject, n);
		st->inject[0] = '\0';
		return write_done(st, lerr);
	}
	return 0;
}

static int check_schema(struct hs_store *st)
{
	uint8_t *v;
	size_t n;
	int rc = hs_store_get(st, HS_TABLE_SCHEMA, NULL, 0, &v, &n);
	if (rc == HS_ERR_NOT_FOUND) {
		uint8_t want = HS_STORE_SCHEMA;
		return hs_store_put(st, HS_TABLE_SCHEMA, NULL, 0, &want, 1, true);
	}
	if (rc)
		return rc; /* st->err says why */
	bool ok = n == 1 && v[0] == HS_STORE_SCHEMA;
	unsigned got = n == 1 ? v[0] : 0;
	free(v);
	if (!ok) {
		put(st->err, sizeof(st->err),
		    "store %s has schema %u, not %u (written by another hearsay version)", st->dir,
		    got, HS_STORE_SCHEMA);
		return HS_ERR_CORRUPT;
	}
	return 0;
}

/* Opens st->db (closed before) and checks the schema; st->err says why on failure. */
static int open_db(struct hs_store *st)
{
	char *lerr = NULL;
	st->db = leveldb_open(st->opts, st->dir, &lerr);
	if (lerr || !st->db) {
		st->db = NULL;
		return record(st, NULL, 0, "cannot open store", lerr);
	}
	st->failed = false;
	int rc = check_schema(st);
	if (rc) {
		leveldb_close(st->db);
		st->db = NULL;
	}
	return rc;
}

int hs_store_open(struct hs_store **out, const char *dir, char *err, size_t errlen)
{
	struct hs_store *st = calloc(1, sizeof(*st));
	if (!st) {
		put(err, errlen, "cannot open store %s: out of memory", dir);
		return HS_ERR_NOMEM;
	}
	if (strlen(dir) >= sizeof(st->dir)) {
		put(err, errlen, "cannot open store %.200s...: path too long", dir);
		free(st);
		return HS_ERR_INVALID;
	}
	memcpy(st->dir, dir, strlen(dir) + 1);
	st->opts = leveldb_options_create();
	leveldb_options_set_create_if_missing(st->opts, 1);
	leveldb_options_set_paranoid_checks(st->opts, 1);
	st->ropts = leveldb_readoptions_create();
	leveldb_readoptions_set_verify_checksums(st->ropts, 1);
	st->wsync = leveldb_writeoptions_create();
	leveldb_writeoptions_set_sync(st->wsync, 1);
	st->wlazy = leveldb_writeoptions_create();
	int rc = open_db(st);
	if (rc) {
		put(err, errlen, "%s", st->err);
		hs_store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void hs_store_close(struct hs_store *st)
{
	if (!st)
		return;
	if (st->db)
		leveldb_close(st->db);
	leveldb_options_destroy(st->opts);
	leveldb_readoptions_destroy(st->ropts);
	leveldb_writeoptions_destroy(st->wsync);
	leveldb_writeoptions_destroy(st->wlazy);
	free(st);
}

int hs_store_repair(const char *dir, char *err, size_t errlen, size_t *salvaged)
{
	/* Read the newest log byte by byte first: LevelDB's repair moves it aside. */
	struct hs_salvage sv;
	*salvaged = 0;
	if (hs_salvage_scan(&sv, dir) != 0) {
		hs_salvage_free(&sv);
		put(err, errlen, "cannot repair store %s: cannot read its log", dir);
		return HS_ERR_IO;
	}
	leveldb_options_t *o = leveldb_options_create();
	char *lerr = NULL;
	leveldb_repair_db(o, dir, &lerr);
	leveldb_options_destroy(o);
	if (lerr) {
		const char *status = *lerr ? lerr : "unknown error";
		put(err, errlen, "cannot repair store %s: %s (%s)", dir, cause_of(status), status);
		leveldb_free(lerr);
		hs_salvage_free(&sv);
		return HS_ERR_IO;
	}
	/* The repaired store must open with the checks a start uses. */
	struct hs_store *st;
	char oerr[HS_STORE_ERR_MAX];
	int rc = hs_store_open(&st, dir, oerr, sizeof(oerr));
	if (rc) {
		put(err, errlen, "repaired store %s still does not open: %s", dir, oerr);
		hs_salvage_free(&sv);
		return rc;
	}
	/* LevelDB's repair kept the log records its block reader found; replaying every whole
	 * record of that log, in order, restores the ones it could not find (they rewrite the
	 * same values for the others). */
	*salvaged = hs_salvage_apply(&sv, st->db, &lerr);
	hs_salvage_free(&sv);
	if (lerr) {
		rc = record(st, err, errlen, "cannot repair store", lerr);
		hs_store_close(st);
		return rc;
	}
	hs_store_close(st);
	return 0;
}

static int make_key(uint8_t *buf, uint8_t table, const void *key, size_t keylen)
{
	if (keylen + 1 > KEY_MAX)
		return HS_ERR_INVALID;
	buf[0] = table;
	if (keylen)
		memcpy(buf + 1, key, keylen);
	return 0;
}

static int key_too_long(struct hs_store *st, size_t keylen)
{
	put(st->err, sizeof(st->err), "store %s: a key of %zu bytes is over the %d allowed",
	    st->dir, keylen, KEY_MAX - 1);
	return HS_ERR_INVALID;
}

int hs_store_put(struct hs_store *st, uint8_t table, const void *key, size_t keylen,
                 const void *val, size_t vallen, bool sync)
{
	uint8_t k[KEY_MAX];
	if (make_key(k, table, key, keylen))
		return key_too_long(st, keylen);
	int rc = write_begin(st);
	if (rc)
		return rc;
	char *lerr = NULL;
	leveldb_put(st->db, sync ? st->wsync : st->wlazy, (const char *)k, keylen + 1,
	            (const char *)val, vallen, &lerr);
	return write_done(st, lerr);
}

int hs_store_del(struct hs_store *st, uint8_t table, const void *key, size_t keylen, bool sync)
{
	uint8_t k[KEY_MAX];
	if (make_key(k, table, key, keylen))
		return key_too_long(st, keylen);
	int rc = write_begin(st);
	if (rc)
		return rc;
	char *lerr = NULL;
	leveldb_delete(st->db, sync ? st->wsync : st->wlazy, (const char *)k, keylen + 1, &lerr);
	return write_done(st, lerr);
}

static int not_open(struct hs_store *st)
{
	if (!st->err[0])
		put(st->err, sizeof(st->err), "store %s is not open", st->dir);
	return HS_ERR_IO;
}

int hs_store_get(struct hs_store *st, uint8_t table, const void *key, size_t keylen, uint8_t **val,
                 size_t *vallen)
{
	uint8_t k[KEY_MAX];
	if (make_key(k, table, key, keylen))
		return key_too_long(st, keylen);
	if (!st->db)
		return not_open(st);
	char *lerr = NULL;
	size_t n = 0;
	char *v = leveldb_get(st->db, st->ropts, (const char *)k, keylen + 1, &n, &lerr);
	if (lerr) {
		leveldb_free(v);
		return record(st, NULL, 0, "cannot read store", lerr);
	}
	if (!v)
		return HS_ERR_NOT_FOUND;
	*val = malloc(n ? n : 1);
	if (!*val) {
		leveldb_free(v);
		put(st->err, sizeof(st->err), "cannot read store %s: out of memory", st->dir);
		return HS_ERR_NOMEM;
	}
	memcpy(*val, v, n);
	*vallen = n;
	leveldb_free(v);
	return 0;
}

int hs_store_each(struct hs_store *st, uint8_t table,
                  bool (*fn)(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *val,
                             size_t vallen),
                  void *ctx)
{
	if (!st->db)
		return not_open(st);
	leveldb_iterator_t *it = leveldb_create_iterator(st->db, st->ropts);
	char t = (char)table;
	for (leveldb_iter_seek(it, &t, 1); leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t kl, vl;
		const char *k = leveldb_iter_key(it, &kl);
		if (kl < 1 || k[0] != t)
			break;
		const char *v = leveldb_iter_value(it, &vl);
		if (!fn(ctx, (const uint8_t *)k + 1, kl - 1, (const uint8_t *)v, vl))
			break;
	}
	char *lerr = NULL;
	leveldb_iter_get_error(it, &lerr);
	leveldb_iter_destroy(it);
	return lerr ? record(st, NULL, 0, "cannot read store", lerr) : 0;
}

struct clear_ctx {
	leveldb_writebatch_t *batch;
	uint8_t table;
};

static bool clear_one(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *val,
                      size_t vallen)
{
	(void)val;
	(void)vallen;
	struct clear_ctx *c = ctx;
	uint8_t k[KEY_MAX];
	if (make_key(k, c->table, key, keylen) == 0)
		leveldb_writebatch_delete(c->batch, (const char *)k, keylen + 1);
	return true;
}

/* Deletes table's entries and puts the n given ones, in one write. */
static int rewrite(struct hs_store *st, uint8_t table, size_t n, const uint8_t *const *keys,
                   const size_t *keylens, const uint8_t *const *vals, const size_t *vallens,
                   bool sync)
{
	int rc = write_begin(st);
	if (rc)
		return rc;
	struct clear_ctx c = { leveldb_writebatch_create(), table };
	rc = hs_store_each(st, table, clear_one, &c);
	for (size_t i = 0; !rc && i < n; i++) {
		uint8_t k[KEY_MAX];
		if (make_key(k, table, keys[i], keylens[i]))
			rc = key_too_long(st, keylens[i]);
		else
			leveldb_writebatch_put(c.batch, (const char *)k, keylens[i] + 1,
			                       (const char *)vals[i], vallens[i]);
	}
	if (!rc) {
		char *lerr = NULL;
		leveldb_write(st->db, sync ? st->wsync : st->wlazy, c.batch, &lerr);
		rc = write_done(st, lerr);
	}
	leveldb_writebatch_destroy(c.batch);
	return rc;
}

int hs_store_clear(struct hs_store *st, uint8_t table, bool sync)
{
	return rewrite(st, table, 0, NULL, NULL, NULL, NULL, sync);
}

int hs_store_replace(struct hs_store *st, uint8_t table, size_t n, const uint8_t *const *keys,
                     const size_t *keylens, const uint8_t *const *vals, const size_t *vallens)
{
	return rewrite(st, table, n, keys, keylens, vals, vallens, true);
}

int hs_store_next_generation(struct hs_store *st, uint64_t floor, uint64_t *generation)
{
	uint8_t *v;
	size_t n;
	uint64_t g = 0;
	int rc = hs_store_get(st, HS_TABLE_GENERATION, NULL, 0, &v, &n);
	if (rc == 0) {
		if (n != 8) {
			free(v);
			put(st->err, sizeof(st->err),
			    "store is damaged (repair: hearsayd -repairstore); %s: the "
			    "generation "
			    "counter has %zu bytes, not 8",
			    st->dir, n);
			return HS_ERR_CORRUPT;
		}
		for (unsigned i = 0; i < 8; i++)
			g |= (uint64_t)v[i] << (8 * i);
		free(v);
	} else if (rc != HS_ERR_NOT_FOUND) {
		return rc;
	}
	g = g + 1 > floor ? g + 1 : floor;
	uint8_t b[8];
	for (unsigned i = 0; i < 8; i++)
		b[i] = (uint8_t)(g >> (8 * i));
	rc = hs_store_put(st, HS_TABLE_GENERATION, NULL, 0, b, 8, true);
	if (rc == 0)
		*generation = g;
	return rc;
}

const char *hs_store_error(const struct hs_store *st)
{
	return st->err;
}

bool hs_store_is_failed(const struct hs_store *st)
{
	return st->failed || !st->db;
}

int hs_store_probe(struct hs_store *st)
{
	if (!hs_store_is_failed(st))
		return 0;
	if (st->db) {
		leveldb_close(st->db);
		st->db = NULL;
	}
	int rc = open_db(st); /* a fresh log; clears failed; rewrites the schema if missing */
	if (rc)
		return rc;
	uint8_t want = HS_STORE_SCHEMA;
	return hs_store_put(st, HS_TABLE_SCHEMA, NULL, 0, &want, 1, true);
}

void hs_store_inject_write_error(struct hs_store *st, const char *status)
{
	put(st->inject, sizeof(st->inject), "%s", status && *status ? status : "IO error");
}

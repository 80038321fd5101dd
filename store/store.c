/* LevelDB-backed persistence (see hearsay/store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leveldb/c.h>

#include "hearsay/store.h"

#define KEY_MAX 512

struct hs_store {
	leveldb_t *db;
	leveldb_options_t *opts;
	leveldb_readoptions_t *ropts;
	leveldb_writeoptions_t *wsync, *wlazy;
};

static void set_err(char *err, size_t errlen, const char *what, const char *dir, char *lerr)
{
	snprintf(err, errlen, "%s %s: %s", what, dir, lerr ? lerr : "unknown error");
	leveldb_free(lerr);
}

/* LevelDB reports damage as "Corruption: ..."; everything else (locks, permissions) is I/O. */
static int classify(const char *lerr)
{
	return lerr && strncmp(lerr, "Corruption", 10) == 0 ? HS_ERR_CORRUPT : HS_ERR_IO;
}

static int check_schema(struct hs_store *st, char *err, size_t errlen)
{
	uint8_t *v;
	size_t n;
	int rc = hs_store_get(st, HS_TABLE_SCHEMA, NULL, 0, &v, &n);
	if (rc == HS_ERR_NOT_FOUND) {
		uint8_t want = HS_STORE_SCHEMA;
		return hs_store_put(st, HS_TABLE_SCHEMA, NULL, 0, &want, 1, true);
	}
	if (rc)
		return rc;
	bool ok = n == 1 && v[0] == HS_STORE_SCHEMA;
	unsigned got = n == 1 ? v[0] : 0;
	free(v);
	if (!ok) {
		snprintf(err, errlen,
		         "store schema %u is not %u (written by another hearsay version)", got,
		         HS_STORE_SCHEMA);
		return HS_ERR_CORRUPT;
	}
	return 0;
}

int hs_store_open(struct hs_store **out, const char *dir, char *err, size_t errlen)
{
	struct hs_store *st = calloc(1, sizeof(*st));
	if (!st)
		return HS_ERR_NOMEM;
	st->opts = leveldb_options_create();
	leveldb_options_set_create_if_missing(st->opts, 1);
	leveldb_options_set_paranoid_checks(st->opts, 1);
	st->ropts = leveldb_readoptions_create();
	leveldb_readoptions_set_verify_checksums(st->ropts, 1);
	st->wsync = leveldb_writeoptions_create();
	leveldb_writeoptions_set_sync(st->wsync, 1);
	st->wlazy = leveldb_writeoptions_create();
	char *lerr = NULL;
	st->db = leveldb_open(st->opts, dir, &lerr);
	int rc = 0;
	if (lerr) {
		rc = classify(lerr);
		set_err(err, errlen,
		        rc == HS_ERR_CORRUPT ? "store is damaged (repair: hearsayd -repairstore);"
		                             : "cannot open store",
		        dir, lerr);
	} else {
		rc = check_schema(st, err, errlen);
	}
	if (rc) {
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

int hs_store_repair(const char *dir, char *err, size_t errlen)
{
	leveldb_options_t *o = leveldb_options_create();
	char *lerr = NULL;
	leveldb_repair_db(o, dir, &lerr);
	leveldb_options_destroy(o);
	if (lerr) {
		set_err(err, errlen, "cannot repair store", dir, lerr);
		return HS_ERR_IO;
	}
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

int hs_store_put(struct hs_store *st, uint8_t table, const void *key, size_t keylen,
                 const void *val, size_t vallen, bool sync)
{
	uint8_t k[KEY_MAX];
	if (make_key(k, table, key, keylen))
		return HS_ERR_INVALID;
	char *lerr = NULL;
	leveldb_put(st->db, sync ? st->wsync : st->wlazy, (const char *)k, keylen + 1,
	            (const char *)val, vallen, &lerr);
	int rc = lerr ? classify(lerr) : 0;
	leveldb_free(lerr);
	return rc;
}

int hs_store_del(struct hs_store *st, uint8_t table, const void *key, size_t keylen, bool sync)
{
	uint8_t k[KEY_MAX];
	if (make_key(k, table, key, keylen))
		return HS_ERR_INVALID;
	char *lerr = NULL;
	leveldb_delete(st->db, sync ? st->wsync : st->wlazy, (const char *)k, keylen + 1, &lerr);
	int rc = lerr ? classify(lerr) : 0;
	leveldb_free(lerr);
	return rc;
}

int hs_store_get(struct hs_store *st, uint8_t table, const void *key, size_t keylen, uint8_t **val,
                 size_t *vallen)
{
	uint8_t k[KEY_MAX];
	if (make_key(k, table, key, keylen))
		return HS_ERR_INVALID;
	char *lerr = NULL;
	size_t n = 0;
	char *v = leveldb_get(st->db, st->ropts, (const char *)k, keylen + 1, &n, &lerr);
	if (lerr) {
		int rc = classify(lerr);
		leveldb_free(lerr);
		return rc;
	}
	if (!v)
		return HS_ERR_NOT_FOUND;
	*val = malloc(n ? n : 1);
	if (!*val) {
		leveldb_free(v);
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
	int rc = lerr ? classify(lerr) : 0;
	leveldb_free(lerr);
	return rc;
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

int hs_store_clear(struct hs_store *st, uint8_t table, bool sync)
{
	struct clear_ctx c = { leveldb_writebatch_create(), table };
	int rc = hs_store_each(st, table, clear_one, &c);
	if (!rc) {
		char *lerr = NULL;
		leveldb_write(st->db, sync ? st->wsync : st->wlazy, c.batch, &lerr);
		rc = lerr ? classify(lerr) : 0;
		leveldb_free(lerr);
	}
	leveldb_writebatch_destroy(c.batch);
	return rc;
}

int hs_store_next_generation(struct hs_store *st, uint64_t *generation)
{
	uint8_t *v;
	size_t n;
	uint64_t g = 0;
	int rc = hs_store_get(st, HS_TABLE_GENERATION, NULL, 0, &v, &n);
	if (rc == 0) {
		if (n != 8) {
			free(v);
			return HS_ERR_CORRUPT;
		}
		for (unsigned i = 0; i < 8; i++)
			g |= (uint64_t)v[i] << (8 * i);
		free(v);
	} else if (rc != HS_ERR_NOT_FOUND) {
		return rc;
	}
	g++;
	uint8_t b[8];
	for (unsigned i = 0; i < 8; i++)
		b[i] = (uint8_t)(g >> (8 * i));
	rc = hs_store_put(st, HS_TABLE_GENERATION, NULL, 0, b, 8, true);
	if (rc == 0)
		*generation = g;
	return rc;
}

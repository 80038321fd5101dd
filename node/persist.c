/*
 * The store, as the driver uses it: open at start, load what the core saved last time, write
 * what the core asks to save (HS_EV_SAVE). Bans are written synchronously (a ban must survive a
 * crash); records, anchors and scores go through LevelDB's log (a crash may lose the last few,
 * never corrupt them). Anchors load after the records: they are dialled first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"

int hs_persist_open(struct hs_daemon *d, char *err, size_t errlen)
{
	char dir[HS_CONFIG_PATH_MAX + 8];
	snprintf(dir, sizeof(dir), "%s/store", d->cfg.datadir);
	int rc = hs_store_open(&d->store, dir, err, errlen);
	if (rc)
		return rc;
	rc = hs_store_next_generation(d->store, &d->generation);
	if (rc)
		snprintf(err, errlen, "cannot update the generation counter in %s: %s", dir,
		         hs_strerror(rc));
	return rc;
}

struct load_ctx {
	struct hs_daemon *d;
	size_t ok, bad;
	uint8_t table;
};

static bool load_one(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *val,
                     size_t vallen)
{
	(void)key;
	(void)keylen;
	struct load_ctx *l = ctx;
	int rc;
	if (l->table == HS_TABLE_RECORD)
		rc = hs_node_add_record(l->d->node, val, vallen, hs_daemon_now(l->d));
	else if (l->table == HS_TABLE_ANCHOR)
		rc = hs_node_add_anchor(l->d->node, val, vallen, hs_daemon_now(l->d));
	else if (l->table == HS_TABLE_BAN)
		rc = hs_node_load_ban(l->d->node, val, vallen);
	else if (l->table == HS_TABLE_STATE)
		rc = hs_node_load_state(l->d->node, val, vallen, hs_daemon_now(l->d));
	else
		rc = hs_node_load_score(l->d->node, val, vallen);
	if (rc == 0)
		l->ok++;
	else
		l->bad++;
	return true;
}

void hs_persist_load(struct hs_daemon *d)
{
	static const struct {
		uint8_t table;
		const char *name;
	} tables[] = { { HS_TABLE_BAN, "bans" },
		       { HS_TABLE_SCORE, "scores" },
		       { HS_TABLE_RECORD, "node records" },
		       { HS_TABLE_ANCHOR, "anchors" },
		       { HS_TABLE_STATE, "state entries" } };
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		struct load_ctx l = { .d = d, .table = tables[i].table };
		int rc = hs_store_each(d->store, tables[i].table, load_one, &l);
		if (rc)
			hs_log(HS_LOG_WARN, "store: reading %s: %s", tables[i].name,
			       hs_strerror(rc));
		hs_log(HS_LOG_INFO, "store: loaded %zu %s%s", l.ok, tables[i].name,
		       l.bad ? " (some stale or invalid entries skipped)" : "");
	}
}

void hs_persist_save(struct hs_daemon *d, const struct hs_event *ev)
{
	int rc = 0;
	switch (ev->save_kind) {
	case HS_SAVE_RECORD:
		rc = hs_store_put(d->store, HS_TABLE_RECORD, ev->key, ev->keylen, ev->value,
		                  ev->valuelen, false);
		break;
	case HS_SAVE_BAN:
		rc = hs_store_put(d->store, HS_TABLE_BAN, ev->key, ev->keylen, ev->value,
		                  ev->valuelen, true);
		break;
	case HS_SAVE_UNBAN:
		rc = hs_store_del(d->store, HS_TABLE_BAN, ev->key, ev->keylen, true);
		break;
	case HS_SAVE_SCORE:
		rc = hs_store_put(d->store, HS_TABLE_SCORE, ev->key, ev->keylen, ev->value,
		                  ev->valuelen, false);
		break;
	case HS_SAVE_STATE:
		rc = hs_store_put(d->store, HS_TABLE_STATE, ev->key, ev->keylen, ev->value,
		                  ev->valuelen, false);
		break;
	case HS_SAVE_UNSTATE:
		rc = hs_store_del(d->store, HS_TABLE_STATE, ev->key, ev->keylen, false);
		break;
	case HS_SAVE_UNRECORD:
		rc = hs_store_del(d->store, HS_TABLE_RECORD, ev->key, ev->keylen, false);
		break;
	case HS_SAVE_ANCHOR:
		rc = hs_store_put(d->store, HS_TABLE_ANCHOR, ev->key, ev->keylen, ev->value,
		                  ev->valuelen, false);
		break;
	case HS_SAVE_UNANCHOR:
		rc = hs_store_del(d->store, HS_TABLE_ANCHOR, ev->key, ev->keylen, false);
		break;
	}
	if (rc)
		hs_log(HS_LOG_ERROR, "store: cannot save (%s)", hs_strerror(rc));
}

void hs_persist_close(struct hs_daemon *d)
{
	hs_store_close(d->store);
	d->store = NULL;
}

/*
 * The store, as the driver uses it: open at start, load what the core saved last time, write
 * what the core asks to save (HS_EV_SAVE). What the node acknowledges is written
 * synchronously before the acknowledgement: its own state entries (through caps.save_own,
 * before the core announces them), bans (an RPC reply waits for them). Records, anchors,
 * scores and others' state entries go through LevelDB's log (an OS crash may lose the last
 * few, never corrupt them). Anchors load after the records: they are dialled first.
 *
 * A failed write puts the node in read-only mode: it refuses writes of its own (setstate,
 * delstate, publish) with the store's error, keeps relaying others' data and serving reads
 * from memory, counts the saves it cannot make, and probes the store every
 * STORE_PROBE_MS (reopen + one small synchronous write) until a write succeeds again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"
#include "overlay/crawl.h"

/* Rationale: often enough that a freed disk is noticed within seconds, rarely enough that a
 * disk that stays full costs one reopen of a small database per probe. */
#define STORE_PROBE_MS 2000

static void on_probe(uv_timer_t *t);

int hs_persist_open(struct hs_daemon *d, char *err, size_t errlen)
{
	char dir[HS_CONFIG_PATH_MAX + 8];
	snprintf(dir, sizeof(dir), "%s/store", d->cfg.datadir);
	int rc = hs_store_open(&d->store, dir, err, errlen);
	if (rc)
		return rc;
	uv_timer_init(&d->loop, &d->store_timer);
	d->store_timer.data = d;
	/* At least the wall clock in milliseconds: a store lost with the key kept (a restore, a new
	 * disk) must not restart at 1, where everything the node signs loses to its old entries. */
	rc = hs_store_next_generation(d->store, hs_daemon_now(d) / HS_NS_PER_MS, &d->generation);
	if (rc)
		snprintf(err, errlen, "cannot update the generation counter: %s",
		         hs_store_error(d->store));
	return rc;
}

/* ---- read-only mode ---------------------------------------------------------------------- */

static void enter_readonly(struct hs_daemon *d)
{
	d->store_write_errors++;
	if (d->store_readonly)
		return;
	d->store_readonly = true;
	hs_log(HS_LOG_ERROR,
	       "store: %s; read-only for this node's own writes (setstate, delstate, publish "
	       "refused; relaying and reads go on) until a write succeeds again, retried every "
	       "%d s",
	       hs_store_error(d->store), STORE_PROBE_MS / 1000);
	uv_timer_start(&d->store_timer, on_probe, STORE_PROBE_MS, STORE_PROBE_MS);
}

/* Bans decided while the store refused writes (a misbehaving peer, an operator's setban)
 * exist only in memory: the ban table is rewritten from the node's in one write. */
static int resave_bans(struct hs_daemon *d)
{
	size_t max = hs_node_bans(d->node, NULL, 0, hs_daemon_now(d)) + 1;
	struct hs_ban *bans = malloc(max * sizeof(*bans));
	uint8_t(*keys)[33] = malloc(max * sizeof(*keys));
	uint8_t(*vals)[HS_BAN_ENCODED_LEN] = malloc(max * sizeof(*vals));
	const uint8_t **kp = malloc(max * sizeof(*kp)), **vp = malloc(max * sizeof(*vp));
	size_t *kl = malloc(max * sizeof(*kl)), *vl = malloc(max * sizeof(*vl));
	int rc = HS_ERR_NOMEM;
	if (bans && keys && vals && kp && vp && kl && vl) {
		size_t n = hs_node_bans(d->node, bans, max, hs_daemon_now(d));
		if (n > max)
			n = max;
		for (size_t i = 0; i < n; i++) {
			keys[i][0] = bans[i].kind;
			memcpy(keys[i] + 1, bans[i].key, 32);
			hs_ban_encode(&bans[i], vals[i]);
			kp[i] = keys[i];
			vp[i] = vals[i];
			kl[i] = 33;
			vl[i] = HS_BAN_ENCODED_LEN;
		}
		rc = hs_store_replace(d->store, HS_TABLE_BAN, n, kp, kl, vp, vl);
	}
	free(bans);
	free(keys);
	free(vals);
	free(kp);
	free(vp);
	free(kl);
	free(vl);
	return rc;
}

static void on_probe(uv_timer_t *t)
{
	struct hs_daemon *d = t->data;
	if (hs_store_probe(d->store) != 0 || (d->node && resave_bans(d) != 0)) {
		d->store_write_errors++;
		hs_log(HS_LOG_DEBUG, "store: still not writable: %s", hs_store_error(d->store));
		return;
	}
	uv_timer_stop(&d->store_timer);
	d->store_readonly = false;
	hs_log(HS_LOG_INFO,
	       "store: writes succeed again; leaving read-only mode (%llu saves of others' "
	       "data were dropped meanwhile; bans rewritten)",
	       (unsigned long long)d->store_saves_dropped);
}

bool hs_persist_readonly(const struct hs_daemon *d)
{
	return d->store_readonly;
}

const char *hs_persist_error(const struct hs_daemon *d)
{
	const char *e = d->store ? hs_store_error(d->store) : "";
	return *e ? e : "the store is not writable";
}

/* ---- load -------------------------------------------------------------------------------- */

struct load_ctx {
	struct hs_daemon *d;
	size_t ok, bad;
	uint8_t table;
};

static bool load_one(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *val,
                     size_t vallen)
{
	struct load_ctx *l = ctx;
	int rc;
	if (l->table == HS_TABLE_CRAWL)
		rc = keylen == HS_KEY_LEN ? hs_node_load_crawl(l->d->node, key, val, vallen)
		                          : HS_ERR_INVALID;
	else if (l->table == HS_TABLE_RECORD)
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

int hs_persist_load(struct hs_daemon *d, char *err, size_t errlen)
{
	static const struct {
		uint8_t table;
		const char *name;
	} tables[] = { { HS_TABLE_BAN, "bans" },
		       { HS_TABLE_SCORE, "scores" },
		       { HS_TABLE_RECORD, "node records" },
		       { HS_TABLE_ANCHOR, "anchors" },
		       { HS_TABLE_STATE, "state entries" },
		       { HS_TABLE_CRAWL, "crawl statistics" } };
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (tables[i].table == HS_TABLE_CRAWL && !d->cfg.seed)
			continue; /* kept for a later run in seed mode */
		struct load_ctx l = { .d = d, .table = tables[i].table };
		int rc = hs_store_each(d->store, tables[i].table, load_one, &l);
		if (rc && !d->cfg.ignorestoredamage) {
			snprintf(err, errlen,
			         "reading %s (%zu read, a damaged part not): %s; or start with "
			         "-ignorestoredamage to run without what cannot be read",
			         tables[i].name, l.ok, hs_store_error(d->store));
			return rc;
		}
		if (rc)
			hs_log(HS_LOG_ERROR,
			       "store: reading %s: %s; starting with the %zu that could be read, "
			       "without the rest (-ignorestoredamage)",
			       tables[i].name, hs_store_error(d->store), l.ok);
		hs_log(HS_LOG_INFO, "store: loaded %zu %s%s", l.ok, tables[i].name,
		       l.bad ? " (some stale or invalid entries skipped)" : "");
	}
	return 0;
}

/* ---- save -------------------------------------------------------------------------------- */

int hs_persist_save_own(struct hs_daemon *d, const uint8_t *key, size_t keylen, const uint8_t *enc,
                        size_t enclen)
{
	if (d->store_readonly)
		return HS_ERR_IO;
	int rc = hs_store_put(d->store, HS_TABLE_STATE, key, keylen, enc, enclen, true);
	if (rc)
		enter_readonly(d);
	return rc;
}

int hs_persist_unsave_own(struct hs_daemon *d, const uint8_t *key, size_t keylen)
{
	int rc = d->store_readonly ? HS_ERR_IO
	                           : hs_store_del(d->store, HS_TABLE_STATE, key, keylen, true);
	if (rc && !d->store_readonly)
		enter_readonly(d);
	return rc;
}

void hs_persist_save(struct hs_daemon *d, const struct hs_event *ev)
{
	if (d->store_readonly) {
		d->store_saves_dropped++;
		return;
	}
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
	case HS_SAVE_CRAWL:
		rc = hs_store_put(d->store, HS_TABLE_CRAWL, ev->key, ev->keylen, ev->value,
		                  ev->valuelen, false);
		break;
	case HS_SAVE_UNCRAWL:
		rc = hs_store_del(d->store, HS_TABLE_CRAWL, ev->key, ev->keylen, false);
		break;
	}
	if (rc) {
		d->store_saves_dropped++;
		enter_readonly(d);
	}
}

void hs_persist_close(struct hs_daemon *d)
{
	hs_store_close(d->store);
	d->store = NULL;
}

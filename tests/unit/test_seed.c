/*
 * Seed mode in the core (overlay/crawl.c), through the node API with the test harness: a seed
 * crawls the records of nodes that visited it; every dial it asks for is connected while the
 * target is alive and failed once it is dead. Checks: every node becomes reachable, never more
 * than HS_CRAWL_INFLIGHT_MAX visits are under way, a dead node is unreachable after its next
 * visit and leaves the reachable rows, and the saved statistics (HS_SAVE_CRAWL) and records
 * (HS_SAVE_RECORD) restore the same figures in a fresh seed; a node not in seed mode refuses
 * them.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "node_harness.h"
#include "overlay/crawl.h"
#include "testrng.h"

#define NODES     4 /* the seed is node 0 */
#define DIALS_MAX 64

static struct {
	struct hs_netaddr dials[DIALS_MAX];
	size_t ndials;
	bool dead[TN_MAX];
	size_t max_inflight;
	/* The last saved crawl statistics and record of each node, by index. */
	uint8_t stat[TN_MAX][HS_CRAWL_STAT_LEN];
	bool has_stat[TN_MAX];
	uint8_t rec[TN_MAX][HS_RECORD_MAX + 64];
	size_t reclen[TN_MAX];
} w;

static int node_of_id(struct tnet *net, const uint8_t *id)
{
	for (size_t i = 0; i < net->count; i++)
		if (memcmp(hs_identity_pubkey(net->n[i].id), id, HS_KEY_LEN) == 0)
			return (int)i;
	return -1;
}

static void on_event(struct tnet *net, int i, const struct hs_event *ev)
{
	if (i != 0)
		return;
	if (ev->type == HS_EV_DIAL && w.ndials < DIALS_MAX)
		w.dials[w.ndials++] = ev->addr;
	if (ev->type == HS_EV_SAVE && ev->keylen == HS_KEY_LEN) {
		int k = node_of_id(net, ev->key);
		if (k < 0)
			return;
		if (ev->save_kind == HS_SAVE_CRAWL && ev->valuelen == HS_CRAWL_STAT_LEN) {
			memcpy(w.stat[k], ev->value, HS_CRAWL_STAT_LEN);
			w.has_stat[k] = true;
		} else if (ev->save_kind == HS_SAVE_RECORD && ev->valuelen <= sizeof(w.rec[k])) {
			memcpy(w.rec[k], ev->value, ev->valuelen);
			w.reclen[k] = ev->valuelen;
		}
	}
}

/* The seed's dials, after each step: connected to a live node, failed for a dead one. */
static void on_step(struct tnet *net)
{
	struct hs_crawl_summary s;
	hs_node_crawl_summary(net->n[0].node, &s, net->now);
	if (s.inflight > w.max_inflight)
		w.max_inflight = s.inflight;
	while (w.ndials > 0) {
		struct hs_netaddr a = w.dials[--w.ndials];
		int k = -1;
		for (size_t i = 1; i < net->count; i++)
			if (hs_netaddr_equal(&net->n[i].addr, &a))
				k = (int)i;
		if (k > 0 && !w.dead[k])
			tn_connect(net, 0, k);
		else
			hs_node_dial_failed(net->n[0].node, &a, net->now);
	}
}

static void seed_cfg(struct hs_node_config *c)
{
	c->seed_mode = true;
	c->crawl_interval_ns = 100 * HS_NS_PER_MS;
	c->feeler_interval_ns = 0;
	c->rotate_interval_ns = 0;
}

static const struct hs_crawl_row *row_of(const struct hs_crawl_row *rows, size_t n,
                                         const uint8_t *id)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(rows[i].rec.id, id, HS_KEY_LEN) == 0)
			return &rows[i];
	return NULL;
}

static void test_crawl_and_restore(void)
{
	static struct tnet net;
	memset(&net, 0, sizeof(net));
	memset(&w, 0, sizeof(w));
	net.now = TN_T0;
	net.on_event = on_event;
	net.on_step = on_step;
	tn_add(&net, "main", seed_cfg);
	for (int i = 1; i < NODES; i++)
		tn_add(&net, "main", NULL);
	/* Each node visits the seed once: the seed learns its record from the hello. */
	for (int i = 1; i < NODES; i++) {
		struct tlink *l = tn_connect(&net, i, 0);
		tn_close_link(&net, l);
	}
	tn_advance(&net, 5 * HS_NS_PER_S);
	struct hs_crawl_summary s;
	hs_node_crawl_summary(net.n[0].node, &s, net.now);
	CHECK(s.known >= NODES - 1);
	CHECK_EQ(s.reachable[HS_CRAWL_2H], NODES - 1);
	CHECK_EQ(s.reachable[HS_CRAWL_1W], NODES - 1);
	CHECK(s.visits >= 3 * (NODES - 1));
	CHECK_EQ(s.visits, s.visits_ok);
	CHECK(w.max_inflight >= 1 && w.max_inflight <= HS_CRAWL_INFLIGHT_MAX);

	/* Node 3 dies: its next visit fails, and it leaves the reachable rows. */
	w.dead[3] = true;
	for (size_t i = 0; i < TN_LINKS; i++)
		if (net.links[i].used && !net.links[i].closed &&
		    (net.links[i].a == 3 || net.links[i].b == 3))
			tn_close_link(&net, &net.links[i]);
	tn_advance(&net, 3 * HS_NS_PER_S);
	struct hs_crawl_row rows[TN_MAX];
	size_t n = hs_node_crawl_rows(net.n[0].node, rows, TN_MAX, 0.0, false, net.now);
	CHECK_EQ(n, NODES - 1);
	const struct hs_crawl_row *dead = row_of(rows, n, hs_identity_pubkey(net.n[3].id));
	REQUIRE(dead != NULL);
	CHECK(!dead->stat.last_ok);
	CHECK(dead->stat.successes >= 1 && dead->stat.attempts > dead->stat.successes);
	CHECK(!hs_crawl_stat_reachable(&dead->stat, HS_CRAWL_2H, net.now));
	CHECK(n >= 1 && memcmp(rows[n - 1].rec.id, dead->rec.id, HS_KEY_LEN) == 0); /* last */
	hs_node_crawl_summary(net.n[0].node, &s, net.now);
	CHECK_EQ(s.reachable[HS_CRAWL_2H], NODES - 2);
	CHECK(s.visits > s.visits_ok);
	size_t good = hs_node_crawl_rows(net.n[0].node, rows, TN_MAX, 0.5, true, net.now);
	CHECK_EQ(good, NODES - 2);
	CHECK(row_of(rows, good, hs_identity_pubkey(net.n[3].id)) == NULL);

	/* A fresh seed given the saved records and statistics shows the same figures. */
	static struct tnet again;
	memset(&again, 0, sizeof(again));
	again.now = net.now;
	tn_add(&again, "main", seed_cfg);
	for (int i = 1; i < NODES; i++) {
		REQUIRE(w.has_stat[i] && w.reclen[i] > 0);
		CHECK(hs_node_add_record(again.n[0].node, w.rec[i], w.reclen[i], again.now) == 0);
		CHECK(hs_node_load_crawl(again.n[0].node, hs_identity_pubkey(net.n[i].id),
		                         w.stat[i], HS_CRAWL_STAT_LEN) == 0);
	}
	struct hs_crawl_summary r;
	hs_node_crawl_summary(again.n[0].node, &r, again.now);
	CHECK_EQ(r.known, NODES - 1);
	CHECK_EQ(r.crawled, NODES - 1);
	for (unsigned k = 0; k < HS_CRAWL_WINDOWS; k++)
		CHECK_EQ(r.reachable[k], s.reachable[k]);
	CHECK_EQ(r.visits, 0);
	struct hs_crawl_row back[TN_MAX];
	size_t m = hs_node_crawl_rows(again.n[0].node, back, TN_MAX, 0.0, false, again.now);
	CHECK_EQ(m, n);
	for (int i = 1; i < NODES; i++) {
		const uint8_t *id = hs_identity_pubkey(net.n[i].id);
		const struct hs_crawl_row *b = row_of(back, m, id);
		REQUIRE(b != NULL);
		struct hs_crawl_stat want;
		REQUIRE(hs_crawl_stat_decode(&want, w.stat[i], HS_CRAWL_STAT_LEN) == 0);
		CHECK_EQ(b->stat.attempts, want.attempts);
		CHECK(b->stat.win[HS_CRAWL_1D].num == want.win[HS_CRAWL_1D].num);
	}
	/* Garbage is refused; a node not in seed mode takes nothing. */
	uint8_t junk[HS_CRAWL_STAT_LEN] = { 9 };
	CHECK(hs_node_load_crawl(again.n[0].node, hs_identity_pubkey(net.n[1].id), junk,
	                         sizeof(junk)) == HS_ERR_INVALID);
	CHECK(hs_node_load_crawl(net.n[1].node, hs_identity_pubkey(net.n[2].id), w.stat[2],
	                         HS_CRAWL_STAT_LEN) == HS_ERR_STATE);
	tn_free(&again);
	tn_free(&net);
}

int main(void)
{
	RUN(test_crawl_and_restore);
	return hs_test_done();
}

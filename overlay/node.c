/*
 * The node: lifecycle, the public inputs, the pump and introspection (see overlay/node.h).
 *
 * Every public input ends with flush(): scheduled getdata requests go out, announcement
 * queues are emptied into inv frames and queued getdata is served. So after any call the only
 * work left is what a deadline (hs_node_next_deadline) asks for.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_impl.h"

void hs_node_config_default(struct hs_node_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->network = "main";
	cfg->services = HS_SERVICE_RELAY;
	cfg->all_topics = true;
	cfg->outbound_target = 8;
	cfg->peers_max = 64;
	cfg->handshake_timeout_ns = 10 * HS_NS_PER_S;
	cfg->ping_interval_ns = 30 * HS_NS_PER_S;
	cfg->idle_timeout_ns = 90 * HS_NS_PER_S;
	cfg->dial_interval_ns = 500 * HS_NS_PER_MS;
	cfg->feeler_interval_ns = 120 * HS_NS_PER_S;
	cfg->rotate_interval_ns = 600 * HS_NS_PER_S;
	cfg->crawl_interval_ns = 2 * HS_NS_PER_S;
	cfg->eager_push = 2;
	cfg->eager_cover_pct = 35;
	cfg->eager_receivers_max = 16;
	cfg->eager_wait_max_ns = 500 * HS_NS_PER_MS;
	cfg->pull_interval_ns = 5 * HS_NS_PER_S;
	cfg->pull_window_ns = 60 * HS_NS_PER_S;
	cfg->retention_ns = 600 * HS_NS_PER_S;
	cfg->clock_skew_ns = 30 * HS_NS_PER_S;
	cfg->request_timeout_ns = 2 * HS_NS_PER_S;
	cfg->validate_timeout_ns = 2 * HS_NS_PER_S;
	cfg->validate_default = HS_IGNORE;
	cfg->lazy_request_delay_ns = 0;
	cfg->request_nonpreferred_delay_ns = 100 * HS_NS_PER_MS;
	cfg->store_max = 100000;
	cfg->store_bytes_max = 64u << 20;
	cfg->seen_max = 200000;
	cfg->addrbook_max = 4096;
	cfg->peer_frames_per_s = 2000;
	/* Rationale: one core verifies about 20,000 BIP340 signatures a second
	 * (bench/results/crypto.json), so 4,000 keeps peer-driven verification to a fifth of one
	 * core of a 2-core machine, while an honest network's whole load (each new rumor, entry
	 * and record once) is far below it: only a flood meets the limit (docs/KNOBS.md). */
	cfg->verifies_per_s = 4000;
	cfg->bantime_ns = 86400 * HS_NS_PER_S;
	hs_score_params_default(&cfg->score);
	cfg->scores_max = 4096;
	cfg->bans_max = 4096;
	cfg->heartbeat_interval_ns = 10 * HS_NS_PER_S;
	cfg->suspect_heartbeats = 3;
	cfg->dead_heartbeats = 6;
	cfg->member_reap_ns = 86400 * HS_NS_PER_S;
}

/* ---- small shared helpers ---------------------------------------------------------------- */

uint64_t hs_node_rand64(struct hs_node *node)
{
	uint8_t b[8];
	node->caps.random(node->caps.ctx, b, sizeof(b));
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint64_t shift(uint64_t t, int64_t by)
{
	if (by >= 0)
		return t > UINT64_MAX - (uint64_t)by ? UINT64_MAX : t + (uint64_t)by;
	uint64_t back = (uint64_t)(-(by + 1)) + 1;
	return t < back ? 0 : t - back;
}

uint64_t hs_node_wall(const struct hs_node *node, uint64_t now)
{
	return shift(now, node->wall_offset_ns);
}

uint64_t hs_node_mono(const struct hs_node *node, uint64_t wall)
{
	return node->wall_offset_ns == INT64_MIN ? UINT64_MAX : shift(wall, -node->wall_offset_ns);
}

void hs_node_set_wall_offset(struct hs_node *node, int64_t offset_ns, uint64_t now)
{
	if (offset_ns == node->wall_offset_ns)
		return;
	hs_node_log(node, HS_LOG_INFO, "wall clock moved by %+.3f s; rumor times follow it",
	            (double)(offset_ns - node->wall_offset_ns) / 1e9);
	/* Clock samples from hellos were taken against the old clock. */
	int64_t moved_ms = (offset_ns - node->wall_offset_ns) / (int64_t)HS_NS_PER_MS;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		if (node->peers[s] && node->peers[s]->has_clock)
			node->peers[s]->clock_diff_ms -= moved_ms;
	node->wall_offset_ns = offset_ns;
	hs_peer_check_clock(node);
	/* Our record carries the time: sign it anew on the corrected clock. */
	if (hs_connect_sign_record(node, now) != 0)
		hs_node_log(node, HS_LOG_WARN, "cannot re-sign our record");
}

int hs_node_set_addrs(struct hs_node *node, const struct hs_netaddr *addrs, size_t naddrs,
                      uint64_t now)
{
	if (naddrs > HS_RECORD_ADDRS_MAX)
		return HS_ERR_INVALID;
	for (size_t i = 0; i < naddrs; i++) {
		if (!hs_netaddr_is_valid(&addrs[i]))
			return HS_ERR_INVALID;
		for (size_t j = 0; j < i; j++)
			if (hs_netaddr_equal(&addrs[i], &addrs[j]))
				return HS_ERR_INVALID;
	}
	size_t old_n = node->cfg.naddrs;
	struct hs_netaddr old[HS_RECORD_ADDRS_MAX];
	memcpy(old, node->cfg.addrs, sizeof(old));
	memset(node->cfg.addrs, 0, sizeof(node->cfg.addrs));
	memcpy(node->cfg.addrs, addrs, naddrs * sizeof(*addrs));
	node->cfg.naddrs = naddrs;
	int err = hs_connect_sign_record(node, now);
	if (err) {
		memcpy(node->cfg.addrs, old, sizeof(old));
		node->cfg.naddrs = old_n;
		if (hs_connect_sign_record(node, now) != 0)
			hs_node_log(node, HS_LOG_WARN, "cannot re-sign our record");
		return HS_ERR_INVALID;
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int64_t hs_node_time_offset_ms(const struct hs_node *node, size_t *samples)
{
	int64_t v[HS_PEERS_MAX];
	size_t n = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		if (p && p->state == PS_ACTIVE && p->has_clock)
			v[n++] = p->clock_diff_ms;
	}
	if (samples)
		*samples = n;
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_i64);
	return n % 2 ? v[n / 2] : v[n / 2 - 1] / 2 + v[n / 2] / 2;
}

void hs_node_log(struct hs_node *node, enum hs_log_level level, const char *fmt, ...)
{
	if (!node->caps.log)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	node->caps.log(node->caps.ctx, level, line);
}

uint64_t hs_node_topic_hash(const struct hs_node *node, const uint8_t *topic, size_t topic_len)
{
	return hs_shorthash(node->secret, topic, topic_len);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

bool hs_node_takes_topic(const struct hs_node *node, const uint8_t *topic, size_t topic_len)
{
	if (node->cfg.all_topics)
		return true;
	uint64_t h = hs_node_topic_hash(node, topic, topic_len);
	return bsearch(&h, node->topic_hash, node->cfg.ntopics, sizeof(h), cmp_u64) != NULL;
}

struct peer *hs_node_peer_by_id(const struct hs_node *node, const uint8_t id[HS_KEY_LEN],
                                const struct peer *except)
{
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (p && p != except && p->has_id && p->state != PS_CLOSING &&
		    memcmp(p->id, id, HS_KEY_LEN) == 0)
			return p;
	}
	return NULL;
}

bool hs_node_may_verify(struct hs_node *node, const struct peer *p, uint64_t now)
{
	uint8_t group[8];
	hs_netaddr_group(&p->addr, group);
	return hs_verifysched_admit(node->verify, p->slot, group, now);
}

bool hs_node_signed_by(struct hs_node *node, const struct hs_tag *tag,
                       const uint8_t signer[HS_KEY_LEN], const uint8_t *enc, size_t enclen)
{
	if (enclen < HS_SIG_LEN)
		return false;
	uint8_t digest[32];
	hs_tag_hash(tag, digest, enc, enclen - HS_SIG_LEN);
	node->stats.sig_checks++;
	if (node->caps.verify(node->caps.ctx, signer, enc + enclen - HS_SIG_LEN, digest) == 0)
		return true;
	node->stats.sig_failures++;
	return false;
}

static struct peer *find(const struct hs_node *node, uint64_t handle)
{
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		if (node->peers[s] && node->peers[s]->handle == handle)
			return node->peers[s];
	return NULL;
}

static void flush(struct hs_node *node, uint64_t now)
{
	node->stats_now_ns = now;
	hs_gossip_flush(node, now);
	hs_connect_book_sync(node);
}

/* ---- lifecycle ------------------------------------------------------------------------- */

/* Topics sorted as the hello requires: bytewise, a prefix first. */
static int cmp_topic(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);
	int c = memcmp(x, y, lx < ly ? lx : ly);
	return c ? c : (lx > ly) - (lx < ly);
}

static int copy_topics(struct hs_node *node, const struct hs_node_config *cfg)
{
	if (cfg->all_topics) {
		node->cfg.ntopics = 0;
		return 0;
	}
	if (cfg->ntopics > HS_HELLO_TOPICS_MAX)
		return HS_ERR_INVALID;
	const char *sorted[HS_HELLO_TOPICS_MAX];
	for (size_t i = 0; i < cfg->ntopics; i++) {
		const char *t = cfg->topics[i];
		if (!t || !hs_name_is_valid(t, strlen(t), HS_TOPIC_MAX))
			return HS_ERR_INVALID;
		sorted[i] = t;
	}
	qsort(sorted, cfg->ntopics, sizeof(sorted[0]), cmp_topic);
	size_t n = 0;
	for (size_t i = 0; i < cfg->ntopics; i++) {
		if (n > 0 && strcmp(sorted[i], node->topic_names[n - 1]) == 0)
			continue;
		memcpy(node->topic_names[n], sorted[i], strlen(sorted[i]) + 1);
		node->cfg.topics[n] = node->topic_names[n];
		node->topic_hash[n] =
		        hs_node_topic_hash(node, (const uint8_t *)sorted[i], strlen(sorted[i]));
		n++;
	}
	node->cfg.ntopics = n;
	qsort(node->topic_hash, n, sizeof(node->topic_hash[0]), cmp_u64);
	return 0;
}

static bool config_valid(const struct hs_node_config *cfg, const struct hs_caps *caps)
{
	return cfg->network &&
	       hs_name_is_valid(cfg->network, strlen(cfg->network), HS_NETWORK_MAX) &&
	       cfg->crypto && cfg->noise_static && caps->random && caps->sign && caps->verify &&
	       cfg->peers_max >= 1 && cfg->peers_max <= HS_PEERS_MAX &&
	       cfg->outbound_target <= cfg->peers_max && cfg->naddrs <= HS_RECORD_ADDRS_MAX &&
	       cfg->seen_max >= 1 && cfg->store_max >= 1 && cfg->store_bytes_max >= HS_FRAME_MAX &&
	       cfg->pull_interval_ns > 0 && cfg->dial_interval_ns > 0 &&
	       cfg->ping_interval_ns > 0 && cfg->request_timeout_ns > 0 &&
	       cfg->retention_ns >= cfg->pull_window_ns &&
	       (!cfg->seed_mode || cfg->crawl_interval_ns > 0) &&
	       hs_score_params_check(&cfg->score) == 0 && cfg->verifies_per_s >= 1 &&
	       cfg->verifies_per_s <= 1000000000 && cfg->validate_timeout_ns > 0 &&
	       (cfg->validate_default == HS_ACCEPT || cfg->validate_default == HS_IGNORE ||
	        cfg->validate_default == HS_REJECT_ORIGIN) &&
	       (cfg->heartbeat_interval_ns == 0 ||
	        (cfg->heartbeat_interval_ns >= HS_HEARTBEAT_INTERVAL_MIN_MS * HS_NS_PER_MS &&
	         cfg->heartbeat_interval_ns <= HS_HEARTBEAT_INTERVAL_MAX_MS * HS_NS_PER_MS)) &&
	       cfg->suspect_heartbeats >= 1 && cfg->dead_heartbeats > cfg->suspect_heartbeats &&
	       cfg->dead_heartbeats <= 1000 && cfg->member_reap_ns > 0;
}

int hs_node_new(struct hs_node **out, const struct hs_node_config *cfg, const struct hs_caps *caps,
                uint64_t now)
{
	if (!config_valid(cfg, caps))
		return HS_ERR_INVALID;
	struct hs_node *node = calloc(1, sizeof(*node));
	if (!node)
		return HS_ERR_NOMEM;
	node->cfg = *cfg;
	if (cfg->seed_mode && node->cfg.outbound_target > HS_SEED_OUTBOUND)
		node->cfg.outbound_target = HS_SEED_OUTBOUND; /* few relay sessions (crawl.h) */
	node->caps = *caps;
	memcpy(node->network, cfg->network, strlen(cfg->network) + 1);
	node->cfg.network = node->network;
	caps->random(caps->ctx, node->secret, sizeof(node->secret));
	int err = copy_topics(node, cfg);
	if (!err)
		err = hs_tag_init(&node->tag_record, "record", node->network);
	if (!err)
		err = hs_tag_init(&node->tag_rumor, "rumor", node->network);
	if (!err)
		err = hs_tag_init(&node->tag_state, "state", node->network);
	struct hs_reqsched_config rc = {
		.peer_announced_max = HS_REQ_PEER_ANNOUNCED_MAX,
		.peer_inflight_max = HS_REQ_PEER_INFLIGHT_MAX,
		.id_announcers_max = HS_REQ_ID_ANNOUNCERS_MAX,
		.request_timeout_ns = cfg->request_timeout_ns,
		.nonpreferred_delay_ns = cfg->request_nonpreferred_delay_ns,
	};
	if (!err)
		err = hs_reqsched_new(&node->reqs, &rc, node->secret);
	/* A group's burst: HS_VERIFY_GROUP_BURST or an eighth of a second's budget, whichever is
	 * more, but never more than one second's. */
	uint64_t burst = cfg->verifies_per_s / 8;
	burst = burst > HS_VERIFY_GROUP_BURST ? burst : HS_VERIFY_GROUP_BURST;
	burst = burst < cfg->verifies_per_s ? burst : cfg->verifies_per_s;
	burst = burst < HS_VERIFYSCHED_BURST_MAX ? burst : HS_VERIFYSCHED_BURST_MAX;
	struct hs_verifysched_config vc = {
		.rate_per_s = cfg->verifies_per_s,
		.burst = burst,
		.reserve = HS_VERIFY_RESERVE_GROUPS * burst,
		.peers_max = HS_PEERS_MAX,
	};
	if (!err)
		err = hs_verifysched_new(&node->verify, &vc, now);
	if (err) {
		hs_reqsched_del(node->reqs);
		free(node);
		return err;
	}
	err = hs_addrbook_init(&node->book, node->secret, cfg->addrbook_max);
	if (err) {
		hs_reqsched_del(node->reqs);
		free(node);
		return err;
	}
	hs_rumorstore_init(&node->store, node->secret, cfg->store_max, cfg->store_bytes_max);
	hs_seen_init(&node->seen, node->secret, cfg->seen_max);
	hs_scores_init(&node->scores, node->secret, cfg->scores_max, &cfg->score);
	hs_scores_init(&node->net_scores, node->secret, cfg->scores_max, &cfg->score);
	hs_banlist_init(&node->bans, node->secret, cfg->bans_max);
	hs_state_init(node);
	hs_membership_init(node, now);
	node->next_dial_ns = now;
	node->next_feeler_ns = cfg->feeler_interval_ns ? now + cfg->feeler_interval_ns : UINT64_MAX;
	node->next_rotate_ns = cfg->rotate_interval_ns ? now + cfg->rotate_interval_ns : UINT64_MAX;
	node->next_sweep_ns = now + HS_NS_PER_S;
	err = hs_crawl_init(node, now);
	if (err) {
		hs_node_del(node);
		return err;
	}
	node->next_pull_ns = now + hs_node_rand64(node) % cfg->pull_interval_ns;
	err = hs_connect_sign_record(node, now);
	if (err) {
		hs_node_del(node);
		return err;
	}
	*out = node;
	return 0;
}

void hs_node_del(struct hs_node *node)
{
	if (!node)
		return;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		if (node->peers[s])
			hs_peer_free(node, node->peers[s]);
	hs_held_free(node);
	hs_reqsched_del(node->reqs);
	hs_verifysched_del(node->verify);
	hs_rumorstore_deinit(&node->store);
	hs_seen_deinit(&node->seen);
	hs_addrbook_deinit(&node->book);
	hs_crawl_deinit(node);
	hs_scores_deinit(&node->scores);
	hs_scores_deinit(&node->net_scores);
	hs_banlist_deinit(&node->bans);
	hs_statestore_deinit(&node->state);
	hs_members_deinit(&node->members);
	hs_event_queue_free(node);
	sodium_memzero(node->secret, sizeof(node->secret));
	free(node);
}

/* ---- inputs ------------------------------------------------------------------------- */

static int add_manual(struct hs_node *node, const struct hs_netaddr *addr, bool seed, uint64_t now)
{
	if (!addr || (addr->family != HS_AF_INET && addr->family != HS_AF_INET6) || addr->port == 0)
		return HS_ERR_INVALID;
	for (size_t i = 0; i < node->nmanual; i++)
		if (hs_netaddr_equal(&node->manual[i].addr, addr))
			return HS_ERR_EXISTS;
	if (node->nmanual >= HS_MANUAL_MAX)
		return HS_ERR_FULL;
	struct manual_addr *m = &node->manual[node->nmanual++];
	memset(m, 0, sizeof(*m));
	m->addr = *addr;
	m->seed = seed;
	m->next_try_ns = now;
	node->next_dial_ns = now;
	return 0;
}

int hs_node_add_seed(struct hs_node *node, const struct hs_netaddr *addr, uint64_t now)
{
	return add_manual(node, addr, true, now);
}

int hs_node_add_peer(struct hs_node *node, const struct hs_netaddr *addr, uint64_t now)
{
	return add_manual(node, addr, false, now);
}

int hs_node_add_record(struct hs_node *node, const uint8_t *rec, size_t reclen, uint64_t now)
{
	struct hs_record r;
	struct hs_book_meta meta;
	bool has_meta;
	size_t signed_len;
	int err = hs_book_value_decode(&r, &signed_len, &meta, &has_meta, rec, reclen);
	if (err)
		return err;
	if (!hs_node_signed_by(node, &node->tag_record, r.id, rec, signed_len))
		return HS_ERR_BAD_SIG;
	if (memcmp(r.id, node->cfg.identity, HS_KEY_LEN) == 0 || r.naddrs == 0)
		return 0;
	err = hs_addrbook_load(&node->book, &r, &meta, now); /* meta is zero without history */
	if (err == HS_ERR_FULL) /* the store mirrors the book: what it refuses is deleted */
		hs_event_save(node, HS_SAVE_UNRECORD, r.id, HS_KEY_LEN, NULL, 0, NULL, 0);
	hs_connect_book_sync(node);
	return err;
}

int hs_node_add_anchor(struct hs_node *node, const uint8_t *rec, size_t reclen, uint64_t now)
{
	struct hs_record r;
	int err = hs_record_decode(&r, rec, reclen);
	if (err)
		return err;
	if (!hs_node_signed_by(node, &node->tag_record, r.id, rec, reclen))
		return HS_ERR_BAD_SIG;
	err = hs_connect_add_anchor(node, &r, now);
	hs_connect_book_sync(node);
	return err;
}

int hs_node_peer_open(struct hs_node *node, uint64_t *peer, bool inbound,
                      const struct hs_netaddr *addr, uint64_t now)
{
	if (node->shutting_down)
		return HS_ERR_STATE;
	struct peer *p;
	int err = hs_peer_new(node, &p, inbound, addr, now);
	if (err) {
		if (!inbound)
			hs_connect_on_refused(node, addr);
		return err;
	}
	if (!inbound)
		hs_connect_on_open(node, p);
	*peer = p->handle;
	flush(node, now);
	return 0;
}

int hs_node_recv(struct hs_node *node, uint64_t peer, const uint8_t *data, size_t datalen,
                 uint64_t now)
{
	struct peer *p = find(node, peer);
	if (!p)
		return HS_ERR_NOT_FOUND;
	if (p->state != PS_CLOSING)
		hs_peer_recv(node, p, data, datalen, now);
	flush(node, now);
	return 0;
}

void hs_node_peer_closed(struct hs_node *node, uint64_t peer, uint64_t now)
{
	struct peer *p = find(node, peer);
	if (!p)
		return;
	/* Active until now: neither side sent a disconnect or asked to close. */
	if (p->up && p->state == PS_ACTIVE && p->has_id)
		hs_membership_lost(node, p, now);
	hs_connect_on_closed(node, p, now);
	hs_reputation_session_end(node, p);
	hs_verifysched_remove(node->verify, p->slot, now);
	if (p->up) {
		struct hs_event ev = { .type = HS_EV_PEER_DOWN,
			               .peer = p->handle,
			               .addr = p->addr };
		memcpy(ev.id, p->id, HS_KEY_LEN);
		hs_event_push(node, &ev, NULL);
	}
	hs_peer_free(node, p);
	flush(node, now);
}

void hs_node_dial_failed(struct hs_node *node, const struct hs_netaddr *addr, uint64_t now)
{
	hs_connect_dial_failed(node, addr, now);
	flush(node, now);
}

int hs_node_publish(struct hs_node *node, uint8_t id[HS_ID_LEN], const char *topic,
                    const uint8_t *payload, size_t payloadlen, uint64_t now)
{
	int err = hs_gossip_publish(node, id, topic, payload, payloadlen, now);
	flush(node, now);
	return err;
}

void hs_node_timer(struct hs_node *node, uint64_t now)
{
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		if (node->peers[s])
			hs_peer_resume(node, node->peers[s], now);
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		if (node->peers[s])
			hs_peer_timer(node, node->peers[s], now);
	hs_connect_timer(node, now);
	hs_gossip_timer(node, now);
	hs_held_timer(node, now);
	hs_membership_timer(node, now);
	hs_reputation_sweep(node, now);
	flush(node, now);
}

void hs_node_shutdown(struct hs_node *node, uint64_t now)
{
	if (!node->shutting_down)
		hs_membership_leave(node, now); /* pushed whole, before every disconnect */
	node->shutting_down = true;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++)
		if (node->peers[s])
			hs_peer_close(node, node->peers[s], HS_REASON_SHUTDOWN,
			              "node shutting down", now);
}

int hs_node_disconnect(struct hs_node *node, uint64_t peer, uint64_t now)
{
	struct peer *p = find(node, peer);
	if (!p)
		return HS_ERR_NOT_FOUND;
	hs_peer_close(node, p, HS_REASON_OTHER, "disconnected by the operator", now);
	return 0;
}

int hs_node_send_raw(struct hs_node *node, uint64_t peer, const uint8_t *msg, size_t msglen,
                     uint64_t now)
{
	struct peer *p = find(node, peer);
	if (!p)
		return HS_ERR_NOT_FOUND;
	if (p->state != PS_ACTIVE || msglen == 0 || msglen > HS_FRAME_MAX)
		return HS_ERR_INVALID;
	if (!hs_peer_send_plain(node, p, msg, msglen))
		return HS_ERR_NOMEM;
	node->stats.msgs_raw++;
	node->stats_now_ns = now; /* nothing else changed: no flush needed */
	return 0;
}

/* ---- outputs --------------------------------------------------------------------------- */

size_t hs_node_pending(const struct hs_node *node, uint64_t peer)
{
	const struct peer *p = find(node, peer);
	return p ? hs_peer_pending(p) : 0;
}

size_t hs_node_write(struct hs_node *node, uint64_t peer, uint8_t *dest, size_t destlen,
                     uint64_t now)
{
	struct peer *p = find(node, peer);
	if (!p)
		return 0;
	size_t n = hs_peer_pending(p);
	if (n > destlen)
		n = destlen;
	if (n > 0) { /* out.data is NULL until the first output: no arithmetic on it */
		memcpy(dest, p->out.data + p->out.off, n);
		p->out.off += n;
	}
	if (p->out.off == p->out.len)
		p->out.off = p->out.len = 0;
	/* Room in the queue again: answer more of what the peer asked for. */
	if (p->getdataq.count > 0 && hs_peer_pending(p) < HS_SEND_HIGH_WATER)
		flush(node, now);
	return n;
}

uint64_t hs_node_next_deadline(const struct hs_node *node)
{
	uint64_t d = hs_gossip_deadline(node);
	uint64_t c = hs_connect_deadline(node);
	if (c < d)
		d = c;
	uint64_t h = hs_held_deadline(node);
	if (h < d)
		d = h;
	uint64_t m = hs_membership_deadline(node);
	if (m < d)
		d = m;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		if (!node->peers[s])
			continue;
		uint64_t t = hs_peer_deadline(node, node->peers[s]);
		if (t < d)
			d = t;
	}
	return d;
}

/* ---- introspection ---------------------------------------------------------------------- */

size_t hs_node_peers(const struct hs_node *node, struct hs_peer_info *out, size_t max)
{
	size_t n = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		if (!p)
			continue;
		if (n < max) {
			struct hs_peer_info *i = &out[n];
			memset(i, 0, sizeof(*i));
			i->peer = p->handle;
			if (p->has_id)
				memcpy(i->id, p->id, HS_KEY_LEN);
			i->addr = p->addr;
			i->inbound = p->kind == CONN_INBOUND;
			i->active = p->state == PS_ACTIVE;
			i->rtt_ns = p->rtt_ns;
			i->connected_ns = p->opened_ns;
			i->faults = p->faults;
			i->score = p->has_id ? hs_scores_value(&node->scores, p->id,
			                                       node->stats_now_ns)
			                     : 0.0;
			i->msgs_in = p->msgs_in;
			i->msgs_out = p->msgs_out;
			i->bytes_in = p->bytes_in;
			i->bytes_out = p->bytes_out;
			i->eager = p->eager;
			i->pushes_to_us = p->pusher;
		}
		n++;
	}
	return n;
}

void hs_node_get_stats(const struct hs_node *node, struct hs_node_stats *stats)
{
	*stats = node->stats;
	const struct hs_verifysched_stats *v = hs_verifysched_stats(node->verify);
	stats->verify_admitted = v->admitted;
	stats->verify_over_peer_share = v->over_peer_share;
	stats->verify_over_group_share = v->over_group_share;
	stats->announcements_evicted = hs_reqsched_evictions(node->reqs);
	stats->book_refused = node->book.stats.refused;
	stats->book_unsaved = node->book.stats.unsaved;
}

int hs_node_record(const struct hs_node *node, uint8_t *out, size_t outcap, size_t *outlen)
{
	if (outcap < node->rec_enclen)
		return HS_ERR_BUFFER;
	memcpy(out, node->rec_enc, node->rec_enclen);
	*outlen = node->rec_enclen;
	return 0;
}

int hs_node_get_rumor(const struct hs_node *node, const uint8_t id[HS_ID_LEN], const uint8_t **enc,
                      size_t *enclen)
{
	const struct hs_stored_rumor *r = hs_idring_find(&node->store.ring, id);
	if (!r)
		return HS_ERR_NOT_FOUND;
	*enc = r->enc;
	*enclen = r->enclen;
	return 0;
}

/* ---- invariants ------------------------------------------------------------------------- */

static bool frame_waits(const struct peer *p)
{
	size_t avail = p->in.len - p->in.off;
	if (avail < 2)
		return false;
	const uint8_t *h = p->in.data + p->in.off;
	return avail >= 2 + (size_t)(h[0] | h[1] << 8);
}

static bool peer_ok(const struct hs_node *node, const struct peer *p, unsigned s)
{
	bool ok = p->slot == s && p->handle >= 1 && p->handle <= node->next_handle;
	if (p->state == PS_HANDSHAKE)
		ok = ok && p->hs && !p->tr;
	if (p->state == PS_HELLO || p->state == PS_ACTIVE)
		ok = ok && p->tr && p->has_id && !p->hs;
	ok = ok && p->out.off <= p->out.len && p->out.len <= p->out.cap;
	ok = ok && p->in.off <= p->in.len && p->in.len - p->in.off <= HS_RECV_BACKLOG_MAX;
	/* Unless stalled (or closing), at most a partial frame waits. */
	ok = ok && (p->stalled || p->state == PS_CLOSING || !frame_waits(p));
	ok = ok && p->invq.count <= p->invq.max && p->getdataq.count <= p->getdataq.max;
	ok = ok && p->ntopics <= HS_HELLO_TOPICS_MAX;
	ok = ok && hs_reqsched_peer_inflight(node->reqs, s) <= HS_REQ_PEER_INFLIGHT_MAX;
	return ok;
}

bool hs_node_check(const struct hs_node *node)
{
	uint64_t used_words[HS_PEER_WORDS] = { 0 };
	size_t live = 0;
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		const struct peer *p = node->peers[s];
		if (!p) {
			if (hs_reqsched_peer_count(node->reqs, s) != 0 ||
			    hs_verifysched_has(node->verify, s))
				return false; /* a freed slot keeps announcements or a budget */
			continue;
		}
		if (!peer_ok(node, p, s))
			return false;
		live += p->state != PS_CLOSING;
		used_words[s / 64] |= (uint64_t)1 << (s % 64);
		for (unsigned t = s + 1; t < HS_PEERS_MAX; t++)
			if (node->peers[t] && node->peers[t]->handle == p->handle)
				return false;
	}
	size_t bytes = 0;
	for (size_t i = 0; i < hs_rumorstore_count(&node->store); i++) {
		const struct hs_stored_rumor *r = hs_rumorstore_newest(&node->store, i);
		bytes += r->enclen;
		for (unsigned w = 0; w < HS_PEER_WORDS; w++)
			if (r->knows[w] & ~used_words[w])
				return false; /* a bit for a slot nobody holds */
		if ((size_t)r->topic_off + r->topic_len > r->enclen)
			return false;
	}
	return live <= node->cfg.peers_max && bytes == node->store.bytes &&
	       bytes <= node->store.bytes_max &&
	       hs_rumorstore_count(&node->store) <= node->cfg.store_max &&
	       hs_seen_count(&node->seen) <= node->cfg.seen_max &&
	       hs_addrbook_count(&node->book) <= node->cfg.addrbook_max &&
	       hs_addrbook_check(&node->book) && node->nanchors <= HS_ANCHORS_MAX &&
	       node->ev_count <= HS_EVENTS_MAX && node->ndials <= HS_DIALS_MAX &&
	       node->nmanual <= HS_MANUAL_MAX && node->scores.count <= node->cfg.scores_max &&
	       node->bans.count <= node->cfg.bans_max &&
	       node->net_scores.count <= node->cfg.scores_max && node->events_dropped == 0 &&
	       hs_reqsched_check(node->reqs) && hs_verifysched_check(node->verify) &&
	       hs_held_check(node) && hs_members_check(&node->members);
}

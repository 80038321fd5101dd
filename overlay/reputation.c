/*
 * The node's use of reputation/: scores for what peers do, bans for peers that fall below the
 * ban threshold or that the operator names.
 *
 * Faults count against the peer's identity once the handshake has proven it; a peer whose
 * score reaches the ban threshold is banned by identity *and* by IP address for bantime
 * (Rationale: a banned identity costs an attacker nothing to replace, its address does) and
 * disconnected. Penalties are saved at once; rewards (first delivery of a valid rumor) are
 * saved when the session ends.
 */
#include <stdlib.h>
#include <string.h>

#include "node_impl.h"

static void save_score(struct hs_node *node, const uint8_t id[HS_KEY_LEN])
{
	const struct hs_score_entry *e = hs_scores_find(&node->scores, id);
	if (!e)
		return;
	uint8_t enc[HS_SCORE_ENTRY_ENCODED_LEN];
	hs_score_entry_encode(e, enc);
	hs_event_save(node, HS_SAVE_SCORE, id, HS_KEY_LEN, NULL, 0, enc, sizeof(enc));
}

static void save_ban(struct hs_node *node, const struct hs_ban *b, bool unban)
{
	uint8_t enc[HS_BAN_ENCODED_LEN];
	hs_ban_encode(b, enc);
	hs_event_save(node, unban ? HS_SAVE_UNBAN : HS_SAVE_BAN, &b->kind, 1, b->key, 32,
	              unban ? NULL : enc, unban ? 0 : sizeof(enc));
}

static bool peer_matches(const struct peer *p, uint8_t kind, const uint8_t key[32])
{
	if (kind == HS_BAN_ID)
		return p->has_id && memcmp(p->id, key, 32) == 0;
	uint8_t ak[32];
	hs_ban_addr_key(&p->addr, ak);
	return memcmp(ak, key, 32) == 0;
}

static int ban(struct hs_node *node, uint8_t kind, const uint8_t key[32], uint64_t until_ns,
               uint8_t reason, uint64_t now)
{
	int err = hs_banlist_add(&node->bans, kind, key, until_ns, reason, now);
	if (err)
		return err;
	struct hs_ban b = {
		.kind = kind, .created_ns = now, .until_ns = until_ns, .reason = reason
	};
	memcpy(b.key, key, 32);
	save_ban(node, &b, false);
	for (unsigned s = 0; s < HS_PEERS_MAX; s++) {
		struct peer *p = node->peers[s];
		if (p && peer_matches(p, kind, key))
			hs_peer_close(node, p,
			              reason == HS_BAN_MISBEHAVING ? HS_REASON_MISBEHAVING
			                                           : HS_REASON_BANNED,
			              "banned", now);
	}
	return 0;
}

void hs_reputation_event(struct hs_node *node, struct peer *p, enum hs_score_kind kind,
                         uint64_t now)
{
	if (!p->has_id)
		return;
	double v;
	if (hs_scores_add(&node->scores, p->id, kind, now, &v) != 0)
		return;
	if (node->cfg.score.weight[kind] >= 0)
		return;             /* rewards are saved when the session ends */
	node->pushers_dirty = true; /* the peer's standing may have fallen */
	save_score(node, p->id);
	if (hs_scores_standing(&node->scores, v) != HS_STANDING_BAN)
		return;
	uint64_t until = now + node->cfg.bantime_ns;
	uint8_t ak[32];
	hs_ban_addr_key(&p->addr, ak);
	hs_node_log(node, HS_LOG_INFO, "banning peer %llu (score %.1f)",
	            (unsigned long long)p->handle, v);
	if (ban(node, HS_BAN_ID, p->id, until, HS_BAN_MISBEHAVING, now) != 0 ||
	    ban(node, HS_BAN_ADDR, ak, until, HS_BAN_MISBEHAVING, now) != 0)
		hs_peer_close(node, p, HS_REASON_MISBEHAVING, "score below the ban threshold", now);
}

enum hs_standing hs_reputation_standing(const struct hs_node *node, const struct peer *p,
                                        uint64_t now)
{
	if (!p->has_id)
		return HS_STANDING_GOOD;
	return hs_scores_standing(&node->scores, hs_scores_value(&node->scores, p->id, now));
}

void hs_reputation_sweep(struct hs_node *node, uint64_t now)
{
	for (size_t i = 0; i < node->bans.count;) {
		struct hs_ban b = node->bans.bans[i];
		if (b.until_ns > now) {
			i++;
			continue;
		}
		hs_banlist_remove(&node->bans, b.kind, b.key);
		save_ban(node, &b, true);
	}
}

void hs_reputation_session_end(struct hs_node *node, const struct peer *p)
{
	if (p->has_id)
		save_score(node, p->id);
}

/* ---- the public API ------------------------------------------------------------------- */

int hs_node_ban(struct hs_node *node, uint8_t kind, const uint8_t key[32], uint64_t until_ns,
                uint64_t now)
{
	if (until_ns <= now)
		return HS_ERR_INVALID;
	return ban(node, kind, key, until_ns, HS_BAN_OPERATOR, now);
}

int hs_node_unban(struct hs_node *node, uint8_t kind, const uint8_t key[32], uint64_t now)
{
	(void)now;
	struct hs_ban b = { .kind = kind };
	memcpy(b.key, key, 32);
	if (!hs_banlist_remove(&node->bans, kind, key))
		return HS_ERR_NOT_FOUND;
	save_ban(node, &b, true);
	if (kind == HS_BAN_ID)
		hs_scores_forget(&node->scores, key); /* a fresh start, as the operator asked */
	return 0;
}

void hs_node_clear_bans(struct hs_node *node, uint64_t now)
{
	while (node->bans.count > 0) {
		struct hs_ban b = node->bans.bans[0];
		if (hs_node_unban(node, b.kind, b.key, now) != 0)
			break;
	}
}

size_t hs_node_bans(const struct hs_node *node, struct hs_ban *out, size_t max, uint64_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < node->bans.count; i++) {
		if (node->bans.bans[i].until_ns <= now)
			continue;
		if (n < max)
			out[n] = node->bans.bans[i];
		n++;
	}
	return n;
}

int hs_node_load_ban(struct hs_node *node, const uint8_t *enc, size_t enclen)
{
	struct hs_ban b;
	int err = hs_ban_decode(&b, enc, enclen);
	if (err)
		return err;
	return hs_banlist_add(&node->bans, b.kind, b.key, b.until_ns, b.reason, b.created_ns);
}

int hs_node_load_score(struct hs_node *node, const uint8_t *enc, size_t enclen)
{
	return hs_scores_load(&node->scores, enc, enclen);
}

double hs_node_score(const struct hs_node *node, const uint8_t id[HS_KEY_LEN], uint64_t now,
                     const struct hs_score_entry **entry)
{
	if (entry)
		*entry = hs_scores_find(&node->scores, id);
	return hs_scores_value(&node->scores, id, now);
}

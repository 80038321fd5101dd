/*
 * The node's one penalty policy: scores for what peers do, bans for identities and addresses
 * that fall to the ban threshold or that the operator names.
 *
 * Every provable fault is scored three ways: against the peer's identity once the handshake
 * has proven it (or, before that, against its IP address: the only name it has), and always
 * against its network group. An identity at the ban threshold is banned by identity *and* by
 * IP address for bantime (Rationale: a banned identity costs an attacker nothing to replace,
 * its address does) and disconnected; so is an address whose pre-handshake faults reach it.
 * When HS_GROUP_BANS_ESCALATE addresses of one network group are banned at once, the group is
 * banned (Rationale: a /16 or /32 full of flooders is one operator). A group's score (its
 * members' faults, decaying) ranks inbound eviction and gates admission. Penalties are saved
 * at once; rewards (first delivery of a valid rumor) are saved when the session ends; the
 * address and group scores live in memory only (they are short-lived by design).
 *
 * Keys of net_scores: hs_ban_addr_key or hs_ban_group_key with byte 31 set to the ban kind
 * (byte 31 of either is otherwise zero), so an address and its group never share an entry.
 */
#include <stdio.h>
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

/* why: the reason, for the driver's log (the event's text). */
static void save_ban(struct hs_node *node, const struct hs_ban *b, bool unban, const char *why)
{
	uint8_t enc[HS_BAN_ENCODED_LEN];
	hs_ban_encode(b, enc);
	hs_event_save_why(node, unban ? HS_SAVE_UNBAN : HS_SAVE_BAN, &b->kind, 1, b->key, 32,
	                  unban ? NULL : enc, unban ? 0 : sizeof(enc), why);
}

static bool peer_matches(const struct peer *p, uint8_t kind, const uint8_t key[32])
{
	if (kind == HS_BAN_ID)
		return p->has_id && memcmp(p->id, key, 32) == 0;
	uint8_t k[32];
	if (kind == HS_BAN_GROUP)
		hs_ban_group_key(&p->addr, k);
	else
		hs_ban_addr_key(&p->addr, k);
	return memcmp(k, key, 32) == 0;
}

/* Frees a place in a full ban table by its policy (hs_banlist_make_room), saving what it
 * removed and the group ban it made. */
static bool make_room(struct hs_node *node, uint64_t now)
{
	if (node->bans.count < node->bans.bans_max)
		return true;
	struct hs_ban_changes ch = { .removed_max = node->bans.count };
	ch.removed = malloc(ch.removed_max * sizeof(*ch.removed));
	if (!ch.removed)
		return false;
	bool ok = hs_banlist_make_room(&node->bans, now, &ch);
	for (size_t i = 0; i < ch.nremoved; i++)
		save_ban(node, &ch.removed[i], true,
		         ch.has_added
		                 ? "merged into a ban of its network group (the ban table is full)"
		                 : "the ban table is full: expired, or the least time left");
	if (ch.has_added)
		save_ban(node, &ch.added, false,
		         "the ban table is full: its group's address bans merged into one");
	node->stats.bans_compacted += ch.has_added;
	/* Merged address bans are still in force, under the group ban: not evicted. */
	node->stats.bans_evicted += ch.nremoved - ch.nmerged;
	free(ch.removed);
	return ok;
}

static int ban(struct hs_node *node, uint8_t kind, const uint8_t key[32], uint64_t until_ns,
               uint8_t reason, const char *why, uint64_t now)
{
	if (!make_room(node, now)) {
		hs_node_log(node, HS_LOG_WARN, "ban table full of operator bans: cannot ban");
		return HS_ERR_FULL;
	}
	int err = hs_banlist_add(&node->bans, kind, key, until_ns, reason, now);
	if (err)
		return err;
	struct hs_ban b = {
		.kind = kind, .created_ns = now, .until_ns = until_ns, .reason = reason
	};
	memcpy(b.key, key, 32);
	save_ban(node, &b, false, why);
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

static void net_key(uint8_t kind, const struct hs_netaddr *a, uint8_t key[32])
{
	if (kind == HS_BAN_ADDR)
		hs_ban_addr_key(a, key);
	else
		hs_ban_group_key(a, key);
	key[31] = kind;
}

void hs_reputation_event(struct hs_node *node, struct peer *p, enum hs_score_kind kind,
                         uint64_t now)
{
	if (!p->has_id || HS_SCORE_IS_FAULT(kind))
		return;
	if (hs_scores_add(&node->scores, p->id, kind, now, NULL) != 0)
		return; /* rewards are saved when the session ends */
}

/* Bans addr's group once HS_GROUP_BANS_ESCALATE of its addresses are banned. */
static void escalate(struct hs_node *node, const struct hs_netaddr *addr, uint64_t until,
                     uint64_t now)
{
	if (hs_banlist_count_group(&node->bans, addr, now) < HS_GROUP_BANS_ESCALATE)
		return;
	uint8_t gk[32];
	hs_ban_group_key(addr, gk);
	char why[64];
	snprintf(why, sizeof(why), "%u of its addresses are banned",
	         (unsigned)HS_GROUP_BANS_ESCALATE);
	if (ban(node, HS_BAN_GROUP, gk, until, HS_BAN_MISBEHAVING, why, now) == 0)
		node->stats.group_bans++;
}

void hs_reputation_fault(struct hs_node *node, struct peer *p, enum hs_score_kind kind,
                         uint64_t now)
{
	if (!HS_SCORE_IS_FAULT(kind))
		return;
	uint8_t gk[32], ak[32];
	net_key(HS_BAN_GROUP, &p->addr, gk);
	if (hs_scores_add(&node->net_scores, gk, kind, now, NULL) != 0)
		hs_node_log(node, HS_LOG_WARN, "score table: cannot score a network group");
	double v;
	int err;
	if (p->has_id) {
		err = hs_scores_add(&node->scores, p->id, kind, now, &v);
		if (!err)
			save_score(node, p->id);
	} else {
		net_key(HS_BAN_ADDR, &p->addr, ak);
		err = hs_scores_add(&node->net_scores, ak, kind, now, &v);
	}
	node->pushers_dirty = true; /* the peer's standing may have fallen */
	if (err) {
		/* Cannot remember the score: the session at least ends. */
		hs_peer_close(node, p, HS_REASON_MISBEHAVING, "misbehaving (score not kept)", now);
		return;
	}
	if (hs_scores_standing(&node->scores, v) != HS_STANDING_BAN)
		return;
	uint64_t until = now + node->cfg.bantime_ns;
	hs_ban_addr_key(&p->addr, ak);
	char why[96];
	snprintf(why, sizeof(why), "misbehaving: score %.1f after a %s fault", v,
	         hs_score_kind_name((uint8_t)kind));
	hs_node_log(node, HS_LOG_DEBUG, "banning peer %llu (score %.1f)",
	            (unsigned long long)p->handle, v);
	bool ok = ban(node, HS_BAN_ADDR, ak, until, HS_BAN_MISBEHAVING, why, now) == 0;
	if (p->has_id)
		ok &= ban(node, HS_BAN_ID, p->id, until, HS_BAN_MISBEHAVING, why, now) == 0;
	escalate(node, &p->addr, until, now);
	if (!ok)
		hs_peer_close(node, p, HS_REASON_MISBEHAVING, "score below the ban threshold", now);
}

void hs_reputation_origin_fault(struct hs_node *node, const uint8_t origin[HS_KEY_LEN],
                                enum hs_score_kind kind, uint64_t now)
{
	if (!HS_SCORE_IS_FAULT(kind))
		return;
	double v;
	if (hs_scores_add(&node->scores, origin, kind, now, &v) != 0) {
		hs_node_log(node, HS_LOG_WARN, "score table: cannot score a rumor's origin");
		return;
	}
	save_score(node, origin);
	node->pushers_dirty = true; /* the origin may be a peer whose standing fell */
	if (hs_scores_standing(&node->scores, v) != HS_STANDING_BAN ||
	    hs_banlist_has_id(&node->bans, origin, now))
		return;
	char why[96];
	snprintf(why, sizeof(why), "misbehaving origin: score %.1f after a %s fault", v,
	         hs_score_kind_name((uint8_t)kind));
	if (ban(node, HS_BAN_ID, origin, now + node->cfg.bantime_ns, HS_BAN_MISBEHAVING, why,
	        now) != 0)
		hs_node_log(node, HS_LOG_WARN, "cannot ban a misbehaving origin");
}

enum hs_standing hs_reputation_standing(const struct hs_node *node, const struct peer *p,
                                        uint64_t now)
{
	if (!p->has_id)
		return HS_STANDING_GOOD;
	return hs_scores_standing(&node->scores, hs_scores_value(&node->scores, p->id, now));
}

bool hs_reputation_admit(const struct hs_node *node, const struct hs_netaddr *addr, uint64_t now)
{
	if (hs_banlist_has_addr(&node->bans, addr, now))
		return false;
	uint8_t ak[32];
	net_key(HS_BAN_ADDR, addr, ak);
	double v = hs_scores_value(&node->net_scores, ak, now);
	return hs_scores_standing(&node->net_scores, v) < HS_STANDING_GRAYLIST;
}

double hs_reputation_group_score(const struct hs_node *node, const struct hs_netaddr *addr,
                                 uint64_t now)
{
	uint8_t gk[32];
	net_key(HS_BAN_GROUP, addr, gk);
	return hs_scores_value(&node->net_scores, gk, now);
}

bool hs_reputation_origin_banned(const struct hs_node *node, const uint8_t origin[HS_KEY_LEN],
                                 uint64_t now)
{
	return hs_banlist_has_id(&node->bans, origin, now);
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
		save_ban(node, &b, true, "expired");
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
	return ban(node, kind, key, until_ns, HS_BAN_OPERATOR, "by the operator", now);
}

int hs_node_unban(struct hs_node *node, uint8_t kind, const uint8_t key[32], uint64_t now)
{
	(void)now;
	struct hs_ban b = { .kind = kind };
	memcpy(b.key, key, 32);
	if (!hs_banlist_remove(&node->bans, kind, key))
		return HS_ERR_NOT_FOUND;
	save_ban(node, &b, true, "by the operator");
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
	if (!make_room(node, b.created_ns))
		return HS_ERR_FULL;
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

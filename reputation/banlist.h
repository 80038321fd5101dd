/*
 * reputation/: bans — identities, IP addresses and network groups refused until a time.
 *
 * A ban names a node identity (its 32-byte key), an IP address (any port; an IPv6 ban covers
 * the address's /64, Rationale: one IPv6 host is routinely given a whole /64, so a /128 ban
 * costs it nothing), or a network group (IPv4 /16, IPv6 /32). The node refuses a banned
 * address or group before the handshake and a banned identity right after it. Bans come from
 * the score table (a peer whose score fell below the ban threshold; repeated bans in one group
 * escalate to the group) or from the operator (setban). Pure data with explicit time; bounded
 * by bans_max, and full is an error for hs_banlist_add: the caller first asks
 * hs_banlist_make_room, whose policy an attacker cannot use to flush a ban it wants gone —
 * operator bans are never removed; automatic address bans are compacted into group bans
 * before any ban is evicted; only then does the automatic ban with the least time left give
 * way. Persisted by the driver (sync writes: a ban must survive a crash).
 */
#ifndef HEARSAY_BANLIST_H
#define HEARSAY_BANLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/netaddr.h"
#include "crypto/idmap.h"
#include "hearsay/error.h"

enum hs_ban_kind {
	HS_BAN_ID = 1,    /* key = the 32-byte identity */
	HS_BAN_ADDR = 2,  /* key = family byte || address bytes (IPv6: the /64), zero padded */
	HS_BAN_GROUP = 3, /* key = the 8 network-group bytes (hs_netaddr_group), zero padded */
};

enum hs_ban_reason {
	HS_BAN_OPERATOR = 1,    /* setban */
	HS_BAN_MISBEHAVING = 2, /* score fell below the ban threshold */
};

struct hs_ban {
	uint8_t kind;
	uint8_t key[32];
	uint64_t created_ns;
	uint64_t until_ns;
	uint8_t reason;
};

struct hs_banlist {
	struct hs_ban *bans;
	size_t count, cap, bans_max;
	/* key -> index in bans, one map per kind. Rationale: a banned origin is looked up for
	 * every new rumor and entry before its signature, and an address for every inbound
	 * connection; a full table must not make either a scan. Secret-keyed: ids are peer-chosen.
	 */
	struct hs_idmap index[3];
	uint8_t secret[16];
};

void hs_banlist_init(struct hs_banlist *bl, const uint8_t secret[16], size_t bans_max);
void hs_banlist_deinit(struct hs_banlist *bl);
/* The key of an address ban (port ignored; IPv6: the /64). */
void hs_ban_addr_key(const struct hs_netaddr *a, uint8_t key[32]);
/* The key of a group ban of a's network group. */
void hs_ban_group_key(const struct hs_netaddr *a, uint8_t key[32]);
/* Adds or extends a ban. HS_ERR_FULL when bans_max are held (see hs_banlist_make_room);
 * HS_ERR_NOMEM; HS_ERR_INVALID for an unknown kind. */
HS_MUST_USE int hs_banlist_add(struct hs_banlist *bl, uint8_t kind, const uint8_t key[32],
                               uint64_t until_ns, uint8_t reason, uint64_t now);
/* What hs_banlist_make_room changed, for the caller to persist. */
struct hs_ban_changes {
	struct hs_ban *removed; /* caller's array of removed_max entries */
	size_t removed_max, nremoved;
	/* Of the removed, the address bans merged into the group ban (`added`): their addresses
	 * stay banned. The rest (nremoved - nmerged) were expired or gave way. */
	size_t nmerged;
	struct hs_ban added; /* a group ban that replaced address bans, when has_added */
	bool has_added;
};
/* Makes one place free if the table is full: expired bans first; then the network group with
 * the most automatic address bans (two or more) has them replaced by one group ban lasting
 * as long as the longest of them; then the automatic ban with the least time left. Never
 * removes an operator ban. Rationale (Bitcoin's banman keeps every ban; we must bound ours):
 * a flood of banned Sybils from few groups collapses into a few group bans, and what still
 * gives way is the automatic ban closest to ending anyway. False if no place can be made
 * (the table is all operator bans). Stops early if ch->removed fills. */
bool hs_banlist_make_room(struct hs_banlist *bl, uint64_t now, struct hs_ban_changes *ch);
/* True if a ban was removed. */
bool hs_banlist_remove(struct hs_banlist *bl, uint8_t kind, const uint8_t key[32]);
bool hs_banlist_has_id(const struct hs_banlist *bl, const uint8_t id[32], uint64_t now);
/* True if a's address (its /64 for IPv6) or its network group is banned. */
bool hs_banlist_has_addr(const struct hs_banlist *bl, const struct hs_netaddr *a, uint64_t now);
/* Live address bans for misbehaviour whose address is in a's network group. */
size_t hs_banlist_count_group(const struct hs_banlist *bl, const struct hs_netaddr *a,
                              uint64_t now);
/* Drops expired bans; returns how many. */
size_t hs_banlist_expire(struct hs_banlist *bl, uint64_t now);
void hs_banlist_clear(struct hs_banlist *bl);

/* Persistence: kind u8 || key[32] || created u64 || until u64 || reason u8 (LE). */
#define HS_BAN_ENCODED_LEN (1 + 32 + 8 + 8 + 1)
void hs_ban_encode(const struct hs_ban *b, uint8_t out[HS_BAN_ENCODED_LEN]);
HS_MUST_USE int hs_ban_decode(struct hs_ban *b, const uint8_t *data, size_t datalen);

#endif

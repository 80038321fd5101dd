/*
 * overlay/: the messages peers exchange after the handshake.
 *
 * A frame is the plaintext of one Noise transport message: type u8 || body, at most
 * HS_FRAME_MAX bytes. docs/PROTOCOL.md §6 gives every body byte by byte:
 *
 *   hello       version u16 || network (name, 1..HS_NETWORK_MAX) || record (overlay/record.h)
 *               || your_addr (family u8 0 = unknown and nothing follows, else a netaddr)
 *               || flags u8 || ntopics varint (0..HS_HELLO_TOPICS_MAX) || ntopics × topic name
 *   ping, pong  nonce u64
 *   inv, getdata, notfound
 *               count varint (1..HS_INV_MAX) || count × (kind u8 (1 rumor, 2 state) || id[32])
 *   rumor       one rumor (overlay/rumor.h)
 *   state       count varint (1..HS_STATE_BATCH_MAX) || count × state entry (overlay/entry.h)
 *   disconnect  reason u8 (any value) || text (bytes, 0..HS_REASON_MAX, each 0x20..0x7e)
 *   push        mode u8 (0 prune, 1 graft, 2 decline; any other value HS_ERR_BAD_VALUE)
 *
 * Decoding checks every limit and canonical rule, returning the HS_ERR_* that says why:
 * a frame over HS_FRAME_MAX or a count/length over its limit HS_ERR_TOO_LARGE; an unknown
 * frame type or inventory item kind HS_ERR_UNKNOWN_TYPE; hello topics out of order or
 * repeated HS_ERR_NONCANONICAL; unknown hello flag bits, topics listed with
 * HS_HELLO_ALL_TOPICS, a zero count, a bad name or text byte, an unknown push mode
 * HS_ERR_BAD_VALUE; bytes after
 * the body HS_ERR_TRAILING. Encoding checks the same rules (HS_ERR_INVALID), including that
 * the frame fits HS_FRAME_MAX: a state frame of HS_STATE_BATCH_MAX maximal entries does not,
 * so the sender batches by size.
 *
 * A decoded message borrows from the frame buffer it was decoded from (names, payloads,
 * item lists, encodings); copy what must outlive that buffer. The decoder does not verify
 * signatures: it exposes each signed object's encoding (hello record, rumor, state entries)
 * so the caller can hash and verify exactly the bytes received.
 *
 * Attacker model: a peer may send any bytes as a frame. hs_msg_decode never reads outside
 * the frame, never allocates, and its work is linear in the frame length.
 */
#ifndef HEARSAY_MSG_H
#define HEARSAY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/netaddr.h"
#include "hearsay/error.h"
#include "overlay/entry.h"
#include "overlay/record.h"
#include "overlay/rumor.h"

enum hs_msg_type {
	HS_MSG_HELLO = 1,
	HS_MSG_PING = 2,
	HS_MSG_PONG = 3,
	HS_MSG_INV = 4,
	HS_MSG_GETDATA = 5,
	HS_MSG_NOTFOUND = 6,
	HS_MSG_RUMOR = 7,
	HS_MSG_STATE = 8,
	HS_MSG_DISCONNECT = 9,
	HS_MSG_GETADDR = 10,
	HS_MSG_ADDR = 11,
	HS_MSG_PULL = 12,
	HS_MSG_SYNC = 13,
	HS_MSG_PUSH = 14,
	HS_MSG_EQUIVOCATION = 15,
};

/* Kinds of inventory items. */
enum hs_inv_kind {
	HS_INV_RUMOR = 1,
	HS_INV_STATE = 2,
};

/* Hello flags. */
enum hs_hello_flags {
	HS_HELLO_ALL_TOPICS = 1u << 0, /* relay and keep every topic; the topic list is empty */
};

/* Why a session ends. Unknown codes decode (they are informational) and read as "other". */
enum hs_reason {
	HS_REASON_OTHER = 0,
	HS_REASON_PROTOCOL = 1,    /* a protocol violation (malformed or forbidden message) */
	HS_REASON_NETWORK = 2,     /* another network */
	HS_REASON_VERSION = 3,     /* unsupported protocol version */
	HS_REASON_DUPLICATE = 4,   /* already connected to this identity */
	HS_REASON_FULL = 5,        /* no free connection slot */
	HS_REASON_BANNED = 6,      /* the peer is banned */
	HS_REASON_SHUTDOWN = 7,    /* the node is stopping */
	HS_REASON_TIMEOUT = 8,     /* idle or handshake timeout */
	HS_REASON_MISBEHAVING = 9, /* score fell below the ban threshold */
	HS_REASON_EVICTED = 10,    /* evicted to make room for another peer */
	HS_REASON_SELF = 11,       /* connected to ourselves */
};

/* The modes of a push frame: how the sender wants new rumors from the receiver, or (decline)
 * what it will do for the receiver. docs/PROTOCOL.md §9.3 gives the policy. */
enum hs_push_mode {
	HS_PUSH_PRUNE = 0,   /* stop pushing new rumors to me whole: announce them by id */
	HS_PUSH_GRAFT = 1,   /* push new rumors to me whole */
	HS_PUSH_DECLINE = 2, /* I will not push to you (the answer to a graft I cannot take) */
};

struct hs_name {
	const uint8_t *p;
	size_t len;
};

struct hs_msg_hello {
	uint16_t version;
	struct hs_name network;
	struct hs_record record;   /* the sender's signed node record */
	const uint8_t *record_enc; /* its encoding inside the frame, for the signature check */
	size_t record_enclen;
	uint64_t time_ms;            /* the sender's wall clock when it sent the hello */
	struct hs_netaddr your_addr; /* where the sender sees the receiver; family 0 (and every
	                              * other field zero): the sender does not know */
	uint8_t flags;               /* hs_hello_flags */
	size_t ntopics;              /* strictly ascending (bytewise, shorter first on a tie) */
	struct hs_name topics[HS_HELLO_TOPICS_MAX];
};

struct hs_msg_ping {
	uint64_t nonce;
};

/* inv, getdata and notfound: count items of kind u8 || id[32]; kinds already validated. */
struct hs_msg_inv {
	size_t count;         /* 1..HS_INV_MAX */
	const uint8_t *items; /* count * HS_INV_ITEM_LEN bytes */
};
#define HS_INV_ITEM_LEN 33

struct hs_msg_rumor {
	struct hs_rumor rumor;
	const uint8_t *enc; /* the rumor's encoding inside the frame (its id is BLAKE2b of this) */
	size_t enclen;
};

struct hs_msg_state {
	size_t count; /* 1..HS_STATE_BATCH_MAX */
	struct hs_entry entries[HS_STATE_BATCH_MAX];
	const uint8_t *enc[HS_STATE_BATCH_MAX]; /* each entry's encoding inside the frame */
	size_t enclen[HS_STATE_BATCH_MAX];
};

struct hs_msg_disconnect {
	uint8_t reason;      /* hs_reason */
	struct hs_name text; /* 0..HS_REASON_MAX bytes of printable ASCII (0x20..0x7e) */
};

/* addr: 1..HS_ADDR_MAX signed node records, in answer to a getaddr. */
struct hs_msg_addr {
	size_t count;
	struct hs_record records[HS_ADDR_MAX];
};

/* pull: "here is what I hold since since_ms; send me what I lack". Each id is
 * SipHash-2-4(salt, rumor id) as u64 LE, strictly ascending. */
struct hs_msg_pull {
	uint8_t salt[16];
	uint64_t since_ms;
	size_t count;       /* 0..HS_PULL_IDS_MAX */
	const uint8_t *ids; /* count * 8 bytes */
};

/* sync: the sender's state digest — per origin the highest (generation, version) it holds,
 * origins strictly ascending. The receiver sends the entries the sender lacks. */
struct hs_msg_sync {
	size_t count; /* 0..HS_SYNC_ORIGINS_MAX */
	const uint8_t
	        *items; /* count * HS_SYNC_ITEM_LEN: origin[32] || generation u64 || version u64 */
};
#define HS_SYNC_ITEM_LEN 48

struct hs_msg_push {
	uint8_t mode; /* hs_push_mode */
};

/* equivocation: a proof that an origin signed two different entries for one (key, generation,
 * version). Decoded only when the two agree on origin, key, generation and version (else
 * HS_ERR_BAD_VALUE) and their encodings differ and are in ascending bytewise order, a shorter
 * prefix first (else HS_ERR_NONCANONICAL). Signatures are not checked by the decoder. */
struct hs_msg_equivocation {
	struct hs_entry a, b;
	const uint8_t *enc_a, *enc_b; /* each entry's encoding inside the frame */
	size_t len_a, len_b;
};

struct hs_msg {
	uint8_t type; /* hs_msg_type */
	union {
		struct hs_msg_hello hello;
		struct hs_msg_ping ping; /* ping and pong */
		struct hs_msg_inv inv;   /* inv, getdata, notfound */
		struct hs_msg_rumor rumor;
		struct hs_msg_state state;
		struct hs_msg_disconnect disconnect;
		struct hs_msg_addr addr;
		struct hs_msg_pull pull;
		struct hs_msg_sync sync;
		struct hs_msg_push push;
		struct hs_msg_equivocation equivocation;
	} u;
};

/* Decodes one frame (type byte + body). On error the body is zeroed and m->type keeps the
 * frame's type byte (0 for an empty frame), for logging. */
HS_MUST_USE int hs_msg_decode(struct hs_msg *m, const uint8_t *frame, size_t framelen);
/* Encodes m (for hello, rumor and state, from the decoded fields; record_enc, enc and enclen
 * are ignored). HS_ERR_INVALID if m breaks a rule or would exceed HS_FRAME_MAX; HS_ERR_BUFFER
 * if it does not fit outcap (< HS_FRAME_MAX); *outlen set only on success. */
HS_MUST_USE int hs_msg_encode(const struct hs_msg *m, uint8_t *out, size_t outcap, size_t *outlen);

/* Item i (< inv->count; a larger i is the caller's bug and aborts) of an inv-like list. */
void hs_inv_item(const struct hs_msg_inv *inv, size_t i, uint8_t *kind, const uint8_t **id);

/* "hello", "ping", ...; "unknown" for another type. */
/* Short id i of a pull digest; whether sid is in it (binary search: the list is sorted). */
uint64_t hs_pull_id(const struct hs_msg_pull *pull, size_t i);
bool hs_pull_has(const struct hs_msg_pull *pull, uint64_t sid);

/* Item i of a sync digest; the item for origin (binary search), false if absent. */
void hs_sync_item(const struct hs_msg_sync *sync, size_t i, const uint8_t **origin,
                  uint64_t *generation, uint64_t *version);
bool hs_sync_find(const struct hs_msg_sync *sync, const uint8_t origin[HS_KEY_LEN],
                  uint64_t *generation, uint64_t *version);

const char *hs_msg_type_name(uint8_t type);
/* "other", "protocol", ...; an unknown code reads as "other". */
const char *hs_reason_name(uint8_t reason);

#endif

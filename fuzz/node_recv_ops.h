/*
 * The input format of fuzz_node_recv (fuzz/fuzz_node_recv.c), shared with its seed generator
 * (fuzz/gen_node_recv_corpus.c).
 *
 * An input is a program: byte 0 configures the node (enum nr_config), then each operation is
 * an opcode byte (enum nr_op, taken mod NR_OPS) and its operands. Operands past the end of the
 * input read as zero, so every input is a program. Operand notation below: P a peer byte,
 * the (P % n)-th open session (the operation is skipped when none is open); A an address
 * byte, one of 8 fixed addresses (0-1 share an IPv4 /16, 5-6 an IPv6 /32); W a who byte, one
 * of 6 remote identities (4 holds the node's own keys, 5 proves itself on network "other");
 * L8/L16 a length (u8 / u16 little-endian) followed by that many input bytes.
 *
 *    OPEN        F A    open a session: F bit 0 inbound, bits 1-2 auto (0 nothing yet, 1 run
 *                       the handshake, 2 and send a valid hello, 3 and drain the node's
 *                       replies), F >> 3 who.
 *    RAW         P L8   raw bytes to the node, bypassing the remote (before the remote's
 *                       transport is up this taints the session: strict checks of what the
 *                       node writes to it stop).
 *    FRAME       P L16  a plaintext frame, encrypted by the remote (P bit 7: in two pieces).
 *    STRUCT      P T R fields   a well-formed frame of type T % 16, encoded with hs_msg_encode
 *                       and encrypted by the remote; types 0, 14 and 15 are unassigned (L8 body).
 *                       Sent nr_reps(R) times, varied each time (a rumor's time moves 1 ms, a
 *                       ping nonce by 1, fresh inventory ids are renewed). P bit 7 splits each
 *                       frame in two recv calls, P bit 6 batches them into few recv calls.
 *                       Fields:
 *      hello     V G    V bit 0 version 2, bit 1 network "other", bits 2-3 record id (the
 *                       remote's own, another remote's, the node's, own), bit 4 bad record
 *                       signature, bit 5 your_addr known, bit 6 its clock an hour ahead; G bit 0
 * all topics, else bits 1-4 choose from {a, blocks, other, tx}. ping      u64 nonce.   pong: M, bit
 * 0 echo the last ping's nonce, else u64 nonce. inv, getdata, notfound   K u16   u16 % 1000 + 1
 * items from source K & 3 (enum nr_inv_source), of kind state if K & NR_INV_STATE. rumor     M ...
 * M & 3 (enum nr_rumor_mode). NEW and HOLD read W (% 8: a remote, 6 the node, 7 a fresh key), topic
 * (% 5 of tx, blocks, other, a, tx2), time (a signed byte of M's unit, or u64 for NR_TIME_RAW), u16
 * payload length
 *                       (% 60001), H, H head bytes (the rest a pattern); M bit 2 bad signature.
 *                       RESEND reads an index (newest first) into the rumors the remote holds
 *                       (ones it built or received). ANSWER sends those the node's latest
 *                       getdata asked for.
 *      state     C      C % 4 + 1 entries, two bytes each (see build_state in the target).
 *      sync      K      K bit i: a digest item for remote i (bit 6: the node), each followed
 *                       by its generation and highest version (a byte each).
 *      disconnect  reason, L8 text (mapped to printable).
 *      getaddr   nothing.
 *      addr      C, C % 32 + 1 record bytes (enum nr_record).
 *      pull      K, salt[16], S   K bit 0 digest the rumors the remote holds, bit 1 the ids it
 *                       learned, bits 2-4 that many * 64 random short ids; since S seconds ago
 *                       (0: since the epoch).
 *    PUBLISH     T L16 H head[H]   the node publishes on topic T % 7 (5 and 6 are invalid)
 *                       a payload of L16 % 60002 bytes (60001 is too long).
 *    CLOSE       P      the driver reports the socket closed.
 *    DIALFAIL    F A    a dial failed (F bit 0: the node's last dial address instead of A).
 *    ADVANCE     U N    time moves N units of U % 6 (enum nr_unit); the timer runs if due, or
 *                       always with NR_TIMER_ALWAYS.
 *    DRAIN       P N    the driver writes up to N * 256 bytes (0: everything) to the remote.
 *    DEADLINE    N      N % 8 + 1 times: time moves to the next deadline (if within a day) and
 *                       the timer runs.
 *    DISCONNECT  P      the operator closes the session.
 *    SHUTDOWN           hs_node_shutdown.
 *    ADDMANUAL   F A    F bit 0: hs_node_add_seed, else hs_node_add_peer.
 *    ADDRECORD   F ...  hs_node_add_record (F bit 1: hs_node_add_anchor) of a record built
 *                       from one byte (enum nr_record) or, F bit 0, of L8 raw bytes.
 *    ACCEPTDIAL  F      open an outbound session to the node's last dial address (F as OPEN).
 *    PUMP               each remote writes what its handshake wants, then all is drained.
 *    REPUTE      F B    F % 8: ban identity B % 7 (6: the node's) or address B for B + 1
 *                       minutes; unban that identity or address; clear the bans; remove the
 *                       manual peer at address B; dial address B once; load (F bit 4: a state
 *                       entry, bit 3: a score, else a ban) from L8 raw bytes that follow B.
 *    STATE       F L8   the node sets (F bit 0: deletes) its key F >> 1 % 4 (k0, k1, k2, and
 *                       an invalid name) to the L8 value.
 */
#ifndef HEARSAY_FUZZ_NODE_RECV_OPS_H
#define HEARSAY_FUZZ_NODE_RECV_OPS_H

#include <stddef.h>
#include <stdint.h>

enum nr_op {
	NR_OPEN = 0,
	NR_RAW = 1,
	NR_FRAME = 2,
	NR_STRUCT = 3,
	NR_PUBLISH = 4,
	NR_CLOSE = 5,
	NR_DIALFAIL = 6,
	NR_ADVANCE = 7,
	NR_DRAIN = 8,
	NR_DEADLINE = 9,
	NR_DISCONNECT = 10,
	NR_SHUTDOWN = 11,
	NR_ADDMANUAL = 12,
	NR_ADDRECORD = 13,
	NR_ACCEPTDIAL = 14,
	NR_PUMP = 15,
	NR_REPUTE = 16,
	NR_STATE = 17,
	NR_OPS = 18,
};

/* Byte 0. */
enum nr_config {
	NR_CFG_EAGER_MASK = 3,  /* eager_push 0..3 */
	NR_CFG_TOPICS = 4,      /* topics {blocks, tx} only, else all topics */
	NR_CFG_TINY = 8,        /* store 8 rumors / 2 frames of bytes, seen 16 ids, book 4 */
	NR_CFG_LOW_RATES = 16,  /* 20 frames/s and 5 signature checks/s per peer */
	NR_CFG_AUTO_CLOSE = 32, /* the driver closes as soon as the node asks (HS_EV_CLOSE) */
	NR_CFG_LAZY = 64,       /* lazy_request_delay 100 ms */
	NR_CFG_VALIDATE = 128,  /* a validator: payload[0] % 4 = accept, reject, ignore, accept */
};

/* OPEN and ACCEPTDIAL flags. */
enum nr_open {
	NR_INBOUND = 1,
	NR_AUTO_HANDSHAKE = 1 << 1,
	NR_AUTO_HELLO = 2 << 1,
	NR_AUTO_DRAIN = 3 << 1,
	NR_WHO_SHIFT = 3,
};

enum nr_who {
	NR_WHO_SELF = 4,      /* the node's own identity and Noise keys */
	NR_WHO_OTHER_NET = 5, /* proves its identity for network "other" */
	NR_NREMOTE = 6,
	NR_WHO_NODE = 6, /* in rumor origins and records: the node's id */
	NR_WHO_FRESH = 7,
};

enum nr_inv_source {
	NR_INV_HELD = 0,  /* the ids of the rumors the remote holds, newest first */
	NR_INV_KNOWN = 1, /* ids the remote learned (from the node and its own rumors) */
	NR_INV_FRESH = 2, /* ids nobody has */
	NR_INV_INPUT = 3, /* 33-byte items from the input */
	NR_INV_STATE = 4, /* flag: items of kind state */
};

enum nr_rumor_mode {
	NR_RUMOR_NEW = 0,
	NR_RUMOR_RESEND = 1,
	NR_RUMOR_ANSWER = 2,
	NR_RUMOR_HOLD = 3, /* build and hold, do not send (to announce it first) */
	NR_RUMOR_BADSIG = 4,
	NR_TIME_MS = 0 << 3, /* time: now + signed byte * unit */
	NR_TIME_S = 1 << 3,
	NR_TIME_10S = 2 << 3,
	NR_TIME_RAW = 3 << 3, /* time: u64 milliseconds */
};

enum nr_repute {
	NR_BAN_ID = 0,
	NR_BAN_ADDR = 1,
	NR_UNBAN_ID = 2,
	NR_UNBAN_ADDR = 3,
	NR_CLEAR_BANS = 4,
	NR_REMOVE_PEER = 5,
	NR_DIAL_ONCE = 6,
	NR_LOAD = 7,
	NR_LOAD_SCORE = 8,
	NR_LOAD_STATE = 16,
};

enum nr_unit {
	NR_UNIT_MS = 0,
	NR_UNIT_10MS = 1,
	NR_UNIT_S = 2,
	NR_UNIT_10S = 3,
	NR_UNIT_MIN = 4,
	NR_UNIT_HOUR = 5,
	NR_TIMER_ALWAYS = 128,
};

/* A record from one byte: who (bits 0-2, enum nr_who), first address and count (bits 3-5:
 * the count is that value % 5), a bad signature, seq 2 instead of 1. */
enum nr_record {
	NR_REC_WHO_MASK = 7,
	NR_REC_ADDR_SHIFT = 3,
	NR_REC_BADSIG = 64,
	NR_REC_SEQ2 = 128,
};

/* STRUCT repetitions: R < 128 once; R < 192: R - 126 (2..65); else (R - 191) * 64. */
static inline size_t nr_reps(uint8_t r)
{
	if (r < 128)
		return 1;
	if (r < 192)
		return (size_t)r - 126;
	return ((size_t)r - 191) * 64;
}

#endif

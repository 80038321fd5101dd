/*
 * Writes the seed corpus of fuzz_node_recv: programs (fuzz/node_recv_ops.h) that walk the
 * node through every flow a peer can start — handshakes both ways, hello, inv -> getdata ->
 * rumor with timeouts and notfound fallbacks, eager push, pull, getaddr and addr, dials,
 * floods past every rate and queue limit, oversize lists, unknown types, garbage — so the
 * fuzzer starts deep. The programs need no keys: the target plays the remote sides.
 *
 * Not part of the build (its name does not start with fuzz_). Build and run it by hand after
 * changing the input format, from the repository root:
 *
 *   cc -std=c11 -Wall -Wextra -Ifuzz fuzz/gen_node_recv_corpus.c -o /tmp/gen_node_recv_corpus
 *   /tmp/gen_node_recv_corpus fuzz/corpus/node_recv
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_recv_ops.h"

#define PROG_MAX 4096

struct prog {
	uint8_t b[PROG_MAX];
	size_t len;
};

static const char *out_dir;

static void u8(struct prog *p, unsigned v)
{
	if (p->len >= PROG_MAX) {
		fprintf(stderr, "gen_node_recv_corpus: program too long\n");
		exit(1);
	}
	p->b[p->len++] = (uint8_t)v;
}

static void u16(struct prog *p, unsigned v)
{
	u8(p, v & 0xff);
	u8(p, v >> 8);
}

static void u64(struct prog *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		u8(p, (unsigned)(v >> (8 * i)) & 0xff);
}

static void save(const char *name, const struct prog *p)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p->b, 1, p->len, f) != p->len || fclose(f) != 0) {
		fprintf(stderr, "gen_node_recv_corpus: cannot write %s\n", path);
		exit(1);
	}
}

static void start(struct prog *p, unsigned config)
{
	p->len = 0;
	u8(p, config);
}

/* ---- operations ----------------------------------------------------------------------------- */

static void open_(struct prog *p, bool inbound, unsigned autom, unsigned who, unsigned addr)
{
	u8(p, NR_OPEN);
	u8(p, (inbound ? NR_INBOUND : 0) | autom | who << NR_WHO_SHIFT);
	u8(p, addr);
}

/* A session that is active on both sides, its handshake replies drained. */
static void active(struct prog *p, bool inbound, unsigned who, unsigned addr)
{
	open_(p, inbound, NR_AUTO_DRAIN, who, addr);
}

static void raw(struct prog *p, unsigned peer, const uint8_t *b, size_t n)
{
	u8(p, NR_RAW);
	u8(p, peer);
	u8(p, (unsigned)n);
	for (size_t i = 0; i < n; i++)
		u8(p, b[i]);
}

static void frame(struct prog *p, unsigned peer, const uint8_t *b, size_t n)
{
	u8(p, NR_FRAME);
	u8(p, peer);
	u16(p, (unsigned)n);
	for (size_t i = 0; i < n; i++)
		u8(p, b[i]);
}

static void st(struct prog *p, unsigned peer, unsigned type, unsigned reps)
{
	u8(p, NR_STRUCT);
	u8(p, peer);
	u8(p, type);
	u8(p, reps);
}

static void hello(struct prog *p, unsigned peer, unsigned v, unsigned g)
{
	st(p, peer, 1, 0);
	u8(p, v);
	u8(p, g);
}

/* inv (4), getdata (5) or notfound (6) of count items from source. */
static void items(struct prog *p, unsigned peer, unsigned type, unsigned reps, unsigned source,
                  unsigned count)
{
	st(p, peer, type, reps);
	u8(p, source);
	u16(p, count - 1);
}

/* A new rumor (mode NR_RUMOR_NEW or NR_RUMOR_HOLD, plus flags and a time unit). */
static void rumor(struct prog *p, unsigned peer, unsigned reps, unsigned mode, unsigned who,
                  unsigned topic, int amount, unsigned payload_len)
{
	st(p, peer, 7, reps);
	u8(p, mode);
	u8(p, who);
	u8(p, topic);
	if ((mode & NR_TIME_RAW) == NR_TIME_RAW)
		u64(p, (uint64_t)(int64_t)amount);
	else
		u8(p, (unsigned)(amount & 0xff));
	u16(p, payload_len);
	u8(p, 2); /* two head bytes: the validator reads the first */
	u8(p, 0);
	u8(p, 0x42);
}

static void rumor_resend(struct prog *p, unsigned peer, unsigned reps, unsigned index)
{
	st(p, peer, 7, reps);
	u8(p, NR_RUMOR_RESEND);
	u8(p, index);
}

static void rumor_answer(struct prog *p, unsigned peer)
{
	st(p, peer, 7, 0);
	u8(p, NR_RUMOR_ANSWER);
}

static void pull(struct prog *p, unsigned peer, unsigned reps, unsigned k, unsigned since_s)
{
	st(p, peer, 12, reps);
	u8(p, k);
	for (unsigned i = 0; i < 16; i++)
		u8(p, i);
	u8(p, since_s);
}

static void addr(struct prog *p, unsigned peer, const uint8_t *recs, size_t n)
{
	st(p, peer, 11, 0);
	u8(p, (unsigned)n - 1);
	for (size_t i = 0; i < n; i++)
		u8(p, recs[i]);
}

static void publish(struct prog *p, unsigned topic, unsigned len)
{
	u8(p, NR_PUBLISH);
	u8(p, topic);
	u16(p, len);
	u8(p, 0);
}

static void op1(struct prog *p, unsigned op, unsigned a)
{
	u8(p, op);
	u8(p, a);
}

static void op2(struct prog *p, unsigned op, unsigned a, unsigned b)
{
	u8(p, op);
	u8(p, a);
	u8(p, b);
}

static void pump(struct prog *p)
{
	u8(p, NR_PUMP);
}

static void advance(struct prog *p, unsigned unit, unsigned n)
{
	op2(p, NR_ADVANCE, unit, n);
}

/* ---- the seeds ---------------------------------------------------------------------------- */

static void seeds_sessions(void)
{
	struct prog p;
	start(&p, 0);
	active(&p, true, 0, 0);
	save("handshake_inbound", &p);

	start(&p, 0);
	active(&p, false, 1, 2);
	save("handshake_outbound", &p);

	/* Step by step: nothing automatic, the remotes speak when pumped. */
	start(&p, 0);
	open_(&p, true, 0, 0, 0);
	open_(&p, false, 0, 1, 2);
	pump(&p);
	pump(&p);
	hello(&p, 0, 0, 1);
	hello(&p, 1, 0, 0x06);
	pump(&p);
	save("handshake_manual", &p);

	/* Self, the same identity twice, another network, both directions. */
	start(&p, 0);
	active(&p, true, NR_WHO_SELF, 0);
	active(&p, false, NR_WHO_SELF, 2);
	active(&p, true, 1, 3);
	active(&p, false, 1, 4);
	active(&p, true, NR_WHO_OTHER_NET, 5);
	active(&p, false, NR_WHO_OTHER_NET, 6);
	pump(&p);
	save("identities", &p);

	/* Bad hellos: version, network, someone else's record, bad signature, ping first. */
	start(&p, 0);
	for (unsigned i = 0; i < 4; i++)
		open_(&p, true, NR_AUTO_HANDSHAKE, i, i);
	hello(&p, 0, 1, 1);
	hello(&p, 1, 2, 1);
	hello(&p, 2, 1 << 2, 1);
	hello(&p, 3, 1 << 4, 1);
	pump(&p);
	open_(&p, false, NR_AUTO_HANDSHAKE, 0, 5);
	st(&p, 4, 2, 0); /* ping before hello */
	u64(&p, 7);
	pump(&p);
	active(&p, true, 1, 6);
	hello(&p, 5, 0, 1); /* a second hello */
	pump(&p);
	save("hello_faults", &p);

	/* Eight sessions, a ninth refused; closes; reuse. */
	start(&p, NR_CFG_AUTO_CLOSE);
	for (unsigned i = 0; i < 9; i++)
		open_(&p, i % 2, NR_AUTO_HELLO, i % 4, i);
	op1(&p, NR_CLOSE, 0);
	op1(&p, NR_DISCONNECT, 1);
	active(&p, true, 0, 0);
	pump(&p);
	save("slots", &p);

	/* Keepalive, then timeouts: handshake, idle. */
	start(&p, 0);
	active(&p, true, 0, 0);
	active(&p, false, 1, 2);
	open_(&p, true, 0, 2, 3);
	advance(&p, NR_UNIT_S, 31);
	pump(&p);
	st(&p, 0, 3, 0);
	u8(&p, 1); /* pong with the ping's nonce */
	st(&p, 1, 3, 0);
	u8(&p, 0);
	u64(&p, 99); /* a pong nobody asked for */
	advance(&p, NR_UNIT_S, 100);
	op1(&p, NR_DEADLINE, 7);
	pump(&p);
	save("ping_and_timeouts", &p);

	start(&p, 0);
	active(&p, true, 0, 0);
	active(&p, false, 1, 2);
	u8(&p, NR_SHUTDOWN);
	pump(&p);
	active(&p, true, 2, 3);
	op2(&p, NR_REPUTE, NR_DIAL_ONCE, 3); /* refused: no dials after shutdown */
	save("shutdown", &p);

	/* The driver writes before the node has anything queued. */
	start(&p, 0);
	open_(&p, true, 0, 0, 0);
	op2(&p, NR_DRAIN, 0, 0);
	save("write_before_output", &p);

	/* Operator bans and the store's bans and scores handed back. */
	start(&p, NR_CFG_AUTO_CLOSE);
	active(&p, true, 0, 0);
	active(&p, false, 1, 2);
	op2(&p, NR_REPUTE, NR_BAN_ID, 0);
	op2(&p, NR_REPUTE, NR_BAN_ADDR, 2);
	active(&p, true, 0, 3);
	active(&p, true, 2, 2);
	op2(&p, NR_REPUTE, NR_UNBAN_ID, 0);
	op2(&p, NR_REPUTE, NR_UNBAN_ADDR, 5);
	op2(&p, NR_REPUTE, NR_DIAL_ONCE, 4);
	op1(&p, NR_ACCEPTDIAL, NR_AUTO_DRAIN | 3 << NR_WHO_SHIFT);
	op2(&p, NR_REPUTE, NR_REMOVE_PEER, 4);
	op2(&p, NR_REPUTE, NR_CLEAR_BANS, 0);
	op2(&p, NR_REPUTE, NR_LOAD, 0);
	u8(&p, 3);
	u8(&p, 1);
	u8(&p, 2);
	u8(&p, 3);
	op2(&p, NR_REPUTE, NR_LOAD | NR_LOAD_SCORE, 0);
	u8(&p, 2);
	u8(&p, 1);
	u8(&p, 2);
	active(&p, true, 0, 3);
	pump(&p);
	save("bans", &p);
}

static void seeds_rumors(void)
{
	struct prog p;
	/* Eager push to the fastest, inv to the rest. */
	start(&p, 2);
	for (unsigned i = 0; i < 4; i++)
		active(&p, i % 2, i, i);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_S, 0, 0, 0, 100);
	pump(&p);
	publish(&p, 1, 1000);
	pump(&p);
	save("push_relay", &p);

	/* inv -> getdata -> rumor, then the node announces it on. */
	start(&p, 0);
	active(&p, true, 0, 0);
	active(&p, false, 1, 2);
	rumor(&p, 0, 0, NR_RUMOR_HOLD | NR_TIME_S, 0, 0, -1, 300);
	items(&p, 0, 4, 0, NR_INV_HELD, 1);
	pump(&p);
	rumor_answer(&p, 0);
	pump(&p);
	items(&p, 1, 5, 0, NR_INV_KNOWN, 4);
	pump(&p);
	save("inv_getdata_rumor", &p);

	/* Two announcers: the first times out, the second is asked and answers. */
	start(&p, NR_CFG_LAZY);
	active(&p, true, 0, 0);
	active(&p, true, 1, 2);
	rumor(&p, 0, 0, NR_RUMOR_HOLD | NR_TIME_S, 2, 1, 0, 50);
	items(&p, 0, 4, 0, NR_INV_HELD, 1);
	items(&p, 1, 4, 0, NR_INV_HELD, 1);
	op1(&p, NR_DEADLINE, 0);
	pump(&p);
	advance(&p, NR_UNIT_S, 3);
	pump(&p);
	rumor_answer(&p, 1);
	pump(&p);
	save("request_timeout", &p);

	/* The first announcer says notfound: the second is asked at once. */
	start(&p, 0);
	active(&p, true, 0, 0);
	active(&p, true, 1, 2);
	rumor(&p, 0, 0, NR_RUMOR_HOLD | NR_TIME_S, 2, 1, 0, 50);
	items(&p, 0, 4, 0, NR_INV_HELD, 1);
	items(&p, 1, 4, 0, NR_INV_HELD, 1);
	pump(&p);
	items(&p, 0, 6, 0, NR_INV_HELD, 1);
	pump(&p);
	rumor_answer(&p, 1);
	items(&p, 0, 5, 0, NR_INV_FRESH, 8); /* asks for what the node lacks: notfound */
	pump(&p);
	save("notfound", &p);

	/* Duplicates: the same rumor again from everyone, as frames and as inv. */
	start(&p, 1);
	for (unsigned i = 0; i < 3; i++)
		active(&p, true, i, i);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_S, 3, 0, 0, 20);
	rumor_resend(&p, 1, 140, 0);
	rumor_resend(&p, 0x40 | 2, 140, 0); /* batched */
	items(&p, 2, 4, 0, NR_INV_KNOWN, 16);
	pump(&p);
	save("duplicates", &p);

	/* The time window: old, future, far future, raw extremes; bad signatures; topics. */
	start(&p, 0);
	active(&p, true, 0, 0);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_10S, 0, 0, -61, 10);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_10S, 0, 0, -59, 10);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_S, 0, 0, 31, 10);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_S, 0, 0, 29, 10);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_RAW, 0, 0, -1, 10);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_RAW, 0, 0, 0, 10);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_RUMOR_BADSIG, 0, 0, 0, 10);
	pump(&p);
	save("time_window", &p);

	/* A rumor from the edge of the future, offered again by a new peer as its window closes
	 * (retention + clock skew later). */
	start(&p, NR_CFG_AUTO_CLOSE);
	active(&p, true, 0, 0);
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_S, 1, 0, 30, 10);
	advance(&p, NR_UNIT_10S, 63);
	active(&p, true, 1, 2);
	rumor_resend(&p, 0, 0, 0);
	pump(&p);
	save("replay_at_window_edge", &p);

	/* Topics: the node takes only blocks and tx; a peer takes a subset. */
	start(&p, NR_CFG_TOPICS | 2);
	active(&p, true, 0, 0);
	open_(&p, true, NR_AUTO_HANDSHAKE, 1, 2);
	hello(&p, 1, 0, 0x10);                                  /* topics: tx */
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_S, 0, 2, 0, 10); /* other: not ours */
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_S, 0, 1, 0, 10); /* blocks */
	rumor(&p, 0, 0, NR_RUMOR_NEW | NR_TIME_S, 0, 0, 0, 10); /* tx */
	publish(&p, 2, 5);
	publish(&p, 5, 5);     /* an empty topic */
	publish(&p, 6, 5);     /* a space in it */
	publish(&p, 0, 60001); /* too long */
	pump(&p);
	save("topics", &p);

	/* The application rejects (20 points each) and ignores. */
	start(&p, NR_CFG_VALIDATE);
	active(&p, true, 0, 0);
	for (unsigned i = 0; i < 6; i++) {
		st(&p, 0, 7, 0);
		u8(&p, NR_RUMOR_NEW | NR_TIME_S);
		u8(&p, 1);
		u8(&p, 0);
		u8(&p, 0);
		u16(&p, 4);
		u8(&p, 2);
		u8(&p, 1 + (i % 2)); /* reject, ignore */
		u8(&p, i);
	}
	pump(&p);
	save("validator", &p);
}

static void seeds_pull_addr(void)
{
	struct prog p;
	/* Catch-up pull on a new outbound session; a peer pulls everything; pulls too often. */
	start(&p, 0);
	for (unsigned i = 0; i < 5; i++)
		publish(&p, i % 2, 100 + i);
	active(&p, false, 0, 0);
	pull(&p, 0, 0, 0, 0);
	pump(&p);
	active(&p, true, 1, 2);
	pull(&p, 1, 0, 1 | 2 | 4, 120);
	pull(&p, 1, 135, 0, 0);
	pump(&p);
	op1(&p, NR_DEADLINE, 7);
	pump(&p);
	save("pull", &p);

	/* getaddr -> addr -> dials; a record naming the wrong identity; failed dials. */
	start(&p, 0);
	active(&p, false, 0, 0);
	pump(&p);
	const uint8_t recs[] = { 1 | 2 << NR_REC_ADDR_SHIFT, 2 | 3 << NR_REC_ADDR_SHIFT,
		                 3 | 4 << NR_REC_ADDR_SHIFT, NR_WHO_FRESH | 5 << NR_REC_ADDR_SHIFT,
		                 NR_WHO_NODE | 1 << NR_REC_ADDR_SHIFT };
	addr(&p, 0, recs, sizeof(recs));
	op1(&p, NR_DEADLINE, 7);
	op1(&p, NR_ACCEPTDIAL, NR_AUTO_DRAIN | 2 << NR_WHO_SHIFT);
	op1(&p, NR_DEADLINE, 7);
	op1(&p, NR_ACCEPTDIAL, NR_AUTO_DRAIN | 1 << NR_WHO_SHIFT);
	op1(&p, NR_DEADLINE, 7);
	op2(&p, NR_DIALFAIL, 1, 0);
	advance(&p, NR_UNIT_S, 11);
	op1(&p, NR_DEADLINE, 7);
	pump(&p);
	save("addr_and_dials", &p);

	/* An inbound peer asks for addresses twice; unsolicited and bad-signature addr. */
	start(&p, 0);
	u8(&p, NR_ADDRECORD);
	u8(&p, 0);
	u8(&p, 1 | 2 << NR_REC_ADDR_SHIFT);
	u8(&p, NR_ADDRECORD);
	u8(&p, 0);
	u8(&p, 2 | 3 << NR_REC_ADDR_SHIFT | NR_REC_BADSIG);
	u8(&p, NR_ADDRECORD);
	u8(&p, 1);
	u8(&p, 5);
	u8(&p, 1);
	u8(&p, 2);
	u8(&p, 3);
	u8(&p, 4);
	u8(&p, 5);
	active(&p, true, 0, 0);
	st(&p, 0, 10, 0);
	st(&p, 0, 10, 0);
	addr(&p, 0, recs, 2);
	active(&p, false, 3, 4);
	pump(&p);
	const uint8_t bad[] = { 1 | 2 << NR_REC_ADDR_SHIFT | NR_REC_BADSIG };
	addr(&p, 1, bad, 1);
	pump(&p);
	save("getaddr_records", &p);

	/* Seeds and manual peers: dialled, fetched from, failed. */
	start(&p, 0);
	op2(&p, NR_ADDMANUAL, 1, 3);
	op2(&p, NR_ADDMANUAL, 0, 4);
	op2(&p, NR_ADDMANUAL, 0, 4);
	op1(&p, NR_DEADLINE, 3);
	op1(&p, NR_ACCEPTDIAL, NR_AUTO_DRAIN | 3 << NR_WHO_SHIFT);
	pump(&p);
	addr(&p, 0, recs, 3);
	op1(&p, NR_DEADLINE, 7);
	op2(&p, NR_DIALFAIL, 0, 4);
	advance(&p, NR_UNIT_MIN, 15);
	op1(&p, NR_DEADLINE, 7);
	save("seeds_manual", &p);
}

/* The node writes a key: F bit 0 delete, F >> 1 the key; a short value. */
static void state_op(struct prog *p, unsigned f, unsigned len)
{
	u8(p, NR_STATE);
	u8(p, f);
	u8(p, len);
	for (unsigned i = 0; i < len; i++)
		u8(p, 'a' + i);
}

static void seeds_state(void)
{
	struct prog p;
	/* Own writes spread; entries from a remote: newer, older, equivocating; digests both
	 * ways; state inventory and getdata. */
	start(&p, 0);
	active(&p, false, 0, 0);
	active(&p, true, 1, 2);
	state_op(&p, 0, 3);
	state_op(&p, 2, 5);
	state_op(&p, 1, 0);
	state_op(&p, 6, 1); /* an invalid key */
	pump(&p);
	st(&p, 0, 8, 0);
	u8(&p, 3);
	const uint8_t entries[8] = { 0x00, 0x11, 0x00, 0x21, 0x08, 0x05, 0x48, 0x01 };
	for (unsigned i = 0; i < 8; i++)
		u8(&p, entries[i]);
	st(&p, 1, 13, 0);
	u8(&p, 0x7f);
	for (unsigned i = 0; i < 14; i++)
		u8(&p, i % 3);
	items(&p, 1, 4, 0, NR_INV_KNOWN | NR_INV_STATE, 8);
	items(&p, 1, 5, 0, NR_INV_KNOWN | NR_INV_STATE, 8);
	items(&p, 0, 4, 0, NR_INV_FRESH | NR_INV_STATE, 4);
	pump(&p);
	advance(&p, NR_UNIT_S, 6);
	pump(&p);
	st(&p, 1, 8, 0); /* a bad signature */
	u8(&p, 0);
	u8(&p, 0x21);
	u8(&p, 0x31);
	pump(&p);
	/* An entry handed back by the store at start: origin 07.., key "k", (1, 1), empty value. */
	op2(&p, NR_REPUTE, NR_LOAD | NR_LOAD_STATE, 0);
	u8(&p, 116);
	for (unsigned i = 0; i < 32; i++)
		u8(&p, 7);
	u8(&p, 1);
	u8(&p, 'k');
	u64(&p, 1);
	u64(&p, 1);
	u8(&p, 0);
	u8(&p, 0);
	for (unsigned i = 0; i < 64; i++)
		u8(&p, i == 0 ? 0x5a : 0x55);
	save("state", &p);
}

static void seeds_more(void)
{
	struct prog p;
	/* A first handshake message in clear from a newer protocol version. */
	start(&p, 0);
	open_(&p, true, 0, 0, 0);
	const uint8_t m1[41] = { 39, 0, 1, 9, [34] = 2, 4, 'm', 'a', 'i', 'n' };
	raw(&p, 0, m1, sizeof(m1));
	save("handshake_version", &p);

	/* Pongs after 50 ms and 5 ms: the faster peer (the later slot) gets the eager push. */
	start(&p, 1);
	for (unsigned i = 0; i < 3; i++)
		active(&p, true, i, i);
	advance(&p, NR_UNIT_S, 31);
	pump(&p);
	advance(&p, NR_UNIT_MS, 5);
	st(&p, 1, 3, 0);
	u8(&p, 1);
	advance(&p, NR_UNIT_MS, 45);
	st(&p, 0, 3, 0);
	u8(&p, 1);
	rumor(&p, 2, 0, NR_RUMOR_NEW | NR_TIME_S, 2, 0, 0, 10);
	pump(&p);
	save("rtt_eager", &p);

	/* 64 records from two outbound peers, then a getaddr: the answer is a sample. */
	start(&p, 0);
	uint8_t fresh[32];
	memset(fresh, NR_WHO_FRESH | 1 << NR_REC_ADDR_SHIFT, sizeof(fresh));
	active(&p, false, 0, 0);
	addr(&p, 0, fresh, sizeof(fresh));
	active(&p, false, 1, 2);
	addr(&p, 1, fresh, sizeof(fresh));
	active(&p, true, 2, 3);
	st(&p, 2, 10, 0);
	pump(&p);
	save("addr_book_sample", &p);

	/* A record dialled and failing until it is forgotten (backoff between tries). */
	start(&p, 0);
	u8(&p, NR_ADDRECORD);
	u8(&p, 0);
	u8(&p, 1 | 2 << NR_REC_ADDR_SHIFT);
	for (unsigned i = 0; i < 11; i++) {
		op1(&p, NR_DEADLINE, 1);
		op2(&p, NR_DIALFAIL, 1, 0);
		advance(&p, NR_UNIT_MIN, 11);
	}
	save("dial_backoff", &p);
}

static void seeds_abuse(void)
{
	struct prog p;
	/* Frames and signature checks over their rates. */
	start(&p, NR_CFG_LOW_RATES);
	active(&p, true, 0, 0);
	active(&p, true, 1, 2);
	rumor(&p, 0x40, 200, NR_RUMOR_NEW | NR_TIME_S, 0, 0, 0, 8);
	st(&p, 0x40 | 1, 2, 200);
	u64(&p, 1);
	pump(&p);
	save("flood_rates", &p);

	/* Big rumors eagerly pushed to peers that never read: their queues overflow. */
	start(&p, 2);
	for (unsigned i = 0; i < 3; i++)
		active(&p, true, i, i);
	rumor(&p, 0x40, 193, NR_RUMOR_NEW | NR_TIME_S, 0, 0, 0, 60000);
	save("flood_send_queue", &p);

	/* Announcements past the per-peer limit, requests past the getdata queue. */
	start(&p, 0);
	active(&p, true, 0, 0);
	active(&p, true, 1, 2);
	items(&p, 0, 4, 132, NR_INV_FRESH, 1000);
	pump(&p);
	for (unsigned i = 0; i < 8; i++)
		publish(&p, 0, 2000);
	items(&p, 1, 5, 131, NR_INV_KNOWN, 1000);
	op2(&p, NR_DRAIN, 1, 4);
	pump(&p);
	save("oversize_lists", &p);

	/* Unassigned types, empty and malformed frames, a state frame. */
	start(&p, 0);
	active(&p, true, 0, 0);
	for (unsigned t = 14; t < 16; t++) {
		st(&p, 0, t, 0);
		u8(&p, 3);
		u8(&p, 1);
		u8(&p, 2);
		u8(&p, 3);
	}
	st(&p, 0, 0, 0);
	u8(&p, 0);
	const uint8_t unknown[] = { 200, 1, 2, 3 };
	frame(&p, 0, unknown, sizeof(unknown));
	st(&p, 0, 8, 0); /* state: 3 entries */
	u8(&p, 2);
	u8(&p, 0x11);
	u8(&p, 0x22);
	u8(&p, 0x39);
	st(&p, 0, 9, 0); /* disconnect */
	u8(&p, 7);
	u8(&p, 4);
	u8(&p, 'b');
	u8(&p, 'y');
	u8(&p, 'e');
	u8(&p, '!');
	active(&p, true, 1, 2);
	const uint8_t empty_inv[] = { 4, 0 };
	frame(&p, 1, empty_inv, sizeof(empty_inv));
	active(&p, true, 2, 3);
	frame(&p, 2, NULL, 0);
	pump(&p);
	save("frames_odd", &p);

	/* Garbage: during the handshake, a huge length, in the transport. */
	start(&p, 0);
	open_(&p, true, 0, 0, 0);
	const uint8_t junk[] = { 5, 0, 1, 2, 3, 4, 5 };
	raw(&p, 0, junk, sizeof(junk));
	open_(&p, false, 0, 1, 2);
	const uint8_t huge[] = { 0xff, 0xff };
	raw(&p, 1, huge, sizeof(huge));
	active(&p, true, 2, 3);
	const uint8_t fake[] = { 18, 0,  1,  2,  3,  4,  5,  6,  7,  8,
		                 9,  10, 11, 12, 13, 14, 15, 16, 17, 18 };
	raw(&p, 2, fake, sizeof(fake));
	pump(&p);
	save("garbage", &p);

	/* Frames split across reads and batched many to a read. */
	start(&p, 1);
	active(&p, true, 0, 0);
	active(&p, true, 1, 2);
	rumor(&p, 0x80, 130, NR_RUMOR_NEW | NR_TIME_S, 0, 0, 0, 3000);
	rumor(&p, 0x41, 130, NR_RUMOR_NEW | NR_TIME_S, 1, 1, 0, 100);
	op2(&p, NR_DRAIN, 0, 1);
	op2(&p, NR_DRAIN, 1, 3);
	pump(&p);
	save("split_and_batch", &p);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	seeds_sessions();
	seeds_rumors();
	seeds_pull_addr();
	seeds_state();
	seeds_more();
	seeds_abuse();
	return 0;
}

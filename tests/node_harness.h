/*
 * A tiny in-process network for node tests: real cores (real keys, real Noise, real
 * signatures) joined by in-memory links that deliver every byte at once. Deterministic: each
 * node's randomness comes from its own seeded PRNG.
 */
#ifndef HEARSAY_TEST_NODE_HARNESS_H
#define HEARSAY_TEST_NODE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "overlay/node.h"
#include "testrng.h"

#define TN_MAX   16
#define TN_LINKS 64
#define TN_T0    (1767225600ull * HS_NS_PER_S) /* 2026-01-01 */

struct tnode {
	struct hs_node *node;
	struct hs_crypto *crypto;
	struct hs_identity *id;
	struct hs_noise_static *noise;
	struct hs_netaddr addr;
	struct test_rng rng;
	unsigned deliveries, faults, closes, ups;
	/* caps.save_own, when the net's use_save_own was set before tn_add: counts its calls
	 * and answers save_own_result. */
	unsigned save_own_calls;
	int save_own_result;
	uint8_t last_reason;
	uint8_t last_rumor_id[HS_ID_LEN];
	char last_payload[256];
};

struct tlink {
	bool used;
	int a, b;        /* node indices */
	uint64_t pa, pb; /* handles: a's handle for b, b's handle for a */
	bool closed;
};

struct tnet {
	struct tnode n[TN_MAX];
	size_t count;
	struct tlink links[TN_LINKS];
	uint64_t now;
	/* Optional: sees every event node i polls, before the harness's own handling (which
	 * ignores dials and saves: a test that wants them connects or keeps them here). */
	void (*on_event)(struct tnet *net, int i, const struct hs_event *ev);
	/* Optional: runs after every step of tn_advance. */
	void (*on_step)(struct tnet *net);
	bool use_save_own; /* nodes added while set get caps.save_own (tn_save_own) */
	/* Nodes added while set get it as caps.validate (its ctx is the struct tnode). */
	enum hs_verdict (*validate)(void *ctx, const struct hs_rumor *rumor,
	                            const uint8_t id[HS_ID_LEN]);
};

static void tn_random(void *ctx, uint8_t *out, size_t len)
{
	struct tnode *t = ctx;
	for (size_t i = 0; i < len; i++) /* one byte per draw: the sequence tests were built on */
		out[i] = (uint8_t)test_rng_next(&t->rng);
}

static int tn_sign(void *ctx, uint8_t sig[64], const uint8_t digest[32])
{
	struct tnode *t = ctx;
	uint8_t aux[32];
	tn_random(t, aux, sizeof(aux));
	return hs_identity_sign(t->crypto, t->id, sig, digest, aux);
}

static int tn_verify(void *ctx, const uint8_t pub[32], const uint8_t sig[64],
                     const uint8_t digest[32])
{
	struct tnode *t = ctx;
	return hs_verify(t->crypto, pub, sig, digest);
}

/* Adds a node; cfg_edit (may be NULL) adjusts the default config. */
static int tn_save_own(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *enc,
                       size_t enclen)
{
	struct tnode *t = ctx;
	(void)key;
	(void)keylen;
	(void)enc;
	(void)enclen;
	t->save_own_calls++;
	return t->save_own_result;
}

static struct tnode *tn_add(struct tnet *net, const char *network,
                            void (*cfg_edit)(struct hs_node_config *))
{
	struct tnode *t = &net->n[net->count];
	memset(t, 0, sizeof(*t));
	test_rng_seed(&t->rng, 1000 + net->count);
	uint8_t b[32];
	tn_random(t, b, 32);
	if (hs_crypto_new(&t->crypto, b) != 0)
		abort();
	do
		tn_random(t, b, 32);
	while (hs_identity_new(&t->id, t->crypto, b) != 0);
	tn_random(t, b, 32);
	if (hs_noise_static_new(&t->noise, b) != 0)
		abort();
	struct hs_node_config cfg;
	hs_node_config_default(&cfg);
	cfg.network = network;
	memcpy(cfg.identity, hs_identity_pubkey(t->id), 32);
	cfg.crypto = t->crypto;
	cfg.noise_static = t->noise;
	tn_random(t, b, 32);
	if (hs_handshake_prove(t->crypto, t->id, network, t->noise, b, cfg.noise_proof) != 0)
		abort();
	t->addr = hs_netaddr_ipv4(10, (uint8_t)(net->count + 1), 0, 1, 7000);
	cfg.naddrs = 1;
	cfg.addrs[0] = t->addr;
	/* Heartbeats would add state traffic to every test that counts messages; the tests of
	 * membership turn them back on. */
	cfg.heartbeat_interval_ns = 0;
	if (cfg_edit)
		cfg_edit(&cfg);
	struct hs_caps caps = { .ctx = t,
		                .random = tn_random,
		                .sign = tn_sign,
		                .verify = tn_verify,
		                .save_own = net->use_save_own ? tn_save_own : NULL,
		                .validate = net->validate };
	if (hs_node_new(&t->node, &cfg, &caps, net->now) != 0)
		abort();
	net->count++;
	return t;
}

static void tn_free(struct tnet *net)
{
	for (size_t i = 0; i < net->count; i++) {
		struct tnode *t = &net->n[i];
		hs_node_del(t->node);
		hs_noise_static_del(t->noise);
		hs_identity_del(t->id);
		hs_crypto_del(t->crypto);
	}
}

static struct tlink *tn_link_of(struct tnet *net, int node, uint64_t handle, int *other,
                                uint64_t *other_handle)
{
	for (size_t i = 0; i < TN_LINKS; i++) {
		struct tlink *l = &net->links[i];
		if (!l->used || l->closed)
			continue;
		if (l->a == node && l->pa == handle) {
			*other = l->b;
			*other_handle = l->pb;
			return l;
		}
		if (l->b == node && l->pb == handle) {
			*other = l->a;
			*other_handle = l->pa;
			return l;
		}
	}
	return NULL;
}

static void tn_close_link(struct tnet *net, struct tlink *l)
{
	l->closed = true;
	hs_node_peer_closed(net->n[l->a].node, l->pa, net->now);
	hs_node_peer_closed(net->n[l->b].node, l->pb, net->now);
}

/* Closes every open link (both ends see the connection go). */
static inline void tn_close_all(struct tnet *net)
{
	for (size_t k = 0; k < TN_LINKS; k++)
		if (net->links[k].used && !net->links[k].closed)
			tn_close_link(net, &net->links[k]);
}

/* Handles events of node i; returns true if any. */
static bool tn_events(struct tnet *net, int i)
{
	struct tnode *t = &net->n[i];
	struct hs_event ev;
	bool any = false;
	while (hs_node_poll_event(t->node, &ev)) {
		any = true;
		if (net->on_event)
			net->on_event(net, i, &ev);
		if (ev.type == HS_EV_DELIVER) {
			t->deliveries++;
			memcpy(t->last_rumor_id, ev.id, HS_ID_LEN);
			size_t n = ev.rumor.payload_len < 255 ? ev.rumor.payload_len : 255;
			memcpy(t->last_payload, ev.rumor.payload, n);
			t->last_payload[n] = '\0';
		} else if (ev.type == HS_EV_FAULT) {
			t->faults++;
		} else if (ev.type == HS_EV_PEER_UP) {
			t->ups++;
		} else if (ev.type == HS_EV_CLOSE) {
			t->closes++;
			t->last_reason = ev.reason;
			int o;
			uint64_t oh;
			/* Deliver what is pending first, then close both ends. */
			struct tlink *l = tn_link_of(net, i, ev.peer, &o, &oh);
			if (l) {
				uint8_t buf[1 << 16];
				size_t n;
				while ((n = hs_node_write(t->node, ev.peer, buf, sizeof(buf),
				                          net->now)) > 0)
					if (hs_node_recv(net->n[o].node, oh, buf, n, net->now) != 0)
						break;
				tn_close_link(net, l);
			}
		}
	}
	return any;
}

/* Moves bytes and events until nothing is pending anywhere. */
static void tn_pump(struct tnet *net)
{
	uint8_t buf[1 << 16];
	for (int rounds = 0; rounds < 10000; rounds++) {
		bool moved = false;
		for (size_t i = 0; i < TN_LINKS; i++) {
			struct tlink *l = &net->links[i];
			if (!l->used || l->closed)
				continue;
			size_t n;
			while ((n = hs_node_write(net->n[l->a].node, l->pa, buf, sizeof(buf),
			                          net->now)) > 0) {
				moved = true;
				if (hs_node_recv(net->n[l->b].node, l->pb, buf, n, net->now) != 0)
					break;
			}
			while ((n = hs_node_write(net->n[l->b].node, l->pb, buf, sizeof(buf),
			                          net->now)) > 0) {
				moved = true;
				if (hs_node_recv(net->n[l->a].node, l->pa, buf, n, net->now) != 0)
					break;
			}
		}
		for (size_t i = 0; i < net->count; i++) {
			moved |= tn_events(net, (int)i);
			if (!hs_node_check(net->n[i].node))
				abort(); /* an invariant broke: a bug in the core */
		}
		if (!moved)
			return;
	}
}

/* Opens a connection from a to b (a dials). */
static struct tlink *tn_connect(struct tnet *net, int a, int b)
{
	struct tlink *l = NULL;
	for (size_t i = 0; i < TN_LINKS && !l; i++)
		if (!net->links[i].used)
			l = &net->links[i];
	if (!l)
		abort();
	memset(l, 0, sizeof(*l));
	l->used = true;
	l->a = a;
	l->b = b;
	int rb = hs_node_peer_open(net->n[b].node, &l->pb, true, &net->n[a].addr, net->now);
	int ra = rb ? 0
	            : hs_node_peer_open(net->n[a].node, &l->pa, false, &net->n[b].addr, net->now);
	if (rb || ra) {
		fprintf(stderr, "tn_connect(%d, %d): %s\n", a, b, hs_strerror(rb ? rb : ra));
		abort();
	}
	tn_pump(net);
	return l;
}

/* Advances time by dt, firing due timers. */
static void tn_advance(struct tnet *net, uint64_t dt)
{
	uint64_t end = net->now + dt;
	for (int guard = 0; guard < 1000000; guard++) {
		uint64_t next = end;
		for (size_t i = 0; i < net->count; i++) {
			uint64_t d = hs_node_next_deadline(net->n[i].node);
			if (d < next)
				next = d;
		}
		if (next > net->now)
			net->now = next;
		for (size_t i = 0; i < net->count; i++)
			if (hs_node_next_deadline(net->n[i].node) <= net->now)
				hs_node_timer(net->n[i].node, net->now);
		tn_pump(net);
		if (net->on_step)
			net->on_step(net);
		if (net->now >= end)
			return;
	}
	abort(); /* a deadline that never moves: a bug in the node */
}

#endif

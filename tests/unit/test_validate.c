/*
 * ctest `validate`: asynchronous validation in the core (overlay/held.c). A validator that
 * answers HS_PENDING makes the node hold the rumor until hs_node_verdict, its deadline
 * (validate_timeout: validate_default) or a full hold (validate_default at once). Each verdict
 * charges whom docs/PROTOCOL.md says: HS_REJECT the relay, HS_REJECT_ORIGIN the origin,
 * HS_IGNORE nobody. The harness checks hs_node_check after every pump.
 *
 * The network: O (origin) - R (relay) - V (validating) - C, in a line; only V validates.
 */
#include "harness.h"
#include "node_harness.h"

#define S  1000000000ull
#define MS 1000000ull

enum { O = 0, R = 1, V = 2, C = 3 };

/* What V's validator says, and the ids it was asked about. */
static enum hs_verdict answer = HS_PENDING;
static unsigned asked;
static uint8_t asked_id[8][HS_ID_LEN];

static enum hs_verdict validate(void *ctx, const struct hs_rumor *rm, const uint8_t id[HS_ID_LEN])
{
	(void)ctx;
	(void)rm;
	memcpy(asked_id[asked % 8], id, HS_ID_LEN);
	asked++;
	return answer;
}

static enum hs_verdict validate_default;

static void v_config(struct hs_node_config *cfg)
{
	cfg->validate_timeout_ns = 10 * S;
	cfg->validate_default = validate_default;
}

static void line(struct tnet *net, enum hs_verdict dflt)
{
	memset(net, 0, sizeof(*net));
	net->now = TN_T0;
	answer = HS_PENDING;
	asked = 0;
	validate_default = dflt;
	tn_add(net, "test", NULL);
	tn_add(net, "test", NULL);
	net->validate = validate;
	tn_add(net, "test", v_config);
	net->validate = NULL;
	tn_add(net, "test", NULL);
	tn_connect(net, O, R);
	tn_connect(net, R, V);
	tn_connect(net, V, C);
}

static void publish(struct tnet *net, uint8_t id[HS_ID_LEN], const char *payload)
{
	CHECK_EQ(hs_node_publish(net->n[O].node, id, "t", (const uint8_t *)payload, strlen(payload),
	                         net->now),
	         0);
	tn_pump(net);
}

static struct hs_node_stats stats(struct tnet *net, int i)
{
	struct hs_node_stats s;
	hs_node_get_stats(net->n[i].node, &s);
	return s;
}

static double score_at(struct tnet *net, int at, int of)
{
	return hs_node_score(net->n[at].node, hs_identity_pubkey(net->n[of].id), net->now, NULL);
}

/* Held until accepted, then stored, delivered and relayed as if accepted at once. */
static void test_accept(void)
{
	struct tnet net;
	line(&net, HS_IGNORE);
	uint8_t id[HS_ID_LEN];
	publish(&net, id, "a");
	CHECK_EQ(asked, 1);
	CHECK_MEM(asked_id[0], id, HS_ID_LEN);
	CHECK_EQ(hs_node_held(net.n[V].node), 1);
	CHECK_EQ(net.n[V].deliveries, 0);
	CHECK_EQ(net.n[C].deliveries, 0);
	const uint8_t *enc;
	size_t enclen;
	CHECK_EQ(hs_node_get_rumor(net.n[V].node, id, &enc, &enclen), HS_ERR_NOT_FOUND);
	/* While held, pulls bring it again (V's digests lack it): duplicates, not judged twice. */
	uint64_t dups = stats(&net, V).duplicates;
	tn_advance(&net, 9 * S); /* within the 10 s deadline */
	CHECK_EQ(asked, 1);
	CHECK_EQ(hs_node_held(net.n[V].node), 1);
	CHECK(stats(&net, V).duplicates > dups);
	CHECK_EQ(hs_node_verdict(net.n[V].node, id, HS_ACCEPT, net.now), 0);
	tn_pump(&net);
	CHECK_EQ(hs_node_held(net.n[V].node), 0);
	CHECK_EQ(net.n[V].deliveries, 1);
	CHECK_EQ(net.n[C].deliveries, 1);
	CHECK_MEM(net.n[C].last_rumor_id, id, HS_ID_LEN);
	CHECK_EQ(hs_node_get_rumor(net.n[V].node, id, &enc, &enclen), 0);
	CHECK_EQ(stats(&net, V).validate_held, 1);
	CHECK(score_at(&net, V, R) > 0); /* the relay is credited for a first delivery */
	/* A second verdict for it, an unknown id, a bad verdict: refused, nothing changes. */
	CHECK_EQ(hs_node_verdict(net.n[V].node, id, HS_REJECT, net.now), HS_ERR_NOT_FOUND);
	uint8_t unknown[HS_ID_LEN] = { 1, 2, 3 };
	CHECK_EQ(hs_node_verdict(net.n[V].node, unknown, HS_ACCEPT, net.now), HS_ERR_NOT_FOUND);
	CHECK_EQ(hs_node_verdict(net.n[V].node, id, HS_PENDING, net.now), HS_ERR_INVALID);
	CHECK_EQ(hs_node_verdict(net.n[V].node, id, (enum hs_verdict)9, net.now), HS_ERR_INVALID);
	tn_pump(&net);
	CHECK_EQ(net.n[C].deliveries, 1);
	CHECK_EQ(net.n[V].faults, 0);
	CHECK(hs_node_check(net.n[V].node));
	tn_free(&net);
}

/* HS_REJECT: a network-wide rule, the relay charged; HS_REJECT_ORIGIN: a local one, only the
 * origin charged; HS_IGNORE: nobody. None goes further; each is remembered. */
static void test_reject_ignore(void)
{
	static const struct {
		enum hs_verdict v;
		bool relay_charged, origin_charged;
	} rows[] = {
		{ HS_REJECT, true, false },
		{ HS_REJECT_ORIGIN, false, true },
		{ HS_IGNORE, false, false },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct tnet net;
		line(&net, HS_IGNORE);
		uint8_t id[HS_ID_LEN];
		publish(&net, id, "b");
		CHECK_EQ(hs_node_held(net.n[V].node), 1);
		CHECK_EQ(hs_node_verdict(net.n[V].node, id, rows[r].v, net.now), 0);
		tn_pump(&net);
		CHECK_EQ(hs_node_held(net.n[V].node), 0);
		CHECK_EQ(net.n[V].deliveries, 0);
		CHECK_EQ(net.n[C].deliveries, 0);
		CHECK_EQ(net.n[V].faults, rows[r].relay_charged ? 1 : 0);
		CHECK(rows[r].relay_charged ? score_at(&net, V, R) < 0 : score_at(&net, V, R) >= 0);
		CHECK(rows[r].origin_charged ? score_at(&net, V, O) < 0
		                             : score_at(&net, V, O) >= 0);
		struct hs_node_stats s = stats(&net, V);
		CHECK_EQ(s.validate_rejected, rows[r].v == HS_REJECT);
		CHECK_EQ(s.validate_rejected_origin, rows[r].v == HS_REJECT_ORIGIN);
		CHECK_EQ(s.validate_ignored, rows[r].v == HS_IGNORE);
		/* Remembered: the same rumor again (a pull from R) is a duplicate, not re-judged.
		 */
		tn_advance(&net, 6 * S);
		CHECK_EQ(asked, 1);
		CHECK_EQ(net.n[C].deliveries, 0);
		tn_free(&net);
	}
}

/* Enough rejections ban the origin by identity; its next rumors are dropped unverified, and
 * the relay stays in good standing. */
static void test_reject_origin_bans(void)
{
	struct tnet net;
	line(&net, HS_IGNORE);
	for (int i = 0; i < 6; i++) {
		uint8_t id[HS_ID_LEN];
		char p[8];
		snprintf(p, sizeof(p), "r%d", i);
		publish(&net, id, p);
		if (hs_node_held(net.n[V].node) == 1)
			CHECK_EQ(hs_node_verdict(net.n[V].node, id, HS_REJECT_ORIGIN, net.now), 0);
		tn_pump(&net);
	}
	CHECK_EQ(asked, 5); /* the fifth rejection reaches the ban threshold (-100) */
	CHECK(stats(&net, V).banned_origin >= 1);
	CHECK_EQ(net.n[V].faults, 0);
	CHECK(score_at(&net, V, R) >= 0); /* never charged */
	struct hs_peer_info info[4];
	CHECK_EQ(hs_node_peers(net.n[V].node, info, 4), 2); /* R and C stay connected */
	CHECK_EQ(net.n[C].deliveries, 0);
	tn_free(&net);
}

/* The deadline gives validate_default: ignore (stops here) or accept (goes on). A late
 * verdict is refused. */
static void test_timeout_default(void)
{
	for (int accept_default = 0; accept_default < 2; accept_default++) {
		struct tnet net;
		line(&net, accept_default ? HS_ACCEPT : HS_IGNORE);
		uint8_t id[HS_ID_LEN];
		publish(&net, id, "c");
		CHECK_EQ(hs_node_held(net.n[V].node), 1);
		CHECK(hs_node_next_deadline(net.n[V].node) <= net.now + 10 * S);
		tn_advance(&net, 9 * S);
		CHECK_EQ(hs_node_held(net.n[V].node), 1);
		tn_advance(&net, 2 * S);
		CHECK_EQ(hs_node_held(net.n[V].node), 0);
		CHECK_EQ(stats(&net, V).validate_timeouts, 1);
		CHECK_EQ(net.n[C].deliveries, accept_default ? 1 : 0);
		CHECK_EQ(hs_node_verdict(net.n[V].node, id, HS_ACCEPT, net.now), HS_ERR_NOT_FOUND);
		tn_pump(&net);
		CHECK_EQ(net.n[C].deliveries, accept_default ? 1 : 0);
		CHECK_EQ(net.n[V].faults, 0);
		tn_free(&net);
	}
}

/* A full topic share gives the newcomer the default at once, counted; other topics still
 * hold; the held ones are untouched. */
static void test_overflow_default(void)
{
	struct tnet net;
	line(&net, HS_ACCEPT);
	uint8_t first[HS_ID_LEN], id[HS_ID_LEN];
	for (int i = 0; i < HS_VALIDATE_HELD_PER_TOPIC_MAX + 1; i++) {
		char p[16];
		snprintf(p, sizeof(p), "o%d", i);
		publish(&net, i == 0 ? first : id, p);
	}
	CHECK_EQ(hs_node_held(net.n[V].node), HS_VALIDATE_HELD_PER_TOPIC_MAX);
	CHECK_EQ(stats(&net, V).validate_overflows, 1);
	CHECK_EQ(net.n[C].deliveries, 1); /* the overflowing one got the default: accept */
	CHECK_MEM(net.n[C].last_rumor_id, id, HS_ID_LEN);
	CHECK_EQ(hs_node_verdict(net.n[V].node, id, HS_ACCEPT, net.now), HS_ERR_NOT_FOUND);
	uint8_t other[HS_ID_LEN];
	CHECK_EQ(hs_node_publish(net.n[O].node, other, "u", (const uint8_t *)"x", 1, net.now), 0);
	tn_pump(&net);
	CHECK_EQ(hs_node_held(net.n[V].node), HS_VALIDATE_HELD_PER_TOPIC_MAX + 1);
	CHECK_EQ(hs_node_verdict(net.n[V].node, first, HS_ACCEPT, net.now), 0);
	tn_pump(&net);
	CHECK_EQ(net.n[C].deliveries, 2);
	CHECK(hs_node_check(net.n[V].node));
	tn_free(&net); /* the held rumors are freed with the node (ASan checks) */
}

/* The relay leaves while its rumor is held: the verdict still applies, charging nobody. */
static void test_relay_gone(void)
{
	struct tnet net;
	line(&net, HS_IGNORE);
	uint8_t id[HS_ID_LEN];
	publish(&net, id, "d");
	CHECK_EQ(hs_node_held(net.n[V].node), 1);
	for (size_t i = 0; i < TN_LINKS; i++)
		if (net.links[i].used && net.links[i].a == R && net.links[i].b == V)
			tn_close_link(&net, &net.links[i]);
	tn_pump(&net);
	CHECK_EQ(hs_node_verdict(net.n[V].node, id, HS_ACCEPT, net.now), 0);
	tn_pump(&net);
	CHECK_EQ(net.n[C].deliveries, 1);
	tn_free(&net);
}

/* A node that never validates, or answers at once, holds nothing; the knobs are checked. */
static void test_config(void)
{
	struct hs_node_config cfg;
	hs_node_config_default(&cfg);
	CHECK_EQ(cfg.validate_timeout_ns, 2 * S);
	CHECK_EQ(cfg.validate_default, HS_IGNORE);
	struct tnet net = { .now = TN_T0 };
	tn_add(&net, "test", NULL);
	struct hs_node *n = NULL;
	const struct hs_caps caps = {
		.ctx = &net.n[0], .random = tn_random, .sign = tn_sign, .verify = tn_verify
	};
	hs_node_config_default(&cfg);
	cfg.network = "test";
	cfg.crypto = net.n[0].crypto;
	cfg.noise_static = net.n[0].noise;
	memcpy(cfg.identity, hs_identity_pubkey(net.n[0].id), 32);
	cfg.validate_default = HS_REJECT; /* would charge relays for our slow validator */
	CHECK_EQ(hs_node_new(&n, &cfg, &caps, net.now), HS_ERR_INVALID);
	cfg.validate_default = HS_PENDING;
	CHECK_EQ(hs_node_new(&n, &cfg, &caps, net.now), HS_ERR_INVALID);
	cfg.validate_default = HS_REJECT_ORIGIN;
	cfg.validate_timeout_ns = 0;
	CHECK_EQ(hs_node_new(&n, &cfg, &caps, net.now), HS_ERR_INVALID);
	cfg.validate_timeout_ns = 100 * MS;
	CHECK_EQ(hs_node_new(&n, &cfg, &caps, net.now), 0);
	hs_node_del(n);
	tn_free(&net);

	struct tnet l;
	line(&l, HS_IGNORE);
	answer = HS_ACCEPT; /* synchronous */
	uint8_t id[HS_ID_LEN];
	publish(&l, id, "e");
	CHECK_EQ(hs_node_held(l.n[V].node), 0);
	CHECK_EQ(l.n[C].deliveries, 1);
	CHECK_EQ(stats(&l, V).validate_held, 0);
	tn_free(&l);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_accept);
	RUN(test_reject_ignore);
	RUN(test_reject_origin_bans);
	RUN(test_timeout_default);
	RUN(test_overflow_default);
	RUN(test_relay_gone);
	RUN(test_config);
	return hs_test_done();
}

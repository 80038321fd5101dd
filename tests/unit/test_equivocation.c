/*
 * Equivocation proofs through the real core: an origin that signs two entries for one
 * (key, generation, version) is convicted by the first node that holds both; that node sends
 * the proof (frame type 15) to its peers, who check both signatures themselves and convict
 * the origin too — without trusting the reporter. A proof with a bad signature is the
 * sender's fault; one whose entries are out of order or for different slots is malformed.
 * New sessions are sent the proofs held.
 */
#include <string.h>

#include "harness.h"
#include "node_harness.h"
#include "overlay/msg.h"

/* An entry of node t for key "k" at generation 1, version 7, value v, signed by t. */
static size_t signed_entry(struct tnode *t, const char *v, uint8_t *out, size_t cap)
{
	struct hs_entry e = { .key = (const uint8_t *)"k",
		              .key_len = 1,
		              .generation = 1,
		              .version = 7,
		              .kind = HS_ENTRY_VALUE,
		              .value = (const uint8_t *)v,
		              .value_len = strlen(v) };
	memcpy(e.origin, hs_identity_pubkey(t->id), HS_KEY_LEN);
	size_t len;
	REQUIRE(hs_entry_encode(&e, out, cap, &len) == 0);
	struct hs_tag tag;
	REQUIRE(hs_tag_init(&tag, "state", "t") == 0);
	uint8_t digest[32];
	hs_tag_hash(&tag, digest, out, len - HS_SIG_LEN);
	REQUIRE(tn_sign(t, out + len - HS_SIG_LEN, digest) == 0);
	return len;
}

/* Sends one plaintext frame from node `from` over link l as is. */
static void send_frame(struct tnet *net, struct tlink *l, int from, const struct hs_msg *m)
{
	uint8_t frame[HS_FRAME_MAX];
	size_t len;
	REQUIRE(hs_msg_encode(m, frame, sizeof(frame), &len) == 0);
	uint64_t h = l->a == from ? l->pa : l->pb;
	REQUIRE(hs_node_send_raw(net->n[from].node, h, frame, len, net->now) == 0);
	tn_pump(net);
}

static void state_frame(struct tnet *net, struct tlink *l, int from, const uint8_t *enc, size_t len)
{
	struct hs_msg m = { .type = HS_MSG_STATE };
	m.u.state.count = 1;
	REQUIRE(hs_entry_decode(&m.u.state.entries[0], enc, len) == 0);
	send_frame(net, l, from, &m);
}

/* Whether node i bans identity id (the conviction: an equivocation weighs the ban threshold). */
static bool bans(struct tnet *net, int i, const uint8_t *id)
{
	struct hs_ban b[16];
	size_t n = hs_node_bans(net->n[i].node, b, 16, net->now);
	for (size_t k = 0; k < n && k < 16; k++)
		if (b[k].kind == HS_BAN_ID && memcmp(b[k].key, id, HS_KEY_LEN) == 0)
			return true;
	return false;
}

static struct hs_node_stats stats(struct tnet *net, int i)
{
	struct hs_node_stats st;
	hs_node_get_stats(net->n[i].node, &st);
	return st;
}

static void test_convicted_everywhere(void)
{
	struct tnet net = { .now = TN_T0 };
	for (int i = 0; i < 5; i++)
		tn_add(&net, "t", NULL);
	struct tlink *l01 = tn_connect(&net, 0, 1);
	tn_connect(&net, 1, 2);
	tn_connect(&net, 2, 3);
	tn_advance(&net, HS_NS_PER_S);
	const uint8_t *liar = hs_identity_pubkey(net.n[0].id);
	uint8_t a[256], b[256];
	size_t alen = signed_entry(&net.n[0], "red", a, sizeof(a));
	size_t blen = signed_entry(&net.n[0], "blue", b, sizeof(b));
	/* Node 0 tells node 1 two different values for one version. */
	state_frame(&net, l01, 0, a, alen);
	state_frame(&net, l01, 0, b, blen);
	tn_advance(&net, HS_NS_PER_S);
	CHECK_EQ(hs_node_equivocations(net.n[1].node), 1);
	CHECK(bans(&net, 1, liar));
	CHECK(stats(&net, 1).proofs_sent >= 1);
	/* Nodes 2 and 3 never saw both entries from the liar: the proof convicts it there. */
	for (int i = 2; i <= 3; i++) {
		CHECK_EQ(hs_node_equivocations(net.n[i].node), 1);
		CHECK_EQ(stats(&net, i).proofs_received, 1);
		CHECK(bans(&net, i, liar));
		CHECK_EQ(stats(&net, i).faults, 0); /* the relays are not charged */
	}
	/* Every node settles on the entry with the smaller id. */
	struct hs_entry e1, e3;
	CHECK_EQ(hs_node_get_state(net.n[1].node, liar, "k", &e1), 0);
	CHECK_EQ(hs_node_get_state(net.n[3].node, liar, "k", &e3), 0);
	CHECK_EQ(e1.value_len, e3.value_len);
	/* A node that connects later is sent the proof with its new session. */
	tn_connect(&net, 4, 3);
	tn_advance(&net, HS_NS_PER_S);
	CHECK_EQ(hs_node_equivocations(net.n[4].node), 1);
	CHECK(bans(&net, 4, liar));
	/* The proof goes round once: node 1 gets it back from node 2 and does nothing more. */
	CHECK_EQ(stats(&net, 1).proofs_received, 0);
	CHECK_EQ(hs_node_equivocations(net.n[1].node), 1);
	tn_free(&net);
}

static void test_bad_proofs(void)
{
	struct tnet net = { .now = TN_T0 };
	for (int i = 0; i < 3; i++)
		tn_add(&net, "t", NULL);
	struct tlink *l01 = tn_connect(&net, 0, 1);
	tn_advance(&net, HS_NS_PER_S);
	uint8_t a[256], b[256];
	size_t alen = signed_entry(&net.n[2], "red", a, sizeof(a));
	size_t blen = signed_entry(&net.n[2], "blue", b, sizeof(b));
	struct hs_msg m = { .type = HS_MSG_EQUIVOCATION };
	bool swap = memcmp(a, b, alen < blen ? alen : blen) > 0;
	REQUIRE(hs_entry_decode(&m.u.equivocation.a, swap ? b : a, swap ? blen : alen) == 0);
	REQUIRE(hs_entry_decode(&m.u.equivocation.b, swap ? a : b, swap ? alen : blen) == 0);
	uint8_t frame[1024];
	size_t len;
	REQUIRE(hs_msg_encode(&m, frame, sizeof(frame), &len) == 0);
	/* Reversed order: not canonical, so malformed (a fault of the sender, node 0). */
	struct hs_msg back;
	REQUIRE(hs_msg_decode(&back, frame, len) == 0);
	struct hs_msg rev = { .type = HS_MSG_EQUIVOCATION };
	rev.u.equivocation.a = back.u.equivocation.b;
	rev.u.equivocation.b = back.u.equivocation.a;
	uint8_t rframe[1024];
	CHECK_EQ(hs_msg_encode(&rev, rframe, sizeof(rframe), &len), HS_ERR_INVALID);
	/* Two entries for different versions prove nothing: the encoder refuses them. */
	rev.u.equivocation.b.version++;
	CHECK_EQ(hs_msg_encode(&rev, rframe, sizeof(rframe), &len), HS_ERR_INVALID);
	/* A proof whose second signature is broken: the sender's bad-signature fault. */
	m.u.equivocation.b.sig[5] ^= 1;
	send_frame(&net, l01, 0, &m);
	CHECK_EQ(stats(&net, 1).faults, 1);
	CHECK_EQ(hs_node_equivocations(net.n[1].node), 0);
	CHECK(bans(&net, 1, hs_identity_pubkey(net.n[0].id)));
	tn_free(&net);
}

int main(void)
{
	RUN(test_convicted_everywhere);
	RUN(test_bad_proofs);
	return hs_test_done();
}

/*
 * The hearsay handshake: a full run between two identities, the worked example of the protocol
 * document byte for byte, and every failure with its exact code. Messages the real code would
 * never write (another version, a malformed network field, trailing bytes, a bad proof) are
 * crafted with a raw Noise endpoint holding the fixture's keys, so they authenticate and reach
 * the payload checks.
 */
#include <sodium.h>

#include "../../fuzz/handshake_fixture.h"
#include "crypto/handshake.h"
#include "crypto/noise.h"
#include "harness.h"

#define PROLOGUE "hearsay/noise/1"

static struct hs_fix fix;

/* ---- helpers --------------------------------------------------------------------------- */

struct msg {
	uint8_t b[HS_HANDSHAKE_MSG_MAX];
	size_t len;
};

struct run {
	struct hs_handshake *init, *resp;
	struct msg m[3];
};

static void run_new(struct run *r)
{
	memset(r, 0, sizeof(*r));
	REQUIRE(hs_fix_handshake(&fix, true, &r->init) == 0);
	REQUIRE(hs_fix_handshake(&fix, false, &r->resp) == 0);
}

static void run_del(struct run *r)
{
	hs_handshake_del(r->init);
	hs_handshake_del(r->resp);
}

/* Writes step i (1..3) and, if deliver, reads it on the other side (which must succeed). */
static void run_step(struct run *r, unsigned i, bool deliver)
{
	struct hs_handshake *w = i % 2 == 1 ? r->init : r->resp;
	struct hs_handshake *rd = i % 2 == 1 ? r->resp : r->init;
	struct msg *m = &r->m[i - 1];
	REQUIRE(hs_handshake_write(w, m->b, sizeof(m->b), &m->len) == 0);
	REQUIRE(m->len >= 1 && m->b[0] == i);
	if (deliver)
		REQUIRE(hs_handshake_read(rd, m->b, m->len) == 0);
}

/* A run up to (and including the writing of) step i; steps before i are delivered. */
static void run_until(struct run *r, unsigned i)
{
	run_new(r);
	for (unsigned j = 1; j <= i; j++)
		run_step(r, j, j < i);
}

static size_t put_hello(uint8_t *p, uint8_t version, const char *network)
{
	size_t n = strlen(network);
	p[0] = version;
	p[1] = (uint8_t)n;
	memcpy(p + 2, network, n);
	return 2 + n;
}

static size_t put_proof(uint8_t *p, const uint8_t identity[32], const uint8_t sig[64])
{
	memcpy(p, identity, 32);
	memcpy(p + 32, sig, 64);
	return 96;
}

static struct hs_noise *raw_new(bool initiator, const uint8_t *ephemeral)
{
	struct hs_noise *n = NULL;
	REQUIRE(hs_noise_new(&n, HS_NOISE_BLAKE2B, initiator, (const uint8_t *)PROLOGUE,
	                     strlen(PROLOGUE), initiator ? hs_fix_init_static : hs_fix_resp_static,
	                     ephemeral) == 0);
	return n;
}

static void raw_write(struct hs_noise *n, uint8_t step, struct msg *out, const uint8_t *pl,
                      size_t pllen)
{
	size_t len;
	out->b[0] = step;
	REQUIRE(hs_noise_write(n, out->b + 1, sizeof(out->b) - 1, &len, pl, pllen) == 0);
	out->len = 1 + len;
}

static void raw_read(struct hs_noise *n, const struct msg *m)
{
	uint8_t pl[HS_HANDSHAKE_MSG_MAX];
	size_t pllen;
	REQUIRE(hs_noise_read(n, pl, sizeof(pl), &pllen, m->b + 1, m->len - 1) == 0);
}

/* Message 1 with any payload, from the fixture initiator's keys. */
static void craft_msg1(struct msg *out, const uint8_t *pl, size_t pllen)
{
	struct hs_noise *n = raw_new(true, hs_fix_init_ephemeral);
	raw_write(n, 1, out, pl, pllen);
	hs_noise_del(n);
}

/* The real initiator's message 1, answered by a raw responder with any payload. */
static void craft_msg2(struct run *r, struct msg *out, const uint8_t *pl, size_t pllen)
{
	run_until(r, 1);
	struct hs_noise *n = raw_new(false, hs_fix_resp_ephemeral);
	raw_read(n, &r->m[0]);
	raw_write(n, 2, out, pl, pllen);
	hs_noise_del(n);
}

/* A raw initiator talks to the real responder and sends message 3 with any payload. */
static void craft_msg3(struct run *r, struct msg *out, const uint8_t *pl, size_t pllen)
{
	uint8_t hello[64];
	size_t hlen = put_hello(hello, HS_PROTOCOL_VERSION, HS_FIX_NETWORK);
	memset(r, 0, sizeof(*r));
	REQUIRE(hs_fix_handshake(&fix, false, &r->resp) == 0);
	struct hs_noise *n = raw_new(true, hs_fix_init_ephemeral);
	raw_write(n, 1, &r->m[0], hello, hlen);
	REQUIRE(hs_handshake_read(r->resp, r->m[0].b, r->m[0].len) == 0);
	REQUIRE(hs_handshake_write(r->resp, r->m[1].b, sizeof(r->m[1].b), &r->m[1].len) == 0);
	raw_read(n, &r->m[1]);
	raw_write(n, 3, out, pl, pllen);
	hs_noise_del(n);
}

/* After a failure nothing works any more, not even the genuine message. */
static void check_dead(struct hs_handshake *hs, const struct msg *genuine)
{
	uint8_t buf[HS_HANDSHAKE_MSG_MAX];
	size_t len = 5;
	struct hs_transport *t = (struct hs_transport *)&len;
	uint8_t id[32];
	CHECK(!hs_handshake_wants_write(hs));
	CHECK(!hs_handshake_is_done(hs));
	CHECK_EQ(hs_handshake_read(hs, genuine->b, genuine->len), HS_ERR_STATE);
	CHECK_EQ(hs_handshake_write(hs, buf, sizeof(buf), &len), HS_ERR_STATE);
	CHECK_EQ(len, 0);
	CHECK_EQ(hs_handshake_finish(hs, &t, id), HS_ERR_STATE);
	CHECK(t == NULL);
}

/* ---- success ------------------------------------------------------------------------------ */

static void test_full_handshake(void)
{
	struct run r;
	struct hs_transport *ti = NULL, *tr = NULL;
	uint8_t id_i[32], id_r[32], ct[128], pt[128];
	size_t ctlen, ptlen;

	run_new(&r);
	CHECK(hs_handshake_wants_write(r.init));
	CHECK(!hs_handshake_wants_write(r.resp));
	run_step(&r, 1, true);
	CHECK(!hs_handshake_wants_write(r.init));
	CHECK(hs_handshake_wants_write(r.resp));
	run_step(&r, 2, true);
	CHECK(hs_handshake_wants_write(r.init));
	CHECK(!hs_handshake_is_done(r.init));
	run_step(&r, 3, false);
	/* The initiator is done once it has written message 3; the responder once it reads it. */
	CHECK(hs_handshake_is_done(r.init));
	CHECK(!hs_handshake_is_done(r.resp));
	CHECK_EQ(hs_handshake_read(r.resp, r.m[2].b, r.m[2].len), 0);
	CHECK(hs_handshake_is_done(r.resp));
	CHECK(!hs_handshake_wants_write(r.init) && !hs_handshake_wants_write(r.resp));
	/* Sizes for a 4-byte network (docs/protocol-handshake.md). */
	CHECK_EQ(r.m[0].len, 1 + 32 + 1 + 1 + 4);
	CHECK_EQ(r.m[1].len, 1 + 32 + 48 + (1 + 1 + 4 + 32 + 64) + 16);
	CHECK_EQ(r.m[2].len, 1 + 48 + (32 + 64) + 16);

	CHECK_EQ(hs_handshake_finish(r.init, &ti, id_i), 0);
	CHECK_EQ(hs_handshake_finish(r.resp, &tr, id_r), 0);
	REQUIRE(ti != NULL && tr != NULL);
	CHECK_MEM(id_i, hs_identity_pubkey(fix.resp.id), 32);
	CHECK_MEM(id_r, hs_identity_pubkey(fix.init.id), 32);
	CHECK(hs_handshake_is_done(r.init)); /* still true after finish */

	for (int round = 0; round < 3; round++) {
		CHECK_EQ(hs_transport_encrypt(ti, ct, sizeof(ct), &ctlen, (const uint8_t *)"ping",
		                              4),
		         0);
		CHECK_EQ(hs_transport_decrypt(tr, pt, sizeof(pt), &ptlen, ct, ctlen), 0);
		CHECK(ptlen == 4 && memcmp(pt, "ping", 4) == 0);
		CHECK_EQ(hs_transport_encrypt(tr, ct, sizeof(ct), &ctlen, (const uint8_t *)"pong!",
		                              5),
		         0);
		CHECK_EQ(hs_transport_decrypt(ti, pt, sizeof(pt), &ptlen, ct, ctlen), 0);
		CHECK(ptlen == 5 && memcmp(pt, "pong!", 5) == 0);
	}
	hs_transport_del(ti);
	hs_transport_del(tr);
	run_del(&r);
}

static void test_after_completion(void)
{
	struct run r;
	struct hs_transport *t = NULL;
	uint8_t buf[HS_HANDSHAKE_MSG_MAX], id[32];
	size_t len = 9;

	run_until(&r, 3);
	REQUIRE(hs_handshake_read(r.resp, r.m[2].b, r.m[2].len) == 0);
	/* More handshake messages, genuine or not, are refused without harming the session. */
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(hs_handshake_read(r.init, r.m[i].b, r.m[i].len), HS_ERR_HS_DONE);
		CHECK_EQ(hs_handshake_read(r.resp, r.m[i].b, r.m[i].len), HS_ERR_HS_DONE);
	}
	CHECK_EQ(hs_handshake_read(r.resp, buf, 0), HS_ERR_HS_DONE);
	CHECK_EQ(hs_handshake_write(r.init, buf, sizeof(buf), &len), HS_ERR_HS_DONE);
	CHECK_EQ(len, 0);
	CHECK_EQ(hs_handshake_write(r.resp, buf, sizeof(buf), &len), HS_ERR_HS_DONE);
	CHECK(hs_handshake_is_done(r.init) && hs_handshake_is_done(r.resp));
	CHECK_EQ(hs_handshake_finish(r.resp, &t, id), 0);
	CHECK_MEM(id, hs_identity_pubkey(fix.init.id), 32);
	hs_transport_del(t);
	/* Finish is once; after it, handshake messages are still HS_ERR_HS_DONE. */
	CHECK_EQ(hs_handshake_finish(r.resp, &t, id), HS_ERR_STATE);
	CHECK(t == NULL);
	CHECK_EQ(hs_handshake_read(r.resp, r.m[2].b, r.m[2].len), HS_ERR_HS_DONE);
	CHECK_EQ(hs_handshake_write(r.resp, buf, sizeof(buf), &len), HS_ERR_HS_DONE);
	run_del(&r);
}

/* ---- the worked example in docs/protocol-handshake.md -------------------------------------- */

static const char *const example_hex[5] = {
	/* message 1 (39 bytes) */
	"01"
	"197fc2c567dc03ee2aadf0ed86681dac24daa76e83ca555875dd3be7376e5306"
	"01046d61696e",
	/* message 2 (199 bytes) */
	"02"
	"9a4503a98ab10fe8d354c9c42cbd0c9d7944f52e7d14d8ea59775e7dc9e3bf4b"
	"8d5622b93938bedc22bc6bc61bcb5c965b54a6fcf16b2fbeaa038c88e61a1086"
	"7fb1cff753e3e1f6e62d689bd7d742897fd55753c62219945d2621dc51467c06"
	"e6786371392a32708936eeb4416fe81ee7f8dd470304a179094bab7478a39407"
	"8be1f519138f1247113455ab11ca412999bacb064626bf999a419ecb0c94b9dd"
	"35460196407d386a468f774d089fa77208cfefab46381da619ef32faf1c1da92"
	"a972107ebde2",
	/* message 3 (161 bytes) */
	"03"
	"1376e543872c43852ee7b9846bc8c04e4c7cbbae8c69c66c1aea817cdbaa04c7"
	"20c505647b797040893e14ad4b7f1f7f4bfa26c15e4e9ed9704c099d9ea64cfd"
	"dd4a0ccb9081c5553f5298270dbe2a9f23b79ea1480b1b5c0ee7144f59ca7225"
	"339c32bbe11cd1514b0297dc0fcb432a958c6c3190b0a766181db7802ee84198"
	"08fbab7d929e57894b46124949181acf1add73cf220e09b32f0a4fe23e310695",
	/* first transport message, initiator to responder: "ping" */
	"3fc2ff84ce876bf6e075e26487d4d3acdcdabcbb",
	/* first transport message, responder to initiator: "pong" */
	"c3bad06f9028bfdfb30392a74c96557a26e2f41f",
};

/* docs/PROTOCOL.md (§3.7), whitespace removed, must contain each message: the example there is
 * the one this test checks. A missing document fails the test. */
static bool doc_has(const char *hex)
{
	char *text = hs_test_slurp(HS_SOURCE_DIR "/docs/PROTOCOL.md", NULL);
	REQUIRE(text != NULL);
	size_t w = 0;
	for (size_t i = 0; text[i]; i++)
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r')
			text[w++] = text[i];
	text[w] = '\0';
	bool found = strstr(text, hex) != NULL;
	free(text);
	return found;
}

static void test_worked_example(void)
{
	struct run r;
	char hex[2 * HS_HANDSHAKE_MSG_MAX + 1];
	struct hs_transport *ti, *tr;
	uint8_t id[32], ct[64];
	size_t ctlen;

	run_until(&r, 3);
	REQUIRE(hs_handshake_read(r.resp, r.m[2].b, r.m[2].len) == 0);
	/* Message 1 in clear: the initiator's ephemeral public key, then 01 04 "main". */
	uint8_t epub[32];
	REQUIRE(hs_x25519_public(epub, hs_fix_init_ephemeral) == 0);
	CHECK_MEM(r.m[0].b + 1, epub, 32);
	CHECK_MEM(r.m[0].b + 33, "\x01\x04main", 6);
	REQUIRE(hs_x25519_public(epub, hs_fix_resp_ephemeral) == 0);
	CHECK_MEM(r.m[1].b + 1, epub, 32);
	for (unsigned i = 0; i < 3; i++) {
		hs_test_hex(hex, r.m[i].b, r.m[i].len);
		if (strcmp(hex, example_hex[i]) != 0)
			fprintf(stderr, "message %u is\n%s\n", i + 1, hex);
		CHECK(strcmp(hex, example_hex[i]) == 0);
		CHECK(doc_has(example_hex[i]));
	}
	/* The first transport message of each side, also in the document. */
	REQUIRE(hs_handshake_finish(r.init, &ti, id) == 0);
	REQUIRE(hs_handshake_finish(r.resp, &tr, id) == 0);
	REQUIRE(hs_transport_encrypt(ti, ct, sizeof(ct), &ctlen, (const uint8_t *)"ping", 4) == 0);
	hs_test_hex(hex, ct, ctlen);
	CHECK(strcmp(hex, example_hex[3]) == 0);
	CHECK(doc_has(example_hex[3]));
	REQUIRE(hs_transport_encrypt(tr, ct, sizeof(ct), &ctlen, (const uint8_t *)"pong", 4) == 0);
	hs_test_hex(hex, ct, ctlen);
	CHECK(strcmp(hex, example_hex[4]) == 0);
	CHECK(doc_has(example_hex[4]));
	hs_transport_del(ti);
	hs_transport_del(tr);
	run_del(&r);
}

/* The keys, proofs and handshake hash the document lists, and the same three messages from a
 * plain Noise XX run carrying the documented payloads: the hearsay layer adds exactly one step
 * byte to each Noise message. */
static void test_worked_example_parts(void)
{
	static const char *const listed[][2] = {
		{ "initiator identity",
		  "4f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa" },
		{ "initiator static",
		  "052a50773ac8d91773f2dc9662e12f0defe915e415b8a1c8e20a5a3d6ab2b843" },
		{ "initiator proof",
		  "ac41951ed1593eb2fbc8e6f7d6063e1773bdd7230a5351275826e890f3f88921"
		  "7dbe49bec93fe13f2b766706b025c60fc63d4c4dcd22b77142a265d403da6a80" },
		{ "responder identity",
		  "8d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7" },
		{ "responder static",
		  "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20" },
		{ "responder proof",
		  "69dabe02dc9690f3acc0dceb5a05a7c7a473a77db0e3a890a4dc9f9dcdbc3b27"
		  "a7f259c59e8863823e2200f064e46ba8204f351dfdab29fac10bf8a110be46af" },
	};
	static const char hash_hex[] =
	        "b771f5b5e5eca95a07ec0dfbfc3a589c7e038e853ee9037fa3ce8beb9e12a6aa"
	        "a0ef6e22d9591c9e8b2a27c4f293091eec6e2b652ca2bbfa9866c13569b69309";
	const uint8_t *values[] = {
		hs_identity_pubkey(fix.init.id), hs_noise_static_pubkey(fix.init.s), fix.init.sig,
		hs_identity_pubkey(fix.resp.id), hs_noise_static_pubkey(fix.resp.s), fix.resp.sig
	};
	char hex[2 * HS_HANDSHAKE_MSG_MAX + 1];

	for (size_t i = 0; i < 6; i++) {
		hs_test_hex(hex, values[i], strlen(listed[i][1]) / 2);
		if (strcmp(hex, listed[i][1]) != 0)
			fprintf(stderr, "%s is %s\n", listed[i][0], hex);
		CHECK(strcmp(hex, listed[i][1]) == 0);
		CHECK(doc_has(listed[i][1]));
	}

	struct hs_noise *ni = raw_new(true, hs_fix_init_ephemeral);
	struct hs_noise *nr = raw_new(false, hs_fix_resp_ephemeral);
	uint8_t pl[3][160], h1[64], h2[64];
	size_t plen[3];
	struct msg m;
	plen[0] = put_hello(pl[0], HS_PROTOCOL_VERSION, HS_FIX_NETWORK);
	plen[1] = put_hello(pl[1], HS_PROTOCOL_VERSION, HS_FIX_NETWORK);
	plen[1] += put_proof(pl[1] + plen[1], hs_identity_pubkey(fix.resp.id), fix.resp.sig);
	plen[2] = put_proof(pl[2], hs_identity_pubkey(fix.init.id), fix.init.sig);
	for (unsigned i = 0; i < 3; i++) {
		raw_write(i % 2 == 0 ? ni : nr, (uint8_t)(i + 1), &m, pl[i], plen[i]);
		raw_read(i % 2 == 0 ? nr : ni, &m);
		hs_test_hex(hex, m.b, m.len);
		CHECK(strcmp(hex, example_hex[i]) == 0);
	}
	CHECK_EQ(hs_noise_handshake_hash(ni, h1), 64);
	CHECK_EQ(hs_noise_handshake_hash(nr, h2), 64);
	CHECK_MEM(h1, h2, 64);
	hs_test_hex(hex, h1, 64);
	CHECK(strcmp(hex, hash_hex) == 0);
	CHECK(doc_has(hash_hex));
	hs_noise_del(ni);
	hs_noise_del(nr);
}

/* ---- network and version ------------------------------------------------------------------ */

static void test_network_mismatch(void)
{
	struct hs_fix_side other;
	struct hs_handshake *init, *resp;
	struct msg m1, m2;
	uint8_t pl[128];
	size_t plen;
	struct run r;

	/* Responder on "main", initiator on "test": the responder refuses message 1. */
	memset(&other, 0, sizeof(other));
	REQUIRE(hs_fix_side_new(&other, fix.crypto, hs_fix_init_identity, hs_fix_init_static,
	                        "test") == 0);
	REQUIRE(hs_handshake_new(&init, &other.cfg, true, hs_fix_init_ephemeral) == 0);
	REQUIRE(hs_fix_handshake(&fix, false, &resp) == 0);
	REQUIRE(hs_handshake_write(init, m1.b, sizeof(m1.b), &m1.len) == 0);
	unsigned version = 9;
	const char *network = NULL;
	CHECK(!hs_handshake_peer_hello(resp, &version, &network)); /* nothing read yet */
	CHECK_EQ(hs_handshake_read(resp, m1.b, m1.len), HS_ERR_HS_NETWORK);
	check_dead(resp, &m1);
	/* What the peer said stays readable after the failure, for the log. */
	CHECK(hs_handshake_peer_hello(resp, &version, &network));
	CHECK_EQ(version, (unsigned)HS_PROTOCOL_VERSION);
	CHECK(strcmp(network, "test") == 0);
	hs_handshake_del(resp);
	hs_handshake_del(init);

	/* A name that only shares a prefix, or is longer, is another network too. */
	static const char *const names[] = { "mai", "mainx", "MAIN", "main2" };
	for (size_t i = 0; i < 4; i++) {
		plen = put_hello(pl, HS_PROTOCOL_VERSION, names[i]);
		craft_msg1(&m1, pl, plen);
		REQUIRE(hs_fix_handshake(&fix, false, &resp) == 0);
		CHECK_EQ(hs_handshake_read(resp, m1.b, m1.len), HS_ERR_HS_NETWORK);
		hs_handshake_del(resp);
	}

	/* The initiator checks message 2 the same way: a responder on "test" with a valid
	 * proof for "test". */
	plen = put_hello(pl, HS_PROTOCOL_VERSION, "test");
	plen += put_proof(pl + plen, hs_identity_pubkey(other.id), other.sig);
	craft_msg2(&r, &m2, pl, plen);
	CHECK_EQ(hs_handshake_read(r.init, m2.b, m2.len), HS_ERR_HS_NETWORK);
	check_dead(r.init, &m2);
	run_del(&r);
	hs_identity_del(other.id);
	hs_noise_static_del(other.s);
}

static void test_version_mismatch(void)
{
	static const uint8_t versions[] = { 0, 2, 0x80, 0xff };
	struct hs_handshake *resp;
	struct msg m;
	uint8_t pl[128];
	struct run r;

	for (size_t i = 0; i < sizeof(versions); i++) {
		size_t plen = put_hello(pl, versions[i], HS_FIX_NETWORK);
		craft_msg1(&m, pl, plen);
		REQUIRE(hs_fix_handshake(&fix, false, &resp) == 0);
		CHECK_EQ(hs_handshake_read(resp, m.b, m.len), HS_ERR_HS_VERSION);
		check_dead(resp, &m);
		unsigned version = 1000;
		const char *network = NULL;
		CHECK(hs_handshake_peer_hello(resp, &version, &network));
		CHECK_EQ(version, (unsigned)versions[i]); /* and no network: not read past it */
		CHECK_EQ(network[0], '\0');
		hs_handshake_del(resp);

		/* Another version may lay out the rest differently: only the version byte. */
		craft_msg1(&m, &versions[i], 1);
		REQUIRE(hs_fix_handshake(&fix, false, &resp) == 0);
		CHECK_EQ(hs_handshake_read(resp, m.b, m.len), HS_ERR_HS_VERSION);
		hs_handshake_del(resp);

		plen = put_hello(pl, versions[i], HS_FIX_NETWORK);
		plen += put_proof(pl + plen, hs_identity_pubkey(fix.resp.id), fix.resp.sig);
		craft_msg2(&r, &m, pl, plen);
		CHECK_EQ(hs_handshake_read(r.init, m.b, m.len), HS_ERR_HS_VERSION);
		check_dead(r.init, &m);
		run_del(&r);
	}
}

/* The crafted control case: the same raw endpoints with the genuine payloads succeed, so the
 * failures above come from the field under test and not from the crafting. */
static void test_crafted_genuine(void)
{
	uint8_t pl[160];
	size_t plen;
	struct msg m;
	struct run r;
	struct hs_handshake *resp;

	plen = put_hello(pl, HS_PROTOCOL_VERSION, HS_FIX_NETWORK);
	craft_msg1(&m, pl, plen);
	REQUIRE(hs_fix_handshake(&fix, false, &resp) == 0);
	CHECK_EQ(hs_handshake_read(resp, m.b, m.len), 0);
	hs_handshake_del(resp);

	plen = put_hello(pl, HS_PROTOCOL_VERSION, HS_FIX_NETWORK);
	plen += put_proof(pl + plen, hs_identity_pubkey(fix.resp.id), fix.resp.sig);
	craft_msg2(&r, &m, pl, plen);
	CHECK_EQ(hs_handshake_read(r.init, m.b, m.len), 0);
	run_del(&r);

	plen = put_proof(pl, hs_identity_pubkey(fix.init.id), fix.init.sig);
	craft_msg3(&r, &m, pl, plen);
	CHECK_EQ(hs_handshake_read(r.resp, m.b, m.len), 0);
	CHECK(hs_handshake_is_done(r.resp));
	run_del(&r);
}

/* ---- malformed payloads -------------------------------------------------------------------- */

static void test_malformed_payloads(void)
{
	struct {
		uint8_t pl[64];
		size_t len;
		int want;
	} cases[] = {
		{ { 1 }, 0, HS_ERR_TRUNCATED },          /* empty */
		{ { 1 }, 1, HS_ERR_TRUNCATED },          /* version only */
		{ { 1, 0 }, 2, HS_ERR_BAD_VALUE },       /* empty network */
		{ { 1, 33 }, 2 + 33, HS_ERR_BAD_VALUE }, /* over HS_NETWORK_MAX */
		{ { 1, 0x84, 0x00, 'm', 'a', 'i', 'n' },
		  7,
		  HS_ERR_BAD_VALUE }, /* 2-byte varint 4 */
		{ { 1, 0xff }, 2, HS_ERR_BAD_VALUE },
		{ { 1, 4, 'm', 'a', 'i' }, 5, HS_ERR_TRUNCATED },
		{ { 1, 4, 'm', 'a', 0x01, 'n' }, 6, HS_ERR_BAD_VALUE }, /* not a printable name */
		{ { 1, 4, 'm', ' ', 'i', 'n' }, 6, HS_ERR_BAD_VALUE },
		{ { 1, 4, 'm', 'a', 'i', 'n', 0 }, 7, HS_ERR_TRAILING },
	};
	struct hs_handshake *resp;
	struct msg m;
	struct run r;
	uint8_t pl[256];

	memset(cases[3].pl + 2, 'a', 33);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		craft_msg1(&m, cases[i].pl, cases[i].len);
		REQUIRE(hs_fix_handshake(&fix, false, &resp) == 0);
		CHECK_EQ(hs_handshake_read(resp, m.b, m.len), cases[i].want);
		hs_handshake_del(resp);
	}

	/* Message 2: each prefix of a valid payload is truncated, one byte more is trailing. */
	size_t full = put_hello(pl, HS_PROTOCOL_VERSION, HS_FIX_NETWORK);
	full += put_proof(pl + full, hs_identity_pubkey(fix.resp.id), fix.resp.sig);
	for (size_t len = 0; len <= full + 1; len++) {
		if (len == full)
			continue;
		pl[full] = 0;
		craft_msg2(&r, &m, pl, len);
		CHECK_EQ(hs_handshake_read(r.init, m.b, m.len),
		         len < full ? HS_ERR_TRUNCATED : HS_ERR_TRAILING);
		run_del(&r);
	}

	/* Message 3 likewise. */
	full = put_proof(pl, hs_identity_pubkey(fix.init.id), fix.init.sig);
	for (size_t len = 0; len <= full + 1; len += (len < 30 || len > 90) ? 1 : 7) {
		if (len == full)
			continue;
		pl[full] = 0x42;
		craft_msg3(&r, &m, pl, len);
		CHECK_EQ(hs_handshake_read(r.resp, m.b, m.len),
		         len < full ? HS_ERR_TRUNCATED : HS_ERR_TRAILING);
		check_dead(r.resp, &m);
		run_del(&r);
	}
}

/* ---- identity proofs ---------------------------------------------------------------------- */

/* Message 2 from a raw responder with a good hello and the given proof: the initiator's code. */
static int read_msg2_with_proof(const uint8_t identity[32], const uint8_t sig[64])
{
	uint8_t pl[256];
	struct msg m;
	struct run r;
	size_t plen = put_hello(pl, HS_PROTOCOL_VERSION, HS_FIX_NETWORK);
	plen += put_proof(pl + plen, identity, sig);
	craft_msg2(&r, &m, pl, plen);
	int err = hs_handshake_read(r.init, m.b, m.len);
	if (err != 0)
		check_dead(r.init, &m);
	run_del(&r);
	return err;
}

/* Message 3 from a raw initiator with the given proof: the responder's code. */
static int read_msg3_with_proof(const uint8_t identity[32], const uint8_t sig[64])
{
	uint8_t pl[128];
	struct msg m;
	struct run r;
	craft_msg3(&r, &m, pl, put_proof(pl, identity, sig));
	int err = hs_handshake_read(r.resp, m.b, m.len);
	if (err != 0)
		check_dead(r.resp, &m);
	run_del(&r);
	return err;
}

static void test_bad_identity_msg2(void)
{
	const uint8_t *resp_id = hs_identity_pubkey(fix.resp.id);
	uint8_t sig[64], bad_key[32];

	CHECK_EQ(read_msg2_with_proof(resp_id, fix.resp.sig), 0); /* the control */
	/* A proof made for another static key (the initiator's). */
	REQUIRE(hs_handshake_prove(fix.crypto, fix.resp.id, HS_FIX_NETWORK, fix.init.s, hs_fix_aux,
	                           sig) == 0);
	CHECK_EQ(read_msg2_with_proof(resp_id, sig), HS_ERR_HS_IDENTITY);
	/* A proof for another network. */
	REQUIRE(hs_handshake_prove(fix.crypto, fix.resp.id, "test", fix.resp.s, hs_fix_aux, sig) ==
	        0);
	CHECK_EQ(read_msg2_with_proof(resp_id, sig), HS_ERR_HS_IDENTITY);
	/* Someone else's valid proof (the initiator's, covering the initiator's static key). */
	CHECK_EQ(read_msg2_with_proof(hs_identity_pubkey(fix.init.id), fix.init.sig),
	         HS_ERR_HS_IDENTITY);
	/* The right signature under another identity key. */
	CHECK_EQ(read_msg2_with_proof(hs_identity_pubkey(fix.init.id), fix.resp.sig),
	         HS_ERR_HS_IDENTITY);
	/* An identity key that does not parse (x >= p), and a flipped signature bit. */
	memset(bad_key, 0xff, 32);
	CHECK_EQ(read_msg2_with_proof(bad_key, fix.resp.sig), HS_ERR_HS_IDENTITY);
	memcpy(sig, fix.resp.sig, 64);
	sig[63] ^= 1;
	CHECK_EQ(read_msg2_with_proof(resp_id, sig), HS_ERR_HS_IDENTITY);
}

static void test_bad_identity_msg3(void)
{
	const uint8_t *init_id = hs_identity_pubkey(fix.init.id);
	struct hs_noise_static *wrong_static;
	uint8_t sig[64];

	CHECK_EQ(read_msg3_with_proof(init_id, fix.init.sig), 0); /* the control */
	/* The initiator's proof made for another static key, then for another network. */
	REQUIRE(hs_noise_static_new(&wrong_static, hs_fix_resp_ephemeral) == 0);
	REQUIRE(hs_handshake_prove(fix.crypto, fix.init.id, HS_FIX_NETWORK, wrong_static,
	                           hs_fix_aux, sig) == 0);
	hs_noise_static_del(wrong_static);
	CHECK_EQ(read_msg3_with_proof(init_id, sig), HS_ERR_HS_IDENTITY);
	REQUIRE(hs_handshake_prove(fix.crypto, fix.init.id, "test", fix.init.s, hs_fix_aux, sig) ==
	        0);
	CHECK_EQ(read_msg3_with_proof(init_id, sig), HS_ERR_HS_IDENTITY);
	CHECK_EQ(read_msg3_with_proof(hs_identity_pubkey(fix.resp.id), fix.init.sig),
	         HS_ERR_HS_IDENTITY);

	/* The real code with a wrong proof in its config: the peer refuses it. */
	struct hs_handshake_config cfg = fix.init.cfg;
	struct hs_handshake *init, *resp;
	struct msg m1, m2, m3;
	cfg.identity_sig = sig; /* made for "test" */
	REQUIRE(hs_handshake_new(&init, &cfg, true, hs_fix_init_ephemeral) == 0);
	REQUIRE(hs_fix_handshake(&fix, false, &resp) == 0);
	REQUIRE(hs_handshake_write(init, m1.b, sizeof(m1.b), &m1.len) == 0);
	REQUIRE(hs_handshake_read(resp, m1.b, m1.len) == 0);
	REQUIRE(hs_handshake_write(resp, m2.b, sizeof(m2.b), &m2.len) == 0);
	REQUIRE(hs_handshake_read(init, m2.b, m2.len) == 0);
	REQUIRE(hs_handshake_write(init, m3.b, sizeof(m3.b), &m3.len) == 0);
	CHECK_EQ(hs_handshake_read(resp, m3.b, m3.len), HS_ERR_HS_IDENTITY);
	check_dead(resp, &m3);
	hs_handshake_del(init);
	hs_handshake_del(resp);
}

/* ---- framing, order and replay ------------------------------------------------------------ */

static void test_truncated(void)
{
	/* Message i's Noise part must hold its tokens: 32, 32 + 48 + 16, 48 + 16 bytes. */
	static const size_t noise_min[3] = { 32, 96, 64 };
	for (unsigned i = 1; i <= 3; i++) {
		struct run r;
		run_until(&r, i);
		size_t full = r.m[i - 1].len;
		run_del(&r);
		for (size_t len = 0; len < full; len++) {
			run_until(&r, i);
			struct hs_handshake *rd = i % 2 == 1 ? r.resp : r.init;
			int want = len < 1 + noise_min[i - 1] ? HS_ERR_TRUNCATED : HS_ERR_DECRYPT;
			if (i == 1 && len >= 1 + noise_min[0])
				want = HS_ERR_TRUNCATED; /* cleartext payload cut short */
			CHECK_EQ(hs_handshake_read(rd, r.m[i - 1].b, len), want);
			check_dead(rd, &r.m[i - 1]);
			run_del(&r);
		}
	}
}

static void test_oversize_and_unknown_step(void)
{
	static uint8_t big[65537];
	struct run r;

	run_until(&r, 1);
	memcpy(big, r.m[0].b, r.m[0].len);
	CHECK_EQ(hs_handshake_read(r.resp, big, sizeof(big)), HS_ERR_TOO_LARGE);
	check_dead(r.resp, &r.m[0]);
	run_del(&r);
	/* Longer than any valid handshake message, though under the Noise limit. */
	static const size_t lens[] = { HS_HANDSHAKE_MSG_MAX + 1, 1000, 65536 };
	for (size_t i = 0; i < 3; i++) {
		run_until(&r, 1);
		CHECK_EQ(hs_handshake_read(r.resp, big, lens[i]), HS_ERR_TOO_LARGE);
		run_del(&r);
	}
	/* HS_HANDSHAKE_MSG_MAX itself passes the length check (and then fails its payload). */
	run_until(&r, 1);
	memset(big + r.m[0].len, 0, HS_HANDSHAKE_MSG_MAX - r.m[0].len);
	CHECK_EQ(hs_handshake_read(r.resp, big, HS_HANDSHAKE_MSG_MAX), HS_ERR_TRAILING);
	run_del(&r);

	static const uint8_t steps[] = { 0, 4, 5, 0x81, 0xff };
	for (size_t i = 0; i < sizeof(steps); i++) {
		run_until(&r, 1);
		struct msg m = r.m[0];
		m.b[0] = steps[i];
		CHECK_EQ(hs_handshake_read(r.resp, m.b, m.len), HS_ERR_BAD_VALUE);
		check_dead(r.resp, &r.m[0]);
		run_del(&r);
		/* A lone unknown step byte too. */
		run_until(&r, 1);
		CHECK_EQ(hs_handshake_read(r.resp, m.b, 1), HS_ERR_BAD_VALUE);
		run_del(&r);
	}
}

static void test_replay_and_order(void)
{
	struct run r, other;

	/* Message 1 replayed to a responder that already read it. */
	run_until(&r, 1);
	REQUIRE(hs_handshake_read(r.resp, r.m[0].b, r.m[0].len) == 0);
	CHECK_EQ(hs_handshake_read(r.resp, r.m[0].b, r.m[0].len), HS_ERR_HS_REPLAY);
	check_dead(r.resp, &r.m[0]);
	run_del(&r);

	/* ... and after it wrote message 2: messages 1 and 2 are both behind it. */
	for (unsigned i = 0; i < 2; i++) {
		run_until(&r, 2);
		CHECK_EQ(hs_handshake_read(r.resp, r.m[i].b, r.m[i].len), HS_ERR_HS_REPLAY);
		run_del(&r);
	}
	/* Message 2 replayed to the initiator that read it; its own message 1 reflected. */
	run_until(&r, 3);
	CHECK_EQ(hs_handshake_read(r.init, r.m[1].b, r.m[1].len), HS_ERR_HS_DONE);
	run_del(&r);
	run_until(&r, 2);
	REQUIRE(hs_handshake_read(r.init, r.m[1].b, r.m[1].len) == 0);
	CHECK_EQ(hs_handshake_read(r.init, r.m[1].b, r.m[1].len), HS_ERR_HS_REPLAY);
	run_del(&r);
	run_until(&r, 1);
	CHECK_EQ(hs_handshake_read(r.init, r.m[0].b, r.m[0].len), HS_ERR_HS_REPLAY);
	run_del(&r);

	/* Message 3 before message 2 was written (taken from a completed session). */
	run_until(&other, 3);
	run_until(&r, 1);
	REQUIRE(hs_handshake_read(r.resp, r.m[0].b, r.m[0].len) == 0);
	CHECK_EQ(hs_handshake_read(r.resp, other.m[2].b, other.m[2].len), HS_ERR_HS_ORDER);
	check_dead(r.resp, &r.m[0]);
	run_del(&r);
	/* A fresh responder gets message 2 or 3; a fresh initiator gets anything. */
	for (unsigned i = 0; i < 3; i++) {
		run_new(&r);
		if (i > 0)
			CHECK_EQ(hs_handshake_read(r.resp, other.m[i].b, other.m[i].len),
			         HS_ERR_HS_ORDER);
		CHECK_EQ(hs_handshake_read(r.init, other.m[i].b, other.m[i].len), HS_ERR_HS_ORDER);
		run_del(&r);
	}
	/* The responder that read message 1 gets a message 2 (its own step). */
	run_until(&r, 1);
	REQUIRE(hs_handshake_read(r.resp, r.m[0].b, r.m[0].len) == 0);
	CHECK_EQ(hs_handshake_read(r.resp, other.m[1].b, other.m[1].len), HS_ERR_HS_ORDER);
	run_del(&r);
	/* The initiator waiting for message 2 gets message 3. */
	run_until(&r, 1);
	CHECK_EQ(hs_handshake_read(r.init, other.m[2].b, other.m[2].len), HS_ERR_HS_ORDER);
	run_del(&r);
	run_del(&other);
}

/* Table test of the step rule against a naive model, for both roles in every state. */
static int model_step(bool initiator, unsigned next, unsigned step)
{
	if (next == 4)
		return HS_ERR_HS_DONE;
	if (step == 0 || step > 3)
		return HS_ERR_BAD_VALUE;
	if (step < next)
		return HS_ERR_HS_REPLAY;
	if (step > next)
		return HS_ERR_HS_ORDER;
	bool initiators_step = step == 1 || step == 3;
	return initiators_step == initiator ? HS_ERR_HS_ORDER : 0;
}

static void test_step_model(void)
{
	for (int role = 0; role < 2; role++) {
		bool initiator = role == 0;
		for (unsigned next = 1; next <= 4; next++) {
			for (unsigned step = 0; step <= 5; step++) {
				struct run r;
				run_new(&r);
				/* Bring both sides to `next`, delivering everything. */
				for (unsigned j = 1; j < next; j++)
					run_step(&r, j, true);
				struct hs_handshake *me = initiator ? r.init : r.resp;
				int want = model_step(initiator, next, step);
				struct msg m;
				if (want == 0) {
					/* The genuine message for this step. */
					run_step(&r, step, false);
					m = r.m[step - 1];
				} else {
					memset(&m, 0x33, sizeof(m));
					m.len = 100;
					m.b[0] = (uint8_t)step;
				}
				CHECK_EQ(hs_handshake_read(me, m.b, m.len), want);
				run_del(&r);
			}
		}
	}
}

static void test_other_session(void)
{
	static const uint8_t eph2[32] = { 0x77, 1, 2, 3 };
	struct hs_handshake *init2, *resp2;
	struct msg m1, m2;
	struct run r;

	/* Initiator 2 and responder 2 (same identities, other ephemerals) run their own session. */
	REQUIRE(hs_handshake_new(&init2, &fix.init.cfg, true, eph2) == 0);
	REQUIRE(hs_handshake_new(&resp2, &fix.resp.cfg, false, eph2) == 0);
	REQUIRE(hs_handshake_write(init2, m1.b, sizeof(m1.b), &m1.len) == 0);
	REQUIRE(hs_handshake_read(resp2, m1.b, m1.len) == 0);
	REQUIRE(hs_handshake_write(resp2, m2.b, sizeof(m2.b), &m2.len) == 0);
	/* Its message 2 given to our initiator. */
	run_until(&r, 1);
	CHECK_EQ(hs_handshake_read(r.init, m2.b, m2.len), HS_ERR_DECRYPT);
	check_dead(r.init, &m2);
	run_del(&r);
	/* Tampering any byte of message 2 or 3 is detected. */
	for (unsigned i = 2; i <= 3; i++) {
		size_t len;
		run_until(&r, i);
		len = r.m[i - 1].len;
		run_del(&r);
		for (size_t pos = 1; pos < len; pos += 3) {
			run_until(&r, i);
			r.m[i - 1].b[pos] ^= 0x10;
			struct hs_handshake *rd = i == 2 ? r.init : r.resp;
			CHECK_EQ(hs_handshake_read(rd, r.m[i - 1].b, r.m[i - 1].len),
			         HS_ERR_DECRYPT);
			run_del(&r);
		}
	}
	hs_handshake_del(init2);
	hs_handshake_del(resp2);
}

static void test_low_order_ephemeral(void)
{
	struct run r;
	run_until(&r, 1);
	struct msg m = r.m[0];
	memset(m.b + 1, 0, 32);
	CHECK_EQ(hs_handshake_read(r.resp, m.b, m.len), HS_ERR_BAD_KEY);
	check_dead(r.resp, &r.m[0]);
	run_del(&r);
}

/* ---- caller errors ------------------------------------------------------------------------ */

static void test_caller_errors(void)
{
	struct hs_handshake *hs = (struct hs_handshake *)&fix;
	struct hs_handshake_config cfg = fix.init.cfg;
	uint8_t sig[64];
	struct run r;
	size_t len = 3;

	static const char *const bad_networks[] = { "", "has space", "a/b\x01",
		                                    "123456789012345678901234567890123" };
	for (size_t i = 0; i < 4; i++) {
		cfg.network = bad_networks[i];
		CHECK_EQ(hs_handshake_new(&hs, &cfg, true, hs_fix_init_ephemeral), HS_ERR_INVALID);
		CHECK(hs == NULL);
		CHECK_EQ(hs_handshake_prove(fix.crypto, fix.init.id, bad_networks[i], fix.init.s,
		                            hs_fix_aux, sig),
		         HS_ERR_INVALID);
	}
	/* 32 bytes is the longest network name. */
	cfg.network = "12345678901234567890123456789012";
	CHECK_EQ(hs_handshake_new(&hs, &cfg, true, hs_fix_init_ephemeral), 0);
	hs_handshake_del(hs);
	cfg = fix.init.cfg;
	cfg.identity = NULL;
	CHECK_EQ(hs_handshake_new(&hs, &cfg, true, hs_fix_init_ephemeral), HS_ERR_INVALID);
	CHECK_EQ(hs_handshake_new(&hs, &fix.init.cfg, true, NULL), HS_ERR_INVALID);
	CHECK_EQ(hs_handshake_new(&hs, NULL, true, hs_fix_init_ephemeral), HS_ERR_INVALID);
	hs_handshake_del(NULL);
	hs_noise_static_del(NULL);

	/* Writing out of turn or into a small buffer changes nothing. */
	run_new(&r);
	CHECK_EQ(hs_handshake_write(r.resp, r.m[0].b, sizeof(r.m[0].b), &len), HS_ERR_STATE);
	CHECK_EQ(len, 0);
	CHECK_EQ(hs_handshake_write(r.init, r.m[0].b, 0, &len), HS_ERR_BUFFER);
	CHECK_EQ(hs_handshake_write(r.init, r.m[0].b, 38, &len), HS_ERR_BUFFER);
	CHECK(hs_handshake_wants_write(r.init));
	struct hs_transport *t = NULL;
	uint8_t id[32];
	CHECK_EQ(hs_handshake_finish(r.init, &t, id), HS_ERR_STATE);
	CHECK_EQ(hs_handshake_write(r.init, r.m[0].b, 39, &r.m[0].len), 0);
	CHECK_EQ(hs_handshake_read(r.resp, r.m[0].b, r.m[0].len), 0);
	CHECK_EQ(hs_handshake_write(r.init, r.m[1].b, sizeof(r.m[1].b), &len), HS_ERR_STATE);
	CHECK_EQ(hs_handshake_write(r.resp, r.m[1].b, 198, &len), HS_ERR_BUFFER);
	CHECK_EQ(hs_handshake_write(r.resp, r.m[1].b, 199, &r.m[1].len), 0);
	CHECK_EQ(hs_handshake_read(r.init, r.m[1].b, r.m[1].len), 0);
	CHECK_EQ(hs_handshake_write(r.init, r.m[2].b, 160, &len), HS_ERR_BUFFER);
	CHECK_EQ(hs_handshake_write(r.init, r.m[2].b, 161, &r.m[2].len), 0);
	CHECK_EQ(hs_handshake_read(r.resp, r.m[2].b, r.m[2].len), 0);
	CHECK(hs_handshake_is_done(r.init) && hs_handshake_is_done(r.resp));
	run_del(&r);
}

int main(void)
{
	REQUIRE(sodium_init() >= 0);
	REQUIRE(hs_fix_new(&fix) == 0);
	RUN(test_full_handshake);
	RUN(test_after_completion);
	RUN(test_worked_example);
	RUN(test_worked_example_parts);
	RUN(test_network_mismatch);
	RUN(test_version_mismatch);
	RUN(test_crafted_genuine);
	RUN(test_malformed_payloads);
	RUN(test_bad_identity_msg2);
	RUN(test_bad_identity_msg3);
	RUN(test_truncated);
	RUN(test_oversize_and_unknown_step);
	RUN(test_replay_and_order);
	RUN(test_step_model);
	RUN(test_other_session);
	RUN(test_low_order_ephemeral);
	RUN(test_caller_errors);
	hs_fix_del(&fix);
	return hs_test_done();
}

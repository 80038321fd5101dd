/*
 * The hearsay handshake (see crypto/handshake.h): Noise_XX_25519_ChaChaPoly_BLAKE2b with a
 * step byte in front of each message and identity proofs in the payloads.
 *
 * The step counter `next` is the whole protocol state besides Noise's own: it names the next
 * message (1..3) to be written or read, and 4 once the handshake is complete. Each incoming
 * message is checked, cheapest first: length, step byte against `next`, then Noise (which
 * authenticates), then the payload fields, then the identity signature.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/handshake.h"

#define PROLOGUE      "hearsay/noise/1"
#define PROLOGUE_LEN  (sizeof(PROLOGUE) - 1)
#define STEP_COMPLETE 4
#define PROOF_LEN     ((size_t)HS_KEY_LEN + (size_t)HS_SIG_LEN)
#define NET_MAX       ((size_t)HS_NETWORK_MAX)
#define MSG_MAX       ((size_t)HS_HANDSHAKE_MSG_MAX)

/* ---- the Noise static key ---------------------------------------------------------------- */

struct hs_noise_static {
	uint8_t secret[32]; /* wiped on del */
	uint8_t pub[32];
};

int hs_noise_static_new(struct hs_noise_static **out, const uint8_t secret[32])
{
	struct hs_noise_static *s;

	*out = NULL;
	if (!secret)
		return HS_ERR_INVALID;
	s = calloc(1, sizeof(*s));
	if (!s)
		return HS_ERR_NOMEM;
	memcpy(s->secret, secret, sizeof(s->secret));
	int err = hs_x25519_public(s->pub, s->secret);
	if (err != 0) {
		hs_noise_static_del(s);
		return err;
	}
	*out = s;
	return 0;
}

void hs_noise_static_del(struct hs_noise_static *s)
{
	if (!s)
		return;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

const uint8_t *hs_noise_static_pubkey(const struct hs_noise_static *s)
{
	return s->pub;
}

/* The digest an identity signs: tagged_hash("hearsay/noise-static/<network>", static_pub). */
static void static_digest(const struct hs_tag *tag, uint8_t digest[32], const uint8_t pub[32])
{
	hs_tag_hash(tag, digest, pub, 32);
}

int hs_handshake_prove(const struct hs_crypto *crypto, const struct hs_identity *id,
                       const char *network, const struct hs_noise_static *s, const uint8_t aux[32],
                       uint8_t sig[64])
{
	struct hs_tag tag;
	uint8_t digest[32];

	if (!crypto || !id || !s || !aux || !sig)
		return HS_ERR_INVALID;
	int err = hs_tag_init(&tag, "noise-static", network);
	if (err != 0)
		return err;
	static_digest(&tag, digest, s->pub);
	return hs_identity_sign(crypto, id, sig, digest, aux);
}

/* ---- the handshake ----------------------------------------------------------------------- */

struct hs_handshake {
	const struct hs_crypto *crypto;
	struct hs_noise *noise; /* NULL once dead or finished: its secrets are gone */
	struct hs_tag tag;      /* hearsay/noise-static/<our network> */
	uint8_t identity[HS_KEY_LEN];
	uint8_t identity_sig[HS_SIG_LEN];
	uint8_t network[HS_NETWORK_MAX];
	size_t networklen;
	uint8_t remote_identity[HS_KEY_LEN];
	/* What the peer's hello said, for the caller's log when it is not ours: its version
	 * (when has_peer_version) and its network name (a valid name, or empty). */
	bool has_peer_version;
	uint8_t peer_version;
	char peer_network[HS_NETWORK_MAX + 1];
	bool initiator;
	bool dead;     /* a message failed: every later call fails */
	bool finished; /* hs_handshake_finish() handed the transport out */
	unsigned next; /* the next step, 1..3, or STEP_COMPLETE */
};

static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n] != '\0')
		n++;
	return n;
}

int hs_handshake_new(struct hs_handshake **out, const struct hs_handshake_config *cfg,
                     bool initiator, const uint8_t ephemeral[32])
{
	struct hs_handshake *hs;
	int err;

	*out = NULL;
	if (!cfg || !cfg->crypto || !cfg->noise_static || !cfg->identity || !cfg->identity_sig ||
	    !cfg->network || !ephemeral)
		return HS_ERR_INVALID;
	hs = calloc(1, sizeof(*hs));
	if (!hs)
		return HS_ERR_NOMEM;
	/* hs_tag_init also checks that the network is a valid name of at most NET_MAX bytes. */
	err = hs_tag_init(&hs->tag, "noise-static", cfg->network);
	if (err != 0)
		goto out;
	hs->networklen = bounded_len(cfg->network, NET_MAX);
	memcpy(hs->network, cfg->network, hs->networklen);
	memcpy(hs->identity, cfg->identity, sizeof(hs->identity));
	memcpy(hs->identity_sig, cfg->identity_sig, sizeof(hs->identity_sig));
	hs->crypto = cfg->crypto;
	hs->initiator = initiator;
	hs->next = 1;
	err = hs_noise_new(&hs->noise, HS_NOISE_BLAKE2B, initiator, (const uint8_t *)PROLOGUE,
	                   PROLOGUE_LEN, cfg->noise_static->secret, ephemeral);
out:
	if (err != 0) {
		hs_handshake_del(hs);
		return err;
	}
	*out = hs;
	return 0;
}

void hs_handshake_del(struct hs_handshake *hs)
{
	if (!hs)
		return;
	hs_noise_del(hs->noise);
	sodium_memzero(hs, sizeof(*hs));
	free(hs);
}

/* Steps 1 and 3 are the initiator's, step 2 the responder's. */
static bool is_ours(const struct hs_handshake *hs, unsigned step)
{
	return (step % 2 == 1) == hs->initiator;
}

bool hs_handshake_wants_write(const struct hs_handshake *hs)
{
	return !hs->dead && hs->next < STEP_COMPLETE && is_ours(hs, hs->next);
}

bool hs_handshake_is_done(const struct hs_handshake *hs)
{
	return !hs->dead && hs->next == STEP_COMPLETE;
}

/* Rationale: a handshake that saw one bad message is not resumed; its keys are wiped at once
 * so nothing a peer does afterwards can reach them. */
static void make_dead(struct hs_handshake *hs)
{
	hs->dead = true;
	hs_noise_del(hs->noise);
	hs->noise = NULL;
	sodium_memzero(hs->remote_identity, sizeof(hs->remote_identity));
}

/* ---- payloads ---------------------------------------------------------------------------- */

/* version u8 || network length (a one-byte varint) || network. */
static size_t put_hello(const struct hs_handshake *hs, uint8_t *p)
{
	p[0] = HS_PROTOCOL_VERSION;
	p[1] = (uint8_t)hs->networklen;
	memcpy(p + 2, hs->network, hs->networklen);
	return 2 + hs->networklen;
}

/* identity[32] || sig[64]. */
static size_t put_proof(const struct hs_handshake *hs, uint8_t *p)
{
	memcpy(p, hs->identity, HS_KEY_LEN);
	memcpy(p + HS_KEY_LEN, hs->identity_sig, HS_SIG_LEN);
	return PROOF_LEN;
}

/* Parses version || network and checks both are ours; *off is set past them.
 * Rationale: the version is checked first and alone, because another version may lay out the
 * rest differently; a malformed length is BAD_VALUE, a well-formed other name HS_NETWORK. */
static int check_hello(struct hs_handshake *hs, const uint8_t *p, size_t len, size_t *off)
{
	if (len < 1)
		return HS_ERR_TRUNCATED;
	hs->peer_version = p[0];
	hs->has_peer_version = true;
	if (p[0] != HS_PROTOCOL_VERSION)
		return HS_ERR_HS_VERSION;
	if (len < 2)
		return HS_ERR_TRUNCATED;
	/* 1..32 as a varint is one byte below 0x80: a set high bit (a longer varint), zero or
	 * more than NET_MAX are all malformed. */
	size_t netlen = p[1];
	if (netlen == 0 || netlen > NET_MAX)
		return HS_ERR_BAD_VALUE;
	if (len - 2 < netlen)
		return HS_ERR_TRUNCATED;
	if (!hs_name_is_valid(p + 2, netlen, NET_MAX))
		return HS_ERR_BAD_VALUE;
	memcpy(hs->peer_network, p + 2, netlen); /* printable, checked just above */
	hs->peer_network[netlen] = '\0';
	if (netlen != hs->networklen || memcmp(p + 2, hs->network, netlen) != 0)
		return HS_ERR_HS_NETWORK;
	*off = 2 + netlen;
	return 0;
}

/* Parses identity || sig, which must end the payload, and checks sig against the remote
 * static key Noise authenticated. On success the identity is remembered.
 * Rationale: the signature is checked over the key Noise proved the peer holds, never over a
 * key the peer merely names, so a proof copied from another node is useless to an attacker. */
static int check_proof(struct hs_handshake *hs, const uint8_t *p, size_t len)
{
	uint8_t digest[32];

	if (len < PROOF_LEN)
		return HS_ERR_TRUNCATED;
	if (len > PROOF_LEN)
		return HS_ERR_TRAILING;
	const uint8_t *rs = hs_noise_remote_static(hs->noise);
	if (!rs)
		return HS_ERR_STATE; /* unreachable: steps 2 and 3 carry the static key */
	static_digest(&hs->tag, digest, rs);
	if (hs_verify(hs->crypto, p, p + HS_KEY_LEN, digest) != 0)
		return HS_ERR_HS_IDENTITY;
	memcpy(hs->remote_identity, p, HS_KEY_LEN);
	return 0;
}

static int check_payload(struct hs_handshake *hs, unsigned step, const uint8_t *p, size_t len)
{
	size_t off = 0;
	int err = 0;

	if (step != 3)
		err = check_hello(hs, p, len, &off);
	if (err == 0 && step == 1 && len > off)
		err = HS_ERR_TRAILING;
	if (err == 0 && step != 1)
		err = check_proof(hs, p + off, len - off);
	return err;
}

bool hs_handshake_peer_hello(const struct hs_handshake *hs, unsigned *version, const char **network)
{
	*version = hs->peer_version;
	*network = hs->peer_network;
	return hs->has_peer_version;
}

/* ---- messages ---------------------------------------------------------------------------- */

int hs_handshake_write(struct hs_handshake *hs, uint8_t *out, size_t outcap, size_t *outlen)
{
	uint8_t payload[2 + HS_NETWORK_MAX + HS_KEY_LEN + HS_SIG_LEN];
	size_t plen = 0, nlen = 0;

	*outlen = 0;
	if (hs->dead)
		return HS_ERR_STATE;
	if (hs->next == STEP_COMPLETE)
		return HS_ERR_HS_DONE;
	if (!is_ours(hs, hs->next))
		return HS_ERR_STATE;
	if (outcap < 1)
		return HS_ERR_BUFFER;
	if (hs->next != 3)
		plen = put_hello(hs, payload);
	if (hs->next != 1)
		plen += put_proof(hs, payload + plen);
	int err = hs_noise_write(hs->noise, out + 1, outcap - 1, &nlen, payload, plen);
	if (err == HS_ERR_BUFFER)
		return err; /* the caller's buffer: nothing changed */
	if (err != 0) {
		make_dead(hs);
		return err;
	}
	out[0] = (uint8_t)hs->next;
	*outlen = 1 + nlen;
	hs->next++;
	return 0;
}

/* Checks the length and the step byte against the state; 0 if msg is the expected step. */
static int check_step(const struct hs_handshake *hs, const uint8_t *msg, size_t msglen)
{
	/* Rationale: the longest valid message is HS_HANDSHAKE_MSG_MAX bytes (far below the
	 * Noise limit), so anything longer is refused before any cryptography runs. */
	_Static_assert(HS_HANDSHAKE_MSG_MAX - 1 <= HS_NOISE_MSG_MAX, "inside the Noise limit");
	if (msglen < 1)
		return HS_ERR_TRUNCATED;
	if (msglen > MSG_MAX)
		return HS_ERR_TOO_LARGE;
	unsigned step = msg[0];
	if (step < 1 || step > 3)
		return HS_ERR_BAD_VALUE;
	if (step < hs->next)
		return HS_ERR_HS_REPLAY;
	if (step > hs->next || is_ours(hs, step))
		return HS_ERR_HS_ORDER;
	return 0;
}

int hs_handshake_read(struct hs_handshake *hs, const uint8_t *msg, size_t msglen)
{
	uint8_t payload[HS_HANDSHAKE_MSG_MAX];
	size_t plen = 0;

	if (hs->dead)
		return HS_ERR_STATE;
	if (hs->next == STEP_COMPLETE)
		return HS_ERR_HS_DONE;
	int err = check_step(hs, msg, msglen);
	if (err == 0)
		err = hs_noise_read(hs->noise, payload, sizeof(payload), &plen, msg + 1,
		                    msglen - 1);
	if (err == 0)
		err = check_payload(hs, hs->next, payload, plen);
	sodium_memzero(payload, sizeof(payload));
	if (err != 0) {
		make_dead(hs);
		return err;
	}
	hs->next++;
	return 0;
}

int hs_handshake_finish(struct hs_handshake *hs, struct hs_transport **transport,
                        uint8_t remote_identity[32])
{
	*transport = NULL;
	if (hs->dead || hs->finished || hs->next != STEP_COMPLETE)
		return HS_ERR_STATE;
	int err = hs_noise_split(hs->noise, transport);
	if (err != 0)
		return err;
	memcpy(remote_identity, hs->remote_identity, HS_KEY_LEN);
	/* The transport has its own keys now; the handshake's are wiped with the Noise state. */
	hs_noise_del(hs->noise);
	hs->noise = NULL;
	hs->finished = true;
	return 0;
}

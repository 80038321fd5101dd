/*
 * hearsay-mallory: a misbehaving peer, for tests and the demo. Not part of hearsayd.
 *
 *   hearsay-mallory ATTACK IP:PORT [-bind=IP] [-network=NAME] [-wait=MS]
 *
 * ATTACK is one of:
 *   garbage        random bytes instead of a handshake
 *   oversize       a frame length of 65535 before the handshake
 *   badproof       a handshake whose identity proof signs another Noise key
 *   badsig-rumor   a valid handshake and hello, then a rumor with a bad signature
 *   flood          a valid session, then frames far over the rate limit
 *   good           a valid session that just says hello (a control)
 *
 * It prints what it did and what the node did, one line each, and exits 0 when the node
 * closed the connection (1 when it did not within -wait ms; for `good`, 0 when it stayed open).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hearsay/config.h"
#include "hearsay/crypto.h"
#include "hearsay/handshake.h"
#include "hearsay/msg.h"

struct mallory {
	int fd;
	const char *network;
	struct hs_crypto *crypto;
	struct hs_identity *id;
	struct hs_noise_static *noise;
	struct hs_transport *tr;
	struct hs_netaddr self;
};

static void die(const char *what)
{
	fprintf(stderr, "hearsay-mallory: %s\n", what);
	exit(2);
}

static uint64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return; /* the node may already have closed: that is the point */
		p += w;
		n -= (size_t)w;
	}
}

static void send_frame(struct mallory *m, const uint8_t *p, size_t n)
{
	uint8_t hdr[2] = { (uint8_t)n, (uint8_t)(n >> 8) };
	send_all(m->fd, hdr, 2);
	send_all(m->fd, p, n);
}

/* Reads one frame; returns its length, or 0 when the connection closed. */
static size_t recv_frame(struct mallory *m, uint8_t *p, size_t cap)
{
	uint8_t hdr[2];
	size_t got = 0;
	while (got < 2) {
		ssize_t r = recv(m->fd, hdr + got, 2 - got, 0);
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	size_t n = (size_t)(hdr[0] | hdr[1] << 8);
	if (n == 0 || n > cap)
		return 0;
	for (got = 0; got < n;) {
		ssize_t r = recv(m->fd, p + got, n - got, 0);
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return n;
}

static void send_msg(struct mallory *m, const struct hs_msg *msg)
{
	static uint8_t pt[HS_FRAME_MAX], ct[HS_NOISE_MSG_MAX];
	size_t n, cn;
	if (hs_msg_encode(msg, pt, sizeof(pt), &n) != 0 ||
	    hs_transport_encrypt(m->tr, ct, sizeof(ct), &cn, pt, n) != 0)
		die("cannot encode a frame");
	send_frame(m, ct, cn);
}

/* A handshake; with a bad proof when proof_for_other_key. */
static bool handshake(struct mallory *m, bool proof_for_other_key)
{
	uint8_t proof[64], aux[32] = { 0 }, eph[32];
	struct hs_noise_static *signed_key = m->noise, *other = NULL;
	if (proof_for_other_key) {
		randombytes_buf(eph, 32);
		if (hs_noise_static_new(&other, eph) != 0)
			die("noise key");
		signed_key = other;
	}
	if (hs_handshake_prove(m->crypto, m->id, m->network, signed_key, aux, proof) != 0)
		die("cannot sign the proof");
	hs_noise_static_del(other);
	struct hs_handshake_config hc = { .crypto = m->crypto,
		                          .noise_static = m->noise,
		                          .identity = hs_identity_pubkey(m->id),
		                          .identity_sig = proof,
		                          .network = m->network };
	struct hs_handshake *hs;
	randombytes_buf(eph, 32);
	if (hs_handshake_new(&hs, &hc, true, eph) != 0)
		die("handshake");
	uint8_t msg[HS_HANDSHAKE_MSG_MAX];
	size_t n;
	bool ok = true;
	while (ok && !hs_handshake_is_done(hs)) {
		if (hs_handshake_wants_write(hs)) {
			ok = hs_handshake_write(hs, msg, sizeof(msg), &n) == 0;
			if (ok)
				send_frame(m, msg, n);
		} else {
			n = recv_frame(m, msg, sizeof(msg));
			ok = n > 0 && hs_handshake_read(hs, msg, n) == 0;
		}
	}
	uint8_t remote[32];
	ok = ok && hs_handshake_finish(hs, &m->tr, remote) == 0;
	hs_handshake_del(hs);
	return ok;
}

static void hello(struct mallory *m)
{
	struct hs_record rec = { .seq = 1,
		                 .generation = 1,
		                 .time_s = (uint64_t)time(NULL),
		                 .services = HS_SERVICE_RELAY };
	memcpy(rec.id, hs_identity_pubkey(m->id), 32);
	uint8_t enc[HS_RECORD_MAX], digest[32], aux[32] = { 0 };
	size_t len;
	struct hs_tag tag;
	if (hs_record_encode(&rec, enc, sizeof(enc), &len) != 0 ||
	    hs_tag_init(&tag, "record", m->network) != 0)
		die("record");
	hs_tag_hash(&tag, digest, enc, len - 64);
	if (hs_identity_sign(m->crypto, m->id, rec.sig, digest, aux) != 0)
		die("record signature");
	struct hs_msg msg = { .type = HS_MSG_HELLO };
	msg.u.hello.version = HS_PROTOCOL_VERSION;
	msg.u.hello.network.p = (const uint8_t *)m->network;
	msg.u.hello.network.len = strlen(m->network);
	msg.u.hello.record = rec;
	msg.u.hello.flags = HS_HELLO_ALL_TOPICS;
	send_msg(m, &msg);
}

static void bad_rumor(struct mallory *m)
{
	struct hs_msg msg = { .type = HS_MSG_RUMOR };
	struct hs_rumor *rm = &msg.u.rumor.rumor;
	memcpy(rm->origin, hs_identity_pubkey(m->id), 32);
	rm->topic = (const uint8_t *)"demo";
	rm->topic_len = 4;
	rm->time_ms = (uint64_t)time(NULL) * 1000;
	rm->payload = (const uint8_t *)"forged";
	rm->payload_len = 6;
	memset(rm->sig, 0x5a, 64); /* not a signature of anything */
	send_msg(m, &msg);
}

/* Waits until the node closes (true) or wait_ms pass (false). Reads and drops frames. */
static bool closed_within(struct mallory *m, unsigned wait_ms, uint64_t *after_ms)
{
	uint64_t start = ms_now();
	uint8_t buf[4096];
	while (ms_now() - start < wait_ms) {
		struct pollfd pfd = { .fd = m->fd, .events = POLLIN };
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		ssize_t r = recv(m->fd, buf, sizeof(buf), 0);
		if (r <= 0) {
			*after_ms = ms_now() - start;
			return true;
		}
	}
	return false;
}

static void setup(struct mallory *m)
{
	uint8_t seed[32];
	randombytes_buf(seed, 32);
	if (hs_crypto_new(&m->crypto, seed) != 0)
		die("crypto");
	do
		randombytes_buf(seed, 32);
	while (hs_identity_new(&m->id, m->crypto, seed) != 0);
	randombytes_buf(seed, 32);
	if (hs_noise_static_new(&m->noise, seed) != 0)
		die("noise");
}

static int dial(const struct hs_netaddr *to, const char *bind_ip)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (bind_ip) {
		struct sockaddr_in b = { .sin_family = AF_INET };
		if (inet_pton(AF_INET, bind_ip, &b.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&b, sizeof(b)) != 0)
			die("cannot bind the source address");
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(to->port) };
	memcpy(&sa.sin_addr, to->ip, 4);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die(strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: hearsay-mallory garbage|oversize|badproof|badsig-rumor|flood|good "
		      "IP:PORT [-bind=IP] [-network=NAME] [-wait=MS]\n",
		      stderr);
		return 64;
	}
	struct mallory m = { .network = "main" };
	const char *attack = argv[1], *bind_ip = NULL;
	unsigned wait_ms = 3000;
	for (int i = 3; i < argc; i++) {
		if (strncmp(argv[i], "-bind=", 6) == 0)
			bind_ip = argv[i] + 6;
		else if (strncmp(argv[i], "-network=", 9) == 0)
			m.network = argv[i] + 9;
		else if (strncmp(argv[i], "-wait=", 6) == 0)
			wait_ms = (unsigned)atoi(argv[i] + 6);
	}
	struct hs_netaddr to;
	if (!hs_netaddr_parse(&to, argv[2], 0) || to.family != HS_AF_INET)
		die("expected IPv4:PORT");
	if (sodium_init() < 0)
		die("libsodium");
	setup(&m);
	m.fd = dial(&to, bind_ip);
	char id[65];
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", hs_identity_pubkey(m.id)[i]);
	printf("mallory %s: attack %s on %s\n", id, attack, argv[2]);
	fflush(stdout);
	bool expect_close = strcmp(attack, "good") != 0;
	if (strcmp(attack, "garbage") == 0) {
		uint8_t junk[200];
		randombytes_buf(junk, sizeof(junk));
		junk[0] = 37; /* a plausible length, then nonsense */
		junk[1] = 0;
		send_all(m.fd, junk, sizeof(junk));
	} else if (strcmp(attack, "oversize") == 0) {
		uint8_t hdr[2] = { 0xff, 0xff };
		send_all(m.fd, hdr, 2);
	} else if (strcmp(attack, "badproof") == 0) {
		handshake(&m, true);
	} else if (strcmp(attack, "badsig-rumor") == 0 || strcmp(attack, "flood") == 0 ||
	           strcmp(attack, "good") == 0) {
		if (!handshake(&m, false))
			die("the node refused a valid handshake");
		hello(&m);
		if (strcmp(attack, "badsig-rumor") == 0) {
			bad_rumor(&m);
		} else if (strcmp(attack, "flood") == 0) {
			struct hs_msg ping = { .type = HS_MSG_PING };
			for (int i = 0; i < 100000; i++)
				send_msg(&m, &ping);
		}
	} else {
		die("unknown attack");
	}
	uint64_t after = 0;
	bool closed = closed_within(&m, wait_ms, &after);
	if (closed)
		printf("mallory: the node closed the connection after %llu ms\n",
		       (unsigned long long)after);
	else
		printf("mallory: still connected after %u ms\n", wait_ms);
	close(m.fd);
	hs_transport_del(m.tr);
	hs_noise_static_del(m.noise);
	hs_identity_del(m.id);
	hs_crypto_del(m.crypto);
	return closed == expect_close ? 0 : 1;
}

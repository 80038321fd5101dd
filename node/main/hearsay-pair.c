/*
 * hearsay-pair: two processes, one TCP connection, the whole foundation end to end.
 *
 *   hearsay-pair listen  IP:PORT [-network=NAME] [-datadir=DIR]
 *   hearsay-pair connect IP:PORT [-network=NAME] [-datadir=DIR]
 *
 * Each side loads (or creates) its identity key, runs the hearsay Noise XX handshake over a
 * real socket, and learns the other's proven identity. The connecting side then signs a rumor
 * and sends it as an encrypted frame; the listening side verifies the signature against the
 * origin's key and prints it. Every step is printed. A teaching tool and an interoperability
 * check; hearsayd is the real node.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "node/keyfile.h"
#include "overlay/msg.h"

struct side {
	const char *name;
	struct hs_crypto *crypto;
	struct hs_identity *id;
	struct hs_noise_static *noise;
	uint8_t proof[64];
	const char *network;
	int fd;
};

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "hearsay-pair: %s: %s\n", what, why);
	exit(1);
}

static void send_frame(int fd, const uint8_t *p, size_t n)
{
	uint8_t hdr[2] = { (uint8_t)n, (uint8_t)(n >> 8) };
	if (write(fd, hdr, 2) != 2 || write(fd, p, n) != (ssize_t)n)
		die("send", strerror(errno));
}

static int read_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static size_t recv_frame(int fd, uint8_t *p, size_t cap)
{
	uint8_t hdr[2];
	if (read_all(fd, hdr, 2) != 0)
		die("receive", "connection closed");
	size_t n = (size_t)(hdr[0] | hdr[1] << 8);
	if (n == 0 || n > cap || read_all(fd, p, n) != 0)
		die("receive", "bad frame");
	return n;
}

static void setup(struct side *s, const char *datadir)
{
	uint8_t seed[32], secret[32];
	randombytes_buf(seed, sizeof(seed));
	if (hs_crypto_new(&s->crypto, seed) != 0)
		die("crypto", "cannot create context");
	char path[4096], err[256];
	if (datadir) {
		mkdir(datadir, 0700);
		snprintf(path, sizeof(path), "%s/identity.key", datadir);
		if (hs_keyfile_load(&s->id, s->crypto, path, true, err, sizeof(err)) != 0)
			die("key file", err);
	} else {
		do
			randombytes_buf(secret, sizeof(secret));
		while (hs_identity_new(&s->id, s->crypto, secret) != 0);
		sodium_memzero(secret, sizeof(secret));
	}
	randombytes_buf(secret, sizeof(secret));
	if (hs_noise_static_new(&s->noise, secret) != 0)
		die("noise", "cannot create static key");
	sodium_memzero(secret, sizeof(secret));
	uint8_t aux[32];
	randombytes_buf(aux, sizeof(aux));
	if (hs_handshake_prove(s->crypto, s->id, s->network, s->noise, aux, s->proof) != 0)
		die("noise", "cannot sign the static key");
	char h[65];
	hex(h, hs_identity_pubkey(s->id), 32);
	printf("[%s] identity %s (network %s)\n", s->name, h, s->network);
}

static const char *step_name(uint8_t step)
{
	return step == 1 ? "-> e" : step == 2 ? "<- e, ee, s, es" : "-> s, se";
}

/* Runs the handshake; returns the transport and fills the peer's identity. */
static struct hs_transport *handshake(struct side *s, bool initiator, uint8_t peer[32])
{
	struct hs_handshake_config hc = { .crypto = s->crypto,
		                          .noise_static = s->noise,
		                          .identity = hs_identity_pubkey(s->id),
		                          .identity_sig = s->proof,
		                          .network = s->network };
	uint8_t eph[32], msg[HS_HANDSHAKE_MSG_MAX];
	randombytes_buf(eph, sizeof(eph));
	struct hs_handshake *hs;
	if (hs_handshake_new(&hs, &hc, initiator, eph) != 0)
		die("handshake", "cannot start");
	sodium_memzero(eph, sizeof(eph));
	while (!hs_handshake_is_done(hs)) {
		size_t n;
		if (hs_handshake_wants_write(hs)) {
			if (hs_handshake_write(hs, msg, sizeof(msg), &n) != 0)
				die("handshake", "cannot write");
			send_frame(s->fd, msg, n);
			printf("[%s] sent handshake message %u (%s), %zu bytes\n", s->name, msg[0],
			       step_name(msg[0]), n);
		} else {
			n = recv_frame(s->fd, msg, sizeof(msg));
			int err = hs_handshake_read(hs, msg, n);
			if (err)
				die("handshake", hs_strerror(err));
			printf("[%s] read handshake message %u (%s), %zu bytes: ok\n", s->name,
			       msg[0], step_name(msg[0]), n);
		}
	}
	struct hs_transport *t;
	if (hs_handshake_finish(hs, &t, peer) != 0)
		die("handshake", "cannot finish");
	hs_handshake_del(hs);
	char h[65];
	hex(h, peer, 32);
	printf("[%s] handshake complete: peer identity %s proven (BIP340 over its Noise key, "
	       "network %s)\n",
	       s->name, h, s->network);
	return t;
}

static void send_rumor(struct side *s, struct hs_transport *t)
{
	char text[128], h[65];
	hex(h, hs_identity_pubkey(s->id), 8);
	snprintf(text, sizeof(text), "hello from %s", h);
	struct hs_msg m = { .type = HS_MSG_RUMOR };
	struct hs_rumor *rm = &m.u.rumor.rumor;
	memcpy(rm->origin, hs_identity_pubkey(s->id), 32);
	rm->topic = (const uint8_t *)"demo";
	rm->topic_len = 4;
	rm->time_ms = (uint64_t)time(NULL) * 1000;
	rm->payload = (const uint8_t *)text;
	rm->payload_len = strlen(text);
	uint8_t frame[1024], ct[1024 + 16], digest[32], aux[32], id[32];
	size_t n, cn;
	if (hs_msg_encode(&m, frame, sizeof(frame), &n) != 0)
		die("rumor", "cannot encode");
	struct hs_tag tag;
	if (hs_tag_init(&tag, "rumor", s->network) != 0)
		die("rumor", "bad network name");
	/* The signature is the last 64 bytes and covers every byte of the rumor before it. */
	hs_tag_hash(&tag, digest, frame + 1, n - 1 - 64);
	randombytes_buf(aux, sizeof(aux));
	if (hs_identity_sign(s->crypto, s->id, frame + n - 64, digest, aux) != 0)
		die("rumor", "cannot sign");
	hs_blake2b256(id, frame + 1, n - 1);
	hex(h, id, 32);
	if (hs_transport_encrypt(t, ct, sizeof(ct), &cn, frame, n) != 0)
		die("rumor", "cannot encrypt");
	send_frame(s->fd, ct, cn);
	printf("[%s] sent signed rumor %s on topic demo: \"%s\" (%zu bytes encrypted)\n", s->name,
	       h, text, cn);
}

static void receive_rumor(struct side *s, struct hs_transport *t, const uint8_t peer[32])
{
	uint8_t ct[HS_NOISE_MSG_MAX], pt[HS_NOISE_MSG_MAX], digest[32], id[32];
	size_t n = recv_frame(s->fd, ct, sizeof(ct)), pn;
	if (hs_transport_decrypt(t, pt, sizeof(pt), &pn, ct, n) != 0)
		die("rumor", "decryption failed");
	struct hs_msg m;
	int err = hs_msg_decode(&m, pt, pn);
	if (err || m.type != HS_MSG_RUMOR)
		die("rumor", err ? hs_strerror(err) : "not a rumor");
	const struct hs_rumor *rm = &m.u.rumor.rumor;
	struct hs_tag tag;
	if (hs_tag_init(&tag, "rumor", s->network) != 0)
		die("rumor", "bad network name");
	hs_tag_hash(&tag, digest, m.u.rumor.enc, m.u.rumor.enclen - 64);
	err = hs_verify(s->crypto, rm->origin, rm->sig, digest);
	hs_blake2b256(id, m.u.rumor.enc, m.u.rumor.enclen);
	char h[65], o[65];
	hex(h, id, 32);
	hex(o, rm->origin, 32);
	printf("[%s] received rumor %s from origin %s\n", s->name, h, o);
	if (err)
		die("rumor", hs_strerror(err));
	printf("[%s] signature verified (BIP340, tag hearsay/rumor/%s); origin %s the peer; "
	       "payload: \"%.*s\"\n",
	       s->name, s->network, memcmp(rm->origin, peer, 32) == 0 ? "is" : "is not",
	       (int)rm->payload_len, (const char *)rm->payload);
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char ip[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	long port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535 || inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "listen") != 0 && strcmp(argv[1], "connect") != 0)) {
		fprintf(stderr, "usage: hearsay-pair listen|connect IP:PORT [-network=NAME] "
		                "[-datadir=DIR]\n");
		return 64;
	}
	bool listening = strcmp(argv[1], "listen") == 0;
	struct side s = { .name = listening ? "listener" : "connector", .network = "demo" };
	const char *datadir = NULL;
	for (int i = 3; i < argc; i++) {
		if (strncmp(argv[i], "-network=", 9) == 0)
			s.network = argv[i] + 9;
		else if (strncmp(argv[i], "-datadir=", 9) == 0)
			datadir = argv[i] + 9;
	}
	struct sockaddr_in sa;
	if (parse_addr(argv[2], &sa) != 0)
		die("address", "expected IPv4:PORT");
	if (sodium_init() < 0)
		die("libsodium", "cannot initialise");
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup(&s, datadir);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listening) {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1) != 0)
			die("listen", strerror(errno));
		printf("[%s] listening on %s\n", s.name, argv[2]);
		s.fd = accept(fd, NULL, NULL);
		if (s.fd < 0)
			die("accept", strerror(errno));
		printf("[%s] accepted a TCP connection\n", s.name);
	} else {
		/* The listener may still be starting: retry for up to five seconds. */
		int tries = 0;
		while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			if (errno != ECONNREFUSED || ++tries > 50)
				die("connect", strerror(errno));
			close(fd);
			fd = socket(AF_INET, SOCK_STREAM, 0);
			usleep(100000);
		}
		s.fd = fd;
		printf("[%s] connected to %s over TCP\n", s.name, argv[2]);
	}
	uint8_t peer[32];
	struct hs_transport *t = handshake(&s, !listening, peer);
	if (listening)
		receive_rumor(&s, t, peer);
	else
		send_rumor(&s, t);
	hs_transport_del(t);
	hs_noise_static_del(s.noise);
	hs_identity_del(s.id);
	hs_crypto_del(s.crypto);
	close(s.fd);
	if (listening)
		close(fd);
	return 0;
}

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
 *   equivocate     a valid session, then a state frame with two entries it signed for one
 *                  key, generation and version ("height" = 1 and = 2): an equivocation proof
 *   flood          a valid session, then frames far over the rate limit
 *   good           a valid session that just says hello (a control)
 *   eclipse        many Sybil identities (-sybils=N, default 50) split over two /16s
 *                  (127.A.x.y and 127.B.x.y, -groups=A,B, default 200,201), each a real
 *                  listener on -port=P completing the real handshake. Each Sybil keeps a
 *                  session open to IP:PORT from its own address (taking the victim's inbound
 *                  slots, redialling a second after a close) and answers getaddr with signed
 *                  records of the other Sybils. Prints "sybil ID ADDR" lines, then "ready";
 *                  runs until SIGTERM, -duration=S seconds or its parent's exit, then prints
 *                  what it did. -groups may name more /16s, as a list of numbers and
 *                  ranges (-groups=1-9,12): the Sybils are dealt out over them in turn;
 *                  -redial=MS sets the pause before a redial.
 *   inflood        as eclipse, but the Sybils do not listen and their records name no
 *                  address: an inbound flood of up to 400 identities that only holds the
 *                  victim's inbound slots, redialling when dropped.
 *   badsig-many    -count=N fresh identities (at most 60,000), one after another, each from
 *                  its own address 127.G.x.y, G dealt out in turn over -groups (default the
 *                  one /16 127.90): a real handshake and hello, then a rumor with a forged
 *                  signature, sent again every 100 ms until the victim judges one (a
 *                  check over its verification budget is dropped unjudged). Each is
 *                  counted as banned (closed after its rumor), refused (closed before its
 *                  handshake completed) or kept (still open after -wait ms); prints
 *                  "badsig-many: N identities ..." and exits 0 when none was kept.
 *   getaddr-many   -count=N fresh identities (at most 60,000), one after another, each from
 *                  its own address 127.G.x.y (G: -groups, default 91): a real handshake and
 *                  hello, then a getaddr; each is counted as answered (an addr frame came
 *                  within -wait ms, default 1000), unanswered, or refused (no session).
 *                  Prints "getaddr-many: N sessions ... A answered, U unanswered, R refused"
 *                  and exits 0.
 *
 * It prints what it did and what the node did, one line each, and exits 0 when the node
 * closed the connection (1 when it did not within -wait ms; for `good`, 0 when it stayed open).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/handshake.h"
#include "node/config.h"
#include "overlay/msg.h"

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

static void send_frame_fd(int fd, const uint8_t *p, size_t n)
{
	uint8_t buf[2 + HS_NOISE_MSG_MAX];
	buf[0] = (uint8_t)n;
	buf[1] = (uint8_t)(n >> 8);
	memcpy(buf + 2, p, n);
	send_all(fd, buf, 2 + n);
}

static void send_frame(struct mallory *m, const uint8_t *p, size_t n)
{
	send_frame_fd(m->fd, p, n);
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

static void send_msg_fd(int fd, struct hs_transport *tr, const struct hs_msg *msg)
{
	static uint8_t pt[HS_FRAME_MAX], ct[HS_NOISE_MSG_MAX];
	size_t n, cn;
	if (hs_msg_encode(msg, pt, sizeof(pt), &n) != 0 ||
	    hs_transport_encrypt(tr, ct, sizeof(ct), &cn, pt, n) != 0)
		die("cannot encode a frame");
	send_frame_fd(fd, ct, cn);
}

static void send_msg(struct mallory *m, const struct hs_msg *msg)
{
	send_msg_fd(m->fd, m->tr, msg);
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

/* A node record of id, signed by it, advertising addr (none when NULL). */
static void sign_record(struct hs_crypto *crypto, struct hs_identity *id, const char *network,
                        const struct hs_netaddr *addr, struct hs_record *rec)
{
	*rec = (struct hs_record){ .seq = 1,
		                   .generation = 1,
		                   .time_s = (uint64_t)time(NULL),
		                   .services = HS_SERVICE_RELAY };
	memcpy(rec->id, hs_identity_pubkey(id), 32);
	if (addr) {
		rec->naddrs = 1;
		rec->addrs[0] = *addr;
	}
	uint8_t enc[HS_RECORD_MAX], digest[32], aux[32] = { 0 };
	size_t len;
	struct hs_tag tag;
	if (hs_record_encode(rec, enc, sizeof(enc), &len) != 0 ||
	    hs_tag_init(&tag, "record", network) != 0)
		die("record");
	hs_tag_hash(&tag, digest, enc, len - 64);
	if (hs_identity_sign(crypto, id, rec->sig, digest, aux) != 0)
		die("record signature");
}

static void send_hello(int fd, struct hs_transport *tr, const char *network,
                       const struct hs_record *rec)
{
	struct hs_msg msg = { .type = HS_MSG_HELLO };
	msg.u.hello.version = HS_PROTOCOL_VERSION;
	msg.u.hello.network.p = (const uint8_t *)network;
	msg.u.hello.network.len = strlen(network);
	msg.u.hello.record = *rec;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	msg.u.hello.time_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	msg.u.hello.flags = HS_HELLO_ALL_TOPICS;
	send_msg_fd(fd, tr, &msg);
}

static void hello(struct mallory *m)
{
	struct hs_record rec;
	sign_record(m->crypto, m->id, m->network, NULL, &rec);
	send_hello(m->fd, m->tr, m->network, &rec);
}

/* A rumor with a forged signature; nonce varies its payload so that a resend is a new rumor. */
static void bad_rumor(struct mallory *m, unsigned nonce)
{
	char payload[24];
	int n = snprintf(payload, sizeof(payload), "forged %u", nonce);
	struct hs_msg msg = { .type = HS_MSG_RUMOR };
	struct hs_rumor *rm = &msg.u.rumor.rumor;
	memcpy(rm->origin, hs_identity_pubkey(m->id), 32);
	rm->topic = (const uint8_t *)"demo";
	rm->topic_len = 4;
	rm->time_ms = (uint64_t)time(NULL) * 1000;
	rm->payload = (const uint8_t *)payload;
	rm->payload_len = (size_t)n;
	memset(rm->sig, 0x5a, 64); /* not a signature of anything */
	send_msg(m, &msg);
}

/* Signs e (its sig field) as the state entry it is; enc receives the encoding. */
static void sign_entry(struct mallory *m, struct hs_entry *e, uint8_t *enc, size_t cap)
{
	struct hs_tag tag;
	uint8_t digest[32], aux[32] = { 0 };
	size_t len;
	memset(e->sig, 0, 64);
	if (hs_entry_encode(e, enc, cap, &len) != 0 || hs_tag_init(&tag, "state", m->network) != 0)
		die("entry");
	hs_tag_hash(&tag, digest, enc, len - 64);
	if (hs_identity_sign(m->crypto, m->id, e->sig, digest, aux) != 0)
		die("entry signature");
}

static void equivocate(struct mallory *m)
{
	struct hs_msg msg = { .type = HS_MSG_STATE };
	static uint8_t enc[2][256];
	const char *values[2] = { "1", "2" };
	for (int i = 0; i < 2; i++) {
		struct hs_entry *e = &msg.u.state.entries[i];
		*e = (struct hs_entry){ .key = (const uint8_t *)"height",
			                .key_len = 6,
			                .generation = 1,
			                .version = 1,
			                .kind = HS_ENTRY_VALUE,
			                .value = (const uint8_t *)values[i],
			                .value_len = 1 };
		memcpy(e->origin, hs_identity_pubkey(m->id), 32);
		sign_entry(m, e, enc[i], sizeof(enc[i]));
	}
	msg.u.state.count = 2;
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

/* ---- eclipse: many Sybil identities poison the address book and take the inbound slots --- */

#define SYBILS_MAX    400
#define ECONNS_MAX    (3 * SYBILS_MAX)
#define REDIAL_MS     1000 /* default pause before a Sybil whose session closed dials again */
#define IO_TIMEOUT_MS 200
#define GROUPS_MAX    256

struct sybil {
	struct hs_identity *id;
	struct hs_noise_static *noise;
	uint8_t proof[64];
	struct hs_record rec; /* signed, advertising addr */
	struct hs_netaddr addr;
	int lfd;
	bool dialled; /* its own session to the victim is open */
	uint64_t next_dial_ms;
};

struct econn {
	int fd; /* -1 when the slot is free */
	struct sybil *s;
	bool initiator, active;
	struct hs_handshake *hs;
	struct hs_transport *tr;
	uint8_t in[2 + HS_NOISE_MSG_MAX];
	size_t inlen;
};

struct eclipse {
	struct hs_crypto *crypto;
	const char *network;
	struct hs_netaddr victim;
	struct sybil sybils[SYBILS_MAX];
	size_t nsybils;
	struct econn conns[ECONNS_MAX];
	bool listen;        /* the Sybils listen and advertise their addresses (eclipse) */
	unsigned redial_ms; /* pause before a redial */
	uint64_t sessions_in, sessions_out, getaddrs, records_sent, dials, closes;
};

static volatile sig_atomic_t eclipse_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	eclipse_stop = 1;
}

static void set_io_timeout(int fd)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = IO_TIMEOUT_MS * 1000 };
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void to_sockaddr(const struct hs_netaddr *a, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(a->port);
	memcpy(&sa->sin_addr, a->ip, 4);
}

static void sybil_init(struct eclipse *e, struct sybil *s, const struct hs_netaddr *addr)
{
	uint8_t seed[32], aux[32];
	do
		randombytes_buf(seed, 32);
	while (hs_identity_new(&s->id, e->crypto, seed) != 0);
	randombytes_buf(seed, 32);
	randombytes_buf(aux, 32);
	if (hs_noise_static_new(&s->noise, seed) != 0 ||
	    hs_handshake_prove(e->crypto, s->id, e->network, s->noise, aux, s->proof) != 0)
		die("sybil keys");
	sodium_memzero(seed, sizeof(seed));
	s->addr = *addr;
	sign_record(e->crypto, s->id, e->network, e->listen ? addr : NULL, &s->rec);
	s->lfd = -1;
	if (!e->listen)
		return;
	struct sockaddr_in sa;
	to_sockaddr(addr, &sa);
	int one = 1;
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s->lfd, 16) != 0)
		die("cannot listen on a sybil address");
}

static struct econn *econn_new(struct eclipse *e, int fd, struct sybil *s, bool initiator)
{
	struct econn *c = NULL;
	for (size_t i = 0; i < ECONNS_MAX && !c; i++)
		if (e->conns[i].fd < 0)
			c = &e->conns[i];
	if (!c) {
		close(fd);
		return NULL;
	}
	struct hs_handshake_config hc = { .crypto = e->crypto,
		                          .noise_static = s->noise,
		                          .identity = hs_identity_pubkey(s->id),
		                          .identity_sig = s->proof,
		                          .network = e->network };
	uint8_t eph[32];
	randombytes_buf(eph, 32);
	if (hs_handshake_new(&c->hs, &hc, initiator, eph) != 0)
		die("handshake");
	set_io_timeout(fd);
	c->fd = fd;
	c->s = s;
	c->initiator = initiator;
	c->active = false;
	c->tr = NULL;
	c->inlen = 0;
	return c;
}

static void econn_close(struct eclipse *e, struct econn *c)
{
	close(c->fd);
	c->fd = -1;
	hs_handshake_del(c->hs);
	c->hs = NULL;
	hs_transport_del(c->tr);
	c->tr = NULL;
	if (c->initiator) {
		c->s->dialled = false;
		c->s->next_dial_ms = ms_now() + e->redial_ms;
		e->closes++;
	}
}

/* Writes what the handshake has to say; on completion sends the Sybil's hello. */
static bool econn_handshake_step(struct eclipse *e, struct econn *c)
{
	uint8_t msg[HS_HANDSHAKE_MSG_MAX], remote[32];
	size_t n;
	while (hs_handshake_wants_write(c->hs)) {
		if (hs_handshake_write(c->hs, msg, sizeof(msg), &n) != 0)
			return false;
		send_frame_fd(c->fd, msg, n);
	}
	if (!hs_handshake_is_done(c->hs))
		return true;
	if (hs_handshake_finish(c->hs, &c->tr, remote) != 0)
		return false;
	hs_handshake_del(c->hs);
	c->hs = NULL;
	c->active = true;
	if (c->initiator)
		e->sessions_out++;
	else
		e->sessions_in++;
	send_hello(c->fd, c->tr, e->network, &c->s->rec);
	return true;
}

/* The answer to getaddr: records of the other Sybils only, a random sample. */
static void answer_getaddr(struct eclipse *e, struct econn *c)
{
	static struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_ADDR;
	size_t start = (size_t)randombytes_uniform((uint32_t)e->nsybils);
	for (size_t k = 0; k < e->nsybils && m.u.addr.count < HS_ADDR_MAX; k++) {
		const struct sybil *s = &e->sybils[(start + k) % e->nsybils];
		if (s != c->s)
			m.u.addr.records[m.u.addr.count++] = s->rec;
	}
	e->getaddrs++;
	e->records_sent += m.u.addr.count;
	send_msg_fd(c->fd, c->tr, &m);
}

/* One frame from the victim; false when the connection should close. */
static bool econn_frame(struct eclipse *e, struct econn *c, uint8_t *frame, size_t len)
{
	if (c->hs)
		return hs_handshake_read(c->hs, frame, len) == 0 && econn_handshake_step(e, c);
	static struct hs_msg m;
	size_t plen;
	if (hs_transport_decrypt(c->tr, frame, len, &plen, frame, len) != 0 ||
	    hs_msg_decode(&m, frame, plen) != 0)
		return false;
	if (m.type == HS_MSG_PING) {
		struct hs_msg pong = { .type = HS_MSG_PONG };
		pong.u.ping.nonce = m.u.ping.nonce;
		send_msg_fd(c->fd, c->tr, &pong);
	} else if (m.type == HS_MSG_GETADDR) {
		answer_getaddr(e, c);
	} else if (m.type == HS_MSG_DISCONNECT) {
		return false;
	}
	return true; /* anything else is ignored: a Sybil relays nothing */
}

static void econn_read(struct eclipse *e, struct econn *c)
{
	ssize_t r = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (r <= 0) {
		econn_close(e, c);
		return;
	}
	c->inlen += (size_t)r;
	while (c->inlen >= 2) {
		size_t n = (size_t)(c->in[0] | c->in[1] << 8);
		if (n == 0) {
			econn_close(e, c);
			return;
		}
		if (c->inlen < 2 + n)
			return;
		bool ok = econn_frame(e, c, c->in + 2, n);
		memmove(c->in, c->in + 2 + n, c->inlen - 2 - n);
		c->inlen -= 2 + n;
		if (!ok) {
			econn_close(e, c);
			return;
		}
	}
}

/* Each Sybil keeps one session open to the victim, from its own address. */
static void eclipse_dial(struct eclipse *e)
{
	uint64_t now = ms_now();
	for (size_t i = 0; i < e->nsybils; i++) {
		struct sybil *s = &e->sybils[i];
		if (s->dialled || now < s->next_dial_ms)
			continue;
		s->next_dial_ms = now + e->redial_ms;
		e->dials++;
		struct sockaddr_in src, dst;
		to_sockaddr(&s->addr, &src);
		src.sin_port = 0;
		to_sockaddr(&e->victim, &dst);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			continue;
		set_io_timeout(fd);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
		    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
			close(fd);
			continue;
		}
		struct econn *c = econn_new(e, fd, s, true);
		if (!c)
			continue;
		s->dialled = true;
		if (!econn_handshake_step(e, c))
			econn_close(e, c);
	}
}

static void eclipse_poll(struct eclipse *e)
{
	static struct pollfd pfd[SYBILS_MAX + ECONNS_MAX];
	static struct econn *who[SYBILS_MAX + ECONNS_MAX];
	size_t n = 0;
	for (size_t i = 0; e->listen && i < e->nsybils; i++) {
		pfd[n] = (struct pollfd){ .fd = e->sybils[i].lfd, .events = POLLIN };
		who[n++] = NULL;
	}
	for (size_t i = 0; i < ECONNS_MAX; i++)
		if (e->conns[i].fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = e->conns[i].fd, .events = POLLIN };
			who[n++] = &e->conns[i];
		}
	if (poll(pfd, (nfds_t)n, 100) <= 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (who[i]) {
			if (who[i]->fd == pfd[i].fd)
				econn_read(e, who[i]);
			continue;
		}
		int fd = accept(pfd[i].fd, NULL, NULL);
		struct econn *c = fd >= 0 ? econn_new(e, fd, &e->sybils[i], false) : NULL;
		if (c && !econn_handshake_step(e, c))
			econn_close(e, c);
	}
}

/* Address i of those dealt out in turn over the /16s 127.G.0.0, G in groups[0 .. ngroups). */
static void sybil_addr(struct hs_netaddr *a, size_t i, const unsigned *groups, size_t ngroups,
                       uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = HS_AF_INET;
	a->ip[0] = 127;
	a->ip[1] = (uint8_t)groups[i % ngroups];
	a->ip[2] = (uint8_t)(i / ngroups / 250);
	a->ip[3] = (uint8_t)(i / ngroups % 250 + 1);
	a->port = port;
}

struct sybil_opts {
	size_t nsybils, ngroups;
	unsigned groups[GROUPS_MAX];
	uint16_t port;
	unsigned duration_s, redial_ms;
	bool listen;
};

static int eclipse_main(const struct hs_netaddr *victim, const char *network,
                        const struct sybil_opts *o)
{
	static struct eclipse e;
	size_t nsybils = o->nsybils;
	e.network = network;
	e.victim = *victim;
	e.nsybils = nsybils;
	e.listen = o->listen;
	e.redial_ms = o->redial_ms;
	for (size_t i = 0; i < ECONNS_MAX; i++)
		e.conns[i].fd = -1;
	uint8_t seed[32];
	randombytes_buf(seed, 32);
	if (hs_crypto_new(&e.crypto, seed) != 0)
		die("crypto");
	for (size_t i = 0; i < nsybils; i++) {
		struct hs_netaddr a;
		sybil_addr(&a, i, o->groups, o->ngroups, o->port);
		sybil_init(&e, &e.sybils[i], &a);
		char id[65], as[HS_NETADDR_STRLEN];
		for (int k = 0; k < 32; k++)
			snprintf(id + 2 * k, 3, "%02x", hs_identity_pubkey(e.sybils[i].id)[k]);
		hs_netaddr_format(&a, as);
		printf("sybil %s %s\n", id, as);
	}
	printf("ready\n");
	fflush(stdout);
	signal(SIGTERM, on_stop_signal);
	signal(SIGINT, on_stop_signal);
	pid_t parent = getppid();
	uint64_t end = o->duration_s ? ms_now() + (uint64_t)o->duration_s * 1000 : UINT64_MAX;
	/* Stops with its parent too, so a test that dies leaves no Sybils behind. */
	while (!eclipse_stop && getppid() == parent && ms_now() < end) {
		eclipse_dial(&e);
		eclipse_poll(&e);
	}
	printf("%s: %zu sybils in %zu /16s; sessions %llu in (the victim dialled a sybil), %llu "
	       "out of %llu dials, %llu of them closed; %llu getaddr answered with %llu records\n",
	       e.listen ? "eclipse" : "inflood", nsybils, o->ngroups,
	       (unsigned long long)e.sessions_in, (unsigned long long)e.sessions_out,
	       (unsigned long long)e.dials, (unsigned long long)e.closes,
	       (unsigned long long)e.getaddrs, (unsigned long long)e.records_sent);
	for (size_t i = 0; i < ECONNS_MAX; i++)
		if (e.conns[i].fd >= 0)
			econn_close(&e, &e.conns[i]);
	for (size_t i = 0; i < nsybils; i++) {
		if (e.sybils[i].lfd >= 0)
			close(e.sybils[i].lfd);
		hs_noise_static_del(e.sybils[i].noise);
		hs_identity_del(e.sybils[i].id);
	}
	hs_crypto_del(e.crypto);
	return 0;
}

/* ---- badsig-many: a flood of fresh identities from one /16, each earning a ban ---------- */

#define BADSIG_MANY_MAX  60000 /* 240 addresses in each of 250 x.y blocks of the /16 */
#define BADSIG_RESEND_MS 100u

/* One identity from src: a handshake, a hello and a forged rumor. 0: refused before the
 * handshake completed; 1: closed after the rumor (banned); 2: still open after wait_ms. */
static int badsig_one(struct hs_crypto *crypto, const char *network, const struct hs_netaddr *to,
                      const struct hs_netaddr *src, unsigned wait_ms, char id_hex[65])
{
	struct mallory m = { .network = network, .crypto = crypto };
	uint8_t seed[32];
	do
		randombytes_buf(seed, 32);
	while (hs_identity_new(&m.id, crypto, seed) != 0);
	randombytes_buf(seed, 32);
	if (hs_noise_static_new(&m.noise, seed) != 0)
		die("noise");
	sodium_memzero(seed, sizeof(seed));
	struct sockaddr_in from, dst;
	to_sockaddr(src, &from);
	from.sin_port = 0;
	to_sockaddr(to, &dst);
	int outcome = 0;
	for (int k = 0; k < 32; k++)
		snprintf(id_hex + 2 * k, 3, "%02x", hs_identity_pubkey(m.id)[k]);
	m.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (m.fd < 0)
		die("socket");
	struct timeval tv = { .tv_sec = 2 };
	(void)setsockopt(m.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(m.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(m.fd, (struct sockaddr *)&from, sizeof(from)) != 0)
		die("cannot bind a source address in the /16");
	if (connect(m.fd, (struct sockaddr *)&dst, sizeof(dst)) == 0 && handshake(&m, false)) {
		hello(&m);
		/* A check over the victim's verification budget is dropped unverified and
		 * unpenalised (a flood of fresh groups can empty the reserve that funds them), so
		 * the forged rumor is sent again every BADSIG_RESEND_MS until it is judged. */
		uint64_t start = ms_now(), after;
		outcome = 2;
		for (unsigned nonce = 0; outcome == 2 && ms_now() - start < wait_ms; nonce++) {
			bad_rumor(&m, nonce);
			uint64_t left = wait_ms - (ms_now() - start);
			if (closed_within(
			            &m, left < BADSIG_RESEND_MS ? (unsigned)left : BADSIG_RESEND_MS,
			            &after))
				outcome = 1;
		}
	}
	close(m.fd);
	hs_transport_del(m.tr);
	hs_noise_static_del(m.noise);
	hs_identity_del(m.id);
	return outcome;
}

static int badsig_many_main(const struct hs_netaddr *to, const char *network, unsigned count,
                            const unsigned *groups, size_t ngroups, unsigned wait_ms)
{
	struct hs_crypto *crypto;
	uint8_t seed[32];
	randombytes_buf(seed, 32);
	if (hs_crypto_new(&crypto, seed) != 0)
		die("crypto");
	unsigned n[3] = { 0 };
	char id[65], last_id[65] = "none", last_addr[HS_NETADDR_STRLEN] = "none";
	uint64_t start = ms_now();
	for (unsigned i = 0; i < count; i++) {
		/* 127.G.x.y, x in 1..250 and y in 1..240: never 127.G.0.1 (a node's address) */
		unsigned k = (unsigned)(i / ngroups);
		struct hs_netaddr src = { .family = HS_AF_INET,
			                  .ip = { 127, (uint8_t)groups[i % ngroups],
			                          (uint8_t)(k / 240 + 1),
			                          (uint8_t)(k % 240 + 1) } };
		int outcome = badsig_one(crypto, network, to, &src, wait_ms, id);
		n[outcome]++;
		if (outcome == 1) {
			memcpy(last_id, id, sizeof(id));
			hs_netaddr_format(&src, last_addr);
		}
	}
	printf("badsig-many: last banned %s from %s\n", last_id, last_addr);
	printf("badsig-many: %u identities from %zu /16s (127.%u.0.0/16 first) in %llu ms: %u "
	       "banned (closed after the forged rumor), %u refused before the handshake, %u kept "
	       "open\n",
	       count, ngroups, groups[0], (unsigned long long)(ms_now() - start), n[1], n[0], n[2]);
	hs_crypto_del(crypto);
	return n[2] == 0 ? 0 : 1;
}

/* ---- getaddr-many: a scraper opening session after session from one /16 ------------------ */

/* One session from src asking getaddr: 0 refused (no session), 1 answered, 2 unanswered. */
static int getaddr_one(struct hs_crypto *crypto, const char *network, const struct hs_netaddr *to,
                       const struct hs_netaddr *src, unsigned wait_ms, size_t *records)
{
	struct mallory m = { .network = network, .crypto = crypto };
	uint8_t seed[32];
	do
		randombytes_buf(seed, 32);
	while (hs_identity_new(&m.id, crypto, seed) != 0);
	randombytes_buf(seed, 32);
	if (hs_noise_static_new(&m.noise, seed) != 0)
		die("noise");
	sodium_memzero(seed, sizeof(seed));
	struct sockaddr_in from, dst;
	to_sockaddr(src, &from);
	from.sin_port = 0;
	to_sockaddr(to, &dst);
	int outcome = 0;
	m.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (m.fd < 0)
		die("socket");
	struct timeval tv = { .tv_sec = 2 };
	(void)setsockopt(m.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(m.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(m.fd, (struct sockaddr *)&from, sizeof(from)) != 0)
		die("cannot bind a source address in the /16");
	if (connect(m.fd, (struct sockaddr *)&dst, sizeof(dst)) == 0 && handshake(&m, false)) {
		hello(&m);
		struct hs_msg ga = { .type = HS_MSG_GETADDR };
		send_msg(&m, &ga);
		outcome = 2;
		static uint8_t frame[HS_NOISE_MSG_MAX];
		static struct hs_msg msg;
		uint64_t start = ms_now();
		while (ms_now() - start < wait_ms) {
			struct pollfd pfd = { .fd = m.fd, .events = POLLIN };
			if (poll(&pfd, 1, 50) <= 0)
				continue;
			size_t n = recv_frame(&m, frame, sizeof(frame)), plen;
			if (n == 0)
				break; /* closed */
			if (hs_transport_decrypt(m.tr, frame, n, &plen, frame, n) != 0 ||
			    hs_msg_decode(&msg, frame, plen) != 0)
				break;
			if (msg.type == HS_MSG_ADDR) {
				*records += msg.u.addr.count;
				outcome = 1;
				break;
			}
		}
	}
	close(m.fd);
	hs_transport_del(m.tr);
	hs_noise_static_del(m.noise);
	hs_identity_del(m.id);
	return outcome;
}

static int getaddr_many_main(const struct hs_netaddr *to, const char *network, unsigned count,
                             unsigned group, unsigned wait_ms)
{
	struct hs_crypto *crypto;
	uint8_t seed[32];
	randombytes_buf(seed, 32);
	if (hs_crypto_new(&crypto, seed) != 0)
		die("crypto");
	unsigned n[3] = { 0 };
	size_t records = 0;
	for (unsigned i = 0; i < count; i++) {
		struct hs_netaddr src = { .family = HS_AF_INET,
			                  .ip = { 127, (uint8_t)group, (uint8_t)(i / 240 + 1),
			                          (uint8_t)(i % 240 + 1) } };
		n[getaddr_one(crypto, network, to, &src, wait_ms, &records)]++;
	}
	printf("getaddr-many: %u sessions from 127.%u.0.0/16: %u answered (%zu records), %u "
	       "unanswered, %u refused\n",
	       count, group, n[1], records, n[2], n[0]);
	hs_crypto_del(crypto);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: hearsay-mallory "
		      "garbage|oversize|badproof|badsig-rumor|equivocate|flood|good "
		      "IP:PORT [-bind=IP] [-network=NAME] [-wait=MS]\n"
		      "       hearsay-mallory eclipse|inflood IP:PORT -port=P [-sybils=N] "
		      "[-groups=A,B,...] [-redial=MS] [-network=NAME] [-duration=S]\n"
		      "       hearsay-mallory badsig-many IP:PORT -count=N [-groups=G] "
		      "[-network=NAME] [-wait=MS]\n"
		      "       hearsay-mallory getaddr-many IP:PORT -count=N [-groups=G] "
		      "[-network=NAME] [-wait=MS]\n",
		      stderr);
		return 64;
	}
	struct mallory m = { .network = "main" };
	const char *attack = argv[1], *bind_ip = NULL;
	unsigned wait_ms = 3000, nsybils = 50, port = 0, duration_s = 0, count = 1000;
	unsigned redial_ms = REDIAL_MS, groups[GROUPS_MAX] = { 200, 201 };
	size_t ngroups = 2;
	bool wait_set = false, groups_set = false;
	for (int i = 3; i < argc; i++) {
		if (strncmp(argv[i], "-bind=", 6) == 0)
			bind_ip = argv[i] + 6;
		else if (strncmp(argv[i], "-network=", 9) == 0)
			m.network = argv[i] + 9;
		else if (strncmp(argv[i], "-wait=", 6) == 0)
			wait_ms = (unsigned)atoi(argv[i] + 6), wait_set = true;
		else if (strncmp(argv[i], "-count=", 7) == 0)
			count = (unsigned)atoi(argv[i] + 7);
		else if (strncmp(argv[i], "-redial=", 8) == 0)
			redial_ms = (unsigned)atoi(argv[i] + 8);
		else if (strncmp(argv[i], "-sybils=", 8) == 0)
			nsybils = (unsigned)atoi(argv[i] + 8);
		else if (strncmp(argv[i], "-port=", 6) == 0)
			port = (unsigned)atoi(argv[i] + 6);
		else if (strncmp(argv[i], "-duration=", 10) == 0)
			duration_s = (unsigned)atoi(argv[i] + 10);
		else if (strncmp(argv[i], "-groups=", 8) == 0) {
			ngroups = 0;
			groups_set = true;
			for (const char *g = argv[i] + 8; *g; g += *g == ',') {
				char *end;
				unsigned long v = strtoul(g, &end, 10), last = v;
				if (end != g && *end == '-')
					last = strtoul(g = end + 1, &end, 10);
				if (end == g || last > 255 || last < v ||
				    ngroups + (last - v) >= GROUPS_MAX)
					die("-groups=A,B-C,...: /16s 127.A, 127.B to 127.C, ...");
				while (v <= last)
					groups[ngroups++] = (unsigned)v++;
				g = end;
			}
		}
	}
	struct hs_netaddr to;
	if (!hs_netaddr_parse(&to, argv[2], 0) || to.family != HS_AF_INET)
		die("expected IPv4:PORT");
	if (sodium_init() < 0)
		die("libsodium");
	if (strcmp(attack, "eclipse") == 0 || strcmp(attack, "inflood") == 0) {
		struct sybil_opts o = { .nsybils = nsybils,
			                .ngroups = ngroups,
			                .port = (uint16_t)port,
			                .duration_s = duration_s,
			                .redial_ms = redial_ms,
			                .listen = strcmp(attack, "eclipse") == 0 };
		memcpy(o.groups, groups, sizeof(groups));
		if (nsybils < 2 || nsybils > SYBILS_MAX || ngroups == 0 || port > 65535 ||
		    (o.listen && port == 0))
			die("eclipse needs -port=P; eclipse and inflood 2..400 -sybils, 1..8 "
			    "-groups");
		return eclipse_main(&to, m.network, &o);
	}
	if (strcmp(attack, "badsig-many") == 0) {
		if (count == 0 || count / (groups_set ? ngroups : 1) > BADSIG_MANY_MAX)
			die("badsig-many needs -count=1.., at most 60000 per /16");
		static const unsigned one[1] = { 90 };
		return badsig_many_main(&to, m.network, count, groups_set ? groups : one,
		                        groups_set ? ngroups : 1, wait_set ? wait_ms : 2000);
	}
	if (strcmp(attack, "getaddr-many") == 0) {
		if (count == 0 || count > BADSIG_MANY_MAX)
			die("getaddr-many needs -count=1..60000");
		return getaddr_many_main(&to, m.network, count, groups_set ? groups[0] : 91,
		                         wait_set ? wait_ms : 1000);
	}
	setup(&m);
	m.fd = dial(&to, bind_ip);
	char id[65];
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", hs_identity_pubkey(m.id)[i]);
	printf("mallory %s: attack %s on %s\n", id, attack, argv[2]);
	fflush(stdout);
	/* Equivocation is recorded as a proof against the origin, not a fault of the session. */
	bool expect_close = strcmp(attack, "good") != 0 && strcmp(attack, "equivocate") != 0;
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
	           strcmp(attack, "good") == 0 || strcmp(attack, "equivocate") == 0) {
		if (!handshake(&m, false))
			die("the node refused a valid handshake");
		hello(&m);
		if (strcmp(attack, "badsig-rumor") == 0) {
			bad_rumor(&m, 0);
		} else if (strcmp(attack, "equivocate") == 0) {
			equivocate(&m);
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

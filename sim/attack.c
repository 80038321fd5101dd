/*
 * Byzantine strategies (docs/SIM.md §9). An attacker is a real hs_node core with real keys; its
 * strategy sits on the core's input and output and nowhere else:
 *
 *   - output: caps.filter_out sees the plaintext of every frame the core is about to send and
 *     may drop it (and queue a replacement: filter_out must not call into the node, so frames
 *     go to an outbox the pump sends with hs_node_send_raw right after);
 *   - injection: a periodic tick builds frames with the public codecs (msg.h, rumor.h,
 *     entry.h, record.h) and the attacker's own identity, and sends them with hs_node_send_raw
 *     on the core's active sessions;
 *   - input: the core's own events (deliveries, state changes) give the strategy what it
 *     replays or duplicates.
 *
 * One function per strategy and one table keyed by name. Random draws come from the
 * attacker's own PRNG stream; set-up draws (victims, the censor target) from a stream of
 * their own, so an attack run and its benign twin agree on them.
 */
#include <stdlib.h>
#include <string.h>

#include "overlay/msg.h"
#include "sim_impl.h"

#define TICK_NS       (250 * HS_NS_PER_MS) /* strategies inject this often */
#define INVALID_BURST 32                   /* forged rumors per session per tick (128/s) */
#define SPAM_BURST                                                                                 \
	100                 /* frames per session per tick (400/s: a fifth of the core's frame     \
	                     * limit, which keeps a 200 + 200 run within seconds) */
#define SPAM_JUNK_EVERY  2  /* ticks: a malformed frame ends the spam burst this often */
#define REPLAY_BURST     2  /* old frames per session per tick */
#define RING_MAX         64 /* rumors / state frames an attacker keeps to replay */
#define STATE_EVERY      8  /* ticks between the replayer's own state updates */
#define STATE_UPDATES    2  /* ... of which it makes this many, then only replays them */
#define EQUIVOCATE_EVERY 8  /* ticks between equivocations */
#define EQUIVOCATIONS    1  /* ... of which each attacker makes this many */
#define RECORDS_EVERY    8  /* ticks between refreshes of the Sybil record cache */
#define ACCUSE_EVERY     4  /* ticks between a liar's fresh accusations (once a second) */
#define ACCUSED          4  /* live honest members each liar accuses at a time */

struct sim_frame {
	uint64_t peer;
	uint32_t len;
	uint8_t data[];
};

struct ring {
	uint8_t *frame[RING_MAX];
	uint32_t len[RING_MAX];
	size_t count, next;
};

struct sim_adv {
	struct sim_frame **out; /* the outbox */
	size_t nout, outcap;
	struct ring rumors, states; /* frames to replay or duplicate */
	uint64_t ticks, version;
	uint64_t dropped, injected;
};

/* ---- the table of names ------------------------------------------------------------------ */

static const char *const names[HS_SIM_ATTACK_COUNT] = {
	[HS_SIM_ATTACK_NONE] = "none",
	[HS_SIM_ATTACK_DROP] = "drop",
	[HS_SIM_ATTACK_INVALID_SIG] = "invalid-sig",
	[HS_SIM_ATTACK_SPAM] = "spam",
	[HS_SIM_ATTACK_WITHHOLD] = "withhold",
	[HS_SIM_ATTACK_ECLIPSE] = "eclipse",
	[HS_SIM_ATTACK_REPLAY] = "replay",
	[HS_SIM_ATTACK_EQUIVOCATE] = "equivocate",
	[HS_SIM_ATTACK_CENSOR] = "censor",
	[HS_SIM_ATTACK_COVERT_FLASH] = "covert-flash",
	[HS_SIM_ATTACK_COLD_BOOT] = "cold-boot",
	[HS_SIM_ATTACK_FALSE_SUSPECT] = "false-suspect",
};

const char *hs_sim_attack_name(enum hs_sim_attack a)
{
	return (unsigned)a < HS_SIM_ATTACK_COUNT ? names[a] : NULL;
}

int hs_sim_attack_parse(const char *name, enum hs_sim_attack *out)
{
	for (unsigned i = 0; i < HS_SIM_ATTACK_COUNT; i++)
		if (strcmp(names[i], name) == 0) {
			*out = (enum hs_sim_attack)i;
			return 0;
		}
	return HS_ERR_NOT_FOUND;
}

/* ---- set-up ------------------------------------------------------------------------------ */

static struct sim_adv *advs_of(struct hs_sim *sim)
{
	return sim->byzantine_state;
}

int sim_attack_init(struct hs_sim *sim)
{
	const struct hs_sim_config *c = &sim->cfg;
	/* Victims and the censor target: non-seed honest nodes, from a stream of their own. */
	struct sim_rng r;
	sim_rng_seed(&r, sim_mix64(c->seed ^ 0x76696374696d73ull));
	size_t pool = c->nodes - (c->seeds < c->nodes ? c->seeds : c->nodes);
	for (size_t v = 0; v < c->victims && v < pool; v++) {
		uint32_t i;
		do
			i = (uint32_t)(c->seeds + sim_rng_below(&r, pool));
		while (sim->nodes[i].victim);
		sim->nodes[i].victim = true;
	}
	sim->censor_target = pool ? (uint32_t)(c->seeds + sim_rng_below(&r, pool)) : 0;
	if (c->byzantine == 0)
		return 0;
	sim->byzantine_state = calloc(c->byzantine, sizeof(struct sim_adv));
	sim->adv_records = calloc(c->byzantine, sizeof(*sim->adv_records));
	sim->adv_record_len = calloc(c->byzantine, sizeof(*sim->adv_record_len));
	if (!sim->byzantine_state || !sim->adv_records || !sim->adv_record_len)
		return HS_ERR_NOMEM;
	for (size_t j = 0; j < c->byzantine; j++)
		sim->nodes[c->nodes + j].adv = &advs_of(sim)[j];
	return hs_tag_init(&sim->tag_state, "state", "sim");
}

static void ring_free(struct ring *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->frame[i]);
	r->count = 0;
}

void sim_attack_free(struct hs_sim *sim)
{
	struct sim_adv *a = advs_of(sim);
	for (size_t j = 0; a && j < sim->cfg.byzantine; j++) {
		for (size_t k = 0; k < a[j].nout; k++)
			free(a[j].out[k]);
		free(a[j].out);
		ring_free(&a[j].rumors);
		ring_free(&a[j].states);
	}
	free(a);
	free(sim->adv_records);
	free(sim->adv_record_len);
}

bool sim_attack_active(const struct hs_sim *sim)
{
	return sim->cfg.byzantine > 0 && sim->now >= SIM_T0_NS + sim->cfg.attack_start_ns;
}

size_t sim_attack_frames(const struct hs_sim *sim, bool injected)
{
	size_t t = 0;
	const struct sim_adv *a = sim->byzantine_state;
	for (size_t j = 0; a && j < sim->cfg.byzantine; j++)
		t += injected ? a[j].injected : a[j].dropped;
	return t;
}

/* ---- the outbox and the rings ------------------------------------------------------------ */

static void queue(struct hs_sim *sim, struct sim_node *n, uint64_t peer, const uint8_t *msg,
                  size_t len)
{
	struct sim_adv *a = n->adv;
	if (a->nout == a->outcap) {
		size_t ncap = a->outcap ? a->outcap * 2 : 64;
		struct sim_frame **g = realloc(a->out, ncap * sizeof(*g));
		if (!g)
			sim_die(sim, "out of memory", n->index);
		a->out = g;
		a->outcap = ncap;
	}
	struct sim_frame *f = malloc(sizeof(*f) + len);
	if (!f)
		sim_die(sim, "out of memory", n->index);
	f->peer = peer;
	f->len = (uint32_t)len;
	memcpy(f->data, msg, len);
	a->out[a->nout++] = f;
}

/* Encodes m and queues it; a message the codec refuses is the strategy's bug. */
static void queue_msg(struct hs_sim *sim, struct sim_node *n, uint64_t peer, const struct hs_msg *m)
{
	static uint8_t buf[HS_FRAME_MAX];
	size_t len;
	if (hs_msg_encode(m, buf, sizeof(buf), &len) != 0)
		sim_die(sim, "an attacker built a frame the codec refuses", n->index);
	queue(sim, n, peer, buf, len);
}

bool sim_attack_flush(struct hs_sim *sim, struct sim_node *n)
{
	struct sim_adv *a = n->adv;
	if (a->nout == 0)
		return false;
	size_t count = a->nout;
	struct sim_frame **out = a->out;
	a->out = NULL;
	a->nout = a->outcap = 0;
	for (size_t k = 0; k < count; k++) {
		/* A session that closed meanwhile refuses: that frame is simply lost. */
		if (hs_node_send_raw(n->node, out[k]->peer, out[k]->data, out[k]->len, sim->now) ==
		    0)
			a->injected++;
		free(out[k]);
	}
	free(out);
	return true;
}

static void ring_put(struct hs_sim *sim, struct ring *r, const uint8_t *frame, size_t len)
{
	uint8_t *copy = malloc(len);
	if (!copy)
		sim_die(sim, "out of memory", SIM_NONE);
	memcpy(copy, frame, len);
	size_t at;
	if (r->count < RING_MAX) {
		at = r->count++; /* next stays 0: the oldest */
	} else {
		at = r->next; /* full: the oldest gives way */
		free(r->frame[at]);
		r->next = (r->next + 1) % RING_MAX;
	}
	r->frame[at] = copy;
	r->len[at] = (uint32_t)len;
}

/* ---- frame builders ---------------------------------------------------------------------- */

static const uint8_t *attacker_id(const struct sim_node *n)
{
	return hs_identity_pubkey(n->identity);
}

/* A rumor from origin on the simulator's topic, with a random signature. */
static void forge_rumor(struct hs_sim *sim, struct sim_node *n, uint64_t peer,
                        const uint8_t origin[HS_KEY_LEN])
{
	static struct hs_msg m;
	uint8_t payload[32];
	sim_rng_bytes(&n->rng, payload, sizeof(payload));
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_RUMOR;
	struct hs_rumor *rm = &m.u.rumor.rumor;
	memcpy(rm->origin, origin, HS_KEY_LEN);
	rm->topic = (const uint8_t *)"sim";
	rm->topic_len = 3;
	rm->time_ms = sim->now / HS_NS_PER_MS;
	rm->payload = payload;
	rm->payload_len = sizeof(payload);
	sim_rng_bytes(&n->rng, rm->sig, HS_SIG_LEN);
	queue_msg(sim, n, peer, &m);
}

/* A random honest node's identity (one that has joined), or the attacker's own. */
static const uint8_t *some_honest_id(struct hs_sim *sim, struct sim_node *n)
{
	uint32_t i = (uint32_t)sim_rng_below(&n->rng, sim->cfg.nodes);
	return sim->nodes[i].joined ? hs_identity_pubkey(sim->nodes[i].identity) : attacker_id(n);
}

static void inv_random(struct hs_sim *sim, struct sim_node *n, uint64_t peer, size_t count)
{
	static uint8_t items[16 * HS_INV_ITEM_LEN];
	static struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_INV;
	m.u.inv.count = count < 16 ? count : 16;
	for (size_t i = 0; i < m.u.inv.count; i++) {
		items[i * HS_INV_ITEM_LEN] = HS_INV_RUMOR;
		sim_rng_bytes(&n->rng, items + i * HS_INV_ITEM_LEN + 1, HS_ID_LEN);
	}
	m.u.inv.items = items;
	queue_msg(sim, n, peer, &m);
}

/* One signed state entry of the attacker's own. */
static void signed_entry(struct hs_sim *sim, struct sim_node *n, struct hs_entry *e,
                         const char *key, uint64_t version, const uint8_t *value, size_t vlen)
{
	uint8_t enc[1024], digest[32], aux[32];
	size_t len;
	memset(e, 0, sizeof(*e));
	memcpy(e->origin, attacker_id(n), HS_KEY_LEN);
	e->key = (const uint8_t *)key;
	e->key_len = strlen(key);
	e->generation = n->generation;
	e->version = version;
	e->kind = HS_ENTRY_VALUE;
	e->value = value;
	e->value_len = vlen;
	if (hs_entry_encode(e, enc, sizeof(enc), &len) != 0)
		sim_die(sim, "an attacker built an entry the codec refuses", n->index);
	hs_tag_hash(&sim->tag_state, digest, enc, len - HS_SIG_LEN);
	sim_rng_bytes(&n->rng, aux, sizeof(aux));
	if (hs_identity_sign(sim->crypto, n->identity, e->sig, digest, aux) != 0)
		sim_die(sim, "an attacker cannot sign", n->index);
}

/* An addr answer listing other attackers (Sybil identities), chosen at random. */
static void poison_addr(struct hs_sim *sim, struct sim_node *n, uint64_t peer)
{
	static struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_ADDR;
	size_t M = sim->cfg.byzantine, self = n->index - sim->cfg.nodes;
	for (size_t tries = 0; m.u.addr.count < HS_ADDR_MAX && tries < 4 * HS_ADDR_MAX; tries++) {
		size_t j = (size_t)sim_rng_below(&n->rng, M);
		if (j == self || sim->adv_record_len[j] == 0)
			continue;
		if (hs_record_decode(&m.u.addr.records[m.u.addr.count], sim->adv_records[j],
		                     sim->adv_record_len[j]) == 0)
			m.u.addr.count++;
	}
	if (m.u.addr.count > 0)
		queue_msg(sim, n, peer, &m);
}

static void refresh_record(struct hs_sim *sim, struct sim_node *n)
{
	size_t j = n->index - sim->cfg.nodes;
	size_t len;
	if (hs_node_record(n->node, sim->adv_records[j], HS_RECORD_MAX, &len) == 0)
		sim->adv_record_len[j] = len;
}

/* ---- output filters ---------------------------------------------------------------------- */

static bool is_data(uint8_t t)
{
	return t == HS_MSG_INV || t == HS_MSG_RUMOR || t == HS_MSG_STATE || t == HS_MSG_NOTFOUND;
}

/* censor: the target's rumors never leave; its ids are cut out of announcements. */
static bool censor_filter(struct hs_sim *sim, struct sim_node *n, uint64_t peer, const uint8_t *msg,
                          size_t len)
{
	const struct sim_node *t = &sim->nodes[sim->censor_target];
	if (!t->joined)
		return true;
	const uint8_t *target = hs_identity_pubkey(t->identity);
	if (msg[0] == HS_MSG_RUMOR) {
		struct hs_rumor rm;
		return hs_rumor_decode(&rm, msg + 1, len - 1) != 0 ||
		       memcmp(rm.origin, target, HS_KEY_LEN) != 0;
	}
	if (msg[0] != HS_MSG_INV)
		return true;
	static struct hs_msg m;
	static uint8_t keep[HS_INV_MAX * HS_INV_ITEM_LEN];
	if (hs_msg_decode(&m, msg, len) != 0)
		return true;
	size_t kept = 0;
	for (size_t i = 0; i < m.u.inv.count; i++) {
		uint8_t kind;
		const uint8_t *id;
		hs_inv_item(&m.u.inv, i, &kind, &id);
		uint32_t r = kind == HS_INV_RUMOR ? sim_rumor_find(sim, id) : SIM_NONE;
		if (r != SIM_NONE && sim->rumors[r].origin == sim->censor_target)
			continue;
		memcpy(keep + kept * HS_INV_ITEM_LEN, m.u.inv.items + i * HS_INV_ITEM_LEN,
		       HS_INV_ITEM_LEN);
		kept++;
	}
	if (kept == m.u.inv.count)
		return true;
	if (kept > 0) {
		m.u.inv.count = kept;
		m.u.inv.items = keep;
		queue_msg(sim, n, peer, &m);
	}
	return false;
}

bool sim_attack_filter(void *ctx, uint64_t peer, const uint8_t *msg, size_t msglen)
{
	struct sim_node *n = ctx;
	struct hs_sim *sim = n->sim;
	if (!sim_attack_active(sim) || msglen == 0)
		return true;
	uint8_t t = msg[0];
	bool pass = true;
	switch (sim->cfg.attack) {
	case HS_SIM_ATTACK_DROP:
		pass = !is_data(t);
		break;
	case HS_SIM_ATTACK_WITHHOLD:
	case HS_SIM_ATTACK_COVERT_FLASH:
		pass = t != HS_MSG_RUMOR && t != HS_MSG_STATE && t != HS_MSG_NOTFOUND;
		break;
	case HS_SIM_ATTACK_ECLIPSE: {
		/* Aimed at the victims: everyone else sees an honest peer. */
		uint32_t who = sim_peer_node(sim, n, peer);
		if (who == SIM_NONE || !sim->nodes[who].victim)
			break;
	}
		__attribute__((fallthrough));
	case HS_SIM_ATTACK_COLD_BOOT:
		if (t == HS_MSG_ADDR) {
			poison_addr(sim, n, peer);
			pass = false;
		} else {
			pass = !is_data(t);
		}
		break;
	case HS_SIM_ATTACK_CENSOR:
		pass = censor_filter(sim, n, peer, msg, msglen);
		break;
	case HS_SIM_ATTACK_REPLAY:
		if (t == HS_MSG_STATE)
			ring_put(sim, &n->adv->states, msg, msglen);
		break;
	default:
		break;
	}
	n->adv->dropped += !pass;
	return pass;
}

/* ---- events and ticks -------------------------------------------------------------------- */

void sim_attack_event(struct hs_sim *sim, struct sim_node *n, const struct hs_event *ev)
{
	if (ev->type != HS_EV_DELIVER ||
	    (sim->cfg.attack != HS_SIM_ATTACK_REPLAY && sim->cfg.attack != HS_SIM_ATTACK_SPAM))
		return;
	static uint8_t frame[1 + HS_FRAME_MAX];
	size_t len;
	frame[0] = HS_MSG_RUMOR;
	if (hs_rumor_encode(&ev->rumor, frame + 1, sizeof(frame) - 1, &len) == 0)
		ring_put(sim, &n->adv->rumors, frame, 1 + len);
}

static void schedule_tick(struct hs_sim *sim, struct sim_node *n, uint64_t at)
{
	if (sim_evq_push(&sim->evq, at, SIM_EV_ATTACK, n->index, 0, NULL) != 0)
		sim_die(sim, "out of memory", n->index);
}

static bool ticks(enum hs_sim_attack a)
{
	return a == HS_SIM_ATTACK_INVALID_SIG || a == HS_SIM_ATTACK_SPAM ||
	       a == HS_SIM_ATTACK_REPLAY || a == HS_SIM_ATTACK_EQUIVOCATE ||
	       a == HS_SIM_ATTACK_ECLIPSE || a == HS_SIM_ATTACK_COLD_BOOT ||
	       a == HS_SIM_ATTACK_FALSE_SUSPECT;
}

void sim_attack_joined(struct hs_sim *sim, struct sim_node *n)
{
	refresh_record(sim, n);
	if (sim->cfg.attack == HS_SIM_ATTACK_ECLIPSE) {
		/* Aim at the victims: always keep a session to each (their inbound slots). */
		for (uint32_t i = 0; i < sim->cfg.nodes; i++)
			if (sim->nodes[i].victim &&
			    hs_node_add_peer(n->node, &sim->nodes[i].addr, sim->now) != 0)
				break; /* the manual list is full */
		sim_pump(sim, n);
	}
	if (!ticks(sim->cfg.attack))
		return;
	uint64_t start = SIM_T0_NS + sim->cfg.attack_start_ns;
	uint64_t at = sim->now > start ? sim->now : start;
	schedule_tick(sim, n, at + sim_rng_below(&n->rng, TICK_NS));
}

static void tick_invalid_sig(struct hs_sim *sim, struct sim_node *n, uint64_t peer)
{
	for (unsigned k = 0; k < INVALID_BURST; k++)
		forge_rumor(sim, n, peer, k % 2 ? some_honest_id(sim, n) : attacker_id(n));
}

static void tick_spam(struct hs_sim *sim, struct sim_node *n, uint64_t peer)
{
	static struct hs_msg m;
	struct ring *dups = &n->adv->rumors;
	for (unsigned k = 0; k < SPAM_BURST; k++) {
		memset(&m, 0, sizeof(m));
		switch (k % 6) {
		case 0:
			if (dups->count > 0) {
				size_t i = (size_t)sim_rng_below(&n->rng, dups->count);
				queue(sim, n, peer, dups->frame[i], dups->len[i]);
				continue;
			}
			/* nothing to duplicate yet: a ping instead */
			__attribute__((fallthrough));
		case 1:
			m.type = HS_MSG_PING;
			m.u.ping.nonce = sim_rng_next(&n->rng);
			break;
		case 2:
			inv_random(sim, n, peer, 16);
			continue;
		case 3:
			m.type = HS_MSG_GETADDR;
			break;
		case 4:
			m.type = HS_MSG_PULL;
			sim_rng_bytes(&n->rng, m.u.pull.salt, sizeof(m.u.pull.salt));
			break;
		default:
			m.type = HS_MSG_PUSH;
			m.u.push.mode = k % 12 < 6 ? HS_PUSH_GRAFT : HS_PUSH_PRUNE;
			break;
		}
		queue_msg(sim, n, peer, &m);
	}
	if (n->adv->ticks % SPAM_JUNK_EVERY == 0) {
		/* Junk of a known type (an unknown type is a newer protocol's, ignored): an inv of
		 * zero items, then random bytes. */
		uint8_t junk[24];
		sim_rng_bytes(&n->rng, junk, sizeof(junk));
		junk[0] = HS_MSG_INV;
		junk[1] = 0;
		queue(sim, n, peer, junk, sizeof(junk));
	}
}

static void tick_replay(struct hs_sim *sim, struct sim_node *n, uint64_t peer)
{
	struct sim_adv *a = n->adv;
	for (unsigned k = 0; k < REPLAY_BURST; k++) {
		struct ring *r = k % 2 ? &a->states : &a->rumors;
		if (r->count == 0)
			continue;
		/* The oldest first: what the receiver has long had, or has since superseded. */
		size_t i =
		        (r->next + (size_t)sim_rng_below(&n->rng, (r->count + 3) / 4)) % r->count;
		queue(sim, n, peer, r->frame[i], r->len[i]);
	}
}

static void equivocate(struct hs_sim *sim, struct sim_node *n, const struct hs_peer_info *peers,
                       size_t np)
{
	static struct hs_msg ma, mb;
	struct sim_adv *a = n->adv;
	a->version++;
	uint8_t va[9] = "A", vb[9] = "B";
	memcpy(va + 1, &a->version, 8);
	memcpy(vb + 1, &a->version, 8);
	memset(&ma, 0, sizeof(ma));
	memset(&mb, 0, sizeof(mb));
	ma.type = mb.type = HS_MSG_STATE;
	ma.u.state.count = mb.u.state.count = 1;
	signed_entry(sim, n, &ma.u.state.entries[0], "eq", a->version, va, sizeof(va));
	signed_entry(sim, n, &mb.u.state.entries[0], "eq", a->version, vb, sizeof(vb));
	for (size_t i = 0, k = 0; i < np; i++)
		if (peers[i].active && !sim_is_attacker(sim, sim_peer_node(sim, n, peers[i].peer)))
			queue_msg(sim, n, peers[i].peer, k++ % 2 ? &mb : &ma);
}

static int cmp_suspect(const void *a, const void *b)
{
	return memcmp(a, b, HS_KEY_LEN); /* id is the first field */
}

/* false-suspect: a signed suspects list naming the current heartbeats of ACCUSED live honest
 * members of the liar's own table, at random, sent to every honest peer (who relay it). The
 * accused refute; the liars accuse the fresh heartbeat again a second later. */
static void false_suspect(struct hs_sim *sim, struct sim_node *n, const struct hs_peer_info *peers,
                          size_t np)
{
	static struct hs_member_info mi[HS_MEMBERS_MAX];
	size_t nm = hs_node_members(n->node, mi, HS_MEMBERS_MAX);
	nm = nm < HS_MEMBERS_MAX ? nm : HS_MEMBERS_MAX;
	struct hs_suspect list[ACCUSED];
	size_t k = 0;
	for (size_t tries = 0; nm > 0 && k < ACCUSED && tries < 8 * ACCUSED; tries++) {
		const struct hs_member *m = &mi[sim_rng_below(&n->rng, nm)].m;
		uint32_t who = sim_keymap_find(sim, m->id);
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = memcmp(list[j].id, m->id, HS_KEY_LEN) == 0;
		if (dup || who == SIM_NONE || sim_is_attacker(sim, who) ||
		    m->status != HS_MEMBER_ALIVE)
			continue;
		memcpy(list[k].id, m->id, HS_KEY_LEN);
		list[k].generation = m->generation;
		list[k].heartbeat = m->heartbeat;
		k++;
	}
	if (k == 0)
		return;
	qsort(list, k, sizeof(list[0]), cmp_suspect);
	uint8_t v[HS_SUSPECTS_VALUE_MAX];
	size_t vlen = hs_suspects_encode(list, k, v);
	static struct hs_msg m;
	memset(&m, 0, sizeof(m));
	m.type = HS_MSG_STATE;
	m.u.state.count = 1;
	/* Versions far above the liar's own writes, so each list supersedes the last. */
	signed_entry(sim, n, &m.u.state.entries[0], HS_SUSPECTS_KEY,
	             (1ull << 40) + ++n->adv->version, v, vlen);
	for (size_t i = 0; i < np; i++)
		if (peers[i].active && !sim_is_attacker(sim, sim_peer_node(sim, n, peers[i].peer)))
			queue_msg(sim, n, peers[i].peer, &m);
}

void sim_attack_tick(struct hs_sim *sim, struct sim_node *n)
{
	struct sim_adv *a = n->adv;
	a->ticks++;
	enum hs_sim_attack at = sim->cfg.attack;
	if (a->ticks % RECORDS_EVERY == 1)
		refresh_record(sim, n);
	/* Half the replayers make state of their own (each relays the others', so every one has
	 * old entries to replay): the versions flood the whole network, which is costly. */
	if (at == HS_SIM_ATTACK_REPLAY && a->ticks % STATE_EVERY == 1 &&
	    a->ticks <= STATE_UPDATES * STATE_EVERY && n->index % 2 == 0) {
		uint8_t v[8];
		memcpy(v, &a->ticks, sizeof(v));
		uint8_t id[HS_ID_LEN];
		(void)!hs_node_set_state(n->node, "replay", v, sizeof(v), id, sim->now);
	}
	static struct hs_peer_info peers[HS_PEERS_MAX];
	size_t np = hs_node_peers(n->node, peers, HS_PEERS_MAX);
	np = np < HS_PEERS_MAX ? np : HS_PEERS_MAX;
	/* Once it has sessions (a few seconds after joining); one attacker in four, since every
	 * equivocation costs the honest network thousands of frames (docs/SIM.md §8). */
	if (at == HS_SIM_ATTACK_EQUIVOCATE && n->index % 4 == 0 &&
	    a->ticks >= 4 * EQUIVOCATE_EVERY && a->ticks % EQUIVOCATE_EVERY == 0 &&
	    a->version < EQUIVOCATIONS)
		equivocate(sim, n, peers, np);
	if (at == HS_SIM_ATTACK_FALSE_SUSPECT && a->ticks % ACCUSE_EVERY == 0)
		false_suspect(sim, n, peers, np);
	for (size_t i = 0; i < np; i++) {
		/* Attackers collude: they spare one another. */
		if (!peers[i].active || sim_is_attacker(sim, sim_peer_node(sim, n, peers[i].peer)))
			continue;
		if (at == HS_SIM_ATTACK_INVALID_SIG)
			tick_invalid_sig(sim, n, peers[i].peer);
		else if (at == HS_SIM_ATTACK_SPAM)
			tick_spam(sim, n, peers[i].peer);
		else if (at == HS_SIM_ATTACK_REPLAY)
			tick_replay(sim, n, peers[i].peer);
	}
	sim_pump(sim, n);
	schedule_tick(sim, n, sim->now + TICK_NS);
}

/* ---- eclipse bookkeeping ----------------------------------------------------------------- */

void sim_attack_sample_victim(struct hs_sim *sim, struct sim_node *n)
{
	if (!sim_attack_active(sim) || sim->eclipsed[n->index])
		return;
	size_t out = 0, bad = 0;
	for (size_t i = 0; i < n->neps; i++) {
		const struct sim_ep *ep = &n->eps[i];
		const struct sim_conn *k = &sim->conns[ep->conn];
		if (ep->side != 0 || !k->up[0])
			continue;
		out++;
		bad += sim_is_attacker(sim, k->node[1]);
	}
	if (out > 0 && bad == out)
		sim->eclipsed[n->index] = true;
}

/*
 * The network model: addresses, link latencies, TCP connections as two FIFOs, loss as TCP
 * experiences it, partitions and dials (docs/SIM.md, "Network model").
 *
 * - Node i listens on one address; nodes are spread round-robin over cfg.groups network
 *   groups (the core keeps at most one outbound peer per group): IPv4 /16s, or for the
 *   cfg.ipv6_fraction of honest nodes on IPv6 (spread evenly over the indices), the IPv6 /32
 *   of the same group index (2a01:GGGG::/32), as hs_netaddr_group groups them.
 * - A node pair has one one-way latency for the whole run, a pure function of (seed, pair)
 *   (or of the two nodes' positions under the geo model), so a pair that reconnects gets the
 *   same latency and the flood bound can ask for any pair.
 * - A connection delivers each direction in order. A chunk (what one side wrote in one pump)
 *   is lost with probability cfg.loss; TCP then retransmits it after an RTO of
 *   max(200 ms, 2 x RTT), doubling on each further loss. Later chunks wait behind it
 *   (head-of-line blocking): the stream stays ordered and reliable, as Noise requires.
 * - During a partition, chunks between the two sides leave only when it heals (TCP keeps
 *   retransmitting; the first retransmission after the heal gets through) and dials across
 *   fail after the dial timeout.
 * - There is no bandwidth limit: a chunk takes its link's latency whatever its size.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_impl.h"

#define RTO_MIN_NS (200 * HS_NS_PER_MS)

/* ---- addresses ------------------------------------------------------------------------- */

struct hs_netaddr sim_node_addr(const struct hs_sim *sim, uint32_t i)
{
	if (i >= sim->cfg.nodes) {
		size_t j = i - sim->cfg.nodes, groups = sim->cfg.attacker_groups;
		size_t g = j % groups, h = j / groups;
		return hs_netaddr_ipv4((uint8_t)(201 + g / 256), (uint8_t)(g % 256),
		                       (uint8_t)(h / 254), (uint8_t)(1 + h % 254), SIM_PORT);
	}
	size_t groups = sim->cfg.groups;
	size_t g = i % groups, h = i / groups;
	double f = sim->cfg.ipv6_fraction;
	if (floor((double)(i + 1) * f) > floor((double)i * f)) {
		uint8_t ip[16] = { 0x2a, 0x01, (uint8_t)(g >> 8), (uint8_t)g };
		ip[14] = (uint8_t)(h / 254);
		ip[15] = (uint8_t)(1 + h % 254);
		return hs_netaddr_ipv6(ip, SIM_PORT);
	}
	return hs_netaddr_ipv4((uint8_t)(1 + g / 256), (uint8_t)(g % 256), (uint8_t)(h / 254),
	                       (uint8_t)(1 + h % 254), SIM_PORT);
}

/* The address map's key: the IPv4 address, or (bit 63 set) a fold of the IPv6 one. The
 * lookup compares whole addresses, so a fold that collides only costs a probe. */
static uint64_t addr_key(const struct hs_netaddr *a)
{
	uint64_t k = (uint64_t)a->ip[0] << 24 | (uint64_t)a->ip[1] << 16 | (uint64_t)a->ip[2] << 8 |
	             a->ip[3];
	if (a->family == HS_AF_INET6)
		for (int b = 4; b < 16; b++)
			k = k * 131 + a->ip[b];
	return a->family == HS_AF_INET6 ? k | 1ull << 63 : k;
}

static bool same_ip(const struct hs_netaddr *a, const struct hs_netaddr *b)
{
	return a->family == b->family &&
	       memcmp(a->ip, b->ip, a->family == HS_AF_INET ? 4 : 16) == 0;
}

int sim_addrmap_init(struct hs_sim *sim)
{
	size_t cap = 16;
	while (cap < 2 * sim->nall)
		cap *= 2;
	sim->addrmap = calloc(cap, sizeof(*sim->addrmap));
	if (!sim->addrmap)
		return HS_ERR_NOMEM;
	sim->addrmap_cap = cap;
	for (uint32_t i = 0; i < sim->nall; i++) {
		struct hs_netaddr a = sim_node_addr(sim, i);
		size_t k = sim_mix64(addr_key(&a)) & (cap - 1);
		while (sim->addrmap[k])
			k = (k + 1) & (cap - 1);
		sim->addrmap[k] = i + 1;
	}
	return 0;
}

uint32_t sim_lookup_addr(const struct hs_sim *sim, const struct hs_netaddr *addr)
{
	if ((addr->family != HS_AF_INET && addr->family != HS_AF_INET6) || addr->port != SIM_PORT)
		return SIM_NONE;
	size_t cap = sim->addrmap_cap;
	for (size_t k = sim_mix64(addr_key(addr)) & (cap - 1); sim->addrmap[k];
	     k = (k + 1) & (cap - 1)) {
		uint32_t i = sim->addrmap[k] - 1;
		if (sim->nodes[i].joined && !sim->nodes[i].down &&
		    same_ip(&sim->nodes[i].addr, addr))
			return i;
	}
	return SIM_NONE;
}

/* ---- latency and partitions ------------------------------------------------------------ */

uint64_t sim_pair_latency(const struct hs_sim *sim, uint32_t a, uint32_t b)
{
	const struct hs_sim_config *c = &sim->cfg;
	double span = (double)(c->latency_max_ns - c->latency_min_ns);
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
	uint64_t h = sim_mix64(c->seed ^ sim_mix64((uint64_t)lo << 32 | hi));
	double u = (double)(h >> 11) * 0x1.0p-53, extra;
	switch (c->latency_dist) {
	case HS_SIM_LAT_EXP:
		extra = -log1p(-u) * span / 2;
		break;
	case HS_SIM_LAT_GEO: {
		double dx = sim->nodes[a].x - sim->nodes[b].x,
		       dy = sim->nodes[a].y - sim->nodes[b].y;
		extra = span * sqrt(dx * dx + dy * dy) / sqrt(2.0);
		break;
	}
	default:
		extra = u * span;
		break;
	}
	return c->latency_min_ns + (uint64_t)extra;
}

static uint64_t partition_abs(const struct hs_sim *sim, int64_t rel)
{
	int64_t t = (int64_t)sim->publish0_ns + rel;
	return t < 0 ? 0 : (uint64_t)t;
}

bool sim_partitioned(const struct hs_sim *sim, uint32_t a, uint32_t b, uint64_t now)
{
	const struct hs_sim_config *c = &sim->cfg;
	if (!c->partition || sim->nodes[a].side == sim->nodes[b].side)
		return false;
	return now >= partition_abs(sim, c->partition_start_ns) &&
	       now < partition_abs(sim, c->partition_end_ns);
}

/* ---- links ----------------------------------------------------------------------------- */

int sim_link_send(struct hs_sim *sim, uint32_t c, unsigned from, struct sim_chunk *ch)
{
	struct sim_conn *k = &sim->conns[c];
	unsigned to = 1 - from;
	if (k->state[to] == SIM_EP_CLOSED) {
		free(ch); /* nobody will read it: a closed endpoint never reopens */
		sim->chunks_dropped++;
		return 0;
	}
	uint64_t depart = sim->now;
	if (sim_partitioned(sim, k->node[0], k->node[1], depart))
		depart = partition_abs(sim, sim->cfg.partition_end_ns);
	uint64_t at = depart + k->latency_ns;
	if (sim->cfg.loss > 0) {
		/* Drawn from the sender's stream: other nodes' traffic does not shift it. */
		struct sim_rng *rng = &sim->nodes[k->node[from]].rng;
		uint64_t rto = 4 * k->latency_ns > RTO_MIN_NS ? 4 * k->latency_ns : RTO_MIN_NS;
		while (sim_rng_unit(rng) < sim->cfg.loss) {
			at += rto;
			rto *= 2;
		}
	}
	if (at < k->last_arrival_ns[to])
		at = k->last_arrival_ns[to]; /* in order: never overtake an earlier chunk */
	k->last_arrival_ns[to] = at;
	int err = sim_evq_push(&sim->evq, at, SIM_EV_CHUNK, c, to, ch);
	if (err)
		free(ch);
	return err;
}

static int new_conn(struct hs_sim *sim, uint32_t a, uint32_t b, uint32_t *out)
{
	if (sim->nconns == sim->conns_cap) {
		size_t ncap = sim->conns_cap ? sim->conns_cap * 2 : 1024;
		if (ncap > UINT32_MAX)
			return HS_ERR_FULL;
		struct sim_conn *n = realloc(sim->conns, ncap * sizeof(*n));
		if (!n)
			return HS_ERR_NOMEM;
		sim->conns = n;
		sim->conns_cap = ncap;
	}
	struct sim_conn *k = &sim->conns[sim->nconns];
	memset(k, 0, sizeof(*k));
	k->node[0] = a;
	k->node[1] = b;
	k->latency_ns = sim_pair_latency(sim, a, b);
	/* The dialler sees the listening address it dialled; the responder sees the dialler's
	 * address with an ephemeral source port, as TCP would show it. */
	k->seen_as[0] = sim->nodes[b].addr;
	k->seen_as[1] = sim->nodes[a].addr;
	k->seen_as[1].port = (uint16_t)(32768 + sim->nodes[a].ephemeral++ % 28232);
	*out = (uint32_t)sim->nconns++;
	return 0;
}

int sim_net_dial(struct hs_sim *sim, uint32_t node, const struct hs_netaddr *addr)
{
	sim->dials++;
	uint32_t t = sim_lookup_addr(sim, addr);
	if (t == SIM_NONE || sim_partitioned(sim, node, t, sim->now)) {
		/* Nobody answers: the SYN times out. */
		struct hs_netaddr *copy = malloc(sizeof(*copy));
		if (!copy)
			return HS_ERR_NOMEM;
		*copy = *addr;
		sim->dials_failed++;
		int err = sim_evq_push(&sim->evq, sim->now + sim->cfg.dial_timeout_ns,
		                       SIM_EV_DIAL_FAIL, node, sim->nodes[node].epoch, copy);
		if (err)
			free(copy);
		return err;
	}
	uint32_t c;
	int err = new_conn(sim, node, t, &c);
	if (err)
		return err;
	/* SYN reaches the responder after one latency; SYN-ACK the dialler after a round trip. */
	uint64_t lat = sim->conns[c].latency_ns;
	err = sim_evq_push(&sim->evq, sim->now + lat, SIM_EV_OPEN_IN, c, 0, NULL);
	if (!err)
		err = sim_evq_push(&sim->evq, sim->now + 2 * lat, SIM_EV_OPEN_OUT, c, 0, NULL);
	return err;
}

/* ---- a node's endpoints ---------------------------------------------------------------- */

int sim_ep_add(struct sim_node *n, uint64_t handle, uint32_t conn, uint8_t side)
{
	if (n->neps == n->eps_cap) {
		size_t ncap = n->eps_cap ? n->eps_cap * 2 : 8;
		struct sim_ep *e = realloc(n->eps, ncap * sizeof(*e));
		if (!e)
			return HS_ERR_NOMEM;
		n->eps = e;
		n->eps_cap = ncap;
	}
	n->eps[n->neps++] = (struct sim_ep){ .handle = handle, .conn = conn, .side = side };
	if (n->neps > n->peak_eps)
		n->peak_eps = n->neps;
	return 0;
}

struct sim_ep *sim_ep_find(struct sim_node *n, uint64_t handle)
{
	for (size_t i = 0; i < n->neps; i++)
		if (n->eps[i].handle == handle)
			return &n->eps[i];
	return NULL;
}

void sim_ep_remove(struct sim_node *n, uint64_t handle)
{
	/* Order kept: the pump drains endpoints in this order, part of the determinism. */
	for (size_t i = 0; i < n->neps; i++) {
		if (n->eps[i].handle != handle)
			continue;
		memmove(&n->eps[i], &n->eps[i + 1], (n->neps - i - 1) * sizeof(n->eps[0]));
		n->neps--;
		return;
	}
}

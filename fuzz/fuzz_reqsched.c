/*
 * libFuzzer target: the request scheduler (overlay/reqsched.h) under any sequence of
 * announcements (any peer number, class and request time), polls, arrivals, notfounds and
 * departures, as peers control them. After every operation its invariants hold
 * (hs_reqsched_check), no peer has more requests in flight or announcements than its limits,
 * and no peer is asked twice for an id the scheduler still remembers (each announcer at most
 * once: what bounds the delay withholders can cause). tests/unit/test_reqsched.c checks the
 * exact choices against a model; this looks for crashes and broken bounds.
 *
 * Input: 6 config bytes, then 4 bytes per operation: op, peer, id, argument.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../overlay/reqsched.h" /* internal to the core: fuzz/ has no path to overlay/ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IDS 16

/* asked[id][peer]: the scheduler requested id from peer since it last forgot id. */
static uint8_t asked[IDS][HS_PEERS_MAX];

static void make_id(uint8_t id[HS_ID_LEN], unsigned n)
{
	memset(id, 0x5a, HS_ID_LEN);
	id[0] = (uint8_t)n;
}

/* Clears what the fuzzer remembers of ids the scheduler forgot. */
static void sync_forgotten(const struct hs_reqsched *rs)
{
	uint8_t id[HS_ID_LEN];
	for (unsigned i = 0; i < IDS; i++) {
		make_id(id, i);
		if (!hs_reqsched_has_id(rs, id))
			memset(asked[i], 0, sizeof(asked[i]));
	}
}

static void do_poll(struct hs_reqsched *rs, uint64_t now, size_t max)
{
	struct hs_request out[8];
	size_t n = hs_reqsched_poll(rs, now, max ? out : NULL, max, NULL);
	if (n > max)
		abort();
	for (size_t k = 0; k < n; k++) {
		unsigned i = out[k].id[0];
		if (i >= IDS || out[k].peer >= HS_PEERS_MAX || asked[i][out[k].peer])
			abort(); /* an unknown request, or an announcer asked twice */
		asked[i][out[k].peer] = 1;
	}
}

static void check(const struct hs_reqsched *rs, const struct hs_reqsched_config *cfg)
{
	if (!hs_reqsched_check(rs) ||
	    hs_reqsched_count(rs) > HS_PEERS_MAX * cfg->peer_announced_max)
		abort();
	for (uint32_t p = 0; p < HS_PEERS_MAX; p++)
		if (hs_reqsched_peer_inflight(rs, p) > cfg->peer_inflight_max ||
		    hs_reqsched_peer_count(rs, p) > cfg->peer_announced_max)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 6)
		return 0;
	struct hs_reqsched_config cfg = { .peer_announced_max = 1 + data[0] % 8u,
		                          .peer_inflight_max = 1 + data[1] % 4u,
		                          .id_announcers_max = 1 + data[2] % 5u,
		                          .peer_strikes_max = 1 + data[3] % 3u,
		                          .request_timeout_ns = 1 + data[4] % 64u,
		                          .nonpreferred_delay_ns = data[5] % 32u };
	static const uint8_t key[16] = { 3, 1, 4, 1, 5, 9, 2, 6 };
	struct hs_reqsched *rs;
	if (hs_reqsched_new(&rs, &cfg, key) != 0)
		return 0;
	memset(asked, 0, sizeof(asked));
	uint64_t now = data[5] & 1 ? UINT64_MAX - 200 : 1000;
	uint8_t id[HS_ID_LEN];
	for (size_t off = 6; off + 4 <= size; off += 4) {
		const uint8_t *op = data + off;
		uint32_t peer = op[1];
		make_id(id, op[2] % IDS);
		switch (op[0] % 6) {
		case 0: { /* classes 2 and 3 are invalid: refused */
			uint64_t t = now - 8 + (op[3] >> 2);
			enum hs_req_class cls = (enum hs_req_class)(op[3] & 3);
			int err = hs_reqsched_announce(rs, peer, id, 1, cls, t);
			bool bad = peer >= HS_PEERS_MAX || (op[3] & 3) > 1;
			if (bad != (err == HS_ERR_INVALID) ||
			    (err && err != HS_ERR_INVALID && err != HS_ERR_FULL &&
			     err != HS_ERR_NOMEM))
				abort();
			break;
		}
		case 1:
			now = now + op[3] < now ? UINT64_MAX : now + op[3];
			do_poll(rs, now, op[1] % 9u);
			break;
		case 2:
			hs_reqsched_received(rs, id);
			break;
		case 3:
			if (op[3] & 1)
				hs_reqsched_delivered(rs, peer, id);
			else
				hs_reqsched_notfound(rs, peer, id);
			break;
		case 4: /* its slot may be reused by a peer that was never asked anything */
			hs_reqsched_peer_gone(rs, peer);
			for (unsigned i = 0; i < IDS && peer < HS_PEERS_MAX; i++)
				asked[i][peer] = 0;
			break;
		default:
			do_poll(rs, op[3] < 128 ? now - op[3] : now,
			        8); /* an earlier now is fine */
			break;
		}
		sync_forgotten(rs);
		check(rs, &cfg);
	}
	hs_reqsched_del(rs);
	return 0;
}

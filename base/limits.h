/*
 * Every hard limit in hearsay, in one place.
 *
 * A peer controls every length, count and rate it sends us, so each container, queue and
 * field has a maximum here, with the reason for its size. Decoders reject anything above
 * these; containers evict by their documented policy. Changing a wire limit changes the
 * protocol: docs/PROTOCOL.md quotes these values.
 */
#ifndef HEARSAY_LIMITS_H
#define HEARSAY_LIMITS_H

enum hs_limits {
	/* --- identity and wire ----------------------------------------------------------- */
	HS_PROTOCOL_VERSION = 1,
	HS_KEY_LEN = 32, /* x-only secp256k1 public key, secret key */
	HS_SIG_LEN = 64, /* BIP340 signature */
	HS_ID_LEN = 32,  /* object ids: BLAKE2b-256 of the signed encoding */

	/* Network names are short printable identifiers, carried in the handshake and hello. */
	HS_NETWORK_MAX = 32,

	/* Noise: a transport message is at most 65535 bytes including the 16-byte tag
	 * (Noise spec §3); a hearsay frame is one transport message. */
	HS_NOISE_MSG_MAX = 65535,
	HS_NOISE_TAG_LEN = 16,
	HS_FRAME_MAX = HS_NOISE_MSG_MAX - HS_NOISE_TAG_LEN,

	/* --- signed objects --------------------------------------------------------------- */
	/* A node record lists few addresses (ENR keeps records under 300 bytes). */
	HS_RECORD_ADDRS_MAX = 4,
	HS_RECORD_MAX = 300,

	/* Topics and state keys are short printable names; values are metadata, not bulk data. */
	HS_TOPIC_MAX = 64,
	HS_STATE_KEY_MAX = 64,
	/* Equivocation proofs (two signed entries for one slot) kept for listequivocations; later
	 * ones are counted, not kept. Rationale: one proof convicts an origin; 16 pairs of entries
	 * of at most HS_STATE_VALUE_MAX each bound the memory the evidence takes. */
	HS_EQUIVOCATIONS_MAX = 16,
	HS_STATE_VALUE_MAX = 4096,
	/* A rumor must fit one frame with its header, signature and message type. */
	HS_RUMOR_PAYLOAD_MAX = 60000,

	/* --- messages ----------------------------------------------------------------------- */
	/* Bitcoin allows 50,000 inv entries; 1,000 keeps one inv under 34 KB and the per-item
	 * work of one frame small. */
	HS_INV_MAX = 1000,
	/* Topics a peer may declare in its hello: subscriptions are few and named. */
	HS_HELLO_TOPICS_MAX = 64,
	/* State entries in one state frame: bounded so one frame is cheap to verify. */
	HS_STATE_BATCH_MAX = 64,
	/* Disconnect reasons are one line of text. */
	HS_REASON_MAX = 128,
	/* Node records in one addr answer (Bitcoin sends up to 1000 unsigned addresses; ours are
	 * signed, so each costs a verification: 32 keep one answer cheap).
	 * Rationale for not more: hearsay-sim, 200 honest + 200 Sybils in 32 groups, seed 1: 128
	 * records let honest nodes know 69 of 100 honest groups instead of 49, and cut the black
	 * hole's p99 from 2.19 to 1.91 x the benign twin's (seeds 1-3), but a Sybil's poisoned
	 * answer then carries 128 of its own records and eclipsed a victim (eclipse: 1 of 2,
	 * against 0 with 32). Larger answers wait for a per-source cap on what one answer may add
	 * to the new table. */
	HS_ADDR_MAX = 32,
	/* Short ids in one pull digest (8 bytes each: 16 KB). A node holding more recent rumors
	 * sends the newest and narrows its since. */
	HS_PULL_IDS_MAX = 2048,
	/* Keys one origin may hold in every node's state store: one origin cannot crowd out
	 * the others. */
	HS_STATE_KEYS_PER_ORIGIN = 256,
	/* Origins in one state digest (sync): 48 bytes each, under 50 KB. */
	HS_SYNC_ORIGINS_MAX = 1024,
	/* State entries sent in answer to one digest; the next sync continues. */
	HS_SYNC_REPLY_MAX = 256,
	/* Rumors sent in answer to one pull; the next pull continues. */
	HS_PULL_REPLY_MAX = 128,

	/* --- sessions ---------------------------------------------------------------------- */
	/* Sessions per node, inbound and outbound (Bitcoin: 125). Also the width of the per-rumor
	 * "peer knows it" bitmap. */
	HS_PEERS_MAX = 128,
	/* Bytes queued for one peer before we stop serving it more data (Bitcoin pauses sends at
	 * its send buffer limit); getdata answers wait until the queue drains below this. */
	HS_SEND_HIGH_WATER = 256 * 1024,
	/* A peer whose queue reaches this is too slow to keep: it is disconnected. */
	HS_SEND_MAX = 4 * 1024 * 1024,
	/* Ids a peer may have asked for and not yet been served (Bitcoin's vRecvGetData). */
	HS_GETDATA_QUEUE_MAX = 4 * 1000,
	/* Announcements queued for one peer between flushes (every input ends in a flush). */
	HS_INV_QUEUE_MAX = 10000,
	/* Events waiting for the driver; the pump drains them after every input. A node stops
	 * processing peers' frames while fewer than HS_EVENTS_PER_FRAME_MAX places are left (the
	 * frames wait in the peer's input until the driver drains), so no event is ever lost. */
	HS_EVENTS_MAX = 65536,
	/* The most events one frame can cause: a state batch (64 entries: a save, an eviction
	 * and a change each), an addr answer (32 records), and a ban closing every session. */
	HS_EVENTS_PER_FRAME_MAX = 4 * 64 + 2 * 32 + 2 * 128 + 16,
	/* Received bytes a stalled peer may leave waiting (the driver's reads while the event
	 * queue drains): beyond this the session closes, penalising nobody. */
	HS_RECV_BACKLOG_MAX = 4 * 1024 * 1024,

	/* Session slots kept from inbound peers beyond the outbound target: a feeler and one
	 * manual dial (addnode onetry), so an inbound flood never blocks a dial. */
	HS_OUTBOUND_RESERVE_EXTRA = 2,

	/* --- reputation ------------------------------------------------------------------- */
	/* Address bans in one network group at which the group itself is banned. Rationale: one
	 * operator with a /16 (or IPv6 /32) of addresses cannot walk back in on a fresh address,
	 * while a few misbehaving hosts do not shut out their neighbours. */
	HS_GROUP_BANS_ESCALATE = 8,

	/* Rumor ids whose first announcer a node remembers until the rumor proves valid (it then
	 * credits that peer, docs/PROTOCOL.md §9.3): covers every id in flight for a second at
	 * 250 new rumors per second; an overwritten entry only loses one observation. */
	HS_TELLERS_MAX = 256,
	/* Fresh rumors in a row a pusher may let us fetch from someone else before it loses its
	 * share and is pruned: one or two are a slower path, three a pusher that does not push. */
	HS_PUSH_MISSES_MAX = 3,

	/* --- asynchronous validation (overlay/held.c, node/validators.c) ------------------- */
	/* Rumors held for an asynchronous verdict (HS_PENDING), node-wide and per topic.
	 * Rationale: a held rumor costs up to one frame (60 kB), so 512 bound the memory at about
	 * 30 MB; 128 per topic cover a validator answering 64 rumors a second with the default
	 * 2 s deadline, and keep one slow topic from holding every place. A rumor that finds no
	 * place gets the default verdict at once (counted: validate_overflows). */
	HS_VALIDATE_HELD_MAX = 512,
	HS_VALIDATE_HELD_PER_TOPIC_MAX = 128,
	/* External validators registered with hearsayd at once (one per topic). Rationale: each
	 * can hold HS_VALIDATE_HELD_PER_TOPIC_MAX rumors, so four fill the node-wide limit
	 * exactly and never push one another's rumors to the default; more is refused. */
	HS_VALIDATORS_MAX = HS_VALIDATE_HELD_MAX / HS_VALIDATE_HELD_PER_TOPIC_MAX,
	/* Topics with a signer policy (topicsigners), and keys listed per topic. Rationale: a
	 * policy names a few publishers (block producers, release keys); the check is a linear
	 * scan per rumor, which stays cheap at these sizes. */
	HS_SIGNER_TOPICS_MAX = 16,
	HS_SIGNERS_PER_TOPIC_MAX = 64,

	/* --- request scheduler (Bitcoin txrequest values) --------------------------------- */
	HS_REQ_PEER_ANNOUNCED_MAX = 5000, /* MAX_PEER_TX_ANNOUNCEMENTS */
	HS_REQ_PEER_INFLIGHT_MAX = 500,   /* one full inv can be requested in two rounds */
	HS_REQ_ID_ANNOUNCERS_MAX = 16,    /* fallbacks beyond 16 announcers add nothing */

	/* --- verification scheduler (overlay/verifysched.h) ------------------------------- */
	/* Signature checks one network group may take at once: a sync answer (256 entries), a
	 * pull answer (128 rumors) and an addr answer (32 records) from one peer pass whole. The
	 * node uses verifies_per_s / 8 instead when that is more, and at most one second's
	 * budget. */
	HS_VERIFY_GROUP_BURST = 512,
	/* Groups the reserve can fund with a whole burst at once: the first outbound sessions
	 * (outbound_target, 8) each start with one; after that new groups get what the reserve
	 * earned as one more group, so opening sessions from fresh groups buys no more. */
	HS_VERIFY_RESERVE_GROUPS = 8,
	/* Group records: live groups are at most HS_PEERS_MAX, and as many departed ones keep
	 * the level their last session left, so reconnecting buys a flooder nothing. */
	HS_VERIFY_GROUPS_MAX = 2 * HS_PEERS_MAX,
	/* The budget is shared out at most once a millisecond: a flood of refused checks costs
	 * O(1) each, and 1 ms of budget (4 checks at the default) is below any burst. */
	HS_VERIFY_REFILL_NS = 1000 * 1000,

	/* --- request choice and topic coverage (overlay/reqsched.h, overlay/topics.c) ----- */
	/* Timeouts in a row after which a peer is asked only after every peer that answers: two
	 * rule out one unlucky loss, and a withholder pays with its rank from the second. */
	HS_REQ_PEER_STRIKES_MAX = 2,
	/* Added to a peer's retransmission timeout (srtt + 4 rttvar) for its requests: room for
	 * its send queue and a busy core; request_timeout stays the ceiling. */
	HS_REQ_TIMEOUT_FLOOR_MS = 250,
	/* Sessions with peers taking a topic that a node taking only some topics keeps: one more
	 * than a single point of failure, as the overlay's own degree is many more. */
	HS_TOPIC_PEERS_MIN = 2,
	/* Outbound sessions beyond outbound_target dialled while a topic is short of that. */
	HS_TOPIC_EXTRA_OUTBOUND_MAX = 4,
	/* Seconds an extra session lives before it may be closed for taking no short topic:
	 * bounds the churn while nobody reachable takes it to 4 dials a minute. */
	HS_TOPIC_TRY_S = 60,

	/* --- address book, anchors, getaddr (Bitcoin Core addrman values) ------------------ */
	/* Tried-slot collisions waiting for a test of the old entry
	 * (ADDRMAN_SET_TRIED_COLLISION_SIZE): beyond it a newcomer simply stays in new. */
	HS_BOOK_COLLISIONS_MAX = 10,
	/* Positions a record may take in its new bucket (the first free, else the first
	 * terrible occupant's). With one, 4 nodes learnt from one seed lost a record to a taken
	 * slot in 3.2% of fresh books (that node was never dialled); with two in 0.06%, with
	 * four in none of 100,000 (tests/unit/test_addrbook.c: test_small_network_fits). An
	 * attacker still fills no more buckets, and no bucket beyond its 64 slots. */
	HS_BOOK_NEW_CHOICES = 4,
	/* A collision not decided by a test within 40 min is dropped, the old entry kept
	 * (ADDRMAN_TEST_WINDOW). */
	HS_BOOK_TEST_WINDOW_S = 40 * 60,
	/* A tried entry reached within 4 h is kept without a test (ADDRMAN_REPLACEMENT). */
	HS_BOOK_REPLACEMENT_S = 4 * 60 * 60,
	/* Terrible: never reached after 3 tries (ADDRMAN_RETRIES), or 10 failures and no
	 * success for a week (ADDRMAN_MAX_FAILURES, ADDRMAN_MIN_FAIL): its slot may be taken. */
	HS_BOOK_RETRIES = 3,
	HS_BOOK_FAILURES_MAX = 10,
	HS_BOOK_MIN_FAIL_S = 7 * 24 * 60 * 60,
	/* Removed ids queued for the store's deletion between two drains (the node drains after
	 * every input); an overflow only leaves a stale record in the store, and is counted
	 * (hearsay_addresses_unsaved_total). */
	HS_BOOK_REMOVED_MAX = 32,
	/* Outbound peers remembered across a restart and dialled first (Bitcoin's
	 * MAX_BLOCK_RELAY_ONLY_ANCHORS). */
	HS_ANCHORS_MAX = 2,
	/* getaddr answers per network group per window, beyond the one per session: stops a
	 * scraper that reconnects from one /16 to read the whole book. Over it: counted,
	 * ignored, not punished. */
	HS_GETADDR_GROUP_MAX = 16,
	HS_GETADDR_WINDOW_S = 60,
	/* Network groups whose getaddr answers are counted: a secret-keyed direct-mapped table
	 * whose slot, while its window runs, counts every group that hashes to it. Rationale: a
	 * collision must never start a fresh window (with a reset on collision, a flood from
	 * one /16 got a new allowance whenever an honest group hashing to its slot asked); a
	 * shared count only tightens the limit for the two groups, which the secret key keeps an
	 * attacker from aiming at, and 256 slots keep that rare (6% for 16 active groups). */
	HS_GETADDR_GROUPS = 256,

	/* --- membership (overlay/members.h) ------------------------------------------------ */
	/* Members remembered: nodes whose signed heartbeat we have seen. Rationale: 16,384 covers
	 * the 10,000-node networks the simulator runs, at about 100 bytes each (1.6 MB); when full,
	 * left and dead members go first (members.h). */
	HS_MEMBERS_MAX = 16384,
	/* A heartbeat's value: its signing time (u64 ms, Unix epoch) || its interval (u32 ms). */
	HS_HEARTBEAT_VALUE_LEN = 12,
	/* Declared heartbeat intervals are clamped to this range before a member's timeouts are
	 * computed from them: a member cannot make itself look alive for hours per heartbeat,
	 * nor make us age it faster than 100 ms. */
	HS_HEARTBEAT_INTERVAL_MIN_MS = 100,
	HS_HEARTBEAT_INTERVAL_MAX_MS = 600000,
	/* Members one node accuses at once (its signed suspects list, PROTOCOL.md §5.5): 48 bytes
	 * each. Rationale: a node suspects only neighbours it lost (at most HS_PEERS_MAX, but a
	 * crash wave that takes more than 16 at once is left to the heartbeat timeout). */
	HS_SUSPECTS_MAX = 16,
	/* Accusers remembered per member, and how many of them, from distinct network groups,
	 * make it suspect. Rationale (Lifeguard's k = 3 independent confirmations): one liar's
	 * group counts once; more than four add nothing to the suspicion timeout. */
	HS_MEMBER_ACCUSERS_MAX = 4,
	HS_SUSPECT_GROUPS_MIN = 2,
	/* Entry ids recently superseded by a newer entry for their slot, remembered so a getdata
	 * for one is answered with the newer entry (direct-mapped; a collision forgets the older
	 * one, which then gets notfound). Rationale: a heartbeat announced at 1 s intervals is
	 * often replaced at the relay before the request for it arrives; answering notfound made
	 * a node behind a slow link chase superseded ids and miss six in a row (a false dead in
	 * hearsay-sim --scenario churn, 30 nodes, 5 % loss). 4096 x 64 bytes. */
	HS_SUPERSEDED_MAX = 4096,
	/* A node refutes accusations of itself at most this often: liars re-accusing every fresh
	 * heartbeat cost it one signature per second at most. */
	HS_REFUTE_MIN_MS = 1000,

	/* --- seed mode: the crawler and its answers (overlay/crawl.c) ------------------------ */
	/* Crawl visits in flight at once (dialling or in session). Rationale: a seed's visits are
	 * one handshake and one getaddr each, so four in flight keep a crawl interval of
	 * milliseconds busy, while a seed can never hold more than four sessions of its own
	 * choosing for crawling (its slots stay for visitors); the crawl interval
	 * (crawl_interval_ms) paces how often a new one starts. */
	HS_CRAWL_INFLIGHT_MAX = 4,
	/* A crawl visit leaves this long after its hello at the latest (at once when the
	 * answer to its getaddr arrives): long enough for a getaddr round trip. */
	HS_CRAWL_LINGER_MS = 2000,
	/* Rationale: reachable in a window means the last visit succeeded, no longer ago than
	 * the window, and the window's decayed success ratio is at least this (bitcoin-seeder's
	 * IsGood asks more of longer histories; at 50% a node that comes back after a long
	 * outage counts again once its recent visits outweigh its failures). */
	HS_CRAWL_GOOD_PCT = 50,
	/* A seed answers getaddr from records reachable in the 2 h window; while fewer than
	 * this many are, it tops the answer up with the ordinary book sample. Rationale: a seed
	 * that just started (or lost its store) has verified nobody yet and must still
	 * bootstrap nodes; once a handful are verified it hands out only those. */
	HS_SEED_VERIFIED_MIN = 8,
	/* Inbound sessions a seed keeps as relay sessions; later ones are address-exchange
	 * visits closed HS_SEED_VISIT_S after their hello. Rationale: a seed's job is to
	 * answer getaddr; every long session it keeps is a slot a newcomer cannot have. */
	HS_SEED_RELAY_IN = 2,
	HS_SEED_VISIT_S = 5,
	/* Outbound sessions a seed keeps (its outbound_target, when maxoutbound is larger):
	 * enough to keep hearing of records, few enough to leave its slots to visitors. */
	HS_SEED_OUTBOUND = 2,

	/* --- the daemon's host names and DNS seeds (node/names.c) -------------------------- */
	/* Host names the daemon resolves at once: every connect, addnode, seednode and dnsseed
	 * name from the configuration plus addnode RPCs, as many as the core's manual peers and
	 * seeds (64). Over it an addnode RPC is refused (HS_ERR_FULL). */
	HS_NAMES_MAX = 64,
	/* Addresses taken from one DNS seed's answer, each a seed the core may dial. Rationale:
	 * an answer is one operator's word, so more of them buy no more diversity, and eight per
	 * name leave room for several dnsseeds beside addnode and seednode entries in the core's
	 * 64 manual slots. Answers beyond it are counted (hearsay_dnsseed_discarded_total) and
	 * logged, as are those the core has no slot for. */
	HS_DNSSEED_ADDRS_MAX = 8,
	/* DNS seeds are asked only while the address book holds fewer node records than this
	 * (eight outbound slots with four candidates each), or while no outbound session has
	 * come up HS_DNSSEED_WAIT_S after start (bitcoind waits 11 s the same way). */
	HS_DNSSEED_BOOK_MIN = 32,
	HS_DNSSEED_WAIT_S = 11,
	/* An answered DNS seed is asked again no sooner than this, and then only if the book
	 * is still short: seeds change slowly, and each query is visible to the resolver. */
	HS_DNSSEED_REQUERY_S = 600,
	/* Inbound sessions that end before their handshake, logged per minute at the default
	 * level: anyone can open them, so past this they are only counted (the count is logged
	 * when the next minute begins) and the log cannot be flooded. */
	HS_LOG_EARLY_ENDS_PER_MIN = 20,

	/* --- the daemon's UPnP port mapping (node/upnp.c) ---------------------------------- */
	/* How long discovery waits for a gateway to answer the SSDP search (bitcoind's 2 s):
	 * a LAN gateway answers in milliseconds. */
	HS_UPNP_DISCOVER_MS = 2000,
	/* After a failure (no gateway, refused, renewal lost) the next attempt waits 5 minutes
	 * (bitcoind's PORT_MAPPING_RETRY_PERIOD): a gateway that refuses is not asked in a loop. */
	HS_UPNP_RETRY_S = 5 * 60,
	/* A permanent lease (upnplease=0) is mapped again every 20 minutes
	 * (PORT_MAPPING_REANNOUNCE_PERIOD), so a gateway that rebooted and forgot it gets it back.
	 */
	HS_UPNP_REFRESH_S = 20 * 60,
	/* A finite lease is renewed at half its length, so one lost renewal still leaves time. */
	/* Lease bounds (upnplease): IGDv2 caps a lease at 604800 s; below 4 s a renewal at half
	 * the lease would race the gateway's own expiry check (short leases are for tests). */
	HS_UPNP_LEASE_MIN_S = 4,
	HS_UPNP_LEASE_MAX_S = 604800,
	/* Rationale: the stop waits at most this long for the gateway to remove the mapping. A
	 * gateway on the LAN answers in milliseconds; one that stalls (or a request still in
	 * flight) must not hold the stop, and a finite lease expires on the gateway anyway. */
	HS_UPNP_STOP_MS = 1500,
	/* Log lines the UPnP thread may leave for the loop to print; one attempt writes at most
	 * four, so overflow means a blocked loop: the oldest go, and their count is logged. */
	HS_UPNP_LOG_LINES = 16,

	/* --- JSON-RPC over HTTP (node/httprpc.c, docs/RPC.md) ------------------------------- */
	/* Open HTTP connections at most (MHD_OPTION_CONNECTION_LIMIT); over it a new one is
	 * accepted and closed at once, counted in rpc_http_refused. Rationale: RPC clients are
	 * local programs that make a call and go; 32 is bitcoind's rpcworkqueue times two, and
	 * each connection may hold HS_RPC_HTTP_BODY_MAX, so the worst case is about 34 MiB. */
	HS_RPC_HTTP_CONNECTIONS_MAX = 32,
	/* Connections from one address at most. Rationale: every local client is 127.0.0.1 or
	 * ::1, so this equals the total limit there; it only bites for rpcallowip remotes, where
	 * one host cannot take every slot. */
	HS_RPC_HTTP_PER_IP_MAX = 32,
	/* Bytes MHD may use per connection for the request line, headers and its read buffer
	 * (MHD_OPTION_CONNECTION_MEMORY_LIMIT). Rationale: a real client's headers are a few
	 * hundred bytes; larger headers are refused by MHD with 431 before any body is read. */
	HS_RPC_HTTP_CONN_MEMORY = 64 * 1024,
	/* A request body at most: the Unix socket's line limit (HS_RPC_LINE_MAX, 1 MiB), which
	 * holds the largest publishhex (60000 bytes as 120000 hex digits) eight times over. Over
	 * it the reply is HTTP 413 with a JSON-RPC error, never a reset. */
	HS_RPC_HTTP_BODY_MAX = 1024 * 1024,
	/* Default seconds an HTTP connection may stay idle or trickle (rpcservertimeout,
	 * MHD_OPTION_CONNECTION_TIMEOUT). Rationale: bitcoind's default; a slow client holds a
	 * slot for at most this long. */
	HS_RPC_HTTP_TIMEOUT_S = 30,
	/* Requests in one JSON-RPC batch at most. Rationale: a batch runs on the loop thread in
	 * one go; 1000 keeps one batch's time bounded like one large call. */
	HS_RPC_BATCH_MAX = 1000,
	/* rpcauth= lines at most, and the length of one (USER:SALT$HMAC). */
	HS_RPCAUTH_MAX = 16,
	HS_RPCAUTH_LEN = 256,
	/* rpcbind= and rpcallowip= entries at most. */
	HS_RPCBIND_MAX = 8,
	HS_RPCALLOWIP_MAX = 16,

	/* --- listrumors: recent rumors by cursor (node/recent.c, docs/RPC.md) -------------- */
	/* Delivered rumors whose ids and topics hearsayd keeps for listrumors; the oldest is
	 * overwritten, and a cursor behind it reports the gap as missed_overflow. Rationale: an
	 * entry is about 100 bytes, so the ring costs 400 KB; 4096 hold the whole default
	 * retention (600 s) at 6.8 rumors a second, and past retention the bodies are gone
	 * anyway (missed_expired), so a longer ring would mostly list what cannot be read. */
	HS_RECENT_RUMORS_MAX = 4096,
	/* Rumors in one listrumors reply at most (COUNT; default 100). Rationale: one call runs
	 * on the loop thread; 1000 small rumors are a few hundred kilobytes of JSON. */
	HS_RECENT_LIST_MAX = 1000,
	/* A listrumors reply stops before a rumor that would take its estimated size past this
	 * (at least one rumor is always sent; more says to call again). Rationale: a Unix
	 * socket client is dropped at HS_RPC_BACKLOG_MAX (8 MiB) of unread output, so a reply
	 * takes at most half of it; at 60000-byte payloads that is still 17 rumors a call. */
	HS_RECENT_REPLY_BYTES_MAX = 4 * 1024 * 1024,

	/* --- Prometheus metrics over HTTP (node/metrics.c, docs/OPERATIONS.md) -------------- */
	/* Open metrics connections at most; over it a new one is closed at once and counted
	 * (hearsay_metrics_dropped_total{reason="clients"}). Rationale: a scraper holds one
	 * connection, so 64 is generous for every Prometheus and curl that may watch a node,
	 * and with HS_METRICS_CONN_MEMORY each the worst case is 1 MiB. */
	HS_METRICS_CONNECTIONS_MAX = 64,
	/* Connections from one address at most. Rationale: half the total, so one local
	 * program that opens connections and idles cannot take the slot a real scrape from
	 * another address needs (on loopback, bind the scraper to its own 127.x address). */
	HS_METRICS_PER_IP_MAX = 32,
	/* Bytes MHD may use per connection (MHD_OPTION_CONNECTION_MEMORY_LIMIT): the request
	 * line, the headers and its read buffer; the rendered text is sent from a buffer of its
	 * own. Rationale: a scrape's head is a few hundred bytes; MHD refuses a head over about
	 * half of this with 414 or 431 (reason="head"). */
	HS_METRICS_CONN_MEMORY = 16 * 1024,
	/* Seconds a metrics connection may stay idle or trickle (MHD_OPTION_CONNECTION_TIMEOUT);
	 * a connection closed this way before it finished a request is counted
	 * (reason="timeout"). Rationale: a scrape sends its head at once; 5 s is the old
	 * responder's bound, far below Prometheus's default 10 s scrape interval. */
	HS_METRICS_TIMEOUT_S = 5,
	/* Bytes of Prometheus text at most; a render over it is cut at the last whole line and
	 * logged. Rationale: the text is about 12 KB, and its label sets are fixed. */
	HS_METRICS_TEXT_MAX = 64 * 1024,

	/* ---- the host API (include/hearsay/hearsay.h) ---- */
	/* Subscriptions, state and member watchers and in-process validators a host holds, each.
	 * Rationale: they are the embedding program's own callbacks, each called per delivery; 64
	 * topics is more than any program here uses, and a fixed table needs no allocation on the
	 * loop. */
	HS_HOST_SUBSCRIPTIONS_MAX = 64,
	/* Configuration entries (hs_host_set, hs_host_set_default and flags) a host keeps.
	 * Rationale: hearsay.conf has about 80 keys; repeatable ones (seednode, addnode,
	 * topicsigners) rarely reach 32 values each. */
	HS_HOST_CONFIG_ENTRIES_MAX = 512,
};

#endif

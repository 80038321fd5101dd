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
};

#endif

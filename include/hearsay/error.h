/*
 * hearsay error codes.
 *
 * Every function that can fail returns 0 (HS_OK) or one negative HS_ERR_* code, and
 * hs_strerror() names it in one short sentence fit for a log line or a user. A peer that
 * misbehaves is not an error of the call that fed its bytes in: the core records the fault
 * and the call succeeds. These codes describe why *a decode, a check or a caller request*
 * failed.
 */
#ifndef HEARSAY_ERROR_H
#define HEARSAY_ERROR_H

#define HS_MUST_USE __attribute__((warn_unused_result))

enum hs_err {
	HS_OK = 0,

	/* caller and resource errors */
	HS_ERR_NOMEM = -1,   /* an allocation failed */
	HS_ERR_INVALID = -2, /* an argument from the caller is out of range */
	HS_ERR_BUFFER = -3,  /* the caller's output buffer is too small */
	HS_ERR_STATE = -4,   /* the call does not fit the object's current state */
	HS_ERR_NOT_FOUND = -5,
	HS_ERR_EXISTS = -6,
	HS_ERR_FULL = -7,     /* a bounded container is at its limit */
	HS_ERR_IO = -8,       /* the operating system refused (node/ and store/ only) */
	HS_ERR_CORRUPT = -9,  /* stored data failed its checks */
	HS_ERR_BANNED = -10,  /* the address or identity is banned */
	HS_ERR_THREAD = -11,  /* the call cannot be made from this thread (the host API) */
	HS_ERR_STOPPED = -12, /* the host has stopped */

	/* decoding: bytes from a peer or a file */
	HS_ERR_TRUNCATED = -20,    /* input ended inside a field */
	HS_ERR_TOO_LARGE = -21,    /* a length or count exceeds its limit */
	HS_ERR_NONCANONICAL = -22, /* a value has more than one encoding and this is not the one */
	HS_ERR_TRAILING = -23,     /* bytes after the end of the object */
	HS_ERR_BAD_VALUE = -24,    /* a field holds a value the format does not allow */
	HS_ERR_UNKNOWN_TYPE = -25, /* unknown message or item type */

	/* keys and signatures */
	HS_ERR_BAD_KEY = -40,   /* not a valid secret key or x-only public key */
	HS_ERR_BAD_SIG = -41,   /* the signature does not verify */
	HS_ERR_KEY_PERMS = -42, /* the key file can be read by group or others */
	HS_ERR_KEY_FILE = -43,  /* the key file is not in the expected format */

	/* Noise transport and the hearsay handshake */
	HS_ERR_DECRYPT = -60, /* AEAD authentication failed: tampered, or from another session */
	HS_ERR_NONCE_EXHAUSTED = -61, /* 2^64-1 messages sent on one cipher state */
	HS_ERR_HS_REPLAY = -62,       /* a handshake message this session already processed */
	HS_ERR_HS_ORDER = -63,        /* a handshake message ahead of its turn */
	HS_ERR_HS_NETWORK = -64,      /* the peer is on another network */
	HS_ERR_HS_VERSION = -65,      /* the peer speaks an unsupported protocol version */
	HS_ERR_HS_IDENTITY = -66,     /* the identity signature over the Noise static key is bad */
	HS_ERR_HS_DONE = -67,         /* the handshake is over; no more handshake messages */
};

/* A short, stable English sentence for err (0 or an HS_ERR_* code); never NULL. */
const char *hs_strerror(int err);

#endif

/* hs_strerror: one short sentence per error code. */
#include "hearsay/error.h"

const char *hs_strerror(int err)
{
	switch (err) {
	case HS_OK:
		return "success";
	case HS_ERR_NOMEM:
		return "out of memory";
	case HS_ERR_INVALID:
		return "invalid argument";
	case HS_ERR_BUFFER:
		return "output buffer too small";
	case HS_ERR_STATE:
		return "operation not valid in the current state";
	case HS_ERR_NOT_FOUND:
		return "not found";
	case HS_ERR_EXISTS:
		return "already exists";
	case HS_ERR_FULL:
		return "limit reached";
	case HS_ERR_IO:
		return "input/output error";
	case HS_ERR_CORRUPT:
		return "stored data is corrupt";
	case HS_ERR_BANNED:
		return "banned";
	case HS_ERR_THREAD:
		return "not allowed from this thread";
	case HS_ERR_STOPPED:
		return "the host has stopped";
	case HS_ERR_TRUNCATED:
		return "input truncated";
	case HS_ERR_TOO_LARGE:
		return "length or count over its limit";
	case HS_ERR_NONCANONICAL:
		return "non-canonical encoding";
	case HS_ERR_TRAILING:
		return "trailing bytes after the object";
	case HS_ERR_BAD_VALUE:
		return "field value not allowed";
	case HS_ERR_UNKNOWN_TYPE:
		return "unknown message or item type";
	case HS_ERR_BAD_KEY:
		return "invalid key";
	case HS_ERR_BAD_SIG:
		return "signature does not verify";
	case HS_ERR_KEY_PERMS:
		return "key file is readable by group or others (chmod 600 it)";
	case HS_ERR_KEY_FILE:
		return "key file is malformed";
	case HS_ERR_DECRYPT:
		return "decryption failed: message tampered with or from another session";
	case HS_ERR_NONCE_EXHAUSTED:
		return "cipher nonce exhausted";
	case HS_ERR_HS_REPLAY:
		return "handshake message replayed";
	case HS_ERR_HS_ORDER:
		return "handshake message out of order";
	case HS_ERR_HS_NETWORK:
		return "peer is on another network";
	case HS_ERR_HS_VERSION:
		return "unsupported protocol version";
	case HS_ERR_HS_IDENTITY:
		return "identity signature over the Noise static key is invalid";
	case HS_ERR_HS_DONE:
		return "handshake already complete";
	default:
		return "unknown error";
	}
}

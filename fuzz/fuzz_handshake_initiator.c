/*
 * The handshake as the initiator, against any bytes: the input is a sequence of messages
 * (2-byte little-endian length each, see handshake_fixture.h) read as the responder's, with our
 * own messages written whenever it is our turn; after completion the rest are transport
 * messages. Keys and ephemerals are fixed, so the seeds (valid conversations written by
 * gen_handshake_corpus.c) reach the transport.
 */
#include "handshake_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_fix_drive(true, data, size);
	return 0;
}

/*
 * hs_transport_decrypt over arbitrary messages. The transport is the fixture responder's,
 * from a fixed handshake (handshake_fixture.h), so seeds encrypted by the fixture initiator
 * (gen_handshake_corpus.c) decrypt and the fuzzer mutates from valid messages.
 *
 * Input: one flags byte, then messages (2-byte little-endian length each). Flags bit 0 starts
 * the receive nonce at 2^64-3 and bit 1 the send nonce at 2^64-2, to reach nonce exhaustion.
 */
#include "handshake_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hs_transport *t;
	if (!t) {
		struct hs_transport *ti = NULL;
		HS_FIX_CHECK(hs_fix_run(hs_fix_get(), NULL, NULL, &ti, &t) == 0);
		hs_transport_del(ti);
	}
	if (size < 1)
		return 0;
	/* The nonces are the transport's whole state: resetting them makes each input
	 * independent of the ones before. */
	hs_transport_set_nonces(t, data[0] & 2 ? UINT64_MAX - 1 : 0,
	                        data[0] & 1 ? UINT64_MAX - 2 : 0);
	struct hs_fix_reader rd = { data + 1, size - 1, 0 };
	hs_fix_drive_transport(t, &rd);
	return 0;
}

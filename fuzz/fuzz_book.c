/*
 * libFuzzer target: the stored form of address-book entries (HS_SAVE_RECORD values: a node
 * record, optionally followed by its history), read back from the store at start, where a
 * damaged disk may put anything. A value that decodes re-encodes to the same bytes, and
 * loading it leaves a consistent book.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../overlay/addrbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_record rec;
	struct hs_book_meta meta;
	size_t reclen, len;
	bool has_meta;
	if (hs_book_value_decode(&rec, &reclen, &meta, &has_meta, data, size) != 0)
		return 0;
	uint8_t again[HS_RECORD_MAX + HS_BOOK_META_LEN];
	if (has_meta) {
		struct hs_book_entry e;
		memset(&e, 0, sizeof(e));
		e.rec = rec;
		e.tried = meta.tried;
		e.attempts = meta.attempts;
		e.last_success_ns = meta.last_success_ns;
		memcpy(e.source_group, meta.source_group, 8);
		if (hs_book_value_encode(&e, again, sizeof(again), &len) != 0)
			abort();
	} else if (hs_record_encode(&rec, again, sizeof(again), &len) != 0) {
		abort();
	}
	if (len != size || memcmp(again, data, size) != 0 || reclen > size)
		abort();
	static const uint8_t key[16] = { 1 };
	struct hs_addrbook ab;
	if (hs_addrbook_init(&ab, key, 8) != 0)
		return 0;
	int err = hs_addrbook_load(&ab, &rec, &meta, 1000000000ull);
	if (err > 0 || !hs_addrbook_check(&ab) || (err == 0 && hs_addrbook_count(&ab) != 1))
		abort();
	hs_addrbook_deinit(&ab);
	return 0;
}

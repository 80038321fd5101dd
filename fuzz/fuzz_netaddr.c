/*
 * libFuzzer target: the network address reader. A decoded address must be canonical: writing
 * it back gives the input bytes, reading those again gives an equal address, and formatting
 * and grouping stay in bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_reader r;
	struct hs_netaddr a;
	hs_reader_init(&r, data, size);
	hs_netaddr_read(&r, &a);
	if (hs_reader_end(&r) != 0)
		return 0;
	if (!hs_netaddr_is_valid(&a))
		abort();
	uint8_t out[32];
	struct hs_writer w;
	hs_writer_init(&w, out, sizeof(out));
	hs_netaddr_write(&w, &a);
	if (hs_writer_end(&w) != 0 || w.len != size || memcmp(out, data, size) != 0)
		abort();
	struct hs_netaddr b;
	hs_reader_init(&r, out, w.len);
	hs_netaddr_read(&r, &b);
	if (hs_reader_end(&r) != 0 || !hs_netaddr_equal(&a, &b) || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	char text[HS_NETADDR_STRLEN];
	hs_netaddr_format(&a, text);
	if (memchr(text, '\0', sizeof(text)) == NULL)
		abort();
	uint8_t group[8];
	hs_netaddr_group(&a, group);
	if (group[0] != a.family || !hs_netaddr_same_group(&a, &b))
		abort();
	return 0;
}

/* block-relay -datadir=DIR [hearsayd's flags]: relays 80-byte block headers, hex lines on stdin,
 * on topic "blocks"; only well-formed ones go out or in (topicsigners= says who may sign). */
#include <hearsay/hearsay.h>
#include <stdio.h>
#define HEADER_LEN 80

static enum hs_host_verdict check(void *ctx, const struct hs_message *m)
{
	(void)ctx; /* a real relay would check the proof of work and the link to its parent */
	return m->len == HEADER_LEN ? HS_VERDICT_ACCEPT : HS_VERDICT_REJECT;
}

static void hex(const char *label, const uint8_t *p, const char *end)
{
	printf("%s", label);
	for (int i = 0; i < HS_HOST_ID_LEN; i++)
		printf("%02x", p[i]);
	printf("%s", end);
}

static void on_header(void *ctx, const struct hs_message *m)
{
	(void)ctx;
	hex("header ", m->id, ""); /* a real relay would hand it to its chain */
	hex(" from ", m->origin, "\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct hs_host *h = hs_host_new();
	if (!h || hs_host_args(h, argc, argv) != 0 ||
	    hs_host_set_validator(h, "blocks", check, NULL) ||
	    hs_host_subscribe(h, "blocks", on_header, NULL) || hs_host_start(h) != 0) {
		fprintf(stderr, "block-relay: %s\n", h ? hs_host_error(h) : "out of memory");
		hs_host_free(h);
		return 1;
	}
	uint8_t id[HS_HOST_ID_LEN], header[HEADER_LEN + 1];
	char line[512];
	while (fflush(stdout) == 0 && fgets(line, sizeof(line), stdin)) {
		size_t n = 0;
		unsigned byte;
		while (n <= HEADER_LEN && sscanf(line + 2 * n, "%2x", &byte) == 1)
			header[n++] = (uint8_t)byte;
		if (n != HEADER_LEN) {
			printf("refused: %zu bytes, not a %d-byte header\n", n, HEADER_LEN);
			continue;
		}
		int rc = hs_host_publish(h, "blocks", header, n, id);
		if (rc)
			printf("publish failed: %s\n", hs_strerror(rc));
		else
			hex("published ", id, "\n");
	}
	hs_host_stop(h);
	hs_host_free(h);
	return 0;
}

/* state-watch: prints every node's "height" state entry as it changes.
 *   state-watch -datadir=DIR [-listen=IP:PORT] [-seednode=IP:PORT | -connect=IP:PORT]  */
#include <hearsay/hearsay.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

static void on_state(void *ctx, const struct hs_state *s)
{
	(void)ctx;
	if (strcmp(s->key, "height") != 0)
		return;
	for (int i = 0; i < HS_HOST_ID_LEN; i++)
		printf("%02x", s->origin[i]);
	if (s->deleted)
		printf(" height deleted\n");
	else
		printf(" height %.*s\n", (int)s->len, (const char *)s->value);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct hs_host *h = hs_host_new();
	if (!h || hs_host_args(h, argc, argv) != 0 || hs_host_watch_state(h, on_state, NULL) != 0 ||
	    hs_host_start(h) != 0) {
		fprintf(stderr, "state-watch: %s\n", h ? hs_host_error(h) : "out of memory");
		hs_host_free(h);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("watching\n");
	fflush(stdout);
	while (!done && hs_host_running(h))
		pause();
	hs_host_stop(h);
	hs_host_free(h);
	return 0;
}

/*
 * hearsayd: the hearsay node (hearsayd --help), a program over the host API.
 *
 * Everything a node does lives in libhearsay; what is left here is what makes it a daemon:
 * flags and their errors, -repairstore, and signals (SIGINT and SIGTERM stop, SIGHUP rereads
 * the configuration), taken by a thread of their own with sigwait so the host's loop never
 * sees them.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hearsay/hearsay.h"

/* Held by the signal thread while it stops the host, and by main before it frees the host. */
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static bool host_gone;

static void *signals(void *arg)
{
	struct hs_host *h = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	int sig;
	while (sigwait(&set, &sig) == 0) {
		pthread_mutex_lock(&stop_mu);
		if (!host_gone && sig == SIGHUP)
			(void)!hs_host_reload(h);
		else if (!host_gone)
			hs_host_stop(h); /* from this thread: returns once the node has stopped */
		pthread_mutex_unlock(&stop_mu);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct hs_host *h = hs_host_new();
	if (!h) {
		fputs("hearsayd: out of memory\n", stderr);
		return 71;
	}
	int rc = hs_host_set_default(h, "server", "1");
	if (rc == 0)
		rc = hs_host_args(h, argc, argv);
	if (rc == HS_HOST_ARGS_HELP || rc == HS_HOST_ARGS_VERSION) {
		if (rc == HS_HOST_ARGS_HELP)
			fputs(hs_host_help(), stdout);
		else
			printf("hearsayd %s (protocol %d)\n", hs_version(), hs_protocol_version());
		hs_host_free(h);
		return 0;
	}
	int status = 0;
	bool repair = false;
	for (int i = 1; i < argc; i++)
		repair |= strcmp(argv[i], "-repairstore") == 0 ||
		          strcmp(argv[i], "--repairstore") == 0;
	if (rc != 0) {
		fprintf(stderr, "hearsayd: %s\n", hs_host_error(h));
		status = hs_host_exit_status(h);
	} else if (repair) {
		status = hs_host_repair(h) ? hs_host_exit_status(h) : 0;
	} else {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread from here on */
		pthread_t t;
		if (pthread_create(&t, NULL, signals, h) != 0) {
			fputs("hearsayd: cannot start the signal thread\n", stderr);
			status = 71;
		} else {
			pthread_detach(t);
			status = hs_host_run(h) ? hs_host_exit_status(h) : 0;
		}
	}
	pthread_mutex_lock(&stop_mu);
	host_gone = true;
	pthread_mutex_unlock(&stop_mu);
	hs_host_free(h);
	return status;
}

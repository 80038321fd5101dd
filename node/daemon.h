/*
 * node/: hearsayd as a function, so the program is one line and tests can embed it.
 */
#ifndef HEARSAY_DAEMON_H
#define HEARSAY_DAEMON_H

/* Runs a node until it is stopped; returns the process exit code (0, or a sysexits code
 * with one error line printed). */
int hs_daemon_main(int argc, char **argv);

#endif

/*
 * node/: log lines on stderr — "2026-11-21T20:01:02.123Z INFO  text". One line per call,
 * written with a single write so lines from one process never interleave mid-line. Control
 * characters in the text are written as '?', so no text makes two lines of one. An embedder's
 * hs_set_log (include/hearsay/hearsay.h) takes the lines instead, without timestamp.
 */
#ifndef HEARSAY_LOG_H
#define HEARSAY_LOG_H

#include "hearsay/hearsay.h"
#include "overlay/node.h"

void hs_log_set_level(enum hs_log_level level);
enum hs_log_level hs_log_get_level(void);
void hs_log(enum hs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

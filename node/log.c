/* Log lines on stderr, or to the embedder's hs_set_log sink (see node/log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "node/log.h"

static enum hs_log_level current = HS_LOG_INFO;
static hs_log_fn sink;
static void *sink_ctx;

void hs_set_log(hs_log_fn fn, void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
}

void hs_log_set_level(enum hs_log_level level)
{
	current = level;
}

enum hs_log_level hs_log_get_level(void)
{
	return current;
}

void hs_log(enum hs_log_level level, const char *fmt, ...)
{
	if (level > current)
		return;
	static const char *const names[] = { "ERROR", "WARN ", "INFO ", "DEBUG" };
	char line[1024];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	/* Text a peer chose (a disconnect reason) reaches some lines: a control character there
	 * must not start a forged line or drive a terminal. */
	for (size_t i = (size_t)n; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	if (sink) {
		line[len] = '\0';
		sink(sink_ctx, (int)level, line + n);
		return;
	}
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

/*
 * log.c - one line per message, written with a single write(2) so lines from
 * probe workers and HTTP threads never interleave. Messages carry values
 * from clients and probes (URIs, lease holders, DAP_Info strings): they are
 * escaped here, at the one sink, so one call is exactly one line and no
 * value can start a line of its own ("<0>...", "audit: ...").
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "utf8.h"

#define LOG_MSG_MAX 1024

static atomic_int log_max_level = LOG_LVL_NOTICE;

void log_set_level(enum log_level max_level)
{
	atomic_store(&log_max_level, max_level);
}

static int log_use_prefix(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = getenv("JOURNAL_STREAM") != NULL || !isatty(STDERR_FILENO);
	return cached;
}

static const char *log_level_word(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERR: return "error: ";
	case LOG_LVL_WARNING: return "warning: ";
	case LOG_LVL_DEBUG: return "debug: ";
	default: return "";
	}
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX], line[16 + 4 * LOG_MSG_MAX];
	int n, m;
	va_list ap;

	if ((int)lvl > atomic_load(&log_max_level))
		return;
	va_start(ap, fmt);
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	if (m >= (int)sizeof(msg))
		m = (int)sizeof(msg) - 1;
	if (log_use_prefix())
		n = snprintf(line, sizeof(line), "<%d>", (int)lvl);
	else
		n = snprintf(line, sizeof(line), "rdpd: %s", log_level_word(lvl));
	/* Newlines, other control bytes and ill-formed UTF-8 (a message cut
	 * at LOG_MSG_MAX included) become visible escapes: \n, \xNN. */
	n += (int)utf8_escape((const uint8_t *)msg, (size_t)m, line + n, sizeof(line) - (size_t)n - 1);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

bool log_verbose_enabled(void)
{
	return atomic_load(&log_max_level) >= LOG_LVL_DEBUG;
}

/*
 * log.c - one line per message, written with a single write(2) so lines from
 * probe workers and HTTP threads never interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
	char line[1024];
	int n;
	va_list ap;

	if ((int)lvl > atomic_load(&log_max_level))
		return;
	if (log_use_prefix())
		n = snprintf(line, sizeof(line), "<%d>", (int)lvl);
	else
		n = snprintf(line, sizeof(line), "rdpd: %s", log_level_word(lvl));
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

bool log_verbose_enabled(void)
{
	return atomic_load(&log_max_level) >= LOG_LVL_DEBUG;
}

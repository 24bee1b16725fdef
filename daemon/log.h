/*
 * log.h - logging to stderr that journald can filter.
 *
 * Under systemd (JOURNAL_STREAM set) or when stderr is not a terminal, each
 * line starts with the syslog priority "<N>" so `journalctl -p warning` works;
 * on a terminal lines read "rdpd: warning: ...".
 */
#ifndef RDPD_LOG_H
#define RDPD_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARNING = 4, LOG_LVL_NOTICE = 5, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void log_set_level(enum log_level max_level);
/* True when debug lines are printed (-v). */
bool log_verbose_enabled(void);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif

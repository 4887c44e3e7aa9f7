/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging to stderr, one line per message, with a level on every line.
 * Under systemd (JOURNAL_STREAM set) each line starts with the sd-daemon
 * "<N>" priority prefix so journald files it at the right level; on a
 * terminal each line starts with a timestamp and the level's name.
 */
#ifndef ALTOD_LOG_H
#define ALTOD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Sets the level and the format (journal or terminal) for the whole
 * process. Call it once, before any other thread starts: the settings are
 * read without a lock afterwards. Without it: info and above, terminal
 * format. */
void log_init(enum log_level max_level);
void log_msg(enum log_level level, const char *subject, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level level, const char *subject, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

#define log_err(subj, ...) log_msg(LOG_LVL_ERR, subj, __VA_ARGS__)
#define log_warning(subj, ...) log_msg(LOG_LVL_WARNING, subj, __VA_ARGS__)
#define log_notice(subj, ...) log_msg(LOG_LVL_NOTICE, subj, __VA_ARGS__)
#define log_info(subj, ...) log_msg(LOG_LVL_INFO, subj, __VA_ARGS__)
#define log_debug(subj, ...) log_msg(LOG_LVL_DEBUG, subj, __VA_ARGS__)

#endif

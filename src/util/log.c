/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* The logger's settings: process-wide by nature (one stderr, one
 * journal), written once by log_init while the process is still single
 * threaded, only read afterwards, so every thread logs without a lock.
 * Until log_init: info and above, with timestamps. */
static struct {
	enum log_level max_level;
	bool journal; /* stderr is a journald stream: "<N>" prefixes */
} g_log = {LOG_LVL_INFO, false};

static const char *level_name(enum log_level level)
{
	switch (level) {
	case LOG_LVL_ERR: return "error";
	case LOG_LVL_WARNING: return "warning";
	case LOG_LVL_NOTICE: return "notice";
	case LOG_LVL_INFO: return "info";
	default: return "debug";
	}
}

void log_init(enum log_level max_level)
{
	g_log.max_level = max_level;
	g_log.journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_vmsg(enum log_level level, const char *subject, const char *fmt, va_list ap)
{
	char msg[2048];
	char line[2304];

	if (level > g_log.max_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* one message, one line: a newline inside would forge a log entry */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	for (size_t n = strlen(msg); n > 0 && msg[n - 1] == ' '; n--)
		msg[n - 1] = '\0';
	if (g_log.journal) {
		snprintf(line, sizeof(line), "<%d>%s: %s: %s\n", (int)level, level_name(level), subject, msg);
	} else {
		char ts[32];
		struct timespec now;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(line, sizeof(line), "%s.%03ldZ %s: %s: %s\n", ts, now.tv_nsec / 1000000, level_name(level),
		         subject, msg);
	}
	/* a single write keeps concurrent lines whole */
	size_t len = strnlen(line, sizeof(line));
	if (len > 0 && line[len - 1] != '\n')
		line[len - 1] = '\n'; /* truncated: still one line */
	ssize_t rc = write(STDERR_FILENO, line, len);
	(void)rc;
}

void log_msg(enum log_level level, const char *subject, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, subject, fmt, ap);
	va_end(ap);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Diagnostics collected while loading configuration: every error is kept as
 * "file:line:column: message" so `altod -t` and a failed reload can report
 * all of them, not just the first.
 */
#ifndef ALTOD_DIAG_H
#define ALTOD_DIAG_H

#include <stddef.h>

struct diag {
	char **msgs;
	size_t n;
	size_t cap;
	size_t max; /* stop collecting after this many (0 = default) */
};

void diag_init(struct diag *d);
void diag_free(struct diag *d);
/* line and column are 1-based; 0 omits them. */
void diag_add(struct diag *d, const char *file, size_t line, size_t col, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
void diag_merge(struct diag *into, struct diag *from);

#endif

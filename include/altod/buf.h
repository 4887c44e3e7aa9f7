/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A growable byte buffer. Appends never fail loudly: an allocation failure
 * sets `oom`, later appends become no-ops, and the owner checks `oom` once
 * at the end (buf_finish).
 */
#ifndef ALTOD_BUF_H
#define ALTOD_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
bool buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the NUL-terminated data over to the caller (NULL after an OOM). */
char *buf_finish(struct buf *b, size_t *len);

/* JSON rendering helpers (output only; parsing is jansson's job). */
void jw_str(struct buf *b, const char *s);
void jw_strn(struct buf *b, const char *s, size_t n);
/* Shortest decimal form that reads back as the same double. */
void jw_num(struct buf *b, double v);
void jw_uint(struct buf *b, uint64_t v);

#endif

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
#include <string.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
bool buf_reserve_slow(struct buf *b, size_t extra);

/* Room for `extra` more bytes and the NUL after them; false after an OOM.
 * The common case (room left) stays inline: rendering appends a few bytes
 * at a time, thousands of times per response. */
static inline bool buf_reserve(struct buf *b, size_t extra)
{
	if (b->data != NULL && b->len + extra < b->cap && !b->oom)
		return true;
	return buf_reserve_slow(b, extra);
}

static inline void buf_append(struct buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static inline void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

static inline void buf_putc(struct buf *b, char c)
{
	if (!buf_reserve(b, 1))
		return;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}
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

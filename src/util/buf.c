/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

void buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

bool buf_reserve_slow(struct buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *d = realloc(b->data, cap);
	if (d == NULL) {
		b->oom = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_append(b, small, (size_t)n);
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *buf_finish(struct buf *b, size_t *len)
{
	if (b->oom) {
		buf_free(b);
		return NULL;
	}
	if (b->data == NULL)
		buf_append(b, "", 0);
	if (b->oom) {
		buf_free(b);
		return NULL;
	}
	char *d = b->data;
	if (len)
		*len = b->len;
	buf_init(b);
	return d;
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

void jw_strn(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	while (i < n && !needs_escape((unsigned char)s[i]))
		i++;
	if (!buf_reserve(b, n + 2))
		return;
	/* the common case, nothing to escape: one copy */
	b->data[b->len++] = '"';
	memcpy(b->data + b->len, s, i);
	b->len += i;
	b->data[b->len] = '\0';
	size_t run = 0;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!needs_escape(c)) {
			run++;
			continue;
		}
		buf_append(b, s + i - run, run);
		run = 0;
		switch (c) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default: {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			buf_append(b, e, sizeof(e));
		}
		}
	}
	buf_append(b, s + n - run, run);
	buf_putc(b, '"');
}

void jw_str(struct buf *b, const char *s)
{
	jw_strn(b, s, strlen(s));
}

void jw_uint(struct buf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_append(b, tmp + i, sizeof(tmp) - (size_t)i);
}

/* Costs are mostly decimals with a few fraction digits (12.5, 0.25): for
 * |v| in [1e-4, 1e9) the smallest d <= 6 (0: an integer) with round(v * 10^d) / 10^d == v
 * exactly names the decimal that reads back as v, and it is what "%.15g"
 * prints there (v is within half an ulp of it, far below the 15th digit),
 * without printf and strtod. */
static bool jw_num_fixed(struct buf *b, double v)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
	static const uint64_t u10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
	double a = fabs(v);

	if (!(a >= 1e-4 && a < 1e9))
		return false;
	for (int d = 0; d <= 6; d++) {
		double r = nearbyint(a * p10[d]);
		if (r / p10[d] != a)
			continue;
		uint64_t u = (uint64_t)r, ip = u / u10[d], fp = u % u10[d];
		char tmp[40];
		size_t n = 0;
		if (v < 0)
			tmp[n++] = '-';
		char digits[24];
		size_t k = sizeof(digits);
		do {
			digits[--k] = (char)('0' + ip % 10);
			ip /= 10;
		} while (ip);
		memcpy(tmp + n, digits + k, sizeof(digits) - k);
		n += sizeof(digits) - k;
		if (d > 0)
			tmp[n++] = '.';
		for (int j = d - 1; j >= 0; j--) {
			tmp[n + (size_t)j] = (char)('0' + fp % 10);
			fp /= 10;
		}
		n += (size_t)d;
		buf_append(b, tmp, n);
		return true;
	}
	return false;
}

void jw_num(struct buf *b, double v)
{
	char tmp[32];

	if (!isfinite(v)) { /* never stored, but never emit invalid JSON */
		buf_puts(b, "null");
		return;
	}
	if (v >= 0 && v < 9007199254740992.0 && v == floor(v)) {
		jw_uint(b, (uint64_t)v);
		return;
	}
	if (jw_num_fixed(b, v))
		return;
	for (int prec = 15; prec <= 17; prec++) {
		int n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (prec == 17 || strtod(tmp, NULL) == v) {
			buf_append(b, tmp, (size_t)n);
			return;
		}
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"

#define DIAG_DEFAULT_MAX 1000

void diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	diag_init(d);
}

static void push(struct diag *d, char *msg)
{
	size_t max = d->max ? d->max : DIAG_DEFAULT_MAX;

	if (msg == NULL)
		return;
	if (d->n >= max) {
		free(msg);
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		char **m = realloc(d->msgs, cap * sizeof(*m));
		if (m == NULL) {
			free(msg);
			return;
		}
		d->msgs = m;
		d->cap = cap;
	}
	d->msgs[d->n++] = msg;
}

void diag_add(struct diag *d, const char *file, size_t line, size_t col, const char *fmt, ...)
{
	char text[1024];
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	int rc;
	if (line > 0)
		rc = asprintf(&msg, "%s:%zu:%zu: %s", file, line, col, text);
	else
		rc = asprintf(&msg, "%s: %s", file, text);
	if (rc < 0)
		return;
	push(d, msg);
}

void diag_merge(struct diag *into, struct diag *from)
{
	for (size_t i = 0; i < from->n; i++)
		push(into, from->msgs[i]);
	free(from->msgs);
	diag_init(from);
}

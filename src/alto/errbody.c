/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alto/errbody.h"
#include "util/buf.h"

void alto_error_set(struct alto_error *e, const char *code, const char *field, const char *value)
{
	alto_error_clear(e);
	e->code = code;
	e->field = field;
	e->value = value ? strdup(value) : NULL;
}

void alto_error_clear(struct alto_error *e)
{
	free(e->value);
	free(e->syntax);
	memset(e, 0, sizeof(*e));
}

void alto_error_syntax(struct alto_error *e, const char *fmt, ...)
{
	va_list ap;

	alto_error_clear(e);
	e->code = E_SYNTAX;
	va_start(ap, fmt);
	if (vasprintf(&e->syntax, fmt, ap) < 0)
		e->syntax = NULL;
	va_end(ap);
}

json_t *alto_json_object(const char *body, size_t len, struct alto_error *e)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		alto_error_syntax(e, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		alto_error_syntax(e, "%s", "the request body must be a JSON object");
		return NULL;
	}
	return root;
}

/* RFC 7285 §8.5.2: meta.code always; "field" names the path of the field,
 * "value" (only with "field") is the offending value as a string, and
 * "syntax-error" says where parsing failed. */
char *alto_error_render(const struct alto_error *e, size_t *len)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "{\"meta\":{\"code\":");
	jw_str(&b, e->code ? e->code : E_SYNTAX);
	if (e->field) {
		buf_puts(&b, ",\"field\":");
		jw_str(&b, e->field);
		if (e->value) {
			buf_puts(&b, ",\"value\":");
			jw_str(&b, e->value);
		}
	}
	if (e->syntax) {
		buf_puts(&b, ",\"syntax-error\":");
		jw_str(&b, e->syntax);
	}
	buf_puts(&b, "}}");
	return buf_finish(&b, len);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 7285 §8.5 errors: the codes, and the one renderer of
 * application/alto-error+json bodies. */
#ifndef ALTOD_ALTO_ERRBODY_H
#define ALTOD_ALTO_ERRBODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define E_SYNTAX "E_SYNTAX"
#define E_MISSING_FIELD "E_MISSING_FIELD"
#define E_INVALID_FIELD_TYPE "E_INVALID_FIELD_TYPE"
#define E_INVALID_FIELD_VALUE "E_INVALID_FIELD_VALUE"

struct alto_error {
	const char *code;  /* NULL: no error */
	const char *field; /* static path like "cost-type/cost-mode", or NULL */
	char *value;       /* what the client sent, as a string, or NULL */
	char *syntax;      /* E_SYNTAX detail, or NULL */
};

void alto_error_set(struct alto_error *e, const char *code, const char *field, const char *value);
void alto_error_clear(struct alto_error *e);
/* E_SYNTAX, with its detail formatted */
void alto_error_syntax(struct alto_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A request body that must be a JSON object (duplicate members refused):
 * the object, or NULL with E_SYNTAX saying where jansson stopped, or that
 * the body is not an object. */
json_t *alto_json_object(const char *body, size_t len, struct alto_error *e);
/* The one renderer of application/alto-error+json bodies. */
char *alto_error_render(const struct alto_error *e, size_t *len);

#endif

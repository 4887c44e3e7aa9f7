/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A pull parser over libyaml's event stream, for recursive-descent loaders
 * that mirror their schema. It never builds a document tree, so a maps file
 * of millions of prefixes costs only the model it fills.
 *
 * Every error is reported to the diag as file:line:column. After a YAML
 * syntax error the parser is `failed`: every call returns "nothing more".
 * Aliases are refused (no billion-laughs, no action at a distance).
 */
#ifndef ALTOD_YP_H
#define ALTOD_YP_H

#include <stdbool.h>
#include <stdio.h>
#include <yaml.h>

#include "util/diag.h"

struct yp_mark {
	size_t line; /* 1-based */
	size_t col;  /* 1-based */
};

struct yp {
	yaml_parser_t parser;
	yaml_event_t ev;
	bool has_ev;
	bool failed;
	bool open;
	const char *file;
	struct diag *diag;
	FILE *fp;
	size_t errors; /* errors reported through this parser */
};

/* Opens the file and enters its single document. Reports and returns
 * non-zero if the file cannot be read or holds no document. */
int yp_open(struct yp *y, const char *path, struct diag *d);
/* Same over a memory buffer (tests, fuzzing); name is used in messages. */
int yp_open_mem(struct yp *y, const char *name, const char *data, size_t len, struct diag *d);
/* Checks that nothing but the end of the stream follows, then frees. */
void yp_close(struct yp *y);

void yp_error(struct yp *y, struct yp_mark m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
struct yp_mark yp_mark(struct yp *y); /* start of the current event */

/* Node readers. Each consumes exactly one node, whether it matches or not
 * (a mismatch is reported and the node skipped), so loaders stay in step. */
bool yp_scalar(struct yp *y, const char *what, char **value, struct yp_mark *m);
bool yp_mapping_begin(struct yp *y, const char *what);
/* Next key of the mapping, or false at its end. */
bool yp_mapping_key(struct yp *y, char **key, struct yp_mark *m);
bool yp_sequence_begin(struct yp *y, const char *what);
/* true while the sequence has another item (which the caller then reads) */
bool yp_sequence_more(struct yp *y);
/* A sequence of scalars (`what` names the sequence, `item` each item in a
 * mismatch message): each(y, value, mark, arg) is called for every item
 * that is a scalar, and owns the value; any other item is reported and
 * skipped. false if the node was not a sequence. */
typedef void (*yp_scalar_fn)(struct yp *y, char *value, struct yp_mark m, void *arg);
bool yp_scalar_list(struct yp *y, const char *what, const char *item, yp_scalar_fn each, void *arg);
void yp_skip(struct yp *y);

/* Scalar conversions; each reports its own error. */
bool yp_scalar_bool(struct yp *y, const char *what, bool *out);
bool yp_scalar_uint(struct yp *y, const char *what, unsigned long long max, unsigned long long *out);
/* A finite decimal number >= 0 in JSON number syntax. */
bool yp_parse_cost(const char *s, double *out);

#endif

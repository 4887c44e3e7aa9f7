/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/jsonnum.h"
#include "conf/yp.h"

static const char *event_name(yaml_event_type_t t)
{
	switch (t) {
	case YAML_SCALAR_EVENT: return "a scalar";
	case YAML_SEQUENCE_START_EVENT: return "a sequence";
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_ALIAS_EVENT: return "an alias";
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT: return "the end of the document";
	default: return "something else";
	}
}

void yp_error(struct yp *y, struct yp_mark m, const char *fmt, ...)
{
	char text[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	diag_add(y->diag, y->file, m.line, m.col, "%s", text);
	y->errors++;
}

/* Fetches the next event if none is pending. false once failed. */
static bool fill(struct yp *y)
{
	if (y->failed)
		return false;
	if (y->has_ev)
		return true;
	if (!yaml_parser_parse(&y->parser, &y->ev)) {
		struct yp_mark m = {y->parser.problem_mark.line + 1, y->parser.problem_mark.column + 1};
		if (y->parser.context)
			yp_error(y, m, "YAML syntax error: %s %s", y->parser.problem ? y->parser.problem : "",
			         y->parser.context);
		else
			yp_error(y, m, "YAML syntax error: %s", y->parser.problem ? y->parser.problem : "cannot parse");
		y->failed = true;
		return false;
	}
	y->has_ev = true;
	if (y->ev.type == YAML_ALIAS_EVENT) {
		/* consumed by the reader as an unusable node */
	}
	return true;
}

static void consume(struct yp *y)
{
	if (y->has_ev) {
		yaml_event_delete(&y->ev);
		y->has_ev = false;
	}
}

struct yp_mark yp_mark(struct yp *y)
{
	if (y->has_ev || fill(y))
		return (struct yp_mark){y->ev.start_mark.line + 1, y->ev.start_mark.column + 1};
	return (struct yp_mark){y->parser.problem_mark.line + 1, y->parser.problem_mark.column + 1};
}

static int enter(struct yp *y)
{
	if (!fill(y))
		return ALTOD_ECONFIG;
	if (y->ev.type != YAML_STREAM_START_EVENT) {
		yp_error(y, yp_mark(y), "not a YAML stream");
		return ALTOD_ECONFIG;
	}
	consume(y);
	if (!fill(y))
		return ALTOD_ECONFIG;
	if (y->ev.type != YAML_DOCUMENT_START_EVENT) {
		yp_error(y, yp_mark(y), "no YAML document (is the file empty?)");
		y->failed = true;
		return ALTOD_ECONFIG;
	}
	consume(y);
	return 0;
}

static void init(struct yp *y, const char *name, struct diag *d)
{
	memset(y, 0, sizeof(*y));
	y->file = name;
	y->diag = d;
}

int yp_open(struct yp *y, const char *path, struct diag *d)
{
	init(y, path, d);
	/* O_NONBLOCK: a FIFO in place of the file must not block a reload;
	 * only a regular file is read */
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	const char *why = fd < 0                 ? strerror(errno)
	                  : fstat(fd, &st) != 0  ? strerror(errno)
	                  : !S_ISREG(st.st_mode) ? "not a regular file"
	                                         : NULL;
	if (why == NULL && fcntl(fd, F_SETFL, 0) == 0)
		y->fp = fdopen(fd, "rb");
	if (y->fp == NULL) {
		if (fd >= 0)
			close(fd);
		diag_add(d, path, 0, 0, "cannot open: %s", why ? why : strerror(errno));
		y->errors++;
		y->failed = true;
		return ALTOD_ECONFIG;
	}
	if (!yaml_parser_initialize(&y->parser)) {
		diag_add(d, path, 0, 0, "out of memory");
		fclose(y->fp);
		y->fp = NULL;
		y->failed = true;
		return ALTOD_ENOMEM;
	}
	y->open = true;
	yaml_parser_set_input_file(&y->parser, y->fp);
	return enter(y);
}

int yp_open_mem(struct yp *y, const char *name, const char *data, size_t len, struct diag *d)
{
	init(y, name, d);
	if (!yaml_parser_initialize(&y->parser)) {
		y->failed = true;
		return ALTOD_ENOMEM;
	}
	y->open = true;
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)data, len);
	return enter(y);
}

void yp_close(struct yp *y)
{
	if (fill(y)) {
		if (y->ev.type == YAML_DOCUMENT_END_EVENT) {
			consume(y);
			if (fill(y) && y->ev.type != YAML_STREAM_END_EVENT)
				yp_error(y, yp_mark(y), "more than one YAML document in the file");
		} else if (y->ev.type != YAML_STREAM_END_EVENT) {
			yp_error(y, yp_mark(y), "unexpected %s after the document", event_name(y->ev.type));
		}
	}
	consume(y);
	if (y->open)
		yaml_parser_delete(&y->parser);
	if (y->fp)
		fclose(y->fp);
	y->fp = NULL;
	y->open = false;
}

void yp_skip(struct yp *y)
{
	size_t depth = 0;

	do {
		if (!fill(y))
			return;
		switch (y->ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: depth++; break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: depth--; break;
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT: return; /* never consume the end */
		default: break;
		}
		consume(y);
	} while (depth > 0);
}

/* Reports that the current node is not what was expected, and skips it. */
static void mismatch(struct yp *y, const char *what, const char *expected)
{
	if (y->ev.type == YAML_ALIAS_EVENT)
		yp_error(y, yp_mark(y), "%s: YAML aliases are not supported", what);
	else
		yp_error(y, yp_mark(y), "%s must be %s, not %s", what, expected, event_name(y->ev.type));
	yp_skip(y);
}

bool yp_scalar(struct yp *y, const char *what, char **value, struct yp_mark *m)
{
	*value = NULL;
	if (!fill(y))
		return false;
	if (m)
		*m = yp_mark(y);
	if (y->ev.type != YAML_SCALAR_EVENT) {
		mismatch(y, what, "a scalar");
		return false;
	}
	struct yp_mark at = yp_mark(y);
	size_t len = y->ev.data.scalar.length;
	if (memchr(y->ev.data.scalar.value, '\0', len) != NULL) {
		/* never a valid name, address or number */
		consume(y);
		yp_error(y, at, "%s contains a NUL character", what);
		return false;
	}
	*value = strndup((const char *)y->ev.data.scalar.value, len);
	consume(y);
	if (*value == NULL) {
		yp_error(y, at, "out of memory");
		return false;
	}
	return true;
}

bool yp_mapping_begin(struct yp *y, const char *what)
{
	if (!fill(y))
		return false;
	if (y->ev.type != YAML_MAPPING_START_EVENT) {
		mismatch(y, what, "a mapping");
		return false;
	}
	consume(y);
	return true;
}

bool yp_mapping_key(struct yp *y, char **key, struct yp_mark *m)
{
	for (;;) {
		*key = NULL;
		if (!fill(y))
			return false;
		if (y->ev.type == YAML_MAPPING_END_EVENT) {
			consume(y);
			return false;
		}
		/* libyaml's events are balanced, but never loop at the end of the
		 * document whatever a caller consumed */
		if (y->ev.type == YAML_DOCUMENT_END_EVENT || y->ev.type == YAML_STREAM_END_EVENT)
			return false;
		if (y->ev.type == YAML_SCALAR_EVENT) {
			if (yp_scalar(y, "a key", key, m))
				return true;
			if (y->failed)
				return false;
			/* a key that cannot be read (a NUL in it): reported; its
			 * value is skipped and the mapping goes on */
			yp_skip(y);
			continue;
		}
		mismatch(y, "a key", "a scalar");
		yp_skip(y); /* and its value */
	}
}

bool yp_sequence_begin(struct yp *y, const char *what)
{
	if (!fill(y))
		return false;
	if (y->ev.type != YAML_SEQUENCE_START_EVENT) {
		mismatch(y, what, "a sequence");
		return false;
	}
	consume(y);
	return true;
}

bool yp_sequence_more(struct yp *y)
{
	if (!fill(y))
		return false;
	if (y->ev.type == YAML_SEQUENCE_END_EVENT) {
		consume(y);
		return false;
	}
	return y->ev.type != YAML_DOCUMENT_END_EVENT && y->ev.type != YAML_STREAM_END_EVENT;
}

bool yp_scalar_list(struct yp *y, const char *what, const char *item, yp_scalar_fn each, void *arg)
{
	if (!yp_sequence_begin(y, what))
		return false;
	while (yp_sequence_more(y)) {
		char *v;
		struct yp_mark m;
		if (yp_scalar(y, item, &v, &m))
			each(y, v, m, arg);
	}
	return true;
}

bool yp_scalar_bool(struct yp *y, const char *what, bool *out)
{
	struct yp_mark m;
	char *v;

	if (!yp_scalar(y, what, &v, &m))
		return false;
	bool ok = true;
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "on") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "off") == 0)
		*out = false;
	else {
		yp_error(y, m, "%s must be true or false, not '%s'", what, v);
		ok = false;
	}
	free(v);
	return ok;
}

bool yp_scalar_uint(struct yp *y, const char *what, unsigned long long max, unsigned long long *out)
{
	struct yp_mark m;
	char *v, *end;

	if (!yp_scalar(y, what, &v, &m))
		return false;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	bool ok = v[0] >= '0' && v[0] <= '9' && *end == '\0' && errno == 0 && n <= max;
	if (ok)
		*out = n;
	else
		yp_error(y, m, "%s must be a whole number from 0 to %llu, not '%s'", what, max, v);
	free(v);
	return ok;
}

bool yp_parse_cost(const char *s, double *out)
{
	/* a JSON number without a minus sign */
	const char *end = s[0] == '-' ? NULL : json_number_end(s);
	if (end == NULL || *end != '\0')
		return false;
	double v = strtod(s, NULL);
	if (!isfinite(v))
		return false;
	*out = v;
	return true;
}

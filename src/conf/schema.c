/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/policy.h"
#include "conf/schema.h"
#include "util/hex.h"
#include "util/vec.h"

const struct conf_item *conf_section_item(const struct conf_section *s, const char *name, size_t *index)
{
	for (size_t i = 0; i < s->nitems; i++)
		if (strcmp(s->items[i].name, name) == 0) {
			if (index)
				*index = i;
			return &s->items[i];
		}
	return NULL;
}

struct yp_mark conf_seen_at(const struct conf_section *s, const struct conf_seen *seen, const char *name)
{
	size_t i;
	if (seen == NULL || conf_section_item(s, name, &i) == NULL || i >= sizeof(seen->at) / sizeof(seen->at[0]))
		return (struct yp_mark){0, 0};
	return seen->at[i];
}

static void append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);
	if (n < size)
		snprintf(buf + n, size - n, "%s", s);
}

const char *conf_section_keys(const struct conf_section *s, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < s->nitems; i++) {
		if (i)
			append(buf, size, ", ");
		append(buf, size, s->items[i].name);
	}
	return buf;
}

static void store_uint(void *p, size_t size, unsigned long long v)
{
	if (size == sizeof(uint16_t)) {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, sizeof(x));
	} else if (size == sizeof(unsigned)) {
		unsigned x = (unsigned)v;
		memcpy(p, &x, sizeof(x));
	} else {
		size_t x = (size_t)v;
		memcpy(p, &x, sizeof(x));
	}
}

static unsigned long long load_uint(const void *p, size_t size)
{
	if (size == sizeof(uint16_t)) {
		uint16_t x;
		memcpy(&x, p, sizeof(x));
		return x;
	}
	if (size == sizeof(unsigned)) {
		unsigned x;
		memcpy(&x, p, sizeof(x));
		return x;
	}
	size_t x;
	memcpy(&x, p, sizeof(x));
	return x;
}

static int enum_index(const struct conf_item *it, const char *v)
{
	for (int i = 0; it->values && it->values[i]; i++)
		if (strcmp(it->values[i], v) == 0)
			return i;
	return -1;
}

/* "none, optional or require" */
static const char *enum_list(const struct conf_item *it, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; it->values[i]; i++) {
		if (i)
			append(buf, size, it->values[i + 1] ? ", " : " or ");
		append(buf, size, it->values[i]);
	}
	return buf;
}

void conf_section_defaults(const struct conf_section *s, void *obj)
{
	for (size_t i = 0; i < s->nitems; i++) {
		const struct conf_item *it = &s->items[i];
		char *p = (char *)obj + it->offset;
		if (it->def == NULL)
			continue;
		if (it->type == CONF_UINT)
			store_uint(p, it->size, strtoull(it->def, NULL, 10));
		else if (it->type == CONF_BOOL)
			*(bool *)p = strcmp(it->def, "true") == 0;
		else if (it->type == CONF_ENUM && enum_index(it, it->def) >= 0)
			*(int *)p = enum_index(it, it->def);
		else if (it->type == CONF_RATE || it->type == CONF_BURST) {
			double d = strtod(it->def, NULL);
			memcpy(p, &d, sizeof(d));
		}
	}
}

/* The generic conversions, one per type */
static void parse_value(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	char *p = (char *)obj + it->offset, *v;
	struct yp_mark vm;
	unsigned long long u;

	(void)key;
	switch (it->type) {
	case CONF_BOOL: yp_scalar_bool(y, it->name, (bool *)p); break;
	case CONF_UINT:
		vm = yp_mark(y);
		if (!yp_scalar_uint(y, it->name, it->max, &u))
			break;
		if (u < it->min)
			yp_error(y, vm, "%s must be %llu to %llu%s%s", it->name, it->min, it->max, it->unit ? " " : "",
			         it->unit ? it->unit : "");
		else
			store_uint(p, it->size, u);
		break;
	case CONF_ENUM:
		if (yp_scalar(y, it->name, &v, &vm)) {
			int k = enum_index(it, v);
			if (k < 0) {
				char list[128];
				yp_error(y, vm, "%s must be %s, not '%s'", it->name, enum_list(it, list, sizeof(list)),
				         v);
			} else {
				*(int *)p = k;
			}
			free(v);
		}
		break;
	case CONF_ADDRESS:
		if (yp_scalar(y, it->name, &v, &vm)) {
			unsigned char tmp[16];
			if (inet_pton(AF_INET, v, tmp) != 1 && inet_pton(AF_INET6, v, tmp) != 1) {
				yp_error(y, vm, "%s '%s' is not a numeric IPv4 or IPv6 address", it->name, v);
				free(v);
			} else {
				free(*(char **)p);
				*(char **)p = v;
			}
		}
		break;
	case CONF_PATH: /* its check resolves it against the config's folder */
	case CONF_STRING:
		if (!yp_scalar(y, it->name, &v, &vm))
			break;
		if (it->check == NULL || it->check(y, it, &v, vm, obj, ctx)) {
			free(*(char **)p);
			*(char **)p = v;
		} else {
			free(v);
		}
		break;
	case CONF_SECTION: conf_section_parse(y, it->child, NULL, p, ctx, NULL); break;
	case CONF_RATE:
	case CONF_BURST:
	case CONF_LIST:
	case CONF_MAP:
		/* these need a callback (a list's items have forms of their own) */
		yp_error(y, key, "%s: no parser", it->name);
		yp_skip(y);
		break;
	}
}

bool conf_section_parse(struct yp *y, const struct conf_section *s, const char *where, void *obj, void *ctx,
                        struct conf_seen *seen)
{
	char keys[512], what[600], *key;
	struct yp_mark m;

	conf_section_keys(s, keys, sizeof(keys));
	snprintf(what, sizeof(what), "%s (%s)", s->name ? s->name : "", keys);
	if (!yp_mapping_begin(y, s->what ? s->what : what))
		return false;
	while (yp_mapping_key(y, &key, &m)) {
		size_t i;
		const struct conf_item *it = conf_section_item(s, key, &i);
		if (it == NULL) {
			const char *in = where ? where : s->name;
			yp_error(y, m, "unknown key '%s'%s%s (%s)%s", key, in ? " in " : "", in ? in : "", keys,
			         s->unknown ? s->unknown : "");
			yp_skip(y);
			free(key);
			continue;
		}
		if (seen && i < sizeof(seen->at) / sizeof(seen->at[0]) && seen->at[i].line == 0)
			seen->at[i] = m;
		if (it->parse)
			it->parse(y, it, obj, ctx, m);
		else
			parse_value(y, it, obj, ctx, m);
		free(key);
	}
	return true;
}

bool conf_map_entries(struct yp *y, const char *what, void **arr, size_t *n, size_t size, conf_entry_fn each, void *arg)
{
	size_t cap = *n;
	char *name;
	struct yp_mark m;

	if (!yp_mapping_begin(y, what))
		return false;
	while (yp_mapping_key(y, &name, &m)) {
		if (!vec_reserve(arr, &cap, *n + 1, size)) {
			free(name);
			yp_skip(y);
			continue;
		}
		void *elem = (char *)*arr + (*n)++ * size;
		memset(elem, 0, size);
		each(y, elem, name, m, arg);
	}
	return true;
}

bool conf_hex_decode(const char *s, uint8_t *out, size_t n, bool colons)
{
	size_t k = 0;
	for (const char *p = s; *p; p++) {
		if (colons && *p == ':')
			continue;
		int v = hex_digit(*p);
		if (v < 0 || k >= 2 * n)
			return false;
		if (k % 2 == 0)
			out[k / 2] = (uint8_t)(v << 4);
		else
			out[k / 2] |= (uint8_t)v;
		k++;
	}
	return k == 2 * n;
}

bool conf_section_restart_equal(const struct conf_section *s, const void *a, const void *b)
{
	for (size_t i = 0; i < s->nitems; i++) {
		const struct conf_item *it = &s->items[i];
		const char *x = (const char *)a + it->offset, *z = (const char *)b + it->offset;
		if (!(it->flags & CONF_RESTART))
			continue;
		switch (it->type) {
		case CONF_UINT:
			if (load_uint(x, it->size) != load_uint(z, it->size))
				return false;
			break;
		case CONF_BOOL:
			if (*(const bool *)x != *(const bool *)z)
				return false;
			break;
		case CONF_ENUM:
			if (*(const int *)x != *(const int *)z)
				return false;
			break;
		case CONF_STRING:
		case CONF_ADDRESS: {
			const char *sx = *(char *const *)x, *sz = *(char *const *)z;
			if (!sx != !sz || (sx && strcmp(sx, sz) != 0))
				return false;
			break;
		}
		default: break; /* compared by the owner of the table */
		}
	}
	return true;
}

static void restart_keys(const struct conf_section *s, char *buf, size_t size)
{
	for (size_t i = 0; i < s->nitems; i++) {
		const struct conf_item *it = &s->items[i];
		if (it->flags & CONF_RESTART) {
			if (buf[0])
				append(buf, size, ", ");
			append(buf, size, s->path);
			append(buf, size, it->name);
			if (it->child && (it->type == CONF_SECTION || it->type == CONF_LIST))
				append(buf, size, it->type == CONF_SECTION ? " (on/off)" : " (count, order)");
		}
		if (it->child)
			restart_keys(it->child, buf, size);
	}
}

void conf_restart_keys(const struct conf_section *s, char *buf, size_t size)
{
	buf[0] = '\0';
	restart_keys(s, buf, size);
}

/* The type column: what the value is and its range */
static const char *type_text(const struct conf_item *it, char *buf, size_t size)
{
	char list[128];
	if (it->type_doc)
		return it->type_doc;
	switch (it->type) {
	case CONF_BOOL: snprintf(buf, size, "true/false"); break;
	case CONF_UINT:
		snprintf(buf, size, "%s%s%llu–%llu", it->unit ? it->unit : "", it->unit ? ", " : "", it->min, it->max);
		break;
	case CONF_RATE: snprintf(buf, size, "0, or %g–%g per second", POLICY_RATE_MIN, POLICY_RATE_MAX); break;
	case CONF_BURST: snprintf(buf, size, "0, or 1–%g", POLICY_BURST_MAX); break;
	case CONF_STRING: snprintf(buf, size, "string"); break;
	case CONF_PATH: snprintf(buf, size, "path"); break;
	case CONF_ENUM: snprintf(buf, size, "%s", enum_list(it, list, sizeof(list))); break;
	case CONF_ADDRESS: snprintf(buf, size, "numeric IPv4 or IPv6 address"); break;
	case CONF_LIST: snprintf(buf, size, "list"); break;
	case CONF_SECTION: snprintf(buf, size, "mapping"); break;
	case CONF_MAP: snprintf(buf, size, "mapping of names"); break;
	}
	return buf;
}

/* man(7) text: `code` in bold, backslashes escaped, no line starting with
 * a control character */
static void man_text(FILE *out, const char *s)
{
	static const struct {
		const char *utf8, *troff;
	} glyphs[] = {{"–", "\\(en"}, {"—", "\\(em"}, {"×", "\\(mu"}, {"§", "\\(sc"}};
	bool bold = false;
	for (; *s; s++) {
		size_t g = 0;
		while (g < sizeof(glyphs) / sizeof(glyphs[0]) &&
		       strncmp(s, glyphs[g].utf8, strlen(glyphs[g].utf8)) != 0)
			g++;
		if (g < sizeof(glyphs) / sizeof(glyphs[0])) {
			fputs(glyphs[g].troff, out);
			s += strlen(glyphs[g].utf8) - 1;
		} else if (*s == '`') {
			fputs(bold ? "\\fR" : "\\fB", out);
			bold = !bold;
		} else if (*s == '\\') {
			fputs("\\e", out);
		} else if (*s == '-') {
			fputs("\\-", out);
		} else {
			fputc(*s, out);
		}
	}
	if (bold)
		fputs("\\fR", out);
}

static void reference(FILE *out, const struct conf_section *s, enum conf_ref_format fmt)
{
	for (size_t i = 0; i < s->nitems; i++) {
		const struct conf_item *it = &s->items[i];
		char type[160], key[160];
		snprintf(key, sizeof(key), "%s%s", s->path, it->name);
		const char *ty = type_text(it, type, sizeof(type));
		const char *def = it->def ? it->def : "—";
		const char *when = it->flags & CONF_RESTART ? "restart" : "reload";
		if (fmt == CONF_REF_MARKDOWN) {
			fprintf(out, "| `%s` | %s%s%s | %s | %s | %s |\n", key, ty,
			        it->flags & CONF_REQUIRED ? ", required" : "",
			        it->flags & CONF_SECRET ? ", secret" : "", def, when, it->doc);
		} else {
			fprintf(out, ".TP\n.B %s\n", key);
			man_text(out, ty);
			if (it->flags & CONF_REQUIRED)
				fputs(", required", out);
			if (it->flags & CONF_SECRET)
				fputs(", secret", out);
			if (it->def) {
				fputs("; default ", out);
				man_text(out, it->def);
			}
			fputs(it->flags & CONF_RESTART ? "; needs a restart" : "; reloadable", out);
			fputs(".\n", out);
			man_text(out, it->doc);
			fputc('\n', out);
		}
		if (it->child)
			reference(out, it->child, fmt);
	}
}

void conf_reference(FILE *out, const struct conf_section *s, enum conf_ref_format fmt)
{
	if (fmt == CONF_REF_MARKDOWN)
		fputs("| key | type | default | change | meaning |\n|---|---|---|---|---|\n", out);
	reference(out, s, fmt);
}

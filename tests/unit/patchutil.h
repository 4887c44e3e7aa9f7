/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Independent appliers of the patches altod computes (written from the
 * RFCs, sharing no code with src/alto/patch.c), and random maps files that
 * change from one version to the next, for test_patch.c and
 * test_updates.c.
 */
#ifndef ALTOD_TEST_PATCHUTIL_H
#define ALTOD_TEST_PATCHUTIL_H

#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 7396 §2, the pseudo-code as written:
 *   define MergePatch(Target, Patch):
 *     if Patch is an Object:
 *       if Target is not an Object:
 *         Target = {} # Ignore the contents and set it to an empty Object
 *       for each Name/Value pair in Patch:
 *         if Value is null:
 *           if Name exists in Target:
 *             remove the Name/Value pair from Target
 *         else:
 *           Target[Name] = MergePatch(Target[Name], Value)
 *       return Target
 *     else:
 *       return Patch
 * Takes target over (NULL: absent); returns a new reference. */
static inline json_t *merge_apply(json_t *target, const json_t *patch)
{
	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	const char *name;
	json_t *value;
	json_object_foreach ((json_t *)patch, name, value) {
		if (json_is_null(value)) {
			json_object_del(target, name);
		} else {
			json_t *cur = json_object_get(target, name);
			json_t *merged = merge_apply(cur ? json_incref(cur) : NULL, value);
			json_object_set_new(target, name, merged);
		}
	}
	return target;
}

/* RFC 6901 §4: the reference tokens of a JSON Pointer, "~1" -> "/" first,
 * then "~0" -> "~". n tokens into tok (each malloc'd); -1: not a pointer. */
static inline int pointer_split(const char *p, char ***tok)
{
	int n = 0;
	*tok = NULL;
	if (*p == '\0')
		return 0;
	if (*p != '/')
		return -1;
	while (*p == '/') {
		p++;
		size_t len = strcspn(p, "/");
		char *t = malloc(len + 1), *w = t;
		for (size_t i = 0; i < len; i++) {
			if (p[i] == '~') {
				if (i + 1 == len || (p[i + 1] != '0' && p[i + 1] != '1')) {
					free(t);
					for (int k = 0; k < n; k++)
						free((*tok)[k]);
					free(*tok);
					return -1;
				}
				*w++ = p[i + 1] == '1' ? '/' : '~';
				i++;
			} else {
				*w++ = p[i];
			}
		}
		*w = '\0';
		*tok = realloc(*tok, (size_t)(n + 1) * sizeof(char *));
		(*tok)[n++] = t;
		p += len;
	}
	return n;
}

/* RFC 6902 §4.1-4.3 on objects (what altod's patches address): add,
 * remove, replace; the whole document at path "". 0, or -1: an operation
 * that RFC 6902 §5 says is an error (a missing member for remove or
 * replace, a missing parent, an unknown op). */
static inline int jsonpatch_apply(json_t **doc, const json_t *ops)
{
	size_t i;
	json_t *op;
	if (!json_is_array(ops))
		return -1;
	json_array_foreach ((json_t *)ops, i, op) {
		const char *kind = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		json_t *value = json_object_get(op, "value");
		char **tok;
		if (kind == NULL || path == NULL)
			return -1;
		int n = pointer_split(path, &tok);
		if (n < 0)
			return -1;
		int rc = 0;
		if (n == 0) {
			if (strcmp(kind, "remove") == 0 || value == NULL) {
				rc = -1;
			} else {
				json_decref(*doc);
				*doc = json_deep_copy(value);
			}
		} else {
			json_t *parent = *doc;
			for (int k = 0; k < n - 1 && parent; k++)
				parent = json_object_get(parent, tok[k]);
			const char *last = tok[n - 1];
			if (!json_is_object(parent))
				rc = -1;
			else if (strcmp(kind, "add") == 0 && value)
				rc = json_object_set_new(parent, last, json_deep_copy(value));
			else if (strcmp(kind, "replace") == 0 && value && json_object_get(parent, last))
				rc = json_object_set_new(parent, last, json_deep_copy(value));
			else if (strcmp(kind, "remove") == 0 && json_object_get(parent, last))
				rc = json_object_del(parent, last);
			else
				rc = -1;
		}
		for (int k = 0; k < n; k++)
			free(tok[k]);
		free(tok);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static inline json_t *parse_ok(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
	ck_assert_msg(j != NULL, "not JSON (%s): %.200s", e.text, text);
	return j;
}

/* ---- random maps files ---- */

static inline uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

#define GEN_PIDS 24   /* the pool of PID names */
#define GEN_MOVING 12 /* prefixes that move between PIDs */
#define GEN_STABLE 4  /* PIDs 0-3 are always there (views name them) */

/* One version of a network map "m" and its costs. PIDs 0 to GEN_STABLE-1
 * are always there, PID 0 with a cost to itself, so both metrics always
 * have a cost map. */
struct gen {
	bool present[GEN_PIDS];
	uint8_t own[GEN_PIDS];              /* bits: which of the PID's own prefixes it has */
	int moving[GEN_MOVING];             /* the PID holding each moving prefix, -1: none */
	double cost[2][GEN_PIDS][GEN_PIDS]; /* < 0: no cost */
};

/* PID names with every character RFC 7285 §10.1 allows */
static inline const char *gen_name(int i)
{
	static const char *const names[GEN_PIDS] = {
	        "p0",  "P1",  "pid:2", "pid@3", "pid-4", "pid_5", "a:b@c-6", "Z7",   "mid8", "mid9", "m10", "m11",
	        "x12", "x13", "x14",   "x15",   "y16",   "y17",   "z18",     "zz19", "_20",  "-21",  ":22", "@23"};
	return names[i];
}

static inline double gen_value(uint64_t *s)
{
	static const double vals[] = {1, 2, 2.5, 3, 5, 10, 0.25, 12.75, 100, 7};
	return vals[rnd(s) % 10];
}

static inline void gen_init(struct gen *g, uint64_t *s)
{
	memset(g, 0, sizeof(*g));
	for (int i = 0; i < GEN_PIDS; i++) {
		g->present[i] = i < GEN_STABLE || rnd(s) % 3 != 0;
		g->own[i] = (uint8_t)(rnd(s) % 32);
	}
	for (int k = 0; k < GEN_MOVING; k++)
		g->moving[k] = (int)(rnd(s) % (GEN_PIDS + 4)) - 4 < 0 ? -1 : (int)(rnd(s) % GEN_PIDS);
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < GEN_PIDS; i++)
			for (int j = 0; j < GEN_PIDS; j++)
				g->cost[m][i][j] = rnd(s) % 3 == 0 ? -1 : gen_value(s);
	g->cost[0][0][0] = g->cost[1][0][0] = 1;
}

/* Random changes: about `pct` percent of everything changes */
static inline void gen_mutate(struct gen *g, uint64_t *s, unsigned pct)
{
	for (int i = 1; i < GEN_PIDS; i++) {
		if (i >= GEN_STABLE && rnd(s) % 100 < pct)
			g->present[i] = !g->present[i];
		if (rnd(s) % 100 < pct)
			g->own[i] ^= (uint8_t)(1u << (rnd(s) % 5));
	}
	for (int k = 0; k < GEN_MOVING; k++)
		if (rnd(s) % 100 < pct)
			g->moving[k] = rnd(s) % 5 == 0 ? -1 : (int)(rnd(s) % GEN_PIDS);
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < GEN_PIDS; i++)
			for (int j = 0; j < GEN_PIDS; j++)
				if ((i || j) && rnd(s) % 100 < pct)
					g->cost[m][i][j] = rnd(s) % 4 == 0 ? -1 : gen_value(s);
}

/* The maps file (malloc'd). Own prefixes of PID i: 10.i.b.0/24 (bits 0-2)
 * and 2001:db8:i:b::/64 (bits 3-4); moving prefix k: 172.16.k.0/24. */
static inline char *gen_yaml(const struct gen *g)
{
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
#define GEN_PUT(...) len += (size_t)snprintf(out + len, cap - len, __VA_ARGS__)
	GEN_PUT("network-maps:\n  m:\n    pids:\n");
	for (int i = 0; i < GEN_PIDS; i++) {
		if (!g->present[i])
			continue;
		GEN_PUT("      \"%s\": {ipv4: [", gen_name(i));
		bool first = true;
		for (int b = 0; b < 3; b++)
			if (g->own[i] & (1u << b)) {
				GEN_PUT("%s10.%d.%d.0/24", first ? "" : ", ", i, b);
				first = false;
			}
		for (int k = 0; k < GEN_MOVING; k++)
			if (g->moving[k] == i) {
				GEN_PUT("%s172.16.%d.0/24", first ? "" : ", ", k);
				first = false;
			}
		GEN_PUT("], ipv6: [");
		first = true;
		for (int b = 3; b < 5; b++)
			if (g->own[i] & (1u << b)) {
				GEN_PUT("%s'2001:db8:%d:%d::/64'", first ? "" : ", ", i, b);
				first = false;
			}
		GEN_PUT("]}\n");
	}
	GEN_PUT("cost-maps:\n  m:\n");
	static const char *const metrics[2] = {"routingcost", "delay-rt"}; /* fractional values */
	for (int m = 0; m < 2; m++) {
		GEN_PUT("    %s:\n", metrics[m]);
		for (int i = 0; i < GEN_PIDS; i++) {
			bool any = false;
			for (int j = 0; j < GEN_PIDS; j++) {
				if (!g->present[i] || !g->present[j] || g->cost[m][i][j] < 0)
					continue;
				if (!any)
					GEN_PUT("      \"%s\": {", gen_name(i));
				GEN_PUT("%s\"%s\": %g", any ? ", " : "", gen_name(j), g->cost[m][i][j]);
				any = true;
			}
			if (any)
				GEN_PUT("}\n");
		}
	}
#undef GEN_PUT
	return out;
}

#endif

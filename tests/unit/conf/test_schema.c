/* SPDX-License-Identifier: BSD-2-Clause */
/* The schema walker, and that the tables' restart flags are what a reload
 * compares. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf/conf.h"
#include "conf/schema.h"
#include "testutil.h"

struct sample {
	unsigned n;
	size_t big;
	bool b;
	int e;
	char *a;
	char *s;
};

static const char *const colours[] = {"red", "green", "blue", NULL};
static const struct conf_item sample_items[] = {
        {.name = "n",
         .type = CONF_UINT,
         .flags = CONF_RESTART,
         .min = 2,
         .max = 9,
         .unit = "widgets",
         .def = "3",
         .offset = offsetof(struct sample, n),
         .size = sizeof(unsigned),
         .doc = "a number"},
        {.name = "big",
         .type = CONF_UINT,
         .max = 1ull << 40,
         .def = "1099511627776",
         .offset = offsetof(struct sample, big),
         .size = sizeof(size_t),
         .doc = "a large number"},
        {.name = "b", .type = CONF_BOOL, .def = "true", .offset = offsetof(struct sample, b), .doc = "a flag"},
        {.name = "e",
         .type = CONF_ENUM,
         .values = colours,
         .def = "green",
         .offset = offsetof(struct sample, e),
         .doc = "a colour"},
        {.name = "a",
         .type = CONF_ADDRESS,
         .flags = CONF_RESTART,
         .offset = offsetof(struct sample, a),
         .doc = "an address"},
        {.name = "s", .type = CONF_STRING, .offset = offsetof(struct sample, s), .doc = "a string"},
};
static const struct conf_section sample_schema = {
        .name = "sample", .path = "sample.", .items = CONF_ITEMS(sample_items)};

/* parses text against the sample table; returns the number of errors */
static size_t parse(const char *text, struct sample *out, struct diag *d, struct conf_seen *seen)
{
	struct yp y;
	memset(out, 0, sizeof(*out));
	conf_section_defaults(&sample_schema, out);
	diag_init(d);
	ck_assert_int_eq(yp_open_mem(&y, "t.yaml", text, strlen(text), d), 0);
	conf_section_parse(&y, &sample_schema, NULL, out, NULL, seen);
	yp_close(&y);
	return d->n;
}

static void sample_free(struct sample *s)
{
	free(s->a);
	free(s->s);
}

START_TEST(defaults_from_the_table)
{
	struct sample s;
	struct diag d;
	ck_assert_uint_eq(parse("{}\n", &s, &d, NULL), 0);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_uint_eq(s.big, 1ull << 40);
	ck_assert(s.b);
	ck_assert_int_eq(s.e, 1);
	ck_assert_ptr_null(s.a);
	diag_free(&d);
}
END_TEST

START_TEST(values)
{
	struct sample s;
	struct diag d;
	struct conf_seen seen = {0};
	ck_assert_uint_eq(parse("{n: 9, big: 5, b: no, e: blue, a: '::1', s: hi}\n", &s, &d, &seen), 0);
	ck_assert_uint_eq(s.n, 9);
	ck_assert_uint_eq(s.big, 5);
	ck_assert(!s.b);
	ck_assert_int_eq(s.e, 2);
	ck_assert_str_eq(s.a, "::1");
	ck_assert_str_eq(s.s, "hi");
	ck_assert_uint_eq(conf_seen_at(&sample_schema, &seen, "a").col, 32);
	ck_assert_uint_eq(conf_seen_at(&sample_schema, &seen, "s").line, 1);
	ck_assert_uint_eq(conf_seen_at(&sample_schema, &seen, "nothing").line, 0);
	sample_free(&s);
	diag_free(&d);
}
END_TEST

/* every message names the key, says the table's range, and is at its place */
static const struct {
	const char *text, *message;
} bad[] = {
        {"{n: 1}\n", "t.yaml:1:5: n must be 2 to 9 widgets"},
        {"{n: 10}\n", "t.yaml:1:5: n must be a whole number from 0 to 9, not '10'"},
        {"{n: -2}\n", "t.yaml:1:5: n must be a whole number from 0 to 9, not '-2'"},
        {"{big: 1099511627777}\n",
         "t.yaml:1:7: big must be a whole number from 0 to 1099511627776, not '1099511627777'"},
        {"{b: maybe}\n", "t.yaml:1:5: b must be true or false, not 'maybe'"},
        {"{e: Red}\n", "t.yaml:1:5: e must be red, green or blue, not 'Red'"},
        {"{a: localhost}\n", "t.yaml:1:5: a 'localhost' is not a numeric IPv4 or IPv6 address"},
        {"{s: [x]}\n", "t.yaml:1:5: s must be a scalar, not a sequence"},
        {"{colour: red}\n", "t.yaml:1:2: unknown key 'colour' in sample (n, big, b, e, a, s)"},
        {"[n]\n", "t.yaml:1:1: sample (n, big, b, e, a, s) must be a mapping, not a sequence"},
};

START_TEST(errors)
{
	struct sample s;
	struct diag d;
	ck_assert_uint_eq(parse(bad[_i].text, &s, &d, NULL), 1);
	ck_assert_str_eq(d.msgs[0], bad[_i].message);
	/* a refused value leaves the default */
	ck_assert_uint_eq(s.n, 3);
	ck_assert_int_eq(s.e, 1);
	sample_free(&s);
	diag_free(&d);
}
END_TEST

START_TEST(restart_equal_follows_the_flags)
{
	struct sample a, b;
	struct diag d;
	ck_assert_uint_eq(parse("{n: 4, a: 127.0.0.1, s: x, e: red}\n", &a, &d, NULL), 0);
	diag_free(&d);
	/* s and e are reloadable */
	ck_assert_uint_eq(parse("{n: 4, a: 127.0.0.1, s: y, e: blue}\n", &b, &d, NULL), 0);
	ck_assert(conf_section_restart_equal(&sample_schema, &a, &b));
	sample_free(&b);
	diag_free(&d);
	/* n and a are not */
	ck_assert_uint_eq(parse("{n: 5, a: 127.0.0.1}\n", &b, &d, NULL), 0);
	ck_assert(!conf_section_restart_equal(&sample_schema, &a, &b));
	sample_free(&b);
	diag_free(&d);
	ck_assert_uint_eq(parse("{n: 4}\n", &b, &d, NULL), 0);
	ck_assert(!conf_section_restart_equal(&sample_schema, &a, &b));
	sample_free(&b);
	diag_free(&d);
	sample_free(&a);
}
END_TEST

static struct conf *load(const char *limits)
{
	char text[512];
	struct diag d;
	struct conf *c;
	snprintf(text, sizeof(text), "server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nlimits: {%s}\n",
	         limits);
	diag_init(&d);
	ck_assert_int_eq(conf_load_mem("/etc/altod/altod.yaml", text, &c, &d), 0);
	diag_free(&d);
	return c;
}

/* each limit changed on its own: a reload keeps the listeners exactly when
 * the table says the limit is reloadable */
START_TEST(limits_restart_flags_drive_conf_listeners_equal)
{
	const struct conf_item *it = &conf_schema_limits.items[_i];
	char text[128];
	unsigned long long def = strtoull(it->def, NULL, 10);
	snprintf(text, sizeof(text), "%s: %llu", it->name, def == it->max ? it->min : def + 1);
	struct conf *base = load(""), *changed = load(text);
	ck_assert_int_eq(conf_listeners_equal(base, changed), !(it->flags & CONF_RESTART));
	ck_assert(conf_listeners_equal(base, base));
	conf_free(base);
	conf_free(changed);
}
END_TEST

START_TEST(restart_keys)
{
	char keys[1024];
	conf_restart_keys(&conf_schema, keys, sizeof(keys));
	ck_assert_str_eq(keys, "server.listen (count, order), server.listen[].address, server.listen[].port, "
	                       "server.listen[].tls (on/off), server.listen[].tls.priorities, "
	                       "server.listen[].clear-digest, server.listen[].base-url, server.listen[].relative-uris, "
	                       "server.listen[].proxy-protocol, server.listen[].trusted-proxies, server.threads, "
	                       "limits.max-header-size, "
	                       "limits.connection-timeout, limits.max-connections, "
	                       "limits.max-connections-per-address, access.digest-listen, admin (on/off), "
	                       "admin.address, admin.port, admin.tls, admin.users (count, order), admin.users[].user, "
	                       "admin.users[].sha256");
}
END_TEST

START_TEST(reference)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	conf_reference(f, &sample_schema, CONF_REF_MARKDOWN);
	conf_reference(f, &sample_schema, CONF_REF_MAN);
	fclose(f);
	ck_assert_contains(text, "| `sample.n` | widgets, 2–9 | 3 | restart | a number |\n");
	ck_assert_contains(text, "| `sample.e` | red, green or blue | green | reload | a colour |\n");
	ck_assert_contains(text, ".TP\n.B sample.n\nwidgets, 2\\(en9; default 3; needs a restart.\na number\n");
	free(text);
}
END_TEST

/* every table, walked from the top: what the walker and the reference
 * rely on */
static size_t lint(const struct conf_section *s)
{
	size_t n = 0;
	ck_assert_uint_le(s->nitems, sizeof(((struct conf_seen *)0)->at) / sizeof(struct yp_mark));
	ck_assert_ptr_nonnull(s->path);
	for (size_t i = 0; i < s->nitems; i++) {
		const struct conf_item *it = &s->items[i];
		ck_assert_msg(it->name && it->name[0], "%s: an item without a name", s->path);
		ck_assert_msg(it->doc && it->doc[0] && !strchr(it->doc, '|') && !strchr(it->doc, '\n'),
		              "%s%s: one line of doc, no '|'", s->path, it->name);
		for (size_t k = 0; k < i; k++)
			ck_assert_msg(strcmp(s->items[k].name, it->name) != 0, "%s%s twice", s->path, it->name);
		if (it->type == CONF_UINT) {
			ck_assert_msg(it->size == 2 || it->size == sizeof(unsigned) || it->size == sizeof(size_t),
			              "%s%s: size", s->path, it->name);
			ck_assert_uint_le(it->min, it->max);
			if (it->def) {
				unsigned long long d = strtoull(it->def, NULL, 10);
				ck_assert_msg(d >= it->min && d <= it->max, "%s%s: default out of range", s->path,
				              it->name);
			}
		}
		/* a generic conversion needs no callback; these types do */
		if (it->type == CONF_RATE || it->type == CONF_BURST || it->type == CONF_LIST || it->type == CONF_MAP)
			ck_assert_msg(it->parse != NULL, "%s%s needs a callback", s->path, it->name);
		/* a path is resolved by its check (or a callback) */
		if (it->type == CONF_PATH)
			ck_assert_msg(it->parse != NULL || it->check != NULL, "%s%s needs a callback", s->path,
			              it->name);
		n++;
		if (it->child)
			n += lint(it->child);
	}
	return n;
}

START_TEST(tables_are_sound)
{
	/* 6 top-level, 2 server, 9 listener, 6 tls, 13 limits, 2 + 4 (TIPS)
	 * + 3 (SSE) updates, 15 access, 2 + 2 + 2 auth-failures, 6 client,
	 * 4 + 3 credentials, 6 view, 4 admin, 2 admin user */
	ck_assert_uint_eq(lint(&conf_schema), 91);
}
END_TEST

/* A string item's check: true keeps the value (as it rewrote it), false
 * drops it, and a check may take the value for itself. */
struct checked {
	char *keep, *drop, *taken;
};

static bool check_upper(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj, void *ctx)
{
	struct checked *c = obj;
	(void)ctx;
	if (strcmp(it->name, "taken") == 0) {
		free(c->taken);
		c->taken = *v;
		*v = NULL;
		return false;
	}
	if (strcmp(it->name, "drop") == 0) {
		yp_error(y, m, "%s '%s' refused", it->name, *v);
		return false;
	}
	for (char *p = *v; *p; p++)
		*p = (char)(*p - ('a' <= *p && *p <= 'z' ? 'a' - 'A' : 0));
	return true;
}

static const struct conf_item checked_items[] = {
        {.name = "keep",
         .type = CONF_STRING,
         .offset = offsetof(struct checked, keep),
         .check = check_upper,
         .doc = "k"},
        {.name = "drop", .type = CONF_PATH, .offset = offsetof(struct checked, drop), .check = check_upper, .doc = "d"},
        {.name = "taken", .type = CONF_STRING, .check = check_upper, .doc = "t"},
};
static const struct conf_section checked_schema = {
        .name = "checked", .path = "checked.", .items = CONF_ITEMS(checked_items)};

START_TEST(string_checks)
{
	struct checked c = {0};
	struct diag d;
	struct yp y;
	const char *text = "{keep: abc, drop: x, taken: mine, keep: def}\n";
	diag_init(&d);
	ck_assert_int_eq(yp_open_mem(&y, "t.yaml", text, strlen(text), &d), 0);
	ck_assert(conf_section_parse(&y, &checked_schema, NULL, &c, NULL, NULL));
	yp_close(&y);
	ck_assert_str_eq(c.keep, "DEF"); /* the second value replaced the first */
	ck_assert_ptr_null(c.drop);
	ck_assert_str_eq(c.taken, "mine");
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.msgs[0], "t.yaml:1:19: drop 'x' refused");
	free(c.keep);
	free(c.taken);
	diag_free(&d);
}
END_TEST

struct entry {
	char *name;
	size_t line, col;
	int tag;
};

static void fill_entry(struct yp *y, void *elem, char *name, struct yp_mark m, void *arg)
{
	struct entry *e = elem;
	ck_assert_int_eq(e->tag, 0); /* handed over zeroed */
	e->name = name;
	e->line = m.line;
	e->col = m.col;
	e->tag = *(int *)arg;
	yp_skip(y);
}

/* one zeroed element per key, in order, at the key's place */
START_TEST(map_entries)
{
	struct entry *v = NULL;
	size_t n = 0;
	int tag = 7;
	struct diag d;
	struct yp y;
	const char *text = "{a: 1, b: [2], c: {d: 3}}\n";
	diag_init(&d);
	ck_assert_int_eq(yp_open_mem(&y, "t.yaml", text, strlen(text), &d), 0);
	ck_assert(CONF_MAP_ENTRIES(&y, "entries", v, n, fill_entry, &tag));
	yp_close(&y);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0].name, "a");
	ck_assert_str_eq(v[2].name, "c");
	ck_assert_uint_eq(v[1].col, 8);
	ck_assert_int_eq(v[2].tag, 7);
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	diag_free(&d);

	text = "[a]\n";
	diag_init(&d);
	ck_assert_int_eq(yp_open_mem(&y, "t.yaml", text, strlen(text), &d), 0);
	ck_assert(!CONF_MAP_ENTRIES(&y, "entries", v, n, fill_entry, &tag));
	yp_close(&y);
	ck_assert_str_eq(d.msgs[0], "t.yaml:1:1: entries must be a mapping, not a sequence");
	diag_free(&d);
}
END_TEST

START_TEST(hex_decode)
{
	uint8_t out[2];
	ck_assert(conf_hex_decode("a0Ff", out, 2, false));
	ck_assert_uint_eq(out[0], 0xa0);
	ck_assert_uint_eq(out[1], 0xff);
	ck_assert(conf_hex_decode("01:2f", out, 2, true));
	ck_assert_uint_eq(out[1], 0x2f);
	ck_assert(!conf_hex_decode("01:2f", out, 2, false));
	ck_assert(!conf_hex_decode("012", out, 2, false));   /* too short */
	ck_assert(!conf_hex_decode("01234", out, 2, false)); /* too long */
	ck_assert(!conf_hex_decode("01g3", out, 2, false));  /* not hex */
	ck_assert(!conf_hex_decode("", out, 2, true));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, defaults_from_the_table);
	tcase_add_test(tc, values);
	tcase_add_loop_test(tc, errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, restart_equal_follows_the_flags);
	tcase_add_loop_test(tc, limits_restart_flags_drive_conf_listeners_equal, 0, (int)conf_schema_limits.nitems);
	tcase_add_test(tc, restart_keys);
	tcase_add_test(tc, reference);
	tcase_add_test(tc, tables_are_sound);
	tcase_add_test(tc, string_checks);
	tcase_add_test(tc, map_entries);
	tcase_add_test(tc, hex_decode);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

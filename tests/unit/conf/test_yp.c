/* SPDX-License-Identifier: BSD-2-Clause */
/* The YAML pull parser: node readers and their positions, mismatches
 * reported and skipped in step, syntax errors with line:col, aliases and
 * NUL characters refused, deep nesting, and the scalar conversions. */
#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/yp.h"
#include "testutil.h"

static struct diag D;
static struct yp Y;

static void open_ok(const char *text)
{
	diag_init(&D);
	ck_assert_int_eq(yp_open_mem(&Y, "t.yaml", text, strlen(text), &D), 0);
}

static void close_and_free(void)
{
	yp_close(&Y);
	diag_free(&D);
}

static void expect_msgs(size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n && i < D.n; i++)
		ck_assert_str_eq(D.msgs[i], va_arg(ap, const char *));
	va_end(ap);
	ck_assert_msg(D.n == n, "%zu messages, want %zu; first: %s", D.n, n, D.n ? D.msgs[0] : "-");
}

START_TEST(mapping_scalars_positions)
{
	open_ok("a: 1\n"
	        "long-key:   'two words'\n"
	        "c:\n"
	        "  - x\n"
	        "  - \"y\"\n");
	char *k, *v;
	struct yp_mark m, vm;
	ck_assert(yp_mapping_begin(&Y, "root"));
	ck_assert(yp_mapping_key(&Y, &k, &m));
	ck_assert_str_eq(k, "a");
	ck_assert_uint_eq(m.line, 1);
	ck_assert_uint_eq(m.col, 1);
	ck_assert(yp_scalar(&Y, "a", &v, &vm));
	ck_assert_str_eq(v, "1");
	ck_assert_uint_eq(vm.line, 1);
	ck_assert_uint_eq(vm.col, 4);
	free(k);
	free(v);
	ck_assert(yp_mapping_key(&Y, &k, &m));
	ck_assert_str_eq(k, "long-key");
	ck_assert(yp_scalar(&Y, k, &v, &vm));
	ck_assert_str_eq(v, "two words");
	ck_assert_uint_eq(vm.line, 2);
	ck_assert_uint_eq(vm.col, 13);
	free(k);
	free(v);
	ck_assert(yp_mapping_key(&Y, &k, &m));
	ck_assert_str_eq(k, "c");
	ck_assert_uint_eq(m.line, 3);
	free(k);
	ck_assert(yp_sequence_begin(&Y, "c"));
	const char *want[] = {"x", "y"};
	for (int i = 0; i < 2; i++) {
		ck_assert(yp_sequence_more(&Y));
		ck_assert(yp_scalar(&Y, "item", &v, &vm));
		ck_assert_str_eq(v, want[i]);
		ck_assert_uint_eq(vm.line, 4 + (size_t)i);
		ck_assert_uint_eq(vm.col, 5);
		free(v);
	}
	ck_assert(!yp_sequence_more(&Y));
	ck_assert(!yp_mapping_key(&Y, &k, &m));
	ck_assert_ptr_null(k);
	yp_close(&Y);
	expect_msgs(0);
	ck_assert_uint_eq(Y.errors, 0);
	diag_free(&D);
}
END_TEST

/* A node of the wrong kind is reported where it starts and skipped whole,
 * so the reader stays in step with the next key. */
START_TEST(mismatch_reported_and_skipped)
{
	open_ok("a: [1, {x: [2]}, 3]\n"
	        "b: {k: v}\n"
	        "c: plain\n"
	        "d: last\n");
	char *k, *v;
	struct yp_mark m;
	ck_assert(yp_mapping_begin(&Y, "root"));
	ck_assert(yp_mapping_key(&Y, &k, &m));
	free(k);
	ck_assert(!yp_scalar(&Y, "the value of a", &v, NULL));
	ck_assert_ptr_null(v);
	ck_assert(yp_mapping_key(&Y, &k, &m));
	ck_assert_str_eq(k, "b");
	free(k);
	ck_assert(!yp_sequence_begin(&Y, "b"));
	ck_assert(yp_mapping_key(&Y, &k, &m));
	ck_assert_str_eq(k, "c");
	free(k);
	ck_assert(!yp_mapping_begin(&Y, "c"));
	ck_assert(yp_mapping_key(&Y, &k, &m));
	ck_assert_str_eq(k, "d");
	free(k);
	ck_assert(yp_scalar(&Y, "d", &v, NULL));
	ck_assert_str_eq(v, "last");
	free(v);
	ck_assert(!yp_mapping_key(&Y, &k, &m));
	yp_close(&Y);
	expect_msgs(3, "t.yaml:1:4: the value of a must be a scalar, not a sequence",
	            "t.yaml:2:4: b must be a sequence, not a mapping", "t.yaml:3:4: c must be a mapping, not a scalar");
	ck_assert_uint_eq(Y.errors, 3);
	diag_free(&D);
}
END_TEST

/* Keys that are not scalars are reported, and skipped with their values. */
START_TEST(complex_key)
{
	open_ok("? [1, 2]\n"
	        ": value\n"
	        "ok: 1\n");
	char *k;
	struct yp_mark m;
	ck_assert(yp_mapping_begin(&Y, "root"));
	ck_assert(yp_mapping_key(&Y, &k, &m));
	ck_assert_str_eq(k, "ok");
	ck_assert_uint_eq(m.line, 3);
	free(k);
	yp_skip(&Y);
	ck_assert(!yp_mapping_key(&Y, &k, &m));
	yp_close(&Y);
	expect_msgs(1, "t.yaml:1:3: a key must be a scalar, not a sequence");
	diag_free(&D);
}
END_TEST

START_TEST(syntax_error_line_col)
{
	open_ok("a: 1\n"
	        "b: [1, 2\n"
	        "c: 3\n");
	char *k, *v;
	struct yp_mark m;
	ck_assert(yp_mapping_begin(&Y, "root"));
	ck_assert(yp_mapping_key(&Y, &k, &m));
	free(k);
	ck_assert(yp_scalar(&Y, "a", &v, NULL));
	free(v);
	ck_assert(yp_mapping_key(&Y, &k, &m));
	free(k);
	ck_assert(yp_sequence_begin(&Y, "b"));
	while (yp_sequence_more(&Y)) {
		if (yp_scalar(&Y, "item", &v, NULL))
			free(v);
	}
	ck_assert(Y.failed);
	ck_assert_uint_eq(D.n, 1);
	ck_assert_msg(strncmp(D.msgs[0], "t.yaml:3:2: YAML syntax error: ", 31) == 0, "%s", D.msgs[0]);
	/* failed: every reader says "nothing more", and nothing else is reported */
	ck_assert(!yp_mapping_key(&Y, &k, &m));
	ck_assert(!yp_scalar(&Y, "x", &v, NULL));
	ck_assert(!yp_mapping_begin(&Y, "x"));
	ck_assert(!yp_sequence_begin(&Y, "x"));
	ck_assert(!yp_sequence_more(&Y));
	yp_skip(&Y);
	yp_close(&Y);
	ck_assert_uint_eq(D.n, 1);
	diag_free(&D);
}
END_TEST

/* A syntax error in the first event: yp_open_mem itself fails. */
START_TEST(open_errors)
{
	struct yp y;
	diag_init(&D);
	ck_assert_int_ne(yp_open_mem(&y, "empty.yaml", "", 0, &D), 0);
	yp_close(&y);
	ck_assert_uint_eq(D.n, 1);
	ck_assert_str_eq(D.msgs[0], "empty.yaml:1:1: no YAML document (is the file empty?)");
	diag_free(&D);

	diag_init(&D);
	ck_assert_int_ne(yp_open_mem(&y, "c.yaml", "# only a comment\n", 17, &D), 0);
	yp_close(&y);
	ck_assert_uint_eq(D.n, 1);
	ck_assert_str_eq(D.msgs[0], "c.yaml:2:1: no YAML document (is the file empty?)");
	diag_free(&D);

	diag_init(&D);
	ck_assert_int_ne(yp_open_mem(&y, "bad.yaml", "\t- x", 4, &D), 0);
	yp_close(&y);
	ck_assert_uint_eq(D.n, 1);
	ck_assert_msg(strncmp(D.msgs[0], "bad.yaml:1:1: YAML syntax error: ", 33) == 0, "%s", D.msgs[0]);
	diag_free(&D);
}
END_TEST

START_TEST(open_files)
{
	char dir[] = "/tmp/altod-yp-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	struct yp y;

	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	diag_init(&D);
	ck_assert_int_ne(yp_open(&y, path, &D), 0);
	yp_close(&y);
	char want[512];
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	expect_msgs(1, want);
	diag_free(&D);

	/* a directory, and a FIFO (which must not block the reader) */
	diag_init(&D);
	ck_assert_int_ne(yp_open(&y, dir, &D), 0);
	yp_close(&y);
	snprintf(want, sizeof(want), "%s: cannot open: not a regular file", dir);
	expect_msgs(1, want);
	diag_free(&D);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	diag_init(&D);
	ck_assert_int_ne(yp_open(&y, path, &D), 0);
	yp_close(&y);
	snprintf(want, sizeof(want), "%s: cannot open: not a regular file", path);
	expect_msgs(1, want);
	diag_free(&D);
	unlink(path);

	snprintf(path, sizeof(path), "%s/ok.yaml", dir);
	FILE *f = fopen(path, "w");
	fputs("k: v\n", f);
	fclose(f);
	diag_init(&D);
	ck_assert_int_eq(yp_open(&y, path, &D), 0);
	char *k, *v;
	ck_assert(yp_mapping_begin(&y, "root"));
	ck_assert(yp_mapping_key(&y, &k, NULL));
	ck_assert(yp_scalar(&y, k, &v, NULL));
	ck_assert_str_eq(v, "v");
	free(k);
	free(v);
	ck_assert(!yp_mapping_key(&y, &k, NULL));
	yp_close(&y);
	expect_msgs(0);
	diag_free(&D);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(aliases_refused)
{
	open_ok("a: &x {k: 1}\n"
	        "b: *x\n"
	        "c: *x\n");
	char *k, *v;
	ck_assert(yp_mapping_begin(&Y, "root"));
	ck_assert(yp_mapping_key(&Y, &k, NULL));
	free(k);
	yp_skip(&Y); /* the anchored node itself is fine */
	ck_assert(yp_mapping_key(&Y, &k, NULL));
	ck_assert(!yp_mapping_begin(&Y, k));
	free(k);
	ck_assert(yp_mapping_key(&Y, &k, NULL));
	ck_assert(!yp_scalar(&Y, k, &v, NULL));
	free(k);
	ck_assert(!yp_mapping_key(&Y, &k, NULL));
	yp_close(&Y);
	expect_msgs(2, "t.yaml:2:4: b: YAML aliases are not supported",
	            "t.yaml:3:4: c: YAML aliases are not supported");
	diag_free(&D);
}
END_TEST

/* A NUL (written "\0" in a double-quoted scalar) is never a valid name,
 * address or number: the scalar is refused; a key with one is refused and
 * its value skipped, and the mapping goes on. */
START_TEST(nul_characters)
{
	open_ok("\"a\\0b\": {deep: [1]}\n"
	        "v: \"x\\0\"\n"
	        "after: 1\n");
	char *k, *v;
	struct yp_mark m;
	ck_assert(yp_mapping_begin(&Y, "root"));
	ck_assert(yp_mapping_key(&Y, &k, &m));
	ck_assert_str_eq(k, "v");
	ck_assert_uint_eq(m.line, 2);
	ck_assert(!yp_scalar(&Y, "v", &v, NULL));
	ck_assert_ptr_null(v);
	free(k);
	ck_assert(yp_mapping_key(&Y, &k, &m));
	ck_assert_str_eq(k, "after");
	free(k);
	yp_skip(&Y);
	ck_assert(!yp_mapping_key(&Y, &k, &m));
	yp_close(&Y);
	expect_msgs(2, "t.yaml:1:1: a key contains a NUL character", "t.yaml:2:4: v contains a NUL character");
	diag_free(&D);
}
END_TEST

/* Nesting 5000 deep (libyaml's flow parsing is quadratic in depth: kept small) is skipped (and reported) without recursion. */
START_TEST(deep_nesting)
{
	enum { DEPTH = 5000 };
	/* {k: [{k: [ ... ]}]} alternating mappings and sequences */
	char *text = malloc(6 * DEPTH + 64);
	size_t n = (size_t)sprintf(text, "a: ");
	for (int i = 0; i < DEPTH; i++)
		n += (size_t)sprintf(text + n, "%s", i % 2 ? "[" : "{k: ");
	for (int i = DEPTH - 1; i >= 0; i--)
		text[n++] = i % 2 ? ']' : '}';
	n += (size_t)sprintf(text + n, "\nb: ok\n");
	open_ok(text);
	char *k, *v;
	ck_assert(yp_mapping_begin(&Y, "root"));
	ck_assert(yp_mapping_key(&Y, &k, NULL));
	free(k);
	ck_assert(!yp_scalar(&Y, "a", &v, NULL));
	ck_assert(yp_mapping_key(&Y, &k, NULL));
	ck_assert_str_eq(k, "b");
	free(k);
	ck_assert(yp_scalar(&Y, "b", &v, NULL));
	ck_assert_str_eq(v, "ok");
	free(v);
	ck_assert(!yp_mapping_key(&Y, &k, NULL));
	yp_close(&Y);
	expect_msgs(1, "t.yaml:1:4: a must be a scalar, not a mapping");
	diag_free(&D);
	free(text);
}
END_TEST

START_TEST(close_checks_the_end)
{
	/* a second document */
	open_ok("a: 1\n---\nb: 2\n");
	yp_skip(&Y);
	yp_close(&Y);
	expect_msgs(1, "t.yaml:2:1: more than one YAML document in the file");
	diag_free(&D);
	/* the root never read */
	open_ok("[1, 2]\n");
	yp_close(&Y);
	expect_msgs(1, "t.yaml:1:1: unexpected a sequence after the document");
	diag_free(&D);
	/* an explicit end marker is fine */
	open_ok("a: 1\n...\n");
	yp_skip(&Y);
	yp_close(&Y);
	expect_msgs(0);
	diag_free(&D);
}
END_TEST

START_TEST(scalar_bool)
{
	static const char *yes[] = {"true", "yes", "on"}, *no[] = {"false", "no", "off"};
	char text[64];
	for (int i = 0; i < 3; i++) {
		bool b = false;
		snprintf(text, sizeof(text), "%s", yes[i]);
		open_ok(text);
		ck_assert(yp_scalar_bool(&Y, "flag", &b));
		ck_assert(b);
		close_and_free();
		snprintf(text, sizeof(text), "%s", no[i]);
		open_ok(text);
		b = true;
		ck_assert(yp_scalar_bool(&Y, "flag", &b));
		ck_assert(!b);
		close_and_free();
	}
	static const char *bad[] = {"True", "1", "y", "'' ", "nope"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool b = true;
		open_ok(bad[i]);
		ck_assert(!yp_scalar_bool(&Y, "flag", &b));
		ck_assert(b); /* untouched */
		ck_assert_uint_eq(D.n, 1);
		ck_assert_contains(D.msgs[0], "t.yaml:1:1: flag must be true or false, not '");
		close_and_free();
	}
	open_ok("[true]");
	bool b;
	ck_assert(!yp_scalar_bool(&Y, "flag", &b));
	expect_msgs(1, "t.yaml:1:1: flag must be a scalar, not a sequence");
	close_and_free();
}
END_TEST

START_TEST(scalar_uint)
{
	static const struct {
		const char *text;
		unsigned long long max, want;
		bool ok;
	} cases[] = {
	        {"0", 10, 0, true},
	        {"10", 10, 10, true},
	        {"007", 10, 7, true},
	        {"11", 10, 0, false},
	        {"-1", 10, 0, false},
	        {"+1", 10, 0, false},
	        {"' 1'", 10, 0, false},
	        {"1x", 10, 0, false},
	        {"1.0", 10, 0, false},
	        {"0x1", 10, 0, false},
	        {"''", 10, 0, false},
	        {"18446744073709551615", ~0ull, ~0ull, true},
	        {"18446744073709551616", ~0ull, 0, false},
	        {"99999999999999999999999", ~0ull, 0, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long long out = 12345;
		open_ok(cases[i].text);
		ck_assert_msg(yp_scalar_uint(&Y, "n", cases[i].max, &out) == cases[i].ok, "%s", cases[i].text);
		if (cases[i].ok) {
			ck_assert_uint_eq(out, cases[i].want);
			ck_assert_uint_eq(D.n, 0);
		} else {
			ck_assert_uint_eq(out, 12345);
			ck_assert_uint_eq(D.n, 1);
			char want[128];
			snprintf(want, sizeof(want), "t.yaml:1:1: n must be a whole number from 0 to %llu, not '",
			         cases[i].max);
			ck_assert_contains(D.msgs[0], want);
		}
		close_and_free();
	}
}
END_TEST

/* Costs: a JSON number without a minus sign, finite. */
START_TEST(parse_cost)
{
	static const struct {
		const char *s;
		double v;
	} ok[] = {{"0", 0}, {"1", 1}, {"1.5", 1.5}, {"0.25", 0.25}, {"1e3", 1000}, {"2E-2", 0.02}, {"1e308", 1e308}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		double v = -1;
		ck_assert_msg(yp_parse_cost(ok[i].s, &v), "%s", ok[i].s);
		ck_assert(v == ok[i].v);
	}
	static const char *bad[] = {"-1",  "-0",  "01", "1.", ".5", "+1",   "1e",  "1e309",
	                            "inf", "nan", "",   " 1", "1 ", "0x10", "1,5", "١"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double v = 42;
		ck_assert_msg(!yp_parse_cost(bad[i], &v), "'%s' accepted", bad[i]);
		ck_assert(v == 42);
	}
}
END_TEST

static void collect(struct yp *y, char *v, struct yp_mark m, void *arg)
{
	char *seen = arg;
	size_t n = strlen(seen);
	(void)y;
	snprintf(seen + n, 64 - n, "%s@%zu:%zu ", v, m.line, m.col);
	free(v);
}

/* each scalar item reaches the callback with its place; any other item is
 * reported as not `item` and skipped in step; not a sequence: false */
START_TEST(scalar_list)
{
	char seen[64] = "";
	open_ok("{a: [x, {k: v}, y], b: z}\n");
	ck_assert(yp_mapping_begin(&Y, "top"));
	char *key;
	struct yp_mark m;
	ck_assert(yp_mapping_key(&Y, &key, &m));
	free(key);
	ck_assert(yp_scalar_list(&Y, "a (a list)", "an item", collect, seen));
	ck_assert_str_eq(seen, "x@1:6 y@1:17 ");
	ck_assert(yp_mapping_key(&Y, &key, &m));
	free(key);
	seen[0] = '\0';
	ck_assert(!yp_scalar_list(&Y, "b (a list)", "an item", collect, seen));
	ck_assert_str_eq(seen, "");
	ck_assert(!yp_mapping_key(&Y, &key, &m));
	expect_msgs(2, "t.yaml:1:9: an item must be a scalar, not a mapping",
	            "t.yaml:1:24: b (a list) must be a sequence, not a scalar");
	close_and_free();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("yp");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, mapping_scalars_positions);
	tcase_add_test(tc, mismatch_reported_and_skipped);
	tcase_add_test(tc, complex_key);
	tcase_add_test(tc, syntax_error_line_col);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, open_files);
	tcase_add_test(tc, aliases_refused);
	tcase_add_test(tc, nul_characters);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, close_checks_the_end);
	tcase_add_test(tc, scalar_bool);
	tcase_add_test(tc, scalar_uint);
	tcase_add_test(tc, parse_cost);
	tcase_add_test(tc, scalar_list);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

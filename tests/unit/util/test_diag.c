/* SPDX-License-Identifier: BSD-2-Clause */
/* Diagnostics: "file:line:column: message", the cap on how many are kept,
 * and merging. */
#include <check.h>
#include <stdio.h>

#include "util/diag.h"
#include "testutil.h"

START_TEST(format)
{
	struct diag d;
	diag_init(&d);
	diag_add(&d, "/etc/altod/altod.yaml", 3, 7, "unknown key '%s'", "x");
	diag_add(&d, "maps.yaml", 1, 1, "%d errors", 2);
	diag_add(&d, "altod.yaml", 0, 0, "cannot open: %s", "No such file or directory");
	/* only line 0 omits the position; column 0 with a line is printed */
	diag_add(&d, "f", 12, 0, "m");
	diag_add(&d, "f", 0, 9, "no line");
	ck_assert_uint_eq(d.n, 5);
	ck_assert_str_eq(d.msgs[0], "/etc/altod/altod.yaml:3:7: unknown key 'x'");
	ck_assert_str_eq(d.msgs[1], "maps.yaml:1:1: 2 errors");
	ck_assert_str_eq(d.msgs[2], "altod.yaml: cannot open: No such file or directory");
	ck_assert_str_eq(d.msgs[3], "f:12:0: m");
	ck_assert_str_eq(d.msgs[4], "f: no line");
	diag_free(&d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_null(d.msgs);
}
END_TEST

/* A message is cut at 1023 bytes; the file name and position are not. */
START_TEST(long_message)
{
	struct diag d;
	char big[3000];
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	diag_init(&d);
	diag_add(&d, "file.yaml", 100000, 2, "%s", big);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(strlen(d.msgs[0]), strlen("file.yaml:100000:2: ") + 1023);
	ck_assert(strncmp(d.msgs[0], "file.yaml:100000:2: mmm", 23) == 0);
	diag_free(&d);
}
END_TEST

/* Collection stops at max (default 1000): the first ones are kept. */
START_TEST(cap)
{
	struct diag d;
	diag_init(&d);
	d.max = 3;
	for (int i = 0; i < 10; i++)
		diag_add(&d, "f", (size_t)i + 1, 1, "e%d", i);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_str_eq(d.msgs[2], "f:3:1: e2");
	diag_free(&d);

	diag_init(&d);
	for (int i = 0; i < 1500; i++)
		diag_add(&d, "f", 1, 1, "e%d", i);
	ck_assert_uint_eq(d.n, 1000);
	ck_assert_str_eq(d.msgs[0], "f:1:1: e0");
	ck_assert_str_eq(d.msgs[999], "f:1:1: e999");
	diag_free(&d);
}
END_TEST

START_TEST(merge)
{
	struct diag a, b;
	diag_init(&a);
	diag_init(&b);
	diag_add(&a, "a", 1, 1, "first");
	for (int i = 0; i < 20; i++)
		diag_add(&b, "b", (size_t)i + 1, 2, "x%d", i);
	diag_merge(&a, &b);
	ck_assert_uint_eq(a.n, 21);
	ck_assert_str_eq(a.msgs[0], "a:1:1: first");
	ck_assert_str_eq(a.msgs[1], "b:1:2: x0");
	ck_assert_str_eq(a.msgs[20], "b:20:2: x19");
	/* the source is emptied and reusable */
	ck_assert_uint_eq(b.n, 0);
	ck_assert_ptr_null(b.msgs);
	diag_add(&b, "b", 1, 1, "again");
	ck_assert_uint_eq(b.n, 1);
	diag_free(&b);
	/* merging into a full diag drops (and frees) the surplus */
	struct diag c;
	diag_init(&c);
	c.max = 2;
	diag_init(&b);
	for (int i = 0; i < 5; i++)
		diag_add(&b, "b", 1, 1, "y%d", i);
	diag_merge(&c, &b);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.msgs[1], "b:1:1: y1");
	diag_merge(&c, &b); /* merging an empty one changes nothing */
	ck_assert_uint_eq(c.n, 2);
	diag_free(&c);
	diag_free(&a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, format);
	tcase_add_test(tc, long_message);
	tcase_add_test(tc, cap);
	tcase_add_test(tc, merge);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

/* SPDX-License-Identifier: BSD-2-Clause */
/* altod_strerror names every code, and nothing else. */
#include <check.h>
#include <limits.h>

#include "util/err.h"
#include "testutil.h"

START_TEST(own_codes)
{
	ck_assert_str_eq(altod_strerror(ALTOD_EOK), "ok");
	ck_assert_str_eq(altod_strerror(ALTOD_ECONFIG), "configuration has errors");
	ck_assert_str_eq(altod_strerror(ALTOD_ELISTEN), "cannot listen");
	ck_assert_str_eq(altod_strerror(ALTOD_EEXIST), "already defined");
	ck_assert_str_eq(altod_strerror(ALTOD_EPARSE), "malformed input");
	ck_assert_str_eq(altod_strerror(ALTOD_EREQUEST), "invalid request");
	ck_assert_str_eq(altod_strerror(ALTOD_EAUTH), "authentication failed");
}
END_TEST

/* The errno-style codes are the C library's messages. */
START_TEST(errno_codes)
{
	ck_assert_str_eq(altod_strerror(ALTOD_ENOMEM), strerror(ENOMEM));
	ck_assert_str_eq(altod_strerror(ALTOD_EINVAL), strerror(EINVAL));
	ck_assert_str_eq(altod_strerror(ALTOD_ERANGE), strerror(ERANGE));
	ck_assert_str_eq(altod_strerror(ALTOD_ENOENT), strerror(ENOENT));
	ck_assert_str_eq(altod_strerror(-EACCES), strerror(EACCES));
	ck_assert_str_ne(altod_strerror(ALTOD_ENOMEM), altod_strerror(ALTOD_EINVAL));
}
END_TEST

/* Positive numbers, the base itself and codes beyond altod's own are not
 * codes: never a C library message for them, never NULL. */
START_TEST(unknown_codes)
{
	static const int bad[] = {1, 42, INT_MAX, ALTOD_EBASE, ALTOD_ELAST - 1, ALTOD_EBASE - 100, INT_MIN};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_str_eq(altod_strerror(bad[i]), "unknown error");
	/* the own codes are distinct from each other */
	ck_assert_int_ne(ALTOD_ECONFIG, ALTOD_ELISTEN);
	ck_assert_int_ne(ALTOD_ELISTEN, ALTOD_EEXIST);
	ck_assert_int_lt(ALTOD_ECONFIG, ALTOD_EBASE);
	/* every own code between the base and the last, each its own text */
	for (int a = ALTOD_EBASE - 1; a >= ALTOD_ELAST; a--) {
		ck_assert_str_ne(altod_strerror(a), "unknown error");
		for (int b = a - 1; b >= ALTOD_ELAST; b--)
			ck_assert_str_ne(altod_strerror(a), altod_strerror(b));
	}
	/* none of them is an errno-style code */
	ck_assert_int_lt(ALTOD_ELAST, ALTOD_EBASE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("err");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, own_codes);
	tcase_add_test(tc, errno_codes);
	tcase_add_test(tc, unknown_codes);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

/* SPDX-License-Identifier: BSD-2-Clause */
/* The per-identity counts behind tips-views-per-client and
 * streams-per-client: up on take, down on release, one stored copy of each
 * identity while it holds anything, and identities counted apart. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/owners.h"
#include "testutil.h"

START_TEST(counts_up_and_down)
{
	struct owners o = {0};
	char a[] = "client:a";
	ck_assert_uint_eq(owners_count(&o, "client:a"), 0);
	const char *k1 = owners_take(&o, a);
	const char *k2 = owners_take(&o, "client:a");
	ck_assert_ptr_nonnull(k1);
	ck_assert_ptr_eq(k1, k2); /* one copy, shared */
	ck_assert_ptr_ne(k1, a);  /* not the caller's */
	a[0] = 'X';
	ck_assert_str_eq(k1, "client:a");
	ck_assert_uint_eq(owners_count(&o, "client:a"), 2);
	ck_assert_ptr_nonnull(owners_take(&o, "peer:192.0.2.1"));
	ck_assert_uint_eq(owners_count(&o, "peer:192.0.2.1"), 1);
	ck_assert_uint_eq(owners_count(&o, "client:a"), 2);
	ck_assert_uint_eq(owners_count(&o, "client:"), 0); /* a prefix is another identity */
	owners_release(&o, "client:a");
	ck_assert_uint_eq(owners_count(&o, "client:a"), 1);
	ck_assert_uint_eq(o.n, 2);
	owners_release(&o, k1); /* the stored copy itself may be passed */
	ck_assert_uint_eq(owners_count(&o, "client:a"), 0);
	ck_assert_uint_eq(o.n, 1); /* the last release drops the entry */
	ck_assert_uint_eq(owners_count(&o, "peer:192.0.2.1"), 1);
	owners_release(&o, "nobody"); /* holds nothing: no effect */
	ck_assert_uint_eq(o.n, 1);
	owners_free(&o);
	ck_assert_uint_eq(o.n, 0);
	ck_assert_ptr_null(o.v);
}
END_TEST

/* many identities, released in another order than taken */
START_TEST(many_identities)
{
	struct owners o = {0};
	char id[32];
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 100; i++) {
			snprintf(id, sizeof(id), "client:%d", i);
			ck_assert_ptr_nonnull(owners_take(&o, id));
		}
	ck_assert_uint_eq(o.n, 100);
	for (int i = 99; i >= 0; i -= 2) {
		snprintf(id, sizeof(id), "client:%d", i);
		owners_release(&o, id);
		ck_assert_uint_eq(owners_count(&o, id), 2);
	}
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "client:%d", i);
		ck_assert_uint_eq(owners_count(&o, id), i % 2 ? 2 : 3);
	}
	owners_free(&o);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("owners");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, counts_up_and_down);
	tcase_add_test(tc, many_identities);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

/* SPDX-License-Identifier: BSD-2-Clause */
/* vec_reserve / VEC_PUSH: amortized doubling from 8, no change when there
 * is room, and a refused (not wrapped) size that overflows. */
#include <check.h>
#include <stdint.h>

#include "util/vec.h"
#include "testutil.h"

/* ck_assert records a mark point through a pipe on every call: hot loops
 * check with this instead, and fail with the same message. */
#define CHECK(cond, ...)                           \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

START_TEST(push_many)
{
	int *a = NULL;
	size_t n = 0, cap = 0, grows = 0;
	for (int i = 0; i < 10000; i++) {
		size_t before = cap;
		CHECK(VEC_PUSH(a, n, cap), "push %d", i);
		if (cap != before) {
			grows++;
			CHECK(cap == (before ? before * 2 : 8), "cap %zu after %zu", cap, before);
		}
		CHECK(cap > n, "cap %zu, n %zu", cap, n);
		a[n++] = i;
	}
	/* 8 -> 16384: 12 reallocations for 10000 elements */
	ck_assert_uint_eq(cap, 16384);
	ck_assert_uint_eq(grows, 12);
	for (int i = 0; i < 10000; i++)
		CHECK(a[i] == i, "a[%d] = %d", i, a[i]);
	free(a);
}
END_TEST

START_TEST(room_left_is_a_no_op)
{
	char *a = NULL;
	size_t cap = 0;
	ck_assert(vec_reserve((void **)&a, &cap, 0, 1));
	ck_assert_ptr_null(a); /* nothing needed: nothing allocated */
	ck_assert_uint_eq(cap, 0);
	ck_assert(vec_reserve((void **)&a, &cap, 1, 1));
	ck_assert_uint_eq(cap, 8);
	char *p = a;
	ck_assert(vec_reserve((void **)&a, &cap, 8, 1));
	ck_assert_ptr_eq(a, p);
	ck_assert_uint_eq(cap, 8);
	/* a big need from a small capacity doubles past it in one step */
	ck_assert(vec_reserve((void **)&a, &cap, 1000, 1));
	ck_assert_uint_eq(cap, 1024);
	free(a);
}
END_TEST

/* need * elem beyond SIZE_MAX: false, and the array untouched. */
START_TEST(overflow_refused)
{
	uint64_t *a = NULL;
	size_t n = 0, cap = 0;
	ck_assert(VEC_PUSH(a, n, cap));
	a[n++] = 77;
	uint64_t *p = a;
	ck_assert(!vec_reserve((void **)&a, &cap, SIZE_MAX / 8 + 1, sizeof(*a)));
	ck_assert(!vec_reserve((void **)&a, &cap, SIZE_MAX, sizeof(*a)));
	ck_assert_ptr_eq(a, p);
	ck_assert_uint_eq(cap, 8);
	ck_assert_uint_eq(a[0], 77);
	/* huge elements: even the first doubling would overflow */
	void *q = NULL;
	size_t qcap = 0;
	ck_assert(!vec_reserve(&q, &qcap, 17, SIZE_MAX / 16));
	ck_assert_ptr_null(q);
	ck_assert_uint_eq(qcap, 0);
	free(a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vec");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, push_many);
	tcase_add_test(tc, room_left_is_a_no_op);
	tcase_add_test(tc, overflow_refused);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

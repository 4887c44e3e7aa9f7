/* SPDX-License-Identifier: BSD-2-Clause */
/* par_for: every index in [0, n) runs exactly once, whatever n is against
 * the number of threads, and all have run when it returns. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>

#include "util/par.h"
#include "testutil.h"

/* ck_assert records a mark point through a pipe on every call: hot loops
 * check with this instead, and fail with the same message. */
#define CHECK(cond, ...)                           \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

struct count {
	atomic_uint *hits;
	atomic_size_t calls;
	atomic_size_t sum;
};

static void tick(void *ctx, size_t i)
{
	struct count *c = ctx;
	atomic_fetch_add(&c->hits[i], 1);
	atomic_fetch_add(&c->calls, 1);
	atomic_fetch_add(&c->sum, i);
}

static void run(size_t n)
{
	struct count c;
	c.hits = calloc(n ? n : 1, sizeof(*c.hits));
	atomic_init(&c.calls, 0);
	atomic_init(&c.sum, 0);
	for (size_t i = 0; i < n; i++)
		atomic_init(&c.hits[i], 0);
	par_for(n, tick, &c);
	ck_assert_uint_eq(atomic_load(&c.calls), n);
	ck_assert_uint_eq(atomic_load(&c.sum), n ? n * (n - 1) / 2 : 0);
	for (size_t i = 0; i < n; i++)
		CHECK(atomic_load(&c.hits[i]) == 1, "n=%zu: index %zu ran %u times", n, i, atomic_load(&c.hits[i]));
	free(c.hits);
}

START_TEST(threads_in_range)
{
	unsigned t = par_threads();
	ck_assert_uint_ge(t, 1);
	ck_assert_uint_le(t, 16);
}
END_TEST

START_TEST(nothing_to_do)
{
	run(0);
}
END_TEST

/* Fewer tasks than threads, as many, and more: 1..40 covers all three
 * on any machine up to par_threads' cap of 16. */
START_TEST(every_count)
{
	for (size_t n = 1; n <= 40; n++)
		run(n);
	run(100003);
}
END_TEST

/* Independent tasks writing their own slots: all written on return. */
static void square(void *ctx, size_t i)
{
	unsigned long long *out = ctx;
	out[i] = (unsigned long long)i * i;
}

START_TEST(results_visible_on_return)
{
	enum { N = 5000 };
	unsigned long long *out = calloc(N, sizeof(*out));
	for (int round = 0; round < 20; round++) {
		memset(out, 0, N * sizeof(*out));
		par_for(N, square, out);
		for (size_t i = 0; i < N; i++)
			CHECK(out[i] == (unsigned long long)i * i, "slot %zu", i);
	}
	free(out);
}
END_TEST

/* par_for from several threads at once: the jobs do not share state. */
static void *concurrent(void *arg)
{
	(void)arg;
	for (int k = 0; k < 10; k++)
		run(257);
	return NULL;
}

START_TEST(concurrent_callers)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, concurrent, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("par");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, threads_in_range);
	tcase_add_test(tc, nothing_to_do);
	tcase_add_test(tc, every_count);
	tcase_add_test(tc, results_visible_on_return);
	tcase_add_test(tc, concurrent_callers);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

/* SPDX-License-Identifier: BSD-2-Clause */
/* The per-thread bump arena behind jansson. Under AddressSanitizer it is
 * off by design (arena.c's ARENA_OFF): there the tests check that jansson
 * then allocates one by one, and skip what only the arena does. */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "alto/arena.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_OFF 1
#endif
#endif

static void setup(void)
{
	arena_install();
}

/* Outside a scope jansson allocates with malloc: nothing is carved. */
START_TEST(outside_scope)
{
	json_t *o = json_object();
	json_object_set_new(o, "k", json_string("value"));
	ck_assert_uint_eq(arena_used(), 0);
	json_decref(o);
	ck_assert_uint_eq(arena_used(), 0);
}
END_TEST

#ifndef ARENA_OFF
/* In a scope, every allocation is carved 16-byte aligned and counted;
 * arena_end takes it all back, and the next scope starts over at the same
 * place in the kept block. */
START_TEST(carve_align_reset)
{
	arena_begin();
	json_t *first = json_object();
	ck_assert_ptr_nonnull(first);
	size_t after_one = arena_used();
	ck_assert_uint_gt(after_one, 0);
	ck_assert_uint_eq(after_one % 16, 0);
	ck_assert_uint_eq((uintptr_t)first % 16, 0);
	for (int i = 0; i < 200; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		json_t *s = json_string(key);
		ck_assert_uint_eq((uintptr_t)s % 16, 0);
		ck_assert_uint_eq((uintptr_t)json_string_value(s) % 16, 0);
		json_object_set_new(first, key, s);
	}
	ck_assert_uint_gt(arena_used(), after_one);
	ck_assert_uint_eq(arena_used() % 16, 0);
	ck_assert_uint_eq(json_object_size(first), 200);
	json_decref(first); /* frees are no-ops in the scope */
	arena_end();
	ck_assert_uint_eq(arena_used(), 0);

	arena_begin();
	json_t *again = json_object();
	ck_assert_ptr_eq(again, first);
	json_decref(again);
	arena_end();
}
END_TEST

/* An allocation larger than the 64 KiB kept block gets a block of its own,
 * chained in; the data is intact, and arena_end gives the extra block back
 * (ASan builds and the leak checker see the same through malloc). */
START_TEST(large_allocation)
{
	enum { BIG = 300000 };
	char *text = malloc(BIG + 1);
	memset(text, 'x', BIG);
	text[BIG] = '\0';
	arena_begin();
	json_t *small = json_integer(1);
	json_t *big = json_string(text);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_ge(arena_used(), BIG);
	ck_assert_uint_eq(strlen(json_string_value(big)), BIG);
	ck_assert_int_eq(json_integer_value(small), 1);
	json_decref(big);
	json_decref(small);
	arena_end();
	ck_assert_uint_eq(arena_used(), 0);
	/* the kept block serves the next scope from its start */
	arena_begin();
	json_t *again = json_integer(2);
	ck_assert_ptr_eq(again, small);
	json_decref(again);
	arena_end();
	free(text);
}
END_TEST

/* A value made before the scope and freed in it goes back to free() (its
 * address is not the arena's); one made in the scope stays valid until
 * arena_end. */
START_TEST(foreign_free_in_scope)
{
	json_t *before = json_string("made with malloc");
	arena_begin();
	json_t *in = json_array();
	json_array_append_new(in, json_integer(5));
	size_t used = arena_used();
	json_decref(before);
	ck_assert_uint_eq(arena_used(), used);
	ck_assert_int_eq(json_integer_value(json_array_get(in, 0)), 5);
	json_decref(in);
	arena_end();
}
END_TEST

/* The arena is per thread: another thread, outside any scope, allocates
 * with malloc while this one is in a scope. */
static void *other_thread(void *arg)
{
	size_t *used = arg;
	json_t *o = json_object();
	json_object_set_new(o, "t", json_true());
	*used = arena_used();
	json_decref(o);
	return NULL;
}

START_TEST(per_thread)
{
	arena_begin();
	json_t *mine = json_object();
	size_t mine_used = arena_used();
	ck_assert_uint_gt(mine_used, 0);
	pthread_t t;
	size_t theirs = 99;
	ck_assert_int_eq(pthread_create(&t, NULL, other_thread, &theirs), 0);
	pthread_join(t, NULL);
	ck_assert_uint_eq(theirs, 0);
	ck_assert_uint_eq(arena_used(), mine_used);
	json_decref(mine);
	arena_end();
}
END_TEST
#else
/* ASan: arena_install leaves jansson on malloc, so a scope carves nothing. */
START_TEST(off_under_asan)
{
	arena_begin();
	json_t *o = json_object();
	json_object_set_new(o, "k", json_string("v"));
	ck_assert_uint_eq(arena_used(), 0);
	json_decref(o);
	arena_end();
	ck_assert_uint_eq(arena_used(), 0);
}
END_TEST
#endif

static Suite *suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, outside_scope);
#ifndef ARENA_OFF
	tcase_add_test(tc, carve_align_reset);
	tcase_add_test(tc, large_allocation);
	tcase_add_test(tc, foreign_free_in_scope);
	tcase_add_test(tc, per_thread);
#else
	tcase_add_test(tc, off_under_asan);
#endif
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

/* SPDX-License-Identifier: BSD-2-Clause */
/* The string -> id map: intern is first-wins, get finds exactly what was
 * interned, through growth and probe collisions. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>

#include "util/strmap.h"
#include "testutil.h"

/* ck_assert records a mark point through a pipe on every call: hot loops
 * check with this instead, and fail with the same message. */
#define CHECK(cond, ...)                           \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

START_TEST(empty_map)
{
	struct strmap m;
	strmap_init(&m);
	ck_assert_uint_eq(strmap_get(&m, "x"), UINT32_MAX);
	ck_assert_uint_eq(strmap_get(&m, ""), UINT32_MAX);
	strmap_free(&m);
	strmap_free(&m); /* freeing twice is harmless: free re-inits */
	ck_assert_uint_eq(m.n, 0);
}
END_TEST

START_TEST(intern_first_wins)
{
	struct strmap m;
	strmap_init(&m);
	ck_assert_uint_eq(strmap_intern(&m, "PID1", 0), 0);
	ck_assert_uint_eq(strmap_intern(&m, "PID2", 1), 1);
	/* a second intern returns the id stored first, and stores nothing */
	ck_assert_uint_eq(strmap_intern(&m, "PID1", 5), 0);
	ck_assert_uint_eq(m.n, 2);
	ck_assert_uint_eq(strmap_get(&m, "PID1"), 0);
	ck_assert_uint_eq(strmap_get(&m, "PID2"), 1);
	/* exact match only: no prefixes, no case folding */
	ck_assert_uint_eq(strmap_get(&m, "PID"), UINT32_MAX);
	ck_assert_uint_eq(strmap_get(&m, "PID12"), UINT32_MAX);
	ck_assert_uint_eq(strmap_get(&m, "pid1"), UINT32_MAX);
	/* the empty string is a key like any other */
	ck_assert_uint_eq(strmap_intern(&m, "", 7), 7);
	ck_assert_uint_eq(strmap_get(&m, ""), 7);
	strmap_free(&m);
}
END_TEST

START_TEST(keys_are_copied)
{
	struct strmap m;
	char key[16];
	strmap_init(&m);
	snprintf(key, sizeof(key), "abc");
	strmap_intern(&m, key, 3);
	snprintf(key, sizeof(key), "xyz");
	ck_assert_uint_eq(strmap_get(&m, "abc"), 3);
	ck_assert_uint_eq(strmap_get(&m, "xyz"), UINT32_MAX);
	strmap_free(&m);
}
END_TEST

/* 50000 keys that differ in a few characters: many growths (from 64 slots)
 * and long probe chains; the load factor stays at most 3/4, and every key
 * keeps its id while absent look-alikes stay absent. */
START_TEST(many_keys)
{
	enum { N = 50000 };
	struct strmap m;
	char key[32];
	strmap_init(&m);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		CHECK(strmap_intern(&m, key, i * 3) == i * 3, "%s", key);
		CHECK(m.n * 4 <= m.cap * 3, "load %zu/%zu", m.n, m.cap);
	}
	ck_assert_uint_eq(m.n, N);
	ck_assert_uint_eq(m.cap & (m.cap - 1), 0);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		CHECK(strmap_get(&m, key) == i * 3, "%s", key);
		CHECK(strmap_intern(&m, key, 1) == i * 3, "%s", key);
		snprintf(key, sizeof(key), "k%u_", i);
		CHECK(strmap_get(&m, key) == UINT32_MAX, "%s", key);
	}
	ck_assert_uint_eq(m.n, N);
	strmap_free(&m);
}
END_TEST

/* Keys that land in the same home slot of the first 64-slot table: they
 * are found by linear probing, including across the wrap at the end. */
static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

START_TEST(collisions)
{
	struct strmap m;
	char keys[40][16];
	size_t n = 0;
	strmap_init(&m);
	/* 40 keys homed in slot 63 (the last): the chain wraps to slot 0 */
	for (unsigned i = 0; n < 40; i++) {
		snprintf(keys[n], sizeof(keys[n]), "c%u", i);
		if ((fnv(keys[n]) & 63) == 63)
			n++;
	}
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(strmap_intern(&m, keys[i], (uint32_t)i + 100), i + 100);
	ck_assert_uint_eq(m.cap, 64); /* 40 < 48: no growth, one long chain */
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(strmap_get(&m, keys[i]), i + 100);
	ck_assert_uint_eq(strmap_get(&m, "not-there"), UINT32_MAX);
	/* growth re-homes the chain */
	char key[16];
	for (unsigned i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "g%u", i);
		strmap_intern(&m, key, i);
	}
	ck_assert_uint_gt(m.cap, 64);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(strmap_get(&m, keys[i]), i + 100);
	strmap_free(&m);
}
END_TEST

START_TEST(long_and_binary_looking_keys)
{
	struct strmap m;
	char big[5000];
	strmap_init(&m);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_uint_eq(strmap_intern(&m, big, 1), 1);
	big[4998] = 'y';
	ck_assert_uint_eq(strmap_get(&m, big), UINT32_MAX);
	ck_assert_uint_eq(strmap_intern(&m, big, 2), 2);
	ck_assert_uint_eq(strmap_intern(&m, "\xff\x01\x7f", UINT32_MAX - 1), UINT32_MAX - 1);
	ck_assert_uint_eq(strmap_get(&m, "\xff\x01\x7f"), UINT32_MAX - 1);
	strmap_free(&m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("strmap");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, empty_map);
	tcase_add_test(tc, intern_first_wins);
	tcase_add_test(tc, keys_are_copied);
	tcase_add_test(tc, many_keys);
	tcase_add_test(tc, collisions);
	tcase_add_test(tc, long_and_binary_looking_keys);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

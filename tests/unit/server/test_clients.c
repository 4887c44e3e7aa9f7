/* SPDX-License-Identifier: BSD-2-Clause */
/* The bounded token-bucket tables (per claimed user, per peer address) and
 * the user name an Authorization header claims. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "server/clients.h"
#include "testutil.h"

static bool take(struct bucket_table *t, const char *k, double rate, double burst, double now)
{
	double ra = 0;
	return buckets_take_at(t, k, strlen(k), rate, burst, now, &ra);
}

static bool peek(struct bucket_table *t, const char *k, double rate, double burst, double now, double *ra)
{
	return buckets_peek_at(t, k, strlen(k), rate, burst, now, ra);
}

START_TEST(bucket_basics)
{
	struct bucket_table t;
	ck_assert_int_eq(buckets_init(&t, 64), 0);
	double ra = -1;
	/* an unknown key has a full bucket; peeking changes nothing */
	for (int i = 0; i < 10; i++)
		ck_assert(peek(&t, "alice", 1, 3, 100, &ra));
	ck_assert_uint_eq(buckets_used(&t), 0);
	ck_assert(take(&t, "alice", 1, 3, 100));
	ck_assert(take(&t, "alice", 1, 3, 100));
	ck_assert(take(&t, "alice", 1, 3, 100));
	ck_assert(!take(&t, "alice", 1, 3, 100));
	ck_assert(!peek(&t, "alice", 1, 3, 100, &ra));
	ck_assert_double_eq_tol(ra, 1.0, 1e-9);
	/* another key is independent */
	ck_assert(take(&t, "bob", 1, 3, 100));
	/* half a second: half a token, still empty; a second: one token */
	ck_assert(!peek(&t, "alice", 1, 3, 100.5, &ra));
	ck_assert_double_eq_tol(ra, 0.5, 1e-9);
	ck_assert(take(&t, "alice", 1, 3, 101));
	ck_assert(!take(&t, "alice", 1, 3, 101));
	/* refills up to the burst, not beyond */
	ck_assert(take(&t, "alice", 1, 3, 1000));
	ck_assert(take(&t, "alice", 1, 3, 1000));
	ck_assert(take(&t, "alice", 1, 3, 1000));
	ck_assert(!take(&t, "alice", 1, 3, 1000));
	/* rate 0: no limit, no state */
	for (int i = 0; i < 100; i++)
		ck_assert(take(&t, "carol", 0, 1, 100));
	/* burst below 1: max(1, rate) */
	ck_assert(take(&t, "dave", 0.5, 0, 100));
	ck_assert(!take(&t, "dave", 0.5, 0, 100));
	ck_assert_uint_eq(buckets_used(&t), 3);
	buckets_destroy(&t);
}
END_TEST

START_TEST(bucket_give_back)
{
	struct bucket_table t;
	ck_assert_int_eq(buckets_init(&t, 64), 0);
	double ra;
	ck_assert(take(&t, "k", 1e-3, 2, 0));
	ck_assert(take(&t, "k", 1e-3, 2, 0));
	ck_assert(!peek(&t, "k", 1e-3, 2, 0, &ra));
	buckets_give_at(&t, "k", 1, 1e-3, 2, 0);
	ck_assert(take(&t, "k", 1e-3, 2, 0));
	ck_assert(!take(&t, "k", 1e-3, 2, 0));
	/* never above the burst */
	for (int i = 0; i < 10; i++)
		buckets_give_at(&t, "k", 1, 1e-3, 2, 0);
	ck_assert(take(&t, "k", 1e-3, 2, 0));
	ck_assert(take(&t, "k", 1e-3, 2, 0));
	ck_assert(!take(&t, "k", 1e-3, 2, 0));
	/* an unknown key is not created */
	buckets_give_at(&t, "other", 5, 1e-3, 2, 0);
	ck_assert_uint_eq(buckets_used(&t), 1);
	buckets_destroy(&t);
}
END_TEST

START_TEST(bucket_keys_are_bytes)
{
	struct bucket_table t;
	ck_assert_int_eq(buckets_init(&t, 16), 0);
	double ra;
	const char a[] = {'x', 0, 'y'}, b[] = {'x', 0, 'z'};
	ck_assert(buckets_take_at(&t, a, sizeof(a), 1, 1, 0, &ra));
	ck_assert(!buckets_take_at(&t, a, sizeof(a), 1, 1, 0, &ra));
	ck_assert(buckets_take_at(&t, b, sizeof(b), 1, 1, 0, &ra));
	ck_assert(buckets_take_at(&t, "x", 1, 1, 1, 0, &ra));
	buckets_destroy(&t);
}
END_TEST

/* An attacker cycling through distinct fake names: the memory stays what
 * init allotted, and the depleted bucket of the user under attack is never
 * the one evicted, so the fake names do not buy fresh guesses. */
START_TEST(bucket_flood_of_names)
{
	struct bucket_table t;
	ck_assert_int_eq(buckets_init(&t, 64), 0);
	size_t cap = t.nsets * BUCKET_WAYS;
	ck_assert_uint_ge(cap, 64);
	ck_assert_uint_lt(cap, 128);
	for (int i = 0; i < 10; i++)
		take(&t, "victim", 0.1, 10, 0);
	double ra;
	ck_assert(!peek(&t, "victim", 0.1, 10, 0, &ra));
	char name[32];
	for (int i = 0; i < 200000; i++) {
		snprintf(name, sizeof(name), "fake-%d", i);
		ck_assert(take(&t, name, 0.1, 10, 1e-6 * i));
	}
	ck_assert_uint_le(buckets_used(&t), cap);
	ck_assert_uint_eq(buckets_used(&t), cap);     /* every way in use... */
	ck_assert_uint_ge(t.evictions, 200000 - cap); /* ...by evicting */
	/* 0.2 s later the victim's bucket holds 0.02 tokens: still refused */
	ck_assert(!peek(&t, "victim", 0.1, 10, 0.2, &ra));
	ck_assert_double_gt(ra, 9.7);
	buckets_destroy(&t);
}
END_TEST

/* Where every way of a set is as depleted as the victim, the fullest is
 * still the one evicted; depleted buckets only give way to one another. */
START_TEST(bucket_eviction_prefers_the_fullest)
{
	struct bucket_table t;
	ck_assert_int_eq(buckets_init(&t, 8), 0); /* one set */
	ck_assert_uint_eq(t.nsets, 1);
	char name[32];
	for (int i = 0; i < BUCKET_WAYS; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		for (int k = 0; k <= i; k++) /* k0 has 7 tokens left, k7 none */
			take(&t, name, 1e-9, 8, 0);
	}
	ck_assert_uint_eq(buckets_used(&t), BUCKET_WAYS);
	ck_assert(take(&t, "new", 1e-9, 8, 0)); /* evicts k0, the fullest */
	double ra;
	ck_assert(peek(&t, "k0", 1e-9, 8, 0, &ra)); /* gone: a full bucket again */
	for (int i = 1; i < BUCKET_WAYS; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		for (int k = 0; k < 8 - i - 1; k++)
			ck_assert(take(&t, name, 1e-9, 8, 0));
		ck_assert_msg(!take(&t, name, 1e-9, 8, 0), "%s kept its count", name);
	}
	buckets_destroy(&t);
}
END_TEST

START_TEST(retry_after_clamped)
{
	ck_assert_uint_eq(retry_after_seconds(0), 1);
	ck_assert_uint_eq(retry_after_seconds(0.2), 1);
	ck_assert_uint_eq(retry_after_seconds(1), 1);
	ck_assert_uint_eq(retry_after_seconds(1.0001), 2);
	ck_assert_uint_eq(retry_after_seconds(999.2), 1000);
	ck_assert_uint_eq(retry_after_seconds(86399.5), 86400);
	ck_assert_uint_eq(retry_after_seconds(86401), 86400);
	/* rate 1e-12: 1e12 s, past UINT_MAX (the old code sent 3567587328) */
	ck_assert_uint_eq(retry_after_seconds(1e12), 86400);
	ck_assert_uint_eq(retry_after_seconds(1e300), 86400);
	ck_assert_uint_eq(retry_after_seconds(INFINITY), 86400);
	ck_assert_uint_eq(retry_after_seconds(-INFINITY), 1);
	ck_assert_uint_eq(retry_after_seconds(NAN), 1);
	ck_assert_uint_eq(retry_after_seconds(-5), 1);
}
END_TEST

START_TEST(address_keys)
{
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1};
	uint8_t b[16], k1[THROTTLE_ADDR_KEY], k2[THROTTLE_ADDR_KEY];
	memcpy(b, a, 16);
	b[15] = 0x99; /* the same /64 */
	size_t n1 = throttle_addr_key(true, a, k1), n2 = throttle_addr_key(true, b, k2);
	ck_assert_uint_eq(n1, 9);
	ck_assert(n1 == n2 && memcmp(k1, k2, n1) == 0);
	b[7] ^= 1; /* another /64 */
	n2 = throttle_addr_key(true, b, k2);
	ck_assert(memcmp(k1, k2, n1) != 0);
	/* IPv4: the whole address; never equal to an IPv6 key */
	uint8_t v4a[16] = {127, 0, 0, 2}, v4b[16] = {127, 0, 0, 3};
	n1 = throttle_addr_key(false, v4a, k1);
	n2 = throttle_addr_key(false, v4b, k2);
	ck_assert_uint_eq(n1, 5);
	ck_assert(memcmp(k1, k2, n1) != 0);
	uint8_t v6[16] = {127, 0, 0, 2};
	n2 = throttle_addr_key(true, v6, k2);
	ck_assert(n1 != n2 || memcmp(k1, k2, n1) != 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("clients");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, bucket_basics);
	tcase_add_test(tc, bucket_give_back);
	tcase_add_test(tc, bucket_keys_are_bytes);
	tcase_add_test(tc, bucket_flood_of_names);
	tcase_add_test(tc, bucket_eviction_prefers_the_fullest);
	tcase_add_test(tc, retry_after_clamped);
	tcase_add_test(tc, address_keys);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

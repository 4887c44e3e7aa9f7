/* SPDX-License-Identifier: BSD-2-Clause */
/* The snapshot slot's reaper: the last reference dropped on a request
 * thread only queues the snapshot; the reaper thread frees it; destroying
 * the slot frees what is queued. Every wait is on a condition variable,
 * never a sleep. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "snap/snapshot.h"
#include "fixtures.h"
#include "testutil.h"

static char dir[64];
static char maps_path[sizeof(dir) + 16];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/altod-test-snapshot-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(maps_path, sizeof(maps_path), "%s/maps.yaml", dir);
	FILE *f = fopen(maps_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(RFC_MAPS, f);
	fclose(f);
}

static void teardown(void)
{
	unlink(maps_path);
	rmdir(dir);
}

static struct snapshot *build(void)
{
	char text[256];
	struct diag d;
	struct conf *c;
	struct snapshot *s;
	snprintf(text, sizeof(text), "server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [%s]\n", maps_path);
	diag_init(&d);
	ck_assert_int_eq(conf_load_mem("altod.yaml", text, &c, &d), 0);
	ck_assert_int_eq(snapshot_build(c, &s, &d), 0);
	conf_free(c);
	diag_free(&d);
	return s;
}

/* What the hook saw: which threads freed, how often. A gate can hold the
 * reaper inside the hook. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned calls;
	pthread_t last;
	bool gate_closed;
} seen = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, false};

static void hook(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&seen.lock);
	seen.calls++;
	seen.last = pthread_self();
	pthread_cond_broadcast(&seen.cond);
	while (seen.gate_closed)
		pthread_cond_wait(&seen.cond, &seen.lock);
	pthread_mutex_unlock(&seen.lock);
}

static void wait_calls(unsigned n)
{
	pthread_mutex_lock(&seen.lock);
	while (seen.calls < n)
		pthread_cond_wait(&seen.cond, &seen.lock);
	pthread_mutex_unlock(&seen.lock);
}

static void set_gate(bool closed)
{
	pthread_mutex_lock(&seen.lock);
	seen.gate_closed = closed;
	pthread_cond_broadcast(&seen.cond);
	pthread_mutex_unlock(&seen.lock);
}

/* a request thread: drops its reference, the last one */
static void *request_thread(void *arg)
{
	snapshot_unref(arg);
	return NULL;
}

START_TEST(last_unref_on_a_request_thread_freed_by_the_reaper)
{
	struct snapshot_slot slot;
	ck_assert_int_eq(slot_init(&slot, build()), 0);
	slot_reaper_hook(&slot, hook, NULL);
	ck_assert_uint_eq(slot_live(&slot), 1);
	/* a request pins it; the reload drops the slot's reference */
	struct snapshot *s = slot_acquire(&slot);
	slot_swap(&slot, build());
	ck_assert_uint_eq(slot_live(&slot), 2);
	ck_assert_ptr_eq(s->reaper, &slot.reaper);
	pthread_t req;
	ck_assert_int_eq(pthread_create(&req, NULL, request_thread, s), 0);
	ck_assert_int_eq(pthread_join(req, NULL), 0);
	wait_calls(1);
	pthread_mutex_lock(&seen.lock);
	pthread_t freer = seen.last;
	pthread_mutex_unlock(&seen.lock);
	ck_assert(!pthread_equal(freer, req));
	ck_assert(!pthread_equal(freer, pthread_self()));
	ck_assert_uint_eq(slot_live(&slot), 1);
	/* destroy hands the live one to the reaper too, in a batch of its own */
	slot_destroy(&slot);
	ck_assert_uint_eq(slot_live(&slot), 0);
	ck_assert_uint_eq(seen.calls, 2);
	ck_assert(!pthread_equal(seen.last, pthread_self()));
}
END_TEST

/* destroy frees what is still queued: the reaper is held in the hook while
 * two more snapshots are released, then the slot is destroyed. */
START_TEST(stop_drains_the_queue)
{
	struct snapshot_slot slot;
	struct snapshot *a = build(), *b = build(), *c = build(), *d = build();
	ck_assert_int_eq(slot_init(&slot, a), 0);
	slot_reaper_hook(&slot, hook, NULL);
	set_gate(true);
	slot_swap(&slot, b);
	wait_calls(1); /* the reaper freed a and waits at the gate */
	slot_swap(&slot, c);
	slot_swap(&slot, d);
	ck_assert_uint_eq(slot_live(&slot), 3); /* b and c queued, not freed; d live */
	set_gate(false);
	slot_destroy(&slot);
	ck_assert_uint_eq(slot_live(&slot), 0);
	ck_assert_uint_ge(seen.calls, 2);
	/* a snapshot never installed (altod -t, a failed reload) has no
	 * reaper: its last release frees it in place, on its own thread */
	unsigned before = seen.calls;
	struct snapshot *e = build();
	ck_assert_ptr_null(e->reaper);
	snapshot_unref(e);
	ck_assert_uint_eq(seen.calls, before);
}
END_TEST

/* The slot: a swap hands the old snapshot to the reaper, destroy too. */
START_TEST(slot_swap_and_destroy_go_through_the_reaper)
{
	struct snapshot_slot slot;
	ck_assert_int_eq(slot_init(&slot, build()), 0);
	slot_reaper_hook(&slot, hook, NULL);
	struct snapshot *pinned = slot_acquire(&slot);
	slot_swap(&slot, build());
	ck_assert_uint_eq(slot_live(&slot), 2); /* the old one is pinned */
	ck_assert_uint_eq(seen.calls, 0);
	snapshot_unref(pinned);
	wait_calls(1);
	ck_assert(!pthread_equal(seen.last, pthread_self()));
	ck_assert_uint_eq(slot_live(&slot), 1);
	slot_destroy(&slot);
	ck_assert_uint_eq(slot_live(&slot), 0);
	ck_assert(!pthread_equal(seen.last, pthread_self()));
}
END_TEST

/* Two slots, two reapers: each frees only what it installed, and counts
 * only that. */
START_TEST(each_slot_owns_its_reaper)
{
	struct snapshot_slot one, two;
	ck_assert_int_eq(slot_init(&one, build()), 0);
	ck_assert_int_eq(slot_init(&two, build()), 0);
	slot_reaper_hook(&two, hook, NULL);
	slot_swap(&one, build());
	slot_swap(&one, build());
	slot_destroy(&one);
	ck_assert_uint_eq(slot_live(&one), 0);
	ck_assert_uint_eq(slot_live(&two), 1);
	ck_assert_uint_eq(seen.calls, 0); /* one's reaper has no hook */
	slot_destroy(&two);
	ck_assert_uint_eq(slot_live(&two), 0);
	ck_assert_uint_eq(seen.calls, 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("reaper");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, last_unref_on_a_request_thread_freed_by_the_reaper);
	tcase_add_test(tc, stop_drains_the_queue);
	tcase_add_test(tc, slot_swap_and_destroy_go_through_the_reaper);
	tcase_add_test(tc, each_slot_owns_its_reaper);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

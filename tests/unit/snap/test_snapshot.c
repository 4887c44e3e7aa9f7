/* SPDX-License-Identifier: BSD-2-Clause */
/* The snapshot reaper: the last reference dropped on a request thread only
 * queues the snapshot; the reaper thread frees it; stop frees what is
 * queued. Every wait is on a condition variable, never a sleep. */
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
	snapshot_reaper_hook(hook, NULL);
	ck_assert_int_eq(snapshot_reaper_start(), 0);
	struct snapshot *s = build();
	ck_assert_uint_eq(snapshot_live(), 1);
	/* a request pins it; the reload drops the slot's reference */
	snapshot_ref(s);
	snapshot_unref(s);
	ck_assert_uint_eq(snapshot_live(), 1);
	pthread_t req;
	ck_assert_int_eq(pthread_create(&req, NULL, request_thread, s), 0);
	ck_assert_int_eq(pthread_join(req, NULL), 0);
	wait_calls(1);
	pthread_mutex_lock(&seen.lock);
	pthread_t freer = seen.last;
	pthread_mutex_unlock(&seen.lock);
	ck_assert(!pthread_equal(freer, req));
	ck_assert(!pthread_equal(freer, pthread_self()));
	ck_assert_uint_eq(snapshot_live(), 0);
	snapshot_reaper_stop();
	ck_assert_uint_eq(seen.calls, 1);
}
END_TEST

/* stop frees what is still queued: the reaper is held in the hook while
 * two more snapshots are released, then stopped. */
START_TEST(stop_drains_the_queue)
{
	snapshot_reaper_hook(hook, NULL);
	ck_assert_int_eq(snapshot_reaper_start(), 0);
	struct snapshot *a = build(), *b = build(), *c = build();
	ck_assert_uint_eq(snapshot_live(), 3);
	set_gate(true);
	snapshot_unref(a);
	wait_calls(1); /* the reaper freed a and waits at the gate */
	snapshot_unref(b);
	snapshot_unref(c);
	ck_assert_uint_eq(snapshot_live(), 2); /* queued, not freed */
	set_gate(false);
	snapshot_reaper_stop();
	ck_assert_uint_eq(snapshot_live(), 0);
	ck_assert_uint_ge(seen.calls, 2);
	/* after stop, the last release frees in place, on its own thread */
	unsigned before = seen.calls;
	struct snapshot *d = build();
	snapshot_unref(d);
	ck_assert_uint_eq(snapshot_live(), 0);
	ck_assert_uint_eq(seen.calls, before + 1);
	ck_assert(pthread_equal(seen.last, pthread_self()));
}
END_TEST

/* The slot: a swap hands the old snapshot to the reaper, destroy too. */
START_TEST(slot_swap_and_destroy_go_through_the_reaper)
{
	snapshot_reaper_hook(hook, NULL);
	ck_assert_int_eq(snapshot_reaper_start(), 0);
	struct snapshot_slot slot;
	slot_init(&slot, build());
	struct snapshot *pinned = slot_acquire(&slot);
	slot_swap(&slot, build());
	ck_assert_uint_eq(snapshot_live(), 2); /* the old one is pinned */
	ck_assert_uint_eq(seen.calls, 0);
	snapshot_unref(pinned);
	wait_calls(1);
	ck_assert(!pthread_equal(seen.last, pthread_self()));
	ck_assert_uint_eq(snapshot_live(), 1);
	slot_destroy(&slot);
	snapshot_reaper_stop();
	ck_assert_uint_eq(snapshot_live(), 0);
	ck_assert(!pthread_equal(seen.last, pthread_self()));
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
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

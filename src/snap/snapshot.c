/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snap/access.h"
#include "util/err.h"
#include "util/log.h"
#include "snap/snapshot.h"

static atomic_uint live; /* snapshots built and not yet freed */

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int snapshot_build(struct conf *c, struct snapshot **out, struct diag *diag)
{
	double t0 = now_seconds();
	struct snapshot *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return ALTOD_ENOMEM;
	/* a maps file that cannot be read is reported where altod.yaml names it */
	const char **readable = calloc(c->nmaps ? c->nmaps : 1, sizeof(char *));
	size_t nreadable = 0;
	bool missing = false;
	if (readable == NULL) {
		free(s);
		return ALTOD_ENOMEM;
	}
	for (size_t i = 0; i < c->nmaps; i++) {
		struct stat st;
		int fd = open(c->maps[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO must not block */
		const char *why = fd < 0                 ? strerror(errno)
		                  : fstat(fd, &st) != 0  ? strerror(errno)
		                  : !S_ISREG(st.st_mode) ? "not a regular file"
		                                         : NULL;
		if (fd >= 0)
			close(fd);
		if (why) {
			diag_add(diag, c->path, c->maps_at ? c->maps_at[i].line : 0, c->maps_at ? c->maps_at[i].col : 0,
			         "maps file %s: cannot read: %s", c->maps[i], why);
			missing = true;
		} else {
			readable[nreadable++] = c->maps[i];
		}
	}
	/* the readable ones are still checked, so every error is reported */
	int rc = topo_load(readable, nreadable, &s->topo, diag);
	free(readable);
	if (rc == 0 && missing) {
		topo_free(s->topo);
		s->topo = NULL;
		rc = ALTOD_ECONFIG;
	}
	struct policy *policy = c->access;
	c->access = NULL;
	if (rc == 0 && policy)
		rc = access_build(policy, s->topo, &s->access, diag);
	else if (rc == 0)
		rc = catalog_build_topo(s->topo, &s->cat, diag);
	else
		policy_free(policy);
	if (rc != 0) {
		topo_free(s->topo);
		free(s);
		return rc;
	}
	atomic_init(&s->refs, 1);
	atomic_fetch_add(&live, 1);
	s->limits = c->limits;
	s->load_seconds = now_seconds() - t0;
	*out = s;
	return 0;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

/* The reaper: the thread that frees snapshots. A request thread that
 * drops the last reference to a replaced snapshot only queues it: freeing
 * a large topology and handing the memory back to the system (malloc_trim)
 * takes long enough to stall the requests queued behind it. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct snapshot *head; /* queued, through reap_next */
	pthread_t thread;
	bool running;  /* the thread takes what is queued */
	bool stopping; /* drain the queue, then end */
	void (*hook)(void *arg);
	void *hook_arg;
} reaper = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void snapshot_free(struct snapshot *s)
{
	catalog_free(s->cat);
	access_free(s->access);
	topo_free(s->topo);
	free(s);
	atomic_fetch_sub(&live, 1);
}

/* glibc keeps what a snapshot freed in its arenas: hand it back, or RSS
 * grows with every reload (190 to 538 MiB over four reloads of 'huge') */
static void give_back(void)
{
	malloc_trim(0);
	pthread_mutex_lock(&reaper.lock);
	void (*hook)(void *) = reaper.hook;
	void *arg = reaper.hook_arg;
	pthread_mutex_unlock(&reaper.lock);
	if (hook)
		hook(arg);
}

static void *reap(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&reaper.lock);
	for (;;) {
		while (reaper.head == NULL && !reaper.stopping)
			pthread_cond_wait(&reaper.cond, &reaper.lock);
		struct snapshot *batch = reaper.head;
		reaper.head = NULL;
		if (batch == NULL) { /* stopping, and nothing left */
			reaper.running = false;
			break;
		}
		pthread_mutex_unlock(&reaper.lock);
		while (batch) {
			struct snapshot *next = batch->reap_next;
			snapshot_free(batch);
			batch = next;
		}
		give_back();
		pthread_mutex_lock(&reaper.lock);
	}
	pthread_mutex_unlock(&reaper.lock);
	return NULL;
}

int snapshot_reaper_start(void)
{
	pthread_mutex_lock(&reaper.lock);
	int rc = 0;
	if (!reaper.running) {
		reaper.stopping = false;
		rc = pthread_create(&reaper.thread, NULL, reap, NULL) == 0 ? 0 : ALTOD_ENOMEM;
		reaper.running = rc == 0;
	}
	pthread_mutex_unlock(&reaper.lock);
	return rc;
}

void snapshot_reaper_stop(void)
{
	pthread_mutex_lock(&reaper.lock);
	if (!reaper.running || reaper.stopping) {
		pthread_mutex_unlock(&reaper.lock);
		return;
	}
	reaper.stopping = true;
	pthread_cond_signal(&reaper.cond);
	pthread_t t = reaper.thread;
	pthread_mutex_unlock(&reaper.lock);
	/* it frees everything queued, even what is queued meanwhile, and
	 * clears `running` before it ends: later releases free in place */
	pthread_join(t, NULL);
	pthread_mutex_lock(&reaper.lock);
	reaper.stopping = false;
	pthread_mutex_unlock(&reaper.lock);
}

void snapshot_reaper_hook(void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&reaper.lock);
	reaper.hook = fn;
	reaper.hook_arg = arg;
	pthread_mutex_unlock(&reaper.lock);
}

unsigned snapshot_live(void)
{
	return atomic_load(&live);
}

void snapshot_unref(struct snapshot *s)
{
	if (s == NULL)
		return;
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	pthread_mutex_lock(&reaper.lock);
	bool queued = reaper.running;
	if (queued) {
		s->reap_next = reaper.head;
		reaper.head = s;
		pthread_cond_signal(&reaper.cond);
	}
	pthread_mutex_unlock(&reaper.lock);
	if (!queued) { /* no reaper (altod -t, before start, after stop) */
		snapshot_free(s);
		give_back();
	}
}

void snapshot_summary(const struct snapshot *s, char *out, size_t len)
{
	size_t pids = 0, prefixes = 0, pairs = 0;
	const struct topo *t = s->topo;

	for (uint32_t i = 0; i < t->nnetmaps; i++) {
		pids += t->netmaps[i].npids;
		prefixes += t->netmaps[i].nprefixes;
		for (uint32_t k = 0; k < t->netmaps[i].nmetrics; k++)
			pairs += t->netmaps[i].metrics[k].nentries;
	}
	int n = snprintf(out, len,
	                 "%u network maps, %zu PIDs, %zu prefixes, %zu cost pairs, %zu resources, "
	                 "loaded in %.3f s; vtags:",
	                 t->nnetmaps, pids, prefixes, pairs, s->cat ? s->cat->nres : s->access->universe->nres,
	                 s->load_seconds);
	for (uint32_t i = 0; i < t->nnetmaps && n > 0 && (size_t)n < len; i++)
		n += snprintf(out + n, len - (size_t)n, " %s=%.16s", t->netmaps[i].id, t->netmaps[i].vtag);
}

void slot_init(struct snapshot_slot *slot, struct snapshot *first)
{
	pthread_mutex_init(&slot->lock, NULL);
	slot->cur = first;
}

struct snapshot *slot_acquire(struct snapshot_slot *slot)
{
	pthread_mutex_lock(&slot->lock);
	struct snapshot *s = snapshot_ref(slot->cur);
	pthread_mutex_unlock(&slot->lock);
	return s;
}

void slot_swap(struct snapshot_slot *slot, struct snapshot *next)
{
	pthread_mutex_lock(&slot->lock);
	struct snapshot *old = slot->cur;
	slot->cur = next;
	pthread_mutex_unlock(&slot->lock);
	snapshot_unref(old);
}

void slot_destroy(struct snapshot_slot *slot)
{
	snapshot_unref(slot->cur);
	slot->cur = NULL;
	pthread_mutex_destroy(&slot->lock);
}

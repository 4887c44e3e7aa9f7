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

#include "topo/load.h"
#include "snap/access.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "snap/snapshot.h"
#include "snap/updates.h"

int snapshot_build(struct conf *c, struct snapshot **out, struct diag *diag)
{
	double t0 = clock_mono_s();
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
	s->limits = c->limits;
	s->upd_conf = c->updates;
	s->load_seconds = clock_mono_s() - t0;
	*out = s;
	return 0;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

static void snapshot_free(struct snapshot *s)
{
	updates_free(s->updates);
	catalog_free(s->cat);
	access_free(s->access);
	topo_free(s->topo);
	free(s);
}

/* glibc keeps what a snapshot freed in its arenas: hand it back, or RSS
 * grows with every reload (190 to 538 MiB over four reloads of 'huge') */
static void give_back(struct snapshot_reaper *r)
{
	malloc_trim(0);
	pthread_mutex_lock(&r->lock);
	void (*hook)(void *) = r->hook;
	void *arg = r->hook_arg;
	pthread_mutex_unlock(&r->lock);
	if (hook)
		hook(arg);
}

static void *reap(void *arg)
{
	struct snapshot_reaper *r = arg;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (r->head == NULL && !r->stopping)
			pthread_cond_wait(&r->cond, &r->lock);
		struct snapshot *batch = r->head;
		r->head = NULL;
		if (batch == NULL) { /* stopping, and nothing left */
			r->running = false;
			break;
		}
		pthread_mutex_unlock(&r->lock);
		while (batch) {
			struct snapshot *next = batch->reap_next;
			snapshot_free(batch);
			atomic_fetch_sub(&r->live, 1);
			batch = next;
		}
		give_back(r);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

void snapshot_unref(struct snapshot *s)
{
	if (s == NULL)
		return;
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	struct snapshot_reaper *r = s->reaper;
	bool queued = false;
	if (r) {
		pthread_mutex_lock(&r->lock);
		queued = r->running;
		if (queued) {
			s->reap_next = r->head;
			r->head = s;
			pthread_cond_signal(&r->cond);
		}
		pthread_mutex_unlock(&r->lock);
	}
	if (!queued) { /* never installed (altod -t, a failed reload) */
		snapshot_free(s);
		if (r)
			atomic_fetch_sub(&r->live, 1);
		malloc_trim(0);
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
	                 "loaded in %.3f s;",
	                 t->nnetmaps, pids, prefixes, pairs, s->cat ? s->cat->nres : s->access->universe->nres,
	                 s->load_seconds);
	const struct updates *u = s->updates;
	if (u && n > 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n,
		              " updates history: %zu versions, %zu bytes of patches, built in %.3f s (patches %.3f s), "
		              "%zu resources changed (merge patches %zu bytes of %zu; JSON patches %zu bytes of %zu);",
		              u->versions, u->bytes, u->build_seconds, u->patch_seconds, u->changed, u->new_merge_bytes,
		              u->new_body_bytes, u->new_jp_bytes, u->new_jp_bodies);
	if (n > 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, " vtags:");
	for (uint32_t i = 0; i < t->nnetmaps && n > 0 && (size_t)n < len; i++)
		n += snprintf(out + n, len - (size_t)n, " %s=%.16s", t->netmaps[i].id, t->netmaps[i].vtag);
}

int slot_init(struct snapshot_slot *slot, struct snapshot *first)
{
	struct snapshot_reaper *r = &slot->reaper;
	memset(slot, 0, sizeof(*slot));
	pthread_mutex_init(&slot->lock, NULL);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	atomic_init(&r->live, 0);
	/* running before the thread exists: a release meanwhile is queued */
	r->running = true;
	if (pthread_create(&r->thread, NULL, reap, r) != 0) {
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		pthread_mutex_destroy(&slot->lock);
		return ALTOD_ENOMEM;
	}
	first->reaper = r;
	atomic_fetch_add(&r->live, 1);
	slot->cur = first;
	return 0;
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
	next->reaper = &slot->reaper;
	atomic_fetch_add(&slot->reaper.live, 1);
	pthread_mutex_lock(&slot->lock);
	struct snapshot *old = slot->cur;
	slot->cur = next;
	pthread_mutex_unlock(&slot->lock);
	snapshot_unref(old);
}

void slot_destroy(struct snapshot_slot *slot)
{
	struct snapshot_reaper *r = &slot->reaper;
	snapshot_unref(slot->cur);
	slot->cur = NULL;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	/* it frees everything queued, even what is queued meanwhile, and
	 * clears `running` before it ends */
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&slot->lock);
}

unsigned slot_live(const struct snapshot_slot *slot)
{
	return atomic_load(&slot->reaper.live);
}

void slot_reaper_hook(struct snapshot_slot *slot, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&slot->reaper.lock);
	slot->reaper.hook = fn;
	slot->reaper.hook_arg = arg;
	pthread_mutex_unlock(&slot->reaper.lock);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A snapshot is everything a request reads: the topology and its catalog
 * with the rendered bodies. It is immutable and reference counted; a
 * request pins the snapshot it started on (snapshot_ref) and releases it
 * when its response is done, so a reload can swap in a new one at any time.
 * Whichever reader finishes last hands the old one to the reaper thread,
 * which frees it: request threads never free a topology (nor malloc_trim).
 */
#ifndef ALTOD_SNAPSHOT_H
#define ALTOD_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>

#include "alto/catalog.h"
#include "conf/conf.h"
#include "topo/topo.h"

struct snapshot_access;

struct snapshot {
	atomic_uint refs;
	struct topo *topo;
	struct catalog *cat;            /* everything, for everyone: no access section */
	struct snapshot_access *access; /* with an access section (cat is then NULL) */
	struct conf_limits limits;      /* the per-request limits of the config it came with */
	double load_seconds;
	struct snapshot *reap_next; /* in the reaper's queue */
};

/* Loads every maps file of the config and builds the catalog(s). Takes the
 * config's access policy over (c->access is NULL afterwards). */
int snapshot_build(struct conf *c, struct snapshot **out, struct diag *diag);
struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);
/* The reaper thread: from start to stop, the last snapshot_unref of a
 * snapshot queues it and the reaper frees it (then malloc_trim). stop
 * frees everything still queued and joins; without a reaper, the last
 * snapshot_unref frees in place. 0, or ALTOD_ENOMEM. */
int snapshot_reaper_start(void);
void snapshot_reaper_stop(void);
/* Tests: fn(arg) runs on the thread that freed, after each batch freed. */
void snapshot_reaper_hook(void (*fn)(void *arg), void *arg);
/* Snapshots built and not freed yet (queued ones included). */
unsigned snapshot_live(void);
/* One line: maps, PIDs, prefixes, cost pairs, load time, vtags. */
void snapshot_summary(const struct snapshot *s, char *out, size_t len);

/* The live snapshot, swapped atomically by reload. */
struct snapshot_slot {
	pthread_mutex_t lock;
	struct snapshot *cur;
};

void slot_init(struct snapshot_slot *slot, struct snapshot *first);
/* A new reference to the live snapshot (never NULL once initialized). */
struct snapshot *slot_acquire(struct snapshot_slot *slot);
/* Installs next and releases the slot's reference to the previous one. */
void slot_swap(struct snapshot_slot *slot, struct snapshot *next);
void slot_destroy(struct snapshot_slot *slot);

#endif

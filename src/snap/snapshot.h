/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A snapshot is everything a request reads: the topology and its catalog
 * with the rendered bodies. It is immutable and reference counted; a
 * request pins the snapshot it started on (snapshot_ref) and releases it
 * when its response is done, so a reload can swap in a new one at any time.
 * A snapshot installed in a slot belongs to that slot's reaper: whichever
 * reader finishes last hands it to the reaper thread, which frees it, so
 * request threads never free a topology (nor malloc_trim). One never
 * installed (altod -t, a reload that failed) is freed in place.
 */
#ifndef ALTOD_SNAPSHOT_H
#define ALTOD_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "alto/catalog.h"
#include "conf/conf.h"
#include "topo/topo.h"

struct snapshot_access;
struct updates;

struct snapshot {
	atomic_uint refs;
	struct topo *topo;
	struct catalog *cat;            /* everything, for everyone: no access section */
	struct snapshot_access *access; /* with an access section (cat is then NULL) */
	struct conf_limits limits;      /* the per-request limits of the config it came with */
	struct conf_updates upd_conf;   /* its updates: section (TIPS and update stream limits) */
	struct updates *updates;        /* the versions of its GET resources (updates_build); NULL: none */
	double load_seconds;
	struct snapshot_reaper *reaper; /* set by the slot that installs it; NULL: freed in place */
	struct snapshot *reap_next;     /* in the reaper's queue */
};

/* Loads every maps file of the config and builds the catalog(s). Takes the
 * config's access policy over (c->access is NULL afterwards). */
int snapshot_build(struct conf *c, struct snapshot **out, struct diag *diag);
struct snapshot *snapshot_ref(struct snapshot *s);
/* The last release of an installed snapshot queues it for its reaper (or
 * frees it, once that reaper has stopped); of any other, frees it. */
void snapshot_unref(struct snapshot *s);
/* One line: maps, PIDs, prefixes, cost pairs, load time, the updates
 * history (if built), vtags. */
void snapshot_summary(const struct snapshot *s, char *out, size_t len);

/* The thread that frees the snapshots of a slot. A request thread that
 * drops the last reference to a replaced snapshot only queues it: freeing
 * a large topology and handing the memory back to the system (malloc_trim)
 * takes long enough to stall the requests queued behind it. */
struct snapshot_reaper {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct snapshot *head; /* queued, through reap_next */
	pthread_t thread;
	bool running;     /* the thread takes what is queued */
	bool stopping;    /* drain the queue, then end */
	atomic_uint live; /* installed and not freed yet (queued ones included) */
	void (*hook)(void *arg);
	void *hook_arg;
};

/* The live snapshot, swapped atomically by reload, and the reaper that
 * frees the ones it replaced. */
struct snapshot_slot {
	pthread_mutex_t lock;
	struct snapshot *cur;
	struct snapshot_reaper reaper;
};

/* Starts the slot's reaper thread and installs first (the slot takes the
 * caller's reference). 0, or ALTOD_ENOMEM: nothing started, first not
 * taken. */
int slot_init(struct snapshot_slot *slot, struct snapshot *first);
/* A new reference to the live snapshot (never NULL once initialized). */
struct snapshot *slot_acquire(struct snapshot_slot *slot);
/* Installs next and releases the slot's reference to the previous one. */
void slot_swap(struct snapshot_slot *slot, struct snapshot *next);
/* Releases the live snapshot, stops the reaper once it has freed
 * everything queued (even what is queued meanwhile) and joins it. Every
 * other reference must be gone (the server stopped). */
void slot_destroy(struct snapshot_slot *slot);
/* Snapshots installed in the slot and not freed yet (queued ones
 * included); still readable after slot_destroy. */
unsigned slot_live(const struct snapshot_slot *slot);
/* Tests: fn(arg) runs on the thread that freed, after each batch freed. */
void slot_reaper_hook(struct snapshot_slot *slot, void (*fn)(void *arg), void *arg);

#endif

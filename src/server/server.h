/* SPDX-License-Identifier: BSD-2-Clause */
/* The HTTP front end: one libmicrohttpd daemon per listener. */
#ifndef ALTOD_SERVER_H
#define ALTOD_SERVER_H

#include "conf/conf.h"
#include "snap/snapshot.h"
#include "server/metrics.h"
#include "server/tls.h"

struct server;

/* Binds every listener and starts serving from the slot. tls[i] is the TLS
 * state of listener i (NULL: plain HTTP); the server takes them over. It
 * counts into m (NULL: nowhere), which must outlive it.
 * Returns 0, or ALTOD_ELISTEN with the reason logged. */
int server_start(const struct conf *c, struct snapshot_slot *slot, struct tls_state **tls, struct metrics *m,
                 struct server **out);
/* Logs the per-client counters (SIGUSR1). */
void server_log_stats(struct server *s);
/* Installs reloaded TLS states (taken over; listener order as at start). */
void server_set_tls(struct server *s, struct tls_state **tls);
/* A reload installed a new snapshot (and its updates history): wakes the
 * requests waiting for the next version of a resource. */
void server_snapshot_changed(struct server *s);
/* Makes libmicrohttpd's panics (internal errors it cannot go on from)
 * log where and why through altod's logger, as errors, before they abort.
 * Once, before any daemon starts. */
void server_install_panic(void);
/* Stops accepting, lets in-flight requests finish for up to grace_ms, stops. */
void server_stop(struct server *s, unsigned grace_ms);

#endif

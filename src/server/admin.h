/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The admin listener (altod.yaml `admin`): a libmicrohttpd daemon of its
 * own, apart from the ALTO listeners, serving /metrics (Prometheus text
 * format 0.0.4), /healthz (the process answers) and /readyz (a snapshot
 * is serving). It starts before the maps are
 * loaded, so /healthz answers and /readyz says 503 during a long first
 * load. Plain HTTP on the loopback, or HTTPS with Basic credentials.
 */
#ifndef ALTOD_ADMIN_H
#define ALTOD_ADMIN_H

#include <stdbool.h>

#include "conf/adminconf.h"
#include "server/metrics.h"
#include "server/server.h"
#include "snap/snapshot.h"

struct admin;

/* Binds and starts the admin listener of a (checked by admin_check);
 * not ready yet. 0, or ALTOD_ELISTEN with the reason logged. */
int admin_start(const struct conf *c, struct metrics *m, struct admin **out);
/* Loads the admin tls files as a start would; errors go to d at the
 * section's place. 0: fine, or no admin tls. */
int admin_check(const struct conf *c, struct diag *d);
/* From now on a snapshot serves from slot (and srv counts). */
void admin_serving(struct admin *a, struct snapshot_slot *slot, struct server *srv);
/* Stops it; before the server and the slot it reads are. */
void admin_stop(struct admin *a);

/* /healthz and /readyz, for the ALTO listeners too: the status for path
 * (0: neither) and its plain-text body. They reveal nothing else. */
unsigned health_answer(const char *path, bool ready, const char **body);

#endif

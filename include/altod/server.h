/* SPDX-License-Identifier: BSD-2-Clause */
/* The HTTP front end: one libmicrohttpd daemon per listener. */
#ifndef ALTOD_SERVER_H
#define ALTOD_SERVER_H

#include "altod/conf.h"
#include "altod/snapshot.h"

struct server;

/* Binds every listener and starts serving from the slot. Returns 0, or
 * ALTOD_ELISTEN with the reason logged. */
int server_start(const struct conf *c, struct snapshot_slot *slot, struct server **out);
/* Stops accepting, lets in-flight requests finish for up to grace_ms, stops. */
void server_stop(struct server *s, unsigned grace_ms);

#endif

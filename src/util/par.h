/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Runs independent tasks on every CPU: the load-time work of a snapshot
 * (rendering whole maps, compressing them) is embarrassingly parallel.
 */
#ifndef ALTOD_PAR_H
#define ALTOD_PAR_H

#include <stddef.h>

/* Calls fn(ctx, i) for every i in [0, n), on up to par_threads() threads
 * (the caller's among them); returns when all are done. Tasks must not
 * depend on each other. */
void par_for(size_t n, void (*fn)(void *ctx, size_t i), void *ctx);
/* Online CPUs, 1..16. */
unsigned par_threads(void);

#endif

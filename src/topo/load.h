/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The maps loader: YAML maps files (docs/configuration.md, "Maps files") to
 * a struct topo, read with the conf layer's pull parser, every item with
 * its file:line:column, checked as a whole.
 */
#ifndef ALTOD_TOPO_LOAD_H
#define ALTOD_TOPO_LOAD_H

#include <stddef.h>

#include "topo/topo.h"
#include "util/diag.h"

/* Loads every maps file; on any error reports them all into diag and
 * returns ALTOD_ECONFIG with *out NULL: nothing is ever half-loaded. */
int topo_load(const char *const *paths, size_t npaths, struct topo **out, struct diag *diag);
/* The same over in-memory documents (tests and fuzzing). */
int topo_load_mem(const char *const *names, const char *const *texts, size_t n, struct topo **out, struct diag *diag);

#endif

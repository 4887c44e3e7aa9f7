/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Property maps (RFC 9240 §7, §8): one per network map that has entity
 * properties, GET in full and POST filtered; their directory capabilities.
 */
#ifndef ALTOD_ALTO_PROPMAP_H
#define ALTOD_ALTO_PROPMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "alto/catalog.h"
#include "alto/errbody.h"
#include "alto/request.h"
#include "util/buf.h"

/* RFC 9240 §12.2 */
#define MT_PROPMAP "application/alto-propmap+json"
#define MT_PROPMAPPARAMS "application/alto-propmapparams+json"

/* Does nm's property map use its "<map>.pid" domain (and so depend on the
 * network map: "uses" and "dependent-vtags")? */
bool propmap_uses_netmap(const struct topo_netmap *nm);
/* The full property map of nm (§7.6). */
char *render_propmap(const struct topo_netmap *nm, size_t *len);
/* `"mappings":{...}` (§7.4): per entity domain, the properties defined. */
void render_propmap_mappings(struct buf *b, const struct topo_netmap *nm);
/* A filtered property map request (§8.3) to its answer (§8.6); NULL with
 * err->code set for a bad request, else out of memory. */
char *propmap_answer(const struct resource *r, const char *body, size_t len, const struct request_limits *lim,
                     size_t *out_len, struct alto_error *err);

#endif

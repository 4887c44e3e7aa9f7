/* SPDX-License-Identifier: BSD-2-Clause */
/* Rendering of whole resources at load time (network maps, cost maps),
 * and of their shared pieces (vtags, cost types). */
#ifndef ALTOD_ALTO_RENDER_H
#define ALTOD_ALTO_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alto/catalog.h"
#include "util/buf.h"

/* The IRD's name for a cost type: "num-routingcost", "ord-hopcount". */
void cost_type_name(const struct cost_type *ct, struct buf *b);

char *render_networkmap(const struct topo_netmap *nm, size_t *len);
char *render_costmap(const struct topo_netmap *nm, const struct cost_type *ct, size_t *len);
void render_vtag(struct buf *b, const struct topo_netmap *nm);
void render_cost_type(struct buf *b, const struct cost_type *ct);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Rendering pieces shared by whole-resource rendering and the services. */
#ifndef ALTOD_RENDER_INTERNAL_H
#define ALTOD_RENDER_INTERNAL_H

#include "alto/render.h"
#include "alto/request.h"

void render_pid_addrs(struct buf *b, const struct topo_pid *p, const bool family[2]);
void render_networkmap_into(struct buf *b, const struct topo_netmap *nm, const uint32_t *pids, size_t npids,
                            const bool family[2]);
void render_costmap_meta(struct buf *b, const struct topo_netmap *nm, const struct cost_type *ct);
int render_costmap_into(struct buf *b, const struct topo_netmap *nm, const struct cost_type *ct, const uint32_t *srcs,
                        size_t nsrcs, const uint32_t *dsts, size_t ndsts, const struct constraint_set *cons);

#endif

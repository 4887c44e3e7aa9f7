/* SPDX-License-Identifier: BSD-2-Clause */
/* Rendering pieces shared by whole-resource rendering and the services. */
#ifndef ALTOD_RENDER_INTERNAL_H
#define ALTOD_RENDER_INTERNAL_H

#include "alto/render.h"
#include "alto/request.h"

/* The numerical cost of entry e of m: its text rendered with the metric,
 * copied (topo_metric_texts), or rendered here where there is none. */
static inline void render_cost(struct buf *b, const struct topo_metric *m, uint32_t e)
{
	if (m->vtext == NULL) {
		jw_num(b, m->val[e]);
		return;
	}
	size_t n;
	const char *t = topo_cost_text(m, e, &n);
	buf_append(b, t, n);
}

/* PID pid's name as a JSON string: rendered with the map, copied. */
static inline void render_pid_name(struct buf *b, const struct topo_netmap *nm, uint32_t pid)
{
	if (nm->qnames == NULL) {
		jw_str(b, nm->pids[pid].name);
		return;
	}
	buf_append(b, nm->qnames + nm->qoff[pid], nm->qoff[pid + 1] - nm->qoff[pid]);
}

void render_pid_addrs(struct buf *b, const struct topo_pid *p, const bool family[2]);
void render_networkmap_into(struct buf *b, const struct topo_netmap *nm, const uint32_t *pids, size_t npids,
                            const bool family[2]);
void render_costmap_meta(struct buf *b, const struct topo_netmap *nm, const struct cost_type *ct);
int render_costmap_into(struct buf *b, const struct topo_netmap *nm, const struct cost_type *ct, const uint32_t *srcs,
                        size_t nsrcs, const uint32_t *dsts, size_t ndsts, const struct constraint_set *cons);

#endif

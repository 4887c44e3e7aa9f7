/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Views: a tenant-facing network map built from another (some PIDs kept,
 * the rest behind one catch-all, names optionally opaque, metrics and
 * modes filtered, ranks recomputed within the view).
 */
#ifndef ALTOD_TOPO_VIEW_H
#define ALTOD_TOPO_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topo/props.h"
#include "topo/topo.h"
#include "util/diag.h"

/* What a view keeps of its network map (see view.c). */
struct topo_view_spec {
	const char *id;
	const char *file; /* where it is defined, for messages */
	uint32_t line, col;
	const char *const *pids;
	const uint32_t *pid_lines, *pid_cols;
	size_t npids;
	const char *catch_all;
	bool opaque;
	const uint8_t *secret; /* 32 bytes */
	/* the modes a metric is offered in (bits of 1 << cost_mode), 0: hidden */
	uint8_t (*modes_of)(void *ctx, const char *metric);
	void *ctx;
	struct topo_props_view_spec props; /* RFC 9240 properties shown (n 0: none) */
};

int topo_view_build(const struct topo_netmap *base, const struct topo_view_spec *spec, struct topo_netmap *out,
                    struct diag *d);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Rendering of whole resources, done once per snapshot at load time. */
#include <stdlib.h>
#include <string.h>

#include "alto/render.h"
#include "alto/render_internal.h"
#include "util/err.h"

void render_vtag(struct buf *b, const struct topo_netmap *nm)
{
	buf_puts(b, "{\"resource-id\":");
	jw_str(b, nm->id);
	buf_puts(b, ",\"tag\":");
	jw_str(b, nm->vtag);
	buf_putc(b, '}');
}

void render_cost_type(struct buf *b, const struct cost_type *ct)
{
	buf_puts(b, "{\"cost-mode\":");
	jw_str(b, cost_mode_name(ct->mode));
	buf_puts(b, ",\"cost-metric\":");
	jw_str(b, ct->metric->name);
	if (ct->metric->source != COST_SOURCE_NONE) {
		/* RFC 9439 §2.1: where the values come from */
		buf_puts(b, ",\"cost-context\":{\"cost-source\":");
		jw_str(b, cost_source_name((enum cost_source)ct->metric->source));
		if (ct->metric->params) {
			buf_puts(b, ",\"parameters\":");
			buf_puts(b, ct->metric->params);
		}
		buf_putc(b, '}');
	}
	buf_putc(b, '}');
}

void cost_type_name(const struct cost_type *ct, struct buf *b)
{
	buf_puts(b, ct->mode == COST_ORDINAL ? "ord-" : "num-");
	buf_puts(b, ct->metric->name);
}

void render_pid_addrs(struct buf *b, const struct topo_pid *p, const bool family[2])
{
	buf_putc(b, '{');
	bool first_fam = true;
	for (int f = 0; f < 2; f++) {
		uint32_t from = f == 0 ? 0 : p->nv4;
		uint32_t to = f == 0 ? p->nv4 : p->nprefixes;
		if (!family[f] || from == to)
			continue;
		if (!first_fam)
			buf_putc(b, ',');
		first_fam = false;
		buf_puts(b, f == 0 ? "\"ipv4\":[" : "\"ipv6\":[");
		for (uint32_t k = from; k < to; k++) {
			char s[IP_PREFIX_STRLEN];
			ip_prefix_format(&p->prefixes[k], s);
			if (k > from)
				buf_putc(b, ',');
			jw_str(b, s);
		}
		buf_putc(b, ']');
	}
	buf_putc(b, '}');
}

void render_networkmap_into(struct buf *b, const struct topo_netmap *nm, const uint32_t *pids, size_t npids,
                            const bool family[2])
{
	buf_puts(b, "{\"meta\":{\"vtag\":");
	render_vtag(b, nm);
	buf_puts(b, "},\"network-map\":{");
	size_t n = pids ? npids : nm->npids;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = pids ? pids[i] : (uint32_t)i;
		if (i > 0)
			buf_putc(b, ',');
		render_pid_name(b, nm, k);
		buf_putc(b, ':');
		render_pid_addrs(b, &nm->pids[k], family);
	}
	buf_puts(b, "}}");
}

char *render_networkmap(const struct topo_netmap *nm, size_t *len)
{
	static const bool all[2] = {true, true};
	struct buf b;

	buf_init(&b);
	buf_reserve(&b, nm->nprefixes * 24 + (size_t)nm->npids * 32 + 256);
	render_networkmap_into(&b, nm, NULL, 0, all);
	return buf_finish(&b, len);
}

/* The cost-map member of a (full or filtered) cost map. NULL srcs/dsts
 * mean every PID; both lists are sorted PID indices; NULL cons: no
 * constraints. */
int render_costmap_into(struct buf *b, const struct topo_netmap *nm, const struct cost_type *ct, const uint32_t *srcs,
                        size_t nsrcs, const uint32_t *dsts, size_t ndsts, const struct constraint_set *cons)
{
	const struct topo_metric *m = ct->metric;
	bool full = srcs == NULL && dsts == NULL;
	size_t ns = srcs ? nsrcs : nm->npids;

	/* select the entries: (src, entry index) in output order */
	size_t cap = full ? m->nentries : 0, n = 0;
	if (!full)
		for (size_t i = 0; i < ns; i++) {
			uint32_t s = srcs ? srcs[i] : (uint32_t)i;
			size_t row = m->row[s + 1] - m->row[s];
			cap += dsts ? (row < ndsts ? row : ndsts) : row;
		}
	uint32_t *sel = malloc((cap ? cap : 1) * sizeof(uint32_t));
	uint32_t *sel_src = malloc((cap ? cap : 1) * sizeof(uint32_t));
	if (!sel || !sel_src) {
		free(sel);
		free(sel_src);
		return ALTOD_ENOMEM;
	}
	for (size_t i = 0; i < ns; i++) {
		uint32_t s = srcs ? srcs[i] : (uint32_t)i;
		uint32_t e = m->row[s], end = m->row[s + 1];
		if (dsts == NULL) {
			for (; e < end; e++) {
				sel[n] = e;
				sel_src[n++] = s;
			}
			continue;
		}
		/* each destination looked up in the row (O(1) where the row is
		 * dense), not a walk along the whole row (2,000 entries at
		 * 'large' for 10 destinations); ascending destinations give
		 * ascending entries, the row's order */
		if (e == end)
			continue; /* no costs from s */
		for (size_t d = 0; d < ndsts; d++) {
			uint32_t hit = topo_cost_find(m, s, dsts[d]);
			if (hit != TOPO_NONE) {
				sel[n] = hit;
				sel_src[n++] = s;
			}
		}
	}

	/* ordinal, filtered: ranks among the costs of this answer (RFC 7285
	 * §6.1.2.2), the metric's own made dense again; the full map's are
	 * the metric's */
	uint32_t *rank = NULL;
	if (ct->mode == COST_ORDINAL && !full) {
		rank = malloc((n ? n : 1) * sizeof(uint32_t));
		if (rank)
			for (size_t i = 0; i < n; i++)
				rank[i] = m->rank[sel[i]];
		if (rank == NULL || topo_rerank(rank, n) != 0) {
			free(rank);
			free(sel);
			free(sel_src);
			return ALTOD_ENOMEM;
		}
	}

	buf_puts(b, "\"cost-map\":{");
	uint32_t cur = TOPO_NONE;
	bool any_row = false;
	for (size_t i = 0; i < n; i++) {
		uint32_t e = sel[i];
		double shown = ct->mode == COST_ORDINAL ? (double)(rank ? rank[i] : m->rank[e]) : m->val[e];
		/* constraints compare with the value in the requested mode */
		if (cons && !constraint_set_holds(cons, shown))
			continue;
		if (sel_src[i] != cur) {
			if (cur != TOPO_NONE)
				buf_putc(b, '}');
			if (any_row)
				buf_putc(b, ',');
			any_row = true;
			cur = sel_src[i];
			render_pid_name(b, nm, cur);
			buf_puts(b, ":{");
		} else {
			buf_putc(b, ',');
		}
		render_pid_name(b, nm, m->col[e]);
		buf_putc(b, ':');
		if (ct->mode == COST_ORDINAL)
			jw_uint(b, (uint64_t)shown);
		else
			render_cost(b, m, e);
	}
	if (cur != TOPO_NONE)
		buf_putc(b, '}');
	buf_putc(b, '}');
	free(rank);
	free(sel);
	free(sel_src);
	return 0;
}

void render_costmap_meta(struct buf *b, const struct topo_netmap *nm, const struct cost_type *ct)
{
	buf_puts(b, "{\"meta\":{\"dependent-vtags\":[");
	render_vtag(b, nm);
	buf_puts(b, "],\"cost-type\":");
	render_cost_type(b, ct);
	buf_puts(b, "},");
}

char *render_costmap(const struct topo_netmap *nm, const struct cost_type *ct, size_t *len)
{
	struct buf b;

	buf_init(&b);
	buf_reserve(&b, ct->metric->nentries * 16 + 256);
	render_costmap_meta(&b, nm, ct);
	if (render_costmap_into(&b, nm, ct, NULL, 0, NULL, 0, NULL) != 0) {
		buf_free(&b);
		return NULL;
	}
	buf_putc(&b, '}');
	return buf_finish(&b, len);
}

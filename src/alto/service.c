/* SPDX-License-Identifier: BSD-2-Clause */
/* The POST services: compute and render a response from parsed input. */
#include <stdlib.h>
#include <string.h>

#include "alto/arena.h"
#include "alto/propmap.h"
#include "alto/service.h"
#include "alto/render_internal.h"
#include "topo/props.h"

static char *filtered_networkmap(const struct resource *r, const struct request *req, size_t *len)
{
	struct buf b;

	buf_init(&b);
	/* §11.3.1.6: the vtag is the full map's */
	render_networkmap_into(&b, r->nm, req->all_srcs ? NULL : req->srcs, req->nsrcs, req->family);
	return buf_finish(&b, len);
}

static char *filtered_costmap(const struct resource *r, const struct request *req, size_t *len)
{
	struct buf b;

	buf_init(&b);
	render_costmap_meta(&b, r->nm, &req->ct);
	if (render_costmap_into(&b, r->nm, &req->ct, req->all_srcs ? NULL : req->srcs, req->nsrcs,
	                        req->all_dsts ? NULL : req->dsts, req->ndsts, &req->cons) != 0) {
		buf_free(&b);
		return NULL;
	}
	buf_putc(&b, '}');
	return buf_finish(&b, len);
}

static char *endpoint_property(const struct request *req, size_t *len)
{
	struct buf b;

	buf_init(&b);
	/* §11.4.1.6: the vtags of every network map whose pid is queried */
	buf_puts(&b, "{\"meta\":{\"dependent-vtags\":[");
	bool firstv = true;
	for (size_t i = 0; i < req->nprops; i++) {
		if (req->prop_idx[i] != PROP_NONE)
			continue; /* an entity property does not depend on the PIDs */
		if (!firstv)
			buf_putc(&b, ',');
		firstv = false;
		render_vtag(&b, req->props[i]);
	}
	buf_puts(&b, "]},\"endpoint-properties\":{");
	for (size_t e = 0; e < req->nesrcs; e++) {
		const struct endpoint *ep = &req->esrcs[e];
		if (e)
			buf_putc(&b, ',');
		jw_str(&b, ep->text);
		buf_puts(&b, ":{");
		bool first = true;
		for (size_t i = 0; i < req->nprops; i++) {
			const char *v;
			if (req->prop_idx[i] != PROP_NONE) {
				struct ip_prefix a = {.family = (uint8_t)ep->family,
				                      .len = (uint8_t)(ep->family == IP_V4 ? 32 : 128)};
				memcpy(a.addr, ep->addr, sizeof(a.addr));
				v = topo_props_ip(req->props[i]->props, &a, req->prop_idx[i]);
			} else {
				uint32_t pid = topo_lookup(req->props[i], ep->family, ep->addr);
				v = pid == TOPO_NONE ? NULL : req->props[i]->pids[pid].name;
			}
			if (v == NULL)
				continue; /* no value: omitted for this endpoint only */
			if (!first)
				buf_putc(&b, ',');
			first = false;
			jw_str(&b, req->prop_names[i]);
			buf_putc(&b, ':');
			jw_str(&b, v);
		}
		buf_putc(&b, '}');
	}
	buf_puts(&b, "}}");
	return buf_finish(&b, len);
}

/* §11.5.1: costs between endpoints, from the costs between their PIDs. */
static char *endpoint_cost(const struct resource *r, const struct request *req, size_t *len)
{
	const struct topo_netmap *nm = r->nm;
	const struct topo_metric *m = req->ct.metric;
	size_t ns = req->nesrcs, nd = req->nedsts;
	size_t pairs = ns * nd > 0 ? ns * nd : 1; /* bounded by request_limits */
	uint32_t *dpid = malloc((nd ? nd : 1) * sizeof(uint32_t));
	uint32_t *entry = malloc(pairs * sizeof(uint32_t));
	double *vals = malloc(pairs * sizeof(double));
	uint32_t *rank = NULL;
	size_t *koff = malloc((nd + 1) * sizeof(size_t));
	char *out = NULL;
	struct buf b, keys;

	buf_init(&b);
	buf_init(&keys);
	if (!dpid || !entry || !vals || !koff)
		goto done;
	/* each destination's `"text":` rendered once, copied for every source */
	for (size_t d = 0; d < nd; d++) {
		koff[d] = keys.len;
		jw_str(&keys, req->edsts[d].text);
		buf_putc(&keys, ':');
	}
	koff[nd] = keys.len;
	if (keys.oom)
		goto done;
	/* a hint only: costs may be filtered out or unmapped, so at most 1 MiB
	 * up front (a failed reserve would mark the buffer out of memory) */
	size_t hint = ns * (keys.len + nd * 8) + 256;
	buf_reserve(&b, hint < ((size_t)1 << 20) ? hint : ((size_t)1 << 20));
	for (size_t d = 0; d < nd; d++)
		dpid[d] = topo_lookup(nm, req->edsts[d].family, req->edsts[d].addr);
	size_t n = 0;
	for (size_t s = 0; s < ns; s++) {
		uint32_t sp = topo_lookup(nm, req->esrcs[s].family, req->esrcs[s].addr);
		for (size_t d = 0; d < nd; d++) {
			uint32_t e =
			        sp == TOPO_NONE || dpid[d] == TOPO_NONE ? TOPO_NONE : topo_cost_find(m, sp, dpid[d]);
			entry[s * nd + d] = e;
			if (e != TOPO_NONE)
				vals[n++] = m->val[e];
		}
	}
	/* ordinal: ranks among the m*n costs of this response (§6.2) */
	if (req->ct.mode == COST_ORDINAL) {
		rank = malloc((n ? n : 1) * sizeof(uint32_t));
		if (rank == NULL || topo_rank(vals, n, m->higher_is_better, rank) != 0)
			goto done;
	}
	buf_puts(&b, "{\"meta\":{\"cost-type\":");
	render_cost_type(&b, &req->ct);
	buf_puts(&b, "},\"endpoint-cost-map\":{");
	size_t k = 0;
	bool first_src = true;
	for (size_t s = 0; s < ns; s++) {
		bool opened = false;
		for (size_t d = 0; d < nd; d++) {
			uint32_t e = entry[s * nd + d];
			if (e == TOPO_NONE)
				continue;
			double shown = rank ? (double)rank[k] : m->val[e];
			k++;
			/* O(1): the constraints were folded into one interval at parse time */
			if (!constraint_set_holds(&req->cons, shown))
				continue;
			if (!opened) {
				if (!first_src)
					buf_putc(&b, ',');
				first_src = false;
				jw_str(&b, req->esrcs[s].text);
				buf_puts(&b, ":{");
				opened = true;
			} else {
				buf_putc(&b, ',');
			}
			buf_append(&b, keys.data + koff[d], koff[d + 1] - koff[d]);
			if (rank)
				jw_uint(&b, (uint64_t)shown);
			else
				jw_num(&b, shown);
		}
		if (opened)
			buf_putc(&b, '}');
	}
	buf_puts(&b, "}}");
	out = buf_finish(&b, len);
done:
	buf_free(&b);
	buf_free(&keys);
	free(koff);
	free(dpid);
	free(entry);
	free(vals);
	free(rank);
	return out;
}

char *service_run(const struct resource *r, const struct request *req, size_t *len)
{
	switch (r->kind) {
	case RES_FILTERED_NETWORKMAP: return filtered_networkmap(r, req, len);
	case RES_FILTERED_COSTMAP: return filtered_costmap(r, req, len);
	case RES_ENDPOINTPROP: return endpoint_property(req, len);
	case RES_ENDPOINTCOST: return endpoint_cost(r, req, len);
	default: return NULL;
	}
}

char *service_answer(const struct resource *r, const struct catalog *cat, const char *body, size_t len,
                     const struct endpoint *client, const struct request_limits *lim, size_t *out_len,
                     struct alto_error *err)
{
	struct request req;
	char *answer = NULL;
	if (r->kind == RES_FILTERED_PROPMAP) /* RFC 9240 §8: alto/propmap.c */
		return propmap_answer(r, body, len, lim, out_len, err);
	/* the body's JSON lives in this thread's arena until request_free */
	arena_begin();
	if (request_parse(r, cat, body, len, client, lim, &req, err) == 0)
		answer = service_run(r, &req, out_len);
	request_free(&req);
	arena_end();
	return answer;
}

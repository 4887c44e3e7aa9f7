/* SPDX-License-Identifier: BSD-2-Clause */
/* The POST services: compute and render a response from parsed input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alto/arena.h"
#include "alto/propmap.h"
#include "alto/service.h"
#include "alto/render_internal.h"
#include "topo/props.h"
#include "util/err.h"

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

/* An endpoint's text as a JSON string. It passed ip_endpoint_parse
 * ("ipv4:" or "ipv6:" and an address inet_pton(3) reads: hex digits, ':'
 * and '.'), or is the client's address as inet_ntop(3) writes it: nothing
 * in it needs escaping (RFC 8259 §7), so it is copied between quotes. */
static void put_endpoint(struct buf *b, const char *text, size_t n)
{
	if (!buf_reserve(b, n + 2))
		return;
	b->data[b->len++] = '"';
	memcpy(b->data + b->len, text, n);
	b->len += n;
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

/* Appends n bytes where buf_reserve() already made room for them. */
static inline void put_reserved(struct buf *b, const char *s, size_t n)
{
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static char *endpoint_property(const struct request *req, size_t *len)
{
	struct buf b, keys;
	size_t *koff = malloc((req->nprops + 1) * sizeof(size_t));
	char *out = NULL;

	buf_init(&b);
	buf_init(&keys);
	if (koff == NULL)
		return NULL;
	/* each property's `"name":` rendered once, copied for every endpoint */
	for (size_t i = 0; i < req->nprops; i++) {
		koff[i] = keys.len;
		jw_str(&keys, req->prop_names[i]);
		buf_putc(&keys, ':');
	}
	koff[req->nprops] = keys.len;
	/* a hint only: at most 1 MiB up front */
	size_t hint = req->nesrcs * (48 + keys.len + req->nprops * 16) + 512;
	buf_reserve(&b, hint < ((size_t)1 << 20) ? hint : ((size_t)1 << 20));
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
		put_endpoint(&b, ep->text, strlen(ep->text));
		buf_puts(&b, ":{");
		bool first = true;
		for (size_t i = 0; i < req->nprops; i++) {
			const struct topo_netmap *nm = req->props[i];
			const char *v = NULL;
			uint32_t pid = TOPO_NONE;
			if (req->prop_idx[i] != PROP_NONE) {
				struct ip_prefix a = {.family = (uint8_t)ep->family,
				                      .len = (uint8_t)(ep->family == IP_V4 ? 32 : 128)};
				memcpy(a.addr, ep->addr, sizeof(a.addr));
				v = topo_props_ip(nm->props, &a, req->prop_idx[i]);
				if (v == NULL)
					continue; /* no value: omitted for this endpoint only */
			} else {
				pid = topo_lookup(nm, ep->family, ep->addr);
				if (pid == TOPO_NONE)
					continue;
			}
			if (!first)
				buf_putc(&b, ',');
			first = false;
			buf_append(&b, keys.data + koff[i], koff[i + 1] - koff[i]);
			if (v)
				jw_str(&b, v);
			else
				render_pid_name(&b, nm, pid); /* the map's own text, rendered with it */
		}
		buf_putc(&b, '}');
	}
	buf_puts(&b, "}}");
	if (!keys.oom)
		out = buf_finish(&b, len);
	buf_free(&b);
	buf_free(&keys);
	free(koff);
	return out;
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
	/* numerical: the rank of each pair's cost, its text's index
	 * (topo_metric_texts); ordinal costs are ranked per request below */
	bool texts = m->vtext && req->ct.mode != COST_ORDINAL;
	uint32_t *vrank = texts ? malloc(pairs * sizeof(uint32_t)) : NULL;
	double *vals = malloc(pairs * sizeof(double));
	uint32_t *rank = NULL;
	size_t *koff = malloc((nd + 1) * sizeof(size_t));
	char *out = NULL;
	struct buf b, keys;

	buf_init(&b);
	buf_init(&keys);
	if (!dpid || !entry || !vals || !koff || (texts && !vrank))
		goto done;
	/* each destination's `,"text":` rendered once, copied for every source
	 * (the first of a source's without its comma) */
	for (size_t d = 0; d < nd; d++) {
		koff[d] = keys.len;
		buf_putc(&keys, ',');
		put_endpoint(&keys, req->edsts[d].text, strlen(req->edsts[d].text));
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
			if (e == TOPO_NONE)
				continue;
			/* read here, where one pair's loads do not wait for the
			 * last's: at 'large' val and rank miss the cache */
			vals[n++] = m->val[e];
			if (vrank)
				vrank[s * nd + d] = m->rank[e];
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
		const char *stext = req->esrcs[s].text;
		size_t slen = strlen(stext);
		/* room for the whole row at once: its key, every destination's
		 * key and cost (jw_num and jw_uint write at most 24 bytes) */
		if (!buf_reserve(&b, slen + 8 + keys.len + nd * 24))
			break; /* out of memory: buf_finish says so */
		for (size_t d = 0; d < nd; d++) {
			uint32_t e = entry[s * nd + d];
			if (e == TOPO_NONE)
				continue;
			double shown = rank ? (double)rank[k] : vals[k]; /* vals[k] is m->val[e] */
			k++;
			/* O(1): the constraints were folded into one interval at parse time */
			if (!constraint_set_holds(&req->cons, shown))
				continue;
			size_t from = koff[d];
			if (!opened) {
				if (!first_src)
					put_reserved(&b, ",", 1);
				first_src = false;
				put_reserved(&b, "\"", 1);
				put_reserved(&b, stext, slen);
				put_reserved(&b, "\":{", 3);
				opened = true;
				from++; /* the row's first: no comma */
			}
			put_reserved(&b, keys.data + from, koff[d + 1] - from);
			if (rank) {
				jw_uint(&b, (uint64_t)shown);
			} else if (vrank) {
				uint32_t vr = vrank[s * nd + d];
				put_reserved(&b, m->vtext + m->voff[vr - 1], m->voff[vr] - m->voff[vr - 1]);
			} else {
				jw_num(&b, shown);
			}
		}
		if (opened)
			put_reserved(&b, "}", 1);
	}
	buf_puts(&b, "}}");
	out = buf_finish(&b, len);
done:
	buf_free(&b);
	buf_free(&keys);
	free(koff);
	free(dpid);
	free(entry);
	free(vrank);
	free(vals);
	free(rank);
	return out;
}

/* ---- RFC 8189: several cost types, constraints on testable types ---- */

/* The distinct cost types a request returns or tests: "columns". */
struct mc_plan {
	struct cost_type *col; /* room for nmct + ntct */
	size_t ncols;
	size_t out[ALTO_MAX_COST_TYPES]; /* column of each returned type */
	size_t *test;                    /* column of each testable type (ntct) */
	double *tv;                      /* the testable types' values of one pair (ntct) */
	uint32_t **rank;                 /* per column, if ordinal: rank per pair, 0: no cost */
	bool full;                       /* every pair of the map: ordinal costs are the map's own ranks */
};

static size_t mc_column(struct mc_plan *p, const struct cost_type *ct)
{
	for (size_t c = 0; c < p->ncols; c++)
		if (p->col[c].metric == ct->metric && p->col[c].mode == ct->mode)
			return c;
	p->col[p->ncols] = *ct;
	return p->ncols++;
}

/* The source and destination PIDs of the pairs a request asks about
 * (ns x nd, source-major), each TOPO_NONE where an endpoint has no PID. */
struct mc_pairs {
	const uint32_t *spid, *dpid;
	size_t ns, nd;
};

/* The cost of column c for pair (s, d): NaN where there is none. Ordinal
 * costs are ranks among this column's costs over all the pairs asked, as
 * a single-cost request for that type over the same pairs ranks them
 * (RFC 7285 §6.1.2.2), before any constraint filters them. */
static double mc_value(const struct mc_plan *p, const struct mc_pairs *q, size_t c, size_t s, size_t d)
{
	if (p->rank[c]) {
		uint32_t rk = p->rank[c][s * q->nd + d];
		return rk ? (double)rk : NAN;
	}
	uint32_t sp = q->spid[s], dp = q->dpid[d];
	if (sp == TOPO_NONE || dp == TOPO_NONE)
		return NAN;
	const struct topo_metric *m = p->col[c].metric;
	uint32_t e = topo_cost_find(m, sp, dp);
	if (e == TOPO_NONE)
		return NAN;
	return p->full && p->col[c].mode == COST_ORDINAL ? (double)m->rank[e] : m->val[e];
}

static void mc_free(struct mc_plan *p)
{
	for (size_t c = 0; p->rank && c < p->ncols; c++)
		free(p->rank[c]);
	free(p->rank);
	free(p->col);
	free(p->test);
	free(p->tv);
}

static int mc_plan_init(struct mc_plan *p, const struct request *req, const struct mc_pairs *q, bool full)
{
	memset(p, 0, sizeof(*p));
	/* the ranks among all the pairs of the map are those of the GET cost
	 * map, ranked once at load time */
	p->full = full;
	size_t maxcols = req->nmct + req->ntct;
	p->col = malloc(maxcols * sizeof(*p->col));
	p->rank = calloc(maxcols, sizeof(*p->rank));
	p->test = malloc((req->ntct ? req->ntct : 1) * sizeof(*p->test));
	p->tv = malloc((req->ntct ? req->ntct : 1) * sizeof(*p->tv));
	if (p->col == NULL || p->rank == NULL || p->test == NULL || p->tv == NULL)
		return ALTOD_ENOMEM;
	for (size_t i = 0; i < req->nmct; i++)
		p->out[i] = mc_column(p, &req->mct[i]);
	for (size_t i = 0; i < req->ntct; i++)
		p->test[i] = mc_column(p, &req->tct[i]);
	size_t npairs = q->ns * q->nd;
	for (size_t c = 0; c < p->ncols; c++) {
		if (p->col[c].mode != COST_ORDINAL || full)
			continue;
		size_t cap = npairs ? npairs : 1;
		double *raw = malloc(cap * sizeof(double)); /* per pair; NaN: no cost */
		double *vals = malloc(cap * sizeof(double));
		uint32_t *rk = malloc(cap * sizeof(uint32_t));
		uint32_t *rank = calloc(cap, sizeof(uint32_t));
		size_t n = 0;
		int rc = raw && vals && rk && rank ? 0 : ALTOD_ENOMEM;
		for (size_t i = 0; rc == 0 && i < npairs; i++) {
			raw[i] = mc_value(p, q, c, i / q->nd, i % q->nd); /* p->rank[c] still NULL */
			if (!isnan(raw[i]))
				vals[n++] = raw[i];
		}
		if (rc == 0)
			rc = topo_rank(vals, n, p->col[c].metric->higher_is_better, rk);
		for (size_t i = 0, k = 0; rc == 0 && i < npairs; i++)
			if (!isnan(raw[i]))
				rank[i] = rk[k++];
		free(raw);
		free(vals);
		free(rk);
		if (rc != 0) {
			free(rank);
			return rc;
		}
		p->rank[c] = rank;
	}
	return 0;
}

static void mc_render_cost(struct buf *b, const struct cost_type *ct, double v)
{
	if (isnan(v))
		buf_puts(b, "null");
	else if (ct->mode == COST_ORDINAL)
		jw_uint(b, (uint64_t)v);
	else
		jw_num(b, v);
}

/* The members of "cost-map" or "endpoint-cost-map": skey / dkey render
 * the key of a source / destination. RFC 8189 §4.1.3: with
 * "multi-cost-types", each cost is an array of the costs of those types in
 * their order, JSON null for a type without a cost for the pair; a pair
 * with no cost of any returned type is left out (as RFC 7285 leaves out
 * an undefined cost). Only pairs meeting the constraints are given. */
static void mc_render_map(struct buf *b, const struct request *req, const struct mc_plan *p, const struct mc_pairs *q,
                          void (*skey)(struct buf *, const void *, size_t),
                          void (*dkey)(struct buf *, const void *, size_t), const void *ctx)
{
	double *tv = p->tv, ov[ALTO_MAX_COST_TYPES];
	bool first_src = true;
	for (size_t s = 0; s < q->ns; s++) {
		bool opened = false;
		for (size_t d = 0; d < q->nd; d++) {
			bool any = false;
			for (size_t i = 0; i < req->nmct; i++) {
				ov[i] = mc_value(p, q, p->out[i], s, d);
				any = any || !isnan(ov[i]);
			}
			if (!any)
				continue;
			for (size_t i = 0; i < req->ntct && req->oc.nbranches; i++)
				tv[i] = mc_value(p, q, p->test[i], s, d);
			if (!or_constraints_hold(&req->oc, tv))
				continue;
			if (!opened) {
				if (!first_src)
					buf_putc(b, ',');
				first_src = false;
				skey(b, ctx, s);
				buf_puts(b, ":{");
				opened = true;
			} else {
				buf_putc(b, ',');
			}
			dkey(b, ctx, d);
			buf_putc(b, ':');
			if (!req->multi) {
				mc_render_cost(b, &req->mct[0], ov[0]);
				continue;
			}
			buf_putc(b, '[');
			for (size_t i = 0; i < req->nmct; i++) {
				if (i)
					buf_putc(b, ',');
				mc_render_cost(b, &req->mct[i], ov[i]);
			}
			buf_putc(b, ']');
		}
		if (opened)
			buf_putc(b, '}');
	}
}

/* RFC 8189 §4.1.3: "cost-type" is {} and "multi-cost-types" lists the
 * returned types, in the request's order; without "multi-cost-types" the
 * meta is RFC 7285's. */
static void mc_render_types(struct buf *b, const struct request *req)
{
	if (!req->multi) {
		buf_puts(b, "\"cost-type\":");
		render_cost_type(b, &req->ct);
		return;
	}
	buf_puts(b, "\"cost-type\":{},\"multi-cost-types\":[");
	for (size_t i = 0; i < req->nmct; i++) {
		if (i)
			buf_putc(b, ',');
		render_cost_type(b, &req->mct[i]);
	}
	buf_putc(b, ']');
}

struct mc_names {
	const struct topo_netmap *nm;
	const uint32_t *spid, *dpid;
	const struct request *req;
};

static void pid_skey(struct buf *b, const void *ctx, size_t s)
{
	const struct mc_names *n = ctx;
	jw_str(b, n->nm->pids[n->spid[s]].name);
}

static void pid_dkey(struct buf *b, const void *ctx, size_t d)
{
	const struct mc_names *n = ctx;
	jw_str(b, n->nm->pids[n->dpid[d]].name);
}

static void ep_skey(struct buf *b, const void *ctx, size_t s)
{
	const struct mc_names *n = ctx;
	jw_str(b, n->req->esrcs[s].text);
}

static void ep_dkey(struct buf *b, const void *ctx, size_t d)
{
	const struct mc_names *n = ctx;
	jw_str(b, n->req->edsts[d].text);
}

/* The PIDs of a filter: the listed ones, or every PID. */
static uint32_t *pid_list(const struct topo_netmap *nm, bool all, const uint32_t *pids, size_t npids, size_t *n)
{
	*n = all ? nm->npids : npids;
	uint32_t *out = malloc((*n ? *n : 1) * sizeof(uint32_t));
	for (size_t i = 0; out && i < *n; i++)
		out[i] = all ? (uint32_t)i : pids[i];
	return out;
}

static char *mc_answer(const struct resource *r, const struct request *req, size_t *len)
{
	const struct topo_netmap *nm = r->nm;
	bool ecs = r->kind == RES_ENDPOINTCOST;
	size_t ns, nd;
	uint32_t *spid, *dpid;
	if (ecs) {
		ns = req->nesrcs;
		nd = req->nedsts;
		spid = malloc((ns ? ns : 1) * sizeof(uint32_t));
		dpid = malloc((nd ? nd : 1) * sizeof(uint32_t));
		for (size_t i = 0; spid && i < ns; i++)
			spid[i] = topo_lookup(nm, req->esrcs[i].family, req->esrcs[i].addr);
		for (size_t i = 0; dpid && i < nd; i++)
			dpid[i] = topo_lookup(nm, req->edsts[i].family, req->edsts[i].addr);
	} else {
		spid = pid_list(nm, req->all_srcs, req->srcs, req->nsrcs, &ns);
		dpid = pid_list(nm, req->all_dsts, req->dsts, req->ndsts, &nd);
	}
	struct mc_pairs q = {spid, dpid, ns, nd};
	struct mc_names names = {nm, spid, dpid, req};
	struct mc_plan p;
	char *out = NULL;
	memset(&p, 0, sizeof(p));
	struct buf b;
	buf_init(&b);
	bool full = !ecs && req->all_srcs && req->all_dsts;
	if (spid && dpid && mc_plan_init(&p, req, &q, full) == 0) {
		if (ecs) {
			buf_puts(&b, "{\"meta\":{");
			mc_render_types(&b, req);
			buf_puts(&b, "},\"endpoint-cost-map\":{");
			mc_render_map(&b, req, &p, &q, ep_skey, ep_dkey, &names);
		} else {
			buf_puts(&b, "{\"meta\":{\"dependent-vtags\":[");
			render_vtag(&b, nm);
			buf_puts(&b, "],");
			mc_render_types(&b, req);
			buf_puts(&b, "},\"cost-map\":{");
			mc_render_map(&b, req, &p, &q, pid_skey, pid_dkey, &names);
		}
		buf_puts(&b, "}}");
		out = buf_finish(&b, len);
	}
	mc_free(&p);
	buf_free(&b);
	free(spid);
	free(dpid);
	return out;
}

char *service_run(const struct resource *r, const struct request *req, size_t *len)
{
	if (req->extended && (r->kind == RES_FILTERED_COSTMAP || r->kind == RES_ENDPOINTCOST))
		return mc_answer(r, req, len);
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

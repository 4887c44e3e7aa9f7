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
	/* ordinal: each pair's rank in the metric, made dense among the
	 * pairs of this response below (§6.2); else its value */
	bool ordinal = req->ct.mode == COST_ORDINAL;
	double *vals = ordinal ? NULL : malloc(pairs * sizeof(double));
	uint32_t *rank = ordinal ? malloc(pairs * sizeof(uint32_t)) : NULL;
	size_t *koff = malloc((nd + 1) * sizeof(size_t));
	char *out = NULL;
	struct buf b, keys;

	buf_init(&b);
	buf_init(&keys);
	if (!dpid || !entry || (!vals && !rank) || !koff || (texts && !vrank))
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
			if (rank)
				rank[n++] = m->rank[e];
			else
				vals[n++] = m->val[e];
			if (vrank)
				vrank[s * nd + d] = m->rank[e];
		}
	}
	/* ordinal: ranks among the m*n costs of this response (§6.2) */
	if (rank && topo_rerank(rank, n) != 0)
		goto done;
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

/* The distinct cost types a request returns or tests ("columns"), and
 * what the lookups found for one source's row of pairs; an ordinal column
 * ranked per request keeps its ranks for every pair asked (4 bytes a
 * pair, as 51020c8 did), the only per-pair array a plan holds. */
struct mc_plan {
	struct cost_type *col; /* room for nmct + ntct */
	size_t ncols;
	size_t out[ALTO_MAX_COST_TYPES]; /* column of each returned type */
	size_t *test;                    /* column of each testable type (ntct) */
	double *tv;                      /* the testable types' values of one pair (ntct) */
	size_t *same;   /* per column not ranked: the first such column of its metric (one lookup per metric) */
	bool *ranked;   /* per column: ordinal, ranked among the pairs of this request */
	bool *withval;  /* per column: its values are read (a numerical type tested, or no texts) */
	bool *text;     /* per column: numerical, copied from the metric's texts */
	size_t *vslot;  /* per column with withval: its row in val */
	size_t *tslot;  /* per column with text: its row in toff */
	size_t *rslot;  /* per ranked column: its row in rkall */
	uint32_t *e;    /* per column: one pair's entry (scratch) */
	size_t nranked; /* ranked columns */
	/* per ranked column (rslot) and pair (source-major), at
	 * [rslot * npairs + s * nd + d]: 0 where the pair has no cost, else
	 * its rank among this request's costs */
	uint32_t *rkall;
	/* per column c and destination d of the row, at [c * span + d]: 0
	 * where the pair has no cost of c, else for an ordinal column the rank
	 * shown: the metric's own (dense, 1 = best) for the whole map, or for
	 * a ranked column the one in rkall; for a numerical column with texts,
	 * the length of the cost's text (toff); otherwise the metric's rank
	 * (the cost is in val) */
	uint32_t *rk;
	double *val; /* per withval column (vslot) and destination: the cost (NaN: none) */
	/* per text column (tslot) and destination, where rk is not 0: where
	 * its text starts in the metric's vtext; rk then holds the text's
	 * length (read with the entry, not when rendering: at 'large' the
	 * offsets miss the cache too) */
	size_t *toff;
	size_t span; /* destinations in a row */
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

static void mc_free(struct mc_plan *p)
{
	free(p->col);
	free(p->test);
	free(p->tv);
	free(p->same);
	free(p->ranked);
	free(p->withval);
	free(p->text);
	free(p->vslot);
	free(p->tslot);
	free(p->rslot);
	free(p->e);
	free(p->rkall);
	free(p->rk);
	free(p->val);
	free(p->toff);
}

/* Looks up the costs of every column for the pairs (s, 0 .. nd - 1) into
 * the row: one pass per pair over the metrics, each entry's rank (and
 * value) read there, where one pair's loads do not wait for the last's
 * (at 'large' they miss the cache); a ranked column's ranks are copied
 * from rkall. */
static void mc_lookup_row(struct mc_plan *p, const struct mc_pairs *q, size_t s)
{
	uint32_t sp = q->spid[s];
	size_t npairs = q->ns * q->nd;
	for (size_t d = 0; d < q->nd; d++) {
		uint32_t dp = q->dpid[d];
		for (size_t c = 0; c < p->ncols; c++) {
			size_t at = c * p->span + d;
			if (p->ranked[c]) {
				p->rk[at] = p->rkall[p->rslot[c] * npairs + s * q->nd + d];
				continue;
			}
			const struct topo_metric *m = p->col[c].metric;
			uint32_t e;
			if (p->same[c] != c)
				e = p->e[p->same[c]];
			else if (sp == TOPO_NONE || dp == TOPO_NONE)
				e = TOPO_NONE;
			else
				e = topo_cost_find(m, sp, dp);
			p->e[c] = e;
			if (e == TOPO_NONE) {
				p->rk[at] = 0;
			} else if (p->text[c]) {
				uint32_t r = m->rank[e];
				p->toff[p->tslot[c] * p->span + d] = m->voff[r - 1];
				p->rk[at] = (uint32_t)(m->voff[r] - m->voff[r - 1]); /* >= 1 */
			} else {
				p->rk[at] = m->rank[e];
			}
			if (p->withval[c])
				p->val[p->vslot[c] * p->span + d] = e == TOPO_NONE ? NAN : m->val[e];
		}
	}
}

/* The metric's ranks of ranked column c for every pair asked, into r
 * (source-major, zeroed: 0 is no cost; only the pairs with a cost are
 * written, so the pages of a sparse metric's rows are never touched). */
static void mc_lookup_ranked(const struct mc_plan *p, const struct mc_pairs *q, size_t c, uint32_t *r)
{
	const struct topo_metric *m = p->col[c].metric;
	for (size_t s = 0; s < q->ns; s++) {
		uint32_t sp = q->spid[s];
		if (sp == TOPO_NONE)
			continue;
		for (size_t d = 0; d < q->nd; d++) {
			uint32_t dp = q->dpid[d];
			uint32_t e = dp == TOPO_NONE ? TOPO_NONE : topo_cost_find(m, sp, dp);
			if (e != TOPO_NONE)
				r[s * q->nd + d] = m->rank[e];
		}
	}
}

/* full: every pair of the map, whose ordinal costs are the map's own
 * ranks (those of the GET cost map, ranked once at load time). */
static int mc_plan_init(struct mc_plan *p, const struct request *req, const struct mc_pairs *q, bool full)
{
	memset(p, 0, sizeof(*p));
	size_t maxcols = req->nmct + req->ntct;
	p->col = malloc(maxcols * sizeof(*p->col));
	p->test = malloc((req->ntct ? req->ntct : 1) * sizeof(*p->test));
	p->tv = malloc((req->ntct ? req->ntct : 1) * sizeof(*p->tv));
	p->same = malloc(maxcols * sizeof(*p->same));
	p->ranked = calloc(maxcols, sizeof(*p->ranked));
	p->withval = calloc(maxcols, sizeof(*p->withval));
	p->e = malloc(maxcols * sizeof(*p->e));
	p->text = calloc(maxcols, sizeof(*p->text));
	p->vslot = malloc(maxcols * sizeof(*p->vslot));
	p->tslot = malloc(maxcols * sizeof(*p->tslot));
	p->rslot = malloc(maxcols * sizeof(*p->rslot));
	if (!p->col || !p->test || !p->tv || !p->same || !p->ranked || !p->withval || !p->e || !p->text || !p->vslot ||
	    !p->tslot || !p->rslot)
		return ALTOD_ENOMEM;
	for (size_t i = 0; i < req->nmct; i++)
		p->out[i] = mc_column(p, &req->mct[i]);
	for (size_t i = 0; i < req->ntct; i++)
		p->test[i] = mc_column(p, &req->tct[i]);
	for (size_t c = 0; c < p->ncols; c++) {
		const struct cost_type *ct = &p->col[c];
		p->ranked[c] = ct->mode == COST_ORDINAL && !full;
		p->same[c] = c;
		for (size_t o = 0; o < c && !p->ranked[c]; o++)
			if (!p->ranked[o] && p->col[o].metric == ct->metric) {
				p->same[c] = o;
				break;
			}
	}
	for (size_t i = 0; i < req->ntct && req->oc.nbranches; i++)
		p->withval[p->test[i]] = p->col[p->test[i]].mode != COST_ORDINAL;
	size_t nval = 0, ntext = 0;
	for (size_t c = 0; c < p->ncols; c++) {
		if (p->col[c].mode != COST_ORDINAL && p->col[c].metric->vtext == NULL)
			p->withval[c] = true;
		p->text[c] = p->col[c].mode != COST_ORDINAL && p->col[c].metric->vtext != NULL;
		if (p->withval[c])
			p->vslot[c] = nval++;
		if (p->text[c])
			p->tslot[c] = ntext++;
		if (p->ranked[c])
			p->rslot[c] = p->nranked++;
	}
	size_t npairs = q->ns * q->nd;
	p->span = q->nd;
	size_t row = q->nd ? q->nd : 1;
	p->rk = malloc(p->ncols * row * sizeof(*p->rk));
	p->val = nval ? malloc(nval * row * sizeof(*p->val)) : NULL;
	p->toff = ntext ? malloc(ntext * row * sizeof(*p->toff)) : NULL;
	if (p->nranked && npairs)
		p->rkall = calloc(p->nranked * npairs, sizeof(*p->rkall));
	if (p->rk == NULL || (nval && p->val == NULL) || (ntext && p->toff == NULL) ||
	    (p->nranked && npairs && p->rkall == NULL))
		return ALTOD_ENOMEM;
	for (size_t c = 0; c < p->ncols && npairs; c++) {
		if (!p->ranked[c])
			continue;
		uint32_t *r = p->rkall + p->rslot[c] * npairs;
		mc_lookup_ranked(p, q, c, r);
		if (topo_rerank(r, npairs) != 0)
			return ALTOD_ENOMEM;
	}
	return 0;
}

/* The cost of column c for destination j of the row as a constraint
 * tests it: NaN where there is none; ordinal: its rank. */
static double mc_test_value(const struct mc_plan *p, size_t c, size_t j)
{
	if (p->withval[c])
		return p->val[p->vslot[c] * p->span + j];
	uint32_t r = p->rk[c * p->span + j];
	return r ? (double)r : NAN;
}

/* The cost of column c for destination j of the row, as 51020c8 rendered it
 * (jw_num, jw_uint): numerical costs copied from their text rendered with
 * the metric. */
static inline void mc_render_cost(struct buf *b, const struct mc_plan *p, size_t c, size_t j)
{
	size_t at = c * p->span + j;
	uint32_t r = p->rk[at];
	if (r == 0) {
		buf_append(b, "null", 4);
	} else if (p->text[c]) {
		buf_append(b, p->col[c].metric->vtext + p->toff[p->tslot[c] * p->span + j], r);
	} else if (p->col[c].mode == COST_ORDINAL) {
		char tmp[10]; /* jw_uint's digits, inline */
		size_t i = sizeof(tmp);
		do {
			tmp[--i] = (char)('0' + r % 10);
			r /= 10;
		} while (r);
		buf_append(b, tmp + i, sizeof(tmp) - i);
	} else {
		jw_num(b, p->val[p->vslot[c] * p->span + j]);
	}
}

/* How a map's keys are written: endpoints' texts or PIDs' names. */
struct mc_names {
	const struct topo_netmap *nm; /* NULL: endpoints */
	const uint32_t *spid, *dpid;
	const struct request *req;
};

static void mc_key(struct buf *b, const struct mc_names *n, bool src, size_t i)
{
	if (n->nm) {
		render_pid_name(b, n->nm, src ? n->spid[i] : n->dpid[i]); /* the map's own text */
		return;
	}
	const char *t = src ? n->req->esrcs[i].text : n->req->edsts[i].text;
	put_endpoint(b, t, strlen(t));
}

/* The members of "cost-map" or "endpoint-cost-map". RFC 8189 §4.1.3: with
 * "multi-cost-types", each cost is an array of the costs of those types in
 * their order, JSON null for a type without a cost for the pair; a pair
 * with no cost of any returned type is left out (as RFC 7285 leaves out
 * an undefined cost). Only pairs meeting the constraints are given. */
static int mc_render_map(struct buf *b, const struct request *req, struct mc_plan *p, const struct mc_pairs *q,
                         const struct mc_names *names)
{
	struct buf keys;
	size_t *koff = malloc((q->nd + 1) * sizeof(size_t));
	buf_init(&keys);
	if (koff == NULL)
		return ALTOD_ENOMEM;
	/* each destination's `,key:` rendered once, copied for every source
	 * (the first of a source's without its comma) */
	for (size_t d = 0; d < q->nd; d++) {
		koff[d] = keys.len;
		buf_putc(&keys, ',');
		mc_key(&keys, names, false, d);
		buf_putc(&keys, ':');
	}
	koff[q->nd] = keys.len;
	bool first_src = true;
	for (size_t s = 0; s < q->ns && !keys.oom; s++) {
		bool opened = false;
		mc_lookup_row(p, q, s);
		/* a hint: room for the row's keys and up to 24 bytes per cost */
		buf_reserve(b, keys.len + q->nd * (req->nmct * 25 + 2) + 64);
		for (size_t d = 0; d < q->nd; d++) {
			size_t j = d;
			bool any = false;
			for (size_t i = 0; i < req->nmct && !any; i++)
				any = p->rk[p->out[i] * p->span + j] != 0;
			if (!any)
				continue;
			if (req->oc.nbranches) {
				for (size_t i = 0; i < req->ntct; i++)
					p->tv[i] = mc_test_value(p, p->test[i], j);
				if (!or_constraints_hold(&req->oc, p->tv))
					continue;
			}
			size_t from = koff[d];
			if (!opened) {
				if (!first_src)
					buf_putc(b, ',');
				first_src = false;
				mc_key(b, names, true, s);
				buf_append(b, ":{", 2);
				opened = true;
				from++; /* the row's first: no comma */
			}
			buf_append(b, keys.data + from, koff[d + 1] - from);
			if (!req->multi) {
				mc_render_cost(b, p, p->out[0], j);
				continue;
			}
			buf_putc(b, '[');
			for (size_t i = 0; i < req->nmct; i++) {
				if (i)
					buf_putc(b, ',');
				mc_render_cost(b, p, p->out[i], j);
			}
			buf_putc(b, ']');
		}
		if (opened)
			buf_putc(b, '}');
	}
	int rc = keys.oom ? ALTOD_ENOMEM : 0;
	buf_free(&keys);
	free(koff);
	return rc;
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
	struct mc_names names = {ecs ? NULL : nm, spid, dpid, req};
	struct mc_plan p;
	char *out = NULL;
	memset(&p, 0, sizeof(p));
	struct buf b;
	buf_init(&b);
	bool full = !ecs && req->all_srcs && req->all_dsts;
	if (spid && dpid && mc_plan_init(&p, req, &q, full) == 0) {
		int rc;
		if (ecs) {
			buf_puts(&b, "{\"meta\":{");
			mc_render_types(&b, req);
			buf_puts(&b, "},\"endpoint-cost-map\":{");
			rc = mc_render_map(&b, req, &p, &q, &names);
		} else {
			buf_puts(&b, "{\"meta\":{\"dependent-vtags\":[");
			render_vtag(&b, nm);
			buf_puts(&b, "],");
			mc_render_types(&b, req);
			buf_puts(&b, "},\"cost-map\":{");
			rc = mc_render_map(&b, req, &p, &q, &names);
		}
		buf_puts(&b, "}}");
		if (rc == 0)
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

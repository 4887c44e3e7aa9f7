/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Maps files -> struct topo. Two stages:
 *  1. parse every file into a raw model that keeps each item's file:line:col
 *     (cost rows name PIDs through a per-section string table, so a cost map
 *     may come before or after its network map, even in another file);
 *  2. resolve and validate the raw model as a whole, reporting every error,
 *     and only if there is none build the immutable topology.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "topo/load.h"
#include "topo/props.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonnum.h"
#include "util/strmap.h"
#include "topo/topo.h"
#include "util/vec.h"
#include "conf/yp.h"

struct at {
	const char *file;
	uint32_t line, col;
};

struct raw_prefix {
	struct ip_prefix p;
	uint32_t pid; /* raw PID index */
	struct at at;
};

struct raw_pid {
	char *name;
	struct at at;
};

struct raw_netmap {
	char *id;
	struct at at;
	bool is_default;
	struct raw_pid *pids;
	size_t npids, cap_pids;
	struct raw_prefix *prefixes;
	size_t nprefixes, cap_prefixes;
	uint32_t *pid_remap;         /* raw PID index -> sorted index (stage 2) */
	struct topo_metric *metrics; /* stage 2 */
	size_t nmetrics, cap_metrics;
	struct at *metric_at;
};

struct raw_entry {
	uint32_t src, dst; /* section-local name ids */
	double val;
};

struct raw_metric {
	char *name;
	bool higher_is_better;
	struct at at;
	struct raw_entry *e;
	size_t n, cap;
};

/* A PID name as a cost section uses it. Duplicates are caught while
 * parsing: a row's source and an entry's destination carry the serial of
 * the metric / row that last named them. */
struct cs_name {
	char *name;
	struct at first; /* first place it was named */
	struct at row;   /* its row in the metric being parsed */
	uint32_t src_stamp, dst_stamp;
};

/* RFC 9439 §2.1: the cost-context one metric of a cost map section has. */
struct raw_ctx {
	char *metric;
	uint8_t source;
	char *params; /* JSON text, or NULL */
	struct at at;
};

struct raw_costsec {
	char *netmap;
	struct at at;
	struct strmap names;  /* PID name -> local id */
	struct cs_name *name; /* by local id */
	size_t nnames, cap_names;
	struct raw_metric *metrics;
	size_t nmetrics, cap_metrics;
	struct raw_ctx *ctx;
	size_t nctx, cap_ctx;
};

struct loader {
	struct diag *diag;
	size_t errors;
	uint32_t serial;
	struct raw_netmap *nms;
	size_t nnms, cap_nms;
	struct raw_costsec *cs;
	size_t ncs, cap_cs;
	struct props_raw *props; /* property-maps (topo/props.c) */
};

static struct at at_of(struct yp *y, struct yp_mark m)
{
	return (struct at){y->file, (uint32_t)m.line, (uint32_t)m.col};
}

static void lerr(struct loader *ld, struct at at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void lerr(struct loader *ld, struct at at, const char *fmt, ...)
{
	char text[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	diag_add(ld->diag, at.file, at.line, at.col, "%s", text);
	ld->errors++;
}

static void nomem(struct loader *ld, struct at at)
{
	lerr(ld, at, "out of memory");
}

/* ---- stage 1: parsing ---- */

static void parse_pid(struct loader *ld, struct yp *y, struct raw_netmap *nm, uint32_t pid)
{
	char *fam;
	struct yp_mark m;

	if (!yp_mapping_begin(y, "a PID (a mapping of address types to prefix lists)"))
		return;
	while (yp_mapping_key(y, &fam, &m)) {
		int f = ip_family_parse(fam);
		if (f == 0) {
			lerr(ld, at_of(y, m), "unknown address type '%s' (ipv4 or ipv6)", fam);
			free(fam);
			yp_skip(y);
			continue;
		}
		free(fam);
		if (!yp_sequence_begin(y, "a list of prefixes"))
			continue;
		while (yp_sequence_more(y)) {
			char *s;
			const char *why;
			struct ip_prefix p;
			if (!yp_scalar(y, "a prefix", &s, &m))
				continue;
			if (ip_prefix_parse(s, (enum ip_family)f, &p, &why) != 0) {
				lerr(ld, at_of(y, m), "bad %s prefix '%s': %s", f == IP_V4 ? "IPv4" : "IPv6", s, why);
			} else if (!VEC_PUSH(nm->prefixes, nm->nprefixes, nm->cap_prefixes)) {
				nomem(ld, at_of(y, m));
			} else {
				nm->prefixes[nm->nprefixes++] = (struct raw_prefix){p, pid, at_of(y, m)};
			}
			free(s);
		}
	}
}

static void parse_pids(struct loader *ld, struct yp *y, struct raw_netmap *nm)
{
	char *name;
	struct yp_mark m;

	if (!yp_mapping_begin(y, "pids"))
		return;
	while (yp_mapping_key(y, &name, &m)) {
		if (!alto_name_valid(name)) {
			lerr(ld, at_of(y, m),
			     "invalid PID name '%s': 1 to 64 letters, digits, '-', ':', '@' or '_' (RFC 7285 §10.1)",
			     name);
			free(name);
			yp_skip(y);
			continue;
		}
		if (!VEC_PUSH(nm->pids, nm->npids, nm->cap_pids)) {
			nomem(ld, at_of(y, m));
			free(name);
			yp_skip(y);
			continue;
		}
		nm->pids[nm->npids] = (struct raw_pid){name, at_of(y, m)};
		parse_pid(ld, y, nm, (uint32_t)nm->npids);
		nm->npids++;
	}
}

static void parse_netmaps(struct loader *ld, struct yp *y)
{
	char *id, *key;
	struct yp_mark m, km;

	if (!yp_mapping_begin(y, "network-maps"))
		return;
	while (yp_mapping_key(y, &id, &m)) {
		if (!alto_name_valid(id)) {
			lerr(ld, at_of(y, m),
			     "invalid resource id '%s': 1 to 64 letters, digits, '-', ':', '@' or '_' (RFC 7285 §10.2)",
			     id);
			free(id);
			yp_skip(y);
			continue;
		}
		if (!VEC_PUSH(ld->nms, ld->nnms, ld->cap_nms)) {
			nomem(ld, at_of(y, m));
			free(id);
			yp_skip(y);
			continue;
		}
		struct raw_netmap *nm = &ld->nms[ld->nnms++];
		memset(nm, 0, sizeof(*nm));
		nm->id = id;
		nm->at = at_of(y, m);
		bool have_pids = false;
		if (!yp_mapping_begin(y, "a network map"))
			continue;
		while (yp_mapping_key(y, &key, &km)) {
			if (strcmp(key, "default") == 0) {
				yp_scalar_bool(y, "default", &nm->is_default);
			} else if (strcmp(key, "pids") == 0) {
				have_pids = true;
				parse_pids(ld, y, nm);
			} else {
				lerr(ld, at_of(y, km), "unknown key '%s' in network map '%s' (default, pids)", key, id);
				yp_skip(y);
			}
			free(key);
		}
		if (!have_pids)
			lerr(ld, nm->at, "network map '%s' has no pids", id);
	}
}

static uint32_t costsec_name(struct loader *ld, struct raw_costsec *cs, const char *name, struct at at)
{
	uint32_t id = strmap_intern(&cs->names, name, (uint32_t)cs->nnames);
	if (id == UINT32_MAX) {
		nomem(ld, at);
		return UINT32_MAX;
	}
	if (id == cs->nnames) {
		if (!VEC_PUSH(cs->name, cs->nnames, cs->cap_names)) {
			nomem(ld, at);
			return UINT32_MAX;
		}
		cs->name[cs->nnames++] = (struct cs_name){.name = strdup(name), .first = at};
	}
	return id;
}

static void parse_metric(struct loader *ld, struct yp *y, struct raw_costsec *cs, struct raw_metric *rm)
{
	char *src, *dst, *val;
	struct yp_mark m, dm, vm;

	if (!yp_mapping_begin(y, "a cost metric (a mapping of source PIDs)"))
		return;
	uint32_t metric_serial = ++ld->serial;
	while (yp_mapping_key(y, &src, &m)) {
		uint32_t s = costsec_name(ld, cs, src, at_of(y, m));
		if (s != UINT32_MAX && cs->name[s].src_stamp == metric_serial) {
			struct at f = cs->name[s].row;
			lerr(ld, at_of(y, m),
			     "cost metric '%s': the costs from '%s' are given twice (first at %s:%u:%u)", rm->name, src,
			     f.file, f.line, f.col);
			free(src);
			yp_skip(y);
			continue;
		}
		if (s != UINT32_MAX) {
			cs->name[s].src_stamp = metric_serial;
			cs->name[s].row = at_of(y, m);
		}
		uint32_t row_serial = ++ld->serial;
		if (!yp_mapping_begin(y, "a cost row (a mapping of destination PIDs to costs)")) {
			free(src);
			continue;
		}
		while (yp_mapping_key(y, &dst, &dm)) {
			uint32_t d = costsec_name(ld, cs, dst, at_of(y, dm));
			if (d != UINT32_MAX && cs->name[d].dst_stamp == row_serial) {
				lerr(ld, at_of(y, dm), "cost metric '%s': the cost from '%s' to '%s' is given twice",
				     rm->name, src, dst);
				free(dst);
				yp_skip(y);
				continue;
			}
			if (d != UINT32_MAX)
				cs->name[d].dst_stamp = row_serial;
			free(dst);
			if (!yp_scalar(y, "a cost", &val, &vm))
				continue;
			double v;
			const char *why = NULL;
			/* a negative number is a number out of the metric's domain */
			if (val[0] == '-' && yp_parse_cost(val + 1, &v))
				why = alto_metric_check_value(rm->name, -v);
			else if (yp_parse_cost(val, &v))
				why = alto_metric_check_value(rm->name, v);
			else
				why = "a cost is a number >= 0";
			if (why) {
				lerr(ld, at_of(y, vm), "bad cost '%s' of cost metric '%s': %s", val, rm->name, why);
			} else if (s != UINT32_MAX && d != UINT32_MAX) {
				if (!VEC_PUSH(rm->e, rm->n, rm->cap))
					nomem(ld, at_of(y, vm));
				else
					rm->e[rm->n++] = (struct raw_entry){s, d, v};
			}
			free(val);
		}
		free(src);
	}
}

/* parameters: a mapping of names to scalars, as a JSON object (a scalar
 * that is a JSON number stays one; the rest are strings). */
static char *parse_params(struct loader *ld, struct yp *y)
{
	char *k, *v;
	struct yp_mark km = {0}, vm;
	struct buf b;
	bool first = true;

	if (!yp_mapping_begin(y, "parameters (a mapping of names to values)"))
		return NULL;
	buf_init(&b);
	buf_putc(&b, '{');
	while (yp_mapping_key(y, &k, &km)) {
		if (!yp_scalar(y, "a parameter value (a string or a number)", &v, &vm)) {
			free(k);
			continue;
		}
		if (!first)
			buf_putc(&b, ',');
		first = false;
		jw_str(&b, k);
		buf_putc(&b, ':');
		const char *end = json_number_end(v);
		if (end && *end == '\0')
			buf_puts(&b, v);
		else
			jw_str(&b, v);
		free(k);
		free(v);
	}
	buf_putc(&b, '}');
	size_t len;
	char *out = buf_finish(&b, &len);
	if (out == NULL)
		nomem(ld, at_of(y, km));
	return out;
}

/* cost-context: {<metric>: {cost-source: ..., parameters: {...}}, ...} */
static void parse_contexts(struct loader *ld, struct yp *y, struct raw_costsec *cs)
{
	char *metric, *key;
	struct yp_mark m, km;

	if (!yp_mapping_begin(y, "cost-context (a mapping of cost metrics to their cost-context)"))
		return;
	while (yp_mapping_key(y, &metric, &m)) {
		if (!VEC_PUSH(cs->ctx, cs->nctx, cs->cap_ctx)) {
			nomem(ld, at_of(y, m));
			free(metric);
			yp_skip(y);
			continue;
		}
		struct raw_ctx *c = &cs->ctx[cs->nctx++];
		*c = (struct raw_ctx){.metric = metric, .at = at_of(y, m)};
		if (!yp_mapping_begin(y, "a cost-context (cost-source, parameters)"))
			continue;
		bool have_source = false;
		while (yp_mapping_key(y, &key, &km)) {
			if (strcmp(key, "cost-source") == 0) {
				char *v;
				have_source = true;
				struct yp_mark vm;
				if (yp_scalar(y, "a cost-source", &v, &vm)) {
					int src = cost_source_parse(v);
					if (src < 0)
						lerr(ld, at_of(y, vm),
						     "unknown cost-source '%s' (estimation, nominal, sla: "
						     "RFC 9439 §2.1)",
						     v);
					else
						c->source = (uint8_t)src;
					free(v);
				}
			} else if (strcmp(key, "parameters") == 0) {
				free(c->params);
				c->params = parse_params(ld, y);
			} else {
				lerr(ld, at_of(y, km),
				     "unknown key '%s' in the cost-context of '%s' (cost-source, parameters)", key,
				     metric);
				yp_skip(y);
			}
			free(key);
		}
		if (!have_source)
			lerr(ld, c->at, "the cost-context of '%s' has no cost-source (RFC 9439 §2.1)", metric);
	}
}

static void parse_costmaps(struct loader *ld, struct yp *y)
{
	char *nmid, *metric;
	struct yp_mark m, mm;

	if (!yp_mapping_begin(y, "cost-maps"))
		return;
	while (yp_mapping_key(y, &nmid, &m)) {
		if (!VEC_PUSH(ld->cs, ld->ncs, ld->cap_cs)) {
			nomem(ld, at_of(y, m));
			free(nmid);
			yp_skip(y);
			continue;
		}
		struct raw_costsec *cs = &ld->cs[ld->ncs++];
		memset(cs, 0, sizeof(*cs));
		strmap_init(&cs->names);
		cs->netmap = nmid;
		cs->at = at_of(y, m);
		if (!yp_mapping_begin(y, "a cost map (a mapping of cost metrics)"))
			continue;
		while (yp_mapping_key(y, &metric, &mm)) {
			const char *why;
			bool hib;
			/* not a metric name (no registered or private metric has it) */
			if (strcmp(metric, "cost-context") == 0) {
				free(metric);
				parse_contexts(ld, y, cs);
				continue;
			}
			if (!alto_metric_valid(metric, &hib, &why)) {
				lerr(ld, at_of(y, mm), "cost metric '%s': %s", metric, why);
				free(metric);
				yp_skip(y);
				continue;
			}
			if (!VEC_PUSH(cs->metrics, cs->nmetrics, cs->cap_metrics)) {
				nomem(ld, at_of(y, mm));
				free(metric);
				yp_skip(y);
				continue;
			}
			struct raw_metric *rm = &cs->metrics[cs->nmetrics++];
			*rm = (struct raw_metric){.name = metric, .higher_is_better = hib, .at = at_of(y, mm)};
			parse_metric(ld, y, cs, rm);
		}
	}
}

static void parse_doc(struct loader *ld, struct yp *y)
{
	char *key;
	struct yp_mark m;

	if (!yp_mapping_begin(y, "a maps file (a mapping with network-maps and cost-maps)"))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "network-maps") == 0)
			parse_netmaps(ld, y);
		else if (strcmp(key, "cost-maps") == 0)
			parse_costmaps(ld, y);
		else if (strcmp(key, "property-maps") == 0)
			props_raw_parse(&ld->props, y, ld->diag, &ld->errors);
		else {
			lerr(ld, at_of(y, m), "unknown key '%s' (network-maps, cost-maps, property-maps)", key);
			yp_skip(y);
		}
		free(key);
	}
}

/* ---- stage 2: resolve, validate, build ---- */

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a, b);
}

static int raw_netmap_cmp(const void *a, const void *b)
{
	return cmp_str(((const struct raw_netmap *)a)->id, ((const struct raw_netmap *)b)->id);
}

static struct raw_netmap *raw_netmap_find(struct loader *ld, const char *id)
{
	struct raw_netmap key = {.id = (char *)id};
	return ld->nnms ? bsearch(&key, ld->nms, ld->nnms, sizeof(*ld->nms), raw_netmap_cmp) : NULL;
}

/* Orders indices into a network map's PIDs (ctx) by name: glibc's qsort_r
 * hands the comparison its context, so concurrent loads share nothing. */
static int pid_index_cmp(const void *a, const void *b, void *ctx)
{
	const struct raw_pid *pids = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(pids[x].name, pids[y].name);
	return c ? c : (x > y) - (x < y);
}

static int raw_prefix_cmp(const void *a, const void *b)
{
	const struct raw_prefix *x = a, *y = b;
	int c = ip_prefix_cmp(&x->p, &y->p);
	if (c)
		return c;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int build_netmap(struct loader *ld, struct raw_netmap *rm, struct topo_netmap *nm)
{
	size_t np = rm->npids;
	uint32_t *order = malloc((np ? np : 1) * sizeof(uint32_t));
	rm->pid_remap = malloc((np ? np : 1) * sizeof(uint32_t));
	if (!order || !rm->pid_remap) {
		free(order);
		nomem(ld, rm->at);
		return ALTOD_ENOMEM;
	}
	for (size_t i = 0; i < np; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, np, sizeof(uint32_t), pid_index_cmp, rm->pids);
	for (size_t i = 0; i < np; i++) {
		rm->pid_remap[order[i]] = (uint32_t)i;
		if (i > 0 && strcmp(rm->pids[order[i]].name, rm->pids[order[i - 1]].name) == 0) {
			struct at first = rm->pids[order[i - 1]].at;
			lerr(ld, rm->pids[order[i]].at,
			     "PID '%s' defined twice in network map '%s' (first at %s:%u:%u)", rm->pids[order[i]].name,
			     rm->id, first.file, first.line, first.col);
		}
	}

	/* the same prefix may not appear twice: one address, one PID */
	if (rm->nprefixes > 1)
		qsort(rm->prefixes, rm->nprefixes, sizeof(*rm->prefixes), raw_prefix_cmp);
	for (size_t i = 1; i < rm->nprefixes; i++) {
		struct raw_prefix *a = &rm->prefixes[i - 1], *b = &rm->prefixes[i];
		if (ip_prefix_cmp(&a->p, &b->p) == 0) {
			char s[IP_PREFIX_STRLEN];
			ip_prefix_format(&b->p, s);
			lerr(ld, b->at, "prefix %s of PID '%s' is already in PID '%s' (at %s:%u:%u)", s,
			     rm->pids[b->pid].name, rm->pids[a->pid].name, a->at.file, a->at.line, a->at.col);
		}
	}
	/* keep building even after errors: the cost maps are checked against it */
	nm->id = strdup(rm->id);
	nm->def_file = strdup(rm->at.file);
	nm->def_line = rm->at.line;
	nm->def_col = rm->at.col;
	nm->is_default = rm->is_default;
	nm->npids = (uint32_t)np;
	nm->nprefixes = rm->nprefixes;
	nm->pids = calloc(np ? np : 1, sizeof(*nm->pids));
	struct lpm_entry *le = malloc((rm->nprefixes ? rm->nprefixes : 1) * sizeof(*le));
	if (!nm->id || !nm->def_file || !nm->pids || !le)
		goto oom;
	for (size_t i = 0; i < np; i++) {
		nm->pids[i].name = rm->pids[order[i]].name;
		rm->pids[order[i]].name = NULL;
	}
	for (size_t i = 0; i < rm->nprefixes; i++)
		nm->pids[rm->pid_remap[rm->prefixes[i].pid]].nprefixes++;
	for (size_t i = 0; i < np; i++) {
		nm->pids[i].prefixes =
		        malloc((nm->pids[i].nprefixes ? nm->pids[i].nprefixes : 1) * sizeof(struct ip_prefix));
		if (!nm->pids[i].prefixes)
			goto oom;
		nm->pids[i].nprefixes = 0;
	}
	/* prefixes are sorted by family then address: per-PID order follows */
	for (size_t i = 0; i < rm->nprefixes; i++) {
		uint32_t pid = rm->pid_remap[rm->prefixes[i].pid];
		struct topo_pid *p = &nm->pids[pid];
		if (p->prefixes == NULL) /* cannot be: every PID got its array above */
			goto oom;
		p->prefixes[p->nprefixes++] = rm->prefixes[i].p;
		if (rm->prefixes[i].p.family == IP_V4)
			p->nv4++;
		le[i] = (struct lpm_entry){rm->prefixes[i].p, pid};
	}
	if (lpm_build(&nm->lpm[0], IP_V4, le, rm->nprefixes) != 0 ||
	    lpm_build(&nm->lpm[1], IP_V6, le, rm->nprefixes) != 0 || topo_netmap_quote_names(nm) != 0)
		goto oom;
	free(le);
	free(order);

	/* vtag (RFC 7285 §10.3): a hash of the content alone, so the same maps
	 * give the same tag on every restart and every replica */
	gnutls_hash_hd_t h;
	uint8_t digest[32];
	static const char hex[] = "0123456789abcdef";
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		goto oom_nofree;
	gnutls_hash(h, "altod-networkmap-v1", 20);
	gnutls_hash(h, nm->id, strlen(nm->id) + 1);
	for (uint32_t i = 0; i < nm->npids; i++) {
		const struct topo_pid *p = &nm->pids[i];
		gnutls_hash(h, p->name, strlen(p->name) + 1);
		uint32_t cnt = p->nprefixes;
		gnutls_hash(h, &cnt, sizeof(cnt));
		for (uint32_t k = 0; k < p->nprefixes; k++)
			gnutls_hash(h, &p->prefixes[k], sizeof(p->prefixes[k]));
	}
	gnutls_hash_deinit(h, digest);
	for (size_t i = 0; i < 32; i++) {
		nm->vtag[2 * i] = hex[digest[i] >> 4];
		nm->vtag[2 * i + 1] = hex[digest[i] & 15];
	}
	nm->vtag[VTAG_LEN] = '\0';
	return 0;

oom:
	free(le);
	free(order);
oom_nofree:
	nomem(ld, rm->at);
	return ALTOD_ENOMEM;
}

struct mapped_entry {
	uint32_t src, dst;
	double val;
};

static int mapped_cmp(const void *a, const void *b)
{
	const struct mapped_entry *x = a, *y = b;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return (x->dst > y->dst) - (x->dst < y->dst);
}

static int metric_cmp(const void *a, const void *b)
{
	return strcmp(((const struct topo_metric *)a)->name, ((const struct topo_metric *)b)->name);
}

static void build_costsec(struct loader *ld, struct raw_costsec *cs, struct topo *t)
{
	struct raw_netmap *rm = raw_netmap_find(ld, cs->netmap);
	if (rm == NULL) {
		lerr(ld, cs->at, "cost map for network map '%s', which is not defined", cs->netmap);
		return;
	}
	struct topo_netmap *nm = &t->netmaps[rm - ld->nms];
	uint32_t *pid_of = malloc((cs->nnames ? cs->nnames : 1) * sizeof(uint32_t));
	if (pid_of == NULL) {
		nomem(ld, cs->at);
		return;
	}
	/* each cost-context names a metric of this same section, once */
	for (size_t i = 0; i < cs->nctx; i++) {
		struct raw_ctx *c = &cs->ctx[i];
		bool found = false;
		for (size_t k = 0; k < cs->nmetrics && !found; k++)
			found = cs->metrics[k].name && strcmp(cs->metrics[k].name, c->metric) == 0;
		if (!found)
			lerr(ld, c->at, "cost-context for '%s', which this cost map of '%s' does not give", c->metric,
			     cs->netmap);
		for (size_t k = 0; k < i; k++)
			if (strcmp(cs->ctx[k].metric, c->metric) == 0)
				lerr(ld, c->at, "the cost-context of '%s' is given twice (first at %s:%u:%u)",
				     c->metric, cs->ctx[k].at.file, cs->ctx[k].at.line, cs->ctx[k].at.col);
		/* RFC 9439 §6.3 (backward compatibility): "if a cost-metric is
		 * routingcost and the metric contains a cost-context field, then
		 * it MUST be estimation" (an RFC 7285 client reads it as such) */
		if (strcmp(c->metric, "routingcost") == 0 && c->source != COST_SOURCE_NONE &&
		    c->source != COST_SOURCE_ESTIMATION)
			lerr(ld, c->at, "the cost-source of routingcost can only be estimation (RFC 9439 §6.3)");
	}
	bool undefined = false;
	for (size_t i = 0; i < cs->nnames; i++) {
		pid_of[i] = topo_pid_find(nm, cs->name[i].name);
		if (pid_of[i] == TOPO_NONE) {
			undefined = true;
			lerr(ld, cs->name[i].first, "PID '%s' is not defined in network map '%s'", cs->name[i].name,
			     cs->netmap);
		}
	}
	for (size_t k = 0; k < cs->nmetrics; k++) {
		struct raw_metric *rmet = &cs->metrics[k];
		for (size_t j = 0; j < rm->nmetrics; j++) {
			if (strcmp(rm->metrics[j].name, rmet->name) == 0) {
				struct at f = rm->metric_at[j];
				lerr(ld, rmet->at,
				     "cost metric '%s' of network map '%s' defined twice (first at %s:%u:%u)",
				     rmet->name, cs->netmap, f.file, f.line, f.col);
				goto next;
			}
		}
		if (undefined || nm->pids == NULL)
			goto next; /* nothing to build from; every error is reported already */
		struct mapped_entry *me = malloc((rmet->n ? rmet->n : 1) * sizeof(*me));
		if (me == NULL) {
			nomem(ld, rmet->at);
			goto next;
		}
		for (size_t i = 0; i < rmet->n; i++)
			me[i] = (struct mapped_entry){pid_of[rmet->e[i].src], pid_of[rmet->e[i].dst], rmet->e[i].val};
		/* pairs are unique: duplicates were refused while parsing */
		qsort(me, rmet->n, sizeof(*me), mapped_cmp);
		size_t cap_at = rm->cap_metrics;
		if (!vec_reserve((void **)&rm->metric_at, &cap_at, rm->nmetrics + 1, sizeof(*rm->metric_at)) ||
		    !vec_reserve((void **)&rm->metrics, &rm->cap_metrics, rm->nmetrics + 1, sizeof(*rm->metrics))) {
			free(me);
			nomem(ld, rmet->at);
			goto next;
		}
		struct topo_metric *m = &rm->metrics[rm->nmetrics];
		memset(m, 0, sizeof(*m));
		rm->metric_at[rm->nmetrics] = rmet->at;
		rm->nmetrics++;
		m->name = rmet->name;
		rmet->name = NULL;
		m->higher_is_better = rmet->higher_is_better;
		m->modes = COST_MODES_ALL;
		for (size_t i = 0; i < cs->nctx; i++) {
			if (strcmp(cs->ctx[i].metric, m->name) == 0) {
				m->source = cs->ctx[i].source;
				m->params = cs->ctx[i].params;
				cs->ctx[i].params = NULL;
				break;
			}
		}
		m->nentries = rmet->n;
		m->row = calloc(nm->npids + 1, sizeof(uint32_t));
		m->col = malloc((rmet->n ? rmet->n : 1) * sizeof(uint32_t));
		m->val = malloc((rmet->n ? rmet->n : 1) * sizeof(double));
		m->rank = malloc((rmet->n ? rmet->n : 1) * sizeof(uint32_t));
		if (!m->row || !m->col || !m->val || !m->rank) {
			free(me);
			nomem(ld, rmet->at);
			goto next;
		}
		for (size_t i = 0; i < rmet->n; i++) {
			m->row[me[i].src + 1]++;
			m->col[i] = me[i].dst;
			m->val[i] = me[i].val;
		}
		for (uint32_t s = 0; s < nm->npids; s++)
			m->row[s + 1] += m->row[s];
		free(me);
		free(rmet->e);
		rmet->e = NULL;
		if (topo_rank(m->val, m->nentries, m->higher_is_better, m->rank) != 0 || topo_metric_texts(m) != 0)
			nomem(ld, rmet->at);
	next:;
	}
	free(pid_of);
}

static void raw_free(struct loader *ld)
{
	for (size_t i = 0; i < ld->nnms; i++) {
		struct raw_netmap *nm = &ld->nms[i];
		free(nm->id);
		for (size_t k = 0; k < nm->npids; k++)
			free(nm->pids[k].name);
		free(nm->pids);
		free(nm->prefixes);
		free(nm->pid_remap);
		for (size_t k = 0; k < nm->nmetrics; k++)
			topo_metric_clear(&nm->metrics[k]);
		free(nm->metrics);
		free(nm->metric_at);
	}
	free(ld->nms);
	for (size_t i = 0; i < ld->ncs; i++) {
		struct raw_costsec *cs = &ld->cs[i];
		free(cs->netmap);
		strmap_free(&cs->names);
		for (size_t k = 0; k < cs->nnames; k++)
			free(cs->name[k].name);
		free(cs->name);
		for (size_t k = 0; k < cs->nmetrics; k++) {
			free(cs->metrics[k].name);
			free(cs->metrics[k].e);
		}
		free(cs->metrics);
		for (size_t k = 0; k < cs->nctx; k++) {
			free(cs->ctx[k].metric);
			free(cs->ctx[k].params);
		}
		free(cs->ctx);
	}
	free(ld->cs);
	props_raw_free(ld->props);
}

static bool same_context(const struct topo_metric *a, const struct topo_metric *b)
{
	if (a->source != b->source || (a->params == NULL) != (b->params == NULL))
		return false;
	return a->params == NULL || strcmp(a->params, b->params) == 0;
}

/* The directory lists each cost type once, by name, with its cost-context
 * (RFC 9439 §2.1): one metric has the same context in every network map. */
static void check_contexts(struct loader *ld)
{
	for (size_t i = 0; i < ld->nnms; i++) {
		const struct raw_netmap *a = &ld->nms[i];
		for (size_t k = 0; k < a->nmetrics; k++) {
			for (size_t j = 0; j < i; j++) {
				const struct raw_netmap *b = &ld->nms[j];
				for (size_t l = 0; l < b->nmetrics; l++) {
					if (strcmp(a->metrics[k].name, b->metrics[l].name) != 0 ||
					    same_context(&a->metrics[k], &b->metrics[l]))
						continue;
					struct at f = b->metric_at[l];
					lerr(ld, a->metric_at[k],
					     "cost metric '%s' has another cost-context than in network map '%s' (at "
					     "%s:%u:%u): a cost type has one context in the whole directory",
					     a->metrics[k].name, b->id, f.file, f.line, f.col);
				}
			}
		}
	}
}

static int finish(struct loader *ld, struct topo **out)
{
	struct topo *t = NULL;

	*out = NULL;
	/* sort network maps by id, remembering the order of definition: with
	 * no `default: true`, the first one defined is the default */
	uint32_t *order_of = calloc(ld->nnms ? ld->nnms : 1, sizeof(uint32_t));
	struct tmp {
		struct raw_netmap nm; /* first member: raw_netmap_cmp applies */
		uint32_t order;
	} *tmp = malloc((ld->nnms ? ld->nnms : 1) * sizeof(*tmp));
	if (order_of == NULL || tmp == NULL) {
		free(order_of);
		free(tmp);
		return ALTOD_ENOMEM;
	}
	for (size_t i = 0; i < ld->nnms; i++)
		tmp[i] = (struct tmp){ld->nms[i], (uint32_t)i};
	qsort(tmp, ld->nnms, sizeof(*tmp), raw_netmap_cmp);
	for (size_t i = 0; i < ld->nnms; i++) {
		ld->nms[i] = tmp[i].nm;
		order_of[i] = tmp[i].order;
	}
	free(tmp);

	size_t ndefault = 0;
	for (size_t i = 0; i < ld->nnms; i++) {
		if (i > 0 && strcmp(ld->nms[i].id, ld->nms[i - 1].id) == 0) {
			struct at f = ld->nms[i - 1].at;
			lerr(ld, ld->nms[i].at, "resource id '%s' defined twice (first at %s:%u:%u)", ld->nms[i].id,
			     f.file, f.line, f.col);
		}
		if (ld->nms[i].is_default && ++ndefault > 1)
			lerr(ld, ld->nms[i].at, "network map '%s' is the second one marked default: true",
			     ld->nms[i].id);
	}

	t = calloc(1, sizeof(*t));
	if (t == NULL || (ld->nnms && !(t->netmaps = calloc(ld->nnms, sizeof(*t->netmaps))))) {
		free(t);
		free(order_of);
		return ALTOD_ENOMEM;
	}
	t->nnetmaps = (uint32_t)ld->nnms;
	t->default_map = TOPO_NONE;
	{
		uint32_t first_order = UINT32_MAX;
		for (size_t i = 0; i < ld->nnms; i++) {
			t->netmaps[i].order = order_of[i];
			build_netmap(ld, &ld->nms[i], &t->netmaps[i]);
			if (ld->nms[i].is_default)
				t->default_map = (uint32_t)i;
			else if (ndefault == 0 && order_of[i] < first_order) {
				first_order = order_of[i];
				t->default_map = (uint32_t)i;
			}
		}
	}
	free(order_of);
	for (size_t i = 0; i < ld->ncs; i++)
		build_costsec(ld, &ld->cs[i], t);
	check_contexts(ld);
	props_raw_build(ld->props, t, ld->diag, &ld->errors);
	if (ld->errors == 0) {
		for (size_t i = 0; i < t->nnetmaps; i++) {
			struct raw_netmap *rm = &ld->nms[i];
			struct topo_netmap *nm = &t->netmaps[i];
			if (rm->nmetrics > 1)
				qsort(rm->metrics, rm->nmetrics, sizeof(*rm->metrics), metric_cmp);
			nm->metrics = rm->metrics;
			nm->nmetrics = (uint32_t)rm->nmetrics;
			rm->metrics = NULL;
			rm->nmetrics = 0;
		}
	}
	if (ld->errors) {
		topo_free(t);
		return ALTOD_ECONFIG;
	}
	if (t->default_map != TOPO_NONE)
		t->netmaps[t->default_map].is_default = true;
	*out = t;
	return 0;
}

static int load(const char *const *names, const char *const *texts, size_t n, struct topo **out, struct diag *diag)
{
	struct loader ld = {.diag = diag};
	struct yp y;
	bool unreadable = false;

	for (size_t i = 0; i < n; i++) {
		int rc = texts ? yp_open_mem(&y, names[i], texts[i], strlen(texts[i]), diag)
		               : yp_open(&y, names[i], diag);
		if (rc == 0)
			parse_doc(&ld, &y);
		unreadable |= y.failed;
		yp_close(&y);
		ld.errors += y.errors;
	}
	/* Check the whole set even after errors, so that one run reports them
	 * all; but not after a file could not be read to its end, where every
	 * reference into its missing part would be a false error. */
	int rc = unreadable ? ALTOD_ECONFIG : finish(&ld, out);
	if (rc == 0 && ld.errors)
		rc = ALTOD_ECONFIG;
	if (rc == ALTOD_ENOMEM && ld.errors == 0)
		diag_add(diag, n ? names[0] : "maps", 0, 0, "out of memory");
	raw_free(&ld);
	return rc;
}

int topo_load(const char *const *paths, size_t npaths, struct topo **out, struct diag *diag)
{
	*out = NULL;
	return load(paths, NULL, npaths, out, diag);
}

int topo_load_mem(const char *const *names, const char *const *texts, size_t n, struct topo **out, struct diag *diag)
{
	*out = NULL;
	return load(names, texts, n, out, diag);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The resource catalog: every information resource of a topology, with its
 * resource id, URI, media types and (for GET resources) its body rendered
 * once. Resource ids and URIs are derived from the network map ids:
 *
 *   <map>                          GET  /networkmap/<map>
 *   <map>-filtered-networkmap      POST /networkmap/<map>/filtered
 *   <map>-<num|ord>-<metric>       GET  /costmap/<map>/<metric>/<mode>
 *   <map>-filtered-costmap         POST /costmap/<map>/filtered
 *   <map>-endpoint-cost            POST /endpointcost/<map>
 *   <map>-property-map             GET  /propmap/<map>  (RFC 9240, if it has properties)
 *   <map>-filtered-propmap         POST /propmap/<map>/filtered
 *   endpoint-property              POST /endpointprop
 *   tips                           POST /tips  (RFC 9569; its views below)
 *   update-stream                  POST /updates/stream (RFC 8895, alto/sse.h)
 *   (the directory)                GET  /
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alto/catalog.h"
#include "alto/media.h"
#include "alto/propmap.h"
#include "alto/render.h"
#include "alto/representation.h"
#include "alto/tips.h"
#include "topo/props.h"
#include "alto/sse.h"
#include "util/err.h"
#include "util/vec.h"

struct builder {
	struct catalog *c;
	size_t cap;
	struct diag *diag;
	int rc;
};

static struct resource *add(struct builder *bd, enum res_kind kind, const struct topo_netmap *nm, char *id, char *uri,
                            const char *media, const char *accepts)
{
	struct catalog *c = bd->c;

	if (id == NULL || uri == NULL || !VEC_PUSH(c->res, c->nres, bd->cap)) {
		free(id);
		free(uri);
		bd->rc = ALTOD_ENOMEM;
		return NULL;
	}
	if (kind != RES_DIRECTORY && !alto_name_valid(id)) {
		/* derived ids must still be valid ResourceIDs (RFC 7285 §10.2) */
		if (nm)
			diag_add(bd->diag, nm->def_file, nm->def_line, nm->def_col,
			         "resource id '%s' derived from network map '%s' is longer than 64 characters: "
			         "shorten the network map id",
			         id, nm->id);
		bd->rc = ALTOD_ECONFIG;
	}
	struct resource *r = &c->res[c->nres++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->nm = nm;
	r->id = id;
	r->uri = uri;
	r->media_type = media;
	r->accepts = accepts;
	return r;
}

/* A resource id derived from a cost metric: RFC 7285 §10.2 reserves '.'
 * in a ResourceID ("MUST NOT be used unless specifically indicated"; RFC
 * 9240 §5.1.2 makes it the separator of "<resource-id>.<domain>"), while
 * a percentile operator may hold one (RFC 9439 §2.2: "delay-ow:p99.9").
 * It becomes '_', which no statistical operator holds: no two metrics get
 * the same id. NULL passes through (add() reports it). */
static char *undot(char *id)
{
	for (char *p = id; p && *p; p++)
		if (*p == '.')
			*p = '_';
	return id;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int uri_cmp(const void *a, const void *b)
{
	return strcmp(((const struct resource *)a)->uri, ((const struct resource *)b)->uri);
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct resource *const *)a)->id, (*(const struct resource *const *)b)->id);
}

static void check_unique_ids(struct builder *bd)
{
	struct catalog *c = bd->c;
	const struct resource **by_id = malloc((c->nres ? c->nres : 1) * sizeof(*by_id));
	if (by_id == NULL) {
		bd->rc = ALTOD_ENOMEM;
		return;
	}
	for (size_t i = 0; i < c->nres; i++)
		by_id[i] = &c->res[i];
	qsort(by_id, c->nres, sizeof(*by_id), id_cmp);
	for (size_t i = 1; i < c->nres; i++) {
		if (strcmp(by_id[i]->id, by_id[i - 1]->id) != 0)
			continue;
		const struct resource *r = by_id[i]->nm ? by_id[i] : by_id[i - 1];
		const struct topo_netmap *nm = r->nm;
		diag_add(bd->diag, nm ? nm->def_file : "maps", nm ? nm->def_line : 0, nm ? nm->def_col : 0,
		         "resource id '%s' is used twice (a network map id collides with an id altod derives: "
		         "rename the network map)",
		         r->id);
		bd->rc = ALTOD_ECONFIG;
	}
	free(by_id);
}

static const struct resource *find_id(const struct catalog *c, const char *id)
{
	for (size_t i = 0; c && i < c->nres; i++)
		if (strcmp(c->res[i].id, id) == 0)
			return &c->res[i];
	return NULL;
}

static bool is_granted(const struct catalog_spec *spec, const char *id)
{
	return spec->granted == NULL || spec->granted(spec->ctx, id);
}

/* Adds the resource unless the spec withholds it. */
static struct resource *offer(struct builder *bd, const struct catalog_spec *spec, enum res_kind kind,
                              const struct topo_netmap *nm, char *id, char *uri, const char *media, const char *accepts)
{
	if (id && !is_granted(spec, id)) {
		free(id);
		free(uri);
		return NULL;
	}
	return add(bd, kind, nm, id, uri, media, accepts);
}

/* Gives a filtered cost map or endpoint cost resource (NULL: not offered)
 * its own copy of the granted cost modes. */
static void set_cost_modes(struct builder *bd, struct resource *r, const uint8_t *modes, uint32_t n)
{
	if (r == NULL)
		return;
	r->cost_modes = malloc(n ? n : 1);
	if (r->cost_modes == NULL) {
		bd->rc = ALTOD_ENOMEM;
		return;
	}
	memcpy(r->cost_modes, modes, n);
}

/* ---- the directory with absolute URIs ---- */

struct dir_entry {
	char *base;
	struct resource r; /* body, gz and ETags of this rendering */
};

struct dir_cache {
	pthread_mutex_t lock;
	struct dir_entry *e[CATALOG_DIR_HOSTS + CATALOG_DIR_CONFIGURED];
	size_t n, nhost, nconf;
};

static void dir_cache_free(struct dir_cache *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->e[i]->base);
		free(d->e[i]->r.body);
		free(d->e[i]->r.gz);
		free(d->e[i]);
	}
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* Where the URIs start in the relative directory: after each `"uri":"`
 * whose value is a path. That byte sequence cannot occur inside a JSON
 * string (its quotes would be escaped there), so it finds every "uri"
 * member, of any resource kind, and nothing else. */
static int dir_prepare(struct catalog *c)
{
	static const char key[] = "\"uri\":\"/";
	const struct resource *d = &c->res[0];
	size_t cap = 0;
	c->dirs = calloc(1, sizeof(*c->dirs));
	if (c->dirs == NULL)
		return ALTOD_ENOMEM;
	pthread_mutex_init(&c->dirs->lock, NULL);
	for (const char *p = d->body; (p = memmem(p, d->body_len - (size_t)(p - d->body), key, sizeof(key) - 1));
	     p += sizeof(key) - 1) {
		if (!VEC_PUSH(c->dir_uri_at, c->ndir_uri_at, cap))
			return ALTOD_ENOMEM;
		c->dir_uri_at[c->ndir_uri_at++] = (size_t)(p - d->body) + sizeof(key) - 2;
	}
	return 0;
}

/* The relative directory with base before every URI. */
static char *dir_splice(const struct catalog *c, const struct resource *d, const char *base, size_t blen, size_t *len)
{
	size_t n = d->body_len + c->ndir_uri_at * blen;
	char *out = malloc(n ? n : 1);
	if (out == NULL)
		return NULL;
	size_t from = 0, to = 0;
	for (size_t i = 0; i < c->ndir_uri_at; i++) {
		size_t at = c->dir_uri_at[i];
		memcpy(out + to, d->body + from, at - from);
		to += at - from;
		memcpy(out + to, base, blen);
		to += blen;
		from = at;
	}
	memcpy(out + to, d->body + from, d->body_len - from);
	*len = n;
	return out;
}

static void view_of(const struct resource *r, struct dir_view *out)
{
	*out = (struct dir_view){.body = r->body,
	                         .body_len = r->body_len,
	                         .gz = r->gz,
	                         .gz_len = r->gz_len,
	                         .etag = r->etag,
	                         .etag_gz = r->etag_gz};
}

int catalog_directory(const struct catalog *c, const char *base, size_t base_len, bool configured, struct dir_view *out)
{
	const struct resource *d = catalog_route(c, "/");
	struct dir_cache *dc = c->dirs;
	if (d == NULL || dc == NULL)
		return ALTOD_ENOMEM;
	pthread_mutex_lock(&dc->lock);
	for (size_t i = 0; i < dc->n; i++) {
		if (strlen(dc->e[i]->base) == base_len && memcmp(dc->e[i]->base, base, base_len) == 0) {
			view_of(&dc->e[i]->r, out);
			pthread_mutex_unlock(&dc->lock);
			return 0;
		}
	}
	/* first come, kept until the snapshot goes: a flood of made-up Host
	 * values fills the host slots once, then costs a copy each, never
	 * memory or a compression */
	bool keep = configured ? dc->nconf < CATALOG_DIR_CONFIGURED : dc->nhost < CATALOG_DIR_HOSTS;
	struct dir_entry *e = keep ? calloc(1, sizeof(*e)) : NULL;
	if (e) {
		e->r = *d;
		e->r.borrowed = false;
		e->base = strndup(base, base_len);
		e->r.body = dir_splice(c, d, base, base_len, &e->r.body_len);
		if (e->base == NULL || e->r.body == NULL || representation_finish(&e->r) != 0) {
			free(e->base);
			free(e->r.body);
			free(e->r.gz);
			free(e);
			e = NULL;
		}
	}
	if (e) {
		dc->e[dc->n++] = e;
		if (configured)
			dc->nconf++;
		else
			dc->nhost++;
		view_of(&e->r, out);
		pthread_mutex_unlock(&dc->lock);
		return 0;
	}
	pthread_mutex_unlock(&dc->lock);
	memset(out, 0, sizeof(*out));
	out->owned = dir_splice(c, d, base, base_len, &out->body_len);
	if (out->owned == NULL)
		return ALTOD_ENOMEM;
	out->body = out->owned;
	representation_etag(out->body, out->body_len, "", out->etag_buf, sizeof(out->etag_buf));
	out->etag = out->etag_buf;
	return 0;
}

int catalog_build(const struct catalog_spec *spec, struct catalog **out, struct diag *diag)
{
	struct builder bd = {.diag = diag};

	*out = NULL;
	bd.c = calloc(1, sizeof(*bd.c));
	if (bd.c == NULL)
		return ALTOD_ENOMEM;
	struct catalog *c = bd.c;
	c->private_ = spec->private_;
	c->maps = calloc(spec->nmaps ? spec->nmaps : 1, sizeof(*c->maps));
	if (c->maps == NULL) {
		free(c);
		return ALTOD_ENOMEM;
	}

	add(&bd, RES_DIRECTORY, NULL, strdup(""), strdup("/"), MT_DIRECTORY, NULL);
	for (size_t i = 0; i < spec->nmaps && bd.rc != ALTOD_ENOMEM; i++) {
		const struct topo_netmap *nm = spec->maps[i];
		if (offer(&bd, spec, RES_NETWORKMAP, nm, strdup(nm->id), fmt("/networkmap/%s", nm->id), MT_NETWORKMAP,
		          NULL) == NULL)
			continue; /* a map not shown: none of its resources either */
		c->maps[c->nmaps++] = nm;
		if (spec->default_map == nm)
			c->default_map = nm;
		offer(&bd, spec, RES_FILTERED_NETWORKMAP, nm, fmt("%s-filtered-networkmap", nm->id),
		      fmt("/networkmap/%s/filtered", nm->id), MT_NETWORKMAP, MT_NETWORKMAPFILTER);
		/* the cost types granted here: those of the cost maps offered */
		uint8_t *granted = calloc(nm->nmetrics ? nm->nmetrics : 1, 1);
		bool any = false;
		if (granted == NULL) {
			bd.rc = ALTOD_ENOMEM;
			break;
		}
		for (uint32_t k = 0; k < nm->nmetrics; k++) {
			for (int mode = 0; mode < COST_MODES; mode++) {
				if (!(nm->metrics[k].modes & (1u << mode)))
					continue;
				struct resource *r = offer(
				        &bd, spec, RES_COSTMAP, nm,
				        undot(fmt("%s-%s-%s", nm->id, mode == COST_ORDINAL ? "ord" : "num",
				                  nm->metrics[k].name)),
				        fmt("/costmap/%s/%s/%s", nm->id, nm->metrics[k].name, cost_mode_name(mode)),
				        MT_COSTMAP, NULL);
				if (r) {
					r->ct = (struct cost_type){&nm->metrics[k], (enum cost_mode)mode};
					granted[k] |= (uint8_t)(1u << mode);
					any = true;
				}
			}
		}
		/* The filtered cost map and the endpoint cost service offer
		 * exactly the granted cost types, never more than the cost maps
		 * themselves (docs/isolation.md). Granted none, they would offer
		 * nothing: they are left out, and answer as missing resources. */
		if (any) {
			/* (each pointer is used before the next add() may move c->res) */
			set_cost_modes(&bd,
			               offer(&bd, spec, RES_FILTERED_COSTMAP, nm, fmt("%s-filtered-costmap", nm->id),
			                     fmt("/costmap/%s/filtered", nm->id), MT_COSTMAP, MT_COSTMAPFILTER),
			               granted, nm->nmetrics);
			set_cost_modes(&bd,
			               offer(&bd, spec, RES_ENDPOINTCOST, nm, fmt("%s-endpoint-cost", nm->id),
			                     fmt("/endpointcost/%s", nm->id), MT_ENDPOINTCOST, MT_ENDPOINTCOSTPARAMS),
			               granted, nm->nmetrics);
		}
		free(granted);
		/* RFC 9240: the map's entity properties, granted like its other
		 * resources (a view has none: it never shows the base map's) */
		if (nm->props) {
			offer(&bd, spec, RES_PROPMAP, nm, fmt("%s-property-map", nm->id), fmt("/propmap/%s", nm->id),
			      MT_PROPMAP, NULL);
			offer(&bd, spec, RES_FILTERED_PROPMAP, nm, fmt("%s-filtered-propmap", nm->id),
			      fmt("/propmap/%s/filtered", nm->id), MT_PROPMAP, MT_PROPMAPPARAMS);
		}
	}
	if (c->default_map == NULL && c->nmaps > 0)
		c->default_map = c->maps[0];
	if (c->nmaps > 0)
		offer(&bd, spec, RES_ENDPOINTPROP, NULL, strdup("endpoint-property"), strdup("/endpointprop"),
		      MT_ENDPOINTPROP, MT_ENDPOINTPROPPARAMS);
	/* TIPS (RFC 9569) covers exactly the network and cost maps offered
	 * here: it is part of every catalog that has one, granted with them */
	for (size_t i = 0; i < c->nres && bd.rc != ALTOD_ENOMEM; i++) {
		if (c->res[i].kind == RES_NETWORKMAP || c->res[i].kind == RES_COSTMAP) {
			add(&bd, RES_TIPS, NULL, strdup(TIPS_ID), strdup(TIPS_URI), MT_TIPS, MT_TIPSPARAMS);
			break;
		}
	}
	/* the update stream service covers the maps offered here: no grant
	 * of its own (what it streams is granted map by map) */
	if (c->nmaps > 0 && bd.rc != ALTOD_ENOMEM)
		add(&bd, RES_UPDATESTREAM, NULL, strdup(SSE_RESOURCE_ID), strdup(SSE_URI), SSE_MT_STREAM,
		    SSE_MT_PARAMS);
	if (bd.rc == 0)
		check_unique_ids(&bd);

	/* render the GET resources once per snapshot: a catalog built over a
	 * universe borrows the universe's bodies; the rest are rendered and
	 * compressed together, on every CPU */
	struct resource **pending = calloc(c->nres ? c->nres : 1, sizeof(*pending));
	size_t npending = 0;
	if (pending == NULL && bd.rc == 0)
		bd.rc = ALTOD_ENOMEM;
	for (size_t i = 0; i < c->nres && bd.rc == 0; i++) {
		struct resource *r = &c->res[i];
		if (r->kind != RES_NETWORKMAP && r->kind != RES_COSTMAP && r->kind != RES_PROPMAP)
			continue;
		const struct resource *u = find_id(spec->universe, r->id);
		if (u && u->body) {
			r->body = u->body;
			r->body_len = u->body_len;
			r->gz = u->gz;
			r->gz_len = u->gz_len;
			memcpy(r->etag, u->etag, sizeof(r->etag));
			memcpy(r->etag_gz, u->etag_gz, sizeof(r->etag_gz));
			r->borrowed = true;
			continue;
		}
		pending[npending++] = r;
	}
	if (bd.rc == 0 && npending > 0 && representations_build(pending, npending) != 0)
		bd.rc = ALTOD_ENOMEM;
	free(pending);
	if (bd.rc == 0) {
		c->res[0].body = render_directory(c, &c->res[0].body_len);
		if (c->res[0].body == NULL || representation_finish(&c->res[0]) != 0 || dir_prepare(c) != 0)
			bd.rc = ALTOD_ENOMEM;
	}
	if (bd.rc != 0) {
		if (bd.rc == ALTOD_ENOMEM)
			diag_add(diag, "maps", 0, 0, "out of memory while building the resources");
		catalog_free(c);
		return bd.rc;
	}
	/* the directory keeps the logical order; routing wants URI order */
	qsort(c->res, c->nres, sizeof(*c->res), uri_cmp);
	*out = c;
	return 0;
}

int catalog_build_topo(const struct topo *t, struct catalog **out, struct diag *diag)
{
	const struct topo_netmap **maps = calloc(t->nnetmaps ? t->nnetmaps : 1, sizeof(*maps));
	if (maps == NULL)
		return ALTOD_ENOMEM;
	/* network maps in the order they were defined */
	for (uint32_t i = 0; i < t->nnetmaps; i++)
		maps[t->netmaps[i].order] = &t->netmaps[i];
	struct catalog_spec spec = {
	        .maps = maps,
	        .nmaps = t->nnetmaps,
	        .default_map = t->default_map == TOPO_NONE ? NULL : &t->netmaps[t->default_map],
	};
	int rc = catalog_build(&spec, out, diag);
	free(maps);
	return rc;
}

void catalog_free(struct catalog *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nres; i++) {
		free(c->res[i].id);
		free(c->res[i].uri);
		free(c->res[i].cost_modes);
		if (!c->res[i].borrowed) {
			free(c->res[i].body);
			free(c->res[i].gz);
		}
	}
	free(c->res);
	free(c->maps);
	dir_cache_free(c->dirs);
	free(c->dir_uri_at);
	free(c);
}

const struct resource *catalog_route(const struct catalog *c, const char *uri)
{
	size_t lo = 0, hi = c->nres;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(uri, c->res[mid].uri);
		if (cmp == 0)
			return &c->res[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- the Information Resource Directory (RFC 7285 §9) ---- */

size_t resource_cost_type_count(const struct resource *r)
{
	size_t n = 0;
	for (uint32_t k = 0; k < r->nm->nmetrics; k++)
		for (int mode = 0; mode < COST_MODES; mode++)
			n += (r->cost_modes[k] >> mode) & 1u;
	return n;
}

size_t resource_max_cost_types(const struct resource *r)
{
	size_t n = resource_cost_type_count(r);
	return n < ALTO_MAX_COST_TYPES ? n : ALTO_MAX_COST_TYPES;
}

/* The cost types a filtered cost map or endpoint cost resource offers: the
 * granted ones (RFC 7285 §11.3.2.4, §11.5.1.4: "cost-type-names"), and
 * only those (the exact-grant rule of docs/isolation.md). */
static void cost_type_names_of(struct buf *b, const struct resource *r, const char *key)
{
	const struct topo_netmap *nm = r->nm;
	buf_putc(b, '"');
	buf_puts(b, key);
	buf_puts(b, "\":[");
	bool first = true;
	for (uint32_t k = 0; k < nm->nmetrics; k++) {
		for (int mode = 0; mode < COST_MODES; mode++) {
			struct cost_type ct = {&nm->metrics[k], (enum cost_mode)mode};
			if (!(r->cost_modes[k] & (1u << mode)))
				continue;
			if (!first)
				buf_putc(b, ',');
			first = false;
			buf_putc(b, '"');
			cost_type_name(&ct, b);
			buf_putc(b, '"');
		}
	}
	buf_putc(b, ']');
}

/* RFC 9569 §5.2, §5.3: the media types of the incremental changes of
 * every resource the TIPS covers, and those resources as "uses". Merge
 * patches for every map; cost maps also as JSON patches (a client that
 * opens a TIPS view takes both, §6.1), which altod serves where they are
 * smaller. Neither needs to say "null" in an ALTO map. */
static void render_tips_maps(struct buf *b, const struct catalog *c, bool media_types)
{
	bool first = true;
	for (size_t i = 0; i < c->nres; i++) {
		const struct resource *r = &c->res[i];
		if (r->kind != RES_NETWORKMAP && r->kind != RES_COSTMAP)
			continue;
		if (!first)
			buf_putc(b, ',');
		first = false;
		jw_str(b, r->id);
		if (media_types)
			buf_puts(b, r->kind == RES_COSTMAP ? ":\"" MT_MERGE_PATCH "," MT_JSON_PATCH "\""
			                                   : ":\"" MT_MERGE_PATCH "\"");
	}
}

static void render_tips_capabilities(struct buf *b, const struct catalog *c)
{
	buf_puts(b, ",\"capabilities\":{\"incremental-change-media-types\":{");
	render_tips_maps(b, c, true);
	buf_puts(b, "}},\"uses\":[");
	render_tips_maps(b, c, false);
	buf_putc(b, ']');
}

static void render_entry(struct buf *b, const struct catalog *c, const struct resource *r)
{
	jw_str(b, r->id);
	buf_puts(b, ":{\"uri\":");
	jw_str(b, r->uri);
	buf_puts(b, ",\"media-type\":");
	jw_str(b, r->media_type);
	if (r->accepts) {
		buf_puts(b, ",\"accepts\":");
		jw_str(b, r->accepts);
	}
	switch (r->kind) {
	case RES_COSTMAP:
		buf_puts(b, ",\"capabilities\":{\"cost-type-names\":[\"");
		cost_type_name(&r->ct, b);
		buf_puts(b, "\"]}");
		break;
	case RES_FILTERED_COSTMAP:
	case RES_ENDPOINTCOST:
		/* Every granted type may be tested, so "cost-constraints" is true
		 * and "testable-cost-type-names" is left out: RFC 8189 §4.1.1 (and
		 * §4.2.1), 'if "cost-constraints" is "true", the
		 * "testable-cost-type-names" capability MUST NOT be present' (the
		 * two are exclusive so that a legacy client, which reads only
		 * "cost-constraints", never tests a type it may not, §3.6.5).
		 * "max-cost-types" > 0 tells a client the resource takes RFC
		 * 8189's extensions. */
		buf_puts(b, ",\"capabilities\":{\"cost-constraints\":true,");
		cost_type_names_of(b, r, "cost-type-names");
		buf_printf(b, ",\"max-cost-types\":%zu}", resource_max_cost_types(r));
		break;
	case RES_ENDPOINTPROP:
		buf_puts(b, ",\"capabilities\":{\"prop-types\":[");
		for (size_t i = 0; i < c->nmaps; i++) {
			if (i)
				buf_putc(b, ',');
			buf_putc(b, '"');
			buf_puts(b, c->maps[i]->id);
			buf_puts(b, ".pid\"");
		}
		/* and the ipv4/ipv6 entity properties of the default map (RFC 9240) */
		for (uint32_t k = 0; c->default_map && c->default_map->props && k < c->default_map->props->nnames;
		     k++) {
			const struct topo_props *tp = c->default_map->props;
			if (!tp->in_domain[PD_IPV4][k] && !tp->in_domain[PD_IPV6][k])
				continue;
			buf_putc(b, ',');
			jw_str(b, tp->names[k]);
		}
		buf_puts(b, "]}");
		break;
	case RES_TIPS: render_tips_capabilities(b, c); break;
	case RES_PROPMAP:
	case RES_FILTERED_PROPMAP:
		/* RFC 9240 §7.4, §8.4 */
		buf_puts(b, ",\"capabilities\":{");
		render_propmap_mappings(b, r->nm);
		buf_putc(b, '}');
		if (propmap_uses_netmap(r->nm)) {
			buf_puts(b, ",\"uses\":[");
			jw_str(b, r->nm->id);
			buf_putc(b, ']');
		}
		break;
	case RES_UPDATESTREAM: sse_render_entry(b, c); break;
	default: break;
	}
	/* §11.5.1.5: an endpoint cost resource MUST NOT have "uses";
	 * §11.4.1.5: the endpoint property resource uses nothing */
	if (r->kind == RES_COSTMAP || r->kind == RES_FILTERED_COSTMAP || r->kind == RES_FILTERED_NETWORKMAP) {
		buf_puts(b, ",\"uses\":[");
		jw_str(b, r->nm->id);
		buf_putc(b, ']');
	}
	buf_putc(b, '}');
}

static bool offers(const struct catalog *c, const char *metric, enum cost_mode mode)
{
	for (size_t i = 0; i < c->nres; i++) {
		const struct resource *r = &c->res[i];
		if (r->kind == RES_COSTMAP && r->ct.mode == mode && strcmp(r->ct.metric->name, metric) == 0)
			return true;
		if ((r->kind == RES_FILTERED_COSTMAP || r->kind == RES_ENDPOINTCOST) && r->nm) {
			const struct topo_metric *m = topo_metric_find(r->nm, metric);
			if (m && (r->cost_modes[m - r->nm->metrics] & (1u << mode)))
				return true;
		}
	}
	return false;
}

char *render_directory(const struct catalog *c, size_t *len)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "{\"meta\":{\"cost-types\":{");
	/* every cost type some resource of this catalog offers, once, by name */
	bool first = true;
	const char *prev = NULL;
	for (;;) {
		const char *next = NULL;
		for (size_t i = 0; i < c->nmaps; i++)
			for (uint32_t k = 0; k < c->maps[i]->nmetrics; k++) {
				const char *n = c->maps[i]->metrics[k].name;
				if (n == NULL)
					continue;
				if ((prev == NULL || strcmp(n, prev) > 0) && (next == NULL || strcmp(n, next) < 0))
					next = n;
			}
		if (next == NULL)
			break;
		/* the same name has the same cost-context in every map (the
		 * loader checks it): the first map's gives it */
		struct topo_metric m = {.name = (char *)next};
		for (size_t i = 0; i < c->nmaps; i++) {
			const struct topo_metric *tm = topo_metric_find(c->maps[i], next);
			if (tm) {
				m.source = tm->source;
				m.params = tm->params;
				break;
			}
		}
		for (int mode = 0; mode < COST_MODES; mode++) {
			if (!offers(c, next, (enum cost_mode)mode))
				continue;
			struct cost_type ct = {&m, (enum cost_mode)mode};
			if (!first)
				buf_putc(&b, ',');
			first = false;
			buf_putc(&b, '"');
			cost_type_name(&ct, &b);
			buf_puts(&b, "\":");
			render_cost_type(&b, &ct);
		}
		prev = next;
	}
	buf_putc(&b, '}');
	if (c->default_map) {
		buf_puts(&b, ",\"default-alto-network-map\":");
		jw_str(&b, c->default_map->id);
	}
	buf_puts(&b, "},\"resources\":{");
	first = true;
	for (size_t i = 0; i < c->nres; i++) {
		if (c->res[i].kind == RES_DIRECTORY)
			continue;
		if (!first)
			buf_putc(&b, ',');
		first = false;
		render_entry(&b, c, &c->res[i]);
	}
	buf_puts(&b, "}}");
	return buf_finish(&b, len);
}

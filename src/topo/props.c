/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entity properties (RFC 9240) of the network maps: the maps files'
 * `property-maps` section parsed with every item's file:line:column, then
 * resolved against the built network maps, and the lookups with the RFC's
 * inheritance for the ipv4/ipv6 domains.
 *
 *   property-maps:
 *     my-default-network-map:                  # the network map
 *       "ipv4:192.0.2.0/24": {asn: "64496"}    # EntityID: {property: value}
 *       "my-default-network-map.pid:PID1": {"priv:region": "east"}
 */
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "topo/lpm.h"
#include "topo/props.h"
#include "topo/topo.h"
#include "util/err.h"
#include "util/vec.h"

struct pat {
	const char *file;
	uint32_t line, col;
};

struct raw_pval {
	char *name;
	char *value;
	struct pat at;
};

struct raw_pent {
	char *id;
	struct pat at;
	struct raw_pval *v;
	size_t n, cap;
};

struct raw_psec {
	char *netmap;
	struct pat at;
	struct raw_pent *e;
	size_t n, cap;
};

struct props_raw {
	struct raw_psec *s;
	size_t n, cap;
};

static struct pat pat_of(struct yp *y, struct yp_mark m)
{
	return (struct pat){y->file, (uint32_t)m.line, (uint32_t)m.col};
}

#define PERR(d, errors, at, ...)                                            \
	do {                                                                \
		diag_add((d), (at).file, (at).line, (at).col, __VA_ARGS__); \
		(*(errors))++;                                              \
	} while (0)

/* RFC 9240 §5.2.2 (as RFC 7285 §10.8.2 for endpoint properties): 1 to 32
 * letters, digits, '-', ':' or '_'; "priv:" opens the private ones, and
 * needs a name after it. Resource-specific properties ("<map>.pid") are
 * derived by altod, never given in a maps file, so no '.' here. */
static const char *prop_name_problem(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > PROP_NAME_MAX)
		return "1 to 32 characters";
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == ':' || c == '_'))
			return "letters, digits, '-', ':' or '_' only (RFC 9240 §5.2.2)";
	}
	if (strcmp(s, "priv:") == 0)
		return "a private property needs a name after 'priv:'";
	if (strcmp(s, "pid") == 0)
		return "'pid' is the network map's own property (RFC 9240 §6.1.3), not given here";
	return NULL;
}

static void parse_entity(struct yp *y, struct raw_pent *e, struct diag *d, size_t *errors)
{
	char *name;
	struct yp_mark m;
	size_t keys = 0;

	if (!yp_mapping_begin(y, "an entity's properties (a mapping of property names to strings)"))
		return;
	while (yp_mapping_key(y, &name, &m)) {
		keys++;
		const char *why = prop_name_problem(name);
		if (why) {
			PERR(d, errors, pat_of(y, m), "bad property name '%s': %s", name, why);
			free(name);
			yp_skip(y);
			continue;
		}
		for (size_t i = 0; i < e->n; i++) {
			if (strcmp(e->v[i].name, name) == 0) {
				struct pat f = e->v[i].at;
				PERR(d, errors, pat_of(y, m),
				     "property '%s' of entity '%s' is given twice (first at %s:%u:%u)", name, e->id,
				     f.file, f.line, f.col);
				free(name);
				name = NULL;
				break;
			}
		}
		if (name == NULL) {
			yp_skip(y);
			continue;
		}
		char *val;
		struct yp_mark vm;
		/* RFC 9240 §5.3 / RFC 7285 §10.8: a property value is a JSON
		 * string; a mapping or a list is reported by yp_scalar */
		if (!yp_scalar(y, "a property value (a string)", &val, &vm)) {
			free(name);
			continue;
		}
		if (!VEC_PUSH(e->v, e->n, e->cap)) {
			PERR(d, errors, pat_of(y, vm), "out of memory");
			free(name);
			free(val);
			continue;
		}
		e->v[e->n++] = (struct raw_pval){name, val, pat_of(y, m)};
	}
	if (keys == 0)
		PERR(d, errors, e->at, "entity '%s' defines no property", e->id);
}

/* The next element of a mapping's array, for the key read at m; NULL if
 * the array cannot grow (reported; the key is freed, its value skipped). */
static void *push_keyed(struct yp *y, void **arr, size_t *n, size_t *cap, size_t size, char *key, struct yp_mark m,
                        struct diag *d, size_t *errors)
{
	if (!vec_reserve(arr, cap, *n + 1, size)) {
		PERR(d, errors, pat_of(y, m), "out of memory");
		free(key);
		yp_skip(y);
		return NULL;
	}
	return (char *)*arr + (*n)++ * size;
}

void props_raw_parse(struct props_raw **prp, struct yp *y, struct diag *d, size_t *errors)
{
	char *nmid, *eid;
	struct yp_mark m, em;

	if (*prp == NULL && (*prp = calloc(1, sizeof(**prp))) == NULL) {
		PERR(d, errors, pat_of(y, yp_mark(y)), "out of memory");
		yp_skip(y);
		return;
	}
	struct props_raw *pr = *prp;
	if (!yp_mapping_begin(y, "property-maps (a mapping of network map ids)"))
		return;
	while (yp_mapping_key(y, &nmid, &m)) {
		struct raw_psec *s =
		        push_keyed(y, (void **)&pr->s, &pr->n, &pr->cap, sizeof(*pr->s), nmid, m, d, errors);
		if (s == NULL)
			continue;
		*s = (struct raw_psec){.netmap = nmid, .at = pat_of(y, m)};
		if (!yp_mapping_begin(y, "a property map (a mapping of entity ids)"))
			continue;
		while (yp_mapping_key(y, &eid, &em)) {
			struct raw_pent *e =
			        push_keyed(y, (void **)&s->e, &s->n, &s->cap, sizeof(*s->e), eid, em, d, errors);
			if (e == NULL)
				continue;
			*e = (struct raw_pent){.id = eid, .at = pat_of(y, em)};
			parse_entity(y, e, d, errors);
		}
	}
}

void props_raw_free(struct props_raw *pr)
{
	if (pr == NULL)
		return;
	for (size_t i = 0; i < pr->n; i++) {
		struct raw_psec *s = &pr->s[i];
		for (size_t k = 0; k < s->n; k++) {
			for (size_t j = 0; j < s->e[k].n; j++) {
				free(s->e[k].v[j].name);
				free(s->e[k].v[j].value);
			}
			free(s->e[k].v);
			free(s->e[k].id);
		}
		free(s->e);
		free(s->netmap);
	}
	free(pr->s);
	free(pr);
}

/* ---- resolving ---- */

struct ent_ref {
	struct topo_pentity ent;
	struct raw_pent *raw;
};

static int ent_cmp(const void *a, const void *b)
{
	const struct topo_pentity *x = &((const struct ent_ref *)a)->ent, *y = &((const struct ent_ref *)b)->ent;
	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->domain == PD_PID)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return ip_prefix_cmp(&x->prefix, &y->prefix);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int val_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct topo_propval *)a)->prop, y = ((const struct topo_propval *)b)->prop;
	return (x > y) - (x < y);
}

/* An entity id of this map's property map: "ipv4:<address or prefix>",
 * "ipv6:...", "<map>.pid:<PID>" (RFC 9240 §5.1.3, §6.1.1, §6.1.3).
 * 0, or reports why not. */
static int resolve_entity(const struct topo *t, const struct topo_netmap *nm, struct raw_pent *r,
                          struct topo_pentity *out, struct diag *d, size_t *errors)
{
	struct pat at = r->at;
	const char *colon = strchr(r->id, ':');
	memset(out, 0, sizeof(*out));
	if (colon == NULL) {
		PERR(d, errors, at,
		     "entity '%s' has no entity domain (an entity id is '<domain>:<id>', RFC 9240 §5.1.3)", r->id);
		return ALTOD_ECONFIG;
	}
	size_t dl = (size_t)(colon - r->id);
	const char *rest = colon + 1;
	if ((dl == 4 && strncmp(r->id, "ipv4", 4) == 0) || (dl == 4 && strncmp(r->id, "ipv6", 4) == 0)) {
		enum ip_family f = r->id[3] == '4' ? IP_V4 : IP_V6;
		const char *why;
		if (strchr(rest, '/') == NULL) {
			/* an address is the /32 or /128 prefix (RFC 9240 §6.1.1.1) */
			if (ip_addr_parse(rest, f, out->prefix.addr) != 0) {
				PERR(d, errors, at, "bad %s entity '%s': not an %s address or prefix",
				     f == IP_V4 ? "ipv4" : "ipv6", r->id, f == IP_V4 ? "IPv4" : "IPv6");
				return ALTOD_ECONFIG;
			}
			out->prefix.family = (uint8_t)f;
			out->prefix.len = f == IP_V4 ? 32 : 128;
		} else if (ip_prefix_parse(rest, f, &out->prefix, &why) != 0) {
			PERR(d, errors, at, "bad %s entity '%s': %s", f == IP_V4 ? "ipv4" : "ipv6", r->id, why);
			return ALTOD_ECONFIG;
		}
		out->domain = f == IP_V4 ? PD_IPV4 : PD_IPV6;
		char s[IP_PREFIX_STRLEN];
		ip_prefix_format(&out->prefix, s);
		size_t n = strlen(s) + 6;
		out->id = malloc(n);
		if (out->id == NULL) {
			PERR(d, errors, at, "out of memory");
			return ALTOD_ENOMEM;
		}
		memcpy(out->id, f == IP_V4 ? "ipv4:" : "ipv6:", 5);
		memcpy(out->id + 5, s, n - 5);
		return 0;
	}
	size_t nl = strlen(nm->id);
	if (dl == nl + 4 && strncmp(r->id, nm->id, nl) == 0 && strncmp(r->id + nl, ".pid", 4) == 0) {
		out->domain = PD_PID;
		out->pid = topo_pid_find(nm, rest);
		if (out->pid == TOPO_NONE) {
			PERR(d, errors, at, "PID '%s' is not defined in network map '%s'", rest, nm->id);
			return ALTOD_ECONFIG;
		}
		out->id = strdup(r->id);
		if (out->id == NULL) {
			PERR(d, errors, at, "out of memory");
			return ALTOD_ENOMEM;
		}
		return 0;
	}
	if (dl > 4 && strncmp(r->id + dl - 4, ".pid", 4) == 0) {
		size_t ol = dl - 4;
		if (ol <= ALTO_NAME_MAX) {
			char other[ALTO_NAME_MAX + 1];
			memcpy(other, r->id, ol);
			other[ol] = '\0';
			if (topo_netmap_find(t, other)) {
				PERR(d, errors, at,
				     "entity '%s': the property map of network map '%s' has the domains ipv4, ipv6 and "
				     "'%s.pid', not another map's PIDs",
				     r->id, nm->id, nm->id);
				return ALTOD_ECONFIG;
			}
		}
	}
	PERR(d, errors, at, "entity '%s': entity domain '%.*s' does not exist (ipv4, ipv6, %s.pid)", r->id, (int)dl,
	     r->id, nm->id);
	return ALTOD_ECONFIG;
}

static int props_index(struct topo_props *p);

/* The property map of nm from every section given for it. */
static void build_map(const struct topo *t, struct topo_netmap *nm, struct raw_psec **secs, size_t nsecs,
                      struct diag *d, size_t *errors)
{
	size_t nent = 0, nvals = 0;
	for (size_t i = 0; i < nsecs; i++) {
		nent += secs[i]->n;
		for (size_t k = 0; k < secs[i]->n; k++)
			nvals += secs[i]->e[k].n;
	}
	struct topo_props *p = calloc(1, sizeof(*p));
	struct ent_ref *refs = calloc(nent ? nent : 1, sizeof(*refs));
	char **names = malloc((nvals ? nvals : 1) * sizeof(*names));
	if (!p || !refs || !names) {
		free(p);
		free(refs);
		free(names);
		PERR(d, errors, secs[0]->at, "out of memory");
		return;
	}
	nm->props = p;
	size_t n = 0, nn = 0;
	for (size_t i = 0; i < nsecs; i++)
		for (size_t k = 0; k < secs[i]->n; k++) {
			struct raw_pent *r = &secs[i]->e[k];
			for (size_t j = 0; j < r->n; j++)
				names[nn++] = r->v[j].name;
			if (resolve_entity(t, nm, r, &refs[n].ent, d, errors) == 0) {
				refs[n].raw = r;
				n++;
			}
		}
	/* the property names, sorted and unique */
	qsort(names, nn, sizeof(*names), str_cmp);
	size_t u = 0;
	for (size_t i = 0; i < nn; i++)
		if (u == 0 || strcmp(names[u - 1], names[i]) != 0)
			names[u++] = names[i];
	p->names = calloc(u ? u : 1, sizeof(*p->names));
	for (int dd = 0; dd < PD_COUNT; dd++)
		p->in_domain[dd] = calloc(u ? u : 1, sizeof(bool));
	bool oom = p->names == NULL || !p->in_domain[0] || !p->in_domain[1] || !p->in_domain[2];
	for (size_t i = 0; i < u && !oom; i++) {
		p->names[i] = strdup(names[i]);
		oom = p->names[i] == NULL;
		p->nnames = (uint32_t)i + 1;
	}
	free(names);
	/* entities, sorted; one entity, one place */
	qsort(refs, n, sizeof(*refs), ent_cmp);
	for (size_t i = 1; i < n; i++) {
		if (ent_cmp(&refs[i - 1], &refs[i]) == 0) {
			struct pat f = refs[i - 1].raw->at;
			PERR(d, errors, refs[i].raw->at, "entity '%s' is given twice (first as '%s' at %s:%u:%u)",
			     refs[i].raw->id, refs[i - 1].raw->id, f.file, f.line, f.col);
		}
	}
	p->ent = calloc(n ? n : 1, sizeof(*p->ent));
	oom = oom || p->ent == NULL;
	for (size_t i = 0; i < n; i++) {
		struct topo_pentity *e = &refs[i].ent;
		if (oom) {
			free(e->id);
			continue;
		}
		struct raw_pent *r = refs[i].raw;
		e->vals = calloc(r->n ? r->n : 1, sizeof(*e->vals));
		if (e->vals == NULL) {
			free(e->id);
			oom = true;
			continue;
		}
		for (size_t j = 0; j < r->n; j++) {
			uint32_t k = topo_props_name(p, r->v[j].name);
			e->vals[j] = (struct topo_propval){k, r->v[j].value};
			r->v[j].value = NULL;
			if (k != PROP_NONE)
				p->in_domain[e->domain][k] = true;
		}
		e->nvals = (uint32_t)r->n;
		qsort(e->vals, e->nvals, sizeof(*e->vals), val_cmp);
		p->ent[p->nent++] = *e;
	}
	free(refs);
	if (oom) {
		PERR(d, errors, secs[0]->at, "out of memory");
		return;
	}
	size_t k = 0;
	for (int dd = 0; dd < PD_COUNT; dd++) {
		p->first[dd] = k;
		while (k < p->nent && p->ent[k].domain == (enum prop_domain)dd)
			k++;
	}
	p->first[PD_COUNT] = p->nent;
	if (props_index(p) != 0)
		PERR(d, errors, secs[0]->at, "out of memory");
}

static int psec_cmp(const void *a, const void *b)
{
	const struct raw_psec *x = *(struct raw_psec *const *)a, *y = *(struct raw_psec *const *)b;
	int c = strcmp(x->netmap, y->netmap);
	return c ? c : (x > y) - (x < y);
}

void props_raw_build(struct props_raw *pr, struct topo *t, struct diag *d, size_t *errors)
{
	if (pr == NULL || pr->n == 0)
		return;
	struct raw_psec **secs = malloc(pr->n * sizeof(*secs));
	if (secs == NULL) {
		PERR(d, errors, pr->s[0].at, "out of memory");
		return;
	}
	for (size_t i = 0; i < pr->n; i++)
		secs[i] = &pr->s[i];
	/* by map, in the order given: a map's sections may be in several files */
	qsort(secs, pr->n, sizeof(*secs), psec_cmp);
	for (size_t i = 0; i < pr->n;) {
		size_t j = i + 1;
		while (j < pr->n && strcmp(secs[j]->netmap, secs[i]->netmap) == 0)
			j++;
		const struct topo_netmap *cnm = topo_netmap_find(t, secs[i]->netmap);
		if (cnm == NULL)
			PERR(d, errors, secs[i]->at, "property map for network map '%s', which is not defined",
			     secs[i]->netmap);
		else if (cnm->pids != NULL && cnm->props == NULL)
			build_map(t, &t->netmaps[cnm - t->netmaps], secs + i, j - i, d, errors);
		i = j;
	}
	free(secs);
}

/* ---- the index: one lookup per address, every property ---- */

/* Is b inside (or equal to) a? */
static bool covers(const struct ip_prefix *a, const struct ip_prefix *b)
{
	if (a->len > b->len)
		return false;
	unsigned full = a->len / 8u, rest = a->len % 8u;
	if (memcmp(a->addr, b->addr, full) != 0)
		return false;
	return rest == 0 || ((a->addr[full] ^ b->addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* own (sorted by prop, unique) over par: own's value where both have a
 * property. Writes out (room for no + par.n); returns the count. */
static uint32_t merge(const struct topo_propval *own, uint32_t no, struct topo_pvals par, struct topo_propval *out)
{
	uint32_t i = 0, j = 0, n = 0;
	while (i < no || j < par.n) {
		if (j == par.n || (i < no && own[i].prop <= par.v[j].prop)) {
			if (j < par.n && own[i].prop == par.v[j].prop)
				j++;
			out[n++] = own[i++];
		} else {
			out[n++] = par.v[j++];
		}
	}
	return n;
}

/* Builds p's index (struct topo_props) from its sorted entities. RFC 9240
 * §6.1.2.2: an address takes each property's value from the longest prefix
 * covering it that defines THAT property, so each prefix's answer is its
 * own values over its parent's answer, resolved here once per snapshot:
 * sorted by (address, length), the prefixes come parents first (they are
 * nested or disjoint), and a stack holds those covering the current one.
 * 0 or ALTOD_ENOMEM. */
static int props_index(struct topo_props *p)
{
	size_t n = p->nent, cap = 0;
	size_t *stack = malloc((n ? n : 1) * sizeof(*stack));
	size_t *off = malloc((n ? n : 1) * sizeof(*off)); /* in rv, or SIZE_MAX: own vals */
	struct lpm_entry *le = malloc((n ? n : 1) * sizeof(*le));
	size_t nle = 0;
	int rc = ALTOD_ENOMEM;

	p->parent = malloc((n ? n : 1) * sizeof(*p->parent));
	p->res = malloc((n ? n : 1) * sizeof(*p->res));
	if (!stack || !off || !le || !p->parent || !p->res)
		goto out;
	for (size_t i = 0; i < n; i++) {
		p->parent[i] = LPM_NONE;
		p->res[i] = (struct topo_pvals){p->ent[i].vals, p->ent[i].nvals};
		off[i] = SIZE_MAX;
	}
	for (int d = PD_IPV4; d <= PD_IPV6; d++) {
		size_t sp = 0;
		for (size_t i = p->first[d]; i < p->first[d + 1]; i++) {
			const struct topo_pentity *e = &p->ent[i];
			while (sp > 0 && !covers(&p->ent[stack[sp - 1]].prefix, &e->prefix))
				sp--;
			if (sp > 0 && p->ent[stack[sp - 1]].prefix.len == e->prefix.len)
				continue; /* given twice: reported, the load fails */
			le[nle++] = (struct lpm_entry){e->prefix, (uint32_t)i};
			stack[sp++] = i;
			if (sp == 1)
				continue;
			uint32_t par = (uint32_t)stack[sp - 2];
			p->parent[i] = par;
			size_t need = p->nrv + e->nvals + p->res[par].n;
			if (need > cap) {
				size_t nc = cap ? cap : 64;
				while (nc < need)
					nc *= 2;
				struct topo_propval *nrv = realloc(p->rv, nc * sizeof(*nrv));
				if (nrv == NULL)
					goto out;
				p->rv = nrv;
				cap = nc;
			}
			struct topo_pvals pv = p->res[par];
			if (off[par] != SIZE_MAX)
				pv.v = p->rv + off[par]; /* rv may have moved */
			uint32_t m = merge(e->vals, e->nvals, pv, p->rv + p->nrv);
			if (m == e->nvals)
				continue; /* defines all its parent answers: its own */
			off[i] = p->nrv;
			p->res[i].n = m;
			p->nrv += m;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (off[i] != SIZE_MAX)
			p->res[i].v = p->rv + off[i];
	if (lpm_build(&p->ip[0], IP_V4, le, nle) != 0 || lpm_build(&p->ip[1], IP_V6, le, nle) != 0)
		goto out;
	rc = 0;
out:
	free(stack);
	free(off);
	free(le);
	return rc;
}

size_t topo_props_index_memory(const struct topo_props *p)
{
	if (p == NULL)
		return 0;
	return lpm_memory(&p->ip[0]) + lpm_memory(&p->ip[1]) + p->nent * (sizeof(*p->parent) + sizeof(*p->res)) +
	       p->nrv * sizeof(*p->rv);
}

/* ---- lookups ---- */

void topo_props_free(struct topo_props *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; i < p->nnames; i++)
		free(p->names[i]);
	free(p->names);
	for (int d = 0; d < PD_COUNT; d++)
		free(p->in_domain[d]);
	for (size_t i = 0; i < p->nent; i++) {
		for (uint32_t k = 0; k < p->ent[i].nvals; k++)
			free(p->ent[i].vals[k].value);
		free(p->ent[i].vals);
		free(p->ent[i].id);
	}
	free(p->ent);
	lpm_free(&p->ip[0]);
	lpm_free(&p->ip[1]);
	free(p->parent);
	free(p->res);
	free(p->rv);
	free(p);
}

uint32_t topo_props_name(const struct topo_props *p, const char *name)
{
	if (p == NULL)
		return PROP_NONE;
	uint32_t lo = 0, hi = p->nnames;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, p->names[mid]);
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return PROP_NONE;
}

bool topo_props_domain_used(const struct topo_props *p, enum prop_domain d)
{
	return p && p->first[d + 1] > p->first[d];
}

const char *topo_pvals_get(struct topo_pvals v, uint32_t prop)
{
	uint32_t lo = 0, hi = v.n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v.v[mid].prop == prop)
			return v.v[mid].value;
		if (v.v[mid].prop < prop)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* RFC 9240 §6.1.2.2 (inheritance), from the index: the longest entity
 * prefix covering q's first address, then up its parents to the longest
 * one no longer than q (which covers all of q); its answer has, for each
 * property, the value of the longest prefix covering q that defines it. */
struct topo_pvals topo_props_ip_all(const struct topo_props *p, const struct ip_prefix *q)
{
	struct topo_pvals none = {NULL, 0};
	if (p == NULL || p->res == NULL)
		return none;
	int f = q->family == IP_V4 ? 0 : 1;
	struct ip_prefix k = *q;
	unsigned width = f ? 128 : 32;
	if (k.len < width) { /* the first address: host bits cleared */
		k.addr[k.len / 8] &= (uint8_t)(0xff00u >> (k.len % 8));
		memset(k.addr + k.len / 8 + 1, 0, 15 - k.len / 8);
	}
	uint32_t e = lpm_lookup(&p->ip[f], k.addr);
	while (e != LPM_NONE && p->ent[e].prefix.len > k.len)
		e = p->parent[e];
	return e == LPM_NONE ? none : p->res[e];
}

const char *topo_props_ip(const struct topo_props *p, const struct ip_prefix *q, uint32_t prop)
{
	if (p == NULL || prop >= p->nnames)
		return NULL;
	return topo_pvals_get(topo_props_ip_all(p, q), prop);
}

struct topo_pvals topo_props_pid_all(const struct topo_props *p, uint32_t pid)
{
	if (p == NULL)
		return (struct topo_pvals){NULL, 0};
	size_t lo = p->first[PD_PID], hi = p->first[PD_PID + 1];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->ent[mid].pid == pid)
			return (struct topo_pvals){p->ent[mid].vals, p->ent[mid].nvals};
		if (p->ent[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (struct topo_pvals){NULL, 0};
}

const char *topo_props_pid(const struct topo_props *p, uint32_t pid, uint32_t prop)
{
	if (p == NULL || prop >= p->nnames)
		return NULL;
	return topo_pvals_get(topo_props_pid_all(p, pid), prop);
}

/* ---- views ---- */

/* The interval of lpm holding key k (the last one starting at or before k). */
static size_t interval_of(const struct lpm *lpm, lpm_key k)
{
	size_t lo = 0, hi = lpm->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (lpm_start(lpm, mid) <= k)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int pid_ent_cmp(const void *a, const void *b)
{
	const struct topo_pentity *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

int topo_props_view(const struct topo_netmap *base, struct topo_netmap *view, const uint32_t *to_view,
                    uint32_t catch_all, const struct topo_props_view_spec *vs, struct diag *d)
{
	const struct topo_props *bp = base->props;
	if (vs->n == 0)
		return 0;
	int rc = 0;
	bool *keep = calloc(bp && bp->nnames ? bp->nnames : 1, sizeof(bool));
	uint32_t *remap = malloc((bp && bp->nnames ? bp->nnames : 1) * sizeof(uint32_t));
	size_t *cum[2] = {NULL, NULL};
	struct topo_props *p = calloc(1, sizeof(*p));
	if (!keep || !remap || !p)
		goto oom;
	for (size_t i = 0; i < vs->n; i++) {
		uint32_t k = topo_props_name(bp, vs->names[i]);
		if (k == PROP_NONE) {
			diag_add(d, vs->file, vs->lines[i], vs->cols[i],
			         "view '%s': property '%s' is not in the property map of network map '%s'", view->id,
			         vs->names[i], base->id);
			rc = ALTOD_ECONFIG;
		} else {
			keep[k] = true;
		}
	}
	if (rc != 0)
		goto out;
	/* the names the view exposes, in the base's (sorted) order */
	p->names = calloc(vs->n, sizeof(*p->names));
	for (int dd = 0; dd < PD_COUNT; dd++)
		p->in_domain[dd] = calloc(vs->n, sizeof(bool));
	p->ent = calloc(bp->nent ? bp->nent : 1, sizeof(*p->ent));
	if (!p->names || !p->in_domain[0] || !p->in_domain[1] || !p->in_domain[2] || !p->ent)
		goto oom;
	for (uint32_t k = 0; k < bp->nnames; k++) {
		remap[k] = PROP_NONE;
		if (!keep[k])
			continue;
		if ((p->names[p->nnames] = strdup(bp->names[k])) == NULL)
			goto oom;
		remap[k] = p->nnames++;
	}
	/* per family, how many intervals of the view's longest-prefix match
	 * before interval i fall to the catch-all (or to no PID) */
	for (int f = 0; f < 2; f++) {
		const struct lpm *l = &view->lpm[f];
		cum[f] = calloc(l->n + 1, sizeof(size_t));
		if (cum[f] == NULL)
			goto oom;
		for (size_t i = 0; i < l->n; i++) {
			uint32_t v = lpm_value(l, i);
			cum[f][i + 1] = cum[f][i] + (v == catch_all || v == LPM_NONE);
		}
	}
	for (size_t i = 0; i < bp->nent; i++) {
		const struct topo_pentity *be = &bp->ent[i];
		struct topo_pentity e = {.domain = be->domain, .prefix = be->prefix};
		if (be->domain == PD_PID) {
			/* a kept PID, under its name in the view */
			if (to_view[be->pid] == TOPO_NONE)
				continue;
			e.pid = to_view[be->pid];
			const char *pn = view->pids[e.pid].name;
			size_t n = strlen(view->id) + strlen(pn) + 6;
			if ((e.id = malloc(n)) == NULL)
				goto oom;
			snprintf(e.id, n, "%s.pid:%s", view->id, pn);
		} else {
			/* a prefix the view shows whole: every address of it is in
			 * a kept PID. A prefix reaching into hidden space (the
			 * catch-all) never appears, so its value reaches no address
			 * of a hidden PID, by lookup or by a client's inheritance */
			int f = be->domain == PD_IPV4 ? 0 : 1;
			const struct lpm *l = &view->lpm[f];
			unsigned width = f ? 128 : 32;
			lpm_key lo = lpm_key_of(l, be->prefix.addr);
			lpm_key span = be->prefix.len == 0 ? (f ? ~(lpm_key)0 : (lpm_key)UINT32_MAX)
			                                   : (((lpm_key)1 << (width - be->prefix.len)) - 1);
			if (l->n == 0)
				continue;
			size_t i0 = interval_of(l, lo), i1 = interval_of(l, lo + span);
			if (cum[f][i1 + 1] != cum[f][i0])
				continue;
			if ((e.id = strdup(be->id)) == NULL)
				goto oom;
		}
		e.vals = calloc(be->nvals ? be->nvals : 1, sizeof(*e.vals));
		if (e.vals == NULL) {
			free(e.id);
			goto oom;
		}
		for (uint32_t k = 0; k < be->nvals; k++) {
			uint32_t r = remap[be->vals[k].prop];
			if (r == PROP_NONE)
				continue;
			if ((e.vals[e.nvals].value = strdup(be->vals[k].value)) == NULL) {
				p->ent[p->nent++] = e; /* freed with p */
				goto oom;
			}
			e.vals[e.nvals++].prop = r;
			p->in_domain[e.domain][r] = true;
		}
		if (e.nvals == 0) { /* nothing the view exposes */
			free(e.vals);
			free(e.id);
			continue;
		}
		p->ent[p->nent++] = e;
	}
	size_t k = 0;
	for (int dd = 0; dd < PD_COUNT; dd++) {
		p->first[dd] = k;
		while (k < p->nent && p->ent[k].domain == (enum prop_domain)dd)
			k++;
	}
	p->first[PD_COUNT] = p->nent;
	/* view PID indices follow the view's names, not the base's */
	qsort(p->ent + p->first[PD_PID], p->nent - p->first[PD_PID], sizeof(*p->ent), pid_ent_cmp);
	if (props_index(p) != 0)
		goto oom;
	if (p->nent > 0) {
		view->props = p;
		p = NULL;
	}
	goto out;
oom:
	rc = ALTOD_ENOMEM; /* reported by the caller */
out:
	topo_props_free(p);
	free(keep);
	free(remap);
	free(cum[0]);
	free(cum[1]);
	return rc;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Property maps (RFC 9240): the full map of a network map's entity
 * properties (§7), rendered once per snapshot, and the filtered property
 * map service (§8), which applies the ipv4/ipv6 inheritance (§6.1.2.2).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alto/arena.h"
#include "alto/propmap.h"
#include "alto/render.h"
#include "topo/props.h"
#include "util/err.h"

bool propmap_uses_netmap(const struct topo_netmap *nm)
{
	return topo_props_domain_used(nm->props, PD_PID);
}

/* RFC 9240 §5.2.2: "EntityPropertyName ::= [ ResourceID ] '.'
 * EntityPropertyType"; the properties of the maps files are defined by the
 * property map itself (self-defined), whose name is "." and the type, the
 * ResourceID omitted (".asn", ".priv:access"). The endpoint property
 * service keeps RFC 7285's names ("asn"). */
static void prop_name(struct buf *b, const char *type)
{
	/* types hold only [A-Za-z0-9:_-] (§5.2.1, checked by the loader):
	 * nothing to escape */
	buf_puts(b, "\".");
	buf_puts(b, type);
	buf_putc(b, '"');
}

/* A property of a request: ".<type>", or "<this resource's id>.<type>",
 * whose ResourceID "SHOULD be ignored" (§5.2.2) as it names the property
 * map itself; PROP_NONE otherwise (a bare RFC 7285 name is not an
 * EntityPropertyName). */
static uint32_t parse_prop_name(const struct resource *r, const char *s)
{
	size_t il = strlen(r->id);
	if (strncmp(s, r->id, il) == 0 && s[il] == '.')
		s += il;
	else if (s[0] != '.')
		return PROP_NONE;
	return topo_props_name(r->nm->props, s + 1);
}

static void domain_name(struct buf *b, const struct topo_netmap *nm, enum prop_domain d)
{
	if (d == PD_PID) {
		buf_putc(b, '"');
		buf_puts(b, nm->id);
		buf_puts(b, ".pid\"");
	} else {
		buf_puts(b, d == PD_IPV4 ? "\"ipv4\"" : "\"ipv6\"");
	}
}

void render_propmap_mappings(struct buf *b, const struct topo_netmap *nm)
{
	const struct topo_props *p = nm->props;
	buf_puts(b, "\"mappings\":{");
	bool first = true;
	for (int d = 0; p && d < PD_COUNT; d++) {
		if (!topo_props_domain_used(p, (enum prop_domain)d))
			continue;
		if (!first)
			buf_putc(b, ',');
		first = false;
		domain_name(b, nm, (enum prop_domain)d);
		buf_puts(b, ":[");
		bool f2 = true;
		for (uint32_t k = 0; k < p->nnames; k++) {
			if (!p->in_domain[d][k])
				continue;
			if (!f2)
				buf_putc(b, ',');
			f2 = false;
			prop_name(b, p->names[k]);
		}
		buf_putc(b, ']');
	}
	buf_putc(b, '}');
}

/* §7.6: "dependent-vtags" names the network map whose PIDs are entities */
static void render_meta(struct buf *b, const struct topo_netmap *nm)
{
	if (!propmap_uses_netmap(nm))
		return;
	buf_puts(b, "\"meta\":{\"dependent-vtags\":[");
	render_vtag(b, nm);
	buf_puts(b, "]},");
}

char *render_propmap(const struct topo_netmap *nm, size_t *len)
{
	const struct topo_props *p = nm->props;
	struct buf b;

	buf_init(&b);
	buf_putc(&b, '{');
	render_meta(&b, nm);
	buf_puts(&b, "\"property-map\":{");
	for (size_t i = 0; p && i < p->nent; i++) {
		const struct topo_pentity *e = &p->ent[i];
		if (i)
			buf_putc(&b, ',');
		jw_str(&b, e->id);
		buf_puts(&b, ":{");
		for (uint32_t k = 0; k < e->nvals; k++) {
			if (k)
				buf_putc(&b, ',');
			prop_name(&b, p->names[e->vals[k].prop]);
			buf_putc(&b, ':');
			jw_str(&b, e->vals[k].value);
		}
		buf_putc(&b, '}');
	}
	buf_puts(&b, "}}");
	return buf_finish(&b, len);
}

/* ---- the filtered property map (§8) ---- */

struct qent {
	const char *text; /* as the client wrote it */
	enum prop_domain domain;
	struct ip_prefix prefix;
	uint32_t pid; /* TOPO_NONE: a PID the map does not have (no values) */
	bool dup;
};

static int fail(struct alto_error *err, const char *code, const char *field, const json_t *v)
{
	const char *s = v ? json_string_value(v) : NULL;
	if (s && strlen(s) != json_string_length(v))
		s = NULL; /* with a NUL: no value rather than a cut one */
	alto_error_set(err, code, field, s);
	return ALTOD_EREQUEST;
}

/* An EntityID of a domain this property map has (§5.1.3). A domain it
 * does not have, or a malformed id, is E_INVALID_FIELD_VALUE (§8.5). */
static bool parse_qent(const struct topo_netmap *nm, const char *s, struct qent *q)
{
	const struct topo_props *p = nm->props;
	const char *colon = strchr(s, ':');
	memset(q, 0, sizeof(*q));
	q->text = s;
	q->pid = TOPO_NONE;
	if (colon == NULL)
		return false;
	size_t dl = (size_t)(colon - s), nl = strlen(nm->id);
	const char *rest = colon + 1;
	if (dl == 4 && (strncmp(s, "ipv4", 4) == 0 || strncmp(s, "ipv6", 4) == 0)) {
		enum ip_family f = s[3] == '4' ? IP_V4 : IP_V6;
		const char *why;
		q->domain = f == IP_V4 ? PD_IPV4 : PD_IPV6;
		if (!topo_props_domain_used(p, q->domain))
			return false;
		if (strchr(rest, '/') == NULL) {
			if (ip_addr_parse(rest, f, q->prefix.addr) != 0)
				return false;
			q->prefix.family = (uint8_t)f;
			q->prefix.len = f == IP_V4 ? 32 : 128;
			return true;
		}
		return ip_prefix_parse(rest, f, &q->prefix, &why) == 0;
	}
	if (dl == nl + 4 && strncmp(s, nm->id, nl) == 0 && strncmp(s + nl, ".pid", 4) == 0) {
		q->domain = PD_PID;
		if (!topo_props_domain_used(p, PD_PID))
			return false;
		/* a PID the map does not have: a valid id with no values */
		q->pid = topo_pid_find(nm, rest);
		return true;
	}
	return false;
}

static int text_cmp(const void *a, const void *b, void *ctx)
{
	const struct qent *q = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(q[x].text, q[y].text);
	return c ? c : (x > y) - (x < y);
}

/* Do the first `len` bits of a and b agree? */
static bool bits_match(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* The first entity of the map sorting after q (ip_prefix_cmp), in q's
 * domain: the entities strictly inside q follow it, contiguously. */
static size_t first_after(const struct topo_props *p, const struct qent *q)
{
	size_t lo = p->first[q->domain], hi = p->first[q->domain + 1];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ip_prefix_cmp(&p->ent[mid].prefix, &q->prefix) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* RFC 9240 §8.6: "If an entity in the request is identified by a
 * hierarchical identifier (e.g., a "ipv4" or "ipv6" prefix), the response
 * MUST cover properties for all identifiers in this hierarchical
 * identifier": each defined prefix or address strictly inside a requested
 * prefix is given too, under its own id, with the values it defines for
 * the requested properties (what differs from the requested prefix's own).
 * One not already answered: seen[] marks the map's entities a request
 * names itself (answered with their inherited values) or that were given. */
static void covered(struct buf *b, const struct topo_props *p, const struct qent *q, const uint32_t *props, size_t np,
                    bool *seen, bool *first)
{
	for (size_t i = first_after(p, q); i < p->first[q->domain + 1]; i++) {
		const struct topo_pentity *e = &p->ent[i];
		if (!bits_match(e->prefix.addr, q->prefix.addr, q->prefix.len))
			break; /* past q's addresses */
		if (seen[i])
			continue;
		seen[i] = true;
		bool opened = false;
		for (size_t k = 0; k < np; k++) {
			const char *v = NULL;
			for (uint32_t j = 0; j < e->nvals && v == NULL; j++)
				if (e->vals[j].prop == props[k])
					v = e->vals[j].value;
			if (v == NULL)
				continue;
			if (!opened) {
				if (!*first)
					buf_putc(b, ',');
				*first = false;
				jw_str(b, e->id);
				buf_puts(b, ":{");
				opened = true;
			} else {
				buf_putc(b, ',');
			}
			prop_name(b, p->names[props[k]]);
			buf_putc(b, ':');
			jw_str(b, v);
		}
		if (opened)
			buf_putc(b, '}');
	}
}

static char *filtered(const struct topo_netmap *nm, struct qent *q, size_t nq, const uint32_t *props, size_t np,
                      size_t *len)
{
	const struct topo_props *p = nm->props;
	struct buf b;
	bool *seen = NULL;

	/* seen[] serves covered() only: a request of addresses and PIDs
	 * (the usual one) needs neither it nor the marking */
	for (size_t i = 0; i < nq && seen == NULL; i++) {
		if (q[i].domain != PD_PID && q[i].prefix.len < (q[i].domain == PD_IPV4 ? 32 : 128) &&
		    (seen = calloc(p->nent ? p->nent : 1, sizeof(*seen))) == NULL)
			return NULL;
	}
	/* the map's entities the request names itself (by prefix, whatever
	 * its text) are answered as requested, not again as covered ones */
	for (size_t i = 0; i < nq && seen; i++) {
		if (q[i].domain == PD_PID)
			continue;
		size_t k = first_after(p, &q[i]);
		if (k > p->first[q[i].domain] && ip_prefix_cmp(&p->ent[k - 1].prefix, &q[i].prefix) == 0)
			seen[k - 1] = true;
	}

	buf_init(&b);
	buf_putc(&b, '{');
	render_meta(&b, nm);
	buf_puts(&b, "\"property-map\":{");
	bool first = true;
	for (size_t i = 0; i < nq; i++) {
		if (q[i].dup)
			continue;
		bool opened = false;
		/* every property of the entity from one lookup (topo/props.c
		 * resolves the inheritance when the snapshot is built) */
		struct topo_pvals vals = {NULL, 0};
		if (q[i].domain != PD_PID)
			vals = topo_props_ip_all(p, &q[i].prefix);
		else if (q[i].pid != TOPO_NONE)
			vals = topo_props_pid_all(p, q[i].pid);
		for (size_t k = 0; k < np && vals.n > 0; k++) {
			const char *v = topo_pvals_get(vals, props[k]);
			/* §8.6: a property the entity has no value for is left out
			 * for that entity only; an entity with none, altogether */
			if (v == NULL)
				continue;
			if (!opened) {
				if (!first)
					buf_putc(&b, ',');
				first = false;
				jw_str(&b, q[i].text);
				buf_puts(&b, ":{");
				opened = true;
			} else {
				buf_putc(&b, ',');
			}
			prop_name(&b, p->names[props[k]]);
			buf_putc(&b, ':');
			jw_str(&b, v);
		}
		if (opened)
			buf_putc(&b, '}');
		if (q[i].domain != PD_PID && q[i].prefix.len < (q[i].domain == PD_IPV4 ? 32 : 128))
			covered(&b, p, &q[i], props, np, seen, &first);
	}
	free(seen);
	buf_puts(&b, "}}");
	return buf_finish(&b, len);
}

static char *answer(const struct resource *r, const json_t *root, const struct request_limits *lim, size_t *out_len,
                    struct alto_error *err)
{
	const struct topo_netmap *nm = r->nm;
	const json_t *ents = json_object_get(root, "entities");
	const json_t *props = json_object_get(root, "properties");
	char *out = NULL;

	if (ents == NULL) {
		fail(err, E_MISSING_FIELD, "entities", NULL);
		return NULL;
	}
	if (props == NULL) {
		fail(err, E_MISSING_FIELD, "properties", NULL);
		return NULL;
	}
	if (!json_is_array(ents)) {
		fail(err, E_INVALID_FIELD_TYPE, "entities", NULL);
		return NULL;
	}
	if (!json_is_array(props)) {
		fail(err, E_INVALID_FIELD_TYPE, "properties", NULL);
		return NULL;
	}
	size_t ne = json_array_size(ents), np = json_array_size(props);
	/* §8.3: entities<1..*>, properties<1..*> */
	if (ne == 0) {
		fail(err, E_INVALID_FIELD_VALUE, "entities", NULL);
		return NULL;
	}
	if (np == 0) {
		fail(err, E_INVALID_FIELD_VALUE, "properties", NULL);
		return NULL;
	}
	/* the same cap on the work of one request as for endpoints */
	if (lim && lim->max_endpoints && ne > lim->max_endpoints) {
		fail(err, E_INVALID_FIELD_VALUE, "entities", NULL);
		return NULL;
	}
	uint32_t *pidx = malloc(np * sizeof(*pidx));
	struct qent *q = malloc(ne * sizeof(*q));
	size_t *order = malloc(ne * sizeof(*order));
	if (!pidx || !q || !order)
		goto done;
	size_t npx = 0;
	for (size_t i = 0; i < np; i++) {
		const json_t *v = json_array_get(props, i);
		const char *s = json_string_value(v);
		uint32_t k = s && strlen(s) == json_string_length(v) ? parse_prop_name(r, s) : PROP_NONE;
		/* §8.5: a property this map does not have */
		if (k == PROP_NONE) {
			fail(err, E_INVALID_FIELD_VALUE, "properties", v);
			goto done;
		}
		bool dup = false;
		for (size_t j = 0; j < npx && !dup; j++)
			dup = pidx[j] == k;
		if (!dup)
			pidx[npx++] = k;
	}
	for (size_t i = 0; i < ne; i++) {
		const json_t *v = json_array_get(ents, i);
		const char *s = json_string_value(v);
		if (s == NULL || strlen(s) != json_string_length(v) || !parse_qent(nm, s, &q[i])) {
			fail(err, E_INVALID_FIELD_VALUE, "entities", v);
			goto done;
		}
		order[i] = i;
	}
	/* an entity named twice is answered once (a JSON object has unique keys) */
	qsort_r(order, ne, sizeof(*order), text_cmp, q);
	for (size_t i = 1; i < ne; i++)
		if (strcmp(q[order[i]].text, q[order[i - 1]].text) == 0)
			q[order[i]].dup = true;
	out = filtered(nm, q, ne, pidx, npx, out_len);
done:
	free(pidx);
	free(q);
	free(order);
	return out;
}

char *propmap_answer(const struct resource *r, const char *body, size_t len, const struct request_limits *lim,
                     size_t *out_len, struct alto_error *err)
{
	json_error_t jerr;
	char *out = NULL;

	alto_error_clear(err);
	if (lim && lim->max_depth && request_json_depth(body, len) > lim->max_depth) {
		alto_error_set(err, E_SYNTAX, NULL, NULL);
		return NULL;
	}
	arena_begin();
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		alto_error_set(err, E_SYNTAX, NULL, NULL);
		if (asprintf(&err->syntax, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text) < 0)
			err->syntax = NULL;
	} else if (!json_is_object(root)) {
		alto_error_set(err, E_SYNTAX, NULL, NULL);
		err->syntax = strdup("the request body must be a JSON object");
	} else {
		out = answer(r, root, lim, out_len, err);
	}
	json_decref(root);
	arena_end();
	return out;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ALTO protocol layer (RFC 7285): media types, errors, request parsing,
 * the resource catalog and the services. Pure code over a struct topo: no
 * HTTP library and no YAML in here.
 */
#ifndef ALTOD_ALTO_H
#define ALTOD_ALTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "altod/buf.h"
#include "altod/diag.h"
#include "altod/topo.h"

/* ---- media types (RFC 7285 §8.3, Table 2) ---- */
#define MT_DIRECTORY "application/alto-directory+json"
#define MT_NETWORKMAP "application/alto-networkmap+json"
#define MT_NETWORKMAPFILTER "application/alto-networkmapfilter+json"
#define MT_COSTMAP "application/alto-costmap+json"
#define MT_COSTMAPFILTER "application/alto-costmapfilter+json"
#define MT_ENDPOINTPROP "application/alto-endpointprop+json"
#define MT_ENDPOINTPROPPARAMS "application/alto-endpointpropparams+json"
#define MT_ENDPOINTCOST "application/alto-endpointcost+json"
#define MT_ENDPOINTCOSTPARAMS "application/alto-endpointcostparams+json"
#define MT_ERROR "application/alto-error+json"

/* Does an Accept header value admit this media type (RFC 7231 §5.3.2)?
 * NULL (no Accept header) admits everything. */
bool media_accepts(const char *accept, const char *type);
/* Is a Content-Type header value this media type (parameters ignored,
 * case-insensitive)? */
bool media_is(const char *content_type, const char *type);
/* Does Accept-Encoding admit gzip (q > 0)? NULL: no. */
bool media_accepts_gzip(const char *accept_encoding);
/* Does an If-None-Match value match this (quoted) entity tag? */
bool etag_list_matches(const char *header, const char *etag);

/* ---- errors (RFC 7285 §8.5) ---- */
#define E_SYNTAX "E_SYNTAX"
#define E_MISSING_FIELD "E_MISSING_FIELD"
#define E_INVALID_FIELD_TYPE "E_INVALID_FIELD_TYPE"
#define E_INVALID_FIELD_VALUE "E_INVALID_FIELD_VALUE"

struct alto_error {
	const char *code;  /* NULL: no error */
	const char *field; /* static path like "cost-type/cost-mode", or NULL */
	char *value;       /* what the client sent, as a string, or NULL */
	char *syntax;      /* E_SYNTAX detail, or NULL */
};

void alto_error_set(struct alto_error *e, const char *code, const char *field, const char *value);
void alto_error_clear(struct alto_error *e);
/* The one renderer of application/alto-error+json bodies. */
char *alto_error_render(const struct alto_error *e, size_t *len);

/* ---- resources ---- */
enum res_kind {
	RES_DIRECTORY,
	RES_NETWORKMAP,
	RES_COSTMAP,
	RES_FILTERED_NETWORKMAP,
	RES_FILTERED_COSTMAP,
	RES_ENDPOINTPROP,
	RES_ENDPOINTCOST,
};

struct cost_type {
	const struct topo_metric *metric;
	enum cost_mode mode;
};

struct resource {
	enum res_kind kind;
	char *id;
	char *uri;
	const char *media_type;
	const char *accepts;          /* NULL: GET; else the POST body's media type */
	const struct topo_netmap *nm; /* the network map it is built on (not the IRD, not endpointprop) */
	struct cost_type ct;          /* RES_COSTMAP */
	/* RES_FILTERED_COSTMAP, RES_ENDPOINTCOST: for each metric of nm (by
	 * index), the cost modes this catalog grants (bits of 1 << cost_mode):
	 * the modes of the cost maps of nm it offers. A cost type outside it
	 * is answered as an unknown one. */
	uint8_t *cost_modes;
	char *body; /* GET resources: rendered once per snapshot */
	size_t body_len;
	char *gz; /* the same, gzip-compressed once (NULL: not worth it) */
	size_t gz_len;
	char etag[24]; /* strong ETags of both representations */
	char etag_gz[28];
	bool borrowed; /* bodies belong to another catalog of the snapshot */
};

/* Renders (network and cost maps whose body is NULL), precompresses and
 * derives the ETags (a hash of the bytes, so every replica gives the same)
 * of n GET resources, on every CPU. 0, or -1 out of memory. */
int representations_build(struct resource *const *rs, size_t n);
/* The same for one resource whose body is rendered. */
int representation_finish(struct resource *r);
/* One gzip member of data, deflated in chunks of `chunk` bytes in
 * parallel (tests; NULL out of memory). */
char *representation_gzip(const char *data, size_t len, size_t chunk, size_t *out_len);

/* What one client may see: its resources, and the network maps they show. */
struct catalog {
	struct resource *res; /* sorted by uri */
	size_t nres;
	const struct topo_netmap **maps; /* maps whose network map resource is offered */
	size_t nmaps;
	const struct topo_netmap *default_map;
	bool private_; /* answers depend on the client: Cache-Control private */
};

struct catalog_spec {
	const struct topo_netmap *const *maps; /* in directory order */
	size_t nmaps;
	const struct topo_netmap *default_map; /* if offered; else the first map offered */
	/* which resource ids are offered; NULL: every one */
	bool (*granted)(void *ctx, const char *id);
	void *ctx;
	const struct catalog *universe; /* bodies already rendered, to share */
	bool private_;
};

int catalog_build(const struct catalog_spec *spec, struct catalog **out, struct diag *diag);
/* Every resource of a topology (no access control). */
int catalog_build_topo(const struct topo *t, struct catalog **out, struct diag *diag);
void catalog_free(struct catalog *c);
const struct resource *catalog_route(const struct catalog *c, const char *uri);
/* The IRD's name for a cost type: "num-routingcost", "ord-hopcount". */
void cost_type_name(const struct cost_type *ct, struct buf *b);

/* ---- rendering of whole resources (load time) ---- */
char *render_directory(const struct catalog *c, size_t *len);
char *render_networkmap(const struct topo_netmap *nm, size_t *len);
char *render_costmap(const struct topo_netmap *nm, const struct cost_type *ct, size_t *len);
void render_vtag(struct buf *b, const struct topo_netmap *nm);
void render_cost_type(struct buf *b, const struct cost_type *ct);

/* ---- requests (RFC 7285 §11.3-§11.5 input parameters) ---- */
enum cmp_op { OP_GT, OP_LT, OP_GE, OP_LE, OP_EQ };

struct constraint {
	enum cmp_op op;
	double value;
};

/* "le 10", "gt 0.5": an operator, whitespace, a number (§11.3.2.3). */
int constraint_parse(const char *s, struct constraint *out);

/* A request's constraints, ANDed (§11.3.2.3: "If multiple 'constraint'
 * parameters are specified, the ALTO server assumes conjunction"), folded
 * as they are parsed into one interval, so that testing a cost is O(1)
 * whatever their number. "eq x" is the closed interval [x, x]: for every
 * value that is not NaN, v == x exactly when x <= v <= x, so equality needs
 * no field of its own; two different "eq", or "eq 3" with "gt 3", leave an
 * empty interval (lo > hi, or lo == hi with an open end) that nothing
 * meets. -0.0 and 0.0 compare equal, here as in the naive evaluation. */
struct constraint_set {
	size_t n;              /* constraints folded in; 0: everything holds */
	double lo, hi;         /* -inf and +inf (closed) until bounded */
	bool lo_open, hi_open; /* "gt" / "lt": the bound itself is excluded */
};

void constraint_set_init(struct constraint_set *s);
void constraint_set_add(struct constraint_set *s, const struct constraint *c);
/* Can no value at all meet them? */
bool constraint_set_empty(const struct constraint_set *s);
/* Does v meet every constraint folded into s? A NaN meets none (as with
 * the comparisons one by one) unless there are no constraints. */
static inline bool constraint_set_holds(const struct constraint_set *s, double v)
{
	if (s->n == 0)
		return true;
	return (s->lo_open ? v > s->lo : v >= s->lo) && (s->hi_open ? v < s->hi : v <= s->hi);
}

struct endpoint {
	const char *text; /* as the client wrote it (points into the request) */
	enum ip_family family;
	uint8_t addr[16];
};

#define REQ_ALL UINT32_MAX /* "every PID" */

struct request {
	void *json; /* the parsed body (json_t *), owns the strings */
	/* filtered network map / filtered cost map */
	uint32_t *srcs, *dsts; /* PID indices, deduplicated, sorted */
	size_t nsrcs, ndsts;
	bool all_srcs, all_dsts; /* empty list: every PID */
	bool family[2];          /* address-types: [0] ipv4, [1] ipv6 */
	/* cost */
	struct cost_type ct;
	struct constraint_set cons; /* cons.n == 0: none */
	/* endpoints */
	struct endpoint *esrcs, *edsts;
	size_t nesrcs, nedsts;
	const struct topo_netmap **props; /* endpoint property: map per requested "<map>.pid" */
	const char **prop_names;
	size_t nprops;
};

struct request_limits {
	size_t max_endpoints;      /* per request, all lists together */
	size_t max_endpoint_pairs; /* srcs x dsts of an endpoint cost request */
	size_t max_pids;           /* PIDs named in one filter */
	unsigned max_depth;        /* JSON nesting; 0: jansson's own limit */
	size_t max_constraints;    /* entries of "constraints"; 0: no limit */
};

/* Parses a request body for a POST resource. client is the requesting
 * address, used where §11.5.1.3 says so. 0 or -1 with err set. */
int request_parse(const struct resource *r, const struct catalog *cat, const char *body, size_t len,
                  const struct endpoint *client, const struct request_limits *lim, struct request *req,
                  struct alto_error *err);
void request_free(struct request *req);

/* ---- services: compute and render a POST response ---- */
char *service_run(const struct resource *r, const struct request *req, size_t *len);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* The input parameters of the POST services (RFC 7285 §11.3-§11.5):
 * parsed, checked against the client's catalog and the limits, folded. */
#ifndef ALTOD_ALTO_REQUEST_H
#define ALTOD_ALTO_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alto/catalog.h"
#include "alto/errbody.h"
#include "util/ip.h"

enum cmp_op { OP_GT, OP_LT, OP_GE, OP_LE, OP_EQ };

struct constraint {
	enum cmp_op op;
	double value;
};

/* "le 10", "gt 0.5": an operator, whitespace, a number (§11.3.2.3).
 * 0, or ALTOD_EPARSE. */
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
	/* per requested property: PROP_NONE for "<map>.pid", else the index of
	 * an entity property (RFC 9240) of the ipv4/ipv6 domains of props[i] */
	uint32_t *prop_idx;
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
 * address, used where §11.5.1.3 says so. 0, or ALTOD_EREQUEST with err
 * set. */
int request_parse(const struct resource *r, const struct catalog *cat, const char *body, size_t len,
                  const struct endpoint *client, const struct request_limits *lim, struct request *req,
                  struct alto_error *err);
void request_free(struct request *req);
/* The deepest nesting of arrays and objects in a JSON text (a linear scan,
 * before any parsing). */
unsigned request_json_depth(const char *s, size_t len);

#endif

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

/* "[1] le 10" (RFC 8189 §4.1.2): an optional cost type index in
 * brackets, whitespace, then a constraint as constraint_parse() reads it.
 * *index is 0 when the index is left out (the first, or only, cost type).
 * 0, or ALTOD_EPARSE. */
int constraint_parse_indexed(const char *s, size_t *index, struct constraint *out);

/* RFC 8189 constraints, folded at parse time like single-cost ones: for
 * each or-branch (an inner array of "or-constraints", or the one branch of
 * "constraints"), one constraint_set per testable cost type. A cost passes
 * when some branch holds for every testable type. Work per cost: at most
 * nbranches * ntypes interval tests, nbranches bounded by the constraint
 * count (limits.max-constraints). */
struct or_constraints {
	struct constraint_set *sets; /* nbranches * ntypes, branch-major */
	size_t nbranches;            /* 0: no constraints, every cost passes */
	size_t ntypes;
};

/* Do the values of the testable types (NaN: no value) meet them? */
bool or_constraints_hold(const struct or_constraints *oc, const double *vals);

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
	/* RFC 8189. multi: "multi-cost-types" was given (answers carry arrays
	 * of costs, one per mct entry). extended: multi, "testable-cost-types"
	 * or "or-constraints" was given: the answer is computed from mct and
	 * the constraints in oc over the testable types tct; otherwise ct and
	 * cons (RFC 7285 alone) are used and mct/tct/oc stay empty. */
	bool multi, extended;
	struct cost_type mct[ALTO_MAX_COST_TYPES]; /* returned; for a single cost-type: ct */
	size_t nmct;
	struct cost_type *tct; /* tested: testable-cost-types, else mct (malloc()ed) */
	size_t ntct;
	struct or_constraints oc;
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
	size_t max_constraints;    /* entries of "constraints" and of every inner array
	                            * of "or-constraints", together; 0: no limit */
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

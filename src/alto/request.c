/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Input parameters of the POST services (RFC 7285 §11.3.1.3, §11.3.2.3,
 * §11.4.1.3, §11.5.1.3), parsed with jansson and checked against the
 * resource. Every failure yields exactly one error (§8.5.2) naming the
 * field by its full path and echoing only what the client sent.
 * Unknown fields are ignored (§8.3.7).
 */
#include <gnutls/crypto.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alto/request.h"
#include "topo/props.h"
#include "util/err.h"
#include "util/jsonnum.h"

/* The text of a JSON string. "\u0000" is valid JSON (RFC 8259 §7) but
 * no valid name, address or number holds a NUL: such a string reads as a
 * sentinel that matches nothing and fails every syntax check. */
static const char *jval(const json_t *v)
{
	const char *s = json_string_value(v);
	return strlen(s) == json_string_length(v) ? s : "\x01";
}

/* §8.5.2: "value" is a string; a non-string value is converted to one. */
static char *value_string(const json_t *v)
{
	if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
		return strdup(json_string_value(v));
	/* json_dumpb into our own malloc()ed buffer: jansson's own buffers
	 * may come from the request's arena (alto/arena.h) */
	size_t need = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	char *s = need ? malloc(need + 1) : NULL;
	if (s == NULL)
		return NULL;
	json_dumpb(v, s, need, JSON_COMPACT | JSON_ENCODE_ANY);
	s[need] = '\0';
	if (json_is_string(v)) { /* with a NUL: its escaped text, unquoted */
		size_t n = strlen(s);
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	return s;
}

static int fail(struct alto_error *err, const char *code, const char *field, const json_t *value)
{
	alto_error_clear(err);
	err->code = code;
	err->field = field;
	if (value)
		err->value = value_string(value);
	return ALTOD_EREQUEST;
}

int constraint_parse(const char *s, struct constraint *out)
{
	static const struct {
		const char *name;
		enum cmp_op op;
	} ops[] = {{"gt", OP_GT}, {"lt", OP_LT}, {"ge", OP_GE}, {"le", OP_LE}, {"eq", OP_EQ}};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(s, ops[i].name, 2) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return ALTOD_EPARSE;
	const char *p = s + 2;
	/* "two entities separated by whitespace" */
	if (*p != ' ' && *p != '\t')
		return ALTOD_EPARSE;
	while (*p == ' ' || *p == '\t')
		p++;
	/* "a target cost value": a JSON number */
	const char *num = p;
	const char *end = json_number_end(p);
	if (end == NULL)
		return ALTOD_EPARSE;
	p = end;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return ALTOD_EPARSE;
	char tmp[64];
	size_t n = (size_t)(end - num);
	if (n >= sizeof(tmp))
		return ALTOD_EPARSE;
	memcpy(tmp, num, n);
	tmp[n] = '\0';
	double v = strtod(tmp, NULL);
	if (!isfinite(v))
		return ALTOD_EPARSE;
	out->op = ops[i].op;
	out->value = v;
	return 0;
}

void constraint_set_init(struct constraint_set *s)
{
	s->n = 0;
	s->lo = -INFINITY;
	s->hi = INFINITY;
	s->lo_open = s->hi_open = false;
}

/* Keeps the tighter of the two lower bounds and the tighter of the two
 * upper ones; at the same value, an open end is the tighter. The values
 * are finite (constraint_parse), so every bound replaces the infinities. */
static void raise_lo(struct constraint_set *s, double v, bool open)
{
	if (v > s->lo) {
		s->lo = v;
		s->lo_open = open;
	} else if (v == s->lo) {
		s->lo_open = s->lo_open || open;
	}
}

static void lower_hi(struct constraint_set *s, double v, bool open)
{
	if (v < s->hi) {
		s->hi = v;
		s->hi_open = open;
	} else if (v == s->hi) {
		s->hi_open = s->hi_open || open;
	}
}

void constraint_set_add(struct constraint_set *s, const struct constraint *c)
{
	switch (c->op) {
	case OP_GT: raise_lo(s, c->value, true); break;
	case OP_GE: raise_lo(s, c->value, false); break;
	case OP_LT: lower_hi(s, c->value, true); break;
	case OP_LE: lower_hi(s, c->value, false); break;
	default: /* OP_EQ: ge x and le x */
		raise_lo(s, c->value, false);
		lower_hi(s, c->value, false);
		break;
	}
	s->n++;
}

bool constraint_set_empty(const struct constraint_set *s)
{
	return s->n > 0 && (s->lo > s->hi || (s->lo == s->hi && (s->lo_open || s->hi_open)));
}

int constraint_parse_indexed(const char *s, size_t *index, struct constraint *out)
{
	*index = 0;
	if (*s == '[') {
		/* RFC 8189 §4.1.2: "[##] op value", ## a cost type index */
		size_t i = 0, digits = 0;
		const char *p = s + 1;
		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits == 6) /* far beyond ALTO_MAX_COST_TYPES: out of range anyway */
				return ALTOD_EPARSE;
			i = i * 10 + (size_t)(*p - '0');
		}
		if (digits == 0 || *p != ']' || (p[1] != ' ' && p[1] != '\t'))
			return ALTOD_EPARSE;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		*index = i;
		s = p;
	}
	return constraint_parse(s, out);
}

bool or_constraints_hold(const struct or_constraints *oc, const double *vals)
{
	if (oc->nbranches == 0)
		return true;
	/* RFC 8189 §4.1.2: the tests of an inner array are ANDed, the inner
	 * arrays ORed */
	for (size_t b = 0; b < oc->nbranches; b++) {
		const struct constraint_set *set = oc->sets + b * oc->ntypes;
		bool all = true;
		for (size_t t = 0; t < oc->ntypes && all; t++)
			all = constraint_set_holds(&set[t], vals[t]);
		if (all)
			return true;
	}
	return false;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* A list of PID names -> sorted, deduplicated indices. Undefined PIDs are
 * ignored (§11.3.1.6, §11.3.2.6); an empty list means every PID. */
static int parse_pid_list(const json_t *arr, const char *field, const struct topo_netmap *nm, uint32_t **out, size_t *n,
                          bool *all, size_t max, struct alto_error *err)
{
	if (!json_is_array(arr))
		return fail(err, E_INVALID_FIELD_TYPE, field, NULL);
	size_t len = json_array_size(arr);
	if (len > max) /* a cap on the work one request may ask for (§15.5) */
		return fail(err, E_INVALID_FIELD_VALUE, field, NULL);
	*all = len == 0;
	*out = malloc((len ? len : 1) * sizeof(uint32_t));
	*n = 0;
	if (*out == NULL)
		return fail(err, E_SYNTAX, NULL, NULL);
	for (size_t i = 0; i < len; i++) {
		const json_t *v = json_array_get(arr, i);
		/* §8.5.2: an array element of the wrong type is an invalid value */
		if (!json_is_string(v))
			return fail(err, E_INVALID_FIELD_VALUE, field, v);
		uint32_t pid = topo_pid_find(nm, jval(v));
		if (pid != TOPO_NONE)
			(*out)[(*n)++] = pid;
	}
	qsort(*out, *n, sizeof(uint32_t), u32_cmp);
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (k == 0 || (*out)[k - 1] != (*out)[i])
			(*out)[k++] = (*out)[i];
	*n = k;
	return 0;
}

/* The field names of a cost type's members, by where the cost type is. */
struct ct_fields {
	const char *self, *metric, *mode;
};
static const struct ct_fields CT_SINGLE = {"cost-type", "cost-type/cost-metric", "cost-type/cost-mode"};
static const struct ct_fields CT_MULTI = {"multi-cost-types", "multi-cost-types/cost-metric",
                                          "multi-cost-types/cost-mode"};
static const struct ct_fields CT_TESTABLE = {"testable-cost-types", "testable-cost-types/cost-metric",
                                             "testable-cost-types/cost-mode"};

/* A cost type of a filtered cost map or endpoint cost request. Only the
 * types the resource grants exist for it (struct resource's cost_modes): a
 * metric granted in no mode fails as an unknown metric, a mode not granted
 * as an unknown mode, so that an ungranted type answers byte for byte like
 * a type no map has (RFC 7285 §15.3: no probing). The same holds for every
 * entry of "multi-cost-types" (RFC 8189 §4.1.2: each MUST match one of
 * "cost-type-names") and of "testable-cost-types" (§4.1.2: a subset of
 * "cost-type-names" when "cost-constraints" is true, as altod's resources
 * say: catalog.c); "cost-type-names" is exactly the granted types. */
static int parse_cost_type(const json_t *o, const struct ct_fields *f, const struct resource *r, struct cost_type *ct,
                           struct alto_error *err)
{
	if (!json_is_object(o))
		return f == &CT_SINGLE ? fail(err, E_INVALID_FIELD_TYPE, f->self, NULL)
		                       : fail(err, E_INVALID_FIELD_VALUE, f->self, o);
	const json_t *metric = json_object_get(o, "cost-metric");
	const json_t *mode = json_object_get(o, "cost-mode");
	if (metric == NULL)
		return fail(err, E_MISSING_FIELD, f->metric, NULL);
	if (mode == NULL)
		return fail(err, E_MISSING_FIELD, f->mode, NULL);
	if (!json_is_string(metric))
		return fail(err, E_INVALID_FIELD_TYPE, f->metric, NULL);
	if (!json_is_string(mode))
		return fail(err, E_INVALID_FIELD_TYPE, f->mode, NULL);
	/* "description" is ignored (§11.3.2.3) */
	ct->metric = topo_metric_find(r->nm, jval(metric));
	uint8_t granted = ct->metric ? r->cost_modes[ct->metric - r->nm->metrics] : 0;
	if (granted == 0)
		return fail(err, E_INVALID_FIELD_VALUE, f->metric, metric);
	int m = cost_mode_parse(jval(mode));
	if (m < 0 || !(granted & (1u << m))) /* unknown, or not offered here */
		return fail(err, E_INVALID_FIELD_VALUE, f->mode, mode);
	ct->mode = (enum cost_mode)m;
	return 0;
}

/* "multi-cost-types" or "testable-cost-types": CostType list<1..*> of at
 * most max entries, into out (room for max). RFC 8189 §4.1.2: "This field
 * [multi-cost-types] MUST NOT have more than "max-cost-types" cost types".
 * "testable-cost-types" has no such cap in the RFC: its types "must ...
 * be a subset of the cost types in the resource's "cost-type-names"
 * capability", and a subset has at most as many members as the set, so a
 * longer list is refused (it could only repeat types, and it bounds the
 * work of every constraint test per cost). */
static int parse_cost_type_list(const json_t *arr, const struct ct_fields *f, const struct resource *r,
                                struct cost_type *out, size_t max, size_t *n, struct alto_error *err)
{
	if (!json_is_array(arr))
		return fail(err, E_INVALID_FIELD_TYPE, f->self, NULL);
	size_t len = json_array_size(arr);
	if (len == 0 || len > max)
		return fail(err, E_INVALID_FIELD_VALUE, f->self, NULL);
	for (size_t i = 0; i < len; i++)
		if (parse_cost_type(json_array_get(arr, i), f, r, &out[i], err) != 0)
			return ALTOD_EREQUEST;
	*n = len;
	return 0;
}

/* One constraint string of "constraints" (field) or of an inner array of
 * "or-constraints", with its index checked against the ntypes testable
 * cost types: RFC 8189 §4.1.2, an index names one of
 * "testable-cost-types", or if absent of "multi-cost-types" (or the single
 * "cost-type"); one outside them is an invalid value. */
static int parse_one_constraint(const json_t *v, const char *field, size_t ntypes, size_t *index, struct constraint *c,
                                struct alto_error *err)
{
	if (!json_is_string(v) || constraint_parse_indexed(jval(v), index, c) != 0 || *index >= ntypes)
		return fail(err, E_INVALID_FIELD_VALUE, field, v);
	return 0;
}

/* RFC 7285 "constraints" of a request without RFC 8189's extensions: one
 * cost type, so only the index 0 (or none). Folded as they come: no copy
 * of the list, O(1) per cost later. */
static int parse_constraints(const json_t *arr, struct request *req, struct alto_error *err)
{
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return fail(err, E_INVALID_FIELD_TYPE, "constraints", NULL);
	size_t n = json_array_size(arr);
	for (size_t i = 0; i < n; i++) {
		struct constraint c;
		size_t index = 0;
		if (parse_one_constraint(json_array_get(arr, i), "constraints", 1, &index, &c, err) != 0)
			return ALTOD_EREQUEST;
		constraint_set_add(&req->cons, &c);
	}
	return 0;
}

/* RFC 8189's constraints: "constraints" (one branch) or "or-constraints"
 * (one branch per inner array), each folded per tested cost type as it is
 * parsed. The branch count is bounded by the constraint count, checked
 * against limits.max-constraints before (check_constraint_count).
 *
 * Only the testable types some constraint names are kept in req->tct (in
 * their order in the list the indices refer to), so that the work per
 * cost, nbranches * ntct interval tests and ntct cost lookups, and the
 * ranking of ordinal tested types, grow with the constraints and not with
 * the length of "testable-cost-types" (which §4.1.2 does not cap at
 * "max-cost-types"). Without any constraint nothing is tested: ntct 0. */
static int parse_or_constraints(const json_t *cons, const json_t *orc, struct request *req, struct alto_error *err)
{
	struct or_constraints *oc = &req->oc;
	size_t nb = 0;
	const char *field = orc ? "or-constraints" : "constraints";
	if (cons) {
		if (!json_is_array(cons))
			return fail(err, E_INVALID_FIELD_TYPE, "constraints", NULL);
		nb = json_array_size(cons) ? 1 : 0; /* constraints<0..*>: none, no test */
	} else if (orc) {
		/* JSONString or-constraints<1..*><1..*> */
		if (!json_is_array(orc))
			return fail(err, E_INVALID_FIELD_TYPE, "or-constraints", NULL);
		nb = json_array_size(orc);
		if (nb == 0)
			return fail(err, E_INVALID_FIELD_VALUE, "or-constraints", NULL);
		for (size_t b = 0; b < nb; b++) {
			const json_t *inner = json_array_get(orc, b);
			if (!json_is_array(inner) || json_array_size(inner) == 0)
				return fail(err, E_INVALID_FIELD_VALUE, "or-constraints", inner);
		}
	}
	if (nb == 0) {
		req->ntct = 0;
		return 0;
	}
	/* first pass: every constraint checked, and the indices it names */
	size_t nlisted = req->ntct;
	size_t *col = malloc((nlisted ? nlisted : 1) * sizeof(*col)); /* index -> kept type, or SIZE_MAX */
	if (col == NULL)
		return fail(err, E_SYNTAX, NULL, NULL);
	for (size_t t = 0; t < nlisted; t++)
		col[t] = SIZE_MAX;
	int rc = 0;
	for (size_t b = 0; b < nb && rc == 0; b++) {
		const json_t *arr = orc ? json_array_get(orc, b) : cons;
		for (size_t i = 0; i < json_array_size(arr) && rc == 0; i++) {
			struct constraint c;
			size_t index = 0;
			rc = parse_one_constraint(json_array_get(arr, i), field, nlisted, &index, &c, err);
			if (rc == 0)
				col[index] = 0;
		}
	}
	size_t ntypes = 0;
	for (size_t t = 0; rc == 0 && t < nlisted; t++) {
		if (col[t] == SIZE_MAX)
			continue;
		req->tct[ntypes] = req->tct[t]; /* ntypes <= t: moves towards the front */
		col[t] = ntypes++;
	}
	req->ntct = oc->ntypes = ntypes;
	oc->sets = rc == 0 ? malloc((ntypes ? nb * ntypes : 1) * sizeof(*oc->sets)) : NULL;
	if (rc == 0 && oc->sets == NULL)
		rc = fail(err, E_SYNTAX, NULL, NULL);
	for (size_t k = 0; rc == 0 && k < nb * ntypes; k++)
		constraint_set_init(&oc->sets[k]);
	if (rc == 0)
		oc->nbranches = nb;
	/* second pass: fold them, each into the set of its branch and type */
	for (size_t b = 0; b < nb && rc == 0; b++) {
		const json_t *arr = orc ? json_array_get(orc, b) : cons;
		for (size_t i = 0; i < json_array_size(arr); i++) {
			struct constraint c;
			size_t index = 0;
			(void)constraint_parse_indexed(jval(json_array_get(arr, i)), &index, &c); /* checked above */
			constraint_set_add(&oc->sets[b * ntypes + col[index]], &c);
		}
	}
	free(col);
	return rc;
}

/* The cost types and constraints of a filtered cost map or endpoint cost
 * request: RFC 7285's "cost-type" and "constraints", or RFC 8189's
 * extensions (§4.1.2 for the filtered cost map, §4.2.2 for the endpoint
 * cost service, which takes the same members). */
static int parse_costs(const json_t *root, const struct resource *r, struct request *req, struct alto_error *err)
{
	const json_t *single = json_object_get(root, "cost-type");
	const json_t *multi = json_object_get(root, "multi-cost-types");
	const json_t *testable = json_object_get(root, "testable-cost-types");
	const json_t *cons = json_object_get(root, "constraints");
	const json_t *orc = json_object_get(root, "or-constraints");

	/* §4.1.2: "cost-type" and "multi-cost-types" MUST NOT both be given;
	 * one of them is needed (RFC 7285's missing "cost-type" otherwise) */
	if (single && multi)
		return fail(err, E_INVALID_FIELD_VALUE, "multi-cost-types", NULL);
	if (single == NULL && multi == NULL)
		return fail(err, E_MISSING_FIELD, "cost-type", NULL);
	if (single) {
		if (parse_cost_type(single, &CT_SINGLE, r, &req->ct, err) != 0)
			return ALTOD_EREQUEST;
		req->mct[0] = req->ct;
		req->nmct = 1;
	} else {
		if (parse_cost_type_list(multi, &CT_MULTI, r, req->mct, resource_max_cost_types(r), &req->nmct, err) !=
		    0)
			return ALTOD_EREQUEST;
		req->ct = req->mct[0];
		req->multi = true;
	}
	/* §4.1.2: the list the "[i]" of a constraint indexes is
	 * "testable-cost-types" if given, else "multi-cost-types", else the
	 * single "cost-type" (where the index MUST be 0) */
	size_t ntest = testable ? resource_cost_type_count(r) : req->nmct;
	req->tct = malloc((ntest ? ntest : 1) * sizeof(*req->tct));
	if (req->tct == NULL)
		return fail(err, E_SYNTAX, NULL, NULL);
	if (testable) {
		if (parse_cost_type_list(testable, &CT_TESTABLE, r, req->tct, ntest, &req->ntct, err) != 0)
			return ALTOD_EREQUEST;
	} else {
		memcpy(req->tct, req->mct, req->nmct * sizeof(req->mct[0]));
		req->ntct = req->nmct;
	}
	/* §4.1.2: "or-constraints" MUST NOT be given with "constraints" */
	if (cons && orc)
		return fail(err, E_INVALID_FIELD_VALUE, "or-constraints", NULL);
	req->extended = multi || testable || orc;
	if (!req->extended) {
		req->nmct = req->ntct = 0;
		return parse_constraints(cons, req, err);
	}
	return parse_or_constraints(cons, orc, req, err);
}

/* limits.max-constraints, checked before a single constraint is parsed.
 * Refused with E_INVALID_FIELD_VALUE on "constraints", as the other caps on
 * the work of one request (RFC 7285 §15.5 lets a server bound it; §8.5.2's
 * codes are how an ALTO server says which field it will not take). Not 413:
 * that is about the size of the body (RFC 9110 §15.5.14), which is within
 * max-request-body here, and it would tell the client to send less bytes
 * rather than which field to change. */
static int check_constraint_count(const json_t *root, const struct request_limits *lim, struct alto_error *err)
{
	if (lim == NULL || lim->max_constraints == 0)
		return 0;
	const json_t *arr = json_object_get(root, "constraints");
	if (json_is_array(arr) && json_array_size(arr) > lim->max_constraints)
		return fail(err, E_INVALID_FIELD_VALUE, "constraints", NULL);
	/* RFC 8189 "or-constraints": every constraint of every inner array
	 * counts, and each inner array holds at least one, so there can be no
	 * more of them than the limit either (this also bounds the loop) */
	const json_t *orc = json_object_get(root, "or-constraints");
	if (!json_is_array(orc))
		return 0;
	size_t total = json_is_array(arr) ? json_array_size(arr) : 0;
	if (json_array_size(orc) > lim->max_constraints)
		return fail(err, E_INVALID_FIELD_VALUE, "or-constraints", NULL);
	for (size_t b = 0; b < json_array_size(orc); b++) {
		const json_t *inner = json_array_get(orc, b);
		total += json_is_array(inner) ? json_array_size(inner) : 0;
		if (total > lim->max_constraints)
			return fail(err, E_INVALID_FIELD_VALUE, "or-constraints", NULL);
	}
	return 0;
}

/* SipHash-2-4 (Aumasson and Bernstein) under a key drawn once per process:
 * endpoint texts come from clients, and with an unkeyed hash a list of
 * crafted colliding texts would make deduplication quadratic.
 * Not shared mutable state: sip_key is written once, inside pthread_once
 * (which orders that write before every reader's return from it), and only
 * read afterwards. A per-process secret has no better owner: every
 * request of every snapshot may use it. */
static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_init(void)
{
	if (gnutls_rnd(GNUTLS_RND_NONCE, sip_key, sizeof(sip_key)) != 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts); /* no worse than unkeyed */
		sip_key[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull;
		sip_key[1] = (uint64_t)ts.tv_sec ^ (uint64_t)getpid();
	}
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t text_hash(const char *s, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ sip_key[0], v1 = 0x646f72616e646f6dull ^ sip_key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ sip_key[0], v3 = 0x7465646279746573ull ^ sip_key[1];
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t m = 0;
		for (int k = 7; k >= 0; k--)
			m = m << 8 | (unsigned char)s[i + (size_t)k];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t m = (uint64_t)len << 56;
	for (size_t k = 0; i + k < len; k++)
		m |= (uint64_t)(unsigned char)s[i + k] << (8 * k);
	v3 ^= m;
	SIPROUND;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Drops repeated texts, keeping the first of each in request order: a
 * hash set of indices, O(n) where sorting cost a tenth of a 100-endpoint
 * request. Returns the new count, or SIZE_MAX when out of memory. */
static size_t dedupe_endpoints(struct endpoint *e, size_t n)
{
	if (n < 2)
		return n;
	size_t cap = 4;
	while (cap < 2 * n)
		cap <<= 1;
	size_t *slot = malloc(cap * sizeof(*slot));
	if (slot == NULL)
		return SIZE_MAX;
	memset(slot, 0xff, cap * sizeof(*slot));
	size_t k = 0;
	pthread_once(&sip_once, sip_init);
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)text_hash(e[i].text, strlen(e[i].text)) & (cap - 1);
		bool seen = false;
		while (slot[h] != SIZE_MAX) {
			if (strcmp(e[slot[h]].text, e[i].text) == 0) {
				seen = true;
				break;
			}
			h = (h + 1) & (cap - 1);
		}
		if (seen)
			continue;
		e[k] = e[i];
		slot[h] = k++;
	}
	free(slot);
	return k;
}

/* A list of TypedEndpointAddr (§10.4.1), deduplicated by text, in request
 * order. */
static int parse_endpoints(const json_t *arr, const char *field, struct endpoint **out, size_t *n,
                           struct alto_error *err)
{
	if (!json_is_array(arr))
		return fail(err, E_INVALID_FIELD_TYPE, field, NULL);
	size_t len = json_array_size(arr);
	*out = malloc((len ? len : 1) * sizeof(**out));
	*n = 0;
	if (*out == NULL)
		return fail(err, E_SYNTAX, NULL, NULL);
	for (size_t i = 0; i < len; i++) {
		const json_t *v = json_array_get(arr, i);
		struct endpoint e;
		if (!json_is_string(v))
			return fail(err, E_INVALID_FIELD_VALUE, field, v);
		e.text = jval(v);
		if (ip_endpoint_parse(e.text, &e.family, e.addr) != 0)
			return fail(err, E_INVALID_FIELD_VALUE, field, v);
		(*out)[(*n)++] = e;
	}
	/* §11.4.1.3, §11.5.1.3: repeated entries count once */
	size_t k = dedupe_endpoints(*out, *n);
	if (k == SIZE_MAX)
		return fail(err, E_SYNTAX, NULL, NULL);
	*n = k;
	return 0;
}

static int parse_fnetmap(const struct resource *r, const json_t *root, size_t max_pids, struct request *req,
                         struct alto_error *err)
{
	const json_t *pids = json_object_get(root, "pids");
	if (pids == NULL)
		return fail(err, E_MISSING_FIELD, "pids", NULL);
	if (parse_pid_list(pids, "pids", r->nm, &req->srcs, &req->nsrcs, &req->all_srcs, max_pids, err) != 0)
		return ALTOD_EREQUEST;
	const json_t *types = json_object_get(root, "address-types");
	req->family[0] = req->family[1] = true;
	if (types == NULL)
		return 0;
	if (!json_is_array(types))
		return fail(err, E_INVALID_FIELD_TYPE, "address-types", NULL);
	if (json_array_size(types) == 0)
		return 0; /* empty: every address type */
	req->family[0] = req->family[1] = false;
	size_t i;
	const json_t *v;
	json_array_foreach (types, i, v) {
		if (!json_is_string(v))
			return fail(err, E_INVALID_FIELD_VALUE, "address-types", v);
		const char *s = jval(v);
		/* §10.4.2: an AddressType is alphanumeric */
		bool syntax_ok = s[0] != '\0';
		for (const char *c = s; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
				syntax_ok = false;
		if (!syntax_ok)
			return fail(err, E_INVALID_FIELD_VALUE, "address-types", v);
		/* §11.3.1.6: an address type not known is ignored */
		int f = ip_family_parse(s);
		if (f)
			req->family[f == IP_V4 ? 0 : 1] = true;
	}
	return 0;
}

static int parse_fcostmap(const struct resource *r, const json_t *root, size_t max_pids, struct request *req,
                          struct alto_error *err)
{
	if (parse_costs(root, r, req, err) != 0)
		return ALTOD_EREQUEST;
	const json_t *pids = json_object_get(root, "pids");
	req->all_srcs = req->all_dsts = true;
	if (pids == NULL)
		return 0;
	if (!json_is_object(pids))
		return fail(err, E_INVALID_FIELD_TYPE, "pids", NULL);
	const json_t *srcs = json_object_get(pids, "srcs");
	const json_t *dsts = json_object_get(pids, "dsts");
	if (srcs == NULL)
		return fail(err, E_MISSING_FIELD, "pids/srcs", NULL);
	if (dsts == NULL)
		return fail(err, E_MISSING_FIELD, "pids/dsts", NULL);
	if (parse_pid_list(srcs, "pids/srcs", r->nm, &req->srcs, &req->nsrcs, &req->all_srcs, max_pids, err) != 0 ||
	    parse_pid_list(dsts, "pids/dsts", r->nm, &req->dsts, &req->ndsts, &req->all_dsts, max_pids, err) != 0)
		return ALTOD_EREQUEST;
	return 0;
}

static int parse_eprop(const struct catalog *cat, const json_t *root, struct request *req, struct alto_error *err)
{
	const json_t *props = json_object_get(root, "properties");
	const json_t *eps = json_object_get(root, "endpoints");
	if (props == NULL)
		return fail(err, E_MISSING_FIELD, "properties", NULL);
	if (eps == NULL)
		return fail(err, E_MISSING_FIELD, "endpoints", NULL);
	if (!json_is_array(props))
		return fail(err, E_INVALID_FIELD_TYPE, "properties", NULL);
	size_t n = json_array_size(props);
	/* properties<1..*> */
	if (n == 0)
		return fail(err, E_INVALID_FIELD_VALUE, "properties", NULL);
	req->props = malloc(n * sizeof(*req->props));
	req->prop_names = calloc(n, sizeof(*req->prop_names));
	req->prop_idx = malloc(n * sizeof(*req->prop_idx));
	if (!req->props || !req->prop_names || !req->prop_idx)
		return fail(err, E_SYNTAX, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(props, i);
		if (!json_is_string(v))
			return fail(err, E_INVALID_FIELD_VALUE, "properties", v);
		const char *s = jval(v);
		/* "<resource-id>.pid" (§10.8.1): split at the last '.' */
		const char *dot = strrchr(s, '.');
		const struct topo_netmap *nm = NULL;
		if (dot && strcmp(dot + 1, "pid") == 0 && (size_t)(dot - s) <= ALTO_NAME_MAX) {
			char id[ALTO_NAME_MAX + 1];
			memcpy(id, s, (size_t)(dot - s));
			id[dot - s] = '\0';
			/* only the maps this client may see: any other is unknown */
			for (size_t k = 0; k < cat->nmaps && nm == NULL; k++)
				if (strcmp(cat->maps[k]->id, id) == 0)
					nm = cat->maps[k];
		}
		uint32_t idx = PROP_NONE;
		/* an entity property of the ipv4/ipv6 domains (RFC 9240) of the
		 * default network map this client sees: its addresses inherit the
		 * value of the longest prefix defining it (§6.1.2.2) */
		const struct topo_props *tp = cat->default_map ? cat->default_map->props : NULL;
		if (nm == NULL && tp && (idx = topo_props_name(tp, s)) != PROP_NONE &&
		    (tp->in_domain[PD_IPV4][idx] || tp->in_domain[PD_IPV6][idx]))
			nm = cat->default_map;
		if (nm == NULL)
			return fail(err, E_INVALID_FIELD_VALUE, "properties", v);
		bool dup = false;
		for (size_t k = 0; k < req->nprops && !dup; k++)
			dup = req->prop_names[k] && strcmp(req->prop_names[k], s) == 0;
		if (dup)
			continue;
		req->props[req->nprops] = nm;
		req->prop_idx[req->nprops] = idx;
		req->prop_names[req->nprops++] = s;
	}
	if (parse_endpoints(eps, "endpoints", &req->esrcs, &req->nesrcs, err) != 0)
		return ALTOD_EREQUEST;
	/* endpoints<1..*> */
	if (req->nesrcs == 0)
		return fail(err, E_INVALID_FIELD_VALUE, "endpoints", NULL);
	return 0;
}

static int parse_ecost(const struct resource *r, const json_t *root, const struct endpoint *client, struct request *req,
                       struct alto_error *err)
{
	if (parse_costs(root, r, req, err) != 0)
		return ALTOD_EREQUEST;
	const json_t *eps = json_object_get(root, "endpoints");
	if (eps == NULL)
		return fail(err, E_MISSING_FIELD, "endpoints", NULL);
	if (!json_is_object(eps))
		return fail(err, E_INVALID_FIELD_TYPE, "endpoints", NULL);
	const json_t *srcs = json_object_get(eps, "srcs");
	const json_t *dsts = json_object_get(eps, "dsts");
	if (srcs && parse_endpoints(srcs, "endpoints/srcs", &req->esrcs, &req->nesrcs, err) != 0)
		return ALTOD_EREQUEST;
	if (dsts && parse_endpoints(dsts, "endpoints/dsts", &req->edsts, &req->nedsts, err) != 0)
		return ALTOD_EREQUEST;
	/* §11.5.1.3: the lists MUST NOT both be empty; an empty (or absent) one
	 * stands for the client's own address */
	if (req->nesrcs == 0 && req->nedsts == 0)
		return fail(err, E_INVALID_FIELD_VALUE, "endpoints", NULL);
	struct endpoint **fill = req->nesrcs == 0 ? &req->esrcs : req->nedsts == 0 ? &req->edsts : NULL;
	if (fill) {
		if (client == NULL)
			return fail(err, E_INVALID_FIELD_VALUE, "endpoints", NULL);
		free(*fill);
		*fill = malloc(sizeof(**fill));
		if (*fill == NULL)
			return fail(err, E_SYNTAX, NULL, NULL);
		**fill = *client;
		if (fill == &req->esrcs)
			req->nesrcs = 1;
		else
			req->nedsts = 1;
	}
	return 0;
}

static int check_limits(const struct request *req, const struct request_limits *lim, struct alto_error *err)
{
	/* a cap on the work one request may ask for (RFC 7285 §15.5) */
	if (lim == NULL)
		return 0;
	/* 0: no limit, as for every limit */
	if (lim->max_endpoints && req->nesrcs + req->nedsts > lim->max_endpoints)
		return fail(err, E_INVALID_FIELD_VALUE, "endpoints", NULL);
	if (lim->max_endpoint_pairs && req->nedsts && req->nesrcs > lim->max_endpoint_pairs / req->nedsts)
		return fail(err, E_INVALID_FIELD_VALUE, "endpoints", NULL);
	return 0;
}

/* The deepest nesting of arrays and objects in a JSON text, counted before
 * parsing so that a hostile body costs a linear scan and nothing more. */
unsigned request_json_depth(const char *s, size_t len)
{
	unsigned depth = 0, max = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '"') {
			/* a string, skipped whole: most of a body's bytes (endpoint
			 * texts, PID names) are in strings. It ends at the first '"'
			 * after an even run of backslashes (each pair is one escaped
			 * backslash; an odd run escapes the quote) */
			for (;;) {
				const char *q = memchr(s + i + 1, '"', len - i - 1);
				if (q == NULL)
					return max; /* unterminated: nothing deeper follows */
				size_t j = (size_t)(q - s), bs = 0;
				while (j - bs > i + 1 && s[j - bs - 1] == '\\')
					bs++;
				i = j;
				if (bs % 2 == 0)
					break;
			}
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

int request_parse(const struct resource *r, const struct catalog *cat, const char *body, size_t len,
                  const struct endpoint *client, const struct request_limits *lim, struct request *req,
                  struct alto_error *err)
{
	json_error_t jerr;
	size_t max_pids = lim && lim->max_pids ? lim->max_pids : SIZE_MAX;

	memset(req, 0, sizeof(*req));
	constraint_set_init(&req->cons);
	if (lim && lim->max_depth && request_json_depth(body, len) > lim->max_depth) {
		alto_error_clear(err);
		err->code = E_SYNTAX;
		if (asprintf(&err->syntax, "JSON nested deeper than %u levels", lim->max_depth) < 0)
			err->syntax = NULL;
		return ALTOD_EREQUEST;
	}
	/* duplicate member names make the meaning ambiguous: refuse them */
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		alto_error_clear(err);
		err->code = E_SYNTAX;
		if (asprintf(&err->syntax, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text) < 0)
			err->syntax = NULL;
		return ALTOD_EREQUEST;
	}
	req->json = root;
	if (!json_is_object(root)) {
		alto_error_clear(err);
		err->code = E_SYNTAX;
		err->syntax = strdup("the request body must be a JSON object");
		return ALTOD_EREQUEST;
	}
	if ((r->kind == RES_FILTERED_COSTMAP || r->kind == RES_ENDPOINTCOST) &&
	    check_constraint_count(root, lim, err) != 0)
		return ALTOD_EREQUEST;
	int rc;
	switch (r->kind) {
	case RES_FILTERED_NETWORKMAP: rc = parse_fnetmap(r, root, max_pids, req, err); break;
	case RES_FILTERED_COSTMAP: rc = parse_fcostmap(r, root, max_pids, req, err); break;
	case RES_ENDPOINTPROP: rc = parse_eprop(cat, root, req, err); break;
	case RES_ENDPOINTCOST: rc = parse_ecost(r, root, client, req, err); break;
	default: return fail(err, E_SYNTAX, NULL, NULL);
	}
	return rc != 0 ? rc : check_limits(req, lim, err);
}

void request_free(struct request *req)
{
	json_decref((json_t *)req->json);
	free(req->srcs);
	free(req->dsts);
	free(req->esrcs);
	free(req->edsts);
	free(req->props);
	free(req->prop_names);
	free(req->prop_idx);
	free(req->oc.sets);
	free(req->tct);
	memset(req, 0, sizeof(*req));
}

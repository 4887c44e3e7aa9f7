/* SPDX-License-Identifier: BSD-2-Clause */
/* Request parsing: constraints, each service's input, every error. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alto/errbody.h"
#include "alto/request.h"
#include "fixtures.h"
#include "testutil.h"
#include "util/err.h"

static struct topo *T;
static struct catalog *C;

static void setup(void)
{
	struct diag d;
	T = load_ok(RFC_MAPS);
	diag_init(&d);
	ck_assert_int_eq(catalog_build_topo(T, &C, &d), 0);
	diag_free(&d);
}

static void teardown(void)
{
	catalog_free(C);
	topo_free(T);
}

START_TEST(constraint_syntax)
{
	struct constraint c;
	ck_assert_int_eq(constraint_parse("le 10", &c), 0);
	ck_assert_int_eq(c.op, OP_LE);
	ck_assert(c.value == 10);
	ck_assert_int_eq(constraint_parse("gt 0.5", &c), 0);
	ck_assert(c.value == 0.5);
	ck_assert_int_eq(constraint_parse("eq  3e2", &c), 0);
	ck_assert(c.value == 300);
	ck_assert_int_eq(constraint_parse("ge -1", &c), 0);
	ck_assert_int_eq(constraint_parse("lt\t7", &c), 0);
	ck_assert_int_ne(constraint_parse("le10", &c), 0);
	ck_assert_int_ne(constraint_parse("le", &c), 0);
	ck_assert_int_ne(constraint_parse("le ", &c), 0);
	ck_assert_int_ne(constraint_parse("ne 1", &c), 0);
	ck_assert_int_ne(constraint_parse("LE 1", &c), 0);
	ck_assert_int_ne(constraint_parse("le 1x", &c), 0);
	ck_assert_int_ne(constraint_parse("le nan", &c), 0);
	ck_assert_int_ne(constraint_parse("le inf", &c), 0);
	ck_assert_int_ne(constraint_parse("le 0x10", &c), 0);
	ck_assert_int_ne(constraint_parse("le 01", &c), 0); /* JSON numbers have no leading zero */
	ck_assert_int_ne(constraint_parse("le 1.", &c), 0);
	ck_assert_int_ne(constraint_parse("le 1 2", &c), 0);
	ck_assert_int_ne(constraint_parse("", &c), 0);
}
END_TEST

/* The naive evaluation, one comparison per constraint: what folding must
 * agree with. */
static bool naive_hold(const struct constraint *c, size_t n, double v)
{
	for (size_t i = 0; i < n; i++) {
		bool ok;
		switch (c[i].op) {
		case OP_GT: ok = v > c[i].value; break;
		case OP_LT: ok = v < c[i].value; break;
		case OP_GE: ok = v >= c[i].value; break;
		case OP_LE: ok = v <= c[i].value; break;
		default: ok = v == c[i].value; break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* Folds the texts, checking each parses. */
static struct constraint_set fold(const char *const *texts, size_t n, struct constraint *out)
{
	struct constraint_set s;
	constraint_set_init(&s);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(constraint_parse(texts[i], &out[i]) == 0, "'%s' does not parse", texts[i]);
		constraint_set_add(&s, &out[i]);
	}
	return s;
}

START_TEST(constraints_are_anded)
{
	struct constraint c[2];
	const char *t1[] = {"ge 5", "lt 10"};
	struct constraint_set s = fold(t1, 2, c);
	ck_assert(!constraint_set_holds(&s, 4));
	ck_assert(constraint_set_holds(&s, 5));
	ck_assert(constraint_set_holds(&s, 9.99));
	ck_assert(!constraint_set_holds(&s, 10));
	s = fold(t1, 0, c);
	ck_assert(constraint_set_holds(&s, 1e9));
	const char *t2[] = {"eq 1"};
	s = fold(t2, 1, c);
	ck_assert(constraint_set_holds(&s, 1));
	ck_assert(!constraint_set_holds(&s, 1.0000001));
	const char *t3[] = {"gt 1"};
	s = fold(t3, 1, c);
	ck_assert(!constraint_set_holds(&s, 1));
}
END_TEST

/* Contradictions and ties: an empty interval matches nothing; the tighter
 * of two equal bounds is the open one; eq folds to [x, x]. */
START_TEST(constraint_folding_edges)
{
	struct constraint c[8];
	struct constraint_set s;

	const char *eq_gt[] = {"eq 3", "gt 3"}; /* §11.3.2.3: ANDed: nothing */
	s = fold(eq_gt, 2, c);
	ck_assert(constraint_set_empty(&s));
	ck_assert(!constraint_set_holds(&s, 3));
	const char *gt_eq[] = {"gt 3", "eq 3"}; /* the order does not matter */
	s = fold(gt_eq, 2, c);
	ck_assert(constraint_set_empty(&s));
	const char *eq_lt[] = {"eq 3", "lt 3"};
	s = fold(eq_lt, 2, c);
	ck_assert(constraint_set_empty(&s));
	const char *eq_ge_le[] = {"eq 3", "ge 3", "le 3", "gt 2.5"};
	s = fold(eq_ge_le, 4, c);
	ck_assert(!constraint_set_empty(&s));
	ck_assert(constraint_set_holds(&s, 3));
	ck_assert(!constraint_set_holds(&s, nextafter(3, 4)));
	ck_assert(!constraint_set_holds(&s, nextafter(3, 2)));
	const char *two_eq[] = {"eq 3", "eq 4"};
	s = fold(two_eq, 2, c);
	ck_assert(constraint_set_empty(&s));
	ck_assert(!constraint_set_holds(&s, 3) && !constraint_set_holds(&s, 4));
	const char *same_eq[] = {"eq 3", "eq 3e0", "eq 0.3e1"};
	s = fold(same_eq, 3, c);
	ck_assert(constraint_set_holds(&s, 3));
	const char *dup[] = {"ge 5", "gt 5", "ge 5", "le 9", "lt 9", "le 9"};
	s = fold(dup, 6, c);
	ck_assert(s.lo == 5 && s.lo_open && s.hi == 9 && s.hi_open);
	ck_assert(!constraint_set_holds(&s, 5) && !constraint_set_holds(&s, 9));
	ck_assert(constraint_set_holds(&s, 5.5));
	const char *loose_later[] = {"ge 5", "ge 1", "le 3"}; /* a looser bound changes nothing */
	s = fold(loose_later, 3, c);
	ck_assert(constraint_set_empty(&s));
	const char *point[] = {"ge 2", "le 2"};
	s = fold(point, 2, c);
	ck_assert(!constraint_set_empty(&s) && constraint_set_holds(&s, 2));
	const char *open_point[] = {"ge 2", "lt 2"};
	s = fold(open_point, 2, c);
	ck_assert(constraint_set_empty(&s));
	/* -0.0 and 0.0 are the same number to every comparison */
	const char *negzero[] = {"eq -0", "eq 0"};
	s = fold(negzero, 2, c);
	ck_assert(!constraint_set_empty(&s));
	ck_assert(constraint_set_holds(&s, 0.0) && constraint_set_holds(&s, -0.0));
	const char *gt_negzero[] = {"gt -0.0"};
	s = fold(gt_negzero, 1, c);
	ck_assert(!constraint_set_holds(&s, 0.0) && constraint_set_holds(&s, 5e-324));
	const char *ge_zero_gt_negzero[] = {"ge 0", "gt -0"};
	s = fold(ge_zero_gt_negzero, 2, c);
	ck_assert(!constraint_set_holds(&s, 0.0) && !constraint_set_holds(&s, -0.0));
	/* huge and tiny exponents: the number grammar as before */
	const char *huge[] = {"le 1.7976931348623157e308", "ge -1.7976931348623157E+308"};
	s = fold(huge, 2, c);
	ck_assert(constraint_set_holds(&s, 0) && constraint_set_holds(&s, 1e308));
	ck_assert(!constraint_set_holds(&s, INFINITY) && !constraint_set_holds(&s, -INFINITY));
	const char *tiny[] = {"gt 4.9e-324", "lt 1e-300"};
	s = fold(tiny, 2, c);
	ck_assert(!constraint_set_holds(&s, 0) && !constraint_set_holds(&s, 5e-324));
	ck_assert(constraint_set_holds(&s, 1e-310));
	ck_assert_int_ne(constraint_parse("le 1e309", &c[0]), 0); /* not finite: refused, as before */
	ck_assert_int_ne(constraint_parse("ge -1e400", &c[0]), 0);
	ck_assert_int_eq(constraint_parse("gt 1e-400", &c[0]), 0); /* underflows to 0 */
	ck_assert(c[0].value == 0);
	/* a NaN meets no constraint, and everything meets none */
	s = fold(huge, 2, c);
	ck_assert(!constraint_set_holds(&s, NAN));
	s = fold(huge, 0, c);
	ck_assert(constraint_set_holds(&s, NAN));
	ck_assert(!constraint_set_empty(&s));
}
END_TEST

/* xorshift64*: a fixed seed, the same cases on every run */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Folding agrees with the naive evaluation on random constraint sets and
 * values. The values come from a small pool (so that bounds tie, repeat
 * and contradict often) plus their neighbours and the extremes. */
START_TEST(constraint_folding_matches_naive)
{
	static const char *const pool[] = {"0",
	                                   "-0",
	                                   "1",
	                                   "2",
	                                   "3",
	                                   "2.5",
	                                   "-1",
	                                   "1e-3",
	                                   "1E+2",
	                                   "100",
	                                   "1e308",
	                                   "-1e308",
	                                   "4.9e-324",
	                                   "-4.9e-324",
	                                   "7",
	                                   "0.1",
	                                   "0.30000000000000004"};
	static const char *const ops[] = {"gt", "lt", "ge", "le", "eq"};
	double probes[3 * sizeof(pool) / sizeof(pool[0]) + 6];
	size_t np = 0;
	for (size_t i = 0; i < sizeof(pool) / sizeof(pool[0]); i++) {
		double v = strtod(pool[i], NULL);
		probes[np++] = v;
		probes[np++] = nextafter(v, INFINITY);
		probes[np++] = nextafter(v, -INFINITY);
	}
	probes[np++] = INFINITY;
	probes[np++] = -INFINITY;
	probes[np++] = NAN;
	probes[np++] = DBL_MAX;
	probes[np++] = -DBL_MAX;
	probes[np++] = 0.2;

	size_t empties = 0, nonempty_hits = 0;
	for (int round = 0; round < 4000; round++) {
		struct constraint c[12];
		size_t n = (size_t)(rng() % 13);
		struct constraint_set s;
		constraint_set_init(&s);
		for (size_t i = 0; i < n; i++) {
			char text[64];
			snprintf(text, sizeof(text), "%s%s%s", ops[rng() % 5], rng() % 4 ? " " : " \t ",
			         pool[rng() % (sizeof(pool) / sizeof(pool[0]))]);
			ck_assert_int_eq(constraint_parse(text, &c[i]), 0);
			constraint_set_add(&s, &c[i]);
		}
		bool any = false;
		for (size_t k = 0; k < np; k++) {
			bool want = naive_hold(c, n, probes[k]);
			ck_assert_msg(constraint_set_holds(&s, probes[k]) == want,
			              "round %d: %zu constraints, value %.17g: folded %d, naive %d", round, n,
			              probes[k], !want, want);
			any = any || want;
		}
		/* empty means nothing at all holds */
		if (constraint_set_empty(&s)) {
			ck_assert(!any);
			empties++;
		} else if (any) {
			nonempty_hits++;
		}
	}
	/* the seed reaches both kinds of sets */
	ck_assert_uint_gt(empties, 200);
	ck_assert_uint_gt(nonempty_hits, 200);
}
END_TEST

/* RFC 8189 §4.1.2's "[index] op value" */
START_TEST(indexed_constraint_syntax)
{
	struct constraint c;
	size_t i = 99;
	ck_assert_int_eq(constraint_parse_indexed("le 1", &i, &c), 0);
	ck_assert_uint_eq(i, 0); /* no index: the first type */
	ck_assert_int_eq(c.op, OP_LE);
	ck_assert_int_eq(constraint_parse_indexed("[0] le 1", &i, &c), 0);
	ck_assert_uint_eq(i, 0);
	ck_assert_int_eq(constraint_parse_indexed("[12] ge 2.5", &i, &c), 0);
	ck_assert_uint_eq(i, 12);
	ck_assert_int_eq(c.op, OP_GE);
	ck_assert(c.value == 2.5);
	ck_assert_int_eq(constraint_parse_indexed("[3]\t \teq -1", &i, &c), 0);
	ck_assert_uint_eq(i, 3);
	ck_assert(c.value == -1);
	static const char *const bad[] = {"[x] le 1",  "[] le 1",  "[0]le 1",   "[0 ] le 1",      " [0] le 1",
	                                  "[0]",       "[0] ",     "[-1] le 1", "[1234567] le 1", "[0] [0] le 1",
	                                  "[0] le 1x", "[0] ne 1", "(0) le 1",  "[+1] le 1",      "[0]] le 1"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		ck_assert_msg(constraint_parse_indexed(bad[k], &i, &c) == ALTOD_EPARSE, "accepted '%s'", bad[k]);
}
END_TEST

static const struct resource *R(const char *uri)
{
	const struct resource *r = catalog_route(C, uri);
	ck_assert_msg(r != NULL, "no resource at %s", uri);
	return r;
}

static int parse(const char *uri, const char *body, struct request *req, struct alto_error *err)
{
	struct endpoint client = {.text = "ipv4:192.0.2.7", .family = IP_V4, .addr = {192, 0, 2, 7}};
	struct request_limits lim = {100, 1000, 50, 8, 16};
	memset(err, 0, sizeof(*err));
	return request_parse(R(uri), C, body, strlen(body), &client, &lim, req, err);
}

#define FNM "/networkmap/my-default-network-map/filtered"
#define FCM "/costmap/my-default-network-map/filtered"
#define EP "/endpointprop"
#define EC "/endpointcost/my-default-network-map"

/* The codes of util/err.h: a constraint that does not parse is
 * ALTOD_EPARSE; a refused request is ALTOD_EREQUEST with the error body's
 * code set. */
START_TEST(error_codes)
{
	struct constraint c;
	ck_assert_int_eq(constraint_parse("le10", &c), ALTOD_EPARSE);
	ck_assert_int_eq(constraint_parse("le nan", &c), ALTOD_EPARSE);
	struct request req;
	struct alto_error err;
	ck_assert_int_eq(parse(FNM, "not json", &req, &err), ALTOD_EREQUEST);
	ck_assert_str_eq(err.code, E_SYNTAX);
	request_free(&req);
	alto_error_clear(&err);
	ck_assert_int_eq(parse(FNM, "{}", &req, &err), ALTOD_EREQUEST);
	ck_assert_str_eq(err.code, E_MISSING_FIELD);
	request_free(&req);
	alto_error_clear(&err);
	ck_assert_int_eq(
	        parse(FCM, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"x\"}}", &req, &err),
	        ALTOD_EREQUEST);
	ck_assert_str_eq(err.code, E_INVALID_FIELD_VALUE);
	request_free(&req);
	alto_error_clear(&err);
}
END_TEST

START_TEST(filtered_networkmap_input)
{
	struct request req;
	struct alto_error err;
	ck_assert_int_eq(parse(FNM, "{\"pids\":[\"PID3\",\"PID1\",\"nope\",\"PID1\"],\"x-unknown\":1}", &req, &err), 0);
	ck_assert(!req.all_srcs);
	ck_assert_uint_eq(req.nsrcs, 2);
	ck_assert_uint_eq(req.srcs[0], 0);
	ck_assert_uint_eq(req.srcs[1], 2);
	ck_assert(req.family[0] && req.family[1]);
	request_free(&req);

	/* brackets inside strings do not count towards the depth limit */
	ck_assert_int_eq(parse(FNM, "{\"pids\":[\"[[[[[[[[[[[[\\\"\"]}", &req, &err), 0);
	request_free(&req);
	ck_assert_int_eq(parse(FNM, "{\"pids\":[],\"address-types\":[\"ipv6\",\"ipv9\"]}", &req, &err), 0);
	ck_assert(req.all_srcs);
	ck_assert(!req.family[0] && req.family[1]);
	request_free(&req);
}
END_TEST

/* §11.4.1.3: repeated endpoints count once; the first of each is kept, in
 * request order. */
START_TEST(endpoint_lists_deduplicated_and_bounded)
{
	struct request req;
	struct alto_error err;
	ck_assert_int_eq(parse(EP,
	                       "{\"properties\":[\"my-default-network-map.pid\"],\"endpoints\":[\"ipv4:10.0.0.2\","
	                       "\"ipv4:10.0.0.1\",\"ipv4:10.0.0.2\",\"ipv6:2001:db8::1\",\"ipv4:10.0.0.1\"]}",
	                       &req, &err),
	                 0);
	ck_assert_uint_eq(req.nesrcs, 3);
	ck_assert_str_eq(req.esrcs[0].text, "ipv4:10.0.0.2");
	ck_assert_str_eq(req.esrcs[1].text, "ipv4:10.0.0.1");
	ck_assert_str_eq(req.esrcs[2].text, "ipv6:2001:db8::1");
	request_free(&req);

	/* the limit (100 here) counts distinct entries: 150 copies of one are 1 */
	char body[4096];
	int n = snprintf(body, sizeof(body), "{\"properties\":[\"my-default-network-map.pid\"],\"endpoints\":[");
	for (int i = 0; i < 150; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, "%s\"ipv4:10.0.0.1\"", i ? "," : "");
	snprintf(body + n, sizeof(body) - (size_t)n, "]}");
	ck_assert_int_eq(parse(EP, body, &req, &err), 0);
	ck_assert_uint_eq(req.nesrcs, 1);
	request_free(&req);
}
END_TEST

START_TEST(cost_map_input)
{
	struct request req;
	struct alto_error err;
	ck_assert_int_eq(parse(FCM,
	                       "{\"cost-type\":{\"cost-mode\":\"ordinal\",\"cost-metric\":\"hopcount\",\"description\":"
	                       "\"x\"},\"constraints\":[\"le 3\",\"ge 1\"],\"pids\":{\"srcs\":[\"PID2\"],\"dsts\":[]}}",
	                       &req, &err),
	                 0);
	ck_assert_str_eq(req.ct.metric->name, "hopcount");
	ck_assert_int_eq(req.ct.mode, COST_ORDINAL);
	ck_assert_uint_eq(req.cons.n, 2);
	ck_assert(req.cons.lo == 1 && !req.cons.lo_open && req.cons.hi == 3 && !req.cons.hi_open);
	ck_assert(!req.all_srcs && req.all_dsts);
	ck_assert_uint_eq(req.nsrcs, 1);
	request_free(&req);
	ck_assert_int_eq(
	        parse(FCM, "{\"cost-type\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"}}", &req, &err),
	        0);
	ck_assert(req.all_srcs && req.all_dsts);
	request_free(&req);
}
END_TEST

START_TEST(endpoint_inputs)
{
	struct request req;
	struct alto_error err;
	ck_assert_int_eq(parse(EP,
	                       "{\"properties\":[\"my-default-network-map.pid\",\"my-default-network-map.pid\"],"
	                       "\"endpoints\":[\"ipv4:192.0.2.34\",\"ipv6:2001:db8::1\",\"ipv4:192.0.2.34\"]}",
	                       &req, &err),
	                 0);
	ck_assert_uint_eq(req.nprops, 1);
	ck_assert_uint_eq(req.nesrcs, 2);
	request_free(&req);

	/* an absent source list stands for the client (§11.5.1.3) */
	ck_assert_int_eq(parse(EC,
	                       "{\"cost-type\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"},"
	                       "\"endpoints\":{\"dsts\":[\"ipv4:198.51.100.1\"]}}",
	                       &req, &err),
	                 0);
	ck_assert_uint_eq(req.nesrcs, 1);
	ck_assert_str_eq(req.esrcs[0].text, "ipv4:192.0.2.7");
	ck_assert_uint_eq(req.nedsts, 1);
	request_free(&req);
	ck_assert_int_eq(parse(EC,
	                       "{\"cost-type\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"},"
	                       "\"endpoints\":{\"srcs\":[\"ipv4:198.51.100.1\"],\"dsts\":[]}}",
	                       &req, &err),
	                 0);
	ck_assert_str_eq(req.edsts[0].text, "ipv4:192.0.2.7");
	request_free(&req);
}
END_TEST

static const struct {
	const char *uri;
	const char *body;
	const char *code;
	const char *field;
	const char *value;
} bad[] = {
        {FNM, "{\"pids\":[", E_SYNTAX, NULL, NULL},
        {FNM, "[1]", E_SYNTAX, NULL, NULL},
        {FNM, "", E_SYNTAX, NULL, NULL},
        {FNM, "{\"pids\":[],\"pids\":[]}", E_SYNTAX, NULL, NULL},
        {FNM, "{\"pids\":[[[[[[[[[1]]]]]]]]]}", E_SYNTAX, NULL, NULL}, /* deeper than 8 */
        {FNM, "{}", E_MISSING_FIELD, "pids", NULL},
        {FNM, "{\"pids\":\"PID1\"}", E_INVALID_FIELD_TYPE, "pids", NULL},
        {FNM, "{\"pids\":[1]}", E_INVALID_FIELD_VALUE, "pids", "1"},
        {FNM, "{\"pids\":[],\"address-types\":\"ipv4\"}", E_INVALID_FIELD_TYPE, "address-types", NULL},
        {FNM, "{\"pids\":[],\"address-types\":[\"ip-v4\"]}", E_INVALID_FIELD_VALUE, "address-types", "ip-v4"},
        {FNM, "{\"pids\":[],\"address-types\":[true]}", E_INVALID_FIELD_VALUE, "address-types", "true"},
        {FCM, "{}", E_MISSING_FIELD, "cost-type", NULL},
        {FCM, "{\"cost-type\":\"routingcost\"}", E_INVALID_FIELD_TYPE, "cost-type", NULL},
        {FCM, "{\"cost-type\":{\"cost-mode\":\"numerical\"}}", E_MISSING_FIELD, "cost-type/cost-metric", NULL},
        {FCM, "{\"cost-type\":{\"cost-metric\":\"routingcost\"}}", E_MISSING_FIELD, "cost-type/cost-mode", NULL},
        {FCM, "{\"cost-type\":{\"cost-metric\":5,\"cost-mode\":\"numerical\"}}", E_INVALID_FIELD_TYPE,
         "cost-type/cost-metric", NULL},
        {FCM, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":[]}}", E_INVALID_FIELD_TYPE,
         "cost-type/cost-mode", NULL},
        {FCM, "{\"cost-type\":{\"cost-metric\":\"delay-ow\",\"cost-mode\":\"numerical\"}}", E_INVALID_FIELD_VALUE,
         "cost-type/cost-metric", "delay-ow"},
        {FCM, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"foo\"}}", E_INVALID_FIELD_VALUE,
         "cost-type/cost-mode", "foo"},
        {FCM, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"constraints\":\"le 1\"}",
         E_INVALID_FIELD_TYPE, "constraints", NULL},
        {FCM,
         "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"constraints\":[\"xx 1\"]}",
         E_INVALID_FIELD_VALUE, "constraints", "xx 1"},
        {FCM, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"constraints\":[7]}",
         E_INVALID_FIELD_VALUE, "constraints", "7"},
        {FCM, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"pids\":[]}",
         E_INVALID_FIELD_TYPE, "pids", NULL},
        {FCM, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"pids\":{\"dsts\":[]}}",
         E_MISSING_FIELD, "pids/srcs", NULL},
        {FCM, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"pids\":{\"srcs\":[]}}",
         E_MISSING_FIELD, "pids/dsts", NULL},
        {FCM,
         "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"pids\":{\"srcs\":[],\"dsts\":"
         "[{}]}}",
         E_INVALID_FIELD_VALUE, "pids/dsts", "{}"},
        {EP, "{\"endpoints\":[\"ipv4:1.2.3.4\"]}", E_MISSING_FIELD, "properties", NULL},
        {EP, "{\"properties\":[\"my-default-network-map.pid\"]}", E_MISSING_FIELD, "endpoints", NULL},
        {EP, "{\"properties\":[],\"endpoints\":[\"ipv4:1.2.3.4\"]}", E_INVALID_FIELD_VALUE, "properties", NULL},
        {EP, "{\"properties\":[\"my-default-network-map.pid\"],\"endpoints\":[]}", E_INVALID_FIELD_VALUE, "endpoints",
         NULL},
        {EP, "{\"properties\":[\"other-map.pid\"],\"endpoints\":[\"ipv4:1.2.3.4\"]}", E_INVALID_FIELD_VALUE,
         "properties", "other-map.pid"},
        {EP, "{\"properties\":[\"my-default-network-map.asn\"],\"endpoints\":[\"ipv4:1.2.3.4\"]}",
         E_INVALID_FIELD_VALUE, "properties", "my-default-network-map.asn"},
        {EP, "{\"properties\":[\"pid\"],\"endpoints\":[\"ipv4:1.2.3.4\"]}", E_INVALID_FIELD_VALUE, "properties", "pid"},
        {EP, "{\"properties\":\"x\",\"endpoints\":[\"ipv4:1.2.3.4\"]}", E_INVALID_FIELD_TYPE, "properties", NULL},
        {EP, "{\"properties\":[\"my-default-network-map.pid\"],\"endpoints\":[\"ipv4:1.2.3\"]}", E_INVALID_FIELD_VALUE,
         "endpoints", "ipv4:1.2.3"},
        {EP, "{\"properties\":[\"my-default-network-map.pid\"],\"endpoints\":[\"ipv5:1.2.3.4\"]}",
         E_INVALID_FIELD_VALUE, "endpoints", "ipv5:1.2.3.4"},
        {EP, "{\"properties\":[\"my-default-network-map.pid\"],\"endpoints\":\"ipv4:1.2.3.4\"}", E_INVALID_FIELD_TYPE,
         "endpoints", NULL},
        {EC, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"}}", E_MISSING_FIELD,
         "endpoints", NULL},
        {EC, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"endpoints\":[]}",
         E_INVALID_FIELD_TYPE, "endpoints", NULL},
        {EC, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"endpoints\":{}}",
         E_INVALID_FIELD_VALUE, "endpoints", NULL},
        {EC,
         "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"endpoints\":{\"srcs\":[],"
         "\"dsts\":[]}}",
         E_INVALID_FIELD_VALUE, "endpoints", NULL},
        {EC,
         "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"endpoints\":{\"dsts\":[\"ipv6:"
         "1.2.3.4\"]}}",
         E_INVALID_FIELD_VALUE, "endpoints/dsts", "ipv6:1.2.3.4"},
        {EC,
         "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},\"endpoints\":{\"srcs\":\"x\"}}",
         E_INVALID_FIELD_TYPE, "endpoints/srcs", NULL},
};

START_TEST(errors)
{
	struct request req;
	struct alto_error err;
	ck_assert_int_ne(parse(bad[_i].uri, bad[_i].body, &req, &err), 0);
	ck_assert_str_eq(err.code, bad[_i].code);
	if (bad[_i].field)
		ck_assert_str_eq(err.field, bad[_i].field);
	else
		ck_assert_ptr_null(err.field);
	if (bad[_i].value)
		ck_assert_str_eq(err.value, bad[_i].value);
	else
		ck_assert_ptr_null(err.value);
	if (strcmp(bad[_i].code, E_SYNTAX) == 0)
		ck_assert_ptr_nonnull(err.syntax);
	size_t len;
	char *body = alto_error_render(&err, &len);
	ck_assert_contains(body, bad[_i].code);
	free(body);
	alto_error_clear(&err);
	request_free(&req);
}
END_TEST

START_TEST(limits)
{
	struct request req;
	struct alto_error err;
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},"
	             "\"endpoints\":{\"srcs\":[\"ipv4:10.0.0.1\"],\"dsts\":[");
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "%s\"ipv4:10.0.1.%d\"", i ? "," : "", i);
	buf_puts(&b, "]}}");
	/* 101 endpoints > 100 */
	ck_assert_int_ne(parse(EC, b.data, &req, &err), 0);
	ck_assert_str_eq(err.code, E_INVALID_FIELD_VALUE);
	ck_assert_str_eq(err.field, "endpoints");
	alto_error_clear(&err);
	request_free(&req);
	buf_free(&b);
}
END_TEST

static char *constraints_body(const char *uri, size_t n, const char *each)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"},");
	if (strcmp(uri, EC) == 0)
		buf_puts(&b, "\"endpoints\":{\"srcs\":[\"ipv4:10.0.0.1\"],\"dsts\":[\"ipv4:10.0.1.1\"]},");
	buf_puts(&b, "\"constraints\":[");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s\"%s\"", i ? "," : "", each);
	buf_puts(&b, "]}");
	size_t len;
	return buf_finish(&b, &len);
}

/* limits.max-constraints (16 in parse()): at the limit served, one more
 * E_INVALID_FIELD_VALUE on "constraints" for both services that take
 * them, checked before any constraint is parsed; 0 is no limit. */
START_TEST(max_constraints)
{
	static const char *const uris[] = {FCM, EC};
	struct request req;
	struct alto_error err;
	for (size_t u = 0; u < 2; u++) {
		char *body = constraints_body(uris[u], 16, "ge 0");
		ck_assert_int_eq(parse(uris[u], body, &req, &err), 0);
		ck_assert_uint_eq(req.cons.n, 16);
		request_free(&req);
		free(body);

		body = constraints_body(uris[u], 17, "ge 0");
		ck_assert_int_ne(parse(uris[u], body, &req, &err), 0);
		ck_assert_str_eq(err.code, E_INVALID_FIELD_VALUE);
		ck_assert_str_eq(err.field, "constraints");
		ck_assert_ptr_null(err.value);
		alto_error_clear(&err);
		request_free(&req);
		free(body);

		/* not parsed at all: the count is refused, not the first bad entry */
		body = constraints_body(uris[u], 17, "xx 0");
		ck_assert_int_ne(parse(uris[u], body, &req, &err), 0);
		ck_assert_str_eq(err.field, "constraints");
		ck_assert_ptr_null(err.value);
		alto_error_clear(&err);
		request_free(&req);
		free(body);

		/* 0: no limit; 10,000 constraints fold into one interval */
		body = constraints_body(uris[u], 10000, "ge 0");
		struct endpoint client = {.text = "ipv4:192.0.2.7", .family = IP_V4, .addr = {192, 0, 2, 7}};
		struct request_limits nolimit = {100, 1000, 50, 8, 0};
		memset(&err, 0, sizeof(err));
		ck_assert_int_eq(request_parse(R(uris[u]), C, body, strlen(body), &client, &nolimit, &req, &err), 0);
		ck_assert_uint_eq(req.cons.n, 10000);
		ck_assert(req.cons.lo == 0 && !req.cons.lo_open && req.cons.hi == INFINITY);
		request_free(&req);
		free(body);
	}
	/* filtered network maps take no constraints: the member is ignored there */
	ck_assert_int_eq(
	        parse(FNM,
	              "{\"pids\":[],\"constraints\":[\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\","
	              "\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\",\"ge 0\","
	              "\"ge 0\"]}",
	              &req, &err),
	        0);
	request_free(&req);
}
END_TEST

static const char *const TYPES[] = {
        "{\"cost-metric\":\"routingcost\",\"cost-mode\":\"numerical\"}",
        "{\"cost-metric\":\"hopcount\",\"cost-mode\":\"numerical\"}",
        "{\"cost-metric\":\"routingcost\",\"cost-mode\":\"ordinal\"}",
        "{\"cost-metric\":\"hopcount\",\"cost-mode\":\"ordinal\"}",
};

/* RFC 8189: the input of both services, as parsed. */
START_TEST(multi_cost_input)
{
	static const char *const uris[] = {FCM, EC};
	struct request req;
	struct alto_error err;
	for (size_t u = 0; u < 2; u++) {
		const char *eps = u ? ",\"endpoints\":{\"srcs\":[\"ipv4:10.0.0.1\"],\"dsts\":[\"ipv4:10.0.1.1\"]}" : "";
		char body[1024];
		/* several types, or-constraints over testable types */
		snprintf(body, sizeof(body),
		         "{\"multi-cost-types\":[%s,%s,%s],\"testable-cost-types\":[%s,%s],"
		         "\"or-constraints\":[[\"[0] le 5\",\"[1] ge 2\",\"[1] le 3\"],[\"eq 20\"]]%s}",
		         TYPES[1], TYPES[0], TYPES[3], TYPES[0], TYPES[2], eps);
		ck_assert_int_eq(parse(uris[u], body, &req, &err), 0);
		ck_assert(req.multi && req.extended);
		ck_assert_uint_eq(req.nmct, 3);
		ck_assert_str_eq(req.mct[0].metric->name, "hopcount");
		ck_assert_str_eq(req.mct[1].metric->name, "routingcost");
		ck_assert_int_eq(req.mct[2].mode, COST_ORDINAL);
		ck_assert_uint_eq(req.ntct, 2);
		ck_assert_int_eq(req.tct[1].mode, COST_ORDINAL);
		ck_assert_uint_eq(req.oc.nbranches, 2);
		ck_assert_uint_eq(req.oc.ntypes, 2);
		/* branch 0: [0] <= 5, [1] in [2, 3]; branch 1: [0] == 20, [1] free */
		ck_assert_uint_eq(req.oc.sets[0].n, 1);
		ck_assert(req.oc.sets[0].hi == 5);
		ck_assert_uint_eq(req.oc.sets[1].n, 2);
		ck_assert(req.oc.sets[1].lo == 2 && req.oc.sets[1].hi == 3);
		ck_assert(req.oc.sets[2].lo == 20 && req.oc.sets[2].hi == 20);
		ck_assert_uint_eq(req.oc.sets[3].n, 0);
		ck_assert(or_constraints_hold(&req.oc, (double[]){5, 2.5}));
		ck_assert(!or_constraints_hold(&req.oc, (double[]){5, 4}));
		ck_assert(or_constraints_hold(&req.oc, (double[]){20, 4}));
		ck_assert(or_constraints_hold(&req.oc, (double[]){20, NAN}));
		ck_assert(!or_constraints_hold(&req.oc, (double[]){NAN, 2}));
		request_free(&req);

		/* without testable types, the returned ones are tested; only the
		 * types a constraint names are kept (here [1] alone) */
		snprintf(body, sizeof(body), "{\"multi-cost-types\":[%s,%s],\"constraints\":[\"[1] lt 4\"]%s}",
		         TYPES[0], TYPES[1], eps);
		ck_assert_int_eq(parse(uris[u], body, &req, &err), 0);
		ck_assert_uint_eq(req.ntct, 1);
		ck_assert(req.tct[0].metric == req.mct[1].metric && req.tct[0].mode == req.mct[1].mode);
		ck_assert_uint_eq(req.oc.nbranches, 1);
		ck_assert_uint_eq(req.oc.ntypes, 1);
		ck_assert(req.oc.sets[0].hi == 4 && req.oc.sets[0].hi_open);
		request_free(&req);

		/* RFC 7285 alone: not extended, constraints folded as before */
		snprintf(body, sizeof(body), "{\"cost-type\":%s,\"constraints\":[\"[0] lt 4\",\"gt 1\"]%s}", TYPES[0],
		         eps);
		ck_assert_int_eq(parse(uris[u], body, &req, &err), 0);
		ck_assert(!req.multi && !req.extended);
		ck_assert_uint_eq(req.cons.n, 2);
		ck_assert_uint_eq(req.oc.nbranches, 0);
		request_free(&req);

		/* a single cost type with testable ones: extended, not multi */
		snprintf(body, sizeof(body), "{\"cost-type\":%s,\"testable-cost-types\":[%s]%s}", TYPES[0], TYPES[3],
		         eps);
		ck_assert_int_eq(parse(uris[u], body, &req, &err), 0);
		ck_assert(!req.multi && req.extended);
		ck_assert_uint_eq(req.nmct, 1);
		ck_assert_uint_eq(req.oc.nbranches, 0);
		ck_assert_uint_eq(req.ntct, 0); /* no constraint: nothing tested */
		request_free(&req);

		/* RFC 8189 §4.1.2: testable types are a subset of "cost-type-names"
		 * (4 here): as many entries as it has, even repeated, and no more */
		snprintf(body, sizeof(body),
		         "{\"cost-type\":%s,\"testable-cost-types\":[%s,%s,%s,%s],\"constraints\":[\"[3] le 1\"]%s}",
		         TYPES[0], TYPES[1], TYPES[1], TYPES[2], TYPES[3], eps);
		ck_assert_int_eq(parse(uris[u], body, &req, &err), 0);
		ck_assert_uint_eq(req.ntct, 1); /* [3] alone is tested */
		ck_assert_int_eq(req.tct[0].mode, COST_ORDINAL);
		ck_assert_uint_eq(req.oc.ntypes, 1);
		ck_assert(req.oc.sets[0].hi == 1);
		request_free(&req);
		snprintf(body, sizeof(body), "{\"cost-type\":%s,\"testable-cost-types\":[%s,%s,%s,%s,%s]%s}", TYPES[0],
		         TYPES[0], TYPES[1], TYPES[2], TYPES[3], TYPES[0], eps);
		ck_assert_int_ne(parse(uris[u], body, &req, &err), 0);
		ck_assert_str_eq(err.code, E_INVALID_FIELD_VALUE);
		ck_assert_str_eq(err.field, "testable-cost-types");
		ck_assert_ptr_null(err.value);
		alto_error_clear(&err);
		request_free(&req);

		/* forbidden: both cost-type and multi-cost-types; an index out of range */
		snprintf(body, sizeof(body), "{\"cost-type\":%s,\"multi-cost-types\":[%s]%s}", TYPES[0], TYPES[0], eps);
		ck_assert_int_ne(parse(uris[u], body, &req, &err), 0);
		ck_assert_str_eq(err.code, E_INVALID_FIELD_VALUE);
		ck_assert_str_eq(err.field, "multi-cost-types");
		alto_error_clear(&err);
		request_free(&req);
		snprintf(body, sizeof(body),
		         "{\"multi-cost-types\":[%s,%s],\"testable-cost-types\":[%s],\"or-constraints\":[[\"[1] le "
		         "1\"]]%s}",
		         TYPES[0], TYPES[1], TYPES[1], eps);
		ck_assert_int_ne(parse(uris[u], body, &req, &err), 0);
		ck_assert_str_eq(err.field, "or-constraints");
		ck_assert_str_eq(err.value, "[1] le 1");
		alto_error_clear(&err);
		request_free(&req);
	}
}
END_TEST

/* limits.max-constraints counts the constraints of every inner array of
 * "or-constraints" (16 in parse()). */
START_TEST(max_constraints_or)
{
	struct request req;
	struct alto_error err;
	for (int total = 16; total <= 17; total++) {
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "{\"multi-cost-types\":[%s,%s],\"or-constraints\":[", TYPES[0], TYPES[1]);
		for (int i = 0; i < total; i++)
			buf_printf(&b, "%s\"[%d] ge 0\"%s", i % 4 == 0 ? (i ? "],[" : "[") : ",", i % 2, "");
		buf_puts(&b, "]]}");
		size_t len;
		char *body = buf_finish(&b, &len);
		int rc = parse(FCM, body, &req, &err);
		if (total == 16) {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(req.oc.nbranches, 4);
		} else {
			ck_assert_int_ne(rc, 0);
			ck_assert_str_eq(err.code, E_INVALID_FIELD_VALUE);
			ck_assert_str_eq(err.field, "or-constraints");
			ck_assert_ptr_null(err.value);
			alto_error_clear(&err);
		}
		request_free(&req);
		free(body);
	}
}
END_TEST

/* or-constraints as parsed and folded (per branch, per testable type)
 * agree with a naive evaluation of the constraints one by one: OR over the
 * inner arrays of AND over their constraints, each on the value of the
 * type its index names; a type without a value (NaN) meets no constraint. */
START_TEST(or_constraints_match_naive)
{
	static const char *const pool[] = {"0", "1", "2", "3", "2.5", "-1", "5", "1e1"};
	static const char *const ops[] = {"gt", "lt", "ge", "le", "eq"};
	static const enum cmp_op opv[] = {OP_GT, OP_LT, OP_GE, OP_LE, OP_EQ};
	const size_t npool = sizeof(pool) / sizeof(pool[0]);
	size_t hits = 0, misses = 0;
	for (int round = 0; round < 1500; round++) {
		size_t ntypes = 1 + (size_t)(rng() % 4), nb = 1 + (size_t)(rng() % 4);
		struct {
			struct constraint c;
			size_t index;
			size_t branch;
		} cons[16];
		size_t n = 0;
		struct buf b;
		buf_init(&b);
		buf_puts(&b, "{\"multi-cost-types\":[");
		for (size_t t = 0; t < ntypes; t++)
			buf_printf(&b, "%s%s", t ? "," : "", TYPES[t]);
		buf_puts(&b, "],\"or-constraints\":[");
		for (size_t br = 0; br < nb; br++) {
			size_t k = 1 + (size_t)(rng() % 4);
			buf_puts(&b, br ? ",[" : "[");
			for (size_t i = 0; i < k; i++) {
				size_t o = (size_t)(rng() % 5), v = (size_t)(rng() % npool),
				       idx = (size_t)(rng() % ntypes);
				bool bare = idx == 0 && rng() % 2; /* no index: the first type */
				if (bare)
					buf_printf(&b, "%s\"%s %s\"", i ? "," : "", ops[o], pool[v]);
				else
					buf_printf(&b, "%s\"[%zu] %s %s\"", i ? "," : "", idx, ops[o], pool[v]);
				cons[n].c = (struct constraint){opv[o], strtod(pool[v], NULL)};
				cons[n].index = idx;
				cons[n++].branch = br;
			}
			buf_putc(&b, ']');
		}
		buf_puts(&b, "]}");
		size_t len;
		char *body = buf_finish(&b, &len);
		struct request req;
		struct alto_error err;
		ck_assert_msg(parse(FCM, body, &req, &err) == 0, "%s", body);
		/* the parsed request keeps the types some constraint names, in
		 * their order: their values are passed in that order */
		bool named[4] = {false, false, false, false};
		for (size_t i = 0; i < n; i++)
			named[cons[i].index] = true;
		size_t nnamed = 0;
		for (size_t t = 0; t < ntypes; t++)
			nnamed += named[t];
		ck_assert_uint_eq(req.oc.ntypes, nnamed);
		ck_assert_uint_eq(req.ntct, nnamed);
		for (int probe = 0; probe < 40; probe++) {
			double vals[4], kept[4];
			size_t nk = 0;
			for (size_t t = 0; t < ntypes; t++) {
				uint64_t x = rng() % (npool + 2);
				vals[t] = x == npool ? NAN : x == npool + 1 ? 1.5 : strtod(pool[x], NULL);
				if (named[t])
					kept[nk++] = vals[t];
			}
			bool want = false;
			for (size_t br = 0; br < nb && !want; br++) {
				bool all = true;
				for (size_t i = 0; i < n; i++)
					if (cons[i].branch == br && !naive_hold(&cons[i].c, 1, vals[cons[i].index]))
						all = false;
				want = all;
			}
			ck_assert_msg(or_constraints_hold(&req.oc, kept) == want, "round %d probe %d: %s", round, probe,
			              body);
			if (want)
				hits++;
			else
				misses++;
		}
		request_free(&req);
		free(body);
	}
	/* the seed reaches both outcomes */
	ck_assert_uint_gt(hits, 2000);
	ck_assert_uint_gt(misses, 2000);
}
END_TEST

START_TEST(error_body_format)
{
	struct alto_error e = {0};
	size_t len;
	alto_error_set(&e, E_INVALID_FIELD_VALUE, "cost-type/cost-mode", "f\"oo");
	char *body = alto_error_render(&e, &len);
	ck_assert_str_eq(body, "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"cost-type/cost-mode\","
	                       "\"value\":\"f\\\"oo\"}}");
	ck_assert_uint_eq(len, strlen(body));
	free(body);
	alto_error_set(&e, E_MISSING_FIELD, "pids", NULL);
	body = alto_error_render(&e, &len);
	ck_assert_str_eq(body, "{\"meta\":{\"code\":\"E_MISSING_FIELD\",\"field\":\"pids\"}}");
	free(body);
	alto_error_clear(&e);
}
END_TEST

/* request_json_depth skips strings with memchr: it must count exactly as a
 * scan byte by byte does (a backslash escapes the next byte, '"' toggles
 * strings), whatever the runs of backslashes before a quote, unterminated
 * strings and stray closers. */
static unsigned depth_bytewise(const char *s, size_t len)
{
	unsigned depth = 0, max = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

START_TEST(json_depth_matches_bytewise_scan)
{
	static const char *fixed[] = {
	        "",
	        "[",
	        "[[\"[[[\"]]",
	        "[\"\\\"[[\"]",
	        "[\"\\\\\"[[\"]",
	        "[\"\\\\\\\"[[\"]",
	        "{\"a\":[{\"b\":\"}}}}\"}]}",
	        "\"unterminated [[[",
	        "]]]]{[",
	        "[\"\\",
	        "[\"a\\\\\\\\\"[\"",
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		ck_assert_uint_eq(request_json_depth(fixed[i], strlen(fixed[i])),
		                  depth_bytewise(fixed[i], strlen(fixed[i])));
	/* and 20,000 strings over the bytes that matter, a fixed sequence */
	static const char alphabet[] = "\"\\[]{}a";
	uint32_t x = 12345;
	char buf[64];
	for (int n = 0; n < 20000; n++) {
		size_t len = (size_t)(n % 63);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
		}
		ck_assert_uint_eq(request_json_depth(buf, len), depth_bytewise(buf, len));
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, constraint_syntax);
	tcase_add_test(tc, constraints_are_anded);
	tcase_add_test(tc, constraint_folding_edges);
	tcase_add_test(tc, constraint_folding_matches_naive);
	tcase_add_test(tc, max_constraints);
	tcase_add_test(tc, indexed_constraint_syntax);
	tcase_add_test(tc, multi_cost_input);
	tcase_add_test(tc, max_constraints_or);
	tcase_add_test(tc, or_constraints_match_naive);
	tcase_add_test(tc, error_codes);
	tcase_add_test(tc, filtered_networkmap_input);
	tcase_add_test(tc, cost_map_input);
	tcase_add_test(tc, endpoint_lists_deduplicated_and_bounded);
	tcase_add_test(tc, endpoint_inputs);
	tcase_add_loop_test(tc, errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, limits);
	tcase_add_test(tc, error_body_format);
	tcase_add_test(tc, json_depth_matches_bytewise_scan);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

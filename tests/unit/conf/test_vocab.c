/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 7285 §10 basic types: PID names and resource ids (§10.1, §10.2),
 * cost modes (§10.5) and cost metrics (§10.6, RFC 9439). */
#include <check.h>
#include <stdio.h>

#include "conf/vocab.h"
#include "util/err.h"
#include "testutil.h"

START_TEST(names)
{
	ck_assert(alto_name_valid("a"));
	ck_assert(alto_name_valid("PID1"));
	ck_assert(alto_name_valid("my-default-network-map"));
	ck_assert(alto_name_valid("a:b@c_d-e"));
	ck_assert(alto_name_valid("0"));
	ck_assert(!alto_name_valid(""));
	/* '.' is reserved as the separator of property names (§10.8.1) */
	ck_assert(!alto_name_valid("a.b"));
	ck_assert(!alto_name_valid("."));
	/* every other byte outside [A-Za-z0-9-:@_] */
	for (int c = 1; c < 256; c++) {
		char s[4] = {'x', (char)c, 'y', '\0'};
		bool want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		            c == ':' || c == '@' || c == '_';
		ck_assert_msg(alto_name_valid(s) == want, "byte 0x%02x", c);
	}
}
END_TEST

/* 1 to 64 characters: 64 is fine, 65 is not. */
START_TEST(name_length)
{
	char s[80];
	memset(s, 'n', sizeof(s));
	s[ALTO_NAME_MAX] = '\0';
	ck_assert_uint_eq(strlen(s), 64);
	ck_assert(alto_name_valid(s));
	s[ALTO_NAME_MAX] = 'n';
	s[ALTO_NAME_MAX + 1] = '\0';
	ck_assert(!alto_name_valid(s));
	s[ALTO_NAME_MAX - 1] = '.';
	s[ALTO_NAME_MAX] = '\0';
	ck_assert(!alto_name_valid(s));
}
END_TEST

START_TEST(cost_modes)
{
	ck_assert_int_eq(cost_mode_parse("numerical"), COST_NUMERICAL);
	ck_assert_int_eq(cost_mode_parse("ordinal"), COST_ORDINAL);
	static const char *bad[] = {"Numerical", "ORDINAL", "numeric", "ordinals", "", " ordinal", "ordinal "};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(cost_mode_parse(bad[i]), ALTOD_EINVAL);
	ck_assert_str_eq(cost_mode_name(COST_NUMERICAL), "numerical");
	ck_assert_str_eq(cost_mode_name(COST_ORDINAL), "ordinal");
	for (int m = 0; m < COST_MODES; m++)
		ck_assert_int_eq(cost_mode_parse(cost_mode_name((enum cost_mode)m)), m);
}
END_TEST

START_TEST(registered_metrics)
{
	static const struct {
		const char *name;
		bool hib;
	} ok[] = {{"routingcost", false},
	          {"hopcount", false},
	          {"delay-ow", false},
	          {"delay-rt", false},
	          {"delay-variation", false},
	          {"lossrate", false},
	          {"tput", true},
	          {"bw-residual", true},
	          {"bw-available", true},
	          {"bw-maxres", true},
	          /* RFC 9439 §2.2 statistical operators */
	          {"delay-ow:cur", false},
	          {"delay-ow:p0", false},
	          {"delay-ow:p95", false},
	          {"delay-ow:p100", false},
	          /* RFC 9439 §2.2: "delay-ow:p99.9 gives the 99.9% percentile" */
	          {"delay-ow:p99.9", false},
	          {"delay-ow:p0.5", false},
	          {"delay-ow:p100.0", false},
	          {"tput:p99.99", true},
	          {"delay-rt:median", false},
	          {"lossrate:mean", false},
	          {"hopcount:max", false},
	          {"tput:min", true},
	          {"bw-residual:p50", true},
	          {"bw-available:mean", true},
	          {"bw-maxres:median", true},
	          /* a spread is better small, even of a bandwidth */
	          {"tput:stddev", false},
	          {"bw-available:stdvar", false}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		bool hib = !ok[i].hib;
		const char *why = NULL;
		ck_assert_msg(alto_metric_valid(ok[i].name, &hib, &why), "%s", ok[i].name);
		ck_assert_msg(hib == ok[i].hib, "%s", ok[i].name);
		ck_assert_ptr_null(why);
	}
}
END_TEST

#define STATOP \
	"unknown statistical operator (cur, min, max, median, mean, stddev, stdvar, or p0 to p100: RFC 9439 §2.2)"

/* RFC 9439 §4, §5: the domain of each metric's values. */
START_TEST(metric_domains)
{
	static const struct {
		const char *name;
		double v;
		bool ok;
	} cases[] = {
	        {"routingcost", 0, true},
	        {"routingcost", -1, false},
	        {"delay-ow", 0, true},
	        {"delay-ow", 1e9, true},
	        {"delay-ow", -0.001, false},
	        {"delay-rt:p99", -1, false},
	        {"delay-variation", -1, false},
	        {"lossrate", 0, true},
	        {"lossrate", 100, true},
	        {"lossrate", 100.001, false},
	        {"lossrate", -1, false},
	        {"lossrate:max", 101, false},
	        {"lossrate:stddev", 101, false},
	        {"lossrate:stdvar", 2500, true},
	        {"lossrate:stdvar", -1, false},
	        {"hopcount", 3, true},
	        {"hopcount", 3.5, false},
	        {"hopcount:p95", 3.5, false},
	        {"hopcount:max", 0.5, false},
	        {"hopcount:mean", 3.5, true},
	        {"hopcount:median", 3.5, true},
	        {"hopcount:stddev", 0.5, true},
	        {"hopcount", -1, false},
	        /* past long long's range: whole, and no undefined cast (found by fuzz_maps) */
	        {"hopcount", 2.888888888888889e27, true},
	        {"hopcount:max", 1e300, true},
	        {"tput", 1e12, true},
	        {"tput", -1, false},
	        {"bw-residual", -1, false},
	        {"bw-available", -1, false},
	        {"bw-maxres", -1, false},
	        {"bw-maxres", 0, true},
	        {"priv:x", 0.5, true},
	        {"priv:x", -1, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = alto_metric_check_value(cases[i].name, cases[i].v);
		ck_assert_msg((why == NULL) == cases[i].ok, "%s %g: %s", cases[i].name, cases[i].v, why ? why : "ok");
	}
}
END_TEST

START_TEST(cost_sources)
{
	static const char *const srcs[] = {"estimation", "nominal", "sla"};
	for (size_t i = 0; i < 3; i++) {
		int s = cost_source_parse(srcs[i]);
		ck_assert_int_gt(s, COST_SOURCE_NONE);
		ck_assert_str_eq(cost_source_name((enum cost_source)s), srcs[i]);
	}
	/* "import" was in early drafts of RFC 9439, not in its registry */
	static const char *const bad[] = {"", "SLA", "estimate", "measured", "none", " sla", "import"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(cost_source_parse(bad[i]), ALTOD_EINVAL);
	ck_assert_ptr_null(cost_source_name(COST_SOURCE_NONE));
}
END_TEST

START_TEST(private_and_bad_metrics)
{
	bool hib = true;
	const char *why = NULL;
	ck_assert(alto_metric_valid("priv:x", &hib, &why));
	ck_assert(!hib); /* a private metric: lower is better */
	ck_assert(alto_metric_valid("priv:my-metric_2:a", &hib, &why));
	/* 32 characters exactly */
	ck_assert(alto_metric_valid("priv:012345678901234567890123456", &hib, &why));

	static const struct {
		const char *name, *why;
	} bad[] = {
	        {"", "a cost metric has 1 to 32 characters"},
	        {"priv:0123456789012345678901234567", "a cost metric has 1 to 32 characters"},
	        {"priv:a.b", "a cost metric may hold only letters, digits, '-', ':' and '_'"},
	        {"priv:a@b", "a cost metric may hold only letters, digits, '-', ':' and '_'"},
	        {"routing cost", "a cost metric may hold only letters, digits, '-', ':' and '_'"},
	        {"priv:", "a private cost metric needs a name after 'priv:'"},
	        {"RoutingCost", "unknown cost metric (use a registered one, or 'priv:' for a private one)"},
	        {"routingcost2", "unknown cost metric (use a registered one, or 'priv:' for a private one)"},
	        {"priv", "unknown cost metric (use a registered one, or 'priv:' for a private one)"},
	        {"PRIV:x", "unknown cost metric (use a registered one, or 'priv:' for a private one)"},
	        {"bw", "unknown cost metric (use a registered one, or 'priv:' for a private one)"},
	        /* RFC 9439's names: not the long forms */
	        {"bw-maximum", "unknown cost metric (use a registered one, or 'priv:' for a private one)"},
	        {"bw-maximum-reservable", "unknown cost metric (use a registered one, or 'priv:' for a private one)"},
	        {"delay-ow:", STATOP},
	        {"delay-ow:p101", STATOP},
	        {"delay-ow:p095", STATOP},
	        {"delay-ow:p99.", STATOP},
	        {"delay-ow:p.5", STATOP},
	        {"delay-ow:p100.1", STATOP},
	        {"delay-ow:p101.0", STATOP},
	        {"delay-ow:p99.9.9", STATOP},
	        {"delay-ow:p09.5", STATOP},
	        {"delay.ow", "a cost metric may hold only letters, digits, '-', ':' and '_'"},
	        {"delay-ow.p99", "a cost metric may hold only letters, digits, '-', ':' and '_'"},
	        {"delay-ow:p", STATOP},
	        {"delay-ow:p9x", STATOP},
	        {"delay-ow:P95", STATOP},
	        {"delay-ow:average", STATOP},
	        {"delay-ow:mean:max", STATOP},
	        {"delay:mean", "unknown cost metric (use a registered one, or 'priv:' for a private one)"},
	        {"routingcost:mean", "routingcost takes no statistical operator (RFC 9439 §2.2 defines them for its "
	                             "metrics)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hib = true;
		why = NULL;
		ck_assert_msg(!alto_metric_valid(bad[i].name, &hib, &why), "'%s' accepted", bad[i].name);
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(why, bad[i].why);
		ck_assert(!hib);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("types");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, names);
	tcase_add_test(tc, name_length);
	tcase_add_test(tc, metric_domains);
	tcase_add_test(tc, cost_sources);
	tcase_add_test(tc, cost_modes);
	tcase_add_test(tc, registered_metrics);
	tcase_add_test(tc, private_and_bad_metrics);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

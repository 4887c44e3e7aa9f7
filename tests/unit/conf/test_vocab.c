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
	          {"bw-maximum", true},
	          {"bw-maximum-reservable", true}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		bool hib = !ok[i].hib;
		const char *why = NULL;
		ck_assert_msg(alto_metric_valid(ok[i].name, &hib, &why), "%s", ok[i].name);
		ck_assert_msg(hib == ok[i].hib, "%s", ok[i].name);
		ck_assert_ptr_null(why);
	}
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
	tcase_add_test(tc, cost_modes);
	tcase_add_test(tc, registered_metrics);
	tcase_add_test(tc, private_and_bad_metrics);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

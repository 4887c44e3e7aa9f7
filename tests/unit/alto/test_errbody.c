/* SPDX-License-Identifier: BSD-2-Clause */
/* application/alto-error+json bodies (RFC 7285 §8.5.2), byte for byte. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>

#include "alto/errbody.h"
#include "testutil.h"

static char *render(const struct alto_error *e)
{
	size_t len = 0;
	char *s = alto_error_render(e, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	/* always valid JSON with meta.code */
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	ck_assert_msg(j != NULL, "not JSON: %s (%s)", s, je.text);
	ck_assert(json_is_string(json_object_get(json_object_get(j, "meta"), "code")));
	json_decref(j);
	return s;
}

static void expect(const struct alto_error *e, const char *want)
{
	char *s = render(e);
	ck_assert_str_eq(s, want);
	free(s);
}

START_TEST(every_code)
{
	static const char *codes[] = {E_SYNTAX, E_MISSING_FIELD, E_INVALID_FIELD_TYPE, E_INVALID_FIELD_VALUE};
	for (size_t i = 0; i < 4; i++) {
		struct alto_error e = {0};
		alto_error_set(&e, codes[i], NULL, NULL);
		char want[128];
		snprintf(want, sizeof(want), "{\"meta\":{\"code\":\"%s\"}}", codes[i]);
		expect(&e, want);
		alto_error_clear(&e);
	}
	/* no code at all is rendered as E_SYNTAX, never as an empty body */
	struct alto_error none = {0};
	expect(&none, "{\"meta\":{\"code\":\"E_SYNTAX\"}}");
}
END_TEST

START_TEST(field_and_value)
{
	struct alto_error e = {0};
	alto_error_set(&e, E_MISSING_FIELD, "cost-type/cost-mode", NULL);
	expect(&e, "{\"meta\":{\"code\":\"E_MISSING_FIELD\",\"field\":\"cost-type/cost-mode\"}}");
	alto_error_set(&e, E_INVALID_FIELD_VALUE, "cost-type/cost-metric", "hops");
	expect(&e, "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"cost-type/"
	           "cost-metric\",\"value\":\"hops\"}}");
	/* "value" only with "field" (§8.5.2) */
	alto_error_set(&e, E_INVALID_FIELD_VALUE, NULL, "orphan");
	expect(&e, "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\"}}");
	alto_error_clear(&e);
	ck_assert_ptr_null(e.code);
	ck_assert_ptr_null(e.value);
}
END_TEST

START_TEST(syntax_detail)
{
	struct alto_error e = {0};
	alto_error_set(&e, E_SYNTAX, NULL, NULL);
	e.syntax = strdup("'[' or '{' expected near end of file at line 1");
	expect(&e, "{\"meta\":{\"code\":\"E_SYNTAX\",\"syntax-error\":\"'[' or '{' expected near end of file at line "
	           "1\"}}");
	alto_error_clear(&e);
	ck_assert_ptr_null(e.syntax);
}
END_TEST

/* What a client sent is echoed as a JSON string: quotes, backslashes and
 * control characters are escaped, so the body stays valid JSON and cannot
 * gain members. */
START_TEST(values_escaped)
{
	struct alto_error e = {0};
	alto_error_set(&e, E_INVALID_FIELD_VALUE, "endpoints", "x\",\"code\":\"E_OK");
	expect(&e, "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"endpoints\",\"value\":"
	           "\"x\\\",\\\"code\\\":\\\"E_OK\"}}");
	alto_error_set(&e, E_INVALID_FIELD_VALUE, "endpoints", "a\\b\n\t\r\x01\x1f\x7f\xc3\xa9");
	expect(&e, "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"endpoints\",\"value\":"
	           "\"a\\\\b\\n\\t\\r\\u0001\\u001f\x7f\xc3\xa9\"}}");
	alto_error_set(&e, E_INVALID_FIELD_VALUE, "f", "");
	expect(&e, "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"f\",\"value\":\"\"}}");
	alto_error_clear(&e);
	e.syntax = strdup("bad \"token\"\n");
	expect(&e, "{\"meta\":{\"code\":\"E_SYNTAX\",\"syntax-error\":\"bad \\\"token\\\"\\n\"}}");
	alto_error_clear(&e);
}
END_TEST

/* set copies the value and replaces what was there (no leak, no alias). */
START_TEST(set_copies_and_replaces)
{
	struct alto_error e = {0};
	char v[] = "first";
	alto_error_set(&e, E_INVALID_FIELD_VALUE, "f", v);
	ck_assert_ptr_ne(e.value, v);
	v[0] = 'X';
	ck_assert_str_eq(e.value, "first");
	e.syntax = strdup("old");
	alto_error_set(&e, E_MISSING_FIELD, "g", NULL);
	ck_assert_ptr_null(e.value);
	ck_assert_ptr_null(e.syntax);
	ck_assert_str_eq(e.code, E_MISSING_FIELD);
	ck_assert_str_eq(e.field, "g");
	/* a long value is echoed whole */
	char big[5000];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	alto_error_set(&e, E_INVALID_FIELD_VALUE, "f", big);
	char *s = render(&e);
	ck_assert_uint_eq(strlen(s),
	                  strlen("{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"f\",\"value\":\"\"}}") +
	                          sizeof(big) - 1);
	free(s);
	alto_error_clear(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("errbody");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, every_code);
	tcase_add_test(tc, field_and_value);
	tcase_add_test(tc, syntax_detail);
	tcase_add_test(tc, values_escaped);
	tcase_add_test(tc, set_copies_and_replaces);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

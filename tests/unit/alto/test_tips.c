/* SPDX-License-Identifier: BSD-2-Clause */
/* TIPS (RFC 9569) protocol parts: requests, summaries, view paths, edges. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>

#include "alto/tips.h"
#include "util/err.h"
#include "testutil.h"

#define TOK "0123456789abcdef0123456789abcdef"

START_TEST(open_requests)
{
	struct tips_open o;
	struct alto_error e = {0};
	const char *ok = "{\"resource-id\":\"m\",\"tag\":\"abc\",\"input\":{},\"x\":1}";
	ck_assert_int_eq(tips_parse_open(ok, strlen(ok), &o, &e), 0);
	ck_assert_str_eq(o.resource_id, "m");
	ck_assert_str_eq(o.tag, "abc");
	tips_open_clear(&o);
	static const struct {
		const char *body, *code, *field;
	} bad[] = {
	        {"", E_SYNTAX, NULL},
	        {"[]", E_SYNTAX, NULL},
	        {"{\"resource-id\":\"a\",\"resource-id\":\"b\"}", E_SYNTAX, NULL}, /* duplicates */
	        {"{}", E_MISSING_FIELD, "resource-id"},
	        {"{\"tag\":\"x\"}", E_MISSING_FIELD, "resource-id"},
	        {"{\"resource-id\":null}", E_INVALID_FIELD_TYPE, "resource-id"},
	        {"{\"resource-id\":[\"m\"]}", E_INVALID_FIELD_TYPE, "resource-id"},
	        {"{\"resource-id\":\"m\",\"tag\":5}", E_INVALID_FIELD_TYPE, "tag"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(tips_parse_open(bad[i].body, strlen(bad[i].body), &o, &e), ALTOD_EREQUEST);
		ck_assert_str_eq(e.code, bad[i].code);
		if (bad[i].field)
			ck_assert_str_eq(e.field, bad[i].field);
		ck_assert_ptr_null(o.resource_id);
		alto_error_clear(&e);
	}
	char *tag = NULL;
	ck_assert_int_eq(tips_parse_next_edge("{}", 2, &tag, &e), 0);
	ck_assert_ptr_null(tag);
	ck_assert_int_eq(tips_parse_next_edge("{\"tag\":\"t\"}", 11, &tag, &e), 0);
	ck_assert_str_eq(tag, "t");
	free(tag);
	ck_assert_int_eq(tips_parse_next_edge("{\"tag\":{}}", 10, &tag, &e), ALTOD_EREQUEST);
	alto_error_clear(&e);
}
END_TEST

START_TEST(summaries)
{
	struct tips_summary s = {101, 106, 0, 105};
	size_t len;
	char *open = tips_render_open("https://alto.example.com/tips/2718281828459", &s, &len);
	/* RFC 9569 §6.3's example, as one line */
	ck_assert_str_eq(open,
	                 "{\"tips-view-uri\":\"https://alto.example.com/tips/2718281828459\",\"tips-view-summary\":"
	                 "{\"updates-graph-summary\":{\"start-seq\":101,\"end-seq\":106,\"start-edge-rec\":"
	                 "{\"seq-i\":0,\"seq-j\":105}}}}");
	ck_assert_uint_eq(strlen(open), len);
	free(open);
	char *g = tips_render_summary(&s, &len);
	ck_assert_str_eq(g, "{\"start-seq\":101,\"end-seq\":106,\"start-edge-rec\":{\"seq-i\":0,\"seq-j\":105}}");
	free(g);
}
END_TEST

START_TEST(recommendations)
{
	struct tips_summary s = {3, 6, 0, 0};
	size_t small[] = {10, 10, 10}, big[] = {10, 500, 10};
	tips_recommend(&s, 0, NULL, 100); /* no version: the snapshot */
	ck_assert_uint_eq(s.rec_i, 0);
	ck_assert_uint_eq(s.rec_j, 6);
	tips_recommend(&s, 2, NULL, 100); /* not kept: likewise */
	ck_assert_uint_eq(s.rec_j, 6);
	tips_recommend(&s, 6, NULL, 100); /* current: the next edge */
	ck_assert_uint_eq(s.rec_i, 6);
	ck_assert_uint_eq(s.rec_j, 7);
	tips_recommend(&s, 3, small, 100); /* patches smaller than the body */
	ck_assert_uint_eq(s.rec_i, 3);
	ck_assert_uint_eq(s.rec_j, 4);
	tips_recommend(&s, 3, big, 100); /* larger: the snapshot */
	ck_assert_uint_eq(s.rec_i, 0);
	ck_assert_uint_eq(s.rec_j, 6);
	tips_recommend(&s, 5, big + 2, 100);
	ck_assert_uint_eq(s.rec_i, 5);
}
END_TEST

START_TEST(paths)
{
	char tok[TIPS_TOKEN_LEN + 1];
	uint64_t i = 0, j = 0;
	ck_assert_int_eq(tips_parse_path("/tip/" TOK, tok, &i, &j), TIPS_PATH_NONE);
	ck_assert_int_eq(tips_parse_path("/tips", tok, &i, &j), TIPS_PATH_NONE);
	ck_assert_int_eq(tips_parse_path("/tips/", tok, &i, &j), TIPS_PATH_BAD);
	ck_assert_int_eq(tips_parse_path("/tips/0123", tok, &i, &j), TIPS_PATH_BAD);
	ck_assert_int_eq(tips_parse_path("/tips/" TOK "0", tok, &i, &j), TIPS_PATH_BAD);
	ck_assert_int_eq(tips_parse_path("/tips/0123456789ABCDEF0123456789abcdef", tok, &i, &j), TIPS_PATH_BAD);
	ck_assert_int_eq(tips_parse_path("/tips/" TOK, tok, &i, &j), TIPS_PATH_VIEW);
	ck_assert_str_eq(tok, TOK);
	ck_assert_int_eq(tips_parse_path("/tips/" TOK "/ug", tok, &i, &j), TIPS_PATH_GRAPH);
	ck_assert_int_eq(tips_parse_path("/tips/" TOK "/ugx", tok, &i, &j), TIPS_PATH_UNKNOWN);
	ck_assert_int_eq(tips_parse_path("/tips/" TOK "/ug/0/101", tok, &i, &j), TIPS_PATH_EDGE);
	ck_assert_uint_eq(i, 0);
	ck_assert_uint_eq(j, 101);
	ck_assert_int_eq(tips_parse_path("/tips/" TOK "/ug/9007199254740991/1", tok, &i, &j), TIPS_PATH_EDGE);
	static const char *const unknown[] = {"/ug/",     "/ug/1",    "/ug/1/",   "/ug/01/2",  "/ug/1/02",
	                                      "/ug/-1/2", "/ug/+1/2", "/ug/1/2/", "/ug/1/2/3", "/ug/9007199254740992/1",
	                                      "/ug/1/x",  "/ug//2",   "/x"};
	for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++) {
		char path[128];
		snprintf(path, sizeof(path), "/tips/%s%s", TOK, unknown[k]);
		ck_assert_msg(tips_parse_path(path, tok, &i, &j) == TIPS_PATH_UNKNOWN, "%s", path);
	}
}
END_TEST

START_TEST(edges)
{
	/* a graph 3..6 */
	ck_assert_int_eq(tips_classify(3, 6, 0, 6), TIPS_EDGE_FULL);
	ck_assert_int_eq(tips_classify(3, 6, 0, 5), TIPS_EDGE_NONE); /* only the current body is kept */
	ck_assert_int_eq(tips_classify(3, 6, 0, 2), TIPS_EDGE_GONE);
	ck_assert_int_eq(tips_classify(3, 6, 3, 4), TIPS_EDGE_PATCH);
	ck_assert_int_eq(tips_classify(3, 6, 5, 6), TIPS_EDGE_PATCH);
	ck_assert_int_eq(tips_classify(3, 6, 3, 5), TIPS_EDGE_NONE); /* no shortcuts */
	ck_assert_int_eq(tips_classify(3, 6, 2, 3), TIPS_EDGE_GONE);
	ck_assert_int_eq(tips_classify(3, 6, 1, 2), TIPS_EDGE_GONE);
	ck_assert_int_eq(tips_classify(3, 6, 6, 7), TIPS_EDGE_WAIT);
	ck_assert_int_eq(tips_classify(3, 6, 0, 7), TIPS_EDGE_WAIT);
	ck_assert_int_eq(tips_classify(3, 6, 5, 7), TIPS_EDGE_NONE); /* a shortcut: never */
	ck_assert_int_eq(tips_classify(3, 6, 6, 8), TIPS_EDGE_TOO_EARLY);
	ck_assert_int_eq(tips_classify(3, 6, 7, 8), TIPS_EDGE_TOO_EARLY);
	ck_assert_int_eq(tips_classify(3, 6, 4, 4), TIPS_EDGE_NONE);
	ck_assert_int_eq(tips_classify(3, 6, 5, 4), TIPS_EDGE_NONE);
	ck_assert_int_eq(tips_classify(1, 1, 0, 1), TIPS_EDGE_FULL);
	ck_assert_int_eq(tips_classify(1, 1, 1, 2), TIPS_EDGE_WAIT);
	ck_assert_int_eq(tips_classify(1, 1, 0, 0), TIPS_EDGE_NONE);
}
END_TEST

START_TEST(error_bodies)
{
	const char *bodies[] = {tips_err_no_view,   tips_err_no_edge, tips_err_gone,
	                        tips_err_too_early, tips_err_media,   tips_err_too_many};
	for (size_t k = 0; k < sizeof(bodies) / sizeof(bodies[0]); k++) {
		json_error_t je;
		json_t *j = json_loads(bodies[k], 0, &je);
		ck_assert_msg(j != NULL, "%s", bodies[k]);
		ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "meta"), "code")),
		                 E_INVALID_FIELD_VALUE);
		json_decref(j);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tips");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, open_requests);
	tcase_add_test(tc, summaries);
	tcase_add_test(tc, recommendations);
	tcase_add_test(tc, paths);
	tcase_add_test(tc, edges);
	tcase_add_test(tc, error_bodies);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

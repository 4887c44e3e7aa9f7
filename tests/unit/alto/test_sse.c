/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RFC 8895's protocol parts: UpdateStreamReq parsing against a catalog
 * (a resource the catalog does not offer fails exactly like one that does
 * not exist), the update messages as SSE events, and the directory entry.
 */
#include <check.h>
#include <stdio.h>

#include "alto/catalog.h"
#include "alto/sse.h"
#include "util/err.h"
#include "fixtures.h"
#include "testutil.h"

#define NM "my-default-network-map"

static struct topo *T;
static struct catalog *ALL, *ONLY_NM;

static bool only_nm(void *ctx, const char *id)
{
	return strcmp(id, NM) == 0;
}

static struct catalog *build(bool (*granted)(void *, const char *))
{
	const struct topo_netmap *maps[] = {&T->netmaps[0]};
	struct catalog_spec spec = {.maps = maps, .nmaps = 1, .default_map = maps[0], .granted = granted};
	struct catalog *c = NULL;
	struct diag d;
	diag_init(&d);
	ck_assert_int_eq(catalog_build(&spec, &c, &d), 0);
	diag_free(&d);
	return c;
}

static void setup(void)
{
	T = load_ok(RFC_MAPS);
	ALL = build(NULL);
	ONLY_NM = build(only_nm);
}

static void teardown(void)
{
	catalog_free(ALL);
	catalog_free(ONLY_NM);
	topo_free(T);
}

/* The rendered error of a request that must fail (the caller frees). */
static char *error_of(const struct catalog *c, const char *body)
{
	struct sse_req req;
	struct alto_error err = {0};
	ck_assert_int_eq(sse_req_parse(body, strlen(body), c, 32, true, &req, &err), ALTOD_EREQUEST);
	size_t len;
	char *out = alto_error_render(&err, &len);
	alto_error_clear(&err);
	ck_assert_ptr_null(req.add);
	return out;
}

START_TEST(parses_add_and_remove)
{
	struct sse_req req;
	struct alto_error err = {0};
	const char *body = "{\"add\":{\"a\":{\"resource-id\":\"" NM "\"},"
	                   "\"b\":{\"resource-id\":\"" NM "-num-routingcost\",\"incremental-changes\":false,"
	                   "\"tag\":\"x\"}},\"remove\":[\"c\",\"d\"],\"other\":1}";
	ck_assert_int_eq(sse_req_parse(body, strlen(body), ALL, 32, true, &req, &err), 0);
	ck_assert_uint_eq(req.nadd, 2);
	ck_assert_str_eq(req.add[0].client_id, "a");
	ck_assert_str_eq(req.add[0].res->id, NM);
	ck_assert(req.add[0].incremental);
	ck_assert_str_eq(req.add[1].res->id, NM "-num-routingcost");
	ck_assert(!req.add[1].incremental);
	ck_assert_str_eq(req.add[0].tag, "");
	ck_assert_str_eq(req.add[1].tag, "x");
	ck_assert_uint_eq(req.nremove, 2);
	ck_assert_str_eq(req.remove[1], "d");
	sse_req_free(&req);
}
END_TEST

START_TEST(errors_name_their_field)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
	        {"[]",
	         "{\"meta\":{\"code\":\"E_SYNTAX\",\"syntax-error\":\"the request body must be a JSON object\"}}"},
	        {"{\"add\":[]}", "{\"meta\":{\"code\":\"E_INVALID_FIELD_TYPE\",\"field\":\"add\"}}"},
	        {"{\"add\":{\"x\":1}}", "{\"meta\":{\"code\":\"E_INVALID_FIELD_TYPE\",\"field\":\"add/x\"}}"},
	        {"{\"add\":{\"x\":{}}}", "{\"meta\":{\"code\":\"E_MISSING_FIELD\",\"field\":\"add/x/resource-id\"}}"},
	        {"{\"add\":{\"x\":{\"resource-id\":\"nope\"}}}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"add/x/resource-id\",\"value\":\"nope\"}}"},
	        /* a POST service and the update stream service: no streams of them */
	        {"{\"add\":{\"x\":{\"resource-id\":\"" NM "-filtered-costmap\"}}}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"add/x/resource-id\",\"value\":\"" NM
	         "-filtered-costmap\"}}"},
	        {"{\"add\":{\"x\":{\"resource-id\":\"update-stream\"}}}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"add/x/resource-id\",\"value\":\"update-"
	         "stream\"}}"},
	        {"{\"add\":{\"a.b\":{\"resource-id\":\"" NM "\"}}}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"add\",\"value\":\"a.b\"}}"},
	        {"{\"add\":{\"x\":{\"resource-id\":\"" NM "\",\"tag\":1}}}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_TYPE\",\"field\":\"add/x/tag\"}}"},
	        /* RFC 8895 §6.5 tag: an RFC 7285 §10.3 tag, 1-64 of U+0021-U+007E */
	        {"{\"add\":{\"x\":{\"resource-id\":\"" NM "\",\"tag\":\"\"}}}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"add/x/tag\",\"value\":\"\"}}"},
	        {"{\"add\":{\"x\":{\"resource-id\":\"" NM "\",\"tag\":\"a b\"}}}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"add/x/tag\",\"value\":\"a b\"}}"},
	        {"{\"add\":{\"x\":{\"resource-id\":\"" NM
	         "\",\"tag\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"add/x/"
	         "tag\",\"value\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}"},
	        {"{\"add\":{\"x\":{\"resource-id\":\"" NM "\",\"input\":{\"pids\":[]}}}}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"add/x/"
	         "input\",\"value\":\"{\\\"pids\\\":[]}\"}}"},
	        {"{\"remove\":\"x\"}", "{\"meta\":{\"code\":\"E_INVALID_FIELD_TYPE\",\"field\":\"remove\"}}"},
	        {"{\"remove\":[\"x\",\"x\"]}",
	         "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"remove\",\"value\":\"x\"}}"},
	        {"{\"add\":{\"x\":{\"resource-id\":\"" NM "\"},\"x\":{\"resource-id\":\"" NM "\"}}}", NULL},
	        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	         "{\"meta\":{\"code\":\"E_SYNTAX\",\"syntax-error\":\"JSON nested deeper than 32 levels\"}}"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = error_of(ALL, cases[i].body);
		if (cases[i].want)
			ck_assert_str_eq(got, cases[i].want);
		else /* a client id twice: jansson refuses duplicate members */
			ck_assert_ptr_nonnull(strstr(got, "E_SYNTAX"));
		free(got);
	}
}
END_TEST

START_TEST(not_granted_is_unknown)
{
	/* the same error, byte for byte, as a resource that does not exist */
	char *hidden = error_of(ONLY_NM, "{\"add\":{\"x\":{\"resource-id\":\"" NM "-num-routingcost\"}}}");
	char *none = error_of(ONLY_NM, "{\"add\":{\"x\":{\"resource-id\":\"nope\"}}}");
	ck_assert_ptr_nonnull(strstr(hidden, "\"field\":\"add/x/resource-id\""));
	ck_assert_ptr_nonnull(strstr(none, "\"field\":\"add/x/resource-id\""));
	ck_assert_str_eq(strstr(hidden, "\"value\""), "\"value\":\"" NM "-num-routingcost\"}}");
	ck_assert_str_eq(strstr(none, "\"value\""), "\"value\":\"nope\"}}");
	free(hidden);
	free(none);
}
END_TEST

START_TEST(events)
{
	struct buf b;
	buf_init(&b);
	sse_data_event(&b, SSE_MT_MERGEPATCH, "c1", "{\"a\":\n1}", 8);
	sse_control_event(&b, "/updates/control/x", NULL, 0, NULL);
	char *rm[] = {"c1", "c\"2"};
	sse_control_event(&b, NULL, rm, 2, "why");
	buf_puts(&b, SSE_KEEPALIVE);
	size_t len;
	char *s = buf_finish(&b, &len);
	ck_assert_str_eq(s, "event: application/merge-patch+json,c1\ndata: {\"a\":\ndata: 1}\n\n"
	                    "event: application/alto-updatestreamcontrol+json\n"
	                    "data: {\"control-uri\":\"/updates/control/x\"}\n\n"
	                    "event: application/alto-updatestreamcontrol+json\n"
	                    /* RFC 8895 §5.3: the member is "stopped" */
	                    "data: {\"stopped\":[\"c1\",\"c\\\"2\"],\"description\":\"why\"}\n\n"
	                    ": keep-alive\n\n");
	free(s);
}
END_TEST

START_TEST(directory_entry_covers_the_catalog)
{
	const char *ird = catalog_route(ONLY_NM, "/")->body;
	ck_assert_contains(ird, "\"update-stream\":{\"uri\":\"/updates/stream\",\"media-type\":\"text/event-stream\","
	                        "\"accepts\":\"application/alto-updatestreamparams+json\",\"capabilities\":{"
	                        "\"incremental-change-media-types\":{\"" NM "\":\"application/merge-patch+json\"},"
	                        "\"support-stream-control\":true},\"uses\":[\"" NM "\"]}");
	ird = catalog_route(ALL, "/")->body;
	ck_assert_contains(ird, "\"" NM "-ord-hopcount\":\"application/merge-patch+json,application/json-patch+json\"");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sse");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, parses_add_and_remove);
	tcase_add_test(tc, errors_name_their_field);
	tcase_add_test(tc, not_granted_is_unknown);
	tcase_add_test(tc, events);
	tcase_add_test(tc, directory_entry_covers_the_catalog);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

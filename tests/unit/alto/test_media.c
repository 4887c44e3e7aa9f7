/* SPDX-License-Identifier: BSD-2-Clause */
/* Accept and Content-Type matching (RFC 7231 §5.3.2, §3.1.1.5). */
#include <check.h>

#include "alto/media.h"
#include "testutil.h"

START_TEST(accept)
{
	ck_assert(media_accepts(NULL, MT_NETWORKMAP));
	ck_assert(media_accepts("", MT_NETWORKMAP));
	ck_assert(media_accepts("*/*", MT_NETWORKMAP));
	ck_assert(media_accepts("application/*", MT_NETWORKMAP));
	ck_assert(media_accepts("application/alto-networkmap+json", MT_NETWORKMAP));
	ck_assert(media_accepts("Application/ALTO-NetworkMap+JSON", MT_NETWORKMAP));
	ck_assert(media_accepts("application/alto-networkmap+json,application/alto-error+json", MT_NETWORKMAP));
	ck_assert(media_accepts("text/html, application/alto-networkmap+json;q=0.5", MT_NETWORKMAP));
	ck_assert(media_accepts("text/html;level=1, */*;q=0.1", MT_NETWORKMAP));
	ck_assert(!media_accepts("application/alto-costmap+json", MT_NETWORKMAP));
	ck_assert(!media_accepts("application/json", MT_NETWORKMAP));
	ck_assert(!media_accepts("text/*", MT_NETWORKMAP));
	ck_assert(!media_accepts("application/alto-networkmap+json;q=0", MT_NETWORKMAP));
	ck_assert(!media_accepts("application/alto-networkmap+json; q=0.000", MT_NETWORKMAP));
	/* the most specific range decides */
	ck_assert(!media_accepts("*/*, application/alto-networkmap+json;q=0", MT_NETWORKMAP));
	ck_assert(media_accepts("application/alto-networkmap+json, */*;q=0", MT_NETWORKMAP));
	ck_assert(!media_accepts("application/alto-networkmap+jsonx", MT_NETWORKMAP));
	ck_assert(!media_accepts("application/alto-networkmap", MT_NETWORKMAP));
}
END_TEST

START_TEST(content_type)
{
	ck_assert(media_is("application/alto-costmapfilter+json", MT_COSTMAPFILTER));
	ck_assert(media_is("application/alto-costmapfilter+json; charset=utf-8", MT_COSTMAPFILTER));
	ck_assert(media_is("APPLICATION/alto-costmapfilter+json;charset=UTF-8", MT_COSTMAPFILTER));
	ck_assert(media_is(" application/alto-costmapfilter+json ", MT_COSTMAPFILTER));
	ck_assert(!media_is(NULL, MT_COSTMAPFILTER));
	ck_assert(!media_is("", MT_COSTMAPFILTER));
	ck_assert(!media_is("application/json", MT_COSTMAPFILTER));
	ck_assert(!media_is("application/alto-costmapfilter+jsonx", MT_COSTMAPFILTER));
	ck_assert(!media_is("application/alto-costmapfilter+json x", MT_COSTMAPFILTER));
}
END_TEST

START_TEST(accept_encoding)
{
	ck_assert(!media_accepts_gzip(NULL));
	ck_assert(!media_accepts_gzip(""));
	ck_assert(media_accepts_gzip("gzip"));
	ck_assert(media_accepts_gzip("deflate, gzip;q=0.5"));
	ck_assert(media_accepts_gzip("GZIP"));
	ck_assert(media_accepts_gzip("x-gzip"));
	ck_assert(media_accepts_gzip("*"));
	ck_assert(!media_accepts_gzip("gzip;q=0"));
	ck_assert(!media_accepts_gzip("*, gzip;q=0"));
	ck_assert(!media_accepts_gzip("identity"));
	ck_assert(!media_accepts_gzip("br, deflate"));
	ck_assert(!media_accepts_gzip("gzipx"));
}
END_TEST

START_TEST(if_none_match)
{
	ck_assert(etag_list_matches("\"abc\"", "\"abc\""));
	ck_assert(etag_list_matches("W/\"abc\"", "\"abc\""));
	ck_assert(etag_list_matches("\"x\", \"abc\"", "\"abc\""));
	ck_assert(etag_list_matches("*", "\"abc\""));
	ck_assert(!etag_list_matches("\"abcd\"", "\"abc\""));
	ck_assert(!etag_list_matches("\"ab\"", "\"abc\""));
	ck_assert(!etag_list_matches("abc", "\"abc\""));
	ck_assert(!etag_list_matches("\"abc", "\"abc\""));
	ck_assert(!etag_list_matches("", "\"abc\""));
}
END_TEST

START_TEST(names)
{
	ck_assert(alto_name_valid("my-default-network-map"));
	ck_assert(alto_name_valid("a:b@c_d-E9"));
	ck_assert(!alto_name_valid(""));
	ck_assert(!alto_name_valid("a.b"));
	ck_assert(!alto_name_valid("a b"));
	ck_assert(!alto_name_valid("a/b"));
	ck_assert(alto_name_valid("1234567890123456789012345678901234567890123456789012345678901234"));
	ck_assert(!alto_name_valid("12345678901234567890123456789012345678901234567890123456789012345"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("media");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, accept);
	tcase_add_test(tc, content_type);
	tcase_add_test(tc, accept_encoding);
	tcase_add_test(tc, if_none_match);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

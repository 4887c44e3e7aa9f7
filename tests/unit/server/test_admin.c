/* SPDX-License-Identifier: BSD-2-Clause */
/* The health checks' answers (admin.h): what /healthz and /readyz say, and
 * that nothing else is one. */
#include <check.h>
#include <string.h>

#include "server/admin.h"
#include "testutil.h"

START_TEST(health_paths)
{
	const char *body = NULL;
	ck_assert_uint_eq(health_answer("/healthz", false, &body), 200);
	ck_assert_str_eq(body, "ok\n");
	ck_assert_uint_eq(health_answer("/healthz", true, &body), 200);
	/* ready: a snapshot serves; else 503 */
	ck_assert_uint_eq(health_answer("/readyz", true, &body), 200);
	ck_assert_str_eq(body, "ready\n");
	ck_assert_uint_eq(health_answer("/readyz", false, &body), 503);
	ck_assert_str_eq(body, "not ready\n");
	/* exact paths only: no prefix, no suffix, no case folding */
	static const char *const not_health[] = {"/",       "/healthz/", "/healthzx", "/HEALTHZ", "/readyz/x",
	                                         "healthz", "/metrics",  "//healthz", ""};
	for (size_t i = 0; i < sizeof(not_health) / sizeof(not_health[0]); i++)
		ck_assert_uint_eq(health_answer(not_health[i], true, &body), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, health_paths);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

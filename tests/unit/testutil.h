/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef ALTOD_TESTUTIL_H
#define ALTOD_TESTUTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "topo/load.h"
#include "util/diag.h"
#include "topo/topo.h"

/* Loads one in-memory maps file; fails the test on any error. */
static inline struct topo *load_ok(const char *yaml)
{
	const char *names[] = {"maps.yaml"};
	const char *texts[] = {yaml};
	struct diag d;
	struct topo *t = NULL;

	diag_init(&d);
	int rc = topo_load_mem(names, texts, 1, &t, &d);
	if (rc != 0)
		ck_abort_msg("load failed: %s", d.n ? d.msgs[0] : "(no message)");
	diag_free(&d);
	return t;
}

/* Loads and expects failure; returns the diagnostics joined by newlines. */
static inline char *load_err(const char *yaml)
{
	const char *names[] = {"maps.yaml"};
	const char *texts[] = {yaml};
	struct diag d;
	struct topo *t = NULL;

	diag_init(&d);
	int rc = topo_load_mem(names, texts, 1, &t, &d);
	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_null(t);
	ck_assert_uint_gt(d.n, 0);
	size_t len = 1;
	for (size_t i = 0; i < d.n; i++)
		len += strlen(d.msgs[i]) + 1;
	char *all = calloc(1, len);
	for (size_t i = 0; i < d.n; i++) {
		strcat(all, d.msgs[i]);
		strcat(all, "\n");
	}
	diag_free(&d);
	return all;
}

#define ck_assert_contains(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "'%s' not found in:\n%s", (needle), (hay))

#define RUN_SUITE(suite_fn)                                       \
	int main(void)                                            \
	{                                                         \
		SRunner *sr = srunner_create(suite_fn());         \
		srunner_run_all(sr, CK_NORMAL);                   \
		int failed = srunner_ntests_failed(sr);           \
		srunner_free(sr);                                 \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE; \
	}

#endif

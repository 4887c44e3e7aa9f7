/* SPDX-License-Identifier: BSD-2-Clause */
/* altod.yaml's admin section: defaults, every key, and every refusal at
 * its file:line:column. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/adminconf.h"
#include "conf/conf.h"
#include "testutil.h"

#define HEAD "server:\n  listen:\n    - {address: 127.0.0.1, port: 8080}\nmaps: [m.yaml]\n"
#define SHA "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8" /* "password" */

static struct conf *conf_ok(const char *yaml)
{
	struct diag d;
	struct conf *c = NULL;
	diag_init(&d);
	int rc = conf_load_mem("/etc/altod/altod.yaml", yaml, &c, &d);
	if (rc != 0)
		ck_abort_msg("unexpected error: %s", d.n ? d.msgs[0] : "?");
	diag_free(&d);
	return c;
}

/* the first error, which must be at line:col */
static void conf_err(const char *yaml, unsigned line, unsigned col, const char *part)
{
	struct diag d;
	struct conf *c = NULL;
	diag_init(&d);
	ck_assert_int_ne(conf_load_mem("/etc/altod/altod.yaml", yaml, &c, &d), 0);
	ck_assert_ptr_null(c);
	ck_assert_uint_gt(d.n, 0);
	char where[64];
	snprintf(where, sizeof(where), "/etc/altod/altod.yaml:%u:%u: ", line, col);
	if (strncmp(d.msgs[0], where, strlen(where)) != 0 || strstr(d.msgs[0], part) == NULL)
		ck_abort_msg("got '%s', wanted '%s...%s'", d.msgs[0], where, part);
	diag_free(&d);
}

START_TEST(none_by_default)
{
	struct conf *c = conf_ok(HEAD);
	ck_assert_ptr_null(c->admin);
	conf_free(c);
}
END_TEST

START_TEST(loopback_default)
{
	struct conf *c = conf_ok(HEAD "admin: {port: 9180}\n");
	ck_assert_ptr_nonnull(c->admin);
	ck_assert_str_eq(c->admin->l.address, "127.0.0.1");
	ck_assert_uint_eq(c->admin->l.port, 9180);
	ck_assert_ptr_null(c->admin->l.tls);
	ck_assert_uint_eq(c->admin->nusers, 0);
	conf_free(c);
}
END_TEST

START_TEST(tls_and_users)
{
	struct conf *c = conf_ok(HEAD "admin:\n"
	                              "  address: 0.0.0.0\n"
	                              "  port: 9443\n"
	                              "  tls: {certificate: c.pem, key: k.pem}\n"
	                              "  users:\n"
	                              "    - {user: prometheus, sha256: " SHA "}\n"
	                              "    - {user: other, sha256: " SHA "}\n");
	ck_assert_str_eq(c->admin->l.tls->certificate, "/etc/altod/c.pem");
	ck_assert_uint_eq(c->admin->nusers, 2);
	ck_assert_str_eq(c->admin->users[0].user, "prometheus");
	ck_assert_uint_eq(c->admin->users[0].sha256[0], 0x5e);
	ck_assert_uint_eq(c->admin->users[0].sha256[31], 0xd8);
	conf_free(c);
}
END_TEST

START_TEST(refusals)
{
	/* Basic in clear: never */
	conf_err(HEAD "admin:\n  port: 1\n  users: [{user: p, sha256: " SHA "}]\n", 7, 3, "need tls");
	/* off the loopback: TLS and users, both */
	conf_err(HEAD "admin:\n  address: 10.0.0.1\n  port: 1\n", 6, 3, "off the loopback");
	conf_err(HEAD "admin:\n  address: '::'\n  port: 1\n  tls: {certificate: c, key: k}\n", 6, 3,
	         "off the loopback");
	conf_err(HEAD "admin: {address: localhost, port: 1}\n", 5, 18, "not a numeric");
	conf_err(HEAD "admin: {address: 127.0.0.1}\n", 5, 8, "admin needs a port");
	conf_err(HEAD "admin: {port: 70000}\n", 5, 15, "port");
	conf_err(HEAD "admin: {port: 1, metrics: true}\n", 5, 18, "unknown key 'metrics'");
	/* the hash: 64 hexadecimal digits */
	conf_err(HEAD "admin:\n  port: 1\n  tls: {certificate: c, key: k}\n  users: [{user: p, sha256: abc}]\n", 8, 29,
	         "64 hexadecimal");
	conf_err(HEAD "admin:\n  port: 1\n  tls: {certificate: c, key: k}\n  users: [{user: p}]\n", 8, 11,
	         "needs user and sha256");
	conf_err(HEAD "admin:\n  port: 1\n  tls: {certificate: c, key: k}\n  users: [{user: 'a:b', sha256: " SHA "}]\n",
	         8, 11, "no ':'");
	conf_err(HEAD "admin:\n  port: 1\n  tls: {certificate: c, key: k}\n  users:\n"
	              "    - {user: p, sha256: " SHA "}\n    - {user: p, sha256: " SHA "}\n",
	         10, 7, "listed twice");
	conf_err(HEAD "admin:\n  port: 1\n  tls: {certificate: c, key: k}\n  users: []\n", 8, 3, "empty list");
	/* client certificates are the ALTO listeners' business */
	conf_err(HEAD "admin:\n  port: 1\n  tls: {certificate: c, key: k, client-ca: ca}\n", 7, 3, "client-ca");
}
END_TEST

START_TEST(restart_only)
{
	struct conf *a = conf_ok(HEAD "admin: {port: 9180}\n");
	struct conf *b = conf_ok(HEAD "admin: {port: 9181}\n");
	struct conf *none = conf_ok(HEAD);
	struct conf *a2 = conf_ok(HEAD "admin: {port: 9180}\n");
	ck_assert(conf_listeners_equal(a, a2));
	ck_assert(!conf_listeners_equal(a, b));
	ck_assert(!conf_listeners_equal(a, none));
	ck_assert(!conf_listeners_equal(none, a));
	char keys[2048];
	conf_restart_keys(&conf_schema, keys, sizeof(keys));
	ck_assert_ptr_nonnull(strstr(keys, "admin (on/off)"));
	ck_assert_ptr_nonnull(strstr(keys, "admin.port"));
	conf_free(a);
	conf_free(a2);
	conf_free(b);
	conf_free(none);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("adminconf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, none_by_default);
	tcase_add_test(tc, loopback_default);
	tcase_add_test(tc, tls_and_users);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, restart_only);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

/* SPDX-License-Identifier: BSD-2-Clause */
/* altod.yaml: defaults, every key, and its errors. */
#include <check.h>
#include <stdio.h>

#include "conf/conf.h"
#include "testutil.h"

static char *conf_err(const char *yaml)
{
	struct diag d;
	struct conf *c;
	diag_init(&d);
	ck_assert_int_ne(conf_load_mem("/etc/altod/altod.yaml", yaml, &c, &d), 0);
	ck_assert_ptr_null(c);
	ck_assert_uint_gt(d.n, 0);
	char *m = strdup(d.msgs[0]);
	diag_free(&d);
	return m;
}

START_TEST(full)
{
	struct diag d;
	struct conf *c;
	diag_init(&d);
	ck_assert_int_eq(conf_load_mem("/etc/altod/altod.yaml",
	                               "server:\n"
	                               "  listen:\n"
	                               "    - {address: 127.0.0.1, port: 8080}\n"
	                               "    - address: '::'\n"
	                               "      port: 443\n"
	                               "      tls: {certificate: tls/cert.pem, key: /k.pem, client-ca: ca.pem}\n"
	                               "    - {address: 0.0.0.0, port: 80, plain-http: true}\n"
	                               "  threads: 4\n"
	                               "limits:\n"
	                               "  max-request-body: 2048\n"
	                               "  connection-timeout: 5\n"
	                               "  max-connections: 7\n"
	                               "  max-endpoints: 9\n"
	                               "  max-endpoint-pairs: 81\n"
	                               "  max-constraints: 3\n"
	                               "  response-timeout: 11\n"
	                               "updates: {max-versions: 3, max-bytes: 1000, streams-per-client: 2,\n"
	                               "  streams: 5, keepalive: 7}\n"
	                               "maps: [maps/a.yaml, /var/lib/altod/b.yaml]\n",
	                               &c, &d),
	                 0);
	ck_assert_uint_eq(c->nlisten, 3);
	ck_assert_ptr_null(c->listen[0].tls);
	ck_assert_str_eq(c->listen[1].address, "::");
	ck_assert_uint_eq(c->listen[1].port, 443);
	ck_assert_str_eq(c->listen[1].tls->certificate, "/etc/altod/tls/cert.pem");
	ck_assert_str_eq(c->listen[1].tls->key, "/k.pem");
	ck_assert_str_eq(c->listen[1].tls->client_ca, "/etc/altod/ca.pem");
	ck_assert_int_eq(c->listen[1].tls->client_auth, TLS_CLIENT_REQUIRE); /* a CA given: required */
	ck_assert_str_eq(c->listen[1].tls->priorities_conf, TLS_DEFAULT_PRIORITIES);
	ck_assert_str_eq(c->listen[1].tls->priorities, TLS_DEFAULT_PRIORITIES TLS_PRIORITIES_FLOOR);
	ck_assert_ptr_null(c->listen[1].tls->client_crl);
	ck_assert_uint_eq(c->listen[1].line, 4);
	ck_assert(c->listen[2].plain_http);
	ck_assert_uint_eq(c->threads, 4);
	ck_assert_uint_eq(c->limits.max_request_body, 2048);
	ck_assert_uint_eq(c->limits.connection_timeout, 5);
	ck_assert_uint_eq(c->limits.max_connections, 7);
	ck_assert_uint_eq(c->limits.max_endpoints, 9);
	ck_assert_uint_eq(c->limits.max_endpoint_pairs, 81);
	ck_assert_uint_eq(c->limits.max_constraints, 3);
	ck_assert_uint_eq(c->limits.response_timeout, 11);
	ck_assert_uint_eq(c->updates.max_versions, 3);
	ck_assert_uint_eq(c->updates.max_bytes, 1000);
	ck_assert_uint_eq(c->updates.streams_per_client, 2);
	ck_assert_uint_eq(c->updates.streams, 5);
	ck_assert_uint_eq(c->updates.keepalive, 7);
	ck_assert_uint_eq(c->nmaps, 2);
	ck_assert_str_eq(c->maps[0], "/etc/altod/maps/a.yaml");
	ck_assert_str_eq(c->maps[1], "/var/lib/altod/b.yaml");
	conf_free(c);
	diag_free(&d);
}
END_TEST

START_TEST(defaults)
{
	struct diag d;
	struct conf *c;
	diag_init(&d);
	ck_assert_int_eq(
	        conf_load_mem("a.yaml", "server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m.yaml]\n", &c, &d),
	        0);
	ck_assert_uint_eq(c->limits.max_request_body, 1024 * 1024);
	ck_assert_uint_eq(c->limits.max_constraints, 64);
	ck_assert_uint_eq(c->limits.response_timeout, 60);
	ck_assert_uint_eq(c->threads, 0);
	ck_assert_uint_eq(c->updates.max_versions, 64);
	ck_assert_uint_eq(c->updates.max_bytes, 64u << 20);
	ck_assert_uint_eq(c->updates.streams_per_client, 16);
	ck_assert_uint_eq(c->updates.streams, 10000);
	ck_assert_uint_eq(c->updates.keepalive, 25);
	ck_assert_str_eq(c->maps[0], "./m.yaml");
	conf_free(c);
	diag_free(&d);
}
END_TEST

static const struct {
	const char *yaml;
	const char *expect;
} bad[] = {
        {"server: {listen: [{address: localhost, port: 1}]}\nmaps: [m]\n",
         "altod.yaml:1:29: address 'localhost' is not a numeric IPv4 or IPv6 address"},
        {"server: {listen: [{address: 127.0.0.1, port: 65536}]}\nmaps: [m]\n",
         "altod.yaml:1:46: port must be a whole number from 0 to 65535, not '65536'"},
        {"server: {listen: [{address: 127.0.0.1}]}\nmaps: [m]\n",
         "altod.yaml:1:19: a listener needs an address and a port"},
        {"server: {listen: []}\nmaps: [m]\n", "no listener"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\n", "no maps files"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: []\n", "no maps files"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nlimit: {}\n",
         "altod.yaml:3:1: unknown key 'limit' (server, maps, limits, updates, access, admin)"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}], thread: 2}\nmaps: [m]\n", "unknown key 'thread' in server"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nlimits: {max-request-body: -1}\n",
         "max-request-body must be a whole number"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nlimits:\n  max-constraints: 1000001\n",
         "altod.yaml:4:20: max-constraints must be a whole number from 0 to 1000000, not '1000001'"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nlimits:\n  response-timeout: 1.5\n",
         "altod.yaml:4:21: response-timeout must be a whole number from 0 to 86400, not '1.5'"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nupdates:\n  max-versions: 0\n",
         "altod.yaml:4:17: max-versions must be 1 to 1000000"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nupdates: {max-bytes: 1e6}\n",
         "altod.yaml:3:22: max-bytes must be a whole number from 0 to 1099511627776, not '1e6'"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nupdates: {max-version: 2}\n",
         "altod.yaml:3:11: unknown key 'max-version' in updates (max-versions, max-bytes, tips-views-per-client, "
         "tips-views, tips-view-lifetime, poll-timeout, streams-per-client, streams, keepalive)"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nupdates: {keepalive: 1.5}\n",
         "altod.yaml:3:22: keepalive must be a whole number from 0 to 86400, not '1.5'"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nupdates:\n  streams: -1\n",
         "altod.yaml:4:12: streams must be a whole number from 0 to 10000000, not '-1'"},
        /* below the table's minimum: the range, at the value */
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nlimits:\n  max-connections: 0\n",
         "altod.yaml:4:20: max-connections must be 1 to 1000000"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nlimits:\n  max-header-size: 1023\n",
         "altod.yaml:4:20: max-header-size must be 1024 to 1048576 bytes"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m]\nlimits:\n  max-connections: 1\n  colour: "
         "red\n",
         "altod.yaml:5:3: unknown key 'colour' in limits (max-request-body, max-header-size, max-json-depth, "
         "connection-timeout, request-timeout, response-timeout, stop-timeout, max-connections, "
         "max-connections-per-address, "
         "max-endpoints, max-endpoint-pairs, max-pids, max-constraints)"},
        {"server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: m\n",
         "maps (a list of maps files) must be a sequence"},
        {"server: {listen: [{address: 0.0.0.0, port: 1}]}\nmaps: [m]\n",
         "altod.yaml:1:19: listener 0.0.0.0 serves plain HTTP off the loopback: add a tls section, or plain-http: "
         "true"},
        {"server: {listen: [{address: '::', port: 1}]}\nmaps: [m]\n", "serves plain HTTP off the loopback"},
        {"server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c}}]}\nmaps: [m]\n",
         "tls needs a certificate and a key"},
        {"server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c, key: k, client-auth: require}}]}\n"
         "maps: [m]\n",
         "client-auth: require needs client-ca"},
        {"server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c, key: k, client-auth: maybe}}]}\n"
         "maps: [m]\n",
         "client-auth must be none, optional or require, not 'maybe'"},
        {"server: {listen: [{address: 127.0.0.1, port: 1, plain-http: true, tls: {certificate: c, key: k}}]}\n"
         "maps: [m]\n",
         "either tls or plain-http: true, not both"},
        {"server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c, key: k, ciphers: x}}]}\nmaps: [m]\n",
         "unknown key 'ciphers' in tls"},
        {"server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c, key: k, ciphers: x}}]}\nmaps: [m]\n",
         "(certificate, key, client-ca, client-crl, client-auth, priorities)"},
        {"server: {listen: [\n", "YAML syntax error"},
        /* client-crl lists the revocations of client-ca's CAs */
        {"server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c, key: k, client-crl: r.pem}}]}\n"
         "maps: [m]\n",
         "altod.yaml:1:79: client-crl needs client-ca"},
        /* never below TLS 1.2: a string naming an older version is refused
         * at its own place (the floor appended would silently undo it) */
        {"server:\n  listen:\n    - address: 127.0.0.1\n      port: 1\n      tls:\n        certificate: c\n"
         "        key: k\n        priorities: NORMAL:+VERS-TLS1.0\nmaps: [m]\n",
         "altod.yaml:8:21: priorities 'NORMAL:+VERS-TLS1.0' enables VERS-TLS1.0: altod never speaks a protocol "
         "below TLS 1.2"},
        {"server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c, key: k, "
         "priorities: 'SECURE256:+vers-tls1.1'}}]}\nmaps: [m]\n",
         "enables VERS-TLS1.1"},
        {"server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c, key: k, "
         "priorities: 'NONE:+VERS-SSL3.0:+VERS-TLS1.3'}}]}\nmaps: [m]\n",
         "enables VERS-SSL3.0"},
        {"server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c, key: k, "
         "priorities: 'NORMAL:+VERS-DTLS1.0'}}]}\nmaps: [m]\n",
         "enables VERS-DTLS1.0"},
};

/* A priority string as written, and as used: the floor appended. Removing
 * an old version, or a whole family, is not asking for one; names are
 * matched whole (GnuTLS itself refuses the made-up VERS-TLS1.10 later). */
START_TEST(priorities_floor)
{
	static const char *const ok[] = {"NORMAL", "NORMAL:-VERS-TLS1.0", "SECURE256:-VERS-ALL:+VERS-TLS1.3",
	                                 "NORMAL:+VERS-TLS-ALL", "NORMAL:+VERS-TLS1.2:+VERS-TLS1.10"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct diag d;
		struct conf *c;
		char yaml[512];
		snprintf(yaml, sizeof(yaml),
		         "server: {listen: [{address: 127.0.0.1, port: 1, tls: {certificate: c, key: k, "
		         "priorities: '%s'}}]}\nmaps: [m]\n",
		         ok[i]);
		diag_init(&d);
		ck_assert_int_eq(conf_load_mem("altod.yaml", yaml, &c, &d), 0);
		ck_assert_str_eq(c->listen[0].tls->priorities_conf, ok[i]);
		char want[512];
		snprintf(want, sizeof(want), "%s%s", ok[i], TLS_PRIORITIES_FLOOR);
		ck_assert_str_eq(c->listen[0].tls->priorities, want);
		ck_assert_uint_eq(c->listen[0].tls->prio_line, 1);
		conf_free(c);
		diag_free(&d);
	}
}
END_TEST

START_TEST(errors)
{
	char *m = conf_err(bad[_i].yaml);
	ck_assert_contains(m, bad[_i].expect);
	free(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, full);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, priorities_floor);
	tcase_add_loop_test(tc, errors, 0, sizeof(bad) / sizeof(bad[0]));
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

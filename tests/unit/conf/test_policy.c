/* SPDX-License-Identifier: BSD-2-Clause */
/* The access section (policy_parse): every client form, roles, views and
 * defaults; and each error with its file:line:column. */
#include <check.h>
#include <stdio.h>

#include "conf/policy.h"
#include "conf/yp.h"
#include "testutil.h"

#define HEX64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HEX32 "0123456789abcdef0123456789abcdef"
#define SECRET "0123456789abcdef"

static struct diag D;

/* Parses a document whose root holds `access:`; returns the policy (or
 * NULL) with D holding the messages. */
static struct policy *parse(const char *text)
{
	struct yp y;
	char *key;
	struct policy *p = NULL;
	diag_init(&D);
	ck_assert_int_eq(yp_open_mem(&y, "altod.yaml", text, strlen(text), &D), 0);
	ck_assert(yp_mapping_begin(&y, "root"));
	ck_assert(yp_mapping_key(&y, &key, NULL));
	ck_assert_str_eq(key, "access");
	free(key);
	p = policy_parse(&y, "altod.yaml");
	ck_assert(!yp_mapping_key(&y, &key, NULL));
	yp_close(&y);
	return p;
}

static struct policy *parse_ok(const char *text)
{
	struct policy *p = parse(text);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(D.n == 0, "unexpected: %s", D.n ? D.msgs[0] : "");
	diag_free(&D);
	return p;
}

/* Exactly n messages, the first of them `want`. */
static void parse_errn(const char *text, size_t n, const char *want)
{
	struct policy *p = parse(text);
	ck_assert_msg(D.n >= 1, "no error for:\n%s", text);
	ck_assert_str_eq(D.msgs[0], want);
	ck_assert_msg(D.n == n, "%zu messages; second: %s", D.n, D.n > 1 ? D.msgs[1] : "-");
	policy_free(p);
	diag_free(&D);
}

static void parse_err(const char *text, const char *want)
{
	parse_errn(text, 1, want);
}

START_TEST(defaults)
{
	struct policy *p = parse_ok("access: {}\n");
	ck_assert_str_eq(p->file, "altod.yaml");
	ck_assert_str_eq(p->realm, "altod");
	ck_assert_ptr_null(p->secret);
	ck_assert_ptr_null(p->anonymous_role);
	ck_assert(p->audit);
	ck_assert_uint_eq(p->nonce_lifetime, POLICY_NONCE_LIFETIME_DEFAULT);
	ck_assert_uint_eq(p->ndigest_algs, 2);
	ck_assert_int_eq(p->digest_algs[0], DIGEST_SHA256); /* RFC 7616 §3.7: preferred first */
	ck_assert_int_eq(p->digest_algs[1], DIGEST_MD5);
	ck_assert(p->rate == 0 && p->burst == 0);
	ck_assert_uint_eq(p->max_connections, 0);
	ck_assert_uint_eq(p->nclients + p->nroles + p->nviews, 0);
	ck_assert_ptr_null(policy_role_find(p, "x"));
	policy_free(p);
	policy_free(NULL);
}
END_TEST

START_TEST(top_level_keys)
{
	struct policy *p = parse_ok("access:\n"
	                            "  realm: example.net\n"
	                            "  secret: " SECRET "\n"
	                            "  nonce-lifetime: 86400\n"
	                            "  digest-algorithms: [MD5]\n"
	                            "  audit: false\n"
	                            "  rate: 12.5\n"
	                            "  burst: 1e3\n"
	                            "  max-connections: 1000000\n"
	                            "  anonymous-role: public\n"
	                            "  roles: {public: []}\n");
	ck_assert_str_eq(p->realm, "example.net");
	ck_assert_str_eq(p->secret, SECRET);
	ck_assert_uint_eq(p->nonce_lifetime, 86400);
	ck_assert_uint_eq(p->ndigest_algs, 1);
	ck_assert_int_eq(p->digest_algs[0], DIGEST_MD5);
	ck_assert(!p->audit);
	ck_assert(p->rate == 12.5);
	ck_assert(p->burst == 1000);
	ck_assert_uint_eq(p->max_connections, 1000000);
	ck_assert_str_eq(p->anonymous_role, "public");
	ck_assert_uint_eq(p->anonymous_at.line, 10);
	ck_assert_uint_eq(p->anonymous_at.col, 19);
	ck_assert_ptr_eq(policy_role_find(p, "public"), &p->roles[0]);
	ck_assert_uint_eq(p->roles[0].ngrants, 0);
	policy_free(p);

	p = parse_ok("access: {digest-algorithms: [MD5, SHA-256], nonce-lifetime: 1}\n");
	ck_assert_uint_eq(p->ndigest_algs, 2);
	ck_assert_int_eq(p->digest_algs[0], DIGEST_MD5);
	ck_assert_int_eq(p->digest_algs[1], DIGEST_SHA256);
	ck_assert_uint_eq(p->nonce_lifetime, 1);
	policy_free(p);
}
END_TEST

/* Each client form: certificate by fingerprint, subject or SAN; password
 * with SHA-256 (and MD5) HA1; its own limits; its roles. */
START_TEST(clients)
{
	struct policy *p = parse_ok("access:\n"
	                            "  clients:\n"
	                            "    by-fp:\n"
	                            "      roles: [r1]\n"
	                            "      certificate: {sha256: '00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	                            "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff'}\n"
	                            "    by-name:\n"
	                            "      roles: [r1, r2, r1]\n"
	                            "      certificate: {subject: 'CN=tenant-a,O=Example', san: tenant-a.example}\n"
	                            "    by-password:\n"
	                            "      roles: [r2]\n"
	                            "      password: {user: alice, sha256: " HEX64 ", md5: " HEX32 "}\n"
	                            "      rate: 5\n"
	                            "      burst: 10.5\n"
	                            "      max-connections: 3\n"
	                            "    'a@b:c_d-e':\n"
	                            "      roles: [r2]\n"
	                            "      password: {user: bob, sha256: " HEX64 "}\n"
	                            "  roles:\n"
	                            "    r1: [res-a]\n"
	                            "    r2: []\n");
	ck_assert_uint_eq(p->nclients, 4);
	const struct policy_client *c = &p->clients[0];
	ck_assert_str_eq(c->name, "by-fp");
	ck_assert_uint_eq(c->at.line, 3);
	ck_assert_uint_eq(c->at.col, 5);
	ck_assert_str_eq(c->cert_sha256, HEX64); /* lowercase, no colons */
	ck_assert_ptr_null(c->cert_subject);
	ck_assert_ptr_null(c->user);
	ck_assert_uint_eq(c->nroles, 1);
	ck_assert_str_eq(c->roles[0], "r1");

	c = &p->clients[1];
	ck_assert_str_eq(c->cert_subject, "CN=tenant-a,O=Example");
	ck_assert_str_eq(c->cert_san, "tenant-a.example");
	ck_assert_ptr_null(c->cert_sha256);
	ck_assert(!c->has_issuer);
	ck_assert_uint_eq(c->nroles, 3); /* as written; access_build drops the repeat */

	c = &p->clients[2];
	ck_assert_str_eq(c->user, "alice");
	ck_assert(c->has_sha256 && c->has_md5);
	ck_assert_uint_eq(c->ha1_sha256[0], 0x00);
	ck_assert_uint_eq(c->ha1_sha256[1], 0x11);
	ck_assert_uint_eq(c->ha1_sha256[31], 0xff);
	ck_assert_uint_eq(c->ha1_md5[0], 0x01);
	ck_assert_uint_eq(c->ha1_md5[15], 0xef);
	ck_assert(c->rate == 5 && c->burst == 10.5);
	ck_assert_uint_eq(c->max_connections, 3);

	c = &p->clients[3];
	ck_assert_str_eq(c->name, "a@b:c_d-e");
	ck_assert(c->has_sha256 && !c->has_md5);
	ck_assert(c->rate == 0 && c->max_connections == 0); /* 0: the section's default */

	ck_assert_uint_eq(p->nroles, 2);
	ck_assert_str_eq(p->roles[0].name, "r1");
	ck_assert_uint_eq(p->roles[0].at.line, 19);
	ck_assert_uint_eq(p->roles[0].ngrants, 1);
	ck_assert_str_eq(p->roles[0].grants[0], "res-a");
	ck_assert_uint_eq(p->roles[0].grant_at[0].line, 19);
	ck_assert_uint_eq(p->roles[0].grant_at[0].col, 10);
	policy_free(p);
}
END_TEST

START_TEST(views)
{
	struct policy *p = parse_ok("access:\n"
	                            "  secret: " SECRET "\n"
	                            "  views:\n"
	                            "    tenant-a:\n"
	                            "      network-map: base\n"
	                            "      pids: [PID1, PID2]\n"
	                            "      catch-all: rest\n"
	                            "      opaque-pids: true\n"
	                            "      costs:\n"
	                            "        routingcost: [numerical]\n"
	                            "        hopcount: [ordinal, numerical]\n"
	                            "    plain: {network-map: base}\n"
	                            "  roles: {r: [tenant-a, plain]}\n");
	ck_assert_uint_eq(p->nviews, 2);
	const struct policy_view *v = &p->views[0];
	ck_assert_str_eq(v->id, "tenant-a");
	ck_assert_uint_eq(v->at.line, 4);
	ck_assert_str_eq(v->netmap, "base");
	ck_assert_uint_eq(v->npids, 2);
	ck_assert_str_eq(v->pids[1], "PID2");
	ck_assert_uint_eq(v->pid_at[1].line, 6);
	ck_assert_uint_eq(v->pid_at[1].col, 20);
	ck_assert_str_eq(v->catch_all, "rest");
	ck_assert(v->opaque_pids);
	ck_assert(!v->all_costs);
	ck_assert_uint_eq(v->ncosts, 2);
	ck_assert_str_eq(v->costs[0].metric, "routingcost");
	ck_assert(v->costs[0].modes[COST_NUMERICAL] && !v->costs[0].modes[COST_ORDINAL]);
	ck_assert(v->costs[1].modes[COST_NUMERICAL] && v->costs[1].modes[COST_ORDINAL]);
	v = &p->views[1];
	ck_assert(v->all_costs); /* no costs key: every metric, both modes */
	ck_assert_uint_eq(v->ncosts, 0);
	ck_assert_str_eq(v->catch_all, "other");
	ck_assert(!v->opaque_pids);
	ck_assert_uint_eq(v->npids, 0);
	policy_free(p);
}
END_TEST

START_TEST(not_a_mapping)
{
	struct policy *p = parse("access: [a]\n");
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(D.n, 1);
	ck_assert_str_eq(D.msgs[0], "altod.yaml:1:9: access must be a mapping, not a sequence");
	diag_free(&D);
}
END_TEST

START_TEST(top_level_errors)
{
	parse_err("access:\n  realms: x\n",
	          "altod.yaml:2:3: unknown key 'realms' in access (realm, secret, nonce-lifetime, digest-algorithms, "
	          "digest-peers, digest-listen, anonymous-role, audit, rate, burst, max-connections, auth-failures, "
	          "clients, roles, views)");
	parse_err("access:\n  secret: short\n", "altod.yaml:2:11: secret must have at least 16 characters");
	parse_err("access:\n  secret: 0123456789abcde\n", "altod.yaml:2:11: secret must have at least 16 characters");
	parse_err("access:\n  nonce-lifetime: 0\n", "altod.yaml:2:19: nonce-lifetime must be 1 to 86400 seconds");
	parse_err("access:\n  nonce-lifetime: 86401\n",
	          "altod.yaml:2:19: nonce-lifetime must be a whole number from 0 to 86400, not '86401'");
	parse_err("access:\n  digest-algorithms: [sha-256]\n",
	          "altod.yaml:2:23: digest algorithm 'sha-256': SHA-256 or MD5, written so");
	parse_err("access:\n  digest-algorithms: [MD5, MD5]\n",
	          "altod.yaml:2:28: digest algorithm 'MD5' is listed twice");
	parse_err("access:\n  digest-algorithms: []\n", "altod.yaml:2:3: digest-algorithms lists no algorithm");
	parse_err("access:\n  digest-algorithms: MD5\n",
	          "altod.yaml:2:22: digest-algorithms (a list of SHA-256, MD5) must be a sequence, not a scalar");
	parse_err("access:\n  audit: maybe\n", "altod.yaml:2:10: audit must be true or false, not 'maybe'");
	parse_err("access:\n  rate: -1\n",
	          "altod.yaml:2:9: rate must be 0 (no limit) or a number from 0.001 to 1e+06 per second, not '-1'");
	parse_err("access:\n  burst: 1000000001\n",
	          "altod.yaml:2:10: burst must be 0 (the default) or a number from 1 to 1e+06, not '1000000001'");
	parse_err("access:\n  max-connections: 1000001\n",
	          "altod.yaml:2:20: max-connections must be a whole number from 0 to 1000000, not '1000001'");
	parse_err("access:\n  anonymous-role: nobody\n", "altod.yaml:2:19: anonymous-role 'nobody' is not defined");
	/* views need the secret their tags and names are derived from */
	parse_err("access:\n  views: {v: {network-map: m}}\n",
	          "altod.yaml:2:3: access needs a secret (16 characters or more) for the views' tags and names");
}
END_TEST

START_TEST(client_errors)
{
	parse_err("access:\n  clients:\n    anonymous: {roles: [r], password: {user: u, sha256: " HEX64 "}}\n"
	          "  roles: {r: []}\n",
	          "altod.yaml:3:5: client name 'anonymous': 1 to 64 of A-Z a-z 0-9 - : @ _, and not 'anonymous'");
	parse_err("access:\n  clients:\n    a.b: {roles: [r], password: {user: u, sha256: " HEX64 "}}\n"
	          "  roles: {r: []}\n",
	          "altod.yaml:3:5: client name 'a.b': 1 to 64 of A-Z a-z 0-9 - : @ _, and not 'anonymous'");
	parse_err("access:\n  clients:\n    c: {roles: [r]}\n  roles: {r: []}\n",
	          "altod.yaml:3:8: client 'c' has no credential: give a certificate or a password");
	parse_err("access:\n  clients:\n    c: {certificate: {san: x}}\n", "altod.yaml:3:8: client 'c' has no roles");
	parse_err("access:\n  clients:\n    c: {roles: [ghost], certificate: {san: x}}\n",
	          "altod.yaml:3:5: client 'c' has role 'ghost', which is not defined");
	parse_err("access:\n  clients:\n    c: {roles: [r, 'bad role'], certificate: {san: x}}\n  roles: {r: []}\n",
	          "altod.yaml:3:20: 'bad role' in roles is not a valid name (1 to 64 of A-Z a-z 0-9 - : @ _)");
	parse_err("access:\n  clients:\n    c: {roles: [r], certificate: {san: x}, colour: red}\n  roles: {r: []}\n",
	          "altod.yaml:3:44: unknown key 'colour' in client 'c' (roles, certificate, password, rate, burst, "
	          "max-connections)");
	/* not a mapping: that alone is reported (the client is not read further) */
	parse_err("access:\n  clients:\n    c: [r]\n",
	          "altod.yaml:3:8: a client (roles, certificate, password, rate, burst, max-connections) must be a "
	          "mapping, not a sequence");
	parse_err("access:\n  clients:\n    c: {roles: [r], certificate: {san: x}, rate: fast}\n  roles: {r: []}\n",
	          "altod.yaml:3:50: rate must be 0 (no limit) or a number from 0.001 to 1e+06 per second, not 'fast'");
}
END_TEST

START_TEST(certificate_errors)
{
	parse_errn("access:\n  clients:\n    c: {roles: [r], certificate: {sha256: abc}}\n  roles: {r: []}\n", 2,
	           "altod.yaml:3:43: certificate sha256 must be 64 hex digits (colons allowed)");
	/* 65 digits, a non-hex digit */
	parse_errn("access:\n  clients:\n    c: {roles: [r], certificate: {sha256: 0" HEX64 "}}\n  roles: {r: []}\n", 2,
	           "altod.yaml:3:43: certificate sha256 must be 64 hex digits (colons allowed)");
	parse_errn("access:\n  clients:\n    c: {roles: [r], certificate: {sha256: g" HEX64 "}}\n  roles: {r: []}\n", 2,
	           "altod.yaml:3:43: certificate sha256 must be 64 hex digits (colons allowed)");
	parse_errn("access:\n  clients:\n    c: {roles: [r], certificate: {cn: x}}\n  roles: {r: []}\n", 2,
	           "altod.yaml:3:35: unknown key 'cn' in certificate (sha256, subject, san, issuer-sha256)");
	/* the credential check still runs: nothing usable was given */
	struct policy *p = parse("access:\n  clients:\n    c: {roles: [r], certificate: {sha256: 12}}\n"
	                         "  roles: {r: []}\n");
	ck_assert_uint_eq(D.n, 2);
	ck_assert_str_eq(D.msgs[1], "altod.yaml:3:8: client 'c' has no credential: give a certificate or a password");
	policy_free(p);
	diag_free(&D);
}
END_TEST

/* issuer-sha256: the fingerprint of the CA the chain must verify against,
 * parsed as sha256 is (colons allowed, either case), kept decoded with
 * where it was written; with subject, or alone (a CA per client) */
START_TEST(certificate_issuer)
{
	struct policy *p = parse_ok("access:\n"
	                            "  clients:\n"
	                            "    bound:\n"
	                            "      roles: [r]\n"
	                            "      certificate:\n"
	                            "        subject: CN=tenant-a\n"
	                            "        issuer-sha256: '00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	                            "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff'\n"
	                            "    ca-alone:\n"
	                            "      roles: [r]\n"
	                            "      certificate: {issuer-sha256: " HEX64 "}\n"
	                            "  roles: {r: []}\n");
	ck_assert_uint_eq(p->nclients, 2);
	const struct policy_client *c = &p->clients[0];
	ck_assert(c->has_issuer);
	ck_assert_str_eq(c->cert_subject, "CN=tenant-a");
	ck_assert_ptr_null(c->cert_sha256);
	ck_assert_uint_eq(c->cert_issuer[0], 0x00);
	ck_assert_uint_eq(c->cert_issuer[10], 0xaa);
	ck_assert_uint_eq(c->cert_issuer[31], 0xff);
	ck_assert_uint_eq(c->issuer_at.line, 7);
	ck_assert_uint_eq(c->issuer_at.col, 24);
	c = &p->clients[1];
	ck_assert(c->has_issuer);
	ck_assert_ptr_null(c->cert_subject);
	ck_assert_uint_eq(c->cert_issuer[1], 0x11);
	ck_assert_uint_eq(c->issuer_at.line, 10);
	ck_assert_uint_eq(c->issuer_at.col, 36);
	policy_free(p);

	/* short, long, not hex, empty, a list: errors at the value; the rule
	 * then has no credential of its own */
	static const char *const bad[] = {"abc", "0" HEX64, "g" HEX64, "''", "[" HEX64 "]"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
		         "access:\n  clients:\n    c: {roles: [r], certificate: {issuer-sha256: %s}}\n  roles: {r: "
		         "[]}\n",
		         bad[i]);
		p = parse(text);
		ck_assert_msg(D.n == 2, "%s: %zu messages", bad[i], D.n);
		if (bad[i][0] == '[')
			ck_assert_str_eq(D.msgs[0], "altod.yaml:3:50: issuer-sha256 must be a scalar, not a sequence");
		else
			ck_assert_str_eq(D.msgs[0],
			                 "altod.yaml:3:50: certificate issuer-sha256 must be 64 hex digits (colons "
			                 "allowed): the SHA-256 fingerprint of a CA certificate in tls.client-ca");
		ck_assert_str_eq(D.msgs[1],
		                 "altod.yaml:3:8: client 'c' has no credential: give a certificate or a password");
		policy_free(p);
		diag_free(&D);
	}
	/* with another key, a bad issuer is still an error: never a rule
	 * without the binding it was written with */
	parse_err("access:\n  clients:\n    c: {roles: [r], certificate: {subject: CN=x, issuer-sha256: 12}}\n"
	          "  roles: {r: []}\n",
	          "altod.yaml:3:65: certificate issuer-sha256 must be 64 hex digits (colons allowed): the SHA-256 "
	          "fingerprint of a CA certificate in tls.client-ca");
}
END_TEST

START_TEST(password_errors)
{
	/* the user refused: also no credential, and the password incomplete */
	parse_errn("access:\n  clients:\n    c: {roles: [r], password: {user: 'a:b', sha256: " HEX64 "}}\n"
	           "  roles: {r: []}\n",
	           3, "altod.yaml:3:38: password user must be non-empty, without ':' or '\"'");
	parse_errn("access:\n  clients:\n    c: {roles: [r], password: {user: u, sha256: " HEX32 "}}\n"
	           "  roles: {r: []}\n",
	           2,
	           "altod.yaml:3:49: password sha256 must be 64 hex digits: SHA-256 of user:realm:password (see "
	           "altod --hash-password)");
	parse_err("access:\n  clients:\n    c: {roles: [r], password: {user: u, sha256: " HEX64 ", md5: " HEX64 "}}\n"
	          "  roles: {r: []}\n",
	          "altod.yaml:3:120: password md5 must be 32 hex digits: MD5 of user:realm:password");
	parse_err("access:\n  clients:\n    c: {roles: [r], password: {user: u}}\n  roles: {r: []}\n",
	          "altod.yaml:3:21: client 'c': password needs user and sha256");
	/* a plain password is never stored */
	struct policy *p = parse("access:\n  clients:\n    c: {roles: [r], password: {user: u, password: pw}}\n"
	                         "  roles: {r: []}\n");
	ck_assert_uint_ge(D.n, 1);
	ck_assert_str_eq(D.msgs[0], "altod.yaml:3:41: unknown key 'password' in password (user, sha256, md5); plain "
	                            "passwords are never stored");
	policy_free(p);
	diag_free(&D);
}
END_TEST

/* Two clients with the same name (YAML does not refuse a repeated key) or
 * the same password user: a login would be ambiguous. */
START_TEST(duplicates)
{
	parse_err("access:\n  clients:\n"
	          "    c: {roles: [r], certificate: {san: x}}\n"
	          "    c: {roles: [r], certificate: {san: y}}\n"
	          "  roles: {r: []}\n",
	          "altod.yaml:4:5: client 'c' repeats the name or the password user of client 'c'");
	parse_err("access:\n  clients:\n"
	          "    a: {roles: [r], password: {user: same, sha256: " HEX64 "}}\n"
	          "    b: {roles: [r], password: {user: same, sha256: " HEX64 "}}\n"
	          "  roles: {r: []}\n",
	          "altod.yaml:4:5: client 'b' repeats the name or the password user of client 'a'");
}
END_TEST

START_TEST(role_and_view_errors)
{
	parse_err("access:\n  roles: {'r r': []}\n", "altod.yaml:2:11: role name 'r r' is not a valid name");
	parse_err("access:\n  roles: {r: [ok, a.b]}\n",
	          "altod.yaml:2:19: 'a.b' in a role's grants (resource and view ids) is not a valid name (1 to 64 of "
	          "A-Z a-z 0-9 - : @ _)");
	parse_err("access:\n  roles: {r: res}\n",
	          "altod.yaml:2:14: a role's grants (resource and view ids) must be a sequence, not a scalar");
	parse_err("access:\n  secret: " SECRET "\n  views: {'v.1': {network-map: m}}\n",
	          "altod.yaml:3:11: view id 'v.1' is not a valid resource id");
	parse_err("access:\n  secret: " SECRET "\n  views: {v: {pids: [P]}}\n",
	          "altod.yaml:3:14: view 'v' needs a network-map");
	parse_err("access:\n  secret: " SECRET "\n  views: {v: {network-map: m, pid: [P]}}\n",
	          "altod.yaml:3:31: unknown key 'pid' in view 'v' (network-map, pids, catch-all, costs, opaque-pids, "
	          "properties)");
	parse_err("access:\n  secret: " SECRET "\n  views: {v: {network-map: m, catch-all: 'no way'}}\n",
	          "altod.yaml:3:42: catch-all 'no way' is not a valid PID name");
	parse_err("access:\n  secret: " SECRET "\n  views: {v: {network-map: m, pids: [ok, 'P 2']}}\n",
	          "altod.yaml:3:42: 'P 2' in pids is not a valid name (1 to 64 of A-Z a-z 0-9 - : @ _)");
	parse_err("access:\n  secret: " SECRET "\n  views: {v: {network-map: m, costs: {routingcost: [numeric]}}}\n",
	          "altod.yaml:3:53: unknown cost mode 'numeric' (numerical, ordinal)");
	parse_err("access:\n  secret: " SECRET "\n  views: {v: {network-map: m, costs: {routingcost: []}}}\n",
	          "altod.yaml:3:39: cost metric 'routingcost' of the view lists no cost mode");
	parse_err("access:\n  secret: " SECRET "\n  views: {v: {network-map: m, opaque-pids: 2}}\n",
	          "altod.yaml:3:44: opaque-pids must be true or false, not '2'");
	/* an empty costs mapping: the view shows no metric at all */
	struct policy *p = parse_ok("access:\n  secret: " SECRET "\n  views: {v: {network-map: m, costs: {}}}\n");
	ck_assert(!p->views[0].all_costs);
	ck_assert_uint_eq(p->views[0].ncosts, 0);
	policy_free(p);
}
END_TEST

/* Every error is reported, not just the first. */
START_TEST(all_errors_reported)
{
	struct policy *p = parse("access:\n"
	                         "  secret: short\n"
	                         "  audit: 3\n"
	                         "  clients:\n"
	                         "    c: {roles: [nope]}\n"
	                         "  anonymous-role: ghost\n");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(D.n, 5);
	ck_assert_str_eq(D.msgs[0], "altod.yaml:2:11: secret must have at least 16 characters");
	ck_assert_str_eq(D.msgs[1], "altod.yaml:3:10: audit must be true or false, not '3'");
	ck_assert_str_eq(D.msgs[2], "altod.yaml:5:8: client 'c' has no credential: give a certificate or a password");
	ck_assert_str_eq(D.msgs[3], "altod.yaml:5:5: client 'c' has role 'nope', which is not defined");
	ck_assert_str_eq(D.msgs[4], "altod.yaml:6:19: anonymous-role 'ghost' is not defined");
	policy_free(p);
	diag_free(&D);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, top_level_keys);
	tcase_add_test(tc, clients);
	tcase_add_test(tc, views);
	tcase_add_test(tc, not_a_mapping);
	tcase_add_test(tc, top_level_errors);
	tcase_add_test(tc, client_errors);
	tcase_add_test(tc, certificate_errors);
	tcase_add_test(tc, certificate_issuer);
	tcase_add_test(tc, password_errors);
	tcase_add_test(tc, duplicates);
	tcase_add_test(tc, role_and_view_errors);
	tcase_add_test(tc, all_errors_reported);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

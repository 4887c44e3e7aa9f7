/* SPDX-License-Identifier: BSD-2-Clause */
/* tls_state_load: a good certificate and key load; every bad file, a key
 * of another certificate, client CAs and their CRLs, and priority strings
 * are refused with the listener's (or the setting's) position. The PKI is
 * made at test time with the openssl command, in a temporary folder. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "util/err.h"
#include "server/tls.h"
#include "testutil.h"

static char dir[64];
static char p_cert[128], p_key[128], p_key2[128], p_cert2[128], p_ca[128], p_crl[128], p_crl_old[128], p_crl_rogue[128],
        p_garbage[128], p_empty[128], p_missing[128];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char full[2200];
	snprintf(full, sizeof(full), "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
	ck_assert_msg(system(full) == 0, "failed: %s", cmd);
}

#define EC "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
#define CA_CNF                                                                            \
	"printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=index.txt\\ncrlnumber=crlnumber\\n" \
	"default_md=sha256\\ndefault_crl_days=2\\n' > %s.cnf && : > index.txt && echo 01 > crlnumber"

/* Runs once, in the parent process. */
static void make_pki(void)
{
	snprintf(dir, sizeof(dir), "/tmp/altod-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
#define P(var, name) snprintf(var, sizeof(var), "%s/%s", dir, name)
	P(p_cert, "server.pem");
	P(p_key, "server.key");
	P(p_cert2, "server2.pem");
	P(p_key2, "server2.key");
	P(p_ca, "ca.pem");
	P(p_crl, "crl.pem");
	P(p_crl_old, "crl-old.pem");
	P(p_crl_rogue, "crl-rogue.pem");
	P(p_garbage, "garbage.pem");
	P(p_empty, "empty.pem");
	P(p_missing, "missing.pem");
#undef P
	sh("openssl req -x509 " EC " -keyout server.key -out server.pem -subj /CN=localhost -days 2");
	sh("openssl req -x509 " EC " -keyout server2.key -out server2.pem -subj /CN=localhost -days 2");
	sh("openssl req -x509 " EC " -keyout ca.key -out ca.pem -subj /CN=test-ca -days 2 "
	   "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
	sh("openssl req -x509 " EC " -keyout rogue.key -out rogue.pem -subj /CN=rogue-ca -days 2 "
	   "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
	sh(CA_CNF, "ca");
	sh("openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out crl.pem");
	sh("openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out crl-old.pem "
	   "-crl_lastupdate 200101000000Z -crl_nextupdate 200102000000Z");
	sh("openssl ca -config ca.cnf -gencrl -keyfile rogue.key -cert rogue.pem -out crl-rogue.pem");
	sh("echo 'not a certificate' > garbage.pem && : > empty.pem");
	/* both CAs in one client-ca file, and each one's fingerprint as
	 * openssl computes it (of the DER certificate) */
	sh("cat ca.pem rogue.pem > both.pem");
	sh("openssl x509 -in ca.pem -outform DER | sha256sum | cut -c1-64 > ca.sha");
	sh("openssl x509 -in rogue.pem -outform DER | sha256sum | cut -c1-64 > rogue.sha");
}

/* The fingerprint openssl wrote for name (ca, rogue). */
static void fingerprint_of(const char *name, uint8_t out[32])
{
	char path[128], hex[80] = "";
	snprintf(path, sizeof(path), "%s/%s.sha", dir, name);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(hex, sizeof(hex), f));
	fclose(f);
	for (size_t i = 0; i < 32; i++) {
		unsigned v = 0;
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void remove_pki(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static struct conf C = {.path = "altod.yaml"};
static struct conf_tls TT;
static struct conf_listener L;
static struct diag D;

static void setup(void)
{
	memset(&TT, 0, sizeof(TT));
	TT.certificate = p_cert;
	TT.key = p_key;
	TT.client_auth = TLS_CLIENT_NONE;
	TT.priorities_conf = TLS_DEFAULT_PRIORITIES;
	TT.priorities = TLS_DEFAULT_PRIORITIES TLS_PRIORITIES_FLOOR;
	memset(&L, 0, sizeof(L));
	L.address = "127.0.0.1";
	L.port = 443;
	L.tls = &TT;
	L.line = 7;
	L.col = 7;
	diag_init(&D);
}

static void teardown(void)
{
	diag_free(&D);
}

static struct tls_state *tls_ok(void)
{
	struct tls_state *st = NULL;
	int rc = tls_state_load(&C, &L, &st, &D);
	ck_assert_msg(rc == 0, "load failed: %s", D.n ? D.msgs[0] : "(no message)");
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(D.n, 0);
	return st;
}

/* Refused, with exactly one message: `prefix` and GnuTLS's reason if the
 * prefix ends in ": ", else exactly `prefix`. */
static void tls_err(const char *prefix)
{
	struct tls_state *st = (void *)1;
	ck_assert_int_eq(tls_state_load(&C, &L, &st, &D), ALTOD_ECONFIG);
	ck_assert_ptr_null(st);
	ck_assert_uint_eq(D.n, 1);
	ck_assert_msg(strncmp(D.msgs[0], prefix, strlen(prefix)) == 0, "'%s' does not start with '%s'", D.msgs[0],
	              prefix);
	if (prefix[strlen(prefix) - 1] == ' ') /* and then says why */
		ck_assert_uint_gt(strlen(D.msgs[0]), strlen(prefix));
	else
		ck_assert_str_eq(D.msgs[0], prefix);
	diag_free(&D);
	diag_init(&D);
}

START_TEST(good_state)
{
	struct tls_state *a = tls_ok(), *b = tls_ok();
	ck_assert_uint_eq(a->npcert, 1);
	ck_assert_ptr_nonnull(a->key);
	ck_assert_ptr_null(a->trust);
	ck_assert_int_eq(a->client_auth, TLS_CLIENT_NONE);
	/* each installed state its own generation, never 0, given by its
	 * listener (tls_state_follow); the same files, the same digest */
	ck_assert_uint_eq(a->gen, 0);
	tls_state_follow(a, NULL);
	tls_state_follow(b, a);
	ck_assert_uint_ne(a->gen, 0);
	ck_assert_uint_gt(b->gen, a->gen);
	ck_assert_mem_eq(a->digest, b->digest, 32);
	TT.certificate = p_cert2;
	TT.key = p_key2;
	struct tls_state *c = tls_ok();
	ck_assert_mem_ne(a->digest, c->digest, 32);
	/* client-auth changes what a state is made of */
	TT.client_auth = TLS_CLIENT_OPTIONAL;
	TT.client_ca = p_ca;
	struct tls_state *d = tls_ok();
	ck_assert_ptr_nonnull(d->trust);
	ck_assert_int_eq(d->client_auth, TLS_CLIENT_OPTIONAL);
	ck_assert_mem_ne(c->digest, d->digest, 32);
	tls_state_free(a);
	tls_state_free(b);
	tls_state_free(c);
	tls_state_free(d);
	tls_state_free(NULL);
}
END_TEST

START_TEST(bad_certificate_and_key)
{
	char want[512];
	TT.certificate = p_missing;
	snprintf(want, sizeof(want), "altod.yaml:7:7: tls certificate %s: ", p_missing);
	tls_err(want);
	TT.certificate = p_garbage;
	snprintf(want, sizeof(want), "altod.yaml:7:7: tls certificate %s: ", p_garbage);
	tls_err(want);
	TT.certificate = p_empty;
	snprintf(want, sizeof(want), "altod.yaml:7:7: tls certificate %s: ", p_empty);
	tls_err(want);
	/* a key file that is a certificate, no key, a missing key */
	TT.certificate = p_cert;
	TT.key = p_cert;
	snprintf(want, sizeof(want), "altod.yaml:7:7: tls key %s: ", p_cert);
	tls_err(want);
	TT.key = p_missing;
	snprintf(want, sizeof(want), "altod.yaml:7:7: tls key %s: ", p_missing);
	tls_err(want);
	/* the key of another certificate */
	TT.key = p_key2;
	snprintf(want, sizeof(want), "altod.yaml:7:7: tls key %s: ", p_key2);
	tls_err(want);
}
END_TEST

START_TEST(client_ca)
{
	char want[512];
	TT.client_auth = TLS_CLIENT_REQUIRE;
	TT.client_ca = p_missing;
	snprintf(want, sizeof(want), "altod.yaml:7:7: tls client-ca %s: ", p_missing);
	tls_err(want);
	TT.client_ca = p_empty;
	snprintf(want, sizeof(want), "altod.yaml:7:7: tls client-ca %s: ", p_empty);
	tls_err(want);
	TT.client_ca = p_garbage;
	snprintf(want, sizeof(want), "altod.yaml:7:7: tls client-ca %s: ", p_garbage);
	tls_err(want);
	/* with client-auth none the CA file is neither used nor read */
	TT.client_auth = TLS_CLIENT_NONE;
	TT.client_crl = p_missing;
	struct tls_state *st = tls_ok();
	ck_assert_ptr_null(st->trust);
	tls_state_free(st);
}
END_TEST

/* Each client CA on its own (what issuer-sha256 names): one anchor per
 * certificate of client-ca, by the fingerprint of its DER form; none where
 * client certificates are not asked for. */
START_TEST(client_ca_anchors)
{
	uint8_t ca[32], rogue[32], other[32] = {0};
	fingerprint_of("ca", ca);
	fingerprint_of("rogue", rogue);
	char both[128];
	snprintf(both, sizeof(both), "%s/both.pem", dir);
	TT.client_auth = TLS_CLIENT_OPTIONAL;
	TT.client_ca = both;
	struct tls_state *st = tls_ok();
	ck_assert_uint_eq(st->nanchors, 2);
	ck_assert_mem_eq(st->anchors[0].sha256, ca, 32);
	ck_assert_mem_eq(st->anchors[1].sha256, rogue, 32);
	TT.client_ca = p_ca;
	struct tls_state *one = tls_ok();
	ck_assert_uint_eq(one->nanchors, 1);
	TT.client_auth = TLS_CLIENT_NONE;
	struct tls_state *none = tls_ok();
	ck_assert_uint_eq(none->nanchors, 0);
	struct tls_state *states[] = {NULL, none, one};
	ck_assert(tls_states_hold_ca(states, 3, ca));
	ck_assert(!tls_states_hold_ca(states, 3, rogue)); /* only in st */
	ck_assert(!tls_states_hold_ca(states, 2, ca));
	states[0] = st;
	ck_assert(tls_states_hold_ca(states, 3, rogue));
	ck_assert(!tls_states_hold_ca(states, 3, other));
	tls_state_free(st);
	tls_state_free(one);
	tls_state_free(none);
}
END_TEST

/* CRLs are reported at the client-crl setting's own position. */
START_TEST(client_crl)
{
	char want[512];
	TT.client_auth = TLS_CLIENT_REQUIRE;
	TT.client_ca = p_ca;
	TT.crl_line = 9;
	TT.crl_col = 20;
	TT.client_crl = p_crl;
	struct tls_state *st = tls_ok();
	ck_assert_ptr_nonnull(st->trust);
	tls_state_free(st);

	TT.client_crl = p_missing;
	snprintf(want, sizeof(want), "altod.yaml:9:20: tls client-crl %s: ", p_missing);
	tls_err(want);
	TT.client_crl = p_empty;
	snprintf(want, sizeof(want), "altod.yaml:9:20: tls client-crl %s: no CRL in the file", p_empty);
	tls_err(want);
	TT.client_crl = p_garbage; /* not PEM: read as DER, and refused */
	snprintf(want, sizeof(want), "altod.yaml:9:20: tls client-crl %s: ", p_garbage);
	tls_err(want);
	/* a CRL past its next update would look applied and be stale */
	TT.client_crl = p_crl_old;
	snprintf(want, sizeof(want),
	         "altod.yaml:9:20: tls client-crl %s: the CRL of 'CN=test-ca' is past its next update: publish a "
	         "fresh one",
	         p_crl_old);
	tls_err(want);
	/* a CRL none of the client CAs signed */
	TT.client_crl = p_crl_rogue;
	snprintf(want, sizeof(want),
	         "altod.yaml:9:20: tls client-crl %s: the CRL of 'CN=rogue-ca' does not verify against client-ca: ",
	         p_crl_rogue);
	tls_err(want);
}
END_TEST

START_TEST(priorities)
{
	/* a string GnuTLS cannot parse: where in the string as written */
	TT.priorities_conf = "NORMAL:+NO-SUCH-THING";
	TT.priorities = "NORMAL:+NO-SUCH-THING" TLS_PRIORITIES_FLOOR;
	tls_err("altod.yaml:7:7: tls priorities 'NORMAL:+NO-SUCH-THING': ");
	/* only old protocols: with the floor nothing is left, and GnuTLS
	 * itself refuses the string (at the listener, as any string it cannot
	 * use; test_https.py relies on that place) */
	TT.prio_line = 8;
	TT.prio_col = 19;
	TT.priorities_conf = "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1";
	TT.priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1" TLS_PRIORITIES_FLOOR;
	tls_err("altod.yaml:7:7: tls priorities 'NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1': ");
	/* DTLS only: parsed, but no TLS version is left: at the setting */
	TT.priorities_conf = "NORMAL:-VERS-TLS-ALL:+VERS-DTLS1.2";
	TT.priorities = "NORMAL:-VERS-TLS-ALL:+VERS-DTLS1.2" TLS_PRIORITIES_FLOOR;
	tls_err("altod.yaml:8:19: tls priorities 'NORMAL:-VERS-TLS-ALL:+VERS-DTLS1.2': enables neither TLS 1.2 nor "
	        "TLS 1.3");
	/* without the floor, an old protocol left on is caught too */
	TT.priorities = "NORMAL:+VERS-TLS1.0";
	TT.priorities_conf = "NORMAL:+VERS-TLS1.0";
	tls_err("altod.yaml:8:19: tls priorities 'NORMAL:+VERS-TLS1.0': enables a protocol below TLS 1.2");
	/* TLS 1.3 only is fine */
	TT.priorities_conf = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	TT.priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.3" TLS_PRIORITIES_FLOOR;
	tls_state_free(tls_ok());
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, make_pki, remove_pki);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, good_state);
	tcase_add_test(tc, bad_certificate_and_key);
	tcase_add_test(tc, client_ca);
	tcase_add_test(tc, client_ca_anchors);
	tcase_add_test(tc, client_crl);
	tcase_add_test(tc, priorities);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

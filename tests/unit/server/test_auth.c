/* SPDX-License-Identifier: BSD-2-Clause */
/* auth.c: who an Authorization header claims to be (before anything is
 * verified: the throttle's key), the challenges of a 401, and the HA1
 * hashes of --hash-password. The verification paths are exercised through
 * authz_decide in test_authz.c. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "server/auth.h"
#include "snap/access.h"
#include "testutil.h"

static const char *claimed(const char *h)
{
	static char out[AUTH_USER_MAX];
	return auth_claimed_user(h, out, sizeof(out)) ? out : NULL;
}

START_TEST(claimed_basic)
{
	/* RFC 7617 §2's example: Aladdin:open sesame */
	ck_assert_str_eq(claimed("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), "Aladdin");
	ck_assert_str_eq(claimed("basic   QWxhZGRpbjpvcGVuIHNlc2FtZQ== "), "Aladdin");
	ck_assert_str_eq(claimed(" BASIC QWxhZGRpbjpvcGVuIHNlc2FtZQ"), "Aladdin"); /* unpadded */
	ck_assert_str_eq(claimed("Basic dTo="), "u");                              /* u: */
	ck_assert_str_eq(claimed("Basic OnA="), "");                               /* :p */
	ck_assert_str_eq(claimed("Basic YTpiOmM="), "a");                          /* a:b:c */
	ck_assert_ptr_null(claimed("Basic dXNlcg=="));                             /* "user": no colon */
	ck_assert_ptr_null(claimed("Basic QWxhZGRp*jpvcGVu"));
	ck_assert_ptr_null(claimed("Basic QWxh=ZGRpbjpvcGVu"));
	ck_assert_ptr_null(claimed("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== extra"));
	ck_assert_ptr_null(claimed("Basic"));
	ck_assert_ptr_null(claimed("Basic "));
	ck_assert_ptr_null(claimed("BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
	ck_assert_ptr_null(claimed("AQ6:cA=="));       /* no scheme */
	ck_assert_ptr_null(claimed("Basic AGE6Yg==")); /* "\0a:b" */
	ck_assert_ptr_null(claimed("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
	ck_assert_ptr_null(claimed(NULL));
	char small[4];
	ck_assert(!auth_claimed_user("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", small, sizeof(small)));
	ck_assert(auth_claimed_user("Basic YWJjOng=", small, sizeof(small))); /* abc:x */
	ck_assert_str_eq(small, "abc");
}
END_TEST

START_TEST(claimed_digest)
{
	/* RFC 7616 §3.9.1 */
	ck_assert_str_eq(claimed("Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	                         "uri=\"/dir/index.html\", algorithm=MD5, "
	                         "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
	                         "nc=00000001, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
	                         "response=\"8ca523f5e9506fed4657c9700eebdec0\", "
	                         "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""),
	                 "Mufasa");
	ck_assert_str_eq(claimed("digest realm=\"a\",username=tok-en,nonce=\"x\""), "tok-en");
	ck_assert_str_eq(claimed("Digest  USERNAME = \"sp ace\" ,, nc=1"), "sp ace");
	ck_assert_str_eq(claimed("Digest username=\"q\\\"uo\\\\te\""), "q\"uo\\te");
	ck_assert_str_eq(claimed("Digest username=\"\""), "");
	/* the name inside another parameter's quoted value is not the name */
	ck_assert_str_eq(claimed("Digest realm=\"x, username=victim\", username=\"me\""), "me");
	ck_assert_str_eq(claimed("Digest xusername=\"victim\", username=\"me\""), "me");
	ck_assert_ptr_null(claimed("Digest xusername=\"victim\""));
	ck_assert_ptr_null(claimed("Digest username*=UTF-8''J%C3%A4s%C3%B8n"));
	ck_assert_ptr_null(claimed("Digest username=\"a\", username=\"b\""));
	ck_assert_ptr_null(claimed("Digest username=\"a\", USERNAME=a"));
	ck_assert_ptr_null(claimed("Digest username=\"unterminated"));
	ck_assert_ptr_null(claimed("Digest username=\"esc\\"));
	ck_assert_ptr_null(claimed("Digest username=a b"));
	ck_assert_ptr_null(claimed("Digest username="));
	ck_assert_ptr_null(claimed("Digest =x, username=a"));
	ck_assert_ptr_null(claimed("Digest realm=\"x\""));
	ck_assert_ptr_null(claimed("Digest"));
	char big[600] = "Digest username=\"";
	memset(big + strlen(big), 'a', 400);
	strcat(big, "\"");
	ck_assert_ptr_null(claimed(big));
}
END_TEST

/* Headers built from the pieces that matter, in a fixed pseudo-random
 * order: the result always fits, and a name is found only where the
 * header names one. */
START_TEST(claimed_assorted)
{
	static const char *const pieces[] = {"Digest ", "Basic ", "username", "=",  "\"", "\\",    ",",        " ", "a",
	                                     "QWxh",    "Og==",   "=",        "x*", "\t", "realm", "\"q,u=\"", ""};
	uint32_t seed = 12345;
	char h[128], out[8];
	for (int round = 0; round < 200000; round++) {
		size_t n = 0;
		h[0] = '\0';
		for (int k = 0; k < 10; k++) {
			seed = seed * 1103515245u + 12345u;
			const char *p = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
			if (n + strlen(p) + 1 > sizeof(h))
				break;
			memcpy(h + n, p, strlen(p) + 1);
			n += strlen(p);
		}
		memset(out, 'Z', sizeof(out));
		if (auth_claimed_user(h, out, sizeof(out))) {
			ck_assert_msg(memchr(out, '\0', sizeof(out)) != NULL, "unterminated for [%s]", h);
			ck_assert_msg(strstr(h, "Basic") || strstr(h, "username"), "a name from [%s]", h);
		}
	}
}
END_TEST

/* RFC 7616 §3.4.2: HA1 = H(user ":" realm ":" password), in hex. */
START_TEST(hash_password)
{
	char sha[65], md5[33];
	ck_assert_int_eq(auth_hash_password("Mufasa", "http-auth@example.org", "Circle of Life", sha, md5), 0);
	/* printf 'Mufasa:http-auth@example.org:Circle of Life' | md5sum / sha256sum */
	ck_assert_str_eq(md5, "3d78807defe7de2157e2b0b6573a855f");
	ck_assert_str_eq(sha, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
}
END_TEST

/* A reload that replaces any part of a password entry (user, either HA1,
 * which HA1s there are) changes the fingerprint an update stream keeps;
 * an entry rewritten the same does not. */
START_TEST(password_fingerprint)
{
	struct policy_client a = {.user = "tenant-b", .has_sha256 = true, .has_md5 = true};
	memset(a.ha1_sha256, 0x11, sizeof(a.ha1_sha256));
	memset(a.ha1_md5, 0x22, sizeof(a.ha1_md5));
	struct policy_client b = a;
	uint8_t fa[AUTH_CREDENTIALS_LEN], fb[AUTH_CREDENTIALS_LEN];
	ck_assert(auth_password_fingerprint(&a, fa));
	ck_assert(auth_password_fingerprint(&b, fb));
	ck_assert_mem_eq(fa, fb, sizeof(fa));
	for (int change = 0; change < 5; change++) {
		b = a;
		if (change == 0)
			b.user = "tenant-c";
		else if (change == 1)
			b.ha1_sha256[31] ^= 1;
		else if (change == 2)
			b.ha1_md5[0] ^= 1;
		else if (change == 3)
			b.has_md5 = false;
		else
			b.user = NULL;
		ck_assert(auth_password_fingerprint(&b, fb));
		ck_assert_msg(memcmp(fa, fb, sizeof(fa)) != 0, "change %d", change);
	}
}
END_TEST

START_TEST(challenges)
{
	struct policy pol = {.realm = (char *)"ex\"am\\ple", .ndigest_algs = 2};
	pol.digest_algs[0] = DIGEST_SHA256;
	pol.digest_algs[1] = DIGEST_MD5;
	struct snapshot_access a = {.policy = &pol};
	memset(a.nonce_key, 7, sizeof(a.nonce_key));
	pol.secret = (char *)"a secret of sixteen+";
	struct digest_state *ds = digest_state_new(0, 0);
	char out[AUTH_CHALLENGES][AUTH_CHALLENGE_MAX];
	ck_assert_uint_eq(auth_challenges(&a, ds, false, true, out, AUTH_CHALLENGES), 3);
	/* the preferred algorithm first, written as RFC 7616 writes it; the
	 * realm a quoted-string; each challenge its own nonce */
	ck_assert_msg(
	        strncmp(out[0], "Digest realm=\"ex\\\"am\\\\ple\", qop=\"auth\", algorithm=SHA-256, nonce=\"", 63) == 0,
	        "%s", out[0]);
	ck_assert_ptr_nonnull(strstr(out[1], "algorithm=MD5, nonce=\""));
	ck_assert_ptr_null(strstr(out[0], "stale"));
	ck_assert_str_eq(out[2], "Basic realm=\"ex\"am\\ple\", charset=\"UTF-8\"");
	const char *n0 = strstr(out[0], "nonce=\""), *n1 = strstr(out[1], "nonce=\"");
	ck_assert(strncmp(n0, n1, 7 + DIGEST_NONCE_HEX) != 0);
	/* stale, no Basic (plain HTTP with clear-digest), MD5 only */
	pol.ndigest_algs = 1;
	pol.digest_algs[0] = DIGEST_MD5;
	ck_assert_uint_eq(auth_challenges(&a, ds, true, false, out, AUTH_CHALLENGES), 1);
	ck_assert_ptr_nonnull(strstr(out[0], "algorithm=MD5"));
	ck_assert_ptr_nonnull(strstr(out[0], ", stale=true"));
	/* room for fewer than asked: never more than max */
	pol.ndigest_algs = 2;
	ck_assert_uint_eq(auth_challenges(&a, ds, false, true, out, 1), 1);
	digest_state_free(ds);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, claimed_basic);
	tcase_add_test(tc, claimed_digest);
	tcase_add_test(tc, claimed_assorted);
	tcase_add_test(tc, hash_password);
	tcase_add_test(tc, password_fingerprint);
	tcase_add_test(tc, challenges);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

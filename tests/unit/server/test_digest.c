/* SPDX-License-Identifier: BSD-2-Clause */
/* HTTP Digest as altod verifies it (RFC 7616): the credentials' tokenizer,
 * the RFC's example responses, self-authenticating nonces, and the nc table
 * that refuses replays, and the replicas' datagrams that raise it (peers.h). */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "server/digest.h"
#include "server/peers.h"
#include "util/err.h"
#include "testutil.h"

#define SEC 1000000000LL
#define T0 (1700000000LL * SEC)

static const uint8_t KEY[DIGEST_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t OTHER_KEY[DIGEST_KEY_LEN] = "another key, another secret....";

/* ---- the tokenizer ---- */

struct collected {
	char names[16][64];
	char values[16][256];
	size_t n;
};

static int collect(void *ctx, const char *name, const char *value)
{
	struct collected *c = ctx;
	if (c->n == 16)
		return -1;
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s", name);
	snprintf(c->values[c->n], sizeof(c->values[0]), "%s", value);
	c->n++;
	return 0;
}

static int tok(const char *s, struct collected *c)
{
	static char buf[2 * DIGEST_MAX_CREDENTIALS + 2];
	memset(c, 0, sizeof(*c));
	return digest_tokenize(s, strlen(s), buf, sizeof(buf), collect, c);
}

START_TEST(tokenizer_lists)
{
	struct collected c;
	ck_assert_int_eq(tok("a=b", &c), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.names[0], "a");
	ck_assert_str_eq(c.values[0], "b");
	/* optional whitespace around "=" (BWS) and the commas, empty elements */
	ck_assert_int_eq(tok(" , a = \"x y\" ,, \t,b=tok-en.1 ,", &c), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.values[0], "x y");
	ck_assert_str_eq(c.names[1], "b");
	ck_assert_str_eq(c.values[1], "tok-en.1");
	/* quoted-pair: the backslash goes, the next byte stays */
	ck_assert_int_eq(tok("q=\"a\\\"b\\\\c\\d\", r=\"\"", &c), 0);
	ck_assert_str_eq(c.values[0], "a\"b\\cd");
	ck_assert_str_eq(c.values[1], "");
	/* a comma inside quotes is no separator */
	ck_assert_int_eq(tok("qop=\"auth, auth-int\", x=1", &c), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.values[0], "auth, auth-int");
	ck_assert_int_eq(tok("", &c), 0);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(tok(" , ,", &c), 0);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

START_TEST(tokenizer_garbage)
{
	static const char *const bad[] = {
	        "a=\"unterminated",       /* no closing quote */
	        "a=\"ends in \\",         /* a backslash and then nothing */
	        "a=\"ends in \\\"",       /* the closing quote escaped */
	        "a",                      /* no "=" */
	        "a=",                     /* no value */
	        "=b",                     /* no name */
	        "a=b c=d",                /* no comma between */
	        "a=b;c=d",                /* not a list of auth-params */
	        "@@@,,,===",              /* what it says */
	        "a=b@",                   /* "@" is no tchar */
	        "a=\"x\"y",               /* something after the quoted-string */
	        "a b=c",                  /* a name with a space */
	        "a=\"ctl\x01\"",          /* a control character in quotes */
	        "a=\"tab \\\x7f\"",       /* DEL after a backslash */
	        "a=b,\"c\"=d",            /* a quoted name */
	        "nonce=\"x\" , , cnonce", /* a dangling name */
	};
	struct collected c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(tok(bad[i], &c) != 0, "accepted: %s", bad[i]);
	/* the output buffer must hold twice the input */
	char small[8];
	ck_assert_int_ne(digest_tokenize("a=b", 3, small, 7, collect, &c), 0);
}
END_TEST

/* The codes of util/err.h: a syntax error is ALTOD_EPARSE, a buffer too
 * small ALTOD_ERANGE, and a callback's own code comes back unchanged. */
static int refuse_second(void *ctx, const char *name, const char *value)
{
	(void)name;
	(void)value;
	return ++*(int *)ctx == 2 ? ALTOD_EEXIST : 0;
}

START_TEST(error_codes)
{
	struct collected c;
	ck_assert_int_eq(tok("a=\"unterminated", &c), ALTOD_EPARSE);
	ck_assert_int_eq(tok("a=b c=d", &c), ALTOD_EPARSE);
	char small[8];
	ck_assert_int_eq(digest_tokenize("a=b", 3, small, 7, collect, &c), ALTOD_ERANGE);
	char buf[64];
	int calls = 0;
	ck_assert_int_eq(digest_tokenize("a=b, c=d, e=f", 13, buf, sizeof(buf), refuse_second, &calls), ALTOD_EEXIST);
	ck_assert_int_eq(calls, 2);
	struct digest_credentials cr;
	ck_assert_int_eq(digest_parse("Basic dTpw", &cr), ALTOD_EPARSE);
	ck_assert_int_eq(digest_parse("Digest a=\"unterminated", &cr), ALTOD_EPARSE);
	ck_assert_int_eq(digest_parse("Digest username=\"u\", username=\"v\"", &cr), ALTOD_EPARSE);
}
END_TEST

/* ---- parsing ---- */

static const char *const RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
static const char *const RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

START_TEST(parse_rfc_example)
{
	/* RFC 7616 §3.9.1, the SHA-256 answer */
	static struct digest_credentials cr;
	const char *h = "Digest username=\"Mufasa\",\n"
	                "    realm=\"http-auth@example.org\",\n"
	                "    uri=\"/dir/index.html\",\n"
	                "    algorithm=SHA-256,\n"
	                "    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\n"
	                "    nc=00000001,\n"
	                "    cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\n"
	                "    qop=auth,\n"
	                "    response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\n"
	                "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
	/* the RFC folds its lines for print; on the wire it is one line */
	char line[1024];
	size_t k = 0;
	for (const char *p = h; *p; p++)
		if (*p != '\n')
			line[k++] = *p;
	line[k] = '\0';
	ck_assert_int_eq(digest_parse(line, &cr), 0);
	ck_assert_str_eq(cr.username, "Mufasa");
	ck_assert_str_eq(cr.realm, "http-auth@example.org");
	ck_assert_str_eq(cr.uri, "/dir/index.html");
	ck_assert_str_eq(cr.nonce, RFC_NONCE);
	ck_assert_str_eq(cr.cnonce, RFC_CNONCE);
	ck_assert_str_eq(cr.qop, "auth");
	ck_assert_str_eq(cr.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
	ck_assert_uint_eq(cr.ncount, 1);
	ck_assert_int_eq(cr.alg, DIGEST_SHA256);
	/* the scheme is case-insensitive; no algorithm means MD5 */
	ck_assert_int_eq(digest_parse("digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"00\", "
	                              "qop=\"auth\", nc=0000000A, cnonce=\"c\"",
	                              &cr),
	                 0);
	ck_assert_int_eq(cr.alg, DIGEST_MD5);
	ck_assert_uint_eq(cr.ncount, 10);
}
END_TEST

#define BASE "username=\"u\", realm=\"r\", uri=\"/\", response=\"00\", qop=auth, nc=00000001, cnonce=\"c\""

static int parse(const char *params)
{
	static struct digest_credentials cr;
	char h[8192];
	snprintf(h, sizeof(h), "Digest %s", params);
	return digest_parse(h, &cr);
}

START_TEST(parse_refusals)
{
	static struct digest_credentials cr;
	ck_assert_int_eq(parse(BASE ", nonce=\"n\""), 0);
	/* a parameter twice, in any case, is refused (unknown ones too) */
	ck_assert_int_ne(parse(BASE ", nonce=\"n\", nonce=\"n\""), 0);
	ck_assert_int_ne(parse(BASE ", nonce=\"n\", NONCE=\"m\""), 0);
	ck_assert_int_ne(parse(BASE ", nonce=\"n\", x=1, X=2"), 0);
	ck_assert_int_ne(parse(BASE ", nonce=\"n\", username=\"v\""), 0);
	/* unknown parameters are ignored; xnonce is not nonce */
	ck_assert_int_eq(parse(BASE ", nonce=\"n\", future=\"x\", username*=UTF-8''x"), 0);
	ck_assert_int_ne(parse(BASE ", xnonce=\"n\""), 0);
	ck_assert_int_eq(digest_parse("Digest " BASE ", xnonce=\"xx\", nonce=\"the-nonce\"", &cr), 0);
	ck_assert_str_eq(cr.nonce, "the-nonce");
	ck_assert_int_eq(digest_parse("Digest " BASE ", nonce=\"the-nonce\", cnonce2=\"zz\"", &cr), 0);
	ck_assert_str_eq(cr.cnonce, "c");
	/* what altod does not do: auth-int, no qop, -sess, other algorithms */
	ck_assert_int_ne(parse("username=\"u\", realm=\"r\", uri=\"/\", response=\"00\", nonce=\"n\""), 0);
	ck_assert_int_ne(parse("username=\"u\", realm=\"r\", uri=\"/\", response=\"00\", nonce=\"n\", qop=auth-int, "
	                       "nc=00000001, cnonce=\"c\""),
	                 0);
	ck_assert_int_ne(parse(BASE ", nonce=\"n\", algorithm=MD5-sess"), 0);
	ck_assert_int_ne(parse(BASE ", nonce=\"n\", algorithm=SHA-256-sess"), 0);
	ck_assert_int_ne(parse(BASE ", nonce=\"n\", algorithm=SHA-512-256"), 0);
	ck_assert_int_eq(parse(BASE ", nonce=\"n\", algorithm=\"sha-256\""), 0);
	/* userhash is never offered: only false is accepted */
	ck_assert_int_ne(parse(BASE ", nonce=\"n\", userhash=true"), 0);
	ck_assert_int_eq(parse(BASE ", nonce=\"n\", userhash=false"), 0);
	/* nc: exactly 8 hex digits, not 0 */
	ck_assert_int_ne(parse("username=\"u\", realm=\"r\", uri=\"/\", response=\"00\", qop=auth, nc=0000001, "
	                       "cnonce=\"c\", nonce=\"n\""),
	                 0);
	ck_assert_int_ne(parse("username=\"u\", realm=\"r\", uri=\"/\", response=\"00\", qop=auth, nc=0000000g, "
	                       "cnonce=\"c\", nonce=\"n\""),
	                 0);
	ck_assert_int_ne(parse("username=\"u\", realm=\"r\", uri=\"/\", response=\"00\", qop=auth, nc=00000000, "
	                       "cnonce=\"c\", nonce=\"n\""),
	                 0);
	/* each required parameter missing */
	static const char *const required[] = {"username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce"};
	for (size_t i = 0; i < 8; i++) {
		char h[512];
		snprintf(h, sizeof(h), "%s%s", BASE ", nonce=\"n\"", "");
		char *p = strstr(h, required[i]);
		while (p && p > h && p[-1] != ' ')
			p = strstr(p + 1, required[i]);
		ck_assert_ptr_nonnull(p);
		p[0] = 'z'; /* renamed: unknown, ignored */
		ck_assert_msg(parse(h) != 0, "accepted without %s", required[i]);
	}
	/* not Digest */
	ck_assert_int_ne(digest_parse("Digestx " BASE ", nonce=\"n\"", &cr), 0);
	ck_assert_int_ne(digest_parse("Basic dTpw", &cr), 0);
	ck_assert_int_ne(digest_parse("Digest", &cr), 0);
	ck_assert_int_ne(digest_parse("", &cr), 0);
	ck_assert_int_ne(digest_parse("Digest @@@,,,===", &cr), 0);
	ck_assert_int_ne(digest_parse("Digest " BASE ", nonce=\"unterminated", &cr), 0);
}
END_TEST

START_TEST(parse_sizes)
{
	/* exactly at the bound, accepted; one byte more, refused */
	static char h[DIGEST_MAX_CREDENTIALS + 64];
	static struct digest_credentials cr;
	int n = snprintf(h, sizeof(h), "Digest " BASE ", nonce=\"n\", pad=\"");
	size_t fill = DIGEST_MAX_CREDENTIALS - (size_t)n - 1;
	memset(h + n, 'x', fill);
	h[n + (int)fill] = '"';
	h[n + (int)fill + 1] = '\0';
	ck_assert_uint_eq(strlen(h), DIGEST_MAX_CREDENTIALS);
	ck_assert_int_eq(digest_parse(h, &cr), 0);
	memmove(h + n + 1, h + n, fill + 2);
	h[n] = 'x';
	ck_assert_int_ne(digest_parse(h, &cr), 0);
	/* a huge value costs a bounded look */
	size_t huge = 64u << 20;
	char *big = malloc(huge + 1);
	ck_assert_ptr_nonnull(big);
	memcpy(big, "Digest a=\"", 10);
	memset(big + 10, 'y', huge - 10);
	big[huge] = '\0';
	ck_assert_int_ne(digest_parse(big, &cr), 0);
	free(big);
	/* at most DIGEST_MAX_PARAMS parameters */
	char many[2048];
	size_t k = (size_t)snprintf(many, sizeof(many), "Digest " BASE ", nonce=\"n\"");
	for (int i = 0; k < sizeof(many) - 16 && i < DIGEST_MAX_PARAMS; i++)
		k += (size_t)snprintf(many + k, sizeof(many) - k, ", p%d=1", i);
	ck_assert_int_ne(digest_parse(many, &cr), 0);
}
END_TEST

/* ---- responses ---- */

static void ha1_of(enum digest_alg alg, const char *user, const char *realm, const char *password, uint8_t *out)
{
	char s[512];
	snprintf(s, sizeof(s), "%s:%s:%s", user, realm, password);
	gnutls_hash_fast(alg == DIGEST_SHA256 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_MD5, s, strlen(s), out);
}

START_TEST(rfc7616_example)
{
	/* RFC 7616 §3.9.1: Mufasa, "Circle of Life", GET /dir/index.html */
	uint8_t ha1[32];
	char hex[65];
	ha1_of(DIGEST_MD5, "Mufasa", "http-auth@example.org", "Circle of Life", ha1);
	digest_response_hex(DIGEST_MD5, ha1, RFC_NONCE, "00000001", RFC_CNONCE, "auth", "GET", "/dir/index.html", hex);
	ck_assert_str_eq(hex, "8ca523f5e9506fed4657c9700eebdbec");
	ha1_of(DIGEST_SHA256, "Mufasa", "http-auth@example.org", "Circle of Life", ha1);
	digest_response_hex(DIGEST_SHA256, ha1, RFC_NONCE, "00000001", RFC_CNONCE, "auth", "GET", "/dir/index.html",
	                    hex);
	ck_assert_str_eq(hex, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}
END_TEST

/* ---- nonces, verification, replay ---- */

struct answer {
	enum digest_alg alg;
	const char *nonce;
	const char *method, *uri, *realm; /* what the client signs */
	const char *req_method;           /* the request's, where it differs */
	uint32_t nc;
	const char *cnonce;
	const char *response; /* NULL: the right one */
	const char *extra;    /* more parameters */
};

static const char *const USER = "tenant", *const REALM = "altod", *const PASSWORD = "pass word";

static enum digest_result answer_at(struct digest_state *st, const struct answer *a, const char *target,
                                    const uint8_t *key, int64_t now)
{
	struct digest_credentials *cr = malloc(sizeof(*cr)); /* per call: threads share this */
	uint8_t ha1[32];
	char nc[9], resp[65], h[2048];
	ha1_of(a->alg, USER, REALM, PASSWORD, ha1);
	snprintf(nc, sizeof(nc), "%08x", a->nc);
	const char *uri = a->uri ? a->uri : "/";
	const char *method = a->method ? a->method : "GET";
	const char *cnonce = a->cnonce ? a->cnonce : "0a4f113b";
	digest_response_hex(a->alg, ha1, a->nonce, nc, cnonce, "auth", method, uri, resp);
	snprintf(h, sizeof(h),
	         "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", algorithm=%s, response=\"%s\", "
	         "qop=auth, nc=%s, cnonce=\"%s\", opaque=\"altod\"%s",
	         USER, a->realm ? a->realm : REALM, a->nonce, uri, a->alg == DIGEST_SHA256 ? "SHA-256" : "MD5",
	         a->response ? a->response : resp, nc, cnonce, a->extra ? a->extra : "");
	ck_assert_ptr_nonnull(cr);
	ck_assert_msg(digest_parse(h, cr) == 0, "%s", h);
	struct digest_check ck = {
	        .method = a->req_method ? a->req_method : method,
	        .target = target,
	        .realm = REALM,
	        .key = key,
	        .lifetime = 300,
	        .now_ns = now,
	        .ha1 = ha1,
	};
	enum digest_result r = digest_verify(st, cr, &ck);
	free(cr);
	return r;
}

static enum digest_result answer(struct digest_state *st, const struct answer *a)
{
	return answer_at(st, a, a->uri ? a->uri : "/", KEY, T0 + 10 * SEC);
}

START_TEST(nonces_are_fresh_and_self_authenticating)
{
	struct digest_state *st = digest_state_new(0, T0 - SEC);
	struct digest_state *other = digest_state_new(0, T0 - SEC);
	char a[DIGEST_NONCE_HEX + 1], b[DIGEST_NONCE_HEX + 1], c[DIGEST_NONCE_HEX + 1];
	/* the same key, the same nanosecond: still all different */
	digest_nonce_issue(st, KEY, T0, a);
	digest_nonce_issue(st, KEY, T0, b);
	digest_nonce_issue(other, KEY, T0, c);
	ck_assert_uint_eq(strlen(a), DIGEST_NONCE_HEX);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), DIGEST_NONCE_HEX);
	ck_assert_str_ne(a, b);
	ck_assert_str_ne(a, c);
	/* the per-process part differs between processes */
	ck_assert(memcmp(a + 16, b + 16, 16) == 0);
	ck_assert(memcmp(a + 16, c + 16, 16) != 0);
	/* a nonce issued by another process with the same key verifies here */
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = c, .nc = 1}), DIGEST_OK);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_MD5, .nonce = a, .nc = 1}), DIGEST_OK);
	/* forged, cut, lengthened, upper-cased, under another key: FAIL, never stale */
	char forged[DIGEST_NONCE_HEX + 1];
	strcpy(forged, b);
	forged[3] = forged[3] == '0' ? '1' : '0';
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = forged, .nc = 1}), DIGEST_FAIL);
	strcpy(forged, b);
	forged[DIGEST_NONCE_HEX - 1] = forged[DIGEST_NONCE_HEX - 1] == '0' ? '1' : '0';
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = forged, .nc = 1}), DIGEST_FAIL);
	strcpy(forged, b);
	forged[64] = '\0';
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = forged, .nc = 1}), DIGEST_FAIL);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = "ab", .nc = 1}), DIGEST_FAIL);
	char longer[DIGEST_NONCE_HEX + 3];
	snprintf(longer, sizeof(longer), "%s00", b);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = longer, .nc = 1}), DIGEST_FAIL);
	strcpy(forged, b);
	for (char *p = forged; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	if (strcmp(forged, b) != 0)
		ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = forged, .nc = 1}),
		                 DIGEST_FAIL);
	ck_assert_int_eq(
	        answer_at(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = b, .nc = 1}, "/", OTHER_KEY, T0 + SEC),
	        DIGEST_FAIL);
	/* and b itself is untouched by all that */
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = b, .nc = 1}), DIGEST_OK);
	digest_state_free(st);
	digest_state_free(other);
}
END_TEST

START_TEST(nonce_lifetime)
{
	struct digest_state *st = digest_state_new(0, T0 - SEC);
	char n[DIGEST_NONCE_HEX + 1];
	digest_nonce_issue(st, KEY, T0, n);
	struct answer a = {.alg = DIGEST_SHA256, .nonce = n, .nc = 1};
	/* 300 s: still good at the edge; one more nanosecond, stale */
	ck_assert_int_eq(answer_at(st, &a, "/", KEY, T0 + 300 * SEC), DIGEST_OK);
	a.nc = 2;
	ck_assert_int_eq(answer_at(st, &a, "/", KEY, T0 + 300 * SEC + 1), DIGEST_STALE);
	/* a wrong answer to an old nonce learns nothing: FAIL, not stale */
	a.response = "00000000000000000000000000000000000000000000000000000000000000ff";
	ck_assert_int_eq(answer_at(st, &a, "/", KEY, T0 + 400 * SEC), DIGEST_FAIL);
	/* from further in the future than a lifetime: stale */
	char future[DIGEST_NONCE_HEX + 1];
	digest_nonce_issue(st, KEY, T0 + 1000 * SEC, future);
	ck_assert_int_eq(answer_at(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = future, .nc = 1}, "/", KEY,
	                           T0 + 10 * SEC),
	                 DIGEST_STALE);
	digest_state_free(st);
}
END_TEST

START_TEST(replay)
{
	struct digest_state *st = digest_state_new(0, T0 - SEC);
	char n[DIGEST_NONCE_HEX + 1];
	digest_nonce_issue(st, KEY, T0, n);
	struct answer a = {.alg = DIGEST_SHA256, .nonce = n, .nc = 5};
	ck_assert_int_eq(answer(st, &a), DIGEST_OK);
	/* the same answer again, the same nc with another cnonce, a lower nc */
	ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	a.cnonce = "other";
	ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	a.nc = 4;
	ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	a.nc = 1;
	ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	/* a wrong answer with a higher nc changes nothing ... */
	a.nc = 1000;
	a.response = "0000000000000000000000000000000000000000000000000000000000000000";
	ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	/* ... so the right ones after it still count from 5 */
	a.response = NULL;
	a.nc = 6;
	ck_assert_int_eq(answer(st, &a), DIGEST_OK);
	a.nc = 1000;
	ck_assert_int_eq(answer(st, &a), DIGEST_OK);
	ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	/* MD5 on the same nonce shares its count */
	a.alg = DIGEST_MD5;
	ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	a.nc = 1001;
	ck_assert_int_eq(answer(st, &a), DIGEST_OK);
	digest_state_free(st);
}
END_TEST

START_TEST(restart_and_eviction)
{
	/* a nonce issued before this process started: stale, even if it is
	 * correct and young (another process may have counted it) */
	struct digest_state *st = digest_state_new(0, T0 - SEC);
	char before[DIGEST_NONCE_HEX + 1];
	digest_nonce_issue(st, KEY, T0 - 2 * SEC, before);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = before, .nc = 1}), DIGEST_STALE);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = before, .nc = 9}), DIGEST_STALE);
	digest_state_free(st);

	/* a table of 2: the third nonce evicts the least recently used */
	st = digest_state_new(2, T0 - SEC);
	char n1[DIGEST_NONCE_HEX + 1], n2[DIGEST_NONCE_HEX + 1], n3[DIGEST_NONCE_HEX + 1], n0[DIGEST_NONCE_HEX + 1];
	digest_nonce_issue(st, KEY, T0, n0); /* issued first, used last */
	digest_nonce_issue(st, KEY, T0 + 1, n1);
	digest_nonce_issue(st, KEY, T0 + 2, n2);
	digest_nonce_issue(st, KEY, T0 + 3, n3);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n1, .nc = 1}), DIGEST_OK);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n2, .nc = 1}), DIGEST_OK);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n1, .nc = 2}), DIGEST_OK);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n3, .nc = 1}), DIGEST_OK);
	/* n2 went: its old answers, replayed, are stale, never accepted */
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n2, .nc = 1}), DIGEST_STALE);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n2, .nc = 2}), DIGEST_STALE);
	/* and n0, issued before n2 but never used, cannot tell: stale too */
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n0, .nc = 1}), DIGEST_STALE);
	/* the kept ones go on counting */
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n1, .nc = 2}), DIGEST_FAIL);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n1, .nc = 3}), DIGEST_OK);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n3, .nc = 1}), DIGEST_FAIL);
	/* a nonce issued later is new */
	char n4[DIGEST_NONCE_HEX + 1];
	digest_nonce_issue(st, KEY, T0 + 4, n4);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n4, .nc = 1}), DIGEST_OK);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n4, .nc = 1}), DIGEST_FAIL);
	digest_state_free(st);
}
END_TEST

START_TEST(uri_and_realm)
{
	struct digest_state *st = digest_state_new(0, T0 - SEC);
	char n[DIGEST_NONCE_HEX + 1];
	digest_nonce_issue(st, KEY, T0, n);
	uint32_t nc = 1;
	const int64_t now = T0 + SEC;
#define TRY(u, target) \
	answer_at(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n, .nc = nc++, .uri = u}, target, KEY, now)
	/* one nonce serves every URI */
	ck_assert_int_eq(TRY("/networkmap/x", "/networkmap/x"), DIGEST_OK);
	ck_assert_int_eq(TRY("/costmap/x", "/costmap/x"), DIGEST_OK);
	/* the uri must be the request's (RFC 7616 §3.4.6) */
	ck_assert_int_eq(TRY("/networkmap/x", "/costmap/x"), DIGEST_FAIL);
	ck_assert_int_eq(TRY("/networkmap/x", "/networkmap/xy"), DIGEST_FAIL);
	ck_assert_int_eq(TRY("/networkmap/xy", "/networkmap/x"), DIGEST_FAIL);
	ck_assert_int_eq(TRY("networkmap/x", "networkmap/x"), DIGEST_FAIL);
	ck_assert_int_eq(TRY("/a?b=c", "/a"), DIGEST_FAIL); /* has_query is false */
	ck_assert_int_eq(TRY("/a%2", "/a%2"), DIGEST_FAIL);
	/* percent-decoded as libmicrohttpd decodes the target; absolute form */
	ck_assert_int_eq(TRY("/a%20b", "/a b"), DIGEST_OK);
	ck_assert_int_eq(TRY("http://127.0.0.1:8080/a", "/a"), DIGEST_OK);
	ck_assert_int_eq(TRY("https://h", "/"), DIGEST_OK);
	ck_assert_int_eq(TRY("https://h/b", "/a"), DIGEST_FAIL);
#undef TRY
	/* the realm must be this server's */
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n, .nc = 100, .realm = "other"}),
	                 DIGEST_FAIL);
	/* the request's method is in the response */
	ck_assert_int_eq(
	        answer_at(st,
	                  &(struct answer){
	                          .alg = DIGEST_SHA256, .nonce = n, .nc = 101, .method = "POST", .req_method = "GET"},
	                  "/", KEY, now),
	        DIGEST_FAIL);
	ck_assert_int_eq(answer_at(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n, .nc = 99, .method = "POST"},
	                           "/", KEY, now),
	                 DIGEST_OK);
	/* none of the failures counted: nc 100 is still free */
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n, .nc = 99}), DIGEST_FAIL);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n, .nc = 100}), DIGEST_OK);
	digest_state_free(st);
}
END_TEST

START_TEST(challenges)
{
	char out[1024];
	ck_assert_uint_gt(digest_challenge(out, sizeof(out), "altod", "abc", DIGEST_SHA256, false), 0);
	ck_assert_str_eq(out,
	                 "Digest realm=\"altod\", qop=\"auth\", algorithm=SHA-256, nonce=\"abc\", opaque=\"altod\"");
	ck_assert_uint_gt(digest_challenge(out, sizeof(out), "a\"b\\c", "abc", DIGEST_MD5, true), 0);
	ck_assert_str_eq(out, "Digest realm=\"a\\\"b\\\\c\", qop=\"auth\", algorithm=MD5, nonce=\"abc\", "
	                      "opaque=\"altod\", stale=true");
	ck_assert_uint_eq(digest_challenge(out, 20, "altod", "abc", DIGEST_MD5, false), 0);
	/* the tokenizer reads it back */
	struct collected c;
	digest_challenge(out, sizeof(out), "a\"b\\c", "abc", DIGEST_MD5, true);
	ck_assert_int_eq(tok(out + 7, &c), 0);
	ck_assert_str_eq(c.values[0], "a\"b\\c");
	ck_assert_str_eq(c.values[2], "MD5");
	ck_assert_str_eq(c.values[5], "true");
}
END_TEST

/* ---- threads ---- */

#define THREADS 8
#define ROUNDS 300

struct race {
	struct digest_state *st;
	const char *shared;
	char own[DIGEST_NONCE_HEX + 1];
	uint32_t accepted[ROUNDS];
	size_t naccepted;
	int own_ok;
};

static void *racer(void *arg)
{
	struct race *r = arg;
	for (uint32_t nc = 1; nc <= ROUNDS; nc++) {
		if (answer(r->st, &(struct answer){.alg = DIGEST_SHA256, .nonce = r->shared, .nc = nc}) == DIGEST_OK)
			r->accepted[r->naccepted++] = nc;
		r->own_ok += answer(r->st, &(struct answer){.alg = DIGEST_MD5, .nonce = r->own, .nc = nc}) == DIGEST_OK;
	}
	return NULL;
}

START_TEST(threads_never_accept_an_nc_twice)
{
	struct digest_state *st = digest_state_new(64, T0 - SEC);
	char shared[DIGEST_NONCE_HEX + 1];
	digest_nonce_issue(st, KEY, T0, shared);
	static struct race r[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct race){.st = st, .shared = shared};
		digest_nonce_issue(st, KEY, T0 + 1 + i, r[i].own);
		ck_assert_int_eq(pthread_create(&t[i], NULL, racer, &r[i]), 0);
	}
	static uint8_t seen[ROUNDS + 1];
	size_t total = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		/* each thread's own nonce: every nc once, in order */
		ck_assert_int_eq(r[i].own_ok, ROUNDS);
		for (size_t k = 0; k < r[i].naccepted; k++) {
			ck_assert_uint_eq(seen[r[i].accepted[k]], 0);
			seen[r[i].accepted[k]] = 1;
			total++;
		}
	}
	/* the shared nonce: no nc accepted twice, and some accepted */
	ck_assert_uint_ge(total, 1);
	ck_assert_uint_le(total, ROUNDS);
	digest_state_free(st);
}
END_TEST

/* ---- what other replicas tell (digest_note_used, peers.h) ---- */

static void raw_of(const char *hex, uint8_t raw[DIGEST_NONCE_RAW])
{
	for (size_t i = 0; i < DIGEST_NONCE_RAW; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		raw[i] = (uint8_t)v;
	}
}

#define NOW (T0 + 10 * SEC)

START_TEST(note_used_semantics)
{
	struct digest_state *st = digest_state_new(0, T0 - SEC);
	char n[DIGEST_NONCE_HEX + 1];
	uint8_t raw[DIGEST_NONCE_RAW];
	digest_nonce_issue(st, KEY, T0, n);
	raw_of(n, raw);
	struct answer a = {.alg = DIGEST_SHA256, .nonce = n};
	/* absent: inserted with nc 5; every nc up to 5 is spent here */
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, raw, 5), DIGEST_NOTE_RAISED);
	for (uint32_t nc = 1; nc <= 5; nc++) {
		a.nc = nc;
		ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	}
	/* max(current, k): lower or equal changes nothing */
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, raw, 3), DIGEST_NOTE_NOT_NEWER);
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, raw, 5), DIGEST_NOTE_NOT_NEWER);
	a.nc = 6;
	ck_assert_int_eq(answer(st, &a), DIGEST_OK);
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, raw, 6), DIGEST_NOTE_NOT_NEWER);
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, raw, 10), DIGEST_NOTE_RAISED);
	for (uint32_t nc = 7; nc <= 10; nc++) {
		a.nc = nc;
		ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	}
	a.nc = 11;
	ck_assert_int_eq(answer(st, &a), DIGEST_OK);

	/* never for a nonce this deployment did not issue, or an expired one */
	uint8_t bad[DIGEST_NONCE_RAW];
	memcpy(bad, raw, sizeof(bad));
	bad[DIGEST_NONCE_RAW - 1] ^= 1;
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, bad, 50), DIGEST_NOTE_INVALID);
	memcpy(bad, raw, sizeof(bad));
	bad[0] ^= 1; /* the issue time, under the HMAC */
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, bad, 50), DIGEST_NOTE_INVALID);
	ck_assert_int_eq(digest_note_used(st, OTHER_KEY, 300, NOW, raw, 50), DIGEST_NOTE_INVALID);
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, raw, 0), DIGEST_NOTE_INVALID);
	ck_assert_int_eq(digest_note_used(st, KEY, 300, T0 + 300 * SEC + 1, raw, 50), DIGEST_NOTE_INVALID);
	ck_assert_int_eq(digest_note_used(st, KEY, 300, T0 - 300 * SEC - 1, raw, 50), DIGEST_NOTE_INVALID);
	/* none of that moved n's count */
	a.nc = 12;
	ck_assert_int_eq(answer(st, &a), DIGEST_OK);
	/* issued before this process started: answered stale here anyway */
	char before[DIGEST_NONCE_HEX + 1];
	uint8_t braw[DIGEST_NONCE_RAW];
	digest_nonce_issue(st, KEY, T0 - 2 * SEC, before);
	raw_of(before, braw);
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, braw, 1), DIGEST_NOTE_STALE);
	digest_state_free(st);
}
END_TEST

START_TEST(note_used_bounds)
{
	/* a table of one: what a note refuses creates no entry (n stays), what
	 * it takes is bounded like an accepted answer (evicts, raises the floor) */
	struct digest_state *st = digest_state_new(1, T0 - SEC);
	char n[DIGEST_NONCE_HEX + 1], m[DIGEST_NONCE_HEX + 1], before[DIGEST_NONCE_HEX + 1];
	uint8_t raw[DIGEST_NONCE_RAW], mraw[DIGEST_NONCE_RAW], braw[DIGEST_NONCE_RAW], bad[DIGEST_NONCE_RAW];
	digest_nonce_issue(st, KEY, T0, n);
	digest_nonce_issue(st, KEY, T0 + 1, m);
	digest_nonce_issue(st, KEY, T0 - 2 * SEC, before);
	raw_of(n, raw);
	raw_of(m, mraw);
	raw_of(before, braw);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n, .nc = 1}), DIGEST_OK);
	memcpy(bad, mraw, sizeof(bad));
	bad[40] ^= 0x80;
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, bad, 7), DIGEST_NOTE_INVALID);
	ck_assert_int_eq(digest_note_used(st, OTHER_KEY, 300, NOW, mraw, 7), DIGEST_NOTE_INVALID);
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, braw, 7), DIGEST_NOTE_STALE);
	ck_assert_int_eq(digest_note_used(st, KEY, 300, T0 + 400 * SEC, mraw, 7), DIGEST_NOTE_INVALID);
	/* n is still in the table: its nc 1 is spent, not stale */
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n, .nc = 1}), DIGEST_FAIL);
	/* a valid note for m takes the one entry: n goes, and is stale from now on */
	ck_assert_int_eq(digest_note_used(st, KEY, 300, NOW, mraw, 7), DIGEST_NOTE_RAISED);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n, .nc = 2}), DIGEST_STALE);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = m, .nc = 7}), DIGEST_FAIL);
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = m, .nc = 8}), DIGEST_OK);
	digest_state_free(st);
}
END_TEST

static const uint8_t PEER_KEY[DIGEST_KEY_LEN] = "the replicas' key from a secret";
static const uint8_t OTHER_PEER_KEY[DIGEST_KEY_LEN] = "the replicas' key, another one.";

START_TEST(peer_datagrams)
{
	struct digest_state *st = digest_state_new(0, T0 - SEC);
	char n[DIGEST_NONCE_HEX + 1];
	uint8_t raw[DIGEST_NONCE_RAW], d[PEERS_DATAGRAM_LEN], x[PEERS_DATAGRAM_LEN + 1];
	digest_nonce_issue(st, KEY, T0, n);
	raw_of(n, raw);
	ck_assert_uint_eq(PEERS_DATAGRAM_LEN, 112);

	/* everything that must not count, each claiming nc 100 */
	peers_encode(PEER_KEY, raw, 100, NOW, d);
	ck_assert_int_eq(peers_apply(st, OTHER_PEER_KEY, KEY, 300, NOW, d, sizeof(d)), PEERS_FORGED);
	for (size_t i = 0; i < sizeof(d); i++) /* any bit of it changed */
		for (int bit = 0; bit < 8; bit += 7) {
			memcpy(x, d, sizeof(d));
			x[i] ^= (uint8_t)(1u << bit);
			ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW, x, sizeof(d)),
			                 i < 4 ? PEERS_MALFORMED : PEERS_FORGED);
		}
	memcpy(x, d, sizeof(d));
	x[sizeof(d)] = 0;
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW, x, sizeof(d) + 1), PEERS_MALFORMED);
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW, d, sizeof(d) - 1), PEERS_MALFORMED);
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW, d, 0), PEERS_MALFORMED);
	/* sent longer ago than a nonce lives, or as far ahead */
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW + 300 * SEC + 1, d, sizeof(d)), PEERS_OLD);
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW - 300 * SEC - 1, d, sizeof(d)), PEERS_OLD);
	/* well signed, but the nonce is not one of this deployment (another
	 * nonce key, or altered) or has expired */
	ck_assert_int_eq(peers_apply(st, PEER_KEY, OTHER_KEY, 300, NOW, d, sizeof(d)), PEERS_BAD_NONCE);
	uint8_t bad[DIGEST_NONCE_RAW];
	memcpy(bad, raw, sizeof(bad));
	bad[20] ^= 4;
	peers_encode(PEER_KEY, bad, 100, NOW, x);
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW, x, sizeof(d)), PEERS_BAD_NONCE);
	char old[DIGEST_NONCE_HEX + 1];
	uint8_t oraw[DIGEST_NONCE_RAW];
	digest_nonce_issue(st, KEY, NOW - 301 * SEC, old);
	raw_of(old, oraw);
	peers_encode(PEER_KEY, oraw, 100, NOW, x);
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW, x, sizeof(d)), PEERS_BAD_NONCE);
	/* none of it spent anything */
	struct answer a = {.alg = DIGEST_SHA256, .nonce = n, .nc = 1};
	ck_assert_int_eq(answer(st, &a), DIGEST_OK);

	/* the real thing: nc 7 spent here; the same datagram again (or a late
	 * one) teaches nothing */
	peers_encode(PEER_KEY, raw, 7, NOW - SEC, d);
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW, d, sizeof(d)), PEERS_APPLIED);
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW, d, sizeof(d)), PEERS_NOT_NEWER);
	peers_encode(PEER_KEY, raw, 3, NOW, d);
	ck_assert_int_eq(peers_apply(st, PEER_KEY, KEY, 300, NOW, d, sizeof(d)), PEERS_NOT_NEWER);
	for (a.nc = 2; a.nc <= 7; a.nc++)
		ck_assert_int_eq(answer(st, &a), DIGEST_FAIL);
	a.nc = 8;
	ck_assert_int_eq(answer(st, &a), DIGEST_OK);
	/* the layout is what docs/isolation.md and the integration test say */
	peers_encode(PEER_KEY, raw, 0x01020304, 0x0a0b0c0d0e0f1011LL, d);
	ck_assert(memcmp(d, "ADP1\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x01\x02\x03\x04", 16) == 0);
	ck_assert(memcmp(d + 16, raw, DIGEST_NONCE_RAW) == 0);
	uint8_t mac[32];
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, PEER_KEY, DIGEST_KEY_LEN, d, 16 + DIGEST_NONCE_RAW, mac);
	ck_assert(memcmp(d + 16 + DIGEST_NONCE_RAW, mac, 32) == 0);
	digest_state_free(st);
}
END_TEST

/* a receiver thread noting what peers accepted races request threads
 * answering the same nonce: no nc is taken by both */
struct note_race {
	struct digest_state *st;
	const char *nonce;
	uint8_t raw[DIGEST_NONCE_RAW];
	uint8_t won[ROUNDS + 1];
};

static void *noter(void *arg)
{
	struct note_race *r = arg;
	for (uint32_t nc = 1; nc <= ROUNDS; nc++)
		if (digest_note_used(r->st, KEY, 300, NOW, r->raw, nc) == DIGEST_NOTE_RAISED)
			r->won[nc] = 1;
	return NULL;
}

static void *answerer(void *arg)
{
	struct note_race *r = arg;
	for (uint32_t nc = 1; nc <= ROUNDS; nc++)
		if (answer(r->st, &(struct answer){.alg = DIGEST_SHA256, .nonce = r->nonce, .nc = nc}) == DIGEST_OK)
			r->won[nc] = 1;
	return NULL;
}

START_TEST(peer_notes_race_answers)
{
	struct digest_state *st = digest_state_new(64, T0 - SEC);
	char n[DIGEST_NONCE_HEX + 1];
	digest_nonce_issue(st, KEY, T0, n);
	static struct note_race a, b;
	a = (struct note_race){.st = st, .nonce = n};
	raw_of(n, a.raw);
	b = a;
	pthread_t t[2];
	ck_assert_int_eq(pthread_create(&t[0], NULL, noter, &a), 0);
	ck_assert_int_eq(pthread_create(&t[1], NULL, answerer, &b), 0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	size_t total = 0;
	for (uint32_t nc = 1; nc <= ROUNDS; nc++) {
		ck_assert_msg(!(a.won[nc] && b.won[nc]), "nc %u taken by a note and an answer", nc);
		total += a.won[nc] + b.won[nc];
	}
	ck_assert_uint_ge(total, 1);
	/* whatever the interleaving, the highest is spent afterwards */
	ck_assert_int_eq(answer(st, &(struct answer){.alg = DIGEST_SHA256, .nonce = n, .nc = ROUNDS}), DIGEST_FAIL);
	digest_state_free(st);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tokenizer_lists);
	tcase_add_test(tc, tokenizer_garbage);
	tcase_add_test(tc, error_codes);
	tcase_add_test(tc, parse_rfc_example);
	tcase_add_test(tc, parse_refusals);
	tcase_add_test(tc, parse_sizes);
	tcase_add_test(tc, rfc7616_example);
	tcase_add_test(tc, nonces_are_fresh_and_self_authenticating);
	tcase_add_test(tc, nonce_lifetime);
	tcase_add_test(tc, replay);
	tcase_add_test(tc, restart_and_eviction);
	tcase_add_test(tc, uri_and_realm);
	tcase_add_test(tc, challenges);
	tcase_add_test(tc, threads_never_accept_an_nc_twice);
	tcase_add_test(tc, note_used_semantics);
	tcase_add_test(tc, note_used_bounds);
	tcase_add_test(tc, peer_datagrams);
	tcase_add_test(tc, peer_notes_race_answers);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

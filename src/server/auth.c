/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "server/auth.h"
#include "util/clock.h"
#include "util/err.h"

/* ---- certificates ---- */

static bool san_matches(gnutls_x509_crt_t crt, const char *want)
{
	for (unsigned seq = 0;; seq++) {
		char buf[512];
		size_t size = sizeof(buf) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &size, NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return false;
		if (type < 0)
			continue;
		buf[size] = '\0';
		if ((type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME || type == GNUTLS_SAN_URI) &&
		    strlen(buf) == size && strcmp(buf, want) == 0)
			return true;
	}
}

/* The index of the client the session's certificate names, or -1 for none
 * (an index lookup, util/err.h: no certificate, one that does not parse
 * and one no client names all identify nobody). tls: the state of the
 * listener it verified against; issuer-sha256 names one of its client CAs
 * (checked last, the one key that costs a chain verification; cache: the
 * connection's verdicts, NULL: none). */
static ssize_t client_by_certificate(const struct policy *p, gnutls_session_t session, const struct tls_state *tls,
                                     struct tls_issuer_cache *cache)
{
	struct tls_issuer_cache here = {0};
	unsigned n = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
	gnutls_x509_crt_t crt;
	ssize_t found = -1;

	if (peers == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return -1;
	}
	uint8_t fp[32];
	size_t fplen = sizeof(fp);
	char fphex[65] = "";
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fplen) == 0 && fplen == 32)
		for (size_t i = 0; i < 32; i++)
			snprintf(fphex + 2 * i, 3, "%02x", fp[i]);
	gnutls_datum_t dn = {NULL, 0};
	gnutls_x509_crt_get_dn3(crt, &dn, 0); /* RFC 4514 string */
	for (size_t i = 0; i < p->nclients && found < 0; i++) {
		const struct policy_client *c = &p->clients[i];
		if (!c->cert_sha256 && !c->cert_subject && !c->cert_san && !c->has_issuer)
			continue;
		if (c->cert_sha256 && strcmp(c->cert_sha256, fphex) != 0)
			continue;
		if (c->cert_subject && (dn.data == NULL || strcmp(c->cert_subject, (const char *)dn.data) != 0))
			continue;
		if (c->cert_san && !san_matches(crt, c->cert_san))
			continue;
		if (c->has_issuer &&
		    (tls == NULL || !tls_peer_issued_by(tls, session, c->cert_issuer, cache ? cache : &here)))
			continue;
		found = (ssize_t)i;
	}
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
	return found;
}

/* ---- passwords ---- */

/* HA1 = H(user ":" realm ":" password) (RFC 7616 §3.4.2) */
static int ha1(gnutls_digest_algorithm_t alg, const char *user, const char *realm, const char *password, uint8_t *out)
{
	size_t n = strlen(user) + strlen(realm) + strlen(password) + 3;
	char *s = malloc(n);
	if (s == NULL)
		return ALTOD_ENOMEM;
	snprintf(s, n, "%s:%s:%s", user, realm, password);
	gnutls_hash_fast(alg, s, strlen(s), out);
	memset(s, 0, n);
	free(s);
	return 0;
}

static bool ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static const struct policy_client *client_by_user(const struct policy *p, const char *user, ssize_t *idx)
{
	for (size_t i = 0; i < p->nclients; i++)
		if (p->clients[i].user && strcmp(p->clients[i].user, user) == 0) {
			*idx = (ssize_t)i;
			return &p->clients[i];
		}
	*idx = -1;
	return NULL;
}

static const uint8_t *nonce_key(const struct snapshot_access *a, struct digest_state *ds)
{
	/* without a secret, a key of this process: replicas do not share it */
	return a->policy->secret ? a->nonce_key : digest_state_key(ds);
}

static enum auth_result digest(const struct snapshot_access *a, struct digest_state *ds, const struct auth_request *rq,
                               ssize_t *client)
{
	const struct policy *p = a->policy;
	struct digest_credentials *cr = malloc(sizeof(*cr));
	if (cr == NULL || digest_parse(rq->authorization, cr) != 0) {
		free(cr);
		return AUTH_FAIL;
	}
	bool offered = false;
	for (size_t i = 0; i < p->ndigest_algs; i++)
		offered |= p->digest_algs[i] == cr->alg;
	if (!offered) {
		free(cr);
		return AUTH_FAIL;
	}
	ssize_t idx;
	const struct policy_client *pc = client_by_user(p, cr->username, &idx);
	/* an unknown user, or one without an MD5 secret answering with MD5,
	 * is checked against this process's random secret: the same work, and
	 * a failure */
	const uint8_t *secret = digest_state_dummy(ds);
	bool known = false;
	if (pc && cr->alg == DIGEST_SHA256) {
		secret = pc->ha1_sha256;
		known = true;
	} else if (pc && pc->has_md5) {
		secret = pc->ha1_md5;
		known = true;
	}
	struct digest_check ck = {
	        .method = rq->method,
	        .target = rq->url,
	        .has_query = rq->has_query,
	        .realm = p->realm,
	        .key = nonce_key(a, ds),
	        .lifetime = p->nonce_lifetime,
	        .now_ns = clock_real_ns(),
	        .ha1 = secret,
	};
	uint8_t raw[DIGEST_NONCE_RAW];
	ck.nonce_out = raw;
	enum digest_result r = digest_verify(ds, cr, &ck);
	uint32_t nc = cr->ncount;
	free(cr);
	if (r == DIGEST_STALE && known)
		return AUTH_STALE;
	if (r != DIGEST_OK || !known)
		return AUTH_FAIL;
	/* the other replicas learn this nc now, before the answer is queued:
	 * by the time the client sees it, the header is spent everywhere (UDP
	 * delivery permitting; docs/isolation.md "Replicas") */
	peers_send(rq->peers, a, raw, nc);
	*client = idx;
	return AUTH_OK;
}

/* ---- Basic (RFC 7617) ---- */

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return ALTOD_EINVAL;
}

/* The token68 of Basic credentials: base64 (RFC 4648 §4, padding optional)
 * of user-id ":" password, trailing whitespace allowed. The user (before
 * the first ':') into user; the password into pass when pass is not NULL.
 * false when malformed, without a ':', holding a NUL, or too long. */
static bool basic_decode(const char *p, char *user, size_t ulen, char *pass, size_t plen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0, m = 0;
	bool pad = false, colon = false;
	for (; *p && *p != ' ' && *p != '\t'; p++) {
		if (*p == '=') {
			pad = true;
			continue;
		}
		int v = b64_value((unsigned char)*p);
		if (v < 0 || pad)
			return false;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits < 8)
			continue;
		bits -= 8;
		char ch = (char)((acc >> bits) & 0xff);
		if (ch == '\0')
			return false;
		if (!colon && ch == ':') {
			colon = true;
		} else if (!colon) {
			if (n + 1 >= ulen)
				return false;
			user[n++] = ch;
		} else if (pass) {
			if (m + 1 >= plen)
				return false;
			pass[m++] = ch;
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p || !colon)
		return false;
	user[n] = '\0';
	if (pass)
		pass[m] = '\0';
	return true;
}

/* "Basic" 1*SP token68: the text after the scheme, or NULL. */
static const char *after_scheme(const char *h, const char *scheme)
{
	size_t n = strlen(scheme);
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, scheme, n) != 0 || h[n] != ' ')
		return NULL;
	h += n;
	while (*h == ' ')
		h++;
	return h;
}

static enum auth_result basic(const struct policy *p, const char *value, ssize_t *client)
{
	char user[AUTH_USER_MAX + 1], pass[1024];
	const char *b = after_scheme(value, "Basic");
	if (b == NULL || !basic_decode(b, user, sizeof(user), pass, sizeof(pass))) {
		memset(pass, 0, sizeof(pass));
		return AUTH_FAIL;
	}
	ssize_t idx;
	const struct policy_client *pc = client_by_user(p, user, &idx);
	uint8_t got[32] = {0}, want[32] = {0x5a};
	bool hashed = ha1(GNUTLS_DIG_SHA256, user, p->realm, pass, got) == 0;
	memset(pass, 0, sizeof(pass));
	if (pc)
		memcpy(want, pc->ha1_sha256, 32);
	bool ok = ct_equal(got, want, 32) && hashed && pc != NULL;
	if (!ok)
		return AUTH_FAIL;
	*client = idx;
	return AUTH_OK;
}

/* ---- the identity of a request ---- */

enum auth_result auth_identify(const struct snapshot_access *a, struct digest_state *ds, const struct auth_request *rq,
                               ssize_t *client)
{
	const struct policy *p = a->policy;
	ssize_t by_cert = -1;
	*client = -1;
	if (rq->verified_session)
		by_cert = client_by_certificate(p, rq->verified_session, rq->verified_tls, rq->issuers);
	if (rq->nauthorization == 0 || rq->authorization == NULL) {
		*client = by_cert;
		return by_cert >= 0 ? AUTH_OK : AUTH_NONE;
	}
	if (rq->nauthorization > 1)
		return AUTH_FAIL; /* one set of credentials per request */
	ssize_t idx = -1;
	enum auth_result r = AUTH_FAIL;
	if (after_scheme(rq->authorization, "Digest") != NULL)
		r = rq->digest_ok ? digest(a, ds, rq, &idx) : AUTH_FAIL;
	else if (after_scheme(rq->authorization, "Basic") != NULL)
		r = rq->basic_ok ? basic(p, rq->authorization, &idx) : AUTH_FAIL; /* never a password in clear text */
	/* credentials that are sent must verify, and name the certificate's
	 * client where a certificate names one */
	if (r != AUTH_OK)
		return r;
	if (by_cert >= 0 && by_cert != idx)
		return AUTH_FAIL;
	*client = idx;
	return AUTH_OK;
}

ssize_t auth_certificate_client(const struct snapshot_access *a, gnutls_session_t verified, const struct tls_state *tls)
{
	return verified ? client_by_certificate(a->policy, verified, tls, NULL) : -1;
}

bool auth_password_fingerprint(const struct policy_client *pc, uint8_t out[AUTH_CREDENTIALS_LEN])
{
	uint8_t head[2 + sizeof(pc->ha1_sha256) + sizeof(pc->ha1_md5)];
	head[0] = pc->has_sha256;
	head[1] = pc->has_md5;
	memcpy(head + 2, pc->ha1_sha256, sizeof(pc->ha1_sha256));
	memcpy(head + 2 + sizeof(pc->ha1_sha256), pc->ha1_md5, sizeof(pc->ha1_md5));
	gnutls_hash_hd_t h;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return false;
	gnutls_hash(h, head, sizeof(head));
	if (pc->user)
		gnutls_hash(h, pc->user, strlen(pc->user));
	gnutls_hash_deinit(h, out);
	return true;
}

/* ---- who an Authorization header claims to be ---- */

struct claimed {
	char *out;
	size_t outlen;
	bool found, bad;
};

static int take_username(void *ctx, const char *name, const char *value)
{
	struct claimed *c = ctx;
	if (strcasecmp(name, "username") != 0)
		return 0;
	size_t n = strlen(value);
	if (c->found || n + 1 > c->outlen) {
		c->bad = true; /* repeated (which one would count?), or too long */
		return ALTOD_EPARSE;
	}
	memcpy(c->out, value, n + 1);
	c->found = true;
	return 0;
}

bool auth_claimed_user(const char *header, char *out, size_t outlen)
{
	if (header == NULL || outlen == 0)
		return false;
	const char *b = after_scheme(header, "Basic");
	if (b)
		return basic_decode(b, out, outlen, NULL, 0);
	const char *d = after_scheme(header, "Digest");
	size_t n = d ? strnlen(d, DIGEST_MAX_CREDENTIALS + 1) : 0;
	if (d == NULL || n > DIGEST_MAX_CREDENTIALS)
		return false;
	/* the one tokenizer of Digest credentials (digest.h) */
	char *buf = malloc(2 * n + 2);
	struct claimed c = {out, outlen, false, false};
	int rc = buf ? digest_tokenize(d, n, buf, 2 * n + 2, take_username, &c) : ALTOD_ENOMEM;
	free(buf);
	return rc == 0 && c.found && !c.bad;
}

/* ---- challenges ---- */

size_t auth_challenges(const struct snapshot_access *a, struct digest_state *ds, bool stale, bool basic_ok,
                       char out[][AUTH_CHALLENGE_MAX], size_t max)
{
	const struct policy *p = a->policy;
	const uint8_t *key = nonce_key(a, ds);
	size_t n = 0;
	/* RFC 7616 §3.7: the preferred algorithm first (access.digest-algorithms'
	 * order); each challenge its own nonce */
	for (size_t i = 0; i < p->ndigest_algs && n < max; i++) {
		char nonce[DIGEST_NONCE_HEX + 1];
		digest_nonce_issue(ds, key, clock_real_ns(), nonce);
		if (digest_challenge(out[n], AUTH_CHALLENGE_MAX, p->realm, nonce, p->digest_algs[i], stale) > 0)
			n++;
	}
	if (basic_ok && n < max) {
		int k = snprintf(out[n], AUTH_CHALLENGE_MAX, "Basic realm=\"%s\", charset=\"UTF-8\"", p->realm);
		if (k > 0 && k < AUTH_CHALLENGE_MAX)
			n++;
	}
	return n;
}

int auth_hash_password(const char *user, const char *realm, const char *password, char sha256_hex[65], char md5_hex[33])
{
	uint8_t d[32];
	int rc = ha1(GNUTLS_DIG_SHA256, user, realm, password, d);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < 32; i++)
		snprintf(sha256_hex + 2 * i, 3, "%02x", d[i]);
	rc = ha1(GNUTLS_DIG_MD5, user, realm, password, d);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < 16; i++)
		snprintf(md5_hex + 2 * i, 3, "%02x", d[i]);
	return 0;
}

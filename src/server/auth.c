/* SPDX-License-Identifier: BSD-2-Clause */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "altod/auth.h"

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

static ssize_t client_by_certificate(const struct policy *p, gnutls_session_t session)
{
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
		if (!c->cert_sha256 && !c->cert_subject && !c->cert_san)
			continue;
		if (c->cert_sha256 && strcmp(c->cert_sha256, fphex) != 0)
			continue;
		if (c->cert_subject && (dn.data == NULL || strcmp(c->cert_subject, (const char *)dn.data) != 0))
			continue;
		if (c->cert_san && !san_matches(crt, c->cert_san))
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
		return -1;
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

/* The algorithm of a Digest Authorization header (RFC 7616 §3.4). */
static bool digest_is_sha256(const char *auth)
{
	const char *a = strcasestr(auth, "algorithm=");
	if (a == NULL)
		return false; /* absent: MD5 */
	a += 10;
	if (*a == '"')
		a++;
	return strncasecmp(a, "SHA-256", 7) == 0 && (a[7] == '"' || a[7] == ',' || a[7] == ' ' || a[7] == '\0');
}

/* Is the nonce of a Digest Authorization of the form this server issues
 * (hex: 64 digits for SHA-256 or 32 for MD5, then an 8-digit time)?
 * libmicrohttpd 0.9.75 reads uninitialised memory on a shorter one. */
static bool nonce_well_formed(const char *auth, bool sha)
{
	const char *n = strcasestr(auth, "nonce=\"");
	while (n && n > auth && n[-1] == 'c') /* not "cnonce" */
		n = strcasestr(n + 1, "nonce=\"");
	if (n == NULL)
		return false;
	n += 7;
	size_t len = 0;
	while (isxdigit((unsigned char)n[len]))
		len++;
	return n[len] == '"' && len == (sha ? 64u : 32u) + 8;
}

static enum auth_result digest(struct MHD_Connection *c, const struct policy *p, const char *auth, ssize_t *client)
{
	static const uint8_t dummy[32] = {0x5a};
	char *user = MHD_digest_auth_get_username(c);
	if (user == NULL)
		return AUTH_FAIL;
	ssize_t idx;
	const struct policy_client *pc = client_by_user(p, user, &idx);
	bool sha = digest_is_sha256(auth);
	if (!nonce_well_formed(auth, sha)) {
		MHD_free(user);
		return AUTH_FAIL; /* not a nonce of ours */
	}
	/* an unknown user, or one without an MD5 secret answering with MD5,
	 * is checked against a dummy secret: the same work, and a failure */
	const uint8_t *secret = dummy;
	if (pc && sha)
		secret = pc->ha1_sha256;
	else if (pc && pc->has_md5)
		secret = pc->ha1_md5;
	int rc = MHD_digest_auth_check_digest2(c, p->realm, user, secret, sha ? 32 : 16, AUTH_NONCE_TIMEOUT,
	                                       sha ? MHD_DIGEST_ALG_SHA256 : MHD_DIGEST_ALG_MD5);
	MHD_free(user);
	if (rc == MHD_INVALID_NONCE)
		return AUTH_STALE;
	if (rc != MHD_YES || secret == dummy)
		return AUTH_FAIL;
	*client = idx;
	return AUTH_OK;
}

static enum auth_result basic(struct MHD_Connection *c, const struct policy *p, ssize_t *client)
{
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(c, &pass);
	if (user == NULL) {
		MHD_free(pass);
		return AUTH_FAIL;
	}
	ssize_t idx;
	const struct policy_client *pc = client_by_user(p, user, &idx);
	uint8_t got[32] = {0}, want[32] = {0x5a};
	bool hashed = ha1(GNUTLS_DIG_SHA256, user, p->realm, pass ? pass : "", got) == 0;
	if (pc)
		memcpy(want, pc->ha1_sha256, 32);
	bool ok = ct_equal(got, want, 32) && hashed && pc != NULL;
	if (pass) {
		memset(pass, 0, strlen(pass));
		MHD_free(pass);
	}
	MHD_free(user);
	if (!ok)
		return AUTH_FAIL;
	*client = idx;
	return AUTH_OK;
}

enum auth_result auth_identify(struct MHD_Connection *c, const struct policy *p, gnutls_session_t verified_session,
                               bool basic_ok, ssize_t *client)
{
	*client = -1;
	/* a verified certificate that names a client is the strongest answer */
	if (verified_session) {
		ssize_t i = client_by_certificate(p, verified_session);
		if (i >= 0) {
			*client = i;
			return AUTH_OK;
		}
	}
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth == NULL)
		return AUTH_NONE;
	while (*auth == ' ')
		auth++;
	if (strncasecmp(auth, "Digest ", 7) == 0)
		return digest(c, p, auth, client);
	if (strncasecmp(auth, "Basic ", 6) == 0)
		return basic_ok ? basic(c, p, client) : AUTH_FAIL; /* never a password in clear text */
	return AUTH_FAIL;
}

static enum MHD_Result find_md5_challenge(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	char **out = cls;
	if (strcasecmp(key, MHD_HTTP_HEADER_WWW_AUTHENTICATE) == 0 && strstr(value, "algorithm=md5") && !*out)
		*out = strdup(value);
	return MHD_YES;
}

enum MHD_Result auth_challenge(struct MHD_Connection *c, const struct policy *p, bool stale, bool basic_ok,
                               struct MHD_Response *r)
{
	/* libmicrohttpd 0.9.75 makes one challenge per call: it registers the
	 * nonce, adds the WWW-Authenticate header to the response, then queues
	 * it. The first call queues the response; the second only adds its
	 * header (its own queueing is refused), so one 401 offers both.
	 * The SHA-256 nonce is registered last: its table's slots collide, and
	 * a later nonce evicts an earlier one in the same slot; the preferred
	 * challenge must be the one that survives. Its header is then moved
	 * first, as RFC 7616 §3.7 wants the preferred algorithm listed first. */
	enum MHD_Result ret =
	        MHD_queue_auth_fail_response2(c, p->realm, "altod", r, stale ? MHD_YES : MHD_NO, MHD_DIGEST_ALG_MD5);
	(void)MHD_queue_auth_fail_response2(c, p->realm, "altod", r, stale ? MHD_YES : MHD_NO, MHD_DIGEST_ALG_SHA256);
	char *md5 = NULL;
	MHD_get_response_headers(r, find_md5_challenge, &md5);
	if (md5 && MHD_del_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, md5) == MHD_YES)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, md5);
	free(md5);
	if (basic_ok) {
		char hdr[256];
		snprintf(hdr, sizeof(hdr), "Basic realm=\"%s\", charset=\"UTF-8\"", p->realm);
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, hdr);
	}
	MHD_destroy_response(r);
	return ret;
}

int auth_hash_password(const char *user, const char *realm, const char *password, char sha256_hex[65], char md5_hex[33])
{
	uint8_t d[32];
	if (ha1(GNUTLS_DIG_SHA256, user, realm, password, d) != 0)
		return -1;
	for (size_t i = 0; i < 32; i++)
		snprintf(sha256_hex + 2 * i, 3, "%02x", d[i]);
	if (ha1(GNUTLS_DIG_MD5, user, realm, password, d) != 0)
		return -1;
	for (size_t i = 0; i < 16; i++)
		snprintf(md5_hex + 2 * i, 3, "%02x", d[i]);
	return 0;
}

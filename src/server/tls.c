/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/log.h"
#include "server/tls.h"

#include <gnutls/crypto.h>

void tls_state_free(struct tls_state *st)
{
	if (st == NULL)
		return;
	for (unsigned i = 0; i < st->npcert; i++)
		gnutls_pcert_deinit(&st->pcert[i]);
	if (st->key)
		gnutls_privkey_deinit(st->key);
	if (st->trust)
		gnutls_x509_trust_list_deinit(st->trust, 1);
	for (unsigned i = 0; i < st->nanchors; i++)
		gnutls_x509_trust_list_deinit(st->anchors[i].trust, 1);
	free(st->anchors);
	free(st);
}

static int fail(struct diag *d, const struct conf *c, const struct conf_listener *l, const char *what, const char *file,
                int gerr)
{
	diag_add(d, c->path, l->line, l->col, "tls %s %s: %s", what, file, gnutls_strerror(gerr));
	return ALTOD_ECONFIG;
}

/* The CRLs of client-crl (PEM: one or more; else one in DER), each checked
 * against the client CAs before it is used: a CRL that none of them signed,
 * or that is past its next update, is an error, not silently ignored (a
 * revocation list that is not applied would look applied). */
static int load_crls(struct tls_state *st, const struct conf *c, const struct conf_tls *t, const gnutls_datum_t *ca,
                     const gnutls_datum_t *raw, struct diag *d)
{
	gnutls_x509_crt_t *cas = NULL;
	gnutls_x509_crl_t *crls = NULL;
	unsigned ncas = 0, ncrls = 0, i = 0;
	int rc = ALTOD_ECONFIG, g;

	if (raw->size == 0) {
		g = 0; /* no CRL in the file */
	} else if (memmem(raw->data, raw->size, "-----BEGIN", 10) != NULL) {
		g = gnutls_x509_crl_list_import2(&crls, &ncrls, raw, GNUTLS_X509_FMT_PEM, 0);
	} else if ((crls = gnutls_malloc(sizeof(*crls))) == NULL) {
		g = GNUTLS_E_MEMORY_ERROR;
	} else if ((g = gnutls_x509_crl_init(&crls[0])) == 0) {
		if ((g = gnutls_x509_crl_import(crls[0], raw, GNUTLS_X509_FMT_DER)) < 0)
			gnutls_x509_crl_deinit(crls[0]);
		else
			ncrls = 1;
	}
	if (g < 0 || ncrls == 0) {
		diag_add(d, c->path, t->crl_line, t->crl_col, "tls client-crl %s: %s", t->client_crl,
		         g < 0 ? gnutls_strerror(g) : "no CRL in the file");
		goto out;
	}
	if ((g = gnutls_x509_crt_list_import2(&cas, &ncas, ca, GNUTLS_X509_FMT_PEM, 0)) < 0) {
		diag_add(d, c->path, t->crl_line, t->crl_col, "tls client-ca %s: %s", t->client_ca, gnutls_strerror(g));
		goto out;
	}
	time_t now = time(NULL);
	for (; i < ncrls; i++) {
		unsigned status = 0;
		time_t next = gnutls_x509_crl_get_next_update(crls[i]);
		gnutls_datum_t issuer = {NULL, 0};
		gnutls_x509_crl_get_issuer_dn3(crls[i], &issuer, 0);
		const char *who = issuer.data ? (const char *)issuer.data : "?";
		if (next != (time_t)-1 && next < now) {
			diag_add(d, c->path, t->crl_line, t->crl_col,
			         "tls client-crl %s: the CRL of '%s' is past its next update: publish a fresh one",
			         t->client_crl, who);
			g = GNUTLS_E_EXPIRED;
		} else if ((g = gnutls_x509_crl_verify(crls[i], cas, ncas, 0, &status)) < 0 || status != 0) {
			gnutls_datum_t why = {NULL, 0};
			if (g >= 0)
				gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0);
			diag_add(d, c->path, t->crl_line, t->crl_col,
			         "tls client-crl %s: the CRL of '%s' does not verify against client-ca: %s",
			         t->client_crl, who,
			         g < 0      ? gnutls_strerror(g)
			         : why.data ? (const char *)why.data
			                    : "?");
			gnutls_free(why.data);
		}
		gnutls_free(issuer.data);
		if (g < 0 || status != 0)
			goto out;
		/* the list owns it from here (freed with the list) */
		if (gnutls_x509_trust_list_add_crls(st->trust, &crls[i], 1, 0, 0) != 1) {
			diag_add(d, c->path, t->crl_line, t->crl_col, "tls client-crl %s: %s", t->client_crl,
			         gnutls_strerror(GNUTLS_E_MEMORY_ERROR));
			goto out;
		}
	}
	rc = 0;
out:
	for (; i < ncrls; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
	for (unsigned k = 0; k < ncas; k++)
		gnutls_x509_crt_deinit(cas[k]);
	gnutls_free(cas);
	return rc;
}

/* Each CA certificate of client-ca in a trust list of its own, with its
 * fingerprint: the anchors a client rule's issuer-sha256 names. */
static int load_anchors(struct tls_state *st, const struct conf *c, const struct conf_listener *l,
                        const gnutls_datum_t *ca, struct diag *d)
{
	gnutls_x509_crt_t *cas = NULL;
	unsigned ncas = 0, i = 0;
	int g = gnutls_x509_crt_list_import2(&cas, &ncas, ca, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0)
		return fail(d, c, l, "client-ca", l->tls->client_ca, g);
	if (ncas > 0 && (st->anchors = calloc(ncas, sizeof(*st->anchors))) == NULL)
		g = GNUTLS_E_MEMORY_ERROR;
	for (; g >= 0 && i < ncas; i++) {
		struct tls_anchor *a = &st->anchors[i];
		size_t len = sizeof(a->sha256);
		if ((g = gnutls_x509_crt_get_fingerprint(cas[i], GNUTLS_DIG_SHA256, a->sha256, &len)) < 0 ||
		    (g = gnutls_x509_trust_list_init(&a->trust, 0)) < 0)
			break;
		st->nanchors++;
		/* the list owns the certificate from here (even where it could
		 * not take it: never freed twice) */
		if (gnutls_x509_trust_list_add_cas(a->trust, &cas[i], 1, 0) != 1) {
			g = GNUTLS_E_MEMORY_ERROR;
			i++;
			break;
		}
	}
	if (g < 0)
		for (; i < ncas; i++)
			gnutls_x509_crt_deinit(cas[i]);
	gnutls_free(cas);
	return g < 0 ? fail(d, c, l, "client-ca", l->tls->client_ca, g) : 0;
}

int tls_state_load(const struct conf *c, const struct conf_listener *l, struct tls_state **out, struct diag *d)
{
	const struct conf_tls *t = l->tls;
	gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0}, ca = {NULL, 0}, crl = {NULL, 0};
	struct tls_state *st = calloc(1, sizeof(*st));
	int rc = ALTOD_ECONFIG, g;

	*out = NULL;
	if (st == NULL)
		return ALTOD_ENOMEM;
	st->client_auth = t->client_auth;
	if ((g = gnutls_load_file(t->certificate, &cert)) < 0) {
		fail(d, c, l, "certificate", t->certificate, g);
		goto out;
	}
	if ((g = gnutls_load_file(t->key, &key)) < 0) {
		fail(d, c, l, "key", t->key, g);
		goto out;
	}
	st->npcert = TLS_MAX_CHAIN;
	if ((g = gnutls_pcert_list_import_x509_raw(st->pcert, &st->npcert, &cert, GNUTLS_X509_FMT_PEM, 0)) < 0) {
		st->npcert = 0;
		fail(d, c, l, "certificate", t->certificate, g);
		goto out;
	}
	if ((g = gnutls_privkey_init(&st->key)) < 0 ||
	    (g = gnutls_privkey_import_x509_raw(st->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		fail(d, c, l, "key", t->key, g);
		goto out;
	}
	/* GnuTLS checks that the key belongs to the certificate */
	gnutls_certificate_credentials_t probe;
	if ((g = gnutls_certificate_allocate_credentials(&probe)) < 0) {
		fail(d, c, l, "certificate", t->certificate, g);
		goto out;
	}
	g = gnutls_certificate_set_x509_key_mem2(probe, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(probe);
	if (g < 0) {
		fail(d, c, l, "key", t->key, g);
		goto out;
	}
	/* with client-auth: none no client certificate is asked for: the CA
	 * list (and its CRLs) is not used, and not loaded */
	if (t->client_ca && t->client_auth != TLS_CLIENT_NONE) {
		if ((g = gnutls_x509_trust_list_init(&st->trust, 0)) < 0 ||
		    (g = gnutls_load_file(t->client_ca, &ca)) < 0) {
			fail(d, c, l, "client-ca", t->client_ca, g);
			goto out;
		}
		g = gnutls_x509_trust_list_add_trust_mem(st->trust, &ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		if (g <= 0) {
			if (g == 0)
				diag_add(d, c->path, l->line, l->col, "tls client-ca %s: no CA certificate in the file",
				         t->client_ca);
			else
				fail(d, c, l, "client-ca", t->client_ca, g);
			goto out;
		}
		if (load_anchors(st, c, l, &ca, d) != 0)
			goto out;
		if (t->client_crl) {
			if ((g = gnutls_load_file(t->client_crl, &crl)) < 0) {
				diag_add(d, c->path, t->crl_line, t->crl_col, "tls client-crl %s: %s", t->client_crl,
				         gnutls_strerror(g));
				goto out;
			}
			if (load_crls(st, c, t, &ca, &crl, d) != 0)
				goto out;
		}
	}
	gnutls_priority_t prio;
	const char *err_pos = NULL;
	if ((g = gnutls_priority_init(&prio, t->priorities, &err_pos)) < 0) {
		/* where in the string as written (the floor is appended) */
		size_t at = err_pos ? (size_t)(err_pos - t->priorities) : 0;
		diag_add(d, c->path, l->line, l->col, "tls priorities '%s': %s at '%s'", t->priorities_conf,
		         gnutls_strerror(g), at < strlen(t->priorities_conf) ? t->priorities_conf + at : "");
		goto out;
	}
	/* what the string leaves on, with the floor applied: something of TLS
	 * 1.2 or 1.3, and nothing older (the floor makes that hold; this is
	 * the check that it does) */
	const unsigned *vers = NULL;
	int nvers = gnutls_priority_protocol_list(prio, &vers);
	bool modern = false, old = false;
	for (int i = 0; i < nvers; i++) {
		if (vers[i] == GNUTLS_TLS1_2 || vers[i] == GNUTLS_TLS1_3)
			modern = true;
		else if (vers[i] == GNUTLS_SSL3 || vers[i] == GNUTLS_TLS1_0 || vers[i] == GNUTLS_TLS1_1 ||
		         vers[i] == GNUTLS_DTLS0_9 || vers[i] == GNUTLS_DTLS1_0)
			old = true;
	}
	gnutls_priority_deinit(prio);
	if (!modern || old) {
		diag_add(d, c->path, t->prio_line ? t->prio_line : l->line, t->prio_line ? t->prio_col : l->col,
		         "tls priorities '%s': %s", t->priorities_conf,
		         old ? "enables a protocol below TLS 1.2" : "enables neither TLS 1.2 nor TLS 1.3");
		goto out;
	}
	/* what it was made of: a reload that changes nothing keeps the state
	 * in use (replaced states are kept until the server stops) */
	gnutls_hash_hd_t h;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) == 0) {
		gnutls_hash(h, cert.data, cert.size);
		gnutls_hash(h, key.data, key.size);
		gnutls_hash(h, &st->client_auth, sizeof(st->client_auth));
		/* lengths first: no two lists of files hash the same */
		uint64_t sizes[2] = {ca.size, crl.size};
		gnutls_hash(h, sizes, sizeof(sizes));
		if (ca.data)
			gnutls_hash(h, ca.data, ca.size);
		if (crl.data)
			gnutls_hash(h, crl.data, crl.size);
		gnutls_hash_deinit(h, st->digest);
	}
	rc = 0;
out:
	gnutls_free(cert.data);
	gnutls_free(ca.data);
	gnutls_free(crl.data);
	if (key.data) {
		gnutls_memset(key.data, 0, key.size);
		gnutls_free(key.data);
	}
	if (rc != 0)
		tls_state_free(st);
	else
		*out = st;
	return rc;
}

/* The certificates the session's peer sent, parsed into chain (at most
 * TLS_MAX_CHAIN); 0 with *n = 0 when there are none, else their number in
 * *n, or a GnuTLS error (nothing to free). */
static int peer_chain(gnutls_session_t session, gnutls_x509_crt_t chain[TLS_MAX_CHAIN], unsigned *n)
{
	unsigned sent = 0, k = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &sent);
	*n = 0;
	if (peers == NULL || sent == 0)
		return 0;
	for (; k < sent && k < TLS_MAX_CHAIN; k++) {
		if (gnutls_x509_crt_init(&chain[k]) < 0)
			break;
		if (gnutls_x509_crt_import(chain[k], &peers[k], GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(chain[k]);
			break;
		}
	}
	if (k < sent && k < TLS_MAX_CHAIN) {
		for (unsigned i = 0; i < k; i++)
			gnutls_x509_crt_deinit(chain[i]);
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	*n = k;
	return 0;
}

/* Verifies chain against trust as the handshake does: for TLS client
 * authentication (the CRLs trust holds are applied: GNUTLS_CERT_REVOKED). */
static int verify_chain(gnutls_x509_trust_list_t trust, gnutls_x509_crt_t *chain, unsigned n, unsigned *status)
{
	gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
	if (gnutls_x509_trust_list_verify_crt2(trust, chain, n, &purpose, 1, 0, status, NULL) < 0 || *status)
		return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
	return 0;
}

int tls_verify_peer(const struct tls_state *st, gnutls_session_t session, unsigned *status)
{
	*status = 0;
	if (st->trust == NULL)
		return 0; /* no client certificate asked for, none used */
	gnutls_x509_crt_t chain[TLS_MAX_CHAIN];
	unsigned n = 0;
	int rc = peer_chain(session, chain, &n);
	if (rc < 0)
		return rc;
	if (n == 0)
		return st->client_auth == TLS_CLIENT_REQUIRE ? GNUTLS_E_CERTIFICATE_REQUIRED : 0;
	rc = verify_chain(st->trust, chain, n, status);
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(chain[i]);
	return rc;
}

bool tls_peer_issued_by(const struct tls_state *st, gnutls_session_t session, const uint8_t sha256[32],
                        struct tls_issuer_cache *cache)
{
	unsigned i = 0;
	while (i < st->nanchors && memcmp(st->anchors[i].sha256, sha256, 32) != 0)
		i++;
	if (i == st->nanchors)
		return false; /* this listener does not trust that CA */
	uint64_t bit = i < 64 ? (uint64_t)1 << i : 0;
	if (cache && cache->gen != st->gen)
		*cache = (struct tls_issuer_cache){.gen = st->gen};
	if (cache && (cache->checked & bit))
		return (cache->issued & bit) != 0;
	gnutls_x509_crt_t chain[TLS_MAX_CHAIN];
	unsigned n = 0, status = 0;
	bool issued = false;
	if (peer_chain(session, chain, &n) == 0 && n > 0) {
		/* the anchor is the one CA: a chain the client sent that
		 * carries a copy of it after a certificate another CA signed
		 * (of the same name or not) does not verify (RFC 5280 §6.1:
		 * the path ends at the trust anchor, each signature checked) */
		issued = verify_chain(st->anchors[i].trust, chain, n, &status) == 0;
		for (unsigned k = 0; k < n; k++)
			gnutls_x509_crt_deinit(chain[k]);
	}
	if (cache) {
		cache->checked |= bit;
		if (issued)
			cache->issued |= bit;
	}
	return issued;
}

bool tls_states_hold_ca(struct tls_state *const *states, size_t n, const uint8_t sha256[32])
{
	for (size_t s = 0; s < n; s++)
		for (unsigned i = 0; states[s] && i < states[s]->nanchors; i++)
			if (memcmp(states[s]->anchors[i].sha256, sha256, 32) == 0)
				return true;
	return false;
}

static void gnutls_log(int level, const char *msg)
{
	log_msg(LOG_LVL_DEBUG, "gnutls", "<%d> %s", level, msg);
}

void tls_state_follow(struct tls_state *st, const struct tls_state *prev)
{
	st->gen = prev ? prev->gen + 1 : 1;
}

void tls_log_init(int verbose)
{
	gnutls_global_set_log_function(gnutls_log);
	gnutls_global_set_log_level(verbose ? 2 : 0);
}

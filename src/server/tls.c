/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "altod/err.h"
#include "altod/log.h"
#include "altod/tls.h"

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
	free(st);
}

static int fail(struct diag *d, const struct conf *c, const struct conf_listener *l, const char *what, const char *file,
                int gerr)
{
	diag_add(d, c->path, l->line, l->col, "tls %s %s: %s", what, file, gnutls_strerror(gerr));
	return ALTOD_ECONFIG;
}

int tls_state_load(const struct conf *c, const struct conf_listener *l, struct tls_state **out, struct diag *d)
{
	const struct conf_tls *t = l->tls;
	gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0};
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
	 * list is not used, and not loaded */
	if (t->client_ca && t->client_auth != TLS_CLIENT_NONE) {
		if ((g = gnutls_x509_trust_list_init(&st->trust, 0)) < 0) {
			fail(d, c, l, "client-ca", t->client_ca, g);
			goto out;
		}
		g = gnutls_x509_trust_list_add_trust_file(st->trust, t->client_ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		if (g <= 0) {
			if (g == 0)
				diag_add(d, c->path, l->line, l->col, "tls client-ca %s: no CA certificate in the file",
				         t->client_ca);
			else
				fail(d, c, l, "client-ca", t->client_ca, g);
			goto out;
		}
	}
	gnutls_priority_t prio;
	const char *err_pos = NULL;
	if ((g = gnutls_priority_init(&prio, t->priorities, &err_pos)) < 0) {
		diag_add(d, c->path, l->line, l->col, "tls priorities '%s': %s at '%s'", t->priorities,
		         gnutls_strerror(g), err_pos ? err_pos : "");
		goto out;
	}
	gnutls_priority_deinit(prio);
	/* what it was made of: a reload that changes nothing keeps the state
	 * in use (replaced states are kept until the server stops) */
	gnutls_hash_hd_t h;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) == 0) {
		gnutls_hash(h, cert.data, cert.size);
		gnutls_hash(h, key.data, key.size);
		gnutls_hash(h, &st->client_auth, sizeof(st->client_auth));
		gnutls_datum_t ca = {NULL, 0};
		if (st->trust && gnutls_load_file(t->client_ca, &ca) == 0) {
			gnutls_hash(h, ca.data, ca.size);
			gnutls_free(ca.data);
		}
		gnutls_hash_deinit(h, st->digest);
	}
	rc = 0;
out:
	gnutls_free(cert.data);
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

static void gnutls_log(int level, const char *msg)
{
	log_msg(LOG_LVL_DEBUG, "gnutls", "<%d> %s", level, msg);
}

void tls_log_init(int verbose)
{
	gnutls_global_set_log_function(gnutls_log);
	gnutls_global_set_log_level(verbose ? 2 : 0);
}

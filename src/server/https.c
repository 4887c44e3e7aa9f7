/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS glue: the listener's current certificate handed over per handshake
 * (so a reload rotates it), client certificates verified against the
 * listener's client CAs and CRLs in the handshake, and again before a
 * request when a reload changed that trust since (tls.h).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/x509.h>

#include "util/log.h"
#include "http_internal.h"

/* The listener a TLS session came in on: its connection's. */
static struct listener *listener_of(gnutls_session_t session)
{
	struct MHD_Connection *c = gnutls_session_get_ptr(session);
	struct conn_ctx *cc = c ? conn_of(c) : NULL;
	return cc ? cc->l : NULL;
}

static void log_refused(const struct listener *l, int rc, unsigned status, const char *when)
{
	gnutls_datum_t why = {NULL, 0};
	if (status)
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0);
	log_info("tls", "%s: client certificate refused%s: %s", l->name, when,
	         why.data ? (char *)why.data : gnutls_strerror(rc));
	gnutls_free(why.data);
}

/* Checks the client's certificate chain against the listener's client CAs
 * and CRLs during the handshake: a certificate they did not sign, or that
 * they revoked, ends it. The connection remembers what it passed. */
static int verify_client(gnutls_session_t session)
{
	struct listener *l = listener_of(session);
	struct tls_state *st = l ? atomic_load(&l->tls) : NULL;
	if (st == NULL)
		return GNUTLS_E_CERTIFICATE_ERROR;
	unsigned status = 0;
	int rc = tls_verify_peer(st, session, &status);
	if (rc != 0) {
		log_refused(l, rc, status, "");
		return rc;
	}
	struct MHD_Connection *c = gnutls_session_get_ptr(session);
	struct conn_ctx *cc = c ? conn_of(c) : NULL;
	if (cc)
		cc->tls_gen = st->gen;
	return 0;
}

/* Before each request on an HTTPS connection: a reload may have replaced
 * the listener's TLS state (other client CAs, a new CRL, client-auth
 * require) since the connection's certificate was verified. Then it is
 * verified again against the current state; false: it does not pass, the
 * request is refused and the connection closed. Plain HTTP: true. With
 * true, *verified is the session when its client certificate (if any) was
 * checked against the current client CAs. */
bool https_rebind(struct MHD_Connection *c, gnutls_session_t *verified, const struct tls_state **tls)
{
	*verified = NULL;
	*tls = NULL;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return true;
	struct listener *l = listener_of(ci->tls_session);
	struct tls_state *st = l ? atomic_load(&l->tls) : NULL;
	struct conn_ctx *cc = conn_of(c);
	if (st == NULL || cc == NULL)
		return false; /* cannot tell what it was verified against */
	if (cc->tls_gen != st->gen) {
		unsigned status = 0;
		int rc = tls_verify_peer(st, ci->tls_session, &status);
		if (rc != 0) {
			log_refused(l, rc, status, " on a live connection after a reload");
			return false;
		}
		cc->tls_gen = st->gen;
	}
	if (st->trust) {
		*verified = ci->tls_session;
		*tls = st;
	}
	return true;
}

static const struct policy_client *client_named(const struct snapshot *s, const char *name)
{
	const struct policy *p = s->access ? s->access->policy : NULL;
	for (size_t i = 0; p && name && i < p->nclients; i++)
		if (strcmp(p->clients[i].name, name) == 0)
			return &p->clients[i];
	return NULL;
}

bool https_hold_identity(struct MHD_Connection *c, const struct snapshot *s, const char *client,
                         struct held_identity *h)
{
	memset(h, 0, sizeof(*h));
	h->client = client;
	if (client == NULL)
		return true;
	/* credentials that are sent must verify (auth.h): with an
	 * Authorization header they named the client, else its certificate */
	h->by_password = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) != NULL;
	const struct policy_client *pc = client_named(s, client);
	return !h->by_password || (pc && auth_password_fingerprint(pc, h->password));
}

/* As before any request (docs/isolation.md): a reload that changed the
 * listener's client CAs, CRLs or client-auth verifies the certificate
 * again (a revoked one fails); a client its certificate named must still
 * be the one it names; a client whose password entry a reload replaced (a
 * stolen password is rotated so) is not served on the old one any more. */
unsigned https_identity_holds(struct MHD_Connection *c, const struct snapshot *s, const struct held_identity *h)
{
	gnutls_session_t verified = NULL;
	const struct tls_state *tls = NULL;
	if (!https_rebind(c, &verified, &tls))
		return MHD_HTTP_MISDIRECTED_REQUEST;
	if (h->client == NULL || s->access == NULL)
		return 0; /* the holder's catalog lookup tells */
	const struct policy *p = s->access->policy;
	ssize_t idx = auth_certificate_client(s->access, verified, tls);
	bool cert_names_it = idx >= 0 && strcmp(p->clients[idx].name, h->client) == 0;
	if (!h->by_password)
		return cert_names_it ? 0 : MHD_HTTP_NOT_FOUND;
	/* where a certificate came too, it may name no other client */
	if (idx >= 0 && !cert_names_it)
		return MHD_HTTP_NOT_FOUND;
	const struct policy_client *pc = client_named(s, h->client);
	uint8_t now[AUTH_CREDENTIALS_LEN];
	if (pc == NULL || !auth_password_fingerprint(pc, now) || memcmp(now, h->password, sizeof(now)) != 0)
		return MHD_HTTP_NOT_FOUND;
	return 0;
}

/* libmicrohttpd 0.9.75 sends an HTTPS answer as two TLS records, its header
 * and then its body (MHD_send_hdr_and_body_ never gathers them on TLS).
 * Below 1400 bytes in all it corks the socket for the header and pushes
 * both at the end: one TCP segment. From 1400 bytes on it pushes the
 * header alone ("so the client may react on it"): the header leaves as a
 * segment of its own, ahead of the body's, and a keep-alive client is
 * woken for a header it cannot use without the body (on loopback the
 * receive side of each segment also runs in altod's send). For an answer
 * built whole before it is queued that buys nothing: altod corks the
 * socket itself from just before the answer is queued until the request
 * completes (route_completed), so header and body leave together, in full
 * segments. Not for plain HTTP (libmicrohttpd sends header and body in one
 * sendmsg there), not for a body below 1400 bytes (libmicrohttpd may cork
 * itself), not for HEAD or a body-less status (the caller passes 0).
 * Uncorking pushes what is left; closing or shutting the socket down does
 * too (gnutls_bye's close_notify follows the answer in the same stream),
 * so nothing stays behind whatever way the connection ends. A socket that
 * is corked already is libmicrohttpd's doing (it corks for a smaller answer
 * and keeps the cork, pushing with TCP_NODELAY): left alone, as
 * libmicrohttpd expects to find it, else the next small answer would leave
 * in two segments. */
/* body bytes: with any header, 1400 in all. Not less: an answer that
 * libmicrohttpd corks itself would find the socket corked, believe it
 * corked after altod uncorks it, and send the next small answers' headers
 * alone */
#define HTTPS_CORK_MIN 1400

bool https_cork(struct MHD_Connection *c, size_t body_len)
{
	if (body_len < HTTPS_CORK_MIN)
		return false;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return false;
	struct conn_ctx *cc = conn_of(c);
	if (cc == NULL || cc->fd < 0)
		return false;
	int on = 0;
	socklen_t sl = sizeof(on);
	if (getsockopt(cc->fd, IPPROTO_TCP, TCP_CORK, &on, &sl) != 0 || on)
		return false;
	on = 1;
	return setsockopt(cc->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0;
}

void https_uncork(struct MHD_Connection *c)
{
	struct conn_ctx *cc = conn_of(c);
	int zero = 0;
	/* fails harmlessly on a socket already shut down (its data went) */
	if (cc && cc->fd >= 0)
		(void)setsockopt(cc->fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
}

/* Called while the ClientHello is processed: hands over the listener's
 * current certificate (so a reload rotates it) and asks for a client
 * certificate where the listener wants one. GnuTLS's convention
 * (gnutls_certificate_retrieve_function2): 0, or -1 to fail the handshake. */
int https_retrieve_cert(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                        const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                        unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct listener *l = listener_of(session);
	struct tls_state *st = l ? atomic_load(&l->tls) : NULL;
	if (st == NULL)
		return -1;
	if (st->trust) {
		gnutls_certificate_server_set_request(
		        session, st->client_auth == TLS_CLIENT_REQUIRE ? GNUTLS_CERT_REQUIRE : GNUTLS_CERT_REQUEST);
		/* on the session, not on the credentials: libmicrohttpd's worker
		 * threads share one credentials structure, and setting its
		 * callback on every handshake was a write racing with the other
		 * threads' handshakes reading it (inside GnuTLS, where
		 * ThreadSanitizer does not see it) */
		gnutls_session_set_verify_function(session, verify_client);
	}
	*pcert = st->pcert;
	*pcert_length = st->npcert;
	*pkey = st->key;
	return 0;
}

void server_set_tls(struct server *srv, struct tls_state **states)
{
	for (size_t i = 0; i < srv->nls; i++) {
		struct listener *l = &srv->ls[i];
		struct tls_state *cur = atomic_load(&l->tls);
		if (states[i] == NULL || cur == NULL || memcmp(states[i]->digest, cur->digest, 32) == 0) {
			tls_state_free(states[i]); /* unchanged (or not TLS): keep serving the current one */
			continue;
		}
		/* only this thread installs states: cur stays current until the
		 * exchange below publishes the next one, its generation set */
		tls_state_follow(states[i], cur);
		/* a handshake may still use the old state: keep it until stop */
		struct tls_state *old = atomic_exchange(&l->tls, states[i]);
		old->retired_next = l->retired;
		l->retired = old;
	}
}

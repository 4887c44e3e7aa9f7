/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS material of one HTTPS listener: its certificate chain and key, and
 * the CAs (and their CRLs) its clients' certificates must chain to. Loaded
 * (and checked) at start and on every reload; the listener serves whichever
 * state is current, so certificates rotate without a restart. Each state
 * has a generation, given by its listener when it installs it: a
 * connection remembers the one its client certificate was last verified
 * against, and is verified again against the current state before a
 * request is served under a newer one.
 */
#ifndef ALTOD_TLS_H
#define ALTOD_TLS_H

#include <stdint.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>

#include "conf/conf.h"
#include "util/diag.h"

#define TLS_MAX_CHAIN 16

/* One client CA (a certificate of tls.client-ca) on its own: what a client
 * rule's `issuer-sha256` names. */
struct tls_anchor {
	uint8_t sha256[32];             /* of the CA certificate (DER) */
	gnutls_x509_trust_list_t trust; /* holding only it */
};

struct tls_state {
	gnutls_pcert_st pcert[TLS_MAX_CHAIN];
	unsigned npcert;
	gnutls_privkey_t key;
	gnutls_x509_trust_list_t trust; /* NULL: client certificates are not asked for */
	struct tls_anchor *anchors;     /* each client CA alone (none without trust) */
	unsigned nanchors;
	enum tls_client_auth client_auth;
	uint64_t gen;                   /* unique in its listener, never 0; 0 until installed */
	uint8_t digest[32];             /* of the files and settings it was loaded from */
	struct tls_state *retired_next; /* kept until the server stops */
};

/* Loads and checks the files named by a listener's tls section; errors go
 * to diag at the listener's place in the config. */
int tls_state_load(const struct conf *c, const struct conf_listener *l, struct tls_state **out, struct diag *d);
void tls_state_free(struct tls_state *st);
/* Checks the client certificate chain a session received against st: its
 * client CAs, their CRLs and the TLS client purpose, or that there is a
 * certificate where st requires one. 0: the session may be served under st;
 * else a GnuTLS error, with the verification status in *status (0 if no
 * chain was checked). Runs in the handshake and again, on a live
 * connection, after a reload replaced st. */
int tls_verify_peer(const struct tls_state *st, gnutls_session_t session, unsigned *status);
/* What one connection learnt of its chain's issuers (tls_peer_issued_by),
 * under the state of generation gen: bit i of checked, its chain was
 * verified against anchor i; of issued, it verified. Zeroed: nothing yet. */
struct tls_issuer_cache {
	uint64_t gen;
	uint64_t checked, issued;
};
/* Whether the client certificate chain of session (verified already by
 * tls_verify_peer against st) also verifies against the one client CA of
 * st whose SHA-256 fingerprint is sha256, alone: the chain must lead to
 * that CA, not to another client CA (nor to a CA of the same name), while
 * intermediates the client sent may lie on the way. false where st has no
 * such client CA. Fingerprints of what the client sent are never compared:
 * a chain may carry a copy of any CA's certificate. cache (NULL: none)
 * keeps the verdicts of one connection, by st's generation. */
bool tls_peer_issued_by(const struct tls_state *st, gnutls_session_t session, const uint8_t sha256[32],
                        struct tls_issuer_cache *cache);
/* Whether some state of states (n of them, NULL entries skipped) holds a
 * client CA of that fingerprint. */
bool tls_states_hold_ca(struct tls_state *const *states, size_t n, const uint8_t sha256[32]);
/* Gives st the generation that follows prev's (prev NULL: the listener's
 * first state), before the listener installs it: the generations of one
 * listener's states increase and are never 0. */
void tls_state_follow(struct tls_state *st, const struct tls_state *prev);
/* Routes GnuTLS's own log messages through altod's logger. */
void tls_log_init(int verbose);

#endif

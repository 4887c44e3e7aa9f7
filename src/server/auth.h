/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Who is asking: a verified TLS client certificate (matched by SHA-256
 * fingerprint, subject or subjectAltName, and the client CA its chain
 * verifies against), HTTP Digest (SHA-256 or MD5,
 * RFC 7616; RFC 7285 §8.3.5) verified by altod itself (digest.h), or Basic
 * over TLS only. Secrets are HA1 hashes, compared in constant time; an
 * unknown user costs the same work as a known one. Credentials that are
 * sent must verify: a request with an Authorization header that does not is
 * refused, whatever certificate came with it.
 */
#ifndef ALTOD_AUTH_H
#define ALTOD_AUTH_H

#include <stdbool.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

#include "snap/access.h"
#include "server/digest.h"
#include "server/peers.h"
#include "server/tls.h"

enum auth_result {
	AUTH_OK,    /* *client is set */
	AUTH_NONE,  /* no credentials at all */
	AUTH_FAIL,  /* credentials that do not verify */
	AUTH_STALE, /* a correct Digest answer to a nonce too old or forgotten */
};

/* What a request shows of who it is, taken from it by the front end. */
struct auth_request {
	const char *method;
	const char *url;                      /* libmicrohttpd's (the path, decoded) */
	bool has_query;                       /* the target had a query */
	const char *authorization;            /* the Authorization header's value, NULL: none */
	unsigned nauthorization;              /* how many Authorization headers came */
	gnutls_session_t verified_session;    /* its peer certificate verified against the listener's CAs, else NULL */
	const struct tls_state *verified_tls; /* that listener's TLS state, which it verified against */
	struct tls_issuer_cache *issuers;     /* the connection's verdicts on issuer-sha256 (NULL: none) */
	bool basic_ok;                        /* Basic may be used: TLS */
	bool digest_ok;                       /* Digest may be used: TLS, or a clear-digest listener */
	struct peers *peers;                  /* told of every Digest answer accepted (NULL: nobody) */
};

/* ds: the server's Digest state (its nc table, its key when access has no
 * secret). */
enum auth_result auth_identify(const struct snapshot_access *a, struct digest_state *ds, const struct auth_request *rq,
                               ssize_t *client);

/* ---- a long-lived answer's identity, checked again after a reload ----
 *
 * An update stream (RFC 8895) is one answer that goes on across reloads,
 * with no further request to authenticate. It keeps being sent only while
 * what identified its client then still identifies it now. */

/* The client (index into a->policy->clients) the verified session's
 * certificate names in this policy, or -1: none. tls: the state of the
 * listener that verified it (the client CAs issuer-sha256 may name). */
ssize_t auth_certificate_client(const struct snapshot_access *a, gnutls_session_t verified,
                                const struct tls_state *tls);
/* A digest of a client's password entry (user and HA1s): a reload that
 * replaces the password (or the user name) changes it. false: out of
 * memory, out not set. */
#define AUTH_CREDENTIALS_LEN 32
bool auth_password_fingerprint(const struct policy_client *pc, uint8_t out[AUTH_CREDENTIALS_LEN]);

/* The WWW-Authenticate values of a 401, into out: a Digest challenge per
 * access.digest-algorithms (in that order, the preferred first, each with a
 * fresh nonce, and stale=true where asked), then Basic where basic_ok.
 * Returns how many. */
#define AUTH_CHALLENGE_MAX 512
#define AUTH_CHALLENGES 3
size_t auth_challenges(const struct snapshot_access *a, struct digest_state *ds, bool stale, bool basic_ok,
                       char out[][AUTH_CHALLENGE_MAX], size_t max);

/* ---- who an Authorization header claims to be ----
 *
 * The user name an `Authorization` header claims, before anything is
 * verified: for Basic (RFC 7617) the part of the decoded user-pass before
 * the first ':'; for Digest (RFC 7616 §3.4) the `username` auth-param
 * (token or quoted-string, RFC 7235 §2.1). false when there is none, the
 * header is malformed, `username` is repeated, or the name does not fit
 * in out (outlen - 1 bytes) or holds a NUL. */
bool auth_claimed_user(const char *header, char *out, size_t outlen);
#define AUTH_USER_MAX 256

/* HA1 = H(user ":" realm ":" password) in hex, for the config. */
int auth_hash_password(const char *user, const char *realm, const char *password, char sha256_hex[65],
                       char md5_hex[33]);

#endif

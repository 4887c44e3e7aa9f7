/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Who is asking: a verified TLS client certificate (matched by SHA-256
 * fingerprint, subject or subjectAltName), HTTP Digest (SHA-256 or MD5,
 * RFC 7616; RFC 7285 §8.3.5), or Basic over TLS only. Secrets are HA1
 * hashes, compared by libmicrohttpd (Digest) or in constant time (Basic);
 * an unknown user costs the same work as a known one.
 */
#ifndef ALTOD_AUTH_H
#define ALTOD_AUTH_H

#include <stdbool.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "altod/policy.h"

enum auth_result {
	AUTH_OK,    /* *client is set */
	AUTH_NONE,  /* no credentials at all */
	AUTH_FAIL,  /* credentials that do not verify */
	AUTH_STALE, /* a Digest answer to an expired nonce */
};

/* verified_session: the TLS session if its peer certificate was verified
 * against the listener's client CAs, else NULL. basic_ok: Basic may be used
 * (TLS). */
enum auth_result auth_identify(struct MHD_Connection *c, const struct policy *p, gnutls_session_t verified_session,
                               bool basic_ok, ssize_t *client);
/* Queues the 401 with a Digest challenge for SHA-256 and for MD5 (and Basic
 * where basic_ok), on response r (which it takes over). */
enum MHD_Result auth_challenge(struct MHD_Connection *c, const struct policy *p, bool stale, bool basic_ok,
                               struct MHD_Response *r);
/* HA1 = H(user ":" realm ":" password) in hex, for the config. */
int auth_hash_password(const char *user, const char *realm, const char *password, char sha256_hex[65],
                       char md5_hex[33]);

#define AUTH_NONCE_TIMEOUT 300 /* seconds */

#endif

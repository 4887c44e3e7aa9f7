/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Who is asking: a verified TLS client certificate (matched by SHA-256
 * fingerprint, subject or subjectAltName), HTTP Digest (SHA-256 or MD5,
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
#include <microhttpd.h>

#include "altod/access.h"
#include "altod/digest.h"
#include "altod/peers.h"

enum auth_result {
	AUTH_OK,    /* *client is set */
	AUTH_NONE,  /* no credentials at all */
	AUTH_FAIL,  /* credentials that do not verify */
	AUTH_STALE, /* a correct Digest answer to a nonce too old or forgotten */
};

struct auth_request {
	const char *method;
	const char *url;                   /* libmicrohttpd's (the path, decoded) */
	gnutls_session_t verified_session; /* its peer certificate verified against the listener's CAs, else NULL */
	bool basic_ok;                     /* Basic may be used: TLS */
	bool digest_ok;                    /* Digest may be used: TLS, or a clear-digest listener */
	struct peers *peers;               /* told of every Digest answer accepted (NULL: nobody) */
};

/* ds: the server's Digest state (its nc table, its key when access has no
 * secret). */
enum auth_result auth_identify(struct MHD_Connection *c, const struct snapshot_access *a, struct digest_state *ds,
                               const struct auth_request *rq, ssize_t *client);
/* Queues the 401 on response r (which it takes over), with a Digest
 * challenge for SHA-256 then one for MD5, each with a fresh nonce (and
 * stale=true where asked), and a Basic one where basic_ok. */
enum MHD_Result auth_challenge(struct MHD_Connection *c, const struct snapshot_access *a, struct digest_state *ds,
                               bool stale, bool basic_ok, struct MHD_Response *r);
/* HA1 = H(user ":" realm ":" password) in hex, for the config. */
int auth_hash_password(const char *user, const char *realm, const char *password, char sha256_hex[65],
                       char md5_hex[33]);

#endif

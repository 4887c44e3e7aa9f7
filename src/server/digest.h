/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HTTP Digest access authentication (RFC 7616), verified by altod itself:
 * the credentials' tokenizer (RFC 7235 §2.1 auth-param lists), altod's
 * self-authenticating nonces, the per-nonce nc table that refuses replays,
 * the response computation (SHA-256 and MD5, qop=auth) and the challenges.
 * No libmicrohttpd here: the glue is in auth.c.
 *
 * A nonce is hex of: the time it was issued (64-bit nanoseconds of
 * CLOCK_REALTIME, big-endian), the issuing process's 8 random bytes, 16
 * fresh random bytes, and HMAC-SHA-256 over those 32 bytes under a key
 * derived from access.secret. Any process holding the key checks any
 * process's nonce and its age without shared state; no two nonces are
 * ever the same. A nonce is bound to no URI and no method: one challenge
 * serves a client for every request until the nonce expires.
 */
#ifndef ALTOD_DIGEST_H
#define ALTOD_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/vocab.h"

#define DIGEST_MAX_CREDENTIALS 4096    /* bytes of an Authorization value; longer ones are refused */
#define DIGEST_MAX_PARAMS 32           /* auth-params in one credentials list */
#define DIGEST_NONCE_RAW ((size_t)64)  /* time 8, process 8, random 16, HMAC 32 */
#define DIGEST_NONCE_HEX ((size_t)128) /* 2 * DIGEST_NONCE_RAW */
#define DIGEST_TABLE_SIZE 65536        /* (nonce, highest nc) entries kept per process */
#define DIGEST_KEY_LEN 32

/* ---- the tokenizer ---- */

/* Called once per auth-param, with the name and the value (a quoted-string
 * unquoted, its escapes resolved), both NUL-terminated. 0 goes on; a
 * negative ALTOD_E* code stops the tokenizer, which returns it. */
typedef int (*digest_param_fn)(void *ctx, const char *name, const char *value);

/* Tokenizes an auth-param list (RFC 7235 §2.1, with RFC 7230 §7's list
 * rule: empty elements and optional whitespace around commas allowed):
 * s[0..n) is the text after the scheme and its spaces. buf (at least 2n+2
 * bytes) holds the names and values handed to fn. 0, ALTOD_EPARSE on a
 * syntax error, ALTOD_ERANGE if buf is too small, or fn's non-zero return. */
int digest_tokenize(const char *s, size_t n, char *buf, size_t bufsize, digest_param_fn fn, void *ctx);

struct digest_credentials {
	/* NULL where absent; each points into buf */
	const char *username, *realm, *nonce, *uri, *response, *algorithm, *qop, *nc, *cnonce, *opaque;
	enum digest_alg alg; /* from algorithm (absent: MD5, RFC 7616 §3.4) */
	uint32_t ncount;     /* nc, parsed */
	const char *names[DIGEST_MAX_PARAMS];
	size_t nparams;
	char buf[2 * DIGEST_MAX_CREDENTIALS + 2];
};

/* Parses a whole Authorization value ("Digest" 1*SP #auth-param). 0 when
 * it is a syntactically complete Digest answer altod can check: every
 * parameter at most once; username, realm, nonce, uri, response, qop=auth,
 * nc (8 hex digits, not 0) and cnonce present; algorithm absent, MD5 or
 * SHA-256 (the -sess variants and qop=auth-int are refused); userhash
 * absent or false (altod never offers it). ALTOD_EPARSE otherwise. Unknown
 * parameters are ignored. */
int digest_parse(const char *value, struct digest_credentials *out);

/* ---- nonces and the replay table ---- */

struct digest_state;

/* capacity: entries of the nc table (0: DIGEST_TABLE_SIZE). now_ns: the
 * process start; nonces issued before it were never seen by this process
 * and are answered stale. NULL when out of memory. */
struct digest_state *digest_state_new(size_t capacity, int64_t now_ns);
void digest_state_free(struct digest_state *st);
/* A random key of this process, for when access has no secret. */
const uint8_t *digest_state_key(const struct digest_state *st);
/* 32 random bytes of this process: the HA1 an unknown user is checked
 * against (nobody can answer for it) */
const uint8_t *digest_state_dummy(const struct digest_state *st);

/* A new nonce issued at now_ns, hex, NUL-terminated. */
void digest_nonce_issue(const struct digest_state *st, const uint8_t key[DIGEST_KEY_LEN], int64_t now_ns,
                        char out[DIGEST_NONCE_HEX + 1]);

enum digest_result {
	DIGEST_OK,
	DIGEST_FAIL,  /* does not verify, or a replay */
	DIGEST_STALE, /* a correct answer to a nonce that is too old (or forgotten): ask again */
};

struct digest_check {
	const char *method;
	const char *target; /* the request target's path, percent-decoded (libmicrohttpd's url) */
	bool has_query;     /* the request target had a query */
	const char *realm;
	const uint8_t *key; /* the nonce key */
	unsigned lifetime;  /* seconds */
	int64_t now_ns;     /* CLOCK_REALTIME */
	const uint8_t *ha1; /* H(user:realm:password) of cr->alg: 32 bytes SHA-256, 16 MD5 */
	uint8_t *nonce_out; /* optional: receives the nonce's DIGEST_NONCE_RAW bytes on DIGEST_OK */
};

/* Checks credentials parsed by digest_parse. In this order: the realm and
 * the uri match the request; the nonce's HMAC (else FAIL); the response, in
 * constant time (else FAIL); the nonce's age (too old: STALE); then, under
 * the table's lock, nc strictly above the highest accepted for that nonce
 * (else FAIL) and recorded. A nonce not in the table is taken as new only
 * if it was issued after every nonce the table ever dropped and after the
 * process started; otherwise STALE. Nothing is recorded unless DIGEST_OK. */
enum digest_result digest_verify(struct digest_state *st, const struct digest_credentials *cr,
                                 const struct digest_check *ck);

/* Another replica accepted an answer with nc for the nonce raw (its
 * DIGEST_NONCE_RAW bytes, peers.h): raises this table's highest nc for it
 * to max(current, nc), inserting it if absent, under the same lock and
 * with the same bounds as digest_verify. Nothing is recorded for a nonce
 * whose HMAC fails under key, that is older (or further in the future)
 * than lifetime seconds at now_ns, or that this process takes as stale
 * anyway (issued before it started or before what the table dropped). */
enum digest_note {
	DIGEST_NOTE_RAISED,    /* recorded: inserted, or the highest nc raised */
	DIGEST_NOTE_NOT_NEWER, /* the table already had an nc as high: nothing changed */
	DIGEST_NOTE_STALE,     /* a nonce this process answers stale anyway: nothing changed */
	DIGEST_NOTE_INVALID,   /* not a nonce of this deployment (HMAC), or expired: nothing changed */
};
enum digest_note digest_note_used(struct digest_state *st, const uint8_t key[DIGEST_KEY_LEN], unsigned lifetime,
                                  int64_t now_ns, const uint8_t raw[DIGEST_NONCE_RAW], uint32_t nc);

/* The expected response in lowercase hex (64 or 32 digits + NUL):
 * H(HA1hex ":" nonce ":" nc ":" cnonce ":" qop ":" H(method ":" uri)hex). */
void digest_response_hex(enum digest_alg alg, const uint8_t *ha1, const char *nonce, const char *nc, const char *cnonce,
                         const char *qop, const char *method, const char *uri, char out[65]);

/* A WWW-Authenticate value: Digest realm="...", qop="auth",
 * algorithm=SHA-256 (or MD5), nonce="...", opaque="...", and stale=true
 * where asked. Its length, or 0 when it does not fit. */
size_t digest_challenge(char *out, size_t size, const char *realm, const char *nonce, enum digest_alg alg, bool stale);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* HTTP Digest (RFC 7616), verified by altod: see digest.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "server/digest.h"
#include "util/hex.h"
#include "util/err.h"

/* ---- the tokenizer ---- */

/* tchar (RFC 7230 §3.2.6) */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* qdtext (RFC 7230 §3.2.6): HTAB, SP, VCHAR except DQUOTE and "\", obs-text */
static bool is_qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

/* the second byte of a quoted-pair: HTAB, SP, VCHAR, obs-text */
static bool is_qpchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80;
}

static size_t skip_ows(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* RFC 7235 §2.1: auth-param = token BWS "=" BWS ( token / quoted-string ),
 * in a list: #auth-param, where RFC 7230 §7 lets a recipient accept empty
 * elements (", ,") and OWS around the commas. */
int digest_tokenize(const char *s, size_t n, char *buf, size_t bufsize, digest_param_fn fn, void *ctx)
{
	size_t i = 0, o = 0;
	if (bufsize < 2 * n + 2)
		return ALTOD_ERANGE;
	for (;;) {
		/* empty elements and whitespace before the next one */
		for (;;) {
			i = skip_ows(s, n, i);
			if (i < n && s[i] == ',')
				i++;
			else
				break;
		}
		if (i == n)
			return 0;
		const char *name = buf + o;
		size_t start = i;
		while (i < n && is_tchar((unsigned char)s[i]))
			buf[o++] = s[i++];
		if (i == start)
			return ALTOD_EPARSE;
		buf[o++] = '\0';
		i = skip_ows(s, n, i);
		if (i == n || s[i] != '=')
			return ALTOD_EPARSE;
		i = skip_ows(s, n, i + 1);
		const char *value = buf + o;
		if (i < n && s[i] == '"') {
			i++;
			for (;;) {
				if (i == n)
					return ALTOD_EPARSE; /* unterminated */
				unsigned char c = (unsigned char)s[i];
				if (c == '"') {
					i++;
					break;
				}
				if (c == '\\') {
					if (i + 1 == n || !is_qpchar((unsigned char)s[i + 1]))
						return ALTOD_EPARSE;
					buf[o++] = s[i + 1];
					i += 2;
					continue;
				}
				if (!is_qdtext(c))
					return ALTOD_EPARSE;
				buf[o++] = (char)c;
				i++;
			}
		} else {
			start = i;
			while (i < n && is_tchar((unsigned char)s[i]))
				buf[o++] = s[i++];
			if (i == start)
				return ALTOD_EPARSE;
		}
		buf[o++] = '\0';
		int rc = fn(ctx, name, value);
		if (rc != 0)
			return rc;
		i = skip_ows(s, n, i);
		if (i == n)
			return 0;
		if (s[i] != ',')
			return ALTOD_EPARSE;
	}
}

static int take_param(void *ctx, const char *name, const char *value)
{
	struct digest_credentials *cr = ctx;
	for (size_t k = 0; k < cr->nparams; k++)
		if (strcasecmp(cr->names[k], name) == 0)
			return ALTOD_EPARSE; /* every parameter at most once */
	if (cr->nparams == DIGEST_MAX_PARAMS)
		return ALTOD_EPARSE;
	cr->names[cr->nparams++] = name;
	static const char *const known[] = {"username",  "realm", "nonce", "uri",    "response",
	                                    "algorithm", "qop",   "nc",    "cnonce", "opaque"};
	const char **field[] = {&cr->username,  &cr->realm, &cr->nonce, &cr->uri,    &cr->response,
	                        &cr->algorithm, &cr->qop,   &cr->nc,    &cr->cnonce, &cr->opaque};
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (strcasecmp(name, known[k]) == 0)
			*field[k] = value;
	if (strcasecmp(name, "userhash") == 0 && strcasecmp(value, "false") != 0)
		return ALTOD_EPARSE; /* never offered: a hashed user name names nobody */
	return 0;
}

int digest_parse(const char *value, struct digest_credentials *out)
{
	memset(out, 0, offsetof(struct digest_credentials, buf));
	size_t n = strnlen(value, DIGEST_MAX_CREDENTIALS + 1);
	if (n > DIGEST_MAX_CREDENTIALS)
		return ALTOD_EPARSE;
	size_t i = skip_ows(value, n, 0);
	/* credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ];
	 * the scheme is case-insensitive (RFC 7235 §2.1) */
	if (n - i < 6 || strncasecmp(value + i, "Digest", 6) != 0)
		return ALTOD_EPARSE;
	i += 6;
	if (i < n && value[i] != ' ')
		return ALTOD_EPARSE;
	while (i < n && value[i] == ' ')
		i++;
	if (digest_tokenize(value + i, n - i, out->buf, sizeof(out->buf), take_param, out) != 0)
		return ALTOD_EPARSE;
	if (!out->username || !out->realm || !out->nonce || !out->uri || !out->response || !out->qop || !out->nc ||
	    !out->cnonce)
		return ALTOD_EPARSE;
	/* qop=auth only: auth-int (a hash of the body) is not offered */
	if (strcasecmp(out->qop, "auth") != 0)
		return ALTOD_EPARSE;
	/* nc = 8LHEX (RFC 7616 §3.4) */
	if (strlen(out->nc) != 8)
		return ALTOD_EPARSE;
	uint32_t nc = 0;
	for (size_t k = 0; k < 8; k++) {
		int v = hex_digit(out->nc[k]);
		if (v < 0)
			return ALTOD_EPARSE;
		nc = nc << 4 | (uint32_t)v;
	}
	if (nc == 0)
		return ALTOD_EPARSE;
	out->ncount = nc;
	/* no algorithm: MD5 (RFC 7616 §3.3); the -sess variants are refused */
	if (out->algorithm == NULL || strcasecmp(out->algorithm, "MD5") == 0)
		out->alg = DIGEST_MD5;
	else if (strcasecmp(out->algorithm, "SHA-256") == 0)
		out->alg = DIGEST_SHA256;
	else
		return ALTOD_EPARSE;
	return 0;
}

/* ---- nonces and the replay table ---- */

struct nc_entry {
	uint8_t nonce[DIGEST_NONCE_RAW];
	uint32_t nc;    /* the highest accepted */
	int64_t issued; /* ns */
	struct nc_entry *hnext;
	struct nc_entry *older, *newer; /* least recently used first */
};

struct digest_state {
	uint8_t process[8];          /* in every nonce this process issues */
	uint8_t key[DIGEST_KEY_LEN]; /* when there is no access secret */
	uint8_t dummy[32];           /* the HA1 of nobody */
	pthread_mutex_t lock;
	struct nc_entry **buckets;
	size_t mask;
	size_t capacity, used;
	struct nc_entry *oldest, *newest;
	int64_t floor; /* nonces issued at or before this are never taken as new */
};

struct digest_state *digest_state_new(size_t capacity, int64_t now_ns)
{
	struct digest_state *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->capacity = capacity ? capacity : DIGEST_TABLE_SIZE;
	size_t nb = 1;
	while (nb < st->capacity)
		nb <<= 1;
	st->buckets = calloc(nb, sizeof(*st->buckets));
	if (st->buckets == NULL || gnutls_rnd(GNUTLS_RND_NONCE, st->process, sizeof(st->process)) != 0 ||
	    gnutls_rnd(GNUTLS_RND_KEY, st->key, sizeof(st->key)) != 0 ||
	    gnutls_rnd(GNUTLS_RND_KEY, st->dummy, sizeof(st->dummy)) != 0) {
		free(st->buckets);
		free(st);
		return NULL;
	}
	st->mask = nb - 1;
	st->floor = now_ns;
	pthread_mutex_init(&st->lock, NULL);
	return st;
}

void digest_state_free(struct digest_state *st)
{
	if (st == NULL)
		return;
	for (struct nc_entry *e = st->oldest; e;) {
		struct nc_entry *next = e->newer;
		free(e);
		e = next;
	}
	free(st->buckets);
	pthread_mutex_destroy(&st->lock);
	memset(st->key, 0, sizeof(st->key));
	free(st);
}

const uint8_t *digest_state_key(const struct digest_state *st)
{
	return st->key;
}

const uint8_t *digest_state_dummy(const struct digest_state *st)
{
	return st->dummy;
}

static void to_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void digest_nonce_issue(const struct digest_state *st, const uint8_t key[DIGEST_KEY_LEN], int64_t now_ns,
                        char out[DIGEST_NONCE_HEX + 1])
{
	uint8_t raw[DIGEST_NONCE_RAW];
	uint64_t t = (uint64_t)now_ns;
	for (int i = 0; i < 8; i++)
		raw[i] = (uint8_t)(t >> (56 - 8 * i));
	memcpy(raw + 8, st->process, 8);
	if (gnutls_rnd(GNUTLS_RND_NONCE, raw + 16, 16) != 0)
		abort(); /* no randomness: no nonce may be issued */
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, DIGEST_KEY_LEN, raw, 32, raw + 32);
	to_hex(raw, sizeof(raw), out);
	memset(raw, 0, sizeof(raw));
}

static bool ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* A nonce's bytes with a valid HMAC under key: 0 and issued set, else
 * ALTOD_EAUTH. */
static int nonce_check(const uint8_t *key, const uint8_t raw[DIGEST_NONCE_RAW], int64_t *issued)
{
	uint8_t mac[32];
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, DIGEST_KEY_LEN, raw, 32, mac);
	if (!ct_equal(mac, raw + 32, 32))
		return ALTOD_EAUTH;
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t = t << 8 | raw[i];
	*issued = (int64_t)t;
	return 0;
}

/* Exactly the form altod issues (lowercase hex of DIGEST_NONCE_RAW bytes)
 * with a valid HMAC: 0 and raw/issued set, else ALTOD_EAUTH. */
static int nonce_open(const uint8_t *key, const char *nonce, uint8_t raw[DIGEST_NONCE_RAW], int64_t *issued)
{
	if (strlen(nonce) != DIGEST_NONCE_HEX)
		return ALTOD_EAUTH;
	for (size_t i = 0; i < DIGEST_NONCE_RAW; i++) {
		char a = nonce[2 * i], b = nonce[2 * i + 1];
		if ((a >= 'A' && a <= 'F') || (b >= 'A' && b <= 'F'))
			return ALTOD_EAUTH;
		int x = hex_digit(a), y = hex_digit(b);
		if (x < 0 || y < 0)
			return ALTOD_EAUTH;
		raw[i] = (uint8_t)(x << 4 | y);
	}
	return nonce_check(key, raw, issued);
}

static size_t bucket_of(const struct digest_state *st, const uint8_t *raw)
{
	/* the HMAC's first bytes: uniform, and unknown before issue */
	uint64_t h = 0;
	for (int i = 0; i < 8; i++)
		h = h << 8 | raw[32 + i];
	return (size_t)h & st->mask;
}

static void lru_unlink(struct digest_state *st, struct nc_entry *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		st->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		st->newest = e->older;
	e->older = e->newer = NULL;
}

static void lru_push(struct digest_state *st, struct nc_entry *e)
{
	e->older = st->newest;
	e->newer = NULL;
	if (st->newest)
		st->newest->newer = e;
	else
		st->oldest = e;
	st->newest = e;
}

static void bucket_remove(struct digest_state *st, struct nc_entry *e)
{
	struct nc_entry **pp = &st->buckets[bucket_of(st, e->nonce)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	e->hnext = NULL;
}

/* Under st->lock: the nc step for a nonce whose answer verified. */
static enum digest_result nc_advance(struct digest_state *st, const uint8_t *raw, int64_t issued, uint32_t nc)
{
	size_t b = bucket_of(st, raw);
	for (struct nc_entry *e = st->buckets[b]; e; e = e->hnext) {
		if (memcmp(e->nonce, raw, DIGEST_NONCE_RAW) != 0) /* the whole nonce */
			continue;
		if (nc <= e->nc)
			return DIGEST_FAIL; /* nc must strictly increase (RFC 7616 §3.4) */
		e->nc = nc;
		lru_unlink(st, e);
		lru_push(st, e);
		return DIGEST_OK;
	}
	/* Not in the table: new, or dropped from it (or used before this
	 * process started). Only a nonce issued after everything ever dropped
	 * can be new; anything older is asked to start again. */
	if (issued <= st->floor)
		return DIGEST_STALE;
	struct nc_entry *e;
	if (st->used < st->capacity) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return DIGEST_STALE;
		st->used++;
	} else {
		/* full: the least recently used entry goes, and with it every
		 * nonce issued no later than it (they may have been in the table) */
		int64_t fl = st->oldest->issued > st->floor ? st->oldest->issued : st->floor;
		if (issued <= fl)
			return DIGEST_STALE;
		e = st->oldest;
		lru_unlink(st, e);
		bucket_remove(st, e);
		st->floor = fl;
	}
	memcpy(e->nonce, raw, DIGEST_NONCE_RAW);
	e->nc = nc;
	e->issued = issued;
	e->hnext = st->buckets[b];
	st->buckets[b] = e;
	lru_push(st, e);
	return DIGEST_OK;
}

static void hash_hex(gnutls_hash_hd_t h, size_t dlen, char *out)
{
	uint8_t d[32];
	gnutls_hash_deinit(h, d);
	to_hex(d, dlen, out);
}

void digest_response_hex(enum digest_alg alg, const uint8_t *ha1, const char *nonce, const char *nc, const char *cnonce,
                         const char *qop, const char *method, const char *uri, char out[65])
{
	gnutls_digest_algorithm_t a = alg == DIGEST_SHA256 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_MD5;
	size_t dlen = alg == DIGEST_SHA256 ? 32 : 16;
	char ha1hex[65], ha2hex[65];
	gnutls_hash_hd_t h;

	to_hex(ha1, dlen, ha1hex);
	/* A2 = Method ":" request-uri (qop=auth, RFC 7616 §3.4.3) */
	if (gnutls_hash_init(&h, a) < 0)
		abort();
	gnutls_hash(h, method, strlen(method));
	gnutls_hash(h, ":", 1);
	gnutls_hash(h, uri, strlen(uri));
	hash_hex(h, dlen, ha2hex);
	/* response = KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2)) (§3.4.1) */
	if (gnutls_hash_init(&h, a) < 0)
		abort();
	const char *parts[] = {ha1hex, nonce, nc, cnonce, qop, ha2hex};
	for (size_t i = 0; i < 6; i++) {
		if (i)
			gnutls_hash(h, ":", 1);
		gnutls_hash(h, parts[i], strlen(parts[i]));
	}
	hash_hex(h, dlen, out);
	memset(ha1hex, 0, sizeof(ha1hex));
}

/* Does the uri parameter name the request's target (RFC 7616 §3.4.6)? It
 * is the request-target as sent: origin form, or absolute form. */
static bool uri_matches(const char *uri, const char *target, bool has_query)
{
	const char *p = uri;
	if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0) {
		p = strstr(p, "://") + 3;
		p += strcspn(p, "/?");
		if (*p != '/')
			return strcmp(target, "/") == 0 && *p == '\0' && !has_query;
	}
	if (*p != '/')
		return false;
	size_t plen = strcspn(p, "?");
	bool query = p[plen] == '?' && p[plen + 1] != '\0';
	if (query != has_query)
		return false;
	/* percent-decoded, as libmicrohttpd decodes the target */
	size_t t = 0;
	for (size_t i = 0; i < plen; i++) {
		char c = p[i];
		if (c == '%') {
			int x = i + 2 < plen ? hex_digit(p[i + 1]) : ALTOD_EINVAL,
			    y = x >= 0 ? hex_digit(p[i + 2]) : ALTOD_EINVAL;
			if (x < 0 || y < 0)
				return false;
			c = (char)(x << 4 | y);
			i += 2;
		}
		if (target[t] == '\0' || target[t] != c)
			return false;
		t++;
	}
	return target[t] == '\0';
}

enum digest_result digest_verify(struct digest_state *st, const struct digest_credentials *cr,
                                 const struct digest_check *ck)
{
	uint8_t raw[DIGEST_NONCE_RAW];
	int64_t issued;
	size_t dlen = cr->alg == DIGEST_SHA256 ? 32 : 16;

	if (strcmp(cr->realm, ck->realm) != 0 || !uri_matches(cr->uri, ck->target, ck->has_query))
		return DIGEST_FAIL;
	if (nonce_open(ck->key, cr->nonce, raw, &issued) != 0)
		return DIGEST_FAIL; /* not a nonce of ours (forged, cut, another secret) */
	/* the response, in hex of either case, compared in constant time */
	if (strlen(cr->response) != 2 * dlen)
		return DIGEST_FAIL;
	uint8_t got[32], want[32];
	for (size_t i = 0; i < dlen; i++) {
		int x = hex_digit(cr->response[2 * i]), y = hex_digit(cr->response[2 * i + 1]);
		if (x < 0 || y < 0)
			return DIGEST_FAIL;
		got[i] = (uint8_t)(x << 4 | y);
	}
	char hex[65];
	digest_response_hex(cr->alg, ck->ha1, cr->nonce, cr->nc, cr->cnonce, cr->qop, ck->method, cr->uri, hex);
	for (size_t i = 0; i < dlen; i++)
		want[i] = (uint8_t)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
	if (!ct_equal(got, want, dlen))
		return DIGEST_FAIL;
	/* Only a correct answer learns that its nonce is stale (RFC 7616 §3.3:
	 * stale when the nonce is invalid but the digest valid). A nonce from
	 * further in the future than a lifetime is no clock skew: stale too. */
	int64_t life = (int64_t)ck->lifetime * 1000000000;
	if (ck->now_ns - issued > life || issued - ck->now_ns > life)
		return DIGEST_STALE;
	pthread_mutex_lock(&st->lock);
	enum digest_result r = nc_advance(st, raw, issued, cr->ncount);
	pthread_mutex_unlock(&st->lock);
	if (r == DIGEST_OK && ck->nonce_out)
		memcpy(ck->nonce_out, raw, DIGEST_NONCE_RAW);
	return r;
}

enum digest_note digest_note_used(struct digest_state *st, const uint8_t key[DIGEST_KEY_LEN], unsigned lifetime,
                                  int64_t now_ns, const uint8_t raw[DIGEST_NONCE_RAW], uint32_t nc)
{
	int64_t issued;
	/* never state for a nonce this deployment did not issue, nor for one
	 * every replica answers stale */
	if (nc == 0 || nonce_check(key, raw, &issued) != 0)
		return DIGEST_NOTE_INVALID;
	int64_t life = (int64_t)lifetime * 1000000000;
	if (now_ns - issued > life || issued - now_ns > life)
		return DIGEST_NOTE_INVALID;
	/* nc_advance is the accept path's step: raise (nc above the highest),
	 * insert (within the table's bounds), or nothing */
	pthread_mutex_lock(&st->lock);
	enum digest_result r = nc_advance(st, raw, issued, nc);
	pthread_mutex_unlock(&st->lock);
	return r == DIGEST_OK ? DIGEST_NOTE_RAISED : r == DIGEST_FAIL ? DIGEST_NOTE_NOT_NEWER : DIGEST_NOTE_STALE;
}

size_t digest_challenge(char *out, size_t size, const char *realm, const char *nonce, enum digest_alg alg, bool stale)
{
	/* the realm as a quoted-string: '"' and '\' escaped */
	char q[512];
	size_t k = 0;
	for (const char *p = realm; *p; p++) {
		if (k + 3 > sizeof(q))
			return 0;
		if (*p == '"' || *p == '\\')
			q[k++] = '\\';
		q[k++] = *p;
	}
	q[k] = '\0';
	/* algorithm names exactly as RFC 7616 §3.7 writes them */
	int n = snprintf(out, size, "Digest realm=\"%s\", qop=\"auth\", algorithm=%s, nonce=\"%s\", opaque=\"altod\"%s",
	                 q, alg == DIGEST_SHA256 ? "SHA-256" : "MD5", nonce, stale ? ", stale=true" : "");
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

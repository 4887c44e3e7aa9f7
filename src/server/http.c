/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libmicrohttpd front end. On the first call of the access handler for a
 * request (headers only) the request is routed and checked: unknown URI,
 * wrong method, Content-Type, Accept and an oversized Content-Length are
 * answered before a byte of the body is read. Per-request state lives in
 * *con_cls and is freed by the completion callback. GET bodies are handed
 * to libmicrohttpd without a copy; the snapshot they live in is pinned by
 * the response and released in its free callback.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <microhttpd.h>

#include "altod/arena.h"
#include "altod/err.h"
#include "altod/log.h"
#include "altod/auth.h"
#include "altod/access.h"
#include "altod/clients.h"
#include "altod/server.h"
#include "altod/tls.h"

struct listener {
	int fd;
	struct MHD_Daemon *mhd;
	char name[64];
	struct sockaddr_storage bound;
	_Atomic(struct tls_state *) tls; /* NULL: plain HTTP */
	bool clear_digest;               /* plain HTTP that takes Digest anyway */
	struct tls_state *retired;       /* replaced states, freed at stop */
};

struct conn_ctx;

struct server {
	atomic_uint inflight; /* requests between their first call and completion */
	/* the request-timeout watchdog and the connections it watches */
	pthread_mutex_t conns_lock;
	struct conn_ctx *conns;
	pthread_t watchdog;
	bool watchdog_running;
	atomic_ulong cut_request;  /* connections cut off past request-timeout */
	atomic_ulong cut_response; /* ... past response-timeout */
	atomic_bool stopping;
	struct snapshot_slot *slot;
	struct listener *ls;
	size_t nls;
	struct client_registry clients;
	struct digest_state *digest; /* Digest's per-process key part and nc table */
	struct peers *peers;         /* that table's updates to and from the other replicas */
	/* failed authentications by claimed user and by peer address, and
	 * anonymous requests by peer address: bounded, kept across reloads */
	struct bucket_table fail_user, fail_addr, anon_addr;
};

/* Per connection (libmicrohttpd's socket context): the client its requests
 * were identified as, counted against that client's connection limit, the
 * time by which its next request must have arrived whole, the time by
 * which its current answer must have been built and sent, and (HTTPS) the
 * generation of the listener's TLS state its client certificate was last
 * verified against (0: not yet). */
struct conn_ctx {
	struct client_state *cs;
	struct MHD_Connection *conn;
	uint64_t tls_gen; /* only this connection's thread reads and writes it */
	int fd;
	/* between its request line and altod's first look at its headers:
	 * the worker thread reading them (see bad_content_length) */
	_Atomic unsigned head_thread;
	_Atomic int64_t deadline_ms;        /* monotonic; 0 while a response is being sent */
	_Atomic int64_t answer_deadline_ms; /* monotonic; of the last answer; 0: no limit */
	atomic_bool answering;              /* between a request's last call and its completion */
	bool cut;
	struct conn_ctx *prev, *next;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct conn_ctx *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The request is in: request-timeout no longer runs; response-timeout
 * does, until the answer is built and sent (the kernel's send buffer
 * included). A client that stops reading cannot pin the snapshot its
 * answer comes from past a reload, nor hold the connection, for longer. */
static void conn_answering(struct MHD_Connection *c, unsigned response_timeout)
{
	struct conn_ctx *cc = conn_of(c);
	if (cc == NULL)
		return;
	atomic_store(&cc->answer_deadline_ms, response_timeout ? now_ms() + (int64_t)response_timeout * 1000 : 0);
	atomic_store(&cc->deadline_ms, 0);
	atomic_store(&cc->answering, true);
}

/* The next request on this connection must arrive whole within the limit. */
static void conn_expect_request(struct conn_ctx *cc, unsigned timeout)
{
	if (cc == NULL)
		return;
	atomic_store(&cc->deadline_ms, timeout ? now_ms() + (int64_t)timeout * 1000 : 0);
	atomic_store(&cc->answering, false);
}

struct refusal {
	unsigned status;
	const char *text;
	const char *allow;
	double retry_after; /* 429 */
	bool stale;         /* 401 */
};

/* Entries per bounded bucket table (each 24 bytes). */
#define THROTTLE_ENTRIES 8192

struct req_ctx {
	struct snapshot *snap;
	const struct catalog *cat; /* what this client may see */
	const struct resource *res;
	const char *client; /* client name for the audit log ("-": none) */
	struct client_state *cs;
	struct digest_state *digest;
	bool basic_ok;             /* Basic may be offered (TLS) */
	bool digest_ok;            /* Digest may be offered (TLS, or a clear-digest listener) */
	bool anonymous_by_default; /* no credentials; served the anonymous role */
	bool close;                /* answer with Connection: close */
	struct buf body;
	size_t dropped; /* body bytes read and discarded */
	bool post;      /* a POST to a POST resource: the body is its input */
	bool options;
	bool refused;
	bool too_large;
	bool framing;        /* refused for its framing: answered at once, then closed */
	const char *limited; /* the audit line's reason for a 429 of the access layer */
	struct refusal refusal;
	unsigned status; /* for the audit log */
	size_t bytes;
	struct timespec start;
};

static struct listener *listener_of(gnutls_session_t session);
static struct listener *listener_at(struct server *srv, struct MHD_Connection *c, bool tls);
static bool tls_rebind(struct MHD_Connection *c, gnutls_session_t *verified);

/* ---- responses ---- */

static enum MHD_Result send_response(struct req_ctx *ctx, struct MHD_Connection *c, unsigned status,
                                     struct MHD_Response *r, const char *content_type, size_t len)
{
	if (r == NULL)
		return MHD_NO;
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (ctx->snap->access) {
		/* answers depend on who asks: no shared cache may mix tenants */
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private");
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Authorization");
	}
	if (ctx->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ctx->status = status;
	ctx->bytes = len;
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static struct MHD_Response *owned_body(char *body, size_t len)
{
	if (body == NULL)
		return NULL;
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (r == NULL)
		free(body);
	return r;
}

/* HTTP-level refusals (400, 401, 404, 405, 406, 413, 415, 429, 501): RFC
 * 7285 has no ALTO error code for them (§8.5.2 codes are about the
 * request's JSON), so the body is a short plain-text reason. */
static enum MHD_Result send_refusal(struct req_ctx *ctx, struct MHD_Connection *c, const struct refusal *no)
{
	const char *text = no->text;
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (no->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, no->allow);
	if (no->status == MHD_HTTP_TOO_MANY_REQUESTS) {
		char ra[32];
		snprintf(ra, sizeof(ra), "%u", retry_after_seconds(no->retry_after));
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (no->status == MHD_HTTP_UNAUTHORIZED) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private");
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Authorization");
		ctx->status = no->status;
		ctx->bytes = strlen(text);
		return auth_challenge(c, ctx->snap->access, ctx->digest, no->stale, ctx->basic_ok, r);
	}
	return send_response(ctx, c, no->status, r, "text/plain; charset=utf-8", strlen(text));
}

static enum MHD_Result send_alto_error(struct req_ctx *ctx, struct MHD_Connection *c, const struct alto_error *e)
{
	size_t len = 0;
	char *body = alto_error_render(e, &len);
	/* the four RFC 7285 error codes all describe a bad request */
	return send_response(ctx, c, MHD_HTTP_BAD_REQUEST, owned_body(body, len), MT_ERROR, len);
}

static void release_snapshot(void *cls)
{
	snapshot_unref(cls);
}

/* A GET resource from its bodies rendered at load: gzip where the client
 * takes it, 304 where its copy is current; handed over without a copy, the
 * snapshot pinned until libmicrohttpd is done with the bytes. */
static enum MHD_Result send_rendered(struct req_ctx *ctx, struct MHD_Connection *c)
{
	const struct resource *res = ctx->res;
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	bool gz = res->gz && media_accepts_gzip(ae);
	const char *etag = gz ? res->etag_gz : res->etag;
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	struct MHD_Response *r;
	unsigned status = MHD_HTTP_OK;
	size_t len = 0;

	/* RFC 7232 §4.1: a 304 has no body but the validators and Vary of the
	 * 200; libmicrohttpd sends no body with it and takes its Content-Length
	 * from the response: the 200's, as RFC 7230 §3.3.2 wants. The snapshot
	 * stays pinned either way. */
	if (inm && etag_list_matches(inm, etag))
		status = MHD_HTTP_NOT_MODIFIED;
	size_t body_len = gz ? res->gz_len : res->body_len;
	r = MHD_create_response_from_buffer_with_free_callback_cls(body_len, gz ? res->gz : res->body, release_snapshot,
	                                                           snapshot_ref(ctx->snap));
	if (r == NULL) {
		snapshot_unref(ctx->snap);
		return MHD_NO;
	}
	if (status == MHD_HTTP_OK) {
		len = body_len;
		if (gz)
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (res->gz) /* the representation depends on Accept-Encoding */
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	return send_response(ctx, c, status, r, status == MHD_HTTP_OK ? res->media_type : NULL, len);
}

/* ---- request handling ---- */

static const char *allow_of(const struct resource *res)
{
	return res->accepts ? "POST, OPTIONS" : "GET, HEAD, OPTIONS";
}

static bool method_known(const char *m)
{
	static const char *const known[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
	                                    "CONNECT", "OPTIONS", "TRACE", "PATCH"};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return true;
	return false;
}

static bool client_endpoint(struct MHD_Connection *c, struct endpoint *ep, char *text, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return false;
	const struct sockaddr *sa = ci->client_addr;
	char a[INET6_ADDRSTRLEN];
	memset(ep->addr, 0, sizeof(ep->addr));
	if (sa->sa_family == AF_INET) {
		memcpy(ep->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		ep->family = IP_V4;
	} else if (sa->sa_family == AF_INET6) {
		const uint8_t *v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(v6, mapped, 12) == 0) { /* an IPv4 client on a dual-stack socket */
			memcpy(ep->addr, v6 + 12, 4);
			ep->family = IP_V4;
		} else {
			memcpy(ep->addr, v6, 16);
			ep->family = IP_V6;
		}
	} else {
		return false;
	}
	inet_ntop(ep->family == IP_V4 ? AF_INET : AF_INET6, ep->addr, a, sizeof(a));
	snprintf(text, len, "%s:%s", ip_family_name(ep->family), a);
	ep->text = text;
	return true;
}

static enum MHD_Result run_post(struct req_ctx *ctx, struct MHD_Connection *c)
{
	struct request req;
	struct alto_error err = {0};
	struct endpoint client;
	char client_text[64];
	const struct conf_limits *l = &ctx->snap->limits;
	struct request_limits lim = {l->max_endpoints, l->max_endpoint_pairs, l->max_pids, l->max_json_depth,
	                             l->max_constraints};
	bool have_client = client_endpoint(c, &client, client_text, sizeof(client_text));

	/* the body's JSON lives in this thread's arena until request_free */
	arena_begin();
	if (request_parse(ctx->res, ctx->cat, ctx->body.data ? ctx->body.data : "", ctx->body.len,
	                  have_client ? &client : NULL, &lim, &req, &err) != 0) {
		request_free(&req);
		arena_end();
		enum MHD_Result ret = send_alto_error(ctx, c, &err);
		alto_error_clear(&err);
		return ret;
	}
	size_t len = 0;
	char *body = service_run(ctx->res, &req, &len);
	request_free(&req);
	arena_end();
	if (body == NULL) {
		static const struct refusal oom = {MHD_HTTP_SERVICE_UNAVAILABLE, "Service Unavailable: out of memory\n",
		                                   NULL, 1, false};
		return send_refusal(ctx, c, &oom);
	}
	return send_response(ctx, c, MHD_HTTP_OK, owned_body(body, len), ctx->res->media_type, len);
}

/* The framing and Host headers of a request, as received (every line). */
struct head_fields {
	unsigned hosts, lengths, encodings;
	const char *host, *length, *encoding;
	bool lengths_differ;
	bool spaced_name; /* whitespace between a field name and its colon */
};

static enum MHD_Result count_fields(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct head_fields *h = cls;
	if (strpbrk(key, " \t"))
		h->spaced_name = true;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		h->hosts++;
		h->host = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (h->lengths++ && strcmp(h->length, value ? value : "") != 0)
			h->lengths_differ = true;
		if (h->lengths == 1)
			h->length = value ? value : "";
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		h->encodings++;
		h->encoding = value ? value : "";
	}
	return MHD_YES;
}

/* uri-host [ ":" port ] (RFC 7230 §2.7.1, RFC 3986 §3.2.2): an IP-literal
 * in brackets, or reg-name / IPv4address (unreserved, pct-encoded,
 * sub-delims); no userinfo. Empty only where allowed. */
static bool authority_ok(const char *s, size_t n, bool allow_empty)
{
	size_t i = 0;
	if (n == 0)
		return allow_empty;
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!(isxdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '.'))
				return false;
		if (i == n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && s[i] != ':'; i++) {
			unsigned char ch = (unsigned char)s[i];
			if (ch == '%') {
				if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
				    !isxdigit((unsigned char)s[i + 2]))
					return false;
				i += 2;
			} else if (!isalnum(ch) && !strchr("-._~!$&'()*+,;=", ch)) {
				return false;
			}
		}
		if (i == 0)
			return false; /* ":port" without a host */
	}
	if (i == n)
		return true;
	if (s[i] != ':')
		return false;
	for (i++; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* RFC 7230 §5.3.2: a server MUST accept the absolute-form. Returns the
 * path to route (the origin form's, "/" for an empty one), or NULL when
 * the target is absolute but its scheme is not http(s) or its authority
 * is not a valid, non-empty one (§2.7.1: "A recipient that processes such
 * a URI reference MUST reject it as invalid"). Another target is returned
 * as it is. */
static const char *origin_path(const char *url)
{
	size_t k = 0;
	if (!isalpha((unsigned char)url[0]))
		return url;
	while (isalnum((unsigned char)url[k]) || url[k] == '+' || url[k] == '-' || url[k] == '.')
		k++;
	if (strncmp(url + k, "://", 3) != 0)
		return url;
	if (!((k == 4 && strncasecmp(url, "http", 4) == 0) || (k == 5 && strncasecmp(url, "https", 5) == 0)))
		return NULL;
	const char *auth = url + k + 3;
	const char *path = strchr(auth, '/');
	size_t alen = path ? (size_t)(path - auth) : strlen(auth);
	if (!authority_ok(auth, alen, false))
		return NULL;
	return path ? path : "/";
}

/* RFC 7230 §3.3.3 and §5.4: the request's framing and Host. NULL when
 * fine, else why it is refused (a 400, and the connection closed: after a
 * framing error no later byte can be trusted to start a request). */
static const char *framing_error(struct MHD_Connection *c, const char *version)
{
	struct head_fields h = {0};
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_fields, &h);
	bool http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
	/* §3.2.4: "A server MUST reject any received request message that
	 * contains whitespace between a header field-name and colon with a
	 * response code of 400". libmicrohttpd 0.9.75 keeps the whitespace in
	 * the name: "Content-Length : 5" was no Content-Length to it, and the
	 * body was read as the next request. */
	if (h.spaced_name)
		return "Bad Request: whitespace between a header name and its colon\n";
	/* §5.4: "A server MUST respond with a 400 (Bad Request) status code to
	 * any HTTP/1.1 request message that lacks a Host header field and to
	 * any request message that contains more than one Host header field or
	 * a Host header field with an invalid field-value." */
	if (h.hosts > 1 || (h.hosts == 0 && !http10))
		return "Bad Request: an HTTP/1.1 request needs one Host header\n";
	size_t hlen = h.host ? strlen(h.host) : 0;
	while (hlen > 0 && (h.host[hlen - 1] == ' ' || h.host[hlen - 1] == '\t'))
		hlen--; /* §3.2.4: OWS around a value is not part of it (libmicrohttpd keeps the trailing one) */
	if (h.host && !authority_ok(h.host, hlen, true))
		return "Bad Request: invalid Host header\n";
	/* §3.3.3 item 4: differing Content-Lengths are an unrecoverable
	 * framing error. Identical repeated ones are refused too (§3.3.2 lets
	 * a recipient reject them): a proxy in front may have read them
	 * otherwise. libmicrohttpd 0.9.75 would take the first. */
	if (h.lengths > 1)
		return h.lengths_differ ? "Bad Request: Content-Length headers that differ\n"
		                        : "Bad Request: repeated Content-Length header\n";
	if (h.encodings > 0) {
		/* §3.3.1: Transfer-Encoding in HTTP/1.0 is faulty framing;
		 * §3.3.3 item 3: a request with both headers "ought to be
		 * handled as an error" (RFC 9112 §6.1: and the connection
		 * closed), and chunked must be the final (for altod, the only)
		 * coding, which libmicrohttpd 0.9.75 reads from the first
		 * Transfer-Encoding line only. */
		if (http10)
			return "Bad Request: Transfer-Encoding in an HTTP/1.0 request\n";
		if (h.lengths > 0)
			return "Bad Request: both Content-Length and Transfer-Encoding\n";
		if (h.encodings > 1 || strcasecmp(h.encoding, "chunked") != 0)
			return "Bad Request: the only transfer coding accepted is chunked\n";
	}
	return NULL;
}

/* Counts this connection against the client (once), and checks its limit. */
static bool connection_ok(struct MHD_Connection *c, struct client_state *cs, unsigned max)
{
	struct conn_ctx *cc = conn_of(c);
	if (cc == NULL || cc->cs == cs)
		return true; /* counted already */
	/* a connection over the limit is refused and not counted: the
	 * client's other connections keep working */
	pthread_mutex_lock(&cs->lock);
	bool ok = max == 0 || cs->conns < max;
	if (ok)
		cs->conns++;
	pthread_mutex_unlock(&cs->lock);
	if (!ok)
		return false;
	if (cc->cs) { /* the same connection, another client than before */
		pthread_mutex_lock(&cc->cs->lock);
		cc->cs->conns--;
		pthread_mutex_unlock(&cc->cs->lock);
	}
	cc->cs = cs;
	return true;
}

/* The peer address as a throttle key (throttle_addr_key). */
static size_t peer_key(struct MHD_Connection *c, uint8_t key[THROTTLE_ADDR_KEY])
{
	struct endpoint ep;
	char text[64];
	if (!client_endpoint(c, &ep, text, sizeof(text))) {
		key[0] = 0;
		return 1;
	}
	return throttle_addr_key(ep.family == IP_V6, ep.addr, key);
}

/* Password guessing: a request with credentials is refused (429) before
 * any password is checked when its peer address or the user it claims
 * has no failure token left; each failed authentication costs one of
 * both. The per-address bucket stops one attacker trying many names, the
 * per-user one many addresses trying one name. A header whose user
 * cannot be read counts under one shared name, so that no malformed
 * variant escapes the per-user limit. */
struct claim {
	uint8_t peer[THROTTLE_ADDR_KEY];
	size_t peer_len;
	char user[1 + AUTH_USER_MAX]; /* 'u' + name, or "" (unreadable) */
	size_t user_len;
};

static void claim_of(struct MHD_Connection *c, const char *authz, struct claim *cl)
{
	cl->peer_len = peer_key(c, cl->peer);
	cl->user[0] = 'u';
	if (auth_claimed_user(authz, cl->user + 1, sizeof(cl->user) - 1)) {
		cl->user_len = 1 + strlen(cl->user + 1);
	} else {
		cl->user[0] = '\0';
		cl->user_len = 1;
	}
}

/* Picks the catalog of the client asking. false with *no set: refused. */
static bool authorize(struct server *srv, struct MHD_Connection *c, struct req_ctx *ctx, const char *url,
                      const char *method, struct refusal *no)
{
	gnutls_session_t verified = NULL;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	ctx->basic_ok = ci && ci->tls_session; /* Basic over TLS only */
	if (!tls_rebind(c, &verified)) {
		/* the connection's client certificate does not pass the trust
		 * of the current TLS state: RFC 9110 §15.5.20, this connection
		 * cannot serve the request; a new one can (its handshake is
		 * checked against the current CAs and CRLs) */
		*no = (struct refusal){MHD_HTTP_MISDIRECTED_REQUEST,
		                       "Misdirected Request: the client certificate of this connection is no longer "
		                       "accepted; connect again\n",
		                       NULL, 0, false};
		ctx->client = "?";
		ctx->close = true;
		return false;
	}
	const struct snapshot_access *a = ctx->snap->access;
	if (a == NULL) {
		ctx->cat = ctx->snap->cat;
		return true;
	}
	const struct policy *p = a->policy;
	/* Digest over TLS, and on a plain listener only with clear-digest */
	ctx->digest_ok = ctx->basic_ok;
	if (!ctx->digest_ok) {
		const struct listener *l = listener_at(srv, c, false);
		ctx->digest_ok = l && l->clear_digest;
	}
	const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	struct claim cl;
	double retry = 1;
	if (authz && ctx->digest_ok) { /* credentials that will be checked */
		double ra = 0, ru = 0;
		claim_of(c, authz, &cl);
		/* a token of each is taken before the password is checked, so
		 * that concurrent guesses cannot all pass on the same last
		 * token, and given back unless the authentication fails */
		bool addr_ok =
		        buckets_take(&srv->fail_addr, cl.peer, cl.peer_len, p->fail_addr.rate, p->fail_addr.burst, &ra);
		bool user_ok =
		        buckets_take(&srv->fail_user, cl.user, cl.user_len, p->fail_user.rate, p->fail_user.burst, &ru);
		if (!addr_ok || !user_ok) {
			if (addr_ok)
				buckets_give(&srv->fail_addr, cl.peer, cl.peer_len, p->fail_addr.rate,
				             p->fail_addr.burst);
			if (user_ok)
				buckets_give(&srv->fail_user, cl.user, cl.user_len, p->fail_user.rate,
				             p->fail_user.burst);
			ctx->limited = addr_ok ? "auth-failures-per-user" : "auth-failures-per-address";
			ctx->client = "?";
			/* the wait until both have a token */
			retry = addr_ok ? ru : user_ok ? ra : ra > ru ? ra : ru;
			*no = (struct refusal){MHD_HTTP_TOO_MANY_REQUESTS,
			                       "Too Many Requests: too many failed authentications\n", NULL, retry,
			                       false};
			return false;
		}
	}
	ssize_t idx = -1;
	struct auth_request rq = {method, url, verified, ctx->basic_ok, ctx->digest_ok, srv->peers};
	enum auth_result ar = auth_identify(c, a, srv->digest, &rq, &idx);
	if (authz && ctx->digest_ok && ar != AUTH_FAIL) {
		buckets_give(&srv->fail_addr, cl.peer, cl.peer_len, p->fail_addr.rate, p->fail_addr.burst);
		buckets_give(&srv->fail_user, cl.user, cl.user_len, p->fail_user.rate, p->fail_user.burst);
	}
	double rate = p->rate, burst = p->burst;
	unsigned max_conns = p->max_connections;
	if (ar == AUTH_OK) {
		const struct policy_client *pc = &p->clients[idx];
		ctx->client = pc->name;
		ctx->cat = a->client_cat[idx];
		if (pc->rate > 0)
			rate = pc->rate;
		if (pc->burst > 0)
			burst = pc->burst;
		if (pc->max_connections > 0)
			max_conns = pc->max_connections;
	} else if (ar == AUTH_NONE && a->anonymous) {
		ctx->client = "anonymous";
		ctx->cat = a->anonymous;
		ctx->anonymous_by_default = true;
	} else if (!ctx->digest_ok) {
		/* plain HTTP without clear-digest: no challenge invites a
		 * password in clear, and credentials sent here are not looked at */
		*no = (struct refusal){MHD_HTTP_FORBIDDEN, "Forbidden: credentials only over TLS\n", NULL, 0, false};
		ctx->client = ar == AUTH_NONE ? "-" : "?";
		return false;
	} else {
		*no = (struct refusal){MHD_HTTP_UNAUTHORIZED, "Unauthorized\n", NULL, 0, ar == AUTH_STALE};
		ctx->client = ar == AUTH_NONE ? "-" : "?";
		return false;
	}
	ctx->cs = clients_get(&srv->clients, ctx->client);
	if (ctx->cs == NULL) {
		*no = (struct refusal){MHD_HTTP_SERVICE_UNAVAILABLE, "Service Unavailable\n", NULL, 1, false};
		return false;
	}
	if (!connection_ok(c, ctx->cs, max_conns)) {
		*no = (struct refusal){MHD_HTTP_TOO_MANY_REQUESTS, "Too Many Requests: too many connections\n", NULL, 1,
		                       false};
		return false;
	}
	bool ok;
	if (ctx->anonymous_by_default) {
		/* anonymous clients: a bucket per peer address, not one shared
		 * by all (where one could starve the others) */
		uint8_t peer[THROTTLE_ADDR_KEY];
		size_t peer_len = peer_key(c, peer);
		ok = buckets_take(&srv->anon_addr, peer, peer_len, rate, burst, &retry);
	} else {
		ok = client_take(ctx->cs, rate, burst, &retry);
	}
	if (!ok) {
		*no = (struct refusal){MHD_HTTP_TOO_MANY_REQUESTS, "Too Many Requests\n", NULL, retry, false};
		return false;
	}
	return true;
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	*(size_t *)cls += strlen(key) + 2 + (value ? strlen(value) : 0) + 2; /* "key: value\r\n" */
	return MHD_YES;
}

/* The size of the request line and headers as sent (near enough: the
 * query string and whitespace are not counted). libmicrohttpd's own limit
 * is its connection memory, set with room to spare; this one is exact. */
static size_t head_size(struct MHD_Connection *c, const char *url, const char *method)
{
	size_t n = strlen(method) + 1 + strlen(url) + 1 + 8 + 2 + 2; /* "M U HTTP/1.1\r\n" ... "\r\n" */
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_header_size, &n);
	return n;
}

/* First call: route and check everything the headers can tell. Returns
 * false with *no set when the request must be refused. */
static bool check_headers(struct server *srv, struct MHD_Connection *c, struct req_ctx *ctx, const char *url,
                          const char *method, const char *version, struct refusal *no)
{
	const char *framing = framing_error(c, version);
	const char *path = framing ? url : origin_path(url);
	if (path == NULL)
		framing = "Bad Request: invalid absolute request target\n";
	if (framing) {
		*no = (struct refusal){MHD_HTTP_BAD_REQUEST, framing, NULL, 0, false};
		ctx->close = true;
		ctx->framing = true;
		return false;
	}
	if (head_size(c, url, method) > ctx->snap->limits.max_header_size) {
		*no = (struct refusal){MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large\n",
		                       NULL, 0, false};
		ctx->close = true;
		return false;
	}
	if (!authorize(srv, c, ctx, url, method, no))
		return false;
	/* a resource this client may not see is exactly one that does not exist */
	ctx->res = catalog_route(ctx->cat, path);
	if (ctx->res == NULL) {
		/* An anonymous client is challenged instead: Digest clients send
		 * credentials only after a 401. Every URI outside the anonymous
		 * catalog answers so, whether it exists for others or not. */
		if (ctx->snap->access && ctx->cat == ctx->snap->access->anonymous && ctx->anonymous_by_default &&
		    ctx->digest_ok)
			*no = (struct refusal){MHD_HTTP_UNAUTHORIZED, "Unauthorized\n", NULL, 0, false};
		else
			*no = (struct refusal){MHD_HTTP_NOT_FOUND, "Not Found\n", NULL, 0, false};
		return false;
	}
	const struct resource *res = ctx->res;
	bool is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0) {
		ctx->options = true;
		return true;
	}
	if (!method_known(method)) {
		*no = (struct refusal){MHD_HTTP_NOT_IMPLEMENTED, "Not Implemented\n", NULL, 0, false};
		return false;
	}
	/* §8.3.2: GET and POST are not interchangeable */
	if ((res->accepts && !is_post) || (!res->accepts && !is_get)) {
		*no = (struct refusal){MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n", allow_of(res), 0, false};
		return false;
	}
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	if (!media_accepts(accept, res->media_type)) {
		*no = (struct refusal){MHD_HTTP_NOT_ACCEPTABLE,
		                       "Not Acceptable: this resource is only available as its ALTO media type\n", NULL,
		                       0, false};
		return false;
	}
	if (!is_post)
		return true;
	/* §8.3.2: the client MUST send the media type of its input */
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!media_is(ctype, res->accepts)) {
		*no = (struct refusal){MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		                       "Unsupported Media Type: see the resource's \"accepts\" in the directory\n",
		                       NULL, 0, false};
		return false;
	}
	const char *clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(clen, &end, 10);
		if (errno == 0 && *end == '\0' && n > ctx->snap->limits.max_request_body) {
			*no = (struct refusal){MHD_HTTP_CONTENT_TOO_LARGE, "Content Too Large\n", NULL, 0, false};
			return false;
		}
	}
	ctx->post = true;
	return true;
}

static size_t drain_bound(const struct conf_limits *l)
{
	size_t bound = 16u << 20;
	return l->max_request_body > bound / 4 ? 4 * l->max_request_body : bound;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	struct server *srv = cls;
	struct req_ctx *ctx = *con_cls;

	if (ctx == NULL) {
		ctx = calloc(1, sizeof(*ctx));
		if (ctx == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &ctx->start);
		ctx->client = "-";
		ctx->digest = srv->digest;
		buf_init(&ctx->body);
		atomic_fetch_add(&srv->inflight, 1);
		ctx->snap = slot_acquire(srv->slot); /* pinned until completion */
		*con_cls = ctx;
		struct conn_ctx *cc = conn_of(c);
		if (cc)
			atomic_store(&cc->head_thread, 0);
		if (!check_headers(srv, c, ctx, url, method, version, &ctx->refusal)) {
			/* A POST body is not read for nothing: refuse it now (and
			 * libmicrohttpd closes the connection). Anything else is
			 * answered after the request is complete, which keeps the
			 * connection alive. */
			if (ctx->framing || strcmp(method, MHD_HTTP_METHOD_POST) == 0 ||
			    strcmp(method, MHD_HTTP_METHOD_PUT) == 0 || strcmp(method, "PATCH") == 0) {
				conn_answering(c, ctx->snap->limits.response_timeout);
				return send_refusal(ctx, c, &ctx->refusal);
			}
			ctx->refused = true;
		}
		return MHD_YES;
	}
	const struct conf_limits *lim = &ctx->snap->limits;
	if (*upload_data_size > 0) {
		if (!ctx->post) {
			/* a body where none is expected: read and dropped, bounded */
			ctx->dropped += *upload_data_size;
			*upload_data_size = 0;
			return ctx->dropped > lim->max_request_body ? MHD_NO : MHD_YES;
		}
		if (!ctx->too_large && ctx->body.len + *upload_data_size > lim->max_request_body)
			ctx->too_large = true;
		if (ctx->too_large) {
			/* A chunked body over the limit: libmicrohttpd cannot answer
			 * before the body is read, so read and drop it up to a bound
			 * (the client then gets its 413); past the bound, close. */
			ctx->dropped += *upload_data_size;
			if (ctx->dropped > drain_bound(lim))
				return MHD_NO;
		} else {
			buf_append(&ctx->body, upload_data, *upload_data_size);
			if (ctx->body.oom)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	conn_answering(c, lim->response_timeout);
	if (ctx->refused)
		return send_refusal(ctx, c, &ctx->refusal);
	if (ctx->options) {
		struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow_of(ctx->res));
		return send_response(ctx, c, MHD_HTTP_NO_CONTENT, r, NULL, 0);
	}
	if (ctx->too_large) {
		static const struct refusal big = {MHD_HTTP_CONTENT_TOO_LARGE, "Content Too Large\n", NULL, 0, false};
		return send_refusal(ctx, c, &big);
	}
	if (!ctx->post)
		return send_rendered(ctx, c);
	return run_post(ctx, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct req_ctx *ctx = *con_cls;

	if (ctx == NULL)
		return;
	atomic_fetch_sub(&srv->inflight, 1);
	conn_expect_request(conn_of(c), ctx->snap->limits.request_timeout);
	if (ctx->cs)
		client_count(ctx->cs, ctx->status, ctx->bytes);
	/* the audit line (RFC 7285 §15.4: never addresses or request bodies) */
	if (ctx->snap->access && ctx->snap->access->policy->audit) {
		struct timespec end;
		clock_gettime(CLOCK_MONOTONIC, &end);
		double ms = (double)(end.tv_sec - ctx->start.tv_sec) * 1e3 +
		            (double)(end.tv_nsec - ctx->start.tv_nsec) / 1e6;
		log_info("audit", "client=%s resource=%s status=%u bytes=%zu ms=%.3f%s%s%s", ctx->client,
		         ctx->res ? (ctx->res->id[0] ? ctx->res->id : "directory") : "-", ctx->status, ctx->bytes, ms,
		         toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted", ctx->limited ? " limited=" : "",
		         ctx->limited ? ctx->limited : "");
	}
	buf_free(&ctx->body);
	snapshot_unref(ctx->snap);
	free(ctx);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_ctx *cc = calloc(1, sizeof(*cc));
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (cc == NULL)
			return;
		cc->fd = ci ? ci->connect_fd : -1;
		struct snapshot *s = slot_acquire(srv->slot);
		conn_expect_request(cc, s->limits.request_timeout);
		snapshot_unref(s);
		pthread_mutex_lock(&srv->conns_lock);
		cc->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = cc;
		srv->conns = cc;
		pthread_mutex_unlock(&srv->conns_lock);
		*socket_context = cc;
		return;
	}
	struct conn_ctx *cc = *socket_context;
	if (cc == NULL)
		return;
	if (cc->cs) {
		pthread_mutex_lock(&cc->cs->lock);
		cc->cs->conns--;
		pthread_mutex_unlock(&cc->cs->lock);
	}
	/* unlinked before libmicrohttpd closes the socket: the watchdog never
	 * touches a descriptor number that may have been reused */
	pthread_mutex_lock(&srv->conns_lock);
	if (cc->prev)
		cc->prev->next = cc->next;
	else
		srv->conns = cc->next;
	if (cc->next)
		cc->next->prev = cc->prev;
	pthread_mutex_unlock(&srv->conns_lock);
	free(cc);
	*socket_context = NULL;
}

/* shutdown() makes libmicrohttpd see the end of the stream (or fail its
 * next send) and close: the request completes, its snapshot is released. */
static void cut(struct server *srv, struct conn_ctx *cc, bool answering)
{
	shutdown(cc->fd, SHUT_RDWR);
	cc->cut = true;
	atomic_fetch_add(answering ? &srv->cut_response : &srv->cut_request, 1);
	log_debug("server", answering ? "connection cut off: its answer took longer than response-timeout"
	                              : "connection cut off: its request took longer than request-timeout");
}

/* Cuts off connections whose request did not arrive whole in time (a
 * client sending one byte a second keeps an idle timeout happy, not this),
 * and those whose answer was not built and sent in time (a client that
 * reads a byte a second keeps connection-timeout happy, not this). */
static void *watchdog(void *arg)
{
	struct server *srv = arg;
	struct timespec step = {0, 250L * 1000 * 1000};
	while (!atomic_load(&srv->stopping)) {
		nanosleep(&step, NULL);
		int64_t now = now_ms();
		pthread_mutex_lock(&srv->conns_lock);
		for (struct conn_ctx *cc = srv->conns; cc; cc = cc->next) {
			if (cc->cut || cc->fd < 0)
				continue;
			int64_t a = atomic_load(&cc->answer_deadline_ms);
			bool answer_late = a && now > a;
			if (atomic_load(&cc->answering)) {
				if (answer_late)
					cut(srv, cc, true);
				continue;
			}
			int64_t d = atomic_load(&cc->deadline_ms);
			if (!d || now <= d)
				continue;
			int unsent = 0;
			if (ioctl(cc->fd, TIOCOUTQ, &unsent) == 0 && unsent > 0) {
				/* the client is still reading the last answer: not
				 * idle, but bounded by that answer's response-timeout */
				if (answer_late)
					cut(srv, cc, true);
				else
					atomic_store(&cc->deadline_ms, now + 1000);
				continue;
			}
			cut(srv, cc, false);
		}
		pthread_mutex_unlock(&srv->conns_lock);
	}
	return NULL;
}

void server_log_stats(struct server *srv)
{
	clients_log(&srv->clients);
	log_notice("server",
	           "connections cut off: %lu past request-timeout, %lu past response-timeout; %u snapshot(s) in memory",
	           atomic_load(&srv->cut_request), atomic_load(&srv->cut_response), snapshot_live());
	peers_log_stats(srv->peers);
}

/* ---- libmicrohttpd's own answer to a bad Content-Length ----
 *
 * libmicrohttpd 0.9.75 parses Content-Length before altod sees the request
 * and answers a value it cannot parse ("abc", "-1", "82, 82", "77 ", or
 * one past 2^64) itself, without calling altod. That answer is broken: its
 * header block is sent twice, and the first one's Content-Length covers
 * the second (parse_connection_headers queues the error response and
 * builds its header, then MHD_connection_handle_idle overwrites the state
 * and builds it again). RFC 7230 §3.3.3 item 4 wants a 400 and a close.
 * The one hook in that path is the error logger, which runs in the worker
 * thread that owns the connection, just before the answer is queued: it
 * finds the connection (of this thread, between its request line and
 * altod's first call, with an unparsable first Content-Length), writes a
 * well-framed answer itself (plain HTTP; on TLS a raw write would break
 * the record layer, so it only closes) and shuts the socket down, so
 * libmicrohttpd's own bytes never leave. Another connection of the same
 * thread still reading its headers, whose first Content-Length is already
 * unparsable, is doomed to the same answer and gets it now. */

static atomic_uint thread_tags;
static _Thread_local unsigned thread_tag;

static unsigned this_thread_tag(void)
{
	if (thread_tag == 0)
		thread_tag = atomic_fetch_add(&thread_tags, 1) + 1;
	return thread_tag;
}

/* MHD_OPTION_URI_LOG_CALLBACK: right after the request line. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn_ctx *cc = conn_of(c);
	if (cc) {
		cc->conn = c;
		atomic_store(&cc->head_thread, this_thread_tag());
	}
	return NULL;
}

/* As libmicrohttpd 0.9.75 reads it (MHD_str_to_uint64_n_ over the whole
 * value): one or more digits and nothing else, below 2^64. */
static bool mhd_parses_length(const char *v)
{
	uint64_t n = 0;
	if (*v == '\0')
		return false;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - (uint64_t)(*v - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	return true;
}

static void bad_content_length(struct server *srv, bool too_large)
{
	static const char body400[] = "Bad Request: invalid Content-Length\n";
	static const char body413[] = "Content Too Large\n";
	char out[320], date[64];
	const char *body = too_large ? body413 : body400;
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm); /* RFC 7231 §7.1.1.2 */
	int n = snprintf(out, sizeof(out),
	                 "HTTP/1.1 %s\r\nDate: %s\r\nConnection: close\r\nContent-Type: text/plain; "
	                 "charset=utf-8\r\nContent-Length: %zu\r\n\r\n%s",
	                 too_large ? "413 Content Too Large" : "400 Bad Request", date, strlen(body), body);
	unsigned me = this_thread_tag();
	pthread_mutex_lock(&srv->conns_lock);
	for (struct conn_ctx *cc = srv->conns; cc; cc = cc->next) {
		if (atomic_load(&cc->head_thread) != me || cc->cut || cc->fd < 0 || cc->conn == NULL)
			continue;
		/* this thread's connection: not read from anywhere else now. Its
		 * headers so far (libmicrohttpd adds a line when the next one
		 * comes): a Content-Length it cannot parse, and no
		 * Transfer-Encoding, which would make it ignore the length */
		const char *len =
		        MHD_lookup_connection_value(cc->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (len == NULL || mhd_parses_length(len) ||
		    MHD_lookup_connection_value(cc->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
			continue;
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(cc->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (!(ci && ci->tls_session) && n > 0 && send(cc->fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("http", "the answer to a bad Content-Length was not sent: %s", strerror(errno));
		shutdown(cc->fd, SHUT_RDWR);
		cc->cut = true;
		atomic_store(&cc->head_thread, 0);
		log_info("http", "request with an invalid Content-Length: answered %s and closed",
		         too_large ? "413" : "400");
	}
	pthread_mutex_unlock(&srv->conns_lock);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct server *srv = cls;
	/* the messages of parse_connection_headers in libmicrohttpd 0.9.75 */
	if (strstr(fmt, "Failed to parse `Content-Length' header"))
		bad_content_length(srv, false);
	else if (strstr(fmt, "Too large value of 'Content-Length' header"))
		bad_content_length(srv, true);
	log_vmsg(LOG_LVL_WARNING, "http", fmt, ap);
}

/* ---- TLS ---- */

/* GnuTLS callbacks carry no closure: the one server of the process. */
static struct server *g_server;

/* The listener (TLS or plain) a connection came in on, by its local address. */
static struct listener *listener_at(struct server *srv, struct MHD_Connection *c, bool tls)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	memset(&local, 0, sizeof(local));
	if (ci == NULL || getsockname(ci->connect_fd, (struct sockaddr *)&local, &len) != 0)
		return NULL;
	for (size_t i = 0; i < srv->nls; i++) {
		struct listener *l = &srv->ls[i];
		if ((atomic_load(&l->tls) != NULL) != tls || l->bound.ss_family != local.ss_family)
			continue;
		if (local.ss_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)&l->bound, *b = (const void *)&local;
			if (a->sin_port == b->sin_port &&
			    (a->sin_addr.s_addr == htonl(INADDR_ANY) || a->sin_addr.s_addr == b->sin_addr.s_addr))
				return l;
		} else {
			const struct sockaddr_in6 *a = (const void *)&l->bound, *b = (const void *)&local;
			if (a->sin6_port == b->sin6_port &&
			    (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) ||
			     memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0))
				return l;
		}
	}
	return NULL;
}

static struct listener *listener_of(gnutls_session_t session)
{
	struct MHD_Connection *c = gnutls_session_get_ptr(session);
	struct server *srv = g_server;
	if (c == NULL || srv == NULL)
		return NULL;
	return listener_at(srv, c, true);
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
static bool tls_rebind(struct MHD_Connection *c, gnutls_session_t *verified)
{
	*verified = NULL;
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
	if (st->trust)
		*verified = ci->tls_session;
	return true;
}

/* Called while the ClientHello is processed: hands over the listener's
 * current certificate (so a reload rotates it) and asks for a client
 * certificate where the listener wants one. */
static int retrieve_cert(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
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
		/* a handshake may still use the old state: keep it until stop */
		struct tls_state *old = atomic_exchange(&l->tls, states[i]);
		old->retired_next = l->retired;
		l->retired = old;
	}
}

/* ---- listeners ---- */

static int open_listener(const struct conf_listener *l, struct listener *out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, l->address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(l->port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, l->address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l->port);
		sl = sizeof(*s6);
	} else {
		log_err("server", "listener %s: not a numeric address", l->address);
		return ALTOD_ELISTEN;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_err("server", "cannot listen on %s port %u: %s", l->address, l->port, strerror(errno));
		return ALTOD_ELISTEN;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) /* "::" means IPv6 only: list 0.0.0.0 too for IPv4 */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0) {
		log_err("server", "cannot listen on %s port %u: %s", l->address, l->port, strerror(errno));
		close(fd);
		return ALTOD_ELISTEN;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	out->bound = ss;
	unsigned port = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	snprintf(out->name, sizeof(out->name), ss.ss_family == AF_INET ? "%s:%u" : "[%s]:%u", l->address, port);
	out->fd = fd;
	return 0;
}

static unsigned ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int server_start(const struct conf *c, struct snapshot_slot *slot, struct tls_state **tls, struct server **out)
{
	struct server *srv = calloc(1, sizeof(*srv));

	*out = NULL;
	if (srv == NULL)
		return ALTOD_ENOMEM;
	srv->slot = slot;
	clients_init(&srv->clients);
	if (buckets_init(&srv->fail_user, THROTTLE_ENTRIES) != 0 ||
	    buckets_init(&srv->fail_addr, THROTTLE_ENTRIES) != 0 ||
	    buckets_init(&srv->anon_addr, THROTTLE_ENTRIES) != 0) {
		buckets_destroy(&srv->fail_user);
		buckets_destroy(&srv->fail_addr);
		clients_destroy(&srv->clients);
		free(srv);
		return ALTOD_ENOMEM;
	}
	pthread_mutex_init(&srv->conns_lock, NULL);
	srv->ls = calloc(c->nlisten, sizeof(*srv->ls));
	if (srv->ls == NULL) {
		server_stop(srv, 0);
		return ALTOD_ENOMEM;
	}
	unsigned threads = c->threads ? c->threads : ncpus();
	/* Digest: nonces issued before now were never seen by this process */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	srv->digest = digest_state_new(0, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	if (srv->digest == NULL) {
		server_stop(srv, 0);
		return ALTOD_ENOMEM;
	}
	int prc = peers_start(c->digest_listen, srv->digest, slot, &srv->peers);
	if (prc != 0) {
		server_stop(srv, 0);
		return prc;
	}
	/* Every listener is opened and described before the first daemon
	 * starts: the TLS callbacks read g_server, srv->nls and srv->ls from
	 * worker threads without a lock, so none of it may change once a
	 * worker runs (set up one by one, a handshake on the first listener
	 * raced with the second's setup). Only each listener's tls pointer
	 * changes later, atomically. */
	for (size_t i = 0; i < c->nlisten; i++) {
		struct listener *l = &srv->ls[srv->nls];
		if (open_listener(&c->listen[i], l) != 0) {
			server_stop(srv, 0);
			return ALTOD_ELISTEN;
		}
		l->clear_digest = c->listen[i].clear_digest;
		srv->nls++;
		if (tls && tls[i]) {
			atomic_store(&l->tls, tls[i]);
			tls[i] = NULL; /* the listener owns it now */
		}
	}
	g_server = srv;
	for (size_t i = 0; i < srv->nls; i++) {
		struct listener *l = &srv->ls[i];
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
		struct MHD_OptionItem tls_opts[] = {
		        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)retrieve_cert},
		        {MHD_OPTION_HTTPS_PRIORITIES, 0, c->listen[i].tls ? c->listen[i].tls->priorities : NULL},
		        {MHD_OPTION_END, 0, NULL},
		};
		if (atomic_load(&l->tls))
			flags |= MHD_USE_TLS;
		else
			tls_opts[0].option = MHD_OPTION_END;
		/* clang-format off */
		l->mhd = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, srv,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, /* first, to catch every message */
			MHD_OPTION_ARRAY, tls_opts,
			MHD_OPTION_LISTEN_SOCKET, (MHD_socket)l->fd,
			MHD_OPTION_THREAD_POOL_SIZE, threads,
			MHD_OPTION_CONNECTION_LIMIT, c->limits.max_connections,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->limits.max_connections_per_address,
			/* the request line and headers must fit in this: altod checks
			 * max-header-size itself; libmicrohttpd needs room for its own
			 * bookkeeping on top (about 40 bytes per header line, so some
			 * 350 lines fit at the default). Not more: libmicrohttpd zeroes
			 * the whole pool between requests (4x this cost a 1x1 endpoint
			 * cost request a fifth of its time) */
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->limits.max_header_size + (size_t)16384,
			MHD_OPTION_CONNECTION_TIMEOUT, c->limits.connection_timeout,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
			MHD_OPTION_URI_LOG_CALLBACK, on_request_line, srv,
			/* Host is checked by altod itself (framing_error): libmicrohttpd
			 * 0.9.75's own 400 for it sends its headers twice */
			MHD_OPTION_STRICT_FOR_CLIENT, (int)0,
			MHD_OPTION_END);
		/* clang-format on */
		if (l->mhd == NULL) {
			log_err("server", "cannot start the HTTP server on %s", l->name);
			server_stop(srv, 0);
			return ALTOD_ELISTEN;
		}
		log_info("server", "listening on %s://%s/ (%u threads)", atomic_load(&l->tls) ? "https" : "http",
		         l->name, threads);
	}
	if (pthread_create(&srv->watchdog, NULL, watchdog, srv) != 0) {
		log_err("server", "cannot start the request-timeout watchdog");
		server_stop(srv, 0);
		return ALTOD_ENOMEM;
	}
	srv->watchdog_running = true;
	*out = srv;
	return 0;
}

void server_stop(struct server *srv, unsigned grace_ms)
{
	if (srv == NULL)
		return;
	/* stop accepting everywhere first */
	for (size_t i = 0; i < srv->nls; i++) {
		struct listener *l = &srv->ls[i];
		if (l->mhd)
			MHD_quiesce_daemon(l->mhd);
		/* shut down now, not at the end: a new connection is refused at
		 * once (a load balancer fails over) instead of waiting in the
		 * backlog. Closed only after MHD_stop_daemon, as libmicrohttpd
		 * documents for MHD_quiesce_daemon: its worker threads may still
		 * use the descriptor (epoll_ctl), and a number closed under them
		 * could be reused by another file */
		if (l->fd >= 0)
			shutdown(l->fd, SHUT_RDWR);
	}
	struct timespec step = {0, 10L * 1000 * 1000};
	/* idle keep-alive connections are not waited for: requests are */
	for (unsigned waited = 0; waited < grace_ms && atomic_load(&srv->inflight) > 0; waited += 10)
		nanosleep(&step, NULL);
	if (atomic_load(&srv->inflight) > 0)
		log_warning("server", "stopping with %u requests still in flight", atomic_load(&srv->inflight));
	for (size_t i = 0; i < srv->nls; i++) {
		struct listener *l = &srv->ls[i];
		if (l->mhd)
			MHD_stop_daemon(l->mhd);
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		tls_state_free(atomic_load(&l->tls));
		while (l->retired) {
			struct tls_state *next = l->retired->retired_next;
			tls_state_free(l->retired);
			l->retired = next;
		}
	}
	if (g_server == srv)
		g_server = NULL;
	atomic_store(&srv->stopping, true);
	if (srv->watchdog_running)
		pthread_join(srv->watchdog, NULL);
	pthread_mutex_destroy(&srv->conns_lock);
	clients_destroy(&srv->clients);
	peers_stop(srv->peers); /* no request runs: its receiver is the last user of the table */
	digest_state_free(srv->digest);
	buckets_destroy(&srv->fail_user);
	buckets_destroy(&srv->fail_addr);
	buckets_destroy(&srv->anon_addr);
	free(srv->ls);
	free(srv);
}

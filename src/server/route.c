/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One request through libmicrohttpd. On the first call of the access
 * handler (headers only) the request's framing is checked (framing.c), its
 * client authorized (authz.h), and it is routed and checked: unknown URI,
 * wrong method, Content-Type, Accept and an oversized Content-Length are
 * answered before a byte of the body is read. Per-request state lives in
 * *con_cls and is freed by the completion callback, which writes the audit
 * line. GET bodies are handed to libmicrohttpd without a copy; the snapshot
 * they live in is pinned by the response and released in its free
 * callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alto/errbody.h"
#include "alto/media.h"
#include "alto/request.h"
#include "alto/service.h"
#include "alto/tips.h"
#include "util/clock.h"
#include "util/log.h"
#include "server/admin.h"
#include "http_internal.h"
#include "server/tips.h"
#include "alto/sse.h"
#include "sse_internal.h"

struct refusal {
	unsigned status;
	const char *text;
	const char *allow;
	double retry_after; /* 429 */
	bool stale;         /* 401 */
};

struct req_ctx {
	struct snapshot *snap;
	const struct catalog *cat; /* what this client may see */
	const struct resource *res;
	struct listener *l;
	const char *client; /* client name for the audit log ("-": none) */
	struct client_state *cs;
	struct authz_decision az; /* who asks, what it may see, what a 401 may offer */
	bool close;               /* answer with Connection: close */
	bool corked;              /* the socket is corked until the answer is complete (https_cork) */
	struct buf body;
	size_t dropped; /* body bytes read and discarded */
	bool post;      /* a POST to a POST resource: the body is its input */
	bool options;
	bool refused;
	bool too_large;
	bool framing;     /* refused for its framing: answered at once, then closed */
	bool sse_control; /* a POST to the stream control URI of one of its update streams */
	char *path;       /* that URI */
	/* an update stream, answered: snap, cat and res are released (a stream
	 * must not pin the snapshot it was opened on), client is its own copy */
	bool stream;
	char *client_copy;
	struct refusal refusal;
	const char *url; /* the request target (libmicrohttpd's, for the request's life) */
	unsigned status; /* for the audit log */
	size_t bytes;
	struct timespec start;
	/* /healthz, /readyz: answered without credentials (admin.h) */
	unsigned health;
	const char *health_body;
	char method[12]; /* for the metrics (a longer one is "other" anyway) */
	bool held_ok;    /* held (below) is set */
	/* a request for a TIPS view (RFC 9569; tips.h): what it is about,
	 * whose view, and its place among the long polls */
	struct tips_target tips;
	const char *identity;
	const char *allow;         /* OPTIONS on a TIPS view path */
	const char *refusal_ctype; /* a TIPS refusal's: application/alto-error+json */
	/* copies of client and identity, which point into the snapshot the
	 * request started on, once a long poll moves to a newer one */
	char *owned_client, *owned_identity;
	/* what named the client of a long poll that moves to a newer
	 * snapshot (held_ok false: could not be kept, out of memory) */
	struct held_identity held;
	struct tips_waiter waiter;
};

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
	/* len: 0 for a body-less status; HEAD sends no body */
	ctx->corked = https_cork(c, strcmp(ctx->method, MHD_HTTP_METHOD_HEAD) == 0 ? 0 : len);
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
		char challenges[AUTH_CHALLENGES][AUTH_CHALLENGE_MAX];
		size_t n = auth_challenges(ctx->snap->access, ctx->l->srv->authz.digest, no->stale, ctx->az.basic_ok,
		                           challenges, AUTH_CHALLENGES);
		for (size_t i = 0; i < n; i++)
			MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenges[i]);
		ctx->status = no->status;
		ctx->bytes = strlen(text);
		enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
		MHD_destroy_response(r);
		return ret;
	}
	return send_response(ctx, c, no->status, r,
	                     ctx->refusal_ctype ? ctx->refusal_ctype : "text/plain; charset=utf-8", strlen(text));
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
	struct dir_view v = {.body = res->body,
	                     .body_len = res->body_len,
	                     .gz = res->gz,
	                     .gz_len = res->gz_len,
	                     .etag = res->etag,
	                     .etag_gz = res->etag_gz};
	if (res->kind == RES_DIRECTORY) {
		/* absolute URIs (baseuri.c). Each base has its own bytes and so
		 * its own strong ETag; no "Vary: Host": Host is part of the
		 * effective request URI (RFC 7230 §5.5), which a cache keys on
		 * already (RFC 7234 §2), so no two hosts share a stored answer */
		char base[BASEURI_MAX];
		int n = baseuri_of(c, ctx->l, ctx->url, base, sizeof(base));
		if (n < 0) {
			static const struct refusal bad = {MHD_HTTP_BAD_REQUEST,
			                                   "Bad Request: the Host header cannot name this server\n",
			                                   NULL, 0, false};
			return send_refusal(ctx, c, &bad);
		}
		if (n > 0 && catalog_directory(ctx->cat, base, (size_t)n, ctx->l->base_url != NULL, &v) != 0) {
			static const struct refusal oom = {MHD_HTTP_SERVICE_UNAVAILABLE,
			                                   "Service Unavailable: out of memory\n", NULL, 1, false};
			return send_refusal(ctx, c, &oom);
		}
	}
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	bool gz = v.gz && media_accepts_gzip(ae);
	const char *etag = gz ? v.etag_gz : v.etag;
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
	size_t body_len = gz ? v.gz_len : v.body_len;
	if (v.owned) {
		r = MHD_create_response_from_buffer_with_free_callback(body_len, v.owned, free);
		if (r == NULL) {
			free(v.owned);
			return MHD_NO;
		}
	} else {
		r = MHD_create_response_from_buffer_with_free_callback_cls(body_len, (void *)(gz ? v.gz : v.body),
		                                                           release_snapshot, snapshot_ref(ctx->snap));
		if (r == NULL) {
			snapshot_unref(ctx->snap);
			return MHD_NO;
		}
	}
	if (status == MHD_HTTP_OK) {
		len = body_len;
		if (gz)
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (v.gz) /* the representation depends on Accept-Encoding */
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	return send_response(ctx, c, status, r, status == MHD_HTTP_OK ? res->media_type : NULL, len);
}

/* ---- TIPS (RFC 9569; tips.h) ---- */

static void unref_blob(void *cls)
{
	upd_blob_unref(cls);
}

/* base: BASEURI_MAX bytes for the view URI's base, which rq points to */
static void tips_request_of(struct MHD_Connection *c, struct req_ctx *ctx, struct tips_request *rq, char *base)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	int n = baseuri_of(c, ctx->l, ctx->url, base, BASEURI_MAX);
	*rq = (struct tips_request){
	        .snap = ctx->snap,
	        .cat = ctx->cat,
	        .identity = ctx->identity,
	        .accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
	        .https = ci && ci->tls_session,
	        .listener = ctx->l->name,
	        .base = n >= 0 ? base : NULL,
	};
}

static enum MHD_Result send_tips_reply(struct req_ctx *ctx, struct MHD_Connection *c, struct tips_reply *r)
{
	if (r->full) { /* the snapshot edge: the resource itself, as a GET of it */
		ctx->res = r->full;
		return send_rendered(ctx, c);
	}
	struct MHD_Response *resp;
	if (r->blob) {
		resp = MHD_create_response_from_buffer_with_free_callback_cls(r->len, r->blob->data, unref_blob,
		                                                              r->blob);
		if (resp == NULL)
			upd_blob_unref(r->blob);
		r->blob = NULL;
	} else if (r->body) {
		resp = owned_body(r->body, r->len);
		r->body = NULL;
	} else {
		resp = MHD_create_response_from_buffer(r->len, (void *)r->static_body, MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL)
		return MHD_NO;
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->retry_after) {
		char ra[32];
		snprintf(ra, sizeof(ra), "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	return send_response(ctx, c, r->status, resp, r->ctype, r->len);
}

static const char conn_no_longer_accepted[] =
        "Misdirected Request: the client certificate of this connection is no longer accepted; connect again\n";

static bool tips_refuse(struct req_ctx *ctx, struct refusal *no, const struct tips_reply *r)
{
	*no = (struct refusal){r->status, r->static_body, NULL, r->retry_after, false};
	ctx->refusal_ctype = r->ctype;
	return false;
}

/* A GET of an edge: answered now, or the connection is suspended until a
 * reload, poll-timeout or stop, and this runs again. Each time it reads
 * the live snapshot: a waiting poll pins the one it last looked at only
 * until the next reload wakes it. */
static enum MHD_Result answer_tips_edge(struct req_ctx *ctx, struct MHD_Connection *c)
{
	struct server *srv = ctx->l->srv;
	for (;;) {
		uint64_t gen = tips_generation(srv->tips);
		struct snapshot *fresh = slot_acquire(srv->slot);
		if (fresh != ctx->snap && ctx->owned_identity == NULL) {
			ctx->owned_client = strdup(ctx->client);
			ctx->owned_identity = strdup(ctx->identity);
			if (ctx->owned_client == NULL || ctx->owned_identity == NULL) {
				free(ctx->owned_client);
				free(ctx->owned_identity);
				ctx->owned_client = ctx->owned_identity = NULL;
				snapshot_unref(fresh);
				fresh = ctx->snap; /* out of memory: answer from the one it has */
				snapshot_ref(fresh);
			} else {
				ctx->client = ctx->owned_client;
				ctx->identity = ctx->owned_identity;
				/* ctx->snap is still the one the request was
				 * authorized in */
				bool named = ctx->snap->access && !ctx->az.anonymous;
				ctx->held_ok =
				        https_hold_identity(c, ctx->snap, named ? ctx->owned_client : NULL, &ctx->held);
			}
		}
		unsigned lost = 0;
		if (fresh != ctx->snap) {
			snapshot_unref(ctx->snap);
			ctx->snap = fresh;
			/* a reload while it waited: answered only while what
			 * named its client still does (docs/isolation.md) */
			lost = ctx->held_ok ? https_identity_holds(c, fresh, &ctx->held) : MHD_HTTP_NOT_FOUND;
			ctx->cat = lost ? NULL : tips_catalog_of(fresh, ctx->identity);
		} else {
			snapshot_unref(fresh);
		}
		struct tips_reply r = {0};
		struct tips_request rq;
		char base[BASEURI_MAX];
		tips_request_of(c, ctx, &rq, base);
		if (lost == MHD_HTTP_MISDIRECTED_REQUEST) {
			/* as authorize() answers a request on such a connection */
			ctx->close = true;
			r = (struct tips_reply){.status = MHD_HTTP_MISDIRECTED_REQUEST,
			                        .ctype = "text/plain; charset=utf-8",
			                        .static_body = conn_no_longer_accepted};
			r.len = strlen(r.static_body);
		} else if (ctx->cat == NULL) {
			r = (struct tips_reply){.status = MHD_HTTP_NOT_FOUND,
			                        .ctype = MT_ERROR,
			                        .static_body = tips_err_no_view,
			                        .len = strlen(tips_err_no_view)};
		} else {
			tips_edge(srv->tips, &rq, &ctx->tips, &r);
		}
		if (r.wait && ctx->waiter.timed_out) {
			/* poll-timeout and still no edge: nothing yet, ask again */
			r = (struct tips_reply){.status = MHD_HTTP_NO_CONTENT, .static_body = ""};
		} else if (r.wait && tips_stopping(srv->tips)) {
			ctx->close = true;
			r = (struct tips_reply){.status = MHD_HTTP_SERVICE_UNAVAILABLE,
			                        .ctype = "text/plain; charset=utf-8",
			                        .static_body = "Service Unavailable: the server is stopping\n",
			                        .retry_after = 1};
			r.len = strlen(r.static_body);
		}
		if (!r.wait) {
			conn_answering(c, ctx->snap->limits.response_timeout);
			enum MHD_Result ret = send_tips_reply(ctx, c, &r);
			tips_reply_clear(&r);
			return ret;
		}
		if (ctx->waiter.deadline_ms == 0) {
			const union MHD_ConnectionInfo *fi =
			        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
			ctx->waiter.fd = fi ? fi->connect_fd : -1;
			ctx->waiter.deadline_ms = clock_mono_ms() + (int64_t)ctx->snap->upd_conf.poll_timeout * 1000;
		}
		/* its client went away (seen by the watchdog, or now, after a
		 * reload that had nothing for it): close, do not wait again */
		if (ctx->waiter.gone || tips_client_gone(ctx->waiter.fd))
			return MHD_NO;
		/* a waiting poll is neither late with its answer nor idle */
		conn_answering(c, 0);
		if (tips_wait(srv->tips, c, &ctx->waiter, gen))
			return MHD_YES;
	}
}

static bool method_known(const char *m);

/* A Content-Length over limits.max-request-body: 413 at once. */
static bool body_too_large(struct MHD_Connection *c, const struct req_ctx *ctx, struct refusal *no)
{
	const char *clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen == NULL)
		return false;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(clen, &end, 10);
	if (errno == 0 && *end == '\0' && n > ctx->snap->limits.max_request_body) {
		*no = (struct refusal){MHD_HTTP_CONTENT_TOO_LARGE, "Content Too Large\n", NULL, 0, false};
		return true;
	}
	return false;
}

/* First call for a path under a TIPS view: the view must be this
 * client's (else exactly what a view that never existed gets), then the
 * method, and for a next-edge request its media types. */
static bool check_tips_headers(struct MHD_Connection *c, struct req_ctx *ctx, const char *method, struct refusal *no)
{
	struct tips_request rq;
	char base[BASEURI_MAX];
	struct tips_reply r = {0};
	tips_request_of(c, ctx, &rq, base);
	if (!tips_view_check(ctx->l->srv->tips, &rq, &ctx->tips, &r))
		return tips_refuse(ctx, no, &r);
	bool edge = ctx->tips.kind == TIPS_PATH_EDGE, graph = ctx->tips.kind == TIPS_PATH_GRAPH;
	if (!edge && !graph) {
		*no = (struct refusal){MHD_HTTP_NOT_FOUND, tips_err_no_edge, NULL, 0, false};
		ctx->refusal_ctype = MT_ERROR;
		return false;
	}
	ctx->allow = edge ? "GET, HEAD, OPTIONS" : "POST, OPTIONS";
	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0) {
		ctx->options = true;
		return true;
	}
	if (!method_known(method)) {
		*no = (struct refusal){MHD_HTTP_NOT_IMPLEMENTED, "Not Implemented\n", NULL, 0, false};
		return false;
	}
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if ((edge && !get) || (graph && strcmp(method, MHD_HTTP_METHOD_POST) != 0)) {
		*no = (struct refusal){MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n", ctx->allow, 0, false};
		return false;
	}
	if (edge)
		return true;
	/* §7.4: 415 when the client does not take application/alto-tips+json */
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	if (!media_accepts(accept, MT_TIPS)) {
		*no = (struct refusal){MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, tips_err_media, NULL, 0, false};
		ctx->refusal_ctype = MT_ERROR;
		return false;
	}
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!media_is(ctype, MT_TIPSPARAMS)) {
		*no = (struct refusal){MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		                       "Unsupported Media Type: see the resource's \"accepts\" in the directory\n",
		                       NULL, 0, false};
		return false;
	}
	/* a next-edge request's body is as bounded as any other POST's */
	if (body_too_large(c, ctx, no))
		return false;
	ctx->post = true;
	return true;
}

/* ---- request handling ---- */

static const char *allow_of(const struct resource *res)
{
	if (res == NULL) /* a TIPS view's updates graph */
		return "POST, OPTIONS";
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
	struct alto_error err = {0};
	struct endpoint client;
	char client_text[64];
	const struct conf_limits *l = &ctx->snap->limits;
	struct request_limits lim = {l->max_endpoints, l->max_endpoint_pairs, l->max_pids, l->max_json_depth,
	                             l->max_constraints};
	bool have_client = client_endpoint(c, &client, client_text, sizeof(client_text));

	size_t len = 0;
	char *body = service_answer(ctx->res, ctx->cat, ctx->body.data ? ctx->body.data : "", ctx->body.len,
	                            have_client ? &client : NULL, &lim, &len, &err);
	if (body == NULL && err.code) {
		enum MHD_Result ret = send_alto_error(ctx, c, &err);
		alto_error_clear(&err);
		return ret;
	}
	if (body == NULL) {
		static const struct refusal oom = {MHD_HTTP_SERVICE_UNAVAILABLE, "Service Unavailable: out of memory\n",
		                                   NULL, 1, false};
		return send_refusal(ctx, c, &oom);
	}
	return send_response(ctx, c, MHD_HTTP_OK, owned_body(body, len), ctx->res->media_type, len);
}

static void not_found(const struct req_ctx *ctx, struct refusal *no);
static void sse_identity(struct MHD_Connection *c, const struct req_ctx *ctx, struct sse_who *who);

/* RFC 8895: opening an update stream, or a stream control request. */
static enum MHD_Result run_sse(struct req_ctx *ctx, struct MHD_Connection *c)
{
	struct sse_who who;
	struct sse_answer a;
	sse_identity(c, ctx, &who);
	const char *body = ctx->body.data ? ctx->body.data : "";
	/* the control URI (RFC 8895 §6.3) is absolute like the directory's
	 * URIs (baseuri.c); a Host that cannot make one: relative */
	char base[BASEURI_MAX];
	if (!ctx->sse_control && baseuri_of(c, ctx->l, ctx->url, base, sizeof(base)) < 0)
		base[0] = '\0';
	int rc = ctx->sse_control
	                 ? sse_control(ctx->l->srv, ctx->path, &who, ctx->snap, ctx->cat, body, ctx->body.len, &a)
	                 : sse_open(ctx->l->srv, c, &who, ctx->snap, ctx->cat, base, body, ctx->body.len, &a);
	if (rc != 0) {
		static const struct refusal oom = {MHD_HTTP_SERVICE_UNAVAILABLE, "Service Unavailable: out of memory\n",
		                                   NULL, 1, false};
		return send_refusal(ctx, c, &oom);
	}
	if (a.status == MHD_HTTP_BAD_REQUEST) {
		enum MHD_Result ret = send_alto_error(ctx, c, &a.err);
		alto_error_clear(&a.err);
		return ret;
	}
	if (a.status == MHD_HTTP_NOT_FOUND) { /* the stream ended meanwhile */
		struct refusal no;
		not_found(ctx, &no);
		return send_refusal(ctx, c, &no);
	}
	if (a.r == NULL) {
		struct refusal no = {a.status, a.text, NULL, a.retry_after, false};
		return send_refusal(ctx, c, &no);
	}
	if (a.status == MHD_HTTP_OK) {
		/* a stream runs as long as it is read (sse_internal.h): its
		 * answer has no response-timeout as a whole, each of its event
		 * batches has */
		struct conn_ctx *cc = conn_of(c);
		if (cc)
			atomic_store(&cc->answer_deadline_ms, 0);
		enum MHD_Result ret = send_response(ctx, c, MHD_HTTP_OK, a.r, SSE_MT_STREAM, 0);
		/* the stream reads the serving snapshot whenever it sends: it
		 * holds none for its whole life (sse_internal.h) */
		ctx->client_copy = strdup(ctx->client);
		ctx->client = ctx->client_copy ? ctx->client_copy : "?";
		ctx->stream = true;
		ctx->res = NULL;
		ctx->cat = NULL;
		snapshot_unref(ctx->snap);
		ctx->snap = NULL;
		return ret;
	}
	return send_response(ctx, c, a.status, a.r, NULL, 0);
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

static enum MHD_Result count_authorization(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct authz_request *rq = cls;
	if (strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0 && rq->nauthorization++ == 0)
		rq->authorization = value ? value : "";
	return MHD_YES;
}

static enum MHD_Result note_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	*(bool *)cls = true;
	return MHD_NO;
}

/* The access phase: the facts of the request to authz_decide(), and its
 * answer. false with *no set: refused. */
static bool authorize(struct MHD_Connection *c, struct req_ctx *ctx, const char *url, const char *method,
                      struct refusal *no)
{
	struct authz_request rq = {.method = method, .url = url};
	if (!https_rebind(c, &rq.verified, &rq.verified_tls)) {
		/* the connection's client certificate does not pass the trust
		 * of the current TLS state: RFC 9110 §15.5.20, this connection
		 * cannot serve the request; a new one can (its handshake is
		 * checked against the current CAs and CRLs) */
		*no = (struct refusal){MHD_HTTP_MISDIRECTED_REQUEST, conn_no_longer_accepted, NULL, 0, false};
		ctx->client = "?";
		ctx->close = true;
		return false;
	}
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	rq.tls = ci && ci->tls_session;
	rq.clear_digest = ctx->l->clear_digest;
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_authorization, &rq);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, note_query, &rq.has_query);
	rq.peer_len = peer_key(c, rq.peer);
	struct conn_ctx *cc = conn_of(c);
	rq.issuers = cc ? &cc->issuers : NULL;
	struct client_state *none = NULL;
	bool ok = authz_decide(&ctx->l->srv->authz, ctx->snap, &rq, cc ? &cc->cs : &none, &ctx->az);
	authz_connection_closed(none); /* no context to keep it in: not counted */
	ctx->client = ctx->az.client;
	ctx->cs = ctx->az.cs;
	ctx->cat = ctx->az.cat;
	if (!ok)
		*no = (struct refusal){ctx->az.status, ctx->az.text, NULL, ctx->az.retry_after, ctx->az.stale};
	return ok;
}

/* A URI this client cannot use gets what a URI that never existed gets.
 * An anonymous client is challenged instead: Digest clients send
 * credentials only after a 401. Every URI outside the anonymous catalog
 * answers so, whether it exists for others or not. */
static void not_found(const struct req_ctx *ctx, struct refusal *no)
{
	if (ctx->az.anonymous && ctx->az.digest_ok)
		*no = (struct refusal){MHD_HTTP_UNAUTHORIZED, "Unauthorized\n", NULL, 0, false};
	else
		*no = (struct refusal){MHD_HTTP_NOT_FOUND, "Not Found\n", NULL, 0, false};
}

/* The identity an update stream belongs to (sse_internal.h). */
static void sse_identity(struct MHD_Connection *c, const struct req_ctx *ctx, struct sse_who *who)
{
	memset(who, 0, sizeof(*who));
	who->anonymous = ctx->az.anonymous;
	if (ctx->az.cs && !ctx->az.anonymous) {
		who->client = ctx->az.client;
		snprintf(who->key, sizeof(who->key), "client:%s", ctx->az.client);
		return;
	}
	/* by address, as the anonymous rate limit and the failure throttle
	 * count (clients.h throttle_addr_key): an IPv6 client by its /64,
	 * which one host commonly holds whole, so that it cannot open
	 * streams-per-client again from every address of it */
	struct endpoint ep;
	char text[64];
	if (!client_endpoint(c, &ep, text, sizeof(text))) {
		snprintf(who->key, sizeof(who->key), "peer:?");
		return;
	}
	if (ep.family == IP_V6) {
		uint8_t net[16] = {0};
		char a[INET6_ADDRSTRLEN];
		memcpy(net, ep.addr, 8);
		inet_ntop(AF_INET6, net, a, sizeof(a));
		snprintf(who->key, sizeof(who->key), "peer:%s:%s/64", ip_family_name(IP_V6), a);
		return;
	}
	snprintf(who->key, sizeof(who->key), "peer:%s", text);
}

/* The stream control service of a stream (RFC 8895 §7): only POST, with an
 * UpdateStreamReq; it answers 204, or an ALTO error. */
static struct resource sse_control_resource = {
        .kind = RES_UPDATESTREAM,
        .id = "update-stream-control",
        .uri = "",
        .media_type = NULL,
        .accepts = SSE_MT_PARAMS,
};

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
static bool check_headers(struct MHD_Connection *c, struct req_ctx *ctx, const char *url, const char *method,
                          const char *version, struct refusal *no)
{
	const char *framing = framing_error(c, method, version);
	const char *path = framing ? url : framing_origin_path(url);
	if (path == NULL)
		framing = "Bad Request: invalid absolute request target\n";
	if (framing) {
		*no = (struct refusal){MHD_HTTP_BAD_REQUEST, framing, NULL, 0, false};
		ctx->close = true;
		ctx->framing = true;
		return false;
	}
	/* a load balancer's check: no credentials needed, nothing revealed
	 * (no ALTO resource has such a path); a snapshot serves here always */
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	ctx->health = get ? health_answer(path, true, &ctx->health_body) : 0;
	if (ctx->health)
		return true;
	if (head_size(c, url, method) > ctx->snap->limits.max_header_size) {
		*no = (struct refusal){MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large\n",
		                       NULL, 0, false};
		ctx->close = true;
		return false;
	}
	/* the origin form's path: what a Digest "uri" names (RFC 7616 §3.4.6,
	 * digest.c), also for an absolute-form target, which clients send
	 * when they follow the directory's absolute URIs through a proxy */
	if (!authorize(c, ctx, path, method, no))
		return false;
	/* a resource this client may not see is exactly one that does not exist */
	ctx->res = catalog_route(ctx->cat, path);
	ctx->identity = tips_identity(ctx->snap->access != NULL, ctx->az.anonymous, ctx->az.client);
	if (ctx->res == NULL && catalog_route(ctx->cat, TIPS_URI)) {
		ctx->tips.kind = tips_parse_path(path, ctx->tips.token, &ctx->tips.i, &ctx->tips.j);
		if (ctx->tips.kind != TIPS_PATH_NONE)
			return check_tips_headers(c, ctx, method, no);
	}
	if (ctx->res == NULL && strncmp(path, SSE_CONTROL_PREFIX, strlen(SSE_CONTROL_PREFIX)) == 0) {
		/* another identity's stream, or a closed one, is one that
		 * never existed */
		struct sse_who who;
		sse_identity(c, ctx, &who);
		if (sse_control_known(ctx->l->srv, path, &who)) {
			ctx->res = &sse_control_resource;
			ctx->sse_control = true;
			ctx->path = strdup(path);
			if (ctx->path == NULL)
				ctx->res = NULL;
		}
	}
	if (ctx->res == NULL) {
		not_found(ctx, no);
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
	if (res->media_type && !media_accepts(accept, res->media_type)) {
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
	if (body_too_large(c, ctx, no))
		return false;
	ctx->post = true;
	return true;
}

static size_t drain_bound(const struct conf_limits *l)
{
	size_t bound = 16u << 20;
	return l->max_request_body > bound / 4 ? 4 * l->max_request_body : bound;
}

enum MHD_Result route_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct server *srv = l->srv;
	struct req_ctx *ctx = *con_cls;

	if (ctx == NULL) {
		ctx = calloc(1, sizeof(*ctx));
		if (ctx == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &ctx->start);
		ctx->client = "-";
		ctx->l = l;
		ctx->url = url;
		snprintf(ctx->method, sizeof(ctx->method), "%s", method);
		buf_init(&ctx->body);
		atomic_fetch_add(&srv->inflight, 1);
		ctx->snap = slot_acquire(srv->slot); /* pinned until completion */
		*con_cls = ctx;
		struct conn_ctx *cc = conn_of(c);
		if (cc)
			atomic_store(&cc->head_thread, 0);
		if (!check_headers(c, ctx, url, method, version, &ctx->refusal)) {
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
	if (ctx->health) {
		const char *b = ctx->health_body;
		struct MHD_Response *r = MHD_create_response_from_buffer(strlen(b), (void *)b, MHD_RESPMEM_PERSISTENT);
		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		return send_response(ctx, c, ctx->health, r, "text/plain; charset=utf-8", strlen(b));
	}
	if (ctx->options) {
		struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, ctx->allow ? ctx->allow : allow_of(ctx->res));
		return send_response(ctx, c, MHD_HTTP_NO_CONTENT, r, NULL, 0);
	}
	if (ctx->too_large) {
		static const struct refusal big = {MHD_HTTP_CONTENT_TOO_LARGE, "Content Too Large\n", NULL, 0, false};
		return send_refusal(ctx, c, &big);
	}
	if (ctx->tips.kind == TIPS_PATH_EDGE)
		return answer_tips_edge(ctx, c);
	if (ctx->tips.kind == TIPS_PATH_GRAPH || (ctx->post && ctx->res->kind == RES_TIPS)) {
		struct tips_request rq;
		char base[BASEURI_MAX];
		struct tips_reply r = {0};
		tips_request_of(c, ctx, &rq, base);
		const char *body = ctx->body.data ? ctx->body.data : "";
		if (ctx->tips.kind == TIPS_PATH_GRAPH)
			tips_next_edge(srv->tips, &rq, &ctx->tips, body, ctx->body.len, &r);
		else
			tips_open(srv->tips, &rq, body, ctx->body.len, &r);
		enum MHD_Result ret = send_tips_reply(ctx, c, &r);
		tips_reply_clear(&r);
		return ret;
	}
	if (!ctx->post)
		return send_rendered(ctx, c);
	if (ctx->res->kind == RES_UPDATESTREAM)
		return run_sse(ctx, c);
	return run_post(ctx, c);
}

void route_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct server *srv = l->srv;
	struct req_ctx *ctx = *con_cls;

	if (ctx == NULL)
		return;
	if (ctx->corked) /* the whole answer is written: out it goes (https.c) */
		https_uncork(c);
	tips_unwait(srv->tips, &ctx->waiter);
	atomic_fetch_sub(&srv->inflight, 1);
	if (ctx->snap == NULL) /* an update stream: the config serving now */
		ctx->snap = slot_acquire(srv->slot);
	conn_expect_request(conn_of(c), ctx->snap->limits.request_timeout);
	if (ctx->cs)
		client_count(ctx->cs, ctx->status, ctx->bytes);
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	double ms = (double)(end.tv_sec - ctx->start.tv_sec) * 1e3 + (double)(end.tv_nsec - ctx->start.tv_nsec) / 1e6;
	metrics_request(srv->metrics,
	                ctx->health ? metrics_resource_health
	                : ctx->res  ? ctx->res->id
	                            : NULL,
	                ctx->method, ctx->status, ctx->client, ctx->bytes, ms / 1e3);
	/* the audit line (RFC 7285 §15.4: never addresses or request bodies) */
	if (ctx->snap->access && ctx->snap->access->policy->audit) {
		log_info("audit", "client=%s resource=%s status=%u bytes=%zu ms=%.3f%s%s%s", ctx->client,
		         ctx->stream                        ? SSE_RESOURCE_ID
		         : ctx->res                         ? (ctx->res->id[0] ? ctx->res->id : "directory")
		         : ctx->tips.kind != TIPS_PATH_NONE ? "tips-view"
		                                            : "-",
		         ctx->status, ctx->bytes, ms, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted",
		         ctx->az.limited ? " limited=" : "", ctx->az.limited ? ctx->az.limited : "");
	}
	buf_free(&ctx->body);
	free(ctx->owned_client);
	free(ctx->owned_identity);
	free(ctx->path);
	free(ctx->client_copy);
	snapshot_unref(ctx->snap);
	free(ctx);
	*con_cls = NULL;
}

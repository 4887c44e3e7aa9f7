/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RFC 8895 update streams: registry, streaming, stream control, limits
 * (see sse_internal.h for how a stream lives on libmicrohttpd).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "alto/sse.h"
#include "server/owners.h"
#include "snap/access.h"
#include "snap/updates.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/vec.h"
#include "http_internal.h"
#include "sse_internal.h"

#define TOKEN_HEX 32 /* 128 random bits: a control URI cannot be guessed */

struct sse_sub {
	char *cid;
	char *rid;
	enum res_kind kind;
	bool incremental;
	bool sent;              /* its first full resource went out (or the client had it) */
	char tag[VTAG_LEN + 1]; /* "tag" of its add: the version the client has ("": none) */
	char epoch[17];         /* of the history the version below is from ("": none) */
	uint64_t seq;           /* the version the client has */
	char etag[24];          /* the body the client has (when no history tells) */
};

/* One piece of the batch being sent: text of the batch's own buffer (by
 * offset: the buffer may move while it grows), or bytes of the pinned
 * snapshot. */
struct seg {
	const char *p; /* NULL: text at off */
	size_t off, len;
};

struct sse_stream {
	struct server *srv;
	struct sse_registry *reg;
	struct sse_stream *prev, *next;
	char token[TOKEN_HEX + 1];
	char uri[BASEURI_MAX + sizeof(SSE_CONTROL_PREFIX) +
	         TOKEN_HEX]; /* the control URI, absolute unless relative-uris */
	struct sse_who who;
	char *client;              /* who.client's copy */
	struct held_identity held; /* what named its client when it opened (held.client: client) */
	pthread_mutex_t lock;
	struct MHD_Connection *conn;
	bool suspended;     /* the reader suspended the connection; only a resume follows */
	bool wake;          /* look at the serving snapshot again */
	bool keepalive_due; /* send a keep-alive when there is nothing else */
	bool closing;       /* end once the batch is out */
	bool started;       /* the control-uri went out */
	int64_t next_keepalive_ms;
	struct sse_sub *subs;
	size_t nsubs, subs_cap;
	char **removed; /* by a control request: confirmed by the next control event */
	size_t nremoved, removed_cap;
	/* the batch being sent */
	struct snapshot *snap;
	struct buf text;
	struct seg *segs;
	size_t nsegs, segs_cap, seg_i, seg_off;
};

struct sse_registry {
	pthread_mutex_t lock;
	struct sse_stream *head;
	size_t n;
	struct owners owners; /* the streams' who.key, and how many each has open */
	bool closing;
};

int sse_init(struct server *srv)
{
	struct sse_registry *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ALTOD_ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	srv->sse = r;
	return 0;
}

void sse_free(struct server *srv)
{
	if (srv->sse == NULL)
		return;
	pthread_mutex_destroy(&srv->sse->lock);
	owners_free(&srv->sse->owners);
	free(srv->sse);
	srv->sse = NULL;
}

size_t sse_count(struct server *srv)
{
	pthread_mutex_lock(&srv->sse->lock);
	size_t n = srv->sse->n;
	pthread_mutex_unlock(&srv->sse->lock);
	return n;
}

/* ---- which catalog the stream's identity sees in a snapshot ---- */

static const struct catalog *catalog_of(const struct snapshot *s, const struct sse_stream *st)
{
	const struct snapshot_access *a = s->access;
	if (a == NULL)
		return st->client == NULL && !st->who.anonymous ? s->cat : NULL;
	if (st->who.anonymous)
		return a->anonymous;
	if (st->client == NULL)
		return NULL;
	for (size_t i = 0; i < a->policy->nclients; i++)
		if (strcmp(a->policy->clients[i].name, st->client) == 0)
			return a->client_cat[i];
	return NULL; /* no longer a client */
}

static const struct resource *find_id(const struct catalog *c, const char *id)
{
	for (size_t i = 0; i < c->nres; i++)
		if (strcmp(c->res[i].id, id) == 0)
			return &c->res[i];
	return NULL;
}

/* ---- the batch ---- */

static void seg_text(struct sse_stream *st, size_t off)
{
	if (st->text.len > off && VEC_PUSH(st->segs, st->nsegs, st->segs_cap))
		st->segs[st->nsegs++] = (struct seg){NULL, off, st->text.len - off};
	else if (st->text.len > off)
		st->text.oom = true;
}

static void seg_bytes(struct sse_stream *st, const char *p, size_t len)
{
	if (len > 0 && VEC_PUSH(st->segs, st->nsegs, st->segs_cap))
		st->segs[st->nsegs++] = (struct seg){p, 0, len};
	else if (len > 0)
		st->text.oom = true;
}

static bool batch_empty(const struct sse_stream *st)
{
	return st->seg_i >= st->nsegs;
}

static void batch_release(struct sse_stream *st)
{
	if (st->snap)
		snapshot_unref(st->snap);
	st->snap = NULL;
	buf_free(&st->text);
	buf_init(&st->text);
	st->nsegs = st->seg_i = st->seg_off = 0;
}

static size_t copy_out(struct sse_stream *st, char *out, size_t max)
{
	size_t n = 0;
	while (n < max && st->seg_i < st->nsegs) {
		const struct seg *s = &st->segs[st->seg_i];
		const char *p = s->p ? s->p : st->text.data + s->off;
		size_t k = s->len - st->seg_off;
		if (k > max - n)
			k = max - n;
		memcpy(out + n, p + st->seg_off, k);
		n += k;
		st->seg_off += k;
		if (st->seg_off == s->len) {
			st->seg_i++;
			st->seg_off = 0;
		}
	}
	return n;
}

/* A data update message whose data is bytes of the pinned snapshot:
 * without a copy when they hold no line break (altod renders compact
 * JSON), else with each line its own "data:" line. */
static void data_event(struct sse_stream *st, const char *media_type, const char *cid, const char *json, size_t len)
{
	size_t off = st->text.len;
	if (memchr(json, '\n', len) || memchr(json, '\r', len)) {
		sse_data_event(&st->text, media_type, cid, json, len);
		seg_text(st, off);
		return;
	}
	sse_data_head(&st->text, media_type, cid);
	seg_text(st, off);
	seg_bytes(st, json, len);
	off = st->text.len;
	buf_puts(&st->text, "\n\n");
	seg_text(st, off);
}

static void full_event(struct sse_stream *st, struct sse_sub *sub, const struct resource *r,
                       const struct upd_resource *u)
{
	data_event(st, r->media_type, sub->cid, r->body, r->body_len);
	sub->sent = true;
	memcpy(sub->etag, r->etag, sizeof(sub->etag));
	if (u) {
		memcpy(sub->epoch, u->epoch, sizeof(sub->epoch));
		sub->seq = u->v[u->nv - 1].seq;
	} else {
		sub->epoch[0] = '\0';
		sub->seq = 0;
	}
}

/* What one substream lacks of snapshot s: nothing, the patches of each
 * version since the one it has (RFC 8895 §4: JSON merge patches; for cost
 * maps JSON patches), or the full
 * resource (the first time; without incremental changes; or when the
 * history no longer holds every step: never a wrong patch). */
static void sub_events(struct sse_stream *st, struct sse_sub *sub, const struct resource *r,
                       const struct upd_resource *u)
{
	if (!sub->sent) {
		/* RFC 8895 §6.5 "tag": a client that names the current version
		 * of a resource with a vtag (RFC 7285 §10.3: network maps) has
		 * it; the server MAY skip the initial full replacement. It
		 * does: the substream starts at the current version */
		if (sub->tag[0] != '\0' && r->kind == RES_NETWORKMAP && r->nm != NULL &&
		    strcmp(sub->tag, r->nm->vtag) == 0) {
			sub->sent = true;
			memcpy(sub->etag, r->etag, sizeof(sub->etag));
			if (u) {
				memcpy(sub->epoch, u->epoch, sizeof(sub->epoch));
				sub->seq = u->v[u->nv - 1].seq;
			}
			return;
		}
		full_event(st, sub, r, u);
		return;
	}
	if (u == NULL || sub->epoch[0] == '\0' || strcmp(u->epoch, sub->epoch) != 0) {
		/* no history that numbers what the client has: its body tells */
		if (strcmp(sub->etag, r->etag) != 0) {
			full_event(st, sub, r, u);
		} else if (u) {
			memcpy(sub->epoch, u->epoch, sizeof(sub->epoch));
			sub->seq = u->v[u->nv - 1].seq;
		}
		return;
	}
	uint64_t cur = u->v[u->nv - 1].seq;
	if (cur == sub->seq)
		return;
	bool kept = cur > sub->seq && sub->incremental;
	for (uint64_t q = sub->seq + 1; kept && q <= cur; q++) {
		const struct upd_version *v = upd_version_seq(u, q);
		kept = v != NULL && (v->merge != NULL || v->jsonpatch != NULL);
	}
	if (!kept) { /* fallen behind the history (or asked for no patches) */
		full_event(st, sub, r, u);
		return;
	}
	for (uint64_t q = sub->seq + 1; q <= cur; q++) {
		/* of the patches the directory offers for it (cost maps: merge
		 * and JSON patches; network maps: merge patches), the smaller:
		 * RFC 8895 lets the server pick any listed in the resource's
		 * incremental-change-media-types. A changed cost takes ~14 bytes
		 * in a merge patch and ~57 as a JSON patch operation, so the
		 * JSON patch wins only where it removes or replaces little */
		const struct upd_version *v = upd_version_seq(u, q);
		if (v->jsonpatch && (v->merge == NULL || v->jsonpatch->len < v->merge->len))
			data_event(st, SSE_MT_JSONPATCH, sub->cid, v->jsonpatch->data, v->jsonpatch->len);
		else
			data_event(st, SSE_MT_MERGEPATCH, sub->cid, v->merge->data, v->merge->len);
	}
	sub->seq = cur;
	memcpy(sub->etag, r->etag, sizeof(sub->etag));
}

static void remove_sub(struct sse_stream *st, size_t i)
{
	free(st->subs[i].cid);
	free(st->subs[i].rid);
	memmove(&st->subs[i], &st->subs[i + 1], (st->nsubs - i - 1) * sizeof(st->subs[0]));
	st->nsubs--;
}

/* Builds the next batch from the serving snapshot (none: nothing to send).
 * Called with st->lock held. */
static void generate(struct sse_stream *st)
{
	struct snapshot *s = slot_acquire(st->srv->slot);
	/* a stream is one answer that goes on across reloads, and nothing
	 * else authenticates it again: it goes on only while what named its
	 * client when it opened still does (a revoked certificate, a
	 * replaced password end it) */
	const struct catalog *cat = https_identity_holds(st->conn, s, &st->held) == 0 ? catalog_of(s, st) : NULL;
	char **gone = NULL;
	size_t ngone = 0, gone_cap = 0;

	/* substreams whose resource this client no longer sees: stopped,
	 * and said so in a control event (§5.3 "stopped", with the
	 * RECOMMENDED description) */
	for (size_t i = 0; i < st->nsubs;) {
		const struct resource *r = cat ? find_id(cat, st->subs[i].rid) : NULL;
		if (r && r->kind == st->subs[i].kind) {
			i++;
			continue;
		}
		if (VEC_PUSH(gone, ngone, gone_cap))
			gone[ngone++] = st->subs[i].cid;
		else
			free(st->subs[i].cid);
		free(st->subs[i].rid);
		memmove(&st->subs[i], &st->subs[i + 1], (st->nsubs - i - 1) * sizeof(st->subs[0]));
		st->nsubs--;
	}
	if (!st->started || st->nremoved > 0) {
		size_t off = st->text.len;
		sse_control_event(&st->text, st->started ? NULL : st->uri, st->removed, st->nremoved,
		                  st->nremoved ? "removed as the stream control request asked" : NULL);
		seg_text(st, off);
		st->started = true;
		for (size_t i = 0; i < st->nremoved; i++)
			free(st->removed[i]);
		st->nremoved = 0;
	}
	if (ngone > 0) {
		size_t off = st->text.len;
		sse_control_event(&st->text, NULL, gone, ngone,
		                  cat ? "the resource is no longer offered" : "the client is no longer served");
		seg_text(st, off);
		for (size_t i = 0; i < ngone; i++)
			free(gone[i]);
	}
	free(gone);
	if (cat == NULL) /* its identity sees nothing any more: the stream ends */
		st->closing = true;
	for (size_t i = 0; cat && i < st->nsubs; i++) {
		struct sse_sub *sub = &st->subs[i];
		const struct resource *r = find_id(cat, sub->rid);
		sub_events(st, sub, r, s->updates ? updates_find(s->updates, sub->rid) : NULL);
	}
	if (st->text.oom) {
		/* out of memory half-way: nothing of this batch can be sent
		 * safely, and the substreams' versions may be ahead of what
		 * went out: end the stream (the client starts over) */
		log_warning("sse", "out of memory building an update stream's events: closing it");
		st->nsegs = st->seg_i = st->seg_off = 0;
		st->closing = true;
	}
	if (batch_empty(st)) {
		snapshot_unref(s);
		buf_free(&st->text);
		buf_init(&st->text);
		st->nsegs = st->seg_i = st->seg_off = 0;
		return;
	}
	st->snap = s;
}

static void set_deadline(struct sse_stream *st, int64_t deadline)
{
	struct conn_ctx *cc = conn_of(st->conn);
	if (cc)
		atomic_store(&cc->answer_deadline_ms, deadline);
}

/* libmicrohttpd's content reader, on the connection's worker thread. */
static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse_stream *st = cls;
	pthread_mutex_lock(&st->lock);
	for (;;) {
		size_t n = copy_out(st, out, max);
		if (n > 0) {
			pthread_mutex_unlock(&st->lock);
			return (ssize_t)n;
		}
		/* all of the batch is out of our hands: nothing pinned, no
		 * deadline until the next one */
		if (st->snap != NULL || st->nsegs > 0) {
			batch_release(st);
			set_deadline(st, 0);
		}
		if (st->closing) {
			pthread_mutex_unlock(&st->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		st->wake = false;
		generate(st);
		if (batch_empty(st) && st->keepalive_due && !st->closing) {
			size_t off = st->text.len;
			buf_puts(&st->text, SSE_KEEPALIVE);
			seg_text(st, off);
		}
		if (!batch_empty(st)) {
			struct snapshot *s = st->snap ? snapshot_ref(st->snap) : slot_acquire(st->srv->slot);
			unsigned rt = s->limits.response_timeout, ka = s->upd_conf.keepalive;
			snapshot_unref(s);
			int64_t now = clock_mono_ms();
			st->keepalive_due = false;
			st->next_keepalive_ms = ka ? now + (int64_t)ka * 1000 : INT64_MAX;
			set_deadline(st, rt ? now + (int64_t)rt * 1000 : 0);
			continue;
		}
		if (st->closing || st->wake)
			continue;
		st->suspended = true;
		MHD_suspend_connection(st->conn);
		pthread_mutex_unlock(&st->lock);
		return 0;
	}
}

static void unlink_stream(struct sse_stream *st)
{
	struct sse_registry *reg = st->reg;
	pthread_mutex_lock(&reg->lock);
	if (st->prev)
		st->prev->next = st->next;
	else
		reg->head = st->next;
	if (st->next)
		st->next->prev = st->prev;
	reg->n--;
	owners_release(&reg->owners, st->who.key);
	pthread_mutex_unlock(&reg->lock);
}

static void stream_free(struct sse_stream *st)
{
	batch_release(st);
	buf_free(&st->text);
	free(st->segs);
	for (size_t i = 0; i < st->nsubs; i++) {
		free(st->subs[i].cid);
		free(st->subs[i].rid);
	}
	free(st->subs);
	for (size_t i = 0; i < st->nremoved; i++)
		free(st->removed[i]);
	free(st->removed);
	free(st->client);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* The response is done with (the stream ended, or its connection closed). */
static void stream_done(void *cls)
{
	struct sse_stream *st = cls;
	unlink_stream(st);
	/* a stream control request that found it before it was unlinked
	 * holds its lock: wait for it to be done */
	pthread_mutex_lock(&st->lock);
	pthread_mutex_unlock(&st->lock);
	stream_free(st);
}

static bool add_subs(struct sse_stream *st, const struct sse_req *req)
{
	for (size_t i = 0; i < req->nadd; i++) {
		if (!VEC_PUSH(st->subs, st->nsubs, st->subs_cap))
			return false;
		struct sse_sub *sub = &st->subs[st->nsubs];
		memset(sub, 0, sizeof(*sub));
		sub->cid = strdup(req->add[i].client_id);
		sub->rid = strdup(req->add[i].res->id);
		if (sub->cid == NULL || sub->rid == NULL) {
			free(sub->cid);
			free(sub->rid);
			return false;
		}
		sub->kind = req->add[i].res->kind;
		sub->incremental = req->add[i].incremental;
		memcpy(sub->tag, req->add[i].tag, sizeof(sub->tag));
		st->nsubs++;
	}
	return true;
}

static int bad_request(struct sse_answer *a, const char *code, const char *field, const char *value)
{
	alto_error_clear(&a->err);
	snprintf(a->field, sizeof(a->field), "%s", field);
	a->err.code = code;
	a->err.field = a->field;
	a->err.value = value ? strdup(value) : NULL;
	a->status = MHD_HTTP_BAD_REQUEST;
	return 0;
}

/* The request's errors into a (its field copied into a->field). */
static int request_error(struct sse_answer *a, struct alto_error *err)
{
	a->err = *err;
	if (err->field) {
		snprintf(a->field, sizeof(a->field), "%s", err->field);
		a->err.field = a->field;
	}
	memset(err, 0, sizeof(*err));
	a->status = MHD_HTTP_BAD_REQUEST;
	return 0;
}

int sse_open(struct server *srv, struct MHD_Connection *c, const struct sse_who *who, const struct snapshot *snap,
             const struct catalog *cat, const char *base, const char *body, size_t len, struct sse_answer *a)
{
	struct sse_req req;
	struct alto_error err = {0};
	memset(a, 0, sizeof(*a));
	int rc = sse_req_parse(body, len, cat, snap->limits.max_json_depth, false, &req, &err);
	if (rc == ALTOD_EREQUEST)
		return request_error(a, &err);
	if (rc != 0)
		return rc;
	/* §6.5: a stream is opened for resources. "remove" is for stream
	 * control requests only: "the update stream server SHOULD ignore
	 * this field" in the request that opens a stream; sse_req_parse
	 * did not look at it */
	if (req.nadd == 0) {
		sse_req_free(&req);
		return bad_request(a, E_MISSING_FIELD, "add", NULL);
	}
	struct sse_stream *st = calloc(1, sizeof(*st));
	if (st == NULL) {
		sse_req_free(&req);
		return ALTOD_ENOMEM;
	}
	pthread_mutex_init(&st->lock, NULL);
	buf_init(&st->text);
	st->srv = srv;
	st->reg = srv->sse;
	st->conn = c;
	st->who = *who;
	st->client = who->client ? strdup(who->client) : NULL;
	st->who.client = st->client;
	st->next_keepalive_ms = INT64_MAX;
	uint8_t rnd[TOKEN_HEX / 2];
	bool ok = getrandom(rnd, sizeof(rnd), 0) == (ssize_t)sizeof(rnd) && (who->client == NULL || st->client);
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(st->token + 2 * i, 3, "%02x", rnd[i]);
	snprintf(st->uri, sizeof(st->uri), "%s" SSE_CONTROL_PREFIX "%s", base, st->token);
	ok = ok && https_hold_identity(c, snap, st->client, &st->held);
	ok = ok && add_subs(st, &req);
	sse_req_free(&req);
	if (!ok) {
		stream_free(st);
		return ALTOD_ENOMEM;
	}

	struct sse_registry *reg = srv->sse;
	pthread_mutex_lock(&reg->lock);
	if (reg->closing) {
		a->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		a->text = "Service Unavailable: the server is stopping\n";
		a->retry_after = 1;
	} else if (snap->upd_conf.streams && reg->n >= snap->upd_conf.streams) {
		a->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		a->text = "Service Unavailable: too many update streams are open (updates.streams)\n";
		a->retry_after = 10;
	} else if (snap->upd_conf.streams_per_client &&
	           owners_count(&reg->owners, who->key) >= snap->upd_conf.streams_per_client) {
		a->status = MHD_HTTP_TOO_MANY_REQUESTS;
		a->text = "Too Many Requests: this client has as many update streams open as it may "
		          "(updates.streams-per-client)\n";
		a->retry_after = 10;
	}
	if (a->status) {
		pthread_mutex_unlock(&reg->lock);
		stream_free(st);
		return 0;
	}
	if (owners_take(&reg->owners, who->key) == NULL) {
		pthread_mutex_unlock(&reg->lock);
		stream_free(st);
		return ALTOD_ENOMEM;
	}
	st->next = reg->head;
	if (reg->head)
		reg->head->prev = st;
	reg->head = st;
	reg->n++;
	pthread_mutex_unlock(&reg->lock);

	a->r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, (size_t)16 * 1024, reader, st, stream_done);
	if (a->r == NULL) {
		unlink_stream(st);
		stream_free(st);
		return ALTOD_ENOMEM;
	}
	/* RFC 8895 §6.6 / the SSE spec: no cache may hold or transform it */
	MHD_add_response_header(a->r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	a->status = MHD_HTTP_OK;
	return 0;
}

/* The open stream of this control URI and identity, locked; NULL: none. */
static struct sse_stream *find_locked(struct sse_registry *reg, const char *path, const struct sse_who *who)
{
	size_t plen = strlen(SSE_CONTROL_PREFIX);
	if (strncmp(path, SSE_CONTROL_PREFIX, plen) != 0 || strlen(path + plen) != TOKEN_HEX)
		return NULL;
	for (struct sse_stream *s = reg->head; s; s = s->next) {
		if (strcmp(s->token, path + plen) != 0)
			continue;
		/* another identity's stream is one that does not exist */
		if (strcmp(s->who.key, who->key) != 0)
			return NULL;
		pthread_mutex_lock(&s->lock);
		if (s->closing) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		return s;
	}
	return NULL;
}

bool sse_control_known(struct server *srv, const char *path, const struct sse_who *who)
{
	struct sse_registry *reg = srv->sse;
	pthread_mutex_lock(&reg->lock);
	struct sse_stream *st = find_locked(reg, path, who);
	if (st)
		pthread_mutex_unlock(&st->lock);
	pthread_mutex_unlock(&reg->lock);
	return st != NULL;
}

static ssize_t find_sub(const struct sse_stream *st, const char *cid)
{
	for (size_t i = 0; i < st->nsubs; i++)
		if (strcmp(st->subs[i].cid, cid) == 0)
			return (ssize_t)i;
	return -1;
}

static bool listed(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* Resumes a suspended stream's connection; the stream is locked. */
static void poke(struct sse_stream *st)
{
	st->wake = true;
	if (st->suspended) {
		st->suspended = false;
		MHD_resume_connection(st->conn);
	}
}

int sse_control(struct server *srv, const char *path, const struct sse_who *who, const struct snapshot *snap,
                const struct catalog *cat, const char *body, size_t len, struct sse_answer *a)
{
	struct sse_req req;
	struct alto_error err = {0};
	memset(a, 0, sizeof(*a));
	/* parsed before the stream is locked (its events wait meanwhile) */
	int rc = sse_req_parse(body, len, cat, snap->limits.max_json_depth, true, &req, &err);
	if (rc != 0 && rc != ALTOD_EREQUEST)
		return rc;
	struct sse_registry *reg = srv->sse;
	pthread_mutex_lock(&reg->lock);
	struct sse_stream *st = find_locked(reg, path, who);
	pthread_mutex_unlock(&reg->lock);
	/* (a stream found stays until it is unlocked: stream_done takes its
	 * lock before it frees it) */
	if (st == NULL) { /* gone meanwhile: as if it never existed */
		alto_error_clear(&err);
		sse_req_free(&req);
		a->status = MHD_HTTP_NOT_FOUND;
		return 0;
	}
	if (rc != 0) {
		pthread_mutex_unlock(&st->lock);
		return request_error(a, &err);
	}
	/* §7: every part is checked before any is applied: a request with an
	 * error changes nothing */
	for (size_t i = 0; i < req.nremove && a->status == 0; i++)
		if (find_sub(st, req.remove[i]) < 0)
			bad_request(a, E_INVALID_FIELD_VALUE, "remove", req.remove[i]);
	for (size_t i = 0; i < req.nadd && a->status == 0; i++) {
		const char *cid = req.add[i].client_id;
		if (find_sub(st, cid) >= 0 && !listed(req.remove, req.nremove, cid)) {
			char field[80];
			snprintf(field, sizeof(field), "add/%s", cid);
			bad_request(a, E_INVALID_FIELD_VALUE, field, cid);
		}
	}
	if (a->status == 0 && st->nsubs - req.nremove + req.nadd > SSE_MAX_SUBSTREAMS)
		bad_request(a, E_INVALID_FIELD_VALUE, "add", NULL);
	if (a->status == 0 && req.nadd == 0 && req.nremove == 0)
		bad_request(a, E_MISSING_FIELD, "add", NULL);
	if (a->status != 0) {
		pthread_mutex_unlock(&st->lock);
		sse_req_free(&req);
		return 0;
	}
	bool ok = true;
	for (size_t i = 0; i < req.nremove && ok; i++) {
		ssize_t k = find_sub(st, req.remove[i]);
		if (!VEC_PUSH(st->removed, st->nremoved, st->removed_cap)) {
			ok = false;
			break;
		}
		st->removed[st->nremoved++] = req.remove[i];
		req.remove[i] = NULL; /* the stream's now */
		remove_sub(st, (size_t)k);
	}
	ok = ok && add_subs(st, &req);
	poke(st);
	pthread_mutex_unlock(&st->lock);
	sse_req_free(&req);
	if (!ok)
		return ALTOD_ENOMEM;
	a->r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (a->r == NULL)
		return ALTOD_ENOMEM;
	a->status = MHD_HTTP_NO_CONTENT;
	return 0;
}

void sse_wake(struct server *srv)
{
	struct sse_registry *reg = srv->sse;
	pthread_mutex_lock(&reg->lock);
	for (struct sse_stream *st = reg->head; st; st = st->next) {
		pthread_mutex_lock(&st->lock);
		poke(st);
		pthread_mutex_unlock(&st->lock);
	}
	pthread_mutex_unlock(&reg->lock);
}

void sse_tick(struct server *srv)
{
	struct sse_registry *reg = srv->sse;
	int64_t now = clock_mono_ms();
	pthread_mutex_lock(&reg->lock);
	for (struct sse_stream *st = reg->head; st; st = st->next) {
		pthread_mutex_lock(&st->lock);
		if (now >= st->next_keepalive_ms) {
			st->keepalive_due = true;
			st->next_keepalive_ms = INT64_MAX; /* set again when it is sent */
			if (st->suspended) {
				st->suspended = false;
				MHD_resume_connection(st->conn);
			}
		}
		pthread_mutex_unlock(&st->lock);
	}
	pthread_mutex_unlock(&reg->lock);
}

void sse_shutdown(struct server *srv)
{
	struct sse_registry *reg = srv->sse;
	if (reg == NULL)
		return;
	pthread_mutex_lock(&reg->lock);
	reg->closing = true;
	for (struct sse_stream *st = reg->head; st; st = st->next) {
		pthread_mutex_lock(&st->lock);
		st->closing = true;
		if (st->suspended) {
			st->suspended = false;
			MHD_resume_connection(st->conn);
		}
		pthread_mutex_unlock(&st->lock);
	}
	pthread_mutex_unlock(&reg->lock);
}

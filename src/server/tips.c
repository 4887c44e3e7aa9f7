/* SPDX-License-Identifier: BSD-2-Clause */
/* TIPS views, their limits and long polls (tips.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "alto/media.h"
#include "server/owners.h"
#include "server/tips.h"
#include "snap/access.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/vec.h"

struct tips_view {
	char token[TIPS_TOKEN_LEN + 1];
	const char *identity; /* the owners' copy */
	char *id;             /* resource id */
	char epoch[17];       /* of the resource's history when it was opened */
	int64_t last_ms;
};

struct tips_state {
	pthread_mutex_t lock;
	struct tips_view *views;
	size_t nviews, cap;
	struct owners owners; /* the views' identities, and how many each holds */
	/* views by token: open addressing, view index + 1 (0: empty); a
	 * power of two at least twice nviews. NULL (out of memory): the
	 * views are searched one by one */
	uint32_t *index;
	size_t index_cap;
	struct tips_waiter *waiters;
	size_t nwaiting;
	uint64_t gen;
	bool stopping;
	uint8_t own_key[32]; /* without an access secret: this process's own */
};

struct tips_limits {
	unsigned per_client, views, lifetime, poll_timeout;
};

static void limits_of(const struct snapshot *s, struct tips_limits *l)
{
	l->per_client = s->upd_conf.tips_views_per_client;
	l->views = s->upd_conf.tips_views;
	l->lifetime = s->upd_conf.tips_view_lifetime;
	l->poll_timeout = s->upd_conf.poll_timeout;
}

int tips_init(struct tips_state **out)
{
	struct tips_state *t = calloc(1, sizeof(*t));
	*out = NULL;
	if (t == NULL)
		return ALTOD_ENOMEM;
	if (gnutls_rnd(GNUTLS_RND_KEY, t->own_key, sizeof(t->own_key)) != 0) {
		free(t);
		return ALTOD_ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void tips_destroy(struct tips_state *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nviews; i++)
		free(t->views[i].id);
	free(t->views);
	owners_free(&t->owners);
	free(t->index);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

const char *tips_identity(bool access, bool anonymous, const char *client)
{
	if (!access)
		return "-";
	return anonymous ? "" : client;
}

const struct catalog *tips_catalog_of(const struct snapshot *s, const char *identity)
{
	const struct snapshot_access *a = s->access;
	if (a == NULL)
		return strcmp(identity, "-") == 0 ? s->cat : NULL;
	if (identity[0] == '\0')
		return a->anonymous;
	for (size_t i = 0; i < a->policy->nclients; i++)
		if (strcmp(a->policy->clients[i].name, identity) == 0)
			return a->client_cat[i];
	return NULL;
}

/* ---- view tokens ---- */

/* The key view tokens are derived under: from the access secret (every
 * replica with it derives the same tokens); without an access section,
 * where every client sees everything and is the same identity, a fixed
 * one (every replica agrees, and a token names nothing a client could not
 * open itself); else (access without a secret) this process's own. */
static void view_key(const struct tips_state *t, const struct snapshot *s, uint8_t key[32])
{
	static const char label[] = "altod tips view";
	if (s->access == NULL) {
		static const uint8_t public_key[32] = {0};
		gnutls_hmac_fast(GNUTLS_MAC_SHA256, public_key, sizeof(public_key), label, sizeof(label), key);
		return;
	}
	if (s->access->policy->secret) {
		gnutls_hmac_fast(GNUTLS_MAC_SHA256, s->access->nonce_key, 32, label, sizeof(label), key);
		return;
	}
	memcpy(key, t->own_key, 32);
}

static void view_token(const uint8_t key[32], const char *identity, const char *id, const char *epoch,
                       char out[TIPS_TOKEN_LEN + 1])
{
	gnutls_hmac_hd_t h;
	uint8_t mac[32];
	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, key, 32) < 0) {
		memset(out, '0', TIPS_TOKEN_LEN);
		out[TIPS_TOKEN_LEN] = '\0';
		return;
	}
	/* each part with its terminating NUL: no two triples hash alike */
	gnutls_hmac(h, identity, strlen(identity) + 1);
	gnutls_hmac(h, id, strlen(id) + 1);
	gnutls_hmac(h, epoch, strlen(epoch) + 1);
	gnutls_hmac_deinit(h, mac);
	for (size_t i = 0; i < TIPS_TOKEN_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static bool token_equal(const char *a, const char *b)
{
	unsigned char d = 0;
	for (size_t i = 0; i < TIPS_TOKEN_LEN; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* The map of a catalog with this id that TIPS covers (NULL: none). */
static const struct resource *covered(const struct catalog *cat, const char *id)
{
	for (size_t i = 0; cat && i < cat->nres; i++) {
		const struct resource *r = &cat->res[i];
		if ((r->kind == RES_NETWORKMAP || r->kind == RES_COSTMAP) && strcmp(r->id, id) == 0)
			return r;
	}
	return NULL;
}

/* ---- the registry (t->lock held) ---- */

/* Tokens are HMAC outputs: their first hex digits are a hash already. */
static size_t token_slot(const char *token, size_t cap)
{
	size_t h = 0;
	for (size_t i = 0; i < 2 * sizeof(size_t) && i < TIPS_TOKEN_LEN; i++)
		h = h << 4 | (size_t)(token[i] <= '9' ? token[i] - '0' : token[i] - 'a' + 10);
	return h & (cap - 1);
}

static void index_put(struct tips_state *t, size_t i)
{
	size_t h = token_slot(t->views[i].token, t->index_cap);
	while (t->index[h])
		h = (h + 1) & (t->index_cap - 1);
	t->index[h] = (uint32_t)(i + 1);
}

/* Rebuilds the index for the views there are (after drops, or to grow). */
static void index_rebuild(struct tips_state *t)
{
	size_t cap = 64;
	while (cap < 2 * (t->nviews + 1))
		cap *= 2;
	free(t->index);
	t->index = calloc(cap, sizeof(*t->index));
	t->index_cap = t->index ? cap : 0;
	for (size_t i = 0; t->index && i < t->nviews; i++)
		index_put(t, i);
}

static struct tips_view *find_view(struct tips_state *t, const char *token)
{
	if (t->index == NULL) {
		for (size_t i = 0; i < t->nviews; i++)
			if (token_equal(t->views[i].token, token))
				return &t->views[i];
		return NULL;
	}
	for (size_t h = token_slot(token, t->index_cap); t->index[h]; h = (h + 1) & (t->index_cap - 1))
		if (token_equal(t->views[t->index[h] - 1].token, token))
			return &t->views[t->index[h] - 1];
	return NULL;
}

/* Removes a view; the caller rebuilds the index (index_rebuild). */
static void drop_view(struct tips_state *t, struct tips_view *v)
{
	owners_release(&t->owners, v->identity);
	free(v->id);
	struct tips_view *last = &t->views[--t->nviews];
	if (v != last)
		*v = *last;
	memset(last, 0, sizeof(*last));
}

/* Holds a view: 0, or 429 (a limit), or ALTOD_ENOMEM. */
static int hold_view(struct tips_state *t, const struct tips_limits *l, const char *token, const char *identity,
                     const char *id, const char *epoch)
{
	struct tips_view *v = find_view(t, token);
	if (v) {
		v->last_ms = clock_mono_ms();
		return 0;
	}
	if ((l->views && t->nviews >= l->views) ||
	    (l->per_client && owners_count(&t->owners, identity) >= l->per_client))
		return 429;
	if (!VEC_PUSH(t->views, t->nviews, t->cap))
		return ALTOD_ENOMEM;
	v = &t->views[t->nviews];
	memset(v, 0, sizeof(*v));
	v->id = strdup(id);
	v->identity = v->id ? owners_take(&t->owners, identity) : NULL;
	if (v->identity == NULL) {
		free(v->id);
		return ALTOD_ENOMEM;
	}
	memcpy(v->token, token, sizeof(v->token));
	snprintf(v->epoch, sizeof(v->epoch), "%s", epoch);
	v->last_ms = clock_mono_ms();
	t->nviews++;
	if (t->index == NULL || 2 * t->nviews > t->index_cap)
		index_rebuild(t);
	else
		index_put(t, t->nviews - 1);
	return 0;
}

/* ---- replies ---- */

static void reply_static(struct tips_reply *out, unsigned status, const char *ctype, const char *body)
{
	memset(out, 0, sizeof(*out));
	out->status = status;
	out->ctype = ctype;
	out->static_body = body;
	out->len = strlen(body);
}

static void reply_error(struct tips_reply *out, unsigned status, const char *body)
{
	reply_static(out, status, MT_ERROR, body);
}

static void reply_too_many(struct tips_reply *out, const struct tips_limits *l)
{
	/* RFC 9569 §6.2, §7.2: 429; a slot frees when a view has been idle
	 * for its lifetime */
	reply_error(out, 429, tips_err_too_many);
	out->retry_after = l->lifetime ? l->lifetime : 1;
}

static void reply_alto_error(struct tips_reply *out, const struct alto_error *e)
{
	memset(out, 0, sizeof(*out));
	out->status = 400;
	out->ctype = MT_ERROR;
	out->body = alto_error_render(e, &out->len);
	if (out->body == NULL)
		reply_static(out, 503, "text/plain; charset=utf-8", "Service Unavailable: out of memory\n");
}

static void reply_nomem(struct tips_reply *out)
{
	reply_static(out, 503, "text/plain; charset=utf-8", "Service Unavailable: out of memory\n");
	out->retry_after = 1;
}

void tips_reply_clear(struct tips_reply *r)
{
	upd_blob_unref(r->blob);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* ---- the updates graph of a view ---- */

static size_t patch_len(const struct upd_version *v)
{
	size_t m = v->merge ? v->merge->len : SIZE_MAX;
	size_t p = v->jsonpatch ? v->jsonpatch->len : SIZE_MAX;
	return m < p ? m : p;
}

/* The summary of a history, with the edge recommended to a client that
 * has the version tagged tag (NULL: none). */
static int summarize(const struct upd_resource *ur, const struct resource *res, const char *tag, struct tips_summary *s)
{
	s->start_seq = ur->v[0].seq;
	s->end_seq = ur->v[ur->nv - 1].seq;
	const struct upd_version *have = tag ? upd_version_tag(ur, tag) : NULL;
	uint64_t hs = have ? have->seq : 0;
	size_t n = hs ? (size_t)(s->end_seq - hs) : 0;
	size_t *lens = malloc((n ? n : 1) * sizeof(*lens));
	if (lens == NULL)
		return ALTOD_ENOMEM;
	for (size_t k = 0; k < n; k++)
		lens[k] = patch_len(&ur->v[ur->nv - n + k]);
	tips_recommend(s, hs, lens, res->body_len);
	free(lens);
	return 0;
}

/* The view of a token, for this client, in this snapshot: its map and
 * history, held in the registry. false: *out says what to answer (404
 * like a view that never existed, or 429). */
static bool resolve(struct tips_state *t, const struct tips_request *rq, const char *token, const struct resource **res,
                    const struct upd_resource **ur, struct tips_reply *out)
{
	struct tips_limits l;
	uint8_t key[32];
	char mine[TIPS_TOKEN_LEN + 1];
	limits_of(rq->snap, &l);
	view_key(t, rq->snap, key);
	*res = NULL;
	*ur = NULL;
	pthread_mutex_lock(&t->lock);
	struct tips_view *v = find_view(t, token);
	if (v && strcmp(v->identity, rq->identity) == 0) {
		const struct resource *r = covered(rq->cat, v->id);
		const struct upd_resource *u = r ? updates_find(rq->snap->updates, v->id) : NULL;
		if (u && u->nv > 0) {
			view_token(key, rq->identity, u->id, u->epoch, mine);
			if (token_equal(mine, token)) {
				v->last_ms = clock_mono_ms();
				*res = r;
				*ur = u;
			}
		}
		if (*res == NULL) { /* its resource, its history or the key is gone */
			drop_view(t, v);
			index_rebuild(t);
		}
	} else if (v == NULL) {
		/* held nowhere here: is it this client's, for one of its maps as
		 * its history is now (opened at another replica, or expired)? */
		for (size_t i = 0; rq->cat && i < rq->cat->nres && *res == NULL; i++) {
			const struct resource *r = &rq->cat->res[i];
			if (r->kind != RES_NETWORKMAP && r->kind != RES_COSTMAP)
				continue;
			const struct upd_resource *u = updates_find(rq->snap->updates, r->id);
			if (u == NULL || u->nv == 0)
				continue;
			view_token(key, rq->identity, u->id, u->epoch, mine);
			if (!token_equal(mine, token))
				continue;
			int rc = hold_view(t, &l, token, rq->identity, u->id, u->epoch);
			if (rc != 0) {
				pthread_mutex_unlock(&t->lock);
				if (rc == 429)
					reply_too_many(out, &l);
				else
					reply_nomem(out);
				return false;
			}
			*res = r;
			*ur = u;
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (*res == NULL) {
		reply_error(out, 404, tips_err_no_view);
		return false;
	}
	return true;
}

void tips_open(struct tips_state *t, const struct tips_request *rq, const char *body, size_t len,
               struct tips_reply *out)
{
	struct tips_open o;
	struct alto_error err = {0};
	memset(out, 0, sizeof(*out));
	int rc = tips_parse_open(body, len, &o, &err);
	if (rc == ALTOD_ENOMEM) {
		reply_nomem(out);
		return;
	}
	if (rc != 0) {
		reply_alto_error(out, &err);
		alto_error_clear(&err);
		return;
	}
	/* §6.2: a resource-id the TIPS does not cover (not a map of this
	 * client's catalog: missing or not granted alike) */
	const struct resource *res = covered(rq->cat, o.resource_id);
	const struct upd_resource *ur = res ? updates_find(rq->snap->updates, res->id) : NULL;
	if (ur == NULL || ur->nv == 0) {
		alto_error_set(&err, E_INVALID_FIELD_VALUE, "resource-id", o.resource_id);
		reply_alto_error(out, &err);
		alto_error_clear(&err);
		tips_open_clear(&o);
		return;
	}
	struct tips_limits l;
	uint8_t key[32];
	char token[TIPS_TOKEN_LEN + 1];
	limits_of(rq->snap, &l);
	view_key(t, rq->snap, key);
	view_token(key, rq->identity, ur->id, ur->epoch, token);
	pthread_mutex_lock(&t->lock);
	rc = hold_view(t, &l, token, rq->identity, ur->id, ur->epoch);
	pthread_mutex_unlock(&t->lock);
	struct tips_summary s;
	if (rc == 0)
		rc = summarize(ur, res, o.tag, &s);
	tips_open_clear(&o);
	if (rc == 429) {
		log_notice("tips", "client %s: too many TIPS views (%u per client, %u in all)",
		           rq->identity[0] ? rq->identity : "anonymous", l.per_client, l.views);
		reply_too_many(out, &l);
		return;
	}
	if (rc != 0) {
		reply_nomem(out);
		return;
	}
	/* §6.2: scheme "://" host "/" path, where the client reached us */
	char *uri = NULL;
	int n = rq->base ? asprintf(&uri, "%s%s/%s", rq->base, TIPS_URI, token)
	                 : asprintf(&uri, "%s://%s%s/%s", rq->https ? "https" : "http", rq->listener, TIPS_URI, token);
	if (n < 0) {
		reply_nomem(out);
		return;
	}
	out->status = 200;
	out->ctype = MT_TIPS;
	out->body = tips_render_open(uri, &s, &out->len);
	free(uri);
	if (out->body == NULL)
		reply_nomem(out);
}

bool tips_view_check(struct tips_state *t, const struct tips_request *rq, const struct tips_target *tt,
                     struct tips_reply *out)
{
	const struct resource *res;
	const struct upd_resource *ur;
	if (tt->kind == TIPS_PATH_BAD) {
		reply_error(out, 404, tips_err_no_view);
		return false;
	}
	return resolve(t, rq, tt->token, &res, &ur, out);
}

/* The smallest patch of version v that the client takes (Accept). */
static bool pick_patch(const struct upd_version *v, const char *accept, struct tips_reply *out)
{
	struct upd_blob *m = v->merge && media_accepts(accept, MT_MERGE_PATCH) ? v->merge : NULL;
	struct upd_blob *p = v->jsonpatch && media_accepts(accept, MT_JSON_PATCH) ? v->jsonpatch : NULL;
	if (m == NULL && p == NULL)
		return false;
	bool json_patch = p && (m == NULL || p->len < m->len);
	memset(out, 0, sizeof(*out));
	out->status = 200;
	out->ctype = json_patch ? MT_JSON_PATCH : MT_MERGE_PATCH;
	out->blob = upd_blob_ref(json_patch ? p : m);
	out->len = out->blob->len;
	return true;
}

void tips_edge(struct tips_state *t, const struct tips_request *rq, const struct tips_target *tt,
               struct tips_reply *out)
{
	const struct resource *res;
	const struct upd_resource *ur;
	memset(out, 0, sizeof(*out));
	if (!resolve(t, rq, tt->token, &res, &ur, out))
		return;
	uint64_t start = ur->v[0].seq, end = ur->v[ur->nv - 1].seq;
	switch (tips_classify(start, end, tt->i, tt->j)) {
	case TIPS_EDGE_FULL:
		/* §7.2: 415 when the client does not take the edge's media type */
		if (!media_accepts(rq->accept, res->media_type)) {
			reply_error(out, 415, tips_err_media);
			return;
		}
		out->status = 200;
		out->full = res;
		return;
	case TIPS_EDGE_PATCH: {
		const struct upd_version *v = upd_version_seq(ur, tt->j);
		if (v == NULL || (v->merge == NULL && v->jsonpatch == NULL)) {
			reply_error(out, 404, tips_err_no_edge);
			return;
		}
		if (!pick_patch(v, rq->accept, out))
			reply_error(out, 415, tips_err_media);
		return;
	}
	case TIPS_EDGE_WAIT: {
		/* the edge to come will be the full resource (from 0) or a
		 * patch: the client must take one of its media types now */
		bool ok = tt->i == 0 ? media_accepts(rq->accept, res->media_type)
		                     : media_accepts(rq->accept, MT_MERGE_PATCH) ||
		                               (res->kind == RES_COSTMAP && media_accepts(rq->accept, MT_JSON_PATCH));
		if (!ok) {
			reply_error(out, 415, tips_err_media);
			return;
		}
		out->wait = true;
		return;
	}
	case TIPS_EDGE_GONE: reply_error(out, 410, tips_err_gone); return;
	case TIPS_EDGE_TOO_EARLY: reply_error(out, 425, tips_err_too_early); return;
	case TIPS_EDGE_NONE: reply_error(out, 404, tips_err_no_edge); return;
	}
}

void tips_next_edge(struct tips_state *t, const struct tips_request *rq, const struct tips_target *tt, const char *body,
                    size_t len, struct tips_reply *out)
{
	const struct resource *res;
	const struct upd_resource *ur;
	memset(out, 0, sizeof(*out));
	if (!resolve(t, rq, tt->token, &res, &ur, out))
		return;
	struct alto_error err = {0};
	char *tag = NULL;
	int rc = tips_parse_next_edge(body, len, &tag, &err);
	if (rc == ALTOD_EREQUEST) {
		reply_alto_error(out, &err);
		alto_error_clear(&err);
		return;
	}
	struct tips_summary s;
	if (rc == 0)
		rc = summarize(ur, res, tag, &s);
	free(tag);
	if (rc != 0) {
		reply_nomem(out);
		return;
	}
	out->status = 200;
	out->ctype = MT_TIPS;
	out->body = tips_render_summary(&s, &out->len);
	if (out->body == NULL)
		reply_nomem(out);
}

/* ---- long polls ---- */

uint64_t tips_generation(struct tips_state *t)
{
	pthread_mutex_lock(&t->lock);
	uint64_t g = t->gen;
	pthread_mutex_unlock(&t->lock);
	return g;
}

bool tips_stopping(struct tips_state *t)
{
	pthread_mutex_lock(&t->lock);
	bool s = t->stopping;
	pthread_mutex_unlock(&t->lock);
	return s;
}

bool tips_wait(struct tips_state *t, struct MHD_Connection *c, struct tips_waiter *w, uint64_t gen)
{
	pthread_mutex_lock(&t->lock);
	if (t->stopping || t->gen != gen) {
		pthread_mutex_unlock(&t->lock);
		return false;
	}
	w->c = c;
	w->linked = true;
	w->prev = NULL;
	w->next = t->waiters;
	if (t->waiters)
		t->waiters->prev = w;
	t->waiters = w;
	t->nwaiting++;
	/* suspended under the lock: whoever unlinks it finds it suspended */
	MHD_suspend_connection(c);
	pthread_mutex_unlock(&t->lock);
	return true;
}

static void unlink_waiter(struct tips_state *t, struct tips_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		t->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->linked = false;
	t->nwaiting--;
}

void tips_unwait(struct tips_state *t, struct tips_waiter *w)
{
	pthread_mutex_lock(&t->lock);
	if (w->linked)
		unlink_waiter(t, w);
	pthread_mutex_unlock(&t->lock);
}

/* Resumes the connections of a list taken off t->waiters. The lock is not
 * held: libmicrohttpd takes its own in MHD_resume_connection, and its
 * threads call the access handler, which takes t->lock, under theirs. A
 * waiter's memory may go as soon as its connection is resumed. */
static void resume_all(struct MHD_Connection **cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		MHD_resume_connection(cs[i]);
}

bool tips_client_gone(int fd)
{
	char b;
	if (fd < 0)
		return false;
	ssize_t r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r == 0)
		return true;
	return r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

/* Takes the waiters that match off the list: all (now 0), or those past
 * their poll-timeout or whose client went away. A suspended connection
 * cannot complete, so its socket stays open while it is looked at here
 * (under t->lock). */
static struct MHD_Connection **take(struct tips_state *t, int64_t now, size_t *n)
{
	*n = 0;
	struct MHD_Connection **cs = malloc((t->nwaiting ? t->nwaiting : 1) * sizeof(*cs));
	if (cs == NULL)
		return NULL;
	for (struct tips_waiter *w = t->waiters, *next; w; w = next) {
		next = w->next;
		if (now) {
			if (w->deadline_ms <= now)
				w->timed_out = true;
			else if (tips_client_gone(w->fd))
				w->gone = true;
			else
				continue;
		}
		cs[(*n)++] = w->c;
		unlink_waiter(t, w);
	}
	return cs;
}

static void wake(struct tips_state *t, bool stop)
{
	size_t n;
	pthread_mutex_lock(&t->lock);
	t->gen++;
	if (stop)
		t->stopping = true;
	struct MHD_Connection **cs = take(t, 0, &n);
	pthread_mutex_unlock(&t->lock);
	if (cs == NULL) {
		/* out of memory: resume them one by one */
		for (;;) {
			pthread_mutex_lock(&t->lock);
			struct tips_waiter *w = t->waiters;
			struct MHD_Connection *c = w ? w->c : NULL;
			if (w)
				unlink_waiter(t, w);
			pthread_mutex_unlock(&t->lock);
			if (c == NULL)
				return;
			MHD_resume_connection(c);
		}
	}
	resume_all(cs, n);
	free(cs);
}

void tips_wake(struct tips_state *t)
{
	wake(t, false);
}

void tips_stop(struct tips_state *t)
{
	wake(t, true);
}

void tips_sweep(struct tips_state *t, const struct snapshot *s, int64_t now)
{
	struct tips_limits l;
	size_t n = 0;
	limits_of(s, &l);
	pthread_mutex_lock(&t->lock);
	/* long polls past their poll-timeout, or whose client went away */
	struct MHD_Connection **cs = t->nwaiting ? take(t, now, &n) : NULL;
	/* views nobody asked about for their lifetime */
	size_t before = t->nviews;
	for (size_t i = 0; i < t->nviews;) {
		if (l.lifetime && now - t->views[i].last_ms > (int64_t)l.lifetime * 1000)
			drop_view(t, &t->views[i]);
		else
			i++;
	}
	if (t->nviews != before)
		index_rebuild(t);
	pthread_mutex_unlock(&t->lock);
	if (cs) {
		resume_all(cs, n);
		free(cs);
	}
}

void tips_counts(struct tips_state *t, size_t *views, size_t *waiting)
{
	pthread_mutex_lock(&t->lock);
	*views = t->nviews;
	*waiting = t->nwaiting;
	pthread_mutex_unlock(&t->lock);
}

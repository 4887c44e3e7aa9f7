/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "alto/patch.h"
#include "snap/access.h"
#include "snap/snapshot.h"
#include "snap/updates.h"
#include "snap/updates_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/par.h"

struct upd_blob *upd_blob_ref(struct upd_blob *b)
{
	if (b)
		atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

void upd_blob_unref(struct upd_blob *b)
{
	if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		free(b);
}

/* Takes the buffer's bytes over (freed either way); NULL out of memory. */
static struct upd_blob *blob_from(struct buf *src)
{
	struct upd_blob *b = src->oom ? NULL : malloc(sizeof(*b) + src->len + 1);
	if (b) {
		atomic_init(&b->refs, 1);
		b->len = src->len;
		memcpy(b->data, src->data ? src->data : "", src->len);
		b->data[b->len] = '\0';
	}
	buf_free(src);
	return b;
}

static void version_clear(struct upd_version *v)
{
	upd_blob_unref(v->merge);
	upd_blob_unref(v->jsonpatch);
	v->merge = v->jsonpatch = NULL;
}

static size_t version_bytes(const struct upd_version *v)
{
	return (v->merge ? v->merge->len : 0) + (v->jsonpatch ? v->jsonpatch->len : 0);
}

void updates_free(struct updates *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->n; i++) {
		for (size_t k = 0; k < u->res[i].nv; k++)
			version_clear(&u->res[i].v[k]);
		free(u->res[i].v);
		free(u->res[i].id);
	}
	free(u->res);
	free(u);
}

const struct upd_resource *updates_find(const struct updates *u, const char *resource_id)
{
	size_t lo = 0, hi = u ? u->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(u->res[mid].id, resource_id);
		if (c == 0)
			return &u->res[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct upd_version *upd_version_seq(const struct upd_resource *r, uint64_t seq)
{
	if (r == NULL || r->nv == 0 || seq < r->v[0].seq || seq > r->v[r->nv - 1].seq)
		return NULL;
	return &r->v[seq - r->v[0].seq]; /* consecutive */
}

const struct upd_version *upd_version_tag(const struct upd_resource *r, const char *tag)
{
	for (size_t k = r ? r->nv : 0; k-- > 0;)
		if (strcmp(r->v[k].tag, tag) == 0)
			return &r->v[k];
	return NULL;
}

/* ---- building ---- */

static const struct catalog *universe(const struct snapshot *s)
{
	return s->access ? s->access->universe : s->cat;
}

static bool has_versions(const struct resource *r)
{
	return r->kind == RES_NETWORKMAP || r->kind == RES_COSTMAP;
}

static int by_id(const void *a, const void *b)
{
	const struct resource *x = *(const struct resource *const *)a, *y = *(const struct resource *const *)b;
	return strcmp(x->id, y->id);
}

/* The resources of s that have versions, sorted by id (*n of them) */
static const struct resource **versioned(const struct snapshot *s, size_t *n)
{
	const struct catalog *c = universe(s);
	const struct resource **out = malloc((c->nres ? c->nres : 1) * sizeof(*out));
	*n = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < c->nres; i++)
		if (has_versions(&c->res[i]))
			out[(*n)++] = &c->res[i];
	qsort(out, *n, sizeof(*out), by_id);
	return out;
}

static const struct resource *find_res(const struct resource **rs, size_t n, const char *id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(rs[mid]->id, id);
		if (c == 0)
			return rs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A network map's vtag; a cost map's body ETag without its quotes */
static void tag_of(const struct resource *r, char out[VTAG_LEN + 1])
{
	if (r->kind == RES_NETWORKMAP) {
		snprintf(out, VTAG_LEN + 1, "%s", r->nm->vtag);
		return;
	}
	const char *e = r->etag[0] == '"' ? r->etag + 1 : r->etag;
	size_t n = strcspn(e, "\"");
	snprintf(out, VTAG_LEN + 1, "%.*s", (int)n, e);
}

void updates_epoch(const uint8_t salt[UPD_SALT_LEN], const char *id, uint64_t gen, const char *tag, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[32], g[8];
	gnutls_hash_hd_t h;
	for (size_t i = 0; i < sizeof(g); i++)
		g[i] = (uint8_t)(gen >> (8 * i));
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		memset(d, 0, sizeof(d));
	} else {
		gnutls_hash(h, "altod-updates-v2", 17);
		gnutls_hash(h, salt, UPD_SALT_LEN);
		gnutls_hash(h, g, sizeof(g));
		gnutls_hash(h, id, strlen(id) + 1);
		gnutls_hash(h, tag, strlen(tag));
		gnutls_hash_deinit(h, d);
	}
	for (size_t i = 0; i < 8; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[16] = '\0';
}

/* This process's salt: random, drawn once. Should the generator fail
 * (it does not on a working GnuTLS), the clock and the pid still make it
 * this process's own. */
static uint8_t process_salt[UPD_SALT_LEN];
static pthread_once_t salt_once = PTHREAD_ONCE_INIT;

static void salt_draw(void)
{
	if (gnutls_rnd(GNUTLS_RND_NONCE, process_salt, sizeof(process_salt)) == 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t x = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	x ^= (uint64_t)getpid() << 40;
	for (size_t i = 0; i < sizeof(process_salt); i++)
		process_salt[i] = (uint8_t)(x >> (8 * i));
}

static void epoch_of(const char *id, uint64_t gen, const char *tag, char out[17])
{
	pthread_once(&salt_once, salt_draw);
	updates_epoch(process_salt, id, gen, tag, out);
}

/* One resource whose body changed: its patches, computed in parallel */
struct diff_task {
	const struct resource *from, *to;
	struct upd_version *v; /* where the patches go */
	int rc;
};

static void diff_one(void *ctx, size_t i)
{
	struct diff_task *t = &((struct diff_task *)ctx)[i];
	struct buf merge, jp;
	buf_init(&merge);
	buf_init(&jp);
	if (t->to->kind == RES_NETWORKMAP)
		t->rc = patch_networkmap(t->from->nm, t->to->nm, &merge);
	else
		t->rc = patch_costmap(t->from->nm, &t->from->ct, t->to->nm, &t->to->ct, &merge, &jp);
	if (t->rc == 0) {
		t->v->merge = blob_from(&merge);
		t->v->jsonpatch = t->to->kind == RES_COSTMAP ? blob_from(&jp) : NULL;
		if (t->v->merge == NULL || (t->to->kind == RES_COSTMAP && t->v->jsonpatch == NULL))
			t->rc = ALTOD_ENOMEM;
	}
	buf_free(&merge);
	buf_free(&jp);
}

/* Drops the oldest version of r: the next one becomes the oldest kept, so
 * its patches (from a version no longer kept) go too. */
static void drop_oldest(struct upd_resource *r)
{
	version_clear(&r->v[0]);
	memmove(r->v, r->v + 1, (r->nv - 1) * sizeof(*r->v));
	r->nv--;
	version_clear(&r->v[0]);
}

static void enforce_limits(struct updates *u, const struct updates_limits *l)
{
	unsigned maxv = l->max_versions ? l->max_versions : 1;
	for (size_t i = 0; i < u->n; i++)
		while (u->res[i].nv > maxv)
			drop_oldest(&u->res[i]);
	u->bytes = 0;
	for (size_t i = 0; i < u->n; i++)
		for (size_t k = 0; k < u->res[i].nv; k++)
			u->bytes += version_bytes(&u->res[i].v[k]);
	/* over the bytes: the oldest patches go first, over all resources (by
	 * the build that made them; ties by id) */
	while (u->bytes > l->max_bytes) {
		struct upd_resource *oldest = NULL;
		for (size_t i = 0; i < u->n; i++) {
			struct upd_resource *r = &u->res[i];
			if (r->nv > 1 && (oldest == NULL || r->v[1].gen < oldest->v[1].gen))
				oldest = r;
		}
		if (oldest == NULL)
			break;
		u->bytes -= version_bytes(&oldest->v[0]) + version_bytes(&oldest->v[1]);
		drop_oldest(oldest);
	}
	u->versions = 0;
	for (size_t i = 0; i < u->n; i++)
		u->versions += u->res[i].nv;
}

int updates_build(const struct snapshot *prev, struct snapshot *next, const struct updates_limits *l)
{
	double t0 = clock_mono_s();
	const struct updates *pu = prev ? prev->updates : NULL;
	size_t n = 0, np = 0, ntasks = 0;
	const struct resource **rs = versioned(next, &n);
	const struct resource **prs = pu ? versioned(prev, &np) : NULL;
	struct updates *u = calloc(1, sizeof(*u));
	struct diff_task *tasks = calloc(n ? n : 1, sizeof(*tasks));
	int rc = ALTOD_ENOMEM;

	if (rs == NULL || (pu && prs == NULL) || u == NULL || tasks == NULL)
		goto fail;
	u->res = calloc(n ? n : 1, sizeof(*u->res));
	if (u->res == NULL)
		goto fail;
	u->gen = pu ? pu->gen + 1 : 0;
	for (size_t i = 0; i < n; i++, u->n++) {
		const struct resource *r = rs[i];
		struct upd_resource *ur = &u->res[i];
		char tag[VTAG_LEN + 1];
		tag_of(r, tag);
		ur->id = strdup(r->id);
		ur->kind = r->kind;
		ur->media_type = r->media_type;
		const struct upd_resource *old = updates_find(pu, r->id);
		const struct resource *pr = prs ? find_res(prs, np, r->id) : NULL;
		if (pr == NULL || old == NULL || old->kind != r->kind || old->nv == 0)
			old = NULL; /* new here (or a new kind): a fresh history */
		bool same = old && strcmp(pr->etag, r->etag) == 0 && strcmp(old->v[old->nv - 1].tag, tag) == 0;
		size_t nv = old ? old->nv + (same ? 0 : 1) : 1;
		ur->v = calloc(nv, sizeof(*ur->v));
		if (ur->id == NULL || ur->v == NULL) {
			u->n++; /* freed with the others */
			goto fail;
		}
		if (old) {
			memcpy(ur->epoch, old->epoch, sizeof(ur->epoch));
			for (size_t k = 0; k < old->nv; k++) {
				ur->v[k] = old->v[k];
				upd_blob_ref(ur->v[k].merge);
				upd_blob_ref(ur->v[k].jsonpatch);
			}
		} else {
			epoch_of(r->id, u->gen, tag, ur->epoch);
		}
		ur->nv = nv;
		if (old && same)
			continue;
		struct upd_version *v = &ur->v[nv - 1];
		v->seq = old ? old->v[old->nv - 1].seq + 1 : 1;
		v->gen = u->gen;
		memcpy(v->tag, tag, sizeof(v->tag));
		if (old)
			tasks[ntasks++] = (struct diff_task){.from = pr, .to = r, .v = v};
	}
	double t1 = clock_mono_s();
	par_for(ntasks, diff_one, tasks);
	u->patch_seconds = clock_mono_s() - t1;
	for (size_t i = 0; i < ntasks; i++) {
		if (tasks[i].rc != 0)
			goto fail;
		u->changed++;
		u->new_merge_bytes += tasks[i].v->merge->len;
		u->new_body_bytes += tasks[i].to->body_len;
		if (tasks[i].v->jsonpatch) {
			u->new_jp_bytes += tasks[i].v->jsonpatch->len;
			u->new_jp_bodies += tasks[i].to->body_len;
		}
	}
	enforce_limits(u, l);
	free(tasks);
	free(rs);
	free(prs);
	updates_free(next->updates);
	u->build_seconds = clock_mono_s() - t0;
	next->updates = u;
	return 0;
fail:
	free(tasks);
	free(rs);
	free(prs);
	updates_free(u);
	return rc;
}

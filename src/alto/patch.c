/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alto/patch.h"
#include "alto/render_internal.h"
#include "util/err.h"

/* ---- from parsed documents ---- */

/* Would merging v (as a member value of a merge patch) lose a null? Only
 * object members are merged (RFC 7396 §2: MergePatch recurses into object
 * values and drops null members); arrays are taken whole. */
static bool has_null_member(const json_t *v)
{
	const char *k;
	json_t *m;
	if (!json_is_object(v))
		return false;
	json_object_foreach ((json_t *)v, k, m)
		if (json_is_null(m) || has_null_member(m))
			return true;
	return false;
}

json_t *patch_merge_diff(const json_t *from, const json_t *to, bool *inexpressible)
{
	const char *k;
	json_t *v;

	*inexpressible = false;
	if (!json_is_object(to)) /* RFC 7396 §2: a non-object patch replaces the target */
		return json_incref((json_t *)to);
	if (!json_is_object(from)) {
		/* the target is replaced by {} and the patch merged into it */
		if (has_null_member(to)) {
			*inexpressible = true;
			return NULL;
		}
		return json_incref((json_t *)to);
	}
	json_t *p = json_object();
	if (p == NULL)
		return NULL;
	json_object_foreach ((json_t *)from, k, v)
		if (json_object_get(to, k) == NULL && json_object_set_new(p, k, json_null()) != 0)
			goto fail;
	json_object_foreach ((json_t *)to, k, v) {
		const json_t *old = json_object_get(from, k);
		if (old && json_equal((json_t *)old, v))
			continue;
		json_t *d;
		if (json_is_null(v)) { /* "set to null" cannot be said */
			*inexpressible = true;
			goto fail;
		}
		if (json_is_object(old) && json_is_object(v)) {
			d = patch_merge_diff(old, v, inexpressible);
		} else if (has_null_member(v)) {
			*inexpressible = true;
			goto fail;
		} else {
			d = json_incref(v);
		}
		if (d == NULL || json_object_set_new(p, k, d) != 0)
			goto fail;
	}
	return p;
fail:
	json_decref(p);
	return NULL;
}

static int add_op(json_t *ops, const char *op, const char *path, const json_t *value)
{
	json_t *o = value ? json_pack("{s:s,s:s,s:O}", "op", op, "path", path, "value", value)
	                  : json_pack("{s:s,s:s}", "op", op, "path", path);
	return o ? json_array_append_new(ops, o) : -1;
}

static int json_diff(json_t *ops, struct buf *path, const json_t *from, const json_t *to)
{
	const char *k;
	json_t *v;

	if (json_equal((json_t *)from, (json_t *)to))
		return 0;
	if (!json_is_object(from) || !json_is_object(to))
		return path->oom ? -1 : add_op(ops, "replace", path->len ? path->data : "", to);
	size_t at = path->len;
	json_object_foreach ((json_t *)from, k, v) {
		if (json_object_get(to, k))
			continue;
		patch_pointer_token(path, k);
		int rc = path->oom ? -1 : add_op(ops, "remove", path->data, NULL);
		path->len = at;
		if (rc != 0)
			return -1;
	}
	json_object_foreach ((json_t *)to, k, v) {
		const json_t *old = json_object_get(from, k);
		patch_pointer_token(path, k);
		int rc = path->oom ? -1 : old ? json_diff(ops, path, old, v) : add_op(ops, "add", path->data, v);
		path->len = at;
		if (path->data)
			path->data[at] = '\0';
		if (rc != 0)
			return -1;
	}
	return 0;
}

json_t *patch_json_diff(const json_t *from, const json_t *to)
{
	json_t *ops = json_array();
	struct buf path;

	buf_init(&path);
	if (ops == NULL || json_diff(ops, &path, from, to) != 0) {
		json_decref(ops);
		ops = NULL;
	}
	buf_free(&path);
	return ops;
}

void patch_pointer_token(struct buf *b, const char *token)
{
	buf_putc(b, '/');
	const char *s = token;
	for (;;) {
		size_t run = strcspn(s, "~/");
		buf_append(b, s, run);
		s += run;
		if (*s == '\0')
			break;
		buf_puts(b, *s == '~' ? "~0" : "~1"); /* RFC 6901 §3 */
		s++;
	}
}

/* ---- from the topology structures ---- */

static bool prefixes_equal(const struct ip_prefix *a, const struct ip_prefix *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i].family != b[i].family || a[i].len != b[i].len || memcmp(a[i].addr, b[i].addr, 16) != 0)
			return false;
	return true;
}

/* One family's prefixes of a PID as the body shows them */
static void family_range(const struct topo_pid *p, int f, uint32_t *from, uint32_t *n)
{
	*from = f == 0 ? 0 : p->nv4;
	*n = f == 0 ? p->nv4 : p->nprefixes - p->nv4;
}

static void put_member_sep(struct buf *b, bool *first)
{
	if (!*first)
		buf_putc(b, ',');
	*first = false;
}

int patch_networkmap(const struct topo_netmap *a, const struct topo_netmap *b, struct buf *merge)
{
	static const bool all[2] = {true, true};
	bool first = true;

	buf_putc(merge, '{');
	if (strcmp(a->id, b->id) != 0) {
		buf_puts(merge, "\"meta\":{\"vtag\":");
		render_vtag(merge, b);
		buf_putc(merge, '}');
		first = false;
	} else if (strcmp(a->vtag, b->vtag) != 0) { /* the tag only: the resource id stays */
		buf_puts(merge, "\"meta\":{\"vtag\":{\"tag\":");
		jw_str(merge, b->vtag);
		buf_puts(merge, "}}");
		first = false;
	}
	bool opened = false;
	uint32_t i = 0, j = 0;
	while (i < a->npids || j < b->npids) {
		int c = i == a->npids ? 1 : j == b->npids ? -1 : strcmp(a->pids[i].name, b->pids[j].name);
		const char *name = c <= 0 ? a->pids[i].name : b->pids[j].name;
		bool changed = c != 0;
		if (c == 0) /* the same PID: do its prefixes differ? */
			for (int f = 0; f < 2 && !changed; f++) {
				uint32_t fa, na, fb, nb;
				family_range(&a->pids[i], f, &fa, &na);
				family_range(&b->pids[j], f, &fb, &nb);
				changed = na != nb ||
				          !prefixes_equal(a->pids[i].prefixes + fa, b->pids[j].prefixes + fb, na);
			}
		if (changed) {
			if (!opened) {
				put_member_sep(merge, &first);
				buf_puts(merge, "\"network-map\":{");
				opened = true;
			} else {
				buf_putc(merge, ',');
			}
			jw_str(merge, name);
			buf_putc(merge, ':');
			if (c < 0) {
				buf_puts(merge, "null"); /* gone */
			} else if (c > 0) {
				render_pid_addrs(merge, &b->pids[j], all); /* new */
			} else {
				/* only the families that changed; one that is gone is null */
				bool f_first = true;
				buf_putc(merge, '{');
				for (int f = 0; f < 2; f++) {
					uint32_t fa, na, fb, nb;
					family_range(&a->pids[i], f, &fa, &na);
					family_range(&b->pids[j], f, &fb, &nb);
					if (na == nb &&
					    prefixes_equal(a->pids[i].prefixes + fa, b->pids[j].prefixes + fb, na))
						continue;
					put_member_sep(merge, &f_first);
					buf_puts(merge, f == 0 ? "\"ipv4\":" : "\"ipv6\":");
					if (nb == 0) {
						buf_puts(merge, "null");
						continue;
					}
					buf_putc(merge, '[');
					for (uint32_t k = 0; k < nb; k++) {
						char s[IP_PREFIX_STRLEN];
						ip_prefix_format(&b->pids[j].prefixes[fb + k], s);
						if (k)
							buf_putc(merge, ',');
						jw_str(merge, s);
					}
					buf_putc(merge, ']');
				}
				buf_putc(merge, '}');
			}
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	if (opened)
		buf_putc(merge, '}');
	buf_putc(merge, '}');
	return merge->oom ? ALTOD_ENOMEM : 0;
}

/* The value a cost map shows for entry e */
static double shown(const struct topo_metric *m, const struct cost_type *ct, uint32_t e)
{
	return ct->mode == COST_ORDINAL ? (double)m->rank[e] : m->val[e];
}

static void put_cost(struct buf *b, const struct cost_type *ct, double v)
{
	if (ct->mode == COST_ORDINAL)
		jw_uint(b, (uint64_t)v);
	else
		jw_num(b, v);
}

/* Writes a cost map row ({"dst":cost,...}) */
static void put_row(struct buf *b, const struct topo_netmap *nm, const struct cost_type *ct, uint32_t s)
{
	const struct topo_metric *m = ct->metric;
	buf_putc(b, '{');
	for (uint32_t e = m->row[s]; e < m->row[s + 1]; e++) {
		if (e > m->row[s])
			buf_putc(b, ',');
		jw_str(b, nm->pids[m->col[e]].name);
		buf_putc(b, ':');
		put_cost(b, ct, shown(m, ct, e));
	}
	buf_putc(b, '}');
}

/* The writers of both patches, with what they have opened so far. The JSON
 * patch's operations (RFC 6902 §4) always name a location whose parent
 * exists in the document as patched so far: "add" for a cost or row that is
 * new (§4.1), "remove" (§4.2) and "replace" (§4.3) for one that exists;
 * the order of operations does not matter, no two name the same
 * location. */
struct cm_out {
	struct buf *merge, *jp;
	bool merge_first, cm_opened, row_opened, jp_first;
	struct buf ptr; /* "/cost-map/<src>" of the current row */
	size_t ptr_row; /* its length */
};

static void jp_op(struct cm_out *o, const char *op, const char *dst)
{
	struct buf *b = o->jp;
	o->ptr.len = o->ptr_row;
	if (o->ptr.data)
		o->ptr.data[o->ptr.len] = '\0';
	if (dst)
		patch_pointer_token(&o->ptr, dst);
	if (!o->jp_first)
		buf_putc(b, ',');
	o->jp_first = false;
	buf_puts(b, "{\"op\":\"");
	buf_puts(b, op);
	buf_puts(b, "\",\"path\":");
	jw_strn(b, o->ptr.data ? o->ptr.data : "", o->ptr.len);
	if (strcmp(op, "remove") != 0)
		buf_puts(b, ",\"value\":");
	else
		buf_putc(b, '}');
}

static void open_row(struct cm_out *o, const char *src)
{
	if (!o->cm_opened) {
		put_member_sep(o->merge, &o->merge_first);
		buf_puts(o->merge, "\"cost-map\":{");
		o->cm_opened = true;
	} else {
		buf_putc(o->merge, ',');
	}
	jw_str(o->merge, src);
	buf_putc(o->merge, ':');
}

static void start_row(struct cm_out *o, const char *src)
{
	o->ptr.len = 0;
	buf_puts(&o->ptr, "/cost-map");
	patch_pointer_token(&o->ptr, src);
	o->ptr_row = o->ptr.len;
	o->row_opened = false;
}

/* One changed entry of a row present in both versions */
static void entry_changed(struct cm_out *o, const char *src, const char *dst, const struct cost_type *ct,
                          const double *v, const char *op)
{
	if (!o->row_opened) {
		open_row(o, src);
		buf_putc(o->merge, '{');
		o->row_opened = true;
	} else {
		buf_putc(o->merge, ',');
	}
	jw_str(o->merge, dst);
	buf_putc(o->merge, ':');
	if (v)
		put_cost(o->merge, ct, *v);
	else
		buf_puts(o->merge, "null");
	if (o->jp) {
		jp_op(o, op, dst);
		if (v) {
			put_cost(o->jp, ct, *v);
			buf_putc(o->jp, '}');
		}
	}
}

/* A row's operations (from jp_mark on) that take more bytes than the row
 * itself give way to one that replaces the row: when many of its costs
 * changed (an ordinal map's ranks shift), the JSON patch stays below the
 * size of the rows it changes. */
static int shorter_row(struct cm_out *o, const struct topo_netmap *b, const struct cost_type *cb, uint32_t j,
                       size_t jp_mark, bool jp_first_mark, struct buf *scratch)
{
	const struct topo_metric *m = cb->metric;
	size_t ops = o->jp->len - jp_mark;
	/* a row takes at least 6 bytes per cost ("x":1,): no need to render
	 * it when its operations take less (few costs changed) */
	if (ops <= (size_t)(m->row[j + 1] - m->row[j]) * 6)
		return 0;
	scratch->len = 0;
	put_row(scratch, b, cb, j);
	if (scratch->oom)
		return ALTOD_ENOMEM;
	if (scratch->len + 48 + o->ptr_row >= ops)
		return 0;
	o->jp->len = jp_mark;
	if (o->jp->data)
		o->jp->data[jp_mark] = '\0';
	o->jp_first = jp_first_mark;
	jp_op(o, "replace", NULL);
	buf_append(o->jp, scratch->data, scratch->len);
	buf_putc(o->jp, '}');
	return 0;
}

int patch_costmap(const struct topo_netmap *a, const struct cost_type *ca, const struct topo_netmap *b,
                  const struct cost_type *cb, struct buf *merge, struct buf *jsonpatch)
{
	const struct topo_metric *ma = ca->metric, *mb = cb->metric;
	struct cm_out o = {.merge = merge, .jp = jsonpatch, .merge_first = true, .jp_first = true};
	struct buf meta_a, meta_b, scratch;
	int rc = 0;

	buf_init(&o.ptr);
	buf_init(&meta_a);
	buf_init(&meta_b);
	buf_init(&scratch);
	buf_putc(merge, '{');
	if (jsonpatch)
		buf_putc(jsonpatch, '[');
	/* meta (RFC 7285 §11.2.3.6): the dependent vtags and the cost type,
	 * each sent whole when it changed */
	struct buf *parts_a[2] = {&meta_a, &meta_b}, *parts_b[2] = {&scratch, &o.ptr};
	render_vtag(parts_a[0], a);
	render_vtag(parts_b[0], b);
	render_cost_type(parts_a[1], ca);
	render_cost_type(parts_b[1], cb);
	static const char *const names[2] = {"dependent-vtags", "cost-type"};
	bool meta_open = false;
	for (int k = 0; k < 2; k++) {
		struct buf *x = parts_a[k], *y = parts_b[k];
		if (x->oom || y->oom) {
			rc = ALTOD_ENOMEM;
			goto out;
		}
		if (x->len == y->len && memcmp(x->data, y->data, x->len) == 0)
			continue;
		buf_puts(merge, meta_open ? "," : "\"meta\":{");
		meta_open = true;
		jw_str(merge, names[k]);
		buf_putc(merge, ':');
		if (k == 0)
			buf_putc(merge, '[');
		buf_append(merge, y->data, y->len);
		if (k == 0)
			buf_putc(merge, ']');
		if (jsonpatch) {
			buf_puts(jsonpatch, o.jp_first ? "" : ",");
			buf_puts(jsonpatch, "{\"op\":\"replace\",\"path\":\"/meta/");
			buf_puts(jsonpatch, names[k]);
			buf_puts(jsonpatch, k == 0 ? "\",\"value\":[" : "\",\"value\":");
			buf_append(jsonpatch, y->data, y->len);
			buf_puts(jsonpatch, k == 0 ? "]}" : "}");
			o.jp_first = false;
		}
	}
	if (meta_open) {
		buf_putc(merge, '}');
		o.merge_first = false;
	}
	scratch.len = 0;
	o.ptr.len = 0;

	/* a's PID index -> b's, by name (both sorted by name) */
	uint32_t *ab = malloc((a->npids ? a->npids : 1) * sizeof(uint32_t));
	if (ab == NULL) {
		rc = ALTOD_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0, j = 0; i < a->npids; i++) {
		while (j < b->npids && strcmp(b->pids[j].name, a->pids[i].name) < 0)
			j++;
		ab[i] = j < b->npids && strcmp(b->pids[j].name, a->pids[i].name) == 0 ? j : TOPO_NONE;
	}

	/* the rows, in name order; a row without costs is not in the body */
	uint32_t i = 0, j = 0;
	while (i < a->npids || j < b->npids) {
		int c = i == a->npids ? 1 : j == b->npids ? -1 : strcmp(a->pids[i].name, b->pids[j].name);
		bool in_a = c <= 0 && ma->row[i + 1] > ma->row[i];
		bool in_b = c >= 0 && mb->row[j + 1] > mb->row[j];
		const char *src = c <= 0 ? a->pids[i].name : b->pids[j].name;
		if (in_a || in_b)
			start_row(&o, src);
		if (in_a && !in_b) {
			open_row(&o, src);
			buf_puts(merge, "null");
			if (jsonpatch)
				jp_op(&o, "remove", NULL);
		} else if (!in_a && in_b) {
			open_row(&o, src);
			put_row(merge, b, cb, j);
			if (jsonpatch) {
				jp_op(&o, "add", NULL);
				put_row(jsonpatch, b, cb, j);
				buf_putc(jsonpatch, '}');
			}
		} else if (in_a && in_b) {
			size_t jp_mark = jsonpatch ? jsonpatch->len : 0;
			bool jp_first_mark = o.jp_first;
			uint32_t ea = ma->row[i], enda = ma->row[i + 1];
			uint32_t eb = mb->row[j], endb = mb->row[j + 1];
			while (ea < enda || eb < endb) {
				uint32_t ka = ea < enda ? ab[ma->col[ea]] : TOPO_NONE;
				if (ea < enda && ka == TOPO_NONE) { /* its destination is gone */
					entry_changed(&o, src, a->pids[ma->col[ea]].name, cb, NULL, "remove");
					ea++;
					continue;
				}
				uint32_t kb = eb < endb ? mb->col[eb] : TOPO_NONE;
				if (eb == endb || (ea < enda && ka < kb)) {
					entry_changed(&o, src, a->pids[ma->col[ea]].name, cb, NULL, "remove");
					ea++;
				} else if (ea == enda || kb < ka) {
					double v = shown(mb, cb, eb);
					entry_changed(&o, src, b->pids[kb].name, cb, &v, "add");
					eb++;
				} else {
					double va = shown(ma, ca, ea), vb = shown(mb, cb, eb);
					/* -0 and 0 may render differently: the sign too */
					if (ca->mode != cb->mode || va != vb || signbit(va) != signbit(vb))
						entry_changed(&o, src, b->pids[kb].name, cb, &vb, "replace");
					ea++;
					eb++;
				}
			}
			if (o.row_opened)
				buf_putc(merge, '}');
			if (jsonpatch && o.row_opened &&
			    shorter_row(&o, b, cb, j, jp_mark, jp_first_mark, &scratch) != 0)
				rc = ALTOD_ENOMEM;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	free(ab);
	buf_free(&scratch);
	if (o.cm_opened)
		buf_putc(merge, '}');
	buf_putc(merge, '}');
	if (jsonpatch)
		buf_putc(jsonpatch, ']');
	if (merge->oom || (jsonpatch && jsonpatch->oom) || o.ptr.oom)
		rc = ALTOD_ENOMEM;
out:
	buf_free(&o.ptr);
	buf_free(&meta_a);
	buf_free(&meta_b);
	return rc;
}

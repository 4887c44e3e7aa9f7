/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Views: a tenant-facing projection of a network map. The view keeps some
 * PIDs (optionally under opaque names) and folds every other address into
 * its catch-all PID, so its map stays complete (RFC 7285 §11.2.2):
 *   - the catch-all holds 0.0.0.0/0 and ::/0, plus each hidden prefix that
 *     lies inside a kept prefix (so that a client's own longest-prefix match
 *     over the view agrees with the server's); hidden prefixes elsewhere are
 *     covered by /0 and never shown;
 *   - costs are those between kept PIDs, for the metrics and modes the view
 *     allows; ordinal ranks are computed within the view;
 *   - the vtag is an HMAC of the view's own content under the view's
 *     secret: it says nothing about what the view hides, and two views'
 *     tags cannot be linked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "topo/view.h"
#include "util/err.h"
#include "topo/topo.h"
#include "util/vec.h"

/* ---- a set of prefixes (family, length, address) ---- */

struct pset {
	struct ip_prefix *slots;
	size_t cap;
};

static uint64_t phash(const struct ip_prefix *p)
{
	uint64_t h = 1469598103934665603ull ^ p->family ^ ((uint64_t)p->len << 8);
	for (int i = 0; i < 16; i++) {
		h ^= p->addr[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 31);
}

static int pset_init(struct pset *s, size_t n)
{
	s->cap = 16;
	while (s->cap < 2 * n + 16)
		s->cap *= 2;
	s->slots = calloc(s->cap, sizeof(*s->slots)); /* family 0 = empty */
	return s->slots ? 0 : ALTOD_ENOMEM;
}

static void pset_add(struct pset *s, const struct ip_prefix *p)
{
	size_t i = (size_t)phash(p) & (s->cap - 1);
	while (s->slots[i].family && memcmp(&s->slots[i], p, sizeof(*p)) != 0)
		i = (i + 1) & (s->cap - 1);
	s->slots[i] = *p;
}

static bool pset_has(const struct pset *s, const struct ip_prefix *p)
{
	size_t i = (size_t)phash(p) & (s->cap - 1);
	while (s->slots[i].family) {
		if (memcmp(&s->slots[i], p, sizeof(*p)) == 0)
			return true;
		i = (i + 1) & (s->cap - 1);
	}
	return false;
}

/* Is p inside (or equal to) some prefix of the set? Tries every shorter length. */
static bool pset_covers(const struct pset *s, const struct ip_prefix *p)
{
	struct ip_prefix q = *p;
	for (int len = p->len; len >= 0; len--) {
		q.len = (uint8_t)len;
		if (len < 128 && len % 8 != 0)
			q.addr[len / 8] &= (uint8_t)(0xff00u >> (len % 8));
		if (len % 8 == 0 && len / 8 < 16)
			q.addr[len / 8] = 0;
		if (pset_has(s, &q))
			return true;
	}
	return false;
}

/* ---- building ---- */

static void hex(const uint8_t *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

struct vpid {
	char *name;
	uint32_t base; /* base PID index, TOPO_NONE for the catch-all */
};

static int vpid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vpid *)a)->name, ((const struct vpid *)b)->name);
}

struct ventry {
	uint32_t src, dst;
	double val;
};

static int ventry_cmp(const void *a, const void *b)
{
	const struct ventry *x = a, *y = b;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return (x->dst > y->dst) - (x->dst < y->dst);
}

static int prefix_cmp(const void *a, const void *b)
{
	return ip_prefix_cmp(a, b);
}

int topo_view_build(const struct topo_netmap *base, const struct topo_view_spec *spec, struct topo_netmap *out,
                    struct diag *d)
{
	int rc = ALTOD_ENOMEM;
	size_t nkeep = 0;
	uint32_t *to_view = NULL;
	struct vpid *vp = NULL;
	struct pset kept = {0};
	struct lpm_entry *le = NULL;

	memset(out, 0, sizeof(*out));
	out->id = strdup(spec->id);
	out->def_file = strdup(spec->file);
	out->def_line = spec->line;
	out->def_col = spec->col;
	to_view = malloc((base->npids ? base->npids : 1) * sizeof(uint32_t));
	vp = calloc(spec->npids + 1, sizeof(*vp));
	if (!out->id || !out->def_file || !to_view || !vp)
		goto fail;
	for (uint32_t i = 0; i < base->npids; i++)
		to_view[i] = TOPO_NONE;

	/* the kept PIDs, under their view names */
	for (size_t i = 0; i < spec->npids; i++) {
		uint32_t b = topo_pid_find(base, spec->pids[i]);
		if (b == TOPO_NONE) {
			diag_add(d, spec->file, spec->pid_lines ? spec->pid_lines[i] : spec->line,
			         spec->pid_cols ? spec->pid_cols[i] : spec->col,
			         "view '%s': PID '%s' is not defined in network map '%s'", spec->id, spec->pids[i],
			         base->id);
			rc = ALTOD_ECONFIG;
			continue;
		}
		if (to_view[b] != TOPO_NONE)
			continue; /* named twice */
		to_view[b] = 0;
		char *name;
		if (spec->opaque) {
			uint8_t mac[32];
			char h[17];
			gnutls_hmac_fast(GNUTLS_MAC_SHA256, spec->secret, 32, base->pids[b].name,
			                 strlen(base->pids[b].name), mac);
			hex(mac, 8, h);
			name = malloc(18);
			if (name)
				snprintf(name, 18, "p%s", h);
		} else {
			name = strdup(base->pids[b].name);
		}
		if (name == NULL)
			goto fail;
		vp[nkeep++] = (struct vpid){name, b};
	}
	if (rc == ALTOD_ECONFIG)
		goto fail;
	vp[nkeep] = (struct vpid){strdup(spec->catch_all), TOPO_NONE};
	if (vp[nkeep].name == NULL)
		goto fail;
	size_t nv = nkeep + 1;
	qsort(vp, nv, sizeof(*vp), vpid_cmp);
	for (size_t i = 1; i < nv; i++) {
		if (strcmp(vp[i].name, vp[i - 1].name) == 0) {
			diag_add(d, spec->file, spec->line, spec->col,
			         "view '%s': the catch-all PID '%s' is also a kept PID", spec->id, vp[i].name);
			rc = ALTOD_ECONFIG;
			goto fail;
		}
	}
	uint32_t catch_all = 0;
	for (size_t i = 0; i < nv; i++) {
		if (vp[i].base == TOPO_NONE)
			catch_all = (uint32_t)i;
		else
			to_view[vp[i].base] = (uint32_t)i;
	}

	out->npids = (uint32_t)nv;
	out->pids = calloc(nv, sizeof(*out->pids));
	if (out->pids == NULL)
		goto fail;
	for (size_t i = 0; i < nv; i++) {
		out->pids[i].name = vp[i].name;
		vp[i].name = NULL;
	}

	/* prefixes: kept PIDs keep theirs */
	size_t nkept_prefixes = 0;
	for (uint32_t b = 0; b < base->npids; b++)
		if (to_view[b] != TOPO_NONE)
			nkept_prefixes += base->pids[b].nprefixes;
	if (pset_init(&kept, nkept_prefixes) != 0)
		goto fail;
	for (uint32_t b = 0; b < base->npids; b++) {
		if (to_view[b] == TOPO_NONE)
			continue;
		struct topo_pid *p = &out->pids[to_view[b]];
		p->prefixes =
		        malloc((base->pids[b].nprefixes ? base->pids[b].nprefixes : 1) * sizeof(struct ip_prefix));
		if (p->prefixes == NULL)
			goto fail;
		memcpy(p->prefixes, base->pids[b].prefixes, base->pids[b].nprefixes * sizeof(struct ip_prefix));
		p->nprefixes = base->pids[b].nprefixes;
		p->nv4 = base->pids[b].nv4;
		for (uint32_t k = 0; k < p->nprefixes; k++)
			pset_add(&kept, &p->prefixes[k]);
	}
	/* the catch-all: /0 of each family, and hidden prefixes inside kept ones */
	struct ip_prefix *ca = NULL;
	size_t nca = 0, cap_ca = 0;
	struct ip_prefix zero4 = {.family = IP_V4}, zero6 = {.family = IP_V6};
	const struct ip_prefix *zeros[2] = {&zero4, &zero6};
	for (int f = 0; f < 2; f++) {
		if (pset_has(&kept, zeros[f]))
			continue;
		if (!VEC_PUSH(ca, nca, cap_ca))
			goto fail_ca;
		ca[nca++] = *zeros[f];
	}
	for (uint32_t b = 0; b < base->npids; b++) {
		if (to_view[b] != TOPO_NONE)
			continue;
		for (uint32_t k = 0; k < base->pids[b].nprefixes; k++) {
			const struct ip_prefix *p = &base->pids[b].prefixes[k];
			if (p->len == 0 || !pset_covers(&kept, p))
				continue;
			if (!VEC_PUSH(ca, nca, cap_ca))
				goto fail_ca;
			ca[nca++] = *p;
		}
	}
	if (nca > 1)
		qsort(ca, nca, sizeof(*ca), prefix_cmp);
	struct topo_pid *cp = &out->pids[catch_all];
	cp->prefixes = ca ? ca : malloc(sizeof(struct ip_prefix));
	ca = NULL;
	cp->nprefixes = (uint32_t)nca;
	for (size_t k = 0; k < nca; k++)
		if (cp->prefixes[k].family == IP_V4)
			cp->nv4++;

	/* longest-prefix match over what the view shows */
	size_t nle = 0;
	for (uint32_t i = 0; i < out->npids; i++)
		nle += out->pids[i].nprefixes;
	out->nprefixes = nle;
	le = malloc((nle ? nle : 1) * sizeof(*le));
	if (le == NULL)
		goto fail;
	nle = 0;
	for (uint32_t i = 0; i < out->npids; i++)
		for (uint32_t k = 0; k < out->pids[i].nprefixes; k++)
			le[nle++] = (struct lpm_entry){out->pids[i].prefixes[k], i};
	if (lpm_build(&out->lpm[0], IP_V4, le, nle) != 0 || lpm_build(&out->lpm[1], IP_V6, le, nle) != 0 ||
	    topo_netmap_quote_names(out) != 0)
		goto fail;

	/* costs between kept PIDs, for the metrics and modes the view allows */
	out->metrics = calloc(base->nmetrics ? base->nmetrics : 1, sizeof(*out->metrics));
	if (out->metrics == NULL)
		goto fail;
	for (uint32_t k = 0; k < base->nmetrics; k++) {
		const struct topo_metric *bm = &base->metrics[k];
		uint8_t modes = spec->modes_of ? spec->modes_of(spec->ctx, bm->name) : COST_MODES_ALL;
		modes &= bm->modes;
		if (modes == 0)
			continue;
		struct topo_metric *m = &out->metrics[out->nmetrics++];
		m->name = strdup(bm->name);
		m->higher_is_better = bm->higher_is_better;
		m->modes = modes;
		m->source = bm->source;
		m->params = bm->params ? strdup(bm->params) : NULL;
		if (bm->params && !m->params)
			goto fail;
		size_t n = 0;
		for (uint32_t s = 0; s < base->npids; s++)
			if (to_view[s] != TOPO_NONE)
				for (uint32_t e = bm->row[s]; e < bm->row[s + 1]; e++)
					if (to_view[bm->col[e]] != TOPO_NONE)
						n++;
		struct ventry *ve = malloc((n ? n : 1) * sizeof(*ve));
		m->row = calloc(out->npids + 1, sizeof(uint32_t));
		m->col = malloc((n ? n : 1) * sizeof(uint32_t));
		m->val = malloc((n ? n : 1) * sizeof(double));
		m->rank = malloc((n ? n : 1) * sizeof(uint32_t));
		if (!m->name || !ve || !m->row || !m->col || !m->val || !m->rank) {
			free(ve);
			goto fail;
		}
		n = 0;
		for (uint32_t s = 0; s < base->npids; s++)
			if (to_view[s] != TOPO_NONE)
				for (uint32_t e = bm->row[s]; e < bm->row[s + 1]; e++)
					if (to_view[bm->col[e]] != TOPO_NONE)
						ve[n++] = (struct ventry){to_view[s], to_view[bm->col[e]], bm->val[e]};
		qsort(ve, n, sizeof(*ve), ventry_cmp);
		for (size_t i = 0; i < n; i++) {
			m->row[ve[i].src + 1]++;
			m->col[i] = ve[i].dst;
			m->val[i] = ve[i].val;
		}
		for (uint32_t s = 0; s < out->npids; s++)
			m->row[s + 1] += m->row[s];
		m->nentries = n;
		free(ve);
		if (topo_rank(m->val, n, m->higher_is_better, m->rank) != 0 || topo_metric_texts(m) != 0)
			goto fail;
	}

	/* the entity properties it exposes, for what it shows (topo/props.c) */
	int prc = topo_props_view(base, out, to_view, catch_all, &spec->props, d);
	if (prc != 0) {
		rc = prc;
		goto fail;
	}

	/* the vtag: HMAC of the view's content under the view's secret */
	gnutls_hmac_hd_t h;
	uint8_t mac[32];
	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, spec->secret, 32) < 0)
		goto fail;
	gnutls_hmac(h, "altod-view-v1", 14);
	gnutls_hmac(h, out->id, strlen(out->id) + 1);
	for (uint32_t i = 0; i < out->npids; i++) {
		const struct topo_pid *p = &out->pids[i];
		gnutls_hmac(h, p->name, strlen(p->name) + 1);
		uint32_t cnt = p->nprefixes;
		gnutls_hmac(h, &cnt, sizeof(cnt));
		for (uint32_t k = 0; k < p->nprefixes; k++)
			gnutls_hmac(h, &p->prefixes[k], sizeof(p->prefixes[k]));
	}
	gnutls_hmac_deinit(h, mac);
	hex(mac, 32, out->vtag);

	free(le);
	free(kept.slots);
	free(to_view);
	free(vp);
	return 0;

fail_ca:
	free(ca);
fail:
	if (rc == ALTOD_ENOMEM)
		diag_add(d, spec->file, spec->line, spec->col, "view '%s': out of memory", spec->id);
	free(le);
	free(kept.slots);
	free(to_view);
	if (vp)
		for (size_t i = 0; i <= spec->npids; i++)
			free(vp[i].name);
	free(vp);
	topo_netmap_clear(out);
	return rc;
}

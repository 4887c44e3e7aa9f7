/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "topo/props.h"
#include "topo/topo.h"
#include "util/buf.h"
#include "util/err.h"

void topo_free(struct topo *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->nnetmaps; i++)
		topo_netmap_clear(&t->netmaps[i]);
	free(t->netmaps);
	free(t);
}

void topo_metric_clear(struct topo_metric *m)
{
	free(m->name);
	free(m->row);
	free(m->col);
	free(m->val);
	free(m->rank);
	free(m->vtext);
	free(m->voff);
	free(m->params);
	memset(m, 0, sizeof(*m));
}

void topo_netmap_clear(struct topo_netmap *nm)
{
	free(nm->id);
	free(nm->def_file);
	if (nm->pids) {
		for (uint32_t k = 0; k < nm->npids; k++) {
			free(nm->pids[k].name);
			free(nm->pids[k].prefixes);
		}
	}
	free(nm->pids);
	lpm_free(&nm->lpm[0]);
	lpm_free(&nm->lpm[1]);
	for (uint32_t k = 0; k < nm->nmetrics; k++)
		topo_metric_clear(&nm->metrics[k]);
	free(nm->metrics);
	topo_props_free(nm->props);
	free(nm->qnames);
	free(nm->qoff);
	memset(nm, 0, sizeof(*nm));
}

const struct topo_netmap *topo_netmap_find(const struct topo *t, const char *id)
{
	uint32_t lo = 0, hi = t->nnetmaps;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, t->netmaps[mid].id);
		if (c == 0)
			return &t->netmaps[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

uint32_t topo_pid_find(const struct topo_netmap *nm, const char *name)
{
	uint32_t lo = 0, hi = nm->npids;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, nm->pids[mid].name);
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return TOPO_NONE;
}

const struct topo_metric *topo_metric_find(const struct topo_netmap *nm, const char *name)
{
	for (uint32_t i = 0; i < nm->nmetrics; i++)
		if (strcmp(nm->metrics[i].name, name) == 0)
			return &nm->metrics[i];
	return NULL;
}

uint32_t topo_lookup(const struct topo_netmap *nm, enum ip_family family, const uint8_t addr[16])
{
	uint32_t v = lpm_lookup(&nm->lpm[family == IP_V4 ? 0 : 1], addr);
	return v == LPM_NONE ? TOPO_NONE : v;
}

uint32_t topo_cost_find(const struct topo_metric *m, uint32_t src, uint32_t dst)
{
	uint32_t lo = m->row[src], hi = m->row[src + 1];
	/* dense rows (every destination, or all but the source itself) are
	 * the usual case: probe where dst sits in them first */
	if (hi - lo >= dst + 1 && m->col[lo + dst] == dst)
		return lo + dst;
	if (dst > 0 && hi - lo >= dst && m->col[lo + dst - 1] == dst)
		return lo + dst - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (m->col[mid] == dst)
			return mid;
		if (m->col[mid] < dst)
			lo = mid + 1;
		else
			hi = mid;
	}
	return TOPO_NONE;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Ordinal mode (RFC 7285 §6.1.2.2): 1 = best, equal costs share a rank,
 * ranks are dense (1, 2, 3, ...). */
int topo_rank(const double *vals, size_t n, bool higher_is_better, uint32_t *ranks)
{
	double *d = malloc((n ? n : 1) * sizeof(double));
	if (d == NULL)
		return ALTOD_ENOMEM;
	memcpy(d, vals, n * sizeof(double));
	qsort(d, n, sizeof(double), dbl_cmp);
	size_t nd = 0;
	for (size_t i = 0; i < n; i++)
		if (nd == 0 || d[nd - 1] != d[i])
			d[nd++] = d[i];
	for (size_t i = 0; i < n; i++) {
		const double *hit = bsearch(&vals[i], d, nd, sizeof(double), dbl_cmp);
		size_t pos = (size_t)(hit - d);
		ranks[i] = (uint32_t)(higher_is_better ? nd - pos : pos + 1);
	}
	free(d);
	return 0;
}

/* r holds each pair's rank in the whole metric, which orders the costs as
 * their values do, ties included: so their dense ranks among these pairs
 * are those ranks made dense again, from an LSD radix sort of (rank, pair)
 * on the rank, without comparing a value. */
int topo_rerank(uint32_t *r, size_t n)
{
	if (n > UINT32_MAX)
		return ALTOD_ENOMEM; /* pair indexes are 32 bits (request limits keep n far below) */
	size_t k = 0;                /* pairs with a cost: only those are sorted */
	for (size_t j = 0; j < n; j++)
		k += r[j] != 0;
	uint64_t *a = malloc((k ? k : 1) * sizeof(uint64_t));
	uint64_t *t = malloc((k ? k : 1) * sizeof(uint64_t));
	if (a == NULL || t == NULL) {
		free(a);
		free(t);
		return ALTOD_ENOMEM;
	}
	k = 0;
	uint32_t max = 0;
	for (size_t j = 0; j < n; j++) {
		if (r[j] == 0)
			continue;
		a[k++] = (uint64_t)r[j] << 32 | (uint64_t)j;
		if (r[j] > max)
			max = r[j];
	}
	/* LSD radix sort on the rank's bytes, as many as max has */
	for (unsigned shift = 32; shift < 64 && (max >> (shift - 32)) != 0; shift += 8) {
		size_t pos[256] = {0};
		for (size_t i = 0; i < k; i++)
			pos[(a[i] >> shift) & 255]++;
		for (size_t v = 0, sum = 0; v < 256; v++) {
			size_t cnt = pos[v];
			pos[v] = sum;
			sum += cnt;
		}
		for (size_t i = 0; i < k; i++)
			t[pos[(a[i] >> shift) & 255]++] = a[i];
		uint64_t *x = a;
		a = t;
		t = x;
	}
	uint32_t dense = 0, last = 0; /* ranks start at 1 */
	for (size_t i = 0; i < k; i++) {
		uint32_t g = (uint32_t)(a[i] >> 32);
		if (g != last) {
			dense++;
			last = g;
		}
		r[(uint32_t)a[i]] = dense;
	}
	free(a);
	free(t);
	return 0;
}

int topo_metric_texts(struct topo_metric *m)
{
	/* one value per rank: ranks are dense, 1..nd */
	size_t nd = 0;
	for (size_t e = 0; e < m->nentries; e++)
		if (m->rank[e] > nd)
			nd = m->rank[e];
	double *v = malloc((nd ? nd : 1) * sizeof(double));
	size_t *off = malloc((nd + 1) * sizeof(size_t));
	struct buf b;
	buf_init(&b);
	if (v == NULL || off == NULL)
		goto fail;
	for (size_t e = 0; e < m->nentries; e++)
		v[m->rank[e] - 1] = m->val[e];
	for (size_t r = 0; r < nd; r++) {
		off[r] = b.len;
		jw_num(&b, v[r]);
	}
	off[nd] = b.len;
	size_t len;
	char *text = buf_finish(&b, &len);
	if (text == NULL)
		goto fail;
	free(v);
	m->vtext = text;
	m->voff = off;
	return 0;
fail:
	buf_free(&b);
	free(v);
	free(off);
	return ALTOD_ENOMEM;
}

int topo_netmap_quote_names(struct topo_netmap *nm)
{
	size_t *off = malloc(((size_t)nm->npids + 1) * sizeof(size_t));
	struct buf b;
	buf_init(&b);
	if (off == NULL)
		return ALTOD_ENOMEM;
	for (uint32_t i = 0; i < nm->npids; i++) {
		off[i] = b.len;
		jw_str(&b, nm->pids[i].name);
	}
	off[nm->npids] = b.len;
	size_t len;
	char *text = buf_finish(&b, &len);
	if (text == NULL) {
		free(off);
		return ALTOD_ENOMEM;
	}
	nm->qnames = text;
	nm->qoff = off;
	return 0;
}

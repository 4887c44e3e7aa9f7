/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/err.h"
#include "topo/lpm.h"

/* 2^22 buckets (32 MiB) at most: about 8M intervals before buckets fill */
#define LPM_MAX_BUCKETS ((size_t)1 << 22)

static lpm_key key_of(enum ip_family f, const uint8_t addr[16])
{
	lpm_key k = 0;
	size_t n = f == IP_V4 ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		k = (k << 8) | addr[i];
	return k;
}

static lpm_key key_max(enum ip_family f)
{
	return f == IP_V4 ? (lpm_key)UINT32_MAX : ~(lpm_key)0;
}

struct item {
	lpm_key start;
	lpm_key end;
	uint8_t len;
	uint32_t value;
};

static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->len > b->len) - (a->len < b->len);
}

struct out {
	lpm_key *start;
	uint32_t *value;
	size_t n;
};

static void emit(struct out *o, lpm_key start, uint32_t value)
{
	if (o->n > 0 && o->start[o->n - 1] == start) {
		/* same start: the longer (later) prefix wins */
		o->value[o->n - 1] = value;
		if (o->n > 1 && o->value[o->n - 2] == value)
			o->n--;
		return;
	}
	if (o->n > 0 && o->value[o->n - 1] == value)
		return; /* extends the previous interval */
	o->start[o->n] = start;
	o->value[o->n] = value;
	o->n++;
}

/* Tables of 2 MiB and more go in their own mapping with transparent huge
 * pages asked for: lookups land at random in tens of MB, and with 4 KiB
 * pages nearly every one would also miss the TLB (a page walk costs about
 * as much as the cache miss itself). Smaller tables use malloc. */
#define LPM_HUGE ((size_t)2 << 20)

void *lpm_table_alloc(size_t size)
{
	if (size < LPM_HUGE)
		return malloc(size ? size : 1);
	size_t len = (size + LPM_HUGE - 1) & ~(LPM_HUGE - 1);
	/* 2 MiB more, then trimmed to a 2 MiB-aligned start: huge pages back
	 * only aligned 2 MiB ranges */
	char *raw = mmap(NULL, len + LPM_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	char *p = (char *)(((uintptr_t)raw + LPM_HUGE - 1) & ~(uintptr_t)(LPM_HUGE - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	if (raw + len + LPM_HUGE > p + len)
		munmap(p + len, (size_t)(raw + len + LPM_HUGE - (p + len)));
#ifdef MADV_HUGEPAGE
	(void)madvise(p, len, MADV_HUGEPAGE); /* a hint: without THP it is 4 KiB pages */
#endif
	return p;
}

void lpm_table_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (size < LPM_HUGE)
		free(p);
	else
		munmap(p, (size + LPM_HUGE - 1) & ~(LPM_HUGE - 1));
}

/* The index spans [start[1], start[n-1]] in buckets of 2^shift
 * keys. Bucket b's keys are base + (b << shift) + [0, 2^shift); offsets
 * are computed from base so that nothing overflows near the top of the
 * IPv6 space (an offset past the last start means "interval n - 1"). */
static int build_index(struct lpm *lpm, const lpm_key *start)
{
	size_t n = lpm->n;
	if (n < 2)
		return 0;
	/* about one bucket per interval. IPv6 used to get two, but its long
	 * prefixes cluster in a few buckets whatever their number (the mean
	 * span a lookup scans went only from 10.5 to 10.0 records), and the
	 * records of a bucket are asked for at once (prefetch_records): the
	 * second half of the index cost 17 bytes per prefix for nothing
	 * measurable. Half as many for IPv4 would save 8 bytes per prefix
	 * but scans more and measured slower. */
	size_t want = n, nb = 2;
	while (nb < want && nb < LPM_MAX_BUCKETS)
		nb <<= 1;
	lpm_key range = start[n - 1] - start[1];
	unsigned shift = 0;
	while ((range >> shift) >= nb)
		shift++;
	lpm->index = lpm_table_alloc((nb + 1) * sizeof(*lpm->index));
	if (lpm->index == NULL)
		return ALTOD_ENOMEM;
	lpm->nbuckets = nb;
	lpm->base = start[1];
	lpm->shift = shift;
	size_t j = 0;
	for (size_t b = 0; b < nb; b++) {
		lpm_key off = (lpm_key)b << shift;
		lpm_key last = off + (((lpm_key)1 << shift) - 1);
		if (off > range) {
			j = n - 1;
		} else {
			while (j + 1 < n && start[j + 1] - lpm->base <= off)
				j++;
		}
		/* single: no interval starts within the bucket after its first
		 * key. nb << shift <= 2^128, so `last` does not wrap. */
		int single = j + 1 == n || start[j + 1] - lpm->base > last;
		lpm->index[b] = (struct lpm_bucket){(uint32_t)j, single ? lpm_value(lpm, j) : LPM_BUCKET_MIXED};
	}
	lpm->index[nb] = (struct lpm_bucket){(uint32_t)(n - 1), LPM_BUCKET_MIXED};
	return 0;
}

/* An IPv6 record's start is kept as two 64-bit halves in 32-bit words
 * (the record is 20 bytes, not 24 with a uint64_t's alignment) and read
 * with memcpy, one unaligned load each on the machines that allow it. */
static void rec6_set(struct lpm_rec6 *r, lpm_key start, uint32_t value)
{
	uint64_t hi = (uint64_t)(start >> 64), lo = (uint64_t)start;
	memcpy(&r->start[0], &hi, sizeof(hi));
	memcpy(&r->start[2], &lo, sizeof(lo));
	r->value = value;
}

static uint64_t rec6_hi(const struct lpm_rec6 *r)
{
	uint64_t x;
	memcpy(&x, &r->start[0], sizeof(x));
	return x;
}

static uint64_t rec6_lo(const struct lpm_rec6 *r)
{
	uint64_t x;
	memcpy(&x, &r->start[2], sizeof(x));
	return x;
}

int lpm_build(struct lpm *lpm, enum ip_family family, const struct lpm_entry *entries, size_t n)
{
	unsigned bits = family == IP_V4 ? 32 : 128;
	size_t m = 0;

	memset(lpm, 0, sizeof(*lpm));
	lpm->family = family;
	struct item *items = malloc((n ? n : 1) * sizeof(*items));
	struct item *stack = malloc((n ? n : 1) * sizeof(*stack));
	struct out o = {
	        .start = malloc((2 * n + 1) * sizeof(lpm_key)),
	        .value = malloc((2 * n + 1) * sizeof(uint32_t)),
	};
	if (!items || !stack || !o.start || !o.value)
		goto nomem;

	for (size_t i = 0; i < n; i++) {
		const struct lpm_entry *e = &entries[i];
		if (e->prefix.family != family)
			continue;
		lpm_key start = key_of(family, e->prefix.addr);
		lpm_key span = e->prefix.len == 0 ? key_max(family) : ((lpm_key)1 << (bits - e->prefix.len)) - 1;
		items[m++] = (struct item){start, start + span, e->prefix.len, e->value};
	}
	qsort(items, m, sizeof(*items), item_cmp);

	/* Sweep: prefixes are laminar (nested or disjoint); a stack holds the
	 * ones that contain the current position. */
	size_t sp = 0;
	emit(&o, 0, LPM_NONE);
	for (size_t i = 0; i < m; i++) {
		while (sp > 0 && stack[sp - 1].end < items[i].start) {
			lpm_key after = stack[sp - 1].end + 1;
			sp--;
			emit(&o, after, sp > 0 ? stack[sp - 1].value : LPM_NONE);
		}
		emit(&o, items[i].start, items[i].value);
		stack[sp++] = items[i];
	}
	while (sp > 0) {
		lpm_key end = stack[sp - 1].end;
		sp--;
		if (end != key_max(family))
			emit(&o, end + 1, sp > 0 ? stack[sp - 1].value : LPM_NONE);
	}
	free(items);
	free(stack);
	items = stack = NULL;

	lpm->n = o.n;
	if (family == IP_V4) {
		lpm->rec4 = lpm_table_alloc(o.n * sizeof(*lpm->rec4));
		if (lpm->rec4 == NULL)
			goto nomem;
		for (size_t i = 0; i < o.n; i++)
			lpm->rec4[i] = (struct lpm_rec4){(uint32_t)o.start[i], o.value[i]};
	} else {
		lpm->rec6 = lpm_table_alloc(o.n * sizeof(*lpm->rec6));
		if (lpm->rec6 == NULL)
			goto nomem;
		for (size_t i = 0; i < o.n; i++)
			rec6_set(&lpm->rec6[i], o.start[i], o.value[i]);
	}
	if (build_index(lpm, o.start) != 0)
		goto nomem;
	free(o.start);
	free(o.value);
	return 0;

nomem:
	free(items);
	free(stack);
	free(o.start);
	free(o.value);
	lpm_free(lpm);
	return ALTOD_ENOMEM;
}

void lpm_free(struct lpm *lpm)
{
	lpm_table_free(lpm->rec4, lpm->n * sizeof(*lpm->rec4));
	lpm_table_free(lpm->rec6, lpm->n * sizeof(*lpm->rec6));
	lpm_table_free(lpm->index, lpm->index ? (lpm->nbuckets + 1) * sizeof(*lpm->index) : 0);
	memset(lpm, 0, sizeof(*lpm));
}

lpm_key lpm_start(const struct lpm *lpm, size_t i)
{
	if (lpm->family == IP_V4)
		return lpm->rec4[i].start;
	return (lpm_key)rec6_hi(&lpm->rec6[i]) << 64 | rec6_lo(&lpm->rec6[i]);
}

uint32_t lpm_value(const struct lpm *lpm, size_t i)
{
	return lpm->family == IP_V4 ? lpm->rec4[i].value : lpm->rec6[i].value;
}

lpm_key lpm_key_of(const struct lpm *lpm, const uint8_t addr[16])
{
	return key_of(lpm->family, addr);
}

size_t lpm_bucket_of(const struct lpm *lpm, lpm_key k)
{
	if (lpm->n < 2 || k < lpm->base)
		return SIZE_MAX;
	lpm_key b = (k - lpm->base) >> lpm->shift;
	return b < lpm->nbuckets ? (size_t)b : SIZE_MAX;
}

/* Last interval in [lo, hi] whose start is <= k (start[lo] <= k holds).
 * Buckets hold about two intervals: scan short runs, bisect long ones. */
static size_t search4(const struct lpm_rec4 *r, size_t lo, size_t hi, uint32_t k)
{
	while (hi - lo > 8) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (r[mid].start <= k)
			lo = mid;
		else
			hi = mid - 1;
	}
	while (lo < hi && r[lo + 1].start <= k)
		lo++;
	return lo;
}

static int le6(const struct lpm_rec6 *r, uint64_t hi, uint64_t lo)
{
	uint64_t rhi = rec6_hi(r);
	return rhi < hi || (rhi == hi && rec6_lo(r) <= lo);
}

static size_t search6(const struct lpm_rec6 *r, size_t lo, size_t hi, uint64_t khi, uint64_t klo)
{
	while (hi - lo > 4) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (le6(&r[mid], khi, klo))
			lo = mid;
		else
			hi = mid - 1;
	}
	while (lo < hi && le6(&r[lo + 1], khi, klo))
		lo++;
	return lo;
}

/* Asks for the cache lines of records [lo, hi] at once, up to LPM_AHEAD
 * bytes: a bucket's records span a few lines, and the search below would
 * otherwise wait for each of them in turn (a bisection step's line is known
 * only after the previous step). Issued together, the misses overlap: the
 * lookup costs the index entry's miss plus about one more. */
#define LPM_AHEAD 512

static void prefetch_records(const void *first, const void *last)
{
	uintptr_t p = (uintptr_t)first & ~(uintptr_t)63, end = (uintptr_t)last;
	if (end - p >= LPM_AHEAD)
		end = p + LPM_AHEAD - 1;
	for (; p <= end; p += 64)
		__builtin_prefetch((const void *)p);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

uint32_t lpm_lookup(const struct lpm *lpm, const uint8_t addr[16])
{
	if (lpm->n < 2)
		return lpm->n == 0 ? LPM_NONE : lpm_value(lpm, 0);
	const struct lpm_bucket *x;
	if (lpm->family == IP_V4) {
		uint32_t k = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
		uint32_t base = (uint32_t)lpm->base;
		if (k < base)
			return lpm->rec4[0].value;
		uint32_t b = (k - base) >> lpm->shift;
		if (b >= lpm->nbuckets)
			return lpm->rec4[lpm->n - 1].value;
		x = &lpm->index[b];
		if (x->value != LPM_BUCKET_MIXED)
			return x->value;
		uint32_t lo = x->first, hi = x[1].first;
		/* no prefetch_records: IPv4 buckets hold 4.6 records (37
		 * bytes), mostly one line, and asking for it measured slower
		 * (0.44-0.48x one miss against 0.39x) */
		return lpm->rec4[search4(lpm->rec4, lo, hi, k)].value;
	}
	uint64_t khi = be64(addr), klo = be64(addr + 8);
	lpm_key k = (lpm_key)khi << 64 | klo;
	if (k < lpm->base)
		return lpm->rec6[0].value;
	lpm_key b = (k - lpm->base) >> lpm->shift;
	if (b >= lpm->nbuckets)
		return lpm->rec6[lpm->n - 1].value;
	x = &lpm->index[(size_t)b];
	if (x->value != LPM_BUCKET_MIXED)
		return x->value;
	uint32_t lo = x->first, hi = x[1].first;
	prefetch_records(&lpm->rec6[lo], &lpm->rec6[hi]);
	return lpm->rec6[search6(lpm->rec6, lo, hi, khi, klo)].value;
}

size_t lpm_memory(const struct lpm *lpm)
{
	size_t per = lpm->family == IP_V4 ? sizeof(struct lpm_rec4) : sizeof(struct lpm_rec6);
	return lpm->n * per + (lpm->index ? (lpm->nbuckets + 1) * sizeof(struct lpm_bucket) : 0);
}

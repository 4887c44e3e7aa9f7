/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "altod/err.h"
#include "altod/lpm.h"

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
	lpm->index = malloc(((1u << LPM_INDEX_BITS) + 1) * sizeof(uint32_t));
	if (!items || !stack || !o.start || !o.value || !lpm->index)
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
	lpm->value = realloc(o.value, o.n * sizeof(uint32_t));
	if (lpm->value == NULL)
		lpm->value = o.value;
	o.value = NULL;
	if (family == IP_V4) {
		lpm->start4 = malloc(o.n * sizeof(uint32_t));
		if (lpm->start4 == NULL)
			goto nomem;
		for (size_t i = 0; i < o.n; i++)
			lpm->start4[i] = (uint32_t)o.start[i];
		free(o.start);
	} else {
		lpm->start6 = realloc(o.start, o.n * sizeof(lpm_key));
		if (lpm->start6 == NULL)
			lpm->start6 = o.start;
	}
	o.start = NULL;

	/* index[b] = last interval starting at or before bucket b's first key */
	unsigned shift = bits - LPM_INDEX_BITS;
	size_t j = 0;
	for (uint32_t b = 0; b < (1u << LPM_INDEX_BITS); b++) {
		lpm_key first = (lpm_key)b << shift;
		while (j + 1 < o.n) {
			lpm_key s = family == IP_V4 ? lpm->start4[j + 1] : lpm->start6[j + 1];
			if (s > first)
				break;
			j++;
		}
		lpm->index[b] = (uint32_t)j;
	}
	lpm->index[1u << LPM_INDEX_BITS] = (uint32_t)(o.n - 1);
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
	free(lpm->start4);
	free(lpm->start6);
	free(lpm->value);
	free(lpm->index);
	memset(lpm, 0, sizeof(*lpm));
}

uint32_t lpm_lookup(const struct lpm *lpm, const uint8_t addr[16])
{
	if (lpm->n == 0)
		return LPM_NONE;
	size_t lo, hi;
	if (lpm->family == IP_V4) {
		uint32_t k = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
		lo = lpm->index[k >> 16];
		hi = lpm->index[(k >> 16) + 1];
		/* invariant: start4[lo] <= k; find the last such index */
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;
			if (lpm->start4[mid] <= k)
				lo = mid;
			else
				hi = mid - 1;
		}
	} else {
		lpm_key k = key_of(IP_V6, addr);
		uint32_t b = (uint32_t)(k >> (128 - LPM_INDEX_BITS));
		lo = lpm->index[b];
		hi = lpm->index[b + 1];
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;
			if (lpm->start6[mid] <= k)
				lo = mid;
			else
				hi = mid - 1;
		}
	}
	return lpm->value[lo];
}

size_t lpm_memory(const struct lpm *lpm)
{
	/* cppcheck-suppress duplicateValueTernary ; it does not size __int128 */
	size_t per = lpm->family == IP_V4 ? sizeof(uint32_t) : sizeof(lpm_key);
	return lpm->n * (per + sizeof(uint32_t)) + (((size_t)1 << LPM_INDEX_BITS) + 1) * sizeof(uint32_t);
}

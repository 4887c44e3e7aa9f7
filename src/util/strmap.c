/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"
#include "util/err.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	strmap_init(m);
}

static size_t probe(char *const *keys, size_t cap, const char *key)
{
	size_t i = (size_t)hash(key) & (cap - 1);
	while (keys[i] != NULL && strcmp(keys[i], key) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	char **keys = calloc(cap, sizeof(char *));
	uint32_t *vals = calloc(cap, sizeof(uint32_t));
	if (keys == NULL || vals == NULL) {
		free(keys);
		free(vals);
		return ALTOD_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		size_t j = probe(keys, cap, m->keys[i]);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

uint32_t strmap_intern(struct strmap *m, const char *key, uint32_t val)
{
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m) != 0)
		return UINT32_MAX;
	size_t i = probe(m->keys, m->cap, key);
	if (m->keys[i] != NULL)
		return m->vals[i];
	m->keys[i] = strdup(key);
	if (m->keys[i] == NULL)
		return UINT32_MAX;
	m->vals[i] = val;
	m->n++;
	return val;
}

uint32_t strmap_get(const struct strmap *m, const char *key)
{
	if (m->cap == 0)
		return UINT32_MAX;
	size_t i = probe(m->keys, m->cap, key);
	return m->keys[i] ? m->vals[i] : UINT32_MAX;
}

/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "server/owners.h"
#include "util/vec.h"

static struct owner *find(const struct owners *o, const char *identity)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->v[i].identity, identity) == 0)
			return &o->v[i];
	return NULL;
}

unsigned owners_count(const struct owners *o, const char *identity)
{
	const struct owner *w = find(o, identity);
	return w ? w->count : 0;
}

const char *owners_take(struct owners *o, const char *identity)
{
	struct owner *w = find(o, identity);
	if (w == NULL) {
		if (!VEC_PUSH(o->v, o->n, o->cap))
			return NULL;
		w = &o->v[o->n];
		w->identity = strdup(identity);
		w->count = 0;
		if (w->identity == NULL)
			return NULL;
		o->n++;
	}
	w->count++;
	return w->identity;
}

void owners_release(struct owners *o, const char *identity)
{
	struct owner *w = find(o, identity);
	if (w == NULL || --w->count > 0)
		return;
	free(w->identity);
	*w = o->v[--o->n];
}

void owners_free(struct owners *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].identity);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

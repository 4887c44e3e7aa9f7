/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Who holds how many: the per-client limits of TIPS views
 * (updates.tips-views-per-client) and update streams
 * (updates.streams-per-client) count what each identity holds. One entry
 * per identity holding anything, with its own copy of the identity, which
 * the things it holds may point to until the last is released. Not
 * locked: the holder's lock guards it.
 */
#ifndef ALTOD_OWNERS_H
#define ALTOD_OWNERS_H

#include <stddef.h>

struct owner {
	char *identity;
	unsigned count;
};

struct owners {
	struct owner *v;
	size_t n, cap;
};

/* How many identity holds (0: none). */
unsigned owners_count(const struct owners *o, const char *identity);
/* identity holds one more: its stored copy, valid until its last one is
 * released; NULL (out of memory): nothing counted. */
const char *owners_take(struct owners *o, const char *identity);
/* identity holds one fewer (it must hold one). */
void owners_release(struct owners *o, const char *identity);
void owners_free(struct owners *o);

#endif

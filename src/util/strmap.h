/* SPDX-License-Identifier: BSD-2-Clause */
/* An open-addressing hash map from strings to uint32_t ids (load-time use). */
#ifndef ALTOD_STRMAP_H
#define ALTOD_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap {
	char **keys; /* owned copies; NULL = empty slot */
	uint32_t *vals;
	size_t cap; /* power of two */
	size_t n;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m);
/* Returns the id stored for key, or stores `val` for it and returns val.
 * Returns UINT32_MAX on allocation failure. */
uint32_t strmap_intern(struct strmap *m, const char *key, uint32_t val);
/* UINT32_MAX if absent. */
uint32_t strmap_get(const struct strmap *m, const char *key);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* The representations of GET resources, prepared at load: rendered
 * bodies, their gzip copies and their ETags. */
#ifndef ALTOD_ALTO_REPRESENTATION_H
#define ALTOD_ALTO_REPRESENTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alto/catalog.h"

/* Renders (network and cost maps whose body is NULL), precompresses and
 * derives the ETags (a hash of the bytes, so every replica gives the same)
 * of n GET resources, on every CPU. 0, or ALTOD_ENOMEM. */
int representations_build(struct resource *const *rs, size_t n);
/* The same for one resource whose body is rendered. */
int representation_finish(struct resource *r);
/* The strong ETag of these bytes, as the resources' ("..." with a suffix),
 * into out (at least 28 bytes). */
void representation_etag(const char *data, size_t len, const char *suffix, char *out, size_t outlen);
/* One gzip member of data, deflated in chunks of `chunk` bytes in
 * parallel (tests; NULL out of memory). */
char *representation_gzip(const char *data, size_t len, size_t chunk, size_t *out_len);

#endif

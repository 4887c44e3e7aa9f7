/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A per-thread bump arena for the JSON of one POST request.
 *
 * jansson allocates a block for every value, string and hash table of a
 * request body and frees each again: for a 100-endpoint body that is a few
 * hundred malloc/free pairs, a tenth of the request's time. Between
 * arena_begin() and arena_end() on a thread, jansson's allocations on that
 * thread are carved from blocks the thread keeps, its frees are no-ops, and
 * arena_end() takes everything back at once.
 *
 * Rules: every jansson value created in the scope is released (or
 * abandoned) before arena_end(); nothing from it is kept past the scope.
 * Outside a scope, and on other threads, jansson uses malloc and free as
 * usual. A free of arena memory is recognised by address at any time.
 * Under AddressSanitizer the arena is off, so ASan sees every allocation.
 */
#ifndef ALTOD_ARENA_H
#define ALTOD_ARENA_H

#include <stddef.h>

/* Installs the allocator into jansson (once, before any thread starts). */
void arena_install(void);
void arena_begin(void);
void arena_end(void);
/* Bytes currently carved on this thread (tests). */
size_t arena_used(void);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "alto/arena.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_OFF 1
#endif
#endif

#define ARENA_BLOCK ((size_t)64 << 10) /* kept per thread between requests */
#define ARENA_ALIGN 16

struct block {
	struct block *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct block *first; /* the kept block; more are chained in front */
	struct block *cur;
	bool active;
	size_t carved;
};

/* One arena per thread, never shared: a thread reaches only its own (the
 * allocator hooks jansson calls have no context argument to carry one).
 * What is process-wide is only the key below, created once. */
static _Thread_local struct arena tls_arena;

static struct block *block_new(size_t size)
{
	struct block *b = malloc(sizeof(*b) + size);
	if (b) {
		b->next = NULL;
		b->size = size;
		b->used = 0;
	}
	return b;
}

static bool owns(const struct arena *a, const void *p)
{
	for (const struct block *b = a->cur; b; b = b->next)
		if ((const unsigned char *)p >= b->data && (const unsigned char *)p < b->data + b->size)
			return true;
	return false;
}

/* Frees a thread's blocks when the thread exits (MHD worker threads at
 * stop), so that nothing is left unreachable. The key is created once
 * (pthread_once) and then only read; each thread's value is its own. */
static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

static void arena_release(void *arg)
{
	struct arena *a = arg;
	struct block *b = a->cur ? a->cur : a->first;
	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	a->first = a->cur = NULL;
}

static void arena_key_init(void)
{
	(void)pthread_key_create(&arena_key, arena_release);
}

static void *arena_malloc(size_t size)
{
	struct arena *a = &tls_arena;
	if (!a->active)
		return malloc(size);
	/* malloc(0) too gets a block of its own, inside the arena */
	size = size ? (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1) : ARENA_ALIGN;
	if (size == 0)
		return NULL; /* overflow */
	if (a->first == NULL) {
		a->first = a->cur = block_new(ARENA_BLOCK);
		if (a->first == NULL)
			return NULL;
		pthread_once(&arena_once, arena_key_init);
		(void)pthread_setspecific(arena_key, a);
	}
	struct block *b = a->cur;
	if (b->size - b->used < size) {
		/* chained in front of the current block, freed at arena_end() */
		size_t want = b->size * 2 > size ? b->size * 2 : size;
		b = block_new(want);
		if (b == NULL)
			return NULL;
		b->next = a->cur;
		a->cur = b;
	}
	void *p = b->data + b->used;
	b->used += size;
	a->carved += size;
	return p;
}

static void arena_free(void *p)
{
	if (p == NULL)
		return;
	struct arena *a = &tls_arena;
	if (a->cur && owns(a, p))
		return; /* taken back at arena_end() */
	free(p);
}

void arena_install(void)
{
#ifndef ARENA_OFF
	json_set_alloc_funcs(arena_malloc, arena_free);
#else
	(void)arena_malloc; /* ASan sees jansson's allocations one by one */
	(void)arena_free;
#endif
}

void arena_begin(void)
{
	struct arena *a = &tls_arena;
	a->active = true;
	if (a->cur == NULL)
		a->cur = a->first;
}

void arena_end(void)
{
	struct arena *a = &tls_arena;
	a->active = false;
	/* blocks beyond the first served one large request: give them back */
	while (a->cur && a->cur != a->first) {
		struct block *next = a->cur->next;
		free(a->cur);
		a->cur = next;
	}
	if (a->first)
		a->first->used = 0;
	a->carved = 0;
}

size_t arena_used(void)
{
	return tls_arena.carved;
}

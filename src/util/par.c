/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "util/par.h"

#define PAR_MAX 16

struct job {
	void (*fn)(void *ctx, size_t i);
	void *ctx;
	size_t n;
	atomic_size_t next;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->n)
			return NULL;
		j->fn(j->ctx, i);
	}
}

unsigned par_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > PAR_MAX ? PAR_MAX : (unsigned)n;
}

void par_for(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
	struct job j = {.fn = fn, .ctx = ctx, .n = n};
	pthread_t t[PAR_MAX];
	size_t started = 0, want = par_threads();

	atomic_init(&j.next, 0);
	if (want > n)
		want = n;
	/* a thread that cannot be created leaves its share to the others */
	for (size_t k = 1; k < want; k++)
		if (pthread_create(&t[started], NULL, worker, &j) == 0)
			started++;
	worker(&j);
	for (size_t k = 0; k < started; k++)
		pthread_join(t[k], NULL);
}

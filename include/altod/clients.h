/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-client state that outlives reloads: the token bucket of the request
 * rate limit, the open connections, and the counters the operator reads
 * (SIGUSR1 logs them; tenants never see them).
 */
#ifndef ALTOD_CLIENTS_H
#define ALTOD_CLIENTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "altod/strmap.h"

struct client_state {
	char *name;
	pthread_mutex_t lock;
	double tokens;
	double last;    /* monotonic seconds of the last refill */
	unsigned conns; /* open connections identified as this client */
	uint64_t requests, ok, client_errors, server_errors, limited, unauthorized, bytes;
};

struct client_registry {
	pthread_mutex_t lock;
	struct strmap index;
	struct client_state **v;
	size_t n, cap;
};

void clients_init(struct client_registry *r);
void clients_destroy(struct client_registry *r);
/* The state of a client name, created on first use; NULL out of memory. */
struct client_state *clients_get(struct client_registry *r, const char *name);
/* Token bucket: false (and the seconds until a token) when over the rate.
 * rate 0: unlimited. */
bool client_take(struct client_state *cs, double rate, double burst, double *retry_after);
void client_count(struct client_state *cs, unsigned status, uint64_t bytes);
void clients_log(struct client_registry *r);

#endif

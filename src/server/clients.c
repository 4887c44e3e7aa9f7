/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "altod/clients.h"
#include "altod/log.h"
#include "altod/vec.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void clients_init(struct client_registry *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	strmap_init(&r->index);
}

void clients_destroy(struct client_registry *r)
{
	for (size_t i = 0; i < r->n; i++) {
		pthread_mutex_destroy(&r->v[i]->lock);
		free(r->v[i]->name);
		free(r->v[i]);
	}
	free(r->v);
	strmap_free(&r->index);
	pthread_mutex_destroy(&r->lock);
}

struct client_state *clients_get(struct client_registry *r, const char *name)
{
	struct client_state *cs = NULL;

	pthread_mutex_lock(&r->lock);
	uint32_t i = strmap_get(&r->index, name);
	if (i != UINT32_MAX) {
		cs = r->v[i];
	} else if (VEC_PUSH(r->v, r->n, r->cap) && (cs = calloc(1, sizeof(*cs))) && (cs->name = strdup(name)) &&
	           strmap_intern(&r->index, name, (uint32_t)r->n) == r->n) {
		pthread_mutex_init(&cs->lock, NULL);
		cs->tokens = -1; /* full on first use */
		r->v[r->n++] = cs;
	} else if (cs) {
		free(cs->name);
		free(cs);
		cs = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	return cs;
}

bool client_take(struct client_state *cs, double rate, double burst, double *retry_after)
{
	if (rate <= 0)
		return true;
	if (burst < 1)
		burst = rate < 1 ? 1 : rate;
	double t = now();
	bool ok;
	pthread_mutex_lock(&cs->lock);
	if (cs->tokens < 0)
		cs->tokens = burst;
	else
		cs->tokens += (t - cs->last) * rate;
	if (cs->tokens > burst)
		cs->tokens = burst;
	cs->last = t;
	ok = cs->tokens >= 1;
	if (ok)
		cs->tokens -= 1;
	else
		*retry_after = (1 - cs->tokens) / rate;
	pthread_mutex_unlock(&cs->lock);
	return ok;
}

void client_count(struct client_state *cs, unsigned status, uint64_t bytes)
{
	pthread_mutex_lock(&cs->lock);
	cs->requests++;
	cs->bytes += bytes;
	if (status == 401)
		cs->unauthorized++;
	else if (status == 429)
		cs->limited++;
	else if (status >= 500)
		cs->server_errors++;
	else if (status >= 400)
		cs->client_errors++;
	else
		cs->ok++;
	pthread_mutex_unlock(&cs->lock);
}

void clients_log(struct client_registry *r)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++) {
		struct client_state *cs = r->v[i];
		pthread_mutex_lock(&cs->lock);
		log_notice("stats",
		           "client=%s requests=%llu ok=%llu client-errors=%llu server-errors=%llu unauthorized=%llu "
		           "rate-limited=%llu bytes=%llu connections=%u",
		           cs->name, (unsigned long long)cs->requests, (unsigned long long)cs->ok,
		           (unsigned long long)cs->client_errors, (unsigned long long)cs->server_errors,
		           (unsigned long long)cs->unauthorized, (unsigned long long)cs->limited,
		           (unsigned long long)cs->bytes, cs->conns);
		pthread_mutex_unlock(&cs->lock);
	}
	pthread_mutex_unlock(&r->lock);
}

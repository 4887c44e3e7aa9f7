/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>

#include "server/clients.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/vec.h"

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
	double t = clock_mono_s();
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

/* Converting a double out of unsigned's range (or NaN) is undefined
 * (C11 6.3.1.4): clamp first. */
unsigned retry_after_seconds(double s)
{
	if (!(s > 1)) /* NaN, negative, or under a second */
		return 1;
	if (s >= RETRY_AFTER_MAX)
		return RETRY_AFTER_MAX;
	return (unsigned)ceil(s);
}

/* ---- bounded tables of token buckets ---- */

int buckets_init(struct bucket_table *t, size_t capacity)
{
	memset(t, 0, sizeof(*t));
	size_t sets = 1;
	while (sets * BUCKET_WAYS < capacity)
		sets *= 2;
	t->e = calloc(sets * BUCKET_WAYS, sizeof(*t->e));
	if (t->e == NULL)
		return ALTOD_ENOMEM;
	t->nsets = sets;
	gnutls_rnd(GNUTLS_RND_NONCE, t->hkey, sizeof(t->hkey));
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

void buckets_destroy(struct bucket_table *t)
{
	if (t->e == NULL)
		return;
	free(t->e);
	t->e = NULL;
	pthread_mutex_destroy(&t->lock);
}

/* The key's set and its tag (never 0); hkey is fixed at init, so no lock. */
static size_t set_of(const struct bucket_table *t, const void *key, size_t len, uint64_t *tag)
{
	uint8_t mac[32];
	uint64_t h = 0, s = 0;
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, t->hkey, sizeof(t->hkey), key, len, mac);
	for (int i = 0; i < 8; i++) {
		h = h << 8 | mac[i];
		s = s << 8 | mac[8 + i];
	}
	*tag = h ? h : 1;
	return (size_t)(s & (t->nsets - 1)) * BUCKET_WAYS;
}

static double refilled(const struct bucket_entry *e, double rate, double burst, double now)
{
	double v = e->tokens + (now > e->last ? now - e->last : 0) * rate;
	return v > burst ? burst : v;
}

static double default_burst(double rate, double burst)
{
	if (burst >= 1)
		return burst;
	return rate < 1 ? 1 : rate;
}

static bool bucket_op(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double now,
                      double *retry_after, bool take)
{
	if (rate <= 0 || t->e == NULL)
		return true;
	burst = default_burst(rate, burst);
	uint64_t tag;
	size_t first = set_of(t, key, len, &tag);
	pthread_mutex_lock(&t->lock);
	struct bucket_entry *set = &t->e[first], *e = NULL;
	for (int w = 0; w < BUCKET_WAYS && !e; w++)
		if (set[w].tag == tag)
			e = &set[w];
	double tokens = e ? refilled(e, rate, burst, now) : burst;
	bool ok = tokens >= 1;
	if (!ok)
		*retry_after = (1 - tokens) / rate;
	if (ok && take) {
		if (e == NULL) {
			/* a free way, else the one with the most tokens */
			double most = -1;
			for (int w = 0; w < BUCKET_WAYS; w++) {
				double v = set[w].tag ? refilled(&set[w], rate, burst, now) : burst + 1;
				if (v > most) {
					most = v;
					e = &set[w];
				}
			}
			if (e->tag)
				t->evictions++;
			e->tag = tag;
		}
		e->tokens = tokens - 1;
		e->last = now;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

bool buckets_peek_at(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double now,
                     double *retry_after)
{
	return bucket_op(t, key, len, rate, burst, now, retry_after, false);
}

bool buckets_take_at(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double now,
                     double *retry_after)
{
	return bucket_op(t, key, len, rate, burst, now, retry_after, true);
}

bool buckets_peek(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double *retry_after)
{
	return bucket_op(t, key, len, rate, burst, clock_mono_s(), retry_after, false);
}

bool buckets_take(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double *retry_after)
{
	return bucket_op(t, key, len, rate, burst, clock_mono_s(), retry_after, true);
}

void buckets_give_at(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double now)
{
	if (rate <= 0 || t->e == NULL)
		return;
	burst = default_burst(rate, burst);
	uint64_t tag;
	size_t first = set_of(t, key, len, &tag);
	pthread_mutex_lock(&t->lock);
	for (int w = 0; w < BUCKET_WAYS; w++) {
		struct bucket_entry *e = &t->e[first + (size_t)w];
		if (e->tag == tag) {
			double v = refilled(e, rate, burst, now) + 1;
			e->tokens = v > burst ? burst : v;
			e->last = now;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void buckets_give(struct bucket_table *t, const void *key, size_t len, double rate, double burst)
{
	buckets_give_at(t, key, len, rate, burst, clock_mono_s());
}

size_t buckets_used(struct bucket_table *t)
{
	size_t n = 0;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->nsets * BUCKET_WAYS; i++)
		n += t->e[i].tag != 0;
	pthread_mutex_unlock(&t->lock);
	return n;
}

size_t throttle_addr_key(bool v6, const uint8_t addr[16], uint8_t key[THROTTLE_ADDR_KEY])
{
	key[0] = v6 ? 6 : 4;
	memcpy(key + 1, addr, v6 ? 8 : 4);
	return v6 ? 9 : 5;
}

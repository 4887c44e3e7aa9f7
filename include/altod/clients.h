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
#include <stddef.h>
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

/* The longest Retry-After altod sends: a day. */
#define RETRY_AFTER_MAX 86400
/* A wait in seconds as a Retry-After value: whole seconds rounded up, from
 * 1 to RETRY_AFTER_MAX (NaN and negatives: 1). */
unsigned retry_after_seconds(double s);

/* ---- bounded tables of token buckets ----
 *
 * Keyed by a string an attacker chooses (a claimed user name, a peer
 * address): the memory is fixed at init, whatever the keys. A key is
 * hashed with a random per-process HMAC key into one set of BUCKET_WAYS
 * entries (an attacker cannot aim at a set); only a 64-bit tag of the key
 * is kept. A new key takes the free way of its set, else evicts the way
 * whose bucket holds the MOST tokens: a full bucket says no more than an
 * absent one, and the depleted bucket of a user under attack is the last
 * to go, so cycling through fake names does not reset it.
 * The *_at variants take the monotonic time in seconds (for tests). */
#define BUCKET_WAYS 8

struct bucket_entry {
	uint64_t tag; /* 0: free */
	double tokens;
	double last; /* monotonic seconds of the last refill */
};

struct bucket_table {
	pthread_mutex_t lock;
	uint8_t hkey[32];
	size_t nsets; /* a power of two */
	struct bucket_entry *e;
	uint64_t evictions;
};

/* capacity: entries, rounded up to BUCKET_WAYS x a power of two. */
int buckets_init(struct bucket_table *t, size_t capacity);
void buckets_destroy(struct bucket_table *t);
/* Is there a token for key now? Changes nothing; an unknown key has a full
 * bucket. false: *retry_after = seconds until there is one. rate <= 0: no
 * limit. burst < 1: max(1, rate). */
bool buckets_peek(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double *retry_after);
bool buckets_peek_at(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double now,
                     double *retry_after);
/* Takes a token (creating the key's bucket, full, on first use); false
 * (nothing taken, *retry_after set) when there is none. */
bool buckets_take(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double *retry_after);
bool buckets_take_at(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double now,
                     double *retry_after);
/* Gives back a token taken (a request that turned out not to count):
 * never above the burst; an evicted or unknown key stays absent. */
void buckets_give(struct bucket_table *t, const void *key, size_t len, double rate, double burst);
void buckets_give_at(struct bucket_table *t, const void *key, size_t len, double rate, double burst, double now);
/* Entries in use (tests, stats). */
size_t buckets_used(struct bucket_table *t);

/* A peer address as a throttle key: an IPv4 address whole, an IPv6 one by
 * its /64 (one host commonly holds a whole /64; keying by /128 would give
 * it 2^64 buckets). Returns the key's length. */
#define THROTTLE_ADDR_KEY 9
size_t throttle_addr_key(bool v6, const uint8_t addr[16], uint8_t key[THROTTLE_ADDR_KEY]);

#endif

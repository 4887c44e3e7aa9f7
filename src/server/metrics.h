/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The counters behind the admin listener's /metrics, and their exposition
 * in the Prometheus text format (version 0.0.4). Free of libmicrohttpd:
 * the front end counts, the admin daemon renders.
 *
 * Cheap on the request path: no lock per request. A request's labels
 * (resource, method, status, client) become small indexes: resource and
 * client names are interned in bounded, append-only tables read without a
 * lock (the lock is taken only the first time a name is seen, and names
 * come from the configuration and the maps, never from request input);
 * the series is a slot of a fixed open-addressing table claimed with a
 * compare-and-swap; the counts are relaxed atomic adds. Label sets are
 * bounded by the configuration: an unknown URI is resource "unknown", a
 * request nobody authenticated is client "unauthenticated". Past the
 * bounds a request is still counted in the totals that have no labels, and
 * altod_metrics_series_dropped_total says so.
 *
 * The list of metrics (metrics_list) is the one the exposition renders and
 * `altod --metrics-reference` prints into docs/operations.md.
 */
#ifndef ALTOD_METRICS_H
#define ALTOD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

/* Every metric altod exposes, in exposition order. */
enum metric_id {
	M_BUILD_INFO,
	M_READY,
	M_REQUESTS,
	M_RESPONSE_BYTES,
	M_DURATION,
	M_UNAUTHORIZED,
	M_RATE_LIMITED,
	M_TLS_HANDSHAKE_FAILURES,
	M_CONNECTIONS,
	M_OPEN_CONNECTIONS,
	M_CONNECTIONS_CUT,
	M_RELOADS,
	M_LAST_RELOAD_SUCCESS,
	M_SNAPSHOT_MAPS,
	M_SNAPSHOT_PIDS,
	M_SNAPSHOT_PREFIXES,
	M_SNAPSHOT_COST_PAIRS,
	M_SNAPSHOT_RESOURCES,
	M_SNAPSHOT_BYTES,
	M_SNAPSHOT_LOAD_SECONDS,
	M_SNAPSHOTS_LIVE,
	M_SERIES_DROPPED,
	M_RESIDENT_MEMORY,
	M_START_TIME,
	M_COUNT
};

struct metric_desc {
	const char *name;
	enum metric_type type;
	const char *labels; /* "resource, method, status, client", or "" */
	const char *help;
};

extern const struct metric_desc metrics_list[M_COUNT];

/* Bounds of the label tables and of the series table */
#define METRICS_RESOURCES 1024 /* distinct resource ids; more: "other" */
#define METRICS_CLIENTS 4096   /* distinct client names; more: "other" */
#define METRICS_SERIES 16384   /* slots of the request series table (3/4 usable) */
#define METRICS_BUCKETS 14     /* latency buckets, +Inf not included */

struct metrics;

struct metrics *metrics_new(double start_time);
void metrics_free(struct metrics *m);

/* Pass as the resource of a /healthz or /readyz request (by address) */
extern const char metrics_resource_health[];

/* One answered request. resource: the resource id ("" the directory),
 * NULL when the request was not routed to a resource (unknown URI, or
 * refused before routing), metrics_resource_health for a health check; method as sent (anything unknown counts as
 * "other"); client: a configured client name, "anonymous", or anything
 * else ("-", "?") for unauthenticated; bytes: the body bytes sent. */
void metrics_request(struct metrics *m, const char *resource, const char *method, unsigned status, const char *client,
                     size_t bytes, double seconds);
/* A TLS handshake failed. */
void metrics_tls_failure(struct metrics *m);
/* A connection opened (+1) or closed (-1). */
void metrics_connection(struct metrics *m, int delta);
/* A reload ended; ok: it serves the new maps. now: wall-clock seconds. */
void metrics_reload(struct metrics *m, bool ok, double now);

/* What the exposition reads at scrape time, besides the counters. */
struct metrics_gauges {
	bool ready; /* a snapshot is serving */
	bool have_snapshot;
	uint64_t maps, pids, prefixes, cost_pairs, resources, bytes;
	double load_seconds;
	uint64_t snapshots_live;
	uint64_t cut_request, cut_response; /* connections cut off, per timeout */
	double resident_bytes;              /* < 0: unknown */
};

/* The exposition (text format 0.0.4) into out. */
void metrics_render(const struct metrics *m, const struct metrics_gauges *g, struct buf *out);

/* Appends v as a label value: '\\', '"' and newline escaped (the text
 * format's rules). */
void metrics_label_value(struct buf *out, const char *v);

/* The reference table of every metric (docs/operations.md) */
void metrics_reference(FILE *out);

/* Resident memory in bytes from a /proc/self/statm line; < 0: unreadable */
double metrics_statm_rss(const char *statm, long page_size);

#endif

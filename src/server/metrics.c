/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Counters and their Prometheus exposition (metrics.h). The text format
 * (version 0.0.4, Prometheus "Exposition formats"): "# HELP name text"
 * with '\\' and newline escaped, "# TYPE name type", then one line per
 * series, `name{label="value",...} number`, label values with '\\', '"'
 * and newline escaped; a histogram is its cumulative `_bucket{le="..."}`
 * series ending with le="+Inf", then `_sum` and `_count`.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "server/metrics.h"

const struct metric_desc metrics_list[M_COUNT] = {
        [M_BUILD_INFO] = {"altod_build_info", METRIC_GAUGE, "version", "altod's version; always 1"},
        [M_READY] = {"altod_ready", METRIC_GAUGE, "",
                     "1 while a maps snapshot is serving (what /readyz answers 200 for)"},
        [M_REQUESTS] = {"altod_http_requests_total", METRIC_COUNTER, "resource, method, status, client",
                        "requests answered on the ALTO listeners. resource: a resource id, `directory`, `health` "
                        "(/healthz, /readyz) or `unknown` (no resource: an unknown URI, or refused before routing); "
                        "method: GET, HEAD, POST, OPTIONS, PUT, DELETE, PATCH, TRACE, CONNECT or `other`; client: a "
                        "configured client name, `anonymous`, or `unauthenticated`"},
        [M_RESPONSE_BYTES] = {"altod_http_response_bytes_total", METRIC_COUNTER, "resource, method, status, client",
                              "body bytes sent in answers, as above"},
        [M_DURATION] = {"altod_http_request_duration_seconds", METRIC_HISTOGRAM, "resource",
                        "time from a request's headers read to its answer sent (into the kernel's send buffer)"},
        [M_UNAUTHORIZED] = {"altod_http_unauthorized_total", METRIC_COUNTER, "",
                            "answers `401` (no or failed authentication)"},
        [M_RATE_LIMITED] = {"altod_http_rate_limited_total", METRIC_COUNTER, "",
                            "answers `429` (a client's rate, connection or failed-authentication limit)"},
        [M_TLS_HANDSHAKE_FAILURES] = {"altod_tls_handshake_failures_total", METRIC_COUNTER, "",
                                      "TLS handshakes that failed on the ALTO listeners (bad client "
                                      "certificate, no common cipher or version, not TLS at all)"},
        [M_CONNECTIONS] = {"altod_http_connections_total", METRIC_COUNTER, "",
                           "connections accepted on the ALTO listeners"},
        [M_OPEN_CONNECTIONS] = {"altod_http_open_connections", METRIC_GAUGE, "",
                                "connections open on the ALTO listeners now"},
        [M_CONNECTIONS_CUT] = {"altod_http_connections_cut_total", METRIC_COUNTER, "timeout",
                               "connections cut off past `request-timeout` (timeout=\"request\") or "
                               "`response-timeout` (timeout=\"response\")"},
        [M_RELOADS] = {"altod_reloads_total", METRIC_COUNTER, "result",
                       "reloads (SIGHUP) that succeeded (result=\"success\") or failed and kept the previous maps "
                       "(result=\"failure\")"},
        [M_LAST_RELOAD_SUCCESS] = {"altod_last_reload_success_timestamp_seconds", METRIC_GAUGE, "",
                                   "when the serving configuration and maps were loaded (Unix time; the start "
                                   "counts)"},
        [M_SNAPSHOT_MAPS] = {"altod_snapshot_network_maps", METRIC_GAUGE, "",
                             "network maps the serving snapshot holds"},
        [M_SNAPSHOT_PIDS] = {"altod_snapshot_pids", METRIC_GAUGE, "", "PIDs of those network maps"},
        [M_SNAPSHOT_PREFIXES] = {"altod_snapshot_prefixes", METRIC_GAUGE, "", "address prefixes of those network maps"},
        [M_SNAPSHOT_COST_PAIRS] = {"altod_snapshot_cost_pairs", METRIC_GAUGE, "",
                                   "PID pairs with a cost, over every cost metric"},
        [M_SNAPSHOT_RESOURCES] = {"altod_snapshot_resources", METRIC_GAUGE, "",
                                  "resources of the serving snapshot (every client's together)"},
        [M_SNAPSHOT_BYTES] = {"altod_snapshot_rendered_bytes", METRIC_GAUGE, "",
                              "bytes of the GET bodies rendered at load (identity and gzip)"},
        [M_SNAPSHOT_LOAD_SECONDS] = {"altod_snapshot_load_seconds", METRIC_GAUGE, "",
                                     "how long loading the serving snapshot took"},
        [M_SNAPSHOTS_LIVE] = {"altod_snapshots_in_memory", METRIC_GAUGE, "",
                              "snapshots in memory: the serving one, and replaced ones still pinned by answers or "
                              "waiting to be freed"},
        [M_SERIES_DROPPED] = {"altod_metrics_series_dropped_total", METRIC_COUNTER, "",
                              "requests not counted in altod_http_requests_total because the series table was "
                              "full (see the bounds in operations.md)"},
        [M_RESIDENT_MEMORY] = {"process_resident_memory_bytes", METRIC_GAUGE, "",
                               "resident memory (from /proc/self/statm)"},
        [M_START_TIME] = {"process_start_time_seconds", METRIC_GAUGE, "", "when altod started (Unix time)"},
};

const char metrics_resource_health[] = "health";

static const char *const method_names[] = {"GET",    "HEAD",  "POST",  "OPTIONS", "PUT",
                                           "DELETE", "PATCH", "TRACE", "CONNECT", "other"};
#define NMETHODS (sizeof(method_names) / sizeof(method_names[0]))

/* Upper bounds of the latency buckets, seconds (+Inf follows) */
static const double bucket_le[METRICS_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                  0.025,  0.05,    0.1,    0.25,  0.5,    1,     5};
static const char *const bucket_text[METRICS_BUCKETS] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025",
                                                         "0.005",  "0.01",    "0.025",  "0.05",  "0.1",
                                                         "0.25",   "0.5",     "1",      "5"};

/* The packed labels of a series: resource and client indexes (their
 * tables' cap: "other"; resources cap + 1: "unknown", cap + 2: "health",
 * cap + 3: "directory"),
 * method index, status. Bit 63 set: never 0. */
#define RES_UNKNOWN (METRICS_RESOURCES + 1)
#define RES_HEALTH (METRICS_RESOURCES + 2)
#define RES_DIRECTORY (METRICS_RESOURCES + 3)
#define NHIST (METRICS_RESOURCES + 4)
#define CLIENT_ANONYMOUS (METRICS_CLIENTS + 1)
#define CLIENT_UNAUTH (METRICS_CLIENTS + 2)

/* Interned names: an open-addressing table whose slots are written once,
 * under the lock, and read without it. A name is published (its pointer
 * stored with release order) after its index is. */
struct names {
	pthread_mutex_t lock;
	size_t cap;                 /* names it takes; index cap is "other" */
	size_t slots;               /* power of two, >= 2 * cap */
	_Atomic(const char *) *key; /* per slot */
	uint32_t *idx;              /* per slot */
	_Atomic(const char *) *by_idx;
	atomic_size_t n;
};

struct series {
	atomic_uint_fast64_t key; /* 0: free; else the packed labels */
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t bytes;
};

struct histogram {
	atomic_uint_fast64_t bucket[METRICS_BUCKETS + 1]; /* non-cumulative; the last: above every bound */
	atomic_uint_fast64_t sum_ns;
};

struct metrics {
	struct names resources, clients;
	struct series *series; /* METRICS_SERIES slots */
	atomic_size_t nseries;
	struct histogram *hist; /* per resource index, "other", "unknown", "health", "directory" included */
	atomic_uint_fast64_t unauthorized, rate_limited, tls_failures, connections, dropped;
	atomic_llong open_connections;
	atomic_uint_fast64_t reloads_ok, reloads_failed;
	_Atomic double last_reload_ok;
	double start_time;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static int names_init(struct names *t, size_t cap)
{
	t->cap = cap;
	t->slots = 1;
	while (t->slots < 2 * cap)
		t->slots <<= 1;
	t->key = calloc(t->slots, sizeof(*t->key));
	t->idx = calloc(t->slots, sizeof(*t->idx));
	t->by_idx = calloc(cap, sizeof(*t->by_idx));
	atomic_init(&t->n, 0);
	pthread_mutex_init(&t->lock, NULL);
	return t->key && t->idx && t->by_idx ? 0 : -1;
}

static void names_free(struct names *t)
{
	if (t->key)
		for (size_t i = 0; i < t->slots; i++)
			free((char *)atomic_load(&t->key[i]));
	free((void *)t->key);
	free(t->idx);
	free((void *)t->by_idx);
	pthread_mutex_destroy(&t->lock);
}

/* The index of name; cap ("other") when the table is full. */
static uint32_t names_index(struct names *t, const char *name)
{
	size_t mask = t->slots - 1, i = hash_str(name) & mask;
	for (;; i = (i + 1) & mask) {
		const char *k = atomic_load_explicit(&t->key[i], memory_order_acquire);
		if (k == NULL)
			break;
		if (strcmp(k, name) == 0)
			return t->idx[i];
	}
	/* first time: under the lock, look again from where it would be */
	pthread_mutex_lock(&t->lock);
	uint32_t out = (uint32_t)t->cap;
	for (i = hash_str(name) & mask;; i = (i + 1) & mask) {
		const char *k = atomic_load_explicit(&t->key[i], memory_order_acquire);
		if (k && strcmp(k, name) == 0) {
			out = t->idx[i];
			break;
		}
		if (k == NULL) {
			size_t n = atomic_load(&t->n);
			char *copy = n < t->cap ? strdup(name) : NULL;
			if (copy) {
				t->idx[i] = (uint32_t)n;
				atomic_store_explicit(&t->by_idx[n], copy, memory_order_release);
				atomic_store_explicit(&t->n, n + 1, memory_order_release);
				atomic_store_explicit(&t->key[i], copy, memory_order_release);
				out = (uint32_t)n;
			}
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return out;
}

static const char *names_name(const struct names *t, uint32_t i)
{
	if (i >= atomic_load_explicit(&t->n, memory_order_acquire))
		return "other";
	return atomic_load_explicit(&t->by_idx[i], memory_order_acquire);
}

struct metrics *metrics_new(double start_time)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->start_time = start_time;
	int rc = names_init(&m->resources, METRICS_RESOURCES);
	rc |= names_init(&m->clients, METRICS_CLIENTS);
	m->series = calloc(METRICS_SERIES, sizeof(*m->series));
	/* per resource index: the names, "other", "unknown", "health", "directory" */
	m->hist = calloc(NHIST, sizeof(*m->hist));
	if (rc != 0 || m->series == NULL || m->hist == NULL) {
		metrics_free(m);
		return NULL;
	}
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	names_free(&m->resources);
	names_free(&m->clients);
	free(m->series);
	free(m->hist);
	free(m);
}

static uint64_t pack(uint32_t res, uint32_t client, uint32_t method, unsigned status)
{
	return 1ull << 63 | (uint64_t)res << 40 | (uint64_t)client << 16 | (uint64_t)method << 10 | (status & 0x3ff);
}

static uint32_t method_index(const char *method)
{
	for (uint32_t i = 0; i + 1 < NMETHODS; i++)
		if (strcmp(method, method_names[i]) == 0)
			return i;
	return NMETHODS - 1;
}

static uint32_t resource_index(struct metrics *m, const char *resource)
{
	if (resource == NULL)
		return RES_UNKNOWN;
	if (resource == metrics_resource_health)
		return RES_HEALTH;
	if (resource[0] == '\0')
		return RES_DIRECTORY;
	return names_index(&m->resources, resource);
}

static uint32_t client_index(struct metrics *m, const char *client)
{
	if (client == NULL || strcmp(client, "-") == 0 || strcmp(client, "?") == 0)
		return CLIENT_UNAUTH;
	if (strcmp(client, "anonymous") == 0)
		return CLIENT_ANONYMOUS;
	return names_index(&m->clients, client);
}

/* The slot of key, claimed if new; NULL when the table is full. */
static struct series *series_of(struct metrics *m, uint64_t key)
{
	size_t mask = METRICS_SERIES - 1, i = mix64(key) & mask;
	for (size_t probes = 0; probes < METRICS_SERIES; probes++, i = (i + 1) & mask) {
		uint_fast64_t k = atomic_load_explicit(&m->series[i].key, memory_order_acquire);
		if (k == key)
			return &m->series[i];
		if (k != 0)
			continue;
		/* a free slot: claim it, unless the table is 3/4 full */
		if (atomic_fetch_add(&m->nseries, 1) >= (size_t)METRICS_SERIES / 4 * 3) {
			atomic_fetch_sub(&m->nseries, 1);
			return NULL;
		}
		uint_fast64_t expected = 0;
		if (atomic_compare_exchange_strong(&m->series[i].key, &expected, key))
			return &m->series[i];
		atomic_fetch_sub(&m->nseries, 1);
		if (expected == key) /* another thread claimed it for the same labels */
			return &m->series[i];
	}
	return NULL;
}

void metrics_request(struct metrics *m, const char *resource, const char *method, unsigned status, const char *client,
                     size_t bytes, double seconds)
{
	if (m == NULL)
		return;
	uint32_t res = resource_index(m, resource);
	if (status == 401)
		atomic_fetch_add_explicit(&m->unauthorized, 1, memory_order_relaxed);
	else if (status == 429)
		atomic_fetch_add_explicit(&m->rate_limited, 1, memory_order_relaxed);
	struct series *s = series_of(m, pack(res, client_index(m, client), method_index(method), status));
	if (s) {
		atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->bytes, bytes, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
	}
	struct histogram *h = &m->hist[res];
	size_t b = 0;
	while (b < METRICS_BUCKETS && seconds > bucket_le[b])
		b++;
	atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, seconds > 0 ? (uint64_t)(seconds * 1e9) : 0, memory_order_relaxed);
}

void metrics_tls_failure(struct metrics *m)
{
	if (m)
		atomic_fetch_add_explicit(&m->tls_failures, 1, memory_order_relaxed);
}

void metrics_connection(struct metrics *m, int delta)
{
	if (m == NULL)
		return;
	if (delta > 0)
		atomic_fetch_add_explicit(&m->connections, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->open_connections, delta, memory_order_relaxed);
}

void metrics_reload(struct metrics *m, bool ok, double now)
{
	if (m == NULL)
		return;
	atomic_fetch_add(ok ? &m->reloads_ok : &m->reloads_failed, 1);
	if (ok)
		atomic_store(&m->last_reload_ok, now);
}

/* ---- exposition ---- */

void metrics_label_value(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			buf_puts(out, "\\\\");
		else if (*v == '"')
			buf_puts(out, "\\\"");
		else if (*v == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *v);
	}
}

/* HELP text: '\\' and newline escaped; the reference's `code` marks dropped */
static void help_text(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			buf_puts(out, "\\\\");
		else if (*v == '\n')
			buf_puts(out, "\\n");
		else if (*v != '`')
			buf_putc(out, *v);
	}
}

static void family(struct buf *out, enum metric_id id)
{
	const struct metric_desc *d = &metrics_list[id];
	static const char *const types[] = {"counter", "gauge", "histogram"};
	buf_printf(out, "# HELP %s ", d->name);
	help_text(out, d->help);
	buf_printf(out, "\n# TYPE %s %s\n", d->name, types[d->type]);
}

/* A sample without labels */
static void sample_u(struct buf *out, enum metric_id id, uint64_t v)
{
	family(out, id);
	buf_printf(out, "%s %" PRIu64 "\n", metrics_list[id].name, v);
}

static void number(struct buf *out, double v)
{
	if (v >= 0 && v < 9007199254740992.0 && v == (double)(uint64_t)v) {
		buf_printf(out, "%" PRIu64, (uint64_t)v);
		return;
	}
	char t[40];
	snprintf(t, sizeof(t), "%.17g", v);
	/* "%.17g" reads back exactly; keep it short where it can be */
	char s[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(s, sizeof(s), "%.*g", p, v);
		if (strtod(s, NULL) == v) {
			buf_puts(out, s);
			return;
		}
	}
	buf_puts(out, t);
}

static void sample_d(struct buf *out, enum metric_id id, double v)
{
	family(out, id);
	buf_printf(out, "%s ", metrics_list[id].name);
	number(out, v);
	buf_putc(out, '\n');
}

static const char *resource_name(const struct metrics *m, uint32_t res)
{
	if (res == RES_UNKNOWN)
		return "unknown";
	if (res == RES_HEALTH)
		return "health";
	if (res == RES_DIRECTORY)
		return "directory";
	return names_name(&m->resources, res);
}

static const char *client_name(const struct metrics *m, uint32_t c)
{
	if (c == CLIENT_UNAUTH)
		return "unauthenticated";
	if (c == CLIENT_ANONYMOUS)
		return "anonymous";
	return names_name(&m->clients, c);
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void labels(struct buf *out, const struct metrics *m, uint64_t key)
{
	uint32_t res = (uint32_t)(key >> 40 & 0x7fffff), client = (uint32_t)(key >> 16 & 0xffffff);
	uint32_t method = (uint32_t)(key >> 10 & 0x3f);
	buf_puts(out, "{resource=\"");
	metrics_label_value(out, resource_name(m, res));
	buf_printf(out, "\",method=\"%s\",status=\"%u\",client=\"", method_names[method], (unsigned)(key & 0x3ff));
	metrics_label_value(out, client_name(m, client));
	buf_puts(out, "\"}");
}

static void request_series(const struct metrics *m, struct buf *out)
{
	uint64_t *keys = malloc(METRICS_SERIES * sizeof(*keys));
	size_t n = 0;
	if (keys == NULL) {
		out->oom = true;
		return;
	}
	for (size_t i = 0; i < METRICS_SERIES; i++) {
		uint64_t k = atomic_load_explicit(&m->series[i].key, memory_order_acquire);
		if (k)
			keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (int pass = 0; pass < 2; pass++) {
		enum metric_id id = pass == 0 ? M_REQUESTS : M_RESPONSE_BYTES;
		family(out, id);
		for (size_t j = 0; j < n; j++) {
			/* find the slot again: keys are unique */
			size_t mask = METRICS_SERIES - 1, i = mix64(keys[j]) & mask;
			while (atomic_load_explicit(&m->series[i].key, memory_order_acquire) != keys[j])
				i = (i + 1) & mask;
			const struct series *s = &m->series[i];
			buf_puts(out, metrics_list[id].name);
			labels(out, m, keys[j]);
			buf_printf(out, " %" PRIu64 "\n",
			           (uint64_t)atomic_load_explicit(pass == 0 ? &s->count : &s->bytes,
			                                          memory_order_relaxed));
		}
	}
	free(keys);
}

static void histograms(const struct metrics *m, struct buf *out)
{
	const char *name = metrics_list[M_DURATION].name;
	family(out, M_DURATION);
	size_t nres = atomic_load(&m->resources.n);
	for (size_t r = 0; r < NHIST; r++) {
		if (r >= nres && r < METRICS_RESOURCES)
			continue;
		const struct histogram *h = &m->hist[r];
		uint64_t counts[METRICS_BUCKETS + 1], total = 0;
		for (size_t b = 0; b <= METRICS_BUCKETS; b++) {
			counts[b] = atomic_load_explicit(&h->bucket[b], memory_order_relaxed);
			total += counts[b];
		}
		if (total == 0)
			continue;
		struct buf lab;
		buf_init(&lab);
		metrics_label_value(&lab, resource_name(m, (uint32_t)r));
		uint64_t cum = 0;
		for (size_t b = 0; b < METRICS_BUCKETS; b++) {
			cum += counts[b];
			buf_printf(out, "%s_bucket{resource=\"%s\",le=\"%s\"} %" PRIu64 "\n", name, lab.data,
			           bucket_text[b], cum);
		}
		buf_printf(out, "%s_bucket{resource=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name, lab.data, total);
		buf_printf(out, "%s_sum{resource=\"%s\"} ", name, lab.data);
		number(out, (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9);
		buf_printf(out, "\n%s_count{resource=\"%s\"} %" PRIu64 "\n", name, lab.data, total);
		if (lab.oom)
			out->oom = true;
		buf_free(&lab);
	}
}

void metrics_render(const struct metrics *m, const struct metrics_gauges *g, struct buf *out)
{
	family(out, M_BUILD_INFO);
	buf_printf(out, "%s{version=\"", metrics_list[M_BUILD_INFO].name);
	metrics_label_value(out, ALTOD_VERSION);
	buf_puts(out, "\"} 1\n");
	sample_u(out, M_READY, g->ready ? 1 : 0);
	request_series(m, out);
	histograms(m, out);
	sample_u(out, M_UNAUTHORIZED, atomic_load(&m->unauthorized));
	sample_u(out, M_RATE_LIMITED, atomic_load(&m->rate_limited));
	sample_u(out, M_TLS_HANDSHAKE_FAILURES, atomic_load(&m->tls_failures));
	sample_u(out, M_CONNECTIONS, atomic_load(&m->connections));
	long long open = atomic_load(&m->open_connections);
	sample_u(out, M_OPEN_CONNECTIONS, open > 0 ? (uint64_t)open : 0);
	family(out, M_CONNECTIONS_CUT);
	buf_printf(out, "%s{timeout=\"request\"} %" PRIu64 "\n%s{timeout=\"response\"} %" PRIu64 "\n",
	           metrics_list[M_CONNECTIONS_CUT].name, g->cut_request, metrics_list[M_CONNECTIONS_CUT].name,
	           g->cut_response);
	family(out, M_RELOADS);
	buf_printf(out, "%s{result=\"success\"} %" PRIu64 "\n%s{result=\"failure\"} %" PRIu64 "\n",
	           metrics_list[M_RELOADS].name, (uint64_t)atomic_load(&m->reloads_ok), metrics_list[M_RELOADS].name,
	           (uint64_t)atomic_load(&m->reloads_failed));
	double last = atomic_load(&m->last_reload_ok);
	sample_d(out, M_LAST_RELOAD_SUCCESS, last > 0 ? last : m->start_time);
	if (g->have_snapshot) {
		sample_u(out, M_SNAPSHOT_MAPS, g->maps);
		sample_u(out, M_SNAPSHOT_PIDS, g->pids);
		sample_u(out, M_SNAPSHOT_PREFIXES, g->prefixes);
		sample_u(out, M_SNAPSHOT_COST_PAIRS, g->cost_pairs);
		sample_u(out, M_SNAPSHOT_RESOURCES, g->resources);
		sample_u(out, M_SNAPSHOT_BYTES, g->bytes);
		sample_d(out, M_SNAPSHOT_LOAD_SECONDS, g->load_seconds);
	}
	sample_u(out, M_SNAPSHOTS_LIVE, g->snapshots_live);
	sample_u(out, M_SERIES_DROPPED, atomic_load(&m->dropped));
	if (g->resident_bytes >= 0)
		sample_d(out, M_RESIDENT_MEMORY, g->resident_bytes);
	sample_d(out, M_START_TIME, m->start_time);
}

void metrics_reference(FILE *out)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	fputs("| metric | type | labels | meaning |\n|---|---|---|---|\n", out);
	for (size_t i = 0; i < M_COUNT; i++) {
		const struct metric_desc *d = &metrics_list[i];
		fprintf(out, "| `%s` | %s | %s | %s |\n", d->name, types[d->type], d->labels[0] ? d->labels : "—",
		        d->help);
	}
}

double metrics_statm_rss(const char *statm, long page_size)
{
	/* "size resident shared text lib data dt", in pages (proc(5)) */
	if (statm == NULL || page_size <= 0)
		return -1;
	char *end;
	errno = 0;
	strtoull(statm, &end, 10);
	if (errno || end == statm || *end != ' ')
		return -1;
	const char *p = end + 1;
	unsigned long long resident = strtoull(p, &end, 10);
	if (errno || end == p)
		return -1;
	return (double)resident * (double)page_size;
}

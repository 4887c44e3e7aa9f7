/* SPDX-License-Identifier: BSD-2-Clause */
/* The counters and their Prometheus text exposition (format 0.0.4):
 * escaping, bounded label sets, histograms, concurrency. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/metrics.h"
#include "testutil.h"

static char *render(struct metrics *m)
{
	struct metrics_gauges g = {.ready = true, .resident_bytes = -1};
	struct buf b;
	buf_init(&b);
	metrics_render(m, &g, &b);
	ck_assert(!b.oom);
	size_t len;
	return buf_finish(&b, &len);
}

static unsigned count_lines(const char *text, const char *prefix)
{
	unsigned n = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

/* the sum of the values of the lines that start with prefix */
static unsigned long sum_lines(const char *text, const char *prefix)
{
	unsigned long sum = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, prefix, strlen(prefix)) != 0)
			continue;
		const char *end = strchr(p, '\n');
		const char *sp = end;
		while (sp > p && sp[-1] != ' ')
			sp--;
		sum += strtoul(sp, NULL, 10);
	}
	return sum;
}

static void has_line(const char *text, const char *line)
{
	char *want = malloc(strlen(line) + 3);
	sprintf(want, "\n%s\n", line);
	if (strstr(text, want) == NULL) {
		fprintf(stderr, "%s", text);
		ck_abort_msg("no line '%s' in the exposition (on stderr)", line);
	}
	free(want);
}

START_TEST(label_escaping)
{
	struct buf b;
	buf_init(&b);
	/* the format's rules: backslash, double quote and line feed escaped */
	metrics_label_value(&b, "a\\b\"c\nd\te");
	ck_assert_str_eq(b.data, "a\\\\b\\\"c\\nd\te");
	buf_free(&b);

	/* a client name with all three, as the exposition writes it */
	struct metrics *m = metrics_new(1000);
	metrics_request(m, "cost\"map", "GET", 200, "x\\y\nz", 10, 0.001);
	char *t = render(m);
	has_line(t, "altod_http_requests_total{resource=\"cost\\\"map\",method=\"GET\",status=\"200\",client="
	            "\"x\\\\y\\nz\"} 1");
	has_line(t, "altod_http_response_bytes_total{resource=\"cost\\\"map\",method=\"GET\",status=\"200\",client="
	            "\"x\\\\y\\nz\"} 10");
	free(t);
	metrics_free(m);
}
END_TEST

START_TEST(families_once_each)
{
	struct metrics *m = metrics_new(1000);
	char *t = render(m);
	/* every family of the list has its HELP and TYPE exactly once, in order */
	const char *at = t;
	for (size_t i = 0; i < M_COUNT; i++) {
		char help[160], type[160];
		snprintf(help, sizeof(help), "# HELP %s ", metrics_list[i].name);
		snprintf(type, sizeof(type), "# TYPE %s ", metrics_list[i].name);
		if (i >= M_SNAPSHOT_MAPS && i <= M_SNAPSHOT_LOAD_SECONDS)
			continue; /* no snapshot in these gauges */
		if (i == M_RESIDENT_MEMORY)
			continue; /* unknown here */
		ck_assert_uint_eq(count_lines(t, help), 1);
		ck_assert_uint_eq(count_lines(t, type), 1);
		const char *p = strstr(t, help);
		ck_assert_ptr_nonnull(p);
		ck_assert(p > at || i == 0);
		at = p;
	}
	/* HELP text is escaped: no backquotes, no raw newline in it */
	ck_assert_ptr_null(strchr(t, '`'));
	free(t);
	metrics_free(m);
}
END_TEST

START_TEST(names_follow_conventions)
{
	for (size_t i = 0; i < M_COUNT; i++) {
		const struct metric_desc *d = &metrics_list[i];
		size_t n = strlen(d->name);
		ck_assert(strncmp(d->name, "altod_", 6) == 0 || strncmp(d->name, "process_", 8) == 0);
		bool total = n > 6 && strcmp(d->name + n - 6, "_total") == 0;
		/* counters end in _total, nothing else does */
		ck_assert_msg(total == (d->type == METRIC_COUNTER), "%s", d->name);
		if (d->type == METRIC_HISTOGRAM)
			ck_assert(strcmp(d->name + n - 8, "_seconds") == 0);
		for (const char *p = d->name; *p; p++)
			ck_assert(strchr("abcdefghijklmnopqrstuvwxyz0123456789_", *p));
	}
}
END_TEST

START_TEST(labels_bounded_by_the_configuration)
{
	struct metrics *m = metrics_new(1000);
	char name[32];
	/* many more resource names than the table takes: the rest is "other" */
	for (int i = 0; i < METRICS_RESOURCES + 500; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		metrics_request(m, name, "GET", 200, "-", 1, 0);
	}
	/* request input never becomes a label: an unknown method is "other",
	 * no resource is "unknown", an unauthenticated client is one value */
	metrics_request(m, NULL, "BREW", 404, "?", 10, 0);
	metrics_request(m, NULL, "GET", 401, "-", 13, 0);
	metrics_request(m, "", "GET", 200, "anonymous", 100, 0);
	metrics_request(m, metrics_resource_health, "HEAD", 200, "-", 0, 0);
	char *t = render(m);
	has_line(t, "altod_http_requests_total{resource=\"other\",method=\"GET\",status=\"200\",client="
	            "\"unauthenticated\"} 500");
	has_line(t, "altod_http_requests_total{resource=\"r0\",method=\"GET\",status=\"200\",client="
	            "\"unauthenticated\"} 1");
	has_line(t, "altod_http_requests_total{resource=\"unknown\",method=\"other\",status=\"404\",client="
	            "\"unauthenticated\"} 1");
	has_line(t, "altod_http_requests_total{resource=\"directory\",method=\"GET\",status=\"200\",client="
	            "\"anonymous\"} 1");
	has_line(t, "altod_http_requests_total{resource=\"health\",method=\"HEAD\",status=\"200\",client="
	            "\"unauthenticated\"} 1");
	has_line(t, "altod_http_unauthorized_total 1");
	ck_assert_ptr_null(strstr(t, "BREW"));
	ck_assert_ptr_null(strstr(t, "resource=\"r1024\""));
	/* one series per resource name taken, plus other, unknown (twice:
	 * two statuses), directory, health */
	ck_assert_uint_eq(count_lines(t, "altod_http_requests_total{"), METRICS_RESOURCES + 5);
	free(t);
	metrics_free(m);
}
END_TEST

START_TEST(series_table_full)
{
	struct metrics *m = metrics_new(1000);
	char res[16], client[16];
	unsigned sent = 0;
	/* 20 resources x 1000 clients: more series than the table holds */
	for (int r = 0; r < 20; r++)
		for (int c = 0; c < 1000; c++, sent++) {
			snprintf(res, sizeof(res), "r%d", r);
			snprintf(client, sizeof(client), "c%d", c);
			metrics_request(m, res, "POST", 429, client, 1, 0);
		}
	char *t = render(m);
	unsigned series = count_lines(t, "altod_http_requests_total{");
	ck_assert_uint_eq(series, METRICS_SERIES / 4 * 3);
	char line[80];
	snprintf(line, sizeof(line), "altod_metrics_series_dropped_total %u", sent - series);
	has_line(t, line);
	/* the totals without labels still count every one */
	snprintf(line, sizeof(line), "altod_http_rate_limited_total %u", sent);
	has_line(t, line);
	free(t);
	metrics_free(m);
}
END_TEST

START_TEST(histogram_cumulative)
{
	struct metrics *m = metrics_new(1000);
	metrics_request(m, "nm", "GET", 200, "-", 1, 0.0002);  /* le 0.00025 */
	metrics_request(m, "nm", "GET", 200, "-", 1, 0.00025); /* on the bound: le 0.00025 */
	metrics_request(m, "nm", "GET", 304, "-", 0, 0.3);     /* le 0.5 */
	metrics_request(m, "nm", "GET", 200, "-", 1, 7);       /* +Inf only */
	char *t = render(m);
	has_line(t, "altod_http_request_duration_seconds_bucket{resource=\"nm\",le=\"0.0001\"} 0");
	has_line(t, "altod_http_request_duration_seconds_bucket{resource=\"nm\",le=\"0.00025\"} 2");
	has_line(t, "altod_http_request_duration_seconds_bucket{resource=\"nm\",le=\"0.25\"} 2");
	has_line(t, "altod_http_request_duration_seconds_bucket{resource=\"nm\",le=\"0.5\"} 3");
	has_line(t, "altod_http_request_duration_seconds_bucket{resource=\"nm\",le=\"5\"} 3");
	has_line(t, "altod_http_request_duration_seconds_bucket{resource=\"nm\",le=\"+Inf\"} 4");
	has_line(t, "altod_http_request_duration_seconds_count{resource=\"nm\"} 4");
	has_line(t, "altod_http_request_duration_seconds_sum{resource=\"nm\"} 7.30045");
	free(t);
	metrics_free(m);
}
END_TEST

static void *hammer(void *arg)
{
	struct metrics *m = arg;
	char client[8];
	for (int i = 0; i < 20000; i++) {
		snprintf(client, sizeof(client), "c%d", i % 7);
		metrics_request(m, i % 2 ? "a" : "b", "GET", 200, client, 3, 0.001);
	}
	return NULL;
}

START_TEST(concurrent_counts_exact)
{
	struct metrics *m = metrics_new(1000);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, m), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	char *t = render(m);
	/* 2 resources x 7 clients, each claimed once whatever the races */
	ck_assert_uint_eq(count_lines(t, "altod_http_requests_total{"), 14);
	has_line(t, "altod_http_request_duration_seconds_count{resource=\"a\"} 40000");
	has_line(t, "altod_http_request_duration_seconds_count{resource=\"b\"} 40000");
	unsigned long total = sum_lines(t, "altod_http_requests_total{");
	ck_assert_uint_eq(total, 80000);
	free(t);
	metrics_free(m);
}
END_TEST

START_TEST(gauges_and_reloads)
{
	struct metrics *m = metrics_new(1700000000.5);
	metrics_connection(m, 1);
	metrics_connection(m, 1);
	metrics_connection(m, -1);
	metrics_tls_failure(m);
	metrics_reload(m, false, 1700000100);
	metrics_reload(m, true, 1700000200.25);
	struct metrics_gauges g = {.ready = false,
	                           .have_snapshot = true,
	                           .maps = 2,
	                           .pids = 30,
	                           .prefixes = 400,
	                           .cost_pairs = 900,
	                           .resources = 12,
	                           .bytes = 123456,
	                           .load_seconds = 0.5,
	                           .snapshots_live = 1,
	                           .cut_request = 3,
	                           .cut_response = 4,
	                           .resident_bytes = 8192};
	struct buf b;
	buf_init(&b);
	metrics_render(m, &g, &b);
	const char *t = b.data;
	has_line(t, "altod_ready 0");
	has_line(t, "altod_http_connections_total 2");
	has_line(t, "altod_http_open_connections 1");
	has_line(t, "altod_tls_handshake_failures_total 1");
	has_line(t, "altod_reloads_total{result=\"success\"} 1");
	has_line(t, "altod_reloads_total{result=\"failure\"} 1");
	has_line(t, "altod_last_reload_success_timestamp_seconds 1700000200.25");
	has_line(t, "altod_snapshot_network_maps 2");
	has_line(t, "altod_snapshot_pids 30");
	has_line(t, "altod_snapshot_prefixes 400");
	has_line(t, "altod_snapshot_cost_pairs 900");
	has_line(t, "altod_snapshot_resources 12");
	has_line(t, "altod_snapshot_rendered_bytes 123456");
	has_line(t, "altod_snapshot_load_seconds 0.5");
	has_line(t, "altod_http_connections_cut_total{timeout=\"request\"} 3");
	has_line(t, "altod_http_connections_cut_total{timeout=\"response\"} 4");
	has_line(t, "process_resident_memory_bytes 8192");
	has_line(t, "process_start_time_seconds 1700000000.5");
	buf_free(&b);
	metrics_free(m);
}
END_TEST

START_TEST(statm)
{
	ck_assert_double_eq(metrics_statm_rss("1000 250 30 4 0 100 0\n", 4096), 250.0 * 4096);
	ck_assert_double_lt(metrics_statm_rss("garbage", 4096), 0);
	ck_assert_double_lt(metrics_statm_rss("1 2", 0), 0);
	ck_assert_double_lt(metrics_statm_rss(NULL, 4096), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, label_escaping);
	tcase_add_test(tc, families_once_each);
	tcase_add_test(tc, names_follow_conventions);
	tcase_add_test(tc, labels_bounded_by_the_configuration);
	tcase_add_test(tc, series_table_full);
	tcase_add_test(tc, histogram_cumulative);
	tcase_add_test(tc, concurrent_counts_exact);
	tcase_add_test(tc, gauges_and_reloads);
	tcase_add_test(tc, statm);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

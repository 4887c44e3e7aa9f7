/* SPDX-License-Identifier: BSD-2-Clause */
/* The topology model's look-ups: network maps, PIDs and metrics by name,
 * addresses to PIDs (longest prefix), cost entries in the sparse rows, and
 * dense ordinal ranks. */
#include <check.h>
#include <stdint.h>

#include "topo/topo.h"
#include "fixtures.h"
#include "testutil.h"

/* ck_assert records a mark point through a pipe on every call: hot loops
 * check with this instead, and fail with the same message. */
#define CHECK(cond, ...)                           \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static uint8_t *addr(enum ip_family f, const char *s)
{
	static uint8_t a[16];
	ck_assert_int_eq(ip_addr_parse(s, f, a), 0);
	return a;
}

START_TEST(netmap_and_pid_find)
{
	struct topo *t = load_ok("network-maps:\n"
	                         "  mmm: {pids: {A: {ipv4: [0.0.0.0/0]}}}\n"
	                         "  aaa: {pids: {X: {}, B: {}, A: {}, 'a': {}}}\n"
	                         "  zzz: {pids: {A: {}}}\n"
	                         "  m: {pids: {A: {}}}\n");
	ck_assert_uint_eq(t->nnetmaps, 4);
	static const char *ids[] = {"aaa", "m", "mmm", "zzz"};
	for (int i = 0; i < 4; i++) {
		const struct topo_netmap *nm = topo_netmap_find(t, ids[i]);
		ck_assert_ptr_nonnull(nm);
		ck_assert_str_eq(nm->id, ids[i]);
	}
	static const char *absent[] = {"", "a", "aa", "aaaa", "mm", "n", "zzzz", "AAA", "0"};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		ck_assert_ptr_null(topo_netmap_find(t, absent[i]));

	/* PIDs are sorted by strcmp: uppercase before lowercase */
	const struct topo_netmap *nm = topo_netmap_find(t, "aaa");
	ck_assert_uint_eq(nm->npids, 4);
	static const char *pids[] = {"A", "B", "X", "a"};
	for (uint32_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(topo_pid_find(nm, pids[i]), i);
		ck_assert_str_eq(nm->pids[i].name, pids[i]);
	}
	ck_assert_uint_eq(topo_pid_find(nm, "b"), TOPO_NONE);
	ck_assert_uint_eq(topo_pid_find(nm, ""), TOPO_NONE);
	ck_assert_uint_eq(topo_pid_find(nm, "AB"), TOPO_NONE);
	ck_assert_uint_eq(topo_pid_find(topo_netmap_find(t, "zzz"), "B"), TOPO_NONE);
	topo_free(t);
}
END_TEST

START_TEST(lookup_longest_prefix)
{
	struct topo *t = load_ok(RFC_MAPS);
	const struct topo_netmap *nm = topo_netmap_find(t, "my-default-network-map");
	uint32_t p1 = topo_pid_find(nm, "PID1"), p2 = topo_pid_find(nm, "PID2"), p3 = topo_pid_find(nm, "PID3");
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, addr(IP_V4, "192.0.2.0")), p1);
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, addr(IP_V4, "192.0.2.255")), p1);
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, addr(IP_V4, "198.51.100.127")), p1);
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, addr(IP_V4, "198.51.100.128")), p2);
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, addr(IP_V4, "198.51.100.255")), p2);
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, addr(IP_V4, "192.0.3.0")), p3); /* only 0/0 */
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, addr(IP_V4, "0.0.0.0")), p3);
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, addr(IP_V4, "255.255.255.255")), p3);
	ck_assert_uint_eq(topo_lookup(nm, IP_V6, addr(IP_V6, "2001:db8::1")), p3);
	/* an IPv4-mapped IPv6 address is looked up as IPv6, not as IPv4 */
	struct topo *u = load_ok("network-maps:\n  m: {pids: {V4: {ipv4: [192.0.2.0/24]}}}\n");
	const struct topo_netmap *m = &u->netmaps[0];
	ck_assert_uint_eq(topo_lookup(m, IP_V4, addr(IP_V4, "192.0.2.1")), 0);
	ck_assert_uint_eq(topo_lookup(m, IP_V4, addr(IP_V4, "192.0.1.1")), TOPO_NONE);
	ck_assert_uint_eq(topo_lookup(m, IP_V6, addr(IP_V6, "::ffff:192.0.2.1")), TOPO_NONE);
	ck_assert_uint_eq(topo_lookup(m, IP_V6, addr(IP_V6, "::")), TOPO_NONE);
	topo_free(u);
	topo_free(t);
}
END_TEST

START_TEST(metric_find_and_costs)
{
	struct topo *t = load_ok(RFC_MAPS);
	const struct topo_netmap *nm = &t->netmaps[0];
	ck_assert_uint_eq(nm->nmetrics, 2);
	const struct topo_metric *rc = topo_metric_find(nm, "routingcost");
	const struct topo_metric *hc = topo_metric_find(nm, "hopcount");
	ck_assert_ptr_nonnull(rc);
	ck_assert_ptr_nonnull(hc);
	ck_assert_str_eq(rc->name, "routingcost");
	ck_assert_ptr_eq(hc, &nm->metrics[0]); /* sorted by name */
	ck_assert_ptr_null(topo_metric_find(nm, "RoutingCost"));
	ck_assert_ptr_null(topo_metric_find(nm, "routing"));
	ck_assert_ptr_null(topo_metric_find(nm, ""));
	ck_assert_ptr_null(topo_metric_find(nm, "delay-ow"));

	uint32_t p1 = topo_pid_find(nm, "PID1"), p2 = topo_pid_find(nm, "PID2"), p3 = topo_pid_find(nm, "PID3");
	static const double want[3][3] = {{1, 5, 10}, {5, 1, 15}, {20, 15, -1}};
	uint32_t ids[3] = {p1, p2, p3};
	for (int s = 0; s < 3; s++)
		for (int d = 0; d < 3; d++) {
			uint32_t e = topo_cost_find(rc, ids[s], ids[d]);
			if (want[s][d] < 0) {
				ck_assert_uint_eq(e, TOPO_NONE); /* PID3 -> PID3 is not given */
			} else {
				ck_assert_uint_ne(e, TOPO_NONE);
				ck_assert(rc->val[e] == want[s][d]);
			}
		}
	/* hopcount has a row only for PID1 */
	ck_assert(hc->val[topo_cost_find(hc, p1, p3)] == 3);
	ck_assert_uint_eq(topo_cost_find(hc, p2, p1), TOPO_NONE);
	ck_assert_uint_eq(topo_cost_find(hc, p3, p3), TOPO_NONE);
	/* routingcost ordinal: 1 5 10 5 1 15 20 15 -> ranks 1 2 3 2 1 4 5 4 */
	ck_assert_uint_eq(rc->rank[topo_cost_find(rc, p1, p1)], 1);
	ck_assert_uint_eq(rc->rank[topo_cost_find(rc, p2, p1)], 2);
	ck_assert_uint_eq(rc->rank[topo_cost_find(rc, p1, p3)], 3);
	ck_assert_uint_eq(rc->rank[topo_cost_find(rc, p2, p3)], 4);
	ck_assert_uint_eq(rc->rank[topo_cost_find(rc, p3, p1)], 5);
	topo_free(t);
}
END_TEST

static uint64_t rng = 0x243F6A8885A308D3ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* topo_cost_find on hand-built sparse rows: full rows, rows without the
 * diagonal (its two fast probes), and random sparse rows (the binary
 * search), against a linear scan. */
START_TEST(cost_find_matches_scan)
{
	enum { N = 40 };
	for (int shape = 0; shape < 30; shape++) {
		struct topo_metric m = {0};
		m.row = calloc(N + 1, sizeof(uint32_t));
		m.col = calloc(N * N, sizeof(uint32_t));
		size_t k = 0;
		for (uint32_t s = 0; s < N; s++) {
			m.row[s] = (uint32_t)k;
			for (uint32_t d = 0; d < N; d++) {
				bool keep = shape == 0   ? true
				            : shape == 1 ? d != s
				                         : next() % (uint64_t)(shape % 5 + 2) == 0;
				if (keep)
					m.col[k++] = d;
			}
		}
		m.row[N] = (uint32_t)k;
		for (uint32_t s = 0; s < N; s++)
			for (uint32_t d = 0; d < N; d++) {
				uint32_t want = TOPO_NONE;
				for (uint32_t e = m.row[s]; e < m.row[s + 1]; e++)
					if (m.col[e] == d)
						want = e;
				CHECK(topo_cost_find(&m, s, d) == want, "shape %d: %u -> %u", shape, s, d);
			}
		free(m.row);
		free(m.col);
	}
}
END_TEST

START_TEST(rank)
{
	uint32_t r[8] = {0};
	static const double v[] = {10, 1, 5, 5, 0.5, 10, 1e300, 0};
	/* no costs (callers always pass allocated arrays, never NULL) */
	ck_assert_int_eq(topo_rank(v, 0, false, r), 0);
	ck_assert_uint_eq(r[0], 0);

	ck_assert_int_eq(topo_rank(v, 8, false, r), 0);
	static const uint32_t low[] = {5, 3, 4, 4, 2, 5, 6, 1};
	ck_assert_mem_eq(r, low, sizeof(low));
	/* bandwidth-like metrics: the highest is best */
	ck_assert_int_eq(topo_rank(v, 8, true, r), 0);
	static const uint32_t high[] = {2, 4, 3, 3, 5, 2, 1, 6};
	ck_assert_mem_eq(r, high, sizeof(high));

	/* all equal: all rank 1; and -0 equals 0 */
	static const double same[] = {7, 7, 7};
	ck_assert_int_eq(topo_rank(same, 3, false, r), 0);
	ck_assert(r[0] == 1 && r[1] == 1 && r[2] == 1);
	static const double zeros[] = {0.0, -0.0, 1};
	ck_assert_int_eq(topo_rank(zeros, 3, true, r), 0);
	ck_assert(r[0] == 2 && r[1] == 2 && r[2] == 1);
	/* ranks of a single value */
	ck_assert_int_eq(topo_rank(v, 1, true, r), 0);
	ck_assert_uint_eq(r[0], 1);
}
END_TEST

/* Dense ranks of random costs: rank order agrees with value order, equal
 * values share a rank, and the ranks are exactly 1..distinct. */
START_TEST(rank_random)
{
	enum { N = 2000 };
	double *v = malloc(N * sizeof(double));
	uint32_t *r = malloc(N * sizeof(uint32_t));
	for (int hib = 0; hib < 2; hib++) {
		for (size_t i = 0; i < N; i++)
			v[i] = (double)(next() % 300) / 4;
		ck_assert_int_eq(topo_rank(v, N, hib, r), 0);
		uint32_t maxr = 0;
		bool seen[N + 1] = {false};
		for (size_t i = 0; i < N; i++) {
			maxr = r[i] > maxr ? r[i] : maxr;
			seen[r[i]] = true;
			for (size_t j = 0; j < 50; j++) {
				size_t k = (size_t)(next() % N);
				bool better = hib ? v[i] > v[k] : v[i] < v[k];
				if (v[i] == v[k])
					CHECK(r[i] == r[k], "%g and %g: ranks %u, %u", v[i], v[k], r[i], r[k]);
				else if (better)
					CHECK(r[i] < r[k], "%g before %g: ranks %u, %u", v[i], v[k], r[i], r[k]);
				else
					CHECK(r[i] > r[k], "%g after %g: ranks %u, %u", v[i], v[k], r[i], r[k]);
			}
		}
		for (uint32_t k = 1; k <= maxr; k++)
			ck_assert_msg(seen[k], "rank %u missing", k);
	}
	free(v);
	free(r);
}
END_TEST

/* topo_rerank (what answers use) ranks a subset of a metric's pairs as
 * topo_rank over their values does, from the metric's ranks alone: random
 * metrics with many ties, random subsets (repeats included), pairs without
 * a cost (0) left 0, either direction of "best", and more than 256
 * distinct ranks (a second radix pass). */
START_TEST(rerank_matches_rank)
{
	enum { M = 3000, N = 1500 };
	double *mv = malloc(M * sizeof(double)), *sv = malloc(N * sizeof(double));
	uint32_t *mr = malloc(M * sizeof(uint32_t)), *want = malloc(N * sizeof(uint32_t));
	uint32_t *got = malloc(N * sizeof(uint32_t)), *pick = malloc(N * sizeof(uint32_t));
	bool *none = malloc(N * sizeof(bool));
	for (int round = 0; round < 8; round++) {
		bool hib = round & 1;
		unsigned spread = round < 4 ? 7 : 100000; /* many ties, or > 256 distinct */
		for (size_t i = 0; i < M; i++)
			mv[i] = (double)(next() % spread) / 8;
		ck_assert_int_eq(topo_rank(mv, M, hib, mr), 0);
		size_t n = (size_t)(next() % N) + 1, k = 0;
		for (size_t j = 0; j < n; j++) {
			pick[j] = (uint32_t)(next() % M);
			none[j] = next() % 5 == 0; /* a pair without a cost */
			got[j] = none[j] ? 0 : mr[pick[j]];
			if (!none[j])
				sv[k++] = mv[pick[j]];
		}
		ck_assert_int_eq(topo_rank(sv, k, hib, want), 0);
		ck_assert_int_eq(topo_rerank(got, n), 0);
		for (size_t j = 0, w = 0; j < n; j++) {
			if (none[j]) {
				CHECK(got[j] == 0, "round %d pair %zu without a cost: rank %u", round, j, got[j]);
				continue;
			}
			CHECK(got[j] == want[w], "round %d pair %zu: rank %u, topo_rank %u", round, j, got[j], want[w]);
			w++;
		}
	}
	/* nothing to rank, and only pairs without a cost */
	uint32_t zeros[3] = {0, 0, 0};
	ck_assert_int_eq(topo_rerank(zeros, 0), 0);
	ck_assert_int_eq(topo_rerank(zeros, 3), 0);
	ck_assert(zeros[0] == 0 && zeros[1] == 0 && zeros[2] == 0);
	free(mv);
	free(sv);
	free(mr);
	free(want);
	free(got);
	free(pick);
	free(none);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("topo");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, netmap_and_pid_find);
	tcase_add_test(tc, lookup_longest_prefix);
	tcase_add_test(tc, metric_find_and_costs);
	tcase_add_test(tc, cost_find_matches_scan);
	tcase_add_test(tc, rank);
	tcase_add_test(tc, rank_random);
	tcase_add_test(tc, rerank_matches_rank);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

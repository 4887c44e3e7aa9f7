/* SPDX-License-Identifier: BSD-2-Clause */
/* Views: kept PIDs, the catch-all, costs and ranks within the view, tags. */
#include <check.h>
#include <stdio.h>

#include "topo/view.h"
#include "topo/topo.h"
#include "testutil.h"

static const char *MAPS = "network-maps:\n"
                          "  m:\n"
                          "    pids:\n"
                          "      A: {ipv4: [10.0.0.0/8]}\n"
                          "      H: {ipv4: [10.1.0.0/16, 192.0.2.0/24], ipv6: ['2001:db8::/32']}\n"
                          "      B: {ipv4: [10.1.1.0/24]}\n"
                          "      Z: {ipv4: [0.0.0.0/0], ipv6: ['::/0']}\n"
                          "cost-maps:\n"
                          "  m:\n"
                          "    routingcost:\n"
                          "      A: {A: 1, B: 50, H: 7, Z: 9}\n"
                          "      B: {A: 50, B: 1}\n"
                          "    hopcount: {A: {B: 3}}\n";

static const uint8_t SECRET[32] = {1, 2, 3};
static const uint8_t SECRET2[32] = {9};

static uint8_t only_routing_ordinal(void *ctx, const char *metric)
{
	return strcmp(metric, "routingcost") == 0 ? (uint8_t)(1u << COST_ORDINAL) : 0;
}

static int build(const struct topo *t, bool opaque, const uint8_t *secret, struct topo_netmap *v, struct diag *d)
{
	static const char *pids[] = {"A", "B"};
	struct topo_view_spec spec = {.id = "v",
	                              .file = "altod.yaml",
	                              .line = 1,
	                              .col = 1,
	                              .pids = pids,
	                              .npids = 2,
	                              .catch_all = "rest",
	                              .opaque = opaque,
	                              .secret = secret,
	                              .modes_of = only_routing_ordinal};
	return topo_view_build(topo_netmap_find(t, "m"), &spec, v, d);
}

static uint32_t L(const struct topo_netmap *v, const char *a)
{
	uint8_t addr[16];
	enum ip_family f = strchr(a, ':') ? IP_V6 : IP_V4;
	ck_assert_int_eq(ip_addr_parse(a, f, addr), 0);
	return topo_lookup(v, f, addr);
}

START_TEST(catch_all_and_lookup)
{
	struct topo *t = load_ok(MAPS);
	struct topo_netmap v;
	struct diag d;
	diag_init(&d);
	ck_assert_int_eq(build(t, false, SECRET, &v, &d), 0);
	ck_assert_uint_eq(v.npids, 3);
	uint32_t a = topo_pid_find(&v, "A"), b = topo_pid_find(&v, "B"), r = topo_pid_find(&v, "rest");
	ck_assert_uint_ne(a, TOPO_NONE);
	ck_assert_uint_ne(b, TOPO_NONE);
	ck_assert_uint_ne(r, TOPO_NONE);
	ck_assert_uint_eq(topo_pid_find(&v, "H"), TOPO_NONE);
	ck_assert_uint_eq(topo_pid_find(&v, "Z"), TOPO_NONE);
	/* the catch-all: /0 of both families and H's 10.1.0.0/16 (inside A's
	 * 10/8); H's 192.0.2.0/24 and 2001:db8::/32 stay hidden under /0 */
	const struct topo_pid *rest = &v.pids[r];
	ck_assert_uint_eq(rest->nprefixes, 3);
	char s[IP_PREFIX_STRLEN];
	ip_prefix_format(&rest->prefixes[0], s);
	ck_assert_str_eq(s, "0.0.0.0/0");
	ip_prefix_format(&rest->prefixes[1], s);
	ck_assert_str_eq(s, "10.1.0.0/16");
	ip_prefix_format(&rest->prefixes[2], s);
	ck_assert_str_eq(s, "::/0");
	ck_assert_uint_eq(L(&v, "10.2.3.4"), a);
	ck_assert_uint_eq(L(&v, "10.1.2.3"), r); /* hidden H inside A: the catch-all */
	ck_assert_uint_eq(L(&v, "10.1.1.9"), b); /* B inside hidden H inside A */
	ck_assert_uint_eq(L(&v, "192.0.2.1"), r);
	ck_assert_uint_eq(L(&v, "2001:db8::1"), r);
	ck_assert_uint_eq(L(&v, "8.8.8.8"), r);

	/* only routingcost, only ordinal, only between kept PIDs, ranked within */
	ck_assert_uint_eq(v.nmetrics, 1);
	const struct topo_metric *m = &v.metrics[0];
	ck_assert_str_eq(m->name, "routingcost");
	ck_assert_uint_eq(m->modes, 1u << COST_ORDINAL);
	ck_assert_uint_eq(m->nentries, 4);
	ck_assert_uint_eq(topo_cost_find(m, a, r), TOPO_NONE);
	ck_assert_uint_eq(m->rank[topo_cost_find(m, a, a)], 1);
	ck_assert_uint_eq(m->rank[topo_cost_find(m, a, b)], 2); /* 50: second of {1, 50} */
	topo_netmap_clear(&v);
	diag_free(&d);
	topo_free(t);
}
END_TEST

START_TEST(opaque_names_and_tags)
{
	struct topo *t = load_ok(MAPS);
	struct topo_netmap v1, v2, v3;
	struct diag d;
	diag_init(&d);
	ck_assert_int_eq(build(t, true, SECRET, &v1, &d), 0);
	ck_assert_int_eq(build(t, true, SECRET, &v2, &d), 0);
	ck_assert_int_eq(build(t, true, SECRET2, &v3, &d), 0);
	ck_assert_uint_eq(topo_pid_find(&v1, "A"), TOPO_NONE);
	ck_assert_uint_ne(topo_pid_find(&v1, "rest"), TOPO_NONE);
	for (uint32_t i = 0; i < v1.npids; i++) {
		ck_assert_str_eq(v1.pids[i].name, v2.pids[i].name); /* deterministic */
		if (strcmp(v1.pids[i].name, "rest") != 0) {
			ck_assert_uint_eq(strlen(v1.pids[i].name), 17);
			ck_assert_int_eq(v1.pids[i].name[0], 'p');
			ck_assert_uint_eq(topo_pid_find(&v3, v1.pids[i].name), TOPO_NONE); /* unlinkable */
		}
	}
	ck_assert_str_eq(v1.vtag, v2.vtag);
	ck_assert_str_ne(v1.vtag, v3.vtag);
	ck_assert_str_ne(v1.vtag, topo_netmap_find(t, "m")->vtag);
	topo_netmap_clear(&v1);
	topo_netmap_clear(&v2);
	topo_netmap_clear(&v3);
	diag_free(&d);
	topo_free(t);
}
END_TEST

START_TEST(errors)
{
	struct topo *t = load_ok(MAPS);
	struct topo_netmap v;
	struct diag d;
	static const char *pids[] = {"A", "Q"};
	static const uint32_t lines[] = {5, 6}, cols[] = {7, 8};
	struct topo_view_spec spec = {.id = "v",
	                              .file = "altod.yaml",
	                              .line = 1,
	                              .col = 1,
	                              .pids = pids,
	                              .pid_lines = lines,
	                              .pid_cols = cols,
	                              .npids = 2,
	                              .catch_all = "A",
	                              .secret = SECRET};
	diag_init(&d);
	ck_assert_int_ne(topo_view_build(topo_netmap_find(t, "m"), &spec, &v, &d), 0);
	ck_assert_contains(d.msgs[0], "altod.yaml:6:8: view 'v': PID 'Q' is not defined in network map 'm'");
	diag_free(&d);
	diag_init(&d);
	spec.npids = 1; /* only A, and the catch-all is named A too */
	ck_assert_int_ne(topo_view_build(topo_netmap_find(t, "m"), &spec, &v, &d), 0);
	ck_assert_contains(d.msgs[0], "the catch-all PID 'A' is also a kept PID");
	diag_free(&d);
	topo_free(t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, catch_all_and_lookup);
	tcase_add_test(tc, opaque_names_and_tags);
	tcase_add_test(tc, errors);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

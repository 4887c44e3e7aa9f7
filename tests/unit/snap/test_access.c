/* SPDX-License-Identifier: BSD-2-Clause */
/* access_build: views materialized from the maps, one catalog per
 * distinct role set holding exactly what its roles grant, the anonymous
 * catalog, and the fail-closed errors with their positions. */
#include <check.h>
#include <stdio.h>

#include "snap/access.h"
#include "util/err.h"
#include "conf/yp.h"
#include "testutil.h"

static const char *MAPS = "network-maps:\n"
                          "  m:\n"
                          "    pids:\n"
                          "      A: {ipv4: [10.0.0.0/8]}\n"
                          "      B: {ipv4: [192.0.2.0/24]}\n"
                          "      C: {ipv4: [0.0.0.0/0]}\n"
                          "  other: {pids: {X: {ipv4: [0.0.0.0/0]}}}\n"
                          "cost-maps:\n"
                          "  m:\n"
                          "    routingcost: {A: {A: 1, B: 2, C: 3}, B: {A: 2, B: 1, C: 4}, C: {A: 3, B: 4, C: 1}}\n"
                          "    hopcount: {A: {B: 1}}\n";

#define SECRET "a-secret-of-more-than-16"
#define CERT(n) "{roles: " n ", certificate: {san: x}}"

static struct topo *T;
static struct diag D;

static void setup(void)
{
	T = load_ok(MAPS);
	diag_init(&D);
}

static void teardown(void)
{
	topo_free(T);
	diag_free(&D);
}

static struct policy *policy_of(const char *text)
{
	struct yp y;
	char *key;
	struct diag pd;
	diag_init(&pd);
	ck_assert_int_eq(yp_open_mem(&y, "altod.yaml", text, strlen(text), &pd), 0);
	ck_assert(yp_mapping_begin(&y, "root"));
	ck_assert(yp_mapping_key(&y, &key, NULL));
	free(key);
	struct policy *p = policy_parse(&y, "altod.yaml");
	ck_assert(!yp_mapping_key(&y, &key, NULL));
	yp_close(&y);
	ck_assert_msg(pd.n == 0, "policy: %s", pd.n ? pd.msgs[0] : "");
	diag_free(&pd);
	return p;
}

static struct snapshot_access *build_ok(const char *policy_text)
{
	struct snapshot_access *a = NULL;
	int rc = access_build(policy_of(policy_text), T, &a, &D);
	ck_assert_msg(rc == 0, "access_build: %s", D.n ? D.msgs[0] : "(no message)");
	ck_assert_ptr_nonnull(a);
	return a;
}

/* access_build fails closed with exactly this first message. */
static void build_err(const char *policy_text, const char *want)
{
	struct snapshot_access *a = (void *)1;
	ck_assert_int_eq(access_build(policy_of(policy_text), T, &a, &D), ALTOD_ECONFIG);
	ck_assert_ptr_null(a);
	ck_assert_uint_ge(D.n, 1);
	ck_assert_str_eq(D.msgs[0], want);
	diag_free(&D);
	diag_init(&D);
}

static bool has(const struct catalog *c, const char *uri)
{
	return catalog_route(c, uri) != NULL;
}

static const char *ROLES =
        "access:\n"
        "  secret: " SECRET "\n"
        "  anonymous-role: public\n"
        "  clients:\n"
        "    a: " CERT(
                "[full]") "\n"
                          "    b: " CERT(
                                  "[viewer]") "\n"
                                              "    c: " CERT(
                                                      "[viewer, full]") "\n"
                                                                        "    d: " CERT(
                                                                                "[full, viewer]") "\n"
                                                                                                  "    e: " CERT(
                                                                                                          "[full, "
                                                                                                          "full]") "\n"
                                                                                                                   "   "
                                                                                                                   " f:"
                                                                                                                   " " CERT(
                                                                                                                           "[none]") "\n"
                                                                                                                                     "  roles:\n"
                                                                                                                                     "    full: [m, m-num-routingcost, m-filtered-costmap]\n"
                                                                                                                                     "    viewer: [tenant]\n"
                                                                                                                                     "    public: [other]\n"
                                                                                                                                     "    none: []\n"
                                                                                                                                     "  views:\n"
                                                                                                                                     "    tenant:\n"
                                                                                                                                     "      network-map: m\n"
                                                                                                                                     "      pids: [A]\n"
                                                                                                                                     "      costs: {routingcost: [ordinal]}\n";

/* One catalog per distinct role set: order and repeats of a client's roles
 * do not matter. */
START_TEST(catalogs_per_role_set)
{
	struct snapshot_access *a = build_ok(ROLES);
	ck_assert_uint_eq(a->ncats, 5); /* {full} {viewer} {full,viewer} {none} {public} */
	ck_assert_ptr_eq(a->client_cat[2], a->client_cat[3]);
	ck_assert_ptr_eq(a->client_cat[0], a->client_cat[4]);
	ck_assert_ptr_ne(a->client_cat[0], a->client_cat[1]);
	ck_assert_ptr_ne(a->client_cat[0], a->client_cat[2]);
	ck_assert_ptr_ne(a->anonymous, a->client_cat[0]);
	for (size_t i = 0; i < a->ncats; i++)
		ck_assert(a->cats[i]->private_);
	ck_assert(!a->universe->private_);
	access_free(a);
}
END_TEST

/* Exactly what the roles grant, and nothing else. */
START_TEST(catalog_contents)
{
	struct snapshot_access *a = build_ok(ROLES);
	const struct catalog *full = a->client_cat[0], *viewer = a->client_cat[1], *both = a->client_cat[2];
	const struct catalog *none = a->client_cat[5];

	ck_assert(has(full, "/"));
	ck_assert(has(full, "/networkmap/m"));
	ck_assert(has(full, "/costmap/m/routingcost/numerical"));
	ck_assert(has(full, "/costmap/m/filtered"));
	ck_assert(!has(full, "/costmap/m/routingcost/ordinal"));
	ck_assert(!has(full, "/costmap/m/hopcount/numerical"));
	ck_assert(!has(full, "/networkmap/m/filtered"));
	ck_assert(!has(full, "/endpointcost/m"));
	ck_assert(!has(full, "/endpointprop"));
	ck_assert(!has(full, "/networkmap/other"));
	ck_assert(!has(full, "/networkmap/tenant"));
	/* the filtered cost map offers only the granted cost type */
	const struct resource *fc = catalog_route(full, "/costmap/m/filtered");
	const struct topo_metric *rc = topo_metric_find(topo_netmap_find(T, "m"), "routingcost");
	const struct topo_metric *hc = topo_metric_find(topo_netmap_find(T, "m"), "hopcount");
	const struct topo_netmap *m = topo_netmap_find(T, "m");
	ck_assert_uint_eq(fc->cost_modes[rc - m->metrics], 1u << COST_NUMERICAL);
	ck_assert_uint_eq(fc->cost_modes[hc - m->metrics], 0);

	/* a granted view brings all its resources, and the endpoint property
	 * service; its costs only in the mode the view shows */
	ck_assert(has(viewer, "/networkmap/tenant"));
	ck_assert(has(viewer, "/networkmap/tenant/filtered"));
	ck_assert(has(viewer, "/costmap/tenant/routingcost/ordinal"));
	ck_assert(!has(viewer, "/costmap/tenant/routingcost/numerical"));
	ck_assert(!has(viewer, "/costmap/tenant/hopcount/ordinal"));
	ck_assert(has(viewer, "/endpointprop"));
	ck_assert(!has(viewer, "/networkmap/m"));
	ck_assert(!has(viewer, "/costmap/m/routingcost/numerical"));

	/* two roles: the union */
	ck_assert(has(both, "/networkmap/m"));
	ck_assert(has(both, "/networkmap/tenant"));
	ck_assert(!has(both, "/networkmap/other"));

	/* a role that grants nothing: the directory alone */
	ck_assert_uint_eq(none->nres, 1);
	ck_assert(has(none, "/"));
	ck_assert_uint_eq(none->nmaps, 0);

	/* anonymous: its role's grants */
	ck_assert(has(a->anonymous, "/networkmap/other"));
	ck_assert(!has(a->anonymous, "/networkmap/m"));
	ck_assert(!has(a->anonymous, "/networkmap/tenant"));

	/* the universe has everything, the views included */
	ck_assert(has(a->universe, "/networkmap/m"));
	ck_assert(has(a->universe, "/networkmap/other"));
	ck_assert(has(a->universe, "/networkmap/tenant"));
	ck_assert(has(a->universe, "/costmap/m/hopcount/ordinal"));
	access_free(a);
}
END_TEST

/* The view keeps its PIDs and the catch-all; the same GET resource is
 * rendered once and shared by every catalog that offers it. */
START_TEST(views_and_shared_bodies)
{
	struct snapshot_access *a = build_ok(ROLES);
	ck_assert_uint_eq(a->nviews, 1);
	const struct topo_netmap *v = &a->views[0];
	ck_assert_str_eq(v->id, "tenant");
	ck_assert_uint_ne(topo_pid_find(v, "A"), TOPO_NONE);
	ck_assert_uint_ne(topo_pid_find(v, "other"), TOPO_NONE);
	ck_assert_uint_eq(topo_pid_find(v, "B"), TOPO_NONE);
	ck_assert_uint_eq(v->order, T->nnetmaps); /* after the maps */
	const struct resource *u = catalog_route(a->universe, "/networkmap/m");
	const struct resource *c1 = catalog_route(a->client_cat[0], "/networkmap/m");
	const struct resource *c2 = catalog_route(a->client_cat[2], "/networkmap/m");
	ck_assert_ptr_nonnull(u->body);
	ck_assert_ptr_eq(c1->body, u->body);
	ck_assert_ptr_eq(c2->body, u->body);
	ck_assert_str_eq(c1->etag, u->etag);
	access_free(a);
}
END_TEST

START_TEST(no_anonymous_role)
{
	struct snapshot_access *a = build_ok("access:\n  clients: {a: " CERT("[r]") "}\n  roles: {r: [m]}\n");
	ck_assert_ptr_null(a->anonymous);
	ck_assert_uint_eq(a->ncats, 1);
	ck_assert_uint_eq(a->nviews, 0);
	ck_assert(has(a->client_cat[0], "/networkmap/m"));
	/* no secret: the nonce key stays zero */
	static const uint8_t zero[32];
	ck_assert_mem_eq(a->nonce_key, zero, 32);
	access_free(a);

	/* nothing but an anonymous role */
	a = build_ok("access:\n  anonymous-role: p\n  roles: {p: [other]}\n");
	ck_assert_ptr_nonnull(a->anonymous);
	ck_assert_uint_eq(a->ncats, 1);
	ck_assert(has(a->anonymous, "/networkmap/other"));
	access_free(a);
}
END_TEST

/* The Digest nonce key comes from the secret alone: replicas with the same
 * secret agree, another secret gives another key. */
START_TEST(nonce_key)
{
	static const uint8_t zero[32];
	struct snapshot_access *a = build_ok("access:\n  secret: " SECRET "\n");
	struct snapshot_access *b = build_ok("access:\n  secret: " SECRET "\n  roles: {r: [m]}\n");
	struct snapshot_access *c = build_ok("access:\n  secret: " SECRET "x\n");
	ck_assert_mem_ne(a->nonce_key, zero, 32);
	ck_assert_mem_eq(a->nonce_key, b->nonce_key, 32);
	ck_assert_mem_ne(a->nonce_key, c->nonce_key, 32);
	access_free(a);
	access_free(b);
	access_free(c);
}
END_TEST

/* Fail closed: every error is reported where it is written, and nothing
 * is built (the policy is freed with it: no leak under ASan). */
START_TEST(fail_closed)
{
	build_err("access:\n  secret: " SECRET "\n  views:\n    v: {network-map: nope}\n",
	          "altod.yaml:4:5: view 'v' is of network map 'nope', which is not defined");
	build_err("access:\n  secret: " SECRET "\n  views:\n    v: {network-map: m, costs: {delay-ow: [numerical]}}\n",
	          "altod.yaml:4:5: view 'v' shows cost metric 'delay-ow', which network map 'm' does not have");
	build_err("access:\n  secret: " SECRET "\n  views:\n    v: {network-map: m, pids: [A, Z]}\n",
	          "altod.yaml:4:35: view 'v': PID 'Z' is not defined in network map 'm'");
	build_err("access:\n  roles:\n    r: [m, ghost]\n",
	          "altod.yaml:3:12: role 'r' grants 'ghost', which is no resource or view");
	build_err("access:\n  roles:\n    r: [m-num-routingcost]\n",
	          "altod.yaml:3:9: role 'r' grants 'm-num-routingcost' but not the network map 'm' it is built on");
	build_err("access:\n  secret: " SECRET
	          "\n  views: {v: {network-map: m}}\n  roles:\n    r: [v-ord-routingcost]\n",
	          "altod.yaml:5:9: role 'r' grants 'v-ord-routingcost' but not the view 'v' it belongs to");
	/* a cost map a view does not show is no resource at all */
	build_err("access:\n  secret: " SECRET "\n"
	          "  views: {v: {network-map: m, costs: {routingcost: [ordinal]}}}\n"
	          "  roles:\n    r: [v, v-num-routingcost]\n",
	          "altod.yaml:5:12: role 'r' grants 'v-num-routingcost', which is no resource or view");
	/* every bad grant is reported */
	struct snapshot_access *a = NULL;
	ck_assert_int_eq(access_build(policy_of("access:\n  roles:\n    r: [x1, x2]\n    s: [x3]\n"), T, &a, &D),
	                 ALTOD_ECONFIG);
	ck_assert_uint_eq(D.n, 3);
	ck_assert_str_eq(D.msgs[2], "altod.yaml:4:9: role 's' grants 'x3', which is no resource or view");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, catalogs_per_role_set);
	tcase_add_test(tc, catalog_contents);
	tcase_add_test(tc, views_and_shared_bodies);
	tcase_add_test(tc, no_anonymous_role);
	tcase_add_test(tc, nonce_key);
	tcase_add_test(tc, fail_closed);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

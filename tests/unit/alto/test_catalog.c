/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Catalogs built from grants: the filtered cost map and the endpoint cost
 * service offer exactly the cost types of the cost maps granted, in the
 * directory and to the request parser; a type not granted fails exactly
 * like a type that does not exist.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alto/catalog.h"
#include "alto/errbody.h"
#include "alto/media.h"
#include "alto/request.h"
#include "fixtures.h"
#include "testutil.h"

#define NM "my-default-network-map"
#define FCM "/costmap/" NM "/filtered"
#define EC "/endpointcost/" NM

static struct topo *T;

static void setup(void)
{
	T = load_ok(RFC_MAPS);
}

static void teardown(void)
{
	topo_free(T);
}

/* grants: a NULL-terminated list of resource ids */
static bool in_list(void *ctx, const char *id)
{
	for (const char *const *g = ctx; *g; g++)
		if (strcmp(*g, id) == 0)
			return true;
	return false;
}

static struct catalog *build(const char *const *grants)
{
	const struct topo_netmap *maps[] = {&T->netmaps[0]};
	struct catalog_spec spec = {
	        .maps = maps,
	        .nmaps = 1,
	        .default_map = maps[0],
	        .granted = grants ? in_list : NULL,
	        .ctx = (void *)grants,
	        .private_ = grants != NULL,
	};
	struct catalog *c = NULL;
	struct diag d;
	diag_init(&d);
	ck_assert_int_eq(catalog_build(&spec, &c, &d), 0);
	diag_free(&d);
	return c;
}

static const char *const CDN[] = {NM, NM "-num-routingcost", NM "-filtered-costmap", NM "-endpoint-cost", NULL};

static uint8_t modes_of(const struct resource *r, const char *metric)
{
	const struct topo_metric *m = topo_metric_find(r->nm, metric);
	ck_assert_ptr_nonnull(m);
	return r->cost_modes[m - r->nm->metrics];
}

#define BOTH ((uint8_t)((1u << COST_NUMERICAL) | (1u << COST_ORDINAL)))

START_TEST(mask_of_public_catalog_is_every_type)
{
	struct catalog *c = build(NULL);
	for (int i = 0; i < 2; i++) {
		const struct resource *r = catalog_route(c, i ? EC : FCM);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(modes_of(r, "routingcost"), BOTH);
		ck_assert_uint_eq(modes_of(r, "hopcount"), BOTH);
	}
	catalog_free(c);
}
END_TEST

START_TEST(mask_is_the_granted_cost_maps)
{
	struct catalog *c = build(CDN);
	for (int i = 0; i < 2; i++) {
		const struct resource *r = catalog_route(c, i ? EC : FCM);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(modes_of(r, "routingcost"), 1u << COST_NUMERICAL);
		ck_assert_uint_eq(modes_of(r, "hopcount"), 0);
	}
	catalog_free(c);

	static const char *const two[] = {
	        NM, NM "-ord-hopcount", NM "-num-routingcost", NM "-ord-routingcost", NM "-endpoint-cost", NULL};
	c = build(two);
	ck_assert_ptr_null(catalog_route(c, FCM)); /* not granted itself */
	const struct resource *r = catalog_route(c, EC);
	ck_assert_uint_eq(modes_of(r, "routingcost"), BOTH);
	ck_assert_uint_eq(modes_of(r, "hopcount"), 1u << COST_ORDINAL);
	catalog_free(c);
}
END_TEST

START_TEST(directory_lists_only_granted_types)
{
	struct catalog *c = build(CDN);
	const struct resource *dir = catalog_route(c, "/");
	const char *ird = dir->body;
	ck_assert_contains(ird, "{\"meta\":{\"cost-types\":{\"num-routingcost\":{\"cost-mode\":\"numerical\","
	                        "\"cost-metric\":\"routingcost\"}},\"default-alto-network-map\"");
	ck_assert_contains(ird, "\"" NM "-filtered-costmap\":{\"uri\":\"" FCM "\",\"media-type\":"
	                        "\"application/alto-costmap+json\",\"accepts\":\"application/alto-costmapfilter+json\","
	                        "\"capabilities\":{\"cost-constraints\":true,\"cost-type-names\":[\"num-routingcost\"],"
	                        "\"max-cost-types\":1},"
	                        "\"uses\":[\"" NM "\"]}");
	ck_assert_contains(ird, "\"" NM "-endpoint-cost\":{\"uri\":\"" EC "\",\"media-type\":"
	                        "\"application/alto-endpointcost+json\",\"accepts\":"
	                        "\"application/alto-endpointcostparams+json\",\"capabilities\":{"
	                        "\"cost-constraints\":true,\"cost-type-names\":[\"num-routingcost\"],"
	                        "\"max-cost-types\":1}}");
	/* nothing of the other types anywhere */
	ck_assert_ptr_null(strstr(ird, "hopcount"));
	ck_assert_ptr_null(strstr(ird, "ord-"));
	ck_assert_ptr_null(strstr(ird, "ordinal"));
	catalog_free(c);

	/* several types: in the map's metric order, numerical before ordinal */
	static const char *const mixed[] = {NM, NM "-ord-hopcount", NM "-num-routingcost", NM "-filtered-costmap",
	                                    NULL};
	c = build(mixed);
	ird = catalog_route(c, "/")->body;
	ck_assert_contains(ird, "\"cost-type-names\":[\"ord-hopcount\",\"num-routingcost\"],\"max-cost-types\":2},"
	                        "\"uses\"");
	ck_assert_contains(ird, "\"meta\":{\"cost-types\":{\"ord-hopcount\":{\"cost-mode\":\"ordinal\",\"cost-metric\":"
	                        "\"hopcount\"},\"num-routingcost\":{\"cost-mode\":\"numerical\",\"cost-metric\":"
	                        "\"routingcost\"}},");
	catalog_free(c);
}
END_TEST

START_TEST(no_cost_map_granted_no_cost_service)
{
	/* the filtered cost map and endpoint cost granted, but no cost map of
	 * the network map: they would offer nothing, so they are not there */
	static const char *const none[] = {NM, NM "-filtered-costmap", NM "-endpoint-cost", NM "-filtered-networkmap",
	                                   NULL};
	struct catalog *c = build(none);
	ck_assert_ptr_null(catalog_route(c, FCM));
	ck_assert_ptr_null(catalog_route(c, EC));
	ck_assert_ptr_nonnull(catalog_route(c, "/networkmap/" NM "/filtered"));
	ck_assert_uint_eq(c->nres, 5); /* the directory, the map, its filter, TIPS, the update stream */
	ck_assert_ptr_nonnull(catalog_route(c, "/tips"));
	const char *ird = catalog_route(c, "/")->body;
	ck_assert_contains(ird, "{\"meta\":{\"cost-types\":{},");
	ck_assert_ptr_null(strstr(ird, "cost-type-names"));
	ck_assert_ptr_null(strstr(ird, "costmap"));
	ck_assert_ptr_null(strstr(ird, "endpoint"));
	catalog_free(c);
}
END_TEST

/* Parses a cost type request at uri of c; returns the rendered error
 * body (NULL: parsed). */
static char *parse_error(const struct catalog *c, const char *uri, const char *metric, const char *mode)
{
	char body[256];
	if (strcmp(uri, FCM) == 0)
		snprintf(body, sizeof(body), "{\"cost-type\":{\"cost-metric\":\"%s\",\"cost-mode\":\"%s\"}}", metric,
		         mode);
	else
		snprintf(body, sizeof(body),
		         "{\"cost-type\":{\"cost-metric\":\"%s\",\"cost-mode\":\"%s\"},"
		         "\"endpoints\":{\"srcs\":[\"ipv4:192.0.2.1\"],\"dsts\":[\"ipv4:198.51.100.200\"]}}",
		         metric, mode);
	struct endpoint client = {.text = "ipv4:192.0.2.7", .family = IP_V4, .addr = {192, 0, 2, 7}};
	struct request req;
	struct alto_error err = {0};
	const struct resource *r = catalog_route(c, uri);
	ck_assert_ptr_nonnull(r);
	int rc = request_parse(r, c, body, strlen(body), &client, NULL, &req, &err);
	char *out = NULL;
	if (rc == 0) {
		ck_assert_ptr_eq(req.ct.metric, topo_metric_find(r->nm, metric));
		ck_assert_str_eq(cost_mode_name(req.ct.mode), mode);
	} else {
		size_t len;
		out = alto_error_render(&err, &len);
		ck_assert_ptr_nonnull(out);
	}
	request_free(&req);
	alto_error_clear(&err);
	return out;
}

/* s with every `from` replaced by `to` (of the same length) */
static char *swap(char *s, const char *from, const char *to)
{
	ck_assert_uint_eq(strlen(from), strlen(to));
	for (char *p = strstr(s, from); p; p = strstr(p + strlen(to), from))
		memcpy(p, to, strlen(to));
	return s;
}

START_TEST(ungranted_type_is_an_unknown_type)
{
	struct catalog *c = build(CDN);
	static const char *const uris[] = {FCM, EC};
	for (int i = 0; i < 2; i++) {
		/* the granted type parses */
		ck_assert_ptr_null(parse_error(c, uris[i], "routingcost", "numerical"));
		/* a metric granted in no mode: as a metric that does not exist
		 * (same length, so even Content-Length agrees) */
		for (int mode = 0; mode < COST_MODES; mode++) {
			char *got = parse_error(c, uris[i], "hopcount", cost_mode_name((enum cost_mode)mode));
			char *unknown = parse_error(c, uris[i], "hopcounx", cost_mode_name((enum cost_mode)mode));
			ck_assert_ptr_nonnull(got);
			ck_assert_ptr_nonnull(unknown);
			ck_assert_str_eq(got, "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":"
			                      "\"cost-type/cost-metric\",\"value\":\"hopcount\"}}");
			ck_assert_str_eq(got, swap(unknown, "hopcounx", "hopcount"));
			free(got);
			free(unknown);
		}
		/* a mode not granted: as a mode that does not exist */
		char *got = parse_error(c, uris[i], "routingcost", "ordinal");
		char *unknown = parse_error(c, uris[i], "routingcost", "ordinax");
		ck_assert_str_eq(got, "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":"
		                      "\"cost-type/cost-mode\",\"value\":\"ordinal\"}}");
		ck_assert_str_eq(got, swap(unknown, "ordinax", "ordinal"));
		free(got);
		free(unknown);
	}
	/* spelled otherwise, still not granted: a JSON escape, a NUL, case */
	static const char *const tricks[] = {
	        "{\"cost-type\":{\"cost-metric\":\"hop\\u0063ount\",\"cost-mode\":\"numerical\"}}",
	        "{\"cost-type\":{\"cost-metric\":\"hopcount\\u0000\",\"cost-mode\":\"numerical\"}}",
	        "{\"cost-type\":{\"cost-metric\":\"HOPCOUNT\",\"cost-mode\":\"numerical\"}}",
	        "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"Ordinal\"}}",
	        "{\"cost-type\":{\"cost-metric\":\"routingcost\",\"cost-mode\":\"ordinal\\u0000\"}}",
	};
	for (size_t i = 0; i < sizeof(tricks) / sizeof(tricks[0]); i++) {
		struct request req;
		struct alto_error err = {0};
		ck_assert_int_ne(
		        request_parse(catalog_route(c, FCM), c, tricks[i], strlen(tricks[i]), NULL, NULL, &req, &err),
		        0);
		ck_assert_str_eq(err.code, E_INVALID_FIELD_VALUE);
		ck_assert_str_eq(err.field, i < 3 ? "cost-type/cost-metric" : "cost-type/cost-mode");
		request_free(&req);
		alto_error_clear(&err);
	}
	catalog_free(c);

	/* the public catalog still takes every type */
	c = build(NULL);
	for (int i = 0; i < 2; i++)
		for (int mode = 0; mode < COST_MODES; mode++) {
			ck_assert_ptr_null(parse_error(c, uris[i], "hopcount", cost_mode_name((enum cost_mode)mode)));
			ck_assert_ptr_null(
			        parse_error(c, uris[i], "routingcost", cost_mode_name((enum cost_mode)mode)));
		}
	catalog_free(c);
}
END_TEST

/* The directory per URI base: every URI of the relative one prefixed,
 * nothing else changed; at most CATALOG_DIR_HOSTS bases from requests and
 * CATALOG_DIR_CONFIGURED from configuration kept, the rest spliced into a
 * copy each, with the same bytes and ETag as a kept one would have. */
START_TEST(directory_per_base_is_bounded)
{
	struct catalog *c = build(NULL);
	const struct resource *dir = catalog_route(c, "/");
	size_t nuri = 0;
	for (const char *p = dir->body; (p = strstr(p, "\"uri\":\"/")); p++)
		nuri++;
	ck_assert_uint_gt(nuri, 5);
	char base[64], keep_etag[28] = "";
	struct dir_view v;
	for (int i = 0; i < CATALOG_DIR_HOSTS + 10; i++) {
		int n = snprintf(base, sizeof(base), "http://h%d.example:8080", i);
		ck_assert_int_eq(catalog_directory(c, base, (size_t)n, false, &v), 0);
		/* kept: the first CATALOG_DIR_HOSTS; then a copy each */
		ck_assert(i < CATALOG_DIR_HOSTS ? v.owned == NULL : v.owned != NULL);
		ck_assert_uint_eq(v.body_len, dir->body_len + nuri * (size_t)n);
		/* the relative directory back when the base is taken out */
		char *back = malloc(v.body_len + 1), *o = back;
		for (size_t k = 0; k < v.body_len;) {
			if (k + (size_t)n <= v.body_len && memcmp(v.body + k, base, (size_t)n) == 0)
				k += (size_t)n;
			else
				*o++ = v.body[k++];
		}
		ck_assert_uint_eq((size_t)(o - back), dir->body_len);
		ck_assert_int_eq(memcmp(back, dir->body, dir->body_len), 0);
		free(back);
		if (i == 0)
			memcpy(keep_etag, v.etag, strlen(v.etag) + 1);
		free(v.owned);
	}
	/* a kept base: the same rendering again */
	ck_assert_int_eq(catalog_directory(c, "http://h0.example:8080", 22, false, &v), 0);
	ck_assert_ptr_null(v.owned);
	ck_assert_str_eq(v.etag, keep_etag);
	ck_assert_ptr_nonnull(v.gz); /* kept ones are compressed once */
	/* the host slots are full; configured bases have their own */
	for (int i = 0; i < CATALOG_DIR_CONFIGURED + 2; i++) {
		int n = snprintf(base, sizeof(base), "https://conf%d.example/alto", i);
		ck_assert_int_eq(catalog_directory(c, base, (size_t)n, true, &v), 0);
		ck_assert(i < CATALOG_DIR_CONFIGURED ? v.owned == NULL : v.owned != NULL);
		free(v.owned);
	}
	/* a spliced copy has the ETag a kept rendering of the same bytes has */
	struct catalog *c2 = build(NULL);
	ck_assert_int_eq(catalog_directory(c2, "http://h20.example:8080", 23, false, &v), 0);
	ck_assert_ptr_null(v.owned);
	char kept[28];
	memcpy(kept, v.etag, strlen(v.etag) + 1);
	ck_assert_int_eq(catalog_directory(c, "http://h20.example:8080", 23, false, &v), 0);
	ck_assert_ptr_nonnull(v.owned);
	ck_assert_str_eq(v.etag, kept);
	free(v.owned);
	catalog_free(c2);
	catalog_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mask_of_public_catalog_is_every_type);
	tcase_add_test(tc, mask_is_the_granted_cost_maps);
	tcase_add_test(tc, directory_lists_only_granted_types);
	tcase_add_test(tc, no_cost_map_granted_no_cost_service);
	tcase_add_test(tc, ungranted_type_is_an_unknown_type);
	tcase_add_test(tc, directory_per_base_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

/* SPDX-License-Identifier: BSD-2-Clause */
/* Rendering of whole resources and service responses, byte for byte. */
#include <check.h>
#include <math.h>
#include <zlib.h>
#include <stdio.h>

#include "alto/catalog.h"
#include "alto/media.h"
#include "alto/render.h"
#include "alto/representation.h"
#include "alto/request.h"
#include "alto/service.h"
#include "fixtures.h"
#include "testutil.h"

static struct topo *T;
static struct catalog *C;
static char tag[80];

static void setup(void)
{
	struct diag d;
	T = load_ok(RFC_MAPS);
	diag_init(&d);
	ck_assert_int_eq(catalog_build_topo(T, &C, &d), 0);
	diag_free(&d);
	snprintf(tag, sizeof(tag), "%s", T->netmaps[0].vtag);
}

static void teardown(void)
{
	catalog_free(C);
	topo_free(T);
}

static char *expand(const char *fmt)
{
	/* replaces every %T with the map's vtag */
	static char out[4096];
	char *o = out;
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 'T') {
			o += sprintf(o, "%s", tag);
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static const char *body_of(const char *uri)
{
	const struct resource *r = catalog_route(C, uri);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(r->body);
	ck_assert_uint_eq(strlen(r->body), r->body_len);
	return r->body;
}

START_TEST(network_map)
{
	ck_assert_str_eq(body_of("/networkmap/my-default-network-map"),
	                 expand("{\"meta\":{\"vtag\":{\"resource-id\":\"my-default-network-map\",\"tag\":\"%T\"}},"
	                        "\"network-map\":{\"PID1\":{\"ipv4\":[\"192.0.2.0/24\",\"198.51.100.0/25\"]},"
	                        "\"PID2\":{\"ipv4\":[\"198.51.100.128/25\"]},"
	                        "\"PID3\":{\"ipv4\":[\"0.0.0.0/0\"],\"ipv6\":[\"::/0\"]}}}"));
}
END_TEST

START_TEST(cost_maps)
{
	ck_assert_str_eq(body_of("/costmap/my-default-network-map/routingcost/numerical"),
	                 expand("{\"meta\":{\"dependent-vtags\":[{\"resource-id\":\"my-default-network-map\",\"tag\":"
	                        "\"%T\"}],\"cost-type\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"}},"
	                        "\"cost-map\":{\"PID1\":{\"PID1\":1,\"PID2\":5,\"PID3\":10},"
	                        "\"PID2\":{\"PID1\":5,\"PID2\":1,\"PID3\":15},\"PID3\":{\"PID1\":20,\"PID2\":15}}}"));
	ck_assert_str_eq(body_of("/costmap/my-default-network-map/routingcost/ordinal"),
	                 expand("{\"meta\":{\"dependent-vtags\":[{\"resource-id\":\"my-default-network-map\",\"tag\":"
	                        "\"%T\"}],\"cost-type\":{\"cost-mode\":\"ordinal\",\"cost-metric\":\"routingcost\"}},"
	                        "\"cost-map\":{\"PID1\":{\"PID1\":1,\"PID2\":2,\"PID3\":3},"
	                        "\"PID2\":{\"PID1\":2,\"PID2\":1,\"PID3\":4},\"PID3\":{\"PID1\":5,\"PID2\":4}}}"));
	/* a source with no cost at all is left out */
	ck_assert_str_eq(body_of("/costmap/my-default-network-map/hopcount/ordinal"),
	                 expand("{\"meta\":{\"dependent-vtags\":[{\"resource-id\":\"my-default-network-map\",\"tag\":"
	                        "\"%T\"}],\"cost-type\":{\"cost-mode\":\"ordinal\",\"cost-metric\":\"hopcount\"}},"
	                        "\"cost-map\":{\"PID1\":{\"PID1\":1,\"PID2\":2,\"PID3\":3}}}"));
}
END_TEST

START_TEST(directory)
{
	const char *ird = body_of("/");
	ck_assert_contains(ird, "\"default-alto-network-map\":\"my-default-network-map\"");
	ck_assert_contains(ird, "\"num-routingcost\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"}");
	ck_assert_contains(ird, "\"ord-hopcount\":{\"cost-mode\":\"ordinal\",\"cost-metric\":\"hopcount\"}");
	ck_assert_contains(ird, "\"my-default-network-map\":{\"uri\":\"/networkmap/my-default-network-map\","
	                        "\"media-type\":\"application/alto-networkmap+json\"}");
	ck_assert_contains(ird, "\"my-default-network-map-ord-routingcost\":{\"uri\":\"/costmap/my-default-network-map/"
	                        "routingcost/ordinal\",\"media-type\":\"application/alto-costmap+json\","
	                        "\"capabilities\":{\"cost-type-names\":[\"ord-routingcost\"]},"
	                        "\"uses\":[\"my-default-network-map\"]}");
	ck_assert_contains(ird,
	                   "\"my-default-network-map-filtered-costmap\":{\"uri\":\"/costmap/my-default-network-map/"
	                   "filtered\",\"media-type\":\"application/alto-costmap+json\",\"accepts\":"
	                   "\"application/alto-costmapfilter+json\",\"capabilities\":{\"cost-constraints\":true,"
	                   "\"cost-type-names\":[\"num-hopcount\",\"ord-hopcount\",\"num-routingcost\","
	                   "\"ord-routingcost\"],\"max-cost-types\":4},\"uses\":[\"my-default-network-map\"]}");
	/* §11.5.1.5: no "uses" on the endpoint cost service */
	ck_assert_contains(ird,
	                   "\"my-default-network-map-endpoint-cost\":{\"uri\":\"/endpointcost/my-default-network-map\","
	                   "\"media-type\":\"application/alto-endpointcost+json\",\"accepts\":"
	                   "\"application/alto-endpointcostparams+json\",\"capabilities\":{\"cost-constraints\":true,"
	                   "\"cost-type-names\":[\"num-hopcount\",\"ord-hopcount\",\"num-routingcost\","
	                   "\"ord-routingcost\"],\"max-cost-types\":4}}");
	ck_assert_contains(ird, "\"endpoint-property\":{\"uri\":\"/endpointprop\",\"media-type\":"
	                        "\"application/alto-endpointprop+json\",\"accepts\":"
	                        "\"application/alto-endpointpropparams+json\",\"capabilities\":{\"prop-types\":"
	                        "[\"my-default-network-map.pid\"]}}");
}
END_TEST

static char *run(const char *uri, const char *body)
{
	const struct resource *r = catalog_route(C, uri);
	struct endpoint client = {.text = "ipv4:192.0.2.7", .family = IP_V4, .addr = {192, 0, 2, 7}};
	struct request req;
	struct alto_error err = {0};
	size_t len;
	ck_assert_ptr_nonnull(r);
	int rc = request_parse(r, C, body, strlen(body), &client, NULL, &req, &err);
	ck_assert_msg(rc == 0, "parse failed: %s %s", err.code, err.field ? err.field : "");
	char *out = service_run(r, &req, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), len);
	request_free(&req);
	return out;
}

#define FCM "/costmap/my-default-network-map/filtered"

START_TEST(filtered_cost_map)
{
	char *out = run(FCM, "{\"cost-type\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"},"
	                     "\"pids\":{\"srcs\":[\"PID1\"],\"dsts\":[\"PID1\",\"PID2\",\"PID3\"]}}");
	ck_assert_contains(out, "\"cost-map\":{\"PID1\":{\"PID1\":1,\"PID2\":5,\"PID3\":10}}}");
	free(out);
	/* constraints ANDed, in numerical mode */
	out = run(FCM, "{\"cost-type\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"},"
	               "\"constraints\":[\"ge 5\",\"lt 20\"]}");
	ck_assert_contains(out, "\"cost-map\":{\"PID1\":{\"PID2\":5,\"PID3\":10},\"PID2\":{\"PID1\":5,\"PID3\":15},"
	                        "\"PID3\":{\"PID2\":15}}}");
	free(out);
	/* ordinal: ranked among the m*n selected pairs (§6.2) */
	out = run(FCM, "{\"cost-type\":{\"cost-mode\":\"ordinal\",\"cost-metric\":\"routingcost\"},"
	               "\"pids\":{\"srcs\":[\"PID2\",\"PID3\"],\"dsts\":[\"PID1\",\"PID9\"]}}");
	ck_assert_contains(out, "\"cost-map\":{\"PID2\":{\"PID1\":1},\"PID3\":{\"PID1\":2}}}");
	free(out);
	/* ordinal constraints compare ranks */
	out = run(FCM, "{\"cost-type\":{\"cost-mode\":\"ordinal\",\"cost-metric\":\"routingcost\"},"
	               "\"constraints\":[\"le 2\"]}");
	ck_assert_contains(out, "\"cost-map\":{\"PID1\":{\"PID1\":1,\"PID2\":2},\"PID2\":{\"PID1\":2,\"PID2\":1}}}");
	free(out);
	/* nothing meets the constraint: an empty cost map */
	out = run(FCM, "{\"cost-type\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"},"
	               "\"constraints\":[\"gt 100\"]}");
	ck_assert_contains(out, "\"cost-map\":{}}");
	free(out);
}
END_TEST

START_TEST(filtered_network_map)
{
	char *out = run("/networkmap/my-default-network-map/filtered",
	                "{\"pids\":[\"PID3\",\"PID2\"],\"address-types\":[\"ipv6\"]}");
	ck_assert_str_eq(out, expand("{\"meta\":{\"vtag\":{\"resource-id\":\"my-default-network-map\",\"tag\":\"%T\"}},"
	                             "\"network-map\":{\"PID2\":{},\"PID3\":{\"ipv6\":[\"::/0\"]}}}"));
	free(out);
	out = run("/networkmap/my-default-network-map/filtered", "{\"pids\":[\"nope\"]}");
	ck_assert_contains(out, "\"network-map\":{}}");
	free(out);
}
END_TEST

START_TEST(endpoint_property)
{
	char *out = run("/endpointprop",
	                "{\"properties\":[\"my-default-network-map.pid\"],"
	                "\"endpoints\":[\"ipv4:192.0.2.34\",\"ipv4:203.0.113.129\",\"ipv6:2001:db8::1\"]}");
	ck_assert_str_eq(out, expand("{\"meta\":{\"dependent-vtags\":[{\"resource-id\":\"my-default-network-map\","
	                             "\"tag\":\"%T\"}]},\"endpoint-properties\":{"
	                             "\"ipv4:192.0.2.34\":{\"my-default-network-map.pid\":\"PID1\"},"
	                             "\"ipv4:203.0.113.129\":{\"my-default-network-map.pid\":\"PID3\"},"
	                             "\"ipv6:2001:db8::1\":{\"my-default-network-map.pid\":\"PID3\"}}}"));
	free(out);
}
END_TEST

START_TEST(endpoint_cost)
{
	/* RFC 7285 §11.5.1.7's request over the example maps */
	char *out = run("/endpointcost/my-default-network-map",
	                "{\"cost-type\":{\"cost-mode\":\"ordinal\",\"cost-metric\":\"routingcost\"},"
	                "\"endpoints\":{\"srcs\":[\"ipv4:192.0.2.2\"],\"dsts\":[\"ipv4:192.0.2.89\","
	                "\"ipv4:198.51.100.34\",\"ipv4:203.0.113.45\"]}}");
	ck_assert_str_eq(out, "{\"meta\":{\"cost-type\":{\"cost-mode\":\"ordinal\",\"cost-metric\":\"routingcost\"}},"
	                      "\"endpoint-cost-map\":{\"ipv4:192.0.2.2\":{\"ipv4:192.0.2.89\":1,"
	                      "\"ipv4:198.51.100.34\":1,\"ipv4:203.0.113.45\":2}}}");
	free(out);
	out = run("/endpointcost/my-default-network-map",
	          "{\"cost-type\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"},"
	          "\"constraints\":[\"gt 1\"],"
	          "\"endpoints\":{\"srcs\":[\"ipv4:198.51.100.200\",\"ipv6:::1\"],\"dsts\":[\"ipv4:192.0.2.1\","
	          "\"ipv6:2001:db8::\"]}}");
	/* PID2->PID1 5, PID2->PID3 15, PID3->PID1 20, PID3->PID3 undefined */
	ck_assert_str_eq(out,
	                 "{\"meta\":{\"cost-type\":{\"cost-mode\":\"numerical\",\"cost-metric\":\"routingcost\"}},"
	                 "\"endpoint-cost-map\":{\"ipv4:198.51.100.200\":{\"ipv4:192.0.2.1\":5,\"ipv6:2001:db8::\":15},"
	                 "\"ipv6:::1\":{\"ipv4:192.0.2.1\":20}}}");
	free(out);
}
END_TEST

START_TEST(numbers)
{
	struct buf b;
	buf_init(&b);
	jw_num(&b, 0);
	buf_putc(&b, ' ');
	jw_num(&b, 1.5);
	buf_putc(&b, ' ');
	jw_num(&b, 0.1);
	buf_putc(&b, ' ');
	jw_num(&b, 1e300);
	buf_putc(&b, ' ');
	jw_num(&b, 123456789012.0);
	buf_putc(&b, ' ');
	jw_str(&b, "a\"b\\c\n\x01");
	ck_assert_str_eq(b.data, "0 1.5 0.1 1e+300 123456789012 \"a\\\"b\\\\c\\n\\u0001\"");
	buf_free(&b);
}
END_TEST

/* The shortest "%.{15,16,17}g" that reads back: what jw_num printed before
 * its fixed-point fast path, and must still print. */
static void reference_num(double v, char *out, size_t size)
{
	if (v >= 0 && v < 9007199254740992.0 && v == floor(v)) {
		snprintf(out, size, "%llu", (unsigned long long)v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, size, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* jw_num against the reference for decimals with 1..8 fraction digits,
 * negative ones, values around the fast path's edges (1e-4, 1e9) and
 * arbitrary doubles: byte for byte the same, and each reads back. */
START_TEST(numbers_fast_path)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
	static const double edges[] = {1e-4, 0.00011, 0.000099, 9.99999e8, 999999999.5, 1e9,           1e9 + 0.5,
	                               -0.5, 0.3,     2.675,    1.005,     0.1 + 0.2,   123456.789012, 5e-324};
	char want[64];
	for (size_t i = 0; i < 100000; i++) {
		double v;
		if (i < sizeof(edges) / sizeof(edges[0])) {
			v = edges[i];
		} else if (i % 3 == 0) {
			uint64_t bits = next();
			memcpy(&v, &bits, sizeof(v));
			if (!isfinite(v))
				continue;
		} else {
			int d = (int)(next() % 9);
			v = (double)(next() % 2000000000000ull) / p10[d];
			if (i % 5 == 0)
				v = -v;
			if (i % 7 == 0)
				v /= 1e6;
		}
		struct buf b;
		buf_init(&b);
		jw_num(&b, v);
		reference_num(v, want, sizeof(want));
		ck_assert_msg(strcmp(b.data, want) == 0, "%.17g: jw_num %s, reference %s", v, b.data, want);
		ck_assert(strtod(b.data, NULL) == v);
		buf_free(&b);
	}
}
END_TEST

/* The chunked, parallel gzip: every length around chunk boundaries, text
 * and incompressible bytes, decodes (zlib, gzip wrapper, CRC and length
 * checked by inflate) to the input, and the same input gives the same
 * bytes. */
START_TEST(gzip_chunks)
{
	static const size_t chunks[] = {100, 4096, 1 << 20};
	static const size_t lens[] = {0, 1, 99, 100, 101, 4095, 4096, 4097, 40000, 300001};
	char *in = malloc(300001);
	static const char text[] = "{\"pid\":[\"10.0.0.0/8\"],}";
	for (size_t i = 0; i < 300001; i++) /* JSON-like text, then noise */
		in[i] = i < 200000 ? text[i % (sizeof(text) - 1)] : (char)(next() & 0xff);
	char *back = malloc(300001 + 1);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			size_t len = lens[l], gz_len = 0, gz2_len = 0;
			const char *data = len > 200000 ? in : in + 300001 - len; /* also pure noise */
			if (l % 2)
				data = in;
			char *gz = representation_gzip(data, len, chunks[c], &gz_len);
			char *gz2 = representation_gzip(data, len, chunks[c], &gz2_len);
			ck_assert_ptr_nonnull(gz);
			ck_assert_uint_eq(gz_len, gz2_len);
			ck_assert_int_eq(memcmp(gz, gz2, gz_len), 0);
			z_stream z;
			memset(&z, 0, sizeof(z));
			ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
			z.next_in = (Bytef *)gz;
			z.avail_in = (uInt)gz_len;
			z.next_out = (Bytef *)back;
			z.avail_out = (uInt)(300001 + 1);
			ck_assert_msg(inflate(&z, Z_FINISH) == Z_STREAM_END, "len %zu chunk %zu", len, chunks[c]);
			ck_assert_uint_eq(z.total_out, len);
			ck_assert_uint_eq(z.avail_in, 0);
			ck_assert_int_eq(memcmp(back, data, len), 0);
			inflateEnd(&z);
			free(gz);
			free(gz2);
		}
	/* priming each chunk with the 32 KiB before it keeps the ratio of one stream */
	size_t one = 0, many = 0;
	free(representation_gzip(in, 200000, 1 << 20, &one));
	free(representation_gzip(in, 200000, 40000, &many));
	ck_assert_uint_le(many, one + 5 * 16);
	free(in);
	free(back);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, network_map);
	tcase_add_test(tc, cost_maps);
	tcase_add_test(tc, directory);
	tcase_add_test(tc, filtered_cost_map);
	tcase_add_test(tc, filtered_network_map);
	tcase_add_test(tc, endpoint_property);
	tcase_add_test(tc, endpoint_cost);
	tcase_add_test(tc, numbers_fast_path);
	tcase_add_test(tc, gzip_chunks);
	tcase_add_test(tc, numbers);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

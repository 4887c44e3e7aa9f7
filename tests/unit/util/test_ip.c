/* SPDX-License-Identifier: BSD-2-Clause */
/* Addresses and CIDR prefixes (RFC 7285 §10.4): every malformed form is
 * refused with its reason, the printed form is canonical (RFC 5952), and
 * parse(format(p)) == p. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"
#include "util/ip.h"
#include "testutil.h"

/* ck_assert records a mark point through a pipe on every call: hot loops
 * check with this instead, and fail with the same message. */
#define CHECK(cond, ...)                           \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static void prefix_ok(const char *in, enum ip_family f, const char *canon, unsigned len)
{
	struct ip_prefix p;
	const char *why = "unset";
	char out[IP_PREFIX_STRLEN];
	ck_assert_msg(ip_prefix_parse(in, f, &p, &why) == 0, "%s refused: %s", in, why);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(p.family, f);
	ck_assert_uint_eq(p.len, len);
	ip_prefix_format(&p, out);
	ck_assert_str_eq(out, canon);
}

static void prefix_bad(const char *in, enum ip_family f, const char *why_want)
{
	struct ip_prefix p;
	const char *why = NULL;
	ck_assert_msg(ip_prefix_parse(in, f, &p, &why) == ALTOD_EINVAL, "'%s' accepted", in);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strcmp(why, why_want) == 0, "'%s': '%s', want '%s'", in, why, why_want);
}

START_TEST(v4_prefixes)
{
	prefix_ok("192.0.2.0/24", IP_V4, "192.0.2.0/24", 24);
	prefix_ok("0.0.0.0/0", IP_V4, "0.0.0.0/0", 0);
	prefix_ok("255.255.255.255/32", IP_V4, "255.255.255.255/32", 32);
	prefix_ok("198.51.100.128/25", IP_V4, "198.51.100.128/25", 25);
	prefix_ok("10.0.0.0/8", IP_V4, "10.0.0.0/8", 8);
	struct ip_prefix p;
	const char *why;
	ck_assert_int_eq(ip_prefix_parse("192.0.2.128/25", IP_V4, &p, &why), 0);
	static const uint8_t want[4] = {192, 0, 2, 128};
	ck_assert_mem_eq(p.addr, want, 4);
	for (int i = 4; i < 16; i++)
		ck_assert_uint_eq(p.addr[i], 0);
}
END_TEST

START_TEST(v4_malformed)
{
	prefix_bad("192.0.2.0", IP_V4, "prefix lacks a /length");
	prefix_bad("", IP_V4, "prefix lacks a /length");
	prefix_bad("/24", IP_V4, "not an IPv4 address");
	prefix_bad("192.0.2.0/", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/024", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/00", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/2a", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/a", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/+4", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/-1", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/ 24", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/24 ", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/24/24", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/1000", IP_V4, "bad prefix length");
	prefix_bad("192.0.2.0/33", IP_V4, "prefix length out of range");
	prefix_bad("192.0.2.0/999", IP_V4, "prefix length out of range");
	/* only dotted quads: no short forms, octal, hex, or extra parts */
	prefix_bad("192.0.2/24", IP_V4, "not an IPv4 address");
	prefix_bad("192.0.02.0/24", IP_V4, "not an IPv4 address");
	prefix_bad("0xc0.0.2.0/24", IP_V4, "not an IPv4 address");
	prefix_bad("192.0.2.0.0/24", IP_V4, "not an IPv4 address");
	prefix_bad("256.0.2.0/24", IP_V4, "not an IPv4 address");
	prefix_bad(" 192.0.2.0/24", IP_V4, "not an IPv4 address");
	prefix_bad("192.0.2.0 /24", IP_V4, "not an IPv4 address");
	prefix_bad("3232236032/24", IP_V4, "not an IPv4 address");
	prefix_bad("2001:db8::/32", IP_V4, "not an IPv4 address");
	/* longer than any address: refused before copying */
	prefix_bad("1111111111111111111111111111111111111111111111111111111111111/8", IP_V4, "not an IPv4 address");
	/* host bits after the length */
	prefix_bad("192.0.2.1/24", IP_V4, "host bits set after the prefix length");
	prefix_bad("192.0.2.128/24", IP_V4, "host bits set after the prefix length");
	prefix_bad("1.0.0.0/0", IP_V4, "host bits set after the prefix length");
	prefix_bad("0.0.0.1/31", IP_V4, "host bits set after the prefix length");
}
END_TEST

START_TEST(v6_prefixes)
{
	prefix_ok("2001:db8::/32", IP_V6, "2001:db8::/32", 32);
	prefix_ok("::/0", IP_V6, "::/0", 0);
	/* canonical text: lowercase, zeros compressed, leading zeros dropped */
	prefix_ok("2001:DB8:0:0:0:0:0:0/32", IP_V6, "2001:db8::/32", 32);
	prefix_ok("2001:0db8:0000:0000:0000:0000:0000:0001/128", IP_V6, "2001:db8::1/128", 128);
	prefix_ok("2001:db8:0:0:1:0:0:0/80", IP_V6, "2001:db8:0:0:1::/80", 80); /* the longest run */
	/* RFC 5952 §4.2.3: the first of two equal runs of zeros is compressed */
	prefix_ok("2001:db8:0:0:1:0:0:1/128", IP_V6, "2001:db8::1:0:0:1/128", 128);
	/* §4.2.2: a single zero field is not compressed */
	prefix_ok("2001:db8:0:1:1:1:1:1/128", IP_V6, "2001:db8:0:1:1:1:1:1/128", 128);
	/* IPv4-mapped (RFC 4291 §2.5.5.2): printed in its mixed form */
	prefix_ok("::ffff:192.0.2.0/120", IP_V6, "::ffff:192.0.2.0/120", 120);
	prefix_ok("::FFFF:c000:0200/120", IP_V6, "::ffff:192.0.2.0/120", 120);
	prefix_ok("::ffff:0:0/96", IP_V6, "::ffff:0.0.0.0/96", 96);
	struct ip_prefix p;
	const char *why;
	ck_assert_int_eq(ip_prefix_parse("::ffff:192.0.2.1/128", IP_V6, &p, &why), 0);
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
	ck_assert_mem_eq(p.addr, mapped, 16);
}
END_TEST

START_TEST(v6_malformed)
{
	prefix_bad("2001:db8::", IP_V6, "prefix lacks a /length");
	prefix_bad("/64", IP_V6, "not an IPv6 address");
	prefix_bad("2001:db8::/129", IP_V6, "prefix length out of range");
	prefix_bad("2001:db8::/0128", IP_V6, "bad prefix length");
	prefix_bad("2001:db8::/1280", IP_V6, "bad prefix length");
	prefix_bad("2001:db8:::/32", IP_V6, "not an IPv6 address");
	prefix_bad("2001:db8::1::/32", IP_V6, "not an IPv6 address");
	prefix_bad("2001:db8:0:0:0:0:0:0:0/32", IP_V6, "not an IPv6 address");
	prefix_bad("2001:db8:0:0:0:0:0/32", IP_V6, "not an IPv6 address");
	prefix_bad("2001:db8g::/32", IP_V6, "not an IPv6 address");
	prefix_bad("12345::/16", IP_V6, "not an IPv6 address");
	prefix_bad("fe80::%eth0/64", IP_V6, "not an IPv6 address");
	prefix_bad("[2001:db8::]/32", IP_V6, "not an IPv6 address");
	prefix_bad("192.0.2.0/24", IP_V6, "not an IPv6 address");
	prefix_bad("::ffff:192.0.2/120", IP_V6, "not an IPv6 address");
	prefix_bad("2001:db8::1/64", IP_V6, "host bits set after the prefix length");
	prefix_bad("::1/127", IP_V6, "host bits set after the prefix length");
	prefix_bad("8000::/0", IP_V6, "host bits set after the prefix length");
	prefix_bad("::ffff:192.0.2.1/120", IP_V6, "host bits set after the prefix length");
}
END_TEST

START_TEST(addresses_and_endpoints)
{
	uint8_t a[16];
	enum ip_family f = 0;
	memset(a, 0xaa, sizeof(a));
	ck_assert_int_eq(ip_addr_parse("192.0.2.1", IP_V4, a), 0);
	static const uint8_t v4[16] = {192, 0, 2, 1};
	ck_assert_mem_eq(a, v4, 16); /* the rest zeroed */
	ck_assert_int_eq(ip_addr_parse("192.0.2.1/32", IP_V4, a), ALTOD_EINVAL);
	ck_assert_int_eq(ip_addr_parse("::1", IP_V4, a), ALTOD_EINVAL);
	ck_assert_int_eq(ip_addr_parse("", IP_V6, a), ALTOD_EINVAL);
	ck_assert_int_eq(ip_addr_parse("::1", IP_V6, a), 0);
	ck_assert_uint_eq(a[15], 1);

	ck_assert_int_eq(ip_endpoint_parse("ipv4:192.0.2.1", &f, a), 0);
	ck_assert_int_eq(f, IP_V4);
	ck_assert_mem_eq(a, v4, 16);
	ck_assert_int_eq(ip_endpoint_parse("ipv6:2001:db8::1", &f, a), 0);
	ck_assert_int_eq(f, IP_V6);
	ck_assert_uint_eq(a[0], 0x20);
	ck_assert_uint_eq(a[15], 1);
	ck_assert_int_eq(ip_endpoint_parse("ipv6:::ffff:192.0.2.1", &f, a), 0);
	ck_assert_uint_eq(a[10], 0xff);
	ck_assert_uint_eq(a[12], 192);
	/* malformed TypedEndpointAddrs (§10.4.1) */
	static const char *bad[] = {"192.0.2.1",
	                            "ipv4:",
	                            "ipv6:",
	                            "IPV4:192.0.2.1",
	                            "ipv4 :192.0.2.1",
	                            "ipv4:2001:db8::1",
	                            "ipv6:192.0.2.1",
	                            "ipv5:192.0.2.1",
	                            "ipv4:192.0.2.1 ",
	                            "ipv4:192.0.2.0/24",
	                            "",
	                            "ipv4"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ip_endpoint_parse(bad[i], &f, a) == ALTOD_EINVAL, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(families_and_order)
{
	ck_assert_int_eq(ip_family_parse("ipv4"), IP_V4);
	ck_assert_int_eq(ip_family_parse("ipv6"), IP_V6);
	ck_assert_int_eq(ip_family_parse("IPv4"), 0);
	ck_assert_int_eq(ip_family_parse("ipv"), 0);
	ck_assert_int_eq(ip_family_parse(""), 0);
	ck_assert_str_eq(ip_family_name(IP_V4), "ipv4");
	ck_assert_str_eq(ip_family_name(IP_V6), "ipv6");

	struct ip_prefix a, b, c, d;
	const char *why;
	ck_assert_int_eq(ip_prefix_parse("192.0.2.0/24", IP_V4, &a, &why), 0);
	ck_assert_int_eq(ip_prefix_parse("192.0.2.0/25", IP_V4, &b, &why), 0);
	ck_assert_int_eq(ip_prefix_parse("198.51.100.0/24", IP_V4, &c, &why), 0);
	ck_assert_int_eq(ip_prefix_parse("::/0", IP_V6, &d, &why), 0);
	ck_assert_int_eq(ip_prefix_cmp(&a, &a), 0);
	ck_assert_int_lt(ip_prefix_cmp(&a, &b), 0); /* same address: shorter first */
	ck_assert_int_gt(ip_prefix_cmp(&b, &a), 0);
	ck_assert_int_lt(ip_prefix_cmp(&b, &c), 0); /* then by address */
	ck_assert_int_lt(ip_prefix_cmp(&c, &d), 0); /* IPv4 before IPv6 */
	ck_assert_int_gt(ip_prefix_cmp(&d, &a), 0);
}
END_TEST

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random prefixes of both families and every length: the printed form
 * parses back to the same prefix, and is the text inet_ntop would give. */
START_TEST(format_round_trip)
{
	for (int i = 0; i < 20000; i++) {
		struct ip_prefix p = {0}, q;
		p.family = i % 2 ? IP_V6 : IP_V4;
		unsigned max = p.family == IP_V4 ? 32 : 128;
		p.len = (uint8_t)(next() % (max + 1));
		for (unsigned k = 0; k < max / 8; k++)
			p.addr[k] = (uint8_t)next();
		if (i % 7 == 0 && p.family == IP_V6) /* plenty of zero runs */
			for (unsigned k = 0; k < 16; k += 2)
				if (next() % 2)
					p.addr[k] = p.addr[k + 1] = 0;
		for (unsigned bit = p.len; bit < max; bit++)
			p.addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
		char text[IP_PREFIX_STRLEN];
		const char *why;
		ip_prefix_format(&p, text);
		CHECK(ip_prefix_parse(text, p.family, &q, &why) == 0, "%s: %s", text, why);
		CHECK(ip_prefix_cmp(&p, &q) == 0 && memcmp(&p, &q, sizeof(p)) == 0, "%s read back differently", text);
		char again[IP_PREFIX_STRLEN];
		ip_prefix_format(&q, again);
		CHECK(strcmp(text, again) == 0, "%s printed again as %s", text, again);
	}
}
END_TEST

/* the host of a URI authority: what base-url (lax '%') and the Host
 * header (strict pct-encoding) both accept, up to the port */
START_TEST(uri_host_len)
{
	static const struct {
		const char *s;
		size_t strict, lax;
	} cases[] = {
	        {"alto.example.net", 16, 16},
	        {"alto.example.net:443", 16, 16},
	        {"192.0.2.1:8080", 9, 9},
	        {"[2001:db8::1]:443", 13, 13},
	        {"[2001:db8::1]", 13, 13},
	        {"[]", 0, 0},           /* an empty IP-literal */
	        {"[2001:db8::1", 0, 0}, /* unclosed */
	        {"[fe80::1%eth0]", 0, 0},
	        {":443", 0, 0}, /* a port without a host */
	        {"", 0, 0},
	        {"a%41b", 5, 5},  /* pct-encoded */
	        {"a%4", 0, 3},    /* cut: only the lax form takes a bare % */
	        {"a%zz:1", 0, 4}, /* not hex */
	        {"a b", 0, 0},
	        {"user@host", 0, 0},
	        {"h\xc3\xa9", 0, 0},
	        {"!$&'()*+,;=-._~", 15, 15},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s);
		ck_assert_msg(ip_uri_host_len(cases[i].s, n, true) == cases[i].strict, "strict '%s'", cases[i].s);
		ck_assert_msg(ip_uri_host_len(cases[i].s, n, false) == cases[i].lax, "lax '%s'", cases[i].s);
	}
	/* only the first n bytes count */
	ck_assert_uint_eq(ip_uri_host_len("example.net/path", 11, true), 11);
	ck_assert_uint_eq(ip_uri_host_len("[::1]/", 5, true), 5);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ip");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, v4_prefixes);
	tcase_add_test(tc, v4_malformed);
	tcase_add_test(tc, v6_prefixes);
	tcase_add_test(tc, v6_malformed);
	tcase_add_test(tc, addresses_and_endpoints);
	tcase_add_test(tc, families_and_order);
	tcase_add_test(tc, format_round_trip);
	tcase_add_test(tc, uri_host_len);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

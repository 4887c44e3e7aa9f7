/* SPDX-License-Identifier: BSD-2-Clause */
/* The PROXY protocol v2 parser (HAProxy's proxy-protocol.txt §2.2) with
 * crafted headers, fed whole and a byte at a time, and the trusted-source
 * check. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "server/proxy.h"
#include "testutil.h"

static const uint8_t SIG[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* A header: signature, ver_cmd, fam, then len bytes of body (the length
 * field says `declared`). Returns its size. */
static size_t mk(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const uint8_t *body, size_t len, size_t declared)
{
	memcpy(out, SIG, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (uint8_t)(declared >> 8);
	out[15] = (uint8_t)declared;
	if (len) /* body may be NULL then: memcpy's arguments must not be */
		memcpy(out + 16, body, len);
	return 16 + len;
}

static size_t tcp4(uint8_t *out, const char *src, uint16_t sport, size_t tlv)
{
	uint8_t b[12 + 64] = {0};
	inet_pton(AF_INET, src, b);
	inet_pton(AF_INET, "198.51.100.1", b + 4);
	b[8] = (uint8_t)(sport >> 8);
	b[9] = (uint8_t)sport;
	b[10] = 0x1F;
	b[11] = 0x90;
	for (size_t i = 0; i < tlv; i++)
		b[12 + i] = (uint8_t)(0xE0 + i); /* TLV bytes, ignored */
	return mk(out, 0x21, 0x11, b, 12 + tlv, 12 + tlv);
}

static enum proxy_result parse(const uint8_t *buf, size_t n, size_t *need, struct proxy_header *h, const char **why)
{
	*why = NULL;
	return proxy_v2_parse(buf, n, need, h, why);
}

/* Fed as a reader would: never past what *need asks. */
static enum proxy_result feed_bytewise(const uint8_t *buf, size_t total, struct proxy_header *h, size_t *used)
{
	size_t need = 0, have = 0;
	const char *why;
	for (;;) {
		enum proxy_result r = have ? parse(buf, have, &need, h, &why) : PROXY_MORE;
		if (r != PROXY_MORE) {
			*used = have;
			return r;
		}
		if (have == 0)
			need = PROXY_V2_FIXED;
		ck_assert_uint_gt(need, have);
		ck_assert_uint_le(need, PROXY_V2_MAX);
		if (have == total) {
			*used = have;
			return PROXY_MORE;
		}
		have++; /* one byte more, never beyond need */
	}
}

START_TEST(tcp4_whole_and_bytewise)
{
	uint8_t buf[256];
	size_t n = tcp4(buf, "192.0.2.77", 40000, 0);
	memcpy(buf + n, "GET / HTTP/1.1\r\n", 16); /* the client's bytes follow */
	struct proxy_header h;
	size_t need;
	const char *why;
	ck_assert_int_eq(parse(buf, n + 16, &need, &h, &why), PROXY_OK);
	ck_assert_uint_eq(need, 28);
	ck_assert(!h.local);
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&h.src;
	ck_assert_int_eq(s4->sin_family, AF_INET);
	ck_assert_uint_eq(h.src_len, sizeof(*s4));
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
	ck_assert_str_eq(a, "192.0.2.77");
	ck_assert_uint_eq(ntohs(s4->sin_port), 40000);
	size_t used;
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(feed_bytewise(buf, n + 16, &h, &used), PROXY_OK);
	ck_assert_uint_eq(used, 28); /* not a byte of the request */
	ck_assert_int_eq(h.src.ss_family, AF_INET);
}
END_TEST

START_TEST(tcp6_with_tlvs)
{
	uint8_t b[36 + 20] = {0}, buf[128];
	inet_pton(AF_INET6, "2001:db8::5", b);
	inet_pton(AF_INET6, "2001:db8::1", b + 16);
	b[32] = 0x12;
	b[33] = 0x34;
	b[36] = 0x01; /* PP2_TYPE_ALPN, length 2, "h2"; then a NOOP */
	b[37] = 0;
	b[38] = 2;
	b[39] = 'h';
	b[40] = '2';
	b[41] = 0x04;
	size_t n = mk(buf, 0x21, 0x21, b, sizeof(b), sizeof(b));
	struct proxy_header h;
	size_t need, used;
	const char *why;
	ck_assert_int_eq(parse(buf, n, &need, &h, &why), PROXY_OK);
	ck_assert_uint_eq(need, n);
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&h.src;
	ck_assert_int_eq(s6->sin6_family, AF_INET6);
	char a[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
	ck_assert_str_eq(a, "2001:db8::5");
	ck_assert_uint_eq(ntohs(s6->sin6_port), 0x1234);
	ck_assert_int_eq(feed_bytewise(buf, n, &h, &used), PROXY_OK);
	ck_assert_uint_eq(used, n);
	/* truncated anywhere: more is needed, never a result */
	for (size_t k = 1; k < n; k++) {
		ck_assert_int_eq(feed_bytewise(buf, k, &h, &used), PROXY_MORE);
		ck_assert_uint_eq(used, k);
	}
}
END_TEST

START_TEST(local_is_the_proxys_own)
{
	uint8_t buf[64];
	struct proxy_header h;
	size_t need;
	const char *why;
	/* LOCAL, no addresses (what HAProxy's health checks send) */
	size_t n = mk(buf, 0x20, 0x00, NULL, 0, 0);
	ck_assert_int_eq(parse(buf, n, &need, &h, &why), PROXY_OK);
	ck_assert(h.local);
	ck_assert_uint_eq(need, 16);
	/* LOCAL with a family and addresses: they are ignored, skipped */
	n = tcp4(buf, "192.0.2.1", 1, 0);
	buf[12] = 0x20;
	ck_assert_int_eq(parse(buf, n, &need, &h, &why), PROXY_OK);
	ck_assert(h.local);
	ck_assert_uint_eq(need, n);
	ck_assert_uint_eq(h.src_len, 0);
}
END_TEST

START_TEST(refused)
{
	uint8_t buf[2048];
	struct proxy_header h;
	size_t need, n;
	const char *why;
	uint8_t addr[216] = {0};
	/* no header: an HTTP request, a TLS ClientHello; refused at the first byte */
	ck_assert_int_eq(parse((const uint8_t *)"G", 1, &need, &h, &why), PROXY_BAD);
	ck_assert_int_eq(parse((const uint8_t *)"\x16\x03\x01", 3, &need, &h, &why), PROXY_BAD);
	ck_assert_ptr_nonnull(why);
	/* version 1 */
	const char *v1 = "PROXY TCP4 192.0.2.1 198.51.100.1 5000 80\r\n";
	ck_assert_int_eq(parse((const uint8_t *)v1, strlen(v1), &need, &h, &why), PROXY_BAD);
	ck_assert_ptr_nonnull(strstr(why, "version 1"));
	/* a signature wrong in its last byte */
	n = tcp4(buf, "192.0.2.1", 1, 0);
	buf[11] = 0x0B;
	ck_assert_int_eq(parse(buf, n, &need, &h, &why), PROXY_BAD);
	/* version 1 or 3 in the binary form; command 2..15 */
	static const uint8_t bad_vc[] = {0x11, 0x31, 0x22, 0x2F};
	for (size_t i = 0; i < sizeof(bad_vc); i++) {
		n = tcp4(buf, "192.0.2.1", 1, 0);
		buf[12] = bad_vc[i];
		ck_assert_int_eq(parse(buf, 13, &need, &h, &why), PROXY_BAD);
	}
	/* PROXY: UNSPEC, UDP, UNIX, undefined families */
	static const uint8_t bad_fam[] = {0x00, 0x12, 0x22, 0x31, 0x32, 0x10, 0x13, 0x41, 0xFF};
	for (size_t i = 0; i < sizeof(bad_fam); i++) {
		n = mk(buf, 0x21, bad_fam[i], addr, sizeof(addr), sizeof(addr));
		ck_assert_int_eq(parse(buf, n, &need, &h, &why), PROXY_BAD);
	}
	/* a length too short for the addresses */
	n = mk(buf, 0x21, 0x11, addr, 11, 11);
	ck_assert_int_eq(parse(buf, n, &need, &h, &why), PROXY_BAD);
	n = mk(buf, 0x21, 0x21, addr, 35, 35);
	ck_assert_int_eq(parse(buf, n, &need, &h, &why), PROXY_BAD);
	/* longer than the bound: refused on the length alone, nothing more read */
	n = mk(buf, 0x21, 0x11, addr, 12, PROXY_V2_MAX - 16 + 1);
	ck_assert_int_eq(parse(buf, 16, &need, &h, &why), PROXY_BAD);
	n = mk(buf, 0x21, 0x11, addr, 12, 0xFFFF);
	ck_assert_int_eq(parse(buf, 16, &need, &h, &why), PROXY_BAD);
	/* exactly the bound: taken */
	memset(buf, 0, sizeof(buf));
	n = mk(buf, 0x21, 0x11, addr, 12, PROXY_V2_MAX - 16);
	ck_assert_int_eq(parse(buf, 16, &need, &h, &why), PROXY_MORE);
	ck_assert_uint_eq(need, PROXY_V2_MAX);
	ck_assert_int_eq(parse(buf, PROXY_V2_MAX, &need, &h, &why), PROXY_OK);
}
END_TEST

static struct sockaddr_storage sa(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, a, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	return ss;
}

START_TEST(trusted_sources)
{
	struct ip_prefix t[3];
	const char *why;
	ck_assert_int_eq(ip_prefix_parse("10.1.0.0/16", IP_V4, &t[0], &why), 0);
	ck_assert_int_eq(ip_prefix_parse("2001:db8:1::/48", IP_V6, &t[1], &why), 0);
	ck_assert_int_eq(ip_prefix_parse("192.0.2.10/32", IP_V4, &t[2], &why), 0);
	static const struct {
		const char *a;
		bool ok;
	} cases[] = {
	        {"10.1.2.3", true},        {"10.2.0.1", false},        {"192.0.2.10", true},
	        {"192.0.2.11", false},     {"2001:db8:1::9", true},    {"2001:db8:2::9", false},
	        {"::ffff:10.1.9.9", true}, {"::ffff:10.9.9.9", false}, {"::1", false},
	        {"10.0.255.255", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss = sa(cases[i].a);
		ck_assert_msg(proxy_trusted((struct sockaddr *)&ss, t, 3) == cases[i].ok, "%s", cases[i].a);
	}
	struct sockaddr_storage ss = sa("10.1.2.3");
	ck_assert(!proxy_trusted((struct sockaddr *)&ss, t, 0));
	struct ip_prefix odd;
	ck_assert_int_eq(ip_prefix_parse("10.1.128.0/17", IP_V4, &odd, &why), 0);
	ss = sa("10.1.200.1");
	ck_assert(proxy_trusted((struct sockaddr *)&ss, &odd, 1));
	ss = sa("10.1.127.1");
	ck_assert(!proxy_trusted((struct sockaddr *)&ss, &odd, 1));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, tcp4_whole_and_bytewise);
	tcase_add_test(tc, tcp6_with_tlvs);
	tcase_add_test(tc, local_is_the_proxys_own);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, trusted_sources);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

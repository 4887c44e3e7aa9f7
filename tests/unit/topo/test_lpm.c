/* SPDX-License-Identifier: BSD-2-Clause */
/* Longest-prefix match: nesting, /0, host routes, boundaries, and a
 * randomized comparison with a brute-force reference. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ip.h"
#include "topo/lpm.h"
#include "testutil.h"

static struct lpm_entry E(const char *s, enum ip_family f, uint32_t v) {
	struct lpm_entry e;
	const char *why;
	ck_assert_int_eq(ip_prefix_parse(s, f, &e.prefix, &why), 0);
	e.value = v;
	return e;
}

static uint32_t
L4(const struct lpm *l, const char *a)
{
	uint8_t addr[16];
	ck_assert_int_eq(ip_addr_parse(a, IP_V4, addr), 0);
	return lpm_lookup(l, addr);
}

static uint32_t L6(const struct lpm *l, const char *a)
{
	uint8_t addr[16];
	ck_assert_int_eq(ip_addr_parse(a, IP_V6, addr), 0);
	return lpm_lookup(l, addr);
}

START_TEST(empty)
{
	struct lpm l;
	ck_assert_int_eq(lpm_build(&l, IP_V4, NULL, 0), 0);
	ck_assert_uint_eq(L4(&l, "1.2.3.4"), LPM_NONE);
	ck_assert_uint_eq(L4(&l, "0.0.0.0"), LPM_NONE);
	ck_assert_uint_eq(L4(&l, "255.255.255.255"), LPM_NONE);
	lpm_free(&l);
}
END_TEST

START_TEST(nested_v4)
{
	struct lpm_entry e[] = {
	        E("0.0.0.0/0", IP_V4, 0),          E("10.0.0.0/8", IP_V4, 1),    E("10.1.0.0/16", IP_V4, 2),
	        E("10.1.2.0/24", IP_V4, 3),        E("10.1.2.3/32", IP_V4, 4),   E("192.0.2.0/24", IP_V4, 5),
	        E("255.255.255.255/32", IP_V4, 6), E("10.255.0.0/16", IP_V4, 7),
	};
	struct lpm l;
	ck_assert_int_eq(lpm_build(&l, IP_V4, e, sizeof(e) / sizeof(e[0])), 0);
	ck_assert_uint_eq(L4(&l, "0.0.0.0"), 0);
	ck_assert_uint_eq(L4(&l, "9.255.255.255"), 0);
	ck_assert_uint_eq(L4(&l, "10.0.0.0"), 1);
	ck_assert_uint_eq(L4(&l, "10.0.255.255"), 1);
	ck_assert_uint_eq(L4(&l, "10.1.0.0"), 2);
	ck_assert_uint_eq(L4(&l, "10.1.2.2"), 3);
	ck_assert_uint_eq(L4(&l, "10.1.2.3"), 4);
	ck_assert_uint_eq(L4(&l, "10.1.2.4"), 3);
	ck_assert_uint_eq(L4(&l, "10.1.2.255"), 3);
	ck_assert_uint_eq(L4(&l, "10.1.3.0"), 2);
	ck_assert_uint_eq(L4(&l, "10.2.0.0"), 1);
	ck_assert_uint_eq(L4(&l, "10.254.255.255"), 1);
	ck_assert_uint_eq(L4(&l, "10.255.0.1"), 7);
	ck_assert_uint_eq(L4(&l, "10.255.255.255"), 7);
	ck_assert_uint_eq(L4(&l, "11.0.0.0"), 0);
	ck_assert_uint_eq(L4(&l, "192.0.1.255"), 0);
	ck_assert_uint_eq(L4(&l, "192.0.2.0"), 5);
	ck_assert_uint_eq(L4(&l, "192.0.2.255"), 5);
	ck_assert_uint_eq(L4(&l, "192.0.3.0"), 0);
	ck_assert_uint_eq(L4(&l, "255.255.255.254"), 0);
	ck_assert_uint_eq(L4(&l, "255.255.255.255"), 6);
	lpm_free(&l);
}
END_TEST

START_TEST(gaps_without_default)
{
	struct lpm_entry e[] = {E("10.0.0.0/8", IP_V4, 1), E("10.0.0.0/9", IP_V4, 2), E("0.0.0.0/32", IP_V4, 3)};
	struct lpm l;
	ck_assert_int_eq(lpm_build(&l, IP_V4, e, 3), 0);
	ck_assert_uint_eq(L4(&l, "0.0.0.0"), 3);
	ck_assert_uint_eq(L4(&l, "0.0.0.1"), LPM_NONE);
	ck_assert_uint_eq(L4(&l, "9.255.255.255"), LPM_NONE);
	ck_assert_uint_eq(L4(&l, "10.0.0.0"), 2);
	ck_assert_uint_eq(L4(&l, "10.127.255.255"), 2);
	ck_assert_uint_eq(L4(&l, "10.128.0.0"), 1);
	ck_assert_uint_eq(L4(&l, "11.0.0.0"), LPM_NONE);
	lpm_free(&l);
}
END_TEST

START_TEST(v6_and_families)
{
	struct lpm_entry e[] = {
	        E("::/0", IP_V6, 0),
	        E("2001:db8::/32", IP_V6, 1),
	        E("2001:db8:1::/48", IP_V6, 2),
	        E("2001:db8:1::1/128", IP_V6, 3),
	        E("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", IP_V6, 4),
	        E("10.0.0.0/8", IP_V4, 9), /* other family: ignored */
	};
	struct lpm l;
	ck_assert_int_eq(lpm_build(&l, IP_V6, e, sizeof(e) / sizeof(e[0])), 0);
	ck_assert_uint_eq(L6(&l, "::"), 0);
	ck_assert_uint_eq(L6(&l, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
	ck_assert_uint_eq(L6(&l, "2001:db8::"), 1);
	ck_assert_uint_eq(L6(&l, "2001:db8:0:ffff::"), 1);
	ck_assert_uint_eq(L6(&l, "2001:db8:1::"), 2);
	ck_assert_uint_eq(L6(&l, "2001:db8:1::1"), 3);
	ck_assert_uint_eq(L6(&l, "2001:db8:1::2"), 2);
	ck_assert_uint_eq(L6(&l, "2001:db8:2::"), 1);
	ck_assert_uint_eq(L6(&l, "2001:db9::"), 0);
	ck_assert_uint_eq(L6(&l, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), 0);
	ck_assert_uint_eq(L6(&l, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 4);
	ck_assert_uint_eq(L6(&l, "::ffff:10.0.0.1"), 0); /* IPv4-mapped is IPv6 here */
	lpm_free(&l);
}
END_TEST

/* xorshift: deterministic */
static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Appends x to e[0..*n) unless the same prefix is there already. */
static void add_unique(struct lpm_entry *e, size_t *n, const struct lpm_entry *x)
{
	for (size_t i = 0; i < *n; i++)
		if (ip_prefix_cmp(&e[i].prefix, &x->prefix) == 0)
			return;
	e[(*n)++] = *x;
}

static uint32_t brute4(const struct lpm_entry *e, size_t n, uint32_t a)
{
	int best = -1;
	uint32_t v = LPM_NONE;
	for (size_t i = 0; i < n; i++) {
		uint32_t p = (uint32_t)e[i].prefix.addr[0] << 24 | (uint32_t)e[i].prefix.addr[1] << 16 |
		             (uint32_t)e[i].prefix.addr[2] << 8 | e[i].prefix.addr[3];
		uint32_t mask = e[i].prefix.len == 0 ? 0 : ~0u << (32 - e[i].prefix.len);
		if ((a & mask) == p && (int)e[i].prefix.len > best) {
			best = e[i].prefix.len;
			v = e[i].value;
		}
	}
	return v;
}

START_TEST(random_v4_against_brute_force)
{
	enum { N = 3000, Q = 20000 };
	struct lpm_entry *e = calloc(N, sizeof(*e));
	size_t n = 0;
	while (n < N) {
		unsigned len = (unsigned)(next() % 33);
		uint32_t a = (uint32_t)next() & (uint32_t)(len ? ~0u << (32 - len) : 0);
		/* cluster prefixes to get nesting */
		if (n > 0 && next() % 2) {
			uint32_t base = (uint32_t)e[next() % n].prefix.addr[0] << 24;
			a = (base | (a & 0x00ffffffu)) & (uint32_t)(len ? ~0u << (32 - len) : 0);
		}
		struct lpm_entry x = {.prefix = {.family = IP_V4, .len = (uint8_t)len}, .value = (uint32_t)n};
		x.prefix.addr[0] = (uint8_t)(a >> 24);
		x.prefix.addr[1] = (uint8_t)(a >> 16);
		x.prefix.addr[2] = (uint8_t)(a >> 8);
		x.prefix.addr[3] = (uint8_t)a;
		add_unique(e, &n, &x);
	}
	struct lpm l;
	ck_assert_int_eq(lpm_build(&l, IP_V4, e, n), 0);
	for (int q = 0; q < Q; q++) {
		uint32_t a;
		if (q % 2) { /* near a prefix boundary */
			const struct lpm_entry *p = &e[next() % n];
			a = (uint32_t)p->prefix.addr[0] << 24 | (uint32_t)p->prefix.addr[1] << 16 |
			    (uint32_t)p->prefix.addr[2] << 8 | p->prefix.addr[3];
			a += (uint32_t)(next() % 3) - 1;
		} else {
			a = (uint32_t)next();
		}
		uint8_t addr[16] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
		ck_assert_uint_eq(lpm_lookup(&l, addr), brute4(e, n, a));
	}
	lpm_free(&l);
	free(e);
}
END_TEST

typedef unsigned __int128 u128;

static u128 key6(const uint8_t a[16])
{
	u128 k = 0;
	for (int i = 0; i < 16; i++)
		k = k << 8 | a[i];
	return k;
}

static u128 mask6(unsigned len)
{
	return len == 0 ? 0 : ~(u128)0 << (128 - len);
}

static uint32_t brute6(const struct lpm_entry *e, size_t n, u128 a)
{
	int best = -1;
	uint32_t v = LPM_NONE;
	for (size_t i = 0; i < n; i++)
		if ((a & mask6(e[i].prefix.len)) == key6(e[i].prefix.addr) && (int)e[i].prefix.len > best) {
			best = e[i].prefix.len;
			v = e[i].value;
		}
	return v;
}

/* IPv6 against brute force, for sets of every size from 1 up (the index
 * differs with the number of intervals), with prefixes clustered in
 * 2000::/3 and also at the very top of the space (fc00::/7, ff00::/8,
 * ffff:...:ffff/128), where bucket arithmetic could overflow; queries at
 * every prefix's first and last address and one past each. */
START_TEST(random_v6_against_brute_force)
{
	enum { N = 600 };
	struct lpm_entry *e = calloc(N, sizeof(*e));
	for (size_t size = 1; size <= N; size = size < 8 ? size + 1 : size * 3) {
		size_t n = 0;
		while (n < size) {
			unsigned len = (unsigned)(next() % 129);
			u128 a = (u128)next() << 64 | next();
			switch (next() % 4) {
			case 0: a = ((u128)0x2001 << 112) | (a >> 16); break; /* 2001::/16 cluster */
			case 1: a = ~(u128)0 << 120 | a; break;               /* top of the space */
			case 2:
				if (n > 0) /* inside an earlier prefix */
					a = key6(e[next() % n].prefix.addr) | (a & ~mask6(e[next() % n].prefix.len));
				break;
			default: break;
			}
			a &= mask6(len);
			struct lpm_entry x = {.prefix = {.family = IP_V6, .len = (uint8_t)len}, .value = (uint32_t)n};
			for (int i = 0; i < 16; i++)
				x.prefix.addr[i] = (uint8_t)(a >> (8 * (15 - i)));
			add_unique(e, &n, &x);
		}
		struct lpm l;
		ck_assert_int_eq(lpm_build(&l, IP_V6, e, n), 0);
		for (size_t i = 0; i < n + 2; i++) {
			u128 first = i < n ? key6(e[i].prefix.addr) : i == n ? 0 : ~(u128)0;
			u128 last = i < n ? first | ~mask6(e[i].prefix.len) : first;
			u128 q[] = {first, first - 1, last, last + 1, first + (u128)(next() % 1000)};
			for (size_t j = 0; j < sizeof(q) / sizeof(q[0]); j++) {
				uint8_t addr[16];
				for (int b = 0; b < 16; b++)
					addr[b] = (uint8_t)(q[j] >> (8 * (15 - b)));
				ck_assert_uint_eq(lpm_lookup(&l, addr), brute6(e, n, q[j]));
			}
		}
		lpm_free(&l);
	}
	free(e);
}
END_TEST

/* The records a lookup of key k scans: its bucket's span (0 when the index
 * entry answers alone or k is outside the index). */
static size_t span_at(const struct lpm *l, lpm_key k)
{
	size_t b = lpm_bucket_of(l, k);
	if (b == SIZE_MAX || l->index[b].value != LPM_BUCKET_MIXED)
		return 0;
	return l->index[b + 1].first - l->index[b].first + 1;
}

static void put4(struct lpm_entry *e, size_t *n, uint32_t a, unsigned len, uint32_t v)
{
	struct lpm_entry x = {.prefix = {.family = IP_V4, .len = (uint8_t)len}, .value = v};
	x.prefix.addr[0] = (uint8_t)(a >> 24);
	x.prefix.addr[1] = (uint8_t)(a >> 16);
	x.prefix.addr[2] = (uint8_t)(a >> 8);
	x.prefix.addr[3] = (uint8_t)a;
	add_unique(e, n, &x);
}

/* Dense clusters, where one index bucket holds hundreds of intervals (the
 * lookup bisects and asks for only the first lines ahead): every host of
 * 10.1.2.0/24 and 192.168.0.0/23 under nested /25../32 chains, with the
 * edges 0.0.0.0/0, 0.0.0.0/32 and 255.255.255.255/32; every address of
 * the clusters and around them against brute force. */
START_TEST(dense_clusters_v4)
{
	enum { N = 1200 };
	struct lpm_entry *e = calloc(N, sizeof(*e));
	size_t n = 0;
	put4(e, &n, 0, 0, 0);
	put4(e, &n, 0, 32, 1);
	put4(e, &n, 0xffffffffu, 32, 2);
	put4(e, &n, 0x0a000000u, 8, 3);
	put4(e, &n, 0x0a010200u, 24, 4);
	for (uint32_t i = 0; i < 256; i += 2) /* every other host: intervals of one address */
		put4(e, &n, 0x0a010200u + i, 32, 100 + i);
	for (unsigned len = 25; len <= 32; len++) /* a chain of nested prefixes ending at .255 */
		put4(e, &n, 0x0a010200u | (0xffu & ~(0xffu >> (len - 24))), len, 400 + len);
	put4(e, &n, 0xc0a80000u, 16, 5);
	for (uint32_t i = 0; i < 512; i++)
		if (next() % 3)
			put4(e, &n, 0xc0a80000u + i, 32, 1000 + (uint32_t)(next() % 4));
	for (unsigned len = 17; len <= 32; len++)
		put4(e, &n, 0xc0a80100u & ~0u << (32 - len), len, 2000 + len);
	struct lpm l;
	ck_assert_int_eq(lpm_build(&l, IP_V4, e, n), 0);
	ck_assert_uint_gt(span_at(&l, 0x0a010200u), 64);
	ck_assert_uint_gt(span_at(&l, 0xc0a80000u), 64);
	uint32_t ranges[][2] = {{0x0a0101f0u, 0x0a010310u},
	                        {0xc0a7fff0u, 0xc0a80210u},
	                        {0, 16},
	                        {0xfffffff0u, 0xffffffffu},
	                        {0x09fffff0u, 0x0a000010u}};
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (uint32_t a = ranges[r][0];; a++) {
			uint8_t addr[16] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
			ck_assert_uint_eq(lpm_lookup(&l, addr), brute4(e, n, a));
			if (a == ranges[r][1])
				break;
		}
	ck_assert_uint_eq(L4(&l, "10.1.2.254"), 354);
	ck_assert_uint_eq(L4(&l, "10.1.2.255"), 432);
	ck_assert_uint_eq(L4(&l, "10.1.2.253"), 430); /* 10.1.2.252/30 */
	ck_assert_uint_eq(L4(&l, "10.1.2.251"), 429);
	ck_assert_uint_eq(L4(&l, "10.1.2.127"), 4);
	ck_assert_uint_eq(L4(&l, "10.1.2.129"), 425);
	lpm_free(&l);
	free(e);
}
END_TEST

static void put6(struct lpm_entry *e, size_t *n, u128 a, unsigned len, uint32_t v)
{
	struct lpm_entry x = {.prefix = {.family = IP_V6, .len = (uint8_t)len}, .value = v};
	for (int i = 0; i < 16; i++)
		x.prefix.addr[i] = (uint8_t)(a >> (8 * (15 - i)));
	add_unique(e, n, &x);
}

static uint32_t look6(const struct lpm *l, u128 k)
{
	uint8_t addr[16];
	for (int b = 0; b < 16; b++)
		addr[b] = (uint8_t)(k >> (8 * (15 - b)));
	return lpm_lookup(l, addr);
}

/* The same for IPv6: hundreds of /128s and a /33../128 chain inside
 * 2001:db8::/32, IPv4-mapped addresses (::ffff:0:0/96 with a /120 of
 * hosts), ::/0, ::/128 and the last address; each prefix's first and last
 * address and their neighbours, and every address around the clusters. */
START_TEST(dense_clusters_v6)
{
	enum { N = 1200 };
	struct lpm_entry *e = calloc(N, sizeof(*e));
	size_t n = 0;
	u128 db8 = (u128)0x20010db8u << 96, mapped = (u128)0xffffu << 32;
	put6(e, &n, 0, 0, 0);
	put6(e, &n, 0, 128, 1);
	put6(e, &n, ~(u128)0, 128, 2);
	put6(e, &n, db8, 32, 3);
	for (uint32_t i = 0; i < 400; i++) /* hosts spread through 2001:db8::/112 */
		put6(e, &n, db8 + (u128)(next() % 65536), 128, 100 + i % 7);
	for (unsigned len = 33; len <= 128; len++)
		put6(e, &n, (db8 | (u128)1 << 80) & mask6(len), len, 600 + len);
	put6(e, &n, mapped, 96, 4);
	put6(e, &n, mapped | 0x0a010200u, 120, 5);
	for (uint32_t i = 0; i < 256; i += 3)
		put6(e, &n, mapped | (0x0a010200u + i), 128, 800 + i);
	struct lpm l;
	ck_assert_int_eq(lpm_build(&l, IP_V6, e, n), 0);
	ck_assert_uint_gt(span_at(&l, db8), 64);
	for (size_t i = 0; i < n; i++) {
		u128 first = key6(e[i].prefix.addr), last = first | ~mask6(e[i].prefix.len);
		u128 q[] = {first, first - 1, first + 1, last, last - 1, last + 1};
		for (size_t j = 0; j < sizeof(q) / sizeof(q[0]); j++)
			ck_assert_uint_eq(look6(&l, q[j]), brute6(e, n, q[j]));
	}
	for (int i = 0; i < 4000; i++) { /* inside and around the hosts' /112 */
		u128 k = db8 - 8 + (u128)(next() % 65560);
		ck_assert_uint_eq(look6(&l, k), brute6(e, n, k));
	}
	for (u128 k = mapped | 0x0a0101f0u; k <= (mapped | 0x0a010310u); k++)
		ck_assert_uint_eq(look6(&l, k), brute6(e, n, k));
	ck_assert_uint_eq(L6(&l, "::ffff:10.1.2.3"), 803);
	ck_assert_uint_eq(L6(&l, "::ffff:10.1.2.4"), 5);
	ck_assert_uint_eq(L6(&l, "::ffff:10.1.3.0"), 4);
	ck_assert_uint_eq(L6(&l, "::"), 1);
	ck_assert_uint_eq(L6(&l, "::1"), 0);
	ck_assert_uint_eq(L6(&l, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 2);
	lpm_free(&l);
	free(e);
}
END_TEST

START_TEST(prefix_parsing)
{
	struct ip_prefix p;
	const char *why;
	char s[IP_PREFIX_STRLEN];

	ck_assert_int_eq(ip_prefix_parse("192.0.2.0/24", IP_V4, &p, &why), 0);
	ip_prefix_format(&p, s);
	ck_assert_str_eq(s, "192.0.2.0/24");
	ck_assert_int_ne(ip_prefix_parse("192.0.2.1/24", IP_V4, &p, &why), 0);
	ck_assert_str_eq(why, "host bits set after the prefix length");
	ck_assert_int_ne(ip_prefix_parse("192.0.2.0", IP_V4, &p, &why), 0);
	ck_assert_int_ne(ip_prefix_parse("192.0.2.0/33", IP_V4, &p, &why), 0);
	ck_assert_int_ne(ip_prefix_parse("192.0.2.0/024", IP_V4, &p, &why), 0);
	ck_assert_int_ne(ip_prefix_parse("192.0.2.0/-1", IP_V4, &p, &why), 0);
	ck_assert_int_ne(ip_prefix_parse("192.0.2.0/", IP_V4, &p, &why), 0);
	ck_assert_int_ne(ip_prefix_parse("::/0", IP_V4, &p, &why), 0);
	ck_assert_int_ne(ip_prefix_parse("1.2.3.0/24", IP_V6, &p, &why), 0);
	ck_assert_int_ne(ip_prefix_parse("192.0.02.0/24", IP_V4, &p, &why), 0);
	ck_assert_int_eq(ip_prefix_parse("2001:DB8:0::/48", IP_V6, &p, &why), 0);
	ip_prefix_format(&p, s);
	ck_assert_str_eq(s, "2001:db8::/48"); /* RFC 5952 canonical form */
	ck_assert_int_eq(ip_prefix_parse("::/0", IP_V6, &p, &why), 0);
	ck_assert_int_eq(ip_prefix_parse("::1/128", IP_V6, &p, &why), 0);
	ck_assert_int_ne(ip_prefix_parse("2001:db8::1/64", IP_V6, &p, &why), 0);
	ck_assert_int_ne(ip_prefix_parse("2001:db8::/129", IP_V6, &p, &why), 0);

	enum ip_family f;
	uint8_t a[16];
	ck_assert_int_eq(ip_endpoint_parse("ipv4:192.0.2.1", &f, a), 0);
	ck_assert_int_eq(f, IP_V4);
	ck_assert_int_eq(ip_endpoint_parse("ipv6:2001:db8::1", &f, a), 0);
	ck_assert_int_eq(f, IP_V6);
	ck_assert_int_ne(ip_endpoint_parse("ipv4:2001:db8::1", &f, a), 0);
	ck_assert_int_ne(ip_endpoint_parse("ipv6:192.0.2.1", &f, a), 0);
	ck_assert_int_ne(ip_endpoint_parse("192.0.2.1", &f, a), 0);
	ck_assert_int_ne(ip_endpoint_parse("IPV4:192.0.2.1", &f, a), 0);
	ck_assert_int_ne(ip_endpoint_parse("ipv4:192.0.2.1/32", &f, a), 0);
	ck_assert_int_ne(ip_endpoint_parse("ipv4:", &f, a), 0);
	ck_assert_int_ne(ip_endpoint_parse("ipv4:256.0.0.1", &f, a), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lpm");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, empty);
	tcase_add_test(tc, nested_v4);
	tcase_add_test(tc, gaps_without_default);
	tcase_add_test(tc, v6_and_families);
	tcase_add_test(tc, random_v4_against_brute_force);
	tcase_add_test(tc, random_v6_against_brute_force);
	tcase_add_test(tc, dense_clusters_v4);
	tcase_add_test(tc, dense_clusters_v6);
	tcase_add_test(tc, prefix_parsing);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

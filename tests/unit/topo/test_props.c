/* SPDX-License-Identifier: BSD-2-Clause */
/* Entity properties (RFC 9240) in the maps: the model, the inheritance of
 * the ipv4/ipv6 domains, and every bad input with its file:line:column. */
#include <check.h>
#include <stdio.h>

#include "topo/load.h"
#include "topo/props.h"
#include "topo/topo.h"
#include "testutil.h"

#define NETMAP                                             \
	"network-maps:\n"                                  \
	"  m:\n"                                           \
	"    pids:\n"                                      \
	"      A: {ipv4: [10.0.0.0/8]}\n"                  \
	"      B: {ipv4: [0.0.0.0/0], ipv6: [\"::/0\"]}\n" \
	"  n: {pids: {X: {}}}\n"

static const char *GOOD = NETMAP "property-maps:\n"
                                 "  m:\n"
                                 "    \"ipv4:10.0.0.0/8\": {asn: \"1\", cc: \"US\"}\n"
                                 "    \"ipv4:10.1.0.0/16\": {cc: \"CA\"}\n"
                                 "    \"ipv4:10.1.2.3\": {asn: \"3\"}\n"
                                 "    \"ipv6:2001:db8::/32\": {asn: \"6\"}\n"
                                 "    \"m.pid:A\": {\"priv:x\": \"a\"}\n";

static const char *ip_val(const struct topo_netmap *nm, const char *prefix, enum ip_family f, const char *prop)
{
	struct ip_prefix q;
	const char *why;
	if (strchr(prefix, '/') == NULL) {
		memset(&q, 0, sizeof(q));
		ck_assert_int_eq(ip_addr_parse(prefix, f, q.addr), 0);
		q.family = (uint8_t)f;
		q.len = f == IP_V4 ? 32 : 128;
	} else {
		ck_assert_int_eq(ip_prefix_parse(prefix, f, &q, &why), 0);
	}
	return topo_props_ip(nm->props, &q, topo_props_name(nm->props, prop));
}

START_TEST(model_and_inheritance)
{
	struct topo *t = load_ok(GOOD);
	const struct topo_netmap *nm = topo_netmap_find(t, "m");
	const struct topo_props *p = nm->props;
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(topo_netmap_find(t, "n")->props);
	ck_assert_uint_eq(p->nnames, 3);
	ck_assert_str_eq(p->names[0], "asn");
	ck_assert_str_eq(p->names[1], "cc");
	ck_assert_str_eq(p->names[2], "priv:x");
	ck_assert_uint_eq(p->nent, 5);
	ck_assert_str_eq(p->ent[2].id, "ipv4:10.1.2.3/32"); /* canonical: an address is its /32 */
	ck_assert(p->in_domain[PD_IPV4][0] && p->in_domain[PD_IPV4][1] && !p->in_domain[PD_IPV4][2]);
	ck_assert(p->in_domain[PD_IPV6][0] && !p->in_domain[PD_IPV6][1]);
	ck_assert(!p->in_domain[PD_PID][0] && p->in_domain[PD_PID][2]);
	/* the longest prefix defining the property, per property */
	ck_assert_str_eq(ip_val(nm, "10.1.2.3", IP_V4, "asn"), "3");
	ck_assert_str_eq(ip_val(nm, "10.1.2.3", IP_V4, "cc"), "CA");
	ck_assert_str_eq(ip_val(nm, "10.1.2.4", IP_V4, "asn"), "1");
	ck_assert_str_eq(ip_val(nm, "10.2.0.1", IP_V4, "cc"), "US");
	ck_assert_str_eq(ip_val(nm, "10.1.0.0/24", IP_V4, "cc"), "CA");
	/* a prefix is not covered by a longer one inside it */
	ck_assert_str_eq(ip_val(nm, "10.1.2.0/24", IP_V4, "asn"), "1");
	ck_assert_str_eq(ip_val(nm, "10.0.0.0/8", IP_V4, "asn"), "1");
	ck_assert_ptr_null(ip_val(nm, "10.0.0.0/7", IP_V4, "asn"));
	ck_assert_ptr_null(ip_val(nm, "11.0.0.1", IP_V4, "asn"));
	ck_assert_ptr_null(ip_val(nm, "10.0.0.1", IP_V4, "priv:x")); /* a PID property */
	ck_assert_ptr_null(ip_val(nm, "10.0.0.1", IP_V4, "nope"));
	ck_assert_str_eq(ip_val(nm, "2001:db8:1::1", IP_V6, "asn"), "6");
	ck_assert_ptr_null(ip_val(nm, "2001:db9::1", IP_V6, "asn"));
	ck_assert_str_eq(topo_props_pid(p, topo_pid_find(nm, "A"), 2), "a");
	ck_assert_ptr_null(topo_props_pid(p, topo_pid_find(nm, "B"), 2));
	topo_free(t);
}
END_TEST

START_TEST(sections_across_files_and_before_the_map)
{
	const char *names[] = {"a.yaml", "b.yaml"};
	const char *texts[] = {"property-maps:\n  m: {\"ipv4:10.0.0.0/8\": {asn: \"1\"}}\n",
	                       NETMAP "property-maps:\n  m: {\"m.pid:B\": {asn: \"2\"}}\n"};
	struct diag d;
	struct topo *t = NULL;
	diag_init(&d);
	ck_assert_int_eq(topo_load_mem(names, texts, 2, &t, &d), 0);
	const struct topo_netmap *nm = topo_netmap_find(t, "m");
	ck_assert_uint_eq(nm->props->nent, 2);
	ck_assert_str_eq(topo_props_pid(nm->props, topo_pid_find(nm, "B"), 0), "2");
	topo_free(t);
	diag_free(&d);
}
END_TEST

static const struct {
	const char *yaml;
	const char *expect;
} bad[] = {
        {NETMAP "property-maps:\n  m: {\"ipv5:10.0.0.0/8\": {asn: \"1\"}}\n",
         "maps.yaml:8:7: entity 'ipv5:10.0.0.0/8': entity domain 'ipv5' does not exist (ipv4, ipv6, m.pid)"},
        {NETMAP "property-maps:\n  m: {\"10.0.0.0/8\": {asn: \"1\"}}\n",
         "maps.yaml:8:7: entity '10.0.0.0/8' has no entity domain"},
        {NETMAP "property-maps:\n  m: {\"zz.pid:A\": {asn: \"1\"}}\n",
         "maps.yaml:8:7: entity 'zz.pid:A': entity domain 'zz.pid' does not exist"},
        {NETMAP "property-maps:\n  m: {\"n.pid:X\": {asn: \"1\"}}\n",
         "maps.yaml:8:7: entity 'n.pid:X': the property map of network map 'm' has the domains ipv4, ipv6 and "
         "'m.pid', not another map's PIDs"},
        {NETMAP "property-maps:\n  m: {\"m.pid:C\": {asn: \"1\"}}\n",
         "maps.yaml:8:7: PID 'C' is not defined in network map 'm'"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.1/8\": {asn: \"1\"}}\n",
         "maps.yaml:8:7: bad ipv4 entity 'ipv4:10.0.0.1/8': host bits set"},
        {NETMAP "property-maps:\n  m: {\"ipv4:2001:db8::\": {asn: \"1\"}}\n",
         "maps.yaml:8:7: bad ipv4 entity 'ipv4:2001:db8::': not an IPv4 address or prefix"},
        {NETMAP "property-maps:\n  m: {\"ipv6:10.0.0.0/8\": {asn: \"1\"}}\n",
         "maps.yaml:8:7: bad ipv6 entity 'ipv6:10.0.0.0/8'"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.0/8\": {asn: [1, 2]}}\n",
         "maps.yaml:8:32: a property value (a string) must be a scalar, not a sequence"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.0/8\": {asn: {a: b}}}\n",
         "maps.yaml:8:32: a property value (a string) must be a scalar, not a mapping"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.0/8\": \"64496\"}\n",
         "maps.yaml:8:26: an entity's properties (a mapping of property names to strings) must be a mapping"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.0/8\": {as.n: \"1\"}}\n",
         "maps.yaml:8:27: bad property name 'as.n': letters, digits, '-', ':' or '_' only"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.0/8\": {pid: \"A\"}}\n",
         "maps.yaml:8:27: bad property name 'pid'"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.0/8\": {\"priv:\": \"A\"}}\n",
         "a private property needs a name after 'priv:'"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.0/8\": {a23456789012345678901234567890123: \"A\"}}\n",
         "1 to 32 characters"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.0/8\": {asn: \"1\", asn: \"2\"}}\n",
         "maps.yaml:8:37: property 'asn' of entity 'ipv4:10.0.0.0/8' is given twice (first at maps.yaml:8:27)"},
        {NETMAP "property-maps:\n  m: {\"ipv4:10.0.0.0/8\": {}}\n",
         "maps.yaml:8:7: entity 'ipv4:10.0.0.0/8' defines no property"},
        {NETMAP "property-maps:\n  m:\n    \"ipv4:10.1.2.3\": {asn: \"1\"}\n    \"ipv4:10.1.2.3/32\": {cc: \"1\"}\n",
         "maps.yaml:10:5: entity 'ipv4:10.1.2.3/32' is given twice (first as 'ipv4:10.1.2.3' at maps.yaml:9:5)"},
        {NETMAP "property-maps:\n  zz: {\"ipv4:10.0.0.0/8\": {asn: \"1\"}}\n",
         "maps.yaml:8:3: property map for network map 'zz', which is not defined"},
        {NETMAP "property-maps: [a]\n", "property-maps (a mapping of network map ids) must be a mapping"},
};

START_TEST(errors_name_file_line_column)
{
	char *all = load_err(bad[_i].yaml);
	ck_assert_contains(all, bad[_i].expect);
	free(all);
}
END_TEST

/* ---- randomized: the index against a naive model of inheritance ---- */

#define RNPROPS 5
#define RNENT 400

struct rent {
	struct ip_prefix p;
	char val[RNPROPS][16]; /* "" : not defined */
};

static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

static void mask(struct ip_prefix *p)
{
	unsigned width = p->family == IP_V4 ? 32 : 128;
	for (unsigned b = p->len; b < width; b++)
		p->addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
}

static bool inside(const struct ip_prefix *outer, const struct ip_prefix *q)
{
	if (outer->family != q->family || outer->len > q->len)
		return false;
	for (unsigned b = 0; b < outer->len; b++)
		if (((outer->addr[b / 8] ^ q->addr[b / 8]) >> (7 - b % 8)) & 1)
			return false;
	return true;
}

/* An address of few distinct bits, so that prefixes nest often. */
static struct ip_prefix rnd_addr(enum ip_family f)
{
	static const uint8_t bytes[] = {0, 1, 2, 0x80, 0xc0, 0xff};
	struct ip_prefix p = {.family = (uint8_t)f, .len = (uint8_t)(f == IP_V4 ? 32 : 128)};
	if (f == IP_V4) {
		p.addr[0] = 10;
		for (int i = 1; i < 4; i++)
			p.addr[i] = bytes[rnd(sizeof(bytes))];
	} else {
		p.addr[0] = 0x20;
		p.addr[1] = 0x01;
		p.addr[2] = 0x0d;
		p.addr[3] = 0xb8;
		for (int i = 4; i < 16; i += 1 + (int)rnd(4))
			p.addr[i] = bytes[rnd(sizeof(bytes))];
	}
	return p;
}

/* The length of a random prefix: the ends (/0, /32, /128) often. */
static uint8_t rnd_len(enum ip_family f)
{
	unsigned width = f == IP_V4 ? 32 : 128;
	switch (rnd(6)) {
	case 0: return 0;
	case 1:
	case 2: return (uint8_t)width;
	default: return (uint8_t)rnd(width + 1);
	}
}

/* The naive model (RFC 9240 §6.1.2.2): the value of the longest defined
 * prefix covering q that defines property k. */
static const char *naive(const struct rent *e, size_t n, const struct ip_prefix *q, int k)
{
	const struct rent *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (e[i].val[k][0] && inside(&e[i].p, q) && (best == NULL || e[i].p.len > best->p.len))
			best = &e[i];
	return best ? best->val[k] : NULL;
}

START_TEST(index_matches_naive_inheritance)
{
	rnd_state = 0x9240u + (uint64_t)_i * 7919u;
	static struct rent e[RNENT];
	size_t n = 0;
	/* the /0 of each family defines something in most rounds */
	for (int f = 0; f < 2 && _i % 4 != 3; f++) {
		e[n] = (struct rent){.p = {.family = (uint8_t)(f ? IP_V6 : IP_V4)}};
		snprintf(e[n].val[_i % RNPROPS], sizeof(e[n].val[0]), "zero%d", f);
		n++;
	}
	while (n < RNENT) {
		enum ip_family f = rnd(2) ? IP_V4 : IP_V6;
		struct ip_prefix p = rnd_addr(f);
		p.len = rnd_len(f);
		mask(&p);
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = ip_prefix_cmp(&e[i].p, &p) == 0;
		if (dup)
			continue;
		e[n] = (struct rent){.p = p};
		bool any = false;
		for (int k = 0; k < RNPROPS; k++)
			if (rnd(3) == 0 || (k == RNPROPS - 1 && !any)) {
				snprintf(e[n].val[k], sizeof(e[n].val[k]), "e%zup%d", n, k);
				any = true;
			}
		n++;
	}
	size_t cap = 256 + RNENT * 160, len = 0;
	char *y = malloc(cap);
	ck_assert_ptr_nonnull(y);
	len += (size_t)snprintf(y + len, cap - len, "%sproperty-maps:\n  m:\n", NETMAP);
	for (size_t i = 0; i < n; i++) {
		char ps[IP_PREFIX_STRLEN];
		ip_prefix_format(&e[i].p, ps);
		len += (size_t)snprintf(y + len, cap - len, "    \"ipv%c:%s\": {", e[i].p.family == IP_V4 ? '4' : '6',
		                        ps);
		bool first = true;
		for (int k = 0; k < RNPROPS; k++)
			if (e[i].val[k][0]) {
				len += (size_t)snprintf(y + len, cap - len, "%sp%d: \"%s\"", first ? "" : ", ", k,
				                        e[i].val[k]);
				first = false;
			}
		len += (size_t)snprintf(y + len, cap - len, "}\n");
		ck_assert_uint_lt(len, cap);
	}
	struct topo *t = load_ok(y);
	free(y);
	const struct topo_props *p = topo_netmap_find(t, "m")->props;
	ck_assert_uint_eq(p->nent, n);
	uint32_t idx[RNPROPS];
	for (int k = 0; k < RNPROPS; k++) {
		char name[8];
		snprintf(name, sizeof(name), "p%d", k);
		idx[k] = topo_props_name(p, name);
	}
	/* resolved lists stay within one value per entity and property */
	ck_assert_uint_le(p->nrv, p->nent * p->nnames);
	ck_assert_uint_gt(topo_props_index_memory(p), 0);
	for (int iter = 0; iter < 4000; iter++) {
		struct ip_prefix q;
		if (rnd(4) == 0) { /* anywhere near the entities */
			q = rnd_addr(rnd(2) ? IP_V4 : IP_V6);
		} else { /* inside, at or around an entity */
			q = e[rnd((uint32_t)n)].p;
			unsigned width = q.family == IP_V4 ? 32 : 128;
			for (unsigned b = q.len; b < width; b++)
				if (rnd(2))
					q.addr[b / 8] |= (uint8_t)(0x80u >> (b % 8));
		}
		unsigned width = q.family == IP_V4 ? 32 : 128;
		q.len = rnd(2) ? (uint8_t)width : (uint8_t)rnd(width + 1);
		mask(&q);
		struct topo_pvals all = topo_props_ip_all(p, &q);
		for (int k = 0; k < RNPROPS; k++) {
			const char *want = naive(e, n, &q, k);
			const char *got = topo_props_ip(p, &q, idx[k]);
			const char *got_all = idx[k] == PROP_NONE ? NULL : topo_pvals_get(all, idx[k]);
			char qs[IP_PREFIX_STRLEN];
			ip_prefix_format(&q, qs);
			ck_assert_msg((want == NULL && got == NULL) || (want && got && strcmp(want, got) == 0),
			              "round %d, %s p%d: %s, want %s", _i, qs, k, got ? got : "none",
			              want ? want : "none");
			ck_assert_msg(got == got_all, "round %d, %s p%d: one lookup differs", _i, qs, k);
		}
	}
	topo_free(t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("props");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, model_and_inheritance);
	tcase_add_test(tc, sections_across_files_and_before_the_map);
	tcase_add_loop_test(tc, errors_name_file_line_column, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_loop_test(tc, index_matches_naive_inheritance, 0, 8);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

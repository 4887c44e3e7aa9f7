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

static Suite *suite(void)
{
	Suite *s = suite_create("props");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, model_and_inheritance);
	tcase_add_test(tc, sections_across_files_and_before_the_map);
	tcase_add_loop_test(tc, errors_name_file_line_column, 0, sizeof(bad) / sizeof(bad[0]));
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

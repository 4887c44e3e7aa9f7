/* SPDX-License-Identifier: BSD-2-Clause */
/* The maps loader: the model it builds, and every error with its place. */
#include <check.h>
#include <stdio.h>

#include "topo/load.h"
#include "topo/topo.h"
#include "testutil.h"

static const char *EXAMPLE = "network-maps:\n"
                             "  my-default-network-map:\n"
                             "    default: true\n"
                             "    pids:\n"
                             "      PID1:\n"
                             "        ipv4: [192.0.2.0/24, 198.51.100.0/25]\n"
                             "      PID2:\n"
                             "        ipv4: [198.51.100.128/25]\n"
                             "      PID3:\n"
                             "        ipv4: [0.0.0.0/0]\n"
                             "        ipv6: [\"::/0\"]\n"
                             "cost-maps:\n"
                             "  my-default-network-map:\n"
                             "    routingcost:\n"
                             "      PID1: {PID1: 1, PID2: 5, PID3: 10}\n"
                             "      PID2: {PID1: 5, PID2: 1, PID3: 15}\n"
                             "      PID3: {PID1: 20, PID2: 15}\n"
                             "    hopcount:\n"
                             "      PID1: {PID1: 0, PID2: 2, PID3: 3}\n";

START_TEST(example_model)
{
	struct topo *t = load_ok(EXAMPLE);
	ck_assert_uint_eq(t->nnetmaps, 1);
	const struct topo_netmap *nm = topo_netmap_find(t, "my-default-network-map");
	ck_assert_ptr_nonnull(nm);
	ck_assert(nm->is_default);
	ck_assert_uint_eq(t->default_map, 0);
	ck_assert_uint_eq(nm->npids, 3);
	ck_assert_str_eq(nm->pids[0].name, "PID1");
	ck_assert_uint_eq(nm->pids[0].nprefixes, 2);
	ck_assert_uint_eq(nm->pids[2].nprefixes, 2);
	ck_assert_uint_eq(nm->pids[2].nv4, 1);
	ck_assert_uint_eq(nm->nprefixes, 5);
	ck_assert_uint_eq(strlen(nm->vtag), 64);

	uint8_t a[16];
	ip_addr_parse("198.51.100.200", IP_V4, a);
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, a), 1);
	ip_addr_parse("203.0.113.1", IP_V4, a);
	ck_assert_uint_eq(topo_lookup(nm, IP_V4, a), 2);
	ip_addr_parse("2001:db8::1", IP_V6, a);
	ck_assert_uint_eq(topo_lookup(nm, IP_V6, a), 2);

	ck_assert_uint_eq(nm->nmetrics, 2);
	ck_assert_str_eq(nm->metrics[0].name, "hopcount"); /* sorted */
	const struct topo_metric *rc = topo_metric_find(nm, "routingcost");
	ck_assert_ptr_nonnull(rc);
	ck_assert_uint_eq(rc->nentries, 8);
	ck_assert_uint_eq(topo_cost_find(rc, 2, 2), TOPO_NONE); /* PID3 -> PID3 absent */
	uint32_t e = topo_cost_find(rc, 2, 0);
	ck_assert_uint_ne(e, TOPO_NONE);
	ck_assert(rc->val[e] == 20);
	/* ordinal: distinct costs 1 5 10 15 20 -> ranks 1..5 */
	ck_assert_uint_eq(rc->rank[e], 5);
	ck_assert_uint_eq(rc->rank[topo_cost_find(rc, 0, 0)], 1);
	ck_assert_uint_eq(rc->rank[topo_cost_find(rc, 1, 1)], 1);
	ck_assert_uint_eq(rc->rank[topo_cost_find(rc, 0, 1)], 2);
	ck_assert_uint_eq(rc->rank[topo_cost_find(rc, 1, 2)], 4);
	topo_free(t);
}
END_TEST

START_TEST(vtag_deterministic_and_content_bound)
{
	struct topo *a = load_ok(EXAMPLE);
	struct topo *b = load_ok(EXAMPLE);
	ck_assert_str_eq(a->netmaps[0].vtag, b->netmaps[0].vtag);
	/* the same content written differently: same tag */
	struct topo *c = load_ok("network-maps:\n"
	                         "  my-default-network-map:\n"
	                         "    pids:\n"
	                         "      PID3: {ipv6: ['::/0'], ipv4: [0.0.0.0/0]}\n"
	                         "      PID2: {ipv4: [198.51.100.128/25]}\n"
	                         "      PID1: {ipv4: [198.51.100.0/25, 192.0.2.0/24]}\n");
	ck_assert_str_eq(a->netmaps[0].vtag, c->netmaps[0].vtag);
	/* a moved prefix: another tag */
	struct topo *d = load_ok("network-maps:\n"
	                         "  my-default-network-map:\n"
	                         "    pids:\n"
	                         "      PID3: {ipv6: ['::/0'], ipv4: [0.0.0.0/0]}\n"
	                         "      PID2: {ipv4: [198.51.100.128/25, 198.51.100.0/25]}\n"
	                         "      PID1: {ipv4: [192.0.2.0/24]}\n");
	ck_assert_str_ne(a->netmaps[0].vtag, d->netmaps[0].vtag);
	/* costs do not change the network map's tag */
	struct topo *e = load_ok("network-maps:\n"
	                         "  my-default-network-map:\n"
	                         "    pids:\n"
	                         "      PID3: {ipv6: ['::/0'], ipv4: [0.0.0.0/0]}\n"
	                         "      PID2: {ipv4: [198.51.100.128/25]}\n"
	                         "      PID1: {ipv4: [198.51.100.0/25, 192.0.2.0/24]}\n"
	                         "cost-maps:\n"
	                         "  my-default-network-map:\n"
	                         "    routingcost: {PID1: {PID2: 7}}\n");
	ck_assert_str_eq(a->netmaps[0].vtag, e->netmaps[0].vtag);
	for (const char *p = a->netmaps[0].vtag; *p; p++)
		ck_assert(*p >= 0x21 && *p <= 0x7e); /* RFC 7285 §10.3 */
	topo_free(a);
	topo_free(b);
	topo_free(c);
	topo_free(d);
	topo_free(e);
}
END_TEST

START_TEST(default_is_first_defined)
{
	struct topo *t = load_ok("network-maps:\n"
	                         "  zzz: {pids: {A: {ipv4: [0.0.0.0/0]}}}\n"
	                         "  aaa: {pids: {A: {ipv4: [0.0.0.0/0]}}}\n");
	ck_assert_str_eq(t->netmaps[t->default_map].id, "zzz");
	ck_assert(t->netmaps[t->default_map].is_default);
	ck_assert(!t->netmaps[0].is_default); /* aaa sorts first */
	topo_free(t);
}
END_TEST

START_TEST(bandwidth_ranks_higher_first)
{
	struct topo *t = load_ok("network-maps:\n"
	                         "  m: {pids: {A: {ipv4: [0.0.0.0/0]}, B: {}}}\n"
	                         "cost-maps:\n"
	                         "  m:\n"
	                         "    bw-available: {A: {A: 100, B: 10}, B: {A: 10, B: 1000}}\n");
	const struct topo_metric *m = &t->netmaps[0].metrics[0];
	ck_assert_uint_eq(m->rank[topo_cost_find(m, 1, 1)], 1);
	ck_assert_uint_eq(m->rank[topo_cost_find(m, 0, 0)], 2);
	ck_assert_uint_eq(m->rank[topo_cost_find(m, 0, 1)], 3);
	ck_assert_uint_eq(m->rank[topo_cost_find(m, 1, 0)], 3);
	topo_free(t);
}
END_TEST

START_TEST(cost_map_before_network_map_and_across_files)
{
	const char *names[] = {"costs.yaml", "nets.yaml"};
	const char *texts[] = {"cost-maps:\n  m: {routingcost: {A: {B: 1.5}}}\n",
	                       "network-maps:\n  m: {pids: {A: {ipv4: [10.0.0.0/8]}, B: {ipv4: [0.0.0.0/0]}}}\n"};
	struct diag d;
	struct topo *t;
	diag_init(&d);
	ck_assert_int_eq(topo_load_mem(names, texts, 2, &t, &d), 0);
	ck_assert(t->netmaps[0].metrics[0].val[0] == 1.5);
	topo_free(t);
	diag_free(&d);
}
END_TEST

START_TEST(duplicate_id_across_files)
{
	const char *names[] = {"a.yaml", "b.yaml"};
	const char *texts[] = {"network-maps:\n  m: {pids: {A: {ipv4: [10.0.0.0/8]}}}\n",
	                       "\nnetwork-maps:\n  m: {pids: {A: {ipv4: [10.0.0.0/8]}}}\n"};
	struct diag d;
	struct topo *t;
	diag_init(&d);
	ck_assert_int_ne(topo_load_mem(names, texts, 2, &t, &d), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_contains(d.msgs[0], "resource id 'm' defined twice (first at a.yaml:2:3)");
	ck_assert(strncmp(d.msgs[0], "b.yaml:3:3: ", 12) == 0);
	diag_free(&d);
}
END_TEST

/* Each bad input: the expected "file:line:column: message" fragment. */
static const struct {
	const char *yaml;
	const char *expect;
} bad[] = {
        {"network-maps:\n  m: {pids: {A: {ipv4: [10.0.0.1/8]}}}\n",
         "maps.yaml:2:25: bad IPv4 prefix '10.0.0.1/8': host bits set after the prefix length"},
        {"network-maps:\n  m:\n    pids:\n      A: {ipv4: [10.0.0.0/8]}\n      B: {ipv4: [10.0.0.0/8]}\n",
         "maps.yaml:5:18: prefix 10.0.0.0/8 of PID 'B' is already in PID 'A' (at maps.yaml:4:18)"},
        {"network-maps:\n  m: {pids: {A: {ipv4: [10.0.0.0/8, 10.0.0.0/8]}}}\n", "is already in PID 'A'"},
        {"network-maps:\n  m: {pids: {A: {ipv6: [10.0.0.0/8]}}}\n", "maps.yaml:2:25: bad IPv6 prefix '10.0.0.0/8'"},
        {"network-maps:\n  m: {pids: {A: {ipv4: [10.0.0.0]}}}\n", "prefix lacks a /length"},
        {"network-maps:\n  m: {pids: {A: {ipx: [10.0.0.0/8]}}}\n",
         "maps.yaml:2:18: unknown address type 'ipx' (ipv4 or ipv6)"},
        {"network-maps:\n  m: {pids: {PID.1: {ipv4: [10.0.0.0/8]}}}\n", "maps.yaml:2:14: invalid PID name 'PID.1'"},
        {"network-maps:\n  m: {pids: {"
         "A23456789012345678901234567890123456789012345678901234567890123456: {}}}\n",
         "invalid PID name"},
        {"network-maps:\n  m/x: {pids: {A: {}}}\n", "maps.yaml:2:3: invalid resource id 'm/x'"},
        {"network-maps:\n  m: {pids: {A: {}, A: {}}}\n", "maps.yaml:2:21: PID 'A' defined twice in network map 'm'"},
        {"network-maps:\n  m: {default: maybe, pids: {A: {}}}\n", "default must be true or false, not 'maybe'"},
        {"network-maps:\n  m: {}\n", "maps.yaml:2:3: network map 'm' has no pids"},
        {"network-maps:\n  m: {pids: {A: {}}, color: blue}\n",
         "maps.yaml:2:22: unknown key 'color' in network map 'm'"},
        {"network-maps:\n  a: {default: true, pids: {A: {}}}\n  b: {default: true, pids: {A: {}}}\n",
         "maps.yaml:3:3: network map 'b' is the second one marked default: true"},
        {"network-map:\n  m: {pids: {A: {}}}\n",
         "maps.yaml:1:1: unknown key 'network-map' (network-maps, cost-maps, property-maps)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {routingcost: {A: {A: -1}}}\n",
         "maps.yaml:4:28: bad cost '-1' of cost metric 'routingcost': a routing cost is a number >= 0"},
        /* RFC 9439 §4, §5: each metric's domain */
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {delay-ow: {A: {A: -0.5}}}\n",
         "maps.yaml:4:25: bad cost '-0.5' of cost metric 'delay-ow': a one-way delay is a number of microseconds >= "
         "0 (RFC 9439 §4.1)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {delay-rt: {A: {A: -1}}}\n",
         "maps.yaml:4:25: bad cost '-1' of cost metric 'delay-rt': a round-trip delay is"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {'delay-variation:p99': {A: {A: -1}}}\n",
         "maps.yaml:4:38: bad cost '-1' of cost metric 'delay-variation:p99': a delay variation is"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {lossrate: {A: {A: 100.5}}}\n",
         "maps.yaml:4:25: bad cost '100.5' of cost metric 'lossrate': a loss rate is a percentage from 0 to 100 "
         "(RFC 9439 §4.4)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {'lossrate:max': {A: {A: -1}}}\n",
         "maps.yaml:4:31: bad cost '-1' of cost metric 'lossrate:max'"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {'lossrate:stddev': {A: {A: 101}}}\n",
         "maps.yaml:4:34: bad cost '101' of cost metric 'lossrate:stddev': a loss rate is"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {hopcount: {A: {A: 2.5}}}\n",
         "maps.yaml:4:25: bad cost '2.5' of cost metric 'hopcount': a hop count is an integer >= 0 (RFC 9439 §4.5)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {'hopcount:p95': {A: {A: 1e-3}}}\n",
         "maps.yaml:4:31: bad cost '1e-3' of cost metric 'hopcount:p95': a hop count is an integer"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {hopcount: {A: {A: -2}}}\n",
         "maps.yaml:4:25: bad cost '-2' of cost metric 'hopcount': a hop count is an integer >= 0"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {tput: {A: {A: -1}}}\n",
         "maps.yaml:4:21: bad cost '-1' of cost metric 'tput': a throughput is a number of bytes per second >= 0 "
         "(RFC 9439 §5.1)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {bw-residual: {A: {A: -1}}}\n",
         "maps.yaml:4:28: bad cost '-1' of cost metric 'bw-residual': a residual bandwidth is"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {bw-available: {A: {A: -1}}}\n",
         "maps.yaml:4:29: bad cost '-1' of cost metric 'bw-available': an available bandwidth is"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {bw-maxres: {A: {A: -1}}}\n",
         "maps.yaml:4:26: bad cost '-1' of cost metric 'bw-maxres': a maximum reservable bandwidth is"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {'priv:x': {A: {A: -1}}}\n",
         "maps.yaml:4:25: bad cost '-1' of cost metric 'priv:x': a cost is a number >= 0"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {'delay-ow:p101': {A: {A: 1}}}\n",
         "maps.yaml:4:7: cost metric 'delay-ow:p101': unknown statistical operator"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {'routingcost:mean': {A: {A: 1}}}\n",
         "maps.yaml:4:7: cost metric 'routingcost:mean': routingcost takes no statistical operator"},
        /* RFC 9439 §2.1: cost-context */
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m:\n    delay-ow: {A: {A: 1}}\n"
         "    cost-context: {delay-ow: {cost-source: guess}}\n",
         "maps.yaml:6:44: unknown cost-source 'guess' (estimation, nominal, sla: RFC 9439 §2.1)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m:\n    delay-ow: {A: {A: 1}}\n"
         "    cost-context: {delay-ow: {parameters: {a: 1}}}\n",
         "maps.yaml:6:20: the cost-context of 'delay-ow' has no cost-source (RFC 9439 §2.1)"},
        /* RFC 9439's "ALTO Cost Source" registry: nominal, sla, estimation */
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m:\n    delay-ow: {A: {A: 1}}\n"
         "    cost-context: {delay-ow: {cost-source: import}}\n",
         "maps.yaml:6:44: unknown cost-source 'import' (estimation, nominal, sla: RFC 9439 §2.1)"},
        /* RFC 9439 §6.3: routingcost's cost-source MUST be estimation */
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m:\n    routingcost: {A: {A: 1}}\n"
         "    cost-context: {routingcost: {cost-source: sla}}\n",
         "maps.yaml:6:20: the cost-source of routingcost can only be estimation (RFC 9439 §6.3)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m:\n    'delay-ow:p99.9': {A: {A: -1}}\n",
         "maps.yaml:5:31: bad cost '-1' of cost metric 'delay-ow:p99.9': a one-way delay is"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m:\n    delay-ow: {A: {A: 1}}\n"
         "    cost-context: {delay-ow: {cost-source: sla, link: x}}\n",
         "maps.yaml:6:49: unknown key 'link' in the cost-context of 'delay-ow' (cost-source, parameters)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m:\n    delay-ow: {A: {A: 1}}\n"
         "    cost-context: {delay-rt: {cost-source: sla}}\n",
         "maps.yaml:6:20: cost-context for 'delay-rt', which this cost map of 'm' does not give"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m:\n    delay-ow: {A: {A: 1}}\n"
         "    cost-context: {delay-ow: {cost-source: sla}, delay-ow: {cost-source: nominal}}\n",
         "maps.yaml:6:50: the cost-context of 'delay-ow' is given twice (first at maps.yaml:6:20)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m:\n    delay-ow: {A: {A: 1}}\n"
         "    cost-context: {delay-ow: {cost-source: sla, parameters: {a: [1]}}}\n",
         "maps.yaml:6:65: a parameter value (a string or a number) must be a scalar"},
        {"network-maps:\n  m: {pids: {A: {}}}\n  n: {pids: {A: {}}}\ncost-maps:\n  m:\n    tput: {A: {A: 1}}\n"
         "    cost-context: {tput: {cost-source: sla}}\n  n:\n    tput: {A: {A: 1}}\n",
         "maps.yaml:9:5: cost metric 'tput' has another cost-context than in network map 'm' (at maps.yaml:6:5)"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {routingcost: {A: {A: fast}}}\n", "bad cost 'fast'"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {routingcost: {A: {A: .nan}}}\n", "bad cost '.nan'"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {routingcost: {A: {A: 1e999}}}\n", "bad cost '1e999'"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {routingcost: {A: {B: 1}}}\n",
         "maps.yaml:4:25: PID 'B' is not defined in network map 'm'"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  n: {routingcost: {A: {A: 1}}}\n",
         "maps.yaml:4:3: cost map for network map 'n', which is not defined"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {speed: {A: {A: 1}}}\n",
         "maps.yaml:4:7: cost metric 'speed': unknown cost metric"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {'priv:': {A: {A: 1}}}\n",
         "a private cost metric needs a name after 'priv:'"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {routingcost: {A: {A: 1, A: 2}}}\n",
         "the cost from 'A' to 'A' is given twice"},
        {"network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {routingcost: {A: {A: 1}}}\n"
         "  m: {routingcost: {A: {A: 1}}}\n",
         "maps.yaml:5:7: cost metric 'routingcost' of network map 'm' defined twice (first at maps.yaml:4:7)"},
        {"network-maps:\n  m: {pids: {A: {ipv4: [10.0.0.0/8}}}\n", "maps.yaml:2:35: YAML syntax error"},
        {"network-maps: &x\n  m: {pids: {A: {}}}\ncost-maps: *x\n", "YAML aliases are not supported"},
        {"", "no YAML document (is the file empty?)"},
        {"- a\n- b\n", "must be a mapping, not a sequence"},
        {"network-maps:\n  m: {pids: {A: {}}}\n---\nnetwork-maps: {}\n", "more than one YAML document"},
        {"network-maps:\n  m: {pids: {A: {ipv4: 10.0.0.0/8}}}\n",
         "a list of prefixes must be a sequence, not a scalar"},
        /* found by fuzzing (a 10-minute run of tests/fuzz maps): a key with
         * a NUL made the reader take it for the end of its mapping, and a
         * later mapping loop never returned at the end of the document */
        {"network-maps:\n  a: {d}\ncost-maps:\n  a: {hopcount: {X: {X: 0, Y: 2}}, \"pri\\u0000v:x\": {Y: {X: 1.5}}}\n",
         "maps.yaml:4:36: a key contains a NUL character"},
        {"network-maps:\n  m: {pids: {\"A\\0B\": {}, C: {ipv4: [10.0.0.0/8]}}}\n",
         "maps.yaml:2:14: a key contains a NUL character"},
};

START_TEST(errors_name_file_line_column)
{
	char *all = load_err(bad[_i].yaml);
	ck_assert_contains(all, bad[_i].expect);
	free(all);
}
END_TEST

START_TEST(every_error_is_reported)
{
	char *all = load_err("network-maps:\n"
	                     "  m:\n"
	                     "    pids:\n"
	                     "      A: {ipv4: [10.0.0.1/8]}\n"
	                     "      B: {ipv6: [zz::/8]}\n"
	                     "      C.x: {}\n");
	ck_assert_contains(all, "maps.yaml:4:");
	ck_assert_contains(all, "maps.yaml:5:");
	ck_assert_contains(all, "maps.yaml:6:");
	free(all);
}
END_TEST

START_TEST(missing_file)
{
	const char *paths[] = {"/nonexistent/altod/maps.yaml"};
	struct diag d;
	struct topo *t;
	diag_init(&d);
	ck_assert_int_ne(topo_load(paths, 1, &t, &d), 0);
	ck_assert_ptr_null(t);
	ck_assert_contains(d.msgs[0], "/nonexistent/altod/maps.yaml: cannot open: No such file or directory");
	diag_free(&d);
}
END_TEST

START_TEST(all_metrics_accepted)
{
	static const char *metrics[] = {"routingcost",
	                                "hopcount",
	                                "delay-ow",
	                                "delay-rt",
	                                "delay-variation",
	                                "lossrate",
	                                "tput",
	                                "bw-residual",
	                                "bw-available",
	                                "bw-maxres",
	                                "delay-ow:p95",
	                                "delay-rt:p0",
	                                "delay-rt:p100",
	                                "delay-variation:stddev",
	                                "lossrate:mean",
	                                "hopcount:median",
	                                "tput:min",
	                                "bw-residual:max",
	                                "bw-available:cur",
	                                "bw-maxres:stdvar",
	                                "priv:example-metric"};
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml),
		         "network-maps:\n  m: {pids: {A: {}}}\ncost-maps:\n  m: {'%s': {A: {A: %s}}}\n", metrics[i],
		         strcmp(metrics[i], "hopcount") == 0 ? "3" : "0.25"); /* a hop count is whole */
		struct topo *t = load_ok(yaml);
		ck_assert_str_eq(t->netmaps[0].metrics[0].name, metrics[i]);
		topo_free(t);
	}
}
END_TEST

/* RFC 9439: ordinal ranks follow each metric's direction: for bandwidth
 * and throughput more is better (rank 1 = the highest), a spread (stddev,
 * stdvar) is better small whatever the metric. */
START_TEST(ordinal_direction_per_metric)
{
	static const struct {
		const char *name;
		bool higher;
	} metrics[] = {
	        {"routingcost", false},
	        {"hopcount", false},
	        {"delay-ow", false},
	        {"delay-rt:p95", false},
	        {"delay-variation", false},
	        {"lossrate", false},
	        {"tput", true},
	        {"tput:stddev", false},
	        {"bw-residual", true},
	        {"bw-available:min", true},
	        {"bw-maxres", true},
	        {"bw-maxres:stdvar", false},
	        {"priv:x", false},
	};
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml),
		         "network-maps:\n  m: {pids: {A: {}, B: {}, C: {}}}\ncost-maps:\n  m: {'%s': {A: {A: 1, B: 5, "
		         "C: "
		         "3}}}\n",
		         metrics[i].name);
		struct topo *t = load_ok(yaml);
		const struct topo_metric *m = &t->netmaps[0].metrics[0];
		ck_assert_str_eq(m->name, metrics[i].name);
		ck_assert_msg(m->higher_is_better == metrics[i].higher, "%s", metrics[i].name);
		/* entries A->A 1, A->B 5, A->C 3 */
		static const uint32_t lower[3] = {1, 3, 2}, higher[3] = {3, 1, 2};
		for (int k = 0; k < 3; k++)
			ck_assert_msg(m->rank[k] == (metrics[i].higher ? higher : lower)[k], "%s entry %d: rank %u",
			              metrics[i].name, k, m->rank[k]);
		topo_free(t);
	}
}
END_TEST

/* RFC 9439 §2.1: a cost-context per metric, with its parameters as JSON. */
START_TEST(cost_contexts)
{
	struct topo *t =
	        load_ok("network-maps:\n  m: {pids: {A: {}}}\n  n: {pids: {A: {}}}\n"
	                "cost-maps:\n  m:\n    cost-context:\n"
	                "      delay-ow: {cost-source: estimation, parameters: {method: owamp, \"n\": 2.5e1}}\n"
	                "      bw-maxres: {cost-source: nominal}\n"
	                "    delay-ow: {A: {A: 1}}\n    bw-maxres: {A: {A: 1}}\n    hopcount: {A: {A: 1}}\n"
	                "  n:\n    bw-maxres: {A: {A: 2}}\n    cost-context: {bw-maxres: {cost-source: nominal}}\n");
	const struct topo_netmap *m = topo_netmap_find(t, "m");
	const struct topo_metric *d = topo_metric_find(m, "delay-ow");
	ck_assert_uint_eq(d->source, COST_SOURCE_ESTIMATION);
	ck_assert_str_eq(d->params, "{\"method\":\"owamp\",\"n\":2.5e1}");
	const struct topo_metric *b = topo_metric_find(m, "bw-maxres");
	ck_assert_uint_eq(b->source, COST_SOURCE_NOMINAL);
	ck_assert_ptr_null(b->params);
	ck_assert_uint_eq(topo_metric_find(m, "hopcount")->source, COST_SOURCE_NONE);
	ck_assert_uint_eq(topo_metric_find(topo_netmap_find(t, "n"), "bw-maxres")->source, COST_SOURCE_NOMINAL);
	topo_free(t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, example_model);
	tcase_add_test(tc, vtag_deterministic_and_content_bound);
	tcase_add_test(tc, default_is_first_defined);
	tcase_add_test(tc, bandwidth_ranks_higher_first);
	tcase_add_test(tc, cost_map_before_network_map_and_across_files);
	tcase_add_test(tc, duplicate_id_across_files);
	tcase_add_loop_test(tc, errors_name_file_line_column, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, every_error_is_reported);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, all_metrics_accepted);
	tcase_add_test(tc, ordinal_direction_per_metric);
	tcase_add_test(tc, cost_contexts);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)

"""RFC 9439 performance metrics against altod serving conf/maps/perfmetrics.yaml.

The expected answers are computed here, independently of altod: the costs
are read from the maps file with PyYAML, the ordinal ranks by a dense
ranking whose direction comes from the table below (RFC 9439 §5: more
throughput or bandwidth is better), the cost types with their cost-context
(RFC 9439 §2.1) from the same file.
"""

import json
import os
import unittest

import yaml

import altodtest as at
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_ENDPOINTCOST, MT_ENDPOINTCOSTPARAMS)

PERF_MAPS = os.path.join(at.SRC, "conf", "maps", "perfmetrics.yaml")
NM = "perf-network-map"

# RFC 9439 §4, §5: is a higher value better? (a spread, stddev or stdvar, never)
HIGHER_IS_BETTER = {"delay-ow": False, "delay-rt": False, "delay-variation": False, "lossrate": False,
                    "hopcount": False, "tput": True, "bw-residual": True, "bw-available": True,
                    "bw-maxres": True}


def higher_is_better(metric):
    if metric.startswith("priv:"):
        return False
    base, _, op = metric.partition(":")
    return HIGHER_IS_BETTER[base] and op not in ("stddev", "stdvar")


def read_maps():
    with open(PERF_MAPS, encoding="utf-8") as f:
        text = f.read()
    doc = yaml.safe_load(text)
    section = dict(doc["cost-maps"][NM])
    contexts = section.pop("cost-context")
    return text, section, contexts


def dense(values, higher):
    """RFC 7285 §6.1.2 ordinal: 1 = best, equal costs share a rank."""
    distinct = sorted(set(values), reverse=higher)
    return {v: i + 1 for i, v in enumerate(distinct)}


def ordinal(table, metric):
    pos = dense([v for row in table.values() for v in row.values()], higher_is_better(metric))
    return {s: {d: pos[v] for d, v in row.items()} for s, row in table.items()}


def cost_type(metric, mode, contexts):
    ct = {"cost-mode": mode, "cost-metric": metric}
    if metric in contexts:
        ct["cost-context"] = contexts[metric]
    return ct


class PerfMetrics(at.AltodTestCase):
    @classmethod
    def setUpClass(cls):
        cls.text, cls.costs, cls.contexts = read_maps()
        cls.altod = at.start_class_altod(cls, {"maps/perf.yaml": cls.text})
        cls.ird = cls.altod.ird()

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def post(self, uri, body, ctype):
        return self.altod.post(uri, body, ctype)

    def test_every_rfc9439_metric_is_in_the_example(self):
        bases = {m.partition(":")[0] for m in self.costs if not m.startswith("priv:")}
        self.assertEqual(bases, set(HIGHER_IS_BETTER))
        # hopcount has no context: example.yaml, served beside it by
        # conf/altod.yaml, gives the same cost type none (one per directory)
        self.assertEqual(set(self.contexts), set(self.costs) - {"hopcount"})

    def test_directory_cost_types_carry_their_context(self):
        """RFC 9439 §2.1: each cost type of the directory has the
        cost-context of its metric, as the maps give it."""
        want = {}
        for metric in self.costs:
            for mode in ("numerical", "ordinal"):
                want[("num-" if mode == "numerical" else "ord-") + metric] = cost_type(metric, mode, self.contexts)
        self.assertEqual(self.ird.cost_types, want)
        self.assertEqual(self.ird.cost_types["num-bw-maxres"],
                         {"cost-mode": "numerical", "cost-metric": "bw-maxres",
                          "cost-context": {"cost-source": "nominal"}})
        self.assertEqual(self.ird.cost_types["ord-bw-residual"],
                         {"cost-mode": "ordinal", "cost-metric": "bw-residual",
                          "cost-context": {"cost-source": "estimation", "parameters": {"protocol": "bgp-ls"}}})
        self.assertEqual(self.ird.cost_types["ord-hopcount"], {"cost-mode": "ordinal", "cost-metric": "hopcount"})

    def test_endpoint_cost_delay_ow(self):
        """An endpoint cost request for the one-way delay from one source to
        four destinations (RFC 9439 §4.1's example request) -> its answer."""
        r = self.post(self.ird.endpointcost_uri(NM),
                      {"cost-type": {"cost-mode": "numerical", "cost-metric": "delay-ow"},
                       "endpoints": {"srcs": ["ipv4:192.0.2.2"],
                                     "dsts": ["ipv4:192.0.2.89", "ipv4:198.51.100.34", "ipv4:203.0.113.45",
                                              "ipv6:2001:db8::10"]}},
                      MT_ENDPOINTCOSTPARAMS)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, MT_ENDPOINTCOST)
        self.assertEqual(r.json(), {
            "meta": {"cost-type": {"cost-mode": "numerical", "cost-metric": "delay-ow",
                                   "cost-context": {"cost-source": "estimation"}}},
            "endpoint-cost-map": {"ipv4:192.0.2.2": {"ipv4:192.0.2.89": 10, "ipv4:198.51.100.34": 20,
                                                     "ipv4:203.0.113.45": 30, "ipv6:2001:db8::10": 40}}})

    def test_endpoint_cost_ordinal_tput(self):
        """Throughput: rank 1 is the highest value (RFC 9439 §5.1)."""
        r = self.post(self.ird.endpointcost_uri(NM),
                      {"cost-type": {"cost-mode": "ordinal", "cost-metric": "tput"},
                       "endpoints": {"srcs": ["ipv4:192.0.2.2"],
                                     "dsts": ["ipv4:192.0.2.89", "ipv4:198.51.100.34", "ipv4:203.0.113.45",
                                              "ipv6:2001:db8::10"]}},
                      MT_ENDPOINTCOSTPARAMS)
        self.assertEqual(r.json()["endpoint-cost-map"],
                         {"ipv4:192.0.2.2": {"ipv4:192.0.2.89": 1, "ipv4:198.51.100.34": 2,
                                             "ipv4:203.0.113.45": 1, "ipv6:2001:db8::10": 3}})

    def test_every_cost_map_numerical_and_ordinal(self):
        """Every metric's full cost map in both modes equals the file's
        values and an independent dense ranking in the metric's direction."""
        for metric, table in self.costs.items():
            for mode in ("numerical", "ordinal"):
                with self.subTest(metric=metric, mode=mode):
                    r = self.altod.get(self.ird.costmap_uri(NM, metric, mode))
                    self.assertEqual(r.status, 200, r)
                    self.assertEqual(r.content_type, MT_COSTMAP)
                    doc = r.json()
                    self.assertEqual(doc["meta"]["cost-type"], cost_type(metric, mode, self.contexts))
                    want = table if mode == "numerical" else ordinal(table, metric)
                    self.assertEqual(doc["cost-map"], want)

    def test_filtered_cost_map_bandwidth_ordinal(self):
        r = self.post(self.ird.filtered_costmap_uri(NM),
                      {"cost-type": {"cost-mode": "ordinal", "cost-metric": "bw-available"},
                       "pids": {"srcs": ["PID1"], "dsts": []}}, MT_COSTMAPFILTER)
        doc = r.json()
        self.assertEqual(doc["meta"]["cost-type"], cost_type("bw-available", "ordinal", self.contexts))
        # 1e9 > 5e8 (twice) > 100000000.5: more bandwidth ranks first
        self.assertEqual(doc["cost-map"], {"PID1": {"PID2": 1, "PID3": 2, "PID4": 3, "PID5": 2}})

    def test_directions_against_python(self):
        """The ordinal direction of every metric, checked on one row where
        the lowest and the highest value differ."""
        for metric, table in self.costs.items():
            with self.subTest(metric=metric):
                r = self.post(self.ird.filtered_costmap_uri(NM),
                              {"cost-type": {"cost-mode": "ordinal", "cost-metric": metric},
                               "pids": {"srcs": ["PID1"], "dsts": []}}, MT_COSTMAPFILTER)
                ranks = r.json()["cost-map"]["PID1"]
                row = table["PID1"]
                best = max(row.values()) if higher_is_better(metric) else min(row.values())
                self.assertEqual({d for d, v in ranks.items() if v == 1}, {d for d, v in row.items() if v == best})


class PerfMetricsConfig(at.AltodTestCase):
    """Values outside a metric's domain and bad cost-contexts: `altod -t`
    names them at file:line:column; a reload with them keeps serving."""

    BASE = ("network-maps:\n  m:\n    pids:\n      A: {ipv4: [10.0.0.0/8]}\n      B: {ipv4: [11.0.0.0/8]}\n"
            "cost-maps:\n  m:\n")

    def check(self, body):
        d = at.make_tree(self, {"m.yaml": self.BASE + body, "altod.yaml": at.config_text(["m.yaml"])})
        code, out = at.check_config(os.path.join(d, "altod.yaml"))
        self.assertNotEqual(code, 0, out)
        return [(os.path.basename(f) if f else f, ln, col, msg) for f, ln, col, msg in at.parse_diag_lines(out)]

    def test_out_of_domain_values(self):
        cases = [
            ("delay-ow", "-1", "a one-way delay is a number of microseconds >= 0 (RFC 9439 §4.1)"),
            ("delay-rt", "-0.5", "a round-trip delay is a number of microseconds >= 0 (RFC 9439 §4.2)"),
            ("delay-variation", "-3", "a delay variation is a number of microseconds >= 0 (RFC 9439 §4.3)"),
            ("delay-ow:p95", "-1", "a one-way delay is a number of microseconds >= 0 (RFC 9439 §4.1)"),
            ("lossrate", "100.01", "a loss rate is a percentage from 0 to 100 (RFC 9439 §4.4)"),
            ("lossrate", "-1", "a loss rate is a percentage from 0 to 100 (RFC 9439 §4.4)"),
            ("lossrate:p99", "150", "a loss rate is a percentage from 0 to 100 (RFC 9439 §4.4)"),
            ("hopcount", "2.5", "a hop count is an integer >= 0 (RFC 9439 §4.5)"),
            ("hopcount", "-1", "a hop count is an integer >= 0 (RFC 9439 §4.5)"),
            ("hopcount:max", "1.5", "a hop count is an integer >= 0 (RFC 9439 §4.5)"),
            ("tput", "-1", "a throughput is a number of bytes per second >= 0 (RFC 9439 §5.1)"),
            ("bw-residual", "-1", "a residual bandwidth is a number of bytes per second >= 0 (RFC 9439 §5.2)"),
            ("bw-available", "-1",
             "an available bandwidth is a number of bytes per second >= 0 (RFC 9439 §5.3)"),
            ("bw-maxres", "-1",
             "a maximum reservable bandwidth is a number of bytes per second >= 0 (RFC 9439 §5.4)"),
        ]
        for metric, value, why in cases:
            with self.subTest(metric=metric, value=value):
                got = self.check('    "%s":\n      A: {A: 0, B: %s}\n' % (metric, value))
                self.assertEqual(got, [("m.yaml", 9, 20, "bad cost '%s' of cost metric '%s': %s"
                                        % (value, metric, why))])

    def test_in_domain_edges_load(self):
        body = ('    lossrate: {A: {A: 0, B: 100}}\n    "lossrate:stdvar": {A: {B: 2500}}\n'
                '    "hopcount:mean": {A: {B: 2.5}}\n    hopcount: {A: {A: 0, B: 7}}\n')
        d = at.make_tree(self, {"m.yaml": self.BASE + body, "altod.yaml": at.config_text(["m.yaml"])})
        self.assertEqual(at.check_config(os.path.join(d, "altod.yaml")), (0, "ok\n"))

    def test_bad_contexts_and_operators(self):
        got = self.check("    delay-ow: {A: {B: 1}}\n"
                         "    cost-context:\n"
                         "      delay-ow: {cost-source: measured}\n"
                         "      tput: {cost-source: sla}\n"
                         '    "delay-rt:p999": {A: {B: 1}}\n')
        self.assertEqual(got, [
            ("m.yaml", 10, 31, "unknown cost-source 'measured' (estimation, nominal, sla: RFC 9439 §2.1)"),
            ("m.yaml", 12, 5, "cost metric 'delay-rt:p999': unknown statistical operator (cur, min, max, median, "
                              "mean, stddev, stdvar, or p0 to p100: RFC 9439 §2.2)"),
            ("m.yaml", 11, 7, "cost-context for 'tput', which this cost map of 'm' does not give"),
        ])

    def test_fractional_percentile_and_sources(self):
        """RFC 9439 §2.2: "delay-ow:p99.9 gives the 99.9% percentile" (a
        percentile has an optional decimal part); its cost-source registry
        holds nominal, sla and estimation only, and routingcost's
        cost-context can only be estimation (§6.3)."""
        body = ('    "delay-ow:p99.9": {A: {A: 0, B: 12.5}}\n'
                "    cost-context:\n"
                '      "delay-ow:p99.9": {cost-source: sla, parameters: {link: "https://example.com/sla"}}\n')
        a = at.start_altod(self, {"m.yaml": self.BASE + body})
        ird = a.ird()
        self.assertEqual(ird.cost_types[ird.cost_type_name("delay-ow:p99.9", "numerical")],
                         {"cost-mode": "numerical", "cost-metric": "delay-ow:p99.9",
                          "cost-context": {"cost-source": "sla", "parameters": {"link": "https://example.com/sla"}}})
        r = a.post(ird.filtered_costmap_uri("m"),
                   json.dumps({"cost-type": {"cost-mode": "numerical", "cost-metric": "delay-ow:p99.9"},
                               "pids": {"srcs": ["A"], "dsts": ["B"]}}), "application/alto-costmapfilter+json")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["cost-map"], {"A": {"B": 12.5}})
        got = self.check("    routingcost: {A: {B: 1}}\n"
                         "    cost-context:\n"
                         "      routingcost: {cost-source: nominal}\n"
                         "    delay-ow: {A: {B: 1}}\n"
                         '    "delay-ow:p99.": {A: {B: 1}}\n')
        self.assertEqual(got, [
            ("m.yaml", 12, 5, "cost metric 'delay-ow:p99.': unknown statistical operator (cur, min, max, median, "
                              "mean, stddev, stdvar, or p0 to p100: RFC 9439 §2.2)"),
            ("m.yaml", 10, 7, "the cost-source of routingcost can only be estimation (RFC 9439 §6.3)"),
        ])
        got = self.check("    delay-ow: {A: {B: 1}}\n"
                         "    cost-context:\n"
                         "      delay-ow: {cost-source: import}\n")
        self.assertEqual(got, [("m.yaml", 10, 31,
                                "unknown cost-source 'import' (estimation, nominal, sla: RFC 9439 §2.1)")])

    def test_reload_with_a_bad_value_keeps_serving(self):
        good = self.BASE + "    delay-ow: {A: {A: 0, B: 5}}\n"
        a = at.start_altod(self, {"m.yaml": good})
        uri = a.ird().costmap_uri("m", "delay-ow", "numerical")
        before = a.get(uri).body
        at.write_files(a.dir, {"m.yaml": self.BASE + "    delay-ow: {A: {A: 0, B: -5}}\n"})
        lines = a.reload(expect="failed")
        self.assertTrue(any("m.yaml:8:29: bad cost '-5' of cost metric 'delay-ow'" in ln for ln in lines), lines)
        self.assertEqual(a.get(uri).body, before)


# A view (tenant) that shows two of the metrics, in one mode each.
VIEW_ACCESS = """access:
  secret: perfmetric-secret-0123456789abcdef
  anonymous-role: public
  roles: {public: [slow]}
  views:
    slow:
      network-map: perf-network-map
      pids: [PID1, PID3, PID5]
      costs: {"delay-ow:p95": [numerical], tput: [ordinal]}
"""


class PerfMetricsView(at.AltodTestCase):
    """docs/isolation.md: a view chooses the metrics and modes it exposes;
    the filtered cost map and endpoint cost service offer exactly those."""

    @classmethod
    def setUpClass(cls):
        cls.text, cls.costs, cls.contexts = read_maps()
        cls.altod = at.start_class_altod(cls, {"maps/perf.yaml": cls.text}, extra_config=VIEW_ACCESS)
        cls.ird = cls.altod.ird()

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def test_directory_lists_exactly_the_granted_types(self):
        self.assertEqual(self.ird.cost_types, {
            "num-delay-ow:p95": cost_type("delay-ow:p95", "numerical", self.contexts),
            "ord-tput": cost_type("tput", "ordinal", self.contexts)})
        for rid in ("slow-filtered-costmap", "slow-endpoint-cost"):
            self.assertEqual(sorted(self.ird.resources[rid]["capabilities"]["cost-type-names"]),
                             ["num-delay-ow:p95", "ord-tput"])
        self.assertEqual(sorted(r for r in self.ird.resources if r.startswith("slow-") and "-costmap" not in r
                                and "endpoint" not in r and "networkmap" not in r),
                         ["slow-num-delay-ow:p95", "slow-ord-tput"])

    def test_ordinal_tput_ranked_within_the_view(self):
        """Ranks over the view's own costs (PID1, PID3, PID5 and the
        catch-all), higher throughput first."""
        doc = self.altod.get(self.ird.costmap_uri("slow", "tput", "ordinal")).json()
        row = self.costs["tput"]["PID1"]
        kept = {d: v for d, v in row.items() if d in ("PID1", "PID3", "PID5")}
        self.assertEqual(doc["cost-map"], ordinal({"PID1": kept}, "tput"))
        self.assertEqual(doc["cost-map"], {"PID1": {"PID3": 1, "PID5": 2}})
        self.assertEqual(doc["meta"]["cost-type"], cost_type("tput", "ordinal", self.contexts))

    def test_ungranted_types_are_unknown(self):
        uri = self.ird.filtered_costmap_uri("slow")
        for metric, mode, field in (("delay-ow", "numerical", "cost-type/cost-metric"),
                                    ("delay-ow:p95", "ordinal", "cost-type/cost-mode"),
                                    ("tput", "numerical", "cost-type/cost-mode"),
                                    ("bw-maxres", "numerical", "cost-type/cost-metric")):
            with self.subTest(metric=metric, mode=mode):
                r = self.altod.post(uri, {"cost-type": {"cost-metric": metric, "cost-mode": mode}},
                                    MT_COSTMAPFILTER)
                self.assertAltoError(r, "E_INVALID_FIELD_VALUE", field=field)
        body = json.dumps(self.altod.get("/").json())
        for hidden in ("bw-maxres", "delay-rt", "lossrate", "hopcount", "bgp-ls", "PID2", "PID4"):
            self.assertNotIn(hidden, body)


if __name__ == "__main__":
    unittest.main()

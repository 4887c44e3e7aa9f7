"""The example configuration as shipped (conf/altod.yaml and the maps files
it lists, conf/maps/), started with only its port replaced by a free one:
its directory shows every kind of resource altod serves (RFC 7285's, the
property maps of RFC 9240, the RFC 9439 cost types with their cost-context,
the RFC 8189 multi-cost capabilities, TIPS and the update stream), and each
answers a sample request. The expected answers are computed here from the
maps files with PyYAML (and the ipaddress module for RFC 9240's
inheritance), not from altod. docs/api.md's directory and every answer it
shows after a curl command are checked against this altod (apidoc.py), so
the doc cannot drift from what altod answers.
"""

import ipaddress
import json
import os
import re
import shutil
import unittest
import urllib.parse

import yaml

import altodtest as at
import apidoc
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_ENDPOINTCOST, MT_ENDPOINTCOSTPARAMS)
from test_sse import Stream

CONF_DIR = os.path.join(at.SRC, "conf")
MT_PROPMAP = "application/alto-propmap+json"
MT_PROPMAPPARAMS = "application/alto-propmapparams+json"
EX_NM = at.EXAMPLE_NETMAP
PERF_NM = "perf-network-map"
TIPS_HEADERS = {"Accept": "%s, %s" % (at.MT_TIPS, at.MT_ERROR)}


def read_yaml(rel):
    with open(os.path.join(CONF_DIR, rel), encoding="utf-8") as f:
        return yaml.safe_load(f)


def shipped_config_text():
    """conf/altod.yaml with its one plain-HTTP listener moved to port 0 (the
    kernel gives a free one; altod logs which)."""
    with open(os.path.join(CONF_DIR, "altod.yaml"), encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(      port: )8080$", r"\g<1>0", text)
    assert n == 1, "conf/altod.yaml: expected one listener on port 8080"
    return text


def cost_type(metric, mode, contexts):
    ct = {"cost-mode": mode, "cost-metric": metric}
    if metric in contexts:
        ct["cost-context"] = contexts[metric]
    return ct


def domain_of(entity):
    return entity.partition(":")[0]


def inherited(props, entity, prop):
    """RFC 9240 §6.1.2.2: an address or prefix takes the value of the
    longest prefix covering it that defines the property."""
    dom, _, ident = entity.partition(":")
    net = ipaddress.ip_network(ident)
    best = None
    for key, values in props.items():
        kd, _, kid = key.partition(":")
        if kd != dom or prop not in values:
            continue
        cover = ipaddress.ip_network(kid)
        if net.subnet_of(cover) and (best is None or cover.prefixlen > best[0].prefixlen):
            best = (cover, values[prop])
    return None if best is None else best[1]


class ShippedExample(at.AltodTestCase):
    @classmethod
    def setUpClass(cls):
        cls.conf = yaml.safe_load(shipped_config_text())
        cls.example = read_yaml("maps/example.yaml")
        cls.perf = read_yaml("maps/perfmetrics.yaml")
        cls.props = read_yaml("maps/properties.yaml")["property-maps"][EX_NM]
        perf_costs = dict(cls.perf["cost-maps"][PERF_NM])
        cls.contexts = perf_costs.pop("cost-context")
        cls.perf_costs = perf_costs
        cls._holder = at.class_holder(cls)
        d = at.make_tree(cls._holder, {"altod.yaml": shipped_config_text()})
        shutil.copytree(os.path.join(CONF_DIR, "maps"), os.path.join(d, "maps"))
        cls.altod = at.start_altod_in(cls._holder, d)
        cls.ird = cls.altod.ird()
        cls.res = cls.ird.resources

    def test_config_lists_every_example_maps_file(self):
        for m in ("maps/example.yaml", "maps/perfmetrics.yaml", "maps/properties.yaml"):
            self.assertIn(m, self.conf["maps"])
        self.assertEqual(at.check_config(at.EXAMPLE_CONF), (0, "ok\n"))

    # ---- the directory ----

    def test_directory_property_maps(self):
        mappings = {}
        for entity, values in self.props.items():
            mappings.setdefault(domain_of(entity), set()).update(values)
        # RFC 9240 §5.2.2: a property the map defines itself is "." + its type
        want = {dom: sorted("." + n for n in names) for dom, names in mappings.items()}
        self.assertEqual(set(want), {"ipv4", "ipv6", EX_NM + ".pid"})
        full = self.res[EX_NM + "-property-map"]
        self.assertEqual(full["media-type"], MT_PROPMAP)
        self.assertNotIn("accepts", full)
        self.assertEqual(full["uses"], [EX_NM])
        self.assertEqual({k: sorted(v) for k, v in full["capabilities"]["mappings"].items()}, want)
        filtered = self.res[EX_NM + "-filtered-propmap"]
        self.assertEqual(filtered["media-type"], MT_PROPMAP)
        self.assertEqual(filtered["accepts"], MT_PROPMAPPARAMS)
        self.assertEqual(filtered["uses"], [EX_NM])
        self.assertEqual(filtered["capabilities"], full["capabilities"])

    def test_directory_cost_types_with_cost_context(self):
        """RFC 9439 §2.1: every metric of perfmetrics.yaml in both modes,
        with its context; RFC 7285's routingcost and hopcount (shared by
        both network maps) with none."""
        for metric in self.perf_costs:
            for mode, prefix in (("numerical", "num-"), ("ordinal", "ord-")):
                self.assertEqual(self.ird.cost_types[prefix + metric], cost_type(metric, mode, self.contexts))
        self.assertGreaterEqual(len(self.contexts), 9)
        for metric in self.example["cost-maps"][EX_NM]:
            self.assertNotIn(metric, self.contexts)
            self.assertEqual(self.ird.cost_types["num-" + metric], at.cost_type(metric, "numerical"))
            self.assertEqual(self.ird.cost_types["ord-" + metric], at.cost_type(metric, "ordinal"))
        self.assertEqual(self.ird.cost_types["num-bw-residual"]["cost-context"],
                         {"cost-source": "estimation", "parameters": {"protocol": "bgp-ls"}})

    def test_directory_multi_cost_capabilities(self):
        """RFC 8189 §4.1.1/§5.1: max-cost-types on both services of both
        network maps; "cost-constraints" true, so no
        testable-cost-type-names (§4.1.1: MUST NOT be present then)."""
        for nm, costs in ((EX_NM, self.example["cost-maps"][EX_NM]), (PERF_NM, self.perf_costs)):
            names = sorted(p + m for m in costs for p in ("num-", "ord-"))
            for rid in (nm + "-filtered-costmap", nm + "-endpoint-cost"):
                with self.subTest(rid=rid):
                    caps = self.res[rid]["capabilities"]
                    self.assertEqual(sorted(caps["cost-type-names"]), names)
                    self.assertNotIn("testable-cost-type-names", caps)
                    self.assertEqual(caps["max-cost-types"], min(len(names), 16))
                    self.assertIs(caps["cost-constraints"], True)

    def maps_served(self):
        """Every network map and cost map (GET resources) of both maps files."""
        out = [EX_NM, PERF_NM]
        for nm, costs in ((EX_NM, self.example["cost-maps"][EX_NM]), (PERF_NM, self.perf_costs)):
            out += ["%s-%s%s" % (nm, p, m) for m in costs for p in ("num-", "ord-")]
        return sorted(out)

    def test_directory_tips_and_update_stream(self):
        want = self.maps_served()
        for rid, mt, accepts in (("tips", at.MT_TIPS, at.MT_TIPSPARAMS),
                                 ("update-stream", at.MT_EVENTSTREAM, at.MT_UPDATESTREAMPARAMS)):
            with self.subTest(rid=rid):
                e = self.res[rid]
                self.assertEqual((e["media-type"], e["accepts"]), (mt, accepts))
                self.assertTrue(set(want) <= set(e["uses"]), e["uses"])
                types = e["capabilities"]["incremental-change-media-types"]
                self.assertEqual(sorted(types), sorted(e["uses"]))
                self.assertEqual(types[PERF_NM], at.MT_MERGEPATCH)
                self.assertEqual(types[PERF_NM + "-num-delay-ow"], at.MT_MERGEPATCH + "," + at.MT_JSONPATCH)

    # ---- a sample request to each ----

    def netmap_vtag(self, nm):
        r = self.altod.get(self.ird.networkmap_uri(nm))
        self.assertEqual(r.status, 200, r)
        return r.json()["meta"]["vtag"]

    def test_property_map_full(self):
        r = self.altod.get(self.res[EX_NM + "-property-map"]["uri"])
        self.assertOk(r, MT_PROPMAP)
        self.assertEqual(r.json(), {"meta": {"dependent-vtags": [self.netmap_vtag(EX_NM)]},
                                    "property-map": {e: {"." + k: v for k, v in p.items()}
                                                     for e, p in self.props.items()}})

    def test_filtered_property_map_inherits(self):
        """192.0.2.130 lies in 192.0.2.0/24 (asn, countrycode) and in
        192.0.2.128/25 (countrycode only): the longer prefix wins for
        countrycode, the /24 gives asn. A PID entity answers its own."""
        addr = "ipv4:192.0.2.130"
        pid = EX_NM + ".pid:PID1"
        r = self.altod.post(self.res[EX_NM + "-filtered-propmap"]["uri"],
                            {"entities": [addr, pid], "properties": [".asn", ".countrycode", ".priv:access"]},
                            MT_PROPMAPPARAMS)
        self.assertOk(r, MT_PROPMAP)
        want_addr = {p: inherited(self.props, addr, p) for p in ("asn", "countrycode")}
        self.assertEqual(want_addr, {"asn": "64496", "countrycode": "CA"})
        self.assertEqual(r.json(), {"meta": {"dependent-vtags": [self.netmap_vtag(EX_NM)]},
                                    "property-map": {addr: {"." + k: v for k, v in want_addr.items()},
                                                     pid: {".priv:access": self.props[pid]["priv:access"]}}})

    def test_cost_map_with_cost_context(self):
        metric = "delay-ow:p95"
        r = self.altod.get(self.ird.costmap_uri(PERF_NM, metric, "numerical"))
        self.assertOk(r, MT_COSTMAP)
        doc = r.json()
        self.assertEqual(doc["meta"]["cost-type"], cost_type(metric, "numerical", self.contexts))
        self.assertEqual(doc["meta"]["cost-type"]["cost-context"],
                         {"cost-source": "estimation", "parameters": {"window": 3600}})
        self.assertEqual(doc["cost-map"], self.perf_costs[metric])

    def test_rfc7285_cost_map_unchanged(self):
        r = self.altod.get(self.ird.costmap_uri(EX_NM, "routingcost", "numerical"))
        self.assertOk(r, MT_COSTMAP)
        self.assertEqual(r.json()["meta"]["cost-type"], at.cost_type("routingcost", "numerical"))
        self.assertEqual(r.json()["cost-map"], self.example["cost-maps"][EX_NM]["routingcost"])

    def test_multi_cost_filtered_cost_map(self):
        """RFC 8189 §4.2: an array of costs per pair, in the order asked."""
        costs = self.example["cost-maps"][EX_NM]
        types = [at.cost_type("routingcost", "numerical"), at.cost_type("hopcount", "numerical")]
        r = self.altod.post(self.ird.filtered_costmap_uri(EX_NM),
                            {"multi-cost-types": types, "pids": {"srcs": [], "dsts": []}}, MT_COSTMAPFILTER)
        self.assertOk(r, MT_COSTMAP)
        doc = r.json()
        self.assertEqual(doc["meta"]["multi-cost-types"], types)
        want = {s: {d: [v, costs["hopcount"][s][d]] for d, v in row.items()}
                for s, row in costs["routingcost"].items()}
        self.assertEqual(at.drop_empty(doc["cost-map"]), want)

    def test_multi_cost_endpoint_cost_with_contexts_and_testable_type(self):
        """Two RFC 9439 types (their cost-context in meta) and a testable
        type that is not returned: hop count at most 3 keeps PID2 only."""
        types = [at.cost_type("delay-ow", "numerical"), at.cost_type("lossrate", "numerical")]
        r = self.altod.post(self.ird.endpointcost_uri(PERF_NM),
                            {"multi-cost-types": types,
                             "testable-cost-types": [at.cost_type("hopcount", "numerical")],
                             "constraints": ["[0] le 3"],
                             "endpoints": {"srcs": ["ipv4:192.0.2.2"],
                                           "dsts": ["ipv4:192.0.2.89", "ipv4:203.0.113.45"]}},
                            MT_ENDPOINTCOSTPARAMS)
        self.assertOk(r, MT_ENDPOINTCOST)
        doc = r.json()
        self.assertEqual(doc["meta"]["multi-cost-types"],
                         [cost_type(t["cost-metric"], "numerical", self.contexts) for t in types])
        hops = self.perf_costs["hopcount"]["PID1"]
        self.assertEqual((hops["PID2"] <= 3, hops["PID4"] <= 3), (True, False))
        self.assertEqual(doc["endpoint-cost-map"],
                         {"ipv4:192.0.2.2": {"ipv4:192.0.2.89": [self.perf_costs["delay-ow"]["PID1"]["PID2"],
                                                                 self.perf_costs["lossrate"]["PID1"]["PID2"]]}})

    def test_tips_view_of_a_metric_cost_map(self):
        """RFC 9569 §6: open a view of an RFC 9439 cost map, then its edge
        0 -> end-seq is the cost map itself."""
        rid = PERF_NM + "-num-delay-ow"
        r = self.altod.post(self.res["tips"]["uri"], {"resource-id": rid}, at.MT_TIPSPARAMS, headers=TIPS_HEADERS)
        self.assertOk(r, at.MT_TIPS)
        summary = r.json()["tips-view-summary"]["updates-graph-summary"]
        path = urllib.parse.urlsplit(r.json()["tips-view-uri"]).path
        e = self.altod.get("%s/ug/0/%d" % (path, summary["end-seq"]))
        self.assertOk(e, MT_COSTMAP)
        self.assertEqual(e.json(), self.altod.get(self.res[rid]["uri"]).json())
        self.assertEqual(e.json()["meta"]["cost-type"], cost_type("delay-ow", "numerical", self.contexts))

    def test_update_stream_of_both_maps_files(self):
        """RFC 8895 §6.7: a stream of a cost map of each maps file gets the
        control event, then each map in full under its client id."""
        ex_rid, perf_rid = EX_NM + "-num-routingcost", PERF_NM + "-num-bw-maxres"
        s = Stream(self.altod, {"ex": {"resource-id": ex_rid}, "perf": {"resource-id": perf_rid}})
        self.addCleanup(s.close)
        self.assertEqual(s.status(), 200)
        self.assertIsNotNone(s.control_uri)
        got = {}
        for _ in range(2):
            ev = s.next()
            self.assertIsNotNone(ev)
            self.assertEqual(ev.media, MT_COSTMAP, ev)
            got[ev.cid] = ev.json()
        self.assertEqual(got, {"ex": self.altod.get(self.res[ex_rid]["uri"]).json(),
                               "perf": self.altod.get(self.res[perf_rid]["uri"]).json()})
        self.assertEqual(got["perf"]["meta"]["cost-type"]["cost-context"], {"cost-source": "nominal"})

    # ---- docs/api.md: the examples are altod's answers ----

    def doc_examples(self):
        exs = apidoc.examples(apidoc.read_doc())
        self.assertGreaterEqual(len(exs), 15, exs)
        return exs

    def test_api_doc_directory_is_the_served_one(self):
        """The doc's directory block is the whole directory altod serves
        for the shipped configuration: equal as JSON when asked with the
        doc's Host (127.0.0.1:8080: altod's absolute URIs take it), and
        equal modulo the URIs' scheme and authority to the one this test
        got from its own port."""
        exs = [e for e in self.doc_examples() if (e.method, e.path, e.excerpt) == ("GET", "/", None)]
        self.assertEqual(len(exs), 1, exs)
        ex = exs[0]
        self.assertEqual(ex.host, "127.0.0.1:8080")
        self.assertEqual((ex.status, ex.media_type), (200, at.MT_DIRECTORY))
        diffs = ex.check(self.altod.port, at.IO_TIMEOUT)
        if diffs:
            self.fail("\n".join(diffs))
        r = self.altod.get("/")
        self.assertOk(r, at.MT_DIRECTORY)
        self.assertEqual(json.loads(at.without_uri_base(json.dumps(ex.doc_json, separators=(",", ":")).encode())),
                         json.loads(at.without_uri_base(r.body)))
        self.assertEqual(sorted(ex.doc_json["resources"]), sorted(self.res))

    def test_api_doc_examples_are_altods_answers(self):
        """Every curl example of docs/api.md followed by an answer (or an
        excerpt of one): altod gives that status, media type and JSON."""
        for ex in self.doc_examples():
            with self.subTest(example=repr(ex)):
                diffs = ex.check(self.altod.port, at.IO_TIMEOUT)
                if diffs:
                    self.fail("\n".join(diffs))

    def test_api_doc_shows_every_new_resource(self):
        """Issue 13: docs/api.md shows a curl example and its whole answer
        for each kind of resource of RFC 9240 (property map, filtered
        property map, the endpoint property service's entity properties),
        RFC 9439 (a cost map with a cost-context, the services of the
        metrics' network map) and RFC 8189 (multi-cost on the filtered
        cost map and the endpoint cost service)."""
        by_path = {self.altod.url_path(e["uri"]): rid for rid, e in self.res.items()}
        shown = []
        for ex in self.doc_examples():
            if ex.excerpt is None and ex.status == 200 and ex.path in by_path:
                shown.append((by_path[ex.path], ex.method, ex.request_json() or {}, ex.doc_json))
        rids = {rid for rid, _, _, _ in shown}
        for rid in (EX_NM + "-property-map", EX_NM + "-filtered-propmap", "endpoint-property",
                    PERF_NM + "-endpoint-cost", PERF_NM + "-filtered-costmap"):
            self.assertIn(rid, rids)
        self.assertTrue(any(rid == "endpoint-property" and set(req["properties"]) - {EX_NM + ".pid", PERF_NM + ".pid"}
                            for rid, _, req, _ in shown), "no endpoint property example with entity properties")
        self.assertTrue(any(rid.startswith(PERF_NM + "-num-") and m == "GET" and "cost-context" in ans["meta"]["cost-type"]
                            for rid, m, _, ans in shown), "no GET of an RFC 9439 cost map")
        for service in ("-filtered-costmap", "-endpoint-cost"):
            self.assertTrue(any(rid.endswith(service) and "multi-cost-types" in req for rid, _, req, _ in shown),
                            "no multi-cost example of " + service)


if __name__ == "__main__":
    unittest.main()

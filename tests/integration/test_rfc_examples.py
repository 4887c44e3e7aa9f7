"""RFC 7285's example requests against altod serving RFC 7285's example maps
(conf/maps/example.yaml). URIs are discovered from the IRD, as a client does.
"""

import re
import unittest

import altodtest as at
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_DIRECTORY, MT_ENDPOINTCOST,
                       MT_ENDPOINTCOSTPARAMS, MT_ENDPOINTPROP, MT_ENDPOINTPROPPARAMS,
                       MT_NETWORKMAP, MT_NETWORKMAPFILTER, cost_type, drop_empty)

NM = at.EXAMPLE_NETMAP

# The answers, computed by hand from conf/maps/example.yaml.
NETWORK_MAP = {
    "PID1": {"ipv4": ["192.0.2.0/24", "198.51.100.0/25"]},
    "PID2": {"ipv4": ["198.51.100.128/25"]},
    "PID3": {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]},
}
ROUTINGCOST = {
    "PID1": {"PID1": 1, "PID2": 5, "PID3": 10},
    "PID2": {"PID1": 5, "PID2": 1, "PID3": 15},
    "PID3": {"PID1": 20, "PID2": 15},
}
HOPCOUNT = {
    "PID1": {"PID1": 0, "PID2": 2, "PID3": 3},
    "PID2": {"PID1": 2, "PID2": 0, "PID3": 4},
    "PID3": {"PID1": 3, "PID2": 4},
}
# dense ranks over all the costs of the map, 1 = lowest
# routingcost values 1 < 5 < 10 < 15 < 20
ROUTINGCOST_ORD = {
    "PID1": {"PID1": 1, "PID2": 2, "PID3": 3},
    "PID2": {"PID1": 2, "PID2": 1, "PID3": 4},
    "PID3": {"PID1": 5, "PID2": 4},
}
# hopcount values 0 < 2 < 3 < 4
HOPCOUNT_ORD = {
    "PID1": {"PID1": 1, "PID2": 2, "PID3": 3},
    "PID2": {"PID1": 2, "PID2": 1, "PID3": 4},
    "PID3": {"PID1": 3, "PID2": 4},
}
FULL = {
    ("routingcost", "numerical"): ROUTINGCOST,
    ("routingcost", "ordinal"): ROUTINGCOST_ORD,
    ("hopcount", "numerical"): HOPCOUNT,
    ("hopcount", "ordinal"): HOPCOUNT_ORD,
}

ALL_MEDIA_TYPES = {MT_DIRECTORY, MT_NETWORKMAP, MT_COSTMAP, MT_ENDPOINTPROP, MT_ENDPOINTCOST, at.MT_TIPS,
                   at.MT_EVENTSTREAM}  # RFC 9569 §9.1, RFC 8895 §6.1
ALL_ACCEPTS = {MT_NETWORKMAPFILTER, MT_COSTMAPFILTER, MT_ENDPOINTPROPPARAMS, MT_ENDPOINTCOSTPARAMS, at.MT_TIPSPARAMS,
               at.MT_UPDATESTREAMPARAMS}
OUTPUT_OF_INPUT = dict(at.OUTPUT_OF_INPUT, **{at.MT_UPDATESTREAMPARAMS: at.MT_EVENTSTREAM})

VTAG_RE = re.compile(r"^[\x21-\x7e]{1,64}$")  # RFC 7285 §10.3


class ExampleServer(at.AltodTestCase):
    """One altod on the example maps for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls)
        cls.ird = cls.altod.ird()

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def post(self, uri, body, ctype):
        return self.altod.post(uri, body, ctype)

    def filtered_costmap(self, body):
        return self.post(self.ird.filtered_costmap_uri(NM), body, MT_COSTMAPFILTER)

    def netmap_vtag(self):
        doc = self.assertOk(self.altod.get(self.ird.networkmap_uri(NM)), MT_NETWORKMAP)
        return doc["meta"]["vtag"]


class TestIRD(ExampleServer):
    """RFC 7285 §9: the information resource directory."""

    def test_ird_response(self):
        r = self.altod.get("/")
        doc = self.assertOk(r, MT_DIRECTORY)
        self.assertEqual(set(doc), {"meta", "resources"})
        self.assertEqual(int(r.header("Content-Length")), len(r.body))

    def test_cost_types(self):
        # §9.2.2: every cost type name maps to a cost type
        ct = self.ird.cost_types
        self.assertEqual(ct, {
            "num-routingcost": cost_type("routingcost", "numerical"),
            "ord-routingcost": cost_type("routingcost", "ordinal"),
            "num-hopcount": cost_type("hopcount", "numerical"),
            "ord-hopcount": cost_type("hopcount", "ordinal"),
        })

    def test_resource_ids(self):
        self.assertEqual(set(self.ird.resources), {
            NM, NM + "-filtered-networkmap",
            NM + "-num-routingcost", NM + "-ord-routingcost",
            NM + "-num-hopcount", NM + "-ord-hopcount",
            NM + "-filtered-costmap", NM + "-endpoint-cost", "endpoint-property", "tips", "update-stream",
        })
        for rid in self.ird.resources:
            # §10.2 ResourceID
            self.assertRegex(rid, r"^[A-Za-z0-9\-:@_]{1,64}$")

    def test_every_resource_well_formed(self):
        cost_types = self.ird.cost_types
        resources = self.ird.resources
        for rid, r in resources.items():
            with self.subTest(resource=rid):
                self.assertIsInstance(r.get("uri"), str)
                self.assertTrue(r["uri"])
                self.assertIn(r.get("media-type"), ALL_MEDIA_TYPES)
                if "accepts" in r:
                    self.assertIn(r["accepts"], ALL_ACCEPTS)
                    self.assertEqual(OUTPUT_OF_INPUT[r["accepts"]], r["media-type"])
                for used in r.get("uses", []):
                    self.assertIn(used, resources, "uses names an unknown resource")
                    self.assertNotEqual(used, rid)
                caps = r.get("capabilities", {})
                for name in caps.get("cost-type-names", []):
                    self.assertIn(name, cost_types)
                if r["media-type"] == MT_COSTMAP and "accepts" not in r:
                    # §11.2.3.4: a cost map has exactly one cost type and uses
                    # exactly one network map
                    self.assertEqual(len(caps.get("cost-type-names", [])), 1, r)
                    self.assertEqual(len(r.get("uses", [])), 1, r)
                    self.assertEqual(resources[r["uses"][0]]["media-type"], MT_NETWORKMAP)
                if r["media-type"] == MT_COSTMAP and "accepts" in r:
                    self.assertEqual(r["accepts"], MT_COSTMAPFILTER)
                    self.assertIs(caps.get("cost-constraints"), True)
                    self.assertEqual(sorted(caps.get("cost-type-names", [])), sorted(cost_types))
                    self.assertEqual(r.get("uses"), [NM])
                if r["media-type"] == MT_NETWORKMAP:
                    if "accepts" in r:
                        self.assertEqual(r.get("uses"), [NM])
                    else:
                        self.assertNotIn("uses", r)
                if r["media-type"] == MT_ENDPOINTCOST:
                    # §11.5.1.5: no "uses"
                    self.assertNotIn("uses", r)
                    self.assertIs(caps.get("cost-constraints"), True)
                    self.assertEqual(sorted(caps.get("cost-type-names", [])), sorted(cost_types))
                if r["media-type"] == MT_ENDPOINTPROP:
                    self.assertEqual(caps.get("prop-types"), [NM + ".pid"])

    def test_uris_resolve_and_serve_their_media_type(self):
        # GET resources answer GET with their media type; POST ones refuse GET
        for rid, r in self.ird.resources.items():
            with self.subTest(resource=rid):
                resp = self.altod.get(r["uri"])
                if "accepts" in r:
                    self.assertEqual(resp.status, 405, resp)
                else:
                    self.assertOk(resp, r["media-type"])

    def test_uris_are_distinct(self):
        uris = [self.altod.url_path(r["uri"]) for r in self.ird.resources.values()]
        self.assertEqual(len(uris), len(set(uris)))

    def test_default_network_map(self):
        d = self.ird.default_network_map()
        self.assertEqual(d, NM)
        self.assertEqual(self.ird.resources[d]["media-type"], MT_NETWORKMAP)
        self.assertNotIn("accepts", self.ird.resources[d])

    def test_cost_map_resources_match_their_capabilities(self):
        for metric, mode in FULL:
            with self.subTest(metric=metric, mode=mode):
                uri = self.ird.costmap_uri(NM, metric, mode)
                doc = self.assertOk(self.altod.get(uri), MT_COSTMAP)
                self.assertEqual(doc["meta"]["cost-type"], cost_type(metric, mode))


class TestNetworkAndCostMaps(ExampleServer):
    def test_network_map_11_2_1_7(self):
        r = self.altod.get(self.ird.networkmap_uri(NM))
        doc = self.assertOk(r, MT_NETWORKMAP)
        self.assertEqual(set(doc), {"meta", "network-map"})
        self.assertEqual(set(doc["meta"]), {"vtag"})
        self.assertEqual(doc["meta"]["vtag"]["resource-id"], NM)
        self.assertRegex(doc["meta"]["vtag"]["tag"], VTAG_RE)
        got = {pid: {fam: sorted(v) for fam, v in g.items()} for pid, g in doc["network-map"].items()}
        self.assertEqual(got, NETWORK_MAP)
        self.assertEqual(int(r.header("Content-Length")), len(r.body))

    def test_cost_map_11_2_3_7(self):
        vtag = self.netmap_vtag()
        for (metric, mode), expected in FULL.items():
            with self.subTest(metric=metric, mode=mode):
                doc = self.assertOk(self.altod.get(self.ird.costmap_uri(NM, metric, mode)), MT_COSTMAP)
                self.assertEqual(set(doc), {"meta", "cost-map"})
                self.assertEqual(doc["meta"], {"dependent-vtags": [vtag],
                                               "cost-type": cost_type(metric, mode)})
                self.assertEqual(doc["cost-map"], expected)
                if mode == "ordinal":
                    for row in doc["cost-map"].values():
                        for v in row.values():
                            self.assertIsInstance(v, int)

    def test_filtered_network_map_11_3_1_7(self):
        uri = self.ird.filtered_networkmap_uri(NM)
        doc = self.assertOk(self.post(uri, {"pids": ["PID1", "PID2"]}, MT_NETWORKMAPFILTER), MT_NETWORKMAP)
        self.assertEqual(doc["meta"]["vtag"], self.netmap_vtag())  # §11.3.1.6
        self.assertEqual({p: {f: sorted(v) for f, v in g.items()} for p, g in doc["network-map"].items()},
                         {"PID1": NETWORK_MAP["PID1"], "PID2": NETWORK_MAP["PID2"]})

    def test_filtered_network_map_all_and_address_types(self):
        uri = self.ird.filtered_networkmap_uri(NM)
        cases = [
            ({"pids": []}, NETWORK_MAP),
            ({"pids": [], "address-types": []}, NETWORK_MAP),
            ({"pids": [], "address-types": ["ipv4", "ipv6"]}, NETWORK_MAP),
            ({"pids": ["PID3"], "address-types": ["ipv6"]}, {"PID3": {"ipv6": ["::/0"]}}),
            ({"pids": [], "address-types": ["ipv6"]}, {"PID3": {"ipv6": ["::/0"]}}),
            ({"pids": ["PID3", "PID1"], "address-types": ["ipv4"]},
             {"PID1": NETWORK_MAP["PID1"], "PID3": {"ipv4": ["0.0.0.0/0"]}}),
            # §11.3.1.6: an unknown (but well-formed) address type is ignored
            ({"pids": ["PID3"], "address-types": ["ipv4", "ipv5"]}, {"PID3": {"ipv4": ["0.0.0.0/0"]}}),
            # undefined PIDs are ignored; repeated ones count once
            ({"pids": ["PID2", "nope", "PID2"]}, {"PID2": NETWORK_MAP["PID2"]}),
            ({"pids": ["nope"]}, {}),
        ]
        for body, expected in cases:
            with self.subTest(body=body):
                doc = self.assertOk(self.post(uri, body, MT_NETWORKMAPFILTER), MT_NETWORKMAP)
                got = {p: {f: sorted(v) for f, v in g.items()} for p, g in doc["network-map"].items()}
                # PIDs left without addresses of the requested types may be
                # listed empty or left out
                self.assertEqual(drop_empty(got), expected)
                fams = set(body.get("address-types") or ["ipv4", "ipv6"])
                for g in got.values():
                    self.assertLessEqual(set(g), fams)

    def test_filtered_cost_map_11_3_2_7(self):
        body = {"cost-type": cost_type("routingcost", "numerical"),
                "pids": {"srcs": ["PID1"], "dsts": ["PID1", "PID2", "PID3"]}}
        doc = self.assertOk(self.filtered_costmap(body), MT_COSTMAP)
        self.assertEqual(doc, {
            "meta": {"dependent-vtags": [self.netmap_vtag()],
                     "cost-type": cost_type("routingcost", "numerical")},
            "cost-map": {"PID1": {"PID1": 1, "PID2": 5, "PID3": 10}},
        })

    def test_filtered_cost_map_without_pids_is_the_full_map(self):
        for (metric, mode), expected in FULL.items():
            for pids in (None, {"srcs": [], "dsts": []}):
                body = {"cost-type": cost_type(metric, mode)}
                if pids is not None:
                    body["pids"] = pids
                with self.subTest(body=body):
                    doc = self.assertOk(self.filtered_costmap(body), MT_COSTMAP)
                    self.assertEqual(doc["meta"]["cost-type"], cost_type(metric, mode))
                    self.assertEqual(doc["cost-map"], expected)

    def test_filtered_cost_map_subsets(self):
        cases = [
            ("numerical", ["PID2"], [], {"PID2": ROUTINGCOST["PID2"]}),
            ("numerical", [], ["PID3"], {"PID1": {"PID3": 10}, "PID2": {"PID3": 15}}),
            ("numerical", ["PID3"], ["PID3"], {}),  # PID3 -> PID3 is undefined
            ("numerical", ["PID1", "ghost"], ["ghost", "PID2"], {"PID1": {"PID2": 5}}),
            ("numerical", ["ghost"], [], {}),
            # ordinal: ranks among the selected pairs (§6.2 "relative to the
            # m*n entries")
            ("ordinal", ["PID1"], ["PID1", "PID2", "PID3"], {"PID1": {"PID1": 1, "PID2": 2, "PID3": 3}}),
            ("ordinal", ["PID3"], [], {"PID3": {"PID1": 2, "PID2": 1}}),
            ("ordinal", [], ["PID3"], {"PID1": {"PID3": 1}, "PID2": {"PID3": 2}}),
            ("ordinal", ["PID2", "PID3"], ["PID2"], {"PID2": {"PID2": 1}, "PID3": {"PID2": 2}}),
            ("ordinal", ["PID1", "PID2"], ["PID1", "PID2"],
             {"PID1": {"PID1": 1, "PID2": 2}, "PID2": {"PID1": 2, "PID2": 1}}),
        ]
        for mode, srcs, dsts, expected in cases:
            body = {"cost-type": cost_type("routingcost", mode), "pids": {"srcs": srcs, "dsts": dsts}}
            with self.subTest(body=body):
                doc = self.assertOk(self.filtered_costmap(body), MT_COSTMAP)
                self.assertEqual(drop_empty(doc["cost-map"]), expected)

    def test_endpoint_property_11_4_1_7(self):
        body = {"properties": [NM + ".pid"],
                "endpoints": ["ipv4:192.0.2.34", "ipv4:203.0.113.129"]}
        doc = self.assertOk(self.post(self.ird.endpointprop_uri(), body, MT_ENDPOINTPROPPARAMS),
                            MT_ENDPOINTPROP)
        self.assertEqual(doc, {
            "meta": {"dependent-vtags": [self.netmap_vtag()]},
            "endpoint-properties": {
                "ipv4:192.0.2.34": {NM + ".pid": "PID1"},
                "ipv4:203.0.113.129": {NM + ".pid": "PID3"},
            },
        })

    def test_endpoint_property_more(self):
        body = {"properties": [NM + ".pid"],
                "endpoints": ["ipv4:198.51.100.127", "ipv4:198.51.100.128", "ipv4:192.0.2.0",
                              "ipv4:192.0.2.255", "ipv4:192.0.3.0", "ipv6:::1", "ipv6:2001:db8::1"]}
        doc = self.assertOk(self.post(self.ird.endpointprop_uri(), body, MT_ENDPOINTPROPPARAMS),
                            MT_ENDPOINTPROP)
        p = NM + ".pid"
        self.assertEqual(doc["endpoint-properties"], {
            "ipv4:198.51.100.127": {p: "PID1"}, "ipv4:198.51.100.128": {p: "PID2"},
            "ipv4:192.0.2.0": {p: "PID1"}, "ipv4:192.0.2.255": {p: "PID1"},
            "ipv4:192.0.3.0": {p: "PID3"}, "ipv6:::1": {p: "PID3"}, "ipv6:2001:db8::1": {p: "PID3"},
        })

    def test_endpoint_cost_11_5_1_7(self):
        body = {"cost-type": cost_type("routingcost", "ordinal"),
                "endpoints": {"srcs": ["ipv4:192.0.2.2"],
                              "dsts": ["ipv4:192.0.2.89", "ipv4:198.51.100.34", "ipv4:203.0.113.45"]}}
        doc = self.assertOk(self.post(self.ird.endpointcost_uri(NM), body, MT_ENDPOINTCOSTPARAMS),
                            MT_ENDPOINTCOST)
        # PID1->PID1 = 1, PID1->PID1 = 1, PID1->PID3 = 10: ranks 1, 1, 2
        self.assertEqual(doc, {
            "meta": {"cost-type": cost_type("routingcost", "ordinal")},
            "endpoint-cost-map": {"ipv4:192.0.2.2": {
                "ipv4:192.0.2.89": 1, "ipv4:198.51.100.34": 1, "ipv4:203.0.113.45": 2}},
        })

    def test_endpoint_cost_numerical(self):
        body = {"cost-type": cost_type("routingcost", "numerical"),
                "endpoints": {"srcs": ["ipv4:192.0.2.2", "ipv4:198.51.100.200", "ipv6:2001:db8::5"],
                              "dsts": ["ipv4:192.0.2.89", "ipv4:198.51.100.129", "ipv6:2001:db8::6"]}}
        doc = self.assertOk(self.post(self.ird.endpointcost_uri(NM), body, MT_ENDPOINTCOSTPARAMS),
                            MT_ENDPOINTCOST)
        self.assertEqual(doc["meta"], {"cost-type": cost_type("routingcost", "numerical")})
        self.assertEqual(drop_empty(doc["endpoint-cost-map"]), {
            "ipv4:192.0.2.2": {"ipv4:192.0.2.89": 1, "ipv4:198.51.100.129": 5, "ipv6:2001:db8::6": 10},
            "ipv4:198.51.100.200": {"ipv4:192.0.2.89": 5, "ipv4:198.51.100.129": 1, "ipv6:2001:db8::6": 15},
            # PID3 -> PID3 is undefined: absent
            "ipv6:2001:db8::5": {"ipv4:192.0.2.89": 20, "ipv4:198.51.100.129": 15},
        })


class TestConstraints(ExampleServer):
    """§11.3.2.3 constraints: ANDed, compared with values in the requested mode."""

    def check(self, metric, mode, constraints, expected, pids=None):
        body = {"cost-type": cost_type(metric, mode), "constraints": constraints}
        if pids is not None:
            body["pids"] = pids
        with self.subTest(body=body):
            doc = self.assertOk(self.filtered_costmap(body), MT_COSTMAP)
            self.assertEqual(drop_empty(doc["cost-map"]), expected)

    def test_numerical(self):
        R = "routingcost"
        self.check(R, "numerical", [], ROUTINGCOST)
        self.check(R, "numerical", ["le 5"],
                   {"PID1": {"PID1": 1, "PID2": 5}, "PID2": {"PID1": 5, "PID2": 1}})
        self.check(R, "numerical", ["lt 5"], {"PID1": {"PID1": 1}, "PID2": {"PID2": 1}})
        self.check(R, "numerical", ["gt 10"],
                   {"PID2": {"PID3": 15}, "PID3": {"PID1": 20, "PID2": 15}})
        self.check(R, "numerical", ["ge 10"],
                   {"PID1": {"PID3": 10}, "PID2": {"PID3": 15}, "PID3": {"PID1": 20, "PID2": 15}})
        self.check(R, "numerical", ["eq 15"], {"PID2": {"PID3": 15}, "PID3": {"PID2": 15}})
        self.check(R, "numerical", ["eq 7"], {})
        self.check(R, "numerical", ["gt 100"], {})
        self.check(R, "numerical", ["ge 0"], ROUTINGCOST)

    def test_several_are_anded(self):
        R = "routingcost"
        self.check(R, "numerical", ["ge 5", "lt 15"],
                   {"PID1": {"PID2": 5, "PID3": 10}, "PID2": {"PID1": 5}})
        self.check(R, "numerical", ["gt 1", "lt 20", "le 10"],
                   {"PID1": {"PID2": 5, "PID3": 10}, "PID2": {"PID1": 5}})
        self.check(R, "numerical", ["lt 5", "gt 5"], {})
        self.check(R, "numerical", ["eq 5", "eq 5"], {"PID1": {"PID2": 5}, "PID2": {"PID1": 5}})

    def test_number_forms(self):
        R = "routingcost"
        self.check(R, "numerical", ["le 5.5"],
                   {"PID1": {"PID1": 1, "PID2": 5}, "PID2": {"PID1": 5, "PID2": 1}})
        self.check(R, "numerical", ["ge 1e1"],
                   {"PID1": {"PID3": 10}, "PID2": {"PID3": 15}, "PID3": {"PID1": 20, "PID2": 15}})
        self.check(R, "numerical", ["gt 14.999", "lt 15.001"],
                   {"PID2": {"PID3": 15}, "PID3": {"PID2": 15}})
        self.check(R, "numerical", ["gt -1"], ROUTINGCOST)

    def test_zero_costs(self):
        self.check("hopcount", "numerical", ["eq 0"], {"PID1": {"PID1": 0}, "PID2": {"PID2": 0}})
        self.check("hopcount", "numerical", ["le 2"],
                   {"PID1": {"PID1": 0, "PID2": 2}, "PID2": {"PID1": 2, "PID2": 0}})

    def test_with_pids(self):
        self.check("routingcost", "numerical", ["ge 5"], {"PID1": {"PID2": 5, "PID3": 10}},
                   pids={"srcs": ["PID1"], "dsts": []})

    def test_ordinal(self):
        R = "routingcost"
        # full map ranks: 1:1 5:2 10:3 15:4 20:5
        self.check(R, "ordinal", ["le 2"],
                   {"PID1": {"PID1": 1, "PID2": 2}, "PID2": {"PID1": 2, "PID2": 1}})
        self.check(R, "ordinal", ["eq 5"], {"PID3": {"PID1": 5}})
        self.check(R, "ordinal", ["gt 3", "lt 5"], {"PID2": {"PID3": 4}, "PID3": {"PID2": 4}})
        # ranks are computed among the selected pairs, then constrained:
        # PID3->PID1 = 20 (rank 2), PID3->PID2 = 15 (rank 1)
        self.check(R, "ordinal", ["eq 1"], {"PID3": {"PID2": 1}}, pids={"srcs": ["PID3"], "dsts": []})
        self.check(R, "ordinal", ["ge 2"], {"PID3": {"PID1": 2}}, pids={"srcs": ["PID3"], "dsts": []})

    def test_endpoint_cost_constraints(self):
        uri = self.ird.endpointcost_uri(NM)
        eps = {"srcs": ["ipv4:192.0.2.2"],
               "dsts": ["ipv4:192.0.2.89", "ipv4:198.51.100.200", "ipv4:203.0.113.45"]}
        cases = [
            ("numerical", ["ge 5"], {"ipv4:192.0.2.2": {"ipv4:198.51.100.200": 5, "ipv4:203.0.113.45": 10}}),
            ("numerical", ["gt 1", "lt 10"], {"ipv4:192.0.2.2": {"ipv4:198.51.100.200": 5}}),
            ("numerical", ["gt 10"], {}),
            # ranks among the returned pairs: 1 -> 1, 5 -> 2, 10 -> 3
            ("ordinal", ["ge 2"], {"ipv4:192.0.2.2": {"ipv4:198.51.100.200": 2, "ipv4:203.0.113.45": 3}}),
            ("ordinal", ["eq 1"], {"ipv4:192.0.2.2": {"ipv4:192.0.2.89": 1}}),
        ]
        for mode, cons, expected in cases:
            body = {"cost-type": cost_type("routingcost", mode), "constraints": cons, "endpoints": eps}
            with self.subTest(body=body):
                doc = self.assertOk(self.post(uri, body, MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)
                self.assertEqual(drop_empty(doc["endpoint-cost-map"]), expected)


class TestVtags(ExampleServer):
    """§10.3 version tags and their consistency across resources."""

    def test_vtag_syntax(self):
        vt = self.netmap_vtag()
        self.assertEqual(set(vt), {"resource-id", "tag"})
        self.assertEqual(vt["resource-id"], NM)
        self.assertRegex(vt["tag"], VTAG_RE)

    def test_same_tag_everywhere(self):
        vt = self.netmap_vtag()
        for metric, mode in FULL:
            doc = self.assertOk(self.altod.get(self.ird.costmap_uri(NM, metric, mode)), MT_COSTMAP)
            self.assertEqual(doc["meta"]["dependent-vtags"], [vt])
        doc = self.assertOk(self.filtered_costmap({"cost-type": cost_type("hopcount", "ordinal")}),
                            MT_COSTMAP)
        self.assertEqual(doc["meta"]["dependent-vtags"], [vt])
        doc = self.assertOk(self.post(self.ird.filtered_networkmap_uri(NM), {"pids": ["PID2"]},
                                      MT_NETWORKMAPFILTER), MT_NETWORKMAP)
        self.assertEqual(doc["meta"]["vtag"], vt)
        doc = self.assertOk(self.post(self.ird.endpointprop_uri(),
                                      {"properties": [NM + ".pid"], "endpoints": ["ipv4:10.0.0.1"]},
                                      MT_ENDPOINTPROPPARAMS), MT_ENDPOINTPROP)
        self.assertEqual(doc["meta"]["dependent-vtags"], [vt])

    def test_repeated_get_is_identical(self):
        uri = self.ird.networkmap_uri(NM)
        a = self.altod.get(uri)
        b = self.altod.get(uri)
        self.assertEqual(a.body, b.body)


# every GET resource and a few POST requests, for the restart comparison
POSTS = [
    ("filtered_networkmap", {"pids": ["PID1", "PID3"]}, MT_NETWORKMAPFILTER),
    ("filtered_costmap", {"cost-type": cost_type("routingcost", "ordinal"),
                          "pids": {"srcs": ["PID3", "PID1"], "dsts": []}}, MT_COSTMAPFILTER),
    ("endpointprop", {"properties": [NM + ".pid"],
                      "endpoints": ["ipv4:192.0.2.34", "ipv6:2001:db8::1"]}, MT_ENDPOINTPROPPARAMS),
    ("endpointcost", {"cost-type": cost_type("hopcount", "numerical"),
                      "endpoints": {"srcs": ["ipv4:192.0.2.2"], "dsts": ["ipv4:198.51.100.200"]}},
     MT_ENDPOINTCOSTPARAMS),
]


def snapshot_bodies(altod):
    ird = altod.ird()
    out = {}
    out["/"] = altod.get("/", headers={"Host": "alto.example.net"}).body  # its URIs are built from Host
    for rid, r in sorted(ird.resources.items()):
        if "accepts" not in r:
            resp = altod.get(r["uri"])
            assert resp.status == 200, resp
            out[rid] = resp.body
    uris = {
        "filtered_networkmap": ird.filtered_networkmap_uri(NM),
        "filtered_costmap": ird.filtered_costmap_uri(NM),
        "endpointprop": ird.endpointprop_uri(),
        "endpointcost": ird.endpointcost_uri(NM),
    }
    for name, body, ctype in POSTS:
        resp = altod.post(uris[name], body, ctype)
        assert resp.status == 200, resp
        out[name] = resp.body
    return out


class TestRestart(at.AltodTestCase):
    def test_restart_gives_same_vtags_and_bodies(self):
        files = {"maps/example.yaml": at.read_example_maps()}
        directory = at.make_tree(self, files)
        first = at.start_altod(self, files, directory=directory)
        before = snapshot_bodies(first)
        vtag1 = first.get(first.ird().networkmap_uri(NM)).json()["meta"]["vtag"]
        self.assertEqual(first.stop(), 0, first.stderr())
        second = at.start_altod(self, files, directory=directory)
        after = snapshot_bodies(second)
        vtag2 = second.get(second.ird().networkmap_uri(NM)).json()["meta"]["vtag"]
        self.assertEqual(vtag1, vtag2)
        self.assertEqual(sorted(before), sorted(after))
        for k in before:
            self.assertEqual(before[k], after[k], k)

    def test_different_maps_give_a_different_vtag(self):
        text = at.read_example_maps()
        a = at.start_altod(self, {"maps/example.yaml": text})
        changed = text.replace("198.51.100.128/25", "198.51.100.192/26")
        self.assertNotEqual(changed, text)
        b = at.start_altod(self, {"maps/example.yaml": changed})
        ta = a.get(a.ird().networkmap_uri(NM)).json()["meta"]["vtag"]["tag"]
        tb = b.get(b.ird().networkmap_uri(NM)).json()["meta"]["vtag"]["tag"]
        self.assertNotEqual(ta, tb)


BANDWIDTH_MAPS = """\
network-maps:
  bwnet:
    pids:
      A: {ipv4: [10.0.0.0/8]}
      B: {ipv4: [11.0.0.0/8]}
      C: {ipv4: [12.0.0.0/8]}
cost-maps:
  bwnet:
    tput:
      A: {A: 1000, B: 10, C: 100}
      B: {A: 10, B: 1000}
      C: {A: 100.5, C: 1000}
    delay-ow:
      A: {A: 0.5, B: 20.25, C: 20.25}
      B: {A: 1.5e2, C: 0.1}
"""


class TestOrdinalSemantics(at.AltodTestCase):
    """Ordinal mode for a metric where higher is better (RFC 9439 §5)."""

    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls, {"bw.yaml": BANDWIDTH_MAPS})
        cls.ird = cls.altod.ird()

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def test_default_map_is_the_only_one(self):
        self.assertEqual(self.ird.default_network_map(), "bwnet")

    def test_tput_full(self):
        doc = self.assertOk(self.altod.get(self.ird.costmap_uri("bwnet", "tput", "numerical")), MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"A": {"A": 1000, "B": 10, "C": 100},
                                           "B": {"A": 10, "B": 1000}, "C": {"A": 100.5, "C": 1000}})
        doc = self.assertOk(self.altod.get(self.ird.costmap_uri("bwnet", "tput", "ordinal")), MT_COSTMAP)
        # 1000 best (1), 100.5 (2), 100 (3), 10 (4)
        self.assertEqual(doc["cost-map"], {"A": {"A": 1, "B": 4, "C": 3},
                                           "B": {"A": 4, "B": 1}, "C": {"A": 2, "C": 1}})

    def test_tput_filtered(self):
        body = {"cost-type": cost_type("tput", "ordinal"), "pids": {"srcs": ["A"], "dsts": []}}
        doc = self.assertOk(self.altod.post(self.ird.filtered_costmap_uri("bwnet"), body, MT_COSTMAPFILTER),
                            MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"A": {"A": 1, "B": 3, "C": 2}})

    def test_fractional_numbers(self):
        doc = self.assertOk(self.altod.get(self.ird.costmap_uri("bwnet", "delay-ow", "numerical")),
                            MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"A": {"A": 0.5, "B": 20.25, "C": 20.25}, "B": {"A": 150, "C": 0.1}})
        doc = self.assertOk(self.altod.get(self.ird.costmap_uri("bwnet", "delay-ow", "ordinal")), MT_COSTMAP)
        # 0.1 (1) < 0.5 (2) < 20.25 (3) < 150 (4)
        self.assertEqual(doc["cost-map"], {"A": {"A": 2, "B": 3, "C": 3}, "B": {"A": 4, "C": 1}})


if __name__ == "__main__":
    unittest.main()

"""Multi-cost ALTO (RFC 8189) against altod serving RFC 7285's example maps
(conf/maps/example.yaml: routingcost and hopcount over PID1..PID3), and a
map whose metrics cover different pairs (for the null costs of §4.1.3).

RFC 8189's own examples (§5.1 to §5.6, read in draft-ietf-alto-multi-cost-10,
the draft the RFC was published from) are TestRfc8189Examples, on maps
that reproduce their costs. The other answers here are computed by hand
from the maps.
"""

import unittest

import altodtest as at
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_ENDPOINTCOST, MT_ENDPOINTCOSTPARAMS,
                       cost_type)

NM = at.EXAMPLE_NETMAP
RC = cost_type("routingcost", "numerical")
HC = cost_type("hopcount", "numerical")
RC_ORD = cost_type("routingcost", "ordinal")
HC_ORD = cost_type("hopcount", "ordinal")

# routingcost, hopcount of conf/maps/example.yaml, side by side
RC_HC = {
    "PID1": {"PID1": [1, 0], "PID2": [5, 2], "PID3": [10, 3]},
    "PID2": {"PID1": [5, 2], "PID2": [1, 0], "PID3": [15, 4]},
    "PID3": {"PID1": [20, 3], "PID2": [15, 4]},
}

# RFC 7285 §11.5.1.7's addresses: 192.0.2.2 and .89 in PID1, 198.51.100.200
# in PID2, the others in PID3 (the catch-alls)
SRC = "ipv4:192.0.2.2"
DSTS = ["ipv4:192.0.2.89", "ipv4:198.51.100.200", "ipv4:203.0.113.45", "ipv6:2001:db8::10"]


class MultiCostServer(at.AltodTestCase):
    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls)
        cls.ird = cls.altod.ird()
        cls.fcm = cls.ird.filtered_costmap_uri(NM)
        cls.ecs = cls.ird.endpointcost_uri(NM)

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def fcostmap(self, body):
        return self.altod.post(self.fcm, body, MT_COSTMAPFILTER)

    def ecost(self, body):
        return self.altod.post(self.ecs, body, MT_ENDPOINTCOSTPARAMS)

    def multi_map(self, body, types, expected):
        doc = self.assertOk(self.fcostmap(body), MT_COSTMAP)
        vtag = self.assertOk(self.altod.get(self.ird.networkmap_uri(NM)), at.MT_NETWORKMAP)["meta"]["vtag"]
        # §4.1.3: "cost-type" is {} and "multi-cost-types" the request's
        self.assertEqual(doc["meta"], {"dependent-vtags": [vtag], "cost-type": {}, "multi-cost-types": types})
        self.assertEqual(doc["cost-map"], expected)
        return doc


class TestDirectory(MultiCostServer):
    """§4.1.1, §4.2.1: the capabilities of both services."""

    def test_capabilities(self):
        for rid in (NM + "-filtered-costmap", NM + "-endpoint-cost"):
            with self.subTest(rid=rid):
                caps = self.ird.resources[rid]["capabilities"]
                names = ["num-hopcount", "ord-hopcount", "num-routingcost", "ord-routingcost"]
                # every type is testable: "cost-constraints" true, and then
                # "testable-cost-type-names" MUST NOT be present (§4.1.1)
                self.assertEqual(caps, {"cost-constraints": True, "cost-type-names": names, "max-cost-types": 4})


class TestFilteredMultiCostMap(MultiCostServer):
    """§4.1: the filtered cost map with several cost types."""

    def test_two_types_every_pid(self):
        # the shape of RFC 8189 §5.2's example: both types, every PID
        self.multi_map({"multi-cost-types": [RC, HC], "pids": {"srcs": [], "dsts": []}}, [RC, HC], RC_HC)
        # without "pids" too, and in the other order
        swapped = {s: {d: v[::-1] for d, v in row.items()} for s, row in RC_HC.items()}
        self.multi_map({"multi-cost-types": [HC, RC]}, [HC, RC], swapped)

    def test_one_type_is_still_an_array(self):
        # §4.1.3: with "multi-cost-types" every cost is an array, even of one
        self.multi_map({"multi-cost-types": [RC], "pids": {"srcs": ["PID3"], "dsts": []}}, [RC],
                       {"PID3": {"PID1": [20], "PID2": [15]}})

    def test_the_same_type_twice(self):
        self.multi_map({"multi-cost-types": [HC, HC], "pids": {"srcs": ["PID2"], "dsts": ["PID3"]}}, [HC, HC],
                       {"PID2": {"PID3": [4, 4]}})

    def test_indexed_constraints_are_anded(self):
        # "[i]" names the i-th of "multi-cost-types" (§4.1.2)
        self.multi_map({"multi-cost-types": [RC, HC], "constraints": ["[0] le 10", "[1] le 2"],
                        "pids": {"srcs": ["PID1"], "dsts": []}}, [RC, HC],
                       {"PID1": {"PID1": [1, 0], "PID2": [5, 2]}})
        # no index: the first type
        self.multi_map({"multi-cost-types": [RC, HC], "constraints": ["ge 15"]}, [RC, HC],
                       {"PID2": {"PID3": [15, 4]}, "PID3": {"PID1": [20, 3], "PID2": [15, 4]}})

    def test_or_constraints(self):
        # inner arrays ANDed, the outer ORed
        self.multi_map({"multi-cost-types": [RC, HC], "or-constraints": [["[0] le 1"], ["[1] ge 4"]]}, [RC, HC],
                       {"PID1": {"PID1": [1, 0]}, "PID2": {"PID2": [1, 0], "PID3": [15, 4]},
                        "PID3": {"PID2": [15, 4]}})
        self.multi_map({"multi-cost-types": [RC, HC],
                        "or-constraints": [["[0] ge 5", "[1] le 2"], ["[0] eq 20"], ["[1] eq 99"]]}, [RC, HC],
                       {"PID1": {"PID2": [5, 2]}, "PID2": {"PID1": [5, 2]}, "PID3": {"PID1": [20, 3]}})
        # nothing meets them: an empty map
        self.multi_map({"multi-cost-types": [RC, HC], "or-constraints": [["[0] lt 1"], ["[1] gt 4"]]}, [RC, HC],
                       {})

    def test_testable_types_not_returned(self):
        # §4.1.2: with "testable-cost-types", indices name its entries; a
        # tested type need not be returned
        self.multi_map({"multi-cost-types": [HC], "testable-cost-types": [RC], "constraints": ["[0] ge 15"]},
                       [HC], {"PID2": {"PID3": [4]}, "PID3": {"PID1": [3], "PID2": [4]}})
        self.multi_map({"multi-cost-types": [RC, HC], "testable-cost-types": [HC, RC],
                        "or-constraints": [["[0] eq 0"], ["[1] eq 20"]]}, [RC, HC],
                       {"PID1": {"PID1": [1, 0]}, "PID2": {"PID2": [1, 0]}, "PID3": {"PID1": [20, 3]}})

    def test_single_cost_type_with_testable_types(self):
        # "cost-type" with "testable-cost-types": RFC 7285's answer (plain
        # numbers, meta "cost-type"), filtered on another type
        doc = self.assertOk(self.fcostmap({"cost-type": RC, "testable-cost-types": [HC],
                                           "constraints": ["[0] le 2"]}), MT_COSTMAP)
        self.assertEqual(doc["meta"]["cost-type"], RC)
        self.assertNotIn("multi-cost-types", doc["meta"])
        self.assertEqual(doc["cost-map"], {"PID1": {"PID1": 1, "PID2": 5}, "PID2": {"PID1": 5, "PID2": 1}})
        doc = self.assertOk(self.fcostmap({"cost-type": RC, "or-constraints": [["[0] eq 1"], ["eq 20"]]}),
                            MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"PID1": {"PID1": 1}, "PID2": {"PID2": 1}, "PID3": {"PID1": 20}})

    def test_index_zero_on_a_single_cost_type(self):
        # "[0]" names the only type of an RFC 7285 request
        doc = self.assertOk(self.fcostmap({"cost-type": RC, "constraints": ["[0] ge 15", "le 15"]}), MT_COSTMAP)
        self.assertEqual(doc["meta"]["cost-type"], RC)
        self.assertEqual(doc["cost-map"], {"PID2": {"PID3": 15}, "PID3": {"PID2": 15}})

    def test_ordinal_types(self):
        # ranks per type among the requested pairs, as a single-cost
        # request ranks them, then tested: PID3 -> PID1 = 20 (2), PID2 = 15 (1)
        self.multi_map({"multi-cost-types": [RC_ORD, RC, HC_ORD], "pids": {"srcs": ["PID3"], "dsts": []}},
                       [RC_ORD, RC, HC_ORD], {"PID3": {"PID1": [2, 20, 1], "PID2": [1, 15, 2]}})
        self.multi_map({"multi-cost-types": [RC_ORD, RC], "constraints": ["[0] eq 1"],
                        "pids": {"srcs": ["PID3"], "dsts": []}}, [RC_ORD, RC], {"PID3": {"PID2": [1, 15]}})
        # every pair: the ranks of the GET cost maps
        full = {}
        for t in (RC_ORD, HC_ORD):
            uri = self.ird.costmap_uri(NM, t["cost-metric"], "ordinal")
            full[t["cost-metric"]] = self.assertOk(self.altod.get(uri), MT_COSTMAP)["cost-map"]
        self.multi_map({"multi-cost-types": [RC_ORD, HC_ORD]}, [RC_ORD, HC_ORD],
                       {s: {d: [v, full["hopcount"][s][d]] for d, v in row.items()}
                        for s, row in full["routingcost"].items()})
        # a tested ordinal type that is not returned ranks the same way
        self.multi_map({"multi-cost-types": [RC], "testable-cost-types": [HC_ORD], "constraints": ["[0] eq 4"]},
                       [RC], {"PID2": {"PID3": [15]}, "PID3": {"PID2": [15]}})


class TestEndpointMultiCost(MultiCostServer):
    """§4.2: the endpoint cost service with several cost types."""

    def test_two_types(self):
        body = {"multi-cost-types": [RC, HC_ORD], "endpoints": {"srcs": [SRC], "dsts": DSTS}}
        doc = self.assertOk(self.ecost(body), MT_ENDPOINTCOST)
        self.assertEqual(doc["meta"], {"cost-type": {}, "multi-cost-types": [RC, HC_ORD]})
        # hopcount from PID1: 0, 2, 3, 3 -> ranks 1, 2, 3, 3
        self.assertEqual(doc["endpoint-cost-map"], {SRC: {DSTS[0]: [1, 1], DSTS[1]: [5, 2], DSTS[2]: [10, 3],
                                                          DSTS[3]: [10, 3]}})

    def test_or_constraints_and_testable_types(self):
        body = {"multi-cost-types": [HC], "testable-cost-types": [RC, HC],
                "or-constraints": [["[0] eq 1"], ["[0] ge 10", "[1] ge 3"]],
                "endpoints": {"srcs": [SRC], "dsts": DSTS}}
        doc = self.assertOk(self.ecost(body), MT_ENDPOINTCOST)
        self.assertEqual(doc["endpoint-cost-map"], {SRC: {DSTS[0]: [0], DSTS[2]: [3], DSTS[3]: [3]}})
        body["or-constraints"] = [["[1] gt 3"]]
        self.assertEqual(self.assertOk(self.ecost(body), MT_ENDPOINTCOST)["endpoint-cost-map"], {})

    def test_single_cost_type_with_testable_types(self):
        body = {"cost-type": RC, "testable-cost-types": [HC], "constraints": ["[0] ge 2"],
                "endpoints": {"srcs": [SRC], "dsts": DSTS}}
        doc = self.assertOk(self.ecost(body), MT_ENDPOINTCOST)
        self.assertEqual(doc["meta"], {"cost-type": RC})
        self.assertEqual(doc["endpoint-cost-map"], {SRC: {DSTS[1]: 5, DSTS[2]: 10, DSTS[3]: 10}})


# (body members, error code, field, value): every combination RFC 8189
# forbids, and every malformed member. The base body names the endpoints
# (endpoint cost) or nothing more (filtered cost map).
BAD = [
    # §4.1.2: "cost-type" and "multi-cost-types" MUST NOT both be given
    ({"cost-type": RC, "multi-cost-types": [HC]}, "E_INVALID_FIELD_VALUE", "multi-cost-types", None),
    # neither: RFC 7285's missing cost type
    ({"constraints": ["le 1"]}, "E_MISSING_FIELD", "cost-type", None),
    ({"multi-cost-types": RC}, "E_INVALID_FIELD_TYPE", "multi-cost-types", None),
    # CostType multi-cost-types<1..*>
    ({"multi-cost-types": []}, "E_INVALID_FIELD_VALUE", "multi-cost-types", None),
    # more than max-cost-types (4)
    ({"multi-cost-types": [RC, HC, RC_ORD, HC_ORD, RC]}, "E_INVALID_FIELD_VALUE", "multi-cost-types", None),
    ({"multi-cost-types": [RC, "num-hopcount"]}, "E_INVALID_FIELD_VALUE", "multi-cost-types", "num-hopcount"),
    ({"multi-cost-types": [RC, cost_type("delay", "numerical")]}, "E_INVALID_FIELD_VALUE",
     "multi-cost-types/cost-metric", "delay"),
    ({"multi-cost-types": [cost_type("hopcount", "percentile")]}, "E_INVALID_FIELD_VALUE",
     "multi-cost-types/cost-mode", "percentile"),
    ({"multi-cost-types": [{"cost-metric": "hopcount"}]}, "E_MISSING_FIELD", "multi-cost-types/cost-mode", None),
    ({"multi-cost-types": [{"cost-mode": "ordinal"}]}, "E_MISSING_FIELD", "multi-cost-types/cost-metric", None),
    # testable types: CostType testable-cost-types<1..*>, "a subset of the
    # cost types in the resource's "cost-type-names"" (§4.1.2, with
    # "cost-constraints" true): each one of them, and no more of them than
    # there are (4)
    ({"cost-type": RC, "testable-cost-types": []}, "E_INVALID_FIELD_VALUE", "testable-cost-types", None),
    ({"cost-type": RC, "testable-cost-types": {}}, "E_INVALID_FIELD_TYPE", "testable-cost-types", None),
    ({"cost-type": RC, "testable-cost-types": [RC, HC, RC_ORD, HC_ORD, HC]}, "E_INVALID_FIELD_VALUE",
     "testable-cost-types", None),
    ({"multi-cost-types": [RC], "testable-cost-types": [cost_type("bw", "numerical")]}, "E_INVALID_FIELD_VALUE",
     "testable-cost-types/cost-metric", "bw"),
    ({"multi-cost-types": [RC], "testable-cost-types": [cost_type("hopcount", "x")]}, "E_INVALID_FIELD_VALUE",
     "testable-cost-types/cost-mode", "x"),
    # §4.1.2: "or-constraints" MUST NOT be given with "constraints"
    ({"multi-cost-types": [RC], "constraints": ["le 1"], "or-constraints": [["le 2"]]}, "E_INVALID_FIELD_VALUE",
     "or-constraints", None),
    ({"cost-type": RC, "constraints": [], "or-constraints": [["le 2"]]}, "E_INVALID_FIELD_VALUE",
     "or-constraints", None),
    # JSONString or-constraints<1..*><1..*>
    ({"multi-cost-types": [RC], "or-constraints": []}, "E_INVALID_FIELD_VALUE", "or-constraints", None),
    ({"multi-cost-types": [RC], "or-constraints": [[]]}, "E_INVALID_FIELD_VALUE", "or-constraints", "[]"),
    ({"multi-cost-types": [RC], "or-constraints": ["le 1"]}, "E_INVALID_FIELD_VALUE", "or-constraints", "le 1"),
    ({"multi-cost-types": [RC], "or-constraints": "le 1"}, "E_INVALID_FIELD_TYPE", "or-constraints", None),
    ({"multi-cost-types": [RC], "or-constraints": [[1]]}, "E_INVALID_FIELD_VALUE", "or-constraints", "1"),
    ({"multi-cost-types": [RC], "or-constraints": [["le 1"], ["le x"]]}, "E_INVALID_FIELD_VALUE",
     "or-constraints", "le x"),
    # an index outside the tested types: of "multi-cost-types" ...
    ({"multi-cost-types": [RC, HC], "constraints": ["[2] le 1"]}, "E_INVALID_FIELD_VALUE", "constraints",
     "[2] le 1"),
    ({"multi-cost-types": [RC, HC], "or-constraints": [["[0] le 1"], ["[5] le 1"]]}, "E_INVALID_FIELD_VALUE",
     "or-constraints", "[5] le 1"),
    # ... of "testable-cost-types" when given (not of "multi-cost-types")
    ({"multi-cost-types": [RC, HC], "testable-cost-types": [HC], "constraints": ["[1] le 1"]},
     "E_INVALID_FIELD_VALUE", "constraints", "[1] le 1"),
    # ... of the single "cost-type"
    ({"cost-type": RC, "constraints": ["[1] le 1"]}, "E_INVALID_FIELD_VALUE", "constraints", "[1] le 1"),
    ({"cost-type": RC, "constraints": ["[99999999999] le 1"]}, "E_INVALID_FIELD_VALUE", "constraints",
     "[99999999999] le 1"),
    # the index's syntax
    ({"multi-cost-types": [RC], "constraints": ["[x] le 1"]}, "E_INVALID_FIELD_VALUE", "constraints", "[x] le 1"),
    ({"multi-cost-types": [RC], "constraints": ["[0]le 1"]}, "E_INVALID_FIELD_VALUE", "constraints", "[0]le 1"),
    ({"multi-cost-types": [RC], "constraints": ["[-1] le 1"]}, "E_INVALID_FIELD_VALUE", "constraints",
     "[-1] le 1"),
    ({"multi-cost-types": [RC], "constraints": ["[] le 1"]}, "E_INVALID_FIELD_VALUE", "constraints", "[] le 1"),
    ({"multi-cost-types": [RC], "constraints": [" [0] le 1"]}, "E_INVALID_FIELD_VALUE", "constraints",
     " [0] le 1"),
]


class TestForbidden(MultiCostServer):
    """Every combination RFC 8189 forbids gets its error, at both services."""

    def test_each_gets_its_error(self):
        for members, code, field, value in BAD:
            for svc in ("fcostmap", "ecost"):
                body = dict(members)
                if svc == "ecost":
                    body["endpoints"] = {"srcs": [SRC], "dsts": DSTS}
                with self.subTest(body=body):
                    r = self.fcostmap(body) if svc == "fcostmap" else self.ecost(body)
                    self.assertAltoError(r, code, field=field, value=value,
                                         has_value=None if value is not None else False)


class TestConstraintLimit(at.AltodTestCase):
    """limits.max-constraints counts every constraint of "or-constraints"
    with those of "constraints"."""

    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls, limits={"max-constraints": 3})
        ird = cls.altod.ird()
        cls.fcm = ird.filtered_costmap_uri(NM)

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def post(self, body):
        return self.altod.post(self.fcm, body, MT_COSTMAPFILTER)

    def test_at_the_limit_served_one_more_refused(self):
        ok = {"multi-cost-types": [RC, HC], "or-constraints": [["[0] ge 1", "[1] le 3"], ["[0] eq 20"]]}
        doc = self.assertOk(self.post(ok), MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"PID1": {"PID1": [1, 0], "PID2": [5, 2], "PID3": [10, 3]},
                                           "PID2": {"PID1": [5, 2], "PID2": [1, 0]},
                                           "PID3": {"PID1": [20, 3]}})
        over = {"multi-cost-types": [RC, HC], "or-constraints": [["[0] ge 1", "[1] le 3"], ["[0] eq 20"],
                                                                 ["[1] eq 0"]]}
        self.assertAltoError(self.post(over), "E_INVALID_FIELD_VALUE", field="or-constraints", has_value=False)
        # many empty inner arrays: refused by count, before any is looked at
        self.assertAltoError(self.post({"multi-cost-types": [RC], "or-constraints": [[]] * 1000}),
                             "E_INVALID_FIELD_VALUE", field="or-constraints", has_value=False)
        self.assertAltoError(self.post({"multi-cost-types": [RC], "constraints": ["le 1"] * 4}),
                             "E_INVALID_FIELD_VALUE", field="constraints", has_value=False)


MANY_METRICS = 9  # 18 cost types: more than altod's cap of 16 in one request
MANY_MAPS = "network-maps:\n  many:\n    pids:\n      A: {ipv4: [10.0.0.0/8]}\n      B: {ipv4: [11.0.0.0/8]}\n" + \
    "cost-maps:\n  many:\n" + "".join("    priv:m%d:\n      A: {A: %d, B: %d}\n" % (i, i, i + 1)
                                      for i in range(MANY_METRICS))


class TestMaxCostTypes(at.AltodTestCase):
    """max-cost-types is the number of granted types, at most 16: 16 are
    served in "multi-cost-types", 17 refused (§4.1.2: "MUST NOT have more
    than "max-cost-types" cost types"), even when the map has more.
    "testable-cost-types" has no such cap (§4.1.2): any subset of
    "cost-type-names", here all 18 types, one more refused."""

    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls, {"many.yaml": MANY_MAPS})
        cls.ird = cls.altod.ird()
        cls.fcm = cls.ird.filtered_costmap_uri("many")

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def test_cap(self):
        caps = self.ird.resources["many-filtered-costmap"]["capabilities"]
        self.assertEqual(len(caps["cost-type-names"]), 2 * MANY_METRICS)
        self.assertEqual(caps["max-cost-types"], 16)
        types = [cost_type("priv:m%d" % i, mode) for i in range(MANY_METRICS) for mode in ("numerical", "ordinal")]
        body = {"multi-cost-types": types[:16], "constraints": ["[15] ge 1"]}
        doc = self.assertOk(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), MT_COSTMAP)
        # m7 ordinal ([15]): A->A 7 is rank 1, A->B 8 rank 2
        self.assertEqual(doc["cost-map"], {"A": {"A": [i // 2 if i % 2 == 0 else 1 for i in range(16)],
                                                 "B": [i // 2 + 1 if i % 2 == 0 else 2 for i in range(16)]}})
        body["multi-cost-types"] = types[:17]
        self.assertAltoError(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), "E_INVALID_FIELD_VALUE",
                             field="multi-cost-types", has_value=False)

    def test_testable_types_beyond_max_cost_types(self):
        types = [cost_type("priv:m%d" % i, mode) for i in range(MANY_METRICS) for mode in ("numerical", "ordinal")]
        # [16] is m8 numerical: A->A 8, A->B 9; [17] m8 ordinal: 1, 2
        for cons, expected in ((["[16] ge 9"], {"A": {"B": 1}}), (["[17] eq 1", "[0] eq 0"], {"A": {"A": 0}}),
                               (["[17] le 2"], {"A": {"A": 0, "B": 1}})):
            body = {"cost-type": types[0], "testable-cost-types": types, "constraints": cons}
            with self.subTest(cons=cons):
                doc = self.assertOk(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), MT_COSTMAP)
                self.assertEqual(doc["cost-map"], expected)
        # with "multi-cost-types" too, and the same type more than once
        body = {"multi-cost-types": types[16:17], "testable-cost-types": types[:17] + [types[16]],
                "or-constraints": [["[17] lt 9"], ["[16] gt 8", "[0] eq 1"]]}
        doc = self.assertOk(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"A": {"A": [8], "B": [9]}})
        body["constraints"] = ["[17] lt 9"]
        del body["or-constraints"]
        doc = self.assertOk(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"A": {"A": [8]}})
        # more entries than "cost-type-names" has: not a subset of it
        body["testable-cost-types"] = types + [types[0]]
        self.assertAltoError(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), "E_INVALID_FIELD_VALUE",
                             field="testable-cost-types", has_value=False)


# RFC 8189 §5's maps: "routingcost" and the unregistered "shoesize" and
# "sceneryrate" (§5: "deliberately irrelevant and not registered at the
# IANA", so private metrics here, RFC 7285 §10.6) over PID1..PID3. The
# costs are §5.2's cost map (no routingcost PID2 -> PID3 nor PID3 -> PID2:
# its nulls) and §5.5's sceneryrate values; the other sceneryrate costs
# appear in no answer of §5. The network map is RFC 7285's example one.
RFC8189_MAPS = """\
network-maps:
  rfc8189:
    pids:
      PID1: {ipv4: [192.0.2.0/24, 198.51.100.0/25]}
      PID2: {ipv4: [198.51.100.128/25]}
      PID3: {ipv4: [0.0.0.0/0], ipv6: ["::/0"]}
cost-maps:
  rfc8189:
    routingcost:
      PID1: {PID1: 1, PID2: 4, PID3: 10}
      PID2: {PID1: 15, PID2: 1}
      PID3: {PID1: 20, PID3: 1}
    priv:shoesize:
      PID1: {PID1: 0, PID2: 3, PID3: 2}
      PID2: {PID1: 5, PID2: 0, PID3: 9}
      PID3: {PID1: 12, PID2: 1, PID3: 0}
    priv:sceneryrate:
      PID1: {PID1: 16, PID2: 7, PID3: 19}
      PID2: {PID1: 3, PID2: 8, PID3: 11}
      PID3: {PID1: 5, PID2: 2, PID3: 19}
"""


class TestRfc8189Examples(at.AltodTestCase):
    """RFC 8189 §5: each example request and the RFC's answer (its meta
    without "dependent-vtags", which names the RFC's own tag).

    Two answers of §5 cannot be reproduced, because they contradict the
    RFC's own rules or other examples: §5.3 gives PID1 -> PID3 as [10,5]
    where §5.2's map (and §5.4, §5.5, which need shoesize <= 2 there) has
    [10,2]; §5.6's answer lists [15,5], [4,23] and [16,5], which fail both
    of its own or-constraints. Those two are checked against the maps
    above, under the RFC's rules."""

    SS = cost_type("priv:shoesize", "numerical")
    SR = cost_type("priv:sceneryrate", "numerical")
    OR = [["[0] le 10", "[1] le 2"], ["[0] le 3", "[1] le 6"]]

    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls, {"rfc8189.yaml": RFC8189_MAPS})
        cls.ird = cls.altod.ird()
        cls.fcm = cls.ird.filtered_costmap_uri("rfc8189")
        cls.ecs = cls.ird.endpointcost_uri("rfc8189")

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def post(self, body, meta, expected):
        doc = self.assertOk(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), MT_COSTMAP)
        self.assertEqual(len(doc["meta"].pop("dependent-vtags")), 1)
        self.assertEqual(doc["meta"], meta)
        self.assertEqual(doc["cost-map"], expected)

    def test_5_1_directory(self):
        # §5.1's "filtered-multicost-map" and "endpoint-multicost-map": every
        # type testable, so "cost-constraints" true and no
        # "testable-cost-type-names"
        names = ["num-routingcost", "ord-routingcost", "num-priv:sceneryrate", "ord-priv:sceneryrate",
                 "num-priv:shoesize", "ord-priv:shoesize"]
        for rid in ("rfc8189-filtered-costmap", "rfc8189-endpoint-cost"):
            with self.subTest(rid=rid):
                caps = self.ird.resources[rid]["capabilities"]
                self.assertEqual(sorted(caps), ["cost-constraints", "cost-type-names", "max-cost-types"])
                self.assertIs(caps["cost-constraints"], True)
                self.assertEqual(sorted(caps["cost-type-names"]), sorted(names))
                self.assertEqual(caps["max-cost-types"], 6)

    def test_5_2_example_1(self):
        self.post({"multi-cost-types": [RC, self.SS], "pids": {"srcs": [], "dsts": []}},
                  {"cost-type": {}, "multi-cost-types": [RC, self.SS]},
                  {"PID1": {"PID1": [1, 0], "PID2": [4, 3], "PID3": [10, 2]},
                   "PID2": {"PID1": [15, 5], "PID2": [1, 0], "PID3": [None, 9]},
                   "PID3": {"PID1": [20, 12], "PID2": [None, 1], "PID3": [1, 0]}})

    def test_5_3_example_2(self):
        # the RFC prints PID1 -> PID3 as [10,5]: see the class's comment
        self.post({"multi-cost-types": [RC, self.SS], "or-constraints": [["[0] ge 5", "[0] le 10"], ["[1] eq 0"]],
                   "pids": {"srcs": ["PID1", "PID2"], "dsts": ["PID1", "PID2", "PID3"]}},
                  {"cost-type": {}, "multi-cost-types": [RC, self.SS]},
                  {"PID1": {"PID1": [1, 0], "PID3": [10, 2]}, "PID2": {"PID2": [1, 0]}})

    def test_5_4_example_3(self):
        # "cost-type" with "testable-cost-types" and "or-constraints": the
        # answer is RFC 7285's, scalar costs
        self.post({"cost-type": RC, "testable-cost-types": [RC, self.SS], "or-constraints": self.OR,
                   "pids": {"srcs": [], "dsts": []}},
                  {"cost-type": RC},
                  {"PID1": {"PID1": 1, "PID3": 10}, "PID2": {"PID2": 1}, "PID3": {"PID3": 1}})

    def test_5_5_example_4(self):
        # a tested type (shoesize) that is not returned
        self.post({"multi-cost-types": [RC, self.SR], "testable-cost-types": [RC, self.SS], "or-constraints": self.OR,
                   "pids": {"srcs": [], "dsts": []}},
                  {"cost-type": {}, "multi-cost-types": [RC, self.SR]},
                  {"PID1": {"PID1": [1, 16], "PID3": [10, 19]}, "PID2": {"PID2": [1, 8]},
                   "PID3": {"PID3": [1, 19]}})

    def test_5_6_endpoint_cost(self):
        # §5.6's request. 192.0.2.2 and .89 are in PID1, 198.51.100.34 in
        # PID1, the others in PID3 (the catch-alls). The RFC's answer is not
        # reproducible (see the class's comment); under §4.1.2's rules only
        # the pairs below meet one of the two or-constraints. Its meta:
        # "cost-type" {} with "multi-cost-types" (§4.2.3; the RFC's example
        # leaves "cost-type" out)
        srcs = ["ipv4:192.0.2.2", "ipv6:2001:db8::1:0"]
        dsts = ["ipv4:192.0.2.89", "ipv4:198.51.100.34", "ipv4:203.0.113.45", "ipv6:2001:db8::10"]
        body = {"multi-cost-types": [RC, self.SS], "or-constraints": self.OR, "endpoints": {"srcs": srcs, "dsts": dsts}}
        doc = self.assertOk(self.altod.post(self.ecs, body, MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)
        self.assertEqual(doc["meta"], {"cost-type": {}, "multi-cost-types": [RC, self.SS]})
        self.assertEqual(doc["endpoint-cost-map"],
                         {srcs[0]: {dsts[0]: [1, 0], dsts[1]: [1, 0], dsts[2]: [10, 2], dsts[3]: [10, 2]},
                          srcs[1]: {dsts[2]: [1, 0], dsts[3]: [1, 0]}})
        # without the constraints, every pair with a cost of either type
        del body["or-constraints"]
        doc = self.assertOk(self.altod.post(self.ecs, body, MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)
        self.assertEqual(doc["endpoint-cost-map"],
                         {srcs[0]: {dsts[0]: [1, 0], dsts[1]: [1, 0], dsts[2]: [10, 2], dsts[3]: [10, 2]},
                          srcs[1]: {dsts[0]: [20, 12], dsts[1]: [20, 12], dsts[2]: [1, 0], dsts[3]: [1, 0]}})


SPARSE_MAPS = """\
network-maps:
  sparse:
    pids:
      A: {ipv4: [10.0.0.0/8]}
      B: {ipv4: [11.0.0.0/8]}
      C: {ipv4: [12.0.0.0/8]}
cost-maps:
  sparse:
    tput:
      A: {A: 1000, B: 10}
      B: {B: 1000}
    delay-ow:
      A: {B: 20.25, C: 0.5}
      B: {A: 150}
"""


class TestMissingCosts(at.AltodTestCase):
    """§4.1.3: a type without a cost for a pair is null in its array; a
    pair with no cost of any returned type is left out."""

    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls, {"sparse.yaml": SPARSE_MAPS})
        ird = cls.altod.ird()
        cls.fcm = ird.filtered_costmap_uri("sparse")
        cls.ecs = ird.endpointcost_uri("sparse")

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    TPUT = cost_type("tput", "numerical")
    DELAY = cost_type("delay-ow", "numerical")
    TPUT_ORD = cost_type("tput", "ordinal")

    def test_nulls(self):
        body = {"multi-cost-types": [self.TPUT, self.DELAY, self.TPUT_ORD]}
        doc = self.assertOk(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), MT_COSTMAP)
        # tput higher is better: 1000 -> 1, 10 -> 2
        self.assertEqual(doc["cost-map"], {"A": {"A": [1000, None, 1], "B": [10, 20.25, 2], "C": [None, 0.5, None]},
                                           "B": {"A": [None, 150, None], "B": [1000, None, 1]}})
        # a constraint on a type without a cost for the pair fails it
        body["constraints"] = ["[1] lt 100"]
        doc = self.assertOk(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"A": {"B": [10, 20.25, 2], "C": [None, 0.5, None]}})

    def test_endpoint_nulls(self):
        body = {"multi-cost-types": [self.DELAY, self.TPUT],
                "endpoints": {"srcs": ["ipv4:10.0.0.1", "ipv4:192.0.2.1"],
                              "dsts": ["ipv4:10.1.1.1", "ipv4:11.1.1.1", "ipv4:12.1.1.1", "ipv4:13.1.1.1"]}}
        doc = self.assertOk(self.altod.post(self.ecs, body, MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)
        # 192.0.2.1 and 13.1.1.1 are in no PID: no costs at all
        self.assertEqual(doc["endpoint-cost-map"],
                         {"ipv4:10.0.0.1": {"ipv4:10.1.1.1": [None, 1000], "ipv4:11.1.1.1": [20.25, 10],
                                            "ipv4:12.1.1.1": [0.5, None]}})


if __name__ == "__main__":
    unittest.main()

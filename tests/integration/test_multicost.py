"""Multi-cost ALTO (RFC 8189) against altod serving RFC 7285's example maps
(conf/maps/example.yaml: routingcost and hopcount over PID1..PID3, the
maps RFC 8189's examples are written against), and a map whose metrics
cover different pairs (for the null costs of §4.1.3).

The requests follow the shapes of RFC 8189 §7 (several cost types, indexed
constraints, testable cost types, or-constraints, the endpoint cost
service); every answer here is computed by hand from the maps.
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
                self.assertEqual(caps, {"cost-constraints": True, "cost-type-names": names,
                                        "max-cost-types": 4, "testable-cost-type-names": names})


class TestFilteredMultiCostMap(MultiCostServer):
    """§4.1: the filtered cost map with several cost types."""

    def test_two_types_every_pid(self):
        # the shape of RFC 8189 §7.2's first example: both types, every PID
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
    # testable types: each one of "testable-cost-type-names"
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
    served, 17 refused (§4.1.2), even when the map has more."""

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
        for member in ("multi-cost-types", "testable-cost-types"):
            extra = {} if member == "multi-cost-types" else {"cost-type": types[0]}
            body = dict(extra, **{member: types[:16], "constraints": ["[15] ge 1"]})
            with self.subTest(member=member):
                doc = self.assertOk(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), MT_COSTMAP)
                if member == "multi-cost-types":
                    # m7 ordinal ([15]): A->A 7 is rank 1, A->B 8 rank 2
                    self.assertEqual(doc["cost-map"], {"A": {"A": [i // 2 if i % 2 == 0 else 1 for i in range(16)],
                                                             "B": [i // 2 + 1 if i % 2 == 0 else 2
                                                                   for i in range(16)]}})
                body[member] = types[:17]
                self.assertAltoError(self.altod.post(self.fcm, body, MT_COSTMAPFILTER), "E_INVALID_FIELD_VALUE",
                                     field=member, has_value=False)


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

"""ALTO errors (RFC 7285 §8.5): 400 with application/alto-error+json and
the exact meta.code / field / value."""

import json
import unittest

import altodtest as at
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_ENDPOINTCOST, MT_ENDPOINTCOSTPARAMS,
                       MT_ENDPOINTPROP, MT_ENDPOINTPROPPARAMS, MT_NETWORKMAP, MT_NETWORKMAPFILTER,
                       cost_type)

NM = at.EXAMPLE_NETMAP
RC_NUM = cost_type("routingcost", "numerical")
PROP = NM + ".pid"

E_SYNTAX = "E_SYNTAX"
E_MISSING = "E_MISSING_FIELD"
E_TYPE = "E_INVALID_FIELD_TYPE"
E_VALUE = "E_INVALID_FIELD_VALUE"


class ErrorServer(at.AltodTestCase):
    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls)
        ird = cls.altod.ird()
        cls.uris = {
            "fnm": (ird.filtered_networkmap_uri(NM), MT_NETWORKMAPFILTER, MT_NETWORKMAP),
            "fcm": (ird.filtered_costmap_uri(NM), MT_COSTMAPFILTER, MT_COSTMAP),
            "ep": (ird.endpointprop_uri(), MT_ENDPOINTPROPPARAMS, MT_ENDPOINTPROP),
            "ec": (ird.endpointcost_uri(NM), MT_ENDPOINTCOSTPARAMS, MT_ENDPOINTCOST),
        }

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def send(self, svc, body):
        uri, ctype, _ = self.uris[svc]
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        return self.altod.post(uri, body, ctype)

    def ok(self, svc, body):
        r = self.send(svc, body)
        return self.assertOk(r, self.uris[svc][2])

    def err(self, svc, body, code, field=None, value=None, has_value=None):
        with self.subTest(svc=svc, body=body):
            self.assertAltoError(self.send(svc, body), code, field, value, has_value)


class TestSyntax(ErrorServer):
    def test_malformed_json(self):
        for svc in self.uris:
            for body in ["{", "", "{\"pids\": [}", "{'pids': []}", "{\"a\":1,}", "nul", "{} {}",
                         b"{\"pids\": [\"\xff\"]}"]:
                self.err(svc, body, E_SYNTAX)

    def test_non_object_body(self):
        for svc in self.uris:
            for body in ["[]", "[{}]", "\"pids\"", "5", "null", "true"]:
                self.err(svc, body, E_SYNTAX)

    def test_duplicate_member_names(self):
        self.err("fnm", '{"pids": ["PID1"], "pids": ["PID2"]}', E_SYNTAX)
        self.err("fcm", '{"cost-type": {"cost-metric": "routingcost", "cost-metric": "hopcount", '
                        '"cost-mode": "numerical"}}', E_SYNTAX)
        self.err("ep", '{"properties": ["%s"], "endpoints": ["ipv4:1.2.3.4"], '
                       '"endpoints": ["ipv4:1.2.3.5"]}' % PROP, E_SYNTAX)
        self.err("ec", '{"cost-type": {"cost-metric": "routingcost", "cost-mode": "numerical"}, '
                       '"endpoints": {"srcs": ["ipv4:1.2.3.4"], "srcs": []}}', E_SYNTAX)


class TestCostType(ErrorServer):
    """§11.3.2.3 / §11.5.1.3 cost-type, in the filtered cost map and the
    endpoint cost service."""

    EPS = {"srcs": ["ipv4:192.0.2.1"], "dsts": ["ipv4:192.0.2.2"]}

    def bodies(self, **kw):
        a = {"pids": {"srcs": [], "dsts": []}}
        a.update(kw)
        b = {"endpoints": self.EPS}
        b.update(kw)
        return [("fcm", a), ("ec", b)]

    def test_missing_cost_type(self):
        for svc, body in self.bodies():
            self.err(svc, body, E_MISSING, "cost-type")

    def test_cost_type_not_an_object(self):
        for bad in ["num-routingcost", ["routingcost", "numerical"], 3, None]:
            for svc, body in self.bodies(**{"cost-type": bad}):
                self.err(svc, body, E_TYPE, "cost-type")

    def test_missing_metric_or_mode(self):
        for svc, body in self.bodies(**{"cost-type": {}}):
            self.err(svc, body, E_MISSING, "cost-type/cost-metric")
        for svc, body in self.bodies(**{"cost-type": {"cost-mode": "numerical"}}):
            self.err(svc, body, E_MISSING, "cost-type/cost-metric")
        for svc, body in self.bodies(**{"cost-type": {"cost-metric": "routingcost"}}):
            self.err(svc, body, E_MISSING, "cost-type/cost-mode")

    def test_metric_or_mode_not_a_string(self):
        for svc, body in self.bodies(**{"cost-type": {"cost-metric": 5, "cost-mode": "numerical"}}):
            self.err(svc, body, E_TYPE, "cost-type/cost-metric")
        for svc, body in self.bodies(**{"cost-type": {"cost-metric": "routingcost", "cost-mode": ["ordinal"]}}):
            self.err(svc, body, E_TYPE, "cost-type/cost-mode")

    def test_unknown_metric(self):
        for metric in ["latency", "RoutingCost", "priv:nope", "", "delay-ow"]:
            for svc, body in self.bodies(**{"cost-type": cost_type(metric, "numerical")}):
                self.err(svc, body, E_VALUE, "cost-type/cost-metric", metric)

    def test_unknown_mode(self):
        for mode in ["cardinal", "Numerical", "", "num"]:
            for svc, body in self.bodies(**{"cost-type": cost_type("routingcost", mode)}):
                self.err(svc, body, E_VALUE, "cost-type/cost-mode", mode)

    def test_description_and_unknown_fields_are_ignored(self):
        ct = {"cost-metric": "routingcost", "cost-mode": "numerical", "description": "x", "zzz": [1]}
        doc = self.ok("fcm", {"cost-type": ct, "pids": {"srcs": ["PID1"], "dsts": ["PID2"], "extra": 1},
                              "unknown": {"a": 1}})
        self.assertEqual(doc["cost-map"], {"PID1": {"PID2": 5}})
        doc = self.ok("ec", {"cost-type": ct, "endpoints": dict(self.EPS, other=[]), "x": None})
        self.assertEqual(doc["endpoint-cost-map"], {"ipv4:192.0.2.1": {"ipv4:192.0.2.2": 1}})


class TestConstraints(ErrorServer):
    BAD = ["foo 5", "le", "le ", "le abc", "lt 5 6", "le5", "le 5x", "l 5", "", "5", "5 le",
           "eq NaN", "ge inf", "ne 5"]

    def test_bad_constraint(self):
        for c in self.BAD:
            self.err("fcm", {"cost-type": RC_NUM, "constraints": [c]}, E_VALUE, "constraints", c)
            self.err("ec", {"cost-type": RC_NUM, "constraints": ["le 5", c],
                            "endpoints": {"srcs": ["ipv4:1.2.3.4"], "dsts": ["ipv4:1.2.3.5"]}},
                     E_VALUE, "constraints", c)

    def test_constraint_not_a_string(self):
        self.err("fcm", {"cost-type": RC_NUM, "constraints": ["le 5", 3]}, E_VALUE, "constraints", "3")
        self.err("fcm", {"cost-type": RC_NUM, "constraints": [None]}, E_VALUE, "constraints", "null")

    def test_constraints_not_an_array(self):
        for bad in ["le 5", {"le": 5}, 5]:
            self.err("fcm", {"cost-type": RC_NUM, "constraints": bad}, E_TYPE, "constraints")
            self.err("ec", {"cost-type": RC_NUM, "constraints": bad,
                            "endpoints": {"srcs": ["ipv4:1.2.3.4"], "dsts": ["ipv4:1.2.3.5"]}},
                     E_TYPE, "constraints")


class TestFilteredCostMapPids(ErrorServer):
    def test_pids_not_an_object(self):
        for bad in [[], ["PID1"], "PID1", 1]:
            self.err("fcm", {"cost-type": RC_NUM, "pids": bad}, E_TYPE, "pids")

    def test_missing_srcs_or_dsts(self):
        self.err("fcm", {"cost-type": RC_NUM, "pids": {}}, E_MISSING, "pids/srcs")
        self.err("fcm", {"cost-type": RC_NUM, "pids": {"dsts": []}}, E_MISSING, "pids/srcs")
        self.err("fcm", {"cost-type": RC_NUM, "pids": {"srcs": []}}, E_MISSING, "pids/dsts")

    def test_srcs_or_dsts_not_an_array(self):
        self.err("fcm", {"cost-type": RC_NUM, "pids": {"srcs": "PID1", "dsts": []}}, E_TYPE, "pids/srcs")
        self.err("fcm", {"cost-type": RC_NUM, "pids": {"srcs": [], "dsts": {"PID1": 1}}}, E_TYPE, "pids/dsts")

    def test_non_string_pid(self):
        self.err("fcm", {"cost-type": RC_NUM, "pids": {"srcs": [1], "dsts": []}}, E_VALUE, "pids/srcs", "1")
        self.err("fcm", {"cost-type": RC_NUM, "pids": {"srcs": ["PID1"], "dsts": ["PID2", False]}},
                 E_VALUE, "pids/dsts", "false")

    def test_undefined_pids_are_ignored(self):
        doc = self.ok("fcm", {"cost-type": RC_NUM, "pids": {"srcs": ["nope", "PID2"], "dsts": ["PID1", "x"]}})
        self.assertEqual(doc["cost-map"], {"PID2": {"PID1": 5}})


class TestFilteredNetworkMap(ErrorServer):
    def test_missing_pids(self):
        self.err("fnm", {}, E_MISSING, "pids")
        self.err("fnm", {"address-types": ["ipv4"]}, E_MISSING, "pids")

    def test_pids_not_an_array(self):
        for bad in ["PID1", {"srcs": []}, 1, None]:
            self.err("fnm", {"pids": bad}, E_TYPE, "pids")

    def test_non_string_pid(self):
        self.err("fnm", {"pids": ["PID1", 1]}, E_VALUE, "pids", "1")
        self.err("fnm", {"pids": [["PID1"]]}, E_VALUE, "pids", '["PID1"]')

    def test_address_types_not_an_array(self):
        self.err("fnm", {"pids": [], "address-types": "ipv4"}, E_TYPE, "address-types")

    def test_bad_address_type(self):
        for bad in ["ip-v4", "", "ipv4 ", "ip v6"]:
            self.err("fnm", {"pids": [], "address-types": ["ipv4", bad]}, E_VALUE, "address-types", bad)
        self.err("fnm", {"pids": [], "address-types": [4]}, E_VALUE, "address-types", "4")

    def test_unknown_address_type_is_ignored(self):
        doc = self.ok("fnm", {"pids": ["PID2"], "address-types": ["ipv5", "ipv4"]})
        self.assertEqual(doc["network-map"], {"PID2": {"ipv4": ["198.51.100.128/25"]}})

    def test_unknown_fields_are_ignored(self):
        doc = self.ok("fnm", {"pids": ["PID2"], "zzz": {"pids": 1}})
        self.assertEqual(doc["network-map"], {"PID2": {"ipv4": ["198.51.100.128/25"]}})


class TestEndpointProperty(ErrorServer):
    def test_missing_fields(self):
        self.err("ep", {}, E_MISSING, "properties")
        self.err("ep", {"endpoints": ["ipv4:192.0.2.1"]}, E_MISSING, "properties")
        self.err("ep", {"properties": [PROP]}, E_MISSING, "endpoints")

    def test_not_arrays(self):
        self.err("ep", {"properties": PROP, "endpoints": ["ipv4:192.0.2.1"]}, E_TYPE, "properties")
        self.err("ep", {"properties": [PROP], "endpoints": "ipv4:192.0.2.1"}, E_TYPE, "endpoints")
        self.err("ep", {"properties": [PROP], "endpoints": {"srcs": []}}, E_TYPE, "endpoints")

    def test_empty_arrays(self):
        # properties<1..*>, endpoints<1..*> (§11.4.1.3)
        self.err("ep", {"properties": [], "endpoints": ["ipv4:192.0.2.1"]}, E_VALUE, "properties")
        self.err("ep", {"properties": [PROP], "endpoints": []}, E_VALUE, "endpoints")

    def test_unknown_property(self):
        for bad in ["foo.pid", NM + ".bogus", NM, "pid", ".pid", NM + ".PID", "priv:x"]:
            self.err("ep", {"properties": [PROP, bad], "endpoints": ["ipv4:192.0.2.1"]},
                     E_VALUE, "properties", bad)

    def test_value_is_echoed_exactly(self):
        # the offending value comes back as sent, JSON-escaped correctly
        for bad in ['a"b\\c.pid', "tab\there.pid", "\u00e9t\u00e9.pid", "\u2603\U0001F600.pid", "\x01.pid",
                    "x" * 300 + ".pid"]:
            self.err("ep", {"properties": [bad], "endpoints": ["ipv4:192.0.2.1"]}, E_VALUE, "properties", bad)
        self.err("fcm", {"cost-type": cost_type("r\u00f6uting\"cost", "numerical")},
                 E_VALUE, "cost-type/cost-metric", "r\u00f6uting\"cost")

    def test_nul_character_is_valid_json(self):
        # "\u0000" is a valid JSON string escape (RFC 8259 §7): the body
        # parses, and the value is then invalid -- not a syntax error
        self.err("ep", '{"properties": ["%s"], "endpoints": ["ipv4:192.0.2.1\\u0000x"]}' % PROP,
                 E_VALUE, "endpoints")
        self.err("ep", '{"properties": ["a\\u0000.pid"], "endpoints": ["ipv4:192.0.2.1"]}',
                 E_VALUE, "properties")

    def test_non_string_property(self):
        self.err("ep", {"properties": [5], "endpoints": ["ipv4:192.0.2.1"]}, E_VALUE, "properties", "5")

    def test_bad_endpoint(self):
        for bad in ["192.0.2.1", "ipv4:300.1.1.1", "ipv4:1.2.3", "ipv4:2001:db8::1", "ipv6:192.0.2.1",
                    "ipv6:zz::1", "ipv4:", "ipv4: 192.0.2.1", "ipv4:192.0.2.1/32", "ipv5:1.2.3.4", ""]:
            self.err("ep", {"properties": [PROP], "endpoints": ["ipv4:192.0.2.1", bad]},
                     E_VALUE, "endpoints", bad)

    def test_non_string_endpoint(self):
        self.err("ep", {"properties": [PROP], "endpoints": [True]}, E_VALUE, "endpoints", "true")
        self.err("ep", {"properties": [PROP], "endpoints": [{"a": 1}]}, E_VALUE, "endpoints", '{"a":1}')

    def test_unknown_fields_are_ignored(self):
        doc = self.ok("ep", {"properties": [PROP], "endpoints": ["ipv4:192.0.2.1"], "srcs": 5})
        self.assertEqual(doc["endpoint-properties"], {"ipv4:192.0.2.1": {PROP: "PID1"}})


class TestEndpointCost(ErrorServer):
    def test_missing_endpoints(self):
        self.err("ec", {"cost-type": RC_NUM}, E_MISSING, "endpoints")

    def test_endpoints_not_an_object(self):
        for bad in [[], ["ipv4:1.2.3.4"], "ipv4:1.2.3.4"]:
            self.err("ec", {"cost-type": RC_NUM, "endpoints": bad}, E_TYPE, "endpoints")

    def test_both_empty(self):
        # §11.5.1.3: srcs and dsts MUST NOT both be empty
        for eps in [{}, {"srcs": []}, {"dsts": []}, {"srcs": [], "dsts": []}]:
            self.err("ec", {"cost-type": RC_NUM, "endpoints": eps}, E_VALUE, "endpoints")

    def test_srcs_dsts_not_arrays(self):
        self.err("ec", {"cost-type": RC_NUM, "endpoints": {"srcs": "ipv4:1.2.3.4", "dsts": ["ipv4:1.2.3.4"]}},
                 E_TYPE, "endpoints/srcs")
        self.err("ec", {"cost-type": RC_NUM, "endpoints": {"srcs": ["ipv4:1.2.3.4"], "dsts": {}}},
                 E_TYPE, "endpoints/dsts")

    def test_bad_endpoints(self):
        for bad in ["bad", "ipv4:1.2.3", "ipv6:1.2.3.4", "ipv4:256.0.0.0", "1.2.3.4"]:
            self.err("ec", {"cost-type": RC_NUM, "endpoints": {"srcs": [bad], "dsts": ["ipv4:1.2.3.4"]}},
                     E_VALUE, "endpoints/srcs", bad)
            self.err("ec", {"cost-type": RC_NUM, "endpoints": {"srcs": ["ipv4:1.2.3.4"], "dsts": [bad]}},
                     E_VALUE, "endpoints/dsts", bad)

    def test_non_string_endpoints(self):
        self.err("ec", {"cost-type": RC_NUM, "endpoints": {"srcs": [1], "dsts": ["ipv4:1.2.3.4"]}},
                 E_VALUE, "endpoints/srcs", "1")
        self.err("ec", {"cost-type": RC_NUM, "endpoints": {"srcs": ["ipv4:1.2.3.4"], "dsts": [None]}},
                 E_VALUE, "endpoints/dsts", "null")


class TestLimits(at.AltodTestCase):
    """limits.max-endpoints / max-endpoint-pairs (RFC 7285 §15.5 resource
    consumption): a request over them is refused with an ALTO error."""

    def test_endpoint_limits(self):
        a = at.start_altod(self, limits={"max-endpoints": 4, "max-endpoint-pairs": 3})
        ird = a.ird()
        ep = ird.endpointprop_uri()
        ec = ird.endpointcost_uri(NM)
        four = ["ipv4:10.0.0.%d" % i for i in range(1, 5)]
        five = four + ["ipv4:10.0.0.9"]
        r = a.post(ep, {"properties": [PROP], "endpoints": four}, MT_ENDPOINTPROPPARAMS)
        self.assertOk(r, MT_ENDPOINTPROP)
        r = a.post(ep, {"properties": [PROP], "endpoints": five}, MT_ENDPOINTPROPPARAMS)
        self.assertAltoError(r, E_VALUE, "endpoints")
        # 1 x 3 pairs: fine; 2 x 2 = 4 pairs: over max-endpoint-pairs
        r = a.post(ec, {"cost-type": RC_NUM, "endpoints": {"srcs": four[:1], "dsts": four[1:]}},
                   MT_ENDPOINTCOSTPARAMS)
        self.assertOk(r, MT_ENDPOINTCOST)
        r = a.post(ec, {"cost-type": RC_NUM, "endpoints": {"srcs": four[:2], "dsts": four[2:]}},
                   MT_ENDPOINTCOSTPARAMS)
        self.assertAltoError(r, E_VALUE, "endpoints")


if __name__ == "__main__":
    unittest.main()

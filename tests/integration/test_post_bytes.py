"""The POST services answer byte for byte as main's 51020c8 did.

The answers of the endpoint cost, filtered cost map and endpoint property
services are built from text prepared once per snapshot (the decimal
text of every cost, the escaped PID names, each PID's endpoint property
fragment). This runs a fixed set of requests (1x1, 10x100, several cost
types, constraints, ordinal mode, IPv6, addresses in no PID, repeated
endpoints, RFC 9240 properties, two views of one map, errors) against
altod and compares status, media type and every byte of each answer with
tests/integration/golden/post_bytes.json, which 51020c8's altod wrote
(`ALTOD_BIN=OLD/altod python3 test_post_bytes.py --write-golden`).
"""

import json
import os
import sys
import unittest

import altodtest as at
from altodtest import (MT_COSTMAPFILTER, MT_ENDPOINTCOSTPARAMS, MT_ENDPOINTPROPPARAMS)

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden", "post_bytes.json")


def _costs(pids, f):
    return "\n".join("      %s: {%s}" % (s, ", ".join("%s: %s" % (d, f(i, j)) for j, d in enumerate(pids)
                                                     if f(i, j) is not None))
                     for i, s in enumerate(pids))


CORE = ["PID1", "PID2", "PID3", "PID4", "PID5", "rest"]
# decimals, tiny and huge values, integers beyond 2^53: every branch of the
# number formatting
ROUTING = [[1, 5.5, 10.25, 0.1, 123456789.125, 7],
           [5, 1, 15, 1e-7, 3.14159265358979, 0.3],
           [20, 15, None, 2e15, 0.0001, 1e9],
           [0.5, 2.5, 99999.999999, 0, 12.5, 1e-5],
           [8, 8, 1.5, 8, 0, 6.02e23],
           [3, 4, 4, 9007199254740993, 0.1, None]]
HOPS = [[0, 2, 3, 1, 5, 6],
        [2, 0, 4, 1, None, None],
        [3, 4, 0, None, 2, 2],
        [1, 1, None, 0, None, 3],
        [5, None, 2, None, 0, None],
        [6, None, 2, 3, None, 0]]

MAPS = """network-maps:
  core:
    default: true
    pids:
      PID1: {ipv4: [10.0.0.0/8], ipv6: ["2001:db8:1::/48"]}
      PID2: {ipv4: [10.1.0.0/16, 192.168.0.0/16]}
      PID3: {ipv4: [172.16.0.0/12], ipv6: ["2001:db8::/32"]}
      PID4: {ipv4: [10.1.2.0/24, 172.16.5.0/24]}
      PID5: {ipv4: [203.0.113.0/24], ipv6: ["2001:db8:5::/48"]}
      rest: {ipv4: [0.0.0.0/0], ipv6: ["::/0"]}
  alt:
    pids:
      A1: {ipv4: [100.64.0.0/10]}
      A2: {ipv4: [100.64.1.0/24], ipv6: ["fd00::/8"]}
      AANY: {ipv4: [0.0.0.0/0], ipv6: ["::/0"]}
  edge:
    pids:
      E1: {ipv4: [192.0.2.0/24]}
      E2: {ipv4: [198.51.100.0/24], ipv6: ["2001:db8:e::/48"]}
      E3: {ipv4: [203.0.113.0/25]}
cost-maps:
  core:
    routingcost:
%s
    hopcount:
%s
  alt:
    routingcost:
      A1: {A1: 1, A2: 4, AANY: 9}
      A2: {A1: 4, A2: 1, AANY: 6.5}
      AANY: {A1: 9, A2: 6.5}
  edge:
    routingcost:
      E1: {E1: 1, E2: 2.5, E3: 0.75}
      E2: {E1: 3, E2: 1}
      E3: {E2: 2.5, E3: 4}
    tput:
      E1: {E1: 1000, E2: 10, E3: 250.5}
      E2: {E1: 10, E2: 1000}
      E3: {E1: 250.5, E3: 40}
property-maps:
  core:
    "ipv4:10.0.0.0/8": {asn: "64496", countrycode: "US"}
    "ipv4:10.1.0.0/16": {countrycode: "CA"}
    "ipv4:172.16.5.0/24": {asn: "64497", "priv:x": "a\\"b\\\\c\\u0001"}
    "ipv6:2001:db8::/32": {asn: "64498", countrycode: "DE"}
    "core.pid:PID1": {"priv:access": "fiber"}
""" % (_costs(CORE, lambda i, j: ROUTING[i][j]), _costs(CORE, lambda i, j: HOPS[i][j]))

CONF = """server:
  listen:
    - address: 127.0.0.1
      port: 0
limits:
  max-endpoints: 10000
  max-endpoint-pairs: 1000000
maps:
  - maps/m.yaml
access:
  secret: golden-secret-0123456789abcdef
  anonymous-role: anon
  roles:
    anon: [edge, edge-num-routingcost, edge-ord-routingcost, edge-num-tput, edge-ord-tput, edge-endpoint-cost, edge-filtered-costmap,
           core, core-num-routingcost, core-ord-routingcost, core-num-hopcount, core-ord-hopcount,
           core-filtered-costmap, core-endpoint-cost, endpoint-property, alt, alt-num-routingcost,
           alt-ord-routingcost, alt-endpoint-cost, alt-filtered-costmap, view-o, view-p]
  views:
    view-o:
      network-map: core
      pids: [PID1, PID4, PID5]
      catch-all: other
      opaque-pids: true
      costs: {routingcost: [numerical, ordinal], hopcount: [numerical]}
      properties: [asn]
    view-p:
      network-map: core
      pids: [PID2, PID3]
      costs: {routingcost: [ordinal]}
"""

NUM_RC = {"cost-mode": "numerical", "cost-metric": "routingcost"}
ORD_RC = {"cost-mode": "ordinal", "cost-metric": "routingcost"}
NUM_HC = {"cost-mode": "numerical", "cost-metric": "hopcount"}

# one address in every PID of core (and of the other maps), both families
V4 = ["ipv4:10.0.0.1", "ipv4:10.1.0.1", "ipv4:172.16.0.1", "ipv4:10.1.2.3", "ipv4:203.0.113.7",
      "ipv4:8.8.8.8", "ipv4:172.16.5.9", "ipv4:192.168.1.1", "ipv4:100.64.1.1", "ipv4:100.65.0.1",
      "ipv4:192.0.2.1", "ipv4:198.51.100.2", "ipv4:203.0.113.200"]
V6 = ["ipv6:2001:db8:1::1", "ipv6:2001:db8::2", "ipv6:2001:DB8:5::0:1", "ipv6:::1", "ipv6:fd00::9",
      "ipv6:2001:db8:e::1", "ipv6:::ffff:10.0.0.1"]
ALL = V4 + V6


def ec(srcs, dsts, **kw):
    body = {"endpoints": {}}
    if srcs is not None:
        body["endpoints"]["srcs"] = srcs
    if dsts is not None:
        body["endpoints"]["dsts"] = dsts
    return with_cost_types(body, kw)


def fcm(srcs, dsts, **kw):
    return with_cost_types({"pids": {"srcs": srcs, "dsts": dsts}}, kw)


def with_cost_types(body, kw):
    """body with "cost-type" (kw ct, default NUM_RC) or "multi-cost-types"
    (kw multi), then the other members of kw."""
    if "multi" not in kw:
        body["cost-type"] = kw.pop("ct", NUM_RC)
    else:
        body["multi-cost-types"] = kw.pop("multi")
    body.update(kw)
    return body


def requests():
    """(label, path, content type, body bytes)."""
    out = []

    def add(label, path, ctype, body):
        out.append((label, path, ctype, body if isinstance(body, bytes) else json.dumps(body).encode()))

    for m in ("core", "alt", "edge"):
        p = "/endpointcost/" + m
        add(m + " ec 1x1", p, MT_ENDPOINTCOSTPARAMS, ec([V4[0]], [V4[1]]))
        add(m + " ec all x all", p, MT_ENDPOINTCOSTPARAMS, ec(ALL, ALL))
        add(m + " ec all x all ordinal", p, MT_ENDPOINTCOSTPARAMS, ec(ALL, ALL, ct=ORD_RC))
        add(m + " ec repeated", p, MT_ENDPOINTCOSTPARAMS, ec(V4[:3] + V4[:3] + V6[:2], V6 + V6[:3] + [V4[1]]))
        add(m + " ec constraints", p, MT_ENDPOINTCOSTPARAMS,
            ec(ALL, ALL, constraints=["ge 0.5", "lt 20"]))
        add(m + " ec ordinal constraints", p, MT_ENDPOINTCOSTPARAMS,
            ec(ALL, ALL, ct=ORD_RC, constraints=["le 5"]))
        add(m + " ec own address as dst", p, MT_ENDPOINTCOSTPARAMS, ec(ALL, []))
        add(m + " ec own address as src", p, MT_ENDPOINTCOSTPARAMS, ec(None, ALL))
        add(m + " ec empty interval", p, MT_ENDPOINTCOSTPARAMS, ec(ALL, ALL, constraints=["gt 3", "lt 3"]))
        p = "/costmap/%s/filtered" % m
        pids = {"core": CORE, "alt": ["A1", "A2", "AANY"], "edge": ["E1", "E2", "E3"]}[m]
        add(m + " fcm all", p, MT_COSTMAPFILTER, fcm([], []))
        add(m + " fcm some", p, MT_COSTMAPFILTER, fcm(pids[::-1] + ["nope"], pids[1:] + pids[:1]))
        add(m + " fcm ordinal some", p, MT_COSTMAPFILTER, fcm(pids[1:], pids[:-1], ct=ORD_RC))
        add(m + " fcm ordinal all", p, MT_COSTMAPFILTER, fcm([], [], ct=ORD_RC))
        add(m + " fcm constraints", p, MT_COSTMAPFILTER, fcm([], pids[:2], constraints=["ge 1", "le 10"]))
        add(m + " fcm no pids", p, MT_COSTMAPFILTER, {"cost-type": NUM_RC})
    p = "/endpointcost/core"
    add("core ec multi", p, MT_ENDPOINTCOSTPARAMS, ec(ALL, ALL, multi=[NUM_RC, NUM_HC, ORD_RC]))
    add("core ec multi or-constraints", p, MT_ENDPOINTCOSTPARAMS,
        ec(ALL, ALL, multi=[NUM_RC, ORD_RC], **{"testable-cost-types": [NUM_HC, NUM_RC],
                                               "or-constraints": [["[0] le 2", "[1] ge 1"], ["[1] lt 1"]]}))
    add("core ec testable only", p, MT_ENDPOINTCOSTPARAMS,
        ec(ALL[:5], ALL, **{"testable-cost-types": [NUM_HC], "constraints": ["[0] ge 3"]}))
    add("core ec unknown metric", p, MT_ENDPOINTCOSTPARAMS,
        ec(ALL, ALL, ct={"cost-mode": "numerical", "cost-metric": "latency"}))
    add("core ec bad address", p, MT_ENDPOINTCOSTPARAMS, ec(["ipv4:10.0.0.300"], ALL))
    add("core ec syntax", p, MT_ENDPOINTCOSTPARAMS, b'{"cost-type": ')
    p = "/costmap/core/filtered"
    add("core fcm multi", p, MT_COSTMAPFILTER, fcm([], [], multi=[ORD_RC, NUM_HC, NUM_RC]))
    add("core fcm multi some", p, MT_COSTMAPFILTER,
        fcm(["PID3", "PID1"], ["PID5", "rest", "PID2"], multi=[NUM_HC, ORD_RC],
            **{"or-constraints": [["[0] ge 2"], ["[1] le 2"]]}))
    # RFC 8189 with ordinal types ranked among the pairs asked (repeated
    # endpoints, addresses in no PID, nulls), ordinal types tested, a
    # filter that is not the whole map, a map with one metric
    ORD_HC = {"cost-mode": "ordinal", "cost-metric": "hopcount"}
    p = "/endpointcost/core"
    add("core ec multi repeated ordinal", p, MT_ENDPOINTCOSTPARAMS,
        ec(V4[:3] + V4[:3] + V6[:2] + ["ipv4:0.0.0.1"], V6 + V6[:3] + [V4[1]], multi=[ORD_HC, NUM_RC, ORD_RC]))
    add("core ec multi ordinal or-constraints", p, MT_ENDPOINTCOSTPARAMS,
        ec(ALL, ALL, multi=[ORD_RC, NUM_HC], **{"testable-cost-types": [ORD_HC, ORD_RC, NUM_RC],
                                               "or-constraints": [["[0] le 2", "[1] ge 3"],
                                                                  ["[1] eq 1", "[2] lt 100"]]}))
    add("core ec multi constraints", p, MT_ENDPOINTCOSTPARAMS,
        ec(ALL, ALL[:6], multi=[NUM_HC, ORD_HC], **{"testable-cost-types": [ORD_RC, NUM_HC],
                                                    "constraints": ["[0] ge 2", "[1] le 4"]}))
    add("core ec multi one type", p, MT_ENDPOINTCOSTPARAMS, ec(ALL, ALL, multi=[ORD_HC]))
    add("core ec multi testable ordinal", p, MT_ENDPOINTCOSTPARAMS,
        ec(ALL, ALL, ct=ORD_RC, **{"testable-cost-types": [ORD_HC], "constraints": ["[0] le 2"]}))
    add("alt ec multi", "/endpointcost/alt", MT_ENDPOINTCOSTPARAMS,
        ec(ALL, ALL, multi=[ORD_RC, NUM_RC]))
    add("edge ec multi", "/endpointcost/edge", MT_ENDPOINTCOSTPARAMS,
        ec(ALL, ALL[:12], multi=[NUM_RC, ORD_RC], **{"testable-cost-types": [ORD_RC],
                                                    "constraints": ["[0] ge 2"]}))
    # tput: higher is better (RFC 9439 §4.6), rank 1 the highest
    num_tp, ord_tp = {"cost-mode": "numerical", "cost-metric": "tput"}, {"cost-mode": "ordinal", "cost-metric": "tput"}
    add("edge ec multi tput", "/endpointcost/edge", MT_ENDPOINTCOSTPARAMS,
        ec(ALL, ALL, multi=[ord_tp, num_tp, ORD_RC]))
    add("edge ec multi tput some", "/endpointcost/edge", MT_ENDPOINTCOSTPARAMS,
        ec(V4[10:], ["ipv4:203.0.113.200", "ipv4:192.0.2.1"], multi=[ord_tp, NUM_RC],
           **{"testable-cost-types": [ord_tp], "constraints": ["[0] le 2"]}))
    add("edge fcm multi tput some", "/costmap/edge/filtered", MT_COSTMAPFILTER,
        fcm(["E3", "E2"], ["E1", "E3"], multi=[ord_tp, ORD_RC, num_tp]))
    add("view-o ec multi or-constraints", "/endpointcost/view-o", MT_ENDPOINTCOSTPARAMS,
        ec(ALL, ALL, multi=[ORD_RC, NUM_HC], **{"testable-cost-types": [ORD_RC, NUM_RC],
                                               "or-constraints": [["[0] le 2"], ["[1] gt 5"]]}))
    p = "/costmap/core/filtered"
    add("core fcm multi srcs only", p, MT_COSTMAPFILTER,
        fcm(["PID2", "rest", "PID1"], [], multi=[ORD_RC, NUM_RC, ORD_HC]))
    add("core fcm multi all constraints", p, MT_COSTMAPFILTER,
        fcm([], [], multi=[NUM_RC, ORD_HC], **{"testable-cost-types": [ORD_RC, NUM_HC],
                                              "or-constraints": [["[0] le 3"], ["[1] ge 5"]]}))
    for v in ("view-o", "view-p"):
        cts = [NUM_RC, ORD_RC, NUM_HC] if v == "view-o" else [ORD_RC]
        for ct in cts:
            tag = "%s %s" % (v, "%s-%s" % (ct["cost-mode"][:3], ct["cost-metric"]))
            add(tag + " ec", "/endpointcost/" + v, MT_ENDPOINTCOSTPARAMS, ec(ALL, ALL, ct=ct))
            add(tag + " ec 1x1", "/endpointcost/" + v, MT_ENDPOINTCOSTPARAMS, ec([V4[3]], [V6[0]], ct=ct))
            add(tag + " fcm", "/costmap/%s/filtered" % v, MT_COSTMAPFILTER, fcm([], [], ct=ct))
            add(tag + " fcm constraints", "/costmap/%s/filtered" % v, MT_COSTMAPFILTER,
                fcm([], [], ct=ct, constraints=["ge 1", "lt 9"]))
        add(v + " ec multi", "/endpointcost/" + v, MT_ENDPOINTCOSTPARAMS, ec(ALL, ALL, multi=cts))
    props = ["core.pid", "alt.pid", "edge.pid", "view-o.pid", "view-p.pid", "asn", "countrycode", "priv:x"]
    add("ep every property", "/endpointprop", MT_ENDPOINTPROPPARAMS, {"properties": props, "endpoints": ALL})
    add("ep repeated", "/endpointprop", MT_ENDPOINTPROPPARAMS,
        {"properties": ["core.pid", "asn", "core.pid"], "endpoints": V6 + V4 + V6 + ["ipv4:10.0.0.1"]})
    add("ep one", "/endpointprop", MT_ENDPOINTPROPPARAMS, {"properties": ["edge.pid"], "endpoints": [V4[0]]})
    add("ep views", "/endpointprop", MT_ENDPOINTPROPPARAMS,
        {"properties": ["view-p.pid", "view-o.pid"], "endpoints": ALL})
    add("ep unknown property", "/endpointprop", MT_ENDPOINTPROPPARAMS,
        {"properties": ["core.pid", "nope.pid"], "endpoints": ALL})
    return out


def write_tree(directory):
    at.write_files(directory, {"maps/m.yaml": MAPS, "altod.yaml": CONF})


def answers(a):
    got = {}
    for label, path, ctype, body in requests():
        r = a.post(path, body, ctype)
        got[label] = {"status": r.status, "type": r.content_type, "body": r.body.decode("utf-8")}
    return got


class PostBytes(at.AltodTestCase):
    def test_same_bytes_as_51020c8(self):
        with open(GOLDEN, encoding="utf-8") as f:
            want = json.load(f)
        d = at.make_tree(self, {})
        write_tree(d)
        a = at.start_altod_in(self, d)
        got = answers(a)
        self.assertEqual(sorted(got), sorted(want))
        for label in want:
            with self.subTest(label=label):
                self.assertEqual(got[label], want[label])
        # 85 answers and the 4 errors of requests(); every answer has costs or properties but
        # the two whose constraints or addresses leave none
        self.assertEqual(sorted(v["status"] for v in got.values()).count(200), 85)
        empty = [k for k, v in got.items() if v["status"] == 200 and v["body"].endswith(':{}}')]
        self.assertEqual(sorted(empty), ["alt ec 1x1", "alt ec empty interval", "core ec empty interval",
                                         "edge ec 1x1", "edge ec empty interval", "edge ec own address as dst",
                                         "edge ec own address as src", "edge ec repeated",
                                         "view-p ord-routingcost ec 1x1"])

    def test_same_bytes_after_reload(self):
        """Text prepared per snapshot is the new snapshot's after a reload."""
        with open(GOLDEN, encoding="utf-8") as f:
            want = json.load(f)
        d = at.make_tree(self, {})
        at.write_files(d, {"maps/m.yaml": MAPS.replace("PID1: {PID1: 1, PID2: 5.5", "PID1: {PID1: 1, PID2: 6.5"),
                           "altod.yaml": CONF})
        a = at.start_altod_in(self, d)
        changed = answers(a)
        self.assertNotEqual(changed["core ec all x all"], want["core ec all x all"])
        self.assertIn('"ipv4:10.1.0.1":6.5', changed["core ec all x all"]["body"])
        write_tree(d)
        a.reload()
        got = answers(a)
        for label in want:
            with self.subTest(label=label):
                self.assertEqual(got[label], want[label])


if __name__ == "__main__":
    if "--write-golden" in sys.argv:
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            write_tree(d)
            alt = at.Altod(d).start()
            try:
                res = answers(alt)
            finally:
                alt.stop()
        os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
        with open(GOLDEN, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1, sort_keys=True)
            f.write("\n")
        print("wrote %d answers to %s" % (len(res), GOLDEN))
    else:
        unittest.main()

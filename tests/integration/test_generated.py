"""A large generated topology (tests/gen/gen_topology.py: 1000 PIDs, 50000
prefixes), checked against an independent computation in Python: the maps
as generated, longest-prefix match by trying every prefix length, dense
ranks, the filters and constraints of RFC 7285 §11.3 and §11.5."""

import ipaddress
import os
import random
import sys
import unittest

import altodtest as at
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_ENDPOINTCOST, MT_ENDPOINTCOSTPARAMS,
                       MT_ENDPOINTPROP, MT_ENDPOINTPROPPARAMS, MT_NETWORKMAP, MT_NETWORKMAPFILTER,
                       cost_type, drop_empty)

sys.path.insert(0, os.path.join(at.SRC, "tests", "gen"))
import gen_topology  # noqa: E402

MODEL_SEED = 20240607
QUERY_SEED = 4242
NPIDS = 1000
NPREFIXES = 50000
METRICS = ("routingcost", "hopcount")
MODES = ("numerical", "ordinal")
OPS = {
    "gt": lambda v, t: v > t, "lt": lambda v, t: v < t, "ge": lambda v, t: v >= t,
    "le": lambda v, t: v <= t, "eq": lambda v, t: v == t,
}


# ---- the independent model ----

class Model:
    def __init__(self, topo):
        self.topo = topo
        self.nm = topo.netmap_id
        self.pid_names = sorted(topo.pids)
        # (family, network int, length) -> PID
        self.owner = {}
        self.prefixes = {4: [], 6: []}
        for pid, g in topo.pids.items():
            for fam, key in ((4, "ipv4"), (6, "ipv6")):
                for p in g[key]:
                    n = ipaddress.ip_network(p)
                    k = (fam, int(n.network_address), n.prefixlen)
                    assert k not in self.owner, "generator made a duplicate prefix"
                    self.owner[k] = pid
                    self.prefixes[fam].append(n)
        self.costs = topo.costs

    def lookup(self, addr):
        """Longest-prefix match: try every length from the longest down."""
        a = ipaddress.ip_address(addr)
        fam, bits = (4, 32) if a.version == 4 else (6, 128)
        x = int(a)
        for plen in range(bits, -1, -1):
            mask = ((1 << plen) - 1) << (bits - plen) if plen else 0
            pid = self.owner.get((fam, x & mask, plen))
            if pid is not None:
                return pid
        return None

    def cost(self, metric, src, dst):
        return self.costs[metric].get(src, {}).get(dst)

    @staticmethod
    def dense_ranks(values):
        """value -> dense rank, 1 = lowest (routingcost, hopcount)."""
        order = sorted(set(values))
        return {v: i + 1 for i, v in enumerate(order)}

    def full_costmap(self, metric, mode):
        rows = self.costs[metric]
        if mode == "numerical":
            return {s: dict(r) for s, r in rows.items() if r}
        ranks = self.dense_ranks([v for r in rows.values() for v in r.values()])
        return {s: {d: ranks[v] for d, v in r.items()} for s, r in rows.items() if r}

    def filtered_costmap(self, metric, mode, srcs, dsts, constraints):
        defined = set(self.topo.pids)
        S = sorted(defined) if srcs is None or srcs == [] else sorted({s for s in srcs if s in defined})
        D = None if dsts is None or dsts == [] else {d for d in dsts if d in defined}
        sel = []
        for s in S:
            for d, v in self.costs[metric].get(s, {}).items():
                if D is None or d in D:
                    sel.append((s, d, v))
        return self._finish(sel, mode, constraints)

    def endpoint_cost(self, metric, mode, srcs, dsts, constraints):
        sel = []
        for s in dict.fromkeys(srcs):
            ps = self.lookup(s.split(":", 1)[1])
            for d in dict.fromkeys(dsts):
                pd = self.lookup(d.split(":", 1)[1])
                v = None if ps is None or pd is None else self.cost(metric, ps, pd)
                if v is not None:
                    sel.append((s, d, v))
        return self._finish(sel, mode, constraints)

    def _finish(self, sel, mode, constraints):
        if mode == "ordinal":
            ranks = self.dense_ranks([v for _, _, v in sel])
            sel = [(s, d, ranks[v]) for s, d, v in sel]
        out = {}
        for s, d, v in sel:
            if all(OPS[op](v, t) for op, t in constraints):
                out.setdefault(s, {})[d] = v
        return out


def random_address_in(rng, net):
    bits = net.max_prefixlen - net.prefixlen
    host = rng.getrandbits(bits) if bits else 0
    return net.network_address + host


def endpoint_text(addr):
    return ("ipv4:" if addr.version == 4 else "ipv6:") + str(addr)


class TestGenerated(at.AltodTestCase):
    @classmethod
    def setUpClass(cls):
        cls._holder = unittest.TestCase()
        cls.topo = gen_topology.generate(MODEL_SEED, NPIDS, NPREFIXES)
        cls.model = Model(cls.topo)
        d = at.make_tree(cls._holder, {})
        gen_topology.write_yaml(cls.topo, os.path.join(d, "gen.yaml"))
        at.write_files(d, {"altod.yaml": at.config_text(["gen.yaml"], limits={"max-request-body": 8388608})})
        a = at.Altod(d)
        cls._holder.addCleanup(a.stop)
        try:
            a.start()
        except Exception:
            cls._holder.doCleanups()
            raise
        cls.altod = a
        cls.ird = a.ird()
        cls.nm = cls.topo.netmap_id

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def setUp(self):
        self.rng = random.Random("%s/%s" % (QUERY_SEED, self.id()))

    def vtag(self):
        return self.assertOk(self.altod.get(self.ird.networkmap_uri(self.nm)), MT_NETWORKMAP)["meta"]["vtag"]

    # -- the model itself must be what was asked for --

    def test_generator_shape(self):
        self.assertEqual(len(self.topo.pids), NPIDS)
        self.assertEqual(self.topo.prefix_count(), NPREFIXES)
        self.assertEqual(len(self.model.owner), NPREFIXES)  # no duplicate
        self.assertEqual(self.topo.pids[gen_topology.CATCH_ALL], {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]})
        lens = {n.prefixlen for n in self.model.prefixes[4]}
        self.assertEqual(min(lens - {0}), 8)
        self.assertEqual(max(lens), 32)
        self.assertGreater(len(self.model.prefixes[6]), 100)
        # nesting: many prefixes lie inside another prefix of a different PID
        nested = 0
        for n in self.model.prefixes[4][:3000]:
            for plen in range(n.prefixlen - 1, 0, -1):
                sup = n.supernet(new_prefix=plen)
                if (4, int(sup.network_address), plen) in self.model.owner:
                    nested += 1
                    break
        self.assertGreater(nested, 500)
        # ties in the routing costs
        vals = [v for r in self.topo.costs["routingcost"].values() for v in r.values()]
        self.assertLess(len(set(vals)), len(vals) / 10)
        # the same seed gives the same model
        again = gen_topology.generate(MODEL_SEED, NPIDS, NPREFIXES)
        self.assertEqual(again.pids, self.topo.pids)
        self.assertEqual(again.costs, self.topo.costs)

    def test_generator_command_line(self):
        import subprocess
        d = at.make_tree(self, {})
        out = os.path.join(d, "small.yaml")
        p = subprocess.run([sys.executable, "-B", os.path.join(at.SRC, "tests", "gen", "gen_topology.py"),
                            "--seed", "3", "--pids", "50", "--prefixes", "500", "-o", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        ref = os.path.join(d, "ref.yaml")
        gen_topology.write_yaml(gen_topology.generate(3, 50, 500), ref)
        with open(out, "rb") as f1, open(ref, "rb") as f2:
            self.assertEqual(f1.read(), f2.read())
        # and altod accepts it
        at.write_files(d, {"altod.yaml": at.config_text(["small.yaml"])})
        self.assertEqual(at.check_config(os.path.join(d, "altod.yaml")), (0, "ok\n"))

    # -- full maps --

    def test_full_network_map(self):
        r = self.altod.get(self.ird.networkmap_uri(self.nm))
        doc = self.assertOk(r, MT_NETWORKMAP)
        self.assertEqual(doc["meta"]["vtag"]["resource-id"], self.nm)
        got = doc["network-map"]
        self.assertEqual(set(got), set(self.topo.pids))
        for pid, g in self.topo.pids.items():
            gg = got[pid]
            self.assertLessEqual(set(gg), {"ipv4", "ipv6"}, pid)
            for fam in ("ipv4", "ipv6"):
                listed = gg.get(fam, [])
                nets = [ipaddress.ip_network(p, strict=True) for p in listed]
                self.assertEqual(len(nets), len(set(nets)), pid)
                self.assertEqual(set(nets), {ipaddress.ip_network(p) for p in g[fam]}, (pid, fam))
                for n in nets:
                    self.assertEqual(n.version, 4 if fam == "ipv4" else 6)

    def test_full_cost_maps(self):
        vtag = self.vtag()
        for metric in METRICS:
            for mode in MODES:
                with self.subTest(metric=metric, mode=mode):
                    doc = self.assertOk(self.altod.get(self.ird.costmap_uri(self.nm, metric, mode)), MT_COSTMAP)
                    self.assertEqual(doc["meta"], {"dependent-vtags": [vtag], "cost-type": cost_type(metric, mode)})
                    self.assertEqual(drop_empty(doc["cost-map"]), self.model.full_costmap(metric, mode))

    # -- endpoint property: longest-prefix match --

    def random_endpoints(self, n):
        rng = self.rng
        v4, v6 = self.model.prefixes[4], self.model.prefixes[6]
        out = []
        while len(out) < n:
            r = rng.random()
            if r < 0.35:
                a = random_address_in(rng, rng.choice(v4))
            elif r < 0.45:
                net = rng.choice(v4)
                a = rng.choice([net.network_address, net.broadcast_address])
                if rng.random() < 0.5 and int(a) < 2 ** 32 - 1:
                    a = a + 1  # just past the end, or the second address
            elif r < 0.6:
                a = ipaddress.IPv4Address(rng.getrandbits(32))
            elif r < 0.85:
                a = random_address_in(rng, rng.choice(v6))
            elif r < 0.9:
                net = rng.choice(v6)
                a = rng.choice([net.network_address, net.broadcast_address])
            else:
                a = ipaddress.IPv6Address(rng.getrandbits(128))
            out.append(endpoint_text(a))
        return out

    def test_endpoint_property_lookups(self):
        uri = self.ird.endpointprop_uri()
        prop = self.nm + ".pid"
        vtag = self.vtag()
        checked = 0
        for batch in range(4):
            eps = self.random_endpoints(100)
            # an endpoint repeated, and an IPv6 one in upper case: keyed as sent
            eps.append(eps[0])
            v6 = [e for e in eps if e.startswith("ipv6:")]
            if v6:
                eps.append("ipv6:" + v6[0][5:].upper())
            r = self.altod.post(uri, {"properties": [prop], "endpoints": eps}, MT_ENDPOINTPROPPARAMS)
            doc = self.assertOk(r, MT_ENDPOINTPROP)
            self.assertEqual(doc["meta"], {"dependent-vtags": [vtag]})
            expected = {e: {prop: self.model.lookup(e.split(":", 1)[1])} for e in eps}
            self.assertEqual(doc["endpoint-properties"], expected)
            checked += len(expected)
        self.assertGreater(checked, 390)

    def test_endpoint_property_single_lookups(self):
        uri = self.ird.endpointprop_uri()
        prop = self.nm + ".pid"
        for e in self.random_endpoints(40):
            r = self.altod.post(uri, {"properties": [prop], "endpoints": [e]}, MT_ENDPOINTPROPPARAMS)
            doc = self.assertOk(r, MT_ENDPOINTPROP)
            self.assertEqual(doc["endpoint-properties"], {e: {prop: self.model.lookup(e.split(":", 1)[1])}}, e)

    # -- endpoint cost --

    def random_constraints(self, values):
        rng = self.rng
        out = []
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            op = rng.choice(list(OPS))
            t = rng.choice(values) if values and rng.random() < 0.8 else rng.randint(0, 300)
            out.append((op, t))
        return out

    @staticmethod
    def cons_text(cons):
        return ["%s %s" % (op, repr(t) if isinstance(t, float) else t) for op, t in cons]

    def test_endpoint_cost(self):
        uri = self.ird.endpointcost_uri(self.nm)
        nonempty = 0
        for i in range(24):
            metric = self.rng.choice(METRICS)
            mode = self.rng.choice(MODES)
            # addresses of the dense routingcost PIDs, so many pairs have costs
            rows = self.topo.costs[metric]
            dense = sorted(p for p, r in rows.items() if len(r) > 20) or sorted(rows)
            dense_set = set(dense)

            def pick():
                # mostly addresses whose PID (by longest match) has many costs
                if self.rng.random() < 0.75:
                    for _ in range(50):
                        g = self.topo.pids[self.rng.choice(dense)]
                        net = ipaddress.ip_network(self.rng.choice(g["ipv4"] + g["ipv6"]))
                        a = random_address_in(self.rng, net)
                        if self.model.lookup(str(a)) in dense_set:
                            return endpoint_text(a)
                return self.random_endpoints(1)[0]
            srcs = [pick() for _ in range(self.rng.randint(1, 12))]
            dsts = [pick() for _ in range(self.rng.randint(1, 20))]
            values = [v for r in self.topo.costs[metric].values() for v in r.values()]
            cons = self.random_constraints(values if mode == "numerical" else list(range(1, 30)))
            body = {"cost-type": cost_type(metric, mode), "endpoints": {"srcs": srcs, "dsts": dsts}}
            if cons:
                body["constraints"] = self.cons_text(cons)
            with self.subTest(i=i, body=body):
                doc = self.assertOk(self.altod.post(uri, body, MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)
                self.assertEqual(doc["meta"], {"cost-type": cost_type(metric, mode)})
                expected = self.model.endpoint_cost(metric, mode, srcs, dsts, cons)
                self.assertEqual(drop_empty(doc["endpoint-cost-map"]), expected)
                nonempty += bool(expected)
        self.assertGreater(nonempty, 10)

    # -- filtered maps --

    def random_pid_list(self, pool, maxn):
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            return []
        lst = rng.sample(pool, rng.randint(1, maxn))
        if rng.random() < 0.3:
            lst.append("no-such-pid-%d" % rng.randrange(100))
        return lst

    def test_filtered_cost_maps(self):
        uri = self.ird.filtered_costmap_uri(self.nm)
        vtag = self.vtag()
        nonempty = 0
        for i in range(30):
            metric = self.rng.choice(METRICS)
            mode = self.rng.choice(MODES)
            rows = self.topo.costs[metric]
            pool = sorted(rows) if self.rng.random() < 0.7 else self.model.pid_names
            srcs = self.random_pid_list(pool, 60)
            dsts = self.random_pid_list(sorted({d for r in rows.values() for d in r}), 200)
            values = [v for r in rows.values() for v in r.values()]
            cons = self.random_constraints(values if mode == "numerical" else list(range(1, 40)))
            body = {"cost-type": cost_type(metric, mode), "pids": {"srcs": srcs, "dsts": dsts}}
            if cons:
                body["constraints"] = self.cons_text(cons)
            with self.subTest(i=i, metric=metric, mode=mode, nsrcs=len(srcs), ndsts=len(dsts), cons=cons):
                doc = self.assertOk(self.altod.post(uri, body, MT_COSTMAPFILTER), MT_COSTMAP)
                self.assertEqual(doc["meta"], {"dependent-vtags": [vtag], "cost-type": cost_type(metric, mode)})
                expected = self.model.filtered_costmap(metric, mode, srcs, dsts, cons)
                self.assertEqual(drop_empty(doc["cost-map"]), expected)
                nonempty += bool(expected)
        self.assertGreater(nonempty, 15)

    def test_filtered_network_maps(self):
        uri = self.ird.filtered_networkmap_uri(self.nm)
        vtag = self.vtag()
        for i in range(12):
            pids = self.random_pid_list(self.model.pid_names, 80)
            types = self.rng.choice([None, [], ["ipv4"], ["ipv6"], ["ipv4", "ipv6"], ["ipv6", "ipv5"]])
            body = {"pids": pids}
            if types is not None:
                body["address-types"] = types
            fams = {"ipv4", "ipv6"} if not types else {t for t in types if t in ("ipv4", "ipv6")}
            with self.subTest(i=i, npids=len(pids), types=types):
                doc = self.assertOk(self.altod.post(uri, body, MT_NETWORKMAPFILTER), MT_NETWORKMAP)
                self.assertEqual(doc["meta"], {"vtag": vtag})
                want = set(self.topo.pids) if pids == [] else {p for p in pids if p in self.topo.pids}
                expected = {}
                for p in want:
                    g = {f: {ipaddress.ip_network(x) for x in self.topo.pids[p][f]} for f in fams}
                    g = {f: v for f, v in g.items() if v}
                    if g:
                        expected[p] = g
                got = {p: {f: {ipaddress.ip_network(x) for x in v} for f, v in g.items() if v}
                       for p, g in doc["network-map"].items()}
                self.assertLessEqual(set(got), want)
                self.assertEqual(drop_empty(got), expected)


EDGE_MAPS = """\
network-maps:
  edges:
    pids:
      top32: {ipv4: [255.255.255.255/32], ipv6: ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"]}
      top24: {ipv4: [255.255.255.0/24], ipv6: ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"]}
      hi-half: {ipv4: [128.0.0.0/1], ipv6: ["8000::/1"]}
      zero32: {ipv4: [0.0.0.0/32], ipv6: ["::/128"]}
      zero8: {ipv4: [0.0.0.0/8], ipv6: ["::/8"]}
      mid: {ipv4: [10.0.0.0/8, 10.255.255.255/32, 11.0.0.0/16], ipv6: ["2001:db8::/32"]}
      inner: {ipv4: [10.1.0.0/16, 10.1.2.0/24], ipv6: ["2001:db8:1::/48", "2001:db8:1:0:8000::/65"]}
      inner2: {ipv4: [10.1.2.128/25, 10.1.2.3/32, 10.1.255.255/32], ipv6: ["2001:db8:1::1/128"]}
      b16: {ipv4: [10.2.0.0/16, 10.3.0.0/16]}
      b16b: {ipv4: [10.4.0.0/16, 10.1.1.0/24]}
      empty: {}
"""


class TestLpmEdges(at.AltodTestCase):
    """Longest-prefix match at the edges of the address space and of
    nested and adjacent prefixes, without a catch-all (some addresses have
    no PID: their property is omitted, RFC 7285 §11.4.1.6)."""

    PIDS = {
        "top32": ["255.255.255.255/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"],
        "top24": ["255.255.255.0/24", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"],
        "hi-half": ["128.0.0.0/1", "8000::/1"],
        "zero32": ["0.0.0.0/32", "::/128"],
        "zero8": ["0.0.0.0/8", "::/8"],
        "mid": ["10.0.0.0/8", "10.255.255.255/32", "11.0.0.0/16", "2001:db8::/32"],
        "inner": ["10.1.0.0/16", "10.1.2.0/24", "2001:db8:1::/48", "2001:db8:1:0:8000::/65"],
        "inner2": ["10.1.2.128/25", "10.1.2.3/32", "10.1.255.255/32", "2001:db8:1::1/128"],
        "b16": ["10.2.0.0/16", "10.3.0.0/16"],
        "b16b": ["10.4.0.0/16", "10.1.1.0/24"],
        "empty": [],
    }

    def test_boundaries(self):
        a = at.start_altod(self, {"edges.yaml": EDGE_MAPS})
        ird = a.ird()
        topo = gen_topology.Topology("edges", {
            p: {"ipv4": [x for x in v if ":" not in x], "ipv6": [x for x in v if ":" in x]}
            for p, v in self.PIDS.items()}, {})
        model = Model(topo)
        doc = self.assertOk(a.get(ird.networkmap_uri("edges")), MT_NETWORKMAP)
        got = {p: {ipaddress.ip_network(x) for f in g.values() for x in f} for p, g in doc["network-map"].items()}
        self.assertEqual(got, {p: {ipaddress.ip_network(x) for x in v} for p, v in self.PIDS.items()})
        addrs = set()
        for v in self.PIDS.values():
            for x in v:
                n = ipaddress.ip_network(x)
                top = 2 ** n.max_prefixlen - 1
                for k in (int(n.network_address) - 1, int(n.network_address), int(n.network_address) + 1,
                          int(n.broadcast_address) - 1, int(n.broadcast_address), int(n.broadcast_address) + 1):
                    if 0 <= k <= top:
                        addrs.add(ipaddress.IPv6Address(k) if n.version == 6 else ipaddress.IPv4Address(k))
        for k in range(0, 2 ** 32, 2 ** 24 + 2 ** 16 + 2 ** 8 + 1):  # across the whole IPv4 space
            addrs.add(ipaddress.IPv4Address(k))
        for text in ["1.0.0.0", "9.255.255.255", "12.0.0.0", "127.255.255.255", "64.0.0.1", "::1", "1::",
                     "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "100::", "2001:db8:1:0:7fff:ffff:ffff:ffff",
                     "2001:db8:1:0:8000::", "2001:db9::", "::ffff:10.1.2.3"]:
            addrs.add(ipaddress.ip_address(text))
        eps = sorted(endpoint_text(x) for x in addrs)
        prop = "edges.pid"
        r = a.post(ird.endpointprop_uri(), {"properties": [prop], "endpoints": eps}, MT_ENDPOINTPROPPARAMS)
        doc = self.assertOk(r, MT_ENDPOINTPROP)
        expected = {}
        for e in eps:
            pid = model.lookup(e.split(":", 1)[1])
            expected[e] = {prop: pid} if pid is not None else {}
        self.assertEqual(doc["endpoint-properties"], expected)
        self.assertIn({}, expected.values())  # some addresses have no PID


if __name__ == "__main__":
    unittest.main()

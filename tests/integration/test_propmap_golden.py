"""The bytes of RFC 9240 answers stay those of main 51020c8 (before the
property lookups were indexed at load time): filtered property maps and
endpoint property requests over a seeded topology (nested IPv4/IPv6
prefixes with /0, /32 and /128 entities, PID entities, unknown PIDs,
duplicates), for the network map itself and through two views (one with
opaque PID names and a hidden PID nested in a kept one).

tests/integration/golden/propmap_golden.json holds each answer's status,
length and SHA-256, captured from the old binary with
  GOLDEN_WRITE=1 ALTOD_BIN=/path/to/old/altod python3 test_propmap_golden.py
"""

import hashlib
import ipaddress
import json
import os
import random
import unittest

import altodtest as at
from altodtest import MT_ENDPOINTPROP, MT_ENDPOINTPROPPARAMS

MT_PROPMAP = "application/alto-propmap+json"
MT_PROPMAPPARAMS = "application/alto-propmapparams+json"
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "propmap_golden.json")
PROPS = ["asn", "countrycode", "priv:access", "priv:tier"]
NPIDS = 12


def ent_id(p):
    return "ipv%d:%s" % (p.version, p.with_prefixlen)


def topology():
    """(maps text, defined prefixes) from a fixed seed."""
    rnd = random.Random(51020)
    lines = ["network-maps:", "  g:", "    pids:"]
    for i in range(NPIDS):
        v6 = ", ipv6: [\"2001:db8:%x::/48\"]" % i if i < 6 else ""
        lines.append("      P%d: {ipv4: [10.%d.0.0/16]%s}" % (i, i, v6))
    lines.append("      H: {ipv4: [10.0.128.0/17], ipv6: [\"2001:db8:0:8000::/49\"]}")
    lines.append("      rest: {ipv4: [0.0.0.0/0], ipv6: [\"::/0\"]}")
    defs = {
        ipaddress.ip_network("0.0.0.0/0"): {"asn": "0"},
        ipaddress.ip_network("::/0"): {"countrycode": "ZZ"},
        ipaddress.ip_network("10.0.0.0/8"): {"countrycode": "TEN"},
        ipaddress.ip_network("10.0.128.7/32"): {"priv:access": "h7"},
        ipaddress.ip_network("2001:db8:0:8000::1/128"): {"asn": "h1"},
        ipaddress.ip_network("192.0.2.0/24"): {"asn": "64496", "priv:tier": "doc"},
    }
    while len(defs) < 260:
        if rnd.random() < 0.6:
            base, plen = ipaddress.ip_network("10.0.0.0/8"), rnd.choice([rnd.randint(8, 32), rnd.randint(16, 24)])
        else:
            base, plen = ipaddress.ip_network("2001:db8::/32"), rnd.choice([rnd.randint(32, 128), rnd.randint(44, 64)])
        if base.version == 6 and rnd.random() < 0.7:  # mostly inside the PIDs' /48s
            base = ipaddress.ip_network("2001:db8:%x::/48" % rnd.randint(0, 5))
            plen = max(plen, 48)
        addr = int(base.network_address) + rnd.getrandbits(base.max_prefixlen - base.prefixlen)
        net = ipaddress.ip_network((addr, base.max_prefixlen)).supernet(new_prefix=plen)
        chosen = [p for p in PROPS if rnd.random() < 0.45] or [rnd.choice(PROPS)]
        defs[net] = {p: "v%d" % rnd.randint(0, 99999) for p in chosen}
    lines += ["property-maps:", "  g:"]
    for net, props in defs.items():
        lines.append("    %s: %s" % (json.dumps(ent_id(net)), json.dumps(props)))
    for i in range(NPIDS):
        if i % 3:
            lines.append("    \"g.pid:P%d\": {\"priv:tier\": \"t%d\", asn: \"pa%d\"}" % (i, i, i))
    lines.append("    \"g.pid:H\": {\"priv:access\": \"hidden\"}")
    return "\n".join(lines) + "\n", defs


def queries(rnd, defs, n):
    """Addresses and prefixes in, at, around and outside the defined ones."""
    nets = list(defs)
    out = []
    for _ in range(n):
        net = rnd.choice(nets)
        r = rnd.random()
        host = int(net.network_address) + rnd.getrandbits(net.max_prefixlen - net.prefixlen)
        if r < 0.45:
            q = ipaddress.ip_network((host, net.max_prefixlen))
        elif r < 0.9:
            plen = max(0, min(net.max_prefixlen, net.prefixlen + rnd.randint(-8, 10)))
            q = ipaddress.ip_network((host, net.max_prefixlen)).supernet(new_prefix=plen)
        else:
            q = ipaddress.ip_network((rnd.getrandbits(net.max_prefixlen), net.max_prefixlen))
        out.append(q)
    return out


VIEWS = {
    "base": ("g", PROPS, ""),
    "view": ("gv", ["asn", "countrycode", "priv:tier"], """\
access:
  secret: "a-secret-long-enough-for-views"
  anonymous-role: tenant
  roles:
    tenant: [gv]
  views:
    gv:
      network-map: g
      pids: [P0, P1, P2, P3, P4, P5]
      properties: [asn, "priv:tier", countrycode]
"""),
    "opaque": ("go", PROPS, """\
access:
  secret: "a-secret-long-enough-for-views"
  anonymous-role: tenant
  roles:
    tenant: [go]
  views:
    go:
      network-map: g
      pids: [P0, P2, P7, H]
      catch-all: elsewhere
      opaque-pids: true
      properties: [asn, "priv:access", "priv:tier", countrycode]
"""),
}


def requests(rnd, defs, nm, pid_names, shown):
    """[(name, path kind, body)] for one network map or view showing the
    properties `shown`."""
    pids = ["%s.pid:%s" % (nm, p) for p in pid_names] + ["%s.pid:nope" % nm, "%s.pid:P99" % nm]
    out = []
    for k in range(4):
        qs = [ent_id(q) for q in queries(rnd, defs, 150)]
        ents = qs + pids + qs[:5] + ["ipv4:0.0.0.0/0", "ipv6:::/0", "ipv4:10.0.0.0/8", "ipv6:2001:db8::/32"]
        rnd.shuffle(ents)
        props = [shown, shown[:1], shown[1:3], shown[::-1]][k]
        out.append(("fpm%d" % k, "fpm", {"entities": ents, "properties": ["." + p for p in props]}))
    # addresses only, both families, as the benchmark's row
    eps = [q for q in queries(rnd, defs, 300) if q.prefixlen == q.max_prefixlen]
    out.append(("fpm-addrs", "fpm", {"entities": [ent_id(q) for q in eps][:100],
                                     "properties": ["." + p for p in shown]}))
    for k, props in enumerate([["asn", "countrycode"], ["priv:tier"], [nm + ".pid"] + shown[::-1]]):
        out.append(("ep%d" % k, "ep", {"endpoints": ["ipv%d:%s" % (q.version, q.network_address)
                                                     for q in eps[k * 40:k * 40 + 90]],
                                       "properties": props}))
    return out


class TestGolden(unittest.TestCase):
    def test_answers_are_the_old_bytes(self):
        maps, defs = topology()
        write = os.environ.get("GOLDEN_WRITE") == "1"
        got = {}
        for label, (nm, shown, access) in VIEWS.items():
            with self.subTest(view=label):
                a = at.start_altod(self, maps_files={"maps/g.yaml": maps}, extra_config=access)
                ird = a.ird()
                doc = json.loads(a.get(ird.networkmap_uri(nm)).body)
                pid_names = sorted(doc["network-map"])
                rnd = random.Random(label)
                for name, kind, body in requests(rnd, defs, nm, pid_names, shown):
                    if kind == "fpm":
                        r = a.post(ird.uri(nm + "-filtered-propmap"), json.dumps(body), MT_PROPMAPPARAMS)
                    else:
                        r = a.post(ird.endpointprop_uri(), json.dumps(body), MT_ENDPOINTPROPPARAMS)
                    got["%s/%s" % (label, name)] = [r.status, len(r.body), hashlib.sha256(r.body).hexdigest()]
                    self.assertEqual(r.status, 200, r.body[:300])
                    self.assertIn(r.content_type, (MT_PROPMAP, MT_ENDPOINTPROP))
                a.stop()
        if write:
            os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
            with open(GOLDEN, "w", encoding="utf-8") as f:
                json.dump(got, f, indent=1, sort_keys=True)
                f.write("\n")
        with open(GOLDEN, encoding="utf-8") as f:
            want = json.load(f)
        self.assertEqual(got, want)
        # the answers are not trivially small: inheritance reached most entities
        self.assertGreater(min(v[1] for v in want.values()), 1000)


if __name__ == "__main__":
    unittest.main()

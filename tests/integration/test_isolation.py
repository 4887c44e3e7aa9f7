"""Per-client isolation: the access layer's matrix.

One altod serves two base network maps (isp-alt, then the default
isp-core: 8 PIDs with nested IPv4 and IPv6 prefixes) and seven views of
them to five tenants and the anonymous role, over HTTP (Digest) and HTTPS
(client certificates, Basic):

    tenant-a  certificate (subject)   isp-core + some of its resources (two of its
                                      cost types, the filtered cost map and endpoint
                                      cost for these only), and view-gee: PID1, PID4
                                      of the same map; hopcount, bw-available (RFC 9439,
                                      higher is better: its own ordinal ranks)
    tenant-b  Digest SHA-256 (HTTP)   view-bee: PID1, PID2; ordinal routingcost; opaque
    tenant-c  Digest MD5 (HTTP) and   view-cee: PID2, PID3, PID5; numerical
              Basic (HTTPS)           routingcost and hopcount
    tenant-d  certificate (SAN)       isp-alt but its tput + view-dee: PID5, PID7; no costs; opaque
    tenant-e  certificate (SHA-256)   view-eff (isp-alt, every cost) + view-cee + view-bee
    anonymous (HTTP, HTTPS, and an    view-pub: PID7; numerical hopcount
    unconfigured certificate)

view-unused and several isp-core resources are granted to a role nobody has.

Every identity sends every kind of request to every URI of the server
(and to nonexistent ones): GET, HEAD, OPTIONS, POST, DELETE and an unknown
method everywhere, GET with Accept, gzip and If-None-Match, valid bodies,
filters naming every other view's PIDs, endpoints from every prefix, every
cost type (metric and mode) of the server at every map's cost map, filtered
cost map and endpoint cost URI. The tests then check, over all the answers: each identity's own
answers are right (computed independently here from the maps: view PID
sets, catch-all prefixes, costs, ordinal ranks, longest-prefix matches);
nothing outside its view appears anywhere in status, headers or body;
hidden and nonexistent resources answer byte for byte alike; a cost type is
served by every cost service of a map, and listed, exactly when the
identity's roles grant it, and answers byte for byte as an unknown type
when they do not; vtags are
per view, stable across restarts and keyed by the secret; every answer is
private and audited.
"""

import gzip
import json
import re
import tempfile
import unittest

import altodtest as at
import isoutil as iu
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_ENDPOINTCOST, MT_ENDPOINTCOSTPARAMS,
                       MT_ENDPOINTPROP, MT_ENDPOINTPROPPARAMS, MT_ERROR, MT_NETWORKMAP,
                       MT_NETWORKMAPFILTER)

SECRET = "isolation-secret-0123456789abcdef"
OTHER_SECRET = "another-secret-for-the-same-views"

# ---------------------------------------------------------------- the maps

CORE_PIDS = {
    "PID1": ["10.0.0.0/8", "2001:db8:1::/48"],
    "PID2": ["10.1.0.0/16", "192.168.0.0/16"],
    "PID3": ["172.16.0.0/12", "2001:db8::/32"],
    "PID4": ["10.1.2.0/24", "172.16.5.0/24"],
    "PID5": ["203.0.113.0/24", "2001:db8:5::/48"],
    "PID6": ["0.0.0.0/0", "::/0"],
    "PID7": ["198.51.100.0/24"],
    "PID8": ["10.9.9.0/24", "198.51.100.128/25", "2001:db8:8::/48"],
}


def _routing(i, j):
    if (i + 2 * j) % 9 == 0:
        return None  # no cost configured for this pair
    v = (i * 7 + j * 3) % 11 + 1
    return v + 0.5 if (i + j) % 5 == 0 else v


def _hops(i, j):
    if i == 8 and j in (1, 2):
        return None
    return 0 if i == j else abs(i - j) + (1 if i > j else 0)


def _bw(i, j):
    # RFC 9439 §5.3 available bandwidth (bytes/s): higher is better; ties
    if i == j or (i * j) % 7 == 3:
        return None
    return [125000, 1250000.5, 12500000, 1250000.5][(i + j) % 4] * (1 + (i % 2))


def _table(f):
    t = {}
    for i in range(1, 9):
        for j in range(1, 9):
            v = f(i, j)
            if v is not None:
                t.setdefault("PID%d" % i, {})["PID%d" % j] = v
    return t


CORE = iu.base_map("isp-core", CORE_PIDS, {"routingcost": _table(_routing), "hopcount": _table(_hops),
                                           "bw-available": _table(_bw)},
                   default=True)
ALT = iu.base_map("isp-alt", {
    "ALT-ONE": ["100.64.0.0/10"],
    "ALT-TWO": ["100.64.1.0/24", "fd00::/8"],
    "ALT-ANY": ["0.0.0.0/0", "::/0"],
}, {
    "routingcost": {"ALT-ONE": {"ALT-ONE": 1, "ALT-TWO": 4, "ALT-ANY": 9},
                    "ALT-TWO": {"ALT-ONE": 4, "ALT-TWO": 1, "ALT-ANY": 6},
                    "ALT-ANY": {"ALT-ONE": 9, "ALT-TWO": 6}},
    "tput": {"ALT-ONE": {"ALT-TWO": 100, "ALT-ANY": 10},
             "ALT-TWO": {"ALT-ONE": 100, "ALT-ANY": 25.5},
             "ALT-ANY": {"ALT-TWO": 25.5, "ALT-ANY": 1000}},
})
BASES = [ALT, CORE]  # isp-alt is defined first; isp-core is the default

# in definition order (the order of the directory), not alphabetical
VIEWS = {
    "view-pub": {"network-map": "isp-core", "pids": ["PID7"], "catch-all": "rest",
                 "costs": {"hopcount": ["numerical"]}},
    "view-eff": {"network-map": "isp-alt", "pids": ["ALT-TWO", "ALT-ANY"]},  # every metric, both modes
    "view-cee": {"network-map": "isp-core", "pids": ["PID2", "PID3", "PID5"],
                 "costs": {"routingcost": ["numerical"], "hopcount": ["numerical"]}},
    "view-bee": {"network-map": "isp-core", "pids": ["PID1", "PID2"], "catch-all": "elsewhere",
                 "costs": {"routingcost": ["ordinal"]}, "opaque-pids": True},
    "view-dee": {"network-map": "isp-core", "pids": ["PID5", "PID7"], "catch-all": "outside",
                 "costs": {}, "opaque-pids": True},
    # a hidden prefix (PID2's 10.1.0.0/16) inside a kept one (10.0.0.0/8) that holds a kept one
    # (PID4's 10.1.2.0/24); a hidden prefix (PID3's 172.16.0.0/12) holding a kept one
    "view-gee": {"network-map": "isp-core", "pids": ["PID4", "PID1"],
                 "costs": {"hopcount": ["ordinal", "numerical"], "bw-available": ["ordinal", "numerical"]}},
    "view-unused": {"network-map": "isp-alt", "pids": ["ALT-ONE"], "catch-all": "hidden-rest"},
}

# cdn grants some cost maps of isp-core (numerical routingcost, ordinal hopcount)
# and its filtered cost map and endpoint cost service: those offer these two
# types only (docs/isolation.md's cdn). alt grants no tput cost map of isp-alt:
# its filtered cost map and endpoint cost service have no tput at all.
ROLES = {
    "cdn": ["isp-core", "isp-core-num-routingcost", "isp-core-ord-hopcount",
            "isp-core-filtered-networkmap", "endpoint-property", "isp-core-filtered-costmap",
            "isp-core-endpoint-cost"],
    "gee": ["view-gee"],
    "p2p": ["view-bee"],
    "cee": ["view-cee"],
    "alt": ["isp-alt", "isp-alt-filtered-networkmap", "isp-alt-num-routingcost", "isp-alt-ord-routingcost",
            "isp-alt-filtered-costmap", "isp-alt-endpoint-cost"],
    "dee": ["view-dee"],
    "eff": ["view-eff"],
    "public": ["view-pub"],
    "nobody": ["view-unused", "isp-core", "isp-core-endpoint-cost", "isp-core-filtered-costmap"],
}

PASSWORDS = {"tenant-b": "bee's password", "tenant-c": "cee:password with spaces", "tenant-n": "n-password"}


def clients_yaml(pki):
    return {
        "tenant-a": {"certificate": {"subject": "CN=tenant-a"}, "roles": ["cdn", "gee"]},
        "tenant-b": {"password": iu.password_entry("tenant-b", PASSWORDS["tenant-b"]), "roles": ["p2p"]},
        "tenant-c": {"password": iu.password_entry("tenant-c", PASSWORDS["tenant-c"]), "roles": ["cee"]},
        "tenant-d": {"certificate": {"san": "tenant-d.example"}, "roles": ["alt", "dee"]},
        # the fingerprint in upper case with colons; a role named twice
        "tenant-e": {"certificate": {"sha256": ":".join(re.findall("..", pki.sha256("tenante").upper()))},
                     "roles": ["eff", "cee", "p2p", "cee"]},
    }


TENANTS = ("tenant-a", "tenant-b", "tenant-c", "tenant-d", "tenant-e")


def make_policy(secret=SECRET, views=VIEWS, clients=None):
    return iu.Policy(BASES, views, ROLES, clients or {}, secret, anonymous_role="public")


def write_tree(directory, pki, secret=SECRET, views=VIEWS, clients=None, https=True):
    at.write_files(directory, {
        "maps/iso.yaml": iu.maps_yaml(BASES),
        "altod.yaml": iu.server_yaml(pki, https=https) + iu.access_yaml(
            secret=secret, clients=clients, roles=ROLES, views=views, anonymous_role="public",
            extra={"rate": 0, "auth-failures": iu.NO_AUTH_THROTTLE}),
    })


# ---------------------------------------------------------------- requests

class Req:
    """One request of the matrix and what to check of its answer.
    expect: "ok" (checked by `check`), "hidden" (must answer exactly like
    the nonexistent resource `twin`), "error" (an ALTO error that must
    answer like `twin` but for the value it echoes), "same" (must answer
    byte for byte like `twin`), "any" (only the leak checks)."""

    def __init__(self, label, method, path, body=None, ctype=None, expect="any", check=None, twin=None,
                 echo=None, extra=None, tkey=None, swap=None):
        self.label = label
        self.method = method
        self.path = path
        self.body = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        self.ctype = ctype
        self.expect = expect
        self.check = check
        self.twin = twin
        self.echo = echo
        self.extra = extra or {}
        self.tkey = tkey  # (map id, metric, mode, service) of the cost type matrix
        self.swap = swap  # (twin's token, echo): the twin's answer, token replaced, is byte for byte ours

    def headers(self):
        h = {"Content-Type": self.ctype} if self.ctype else {}
        h.update(self.extra)
        return h


ETAG_OF_PLAIN_GET = "(the ETag of the plain GET)"  # filled in when the request is sent
NOWHERE = "/networkmap/no-such-map"  # the nonexistent resource every hidden one is compared with
NONEXISTENT = ["/networkmap/no-such-map", "/networkmap/view-zzz/filtered",
               "/costmap/no-such-map/routingcost/numerical", "/costmap/view-bee/hopcount/ordinal",
               "/costmap/isp-core/filtered/x", "/endpointcost/no-such-map", "/endpointprop/isp-core",
               "/networkmap/view-bee/", "/costmap/view-cee/routingcost/ordinal"]
ENDPOINTS = iu.sample_endpoints(BASES)
CONDITIONAL_GZIP = {"If-None-Match": "*", "Accept-Encoding": "gzip"}


def ct(metric, mode):
    return {"cost-metric": metric, "cost-mode": mode}


def unknown_like(name):
    """A metric or mode name no map has, as long as `name` (so that the
    answer naming it is as long as the one naming `name`)."""
    return "z" * len(name)


SERVICES = ("get", "fcostmap", "ecost")  # the services of a cost type: GET cost map, the two POSTs


def sample_body(kind):
    """A valid body for a resource of this kind (or a plausible one for GET
    resources)."""
    if kind == "fnetmap":
        return MT_NETWORKMAPFILTER, {"pids": []}
    if kind == "fcostmap":
        return MT_COSTMAPFILTER, {"cost-type": ct("routingcost", "numerical")}
    if kind == "ecost":
        return MT_ENDPOINTCOSTPARAMS, {"cost-type": ct("routingcost", "numerical"),
                                       "endpoints": {"srcs": ENDPOINTS[:2], "dsts": ENDPOINTS[2:4]}}
    if kind == "eprop":
        return MT_ENDPOINTPROPPARAMS, {"properties": ["isp-core.pid"], "endpoints": ENDPOINTS[:3]}
    return "application/json", {"pids": []}


class Checker:
    """Builds one identity's requests and checks its answers against the
    model."""

    def __init__(self, tc, policy, client):
        self.tc = tc
        self.policy = policy
        self.client = client
        self.maps, self.res = policy.catalog(client)
        self.all_names = set()
        for m in policy.maps:
            self.all_names |= set(m.pids)

    # -- checks of one answer

    def vtag_of(self, doc_vtag, m):
        self.tc.assertEqual(set(doc_vtag), {"resource-id", "tag"}, doc_vtag)
        self.tc.assertEqual(doc_vtag["resource-id"], m.id)
        self.tc.assertRegex(doc_vtag["tag"], r"^[0-9a-f]{64}$")

    def netmap(self, m, pids=None, families=("ipv4", "ipv6")):
        def check(r):
            doc = self.tc.assertOk(r, MT_NETWORKMAP)
            self.tc.assertEqual(set(doc), {"meta", "network-map"})
            self.tc.assertEqual(set(doc["meta"]), {"vtag"})
            self.vtag_of(doc["meta"]["vtag"], m)
            self.tc.assertEqual(doc["network-map"], m.networkmap(pids, families))
        return check

    def costmap(self, m, metric, mode, srcs=None, dsts=None, constraints=()):
        def check(r):
            doc = self.tc.assertOk(r, MT_COSTMAP)
            self.tc.assertEqual(set(doc), {"meta", "cost-map"})
            self.tc.assertEqual(set(doc["meta"]), {"dependent-vtags", "cost-type"})
            self.tc.assertEqual(len(doc["meta"]["dependent-vtags"]), 1)
            self.vtag_of(doc["meta"]["dependent-vtags"][0], m)
            self.tc.assertEqual(doc["meta"]["cost-type"], ct(metric, mode))
            self.tc.assertEqual(doc["cost-map"], m.costmap(metric, mode, srcs, dsts, constraints))
        return check

    def ecost(self, m, metric, mode, srcs, dsts, constraints=()):
        def check(r):
            doc = self.tc.assertOk(r, MT_ENDPOINTCOST)
            self.tc.assertEqual(doc["meta"], {"cost-type": ct(metric, mode)})
            self.tc.assertEqual(set(doc), {"meta", "endpoint-cost-map"})
            self.tc.assertEqual(doc["endpoint-cost-map"], m.endpoint_costs(metric, mode, srcs, dsts, constraints))
        return check

    def multi(self, m, types, singles, keep=None, ecs=False):
        """RFC 8189: an answer to "multi-cost-types" `types`, computed from
        the single-cost answers `singles` (one per type, unconstrained):
        each pair any of them has, with an array of the costs (None where a
        type has none), kept only if in `keep` (pairs meeting the
        or-constraints; None: all)."""
        want = {}
        for one in singles:
            for src, row in one.items():
                for dst in row:
                    if keep is None or (src, dst) in keep:
                        want.setdefault(src, {})[dst] = [x.get(src, {}).get(dst) for x in singles]

        def check(r):
            doc = self.tc.assertOk(r, MT_ENDPOINTCOST if ecs else MT_COSTMAP)
            self.tc.assertEqual(doc["meta"].pop("multi-cost-types"), types)
            self.tc.assertEqual(doc["meta"].pop("cost-type"), {})
            if ecs:
                self.tc.assertEqual(doc["meta"], {})
            else:
                self.tc.assertEqual(set(doc["meta"]), {"dependent-vtags"})
                self.vtag_of(doc["meta"]["dependent-vtags"][0], m)
            self.tc.assertEqual(doc["endpoint-cost-map" if ecs else "cost-map"], want)
        return check

    def eprop(self, maps, endpoints):
        def check(r):
            doc = self.tc.assertOk(r, MT_ENDPOINTPROP)
            self.tc.assertEqual(set(doc), {"meta", "endpoint-properties"})
            deps = doc["meta"]["dependent-vtags"]
            self.tc.assertEqual([d["resource-id"] for d in deps], [m.id for m in maps])
            for d, m in zip(deps, maps):
                self.vtag_of(d, m)
            want = {}
            for e in endpoints:
                want[e] = {}
                for m in maps:
                    pid = m.lookup(e)
                    if pid is not None:
                        want[e]["%s.pid" % m.id] = pid
            self.tc.assertEqual(doc["endpoint-properties"], want)
        return check

    def gunzipped(self, check):
        """`check` on the identity representation of a gzip answer."""
        def run(r):
            if r.header("Content-Encoding") is not None:
                self.tc.assertEqual(r.header("Content-Encoding"), "gzip")
                r = at.Response(r.status, r.reason, [(k, v) for k, v in r.headers
                                                     if k.lower() != "content-encoding"], gzip.decompress(r.body))
            check(r)
        return run

    def not_modified(self):
        def check(r):
            self.tc.assertEqual(r.status, 304, r)
            self.tc.assertEqual(r.body, b"")
            self.tc.assertIsNotNone(r.header("ETag"), r)
        return check

    def status(self, code, allow=None):
        def check(r):
            self.tc.assertEqual(r.status, code, r)
            if allow:
                self.tc.assertEqual(r.header("Allow"), allow, r)
        return check

    def alto_error(self, field, value):
        def check(r):
            self.tc.assertAltoError(r, "E_INVALID_FIELD_VALUE", field=field, value=value)
        return check

    def directory(self):
        def check(r):
            doc = self.tc.assertOk(r, at.MT_DIRECTORY)
            # the URIs are absolute, all on the listener asked (test_uris.py
            # checks the base itself); the model's are the paths
            bases = {re.match(r"^https?://127\.0\.0\.1:[0-9]+(?=/)", e["uri"]).group(0)
                     for e in doc["resources"].values()}
            self.tc.assertLessEqual(len(bases), 1, bases)
            for e in doc["resources"].values():
                e["uri"] = e["uri"][len(min(bases)):]
            self.tc.assertEqual(iu.sorted_ird(doc), iu.sorted_ird(self.policy.directory(self.client)))
        return check

    # -- the requests

    def plan(self):
        out = [Req("GET /", "GET", "/", expect="ok", check=self.directory())]
        visible = {uri for uri, _, _ in self.res.values()}
        for rid, uri, kind, m in self.policy.universe():
            if uri in visible:
                reqs = self.own_requests(rid, uri, kind, m)
            else:
                reqs = self.hidden_requests(rid, uri, kind)
            out += reqs
            if kind.startswith("costmap:"):
                _, metric, mode = kind.split(":")
                reqs[0].tkey = (m.id, metric, mode, "get")  # the plain GET
        for uri in NONEXISTENT:
            out += self.hidden_requests("(nonexistent)", uri, "fnetmap")
        out += self.cost_type_requests()
        return out

    def all_metrics(self):
        return sorted({x for mm in self.policy.maps for x in mm.costs})

    def cost_type_requests(self):
        """Every cost type of the server (metric, mode) at every map's
        cost map, filtered cost map and endpoint cost URI that the rest of
        the plan does not reach: cost maps that do not exist, and the POST
        services the identity does not see (or that do not exist)."""
        out = []
        universe = {uri for _, uri, _, _ in self.policy.universe()}
        visible = {uri for uri, _, _ in self.res.values()}
        for m in self.policy.maps:
            for metric in self.all_metrics():
                for mode in iu.MODES:
                    t = ct(metric, mode)
                    uri = "/costmap/%s/%s/%s" % (m.id, metric, mode)
                    if uri not in universe:
                        out.append(Req("type GET " + uri, "GET", uri, expect="hidden",
                                       twin=Req("", "GET", NOWHERE), tkey=(m.id, metric, mode, "get")))
                    ecost_body = {"cost-type": t, "endpoints": {"srcs": ENDPOINTS[:2], "dsts": ENDPOINTS[2:4]}}
                    for service, uri, ctype, body in (
                            ("fcostmap", "/costmap/%s/filtered" % m.id, MT_COSTMAPFILTER, {"cost-type": t}),
                            ("ecost", "/endpointcost/%s" % m.id, MT_ENDPOINTCOSTPARAMS, ecost_body)):
                        if uri in visible:
                            continue  # own_requests sends every type
                        out.append(Req("type %s/%s %s" % (metric, mode, uri), "POST", uri, body, ctype,
                                       expect="hidden", twin=Req("", "POST", NOWHERE, body, ctype),
                                       tkey=(m.id, metric, mode, service)))
        return out

    def hidden_requests(self, rid, uri, kind):
        ctype, body = sample_body(kind)
        lab = "%s %s" % (rid, uri)
        return [Req("GET " + lab, "GET", uri, expect="hidden", twin=Req("", "GET", NOWHERE)),
                Req("DELETE " + lab, "DELETE", uri, expect="hidden", twin=Req("", "DELETE", NOWHERE)),
                Req("BREW " + lab, "BREW", uri, expect="hidden", twin=Req("", "BREW", NOWHERE)),
                Req("GET Accept " + lab, "GET", uri, expect="hidden", extra={"Accept": "text/html"},
                    twin=Req("", "GET", NOWHERE, extra={"Accept": "text/html"})),
                Req("GET conditional gzip " + lab, "GET", uri, expect="hidden", extra=CONDITIONAL_GZIP,
                    twin=Req("", "GET", NOWHERE, extra=CONDITIONAL_GZIP)),
                Req("HEAD " + lab, "HEAD", uri, expect="hidden", twin=Req("", "HEAD", NOWHERE)),
                Req("OPTIONS " + lab, "OPTIONS", uri, expect="hidden", twin=Req("", "OPTIONS", NOWHERE)),
                Req("POST " + lab, "POST", uri, body, ctype, expect="hidden",
                    twin=Req("", "POST", NOWHERE, body, ctype))]

    def foreign(self, m):
        """Every PID name of the server (base names, every view's names,
        opaque or not, and catch-alls) that map m does not have."""
        return sorted(self.all_names - set(m.pids)) + ["PID9"]

    def multi_requests(self, m, uri, lab, ctype, base, single):
        """RFC 8189 through a cost service of m: every granted type at once
        (max-cost-types is their number), the same with or-constraints on
        testable types in another order, and each type not granted named in
        "multi-cost-types" or "testable-cost-types": the exact-grant rule,
        answered byte for byte like a type no map has. single(metric, mode,
        constraints) is the independent single-cost model of the answer."""
        ecs = ctype == MT_ENDPOINTCOSTPARAMS
        types = self.granted_types(m)
        tl = [ct(metric, mode) for metric in sorted(types) for mode in sorted(types[metric])]
        out = []
        if tl:
            singles = [single(t["cost-metric"], t["cost-mode"]) for t in tl]
            out.append(Req("multi-cost %s" % lab, "POST", uri, dict(base, **{"multi-cost-types": tl}), ctype, "ok",
                           self.multi(m, tl, singles, ecs=ecs)))
            testable = list(reversed(tl))
            branches, keep = [], set()
            for i, t in enumerate(testable[:2]):
                cons = ["ge 2", "le 9"] if t["cost-mode"] == iu.NUMERICAL else ["le 2"]
                branches.append(["[%d] %s" % (i, c) for c in cons])
                one = single(t["cost-metric"], t["cost-mode"], cons)
                keep |= {(src, dst) for src, row in one.items() for dst in row}
            out.append(Req("multi-cost or-constraints %s" % lab, "POST", uri,
                           dict(base, **{"multi-cost-types": tl, "testable-cost-types": testable,
                                         "or-constraints": branches}), ctype, "ok",
                           self.multi(m, tl, singles, keep, ecs=ecs)))
        for metric, mode, field, value, twin_ct in self.hidden_cost_types(m):
            for member in ("multi-cost-types", "testable-cost-types"):
                extra = {} if member == "multi-cost-types" or not tl else {"cost-type": tl[0]}
                if member == "testable-cost-types" and not tl:
                    continue
                out.append(Req("hidden %s %s/%s %s" % (member, metric, mode, lab), "POST", uri,
                               dict(base, **extra, **{member: [ct(metric, mode)]}), ctype, "error",
                               self.alto_error(field.replace("cost-type", member), value), echo=value,
                               twin=Req("", "POST", uri, dict(base, **extra, **{member: [twin_ct]}), ctype),
                               swap=(unknown_like(value), value)))
        return out

    def granted_types(self, m):
        """{metric: modes}: the cost types of m the identity is granted."""
        return self.policy.cost_types(self.client, m)

    def hidden_cost_types(self, m):
        """Every cost type of the server not granted at m: (metric, mode,
        the field of the error, the value it echoes, the cost type of the
        twin: a metric or mode no map has, as long as the one sent)."""
        out = []
        types = self.granted_types(m)
        for metric in self.all_metrics():
            for mode in iu.MODES:
                if mode in types.get(metric, ()):
                    continue
                if metric not in types:  # granted in no mode: an unknown metric
                    out.append((metric, mode, "cost-type/cost-metric", metric, ct(unknown_like(metric), mode)))
                else:
                    out.append((metric, mode, "cost-type/cost-mode", mode, ct(metric, unknown_like(mode))))
        return out

    def own_requests(self, rid, uri, kind, m):
        out = []
        lab = "%s %s" % (rid, uri)
        if kind == "netmap" or kind.startswith("costmap:"):
            if kind == "netmap":
                check = self.netmap(m)
            else:
                _, metric, mode = kind.split(":")
                check = self.costmap(m, metric, mode)
            out.append(Req("GET " + lab, "GET", uri, expect="ok", check=check))
            out.append(Req("HEAD " + lab, "HEAD", uri, expect="ok", check=self.status(200)))
            out.append(Req("GET gzip " + lab, "GET", uri, expect="ok", check=self.gunzipped(check),
                           extra={"Accept-Encoding": "gzip"}))
            out.append(Req("GET If-None-Match " + lab, "GET", uri, expect="ok", check=self.not_modified(),
                           extra={"If-None-Match": ETAG_OF_PLAIN_GET}))
            out.append(Req("POST " + lab, "POST", uri, {"pids": []}, MT_NETWORKMAPFILTER, expect="ok",
                           check=self.status(405, "GET, HEAD, OPTIONS")))
            return out
        out.append(Req("GET " + lab, "GET", uri, expect="ok", check=self.status(405, "POST, OPTIONS")))
        out.append(Req("OPTIONS " + lab, "OPTIONS", uri, expect="ok", check=self.status(204, "POST, OPTIONS")))
        if kind == "fnetmap":
            own = sorted(m.pids)
            foreign = self.foreign(m)
            nowhere = Req("", "POST", uri, {"pids": ["no-such-pid"]}, MT_NETWORKMAPFILTER)
            out += [
                Req("all " + lab, "POST", uri, {"pids": []}, MT_NETWORKMAPFILTER, "ok", self.netmap(m)),
                Req("own " + lab, "POST", uri, {"pids": own[:2]}, MT_NETWORKMAPFILTER, "ok",
                    self.netmap(m, own[:2])),
                Req("foreign+own " + lab, "POST", uri, {"pids": foreign + [own[-1]]}, MT_NETWORKMAPFILTER,
                    "ok", self.netmap(m, [own[-1]])),
                Req("foreign " + lab, "POST", uri, {"pids": foreign}, MT_NETWORKMAPFILTER, "same",
                    self.netmap(m, ["no-such-pid"]), twin=nowhere),
                Req("ipv6 " + lab, "POST", uri, {"pids": [], "address-types": ["ipv6"]}, MT_NETWORKMAPFILTER,
                    "ok", self.netmap(m, None, ("ipv6",))),
                Req("ipv4 foreign+own " + lab, "POST", uri,
                    {"pids": foreign + own, "address-types": ["ipv4", "x400"]}, MT_NETWORKMAPFILTER, "ok",
                    self.netmap(m, own, ("ipv4",))),
            ]
        elif kind == "fcostmap":
            own = sorted(m.pids)
            foreign = self.foreign(m)
            types = self.granted_types(m)
            for metric in sorted(types):
                for mode in sorted(types[metric]):
                    t = ct(metric, mode)
                    cons = ["ge 2", "le 9"] if mode == iu.NUMERICAL else ["le 2"]
                    nowhere = Req("", "POST", uri, {"cost-type": t, "pids": {"srcs": ["no-such-pid"], "dsts": []}},
                                  MT_COSTMAPFILTER)
                    out += [
                        Req("%s/%s all %s" % (metric, mode, lab), "POST", uri, {"cost-type": t}, MT_COSTMAPFILTER,
                            "ok", self.costmap(m, metric, mode), tkey=(m.id, metric, mode, "fcostmap")),
                        Req("%s/%s foreign+own %s" % (metric, mode, lab), "POST", uri,
                            {"cost-type": t, "pids": {"srcs": foreign + own[:2], "dsts": foreign + own}},
                            MT_COSTMAPFILTER, "ok", self.costmap(m, metric, mode, own[:2], own)),
                        Req("%s/%s one dst %s" % (metric, mode, lab), "POST", uri,
                            {"cost-type": t, "pids": {"srcs": [], "dsts": foreign + own[1:2]}},
                            MT_COSTMAPFILTER, "ok", self.costmap(m, metric, mode, None, own[1:2])),
                        Req("%s/%s constraints %s" % (metric, mode, lab), "POST", uri,
                            {"cost-type": t, "constraints": cons, "pids": {"srcs": [], "dsts": []}},
                            MT_COSTMAPFILTER, "ok", self.costmap(m, metric, mode, None, None, cons)),
                        Req("%s/%s foreign %s" % (metric, mode, lab), "POST", uri,
                            {"cost-type": t, "pids": {"srcs": foreign, "dsts": []}}, MT_COSTMAPFILTER, "same",
                            self.costmap(m, metric, mode, ["no-such-pid"], None), twin=nowhere),
                    ]
            out += self.multi_requests(m, uri, lab, MT_COSTMAPFILTER, {"pids": {"srcs": own[:2], "dsts": []}},
                                       lambda metric, mode, cons=(): m.costmap(metric, mode, own[:2], None, cons))
            for metric, mode, field, value, twin_ct in self.hidden_cost_types(m):
                out.append(Req("hidden %s/%s %s" % (metric, mode, lab), "POST", uri,
                               {"cost-type": ct(metric, mode)}, MT_COSTMAPFILTER, "error",
                               self.alto_error(field, value), echo=value,
                               twin=Req("", "POST", uri, {"cost-type": twin_ct}, MT_COSTMAPFILTER),
                               tkey=(m.id, metric, mode, "fcostmap"), swap=(unknown_like(value), value)))
        elif kind == "ecost":
            types = self.granted_types(m)
            for metric in sorted(types):
                for mode in sorted(types[metric]):
                    t = ct(metric, mode)
                    cons = ["gt 1"] if mode == iu.NUMERICAL else ["le 3"]
                    out += [
                        Req("%s/%s %s" % (metric, mode, lab), "POST", uri,
                            {"cost-type": t, "endpoints": {"srcs": ENDPOINTS, "dsts": ENDPOINTS}},
                            MT_ENDPOINTCOSTPARAMS, "ok", self.ecost(m, metric, mode, ENDPOINTS, ENDPOINTS),
                            tkey=(m.id, metric, mode, "ecost")),
                        Req("%s/%s own address %s" % (metric, mode, lab), "POST", uri,
                            {"cost-type": t, "endpoints": {"srcs": [], "dsts": ENDPOINTS}},
                            MT_ENDPOINTCOSTPARAMS, "ok",
                            self.ecost(m, metric, mode, ["ipv4:127.0.0.1"], ENDPOINTS)),
                        Req("%s/%s constraints %s" % (metric, mode, lab), "POST", uri,
                            {"cost-type": t, "constraints": cons,
                             "endpoints": {"srcs": ENDPOINTS[::3], "dsts": ENDPOINTS}},
                            MT_ENDPOINTCOSTPARAMS, "ok",
                            self.ecost(m, metric, mode, ENDPOINTS[::3], ENDPOINTS, cons)),
                    ]
            eps = {"srcs": ENDPOINTS[::3], "dsts": ENDPOINTS}
            out += self.multi_requests(m, uri, lab, MT_ENDPOINTCOSTPARAMS, {"endpoints": eps},
                                       lambda metric, mode, cons=(): m.endpoint_costs(metric, mode, eps["srcs"],
                                                                                       eps["dsts"], cons))
            for metric, mode, field, value, twin_ct in self.hidden_cost_types(m):
                body = {"endpoints": {"srcs": ENDPOINTS[:2], "dsts": ENDPOINTS}}
                out.append(Req("hidden %s/%s %s" % (metric, mode, lab), "POST", uri,
                               dict(body, **{"cost-type": ct(metric, mode)}), MT_ENDPOINTCOSTPARAMS, "error",
                               self.alto_error(field, value), echo=value,
                               twin=Req("", "POST", uri, dict(body, **{"cost-type": twin_ct}),
                                        MT_ENDPOINTCOSTPARAMS),
                               tkey=(m.id, metric, mode, "ecost"), swap=(unknown_like(value), value)))
        elif kind == "eprop":
            props = ["%s.pid" % x.id for x in self.maps]
            out.append(Req("all " + lab, "POST", uri, {"properties": props, "endpoints": ENDPOINTS},
                           MT_ENDPOINTPROPPARAMS, "ok", self.eprop(self.maps, ENDPOINTS)))
            for x in reversed(self.maps):
                out.append(Req("one %s %s" % (x.id, lab), "POST", uri,
                               {"properties": ["%s.pid" % x.id], "endpoints": ENDPOINTS[::2]},
                               MT_ENDPOINTPROPPARAMS, "ok", self.eprop([x], ENDPOINTS[::2])))
            seen = {x.id for x in self.maps}
            for x in self.policy.maps:
                if x.id in seen:
                    continue
                prop = "%s.pid" % x.id
                twin = Req("", "POST", uri, {"properties": props[:1] + ["no-such-map.pid"], "endpoints": ENDPOINTS},
                           MT_ENDPOINTPROPPARAMS)
                out.append(Req("hidden %s %s" % (prop, lab), "POST", uri,
                               {"properties": props[:1] + [prop], "endpoints": ENDPOINTS},
                               MT_ENDPOINTPROPPARAMS, "error", self.alto_error("properties", prop), echo=prop,
                               twin=twin))
        return out

    # -- what must never appear

    def forbidden(self, all_vtags):
        """[(what, token)]: strings that must not occur in any answer."""
        pol = self.policy
        vis_ids = set(self.res)
        vis_maps = {m.id for m in self.maps}
        ird = pol.directory(self.client)
        offered_types = set(ird["meta"]["cost-types"])
        allowed = set(vis_ids) | {u for u, _, _ in self.res.values()} | {"%s.pid" % x for x in vis_maps}
        vis_names = {n for m in self.maps for n in m.pids}
        allowed |= vis_names | offered_types
        out = []

        def raw_or_quoted(what, tok):
            if any(tok in a for a in allowed):
                out.append((what, json.dumps(tok)))
            else:
                out.append((what, tok))

        for rid, uri, _, _ in pol.universe():
            if rid not in vis_ids:
                raw_or_quoted("resource id", rid)
                raw_or_quoted("URI", uri)
        for n in sorted(self.all_names - vis_names):
            out.append(("PID", json.dumps(n)))
        vis_prefixes = {p for m in self.maps for p in m.prefixes()}
        all_prefixes = {p for m in pol.maps for p in m.prefixes()}
        for p in sorted(all_prefixes - vis_prefixes):
            out.append(("prefix", json.dumps(p)))
        vis_tags = {all_vtags[x] for x in vis_maps if x in all_vtags}
        for mid, tag in sorted(all_vtags.items()):
            if mid not in vis_maps and tag not in vis_tags:
                out.append(("vtag of %s" % mid, tag))
        all_types = {n for m in pol.maps for n in m.cost_type_names()}
        for n in sorted(all_types - offered_types):
            raw_or_quoted("cost type", n)
        metrics = {t["cost-metric"] for t in ird["meta"]["cost-types"].values()}
        for metric in sorted({x for m in pol.maps for x in m.costs} - metrics):
            raw_or_quoted("metric", metric)
        modes = {t["cost-mode"] for t in ird["meta"]["cost-types"].values()}
        for mode in sorted(set(iu.MODES) - modes):
            raw_or_quoted("cost mode", mode)
        for t in TENANTS + ("tenant-n",):
            if t != self.client:
                out.append(("client name", t))
        return out


# ---------------------------------------------------------------- identities

class Identity:
    def __init__(self, label, client, session):
        self.label = label
        self.client = client    # configured client name, or None (anonymous)
        self.session = session
        self.records = []       # (Req, Response, twin Response or None)


class IsolationMatrix(at.AltodTestCase):
    maxDiff = 6000

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="altodtest-iso-")
        cls.dir = cls._tmp.name
        cls.pki = iu.make_pki(cls.dir + "/pki")
        cls.clients = clients_yaml(cls.pki)
        write_tree(cls.dir, cls.pki, clients=cls.clients)
        cls.policy = make_policy(clients=cls.clients)
        cls.altod = at.Altod(cls.dir)
        try:
            cls.altod.start()
            cls.identities = cls.make_identities(cls.altod)
            for ident in cls.identities:
                cls.run_identity(ident)
        except BaseException:
            cls.altod.stop()
            cls._tmp.cleanup()
            raise
        finally:
            for ident in getattr(cls, "identities", []):
                ident.session.close()
        cls.requests = sum(i.session.sent for i in cls.identities)

    @classmethod
    def tearDownClass(cls):
        cls.altod.stop()
        cls._tmp.cleanup()

    @classmethod
    def make_identities(cls, a):
        pki = cls.pki
        hh, hp = iu.listener(a, "http")
        sh, sp = iu.listener(a, "https")

        def https(cert=None, auth=None, label=""):
            return iu.Session(sh, sp, "https", pki.client_context(cert), auth, label)

        def http(auth=None, label=""):
            return iu.Session(hh, hp, "http", None, auth, label)

        ids = [
            Identity("A certificate subject (HTTPS)", "tenant-a", https("client")),
            Identity("B Digest SHA-256 (HTTP)", "tenant-b",
                     http(iu.DigestAuth("tenant-b", PASSWORDS["tenant-b"], "SHA-256"))),
            Identity("C Digest MD5 (HTTP)", "tenant-c",
                     http(iu.DigestAuth("tenant-c", PASSWORDS["tenant-c"], "MD5"))),
            Identity("C Basic (HTTPS)", "tenant-c",
                     https(None, iu.BasicAuth("tenant-c", PASSWORDS["tenant-c"]))),
            Identity("D certificate SAN (HTTPS)", "tenant-d", https("tenantd")),
            Identity("E certificate SHA-256 (HTTPS)", "tenant-e", https("tenante")),
            Identity("anonymous (HTTP)", None, http()),
            Identity("anonymous (HTTPS)", None, https()),
            Identity("unconfigured certificate (HTTPS)", None, https("stranger")),
        ]
        for i in ids:
            i.session.label = i.label
        return ids

    @classmethod
    def run_identity(cls, ident):
        checker = Checker(None, cls.policy, ident.client)
        s = ident.session
        twins = {}
        plan = checker.plan()
        labels = [req.label for req in plan]
        assert len(labels) == len(set(labels)), "duplicate request labels"
        etags = {}
        for req in plan:
            h = req.headers()
            if h.get("If-None-Match") == ETAG_OF_PLAIN_GET:
                h["If-None-Match"] = etags.get(req.path, '"none"')
            r = s.request(req.method, req.path, req.body, h)
            if req.method == "GET" and r.status == 200 and "Accept-Encoding" not in h:
                etags[req.path] = r.header("ETag")
            tr = None
            if req.twin is not None:
                t = req.twin
                key = (t.method, t.path, t.body, t.ctype, tuple(sorted(t.extra.items())))
                if key not in twins:
                    twins[key] = s.request(t.method, t.path, t.body, t.headers())
                tr = twins[key]
            ident.records.append((req, r, tr))

    # ---- helpers

    def checker(self, ident):
        return Checker(self, self.policy, ident.client)

    def each_record(self, kinds=None):
        for ident in self.identities:
            for req, r, tr in ident.records:
                if kinds is None or req.expect in kinds:
                    yield ident, req, r, tr

    def all_vtags(self):
        """{map id: tag} of every map, as the identities that see it got
        it; fails if two answers disagree."""
        tags = {}
        for ident, req, r, tr in self.each_record(("ok", "same")):
            if r.status != 200 or not r.body.startswith(b"{"):
                continue
            doc = r.json()
            meta = doc.get("meta", {})
            vts = ([meta["vtag"]] if "vtag" in meta else []) + meta.get("dependent-vtags", [])
            for vt in vts:
                prev = tags.setdefault(vt["resource-id"], vt["tag"])
                self.assertEqual(prev, vt["tag"], "two vtags for %s (%s %s)" % (vt["resource-id"],
                                                                               ident.label, req.label))
        return tags

    # ---- the tests

    def test_matrix_size(self):
        """The matrix did reach every resource for every identity."""
        universe = {uri for _, uri, _, _ in self.policy.universe()}
        self.assertGreaterEqual(len(universe), 40)
        for ident in self.identities:
            with self.subTest(ident.label):
                paths = {req.path for req, _, _ in ident.records}
                self.assertLessEqual(universe, paths)
                methods = {req.method for req, _, _ in ident.records}
                self.assertEqual(methods, {"GET", "HEAD", "OPTIONS", "POST", "DELETE", "BREW"})
        self.assertGreater(self.requests, 1500)

    def test_directory_of_each_identity(self):
        """GET / lists exactly the identity's resources, cost types and
        default network map (computed from the policy)."""
        expected_defaults = {"tenant-a": "isp-core", "tenant-b": "view-bee", "tenant-c": "view-cee",
                             "tenant-d": "isp-alt", "tenant-e": "view-eff", None: "view-pub"}
        for ident in self.identities:
            with self.subTest(ident.label):
                req, r, _ = ident.records[0]
                self.assertEqual(req.path, "/")
                self.checker(ident).directory()(r)
                self.assertEqual(r.json()["meta"]["default-alto-network-map"], expected_defaults[ident.client])

    def test_expected_catalogs(self):
        """The model itself: a sanity check of what the other tests expect."""
        def ids(client):
            return set(self.policy.catalog(client)[1])
        self.assertEqual(ids("tenant-a"), set(ROLES["cdn"]) | {
            "view-gee", "view-gee-filtered-networkmap", "view-gee-num-hopcount", "view-gee-ord-hopcount",
            "view-gee-num-bw-available", "view-gee-ord-bw-available",
            "view-gee-filtered-costmap", "view-gee-endpoint-cost"})
        # RFC 9439's bw-available is shown to view-gee alone, ranked higher-is-better there
        self.assertEqual(self.policy.map_by_id["view-gee"].modes["bw-available"], set(iu.MODES))
        self.assertEqual([v for v in self.policy.map_by_id if "bw-available" in self.policy.map_by_id[v].modes],
                         ["isp-core", "view-gee"])
        self.assertEqual(iu.dense_ranks([125000, 12500000, 125000], iu.higher_is_better("bw-available")), [2, 1, 2])
        gee = self.policy.map_by_id["view-gee"]
        self.assertEqual(gee.pids["other"], ["0.0.0.0/0", "::/0", "10.1.0.0/16", "10.9.9.0/24"])
        self.assertEqual(gee.lookup("ipv4:10.1.2.9"), "PID4")
        self.assertEqual(gee.lookup("ipv4:10.1.3.9"), "other")
        self.assertEqual(gee.lookup("ipv4:172.16.0.9"), "other")
        self.assertEqual(gee.lookup("ipv4:172.16.5.9"), "PID4")
        self.assertEqual(ids("tenant-b"), {"view-bee", "view-bee-filtered-networkmap", "view-bee-ord-routingcost",
                                           "view-bee-filtered-costmap", "view-bee-endpoint-cost",
                                           "endpoint-property"})
        self.assertEqual(ids("tenant-d"), set(ROLES["alt"]) | {"view-dee", "view-dee-filtered-networkmap",
                                                              "endpoint-property"})
        self.assertEqual(ids(None), {"view-pub", "view-pub-filtered-networkmap", "view-pub-num-hopcount",
                                     "view-pub-filtered-costmap", "view-pub-endpoint-cost", "endpoint-property"})
        bee = self.policy.map_by_id["view-bee"]
        self.assertEqual(bee.pids["elsewhere"], ["0.0.0.0/0", "::/0", "10.1.2.0/24", "10.9.9.0/24"])
        cee = self.policy.map_by_id["view-cee"]
        self.assertEqual(iu.sorted_prefixes(cee.pids["other"]),
                         ["0.0.0.0/0", "10.1.2.0/24", "172.16.5.0/24", "::/0", "2001:db8:1::/48",
                          "2001:db8:8::/48"])
        eff = self.policy.map_by_id["view-eff"]
        self.assertEqual(eff.pids["other"], ["100.64.0.0/10"])  # ALT-ANY holds both /0
        pub = self.policy.map_by_id["view-pub"]
        self.assertEqual(pub.pids["rest"], ["0.0.0.0/0", "::/0", "198.51.100.128/25"])
        for n in bee.pids:
            if n != "elsewhere":
                self.assertRegex(n, r"^p[0-9a-f]{16}$")

    def test_own_answers_are_right(self):
        """Every answer to a visible resource: computed independently from
        the maps (view PIDs and catch-all prefixes, costs, ordinal ranks,
        longest-prefix matches, vtag structure), and the HTTP-level answers
        (405 with Allow, 204 OPTIONS, HEAD)."""
        for ident in self.identities:
            checker = self.checker(ident)
            plan = {req.label: req for req in checker.plan()}
            for req, r, tr in ident.records:
                if req.expect not in ("ok", "same", "error"):
                    continue
                with self.subTest(identity=ident.label, request=req.label):
                    plan[req.label].check(r)

    def test_head_like_get(self):
        for ident in self.identities:
            gets = {req.path: r for req, r, _ in ident.records
                    if req.expect == "ok" and req.method == "GET" and req.label.startswith("GET ")
                    and not req.extra}
            for req, r, _ in ident.records:
                if req.expect == "ok" and req.method == "HEAD":
                    with self.subTest(identity=ident.label, request=req.label):
                        self.assertEqual(r.body, b"")
                        self.assertEqual(iu.normalized(r)[:3], iu.normalized(gets[req.path])[:3])

    def test_hidden_resources_answer_like_nonexistent_ones(self):
        """GET, HEAD, OPTIONS and POST to a resource the identity may not
        see: status, every header but Date, and body exactly as for a
        resource that does not exist. 404 for clients; for anonymous
        requests a 401 with the Digest challenges (nonces masked: each
        challenge has a fresh one), algorithms spelt as RFC 7616 spells them."""
        for ident, req, r, tr in self.each_record(("hidden",)):
            with self.subTest(identity=ident.label, request=req.label):
                self.assertEqual(iu.normalized(r), iu.normalized(tr))
                if ident.client is None:
                    self.assertEqual(r.status, 401, r)
                    algs = [c.get("algorithm") for c in iu.parse_challenges(r.header_all("WWW-Authenticate"))]
                    self.assertEqual(algs[:2], ["SHA-256", "MD5"], r)
                else:
                    self.assertEqual(r.status, 404, r)
                    self.assertEqual(r.header("WWW-Authenticate"), None)

    def test_foreign_filters_answer_like_undefined_pids(self):
        """A filter naming only other views' PIDs (base names, opaque names,
        catch-alls) answers byte for byte like one naming an undefined PID."""
        n = 0
        for ident, req, r, tr in self.each_record(("same",)):
            with self.subTest(identity=ident.label, request=req.label):
                self.assertEqual((r.status, r.content_type, r.body), (tr.status, tr.content_type, tr.body))
                n += 1
        self.assertGreater(n, 20)

    def test_hidden_cost_types_and_properties_are_unknown(self):
        """A cost type the identity's resource does not offer, or the pid
        property of a map it does not see, gets the error of a nonexistent
        one: E_INVALID_FIELD_VALUE, the same field, echoing only the value
        the client sent."""
        n = 0
        for ident, req, r, tr in self.each_record(("error",)):
            with self.subTest(identity=ident.label, request=req.label):
                d, t = r.json(), tr.json()
                self.assertEqual(r.status, tr.status)
                self.assertEqual(d["meta"]["value"], req.echo)
                self.assertIn(req.echo.encode(), req.body)
                d["meta"].pop("value")
                t["meta"].pop("value")
                self.assertEqual(d, t)
                self.assertEqual([h for h in iu.normalized(r)[2] if h[0] != "content-length"],
                                 [h for h in iu.normalized(tr)[2] if h[0] != "content-length"])
                if req.swap:
                    # a cost type: byte for byte the answer to a type no map has
                    tok, echo = (json.dumps(x).encode() for x in req.swap)
                    status, reason, headers, body = iu.normalized(tr)
                    self.assertIn(tok, body)
                    self.assertEqual(iu.normalized(r), (status, reason, headers, body.replace(tok, echo)))
                n += 1
        self.assertGreater(n, 20)

    def test_cost_type_matrix(self):
        """Every cost type of the server (metric x mode) at every map, for
        every identity, through every service: GET cost map, POST filtered
        cost map, POST endpoint cost, and the directory (the services'
        cost-type-names, meta cost-types). A type is served (200, answers
        checked by test_own_answers_are_right) and listed exactly when the
        identity's roles grant its cost map (a view brings all of its own);
        otherwise it answers byte for byte like an unknown type, or like a
        missing resource where the service is not offered, and is listed
        nowhere. Issue 10 §2: a cdn-like role (some cost maps, plus the
        filtered cost map and endpoint cost) got every type of the map."""
        metrics = sorted({x for m in self.policy.maps for x in m.costs})
        keys = {(m.id, metric, mode, svc) for m in self.policy.maps for metric in metrics
                for mode in iu.MODES for svc in SERVICES}
        counts = {"granted": 0, "unknown type": 0, "missing resource": 0}
        for ident in self.identities:
            got = {}
            for req, r, tr in ident.records:
                if req.tkey is not None:
                    self.assertNotIn(req.tkey, got)
                    got[req.tkey] = (req, r, tr)
            self.assertEqual(set(got), keys, ident.label)
            ird = ident.records[0][1].json()
            listed = set()
            offered = self.policy.catalog(ident.client)[1]
            for m in self.policy.maps:
                types = self.policy.cost_types(ident.client, m)
                for metric in metrics:
                    for mode in iu.MODES:
                        name = iu.type_name(metric, mode)
                        ids = {"get": "%s-%s-%s" % (m.id, name[:3], metric),
                               "fcostmap": "%s-filtered-costmap" % m.id, "ecost": "%s-endpoint-cost" % m.id}
                        for svc in SERVICES:
                            granted = mode in types.get(metric, ()) and ids[svc] in offered
                            req, r, tr = got[(m.id, metric, mode, svc)]
                            entry = ird["resources"].get(ids[svc])
                            names = entry["capabilities"]["cost-type-names"] if entry else []
                            with self.subTest(identity=ident.label, map=m.id, type=name, service=svc):
                                self.assertEqual(name in names, granted, names)
                                if granted:
                                    listed.add(name)
                                    self.assertEqual((r.status, req.expect), (200, "ok"), r)
                                    counts["granted"] += 1
                                    continue
                                self.assertNotEqual(r.status, 200, r)
                                if req.expect == "error":  # the service is there: the type is unknown to it
                                    self.assertIsNotNone(entry)
                                    self.assertEqual(r.status, 400, r)
                                    tok, echo = (json.dumps(x).encode() for x in req.swap)
                                    status, reason, headers, body = iu.normalized(tr)
                                    self.assertEqual(iu.normalized(r),
                                                     (status, reason, headers, body.replace(tok, echo)))
                                    counts["unknown type"] += 1
                                else:  # not offered to this identity: a missing resource
                                    self.assertEqual(req.expect, "hidden")
                                    self.assertIsNone(entry)
                                    self.assertEqual(iu.normalized(r), iu.normalized(tr))
                                    counts["missing resource"] += 1
            with self.subTest(identity=ident.label, what="meta cost-types"):
                self.assertEqual(set(ird["meta"]["cost-types"]), listed)
        # every outcome occurs, also the issue's: the service there, the type not granted
        self.assertGreater(counts["granted"], 50, counts)
        self.assertGreater(counts["unknown type"], 20, counts)
        self.assertGreater(counts["missing resource"], 500, counts)

    def test_partial_grants_in_the_fixture(self):
        """The fixture holds the cases of issue 10 §2: tenant-a is granted
        two of isp-core's six cost types and its filtered cost map and
        endpoint cost; tenant-d none of isp-alt's tput types but its
        filtered cost map and endpoint cost."""
        core, alt = self.policy.map_by_id["isp-core"], self.policy.map_by_id["isp-alt"]
        self.assertEqual(self.policy.cost_types("tenant-a", core),
                         {"routingcost": {iu.NUMERICAL}, "hopcount": {iu.ORDINAL}})
        self.assertEqual(core.modes, {"routingcost": set(iu.MODES), "hopcount": set(iu.MODES),
                                      "bw-available": set(iu.MODES)})
        self.assertEqual(self.policy.cost_types("tenant-d", alt), {"routingcost": set(iu.MODES)})
        self.assertIn("tput", alt.modes)
        for client, m in (("tenant-a", core), ("tenant-d", alt)):
            res = self.policy.catalog(client)[1]
            self.assertIn("%s-filtered-costmap" % m.id, res)
            self.assertIn("%s-endpoint-cost" % m.id, res)

    def test_nothing_outside_the_view_appears(self):
        """No answer of an identity (status line, headers, body) holds a
        resource id or URI it may not see, a PID name of another view or a
        hidden base PID, a hidden prefix (only the catch-all's may show), a
        vtag of another map, a cost type, metric or mode it is not offered,
        or another tenant's name. Error values are exempt only when they
        echo what the client sent."""
        vtags = self.all_vtags()
        for ident in self.identities:
            tokens = self.checker(ident).forbidden(vtags)
            self.assertTrue(tokens)
            for req, r, _ in ident.records:
                text = self.answer_text(req, r)
                leaks = [(what, tok) for what, tok in tokens if tok in text]
                with self.subTest(identity=ident.label, request=req.label):
                    self.assertEqual(leaks, [], text[:600])

    def answer_text(self, req, r):
        body = r.body
        if r.header("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if r.status == 400 and r.content_type == MT_ERROR:
            doc = r.json()
            v = doc["meta"].get("value")
            if v is not None and req.body is not None and json.dumps(v).encode() in req.body:
                doc["meta"].pop("value")  # an echo of what was sent
            body = json.dumps(doc).encode()
        head = "HTTP/1.1 %d %s\r\n" % (r.status, r.reason)
        head += "".join("%s: %s\r\n" % (k, v) for k, v in r.headers)
        return head + body.decode("latin-1")

    def test_every_answer_is_private(self):
        """Cache-Control: private and Vary: Authorization on every answer
        (200, 204, 304, 400, 401, 404, 405)."""
        statuses = set()
        for ident, req, r, tr in self.each_record():
            statuses.add(r.status)
            with self.subTest(identity=ident.label, request=req.label):
                self.assertEqual(r.header_all("Cache-Control"), ["private"], r)
                self.assertIn("Authorization", iu.vary_fields(r), r)
        self.assertLessEqual({200, 204, 304, 400, 401, 404, 405}, statuses)

    def test_same_client_same_answers_on_both_listeners(self):
        """tenant-c by Digest MD5 over HTTP and by Basic over HTTPS, and the
        three anonymous identities, get byte-identical answers."""
        by_label = {i.label: i for i in self.identities}
        for a_label, b_label in (("C Digest MD5 (HTTP)", "C Basic (HTTPS)"),
                                 ("anonymous (HTTPS)", "unconfigured certificate (HTTPS)")):
            a, b = by_label[a_label], by_label[b_label]
            self.assertEqual([q.label for q, _, _ in a.records], [q.label for q, _, _ in b.records])
            for (req, ra, _), (_, rb, _) in zip(a.records, b.records):
                with self.subTest(pair=(a_label, b_label), request=req.label):
                    self.assertEqual(iu.normalized(ra, uri_base=True), iu.normalized(rb, uri_base=True))
        a, b = by_label["anonymous (HTTP)"], by_label["anonymous (HTTPS)"]
        for (req, ra, _), (_, rb, _) in zip(a.records, b.records):
            with self.subTest(pair="anonymous HTTP/HTTPS", request=req.label):
                self.assertEqual((ra.status, at.without_uri_base(ra.body)), (rb.status, at.without_uri_base(rb.body)))

    def test_union_of_roles_serves_the_same_views(self):
        """tenant-e holds the roles of tenant-b and tenant-c (and eff): the
        views' GET resources are byte-identical for all of them."""
        by_label = {i.label: i for i in self.identities}
        e = {req.path: r for req, r, _ in by_label["E certificate SHA-256 (HTTPS)"].records
             if req.method == "GET" and req.expect == "ok" and req.path != "/" and not req.extra}
        n = 0
        for other in ("B Digest SHA-256 (HTTP)", "C Digest MD5 (HTTP)"):
            for req, r, _ in by_label[other].records:
                if req.method == "GET" and req.expect == "ok" and r.status == 200 and req.path != "/" \
                        and not req.extra:
                    with self.subTest(other=other, request=req.label):
                        self.assertEqual(e[req.path].body, r.body)
                        n += 1
        self.assertGreaterEqual(n, 5)

    def test_vtags_are_per_view(self):
        """Every view's tag differs from every other view's (also over the
        same network map) and from every base map's."""
        tags = self.all_vtags()
        maps = {m.id for m in self.policy.maps} - {"view-unused"}
        self.assertEqual(set(tags), maps)
        self.assertEqual(len(set(tags.values())), len(tags), tags)

    def test_audit_lines_and_no_addresses(self):
        """One audit line per request, with the right client (name, anonymous,
        ? for the Digest probes' bad credentials); no endpoint address and no
        request body ever reaches the log."""
        expected = {}
        for ident in self.identities:
            name = ident.client or "anonymous"
            expected[name] = expected.get(name, 0) + ident.session.sent - ident.session.probes
            expected["?"] = expected.get("?", 0) + ident.session.probes
        lines = iu.wait_for_count(self.altod, r" audit: ", self.requests, timeout=10 * at.SLOWDOWN)
        self.assertEqual(len(lines), self.requests)
        got = {}
        for ln in lines:
            m = iu.AUDIT_RE.search(ln)
            self.assertIsNotNone(m, ln)
            got[m.group(1)] = got.get(m.group(1), 0) + 1
        self.assertEqual(got, expected)
        log = self.altod.stderr()
        self.assertEqual(iu.addresses_in(log, ENDPOINTS), [])
        for marker in ("srcs", "dsts", "properties", "pids", "cost-type", "address-types"):
            self.assertNotIn(marker, log)


class OpaqueNamesAndTags(at.AltodTestCase):
    """The names and tags of views across restarts and secrets."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="altodtest-iso2-")
        cls.pki = iu.make_pki(cls._tmp.name + "/pki")

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def everything(self, secret, views=VIEWS):
        """Starts altod (HTTP only) with tenant-n holding every role (and
        `views`); returns {map id: (vtag, PID names)} and the session."""
        roles = dict(ROLES)
        twins = [v for v in views if v.startswith("twin")]
        if twins:
            roles["twins"] = twins
        clients = {"tenant-n": {"password": iu.password_entry("tenant-n", PASSWORDS["tenant-n"]),
                                "roles": sorted(roles)}}
        d = at.make_tree(self, {})
        at.write_files(d, {
            "maps/iso.yaml": iu.maps_yaml(BASES),
            "altod.yaml": iu.server_yaml(self.pki, https=False) + iu.access_yaml(
                secret=secret, clients=clients, roles=roles, views=views, anonymous_role="public"),
        })
        a = at.start_altod_in(self, d)
        s = iu.Session(*iu.listener(a, "http"), auth=iu.DigestAuth("tenant-n", PASSWORDS["tenant-n"]))
        self.addCleanup(s.close)
        out = {}
        for mid in [m.id for m in BASES] + list(views):
            r = s.get("/networkmap/%s" % mid)
            doc = self.assertOk(r, MT_NETWORKMAP)
            out[mid] = (doc["meta"]["vtag"]["tag"], sorted(doc["network-map"]))
        return out, a

    def test_stable_across_restarts_and_keyed_by_the_secret(self):
        twins = {"twin-1": {"network-map": "isp-core", "pids": ["PID3"]},
                 "twin-2": {"network-map": "isp-core", "pids": ["PID3"]}}
        views = dict(VIEWS, **twins)
        first, a1 = self.everything(SECRET, views)
        a1.stop()
        again, a2 = self.everything(SECRET, views)
        a2.stop()
        other, _ = self.everything(OTHER_SECRET, views)
        policy = make_policy()
        # the same secret: the same names and tags after a restart
        self.assertEqual(first, again)
        for vid in VIEWS:
            with self.subTest(view=vid):
                self.assertEqual(first[vid][1], sorted(policy.map_by_id[vid].pids))
                # another secret: other tags, other opaque names, the same plain names
                self.assertNotEqual(other[vid][0], first[vid][0])
                if VIEWS[vid].get("opaque-pids"):
                    self.assertEqual(set(first[vid][1]) & set(other[vid][1]), {VIEWS[vid].get("catch-all", "other")})
                else:
                    self.assertEqual(other[vid][1], first[vid][1])
        for b in BASES:
            self.assertEqual(other[b.id], first[b.id])  # base tags do not depend on the secret
        # two views with the same content have unlinkable tags
        self.assertEqual(first["twin-1"][1], first["twin-2"][1])
        self.assertNotEqual(first["twin-1"][0], first["twin-2"][0])
        tags = [t for t, _ in first.values()]
        self.assertEqual(len(set(tags)), len(tags))

    def test_unused_view_never_shows(self):
        """view-unused (granted to a role no client has) exists, with its own
        tag, but no tenant of the matrix configuration can reach it."""
        first, _ = self.everything(SECRET)
        self.assertIn("view-unused", first)
        d = at.make_tree(self, {})
        write_tree(d, self.pki, clients=clients_yaml(self.pki), https=False)
        a = at.start_altod_in(self, d)
        for user in ("tenant-b", "tenant-c"):
            s = iu.Session(*iu.listener(a, "http"), auth=iu.DigestAuth(user, PASSWORDS[user]))
            self.addCleanup(s.close)
            for path in ("/", "/networkmap/view-unused", "/costmap/view-unused/tput/ordinal"):
                r = s.get(path)
                self.assertNotIn(b"view-unused", r.body)
                self.assertNotIn(first["view-unused"][0].encode(), r.body)
                if path != "/":
                    self.assertEqual(r.status, 404)

    def test_opaque_names_are_keyed_hashes_of_the_base_names(self):
        """Opaque names: "p" + 16 hex digits of an HMAC of the base name under
        the view's key (derived from the secret and the view id), so the
        same PID has unrelated names in two views."""
        first, _ = self.everything(SECRET)
        for vid, spec in VIEWS.items():
            if not spec.get("opaque-pids"):
                continue
            with self.subTest(view=vid):
                want = sorted([iu.opaque_name(SECRET, vid, p) for p in spec["pids"]] + [spec["catch-all"]])
                self.assertEqual(first[vid][1], want)
        self.assertNotEqual(iu.opaque_name(SECRET, "view-bee", "PID2"), iu.opaque_name(SECRET, "view-dee", "PID2"))


if __name__ == "__main__":
    unittest.main()

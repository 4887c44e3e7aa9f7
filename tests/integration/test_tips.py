"""TIPS (RFC 9569) against the real altod.

- A follower opens a TIPS view for every network and cost map of three
  identities (two tenants over Digest, one seeing views only, and the
  anonymous role), follows 30 reloads with random changes (PIDs added and
  removed, prefixes moved, costs changed, a view's PIDs changed) through
  the updates graph, applies every patch with independent code (Debian's
  python3-jsonpatch for RFC 6902, the RFC 7396 §2 algorithm below), and
  checks its copy against a fresh GET of the resource and its tag against
  the server's; changes a view does not show make no version of it.
- Every error path (§6.2, §7.2, §7.4) and limit; views belong to who
  opened them (anyone else gets the bytes of a view that never existed).
- Long polls: answered by a reload, by poll-timeout (204), and at SIGTERM.
- Two replicas behind HAProxy round-robin, and a restart on the first
  maps: each process numbers its own history, a view is unknown (404) at
  another process, and a client that reopens with its tag gets a patch from
  its own version where that history holds its tag, else the full
  resource: never a patch of another numbering on its copy.
"""

import copy
import json
import os
import random
import re
import signal
import tempfile
import threading
import time
import unittest
import urllib.parse

import jsonpatch

import altodtest as at
import isoutil as iu
from test_replicas import Haproxy

SECRET = "tips-test-secret-0123456789"
PW = {"tenant-a": "a-password", "tenant-b": "b-password"}
NM = "net"
COST_KINDS = [NM + "-num-routingcost", NM + "-ord-routingcost", NM + "-num-hopcount", NM + "-ord-hopcount"]
MAPS_MEDIA = "%s, %s" % (at.MT_NETWORKMAP, at.MT_COSTMAP)
ACCEPT_MERGE = "%s, %s, %s" % (MAPS_MEDIA, at.MT_MERGE_PATCH, at.MT_ERROR)
ACCEPT_BOTH = "%s, %s, %s, %s" % (MAPS_MEDIA, at.MT_MERGE_PATCH, at.MT_JSON_PATCH, at.MT_ERROR)
ACCEPT_JSON_PATCH = "%s, %s, %s" % (MAPS_MEDIA, at.MT_JSON_PATCH, at.MT_ERROR)
OPEN_HEADERS = {"Accept": "%s, %s" % (at.MT_TIPS, at.MT_ERROR)}


def merge_patch(target, patch):
    """RFC 7396 §2, as written there."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    target = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = merge_patch(target.get(name), value)
    return target


# ---------------------------------------------------------------- the maps

class World:
    """Random maps: PIDs p0.. with /24s, two metrics; p0-p2 are view-a's
    and never go; view-b's PIDs change."""

    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.next_net = 0
        self.pids = {}
        for i in range(7):
            self.pids["p%d" % i] = [self.fresh(), self.fresh()]
        self.npid = 7
        self.costs = {"routingcost": {}, "hopcount": {}}
        for metric in self.costs:
            for a in self.pids:
                for b in self.pids:
                    self.costs[metric][(a, b)] = self.rnd.randint(1, 99)
        self.view_b = ["p3", "p4"]
        self.grants_b = [NM] + COST_KINDS + ["view-b"]

    def fresh(self):
        self.next_net += 1
        return "10.%d.%d.0/24" % (self.next_net // 256, self.next_net % 256)

    def outside(self):
        return sorted(p for p in self.pids if p not in ("p0", "p1", "p2"))

    def change(self, kind):
        r = self.rnd
        if kind == "add-pid":
            p = "p%d" % self.npid
            self.npid += 1
            self.pids[p] = [self.fresh()]
            for metric in self.costs:
                for q in list(self.pids):
                    self.costs[metric][(p, q)] = r.randint(1, 99)
                    self.costs[metric][(q, p)] = r.randint(1, 99)
        elif kind == "remove-pid":
            cands = [p for p in self.outside() if p not in self.view_b]
            if len(cands) < 2:
                return self.change("add-pid")
            p = r.choice(cands)
            del self.pids[p]
            for metric in self.costs:
                self.costs[metric] = {k: v for k, v in self.costs[metric].items() if p not in k}
        elif kind in ("move-prefix", "hidden-move"):
            pool = self.outside() if kind == "hidden-move" else sorted(self.pids)
            src = r.choice([p for p in pool if len(self.pids[p]) > 1] or pool)
            dst = r.choice([p for p in pool if p != src])
            if len(self.pids[src]) > 1:
                pfx = r.choice(self.pids[src])
                self.pids[src].remove(pfx)
                self.pids[dst].append(pfx)
            else:
                self.pids[dst].append(self.fresh())
        elif kind in ("costs", "hidden-costs"):
            pool = self.outside() if kind == "hidden-costs" else sorted(self.pids)
            for _ in range(r.randint(1, 4)):
                metric = r.choice(sorted(self.costs))
                self.costs[metric][(r.choice(pool), r.choice(pool))] = r.randint(1, 99)
        elif kind == "view-pids":
            self.view_b = sorted(r.sample(sorted(self.pids), r.randint(2, 4)))
        else:
            raise ValueError(kind)

    def maps_yaml(self):
        lines = ["network-maps:", "  %s:" % NM, "    default: true", "    pids:"]
        for p in sorted(self.pids):
            lines.append("      %s: {ipv4: [%s]}" % (p, ", ".join(sorted(self.pids[p]))))
        lines += ["cost-maps:", "  %s:" % NM]
        for metric in sorted(self.costs):
            lines.append("    %s:" % metric)
            for a in sorted(self.pids):
                row = ", ".join("%s: %d" % (b, self.costs[metric][(a, b)]) for b in sorted(self.pids))
                lines.append("      %s: {%s}" % (a, row))
        return "\n".join(lines) + "\n"

    def access_yaml(self):
        return iu.access_yaml(
            secret=SECRET, anonymous_role="pub", extra={"auth-failures": iu.NO_AUTH_THROTTLE},
            clients={"tenant-a": {"password": iu.password_entry("tenant-a", PW["tenant-a"]), "roles": ["ra"]},
                     "tenant-b": {"password": iu.password_entry("tenant-b", PW["tenant-b"]), "roles": ["rb"]}},
            roles={"pub": [NM], "ra": ["view-a"], "rb": self.grants_b},
            views={"view-a": {"network-map": NM, "pids": ["p0", "p1", "p2"], "costs": {"routingcost": ["numerical"]}},
                   "view-b": {"network-map": NM, "pids": self.view_b}})


def config(world, updates=None, limits=None):
    upd = {"max-versions": 64}
    upd.update(updates or {})
    return (iu.server_yaml(None, https=False, limits=limits, maps=("maps/net.yaml",)) +
            "updates:\n" + "".join("  %s: %s\n" % kv for kv in upd.items()) + world.access_yaml())


def write_world(directory, world, updates=None, limits=None):
    at.write_files(directory, {"maps/net.yaml": world.maps_yaml(), "altod.yaml": config(world, updates, limits)})


def start_world(tc, world, updates=None, limits=None):
    d = tempfile.TemporaryDirectory(prefix="altodtest-tips-")
    tc.addCleanup(d.cleanup)
    write_world(d.name, world, updates, limits)
    return at.start_altod_in(tc, d.name)


def session(tc, a, who=None):
    auth = iu.DigestAuth(who, PW[who]) if who else None
    s = iu.Session(*iu.listener(a, "http"), auth=auth, label=who or "anonymous")
    tc.addCleanup(s.close)
    return s


def view_path(open_response):
    return urllib.parse.urlsplit(open_response.json()["tips-view-uri"]).path


def open_view(s, rid, tag=None):
    body = {"resource-id": rid}
    if tag is not None:
        body["tag"] = tag
    return s.post("/tips", body, at.MT_TIPSPARAMS, headers=OPEN_HEADERS)


def next_edge(s, path, tag=None):
    return s.post(path + "/ug", {"tag": tag} if tag else {}, at.MT_TIPSPARAMS, headers=OPEN_HEADERS)


def polls_waiting(a):
    """Asks for SIGUSR1 statistics: the number of long polls waiting."""
    mark = a.log_count()
    a.send_signal(signal.SIGUSR1)
    line = a.wait_for_log(r"TIPS: \d+ views held, \d+ long polls waiting", after=mark)
    return int(re.search(r"(\d+) long polls waiting", line).group(1))


def wait_polls(a, n):
    deadline = time.monotonic() + 20 * at.SLOWDOWN
    while polls_waiting(a) != n:
        if time.monotonic() > deadline:
            raise AssertionError("never %d long polls waiting" % n)
        time.sleep(0.05)


# ---------------------------------------------------------------- the follower

class Follower:
    """One identity following every map TIPS covers for it."""

    def __init__(self, tc, s, accept, only=None):
        self.tc, self.s, self.accept = tc, s, accept
        ird = s.get("/").json()
        self.uris = {rid: e["uri"] for rid, e in ird["resources"].items()}
        self.views = {}
        self.media_seen = set()
        for rid in ird["resources"]["tips"]["uses"]:
            if only is None or only(rid, ird["resources"][rid]):
                self.open(rid)

    def open(self, rid):
        r = open_view(self.s, rid)
        self.tc.assertEqual((r.status, r.content_type), (200, at.MT_TIPS), r)
        summary = r.json()["tips-view-summary"]["updates-graph-summary"]
        end = summary["end-seq"]
        self.tc.assertEqual(summary["start-edge-rec"], {"seq-i": 0, "seq-j": end})
        self.tc.assertLessEqual(summary["start-seq"], end)
        path = view_path(r)
        e = self.s.get("%s/ug/0/%d" % (path, end), headers={"Accept": self.accept})
        self.tc.assertEqual(e.status, 200, e)
        self.views[rid] = {"path": path, "seq": end, "doc": e.json(), "media": e.content_type}

    def catch_up(self):
        """Fetches and applies every edge up to each view's end-seq:
        {rid: edges applied}."""
        steps = {}
        for rid, v in self.views.items():
            r = next_edge(self.s, v["path"])
            self.tc.assertEqual(r.status, 200, (rid, r))
            end = r.json()["end-seq"]
            self.tc.assertGreaterEqual(end, v["seq"])
            n = 0
            while v["seq"] < end:
                e = self.s.get("%s/ug/%d/%d" % (v["path"], v["seq"], v["seq"] + 1), headers={"Accept": self.accept})
                self.tc.assertEqual(e.status, 200, (rid, v["seq"], e))
                patch = e.json()
                self.media_seen.add(e.content_type)
                if e.content_type == at.MT_MERGE_PATCH:
                    v["doc"] = merge_patch(v["doc"], patch)
                elif e.content_type == at.MT_JSON_PATCH:
                    v["doc"] = jsonpatch.apply_patch(v["doc"], patch)
                else:
                    raise AssertionError("edge of %s in %s" % (rid, e.content_type))
                v["seq"] += 1
                n += 1
            steps[rid] = n
        return steps

    def check(self):
        for rid, v in self.views.items():
            fresh = self.s.get(self.uris[rid])
            self.tc.assertEqual(fresh.status, 200)
            self.tc.assertEqual(v["doc"], fresh.json(), rid)
            # the tag of our version: a network map's vtag, a cost map's ETag
            if fresh.content_type == at.MT_NETWORKMAP:
                tag = v["doc"]["meta"]["vtag"]["tag"]
            else:
                tag = fresh.header("ETag").strip('"')
            r = next_edge(self.s, v["path"], tag)
            self.tc.assertEqual(r.json()["start-edge-rec"], {"seq-i": v["seq"], "seq-j": v["seq"] + 1},
                                "%s: the server's end-seq is not our version" % rid)

    def seqs(self):
        return {rid: v["seq"] for rid, v in self.views.items()}


class TestFollower(at.AltodTestCase):
    def test_thirty_reloads(self):
        world = World(12)
        a = start_world(self, world)
        fa = Follower(self, session(self, a, "tenant-a"), ACCEPT_MERGE)
        fb = Follower(self, session(self, a, "tenant-b"), ACCEPT_BOTH)
        fj = Follower(self, session(self, a, "tenant-b"), ACCEPT_JSON_PATCH,
                      only=lambda rid, e: e["media-type"] == at.MT_COSTMAP)
        fp = Follower(self, session(self, a), ACCEPT_MERGE)
        self.assertEqual(set(fa.views), {"view-a", "view-a-num-routingcost"})
        self.assertEqual(set(fb.views), {NM, "view-b"} | set(COST_KINDS) |
                         {"view-b" + k[len(NM):] for k in COST_KINDS})
        self.assertEqual(set(fp.views), {NM})
        followers = (fa, fb, fj, fp)
        kinds = ["add-pid", "remove-pid", "move-prefix", "costs", "view-pids", "hidden-costs", "hidden-move"]
        rnd = random.Random(5)
        changed = 0
        for step in range(30):
            kind = kinds[step % len(kinds)] if step < len(kinds) else rnd.choice(kinds)
            before_a = fa.seqs()
            world.change(kind)
            write_world(a.dir, world)
            a.reload()
            steps = {}
            for f in followers:
                steps[id(f)] = f.catch_up()
                f.check()
            if kind.startswith("hidden"):
                # a change view-a does not show makes no version of it
                self.assertEqual(fa.seqs(), before_a, (step, kind))
            changed += sum(steps[id(fb)].values())
        self.assertGreater(changed, 30)
        self.assertEqual(fa.media_seen, {at.MT_MERGE_PATCH})
        self.assertEqual(fj.media_seen, {at.MT_JSON_PATCH})
        self.assertIn(at.MT_MERGE_PATCH, fb.media_seen)


# ---------------------------------------------------------------- errors

def triple(r):
    return (r.status, r.content_type, r.body)


class TestErrors(at.AltodTestCase):
    def setUp(self):
        self.world = World(3)
        self.a = start_world(self, self.world, {"max-versions": 2})
        self.s = session(self, self.a, "tenant-b")

    def reload_costs(self):
        self.world.change("costs")
        self.world.costs["routingcost"][("p0", "p1")] += 100  # the cost map surely changes
        write_world(self.a.dir, self.world, {"max-versions": 2})
        self.a.reload()

    def test_open_errors(self):
        s = self.s

        def err(r):
            self.assertEqual((r.status, r.content_type), (400, at.MT_ERROR), r)
            return r.json()["meta"]

        self.assertEqual(err(s.post("/tips", "{", at.MT_TIPSPARAMS))["code"], "E_SYNTAX")
        self.assertEqual(err(s.post("/tips", "[]", at.MT_TIPSPARAMS))["code"], "E_SYNTAX")
        self.assertEqual(err(s.post("/tips", {}, at.MT_TIPSPARAMS)),
                         {"code": "E_MISSING_FIELD", "field": "resource-id"})
        self.assertEqual(err(s.post("/tips", {"resource-id": 7}, at.MT_TIPSPARAMS)),
                         {"code": "E_INVALID_FIELD_TYPE", "field": "resource-id"})
        self.assertEqual(err(s.post("/tips", {"resource-id": NM, "tag": 1}, at.MT_TIPSPARAMS)),
                         {"code": "E_INVALID_FIELD_TYPE", "field": "tag"})
        # not a map, no such resource, and a map not granted: alike (§6.2)
        for rid in ("endpoint-property", "nope", "view-a", "view-a-num-routingcost", NM + "-filtered-costmap"):
            self.assertEqual(err(open_view(s, rid)),
                             {"code": "E_INVALID_FIELD_VALUE", "field": "resource-id", "value": rid})
        self.assertEqual(s.post("/tips", {"resource-id": NM}, "application/json").status, 415)
        self.assertEqual(s.get("/tips").status, 405)
        # a tag the server does not have: the full resource first
        r = open_view(s, NM, tag="0" * 64)
        self.assertEqual(r.json()["tips-view-summary"]["updates-graph-summary"]["start-edge-rec"],
                         {"seq-i": 0, "seq-j": 1})

    def test_edge_errors(self):
        s = self.s
        cm = COST_KINDS[0]
        tag0 = s.get(self.uris(cm)).header("ETag").strip('"')
        path = view_path(open_view(s, cm))
        for _ in range(3):
            self.reload_costs()
        r = next_edge(s, path)
        g = r.json()
        self.assertEqual((g["start-seq"], g["end-seq"]), (3, 4))  # max-versions 2 keeps 3 and 4

        def code(uri, accept=ACCEPT_BOTH, method="GET"):
            return s.request(method, path + uri, headers={"Accept": accept})

        self.assertEqual(code("/ug/0/4").status, 200)
        self.assertEqual(code("/ug/0/4").content_type, at.MT_COSTMAP)
        self.assertEqual(code("/ug/3/4").status, 200)
        for uri, status in (("/ug/1/2", 410), ("/ug/2/3", 410), ("/ug/0/2", 410), ("/ug/0/3", 404),
                            ("/ug/3/3", 404), ("/ug/4/3", 404), ("/ug/3/5", 404), ("/ug/4/6", 425),
                            ("/ug/9/10", 425), ("/ug/03/4", 404), ("/ug/3/-4", 404), ("/ug", 405),
                            ("/ug/3", 404), ("", 404), ("/other", 404), ("/ug/3/4/5", 404),
                            ("/ug/99999999999999999999/1", 404)):
            r = code(uri)
            self.assertEqual((r.status, r.content_type), (status, at.MT_ERROR if status != 405 else
                                                          "text/plain; charset=utf-8"), (uri, r))
        # §7.2: 415 when the client takes no media type of the edge
        self.assertEqual(code("/ug/3/4", accept=at.MT_COSTMAP).status, 415)
        self.assertEqual(code("/ug/0/4", accept=at.MT_MERGE_PATCH).status, 415)
        self.assertEqual(code("/ug/4/5", accept=at.MT_NETWORKMAP).status, 415)
        # methods
        for m in ("DELETE", "PUT", "POST"):
            r = code("/ug/3/4", method=m)
            self.assertEqual((r.status, r.header("Allow")), (405, "GET, HEAD, OPTIONS"), m)
        r = code("/ug/3/4", method="OPTIONS")
        self.assertEqual((r.status, r.header("Allow")), (204, "GET, HEAD, OPTIONS"))
        self.assertEqual(code("/ug", method="DELETE").header("Allow"), "POST, OPTIONS")
        # next-edge requests (§7.4)
        self.assertEqual(s.post(path + "/ug", {}, "application/json").status, 415)
        r = s.post(path + "/ug", {}, at.MT_TIPSPARAMS, headers={"Accept": at.MT_COSTMAP})
        self.assertEqual((r.status, r.content_type), (415, at.MT_ERROR))
        r = s.post(path + "/ug", "{", at.MT_TIPSPARAMS)
        self.assertEqual((r.status, r.json()["meta"]["code"]), (400, "E_SYNTAX"))
        r = s.post(path + "/ug", {"tag": []}, at.MT_TIPSPARAMS)
        self.assertEqual(r.json()["meta"], {"code": "E_INVALID_FIELD_TYPE", "field": "tag"})
        # a tag evicted from the history: the snapshot; the current one: the next edge
        self.assertEqual(next_edge(s, path, tag0).json()["start-edge-rec"], {"seq-i": 0, "seq-j": 4})
        cur = s.get(self.uris(cm)).header("ETag").strip('"')
        self.assertEqual(next_edge(s, path, cur).json()["start-edge-rec"], {"seq-i": 4, "seq-j": 5})

    def uris(self, rid):
        return self.s.get("/").json()["resources"][rid]["uri"]


# ---------------------------------------------------------------- isolation

class TestIsolation(at.AltodTestCase):
    def test_views_belong_to_who_opened_them(self):
        world = World(4)
        a = start_world(self, world)
        sa, sb, anon = session(self, a, "tenant-a"), session(self, a, "tenant-b"), session(self, a)
        pa = view_path(open_view(sa, "view-a"))
        pb = view_path(open_view(sb, NM))
        pp = view_path(open_view(anon, NM))
        # the same map, other identities: other views
        self.assertNotEqual(pb, pp)
        never = "/tips/" + "0123456789abcdef" * 2
        probes = [("GET", "/ug/0/1", None), ("GET", "/ug/1/2", None), ("GET", "/ug/9/10", None),
                  ("POST", "/ug", {}), ("DELETE", "", None), ("OPTIONS", "/ug/0/1", None), ("GET", "/x", None)]

        def answers(s, path):
            out = []
            for m, sub, body in probes:
                h = {"Accept": ACCEPT_BOTH}
                if body is not None:
                    h["Content-Type"] = at.MT_TIPSPARAMS
                r = s.request(m, path + sub, body=body, headers=h)
                out.append((r.status, r.content_type, r.body, r.header("Allow"), r.header("Retry-After")))
            return out

        for s, foreign in ((sa, (pb, pp)), (sb, (pa, pp)), (anon, (pa, pb))):
            unknown = answers(s, never)
            self.assertEqual(unknown[0][0], 404)
            for p in foreign:
                self.assertEqual(answers(s, p), unknown, (s.label, p))
        # the owners are served
        self.assertEqual(sa.get(pa + "/ug/0/1").status, 200)
        self.assertEqual(sb.get(pb + "/ug/0/1").status, 200)
        self.assertEqual(anon.get(pp + "/ug/0/1").status, 200)

    def test_a_grant_taken_away_takes_the_view(self):
        world = World(5)
        a = start_world(self, world)
        sb = session(self, a, "tenant-b")
        cm = COST_KINDS[1]
        p = view_path(open_view(sb, cm))
        self.assertEqual(sb.get(p + "/ug/0/1").status, 200)
        world.grants_b = [NM, "view-b"]
        write_world(a.dir, world)
        a.reload()
        never = "/tips/" + "f" * 32
        for sub in ("/ug/0/1", "/ug/1/2"):
            self.assertEqual(triple(sb.get(p + sub)), triple(sb.get(never + sub)))
        r = open_view(sb, cm)
        self.assertEqual(r.json()["meta"], {"code": "E_INVALID_FIELD_VALUE", "field": "resource-id", "value": cm})
        # granted again: the same history, the same view
        world.grants_b = [NM, cm]
        write_world(a.dir, world)
        a.reload()
        self.assertEqual(view_path(open_view(sb, cm)), p)
        self.assertEqual(sb.get(p + "/ug/0/1").status, 200)

    def test_without_access_each_process_names_its_own_views(self):
        # two processes on the same maps: each numbers its own history, so
        # each names its own view, unknown at the other (the bytes of a view
        # that never existed)
        reps = [at.start_altod(self) for _ in range(2)]
        ss, paths = [], []
        for r in reps:
            s = iu.Session(r.host, r.port)
            self.addCleanup(s.close)
            ss.append(s)
            paths.append(view_path(open_view(s, at.EXAMPLE_NETMAP)))
            self.assertEqual(s.get(paths[-1] + "/ug/0/1").status, 200)
        self.assertNotEqual(paths[0], paths[1])
        never = triple(ss[0].get("/tips/" + "0" * 32 + "/ug/0/1"))
        self.assertEqual(never[0], 404)
        self.assertEqual(triple(ss[0].get(paths[1] + "/ug/0/1")), never)
        self.assertEqual(triple(ss[1].get(paths[0] + "/ug/0/1")), never)
        # opening again at the same process names the same view
        self.assertEqual(view_path(open_view(ss[0], at.EXAMPLE_NETMAP)), paths[0])

    def test_hidden_changes_make_no_version(self):
        world = World(6)
        a = start_world(self, world)
        sa, sb = session(self, a, "tenant-a"), session(self, a, "tenant-b")
        va = {rid: view_path(open_view(sa, rid)) for rid in ("view-a", "view-a-num-routingcost")}
        vb = view_path(open_view(sb, NM + "-num-routingcost"))
        for kind in ("hidden-costs", "hidden-move", "add-pid"):
            world.change(kind)
            world.costs["routingcost"][("p5", "p6")] += 1
            write_world(a.dir, world)
            a.reload()
        for rid, p in va.items():
            self.assertEqual(next_edge(sa, p).json()["end-seq"], 1, rid)
        self.assertEqual(next_edge(sb, vb).json()["end-seq"], 4)


# ---------------------------------------------------------------- limits

class TestLimits(at.AltodTestCase):
    def test_views_per_client_and_per_process(self):
        """The limits are counted while no view can expire (a lifetime of
        an hour: with 1 s, a view opened first could go before the last
        one is refused on a slow machine, and the refusal would not come);
        then a reload shortens the lifetime to 1 s and the idle views go."""
        world = World(7)
        limits = {"tips-views-per-client": 2, "tips-views": 3}
        a = start_world(self, world, dict(limits, **{"tips-view-lifetime": 3600}))
        sb, anon = session(self, a, "tenant-b"), session(self, a)
        p1 = view_path(open_view(sb, NM))
        self.assertEqual(open_view(sb, COST_KINDS[0]).status, 200)
        r = open_view(sb, COST_KINDS[1])
        # Retry-After: the view lifetime, when the oldest idle view goes at the latest
        self.assertEqual((r.status, r.content_type, r.header("Retry-After")), (429, at.MT_ERROR, "3600"))
        self.assertEqual(r.json()["meta"]["code"], "E_INVALID_FIELD_VALUE")
        # opening the same map again is the same view
        self.assertEqual(view_path(open_view(sb, NM)), p1)
        self.assertEqual(open_view(anon, NM).status, 200)
        sa = session(self, a, "tenant-a")
        self.assertEqual(open_view(sa, "view-a").status, 429)  # 3 in all
        write_world(a.dir, world, dict(limits, **{"tips-view-lifetime": 1}))
        a.reload()
        # idle views go after their lifetime; then there is room again
        deadline = time.monotonic() + 20 * at.SLOWDOWN
        while open_view(sa, "view-a").status != 200:
            self.assertLess(time.monotonic(), deadline, "views never expired")
            time.sleep(0.2)
        # an expired view's URI still leads to its client's view (taken up
        # again while there is room)
        self.assertEqual(sb.get(p1 + "/ug/0/1", headers={"Accept": ACCEPT_BOTH}).status, 200)

    def test_limit_values_are_checked(self):
        world = World(8)
        d = tempfile.TemporaryDirectory(prefix="altodtest-tips-")
        self.addCleanup(d.cleanup)
        write_world(d.name, world, {"poll-timeout": 0})
        code, out = at.check_config(os.path.join(d.name, "altod.yaml"))
        self.assertNotEqual(code, 0)
        self.assertRegex(out, r"altod\.yaml:\d+:\d+: .*poll-timeout")


# ---------------------------------------------------------------- long polls

class Poll(threading.Thread):
    def __init__(self, a, who, path, accept=ACCEPT_BOTH, session=None):
        super().__init__(daemon=True)
        self.s = session or iu.Session(*iu.listener(a, "http"), auth=iu.DigestAuth(who, PW[who]) if who else None)
        self.path, self.accept, self.r, self.error = path, accept, None, None

    def run(self):
        try:
            self.r = self.s.get(self.path, headers={"Accept": self.accept})
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            self.s.close()


class TestLongPoll(at.AltodTestCase):
    def test_answered_by_a_reload(self):
        world = World(9)
        a = start_world(self, world, {"poll-timeout": 60})
        sb = session(self, a, "tenant-b")
        cm = COST_KINDS[0]
        path = view_path(open_view(sb, cm))
        full = sb.get("%s/ug/0/1" % path).json()
        polls = [Poll(a, "tenant-b", path + "/ug/1/2"), Poll(a, "tenant-b", path + "/ug/0/2"),
                 Poll(a, None, view_path(open_view(session(self, a), NM)) + "/ug/1/2")]
        for p in polls:
            p.start()
        wait_polls(a, 3)
        world.costs["routingcost"][("p0", "p1")] += 1
        write_world(a.dir, world, {"poll-timeout": 60})
        a.reload()
        for p in polls[:2]:
            p.join(30 * at.SLOWDOWN)
            self.assertIsNone(p.error)
        self.assertEqual(polls[0].r.status, 200, polls[0].r.body)
        self.assertEqual(merge_patch(full, polls[0].r.json()) if polls[0].r.content_type == at.MT_MERGE_PATCH
                         else jsonpatch.apply_patch(full, polls[0].r.json()), polls[1].r.json())
        self.assertEqual(polls[1].r.json(), sb.get(sb.get("/").json()["resources"][cm]["uri"]).json())
        # the network map did not change: its poll still waits
        self.assertEqual(polls_waiting(a), 1)
        self.assertEqual(a.stop(), 0)
        polls[2].join(30 * at.SLOWDOWN)
        self.assertEqual(polls[2].r.status, 503)
        self.assertEqual(polls[2].r.header("Connection"), "close")

    def test_poll_timeout(self):
        world = World(10)
        a = start_world(self, world, {"poll-timeout": 1, "tips-view-lifetime": 1})
        s = session(self, a)
        path = view_path(open_view(s, NM))
        r = s.get(path + "/ug/1/2")
        self.assertEqual((r.status, r.body), (204, b""))
        # longer than every timeout of the connection and the view's
        # lifetime: a waiting poll is not cut off. The timeouts are 1 s
        # SLOWDOWN times longer (and the poll 3 s likewise): the requests
        # before the poll must reach altod within request-timeout and
        # connection-timeout, which an altod under valgrind on a busy
        # machine may not manage in 1 s
        t = at.SLOWDOWN
        a2 = start_world(self, world, {"poll-timeout": 3 * t, "tips-view-lifetime": t},
                         {"response-timeout": t, "request-timeout": t, "connection-timeout": t})
        s2 = session(self, a2)
        r = s2.get(view_path(open_view(s2, NM)) + "/ug/1/2")
        self.assertEqual(r.status, 204)

    def test_open_polls_at_sigterm(self):
        world = World(11)
        a = start_world(self, world, {"poll-timeout": 600})
        sb = session(self, a, "tenant-b")
        paths = [view_path(open_view(sb, rid)) for rid in [NM] + COST_KINDS]
        polls = [Poll(a, "tenant-b", p + "/ug/1/2") for p in paths] + [Poll(a, "tenant-b", paths[0] + "/ug/0/2")]
        for p in polls:
            p.start()
        wait_polls(a, len(polls))
        t0 = time.monotonic()
        self.assertEqual(a.stop(), 0)
        # answered at the stop, long before their poll-timeout (600 s): the
        # bound is 30 s, SLOWDOWN times longer (under valgrind the stop
        # includes the leak check), and always far below 600 s
        bound = 30 * at.SLOWDOWN
        self.assertLess(bound, 600)
        for p in polls:
            p.join(bound)
            self.assertIsNone(p.error)
            self.assertEqual((p.r.status, p.r.header("Connection")), (503, "close"))
        self.assertLess(time.monotonic() - t0, bound)
        self.assertNotIn("requests still in flight", a.stderr())


class TestOverHttps(at.AltodTestCase):
    def test_long_poll_over_tls(self):
        td = tempfile.TemporaryDirectory(prefix="altodtest-pki-")
        self.addCleanup(td.cleanup)
        pki = iu.make_pki(td.name)
        world = World(14)
        d = tempfile.TemporaryDirectory(prefix="altodtest-tips-")
        self.addCleanup(d.cleanup)

        def write():
            at.write_files(d.name, {"maps/net.yaml": world.maps_yaml(), "altod.yaml": (
                iu.server_yaml(pki, http=False, maps=("maps/net.yaml",)) + "updates:\n  poll-timeout: 60\n" +
                world.access_yaml())})

        write()
        a = at.start_altod_in(self, d.name)

        def tls_session():
            return iu.Session(*iu.listener(a, "https"), scheme="https", ssl_context=pki.client_context(),
                              auth=iu.BasicAuth("tenant-b", PW["tenant-b"]))

        s = tls_session()
        self.addCleanup(s.close)
        r = open_view(s, NM)
        self.assertTrue(r.json()["tips-view-uri"].startswith("https://127.0.0.1:"), r.json())
        path = view_path(r)
        poll = Poll(a, None, path + "/ug/1/2", session=tls_session())
        poll.start()
        wait_polls(a, 1)
        world.change("move-prefix")
        write()
        a.reload()
        poll.join(30 * at.SLOWDOWN)
        self.assertIsNone(poll.error)
        self.assertEqual((poll.r.status, poll.r.content_type), (200, at.MT_MERGE_PATCH))
        full = s.get(path + "/ug/0/2").json()
        self.assertEqual(full, s.get("/networkmap/" + NM).json())


# ---------------------------------------------------------------- replicas

class RecoveringFollower(Follower):
    """A follower whose view may be unknown where its request lands: another
    process (a restart, the other replica behind a balancer) numbers its
    own history, and its views are unknown elsewhere (404, RFC 9569 §7).
    On a 404 it opens again with the tag of its copy (§6) and goes on from
    what that answers: a patch edge from its own version where that history
    holds its tag, else the full resource (the edge 0 -> end-seq). If the
    view it just reopened still answers 404 (a round-robin balancer sent the
    request to the other replica), it tries once more before reopening.

    A network map's tag is its vtag; a cost map's, its ETag, which the
    client knows from a full GET (the 0 -> j edge; and each check, which
    finds its copy equal to the fresh GET)."""

    def __init__(self, tc, s, accept, only=None):
        self.reopens = []    # (rid, the start-edge-rec of a reopen with a tag)
        self.not_found = []  # the 404s its view got, (status, media type, body)
        super().__init__(tc, s, accept, only)

    def open(self, rid, tag=None):
        r = open_view(self.s, rid, tag)
        self.tc.assertEqual((r.status, r.content_type), (200, at.MT_TIPS), r)
        g = r.json()["tips-view-summary"]["updates-graph-summary"]
        rec = g["start-edge-rec"]
        v = self.views.setdefault(rid, {"doc": None, "tag": None})
        v["path"], v["end"] = view_path(r), g["end-seq"]
        if tag is not None:
            self.reopens.append((rid, rec))
        if rec["seq-i"] == 0:
            v["seq"], v["doc"], v["tag"] = 0, None, None  # the full resource next
        else:
            v["seq"] = rec["seq-i"]  # this history's number for our tag
            self.tc.assertEqual(rec["seq-j"], rec["seq-i"] + 1, rec)

    def sync(self, rid):
        """Up to the end-seq of rid's view (reopening on a 404)."""
        v = self.views[rid]
        v["end"] = None  # to learn with a next-edge request (§7.4)
        reopened = False
        for _ in range(200):
            if v["end"] is None:
                r = next_edge(self.s, v["path"])
                if r.status == 200:
                    v["end"] = r.json()["end-seq"]
                    self.tc.assertGreaterEqual(v["end"], v["seq"], rid)
                    continue
            elif v["doc"] is None:
                r = self.s.get("%s/ug/0/%d" % (v["path"], v["end"]), headers={"Accept": self.accept})
                if r.status == 200:
                    v["doc"], v["seq"], v["tag"] = r.json(), v["end"], r.header("ETag").strip('"')
                    continue
            elif v["seq"] < v["end"]:
                r = self.s.get("%s/ug/%d/%d" % (v["path"], v["seq"], v["seq"] + 1), headers={"Accept": self.accept})
                if r.status == 200:
                    self.tc.assertIn(r.content_type, (at.MT_MERGE_PATCH, at.MT_JSON_PATCH))
                    self.media_seen.add(r.content_type)
                    apply = merge_patch if r.content_type == at.MT_MERGE_PATCH else jsonpatch.apply_patch
                    v["doc"], v["seq"], v["tag"] = apply(v["doc"], r.json()), v["seq"] + 1, None
                    continue
            else:
                return
            self.tc.assertEqual(r.status, 404, (rid, r))
            self.not_found.append(triple(r))
            if reopened:
                reopened = False  # the reopened view, asked at the other replica: once more
                continue
            tag = v["tag"]
            if v["doc"] is not None and "network-map" in v["doc"]:
                tag = v["doc"]["meta"]["vtag"]["tag"]
            self.open(rid, tag)
            reopened = True
        raise AssertionError("%s: no progress" % rid)

    def catch_up(self):
        for rid in self.views:
            self.sync(rid)

    def check(self):
        """Its copy of every map equals a fresh GET (never a wrong copy)."""
        for rid, v in self.views.items():
            fresh = self.s.get(self.uris[rid])
            self.tc.assertEqual(fresh.status, 200)
            self.tc.assertEqual(v["doc"], fresh.json(), rid)
            v["tag"] = fresh.header("ETag").strip('"')


def tag_of(r):
    """The tag of a GET answer: a network map's vtag, a cost map's ETag."""
    if r.content_type == at.MT_NETWORKMAP:
        return r.json()["meta"]["vtag"]["tag"]
    return r.header("ETag").strip('"')


class TestReplicas(at.AltodTestCase):
    def test_either_replica_continues(self):
        """Two replicas on the same maps following the same reloads behind
        HAProxy round-robin: each numbers its own history (its views are
        unknown at the other, 404), a follower reopening with its tag on a
        404 always has the right copy, and a tag the other replica holds
        gives a patch edge from it (never the full resource)."""
        world = World(13)
        reps = [start_world(self, world) for _ in range(2)]
        td = tempfile.TemporaryDirectory(prefix="altodtest-haproxy-")
        self.addCleanup(td.cleanup)
        hap = Haproxy(td.name, iu.listener(reps[0], "http")[1], iu.listener(reps[1], "http")[1])
        self.addCleanup(hap.stop)
        hap.start()
        s = iu.Session("127.0.0.1", hap.port, auth=iu.DigestAuth("tenant-b", PW["tenant-b"]))
        self.addCleanup(s.close)
        direct = [session(self, r, "tenant-b") for r in reps]
        cm = COST_KINDS[0]
        # each replica's view of the map has its own URI, unknown at the other
        paths = [view_path(open_view(d, cm)) for d in direct]
        self.assertNotEqual(paths[0], paths[1])
        never = triple(direct[0].get("/tips/" + "0" * 32 + "/ug/0/1"))
        self.assertEqual(never[0], 404)
        self.assertEqual(triple(direct[0].get(paths[1] + "/ug/0/1")), never)
        self.assertEqual(triple(direct[1].get(paths[0] + "/ug/0/1")), never)
        f = RecoveringFollower(self, s, ACCEPT_BOTH, only=lambda rid, e: rid in (NM, cm))
        before = hap.served()
        tags = []
        for kind in ("costs", "move-prefix", "add-pid", "costs", "remove-pid"):
            world.change(kind)
            world.costs["routingcost"][("p0", "p1")] += 1
            for r in reps:
                write_world(r.dir, world)
                r.reload()
            f.catch_up()
            f.check()
            tags.append(tag_of(direct[0].get(f.uris[cm])))
        after = hap.served()
        for name in ("r1", "r2"):
            self.assertGreater(after[name] - before[name], 10, (before, after))
        # it met the other replica's 404 (the very bytes of a view that
        # never existed) and reopened with a tag that replica holds: a patch
        # edge from its version, never the snapshot
        self.assertTrue(f.not_found)
        self.assertTrue(all(t == never for t in f.not_found), f.not_found)
        self.assertIn(NM, {rid for rid, _ in f.reopens})
        self.assertTrue(all(rec["seq-i"] > 0 for _, rec in f.reopens), f.reopens)
        # directly: the tag of the version before the last, at either replica
        for d in direct:
            g = open_view(d, cm, tags[-2]).json()["tips-view-summary"]["updates-graph-summary"]
            self.assertEqual(g["start-edge-rec"], {"seq-i": g["end-seq"] - 1, "seq-j": g["end-seq"]})

    def test_restart_on_first_maps_never_continues(self):
        """altod restarts on the maps it first loaded (the same first tags)
        and reloads to past the client's version: the client's view is
        unknown there (404, never the new numbering's patch on its old
        copy); it opens again with its tag and gets the full resource (the
        restarted history does not hold that tag) or a patch from it."""
        world = World(21)
        first = copy.deepcopy(world)
        a = start_world(self, world)
        f = RecoveringFollower(self, session(self, a, "tenant-b"), ACCEPT_BOTH,
                               only=lambda rid, e: rid in (NM, COST_KINDS[0], "view-b"))
        for kind in ("costs", "move-prefix", "costs"):
            world.change(kind)
            world.costs["routingcost"][("p0", "p1")] += 1
            write_world(a.dir, world)
            a.reload()
            f.catch_up()
            f.check()
        old = {rid: dict(v) for rid, v in f.views.items()}
        self.assertEqual(old[COST_KINDS[0]]["seq"], 4)
        a.stop()
        world = first
        world.rnd = random.Random(99)
        write_world(a.dir, world)
        b = at.start_altod_in(self, a.dir)
        f.s = session(self, b, "tenant-b")
        never = triple(f.s.get("/tips/" + "0" * 32 + "/ug/0/1"))
        for kind in ("costs", "add-pid", "costs", "move-prefix", "costs"):
            world.change(kind)
            world.costs["routingcost"][("p0", "p1")] += 2
            write_world(b.dir, world)
            b.reload()
            f.catch_up()
            f.check()
        self.assertTrue(f.not_found)
        self.assertTrue(all(t == never for t in f.not_found), f.not_found)
        self.assertEqual({rid for rid, _ in f.reopens}, set(old))
        # the cost map's old version is not in the restarted history (its
        # p0 -> p1 cost went +1 a reload, now +2): the full resource
        self.assertEqual([rec["seq-i"] for rid, rec in f.reopens if rid == COST_KINDS[0]], [0])
        self.assertGreater(f.views[COST_KINDS[0]]["seq"], old[COST_KINDS[0]]["seq"])


if __name__ == "__main__":
    unittest.main()

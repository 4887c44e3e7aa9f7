"""RFC 8895 update streams (SSE) against the real altod.

- Follower: three identities (a client of the base maps and two tenants,
  each with its own view) each open one stream for every network map and
  cost map their directory offers; 30 reloads with random changes (PIDs
  added and removed, prefixes moved, costs changed, a view's PIDs changed).
  After each, every stream is brought up to date and its copy of each
  resource, built by applying the events with independent code (RFC 6902:
  python3-jsonpatch; RFC 7396: merge_patch below), must equal a fresh GET
  of the resource, parsed. A resource whose GET did not change must get no
  event at all (a change to PIDs a tenant cannot see is invisible).
- Synchronization without timing: a stream control request adds a
  substream ("barrier"); its full resource comes after every event the
  reload caused (the server builds events in substream order from the
  snapshot serving at the time), so everything read before it is exactly
  what the reload sent.
- Stream control add/remove and its errors; another identity's control URI
  answers exactly like one that never existed; limits; a stream that fell
  behind the bounded history gets the full resource; streams open at
  SIGTERM end cleanly.
"""

import copy
import http.client
import json
import os
import random
import re
import signal
import socket
import time
import unittest

import jsonpatch

import altodtest as at
import isoutil as iu

MT_STREAM = at.MT_EVENTSTREAM
MT_PARAMS = at.MT_UPDATESTREAMPARAMS
MT_CONTROL = at.MT_UPDATESTREAMCONTROL
FULL_TYPES = (at.MT_NETWORKMAP, at.MT_COSTMAP)


def merge_patch(target, patch):
    """RFC 7396 §2, written from the RFC's pseudocode."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class Event:
    def __init__(self, etype, data):
        self.type = etype
        self.data = data
        self.media, _, self.cid = etype.partition(",")

    def json(self):
        return json.loads(self.data)

    def __repr__(self):
        return "Event(%r, %r)" % (self.type, self.data[:80])


class Stream:
    """One update stream, read as a W3C EventSource client does."""

    def __init__(self, altod, add, authorization=None, rcvbuf=None, headers=None, extra=None):
        self.altod = altod
        self.conn = http.client.HTTPConnection(altod.host, altod.port, timeout=at.IO_TIMEOUT)
        if rcvbuf:  # before connect(): the window it offers is negotiated then
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.settimeout(at.IO_TIMEOUT)
            sock.connect((altod.host, altod.port))
            self.conn.sock = sock
        h = {"Content-Type": MT_PARAMS, "Accept": MT_STREAM}
        h.update(headers or {})
        if authorization:
            h["Authorization"] = authorization
        self.conn.request("POST", "/updates/stream", body=json.dumps(dict({"add": add}, **(extra or {}))).encode(), headers=h)
        self.resp = self.conn.getresponse()
        self.comments = 0
        self.control_uri = None
        if self.resp.status == 200:
            ev = self.next()
            assert ev.media == MT_CONTROL and ev.cid == "", ev
            self.control_uri = ev.json()["control-uri"]

    def status(self):
        return self.resp.status

    def next(self):
        """The next event (comments counted and skipped); None at the end."""
        etype, data = None, []
        while True:
            line = self.resp.readline()
            if not line:
                return None
            line = line.decode("utf-8").rstrip("\n")
            if line == "":
                if etype is None and not data:
                    continue
                return Event(etype or "message", "\n".join(data))
            if line.startswith(":"):
                self.comments += 1
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                etype = value
            elif field == "data":
                data.append(value)

    def next_line_of_comment(self):
        """Reads on to the next comment line (events before it dropped)."""
        while True:
            line = self.resp.readline()
            if not line or line.startswith(b":"):
                return line

    def read_to_end(self):
        """Every event until the server ends the stream (cleanly: the
        chunked body's last chunk; http.client raises otherwise)."""
        out = []
        while True:
            ev = self.next()
            if ev is None:
                return out
            out.append(ev)

    def close(self):
        self.conn.close()


class Copy:
    """A client's copies of its resources, kept by the events."""

    def __init__(self):
        self.docs = {}
        self.kinds = {"full": 0, "merge": 0, "json": 0}

    def apply(self, ev):
        if ev.media in FULL_TYPES:
            self.docs[ev.cid] = ev.json()
            self.kinds["full"] += 1
        elif ev.media == at.MT_MERGEPATCH:
            self.docs[ev.cid] = merge_patch(self.docs[ev.cid], ev.json())
            self.kinds["merge"] += 1
        elif ev.media == at.MT_JSONPATCH:
            self.docs[ev.cid] = jsonpatch.apply_patch(self.docs[ev.cid], ev.json())
            self.kinds["json"] += 1
        else:
            raise AssertionError("unexpected event %r" % ev)


def stats_line(a, pattern):
    """SIGUSR1; the statistics line that matches."""
    mark = a.log_count()
    a.send_signal(signal.SIGUSR1)
    return a.wait_for_log(pattern, after=mark)


def until(make, done, timeout=30.0):
    """make() again until done(result): for what the server notices on its
    own (a closed connection, at a stream's next keep-alive). Not a timing
    assertion: the bound only keeps a broken server from hanging the test."""
    deadline = time.monotonic() + timeout * at.SLOWDOWN
    while True:
        r = make()
        if done(r) or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


class Follower:
    """One identity's stream over all its network and cost maps."""

    def __init__(self, tc, altod, session, digest):
        self.tc = tc
        self.altod = altod
        self.session = session
        self.digest = digest
        ird = session.get("/").json()
        entry = ird["resources"]["update-stream"]
        self.rids = sorted(entry["uses"])
        self.uris = {rid: ird["resources"][rid]["uri"] for rid in self.rids}
        self.netmap = next(rid for rid in self.rids if ird["resources"][rid]["media-type"] == at.MT_NETWORKMAP)
        # client ids of our own, not the resource ids
        self.cid = {rid: "c%d" % i for i, rid in enumerate(self.rids)}
        self.rid_of = {c: r for r, c in self.cid.items()}
        add = {self.cid[rid]: {"resource-id": rid} for rid in self.rids}
        self.stream = Stream(altod, add, authorization=self.authorization("POST", "/updates/stream"))
        tc.addCleanup(self.stream.close)
        tc.assertEqual(self.stream.status(), 200)
        self.copy = Copy()
        self.barriers = 0
        self.last_get = {}
        events = self.sync()
        tc.assertEqual(sorted(ev.cid for ev in events), sorted(self.cid.values()))
        tc.assertTrue(all(ev.media in FULL_TYPES for ev in events), events)
        self.check({rid: True for rid in self.rids})

    def authorization(self, method, uri):
        st = self.session._challenge_nc
        st[1] += 1
        return self.session.auth.authorization(method, uri, st[0], st[1])

    def sync(self):
        """The data events sent since the last sync, applied."""
        self.barriers += 1
        bid = "sync%d" % self.barriers
        r = self.session.post(self.stream.control_uri, {"add": {bid: {"resource-id": self.netmap}}}, MT_PARAMS)
        self.tc.assertEqual(r.status, 204, r)
        got = []
        while True:
            ev = self.stream.next()
            self.tc.assertIsNotNone(ev, "the stream ended")
            if ev.media == MT_CONTROL:
                # only our own barriers are ever removed
                self.tc.assertTrue(all(c.startswith("sync") for c in ev.json().get("stopped", [])), ev)
                continue
            if ev.cid == bid:
                self.tc.assertEqual(ev.media, at.MT_NETWORKMAP)
                break
            self.tc.assertFalse(ev.cid.startswith("sync"), ev)
            self.copy.apply(ev)
            got.append(ev)
        r = self.session.post(self.stream.control_uri, {"remove": [bid]}, MT_PARAMS)
        self.tc.assertEqual(r.status, 204, r)
        return got

    def next_unsynced(self):
        """The next event that is not about a barrier of sync()."""
        while True:
            ev = self.stream.next()
            if ev is None or not (ev.media == MT_CONTROL and
                                  all(c.startswith("sync") for c in ev.json().get("stopped", []))):
                return ev

    def check(self, changed):
        """Every copy equals a fresh GET; `changed`: rid -> whether its GET
        may differ from the previous one."""
        for rid in self.rids:
            r = self.session.get(self.uris[rid])
            self.tc.assertEqual(r.status, 200, (rid, r))
            doc = r.json()
            self.tc.assertEqual(self.copy.docs[self.cid[rid]], doc, rid)
            self.last_get[rid] = doc

    def step(self):
        """After a reload: events, applied; checked against GETs."""
        before = dict(self.last_get)
        events = self.sync()
        self.check({})
        for rid in self.rids:
            cid = self.cid[rid]
            if before.get(rid) == self.last_get[rid]:
                self.tc.assertEqual([ev for ev in events if ev.cid == cid], [],
                                    "%s did not change, yet events came" % rid)
        return events


# ---------------------------------------------------------------- the model

class World:
    """The base network map, its costs, and two views, changed at random."""

    METRICS = ("routingcost", "hopcount")

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.next_pid = 0
        self.next_net = 0
        self.pids = {}  # name -> [prefix]
        for _ in range(8):
            self.add_pid()
        names = sorted(self.pids)
        self.views = {"va": names[:3], "vb": names[3:5]}
        self.costs = {m: {} for m in self.METRICS}
        for m in self.METRICS:
            for s in self.pids:
                for d in self.pids:
                    self.costs[m][(s, d)] = self.rng.randint(1, 50)

    def new_prefix(self):
        self.next_net += 1
        return "10.%d.%d.0/24" % (self.next_net // 256, self.next_net % 256)

    def add_pid(self):
        name = "P%02d" % self.next_pid
        self.next_pid += 1
        self.pids[name] = [self.new_prefix() for _ in range(self.rng.randint(1, 3))]
        if hasattr(self, "costs"):
            for m in self.METRICS:
                for o in self.pids:
                    self.costs[m][(name, o)] = self.rng.randint(1, 50)
                    self.costs[m][(o, name)] = self.rng.randint(1, 50)
        return name

    def in_views(self):
        return {p for v in self.views.values() for p in v}

    def hidden(self):
        return sorted(p for p in self.pids if p not in self.in_views())

    def mutate(self, i):
        """One random change; every 5th touches only PIDs no view shows.
        Returns what it did."""
        rng = self.rng
        if i % 5 == 0:
            hidden = self.hidden()
            while len(hidden) < 2:
                hidden.append(self.add_pid())
            s, d = rng.sample(hidden, 2)
            self.costs["routingcost"][(s, d)] += 1
            return "hidden cost %s->%s" % (s, d)
        kind = rng.choice(["add", "remove", "move", "costs", "view"])
        if kind == "add":
            return "add %s" % self.add_pid()
        if kind == "remove":
            hidden = self.hidden()
            if len(hidden) < 2:
                return "add %s" % self.add_pid()
            victim = rng.choice(hidden)
            del self.pids[victim]
            for m in self.METRICS:
                for k in [k for k in self.costs[m] if victim in k]:
                    del self.costs[m][k]
            return "remove %s" % victim
        if kind == "move":
            src = rng.choice([p for p in self.pids if len(self.pids[p]) > 1] or [None])
            if src is None:
                self.pids[rng.choice(sorted(self.pids))].append(self.new_prefix())
                return "new prefix"
            dst = rng.choice([p for p in sorted(self.pids) if p != src])
            pre = self.pids[src].pop(rng.randrange(len(self.pids[src])))
            self.pids[dst].append(pre)
            return "move %s %s->%s" % (pre, src, dst)
        if kind == "costs":
            m = rng.choice(self.METRICS)
            keys = sorted(self.costs[m])
            for k in rng.sample(keys, min(3, len(keys))):
                self.costs[m][k] = rng.randint(1, 50)
            return "costs %s" % m
        v = rng.choice(sorted(self.views))
        others = [p for p in sorted(self.pids) if p not in self.views[v]]
        if len(self.views[v]) > 1 and (not others or rng.random() < 0.5):
            self.views[v] = [p for p in self.views[v] if p != rng.choice(self.views[v])] or self.views[v]
        elif others:
            self.views[v] = sorted(self.views[v] + [rng.choice(others)])
        return "view %s: %s" % (v, self.views[v])

    def maps_yaml(self):
        lines = ["network-maps:", "  net:", "    default: true", "    pids:"]
        for name in sorted(self.pids):
            lines.append("      %s: {ipv4: [%s]}" % (name, ", ".join('"%s"' % p for p in self.pids[name])))
        lines.append('      other: {ipv4: ["0.0.0.0/0"], ipv6: ["::/0"]}')
        lines += ["cost-maps:", "  net:"]
        for m in self.METRICS:
            lines.append("    %s:" % m)
            for s in sorted(self.pids):
                row = ", ".join("%s: %d" % (d, self.costs[m][(s, d)]) for d in sorted(self.pids))
                lines.append("      %s: {%s}" % (s, row))
        return "\n".join(lines) + "\n"


USERS = {"ops": "ops-password", "ta": "ta-password", "tb": "tb-password"}
BASE_GRANTS = ["net", "net-num-routingcost", "net-ord-routingcost", "net-num-hopcount", "net-ord-hopcount"]


def follower_config(world, limits=None, updates=None, anonymous_role=None, users=USERS):
    clients = {name: {"password": iu.password_entry(name, pw), "roles": [name]} for name, pw in users.items()}
    access = iu.access_yaml(
        secret="sse-test-secret-0123456789", clients=clients,
        roles={"ops": BASE_GRANTS, "ta": ["va"], "tb": ["vb"]},
        views={v: {"network-map": "net", "pids": pids} for v, pids in world.views.items()},
        extra={"auth-failures": iu.NO_AUTH_THROTTLE}, anonymous_role=anonymous_role)
    upd = "updates:\n" + "".join("  %s: %s\n" % kv for kv in (updates or {}).items()) if updates else ""
    return iu.server_yaml(https=False, limits=limits, maps=("maps/net.yaml",)) + access + upd


def session(altod, user):
    host, port = iu.listener(altod, "http")
    s = iu.Session(host, port, auth=iu.DigestAuth(user, USERS[user]), label=user)
    s.get("/")  # a challenge for the streams' own requests
    return s


class FollowerTest(unittest.TestCase):
    def write(self, d, world, updates=None, anonymous_role=None):
        at.write_files(d, {"maps/net.yaml": world.maps_yaml(),
                           "altod.yaml": follower_config(world, updates=updates, anonymous_role=anonymous_role)})

    def test_follow_30_reloads(self):
        world = World(12)
        d = at.make_tree(self, {})
        self.write(d, world)
        a = at.start_altod_in(self, d)
        followers = {}
        for user in USERS:
            s = session(a, user)
            self.addCleanup(s.close)
            followers[user] = Follower(self, a, s, iu.DigestAuth(user, USERS[user]))
        self.assertEqual(set(followers["ta"].rids),
                         {"va", "va-num-routingcost", "va-ord-routingcost", "va-num-hopcount", "va-ord-hopcount"})
        hidden_steps = 0
        for i in range(30):
            what = world.mutate(i)
            self.write(d, world)
            a.reload()
            with self.subTest(step=i, change=what):
                for user, f in followers.items():
                    before = dict(f.last_get)
                    events = f.step()
                    if what.startswith("hidden"):
                        # PIDs no view shows: the tenants see no change, no event
                        if user in ("ta", "tb"):
                            self.assertEqual(before, f.last_get)
                            self.assertEqual(events, [])
                        else:
                            self.assertNotEqual(before, f.last_get)
                            self.assertTrue(events)
            hidden_steps += what.startswith("hidden")
        self.assertEqual(hidden_steps, 6)
        total = {k: sum(f.copy.kinds[k] for f in followers.values()) for k in ("full", "merge", "json")}
        # the updates came as patches (merge patches for the network maps;
        # for the cost maps the smaller of the merge and the JSON patch),
        # not as the resources again
        self.assertGreater(total["merge"] + total["json"], 40, total)
        self.assertLess(total["full"], 2 * sum(len(f.rids) for f in followers.values()), total)

    def test_grants_and_clients_that_go_away(self):
        """Grants a client loses: their substreams are removed (a control event
        says which), the stream goes on. A client removed from the
        configuration: its stream ends, cleanly."""
        world = World(5)
        d = at.make_tree(self, {})
        self.write(d, world)
        a = at.start_altod_in(self, d)
        fb = Follower(self, a, session(a, "tb"), None)
        self.addCleanup(fb.session.close)
        fo = Follower(self, a, session(a, "ops"), None)
        self.addCleanup(fo.session.close)
        # ops loses its cost maps (only the network map stays granted)
        text = follower_config(world).replace(
            "ops: [" + ", ".join('"%s"' % g for g in BASE_GRANTS) + "]", 'ops: ["net"]')
        self.assertIn('ops: ["net"]', text)
        at.write_files(d, {"altod.yaml": text})
        a.reload()
        ev = fo.next_unsynced()
        self.assertEqual(ev.media, MT_CONTROL)
        gone = sorted(fo.cid[rid] for rid in fo.rids if rid != "net")
        self.assertEqual(sorted(ev.json()["stopped"]), gone)
        self.assertEqual(ev.json()["description"], "the resource is no longer offered")
        # tb is no client any more
        users = {k: v for k, v in USERS.items() if k != "tb"}
        at.write_files(d, {"altod.yaml": follower_config(world, users=users)})
        a.reload()
        rest = [ev for ev in fb.stream.read_to_end()  # the end of the chunked body: no error
                if not (ev.media == MT_CONTROL and all(c.startswith("sync") for c in ev.json()["stopped"]))]
        self.assertEqual([ev.media for ev in rest], [MT_CONTROL])
        self.assertEqual(sorted(rest[0].json()["stopped"]), sorted(fb.cid.values()))
        self.assertEqual(rest[0].json()["description"], "the client is no longer served")
        # ops's stream goes on with what it still has
        self.assertEqual(fo.sync(), [])
        self.assertEqual(fo.session.get("/networkmap/net").json(), fo.copy.docs[fo.cid["net"]])

    def test_other_identity_and_closed_streams_are_unknown(self):
        """A stream control URI answers its owner only: anyone else (and
        anyone once the stream ended) gets exactly what a URI that never
        existed gets."""
        world = World(3)
        d = at.make_tree(self, {})
        self.write(d, world, {"keepalive": 1}, anonymous_role="tb")
        a = at.start_altod_in(self, d)
        sa, sb = session(a, "ta"), session(a, "tb")
        self.addCleanup(sa.close)
        self.addCleanup(sb.close)
        fa = Follower(self, a, sa, None)
        body = {"add": {"x": {"resource-id": "vb"}}}
        never = "/updates/control/" + "0123456789abcdef" * 2
        for method in ("POST", "GET"):
            theirs = sb.request(method, fa.stream.control_uri, body=json.dumps(body) if method == "POST" else None,
                                headers={"Content-Type": MT_PARAMS} if method == "POST" else {})
            nothing = sb.request(method, never, body=json.dumps(body) if method == "POST" else None,
                                 headers={"Content-Type": MT_PARAMS} if method == "POST" else {})
            self.assertEqual(theirs.status, 404)
            self.assertEqual(iu.normalized(theirs), iu.normalized(nothing))
        # anonymous requests (served tb's role here) are challenged for
        # both, alike
        host, port = iu.listener(a, "http")
        anon = iu.Session(host, port, label="anonymous")
        self.addCleanup(anon.close)
        theirs = anon.post(fa.stream.control_uri, body, MT_PARAMS)
        self.assertEqual(theirs.status, 401)
        self.assertEqual(iu.normalized(theirs), iu.normalized(anon.post(never, body, MT_PARAMS)))
        # its owner: a GET is the wrong method; an add of tb's view is a
        # resource that does not exist for ta
        r = sa.get(fa.stream.control_uri)
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "POST, OPTIONS")
        r = sa.post(fa.stream.control_uri, body, MT_PARAMS)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["meta"], {"code": "E_INVALID_FIELD_VALUE", "field": "add/x/resource-id",
                                            "value": "vb"})
        # ta's own stream, unchanged by both, then closed: its URI is gone
        self.assertEqual(fa.sync(), [])
        uri = fa.stream.control_uri
        fa.stream.close()
        # the server notices the close when it next writes (a keep-alive)
        r = until(lambda: sa.post(uri, {"remove": ["c0"]}, MT_PARAMS), lambda r: r.status != 204)
        self.assertEqual(iu.normalized(r), iu.normalized(sa.post(never, {"remove": ["c0"]}, MT_PARAMS)))


# ---------------------------------------------------------------- without an access section

EX_NM = at.EXAMPLE_NETMAP
EX_COST = EX_NM + "-num-routingcost"


class Public(unittest.TestCase):
    def start(self, updates=None, limits=None, maps=None):
        extra = "updates:\n" + "".join("  %s: %s\n" % kv for kv in updates.items()) if updates else ""
        return at.start_altod(self, maps_files=maps, limits=limits, extra_config=extra)

    def open(self, a, add, **kw):
        s = Stream(a, add, **kw)
        self.addCleanup(s.close)
        return s

    def test_directory_entry(self):
        a = self.start()
        ird = a.ird()
        e = ird.doc["resources"]["update-stream"]
        streamed = sorted(rid for rid, r in ird.doc["resources"].items()
                          if r["media-type"] in FULL_TYPES and "accepts" not in r)
        self.assertEqual(len(streamed), 5)
        # absolute, like every URI of the directory (test_uris.py)
        self.assertEqual(e["uri"], "http://127.0.0.1:%d/updates/stream" % a.port)
        self.assertEqual(e["media-type"], MT_STREAM)
        self.assertEqual(e["accepts"], MT_PARAMS)
        self.assertEqual(sorted(e["uses"]), streamed)
        self.assertEqual(e["capabilities"]["support-stream-control"], True)
        types = e["capabilities"]["incremental-change-media-types"]
        self.assertEqual(sorted(types), streamed)
        self.assertEqual(types[EX_NM], at.MT_MERGEPATCH)
        self.assertEqual(types[EX_COST], at.MT_MERGEPATCH + "," + at.MT_JSONPATCH)

    def test_open_errors(self):
        a = self.start()

        def post(body, ctype=MT_PARAMS, accept=MT_STREAM):
            return a.post("/updates/stream", body, ctype, headers={"Accept": accept})

        cases = [
            ({}, "E_MISSING_FIELD", "add", None),
            ({"add": {}}, "E_MISSING_FIELD", "add", None),
            ({"add": []}, "E_INVALID_FIELD_TYPE", "add", None),
            ({"add": {"x": {}}}, "E_MISSING_FIELD", "add/x/resource-id", None),
            ({"add": {"x": {"resource-id": 7}}}, "E_INVALID_FIELD_TYPE", "add/x/resource-id", None),
            ({"add": {"x": {"resource-id": "nope"}}}, "E_INVALID_FIELD_VALUE", "add/x/resource-id", "nope"),
            # a POST service, the directory, the service itself: no streams of them
            ({"add": {"x": {"resource-id": EX_NM + "-filtered-costmap"}}}, "E_INVALID_FIELD_VALUE",
             "add/x/resource-id", EX_NM + "-filtered-costmap"),
            ({"add": {"x": {"resource-id": "update-stream"}}}, "E_INVALID_FIELD_VALUE", "add/x/resource-id",
             "update-stream"),
            ({"add": {"bad/id": {"resource-id": EX_NM}}}, "E_INVALID_FIELD_VALUE", "add", "bad/id"),
            ({"add": {"x": {"resource-id": EX_NM, "input": {}}}}, "E_INVALID_FIELD_VALUE", "add/x/input", "{}"),
            ({"add": {"x": {"resource-id": EX_NM, "incremental-changes": "yes"}}}, "E_INVALID_FIELD_TYPE",
             "add/x/incremental-changes", None),
            # RFC 8895 §6.5 "tag": an RFC 7285 §10.3 tag
            ({"add": {"x": {"resource-id": EX_NM, "tag": ""}}}, "E_INVALID_FIELD_VALUE", "add/x/tag", ""),
            ({"add": {"x": {"resource-id": EX_NM, "tag": "a b"}}}, "E_INVALID_FIELD_VALUE", "add/x/tag", "a b"),
        ]
        for body, code, field, value in cases:
            with self.subTest(body=body):
                r = post(body)
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.content_type, at.MT_ERROR)
                meta = {"code": code, "field": field}
                if value is not None:
                    meta["value"] = value
                self.assertEqual(r.json()["meta"], meta)
        r = post("{", MT_PARAMS)
        self.assertEqual(r.json()["meta"]["code"], "E_SYNTAX")
        ok = {"add": {"x": {"resource-id": EX_NM}}}
        self.assertEqual(post(ok, ctype="application/json").status, 415)
        self.assertEqual(post(ok, accept="application/json").status, 406)
        r = a.get("/updates/stream")
        self.assertEqual((r.status, r.header("Allow")), (405, "POST, OPTIONS"))

    def test_remove_on_opening_is_ignored(self):
        """RFC 8895 §6.5: "remove" is for stream control requests; in the
        request that opens a stream "the update stream server SHOULD ignore
        this field"."""
        a = self.start()
        for rm in (["x", "zz"], "not even a list"):
            s = self.open(a, {"x": {"resource-id": EX_NM}}, extra={"remove": rm})
            self.assertEqual(s.status(), 200)
            ev = s.next()
            self.assertEqual((ev.media, ev.cid), (at.MT_NETWORKMAP, "x"))
            self.assertEqual(ev.json(), a.get("/networkmap/" + EX_NM).json())

    def test_a_stream_with_every_substream_removed_stays_open(self):
        """Removing every substream stops every update (§5.3 "stopped") but
        not the stream: it takes new adds through its control URI."""
        a = self.start()
        s = self.open(a, {"x": {"resource-id": EX_NM}})
        self.assertEqual(s.next().cid, "x")
        self.assertEqual(a.post(s.control_uri, {"remove": ["x"]}, MT_PARAMS).status, 204)
        ev = s.next()
        self.assertEqual((ev.media, ev.json()["stopped"]), (MT_CONTROL, ["x"]))
        self.assertEqual(a.post(s.control_uri, {"add": {"y": {"resource-id": EX_NM}}}, MT_PARAMS).status, 204)
        ev = s.next()
        self.assertEqual((ev.media, ev.cid), (at.MT_NETWORKMAP, "y"))

    def test_current_tag_skips_the_full_resource(self):
        """RFC 8895 §6.5 "tag": a client that names the current vtag of a
        network map has it, and the server may skip the initial full
        replacement; altod does, and then sends that substream patches from
        that version. A stale tag, and a tag on a cost map (no vtag of its
        own, RFC 7285 §11.2.3.6), get the full resource."""
        a = self.start(maps={"maps/example.yaml": at.read_example_maps()})
        maps_path = os.path.join(a.dir, "maps", "example.yaml")
        nm = a.get("/networkmap/" + EX_NM).json()
        tag = nm["meta"]["vtag"]["tag"]
        s = self.open(a, {"cur": {"resource-id": EX_NM, "tag": tag},
                          "old": {"resource-id": EX_NM, "tag": "0" * 64},
                          "cm": {"resource-id": EX_COST, "tag": tag}})
        copies = Copy()
        copies.docs["cur"] = nm
        first = [s.next(), s.next()]
        self.assertEqual([(e.media, e.cid) for e in first], [(at.MT_NETWORKMAP, "old"), (at.MT_COSTMAP, "cm")])
        for e in first:
            copies.apply(e)
        # the network map changes: "cur" gets a patch from the version it named
        text = at.read_example_maps()
        with open(maps_path, "w") as f:
            f.write(text.replace("ipv4: [198.51.100.128/25]", "ipv4: [198.51.100.128/26]"))
        a.reload()
        evs = [s.next() for _ in range(3)]
        self.assertEqual(sorted(e.cid for e in evs), ["cm", "cur", "old"])
        for e in evs:
            self.assertIn(e.media, (at.MT_MERGEPATCH, at.MT_JSONPATCH), e)
            copies.apply(e)
        nm2 = a.get("/networkmap/" + EX_NM).json()
        self.assertNotEqual(nm2["meta"]["vtag"]["tag"], tag)
        self.assertEqual(copies.docs["cur"], nm2)
        self.assertEqual(copies.docs["old"], nm2)
        self.assertEqual(copies.docs["cm"], a.get("/costmap/%s/routingcost/numerical" % EX_NM).json())

    def test_events_and_control(self):
        a = self.start(maps={"maps/example.yaml": at.read_example_maps()})
        maps_path = os.path.join(a.dir, "maps", "example.yaml")
        s = self.open(a, {"nm": {"resource-id": EX_NM}, "cm": {"resource-id": EX_COST},
                          "cfull": {"resource-id": EX_COST, "incremental-changes": False}})
        self.assertEqual(s.resp.getheader("Content-Type"), MT_STREAM)
        # absolute, from the Host the client named, like the directory's URIs
        self.assertRegex(s.control_uri, r"^http://127\.0\.0\.1:%d/updates/control/[0-9a-f]{32}$" % a.port)
        copies = Copy()
        first = [s.next() for _ in range(3)]
        self.assertEqual([(e.media, e.cid) for e in first],
                         [(at.MT_NETWORKMAP, "nm"), (at.MT_COSTMAP, "cm"), (at.MT_COSTMAP, "cfull")])
        for e in first:
            copies.apply(e)
        self.assertEqual(copies.docs["nm"], a.get("/networkmap/" + EX_NM).json())
        # one cost changes: a patch for "cm", the whole map for "cfull"
        text = at.read_example_maps()
        with open(maps_path, "w") as f:
            f.write(text.replace("PID1: {PID1: 1, PID2: 5, PID3: 10}", "PID1: {PID1: 1, PID2: 6, PID3: 10}"))
        a.reload()
        e1, e2 = s.next(), s.next()
        self.assertEqual((e1.cid, e2.cid), ("cm", "cfull"))
        self.assertIn(e1.media, (at.MT_MERGEPATCH, at.MT_JSONPATCH))
        self.assertEqual(e2.media, at.MT_COSTMAP)
        copies.apply(e1)
        copies.apply(e2)
        cost = a.get("/costmap/%s/routingcost/numerical" % EX_NM).json()
        self.assertEqual(copies.docs["cm"], cost)
        self.assertEqual(copies.docs["cfull"], cost)

        # stream control: errors change nothing
        ctl = s.control_uri
        for body, field, value in (({"remove": ["zz"]}, "remove", "zz"),
                                   ({"add": {"nm": {"resource-id": EX_NM}}}, "add/nm", "nm"),
                                   ({"add": {"n2": {"resource-id": "nope"}}}, "add/n2/resource-id", "nope"),
                                   ({"add": {"n3": {"resource-id": EX_NM}}, "remove": ["nm", "zz"]}, "remove",
                                    "zz")):
            r = a.post(ctl, body, MT_PARAMS)
            self.assertEqual(r.status, 400, (body, r))
            self.assertEqual(r.json()["meta"], {"code": "E_INVALID_FIELD_VALUE", "field": field, "value": value})
        self.assertEqual(a.post(ctl, {}, MT_PARAMS).status, 400)
        self.assertEqual(a.post(ctl, {"remove": ["cfull"]}, "application/json").status, 415)
        # remove one, add one: the removal is confirmed, the new one starts whole
        r = a.post(ctl, {"remove": ["cfull"], "add": {"hop": {"resource-id": EX_NM + "-ord-hopcount"}}},
                   MT_PARAMS)
        self.assertEqual((r.status, r.body), (204, b""))
        ev = s.next()
        self.assertEqual(ev.media, MT_CONTROL)
        self.assertEqual(ev.json()["stopped"], ["cfull"])
        ev = s.next()
        self.assertEqual((ev.media, ev.cid), (at.MT_COSTMAP, "hop"))
        self.assertEqual(ev.json(), a.get("/costmap/%s/hopcount/ordinal" % EX_NM).json())
        # a client id may be used again once removed; and "nm" replaced
        r = a.post(ctl, {"remove": ["nm"], "add": {"nm": {"resource-id": EX_NM}}}, MT_PARAMS)
        self.assertEqual(r.status, 204)
        ev = s.next()
        self.assertEqual(ev.json()["stopped"], ["nm"])
        ev = s.next()
        self.assertEqual((ev.media, ev.cid), (at.MT_NETWORKMAP, "nm"))

        # a resource that goes away at a reload: removed by the server
        with open(maps_path, "w") as f:
            f.write(re.sub(r"    hopcount:\n(      .*\n)+", "", text))
        a.reload()
        seen = []
        while True:
            ev = s.next()
            if ev.media == MT_CONTROL:
                self.assertEqual(ev.json()["stopped"], ["hop"])
                break
            seen.append(ev)
        r = a.post(ctl, {"remove": ["hop"]}, MT_PARAMS)
        self.assertEqual(r.json()["meta"], {"code": "E_INVALID_FIELD_VALUE", "field": "remove", "value": "hop"})
        # an idle stream pins no snapshot: not the one it was opened on,
        # nor any since (the reaper frees replaced ones in the background)
        line = until(lambda: stats_line(a, r"snapshot\(s\) in memory"), lambda ln: ln.endswith(" 1 snapshot(s) in memory"))
        self.assertTrue(line.endswith(" 1 snapshot(s) in memory"), line)

    def test_fallen_behind_the_history_gets_the_full_resource(self):
        """max-versions 3: a stream whose client does not read while three
        reloads change the cost map is more versions behind than the
        history holds: it gets the cost map whole, never a wrong patch.
        The client holds the stream back by not reading a network map
        larger than every socket buffer on the way."""
        big = at.big_maps_text(300000, netmap="big", n_pids=50)
        cost = lambda v: "cost-maps:\n  big:\n    routingcost:\n      pid000: {pid001: %d}\n" % v
        maps = {"maps/big.yaml": big + cost(1)}
        # no response-timeout nor connection-timeout: the unread batch must
        # outlive three reloads (16-22 s each under valgrind), and cutting a
        # client that does not read off is another test's
        a = self.start(updates={"max-versions": 3}, limits={"response-timeout": 0, "connection-timeout": 0},
                       maps=maps)
        s = self.open(a, {"map": {"resource-id": "big"}, "c": {"resource-id": "big-num-routingcost"}},
                      rcvbuf=4096)
        path = os.path.join(a.dir, "maps", "big.yaml")
        for v in (2, 3, 4):
            with open(path, "w") as f:
                f.write(big + cost(v))
            # a liveness bound: 300,000 prefixes took 41 s to reload under
            # valgrind on a busy machine, and the next one more than
            # LOG_TIMEOUT (100 s)
            a.reload(timeout=3 * at.LOG_TIMEOUT)
        try:
            evs = [s.next() for _ in range(3)]
        except http.client.IncompleteRead:
            raise AssertionError(a.stderr())
        self.assertEqual([(e.media, e.cid) for e in evs],
                         [(at.MT_NETWORKMAP, "map"), (at.MT_COSTMAP, "c"), (at.MT_COSTMAP, "c")])
        self.assertEqual(evs[1].json()["cost-map"], {"pid000": {"pid001": 1}})
        self.assertEqual(evs[2].json(), a.get("/costmap/big/routingcost/numerical").json())
        self.assertEqual(evs[2].json()["cost-map"], {"pid000": {"pid001": 4}})

    def test_a_client_that_does_not_read_is_cut_off(self):
        """A stream's events must be out within response-timeout of being
        made (the snapshot they come from stays pinned until then): a client
        that never reads is cut off, and its stream is gone. An idle stream
        is not (it pins nothing): the other stream, read, stays, past both
        response-timeout and request-timeout."""
        big = at.big_maps_text(300000, netmap="big", n_pids=50)
        # 1 s (SLOWDOWN times longer under ALTOD_WRAPPER): the idle stream's
        # first batch, more than 10 MB, must be out within response-timeout,
        # which an altod under valgrind on a busy machine may not manage in
        # 1 s; and every request of the test must reach altod within
        # request-timeout, which is asserted (0 cut off past it)
        t = at.SLOWDOWN
        a = self.start(limits={"response-timeout": t, "request-timeout": t}, maps={"maps/big.yaml": big})
        idle = self.open(a, {"c": {"resource-id": "big"}})
        self.assertGreater(len(idle.next().data), 10 ** 7)
        stuck = self.open(a, {"c": {"resource-id": "big"}}, rcvbuf=4096)
        self.assertEqual(stuck.status(), 200)

        line = until(lambda: stats_line(a, r"update streams \(SSE\) open: \d+"), lambda ln: ln.endswith("open: 1"))
        self.assertTrue(line.endswith("open: 1"), line)
        self.assertRegex(a.stderr(), r"connections cut off: 0 past request-timeout, 1 past response-timeout")
        with self.assertRaises((http.client.IncompleteRead, ConnectionError, socket.timeout)):
            stuck.read_to_end()
        # the idle one still follows
        r = a.post(idle.control_uri, {"add": {"n": {"resource-id": "big"}}}, MT_PARAMS)
        self.assertEqual(r.status, 204)
        self.assertEqual(idle.next().cid, "n")

    def test_limits_and_keepalive(self):
        a = self.start(updates={"streams-per-client": 2, "keepalive": 1})
        add = {"x": {"resource-id": EX_NM}}
        s1, s2 = self.open(a, add), self.open(a, add)
        s3 = self.open(a, add)
        self.assertEqual(s3.status(), 429)
        self.assertEqual(s3.resp.getheader("Retry-After"), "10")
        # keep-alive comments while nothing changes
        self.assertEqual(s1.next().cid, "x")
        self.assertEqual(s1.next_line_of_comment(), b": keep-alive\n")
        # a stream whose client went away is noticed at its next keep-alive:
        # the client may open another then
        s2.close()
        s4 = until(lambda: self.open(a, add), lambda s: s.status() == 200)
        self.assertEqual(s4.status(), 200)

        b = self.start(updates={"streams": 1, "streams-per-client": 0})
        t1 = self.open(b, add)
        self.assertEqual(t1.status(), 200)
        t2 = self.open(b, add)
        self.assertEqual(t2.status(), 503)
        self.assertIn(b"updates.streams", t2.resp.read())

    def test_streams_end_cleanly_at_sigterm(self):
        a = self.start()
        streams = [self.open(a, {"x": {"resource-id": EX_NM}, "y": {"resource-id": EX_COST}}) for _ in range(3)]
        for s in streams:
            self.assertEqual([s.next().cid, s.next().cid], ["x", "y"])
        a.send_signal(signal.SIGTERM)
        for s in streams:
            self.assertEqual(s.read_to_end(), [])  # the chunked body's end, no error
        self.assertEqual(a.wait_exit(), 0)
        self.assertNotIn("still in flight", a.stderr())


if __name__ == "__main__":
    unittest.main(verbosity=2)

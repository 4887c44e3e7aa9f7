"""SIGHUP reloads: new maps take effect (new vtag, moved prefix, new costs),
broken reloads change nothing and log every error, many reloads under load
never give a failed or mixed answer, and listener changes need a restart."""

import json
import os
import re
import signal
import socket
import threading
import time
import unittest

import altodtest as at
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_ENDPOINTCOST, MT_ENDPOINTCOSTPARAMS,
                       MT_ENDPOINTPROP, MT_ENDPOINTPROPPARAMS, MT_NETWORKMAP, MT_NETWORKMAPFILTER)

NM = "net1"

# Version A: RFC 7285's example maps in two files; version B moves
# 198.51.100.0/25 to PID2 and changes the routing costs.
NET_A, COSTS_A, NET_B = at.RFC_NET_A, at.RFC_COSTS_A, at.RFC_NET_B
COSTS_B = COSTS_A.replace("""\
      PID1: {PID1: 1, PID2: 5, PID3: 10}
      PID2: {PID1: 5, PID2: 1, PID3: 15}
      PID3: {PID1: 20, PID2: 15}""", """\
      PID1: {PID1: 2, PID2: 7, PID3: 11}
      PID2: {PID1: 6, PID2: 3, PID3: 9}
      PID3: {PID1: 21, PID2: 14, PID3: 30}""")
assert NET_B != NET_A and COSTS_B != COSTS_A

ROUTING_A = {"PID1": {"PID1": 1, "PID2": 5, "PID3": 10}, "PID2": {"PID1": 5, "PID2": 1, "PID3": 15},
             "PID3": {"PID1": 20, "PID2": 15}}
ROUTING_B = {"PID1": {"PID1": 2, "PID2": 7, "PID3": 11}, "PID2": {"PID1": 6, "PID2": 3, "PID3": 9},
             "PID3": {"PID1": 21, "PID2": 14, "PID3": 30}}
NETMAP_A = {"PID1": {"ipv4": ["192.0.2.0/24", "198.51.100.0/25"]}, "PID2": {"ipv4": ["198.51.100.128/25"]},
            "PID3": {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]}}
NETMAP_B = {"PID1": {"ipv4": ["192.0.2.0/24"]}, "PID2": {"ipv4": ["198.51.100.0/25", "198.51.100.128/25"]},
            "PID3": {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]}}

MOVED = "ipv4:198.51.100.10"  # in the prefix that moves
NUM_ROUTING = at.cost_type("routingcost", "numerical")

VERSIONS = {"A": {"maps/net.yaml": NET_A, "maps/costs.yaml": COSTS_A},
            "B": {"maps/net.yaml": NET_B, "maps/costs.yaml": COSTS_B}}


def write_atomic(directory, files):
    """Writes each file to a temp name and renames it into place."""
    for rel, text in files.items():
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


def conf_for(maps=("maps/net.yaml", "maps/costs.yaml"), port=0, limits=None, extra_listeners=()):
    return at.config_text(list(maps), listen=(("127.0.0.1", port),) + tuple(extra_listeners), limits=limits)


def start(testcase, version="A", conf=None):
    files = dict(VERSIONS[version])
    files["altod.yaml"] = conf if conf is not None else conf_for()
    d = at.make_tree(testcase, files)
    return d, at.start_altod_in(testcase, d)


def norm_netmap(nm):
    return {pid: {t: sorted(v) for t, v in types.items()} for pid, types in nm.items()}


def config_errors(lines):
    """The `error: config: MESSAGE` messages among log lines."""
    out = []
    for ln in lines:
        m = re.search(r" error: config: (.*)$", ln)
        if m:
            out.append(m.group(1))
    return out


# one Host for every instance compared: the directory's URIs are built from it
HOST = "alto.example.net"


class ReloadTestCase(at.AltodTestCase):
    maxDiff = None

    def answers(self, a):
        """Every resource's answer: {label: (status, content type, body)}."""
        reqs = at.resource_requests(a.ird())
        return at.fetch_all(a, reqs, host=HOST)


class TestGoodReload(ReloadTestCase):
    def test_new_costs_and_moved_prefix(self):
        d, a = start(self)
        ird = a.ird()
        nm_uri = ird.networkmap_uri(NM)
        cm_uri = ird.costmap_uri(NM, "routingcost", "numerical")
        before = self.answers(a)

        nm_a = self.assertOk(a.get(nm_uri), MT_NETWORKMAP)
        vtag_a = nm_a["meta"]["vtag"]
        self.assertEqual(norm_netmap(nm_a["network-map"]), NETMAP_A)

        def endpoint_prop():
            return self.assertOk(a.post(ird.endpointprop_uri(), {"properties": ["net1.pid"], "endpoints": [MOVED]},
                                        MT_ENDPOINTPROPPARAMS), MT_ENDPOINTPROP)

        def endpoint_cost():
            return self.assertOk(a.post(ird.endpointcost_uri(NM), {
                "cost-type": NUM_ROUTING,
                "endpoints": {"srcs": [MOVED], "dsts": ["ipv4:192.0.2.5", "ipv4:198.51.100.200"]}},
                MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)

        self.assertEqual(endpoint_prop()["endpoint-properties"], {MOVED: {"net1.pid": "PID1"}})
        self.assertEqual(endpoint_cost()["endpoint-cost-map"],
                         {MOVED: {"ipv4:192.0.2.5": 1, "ipv4:198.51.100.200": 5}})

        write_atomic(d, VERSIONS["B"])
        pid = a.pid
        lines = a.reload("ok")
        self.assertEqual(a.pid, pid)
        self.assertFalse(any(" error: " in ln or " warning: " in ln for ln in lines), "\n".join(lines))

        # network map: new vtag, the prefix in PID2
        nm_b = self.assertOk(a.get(nm_uri), MT_NETWORKMAP)
        vtag_b = nm_b["meta"]["vtag"]
        self.assertEqual(vtag_b["resource-id"], NM)
        self.assertRegex(vtag_b["tag"], r"^[0-9a-f]{64}$")
        self.assertNotEqual(vtag_b["tag"], vtag_a["tag"])
        self.assertEqual(norm_netmap(nm_b["network-map"]), NETMAP_B)
        # the reload summary names the new vtag
        self.assertTrue(any("reload: ok:" in ln and "net1=" + vtag_b["tag"][:16] in ln for ln in lines),
                        "\n".join(lines))
        # cost map: new costs, depending on the new vtag
        cm = self.assertOk(a.get(cm_uri), MT_COSTMAP)
        self.assertEqual(cm["meta"]["dependent-vtags"], [vtag_b])
        self.assertEqual(cm["cost-map"], ROUTING_B)
        fcm = self.assertOk(a.post(ird.filtered_costmap_uri(NM), {
            "cost-type": NUM_ROUTING, "pids": {"srcs": ["PID2"], "dsts": ["PID1", "PID2"]}},
            MT_COSTMAPFILTER), MT_COSTMAP)
        self.assertEqual(fcm["meta"]["dependent-vtags"], [vtag_b])
        self.assertEqual(fcm["cost-map"], {"PID2": {"PID1": 6, "PID2": 3}})
        fnm = self.assertOk(a.post(ird.filtered_networkmap_uri(NM), {"pids": ["PID2"]}, MT_NETWORKMAPFILTER),
                            MT_NETWORKMAP)
        self.assertEqual(fnm["meta"]["vtag"], vtag_b)
        self.assertEqual(norm_netmap(fnm["network-map"]), {"PID2": NETMAP_B["PID2"]})
        # an address of the moved prefix: new PID, new costs
        ep = endpoint_prop()
        self.assertEqual(ep["endpoint-properties"], {MOVED: {"net1.pid": "PID2"}})
        self.assertEqual(ep["meta"]["dependent-vtags"], [vtag_b])
        self.assertEqual(endpoint_cost()["endpoint-cost-map"],
                         {MOVED: {"ipv4:192.0.2.5": 6, "ipv4:198.51.100.200": 3}})

        # the same answers, byte for byte, as a fresh altod on version B
        after = self.answers(a)
        d2, fresh = start(self, "B")
        self.assertEqual(self.answers(fresh), after)
        fresh.stop()
        # and back to A: exactly the first answers again (the vtag too)
        write_atomic(d, VERSIONS["A"])
        a.reload("ok")
        self.assertEqual(self.answers(a), before)

    def test_request_in_flight_finishes_on_its_snapshot(self):
        # no request-timeout: the request stays half sent while altod
        # reloads and answers another, which under valgrind on a busy
        # machine can take longer than the default 10 s, and altod would
        # cut it off for a slowness that is not the test's
        d, a = start(self, conf=conf_for(limits={"request-timeout": 0}))
        ird = a.ird()
        uri = a.url_path(ird.endpointcost_uri(NM))
        body = json.dumps({"cost-type": NUM_ROUTING,
                           "endpoints": {"srcs": [MOVED], "dsts": ["ipv4:192.0.2.5"]}}).encode()
        s = at.begin_post(a, uri, MT_ENDPOINTCOSTPARAMS, len(body))  # the request has started
        self.addCleanup(s.close)
        s.sendall(body[:10])
        write_atomic(d, VERSIONS["B"])
        a.reload("ok")
        # a new request sees B
        r = a.post(ird.endpointcost_uri(NM), body, MT_ENDPOINTCOSTPARAMS)
        self.assertEqual(self.assertOk(r, MT_ENDPOINTCOST)["endpoint-cost-map"], {MOVED: {"ipv4:192.0.2.5": 6}})
        # the one started before finishes on A
        s.sendall(body[10:])
        rs, _ = at.recv_responses(s, 1)
        self.assertEqual(len(rs), 1)
        self.assertEqual(self.assertOk(rs[0], MT_ENDPOINTCOST)["endpoint-cost-map"],
                         {MOVED: {"ipv4:192.0.2.5": 1}})

    # docs/configuration.md: only server.listen needs a restart; "Everything
    # else, and every maps file, is re-read on reload."
    def test_max_request_body_reread_on_reload(self):
        d, a = start(self)
        uri = a.ird().endpointprop_uri()
        req = {"properties": ["net1.pid"], "endpoints": ["ipv4:192.0.2.%d" % i for i in range(1, 60)]}
        self.assertGreater(len(json.dumps(req)), 500)
        self.assertEqual(a.post(uri, req, MT_ENDPOINTPROPPARAMS).status, 200)
        at.write_files(d, {"altod.yaml": conf_for(limits={"max-request-body": 500})})
        # control: started with that limit, altod refuses the request
        fresh = at.start_altod_in(self, d)
        self.assertEqual(fresh.post(uri, req, MT_ENDPOINTPROPPARAMS).status, 413)
        fresh.stop()
        a.reload("ok")
        r = a.post(uri, req, MT_ENDPOINTPROPPARAMS)
        self.assertEqual(r.status, 413, r)

    def test_max_endpoints_reread_on_reload(self):
        d, a = start(self)
        uri = a.ird().endpointprop_uri()
        req = {"properties": ["net1.pid"], "endpoints": ["ipv4:192.0.2.%d" % i for i in range(1, 12)]}
        self.assertEqual(a.post(uri, req, MT_ENDPOINTPROPPARAMS).status, 200)
        at.write_files(d, {"altod.yaml": conf_for(limits={"max-endpoints": 10})})
        fresh = at.start_altod_in(self, d)  # control: started with that limit
        self.assertAltoError(fresh.post(uri, req, MT_ENDPOINTPROPPARAMS), "E_INVALID_FIELD_VALUE", field="endpoints")
        fresh.stop()
        a.reload("ok")
        r = a.post(uri, req, MT_ENDPOINTPROPPARAMS)
        self.assertAltoError(r, "E_INVALID_FIELD_VALUE", field="endpoints")
        req["endpoints"] = req["endpoints"][:10]
        self.assertEqual(a.post(uri, req, MT_ENDPOINTPROPPARAMS).status, 200)


class TestBrokenReload(ReloadTestCase):
    """Each broken reload keeps every answer byte for byte and logs every
    error (the same ones `altod -t` prints) with file:line:column."""

    def setUp(self):
        self.dir, self.a = start(self)
        self.conf_path = os.path.join(self.dir, "altod.yaml")
        self.before = self.answers(self.a)
        self.assertGreaterEqual(len(self.before), 15)

    def broken(self, expected):
        """Reload (must fail) and check: answers unchanged; the logged errors
        are exactly `altod -t`'s; each expected (file, line, col or None,
        [words]) is among them; the error count is right."""
        code, out = at.check_config(self.conf_path)
        self.assertEqual(code, 1, out)
        lines = self.a.reload("failed")
        logged = config_errors(lines)
        self.assertEqual(logged, out.splitlines(), "\n".join(lines))
        diags = at.parse_diag_lines(out)
        for fname, line, col, words in expected:
            path = os.path.realpath(os.path.join(self.dir, fname))
            self.assertTrue(any(f is not None and os.path.realpath(f) == path and ln == line
                                and (col is None or c == col) and all(w in msg for w in words)
                                for f, ln, c, msg in diags),
                            "no %s:%d:%s %r in:\n%s" % (fname, line, col, words, out))
        self.assertEqual(len(diags), len(expected), out)
        self.assertTrue(any("reload failed with %d error(s)" % len(expected) in ln and " error: " in ln
                            for ln in lines), "\n".join(lines))
        self.assertFalse(any("reload: ok" in ln for ln in lines))
        self.assertTrue(self.a.alive())
        self.assertEqual(self.answers(self.a), self.before)

    def recover(self):
        write_atomic(self.dir, VERSIONS["A"])
        write_atomic(self.dir, {"altod.yaml": conf_for()})
        self.a.reload("ok")
        self.assertEqual(self.answers(self.a), self.before)

    def test_bad_yaml(self):
        # a valid change to one file, a YAML syntax error in the other
        bad = COSTS_B.replace("PID2: {PID1: 6, PID2: 3, PID3: 9}", "PID2: {PID1: 6, PID2: 3, PID3: 9]")
        line = [i + 1 for i, ln in enumerate(bad.splitlines()) if "PID3: 9]" in ln][0]
        write_atomic(self.dir, {"maps/net.yaml": NET_B, "maps/costs.yaml": bad})
        self.broken([("maps/costs.yaml", line, None, ["YAML"])])
        self.recover()

    def test_deleted_maps_file(self):
        write_atomic(self.dir, {"maps/net.yaml": NET_B})
        os.remove(os.path.join(self.dir, "maps/costs.yaml"))
        text = conf_for()
        line = [i + 1 for i, ln in enumerate(text.splitlines()) if "costs.yaml" in ln][0]
        col = text.splitlines()[line - 1].index('"maps/costs.yaml"') + 1
        self.broken([("altod.yaml", line, col, ["costs.yaml"])])
        self.recover()

    def test_semantic_errors(self):
        net = NET_B.replace("[198.51.100.0/25, 198.51.100.128/25]", "[198.51.100.1/25, 198.51.100.128/25]")
        costs = COSTS_B.replace("PID3: {PID1: 21, PID2: 14, PID3: 30}", "PID3: {PID1: 21, PID9: 14, PID3: -30}")
        ln_net = [i + 1 for i, ln in enumerate(net.splitlines()) if "198.51.100.1/25" in ln][0]
        ln_cost = [i + 1 for i, ln in enumerate(costs.splitlines()) if "PID9" in ln][0]
        write_atomic(self.dir, {"maps/net.yaml": net, "maps/costs.yaml": costs})
        self.broken([
            ("maps/net.yaml", ln_net, net.splitlines()[ln_net - 1].index("198.51.100.1/25") + 1,
             ["198.51.100.1/25"]),
            ("maps/costs.yaml", ln_cost, costs.splitlines()[ln_cost - 1].index("PID9") + 1, ["PID9"]),
            ("maps/costs.yaml", ln_cost, costs.splitlines()[ln_cost - 1].index("-30") + 1, ["-30"]),
        ])
        self.recover()

    def test_bad_config_file(self):
        write_atomic(self.dir, VERSIONS["B"])
        text = conf_for().replace("limits:\n", "limits:\n  max-bodies: 5\n")
        line = text.splitlines().index("  max-bodies: 5") + 1
        write_atomic(self.dir, {"altod.yaml": text})
        self.broken([("altod.yaml", line, 3, ["max-bodies"])])
        self.recover()

    def test_one_broken_reload_after_another(self):
        bad = COSTS_A.replace("PID3: {PID1: 20, PID2: 15}", "PID3: {PID1: 20, PID2: 15]")
        ln_bad = [i + 1 for i, ln in enumerate(bad.splitlines()) if "PID2: 15" in ln][0]
        write_atomic(self.dir, {"maps/costs.yaml": bad})
        self.broken([("maps/costs.yaml", ln_bad, None, ["YAML"])])
        os.remove(os.path.join(self.dir, "maps/net.yaml"))
        text = conf_for()
        line = [i + 1 for i, ln in enumerate(text.splitlines()) if "net.yaml" in ln][0]
        self.broken([("altod.yaml", line, None, ["net.yaml"]), ("maps/costs.yaml", ln_bad, None, ["YAML"])])
        self.recover()


class TestReloadUnderLoad(ReloadTestCase):
    RELOADS = 50
    THREADS = 4

    def test_reloads_while_clients_query(self):
        # the four requests, and their version-A and version-B answers from
        # two reference servers
        def requests(ird):
            return [
                ("GET networkmap", "GET", ird.networkmap_uri(NM), None, None),
                ("GET costmap", "GET", ird.costmap_uri(NM, "routingcost", "numerical"), None, None),
                ("POST filtered costmap", "POST", ird.filtered_costmap_uri(NM), json.dumps(
                    {"cost-type": NUM_ROUTING, "pids": {"srcs": ["PID1", "PID2"], "dsts": []}}).encode(),
                 MT_COSTMAPFILTER),
                ("POST endpoint cost", "POST", ird.endpointcost_uri(NM), json.dumps(
                    {"cost-type": at.cost_type("routingcost", "ordinal"),
                     "endpoints": {"srcs": [MOVED, "ipv4:192.0.2.7"],
                                   "dsts": ["ipv4:192.0.2.5", "ipv4:198.51.100.200", "ipv4:203.0.113.1"]}}
                ).encode(), MT_ENDPOINTCOSTPARAMS),
            ]

        ref = {}
        for v in ("A", "B"):
            _, r = start(self, v)
            reqs = requests(r.ird())
            ref[v] = at.fetch_all(r, reqs, host=HOST)
            r.stop()
        for label, *_ in reqs:
            self.assertEqual(ref["A"][label][0], 200)
            self.assertEqual(ref["B"][label][0], 200)
            self.assertNotEqual(ref["A"][label][2], ref["B"][label][2], label)

        d, a = start(self, "A")
        self.assertEqual(at.fetch_all(a, reqs, host=HOST), ref["A"])
        stop = threading.Event()
        records = [[] for _ in range(self.THREADS)]  # (label, t_start, t_end, version or None, detail)
        done = [0] * self.THREADS
        crashed = []

        def client(k):
            conn = a.connect()
            try:
                i = k
                while not stop.is_set():
                    label, method, uri, body, ctype = reqs[i % len(reqs)]
                    i += 1
                    t0 = time.monotonic()
                    try:
                        r = a.request(method, uri, body=body,
                                      headers=dict({"Content-Type": ctype} if ctype else {}, Host=HOST), conn=conn)
                        got = (r.status, r.content_type, r.body)
                        version = [v for v in ("A", "B") if ref[v][label] == got]
                        rec = (label, t0, time.monotonic(), version[0] if version else None, got)
                    except Exception as e:  # noqa: BLE001 -- a failed request is a finding
                        rec = (label, t0, time.monotonic(), None, repr(e))
                        conn.close()
                        conn = a.connect()
                    records[k].append(rec)
                    done[k] += 1
            except BaseException as e:  # noqa: BLE001
                crashed.append(repr(e))
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(self.THREADS)]
        for t in threads:
            t.start()
        epochs = [("A", 0.0, None)]  # (version, from: reload ok seen, to: next SIGHUP sent)
        try:
            for n in range(self.RELOADS):
                v = "B" if n % 2 == 0 else "A"
                write_atomic(d, VERSIONS[v])
                mark = a.log_count()
                t_hup = time.monotonic()
                epochs[-1] = (epochs[-1][0], epochs[-1][1], t_hup)
                a.send_signal(signal.SIGHUP)
                line = a.wait_for_log(r"reload: ok|reload failed", after=mark)
                self.assertIn("reload: ok", line)
                t_ok = time.monotonic()
                epochs.append((v, t_ok, None))
                # let every client finish two requests on this version
                seen = list(done)
                deadline = time.monotonic() + 10
                while any(done[k] < seen[k] + 2 for k in range(self.THREADS)) and time.monotonic() < deadline:
                    time.sleep(0.002)
                self.assertFalse(crashed, crashed)
        finally:
            stop.set()
            for t in threads:
                t.join(15)
        epochs[-1] = (epochs[-1][0], epochs[-1][1], time.monotonic())
        self.assertFalse(crashed, crashed)

        allrecs = [r for rs in records for r in rs]
        failed = [r for r in allrecs if r[3] is None]
        self.assertEqual(failed[:5], [], "%d of %d requests failed or got neither A's nor B's answer"
                         % (len(failed), len(allrecs)))
        # each request that ran wholly between a reload's `ok` and the next
        # SIGHUP got that version
        wrong = []
        for label, t0, t1, version, _ in allrecs:
            for v, start_, end in epochs:
                if start_ <= t0 and t1 <= end and version != v:
                    wrong.append((label, version, v))
        self.assertEqual(wrong[:5], [], "%d requests got the previous version after `reload: ok`" % len(wrong))
        # every request saw both versions, and each client made progress in every epoch
        for label, *_ in reqs:
            self.assertEqual({r[3] for r in allrecs if r[0] == label}, {"A", "B"}, label)
        self.assertGreaterEqual(len(allrecs), self.RELOADS * self.THREADS * 2)
        log = a.stderr()
        self.assertEqual(log.count("reload: ok"), self.RELOADS, log)
        self.assertNotIn("reload failed", log)
        self.assertNotIn(" warning: ", log)
        self.assertNotIn(" error: ", log)


class TestSighupBurst(ReloadTestCase):
    def test_burst_of_sighups(self):
        _, ref_b = start(self, "B")
        want = self.answers(ref_b)
        ref_b.stop()
        d, a = start(self)
        write_atomic(d, VERSIONS["B"])
        for _ in range(20):
            a.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + at.LOG_TIMEOUT
        while self.answers(a) != want and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.answers(a), want)
        # the coalesced reloads are over: altod's main loop handles a
        # pending reload before a stats dump (src/main.c), so once the dump
        # asked for after the last SIGHUP is logged, none is left
        mark = a.log_count()
        a.send_signal(signal.SIGUSR1)
        a.wait_for_log(r"server: connections cut off: ", after=mark)
        log = a.stderr()
        self.assertGreaterEqual(log.count("reload: ok"), 1, log)
        self.assertEqual(log.count("reload: ok"), log.count("reload: reloading"), log)
        self.assertNotIn(" error: ", log)
        self.assertTrue(a.alive())
        self.assertEqual(self.answers(a), want)


class TestListenerChange(ReloadTestCase):
    def free_port(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def test_port_change_needs_restart(self):
        d, a = start(self)
        old_port = a.port
        new_port = self.free_port()
        pid = a.pid
        nm_uri = a.ird().networkmap_uri(NM)
        write_atomic(d, VERSIONS["B"])
        write_atomic(d, {"altod.yaml": conf_for(port=new_port)})
        lines = a.reload("ok")
        warn = [ln for ln in lines if "need a restart" in ln]
        self.assertEqual(len(warn), 1, "\n".join(lines))
        self.assertIn(" warning: ", warn[0])
        self.assertEqual(a.pid, pid)
        # the old port keeps serving (the new maps: only listeners wait for a restart)
        nm = self.assertOk(a.get(nm_uri), MT_NETWORKMAP)
        self.assertEqual(norm_netmap(nm["network-map"]), NETMAP_B)
        self.assertEqual(a.port, old_port)
        # nothing listens on the new port
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", new_port), timeout=2).close()
        self.assertFalse(any("listening on" in ln for ln in lines), "\n".join(lines))
        # still pending on the next reload
        lines = a.reload("ok")
        self.assertEqual(sum("need a restart" in ln for ln in lines), 1, "\n".join(lines))
        # back to the started config: no warning
        write_atomic(d, {"altod.yaml": conf_for()})
        lines = a.reload("ok")
        self.assertFalse(any("need a restart" in ln for ln in lines), "\n".join(lines))
        self.assertEqual(a.get(nm_uri).status, 200)

    def test_daemon_options_need_restart(self):
        # docs/configuration.md: connection-timeout, max-connections and
        # threads take effect at the next restart, and a reload says so
        d, a = start(self)
        changes = {
            "threads": conf_for().replace("limits:\n", "  threads: 3\nlimits:\n"),
            "connection-timeout": conf_for(limits={"connection-timeout": 7}),
            "max-connections": conf_for(limits={"max-connections": 77}),
        }
        for key, text in changes.items():
            with self.subTest(key=key):
                write_atomic(d, {"altod.yaml": text})
                lines = a.reload("ok")
                warn = [ln for ln in lines if "need a restart" in ln]
                self.assertEqual(len(warn), 1, "\n".join(lines))
                self.assertIn(" warning: ", warn[0])
                self.assertEqual(a.get("/").status, 200)
        # request limits are not among them
        write_atomic(d, {"altod.yaml": conf_for(limits={"max-endpoints": 50, "max-request-body": 4096})})
        lines = a.reload("ok")
        self.assertFalse(any("need a restart" in ln for ln in lines), "\n".join(lines))

    def test_added_listener_needs_restart(self):
        d, a = start(self)
        extra = self.free_port()
        write_atomic(d, {"altod.yaml": conf_for(extra_listeners=(("127.0.0.1", extra),))})
        lines = a.reload("ok")
        self.assertEqual(sum("need a restart" in ln for ln in lines), 1, "\n".join(lines))
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", extra), timeout=2).close()
        self.assertEqual(a.get("/").status, 200)


if __name__ == "__main__":
    unittest.main()

"""Two altod replicas on the same maps behind a real HAProxy: identical
answers (and vtags) from either replica and through the proxy, and no failed
request while one replica is stopped with SIGTERM under load."""

import os
import signal
import tempfile
import time
import unittest

import altodtest as at

HAPROXY_CFG = """\
global
    maxconn 256
    stats socket {stats} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client {t5}s
    timeout server {t5}s
    timeout check {t10}s
    retries 3
    option redispatch
    retry-on all-retryable-errors

frontend fe
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /
    http-check expect status 200
    default-server inter 200ms fall 2 rise 1
    server r1 127.0.0.1:{p1} check
    server r2 127.0.0.1:{p2} check
"""


class Haproxy(at.Haproxy):
    """HAProxy round-robin over two replicas (r1 at p1, r2 at p2). Its
    timeouts of an answer (5 s) and of a health check (10 s), and the wait
    for both replicas UP, are SLOWDOWN times longer: a replica under
    valgrind on a busy machine can take longer to answer, and HAProxy would
    answer 504, or mark it DOWN, for a slowness the tests are not about."""

    def __init__(self, directory, p1, p2):
        self.port = at.free_port()
        super().__init__(directory, HAPROXY_CFG.replace("{port}", str(self.port)).replace(
            "{p1}", str(p1)).replace("{p2}", str(p2)).replace(
            "{t5}", str(5 * at.SLOWDOWN)).replace("{t10}", str(10 * at.SLOWDOWN)))

    def start(self, timeout=10.0 * at.SLOWDOWN):
        return super().start(lambda: all(st == "UP" for st in self.status().values()) and at.listening(self.port),
                             "up with both replicas UP", timeout)

    def replicas(self):
        """{server name: {column: value}} of the replicas backend."""
        return {row["svname"]: row for row in self.stat()
                if row.get("pxname") == "replicas" and row.get("svname") in ("r1", "r2")}

    def status(self):
        return {k: v["status"] for k, v in self.replicas().items()}

    def safe_status(self):
        try:
            return self.status()
        except OSError as e:
            return repr(e)

    def served(self):
        return {k: int(v["stot"]) for k, v in self.replicas().items()}


class TestReplicas(at.AltodTestCase):
    maxDiff = None

    def setUp(self):
        self.replicas = []
        for _ in range(2):
            self.replicas.append(at.start_altod(self))
        td = tempfile.TemporaryDirectory(prefix="altodtest-haproxy-")
        self.addCleanup(td.cleanup)
        self.hap = Haproxy(td.name, self.replicas[0].port, self.replicas[1].port)
        self.addCleanup(self.hap.stop)
        self.hap.start()
        self.proxy = at.Client("127.0.0.1", self.hap.port)
        self.reqs = at.resource_requests(self.replicas[0].ird())
        # as a client of the proxy asks (the directory's URIs come from Host)
        self.host = "127.0.0.1:%d" % self.hap.port
        self.reference = at.fetch_all(self.replicas[0], self.reqs, host=self.host)
        for label, (status, ctype, body) in self.reference.items():
            self.assertEqual(status, 200, (label, body))

    def test_identical_answers_through_either_replica_and_the_proxy(self):
        r1, r2 = self.replicas
        self.assertNotEqual(r1.dir, r2.dir)
        self.assertEqual(at.fetch_all(r2, self.reqs, host=self.host), self.reference)
        ird = r1.ird()
        for rid in (rid for rid, r in ird.resources.items() if r["media-type"] == at.MT_NETWORKMAP
                    and "accepts" not in r):
            v1 = r1.get(ird.uri(rid)).json()["meta"]["vtag"]
            v2 = r2.get(ird.uri(rid)).json()["meta"]["vtag"]
            self.assertEqual(v1, v2)
            self.assertRegex(v1["tag"], r"^[0-9a-f]{64}$")
        before = self.hap.served()
        for _ in range(3):
            # new connections, and one keep-alive connection
            self.assertEqual(at.fetch_all(self.proxy, self.reqs), self.reference)
            conn = self.proxy.connect()
            try:
                self.assertEqual(at.fetch_all(self.proxy, self.reqs, conn=conn), self.reference)
            finally:
                conn.close()
        after = self.hap.served()
        n = 6 * len(self.reqs)
        self.assertEqual(sum(after.values()) - sum(before.values()), n, (before, after))
        for name in ("r1", "r2"):
            self.assertGreaterEqual(after[name] - before[name], n // 3, (name, before, after))

    def test_no_failed_request_while_a_replica_stops(self):
        total, kill_at = 300, 100
        results = []
        served_before = None
        conn = self.proxy.connect()
        r2 = self.replicas[1]
        try:
            for i in range(total):
                if i == kill_at:
                    served_before = self.hap.served()
                    r2.send_signal(signal.SIGTERM)
                label, method, uri, body, ctype = self.reqs[i % len(self.reqs)]
                try:
                    r = self.proxy.request(method, uri, body=body,
                                           headers={"Content-Type": ctype} if ctype else None, conn=conn)
                    results.append((i, label, (r.status, r.content_type, r.body)))
                except Exception as e:  # noqa: BLE001 -- a failed request is a finding
                    results.append((i, label, repr(e)))
                    conn.close()
                    conn = self.proxy.connect()
                time.sleep(0.005)
        finally:
            conn.close()
        bad = [(i, label, got) for i, label, got in results if got != self.reference[label]]
        self.assertEqual(bad[:5], [], "%d of %d requests through haproxy failed or differed"
                         % (len(bad), len(results)))
        self.assertEqual(len(results), total)
        # both replicas served before the SIGTERM; r2 stopped cleanly and is DOWN
        self.assertGreater(served_before["r1"], 0)
        self.assertGreater(served_before["r2"], 0)
        self.assertEqual(r2.wait_exit(), 0)
        self.assertIn("stopped", r2.stderr_lines[-1])
        deadline = time.monotonic() + at.LOG_TIMEOUT  # liveness only
        while self.hap.status().get("r2", "").split()[0] != "DOWN" and time.monotonic() < deadline:
            time.sleep(0.05)
        status = self.hap.status()
        self.assertEqual(status["r1"], "UP")
        self.assertTrue(status["r2"].startswith("DOWN"), status)
        # and the proxy still answers everything, from r1
        self.assertEqual(at.fetch_all(self.proxy, self.reqs), self.reference)
        self.assertTrue(self.replicas[0].alive())


if __name__ == "__main__":
    unittest.main()

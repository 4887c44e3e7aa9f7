"""The admin listener (altod.yaml `admin`): /metrics in the Prometheus text
format, checked by `promtool check metrics` and scraped by a real Prometheus
server whose HTTP API must show a request counter that moved with this
test's traffic; /healthz and /readyz, on the admin listener and, without
credentials, on the ALTO listeners, checked by a real HAProxy (in access
mode `GET /` answers 401: a check on it marks every replica down); Basic
credentials over TLS on the admin listener; docs/operations.md's metrics
table (generated) and its alert rules (`promtool check rules`, and loaded
into the Prometheus server)."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import hashlib

import altodtest as at
import isoutil as iu
import tlsutil

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
OPERATIONS_MD = os.path.join(at.SRC, "docs", "operations.md")
METRICS_BEGIN = "<!-- BEGIN generated metrics reference -->\n"
METRICS_END = "<!-- END generated metrics reference -->\n"
RULES_BEGIN = "<!-- BEGIN alert rules -->\n```yaml\n"
RULES_END = "```\n<!-- END alert rules -->\n"
# generous: Prometheus starts, scrapes every second and evaluates rules
# every second; nothing here asserts how fast
PROM_DEADLINE = 120.0 * at.SLOWDOWN
ADMIN_RE = r"admin listener on (https?)://([0-9.]+):(\d+)/"

USER, PASSWORD = "prometheus", "correct horse battery staple 8f3a"
CLIENT, CLIENT_PW = "tenant-b", "tenant-b password"
NM = "my-default-network-map"


def admin_section(port=0, tls=None, users=()):
    lines = ["admin:", "  address: 127.0.0.1", "  port: %d" % port]
    if tls:
        lines += ["  tls: {certificate: %s, key: %s}" % (iu.q(tls[0]), iu.q(tls[1]))]
    if users:
        lines.append("  users:")
        for u, pw in users:
            lines.append("    - {user: %s, sha256: %s}" % (iu.q(u), hashlib.sha256(pw.encode()).hexdigest()))
    return "\n".join(lines) + "\n"


def admin_address(a):
    m = re.search(ADMIN_RE, a.wait_for_log(ADMIN_RE))
    return m.group(1), m.group(2), int(m.group(3))


class Admin:
    """Requests to an altod's admin listener."""

    def __init__(self, a, ssl_context=None, auth=None):
        self.scheme, self.host, self.port = admin_address(a)
        self.ctx = ssl_context
        self.auth = auth

    def request(self, method, path, auth=None):
        if self.scheme == "https":
            c = http.client.HTTPSConnection(self.host, self.port, timeout=at.IO_TIMEOUT, context=self.ctx)
        else:
            c = http.client.HTTPConnection(self.host, self.port, timeout=at.IO_TIMEOUT)
        try:
            auth = auth if auth is not None else self.auth
            c.request(method, path, headers={"Authorization": auth} if auth else {})
            r = c.getresponse()
            return at.Response(r.status, r.reason, r.getheaders(), r.read())
        finally:
            c.close()

    def get(self, path, auth=None):
        return self.request("GET", path, auth)

    def text(self):
        r = self.get("/metrics")
        if r.status != 200:
            raise AssertionError("GET /metrics: %r" % r)
        return r.body.decode("utf-8")

    def samples(self):
        return parse_exposition(self.text())

    def value(self, name, **labels):
        return sample(self.samples(), name, **labels)

    def settled(self, name, expected, **labels):
        """The samples once name{labels} is expected: a request is counted
        when libmicrohttpd reports it complete, just after the client has
        its answer."""
        return self.settled_all((name, labels, expected))

    def settled_all(self, *want):
        """The samples once every (name, labels, expected) of `want` is
        expected. A test that asserts on several series waits for them all:
        each request's counters move one after the other, in a thread of
        altod's own, after the client has its answer, and two requests on
        two connections complete in no set order (under valgrind, the one
        settled on can be counted before another, or before its own other
        counters)."""
        got = []

        def check():
            got[:] = [self.samples()]
            return all(sample(got[0], name, **labels) == expected for name, labels, expected in want)
        try:
            poll(check, " and ".join("%s%r == %s" % w for w in want))
        except AssertionError:
            last = [(name, labels, sample(got[0], name, **labels) if got else None) for name, labels, _ in want]
            raise AssertionError("%r, expected %r" % (last, want))
        return got[0]


SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """[(name, {label: value}, float)] of every sample line."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        labels = dict(LABEL_RE.findall(m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def sample(samples, name, **labels):
    """The value of the one sample of name whose labels include these (0
    when there is none)."""
    found = [v for n, ls, v in samples if n == name and all(ls.get(k) == v2 for k, v2 in labels.items())]
    if len(found) > 1:
        raise AssertionError("%d samples of %s %r" % (len(found), name, labels))
    return found[0] if found else 0.0


def poll(fn, what, deadline=None):
    """fn() until it returns something true; fails after the deadline."""
    end = time.monotonic() + (deadline or at.LOG_TIMEOUT)
    last = None
    while time.monotonic() < end:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError("%s: not after %ss (last: %r)" % (what, deadline or at.LOG_TIMEOUT, last))


def promtool_check_metrics(text):
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def docs_part(begin, end):
    with open(OPERATIONS_MD, encoding="utf-8") as f:
        text = f.read()
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise AssertionError("docs/operations.md: markers %r %r missing, repeated or out of order" % (begin, end))
    return text[text.index(begin) + len(begin):text.index(end)]


def start(testcase, extra="", listen=(("127.0.0.1", 0),)):
    return at.start_altod(testcase, listen=listen, extra_config=extra)


class TestAdminPlain(at.AltodTestCase):
    """Plain HTTP on the loopback, no credentials: what a local Prometheus
    scrapes."""

    def setUp(self):
        self.a = start(self, admin_section())
        self.adm = Admin(self.a)

    def test_exposition_passes_promtool(self):
        for _ in range(3):
            self.assertEqual(self.a.get("/").status, 200)
        self.a.request("BREW", "/nothing-here")
        r = self.adm.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        code, out = promtool_check_metrics(r.body.decode())
        self.assertEqual(code, 0, out)
        # HEAD too, for checks that only look at the status
        self.assertEqual(self.adm.request("HEAD", "/metrics").status, 200)

    def test_request_counter_moves_with_traffic(self):
        series = dict(resource="directory", method="GET", status="200", client="unauthenticated")
        before = self.adm.samples()
        body = self.a.get("/").body
        for _ in range(2):
            self.assertEqual(self.a.get("/").status, 200)
        after = self.adm.settled_all(
            ("altod_http_requests_total", series, sample(before, "altod_http_requests_total", **series) + 3),
            ("altod_http_response_bytes_total", series,
             sample(before, "altod_http_response_bytes_total", **series) + 3 * len(body)),
            ("altod_http_request_duration_seconds_count", {"resource": "directory"},
             sample(before, "altod_http_request_duration_seconds_count", resource="directory") + 3))
        self.assertEqual(sample(after, "altod_http_response_bytes_total", **series)
                         - sample(before, "altod_http_response_bytes_total", **series), 3 * len(body))
        self.assertEqual(sample(after, "altod_http_request_duration_seconds_count", resource="directory")
                         - sample(before, "altod_http_request_duration_seconds_count", resource="directory"), 3)
        # the scrapes themselves are not ALTO requests
        self.assertEqual(sample(self.adm.samples(), "altod_http_requests_total", **series),
                         sample(after, "altod_http_requests_total", **series))
        # what the snapshot holds: the RFC example maps
        self.assertEqual(sample(after, "altod_snapshot_network_maps"), 1)
        self.assertEqual(sample(after, "altod_snapshot_pids"), 3)
        self.assertEqual(sample(after, "altod_snapshot_prefixes"), 5)
        self.assertGreater(sample(after, "altod_snapshot_rendered_bytes"), 0)
        self.assertGreater(sample(after, "process_resident_memory_bytes"), 1 << 20)
        self.assertEqual(sample(after, "altod_ready"), 1)

    def test_request_input_never_becomes_a_label(self):
        self.a.request("BREW", "/coffee-pot")
        self.a.request("GET", "/networkmap/no-such-map")
        self.a.request("GET", "/%22%0aevil")
        self.adm.settled_all(("altod_http_requests_total", dict(resource="unknown", method="GET", status="404"), 2),
                             ("altod_http_requests_total", dict(resource="unknown", method="other", status="404"), 1))
        text = self.adm.text()
        for word in ("BREW", "coffee", "no-such-map", "evil"):
            self.assertNotIn(word, text)
        s = parse_exposition(text)
        self.assertEqual(sample(s, "altod_http_requests_total", resource="unknown", method="other", status="404"),
                         1)
        self.assertEqual(sample(s, "altod_http_requests_total", resource="unknown", method="GET", status="404"), 2)

    def test_health_checks(self):
        r = self.adm.get("/healthz")
        self.assertEqual((r.status, r.body), (200, b"ok\n"))
        r = self.adm.get("/readyz")
        self.assertEqual((r.status, r.body), (200, b"ready\n"))
        self.assertEqual(self.adm.get("/").status, 404)
        self.assertEqual(self.adm.get("/metrics/x").status, 404)
        r = self.adm.request("POST", "/metrics")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD")
        # on the ALTO listener too, counted as resource "health"
        for path, body in (("/healthz", b"ok\n"), ("/readyz", b"ready\n")):
            r = self.a.get(path)
            self.assertEqual((r.status, r.body), (200, body))
            self.assertEqual(r.header("Cache-Control"), "no-store")
        self.adm.settled("altod_http_requests_total", 2, resource="health", method="GET", status="200")
        # only GET and HEAD: anything else is routed as usual (no resource there)
        self.assertEqual(self.a.request("POST", "/healthz", body="x").status, 404)

    def test_open_connections_and_reloads(self):
        conns = [self.a.connect() for _ in range(3)]
        for c in conns:
            self.assertEqual(self.a.get("/", conn=c).status, 200)
        poll(lambda: self.adm.value("altod_http_open_connections") == 3, "3 open connections")
        for c in conns:
            c.close()
        poll(lambda: self.adm.value("altod_http_open_connections") == 0, "no open connection")
        self.assertGreaterEqual(self.adm.value("altod_http_connections_total"), 3)

        start_time = self.adm.value("process_start_time_seconds")
        self.assertEqual(self.adm.value("altod_last_reload_success_timestamp_seconds"), start_time)
        self.a.reload("ok")
        s = self.adm.samples()
        self.assertEqual(sample(s, "altod_reloads_total", result="success"), 1)
        self.assertEqual(sample(s, "altod_reloads_total", result="failure"), 0)
        ok_at = sample(s, "altod_last_reload_success_timestamp_seconds")
        self.assertGreaterEqual(ok_at, start_time)
        with open(os.path.join(self.a.dir, "maps", "example.yaml"), "a", encoding="utf-8") as f:
            f.write("\n  this is: [not valid\n")
        self.a.reload("failed")
        s = self.adm.samples()
        self.assertEqual(sample(s, "altod_reloads_total", result="failure"), 1)
        self.assertEqual(sample(s, "altod_last_reload_success_timestamp_seconds"), ok_at)
        self.assertEqual(self.a.get("/").status, 200)

    def test_admin_section_needs_a_restart(self):
        with open(self.a.conf, encoding="utf-8") as f:
            text = f.read()
        new_port = at.free_port()
        self.assertEqual(text.count("admin:\n  address: 127.0.0.1\n  port: 0\n"), 1)
        with open(self.a.conf, "w", encoding="utf-8") as f:
            f.write(text.replace("admin:\n  address: 127.0.0.1\n  port: 0\n",
                                 "admin:\n  address: 127.0.0.1\n  port: %d\n" % new_port))
        lines = self.a.reload("ok")
        self.assertTrue(any("need a restart" in ln and "admin.port" in ln for ln in lines), lines)
        self.assertEqual(self.adm.get("/healthz").status, 200)  # still where it was
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", new_port), timeout=2).close()


class TestAccessMode(at.AltodTestCase):
    """With an access section: 401s and the client identity, and TLS
    handshake failures on an HTTPS listener."""

    @classmethod
    def setUpClass(cls):
        cls.td = tempfile.TemporaryDirectory(prefix="altodtest-metrics-")
        cls.pki = tlsutil.make_pki(os.path.join(cls.td.name, "pki"))

    @classmethod
    def tearDownClass(cls):
        cls.td.cleanup()

    def setUp(self):
        access = iu.access_yaml(clients={CLIENT: {"password": iu.password_entry(CLIENT, CLIENT_PW),
                                                  "roles": ["full"]}},
                                roles={"full": [NM]}, extra={"rate": 0, "auth-failures": iu.NO_AUTH_THROTTLE})
        text = iu.server_yaml(self.pki, http=True, https=True, client_auth=None, maps=("maps/example.yaml",),
                              clear_digest=True) + access + admin_section()
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        self.a = at.start_altod_in(self, d)
        self.adm = Admin(self.a)
        self.ctx = ssl.create_default_context(cafile=self.pki.ca_pem)

    def test_unauthorized_and_client_identity(self):
        plain = self.a.client(0)
        https = self.a.client(1, ssl_context=self.ctx)
        self.assertEqual(plain.get("/").status, 401)
        self.assertEqual(https.get("/").status, 401)
        ok = https.get("/", headers={"Authorization": iu.basic_authorization(CLIENT, CLIENT_PW)})
        self.assertEqual(ok.status, 200)
        bad = https.get("/", headers={"Authorization": iu.basic_authorization(CLIENT, "wrong")})
        self.assertEqual(bad.status, 401)
        # a name nobody configured is never a label
        other = https.get("/", headers={"Authorization": iu.basic_authorization("mallory", "x")})
        self.assertEqual(other.status, 401)
        s = self.adm.settled_all(("altod_http_unauthorized_total", {}, 4),
                                 ("altod_http_requests_total", dict(status="401", client="unauthenticated"), 4),
                                 ("altod_http_requests_total", dict(resource="directory", status="200", client=CLIENT),
                                  1))
        self.assertEqual(sample(s, "altod_http_requests_total", status="401", client="unauthenticated"), 4)
        self.assertEqual(sample(s, "altod_http_requests_total", resource="directory", status="200", client=CLIENT), 1)
        self.assertNotIn("mallory", self.adm.text())
        # the health checks need no credentials on an access-mode listener
        self.assertEqual(plain.get("/healthz").status, 200)
        self.assertEqual(plain.get("/readyz").status, 200)

    def test_tls_handshake_failures(self):
        host, port = iu.listener(self.a, "https")
        before = self.adm.value("altod_tls_handshake_failures_total")
        # plain HTTP to the HTTPS listener: not a TLS handshake at all
        s = socket.create_connection((host, port), timeout=at.IO_TIMEOUT)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        at.recv_all(s, 5)
        s.close()
        # a TLS client that gives up on the server's certificate (unknown CA)
        ctx = ssl.create_default_context()
        with self.assertRaises(ssl.SSLError):
            with socket.create_connection((host, port), timeout=at.IO_TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost"):
                    pass
        poll(lambda: self.adm.value("altod_tls_handshake_failures_total") >= before + 2,
             "two more TLS handshake failures")
        # a good handshake is not one
        r = self.a.client(1, ssl_context=self.ctx).get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.adm.value("altod_tls_handshake_failures_total"), before + 2)


class TestAdminTls(at.AltodTestCase):
    """HTTPS with Basic credentials: what a Prometheus basic_auth over https
    sends."""

    @classmethod
    def setUpClass(cls):
        cls.td = tempfile.TemporaryDirectory(prefix="altodtest-metrics-")
        cls.pki = tlsutil.make_pki(os.path.join(cls.td.name, "pki"))

    @classmethod
    def tearDownClass(cls):
        cls.td.cleanup()

    def setUp(self):
        self.a = start(self, admin_section(tls=(self.pki.server_pem, self.pki.server_key),
                                           users=[(USER, PASSWORD), ("other", "another long password")]))
        self.ctx = ssl.create_default_context(cafile=self.pki.ca_pem)
        self.adm = Admin(self.a, self.ctx)

    def test_credentials_required(self):
        self.assertEqual(self.adm.scheme, "https")
        for path in ("/metrics", "/healthz", "/readyz", "/nothing"):
            r = self.adm.get(path)
            self.assertEqual(r.status, 401, path)
            self.assertEqual(r.header("WWW-Authenticate"), 'Basic realm="altod admin"')
            self.assertNotIn(b"altod_", r.body)
        for user, pw in ((USER, "wrong"), ("nobody", PASSWORD), (USER, PASSWORD + "x"), (USER, ""),
                         ("other", PASSWORD), (USER.upper(), PASSWORD)):
            r = self.adm.get("/metrics", auth=iu.basic_authorization(user, pw))
            self.assertEqual(r.status, 401, (user, pw))
        self.assertEqual(self.adm.get("/metrics", auth="Bearer " + PASSWORD).status, 401)
        r = self.adm.get("/metrics", auth=iu.basic_authorization(USER, PASSWORD))
        self.assertEqual(r.status, 200)
        code, out = promtool_check_metrics(r.body.decode())
        self.assertEqual(code, 0, out)
        self.assertEqual(self.adm.get("/readyz", auth=iu.basic_authorization("other", "another long password"))
                         .status, 200)

    # the admin listener's throttle (src/server/admin.c): a burst of 10
    # failed authentications per address, a token back every 10 s
    GUESS_BURST, GUESS_REFILL_SECONDS = 10, 10.0

    def guess_round(self, adm):
        """Ten failed guesses from an address, then three requests from it
        (another guess, the right password, none); their statuses, the
        429s' answers, and the seconds the whole round took."""
        t0 = time.monotonic()
        guesses = [adm.get("/metrics", auth=iu.basic_authorization(USER, "guess %d" % i)).status
                   for i in range(self.GUESS_BURST)]
        after = [adm.get("/metrics", auth=auth) for auth in (
            iu.basic_authorization(USER, "guess %d" % self.GUESS_BURST), iu.basic_authorization(USER, PASSWORD), None)]
        return guesses, after, time.monotonic() - t0

    def test_guessing_is_throttled(self):
        # ten failed guesses from an address, then 429 for everything from
        # it, the right password included: a right guess is not told apart.
        # A round that took GUESS_REFILL_SECONDS or more (valgrind on a busy
        # machine: each request is a TLS handshake) may have had a token
        # back, and proves nothing: it is repeated on a fresh altod (a
        # fresh bucket), within a liveness bound
        adm, rounds = self.adm, []
        deadline = time.monotonic() + at.LOG_TIMEOUT
        while True:
            guesses, after, took = self.guess_round(adm)
            if took < self.GUESS_REFILL_SECONDS:
                break
            rounds.append(took)
            self.assertLess(time.monotonic(), deadline, "every round took a refill or more: %r" % rounds)
            adm = Admin(start(self, admin_section(tls=(self.pki.server_pem, self.pki.server_key),
                                                  users=[(USER, PASSWORD)])), self.ctx)
        self.assertEqual(guesses, [401] * self.GUESS_BURST)
        for r in after:
            self.assertEqual(r.status, 429, r)
            self.assertGreaterEqual(int(r.header("Retry-After")), 1)
            self.assertNotIn(b"altod_", r.body)
        # requests without credentials are challenges, not guesses
        b = start(self, admin_section(tls=(self.pki.server_pem, self.pki.server_key), users=[(USER, PASSWORD)]))
        adm = Admin(b, self.ctx)
        for _ in range(20):
            self.assertEqual(adm.get("/healthz").status, 401)
        self.assertEqual(adm.get("/healthz", auth=iu.basic_authorization(USER, PASSWORD)).status, 200)

    def test_no_plain_http(self):
        c = http.client.HTTPConnection(self.adm.host, self.adm.port, timeout=at.IO_TIMEOUT)
        try:
            with self.assertRaises((http.client.HTTPException, OSError)):
                c.request("GET", "/metrics", headers={"Authorization": iu.basic_authorization(USER, PASSWORD)})
                c.getresponse().read()
        finally:
            c.close()


class TestConfig(at.AltodTestCase):
    def check(self, admin, rx):
        text = at.config_text(["maps/example.yaml"]) + admin
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        path = os.path.join(d, "altod.yaml")
        code, out = at.check_config(path)
        self.assertEqual(code, 1, out)
        line = text[:text.index("admin:")].count("\n") + 1
        diag = at.parse_diag_lines(out)
        self.assertTrue(any(f == path and ln >= line and re.search(rx, msg) for f, ln, col, msg in diag), out)
        # and altod does not start on it
        self.assertNotEqual(at.run_altod_expect_exit(path)[0], 0)

    def test_refusals(self):
        self.check("admin:\n  port: 0\n  tls: {certificate: missing.pem, key: missing.key}\n", r"tls")
        self.check("admin:\n  address: 0.0.0.0\n  port: 0\n", r"off the loopback: it needs tls and users")
        self.check("admin:\n  port: 0\n  users: [{user: p, sha256: %s}]\n" % ("0" * 64), r"need tls")

    def test_port_taken(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        self.addCleanup(s.close)
        text = at.config_text(["maps/example.yaml"]) + admin_section(port=s.getsockname()[1])
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        a = at.Altod(d)
        self.addCleanup(a.stop)
        self.assertNotEqual(a.expect_exit(), 0)
        self.assertIn("cannot start the admin listener", a.stderr())


class TestOperationsDoc(unittest.TestCase):
    def test_metrics_table_is_generated(self):
        p = subprocess.run([at.BIN, "--metrics-reference"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(docs_part(METRICS_BEGIN, METRICS_END), p.stdout,
                         "docs/operations.md differs from `altod --metrics-reference`: paste its output "
                         "between the markers")

    def test_alert_rules_pass_promtool(self):
        with tempfile.TemporaryDirectory(prefix="altodtest-rules-") as d:
            path = os.path.join(d, "rules.yml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(docs_part(RULES_BEGIN, RULES_END))
            p = subprocess.run([PROMTOOL, "check", "rules", path], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("SUCCESS", p.stdout)
        # every metric the rules name exists
        names = {ln.split("|")[1].strip().strip("`") for ln in docs_part(METRICS_BEGIN, METRICS_END).splitlines()[2:]}
        used = set(re.findall(r"\b((?:altod|process)_[a-z_]+?)(?:_bucket|_sum|_count)?\b",
                              docs_part(RULES_BEGIN, RULES_END)))
        self.assertTrue(used, "no metric in the rules")
        self.assertLessEqual(used, names)


class Prometheus(at.Daemon):
    """A real Prometheus server on a free loopback port, its own storage."""

    def __init__(self, directory, scrape, rules=None):
        super().__init__()
        self.dir = directory
        self.port = at.free_port()
        cfg = ["global:", "  scrape_interval: 1s", "  evaluation_interval: 1s"]
        if rules:
            rules_path = os.path.join(directory, "rules.yml")
            with open(rules_path, "w", encoding="utf-8") as f:
                f.write(rules)
            cfg += ["rule_files:", "  - %s" % json.dumps(rules_path)]
        cfg += ["scrape_configs:", "  - job_name: altod", "    scrape_interval: 1s"] + ["    " + ln for ln in scrape]
        self.cfg = os.path.join(directory, "prometheus.yml")
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write("\n".join(cfg) + "\n")

    def start(self):
        return self.run([PROMTOOL, "check", "config", self.cfg],
                        [PROMETHEUS, "--config.file=" + self.cfg,
                         "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                         "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
                        self._ready, "ready", PROM_DEADLINE)

    def _ready(self):
        try:
            return self.api("/-/ready", raw=True) is not None
        except OSError:
            return False

    def api(self, path, raw=False):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            if r.status != 200:
                return None
            return body if raw else json.loads(body)
        finally:
            c.close()

    def query(self, expr):
        """The value of an instant query with one result, or None."""
        doc = self.api("/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        if not doc or doc.get("status") != "success" or len(doc["data"]["result"]) != 1:
            return None
        return float(doc["data"]["result"][0]["value"][1])

    def stop(self):
        super().stop(30)


class TestPrometheus(at.AltodTestCase):
    """A real Prometheus scrapes altod's admin listener over HTTPS with
    basic_auth, and its HTTP API shows the request counter moving with
    the requests this test sends; the alert rules of docs/operations.md
    load and evaluate on the real series."""

    def test_scraped_counter_moves(self):
        td = tempfile.TemporaryDirectory(prefix="altodtest-prometheus-")
        self.addCleanup(td.cleanup)
        pki = tlsutil.make_pki(os.path.join(td.name, "pki"))
        a = start(self, admin_section(tls=(pki.server_pem, pki.server_key), users=[(USER, PASSWORD)]))
        _, host, port = admin_address(a)
        pw_file = os.path.join(td.name, "password")
        with open(pw_file, "w", encoding="utf-8") as f:
            f.write(PASSWORD)
        scrape = ["scheme: https",
                  "tls_config: {ca_file: %s, server_name: localhost}" % json.dumps(pki.ca_pem),
                  "basic_auth: {username: %s, password_file: %s}" % (USER, json.dumps(pw_file)),
                  "static_configs:", "  - targets: [\"%s:%d\"]" % (host, port)]
        prom = Prometheus(td.name, scrape, rules=docs_part(RULES_BEGIN, RULES_END))
        self.addCleanup(prom.stop)
        prom.start()

        expr = 'altod_http_requests_total{job="altod",resource="directory",method="GET",status="200"}'
        for _ in range(5):
            self.assertEqual(a.get("/").status, 200)
        poll(lambda: (prom.query(expr) or 0) >= 5, "Prometheus sees 5 directory requests", PROM_DEADLINE)
        self.assertEqual(prom.query('up{job="altod"}'), 1)
        for _ in range(7):
            self.assertEqual(a.get("/").status, 200)
        poll(lambda: prom.query(expr) == 12, "Prometheus sees 12 directory requests", PROM_DEADLINE)
        # the documented alert rules load and evaluate on real series
        def rules_ok():
            doc = prom.api("/api/v1/rules")
            rules = [r for g in (doc or {}).get("data", {}).get("groups", []) for r in g["rules"]]
            return rules and all(r.get("health") == "ok" for r in rules) and rules
        rules = poll(rules_ok, "every documented rule evaluated, healthy", PROM_DEADLINE)
        self.assertTrue(any(r["name"] == "AltodDown" for r in rules), rules)
        # none fires on a healthy altod
        self.assertEqual([r["name"] for r in rules if r.get("state") == "firing"], [])


HAPROXY_CFG = """\
global
    maxconn 64
    stats socket {stats} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout check 10s

frontend fe
    bind 127.0.0.1:{port}
    default_backend by_healthz

# the check a load balancer would try first: in access mode it gets 401
backend by_root
    option httpchk GET /
    http-check expect status 200
    default-server inter 200ms fall 1 rise 1
    server r 127.0.0.1:{alto} check

# docs/operations.md: GET /healthz on the ALTO listener, no credentials
backend by_healthz
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 200ms fall 1 rise 1
    server r 127.0.0.1:{alto} check

# docs/operations.md: GET /readyz on the admin listener (check port)
backend by_admin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 200ms fall 1 rise 1
    server r 127.0.0.1:{alto} check port {admin}
"""


class TestHaproxy(at.AltodTestCase):
    """In access mode a real HAProxy marks altod down with `GET /` (401)
    and up with the documented checks, and forwards requests."""

    def test_documented_checks_keep_altod_up(self):
        access = iu.access_yaml(clients={CLIENT: {"password": iu.password_entry(CLIENT, CLIENT_PW),
                                                  "roles": ["full"]}}, roles={"full": [NM]})
        # a plain listener that takes Digest: GET / without credentials is a 401
        text = iu.server_yaml(http=True, https=False, maps=("maps/example.yaml",), clear_digest=True)
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(),
                                "altod.yaml": text + access + admin_section()})
        a = at.start_altod_in(self, d)
        self.assertEqual(a.get("/").status, 401)
        _, _, admin_port = admin_address(a)
        td = tempfile.TemporaryDirectory(prefix="altodtest-haproxy-")
        self.addCleanup(td.cleanup)
        port = at.free_port()
        hap = at.Haproxy(td.name, HAPROXY_CFG.replace("{port}", str(port)).replace("{alto}", str(a.port)).replace(
            "{admin}", str(admin_port)))
        self.addCleanup(hap.stop)
        hap.start(lambda: os.path.exists(hap.stats), "up (its admin socket)")
        proc = hap.proc

        def status():
            try:
                rows = hap.stat()
            except OSError:
                return {}
            # status, and the last completed check's result and HTTP code
            # ("* " marks a check in progress)
            return {row["pxname"]: (row["status"], row.get("check_status", "").lstrip("* "), row.get("check_code"))
                    for row in rows if row.get("svname") == "r"}

        # each backend's checks decided (rise 1, fall 1: one check decides).
        # Polled until the state the documented checks must reach, with a
        # generous deadline: a check that timed out on a loaded machine
        # (L4TOUT/L7TOUT) is retried every 200 ms and is no outcome; what
        # decides is why a check passed or failed (HTTP status and code)
        want = {"by_root": ("DOWN", "L7STS", "401"), "by_healthz": ("UP", "L7OK", "200"),
                "by_admin": ("UP", "L7OK", "200")}
        last = {}

        def settled():
            if proc.poll() is not None:
                return {"exited": proc.returncode}
            last.update(status())
            return last == want and last
        try:
            st = poll(settled, "haproxy's checks decided", deadline=3 * at.LOG_TIMEOUT)
        except AssertionError:
            st = last
        self.assertEqual(st, want)
        # and it forwards: altod's own 401 and directory, not haproxy's 503
        proxy = at.Client("127.0.0.1", port)
        self.assertEqual(proxy.get("/").status, 401)
        self.assertEqual(proxy.get("/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()

"""The process around the protocol: the systemd notify protocol, SIGTERM and
SIGINT (graceful stop), a port in use, the log format, and the install
(files, never overwriting the operator's, a unit that systemd accepts)."""

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import unittest

import altodtest as at
from altodtest import MT_ENDPOINTPROPPARAMS, MT_ENDPOINTPROP

LOG_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warning|notice|info|debug): [a-z]+: \S.*$")
JOURNAL_RE = re.compile(r"^<([0-7])>(error|warning|notice|info|debug): [a-z]+: \S.*$")
PRIORITY = {"error": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7}


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's notify socket."""

    def __init__(self, testcase, abstract=False):
        if abstract:
            self.name = "altodtest-%d-%d" % (os.getpid(), int(time.monotonic_ns() % 10 ** 9))
            self.address = "\0" + self.name
            self.env = "@" + self.name
        else:
            td = tempfile.TemporaryDirectory(prefix="altodtest-notify-")
            testcase.addCleanup(td.cleanup)
            self.address = os.path.join(td.name, "notify.sock")
            self.env = self.address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        testcase.addCleanup(self.sock.close)
        self.sock.bind(self.address)

    def recv(self, timeout=5.0 * at.SLOWDOWN):
        """The next message as a list of (KEY, VALUE), or None on timeout
        (by default a liveness bound: altod under ALTOD_WRAPPER may take
        longer than 5 s to reload and say READY=1)."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return None
        out = []
        for line in data.decode("utf-8").split("\n"):
            k, sep, v = line.partition("=")
            if not sep:
                raise AssertionError("notify message line without '=': %r in %r" % (line, data))
            out.append((k, v))
        return out


def start_in_tree(testcase, maps=None, env=None, conf=None, args=()):
    files = {"maps/example.yaml": maps if maps is not None else at.read_example_maps()}
    files["altod.yaml"] = conf if conf is not None else at.config_text(["maps/example.yaml"])
    d = at.make_tree(testcase, files)
    return d, at.start_altod_in(testcase, d, env=env, args=args)


# requests in flight get 10 minutes at SIGTERM: a test that finishes its
# request in flight never races the stop-timeout, however slow altod runs
LONG_STOP = at.config_text(["maps/example.yaml"], limits={"stop-timeout": 600})


def big_endpointprop_request(n=2500):
    eps = ["ipv4:10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256) for i in range(n)]
    eps += ["ipv4:192.0.2.%d" % i for i in range(1, 200)]
    return json.dumps({"properties": [at.EXAMPLE_NETMAP + ".pid"], "endpoints": eps}).encode()


class TestNotify(at.AltodTestCase):
    def check_ready(self, msg, failed=False):
        self.assertIsNotNone(msg, "no notify message")
        self.assertEqual([k for k, _ in msg], ["READY", "STATUS"], msg)
        self.assertEqual(msg[0][1], "1")
        status = msg[1][1]
        self.assertTrue(status.strip(), msg)
        if failed:
            self.assertIn("reload failed", status)
        else:
            self.assertNotIn("failed", status)
            self.assertIn("3 PIDs", status)
        return status

    def check_reloading(self, msg, t0, t1):
        self.assertIsNotNone(msg, "no RELOADING=1 message")
        self.assertEqual([k for k, _ in msg], ["RELOADING", "MONOTONIC_USEC"], msg)
        self.assertEqual(msg[0][1], "1")
        usec = int(msg[1][1])
        self.assertRegex(msg[1][1], r"^[0-9]+$")
        # CLOCK_MONOTONIC, taken when the reload started
        self.assertLessEqual(t0, usec, msg)
        self.assertLessEqual(usec, t1, msg)

    def run_protocol(self, ns):
        d, a = start_in_tree(self, env={"NOTIFY_SOCKET": ns.env})
        self.check_ready(ns.recv())
        self.assertIsNone(ns.recv(0.2), "a message nobody asked for")

        # a good reload
        t0 = time.monotonic_ns() // 1000
        a.send_signal(signal.SIGHUP)
        msg = ns.recv()
        t1 = time.monotonic_ns() // 1000
        self.check_reloading(msg, t0, t1)
        self.check_ready(ns.recv())
        a.wait_for_log("reload: ok")

        # a failed reload
        at.write_files(d, {"maps/example.yaml": "network-maps: [\n"})
        mark = a.log_count()
        t0 = time.monotonic_ns() // 1000
        a.send_signal(signal.SIGHUP)
        msg = ns.recv()
        t1 = time.monotonic_ns() // 1000
        self.check_reloading(msg, t0, t1)
        self.check_ready(ns.recv(), failed=True)
        a.wait_for_log("reload failed", after=mark)
        self.assertIsNone(ns.recv(0.2))

        # SIGTERM
        a.send_signal(signal.SIGTERM)
        self.assertEqual(ns.recv(), [("STOPPING", "1")])
        self.assertEqual(a.wait_exit(), 0)
        self.assertIsNone(ns.recv(0.2))
        self.assertIn("stopped", a.stderr_lines[-1])

    def test_notify_socket_path(self):
        self.run_protocol(NotifySocket(self))

    def test_notify_abstract_socket(self):
        self.run_protocol(NotifySocket(self, abstract=True))

    def test_unreachable_notify_socket_is_not_fatal(self):
        d, a = start_in_tree(self, env={"NOTIFY_SOCKET": os.path.join(tempfile.gettempdir(),
                                                                      "altodtest-no-such-dir", "notify.sock")})
        self.assertEqual(a.get("/").status, 200)
        a.reload("ok")
        self.assertEqual(a.get("/").status, 200)
        a.send_signal(signal.SIGTERM)
        self.assertEqual(a.wait_exit(), 0)

    def test_no_ready_when_start_fails(self):
        ns = NotifySocket(self)
        d = at.make_tree(self, {"maps/example.yaml": "network-maps: [\n",
                                "altod.yaml": at.config_text(["maps/example.yaml"])})
        p = at.run_bin(["-c", os.path.join(d, "altod.yaml")], stdout=subprocess.DEVNULL,
                       timeout=15, env=dict(os.environ, NOTIFY_SOCKET=ns.env))
        self.assertEqual(p.returncode, 1)
        msg = ns.recv(0.3)
        self.assertFalse(msg is not None and ("READY", "1") in msg, msg)


class TestStop(at.AltodTestCase):
    def slow_post(self, a):
        """Starts a POST whose body arrives slowly; returns (socket, rest of
        the body, the answer it must get)."""
        ird = a.ird()
        uri = a.url_path(ird.endpointprop_uri())
        body = big_endpointprop_request()
        want = a.post(uri, body, MT_ENDPOINTPROPPARAMS)
        self.assertEqual(want.status, 200)
        s = at.begin_post(a, uri, MT_ENDPOINTPROPPARAMS, len(body))  # in flight from here on
        self.addCleanup(s.close)
        s.sendall(body[:1000])
        return s, body[1000:], want

    def finish(self, s, rest, pieces=8, pause=0.05):
        step = len(rest) // pieces + 1
        for i in range(0, len(rest), step):
            s.sendall(rest[i:i + step])
            time.sleep(pause)
        rs, _ = at.recv_responses(s, 1)
        return rs

    def test_sigterm_lets_a_slow_request_finish(self):
        d, a = start_in_tree(self, conf=LONG_STOP)
        s, rest, want = self.slow_post(a)
        mark = a.log_count()
        a.send_signal(signal.SIGTERM)
        a.wait_for_log(r"info: main: stopping", after=mark)
        self.assertTrue(a.alive(), "altod did not wait for the request in flight")
        rs = self.finish(s, rest)
        self.assertEqual(len(rs), 1, "no answer to the request in flight")
        self.assertEqual(rs[0].status, 200, rs[0])
        self.assertEqual(rs[0].content_type, MT_ENDPOINTPROP)
        self.assertEqual(rs[0].body, want.body)
        self.assertEqual(a.wait_exit(), 0)
        log = a.stderr()
        self.assertIn("info: main: stopped", a.stderr_lines[-1])
        # it stopped once the request was answered, not at the stop-timeout
        self.assertNotIn("still in flight", log)

    def test_sigterm_refuses_new_connections(self):
        d, a = start_in_tree(self, conf=LONG_STOP)
        s, rest, want = self.slow_post(a)
        mark = a.log_count()
        a.send_signal(signal.SIGTERM)
        a.wait_for_log(r"info: main: stopping", after=mark)
        # altod is stopping (waiting for the request in flight):
        # while it still holds that request, a new client must be refused,
        # not left hanging in the listen queue. An order, not a speed: each
        # attempt is followed by a look at the request's connection, and
        # the deadline (liveness) is far past the grace
        accepted = 0
        refused = False
        deadline = time.monotonic() + at.LOG_TIMEOUT
        while time.monotonic() < deadline:
            try:
                c = socket.create_connection((a.host, a.port), timeout=at.IO_TIMEOUT)
            except ConnectionRefusedError:
                refused = True
                break
            accepted += 1
            c.close()
            time.sleep(0.05)
        held = at.server_side_state(s)
        rs = self.finish(s, rest)
        self.assertTrue(refused, "%d connections made after SIGTERM were accepted (TCP handshake done); "
                        "none was refused" % accepted)
        self.assertEqual(held, "ESTABLISHED", "refused only once the request in flight was dropped")
        self.assertEqual([r.status for r in rs], [200])
        self.assertEqual(a.wait_exit(), 0)

    def test_idle_keepalive_connection_does_not_delay_stop(self):
        d, a = start_in_tree(self)
        conn = a.connect()
        self.addCleanup(conn.close)
        self.assertEqual(a.get("/", conn=conn).status, 200)  # idle keep-alive from here on
        a.send_signal(signal.SIGTERM)
        self.assertEqual(a.wait_exit(), 0)
        # not waited for as a request: no 5 s grace spent on it
        self.assertNotIn("still in flight", a.stderr())
        self.assertIn("info: main: stopped", a.stderr_lines[-1])

    def test_sigterm_grace_is_bounded(self):
        d, a = start_in_tree(self)
        s, rest, want = self.slow_post(a)  # never finished
        t0 = time.monotonic()
        a.send_signal(signal.SIGTERM)
        # bounded: it exits by itself (the wait is a liveness bound, 10 x
        # the 5 s grace), never before the grace is over
        self.assertEqual(a.wait_exit(10 * 5.0 * at.SLOWDOWN), 0)
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, 4.5)
        self.assertIn("still in flight", a.stderr())
        self.assertIn("stopped", a.stderr_lines[-1])

    def test_stop_timeout_comes_from_the_last_reload(self):
        """limits.stop-timeout is reloadable: started with an hour, reloaded
        to 1 s, altod waits 1 s for the request in flight (with the hour it
        would not exit within the liveness bound)."""
        conf = lambda t: at.config_text(["maps/example.yaml"], limits={"stop-timeout": t})  # noqa: E731
        d, a = start_in_tree(self, conf=conf(3600))
        at.write_files(d, {"altod.yaml": conf(1)})
        a.reload("ok")
        s, rest, want = self.slow_post(a)  # never finished
        t0 = time.monotonic()
        a.send_signal(signal.SIGTERM)
        self.assertEqual(a.wait_exit(), 0)
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)  # never before the timeout is over
        self.assertIn("stopping with 1 requests still in flight", a.stderr())
        self.assertIn("info: main: stopped", a.stderr_lines[-1])

    def test_stop_timeout_zero_does_not_wait(self):
        d, a = start_in_tree(self, conf=at.config_text(["maps/example.yaml"], limits={"stop-timeout": 0}))
        s, rest, want = self.slow_post(a)  # never finished
        a.send_signal(signal.SIGTERM)
        self.assertEqual(a.wait_exit(), 0)
        self.assertIn("stopping with 1 requests still in flight", a.stderr())
        self.assertIn("info: main: stopped", a.stderr_lines[-1])

    def test_sigint_exits_zero(self):
        d, a = start_in_tree(self)
        self.assertEqual(a.get("/").status, 200)
        a.send_signal(signal.SIGINT)
        self.assertEqual(a.wait_exit(), 0)
        self.assertIn("info: main: stopped", a.stderr_lines[-1])
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((a.host, a.port), timeout=2).close()

    def test_sigterm_exits_zero(self):
        d, a = start_in_tree(self)
        a.send_signal(signal.SIGTERM)
        self.assertEqual(a.wait_exit(), 0)
        self.assertEqual([re.sub(r"^\S+ ", "", ln) for ln in a.stderr_lines[-2:]],
                         ["info: main: stopping", "info: main: stopped"])


class TestPortInUse(at.AltodTestCase):
    def run_on_busy(self, family, host):
        busy = socket.socket(family, socket.SOCK_STREAM)
        self.addCleanup(busy.close)
        busy.bind((host, 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(),
                                "altod.yaml": at.config_text(["maps/example.yaml"], listen=((host, port),))})
        ns = NotifySocket(self)
        p = at.run_bin(["-c", os.path.join(d, "altod.yaml")], stdout=subprocess.DEVNULL,
                       timeout=15, env=dict(os.environ, NOTIFY_SOCKET=ns.env))
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 1, err)
        errors = [ln for ln in err.splitlines() if " error: " in ln]
        self.assertTrue(any(host in ln and str(port) in ln and "in use" in ln for ln in errors), err)
        self.assertNotIn("ready:", err)
        self.assertNotIn("listening on", err)
        msg = ns.recv(0.3)
        self.assertFalse(msg is not None and ("READY", "1") in msg, msg)

    def test_ipv4_port_in_use(self):
        self.run_on_busy(socket.AF_INET, "127.0.0.1")

    def test_ipv6_port_in_use(self):
        self.run_on_busy(socket.AF_INET6, "::1")

    def test_second_listener_in_use(self):
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(),
                                "altod.yaml": at.config_text(["maps/example.yaml"],
                                                             listen=(("127.0.0.1", 0), ("127.0.0.1", port)))})
        code, err = at.run_altod_expect_exit(os.path.join(d, "altod.yaml"))
        self.assertEqual(code, 1, err)
        self.assertTrue(any("127.0.0.1" in ln and str(port) in ln for ln in err.splitlines() if " error: " in ln),
                        err)
        self.assertNotIn("ready:", err)


class TestLogs(at.AltodTestCase):
    def session(self, env=None, args=()):
        """Start, a good reload, a failed reload, a request, SIGTERM: the log."""
        d, a = start_in_tree(self, env=env, args=args)
        self.assertEqual(a.get("/").status, 200)
        a.reload("ok")
        at.write_files(d, {"maps/example.yaml": at.read_example_maps().replace("192.0.2.0/24", "192.0.2.1/24")})
        a.reload("failed")
        a.send_signal(signal.SIGTERM)
        self.assertEqual(a.wait_exit(), 0)
        return a

    def test_every_line_has_a_level(self):
        a = self.session()
        lines = a.stderr_lines
        self.assertGreaterEqual(len(lines), 8)
        for ln in lines:
            self.assertRegex(ln, LOG_RE)
        levels = {LOG_RE.match(ln).group(1) for ln in lines}
        self.assertEqual(levels, {"info", "error"})
        # the failed reload's error, with its place
        self.assertTrue(any(re.search(r" error: config: .*example\.yaml:\d+:\d+: .*192\.0\.2\.1/24", ln)
                            for ln in lines), a.stderr())

    def test_journal_priority_prefix(self):
        a = self.session(env={"JOURNAL_STREAM": "8:12345"})
        for ln in a.stderr_lines:
            m = JOURNAL_RE.match(ln)
            self.assertIsNotNone(m, ln)
            self.assertEqual(int(m.group(1)), PRIORITY[m.group(2)], ln)

    def test_verbose_lines_have_a_level_too(self):
        a = self.session(args=("-v",))
        for ln in a.stderr_lines:
            self.assertRegex(ln, LOG_RE)

    def test_startup_summary(self):
        d, a = start_in_tree(self)
        lines = a.stderr_lines
        listen = [i for i, ln in enumerate(lines) if "listening on http://127.0.0.1:%d/" % a.port in ln]
        ready = [i for i, ln in enumerate(lines) if "ready:" in ln]
        self.assertEqual(len(listen), 1, a.stderr())
        self.assertEqual(len(ready), 1, a.stderr())
        self.assertLess(listen[0], ready[0])
        summary = lines[ready[0]]
        self.assertRegex(summary, LOG_RE)
        # RFC 7285's example maps: 1 network map, 3 PIDs, 5 prefixes, 16 costs
        for part in ("1 network maps", "3 PIDs", "5 prefixes", "16 cost pairs"):
            self.assertIn(part, summary)
        vtag = a.get(a.ird().networkmap_uri(at.EXAMPLE_NETMAP)).json()["meta"]["vtag"]["tag"]
        self.assertIn("%s=%s" % (at.EXAMPLE_NETMAP, vtag[:16]), summary)


class TestInstall(unittest.TestCase):
    maxDiff = None
    FILES = ["usr/local/sbin/altod", "usr/local/lib/systemd/system/altod.service",
             "usr/local/lib/sysusers.d/altod.conf", "usr/local/lib/tmpfiles.d/altod.conf",
             "usr/local/share/man/man8/altod.8",
             "usr/local/share/man/man5/altod.yaml.5", "etc/altod/altod.yaml", "etc/altod/maps/example.yaml",
             "etc/altod/maps/perfmetrics.yaml", "etc/altod/maps/properties.yaml"]
    MAPS = ("maps/example.yaml", "maps/perfmetrics.yaml", "maps/properties.yaml")  # what altod.yaml lists

    @classmethod
    def setUpClass(cls):
        cls.build = os.path.dirname(os.path.abspath(at.BIN))
        cls.td = tempfile.TemporaryDirectory(prefix="altodtest-install-")
        cls.dest = os.path.join(cls.td.name, "root")
        cls.first = cls.install()

    @classmethod
    def tearDownClass(cls):
        cls.td.cleanup()

    @classmethod
    def install(cls):
        cmake = shutil.which("cmake")
        if cmake is None:
            raise AssertionError("cmake is not on PATH")
        p = subprocess.run([cmake, "--install", cls.build], env=dict(os.environ, DESTDIR=cls.dest),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            raise AssertionError("cmake --install failed (%d):\n%s" % (p.returncode, out))
        return out

    def path(self, rel):
        return os.path.join(self.dest, rel)

    def read(self, rel):
        with open(self.path(rel), "rb") as f:
            return f.read()

    def src(self, rel):
        with open(os.path.join(at.SRC, rel), "rb") as f:
            return f.read()

    def unit(self):
        """[Service] of the installed unit: {key: [values]} (comments skipped)."""
        sections, cur = {}, None
        for ln in self.read(self.FILES[1]).decode().splitlines():
            ln = ln.strip()
            if not ln or ln.startswith("#") or ln.startswith(";"):
                continue
            if ln.startswith("["):
                cur = sections.setdefault(ln.strip("[]"), {})
                continue
            k, _, v = ln.partition("=")
            cur.setdefault(k.strip(), []).append(v.strip())
        return sections

    def test_layout(self):
        found = sorted(os.path.relpath(os.path.join(r, f), self.dest)
                       for r, _, fs in os.walk(self.dest) for f in fs)
        self.assertEqual(found, sorted(self.FILES))
        self.assertTrue(os.access(self.path("usr/local/sbin/altod"), os.X_OK))
        p = subprocess.run([self.path("usr/local/sbin/altod"), "-V"], stdout=subprocess.PIPE, timeout=10)
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout.decode(), r"^altod \d+\.\d+\.\d+\n$")
        self.assertEqual(self.read("usr/local/share/man/man8/altod.8"), self.src("docs/altod.8"))
        self.assertEqual(self.read("usr/local/share/man/man5/altod.yaml.5"), self.src("docs/altod.yaml.5"))
        self.assertEqual(self.read("usr/local/lib/sysusers.d/altod.conf"), self.src("conf/altod.sysusers"))
        self.assertEqual(self.read("etc/altod/altod.yaml"), self.src("conf/altod.yaml"))
        for m in self.MAPS:
            self.assertEqual(self.read("etc/altod/" + m), self.src("conf/" + m))
        self.assertRegex(self.read("usr/local/lib/sysusers.d/altod.conf").decode(), r"(?m)^u altod ")
        # altod.yaml may hold password-equivalent secrets: never world-readable,
        # and tmpfiles.d keeps it 0640 root:altod on the real system
        self.assertEqual(stat.S_IMODE(os.stat(self.path("etc/altod/altod.yaml")).st_mode), 0o640)
        for m in self.MAPS:
            self.assertEqual(stat.S_IMODE(os.stat(self.path("etc/altod/" + m)).st_mode) & 0o444, 0o444, m)
        self.assertIn("z /etc/altod/altod.yaml 0640 root altod -",
                      self.read("usr/local/lib/tmpfiles.d/altod.conf").decode().splitlines())
        # the installed configuration checks out with the installed binary
        p = subprocess.run([self.path("usr/local/sbin/altod"), "-t", "-c", self.path("etc/altod/altod.yaml")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        self.assertEqual((p.returncode, p.stdout), (0, b"ok\n"))

    def test_second_install_keeps_edited_files(self):
        conf = self.path("etc/altod/altod.yaml")
        maps = self.path("etc/altod/maps/example.yaml")
        with open(conf, "a") as f:
            f.write("# edited by the operator\n")
        with open(maps, "a") as f:
            f.write("# edited maps\n")
        edited_conf, edited_maps = self.read("etc/altod/altod.yaml"), self.read("etc/altod/maps/example.yaml")
        try:
            out = self.install()
            self.assertEqual(self.read("etc/altod/altod.yaml"), edited_conf)
            self.assertEqual(self.read("etc/altod/maps/example.yaml"), edited_maps)
            self.assertIn("Keeping existing", out)
            # a removed example is installed again, the edited config still kept
            os.remove(maps)
            self.install()
            self.assertEqual(self.read("etc/altod/maps/example.yaml"), self.src("conf/maps/example.yaml"))
            self.assertEqual(self.read("etc/altod/altod.yaml"), edited_conf)
        finally:
            with open(conf, "wb") as f:
                f.write(self.src("conf/altod.yaml"))
            with open(maps, "wb") as f:
                f.write(self.src("conf/maps/example.yaml"))

    def test_unit_contents(self):
        text = self.read(self.FILES[1]).decode()
        self.assertNotIn("@", re.sub(r"(?m)^#.*$", "", text).replace("@system-service", "")
                         .replace("@privileged", "").replace("@resources", ""))
        s = self.unit()
        svc = s["Service"]
        self.assertEqual(svc["Type"], ["notify"])
        self.assertEqual(svc["ExecStart"], ["/usr/local/sbin/altod -c /etc/altod/altod.yaml"])
        # first the permissions of altod.yaml (as root), then the check
        self.assertEqual(len(svc["ExecStartPre"]), 2)
        self.assertEqual(svc["ExecStartPre"][0], "+/usr/bin/systemd-tmpfiles --create altod.conf")
        self.assertRegex(svc["ExecStartPre"][1], r"^/usr/local/sbin/altod (.* )?-t( |$)")
        self.assertTrue(svc.get("ExecReload"), svc)
        self.assertTrue(any("-HUP" in v or "SIGHUP" in v for v in svc["ExecReload"]), svc["ExecReload"])
        self.assertEqual(len(svc["User"]), 1)
        self.assertTrue(svc["User"][0])
        self.assertNotEqual(svc["User"][0], "root")
        self.assertEqual(svc["NoNewPrivileges"], ["yes"])
        self.assertEqual(svc["ProtectSystem"], ["strict"])
        self.assertEqual(svc["CapabilityBoundingSet"], ["CAP_NET_BIND_SERVICE"])
        self.assertIn("@system-service", " ".join(svc["SystemCallFilter"]).split())
        self.assertIn("Install", s)

    def test_systemd_analyze_verify(self):
        tool = shutil.which("systemd-analyze")
        if tool is None:
            self.fail("systemd-analyze is not installed (the project's deps script installs it)")
        td = tempfile.TemporaryDirectory(prefix="altodtest-unit-")
        self.addCleanup(td.cleanup)
        text = self.read(self.FILES[1]).decode().replace("/usr/local/sbin/altod", os.path.abspath(at.BIN))
        unit = os.path.join(td.name, "altod.service")
        with open(unit, "w") as f:
            f.write(text)
        p = subprocess.run([tool, "verify", unit], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                           env=dict(os.environ, MANPATH=os.path.join(self.dest, "usr/local/share/man")))
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertNotIn("altod.service:", out)


class SecretsPermissions(unittest.TestCase):
    """altod.yaml with the access secret or Digest HA1 hashes (password-
    equivalent) must not be readable by every local user: altod says so at
    start and at every reload, and is quiet once the file is 0640."""

    ACCESS = ("access:\n  secret: lifecycle-secret-0123456789\n  clients:\n    c:\n"
              "      password: {user: c, sha256: \"%s\"}\n      roles: [r]\n"
              "  roles:\n    r: [my-default-network-map]\n" % ("ab" * 32))
    WARNING = r"config: .*altod\.yaml holds the access secret or Digest password hashes .* every local user can read it"

    def test_world_readable_secrets_are_reported(self):
        maps = {"maps/example.yaml": at.read_example_maps()}
        files = dict(maps)
        files["altod.yaml"] = at.config_text(list(maps), extra=self.ACCESS)
        d = at.make_tree(self, files)
        conf = os.path.join(d, "altod.yaml")
        os.chmod(conf, 0o644)
        a = at.start_altod_in(self, d)
        a.wait_for_log(self.WARNING)
        # a reload warns again while it is so; once 0640, no more
        self.assertTrue(any(re.search(self.WARNING, ln) for ln in a.reload()))
        os.chmod(conf, 0o640)
        self.assertFalse(any(re.search(self.WARNING, ln) for ln in a.reload()))

    def test_no_warning_without_secrets(self):
        a = at.start_altod(self)
        os.chmod(a.conf, 0o644)
        lines = a.reload()
        self.assertFalse(any("every local user can read it" in ln for ln in a.stderr_lines + lines))


if __name__ == "__main__":
    unittest.main()

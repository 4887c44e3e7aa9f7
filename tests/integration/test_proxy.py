"""The real client address behind a proxy (issue 14): a listener with
proxy-protocol takes HAProxy's PROXY protocol v2 header from trusted-proxies
only, and the address it carries is the one the per-address limits, the
audit log and RFC 7285 §11.5.1.3's implicit source (an endpoint cost request
without "srcs") see. Behind a real HAProxy (`send-proxy-v2`, `source
127.0.0.9`), with test clients on distinct loopback addresses (127.0.0.2,
.3, ...), over HTTP and HTTPS. Anything else on such a listener is closed
unanswered: an untrusted source, no header, version 1, a bad or truncated
header, PROXY without an address, one too slow (while others are served)."""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import tempfile
import threading
import time
import unittest

import altodtest as at
import tlsutil

PROXY_ADDR = "127.0.0.9"  # HAProxy's source towards altod: the one trusted
# request-timeout of the listeners: the time a PROXY header, a TLS handshake
# and a request have to arrive whole, counted from when altod takes the
# connection (or sent its last answer) until altod has read them. A slow
# altod's own work counts too (a TLS handshake under valgrind, a keep-alive
# request read late): 1 s, SLOWDOWN times longer under ALTOD_WRAPPER or for a
# sanitizer build, where altod alone can take longer than 1 s
REQUEST_TIMEOUT = 1 * at.SLOWDOWN
NM = "my-default-network-map"
SIG = b"\r\n\r\n\x00\r\nQUIT\n"

HAPROXY_CFG = """\
global
    maxconn 256

defaults
    mode tcp
    timeout connect 2s
    timeout client 20s
    timeout server 20s

frontend fe
    bind 127.0.0.1:{port}
    default_backend altod

frontend fe_tls
    bind 127.0.0.1:{tls_port}
    default_backend altod_tls

backend altod
    server a 127.0.0.1:{p} send-proxy-v2 source {src}

backend altod_tls
    server t 127.0.0.1:{tp} send-proxy-v2 source {src}
"""

# HAProxy's health checks with send-proxy-v2 carry a LOCAL header
CHECK_CFG = """\
global
    maxconn 16
    stats socket {stats} mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 20s
    timeout server 20s
    timeout check 10s

backend checked
    option httpchk GET /
    http-check expect status 200
    server c 127.0.0.1:{p} send-proxy-v2 check check-send-proxy inter 200ms fall 1 rise 1 source {src}
"""

PKI = tlsutil.ModulePki()
setUpModule, tearDownModule = PKI.setup, PKI.cleanup




def v2(src, dst="127.0.0.1", sport=40000, dport=80, cmd=0x21, fam=None):
    """A PROXY v2 header for TCP over IPv4 or IPv6."""
    if ":" in src:
        body = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst or "::1")
        fam = 0x21 if fam is None else fam
    else:
        body = socket.inet_aton(src) + socket.inet_aton(dst)
        fam = 0x11 if fam is None else fam
    body += struct.pack("!HH", sport, dport)
    return SIG + bytes([cmd, fam]) + struct.pack("!H", len(body)) + body


def read_until_close(s, timeout=at.IO_TIMEOUT):
    """Everything received until the peer closes (a reset counts as closed)."""
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                return data
            data += c
    except ConnectionResetError:
        return data


ENDPOINT_COST = json.dumps({"cost-type": {"cost-mode": "numerical", "cost-metric": "routingcost"},
                            "endpoints": {"dsts": ["ipv4:192.0.2.34"]}}).encode()


def endpoint_cost_request(host="x"):
    return (b"POST /endpointcost/" + NM.encode() + b" HTTP/1.1\r\nHost: " + host.encode()
            + b"\r\nContent-Type: application/alto-endpointcostparams+json\r\nContent-Length: "
            + str(len(ENDPOINT_COST)).encode() + b"\r\nConnection: close\r\n\r\n" + ENDPOINT_COST)


class BehindHaproxy(at.AltodTestCase):
    @classmethod
    def setUpClass(cls):
        cls._holder = at.class_holder(cls)
        cls._setup()

    @classmethod
    def _setup(cls):
        tc = cls._holder
        text = """\
server:
  listen:
    - address: 127.0.0.1
      port: 0
      proxy-protocol: true
      trusted-proxies: [{src}, "10.0.0.0/8"]
    - address: 127.0.0.1
      port: 0
      proxy-protocol: true
      trusted-proxies: [{src}]
      tls:
        certificate: tls/cert.pem
        key: tls/key.pem
limits:
  request-timeout: {rt}
  max-connections-per-address: 2
access:
  audit: true
  anonymous-role: public
  rate: 0.001
  burst: 3
  roles:
    public: [{nm}, {nm}-num-routingcost, {nm}-endpoint-cost]
maps:
  - maps/example.yaml
""".format(src=PROXY_ADDR, nm=NM, rt=REQUEST_TIMEOUT)
        d = at.make_tree(tc, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        os.makedirs(os.path.join(d, "tls"))
        for src, dst in [(PKI.server_pem, "cert.pem"), (PKI.server_key, "key.pem")]:
            shutil.copyfile(src, os.path.join(d, "tls", dst))
        cls.altod = at.start_altod_in(tc, d)
        cls.port = cls.altod.listeners[0][2]
        cls.tls_port = cls.altod.listeners[1][2]
        # haproxy
        hd = tempfile.TemporaryDirectory(prefix="altodtest-haproxy-")
        tc.addCleanup(hd.cleanup)
        cls.hap_port, cls.hap_tls_port = at.free_port(), at.free_port()
        cls.hap = at.Haproxy(hd.name, HAPROXY_CFG.format(port=cls.hap_port, tls_port=cls.hap_tls_port, p=cls.port,
                                                         tp=cls.tls_port, src=PROXY_ADDR))
        tc.addCleanup(cls.hap.stop)
        cls.hap.start(lambda: at.listening(cls.hap_tls_port, cls.hap_port), "listening")

    # ---- helpers ----

    def via_haproxy(self, client_addr, data, tls=False):
        """Sends data through HAProxy from client_addr (a loopback address),
        returns everything until the connection closes."""
        raw = socket.create_connection(("127.0.0.1", self.hap_tls_port if tls else self.hap_port),
                                       timeout=at.IO_TIMEOUT,
                                       source_address=(client_addr, 0))
        s = raw
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(PKI.ca_pem)
            s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        try:
            s.sendall(data)
            return read_until_close(s)
        finally:
            s.close()

    def trusted_raw(self, data, port=None, shut=False):
        """From the trusted proxy's address straight to altod."""
        s = socket.create_connection(("127.0.0.1", port or self.port), timeout=at.IO_TIMEOUT,
                                     source_address=(PROXY_ADDR, 0))
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
            return read_until_close(s)
        finally:
            s.close()

    def implicit_source(self, raw):
        r = at.parse_one_response(raw)[0]
        self.assertEqual(r.status, 200, raw)
        return sorted(r.json()["endpoint-cost-map"])

    def audit_count(self, status):
        """Audit lines of GETs of the network map (a 429 comes before any
        routing: resource=-)."""
        resource = NM if status == 200 else "-"
        return sum(1 for ln in self.altod.stderr_lines
                   if "audit:" in ln and " resource=%s status=%d " % (resource, status) in ln)

    def get_root(self, host="x"):
        return ("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode()

    # ---- the real client ----

    def test_implicit_source_is_the_real_client(self):
        self.assertEqual(self.implicit_source(self.via_haproxy("127.0.0.2", endpoint_cost_request())),
                         ["ipv4:127.0.0.2"])
        # over HTTPS: the header came before the TLS handshake
        self.assertEqual(self.implicit_source(self.via_haproxy("127.0.0.3", endpoint_cost_request(), tls=True)),
                         ["ipv4:127.0.0.3"])
        # IPv6 in the header (HAProxy on loopback has no IPv6 client to show)
        self.assertEqual(self.implicit_source(self.trusted_raw(v2("2001:db8::5", "2001:db8::1")
                                                               + endpoint_cost_request())), ["ipv6:2001:db8::5"])

    def test_rate_limit_and_audit_are_per_real_client(self):
        """burst 3 per anonymous address: the fourth request of one client
        is refused (and audited so), another client behind the same proxy
        is not. Seen from altod's socket, both are 127.0.0.9.
        The four requests share one connection: sequential connections of
        one client would also meet max-connections-per-address (2), whose
        slot libmicrohttpd frees only when it reaps a closed connection,
        a moment after the client saw it close (under valgrind, long enough
        for a third connection to be refused)."""
        before429, before200 = self.audit_count(429), self.audit_count(200)
        statuses = []
        get_map = ("GET /networkmap/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % NM).encode()
        s = socket.create_connection(("127.0.0.1", self.hap_port), timeout=at.IO_TIMEOUT,
                                     source_address=("127.0.0.4", 0))
        try:
            for _ in range(4):
                s.sendall(get_map.replace(b"Connection: close", b"Connection: keep-alive"))
                statuses.append(at.recv_responses(s, 1)[0][0].status)
        finally:
            s.close()
        self.assertEqual(statuses, [200, 200, 200, 429])
        other = at.parse_one_response(self.via_haproxy("127.0.0.5", get_map))[0]
        self.assertEqual(other.status, 200)
        deadline = time.monotonic() + at.LOG_TIMEOUT  # liveness only
        while (self.audit_count(429) - before429, self.audit_count(200) - before200) != (1, 4) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual((self.audit_count(429) - before429, self.audit_count(200) - before200), (1, 4),
                         self.altod.stderr())
        # no address in the audit line (RFC 7285 §15.4)
        for ln in self.altod.stderr_lines:
            if "audit:" in ln:
                self.assertNotIn("127.0.0.", ln)

    def test_connections_per_address_are_per_real_client(self):
        """max-connections-per-address 2: a third connection of one client
        is closed; another client's is served."""
        held = []
        try:
            for _ in range(2):
                s = socket.create_connection(("127.0.0.1", self.hap_port), timeout=at.IO_TIMEOUT,
                                             source_address=("127.0.0.6", 0))
                held.append(s)
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                r, _ = at.recv_responses(s, 1)
                self.assertEqual(r[0].status, 200)
            self.assertEqual(self.via_haproxy("127.0.0.6", self.get_root()), b"")
            self.assertEqual(at.parse_one_response(self.via_haproxy("127.0.0.7", self.get_root()))[0].status, 200)
        finally:
            for s in held:
                s.close()

    def test_local_is_served_as_the_proxys_own(self):
        """LOCAL (the proxy's own health check): served, as the proxy."""
        raw = self.trusted_raw(SIG + b"\x20\x00\x00\x00" + self.get_root())
        self.assertEqual(at.parse_one_response(raw)[0].status, 200, raw)
        self.assertEqual(self.implicit_source(self.trusted_raw(SIG + b"\x20\x00\x00\x00"
                                                               + endpoint_cost_request())), ["ipv4:" + PROXY_ADDR])

    # ---- refused ----

    def test_untrusted_source_is_closed_unread(self):
        before = self.proxy_counters()
        for src in ("127.0.0.1", "127.0.0.10"):
            with self.subTest(src=src):
                s = socket.create_connection(("127.0.0.1", self.port), timeout=at.IO_TIMEOUT, source_address=(src, 0))
                try:
                    s.sendall(v2("192.0.2.1") + self.get_root())
                    self.assertEqual(read_until_close(s), b"")
                finally:
                    s.close()
        # the TLS listener trusts only 127.0.0.9 (not 10.0.0.0/8): a trusted header from elsewhere is no help
        s = socket.create_connection(("127.0.0.1", self.tls_port), timeout=at.IO_TIMEOUT,
                                     source_address=("127.0.0.1", 0))
        try:
            s.sendall(v2("192.0.2.1"))
            self.assertEqual(read_until_close(s), b"")
        finally:
            s.close()
        after = self.proxy_counters()
        self.assertEqual(tuple(a - b for a, b in zip(after, before)), (2, 0, 0))

    def proxy_counters(self):
        """(untrusted, refused, too slow) of the HTTP listener, from the
        SIGUSR1 line."""
        n = self.altod.log_count()
        self.altod.send_signal(signal.SIGUSR1)
        ln = self.altod.wait_for_log(r"127\.0\.0\.1:%d: connections closed before the PROXY header" % self.port,
                                     after=n)
        m = re.search(r"(\d+) from untrusted addresses, (\d+) without a valid header, (\d+) too slow", ln)
        return tuple(int(x) for x in m.groups())

    def test_bad_headers_are_closed_unanswered(self):
        before = self.proxy_counters()
        long_len = SIG + b"\x21\x11" + struct.pack("!H", 2000) + b"\x00" * 12
        cases = {
            "no header": self.get_root(),
            "version 1": b"PROXY TCP4 192.0.2.1 127.0.0.1 5000 80\r\n" + self.get_root(),
            "bad signature": b"\r\n\r\n\x00\r\nQUIZ\n\x21\x11\x00\x0c" + b"\x00" * 12 + self.get_root(),
            "version 3": SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12 + self.get_root(),
            "unknown command": SIG + b"\x22\x11\x00\x0c" + b"\x00" * 12 + self.get_root(),
            "PROXY UNSPEC": SIG + b"\x21\x00\x00\x00" + self.get_root(),
            "PROXY UDP": v2("192.0.2.1", fam=0x12) + self.get_root(),
            "PROXY UNIX": SIG + b"\x21\x31\x00\xd8" + b"\x00" * 216 + self.get_root(),
            "too short for its addresses": SIG + b"\x21\x11\x00\x08" + b"\x00" * 8 + self.get_root(),
            "too long": long_len,
            "TLS without a header": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
        }
        for name, data in cases.items():
            with self.subTest(case=name):
                self.assertEqual(self.trusted_raw(data), b"")
        # truncated: the proxy closes mid-header
        for cut in (5, 12, 15, 20):
            with self.subTest(truncated=cut):
                self.assertEqual(self.trusted_raw(v2("192.0.2.1")[:cut], shut=True), b"")
        # and a good one is still served
        raw = self.trusted_raw(v2("192.0.2.1") + self.get_root())
        self.assertEqual(at.parse_one_response(raw)[0].status, 200)
        # kill -USR1 counts them (the acceptor closed them all before the good one was read)
        after = self.proxy_counters()
        self.assertEqual(after[1] - before[1], len(cases) + 4, (before, after))
        self.assertEqual((after[0], after[2]), (before[0], before[2]))

    def test_a_slow_header_is_cut_off_and_blocks_no_one(self):
        """A header not whole within request-timeout (REQUEST_TIMEOUT) is closed;
        meanwhile the acceptor serves everyone else. Shown by order, not by
        speed: both answers (HTTP and HTTPS) were complete while altod still
        held both slow connections open (their server side ESTABLISHED).
        Should this machine stall past request-timeout first, the attempt
        is repeated with new slow connections and a new client address
        (its own rate bucket), within a liveness bound."""
        before = self.proxy_counters()
        deadline = time.monotonic() + at.LOG_TIMEOUT
        attempts = 0
        while True:
            attempts += 1
            client = "127.0.1.%d" % attempts
            slow = []
            try:
                for part in (SIG[:3], v2("192.0.2.1")[:20]):
                    s = socket.create_connection(("127.0.0.1", self.port), timeout=at.IO_TIMEOUT,
                                                 source_address=(PROXY_ADDR, 0))
                    s.sendall(part)
                    slow.append(s)
                # served while the slow ones wait (on HTTP and HTTPS)
                raw = self.via_haproxy(client, self.get_root())
                self.assertEqual(at.parse_one_response(raw)[0].status, 200)
                self.assertEqual(self.implicit_source(self.via_haproxy(client, endpoint_cost_request(), tls=True)),
                                 ["ipv4:" + client])
                held = [at.server_side_state(s) for s in slow]
                for s in slow:
                    self.assertEqual(read_until_close(s, timeout=REQUEST_TIMEOUT + at.IO_TIMEOUT), b"")
            finally:
                for s in slow:
                    s.close()
            if held == ["ESTABLISHED"] * 2 or time.monotonic() > deadline:
                break
        self.assertEqual(held, ["ESTABLISHED"] * 2, "altod let the slow headers go before answering others")
        self.assertTrue(self.altod.alive())
        after = self.proxy_counters()
        self.assertEqual(tuple(a - b for a, b in zip(after, before)), (0, 0, 2 * attempts))

    def test_many_pending_headers_do_not_block(self):
        """A trusted proxy opening connections that never send their header:
        held until request-timeout, closed, and the others are served."""
        held = []
        try:
            for _ in range(50):
                held.append(socket.create_connection(("127.0.0.1", self.port), timeout=at.IO_TIMEOUT,
                                                     source_address=(PROXY_ADDR, 0)))
            raw = self.trusted_raw(v2("192.0.2.44") + self.get_root())
            self.assertEqual(at.parse_one_response(raw)[0].status, 200)
            for s in held:
                self.assertEqual(read_until_close(s, timeout=REQUEST_TIMEOUT + at.IO_TIMEOUT), b"")
        finally:
            for s in held:
                s.close()


class HealthChecks(at.AltodTestCase):
    """HAProxy's health checks on a proxy-protocol listener."""

    def setUp(self):
        text = ("server:\n  listen:\n    - address: 127.0.0.1\n      port: 0\n      proxy-protocol: true\n"
                "      trusted-proxies: [127.0.0.11]\nmaps:\n  - maps/example.yaml\n")
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        self.altod = at.start_altod_in(self, d)
        self.hap = at.Haproxy(d, CHECK_CFG.format(stats="{stats}", p=self.altod.port, src="127.0.0.11"))
        self.addCleanup(self.hap.stop)
        self.hap.start(lambda: os.path.exists(self.hap.stats), "up (its admin socket)")

    def check_status(self):
        for row in self.hap.stat():
            if row.get("pxname") == "checked" and row.get("svname") == "c":
                return row["status"], row.get("check_status"), row.get("last_chk")
        return None

    def test_haproxy_health_checks_pass(self):
        """HAProxy's own checks (a LOCAL header, then GET /) get 200: the
        server is UP."""
        deadline = time.monotonic() + at.LOG_TIMEOUT  # liveness only
        st = None
        while time.monotonic() < deadline:
            try:
                st = self.check_status()
            except OSError:
                st = None
            if st and st[0] == "UP" and st[1] == "L7OK":
                break
            time.sleep(0.1)
        self.assertEqual(st and st[:2], ("UP", "L7OK"), st)


class Config(unittest.TestCase):
    def test_bad_settings(self):
        cases = [
            ("proxy-protocol: true", "proxy-protocol needs trusted-proxies"),
            ("trusted-proxies: [127.0.0.1]", "trusted-proxies is for a listener with proxy-protocol: true"),
            ("proxy-protocol: true\ntrusted-proxies: [127.0.0.300]", "trusted proxy '127.0.0.300'"),
            ("proxy-protocol: true\ntrusted-proxies: [10.0.0.1/8]", "trusted proxy '10.0.0.1/8'"),
            ("proxy-protocol: true\ntrusted-proxies: [proxy.example]", "trusted proxy 'proxy.example'"),
            ("proxy-protocol: true\ntrusted-proxies: 127.0.0.1", "trusted-proxies"),
        ]
        for extra, msg in cases:
            with self.subTest(extra=extra):
                text = ("server:\n  listen:\n    - address: 127.0.0.1\n      port: 0\n"
                        + "".join("      %s\n" % ln for ln in extra.splitlines())
                        + "maps:\n  - maps/example.yaml\n")
                d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
                code, out = at.check_config(os.path.join(d, "altod.yaml"))
                self.assertNotEqual(code, 0)
                self.assertIn(msg, out)
                self.assertRegex(out, r"altod\.yaml:[0-9]+:[0-9]+: ")

    def test_good_settings(self):
        text = ("server:\n  listen:\n    - address: 127.0.0.1\n      port: 0\n      proxy-protocol: true\n"
                '      trusted-proxies: [127.0.0.1, "10.0.0.0/8", "::1", "2001:db8::/32"]\n'
                "maps:\n  - maps/example.yaml\n")
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        code, out = at.check_config(os.path.join(d, "altod.yaml"))
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    unittest.main()

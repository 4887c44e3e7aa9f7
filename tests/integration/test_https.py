"""HTTPS listeners: real TLS handshakes (Python's ssl module) against altod,
client-certificate checks, protocol versions, several listeners at once,
`altod -t` on TLS settings, and certificate rotation on SIGHUP."""

import http.client
import json
import re
import os
import shutil
import socket
import ssl
import threading
import unittest
import warnings

import altodtest as at
import tlsutil

PKI = tlsutil.ModulePki()
setUpModule, tearDownModule = PKI.setup, PKI.cleanup




# ---- clients ----

def client_ctx(cert=None, ca="ca", minv=None, maxv=None, ciphers=None):
    """A client context that verifies the server against the test CA (or
    `ca`) and the host name, optionally showing client cert `cert`."""
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.load_verify_locations(getattr(PKI, ca + "_pem"))
    c.check_hostname = True
    c.verify_mode = ssl.CERT_REQUIRED
    if isinstance(cert, tuple):  # (cert file, key file) names in the PKI dir
        c.load_cert_chain(PKI.path(cert[0]), PKI.path(cert[1]))
    elif cert:
        c.load_cert_chain(getattr(PKI, cert + "_pem"), getattr(PKI, cert + "_key"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 on purpose
        if ciphers:
            c.set_ciphers(ciphers)
        if minv is not None:
            c.minimum_version = minv
        if maxv is not None:
            c.maximum_version = maxv
    return c


class Attempt:
    """What one TLS connection got: did the handshake pass, with which
    version and server certificate, and which bytes came back for a GET."""

    def __init__(self):
        self.handshake = False
        self.version = None
        self.peer = None
        self.cipher = None
        self.data = b""
        self.error = None

    def responses(self):
        return at.parse_all_responses(self.data) if self.data else []

    def __repr__(self):
        return "<Attempt handshake=%s version=%s error=%r data=%r>" % (
            self.handshake, self.version, self.error, self.data[:200])


def attempt(host, port, ctx, path="/", timeout=5.0 * at.SLOWDOWN):
    """Connects, handshakes, sends `GET path` (Connection: close) and reads
    to EOF. Never raises for TLS or socket errors: see Attempt. `timeout`
    (each socket operation's) is a liveness bound: a handshake that timed
    out would pass for a refused one."""
    res = Attempt()
    raw = socket.create_connection((host, port), timeout=timeout)
    s = None
    try:
        try:
            s = ctx.wrap_socket(raw, server_hostname=host)
        except (ssl.SSLError, OSError) as e:
            res.error = e
            return res
        res.handshake = True
        res.version = s.version()
        res.peer = s.getpeercert(binary_form=True)
        res.cipher = s.cipher()[0]
        h = "[%s]" % host if ":" in host else host
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n"
                       % (path, h, port)).encode())
            while True:
                d = s.recv(65536)
                if not d:
                    break
                res.data += d
        except (ssl.SSLError, OSError) as e:
            res.error = e
        return res
    finally:
        if s is not None:
            s.close()
        raw.close()


# ---- config ----

def tls_block(cert="tls/cert.pem", key="tls/key.pem", client_ca=None, client_auth=None,
              priorities=None, indent="      ", client_crl=None):
    lines = ["tls:", "  certificate: %s" % cert, "  key: %s" % key]
    if client_ca:
        lines.append("  client-ca: %s" % client_ca)
    if client_crl:
        lines.append("  client-crl: %s" % client_crl)
    if client_auth:
        lines.append("  client-auth: %s" % client_auth)
    if priorities:
        lines.append('  priorities: "%s"' % priorities)
    return "".join(indent + ln + "\n" for ln in lines)


def listener(address, port=0, tls=None, plain_http=False):
    """One listener's YAML (a list item under server.listen)."""
    a = '"%s"' % address if ":" in address else address
    text = "    - address: %s\n      port: %d\n" % (a, port)
    if plain_http:
        text += "      plain-http: true\n"
    if tls:
        text += tls
    return text


def conf(listeners, maps=("maps/example.yaml",), limits=None):
    return ("server:\n  listen:\n" + "".join(listeners) + "maps:\n"
            + "".join("  - %s\n" % m for m in maps)
            + ("limits:\n" + "".join("  %s: %s\n" % kv for kv in limits.items()) if limits else ""))


# For tests that keep a connection open, idle, across reloads and TLS
# handshakes and then use it again: no idle limit. By default an idle
# keep-alive connection is closed after request-timeout (10 s), which a
# reload and a few handshakes of an altod under valgrind on a busy machine
# can take, and the kept connection would be gone for a reason the test is
# not about.
KEEP_IDLE = {"request-timeout": 0, "connection-timeout": 0}


def line_of(text, needle, nth=0):
    """1-based line of the nth line containing needle."""
    hits = [i + 1 for i, ln in enumerate(text.splitlines()) if needle in ln]
    return hits[nth]


def listener_lines(text):
    """(line, column) of every listener (its `address` key) in text."""
    out = []
    for i, ln in enumerate(text.splitlines()):
        if ln.lstrip().startswith("- address:"):
            out.append((i + 1, ln.index("address") + 1))
    return out


def tls_tree(testcase, conf_text, extra=None):
    """A temp dir with altod.yaml, the example maps and tls/ holding copies
    of server cert A (cert.pem/key.pem) and the CA (ca.pem)."""
    files = {"maps/example.yaml": at.read_example_maps(), "altod.yaml": conf_text}
    files.update(extra or {})
    d = at.make_tree(testcase, files)
    os.makedirs(os.path.join(d, "tls"), exist_ok=True)
    for src, dst in [(PKI.server_pem, "cert.pem"), (PKI.server_key, "key.pem"), (PKI.ca_pem, "ca.pem")]:
        shutil.copyfile(src, os.path.join(d, "tls", dst))
    return d


def install(directory, cert, key):
    """Overwrites tls/cert.pem and tls/key.pem with these files, the
    way an operator (or certbot) replaces them: write, then rename."""
    for src, dst in [(cert, "cert.pem"), (key, "key.pem")]:
        tmp = os.path.join(directory, "tls", dst + ".new")
        shutil.copyfile(src, tmp)
        os.replace(tmp, os.path.join(directory, "tls", dst))


V12, V13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3


class HttpsTestCase(at.AltodTestCase):
    def assertServed(self, res, body=None, version=None):
        """A handshake that verified the server and got a 200."""
        self.assertTrue(res.handshake, res)
        self.assertEqual(res.peer, PKI.der("server"), "not server cert A")
        rs = res.responses()
        self.assertEqual(len(rs), 1, res)
        self.assertEqual(rs[0].status, 200, res)
        if body is not None:
            # the same directory but for its URIs' base (the listener asked:
            # test_uris.py checks it)
            self.assertEqual(re.sub(rb'"uri":"https?://[^/"]*', b'"uri":"', rs[0].body),
                             re.sub(rb'"uri":"https?://[^/"]*', b'"uri":"', body))
        if version is not None:
            self.assertEqual(res.version, version)
        return rs[0]

    def assertRejected(self, res, version):
        """The server refused the client: for TLS 1.2 the handshake itself
        fails; for TLS 1.3 (where the client's certificate is checked after
        the client has finished) no byte of an HTTP response comes back."""
        self.assertEqual(res.data, b"", "a rejected client got an answer: %r" % res)
        if version == V12:
            self.assertFalse(res.handshake, "TLS 1.2 handshake passed: %r" % res)


class TestClientCertificates(HttpsTestCase):
    """One altod with a listener per client-auth setting and a plain HTTP
    listener for reference."""

    @classmethod
    def setUpClass(cls):
        cls._holder = at.class_holder(cls)
        text = conf([
            listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem")),                    # 0 require
            listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_auth="optional")),  # 1
            listener("127.0.0.1", tls=tls_block()),                                          # 2 no CA
            listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_auth="none")),  # 3
            listener("127.0.0.1"),                                                           # 4 http
        ])
        d = tls_tree(cls._holder, text)
        cls.altod = at.start_altod_in(cls._holder, d)
        cls.ls = cls.altod.listeners
        assert [s for s, _, _ in cls.ls] == ["https"] * 4 + ["http"], cls.ls
        cls.plain = cls.altod.client(4)
        cls.ird_body = cls.plain.get("/").body

    def port(self, i):
        return self.ls[i][2]

    def test_listening_lines(self):
        self.assertEqual([(s, h) for s, h, _ in self.ls], [("https", "127.0.0.1")] * 4 + [("http", "127.0.0.1")])
        self.assertEqual(len({p for _, _, p in self.ls}), 5)

    def test_good_client_gets_the_same_answers_as_plain_http(self):
        for v in (V12, V13):
            with self.subTest(version=v):
                res = attempt("127.0.0.1", self.port(0), client_ctx("client", maxv=v))
                self.assertServed(res, body=self.ird_body, version={V12: "TLSv1.2", V13: "TLSv1.3"}[v])
                self.assertEqual(res.responses()[0].content_type, at.MT_DIRECTORY)
        # every resource, over one keep-alive HTTPS connection
        https = self.altod.client(0, ssl_context=client_ctx("client"))
        reqs = at.resource_requests(self.plain.ird())
        self.assertGreaterEqual(len(reqs), 10)
        conn = https.connect()
        try:
            got = at.fetch_all(https, reqs, conn=conn)
            self.assertEqual(conn.sock.getpeercert(binary_form=True), PKI.der("server"))
        finally:
            conn.close()
        want = at.fetch_all(self.plain, reqs)
        for label, _, _, _, _ in reqs:
            self.assertEqual(got[label][0], 200, (label, got[label]))
        self.assertEqual(at.without_uri_bases(got), at.without_uri_bases(want))

    def test_server_certificate_verifies_only_against_its_ca(self):
        res = attempt("127.0.0.1", self.port(0), client_ctx("client", ca="rogueca"))
        self.assertFalse(res.handshake)
        self.assertIsInstance(res.error, ssl.SSLCertVerificationError, res)
        # the certificate names 127.0.0.1, ::1 and localhost, nothing else
        ctx = client_ctx("client")
        raw = socket.create_connection(("127.0.0.1", self.port(0)), timeout=at.IO_TIMEOUT)
        try:
            with self.assertRaises(ssl.SSLCertVerificationError):
                ctx.wrap_socket(raw, server_hostname="altod.example.com")
        finally:
            raw.close()
        res = attempt("127.0.0.1", self.port(0), client_ctx("client"))
        self.assertServed(res)

    def test_no_client_certificate_rejected_when_client_ca_given(self):
        # client-ca without client-auth: require
        for v in (V12, V13):
            with self.subTest(version=v):
                self.assertRejected(attempt("127.0.0.1", self.port(0), client_ctx(None, maxv=v)), v)

    def test_rogue_client_certificates_rejected(self):
        for cert in ("rogue", "roguesigned", "wrongeku"):
            for v in (V12, V13):
                with self.subTest(cert=cert, version=v):
                    self.assertRejected(attempt("127.0.0.1", self.port(0), client_ctx(cert, maxv=v)), v)
        # and the listener still serves good clients afterwards
        self.assertServed(attempt("127.0.0.1", self.port(0), client_ctx("client")), body=self.ird_body)

    def test_optional_client_auth(self):
        for v in (V12, V13):
            with self.subTest(version=v):
                self.assertServed(attempt("127.0.0.1", self.port(1), client_ctx(None, maxv=v)), body=self.ird_body)
                self.assertServed(attempt("127.0.0.1", self.port(1), client_ctx("client", maxv=v)),
                                  body=self.ird_body)
                for cert in ("rogue", "roguesigned", "wrongeku"):
                    self.assertRejected(attempt("127.0.0.1", self.port(1), client_ctx(cert, maxv=v)), v)

    def test_server_auth_only_listener(self):
        # no client-ca: no client certificate is asked for, so a client
        # holding one (even a rogue one) never shows it
        for cert in (None, "client", "rogue"):
            for v in (V12, V13):
                with self.subTest(cert=cert, version=v):
                    self.assertServed(attempt("127.0.0.1", self.port(2), client_ctx(cert, maxv=v)),
                                      body=self.ird_body)

    def test_client_auth_none_asks_for_no_certificate(self):
        # client-auth: none (include/altod/conf.h: "no client certificate
        # asked for"), even with a client-ca: a client holding a rogue
        # certificate is not asked for it and is served
        for cert in (None, "client", "rogue", "roguesigned"):
            for v in (V12, V13):
                with self.subTest(cert=cert, version=v):
                    self.assertServed(attempt("127.0.0.1", self.port(3), client_ctx(cert, maxv=v)),
                                      body=self.ird_body)

    def test_tls12_and_tls13_accepted(self):
        for v, name in ((V12, "TLSv1.2"), (V13, "TLSv1.3")):
            with self.subTest(version=name):
                res = attempt("127.0.0.1", self.port(0), client_ctx("client", minv=v, maxv=v))
                self.assertServed(res, body=self.ird_body, version=name)
        # a TLS 1.2 session uses an AEAD cipher
        res = attempt("127.0.0.1", self.port(0), client_ctx("client", minv=V12, maxv=V12))
        self.assertServed(res)
        self.assertRegex(res.cipher, r"GCM|CHACHA20-POLY1305", res.cipher)

    def test_tls10_and_tls11_rejected(self):
        ctrl = ControlServer()
        self.addCleanup(ctrl.close)
        for v in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            with self.subTest(version=v.name):
                ctx = client_ctx("client", minv=v, maxv=v, ciphers="ALL:@SECLEVEL=0")
                # control: this client does speak that version (to a Python server that allows it)
                self.assertEqual(ctrl.handshake(ctx), {ssl.TLSVersion.TLSv1: "TLSv1",
                                                        ssl.TLSVersion.TLSv1_1: "TLSv1.1"}[v])
                res = attempt("127.0.0.1", self.port(0), ctx)
                self.assertFalse(res.handshake, res)
                self.assertEqual(res.data, b"")
                res = attempt("127.0.0.1", self.port(2), ctx)
                self.assertFalse(res.handshake, res)

    def test_tls12_without_aead_cipher_rejected(self):
        ctrl = ControlServer()
        self.addCleanup(ctrl.close)
        ctx = client_ctx("client", minv=V12, maxv=V12,
                         ciphers="ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA")
        self.assertEqual(ctrl.handshake(ctx), "TLSv1.2")
        for i in (0, 2):
            res = attempt("127.0.0.1", self.port(i), ctx)
            self.assertFalse(res.handshake, res)

    def test_plain_http_to_an_https_listener_is_not_served(self):
        s = socket.create_connection(("127.0.0.1", self.port(2)), timeout=5)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            got = at.recv_all(s, 3.0)
        finally:
            s.close()
        self.assertNotIn(b"HTTP/1.1 200", got)
        self.assertNotIn(b"alto-directory", got)
        # and TLS to the plain HTTP listener fails
        res = attempt("127.0.0.1", self.port(4), client_ctx("client"))
        self.assertFalse(res.handshake, res)
        # both still serve
        self.assertServed(attempt("127.0.0.1", self.port(2), client_ctx(None)))
        self.assertEqual(self.plain.get("/").status, 200)


class ControlServer:
    """A Python TLS server that allows TLS 1.0 to 1.2 and every cipher: proves
    that a client context really offers what a test says it offers."""

    def __init__(self):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self.ctx.minimum_version = ssl.TLSVersion.TLSv1
            self.ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.set_ciphers("ALL:@SECLEVEL=0")
        self.ctx.load_cert_chain(PKI.server_pem, PKI.server_key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]

    def handshake(self, client_ctx_):
        errors = []

        def serve():
            try:
                c, _ = self.sock.accept()
                c.settimeout(5)
                try:
                    t = self.ctx.wrap_socket(c, server_side=True)
                    t.recv(1)
                    t.close()
                finally:
                    c.close()
            except Exception as e:  # noqa: BLE001 -- reported below
                errors.append(e)

        th = threading.Thread(target=serve, daemon=True)
        th.start()
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            s = client_ctx_.wrap_socket(raw, server_hostname="127.0.0.1")
            version = s.version()
            s.sendall(b"x")
            s.close()
        finally:
            raw.close()
            th.join(5)
        if errors:
            raise AssertionError("control server: %r" % errors)
        return version

    def close(self):
        self.sock.close()


class TestHttp11OverTls(HttpsTestCase):
    """HTTP/1.1 framing over TLS, where altod corks the socket around an
    answer of 1400 bytes or more (https.c: libmicrohttpd 0.9.75 would push its
    header alone): every answer whole and the same as over plain HTTP,
    small and large ones mixed on one keep-alive connection, pipelined,
    HEAD, 304, Connection: close, HTTP/1.0, a reader slower than altod
    writes, and an update stream (chunked) after a corked answer."""

    @classmethod
    def setUpClass(cls):
        cls._holder = unittest.TestCase()
        try:
            text = conf([listener("127.0.0.1", tls=tls_block()), listener("127.0.0.1")],
                        maps=("maps/example.yaml", "maps/big.yaml"))
            # the example maps have the default network map
            big = at.big_maps_text(2000).replace("    default: true\n", "")
            d = tls_tree(cls._holder, text, extra={"maps/big.yaml": big})
            cls.altod = at.start_altod_in(cls._holder, d)
        except BaseException:
            cls._holder.doCleanups()
            raise
        cls.tls = cls.altod.client(0, client_ctx())
        cls.plain = cls.altod.client(1)
        cls.port = cls.altod.listeners[0][2]
        ird = cls.plain.ird()
        cls.reqs = at.resource_requests(ird)
        cls.want = at.without_uri_bases(at.fetch_all(cls.plain, cls.reqs))
        cls.netmap = ird.networkmap_uri("big")
        cls.big = cls.plain.get(cls.netmap)

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def connect(self, rcvbuf=None):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:  # before connect(): the window it offers is negotiated then
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.settimeout(at.IO_TIMEOUT)
        raw.connect(("127.0.0.1", self.port))
        s = client_ctx().wrap_socket(raw, server_hostname="127.0.0.1")
        self.addCleanup(s.close)
        return s

    def request_bytes(self, method, uri, body=None, ctype=None, extra=""):
        h = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s" % (method, self.tls.url_path(uri), self.port, extra)
        if body is not None:
            h += "Content-Type: %s\r\nContent-Length: %d\r\n" % (ctype, len(body))
        return (h + "\r\n").encode() + (body or b"")

    def check(self, label, r):
        status, ctype, body = self.want[label]
        got = at.without_uri_base(r.body) if ctype == at.MT_DIRECTORY else r.body
        self.assertEqual((r.status, r.content_type, got), (status, ctype, body), label)
        self.assertEqual(int(r.header("Content-Length")), len(r.body), label)

    def test_both_sizes_are_served(self):
        """The cases below hold answers on both sides of the cork's 1400 bytes."""
        sizes = [len(b) for _, _, b in self.want.values()] + [len(self.big.body)]
        self.assertTrue(any(n < 1400 for n in sizes), sizes)
        self.assertTrue(any(1400 <= n < 16384 for n in sizes), sizes)
        self.assertGreater(len(self.big.body), 65536)

    def test_one_keep_alive_connection_small_and_large_mixed(self):
        s = self.connect()
        for _ in range(2):
            for label, method, uri, body, ctype in self.reqs:
                s.sendall(self.request_bytes(method, uri, body, ctype))
                rs, rest = at.recv_responses(s, 1)
                self.assertEqual((len(rs), rest), (1, b""), label)
                self.check(label, rs[0])
            s.sendall(self.request_bytes("GET", self.netmap))
            rs, rest = at.recv_responses(s, 1)
            self.assertEqual((rs[0].status, rs[0].body, rest), (200, self.big.body, b""))

    def test_pipelined(self):
        s = self.connect()
        data = b"".join(self.request_bytes(m, u, b, c) for _, m, u, b, c in self.reqs)
        s.sendall(data + self.request_bytes("GET", self.netmap) + data)
        n = len(self.reqs)
        rs, rest = at.recv_responses(s, 2 * n + 1, timeout=30 * at.SLOWDOWN)
        self.assertEqual((len(rs), rest), (2 * n + 1, b""))
        for i, (label, _, _, _, _) in enumerate(self.reqs):
            self.check(label, rs[i])
            self.check(label, rs[n + 1 + i])
        self.assertEqual(rs[n].body, self.big.body)

    def test_head_and_304_between_answers(self):
        s = self.connect()
        etag = self.big.header("ETag")
        s.sendall(self.request_bytes("HEAD", self.netmap)
                  + self.request_bytes("GET", self.netmap, extra="If-None-Match: %s\r\n" % etag)
                  + self.request_bytes("GET", self.netmap))
        rs, rest = at.recv_responses(s, 3, head=(0,))
        self.assertEqual(([r.status for r in rs], rest), ([200, 304, 200], b""))
        # RFC 7231 §4.3.2, RFC 7232 §4.1: the 200's Content-Length, no body
        self.assertEqual(rs[0].header("Content-Length"), str(len(self.big.body)))
        self.assertEqual(rs[0].body, b"")
        self.assertEqual((rs[1].header("ETag"), rs[1].body), (etag, b""))
        self.assertEqual(rs[2].body, self.big.body)

    def test_connection_close_and_http10_get_the_whole_answer(self):
        for extra, version in (("Connection: close\r\n", "HTTP/1.1"), ("", "HTTP/1.0")):
            with self.subTest(version=version, extra=extra):
                s = self.connect()
                req = self.request_bytes("GET", self.netmap, extra=extra).replace(b"HTTP/1.1", version.encode(), 1)
                s.sendall(req)
                data = b""
                while True:  # to the end of the stream: altod closes after the answer
                    c = s.recv(65536)
                    if not c:
                        break
                    data += c
                rs = at.parse_all_responses(data)
                self.assertEqual(len(rs), 1)
                self.assertEqual((rs[0].status, rs[0].body), (200, self.big.body))

    def test_slow_reader(self):
        """Many large answers pipelined to a client that offers a small
        window and reads a little at a time: altod writes them as the
        window opens; every byte arrives, in order."""
        s = self.connect(rcvbuf=4096)
        count = 12
        s.sendall(self.request_bytes("GET", self.netmap) * count)
        buf = b""
        out = []
        while len(out) < count:
            parsed = at.parse_one_response(buf)
            if parsed is not None:
                out.append(parsed[0])
                buf = parsed[1]
                continue
            c = s.recv(1024)
            self.assertTrue(c, "closed after %d answers" % len(out))
            buf += c
        self.assertEqual(buf, b"")
        for r in out:
            self.assertEqual((r.status, r.body), (200, self.big.body))

    def test_update_stream_after_a_corked_answer(self):
        """A chunked update stream (RFC 8895) on the connection that just
        carried a corked answer: its events arrive, chunk by chunk."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=at.IO_TIMEOUT, context=client_ctx())
        self.addCleanup(conn.close)
        conn.request("GET", self.netmap)
        r = conn.getresponse()
        self.assertEqual((r.status, r.read()), (200, self.big.body))
        conn.request("POST", "/updates/stream", headers={"Content-Type": at.MT_UPDATESTREAMPARAMS,
                                                         "Accept": at.MT_EVENTSTREAM},
                     body=json.dumps({"add": {"m": {"resource-id": "big"}}}).encode())
        r = conn.getresponse()
        self.assertEqual((r.status, r.getheader("Transfer-Encoding")), (200, "chunked"))
        events = []
        etype, data = None, []
        while len(events) < 2:
            line = r.readline()
            self.assertTrue(line, events)
            line = line.decode("utf-8").rstrip("\n")
            if line == "":
                if etype or data:
                    events.append((etype, "\n".join(data)))
                etype, data = None, []
            elif line.startswith("event:"):
                etype = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" ") if line.startswith("data: ") else line[5:])
        self.assertEqual(events[0][0], at.MT_UPDATESTREAMCONTROL)
        self.assertEqual(events[1][0], at.MT_NETWORKMAP + ",m")
        self.assertEqual(json.loads(events[1][1]), json.loads(self.big.body))


class TestListeners(HttpsTestCase):
    def test_https_and_http_on_ipv4_and_ipv6_at_once(self):
        text = conf([
            listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem")),
            listener("127.0.0.1"),
            listener("::1", tls=tls_block(client_ca="tls/ca.pem", client_auth="optional")),
            listener("::1"),
        ])
        a = at.start_altod_in(self, tls_tree(self, text))
        self.assertEqual([(s, h) for s, h, _ in a.listeners],
                         [("https", "127.0.0.1"), ("http", "127.0.0.1"), ("https", "::1"), ("http", "::1")])
        self.assertTrue(any("listening on https://[::1]:%d/" % a.listeners[2][2] in ln
                            for ln in a.stderr_lines), a.stderr())
        self.assertTrue(any("listening on http://[::1]:%d/" % a.listeners[3][2] in ln
                            for ln in a.stderr_lines), a.stderr())
        clients = [a.client(0, client_ctx("client")), a.client(1),
                   a.client(2, client_ctx("client")), a.client(3)]
        reqs = at.resource_requests(clients[1].ird())
        answers = [at.without_uri_bases(at.fetch_all(c, reqs)) for c in clients]
        for label in answers[0]:
            self.assertEqual(answers[0][label][0], 200, (label, answers[0][label]))
        for i in (1, 2, 3):
            self.assertEqual(answers[i], answers[0], "listener %d answers differently" % i)
        # TLS on the IPv6 listener verifies with the host name ::1
        res = attempt("::1", a.listeners[2][2], client_ctx(None))
        self.assertServed(res)
        # the IPv4 HTTPS listener requires a client certificate, the IPv6 one does not
        self.assertRejected(attempt("127.0.0.1", a.listeners[0][2], client_ctx(None, maxv=V12)), V12)
        # an IPv6 listener is IPv6 only: altod listens on its port in
        # /proc/net/tcp6 alone (a connection attempt to 127.0.0.1 on that
        # port would reach whatever another test bound there meanwhile)
        port6 = a.listeners[3][2]
        self.assertEqual({(fam, p) for fam, _, p in at.listening_ports(a.pid) if p == port6}, {("tcp6", port6)})


class TestChains(HttpsTestCase):
    def test_intermediate_ca_chains(self):
        # server: leaf + intermediate in the certificate file; clients trust
        # the root only. Client: its own leaf + intermediate; client-ca holds
        # the root only.
        text = conf([listener("127.0.0.1", tls=tls_block(cert=PKI.path("ileafserver-chain.pem"),
                                                           key=PKI.ileafserver_key, client_ca="tls/ca.pem"))])
        a = at.start_altod_in(self, tls_tree(self, text))
        port = a.listeners[0][2]
        for v in (V12, V13):
            with self.subTest(version=v):
                res = attempt("127.0.0.1", port, client_ctx(("ileafclient-chain.pem", "ileafclient.key"), maxv=v))
                self.assertTrue(res.handshake, res)
                self.assertEqual(res.peer, PKI.der("ileafserver"))
                self.assertEqual([r.status for r in res.responses()], [200], res)
                # the usual client, signed by the root directly
                res = attempt("127.0.0.1", port, client_ctx("client", maxv=v))
                self.assertEqual([r.status for r in res.responses()], [200], res)
                # a leaf without its intermediate cannot be verified
                self.assertRejected(attempt("127.0.0.1", port, client_ctx(("ileafclient.pem", "ileafclient.key"),
                                                                          maxv=v)), v)


class TestCheckConfig(HttpsTestCase):
    def check(self, text, files=None):
        d = tls_tree(self, text, extra=files)
        path = os.path.join(d, "altod.yaml")
        code, out = at.check_config(path)
        return d, path, code, out, at.parse_diag_lines(out)

    def assertOneErrorPerListener(self, path, out, diags, expected):
        """expected: {listener index: [words]}: exactly one error each, at
        that listener's line and column, starting with `tls ` when asked."""
        with open(path) as f:
            text = f.read()
        where = listener_lines(text)
        self.assertEqual(len(diags), len(expected), out)
        for idx, words in expected.items():
            line, col = where[idx]
            hits = [d for d in diags if d[0] is not None and os.path.realpath(d[0]) == os.path.realpath(path)
                    and d[1] == line and d[2] == col and all(w in d[3] for w in words)]
            self.assertEqual(len(hits), 1, "no error %s:%d:%d with %r in:\n%s" % (path, line, col, words, out))

    def test_non_loopback_without_tls_refused(self):
        for addr in ("0.0.0.0", "::", "192.0.2.1"):
            with self.subTest(address=addr):
                text = conf([listener("127.0.0.1"), listener(addr)])
                d, path, code, out, diags = self.check(text)
                self.assertEqual(code, 1, out)
                self.assertOneErrorPerListener(path, out, diags, {1: [addr, "plain HTTP"]})
                # and altod refuses to start on it (nothing is bound)
                code, err = at.run_altod_expect_exit(path)
                self.assertEqual(code, 1, err)
                self.assertIn(addr, err)
                self.assertNotIn("listening on", err)

    def test_non_loopback_with_tls_or_plain_http_ok(self):
        text = conf([listener("0.0.0.0", tls=tls_block()), listener("::", tls=tls_block(client_ca="tls/ca.pem")),
                     listener("0.0.0.0", plain_http=True), listener("127.0.0.1"), listener("::1")])
        d, path, code, out, diags = self.check(text)
        self.assertEqual((code, out), (0, "ok\n"))

    def test_tls_and_plain_http_together_refused(self):
        text = conf([listener("0.0.0.0", tls=tls_block(), plain_http=True)])
        d, path, code, out, diags = self.check(text)
        self.assertEqual(code, 1, out)
        self.assertOneErrorPerListener(path, out, diags, {0: ["plain-http"]})

    def test_missing_certificate_file(self):
        text = conf([listener("127.0.0.1"), listener("127.0.0.1", tls=tls_block(cert="tls/missing.pem"))])
        d, path, code, out, diags = self.check(text)
        self.assertEqual(code, 1, out)
        self.assertOneErrorPerListener(path, out, diags,
                                       {1: ["tls certificate", os.path.join(d, "tls/missing.pem")]})
        self.assertTrue(diags[0][3].startswith("tls "), out)

    def test_key_not_matching_certificate(self):
        text = conf([listener("127.0.0.1", tls=tls_block(key="tls/other.key"))])
        d, path, code, out, diags = self.check(text)
        shutil.copyfile(PKI.server2_key, os.path.join(d, "tls/other.key"))
        code, out = at.check_config(path)
        diags = at.parse_diag_lines(out)
        self.assertEqual(code, 1, out)
        self.assertOneErrorPerListener(path, out, diags, {0: ["tls key", "other.key"]})
        self.assertIn("match", out.lower())

    def test_bad_priority_string(self):
        text = conf([listener("127.0.0.1", tls=tls_block(priorities="NORMAL:+NO-SUCH-THING"))])
        d, path, code, out, diags = self.check(text)
        self.assertEqual(code, 1, out)
        self.assertOneErrorPerListener(path, out, diags, {0: ["tls priorities", "NORMAL:+NO-SUCH-THING"]})

    def test_good_priority_string_ok(self):
        text = conf([listener("127.0.0.1", tls=tls_block(priorities="SECURE256:-VERS-ALL:+VERS-TLS1.3"))])
        d, path, code, out, diags = self.check(text)
        self.assertEqual((code, out), (0, "ok\n"))

    def test_missing_and_bad_client_ca(self):
        text = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/nothere.pem")),
                     listener("127.0.0.1", tls=tls_block(client_ca="tls/key.pem"))])
        d, path, code, out, diags = self.check(text)
        self.assertEqual(code, 1, out)
        self.assertOneErrorPerListener(path, out, diags, {0: ["tls client-ca", "nothere.pem"],
                                                          1: ["tls client-ca", "key.pem"]})

    def test_client_auth_settings(self):
        text = conf([listener("127.0.0.1", tls=tls_block(client_auth="optional")),
                     listener("127.0.0.1", tls=tls_block(client_auth="require")),
                     listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_auth="sometimes"))])
        d, path, code, out, diags = self.check(text)
        self.assertEqual(code, 1, out)
        self.assertEqual(len(diags), 3, out)
        self.assertTrue(any("optional" in m and "client-ca" in m for _, _, _, m in diags), out)
        self.assertTrue(any("require" in m and "client-ca" in m for _, _, _, m in diags), out)
        ln = line_of(text, "sometimes")
        self.assertTrue(any(l_ == ln and c == text.splitlines()[ln - 1].index("sometimes") + 1 and "sometimes" in m
                            for _, l_, c, m in diags), out)
        text = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_auth=v))
                     for v in ("none", "optional", "require")])
        self.assertEqual(self.check(text)[2:4], (0, "ok\n"))

    def test_every_tls_error_in_one_run(self):
        text = conf([
            listener("127.0.0.1", tls=tls_block(cert="tls/missing.pem")),
            listener("127.0.0.1"),
            listener("127.0.0.1", tls=tls_block(key="tls/other.key")),
            listener("::1", tls=tls_block(priorities="NORMAL:+NO-SUCH-THING")),
        ], maps=("maps/example.yaml", "maps/broken.yaml"))
        d, path, code, out, diags = self.check(
            text, files={"maps/broken.yaml": "network-maps:\n  net2:\n    pids:\n      P: {ipv4: [10.0.0.1/8]}\n"})
        shutil.copyfile(PKI.server2_key, os.path.join(d, "tls/other.key"))
        code, out = at.check_config(path)
        diags = at.parse_diag_lines(out)
        self.assertEqual(code, 1, out)
        where = listener_lines(text)
        self.assertEqual(len(diags), 4, out)
        for idx, word in ((0, "tls certificate"), (2, "tls key"), (3, "tls priorities")):
            self.assertTrue(any(d_[1:3] == where[idx] and d_[3].startswith(word) for d_ in diags),
                            "%s at %s in:\n%s" % (word, where[idx], out))
        broken = os.path.join(d, "maps/broken.yaml")
        self.assertTrue(any(d_[0] and os.path.realpath(d_[0]) == os.path.realpath(broken) and d_[1] == 4
                            and "10.0.0.1/8" in d_[3] for d_ in diags), out)

    def test_start_with_bad_certificate_fails(self):
        text = conf([listener("127.0.0.1", tls=tls_block(cert="tls/missing.pem"))])
        d, path, code, out, diags = self.check(text)
        code, err = at.run_altod_expect_exit(path)
        self.assertEqual(code, 1, err)
        line, col = listener_lines(text)[0]
        self.assertIn("%s:%d:%d: tls certificate" % (path, line, col), err)
        self.assertNotIn("listening on", err)


class TestRotation(HttpsTestCase):
    def start(self, client_auth=None, limits=None):
        text = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_auth=client_auth)),
                     listener("127.0.0.1")], limits=limits)
        d = tls_tree(self, text)
        a = at.start_altod_in(self, d)
        return d, a, text

    def peer(self, a):
        res = attempt("127.0.0.1", a.listeners[0][2], client_ctx("client"))
        self.assertTrue(res.handshake, res)
        rs = res.responses()
        self.assertEqual([r.status for r in rs], [200], res)
        return res.peer

    def test_rotation_without_restart(self):
        d, a, text = self.start(limits=KEEP_IDLE)
        pid = a.pid
        self.assertEqual(self.peer(a), PKI.der("server"))
        # a keep-alive connection opened on cert A
        https = a.client(0, client_ctx("client"))
        old = https.connect()
        self.addCleanup(old.close)
        self.assertEqual(https.get("/", conn=old).status, 200)
        self.assertEqual(old.sock.getpeercert(True), PKI.der("server"))

        install(d, PKI.server2_pem, PKI.server2_key)
        lines = a.reload("ok")
        self.assertFalse(any("need a restart" in ln for ln in lines), lines)
        self.assertEqual(self.peer(a), PKI.der("server2"))
        self.assertEqual(a.pid, pid)
        self.assertTrue(a.alive())
        self.assertEqual(sum("listening on" in ln for ln in a.stderr_lines), 2, a.stderr())
        # the connection opened before keeps working
        r = https.get("/", conn=old)
        self.assertEqual(r.status, 200)
        self.assertEqual(old.sock.getpeercert(True), PKI.der("server"))

        # and back to A
        install(d, PKI.server_pem, PKI.server_key)
        a.reload("ok")
        self.assertEqual(self.peer(a), PKI.der("server"))
        self.assertEqual(a.pid, pid)

    def test_bad_new_key_keeps_old_certificate_and_maps(self):
        d, a, text = self.start()
        install(d, PKI.server2_pem, PKI.server2_key)
        a.reload("ok")
        self.assertEqual(self.peer(a), PKI.der("server2"))
        plain = a.client(1)
        nm_uri = plain.ird().networkmap_uri(at.EXAMPLE_NETMAP)
        before = plain.get(nm_uri).body

        # cert A with key B (no match), and a maps change in the same reload
        install(d, PKI.server_pem, PKI.server2_key)
        maps_path = os.path.join(d, "maps/example.yaml")
        with open(maps_path, "w") as f:
            f.write(at.read_example_maps().replace("198.51.100.128/25", "198.51.100.128/26"))
        lines = a.reload("failed")
        line, col = listener_lines(text)[0]
        key_path = os.path.join(d, "tls", "key.pem")
        self.assertTrue(any("%s:%d:%d: tls key %s" % (os.path.join(d, "altod.yaml"), line, col, key_path) in ln
                            and "error" in ln for ln in lines), "\n".join(lines))
        self.assertTrue(any("reload failed with 1 error(s)" in ln for ln in lines), "\n".join(lines))
        for _ in range(3):
            self.assertEqual(self.peer(a), PKI.der("server2"))
        self.assertEqual(plain.get(nm_uri).body, before)
        # a missing certificate file fails the same way
        os.remove(os.path.join(d, "tls", "cert.pem"))
        lines = a.reload("failed")
        self.assertTrue(any("tls certificate" in ln for ln in lines), "\n".join(lines))
        self.assertEqual(self.peer(a), PKI.der("server2"))
        self.assertEqual(plain.get(nm_uri).body, before)
        # fixed: both the certificate and the maps change take effect
        install(d, PKI.server_pem, PKI.server_key)
        a.reload("ok")
        self.assertEqual(self.peer(a), PKI.der("server"))
        after = plain.get(nm_uri).body
        self.assertNotEqual(after, before)
        self.assertIn(b"198.51.100.128/26", after)

    def test_rotation_under_load(self):
        d, a, text = self.start()
        port = a.listeners[0][2]
        certs = {PKI.der("server"): "A", PKI.der("server2"): "B"}
        stop = threading.Event()
        results = []

        def client():
            ctx = client_ctx("client")
            while not stop.is_set():
                res = attempt("127.0.0.1", port, ctx)
                ok = res.handshake and [r.status for r in res.responses()] == [200]
                results.append((certs.get(res.peer) if ok else None, res))

        threads = [threading.Thread(target=client, daemon=True) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            for n in range(20):
                name = "B" if n % 2 == 0 else "A"
                pem, key = (PKI.server2_pem, PKI.server2_key) if name == "B" else (PKI.server_pem, PKI.server_key)
                install(d, pem, key)
                a.reload("ok")
                self.assertEqual(certs.get(self.peer(a)), name)
        finally:
            stop.set()
            for t in threads:
                t.join(15)
        bad = [r for v, r in results if v is None]
        self.assertEqual(bad[:3], [], "%d of %d handshakes failed" % (len(bad), len(results)))
        self.assertEqual({v for v, _ in results}, {"A", "B"})
        self.assertTrue(a.alive())

    def test_tls_on_off_and_priorities_need_a_restart(self):
        d, a, text = self.start()
        https_port, http_port = a.listeners[0][2], a.listeners[1][2]
        pid = a.pid
        changes = [
            # TLS off on the HTTPS listener
            conf([listener("127.0.0.1"), listener("127.0.0.1")]),
            # TLS on on the HTTP listener
            conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem")),
                  listener("127.0.0.1", tls=tls_block())]),
            # other priorities
            conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem",
                                                      priorities="SECURE256:-VERS-ALL:+VERS-TLS1.3")),
                  listener("127.0.0.1")]),
        ]
        for new in changes:
            with self.subTest(conf=new):
                at.write_files(d, {"altod.yaml": new})
                lines = a.reload("ok")
                self.assertEqual(sum("need a restart" in ln and " warning: " in ln for ln in lines), 1,
                                 "\n".join(lines))
                self.assertEqual(a.pid, pid)
                # still as started: HTTPS (both versions) with a client cert, and plain HTTP
                for v in (V12, V13):
                    self.assertServed(attempt("127.0.0.1", https_port, client_ctx("client", maxv=v)))
                self.assertRejected(attempt("127.0.0.1", https_port, client_ctx(None, maxv=V12)), V12)
                self.assertEqual(at.Client("127.0.0.1", http_port).get("/").status, 200)
        at.write_files(d, {"altod.yaml": text})
        lines = a.reload("ok")
        self.assertFalse(any("need a restart" in ln for ln in lines), "\n".join(lines))

    def test_certificate_rotated_when_another_listener_changes(self):
        # a reload that changes the plain listener's port (needs a restart)
        # still rotates the certificate of the HTTPS listener that stays
        d, a, text = self.start()
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        at.write_files(d, {"altod.yaml": conf([
            listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem")), listener("127.0.0.1", port)])})
        install(d, PKI.server2_pem, PKI.server2_key)
        lines = a.reload("ok")
        self.assertEqual(sum("need a restart" in ln for ln in lines), 1, "\n".join(lines))
        self.assertEqual(self.peer(a), PKI.der("server2"))
        self.assertEqual(a.client(1).get("/").status, 200)

    def test_client_ca_rotation(self):
        d, a, text = self.start()
        port = a.listeners[0][2]
        self.assertServed(attempt("127.0.0.1", port, client_ctx("client")))
        self.assertRejected(attempt("127.0.0.1", port, client_ctx("roguesigned", maxv=V12)), V12)
        shutil.copyfile(PKI.rogueca_pem, os.path.join(d, "tls", "ca.pem.new"))
        os.replace(os.path.join(d, "tls", "ca.pem.new"), os.path.join(d, "tls", "ca.pem"))
        a.reload("ok")
        self.assertServed(attempt("127.0.0.1", port, client_ctx("roguesigned")))
        self.assertRejected(attempt("127.0.0.1", port, client_ctx("client", maxv=V12)), V12)
        self.assertRejected(attempt("127.0.0.1", port, client_ctx("client", maxv=V13)), V13)


# ---- trust changes and live connections ----

class Live:
    """One keep-alive HTTPS connection; requests are sent on it one at a
    time and it is never reopened (http.client would reconnect silently)."""

    def __init__(self, testcase, port, ctx):
        raw = socket.create_connection(("127.0.0.1", port), timeout=at.IO_TIMEOUT)
        try:
            self.s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        except BaseException:
            raw.close()
            raise
        testcase.addCleanup(self.s.close)
        self.port = port

    def get(self, path="/", method="GET", body=b""):
        """The response, or None if the connection ended without one."""
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (method, path, self.port)
        if body:
            head += "Content-Type: application/alto-networkmapfilter+json\r\nContent-Length: %d\r\n" % len(body)
        try:
            self.s.sendall((head + "\r\n").encode() + body)
            rs, _ = at.recv_responses(self.s, 1)
        except (ssl.SSLError, OSError):
            return None
        return rs[0] if rs else None

    def ended_by_server(self):
        """Waits for the server's end of the connection: True on EOF (or
        a TLS alert), False if it stays open (IO_TIMEOUT without a byte)."""
        self.s.settimeout(at.IO_TIMEOUT)
        try:
            return self.s.recv(1) == b""
        except socket.timeout:
            return False
        except (ssl.SSLError, OSError):
            return True


def replace_file(directory, name, src):
    """tls/NAME := src, written then renamed, as an operator would."""
    tmp = os.path.join(directory, "tls", name + ".new")
    shutil.copyfile(src, tmp)
    os.replace(tmp, os.path.join(directory, "tls", name))


class TestTrustChangesOnLiveConnections(HttpsTestCase):
    """A connection is served under the trust its client certificate was
    verified against: after a reload that changes client-ca, client-crl or
    client-auth, each open connection's certificate is verified again before
    its next request; one that does not pass gets 421 Misdirected Request
    (RFC 9110 §15.5.20: this connection cannot answer; a new one may) with
    Connection: close, and is closed."""

    def start(self, client_auth=None, revoked=None):
        crl = "tls/crl.pem" if revoked is not None else None
        text = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_auth=client_auth,
                                                         client_crl=crl))], limits=KEEP_IDLE)
        d = tls_tree(self, text)
        if revoked is not None:
            tlsutil.make_crl(PKI, os.path.join(d, "tls", "crl.pem"), revoked)
        a = at.start_altod_in(self, d)
        return d, a, a.listeners[0][2]

    def lives(self, port, cert="client"):
        """A keep-alive connection per TLS version, each served twice."""
        out = {}
        for v in (V12, V13):
            live = Live(self, port, client_ctx(cert, maxv=v))
            for _ in range(2):
                r = live.get()
                self.assertEqual(r.status if r else None, 200, r)
            out[v] = live
        return out

    def assertStillServed(self, lives, times=3):
        for v, live in lives.items():
            for _ in range(times):
                r = live.get()
                self.assertEqual(r.status if r else None, 200, "%s: %r" % (v, r))
                self.assertIn(b'"resources"', r.body)

    def assertCut(self, a, lives, mark, method="GET", body=b"", handshake_race=False):
        for v, live in lives.items():
            r = live.get(method=method, body=body)
            if r is None and handshake_race and v == V13:
                # TLS 1.3: the client's handshake ends before the server has
                # read the client's Certificate and Finished; when the reload
                # comes in between, the server checks the certificate against
                # the new CAs in the handshake itself and refuses it there
                # (an alert, then the close): refused too, never served
                self.assertTrue(live.ended_by_server(), "%s: the connection stays open" % v)
                continue
            self.assertIsNotNone(r, "%s: no answer" % v)
            self.assertEqual(r.status, 421, "%s: %r" % (v, r))
            self.assertEqual(r.header("Connection"), "close", r)
            self.assertNotIn(b'"resources"', r.body)
            self.assertTrue(live.ended_by_server(), "%s: the connection stays open" % v)
        a.wait_for_log(r"client certificate refused on a live connection after a reload", after=mark)

    def test_client_ca_replaced(self):
        d, a, port = self.start()
        lives = self.lives(port)
        posts = self.lives(port)
        # handshakes done, no request yet
        fresh = {v: Live(self, port, client_ctx("client", maxv=v)) for v in (V12, V13)}
        replace_file(d, "ca.pem", PKI.rogueca_pem)
        mark = a.log_count()
        a.reload("ok")
        self.assertCut(a, lives, mark)
        self.assertCut(a, fresh, mark, handshake_race=True)
        # a POST is refused before its body is read
        self.assertCut(a, posts, mark, "POST", b'{"pids": ["PID1"]}')
        # new connections: the new CA's clients only
        self.assertServed(attempt("127.0.0.1", port, client_ctx("roguesigned")))
        self.assertRejected(attempt("127.0.0.1", port, client_ctx("client", maxv=V12)), V12)
        self.assertRejected(attempt("127.0.0.1", port, client_ctx("client", maxv=V13)), V13)

    def test_reloads_that_keep_the_trust_keep_connections(self):
        d, a, port = self.start(revoked=())
        lives = self.lives(port)
        # nothing changed
        a.reload("ok")
        self.assertStillServed(lives)
        # the server certificate rotated: a new TLS state, the same CAs
        # (the connections are checked again, and pass)
        install(d, PKI.server2_pem, PKI.server2_key)
        a.reload("ok")
        self.assertStillServed(lives)
        self.assertEqual(attempt("127.0.0.1", port, client_ctx("client")).peer, PKI.der("server2"))
        # a new CRL that revokes another certificate
        tlsutil.make_crl(PKI, os.path.join(d, "tls", "crl.pem"), ["server2"])
        a.reload("ok")
        self.assertStillServed(lives)
        # the same CAs in a new file (a bundle with one more CA)
        with open(os.path.join(d, "tls", "ca.pem.new"), "wb") as f:
            f.write(PKI.read("ca") + PKI.read("inter"))
        os.replace(os.path.join(d, "tls", "ca.pem.new"), os.path.join(d, "tls", "ca.pem"))
        a.reload("ok")
        self.assertStillServed(lives)
        self.assertFalse(any("client certificate refused" in ln for ln in a.stderr_lines), a.stderr())

    def test_revoked_on_a_live_connection(self):
        d, a, port = self.start(revoked=())
        lives = self.lives(port)
        tlsutil.make_crl(PKI, os.path.join(d, "tls", "crl.pem"), ["client"])
        mark = a.log_count()
        a.reload("ok")
        self.assertCut(a, lives, mark)
        self.assertTrue(any("revoked" in ln for ln in a.stderr_lines[mark:]), a.stderr())
        self.assertRejected(attempt("127.0.0.1", port, client_ctx("client", maxv=V12)), V12)
        self.assertRejected(attempt("127.0.0.1", port, client_ctx("client", maxv=V13)), V13)

    def test_client_auth_none_then_require(self):
        d, a, port = self.start(client_auth="none")
        # not asked for a certificate: these hold none
        lives = self.lives(port)
        lives_cert = self.lives(port, "client")
        text = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_auth="require"))],
                    limits=KEEP_IDLE)
        at.write_files(d, {"altod.yaml": text})
        mark = a.log_count()
        lines = a.reload("ok")
        self.assertFalse(any("need a restart" in ln for ln in lines), "\n".join(lines))
        self.assertCut(a, lives, mark)
        self.assertCut(a, lives_cert, mark)
        self.assertServed(attempt("127.0.0.1", port, client_ctx("client")))

    def test_client_auth_optional_then_require(self):
        d, a, port = self.start(client_auth="optional")
        without = self.lives(port, None)
        with_cert = self.lives(port, "client")
        text = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_auth="require"))],
                    limits=KEEP_IDLE)
        at.write_files(d, {"altod.yaml": text})
        mark = a.log_count()
        a.reload("ok")
        self.assertCut(a, without, mark)
        self.assertStillServed(with_cert)

    def test_bad_crl_on_reload_keeps_the_previous_trust(self):
        d, a, port = self.start(revoked=())
        lives = self.lives(port)
        replace_file(d, "crl.pem", PKI.server_key)
        lines = a.reload("failed")
        self.assertTrue(any("tls client-crl" in ln for ln in lines), "\n".join(lines))
        self.assertStillServed(lives)
        self.assertServed(attempt("127.0.0.1", port, client_ctx("client")))

    def test_certificate_rules_of_the_access_policy(self):
        # a client's certificate rules are applied to every request: a
        # reload that changes them changes who a live connection is
        def access(sha):
            return ("access:\n  secret: \"live-connection-test-secret-0123456789\"\n"
                    "  clients:\n    tenant-a:\n      certificate: {sha256: \"%s\"}\n      roles: [r]\n"
                    "  roles:\n    r: [my-default-network-map]\n" % sha)
        import hashlib
        mine = hashlib.sha256(PKI.der("client")).hexdigest()
        other = hashlib.sha256(PKI.der("server2")).hexdigest()
        base = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem"))], limits=KEEP_IDLE)
        d = tls_tree(self, base + access(mine))
        a = at.start_altod_in(self, d)
        live = Live(self, a.listeners[0][2], client_ctx("client"))
        r = live.get()
        self.assertEqual(r.status if r else None, 200, r)
        self.assertIn(b"my-default-network-map", r.body)
        at.write_files(d, {"altod.yaml": base + access(other)})
        a.reload("ok")
        r = live.get()
        self.assertEqual(r.status if r else None, 401, r)
        at.write_files(d, {"altod.yaml": base + access(mine)})
        a.reload("ok")
        r = live.get()
        self.assertEqual(r.status if r else None, 200, r)


class TestRevocation(HttpsTestCase):
    def start(self, revoked, der=False):
        text = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_crl="tls/crl"))])
        d = tls_tree(self, text)
        tlsutil.make_crl(PKI, os.path.join(d, "tls", "crl"), revoked, der=der)
        return at.start_altod_in(self, d).listeners[0][2]

    def test_revoked_certificates_fail_the_handshake(self):
        leaf = ("ileafclient-chain.pem", "ileafclient.key")
        # PEM: the client certificate revoked; the intermediate's leaf not
        port = self.start(["client"])
        for v in (V12, V13):
            with self.subTest(crl="pem", version=v):
                self.assertRejected(attempt("127.0.0.1", port, client_ctx("client", maxv=v)), v)
                self.assertServed(attempt("127.0.0.1", port, client_ctx(leaf, maxv=v)))
        # DER: the intermediate CA revoked (so every leaf under it); the client not
        port = self.start(["inter"], der=True)
        for v in (V12, V13):
            with self.subTest(crl="der", version=v):
                self.assertRejected(attempt("127.0.0.1", port, client_ctx(leaf, maxv=v)), v)
                self.assertServed(attempt("127.0.0.1", port, client_ctx("client", maxv=v)))


class TestTlsSettingsAtLoad(HttpsTestCase):
    def check(self, text, crl=None):
        d = tls_tree(self, text)
        if crl:
            crl(d)
        path = os.path.join(d, "altod.yaml")
        code, out = at.check_config(path)
        return d, path, code, out, at.parse_diag_lines(out)

    def assertErrorAt(self, path, out, diags, line, col, words):
        self.assertEqual(len(diags), 1, out)
        f, l_, c, m = diags[0]
        self.assertEqual((os.path.realpath(f), l_, c), (os.path.realpath(path), line, col), out)
        for w in words:
            self.assertIn(w, m, out)

    def test_bad_client_crl(self):
        def with_crl(**kw):
            return lambda d: tlsutil.make_crl(PKI, os.path.join(d, "tls", "crl.pem"), **kw)
        cases = [
            ("missing", None, ["tls client-crl", "crl.pem"]),
            ("not a CRL", lambda d: shutil.copyfile(PKI.server_key, os.path.join(d, "tls", "crl.pem")),
             ["tls client-crl", "crl.pem"]),
            ("empty", lambda d: open(os.path.join(d, "tls", "crl.pem"), "w").close(),
             ["tls client-crl", "no CRL in the file"]),
            ("a certificate", lambda d: shutil.copyfile(PKI.ca_pem, os.path.join(d, "tls", "crl.pem")),
             ["tls client-crl", "crl.pem"]),
            ("another CA's (same name)", with_crl(ca="rogueca"),
             ["tls client-crl", "does not verify against client-ca"]),
            ("outdated", with_crl(last_update="191201000000Z", next_update="200101000000Z"),
             ["tls client-crl", "past its next update"]),
        ]
        for what, make, words in cases:
            with self.subTest(what):
                text = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_crl="tls/crl.pem"))])
                d, path, code, out, diags = self.check(text, make)
                self.assertEqual(code, 1, out)
                ln = line_of(text, "client-crl:")
                self.assertErrorAt(path, out, diags, ln, text.splitlines()[ln - 1].index("client-crl") + 1, words)
        # without a client-ca to check it against
        text = conf([listener("127.0.0.1", tls=tls_block(client_crl="tls/crl.pem"))])
        d, path, code, out, diags = self.check(text, with_crl())
        ln = line_of(text, "client-crl:")
        self.assertErrorAt(path, out, diags, ln, text.splitlines()[ln - 1].index("client-crl") + 1,
                           ["client-crl needs client-ca"])
        # and good ones, PEM and DER
        for der in (False, True):
            text = conf([listener("127.0.0.1", tls=tls_block(client_ca="tls/ca.pem", client_crl="tls/crl.pem"))])
            self.assertEqual(self.check(text, lambda d: tlsutil.make_crl(
                PKI, os.path.join(d, "tls", "crl.pem"), ["client"], der=der))[2:4], (0, "ok\n"))

    def test_priorities_below_tls12_refused(self):
        for prio, words in (("NORMAL:+VERS-TLS1.0", ["enables VERS-TLS1.0", "below TLS 1.2"]),
                            ("NORMAL:+VERS-TLS1.1", ["enables VERS-TLS1.1"]),
                            ("normal:+vers-tls1.0", ["enables VERS-TLS1.0"]),
                            ("SECURE128:+VERS-SSL3.0", ["enables VERS-SSL3.0"]),
                            ("NORMAL:-VERS-TLS-ALL:+VERS-DTLS1.2", ["enables neither TLS 1.2 nor TLS 1.3"])):
            with self.subTest(priorities=prio):
                text = conf([listener("127.0.0.1", tls=tls_block(priorities=prio))])
                d, path, code, out, diags = self.check(text)
                self.assertEqual(code, 1, out)
                ln = line_of(text, "priorities:")
                self.assertErrorAt(path, out, diags, ln, text.splitlines()[ln - 1].index('"') + 1,
                                   ["priorities '%s'" % prio] + words)
        for prio in ("NORMAL", "NORMAL:-VERS-TLS1.0", "SECURE256:+VERS-TLS-ALL"):
            with self.subTest(priorities=prio):
                text = conf([listener("127.0.0.1", tls=tls_block(priorities=prio))])
                self.assertEqual(self.check(text)[2:4], (0, "ok\n"))

    def test_normal_priorities_stay_above_tls11(self):
        # NORMAL enables TLS 1.0 and 1.1 in GnuTLS: altod's floor takes them off
        text = conf([listener("127.0.0.1", tls=tls_block(priorities="NORMAL")),
                     listener("127.0.0.1", tls=tls_block(priorities="NORMAL:%COMPAT:+VERS-TLS-ALL"))])
        d = tls_tree(self, text)
        a = at.start_altod_in(self, d)
        ctrl = ControlServer()
        self.addCleanup(ctrl.close)
        for i in (0, 1):
            port = a.listeners[i][2]
            for v in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
                with self.subTest(listener=i, version=v.name):
                    ctx = client_ctx(None, minv=v, maxv=v, ciphers="ALL:@SECLEVEL=0")
                    self.assertEqual(ctrl.handshake(ctx), {ssl.TLSVersion.TLSv1: "TLSv1",
                                                            ssl.TLSVersion.TLSv1_1: "TLSv1.1"}[v])
                    res = attempt("127.0.0.1", port, ctx)
                    self.assertFalse(res.handshake, res)
            for v, name in ((V12, "TLSv1.2"), (V13, "TLSv1.3")):
                with self.subTest(listener=i, version=name):
                    self.assertServed(attempt("127.0.0.1", port, client_ctx(None, minv=v, maxv=v)), version=name)


if __name__ == "__main__":
    unittest.main()

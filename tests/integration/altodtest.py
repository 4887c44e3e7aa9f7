"""Helpers for altod's integration tests.

Every test runs the real altod binary (ALTOD_BIN) on an ephemeral loopback
port (``port: 0``), learns the port from altod's log line
``listening on http://127.0.0.1:PORT/`` and waits for the ``ready:`` line.
Only the Python standard library is used.

Environment:
    ALTOD_BIN  the altod binary (default: $ALTOD_SRC/build/altod)
    ALTOD_SRC  the repository root (default: two folders above this file)
"""

import http.client
import atexit
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

SRC = os.environ.get("ALTOD_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("ALTOD_BIN") or os.path.join(SRC, "build", "altod")
EXAMPLE_MAPS = os.path.join(SRC, "conf", "maps", "example.yaml")
EXAMPLE_CONF = os.path.join(SRC, "conf", "altod.yaml")

START_TIMEOUT = 20.0   # seconds to wait for "ready:"
STOP_TIMEOUT = 10.0    # seconds to wait after SIGTERM before SIGKILL
IO_TIMEOUT = 10.0      # socket timeout of every request

# RFC 7285 §8.3 / Table 2
MT_DIRECTORY = "application/alto-directory+json"
MT_NETWORKMAP = "application/alto-networkmap+json"
MT_NETWORKMAPFILTER = "application/alto-networkmapfilter+json"
MT_COSTMAP = "application/alto-costmap+json"
MT_COSTMAPFILTER = "application/alto-costmapfilter+json"
MT_ENDPOINTPROP = "application/alto-endpointprop+json"
MT_ENDPOINTPROPPARAMS = "application/alto-endpointpropparams+json"
MT_ENDPOINTCOST = "application/alto-endpointcost+json"
MT_ENDPOINTCOSTPARAMS = "application/alto-endpointcostparams+json"
MT_ERROR = "application/alto-error+json"

# the media type a POST resource answers with, by the media type it accepts
OUTPUT_OF_INPUT = {
    MT_NETWORKMAPFILTER: MT_NETWORKMAP,
    MT_COSTMAPFILTER: MT_COSTMAP,
    MT_ENDPOINTPROPPARAMS: MT_ENDPOINTPROP,
    MT_ENDPOINTCOSTPARAMS: MT_ENDPOINTCOST,
}

EXAMPLE_NETMAP = "my-default-network-map"

_RUNNING = set()  # every Altod started and not yet stopped


@atexit.register
def _stop_leftovers():
    """Last resort (a setUpClass that failed half-way): never leave an altod
    running after the test process ends."""
    for a in list(_RUNNING):
        a.stop()


def read_example_maps():
    with open(EXAMPLE_MAPS, encoding="utf-8") as f:
        return f.read()


def config_text(maps, listen=(("127.0.0.1", 0),), limits=None, extra=""):
    """An altod.yaml: `maps` is a list of paths (relative to the config)."""
    lim = {"max-request-body": 1048576, "max-endpoints": 10000,
           "max-endpoint-pairs": 1000000}
    if limits:
        lim.update(limits)
    lines = ["server:", "  listen:"]
    for addr, port in listen:
        lines.append("    - address: %s" % (addr if ":" not in addr else '"%s"' % addr))
        lines.append("      port: %d" % port)
    lines.append("limits:")
    for k, v in lim.items():
        lines.append("  %s: %s" % (k, v))
    lines.append("maps:")
    for m in maps:
        lines.append("  - %s" % json.dumps(m))
    return "\n".join(lines) + "\n" + extra


def write_files(directory, files):
    """files: {relative path: text}. Creates folders as needed."""
    for rel, text in files.items():
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def make_tree(testcase, files):
    """A temp dir holding `files`, removed when the test ends."""
    td = tempfile.TemporaryDirectory(prefix="altodtest-")
    testcase.addCleanup(td.cleanup)
    write_files(td.name, files)
    return td.name


def check_config(conf_path, timeout=30):
    """Runs `altod -t -c FILE`: returns (exit code, stdout)."""
    p = subprocess.run([BIN, "-t", "-c", conf_path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def run_altod_expect_exit(conf_path, timeout=15):
    """Runs altod (no -t) expecting it to exit by itself: (code, stderr)."""
    p = subprocess.Popen([BIN, "-c", conf_path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        raise AssertionError("altod did not exit within %ss; stderr:\n%s"
                             % (timeout, err.decode("utf-8", "replace")))
    return p.returncode, err.decode("utf-8", "replace")


DIAG_RE = re.compile(r"^(.+?):(\d+):(\d+): (.+)$")


def parse_diag_lines(out):
    """`altod -t` output lines -> list of (file, line, col, message); a line
    not in the file:line:column: message form is kept as (None, 0, 0, line)."""
    res = []
    for line in out.splitlines():
        if not line:
            continue
        m = DIAG_RE.match(line)
        if m:
            res.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)))
        else:
            res.append((None, 0, 0, line))
    return res


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as received
        self.body = body

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def content_type(self):
        return self.header("Content-Type")

    def json(self):
        return json.loads(self.body.decode("utf-8"),
                          object_pairs_hook=_no_duplicates)

    def __repr__(self):
        return "<Response %d %r %r>" % (self.status, self.headers, self.body[:400])


def _no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate JSON member %r in a response" % k)
        d[k] = v
    return d


class Altod:
    """One running altod. Use start_altod() in tests: it registers cleanup."""

    def __init__(self, directory, conf_name="altod.yaml", env=None, args=()):
        self.dir = directory
        self.conf = os.path.join(directory, conf_name)
        self.env = env          # extra environment variables (dict) or None
        self.args = list(args)  # extra command line arguments
        self.proc = None
        self.port = None
        self.host = "127.0.0.1"
        self.scheme = "http"
        self.ssl_context = None  # for an https first listener
        self.listeners = []      # (scheme, host, port) of every listening line
        self.stderr_lines = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._eof = threading.Event()
        self._thread = None

    # ---- process ----

    def start(self):
        env = None
        if self.env is not None:
            env = dict(os.environ)
            env.update(self.env)
        self.proc = subprocess.Popen([BIN, "-c", self.conf] + self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _RUNNING.add(self)
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready.is_set():
            if self._eof.is_set() or self.proc.poll() is not None:
                self._eof.wait(2)
                code = self.proc.wait(5)
                raise AssertionError("altod exited (code %s) before it was ready; stderr:\n%s"
                                     % (code, self.stderr()))
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("altod not ready after %ss; stderr:\n%s"
                                     % (START_TIMEOUT, self.stderr()))
            self._ready.wait(0.05)
        if self.port is None:
            self.stop()
            raise AssertionError("no 'listening on http(s)://...:PORT/' line before 'ready:'; "
                                 "stderr:\n" + self.stderr())
        return self

    def _drain(self):
        listen_re = re.compile(r"listening on (https?)://(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)/")
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.stderr_lines.append(line)
            m = listen_re.search(line) if not self._ready.is_set() else None
            if m:
                self.listeners.append((m.group(1), m.group(2).strip("[]"), int(m.group(3))))
                if self.port is None:
                    self.scheme = m.group(1)
                    self.host = m.group(2).strip("[]")
                    self.port = int(m.group(3))
            if "ready:" in line:
                self._ready.set()
        self.proc.stderr.close()
        self._eof.set()

    def stderr(self):
        with self._lock:
            return "\n".join(self.stderr_lines)

    def wait_for_log(self, pattern, after=0, timeout=10.0):
        """Waits until a stderr line (from index `after` on) matches the
        regex `pattern`; returns that line, or fails with the stderr."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                lines = self.stderr_lines[after:]
            for line in lines:
                if rx.search(line):
                    return line
            if time.monotonic() > deadline or not self.alive():
                raise AssertionError("no log line matching %r; stderr:\n%s" % (pattern, self.stderr()))
            time.sleep(0.02)

    def log_count(self):
        with self._lock:
            return len(self.stderr_lines)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, expect="ok", timeout=10.0):
        """SIGHUP; waits for this reload's outcome (`reload: ok` or
        `reload failed`), fails unless it is `expect` ("ok" or "failed").
        Returns the log lines of this reload (from the SIGHUP on)."""
        mark = self.log_count()
        self.proc.send_signal(signal.SIGHUP)
        line = self.wait_for_log(r"reload: ok|reload failed", after=mark, timeout=timeout)
        got = "ok" if "reload: ok" in line else "failed"
        if got != expect:
            raise AssertionError("reload %s, expected %s; stderr:\n%s" % (got, expect, self.stderr()))
        with self._lock:
            return self.stderr_lines[mark:]

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits for the process to end by itself; returns its exit code."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("altod did not exit within %ss; stderr:\n%s" % (timeout, self.stderr()))
        _RUNNING.discard(self)
        if self._thread is not None:
            self._thread.join(5)
        return code

    def client(self, index=0, ssl_context=None):
        """A Client for the index-th listener (in the order they were logged)."""
        scheme, host, port = self.listeners[index]
        return Client(host, port, scheme, ssl_context)

    def stop(self):
        """SIGTERM, then SIGKILL if it lingers. Returns the exit code."""
        if self.proc is None:
            return None
        _RUNNING.discard(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._thread is not None:
            self._thread.join(5)
        return self.proc.returncode

    # ---- HTTP ----

    @property
    def base(self):
        h = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d/" % (self.scheme, h, self.port)

    def url_path(self, uri):
        """A URI from the IRD (absolute or relative) -> the request target."""
        full = urllib.parse.urljoin(self.base, uri)
        u = urllib.parse.urlsplit(full)
        return u.path + ("?" + u.query if u.query else "")

    def connect(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=IO_TIMEOUT,
                                               context=self.ssl_context)
        return http.client.HTTPConnection(self.host, self.port, timeout=IO_TIMEOUT)

    def request(self, method, path, body=None, headers=None, conn=None):
        """One request on a new (or the given) connection -> Response."""
        own = conn is None
        if own:
            conn = self.connect()
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode("utf-8")
            conn.request(method, self.url_path(path), body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, r.reason, r.getheaders(), data)
        finally:
            if own:
                conn.close()

    def get(self, path, headers=None, conn=None):
        return self.request("GET", path, headers=headers, conn=conn)

    def post(self, path, body, content_type, headers=None, conn=None):
        h = {"Content-Type": content_type}
        if headers:
            h.update(headers)
        return self.request("POST", path, body=body, headers=h, conn=conn)

    def raw(self, data, timeout=5.0, wait_close=True):
        """Sends exact bytes, reads until the server closes (or `timeout`
        seconds without data) and returns everything received."""
        s = socket.create_connection((self.host, self.port), timeout=IO_TIMEOUT)
        try:
            s.sendall(data)
            return recv_all(s, timeout)
        finally:
            s.close()

    def socket(self):
        return socket.create_connection((self.host, self.port), timeout=IO_TIMEOUT)

    # ---- ALTO ----

    def ird(self):
        r = self.get("/")
        if r.status != 200:
            raise AssertionError("GET / gave %r" % r)
        return Ird(r.json())


class Client:
    """HTTP(S) requests to one address and port (an altod listener, or a
    proxy in front of altod): the request API of Altod."""

    def __init__(self, host, port, scheme="http", ssl_context=None):
        self.host = host
        self.port = port
        self.scheme = scheme
        self.ssl_context = ssl_context

    @property
    def base(self):
        h = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d/" % (self.scheme, h, self.port)

    url_path = Altod.url_path
    connect = Altod.connect
    request = Altod.request
    get = Altod.get
    post = Altod.post
    ird = Altod.ird

    def __repr__(self):
        return "<Client %s>" % self.base


def resource_requests(ird, endpoints=None):
    """One request per (resource, variant) of the directory, to compare
    every answer of two servers (or of one server at two moments):
    a list of (label, method, uri, body bytes or None, content type or None).
    GET resources are fetched as they are; POST resources get a request per
    cost type / property they offer. `endpoints`: the typed addresses used
    in endpoint property and endpoint cost requests."""
    if endpoints is None:
        endpoints = ["ipv4:192.0.2.34", "ipv4:198.51.100.10", "ipv4:198.51.100.200",
                     "ipv4:203.0.113.129", "ipv6:2001:db8::1", "ipv6:::1"]
    out = [("GET /", "GET", "/", None, None)]
    for rid in sorted(ird.resources):
        r = ird.resources[rid]
        uri, acc = r["uri"], r.get("accepts")
        caps = r.get("capabilities", {})
        if acc is None:
            out.append((rid, "GET", uri, None, None))
        elif acc == MT_NETWORKMAPFILTER:
            out.append((rid + " all", "POST", uri, {"pids": []}, acc))
            out.append((rid + " PID1,PID3", "POST", uri, {"pids": ["PID1", "PID3"]}, acc))
        elif acc == MT_COSTMAPFILTER:
            for name in caps.get("cost-type-names", []):
                ct = ird.cost_types[name]
                out.append((rid + " " + name, "POST", uri, {"cost-type": ct}, acc))
        elif acc == MT_ENDPOINTPROPPARAMS:
            out.append((rid, "POST", uri, {"properties": caps.get("prop-types", []),
                                           "endpoints": endpoints}, acc))
        elif acc == MT_ENDPOINTCOSTPARAMS:
            for name in caps.get("cost-type-names", []):
                ct = ird.cost_types[name]
                out.append((rid + " " + name, "POST", uri,
                            {"cost-type": ct, "endpoints": {"srcs": endpoints[:3], "dsts": endpoints}},
                            acc))
        else:
            raise AssertionError("unknown accepts %r of %s" % (acc, rid))
    return [(label, m, uri, json.dumps(body).encode() if body is not None else None, ct)
            for label, m, uri, body, ct in out]


def fetch_all(client, requests, conn=None):
    """{label: (status, content type, body bytes)} of every request."""
    res = {}
    for label, method, uri, body, ctype in requests:
        headers = {"Content-Type": ctype} if ctype else None
        r = client.request(method, uri, body=body, headers=headers, conn=conn)
        res[label] = (r.status, r.content_type, r.body)
    return res


def begin_post(a, uri, content_type, body_len, timeout=10.0):
    """Starts a POST of body_len bytes on a new socket to altod `a` and
    returns the socket once altod has taken the request in: the request
    carries `Expect: 100-continue`, and libmicrohttpd sends `100 Continue`
    only after altod's handler has seen the headers (the request is in
    flight from then on). The caller sends the body."""
    s = a.socket()
    try:
        s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                   "Expect: 100-continue\r\n\r\n" % (a.url_path(uri), content_type, body_len)).encode())
        want = b"HTTP/1.1 100 Continue\r\n\r\n"
        got = b""
        s.settimeout(timeout)
        while len(got) < len(want):
            c = s.recv(len(want) - len(got))
            if not c:
                break
            got += c
        if got != want:
            raise AssertionError("expected %r, got %r" % (want, got))
        s.settimeout(IO_TIMEOUT)
        return s
    except BaseException:
        s.close()
        raise


def recv_all(s, idle_timeout=5.0):
    """Reads from a socket until EOF or `idle_timeout` without data."""
    s.settimeout(idle_timeout)
    chunks = []
    while True:
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not c:
            break
        chunks.append(c)
    return b"".join(chunks)


def recv_responses(s, count, head=(), timeout=10.0):
    """Reads exactly `count` HTTP responses from socket `s` (parsing
    Content-Length / chunked framing). `head` holds the indices of responses
    to HEAD requests (no body). Returns (responses, leftover bytes)."""
    buf = b""
    out = []
    deadline = time.monotonic() + timeout
    s.settimeout(0.2)
    closed = False
    while len(out) < count:
        parsed = parse_one_response(buf, head_request=len(out) in head)
        if parsed is not None:
            resp, buf = parsed
            out.append(resp)
            continue
        if closed:
            break
        if time.monotonic() > deadline:
            break
        try:
            c = s.recv(65536)
            if not c:
                closed = True
            buf += c
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
    return out, buf


def parse_one_response(buf, head_request=False):
    """Parses one HTTP/1.x response at the start of buf. Returns
    (Response, rest) or None if incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("iso-8859-1")
    rest = buf[end + 4:]
    lines = head.split("\r\n")
    m = re.match(r"^HTTP/1\.[01] (\d{3}) ?(.*)$", lines[0])
    if not m:
        raise AssertionError("not an HTTP status line: %r (in %r)" % (lines[0], buf[:300]))
    status = int(m.group(1))
    headers = []
    for ln in lines[1:]:
        k, sep, v = ln.partition(":")
        if not sep:
            raise AssertionError("bad header line %r" % ln)
        headers.append((k.strip(), v.strip()))
    resp = Response(status, m.group(2), headers, b"")
    if head_request or status in (204, 304) or 100 <= status < 200:
        return resp, rest
    te = (resp.header("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        body = b""
        pos = 0
        while True:
            nl = rest.find(b"\r\n", pos)
            if nl < 0:
                return None
            size = int(rest[pos:nl].split(b";")[0], 16)
            pos = nl + 2
            if size == 0:
                # trailers until an empty line
                while True:
                    nl = rest.find(b"\r\n", pos)
                    if nl < 0:
                        return None
                    if nl == pos:
                        pos += 2
                        break
                    pos = nl + 2
                resp.body = body
                return resp, rest[pos:]
            if len(rest) < pos + size + 2:
                return None
            body += rest[pos:pos + size]
            pos += size + 2
    cl = resp.header("Content-Length")
    if cl is None:
        return None  # delimited by close: caller must read to EOF
    n = int(cl)
    if len(rest) < n:
        return None
    resp.body = rest[:n]
    return resp, rest[n:]


def parse_all_responses(data, head=()):
    """Every response in `data` (bytes received up to EOF)."""
    out = []
    while data:
        parsed = parse_one_response(data, head_request=len(out) in head)
        if parsed is None:
            # close-delimited body
            end = data.find(b"\r\n\r\n")
            if end < 0:
                raise AssertionError("truncated response: %r" % data[:300])
            r = parse_one_response(data[:end + 4], head_request=True)[0]
            r.body = data[end + 4:]
            out.append(r)
            break
        resp, data = parsed
        out.append(resp)
    return out


def start_altod(testcase, maps_files=None, limits=None, listen=(("127.0.0.1", 0),),
                directory=None, extra_config=""):
    """Writes altod.yaml (+ maps files: {relative path: text}, default the
    RFC example maps) into a temp dir, starts altod, and registers its stop."""
    if maps_files is None:
        maps_files = {"maps/example.yaml": read_example_maps()}
    files = dict(maps_files)
    files["altod.yaml"] = config_text(list(maps_files), listen=listen, limits=limits,
                                      extra=extra_config)
    if directory is None:
        directory = make_tree(testcase, files)
    else:
        write_files(directory, files)
    a = Altod(directory)
    testcase.addCleanup(a.stop)
    a.start()
    return a


def start_altod_in(testcase, directory, conf_name="altod.yaml", env=None, args=()):
    """Starts altod on DIRECTORY/CONF_NAME (already written) and registers
    its stop."""
    a = Altod(directory, conf_name, env=env, args=args)
    testcase.addCleanup(a.stop)
    a.start()
    return a


def start_class_altod(cls, *args, **kw):
    """start_altod() for a whole test class (from setUpClass): the cleanups
    go to cls._holder, which tearDownClass must run (see ClassServer)."""
    cls._holder = unittest.TestCase()
    try:
        return start_altod(cls._holder, *args, **kw)
    except BaseException:
        cls._holder.doCleanups()
        raise


class Ird:
    """The information resource directory, as a client reads it."""

    def __init__(self, doc):
        self.doc = doc
        self.meta = doc["meta"]
        self.resources = doc["resources"]
        self.cost_types = self.meta.get("cost-types", {})

    def uri(self, rid):
        return self.resources[rid]["uri"]

    def default_network_map(self):
        return self.meta["default-alto-network-map"]

    def cost_type_name(self, metric, mode):
        for name, ct in self.cost_types.items():
            if ct.get("cost-metric") == metric and ct.get("cost-mode") == mode:
                return name
        raise KeyError("no cost type %s/%s in the IRD" % (metric, mode))

    def find(self, media_type, accepts=None, uses=None, cost_type=None):
        """Resource ids with this media type (and accepts/uses/cost type)."""
        out = []
        for rid, r in self.resources.items():
            if r.get("media-type") != media_type or r.get("accepts") != accepts:
                continue
            if uses is not None and r.get("uses") != [uses]:
                continue
            if cost_type is not None:
                names = r.get("capabilities", {}).get("cost-type-names", [])
                if cost_type not in names:
                    continue
            out.append(rid)
        return sorted(out)

    def one(self, *a, **kw):
        ids = self.find(*a, **kw)
        if len(ids) != 1:
            raise AssertionError("expected one resource for %r %r, found %r" % (a, kw, ids))
        return ids[0]

    def costmap_uri(self, netmap, metric, mode):
        name = self.cost_type_name(metric, mode)
        return self.uri(self.one(MT_COSTMAP, uses=netmap, cost_type=name))

    def filtered_costmap_uri(self, netmap):
        return self.uri(self.one(MT_COSTMAP, accepts=MT_COSTMAPFILTER, uses=netmap))

    def networkmap_uri(self, netmap):
        r = self.resources[netmap]
        assert r["media-type"] == MT_NETWORKMAP and "accepts" not in r, r
        return r["uri"]

    def filtered_networkmap_uri(self, netmap):
        return self.uri(self.one(MT_NETWORKMAP, accepts=MT_NETWORKMAPFILTER, uses=netmap))

    def endpointprop_uri(self):
        return self.uri(self.one(MT_ENDPOINTPROP, accepts=MT_ENDPOINTPROPPARAMS))

    def endpointcost_uri(self, netmap):
        # endpoint cost resources have no "uses" (RFC 7285 §11.5.1.5): the
        # resource id names the network map
        rid = "%s-endpoint-cost" % netmap
        r = self.resources[rid]
        assert r["media-type"] == MT_ENDPOINTCOST and r.get("accepts") == MT_ENDPOINTCOSTPARAMS, r
        return r["uri"]


def cost_type(metric, mode):
    return {"cost-metric": metric, "cost-mode": mode}


def drop_empty(d):
    """Drops members whose value is an empty object (a source PID with no
    remaining destination, a PID with no address of the requested types):
    RFC 7285 neither requires nor forbids them."""
    return {k: v for k, v in d.items() if v != {}}


class AltodTestCase(unittest.TestCase):
    maxDiff = 4000

    def assertAltoError(self, r, code, field=None, value=None, has_value=None):
        """A 400 application/alto-error+json with meta.code == code, and,
        when given, field and value exactly. has_value=True requires a value
        (the given one); has_value=None and value=None accept any or none."""
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.content_type, MT_ERROR, r)
        doc = r.json()
        self.assertEqual(set(doc), {"meta"}, doc)
        meta = doc["meta"]
        self.assertEqual(meta.get("code"), code, doc)
        if code == "E_SYNTAX":
            self.assertNotIn("field", meta, doc)
            self.assertIsInstance(meta.get("syntax-error"), str, doc)
            self.assertTrue(meta["syntax-error"], doc)
            self.assertLessEqual(set(meta), {"code", "syntax-error"}, doc)
            return meta
        self.assertEqual(meta.get("field"), field, doc)
        self.assertLessEqual(set(meta), {"code", "field", "value"}, doc)
        if value is not None:
            self.assertEqual(meta.get("value"), value, doc)
        elif has_value is False:
            self.assertNotIn("value", meta, doc)
        if "value" in meta:
            self.assertIsInstance(meta["value"], str, doc)
        return meta

    def assertOk(self, r, media_type):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, media_type, r)
        return r.json()

"""Helpers for altod's integration tests.

Every test runs the real altod binary (ALTOD_BIN) on an ephemeral loopback
port (``port: 0``), learns the port from altod's log line
``listening on http://127.0.0.1:PORT/`` and waits for the ``ready:`` line.
Only the Python standard library is used.

Environment:
    ALTOD_BIN      the altod binary (default: $ALTOD_SRC/build/altod)
    ALTOD_SRC      the repository root (default: two folders above this file)
    ALTOD_WRAPPER  a command that altod runs under (split like a shell
                   would) in every Altod, check_config, run_altod_expect_exit
                   and run_bin, e.g. "valgrind --error-exitcode=99
                   --leak-check=full --errors-for-leak-kinds=definite
                   --track-fds=no -q". When set, or when altod is a
                   sanitizer build, the start, stop, reload and I/O
                   timeouts are SLOWDOWN (10) times longer; under
                   valgrind, an altod whose run ends with valgrind errors
                   (exit code 99, "ERROR SUMMARY: N" with N > 0 or definitely
                   lost bytes on stderr) fails the test that stops it, and
                   the test process exits non-zero even when the failure
                   came from a class cleanup that unittest swallows. The
                   wrapper must run altod in its own process (valgrind
                   does) or pass signals on: SIGHUP and SIGTERM go to it.
"""

import http.client
import atexit
import shlex
import sys
import json
import os
import re
import select
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

WRAPPER = shlex.split(os.environ.get("ALTOD_WRAPPER", ""))
UNDER_VALGRIND = any(os.path.basename(w).startswith("valgrind") for w in WRAPPER[:1])
VALGRIND_ERROR_EXITCODE = 99  # what --error-exitcode= says (read from WRAPPER if given)
for _w in WRAPPER:
    if _w.startswith("--error-exitcode="):
        VALGRIND_ERROR_EXITCODE = int(_w.split("=", 1)[1])


def sanitizer_of_binary(path=None):
    """'asan' or 'tsan' when the altod binary was built with that sanitizer
    (its runtime's init symbol is in the binary), else None."""
    try:
        with open(path or BIN, "rb") as f:
            data = f.read()
    except OSError:
        return None
    for name in ("tsan", "asan"):
        if b"__%s_init" % name.encode() in data:
            return name
    return None


# every timeout below is this many times longer under a wrapper (valgrind)
# or for a sanitizer build (TSan loads 300,000 prefixes in 13 s where the
# plain build takes 1 s): they are liveness bounds, never what a test checks
SLOWDOWN = 10 if WRAPPER or sanitizer_of_binary() else 1

START_TIMEOUT = 20.0 * SLOWDOWN   # seconds to wait for "ready:"
STOP_TIMEOUT = 10.0 * SLOWDOWN    # seconds to wait after SIGTERM before SIGKILL
IO_TIMEOUT = 10.0 * SLOWDOWN      # socket timeout of every request
LOG_TIMEOUT = 10.0 * SLOWDOWN     # default wait for a log line / a reload's outcome

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
MT_TIPS = "application/alto-tips+json"
MT_TIPSPARAMS = "application/alto-tipsparams+json"
MT_MERGE_PATCH = "application/merge-patch+json"
MT_JSON_PATCH = "application/json-patch+json"
# RFC 8895 (update streams, SSE)
MT_EVENTSTREAM = "text/event-stream"
MT_UPDATESTREAMPARAMS = "application/alto-updatestreamparams+json"
MT_UPDATESTREAMCONTROL = "application/alto-updatestreamcontrol+json"
MT_MERGEPATCH = "application/merge-patch+json"
MT_JSONPATCH = "application/json-patch+json"

# the media type a POST resource answers with, by the media type it accepts
OUTPUT_OF_INPUT = {
    MT_NETWORKMAPFILTER: MT_NETWORKMAP,
    MT_COSTMAPFILTER: MT_COSTMAP,
    MT_ENDPOINTPROPPARAMS: MT_ENDPOINTPROP,
    MT_ENDPOINTCOSTPARAMS: MT_ENDPOINTCOST,
    MT_TIPSPARAMS: MT_TIPS,
}

EXAMPLE_NETMAP = "my-default-network-map"

_RUNNING = set()  # every Altod started and not yet stopped
_WRAPPER_FAILURES = []  # valgrind verdicts against altod runs, for the exit hook

_VALGRIND_BAD = re.compile(r"ERROR SUMMARY: [1-9]|definitely lost: [1-9]|are definitely lost|"
                           r"^==\d+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|"
                           r"Syscall param|Mismatched free|Source and destination overlap|Process terminating)",
                           re.M)


# registered before _stop_leftovers, so it runs after it (atexit is LIFO)
@atexit.register
def _report_wrapper_failures():
    """A class-level altod is stopped in tearDownClass through a throw-away
    TestCase's doCleanups(), which swallows exceptions: a valgrind verdict
    must still fail the run, loudly."""
    if not _WRAPPER_FAILURES:
        return
    sys.stdout.flush()
    sys.stderr.write("\n" + "=" * 70 + "\nALTOD_WRAPPER: %d altod run(s) failed under %s:\n\n%s\n" % (
        len(_WRAPPER_FAILURES), WRAPPER[0], "\n\n".join(_WRAPPER_FAILURES)) + "=" * 70 + "\n")
    sys.stderr.flush()
    os._exit(VALGRIND_ERROR_EXITCODE)


def skip_under_wrapper(reason):
    """Skips a test (or class) when altod runs under ALTOD_WRAPPER: only for
    tests whose timing valgrind's slowness makes meaningless."""
    return unittest.skipIf(bool(WRAPPER), "under ALTOD_WRAPPER: " + reason)


def skip_under_sanitizer(reason):
    """Skips a test (or class) when altod is a sanitizer build: only for
    tests of memory figures, which the sanitizer's own shadow memory and
    quarantine make altod's no longer."""
    san = sanitizer_of_binary()
    return unittest.skipIf(san is not None, "altod built with %s: %s" % (san, reason))


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


def valgrind_verdict(what, returncode, err, killed=False):
    """Under valgrind: why the altod run `what` (that exited with `returncode`
    and wrote `err` on stderr) failed its memcheck, recorded for the exit hook
    and raised as an AssertionError; nothing when it passed or when altod does
    not run under valgrind."""
    if not UNDER_VALGRIND or returncode is None:
        return
    why = []
    if returncode == VALGRIND_ERROR_EXITCODE:
        why.append("exit code %d (valgrind --error-exitcode)" % VALGRIND_ERROR_EXITCODE)
    if _VALGRIND_BAD.search(err):
        why.append("valgrind reported errors or definite leaks")
    if killed:
        why.append("altod did not stop within %ss of SIGTERM and was killed: no valgrind verdict"
                   % STOP_TIMEOUT)
    if not why:
        return
    vg = "\n".join(ln for ln in err.splitlines() if re.match(r"^==\d+==", ln)) or err
    msg = "altod (%s) under %s: %s\n%s" % (what, " ".join(WRAPPER), "; ".join(why), vg[-20000:])
    _WRAPPER_FAILURES.append(msg)
    raise AssertionError(msg)


def run_bin(args, timeout=30, **kwargs):
    """subprocess.run() of `altod ARGS` (under ALTOD_WRAPPER, with the
    timeout SLOWDOWN times longer) for a run that ends by itself; stderr is
    captured (bytes) unless given, and under valgrind gets its verdict.
    Returns the CompletedProcess."""
    kwargs.setdefault("stderr", subprocess.PIPE)
    p = subprocess.run(WRAPPER + [BIN] + list(args), timeout=timeout * SLOWDOWN, **kwargs)
    if kwargs["stderr"] == subprocess.PIPE:
        valgrind_verdict(" ".join(args), p.returncode, p.stderr.decode("utf-8", "replace"))
    return p


def check_config(conf_path, timeout=30):
    """Runs `altod -t -c FILE`: returns (exit code, stdout)."""
    p = run_bin(["-t", "-c", conf_path], stdout=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def run_altod_expect_exit(conf_path, timeout=15):
    """Runs altod (no -t) expecting it to exit by itself: (code, stderr)."""
    p = subprocess.Popen(WRAPPER + [BIN, "-c", conf_path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        _, err = p.communicate(timeout=timeout * SLOWDOWN)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        raise AssertionError("altod did not exit within %ss; stderr:\n%s"
                             % (timeout * SLOWDOWN, err.decode("utf-8", "replace")))
    err = err.decode("utf-8", "replace")
    valgrind_verdict(conf_path, p.returncode, err)
    return p.returncode, err


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

    def __init__(self, directory, conf_name="altod.yaml", env=None, args=(), preexec_fn=None):
        self.dir = directory
        self.conf = os.path.join(directory, conf_name)
        self.env = env          # extra environment variables (dict) or None
        self.args = list(args)  # extra command line arguments
        self.preexec_fn = preexec_fn  # run in the child before exec (rlimits, uid)
        self.proc = None
        self.killed = False     # stop() had to SIGKILL it
        self.verdict_error = None  # under valgrind: why this run failed
        self._verdict_done = False
        self.port = None
        self.host = "127.0.0.1"
        self.scheme = "http"
        self.ssl_context = None  # for an https first listener
        self.listeners = []      # (scheme, host, port) of every listening line
        self.stderr_lines = []
        self._crash_reported = False
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
        self.proc = subprocess.Popen(WRAPPER + [BIN, "-c", self.conf] + self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                     preexec_fn=self.preexec_fn)
        _RUNNING.add(self)
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready.is_set():
            if self._eof.is_set() or self.proc.poll() is not None:
                self._eof.wait(2 * SLOWDOWN)
                code = self.proc.wait(5 * SLOWDOWN)
                _RUNNING.discard(self)
                self._wrapper_verdict()
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

    def wait_for_log(self, pattern, after=0, timeout=None):
        """Waits until a stderr line (from index `after` on) matches the
        regex `pattern`; returns that line, or fails with the stderr."""
        rx = re.compile(pattern)
        if timeout is None:
            timeout = LOG_TIMEOUT
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

    def reload(self, expect="ok", timeout=None):
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
            self._thread.join(5 * SLOWDOWN)
        self._wrapper_verdict()
        return code

    def expect_exit(self):
        """Starts altod expecting it to exit by itself before it is ready
        (a start that must fail); returns its exit code. Under valgrind the
        run gets its verdict like any other."""
        try:
            self.start()
        except AssertionError:
            if self.proc is None or self.proc.poll() is None or self.verdict_error:
                raise
            return self.proc.returncode
        self.stop()
        raise AssertionError("altod started, expected it to exit; stderr:\n" + self.stderr())

    def _wrapper_verdict(self):
        """Under valgrind: fails (and records for the exit hook) a run with
        memory errors or definite leaks, or one that had to be killed."""
        if not UNDER_VALGRIND or self._verdict_done or self.proc is None or self.proc.returncode is None:
            return
        self._verdict_done = True
        if self._thread is not None:
            self._thread.join(5 * SLOWDOWN)
        try:
            valgrind_verdict(self.conf, self.proc.returncode, self.stderr(), self.killed)
        except AssertionError as e:
            self.verdict_error = str(e)
            raise

    def client(self, index=0, ssl_context=None):
        """A Client for the index-th listener (in the order they were logged)."""
        scheme, host, port = self.listeners[index]
        return Client(host, port, scheme, ssl_context)

    def stop(self):
        """SIGTERM, then SIGKILL if it lingers. Returns the exit code.
        A process that died of a signal (SIGABRT from a libmicrohttpd panic,
        SIGSEGV) fails the test, with its stderr."""
        if self.proc is None:
            return None
        _RUNNING.discard(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.proc.kill()
                self.proc.wait(5)
        if self._thread is not None:
            self._thread.join(5 * SLOWDOWN)
        self._wrapper_verdict()
        code = self.proc.returncode
        if code < 0 and not self.killed and not self._crash_reported:
            self._crash_reported = True
            why = "altod %s ended by %s" % (self.conf, signal.Signals(-code).name)
            show_stderr(why, self.stderr())
            raise AssertionError("%s; stderr:\n%s" % (why, self.stderr()))
        return code

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

    def raw(self, data, timeout=None, wait_close=True):
        """Sends exact bytes, reads until the server closes (or `timeout`
        seconds without data: by default 5 s, SLOWDOWN times longer, for
        altod under ALTOD_WRAPPER may take longer than 5 s to answer at
        all) and returns everything received."""
        s = socket.create_connection((self.host, self.port), timeout=IO_TIMEOUT)
        try:
            s.sendall(data)
            return recv_all(s, 5.0 * SLOWDOWN if timeout is None else timeout)
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
        elif acc == MT_TIPSPARAMS:
            # opening a TIPS view answers with a URI naming the host the
            # client reached (RFC 9569 §6.2): not comparable across
            # servers; test_tips.py covers it
            continue
        elif acc == MT_UPDATESTREAMPARAMS:
            continue  # a stream, not an answer (test_sse.py)
        else:
            raise AssertionError("unknown accepts %r of %s" % (acc, rid))
    return [(label, m, uri, json.dumps(body).encode() if body is not None else None, ct)
            for label, m, uri, body, ct in out]


URI_BASE = re.compile(rb'"uri":"https?://[^/"]*')


def without_uri_base(body):
    """A directory's bytes with its URIs' scheme and authority taken out:
    what two listeners (HTTP and HTTPS, or two ports) must agree on."""
    return URI_BASE.sub(b'"uri":"', body)


def without_uri_bases(answers):
    """fetch_all's answers, the directory's URIs without their base."""
    return {k: (s, ct, without_uri_base(b) if ct == MT_DIRECTORY else b) for k, (s, ct, b) in answers.items()}


def fetch_all(client, requests, conn=None, host=None):
    """{label: (status, content type, body bytes)} of every request (with
    this Host header, if given: the directory's URIs are built from it)."""
    res = {}
    for label, method, uri, body, ctype in requests:
        headers = {"Content-Type": ctype} if ctype else {}
        if host:
            headers["Host"] = host
        r = client.request(method, uri, body=body, headers=headers, conn=conn)
        res[label] = (r.status, r.content_type, r.body)
    return res


def begin_post(a, uri, content_type, body_len, timeout=IO_TIMEOUT):
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


def recv_answer(s, first_timeout=IO_TIMEOUT, idle_timeout=2.0 * SLOWDOWN):
    """Waits up to `first_timeout` (a liveness bound, not a speed check) for
    the first bytes of an answer, then reads until EOF or `idle_timeout`
    without data. b"" if nothing came at all."""
    if not select.select([s], [], [], first_timeout)[0]:
        return b""
    return recv_all(s, idle_timeout)


def recv_responses(s, count, head=(), timeout=IO_TIMEOUT):
    """Reads exactly `count` HTTP responses from socket `s` (parsing
    Content-Length / chunked framing). `head` holds the indices of responses
    to HEAD requests (no body). Returns (responses, leftover bytes). The
    default `timeout` is a liveness bound (IO_TIMEOUT, SLOWDOWN times
    longer under ALTOD_WRAPPER): it ends as soon as `count` are in."""
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


def show_stderr(why, text):
    """Writes an altod's stderr to the test run's stderr (ctest
    --output-on-failure shows it), under a banner saying why."""
    sys.stderr.write("\n" + "-" * 70 + "\n%s; its stderr:\n%s\n" % (why, text) + "-" * 70 + "\n")
    sys.stderr.flush()


def _test_failed(testcase):
    """Has the running test failed so far (asked from its cleanups)? While
    a test and its cleanups run, unittest keeps its result in
    testcase._outcome.result, where a failure is recorded at once."""
    result = getattr(getattr(testcase, "_outcome", None), "result", None)
    return any(t is testcase for t, _ in getattr(result, "failures", []) + getattr(result, "errors", []))


def _stop_and_report(testcase, a):
    """A test's cleanup: stops altod and, when the test failed, shows what
    altod wrote (a failed assertion on a response says nothing of it)."""
    try:
        a.stop()
    finally:
        if _test_failed(testcase) and not a._crash_reported:
            show_stderr("%s failed: altod %s" % (testcase.id(), a.conf), a.stderr())


HAPROXY = "/usr/sbin/haproxy"


def free_port():
    """A loopback TCP port nothing listens on (for a helper that cannot
    take port 0)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """A program a test runs beside altod (HAProxy, Prometheus): its
    configuration checked first, then run in the foreground with its
    output kept (log()) for failure messages, waited for, stopped."""

    def __init__(self):
        self.proc = None
        self.lines = []
        self._thread = None

    def run(self, check, argv, ready, what, timeout):
        """Runs check (a command that must succeed), then argv, and waits
        until ready() is true (an OSError counts as not yet); fails, with
        the output, if it exits or is not ready in time. `what` says what
        ready() waits for."""
        name = os.path.basename(argv[0])
        if not os.access(argv[0], os.X_OK):
            raise AssertionError("%s is not installed (the project's deps script installs %s)" % (argv[0], name))
        p = subprocess.run(check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if p.returncode != 0:
            raise AssertionError("%s: %s" % (" ".join(os.path.basename(check[0]).split() + check[1:2]),
                                             p.stdout.decode("utf-8", "replace")))
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited (%s):\n%s" % (name, self.proc.returncode, self.log()))
            try:
                if ready():
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("%s not %s after %ss\n%s" % (name, what, timeout, self.log()))
            time.sleep(0.05)

    def _drain(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        self.proc.stdout.close()

    def log(self):
        return "\n".join(self.lines)

    def stop(self, timeout=10):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._thread is not None:
            self._thread.join(5)


class Haproxy(Daemon):
    """A real HAProxy on a configuration (text, written into directory as
    haproxy.cfg, with {stats} replaced by the path of its admin socket)."""

    def __init__(self, directory, config):
        super().__init__()
        self.dir = directory
        self.stats = os.path.join(directory, "haproxy.sock")
        self.cfg = os.path.join(directory, "haproxy.cfg")
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(config.replace("{stats}", self.stats))

    def start(self, ready, what, timeout=10.0):
        """Checks the configuration (haproxy -c), starts it, waits until
        ready() (see Daemon.run)."""
        return self.run([HAPROXY, "-c", "-f", self.cfg], [HAPROXY, "-db", "-f", self.cfg], ready, what, timeout)

    def command(self, cmd):
        """One command on the admin socket ({stats}); its answer."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(self.stats)
            s.sendall(cmd.encode() + b"\n")
            return recv_all(s, 5).decode()
        finally:
            s.close()

    def stat(self):
        """`show stat`: one {column: value} per proxy and server."""
        lines = [ln for ln in self.command("show stat").splitlines() if ln.strip()]
        head = lines[0].lstrip("# ").split(",") if lines else []
        return [dict(zip(head, ln.split(","))) for ln in lines[1:]]


def listening(*ports):
    """True once every loopback port accepts a connection."""
    for port in ports:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    return True


def start_altod(testcase, maps_files=None, limits=None, listen=(("127.0.0.1", 0),),
                directory=None, extra_config="", preexec_fn=None):
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
    a = Altod(directory, preexec_fn=preexec_fn)
    testcase.addCleanup(_stop_and_report, testcase, a)
    a.start()
    return a


def start_altod_in(testcase, directory, conf_name="altod.yaml", env=None, args=(), preexec_fn=None):
    """Starts altod on DIRECTORY/CONF_NAME (already written) and registers
    its stop."""
    a = Altod(directory, conf_name, env=env, args=args, preexec_fn=preexec_fn)
    testcase.addCleanup(_stop_and_report, testcase, a)
    a.start()
    return a


def class_holder(cls):
    """A TestCase to register a whole class's cleanups on (start_altod,
    make_tree, ...), from setUpClass: they run as a class cleanup, after
    tearDownClass, or at once when setUpClass fails (unittest runs class
    cleanups then too)."""
    holder = unittest.TestCase()
    cls.addClassCleanup(holder.doCleanups)
    return holder


def start_class_altod(cls, *args, **kw):
    """start_altod() for a whole test class (from setUpClass); stopped by
    a class cleanup (cls._holder, see class_holder)."""
    cls._holder = class_holder(cls)
    return start_altod(cls._holder, *args, **kw)


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


# ---- reliability helpers (test_limits, test_faults, tests/bench/soak) ----

def big_maps_text(n_prefixes, netmap="big", n_pids=100):
    """A maps file whose network map is large: `n_prefixes` IPv6 /128
    prefixes spread over `n_pids` PIDs (each about 45 bytes in the JSON
    answer, so 100,000 prefixes give a GET body of about 4.5 MB), plus a
    catch-all PID. Deterministic."""
    lines = ["network-maps:", "  %s:" % netmap, "    default: true", "    pids:",
             '      catchall: {ipv4: [0.0.0.0/0], ipv6: ["::/0"]}']
    per = max(1, n_prefixes // n_pids)
    for p in range(n_pids):
        pre = ['"2001:db8:aaaa:bbbb:cccc:%x:%x:%x/128"' % (0x1000 + p, 0x1000 + (i >> 12), 0x1000 + (i & 0xfff))
               for i in range(per)]
        lines.append("      pid%03d: {ipv6: [%s]}" % (p, ", ".join(pre)))
    return "\n".join(lines) + "\n"


_TCP_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1",
               "05": "FIN_WAIT2", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT",
               "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING"}


def server_side_state(sock):
    """The TCP state of the server's end of the loopback connection `sock`
    (from /proc/net/tcp): "ESTABLISHED" while altod holds it open,
    "FIN_WAIT1" etc. once altod has shut it down or closed it, None when it
    is gone. Lets a test see altod close a connection whose data the client
    has not read (reading would be progress)."""
    mine = sock.getsockname()[1]
    theirs = sock.getpeername()[1]
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    lport = int(parts[1].rsplit(":", 1)[1], 16)
                    rport = int(parts[2].rsplit(":", 1)[1], 16)
                    if lport == theirs and rport == mine:
                        return _TCP_STATES.get(parts[3].upper(), parts[3])
        except OSError:
            continue
    return None


def listening_ports(pid):
    """{(family, address, port)} of the TCP sockets process `pid` listens
    on ("tcp" or "tcp6", as /proc/net names them; the address in /proc's
    hex), from its descriptors and /proc/net/tcp{,6}: what it listens on,
    whatever else another process binds meanwhile."""
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            link = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    out = set()
    for table in ("tcp", "tcp6"):
        with open("/proc/net/" + table) as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[3] == "0A" and parts[9] in inodes:  # LISTEN
                    addr, port = parts[1].rsplit(":", 1)
                    out.add((table, addr, int(port, 16)))
    return out


def wait_server_closed(sock, timeout):
    """Waits until altod's end of `sock` is no longer ESTABLISHED; returns
    the seconds waited, or None after `timeout`."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if server_side_state(sock) != "ESTABLISHED":
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


def connection_closed(sock, timeout):
    """True when the peer closes `sock` (EOF or reset) within `timeout`
    seconds with nothing sent; raises AssertionError if bytes arrive;
    False on timeout."""
    sock.settimeout(timeout)
    try:
        data = sock.recv(65536)
    except socket.timeout:
        return False
    except (ConnectionResetError, ConnectionAbortedError):
        return True
    if data:
        raise AssertionError("expected the connection to be closed, got %r" % data[:300])
    return True


class Prober:
    """A client asking altod over and over in a background thread while a
    test misbehaves on other connections: GET / and a filtered network map
    POST, alternately, on one keep-alive connection (and every
    `fresh_every`-th request on a new connection). Each answer must equal
    the first one (status, Content-Type, body) — nothing is reloaded
    meanwhile. Tests assert by order, never by speed: `answers` counts the
    correct answers, wait_answers() blocks until there are that many, and
    answers_while_open() counts those given while altod provably held
    another connection open. Latencies are kept for summary() only (a
    diagnosis aid: how fast a machine is is no test outcome).

        p = Prober(altod).start(); ...misbehave...; p.stop()
        p.count, p.answers, p.failures, p.keepalive_breaks
    """

    def __init__(self, target, fresh_every=5, pause=0.0, requests=None):
        self.target = target  # an Altod or a Client
        self.fresh_every = fresh_every
        self.pause = pause
        if requests is None:
            ird = target.ird()
            uri = ird.filtered_networkmap_uri(ird.default_network_map())
            requests = [("GET", "/", None, None),
                        ("POST", uri, json.dumps({"pids": ["PID1", "PID2"]}).encode(), MT_NETWORKMAPFILTER)]
        self.requests = requests
        self.expected = {}
        for i, (m, uri, body, ct) in enumerate(requests):
            r = target.request(m, uri, body=body, headers={"Content-Type": ct} if ct else None)
            if r.status != 200:
                raise AssertionError("prober request %s %s: %r" % (m, uri, r))
            self.expected[i] = (r.status, r.content_type, r.body)
        self.latencies = []
        self.answers = 0  # requests answered exactly as expected
        self.failures = []
        self.keepalive_breaks = 0  # the kept-alive connection was closed under us
        self._progress = threading.Condition()
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        conn = self.target.connect()
        n = 0
        try:
            while not self._stop.is_set():
                i = n % len(self.requests)
                m, uri, body, ct = self.requests[i]
                fresh = self.fresh_every and n % self.fresh_every == self.fresh_every - 1
                t0 = time.monotonic()
                try:
                    r = self.target.request(m, uri, body=body, headers={"Content-Type": ct} if ct else None,
                                            conn=None if fresh else conn)
                    got = (r.status, r.content_type, r.body)
                    ok = got == self.expected[i]
                    if not ok:
                        self.failures.append("%s %s: %r" % (m, uri, r))
                except (OSError, http.client.HTTPException) as e:
                    ok = False
                    self.failures.append("%s %s: %r" % (m, uri, e))
                    if not fresh:
                        self.keepalive_breaks += 1
                        conn.close()
                        conn = self.target.connect()
                with self._progress:
                    self.latencies.append(time.monotonic() - t0)
                    if ok:
                        self.answers += 1
                    self._progress.notify_all()
                n += 1
                if self.pause:
                    self._stop.wait(self.pause)
        finally:
            conn.close()

    def stop(self, min_answers=0):
        """Stops after at least `min_answers` correct answers in all (a
        liveness bound, LOG_TIMEOUT, stops a hung wait; failing to reach
        it shows as too few answers in the test's own assertion)."""
        if min_answers:
            self.wait_answers(min_answers)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(IO_TIMEOUT + 5)
        return self

    @property
    def count(self):
        return len(self.latencies)

    def wait_answers(self, n, timeout=None):
        """Blocks until `n` correct answers in all (or a failure, or
        `timeout`, LOG_TIMEOUT by default); True if there are n."""
        with self._progress:
            return self._progress.wait_for(lambda: self.answers >= n or self.failures,
                                           LOG_TIMEOUT if timeout is None else timeout) and self.answers >= n

    def answers_while_open(self, sock, want, timeout=None):
        """Watches the loopback connection `sock` (to altod, opened before
        this call) until `want` more correct answers came, or altod no
        longer holds `sock` open (its end is not ESTABLISHED), or
        `timeout` (a liveness bound). Returns how many correct answers came
        while altod provably held `sock` open: each sample reads the count
        first and the connection's state second, so every answer counted
        was complete before altod let go of `sock`."""
        start = self.answers
        held = 0
        deadline = time.monotonic() + (LOG_TIMEOUT if timeout is None else timeout)
        while time.monotonic() < deadline:
            c = self.answers
            if server_side_state(sock) != "ESTABLISHED":
                break
            held = c - start
            if held >= want or self.failures:
                break
            with self._progress:
                self._progress.wait(0.02)
        return held

    def summary(self):
        lat = sorted(self.latencies)
        return "%d requests, max %.3fs, median %.4fs, %d failures %r, %d keep-alive breaks" % (
            len(lat), lat[-1] if lat else -1, lat[len(lat) // 2] if lat else -1, len(self.failures),
            self.failures[:5], self.keepalive_breaks)

# ---- RFC 7285's example maps in two files (network map, cost maps), and a
# second version of the network map (198.51.100.0/25 moved from PID1 to
# PID2), for the reload and fault tests ----

RFC_NET_A = """\
network-maps:
  net1:
    default: true
    pids:
      PID1:
        ipv4: [192.0.2.0/24, 198.51.100.0/25]
      PID2:
        ipv4: [198.51.100.128/25]
      PID3:
        ipv4: [0.0.0.0/0]
        ipv6: ["::/0"]
"""
RFC_COSTS_A = """\
cost-maps:
  net1:
    routingcost:
      PID1: {PID1: 1, PID2: 5, PID3: 10}
      PID2: {PID1: 5, PID2: 1, PID3: 15}
      PID3: {PID1: 20, PID2: 15}
    hopcount:
      PID1: {PID1: 0, PID2: 2, PID3: 3}
      PID2: {PID1: 2, PID2: 0, PID3: 4}
      PID3: {PID1: 3, PID2: 4}
"""
RFC_NET_B = RFC_NET_A.replace("ipv4: [192.0.2.0/24, 198.51.100.0/25]", "ipv4: [192.0.2.0/24]").replace(
    "ipv4: [198.51.100.128/25]", "ipv4: [198.51.100.0/25, 198.51.100.128/25]")

"""Concurrency stress: every kind of client at once while altod reloads.

One altod with an `access` section, an HTTP and an HTTPS listener (client
certificates optional), 4 worker threads per listener, and at the same time:

- anonymous clients (HTTP and HTTPS) asking for their catalog, with and
  without If-None-Match, and for a resource outside it (a 401 challenge);
- TLS handshakes on the HTTPS listener (the first one) from the moment it is
  logged until altod is ready, while the HTTP listener is being set up;
- a certificate client on a kept-alive connection, and one that makes a new
  TLS handshake for every request;
- Digest clients (SHA-256 and MD5) over HTTPS, and over the plain HTTP
  listener, which allows Digest in clear (CLEAR_AUTH);
- a password guesser from another loopback address (127.0.0.2), against a
  client nobody else uses: only ever 401 or 429;
- a reload every RELOAD_EVERY seconds (each waits for the previous one's
  outcome) that swaps the maps (a PID's prefix moves) and the server
  certificate (so every reload replaces the listener's TLS state), and a
  SIGUSR1 every USR1_EVERY-th reload.

Passes when every answer is one that request may get (200, 304 only to an
If-None-Match, 401 with a Digest challenge only where no identity was
proved, 429 with Retry-After), every GET answer for a client is one of the
two map versions, every reload succeeded, altod exits with status 0 at
SIGTERM, and (under ThreadSanitizer) it printed no report.

Made for the ThreadSanitizer tree (.ci/run: ALTOD_STRESS=1 against
build-tsan/altod); in the normal test suite it runs for QUICK_SECONDS.

Environment:
    ALTOD_STRESS=1          run for ALTOD_STRESS_SECONDS (default 25) s
    ALTOD_STRESS_SECONDS    the run's length (with or without ALTOD_STRESS)
"""

import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import tempfile
import threading
import time
import traceback
import unittest

import altodtest as at
import isoutil as iu
import tlsutil

# The listener key that allows Digest and Basic on a plain-HTTP listener
# (issue 10: only TLS listeners take them otherwise). Used when this altod
# knows it (probed with `altod -t`); else Digest runs over HTTPS only.
CLEAR_AUTH = "clear-digest: true"

QUICK_SECONDS = 3.0
STRESS = os.environ.get("ALTOD_STRESS") == "1"
SECONDS = float(os.environ.get("ALTOD_STRESS_SECONDS") or (25.0 if STRESS else QUICK_SECONDS))
RELOAD_EVERY = 0.2
USR1_EVERY = 5
THREADS = 4  # altod's worker threads per listener: more than the 2 cores, for interleavings
REQUEST_TIMEOUT = 2  # seconds: the watchdog cuts the slow client's half requests
BROKEN_EVERY = 7  # every BROKEN_EVERY-th reload reads a broken maps file (and must fail)
DIGEST_ATTEMPTS = 8  # answers to fresh challenges before a request counts as refused

# halt_on_error=0: every report, not just the first; exitcode=66: altod's exit
# status when there was one (the test also looks for them on stderr)
TSAN_OPTIONS = "halt_on_error=0 exitcode=66 report_signal_unsafe=0 second_deadlock_stack=1"

SECRET = "tsan stress: a secret of 32 characters or more"
PW = {"tenant-b": "b-password", "tenant-c": "c-password", "tenant-x": "x-password"}
NM = "net1"
FULL = [NM, NM + "-filtered-networkmap", NM + "-num-routingcost", NM + "-ord-routingcost",
        NM + "-num-hopcount", NM + "-ord-hopcount", NM + "-filtered-costmap", NM + "-endpoint-cost",
        "endpoint-property"]
OUTSIDE_ANONYMOUS = "/costmap/%s/routingcost/numerical" % NM  # a 401 challenge for anonymous clients


def access_section():
    clients = {
        "tenant-a": {"certificate": {"subject": "CN=tenant-a"}, "roles": ["full"]},
        "tenant-b": {"password": iu.password_entry("tenant-b", PW["tenant-b"]), "roles": ["full"]},
        "tenant-c": {"password": iu.password_entry("tenant-c", PW["tenant-c"]), "roles": ["p2p"]},
        "tenant-x": {"password": iu.password_entry("tenant-x", PW["tenant-x"]), "roles": ["full"]},
    }
    views = {
        "p2p-view": {"network-map": NM, "pids": ["PID1", "PID2"], "catch-all": "elsewhere",
                     "costs": {"routingcost": ["ordinal"]}, "opaque-pids": True},
        "public-view": {"network-map": NM, "pids": ["PID3"], "costs": {}},
    }
    return iu.access_yaml(secret=SECRET, clients=clients,
                          roles={"full": FULL, "p2p": ["p2p-view"], "public": ["public-view"]},
                          views=views, anonymous_role="public", extra={"rate": 100000, "burst": 100000})


def config():
    # HTTPS first: its worker threads run (and may handshake) while the
    # HTTP listener is still being set up
    lines = ["server:", "  threads: %d" % THREADS, "  listen:",
             "    - address: 127.0.0.1", "      port: 0", "      tls:",
             "        certificate: tls/cur.pem", "        key: tls/cur.key",
             "        client-ca: tls/ca.pem", "        client-auth: optional",
             "    - address: 127.0.0.1", "      port: 0"]
    lines.append("      " + CLEAR_AUTH)
    lines += ["limits:", "  max-endpoints: 10000", "  request-timeout: %d" % REQUEST_TIMEOUT,
              "maps:", "  - maps/net.yaml"]
    return "\n".join(lines) + "\n" + access_section()


# ---------------------------------------------------------------- clients

RETRYABLE = (http.client.RemoteDisconnected, http.client.CannotSendRequest, http.client.ResponseNotReady,
             BrokenPipeError, ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError)


class Worker(threading.Thread):
    """One client identity sending `requests` round and round until `stop`.

    kind: "anonymous", "certificate", "digest" or "guesser". Every answer is
    checked against what this kind of client may get; what is wrong goes to
    self.failures (the thread never raises)."""

    def __init__(self, name, kind, host, port, scheme, requests, stop, ssl_context=None, auth=None,
                 fresh=False, source=None, denied=(), shutdown=None, offers_digest=True):
        super().__init__(name=name, daemon=True)
        self.kind = kind
        self.host, self.port, self.scheme = host, port, scheme
        self.ssl_context = ssl_context
        self.requests = requests  # (label, method, uri, body, content type); None: its directory's
        self.denied = set(denied)  # labels that must get a 401 challenge
        self.offers_digest = offers_digest  # the listener's 401s carry Digest challenges
        self.stop_event = stop
        self.shutdown = shutdown  # set once SIGTERM is sent: altod may close or refuse connections
        self.auth = auth  # iu.DigestAuth
        self.fresh = fresh  # a new connection for every request
        self.source = source
        self.conn = None
        self.failures = []
        self.status_counts = {}
        self.bodies = {}  # label -> set of sha256 of 200 bodies
        self.etags = {}  # label -> last ETag
        self.reconnects = 0
        self.digest_retries = 0
        self.challenge = None  # the last Digest challenge (any URI)
        self.challenges = {}  # (method, uri) -> the challenge last issued for it
        self.nc = {}  # nonce -> last nc sent

    def _connect(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=at.IO_TIMEOUT,
                                               context=self.ssl_context, source_address=self.source)
        return http.client.HTTPConnection(self.host, self.port, timeout=at.IO_TIMEOUT,
                                          source_address=self.source)

    def _close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def exchange(self, method, uri, body, headers):
        """One request and its answer. A connection the server closed is
        replaced: a kept-alive one may have idled out, and a reload that
        replaces the TLS state may end connections made before it (issue
        10's trust binding), a new one too if the reload came between its
        handshake and its request; two new connections in a row must not
        fail."""
        fresh_failures = 0
        while True:
            fresh = self.conn is None
            if fresh:
                self.conn = self._connect()
            try:
                self.conn.request(method, uri, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
            except RETRYABLE:
                self._close()
                fresh_failures += fresh
                if fresh_failures == 2:
                    raise
                self.reconnects += 1
                continue
            resp = at.Response(r.status, r.reason, r.getheaders(), data)
            if r.will_close or self.fresh:
                self._close()
            return resp

    def fail(self, label, what, resp=None):
        if len(self.failures) < 20:
            self.failures.append("%s %s: %s%s" % (self.name, label, what, " %r" % resp if resp else ""))

    def run(self):
        try:
            if self.requests is None:
                r = self.one(("directory", "GET", "/", None, None), False)
                if r is None or r.status != 200:
                    self.fail("directory", "no directory", r)
                    return
                self.requests = at.resource_requests(at.Ird(r.json()))
            n = 0
            while not self.stop_event.is_set():
                for req in self.requests:
                    if self.stop_event.is_set():
                        break
                    self.one(req, conditional=n % 2 == 1)
                n += 1
        except (OSError, http.client.HTTPException) as e:
            if self.shutdown is None or not self.shutdown.is_set():
                self.fail("-", "exception %r" % e)
                traceback.print_exc()
        except Exception as e:  # noqa: BLE001 -- reported by the test, never lost in a thread
            self.fail("-", "exception %r" % e)
            traceback.print_exc()
        finally:
            self._close()

    def one(self, req, conditional):
        label, method, uri, body, ctype = req
        headers = {"Content-Type": ctype} if ctype else {}
        if conditional and label in self.etags:
            headers["If-None-Match"] = self.etags[label]
        if self.kind == "guesser":
            ch = self.challenge
            if ch is not None:
                self.nc[ch["nonce"]] = self.nc.get(ch["nonce"], 0) + 1
                headers["Authorization"] = self.auth.authorization(method, uri, ch, self.nc[ch["nonce"]])
            r = self.exchange(method, uri, body, headers)
            self.count(r)
            if r.status == 401:
                self.challenge = self.check_challenge(label, r) or self.challenge
            elif r.status != 429 or not r.header("Retry-After"):
                self.fail(label, "a wrong password got", r)
            return
        if self.kind != "digest":
            r = self.exchange(method, uri, body, headers)
            self.count(r)
            if label in self.denied:
                if r.status == 401:
                    if self.offers_digest:
                        self.check_challenge(label, r)
                elif r.status != 429:
                    self.fail(label, "expected a 401 challenge", r)
                return
            self.check_served(label, r, "If-None-Match" in headers)
            return r
        for attempt in range(DIGEST_ATTEMPTS):
            ch = self.challenges.get((method, uri)) or self.challenge
            h = dict(headers)
            if ch is not None:
                self.nc[ch["nonce"]] = self.nc.get(ch["nonce"], 0) + 1
                h["Authorization"] = self.auth.authorization(method, uri, ch, self.nc[ch["nonce"]])
            r = self.exchange(method, uri, body, h)
            self.count(r)
            if r.status != 401:
                if ch is None:
                    # no challenge yet: served as anonymous; get one from a
                    # resource outside the anonymous catalog
                    if r.status not in (200, 304, 429):
                        self.fail(label, "without credentials", r)
                    r = self.exchange("GET", OUTSIDE_ANONYMOUS, None, {})
                    self.count(r)
                    if r.status == 401:
                        self.challenge = self.check_challenge(label, r)
                    elif r.status != 429:
                        self.fail(label, "expected a 401 challenge", r)
                    continue
                self.check_served(label, r, "If-None-Match" in headers)
                return r
            ch = self.check_challenge(label, r)
            if ch is None:
                return None
            if attempt:
                self.digest_retries += 1
            self.challenge = self.challenges[(method, uri)] = ch
        self.fail(label, "a Digest client never got in (%d answers to fresh challenges)" % DIGEST_ATTEMPTS)
        return None

    def count(self, r):
        self.status_counts[r.status] = self.status_counts.get(r.status, 0) + 1

    def check_challenge(self, label, r):
        """A 401 must carry a Digest challenge (the one of our algorithm)."""
        alg = self.auth.algorithm if self.auth else "SHA-256"
        ch = iu.digest_challenge(r, alg)
        if ch is None or not ch.get("nonce") or ch.get("qop") != "auth":
            self.fail(label, "401 without a usable %s challenge" % alg, r)
            return None
        return ch

    def check_served(self, label, r, conditional):
        if r.status == 200:
            ctype = r.content_type or ""
            if not ctype.startswith("application/alto-") or not ctype.endswith("+json"):
                self.fail(label, "200 with Content-Type %r" % ctype, r)
                return
            try:
                r.json()
            except ValueError as e:
                self.fail(label, "200 with a body that is not JSON (%s)" % e, r)
                return
            self.bodies.setdefault(label, set()).add(hashlib.sha256(r.body).hexdigest())
            if r.header("ETag"):
                self.etags[label] = r.header("ETag")
        elif r.status == 304:
            if not conditional:
                self.fail(label, "304 without If-None-Match", r)
        elif r.status == 429:
            if not r.header("Retry-After"):
                self.fail(label, "429 without Retry-After", r)
        else:
            self.fail(label, "status %d" % r.status, r)


class EarlyHandshakes(threading.Thread):
    """TLS handshakes with a client certificate on altod's first listener
    (HTTPS) from the moment it is logged until altod is ready: the TLS
    callbacks then run while the other listeners are still being set up.
    Whether a handshake completes is not the point (the ThreadSanitizer
    verdict is); they are counted."""

    def __init__(self, altod, context):
        super().__init__(name="early-handshakes", daemon=True)
        self.altod = altod
        self.context = context
        self.done = threading.Event()
        self.handshakes = 0

    def run(self):
        while not self.done.is_set() and not self.altod.listeners:
            self.done.wait(0.001)
        if self.done.is_set():
            return
        _, host, port = self.altod.listeners[0]
        while not self.done.is_set():
            try:
                with socket.create_connection((host, port), timeout=at.IO_TIMEOUT) as s:
                    with self.context.wrap_socket(s, server_hostname="localhost"):
                        self.handshakes += 1
            except OSError:
                pass

    def stop(self):
        self.done.set()
        self.join(at.IO_TIMEOUT + 5)


class SlowClient(threading.Thread):
    """Sends half a request and waits: the request-timeout watchdog must
    cut the connection (without an answer), again and again."""

    def __init__(self, host, port, stop, shutdown):
        super().__init__(name="slow", daemon=True)
        self.host, self.port = host, port
        self.stop_event = stop
        self.shutdown = shutdown
        self.cuts = 0
        self.failures = []
        self.status_counts = {}
        self.reconnects = self.digest_retries = 0
        self.kind = "slow"
        self.bodies = {}

    def run(self):
        while not self.stop_event.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=at.IO_TIMEOUT) as s:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n")
                    if at.connection_closed(s, at.IO_TIMEOUT):
                        self.cuts += 1
                    elif not self.stop_event.is_set():
                        self.failures.append("slow: not cut after %ss" % at.IO_TIMEOUT)
                        return
            except (OSError, AssertionError) as e:
                if not self.shutdown.is_set():
                    self.failures.append("slow: %r" % e)
                return


def directory_requests(fetch):
    """Every request of a client's directory (at.resource_requests), from
    `fetch()`, which returns that client's GET / answer."""
    r = fetch()
    if r.status != 200:
        raise AssertionError("GET / gave %r" % r)
    return at.resource_requests(at.Ird(r.json()))


# ---------------------------------------------------------------- the test

@at.skip_under_wrapper("a timing-bound concurrency stress; valgrind serializes the threads it is about")
class TsanStressTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls._pki_dir = tempfile.TemporaryDirectory(prefix="altodtest-pki-")
        cls.pki = tlsutil.make_pki(cls._pki_dir.name)

    @classmethod
    def tearDownClass(cls):
        cls._pki_dir.cleanup()

    def tree(self):
        d = at.make_tree(self, {
            "maps/net-a.yaml": at.RFC_NET_A + at.RFC_COSTS_A,
            "maps/net-b.yaml": at.RFC_NET_B + at.RFC_COSTS_A,
            "maps/net-broken.yaml": at.RFC_NET_B.replace("PID3:", "PID3: [") + at.RFC_COSTS_A,
        })
        os.makedirs(os.path.join(d, "tls"))
        for name in ("server", "server2"):
            for ext in ("pem", "key"):
                shutil.copy(os.path.join(self.pki.dir, "%s.%s" % (name, ext)), os.path.join(d, "tls"))
        shutil.copy(self.pki.ca_pem, os.path.join(d, "tls", "ca.pem"))
        self.swap(d, 0)
        with open(os.path.join(d, "altod.yaml"), "w", encoding="utf-8") as f:
            f.write(config())
        return d

    @staticmethod
    def swap(d, i, broken=False):
        """Version i % 2 of the maps (or the broken ones) and of the server
        certificate, each file replaced whole (altod never reads half a file)."""
        cert = ("server", "server2")[i % 2]
        maps = "broken" if broken else "ab"[i % 2]
        for src, dst in (("maps/net-%s.yaml" % maps, "maps/net.yaml"),
                         ("tls/%s.pem" % cert, "tls/cur.pem"), ("tls/%s.key" % cert, "tls/cur.key")):
            tmp = os.path.join(d, dst + ".tmp")
            shutil.copy(os.path.join(d, src), tmp)
            os.replace(tmp, os.path.join(d, dst))

    def test_stress(self):
        d = self.tree()
        a = at.Altod(d, env={"TSAN_OPTIONS": TSAN_OPTIONS})
        self.addCleanup(a.stop)
        cert_tls = self.pki_context("client")
        early = EarlyHandshakes(a, cert_tls)
        early.start()
        try:
            a.start()
        finally:
            early.stop()
        (_, sh, sp), (_, hh, hp) = a.listeners[0], a.listeners[1]
        self.assertEqual([s for s, _, _ in a.listeners], ["https", "http"])
        anon_tls = self.pki_context(None)
        http_client = at.Client(hh, hp)
        https_anon = at.Client(sh, sp, "https", anon_tls)
        https_cert = at.Client(sh, sp, "https", cert_tls)

        anon = directory_requests(lambda: http_client.get("/"))
        anon.append(("outside", "GET", OUTSIDE_ANONYMOUS, None, None))
        cert = directory_requests(lambda: https_cert.get("/"))
        self.assertGreater(len(cert), len(anon))

        stop = threading.Event()
        shutdown = threading.Event()
        workers = [
            Worker("anonymous-http", "anonymous", hh, hp, "http", anon, stop, denied=["outside"]),
            Worker("anonymous-https", "anonymous", sh, sp, "https", anon, stop, ssl_context=anon_tls,
                   denied=["outside"]),
            Worker("certificate", "certificate", sh, sp, "https", cert, stop, ssl_context=cert_tls),
            Worker("certificate-handshakes", "certificate", sh, sp, "https", cert, stop, ssl_context=cert_tls,
                   fresh=True),
            Worker("digest-sha256-https", "digest", sh, sp, "https", None, stop, ssl_context=anon_tls,
                   auth=iu.DigestAuth("tenant-b", PW["tenant-b"], "SHA-256")),
            Worker("digest-md5-https", "digest", sh, sp, "https", None, stop, ssl_context=anon_tls,
                   auth=iu.DigestAuth("tenant-c", PW["tenant-c"], "MD5")),
            Worker("guesser", "guesser", hh, hp, "http", [("outside", "GET", OUTSIDE_ANONYMOUS, None, None)], stop,
                   ssl_context=anon_tls, auth=iu.DigestAuth("tenant-x", "not the password", "SHA-256"),
                   source=("127.0.0.2", 0)),
        ]
        workers.append(Worker("digest-sha256-http", "digest", hh, hp, "http", None, stop,
                              auth=iu.DigestAuth("tenant-b", PW["tenant-b"], "SHA-256")))
        for w in workers:
            w.shutdown = shutdown
        slow = SlowClient(hh, hp, stop, shutdown)
        workers.append(slow)
        reloads = []
        reload_errors = []
        stop_reloads = threading.Event()

        def reloader():
            i = 0
            try:
                while not stop_reloads.is_set():
                    t0 = time.monotonic()
                    i += 1
                    broken = i % BROKEN_EVERY == 0
                    self.swap(d, i, broken)
                    a.reload(expect="failed" if broken else "ok")
                    reloads.append(time.monotonic() - t0)
                    if i % USR1_EVERY == 0:
                        a.send_signal(signal.SIGUSR1)
                    stop_reloads.wait(max(0.0, RELOAD_EVERY - (time.monotonic() - t0)))
            except Exception as e:  # noqa: BLE001
                reload_errors.append(repr(e)[:3000])

        t_reload = threading.Thread(target=reloader, daemon=True)
        t0 = time.monotonic()
        for w in workers:
            w.start()
        t_reload.start()
        stop_reloads.wait(SECONDS)
        stop_reloads.set()
        t_reload.join(at.LOG_TIMEOUT + 5)
        stats_seen = "stats: client=" in a.stderr()
        # SIGTERM while every client is still asking: answers that still
        # come must be right; refused or closed connections end a client
        shutdown.set()
        code = a.stop()
        stop.set()
        for w in workers:
            w.join(at.IO_TIMEOUT * 3)
        elapsed = time.monotonic() - t0
        err = a.stderr()

        summary = "%.1f s, %d handshakes while starting, %d reloads (max %.2f s); " % (
            elapsed, early.handshakes, len(reloads), max(reloads) if reloads else -1) + \
            "slow client cut %d times; " % slow.cuts + "; ".join(
            "%s %s reconnects=%d digest-retries=%d" % (w.name, sorted(w.status_counts.items()), w.reconnects,
                                                     w.digest_retries) for w in workers)
        print("\nstress: " + summary)
        reports = [ln for ln in err.splitlines() if "ThreadSanitizer" in ln]
        self.assertEqual(reports, [], "ThreadSanitizer reported:\n" + tsan_reports(err))
        self.assertFalse(a.killed, "altod did not stop at SIGTERM")
        self.assertEqual(code, 0, "altod's exit status; stderr tail:\n" + err[-5000:])
        self.assertEqual(reload_errors, [])
        self.assertGreater(len(reloads), 0)
        self.assertTrue(stats_seen or len(reloads) < USR1_EVERY, "no SIGUSR1 counters in the log")
        for w in workers:
            self.assertFalse(w.is_alive(), w.name)
            self.assertEqual(w.failures, [], summary)
            if w.kind == "slow":
                continue  # no answers: its checks are that each half request is cut, unanswered
            self.assertGreater(sum(w.status_counts.values()), 0, w.name)
            if w.kind != "guesser":
                self.assertGreater(w.status_counts.get(200, 0), 0, "%s was never served: %s" % (w.name, summary))
            for label, bodies in w.bodies.items():
                # maps A and B: nothing else (a torn snapshot would be a third)
                self.assertLessEqual(len(bodies), 2, "%s %s" % (w.name, label))

    def pki_context(self, cert):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.load_verify_locations(self.pki.ca_pem)
        c.check_hostname = True
        if cert:
            c.load_cert_chain(self.pki.path(cert + ".pem"), self.pki.path(cert + ".key"))
        return c


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")  # altod's own lines, amid a report


def tsan_reports(err):
    """The ThreadSanitizer reports in altod's stderr (between the ===== lines)."""
    out, inside = [], False
    for ln in err.splitlines():
        if ln.startswith("=================="):
            inside = not inside
            out.append(ln)
        elif (inside and not LOG_LINE.match(ln)) or "ThreadSanitizer" in ln:
            out.append(ln)
    return "\n".join(out)[-60000:]


if __name__ == "__main__":
    unittest.main()

"""HTTP Digest as altod verifies it (RFC 7616), attacked: a captured
Authorization header replayed on the same connection, on a new one, after
an attacker's flood of challenges and a wrong answer with a higher nc, after
a restart, at another replica; forged, cut and `xnonce` nonces; expired
nonces (stale=true); nc reuse. And clients that answer challenges get in:
curl --digest, Python's urllib, 16 concurrent clients, and a client behind
HAProxy round-robin over two replicas, each with at most one challenge.

Served maps: RFC 7285's example (conf/maps/example.yaml)."""

import hashlib
import hmac
import http.client
import os
import re
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import altodtest as at
import isoutil as iu
import test_replicas

SECRET = "digest-test-secret-0123456789"
PW = "b-password"
NM = "my-default-network-map"
NETMAP = "/networkmap/" + NM
COSTMAP = "/costmap/%s/routingcost/numerical" % NM
NONCE_RE = r"[0-9a-f]{128}"


def access(secret=SECRET, lifetime=None, algorithms=None, anonymous=True):
    extra = {"rate": 0}
    # these tests send wrong answers on purpose: the failed-authentication
    # throttle (test_access_config.Guessing) is off here
    extra.setdefault("auth-failures", iu.NO_AUTH_THROTTLE)
    if lifetime is not None:
        extra["nonce-lifetime"] = lifetime
    if algorithms is not None:
        extra["digest-algorithms"] = list(algorithms)
    return iu.access_yaml(secret=secret, clients={
        "tenant-b": {"password": iu.password_entry("tenant-b", PW), "roles": ["full"]},
    }, roles={"full": [NM, NM + "-num-routingcost"], "public": [NM]},
        anonymous_role="public" if anonymous else None, extra=extra)


def config(port=0, **kw):
    """A plain listener that takes Digest (clear-digest: true), and one that
    does not."""
    return ("server:\n  listen:\n"
            "    - address: 127.0.0.1\n      port: %d\n      clear-digest: true\n"
            "    - address: 127.0.0.1\n      port: 0\n"
            "maps:\n  - maps/example.yaml\n" % port) + access(**kw)


def tree(testcase, **kw):
    return at.make_tree(testcase, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": config(**kw)})


def start(testcase, **kw):
    return at.start_altod_in(testcase, tree(testcase, **kw))


def addr(a, index=0):
    _, host, port = a.listeners[index]
    return host, port


class Conn:
    """One keep-alive connection; no authentication logic."""

    def __init__(self, testcase, host_port):
        self.c = http.client.HTTPConnection(*host_port, timeout=at.IO_TIMEOUT)
        testcase.addCleanup(self.c.close)

    def send(self, method, path, auth=None):
        self.c.request(method, path, headers={"Authorization": auth} if auth is not None else {})
        r = self.c.getresponse()
        return at.Response(r.status, r.reason, r.getheaders(), r.read())


def send(host_port, method, path, auth=None):
    """On a new connection."""
    c = http.client.HTTPConnection(*host_port, timeout=at.IO_TIMEOUT)
    try:
        c.request(method, path, headers={"Authorization": auth} if auth is not None else {})
        r = c.getresponse()
        return at.Response(r.status, r.reason, r.getheaders(), r.read())
    finally:
        c.close()


B = iu.DigestAuth("tenant-b", PW, "SHA-256")
B_MD5 = iu.DigestAuth("tenant-b", PW, "MD5")
PROBE = B.probe_authorization("/")


def challenges(r):
    return [c for c in iu.parse_challenges(r.header_all("WWW-Authenticate")) if c["scheme"] == "digest"]


def fetch_challenge(conn, alg="SHA-256"):
    r = conn.send("GET", "/", PROBE)
    assert r.status == 401, r
    return iu.digest_challenge(r, alg)


def nonce_key(secret=SECRET):
    """access.c's derive(): HMAC-SHA-256(secret, label NUL)."""
    return hmac.new(secret.encode(), b"digest-nonce\0", hashlib.sha256).digest()


def make_nonce(issued_ns, key=None, process=b"\x01" * 8, rand=b"\x02" * 16):
    """A nonce of altod's form: time, process, random, HMAC of those."""
    head = struct.pack(">Q", issued_ns) + process + rand
    return (head + hmac.new(key or nonce_key(), head, hashlib.sha256).digest()).hex()


class Shared(at.AltodTestCase):
    """One altod for the class: anonymous role, rate unlimited."""

    @classmethod
    def setUpClass(cls):
        cls._holder = unittest.TestCase()
        try:
            cls.altod = start(cls._holder)
        except BaseException:
            cls._holder.doCleanups()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def assertStale(self, r, stale):
        self.assertEqual(r.status, 401, r)
        chs = challenges(r)
        self.assertEqual([c["algorithm"] for c in chs], ["SHA-256", "MD5"], r)
        for c in chs:
            self.assertEqual(c.get("stale"), "true" if stale else None, r)
        return chs


class Challenges(Shared):
    def test_rfc_spellings_and_fresh_nonces(self):
        """Two challenges, SHA-256 then MD5 (RFC 7616 §3.7), algorithm names
        as the RFC writes them; every nonce new, even for the same method and
        URI within one second."""
        conn = Conn(self, addr(self.altod))
        seen = set()
        for i in range(40):
            r = conn.send("GET", "/", PROBE)
            self.assertEqual(r.status, 401, r)
            values = r.header_all("WWW-Authenticate")
            self.assertEqual(len(values), 2, r)
            self.assertRegex(values[0], r'^Digest realm="altod", qop="auth", algorithm=SHA-256, nonce="%s", '
                                        r'opaque="altod"$' % NONCE_RE)
            self.assertRegex(values[1], r'^Digest realm="altod", qop="auth", algorithm=MD5, nonce="%s", '
                                        r'opaque="altod"$' % NONCE_RE)
            for c in challenges(r):
                self.assertNotIn(c["nonce"], seen)
                seen.add(c["nonce"])
        self.assertEqual(len(seen), 80)

    def test_one_nonce_for_every_uri_and_method(self):
        conn = Conn(self, addr(self.altod))
        ch = fetch_challenge(conn)
        for nc, (method, path, status) in enumerate((("GET", "/", 200), ("GET", NETMAP, 200),
                                                     ("HEAD", COSTMAP, 200), ("GET", "/no-such", 404)), 1):
            r = conn.send(method, path, B.authorization(method, path, ch, nc))
            self.assertEqual(r.status, status, (method, path, r))


class Replay(Shared):
    def test_replay_same_connection_new_connection_and_after_new_challenges(self):
        conn = Conn(self, addr(self.altod))
        ch = fetch_challenge(conn)
        captured = B.authorization("GET", NETMAP, ch, 1)
        self.assertEqual(conn.send("GET", NETMAP, captured).status, 200)
        # the same header again: on the same connection, on a new one
        self.assertStale(conn.send("GET", NETMAP, captured), False)
        self.assertStale(send(addr(self.altod), "GET", NETMAP, captured), False)
        # libmicrohttpd 0.9.75 issued the same nonce again, with its count
        # reset, for a 401 on the same method and URI in the same second
        for _ in range(5):
            r = send(addr(self.altod), "GET", NETMAP, B.probe_authorization(NETMAP))
            self.assertNotIn(ch["nonce"], [c["nonce"] for c in challenges(r)])
        self.assertStale(send(addr(self.altod), "GET", NETMAP, captured), False)
        # the owner goes on with the next nc
        self.assertEqual(conn.send("GET", NETMAP, B.authorization("GET", NETMAP, ch, 2)).status, 200)

    def test_replay_after_a_flood_and_a_wrong_answer_with_a_higher_nc(self):
        """The attack on libmicrohttpd 0.9.75's table: ~600 challenges to
        land a nonce in the victim's slot, then a wrong answer with a higher
        nc, then the captured header. Nothing of it reaches altod's table."""
        victim = Conn(self, addr(self.altod))
        ch = fetch_challenge(victim)
        captured = B.authorization("GET", "/", ch, 1)
        self.assertEqual(victim.send("GET", "/", captured).status, 200)
        attacker = Conn(self, addr(self.altod))
        for i in range(600):
            r = attacker.send("GET", "/flood-%d" % i, B.probe_authorization("/flood-%d" % i))
            self.assertEqual(r.status, 401)
        wrong = iu.DigestAuth("tenant-b", "guess", "SHA-256")
        for nc in (2, 7, 1000):
            self.assertStale(attacker.send("GET", "/", wrong.authorization("GET", "/", ch, nc)), False)
        self.assertStale(attacker.send("GET", "/", captured), False)
        self.assertStale(send(addr(self.altod), "GET", "/", captured), False)
        # the wrong answers changed nothing: nc 2 is still the victim's
        self.assertEqual(victim.send("GET", "/", B.authorization("GET", "/", ch, 2)).status, 200)

    def test_nc_reuse_and_decrease(self):
        conn = Conn(self, addr(self.altod))
        for auth in (B, B_MD5):
            with self.subTest(algorithm=auth.algorithm):
                ch = fetch_challenge(conn, auth.algorithm)
                self.assertEqual(conn.send("GET", "/", auth.authorization("GET", "/", ch, 5)).status, 200)
                # the same nc with another cnonce, then lower ones
                for nc in (5, 4, 1):
                    self.assertStale(conn.send("GET", "/", auth.authorization("GET", "/", ch, nc)), False)
                self.assertEqual(conn.send("GET", "/", auth.authorization("GET", "/", ch, 6)).status, 200)


class Forgeries(Shared):
    def test_forged_cut_and_foreign_nonces(self):
        conn = Conn(self, addr(self.altod))
        ch = fetch_challenge(conn)
        n = ch["nonce"]
        flipped = n[:70] + ("0" if n[70] != "0" else "1") + n[71:]
        cases = {
            "one digit changed": flipped,
            "cut to 64 digits": n[:64],
            "cut to 2 digits": n[:2],
            "lengthened": n + "00",
            "upper case": n.upper() if n.upper() != n else n[:-1] + "X",
            "libmicrohttpd's form": "0" * 64 + "00000000",
            "another secret's": make_nonce(time.time_ns(), key=nonce_key("another-secret-0123456789")),
        }
        for label, nonce in cases.items():
            with self.subTest(label):
                r = conn.send("GET", "/", B.authorization("GET", "/", dict(ch, nonce=nonce), 1))
                self.assertStale(r, False)
        # the real nonce was not spent by any of that
        self.assertEqual(conn.send("GET", "/", B.authorization("GET", "/", ch, 1)).status, 200)

    def test_xnonce_is_not_nonce(self):
        """A parameter named xnonce slipped past the old guard; here it is
        an unknown parameter, and without a nonce the answer is refused."""
        conn = Conn(self, addr(self.altod))
        ch = fetch_challenge(conn)
        good = B.authorization("GET", "/", ch, 1)
        renamed = good.replace(' nonce="', ' xnonce="')
        self.assertNotIn(' nonce="', renamed)
        self.assertStale(conn.send("GET", "/", renamed), False)
        cut = good.replace(' nonce="%s"' % ch["nonce"], ' xnonce="%s", nonce="ab"' % ch["nonce"])
        self.assertStale(conn.send("GET", "/", cut), False)
        # a nonce twice: refused, whichever is right
        twice = good.replace(' nonce="', ' nonce="ab", nonce="')
        self.assertStale(conn.send("GET", "/", twice), False)
        self.assertEqual(conn.send("GET", "/", good).status, 200)

    def test_two_authorization_headers(self):
        """One set of credentials per request: a second Authorization
        header, even next to a right one, is refused."""
        ch = fetch_challenge(Conn(self, addr(self.altod)))
        good = B.authorization("GET", "/", ch, 1)
        for pair in ((good, "Digest @@@"), ("Basic eDp5", good), (good, good)):
            with self.subTest(pair=[v[:12] for v in pair]):
                c = http.client.HTTPConnection(*addr(self.altod), timeout=at.IO_TIMEOUT)
                self.addCleanup(c.close)
                c.putrequest("GET", "/")
                for v in pair:
                    c.putheader("Authorization", v)
                c.endheaders()
                r = c.getresponse()
                r.read()
                self.assertEqual(r.status, 401)
        self.assertEqual(send(addr(self.altod), "GET", "/", good).status, 200)

    def test_garbled_credentials(self):
        conn = Conn(self, addr(self.altod))
        ch = fetch_challenge(conn)
        good = B.authorization("GET", "/", ch, 1)
        for label, value in (("unterminated quote", good[:-1]),
                             ("oversized", good + ', pad="%s"' % ("x" * 5000)),
                             ("qop auth-int", good.replace("qop=auth", "qop=auth-int")),
                             ("MD5-sess", good.replace("algorithm=SHA-256", "algorithm=MD5-sess")),
                             ("userhash", good + ", userhash=true"),
                             ("uri of another resource", good.replace('uri="/"', 'uri="%s"' % NETMAP)),
                             ("realm of another server", B.authorization("GET", "/", dict(ch, realm="other"), 1)),
                             ("NUL-free garbage", "Digest \x7f\x7e,,==\"\\")):
            with self.subTest(label):
                self.assertStale(conn.send("GET", "/", value), False)
        self.assertEqual(conn.send("GET", "/", good).status, 200)

    def test_stale_only_for_correct_answers(self):
        """A nonce of altod's form under the right key, issued 10 minutes
        ago (past the default 300 s), or before this altod started: a
        correct answer gets stale=true (ask again), a wrong one a plain 401."""
        conn = Conn(self, addr(self.altod))
        ch = fetch_challenge(conn)
        for label, issued in (("expired", time.time_ns() - 600 * 10**9),
                              ("before the process started", time.time_ns() - 100 * 10**9),
                              ("from the far future", time.time_ns() + 600 * 10**9)):
            with self.subTest(label):
                old = dict(ch, nonce=make_nonce(issued))
                self.assertStale(conn.send("GET", "/", B.authorization("GET", "/", old, 1)), True)
                wrong = iu.DigestAuth("tenant-b", "guess", "SHA-256")
                self.assertStale(conn.send("GET", "/", wrong.authorization("GET", "/", old, 2)), False)
        # a nonce made by the key holder in this process's lifetime works:
        # the test proves it knows the key (and so the format)
        fresh = dict(ch, nonce=make_nonce(time.time_ns()))
        self.assertEqual(conn.send("GET", "/", B.authorization("GET", "/", fresh, 1)).status, 200)


class Lifetime(at.AltodTestCase):
    def test_expired_nonce_is_stale(self):
        a = start(self, lifetime=2)
        conn = Conn(self, addr(a))
        ch = fetch_challenge(conn)
        self.assertEqual(conn.send("GET", "/", B.authorization("GET", "/", ch, 1)).status, 200)
        time.sleep(3)
        r = conn.send("GET", "/", B.authorization("GET", "/", ch, 2))
        self.assertEqual(r.status, 401, r)
        self.assertEqual([c.get("stale") for c in challenges(r)], ["true", "true"], r)
        wrong = iu.DigestAuth("tenant-b", "guess", "SHA-256")
        r = conn.send("GET", "/", wrong.authorization("GET", "/", ch, 3))
        self.assertEqual([c.get("stale") for c in challenges(r)], [None, None], r)
        fresh = iu.digest_challenge(conn.send("GET", "/", B.authorization("GET", "/", ch, 4)), "SHA-256")
        self.assertEqual(conn.send("GET", "/", B.authorization("GET", "/", fresh, 1)).status, 200)

    def test_bad_settings_are_refused_with_their_line(self):
        for value, rx in (("0", r"nonce-lifetime must be 1 to 86400 seconds"),
                          ("86401", r"nonce-lifetime"), ("-5", r"nonce-lifetime"), ("soon", r"nonce-lifetime")):
            with self.subTest(value=value):
                text = config().replace("access:\n", "access:\n  nonce-lifetime: %s\n" % value)
                self.assertConfigError(text, "  nonce-lifetime: ", rx)
        for value, rx in (("[SHA-512]", r"digest algorithm 'SHA-512': SHA-256 or MD5"),
                          ("[md5]", r"digest algorithm 'md5'"),
                          ("[MD5, MD5]", r"digest algorithm 'MD5' is listed twice"),
                          ("[]", r"digest-algorithms lists no algorithm")):
            with self.subTest(value=value):
                text = config().replace("access:\n", "access:\n  digest-algorithms: %s\n" % value)
                self.assertConfigError(text, "  digest-algorithms: ", rx)
        text = config() + ""
        text = text.replace("    - address: 127.0.0.1\n      port: 0\nmaps:",
                            "    - address: 127.0.0.1\n      port: 0\n      tls: {certificate: x.pem, key: x.key}\n"
                            "      clear-digest: true\nmaps:")
        self.assertConfigError(text, "      clear-digest: true\nmaps", r"clear-digest is for a listener without tls")

    def assertConfigError(self, text, line_start, rx):
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        path = os.path.join(d, "altod.yaml")
        code, out = at.check_config(path)
        self.assertEqual(code, 1, out)
        hits = [dg for dg in at.parse_diag_lines(out) if re.search(rx, dg[3])]
        self.assertTrue(hits, "no %r in:\n%s" % (rx, out))
        want = text[:text.index(line_start)].count("\n") + 1
        self.assertEqual((hits[0][0], hits[0][1]), (path, want), out)


class NoSecret(at.AltodTestCase):
    def test_without_a_secret_each_process_has_its_own_key(self):
        """No access.secret: Digest works, but one process's nonce is
        nothing to another (a plain 401, not stale)."""
        a, b = start(self, secret=None), start(self, secret=None)
        conn = Conn(self, addr(a))
        ch = fetch_challenge(conn)
        self.assertEqual(conn.send("GET", "/", B.authorization("GET", "/", ch, 1)).status, 200)
        r = send(addr(b), "GET", "/", B.authorization("GET", "/", ch, 2))
        self.assertEqual(r.status, 401, r)
        self.assertEqual([c.get("stale") for c in challenges(r)], [None, None], r)


class Restart(at.AltodTestCase):
    def test_replay_after_a_restart(self):
        """Nonces issued before a process started are stale there: a header
        captured from the previous process never works again."""
        d = tree(self)
        a = at.start_altod_in(self, d)
        conn = Conn(self, addr(a))
        ch = fetch_challenge(conn)
        captured = B.authorization("GET", "/", ch, 1)
        self.assertEqual(conn.send("GET", "/", captured).status, 200)
        conn.c.close()
        a.stop()
        b = at.start_altod_in(self, d)
        r = send(addr(b), "GET", "/", captured)
        self.assertEqual(r.status, 401, r)
        self.assertEqual([c.get("stale") for c in challenges(r)], ["true", "true"], r)
        r = send(addr(b), "GET", "/", B.authorization("GET", "/", ch, 2))
        self.assertEqual(r.status, 401, r)
        # the client answering the new challenge gets in
        fresh = iu.digest_challenge(r, "SHA-256")
        self.assertEqual(send(addr(b), "GET", "/", B.authorization("GET", "/", fresh, 1)).status, 200)


class ClearText(at.AltodTestCase):
    def test_no_credentials_on_plain_http_without_clear_digest(self):
        """On the listener without clear-digest, no challenge invites a
        password in clear: credentials, right or wrong, get 403 unread;
        anonymous requests are served, and outside the anonymous catalog
        get 404; without an anonymous role, 403."""
        a = start(self)
        plain = Conn(self, addr(a, 1))
        ch = fetch_challenge(Conn(self, addr(a, 0)))
        for label, auth in (("right Digest", B.authorization("GET", NETMAP, ch, 1)),
                            ("wrong Digest", iu.DigestAuth("tenant-b", "x").authorization("GET", NETMAP, ch, 2)),
                            ("Basic", iu.basic_authorization("tenant-b", PW)),
                            ("garbage", "Digest @@@")):
            with self.subTest(label):
                r = plain.send("GET", NETMAP, auth)
                self.assertEqual(r.status, 403, r)
                self.assertEqual(r.body, b"Forbidden: credentials only over TLS\n")
                self.assertEqual(r.header_all("WWW-Authenticate"), [])
        # the right Digest answer was not even counted: nc 1 still works where Digest is allowed
        self.assertEqual(send(addr(a, 0), "GET", NETMAP, B.authorization("GET", NETMAP, ch, 1)).status, 200)
        self.assertEqual(plain.send("GET", NETMAP).status, 200)
        r = plain.send("GET", COSTMAP)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.header_all("WWW-Authenticate"), [])
        self.assertEqual(iu.normalized(r), iu.normalized(plain.send("GET", "/costmap/no/such/thing")))
        b = start(self, anonymous=False)
        r = send(addr(b, 1), "GET", "/")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.header_all("WWW-Authenticate"), [])
        self.assertEqual(send(addr(b, 0), "GET", "/").status, 401)


class RealClients(at.AltodTestCase):
    @unittest.skipUnless(shutil.which("curl"), "curl is not installed")
    def test_curl_digest(self):
        """curl answers the first challenge (SHA-256) and reuses its nonce
        for the following URLs of one invocation."""
        for algorithms in (None, ("MD5", "SHA-256")):
            with self.subTest(algorithms=algorithms):
                a = start(self, algorithms=algorithms, anonymous=False)
                mark = a.log_count()
                host, port = addr(a)
                urls = ["http://%s:%d%s" % (host, port, p) for p in ("/", NETMAP, COSTMAP, "/")]
                p = subprocess.run(["curl", "-s", "--digest", "-u", "tenant-b:" + PW, "-w", "%{http_code}\\n"]
                                   + [x for u in urls for x in ("-o", "/dev/null", u)],
                                   stdout=subprocess.PIPE, timeout=60)
                self.assertEqual(p.stdout.decode().split(), ["200"] * 4)
                lines = iu.wait_for_count(a, r"audit: client=tenant-b .*status=200", 4, after=mark)
                self.assertEqual(len(lines), 4, lines)
                # wrong password: 401, and curl gives up
                p = subprocess.run(["curl", "-s", "--digest", "-u", "tenant-b:nope", "-o", "/dev/null",
                                    "-w", "%{http_code}", urls[0]], stdout=subprocess.PIPE, timeout=60)
                self.assertEqual(p.stdout.decode(), "401")

    def test_python_urllib(self):
        """urllib (3.11) answers only the first challenge and knows MD5 and
        SHA-1, not SHA-256: with digest-algorithms [MD5, SHA-256] it gets in,
        with the algorithm written exactly "MD5"."""
        a = start(self, algorithms=("MD5", "SHA-256"), anonymous=False)
        host, port = addr(a)
        pm = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        pm.add_password(None, "http://%s:%d/" % (host, port), "tenant-b", PW)
        opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(pm))
        mark = a.log_count()
        for path in (COSTMAP, NETMAP, COSTMAP):
            with opener.open("http://%s:%d%s" % (host, port, path), timeout=at.IO_TIMEOUT) as r:
                self.assertEqual(r.status, 200)
                r.read()
        lines = iu.wait_for_count(a, r"audit: client=tenant-b .*status=200", 3, after=mark)
        self.assertEqual(len(lines), 3, lines)
        pm2 = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        pm2.add_password(None, "http://%s:%d/" % (host, port), "tenant-b", "nope")
        bad = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(pm2))
        with self.assertRaises(urllib.error.HTTPError) as e:
            bad.open("http://%s:%d%s" % (host, port, COSTMAP), timeout=at.IO_TIMEOUT)
        self.assertEqual(e.exception.code, 401)

    def test_sixteen_concurrent_clients_one_challenge_each(self):
        """8 Digest and 8 anonymous clients, 60 requests each (960): every
        request is answered 200, and each Digest client needed exactly one
        challenge round trip (its first), SHA-256 and MD5 alike."""
        a = start(self)
        results = {}

        def run(i):
            auth = (B if i % 2 else B_MD5) if i < 8 else None
            s = iu.Session(*addr(a), auth=auth, label="client-%d" % i)
            try:
                statuses = [s.get((NETMAP, "/", COSTMAP if auth else NETMAP)[k % 3]).status for k in range(60)]
                results[i] = (statuses, s.probes)
            except Exception as e:  # reported below
                results[i] = ([repr(e)], None)
            finally:
                s.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(sorted(results), list(range(16)))
        for i, (statuses, probes) in sorted(results.items()):
            with self.subTest(client=i):
                self.assertEqual(statuses, [200] * 60)
                self.assertEqual(probes, 1 if i < 8 else 0)


class Replicas(at.AltodTestCase):
    """Two replicas with the same secret behind HAProxy round-robin."""

    def setUp(self):
        self.replicas, self.hap = self.behind_haproxy()

    def behind_haproxy(self, **kw):
        replicas = [start(self, **kw), start(self, **kw)]
        td = self.enterContext(tempfile.TemporaryDirectory(prefix="altodtest-haproxy-"))
        hap = test_replicas.Haproxy(td, addr(replicas[0])[1], addr(replicas[1])[1])
        self.addCleanup(hap.stop)
        hap.start()
        return replicas, hap

    def test_urllib_through_round_robin(self):
        """urllib answers every 401 once; its retry lands on the other
        replica, which takes the nonce: each request in after one retry."""
        replicas, hap = self.behind_haproxy(algorithms=("MD5", "SHA-256"))
        marks = [r.log_count() for r in replicas]
        base = "http://127.0.0.1:%d/" % hap.port
        pm = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        pm.add_password(None, base, "tenant-b", PW)
        for _ in range(6):
            # a new handler per request: its retry counter is per handler
            opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(pm))
            with opener.open(base.rstrip("/") + COSTMAP, timeout=at.IO_TIMEOUT) as r:
                self.assertEqual(r.status, 200)
                r.read()
        deadline = time.monotonic() + at.LOG_TIMEOUT
        while True:  # an audit line is written when its request completes
            served = [len([ln for ln in iu.audit_lines(r, m) if "client=tenant-b " in ln])
                      for r, m in zip(replicas, marks)]
            refused = [len([ln for ln in iu.audit_lines(r, m) if "status=401" in ln])
                       for r, m in zip(replicas, marks)]
            if sum(served) + sum(refused) >= 12 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(sum(served), 6, served)
        self.assertEqual(sum(refused), 6, refused)  # one challenge per request, no second
        # more answers served than challenges issued at one replica: nonces
        # of the other replica were taken (round-robin alternates them)
        self.assertTrue(any(served[i] > refused[i] for i in (0, 1)), (served, refused))

    def test_round_robin_one_challenge_nonce_shared(self):
        marks = [r.log_count() for r in self.replicas]
        s = iu.Session("127.0.0.1", self.hap.port, auth=B)
        self.addCleanup(s.close)
        for i in range(20):
            self.assertEqual(s.get((NETMAP, "/", COSTMAP)[i % 3]).status, 200)
        self.assertEqual(s.probes, 1)
        deadline = time.monotonic() + at.LOG_TIMEOUT
        while True:  # an audit line is written when its request completes
            served = [len([ln for ln in iu.audit_lines(r, m) if "client=tenant-b " in ln])
                      for r, m in zip(self.replicas, marks)]
            if sum(served) >= 20 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        # both replicas accepted the one nonce, each with its own nc's
        self.assertEqual(sum(served), 20, served)
        self.assertGreater(min(served), 0, served)
        # curl through the proxy
        if shutil.which("curl"):
            url = "http://127.0.0.1:%d%s" % (self.hap.port, COSTMAP)  # outside the anonymous catalog
            p = subprocess.run(["curl", "-s", "--digest", "-u", "tenant-b:" + PW, "-w", "%{http_code}\\n"]
                               + ["-o", "/dev/null", url] * 6, stdout=subprocess.PIPE, timeout=60)
            self.assertEqual(p.stdout.decode().split(), ["200"] * 6)

    def test_replay_at_the_other_replica(self):
        """What holds without shared state: at the replica that accepted it,
        a header never works again; at the other, only while that replica
        has not accepted an nc as high for the nonce, and then only once
        (docs/isolation.md says so)."""
        r1, r2 = (addr(r) for r in self.replicas)
        ch = fetch_challenge(Conn(self, r1))
        # the client's requests alternate: nc 1 at r1, nc 2 at r2, nc 3 at r1
        h1, h2, h3 = (B.authorization("GET", "/", ch, nc) for nc in (1, 2, 3))
        self.assertEqual(send(r1, "GET", "/", h1).status, 200)
        self.assertEqual(send(r2, "GET", "/", h2).status, 200)
        self.assertEqual(send(r1, "GET", "/", h3).status, 200)
        for where, h in ((r1, h1), (r2, h2), (r1, h3), (r2, h1)):
            with self.subTest(replica=where, header=h[-20:]):
                self.assertEqual(send(where, "GET", "/", h).status, 401)
        # h3 was never seen at r2, whose highest nc is 2: accepted there once
        self.assertEqual(send(r2, "GET", "/", h3).status, 200)
        self.assertEqual(send(r2, "GET", "/", h3).status, 401)
        # a replica restarted after the nonce was issued refuses it (stale)
        d = self.replicas[1].dir
        self.replicas[1].stop()
        r2b = at.start_altod_in(self, d)
        r = send(addr(r2b), "GET", "/", B.authorization("GET", "/", ch, 9))
        self.assertEqual([c.get("stale") for c in challenges(r)], ["true", "true"], r)


if __name__ == "__main__":
    unittest.main(verbosity=2)

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
import signal
import socket
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


def access(secret=SECRET, lifetime=None, algorithms=None, anonymous=True, udp_listen=None, peers=None):
    extra = {"rate": 0}
    # these tests send wrong answers on purpose: the failed-authentication
    # throttle (test_access_config.Guessing) is off here
    extra.setdefault("auth-failures", iu.NO_AUTH_THROTTLE)
    if lifetime is not None:
        extra["nonce-lifetime"] = lifetime
    if algorithms is not None:
        extra["digest-algorithms"] = list(algorithms)
    if udp_listen is not None:
        extra["digest-listen"] = udp_listen
    if peers is not None:
        extra["digest-peers"] = list(peers)
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


def peer_key(secret=SECRET):
    """access.c's derive() with the gossip's own label."""
    return hmac.new(secret.encode(), b"digest-peer\0", hashlib.sha256).digest()


def datagram(nonce_hex, nc, key=None, sent_ns=None):
    """peers.h's datagram: "ADP1", sent time, nc, the nonce's bytes, HMAC."""
    body = b"ADP1" + struct.pack(">qI", time.time_ns() if sent_ns is None else sent_ns, nc) + bytes.fromhex(nonce_hex)
    return body + hmac.new(key or peer_key(), body, hashlib.sha256).digest()


PEER_LISTEN_RE = r"digest peers: receiving nc updates on udp://(\[[0-9a-f:]+\]|[0-9.]+):(\d+)/"
PEER_STATS_RE = re.compile(r"digest peers: sent (\d+), (\d+) failed; received (\d+) applied, (\d+) not newer; "
                           r"dropped (\d+) malformed, (\d+) forged, (\d+) old, (\d+) bad nonce, "
                           r"(\d+) without a secret")
PEER_STATS = ("sent", "failed", "applied", "not newer", "malformed", "forged", "old", "bad nonce", "no secret")


def udp_addr(a):
    """(host, port) of a replica's digest-listen, as it logged it; the host
    of an IPv6 one in brackets."""
    m = re.search(PEER_LISTEN_RE, a.wait_for_log(PEER_LISTEN_RE))
    return m.group(1), int(m.group(2))


def udp_send(dg, host_port):
    host, port = host_port
    family = socket.AF_INET6 if host.startswith("[") else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as u:
        u.sendto(dg, (host.strip("[]"), port))


def peer_stats(a):
    """The counters of the SIGUSR1 line, as a dict."""
    mark = a.log_count()
    a.send_signal(signal.SIGUSR1)
    m = PEER_STATS_RE.search(a.wait_for_log(PEER_STATS_RE.pattern, after=mark))
    return dict(zip(PEER_STATS, (int(g) for g in m.groups())))


def wait_peer_stats(a, **want):
    """Polls the counters until each named one (spaces as _) is at least
    its value: the replica has processed that many datagrams. No sleeping
    on a guess: the condition is read from altod itself."""
    deadline = time.monotonic() + at.LOG_TIMEOUT
    while True:
        st = peer_stats(a)
        st["valid"] = st["applied"] + st["not newer"]  # processed, whatever it taught
        if all(st[k.replace("_", " ")] >= v for k, v in want.items()):
            return st
        if time.monotonic() > deadline:
            raise AssertionError("peer counters %r never reached %r; stderr:\n%s" % (st, want, a.stderr()))
        time.sleep(0.02)


def start_peered(testcase, udp_host="127.0.0.1", **kw):
    """Two replicas that tell each other of every answer they accept. Each
    picks its UDP port (digest-listen port 0): the first learns the second's
    by a reload (digest-peers is reloadable)."""
    listen = "%s:0" % udp_host
    a = start(testcase, udp_listen=listen, **kw)
    b = start(testcase, udp_listen=listen, peers=["%s:%d" % udp_addr(a)], **kw)
    at.write_files(a.dir, {"altod.yaml": config(udp_listen=listen, peers=["%s:%d" % udp_addr(b)], **kw)})
    lines = a.reload()
    assert not any("need a restart" in ln for ln in lines), lines
    return a, b


class Shared(at.AltodTestCase):
    """One altod for the class: anonymous role, rate unlimited."""

    @classmethod
    def setUpClass(cls):
        cls._holder = at.class_holder(cls)
        cls.altod = start(cls._holder)

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


    def test_absolute_form_targets(self):
        """A client following the directory's absolute URIs may send them as
        the request target (RFC 7230 §5.3.2): its Digest "uri" is that
        target, and must match it (altod compared it with the raw target
        and refused every such answer)."""
        conn = Conn(self, addr(self.altod))
        ch = fetch_challenge(conn)
        base = "http://127.0.0.1:%d" % self.altod.port
        for nc, (method, target, status) in enumerate((("GET", base + NETMAP, 200), ("GET", base + "/", 200),
                                                       ("HEAD", base + COSTMAP, 200)), 1):
            r = conn.send(method, target, B.authorization(method, target, ch, nc))
            self.assertEqual(r.status, status, (method, target, r))
        # the uri must still name the request's target
        r = conn.send("GET", base + NETMAP, B.authorization("GET", base + COSTMAP, ch, 9))
        self.assertEqual(r.status, 401, r)


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
    def test_nonce_within_its_lifetime_is_accepted(self):
        """A nonce answered within nonce-lifetime is accepted, and again
        with a higher nc. The lifetime (an hour) is far longer than any
        stall of this machine between the challenge and the answers."""
        a = start(self, lifetime=3600)
        conn = Conn(self, addr(a))
        ch = fetch_challenge(conn)
        self.assertEqual(conn.send("GET", "/", B.authorization("GET", "/", ch, 1)).status, 200)
        self.assertEqual(conn.send("GET", "/", B.authorization("GET", "/", ch, 2)).status, 200)

    def test_expired_nonce_is_stale(self):
        """Past nonce-lifetime (2 s; the test waits 3 s, a lower bound no
        stall can shorten), a correct answer gets stale=true with a fresh
        nonce, a wrong one a plain 401. The fresh nonce is checked by its
        contents (altod's key, this process, issued during that request),
        not by using it: with a 2 s lifetime that would need speed;
        test_nonce_within_its_lifetime_is_accepted shows a fresh nonce
        works."""
        a = start(self, lifetime=2)
        conn = Conn(self, addr(a))
        ch = fetch_challenge(conn)
        time.sleep(3)
        r = conn.send("GET", "/", B.authorization("GET", "/", ch, 1))
        self.assertEqual(r.status, 401, r)
        self.assertEqual([c.get("stale") for c in challenges(r)], ["true", "true"], r)
        wrong = iu.DigestAuth("tenant-b", "guess", "SHA-256")
        r = conn.send("GET", "/", wrong.authorization("GET", "/", ch, 2))
        self.assertEqual([c.get("stale") for c in challenges(r)], [None, None], r)
        before = time.time_ns()
        r = conn.send("GET", "/", B.authorization("GET", "/", ch, 3))
        after = time.time_ns()
        self.assertEqual([c.get("stale") for c in challenges(r)], ["true", "true"], r)
        fresh = iu.digest_challenge(r, "SHA-256")["nonce"]
        self.assertRegex(fresh, "^%s$" % NONCE_RE)
        raw, old = bytes.fromhex(fresh), bytes.fromhex(ch["nonce"])
        self.assertEqual(fresh, make_nonce(struct.unpack(">Q", raw[:8])[0], process=raw[8:16], rand=raw[16:32]))
        self.assertEqual(raw[8:16], old[8:16])  # this process
        self.assertNotEqual(raw[16:32], old[16:32])
        self.assertTrue(before <= struct.unpack(">Q", raw[:8])[0] <= after, (before, raw[:8].hex(), after))

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
            t.join(120 * at.SLOWDOWN)  # liveness only: 960 requests, 480 with Digest, to a valgrind altod
        self.assertEqual(sorted(results), list(range(16)))
        for i, (statuses, probes) in sorted(results.items()):
            with self.subTest(client=i):
                self.assertEqual(statuses, [200] * 60)
                self.assertEqual(probes, 1 if i < 8 else 0)


class RoundRobin:
    """Two replicas with the same secret behind HAProxy round-robin (with
    digest-peers between them where PEERED)."""
    PEERED = False

    def setUp(self):
        self.replicas, self.hap = self.behind_haproxy()

    def behind_haproxy(self, **kw):
        replicas = list(start_peered(self, **kw)) if self.PEERED else [start(self, **kw), start(self, **kw)]
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
        if self.PEERED:  # and each told the other (what it learnt does not stop the client)
            for r, n in zip(self.replicas, reversed(served)):
                st = wait_peer_stats(r, valid=n)
                self.assertEqual(st["valid"], n, st)
        # curl through the proxy
        if shutil.which("curl"):
            url = "http://127.0.0.1:%d%s" % (self.hap.port, COSTMAP)  # outside the anonymous catalog
            p = subprocess.run(["curl", "-s", "--digest", "-u", "tenant-b:" + PW, "-w", "%{http_code}\\n"]
                               + ["-o", "/dev/null", url] * 6, stdout=subprocess.PIPE, timeout=60)
            self.assertEqual(p.stdout.decode().split(), ["200"] * 6)


class Replicas(RoundRobin, at.AltodTestCase):
    def test_replay_at_the_other_replica_without_peers(self):
        """What holds without digest-peers (no shared state): at the replica
        that accepted it, a header never works again; at the other, only
        while that replica has not accepted an nc as high for the nonce, and
        then only once (docs/isolation.md says so). PeeredReplicas closes
        this."""
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


class PeeredReplicas(RoundRobin, at.AltodTestCase):
    """digest-peers: each replica tells the other of every answer it
    accepts, before it answers; a captured header fails everywhere."""
    PEERED = True

    def test_replay_at_the_other_replica(self):
        """Against fcfb93c (and without digest-peers) h3 was accepted once
        at r2; here every replay fails at both replicas, once the other has
        processed the datagram (waited for on its counters), and the owner
        goes on."""
        (a1, a2), (r1, r2) = self.replicas, (addr(r) for r in self.replicas)
        ch = fetch_challenge(Conn(self, r1))
        h1, h2, h3, h4 = (B.authorization("GET", "/", ch, nc) for nc in (1, 2, 3, 4))
        self.assertEqual(send(r1, "GET", "/", h1).status, 200)
        wait_peer_stats(a2, valid=1)
        self.assertEqual(send(r2, "GET", "/", h2).status, 200)
        wait_peer_stats(a1, valid=1)
        self.assertEqual(send(r1, "GET", "/", h3).status, 200)
        wait_peer_stats(a2, valid=2)
        for where in (r1, r2):
            for h in (h1, h2, h3):
                with self.subTest(replica=where, header=h[-20:]):
                    r = send(where, "GET", "/", h)
                    self.assertEqual(r.status, 401, r)
                    self.assertEqual([c.get("stale") for c in challenges(r)], [None, None], r)
        self.assertEqual(send(r2, "GET", "/", h4).status, 200)
        # the refused replays taught nobody anything
        for a in (a1, a2):
            st = peer_stats(a)
            self.assertEqual(st["sent"], 2 if a is a1 else 2, st)
            self.assertEqual((st["malformed"], st["forged"], st["old"], st["bad nonce"]), (0, 0, 0, 0), st)

    def test_forged_datagrams_change_nothing(self):
        """Datagrams sent by someone without the secret (another key), cut,
        sent long ago, or naming a nonce this deployment did not issue are
        dropped and counted: the header they tried to spend still works. The
        same datagram under the right key does spend it: the test speaks the
        real format."""
        a1, a2 = self.replicas
        r1, r2 = addr(a1), addr(a2)
        ch = fetch_challenge(Conn(self, r1))
        self.assertEqual(send(r1, "GET", "/", B.authorization("GET", "/", ch, 1)).status, 200)
        wait_peer_stats(a2, valid=1)
        other = hmac.new(b"another-secret-0123456789", b"digest-peer\0", hashlib.sha256).digest()
        good = datagram(ch["nonce"], 100)
        forged_nonce = make_nonce(time.time_ns(), key=nonce_key("another-secret-0123456789"))
        for label, dg, counter in (
                ("another key", datagram(ch["nonce"], 100, key=other), "forged"),
                ("one bit flipped", good[:20] + bytes([good[20] ^ 1]) + good[21:], "forged"),
                ("nc raised after signing", good[:12] + struct.pack(">I", 200) + good[16:], "forged"),
                ("cut", good[:-1], "malformed"),
                ("lengthened", good + b"\0", "malformed"),
                ("empty", b"", "malformed"),
                ("sent 10 minutes ago", datagram(ch["nonce"], 100, sent_ns=time.time_ns() - 600 * 10**9), "old"),
                ("a nonce of another secret", datagram(forged_nonce, 100), "bad nonce"),
                ("an expired nonce", datagram(make_nonce(time.time_ns() - 600 * 10**9), 100), "bad nonce")):
            with self.subTest(label):
                before = peer_stats(a2)[counter]
                udp_send(dg, udp_addr(a2))
                wait_peer_stats(a2, **{counter.replace(" ", "_"): before + 1})
        self.assertEqual(peer_stats(a2)["applied"] + peer_stats(a2)["not newer"], 1)
        # nothing of that spent nc 2..100 at r2
        self.assertEqual(send(r2, "GET", "/", B.authorization("GET", "/", ch, 2)).status, 200)
        # the right key: nc 50 is spent at r2 without any request there
        valid = wait_peer_stats(a2)["valid"]
        udp_send(datagram(ch["nonce"], 50), udp_addr(a2))
        wait_peer_stats(a2, valid=valid + 1)
        r = send(r2, "GET", "/", B.authorization("GET", "/", ch, 50))
        self.assertEqual(r.status, 401, r)
        self.assertEqual(send(r2, "GET", "/", B.authorization("GET", "/", ch, 51)).status, 200)
        # and a replayed datagram teaches nothing new
        st = peer_stats(a2)
        udp_send(datagram(ch["nonce"], 50), udp_addr(a2))
        self.assertEqual(wait_peer_stats(a2, not_newer=st["not newer"] + 1)["applied"], st["applied"])


class PeersConfig(at.AltodTestCase):
    def test_bad_peers_are_refused_with_their_line(self):
        base = config()
        for value, rx in (('["127.0.0.1"]', r"digest peer '127.0.0.1': expected address:port"),
                          ('["127.0.0.1:0"]', r"digest peer '127.0.0.1:0': the port must be 1 to 65535"),
                          ('["127.0.0.1:70000"]', r"the port must be 1 to 65535"),
                          ('["::1:7000"]', r"digest peer '::1:7000': not a numeric IPv4 address"),
                          ('["[::1]7000"]', r"an IPv6 address is written \[address\]:port"),
                          ('["[127.0.0.1]:7000"]', r"not a numeric IPv6 address"),
                          ('["peer.example:7000"]', r"not a numeric IPv4 address"),
                          ('["127.0.0.1:7000", "127.0.0.1:7000"]', r"'127.0.0.1:7000' is listed twice"),
                          ('"127.0.0.1:7000"', r"digest-peers")):
            with self.subTest(value=value):
                text = base.replace("access:\n", "access:\n  digest-peers: %s\n" % value)
                Lifetime.assertConfigError(self, text, "  digest-peers: ", rx)
        for value, rx in (("127.0.0.1", r"digest-listen '127.0.0.1': expected address:port"),
                          ("[::1]:x", r"digest-listen '\[::1\]:x': the port must be 0 to 65535")):
            with self.subTest(value=value):
                text = base.replace("access:\n", "access:\n  digest-listen: \"%s\"\n" % value)
                Lifetime.assertConfigError(self, text, "  digest-listen: ", rx)
        nosecret = config(secret=None)
        for key, value in (("digest-peers", '["127.0.0.1:7000"]'), ("digest-listen", '"127.0.0.1:0"')):
            with self.subTest(key=key):
                text = nosecret.replace("access:\n", "access:\n  %s: %s\n" % (key, value))
                Lifetime.assertConfigError(self, text, "  %s: " % key, key + r" needs access.secret")
        # IPv6 forms are taken
        text = base.replace("access:\n", 'access:\n  digest-peers: ["[::1]:7000", "[2001:db8::1]:7000", '
                                          '"192.0.2.1:7000"]\n  digest-listen: "[::1]:0"\n')
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        code, out = at.check_config(os.path.join(d, "altod.yaml"))
        self.assertEqual(code, 0, out)

    def test_digest_listen_in_use(self):
        """A digest-listen address that cannot be bound stops the start,
        saying why (as a TCP listener's would)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", 0))
            port = taken.getsockname()[1]
            d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(),
                                    "altod.yaml": config(udp_listen="127.0.0.1:%d" % port)})
            code, err = at.run_altod_expect_exit(os.path.join(d, "altod.yaml"))
        self.assertNotEqual(code, 0, err)
        self.assertIn("digest-listen 127.0.0.1:%d: cannot bind: Address already in use" % port, err)

    def test_ipv6_peers(self):
        """Replicas that speak over IPv6 ([::1]:port) work the same."""
        a, b = start_peered(self, udp_host="[::1]")
        self.assertTrue(udp_addr(a)[0] == udp_addr(b)[0] == "[::1]")
        ch = fetch_challenge(Conn(self, addr(a)))
        h1 = B.authorization("GET", "/", ch, 1)
        self.assertEqual(send(addr(a), "GET", "/", h1).status, 200)
        wait_peer_stats(b, applied=1)
        self.assertEqual(send(addr(b), "GET", "/", h1).status, 401)
        self.assertEqual(send(addr(b), "GET", "/", B.authorization("GET", "/", ch, 2)).status, 200)

    def test_reload_peers_and_the_restart_only_listen(self):
        """digest-peers is reloaded; a bad one keeps the old snapshot
        serving; a changed digest-listen needs a restart (warned, and the
        old socket keeps receiving)."""
        a = start(self, udp_listen="127.0.0.1:0")
        udp = udp_addr(a)
        at.write_files(a.dir, {"altod.yaml": config(udp_listen="127.0.0.1:0", peers=["127.0.0.1:1"])
                               .replace('"127.0.0.1:1"', '"127.0.0.1:"')})
        a.reload(expect="failed")
        self.assertEqual(send(addr(a), "GET", NETMAP).status, 200)
        at.write_files(a.dir, {"altod.yaml": config(udp_listen="127.0.0.1:1", peers=["127.0.0.1:%d" % udp[1]])})
        lines = a.reload()
        self.assertTrue(any("need a restart" in ln and "access.digest-listen" in ln for ln in lines), lines)
        # the new peers list is in force (it names this replica itself: what
        # it sends, it receives on the socket it was started with)
        conn = Conn(self, addr(a))
        ch = fetch_challenge(conn)
        self.assertEqual(conn.send("GET", "/", B.authorization("GET", "/", ch, 1)).status, 200)
        st = wait_peer_stats(a, sent=1, not_newer=1)
        self.assertEqual((st["sent"], st["applied"]), (1, 0), st)


if __name__ == "__main__":
    unittest.main(verbosity=2)

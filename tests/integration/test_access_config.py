"""The access layer's edges: every authentication failure path (Digest
SHA-256 and MD5, Basic, client certificates), rate limits and connection
limits, Cache-Control/Vary on every kind of answer, the audit log and its
no-address rule, SIGUSR1 counters, `altod --hash-password`, reloading the
access section, and every fail-closed configuration error with its line.

Served maps: RFC 7285's example (conf/maps/example.yaml)."""

import http.client
import os
import re
import signal
import socket
import ssl
import threading
import time
import unittest

import altodtest as at
import isoutil as iu
import tlsutil
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_DIRECTORY, MT_ENDPOINTCOSTPARAMS, MT_ENDPOINTPROPPARAMS,
                       MT_NETWORKMAP, MT_NETWORKMAPFILTER)

PKI = tlsutil.ModulePki(iu.make_pki)
setUpModule, tearDownModule = PKI.setup, PKI.cleanup

NM = "my-default-network-map"
ALL = [NM, NM + "-filtered-networkmap", NM + "-num-routingcost", NM + "-ord-routingcost",
       NM + "-num-hopcount", NM + "-ord-hopcount", NM + "-filtered-costmap", NM + "-endpoint-cost",
       "endpoint-property", "update-stream"]
SECRET = "access-config-secret-0123456789"
PW = {"tenant-b": "b-password", "tenant-s": "s-password", "tenant-h": "h pass: word", "tenant-r": "r-password"}
COSTMAP = "/costmap/%s/routingcost/numerical" % NM
NETMAP = "/networkmap/%s" % NM
EPROP_BODY = {"properties": [NM + ".pid"], "endpoints": ["ipv4:192.0.2.34"]}




def tree(testcase, access, https=True, client_auth="optional", limits=None, maps_text=None):
    d = at.make_tree(testcase, {
        "maps/example.yaml": maps_text or at.read_example_maps(),
        "altod.yaml": iu.server_yaml(PKI, https=https, client_auth=client_auth, limits=limits,
                                     maps=("maps/example.yaml",)) + access,
    })
    return d


def start(testcase, access, **kw):
    return at.start_altod_in(testcase, tree(testcase, access, **kw))


def rewrite(a, access, https=True):
    path = os.path.join(a.dir, "altod.yaml")
    with open(path + ".new", "w") as f:
        f.write(iu.server_yaml(PKI, https=https, maps=("maps/example.yaml",)) + access)
    os.replace(path + ".new", path)


def http_session(testcase, a, auth=None):
    s = iu.Session(*iu.listener(a, "http"), auth=auth)
    testcase.addCleanup(s.close)
    return s


def https_session(testcase, a, cert=None, auth=None):
    s = iu.Session(*iu.listener(a, "https"), scheme="https", ssl_context=PKI.client_context(cert), auth=auth)
    testcase.addCleanup(s.close)
    return s


def digest(user, alg="SHA-256", password=None):
    return iu.DigestAuth(user, password if password is not None else PW[user], alg)


def challenge(session, method="GET", path="/"):
    """A fresh Digest challenge pair {algorithm: challenge} for (method, path)."""
    r = session.exchange(method, path, headers={
        "Authorization": 'Digest username="x", realm="x", nonce="probe", uri="%s", response="0"' % path})
    assert r.status == 401, r
    return {c["algorithm"].lower(): c for c in iu.parse_challenges(r.header_all("WWW-Authenticate"))
            if c["scheme"] == "digest"}


def ids_of(r):
    return without_tips(r.json()["resources"])


def without_tips(resources):
    """The resource ids of a directory but TIPS (RFC 9569), which must be
    there exactly when a network or cost map is, and cover exactly those."""
    maps = {rid for rid, e in resources.items()
            if e["media-type"] in (MT_NETWORKMAP, MT_COSTMAP) and "accepts" not in e}
    if ("tips" in resources) != bool(maps):
        raise AssertionError("TIPS offered %s, maps %r" % ("tips" in resources, maps))
    if maps and set(resources["tips"]["uses"]) != maps:
        raise AssertionError("TIPS covers %r, not the maps %r" % (resources["tips"]["uses"], maps))
    return set(resources) - {"tips"}


def sigusr1_stats(a):
    """SIGUSR1; this dump's per-client lines (all in once the server line
    after them, `connections cut off:`, is)."""
    mark = a.log_count()
    a.send_signal(signal.SIGUSR1)
    a.wait_for_log(r"server: connections cut off: ", after=mark)
    return [ln for ln in a.stderr_lines[mark:] if "stats:" in ln]


def poll_stats(a, done):
    """sigusr1_stats(a) until done(lines), at most LOG_TIMEOUT (liveness);
    the last lines either way (the caller asserts on them)."""
    deadline = time.monotonic() + at.LOG_TIMEOUT
    while True:
        st = sigusr1_stats(a)
        if done(st) or time.monotonic() > deadline:
            return st
        time.sleep(0.1)


class AccessTestCase(at.AltodTestCase):
    def assertPrivate(self, r):
        self.assertEqual(r.header_all("Cache-Control"), ["private"], r)
        self.assertIn("Authorization", iu.vary_fields(r), r)

    def assertUnauthorized(self, r, basic=False, stale=False, head=False):
        """401, text/plain, the two Digest challenges (SHA-256 first, then
        MD5, names spelt as RFC 7616 spells them; qop auth; realm altod),
        Basic only over TLS."""
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.content_type, "text/plain; charset=utf-8", r)
        if not head:
            self.assertEqual(r.body, b"Unauthorized\n")
        self.assertPrivate(r)
        chs = iu.parse_challenges(r.header_all("WWW-Authenticate"))
        want = [("digest", "SHA-256"), ("digest", "MD5")] + ([("basic", None)] if basic else [])
        self.assertEqual([(c["scheme"], c.get("algorithm")) for c in chs], want, r)
        for c in chs:
            self.assertEqual(c["realm"], "altod")
            if c["scheme"] == "digest":
                self.assertEqual(c["qop"], "auth")
                self.assertRegex(c["nonce"], r"^[0-9a-f]{40,}$")
                self.assertEqual(c.get("stale"), "true" if stale else None, r)
        if basic:
            self.assertIn('charset="UTF-8"', r.header_all("WWW-Authenticate")[2])
        return chs


def roles_access(anonymous=False, extra=None, clients=None):
    c = {
        "tenant-a": {"certificate": {"subject": "CN=tenant-a"}, "roles": ["full"]},
        "tenant-b": {"password": iu.password_entry("tenant-b", PW["tenant-b"]), "roles": ["full"]},
        # SHA-256 only: MD5 answers must fail
        "tenant-s": {"password": iu.password_entry("tenant-s", PW["tenant-s"], md5=False), "roles": ["small"]},
        # every key given must match: tenant-m's certificate has the subject, not this fingerprint
        "tenant-m": {"certificate": {"subject": "CN=tenant-m", "sha256": PKI.sha256("stranger")},
                     "roles": ["full"]},
        "tenant-d": {"certificate": {"san": "ops@tenant-d.example"}, "roles": ["dee"]},
    }
    c.update(clients or {})
    return iu.access_yaml(secret=SECRET, clients=c, roles={
        "full": ALL, "small": [NM], "dee": [NM, NM + "-num-hopcount"], "public": [NM, "endpoint-property"]},
        anonymous_role="public" if anonymous else None,
        extra=dict({"rate": 0, "auth-failures": iu.NO_AUTH_THROTTLE}, **(extra or {})))


class SharedAltod(AccessTestCase):
    """One altod for the whole class, on roles_access(anonymous=ANONYMOUS)."""

    ANONYMOUS = False

    @classmethod
    def setUpClass(cls):
        cls._holder = at.class_holder(cls)
        cls.altod = start(cls._holder, roles_access(anonymous=cls.ANONYMOUS))


# ---------------------------------------------------------------- authentication

class Authentication(SharedAltod):

    def test_no_credentials(self):
        """Without credentials (and no anonymous role): 401 for every method
        and URI, existing or not, alike; Basic is offered over TLS only."""
        for basic, s in ((False, http_session(self, self.altod)), (True, https_session(self, self.altod))):
            seen = []
            for method, path, body, ctype in (("GET", "/", None, None), ("GET", "/no-such", None, None),
                                              ("HEAD", NETMAP, None, None), ("OPTIONS", "/", None, None),
                                              ("POST", "/endpointprop", EPROP_BODY, MT_ENDPOINTPROPPARAMS),
                                              ("POST", "/nowhere", EPROP_BODY, MT_ENDPOINTPROPPARAMS)):
                with self.subTest(basic=basic, method=method, path=path):
                    r = s.exchange(method, path, body, {"Content-Type": ctype} if ctype else {})
                    self.assertUnauthorized(r, basic=basic, head=method == "HEAD")
                    seen.append((method, iu.normalized(r)))
            by_method = {}
            for method, n in seen:
                by_method.setdefault(method, set()).add(repr(n))
            for method, variants in by_method.items():
                self.assertEqual(len(variants), 1, (method, variants))

    def test_digest_sha256_and_md5(self):
        for alg in ("SHA-256", "MD5"):
            with self.subTest(alg=alg):
                s = http_session(self, self.altod, digest("tenant-b", alg))
                r = s.get("/")
                self.assertOk(r, MT_DIRECTORY)
                self.assertEqual(ids_of(r), set(ALL))
                self.assertPrivate(r)
                # the nonce serves again with the next nc
                self.assertOk(s.get("/"), MT_DIRECTORY)
        # no algorithm parameter means MD5 (RFC 7616 §3.3)
        s = http_session(self, self.altod)
        ch = challenge(s)["md5"]
        auth = digest("tenant-b", "MD5").authorization("GET", "/", ch, 1)
        auth = re.sub(r", algorithm=MD5", "", auth)
        self.assertNotIn("algorithm", auth)
        self.assertOk(s.exchange("GET", "/", headers={"Authorization": auth}), MT_DIRECTORY)

    def test_wrong_password_unknown_user_wrong_realm(self):
        """Every credential that does not verify: 401, and an unknown user
        looks exactly like a wrong password."""
        s = http_session(self, self.altod)
        chs = challenge(s)
        cases = {
            "wrong password": iu.DigestAuth("tenant-b", "nope", "SHA-256"),
            "unknown user": iu.DigestAuth("tenant-zz", "nope", "SHA-256"),
            "wrong realm": iu.DigestAuth("tenant-b", PW["tenant-b"], "SHA-256", realm="other-realm"),
            "wrong password md5": iu.DigestAuth("tenant-b", "nope", "MD5"),
            "unknown user md5": iu.DigestAuth("tenant-zz", "nope", "MD5"),
            "md5 for a client without an md5 secret": iu.DigestAuth("tenant-s", PW["tenant-s"], "MD5"),
            "known user, empty password": iu.DigestAuth("tenant-b", "", "SHA-256"),
        }
        got = {}
        for nc, (label, auth) in enumerate(cases.items(), 1):
            with self.subTest(label):
                ch = chs[auth.algorithm.lower()]
                r = s.exchange("GET", "/", headers={"Authorization": auth.authorization("GET", "/", ch, nc)})
                self.assertUnauthorized(r)
                got[label] = iu.normalized(r)
        self.assertEqual(got["unknown user"], got["wrong password"])
        self.assertEqual(got["unknown user md5"], got["wrong password md5"])
        self.assertEqual(len({repr(v) for v in got.values()}), 1)
        # and the right password on the same challenge still works
        ok = digest("tenant-b").authorization("GET", "/", chs["sha-256"], 99)
        self.assertOk(s.exchange("GET", "/", headers={"Authorization": ok}), MT_DIRECTORY)

    def test_stale_and_garbled_nonces(self):
        s = http_session(self, self.altod)
        b = digest("tenant-b")
        mine = challenge(s, "GET", "/")["sha-256"]
        other = challenge(s, "GET", NETMAP)["sha-256"]
        # a nonce is bound to no URI: one issued on another URI serves too
        self.assertOk(s.exchange("GET", "/", headers={"Authorization": b.authorization("GET", "/", other, 1)}),
                      MT_DIRECTORY)
        # a nonce of an old server's form (libmicrohttpd's), from the far
        # past or the far future: not altod's, so not stale either
        for forged in ("0" * 64 + "00000000", "f" * 64 + "ffffffff"):
            with self.subTest(forged=forged):
                ch = dict(mine, nonce=forged)
                r = s.exchange("GET", "/", headers={"Authorization": b.authorization("GET", "/", ch, 1)})
                self.assertUnauthorized(r, stale=False)
        # a replayed nc: refused
        self.assertOk(s.exchange("GET", "/", headers={"Authorization": b.authorization("GET", "/", mine, 5)}),
                      MT_DIRECTORY)
        r = s.exchange("GET", "/", headers={"Authorization": b.authorization("GET", "/", mine, 5)})
        self.assertUnauthorized(r)
        # garbled answers
        for label, value in (
                ("nonce not of the server's form", b.authorization("GET", "/", dict(mine, nonce="garbled"), 1)),
                ("no response", re.sub(r', response="[0-9a-f]+"', "", b.authorization("GET", "/", mine, 7))),
                ("wrong response", b.authorization("GET", "/", mine, 8, response="0" * 64)),
                ("uri of another resource", b.authorization("GET", NETMAP, mine, 9)),
                ("Digest and nothing else", "Digest"),
                ("Digest with garbage", "Digest @@@,,,==="),
                ("another scheme", "Bearer abc.def.ghi"),
                ("empty", "")):
            with self.subTest(label):
                r = s.exchange("GET", "/", headers={"Authorization": value})
                self.assertEqual(r.status, 401, r)
                self.assertUnauthorized(r, stale=r.header("WWW-Authenticate", "").endswith('stale="true"'))

    def test_basic_only_over_tls(self):
        basic = iu.basic_authorization
        # the right password in clear text over HTTP: refused
        r = http_session(self, self.altod).exchange("GET", "/", headers={
            "Authorization": basic("tenant-b", PW["tenant-b"])})
        self.assertUnauthorized(r, basic=False)
        s = https_session(self, self.altod)
        r = s.exchange("GET", "/", headers={"Authorization": basic("tenant-b", PW["tenant-b"])})
        self.assertOk(r, MT_DIRECTORY)
        self.assertEqual(ids_of(r), set(ALL))
        # an SHA-256-only client works with Basic
        r = s.exchange("GET", "/", headers={"Authorization": basic("tenant-s", PW["tenant-s"])})
        self.assertOk(r, MT_DIRECTORY)
        self.assertEqual(ids_of(r), {NM, "update-stream"})
        wrong = s.exchange("GET", "/", headers={"Authorization": basic("tenant-b", "nope")})
        unknown = s.exchange("GET", "/", headers={"Authorization": basic("tenant-zz", "nope")})
        self.assertUnauthorized(wrong, basic=True)
        self.assertEqual(iu.normalized(wrong), iu.normalized(unknown))
        for bad in ("Basic", "Basic !!!notbase64", "Basic " + "dGVuYW50LWI="):  # "tenant-b", no colon
            with self.subTest(bad):
                self.assertUnauthorized(s.exchange("GET", "/", headers={"Authorization": bad}), basic=True)
        # Digest works over TLS too
        self.assertOk(https_session(self, self.altod, auth=digest("tenant-b")).get("/"), MT_DIRECTORY)

    def test_bad_certificates_rejected_at_handshake(self):
        """A certificate the client CA did not sign, or not for client
        authentication, ends the handshake: no HTTP answer at all."""
        host, port = iu.listener(self.altod, "https")
        for name in ("rogue", "roguesigned", "wrongeku"):
            for maxv in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
                with self.subTest(cert=name, tls=maxv):
                    ctx = PKI.client_context(name)
                    ctx.maximum_version = maxv
                    data, handshake = b"", False
                    raw = socket.create_connection((host, port), timeout=at.IO_TIMEOUT)
                    s = None
                    try:
                        s = ctx.wrap_socket(raw, server_hostname=host)
                        handshake = True
                        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        while True:
                            d = s.recv(65536)
                            if not d:
                                break
                            data += d
                    except (ssl.SSLError, OSError):
                        pass
                    finally:
                        if s is not None:
                            s.close()
                        raw.close()
                    self.assertEqual(data, b"")
                    if maxv == ssl.TLSVersion.TLSv1_2:
                        self.assertFalse(handshake)
        self.altod.wait_for_log(r"client certificate refused")

    def test_certificates_that_name_no_client(self):
        """A verified certificate that matches no client (not configured at
        all, or matching only some of a client's keys) is no identity:
        without an anonymous role, 401."""
        for cert in ("stranger", "tenantm"):
            with self.subTest(cert=cert):
                self.assertUnauthorized(https_session(self, self.altod, cert).get("/"), basic=True)

    def test_certificates_need_the_listeners_client_ca(self):
        """On an HTTPS listener without client-ca no certificate is verified,
        so none identifies a client."""
        a = start(self, roles_access(), client_auth=None)
        self.assertUnauthorized(https_session(self, a, "client").get("/"), basic=True)
        r = https_session(self, a, auth=iu.BasicAuth("tenant-b", PW["tenant-b"])).get("/")
        self.assertOk(r, MT_DIRECTORY)

    def test_certificate_identities(self):
        r = https_session(self, self.altod, "client").get("/")  # subject CN=tenant-a
        self.assertEqual(ids_of(r), set(ALL))
        r = https_session(self, self.altod, "tenantd").get("/")  # e-mail subjectAltName
        self.assertEqual(ids_of(r), {NM, NM + "-num-hopcount", "update-stream"})

    def test_credentials_with_a_certificate_must_verify(self):
        """A verified certificate (tenant-a) plus an Authorization header:
        the header must verify and name the same client. A wrong password,
        or another client's right one, is 401, never tenant-a."""
        for auth in (iu.BasicAuth("tenant-s", PW["tenant-s"]), iu.BasicAuth("tenant-s", "wrong"),
                     iu.BasicAuth("tenant-a", "wrong"), digest("tenant-b", password="wrong"), digest("tenant-b")):
            with self.subTest(auth=type(auth).__name__, user=auth.user, password=auth.password):
                r = https_session(self, self.altod, "client", auth).get("/")
                self.assertUnauthorized(r, basic=True)
        # without an Authorization header, the certificate alone still names tenant-a
        r = https_session(self, self.altod, "client").get("/")
        self.assertOk(r, MT_DIRECTORY)
        self.assertEqual(ids_of(r), set(ALL))
        # a client with a certificate and a password: both may come, naming it
        both = start(self, roles_access(clients={"tenant-a": {
            "certificate": {"subject": "CN=tenant-a"}, "password": iu.password_entry("tenant-a", "a-password"),
            "roles": ["small"]}}))
        for auth in (iu.BasicAuth("tenant-a", "a-password"), iu.DigestAuth("tenant-a", "a-password")):
            with self.subTest(both=type(auth).__name__):
                r = https_session(self, both, "client", auth).get("/")
                self.assertOk(r, MT_DIRECTORY)
                self.assertEqual(ids_of(r), {NM, "update-stream"})
        self.assertUnauthorized(https_session(self, both, "client", iu.BasicAuth("tenant-a", "no")).get("/"),
                                basic=True)

    def test_identity_is_per_request_on_a_kept_connection(self):
        """On one keep-alive connection, a request without credentials after
        an authenticated one is not served as the earlier client."""
        s = http_session(self, self.altod, digest("tenant-b"))
        self.assertOk(s.get(COSTMAP), MT_COSTMAP)
        conn = s._conn
        self.assertUnauthorized(s.exchange("GET", COSTMAP))
        self.assertUnauthorized(s.exchange("GET", COSTMAP, headers={
            "Authorization": iu.basic_authorization("tenant-b", PW["tenant-b"])}))
        self.assertOk(s.get(COSTMAP), MT_COSTMAP)
        self.assertIs(s._conn, conn, "the connection was not kept")


class AnonymousAccess(SharedAltod):
    ANONYMOUS = True

    def test_anonymous_catalog(self):
        anon = {NM, "endpoint-property", "update-stream"}
        for label, s in (("http", http_session(self, self.altod)), ("https", https_session(self, self.altod)),
                         ("unconfigured certificate", https_session(self, self.altod, "stranger")),
                         ("partly matching certificate", https_session(self, self.altod, "tenantm"))):
            with self.subTest(label):
                r = s.get("/")
                self.assertOk(r, MT_DIRECTORY)
                self.assertEqual(ids_of(r), anon)
                self.assertPrivate(r)
                self.assertOk(s.post("/endpointprop", EPROP_BODY, MT_ENDPOINTPROPPARAMS), at.MT_ENDPOINTPROP)

    def test_outside_the_anonymous_catalog_401_whether_it_exists_or_not(self):
        for basic, s in ((False, http_session(self, self.altod)), (True, https_session(self, self.altod))):
            for method in ("GET", "HEAD", "OPTIONS", "POST"):
                with self.subTest(basic=basic, method=method):
                    a = s.exchange(method, COSTMAP, b"{}", {"Content-Type": MT_COSTMAPFILTER})
                    b = s.exchange(method, "/costmap/%s/latency/numerical" % NM, b"{}",
                                   {"Content-Type": MT_COSTMAPFILTER})
                    self.assertUnauthorized(a, basic=basic, head=method == "HEAD")
                    self.assertEqual(iu.normalized(a), iu.normalized(b))
        # and the client behind it gets in after the challenge
        self.assertOk(http_session(self, self.altod, digest("tenant-b")).get(COSTMAP), MT_COSTMAP)

    def test_bad_credentials_are_not_served_anonymously(self):
        s = http_session(self, self.altod)
        for value in ("Bearer x", iu.basic_authorization("tenant-b", PW["tenant-b"]),
                      'Digest username="tenant-b", realm="altod", nonce="x", uri="/", response="0"'):
            with self.subTest(value):
                self.assertUnauthorized(s.exchange("GET", "/", headers={"Authorization": value}))


# ---------------------------------------------------------------- limits

class Limits(AccessTestCase):
    @classmethod
    def setUpClass(cls):
        cls._holder = at.class_holder(cls)
        # A token back every 1,000 s (the section's default and tenant-b's):
        # a burst is exhausted however slowly this machine sends it.
        # tenant-r's 1/s is for recovery, which a test waits for.
        access = roles_access(anonymous=True, extra={"rate": 0.001, "burst": 4, "max-connections": 3}, clients={
            "tenant-b": {"password": iu.password_entry("tenant-b", PW["tenant-b"]), "roles": ["full"],
                         "rate": 0.001, "burst": 3},
            "tenant-r": {"password": iu.password_entry("tenant-r", PW["tenant-r"]), "roles": ["full"],
                         "rate": 1, "burst": 1},
            "tenant-m": {"certificate": {"subject": "CN=tenant-m"}, "roles": ["full"], "max-connections": 2,
                         "rate": 1000, "burst": 1000},
            "tenant-e": {"certificate": {"sha256": PKI.sha256("tenante")}, "roles": ["full"]},
        })
        cls.altod = start(cls._holder, access.replace("  rate: 0\n", ""))

    def assertLimited(self, r, text="Too Many Requests\n"):
        self.assertEqual(r.status, 429, r)
        self.assertEqual(r.body, text.encode())
        self.assertEqual(r.content_type, "text/plain; charset=utf-8")
        self.assertRegex(r.header("Retry-After", ""), r"^[1-9][0-9]*$")
        self.assertPrivate(r)
        return int(r.header("Retry-After"))

    def test_rate_limit(self):
        """tenant-b: burst 3 (its own), a token back every 1,000 s: the 4th
        request gets 429 with a Retry-After of at most 1,000 s, and so does
        the 5th (a POST). The Digest challenges (401s) take no token."""
        s = http_session(self, self.altod, digest("tenant-b"))
        mark = self.altod.log_count()
        for i in range(3):
            with self.subTest(i=i):
                self.assertOk(s.get("/"), MT_DIRECTORY)
        self.assertEqual(s.probes, 1)
        wait = self.assertLimited(s.get("/"))
        self.assertLessEqual(wait, 1000)  # (1 - tokens) / rate, tokens >= 0
        self.assertLimited(s.post("/endpointprop", EPROP_BODY, MT_ENDPOINTPROPPARAMS))
        lines = iu.wait_for_count(self.altod, r"audit: client=tenant-b .*status=429", 2, after=mark)
        self.assertEqual(len(lines), 2, lines)

    def test_rate_limit_then_recovery(self):
        """tenant-r: 1 request/s, burst 1: once a request gets 429, its
        Retry-After (at most 1 s) is enough: after waiting that long, the
        next request is served. A token comes back between two requests if
        this machine stalls, so requests go on until one is limited (for up
        to the I/O timeout: a liveness bound); the wait after it is a lower
        bound, which no stall can make too short."""
        s = http_session(self, self.altod, digest("tenant-r"))
        mark = self.altod.log_count()
        self.assertOk(s.get("/"), MT_DIRECTORY)  # the burst: a full bucket
        deadline = time.monotonic() + at.IO_TIMEOUT
        while True:
            r = s.get("/")
            if r.status != 200 or time.monotonic() > deadline:
                break
            self.assertOk(r, MT_DIRECTORY)
        wait = self.assertLimited(r)
        self.assertLessEqual(wait, 1)  # (1 - tokens) / rate, tokens >= 0
        time.sleep(wait)
        self.assertOk(s.get("/"), MT_DIRECTORY)
        lines = iu.wait_for_count(self.altod, r"audit: client=tenant-r .*status=429", 1, after=mark)
        self.assertEqual(len(lines), 1, lines)

    def test_default_rate_for_clients_without_their_own(self):
        """The access section's rate (a token every 1,000 s), burst 4
        applies to the anonymous client."""
        s = http_session(self, self.altod)
        for i in range(4):
            self.assertOk(s.get("/"), MT_DIRECTORY)
        self.assertLimited(s.get("/"))

    def https_conn(self, cert):
        c = http.client.HTTPSConnection(*iu.listener(self.altod, "https"), timeout=at.IO_TIMEOUT,
                                        context=PKI.client_context(cert))
        self.addCleanup(c.close)
        return c

    def get_on(self, conn, path="/"):
        conn.request("GET", path)
        r = conn.getresponse()
        return at.Response(r.status, r.reason, r.getheaders(), r.read())

    def test_max_connections_of_a_client(self):
        """tenant-m may hold 2 connections: the 3rd gets 429 until one of the
        others closes."""
        c1, c2, c3 = self.https_conn("tenantm"), self.https_conn("tenantm"), self.https_conn("tenantm")
        self.assertOk(self.get_on(c1), MT_DIRECTORY)
        self.assertOk(self.get_on(c2), MT_DIRECTORY)
        self.assertLimited(self.get_on(c3), "Too Many Requests: too many connections\n")
        self.assertLimited(self.get_on(c3), "Too Many Requests: too many connections\n")
        with self.subTest("the connections within the limit keep working"):
            # the 429 belongs to the connection that exceeds the limit
            self.assertOk(self.get_on(c2), MT_DIRECTORY)
        c1.close()
        deadline = time.monotonic() + at.LOG_TIMEOUT  # liveness: altod sees the close
        while True:
            r = self.get_on(c3)
            if r.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertOk(r, MT_DIRECTORY)

    def test_default_max_connections(self):
        """tenant-e has no limit of its own: the access section's 3."""
        conns = [self.https_conn("tenante") for _ in range(4)]
        for c in conns[:3]:
            self.assertOk(self.get_on(c), MT_DIRECTORY)
        self.assertLimited(self.get_on(conns[3]), "Too Many Requests: too many connections\n")


    def test_a_client_named_anonymous_has_its_own_limits(self):
        """A configured client named "anonymous" is not the anonymous users:
        either the name is refused, or draining its own token bucket leaves
        the anonymous users (whose limits are the section's: 1/s, burst 5)
        served."""
        def access(name):
            # a token back every 1,000 s: the 3rd request is limited
            # however slowly this machine sends the first two
            return roles_access(anonymous=True, extra={"rate": 1, "burst": 5}, clients={
                name: {"password": iu.password_entry("tenant-x", "x-password"), "roles": ["full"],
                       "rate": 0.001, "burst": 2}})
        self.assertEqual(at.check_config(os.path.join(tree(self, access("tenant-x")), "altod.yaml")), (0, "ok\n"))
        d = tree(self, access("anonymous"))
        code, out = at.check_config(os.path.join(d, "altod.yaml"))
        if code != 0:  # refused: the only difference is the name
            self.assertIn("'anonymous'", out)
            return
        a = at.start_altod_in(self, d)
        tenant = http_session(self, a, iu.DigestAuth("tenant-x", "x-password"))
        self.assertEqual([tenant.get("/").status for _ in range(3)], [200, 200, 429])
        anon = http_session(self, a)
        self.assertEqual([anon.get("/").status for _ in range(3)], [200, 200, 200])


# ---------------------------------------------------------------- password guessing

# tight and, within a test's few seconds, constant limits (a token comes
# back every 1,000 s): the counts below are exact
GUESS_LIMITS = {"per-user": {"rate": 0.001, "burst": 10}, "per-address": {"rate": 0.001, "burst": 5}}
THROTTLED = b"Too Many Requests: too many failed authentications\n"


class BoundSession(iu.Session):
    """A Session whose connections come from `source` (127.0.0.0/8 is all
    loopback on Linux: each address is another peer for altod)."""

    def __init__(self, *args, source="127.0.0.1", **kw):
        super().__init__(*args, **kw)
        self.source = source

    def _new_conn(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=at.IO_TIMEOUT, context=self.ssl_context,
                                               source_address=(self.source, 0))
        return http.client.HTTPConnection(self.host, self.port, timeout=at.IO_TIMEOUT,
                                          source_address=(self.source, 0))


class Guessing(AccessTestCase):
    """Issue 10 §3: 2,000 wrong guesses against a client limited to rate 1,
    burst 1 all got 401 in 0.2 s, and the right password then got 200.
    Failed authentications are limited per peer address and per claimed
    user before any password is checked (access.auth-failures)."""

    def start_guessing(self, limits=GUESS_LIMITS, anonymous=False, extra=None):
        x = {"auth-failures": limits}
        x.update(extra or {})
        return start(self, roles_access(anonymous=anonymous, extra=x, clients={
            "tenant-b": {"password": iu.password_entry("tenant-b", PW["tenant-b"]), "roles": ["full"],
                         "rate": 1, "burst": 1}}))

    def session(self, a, source="127.0.0.1", scheme="http"):
        s = BoundSession(*iu.listener(a, scheme), scheme=scheme,
                         ssl_context=PKI.client_context() if scheme == "https" else None, source=source)
        self.addCleanup(s.close)
        return s

    def fresh_challenge(self, s):
        """A SHA-256 challenge from a request without credentials (which
        counts as no failure)."""
        r = s.exchange("GET", "/")
        self.assertEqual(r.status, 401, r)
        return iu.digest_challenge(r, "SHA-256")

    def digest_get(self, s, user, password, nc=1):
        ch = self.fresh_challenge(s)
        auth = iu.DigestAuth(user, password).authorization("GET", "/", ch, nc)
        return s.exchange("GET", "/", headers={"Authorization": auth})

    def assertThrottled(self, r):
        self.assertEqual(r.status, 429, r)
        self.assertEqual(r.body, THROTTLED)
        self.assertRegex(r.header("Retry-After", ""), r"^[1-9][0-9]*$")
        self.assertLessEqual(int(r.header("Retry-After")), 1000)
        self.assertPrivate(r)

    def test_digest_guesses_from_one_address(self):
        """2,000 wrong Digest answers from one address, for the client and
        for fake names: the first 5 (the per-address burst) get 401, the
        rest 429 with an audit line each; then the right password from that
        address gets 429 too (no password is checked), and from another
        address 200 (the client's own bucket still has tokens)."""
        a = self.start_guessing()
        s = self.session(a)
        ch = self.fresh_challenge(s)
        mark = a.log_count()
        statuses = []
        for i in range(2000):
            user = "tenant-b" if i % 2 == 0 else "fake-%d" % i
            auth = iu.DigestAuth(user, "guess-%d" % i).authorization("GET", "/", ch, i + 1)
            r = s.exchange("GET", "/", headers={"Authorization": auth})
            statuses.append(r.status)
        self.assertEqual(statuses[:5], [401] * 5)
        self.assertEqual(statuses[5:], [429] * 1995)
        self.assertThrottled(r)
        lines = iu.wait_for_count(a, r"audit: client=\? resource=- status=429 .* limited=auth-failures-per-address$",
                                  1995, after=mark)
        self.assertEqual(len(lines), 1995)
        self.assertThrottled(self.digest_get(s, "tenant-b", PW["tenant-b"]))
        self.assertOk(self.digest_get(self.session(a, "127.0.0.2"), "tenant-b", PW["tenant-b"]), MT_DIRECTORY)

    def test_digest_guesses_from_many_addresses(self):
        """Guesses for one user spread over addresses (2 each, under the
        per-address burst): after 10 (the per-user burst) every request
        claiming that user gets 429, the right password included, from any
        address; another user is not affected."""
        a = self.start_guessing()
        statuses = []
        for k in range(8):
            s = self.session(a, "127.0.1.%d" % (k + 1))
            for i in range(2):
                statuses.append(self.digest_get(s, "tenant-b", "guess-%d-%d" % (k, i)).status)
        self.assertEqual(statuses, [401] * 10 + [429] * 6)
        mark = a.log_count()
        fresh = self.session(a, "127.0.2.1")
        self.assertThrottled(self.digest_get(fresh, "tenant-b", PW["tenant-b"]))
        iu.wait_for_count(a, r"status=429 .* limited=auth-failures-per-user$", 1, after=mark)
        self.assertOk(self.digest_get(fresh, "tenant-s", PW["tenant-s"]), MT_DIRECTORY)

    def test_basic_guesses_over_tls(self):
        """The same with Basic, which only TLS listeners take."""
        a = self.start_guessing()
        s = self.session(a, scheme="https")
        statuses = [s.exchange("GET", "/", headers={"Authorization": iu.basic_authorization("tenant-b", "g%d" % i)})
                    .status for i in range(2000)]
        self.assertEqual(statuses[:5], [401] * 5)
        self.assertEqual(statuses[5:], [429] * 1995)
        right = {"Authorization": iu.basic_authorization("tenant-b", PW["tenant-b"])}
        self.assertThrottled(s.exchange("GET", "/", headers=right))
        self.assertOk(self.session(a, "127.0.0.2", "https").exchange("GET", "/", headers=right), MT_DIRECTORY)

    def test_concurrent_guesses_get_no_more_than_the_burst(self):
        """20 connections guessing at once: a token is taken before the
        password is checked, so exactly the burst (5) of 200 guesses are
        checked (401), never more."""
        a = self.start_guessing()
        sessions = [self.session(a, scheme="https") for _ in range(20)]
        statuses, errors = [], []
        lock = threading.Lock()

        def guess(s, k):
            try:
                for i in range(10):
                    st = s.exchange("GET", "/", headers={
                        "Authorization": iu.basic_authorization("tenant-b", "g%d-%d" % (k, i))}).status
                    with lock:
                        statuses.append(st)
            except Exception as e:  # reported below, with the statuses
                with lock:
                    errors.append(repr(e))
        threads = [threading.Thread(target=guess, args=(s, k)) for k, s in enumerate(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(sorted(statuses), [401] * 5 + [429] * 195)

    def test_unreadable_credentials_share_one_name(self):
        """Headers whose user cannot be read (another scheme, broken
        base64, a repeated username) all count under one shared name: no
        malformed variant escapes the per-user limit."""
        a = self.start_guessing({"per-user": {"rate": 0.001, "burst": 3}, "per-address": {"rate": 0}})
        statuses = []
        for k, value in enumerate(["Bearer abc", "Digest username=a, username=b", "Basic !!!", "Negotiate x",
                                   "Digest nonce=1"]):
            statuses.append(self.session(a, "127.0.3.%d" % (k + 1)).exchange(
                "GET", "/", headers={"Authorization": value}).status)
        self.assertEqual(statuses, [401, 401, 401, 429, 429])
        self.assertOk(self.digest_get(self.session(a, "127.0.3.9"), "tenant-b", PW["tenant-b"]), MT_DIRECTORY)

    def test_limits_off(self):
        """rate 0: no limit (as before)."""
        a = self.start_guessing(iu.NO_AUTH_THROTTLE)
        s = self.session(a)
        ch = self.fresh_challenge(s)
        for i in range(100):
            auth = iu.DigestAuth("tenant-b", "guess").authorization("GET", "/", ch, i + 1)
            self.assertEqual(s.exchange("GET", "/", headers={"Authorization": auth}).status, 401)
        self.assertOk(self.digest_get(s, "tenant-b", PW["tenant-b"]), MT_DIRECTORY)

    def test_reload_with_a_bad_limit_or_realm_keeps_serving(self):
        """A reload with an absurd rate or a bad realm fails with the
        file:line:column error; the old policy keeps serving."""
        a = self.start_guessing(anonymous=True)
        path = os.path.join(a.dir, "altod.yaml")
        with open(path) as f:
            good = f.read()
        self.assertIn("  rate: 0\n", good)
        for bad, message in ((good.replace("  rate: 0\n", "  rate: 1e-12\n"), "rate must be 0 (no limit)"),
                             (good.replace("  rate: 0\n", "  rate: 0\n  realm: 'a\"b'\n"), "realm must not hold")):
            with self.subTest(message):
                with open(path + ".new", "w") as f:
                    f.write(bad)
                os.replace(path + ".new", path)
                lines = a.reload(expect="failed")
                self.assertTrue(any(re.search(r"altod\.yaml:\d+:\d+: " + re.escape(message), ln) for ln in lines),
                                lines)
                self.assertOk(self.session(a).get(NETMAP), MT_NETWORKMAP)

    def test_anonymous_limited_per_address(self):
        """Anonymous requests: a bucket per peer address (the access
        section's rate and burst), not one shared by every anonymous
        client; the wait is in whole seconds."""
        a = self.start_guessing(anonymous=True, extra={"rate": 0.001, "burst": 2})
        for source in ("127.0.0.2", "127.0.0.3"):
            with self.subTest(source=source):
                s = self.session(a, source)
                self.assertEqual([s.get(NETMAP).status for _ in range(2)], [200, 200])
                r = s.get(NETMAP)
                self.assertEqual(r.status, 429, r)
                self.assertEqual(r.body, b"Too Many Requests\n")
                self.assertIn(int(r.header("Retry-After")), range(990, 1001))


# ---------------------------------------------------------------- Cache-Control and Vary

class PrivateAnswers(AccessTestCase):
    def test_every_kind_of_answer(self):
        """Cache-Control: private and Vary: Authorization on 200 (GET, HEAD,
        POST), 204, 400, 401, 404, 405, 406, 413, 415 and 429 (see Limits)."""
        a = start(self, roles_access(), limits={"max-request-body": 1000})
        s = https_session(self, a, "client")
        cases = [
            ("GET", NETMAP, None, {}, 200),
            ("HEAD", NETMAP, None, {}, 200),
            ("OPTIONS", NETMAP, None, {}, 204),
            ("POST", "/endpointprop", EPROP_BODY, {"Content-Type": MT_ENDPOINTPROPPARAMS}, 200),
            ("POST", "/endpointprop", "{not json", {"Content-Type": MT_ENDPOINTPROPPARAMS}, 400),
            ("POST", "/endpointprop", {"properties": ["x.pid"], "endpoints": ["ipv4:1.2.3.4"]},
             {"Content-Type": MT_ENDPOINTPROPPARAMS}, 400),
            ("GET", "/no-such", None, {}, 404),
            ("POST", NETMAP, "{}", {"Content-Type": MT_NETWORKMAPFILTER}, 405),
            ("GET", NETMAP, None, {"Accept": "text/html"}, 406),
            ("POST", "/endpointprop", "x" * 5000, {"Content-Type": MT_ENDPOINTPROPPARAMS}, 413),
            ("POST", "/endpointprop", "{}", {"Content-Type": "application/json"}, 415),
            ("BREW", NETMAP, None, {}, 501),
        ]
        for method, path, body, headers, status in cases:
            with self.subTest(method=method, path=path, status=status):
                r = s.request(method, path, body, headers)
                self.assertEqual(r.status, status, r)
                self.assertPrivate(r)
        self.assertPrivate(http_session(self, a).get("/"))  # 401
        sock = a.socket()  # no Host: altod's own 400
        self.addCleanup(sock.close)
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
        r = at.recv_answer(sock)  # the first byte within the I/O timeout: a liveness bound
        self.assertRegex(r, rb"^HTTP/1\.1 400 ")
        self.assertIn(b"Cache-Control: private", r)

    def test_libmicrohttpd_own_error_pages(self):
        """docs/isolation.md's claim, pinned: the pages libmicrohttpd 0.9.75
        writes itself, before altod sees the request (400 for a malformed
        header line, 505 for an unknown HTTP version, 431 past its
        connection memory), are its fixed HTML with Connection: close, name
        no tenant, carry no Cache-Control and get no audit line. This test
        fails when one of them starts to reach altod (then it must carry
        altod's headers) or changes its shape."""
        a = start(self, roles_access(anonymous=True))
        mark = a.log_count()
        cases = [
            (b"GET / HTTP/1.1\r\nHost: x\r\nBadLine\r\n\r\n", 400, b"Request malformed"),
            (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, b"Requested HTTP version is not supported"),
            (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 40000 + b"\r\n\r\n", 431, b"Request too big"),
        ]
        for data, status, title in cases:
            with self.subTest(status=status):
                r, _ = at.parse_one_response(a.raw(data))
                self.assertEqual(r.status, status, r)
                self.assertEqual(r.header("Connection"), "close")
                self.assertIsNone(r.header("Cache-Control"))
                self.assertIn(b"<title>" + title + b"</title>", r.body)
                for word in (b"tenant", NM.encode(), b"anonymous"):
                    self.assertNotIn(word, r.body)
        # a request altod sees gets its audit line; those three got none
        self.assertEqual(http_session(self, a).get("/").status, 200)
        a.wait_for_log(r"audit: client=anonymous resource=directory status=200", after=mark)
        with a._lock:
            audits = [ln for ln in a.stderr_lines[mark:] if "audit:" in ln]
        self.assertEqual(len(audits), 1, audits)

    # endpoint addresses sent in bodies: none may reach the log (§15.4)
    SECRET_ADDRESSES = ["ipv4:192.0.2.77", "ipv4:198.51.100.201", "ipv6:2001:db8:0:7a7::1", "ipv4:203.0.113.99"]

    def test_one_line_per_request(self):
        """client, resource, status, bytes (the body length) and ms, for
        every outcome; never an endpoint address or a request body."""
        a = start(self, roles_access(anonymous=True))
        anon = http_session(self, a)
        b = http_session(self, a, digest("tenant-b"))
        cert = https_session(self, a, "client")
        stranger = https_session(self, a, "stranger")
        eprop = {"properties": [NM + ".pid"], "endpoints": self.SECRET_ADDRESSES, "x-marker": "BODY-MARKER-1"}
        ecost = {"cost-type": at.cost_type("routingcost", "numerical"),
                 "endpoints": {"srcs": self.SECRET_ADDRESSES[:2], "dsts": self.SECRET_ADDRESSES}, "x-marker": "BODY-MARKER-2"}
        steps = [  # session, method, path, body, content type, [(client, resource, status)] audit lines
            (anon, "GET", "/", None, None, [("anonymous", "directory", 200)]),
            (anon, "GET", NETMAP, None, None, [("anonymous", NM, 200)]),
            (anon, "HEAD", NETMAP, None, None, [("anonymous", NM, 200)]),
            (anon, "GET", COSTMAP, None, None, [("anonymous", "-", 401)]),
            (anon, "POST", "/endpointprop", eprop, MT_ENDPOINTPROPPARAMS, [("anonymous", "endpoint-property", 200)]),
            (b, "GET", "/", None, None, [("?", "-", 401), ("tenant-b", "directory", 200)]),
            # one nonce serves the client's later requests to any URI: no more 401s
            (b, "POST", "/endpointcost/" + NM, ecost, MT_ENDPOINTCOSTPARAMS,
             [("tenant-b", NM + "-endpoint-cost", 200)]),
            (b, "POST", "/costmap/%s/filtered" % NM, "{bad json " + self.SECRET_ADDRESSES[3], MT_COSTMAPFILTER,
             [("tenant-b", NM + "-filtered-costmap", 400)]),
            (b, "GET", "/no-such", None, None, [("tenant-b", "-", 404)]),
            (b, "POST", NETMAP, "{}", MT_NETWORKMAPFILTER, [("tenant-b", NM, 405)]),
            (cert, "GET", COSTMAP, None, None, [("tenant-a", NM + "-num-routingcost", 200)]),
            (cert, "OPTIONS", COSTMAP, None, None, [("tenant-a", NM + "-num-routingcost", 204)]),
            (stranger, "GET", "/", None, None, [("anonymous", "directory", 200)]),
        ]
        for session, method, path, body, ctype, want in steps:
            with self.subTest(method=method, path=path):
                mark = a.log_count()
                r = session.request(method, path, body, {"Content-Type": ctype} if ctype else {})
                lines = iu.wait_for_count(a, " audit: ", len(want), after=mark)
                time.sleep(0.02)
                lines = iu.audit_lines(a, mark)
                self.assertEqual(len(lines), len(want), lines)
                # a POST refused early closes its connection, and its line may
                # be written after the retried request's: compare as sets
                got = []
                for ln in lines:
                    m = iu.AUDIT_RE.search(ln)
                    self.assertIsNotNone(m, ln)
                    self.assertIsNone(m.group(6), ln)
                    self.assertGreaterEqual(float(m.group(5)), 0)
                    got.append(((m.group(1), m.group(2), int(m.group(3))), int(m.group(4))))
                self.assertEqual(sorted(g[0] for g in got), sorted(want), lines)
                final = [g for g in got if g[0] == want[-1]]
                if method != "HEAD":
                    self.assertEqual(final[0][1], len(r.body), (lines, r))
        # no request without credentials and no anonymous role: client "-"
        a2 = start(self, roles_access())
        mark = a2.log_count()
        http_session(self, a2).get("/")
        line = iu.wait_for_count(a2, " audit: ", 1, after=mark)[0]
        self.assertRegex(line, r"audit: client=- resource=- status=401 bytes=13 ms=")
        log = a.stderr()
        self.assertEqual(iu.addresses_in(log, self.SECRET_ADDRESSES), [])
        self.assertNotIn("BODY-MARKER", log)
        self.assertNotIn("bad json", log)

    def test_audit_off(self):
        a = start(self, roles_access(anonymous=True, extra={"audit": False}))
        s = http_session(self, a)
        for path in ("/", NETMAP, COSTMAP, "/no-such"):
            s.get(path)
        self.assertOk(s.get("/"), MT_DIRECTORY)
        # a request is counted when libmicrohttpd reports it complete, which
        # may be just after its answer reached the client: ask until it shows
        st = poll_stats(a, lambda st: any("stats: client=anonymous requests=5 " in ln for ln in st))
        self.assertTrue(any("stats: client=anonymous requests=5 " in ln for ln in st), st)
        self.assertEqual(iu.audit_lines(a), [])

    def test_stats_on_sigusr1(self):
        """Per-client counters: requests, ok, client errors, unauthorized,
        rate-limited, bytes; unidentified requests count for nobody."""
        access = roles_access(anonymous=True, extra={"rate": 1000, "burst": 1000}, clients={
            # a token back every 1000 s: the 6th and 7th requests are
            # limited however slowly this machine sends the first five
            "tenant-b": {"password": iu.password_entry("tenant-b", PW["tenant-b"]), "roles": ["full"],
                         "rate": 0.001, "burst": 5}})
        a = start(self, access.replace("  rate: 0\n", ""))
        b = http_session(self, a, digest("tenant-b"))
        anon = http_session(self, a)
        sizes = []
        for method, path, body, ctype, status in (
                ("GET", "/", None, None, 200), ("GET", NETMAP, None, None, 200), ("GET", COSTMAP, None, None, 200),
                ("GET", "/no-such", None, None, 404),
                ("POST", "/endpointprop", "[]", MT_ENDPOINTPROPPARAMS, 400),
                ("GET", "/", None, None, 429), ("GET", NETMAP, None, None, 429)):
            r = b.request(method, path, body, {"Content-Type": ctype} if ctype else {})
            self.assertEqual(r.status, status, r)
            sizes.append(len(r.body))
        r1, r2 = anon.get("/"), anon.get(COSTMAP)
        self.assertEqual((r1.status, r2.status), (200, 401))
        anon.exchange("GET", "/", headers={"Authorization": "Bearer x"})  # "?": no counters
        # requests are counted when libmicrohttpd reports them complete,
        # which may be just after the answer reached the client: asked
        # until all 7 + 2 show (then nothing more can come)
        stats = poll_stats(a, lambda st: any("stats: client=tenant-b requests=7 " in ln for ln in st)
                           and any("stats: client=anonymous requests=2 " in ln for ln in st))
        self.assertEqual(len(stats), 2, stats)
        line = [ln for ln in stats if "stats: client=tenant-b " in ln][0]
        self.assertRegex(line, r"stats: client=tenant-b requests=7 ok=3 client-errors=2 server-errors=0 "
                               r"unauthorized=0 rate-limited=2 bytes=%d connections=\d+$" % sum(sizes))
        line = [ln for ln in stats if "stats: client=anonymous " in ln][0]
        self.assertRegex(line, r"stats: client=anonymous requests=2 ok=1 client-errors=0 server-errors=0 "
                               r"unauthorized=1 rate-limited=0 bytes=%d " % (len(r1.body) + len(r2.body)))
        # closed connections are no longer counted
        b.close()
        anon.close()
        lines = poll_stats(a, lambda st: len(st) == 2 and all(ln.endswith(" connections=0") for ln in st))
        for ln in lines:
            self.assertTrue(ln.endswith(" connections=0"), lines)


# ---------------------------------------------------------------- --hash-password

class HashPassword(AccessTestCase):
    LINE_RE = re.compile(r'^password: \{user: "([^"]+)", sha256: "([0-9a-f]{64})", md5: "([0-9a-f]{32})"\}'
                         r'   # realm "([^"]*)"\n$')

    def test_output(self):
        for realm in (None, "example.net"):
            with self.subTest(realm=realm):
                code, out, err = iu.hash_password("tenant-h", PW["tenant-h"], realm)
                self.assertEqual(code, 0, err)
                m = self.LINE_RE.match(out)
                self.assertIsNotNone(m, out)
                r = realm or "altod"
                self.assertEqual(m.groups(), ("tenant-h", iu.ha1_hex("SHA-256", "tenant-h", r, PW["tenant-h"]),
                                              iu.ha1_hex("MD5", "tenant-h", r, PW["tenant-h"]), r))

    def test_no_password(self):
        p = at.run_bin(["--hash-password", "tenant-h"], input=b"", stdout=__import__("subprocess").PIPE,
                       timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, b"")
        self.assertIn(b"password", p.stderr)

    def test_realm_and_user_it_cannot_write(self):
        """A realm altod.yaml would refuse, or a user name that cannot stand
        in the printed entry, makes no entry (exit 1, the reason)."""
        cases = [("tenant-h", 'ex"ample', b"realm must not hold"), ("tenant-h", "a" * 129, b"realm must have 1 to 128"),
                 ("ten\\ant", "altod", b"user name must have"), ('te"n', "altod", b"user name must have")]
        for user, realm, why in cases:
            with self.subTest(user=user, realm=realm):
                code, out, err = iu.hash_password(user, PW["tenant-h"], realm)
                self.assertEqual((code, out), (1, ""))
                self.assertIn(why.decode(), err)

    def test_entry_works_in_a_config(self):
        """The printed line, pasted as is under a client, lets that password
        in (Digest SHA-256 and MD5, Basic); for another realm, only with
        that realm configured."""
        for realm in (None, "example.net"):
            with self.subTest(realm=realm):
                code, out, _ = iu.hash_password("tenant-h", PW["tenant-h"], realm)
                self.assertEqual(code, 0)
                access = ("access:\n" + ("  realm: %s\n" % realm if realm else "") +
                          "  clients:\n    tenant-h:\n      " + out +
                          "      roles: [r]\n  roles:\n    r: [%s]\n" % NM)
                d = tree(self, access)
                self.assertEqual(at.check_config(os.path.join(d, "altod.yaml")), (0, "ok\n"))
                a = at.start_altod_in(self, d)
                for alg in ("SHA-256", "MD5"):
                    r = http_session(self, a, digest("tenant-h", alg)).get("/")
                    self.assertOk(r, MT_DIRECTORY)
                    self.assertEqual(ids_of(r), {NM, "update-stream"})
                r = http_session(self, a, digest("tenant-h", "SHA-256", "wrong")).get("/")
                self.assertEqual(r.status, 401)
                r = https_session(self, a, auth=iu.BasicAuth("tenant-h", PW["tenant-h"])).get("/")
                self.assertOk(r, MT_DIRECTORY)
                a.stop()
        # the line for realm altod does not work under another realm
        code, out, _ = iu.hash_password("tenant-h", PW["tenant-h"])
        access = ("access:\n  realm: example.net\n  clients:\n    tenant-h:\n      " + out +
                  "      roles: [r]\n  roles:\n    r: [%s]\n" % NM)
        a = start(self, access)
        self.assertEqual(http_session(self, a, digest("tenant-h")).get("/").status, 401)


# ---------------------------------------------------------------- reload

class Reload(AccessTestCase):
    def access(self, grants, secret=SECRET, clients=None, extra_roles=None):
        roles = {"r": grants}
        roles.update(extra_roles or {})
        return iu.access_yaml(secret=secret, clients=clients or {
            "tenant-a": {"certificate": {"subject": "CN=tenant-a"}, "roles": ["r"]}}, roles=roles, views={
            "view-x": {"network-map": NM, "pids": ["PID1", "PID2"], "costs": {"hopcount": ["ordinal"]},
                       "opaque-pids": True}})

    def test_role_loses_grants(self):
        a = start(self, self.access([NM, NM + "-num-routingcost", "endpoint-property", "view-x"]))
        s = https_session(self, a, "client")
        self.assertOk(s.get(COSTMAP), MT_COSTMAP)
        ird = s.get("/").json()
        self.assertIn(NM + "-num-routingcost", ird["resources"])
        self.assertEqual(set(ird["meta"]["cost-types"]), {"num-routingcost", "ord-hopcount"})
        nowhere = s.get("/costmap/no-such/routingcost/numerical")

        rewrite(a, self.access([NM, "endpoint-property", "view-x"]))
        a.reload()
        r = s.get(COSTMAP)
        self.assertEqual(iu.normalized(r), iu.normalized(nowhere))
        ird = s.get("/").json()
        self.assertNotIn(NM + "-num-routingcost", ird["resources"])
        self.assertEqual(set(ird["meta"]["cost-types"]), {"ord-hopcount"})
        self.assertOk(s.get("/costmap/view-x/hopcount/ordinal"), MT_COSTMAP)

        rewrite(a, self.access([NM]))
        a.reload()
        for path in ("/costmap/view-x/hopcount/ordinal", "/networkmap/view-x"):
            self.assertEqual(iu.normalized(s.get(path)), iu.normalized(nowhere))
        r = s.post("/endpointprop", EPROP_BODY, MT_ENDPOINTPROPPARAMS)
        self.assertEqual(r.status, 404)
        ird = s.get("/").json()
        self.assertEqual(without_tips(ird["resources"]), {NM, "update-stream"})
        self.assertEqual(ird["meta"]["cost-types"], {})

    def test_broken_access_section_keeps_the_old_one(self):
        a = start(self, self.access([NM, NM + "-num-routingcost"]))
        s = https_session(self, a, "client")
        before = s.get(COSTMAP)
        self.assertOk(before, MT_COSTMAP)
        rewrite(a, self.access([NM], clients={
            "tenant-a": {"certificate": {"subject": "CN=tenant-a"}, "roles": ["r", "ghost"]}}))
        lines = a.reload(expect="failed")
        self.assertTrue(any("has role 'ghost', which is not defined" in ln for ln in lines), lines)
        self.assertEqual(s.get(COSTMAP).body, before.body)

    def test_clients_come_and_go(self):
        a = start(self, self.access([NM]))
        cert = https_session(self, a, "client")
        self.assertOk(cert.get(NETMAP), MT_NETWORKMAP)
        self.assertEqual(http_session(self, a, digest("tenant-b")).get(NETMAP).status, 401)
        rewrite(a, self.access([NM], clients={
            "tenant-b": {"password": iu.password_entry("tenant-b", PW["tenant-b"]), "roles": ["r"]}}))
        a.reload()
        self.assertOk(http_session(self, a, digest("tenant-b")).get(NETMAP), MT_NETWORKMAP)
        self.assertUnauthorized(https_session(self, a, "client").get(NETMAP), basic=True)

    def test_new_secret_renames_opaque_pids(self):
        a = start(self, self.access(["view-x"]))
        s = https_session(self, a, "client")
        first = s.get("/networkmap/view-x").json()
        self.assertEqual(set(first["network-map"]),
                         {iu.opaque_name(SECRET, "view-x", "PID1"), iu.opaque_name(SECRET, "view-x", "PID2"), "other"})
        rewrite(a, self.access(["view-x"], secret="a-completely-new-secret"))
        a.reload()
        second = s.get("/networkmap/view-x").json()
        self.assertEqual(set(second["network-map"]),
                         {iu.opaque_name("a-completely-new-secret", "view-x", "PID1"),
                          iu.opaque_name("a-completely-new-secret", "view-x", "PID2"), "other"})
        self.assertNotEqual(first["meta"]["vtag"]["tag"], second["meta"]["vtag"]["tag"])


# ---------------------------------------------------------------- exact grants of cost types

class ExactGrants(AccessTestCase):
    """Issue 10 §2: the filtered cost map and the endpoint cost service offer
    exactly the cost types whose cost maps the roles grant. docs/isolation.md's
    cdn role (numerical routingcost only, the filtered cost map, endpoint
    costs) got every metric and mode of the map through the two services, and
    its directory listed them."""

    FCM = "/costmap/%s/filtered" % NM
    EC = "/endpointcost/%s" % NM

    @classmethod
    def setUpClass(cls):
        cls._holder = at.class_holder(cls)
        cls.access = iu.access_yaml(secret=SECRET, clients={
            "tenant-a": {"certificate": {"subject": "CN=tenant-a"}, "roles": ["cdn"]},
            "tenant-b": {"password": iu.password_entry("tenant-b", PW["tenant-b"]), "roles": ["bare"]},
            "tenant-s": {"password": iu.password_entry("tenant-s", PW["tenant-s"]), "roles": ["bare", "hops"]},
        }, roles={
            "cdn": [NM, NM + "-num-routingcost", NM + "-filtered-costmap", NM + "-endpoint-cost",
                    "endpoint-property"],
            # the two services, but no cost map of their network map
            "bare": [NM, NM + "-filtered-costmap", NM + "-endpoint-cost"],
            "hops": [NM, NM + "-ord-hopcount"],
        }, extra={"rate": 0})
        cls.dir = tree(cls._holder, cls.access)
        cls.altod = at.start_altod_in(cls._holder, cls.dir)

    def body(self, uri, metric, mode):
        b = {"cost-type": at.cost_type(metric, mode)}
        if uri == self.EC:
            b["endpoints"] = {"srcs": ["ipv4:192.0.2.2"], "dsts": ["ipv4:192.0.2.89", "ipv4:198.51.100.200"]}
        return b

    def post(self, s, uri, metric, mode):
        return s.post(uri, self.body(uri, metric, mode), MT_COSTMAPFILTER if uri == self.FCM else MT_ENDPOINTCOSTPARAMS)

    def assertUnknownType(self, s, uri, metric, mode, field):
        """The answer for (metric, mode) is byte for byte (Date aside) the
        answer for a metric or mode no map has, of the same length."""
        r = self.post(s, uri, metric, mode)
        self.assertAltoError(r, "E_INVALID_FIELD_VALUE", field="cost-type/" + field,
                             value=metric if field == "cost-metric" else mode)
        if field == "cost-metric":
            twin, tok, echo = self.post(s, uri, "z" * len(metric), mode), "z" * len(metric), metric
        else:
            twin, tok, echo = self.post(s, uri, metric, "z" * len(mode)), "z" * len(mode), mode
        status, reason, headers, body = iu.normalized(twin)
        self.assertEqual(status, 400)
        self.assertEqual(iu.normalized(r), (status, reason, headers,
                                            body.replace(b'"%s"' % tok.encode(), b'"%s"' % echo.encode())))

    def test_cdn_gets_only_numerical_routingcost(self):
        s = https_session(self, self.altod, "client")
        nowhere = s.get("/costmap/no-such-map/hopcount/numerical")
        self.assertEqual(nowhere.status, 404)
        full = self.assertOk(s.get(COSTMAP), MT_COSTMAP)
        for uri in (self.FCM, self.EC):
            with self.subTest(uri=uri):
                # the granted type
                r = self.post(s, uri, "routingcost", "numerical")
                doc = self.assertOk(r, MT_COSTMAP if uri == self.FCM else at.MT_ENDPOINTCOST)
                self.assertEqual(doc["meta"]["cost-type"], at.cost_type("routingcost", "numerical"))
                if uri == self.FCM:
                    self.assertEqual(doc["cost-map"], full["cost-map"])
                else:
                    self.assertEqual(at.drop_empty(doc["endpoint-cost-map"]),
                                     {"ipv4:192.0.2.2": {"ipv4:192.0.2.89": 1, "ipv4:198.51.100.200": 5}})
                # the case: hopcount answered 200 here, 404 as a cost map
                for mode in ("numerical", "ordinal"):
                    self.assertEqual(iu.normalized(s.get("/costmap/%s/hopcount/%s" % (NM, mode))),
                                     iu.normalized(nowhere))
                    self.assertUnknownType(s, uri, "hopcount", mode, "cost-metric")
                self.assertUnknownType(s, uri, "routingcost", "ordinal", "cost-mode")
        ird = self.assertOk(s.get("/"), MT_DIRECTORY)
        self.assertEqual(without_tips(ird["resources"]), {NM, NM + "-num-routingcost", NM + "-filtered-costmap",
                                                 NM + "-endpoint-cost", "endpoint-property",
                                                 "update-stream"})
        for rid in (NM + "-filtered-costmap", NM + "-endpoint-cost"):
            self.assertEqual(ird["resources"][rid]["capabilities"],
                             {"cost-constraints": True, "cost-type-names": ["num-routingcost"],
                              "max-cost-types": 1})
        self.assertEqual(ird["meta"]["cost-types"],
                         {"num-routingcost": {"cost-mode": "numerical", "cost-metric": "routingcost"}})
        self.assertNotIn(b"hopcount", s.get("/").body)
        self.assertNotIn(b"ord-", s.get("/").body)

    def test_services_without_any_cost_map_are_not_offered(self):
        """A role granting the filtered cost map and endpoint cost but no cost
        map of their network map: the two would offer no type, so they are not
        offered (404 like a missing resource, not in the directory); the
        configuration loads (altod -t). With a role that grants a cost map
        too, they offer just that type."""
        self.assertEqual(at.check_config(os.path.join(self.dir, "altod.yaml")), (0, "ok\n"))
        s = http_session(self, self.altod, digest("tenant-b"))
        ird = self.assertOk(s.get("/"), MT_DIRECTORY)
        self.assertEqual(without_tips(ird["resources"]), {NM, "update-stream"})
        self.assertEqual(ird["meta"]["cost-types"], {})
        for uri, ctype in ((self.FCM, MT_COSTMAPFILTER), (self.EC, MT_ENDPOINTCOSTPARAMS)):
            with self.subTest(uri=uri):
                body = self.body(uri, "routingcost", "numerical")
                nowhere = s.post("/costmap/no-such-map/filtered", body, ctype)
                self.assertEqual(nowhere.status, 404)
                self.assertEqual(iu.normalized(s.post(uri, body, ctype)), iu.normalized(nowhere))
                self.assertEqual(iu.normalized(s.request("OPTIONS", uri)),
                                 iu.normalized(s.request("OPTIONS", "/costmap/no-such-map/filtered")))
        # the union with a role granting ordinal hopcount: that type only
        s = http_session(self, self.altod, digest("tenant-s"))
        ird = self.assertOk(s.get("/"), MT_DIRECTORY)
        self.assertEqual(without_tips(ird["resources"]), {NM, NM + "-ord-hopcount", NM + "-filtered-costmap",
                                                 NM + "-endpoint-cost", "update-stream"})
        for rid in (NM + "-filtered-costmap", NM + "-endpoint-cost"):
            self.assertEqual(ird["resources"][rid]["capabilities"]["cost-type-names"], ["ord-hopcount"])
        for uri in (self.FCM, self.EC):
            with self.subTest(uri=uri, client="tenant-s"):
                self.assertEqual(self.post(s, uri, "hopcount", "ordinal").status, 200)
                self.assertUnknownType(s, uri, "hopcount", "numerical", "cost-mode")
                self.assertUnknownType(s, uri, "routingcost", "numerical", "cost-metric")


# ---------------------------------------------------------------- fail-closed configuration

MARK = "#<"  # marks the line of an expected error; the token after it is where its column is


GOOD_CLIENTS = """\
  clients:
    tenant-b:
      password: {user: "tenant-b", sha256: "%s"}
      roles: [r]
""" % ("ab" * 32)


def conf_text(access):
    return iu.server_yaml(https=False, maps=("maps/example.yaml",)) + access


class ConfigErrors(AccessTestCase):
    def check(self, access, expected, start_too=True):
        """expected: [(message regex, column token or None)], in the order
        of the marked lines (one MARK per expected error; a line may hold
        `#< token`). Each must be reported at its line (and column)."""
        text = conf_text(access)
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        path = os.path.join(d, "altod.yaml")
        code, out = at.check_config(path)
        self.assertEqual(code, 1, out)
        diags = at.parse_diag_lines(out)
        lines = text.splitlines()
        marked = [i + 1 for i, ln in enumerate(lines) if MARK in ln]
        self.assertEqual(len(marked), len(expected), "test bug: marks vs expected")
        for (rx, token), line in zip(expected, marked):
            with self.subTest(msg=rx):
                hits = [dg for dg in diags if re.search(rx, dg[3])]
                self.assertTrue(hits, "no error matching %r in:\n%s" % (rx, out))
                f, l, c, _ = hits[0]
                self.assertEqual(f, path, out)
                self.assertEqual(l, line, out)
                if token:
                    self.assertEqual(c, lines[line - 1].index(token) + 1, out)
        for f, l, c, msg in diags:
            self.assertIsNotNone(f, out)
        if start_too:
            code, err = at.run_altod_expect_exit(path)
            self.assertNotEqual(code, 0)
            self.assertIn(diags[0][3], err)
        return out

    def test_absurd_rates_and_bursts(self):
        """Issue 10 §7: rate 1e-12 sent `Retry-After: 3567587328` (an
        undefined conversion); rates are 0 or 0.001 to 10^6 per second,
        bursts 0 or 1 to 10^6."""
        self.check("""\
access:
  rate: 1e-12                                   #< 1e-12
  burst: 0.5                                    #< 0.5
  auth-failures:
    per-user: {rate: 2000000, burst: 3}         #< 2000000
    per-address: {rate: 1, burst: 1e7}          #< 1e7
    per-subnet: {rate: 1}                       #< per-subnet
  clients:
    tenant-b:
      password: {user: "tenant-b", sha256: "%s"}
      roles: [r]
      rate: -1                                  #< -1
      burst: 1000001                            #< 1000001
  roles:
    r: [my-default-network-map]
""" % ("ab" * 32), [
            (r"^rate must be 0 \(no limit\) or a number from 0\.001 to 1e\+06 per second, not '1e-12'$", "1e-12"),
            (r"^burst must be 0 \(the default\) or a number from 1 to 1e\+06, not '0\.5'$", "0.5"),
            (r"^auth-failures per-user rate must be 0 \(no limit\) or a number from 0\.001 to 1e\+06 per second, "
             r"not '2000000'$", "2000000"),
            (r"^auth-failures per-address burst must be 0 \(the default\) or a number from 1 to 1e\+06, not '1e7'$",
             "1e7"),
            (r"^unknown key 'per-subnet' in auth-failures \(per-user, per-address\)$", "per-subnet"),
            (r"^rate must be 0 \(no limit\) or a number from 0\.001 to 1e\+06 per second, not '-1'$", "-1"),
            (r"^burst must be 0 \(the default\) or a number from 1 to 1e\+06, not '1000001'$", "1000001"),
        ])

    def test_the_edges_of_the_ranges_are_fine(self):
        text = conf_text("""\
access:
  rate: 0.001
  burst: 1000000
  auth-failures:
    per-user: {rate: 0, burst: 0}
    per-address: {rate: 1000000, burst: 1}
""" + GOOD_CLIENTS + """\
  roles:
    r: [my-default-network-map]
""")
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        self.assertEqual(at.check_config(os.path.join(d, "altod.yaml")), (0, "ok\n"))

    def test_realm_checked(self):
        """The realm goes into every challenge as a quoted-string and into
        every HA1: no '"', no backslash, no control character, 1 to 128."""
        for value in ("'a\"b'", "'a\\b'", '"a\\tb"', '"a\\x7fb"', "''", "r" * 129):
            with self.subTest(realm=value):
                self.check("access:\n  realm: %s                #< %s\n" % (value, value[:2]) + GOOD_CLIENTS +
                           "  roles:\n    r: [my-default-network-map]\n",
                           [(r"^realm must (not hold '\"', '\\' or a control character|have 1 to 128 characters)$",
                             value[:2])])

    def test_undefined_role(self):
        self.check("""\
access:
  clients:
    tenant-b:                                   #<
      password: {user: "tenant-b", sha256: "%s"}
      roles: [r, ghost]
  roles:
    r: [my-default-network-map]
""" % ("ab" * 32), [(r"client 'tenant-b' has role 'ghost', which is not defined", "tenant-b")])

    def test_undefined_anonymous_role(self):
        self.check("""\
access:
  anonymous-role: nobody-here                   #< nobody-here
""" + GOOD_CLIENTS + """\
  roles:
    r: [my-default-network-map]
""", [(r"anonymous-role 'nobody-here' is not defined", "nobody-here")])

    def test_unknown_resource_id(self):
        self.check(GOOD_CLIENTS.join(["access:\n", """\
  roles:
    r: [my-default-network-map, no-such-resource]   #< no-such-resource
    s: [view-zz]                                    #< view-zz
"""]), [(r"role 'r' grants 'no-such-resource', which is no resource or view", "no-such-resource"),
        (r"role 's' grants 'view-zz', which is no resource or view", "view-zz")])

    def test_resources_without_their_network_map(self):
        self.check(GOOD_CLIENTS.join(["access:\n", """\
  roles:
    r: [my-default-network-map-num-routingcost]          #< my-default
    s: [my-default-network-map-filtered-costmap]         #< my-default
    t: [my-default-network-map-endpoint-cost]            #< my-default
    u: [my-default-network-map-filtered-networkmap]      #< my-default
"""]), [(r"role 'r' grants 'my-default-network-map-num-routingcost' but not the network map "
         r"'my-default-network-map'", "my-default"),
        (r"role 's' grants 'my-default-network-map-filtered-costmap' but not the network map", "my-default"),
        (r"role 't' grants 'my-default-network-map-endpoint-cost' but not the network map", "my-default"),
        (r"role 'u' grants 'my-default-network-map-filtered-networkmap' but not the network map",
         "my-default")])

    def test_cost_map_without_its_network_map_when_a_view_id_is_a_prefix(self):
        """A view named "my-default" must not exempt the base map's
        "my-default-network-map-..." resources from the rule."""
        self.check("""\
access:
  secret: "%s"
""" % SECRET + GOOD_CLIENTS + """\
  roles:
    r: [my-default, my-default-network-map-num-routingcost]    #< my-default-network-map-num
  views:
    my-default:
      network-map: my-default-network-map
      pids: [PID1]
""", [(r"grants 'my-default-network-map-num-routingcost' but not the network map", "my-default-network-map-num")])

    def test_view_cost_map_without_its_view(self):
        """A view's cost map granted without the view (its network map)."""
        self.check("""\
access:
  secret: "%s"
""" % SECRET + GOOD_CLIENTS + """\
  roles:
    r: [my-default-network-map, view-x-num-routingcost]    #< view-x-num
  views:
    view-x:
      network-map: my-default-network-map
      pids: [PID1]
""", [(r"grants 'view-x-num-routingcost' but not", "view-x-num")])

    def test_view_errors(self):
        # the phase of the views: unknown PID, network map, metric
        self.check("""\
access:
  secret: "%s"
""" % SECRET + GOOD_CLIENTS + """\
  roles:
    r: [my-default-network-map]
  views:
    view-p:
      network-map: my-default-network-map
      pids: [PID1, PID9]                       #< PID9
    view-m:                                    #< view-m
      network-map: no-such-map
      pids: [PID1]
    view-c:                                    #< view-c
      network-map: my-default-network-map
      pids: [PID1]
      costs: {latency: [numerical]}
""", [(r"view 'view-p': PID 'PID9' is not defined in network map 'my-default-network-map'", "PID9"),
      (r"view 'view-m' is of network map 'no-such-map', which is not defined", "view-m"),
      (r"view 'view-c' shows cost metric 'latency', which network map 'my-default-network-map' does not have",
       "view-c")])

    def test_catch_all_named_like_a_kept_pid(self):
        self.check("""\
access:
  secret: "%s"
""" % SECRET + GOOD_CLIENTS + """\
  roles:
    r: [view-k]
  views:
    view-k:                                    #< view-k
      network-map: my-default-network-map
      pids: [PID1, PID2]
      catch-all: PID2
""", [(r"view 'view-k': the catch-all PID 'PID2' is also a kept PID", "view-k")])

    def test_views_without_a_secret(self):
        out = self.check("""\
access:
  clients:                                     #<
    tenant-b:
      password: {user: "tenant-b", sha256: "%s"}
      roles: [r]
  roles:
    r: [view-x]
  views:
    view-x:
      network-map: my-default-network-map
      pids: [PID1]
""" % ("ab" * 32), [(r"access needs a secret \(16 characters or more\)", None)])
        self.assertEqual(len(out.splitlines()), 1, out)

    def test_parse_errors_all_at_once(self):
        """The first phase reports every error of the section in one run."""
        self.check("""\
access:
  secret: "too-short"                          #< "too-short"
  realm: altod
  colour: blue                                 #< colour
  clients:
    tenant-x:
      roles: [r]                               #< roles
    tenant-y:
      certificate: {sha256: "12:34", issuer: "CN=x"}   #< "12:34"
      roles: [r]
    tenant-z:
      password: {user: "tenant-z", md5: "%s", plain: "secret"}  #< plain
      roles: [r]
    tenant-w:
      password: {user: "tenant-w", sha256: "%s"}
      roles: [r]
      shoe-size: 44                            #< shoe-size
    tenant-v:
      password: {user: "tenant-w", sha256: "%s"}
      roles: []
  roles:
    r: [my-default-network-map]
  views:
    view-x:
      network-map: my-default-network-map
      pids: [PID1]
      costs: {routingcost: [numerical, sideways]}   #< sideways
      shape: round                             #< shape
""" % ("cd" * 16, "ab" * 32, "ab" * 32), [
            (r"secret must have at least 16 characters", '"too-short"'),
            (r"unknown key 'colour' in access", "colour"),
            (r"client 'tenant-x' has no credential", "roles"),
            (r"certificate sha256 must be 64 hex digits", '"12:34"'),
            (r"unknown key 'plain' in password", "plain"),
            (r"unknown key 'shoe-size' in client 'tenant-w'", "shoe-size"),
            (r"unknown cost mode 'sideways'", "sideways"),
            (r"unknown key 'shape' in view 'view-x'", "shape"),
        ])

    def test_more_credential_errors(self):
        out = self.check("""\
access:
  clients:
    tenant-y:
      certificate: {issuer: "CN=x"}             #< issuer
      roles: [r]
    tenant-z:
      password: {user: "tenant-z", md5: "%s"}   #< password
      roles: [r]
    tenant-w:
      password: {user: "tenant-w", sha256: "%s"}
      roles: [r]
    tenant-v:                                   #< tenant-v
      password: {user: "tenant-w", sha256: "%s"}
      roles: [r]
    tenant-u:
      password: {user: "a:b", sha256: "%s"}     #< "a:b"
      roles: [r]
  roles:
    r: [my-default-network-map]
""" % ("cd" * 16, "ab" * 32, "ab" * 32, "ab" * 32), [
            (r"unknown key 'issuer' in certificate", "issuer"),
            (r"client 'tenant-z': password needs user and sha256", "password"),
            (r"client 'tenant-v' repeats the name or the password user of client 'tenant-w'", "tenant-v"),
            (r"password user must be non-empty, without ':'", '"a:b"'),
        ])
        self.assertIn("no credential", out)  # tenant-y: an unknown key is no credential

    def test_valid_section_is_ok(self):
        text = conf_text("access:\n  secret: \"%s\"\n" % SECRET + GOOD_CLIENTS + """\
  roles:
    r: [view-x, my-default-network-map, my-default-network-map-num-routingcost]
  views:
    view-x:
      network-map: my-default-network-map
      pids: [PID1, PID2]
      catch-all: elsewhere
      costs: {routingcost: [ordinal]}
      opaque-pids: true
""")
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        self.assertEqual(at.check_config(os.path.join(d, "altod.yaml")), (0, "ok\n"))


if __name__ == "__main__":
    unittest.main()

"""Long-lived answers and reloads that change who their client is.

An update stream (RFC 8895) is one HTTP answer that goes on across reloads;
a TIPS long poll (RFC 9569) waits across one. No request authenticates
them again, so a reload that revokes a client's certificate (client-crl),
points the client at another certificate, or replaces its password must
end them: otherwise the holder of the revoked certificate or of the
rotated password keeps receiving the tenant's updates, which every new
request of its refuses (docs/isolation.md, "A stolen or revoked client
certificate": every open connection's certificate is verified again before
it is served more).

- a stream of a certificate client: after the reload that revokes the
  certificate, a control event stops every substream ("the client is no
  longer served") and the stream ends; no patch of the change goes out.
  The same when the client's `certificate` names another certificate.
- a stream of a Digest client: ends when its password entry is replaced.
- ordinary reloads (maps changed) keep every such stream going.
- a waiting long poll: answered 421 (and the connection closed) when its
  certificate is revoked, 404 (like a view that never existed) when the
  client's password is replaced; never the new edge.
- (pinned, documented in docs/isolation.md "Identities") client entries
  are bound to no listener: a rule by subject alone takes a certificate
  another listener's client CA issued with a client's subject as that
  client there; a `sha256` rule does not, nor does a rule that binds the
  subject to a CA with `issuer-sha256` (test_isolation_issuer).
- anonymous streams count against updates.streams-per-client per address,
  an IPv6 client per /64 (as the anonymous rate limit counts): addresses of
  one /64 (here through a trusted PROXY v2 sender) share one allowance.
"""

import http.client
import json
import os
import socket
import unittest

import altodtest as at
import isoutil as iu
import tlsutil
from test_sse import MT_CONTROL, MT_PARAMS, MT_STREAM, Stream
from test_proxy import PROXY_ADDR, v2
from test_tips import (ACCEPT_BOTH, COST_KINDS, NM, OPEN_HEADERS, Poll, World, view_path, wait_polls)

SECRET = "isolation-streams-secret-0123456789"
PW_B = "b-password"
GONE = "the client is no longer served"


class TlsStream(Stream):
    """test_sse's Stream, on a connection of its own (HTTPS, a certificate)."""

    def __init__(self, conn, add):  # pylint: disable=super-init-not-called
        self.conn = conn
        conn.request("POST", "/updates/stream", body=json.dumps({"add": add}).encode(),
                     headers={"Content-Type": MT_PARAMS, "Accept": MT_STREAM})
        self.resp = conn.getresponse()
        self.comments = 0
        ev = self.next()
        assert ev.media == MT_CONTROL and ev.cid == "", ev
        self.control_uri = ev.json()["control-uri"]


class StreamsAcrossReloads(at.AltodTestCase):
    def setUp(self):
        self.d = at.make_tree(self, {})
        os.makedirs(os.path.join(self.d, "pki"))
        self.pki = iu.make_pki(os.path.join(self.d, "pki"))
        self.crl = os.path.join(self.d, "crl.pem")
        tlsutil.make_crl(self.pki.base, self.crl, [])
        self.world = World(31)
        self.write()
        self.a = at.start_altod_in(self, self.d)

    def write(self, cert_a=None, pw_b=PW_B):
        server = iu.server_yaml(self.pki, maps=("maps/net.yaml",)).replace(
            "        client-auth: optional", "        client-auth: optional\n        client-crl: %s" % iu.q(self.crl))
        access = iu.access_yaml(
            secret=SECRET, extra={"auth-failures": iu.NO_AUTH_THROTTLE},
            clients={"tenant-a": {"certificate": cert_a or {"subject": "CN=tenant-a"}, "roles": ["r"]},
                     "tenant-b": {"password": iu.password_entry("tenant-b", pw_b), "roles": ["r"]}},
            roles={"r": [NM] + COST_KINDS})
        at.write_files(self.d, {"maps/net.yaml": self.world.maps_yaml(),
                                "altod.yaml": server + "updates:\n  poll-timeout: 60\n" + access})

    def change_maps(self):
        self.world.costs["routingcost"][("p0", "p1")] += 1
        self.world.change("add-pid")

    def tls_conn(self):
        host, port = iu.listener(self.a, "https")
        conn = http.client.HTTPSConnection(host, port, timeout=at.IO_TIMEOUT,
                                           context=self.pki.client_context("client"))
        self.addCleanup(conn.close)
        return conn

    def cert_stream(self):
        s = TlsStream(self.tls_conn(), {"n": {"resource-id": NM}, "c": {"resource-id": COST_KINDS[0]}})
        self.assertEqual(sorted(s.next().cid for _ in range(2)), ["c", "n"])
        return s

    def digest_stream(self):
        host, port = iu.listener(self.a, "http")
        sess = iu.Session(host, port, auth=iu.DigestAuth("tenant-b", PW_B), label="tenant-b")
        self.addCleanup(sess.close)
        self.assertEqual(sess.get("/").status, 200)
        st = sess._challenge_nc  # pylint: disable=protected-access
        st[1] += 1
        auth = sess.auth.authorization("POST", "/updates/stream", st[0], st[1])
        s = Stream(self.a, {"n": {"resource-id": NM}, "c": {"resource-id": COST_KINDS[0]}}, authorization=auth)
        self.addCleanup(s.close)
        self.assertEqual(s.status(), 200)
        self.assertEqual(sorted(s.next().cid for _ in range(2)), ["c", "n"])
        return s

    def assertPatched(self, s):
        """A reload that changed both maps: a patch for each, the stream goes on."""
        evs = [s.next(), s.next()]
        self.assertEqual(sorted(ev.cid for ev in evs), ["c", "n"], evs)
        self.assertTrue(all(ev.media in (at.MT_MERGE_PATCH, at.MT_JSON_PATCH) for ev in evs), evs)

    def assertEnded(self, s):
        """The next reload's answer: a control event stopping every
        substream, then the end of the stream; no data."""
        evs = s.read_to_end()
        self.assertEqual([ev.media for ev in evs], [MT_CONTROL], evs)
        self.assertEqual(sorted(evs[0].json()["stopped"]), ["c", "n"])
        self.assertEqual(evs[0].json()["description"], GONE)

    def test_revoked_certificate_ends_its_stream(self):
        s, b = self.cert_stream(), self.digest_stream()
        self.change_maps()
        self.write()
        self.a.reload()
        self.assertPatched(s)
        self.assertPatched(b)
        tlsutil.make_crl(self.pki.base, self.crl, ["client"])
        self.change_maps()
        self.write()
        self.a.reload()
        self.assertEnded(s)
        self.assertPatched(b)  # the password client's stream goes on

    def test_client_given_another_certificate_ends_its_stream(self):
        s = self.cert_stream()
        self.change_maps()
        self.write(cert_a={"sha256": self.pki.sha256("tenante")})
        self.a.reload()
        self.assertEnded(s)
        # and a new connection with the old certificate is nobody now
        conn = self.tls_conn()
        conn.request("GET", "/networkmap/" + NM)
        self.assertEqual(conn.getresponse().status, 401)

    def test_replaced_password_ends_its_stream(self):
        s, b = self.cert_stream(), self.digest_stream()
        self.change_maps()
        self.write(pw_b="a-new-password")
        self.a.reload()
        self.assertEnded(b)
        self.assertPatched(s)

    def poll(self, session):
        path = view_path(session.post("/tips", {"resource-id": NM}, at.MT_TIPSPARAMS, headers=OPEN_HEADERS))
        self.assertEqual(session.get(path + "/ug/0/1", headers={"Accept": ACCEPT_BOTH}).status, 200)
        p = Poll(self.a, None, path + "/ug/1/2", session=session)
        p.start()
        return p

    def test_long_polls(self):
        host, port = iu.listener(self.a, "https")
        cert = iu.Session(host, port, scheme="https", ssl_context=self.pki.client_context("client"), label="a")
        host, port = iu.listener(self.a, "http")
        digest = iu.Session(host, port, auth=iu.DigestAuth("tenant-b", PW_B), label="tenant-b")
        polls = [self.poll(cert), self.poll(digest)]
        wait_polls(self.a, 2)
        tlsutil.make_crl(self.pki.base, self.crl, ["client"])
        self.change_maps()
        self.write(pw_b="a-new-password")
        self.a.reload()
        for p in polls:
            p.join(at.IO_TIMEOUT)
            self.assertIsNone(p.error)
        self.assertEqual(polls[0].r.status, 421, polls[0].r)
        self.assertEqual(polls[0].r.header("Connection"), "close")
        self.assertNotIn(b"vtag", polls[0].r.body)
        self.assertEqual(polls[1].r.status, 404, polls[1].r)
        self.assertEqual(polls[1].r.content_type, at.MT_ERROR)
        self.assertNotIn(b"vtag", polls[1].r.body)


class CertificatesAcrossListeners(at.AltodTestCase):
    def test_subject_rules_trust_every_listeners_ca(self):
        d = at.make_tree(self, {})
        os.makedirs(os.path.join(d, "pki"))
        pki = iu.make_pki(os.path.join(d, "pki"))
        partner = "\n".join(["    - address: 127.0.0.1", "      port: 0", "      tls:",
                             "        certificate: %s" % iu.q(pki.server_pem), "        key: %s" % iu.q(pki.server_key),
                             "        client-ca: %s" % iu.q(pki.pem("rogueca")), "        client-auth: optional"])
        server = iu.server_yaml(pki, http=False, maps=("maps/net.yaml",)).replace("limits:", partner + "\nlimits:", 1)

        def write(rule):
            access = iu.access_yaml(secret=SECRET, clients={"tenant-a": {"certificate": rule, "roles": ["r"]}},
                                    roles={"r": [NM]})
            at.write_files(d, {"maps/net.yaml": World(33).maps_yaml(), "altod.yaml": server + access})

        def status(port, cert):
            conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=at.IO_TIMEOUT,
                                               context=pki.client_context(cert))
            try:
                conn.request("GET", "/networkmap/" + NM)
                return conn.getresponse().status
            except (ConnectionError, OSError):
                return "refused"  # the listener's client CA did not sign it: the handshake ends
            finally:
                conn.close()

        write({"subject": "CN=tenant-a"})
        a = at.start_altod_in(self, d)
        ours, theirs = (port for _, _, port in a.listeners)
        # roguesigned: CN=tenant-a, issued by the partner listener's CA
        self.assertEqual([status(ours, "client"), status(ours, "roguesigned"),
                          status(theirs, "client"), status(theirs, "roguesigned")],
                         [200, "refused", "refused", 200])
        write({"sha256": pki.sha256("client")})
        a.reload()
        self.assertEqual([status(ours, "client"), status(theirs, "roguesigned")], [200, 401])
        write({"subject": "CN=tenant-a", "issuer-sha256": pki.sha256("ca")})
        a.reload()
        self.assertEqual([status(ours, "client"), status(theirs, "roguesigned")], [200, 401])


class AnonymousStreamsPerAddress(at.AltodTestCase):
    def test_an_ipv6_64_is_one_address(self):
        text = """\
server:
  listen:
    - address: 127.0.0.1
      port: 0
      proxy-protocol: true
      trusted-proxies: [%s]
updates:
  streams-per-client: 2
access:
  anonymous-role: public
  roles:
    public: [%s]
maps:
  - maps/net.yaml
""" % (PROXY_ADDR, NM)
        d = at.make_tree(self, {"maps/net.yaml": World(32).maps_yaml(), "altod.yaml": text})
        a = at.start_altod_in(self, d)
        body = json.dumps({"add": {"n": {"resource-id": NM}}}).encode()
        request = (b"POST /updates/stream HTTP/1.1\r\nHost: x\r\nContent-Type: " + MT_PARAMS.encode() +
                   b"\r\nAccept: " + MT_STREAM.encode() + b"\r\nContent-Length: " + str(len(body)).encode() +
                   b"\r\n\r\n" + body)

        def open_from(src):
            s = socket.create_connection(("127.0.0.1", a.port), timeout=at.IO_TIMEOUT, source_address=(PROXY_ADDR, 0))
            self.addCleanup(s.close)
            s.sendall(v2(src, "::1" if ":" in src else "127.0.0.1", dport=a.port) + request)
            head = b""
            while b"\r\n" not in head:
                chunk = s.recv(1)
                self.assertTrue(chunk, src)
                head += chunk
            return int(head.split()[1])

        got = [open_from(src) for src in ("2001:db8:0:7::1", "2001:db8:0:7::2", "2001:db8:0:7:ffff::3",
                                          "2001:db8:0:8::1", "192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.2")]
        self.assertEqual(got, [200, 200, 429, 200, 200, 200, 429, 200])


if __name__ == "__main__":
    unittest.main()

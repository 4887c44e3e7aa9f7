"""Client certificate rules bound to a CA: `issuer-sha256`.

Access clients are shared by every listener, and a listener may trust more
than one client CA (a partner's CA beside the operator's own). A rule by
`subject` or `san` alone matches a certificate of any CA the receiving
listener trusts: the partner CA can issue `CN=tenant-a` and be served as
tenant-a (pinned in test_isolation_streams, CertificatesAcrossListeners).
`issuer-sha256` names one CA (its certificate's SHA-256 fingerprint): the
client certificate's chain must verify against that CA alone, which must be
among the client CAs of the listener the connection came in on.

The test PKI (tlsutil): `ca` signs `client` (CN=tenant-a) and the
intermediate `inter`, which signs `ileafclient` (CN=tenant-c); `rogueca` has
exactly ca's name (CN=altod test CA) and signs `roguesigned` (CN=tenant-a).

- the partner CA's tenant-a certificate is not tenant-a under a rule with
  issuer-sha256 of ca, on a listener that trusts both CAs, nor on one that
  trusts only the partner CA; ca's certificate is tenant-a.
- a chain of roguesigned with ca's own certificate appended is not
  tenant-a (what the client sends is verified, never compared).
- a certificate of an intermediate CA is matched by a rule that names the
  root it chains to; a rule that names the partner CA does not match it.
- only the client CAs of the listener the connection came in on count: a
  rule naming the root does not match on a listener that trusts only the
  intermediate, and one naming the intermediate not on the root's.
- issuer-sha256 alone: every certificate of that CA (and none of another).
- a reload that changes issuer-sha256 takes effect, on connections kept
  open too (even when the same reload reorders the listener's client CAs);
  an update stream goes on through a reload that keeps the binding and
  ends at one after which its certificate no longer names its client.
- a malformed value, and one naming no listener's client CA, are errors of
  `altod -t` at the value (file:line:column); a reload with one fails and
  the old configuration keeps serving.
"""

import http.client
import os
import re
import unittest

import altodtest as at
import isoutil as iu
from test_isolation_streams import GONE, TlsStream
from test_sse import MT_CONTROL
from test_tips import NM, World

SECRET = "isolation-issuer-secret-0123456789"


class IssuerCase(at.AltodTestCase):
    """Two HTTPS listeners and the test PKI; no tests of its own."""

    def setUp(self):
        self.d = at.make_tree(self, {})
        os.makedirs(os.path.join(self.d, "pki"))
        self.pki = iu.make_pki(os.path.join(self.d, "pki"))
        # a chain issued by the rogue CA, with the real CA's certificate appended
        self.forged = os.path.join(self.d, "pki", "forged.pem")
        with open(self.forged, "w", encoding="ascii") as out:
            for name in ("roguesigned", "ca"):
                with open(self.pki.pem(name), encoding="ascii") as f:
                    out.write(f.read())
        self.world = World(34)
        self.both = os.path.join(self.d, "both.pem")
        self.write_cas(("ca", "rogueca"))

    def write_cas(self, names):
        """The client-ca file of the first listener (both CAs, in this order)."""
        with open(self.both, "w", encoding="ascii") as out:
            for name in names:
                with open(self.pki.pem(name), encoding="ascii") as f:
                    out.write(f.read())

    def write(self, clients, partner_ca="rogueca"):
        """Listener 1: client CAs ca and rogueca; listener 2: partner_ca only."""
        tls = ["    - address: 127.0.0.1", "      port: 0", "      tls:",
               "        certificate: %s" % iu.q(self.pki.server_pem), "        key: %s" % iu.q(self.pki.server_key)]
        server = ["server:", "  listen:"]
        server += tls + ["        client-ca: %s" % iu.q(self.both), "        client-auth: optional"]
        server += tls + ["        client-ca: %s" % iu.q(self.pki.pem(partner_ca)), "        client-auth: optional"]
        server += ["maps:", "  - maps/net.yaml", ""]
        rules = {name: {"certificate": rule, "roles": ["r"]} for name, rule in clients.items()}
        access = iu.access_yaml(secret=SECRET, clients=rules, roles={"r": [NM]})
        at.write_files(self.d, {"maps/net.yaml": self.world.maps_yaml(), "altod.yaml": "\n".join(server) + access})

    def start(self):
        self.a = at.start_altod_in(self, self.d)
        self.both_port, self.partner_port = (port for _, _, port in self.a.listeners)

    def conn(self, port, cert, key=None):
        ctx = self.pki.client_context()
        ctx.load_cert_chain(cert if os.path.isabs(cert) else self.pki.pem(cert),
                            key or self.pki.key(cert))
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=at.IO_TIMEOUT, context=ctx)
        self.addCleanup(conn.close)
        return conn

    def status_on(self, conn):
        try:
            conn.request("GET", "/networkmap/" + NM)
            resp = conn.getresponse()
            resp.read()
            return resp.status
        except (ConnectionError, OSError):
            return "refused"  # the listener's client CAs did not sign it: the handshake ends

    def status(self, port, cert, key=None):
        return self.status_on(self.conn(port, cert, key))

    def sha(self, name):
        return self.pki.sha256(name)


class IssuerBinding(IssuerCase):
    def test_the_partner_cas_namesake_is_not_the_tenant(self):
        colons = ":".join(re.findall("..", self.sha("ca").upper()))  # colons allowed, as for sha256
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": colons}})
        self.start()
        self.assertEqual([self.status(self.both_port, "client"), self.status(self.both_port, "roguesigned"),
                          self.status(self.partner_port, "roguesigned"), self.status(self.partner_port, "client")],
                         [200, 401, 401, "refused"])

    def test_the_real_cas_certificate_appended_does_not_help(self):
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("ca")}})
        self.start()
        # the handshake passes (the chain verifies against rogueca, which
        # the listener trusts); the chain does not verify against ca alone
        self.assertEqual(self.status(self.both_port, self.forged, self.pki.key("roguesigned")), 401)
        # the same chain is the partner's certificate where the partner CA is named
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("rogueca")}})
        self.a.reload()
        self.assertEqual([self.status(self.both_port, "roguesigned"), self.status(self.partner_port, "roguesigned"),
                          self.status(self.both_port, "client")], [200, 200, 401])

    def test_an_intermediate_cas_certificate_matches_the_root(self):
        self.write({"tenant-c": {"subject": "CN=tenant-c", "issuer-sha256": self.sha("ca")}})
        self.start()
        chain = self.pki.pem("ileafclient-chain")
        self.assertEqual(self.status(self.both_port, chain, self.pki.key("ileafclient")), 200)
        self.write({"tenant-c": {"subject": "CN=tenant-c", "issuer-sha256": self.sha("rogueca")}})
        self.a.reload()
        self.assertEqual(self.status(self.both_port, chain, self.pki.key("ileafclient")), 401)

    def test_only_the_receiving_listeners_cas_count(self):
        # listener 2 trusts the intermediate alone; a rule naming the root
        # (a client CA of listener 1 only) does not match there, though
        # the chain the client sends does lead to the root
        chain, key = self.pki.pem("ileafclient-chain"), self.pki.key("ileafclient")
        self.write({"tenant-c": {"subject": "CN=tenant-c", "issuer-sha256": self.sha("ca")}}, partner_ca="inter")
        self.start()
        self.assertEqual([self.status(self.both_port, chain, key), self.status(self.partner_port, chain, key)],
                         [200, 401])
        # and the other way round: the intermediate, trusted by listener 2 only
        self.write({"tenant-c": {"subject": "CN=tenant-c", "issuer-sha256": self.sha("inter")}}, partner_ca="inter")
        self.a.reload()
        self.assertEqual([self.status(self.both_port, chain, key), self.status(self.partner_port, chain, key)],
                         [401, 200])

    def test_the_issuer_alone_names_a_client(self):
        self.write({"partner": {"issuer-sha256": self.sha("rogueca")}})
        self.start()
        self.assertEqual([self.status(self.both_port, "roguesigned"), self.status(self.partner_port, "roguesigned"),
                          self.status(self.both_port, "client"), self.status(self.both_port, "tenantd")],
                         [200, 200, 401, 401])

    def test_a_reload_rebinds_open_connections(self):
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("ca")}})
        self.start()
        ours, theirs = self.conn(self.both_port, "client"), self.conn(self.both_port, "roguesigned")
        self.assertEqual([self.status_on(ours), self.status_on(theirs)], [200, 401])
        # the rule now names the partner CA, and the listener's client CAs
        # come in the other order: what was found of each connection's
        # chain under the old TLS state counts no more
        self.write_cas(("rogueca", "ca"))
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("rogueca")}})
        self.a.reload()
        self.assertEqual([self.status_on(ours), self.status_on(theirs)], [401, 200])
        # only the rule changes (the TLS state stays): the same connections again
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("ca")}})
        self.a.reload()
        self.assertEqual([self.status_on(ours), self.status_on(theirs)], [200, 401])

    def test_a_reload_to_another_ca_ends_the_clients_stream(self):
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("ca")}})
        self.start()
        s = TlsStream(self.conn(self.both_port, "client"), {"n": {"resource-id": NM}})
        self.assertEqual(s.next().cid, "n")
        # a reload that keeps the binding: the stream goes on (a patch)
        self.world.change("add-pid")
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("ca")}})
        self.a.reload()
        ev = s.next()
        self.assertEqual((ev.cid, ev.media in (at.MT_MERGE_PATCH, at.MT_JSON_PATCH)), ("n", True), ev)
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("rogueca")}})
        self.a.reload()
        evs = s.read_to_end()
        self.assertEqual([ev.media for ev in evs], [MT_CONTROL], evs)
        self.assertEqual(evs[0].json()["description"], GONE)


class IssuerConfig(IssuerCase):
    def check(self):
        return at.check_config(os.path.join(self.d, "altod.yaml"))

    def where(self, needle):
        """file:line:column of the value after `needle` in altod.yaml."""
        path = os.path.join(self.d, "altod.yaml")
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if needle in line:
                    return "%s:%d:%d: " % (path, n, line.index(needle) + len(needle) + 1)
        raise AssertionError(needle)

    def test_a_malformed_value_is_an_error_at_the_value(self):
        for bad in ("72ba", "zz" * 32, self.sha("ca") + "00", ""):
            with self.subTest(bad=bad):
                self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": bad}})
                code, out = self.check()
                self.assertEqual(code, 1, out)
                self.assertIn(self.where("issuer-sha256: ") + "certificate issuer-sha256 must be 64 hex digits",
                              out)

    def test_a_ca_no_listener_trusts_is_an_error(self):
        # inter signed ileafclient, but no listener's client-ca holds it; the
        # leaf's own fingerprint is not a CA's either
        for name in ("inter", "client"):
            with self.subTest(name=name):
                self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha(name)}})
                code, out = self.check()
                self.assertEqual(code, 1, out)
                self.assertIn(self.where("issuer-sha256: ") + "client 'tenant-a': certificate issuer-sha256 names "
                              "no CA of a listener's tls.client-ca", out)
        for name in ("ca", "rogueca"):
            self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha(name)}})
            self.assertEqual(self.check(), (0, "ok\n"))

    def test_a_reload_with_a_bad_issuer_keeps_the_old_config(self):
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("ca")}})
        self.start()
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": self.sha("inter")}})
        self.a.reload(expect="failed")
        self.write({"tenant-a": {"subject": "CN=tenant-a", "issuer-sha256": "not-hex"}})
        self.a.reload(expect="failed")
        self.assertEqual([self.status(self.both_port, "client"), self.status(self.both_port, "roguesigned")],
                         [200, 401])


if __name__ == "__main__":
    unittest.main()

"""The directory's URIs are absolute (issue 14, RFC 7285 §9.2 and its
examples): from a listener's base-url, or else from the request's scheme and
the authority it named (Host, or an absolute-form target); relative only
with relative-uris. Every URI is followed as given by real HTTP clients
(Python's urllib, and requests where installed: the Python ALTO client that
failed on relative URIs raised requests' MissingSchema), over HTTP and
HTTPS, IPv4 and IPv6. A client picks Host: hostile values are refused or
kept harmless, and a flood of distinct ones is bounded."""

import gzip
import json
import os
import re
import shutil
import ssl
import unittest
import urllib.error
import urllib.parse
import urllib.request

import altodtest as at
import tlsutil

PKI = tlsutil.ModulePki()
setUpModule, tearDownModule = PKI.setup, PKI.cleanup




def tls_ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.load_verify_locations(PKI.ca_pem)
    c.check_hostname = True
    c.verify_mode = ssl.CERT_REQUIRED
    c.load_cert_chain(PKI.client_pem, PKI.client_key)
    return c


def start(tc, listeners):
    """altod with these listener blocks (YAML list items), the example maps
    and tls/ holding server cert A and the CA."""
    text = "server:\n  listen:\n" + "".join(listeners) + "maps:\n  - maps/example.yaml\n"
    d = at.make_tree(tc, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
    os.makedirs(os.path.join(d, "tls"))
    for src, dst in [(PKI.server_pem, "cert.pem"), (PKI.server_key, "key.pem"), (PKI.ca_pem, "ca.pem")]:
        shutil.copyfile(src, os.path.join(d, "tls", dst))
    return at.start_altod_in(tc, d)


def listener(address, extra="", tls=False):
    a = '"%s"' % address if ":" in address else address
    text = "    - address: %s\n      port: 0\n" % a
    if tls:
        text += "      tls:\n        certificate: tls/cert.pem\n        key: tls/key.pem\n"
    return text + "".join("      %s\n" % ln for ln in extra.splitlines())


def urllib_fetch(url, method, body, ctype, accept, ctx=None):
    """Follows an absolute URI as given, with urllib: (status, media type, bytes)."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Accept": accept})
    if ctype:
        req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, timeout=at.IO_TIMEOUT, context=ctx) as r:
        return r.status, r.headers.get_content_type(), r.read()


def directory_entries(ird):
    """(resource id, uri, method, request body, content type, accept) of every resource."""
    out = []
    for label, method, uri, body, ctype in at.resource_requests(ird):
        if label == "GET /":
            continue
        rid = label.split(" ")[0]
        out.append((label, uri, method, body, ctype, ird.resources[rid]["media-type"]))
    return out


class Uris(at.AltodTestCase):
    maxDiff = None

    def fetch_directory(self, client, host=None, target="/"):
        conn = client.connect()
        try:
            conn.putrequest("GET", target, skip_host=host is not None)
            if host is not None:
                conn.putheader("Host", host)
            conn.endheaders()
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def assertFollowed(self, ird, base, ctx=None):
        """Every URI starts with base + '/', and urllib fetches each as given."""
        entries = directory_entries(ird)
        self.assertGreaterEqual(len(entries), 8)
        for label, uri, method, body, ctype, accept in entries:
            with self.subTest(uri=uri, request=label):
                self.assertTrue(uri.startswith(base + "/"), (uri, base))
                u = urllib.parse.urlsplit(uri)
                self.assertIn(u.scheme, ("http", "https"))
                self.assertTrue(u.netloc)
                status, mt, data = urllib_fetch(uri, method, body, ctype, accept, ctx)
                self.assertEqual((status, mt), (200, accept), data)
                json.loads(data)

    # ---- from the request ----

    def test_http_ipv4_absolute_and_followed(self):
        a = start(self, [listener("127.0.0.1")])
        c = a.client(0)
        base = "http://127.0.0.1:%d" % c.port
        status, _, body = self.fetch_directory(c)
        self.assertEqual(status, 200)
        ird = at.Ird(json.loads(body))
        self.assertFollowed(ird, base)
        # the directory itself, followed through urllib from its absolute URI
        self.assertEqual(urllib_fetch(base + "/", "GET", None, None, at.MT_DIRECTORY)[0], 200)

    def test_https_absolute_and_followed(self):
        a = start(self, [listener("127.0.0.1", tls=True)])
        c = a.client(0, ssl_context=tls_ctx())
        self.assertEqual(c.scheme, "https")
        status, _, body = self.fetch_directory(c)
        self.assertEqual(status, 200)
        self.assertFollowed(at.Ird(json.loads(body)), "https://127.0.0.1:%d" % c.port, ctx=tls_ctx())

    def test_ipv6_host(self):
        a = start(self, [listener("::1")])
        c = a.client(0)
        self.assertEqual(c.host, "::1")
        status, _, body = self.fetch_directory(c)  # Host: [::1]:port (http.client's)
        self.assertEqual(status, 200)
        self.assertFollowed(at.Ird(json.loads(body)), "http://[::1]:%d" % c.port)

    def test_requests_library_follows_them(self):
        try:
            import requests  # noqa: PLC0415 -- optional: the client library of the report
        except ImportError:
            self.skipTest("the requests library is not installed")
        a = start(self, [listener("127.0.0.1")])
        base = "http://127.0.0.1:%d" % a.client(0).port
        ird = at.Ird(requests.get(base + "/", timeout=at.IO_TIMEOUT).json())
        for label, uri, method, body, ctype, accept in directory_entries(ird):
            with self.subTest(request=label):
                r = requests.request(method, uri, data=body, headers={"Accept": accept, **(
                    {"Content-Type": ctype} if ctype else {})}, timeout=at.IO_TIMEOUT)
                self.assertEqual((r.status_code, r.headers["Content-Type"]), (200, accept), r.text)

    def test_host_names_and_ports_as_the_client_wrote_them(self):
        a = start(self, [listener("127.0.0.1")])
        c = a.client(0)
        cases = [
            # a name and the port of a proxy in front: kept (the URIs lead back through it)
            ("alto.example.net:8443", "http://alto.example.net:8443"),
            # case-insensitive (RFC 3986 §3.2.2): one spelling
            ("ALTO.Example.NET:8080", "http://alto.example.net:8080"),
            # no port: the scheme's default, not written
            ("alto.example.net", "http://alto.example.net"),
            ("alto.example.net:80", "http://alto.example.net"),
            ("[2001:DB8::1]:7000", "http://[2001:db8::1]:7000"),
            ("192.0.2.7", "http://192.0.2.7"),
        ]
        for host, base in cases:
            with self.subTest(host=host):
                status, _, body = self.fetch_directory(c, host=host)
                self.assertEqual(status, 200)
                uris = [r["uri"] for r in json.loads(body)["resources"].values()]
                self.assertTrue(uris)
                for u in uris:
                    self.assertTrue(u.startswith(base + "/"), (u, base))
                    self.assertEqual(at.without_uri_base(b'"uri":"' + u.encode()), b'"uri":"'
                                     + urllib.parse.urlsplit(u).path.encode())
        # an absolute-form target names the authority itself (RFC 7230 §5.5): Host is ignored
        status, _, body = self.fetch_directory(c, host="ignored.example", target="http://target.example:81/")
        self.assertEqual(status, 200)
        for r in json.loads(body)["resources"].values():
            self.assertTrue(r["uri"].startswith("http://target.example:81/"), r)
        # HTTP/1.0 without Host: the address it connected to
        raw = a.raw(b"GET / HTTP/1.0\r\n\r\n")
        resp = at.parse_one_response(raw)[0]
        self.assertEqual(resp.status, 200)
        for r in resp.json()["resources"].values():
            self.assertTrue(r["uri"].startswith("http://127.0.0.1/"), r)

    def test_hostile_hosts(self):
        a = start(self, [listener("127.0.0.1")])
        c = a.client(0)
        # what framing refuses (RFC 7230 §5.4): nothing of it reaches a URI
        for host in ('evil"x', "evil\\x", "a b", "evil/x", "evil@x", "x:8o", "[::1", "x?y", "x#y", "<x>"):
            with self.subTest(host=host):
                raw = a.raw(b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")
                resp = at.parse_one_response(raw)[0]
                self.assertEqual(resp.status, 400, raw)
                self.assertNotIn(b"alto-directory", raw)
        # a host longer than a DNS name (253): would be repeated in every URI
        for host in ("a" * 256, "a" * 256 + ":80", "x:123456"):
            with self.subTest(host=host[:20]):
                status, _, body = self.fetch_directory(c, host=host)
                self.assertEqual(status, 400, body)
        status, _, body = self.fetch_directory(c, host="a" * 255)
        self.assertEqual(status, 200)
        # characters RFC 3986 allows in a reg-name: JSON stays valid, the URI is the host's
        host = "x!$&'()*+,;=-._~%41.example"
        status, _, body = self.fetch_directory(c, host=host)
        self.assertEqual(status, 200)
        for r in json.loads(body)["resources"].values():
            self.assertTrue(r["uri"].startswith("http://" + host.lower() + "/"), r)

    def test_etags_differ_per_host_and_validate_per_host(self):
        a = start(self, [listener("127.0.0.1")])
        c = a.client(0)
        s1, h1, b1 = self.fetch_directory(c, host="one.example")
        s2, h2, b2 = self.fetch_directory(c, host="two.example")
        self.assertEqual((s1, s2), (200, 200))
        self.assertNotEqual(b1, b2)
        self.assertNotEqual(h1["etag"], h2["etag"])
        # no Vary: Host (Host is part of the effective request URI, which caches key on)
        self.assertNotIn("host", h1.get("vary", "").lower())
        # one host's ETag validates only its own bytes
        conn = c.connect()
        try:
            for host, etag, want in (("one.example", h1["etag"], 304), ("two.example", h1["etag"], 200)):
                conn.putrequest("GET", "/", skip_host=True)
                conn.putheader("Host", host)
                conn.putheader("If-None-Match", etag)
                conn.endheaders()
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, want, host)
        finally:
            conn.close()
        # the same host again: the same bytes and ETag
        s3, h3, b3 = self.fetch_directory(c, host="one.example")
        self.assertEqual((s3, h3["etag"], b3), (200, h1["etag"], b1))

    def test_a_flood_of_hosts_is_answered_right_and_bounded(self):
        """More distinct Hosts than the kept renderings (16 per catalog):
        each answer is still its own host's, with an ETag of its bytes that
        validates; gzip only for the kept ones (the rest is a copy each).
        That the kept renderings are bounded is test_catalog.c's."""
        a = start(self, [listener("127.0.0.1")])
        c = a.client(0)
        conn = c.connect()
        seen = {}
        try:
            for i in range(40):
                host = "h%d.example" % i
                for inm in (None, "etag"):
                    conn.putrequest("GET", "/", skip_host=True, skip_accept_encoding=True)
                    conn.putheader("Host", host)
                    conn.putheader("Accept-Encoding", "gzip")
                    if inm:
                        conn.putheader("If-None-Match", seen[host][0])
                    conn.endheaders()
                    r = conn.getresponse()
                    data = r.read()
                    if inm:
                        self.assertEqual(r.status, 304, host)
                        continue
                    self.assertEqual(r.status, 200, host)
                    if r.getheader("Content-Encoding") == "gzip":
                        data = gzip.decompress(data)
                    seen[host] = (r.getheader("ETag"), r.getheader("Content-Encoding"))
                    for res in json.loads(data)["resources"].values():
                        self.assertTrue(res["uri"].startswith("http://%s/" % host), res)
        finally:
            conn.close()
        self.assertEqual(len({e for e, _ in seen.values()}), 40)
        gz = [h for h, (_, ce) in seen.items() if ce == "gzip"]
        # the example directory is worth compressing: the first 16 hosts got gzip, later ones not
        self.assertEqual(sorted(gz), sorted("h%d.example" % i for i in range(16)))

    # ---- configured ----

    def test_base_url(self):
        a = start(self, [listener("127.0.0.1", "base-url: https://alto.example.net/alto/"),
                         listener("127.0.0.1", "relative-uris: true"),
                         listener("127.0.0.1", tls=True, extra="base-url: http://[2001:db8::7]:8080")])
        for i, host, base in ((0, None, "https://alto.example.net/alto"),
                              (0, "other.example:99", "https://alto.example.net/alto"),
                              (2, None, "http://[2001:db8::7]:8080")):
            c = a.client(i, ssl_context=tls_ctx() if i == 2 else None)
            status, _, body = self.fetch_directory(c, host=host)
            self.assertEqual(status, 200)
            ird = at.Ird(json.loads(body))
            entries = directory_entries(ird)
            self.assertGreaterEqual(len(entries), 8)
            for label, uri, method, b, ctype, accept in entries:
                with self.subTest(listener=i, uri=uri):
                    self.assertTrue(uri.startswith(base + "/"), uri)
                    # the path after the base (a proxy would strip its prefix) is the resource
                    path = uri[len(base):]
                    r = c.request(method, path, body=b, headers={"Content-Type": ctype} if ctype else None)
                    self.assertEqual((r.status, r.content_type), (200, accept), r.body)
        # relative-uris: as before
        status, _, body = self.fetch_directory(a.client(1))
        self.assertEqual(status, 200)
        uris = [r["uri"] for r in json.loads(body)["resources"].values()]
        self.assertTrue(uris)
        for u in uris:
            self.assertTrue(u.startswith("/") and not u.startswith("//"), u)

    def test_tips_view_uris_have_the_same_base(self):
        """RFC 9569 §6.2's tips-view-uri, and the TIPS entry of the
        directory, take the directory's base."""
        text = ("server:\n  listen:\n" + listener("127.0.0.1") + listener("127.0.0.1", "base-url: https://a.example/x")
                + listener("127.0.0.1", "relative-uris: true") + "updates:\n  max-versions: 8\nmaps:\n"
                "  - maps/example.yaml\n")
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
        a = at.start_altod_in(self, d)
        for i, host, base in ((0, "Alto.Example:81", "http://alto.example:81"), (1, "ignored", "https://a.example/x"),
                              (2, "ignored", "")):
            with self.subTest(listener=i):
                c = a.client(i)
                _, _, body = self.fetch_directory(c, host=host)
                tips = [r for r in json.loads(body)["resources"].values() if r["media-type"] == at.MT_TIPS]
                self.assertEqual(len(tips), 1, body)
                self.assertEqual(tips[0]["uri"], base + "/tips")
                conn = c.connect()
                try:
                    data = json.dumps({"resource-id": "my-default-network-map"}).encode()
                    conn.putrequest("POST", "/tips", skip_host=True)
                    for k, v in (("Host", host), ("Content-Type", at.MT_TIPSPARAMS), ("Accept", at.MT_TIPS),
                                 ("Content-Length", str(len(data)))):
                        conn.putheader(k, v)
                    conn.endheaders(data)
                    r = conn.getresponse()
                    doc = json.loads(r.read())
                finally:
                    conn.close()
                self.assertEqual(r.status, 200, doc)
                self.assertRegex(doc["tips-view-uri"], "^" + re.escape(base) + "/tips/[^/]+$")

    def test_bad_value_on_reload_keeps_serving(self):
        a = start(self, [listener("127.0.0.1", "base-url: https://alto.example.net")])
        _, h0, b0 = self.fetch_directory(a.client(0))
        conf = a.conf
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text.replace("base-url: https://alto.example.net",
                                 "base-url: https://alto.example.net?x\n      proxy-protocol: true"))
        lines = a.reload("failed")
        self.assertTrue(any(":5:17: base-url 'https://alto.example.net?x' may have a path, but no query" in ln
                            for ln in lines), lines)
        self.assertTrue(any(":6:7: proxy-protocol needs trusted-proxies" in ln for ln in lines), lines)
        status, h1, b1 = self.fetch_directory(a.client(0))
        self.assertEqual((status, h1["etag"], b1), (200, h0["etag"], b0))

    def test_bad_settings(self):
        cases = [
            ("base-url: alto.example.net", "must start with http:// or https://"),
            ("base-url: ftp://alto.example.net", "must start with http:// or https://"),
            ("base-url: https://", "needs a host"),
            ("base-url: https://user@alto.example.net", "needs a host"),
            ("base-url: https://alto.example.net:99999", "needs a host"),
            ("base-url: https://alto.example.net/a?b", "no query"),
            ("base-url: https://alto.example.net?b", "no query"),
            ("base-url: https://alto.example.net/a#b", "no query"),
            ('base-url: "https://alto.example.net/a b"', "no query"),
            ("base-url: https://alto.example.net\nrelative-uris: true", "exclude each other"),
        ]
        for extra, msg in cases:
            with self.subTest(extra=extra):
                text = "server:\n  listen:\n" + listener("127.0.0.1", extra) + "maps:\n  - maps/example.yaml\n"
                d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": text})
                code, out = at.check_config(os.path.join(d, "altod.yaml"))
                self.assertNotEqual(code, 0)
                self.assertIn(msg, out)
                self.assertRegex(out, r"altod\.yaml:[0-9]+:[0-9]+: ")


if __name__ == "__main__":
    unittest.main()

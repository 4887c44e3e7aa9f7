"""Conditional requests and precompressed bodies (RFC 7232, RFC 7231 §3.1.2).

Every GET resource carries a strong ETag derived from its bytes; a matching
If-None-Match gets 304 with no body; gzip is served where Accept-Encoding
allows, precompressed at load, with its own ETag and Vary: Accept-Encoding.
"""
import gzip
import http.client
import json
import unittest

import altodtest as at


class Caching(unittest.TestCase):
    def setUp(self):
        self.altod = at.start_altod(self)

    def get(self, path, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.altod.port, timeout=at.IO_TIMEOUT)
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def resources(self):
        status, _, body = self.get("/")
        self.assertEqual(status, 200)
        ird = json.loads(body)
        return ["/"] + [e["uri"] for e in ird["resources"].values() if "accepts" not in e]

    def test_etag_and_304(self):
        for uri in self.resources():
            status, h, body = self.get(uri)
            self.assertEqual(status, 200, uri)
            etag = h["etag"]
            self.assertRegex(etag, r'^"[0-9a-f]{20}"$')
            status, h2, body2 = self.get(uri, {"If-None-Match": etag})
            self.assertEqual(status, 304, uri)
            self.assertEqual(body2, b"")
            self.assertEqual(h2["etag"], etag)
            self.assertNotIn("content-type", h2)
            # a Content-Length in a 304 is the 200's (RFC 7230 §3.3.2)
            self.assertEqual(h2.get("content-length", str(len(body))), str(len(body)))
            for other in ('"0000"', 'W/' + etag, '"x", ' + etag, "*"):
                st, _, _ = self.get(uri, {"If-None-Match": other})
                self.assertEqual(st, 304 if other != '"0000"' else 200, (uri, other))

    def test_gzip(self):
        for uri in self.resources():
            status, h, plain = self.get(uri)
            status_gz, hg, body = self.get(uri, {"Accept-Encoding": "gzip"})
            self.assertEqual(status_gz, 200)
            if "content-encoding" not in hg:
                # small bodies are not worth compressing: the same bytes
                self.assertEqual(body, plain, uri)
                continue
            self.assertEqual(hg["content-encoding"], "gzip")
            self.assertIn("Accept-Encoding", hg["vary"])
            self.assertIn("Accept-Encoding", h["vary"])
            self.assertEqual(gzip.decompress(body), plain, uri)
            self.assertNotEqual(hg["etag"], h["etag"])
            self.assertEqual(int(hg["content-length"]), len(body))
            st, _, b = self.get(uri, {"Accept-Encoding": "gzip", "If-None-Match": hg["etag"]})
            self.assertEqual((st, b), (304, b""))
            # the identity ETag does not validate the gzip representation
            st, _, _ = self.get(uri, {"Accept-Encoding": "gzip", "If-None-Match": h["etag"]})
            self.assertEqual(st, 200)
            # refused gzip: identity
            st, hq, b = self.get(uri, {"Accept-Encoding": "gzip;q=0, identity"})
            self.assertEqual((st, b), (200, plain))
            self.assertNotIn("content-encoding", hq)

    def test_same_etags_across_restarts(self):
        # one Host for both: the directory's URIs are built from it
        host = {"Host": "alto.example.net"}
        before = {uri: self.get(uri, host)[1]["etag"] for uri in self.resources()}
        other = at.start_altod(self)
        c = http.client.HTTPConnection("127.0.0.1", other.port, timeout=at.IO_TIMEOUT)
        for uri, etag in before.items():
            c.request("GET", uri, headers=host)
            r = c.getresponse()
            r.read()
            self.assertEqual(r.getheader("ETag"), etag, uri)
        c.close()


if __name__ == "__main__":
    unittest.main()

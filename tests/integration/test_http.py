"""HTTP/1.1 behaviour of altod (RFC 7285 §8.3, RFC 9110/9112), with raw
sockets where http.client would hide what the server sent."""

import json
import threading
import unittest

import altodtest as at
from altodtest import (MT_COSTMAP, MT_COSTMAPFILTER, MT_DIRECTORY, MT_ENDPOINTCOST,
                       MT_ENDPOINTCOSTPARAMS, MT_ENDPOINTPROP, MT_ENDPOINTPROPPARAMS, MT_NETWORKMAP,
                       MT_NETWORKMAPFILTER, cost_type)

NM = at.EXAMPLE_NETMAP
PROP = NM + ".pid"
GET_ALLOW = {"GET", "HEAD", "OPTIONS"}
POST_ALLOW = {"POST", "OPTIONS"}
FCM_BODY = {"cost-type": cost_type("routingcost", "numerical"),
            "pids": {"srcs": ["PID1"], "dsts": ["PID2", "PID3"]}}
FCM_EXPECTED = {"PID1": {"PID2": 5, "PID3": 10}}


def allow_set(r):
    v = r.header("Allow")
    if v is None:
        return None
    return {t.strip() for t in v.split(",") if t.strip()}


def request_bytes(method, path, headers=(), body=b"", version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, path, version)]
    lines += ["%s: %s" % kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class HttpServer(at.AltodTestCase):
    LIMITS = {"max-request-body": 4096}

    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls, limits=cls.LIMITS)
        cls.ird = cls.altod.ird()
        cls.nm_uri = cls.altod.url_path(cls.ird.networkmap_uri(NM))
        cls.fcm_uri = cls.altod.url_path(cls.ird.filtered_costmap_uri(NM))
        cls.ep_uri = cls.altod.url_path(cls.ird.endpointprop_uri())
        cls.ec_uri = cls.altod.url_path(cls.ird.endpointcost_uri(NM))
        cls.get_uris = [cls.altod.url_path(r["uri"]) for r in cls.ird.resources.values() if "accepts" not in r]
        cls.get_uris.append("/")
        cls.post_uris = [cls.altod.url_path(r["uri"]) for r in cls.ird.resources.values() if "accepts" in r]

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def fcm_request(self, extra_headers=(), conn_close=False):
        body = json.dumps(FCM_BODY).encode()
        h = [("Host", "localhost"), ("Content-Type", MT_COSTMAPFILTER), ("Content-Length", str(len(body)))]
        h += list(extra_headers)
        if conn_close:
            h.append(("Connection", "close"))
        return request_bytes("POST", self.fcm_uri, h, body)


class TestRouting(HttpServer):
    def test_unknown_uri_404(self):
        for path in ["/nope", "/networkmap/nope", self.nm_uri + "/", self.nm_uri + "x",
                     "/costmap/%s/routingcost/cardinal" % NM, "/costmap/%s/latency/numerical" % NM,
                     "/networkmap", "/costmap", "/endpointcost", "/endpointprop/x"]:
            for method in ("GET", "POST"):
                with self.subTest(path=path, method=method):
                    r = self.altod.request(method, path, body=b"{}" if method == "POST" else None,
                                           headers={"Content-Type": MT_NETWORKMAPFILTER})
                    self.assertEqual(r.status, 404, r)

    def test_post_on_get_resource_405(self):
        for uri in self.get_uris:
            for method in ("POST", "PUT", "DELETE", "PATCH"):
                with self.subTest(uri=uri, method=method):
                    r = self.altod.request(method, uri, body=b"{}", headers={"Content-Type": MT_NETWORKMAPFILTER})
                    self.assertEqual(r.status, 405, r)
                    self.assertEqual(allow_set(r), GET_ALLOW, r)

    def test_get_on_post_resource_405(self):
        for uri in self.post_uris:
            for method in ("GET", "HEAD", "PUT", "DELETE"):
                with self.subTest(uri=uri, method=method):
                    r = self.altod.request(method, uri)
                    self.assertEqual(r.status, 405, r)
                    self.assertEqual(allow_set(r), POST_ALLOW, r)

    def test_unknown_method_501(self):
        for uri in (self.nm_uri, self.fcm_uri, "/"):
            with self.subTest(uri=uri):
                r = self.altod.request("FOO", uri)
                self.assertEqual(r.status, 501, r)

    def test_options_204(self):
        for uri in self.get_uris + self.post_uris:
            with self.subTest(uri=uri):
                r = self.altod.request("OPTIONS", uri)
                self.assertEqual(r.status, 204, r)
                self.assertEqual(r.body, b"")
                self.assertEqual(allow_set(r), POST_ALLOW if uri in self.post_uris else GET_ALLOW, r)


class TestAccept(HttpServer):
    def check_get(self, accept, status):
        with self.subTest(accept=accept):
            r = self.altod.get(self.nm_uri, headers={"Accept": accept})
            self.assertEqual(r.status, status, r)
            if status == 200:
                self.assertEqual(r.content_type, MT_NETWORKMAP)
                self.assertIn("network-map", r.json())

    def check_post(self, accept, status):
        with self.subTest(accept=accept):
            r = self.altod.post(self.fcm_uri, FCM_BODY, MT_COSTMAPFILTER, headers={"Accept": accept})
            self.assertEqual(r.status, status, r)
            if status == 200:
                self.assertEqual(r.json()["cost-map"], FCM_EXPECTED)

    def test_get_accept(self):
        for a in [MT_NETWORKMAP, "*/*", "application/*", "APPLICATION/ALTO-NETWORKMAP+JSON",
                  "text/html, " + MT_NETWORKMAP + ";q=0.5", MT_NETWORKMAP + "; q=0.001",
                  MT_NETWORKMAP + ", " + at.MT_ERROR, "text/html;q=0.9, */*;q=0.1",
                  "application/*;q=0.2, text/*;q=0"]:
            self.check_get(a, 200)
        for a in ["application/json", "text/html", "text/*", MT_COSTMAP, at.MT_ERROR,
                  MT_NETWORKMAP + ";q=0", MT_NETWORKMAP + "; q=0.0", "*/*;q=0", "application/*;q=0",
                  MT_NETWORKMAP + ";q=0, */*", MT_NETWORKMAP + ";q=0, application/*;q=1",
                  "application/*;q=0, */*;q=1"]:
            self.check_get(a, 406)

    def test_post_accept(self):
        for a in [MT_COSTMAP, MT_COSTMAP + "," + at.MT_ERROR, "*/*", "application/*"]:
            self.check_post(a, 200)
        for a in ["application/json", MT_NETWORKMAP, at.MT_ERROR, MT_COSTMAP + ";q=0"]:
            self.check_post(a, 406)

    def test_no_accept_header(self):
        # http.client sends no Accept unless asked
        r = self.altod.get(self.nm_uri)
        self.assertOk(r, MT_NETWORKMAP)


class TestContentType(HttpServer):
    def test_missing_or_wrong_content_type_415(self):
        body = json.dumps(FCM_BODY)
        cases = [None, "application/json", "text/plain", MT_ENDPOINTCOSTPARAMS, MT_COSTMAP,
                 MT_COSTMAPFILTER + "x", "application/alto-costmapfilter", ""]
        for ct in cases:
            with self.subTest(content_type=ct):
                headers = {} if ct is None else {"Content-Type": ct}
                r = self.altod.request("POST", self.fcm_uri, body=body, headers=headers)
                self.assertEqual(r.status, 415, r)

    def test_content_type_parameters_are_fine(self):
        for ct in [MT_COSTMAPFILTER + "; charset=utf-8", MT_COSTMAPFILTER + ";charset=UTF-8",
                   "Application/ALTO-CostMapFilter+JSON"]:
            with self.subTest(content_type=ct):
                r = self.altod.post(self.fcm_uri, FCM_BODY, ct)
                doc = self.assertOk(r, MT_COSTMAP)
                self.assertEqual(doc["cost-map"], FCM_EXPECTED)

    def test_each_post_resource_wants_its_own_type(self):
        for uri, good in [(self.fcm_uri, MT_COSTMAPFILTER), (self.ep_uri, MT_ENDPOINTPROPPARAMS),
                          (self.ec_uri, MT_ENDPOINTCOSTPARAMS),
                          (self.altod.url_path(self.ird.filtered_networkmap_uri(NM)), MT_NETWORKMAPFILTER)]:
            for ct in [MT_COSTMAPFILTER, MT_ENDPOINTPROPPARAMS, MT_ENDPOINTCOSTPARAMS, MT_NETWORKMAPFILTER]:
                if ct == good:
                    continue
                with self.subTest(uri=uri, content_type=ct):
                    r = self.altod.post(uri, {}, ct)
                    self.assertEqual(r.status, 415, r)


class TestBodyLimit(HttpServer):
    """limits.max-request-body = 4096 in this server."""

    def padded(self, size):
        body = json.dumps(FCM_BODY).encode()
        return body + b" " * (size - len(body))

    def test_at_the_limit_is_fine(self):
        r = self.altod.post(self.fcm_uri, self.padded(4096), MT_COSTMAPFILTER)
        doc = self.assertOk(r, MT_COSTMAP)
        self.assertEqual(doc["cost-map"], FCM_EXPECTED)

    def test_over_the_limit_413(self):
        for size in (4097, 6000):
            with self.subTest(size=size):
                body = self.padded(size)
                data = request_bytes("POST", self.fcm_uri, [("Host", "x"), ("Content-Type", MT_COSTMAPFILTER),
                                                            ("Content-Length", str(len(body))),
                                                            ("Connection", "close")], body)
                resps = at.parse_all_responses(self.altod.raw(data))
                self.assertGreaterEqual(len(resps), 1)
                self.assertEqual(resps[0].status, 413, resps[0])

    def test_chunked_over_the_limit_413(self):
        body = self.padded(9000)
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000])
                          for i in range(0, len(body), 1000)) + b"0\r\n\r\n"
        data = request_bytes("POST", self.fcm_uri, [("Host", "x"), ("Content-Type", MT_COSTMAPFILTER),
                                                    ("Transfer-Encoding", "chunked"),
                                                    ("Connection", "close")], chunks)
        resps = at.parse_all_responses(self.altod.raw(data))
        self.assertGreaterEqual(len(resps), 1)
        self.assertEqual(resps[0].status, 413, resps[0])


    def test_large_chunked_body_413(self):
        # far over the limit (50x): the client must still get a 413, whether
        # the server reads the whole body or answers early and closes
        s = self.altod.socket()
        self.addCleanup(s.close)
        head = request_bytes("POST", self.fcm_uri, [("Host", "x"), ("Content-Type", MT_COSTMAPFILTER),
                                                    ("Transfer-Encoding", "chunked"), ("Connection", "close")])
        chunk = b"3e8\r\n" + b" " * 1000 + b"\r\n"

        def send():
            try:
                s.sendall(head)
                for _ in range(200):
                    s.sendall(chunk)
                s.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the server may stop reading once it has answered

        t = threading.Thread(target=send, daemon=True)
        t.start()
        data = at.recv_all(s, 5.0)
        t.join(10)
        resps = at.parse_all_responses(data) if data else []
        self.assertGreaterEqual(len(resps), 1, "no response at all to a 200 kB chunked body (limit 4096)")
        self.assertEqual(resps[0].status, 413, resps[0])


class TestChunkedRequest(HttpServer):
    def test_chunked_body_accepted(self):
        body = json.dumps(FCM_BODY).encode()
        parts = [body[:7], body[7:30], body[30:]]
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
        data = request_bytes("POST", self.fcm_uri, [("Host", "x"), ("Content-Type", MT_COSTMAPFILTER),
                                                    ("Transfer-Encoding", "chunked"),
                                                    ("Connection", "close")], chunks)
        resps = at.parse_all_responses(self.altod.raw(data))
        self.assertEqual(len(resps), 1, resps)
        self.assertEqual(resps[0].status, 200, resps[0])
        self.assertEqual(resps[0].content_type, MT_COSTMAP)
        self.assertEqual(json.loads(resps[0].body)["cost-map"], FCM_EXPECTED)

    def test_chunked_endpoint_cost(self):
        body = json.dumps({"cost-type": cost_type("routingcost", "numerical"),
                           "endpoints": {"srcs": ["ipv4:192.0.2.2"], "dsts": ["ipv4:198.51.100.200"]}}).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (1, body[i:i + 1]) for i in range(len(body))) + b"0\r\n\r\n"
        data = request_bytes("POST", self.ec_uri, [("Host", "x"), ("Content-Type", MT_ENDPOINTCOSTPARAMS),
                                                   ("Transfer-Encoding", "chunked"),
                                                   ("Connection", "close")], chunks)
        resps = at.parse_all_responses(self.altod.raw(data))
        self.assertEqual(len(resps), 1, resps)
        self.assertEqual(resps[0].status, 200, resps[0])
        self.assertEqual(json.loads(resps[0].body)["endpoint-cost-map"],
                         {"ipv4:192.0.2.2": {"ipv4:198.51.100.200": 5}})


class TestHostHeader(HttpServer):
    def test_http11_without_host_400(self):
        data = request_bytes("GET", self.nm_uri, [])
        raw = self.altod.raw(data)
        # exactly one well-formed response, and nothing after it
        parsed = at.parse_one_response(raw)
        self.assertIsNotNone(parsed, raw)
        resp, rest = parsed
        self.assertEqual(resp.status, 400, raw)
        self.assertEqual(rest, b"", raw)
        self.assertFalse(resp.body.startswith(b"HTTP/"), raw)

    def test_http10_without_host_is_fine(self):
        raw = self.altod.raw(request_bytes("GET", self.nm_uri, [], version="HTTP/1.0"))
        resps = at.parse_all_responses(raw)
        self.assertEqual(len(resps), 1, raw)
        self.assertEqual(resps[0].status, 200, raw)
        self.assertEqual(resps[0].content_type, MT_NETWORKMAP)
        self.assertIn("network-map", json.loads(resps[0].body))


class TestHead(HttpServer):
    def test_head_same_headers_no_body(self):
        for uri in self.get_uris:
            with self.subTest(uri=uri):
                g = self.altod.get(uri)
                self.assertEqual(g.status, 200)
                raw = self.altod.raw(request_bytes("HEAD", uri, [("Host", "x"), ("Connection", "close")]))
                end = raw.find(b"\r\n\r\n")
                self.assertGreater(end, 0, raw)
                self.assertEqual(raw[end + 4:], b"", "HEAD response carries a body")
                h = at.parse_one_response(raw, head_request=True)[0]
                self.assertEqual(h.status, 200)
                self.assertEqual(h.content_type, g.content_type)
                self.assertEqual(h.header("Content-Length"), str(len(g.body)))


class TestConnections(HttpServer):
    def test_content_length_matches(self):
        for uri in self.get_uris:
            r = self.altod.get(uri)
            self.assertEqual(r.header("Content-Length"), str(len(r.body)), uri)

    def test_keep_alive_http_client(self):
        conn = self.altod.connect()
        self.addCleanup(conn.close)
        r1 = self.altod.get("/", conn=conn)
        self.assertOk(r1, MT_DIRECTORY)
        self.assertNotEqual((r1.header("Connection") or "").lower(), "close", r1)
        sock = conn.sock
        self.assertIsNotNone(sock, "the server closed the connection after one response")
        r2 = self.altod.post(self.fcm_uri, FCM_BODY, MT_COSTMAPFILTER, conn=conn)
        self.assertEqual(self.assertOk(r2, MT_COSTMAP)["cost-map"], FCM_EXPECTED)
        self.assertIs(conn.sock, sock, "a new connection was needed")
        r3 = self.altod.get(self.nm_uri, conn=conn)
        self.assertOk(r3, MT_NETWORKMAP)
        self.assertIs(conn.sock, sock, "a new connection was needed")

    def test_keep_alive_raw(self):
        s = self.altod.socket()
        self.addCleanup(s.close)
        for i in range(3):
            s.sendall(request_bytes("GET", self.nm_uri, [("Host", "x")]))
            resps, rest = at.recv_responses(s, 1)
            self.assertEqual(len(resps), 1, "request %d got no response" % i)
            self.assertEqual(resps[0].status, 200)
            self.assertEqual(rest, b"")
            s.sendall(self.fcm_request())
            resps, rest = at.recv_responses(s, 1)
            self.assertEqual(len(resps), 1, "request %d got no response" % i)
            self.assertEqual(resps[0].status, 200)
            self.assertEqual(json.loads(resps[0].body)["cost-map"], FCM_EXPECTED)

    def test_connection_close(self):
        s = self.altod.socket()
        self.addCleanup(s.close)
        s.sendall(request_bytes("GET", "/", [("Host", "x"), ("Connection", "close")]))
        resps, rest = at.recv_responses(s, 1)
        self.assertEqual(len(resps), 1)
        self.assertEqual(resps[0].status, 200)
        self.assertEqual(resps[0].content_type, MT_DIRECTORY)
        self.assertIn("close", (resps[0].header("Connection") or "").lower())
        # the server closes its side: EOF, and nothing more
        self.assertEqual(rest + at.recv_all(s, 5.0), b"")
        s.settimeout(5.0)
        self.assertEqual(s.recv(10), b"")

    def test_pipelining_in_order(self):
        s = self.altod.socket()
        self.addCleanup(s.close)
        ep_body = json.dumps({"properties": [PROP], "endpoints": ["ipv4:198.51.100.200"]}).encode()
        data = (request_bytes("GET", "/", [("Host", "x")])
                + self.fcm_request()
                + request_bytes("HEAD", self.nm_uri, [("Host", "x")])
                + request_bytes("GET", self.nm_uri, [("Host", "x")])
                + request_bytes("POST", self.ep_uri, [("Host", "x"), ("Content-Type", MT_ENDPOINTPROPPARAMS),
                                                      ("Content-Length", str(len(ep_body)))], ep_body)
                + request_bytes("GET", "/nope", [("Host", "x"), ("Connection", "close")]))
        s.sendall(data)
        resps, rest = at.recv_responses(s, 6, head={2})
        self.assertEqual([r.status for r in resps], [200, 200, 200, 200, 200, 404], resps)
        self.assertEqual(resps[0].content_type, MT_DIRECTORY)
        self.assertEqual(resps[1].content_type, MT_COSTMAP)
        self.assertEqual(json.loads(resps[1].body)["cost-map"], FCM_EXPECTED)
        self.assertEqual(resps[2].content_type, MT_NETWORKMAP)
        self.assertEqual(resps[2].body, b"")
        self.assertEqual(resps[3].content_type, MT_NETWORKMAP)
        self.assertEqual(resps[2].header("Content-Length"), str(len(resps[3].body)))
        self.assertEqual(resps[4].content_type, MT_ENDPOINTPROP)
        self.assertEqual(json.loads(resps[4].body)["endpoint-properties"],
                         {"ipv4:198.51.100.200": {PROP: "PID2"}})
        self.assertEqual(rest, b"")

    def test_server_survives_garbage(self):
        for junk in [b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
                     b"POST " + self.fcm_uri.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"]:
            self.altod.raw(junk, timeout=1.0)
        self.assertTrue(self.altod.alive(), self.altod.stderr())
        self.assertOk(self.altod.get("/"), MT_DIRECTORY)


class TestEndpoints(HttpServer):
    def test_ipv6_endpoint_property(self):
        body = {"properties": [PROP], "endpoints": ["ipv6:2001:db8::1", "ipv6:2001:DB8:0::1", "ipv6:::"]}
        doc = self.assertOk(self.altod.post(self.ep_uri, body, MT_ENDPOINTPROPPARAMS), MT_ENDPOINTPROP)
        # keyed by the endpoint exactly as sent
        self.assertEqual(doc["endpoint-properties"], {
            "ipv6:2001:db8::1": {PROP: "PID3"}, "ipv6:2001:DB8:0::1": {PROP: "PID3"},
            "ipv6:::": {PROP: "PID3"}})

    def test_endpoint_cost_client_address_as_source(self):
        for body_eps in ({"dsts": ["ipv4:192.0.2.2"]}, {"srcs": [], "dsts": ["ipv4:192.0.2.2"]}):
            with self.subTest(endpoints=body_eps):
                body = {"cost-type": cost_type("routingcost", "numerical"), "endpoints": body_eps}
                doc = self.assertOk(self.altod.post(self.ec_uri, body, MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)
                # 127.0.0.1 is in PID3; PID3 -> PID1 = 20
                self.assertEqual(doc["endpoint-cost-map"], {"ipv4:127.0.0.1": {"ipv4:192.0.2.2": 20}})

    def test_endpoint_cost_client_address_as_destination(self):
        for body_eps in ({"srcs": ["ipv4:198.51.100.200"]}, {"srcs": ["ipv4:198.51.100.200"], "dsts": []}):
            with self.subTest(endpoints=body_eps):
                body = {"cost-type": cost_type("hopcount", "numerical"), "endpoints": body_eps}
                doc = self.assertOk(self.altod.post(self.ec_uri, body, MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)
                # PID2 -> PID3 = 4
                self.assertEqual(doc["endpoint-cost-map"], {"ipv4:198.51.100.200": {"ipv4:127.0.0.1": 4}})


class TestIPv6Listener(at.AltodTestCase):
    def test_ipv6_client_address(self):
        a = at.start_altod(self, listen=(("::1", 0),))
        self.assertEqual(a.host, "::1")
        ird = a.ird()
        body = {"cost-type": cost_type("routingcost", "numerical"),
                "endpoints": {"dsts": ["ipv4:192.0.2.2", "ipv6:2001:db8::1"]}}
        doc = self.assertOk(a.post(ird.endpointcost_uri(NM), body, MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)
        # ::1 is in PID3 (::/0); PID3 -> PID1 = 20, PID3 -> PID3 undefined
        self.assertEqual(at.drop_empty(doc["endpoint-cost-map"]), {"ipv6:::1": {"ipv4:192.0.2.2": 20}})


if __name__ == "__main__":
    unittest.main()

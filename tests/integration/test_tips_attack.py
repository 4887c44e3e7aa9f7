"""Attacks on TIPS (RFC 9569) against the real altod.

- Another tenant's (or the anonymous role's) view URI and edges answer,
  for every method (HEAD, OPTIONS, POST, unknown ones too), byte for byte
  what a view URI that never existed answers.
- Token guessing: malformed tokens, dot segments, percent-encoding,
  overlong paths and sequence numbers, query strings: a non-owner learns
  nothing (the same answer as for a token that never existed), and the
  owner's percent-encoded token is its token (RFC 3986 §6.2.2.2).
- A flood of opens: the same map again holds no new view, refused opens
  hold none, and the limit answers 429 with Retry-After (§6.2).
- A flood of long polls from one client is bounded by its connection limit
  (429 past it); a long poll whose client went away is taken off the
  waiting list and frees its connection.
- Huge and garbage open and next-edge bodies: 413 or 400, never a view.
- Tags of another resource or of another tenant's view give no edge from
  them, and the sequence numbers of a view do not count reloads it did not
  see.
"""

import re
import select
import signal
import socket
import time
import unittest

import altodtest as at
import isoutil as iu
from test_tips import (ACCEPT_BOTH, COST_KINDS, NM, OPEN_HEADERS, PW, World, next_edge, open_view,
                       polls_waiting, session, start_world, view_path, wait_polls, write_world)

NEVER = "0123456789abcdef" * 2
VARYING = ("date", "authentication-info")


def full(r):
    """Everything of an answer but what varies with the moment or the
    request's own Digest parameters (a fresh challenge's nonce)."""
    heads = sorted((k.lower(), re.sub(r'nonce="[^"]*"', 'nonce=""', v)) for k, v in r.headers
                   if k.lower() not in VARYING)
    return (r.status, r.reason, heads, r.body)


def views_held(a):
    mark = a.log_count()
    a.send_signal(signal.SIGUSR1)
    line = a.wait_for_log(r"TIPS: \d+ views held, \d+ long polls waiting", after=mark)
    return int(re.search(r"(\d+) views held", line).group(1))


class ConnWorld(World):
    """The access section limits every client to 4 connections (the
    anonymous ones count as one)."""

    def access_yaml(self):
        return super().access_yaml().replace("access:\n", "access:\n  max-connections: 4\n", 1)


class RawPoll:
    """A long poll on its own socket (the anonymous role), left unread."""

    def __init__(self, a, path):
        host, port = iu.listener(a, "http")
        self.sock = socket.create_connection((host, port), timeout=at.IO_TIMEOUT)
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: %s\r\n\r\n" %
                           (path, host, port, ACCEPT_BOTH)).encode())

    def answer(self):
        return at.recv_answer(self.sock)

    def answered(self):
        return bool(select.select([self.sock], [], [], 0)[0])

    def close(self):
        self.sock.close()


class TestForeignViews(at.AltodTestCase):
    def test_every_method_answers_like_a_view_that_never_existed(self):
        world = World(21)
        a = start_world(self, world)
        sa, sb, anon = session(self, a, "tenant-a"), session(self, a, "tenant-b"), session(self, a)
        views = {"tenant-a": view_path(open_view(sa, "view-a")), "tenant-b": view_path(open_view(sb, NM)),
                 "anonymous": view_path(open_view(anon, NM))}
        subs = ("", "/ug", "/ug/0/1", "/ug/1/2", "/ug/0/2", "/ug/5/9", "/ug/1/3", "/x")
        methods = ("GET", "HEAD", "OPTIONS", "POST", "DELETE", "PUT", "PATCH", "BREW")

        def probe(s, base, m, sub):
            h = {"Accept": ACCEPT_BOTH + ", " + at.MT_TIPS}
            body = None
            if m in ("POST", "PUT", "PATCH"):
                h["Content-Type"] = at.MT_TIPSPARAMS
                body = {"tag": "0" * 64}
            return full(s.request(m, base + sub, body=body, headers=h))

        for who, s in (("tenant-a", sa), ("tenant-b", sb), ("anonymous", anon)):
            for owner, base in views.items():
                if owner == who:
                    continue
                for m in methods:
                    for sub in subs:
                        never = probe(s, "/tips/" + NEVER, m, sub)
                        self.assertEqual(never[0], 404, (who, m, sub, never))
                        self.assertEqual(probe(s, base, m, sub), never, (who, owner, m, sub))
        # nothing of this made a view or a waiting poll, and the owners are served
        self.assertEqual((views_held(a), polls_waiting(a)), (3, 0))
        self.assertEqual(sa.get(views["tenant-a"] + "/ug/0/1").status, 200)


class TestTokenGuessing(at.AltodTestCase):
    def test_malformed_and_encoded_tokens(self):
        world = World(22)
        a = start_world(self, world)
        sa, sb = session(self, a, "tenant-a"), session(self, a, "tenant-b")
        token = view_path(open_view(sb, NM)).rsplit("/", 1)[1]
        self.assertRegex(token, r"^[0-9a-f]{32}$")

        def variants(t):
            pct = "".join("%%%02x" % ord(c) for c in t)
            return [
                "/tips/%s/ug/0/1" % pct,
                "/tips/%s/ug/0/1" % pct.upper(),
                "/tips/../tips/%s/ug/0/1" % t,
                "/tips/%s/ug/../ug/0/1" % t,
                "/tips/%s/./ug/0/1" % t,
                "/tips/%s/ug/0/1/" % t,
                "/tips/%s//ug/0/1" % t,
                "/tips//%s/ug/0/1" % t,
                "/tips/%s/ug/0/1?x=1" % t,
                "/tips/%s%%2Fug%%2F0%%2F1" % t,
                "/tips/%s%%00/ug/0/1" % t,
                "/tips/%s/ug/%%30/1" % t,
                "/tips/%s/ug/0/+1" % t,
                "/tips/%s/ug/0/1.0" % t,
                "/tips/%s/ug/0/%s" % (t, "9" * 4000),
                "/tips/%s/ug/0/1?%s" % (t, "q" * 20000),
                "/tips/%s/ug/0/1" % t.upper(),
                "/tips/%s/ug/0/1" % t[:-1],
                "/tips/%s0/ug/0/1" % t,
                "/tips/%s/ug/0/1" % (t[:16] + "g" * 16),
                "/TIPS/%s/ug/0/1" % t,
                "/tips%s/ug/0/1" % t,
            ]

        for mine, never in zip(variants(token), variants(NEVER)):
            for m in ("GET", "HEAD", "OPTIONS"):
                r = sa.request(m, mine, headers={"Accept": ACCEPT_BOTH})
                self.assertEqual(full(r), full(sa.request(m, never, headers={"Accept": ACCEPT_BOTH})),
                                 (m, mine[:120]))
                self.assertIn(r.status, (204, 400, 401, 404, 414, 431), (m, mine[:120], r))
        # the owner: a percent-encoded token is the token; malformed ones lead nowhere
        plain = sb.get("/tips/%s/ug/0/1" % token, headers={"Accept": ACCEPT_BOTH})
        self.assertEqual(plain.status, 200)
        for p in variants(token)[:2]:
            r = sb.get(p, headers={"Accept": ACCEPT_BOTH})
            self.assertEqual((r.status, r.body), (200, plain.body), p)
        for p in variants(token)[16:]:
            r = sb.get(p, headers={"Accept": ACCEPT_BOTH})
            self.assertEqual(r.status, 404, p)
            self.assertNotEqual(r.body, plain.body)
        self.assertTrue(a.alive())


class TestFloods(at.AltodTestCase):
    def test_a_flood_of_opens(self):
        world = World(23)
        a = start_world(self, world, {"tips-views-per-client": 2, "tips-views": 100})
        sb = session(self, a, "tenant-b")
        first = view_path(open_view(sb, NM))
        for _ in range(100):  # the same map again: the same view, no new one
            self.assertEqual(view_path(open_view(sb, NM)), first)
        for i in range(100):  # refused opens hold nothing
            r = open_view(sb, "nope-%d" % i)
            self.assertEqual((r.status, r.json()["meta"]["code"]), (400, "E_INVALID_FIELD_VALUE"))
        self.assertEqual(views_held(a), 1)
        self.assertEqual(open_view(sb, COST_KINDS[0]).status, 200)
        for rid in COST_KINDS[1:] + ["view-b"]:
            r = open_view(sb, rid)
            self.assertEqual((r.status, r.content_type, r.header("Retry-After")), (429, at.MT_ERROR, "300"), rid)
            self.assertEqual(r.json()["meta"], {"code": "E_INVALID_FIELD_VALUE", "field": "resource-id"})
        self.assertEqual(views_held(a), 2)
        # other clients are not held back by tenant-b's flood
        self.assertEqual(open_view(session(self, a), NM).status, 200)

    def admit(self, a, path, n):
        """A new long poll, once a connection is free: the n-th waiting."""
        deadline = time.monotonic() + 20 * at.SLOWDOWN
        while True:
            p = RawPoll(a, path)
            self.addCleanup(p.close)
            while polls_waiting(a) != n:
                if p.answered():  # 429: the connection of a gone poll is not given back yet
                    self.assertRegex(p.answer(), rb"^HTTP/1\.1 429 ")
                    break
                self.assertLess(time.monotonic(), deadline, "no connection given back")
                time.sleep(0.05)
            else:
                return p
            p.close()
            self.assertLess(time.monotonic(), deadline, "no connection given back")
            time.sleep(0.1)

    def test_a_flood_of_long_polls_is_bounded_by_the_connection_limit(self):
        world = ConnWorld(24)
        # the anonymous session's kept connection must stay one of the 4
        # until the fifth poll is refused: no idle limit (request-timeout
        # closes an idle keep-alive connection after 10 s, which the polls
        # and the statistics in between can take under valgrind)
        limits = {"request-timeout": 0}
        a = start_world(self, world, {"poll-timeout": 600}, limits)
        anon = session(self, a)  # its kept connection is one of the 4
        path = view_path(open_view(anon, NM)) + "/ug/1/2"
        polls = [RawPoll(a, path) for _ in range(3)]
        for p in polls:
            self.addCleanup(p.close)
        wait_polls(a, 3)
        # the fifth connection of the anonymous role: 429, nothing more waits
        extra = RawPoll(a, path)
        self.addCleanup(extra.close)
        self.assertRegex(extra.answer(), rb"(?s)^HTTP/1\.1 429 .*\r\nRetry-After: \d+\r\n")
        self.assertEqual(polls_waiting(a), 3)
        # polls whose client went away leave the waiting list long before
        # their poll-timeout, and give their connections back: seen by
        # the watchdog, or when a reload that has nothing for them wakes them
        polls[0].close()
        wait_polls(a, 2)
        for p in polls[1:]:
            p.close()
        world.costs["hopcount"][("p5", "p6")] += 1  # a reload that does not change the network map
        write_world(a.dir, world, {"poll-timeout": 600}, limits)
        a.reload()
        wait_polls(a, 0)
        again = [self.admit(a, path, n) for n in (1, 2, 3)]
        self.assertEqual(a.stop(), 0)
        for p in again:
            self.assertRegex(p.answer(), rb"^HTTP/1\.1 503 ")

    def test_a_disconnected_poll_leaves_the_waiting_list(self):
        world = World(25)
        a = start_world(self, world, {"poll-timeout": 600})
        anon = session(self, a)
        path = view_path(open_view(anon, NM)) + "/ug/1/2"
        polls = [RawPoll(a, path) for _ in range(4)]
        wait_polls(a, 4)
        # one resets its connection, one closes it, one half-closes it;
        # the one left still waits and is answered by the next change
        polls[0].sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        polls[0].close()
        polls[1].close()
        polls[2].sock.shutdown(socket.SHUT_WR)
        self.addCleanup(polls[2].close)
        self.addCleanup(polls[3].close)
        wait_polls(a, 1)
        world.change("move-prefix")
        world.pids["p0"].append(world.fresh())
        write_world(a.dir, world, {"poll-timeout": 600})
        a.reload()
        self.assertRegex(polls[3].answer(), rb"^HTTP/1\.1 200 ")
        self.assertEqual(polls_waiting(a), 0)


class TestBodies(at.AltodTestCase):
    def test_huge_and_garbage_bodies(self):
        world = World(26)
        a = start_world(self, world, limits={"max-request-body": 4096})
        sb = session(self, a, "tenant-b")
        path = view_path(open_view(sb, NM))
        held = views_held(a)
        host, port = iu.listener(a, "http")
        for target in ("/tips", path + "/ug"):
            # over the limit by Content-Length: 413 before the body is read
            r = sb.post(target, '{"resource-id": "%s", "x": "%s"}' % (NM, "a" * 8192), at.MT_TIPSPARAMS,
                        headers=OPEN_HEADERS)
            self.assertEqual(r.status, 413, target)
            for body in (b"\x00\xff\xfe" * 100, b"[" * 4000, b'{"resource-id": "' + b"\xc3" * 100 + b'"}',
                         b'{"resource-id": "net", "resource-id": "net"}', b"", b"null", b"1e999999",
                         b'{"tag": "' + b"\\u0000" * 10 + b'"}'):
                r = sb.post(target, body, at.MT_TIPSPARAMS, headers=OPEN_HEADERS)
                self.assertEqual((r.status, r.content_type), (400, at.MT_ERROR), (target, body[:40], r))
                self.assertIn(r.json()["meta"]["code"], ("E_SYNTAX", "E_MISSING_FIELD", "E_INVALID_FIELD_TYPE",
                                                         "E_INVALID_FIELD_VALUE"))
        # a chunked body over the limit (the anonymous role): 413 too
        s = socket.create_connection((host, port), timeout=at.IO_TIMEOUT)
        self.addCleanup(s.close)
        chunk = b"a" * 1024
        s.sendall(("POST /tips HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nAccept: %s\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n" % (at.MT_TIPSPARAMS, at.MT_TIPS)).encode() +
                  (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 8 + b"0\r\n\r\n")
        self.assertRegex(at.recv_answer(s), rb"^HTTP/1\.1 413 ")
        self.assertEqual(views_held(a), held)
        self.assertEqual(sb.get(path + "/ug/0/1", headers={"Accept": ACCEPT_BOTH}).status, 200)


class TestTags(at.AltodTestCase):
    def test_foreign_tags_and_hidden_versions(self):
        world = World(27)
        a = start_world(self, world)
        sa, sb = session(self, a, "tenant-a"), session(self, a, "tenant-b")
        ird_a, ird_b = sa.get("/").json()["resources"], sb.get("/").json()["resources"]
        # a network map's tag is its vtag's (RFC 7285 §10.3); a cost map has
        # none of its own: altod takes its ETag's
        tag_a = sa.get(ird_a["view-a"]["uri"]).json()["meta"]["vtag"]["tag"]
        tag_b_cost = sb.get(ird_b[COST_KINDS[0]]["uri"]).header("ETag").strip('"')
        tag_b = sb.get(ird_b[NM]["uri"]).json()["meta"]["vtag"]["tag"]
        self.assertNotEqual(tag_a, tag_b)
        # tenant-b's own tag: the next edge; another resource's or tenant-a's view's: the snapshot
        rec = lambda r: r.json()["tips-view-summary"]["updates-graph-summary"]["start-edge-rec"]  # noqa: E731
        self.assertEqual(rec(open_view(sb, NM, tag_b)), {"seq-i": 1, "seq-j": 2})
        for t in (tag_a, tag_b_cost):
            self.assertEqual(rec(open_view(sb, NM, t)), {"seq-i": 0, "seq-j": 1}, t)
        self.assertEqual(rec(open_view(sa, "view-a", tag_b)), {"seq-i": 0, "seq-j": 1})
        pa = view_path(open_view(sa, "view-a"))
        self.assertEqual(next_edge(sa, pa, tag_b).json()["start-edge-rec"], {"seq-i": 0, "seq-j": 1})
        # reloads tenant-a's view does not show: its numbering does not move,
        # its URI stays, and tenant-b's tags of them mean nothing to it
        tags_b = []
        for kind in ("hidden-costs", "hidden-move", "add-pid", "hidden-costs"):
            world.change(kind)
            world.costs["routingcost"][("p5", "p6")] += 1
            write_world(a.dir, world)
            a.reload()
            tags_b.append(sb.get(ird_b[NM]["uri"]).json()["meta"]["vtag"]["tag"])
        r = open_view(sa, "view-a", tag_a)
        self.assertEqual(view_path(r), pa)
        g = r.json()["tips-view-summary"]["updates-graph-summary"]
        self.assertEqual((g["start-seq"], g["end-seq"], g["start-edge-rec"]),
                         (1, 1, {"seq-i": 1, "seq-j": 2}))
        for t in tags_b:
            self.assertEqual(next_edge(sa, pa, t).json()["start-edge-rec"], {"seq-i": 0, "seq-j": 1})
        self.assertEqual(sa.get(pa + "/ug/0/3", headers={"Accept": ACCEPT_BOTH}).status, 425)
        # the reloads did make versions where they showed
        g = open_view(sb, COST_KINDS[0]).json()["tips-view-summary"]["updates-graph-summary"]
        self.assertEqual(g["end-seq"], 5)


if __name__ == "__main__":
    unittest.main()

"""docs/updates.md's walk-throughs are altod's real answers.

The TIPS session (RFC 9569) and the SSE session (RFC 8895) of
docs/updates.md are replayed, each on its own altod on the shipped
configuration with a copy of conf/maps (updatesdoc.py: the requests, the
sed edits of the maps and the reloads the doc shows, in its order), and
every answer the doc shows must be the live one: status line, headers but
Date, body, events in their order. Only the view token and the stream's
control URI id are random: they match any id of their shape, and stand
for it for the rest of the session.
"""

import re
import unittest

import altodtest as at
import updatesdoc


class UpdatesDoc(at.AltodTestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = updatesdoc.read_doc()
        cls.sessions = updatesdoc.sessions(cls.text)

    def replay(self, name, text=None):
        text = self.text if text is None else text
        steps = updatesdoc.sessions(text)[name]
        return updatesdoc.replay(self, text, steps)

    def check(self, name):
        rp = self.replay(name)
        if rp.diffs:
            self.fail("\n\n".join(rp.diffs))
        return rp

    def kinds(self, name):
        steps = self.sessions[name]
        return steps, [s.kind for s in steps]

    # ---- what the sessions hold (a doc that drops a step fails here) ----

    def test_tips_session_shows_the_whole_walk_through(self):
        steps, kinds = self.kinds("tips")
        curls = [s for s in steps if s.kind == "curl"]
        self.assertEqual([(s.method, s.path, s.jq) for s in curls[:2]],
                         [("GET", "/", ".resources.tips"), ("POST", "/tips", ".")])
        polls = [s for s in curls if s.background]
        self.assertEqual(len(polls), 1, "one long poll, answered by the reload")
        self.assertRegex(polls[0].path, r"^/tips/[0-9a-f]{32}/ug/1/2$")
        self.assertEqual(kinds.count("sed"), 1)
        self.assertEqual(kinds.count("reload"), 1)
        reload = steps[kinds.index("reload")]
        self.assertEqual(len(reload.outputs), 1, "the long poll's answer follows the reload")
        shown = [self.text[s.outputs[0][0]:s.outputs[0][1]] for s in curls if s.outputs]
        self.assertEqual(len(shown), len(curls) - 1)
        for status in ("200 OK", "404 Not Found", "425 Too Early"):
            self.assertTrue(any(t.startswith("HTTP/1.1 " + status) for t in shown), status)
        self.assertTrue(any(s.method == "POST" and s.path.endswith("/ug") for s in curls), "no next-edge request")
        self.assertTrue(any(dict(s.headers).get("Accept") == at.MT_JSONPATCH for s in curls), "no JSON patch edge")

    def test_sse_session_shows_the_whole_walk_through(self):
        steps, kinds = self.kinds("sse")
        curls = [s for s in steps if s.kind == "curl"]
        self.assertEqual((curls[0].path, curls[0].jq), ("/", '.resources["update-stream"]'))
        streams = [s for s in curls if s.stream]
        self.assertEqual(len(streams), 1)
        self.assertTrue(streams[0].include)
        controls = [s for s in curls if s.path.startswith("/updates/control/")]
        self.assertEqual(len(controls), 2)
        self.assertEqual((kinds.count("sed"), kinds.count("reload")), (2, 2))
        events = [s for s in steps if s.kind == "events"]
        self.assertEqual(len(events), 3, "after the control request and after each reload")
        # the events after each reload come after that reload
        for i, k in enumerate(kinds):
            if k == "reload":
                self.assertEqual(kinds[i + 1], "events")

    # ---- the replays ----

    def test_tips_walk_through_is_altods(self):
        rp = self.check("tips")
        self.assertGreaterEqual(len(rp.results), 9)
        self.assertEqual(len(rp.ids.live_of), 1, rp.ids.live_of)  # the view, learnt from the open

    def test_sse_walk_through_is_altods(self):
        rp = self.check("sse")
        self.assertGreaterEqual(len(rp.results), 7)
        self.assertEqual(len(rp.ids.live_of), 1, rp.ids.live_of)  # the control URI

    # ---- the check itself: a doc altod does not agree with fails it ----

    def test_a_wrong_tips_answer_fails_with_a_diff(self):
        """A Content-Length off by one, and the 425 asked of another view
        (the doc's id no longer the one learnt: altod answers 404): both
        are reported, with a diff of the doc against altod."""
        steps = self.sessions["tips"]
        long_poll = next(s for s in steps if s.kind == "reload")
        s, e = long_poll.outputs[0]
        answer = self.text[s:e]
        self.assertIn("Content-Length: 32\n", answer)
        text = self.text[:s] + answer.replace("Content-Length: 32\n", "Content-Length: 33\n") + self.text[e:]
        m = re.search(r"(\$ curl -s -i http://127\.0\.0\.1:8080/tips/)([0-9a-f]{32})(/ug/5/6)", text)
        self.assertIsNotNone(m)
        text = text[:m.start(2)] + "0123456789abcdef" * 2 + text[m.end(2):]
        diffs = self.replay("tips", text).diffs
        self.assertEqual(len(diffs), 2, diffs)
        self.assertIn("-Content-Length: 33\n+Content-Length: 32", diffs[0])
        self.assertIn("-HTTP/1.1 425 Too Early\n+HTTP/1.1 404 Not Found", diffs[1])

    def test_events_out_of_order_or_missing_fail(self):
        """The last two events swapped: a diff. And a doc that leaves out
        the last event: SIGTERM ends the stream, and the event the doc
        does not show is reported."""
        last = [s for s in self.sessions["sse"] if s.kind == "events"][-1]
        s, e = last.outputs[0]
        first, second = self.text[s:e].split("\n\n")
        swapped = self.text[:s] + second + "\n\n" + first + self.text[e:]
        diffs = self.replay("sse", swapped).diffs
        self.assertEqual(len(diffs), 1, diffs)
        self.assertIn("+event: application/merge-patch+json,rc", diffs[0])
        self.assertIn("-event: application/merge-patch+json,rc", diffs[0])
        shortened = self.text[:s] + first + self.text[e:]
        diffs = self.replay("sse", shortened).diffs
        self.assertEqual(len(diffs), 1, diffs)
        self.assertIn("the stream sent events the doc does not show", diffs[0])
        self.assertIn("event: application/merge-patch+json,hop", diffs[0])


if __name__ == "__main__":
    unittest.main()

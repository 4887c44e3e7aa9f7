"""The updates history on the real daemon: each reload line says what the
history holds and what this reload changed; SIGUSR1 logs it; the `updates:`
section is reloadable, and a bad one is refused with its position while the
old maps and history keep serving."""

import os
import re
import signal
import unittest

import altodtest as at

NET_A, COSTS_A = at.RFC_NET_A, at.RFC_COSTS_A
# one routing cost changed: PID3 -> PID1 20 -> 25 (still the largest: the
# ordinal routingcost map stays the same)
COSTS_B = COSTS_A.replace("PID3: {PID1: 20, PID2: 15}", "PID3: {PID1: 25, PID2: 15}")
assert COSTS_B != COSTS_A
MAPS = ("maps/net.yaml", "maps/costs.yaml")

RELOAD_RX = re.compile(r"updates history: (\d+) versions, (\d+) bytes of patches, built in [0-9.]+ s "
                       r"\(patches [0-9.]+ s\), (\d+) resources changed \(merge patches (\d+) bytes of (\d+); "
                       r"JSON patches (\d+) bytes of (\d+)\);")
STATS_RX = re.compile(r"updates: history: (\d+) resources, (\d+) versions, (\d+) bytes of patches")


def write(directory, rel, text):
    path = os.path.join(directory, rel)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


class History(unittest.TestCase):
    def start(self, updates="updates: {max-versions: 8}\n"):
        self.a = at.start_altod(self, {"maps/net.yaml": NET_A, "maps/costs.yaml": COSTS_A},
                                extra_config=updates)
        return self.a

    def conf(self, updates):
        write(self.a.dir, "altod.yaml", at.config_text(list(MAPS), extra=updates))

    def reload_figures(self, expect="ok"):
        lines = self.a.reload(expect)
        ok = [ln for ln in lines if "reload: ok" in ln]
        if expect != "ok":
            return lines
        m = RELOAD_RX.search(ok[0])
        self.assertIsNotNone(m, ok[0])
        return tuple(int(x) for x in m.groups())

    def stats(self):
        mark = self.a.log_count()
        self.a.send_signal(signal.SIGUSR1)
        line = self.a.wait_for_log(r"updates: history: ", after=mark)
        return tuple(int(x) for x in STATS_RX.search(line).groups())

    def test_start_reload_and_sigusr1(self):
        a = self.start()
        ready = a.wait_for_log(r"ready: ")
        m = RELOAD_RX.search(ready)
        self.assertIsNotNone(m, ready)
        # a network map and four cost maps, one version each, no patch
        self.assertEqual(tuple(int(x) for x in m.groups()[:3]), (5, 0, 0))
        self.assertEqual(self.stats(), (5, 5, 0))
        # nothing changed: no version
        self.assertEqual(self.reload_figures()[:4], (5, 0, 0, 0))
        # one cost: one new version, of num-routingcost only
        write(a.dir, "maps/costs.yaml", COSTS_B)
        versions, held, changed, merge, bodies, jp, jp_bodies = self.reload_figures()
        self.assertEqual((versions, changed), (6, 1))
        full = a.get(self.costmap_path(a))
        self.assertEqual(bodies, len(full.body))
        self.assertEqual(jp_bodies, len(full.body))
        self.assertEqual(merge, len(b'{"cost-map":{"PID3":{"PID1":25}}}'))
        self.assertEqual(held, merge + jp)
        self.assertEqual(self.stats(), (5, 6, held))

    def costmap_path(self, a):
        return a.url_path(a.ird().costmap_uri("net1", "routingcost", "numerical"))

    def test_limits_reload_and_bad_section_keeps_serving(self):
        a = self.start()
        write(a.dir, "maps/costs.yaml", COSTS_B)
        self.assertEqual(self.reload_figures()[:3], (6, self.stats()[2], 1))
        before = self.stats()
        # a bad value: refused at its position, the old maps and history serve on
        self.conf("updates:\n  max-versions: 0\n")
        write(a.dir, "maps/costs.yaml", COSTS_A)
        lines = self.reload_figures("failed")
        text = "\n".join(lines)
        n = len(at.config_text(list(MAPS)).splitlines()) + 2
        self.assertIn("altod.yaml:%d:17: max-versions must be 1 to 1000000" % n, text)
        self.assertEqual(self.stats(), before)
        body = a.get(self.costmap_path(a)).json()
        self.assertEqual(body["cost-map"]["PID3"]["PID1"], 25)
        # max-versions 1 is reloadable: the change is a version, no patch kept
        self.conf("updates:\n  max-versions: 1\n")
        versions, held, changed = self.reload_figures()[:3]
        self.assertEqual((versions, held, changed), (5, 0, 1))
        self.assertEqual(self.stats(), (5, 5, 0))


if __name__ == "__main__":
    unittest.main()

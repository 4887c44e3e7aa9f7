"""The memory one multi-cost endpoint cost request takes (RFC 8189 over
conf/maps/perfmetrics.yaml, RFC 9439's metrics): 1000 sources x 1000
destinations, every one of the 11 metrics numerical and 5 of them
ordinal, ranked among this request's pairs (RFC 7285 §6.1.2.2).

An ordinal column ranked per request needs its ranks for every pair
before the first row is written (4 bytes a pair, as 51020c8 kept them);
everything else is looked up one source's row at a time. The mcperf plan
kept 4 to 20 bytes a pair for every column: VmHWM 6 MB before, 84 MB
after this request (51020c8: 19 MB; now 16 MB), which multiplies with
concurrent requests. The bound is on the growth of altod's peak RSS
(VmHWM, /proc/PID/status) over the request: deterministic (no timing),
generous for this code (the answer itself is 7.2 MB, grown 10 MB), far
under the mcperf plan's 78 MB.
"""

import os
import unittest

import altodtest as at
from altodtest import MT_ENDPOINTCOST, MT_ENDPOINTCOSTPARAMS, cost_type

PERF_MAPS = os.path.join(at.SRC, "conf", "maps", "perfmetrics.yaml")
NM = "perf-network-map"
NUMERICAL = ["delay-ow", "delay-ow:p95", "delay-rt", "delay-variation", "lossrate", "hopcount", "tput",
             "bw-residual", "bw-available", "bw-maxres", "priv:sla-delay-rt"]
ORDINAL = ["delay-ow", "delay-rt", "lossrate", "hopcount", "bw-available"]
TYPES = [cost_type(m, "numerical") for m in NUMERICAL] + [cost_type(m, "ordinal") for m in ORDINAL]
# every PID of the map, and addresses in none (no costs: null/left out)
ADDRS = (["ipv4:192.0.2.%d" % i for i in range(256)] + ["ipv4:198.51.100.%d" % i for i in range(256)]
         + ["ipv4:203.0.113.%d" % i for i in range(256)] + ["ipv6:2001:db8::%x" % i for i in range(200)]
         + ["ipv4:10.0.0.%d" % i for i in range(32)])
BOUND_MB = 36  # growth of VmHWM over the request


def vm_hwm(pid):
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/%d/status" % pid)


@at.skip_under_wrapper("the peak RSS of altod under valgrind is valgrind's")
@at.skip_under_sanitizer("its peak RSS is mostly the sanitizer's shadow memory")
class TestMultiCostMemory(at.AltodTestCase):
    def test_peak_rss_of_a_million_pairs(self):
        with open(PERF_MAPS, encoding="utf-8") as f:
            altod = at.start_altod(self, {"maps/perfmetrics.yaml": f.read()})
        uri = altod.ird().endpointcost_uri(NM)
        self.assertEqual(len(ADDRS), 1000)
        small = {"multi-cost-types": TYPES, "endpoints": {"srcs": ADDRS[:1], "dsts": ADDRS[:2]}}
        self.assertOk(altod.post(uri, small, MT_ENDPOINTCOSTPARAMS), MT_ENDPOINTCOST)
        before = vm_hwm(altod.pid)
        big = {"multi-cost-types": TYPES, "endpoints": {"srcs": ADDRS, "dsts": ADDRS}}
        r = altod.post(uri, big, MT_ENDPOINTCOSTPARAMS)
        after = vm_hwm(altod.pid)
        doc = self.assertOk(r, MT_ENDPOINTCOST)
        # the answer is whole: every source with a cost, each of its rows
        # with every destination with a cost; the ranks among these pairs
        # (delay-ow 40 is the 6th of 0, 10, 20, 25, 30, 40; bw-available,
        # higher is better, 500000000 the 2nd)
        ecm = doc["endpoint-cost-map"]
        self.assertEqual(len(ecm), 128)  # 192.0.2.0/25: PID1 and PID2, the only sources with costs
        self.assertEqual(len(ecm["ipv4:192.0.2.2"]), 840)  # all but 192.0.2.128/25 and 10.0.0.0/27 (no PID)
        self.assertEqual(ecm["ipv4:192.0.2.2"]["ipv6:2001:db8::10"], [40, 60, 80, 9, 100, 4, 64000, 0, 500000000,
                                                                      12500000, None, 6, 5, 4, 4, 2])
        grown = (after - before) / 1e6
        print("VmHWM %.1f MB before, %.1f MB after: %.1f MB more; answer %.2f MB"
              % (before / 1e6, after / 1e6, grown, len(r.body) / 1e6))
        self.assertLess(grown, BOUND_MB)


if __name__ == "__main__":
    unittest.main()

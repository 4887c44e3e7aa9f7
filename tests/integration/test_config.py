"""Configuration and maps files: `altod -t` diagnostics, start-up failures,
several maps files."""

import os
import re
import signal
import socket
import subprocess
import tempfile
import unittest

import altodtest as at
import config_reference
from altodtest import MT_COSTMAP, MT_NETWORKMAP

MARK = "#<"  # a YAML comment marking the line where an error is expected

GOOD_NETMAP = """\
network-maps:
  net1:
    pids:
      PID1:
        ipv4: [192.0.2.0/24]
      PID2:
        ipv4: [198.51.100.0/24]
        ipv6:
          - 2001:db8::/32
"""


def marked_lines(text, tag=""):
    """1-based numbers of the lines carrying MARK + tag."""
    want = MARK + tag
    return [i + 1 for i, line in enumerate(text.splitlines())
            if line.rstrip().endswith(want) or (want + " ") in line]


def col_of(text, line, token):
    return text.splitlines()[line - 1].index(token) + 1


class ConfigTestCase(at.AltodTestCase):
    def tree(self, maps, conf=None):
        """maps: {name: text}. conf: altod.yaml text (default: listing maps)."""
        files = dict(maps)
        files["altod.yaml"] = conf if conf is not None else at.config_text(list(maps))
        d = at.make_tree(self, files)
        return d, os.path.join(d, "altod.yaml")

    def run_t(self, conf_path):
        code, out = at.check_config(conf_path)
        return code, out, at.parse_diag_lines(out)

    def assertDiagFormat(self, out, diags):
        for f, line, col, msg in diags:
            self.assertIsNotNone(f, "not a file:line:column: message line: %r\nwhole output:\n%s" % (msg, out))
            self.assertGreaterEqual(line, 1, out)
            self.assertGreaterEqual(col, 1, out)
            self.assertTrue(msg.strip(), out)

    def assertErrors(self, directory, conf_path, expected):
        """expected: list of (file name, line or set of lines, column or None,
        [substrings of the message]). Every expected error must be reported
        (one line each) and nothing else."""
        code, out, diags = self.run_t(conf_path)
        self.assertEqual(code, 1, out)
        self.assertDiagFormat(out, diags)
        remaining = list(diags)
        for fname, lines, col, words in expected:
            lines = {lines} if isinstance(lines, int) else set(lines)
            path = os.path.realpath(os.path.join(directory, fname))
            hit = None
            for d in remaining:
                f, ln, c, msg = d
                if f is None or os.path.realpath(f) != path or ln not in lines:
                    continue
                if col is not None and c != col:
                    continue
                if all(w.lower() in msg.lower() for w in words):
                    hit = d
                    break
            self.assertIsNotNone(hit, "no error %s:%s:%s mentioning %r in:\n%s"
                                 % (fname, sorted(lines), col, words, out))
            remaining.remove(hit)
        self.assertEqual(remaining, [], "unexpected extra errors in:\n" + out)
        return out


class TestCheckOk(ConfigTestCase):
    def test_repo_example_config(self):
        code, out = at.check_config(at.EXAMPLE_CONF)
        self.assertEqual((code, out), (0, "ok\n"))

    def test_generated_config_ok(self):
        d, conf = self.tree({"maps/example.yaml": at.read_example_maps()})
        self.assertEqual(at.check_config(conf), (0, "ok\n"))

    def test_all_allowed_metrics(self):
        metrics = ["routingcost", "hopcount", "delay-ow", "delay-rt", "delay-variation", "lossrate", "tput",
                   "bw-residual", "bw-available", "bw-maxres", "delay-ow:p95", "tput:stddev", "priv:my-metric",
                   "priv:x_1"]
        # a hop count is whole (RFC 9439 §4.5)
        text = GOOD_NETMAP + "cost-maps:\n  net1:\n" + "".join(
            '    "%s":\n      PID1: {PID1: 1, PID2: %s}\n' % (m, "2" if m == "hopcount" else "2.5") for m in metrics)
        d, conf = self.tree({"m.yaml": text})
        self.assertEqual(at.check_config(conf), (0, "ok\n"))
        a = at.start_altod(self, {"m.yaml": text})
        names = {ct["cost-metric"] for ct in a.ird().cost_types.values()}
        self.assertEqual(names, set(metrics))

    def test_pid_name_limits_ok(self):
        name64 = "A" * 60 + "-:@_"
        text = ("network-maps:\n  net1:\n    pids:\n      %s: {ipv4: [10.0.0.0/8]}\n"
                "      \"x\": {ipv4: [11.0.0.0/8]}\n" % name64)
        d, conf = self.tree({"m.yaml": text})
        self.assertEqual(at.check_config(conf), (0, "ok\n"))


class TestMapsErrors(ConfigTestCase):
    def one_error(self, text, words, token=None, tag=""):
        d, conf = self.tree({"m.yaml": text})
        lines = marked_lines(text, tag)
        self.assertEqual(len(lines), 1, "test bug: mark one line")
        col = col_of(text, lines[0], token) if token else None
        return self.assertErrors(d, conf, [("m.yaml", lines[0], col, words)])

    def test_host_bits_ipv4(self):
        text = GOOD_NETMAP.replace("[192.0.2.0/24]", "[192.0.2.1/24]  " + MARK)
        self.one_error(text, ["192.0.2.1/24"], token="192.0.2.1/24")

    def test_host_bits_ipv6(self):
        text = GOOD_NETMAP.replace("- 2001:db8::/32", "- 2001:db8::1/32  " + MARK)
        self.one_error(text, ["2001:db8::1/32"], token="2001:db8::1/32")

    def test_host_bits_short_prefix(self):
        text = GOOD_NETMAP.replace("[198.51.100.0/24]", "[11.0.0.0/7]  " + MARK)
        self.one_error(text, ["11.0.0.0/7"], token="11.0.0.0/7")

    def test_bad_prefixes(self):
        for bad in ["192.0.2.0/33", "192.0.2.0", "192.0.2/24", "300.0.2.0/24", "192.0.2.0/-1", "2001:db8::/32"]:
            with self.subTest(prefix=bad):
                text = GOOD_NETMAP.replace("[192.0.2.0/24]", "[%s]  %s" % (bad, MARK))
                self.one_error(text, [bad], token=bad)

    def test_same_prefix_in_two_pids(self):
        text = GOOD_NETMAP + "      PID3:\n        ipv4: [192.0.2.0/24]  " + MARK + "\n"
        self.one_error(text, ["192.0.2.0/24"], token="192.0.2.0/24")

    def test_same_ipv6_prefix_in_two_pids(self):
        text = GOOD_NETMAP + "      PID3:\n        ipv6:\n          - 2001:db8::/32  " + MARK + "\n"
        self.one_error(text, ["2001:db8::/32"], token="2001:db8::/32")

    def test_invalid_pid_names(self):
        for name in ["P" * 65, "PID.1", "PID 1", "PID/1", "PÏD"]:
            with self.subTest(name=name):
                text = GOOD_NETMAP + '      "%s":  %s\n        ipv4: [10.0.0.0/8]\n' % (name, MARK)
                self.one_error(text, [name], token='"' + name)

    def test_negative_cost(self):
        text = GOOD_NETMAP + "cost-maps:\n  net1:\n    routingcost:\n      PID1: {PID1: -1, PID2: 3}  " + MARK + "\n"
        self.one_error(text, ["-1"], token="-1")

    def test_non_numeric_costs(self):
        for bad in ["abc", "1x", "NaN", ".inf", "''", "[1]", "1e999"]:
            with self.subTest(cost=bad):
                text = (GOOD_NETMAP + "cost-maps:\n  net1:\n    routingcost:\n"
                        "      PID1: {PID1: 1}\n      PID2: {PID1: %s}  %s\n" % (bad, MARK))
                self.one_error(text, [], token=bad)

    def test_cost_naming_undefined_pids(self):
        text = (GOOD_NETMAP + "cost-maps:\n  net1:\n    routingcost:\n"
                "      PID1: {PID1: 1, PIDY: 2}  " + MARK + "y\n"
                "      PIDX: {PID1: 3}  " + MARK + "x\n")
        d, conf = self.tree({"m.yaml": text})
        ly, lx = marked_lines(text, "y")[0], marked_lines(text, "x")[0]
        self.assertErrors(d, conf, [
            ("m.yaml", ly, col_of(text, ly, "PIDY"), ["PIDY", "net1"]),
            ("m.yaml", lx, col_of(text, lx, "PIDX"), ["PIDX", "net1"]),
        ])

    def test_cost_map_for_undefined_network_map(self):
        text = GOOD_NETMAP + "cost-maps:\n  net2:  " + MARK + "\n    routingcost:\n      PID1: {PID1: 1}\n"
        self.one_error(text, ["net2"], token="net2")

    def test_unknown_metrics(self):
        for metric, token in [("latency", "latency"), ("RoutingCost", "RoutingCost"), ('"priv:"', '"priv:"'),
                              ('"bad metric"', '"bad metric"'), ("x" * 33, "x" * 33)]:
            with self.subTest(metric=metric):
                text = (GOOD_NETMAP + "cost-maps:\n  net1:\n    %s:  %s\n      PID1: {PID1: 1}\n"
                        % (metric, MARK))
                self.one_error(text, [metric.strip('"')], token=token)

    def test_resource_id_twice_in_one_file(self):
        text = GOOD_NETMAP + "  net1:  " + MARK + "\n    pids:\n      P: {ipv4: [10.0.0.0/8]}\n"
        self.one_error(text, ["net1"], token="net1")

    def test_resource_id_twice_across_files(self):
        other = "network-maps:\n  net1:  " + MARK + "\n    pids:\n      P: {ipv4: [10.0.0.0/8]}\n"
        d, conf = self.tree({"a.yaml": GOOD_NETMAP, "b.yaml": other})
        self.assertErrors(d, conf, [("b.yaml", 2, 3, ["net1"])])

    def test_resource_id_colliding_with_a_derived_id(self):
        # net1 derives net1-filtered-networkmap; a network map of that name
        # would make the id ambiguous
        other = "network-maps:\n  net1-filtered-networkmap:\n    pids:\n      P: {ipv4: [10.0.0.0/8]}\n"
        d, conf = self.tree({"a.yaml": GOOD_NETMAP, "b.yaml": other})
        code, out, diags = self.run_t(conf)
        self.assertEqual(code, 1, out)
        self.assertDiagFormat(out, diags)
        self.assertTrue(any("net1-filtered-networkmap" in m for _, _, _, m in diags), out)

    def test_invalid_resource_id(self):
        text = GOOD_NETMAP.replace("  net1:", "  net.1:  " + MARK)
        self.one_error(text, ["net.1"], token="net.1")

    def test_yaml_syntax_errors(self):
        for bad in ["      P: {ipv4: [1.0.0.0/8]]  " + MARK, "\t  P: {ipv4: [1.0.0.0/8]}  " + MARK]:
            with self.subTest(line=bad):
                text = GOOD_NETMAP + bad + "\n  other:\n    pids: {}\n"
                d, conf = self.tree({"m.yaml": text})
                line = marked_lines(text)[0]
                code, out, diags = self.run_t(conf)
                self.assertEqual(code, 1, out)
                self.assertDiagFormat(out, diags)
                self.assertTrue(any(ln == line and "yaml" in m.lower() for _, ln, _, m in diags), out)

    def test_unknown_keys(self):
        cases = [
            (GOOD_NETMAP.replace("network-maps:", "network-map:  " + MARK), "network-map"),
            (GOOD_NETMAP.replace("    pids:", "    defaults: true  %s\n    pids:" % MARK), "defaults"),
            (GOOD_NETMAP.replace("        ipv4: [192.0.2.0/24]", "        ipv7: [192.0.2.0/24]  " + MARK), "ipv7"),
            (GOOD_NETMAP + "costmaps:  " + MARK + "\n  net1: {}\n", "costmaps"),
        ]
        for text, key in cases:
            with self.subTest(key=key):
                self.one_error(text, [key], token=key)

    def test_pid_defined_twice(self):
        text = GOOD_NETMAP + "      PID1:  " + MARK + "\n        ipv4: [10.0.0.0/8]\n"
        self.one_error(text, ["PID1"], token="PID1")

    def test_cost_given_twice(self):
        text = (GOOD_NETMAP + "cost-maps:\n  net1:\n    routingcost:\n      PID1: {PID2: 1}\n"
                "      PID2: {PID1: 2}\n      PID1: {PID2: 3}  " + MARK + "\n")
        self.one_error(text, ["PID1", "twice"])

    def test_yaml_alias_refused(self):
        text = GOOD_NETMAP.replace("      PID1:\n        ipv4: [192.0.2.0/24]",
                                   "      PID1: &a {ipv4: [192.0.2.0/24]}\n      PID9: *a  " + MARK)
        self.one_error(text, ["alias"], token="*a")

    def test_two_documents_refused(self):
        text = GOOD_NETMAP + "---  " + MARK + "\nnetwork-maps: {}\n"
        self.one_error(text, ["document"])

    def test_empty_maps_file(self):
        d, conf = self.tree({"m.yaml": ""})
        code, out, diags = self.run_t(conf)
        self.assertEqual(code, 1, out)
        self.assertDiagFormat(out, diags)
        self.assertEqual(len(diags), 1, out)
        self.assertEqual(os.path.realpath(diags[0][0]), os.path.realpath(os.path.join(d, "m.yaml")))

    def test_bad_default_value(self):
        text = GOOD_NETMAP.replace("    pids:", "    default: maybe  %s\n    pids:" % MARK)
        self.one_error(text, ["maybe"], token="maybe")

    def test_several_errors_in_one_file(self):
        text = """\
network-maps:
  net1:
    pids:
      PID1:
        ipv4: [192.0.2.1/24]  #<a
      PID.2:  #<b
        ipv4: [10.0.0.0/8]
      PID3:
        ipv4: [11.0.0.0/8]
        ipv5: [1.0.0.0/8]  #<c
cost-maps:
  net1:
    routingcost:
      PID1: {PID3: -5}  #<d
    latency:  #<e
      PID1: {PID3: 1}
"""
        d, conf = self.tree({"m.yaml": text})
        L = {t: marked_lines(text, t)[0] for t in "abcde"}
        self.assertErrors(d, conf, [
            ("m.yaml", L["a"], col_of(text, L["a"], "192.0.2.1/24"), ["192.0.2.1/24"]),
            ("m.yaml", L["b"], col_of(text, L["b"], "PID.2"), ["PID.2"]),
            ("m.yaml", L["c"], col_of(text, L["c"], "ipv5"), ["ipv5"]),
            ("m.yaml", L["d"], col_of(text, L["d"], "-5"), ["-5"]),
            ("m.yaml", L["e"], col_of(text, L["e"], "latency"), ["latency"]),
        ])

    def test_several_kinds_of_errors_in_one_file(self):
        # errors found while parsing (host bits) and errors found while
        # resolving (a prefix in two PIDs, undefined PIDs and network maps)
        # must all be reported in one run
        text = """\
network-maps:
  net1:
    pids:
      PID1:
        ipv4: [192.0.2.1/24]  #<a
      PID2:
        ipv4: [10.0.0.0/8]
      PID3:
        ipv4: [10.0.0.0/8]  #<b
cost-maps:
  net1:
    routingcost:
      PID1: {PIDX: 1}  #<c
  net9:  #<d
    hopcount:
      A: {B: 1}
"""
        d, conf = self.tree({"m.yaml": text})
        L = {t: marked_lines(text, t)[0] for t in "abcd"}
        self.assertErrors(d, conf, [
            ("m.yaml", L["a"], col_of(text, L["a"], "192.0.2.1/24"), ["192.0.2.1/24"]),
            ("m.yaml", L["b"], col_of(text, L["b"], "10.0.0.0/8"), ["10.0.0.0/8"]),
            ("m.yaml", L["c"], col_of(text, L["c"], "PIDX"), ["PIDX"]),
            ("m.yaml", L["d"], col_of(text, L["d"], "net9"), ["net9"]),
        ])

    def test_duplicate_prefix_and_undefined_pid_together(self):
        text = """\
network-maps:
  net1:
    pids:
      PID1:
        ipv4: [10.0.0.0/8]
      PID2:
        ipv4: [10.0.0.0/8]  #<b
cost-maps:
  net1:
    routingcost:
      PID1: {PIDX: 1}  #<c
"""
        d, conf = self.tree({"m.yaml": text})
        L = {t: marked_lines(text, t)[0] for t in "bc"}
        self.assertErrors(d, conf, [
            ("m.yaml", L["b"], col_of(text, L["b"], "10.0.0.0/8"), ["10.0.0.0/8"]),
            ("m.yaml", L["c"], col_of(text, L["c"], "PIDX"), ["PIDX"]),
        ])

    def test_errors_in_two_files(self):
        a = GOOD_NETMAP.replace("[192.0.2.0/24]", "[192.0.2.1/24]")
        b = "network-maps:\n  net2:\n    pids:\n      P.Q: {ipv4: [10.0.0.0/8]}\n"
        d, conf = self.tree({"a.yaml": a, "b.yaml": b})
        self.assertErrors(d, conf, [
            ("a.yaml", 5, col_of(a, 5, "192.0.2.1/24"), ["192.0.2.1/24"]),
            ("b.yaml", 4, 7, ["P.Q"]),
        ])


class TestMapsFileErrors(ConfigTestCase):
    def test_missing_maps_file(self):
        conf_text = at.config_text(["a.yaml", "missing.yaml"])
        d, conf = self.tree({"a.yaml": GOOD_NETMAP}, conf=conf_text)
        line = [i + 1 for i, ln in enumerate(conf_text.splitlines()) if "missing.yaml" in ln][0]
        # the error points at the line of altod.yaml that names the file
        self.assertErrors(d, conf, [("altod.yaml", line, None, ["missing.yaml"])])

    def test_unreadable_maps_file(self):
        conf_text = at.config_text(["a.yaml", "adir"])
        d, conf = self.tree({"a.yaml": GOOD_NETMAP}, conf=conf_text)
        os.mkdir(os.path.join(d, "adir"))  # a folder cannot be read as a file
        line = [i + 1 for i, ln in enumerate(conf_text.splitlines()) if "adir" in ln][0]
        self.assertErrors(d, conf, [("altod.yaml", line, None, ["adir"])])

    def test_missing_config_file(self):
        d = at.make_tree(self, {})
        code, out = at.check_config(os.path.join(d, "nope.yaml"))
        self.assertEqual(code, 1, out)
        self.assertIn("nope.yaml", out)

    def test_config_file_errors(self):
        conf_text = """\
server:
  listen:
    - address: localhost  #<a
      port: 0
    - address: 127.0.0.1
      port: 70000  #<b
  thread: 3  #<c
limits:
  max-body: 5  #<d
  max-request-body: -1  #<e
maps:
  - a.yaml
logging: x  #<f
"""
        d, conf = self.tree({"a.yaml": GOOD_NETMAP}, conf=conf_text)
        L = {t: marked_lines(conf_text, t)[0] for t in "abcdef"}
        code, out, diags = self.run_t(conf)
        self.assertEqual(code, 1, out)
        self.assertDiagFormat(out, diags)
        for t, word in [("a", "localhost"), ("b", "70000"), ("c", "thread"), ("d", "max-body"),
                        ("e", "-1"), ("f", "logging")]:
            col = col_of(conf_text, L[t], word)
            self.assertTrue(any(os.path.realpath(f) == os.path.realpath(conf) and ln == L[t] and c == col
                                and word in m for f, ln, c, m in diags),
                            "no error at altod.yaml:%d:%d about %r in:\n%s" % (L[t], col, word, out))
        lines_reported = {ln for _, ln, _, _ in diags}
        self.assertLessEqual(lines_reported, set(L.values()) | {3, 5}, out)


class TestStartup(ConfigTestCase):
    def test_bad_config_exits_1(self):
        text = GOOD_NETMAP.replace("[192.0.2.0/24]", "[192.0.2.1/24]")
        d, conf = self.tree({"m.yaml": text})
        code, err = at.run_altod_expect_exit(conf)
        self.assertEqual(code, 1, err)
        self.assertNotIn("ready:", err)
        self.assertIn("192.0.2.1/24", err)
        self.assertRegex(err, re.escape(os.path.join(d, "m.yaml")) + r":5:\d+: ")

    def test_bad_maps_file_list_exits_1(self):
        d, conf = self.tree({"a.yaml": GOOD_NETMAP}, conf=at.config_text(["a.yaml", "missing.yaml"]))
        code, err = at.run_altod_expect_exit(conf)
        self.assertEqual(code, 1, err)
        self.assertNotIn("ready:", err)
        self.assertIn("missing.yaml", err)

    def test_port_in_use_exits_1(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        d, conf = self.tree({"m.yaml": GOOD_NETMAP},
                            conf=at.config_text(["m.yaml"], listen=(("127.0.0.1", port),)))
        code, err = at.run_altod_expect_exit(conf)
        self.assertEqual(code, 1, err)
        self.assertNotIn("ready:", err)
        self.assertIn(str(port), err)
        self.assertIn("address already in use", err.lower())

    def test_second_listener_port_in_use_exits_1(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        d, conf = self.tree({"m.yaml": GOOD_NETMAP},
                            conf=at.config_text(["m.yaml"], listen=(("127.0.0.1", 0), ("127.0.0.1", port))))
        code, err = at.run_altod_expect_exit(conf)
        self.assertEqual(code, 1, err)
        self.assertIn("address already in use", err.lower())

    def test_clean_stop(self):
        a = at.start_altod(self)
        self.assertEqual(a.stop(), 0, a.stderr())


class TestReload(ConfigTestCase):
    """SIGHUP reloads the maps; a reload with errors keeps the previous maps."""

    def test_reload(self):
        files = {"m.yaml": GOOD_NETMAP}
        d = at.make_tree(self, dict(files, **{"altod.yaml": at.config_text(["m.yaml"])}))
        a = at.start_altod(self, files, directory=d)
        uri = a.ird().networkmap_uri("net1")
        first = self.assertOk(a.get(uri), MT_NETWORKMAP)
        changed = GOOD_NETMAP.replace("198.51.100.0/24", "198.51.100.0/25")
        at.write_files(d, {"m.yaml": changed})
        mark = a.log_count()
        a.proc.send_signal(signal.SIGHUP)
        a.wait_for_log(r"reload.*ok", after=mark)
        second = self.assertOk(a.get(uri), MT_NETWORKMAP)
        self.assertEqual(second["network-map"]["PID2"]["ipv4"], ["198.51.100.0/25"])
        self.assertNotEqual(first["meta"]["vtag"]["tag"], second["meta"]["vtag"]["tag"])
        # a broken maps file: still serving the previous maps
        at.write_files(d, {"m.yaml": changed.replace("192.0.2.0/24", "192.0.2.1/24")})
        mark = a.log_count()
        a.proc.send_signal(signal.SIGHUP)
        a.wait_for_log(r"192\.0\.2\.1/24", after=mark)
        a.wait_for_log(r"reload failed", after=mark)
        third = a.get(uri)
        self.assertEqual(third.status, 200)
        self.assertEqual(third.json(), second)
        self.assertTrue(a.alive())


class TestSeveralMapsFiles(ConfigTestCase):
    COSTS = """\
cost-maps:
  net1:
    routingcost:
      PID1: {PID1: 0, PID2: 7.5}
      PID2: {PID1: 2}
"""
    NET2 = """\
network-maps:
  net2:
    default: true
    pids:
      X: {ipv4: [10.0.0.0/8], ipv6: ["2001:db8::/32"]}
      Y: {ipv4: [10.1.0.0/16]}
cost-maps:
  net2:
    hopcount:
      X: {Y: 3}
"""

    def test_cost_map_in_another_file(self):
        a = at.start_altod(self, {"maps/costs.yaml": self.COSTS, "maps/net.yaml": GOOD_NETMAP})
        ird = a.ird()
        doc = self.assertOk(a.get(ird.costmap_uri("net1", "routingcost", "numerical")), MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"PID1": {"PID1": 0, "PID2": 7.5}, "PID2": {"PID1": 2}})
        vt = self.assertOk(a.get(ird.networkmap_uri("net1")), MT_NETWORKMAP)["meta"]["vtag"]
        self.assertEqual(doc["meta"]["dependent-vtags"], [vt])

    def test_two_network_maps_in_two_files(self):
        a = at.start_altod(self, {"a.yaml": GOOD_NETMAP, "b.yaml": self.NET2})
        ird = a.ird()
        self.assertEqual(ird.default_network_map(), "net2")
        self.assertEqual(sorted(ird.resources["endpoint-property"]["capabilities"]["prop-types"]),
                         ["net1.pid", "net2.pid"])
        n1 = self.assertOk(a.get(ird.networkmap_uri("net1")), MT_NETWORKMAP)
        n2 = self.assertOk(a.get(ird.networkmap_uri("net2")), MT_NETWORKMAP)
        self.assertEqual(n2["network-map"], {"X": {"ipv4": ["10.0.0.0/8"], "ipv6": ["2001:db8::/32"]},
                                             "Y": {"ipv4": ["10.1.0.0/16"]}})
        self.assertNotEqual(n1["meta"]["vtag"]["tag"], n2["meta"]["vtag"]["tag"])
        doc = self.assertOk(a.get(ird.costmap_uri("net2", "hopcount", "ordinal")), MT_COSTMAP)
        self.assertEqual(doc["cost-map"], {"X": {"Y": 1}})
        self.assertEqual(doc["meta"]["dependent-vtags"], [n2["meta"]["vtag"]])
        # net1 has no cost map: no cost resources for it
        self.assertEqual(ird.find(MT_COSTMAP, uses="net1"), [])
        # both maps answer an endpoint property request, each with its vtag
        r = a.post(ird.endpointprop_uri(), {"properties": ["net1.pid", "net2.pid"],
                                            "endpoints": ["ipv4:10.1.2.3", "ipv4:192.0.2.9", "ipv6:2001:db8::1"]},
                   at.MT_ENDPOINTPROPPARAMS)
        doc = self.assertOk(r, at.MT_ENDPOINTPROP)
        self.assertEqual(sorted(doc["meta"]["dependent-vtags"], key=lambda v: v["resource-id"]),
                         [n1["meta"]["vtag"], n2["meta"]["vtag"]])
        self.assertEqual(doc["endpoint-properties"], {
            "ipv4:10.1.2.3": {"net2.pid": "Y"},
            # no prefix of net2 holds 192.0.2.9: no net2.pid value for it
            "ipv4:192.0.2.9": {"net1.pid": "PID1"},
            "ipv6:2001:db8::1": {"net1.pid": "PID2", "net2.pid": "X"},
        })
        # only the queried map's vtag when one property is asked
        r = a.post(ird.endpointprop_uri(), {"properties": ["net2.pid"], "endpoints": ["ipv4:10.1.2.3"]},
                   at.MT_ENDPOINTPROPPARAMS)
        self.assertEqual(self.assertOk(r, at.MT_ENDPOINTPROP)["meta"]["dependent-vtags"], [n2["meta"]["vtag"]])


class TestKeyReference(unittest.TestCase):
    """The key reference in docs/configuration.md and altod.yaml(5) is the
    text `altod --config-reference` generates from the schema tables; the
    unknown-key messages list the same keys, in the same order."""

    def reference(self, fmt):
        return config_reference.generate(fmt, at.BIN)

    def test_docs_are_the_generated_reference(self):
        for name, fmt, begin, end in config_reference.DOCS:
            with self.subTest(doc=name):
                with open(os.path.join(at.SRC, "docs", name), encoding="utf-8") as f:
                    _, inside, _ = config_reference.split(f.read(), begin, end)
                self.assertEqual(inside, self.reference(fmt),
                                 "docs/%s differs from `altod --config-reference %s`: run "
                                 "tests/integration/config_reference.py" % (name, fmt))

    def test_bad_format(self):
        p = subprocess.run([at.BIN, "--config-reference", "xml"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("markdown or man, not 'xml'", p.stderr)

    def test_unknown_key_messages_list_the_reference(self):
        keys = re.findall(r"^\| `([^`]*)` \|", self.reference("markdown"), re.M)
        under = {}
        for k in keys:
            parent, _, leaf = k.rpartition(".")
            under.setdefault(parent, []).append(leaf)
        listen = "server:\n  listen:\n    - {address: 127.0.0.1, port: 1%s}\n"
        cases = (("", "colour: 1\n" + listen % "" + "maps: [m.yaml]\n", "unknown key 'colour' (%s)"),
                 ("server", "server: {colour: 1, listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [m.yaml]\n",
                  "unknown key 'colour' in server (%s)"),
                 ("server.listen[]", listen % ", colour: 1" + "maps: [m.yaml]\n",
                  "unknown key 'colour' in a listener (%s)"),
                 ("limits", listen % "" + "maps: [m.yaml]\nlimits: {colour: 1}\n",
                  "unknown key 'colour' in limits (%s)"),
                 ("access", listen % "" + "maps: [m.yaml]\naccess: {colour: 1}\n",
                  "unknown key 'colour' in access (%s)"),
                 ("access.auth-failures", listen % "" + "maps: [m.yaml]\naccess: {auth-failures: {colour: 1}}\n",
                  "unknown key 'colour' in auth-failures (%s)"))
        for parent, conf, message in cases:
            with self.subTest(section=parent or "top"):
                tmp = tempfile.TemporaryDirectory()
                self.addCleanup(tmp.cleanup)
                d = tmp.name
                path = os.path.join(d, "altod.yaml")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(conf)
                with open(os.path.join(d, "m.yaml"), "w", encoding="utf-8") as f:
                    f.write("network-maps:\n  net1:\n    pids: {P: {ipv4: [10.0.0.0/8]}}\n")
                p = subprocess.run([at.BIN, "-t", "-c", path], capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 1, p.stdout)
                want = message % ", ".join(under[parent])
                self.assertTrue(any(ln.endswith(": " + want) for ln in p.stdout.splitlines()),
                                "%r not in:\n%s" % (want, p.stdout))


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Instructions per request of altod's POST services, counted by callgrind:
one or more altod binaries, the same rows as tests/bench/cpu.py.

CPU time per request (cpu.py) moves with what else runs on the machine;
the instructions a request executes do not. For each binary this starts
altod under `valgrind --tool=callgrind` with collection on only inside
`route_request` (libmicrohttpd's request callback: routing, parsing, the
service, rendering; not libmicrohttpd's reading and writing, nor the
kernel), sends each row's request --requests times on one keep-alive
connection, and divides the instructions counted by the requests. Every
binary's answers are compared byte for byte with the first one's (exit
status 1 when any differs). Slow (callgrind runs altod some 50x slower,
loading the maps included): 'small' takes about a minute per binary.

    tests/bench/instr.py [--build build-rel] [--altod A/altod --altod B/altod]
        [--size small] [--rows ROWS|all] [--requests 100]

Compare two commits: build each (cmake -DCMAKE_BUILD_TYPE=Release), then
`instr.py --altod OLD/altod --altod NEW/altod --rows ec10x100-ord,...`.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import bench  # noqa: E402
import cpu  # noqa: E402


def start(binary, work, i, maps, out):
    conf = os.path.join(work, "altod%d.yaml" % i)
    with open(conf, "w") as f:
        f.write("server:\n  threads: 1\n  listen:\n    - address: 127.0.0.1\n      port: 0\n"
                "limits:\n  max-connections-per-address: 0\n  max-endpoints: 10000\n"
                "  max-endpoint-pairs: 1000000\nmaps:\n  - %s\n" % maps)
    p = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                          "--toggle-collect=route_request", binary, "-c", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    bench._track(p)
    for line in p.stderr:
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
        if m:
            return p, int(m.group(1))
    raise RuntimeError("%s under callgrind exited before listening" % binary)


def instructions(out):
    """The total of callgrind's output file `out`."""
    total = 0
    with open(out) as fh:
        for line in fh:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = max(total, int(line.split()[1]))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cpu.add_common_args(ap)
    ap.add_argument("--requests", type=int, default=100, help="requests per row and binary")
    args = ap.parse_args()
    bad = cpu.resolve_common_args(args)
    if bad:
        ap.error("unknown rows %s (known: %s)" % (", ".join(bad), ", ".join(cpu.ROWS + cpu.EXTRA)))
    path, _, meta = bench.topology(args.cache, args.size)
    work = tempfile.mkdtemp(prefix="altod-instr-")
    files = bench.body_files(work, {k: v for k, v in cpu.cases(meta).items() if k in args.rows})
    res, answers, differ = {}, {}, []
    for i, binary in enumerate(args.altod):
        for k in args.rows:
            # one altod per row: callgrind's count is the whole run's
            out = os.path.join(work, "cg.%d.%s" % (i, k))
            p, port = start(binary, work, i, path, out)
            ctype_in, _, uri, bpath = files[k]
            with open(bpath, "rb") as f:
                body = f.read()
            c = bench.http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            for n in range(args.requests):
                c.request("POST", uri, body, {"Content-Type": ctype_in})
                r = c.getresponse()
                data = r.read()
                if r.status != 200:
                    raise RuntimeError("%s %s: %d %s" % (binary, k, r.status, data[:300]))
                if n == 0:
                    if k not in answers:
                        answers[k] = data
                    elif answers[k] != data:
                        differ.append("altod#%d %s" % (i, k))
            c.close()
            p.send_signal(signal.SIGTERM)
            p.wait(300)
            res[(i, k)] = instructions(out) / args.requests
            print("altod#%d %-14s %12.0f instructions/request" % (i, k, res[(i, k)]), flush=True)
    print("\nInstructions per request inside route_request (callgrind, %d requests, '%s'):" % (args.requests, args.size))
    for i, b in enumerate(args.altod):
        print("# altod#%d: %s" % (i, b))
    head = ["row", "answer"] + ["altod#%d" % i for i in range(len(args.altod))]
    head += ["altod#%d/altod#0" % i for i in range(1, len(args.altod))]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "--:|" * (len(head) - 1))
    for k in args.rows:
        line = [k, bench.fmt_size(len(answers[k]))] + ["{:,.0f}".format(res[(i, k)]) for i in range(len(args.altod))]
        line += ["%.2fx" % (res[(i, k)] / res[(0, k)]) for i in range(1, len(args.altod))]
        print("| " + " | ".join(line) + " |")
    if differ:
        print("\nANSWERS DIFFER from altod#0's: " + "; ".join(differ))
        return 1
    if len(args.altod) > 1:
        print("\nanswers: the same bytes from every binary")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""CPU time per request of the RFC 9240 property requests (scenario 3's
filtered property map row, variants of it, endpoint property), for one or
more altod binaries one after the other on the same topology.

On a shared machine requests per second move with whatever else runs; the
CPU time altod spends per request moves much less. For each binary and
case: one altod (one server thread), N sequential keep-alive requests from
one client, altod's utime + stime from /proc/PID/stat before and after,
divided by N (the clock tick is 10 ms: use N >= 1000). The first answer of
each case is kept; a binary answering other bytes than the first one is
reported.

    tests/bench/cpu_props.py --altod build-rel/altod [--altod OLD/altod]
        [--size small|large] [--requests 3000] [--cases pm100,pm-v6,...]
"""
import argparse
import http.client
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import bench  # noqa: E402

CASES = ["pm100", "pm-v4", "pm-v6", "pm-pid", "ep100", "ep-props"]


def bodies(meta):
    """scenario 3's bodies, and the property map row split by entity kind"""
    b = bench.bodies(meta)
    ci, co, uri, _ = b["pm100"]
    props = meta["properties"]
    nm = bench.NETMAP
    b["pm-v4"] = (ci, co, uri, {"entities": meta["prop_endpoints_v4"][:100], "properties": props})
    b["pm-v6"] = (ci, co, uri, {"entities": meta["prop_endpoints_v6"][:100], "properties": props})
    b["pm-pid"] = (ci, co, uri, {"entities": ["%s.pid:%s" % (nm, p) for p in meta["pid_names"][:100]],
                                 "properties": props})
    eci, eco, euri, _ = b["ep100"]
    b["ep-props"] = (eci, eco, euri, {"properties": [p.lstrip(".") for p in props] + [nm + ".pid"],
                                      "endpoints": meta["prop_endpoints_v4"][:50] + meta["prop_endpoints_v6"][:50]})
    return b


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def run(binary, path, cases, b, n, work, first):
    a = bench.Altod(binary, work, path, 1, name="altod")
    a.start()
    try:
        a.wait_log(r" ready: ", timeout=900)
        port = a.ports["http"]
        hz = os.sysconf("SC_CLK_TCK")
        for key in cases:
            ctype_in, _, uri, obj = b[key]
            body = json.dumps(obj, separators=(",", ":")).encode()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

            def one():
                c.request("POST", uri, body=body, headers={"Content-Type": ctype_in})
                r = c.getresponse()
                data = r.read()
                if r.status != 200:
                    raise RuntimeError("%s %s: %d %r" % (binary, key, r.status, data[:200]))
                return data

            data = one()
            if key in first and first[key] != data:
                print("NOTE: %s answers %s with other bytes than the first binary" % (binary, key))
            first.setdefault(key, data)
            for _ in range(50):  # warm-up
                one()
            t0 = cpu_ticks(a.proc.pid)
            for _ in range(n):
                one()
            t1 = cpu_ticks(a.proc.pid)
            c.close()
            print("%-10s %-40s %8.1f us CPU/request (answer %d B)" % (key, binary, (t1 - t0) / hz * 1e6 / n,
                                                                     len(data)), flush=True)
    finally:
        a.proc.terminate()
        a.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--altod", action="append", required=True, help="an altod binary (repeat to compare)")
    ap.add_argument("--size", default="large", choices=sorted(bench.gen_maps.SIZES))
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--cache", default=os.path.join(bench.SRC, "build", "bench-cache"),
                    help="folder of the generated topologies (as bench.py's --cache)")
    args = ap.parse_args()
    path, _, meta = bench.topology(args.cache, args.size)
    b = bodies(meta)
    cases = [c for c in args.cases.split(",") if c]
    first = {}
    for binary in args.altod:
        with tempfile.TemporaryDirectory(prefix="cpu_props.") as work:
            run(os.path.abspath(binary), path, cases, b, args.requests, work, first)


if __name__ == "__main__":
    main()

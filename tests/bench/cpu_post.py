#!/usr/bin/env python3
"""CPU time per request of scenario 3's POST services, altod against nginx.

On a shared machine requests per second move with whatever else runs; the
CPU time a server spends per request moves much less. This runs scenario
3's requests against one or more altod binaries (one after the other, the
same topology) and against nginx answering altod's own bytes as a fixed
body, with wrk, and reads each server's utime + stime from /proc before and
after every run (nginx: the sum over its workers).

    tests/bench/cpu_post.py --build build-rel [--size large] [--duration 3]
        [--altod OTHER/altod ...] [--perf]

Prints, per request kind: CPU us per request of each altod and of nginx,
and the ratio nginx/altod (comparable with scenario 3's altod/nginx req/s
ratio: > 1, altod is cheaper).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import bench  # noqa: E402

CASES = ["ec1x1", "ec10x100", "ec10x100mc3", "fcm10x10", "ep100"]


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def nginx_workers(master):
    out = subprocess.run(["pgrep", "-P", str(master)], stdout=subprocess.PIPE).stdout.decode().split()
    return [int(p) for p in out]


def run_wrk(url, body, ctype, conns, duration):
    env = dict(os.environ, BENCH_METHOD="POST", BENCH_BODY_FILE=body, BENCH_CONTENT_TYPE=ctype)
    cmd = ["wrk", "-t", "1", "-c", str(conns), "--timeout", "30s", "-s", os.path.join(HERE, "request.lua"),
           "-d", "%ds" % max(1, round(duration)), url]
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return bench.parse_wrk(p.stdout.decode("utf-8", "replace"), url)


def measure(pids, url, body, ctype, conns, duration):
    run_wrk(url, body, ctype, conns, 1)  # warm-up
    hz = os.sysconf("SC_CLK_TCK")
    t0 = cpu_ticks(pids)
    r = run_wrk(url, body, ctype, conns, duration)
    t1 = cpu_ticks(pids)
    n = r["requests"]
    return (t1 - t0) / hz * 1e6 / n if n else float("inf"), r["rps"], r["errors_total"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(bench.SRC, "build-rel"))
    ap.add_argument("--altod", action="append", default=[], help="more altod binaries to compare")
    ap.add_argument("--size", default="large", choices=sorted(bench.gen_maps.SIZES))
    ap.add_argument("--duration", type=float, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--perf", action="store_true", help="perf record altod during each case (cpu-clock)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    binaries = [os.path.join(build, "altod")] + [os.path.abspath(b) for b in args.altod]
    cases = [c for c in args.cases.split(",") if c]
    path, _, meta = bench.topology(os.path.join(build, "bench-cache"), args.size)
    work = tempfile.mkdtemp(prefix="cpu_post.")
    results = {}
    try:
        bodies = {}
        for key, (ctype_in, ctype_out, uri, obj) in bench.bodies(meta).items():
            bpath = os.path.join(work, key + ".json")
            with open(bpath, "wb") as f:
                f.write(json.dumps(obj, separators=(",", ":")).encode())
            bodies[key] = (ctype_in, ctype_out, uri, bpath)
        fixed = {}
        for i, binary in enumerate(binaries):
            d = os.path.join(work, "altod%d" % i)
            os.makedirs(d)
            a = bench.Altod(binary, d, path, args.threads, name="altod%d" % i)
            a.start()
            a.wait_log(r" ready: ", timeout=900)
            port = a.ports["http"]
            for key in cases:
                ctype_in, ctype_out, uri, bpath = bodies[key]
                st, _, data = bench.request("http", port, "POST", uri, body=open(bpath, "rb").read(),
                                            headers={"Content-Type": ctype_in})
                if st != 200:
                    raise RuntimeError("%s %s: %d" % (binary, key, st))
                if key in fixed and fixed[key][1] != data:
                    print("NOTE: %s answers %s with other bytes than the first binary" % (binary, key))
                fixed.setdefault(key, (ctype_out, data))
                perf = None
                if args.perf:
                    pdata = os.path.join(build, "perf-%s-%d.data" % (key, i))
                    perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-g", "-o", pdata, "-p",
                                             str(a.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(0.3)
                us, rps, errs = measure([a.pid], "http://127.0.0.1:%d%s" % (port, uri), bpath, ctype_in,
                                        args.connections, args.duration)
                if perf:
                    bench.stop_proc(perf, bench.signal.SIGINT, 60)
                results.setdefault(key, {})[binary] = (us, rps, errs)
                print("%-12s %-40s %8.1f us CPU/request %9.0f req/s errors %d" % (key, binary, us, rps, errs),
                      flush=True)
            a.stop()
        ngx = bench.Nginx(os.path.join(work, "nginx"), args.threads, "/dev/null", "/dev/null", {},
                          {"/fixed/" + k: v for k, v in fixed.items()})
        ngx.write()
        # no TLS server: scenario 3 is plain HTTP
        conf = open(ngx.conf).read()
        cut = conf.index("  server {\n    listen 127.0.0.1:%d ssl" % ngx.tls_port)
        with open(ngx.conf, "w") as f:
            f.write(conf[:cut] + "}\n")
        args_ = ["nginx", "-p", ngx.prefix, "-e", os.path.join(ngx.prefix, "logs", "error.log"), "-c", ngx.conf]
        ngx.proc = bench._track(subprocess.Popen(args_, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL))
        time.sleep(1)
        workers = nginx_workers(ngx.pid)
        for key in cases:
            ctype_in, _, _, bpath = bodies[key]
            us, rps, errs = measure(workers, "http://127.0.0.1:%d/fixed/%s" % (ngx.port, key), bpath, ctype_in,
                                    args.connections, args.duration)
            results[key]["nginx"] = (us, rps, errs)
            print("%-12s %-40s %8.1f us CPU/request %9.0f req/s errors %d" % (key, "nginx", us, rps, errs),
                  flush=True)
        ngx.stop()
        print("\n%-12s %s" % ("case", " | ".join(["altod#%d us (nginx/altod)" % i for i in range(len(binaries))]
                                                 + ["nginx us"])))
        for key in cases:
            n = results[key]["nginx"][0]
            cols = ["%7.1f (%.2fx)" % (results[key][b][0], n / results[key][b][0]) for b in binaries]
            print("%-12s %s | %7.1f" % (key, " | ".join(cols), n))
        for i, b in enumerate(binaries):
            if "ec1x1" in results and "ec10x100" in results:
                print("altod#%d %s: 10x100 / 1x1 CPU per request: %.2fx"
                      % (i, b, results["ec10x100"][b][0] / results["ec1x1"][b][0]))
    finally:
        bench._cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

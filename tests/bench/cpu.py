#!/usr/bin/env python3
"""CPU time per request of altod's POST services, one or more altod
binaries against nginx answering the same bytes.

On a shared machine requests per second move with whatever else runs; the
CPU time a server spends per request moves much less. For each row and
scheme this runs the load (wrk with the suite's request.lua, or one
sequential keep-alive client) against each altod given, one binary after
the other on the same topology, and against nginx answering the first
binary's bytes as a fixed body, and reads the CPU time the server's
threads spent meanwhile (/proc/PID/task/*/schedstat, nanoseconds, user and
system together; nginx: its workers). Prints microseconds per request of
each server, the ratio nginx/altod (> 1: altod costs less; comparable with
scenario 3's altod/nginx req/s ratio) and the client's own CPU per request
(what the server's way of sending costs the client). The smallest of
--repeat runs counts (other work on the machine only adds). Every binary's
answers are compared byte for byte with the first one's, and nginx's with
the first one's (exit status 1 when any differs).

    tests/bench/cpu.py [--build build-rel] [--altod A/altod --altod B/altod]
        [--size small] [--rows ROWS|all] [--schemes http,https]
        [--client wrk|seq] [--duration 3] [--requests 3000] [--repeat 3]
        [--threads N] [--connections 32] [--no-nginx] [--pause] [--perf]

Rows: scenario 3's POSTs (bench.bodies(): ec1x1, ec10x100, ec10x100mc3
with 3 cost types, fcm10x10, ep100, pm100, the default) and the property
variants pm-v4, pm-v6, pm-pid (the property map row's entities split by
kind, 100 each) and ep-props (endpoint property, every property, 50 IPv4
and 50 IPv6 addresses inside prefixes that define properties), and in
ordinal mode ec10x100-ord and fcm50x50-ord (50 x 50 PIDs).
"""

import argparse
import http.client
import os
import resource
import shutil
import signal
import ssl
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import bench  # noqa: E402

ROWS = ["ec1x1", "ec10x100", "ec10x100mc3", "fcm10x10", "ep100", "pm100"]
EXTRA = ["pm-v4", "pm-v6", "pm-pid", "ep-props", "ec10x100-ord", "fcm50x50-ord"]


def cases(meta):
    """scenario 3's bodies, and the property rows split by entity kind"""
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
    # ordinal mode: costs ranked among the pairs of the answer (RFC 7285
    # §6.1.2.2), per request
    ordc = {"cost-mode": "ordinal", "cost-metric": "routingcost"}
    eci, eco, euri, ebody = b["ec10x100"]
    b["ec10x100-ord"] = (eci, eco, euri, dict(ebody, **{"cost-type": ordc}))
    fci, fco, furi, _ = b["fcm10x10"]
    pids = meta["pid_names"]
    b["fcm50x50-ord"] = (fci, fco, furi, {"cost-type": ordc, "pids": {"srcs": pids[2:52], "dsts": pids[2:52]}})
    return b


def task_ns(pid):
    """CPU nanoseconds of every thread of pid so far (0 when gone)."""
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0
    for t in tids:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def client_s(who):
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


class Meter:
    """Runs one row against one server and returns (server us/request,
    requests/s, client us/request)."""

    def __init__(self, args, runner, ctx):
        self.a = args
        self.runner = runner
        self.ctx = ctx

    def wrk(self, label, pids, url, env, perf_pid):
        def probe():
            return sum(task_ns(p) for p in pids), client_s(resource.RUSAGE_CHILDREN)

        r = self.runner.wrk(label, url, self.a.connections, 1, self.a.duration, env, perf_pid=perf_pid,
                            probe=probe)
        if r["requests"] == 0 or r["errors_total"]:
            raise RuntimeError("wrk on %s: %d requests, errors %s" % (url, r["requests"], r["errors"]))
        (s0, c0), (s1, c1) = r["probe"]
        n = r["requests"]
        return (s1 - s0) / 1e3 / n, r["rps"], (c1 - c0) * 1e6 / n

    def seq(self, label, pids, scheme, port, uri, ctype, body, perf_pid):
        if scheme == "https":
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=60, context=self.ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def one():
            c.request("POST", uri, body=body, headers={"Content-Type": ctype})
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                raise RuntimeError("%s: %d %r" % (label, r.status, data[:200]))

        try:
            t_end = time.monotonic() + self.a.warmup
            one()
            while time.monotonic() < t_end:
                one()
            n = self.a.requests
            perf = self.runner.perf_start(label, perf_pid)
            s0, c0, t0 = sum(task_ns(p) for p in pids), client_s(resource.RUSAGE_SELF), time.monotonic()
            for _ in range(n):
                one()
            s1, c1, t1 = sum(task_ns(p) for p in pids), client_s(resource.RUSAGE_SELF), time.monotonic()
            self.runner.perf_stop(perf)
        finally:
            c.close()
        return (s1 - s0) / 1e3 / n, n / (t1 - t0), (c1 - c0) * 1e6 / n

    def best(self, servers, scheme, case):
        """servers: [(label, pids, port, uri, perf pid or None)], measured in
        turn --repeat times; the smallest run of each."""
        ctype, _, _, bpath = case
        with open(bpath, "rb") as f:
            body = f.read()
        env = {"BENCH_METHOD": "POST", "BENCH_BODY_FILE": bpath, "BENCH_CONTENT_TYPE": ctype}
        runs = [[] for _ in servers]
        for _ in range(self.a.repeat):
            for i, (label, pids, port, uri, perf_pid) in enumerate(servers):
                if self.a.client == "wrk":
                    runs[i].append(self.wrk(label, pids, "%s://127.0.0.1:%d%s" % (scheme, port, uri), env, perf_pid))
                else:
                    runs[i].append(self.seq(label, pids, scheme, port, uri, ctype, body, perf_pid))
        return [min(r) for r in runs]


def start_altod(binary, work, i, path, args, tls):
    d = os.path.join(work, "altod%d" % i)
    os.makedirs(d)
    a = bench.Altod(binary, d, path, args.threads, tls=tls, name="altod%d" % i, priorities=args.priorities)
    a.start()
    a.wait_log(r" ready: ", timeout=args.start_timeout)
    deadline = time.monotonic() + 10
    while "https" not in a.ports and time.monotonic() < deadline:
        time.sleep(0.05)
    return a


def tls_note(name, port, ctx):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    c.request("GET", "/")
    c.getresponse().read()
    print("# %s TLS: %s %s" % (name, c.sock.version(), c.sock.cipher()[0]))
    c.close()


def run(args, work):
    path, _, meta = bench.topology(args.cache, args.size)
    files = bench.body_files(work, {k: v for k, v in cases(meta).items() if k in args.rows})
    cert, key = bench.make_cert(work)
    ctx = ssl.create_default_context(cafile=cert)
    runner = bench.Runner(args, args.out)
    meter = Meter(args, runner, ctx)
    answers = {}   # row: the first binary's bytes
    differ = []
    res = {}       # (row, scheme): {server name: (us, rps, client us)}
    nginx = workers = None
    names = ["altod#%d" % i for i in range(len(args.altod))]
    for i, binary in enumerate(args.altod):
        altod = start_altod(binary, work, i, path, args, (cert, key))
        ports = {"http": altod.ports["http"], "https": altod.ports["https"]}
        for k in args.rows:
            ctype_in, _, uri, bpath = files[k]
            data = bench.post_answer(ports["http"], k, ctype_in, uri, bpath)
            if k not in answers:
                answers[k] = data
            elif answers[k] != data:
                differ.append("%s %s: %d bytes, altod#0 %d" % (names[i], k, len(data), len(answers[k])))
                print("NOTE: %s (%s) answers %s with other bytes than altod#0" % (names[i], binary, k))
        if i == 0 and args.nginx:
            fixed = {"/fixed/" + k: (files[k][1], answers[k]) for k in args.rows}
            nginx = bench.Nginx(os.path.join(work, "nginx"), args.threads, cert, key, {}, fixed)
            nginx.start()
            workers = nginx.worker_pids()
            for k in args.rows:
                ctype_in, _, _, bpath = files[k]
                if bench.post_answer(nginx.port, k, ctype_in, "/fixed/" + k, bpath) != answers[k]:
                    raise RuntimeError("nginx does not answer %s with altod's bytes" % k)
        print("# %s: %s, pid %d (http %d, https %d), %d threads" % (names[i], binary, altod.pid, ports["http"],
                                                                    ports["https"], args.threads))
        if "https" in args.schemes:
            tls_note(names[i], ports["https"], ctx)
        if nginx and i == 0:
            print("# nginx: workers %s (http %d, https %d)" % (workers, nginx.port, nginx.tls_port))
            if "https" in args.schemes:
                tls_note("nginx", nginx.tls_port, ctx)
        if args.pause:
            input("press Enter to measure ")
        for k in args.rows:
            for scheme in args.schemes:
                _, _, uri, _ = files[k]
                servers = [("%s %s %s" % (names[i], k, scheme), [altod.pid], ports[scheme], uri, altod.pid)]
                if nginx and i == 0:  # nginx's runs alternate with the first binary's
                    servers.append(("nginx %s %s" % (k, scheme), workers,
                                    nginx.port if scheme == "http" else nginx.tls_port, "/fixed/" + k, None))
                for name, r in zip([names[i], "nginx"], meter.best(servers, scheme, files[k])):
                    res.setdefault((k, scheme), {})[name] = r
                    print("%-12s %-6s %-8s %8.1f us CPU/request %9.0f req/s  client %7.1f us/request"
                          % (k, scheme, name, r[0], r[1], r[2]), flush=True)
        altod.stop()
    if nginx:
        nginx.stop()
    report(args, names, res, answers)
    if bench.PROFILES:
        print("\nProfiles of altod (perf, top symbols; full reports in %s):" % args.out)
    for label, top_self, top_incl in bench.PROFILES:
        print("\n  %s\n    self:      %s\n    inclusive: %s" % (label, "; ".join(top_self), "; ".join(top_incl)))
    if differ:
        print("\nANSWERS DIFFER from altod#0's: " + "; ".join(differ))
        return 1
    if len(names) > 1:
        print("\nanswers: the same bytes from every binary")
    return 0


def report(args, names, res, answers):
    cols = list(names) + (["nginx"] if args.nginx else [])
    print("\nCPU us per request (smallest of %d; %s client%s; %d server threads; '%s'):"
          % (args.repeat, args.client, ", %d connections" % args.connections if args.client == "wrk" else "",
             args.threads, args.size))
    head = ["row", "scheme", "answer"] + ["%s us" % c for c in cols]
    if args.nginx:
        head += ["nginx/%s" % n for n in names]
    head += ["client us (%s)" % "/".join(cols)]
    print("| " + " | ".join(head) + " |")
    print("|---|---|" + "--:|" * (len(head) - 2))
    for k in args.rows:
        for scheme in args.schemes:
            r = res[(k, scheme)]
            line = [k, scheme, bench.fmt_size(len(answers[k]))] + ["%.1f" % r[c][0] for c in cols]
            if args.nginx:
                line += ["%.2fx" % (r["nginx"][0] / r[n][0]) for n in names]
            line.append("/".join("%.1f" % r[c][2] for c in cols))
            print("| " + " | ".join(line) + " |")
    for scheme in args.schemes:
        for a, b, what in (("ec10x100", "ec1x1", "10x100 / 1x1"), ("ec10x100mc3", "ec10x100", "3 cost types / 1")):
            if (a, scheme) in res and (b, scheme) in res:
                print("%s CPU per request (%s): %s" % (what, scheme, ", ".join(
                    "%s %.2fx" % (n, res[(a, scheme)][n][0] / res[(b, scheme)][n][0]) for n in names)))


def add_common_args(ap):
    """The binaries, topology and rows: shared with instr.py."""
    ap.add_argument("--build", default=os.path.join(bench.SRC, "build-rel"),
                    help="build folder: its altod is the default binary, BUILD/bench-cache the default cache")
    ap.add_argument("--altod", action="append", default=[], help="an altod binary (repeat to compare)")
    ap.add_argument("--cache", default=None, help="folder of the generated topologies (default BUILD/bench-cache)")
    ap.add_argument("--size", default="small", choices=sorted(bench.gen_maps.SIZES))
    ap.add_argument("--rows", default=",".join(ROWS), help="comma-separated, or 'all' (%s)" % ",".join(ROWS + EXTRA))


def resolve_common_args(args):
    """Absolute paths and the row list; returns the unknown rows."""
    args.build = os.path.abspath(args.build)
    args.altod = [os.path.abspath(b) for b in args.altod] or [os.path.join(args.build, "altod")]
    args.cache = os.path.abspath(args.cache or os.path.join(args.build, "bench-cache"))
    args.rows = ROWS + EXTRA if args.rows == "all" else [r for r in args.rows.split(",") if r]
    return [r for r in args.rows if r not in ROWS + EXTRA]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap)
    ap.add_argument("--out", default=None, help="folder of wrk.log and the perf reports (default: a temporary one; with --perf BUILD/cpu-results/TIME)")
    ap.add_argument("--schemes", default="http", help="http, https or http,https")
    ap.add_argument("--client", default="wrk", choices=["wrk", "seq"],
                    help="wrk (--connections, 1 thread, --duration s) or one sequential keep-alive client "
                         "(--requests)")
    ap.add_argument("--duration", type=float, default=3, help="seconds per wrk run")
    ap.add_argument("--warmup", type=float, default=1, help="seconds of load before each measured run")
    ap.add_argument("--requests", type=int, default=3000, help="requests per sequential run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="altod server.threads and nginx workers (default nproc)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per row and server; the smallest counts")
    ap.add_argument("--priorities", default=None, help="altod's tls.priorities")
    ap.add_argument("--no-nginx", dest="nginx", action="store_false", help="altod binaries only")
    ap.add_argument("--start-timeout", type=float, default=900)
    ap.add_argument("--pause", action="store_true",
                    help="print the pids and ports and wait for Enter before measuring (strace -f -p, perf -p)")
    ap.add_argument("--perf", action="store_true", help="perf record each altod run (reports in --out)")
    ap.add_argument("--keep-perf", action="store_true", help="keep the perf.data files")
    args = ap.parse_args()
    bad = resolve_common_args(args)
    args.schemes = [s for s in args.schemes.split(",") if s]
    if bad or any(s not in ("http", "https") for s in args.schemes):
        ap.error("unknown rows or schemes: %s" % ",".join(bad + args.schemes))
    work = tempfile.mkdtemp(prefix="altod-cpu-")
    if args.perf and not args.out:  # the perf reports outlive the run
        args.out = os.path.join(args.build, "cpu-results", time.strftime("%Y%m%d-%H%M%S"))
    args.out = os.path.abspath(args.out) if args.out else work
    os.makedirs(args.out, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the finally below stops the servers
    try:
        return run(args, work)
    finally:
        bench._cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""CPU time per request of altod and nginx on scenario 3 and 4's POSTs
(plain HTTP and HTTPS), instead of requests/s: on a shared machine the
rate depends on what else runs, the CPU a request costs much less.

    tests/bench/cpu_per_req.py --build build-rel [--size small] [--duration 3]
        [--rows ec1x1,ec10x100,fcm10x10,ep100] [--schemes http,https] [--repeat 2]

For each row and scheme it runs wrk (the suite's request.lua, 32
connections, 1 thread) against altod, then against nginx answering the
same bytes, and reads the CPU time the server's threads spent meanwhile
(/proc/PID/task/*/schedstat, nanoseconds: user and system together;
nginx: its worker processes). Prints microseconds per request of each and
their ratio nginx/altod (> 1: altod costs less), and wrk's own CPU per
request against each (what the server's way of sending costs the client);
the smaller of --repeat runs counts (noise from other work only adds).
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import bench  # noqa: E402


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


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(d))
        except (OSError, ValueError, IndexError):
            pass
    return out


def measure(pids, url, env, conns, duration):
    e = dict(os.environ)
    e.update(env)
    cmd = ["wrk", "-t", "1", "-c", str(conns), "--timeout", "30s", "-s", os.path.join(HERE, "request.lua"), url]
    subprocess.run(cmd[:1] + ["-d", "1s"] + cmd[1:], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    before = sum(task_ns(p) for p in pids)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd[:1] + ["-d", "%gs" % duration] + cmd[1:], env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    after = sum(task_ns(p) for p in pids)
    ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (ru2.ru_utime + ru2.ru_stime - ru.ru_utime - ru.ru_stime) * 1e6
    r = bench.parse_wrk(p.stdout.decode("utf-8", "replace"), url)
    if r["requests"] == 0 or r["errors_total"]:
        raise RuntimeError("wrk on %s: %d requests, errors %s" % (url, r["requests"], r["errors"]))
    return (after - before) / 1000.0 / r["requests"], r["rps"], client / r["requests"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(bench.SRC, "build-rel"))
    ap.add_argument("--size", default="small")
    ap.add_argument("--cache", default=None)
    ap.add_argument("--duration", type=float, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rows", default="ec1x1,ec10x100,fcm10x10,ep100")
    ap.add_argument("--schemes", default="http,https")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--priorities", default=None, help="altod's tls.priorities")
    ap.add_argument("--pause", action="store_true", help="print the pids and wait for Enter before measuring")
    a = ap.parse_args()
    cache = os.path.abspath(a.cache or os.path.join(a.build, "bench-cache"))
    work = tempfile.mkdtemp(prefix="altod-cpu-")
    path, _, meta = bench.topology(cache, a.size)
    cert = os.path.join(work, "cert.pem")
    key = os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    link = os.path.join(work, "maps.yaml")
    bench.swap_link(link, path)
    altod = bench.Altod(os.path.join(a.build, "altod"), work, link, a.threads, tls=(cert, key), priorities=a.priorities)
    # SIGTERM (and Ctrl-C) end both servers through the finally below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    altod.start()
    try:
        run(a, altod, meta, work, cert, key, nginx_box := [])
    finally:
        for n in nginx_box:
            n.stop()
        altod.stop()
        shutil.rmtree(work, ignore_errors=True)


def run(a, altod, meta, work, cert, key, nginx_box):
    altod.wait_log(r" ready: ", timeout=600)
    while "https" not in altod.ports:
        time.sleep(0.05)
    hp, sp = altod.ports["http"], altod.ports["https"]
    rows = a.rows.split(",")
    fixed, posts = {}, {}
    for k, (ctype_in, ctype_out, uri, obj) in bench.bodies(meta).items():
        if k not in rows:
            continue
        body = json.dumps(obj, separators=(",", ":")).encode()
        bpath = os.path.join(work, k + ".json")
        with open(bpath, "wb") as f:
            f.write(body)
        st, _, data = bench.request("http", hp, "POST", uri, body=body, headers={"Content-Type": ctype_in})
        if st != 200:
            raise RuntimeError("altod POST %s: %d" % (uri, st))
        fixed["/fixed/" + k] = (ctype_out, data)
        posts[k] = (uri, "/fixed/" + k, bpath, ctype_in, len(data))
    nginx = bench.Nginx(os.path.join(work, "nginx"), a.threads, cert, key, {}, fixed)
    nginx_box.append(nginx)
    nginx.start()
    workers = children(nginx.pid)
    deadline = time.monotonic() + 10
    while len(workers) < a.threads and time.monotonic() < deadline:  # the master forks them after listening
        time.sleep(0.05)
        workers = children(nginx.pid)
    ctx = ssl.create_default_context(cafile=cert)
    for name, port in (("altod", sp), ("nginx", nginx.tls_port)):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
        print("# %s: %s %s" % (name, s.version(), s.cipher()[0]))
        s.close()
    print("# altod pid %d (http %d, https %d), nginx workers %s (http %d, https %d), %d threads each"
          % (altod.pid, hp, sp, workers, nginx.port, nginx.tls_port, a.threads))
    if a.pause:
        input("press Enter to measure ")
    print("%-10s %-6s %12s %12s %8s %10s %10s %9s %9s" % ("row", "scheme", "altod us/req", "nginx us/req", "n/a",
                                                        "altod r/s", "nginx r/s", "wrk(a)", "wrk(n)"))
    if True:
        for k in rows:
            uri, nuri, bpath, ctype, n = posts[k]
            env = {"BENCH_METHOD": "POST", "BENCH_BODY_FILE": bpath, "BENCH_CONTENT_TYPE": ctype}
            for scheme in a.schemes.split(","):
                ap_, np_ = (hp, nginx.port) if scheme == "http" else (sp, nginx.tls_port)
                best_a = best_n = None
                for _ in range(a.repeat):
                    ca, ra, wa = measure([altod.pid], "%s://127.0.0.1:%d%s" % (scheme, ap_, uri), env, a.connections,
                                     a.duration)
                    cn, rn, wn = measure(workers, "%s://127.0.0.1:%d%s" % (scheme, np_, nuri), env, a.connections,
                                     a.duration)
                    if best_a is None or ca < best_a[0]:
                        best_a = (ca, ra, wa)
                    if best_n is None or cn < best_n[0]:
                        best_n = (cn, rn, wn)
                print("%-10s %-6s %12.1f %12.1f %8.2f %10.0f %10.0f %9.1f %9.1f"
                      % (k, scheme, best_a[0], best_n[0], best_n[0] / best_a[0], best_a[1], best_n[1], best_a[2],
                         best_n[2]))
                sys.stdout.flush()


if __name__ == "__main__":
    main()

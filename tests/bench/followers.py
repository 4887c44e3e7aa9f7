#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Many clients following one cost map: N TIPS long polls (RFC 9569 §7.2)
or N SSE update streams (RFC 8895), all waiting at once on one altod. Then
one SIGHUP with one cost changed: how long after it each client has its
update (p50, p99, max), and what each waiting client costs altod in
resident memory (VmRSS with all of them waiting, minus before, over N).

    tests/bench/followers.py --build build-bench [--clients 5000] [--mode tips,sse]

Not a test (ctest never runs it). It raises its open-files limit to the
hard limit; altod inherits it. The clients are one asyncio process on the
same machine: their own work is in the figures (an upper bound for altod).
"""
import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

MAPS = """network-maps:
  net:
    default: true
    pids:
      PID1: {ipv4: [192.0.2.0/24]}
      PID2: {ipv4: [198.51.100.0/24]}
      PID3: {ipv4: [0.0.0.0/0]}
cost-maps:
  net:
    routingcost:
      PID1: {PID1: 1, PID2: %d, PID3: 10}
      PID2: {PID1: 5, PID2: 1, PID3: 15}
      PID3: {PID1: 20, PID2: 15}
"""


def log(msg):
    print("followers: " + msg, file=sys.stderr, flush=True)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Altod:
    def __init__(self, binary, workdir, clients, threads, stream_keys):
        self.dir = workdir
        self.maps = os.path.join(workdir, "maps.yaml")
        self.version = 5
        self.write_maps()
        conf = os.path.join(workdir, "altod.yaml")
        with open(conf, "w") as f:
            f.write("\n".join([
                "server:", "  threads: %d" % threads, "  listen:", "    - address: 127.0.0.1", "      port: 0",
                "limits:", "  max-connections: %d" % (2 * clients + 100), "  max-connections-per-address: 0",
                "  connection-timeout: 600", "  request-timeout: 60", "  response-timeout: 600",
                "updates:", "  poll-timeout: 600", "  tips-views: %d" % (clients + 10),
                "  tips-views-per-client: %d" % (clients + 10)] + [
                "  %s: %d" % (k, clients + 10) for k in stream_keys] + [
                "maps:", "  - %s" % json.dumps(self.maps), ""]))
        self.lines = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen([binary, "-c", conf], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        threading.Thread(target=self._drain, daemon=True).start()
        self.port = None
        t, line = self.wait_log(r"listening on http://127\.0\.0\.1:(\d+)/", 0, 30)
        self.port = int(re.search(r":(\d+)/", line).group(1))
        self.wait_log(r"ready|serving|loaded", 0, 30)

    def write_maps(self):
        tmp = self.maps + ".tmp"
        with open(tmp, "w") as f:
            f.write(MAPS % self.version)
        os.replace(tmp, self.maps)

    def _drain(self):
        for raw in iter(self.proc.stderr.readline, b""):
            with self.lock:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def mark(self):
        with self.lock:
            return len(self.lines)

    def wait_log(self, pattern, after, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for line in self.lines[after:]:
                    if rx.search(line):
                        return time.monotonic(), line
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        with self.lock:
            tail = "\n".join(self.lines[-15:])
        raise RuntimeError("altod: no /%s/ within %ss:\n%s" % (pattern, timeout, tail))

    def reload(self):
        self.version += 1
        self.write_maps()
        mark = self.mark()
        t0 = time.monotonic()
        os.kill(self.proc.pid, signal.SIGHUP)
        return t0, mark

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def http(port, method, path, body=None, ctype=None, accept="*/*"):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: %s\r\nConnection: close\r\n" % (method, path, port,
                                                                                             accept)
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        head += "Content-Type: %s\r\nContent-Length: %d\r\n" % (ctype, len(data))
    w.write(head.encode() + b"\r\n" + data)
    await w.drain()
    raw = await r.read()
    w.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    if b"transfer-encoding: chunked" in head.lower():
        rest = dechunk(rest)[0]
    return status, rest


def dechunk(buf):
    """(decoded bytes, the undecoded rest) of a chunked body read so far."""
    out = b""
    while True:
        eol = buf.find(b"\r\n")
        if eol < 0:
            return out, buf
        size = int(buf[:eol].split(b";")[0], 16)
        if len(buf) < eol + 2 + size + 2:
            return out, buf
        out += buf[eol + 2:eol + 2 + size]
        buf = buf[eol + 2 + size + 2:]
        if size == 0:
            return out, buf


class Follower:
    """One connection: a TIPS long poll or an SSE stream."""

    def __init__(self, mode, port, path, costmap):
        self.mode, self.port, self.path, self.costmap = mode, port, path, costmap
        self.waiting = asyncio.Event()
        self.t_update = None
        self.error = None

    async def run(self, go):
        try:
            r, w = await asyncio.open_connection("127.0.0.1", self.port)
            if self.mode == "tips":
                req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: application/merge-patch+json,"
                       "application/json-patch+json,application/alto-costmap+json\r\n\r\n" % (self.path, self.port))
                w.write(req.encode())
                await w.drain()
                self.waiting.set()
                head = await r.readuntil(b"\r\n\r\n")
                status = int(head.split()[1])
                m = re.search(rb"(?i)content-length: *(\d+)", head)
                if m:
                    await r.readexactly(int(m.group(1)))
                self.t_update = time.monotonic()
                if status != 200:
                    self.error = "status %d" % status
            else:
                body = json.dumps({"add": {"c": {"resource-id": self.costmap}}}).encode()
                req = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n"
                       "Content-Type: application/alto-updatestreamparams+json\r\nContent-Length: %d\r\n\r\n"
                       % (self.path, self.port, len(body)))
                w.write(req.encode() + body)
                await w.drain()
                head = await r.readuntil(b"\r\n\r\n")
                if int(head.split()[1]) != 200:
                    raise RuntimeError("stream: " + head.decode(errors="replace").splitlines()[0])
                raw, text, data_events = b"", b"", 0
                while data_events < 2:
                    chunk = await r.read(65536)
                    if not chunk:
                        raise RuntimeError("stream ended")
                    raw += chunk
                    dec, raw = dechunk(raw)
                    text += dec
                    while b"\n\n" in text:
                        ev, _, text = text.partition(b"\n\n")
                        for line in ev.split(b"\n"):
                            if line.startswith(b"event:") and line.rstrip().endswith(b",c"):
                                data_events += 1
                                if data_events == 1:
                                    self.waiting.set()
                self.t_update = time.monotonic()
            w.close()
        except Exception as e:  # noqa: BLE001 -- reported in the figures
            self.error = repr(e)
            self.waiting.set()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


async def follow(a, mode, clients):
    status, body = await http(a.port, "GET", "/", accept="application/alto-directory+json")
    ird = json.loads(body)
    costmap = next(k for k, v in ird["resources"].items() if v["media-type"] == "application/alto-costmap+json")
    if mode == "tips":
        tips = next(v for v in ird["resources"].values() if v["media-type"] == "application/alto-tips+json")
        status, body = await http(a.port, "POST", re.sub(r"^https?://[^/]+", "", tips["uri"]),
                                  {"resource-id": costmap}, "application/alto-tipsparams+json",
                                  "application/alto-tips+json")
        view = json.loads(body)
        end = view["tips-view-summary"]["updates-graph-summary"]["end-seq"]
        path = "%s/ug/%d/%d" % (re.sub(r"^https?://[^/]+", "", view["tips-view-uri"]), end, end + 1)
    else:
        stream = next(v for v in ird["resources"].values() if v["media-type"] == "text/event-stream")
        path = re.sub(r"^https?://[^/]+", "", stream["uri"])
    rss0 = rss_kib(a.proc.pid)
    fs = [Follower(mode, a.port, path, costmap) for _ in range(clients)]
    tasks = []
    for i, f in enumerate(fs):
        tasks.append(asyncio.ensure_future(f.run(None)))
        if i % 200 == 199:
            await asyncio.sleep(0.05)
    for f in fs:
        await f.waiting.wait()
    await asyncio.sleep(2.0)  # the last requests reach their suspended state
    failed = [f.error for f in fs if f.error]
    if failed:
        raise RuntimeError("%d %s clients failed before the reload, e.g. %s" % (len(failed), mode, failed[0]))
    rss1 = rss_kib(a.proc.pid)
    t0, mark = a.reload()
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    t_ok, _ = a.wait_log(r"reload: ok|reload failed", mark, 30)
    lat = [f.t_update - t0 for f in fs if f.t_update and not f.error]
    errors = [f.error for f in fs if f.error]
    return {"mode": mode, "clients": clients, "updated": len(lat), "errors": len(errors),
            "error": errors[0] if errors else "", "reload_s": t_ok - t0,
            "p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat) if lat else float("nan"),
            "rss_per_client": (rss1 - rss0) * 1024.0 / clients, "rss_waiting": rss1 * 1024}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build-bench", help="the build tree with altod (default build-bench)")
    ap.add_argument("--clients", type=int, default=5000)
    ap.add_argument("--mode", default="tips,sse")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="altod's server.threads")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * args.clients + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < 2 * args.clients + 200:
        sys.exit("followers: the open-files limit (%d) is too low for %d clients" % (hard, args.clients))
    rows = []
    for mode in args.mode.split(","):
        work = tempfile.mkdtemp(prefix="altod-followers-")
        keys = ["streams", "streams-per-client"] if mode == "sse" else []
        a = Altod(os.path.join(args.build, "altod"), work, args.clients, args.threads, keys)
        try:
            log("%s: %d clients" % (mode, args.clients))
            rows.append(asyncio.run(follow(a, mode, args.clients)))
        finally:
            a.stop()
            shutil.rmtree(work, ignore_errors=True)
    print("| followers | clients | updated | errors | reload | p50 | p99 | max | RSS per waiting client |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        print("| %s | %d | %d | %d | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.1f KiB |"
              % ("TIPS long polls" if r["mode"] == "tips" else "SSE streams", r["clients"], r["updated"],
                 r["errors"], 1000 * r["reload_s"], 1000 * r["p50"], 1000 * r["p99"], 1000 * r["max"],
                 r["rss_per_client"] / 1024))
        if r["error"]:
            print("(first error: %s)" % r["error"])
    ok = all(r["errors"] == 0 and r["p99"] <= 1.0 for r in rows)
    print("target: every client updated within 1 s of the SIGHUP (p99): %s" % ("met" if ok else "MISSED"))


if __name__ == "__main__":
    main()

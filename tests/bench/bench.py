#!/usr/bin/env python3
"""altod's benchmark suite (run it through tests/bench/run, which installs
the packages and builds altod first; see tests/bench/README.md).

Every HTTP scenario runs altod and its reference (nginx) in the same
invocation, with the same load generator (wrk), the same wrk threads and
connection count, one after the other; the table gives requests/s, p50 and
p99 latency of both and the ratio altod/reference (> 1: altod is faster).

  1  GET the full network map and a full cost map vs nginx, same bytes, static file
  2  the same with Accept-Encoding: gzip vs nginx gzip_static, same .gz bytes
  3  POST endpoint cost 1x1 and 10x100, the same 10x100 with 3 cost types
     (RFC 8189 multi-cost), filtered cost map 10x10 PIDs, endpoint property
     100 endpoints, filtered property map (RFC 9240) of 100 entities and
     3 properties vs nginx answering a fixed body of the same bytes
  4  scenarios 1 and 3 over HTTPS, same certificate (altod: GnuTLS, nginx: OpenSSL)
  5  5,000 concurrent keep-alive clients on a small request (the directory)
  6  longest-prefix match alone (tests/bench/lpm_bench.c): ns per lookup at
     1M prefixes, IPv4 and IPv6, random and skewed addresses, against one
     miss to memory (a dependent random-load chase over the same bytes)
  7  cold start and SIGHUP reload (idle, then under load) of 'large' and
     'huge': seconds until the new maps are served, peak RSS (VmHWM)
  8  incremental updates: a reload of the --size maps with 1% of the costs
     changed, and back: patch bytes over full bytes of the resources that
     changed, patch compute time over the reload's time

Only the Python standard library is used.
"""

import argparse
import atexit
import datetime
import hashlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import gen_maps  # noqa: E402

NETMAP = gen_maps.NETMAP_ID
GIB = 1 << 30

MT = {
    "networkmap": "application/alto-networkmap+json",
    "costmap": "application/alto-costmap+json",
    "directory": "application/alto-directory+json",
    "costmapfilter": "application/alto-costmapfilter+json",
    "endpointprop": "application/alto-endpointprop+json",
    "endpointpropparams": "application/alto-endpointpropparams+json",
    "endpointcost": "application/alto-endpointcost+json",
    "endpointcostparams": "application/alto-endpointcostparams+json",
    "propmap": "application/alto-propmap+json",
    "propmapparams": "application/alto-propmapparams+json",
}

# ---------------------------------------------------------------- processes

_PROCS = []  # every child started, stopped at exit (by its own pid only)


def _track(p):
    _PROCS.append(p)
    return p


def stop_proc(p, sig=signal.SIGTERM, timeout=20):
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(sig)
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(10)
    except ProcessLookupError:
        pass


@atexit.register
def _cleanup():
    for p in reversed(_PROCS):
        stop_proc(p, timeout=10)


def _on_signal(sig, frame):
    raise KeyboardInterrupt("signal %d" % sig)


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_status(pid, field):
    """A /proc/PID/status field in bytes (VmHWM, VmRSS), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def clear_hwm(pid):
    """Resets VmHWM to the current RSS (Linux >= 4.0: clear_refs 5)."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------- HTTP client

def request(scheme, port, method, path, body=None, headers=None, timeout=60, ctx=None, read=True):
    """One request on a new connection: (status, {header: value}, body)."""
    if scheme == "https":
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=ctx)
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read() if read else b""
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


# ---------------------------------------------------------------- altod

class Altod:
    def __init__(self, binary, workdir, maps_path, threads, tls=None, name="altod", priorities=None, logdir=None):
        self.bin = binary
        self.priorities = priorities
        self.dir = workdir
        self.maps = maps_path
        self.threads = threads
        self.tls = tls  # (cert, key) or None
        self.name = name
        self.proc = None
        self.lines = []  # (monotonic time, text)
        self.lock = threading.Lock()
        self.ports = {}
        self.t_spawn = None
        self.logf = open(os.path.join(logdir or workdir, name + ".log"), "w")

    def write_config(self):
        lines = ["server:", "  threads: %d" % self.threads, "  listen:",
                 "    - address: 127.0.0.1", "      port: 0"]
        if self.tls:
            lines += ["    - address: 127.0.0.1", "      port: 0", "      tls:",
                      "        certificate: %s" % json.dumps(self.tls[0]),
                      "        key: %s" % json.dumps(self.tls[1])]
            if self.priorities:
                lines.append("        priorities: %s" % json.dumps(self.priorities))
        # Every wrk connection comes from 127.0.0.1: no per-address limit
        # (real clients come from many addresses). max-connections is split
        # evenly among the threads by libmicrohttpd: room for the held ones.
        lines += ["limits:", "  max-connections: 20000", "  max-connections-per-address: 0",
                  "  connection-timeout: 60", "  request-timeout: 60",
                  "  max-endpoints: 10000", "  max-endpoint-pairs: 1000000",
                  "maps:", "  - %s" % json.dumps(self.maps)]
        self.conf = os.path.join(self.dir, self.name + ".yaml")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        self.write_config()
        self.t_spawn = time.monotonic()
        self.proc = _track(subprocess.Popen([self.bin, "-c", self.conf], stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        rx = re.compile(r"listening on (https?)://127\.0\.0\.1:(\d+)/")
        for raw in iter(self.proc.stderr.readline, b""):
            t = time.monotonic()
            text = raw.decode("utf-8", "replace").rstrip("\n")
            self.logf.write(text + "\n")
            self.logf.flush()
            m = rx.search(text)
            with self.lock:
                if m and m.group(1) not in self.ports:
                    self.ports[m.group(1)] = int(m.group(2))
                self.lines.append((t, text))

    def mark(self):
        with self.lock:
            return len(self.lines)

    def wait_log(self, pattern, after=0, timeout=600):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                lines = self.lines[after:]
            for t, text in lines:
                if rx.search(text):
                    return t, text
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise RuntimeError("%s exited (code %s); log tail:\n%s"
                                   % (self.name, self.proc.returncode, self.tail()))
            if time.monotonic() > deadline:
                raise RuntimeError("%s: no log line /%s/ within %ss; log tail:\n%s"
                                   % (self.name, pattern, timeout, self.tail()))
            time.sleep(0.01)

    def tail(self, n=15):
        with self.lock:
            return "\n".join(t for _, t in self.lines[-n:])

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        stop_proc(self.proc)
        self.logf.close()


def load_seconds(text):
    m = re.search(r"loaded in ([0-9.]+) s", text)
    return float(m.group(1)) if m else None


# ---------------------------------------------------------------- nginx

def nginx_escape(s):
    return s.replace("\\", "\\\\").replace("'", "\\'").replace("$", "${dollar}")


class Nginx:
    """nginx in the foreground, with its own prefix and config, plain and TLS
    servers on ephemeral ports. `static`: {uri: (content type, bytes, gz bytes
    or None)}; `fixed`: {uri: (content type, bytes)} answered to any method."""

    def __init__(self, prefix, workers, cert, key, static, fixed):
        self.prefix = prefix
        self.workers = workers
        self.cert, self.key = cert, key
        self.static = static
        self.fixed = fixed
        self.proc = None
        self.port = free_port()
        self.tls_port = free_port()

    def write(self):
        www = os.path.join(self.prefix, "www")
        os.makedirs(www, exist_ok=True)
        for d in ("logs", "tmp"):
            os.makedirs(os.path.join(self.prefix, d), exist_ok=True)
        locs = []
        for i, (uri, (ctype, data, gz)) in enumerate(sorted(self.static.items())):
            fname = "static%d.json" % i
            with open(os.path.join(www, fname), "wb") as f:
                f.write(data)
            if gz is not None:
                with open(os.path.join(www, fname + ".gz"), "wb") as f:
                    f.write(gz)
            locs.append("    location = %s { default_type %s; gzip_static on; gzip_vary on; "
                        "try_files /%s =404; }" % (uri, ctype, fname))
        for uri, (ctype, data) in sorted(self.fixed.items()):
            text = data.decode("utf-8")
            chunks = [text[i:i + 3000] for i in range(0, len(text), 3000)] or [""]
            sets = "".join("      set $b%d '%s';\n" % (k, nginx_escape(c)) for k, c in enumerate(chunks))
            locs.append("    location = %s {\n      default_type %s;\n%s      return 200 \"%s\";\n    }"
                        % (uri, ctype, sets, "".join("$b%d" % k for k in range(len(chunks)))))
        body = "\n".join(locs)
        p = self.prefix
        conf = """# generated by tests/bench/bench.py
daemon off;
master_process on;
user root root;
worker_processes %(workers)d;
worker_rlimit_nofile 20000;
pid %(p)s/nginx.pid;
error_log %(p)s/logs/error.log warn;
events { worker_connections 12000; }
http {
  access_log off;
  client_body_temp_path %(p)s/tmp/body;
  proxy_temp_path %(p)s/tmp/proxy;
  fastcgi_temp_path %(p)s/tmp/fastcgi;
  uwsgi_temp_path %(p)s/tmp/uwsgi;
  scgi_temp_path %(p)s/tmp/scgi;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 60s;
  keepalive_requests 100000000;
  client_max_body_size 1m;
  client_body_buffer_size 1m;
  geo $dollar { default "$"; }
  root %(p)s/www;
  server {
    listen 127.0.0.1:%(port)d backlog=1024;
%(body)s
  }
  server {
    listen 127.0.0.1:%(tls)d ssl backlog=1024;
    ssl_certificate %(cert)s;
    ssl_certificate_key %(key)s;
    ssl_protocols TLSv1.2 TLSv1.3;
%(body)s
  }
}
""" % {"p": p, "workers": self.workers, "port": self.port, "tls": self.tls_port, "cert": self.cert,
       "key": self.key, "body": body}
        self.conf = os.path.join(p, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)

    def start(self):
        self.write()
        args = ["nginx", "-p", self.prefix, "-e", os.path.join(self.prefix, "logs", "error.log"), "-c", self.conf]
        t = subprocess.run(args + ["-t", "-q"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if t.returncode != 0:
            raise RuntimeError("nginx -t failed:\n" + t.stdout.decode())
        self.proc = _track(subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=open(os.path.join(self.prefix, "logs", "stderr.log"), "w")))
        deadline = time.monotonic() + 20
        for port in (self.port, self.tls_port):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("nginx did not start; see %s/logs" % self.prefix)
                    time.sleep(0.05)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        stop_proc(self.proc)


# ---------------------------------------------------------------- wrk

class Runner:
    def __init__(self, args, outdir):
        self.args = args
        self.out = outdir
        self.n = 0

    def wrk(self, label, url, conns, threads, duration, env=None, timeout="30s", perf_pid=None, warmup=None):
        """One wrk run (after a warm-up); returns the BENCH_RESULT dict plus rps."""
        warmup = self.args.warmup if warmup is None else warmup
        e = dict(os.environ)
        e.update(env or {})
        cmd = ["wrk", "-t", str(threads), "-c", str(conns), "--timeout", timeout,
               "-s", os.path.join(HERE, "request.lua"), url]
        if warmup > 0:
            subprocess.run(cmd[:1] + ["-d", "%gs" % warmup] + cmd[1:], env=e, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        perf = None
        if perf_pid and self.args.perf:
            self.n += 1
            pdata = os.path.join(self.out, "perf-%02d-%s.data" % (self.n, re.sub(r"[^A-Za-z0-9]+", "_", label)))
            perf = _track(subprocess.Popen(["perf", "record", "-F", "499", "--call-graph", "dwarf,8192", "-o", pdata,
                                            "-p", str(perf_pid)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(0.3)
        p = subprocess.run(cmd[:1] + ["-d", "%gs" % duration] + cmd[1:], env=e, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        text = p.stdout.decode("utf-8", "replace")
        if perf:
            stop_proc(perf, signal.SIGINT, 60)
            self.perf_report(pdata, label)
        with open(os.path.join(self.out, "wrk.log"), "a") as f:
            f.write("### %s\n$ %s\n%s\n" % (label, " ".join(cmd), text))
        return parse_wrk(text, label)

    def perf_report(self, pdata, label):
        """Self and inclusive (children) percentages per symbol; keeps the
        text reports, drops the (large) perf.data unless --keep-perf."""
        base = ["perf", "report", "-i", pdata, "--stdio", "-g", "none"]
        run = lambda extra: subprocess.run(base + extra, stdout=subprocess.PIPE,  # noqa: E731
                                           stderr=subprocess.DEVNULL).stdout.decode("utf-8", "replace")
        flat = run(["--no-children", "--sort", "dso,sym", "--percent-limit", "0.5"])
        incl = run(["--children", "--sort", "dso,sym", "--percent-limit", "2"])
        with open(pdata[:-5] + ".txt", "w") as f:
            f.write("# %s\n\n## self\n%s\n## inclusive (children)\n%s" % (label, flat, incl))
        if not self.args.keep_perf:
            os.unlink(pdata)
        rx = re.compile(r"^\s+([0-9.]+)%\s+(?:([0-9.]+)%\s+)?(\S+)\s+\[[.k]\]\s+(.+?)\s*$")
        top_self = []
        for line in flat.splitlines():
            m = rx.match(line)
            if m and len(top_self) < 12:
                top_self.append("%s%% %s (%s)" % (m.group(1), m.group(4), m.group(3)))
        top_incl = []
        for line in incl.splitlines():
            m = rx.match(line)
            # altod and the libraries it calls; not the kernel, libc, vdso
            if not m or m.group(3).startswith(("[", "libc.so", "ld-linux", "libpthread")):
                continue
            if m.group(4).startswith("0x") or m.group(4) in ("main", "start_thread", "clone3", "_start",
                                                            "__libc_start_main", "__libc_start_call_main"):
                continue
            if len(top_incl) < 12:
                top_incl.append("%s%% %s (%s)" % (m.group(1), m.group(4), m.group(3)))
        PROFILES.append((label, top_self, top_incl))


PROFILES = []


def parse_wrk(text, label):
    m = re.search(r"^BENCH_RESULT (\{.*\})$", text, re.M)
    if not m:
        raise RuntimeError("wrk gave no result for %s:\n%s" % (label, text))
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
    r["errors_total"] = sum(r["errors"].values())
    r["bytes_per_req"] = r["bytes"] / r["requests"] if r["requests"] else 0
    return r


# ---------------------------------------------------------------- topologies

def gen_hash():
    with open(os.path.join(HERE, "gen_maps.py"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def topology(cache, size):
    """(path of variant a, path of variant b, meta), generated once and cached."""
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, "%s.yaml" % size)
    path_b = os.path.join(cache, "%s.b.yaml" % size)
    stamp = os.path.join(cache, "%s.stamp" % size)
    h = gen_hash()
    fresh = (os.path.exists(path) and os.path.exists(path_b) and os.path.exists(path + ".meta.json")
             and os.path.exists(stamp) and open(stamp).read().strip() == h)
    if not fresh:
        log("generating topology '%s' into %s" % (size, cache))
        meta = gen_maps.generate(size, path)
        gen_maps.write_variant(path, path_b, meta)
        with open(stamp, "w") as f:
            f.write(h + "\n")
    with open(path + ".meta.json") as f:
        meta = json.load(f)
    return path, path_b, meta


def swap_link(link, target):
    tmp = link + ".new"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)


# ---------------------------------------------------------------- request bodies

def bodies(meta):
    v4, v6, pids = meta["endpoints_v4"], meta["endpoints_v6"], meta["pid_names"]
    rc = {"cost-mode": "numerical", "cost-metric": "routingcost"}
    dsts = v4[20:110] + v6[:10]
    return {
        "ec1x1": (MT["endpointcostparams"], MT["endpointcost"], "/endpointcost/" + NETMAP,
                  {"cost-type": rc, "endpoints": {"srcs": [v4[0]], "dsts": [v4[1]]}}),
        "ec10x100": (MT["endpointcostparams"], MT["endpointcost"], "/endpointcost/" + NETMAP,
                     {"cost-type": rc, "endpoints": {"srcs": v4[2:12], "dsts": dsts}}),
        # RFC 8189: the same 10x100 pairs with three cost types at once
        "ec10x100mc3": (MT["endpointcostparams"], MT["endpointcost"], "/endpointcost/" + NETMAP,
                        {"multi-cost-types": [rc, {"cost-mode": "numerical", "cost-metric": "hopcount"},
                                              {"cost-mode": "ordinal", "cost-metric": "routingcost"}],
                         "endpoints": {"srcs": v4[2:12], "dsts": dsts}}),
        "fcm10x10": (MT["costmapfilter"], MT["costmap"], "/costmap/%s/filtered" % NETMAP,
                     {"cost-type": rc, "pids": {"srcs": pids[2:12], "dsts": pids[12:22]}}),
        "ep100": (MT["endpointpropparams"], MT["endpointprop"], "/endpointprop",
                  {"properties": [NETMAP + ".pid"], "endpoints": v4[200:290] + v6[100:110]}),
        # RFC 9240 §8: 100 entities (addresses inside prefixes that define
        # properties, which inherit them property by property, addresses
        # anywhere, and PIDs), the generator's 3 properties
        "pm100": (MT["propmapparams"], MT["propmap"], "/propmap/%s/filtered" % NETMAP,
                  {"entities": (meta["prop_endpoints_v4"][:35] + v4[300:315] + meta["prop_endpoints_v6"][:15]
                                + v6[120:125] + ["%s.pid:%s" % (NETMAP, p) for p in pids[22:52]]),
                   "properties": meta["properties"]}),
    }


# ---------------------------------------------------------------- formatting

def fmt_rps(x):
    if x is None:
        return "-"
    return "%.0f" % x if x >= 100 else "%.1f" % x


def fmt_lat(us):
    if us is None:
        return "-"
    if us >= 100000:
        return "%.0f ms" % (us / 1000)
    if us >= 1000:
        return "%.1f ms" % (us / 1000)
    return "%.2f ms" % (us / 1000)


def fmt_bytes(b):
    if b is None:
        return "-"
    if b >= GIB:
        return "%.2f GiB" % (b / GIB)
    if b >= 1 << 20:
        return "%.0f MiB" % (b / (1 << 20))
    return "%.0f KiB" % (b / 1024)


def fmt_size(b):
    return "%.1f MB" % (b / 1e6) if b >= 1e6 else "%.1f kB" % (b / 1e3)


# ---------------------------------------------------------------- the suite

class Suite:
    def __init__(self, args):
        self.args = args
        self.scen = set(args.scenarios)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.out = args.out or os.path.join(args.build, "bench-results", stamp)
        os.makedirs(self.out, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="altod-bench-")
        self.run = Runner(args, self.out)
        self.http_rows = []   # scenarios 1-5
        self.lpm_rows = []    # scenario 6
        self.life_rows = []   # scenario 7
        self.upd_rows = []    # scenario 8
        self.targets = []     # (target, measured, met: True/False/None)
        self.notes = []
        self.altod_bin = os.path.join(args.build, "altod")
        self.started_main = None  # cold start record of the main instance

    # -- helpers

    def target(self, what, measured, met):
        self.targets.append((what, measured, met))

    def cert(self):
        cert = os.path.join(self.work, "cert.pem")
        key = os.path.join(self.work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cert, key

    def wait_served(self, port, timeout, etag=None, scheme="http", ctx=None):
        """Polls GET /networkmap/<map> until a 200 (with another ETag than
        `etag` when given): returns (monotonic time, ETag)."""
        deadline = time.monotonic() + timeout
        hdr = {"If-None-Match": etag} if etag else {}
        while True:
            try:
                st, h, _ = request(scheme, port, "GET", "/networkmap/" + NETMAP, headers=hdr, timeout=30,
                                   ctx=ctx, read=False)
                if st == 200 and (etag is None or h.get("etag") != etag):
                    return time.monotonic(), h.get("etag")
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("maps not served within %ss" % timeout)
            time.sleep(0.02)

    def start_altod(self, size, name, tls=None):
        path, path_b, meta = topology(self.args.cache, size)
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        link = os.path.join(d, "maps.yaml")
        swap_link(link, path)
        a = Altod(self.altod_bin, d, link, self.args.server_threads, tls=tls, name=name,
                  priorities=self.args.tls_priorities, logdir=self.out)
        log("starting altod on '%s' (%s, %d prefixes)" % (size, fmt_size(meta["bytes"]), meta["prefixes"]))
        a.start()
        _, ready = a.wait_log(r" ready: ", timeout=self.args.start_timeout)
        t_served, etag = self.wait_served(a.ports["http"], 60)
        rec = {"size": size, "event": "cold start", "seconds": t_served - a.t_spawn,
               "load_s": load_seconds(ready), "peak_rss": proc_status(a.pid, "VmHWM"),
               "rss": proc_status(a.pid, "VmRSS"), "prefixes": meta["prefixes"], "file_bytes": meta["bytes"]}
        log("altod ready: served after %.2f s (load %.2f s), peak RSS %s"
            % (rec["seconds"], rec["load_s"] or -1, fmt_bytes(rec["peak_rss"])))
        a.size, a.meta, a.link, a.paths, a.etag = size, meta, link, (path, path_b), etag
        a.variant = 0
        return a, rec

    # -- scenarios 1-5

    def http_scenarios(self):
        args = self.args
        size = args.size
        cert, key = self.cert()
        ctx = ssl.create_default_context(cafile=cert)
        altod, rec = self.start_altod(size, "altod-main", tls=(cert, key))
        self.main_start = rec
        hp, sp = altod.ports["http"], altod.ports["https"]
        meta = altod.meta

        # the bytes altod serves, for nginx to serve the same
        log("fetching altod's bodies for the reference")
        static, fixed, posts = {}, {}, {}
        gets = [("netmap", "/networkmap/" + NETMAP, MT["networkmap"]),
                ("costmap", "/costmap/%s/routingcost/numerical" % NETMAP, MT["costmap"]),
                ("directory", "/", MT["directory"])]
        for key_, uri, ctype in gets:
            st, h, data = request("http", hp, "GET", uri, timeout=300)
            if st != 200:
                raise RuntimeError("altod GET %s: %d" % (uri, st))
            st, hz, gz = request("http", hp, "GET", uri, headers={"Accept-Encoding": "gzip"}, timeout=300)
            if hz.get("content-encoding") != "gzip":
                gz = None
            nuri = "/" if key_ == "directory" else "/static/" + key_
            static[nuri] = (ctype, data, gz)
            posts[key_] = (uri, nuri, len(data), len(gz) if gz else None)
        for key_, (ctype_in, ctype_out, uri, obj) in bodies(meta).items():
            body = json.dumps(obj, separators=(",", ":")).encode()
            bpath = os.path.join(self.work, key_ + ".json")
            with open(bpath, "wb") as f:
                f.write(body)
            st, h, data = request("http", hp, "POST", uri, body=body, headers={"Content-Type": ctype_in})
            if st != 200:
                raise RuntimeError("altod POST %s (%s): %d %s" % (uri, key_, st, data[:300]))
            fixed["/fixed/" + key_] = (ctype_out, data)
            posts[key_] = (uri, "/fixed/" + key_, len(data), None, bpath, ctype_in)

        nginx = Nginx(os.path.join(self.work, "nginx"), args.server_threads, cert, key, static, fixed)
        nginx.start()
        log("nginx on %d (https %d), altod on %d (https %d)" % (nginx.port, nginx.tls_port, hp, sp))
        # the same bytes from both, and which TLS each negotiates
        for key_, v in posts.items():
            uri, nuri = v[0], v[1]
            if len(v) > 4:
                st, _, a_body = request("http", hp, "POST", uri, body=open(v[4], "rb").read(),
                                        headers={"Content-Type": v[5]})
                st2, _, n_body = request("http", nginx.port, "POST", nuri, body=open(v[4], "rb").read(),
                                         headers={"Content-Type": v[5]})
            else:
                st, _, a_body = request("http", hp, "GET", uri, timeout=300)
                st2, _, n_body = request("http", nginx.port, "GET", nuri, timeout=300)
            if st != 200 or st2 != 200 or a_body != n_body:
                raise RuntimeError("altod and nginx differ on %s: %d/%d, %d/%d bytes"
                                   % (key_, st, st2, len(a_body), len(n_body)))
            if v[3] is not None:
                _, h1, g1 = request("http", hp, "GET", uri, headers={"Accept-Encoding": "gzip"}, timeout=300)
                _, h2, g2 = request("http", nginx.port, "GET", nuri, headers={"Accept-Encoding": "gzip"},
                                    timeout=300)
                if g1 != g2 or h2.get("content-encoding") != "gzip":
                    raise RuntimeError("gzip bytes differ on %s" % key_)
        for name, port in (("altod", sp), ("nginx", nginx.tls_port)):
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
            c.request("GET", "/")
            c.getresponse().read()
            self.notes.append("TLS negotiated with %s: %s %s" % (name, c.sock.version(), c.sock.cipher()[0]))
            c.close()

        d = args.duration
        big_c, small_c, thr = args.big_connections, args.connections, args.wrk_threads

        def pair(sid, label, a_url, n_url, conns, env, threads=thr, timeout="30s", extra=None):
            log("scenario %s: %s (%d connections)" % (sid, label, conns))
            ra = self.run.wrk("altod " + label, a_url, conns, threads, d, env, timeout, perf_pid=altod.pid)
            rn = self.run.wrk("nginx " + label, n_url, conns, threads, d, env, timeout)
            row = {"id": sid, "label": label, "conns": conns, "threads": threads, "altod": ra, "ref": rn,
                   "ratio": ra["rps"] / rn["rps"] if rn["rps"] else None}
            row.update(extra or {})
            self.http_rows.append(row)
            log("  altod %s req/s p50 %s p99 %s | nginx %s req/s p50 %s p99 %s | ratio %.2f | errors %d/%d"
                % (fmt_rps(ra["rps"]), fmt_lat(ra["p50_us"]), fmt_lat(ra["p99_us"]), fmt_rps(rn["rps"]),
                   fmt_lat(rn["p50_us"]), fmt_lat(rn["p99_us"]), row["ratio"] or 0, ra["errors_total"],
                   rn["errors_total"]))
            return row

        def url(scheme, port, path):
            return "%s://127.0.0.1:%d%s" % (scheme, port, path)

        sz = lambda n: fmt_size(n)  # noqa: E731
        get_cases = [("netmap", "GET full network map"), ("costmap", "GET full cost map (routingcost)")]
        post_cases = [("ec1x1", "POST endpoint cost 1x1"), ("ec10x100", "POST endpoint cost 10x100"),
                      ("ec10x100mc3", "POST multi-cost endpoint cost 10x100, 3 cost types"),
                      ("fcm10x10", "POST filtered cost map 10x10 PIDs"),
                      ("ep100", "POST endpoint property 100 endpoints"),
                      ("pm100", "POST filtered property map 100 entities, 3 properties")]
        rows = {}
        for scheme, sid, a_port, n_port in (("http", "1", hp, nginx.port), ("https", "4", sp, nginx.tls_port)):
            if "1" in self.scen and scheme == "http" or "4" in self.scen and scheme == "https":
                for k, label in get_cases:
                    uri, nuri, n, _ = posts[k]
                    rows[(scheme, k)] = pair(sid, "%s, %s%s" % (label, sz(n), " (HTTPS)" if scheme == "https" else ""),
                                             url(scheme, a_port, uri), url(scheme, n_port, nuri), big_c, {})
            if scheme == "http" and "2" in self.scen:
                for k, label in get_cases:
                    uri, nuri, n, ngz = posts[k]
                    rows[("gzip", k)] = pair("2", "%s, gzip %s" % (label, sz(ngz or n)), url(scheme, a_port, uri),
                                             url(scheme, n_port, nuri), big_c, {"BENCH_ACCEPT_ENCODING": "gzip"})
            if "3" in self.scen and scheme == "http" or "4" in self.scen and scheme == "https":
                for k, label in post_cases:
                    uri, nuri, n, _, bpath, ctype = posts[k]
                    env = {"BENCH_METHOD": "POST", "BENCH_BODY_FILE": bpath, "BENCH_CONTENT_TYPE": ctype}
                    rows[(scheme, k)] = pair("3" if scheme == "http" else "4",
                                             "%s, answer %s%s" % (label, sz(n), " (HTTPS)" if scheme == "https" else ""),
                                             url(scheme, a_port, uri), url(scheme, n_port, nuri), small_c, env)
        if "5" in self.scen:
            uri, nuri, n, _ = posts["directory"]
            pair("5", "%d held keep-alive connections, GET directory %s" % (args.held, sz(n)),
                 url("http", hp, "/"), url("http", nginx.port, "/"), args.held, {},
                 threads=max(2, thr), timeout="20s")
        nginx.stop()

        # targets
        for (scheme, k), row in rows.items():
            if scheme == "http" and k in ("netmap", "costmap"):
                self.target("full maps >= 1.2x nginx static: " + row["label"], "%.2fx" % row["ratio"],
                            row["ratio"] >= 1.2)
            if scheme == "gzip":
                self.target("gzip >= 1.0x nginx gzip_static: " + row["label"], "%.2fx" % row["ratio"],
                            row["ratio"] >= 1.0)
            if scheme == "http" and k == "ec1x1":
                self.target("POST endpoint cost 1x1 >= 0.6x nginx fixed body", "%.2fx" % row["ratio"],
                            row["ratio"] >= 0.6)
            if scheme == "https":
                self.target(">= 0.7x nginx TLS: " + row["label"], "%.2fx" % row["ratio"], row["ratio"] >= 0.7)
        for scheme in ("http", "https"):
            if (scheme, "ec1x1") in rows and (scheme, "ec10x100") in rows:
                r1, r2 = rows[(scheme, "ec1x1")]["altod"], rows[(scheme, "ec10x100")]["altod"]
                f = r1["rps"] / r2["rps"] if r2["rps"] else float("inf")
                self.target("endpoint cost 10x100 < 3x the 1x1 time per request (%s)" % scheme.upper(),
                            "%.2fx" % f, f < 3)
            if (scheme, "ec10x100") in rows and (scheme, "ec10x100mc3") in rows:
                r1, r3 = rows[(scheme, "ec10x100")]["altod"], rows[(scheme, "ec10x100mc3")]["altod"]
                f = r1["rps"] / r3["rps"] if r3["rps"] else float("inf")
                self.target("multi-cost endpoint cost 10x100 with 3 cost types < 2x the single-cost time (%s)"
                            % scheme.upper(), "%.2fx" % f, f < 2)
            if (scheme, "pm100") in rows:
                row = rows[(scheme, "pm100")]
                self.target("filtered property map 100 entities vs nginx fixed body (%s; no target: the ratio)"
                            % scheme.upper(), "%.2fx" % row["ratio"], None)
        for row in self.http_rows:
            if row["id"] == "5":
                errs = row["altod"]["errors_total"]
                self.target("%d held connections, no errors (altod)" % args.held,
                            "%d errors %s" % (errs, json.dumps(row["altod"]["errors"])), errs == 0)
        bad = [r for r in self.http_rows if r["altod"]["errors_total"] or r["ref"]["errors_total"]]
        for r in bad:
            self.notes.append("errors in '%s': altod %s, nginx %s" % (r["label"], r["altod"]["errors"],
                                                                     r["ref"]["errors"]))
        return altod

    # -- scenario 6

    def lpm(self):
        exe = os.path.join(self.args.build, "tests", "bench_lpm")
        log("scenario 6: longest-prefix match, %d prefixes per family" % self.args.lpm_prefixes)
        p = subprocess.run([exe, "-n", str(self.args.lpm_prefixes), "-l", str(self.args.lpm_lookups),
                            "-r", str(self.args.lpm_reps)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        sys.stderr.write(p.stderr.decode())
        res = [json.loads(m) for m in re.findall(r"^RESULT (\{.*\})$", p.stdout.decode(), re.M)]
        if p.returncode != 0:
            self.notes.append("bench_lpm exited %d (a wrong answer or an error): see its output" % p.returncode)
        by = {(r["family"], r["dist"], r["impl"]): r for r in res}
        # Targets against the physical limit measured in the same run:
        # "one miss" is bench_lpm's dependent random-load chase over a table
        # of the LPM tables' byte size (median ns per load); the chase and the
        # lookups are interleaved, the medians taken over the repetitions.
        for fam in ("ipv4", "ipv6"):
            for dist in ("random", "skewed"):
                a, ref = by.get((fam, dist, "altod")), by.get((fam, dist, "binary-search"))
                miss = by.get((fam, dist, "chase"))
                if not a:
                    continue
                limit = 1.0 if dist == "skewed" else (1.2 if fam == "ipv4" else 2.0)
                row = {"family": fam, "dist": dist, "altod": a, "ref": ref, "miss": miss,
                       "ratio": ref["p50_ns"] / a["p50_ns"] if ref else None,
                       "miss_ratio": a["p50_ns"] / miss["p50_ns"] if miss else None, "limit": limit}
                self.lpm_rows.append(row)
                what = "LPM %s %s p50 %s %sx one miss (chase over the same %.1f MB) at %dk prefixes" % (
                    fam.upper().replace("IPV", "IPv"), dist, "<" if dist == "skewed" else "<=",
                    "%.1f" % limit if limit != 1.0 else "1", a["miss_table_bytes"] / 1e6 if miss else 0,
                    a["prefixes"] // 1000)
                if row["miss_ratio"] is None:
                    self.target(what, "%.1f ns, no chase" % a["p50_ns"], False)
                    continue
                met = (row["miss_ratio"] < limit if dist == "skewed" else row["miss_ratio"] <= limit)
                self.target(what, "%.2fx (%.1f / %.1f ns)" % (row["miss_ratio"], a["p50_ns"], miss["p50_ns"]),
                            met and a["checked"])

    # -- scenario 7

    def reload(self, a, under_load):
        """Swaps the maps file for its variant, SIGHUP, and waits until the
        new network map is served. Under load, a wrk run (POST endpoint cost
        1x1) goes on during the whole reload."""
        args = self.args
        port = a.ports["http"]
        wrk = None
        if under_load:
            ctype_in, _, uri, obj = bodies(a.meta)["ec1x1"]
            bpath = os.path.join(self.work, "reload-ec1x1.json")
            with open(bpath, "w") as f:
                json.dump(obj, f)
            env = dict(os.environ, BENCH_METHOD="POST", BENCH_BODY_FILE=bpath, BENCH_CONTENT_TYPE=ctype_in)
            wrk = _track(subprocess.Popen(["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections),
                                           "-d", "3600s", "--timeout", "30s", "-s", os.path.join(HERE, "request.lua"),
                                           "http://127.0.0.1:%d%s" % (port, uri)],
                                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
            time.sleep(1.0)
        a.variant ^= 1
        swap_link(a.link, a.paths[a.variant])
        clear_hwm(a.pid)
        mark = a.mark()
        perf = None
        if args.perf:
            pdata = os.path.join(self.out, "perf-reload-%s%s.data" % (a.size, "-load" if under_load else ""))
            perf = _track(subprocess.Popen(["perf", "record", "-F", "99", "--call-graph", "dwarf,8192", "-o", pdata,
                                            "-p", str(a.pid)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(0.3)
        t0 = time.monotonic()
        os.kill(a.pid, signal.SIGHUP)
        t_served, etag = self.wait_served(port, args.start_timeout, etag=a.etag)
        _, line = a.wait_log(r"reload: ok|reload failed", after=mark, timeout=60)
        if "reload failed" in line:
            raise RuntimeError("reload failed:\n" + a.tail())
        a.etag = etag
        peak = proc_status(a.pid, "VmHWM")
        if perf:
            stop_proc(perf, signal.SIGINT, 60)
            self.run.perf_report(pdata, "reload %s%s" % (a.size, " under load" if under_load else ""))
        res = None
        if wrk:
            time.sleep(1.0)
            wrk.send_signal(signal.SIGINT)
            text = wrk.communicate(timeout=60)[0].decode("utf-8", "replace")
            with open(os.path.join(self.out, "wrk.log"), "a") as f:
                f.write("### reload under load (%s)\n%s\n" % (a.size, text))
            res = parse_wrk(text, "reload under load")
        time.sleep(0.5)
        rec = {"size": a.size, "event": "reload under load" if under_load else "reload (idle)",
               "seconds": t_served - t0, "load_s": load_seconds(line), "peak_rss": peak,
               "rss": proc_status(a.pid, "VmRSS"), "prefixes": a.meta["prefixes"], "wrk": res}
        log("%s %s: served after %.2f s (load %.2f s), peak RSS %s%s"
            % (a.size, rec["event"], rec["seconds"], rec["load_s"] or -1, fmt_bytes(peak),
               "" if not res else ", %s req/s, errors %s" % (fmt_rps(res["rps"]), json.dumps(res["errors"]))))
        return rec

    def lifecycle(self, size, altod=None, start_rec=None):
        if altod is None:
            log("scenario 7: cold start of '%s'" % size)
            altod, start_rec = self.start_altod(size, "altod-" + size)
        recs = [start_rec]
        recs.append(self.reload(altod, under_load=False))
        recs.append(self.reload(altod, under_load=True))
        altod.stop()
        self.life_rows.extend(recs)
        peak = max(r["peak_rss"] or 0 for r in recs)
        if size == "huge":
            self.target("'huge' serves within 10 s of start", "%.1f s" % start_rec["seconds"],
                        start_rec["seconds"] <= 10)
        self.target("peak RSS during start and reload < 1.5 GiB ('%s')" % size,
                    "%s (%.0f B/prefix)" % (fmt_bytes(peak), peak / start_rec["prefixes"]), peak < 1.5 * GIB)
        lr = recs[-1]["wrk"]
        self.target("a reload under load fails no request ('%s')" % size,
                    "%d of %d failed" % (lr["errors_total"], lr["requests"]), lr["errors_total"] == 0)

    # -- scenario 8

    def updates(self):
        """Reloads the --size maps with 1% of every cost map's costs changed
        (gen_maps.write_costs_variant), then back: the reload log line gives
        the patches' bytes, the changed resources' body bytes, the time
        computing the patches took and the updates history's build time."""
        size = self.args.size
        path, _, meta = topology(self.args.cache, size)
        cpath = os.path.join(self.args.cache, "%s.costs1.yaml" % size)
        stamp = cpath + ".stamp"
        h = gen_hash()
        if not (os.path.exists(cpath) and os.path.exists(stamp) and open(stamp).read().strip() == h):
            log("scenario 8: writing '%s' with 1%% of the costs changed" % size)
            n = gen_maps.write_costs_variant(path, cpath, 0.01)
            with open(stamp, "w") as f:
                f.write(h + "\n%d\n" % n)
        changed_costs = int(open(stamp).read().split()[1])
        a, _ = self.start_altod(size, "altod-updates")
        rx = re.compile(r"loaded in ([0-9.]+) s; updates history: (\d+) versions, (\d+) bytes of patches, built in "
                        r"([0-9.]+) s \(patches ([0-9.]+) s\), (\d+) resources changed \(merge patches (\d+) bytes "
                        r"of (\d+); JSON patches (\d+) bytes of (\d+)\)")
        for label, target in (("1% of the costs changed", cpath), ("and back", path)):
            swap_link(a.link, target)
            mark = a.mark()
            t0 = time.monotonic()
            os.kill(a.pid, signal.SIGHUP)
            t_ok, line = a.wait_log(r"reload: ok|reload failed", after=mark, timeout=self.args.start_timeout)
            if "reload failed" in line:
                raise RuntimeError("reload failed:\n" + a.tail())
            m = rx.search(line)
            if not m:
                raise RuntimeError("no updates statistics in the reload line: " + line)
            load_s, versions, held, build_s, patch_s, nres, mb, mbody, jb, jbody = m.groups()
            rec = {"size": size, "event": label, "costs_changed": changed_costs, "cost_pairs": meta["cost_pairs"],
                   "reload_s": t_ok - t0, "load_s": float(load_s), "build_s": float(build_s),
                   "patch_s": float(patch_s), "resources": int(nres), "merge_bytes": int(mb),
                   "body_bytes": int(mbody), "jp_bytes": int(jb), "jp_body_bytes": int(jbody),
                   "held_bytes": int(held), "versions": int(versions), "rss": proc_status(a.pid, "VmRSS")}
            self.upd_rows.append(rec)
            log("scenario 8: %s: %d resources changed, merge patches %s of %s, JSON patches %s of %s, patches in "
                "%.3f s of a %.2f s reload" % (label, rec["resources"], fmt_bytes(rec["merge_bytes"]),
                                               fmt_bytes(rec["body_bytes"]), fmt_bytes(rec["jp_bytes"]),
                                               fmt_bytes(rec["jp_body_bytes"]), rec["patch_s"], rec["reload_s"]))
        a.stop()
        for rec in self.upd_rows:
            if rec["body_bytes"]:
                self.target("merge patch bytes <= 3%% of the full maps ('%s', %s)" % (size, rec["event"]),
                            "%.2f%%" % (100.0 * rec["merge_bytes"] / rec["body_bytes"]),
                            rec["merge_bytes"] <= 0.03 * rec["body_bytes"])
            if rec["jp_body_bytes"]:
                self.target("JSON patch bytes <= 3%% of the full cost maps ('%s', %s)" % (size, rec["event"]),
                            "%.2f%%" % (100.0 * rec["jp_bytes"] / rec["jp_body_bytes"]),
                            rec["jp_bytes"] <= 0.03 * rec["jp_body_bytes"])
            self.target("computing every patch <= 10%% of the reload ('%s', %s)" % (size, rec["event"]),
                        "%.1f%% (%.3f of %.2f s)" % (100.0 * rec["patch_s"] / rec["reload_s"], rec["patch_s"],
                                                     rec["reload_s"]),
                        rec["patch_s"] <= 0.10 * rec["reload_s"])

    # -- all

    def main(self):
        t0 = time.monotonic()
        self.machine = machine_info()
        log("results in %s" % self.out)
        main_altod = None
        if self.scen & {"1", "2", "3", "4", "5"}:
            main_altod = self.http_scenarios()
        if "6" in self.scen:
            self.lpm()
        if "7" in self.scen:
            for size in self.args.start_sizes:
                if main_altod is not None and size == self.args.size:
                    log("scenario 7: '%s' (cold start measured on the instance of scenarios 1-5)" % size)
                    self.lifecycle(size, main_altod, self.main_start)
                    main_altod = None
                else:
                    self.lifecycle(size)
        if main_altod is not None:
            main_altod.stop()
        if "8" in self.scen:
            self.updates()
        self.elapsed = time.monotonic() - t0
        self.machine["load_end"] = os.getloadavg()
        text = self.report()
        print(text)
        with open(os.path.join(self.out, "table.md"), "w") as f:
            f.write(text)
        with open(os.path.join(self.out, "results.json"), "w") as f:
            json.dump({"machine": self.machine, "http": self.http_rows, "lpm": self.lpm_rows,
                       "lifecycle": self.life_rows, "updates": self.upd_rows, "targets": self.targets, "notes": self.notes,
                       "profiles": PROFILES, "args": vars(self.args)}, f, indent=1, default=str)
        if self.args.write_docs:
            write_docs(text)
        return 0

    def report(self):
        a = self.args
        L = []
        m = self.machine
        L.append("Machine: %s; %d CPUs (%s); %s RAM; Linux %s; load average %.2f at start, %.2f at end."
                 % (m["os"], m["nproc"], m["cpu"], fmt_bytes(m["mem"]), m["kernel"], m["load_start"][0],
                    m["load_end"][0]))
        L.append("Software: altod %s; %s; %s; %s." % (m["altod"], m["nginx"], m["wrk"], m["openssl"]))
        L.append("Settings: wrk %gs per run after a %gs warm-up, %d wrk thread(s); altod threads and nginx workers: %d; "
                 "topology of scenarios 1-5: '%s'. Suite time: %.0f s."
                 % (a.duration, a.warmup, a.wrk_threads, a.server_threads, a.size, self.elapsed))
        L.append("")
        if self.http_rows:
            L.append("| # | request | conns | altod req/s | altod p50 | altod p99 | nginx req/s | nginx p50 | nginx p99 "
                     "| altod/nginx | errors altod/nginx |")
            L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
            for r in self.http_rows:
                ra, rn = r["altod"], r["ref"]
                L.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %.2fx | %d/%d |"
                         % (r["id"], r["label"], r["conns"], fmt_rps(ra["rps"]), fmt_lat(ra["p50_us"]),
                            fmt_lat(ra["p99_us"]), fmt_rps(rn["rps"]), fmt_lat(rn["p50_us"]), fmt_lat(rn["p99_us"]),
                            r["ratio"] or 0, ra["errors_total"], rn["errors_total"]))
            L.append("")
        if self.lpm_rows:
            L.append("| # | longest-prefix match | prefixes | intervals | altod p50 | altod p99 | one miss (chase) p50 "
                     "| altod/miss | binary search p50 | speed altod/binary search | index span | bytes/prefix |")
            L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
            for r in self.lpm_rows:
                x, ref, miss = r["altod"], r["ref"], r["miss"]
                L.append("| 6 | %s %s | %d | %d | %.1f ns | %.1f ns | %s | %s | %s | %s | %.1f | %.1f |"
                         % (r["family"].replace("ipv", "IPv"), r["dist"], x["prefixes"], x["intervals"], x["p50_ns"],
                            x["p99_ns"], "%.1f ns" % miss["p50_ns"] if miss else "-",
                            "%.2fx" % r["miss_ratio"] if r["miss_ratio"] else "-",
                            "%.1f ns" % ref["p50_ns"] if ref else "-",
                            "%.2fx" % r["ratio"] if r["ratio"] else "-", x["index_span_mean"],
                            x["bytes_per_prefix"]))
            L.append("")
        if self.life_rows:
            L.append("| # | maps | event | s until served | altod load time | peak RSS (VmHWM) | RSS after "
                     "| RSS/prefix | load during reload |")
            L.append("|---|---|---|--:|--:|--:|--:|--:|---|")
            for r in self.life_rows:
                w = r.get("wrk")
                wl = "-" if not w else "%s req/s, p99 %s, %d requests, %d failed" % (
                    fmt_rps(w["rps"]), fmt_lat(w["p99_us"]), w["requests"], w["errors_total"])
                L.append("| 7 | %s (%d prefixes) | %s | %.2f | %s | %s | %s | %.0f B | %s |"
                         % (r["size"], r["prefixes"], r["event"], r["seconds"],
                            "%.2f s" % r["load_s"] if r["load_s"] is not None else "-", fmt_bytes(r["peak_rss"]),
                            fmt_bytes(r["rss"]), (r["rss"] or 0) / r["prefixes"], wl))
            L.append("")
        if self.upd_rows:
            L.append("| # | maps | reload | costs changed | resources changed | merge patches / full | JSON patches "
                     "/ full cost maps | patches computed in | updates history built in | reload (until logged) |")
            L.append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|")
            for r in self.upd_rows:
                L.append("| 8 | %s | %s | %d of %d | %d | %s / %s (%.2f%%) | %s / %s (%.2f%%) | %.3f s (%.1f%%) | %.3f s "
                         "| %.2f s |"
                         % (r["size"], r["event"], r["costs_changed"], r["cost_pairs"], r["resources"],
                            fmt_bytes(r["merge_bytes"]), fmt_bytes(r["body_bytes"]),
                            100.0 * r["merge_bytes"] / max(r["body_bytes"], 1), fmt_bytes(r["jp_bytes"]),
                            fmt_bytes(r["jp_body_bytes"]), 100.0 * r["jp_bytes"] / max(r["jp_body_bytes"], 1),
                            r["patch_s"], 100.0 * r["patch_s"] / max(r["reload_s"], 1e-9), r["build_s"],
                            r["reload_s"]))
            L.append("")
        if self.targets:
            L.append("Targets:")
            L.append("")
            L.append("| target | measured | met |")
            L.append("|---|--:|---|")
            for what, measured, met in self.targets:
                L.append("| %s | %s | %s |" % (what, measured, "-" if met is None else "yes" if met else "**no**"))
            L.append("")
        for n in self.notes:
            L.append("- " + n)
        if PROFILES:
            L.append("")
            L.append("Profiles of altod (perf, top symbols; full reports in %s):" % self.out)
            for label, top_self, top_incl in PROFILES:
                L.append("")
                L.append("  %s" % label)
                L.append("    self:      " + "; ".join(top_self))
                L.append("    inclusive: " + "; ".join(top_incl))
        return "\n".join(L) + "\n"


# ---------------------------------------------------------------- machine, docs

def _cmd(args):
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        return p.stdout.decode("utf-8", "replace").strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine_info():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    osname = "?"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    rev = _cmd(["git", "-C", SRC, "rev-parse", "--short", "HEAD"])
    dirty = _cmd(["git", "-C", SRC, "status", "--porcelain", "--untracked-files=no", "--", "src"])
    wrk_v = _cmd(["wrk", "-v"]).splitlines()
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem": mem, "os": osname, "kernel": platform.release(),
            "load_start": os.getloadavg(),
            "altod": "commit %s%s" % (rev, " + local changes in src/" if dirty and dirty != "?" else ""),
            "nginx": _cmd(["nginx", "-v"]).replace("nginx version: ", ""),
            "wrk": (wrk_v[0].split(" [")[0] if wrk_v else "wrk ?"),
            "openssl": _cmd(["openssl", "version"]).split(" ")[0] + " " + _cmd(["openssl", "version"]).split(" ")[1]}


DOC_BEGIN = "<!-- bench:begin -->"
DOC_END = "<!-- bench:end -->"


def write_docs(text):
    path = os.path.join(SRC, "docs", "benchmarks.md")
    with open(path) as f:
        doc = f.read()
    i, j = doc.find(DOC_BEGIN), doc.find(DOC_END)
    if i < 0 or j < i:
        log("docs/benchmarks.md has no %s ... %s markers: not updated" % (DOC_BEGIN, DOC_END))
        return
    argv, skip = [], False
    for a in sys.argv[1:]:  # without the --build that tests/bench/run adds
        if skip:
            skip = False
        elif a == "--build":
            skip = True
        elif not a.startswith("--build="):
            argv.append(a if re.match(r"^[\w,./=:-]+$", a) else "'%s'" % a)
    cmd = "tests/bench/run " + " ".join(argv)
    new = "%s\nCommand: `%s` (%s)\n\n%s%s" % (DOC_BEGIN, cmd.strip(), time.strftime("%Y-%m-%d"), text, DOC_END)
    with open(path, "w") as f:
        f.write(doc[:i] + new + doc[j + len(DOC_END):])
    log("updated %s" % path)


# ---------------------------------------------------------------- command line

def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description="altod benchmark suite (see tests/bench/README.md)")
    ap.add_argument("--build", default=env("BENCH_BUILD", os.path.join(SRC, "build-bench")),
                    help="altod's Release build folder (BENCH_BUILD; default build-bench)")
    ap.add_argument("--scenarios", default=env("BENCH_SCENARIOS", "1,2,3,4,5,6,7,8"),
                    help="comma-separated scenario numbers (BENCH_SCENARIOS; default all)")
    ap.add_argument("--duration", type=float, default=float(env("BENCH_DURATION", "5")),
                    help="seconds per wrk run (BENCH_DURATION; default 5)")
    ap.add_argument("--warmup", type=float, default=float(env("BENCH_WARMUP", "1")),
                    help="seconds of warm-up before each wrk run (BENCH_WARMUP; default 1)")
    ap.add_argument("--size", default=env("BENCH_SIZE", "large"), choices=sorted(gen_maps.SIZES),
                    help="topology of scenarios 1-5 and 8 (BENCH_SIZE; default large)")
    ap.add_argument("--start-sizes", default=env("BENCH_START_SIZES", "large,huge"),
                    help="topologies of scenario 7 (BENCH_START_SIZES; default large,huge)")
    ap.add_argument("--cache", default=env("BENCH_CACHE"),
                    help="folder of the generated topologies (BENCH_CACHE; default BUILD/bench-cache)")
    ap.add_argument("--out", default=env("BENCH_OUT"), help="results folder (default BUILD/bench-results/TIME)")
    ap.add_argument("--connections", type=int, default=int(env("BENCH_CONNECTIONS", "32")),
                    help="wrk connections for small requests (BENCH_CONNECTIONS; default 32)")
    ap.add_argument("--big-connections", type=int, default=int(env("BENCH_BIG_CONNECTIONS", "8")),
                    help="wrk connections for full maps (BENCH_BIG_CONNECTIONS; default 8)")
    ap.add_argument("--held", type=int, default=int(env("BENCH_HELD", "5000")),
                    help="connections of scenario 5 (BENCH_HELD; default 5000)")
    ap.add_argument("--wrk-threads", type=int, default=int(env("BENCH_WRK_THREADS", "1")),
                    help="wrk threads (BENCH_WRK_THREADS; default 1; scenario 5 uses at least 2)")
    ap.add_argument("--server-threads", type=int, default=int(env("BENCH_SERVER_THREADS", str(os.cpu_count() or 1))),
                    help="altod server.threads and nginx worker_processes (default: nproc)")
    ap.add_argument("--lpm-prefixes", type=int, default=int(env("BENCH_LPM_PREFIXES", "1000000")))
    ap.add_argument("--lpm-lookups", type=int, default=int(env("BENCH_LPM_LOOKUPS", str(8 << 20))))
    ap.add_argument("--lpm-reps", type=int, default=int(env("BENCH_LPM_REPS", "5")))
    ap.add_argument("--start-timeout", type=float, default=float(env("BENCH_START_TIMEOUT", "900")),
                    help="seconds to wait for a start or a reload (default 900)")
    ap.add_argument("--perf", action="store_true", default=env("BENCH_PERF", "") not in ("", "0"),
                    help="perf record altod during each altod wrk run and reload (BENCH_PERF=1)")
    ap.add_argument("--keep-perf", action="store_true", help="keep the perf.data files (large)")
    ap.add_argument("--tls-priorities", default=env("BENCH_TLS_PRIORITIES"),
                    help="altod's tls.priorities for scenario 4 (BENCH_TLS_PRIORITIES; default: altod's own)")
    ap.add_argument("--write-docs", action="store_true",
                    help="replace the table in docs/benchmarks.md with this run's")
    args = ap.parse_args()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    bad = [s for s in args.scenarios if s not in "12345678" or len(s) != 1]
    if bad:
        ap.error("unknown scenarios: %s" % ",".join(bad))
    args.start_sizes = [s.strip() for s in args.start_sizes.split(",") if s.strip()]
    for s in args.start_sizes:
        if s not in gen_maps.SIZES:
            ap.error("unknown size %r" % s)
    args.build = os.path.abspath(args.build)
    args.cache = os.path.abspath(args.cache or os.path.join(args.build, "bench-cache"))
    if not os.path.exists(os.path.join(args.build, "altod")):
        ap.error("no %s/altod: build it first (tests/bench/run does)" % args.build)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(args.held * 2 + 1000, 20000)
    if hard != resource.RLIM_INFINITY and hard < want:
        want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if args.held + 100 > want:
        ap.error("RLIMIT_NOFILE %d is too low for %d held connections" % (want, args.held))
    signal.signal(signal.SIGTERM, _on_signal)
    suite = None
    try:
        suite = Suite(args)
        return suite.main()
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        _cleanup()
        if suite is not None:  # certificates, configs, nginx's copies of the bodies
            shutil.rmtree(suite.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

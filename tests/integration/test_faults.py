"""Faults around a running altod: reloads of maps files that are missing,
truncated, unreadable or caught mid-write keep the old snapshot byte for
byte and log the error with the file; many reloads do not make it grow;
clients that hang up in the middle of a large answer (SIGPIPE) do not hurt
it; running out of file descriptors is survived and recovered from; a port
in use at start exits 1.

Notes on "unreadable" when the tests run as root (chmod does not stop root's
reads): the chmod 000 test runs altod as the unprivileged user `nobody`
(setuid in the child) so that the permission really applies; a directory, a
symlink loop and a FIFO in place of the file fail for root too.
"""

import json
import os
import pwd
import resource
import shutil
import select
import signal
import socket
import ssl
import threading
import time
import unittest

import altodtest as at
import tlsutil

NM = "net1"

# Version A: RFC 7285's example maps in two files; version B moves
# 198.51.100.0/25 to PID2 and changes the routing costs.
NET_A, COSTS_A, NET_B = at.RFC_NET_A, at.RFC_COSTS_A, at.RFC_NET_B
COSTS_B = COSTS_A.replace("PID1: {PID1: 1, PID2: 5, PID3: 10}", "PID1: {PID1: 2, PID2: 7, PID3: 11}")
assert NET_B != NET_A and COSTS_B != COSTS_A

FILES_A = {"maps/net.yaml": NET_A, "maps/costs.yaml": COSTS_A}
FILES_B = {"maps/net.yaml": NET_B, "maps/costs.yaml": COSTS_B}


def write_atomic(directory, files):
    for rel, text in files.items():
        path = os.path.join(directory, rel)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


def remove_any(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def answers(a):
    """Every answer of `a`, byte for byte: {label: (status, Content-Type,
    ETag, body)} for each resource of the directory (GET resources plain
    and gzip-encoded, POST resources for each cost type)."""
    res = {}
    for label, method, uri, body, ctype in at.resource_requests(a.ird()):
        headers = {"Content-Type": ctype} if ctype else {}
        r = a.request(method, uri, body=body, headers=headers)
        res[label] = (r.status, r.content_type, r.header("ETag"), r.body)
        if method == "GET":
            r = a.request(method, uri, headers={"Accept-Encoding": "gzip"})
            res[label + " gzip"] = (r.status, r.content_type, r.header("ETag"), r.body)
    return res


def unblock_fifo(path):
    """Opens the FIFO at `path` for writing and closes it at once: a reader
    blocked in open() gets EOF. Does nothing if nobody is reading."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


def nobody_ids():
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return pw.pw_uid, pw.pw_gid


class ReloadFaults(at.AltodTestCase):
    maxDiff = None

    def start(self, preexec_fn=None, world_readable=False):
        files = dict(FILES_A)
        files["altod.yaml"] = at.config_text(["maps/net.yaml", "maps/costs.yaml"])
        self.dir = at.make_tree(self, files)
        if world_readable:
            for root, dirs, names in os.walk(self.dir):
                os.chmod(root, 0o755)
                for n in names:
                    os.chmod(os.path.join(root, n), 0o644)
        self.a = at.start_altod_in(self, self.dir, preexec_fn=preexec_fn)
        self.before = answers(self.a)
        self.assertGreaterEqual(len(self.before), 20)
        return self.a

    def path(self, rel):
        return os.path.join(self.dir, rel)

    def assertBrokenReload(self, rel, reason_words, timeout=None):
        """SIGHUP must fail; an error line names the file (its absolute path)
        with `reason_words`; every answer is the old one, byte for byte."""
        lines = self.a.reload("failed", timeout=timeout)
        text = "\n".join(lines)
        path = self.path(rel)
        errors = [ln for ln in lines if " error: " in ln]
        self.assertTrue(any(path in ln and all(w in ln for w in reason_words) for ln in errors),
                        "no error line naming %s with %r:\n%s" % (path, reason_words, text))
        self.assertTrue(any("reload failed with" in ln for ln in errors), text)
        self.assertFalse(any("reload: ok" in ln for ln in lines), text)
        self.assertTrue(self.a.alive())
        self.assertEqual(answers(self.a), self.before)

    def restore(self):
        for rel in FILES_A:
            remove_any(self.path(rel))
        write_atomic(self.dir, FILES_A)
        self.a.reload("ok")
        self.assertEqual(answers(self.a), self.before)

    def cut_mid_token(self, text, needle):
        """`text` cut in the middle of the first `needle`."""
        i = text.index(needle) + len(needle) // 2
        cut = text[:i]
        self.assertNotIn(cut[-1], "\n ")
        return cut


class TestReloadFaults(ReloadFaults):
    def setUp(self):
        self.start()

    def test_deleted(self):
        os.remove(self.path("maps/costs.yaml"))
        self.assertBrokenReload("maps/costs.yaml", ["cannot read", "No such file or directory"])
        self.restore()

    def test_both_deleted(self):
        os.remove(self.path("maps/costs.yaml"))
        os.remove(self.path("maps/net.yaml"))
        self.assertBrokenReload("maps/net.yaml", ["cannot read"])
        self.assertBrokenReload("maps/costs.yaml", ["cannot read"])
        self.restore()

    def test_truncated_mid_line(self):
        # cut inside a prefix of a flow sequence, and inside a cost row
        with open(self.path("maps/net.yaml"), "w") as f:
            f.write(self.cut_mid_token(NET_B, "198.51.100.128/25"))
        self.assertBrokenReload("maps/net.yaml", [])
        write_atomic(self.dir, {"maps/net.yaml": NET_A})
        with open(self.path("maps/costs.yaml"), "w") as f:
            f.write(self.cut_mid_token(COSTS_B, "PID3: {PID1: 20"))
        self.assertBrokenReload("maps/costs.yaml", [])
        self.restore()

    def test_truncated_to_zero_bytes(self):
        for rel in ("maps/net.yaml", "maps/costs.yaml"):
            os.truncate(self.path(rel), 0)
            self.assertBrokenReload(rel, ["no YAML document"])
            write_atomic(self.dir, FILES_A)

    def test_directory_in_place_of_the_file(self):
        os.remove(self.path("maps/net.yaml"))
        os.mkdir(self.path("maps/net.yaml"))
        self.assertBrokenReload("maps/net.yaml", ["cannot read", "not a regular file"])
        self.restore()

    def test_symlink_loop_in_place_of_the_file(self):
        os.remove(self.path("maps/net.yaml"))
        os.symlink("net.yaml", self.path("maps/net.yaml"))
        self.assertBrokenReload("maps/net.yaml", ["cannot read", "Too many levels of symbolic links"])
        os.remove(self.path("maps/net.yaml"))
        os.symlink("nowhere.yaml", self.path("maps/net.yaml"))
        self.assertBrokenReload("maps/net.yaml", ["cannot read", "No such file or directory"])
        self.restore()

    def test_fifo_in_place_of_the_file(self):
        # A FIFO is "not a regular file" like a directory; but open() of a
        # FIFO with no writer blocks: the reload must not hang on it.
        fifo = self.path("maps/net.yaml")
        os.remove(fifo)
        os.mkfifo(fifo)
        # if the reload hangs in open(), free it when the test ends (else
        # altod ignores SIGTERM, its signals being blocked meanwhile)
        self.addCleanup(unblock_fifo, fifo)
        self.assertBrokenReload("maps/net.yaml", ["cannot read", "not a regular file"], timeout=5 * at.SLOWDOWN)
        self.restore()


class TestUnreadableFile(ReloadFaults):
    def test_chmod_000(self):
        preexec = None
        if os.geteuid() == 0:
            ids = nobody_ids()
            if ids is None:
                self.skipTest("running as root and there is no user 'nobody' to run altod as")
            uid, gid = ids

            def preexec():
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
        self.start(preexec_fn=preexec, world_readable=True)
        os.chmod(self.path("maps/costs.yaml"), 0)
        self.assertBrokenReload("maps/costs.yaml", ["cannot read", "Permission denied"])
        os.chmod(self.path("maps/costs.yaml"), 0o644)
        # a folder on the way that cannot be searched
        os.chmod(self.path("maps"), 0o700)
        self.assertBrokenReload("maps/net.yaml", ["cannot read", "Permission denied"])
        os.chmod(self.path("maps"), 0o755)
        self.restore()


class TestReplacedMidWrite(ReloadFaults):
    def setUp(self):
        self.start()

    def test_half_written_rejected_complete_accepted(self):
        # rewritten in place, as an editor without atomic save does: the
        # reload during the write sees half a file
        cut = len(NET_B) // 2
        while NET_B[cut - 1] in "\n ,[]{}:#":  # a cut inside a token
            cut += 1
        f = open(self.path("maps/net.yaml"), "w")
        try:
            f.write(NET_B[:cut])
            f.flush()
            os.fsync(f.fileno())
            self.assertBrokenReload("maps/net.yaml", [])
            f.write(NET_B[cut:])
        finally:
            f.close()
        write_atomic(self.dir, {"maps/costs.yaml": COSTS_B})
        self.a.reload("ok")
        got = answers(self.a)
        nm = json.loads(got[NM][3])["network-map"]
        self.assertEqual(nm["PID2"]["ipv4"], ["198.51.100.0/25", "198.51.100.128/25"])
        routing = json.loads(got[NM + "-num-routingcost"][3])["cost-map"]
        self.assertEqual(routing["PID1"], {"PID1": 2, "PID2": 7, "PID3": 11})
        self.assertNotEqual(got[NM][2], self.before[NM][2], "the vtag ETag did not change")

    def test_rewrite_race(self):
        """A writer rewrites one maps file in place, over and over (A, B,
        A, ...), a few bytes at a time, while SIGHUPs keep coming. The file
        is one line of flow YAML (< 4 KiB), so every partial state is a
        syntax error: each reload must fail (keeping what was served) or
        serve exactly A or exactly B."""
        one = {"A": json.dumps({"network-maps": {"net1": {"default": True, "pids": {
            "PID1": {"ipv4": ["192.0.2.0/24", "198.51.100.0/25"]}, "PID2": {"ipv4": ["198.51.100.128/25"]},
            "PID3": {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]}}}},
            "cost-maps": {"net1": {"routingcost": {"PID1": {"PID1": 1, "PID2": 5, "PID3": 10},
                                                   "PID2": {"PID1": 5, "PID2": 1, "PID3": 15}}}}}) + "\n"}
        one["B"] = one["A"].replace('"198.51.100.128/25"', '"198.51.100.128/26", "198.51.100.192/26"').replace(
            '"PID3": 10', '"PID3": 12')
        assert len(one["B"]) < 4096
        os.remove(self.path("maps/costs.yaml"))
        write_atomic(self.dir, {"altod.yaml": at.config_text(["maps/net.yaml"])})
        served = {}
        for v in ("B", "A"):
            write_atomic(self.dir, {"maps/net.yaml": one[v]})
            self.a.reload("ok")
            served[v] = answers(self.a)
        self.assertNotEqual(served["A"], served["B"])
        current = "A"

        stop = threading.Event()
        writes = [0]

        def writer():
            v = "B"
            while not stop.is_set():
                with open(self.path("maps/net.yaml"), "wb", buffering=0) as f:
                    data = one[v].encode()
                    for i in range(0, len(data), 40):
                        f.write(data[i:i + 40])
                        time.sleep(0.002)
                writes[0] += 1
                stop.wait(0.03)  # complete for a while
                v = "B" if v == "A" else "A"

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        outcomes = {"ok": 0, "failed": 0}
        try:
            for _ in range(40):
                mark = self.a.log_count()
                self.a.send_signal(signal.SIGHUP)
                line = self.a.wait_for_log(r"reload: ok|reload failed", after=mark)
                got = answers(self.a)
                if "reload: ok" in line:
                    outcomes["ok"] += 1
                    match = [v for v in served if served[v] == got]
                    self.assertEqual(len(match), 1, "a reload served neither A nor B:\n%s" % self.a.stderr())
                    current = match[0]
                else:
                    outcomes["failed"] += 1
                    self.assertEqual(got, served[current], "a failed reload changed the answers")
        finally:
            stop.set()
            t.join(10)
        self.assertGreater(writes[0], 3)
        self.assertGreater(outcomes["ok"], 0, outcomes)
        self.assertGreater(outcomes["failed"], 0, outcomes)
        self.assertTrue(self.a.alive())


# ---------------------------------------------------------------------------

PKI = tlsutil.ModulePki()
setUpModule, tearDownModule = PKI.setup, PKI.cleanup




def https_conf(maps, limits=""):
    return ("server:\n  listen:\n"
            "    - address: 127.0.0.1\n      port: 0\n"
            "    - address: 127.0.0.1\n      port: 0\n"
            "      tls:\n        certificate: %s\n        key: %s\n" % (PKI.server_pem, PKI.server_key)
            + ("limits:\n" + limits if limits else "")
            + "maps:\n" + "".join("  - %s\n" % m for m in maps))


def client_ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.load_verify_locations(PKI.ca_pem)
    return c


def sigpipe_ignored(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("SigIgn:"):
                return bool(int(ln.split()[1], 16) & (1 << (signal.SIGPIPE - 1)))
    return False


class TestClientsHangingUp(at.AltodTestCase):
    """Clients that close in the middle of a 4.5 MB answer, over HTTP and
    HTTPS, many times (some with a reset, some with a FIN and unread data,
    which the kernel answers with a reset too): altod's next write fails
    with EPIPE/ECONNRESET, never kills it, and other clients are served."""

    @classmethod
    def setUpClass(cls):
        cls._holder = at.class_holder(cls)
        d = at.make_tree(cls._holder, {"maps/big.yaml": at.big_maps_text(100000),
                                        "altod.yaml": https_conf(["maps/big.yaml"])})
        cls.a = at.start_altod_in(cls._holder, d)
        assert [x[0] for x in cls.a.listeners] == ["http", "https"], cls.a.listeners
        cls.http = cls.a.client(0)
        cls.https = cls.a.client(1, client_ctx())
        cls.path = cls.a.url_path(cls.a.ird().networkmap_uri("big"))
        cls.body = cls.a.get(cls.path).body
        assert len(cls.body) > 4 << 20

    def hang_up(self, port, tls, read, reset):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        raw.settimeout(at.IO_TIMEOUT)
        raw.connect(("127.0.0.1", port))
        s = client_ctx().wrap_socket(raw, server_hostname="127.0.0.1") if tls else raw
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % self.path).encode())
            got = 0
            while got < read:
                c = s.recv(min(65536, read - got))
                if not c:
                    self.fail("altod closed after %d bytes" % got)
                got += len(c)
        finally:
            if reset:  # an RST rather than a FIN
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()

    def test_hang_ups_mid_answer(self):
        if not at.WRAPPER:
            self.assertTrue(sigpipe_ignored(self.a.pid))
        p = at.Prober(self.http).start()
        runs = 0
        for i in range(40):
            self.hang_up(self.a.listeners[0][2], False, read=(0, 16384, 1 << 20)[i % 3], reset=i % 2 == 0)
            runs += 1
        for i in range(20):
            self.hang_up(self.a.listeners[1][2], True, read=(0, 16384, 1 << 20)[i % 3], reset=i % 2 == 0)
            runs += 1
        # hang up while altod is blocked writing to a full socket
        socks = []
        for i in range(10):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", self.a.listeners[0][2]))
            s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % self.path).encode())
            socks.append(s)
        # each answer has begun (its first bytes are in the 4 kB receive
        # buffer, unread: altod is blocked on the rest), polled, not slept
        for s in socks:
            s.settimeout(at.IO_TIMEOUT)
            self.assertTrue(s.recv(1, socket.MSG_PEEK), "closed before the answer began")
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
        # served after the resets too: answers counted once they are done
        after = p.answers
        p.stop(min_answers=max(11, after + 5))
        self.assertTrue(self.a.alive(), self.a.stderr())
        self.assertEqual(p.failures, [], p.summary())
        self.assertGreater(p.answers, 10, p.summary())
        self.assertGreaterEqual(p.answers, after + 5, p.summary())
        # the whole map, over both listeners, unchanged
        self.assertEqual(self.http.get(self.path).body, self.body)
        self.assertEqual(self.https.get(self.path).body, self.body)
        r = self.https.get(self.path, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Encoding"), "gzip")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


@at.skip_under_wrapper("measures altod's RSS, which under valgrind is valgrind's")
@at.skip_under_sanitizer("measures altod's RSS, which under AddressSanitizer holds freed memory in quarantine, "
                         "and ThreadSanitizer's allocator keeps what is freed (malloc_trim is glibc's)")
class TestReloadMemory(at.AltodTestCase):
    """Many reloads of unchanged maps do not make altod grow: after 50
    reloads to warm up, 250 more add less than 512 KiB of RSS. With a plain
    HTTP listener and with an HTTPS one (whose certificate and key are
    re-read, and swapped, on every reload)."""

    WARM, RELOADS, BOUND_KB = 50, 250, 512

    def run_reloads(self, https):
        conf = "server:\n  listen:\n    - address: 127.0.0.1\n      port: 0\n"
        if https:
            conf += "      tls:\n        certificate: %s\n        key: %s\n" % (PKI.server_pem, PKI.server_key)
        conf += "maps:\n  - maps/example.yaml\n"
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(), "altod.yaml": conf})
        a = at.start_altod_in(self, d)
        for _ in range(self.WARM):
            a.reload("ok")
        before = rss_kb(a.pid)
        for _ in range(self.RELOADS):
            a.reload("ok")
        after = rss_kb(a.pid)
        self.assertLess(after - before, self.BOUND_KB,
                        "RSS %d kB -> %d kB after %d reloads (%.1f kB a reload)"
                        % (before, after, self.RELOADS, (after - before) / self.RELOADS))

    def test_plain_http(self):
        self.run_reloads(https=False)

    def test_https(self):
        self.run_reloads(https=True)


# ---------------------------------------------------------------------------

def accepted_by(pid, sock):
    """True when process `pid` holds the server end of the loopback
    connection `sock` (accepted, not waiting in the listen queue): that
    end's socket inode (/proc/net/tcp) is one of its descriptors."""
    mine, theirs = sock.getsockname()[1], sock.getpeername()[1]
    inode = None
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == theirs and int(parts[2].rsplit(":", 1)[1], 16) == mine:
                inode = parts[9]
    if inode in (None, "0"):
        return False
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(os.path.join(fd_dir, fd)) == "socket:[%s]" % inode:
                return True
        except OSError:
            continue
    return False


@at.skip_under_wrapper("valgrind keeps file descriptors of its own at the top of RLIMIT_NOFILE and "
                       "lowers the limit the program sees, so the count is not altod's")
class TestOutOfFileDescriptors(at.AltodTestCase):
    """altod started with RLIMIT_NOFILE 64: connections are opened (each
    served once, kept alive) until one gets no answer (accept() fails with
    EMFILE and libmicrohttpd suspends accepting). The held connections are
    still served, a reload that cannot open its files fails cleanly; once
    they are closed, the waiting connection is served and new ones are
    accepted again: altod recovers."""

    LIMIT = 64
    REQ = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    def test_exhaust_and_recover(self):
        lim = self.LIMIT
        # no idle limits: the held connections must stay open, idle, from
        # their answer until they are used again after the descriptors ran
        # out and a second passed (by default request-timeout would close
        # them after 10 s, which a sanitizer build can take to get there,
        # and the freed descriptor would let the waiting connection in)
        a = at.start_altod(self, limits={"request-timeout": 0, "connection-timeout": 0},
                           preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (lim, lim)))
        ird = a.get("/", headers={"Host": "127.0.0.1"}).body  # as REQ names it (the URIs follow Host)
        held = []
        waiting = None
        start = a.log_count()
        for i in range(lim + 10):
            s = a.socket()
            self.addCleanup(s.close)
            s.sendall(self.REQ)
            # answered, or left waiting: altod has logged accept()'s EMFILE,
            # holds all its descriptors, and none of them is this connection
            # (still in the listen queue) -- a condition, not "no answer
            # within a second". The EMFILE line may predate this connection:
            # libmicrohttpd logs it once and then stops calling accept() on
            # that thread until a descriptor is freed.
            deadline = time.monotonic() + at.IO_TIMEOUT
            while not select.select([s], [], [], 0.05)[0] and time.monotonic() < deadline:
                if (any("Too many open files" in ln for ln in a.stderr_lines[start:])
                        and len(os.listdir("/proc/%d/fd" % a.pid)) == lim and not accepted_by(a.pid, s)):
                    break
            if not select.select([s], [], [], 0)[0]:
                waiting = s
                break
            rs, rest = at.recv_responses(s, 1, timeout=at.IO_TIMEOUT)
            self.assertEqual([r.status for r in rs], [200], rest)
            held.append(s)
        self.assertIsNotNone(waiting, "never ran out of descriptors with RLIMIT_NOFILE %d" % lim)
        self.assertGreater(len(held), 20)
        self.assertEqual(len(os.listdir("/proc/%d/fd" % a.pid)), lim)
        self.assertTrue(any("Too many open files" in ln for ln in a.stderr_lines), a.stderr())
        # no busy loop while out of descriptors
        cpu0 = self.cpu_seconds(a.pid)
        time.sleep(1.0)
        self.assertLess(self.cpu_seconds(a.pid) - cpu0, 0.5, "altod spins while out of descriptors")
        # the held connections are still served, right
        for s in held:
            s.sendall(self.REQ)
            rs, rest = at.recv_responses(s, 1, timeout=at.IO_TIMEOUT)
            self.assertEqual([r.status for r in rs], [200])
            self.assertEqual(rs[0].body, ird)
        # a reload cannot even open altod.yaml: it fails, nothing changes
        lines = a.reload("failed")
        self.assertTrue(any(" error: " in ln and "Too many open files" in ln for ln in lines), "\n".join(lines))
        # free them: the waiting one is served, new ones are accepted
        for s in held:
            s.close()
        rs, rest = at.recv_responses(waiting, 1, timeout=at.IO_TIMEOUT)
        self.assertEqual([r.status for r in rs], [200], "the waiting connection was never served")
        waiting.close()
        conns = []
        for i in range(len(held)):
            s = a.socket()
            self.addCleanup(s.close)
            s.sendall(self.REQ)
            rs, rest = at.recv_responses(s, 1, timeout=at.IO_TIMEOUT)
            self.assertEqual([r.status for r in rs], [200], "connection %d after recovery" % i)
            conns.append(s)
        for s in conns:
            s.close()
        # altod closes its ends asynchronously: wait for the descriptors to be free
        deadline = time.monotonic() + at.LOG_TIMEOUT  # liveness only
        while len(os.listdir("/proc/%d/fd" % a.pid)) > lim // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertLessEqual(len(os.listdir("/proc/%d/fd" % a.pid)), lim // 2, "descriptors not released")
        a.reload("ok")
        self.assertEqual(a.get("/", headers={"Host": "127.0.0.1"}).body, ird)

    @staticmethod
    def cpu_seconds(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------

class TestPortInUse(at.AltodTestCase):
    def busy_port(self):
        busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        return busy.getsockname()[1]

    def run_expect_exit(self, listen):
        d = at.make_tree(self, {"maps/example.yaml": at.read_example_maps(),
                                "altod.yaml": at.config_text(["maps/example.yaml"], listen=listen)})
        a = at.Altod(d)
        self.addCleanup(a.stop)
        code = a.expect_exit()
        return code, a.stderr()

    def test_port_in_use_exits_1(self):
        port = self.busy_port()
        code, err = self.run_expect_exit((("127.0.0.1", port),))
        self.assertEqual(code, 1, err)
        self.assertTrue(any(" error: " in ln and "127.0.0.1" in ln and str(port) in ln and "in use" in ln
                            for ln in err.splitlines()), err)
        self.assertNotIn("ready:", err)

    def test_second_listener_in_use_exits_1(self):
        port = self.busy_port()
        code, err = self.run_expect_exit((("127.0.0.1", 0), ("127.0.0.1", port)))
        self.assertEqual(code, 1, err)
        self.assertTrue(any(" error: " in ln and str(port) in ln and "in use" in ln for ln in err.splitlines()), err)
        self.assertNotIn("ready:", err)


if __name__ == "__main__":
    unittest.main()

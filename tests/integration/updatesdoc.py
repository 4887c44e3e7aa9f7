"""The walk-throughs of docs/updates.md replayed against the real altod.

docs/updates.md shows two sessions as a reader would type them: the TIPS
walk-through (RFC 9569; the fenced blocks of its "### Walk-through"
section) and the SSE one (RFC 8895; every fenced block of the "## SSE"
section). A session is a sequence of commands, each followed by what it
prints:

- a block whose lines start with `$ ` is a transcript: each `$ ` line is a
  command (a trailing backslash continues it), the lines up to the next
  `$ ` what it printed. A command that prints nothing itself (sed, kill)
  may be followed by the answer of a long poll started earlier with `&`.
- a block that starts with `curl ` is one command (backslash-newlines
  continue it); the next block is its output.
- a block that starts with `event:` is what the open update stream (the
  session's `curl -N` of the update stream service) sent next.

Commands: `curl` (-s, -S, -N, -i, -H, -d, -X; `| jq PATH` with a plain
path like `.resources.tips` or `.resources["update-stream"]`; a trailing
`&` runs it in the background), `sed -i 's/.../.../' maps/FILE` (run on
the session's copy of the maps) and `kill -HUP $(pidof altod)` (a reload,
waited for by its log line). Output is compared as text:

- `curl` without -i: the body, or the jq path's value as jq prints it
  (two spaces per level);
- with -i: the status line, every header but `Date` (the doc leaves Date
  lines out, nothing else), a blank line, the body; for the update
  stream, as many whole events as the block shows (comment lines, the
  keep-alives, skipped), each as its lines.

What is random by design, a TIPS view's token and a stream's control URI
id (`/tips/<32 hex>`, `/updates/control/<32 hex>`), matches any id of that
shape the first time the doc shows it; from then on the doc's id stands
for the live one, in the answers and in the commands. Everything else must
be equal. At the end of the SSE session altod gets SIGTERM, and the stream
must end with no event the doc does not show.

Every session runs on its own altod, started on the shipped configuration
(conf/altod.yaml, port 0) with a fresh copy of conf/maps, asked with the
doc's Host (127.0.0.1:8080) so that absolute URIs are the doc's. Run as a
script it checks both sessions, or with --write puts the live answers into
the doc:

    python3 tests/integration/updatesdoc.py [--write]   (ALTOD_BIN: the binary)

tests/integration/test_updates_doc.py runs the check.
"""

import difflib
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

import altodtest as at

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "updates.md")
NAME = "docs/updates.md"

# (name, the heading the session starts at; it ends at the next heading of
# the same or a higher level)
SESSIONS = (("tips", "### Walk-through"), ("sse", "## SSE (RFC 8895)"))

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_ID = re.compile(r"(/tips/|/updates/control/)([0-9a-f]{32})(?![0-9a-f])")
_JQ_PATH = re.compile(r'\.[A-Za-z_][A-Za-z0-9_-]*|\.?\["[^"]*"\]|\.')
RELOAD = "kill -HUP $(pidof altod)"
STREAM_PATH = "/updates/stream"


def _line_of(text, offset):
    return text.count("\n", 0, offset) + 1


class Step:
    """One command of a session and the output the doc shows for it:
    `outputs` is a list of (start, end) offsets of that text in the doc
    (empty: the doc shows none)."""

    def __init__(self, line, command, outputs=None):
        self.line = line
        self.command = command
        self.outputs = list(outputs or [])
        self.background = False
        self.kind = None
        words = shlex.split(command.replace("\\\n", " "), comments=True)
        if words and words[-1] == "&":
            self.background = True
            words = words[:-1]
        if command.strip() == RELOAD:
            self.kind = "reload"
        elif words and words[0] == "sed":
            self.kind = "sed"
            if len(words) != 4 or words[1] != "-i" or not words[2].startswith("s"):
                raise ValueError("%s:%d: only `sed -i 's...' FILE` is replayed: %r" % (NAME, line, command))
            self.sed_expr, self.sed_file = words[2], words[3]
            if os.path.isabs(self.sed_file) or ".." in self.sed_file.split("/"):
                raise ValueError("%s:%d: sed on a file outside the maps: %r" % (NAME, line, self.sed_file))
        elif words and words[0] == "curl":
            self.kind = "curl"
            self._parse_curl(words[1:])
        else:
            raise ValueError("%s:%d: a command the replay does not know: %r" % (NAME, line, command))
        if self.background and self.kind != "curl":
            raise ValueError("%s:%d: only curl runs in the background" % (NAME, line))

    def _parse_curl(self, words):
        self.method, self.url, self.headers, self.body = None, None, [], None
        self.include, self.jq = False, None
        it = iter(words)
        for w in it:
            if w in ("-H", "--header"):
                name, _, value = next(it).partition(":")
                self.headers.append((name.strip(), value.strip()))
            elif w in ("-d", "--data", "--data-binary"):
                self.body = next(it)
            elif w in ("-X", "--request"):
                self.method = next(it)
            elif re.fullmatch(r"-[sSNi]+", w):
                self.include = self.include or "i" in w
            elif w == "|":
                if next(it) != "jq":
                    raise ValueError("%s:%d: only `| jq PATH` may follow curl" % (NAME, self.line))
                self.jq = next(it)
                if "".join(_JQ_PATH.findall(self.jq)) != self.jq:
                    raise ValueError("%s:%d: jq filter %r is not a plain path" % (NAME, self.line, self.jq))
                if next(it, None) is not None:
                    raise ValueError("%s:%d: more after the jq filter" % (NAME, self.line))
            elif w.startswith("http://"):
                self.url = w
            else:
                raise ValueError("%s:%d: curl option %r is not understood here" % (NAME, self.line, w))
        if self.url is None:
            raise ValueError("%s:%d: no URL in %r" % (NAME, self.line, self.command))
        if self.method is None:
            self.method = "POST" if self.body is not None else "GET"
        u = urllib.parse.urlsplit(self.url)
        self.host = u.netloc
        self.path = u.path + ("?" + u.query if u.query else "")
        self.stream = self.path == STREAM_PATH

    def __repr__(self):
        return "%s:%d: %s" % (NAME, self.line, " ".join(self.command.replace("\\\n", " ").split()))


def _block_kind(body):
    if body.startswith("$ "):
        return "transcript"
    if body.startswith("curl "):
        return "command"
    if body.startswith("event:"):
        return "events"
    return "output"


def _transcript_steps(text, start, body):
    """The steps of a `$ ` block starting at doc offset `start`."""
    steps = []
    lines = body.splitlines(keepends=True)
    pos = start
    cmd, cmd_line, out_start, out_end = None, 0, None, None

    def close():
        if cmd is not None:
            steps.append((cmd_line, cmd, [] if out_start is None else [(out_start, out_end)]))

    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("$ "):
            close()
            cmd_line = _line_of(text, pos)
            parts = [ln[2:]]
            pos += len(ln)
            while parts[-1].rstrip("\n").endswith("\\") and i + 1 < len(lines):
                i += 1
                parts.append(lines[i])
                pos += len(lines[i])
            cmd = "".join(parts).rstrip("\n")
            out_start = out_end = None
        else:
            if ln.strip():
                if out_start is None:
                    out_start = pos
                out_end = pos + len(ln.rstrip("\n"))
            pos += len(ln)
        i += 1
    close()
    return steps


def sessions(text):
    """{name: [Step]} of the doc."""
    out = {}
    for name, heading in SESSIONS:
        m = re.search(r"^%s[ \t]*$" % re.escape(heading), text, re.M)
        if not m:
            raise ValueError("%s: no heading %r" % (NAME, heading))
        level = len(heading) - len(heading.lstrip("#"))
        end = re.compile(r"^#{1,%d} " % level, re.M).search(text, m.end())
        stop = end.start() if end else len(text)
        steps, stream, pending = [], None, None
        for f in _FENCE.finditer(text, m.end(), stop):
            body, start = f.group(1), f.start(1)
            kind = _block_kind(body)
            span = (start, start + len(body.rstrip()))
            if kind == "transcript":
                if pending is not None:
                    raise ValueError("%s:%d: no answer block after %r" % (NAME, pending.line, pending))
                for line, cmd, outs in _transcript_steps(text, start, body):
                    steps.append(Step(line, cmd, outs))
            elif kind == "command":
                if pending is not None:
                    raise ValueError("%s:%d: no answer block after %r" % (NAME, pending.line, pending))
                pending = Step(_line_of(text, start), body.rstrip("\n"))
                if pending.kind != "curl":
                    raise ValueError("%s:%d: a command block holds one curl command" % (NAME, pending.line))
                steps.append(pending)
                if pending.stream:
                    stream = pending
            elif pending is not None:
                pending.outputs.append(span)
                pending = None
            elif kind == "events" and stream is not None:
                steps.append(Continue(_line_of(text, start), stream, span))
            else:
                raise ValueError("%s:%d: a block that is no command, and no answer of one" % (NAME, _line_of(text, start)))
        if pending is not None:
            raise ValueError("%s:%d: no answer block after %r" % (NAME, pending.line, pending))
        out[name] = steps
    return out


class Continue:
    """More of an open update stream: the events of a later block."""

    kind = "events"

    def __init__(self, line, stream, span):
        self.line = line
        self.stream = stream
        self.outputs = [span]

    def __repr__(self):
        return "%s:%d: (the stream of line %d goes on)" % (NAME, self.line, self.stream.line)


# ---------------------------------------------------------------- replay

class Ids:
    """The doc's random ids and the live ones they stand for."""

    def __init__(self):
        self.live_of = {}  # doc id -> live id

    def learn(self, doc_text, live_text):
        doc_new = [m for m in _ID.finditer(doc_text) if m.group(2) not in self.live_of]
        known = set(self.live_of.values())
        live_new = [m for m in _ID.finditer(live_text) if m.group(2) not in known]
        seen_doc, seen_live = [], []
        for m in doc_new:
            if (m.group(1), m.group(2)) not in seen_doc:
                seen_doc.append((m.group(1), m.group(2)))
        for m in live_new:
            if (m.group(1), m.group(2)) not in seen_live:
                seen_live.append((m.group(1), m.group(2)))
        for (dp, did), (lp, lid) in zip(seen_doc, seen_live):
            if dp == lp:
                self.live_of[did] = lid

    def to_doc(self, live_text):
        doc_of = {v: k for k, v in self.live_of.items()}
        return _ID.sub(lambda m: m.group(1) + doc_of.get(m.group(2), m.group(2)), live_text)

    def to_live(self, doc_text):
        return _ID.sub(lambda m: m.group(1) + self.live_of.get(m.group(2), m.group(2)), doc_text)


def jq_path(value, path):
    for part in _JQ_PATH.findall(path):
        if part == ".":
            continue
        key = json.loads(part[part.index("[") + 1:-1]) if part.endswith("]") else part[1:]
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _events_in(text):
    """The events of a doc block: lists of lines, comments left out."""
    out, cur = [], []
    for ln in text.splitlines():
        if ln == "":
            if cur:
                out.append(cur)
            cur = []
        elif not ln.startswith(":"):
            cur.append(ln)
    if cur:
        out.append(cur)
    return out


class Replay:
    """Runs one session's steps against an altod started on `tree`."""

    def __init__(self, text, steps, altod, tree):
        self.text = text
        self.steps = steps
        self.a = altod
        self.tree = tree
        self.ids = Ids()
        self.background = []  # (step, thread, result holder)
        self.streams = {}     # curl step of a stream -> its http.client response
        self.dead = set()     # ids of streams that failed to deliver (not read again)
        self.conns = []
        self.results = []     # (step, span, live text with the doc's ids): for --write
        self.diffs = []

    # -- HTTP --

    def _request(self, step, conn=None):
        headers = {"Host": step.host, "User-Agent": "curl/7.88.1", "Accept": "*/*"}
        for k, v in step.headers:
            headers = {hk: hv for hk, hv in headers.items() if hk.lower() != k.lower()}
            headers[k] = v
        body = None
        if step.body is not None:
            body = step.body.encode()
            if not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        c = conn or http.client.HTTPConnection(self.a.host, self.a.port, timeout=at.IO_TIMEOUT)
        self.conns.append(c)
        c.request(step.method, self.ids.to_live(step.path), body=body, headers=headers)
        return c.getresponse()

    @staticmethod
    def _head(r):
        lines = ["HTTP/1.1 %d %s" % (r.status, r.reason)]
        lines += ["%s: %s" % (k, v) for k, v in r.getheaders() if k.lower() != "date"]
        return "\n".join(lines) + "\n\n"

    def _printed(self, step, r):
        """What curl prints for a whole answer."""
        data = r.read().decode("utf-8")
        if step.jq is not None:
            data = json.dumps(jq_path(json.loads(data), step.jq), indent=2, ensure_ascii=False)
        return (self._head(r) if step.include else "") + data

    @staticmethod
    def _read_event(r):
        """The next whole event's lines (comments skipped), None at the end
        of the stream. The socket timeout is the liveness bound."""
        cur = []
        while True:
            raw = r.readline()
            if not raw:
                return cur or None
            ln = raw.decode("utf-8").rstrip("\r\n")
            if ln == "":
                if cur:
                    return cur
            elif not ln.startswith(":"):
                cur.append(ln)

    def _events(self, r, n):
        """n whole events as text; fewer, and a line that says why, when
        the stream ends or stays silent past the liveness bound."""
        out = []
        for _ in range(n):
            try:
                ev = self._read_event(r)
            except (OSError, http.client.HTTPException) as e:
                out.append("(no more events: %s)" % (type(e).__name__,))
                self.dead.add(id(r))
                break
            if ev is None:
                out.append("(the stream ended)")
                break
            out.append("\n".join(ev))
        return "\n\n".join(out)

    # -- comparing --

    def compare(self, step, span, live):
        doc = self.text[span[0]:span[1]]
        self.ids.learn(doc, live)
        live = self.ids.to_doc(live).rstrip()
        self.results.append((step, span, live))
        if live != doc:
            diff = difflib.unified_diff(doc.splitlines(), live.splitlines(), NAME, "altod", lineterm="", n=2)
            self.diffs.append("%r: the answer differs (python3 tests/integration/updatesdoc.py --write puts "
                              "altod's answers into the doc):\n%s" % (step, "\n".join(diff)))

    def _expect_no_output(self, step):
        if step.outputs:
            self.diffs.append("%r: the doc shows output for a command that prints nothing" % step)

    # -- the steps --

    def wait_polls(self, n):
        """Until altod's SIGUSR1 statistics show n long polls waiting (the
        bound only keeps a broken server from hanging the test)."""
        deadline = time.monotonic() + 20 * at.SLOWDOWN
        while True:
            mark = self.a.log_count()
            self.a.send_signal(signal.SIGUSR1)
            line = self.a.wait_for_log(r"TIPS: \d+ views held, \d+ long polls waiting", after=mark)
            if int(re.search(r"(\d+) long polls waiting", line).group(1)) == n:
                return
            if time.monotonic() > deadline:
                raise AssertionError("never %d long polls waiting" % n)
            time.sleep(0.05)

    def run(self):
        for step in self.steps:
            if step.kind == "events":
                r = self.streams[step.stream]
                doc = self.text[step.outputs[0][0]:step.outputs[0][1]]
                self.compare(step, step.outputs[0], self._events(r, len(_events_in(doc))))
            elif step.kind == "curl" and step.background:
                holder = {}

                def fetch(step=step, holder=holder):
                    try:
                        holder["text"] = self._printed(step, self._request(step))
                    except Exception as e:  # reported by the step that shows the answer
                        holder["error"] = e

                t = threading.Thread(target=fetch, daemon=True)
                t.start()
                self.background.append((step, t, holder))
                self.wait_polls(len(self.background))
                self._expect_no_output(step)
            elif step.kind == "curl" and step.stream:
                r = self._request(step)
                self.streams[step] = r
                if not step.outputs:
                    self.diffs.append("%r: the doc shows no answer" % step)
                    continue
                doc = self.text[step.outputs[0][0]:step.outputs[0][1]]
                events = doc.partition("\n\n")[2] if step.include else doc
                live = (self._head(r) if step.include else "") + self._events(r, len(_events_in(events)))
                self.compare(step, step.outputs[0], live)
            elif step.kind == "curl":
                if not step.outputs:
                    self.diffs.append("%r: the doc shows no answer" % step)
                    continue
                self.compare(step, step.outputs[0], self._printed(step, self._request(step)))
            elif step.kind == "sed":
                path = os.path.join(self.tree, step.sed_file)
                with open(path, encoding="utf-8") as f:
                    before = f.read()
                subprocess.run(["sed", "-i", step.sed_expr, path], check=True)
                with open(path, encoding="utf-8") as f:
                    if f.read() == before:
                        self.diffs.append("%r: changes nothing in %s" % (step, step.sed_file))
                self._background_output(step)
            elif step.kind == "reload":
                self.a.reload("ok")
                self._background_output(step)

    def _background_output(self, step):
        """Output after a command that prints nothing: the answer of the
        oldest background curl."""
        if not step.outputs:
            return
        if not self.background:
            self._expect_no_output(step)
            return
        bg, t, holder = self.background.pop(0)
        t.join(at.IO_TIMEOUT)
        if t.is_alive() or "error" in holder:
            self.diffs.append("%r: no answer to %r: %s" % (step, bg, holder.get("error", "still waiting")))
            return
        self.compare(bg, step.outputs[0], holder["text"])

    def finish(self):
        """SIGTERM: each stream must end with nothing the doc did not show.
        Returns altod's exit code."""
        for step, t, _ in self.background:
            self.diffs.append("%r: the doc never shows its answer" % step)
        code = self.a.stop()
        for step, r in self.streams.items():
            if id(r) in self.dead:
                continue
            rest = []
            while True:
                ev = self._read_event(r)
                if ev is None:
                    break
                rest.append("\n".join(ev))
            if rest:
                self.diffs.append("%r: the stream sent events the doc does not show:\n%s" % (step, "\n\n".join(rest)))
        for c in self.conns:
            c.close()
        return code


def start_shipped(holder):
    """altod on the shipped configuration (port 0) with a fresh copy of
    conf/maps: (Altod, its directory)."""
    import test_example_conf
    d = at.make_tree(holder, {"altod.yaml": test_example_conf.shipped_config_text()})
    shutil.copytree(os.path.join(at.SRC, "conf", "maps"), os.path.join(d, "maps"))
    return at.start_altod_in(holder, d), d


def replay(holder, text, steps):
    """Replays `steps` on a new altod; the Replay (its diffs, results)."""
    a, d = start_shipped(holder)
    rp = Replay(text, steps, a, d)
    try:
        rp.run()
    finally:
        code = rp.finish()
    if code != 0:
        rp.diffs.append("altod exited with %r at SIGTERM" % code)
    return rp


def read_doc():
    with open(DOC, encoding="utf-8") as f:
        return f.read()


def main():
    write = "--write" in sys.argv[1:]
    text = read_doc()
    holder = unittest.TestCase()
    results, bad = [], 0
    try:
        for name, steps in sessions(text).items():
            rp = replay(holder, text, steps)
            results += rp.results
            for dfr in rp.diffs:
                bad += 1
                print(dfr)
    finally:
        holder.doCleanups()
    if write:
        for _, (s, e), live in sorted(results, key=lambda x: x[1], reverse=True):
            text = text[:s] + live + text[e:]
        with open(DOC, "w", encoding="utf-8") as f:
            f.write(text)
        print("%s: %d answers written" % (NAME, len(results)))
        return 0
    print("%s: %d answers, %d differ" % (NAME, len(results), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True
    sys.exit(main())

"""The curl examples of docs/api.md against the real altod.

docs/api.md shows requests as `curl` commands, each in a fenced block,
followed by a fenced block with altod's answer:

    HTTP/1.1 <status> <media type>

    <the JSON body, indented>

or, when the curl line ends with `# (an excerpt of <path>)` (a dotted path
into the JSON answer, e.g. `meta.cost-types` or `resources`), some members
of the object at that path, as they appear inside it (`"name": value,`).
Other blocks (SSE streams, hand-written fragments) are not examples.

examples() finds them; Example.check() sends an example's request to an
altod and returns what differs; the doc's URIs name the host and port
127.0.0.1:8080, which the request sends as its Host header (altod builds
its absolute URIs from Host: docs/deployment.md), so the answers' URIs are
the doc's exactly. Run as a script, it starts altod on the shipped
configuration (conf/altod.yaml, port 0) and checks every example, or with
--write puts the live answers into docs/api.md:

    python3 tests/integration/apidoc.py [--write]     (ALTOD_BIN: the binary)

tests/integration/test_example_conf.py runs the check.
"""

import difflib
import http.client
import json
import os
import re
import shlex
import sys
import urllib.parse

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "api.md")

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_EXCERPT = re.compile(r"#\s*\(an excerpt of ([A-Za-z0-9_.-]+)\)")
_STATUS = re.compile(r"HTTP/1\.1 (\d{3}) (\S+)\n\n")


class Example:
    """One curl block and its answer block: `start`, `end` are the answer
    block's content offsets in the doc."""

    def __init__(self, line, curl, answer, start, end):
        self.line = line  # of the curl command in the doc
        self.curl = curl
        self.answer = answer
        self.start, self.end = start, end
        self.excerpt = None
        m = _EXCERPT.search(curl)
        if m:
            self.excerpt = m.group(1).split(".")
        self.method, self.url, self.headers, self.body = parse_curl(curl)
        u = urllib.parse.urlsplit(self.url)
        self.host = u.netloc
        self.path = u.path + ("?" + u.query if u.query else "")
        if self.excerpt is None:
            m = _STATUS.match(answer)
            if not m:
                raise ValueError("docs/api.md:%d: the answer does not start with 'HTTP/1.1 <status> <type>' "
                                 "and a blank line" % line)
            self.status, self.media_type = int(m.group(1)), m.group(2)
            self.doc_json = json.loads(answer[m.end():])
        else:
            self.status, self.media_type = 200, None
            self.doc_json = json.loads("{" + answer.strip().rstrip(",") + "}")

    def __repr__(self):
        return "docs/api.md:%d: %s %s" % (self.line, self.method, self.path)

    def request_json(self):
        return None if self.body is None else json.loads(self.body)

    def fetch(self, port, timeout=10.0):
        """(status, media type, parsed body) of altod's answer."""
        headers = dict(self.headers)
        headers["Host"] = self.host
        body = None if self.body is None else self.body.encode()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            c.request(self.method, self.path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            ctype = (r.getheader("Content-Type") or "").split(";")[0].strip()
            return r.status, ctype, json.loads(data)
        finally:
            c.close()

    def live(self, port, timeout=10.0):
        """What the doc should show: the whole answer, or the excerpt's
        members taken from the answer at its path."""
        status, ctype, body = self.fetch(port, timeout)
        if self.excerpt is None:
            return status, ctype, body
        obj = body
        for k in self.excerpt:
            obj = obj.get(k, {}) if isinstance(obj, dict) else {}
        return status, ctype, {k: obj[k] for k in self.doc_json if k in obj}

    def check(self, port, timeout=10.0):
        """The differences between the doc and altod's answer (empty: none)."""
        status, ctype, got = self.live(port, timeout)
        diffs = []
        if status != self.status:
            diffs.append("status %d, the doc says %d" % (status, self.status))
        if self.media_type is not None and ctype != self.media_type:
            diffs.append("Content-Type %s, the doc says %s" % (ctype, self.media_type))
        if got != self.doc_json:
            diff = difflib.unified_diff(render(self.doc_json).splitlines(), render(got).splitlines(),
                                        "docs/api.md", "altod", lineterm="", n=2)
            diffs.append("the JSON differs (python3 tests/integration/apidoc.py --write puts altod's "
                         "answers into the doc):\n" + "\n".join(diff))
        return diffs

    def rendered(self, port):
        """The answer block's new content, from altod's answer."""
        status, ctype, got = self.live(port)
        if self.excerpt is None:
            return "HTTP/1.1 %d %s\n\n%s\n" % (status, ctype, render(got))
        pad = "  " * len(self.excerpt)
        return "".join("%s%s: %s,\n" % (pad, json.dumps(k), render(v, len(pad))) for k, v in got.items())


def parse_curl(text):
    """(method, URL, headers, body) of a curl command (-s/-S/-N, -H, -d,
    -X; a trailing # comment and backslash-newlines allowed)."""
    text = text.replace("\\\n", " ")
    words = shlex.split(text, comments=True)
    if not words or words[0] != "curl":
        raise ValueError("not a curl command: %r" % text)
    method, url, headers, body = None, None, {}, None
    it = iter(words[1:])
    for w in it:
        if w in ("-H", "--header"):
            name, _, value = next(it).partition(":")
            headers[name.strip()] = value.strip()
        elif w in ("-d", "--data", "--data-binary"):
            body = next(it)
        elif w in ("-X", "--request"):
            method = next(it)
        elif re.fullmatch(r"-[sSN]+", w):
            continue
        elif w.startswith("http://") or w.startswith("https://"):
            url = w
        else:
            raise ValueError("curl option %r is not understood here" % w)
    if url is None:
        raise ValueError("no URL in %r" % text)
    return method or ("POST" if body is not None else "GET"), url, headers, body


def _line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def examples(text):
    """Every curl block of the doc followed by an answer block."""
    blocks = [(m.start(1), m.end(1), m.group(1)) for m in _FENCE.finditer(text)]
    out = []
    for (s1, _, b1), (s2, e2, b2) in zip(blocks, blocks[1:]):
        if not b1.startswith("curl "):
            continue
        if _EXCERPT.search(b1) or b2.startswith("HTTP/1.1 "):
            out.append(Example(_line_of(text, s1), b1, b2, s2, e2))
    return out


def render(v, indent=0):
    """JSON as docs/api.md shows it: two spaces per level, a list of
    numbers (a multi-cost array) on one line."""
    pad = " " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{\n" + ",\n".join("%s  %s: %s" % (pad, json.dumps(k, ensure_ascii=False), render(x, indent + 2))
                                  for k, x in v.items()) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        if all(x is None or isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            return "[" + ", ".join(json.dumps(x) for x in v) + "]"
        return "[\n" + ",\n".join(pad + "  " + render(x, indent + 2) for x in v) + "\n" + pad + "]"
    return json.dumps(v, ensure_ascii=False)


def read_doc():
    with open(DOC, encoding="utf-8") as f:
        return f.read()


def main():
    import shutil
    import unittest

    import altodtest as at
    import test_example_conf

    write = "--write" in sys.argv[1:]
    holder = unittest.TestCase()
    try:
        d = at.make_tree(holder, {"altod.yaml": test_example_conf.shipped_config_text()})
        shutil.copytree(os.path.join(at.SRC, "conf", "maps"), os.path.join(d, "maps"))
        a = at.start_altod_in(holder, d)
        text = read_doc()
        exs = examples(text)
        bad = 0
        for ex in reversed(exs):
            if write:
                text = text[:ex.start] + ex.rendered(a.port) + text[ex.end:]
                continue
            diffs = ex.check(a.port)
            if diffs:
                bad += 1
                print("%r:\n  %s" % (ex, "\n  ".join(diffs)))
        if write:
            with open(DOC, "w", encoding="utf-8") as f:
                f.write(text)
            print("docs/api.md: %d answers written" % len(exs))
        else:
            print("docs/api.md: %d examples, %d differ" % (len(exs), bad))
        return 1 if bad else 0
    finally:
        holder.doCleanups()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True
    sys.exit(main())

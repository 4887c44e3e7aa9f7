"""The generated key reference in docs/configuration.md and docs/altod.yaml.5.

Both hold the output of `altod --config-reference FORMAT` between marker
lines; test_config.py's TestKeyReference fails when they differ. After a
change of a schema table (src/conf/conf.c, src/conf/policy.c), rewrite them:

    ALTOD_BIN=build/altod python3 tests/integration/config_reference.py
"""
import os
import subprocess
import sys

SRC = os.environ.get("ALTOD_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("ALTOD_BIN") or os.path.join(SRC, "build", "altod")

# (file under docs/, format, begin marker line, end marker line)
DOCS = (("configuration.md", "markdown", "<!-- BEGIN generated key reference -->\n",
         "<!-- END generated key reference -->\n"),
        ("altod.yaml.5", "man", '.\\" BEGIN generated key reference\n', '.\\" END generated key reference\n'))


def generate(fmt, binary=BIN):
    p = subprocess.run([binary, "--config-reference", fmt], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("altod --config-reference %s: exit %d: %s" % (fmt, p.returncode, p.stderr))
    return p.stdout


def split(text, begin, end):
    """(before, inside, after) of the generated part; ValueError unless each
    marker is there once, in order"""
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise ValueError("markers missing, repeated or out of order")
    a = text.index(begin) + len(begin)
    b = text.index(end)
    return text[:a], text[a:b], text[b:]


def main():
    for name, fmt, begin, end in DOCS:
        path = os.path.join(SRC, "docs", name)
        with open(path, encoding="utf-8") as f:
            before, _, after = split(f.read(), begin, end)
        with open(path, "w", encoding="utf-8") as f:
            f.write(before + generate(fmt) + after)
        print("updated", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

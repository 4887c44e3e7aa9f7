#!/usr/bin/env python3
"""Deterministic generator of a large altod maps file.

    gen_topology.py --seed 7 --pids 1000 --prefixes 50000 -o big.yaml

writes one network map with N PIDs holding P prefixes in all:
  * mostly IPv4, lengths /8../32, with many nested prefixes (a longer prefix
    inside a shorter one, often of another PID), plus some IPv6;
  * host bits always zero, no prefix twice;
  * a catch-all PID holding 0.0.0.0/0 and ::/0 (so every address has a PID);
and two cost maps over it:
  * routingcost: dense (every pair) among a subset of the PIDs, sparse for the
    others, with many equal costs (ties) and some fractional ones;
  * hopcount: sparse, small integers, ties.

As a module, generate(...) returns the model (a Topology) that the
integration tests check altod against, and write_yaml(model, path) writes it.
Only the Python standard library is used.
"""

import argparse
import ipaddress
import json
import random
import sys

CATCH_ALL = "catch-all"


class Topology:
    """The generated model.

    netmap_id  the network map's resource id
    pids       {PID name: {"ipv4": [prefix str], "ipv6": [prefix str]}}
    costs      {metric: {src PID: {dst PID: number}}}
    """

    def __init__(self, netmap_id, pids, costs):
        self.netmap_id = netmap_id
        self.pids = pids
        self.costs = costs

    def prefix_count(self):
        return sum(len(g["ipv4"]) + len(g["ipv6"]) for g in self.pids.values())


def _pid_names(rng, n):
    """n distinct valid PID names (RFC 7285 §10.1: [A-Za-z0-9-:@_], 1..64)."""
    names = [CATCH_ALL]
    seen = set(names)
    styles = [
        lambda i: "pid%04d" % i,
        lambda i: "as%d:pop%d" % (64496 + rng.randrange(1000), i),
        lambda i: "edge@dc%d_%d" % (rng.randrange(20), i),
        lambda i: "R-%d-%s" % (i, rng.choice(["a", "B", "c9", "_x"])),
    ]
    i = 0
    while len(names) < n:
        name = rng.choice(styles)(i)
        i += 1
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _v4_length(rng):
    # lengths /8../32, weighted towards the usual /16../24
    r = rng.random()
    if r < 0.10:
        return rng.randint(8, 15)
    if r < 0.75:
        return rng.randint(16, 24)
    return rng.randint(25, 32)


def _prefixes(rng, count, bits, min_len, length_fn, base, base_len):
    """`count` distinct prefixes (network int, length) of a family, about
    40% of them nested inside an earlier one."""
    out = []
    seen = set()
    while len(out) < count:
        if out and rng.random() < 0.4:
            net, plen = rng.choice(out)
            if plen >= bits:
                continue
            nlen = rng.randint(plen + 1, min(bits, plen + 10))
            sub = rng.getrandbits(nlen - plen) << (bits - nlen)
            cand = (net | sub, nlen)
        else:
            plen = length_fn(rng)
            if plen < min_len:
                continue
            host = rng.getrandbits(bits - base_len)
            addr = base | host
            mask = ((1 << plen) - 1) << (bits - plen) if plen else 0
            cand = (addr & mask, plen)
        if cand in seen or cand[1] == 0:
            continue
        seen.add(cand)
        out.append(cand)
    return out


def _cost_value(rng, integral=False):
    v = rng.randint(1, 250)
    if not integral and rng.random() < 0.15:
        v += rng.choice([0.25, 0.5, 0.75])
    return v


def generate(seed=1, npids=1000, nprefixes=50000, netmap_id="gen-net", v6_share=0.06,
             dense_pids=120):
    """The model of a generated topology (deterministic for a seed)."""
    if npids < 2:
        raise ValueError("need at least 2 PIDs")
    if nprefixes < npids + 1:
        raise ValueError("need at least one prefix per PID (and two for the catch-all)")
    rng = random.Random(seed)
    names = _pid_names(rng, npids)
    regular = names[1:]

    n_other = nprefixes - 2  # the catch-all holds 0.0.0.0/0 and ::/0
    n6 = max(1, int(n_other * v6_share))
    n4 = n_other - n6
    v4 = _prefixes(rng, n4, 32, 8, _v4_length, 0, 0)
    # IPv6 inside 2000::/3 (global unicast: never v4-mapped forms)
    v6 = _prefixes(rng, n6, 128, 16, lambda r: r.choice([32, 40, 48, 48, 56, 64, 64, 64, 96, 112, 127, 128]),
                   1 << 125, 3)
    allp = [(4, p) for p in v4] + [(6, p) for p in v6]
    rng.shuffle(allp)

    pids = {n: {"ipv4": [], "ipv6": []} for n in names}
    pids[CATCH_ALL]["ipv4"].append("0.0.0.0/0")
    pids[CATCH_ALL]["ipv6"].append("::/0")
    for i, (fam, (net, plen)) in enumerate(allp):
        owner = regular[i] if i < len(regular) else rng.choice(regular)
        if fam == 4:
            pids[owner]["ipv4"].append(str(ipaddress.IPv4Network((net, plen))))
        else:
            pids[owner]["ipv6"].append(str(ipaddress.IPv6Network((net, plen))))

    # routingcost: dense among a subset (the catch-all included), sparse else
    order = list(names)
    rng.shuffle(order)
    dense = set(order[:dense_pids]) | {CATCH_ALL}
    rc = {}
    for s in sorted(dense):
        rc[s] = {d: _cost_value(rng) for d in sorted(dense)}
    for s in names:
        if s in dense:
            continue
        k = rng.randint(0, 12)
        if k:
            rc[s] = {d: _cost_value(rng) for d in rng.sample(names, k)}
    hc = {}
    for s in names:
        k = rng.randint(0, 6)
        if k:
            hc[s] = {d: rng.randint(0, 20) for d in rng.sample(names, k)}
    return Topology(netmap_id, pids, {"routingcost": rc, "hopcount": hc})


def _num(v):
    return str(v) if isinstance(v, int) else repr(float(v))


def write_yaml(model, path):
    """Writes the model as an altod maps file."""
    q = json.dumps  # a JSON string is a double-quoted YAML scalar
    out = ["# generated by tests/gen/gen_topology.py", "network-maps:", "  %s:" % q(model.netmap_id),
           "    default: true", "    pids:"]
    for name, g in model.pids.items():
        out.append("      %s:" % q(name))
        for fam in ("ipv4", "ipv6"):
            if g[fam]:
                out.append("        %s: [%s]" % (fam, ", ".join(q(p) for p in g[fam])))
    out.append("cost-maps:")
    out.append("  %s:" % q(model.netmap_id))
    for metric, rows in model.costs.items():
        out.append("    %s:" % q(metric))
        for src, row in rows.items():
            out.append("      %s: {%s}" % (q(src), ", ".join("%s: %s" % (q(d), _num(v)) for d, v in row.items())))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pids", type=int, default=1000)
    ap.add_argument("--prefixes", type=int, default=50000)
    ap.add_argument("--netmap", default="gen-net", help="network map resource id")
    ap.add_argument("-o", "--out", required=True, help="maps file to write")
    a = ap.parse_args(argv)
    m = generate(a.seed, a.pids, a.prefixes, a.netmap)
    write_yaml(m, a.out)
    print("%s: %d PIDs, %d prefixes, %s" % (a.out, len(m.pids), m.prefix_count(),
                                            ", ".join("%s %d costs" % (k, sum(len(r) for r in v.values()))
                                                      for k, v in m.costs.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Topology generator of altod's benchmark suite (the maps file contract of
docs/configuration.md), written for speed: YAML text directly, one flow-style
line per PID, per property entity and per cost-map row.

    gen_maps.py SIZE -o FILE [--seed N]      SIZE: small | large | huge

  small   100 PIDs,     9,000 IPv4 +   1,000 IPv6 prefixes, dense costs
  large   2,000 PIDs, 500,000 IPv4 + 100,000 IPv6 prefixes, dense costs
          (routingcost and hopcount between all PIDs: 4M entries each)
  huge   10,000 PIDs, 900,000 IPv4 + 100,000 IPv6 prefixes, sparse costs
          (each PID has costs to 100 others and to the catch-all)

Every map has:
  * a catch-all PID `default` holding 0.0.0.0/0 and ::/0;
  * a PID `reload-marker` holding one prefix that the benchmark swaps to
    make a reload visible (the network map's vtag changes with it);
  * nested prefixes (about 40% inside an earlier one, often of another
    PID), host bits zero, no prefix twice;
  * entity properties (RFC 9240 `property-maps`): `priv:access` on every
    PID; `asn` and `countrycode` on a quarter of the prefixes nested in no
    other, and one property of their own (`countrycode`, `priv:access` or
    `asn`) on half of the prefixes nested in one of those (see
    prefix_properties); drawn from their own random sequence, so the rest
    of the file is what it is without them.

Beside FILE it writes FILE.meta.json: the network map id, counts, the
marker line and its replacement, and sample endpoints (addresses inside
prefixes of the map; and addresses inside prefixes that define
properties, with the property names) for request bodies.

Deterministic for a seed; only the Python standard library is used.
"""

import argparse
import json
import os
import random
import sys
import time

NETMAP_ID = "bench"
CATCH_ALL = "default"
MARKER = "reload-marker"
MARKER_A = "192.0.2.0/24"
MARKER_B = "198.51.100.0/24"

SIZES = {
    # PIDs, IPv4 and IPv6 prefixes (all told: the catch-all's and the
    # marker's included), costs (None: dense; n: n destinations per source)
    "small": (100, 9000, 1000, None),
    "large": (2000, 500000, 100000, None),
    "huge": (10000, 900000, 100000, 100),
}


def v4_prefixes(rng, count, reserved, parents=None):
    """`count` distinct IPv4 prefixes as (network int, length), ~40% nested;
    `parents`, if given, gets per prefix the index of the earlier prefix it
    was nested in (-1: none)."""
    out = []
    seen = set(reserved)
    getrandbits = rng.getrandbits
    rand = rng.random
    randint = rng.randint
    while len(out) < count:
        parent = -1
        if out and rand() < 0.4:
            parent = int(rand() * len(out))
            net, plen = out[parent]
            if plen >= 32:
                continue
            nlen = randint(plen + 1, min(32, plen + 8))
            net |= getrandbits(nlen - plen) << (32 - nlen)
            plen = nlen
        else:
            r = rand()
            plen = randint(8, 15) if r < 0.05 else randint(16, 24) if r < 0.85 else randint(25, 32)
            net = getrandbits(32) & ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF)
        key = (net << 6) | plen
        if key in seen:
            continue
        seen.add(key)
        out.append((net, plen))
        if parents is not None:
            parents.append(parent)
    return out


V6_LENGTHS = [24, 29, 32, 32, 36, 40, 44, 48, 48, 48, 52, 56, 56, 64, 64, 64, 96, 112, 128]


def v6_prefixes(rng, count, parents=None):
    """`count` distinct IPv6 prefixes inside 2000::/3, ~40% nested
    (`parents` as in v4_prefixes)."""
    out = []
    seen = set()
    getrandbits = rng.getrandbits
    rand = rng.random
    randint = rng.randint
    mask128 = (1 << 128) - 1
    while len(out) < count:
        parent = -1
        if out and rand() < 0.4:
            parent = int(rand() * len(out))
            net, plen = out[parent]
            if plen >= 128:
                continue
            nlen = randint(plen + 1, min(128, plen + 16))
            net |= getrandbits(nlen - plen) << (128 - nlen)
            plen = nlen
        else:
            plen = V6_LENGTHS[int(rand() * len(V6_LENGTHS))]
            net = ((1 << 125) | getrandbits(125)) & ((mask128 << (128 - plen)) & mask128)
        key = (net << 8) | plen
        if key in seen:
            continue
        seen.add(key)
        out.append((net, plen))
        if parents is not None:
            parents.append(parent)
    return out


def fmt_v4(net, plen):
    return "%d.%d.%d.%d/%d" % (net >> 24, (net >> 16) & 255, (net >> 8) & 255, net & 255, plen)


def fmt_v6_addr(a):
    return ":".join("%x" % ((a >> (112 - 16 * i)) & 0xFFFF) for i in range(8))


def fmt_v6(net, plen):
    return "%s/%d" % (fmt_v6_addr(net), plen)


def pid_names(n):
    width = len(str(n))
    return [CATCH_ALL, MARKER] + ["pid%0*d" % (width, i) for i in range(1, n - 1)]


# RFC 9240 entity properties (the maps file's `property-maps`): values drawn
# from these; country codes that YAML 1.1 would read as booleans (NO, ON,
# Y, N) are left out.
COUNTRIES = ["US", "DE", "FR", "JP", "BR", "IN", "CA", "GB", "NL", "SE", "AU", "ZA", "IT", "ES", "KR", "MX"]
ACCESS = ["fiber", "dsl", "cable", "lte", "5g", "satellite"]
PROPS_TOP = 0.15     # share of the top-level prefixes (nested in none) with properties
PROPS_NESTED = 0.5   # share of the prefixes nested in one with properties that have their own


def prefix_properties(rng, parents):
    """Per prefix, the text of its flow mapping of properties, or None.
    A top-level prefix gets an AS number and a country code (PROPS_TOP of
    them); a prefix nested in one that has properties (PROPS_NESTED of
    them) overrides or adds one property: another country code, an access
    type, or another AS number, so that RFC 9240's inheritance (property by
    property, the longest prefix that defines it) has work to do."""
    out = [None] * len(parents)
    rand = rng.random
    nc, na = len(COUNTRIES), len(ACCESS)
    for i, parent in enumerate(parents):
        if parent < 0:
            if rand() < PROPS_TOP:
                out[i] = "{asn: %d, countrycode: %s}" % (64512 + int(rand() * 1000), COUNTRIES[int(rand() * nc)])
        elif out[parent] is not None and rand() < PROPS_NESTED:
            r = rand()
            if r < 0.5:
                out[i] = "{countrycode: %s}" % COUNTRIES[int(rand() * nc)]
            elif r < 0.8:
                out[i] = '{"priv:access": %s}' % ACCESS[int(rand() * na)]
            else:
                out[i] = "{asn: %d}" % (64512 + int(rand() * 1000))
    return out


def cost_tables():
    """byte -> cost text: routingcost 1..250 with some halves, hopcount 1..31."""
    rc = [str(1 + b % 240) if b < 240 else "%d.5" % (b - 239) for b in range(256)]
    hc = [str(1 + b % 31) for b in range(256)]
    return rc, hc


def generate(size, path, seed=1, log=sys.stderr):
    npids, t4, t6, sparse = SIZES[size]
    n4, n6 = t4 - 2, t6 - 1  # less 0.0.0.0/0, the marker, ::/0
    rng = random.Random("%s-%d" % (size, seed))
    t0 = time.monotonic()
    names = pid_names(npids)
    regular = names[2:]
    par4, par6 = [], []
    v4 = v4_prefixes(rng, n4, {(int.from_bytes(bytes(map(int, p.split("/")[0].split("."))), "big") << 6) | 24
                               for p in (MARKER_A, MARKER_B)}, par4)
    v6 = v6_prefixes(rng, n6, par6)
    # owners: every regular PID gets at least one prefix, then at random
    own4 = [[] for _ in names]
    own6 = [[] for _ in names]
    nreg = len(regular)
    for i, p in enumerate(v4):
        own4[2 + (i if i < nreg else int(rng.random() * nreg))].append(p)
    for p in v6:
        own6[2 + int(rng.random() * nreg)].append(p)
    t1 = time.monotonic()

    # sample endpoints: addresses inside random prefixes, with their
    # longest-match PID unknown (nesting); the benchmark only needs them to
    # be inside the map's prefixes, and altod answers for any address.
    samples4 = []
    for _ in range(2000):
        net, plen = v4[int(rng.random() * len(v4))]
        host = rng.getrandbits(32 - plen) if plen < 32 else 0
        a = net | host
        samples4.append("ipv4:%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
    samples6 = []
    for _ in range(500):
        net, plen = v6[int(rng.random() * len(v6))]
        host = rng.getrandbits(128 - plen) if plen < 128 else 0
        samples6.append("ipv6:" + fmt_v6_addr(net | host))

    # properties: their own random sequence, so the network map, the costs
    # and the samples above are those of a generator without them
    prng = random.Random("%s-%d-properties" % (size, seed))
    props4 = prefix_properties(prng, par4)
    props6 = prefix_properties(prng, par6)
    with4 = [i for i, p in enumerate(props4) if p is not None]
    with6 = [i for i, p in enumerate(props6) if p is not None]
    # addresses inside prefixes that define properties (they may lie in a
    # longer prefix that defines some, or none)
    prop_samples4 = []
    for _ in range(1000):
        net, plen = v4[with4[int(prng.random() * len(with4))]]
        a = net | (prng.getrandbits(32 - plen) if plen < 32 else 0)
        prop_samples4.append("ipv4:%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
    prop_samples6 = []
    for _ in range(250):
        net, plen = v6[with6[int(prng.random() * len(with6))]]
        prop_samples6.append("ipv6:" + fmt_v6_addr(net | (prng.getrandbits(128 - plen) if plen < 128 else 0)))

    tmp = path + ".tmp"
    marker_line = None
    with open(tmp, "w", encoding="ascii", newline="\n") as f:
        w = f.write
        w("# generated by tests/bench/gen_maps.py %s --seed %d: %d PIDs, %d IPv4 + %d IPv6 prefixes\n"
          % (size, seed, npids, t4, t6))
        w("network-maps:\n  %s:\n    default: true\n    pids:\n" % NETMAP_ID)
        w('      %s: {ipv4: [0.0.0.0/0], ipv6: ["::/0"]}\n' % CATCH_ALL)
        marker_line = "      %s: {ipv4: [%s]}\n" % (MARKER, MARKER_A)
        w(marker_line)
        for k in range(2, npids):
            parts = []
            if own4[k]:
                parts.append("ipv4: [" + ", ".join([fmt_v4(n, l) for n, l in own4[k]]) + "]")
            if own6[k]:
                parts.append("ipv6: [" + ", ".join(['"%s"' % fmt_v6(n, l) for n, l in own6[k]]) + "]")
            w("      %s: {%s}\n" % (names[k], ", ".join(parts)))

        # RFC 9240 property map of the network map: every PID an access
        # type, then the prefixes that have properties
        w("property-maps:\n  %s:\n" % NETMAP_ID)
        na = len(ACCESS)
        for name in names:
            w('    "%s.pid:%s": {"priv:access": %s}\n' % (NETMAP_ID, name, ACCESS[int(prng.random() * na)]))
        for i in with4:
            w('    "ipv4:%s": %s\n' % (fmt_v4(*v4[i]), props4[i]))
        for i in with6:
            w('    "ipv6:%s": %s\n' % (fmt_v6(*v6[i]), props6[i]))
        t2 = time.monotonic()

        rc_tab, hc_tab = cost_tables()
        keys = [n + ": " for n in names]
        w("cost-maps:\n  %s:\n" % NETMAP_ID)
        pairs = 0
        for metric, tab in (("routingcost", rc_tab), ("hopcount", hc_tab)):
            w("    %s:\n" % metric)
            mrng = random.Random("%s-%d-%s" % (size, seed, metric))
            for s in range(npids):
                if sparse is None:
                    vals = [tab[b] for b in mrng.randbytes(npids)]
                    if metric == "hopcount":
                        vals[s] = "0"
                    row = ", ".join(map(str.__add__, keys, vals))
                    pairs += npids
                else:
                    dsts = sorted(set(mrng.sample(range(npids), sparse)) | {0, s})
                    vals = mrng.randbytes(len(dsts))
                    row = ", ".join([keys[d] + ("0" if (d == s and metric == "hopcount") else tab[v])
                                     for d, v in zip(dsts, vals)])
                    pairs += len(dsts)
                w("      %s: {%s}\n" % (names[s], row))
    os.replace(tmp, path)
    t3 = time.monotonic()

    meta = {
        "size": size,
        "seed": seed,
        "netmap": NETMAP_ID,
        "pids": npids,
        "ipv4_prefixes": t4,
        "ipv6_prefixes": t6,
        "prefixes": t4 + t6,
        "cost_pairs": pairs,
        "property_entities": npids + len(with4) + len(with6),
        "property_prefixes_nested": sum(1 for i in with4 if par4[i] >= 0) + sum(1 for i in with6 if par6[i] >= 0),
        "properties": [".asn", ".countrycode", ".priv:access"],
        "pid_names": names,
        "marker_line": marker_line,
        "marker_line_b": marker_line.replace(MARKER_A, MARKER_B),
        "endpoints_v4": samples4,
        "endpoints_v6": samples6,
        "prop_endpoints_v4": prop_samples4,
        "prop_endpoints_v6": prop_samples6,
        "bytes": os.path.getsize(path),
        "generated_seconds": round(t3 - t0, 2),
    }
    with open(path + ".meta.json", "w", encoding="ascii") as f:
        json.dump(meta, f)
    print("gen_maps: %s: %d PIDs, %d prefixes, %d cost pairs, %d property entities, %.1f MB in %.1f s "
          "(prefixes %.1f s, network map and properties %.1f s, costs %.1f s)"
          % (path, npids, meta["prefixes"], pairs, meta["property_entities"], meta["bytes"] / 1e6, t3 - t0,
             t1 - t0, t2 - t1, t3 - t2), file=log)
    return meta


def write_variant(src, dst, meta):
    """A copy of src with the reload marker moved: same maps, another vtag."""
    a, b = meta["marker_line"], meta["marker_line_b"]
    done = False
    tmp = dst + ".tmp"
    with open(src, "r", encoding="ascii", newline="") as fi, open(tmp, "w", encoding="ascii", newline="") as fo:
        for line in fi:
            if not done and line == a:
                line = b
                done = True
            fo.write(line)
            if done:
                break
        while True:
            chunk = fi.read(1 << 22)
            if not chunk:
                break
            fo.write(chunk)
    if not done:
        os.unlink(tmp)
        raise ValueError("%s: no marker line" % src)
    os.replace(tmp, dst)


def write_costs_variant(src, dst, fraction=0.01, seed=1):
    """A copy of src with `fraction` of each cost map row's costs changed
    (to another value of the same metric's table), the network map as it is:
    the reload of the updates scenario. Returns the number of costs changed."""
    rc_tab, hc_tab = cost_tables()
    tabs = {"routingcost": sorted(set(rc_tab)), "hopcount": sorted(set(hc_tab))}
    rng = random.Random("costs-%d" % seed)
    changed = 0
    tab = None
    tmp = dst + ".tmp"
    with open(src, "r", encoding="ascii", newline="") as fi, open(tmp, "w", encoding="ascii", newline="") as fo:
        in_costs = False
        for line in fi:
            if line.startswith("cost-maps:"):
                in_costs = True
            elif in_costs and line.startswith("    ") and not line.startswith("      "):
                tab = tabs.get(line.strip().rstrip(":"))
            elif in_costs and tab and line.startswith("      "):
                head, _, body = line.partition(": {")
                entries = body.rstrip("}\n").split(", ")
                k = max(1, round(len(entries) * fraction)) if rng.random() < len(entries) * fraction else 0
                for i in rng.sample(range(len(entries)), min(k, len(entries))):
                    name, _, val = entries[i].partition(": ")
                    new = val
                    while new == val:
                        new = tab[int(rng.random() * len(tab))]
                    entries[i] = name + ": " + new
                    changed += 1
                line = head + ": {" + ", ".join(entries) + "}\n"
            fo.write(line)
    os.replace(tmp, dst)
    return changed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("size", choices=sorted(SIZES))
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variant", metavar="FILE", help="also write FILE: the same maps with the marker moved")
    args = ap.parse_args()
    meta = generate(args.size, args.output, args.seed)
    if args.variant:
        write_variant(args.output, args.variant, meta)


if __name__ == "__main__":
    main()

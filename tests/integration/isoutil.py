"""Helpers for altod's isolation tests (the `access:` section).

- a PKI: tlsutil's, plus client certificates for more identities;
- HTTP Digest (RFC 7616: SHA-256 and MD5, qop=auth) and Basic clients;
- Session: one identity's keep-alive HTTP(S) client (certificate, Digest,
  Basic or nothing), which counts the requests it sends;
- a model of maps, views and roles that computes independently, in Python,
  what altod must answer: each view's PIDs and prefixes, its costs and
  ordinal ranks, longest-prefix matches, each client's directory;
- YAML writers for the maps file and the altod.yaml with an access section.

Only the Python standard library is used.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import re
import ssl
import subprocess
import time

import altodtest as at
import tlsutil

NUMERICAL, ORDINAL = "numerical", "ordinal"
MODES = (NUMERICAL, ORDINAL)


# ---------------------------------------------------------------- PKI

_EXTRA_EXT = """\
[req]
distinguished_name = dn
[dn]

[clientsan]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:tenant-d.example, email:ops@tenant-d.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[clientplain]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

# name -> (subject, extension section, serial)
EXTRA_CERTS = {
    "tenantd": ("/CN=tenant-d", "clientsan", 0x5001),     # matched by its SAN
    "tenante": ("/CN=tenant-e", "clientplain", 0x5002),   # matched by its SHA-256
    "stranger": ("/CN=stranger", "clientplain", 0x5003),  # signed by the CA, configured nowhere
    "tenantm": ("/CN=tenant-m", "clientplain", 0x5004),
}


def _openssl(args, cwd):
    p = subprocess.run([tlsutil.OPENSSL] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), p.stderr.decode("utf-8", "replace")))
    return p.stdout


class IsoPki:
    """tlsutil's Pki (ca, server, client = CN=tenant-a, rogue, roguesigned,
    wrongeku, ...) plus the EXTRA_CERTS, all as absolute paths."""

    def __init__(self, base):
        self.base = base
        self.dir = base.dir

    def __getattr__(self, name):
        return getattr(self.base, name)

    def pem(self, name):
        return os.path.join(self.dir, name + ".pem")

    def key(self, name):
        return os.path.join(self.dir, name + ".key")

    def sha256(self, name):
        with open(self.pem(name), encoding="ascii") as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        return hashlib.sha256(der).hexdigest()

    def client_context(self, cert=None):
        """Verifies the server against the test CA; shows client cert `cert`
        (a name: "client", "tenantd", "rogue", ...) if given."""
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.load_verify_locations(self.pem("ca"))
        c.check_hostname = True
        c.verify_mode = ssl.CERT_REQUIRED
        if cert:
            c.load_cert_chain(self.pem(cert), self.key(cert))
        return c


def make_pki(directory):
    base = tlsutil.make_pki(directory)
    with open(os.path.join(directory, "iso-ext.cnf"), "w") as f:
        f.write(_EXTRA_EXT)
    for name, (subject, section, serial) in EXTRA_CERTS.items():
        _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-out", name + ".key"], directory)
        _openssl(["req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", subject,
                  "-config", "iso-ext.cnf"], directory)
        _openssl(["x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                  "-set_serial", "0x%x" % serial, "-days", "825", "-sha256",
                  "-extfile", "iso-ext.cnf", "-extensions", section, "-out", name + ".pem"], directory)
        os.remove(os.path.join(directory, name + ".csr"))
    return IsoPki(base)


# ---------------------------------------------------------------- HTTP auth

_PARAM_RE = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|([^,\s]*))')


def parse_challenges(values):
    """WWW-Authenticate values -> [{"scheme": "digest", "realm": ..., ...}]."""
    out = []
    for v in values:
        scheme, _, rest = v.strip().partition(" ")
        d = {"scheme": scheme.lower()}
        for m in _PARAM_RE.finditer(rest):
            d[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(4)
        out.append(d)
    return out


def digest_challenge(resp, algorithm):
    """The Digest challenge of a 401 for `algorithm` ("SHA-256"/"MD5"), or None."""
    for ch in parse_challenges(resp.header_all("WWW-Authenticate")):
        if ch["scheme"] == "digest" and ch.get("algorithm", "md5").lower() == algorithm.lower():
            return ch
    return None


def ha1_hex(algorithm, user, realm, password):
    h = hashlib.sha256 if algorithm.upper() == "SHA-256" else hashlib.md5
    return h(("%s:%s:%s" % (user, realm, password)).encode("utf-8")).hexdigest()


class DigestAuth:
    """An RFC 7616 client: qop=auth, algorithm SHA-256 or MD5."""

    _cnonce = 0

    def __init__(self, user, password, algorithm="SHA-256", realm=None):
        self.user = user
        self.password = password
        self.algorithm = algorithm
        self.realm = realm  # None: the challenge's realm (set it to sign with a wrong realm)

    def H(self, s):
        h = hashlib.sha256 if self.algorithm.upper() == "SHA-256" else hashlib.md5
        return h(s.encode("utf-8")).hexdigest()

    def authorization(self, method, uri, challenge, nc, **override):
        """The Authorization value answering `challenge`; keyword arguments
        replace fields (nonce=..., response=..., username=...)."""
        DigestAuth._cnonce += 1
        realm = challenge.get("realm", "")
        f = {
            "username": self.user,
            "realm": realm,
            "nonce": challenge.get("nonce", ""),
            "uri": uri,
            "algorithm": self.algorithm,
            "qop": "auth",
            "nc": "%08x" % nc,
            "cnonce": "%016x" % (0x1505 * 1000003 + DigestAuth._cnonce),
            "opaque": challenge.get("opaque"),
        }
        f.update({k: v for k, v in override.items() if k != "response"})
        ha1 = self.H("%s:%s:%s" % (self.user, self.realm if self.realm is not None else realm, self.password))
        ha2 = self.H("%s:%s" % (method, f["uri"]))
        f["response"] = override.get("response") or self.H(
            "%s:%s:%s:%s:%s:%s" % (ha1, f["nonce"], f["nc"], f["cnonce"], f["qop"], ha2))
        parts = []
        for k in ("username", "realm", "nonce", "uri", "algorithm", "response", "qop", "nc", "cnonce", "opaque"):
            v = f.get(k)
            if v is None:
                continue
            if k in ("algorithm", "qop", "nc"):
                parts.append("%s=%s" % (k, v))
            else:
                parts.append('%s="%s"' % (k, v))
        return "Digest " + ", ".join(parts)

    def probe_authorization(self, uri):
        """A Digest answer that never verifies (a nonce of the wrong form):
        it gets a 401 with fresh challenges even where anonymous access is
        open (a request without credentials would be served anonymously)."""
        return 'Digest username="%s", realm="x", nonce="probe", uri="%s", response="0"' % (self.user, uri)


def basic_authorization(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")


class BasicAuth:
    def __init__(self, user, password):
        self.user = user
        self.password = password


# ---------------------------------------------------------------- sessions

class Session:
    """One identity talking to one listener over keep-alive connections.

    auth: None (no credentials, or a certificate in ssl_context),
    DigestAuth or BasicAuth. A Digest nonce serves every method and URI
    (altod's nonces are bound to neither): the first request is preceded
    by a probe that fetches a challenge; later ones reuse its nonce with the
    next nc. Every HTTP exchange (probes too) is counted in `sent` (each
    one is an audit line)."""

    def __init__(self, host, port, scheme="http", ssl_context=None, auth=None, label=""):
        self.host = host
        self.port = port
        self.scheme = scheme
        self.ssl_context = ssl_context
        self.auth = auth
        self.label = label
        self.sent = 0
        self.probes = 0   # Digest requests that were refused (audited as client "?")
        self._conn = None
        self._challenge_nc = None  # [challenge, last nc]

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _new_conn(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=at.IO_TIMEOUT,
                                               context=self.ssl_context)
        return http.client.HTTPConnection(self.host, self.port, timeout=at.IO_TIMEOUT)

    def exchange(self, method, path, body=None, headers=None):
        """One HTTP request/response, on the kept connection (reopened when
        the server closed it). No authentication logic."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        for attempt in range(2):
            fresh = self._conn is None
            if fresh:
                self._conn = self._new_conn()
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                r = self._conn.getresponse()
                data = r.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    ssl.SSLEOFError, http.client.CannotSendRequest, http.client.ResponseNotReady):
                # a kept-alive connection the server had closed: once more on a new one
                self.close()
                if fresh or attempt:
                    raise
                continue
            resp = at.Response(r.status, r.reason, r.getheaders(), data)
            if r.will_close:
                self.close()
            self.sent += 1
            return resp
        raise AssertionError("unreachable")

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if isinstance(self.auth, BasicAuth):
            h["Authorization"] = basic_authorization(self.auth.user, self.auth.password)
        if not isinstance(self.auth, DigestAuth):
            return self.exchange(method, path, body, h)
        st = self._challenge_nc
        if st is None:
            st = self._challenge_nc = [self._challenge(method, path, body, h), 0]
        for attempt in range(2):
            st[1] += 1
            h["Authorization"] = self.auth.authorization(method, path, st[0], st[1])
            r = self.exchange(method, path, body, h)
            if r.status != 401:
                return r
            self.probes += 1
            ch = digest_challenge(r, self.auth.algorithm)
            if ch is None:
                return r
            # a nonce that expired: answer the new challenge, once
            st = self._challenge_nc = [ch, 0]
        return r

    def _challenge(self, method, path, body, headers):
        """A challenge from a probe (a Digest answer that never verifies)."""
        h = dict(headers)
        h["Authorization"] = self.auth.probe_authorization(path)
        r = self.exchange(method, path, body, h)
        self.probes += 1
        ch = digest_challenge(r, self.auth.algorithm) if r.status == 401 else None
        if ch is None:
            raise AssertionError("%s: no %s challenge for %s %s: %r"
                                 % (self.label, self.auth.algorithm, method, path, r))
        return ch

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, body, content_type, headers=None):
        h = {"Content-Type": content_type}
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h)


def vary_fields(resp):
    """Every field name the Vary headers of a response list."""
    return [f.strip() for v in resp.header_all("Vary") for f in v.split(",") if f.strip()]


def normalized(resp, mask_nonce=True, uri_base=False):
    """(status, reason, headers without Date, body): what must be identical
    between a hidden and a nonexistent resource. Digest nonces are fresh in
    every challenge, so they are masked. uri_base: a directory's URIs
    without their scheme and authority, and without its ETag (which names
    those bytes): what two listeners agree on."""
    hs = []
    directory = uri_base and resp.content_type == at.MT_DIRECTORY
    for k, v in resp.headers:
        if k.lower() == "date" or (directory and k.lower() in ("etag", "content-length")):
            continue
        if mask_nonce and k.lower() == "www-authenticate":
            v = re.sub(r'nonce="[^"]*"', 'nonce="*"', v)
        hs.append((k.lower(), v))
    return (resp.status, resp.reason, hs, at.without_uri_base(resp.body) if directory else resp.body)


# ---------------------------------------------------------------- the model

def net(p):
    return ipaddress.ip_network(p)


def prefix_sort_key(p):
    n = net(p)
    return (n.version, int(n.network_address), n.prefixlen)


def sorted_prefixes(ps):
    return sorted(ps, key=prefix_sort_key)


def dense_ranks(values, higher_is_better=False):
    """RFC 7285 ordinal mode as altod computes it: 1 = best, equal values
    share a rank, ranks are dense."""
    distinct = sorted(set(values))
    if higher_is_better:
        distinct.reverse()
    pos = {v: i + 1 for i, v in enumerate(distinct)}
    return [pos[v] for v in values]


def higher_is_better(metric):
    """RFC 9439: more throughput or bandwidth is better, but a spread
    (stddev, stdvar) is better small whatever its metric."""
    base, _, op = metric.partition(":")
    if metric.startswith("priv:") or op in ("stddev", "stdvar"):
        return False
    return base == "tput" or base.startswith("bw-")


class Map:
    """A network map as a client sees it: base or view.
    pids: {name: [prefix, ...]}; costs: {metric: {src: {dst: value}}};
    modes: {metric: set of modes offered}."""

    def __init__(self, mid, pids, costs, modes, is_view=False, base=None, default=False):
        self.id = mid
        self.pids = pids
        self.costs = costs
        self.modes = modes
        self.is_view = is_view
        self.base = base
        self.default = default
        self._nets = [(net(p), name) for name, ps in pids.items() for p in ps]

    @property
    def metrics(self):
        return sorted(m for m in self.modes if self.modes[m])

    def prefixes(self):
        return {p for ps in self.pids.values() for p in ps}

    def lookup(self, endpoint):
        """Longest-prefix match of "ipv4:a.b.c.d" / "ipv6:..." -> PID or None."""
        fam, _, addr = endpoint.partition(":")
        a = ipaddress.ip_address(addr)
        best = None
        for n, name in self._nets:
            if n.version == a.version and a in n and (best is None or n.prefixlen > best[0].prefixlen):
                best = (n, name)
        return best[1] if best else None

    # -- resources, as altod names them (docs/api.md)

    def resources(self):
        """[(id, uri, kind)] in directory order; kind: netmap, fnetmap,
        costmap:<metric>:<mode>, fcostmap, ecost."""
        out = [(self.id, "/networkmap/%s" % self.id, "netmap"),
               ("%s-filtered-networkmap" % self.id, "/networkmap/%s/filtered" % self.id, "fnetmap")]
        for m in self.metrics:
            for mode in MODES:
                if mode in self.modes[m]:
                    out.append(("%s-%s-%s" % (self.id, "num" if mode == NUMERICAL else "ord", m),
                                "/costmap/%s/%s/%s" % (self.id, m, mode), "costmap:%s:%s" % (m, mode)))
        if self.metrics:
            out.append(("%s-filtered-costmap" % self.id, "/costmap/%s/filtered" % self.id, "fcostmap"))
            out.append(("%s-endpoint-cost" % self.id, "/endpointcost/%s" % self.id, "ecost"))
        return out

    def cost_type_names(self):
        return ["%s-%s" % ("num" if mode == NUMERICAL else "ord", m)
                for m in self.metrics for mode in MODES if mode in self.modes[m]]

    # -- expected answers

    def networkmap(self, pids=None, families=("ipv4", "ipv6")):
        names = sorted(self.pids) if not pids else sorted(set(pids) & set(self.pids))
        out = {}
        for name in names:
            entry = {}
            for fam, ver in (("ipv4", 4), ("ipv6", 6)):
                ps = [p for p in sorted_prefixes(self.pids[name]) if net(p).version == ver]
                if ps and fam in families:
                    entry[fam] = ps
            out[name] = entry
        return out

    def costmap(self, metric, mode, srcs=None, dsts=None, constraints=()):
        """Full (srcs = dsts = None) or filtered cost map. An empty list
        means every PID; names the map does not have are ignored."""
        table = self.costs[metric]
        ss = sorted(self.pids) if not srcs else sorted(set(srcs) & set(self.pids))
        ds = sorted(self.pids) if not dsts else sorted(set(dsts) & set(self.pids))
        entries = [(s, d, table[s][d]) for s in ss for d in ds if d in table.get(s, {})]
        return shown_costs(entries, metric, mode, constraints)

    def endpoint_costs(self, metric, mode, srcs, dsts, constraints=()):
        table = self.costs[metric]
        entries = []
        for s in srcs:
            sp = self.lookup(s)
            for d in dsts:
                dp = self.lookup(d)
                if sp is not None and dp is not None and dp in table.get(sp, {}):
                    entries.append((s, d, table[sp][dp]))
        return shown_costs(entries, metric, mode, constraints)


def shown_costs(entries, metric, mode, constraints):
    """{src: {dst: cost}} of (src, dst, cost) entries: in ordinal mode the
    ranks among these entries (RFC 7285 §6.2), then the constraints on what
    is shown."""
    shown = [v for _, _, v in entries]
    if mode == ORDINAL:
        shown = dense_ranks(shown, higher_is_better(metric))
    out = {}
    for (s, d, _), v in zip(entries, shown):
        if all(constraint_holds(c, v) for c in constraints):
            out.setdefault(s, {})[d] = v
    return out


def constraint_holds(c, v):
    op, _, num = c.partition(" ")
    x = float(num)
    return {"gt": v > x, "lt": v < x, "ge": v >= x, "le": v <= x, "eq": v == x}[op]


def view_secret(secret, view_id):
    """The per-view key altod derives (src/server/access.c derive())."""
    return hmac.new(secret.encode("utf-8"), b"view\0" + view_id.encode("utf-8"), hashlib.sha256).digest()


def opaque_name(secret, view_id, pid):
    """A kept PID's opaque name: "p" + the first 8 bytes (hex) of the HMAC
    of its base name under the view's key (src/topo/view.c)."""
    return "p" + hmac.new(view_secret(secret, view_id), pid.encode("utf-8"),
                          hashlib.sha256).hexdigest()[:16]


def materialize_view(base, vid, spec, secret):
    """The view `vid` of Map `base`, computed from the rules of the access
    layer: kept PIDs (renamed if opaque) keep their prefixes; the catch-all
    holds each family's /0 (unless a kept PID has it) and every hidden
    prefix inside a kept prefix; costs between kept PIDs only, for the
    metrics and modes the view allows."""
    keep = list(dict.fromkeys(spec["pids"]))
    names = {b: (opaque_name(secret, vid, b) if spec.get("opaque-pids") else b) for b in keep}
    pids = {names[b]: list(base.pids[b]) for b in keep}
    kept_nets = [net(p) for b in keep for p in base.pids[b]]
    ca = []
    for zero in ("0.0.0.0/0", "::/0"):
        if net(zero) not in kept_nets:
            ca.append(zero)
    for b, ps in base.pids.items():
        if b in keep:
            continue
        for p in ps:
            n = net(p)
            if n.prefixlen > 0 and any(n.version == k.version and n.subnet_of(k) for k in kept_nets):
                ca.append(p)
    pids[spec.get("catch-all", "other")] = ca
    costs_spec = spec.get("costs")
    modes = {}
    for m in base.metrics:
        if costs_spec is None:
            modes[m] = set(base.modes[m])
        else:
            modes[m] = set(costs_spec.get(m, ())) & base.modes[m]
    modes = {m: s for m, s in modes.items() if s}
    costs = {}
    for m in modes:
        costs[m] = {}
        for s in keep:
            for d in keep:
                v = base.costs[m].get(s, {}).get(d)
                if v is not None:
                    costs[m].setdefault(names[s], {})[names[d]] = v
    return Map(vid, pids, costs, modes, is_view=True, base=base)


def base_map(mid, pids, costs, default=False):
    return Map(mid, pids, costs, {m: set(MODES) for m in costs}, default=default)


class Policy:
    """The access section as data: clients {name: {...}}, roles {name:
    [grants]}, views {id: spec} (ordered as written), anonymous role."""

    def __init__(self, bases, views, roles, clients, secret, anonymous_role=None):
        self.bases = bases            # [Map] in definition order
        self.view_specs = views       # {id: spec} in definition order
        self.roles = roles
        self.clients = clients
        self.secret = secret
        self.anonymous_role = anonymous_role
        byid = {b.id: b for b in bases}
        self.views = [materialize_view(byid[s["network-map"]], vid, s, secret) for vid, s in views.items()]
        self.maps = list(bases) + self.views
        self.map_by_id = {m.id: m for m in self.maps}
        self.owner = {}  # resource id -> Map
        for m in self.maps:
            for rid, _, _ in m.resources():
                self.owner[rid] = m

    def universe(self):
        """Every resource: [(id, uri, kind, Map or None)]."""
        out = [(rid, uri, kind, m) for m in self.maps for rid, uri, kind in m.resources()]
        out.append(("endpoint-property", "/endpointprop", "eprop", None))
        return out

    def granted(self, roles, rid):
        view_ids = {v.id for v in self.views}
        for r in roles:
            g = self.roles[r]
            if rid in g:
                return True
            m = self.owner.get(rid)
            if m is not None and m.is_view and m.id in g:
                return True
            if rid == "endpoint-property" and any(v in g for v in view_ids):
                return True
        return False

    def roles_of(self, client):
        if client is None:
            return [self.anonymous_role] if self.anonymous_role else []
        return list(dict.fromkeys(self.clients[client]["roles"]))

    def granted_types(self, roles, m):
        """{metric: set of modes}: the cost types of map m the roles grant,
        i.e. the cost maps of m granted (a granted view brings all of its
        own). The filtered cost map and the endpoint cost service of m offer
        exactly these, never the map's other types."""
        out = {}
        for rid, _, kind in m.resources():
            if kind.startswith("costmap:") and self.granted(roles, rid):
                _, metric, mode = kind.split(":")
                out.setdefault(metric, set()).add(mode)
        return out

    def cost_types(self, client, m):
        """granted_types() of a client."""
        return self.granted_types(self.roles_of(client), m)

    def catalog(self, client):
        """(visible maps in directory order, {id: (uri, kind, Map)}).
        A filtered cost map or endpoint cost service granted without any
        cost map of its network map would offer no cost type: it is not
        offered (docs/isolation.md)."""
        roles = self.roles_of(client)
        maps, res = [], {}
        for m in self.maps:
            if not self.granted(roles, m.id):
                continue
            maps.append(m)
            types = self.granted_types(roles, m)
            for rid, uri, kind in m.resources():
                if kind in ("fcostmap", "ecost") and not types:
                    continue
                if self.granted(roles, rid):
                    res[rid] = (uri, kind, m)
        if maps and self.granted(roles, "endpoint-property"):
            res["endpoint-property"] = ("/endpointprop", "eprop", None)
        return maps, res

    def directory(self, client):
        """The IRD a client must get (lists of names sorted: compare with
        sorted_ird())."""
        maps, res = self.catalog(client)
        default = None
        for m in maps:
            if m.default:
                default = m.id
        if default is None and maps:
            default = maps[0].id
        offered = set()
        resources = {}
        for rid, (uri, kind, m) in res.items():
            e = {"uri": uri}
            if kind == "netmap":
                e["media-type"] = at.MT_NETWORKMAP
            elif kind == "fnetmap":
                e.update({"media-type": at.MT_NETWORKMAP, "accepts": at.MT_NETWORKMAPFILTER, "uses": [m.id]})
            elif kind.startswith("costmap:"):
                _, metric, mode = kind.split(":")
                name = ("num-" if mode == NUMERICAL else "ord-") + metric
                e.update({"media-type": at.MT_COSTMAP, "capabilities": {"cost-type-names": [name]},
                          "uses": [m.id]})
                offered.add(name)
            elif kind in ("fcostmap", "ecost"):
                names = sorted(type_names(self.cost_types(client, m)))
                if kind == "fcostmap":
                    e.update({"media-type": at.MT_COSTMAP, "accepts": at.MT_COSTMAPFILTER, "uses": [m.id]})
                else:
                    e.update({"media-type": at.MT_ENDPOINTCOST, "accepts": at.MT_ENDPOINTCOSTPARAMS})
                # RFC 8189 §4.1.1: multi-cost and testable types are exactly
                # the granted ones ("cost-constraints" true: every one is
                # testable, and "testable-cost-type-names" MUST NOT be given)
                e["capabilities"] = {"cost-constraints": True, "cost-type-names": names,
                                     "max-cost-types": min(len(names), 16)}
                offered.update(names)
            elif kind == "eprop":
                e.update({"media-type": at.MT_ENDPOINTPROP, "accepts": at.MT_ENDPOINTPROPPARAMS,
                          "capabilities": {"prop-types": sorted("%s.pid" % x.id for x in maps)}})
            resources[rid] = e
        # RFC 9569: TIPS covers exactly the network and cost maps offered
        covered = sorted(rid for rid, (_, kind, _) in res.items() if kind == "netmap" or kind.startswith("costmap:"))
        if covered:
            resources["tips"] = {
                "uri": "/tips", "media-type": at.MT_TIPS, "accepts": at.MT_TIPSPARAMS, "uses": covered,
                "capabilities": {"incremental-change-media-types": {
                    rid: at.MT_MERGE_PATCH + ("," + at.MT_JSON_PATCH if res[rid][1].startswith("costmap:") else "")
                    for rid in covered}}}
        if maps:
            # RFC 8895: the update stream service, over every network map
            # and cost map the client sees
            streamed = sorted(rid for rid, (uri, kind, m) in res.items()
                              if kind == "netmap" or kind.startswith("costmap:"))
            resources["update-stream"] = {
                "uri": "/updates/stream", "media-type": at.MT_EVENTSTREAM, "accepts": at.MT_UPDATESTREAMPARAMS,
                "capabilities": {"incremental-change-media-types": {
                    rid: at.MT_MERGEPATCH if res[rid][1] == "netmap" else at.MT_MERGEPATCH + "," + at.MT_JSONPATCH
                    for rid in streamed}, "support-stream-control": True},
                "uses": streamed}
        cost_types = {}
        for name in offered:
            mode = NUMERICAL if name.startswith("num-") else ORDINAL
            cost_types[name] = {"cost-mode": mode, "cost-metric": name[4:]}
        meta = {"cost-types": cost_types}
        if default:
            meta["default-alto-network-map"] = default
        return {"meta": meta, "resources": resources}


def type_name(metric, mode):
    return ("num-" if mode == NUMERICAL else "ord-") + metric


def type_names(types):
    """{metric: modes} -> the IRD's cost type names."""
    return [type_name(metric, mode) for metric, modes in types.items() for mode in modes]


def sorted_ird(doc):
    """An IRD with its name lists sorted (their order is not specified)."""
    doc = json.loads(json.dumps(doc))
    for r in doc.get("resources", {}).values():
        caps = r.get("capabilities", {})
        if "uses" in r and "incremental-change-media-types" in caps:
            r["uses"] = sorted(r["uses"])
        for k in ("cost-type-names", "prop-types"):
            if k in caps:
                caps[k] = sorted(caps[k])
        if "incremental-change-media-types" in caps:  # the update stream service
            r["uses"] = sorted(r["uses"])
    return doc


def sample_endpoints(maps):
    """One typed address inside each prefix of `maps` (the 8th address, so
    not the prefix's own text), plus addresses covered only by /0."""
    out = []
    for m in maps:
        for p in sorted_prefixes(m.prefixes()):
            n = net(p)
            a = n.network_address + 7
            out.append("%s:%s" % ("ipv4" if n.version == 4 else "ipv6", a))
    out += ["ipv4:8.8.4.4", "ipv6:2a00:1450::44"]
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------- YAML

def q(s):
    return json.dumps(s)


def maps_yaml(bases):
    lines = ["network-maps:"]
    for m in bases:
        lines.append("  %s:" % m.id)
        if m.default:
            lines.append("    default: true")
        lines.append("    pids:")
        for name in m.pids:
            fams = []
            for fam, ver in (("ipv4", 4), ("ipv6", 6)):
                ps = [p for p in m.pids[name] if net(p).version == ver]
                if ps:
                    fams.append("%s: [%s]" % (fam, ", ".join(q(p) for p in ps)))
            lines.append("      %s: {%s}" % (name, ", ".join(fams)))
    lines.append("cost-maps:")
    for m in bases:
        if not m.costs:
            continue
        lines.append("  %s:" % m.id)
        for metric, table in m.costs.items():
            lines.append("    %s:" % metric)
            for s, row in table.items():
                lines.append("      %s: {%s}" % (s, ", ".join("%s: %s" % (d, v) for d, v in row.items())))
    return "\n".join(lines) + "\n"


def access_yaml(secret=None, clients=None, roles=None, views=None, anonymous_role=None, extra=None):
    """The access section. clients: {name: {"roles": [...], "certificate":
    {...}, "password": {...}, "rate": .., "burst": .., "max-connections":
    ..}}; views: {id: {"network-map", "pids", "catch-all", "costs",
    "opaque-pids"}}; extra: {key: value} written first (realm, audit,
    rate, burst, max-connections)."""
    lines = ["access:"]
    if secret is not None:
        lines.append("  secret: %s" % q(secret))
    for k, v in (extra or {}).items():
        lines.append("  %s: %s" % (k, yval(v)))
    if anonymous_role:
        lines.append("  anonymous-role: %s" % anonymous_role)
    if clients:
        lines.append("  clients:")
        for name, c in clients.items():
            lines.append("    %s:" % name)
            for k, v in c.items():
                lines.append("      %s: %s" % (k, yval(v)))
    if roles:
        lines.append("  roles:")
        for name, grants in roles.items():
            lines.append("    %s: %s" % (name, yval(grants)))
    if views:
        lines.append("  views:")
        for vid, s in views.items():
            lines.append("    %s:" % vid)
            for k, v in s.items():
                lines.append("      %s: %s" % (k, yval(v)))
    return "\n".join(lines) + "\n"


def yval(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return q(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(yval(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (k, yval(x)) for k, x in v.items()) + "}"
    raise TypeError(v)


def server_yaml(pki=None, http=True, https=True, client_auth="optional", limits=None,
                maps=("maps/iso.yaml",), clear_digest=True):
    """server:, limits: and maps: of an altod.yaml: an HTTP listener (that
    takes Digest in clear where clear_digest) and an HTTPS one (server cert
    of the test CA, client certificates verified against the CA), both on
    127.0.0.1 port 0."""
    lines = ["server:", "  listen:"]
    if http:
        lines += ["    - address: 127.0.0.1", "      port: 0"] + (["      clear-digest: true"] if clear_digest else [])
    if https:
        lines += ["    - address: 127.0.0.1", "      port: 0", "      tls:",
                  "        certificate: %s" % q(pki.server_pem), "        key: %s" % q(pki.server_key)]
        if client_auth:
            lines += ["        client-ca: %s" % q(pki.ca_pem), "        client-auth: %s" % client_auth]
    lim = {"max-request-body": 1048576, "max-endpoints": 10000, "max-endpoint-pairs": 1000000}
    lim.update(limits or {})
    lines.append("limits:")
    lines += ["  %s: %s" % (k, v) for k, v in lim.items()]
    lines.append("maps:")
    lines += ["  - %s" % q(m) for m in maps]
    return "\n".join(lines) + "\n"


def listener(a, scheme):
    for s, host, port in a.listeners:
        if s == scheme:
            return host, port
    raise AssertionError("no %s listener in %r" % (scheme, a.listeners))


def hash_password(user, password, realm=None):
    """Runs `altod --hash-password USER [REALM]`: (exit code, stdout, stderr)."""
    args = ["--hash-password", user] + ([realm] if realm else [])
    p = at.run_bin(args, input=(password + "\n").encode("utf-8"), stdout=subprocess.PIPE, timeout=30)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def password_entry(user, password, realm="altod", md5=True):
    e = {"user": user, "sha256": ha1_hex("SHA-256", user, realm, password)}
    if md5:
        e["md5"] = ha1_hex("MD5", user, realm, password)
    return e


AUDIT_RE = re.compile(r"audit: client=(\S+) resource=(\S+) status=(\d+) bytes=(\d+) ms=(\d+\.\d+)( aborted)?"
                      r"( limited=\S+)?$")

# access.auth-failures turned off: for tests whose Digest sessions fetch
# challenges with probes (Session._challenge), each a failed authentication
# from 127.0.0.1, and that are not about password guessing
NO_AUTH_THROTTLE = {"per-user": {"rate": 0}, "per-address": {"rate": 0}}


def audit_lines(a, after=0):
    with a._lock:
        lines = a.stderr_lines[after:]
    return [ln for ln in lines if " audit: " in ln]


def wait_for_count(a, pattern, count, after=0, timeout=None):
    """Waits until `count` stderr lines (from index `after`) match, at most
    `timeout` (a liveness bound, at.LOG_TIMEOUT by default: SLOWDOWN times
    longer under ALTOD_WRAPPER, where an audit line can come seconds after
    its answer); the matching lines either way."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + (at.LOG_TIMEOUT if timeout is None else timeout)
    while True:
        with a._lock:
            lines = [ln for ln in a.stderr_lines[after:] if rx.search(ln)]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def address_of(endpoint):
    return endpoint.partition(":")[2]


def addresses_in(text, endpoints):
    """The endpoint addresses (typed or bare) that occur in text."""
    found = []
    for e in endpoints:
        a = re.escape(address_of(e))
        if re.search(r"(?<![0-9A-Fa-f:.])%s(?![0-9A-Fa-f:.])" % a, text) or e in text:
            found.append(e)
    return found

"""Entity property maps (RFC 9240) against altod serving RFC 7285's example
maps (conf/maps/example.yaml) with conf/maps/properties.yaml; a generated
topology with nested prefixes checked against an independent Python model;
every bad maps input with its file:line:column; what a view shows.
"""

import ipaddress
import json
import os
import random
import re
import unittest

import altodtest as at
from altodtest import MT_ENDPOINTPROP, MT_ENDPOINTPROPPARAMS

MT_PROPMAP = "application/alto-propmap+json"
MT_PROPMAPPARAMS = "application/alto-propmapparams+json"
NM = at.EXAMPLE_NETMAP
PROPS_MAPS = os.path.join(at.SRC, "conf", "maps", "properties.yaml")
PM_ID = NM + "-property-map"
FPM_ID = NM + "-filtered-propmap"


def dot(props):
    """RFC 9240 §5.2.2: a property map names a property it defines itself
    (self-defined) "." + its type ("EntityPropertyName ::= [ ResourceID ]
    '.' EntityPropertyType"); the endpoint property service keeps RFC
    7285's bare names."""
    return {"." + k: v for k, v in props.items()}


def dot_map(pm):
    return {e: dot(p) for e, p in pm.items()}


def dots(names):
    return ["." + n for n in names]


# conf/maps/properties.yaml, by hand
FULL = {
    "ipv4:192.0.2.0/24": {"asn": "64496", "countrycode": "US"},
    "ipv4:192.0.2.128/25": {"countrycode": "CA"},
    "ipv4:198.51.100.0/24": {"asn": "64497"},
    "ipv6:2001:db8::/32": {"asn": "64498", "countrycode": "DE"},
    NM + ".pid:PID1": {"priv:access": "fiber", "priv:region": "east"},
    NM + ".pid:PID2": {"priv:access": "dsl"},
}
MAPPINGS = {
    "ipv4": [".asn", ".countrycode"],
    "ipv6": [".asn", ".countrycode"],
    NM + ".pid": [".priv:access", ".priv:region"],
}


def example_files():
    with open(PROPS_MAPS, encoding="utf-8") as f:
        props = f.read()
    return {"maps/example.yaml": at.read_example_maps(), "maps/properties.yaml": props}


class PropServer(at.AltodTestCase):
    @classmethod
    def setUpClass(cls):
        cls.altod = at.start_class_altod(cls, maps_files=example_files())
        cls.ird = cls.altod.ird()

    @classmethod
    def tearDownClass(cls):
        cls._holder.doCleanups()

    def fpm(self, body, ctype=MT_PROPMAPPARAMS):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.altod.post(self.ird.uri(FPM_ID), data, ctype)

    def vtag(self):
        doc = self.assertOk(self.altod.get(self.ird.networkmap_uri(NM)), at.MT_NETWORKMAP)
        return doc["meta"]["vtag"]


class TestDirectory(PropServer):
    def test_entries(self):
        """RFC 9240 §7.4, §8.4: media types, accepts, mappings, uses."""
        res = self.ird.resources
        # absolute URIs, from the Host the client named (issue 14)
        base = "http://127.0.0.1:%d" % self.altod.port
        self.assertEqual(res[PM_ID], {
            "uri": base + "/propmap/" + NM, "media-type": MT_PROPMAP,
            "capabilities": {"mappings": MAPPINGS}, "uses": [NM]})
        self.assertEqual(res[FPM_ID], {
            "uri": base + "/propmap/%s/filtered" % NM, "media-type": MT_PROPMAP,
            "accepts": MT_PROPMAPPARAMS, "capabilities": {"mappings": MAPPINGS}, "uses": [NM]})

    def test_endpoint_property_types(self):
        """The endpoint property service (RFC 7285 §11.4) offers the
        ipv4/ipv6 properties of the default network map too."""
        caps = self.ird.resources["endpoint-property"]["capabilities"]
        self.assertEqual(caps, {"prop-types": [NM + ".pid", "asn", "countrycode"]})

    def test_no_properties_no_resources(self):
        """Without property-maps the directory is as before (the RFC 7285
        examples' directory is checked exactly in test_rfc_examples)."""
        a = at.start_altod(self)
        ird = a.ird()
        self.assertNotIn(PM_ID, ird.resources)
        self.assertNotIn(FPM_ID, ird.resources)
        self.assertEqual(a.get("/propmap/" + NM).status, 404)


class TestFullMap(PropServer):
    def test_full_map(self):
        """§7.6: every entity as the maps define it (no inheritance applied:
        the client applies it), the network map's vtag as dependent."""
        doc = self.assertOk(self.altod.get(self.ird.uri(PM_ID)), MT_PROPMAP)
        self.assertEqual(doc, {
            "meta": {"dependent-vtags": [self.vtag()]},
            "property-map": dot_map(FULL)})

    def test_get_only(self):
        r = self.altod.post(self.ird.uri(PM_ID), "{}", MT_PROPMAPPARAMS)
        self.assertEqual(r.status, 405)

    def test_etag_revalidates(self):
        r = self.altod.get(self.ird.uri(PM_ID))
        etag = r.header("ETag")
        self.assertTrue(etag)
        r2 = self.altod.get(self.ird.uri(PM_ID), headers={"If-None-Match": etag})
        self.assertEqual(r2.status, 304)


class TestFiltered(PropServer):
    def test_inheritance(self):
        """§6.1.2.2: an address or prefix takes each property from the
        longest prefix covering it that defines it, property by property."""
        doc = self.assertOk(self.fpm({
            "entities": ["ipv4:192.0.2.200", "ipv4:192.0.2.0/26", "ipv4:192.0.2.0/23",
                         "ipv4:192.0.2.128/25", "ipv4:203.0.113.1", "ipv6:2001:db8::1",
                         "ipv6:2001:db8:5::/48"],
            "properties": [".asn", ".countrycode"]}), MT_PROPMAP)
        self.assertEqual(doc["property-map"], dot_map({
            "ipv4:192.0.2.200": {"asn": "64496", "countrycode": "CA"},
            "ipv4:192.0.2.0/26": {"asn": "64496", "countrycode": "US"},
            # 192.0.2.0/23 is covered by no prefix defining anything: omitted;
            # but it covers 192.0.2.0/24, given with its own values (RFC 9240
            # §8.6), and 192.0.2.128/25, which the request names itself
            "ipv4:192.0.2.0/24": {"asn": "64496", "countrycode": "US"},
            "ipv4:192.0.2.128/25": {"asn": "64496", "countrycode": "CA"},
            "ipv6:2001:db8::1": {"asn": "64498", "countrycode": "DE"},
            "ipv6:2001:db8:5::/48": {"asn": "64498", "countrycode": "DE"},
        }))
        self.assertEqual(doc["meta"], {"dependent-vtags": [self.vtag()]})

    def test_only_requested_properties(self):
        doc = self.assertOk(self.fpm({"entities": ["ipv4:192.0.2.1", NM + ".pid:PID1"],
                                      "properties": [".countrycode", ".priv:region"]}), MT_PROPMAP)
        self.assertEqual(doc["property-map"], {
            "ipv4:192.0.2.1": {".countrycode": "US"}, NM + ".pid:PID1": {".priv:region": "east"}})

    def test_prefix_covers_its_defined_prefixes(self):
        """RFC 9240 §8.6: a requested prefix "MUST cover properties for all
        identifiers in" it: the defined prefixes inside it come too, each
        with the values it defines itself, each once, however many requested
        prefixes hold it."""
        r = self.fpm({"entities": ["ipv4:0.0.0.0/0", "ipv4:192.0.2.0/23", "ipv6:2001::/16"],
                      "properties": [".countrycode", ".asn"]})
        self.assertEqual(r.body.count(b'"ipv4:192.0.2.128/25"'), 1)
        self.assertEqual(self.assertOk(r, MT_PROPMAP)["property-map"], dot_map({
            "ipv4:192.0.2.0/24": {"asn": "64496", "countrycode": "US"},
            "ipv4:192.0.2.128/25": {"countrycode": "CA"},
            "ipv4:198.51.100.0/24": {"asn": "64497"},
            "ipv6:2001:db8::/32": {"asn": "64498", "countrycode": "DE"}}))
        # a requested address covers nothing; PID entities have no hierarchy
        doc = self.assertOk(self.fpm({"entities": ["ipv4:192.0.2.0", NM + ".pid:PID1"],
                                      "properties": [".countrycode"]}), MT_PROPMAP)
        self.assertEqual(doc["property-map"], {"ipv4:192.0.2.0": {".countrycode": "US"}})

    def test_own_resource_id_is_ignored(self):
        """RFC 9240 §5.2.2: a self-defined property's ResourceID, this
        property map's own id, "SHOULD be ignored"."""
        doc = self.assertOk(self.fpm({"entities": ["ipv4:192.0.2.1"], "properties": [FPM_ID + ".asn"]}),
                            MT_PROPMAP)
        self.assertEqual(doc["property-map"], {"ipv4:192.0.2.1": {".asn": "64496"}})

    def test_pid_entities(self):
        """A PID the map does not have is a valid entity with no values."""
        doc = self.assertOk(self.fpm({"entities": [NM + ".pid:PID2", NM + ".pid:PID3", NM + ".pid:PID9"],
                                      "properties": [".priv:access", ".priv:region"]}), MT_PROPMAP)
        self.assertEqual(doc["property-map"], {NM + ".pid:PID2": {".priv:access": "dsl"}})

    def test_duplicates_answered_once(self):
        r = self.fpm('{"entities": ["ipv4:192.0.2.1", "ipv4:192.0.2.1"], "properties": [".asn", ".asn"]}')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body.count(b"ipv4:192.0.2.1"), 1)
        self.assertEqual(r.json()["property-map"], {"ipv4:192.0.2.1": {".asn": "64496"}})

    def test_errors(self):
        """§8.5: each bad request gets its RFC 7285 error."""
        cases = [
            ({"properties": [".asn"]}, "E_MISSING_FIELD", "entities", None),
            ({"entities": ["ipv4:192.0.2.1"]}, "E_MISSING_FIELD", "properties", None),
            ({"entities": "ipv4:192.0.2.1", "properties": [".asn"]}, "E_INVALID_FIELD_TYPE", "entities", None),
            ({"entities": ["ipv4:192.0.2.1"], "properties": ".asn"}, "E_INVALID_FIELD_TYPE", "properties", None),
            ({"entities": [], "properties": [".asn"]}, "E_INVALID_FIELD_VALUE", "entities", None),
            ({"entities": ["ipv4:192.0.2.1"], "properties": []}, "E_INVALID_FIELD_VALUE", "properties", None),
            # an entity domain that does not exist, or is not this map's
            ({"entities": ["ipv5:192.0.2.1"], "properties": [".asn"]}, "E_INVALID_FIELD_VALUE", "entities",
             "ipv5:192.0.2.1"),
            ({"entities": ["other-map.pid:PID1"], "properties": [".asn"]}, "E_INVALID_FIELD_VALUE", "entities",
             "other-map.pid:PID1"),
            ({"entities": ["192.0.2.1"], "properties": [".asn"]}, "E_INVALID_FIELD_VALUE", "entities",
             "192.0.2.1"),
            ({"entities": ["ipv4:192.0.2.300"], "properties": [".asn"]}, "E_INVALID_FIELD_VALUE", "entities",
             "ipv4:192.0.2.300"),
            ({"entities": ["ipv4:192.0.2.1/24"], "properties": [".asn"]}, "E_INVALID_FIELD_VALUE", "entities",
             "ipv4:192.0.2.1/24"),
            ({"entities": ["ipv6:192.0.2.1"], "properties": [".asn"]}, "E_INVALID_FIELD_VALUE", "entities",
             "ipv6:192.0.2.1"),
            ({"entities": [7], "properties": [".asn"]}, "E_INVALID_FIELD_VALUE", "entities", None),
            # a property the map does not have
            ({"entities": ["ipv4:192.0.2.1"], "properties": [".nope"]}, "E_INVALID_FIELD_VALUE", "properties",
             ".nope"),
            # RFC 9240 §5.2.2: a bare (RFC 7285) name is no EntityPropertyName,
            # nor is another resource's property
            ({"entities": ["ipv4:192.0.2.1"], "properties": ["asn"]}, "E_INVALID_FIELD_VALUE", "properties",
             "asn"),
            ({"entities": ["ipv4:192.0.2.1"], "properties": [PM_ID + ".asn"]}, "E_INVALID_FIELD_VALUE",
             "properties", PM_ID + ".asn"),
            ({"entities": ["ipv4:192.0.2.1"], "properties": [".priv:access."]}, "E_INVALID_FIELD_VALUE",
             "properties", ".priv:access."),
            ({"entities": ["ipv4:192.0.2.1"], "properties": [NM + ".pid"]}, "E_INVALID_FIELD_VALUE",
             "properties", NM + ".pid"),
            ({"entities": ["ipv4:192.0.2.1"], "properties": [1]}, "E_INVALID_FIELD_VALUE", "properties", None),
        ]
        for body, code, field, value in cases:
            with self.subTest(body=body):
                self.assertAltoError(self.fpm(body), code, field, value)
        self.assertAltoError(self.fpm("{"), "E_SYNTAX")
        self.assertAltoError(self.fpm("[]"), "E_SYNTAX")
        self.assertAltoError(self.fpm('{"entities": [], "entities": []}'), "E_SYNTAX")

    def test_wrong_content_type(self):
        r = self.fpm({"entities": ["ipv4:192.0.2.1"], "properties": [".asn"]}, ctype=MT_ENDPOINTPROPPARAMS)
        self.assertEqual(r.status, 415)


class TestEndpointProperty(PropServer):
    def test_inherited_endpoint_properties(self):
        """RFC 7285 §11.4 with RFC 9240 properties: an address gets the
        value of the longest prefix defining each property; the pid property
        as before, with its vtag; no vtag for the entity properties."""
        r = self.altod.post(self.ird.endpointprop_uri(), json.dumps({
            "properties": [NM + ".pid", "asn", "countrycode"],
            "endpoints": ["ipv4:192.0.2.200", "ipv4:198.51.100.7", "ipv6:2001:db8::5", "ipv4:203.0.113.9"]}),
            MT_ENDPOINTPROPPARAMS)
        doc = self.assertOk(r, MT_ENDPOINTPROP)
        self.assertEqual(doc, {
            "meta": {"dependent-vtags": [self.vtag()]},
            "endpoint-properties": {
                "ipv4:192.0.2.200": {NM + ".pid": "PID1", "asn": "64496", "countrycode": "CA"},
                "ipv4:198.51.100.7": {NM + ".pid": "PID1", "asn": "64497"},
                "ipv6:2001:db8::5": {NM + ".pid": "PID3", "asn": "64498", "countrycode": "DE"},
                "ipv4:203.0.113.9": {NM + ".pid": "PID3"},
            }})
        r = self.altod.post(self.ird.endpointprop_uri(), json.dumps({
            "properties": ["asn"], "endpoints": ["ipv4:192.0.2.1"]}), MT_ENDPOINTPROPPARAMS)
        self.assertEqual(self.assertOk(r, MT_ENDPOINTPROP), {
            "meta": {"dependent-vtags": []},
            "endpoint-properties": {"ipv4:192.0.2.1": {"asn": "64496"}}})

    def test_pid_domain_properties_are_not_endpoint_properties(self):
        r = self.altod.post(self.ird.endpointprop_uri(), json.dumps({
            "properties": ["priv:access"], "endpoints": ["ipv4:192.0.2.1"]}), MT_ENDPOINTPROPPARAMS)
        self.assertAltoError(r, "E_INVALID_FIELD_VALUE", "properties", "priv:access")


# ---------------------------------------------------------------- generated

def model_value(defs, q, prop):
    """The independent model: among the defined prefixes covering q (q
    itself included) that define prop, the longest one's value."""
    best = None
    for p, props in defs.items():
        if p.version == q.version and prop in props and q.subnet_of(p):
            if best is None or p.prefixlen > best.prefixlen:
                best = p
    return None if best is None else defs[best][prop]


def ent_id(p):
    return "ipv%d:%s" % (p.version, p.with_prefixlen)


def model_covered(defs, qs, props, want):
    """RFC 9240 §8.6: a requested prefix "MUST cover properties for all
    identifiers in" it: each defined prefix strictly inside one is given
    too, with the requested properties it defines, unless the request names
    it itself (then it is answered with its inherited values)."""
    seen = {q for q in qs if q in defs}
    added = 0
    for q in qs:
        for net, props_of in defs.items():
            if (net.version != q.version or net.prefixlen <= q.prefixlen or not net.subnet_of(q)
                    or net in seen):
                continue
            seen.add(net)
            vals = {p: props_of[p] for p in props if p in props_of}
            if vals:
                want[ent_id(net)] = vals
                added += 1
    return added


class TestGenerated(at.AltodTestCase):
    """Random nested IPv4/IPv6 prefixes with properties, and PIDs with
    properties, against model_value()."""

    PROPS = ["asn", "countrycode", "priv:access", "priv:tier"]

    def setUp(self):
        rnd = random.Random(9240)
        self.rnd = rnd
        pids = ["P%d" % i for i in range(12)]
        lines = ["network-maps:", "  g:", "    pids:"]
        for i, pid in enumerate(pids):
            lines.append("      %s: {ipv4: [10.%d.0.0/16]}" % (pid, i))
        lines.append("      rest: {ipv4: [0.0.0.0/0], ipv6: [\"::/0\"]}")
        self.defs = {}
        while len(self.defs) < 150:
            if rnd.random() < 0.6:
                base = ipaddress.ip_network("10.0.0.0/8")
                plen = rnd.randint(8, 30)
                addr = int(base.network_address) + rnd.getrandbits(24)
                net = ipaddress.ip_network((addr, 32), strict=False).supernet(new_prefix=plen)
            else:
                base = ipaddress.ip_network("2001:db8::/32")
                plen = rnd.randint(32, 72)
                addr = int(base.network_address) + rnd.getrandbits(96)
                net = ipaddress.ip_network((addr, 128), strict=False).supernet(new_prefix=plen)
            chosen = [p for p in self.PROPS if rnd.random() < 0.5] or [self.PROPS[0]]
            self.defs[net] = {p: "v%d" % rnd.randint(0, 999) for p in chosen}
        self.pid_props = {pid: {"priv:tier": "t%d" % i} for i, pid in enumerate(pids) if i % 3}
        lines += ["property-maps:", "  g:"]
        for net, props in self.defs.items():
            lines.append("    %s: %s" % (json.dumps(ent_id(net)), json.dumps(props)))
        for pid, props in self.pid_props.items():
            lines.append("    %s: %s" % (json.dumps("g.pid:" + pid), json.dumps(props)))
        self.altod = at.start_altod(self, maps_files={"maps/g.yaml": "\n".join(lines) + "\n"},
                                    extra_config=getattr(self, "extra", ""))
        self.ird = self.altod.ird()

    def queries(self, n, nets=None):
        out = []
        nets = list(nets or self.defs)
        for _ in range(n):
            net = self.rnd.choice(nets)
            if self.rnd.random() < 0.5:  # an address inside a defined prefix
                host = int(net.network_address) + self.rnd.getrandbits(net.max_prefixlen - net.prefixlen)
                q = ipaddress.ip_network((host, net.max_prefixlen))
            else:  # a prefix at, inside or around a defined one
                plen = max(0, min(net.max_prefixlen, net.prefixlen + self.rnd.randint(-6, 10)))
                host = int(net.network_address) + self.rnd.getrandbits(net.max_prefixlen - net.prefixlen)
                q = ipaddress.ip_network((host, net.max_prefixlen)).supernet(new_prefix=plen)
            out.append(q)
        return out

    def test_full_map_is_the_definitions(self):
        doc = self.assertOk(self.altod.get(self.ird.uri("g-property-map")), MT_PROPMAP)
        want = {ent_id(n): p for n, p in self.defs.items()}
        want.update({"g.pid:" + pid: p for pid, p in self.pid_props.items()})
        self.assertEqual(doc["property-map"], dot_map(want))

    def test_filtered_matches_model(self):
        qs = self.queries(400)
        ents = [ent_id(q) for q in qs] + ["g.pid:P%d" % i for i in range(12)]
        doc = self.assertOk(self.altod.post(self.ird.uri("g-filtered-propmap"), json.dumps({
            "entities": ents, "properties": dots(self.PROPS)}), MT_PROPMAPPARAMS), MT_PROPMAP)
        want = {}
        for q in qs:
            vals = {p: model_value(self.defs, q, p) for p in self.PROPS}
            vals = {p: v for p, v in vals.items() if v is not None}
            if vals:
                want[ent_id(q)] = vals
        self.assertGreater(model_covered(self.defs, qs, self.PROPS, want), 0)
        for pid, props in self.pid_props.items():
            want["g.pid:" + pid] = props
        self.assertEqual(doc["property-map"], dot_map(want))
        self.assertGreater(len(want), 100)

    def test_endpoint_property_matches_model(self):
        qs = [q for q in self.queries(300) if q.prefixlen == q.max_prefixlen]
        eps = ["ipv%d:%s" % (q.version, q.network_address) for q in qs]
        doc = self.assertOk(self.altod.post(self.ird.endpointprop_uri(), json.dumps({
            "endpoints": eps, "properties": ["asn", "countrycode"]}), MT_ENDPOINTPROPPARAMS), MT_ENDPOINTPROP)
        for q, e in zip(qs, eps):
            want = {p: model_value(self.defs, q, p) for p in ("asn", "countrycode")}
            self.assertEqual(doc["endpoint-properties"][e], {p: v for p, v in want.items() if v is not None})


# ---------------------------------------------------------------- bad maps

class TestBadMaps(at.AltodTestCase):
    """Every bad property map input: `altod -t` names file:line:column; a
    reload with it keeps the old snapshot serving."""

    CASES = [
        ('"ipv5:10.0.0.0/8": {asn: "1"}', "entity domain 'ipv5' does not exist"),
        ('"other.pid:A": {asn: "1"}', "entity domain 'other.pid' does not exist"),
        ('"m.pid:NOPE": {asn: "1"}', "PID 'NOPE' is not defined in network map 'm'"),
        ('"ipv4:10.0.0.1/8": {asn: "1"}', "host bits set"),
        ('"10.0.0.0/8": {asn: "1"}', "has no entity domain"),
        ('"ipv4:10.0.0.0/8": {asn: [1]}', "a property value (a string) must be a scalar, not a sequence"),
        ('"ipv4:10.0.0.0/8": {asn: {x: y}}', "a property value (a string) must be a scalar, not a mapping"),
        ('"ipv4:10.0.0.0/8": {"bad.name": "1"}', "bad property name 'bad.name'"),
    ]

    def maps(self, entity_line):
        return ("network-maps:\n  m:\n    pids:\n      A: {ipv4: [10.0.0.0/8]}\n"
                "property-maps:\n  m:\n    " + entity_line + "\n")

    def test_check_names_place(self):
        for line, msg in self.CASES:
            with self.subTest(line=line):
                d = at.make_tree(self, {"maps/p.yaml": self.maps(line),
                                        "altod.yaml": at.config_text(["maps/p.yaml"])})
                rc, out = at.check_config(os.path.join(d, "altod.yaml"))
                self.assertNotEqual(rc, 0)
                self.assertRegex(out, r"maps/p\.yaml:7:\d+: .*" + re.escape(msg))

    def test_reload_keeps_serving(self):
        good = self.maps('"ipv4:10.0.0.0/8": {asn: "1"}')
        a = at.start_altod(self, maps_files={"maps/p.yaml": good})
        uri = a.ird().uri("m-property-map")
        before = a.get(uri).body
        at.write_files(a.dir, {"maps/p.yaml": self.maps('"m.pid:NOPE": {asn: "1"}')})
        a.reload(expect="failed")
        self.assertEqual(a.get(uri).body, before)


# ---------------------------------------------------------------- views

class TestViews(at.AltodTestCase):
    """A view is a network map of its own: it carries none of its base
    map's properties, so a tenant granted only a view sees no property map
    and no entity property, even for addresses inside PIDs it shows."""

    ACCESS = """\
access:
  secret: "a-secret-long-enough-for-views"
  anonymous-role: tenant
  roles:
    tenant: [v1]
  views:
    v1:
      network-map: my-default-network-map
      pids: [PID1]
"""

    def test_view_shows_no_properties(self):
        a = at.start_altod(self, maps_files=example_files(), extra_config=self.ACCESS)
        ird = a.ird()
        self.assertNotIn(PM_ID, ird.resources)
        self.assertNotIn(FPM_ID, ird.resources)
        self.assertNotIn("v1-property-map", ird.resources)
        self.assertEqual(ird.resources["endpoint-property"]["capabilities"], {"prop-types": ["v1.pid"]})
        self.assertEqual(a.get("/propmap/" + NM).status, 404)
        r = a.post("/propmap/%s/filtered" % NM, json.dumps({"entities": ["ipv4:192.0.2.1"],
                                                            "properties": [".asn"]}), MT_PROPMAPPARAMS)
        self.assertEqual(r.status, 404)
        for prop in ("asn", "countrycode", "priv:access", NM + ".pid"):
            r = a.post(ird.endpointprop_uri(), json.dumps({"properties": [prop], "endpoints": ["ipv4:192.0.2.1"]}),
                       MT_ENDPOINTPROPPARAMS)
            self.assertAltoError(r, "E_INVALID_FIELD_VALUE", "properties", prop)

    def test_property_map_granted_without_its_network_map(self):
        access = self.ACCESS.replace("tenant: [v1]", "tenant: [v1, %s]" % PM_ID)
        d = at.make_tree(self, dict(example_files(), **{
            "altod.yaml": at.config_text(list(example_files()), extra=access)}))
        rc, out = at.check_config(os.path.join(d, "altod.yaml"))
        self.assertNotEqual(rc, 0)
        self.assertIn("role 'tenant' grants '%s' but not the network map '%s'" % (PM_ID, NM), out)

    def test_granted_with_the_map(self):
        access = self.ACCESS.replace("tenant: [v1]", "tenant: [v1, %s, %s]" % (NM, PM_ID))
        a = at.start_altod(self, maps_files=example_files(), extra_config=access)
        ird = a.ird()
        self.assertIn(PM_ID, ird.resources)
        self.assertNotIn(FPM_ID, ird.resources)  # granted one by one
        doc = self.assertOk(a.get(ird.uri(PM_ID)), MT_PROPMAP)
        self.assertEqual(doc["property-map"], dot_map(FULL))


    def test_view_exposes_chosen_properties(self):
        """access.views.<id>.properties: the view shows those properties,
        for its kept PIDs (under their view names) and for the prefixes
        lying whole in kept PIDs; 198.51.100.0/24 reaches into the hidden
        PID2 and never appears, and an address of a hidden PID answers with
        the catch-all's value (none), never its own."""
        access = self.ACCESS + "      properties: [asn, countrycode, priv:access]\n"
        a = at.start_altod(self, maps_files=example_files(), extra_config=access)
        ird = a.ird()
        vtag = self.assertOk(a.get(ird.networkmap_uri("v1")), at.MT_NETWORKMAP)["meta"]["vtag"]
        mappings = {"ipv4": [".asn", ".countrycode"], "v1.pid": [".priv:access"]}
        self.assertEqual(ird.resources["v1-property-map"]["capabilities"], {"mappings": mappings})
        self.assertEqual(ird.resources["v1-filtered-propmap"]["capabilities"], {"mappings": mappings})
        self.assertEqual(ird.resources["v1-property-map"]["uses"], ["v1"])
        self.assertNotIn(PM_ID, ird.resources)
        doc = self.assertOk(a.get(ird.uri("v1-property-map")), MT_PROPMAP)
        self.assertEqual(doc, {"meta": {"dependent-vtags": [vtag]}, "property-map": dot_map({
            "ipv4:192.0.2.0/24": {"asn": "64496", "countrycode": "US"},
            "ipv4:192.0.2.128/25": {"countrycode": "CA"},
            "v1.pid:PID1": {"priv:access": "fiber"}})})
        self.assertNotIn(b"64497", a.get(ird.uri("v1-property-map")).body)
        r = a.post(ird.uri("v1-filtered-propmap"), json.dumps({
            "entities": ["ipv4:192.0.2.200", "ipv4:198.51.100.7", "ipv4:198.51.100.200",
                         "ipv4:198.51.100.0/24", "v1.pid:PID1", "v1.pid:other", "v1.pid:PID2"],
            "properties": [".asn", ".countrycode", ".priv:access"]}), MT_PROPMAPPARAMS)
        self.assertEqual(self.assertOk(r, MT_PROPMAP)["property-map"], dot_map({
            "ipv4:192.0.2.200": {"asn": "64496", "countrycode": "CA"},
            "v1.pid:PID1": {"priv:access": "fiber"}}))
        # properties not exposed, and domains the view does not have, are unknown
        for body, field, value in (
                ({"entities": ["v1.pid:PID1"], "properties": [".priv:region"]}, "properties", ".priv:region"),
                ({"entities": ["ipv6:2001:db8::1"], "properties": [".asn"]}, "entities", "ipv6:2001:db8::1"),
                ({"entities": [NM + ".pid:PID1"], "properties": [".asn"]}, "entities", NM + ".pid:PID1")):
            self.assertAltoError(a.post(ird.uri("v1-filtered-propmap"), json.dumps(body), MT_PROPMAPPARAMS),
                                 "E_INVALID_FIELD_VALUE", field, value)
        r = a.post(ird.endpointprop_uri(), json.dumps({
            "properties": ["v1.pid", "asn", "countrycode"],
            "endpoints": ["ipv4:192.0.2.200", "ipv4:198.51.100.7", "ipv4:198.51.100.200", "ipv6:2001:db8::1"]}),
            MT_ENDPOINTPROPPARAMS)
        self.assertEqual(self.assertOk(r, MT_ENDPOINTPROP)["endpoint-properties"], {
            "ipv4:192.0.2.200": {"v1.pid": "PID1", "asn": "64496", "countrycode": "CA"},
            "ipv4:198.51.100.7": {"v1.pid": "PID1"},
            "ipv4:198.51.100.200": {"v1.pid": "other"},
            "ipv6:2001:db8::1": {"v1.pid": "other"}})

    def test_hidden_pid_nested_in_a_kept_one(self):
        """A hidden PID inside a kept prefix: its addresses are the
        catch-all's in the view; neither the hidden prefix's value nor that
        of the kept /8 around it (which would reach them by inheritance)
        appears; a prefix lying whole in kept space does."""
        maps = ("network-maps:\n  m:\n    pids:\n"
                "      K: {ipv4: [10.0.0.0/8]}\n      H: {ipv4: [10.1.0.0/16]}\n"
                "      R: {ipv4: [0.0.0.0/0]}\n"
                "property-maps:\n  m:\n"
                '    "ipv4:10.0.0.0/8": {asn: "K"}\n'
                '    "ipv4:10.1.0.0/16": {asn: "H", cc: "h"}\n'
                '    "ipv4:10.1.2.3": {asn: "H3"}\n'
                '    "ipv4:10.2.0.0/16": {asn: "K2"}\n'
                '    "m.pid:H": {cc: "hidden"}\n'
                '    "m.pid:K": {cc: "kept"}\n')
        access = """\
access:
  secret: "a-secret-long-enough-for-views"
  anonymous-role: tenant
  roles:
    tenant: [w]
  views:
    w:
      network-map: m
      pids: [K]
      catch-all: rest
      opaque-pids: true
      properties: [asn, cc]
"""
        a = at.start_altod(self, maps_files={"maps/m.yaml": maps}, extra_config=access)
        ird = a.ird()
        k_name = [p for p in self.assertOk(a.get(ird.networkmap_uri("w")), at.MT_NETWORKMAP)["network-map"]
                  if p != "rest"][0]
        self.assertRegex(k_name, r"^p[0-9a-f]{16}$")
        doc = self.assertOk(a.get(ird.uri("w-property-map")), MT_PROPMAP)
        self.assertEqual(doc["property-map"], {"ipv4:10.2.0.0/16": {".asn": "K2"},
                                               "w.pid:" + k_name: {".cc": "kept"}})
        r = a.post(ird.uri("w-filtered-propmap"), json.dumps({
            "entities": ["ipv4:10.1.2.3", "ipv4:10.1.0.9", "ipv4:10.2.0.1", "ipv4:10.3.0.1", "ipv4:10.1.0.0/16",
                         "w.pid:rest", "w.pid:H", "w.pid:" + k_name],
            "properties": [".asn", ".cc"]}), MT_PROPMAPPARAMS)
        self.assertEqual(self.assertOk(r, MT_PROPMAP)["property-map"], {
            "ipv4:10.2.0.1": {".asn": "K2"}, "w.pid:" + k_name: {".cc": "kept"}})
        # cc is only a PID property in this view: no endpoint property
        r = a.post(ird.endpointprop_uri(), json.dumps({"properties": ["cc"], "endpoints": ["ipv4:10.1.2.3"]}),
                   MT_ENDPOINTPROPPARAMS)
        self.assertAltoError(r, "E_INVALID_FIELD_VALUE", "properties", "cc")
        r = a.post(ird.endpointprop_uri(), json.dumps({
            "properties": ["asn"], "endpoints": ["ipv4:10.1.2.3", "ipv4:10.2.0.1", "ipv4:10.3.0.1"]}),
            MT_ENDPOINTPROPPARAMS)
        self.assertEqual(self.assertOk(r, MT_ENDPOINTPROP)["endpoint-properties"], {
            "ipv4:10.1.2.3": {}, "ipv4:10.2.0.1": {"asn": "K2"}, "ipv4:10.3.0.1": {}})

    def test_unknown_view_property(self):
        access = self.ACCESS + "      properties: [asn, nope]            #< nope\n"
        files = dict(example_files(), **{"altod.yaml": at.config_text(list(example_files()), extra=access)})
        d = at.make_tree(self, files)
        rc, out = at.check_config(os.path.join(d, "altod.yaml"))
        self.assertNotEqual(rc, 0)
        line = files["altod.yaml"].splitlines().index(
            [x for x in files["altod.yaml"].splitlines() if "#< nope" in x][0]) + 1
        col = [x for x in files["altod.yaml"].splitlines() if "#< nope" in x][0].index("nope") + 1
        self.assertIn("altod.yaml:%d:%d: view 'v1': property 'nope' is not in the property map of network map "
                      "'%s'" % (line, col, NM), out)


class TestGeneratedView(TestGenerated):
    """The generated topology through a view keeping P0..P5 and two of the
    properties, against the model restricted to what the view shows."""

    KEPT = ["P%d" % i for i in range(6)]
    SHOWN = ["asn", "priv:tier"]

    def setUp(self):
        self.extra = """\
access:
  secret: "a-secret-long-enough-for-views"
  anonymous-role: tenant
  roles:
    tenant: [gv]
  views:
    gv:
      network-map: g
      pids: [%s]
      properties: [%s]
""" % (", ".join(self.KEPT), ", ".join(json.dumps(p) for p in self.SHOWN))
        super().setUp()

    def shown_defs(self):
        kept = [ipaddress.ip_network("10.%d.0.0/16" % i) for i in range(len(self.KEPT))]
        out = {}
        for net, props in self.defs.items():
            if net.version == 4 and any(net.subnet_of(k) for k in kept):
                vals = {p: v for p, v in props.items() if p in self.SHOWN}
                if vals:
                    out[net] = vals
        return out

    def test_full_map_is_the_definitions(self):
        doc = self.assertOk(self.altod.get(self.ird.uri("gv-property-map")), MT_PROPMAP)
        want = {ent_id(n): p for n, p in self.shown_defs().items()}
        want.update({"gv.pid:" + pid: {k: v for k, v in p.items() if k in self.SHOWN}
                     for pid, p in self.pid_props.items() if pid in self.KEPT})
        self.assertEqual(doc["property-map"], dot_map(want))
        self.assertGreater(len(want), 5)

    def test_filtered_matches_model(self):
        shown = self.shown_defs()
        qs = [q for q in self.queries(200) + self.queries(200, shown) if q.version == 4]
        doc = self.assertOk(self.altod.post(self.ird.uri("gv-filtered-propmap"), json.dumps({
            "entities": [ent_id(q) for q in qs], "properties": dots(self.SHOWN)}), MT_PROPMAPPARAMS), MT_PROPMAP)
        want = {}
        for q in qs:
            vals = {p: model_value(shown, q, p) for p in self.SHOWN}
            vals = {p: v for p, v in vals.items() if v is not None}
            if vals:
                want[ent_id(q)] = vals
        model_covered(shown, qs, self.SHOWN, want)
        self.assertEqual(doc["property-map"], dot_map(want))
        self.assertGreater(len(want), 10)

    def test_endpoint_property_matches_model(self):
        shown = self.shown_defs()
        qs = [q for q in self.queries(150) + self.queries(150, shown) if q.prefixlen == q.max_prefixlen]
        eps = ["ipv%d:%s" % (q.version, q.network_address) for q in qs]
        doc = self.assertOk(self.altod.post(self.ird.endpointprop_uri(), json.dumps({
            "endpoints": eps, "properties": ["asn"]}), MT_ENDPOINTPROPPARAMS), MT_ENDPOINTPROP)
        for q, e in zip(qs, eps):
            v = model_value(shown, q, "asn")
            self.assertEqual(doc["endpoint-properties"][e], {"asn": v} if v is not None else {})


if __name__ == "__main__":
    unittest.main()

"""A throw-away PKI for altod's TLS tests, made with the `openssl` command.

make_pki(directory) writes, with EC P-256 keys (fast to make):

    ca.pem / ca.key              the CA that signs the server and client certs
    server.pem / server.key      server cert A: SAN 127.0.0.1, ::1, localhost;
                                 EKU serverAuth; serial 0x1001
    server2.pem / server2.key    server cert B (rotation): same names, its own
                                 key, serial 0x1002
    client.pem / client.key      client cert signed by the CA: CN=tenant-a,
                                 EKU clientAuth; serial 0x2001
    rogue.pem / rogue.key        self-signed client cert (CN=tenant-a, EKU
                                 clientAuth): no chain to the CA
    rogueca.pem / rogueca.key    another CA, and
    roguesigned.pem / .key       a client cert that other CA signed
    wrongeku.pem / wrongeku.key  signed by the CA, CN=tenant-b, but EKU
                                 serverAuth only (not for TLS client auth)
    inter.pem / inter.key        an intermediate CA the CA signed, and
    ileafserver.pem / .key       a server cert it signed (same names as A),
    ileafserver-chain.pem        that cert then the intermediate,
    ileafclient.pem / .key       a client cert it signed (CN=tenant-c),
    ileafclient-chain.pem        that cert then the intermediate

and returns a Pki whose attributes are the absolute paths.

make_crl(pki, out, revoked=...) writes a CRL of a CA (`openssl ca -revoke`,
then `openssl ca -gencrl`), in PEM or DER.
"""

import os
import shutil
import subprocess
import tempfile

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

_EXT = """\
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[inter]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[selfclient]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
"""


def _run(args, cwd):
    p = subprocess.run([OPENSSL] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed (%d):\n%s%s" % (
            " ".join(args), p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace")))
    return p.stdout


def _key(cwd, name):
    _run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-out", name + ".key"], cwd)


def _self_signed(cwd, name, subject, section, serial):
    _key(cwd, name)
    _run(["req", "-new", "-x509", "-key", name + ".key", "-out", name + ".pem",
          "-days", "3650", "-subj", subject, "-sha256",
          "-config", "ext.cnf", "-extensions", section,
          "-set_serial", "0x%x" % serial], cwd)


def _signed(cwd, name, subject, section, ca, serial):
    _key(cwd, name)
    _run(["req", "-new", "-key", name + ".key", "-out", name + ".csr",
          "-subj", subject, "-config", "ext.cnf"], cwd)
    _run(["x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
          "-CAkey", ca + ".key", "-set_serial", "0x%x" % serial, "-days", "825",
          "-sha256", "-extfile", "ext.cnf", "-extensions", section,
          "-out", name + ".pem"], cwd)
    os.remove(os.path.join(cwd, name + ".csr"))


class Pki:
    NAMES = ("ca", "server", "server2", "client", "rogue", "rogueca",
             "roguesigned", "wrongeku", "inter", "ileafserver", "ileafclient")

    def __init__(self, directory):
        self.dir = directory
        self._der = {}
        for n in self.NAMES:
            setattr(self, n + "_pem", os.path.join(directory, n + ".pem"))
            setattr(self, n + "_key", os.path.join(directory, n + ".key"))

    def path(self, name):
        return os.path.join(self.dir, name)

    def der(self, name):
        """The DER bytes of NAME.pem (as ssl's getpeercert(True) gives)."""
        if name not in self._der:
            self._der[name] = _run(["x509", "-in", name + ".pem", "-outform", "DER"], self.dir)
        return self._der[name]

    def read(self, name, kind="pem"):
        with open(os.path.join(self.dir, "%s.%s" % (name, kind)), "rb") as f:
            return f.read()


def make_pki(directory):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "ext.cnf"), "w") as f:
        # req needs a [req] section with distinguished_name
        f.write("[req]\ndistinguished_name = dn\n[dn]\n" + _EXT)
    _self_signed(directory, "ca", "/CN=altod test CA", "ca", 0x01)
    _signed(directory, "server", "/CN=localhost", "server", "ca", 0x1001)
    _signed(directory, "server2", "/CN=localhost", "server", "ca", 0x1002)
    _signed(directory, "client", "/CN=tenant-a", "client", "ca", 0x2001)
    _self_signed(directory, "rogue", "/CN=tenant-a", "selfclient", 0x4001)
    _self_signed(directory, "rogueca", "/CN=altod test CA", "ca", 0x02)
    _signed(directory, "roguesigned", "/CN=tenant-a", "client", "rogueca", 0x3001)
    _signed(directory, "wrongeku", "/CN=tenant-b", "server", "ca", 0x2002)
    _signed(directory, "inter", "/CN=altod test intermediate CA", "inter", "ca", 0x5001)
    _signed(directory, "ileafserver", "/CN=localhost", "server", "inter", 0x5002)
    _signed(directory, "ileafclient", "/CN=tenant-c", "client", "inter", 0x5003)
    for leaf in ("ileafserver", "ileafclient"):
        with open(os.path.join(directory, leaf + "-chain.pem"), "wb") as out:
            for part in (leaf, "inter"):
                with open(os.path.join(directory, part + ".pem"), "rb") as f:
                    out.write(f.read())
    return Pki(directory)


_CA_CNF = """\
[ca]
default_ca = ca_default

[ca_default]
database = index.txt
crlnumber = crlnumber
default_md = sha256
default_crl_days = 30
"""


class ModulePki:
    """One test PKI for a whole test module, made in a temporary folder by
    setUpModule and removed by tearDownModule:

        PKI = tlsutil.ModulePki()
        setUpModule, tearDownModule = PKI.setup, PKI.cleanup

    Once set up it reads as the Pki that make (make_pki, or another maker
    such as isoutil.make_pki) returned."""

    def __init__(self, make=None):
        self._make = make or make_pki
        self._pki = None
        self._dir = None

    def setup(self):
        self._dir = tempfile.TemporaryDirectory(prefix="altodtest-pki-")
        self._pki = self._make(self._dir.name)

    def cleanup(self):
        self._dir.cleanup()

    def __getattr__(self, name):
        pki = self.__dict__.get("_pki")
        if pki is None:
            raise AttributeError("%s: the module's PKI is made by setUpModule" % name)
        return getattr(pki, name)


def make_crl(pki, out, revoked=(), ca="ca", der=False, last_update=None, next_update=None):
    """Writes to `out` a CRL signed by CA `ca` (a Pki name) listing the
    certificates named in `revoked` (Pki names), each revoked with
    `openssl ca -revoke`; PEM, or DER with der=True. last_update /
    next_update: openssl's YYMMDDHHMMSSZ times, to make an outdated CRL.
    A fresh CA database each time: the CRL lists exactly `revoked`."""
    work = os.path.join(pki.dir, "crl-work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open(os.path.join(work, "ca.cnf"), "w") as f:
        f.write(_CA_CNF)
    open(os.path.join(work, "index.txt"), "w").close()
    with open(os.path.join(work, "crlnumber"), "w") as f:
        f.write("1000\n")
    keys = ["-config", "ca.cnf", "-cert", pki.path(ca + ".pem"), "-keyfile", pki.path(ca + ".key")]
    for name in revoked:
        _run(["ca"] + keys + ["-revoke", pki.path(name + ".pem")], work)
    args = ["ca"] + keys + ["-gencrl", "-out", "crl.pem"]
    if last_update:
        args += ["-crl_lastupdate", last_update]
    if next_update:
        args += ["-crl_nextupdate", next_update]
    _run(args, work)
    if der:
        _run(["crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der"], work)
    tmp = out + ".new"
    shutil.copyfile(os.path.join(work, "crl.der" if der else "crl.pem"), tmp)
    os.replace(tmp, out)  # the way an operator publishes one: write, then rename
    shutil.rmtree(work, ignore_errors=True)
    return out

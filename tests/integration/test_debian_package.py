"""The Debian package (debian/): built out of tree with dpkg-buildpackage,
checked by lintian, installed with dpkg, its configuration checked with the
installed altod, reinstalled over itself keeping a locally changed conffile,
reinstalled with a configuration that fails `altod -t` (the installation
succeeds, the service is not restarted), removed and purged leaving no file
behind; and postinst's decision (start on a first installation, restart on
an upgrade, neither when `altod -t` fails; prerm stops only on removal) with
systemd made to seem running in a mount namespace, through stubs.

Needs root (it installs a package on this machine; CI runs as root) and the
build tools .ci/deps.sh installs. It builds the package from the sources,
not from this build tree's altod, so it runs in the plain tree only: not
under ALTOD_WRAPPER, and tests/CMakeLists.txt leaves it out of sanitizer
trees. Without a running systemd (/run/systemd/system absent, as in a
container) nothing is started; with one, the enabled service is started
once its configuration passes altod -t.
"""

import os
import shutil
import stat
import subprocess
import tempfile
import unittest

import altodtest as at

PKG = "altod"
CONF = "/etc/altod/altod.yaml"
# The maps files conf/altod.yaml lists (RFC 7285, RFC 9439, RFC 9240 examples),
# installed beside it and as examples.
MAPS_FILES = ("example.yaml", "perfmetrics.yaml", "properties.yaml")
ALL_MAPS = ["/etc/altod/maps/" + m for m in MAPS_FILES]
WANTS = "/etc/systemd/system/multi-user.target.wants/altod.service"
DSH_STATE = "/var/lib/systemd/deb-systemd-helper-enabled"
SYSTEMD_RUNNING = os.path.isdir("/run/systemd/system")
TOOLS = ("dpkg-buildpackage", "dpkg-checkbuilddeps", "dh", "lintian", "setpriv")

# What the package must ship (and purge must take away), and with which mode.
SHIPPED = {
    "/usr/sbin/altod": 0o755,
    "/lib/systemd/system/altod.service": 0o644,
    "/usr/lib/sysusers.d/altod.conf": 0o644,
    "/usr/lib/tmpfiles.d/altod.conf": 0o644,
    "/usr/share/man/man8/altod.8.gz": 0o644,
    "/usr/share/man/man5/altod.yaml.5.gz": 0o644,
    CONF: 0o640,
    **{m: 0o644 for m in ALL_MAPS},
    **{"/usr/share/doc/altod/examples/" + m: 0o644 for m in MAPS_FILES},
    "/usr/share/doc/altod/copyright": 0o644,
}


def run(args, check=True, **kwargs):
    p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600, **kwargs)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s" % (" ".join(args), p.returncode, p.stdout[-6000:]))
    return p


def installed():
    p = run(["dpkg-query", "-W", "-f=${Status}", PKG], check=False)
    return p.returncode == 0 and "installed" in p.stdout.split()[-1:]


def dpkg_known():
    """The package is known to dpkg in any state (installed or config-files)."""
    p = run(["dpkg-query", "-W", "-f=${Status}", PKG], check=False)
    return p.returncode == 0 and "not-installed" not in p.stdout


def service_state(verb):
    return run(["systemctl", verb, "altod.service"], check=False).stdout.strip()


def copy_sources(dst):
    """The checkout's files (tracked and untracked, not ignored: no build
    trees), so that the build neither dirties the checkout nor meets build/."""
    if os.path.exists(os.path.join(at.SRC, ".git")) and shutil.which("git"):
        files = run(["git", "-C", at.SRC, "ls-files", "-z", "-co", "--exclude-standard"]).stdout.split("\0")
        for f in filter(None, files):
            src = os.path.join(at.SRC, f)
            if not os.path.lexists(src):  # deleted in the worktree, not yet in the index
                continue
            os.makedirs(os.path.dirname(os.path.join(dst, f)), exist_ok=True)
            shutil.copy2(src, os.path.join(dst, f), follow_symlinks=False)
    else:
        shutil.copytree(at.SRC, dst, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
            ".git", "build", "build-*", "obj-*", "__pycache__"))


def checkout_status():
    if not (os.path.exists(os.path.join(at.SRC, ".git")) and shutil.which("git")):
        return None
    return run(["git", "-C", at.SRC, "status", "--porcelain", "--ignored"]).stdout


@at.skip_under_wrapper("the package is built from the sources, not from this tree's altod; it runs in the plain tree")
@unittest.skipUnless(shutil.which("dpkg"), "not a Debian system: no dpkg")
@unittest.skipUnless(os.geteuid() == 0, "needs root: installs and purges the altod package with dpkg (CI runs as root)")
class DebianPackage(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if dpkg_known() or os.path.lexists("/etc/altod") or os.path.lexists("/usr/sbin/altod"):
            raise unittest.SkipTest("altod is already installed on this machine (package, /etc/altod or "
                                    "/usr/sbin/altod): the test would replace and then purge it")
        missing = [t for t in TOOLS if not shutil.which(t)]
        if missing:
            raise AssertionError("missing %s: run .ci/deps.sh" % " ".join(missing))
        cls.tmp = tempfile.mkdtemp(prefix="altod-deb-")
        src = os.path.join(cls.tmp, "altod")
        os.mkdir(src)
        before = checkout_status()
        copy_sources(src)
        cls.build = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, check=False)
        cls.checkout_changed = before is not None and checkout_status() != before
        cls.deb = os.path.join(cls.tmp, "altod_0.1.0_%s.deb" % run(["dpkg", "--print-architecture"]).stdout.strip())
        cls.changes = cls.deb[:-len(".deb")] + ".changes"

    @classmethod
    def tearDownClass(cls):
        if dpkg_known():
            run(["dpkg", "--purge", PKG], check=False)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.build.returncode, 0, "dpkg-buildpackage -us -uc -b failed:\n" + self.build.stdout[-8000:])

    def test_build_leaves_the_checkout_alone(self):
        self.assertFalse(self.checkout_changed, "building the package changed the checkout (git status)")

    def test_lintian_reports_no_error_and_no_warning(self):
        p = run(["lintian", "--fail-on", "error,warning", self.changes], check=False)
        tags = [line for line in p.stdout.splitlines() if line[:3] in ("E: ", "W: ")]
        self.assertEqual(tags, [], p.stdout)
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_contents_and_conffiles(self):
        listing = run(["dpkg-deb", "--contents", self.deb]).stdout
        modes = {}
        for line in listing.splitlines():
            perms, owner, _size, _date, _time, path = line.split(None, 5)
            modes["/" + path.lstrip("./").rstrip("/")] = (perms, owner)
        for path, mode in SHIPPED.items():
            self.assertIn(path, modes, listing)
            self.assertEqual(modes[path], (stat.filemode(mode | stat.S_IFREG), "root/root"), path)
        conffiles = run(["dpkg-deb", "--info", self.deb, "conffiles"]).stdout.split()
        self.assertEqual(sorted(conffiles), sorted([CONF] + ALL_MAPS))

    def test_install_reinstall_remove_purge(self):
        # Install: the user, the configuration 0640 root:altod, the unit enabled
        # (and started only with a running systemd), a configuration that passes
        # altod -t, run by the installed altod as the service's user.
        out = run(["dpkg", "-i", self.deb]).stdout
        self.assertNotIn("does not pass altod -t", out)
        self.assertTrue(installed())
        shipped = [p for p in run(["dpkg-query", "-L", PKG]).stdout.splitlines() if p and p != "/."]
        for path in SHIPPED:
            self.assertIn(path, shipped)
            self.assertTrue(os.path.exists(path), path)
        user = run(["getent", "passwd", "altod"]).stdout.strip().split(":")
        self.assertEqual(user[5:], ["/nonexistent", "/usr/sbin/nologin"])
        self.assertFalse(os.path.exists("/nonexistent"))
        st = os.stat(CONF)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o640, 0, int(user[3])))
        self.assertEqual(os.readlink(WANTS), "/lib/systemd/system/altod.service")
        for who in ([], ["setpriv", "--reuid=altod", "--regid=altod", "--init-groups"]):
            p = run(who + ["/usr/sbin/altod", "-t", "-c", CONF])
            self.assertEqual(p.stdout.strip(), "ok", who)
        # The config's maps exist after install (relative to /etc/altod).
        with open(CONF) as f:
            text = f.read()
        for m in MAPS_FILES:
            self.assertRegex(text, r"(?m)^  - maps/%s\b" % m.replace(".", r"\."))
        if SYSTEMD_RUNNING:
            self.assertEqual(service_state("is-enabled"), "enabled")
            self.assertEqual(service_state("is-active"), "active")

        # Reinstall over itself keeping a locally changed conffile.
        with open(CONF, "a") as f:
            f.write("# changed locally\n")
        out = run(["dpkg", "-i", "--force-confold", self.deb]).stdout
        self.assertNotIn("does not pass altod -t", out)
        with open(CONF) as f:
            self.assertTrue(f.read().endswith("# changed locally\n"))
        st = os.stat(CONF)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o640, 0, int(user[3])))

        # A configuration that fails altod -t: the installation still succeeds,
        # says why with file:line:column, and (re)starts nothing.
        with open(CONF, "a") as f:
            f.write("no-such-key: 1\n")
        out = run(["dpkg", "-i", "--force-confold", self.deb]).stdout
        self.assertTrue(installed())
        self.assertIn("altod: %s does not pass altod -t; altod.service was not (re)started" % CONF, out)
        self.assertRegex(out, r"%s:\d+:\d+: " % CONF)
        if SYSTEMD_RUNNING:  # the altod started above keeps serving
            self.assertEqual(service_state("is-active"), "active")

        # Remove: the program goes, the conffiles stay; purge: nothing stays.
        run(["dpkg", "--remove", PKG])
        self.assertFalse(os.path.exists("/usr/sbin/altod"))
        self.assertTrue(os.path.exists(CONF) and all(os.path.exists(m) for m in ALL_MAPS))
        if SYSTEMD_RUNNING:
            self.assertNotEqual(service_state("is-active"), "active")
        run(["dpkg", "--purge", PKG])
        self.assertFalse(dpkg_known())
        # Every path it shipped is gone, but for folders it shares with other
        # packages (/usr/sbin, /lib/systemd/system, ...); so are /etc/altod, the
        # unit's enablement and deb-systemd-helper's record of it.
        extra = ["/etc/altod", WANTS, os.path.join(DSH_STATE, "altod.service.dsh-also"),
                 os.path.join(DSH_STATE, "multi-user.target.wants", "altod.service")]
        left = [p for p in shipped + extra if os.path.lexists(p) and (not os.path.isdir(p) or "altod" in p)]
        self.assertEqual(left, [])
        self.assertIn("/usr/share/doc/altod/examples", shipped)

    def test_postinst_starts_only_after_the_check(self):
        """postinst's decision, with systemd running or not on this machine:
        its maintainer scripts run in a mount namespace where /run is a fresh
        tmpfs holding /run/systemd/system (so systemd seems to run), with
        systemctl, deb-systemd-invoke and deb-systemd-helper replaced by stubs
        that record their arguments."""
        if run(["unshare", "-m", "true"], check=False).returncode != 0:
            self.skipTest("unshare -m is not permitted here")
        run(["dpkg", "-i", self.deb])
        self.addCleanup(run, ["dpkg", "--purge", PKG], check=False)
        ctl = os.path.join(self.tmp, "control")
        stubs = os.path.join(self.tmp, "stubs")
        calls = os.path.join(self.tmp, "calls")
        run(["dpkg-deb", "--control", self.deb, ctl])
        os.makedirs(stubs, exist_ok=True)
        for name in ("systemctl", "deb-systemd-invoke", "deb-systemd-helper"):
            with open(os.path.join(stubs, name), "w") as f:
                f.write('#!/bin/sh\necho "%s $*" >> %s\n' % (name, calls))
            os.chmod(os.path.join(stubs, name), 0o755)

        def script(name, *args):
            open(calls, "w").close()
            p = run(["unshare", "-m", "sh", "-c", 'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system && '
                     'PATH=%s:$PATH exec sh "$@"' % stubs, "sh", os.path.join(ctl, name)] + list(args))
            with open(calls) as f:
                return p.stdout, [c for c in f.read().splitlines() if not c.startswith("deb-systemd-helper ")]

        out, invoked = script("postinst", "configure", "")  # a first installation
        self.assertEqual(invoked, ["systemctl --system daemon-reload", "deb-systemd-invoke start altod.service"], out)
        out, invoked = script("postinst", "configure", "0.1.0")  # an upgrade
        self.assertEqual(invoked, ["systemctl --system daemon-reload", "deb-systemd-invoke restart altod.service"], out)
        with open(CONF) as f:
            line = len(f.read().splitlines()) + 1
        with open(CONF, "a") as f:
            f.write("no-such-key: 1\n")
        for previous in ("", "0.1.0"):
            out, invoked = script("postinst", "configure", previous)
            self.assertEqual(invoked, [], out)
            self.assertIn("altod: %s does not pass altod -t; altod.service was not (re)started" % CONF, out)
            self.assertIn("%s:%d:1: unknown key 'no-such-key'" % (CONF, line), out)
        out, invoked = script("prerm", "upgrade", "0.1.0")
        self.assertEqual(invoked, [], out)
        out, invoked = script("prerm", "remove")
        self.assertEqual(invoked, ["deb-systemd-invoke stop altod.service"], out)


if __name__ == "__main__":
    unittest.main()

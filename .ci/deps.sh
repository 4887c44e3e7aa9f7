#!/bin/sh
# Installs what altod needs to build and test, from Debian's packages.
# Runs apt-get only when something is missing (as root, or through sudo).
set -eu
# build: compiler, CMake, the libraries (and zlib for precompressed maps); tests: Check, Python, openssl
# (test certificates), haproxy (replicas and health check tests), prometheus
# (a real Prometheus server scrapes altod, and promtool checks the exposition
# and the documented alert rules), systemd + man-db (systemd-analyze verify
# of the unit), dpkg-dev + debhelper + lintian (test_debian_package builds
# debian/ and checks it), python3-jsonpatch (the TIPS and SSE followers apply
# RFC 6902 patches with independent code)
pkgs="gcc make cmake pkg-config libmicrohttpd-dev libjansson-dev libyaml-dev libgnutls28-dev zlib1g-dev check python3 python3-jsonpatch openssl haproxy prometheus systemd man-db dpkg-dev debhelper lintian"
# --ci adds what the CI jobs beyond the tests need: clang (libFuzzer),
# clang-tidy, cppcheck, clang-format, valgrind
[ "${1:-}" = "--ci" ] && pkgs="$pkgs clang libclang-rt-dev clang-tidy cppcheck clang-format valgrind"
missing=""
for p in $pkgs; do
	# "triggers-pending" / "triggers-awaited": installed, while another
	# dpkg run processes its triggers
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -Eq "install ok (installed|triggers-pending|triggers-awaited)" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	apt-get update -qq
	# waits for another apt or dpkg run to finish rather than failing
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 $missing
else
	sudo apt-get update -qq
	sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 $missing
fi

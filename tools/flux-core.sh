#!/usr/bin/env bash
# Set up what the tests on real Flux brokers need: flux-core, built once into a
# cache, and the Debian packages those tests run (iproute2 and util-linux for
# the pods' namespaces, a DNS server for the pods' names, MPICH and Open MPI
# with their compilers, LAMMPS).
#
# Source: shared/flux-core/flux-core-<version>.tar.gz beside the project (a git
# archive of the public flux-framework/flux-core tag), or $FLUX_CORE_TARBALL.
# Prints the install prefix on its last line. Re-running is cheap: missing
# packages are installed and the build is skipped when the prefix already
# holds a working `flux`. Where it cannot (no root for apt-get, no source), it
# says why and prints nothing, and the tests on real brokers are skipped;
# under CI=true that is an error.
set -euo pipefail
version=0.88.0
here="$(cd "$(dirname "$0")/.." && pwd)"
tarball="${FLUX_CORE_TARBALL:-$here/../shared/flux-core/flux-core-$version.tar.gz}"
cache="${FLUX_CORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flux-minicluster}"
prefix="$cache/flux-core-$version"

#: What the tests run, and what the build needs besides.
run_packages=(iproute2 util-linux dnsmasq-base python3-cffi python3-ply python3-yaml lua5.1 lua-posix
    libzmq5 libjansson4 liblz4-1 libarchive13 libhwloc15 libsqlite3-0 libncursesw6 jq
    mpich libmpich-dev openmpi-bin libopenmpi-dev lammps)
build_packages=(autoconf automake libtool make pkg-config libzmq3-dev uuid-dev libjansson-dev liblz4-dev
    libarchive-dev libhwloc-dev libsqlite3-dev libncurses-dev liblua5.1-0-dev python3-dev python3-setuptools)

cannot() {
    echo "flux-core not set up: $1; the tests on real Flux brokers will be skipped" >&2
    if [ "${CI:-}" = true ]; then exit 1; fi
    exit 0
}

# Installs the packages named that are missing (root only).
install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || cannot "installing ${missing[*]} needs root"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

install_missing "${run_packages[@]}"
if [ -x "$prefix/bin/flux" ] && "$prefix/bin/flux" version >/dev/null 2>&1; then
    echo "$prefix"
    exit 0
fi
[ -r "$tarball" ] || cannot "no source at $tarball (set FLUX_CORE_TARBALL)"
install_missing "${build_packages[@]}"

mkdir -p "$cache"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
src="$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)"
(
    cd "$src"
    # Debian's python3 (with the python3-* packages above), not a venv's.
    export PATH="/usr/bin:$PATH" PYTHON=/usr/bin/python3 FLUX_VERSION="$version"
    ./autogen.sh
    ./configure --prefix="$prefix" --disable-docs
    make -j"$(nproc)"
    make install
) >"$cache-build.log" 2>&1 || { mkdir -p "$cache"; tail -n 40 "$cache-build.log" >&2; exit 1; }
echo "$prefix"

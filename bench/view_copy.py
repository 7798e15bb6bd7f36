"""What a broker pod copies before its broker starts: the Flux view, per setting.

    sudo python bench/view_copy.py [--runs 5]

Lays out a view image's ``/opt`` as the flux-views recipe builds it (``spack
install flux-sched flux-core libzmq`` into ``/opt/software``, ``spack gc``,
a view of links in ``/opt/views``), then runs the init container's script
that the builder generates, unmodified, in a private mount namespace where
that tree is ``/opt`` and a folder on disk is the pod's ``/mnt/flux``. Reports
the bytes and files copied and the seconds the script took (median, min and
max over ``--runs``, the settings alternating, each run after a ``sync``), for ``flux.viewCopy: all`` (everything, as the Flux
Operator copies), ``runtime`` (the default) and ``flux.viewImageVolume``
(nothing is copied; no init container runs).

The tree's sizes are estimates: the recipe's dependency closure, each package
as large as its Debian 12 counterpart's Installed-Size (runtime and ``-dev``
packages; Python's byte-compiled standard library counted twice), in files
of typical size. The page cache is left as it is: a node that has just
pulled the image has its files in memory too.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flux_minicluster.backends.native.entrypoint import init_script  # noqa: E402
from flux_minicluster.broker import fluxfacts  # noqa: E402

KIB = 1024
#: (package, folder inside its prefix, KiB, typical file size in KiB): the
#: recipe's closure after ``spack gc``, sized from Debian 12's packages.
LAYOUT: tuple[tuple[str, str, int, int], ...] = (
    ("boost-1.83.0", "include/boost", 154_611, 12),  # libboost1.81-dev
    ("boost-1.83.0", "lib", 9_449, 600),  # graph, filesystem, regex, system
    ("python-3.11.9", "lib/python3.11", 2 * (8_334 + 5_232), 8),  # stdlib and its .pyc
    ("python-3.11.9", "lib/python3.11/test", 24_858, 10),  # libpython3.11-testsuite
    ("python-3.11.9", "include/python3.11", 1_300, 8),
    ("python-3.11.9", "lib/config", 24_466, 24_466),  # libpython3.11.a
    ("python-3.11.9", "lib", 7_626, 7_626),  # libpython3.11.so
    ("openssl-3.1.3", "include/openssl", 2_000, 10),
    ("openssl-3.1.3", "lib", 6_042 + 10_206, 3_000),  # shared, and static libraries
    ("icu4c-74.1", "include/unicode", 11_614, 20),
    ("icu4c-74.1", "lib", 36_170, 6_000),
    ("sqlite-3.43.2", "lib", 1_682 + 2_900, 1_500),
    ("libxml2-2.10.3", "lib", 1_867 + 2_800, 1_500),
    ("hwloc-2.9.1", "lib", 385 + 900, 400),
    ("libzmq-4.3.4", "lib", 808 + 2_400, 800),
    ("czmq-4.2.1", "lib", 525 + 1_700, 500),
    ("lua-5.4.6", "lib", 545 + 900, 500),
    ("libarchive-3.7.1", "lib", 865 + 1_900, 800),
    ("yaml-cpp-0.7.0", "lib", 361 + 900, 400),
    ("ncurses-6.4", "lib", 412 + 2_000, 300),
    ("flux-core-0.88.0", "lib", 63_000, 700),  # this repository's flux-core build
    ("flux-core-0.88.0", "libexec/flux", 9_300, 200),
    ("flux-core-0.88.0", "include/flux", 420, 8),
    ("flux-sched-0.44.0", "lib", 30_000, 1_000),
    ("py-cffi-1.16.0", "lib/python3.11/site-packages", 407, 20),
    ("py-pyyaml-6.0.1", "lib/python3.11/site-packages", 493, 20),
    ("py-jsonschema-4.17.3", "lib/python3.11/site-packages", 491, 10),
    ("flux-core-0.88.0", "share/man/man1", 800, 8),
)
ARCH = "linux-ubuntu24.04-x86_64"
TIMEOUT_SECONDS = 600


def lay_out(opt: Path) -> None:
    """A view image's /opt: packages under software/, and a view of links to their files."""
    view = opt / "views" / "._view" / "bench"
    view.mkdir(parents=True)
    chunk = os.urandom(KIB) * 64
    for index, (package, folder, kib, file_kib) in enumerate(LAYOUT):
        prefix = opt / "software" / ARCH / f"{package}-bench"
        target = prefix / folder
        target.mkdir(parents=True, exist_ok=True)
        (prefix / ".spack").mkdir(exist_ok=True)
        count = max(1, kib // file_kib)
        size = kib * KIB // count
        suffix = ".a" if folder == "lib/config" or (package.startswith("openssl") and folder == "lib") else ".so"
        for number in range(count):
            name = f"f{index}-{number}{'.h' if 'include' in folder else suffix}"
            with open(target / name, "wb") as out:
                left = size
                while left > 0:
                    out.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
            linked = view / folder / name
            linked.parent.mkdir(parents=True, exist_ok=True)
            linked.symlink_to(Path("/opt/software") / ARCH / f"{package}-bench" / folder / name)


def tree_size(folder: Path) -> tuple[int, int]:
    """Bytes and regular files under ``folder`` (links not followed)."""
    total = files = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            files += 1
    return total, files


def copy_once(opt: Path, work: Path, copy: str) -> tuple[float, int, int]:
    """Run the init script for ``copy`` once; its seconds, and bytes and files copied."""
    pod = work / f"pod-{copy}"
    flux = pod / "mnt" / "flux"
    flux.mkdir(parents=True)
    script = work / "init.sh"
    script.write_text(init_script(copy))
    inside = (
        "set -e\n"
        f"mount --bind {shlex.quote(str(opt))} /opt\n"
        f"mount --bind {shlex.quote(str(pod / 'mnt'))} /mnt\n"
        f"exec /bin/sh {shlex.quote(str(script))}\n"
    )
    # Earlier runs' writes are flushed first, so that each run pays only for its own.
    subprocess.run(["sync"], check=True)
    started = time.monotonic()
    subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", inside],
        check=True,
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
    )
    seconds = time.monotonic() - started
    size, files = tree_size(flux / fluxfacts.FLUX_SOFTWARE_ROOT.rsplit("/", 1)[1])
    subprocess.run(["rm", "-rf", str(pod)], check=True)
    return seconds, size, files


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("needs root (a private mount namespace)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="view-copy-", dir="/var/tmp") as folder:
        work = Path(folder)
        opt = work / "opt"
        lay_out(opt)
        image_bytes, image_files = tree_size(opt / "software")
        timings: dict[str, list[float]] = {"all": [], "runtime": []}
        copied: dict[str, tuple[int, int]] = {}
        for _ in range(args.runs):
            # Alternating, so that both settings meet the same state of the disk.
            for copy in timings:
                seconds, size, files = copy_once(opt, work, copy)
                timings[copy].append(seconds)
                copied[copy] = (size, files)
        rows = [
            f"| `viewCopy: {copy}` | {copied[copy][0] / KIB / KIB:,.0f} MiB | {copied[copy][1]:,} | {spread(times)} |"
            for copy, times in timings.items()
        ]
        rows.append("| `viewImageVolume: true` | 0 MiB | 0 | no init container |")
    print(f"View image software tree: {image_bytes / KIB / KIB:,.0f} MiB in {image_files:,} files\n")
    print("| pod start | copied | files | seconds, median (min-max) |")
    print("| --- | --- | --- | --- |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

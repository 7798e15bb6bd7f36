"""Boot disk types each machine series takes.

Sources: Compute Engine "Machine series support for Persistent Disk" and
"Machine series support for Hyperdisk" (disks/persistent-disks,
disks/hyperdisks), and GKE "Boot disk types" (node pool boot disks may be
pd-standard, pd-balanced, pd-ssd or hyperdisk-balanced). The newest series
(C4D, H4D, A3 Ultra, A4) take Hyperdisk only; C3, C3D, H3 and G2 take no
standard persistent disk.
"""

from __future__ import annotations

#: Boot disk types GKE node pools can use.
BOOT_DISK_TYPES = ("pd-standard", "pd-balanced", "pd-ssd", "hyperdisk-balanced")

_PD = ("pd-standard", "pd-balanced", "pd-ssd")

#: Boot disk types by series (``family-kind``), or by family when every series agrees.
_BY_SERIES: dict[str, tuple[str, ...]] = {
    "n1": _PD,
    "e2": _PD,
    "n2": _PD,
    "n2d": _PD,
    "t2d": _PD,
    "t2a": _PD,
    "c2": _PD,
    "c2d": _PD,
    "c3": ("pd-balanced", "pd-ssd", "hyperdisk-balanced"),
    "c3d": ("pd-balanced", "pd-ssd", "hyperdisk-balanced"),
    "c4d": ("hyperdisk-balanced",),
    "h3": ("pd-balanced", "hyperdisk-balanced"),
    "h4d": ("hyperdisk-balanced",),
    "a2": _PD,
    "a3-highgpu": ("pd-balanced", "pd-ssd", "hyperdisk-balanced"),
    "a3-megagpu": ("pd-balanced", "pd-ssd", "hyperdisk-balanced"),
    "a3-ultragpu": ("hyperdisk-balanced",),
    "a4": ("hyperdisk-balanced",),
    "g2": ("pd-balanced", "pd-ssd"),
    # f1-micro and g1-small are N1 machines under older names.
    "f1": _PD,
    "g1": _PD,
}

#: What a pool gets when it names no disk type: GKE's own default where the
#: series takes it, else the series' Hyperdisk.
_PREFERRED = ("pd-balanced", "hyperdisk-balanced")


def boot_disk_types(series: str) -> tuple[str, ...]:
    """Boot disk types of a series such as ``c3d-highmem``; all of them when unknown."""
    family = series.split("-", 1)[0]
    return _BY_SERIES.get(series) or _BY_SERIES.get(family) or BOOT_DISK_TYPES


def default_boot_disk_type(series: str) -> str:
    allowed = boot_disk_types(series)
    return next(disk for disk in _PREFERRED if disk in allowed)

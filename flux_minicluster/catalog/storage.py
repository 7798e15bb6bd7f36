"""The storage classes GKE ships, what access modes they give and their smallest size.

Sources: GKE "Persistent volumes and dynamic provisioning" (standard,
standard-rwo, premium-rwo: Compute Engine persistent disks, which attach
read-write to one node: ReadWriteOnce, ReadOnlyMany and ReadWriteOncePod, never
ReadWriteMany) and GKE "Access Filestore instances with the Filestore CSI
driver" (standard-rwx: Basic HDD, premium-rwx: Basic SSD, enterprise-rwx:
Enterprise, zonal-rwx: Zonal; all access modes; Basic HDD, Enterprise and
Zonal start at 1 TiB, Basic SSD at 2.5 TiB; the persistent disk CSI driver
rounds a smaller request up to the disk's minimum).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .quantities import GIB


@dataclass(frozen=True)
class StorageClass:
    access_modes: frozenset[str]
    #: Smallest claim the class provisions; None where the driver rounds a
    #: small request up (persistent disks) instead of failing.
    min_bytes: Fraction | None = None
    min_text: str = ""


_DISK_MODES = frozenset({"ReadWriteOnce", "ReadOnlyMany", "ReadWriteOncePod"})
_FILESTORE_MODES = _DISK_MODES | {"ReadWriteMany"}
_TIB = Fraction(1024 * GIB)

#: Classes a GKE cluster has when its drivers are enabled; a cluster may add others.
GKE_STORAGE_CLASSES: dict[str, StorageClass] = {
    "standard": StorageClass(_DISK_MODES),
    "standard-rwo": StorageClass(_DISK_MODES),
    "premium-rwo": StorageClass(_DISK_MODES),
    "standard-rwx": StorageClass(_FILESTORE_MODES, _TIB, "1Ti"),
    "premium-rwx": StorageClass(_FILESTORE_MODES, _TIB * Fraction(5, 2), "2560Gi"),
    "enterprise-rwx": StorageClass(_FILESTORE_MODES, _TIB, "1Ti"),
    "zonal-rwx": StorageClass(_FILESTORE_MODES, _TIB, "1Ti"),
}

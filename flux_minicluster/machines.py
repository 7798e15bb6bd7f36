"""What this package knows about Compute Engine machine types, in one table.

A reader who asks "does c3 support compact placement?" or "which GPU comes
with a3-highgpu-8g?" finds the answer here and nowhere else. Sources: the GKE
pages on compact placement, GPUs and network bandwidth tiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: GPUs that can be attached to N1 machines (any count the user names).
N1_ATTACHABLE_GPUS = frozenset({"nvidia-tesla-t4", "nvidia-tesla-v100", "nvidia-tesla-p100", "nvidia-tesla-p4"})

#: Machine types that share a physical core: SMT cannot be configured.
SHARED_CORE_TYPES = frozenset({"e2-micro", "e2-small", "e2-medium", "f1-micro", "g1-small"})

#: Families whose threads per core are fixed by the hardware.
FIXED_SMT_FAMILIES = frozenset({"t2d", "t2a"})

#: Families GKE allows in a COMPACT placement policy.
COMPACT_FAMILIES = frozenset({"c2", "c2d", "c3", "c3d", "c4d", "h3", "h4d", "n2", "n2d", "a2", "a3", "a4", "g2"})

#: Series that GKE steers to a named workload policy for compact placement
#: (A3 High and later, H4D): a bare ``type: COMPACT`` is not enough.
WORKLOAD_POLICY_SERIES = frozenset(
    {"a3-highgpu", "a3-megagpu", "a3-ultragpu", "a4-highgpu", "h4d-highmem", "h4d-standard"}
)

#: Families that can use TIER_1 egress bandwidth (with gVNIC and >= 30 vCPUs).
TIER_1_FAMILIES = frozenset({"n2", "n2d", "c2", "c2d", "c3"})
TIER_1_MIN_VCPUS = 30

#: Accelerator that comes built into each GPU machine series.
BUILT_IN_GPU = {
    "a2-highgpu": "nvidia-tesla-a100",
    "a2-megagpu": "nvidia-tesla-a100",
    "a2-ultragpu": "nvidia-a100-80gb",
    "a3-highgpu": "nvidia-h100-80gb",
    "a3-megagpu": "nvidia-h100-mega-80gb",
    "a3-ultragpu": "nvidia-h200-141gb",
    "a4-highgpu": "nvidia-b200",
    "g2-standard": "nvidia-l4",
}

#: vCPUs per GPU for the series whose names count GPUs (``a2-highgpu-4g``).
VCPUS_PER_GPU = {
    "a2-highgpu": 12,
    "a2-megagpu": 6,
    "a2-ultragpu": 12,
    "a3-highgpu": 26,
    "a3-megagpu": 26,
    "a3-ultragpu": 28,
    "a4-highgpu": 28,
}

#: G2 names count vCPUs; the number of L4 GPUs follows from it.
G2_GPUS_BY_VCPUS = {4: 1, 8: 1, 12: 1, 16: 1, 24: 2, 32: 1, 48: 4, 96: 8}

_MACHINE_TYPE = re.compile(r"^(?P<family>[a-z][a-z0-9]*)-(?P<kind>[a-z]+)(?:-(?P<size>\d+)(?P<gpus>g)?)?(?:-lssd)?$")


@dataclass(frozen=True)
class MachineType:
    """One machine type, with what GKE allows for it."""

    name: str
    family: str
    series: str
    vcpus: int | None
    built_in_gpu: str | None
    built_in_gpu_count: int

    @property
    def shared_core(self) -> bool:
        return self.name in SHARED_CORE_TYPES

    @property
    def smt_configurable(self) -> bool:
        return not self.shared_core and self.family not in FIXED_SMT_FAMILIES

    @property
    def supports_compact_placement(self) -> bool:
        return self.family in COMPACT_FAMILIES

    @property
    def compact_needs_workload_policy(self) -> bool:
        return self.series in WORKLOAD_POLICY_SERIES

    @property
    def supports_tier_1(self) -> bool:
        return self.family in TIER_1_FAMILIES and (self.vcpus or 0) >= TIER_1_MIN_VCPUS

    @property
    def attachable_gpus(self) -> frozenset[str]:
        """GPUs a user may attach by name; built-in GPUs are listed too."""
        if self.built_in_gpu:
            return frozenset({self.built_in_gpu})
        if self.family == "n1":
            return N1_ATTACHABLE_GPUS
        return frozenset()


def parse_machine_type(name: str) -> MachineType:
    """Split a machine type name into family, series, vCPUs and built-in GPUs.

    Raises ``ValueError`` for a name that is not of the ``family-kind[-size]``
    form Compute Engine uses.
    """
    match = _MACHINE_TYPE.match(name)
    if not match:
        raise ValueError(
            f"{name!r} is not a Compute Engine machine type (expected family-kind-size, for example c2d-standard-112)"
        )
    family, kind = match["family"], match["kind"]
    series = f"{family}-{kind}"
    size = int(match["size"]) if match["size"] else None
    gpu = BUILT_IN_GPU.get(series)
    gpu_count = 0
    vcpus: int | None = size
    if match["gpus"]:
        if series not in VCPUS_PER_GPU:
            raise ValueError(f"{name!r}: unknown GPU machine series {series!r}")
        gpu_count = size or 0
        vcpus = gpu_count * VCPUS_PER_GPU[series]
    elif series == "g2-standard":
        if size not in G2_GPUS_BY_VCPUS:
            raise ValueError(f"{name!r}: g2-standard comes in {sorted(G2_GPUS_BY_VCPUS)} vCPUs")
        gpu_count = G2_GPUS_BY_VCPUS[size]
    elif gpu is not None:
        raise ValueError(f"{name!r}: {series} machine types end in the GPU count, as in {series}-8g")
    return MachineType(
        name=name,
        family=family,
        series=series,
        vcpus=vcpus,
        built_in_gpu=gpu,
        built_in_gpu_count=gpu_count,
    )

"""Every Compute Engine machine type this package knows, with what GKE allows for it.

A reader who asks "how many vCPUs has c3d-highmem-30?", "which GPU comes with
a3-highgpu-8g?" or "can c4d nodes be compact-placed?" finds the answer here.

Sources (Compute Engine documentation, machine resource pages):
- general-purpose-machines: N1, E2, N2, N2D, Tau T2D, Tau T2A (sizes and GB per vCPU);
- compute-optimized-machines: C2, C2D, H3, H4D;
- general-purpose-machines#c3_series, #c3d_series, #c4d_series: C3, C3D, C4D;
- accelerator-optimized-machines: A2, A3, A4, G2 (vCPUs, memory, GPUs);
- "Set the number of threads per core" (instances/set-threads-per-core),
  Limitations: not on T2D, T2A, H3 or H4D (these run one thread per core),
  not on shared-core machines, not below 2 vCPUs;
- GKE "Define compact placement for GKE nodes": the families, one zone, at
  most 1,500 nodes per policy (the current page; older pages said 150 VMs),
  and workload policies for A3 High and later, A4 and H4D;
- GKE/Compute Engine "Tier_1 networking": N2, N2D, C2, C2D, C3 with gVNIC
  and at least 30 vCPUs.
Memory is in GB as Compute Engine prints it, which are GiB (2**30 bytes).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from . import disks


@dataclass(frozen=True)
class Shape:
    """One machine type's hardware: vCPUs, memory in GiB, built-in GPUs."""

    vcpus: int
    memory_gib: Fraction
    gpus: int = 0


def _per_vcpu(series: str, sizes: Iterable[int], gib_per_vcpu: str, suffix: str = "") -> dict[str, Shape]:
    return {f"{series}-{size}{suffix}": Shape(size, Fraction(gib_per_vcpu) * size) for size in sizes}


def _per_gpu(series: str, counts: Iterable[int], vcpus_per_gpu: int, gib_per_gpu: int) -> dict[str, Shape]:
    return {f"{series}-{n}g": Shape(vcpus_per_gpu * n, Fraction(gib_per_gpu * n), n) for n in counts}


_N1_SIZES = (1, 2, 4, 8, 16, 32, 64, 96)
_N2_SIZES = (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)
_N2D_SIZES = (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)
_C2D_SIZES = (2, 4, 8, 16, 32, 56, 112)
_C3_SIZES = (4, 8, 22, 44, 88, 176)
_C3D_SIZES = (4, 8, 16, 30, 60, 90, 180, 360)
_C4D_SIZES = (2, 4, 8, 16, 32, 48, 64, 96, 192, 384)
# G2: vCPUs -> L4 GPUs (accelerator-optimized-machines#g2-vms).
_G2_GPUS = {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8}

#: Every machine type by name.
MACHINE_TYPES: dict[str, Shape] = {
    # N1 (general-purpose-machines#n1_machines); f1-micro and g1-small share a core.
    **_per_vcpu("n1-standard", _N1_SIZES, "3.75"),
    **_per_vcpu("n1-highmem", _N1_SIZES[1:], "6.5"),
    **_per_vcpu("n1-highcpu", _N1_SIZES[1:], "0.9"),
    "f1-micro": Shape(1, Fraction("0.6")),
    "g1-small": Shape(1, Fraction("1.7")),
    # E2 (general-purpose-machines#e2_machine_types); micro/small/medium share cores.
    **_per_vcpu("e2-standard", (2, 4, 8, 16, 32), "4"),
    **_per_vcpu("e2-highmem", (2, 4, 8, 16), "8"),
    **_per_vcpu("e2-highcpu", (2, 4, 8, 16, 32), "1"),
    "e2-micro": Shape(2, Fraction(1)),
    "e2-small": Shape(2, Fraction(2)),
    "e2-medium": Shape(2, Fraction(4)),
    # N2 (general-purpose-machines#n2_machines).
    **_per_vcpu("n2-standard", _N2_SIZES, "4"),
    **_per_vcpu("n2-highmem", _N2_SIZES, "8"),
    **_per_vcpu("n2-highcpu", _N2_SIZES[:-1], "1"),
    # N2D (general-purpose-machines#n2d_machines).
    **_per_vcpu("n2d-standard", _N2D_SIZES, "4"),
    **_per_vcpu("n2d-highmem", _N2D_SIZES[:-2], "8"),
    **_per_vcpu("n2d-highcpu", _N2D_SIZES, "1"),
    # Tau T2D and T2A (general-purpose-machines#t2d_machines, #t2a_machines).
    **_per_vcpu("t2d-standard", (1, 2, 4, 8, 16, 32, 48, 60), "4"),
    **_per_vcpu("t2a-standard", (1, 2, 4, 8, 16, 32, 48), "4"),
    # C2 (compute-optimized-machines#c2_machine_types).
    **_per_vcpu("c2-standard", (4, 8, 16, 30, 60), "4"),
    # C2D (compute-optimized-machines#c2d_machine_types).
    **_per_vcpu("c2d-standard", _C2D_SIZES, "4"),
    **_per_vcpu("c2d-highcpu", _C2D_SIZES, "2"),
    **_per_vcpu("c2d-highmem", _C2D_SIZES, "8"),
    # C3 (general-purpose-machines#c3_series); -lssd adds local SSD, same shape.
    **_per_vcpu("c3-standard", _C3_SIZES, "4"),
    **_per_vcpu("c3-standard", _C3_SIZES, "4", "-lssd"),
    **_per_vcpu("c3-highcpu", _C3_SIZES, "2"),
    **_per_vcpu("c3-highmem", _C3_SIZES, "8"),
    # C3D (general-purpose-machines#c3d_series); no 4-vCPU -lssd shape.
    **_per_vcpu("c3d-standard", _C3D_SIZES, "4"),
    **_per_vcpu("c3d-standard", _C3D_SIZES[1:], "4", "-lssd"),
    **_per_vcpu("c3d-highcpu", _C3D_SIZES, "2"),
    **_per_vcpu("c3d-highmem", _C3D_SIZES, "8"),
    **_per_vcpu("c3d-highmem", _C3D_SIZES[1:], "8", "-lssd"),
    # C4D (general-purpose-machines#c4d_series); -lssd from 8 vCPUs.
    **_per_vcpu("c4d-standard", _C4D_SIZES, "3.875"),
    **_per_vcpu("c4d-standard", _C4D_SIZES[2:], "3.875", "-lssd"),
    **_per_vcpu("c4d-highcpu", _C4D_SIZES, "1.875"),
    **_per_vcpu("c4d-highmem", _C4D_SIZES, "7.75"),
    **_per_vcpu("c4d-highmem", _C4D_SIZES[2:], "7.75", "-lssd"),
    # H3 and H4D (compute-optimized-machines#h3_series, #h4d_series): one thread per core.
    "h3-standard-88": Shape(88, Fraction(352)),
    "h4d-standard-192": Shape(192, Fraction(720)),
    "h4d-highmem-192": Shape(192, Fraction(1488)),
    "h4d-highmem-192-lssd": Shape(192, Fraction(1488)),
    # A2 (accelerator-optimized-machines#a2-vms): A100 40GB, 12 vCPUs and 85 GB per GPU.
    **_per_gpu("a2-highgpu", (1, 2, 4, 8), 12, 85),
    "a2-megagpu-16g": Shape(96, Fraction(1360), 16),
    **_per_gpu("a2-ultragpu", (1, 2, 4, 8), 12, 170),
    # A3 (accelerator-optimized-machines#a3-vms): 1g-4g High shapes exist for
    # Spot and flex-start; Mega, Ultra and A4 come with 8 GPUs only.
    **_per_gpu("a3-highgpu", (1, 2, 4, 8), 26, 234),
    "a3-megagpu-8g": Shape(208, Fraction(1872), 8),
    "a3-ultragpu-8g": Shape(224, Fraction(2952), 8),
    "a4-highgpu-8g": Shape(224, Fraction(3968), 8),
    # G2 (accelerator-optimized-machines#g2-vms): 4 GB per vCPU.
    **{f"g2-standard-{v}": Shape(v, Fraction(4 * v), gpus) for v, gpus in _G2_GPUS.items()},
}

#: Accelerator built into each GPU machine series (GKE "About GPUs", machine tables).
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

#: Machine types that share a physical core.
SHARED_CORE_TYPES = frozenset({"e2-micro", "e2-small", "e2-medium", "f1-micro", "g1-small"})

#: Hardware threads per core when SMT is left as the machine has it.
NATIVE_THREADS_PER_CORE = {"h3": 1, "h4d": 1, "t2d": 1, "t2a": 1}

#: Families whose threads per core cannot be set.
FIXED_SMT_FAMILIES = frozenset({"t2d", "t2a", "h3", "h4d"})

#: Families GKE allows in a COMPACT placement policy.
COMPACT_FAMILIES = frozenset({"c2", "c2d", "c3", "c3d", "c4d", "h3", "h4d", "n2", "n2d", "a2", "a3", "a4", "g2"})

#: Nodes one compact placement policy holds (current GKE page; older pages: 150).
COMPACT_PLACEMENT_MAX_NODES = 1500

#: Series that GKE steers to a named workload policy for compact placement.
WORKLOAD_POLICY_SERIES = frozenset(
    {"a3-highgpu", "a3-megagpu", "a3-ultragpu", "a4-highgpu", "h4d-highmem", "h4d-standard"}
)

#: Families that can use TIER_1 egress bandwidth, and the vCPUs they need.
TIER_1_FAMILIES = frozenset({"n2", "n2d", "c2", "c2d", "c3"})
TIER_1_MIN_VCPUS = 30

#: The fewest vCPUs a machine needs for its threads per core to be set.
SMT_MIN_VCPUS = 2


@dataclass(frozen=True)
class MachineType:
    """One machine type from the catalog, with what GKE allows for it."""

    name: str
    shape: Shape

    @property
    def family(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def series(self) -> str:
        """``family-kind``, for example ``c2d-standard`` or ``a3-highgpu``."""
        return "-".join(self.name.split("-", 2)[:2])

    @property
    def vcpus(self) -> int:
        return self.shape.vcpus

    @property
    def memory_gib(self) -> Fraction:
        return self.shape.memory_gib

    @property
    def built_in_gpu(self) -> str | None:
        return BUILT_IN_GPU.get(self.series)

    @property
    def built_in_gpu_count(self) -> int:
        return self.shape.gpus

    @property
    def shared_core(self) -> bool:
        return self.name in SHARED_CORE_TYPES

    @property
    def native_threads_per_core(self) -> int:
        return NATIVE_THREADS_PER_CORE.get(self.family, 2)

    @property
    def smt_configurable(self) -> bool:
        """Whether Compute Engine lets a VM of this type set its threads per core."""
        return not self.shared_core and self.family not in FIXED_SMT_FAMILIES and self.vcpus >= SMT_MIN_VCPUS

    def accepts_threads_per_core(self, threads: int) -> bool:
        """Settable, or what the machine runs anyway (one thread per core on H3)."""
        fixed_but_same = self.family in FIXED_SMT_FAMILIES and threads == self.native_threads_per_core
        return self.smt_configurable or fixed_but_same

    @property
    def smt_fixed_reason(self) -> str:
        """Why threads per core cannot be set (empty when they can)."""
        if self.shared_core:
            return "it is a shared-core machine"
        if self.vcpus < SMT_MIN_VCPUS:
            return f"it has fewer than {SMT_MIN_VCPUS} vCPUs"
        if self.family in FIXED_SMT_FAMILIES:
            return f"{self.family.upper()} machines run {self.native_threads_per_core} thread per core, fixed"
        return ""

    @property
    def supports_compact_placement(self) -> bool:
        return self.family in COMPACT_FAMILIES

    @property
    def compact_needs_workload_policy(self) -> bool:
        return self.series in WORKLOAD_POLICY_SERIES

    @property
    def supports_tier_1(self) -> bool:
        return self.family in TIER_1_FAMILIES and self.vcpus >= TIER_1_MIN_VCPUS

    @property
    def boot_disk_types(self) -> tuple[str, ...]:
        return disks.boot_disk_types(self.series)

    @property
    def default_boot_disk_type(self) -> str:
        return disks.default_boot_disk_type(self.series)

    @property
    def cores(self) -> int:
        """Physical cores: what Flux counts (hwloc cores), whatever the threads per core."""
        return self.vcpus // self.native_threads_per_core

    def node_cpus(self, threads_per_core: int | None) -> int:
        """CPUs the node's kubelet sees: turning SMT off halves a two-thread machine."""
        if threads_per_core is None or threads_per_core >= self.native_threads_per_core:
            return self.vcpus
        return self.vcpus * threads_per_core // self.native_threads_per_core


def machine_type(name: str) -> MachineType:
    """The catalog entry for ``name``; ``ValueError`` naming the nearest types otherwise."""
    shape = MACHINE_TYPES.get(name)
    if shape is None:
        near = difflib.get_close_matches(name, MACHINE_TYPES, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(near)}?" if near else " (for example c2d-standard-112)"
        raise ValueError(f"{name!r} is not a Compute Engine machine type this package knows{hint}")
    return MachineType(name, shape)

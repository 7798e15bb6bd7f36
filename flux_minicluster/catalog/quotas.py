"""The Compute Engine quotas a node pool consumes, by metric name and amount.

Sources: Compute Engine "Allocation quotas" (compute/resource-usage): CPU
quotas per machine family (N1 and E2 count against ``CPUS``; A2 has
``A2_CPUS``; A3, A4 and G2 vCPUs are not counted), GPU quotas per model with
``PREEMPTIBLE_`` forms for Spot VMs (Spot VMs use ``PREEMPTIBLE_CPUS`` where
the project has that quota, else the family's), the global
``CPUS_ALL_REGIONS`` and ``GPUS_ALL_REGIONS``, and disk quotas
(``SSD_TOTAL_GB`` for pd-balanced and pd-ssd, ``DISKS_TOTAL_GB`` for
pd-standard, ``HDB_TOTAL_GB`` for Hyperdisk Balanced, ``LOCAL_SSD_TOTAL_GB``
for Local SSD); the metric names as ``regions.get`` returns them. H100,
H200 and B200 GPUs are also governed by the Cloud Quotas "GPUs per GPU
family" quota (``GPUS-PER-GPU-FAMILY-per-project-region``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Families whose vCPUs count against ``CPUS``.
_GENERIC_CPUS = frozenset({"n1", "e2", "f1", "g1"})
#: Families whose vCPUs count against no CPU quota.
_UNCOUNTED_CPUS = frozenset({"a3", "a4", "g2"})
#: Each GPU's quota metric (the Spot form adds ``PREEMPTIBLE_``).
GPU_METRICS = {
    "nvidia-tesla-t4": "NVIDIA_T4_GPUS",
    "nvidia-tesla-v100": "NVIDIA_V100_GPUS",
    "nvidia-tesla-p100": "NVIDIA_P100_GPUS",
    "nvidia-tesla-p4": "NVIDIA_P4_GPUS",
    "nvidia-tesla-a100": "NVIDIA_A100_GPUS",
    "nvidia-a100-80gb": "NVIDIA_A100_80GB_GPUS",
    "nvidia-l4": "NVIDIA_L4_GPUS",
    "nvidia-h100-80gb": "NVIDIA_H100_GPUS",
    "nvidia-h100-mega-80gb": "NVIDIA_H100_MEGA_GPUS",
    "nvidia-h200-141gb": "NVIDIA_H200_GPUS",
    "nvidia-b200": "NVIDIA_B200_GPUS",
}
_DISK_METRICS = {
    "pd-standard": "DISKS_TOTAL_GB",
    "pd-balanced": "SSD_TOTAL_GB",
    "pd-ssd": "SSD_TOTAL_GB",
    "hyperdisk-balanced": "HDB_TOTAL_GB",
}


@dataclass(frozen=True)
class QuotaUse:
    """``amount`` of quota ``metric``, in the pool's region or (``global_``) the project's."""

    metric: str
    amount: int
    global_: bool = False
    #: What else may be counted instead (Spot VMs without preemptible quota).
    otherwise: str = ""

    def __str__(self) -> str:
        text = f"{self.metric} {self.amount:,}"
        return f"{text} (or {self.otherwise} without it)" if self.otherwise else text


def quota_uses(
    *,
    family: str,
    vcpus: int,
    nodes: int,
    spot: bool,
    gpu_type: str | None,
    gpus: int,
    disk_type: str,
    disk_gb: int,
    local_ssd_gb: int = 0,
) -> list[QuotaUse]:
    """What ``nodes`` machines of ``family`` take, per metric: regional first, then global."""
    uses: list[QuotaUse] = []
    cpus = vcpus * nodes
    if family not in _UNCOUNTED_CPUS:
        metric = "CPUS" if family in _GENERIC_CPUS else f"{family.upper()}_CPUS"
        uses.append(QuotaUse("PREEMPTIBLE_CPUS", cpus, otherwise=metric) if spot else QuotaUse(metric, cpus))
    if gpu_type is not None and gpus:
        metric = GPU_METRICS.get(gpu_type, f"{gpu_type.upper().replace('-', '_')}_GPUS")
        uses.append(QuotaUse(f"PREEMPTIBLE_{metric}" if spot else metric, gpus * nodes))
    disk_metric = _DISK_METRICS.get(disk_type)
    if disk_metric is not None:
        uses.append(QuotaUse(disk_metric, disk_gb * nodes))
    if local_ssd_gb:
        uses.append(QuotaUse("PREEMPTIBLE_LOCAL_SSD_GB" if spot else "LOCAL_SSD_TOTAL_GB", local_ssd_gb * nodes))
    uses.append(QuotaUse("INSTANCES", nodes))
    uses.append(QuotaUse("CPUS_ALL_REGIONS", cpus, global_=True))
    if gpu_type is not None and gpus:
        uses.append(QuotaUse("GPUS_ALL_REGIONS", gpus * nodes, global_=True))
    return uses

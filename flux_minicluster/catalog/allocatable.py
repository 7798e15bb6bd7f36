"""What a GKE node leaves to pods: its capacity less GKE's reservations.

Source: GKE "Plan GKE Standard node sizes", section "Resource reservations"
(cluster-architecture/plan-node-sizes). GKE reserves memory for the kubelet
and the system: 255 MiB on machines under 1 GiB, otherwise 25% of the first
4 GiB, 20% of the next 4 GiB, 10% of the next 8 GiB, 6% of the next 112 GiB
and 2% of everything above 128 GiB; plus 100 MiB for the eviction threshold.
It reserves CPU: 6% of the first core, 1% of the next, 0.5% of the next 2 and
0.25% of every core above 4.

The capacity used here is the machine's nominal memory; the kernel keeps a
little of it, so a real node has slightly less. Pods GKE itself runs on every
node (logging, networking) take their share too: the figures are an upper
bound, and a pod refused against them does not fit.
"""

from __future__ import annotations

from fractions import Fraction

from .quantities import GIB, MIB

# (size of the tier, fraction reserved); the last tier is unbounded.
_MEMORY_TIERS_GIB: tuple[tuple[int | None, Fraction], ...] = (
    (4, Fraction(25, 100)),
    (4, Fraction(20, 100)),
    (8, Fraction(10, 100)),
    (112, Fraction(6, 100)),
    (None, Fraction(2, 100)),
)
_SMALL_MACHINE_RESERVED = 255 * MIB
EVICTION_THRESHOLD = 100 * MIB

# (cores in the tier, fraction reserved); the last tier is unbounded.
_CPU_TIERS: tuple[tuple[int | None, Fraction], ...] = (
    (1, Fraction(6, 100)),
    (1, Fraction(1, 100)),
    (2, Fraction(5, 1000)),
    (None, Fraction(25, 10000)),
)


def _tiered(amount: Fraction, tiers: tuple[tuple[int | None, Fraction], ...], unit: int) -> Fraction:
    reserved, left = Fraction(0), amount
    for size, share in tiers:
        step = left if size is None else min(left, Fraction(size * unit))
        reserved += step * share
        left -= step
    return reserved


def reserved_memory(capacity_bytes: Fraction) -> Fraction:
    """Bytes GKE keeps for the kubelet and system, the eviction threshold excluded."""
    if capacity_bytes < GIB:
        return Fraction(_SMALL_MACHINE_RESERVED)
    return _tiered(capacity_bytes, _MEMORY_TIERS_GIB, GIB)


def allocatable_memory(capacity_bytes: Fraction) -> Fraction:
    return capacity_bytes - reserved_memory(capacity_bytes) - EVICTION_THRESHOLD


def reserved_cpu(cores: Fraction) -> Fraction:
    return _tiered(cores, _CPU_TIERS, 1)


def allocatable_cpu(cores: Fraction) -> Fraction:
    return cores - reserved_cpu(cores)

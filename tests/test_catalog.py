"""The catalog's facts, checked against figures from the documentation pages they come from."""

from __future__ import annotations

from fractions import Fraction

import pytest

from flux_minicluster.catalog import allocatable, disks, locations
from flux_minicluster.catalog.machines import MACHINE_TYPES, machine_type
from flux_minicluster.catalog.quantities import GIB, MIB, quantity_value

# Families the README names, with one type of each from its documentation page.
README_FAMILIES = {
    "c2": "c2-standard-60",
    "c2d": "c2d-standard-112",
    "c3": "c3-standard-176",
    "c3d": "c3d-highmem-360-lssd",
    "c4d": "c4d-standard-384",
    "h3": "h3-standard-88",
    "h4d": "h4d-highmem-192",
    "n2": "n2-highmem-128",
    "n2d": "n2d-standard-224",
    "a2": "a2-megagpu-16g",
    "a3": "a3-megagpu-8g",
    "a4": "a4-highgpu-8g",
    "g2": "g2-standard-96",
    "n1": "n1-standard-96",
    "e2": "e2-standard-32",
    "t2d": "t2d-standard-60",
    "t2a": "t2a-standard-48",
}


@pytest.mark.parametrize("family, name", sorted(README_FAMILIES.items()))
def test_every_family_the_readme_lists_is_in_the_catalog(family: str, name: str) -> None:
    assert machine_type(name).family == family


def test_unknown_size_is_refused_with_the_nearest_names() -> None:
    with pytest.raises(ValueError, match="c2d-standard-112") as caught:
        machine_type("c2d-standard-113")
    assert "did you mean" in str(caught.value)


def test_a_name_far_from_any_type_gets_an_example() -> None:
    with pytest.raises(ValueError, match="for example c2d-standard-112"):
        machine_type("big-fast-box")


@pytest.mark.parametrize(
    "name, vcpus, memory_gib, gpus",
    [
        # Figures as printed in the Compute Engine machine tables.
        ("n1-standard-1", 1, "3.75", 0),
        ("n1-highcpu-96", 96, "86.4", 0),
        ("e2-medium", 2, "4", 0),
        ("c2d-standard-112", 112, "448", 0),
        ("c2d-highcpu-56", 56, "112", 0),
        ("c3-highmem-176", 176, "1408", 0),
        ("c3d-standard-360-lssd", 360, "1440", 0),
        ("c4d-standard-2", 2, "7.75", 0),
        ("h3-standard-88", 88, "352", 0),
        ("a2-highgpu-8g", 96, "680", 8),
        ("a2-ultragpu-1g", 12, "170", 1),
        ("a3-highgpu-8g", 208, "1872", 8),
        ("a3-ultragpu-8g", 224, "2952", 8),
        ("g2-standard-24", 24, "96", 2),
        ("g2-standard-32", 32, "128", 1),
    ],
)
def test_shapes_match_the_machine_tables(name: str, vcpus: int, memory_gib: str, gpus: int) -> None:
    machine = machine_type(name)
    assert (machine.vcpus, machine.memory_gib, machine.built_in_gpu_count) == (vcpus, Fraction(memory_gib), gpus)


@pytest.mark.parametrize(
    "absent", ["n2-highcpu-128", "n2d-highmem-128", "c3d-standard-4-lssd", "a3-megagpu-4g", "g2-standard-20"]
)
def test_sizes_the_tables_do_not_list_are_absent(absent: str) -> None:
    assert absent not in MACHINE_TYPES


@pytest.mark.parametrize(
    "name, allowed",
    [
        ("c4d-standard-8", ("hyperdisk-balanced",)),
        ("h4d-highmem-192", ("hyperdisk-balanced",)),
        ("a3-ultragpu-8g", ("hyperdisk-balanced",)),
        ("a4-highgpu-8g", ("hyperdisk-balanced",)),
        ("a3-highgpu-8g", ("pd-balanced", "pd-ssd", "hyperdisk-balanced")),
        ("c2d-standard-112", ("pd-standard", "pd-balanced", "pd-ssd")),
        ("g2-standard-8", ("pd-balanced", "pd-ssd")),
    ],
)
def test_boot_disk_types_follow_the_series(name: str, allowed: tuple[str, ...]) -> None:
    assert machine_type(name).boot_disk_types == allowed


def test_default_boot_disk_is_pd_balanced_where_taken_else_hyperdisk() -> None:
    assert disks.default_boot_disk_type("c2d-standard") == "pd-balanced"
    assert disks.default_boot_disk_type("c4d-standard") == "hyperdisk-balanced"


@pytest.mark.parametrize(
    "name, threads, cpus",
    [("c2d-standard-112", 1, 56), ("c2d-standard-112", None, 112), ("h3-standard-88", 1, 88), ("n2-standard-2", 1, 1)],
)
def test_node_cpus_halve_only_when_smt_is_turned_off(name: str, threads: int | None, cpus: int) -> None:
    assert machine_type(name).node_cpus(threads) == cpus


def test_smt_settable_from_two_vcpus_not_on_shared_core_or_fixed_families() -> None:
    assert machine_type("n1-standard-2").smt_configurable
    assert not machine_type("n1-standard-1").smt_configurable
    assert not machine_type("e2-small").smt_configurable
    assert not machine_type("h4d-standard-192").smt_configurable


def test_gke_cpu_reservation_follows_the_documented_tiers() -> None:
    # 6% of core 1, 1% of core 2, 0.5% of cores 3-4, 0.25% of each core above 4.
    assert allocatable.reserved_cpu(Fraction(1)) == Fraction("0.06")
    assert allocatable.reserved_cpu(Fraction(4)) == Fraction("0.06") + Fraction("0.01") + 2 * Fraction("0.005")
    assert allocatable.reserved_cpu(Fraction(56)) == Fraction("0.08") + 52 * Fraction("0.0025")


def test_gke_memory_reservation_follows_the_documented_tiers() -> None:
    # 25% of 4 GiB, 20% of 4, 10% of 8, 6% of 112, 2% above 128.
    assert allocatable.reserved_memory(Fraction(4 * GIB)) == GIB
    assert allocatable.reserved_memory(Fraction(16 * GIB)) == Fraction("1.8") * GIB + Fraction("0.8") * GIB
    expected_448 = (Fraction("1") + Fraction("0.8") + Fraction("0.8") + Fraction("6.72") + Fraction("6.4")) * GIB
    assert allocatable.reserved_memory(Fraction(448 * GIB)) == expected_448
    assert allocatable.reserved_memory(Fraction(GIB // 2)) == 255 * MIB


def test_allocatable_memory_takes_the_eviction_threshold_too() -> None:
    assert allocatable.allocatable_memory(Fraction(4 * GIB)) == 3 * GIB - 100 * MIB


@pytest.mark.parametrize(
    "text, value",
    [("500m", Fraction(1, 2)), ("16Gi", 16 * GIB), ("1e3", 1000), ("2", 2), (4, 4), ("1E", 10**18), ("1.5k", 1500)],
)
def test_quantities_are_read_exactly(text: str | int, value: Fraction | int) -> None:
    assert quantity_value(text) == value


def test_cluster_ids_and_names_the_provider_reads() -> None:
    assert locations.parse_cluster("projects/p/locations/us-central1/clusters/hpc") == locations.ClusterRef(
        "hpc", "p", "us-central1"
    )
    assert locations.parse_cluster("hpc") == locations.ClusterRef("hpc")
    for bad in [
        "locations/us-central1/clusters/hpc",
        "p/us-central1/hpc",
        "HPC",
        "projects/p/locations/x/clusters/hpc",
    ]:
        with pytest.raises(ValueError):
            locations.parse_cluster(bad)

"""Validation rules of the spec, each with a bad input that must name its field."""

from __future__ import annotations

from typing import Any

import pytest

from flux_minicluster import SpecError, load_spec
from flux_minicluster.spec import Toleration
from flux_minicluster.stackfile.validation import spec_from_config


def problems(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SpecError) as caught:
        load_spec(config)
    return {p.path: p.message for p in caught.value.problems}


def test_valid_config_fills_visible_defaults(cpu_config: dict[str, Any]) -> None:
    spec = load_spec(cpu_config)
    mc = spec.mini_cluster
    # Nothing defaults to size but maxSize: a size change leaves the rest as it was.
    assert (mc.max_size, mc.min_size, mc.tasks, mc.headless_name) == (4, 1, None, "lammps")
    assert mc.effective_tasks == 4 and mc.backend == "native"
    assert mc.containers[0].name == "lammps" and mc.containers[0].run_flux
    assert spec.node_pool is not None and spec.node_pool.name == "lammps-pool"
    assert spec.node_pool.threads_per_core == 1 and spec.node_pool.compact_placement


def test_compact_placement_needs_single_zone(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["zones"] = ["us-central1-a", "us-central1-b"]
    assert "single zone" in problems(cpu_config)["nodePool.zones"]


def test_compact_placement_off_allows_several_zones(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(zones=["us-central1-a", "us-central1-b"], compactPlacement=False)
    pool = load_spec(cpu_config).node_pool
    assert pool is not None and pool.zones == ["us-central1-a", "us-central1-b"] and not pool.compact_placement


def test_compact_placement_needs_a_supporting_family(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["machineType"] = "e2-standard-32"
    assert "compact placement is not available for the e2" in problems(cpu_config)["nodePool.machineType"]


def test_placement_policy_needs_compact_placement(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(compactPlacement=False, placementPolicyName="p")
    assert "nodePool.placementPolicyName" in problems(cpu_config)


def test_tier1_needs_gvnic(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(egressBandwidthTier="TIER_1", gvnic=False)
    assert "gvnic" in problems(cpu_config)["nodePool.egressBandwidthTier"]


def test_tier1_needs_30_vcpus(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(egressBandwidthTier="TIER_1", machineType="c2-standard-16")
    assert "30 vCPUs" in problems(cpu_config)["nodePool.egressBandwidthTier"]


def test_tier1_accepted_on_large_c2d(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["egressBandwidthTier"] = "TIER_1"
    pool = load_spec(cpu_config).node_pool
    assert pool is not None and (pool.machine_type, pool.egress_bandwidth_tier) == ("c2d-standard-112", "TIER_1")


def test_gvnic_needs_cos_image(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["imageType"] = "UBUNTU_CONTAINERD"
    assert "COS" in problems(cpu_config)["nodePool.imageType"]


def test_threads_per_core_not_on_shared_core(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="e2-small", compactPlacement=False)
    assert "shared-core" in problems(cpu_config)["nodePool.threadsPerCore"]


def test_threads_per_core_two_refused_on_t2d(cpu_config: dict[str, Any]) -> None:
    # Compute Engine "Set the number of threads per core": not on Tau T2D.
    cpu_config["nodePool"].update(machineType="t2d-standard-8", compactPlacement=False, threadsPerCore=2)
    assert "T2D machines run 1 thread per core" in problems(cpu_config)["nodePool.threadsPerCore"]


def test_gpu_type_and_count_derived_for_gpu_machines(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="a2-highgpu-4g")
    pool = load_spec(cpu_config).node_pool
    assert pool is not None
    assert (pool.gpu_type, pool.gpu_count) == ("nvidia-tesla-a100", 4)


@pytest.mark.parametrize(
    ("machine", "gpu", "count"),
    [
        ("a2-ultragpu-8g", "nvidia-a100-80gb", 8),
        ("a2-megagpu-16g", "nvidia-tesla-a100", 16),
        ("g2-standard-48", "nvidia-l4", 4),
        ("g2-standard-8", "nvidia-l4", 1),
    ],
)
def test_gpu_machine_table(cpu_config: dict[str, Any], machine: str, gpu: str, count: int) -> None:
    cpu_config["nodePool"]["machineType"] = machine
    pool = load_spec(cpu_config).node_pool
    assert pool is not None and (pool.gpu_type, pool.gpu_count) == (gpu, count)


def test_gpu_type_must_belong_to_family(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="g2-standard-8", gpu={"type": "nvidia-h100-80gb"})
    assert "does not belong" in problems(cpu_config)["nodePool.gpu.type"]


def test_n1_needs_gpu_type_and_count(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="n1-standard-8", compactPlacement=False, gpu={})
    found = problems(cpu_config)
    assert "nodePool.gpu.type" in found and "nodePool.gpu.count" in found


def test_n1_accepts_attached_t4(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(
        machineType="n1-standard-8", compactPlacement=False, gpu={"type": "nvidia-tesla-t4", "count": 2}
    )
    pool = load_spec(cpu_config).node_pool
    assert pool is not None and pool.gpu_count == 2


def test_gpu_sharing_fields_go_together(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="g2-standard-8", gpu={"sharingStrategy": "TIME_SHARING"})
    assert "nodePool.gpu.sharingStrategy" in problems(cpu_config)


def test_specific_reservation_needs_names(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["reservation"] = {"consumeType": "SPECIFIC_RESERVATION"}
    assert "nodePool.reservation" in problems(cpu_config)


def test_pool_smaller_than_size_needs_explicit_packing(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["nodeCount"] = 2
    assert "allowPacking" in problems(cpu_config)["nodePool.nodeCount"]
    cpu_config["miniCluster"]["allowPacking"] = True
    assert load_spec(cpu_config).mini_cluster.allow_packing


def test_sizes_must_be_ordered(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"].update(size=4, maxSize=3)
    assert "maxSize (3)" in problems(cpu_config)["miniCluster.size"]


def test_last_hostname_within_63_characters(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"].update(name="x" * 62, maxSize=10)
    assert "63 characters" in problems(cpu_config)["miniCluster.name"]


def test_name_is_a_dns_label(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"]["name"] = "Lammps"
    assert "DNS-1123" in problems(cpu_config)["miniCluster.name"]


def test_gpu_limit_must_be_whole(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["machineType"] = "g2-standard-8"
    cpu_config["miniCluster"]["containers"][0]["resources"] = {"limits": {"nvidia.com/gpu": "500m"}}
    assert "whole numbers" in problems(cpu_config)["miniCluster.containers[0].resources.limits.nvidia.com/gpu"]


def test_same_volume_may_be_mounted_in_two_containers(cpu_config: dict[str, Any]) -> None:
    data = {"path": "/data", "claimName": "data"}
    cpu_config["miniCluster"]["containers"] = [
        {"image": "a", "runFlux": True, "volumes": {"data": data}},
        {"name": "sidecar", "image": "b", "volumes": {"data": data}},
    ]
    containers = load_spec(cpu_config).mini_cluster.containers
    assert [c.volumes["data"].claim_name for c in containers] == ["data", "data"]
    cpu_config["miniCluster"]["containers"][1]["volumes"]["data"] = {"path": "/other", "claimName": "data"}
    assert "already in use" in problems(cpu_config)["miniCluster.containers[1].volumes.data"]


def test_sidecar_needs_a_name(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"]["containers"] = [{"image": "a", "runFlux": True}, {"image": "b"}]
    assert "miniCluster.containers[1].name" in problems(cpu_config)


def test_connect_timeout_and_topology_formats(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"]["flux"] = {"connectTimeout": "soon", "topology": "star"}
    found = problems(cpu_config)
    assert "miniCluster.flux.connectTimeout" in found and "miniCluster.flux.topology" in found


def test_stack_without_node_pool_must_name_its_cluster(cpu_config: dict[str, Any]) -> None:
    del cpu_config["nodePool"]
    with pytest.raises(SpecError) as caught:
        spec_from_config(cpu_config)
    assert [p.path for p in caught.value.problems] == ["kubernetes"]
    cpu_config["kubernetes"] = {"context": "kind-flux"}
    target = spec_from_config(cpu_config).kubernetes
    assert target is not None and target.context == "kind-flux"


def test_all_problems_reported_at_once(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(zones=["a-b1-c", "us-central1-b"], gvnic=False, egressBandwidthTier="TIER_1")
    found = problems(cpu_config)
    assert {"nodePool.zones", "nodePool.egressBandwidthTier"} <= set(found)


def test_secret_certificate_is_masked_in_repr(cpu_config: dict[str, Any]) -> None:
    from flux_minicluster.broker.certificate import certificate_text

    text = certificate_text(bytes(range(32)), "lammps-0")
    cpu_config["curveCertificate"] = text
    spec = load_spec(cpu_config)
    secret_line = next(line for line in text.splitlines() if "secret-key" in line)
    assert secret_line.split('"')[1] not in repr(spec)


def test_empty_defaults_are_not_shared_between_specs(cpu_config: dict[str, Any]) -> None:
    first, second = load_spec(cpu_config), load_spec(cpu_config)
    first.mini_cluster.pod.node_selector["zone"] = "a"
    first.mini_cluster.job_labels["queue"] = "gpu"
    first.mini_cluster.pod.tolerations.append(Toleration(key="gpu", operator="Exists"))
    assert second.mini_cluster.pod.node_selector == {}
    assert second.mini_cluster.job_labels == {}
    assert second.mini_cluster.pod.tolerations == []


# c2d-standard-112 has 56 physical cores (two threads each); the fixture runs 4 brokers.
def test_tasks_up_to_the_brokers_cores_are_taken(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"]["tasks"] = 4 * 56
    assert load_spec(cpu_config).mini_cluster.effective_tasks == 224


def test_tasks_beyond_the_brokers_cores_are_refused_with_the_numbers(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"]["tasks"] = 4 * 56 + 1
    assert problems(cpu_config)["miniCluster.tasks"] == (
        "225 tasks of 1 core(s) need 225 cores; 4 brokers on c2d-standard-112 give 224 (56 each); "
        "lower tasks or add brokers"
    )


def test_cores_per_task_in_the_option_flags_count(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"].update(tasks=57, flux={"optionFlags": "-c 4 -o cpu-affinity=per-task"})
    assert "57 tasks of 4 core(s) need 228 cores" in problems(cpu_config)["miniCluster.tasks"]
    cpu_config["miniCluster"]["flux"]["optionFlags"] = "--cores-per-task=4"
    assert "228 cores" in problems(cpu_config)["miniCluster.tasks"]
    cpu_config["miniCluster"]["tasks"] = 56
    assert load_spec(cpu_config).mini_cluster.tasks == 56


def test_exclusive_cpus_of_the_flux_container_bound_the_tasks(cpu_config: dict[str, Any]) -> None:
    # The static CPU manager (the pool's default) gives a container with a whole-CPU limit those CPUs alone.
    cpu_config["miniCluster"]["containers"][0]["resources"] = {"limits": {"cpu": "16", "memory": "32Gi"}}
    cpu_config["miniCluster"]["tasks"] = 65
    assert problems(cpu_config)["miniCluster.tasks"] == (
        "65 tasks of 1 core(s) need 65 cores; 4 brokers on c2d-standard-112 (the Flux container's 16 exclusive "
        "CPUs) give 64 (16 each); lower tasks or add brokers"
    )


def test_gpus_per_task_beyond_the_brokers_gpus_are_refused(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="a3-highgpu-8g", placementPolicyName="a3")
    cpu_config["miniCluster"].update(tasks=33, flux={"optionFlags": "-g 1"})
    assert problems(cpu_config)["miniCluster.tasks"] == (
        "33 tasks of 1 GPU(s) need 33 GPUs; 4 brokers give 32 (8 each); lower tasks or the GPUs per task"
    )
    cpu_config["miniCluster"]["tasks"] = 32
    assert load_spec(cpu_config).mini_cluster.tasks == 32

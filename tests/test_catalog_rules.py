"""What GKE and Kubernetes would refuse, refused offline: each rule at its limit and one past it."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest

from flux_minicluster import SpecError, load_spec
from flux_minicluster.gke.placement import container_resources
from flux_minicluster.spec import NodePoolSpec


def problems(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SpecError) as caught:
        load_spec(config)
    return {p.path: p.message for p in caught.value.problems}


def pool_of(config: dict[str, Any]) -> NodePoolSpec:
    """The validated node pool; raises (and fails the test) if the stack is refused."""
    pool = load_spec(config).node_pool
    assert pool is not None
    return pool


def flux_limits(config: dict[str, Any]) -> dict[str, Any]:
    """The Flux container's limits as rendered, once the stack is accepted."""
    spec = load_spec(config)
    limits: dict[str, Any] = container_resources(spec, spec.mini_cluster.flux_container).get("limits", {})
    return limits


def flux_container(config: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = config["miniCluster"]["containers"][0]
    return container


def on_n1(config: dict[str, Any], machine: str, gpu: dict[str, Any]) -> dict[str, Any]:
    config["nodePool"].update(machineType=machine, compactPlacement=False, gpu=gpu)
    return config


# Machine catalog


def test_machine_size_not_in_the_catalog_is_refused_with_nearest(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["machineType"] = "c2d-standard-113"
    assert "did you mean c2d-standard-112" in problems(cpu_config)["nodePool.machineType"]


def test_disk_type_the_series_does_not_take_is_refused(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="c4d-standard-32", diskType="pd-balanced")
    assert "hyperdisk-balanced" in problems(cpu_config)["nodePool.diskType"]


def test_disk_type_the_series_takes_is_accepted(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="c4d-standard-32", diskType="hyperdisk-balanced")
    assert pool_of(cpu_config).boot_disk_type == "hyperdisk-balanced"


def test_smt_cannot_be_set_below_two_vcpus(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="n1-standard-1", compactPlacement=False)
    assert "fewer than 2 vCPUs" in problems(cpu_config)["nodePool.threadsPerCore"]


def test_smt_can_be_set_at_two_vcpus(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="n1-standard-2", compactPlacement=False)
    cpu_config["miniCluster"].update(size=1)
    pool = pool_of(cpu_config)
    assert pool.sets_threads_per_core and pool.node_cpus == 1


def test_h3_runs_one_thread_per_core_and_refuses_two(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="h3-standard-88", threadsPerCore=2)
    assert "H3 machines run 1 thread per core" in problems(cpu_config)["nodePool.threadsPerCore"]


def test_tier1_accepted_at_30_vcpus(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(machineType="c2-standard-30", egressBandwidthTier="TIER_1")
    pool = pool_of(cpu_config)
    assert (pool.machine.vcpus, pool.egress_bandwidth_tier) == (30, "TIER_1")


def test_compact_placement_holds_1500_nodes(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["nodeCount"] = 1500
    pool = pool_of(cpu_config)
    assert pool.compact_placement and pool.node_count == 1500


def test_compact_placement_refuses_1501_nodes(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["nodeCount"] = 1501
    assert "at most 1500 nodes" in problems(cpu_config)["nodePool.nodeCount"]


# Locations


def test_zone_outside_the_cluster_region_is_refused(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["location"] = "europe-west4"
    assert "not in the cluster's location europe-west4" in problems(cpu_config)["nodePool.zones[0]"]


def test_zones_of_the_cluster_region_are_accepted(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(location="us-central1", zones=["us-central1-a", "us-central1-f"])
    cpu_config["nodePool"].update(compactPlacement=False)
    assert pool_of(cpu_config).zones == ["us-central1-a", "us-central1-f"]


def test_bare_cluster_name_without_location_is_refused(cpu_config: dict[str, Any]) -> None:
    del cpu_config["nodePool"]["location"]
    assert "regional or zonal" in problems(cpu_config)["nodePool.location"]


def test_cluster_id_gives_the_location(cpu_config: dict[str, Any]) -> None:
    del cpu_config["nodePool"]["location"]
    cpu_config["nodePool"]["cluster"] = "projects/p/locations/us-central1/clusters/hpc"
    pool = load_spec(cpu_config).node_pool
    assert pool is not None and (pool.cluster_location, pool.cluster_project) == ("us-central1", "p")


def test_cluster_id_and_location_must_agree(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["cluster"] = "projects/p/locations/us-central1/clusters/hpc"
    assert "differs from the cluster id's location" in problems(cpu_config)["nodePool.location"]


def test_cluster_in_a_form_the_provider_does_not_read_is_refused(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["cluster"] = "locations/us-central1-a/clusters/hpc"
    assert "projects/P/locations/L/clusters/N" in problems(cpu_config)["nodePool.cluster"]


# GPUs


def test_t4_attaches_in_fours(cpu_config: dict[str, Any]) -> None:
    on_n1(cpu_config, "n1-standard-96", {"type": "nvidia-tesla-t4", "count": 4})
    pool = pool_of(cpu_config)
    assert (pool.gpu_type, pool.gpu_count) == ("nvidia-tesla-t4", 4)


def test_t4_does_not_attach_in_threes(cpu_config: dict[str, Any]) -> None:
    on_n1(cpu_config, "n1-standard-16", {"type": "nvidia-tesla-t4", "count": 3})
    assert "counts of 1, 2, 4" in problems(cpu_config)["nodePool.gpu.count"]


def test_p100_allows_16_vcpus_per_gpu(cpu_config: dict[str, Any]) -> None:
    on_n1(cpu_config, "n1-standard-16", {"type": "nvidia-tesla-p100", "count": 1})
    pool = pool_of(cpu_config)
    assert (pool.machine.vcpus, pool.gpu_count) == (16, 1)


def test_p100_refuses_more_vcpus_than_its_count_allows(cpu_config: dict[str, Any]) -> None:
    on_n1(cpu_config, "n1-standard-32", {"type": "nvidia-tesla-p100", "count": 1})
    assert "at most 16 vCPUs" in problems(cpu_config)["nodePool.gpu.count"]


def test_v100_attaches_in_eights(cpu_config: dict[str, Any]) -> None:
    on_n1(cpu_config, "n1-standard-96", {"type": "nvidia-tesla-v100", "count": 8})
    pool = pool_of(cpu_config)
    assert (pool.gpu_type, pool.gpu_count) == ("nvidia-tesla-v100", 8)


def sharing(config: dict[str, Any], clients: int) -> dict[str, Any]:
    config["nodePool"].update(
        machineType="g2-standard-8", gpu={"sharingStrategy": "TIME_SHARING", "maxSharedClientsPerGpu": clients}
    )
    return config


def test_48_clients_may_share_a_gpu(cpu_config: dict[str, Any]) -> None:
    # g2-standard-8 has one L4; shared by 48, the node offers 48 nvidia.com/gpu.
    assert pool_of(sharing(cpu_config, 48)).gpus_per_node_for_pods == 48


def test_49_clients_may_not_share_a_gpu(cpu_config: dict[str, Any]) -> None:
    assert "48" in problems(sharing(cpu_config, 49))["nodePool.gpu.maxSharedClientsPerGpu"]


def test_container_on_shared_gpus_may_ask_one(cpu_config: dict[str, Any]) -> None:
    flux_container(sharing(cpu_config, 4))["resources"] = {"limits": {"nvidia.com/gpu": 1}}
    assert flux_limits(cpu_config) == {"nvidia.com/gpu": 1}


def test_container_on_shared_gpus_may_not_ask_two(cpu_config: dict[str, Any]) -> None:
    flux_container(sharing(cpu_config, 4))["resources"] = {"limits": {"nvidia.com/gpu": 2}}
    where = "miniCluster.containers[0].resources.limits.nvidia.com/gpu"
    assert "at most 1" in problems(cpu_config)[where]


def test_default_gpu_limit_on_a_shared_multi_gpu_node_is_one_gpu(cpu_config: dict[str, Any]) -> None:
    # GKE time-sharing and MPS: a container asks for one shared GPU, so the Flux
    # container with no limit of its own gets one, and the spec accepts it.
    cpu_config["nodePool"].update(
        machineType="g2-standard-24", gpu={"sharingStrategy": "MPS", "maxSharedClientsPerGpu": 2}
    )
    spec = load_spec(cpu_config)
    assert container_resources(spec, spec.mini_cluster.flux_container)["limits"] == {"nvidia.com/gpu": 1}


def test_gpu_request_must_equal_the_limit(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["machineType"] = "g2-standard-24"
    flux_container(cpu_config)["resources"] = {"limits": {"nvidia.com/gpu": 2}, "requests": {"nvidia.com/gpu": 1}}
    assert "must equal the limit" in problems(cpu_config)["miniCluster.containers[0].resources.requests.nvidia.com/gpu"]


def test_gpu_request_without_limit_is_refused(cpu_config: dict[str, Any]) -> None:
    flux_container(cpu_config)["resources"] = {"requests": {"example.com/fpga": 1}}
    assert "set limits" in problems(cpu_config)["miniCluster.containers[0].resources.requests.example.com/fpga"]


def test_gpu_request_equal_to_limit_is_accepted(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["machineType"] = "g2-standard-24"
    flux_container(cpu_config)["resources"] = {"limits": {"nvidia.com/gpu": 2}, "requests": {"nvidia.com/gpu": "2"}}
    spec = load_spec(cpu_config)
    resources = container_resources(spec, spec.mini_cluster.flux_container)
    assert resources == {"limits": {"nvidia.com/gpu": 2}, "requests": {"nvidia.com/gpu": "2"}}


def two_gpu_containers(config: dict[str, Any], flux_gpus: int, sidecar_gpus: int) -> dict[str, Any]:
    config["nodePool"]["machineType"] = "g2-standard-24"  # 2 L4 per node
    config["miniCluster"]["containers"] = [
        {"image": "app", "runFlux": True, "resources": {"limits": {"nvidia.com/gpu": flux_gpus}}},
        {"name": "side", "image": "side", "resources": {"limits": {"nvidia.com/gpu": sidecar_gpus}}},
    ]
    return config


def test_gpus_of_all_containers_fit_one_node(cpu_config: dict[str, Any]) -> None:
    spec = load_spec(two_gpu_containers(cpu_config, 1, 1))
    limits = [container_resources(spec, c)["limits"] for c in spec.mini_cluster.containers]
    assert limits == [{"nvidia.com/gpu": 1}, {"nvidia.com/gpu": 1}]


def test_gpus_of_all_containers_beyond_one_node_are_refused(cpu_config: dict[str, Any]) -> None:
    assert "ask 3 nvidia.com/gpu together" in problems(two_gpu_containers(cpu_config, 2, 1))["miniCluster.containers"]


# Schedulability on c2d-standard-112, SMT off: 56 CPUs less GKE's reservation
# (6% + 1% + 2 x 0.5% + 52 x 0.25% of a core), 448 GiB less the memory tiers.
C2D_112_SMT_OFF_CPUS = 56 - (Fraction("0.08") + 52 * Fraction("0.0025"))
C2D_112_MEMORY_MIB = (
    448 * 1024 - (Fraction("1") + Fraction("0.8") + Fraction("0.8") + Fraction("6.72") + Fraction("6.4")) * 1024 - 100
)


def asks(config: dict[str, Any], **resources: Any) -> dict[str, Any]:
    flux_container(config)["resources"] = resources
    return config


def test_pod_asking_the_allocatable_cpu_fits(cpu_config: dict[str, Any]) -> None:
    millicores = int(C2D_112_SMT_OFF_CPUS * 1000)
    assert millicores == C2D_112_SMT_OFF_CPUS * 1000
    spec = load_spec(asks(cpu_config, requests={"cpu": f"{millicores}m"}))
    assert spec.mini_cluster.flux_container.resources.requests == {"cpu": "55790m"}


def test_pod_asking_one_millicore_more_does_not_fit(cpu_config: dict[str, Any]) -> None:
    millicores = int(C2D_112_SMT_OFF_CPUS * 1000) + 1
    message = problems(asks(cpu_config, requests={"cpu": f"{millicores}m"}))[
        "miniCluster.containers[0].resources.requests.cpu"
    ]
    assert "c2d-standard-112 with threadsPerCore 1 gives 55.79 allocatable CPUs" in message


def test_cpu_limit_counts_when_no_request(cpu_config: dict[str, Any]) -> None:
    message = problems(asks(cpu_config, limits={"cpu": 60}))["miniCluster.containers[0].resources.limits.cpu"]
    assert message.endswith("the pod asks 60")


def test_smt_on_gives_the_node_all_its_vcpus(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["threadsPerCore"] = None
    # c2d-standard-112 runs two threads per core: 112 CPUs, so a pod of 100 fits.
    assert pool_of(asks(cpu_config, requests={"cpu": 100})).node_cpus == 112


def test_pod_asking_the_allocatable_memory_fits(cpu_config: dict[str, Any]) -> None:
    whole_bytes = math.floor(C2D_112_MEMORY_MIB * 2**20)
    spec = load_spec(asks(cpu_config, requests={"memory": whole_bytes}))
    assert spec.mini_cluster.flux_container.resources.requests == {"memory": whole_bytes}


def test_pod_asking_more_memory_does_not_fit(cpu_config: dict[str, Any]) -> None:
    one_byte_more = math.floor(C2D_112_MEMORY_MIB * 2**20) + 1
    message = problems(asks(cpu_config, requests={"memory": one_byte_more}))[
        "miniCluster.containers[0].resources.requests.memory"
    ]
    assert "allocatable memory" in message


def test_packed_brokers_share_a_node(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"].update(size=8, allowPacking=True)
    assert pool_of(asks(cpu_config, requests={"cpu": 27})).node_count == 4  # 8 brokers on 4 nodes
    assert (
        "2 brokers per node ask 56"
        in problems(asks(cpu_config, requests={"cpu": 28}))["miniCluster.containers[0].resources.requests.cpu"]
    )


# Kubernetes names


def test_name_starting_with_a_digit_cannot_name_the_service(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"]["name"] = "1lammps"
    assert "DNS-1035" in problems(cpu_config)["miniCluster.name"]


def test_headless_name_starting_with_a_digit_is_refused(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"]["headlessName"] = "1svc"
    assert "DNS-1035" in problems(cpu_config)["miniCluster.headlessName"]


def test_digit_name_with_a_letter_headless_name_is_accepted(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"].update(name="1lammps", headlessName="svc")
    assert load_spec(cpu_config).mini_cluster.headless_name == "svc"


def test_every_kube_prefixed_namespace_is_refused(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"]["namespace"] = "kube-flux"
    assert "reserved" in problems(cpu_config)["miniCluster.namespace"]


def test_namespace_starting_kube_without_dash_is_accepted(cpu_config: dict[str, Any]) -> None:
    cpu_config["miniCluster"]["namespace"] = "kubeflux"
    assert load_spec(cpu_config).mini_cluster.namespace == "kubeflux"


# Storage


def with_volume(config: dict[str, Any], **volume: Any) -> dict[str, Any]:
    flux_container(config)["volumes"] = {"data": {"path": "/data", "claimName": "data"}}
    config["miniCluster"]["dataVolumes"] = {"data": volume}
    return config


def test_persistent_disk_class_cannot_give_read_write_many(cpu_config: dict[str, Any]) -> None:
    with_volume(cpu_config, size="100Gi", storageClassName="standard-rwo", accessMode="ReadWriteMany")
    assert "standard-rwx" in problems(cpu_config)["miniCluster.dataVolumes.data.accessMode"]


def test_filestore_class_at_one_tebibyte_is_accepted(cpu_config: dict[str, Any]) -> None:
    with_volume(cpu_config, size="1Ti", storageClassName="standard-rwx")
    assert load_spec(cpu_config).mini_cluster.data_volumes


def test_filestore_class_below_one_tebibyte_is_refused(cpu_config: dict[str, Any]) -> None:
    with_volume(cpu_config, size="1023Gi", storageClassName="enterprise-rwx")
    assert "at least 1Ti" in problems(cpu_config)["miniCluster.dataVolumes.data.size"]


def test_basic_ssd_filestore_starts_at_two_and_a_half_tebibytes(cpu_config: dict[str, Any]) -> None:
    with_volume(cpu_config, size="2560Gi", storageClassName="premium-rwx")
    assert load_spec(cpu_config).mini_cluster.data_volumes
    with_volume(cpu_config, size="2559Gi", storageClassName="premium-rwx")
    assert "miniCluster.dataVolumes.data.size" in problems(cpu_config)

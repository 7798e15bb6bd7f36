"""Spec rules pinned at their limits and by their messages. Limits come from
the Kubernetes API conventions (label keys and values, quantities), GKE's
node-size reservations ("Plan GKE Standard node sizes") and FACTS.md."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flux_minicluster.catalog.locations import parse_cluster
from flux_minicluster.catalog.machines import MACHINE_TYPES, machine_type
from flux_minicluster.catalog.quantities import quantity_value
from flux_minicluster.errors import SpecError
from flux_minicluster.spec import load_spec
from flux_minicluster.spec.base import (
    check_absolute_path,
    check_dns_label,
    check_label_key,
    check_label_value,
    check_quantity,
)


def _problems(config: dict[str, Any]) -> list[str]:
    try:
        load_spec(config)
    except SpecError as error:
        return [str(problem) for problem in error.problems]
    return []


# --- Kubernetes quantities (k8s.io/apimachinery resource.Quantity) -----------


def test_text_that_is_not_a_quantity_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^'4 cores' is not a Kubernetes quantity$"):
        quantity_value("4 cores")
    with pytest.raises(ValueError, match=r"^'4 cores' is not a Kubernetes quantity \(for example 4, 500m, 16Gi\)$"):
        check_quantity("4 cores")


def test_an_upper_case_exponent_is_a_power_of_ten_and_a_bare_e_is_exa() -> None:
    assert quantity_value("1E3") == 1000
    assert quantity_value("2E") == 2 * 10**18


# --- Labels (Kubernetes "Labels and Selectors": prefix <= 253, name and value <= 63)

_SUBDOMAIN_253 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])


def test_a_label_prefix_of_253_characters_is_accepted_and_254_refused() -> None:
    assert check_label_key(f"{_SUBDOMAIN_253}/app") == f"{_SUBDOMAIN_253}/app"
    with pytest.raises(ValueError, match="prefix must be a DNS subdomain"):
        check_label_key(f"e{_SUBDOMAIN_253}/app")


def test_a_short_prefix_that_is_not_a_dns_subdomain_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^label key 'Bad_Prefix/app': prefix must be a DNS subdomain$"):
        check_label_key("Bad_Prefix/app")


def test_a_label_name_of_63_characters_is_accepted_and_64_refused() -> None:
    assert check_label_key("a" * 63) == "a" * 63
    with pytest.raises(ValueError, match=r"name must be 1-63 alphanumerics, '-', '_' or '\.'$"):
        check_label_key("a" * 64)


@pytest.mark.parametrize("key", ["example.com/-app", "example.com/", "-app"])
def test_a_label_name_that_breaks_the_character_rules_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match=rf"^label key '{key}': name must be 1-63"):
        check_label_key(key)


def test_a_label_value_of_63_characters_is_accepted_and_64_refused() -> None:
    assert check_label_value("v" * 63) == "v" * 63
    with pytest.raises(ValueError, match=r"^label value 'v{64}': at most 63 alphanumerics, '-', '_' or '\.'$"):
        check_label_value("v" * 64)


def test_a_short_label_value_with_a_space_is_refused() -> None:
    with pytest.raises(ValueError, match="label value 'a b'"):
        check_label_value("a b")


def test_a_relative_path_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^'data' must be an absolute path$"):
        check_absolute_path("data")


# --- Node pool fit: what a GKE node leaves to pods ---------------------------

# e2-small: 2 vCPUs, 2 GB (Compute Engine machine table). GKE reserves 25% of
# the first 4 GiB of memory (512 MiB here) plus 100 MiB for eviction: 1436 MiB
# is allocatable. CPU: 6% of the first core and 1% of the second: 1.93 cores.
_E2_SMALL: dict[str, Any] = {
    "nodePool": {
        "cluster": "hpc",
        "location": "us-central1-a",
        "zones": ["us-central1-a"],
        "machineType": "e2-small",
        "nodeCount": 1,
        "compactPlacement": False,
        "threadsPerCore": None,
    },
    "miniCluster": {
        "name": "lammps",
        "namespace": "lab",
        "size": 1,
        "containers": [{"image": "app:1"}],
    },
}


def _e2_small(resources: dict[str, Any], **mini_cluster: Any) -> dict[str, Any]:
    config = copy.deepcopy(_E2_SMALL)
    config["miniCluster"]["containers"][0]["resources"] = resources
    config["miniCluster"].update(mini_cluster)
    return config


def test_memory_up_to_the_allocatable_amount_fits_and_one_mebibyte_more_does_not() -> None:
    assert _problems(_e2_small({"requests": {"memory": "1436Mi"}})) == []
    assert _problems(_e2_small({"requests": {"memory": "1437Mi"}})) == [
        "miniCluster.containers[0].resources.requests.memory: "
        "e2-small gives 1.40Gi allocatable memory; the pod asks 1.40Gi"
    ]


def test_packed_brokers_add_up_their_memory() -> None:
    packed = {"size": 2, "allowPacking": True}
    assert _problems(_e2_small({"requests": {"memory": "718Mi"}}, **packed)) == []
    assert _problems(_e2_small({"requests": {"memory": "719Mi"}}, **packed)) == [
        "miniCluster.containers[0].resources.requests.memory: "
        "e2-small gives 1.40Gi allocatable memory; 2 brokers per node ask 1.40Gi"
    ]


def test_cpu_up_to_the_allocatable_amount_fits_and_a_fraction_over_is_shown_as_such() -> None:
    assert _problems(_e2_small({"requests": {"cpu": "1930m"}})) == []
    assert _problems(_e2_small({"requests": {"cpu": "1950m"}})) == [
        "miniCluster.containers[0].resources.requests.cpu: e2-small gives 1.93 allocatable CPUs; the pod asks 1.95"
    ]


def test_the_cpu_message_names_threads_per_core_where_it_was_set() -> None:
    config = _e2_small({"requests": {"cpu": "100"}})
    config["nodePool"] |= {"machineType": "c2d-standard-112", "compactPlacement": True, "threadsPerCore": 1}
    (problem,) = _problems(config)
    assert problem.startswith(
        "miniCluster.containers[0].resources.requests.cpu: c2d-standard-112 with threadsPerCore 1 gives "
    )


def test_brokers_without_nodes_of_their_own_are_refused_once_without_counting_them_twice() -> None:
    # Four brokers on two nodes: the node count is the problem, not each
    # node's capacity (1.5 CPUs fits one broker per node).
    config = _e2_small({"requests": {"cpu": "1500m"}}, size=4)
    config["nodePool"]["nodeCount"] = 2
    config["nodePool"]["zones"] = ["us-central1-a"]
    assert _problems(config) == [
        "nodePool.nodeCount: 2 nodes cannot give each of the 4 brokers a node of its own; "
        "add nodes or set miniCluster.allowPacking: true"
    ]


def _rwo(node_count: int, max_size: int) -> dict[str, Any]:
    config = _e2_small({}, size=1, maxSize=max_size, allowPacking=True)
    config["nodePool"]["nodeCount"] = node_count
    config["miniCluster"]["containers"][0]["volumes"] = {"data": {"path": "/data", "claimName": "data"}}
    config["miniCluster"]["dataVolumes"] = {"data": {"size": "10Gi", "accessMode": "ReadWriteOnce"}}
    return config


@pytest.mark.parametrize(("node_count", "max_size"), [(1, 2), (2, 1)])
def test_a_read_write_once_volume_is_fine_on_one_node_or_for_one_broker(node_count: int, max_size: int) -> None:
    assert _problems(_rwo(node_count, max_size)) == []


def test_a_read_write_once_volume_is_refused_for_brokers_on_two_nodes() -> None:
    assert _problems(_rwo(2, 2)) == [
        "miniCluster.dataVolumes.data.accessMode: a ReadWriteOnce volume attaches to one node, but brokers run "
        "on 2 nodes; use ReadWriteMany (on GKE, storageClassName: standard-rwx)"
    ]


def test_a_kubernetes_io_resource_is_not_an_extended_resource() -> None:
    # Kubernetes: extended resources are named outside the kubernetes.io domain.
    config = copy.deepcopy(_E2_SMALL)
    del config["nodePool"]
    config["miniCluster"]["containers"][0]["resources"] = {"requests": {"example.kubernetes.io/thing": "1"}}
    assert _problems(config) == []


# --- Each rule speaks at its field, in stack spelling ------------------------

_CPU: dict[str, Any] = {
    "nodePool": {
        "cluster": "hpc",
        "location": "us-central1-a",
        "zones": ["us-central1-a"],
        "machineType": "c2d-standard-112",
        "nodeCount": 4,
    },
    "miniCluster": {
        "name": "lammps",
        "namespace": "lab",
        "size": 4,
        "containers": [{"image": "app:1"}],
    },
}


def _cpu(pool: dict[str, Any] | None = None, mini_cluster: dict[str, Any] | None = None) -> dict[str, Any]:
    config = copy.deepcopy(_CPU)
    config["nodePool"].update(pool or {})
    config["nodePool"] = {key: value for key, value in config["nodePool"].items() if value is not None}
    config["miniCluster"].update(mini_cluster or {})
    return config


_ID = "projects/p1/locations/us-central1/clusters/hpc"


@pytest.mark.parametrize(
    ("pool", "problems"),
    [
        (
            {"location": "moon"},
            ["nodePool.location: 'moon' is not a region (us-central1) or zone (us-central1-a)"],
        ),
        (
            {"cluster": _ID, "location": None, "project": "p2"},
            ["nodePool.project: 'p2' differs from the cluster id's project 'p1'"],
        ),
        ({"cluster": _ID, "location": None, "project": "p1"}, []),
        (
            {"location": None},
            [
                "nodePool.location: required when the cluster is given by name: 'hpc' may be regional or zonal, "
                "and the pool must name the cluster's own location (or give the id "
                "projects/P/locations/L/clusters/N)"
            ],
        ),
        (
            {"cluster": _ID, "location": None, "zones": ["europe-west1-b"]},
            [
                "nodePool.zones[0]: europe-west1-b is not in the cluster's location us-central1; "
                "a node pool's zones lie in us-central1"
            ],
        ),
        (
            {"zones": ["us-central1"]},
            ["nodePool.zones[0]: 'us-central1' is not a zone (for example us-central1-a)"],
        ),
        (
            {"compactPlacement": False, "placementPolicyName": "p"},
            ["nodePool.placementPolicyName: a placement policy applies only with compactPlacement: true"],
        ),
        (
            {"machineType": "e2-standard-4"},
            [
                "nodePool.machineType: compact placement is not available for the e2 family; use C2, C2D, C3, "
                "C3D, C4D, H3, H4D, N2, N2D, A2, A3, A4 or G2, or set compactPlacement: false"
            ],
        ),
        (
            {"machineType": "a3-highgpu-8g"},
            [
                "nodePool.placementPolicyName: GKE places a3-highgpu compactly only through a named workload "
                "policy; create one and name it here"
            ],
        ),
        (
            {"egressBandwidthTier": "TIER_1", "gvnic": False},
            ["nodePool.egressBandwidthTier: TIER_1 needs gvnic: true"],
        ),
        (
            {"machineType": "n1-standard-8", "compactPlacement": False, "gpu": {"count": 1}},
            [
                "nodePool.gpu.type: required for n1-standard-8 (attachable: nvidia-tesla-p100, nvidia-tesla-p4, "
                "nvidia-tesla-t4, nvidia-tesla-v100)"
            ],
        ),
        (
            {"gpu": {"count": 1}},
            ["nodePool.gpu.type: required for c2d-standard-112 (attachable: none)"],
        ),
        (
            {"gpu": {"type": "nvidia-l4", "count": 1}},
            [
                "nodePool.gpu.type: nvidia-l4 does not belong to the c2d-standard series "
                "(attachable: none: pick a GPU machine type)"
            ],
        ),
        (
            {"machineType": "n1-standard-8", "compactPlacement": False, "gpu": {"type": "nvidia-l4", "count": 1}},
            [
                "nodePool.gpu.type: nvidia-l4 does not belong to the n1-standard series (attachable: "
                "nvidia-tesla-p100, nvidia-tesla-p4, nvidia-tesla-t4, nvidia-tesla-v100)"
            ],
        ),
        (
            {"machineType": "a2-highgpu-1g", "gpu": {"sharingStrategy": "MPS"}},
            ["nodePool.gpu.sharingStrategy: sharingStrategy and maxSharedClientsPerGpu go together"],
        ),
        (
            {"machineType": "c3d-standard-60", "diskType": "pd-standard"},
            [
                "nodePool.diskType: c3d-standard machines boot from pd-balanced, pd-ssd, hyperdisk-balanced, not pd-standard"
            ],
        ),
    ],
)
def test_node_pool_rules_name_their_field(pool: dict[str, Any], problems: list[str]) -> None:
    assert _problems(_cpu(pool)) == problems


def test_an_invalid_cluster_without_location_is_reported_once() -> None:
    assert _problems(_cpu({"cluster": "a/b", "location": None})) == [
        "nodePool.cluster: 'a/b' is neither a cluster name nor a cluster id of the form "
        "projects/P/locations/L/clusters/N"
    ]


@pytest.mark.parametrize(
    ("mini_cluster", "problems"),
    [
        (
            {"containers": [{"name": "a", "image": "app:1"}, {"name": "b", "image": "app:1"}]},
            ["miniCluster.containers: exactly one container needs runFlux: true"],
        ),
        (
            {"containers": [{"image": "app:1", "runFlux": True}, {"image": "side:1"}]},
            ["miniCluster.containers[1].name: required for a container that does not run Flux"],
        ),
        (
            {"containers": [{"name": "a", "image": "app:1", "runFlux": True}, {"name": "a", "image": "side:1"}]},
            ["miniCluster.containers[1].name: 'a' is used twice"],
        ),
        (
            {"containers": [{"image": "app:1", "resources": {"requests": {"cpu": "1", "example.com/foo": "1"}}}]},
            [
                "miniCluster.containers[0].resources.requests.example.com/foo: example.com/foo cannot be "
                "overcommitted: set limits.example.com/foo to the same value"
            ],
        ),
    ],
)
def test_mini_cluster_rules_name_their_field(mini_cluster: dict[str, Any], problems: list[str]) -> None:
    assert _problems(_cpu(mini_cluster=mini_cluster)) == problems


def test_a_read_write_once_pod_volume_is_fine_for_one_broker() -> None:
    config = _cpu(mini_cluster={"size": 1})
    config["miniCluster"]["containers"][0]["volumes"] = {"data": {"path": "/data", "claimName": "data"}}
    config["miniCluster"]["dataVolumes"] = {"data": {"size": "10Gi", "accessMode": "ReadWriteOncePod"}}
    assert _problems(config) == []


def test_every_data_volume_on_a_gke_class_is_checked_after_one_on_another_class() -> None:
    config = _cpu()
    config["miniCluster"]["containers"][0]["volumes"] = {
        "a": {"path": "/a", "claimName": "a"},
        "b": {"path": "/b", "claimName": "b"},
    }
    config["miniCluster"]["dataVolumes"] = {
        "a": {"size": "10Gi", "storageClassName": "custom"},
        "b": {"size": "10Gi", "storageClassName": "standard"},
    }
    assert _problems(config) == [
        "miniCluster.dataVolumes.b.accessMode: standard gives ReadOnlyMany, ReadWriteOnce, ReadWriteOncePod, "
        "not ReadWriteMany; for ReadWriteMany use a Filestore class such as standard-rwx"
    ]


# --- GPUs a node offers its pods (GKE "About GPUs"; a2-highgpu-Ng carries N A100s)


def _gpu_pool(machine_type: str, containers: list[dict[str, Any]], **mini_cluster: Any) -> dict[str, Any]:
    config = _e2_small({}, containers=containers, **mini_cluster)
    config["nodePool"] = {
        "cluster": "hpc",
        "location": "us-central1-a",
        "zones": ["us-central1-a"],
        "machineType": machine_type,
        "nodeCount": 1,
    }
    return config


def _gpus(count: int | str) -> dict[str, Any]:
    return {"limits": {"nvidia.com/gpu": count}}


_PACKED = {"size": 2, "allowPacking": True}


def test_packed_brokers_that_share_a_node_cannot_ask_for_more_gpus_than_it_has() -> None:
    # Each Flux container gets its node's one GPU by default; two brokers want two.
    config = _gpu_pool("a2-highgpu-1g", [{"image": "app:1"}], **_PACKED)
    assert _problems(config) == [
        "miniCluster.containers[0].resources.limits: 2 brokers per node ask 2 nvidia.com/gpu; a node offers 1"
    ]


def test_packed_brokers_may_use_exactly_the_gpus_of_their_node() -> None:
    config = _gpu_pool("a2-highgpu-2g", [{"image": "app:1", "resources": _gpus(1)}], **_PACKED)
    assert _problems(config) == []


def test_the_gpus_of_all_containers_of_packed_pods_add_up() -> None:
    containers = [
        {"image": "app:1", "runFlux": True, "resources": _gpus(1)},
        {"name": "side", "image": "side:1", "resources": _gpus(1)},
    ]
    assert _problems(_gpu_pool("a2-highgpu-2g", containers, **_PACKED)) == [
        "miniCluster.containers: the containers of one pod ask 2 nvidia.com/gpu together; a node offers 2"
    ]


def test_every_container_is_checked_after_one_without_gpus() -> None:
    containers = [{"name": "side", "image": "side:1"}, {"image": "app:1", "runFlux": True, "resources": _gpus(16)}]
    assert _problems(_gpu_pool("a2-highgpu-1g", containers)) == [
        "miniCluster.containers[1].resources.limits.nvidia.com/gpu: 16 GPUs cannot fit on a node with 1"
    ]


def test_a_fractional_gpu_is_refused_and_a_milli_whole_one_counts() -> None:
    containers = [{"image": "app:1", "runFlux": True, "resources": _gpus("500m")}]
    assert _problems(_gpu_pool("a2-highgpu-1g", containers)) == [
        "miniCluster.containers[0].resources.limits.nvidia.com/gpu: nvidia.com/gpu is counted in whole numbers, not 500m",
    ]
    # Kubernetes reads 2000m as 2 GPUs: counted, and too many for one.
    containers[0]["resources"] = _gpus("2000m")
    assert _problems(_gpu_pool("a2-highgpu-1g", containers)) == [
        "miniCluster.containers[0].resources.limits.nvidia.com/gpu: 2 GPUs cannot fit on a node with 1",
    ]


def test_the_cpu_of_all_containers_of_a_pod_adds_up() -> None:
    containers = [
        {"image": "app:1", "runFlux": True, "resources": {"requests": {"cpu": "1"}}},
        {"name": "side", "image": "side:1", "resources": {"requests": {"cpu": "1"}}},
    ]
    assert _problems(_e2_small({}, containers=containers)) == [
        "miniCluster.containers: e2-small gives 1.93 allocatable CPUs; the pod asks 2"
    ]


def test_a_one_gib_machine_keeps_a_quarter_of_its_memory() -> None:
    # e2-micro: 1 GB. Not under 1 GiB, so 25% of it (256 MiB) plus 100 MiB for
    # eviction are reserved: 668 MiB is allocatable.
    config = _e2_small({"requests": {"memory": "668Mi"}})
    config["nodePool"]["machineType"] = "e2-micro"
    assert _problems(config) == []
    config["miniCluster"]["containers"][0]["resources"]["requests"]["memory"] = "669Mi"
    (problem,) = _problems(config)
    assert "e2-micro gives 0.65Gi allocatable memory" in problem


# --- Names: DNS labels, clusters, machine types -------------------------------


def test_a_dns_label_of_63_characters_is_accepted_and_64_refused() -> None:
    assert check_dns_label("a" * 63) == "a" * 63
    with pytest.raises(ValueError, match=r"^'a{64}' is longer than 63 characters$"):
        check_dns_label("a" * 64)


def test_a_dns_label_with_an_upper_case_letter_is_refused_by_the_rule() -> None:
    with pytest.raises(ValueError) as error:
        check_dns_label("Lammps")
    assert str(error.value) == (
        "'Lammps' is not a DNS-1123 label (lowercase letters, digits and '-', "
        "starting and ending with a letter or digit)"
    )


@pytest.mark.parametrize(
    ("cluster", "message"),
    [
        ("Hpc", "'Hpc' is not a GKE cluster name (1-40 lowercase letters, digits and '-', starting with a letter)"),
        ("projects/p/locations/moon/clusters/hpc", "'moon' in the cluster id is not a region or zone"),
    ],
)
def test_a_cluster_reference_gke_would_not_take_is_refused_by_the_rule(cluster: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_cluster(cluster)
    assert str(error.value) == message


def test_an_unknown_machine_type_suggests_at_most_three_near_names() -> None:
    with pytest.raises(ValueError) as error:
        machine_type("c2d-standard-11")
    prefix = "'c2d-standard-11' is not a Compute Engine machine type this package knows; did you mean "
    message = str(error.value)
    assert message.startswith(prefix) and message.endswith("?")
    suggestions = message[len(prefix) : -1].split(", ")
    assert len(suggestions) == 3 and "c2d-standard-112" in suggestions
    assert all(name in MACHINE_TYPES for name in suggestions)


def test_an_unknown_machine_type_with_no_near_name_gets_an_example() -> None:
    with pytest.raises(ValueError) as error:
        machine_type("zzz")
    assert str(error.value) == (
        "'zzz' is not a Compute Engine machine type this package knows (for example c2d-standard-112)"
    )


# --- Rules inside the spec's validators ---------------------------------------


def test_the_last_brokers_hostname_may_be_63_characters_but_not_64() -> None:
    # Pod hostnames are DNS labels (<= 63); rank maxSize-1 has the longest one.
    name = "a" * 61
    assert _problems(_cpu(mini_cluster={"name": name, "size": 4, "maxSize": 10})) == []
    assert _problems(_cpu(mini_cluster={"name": name, "size": 4, "maxSize": 11})) == [
        f"miniCluster.name: the last broker's hostname '{name}-10' would exceed 63 characters; shorten the name"
    ]


def test_a_volume_without_a_source_is_refused() -> None:
    containers = [{"image": "app:1", "volumes": {"data": {"path": "/data"}}}]
    assert _problems(_cpu(mini_cluster={"containers": containers})) == [
        "miniCluster.containers[0].volumes.data: needs exactly one of dataVolume, claimName, secretName, configMapName, emptyDir"
    ]


def test_two_flux_containers_are_refused_and_neither_is_named_after_the_minicluster() -> None:
    containers = [{"image": "app:1", "runFlux": True}, {"image": "app:2", "runFlux": True}]
    assert _problems(_cpu(mini_cluster={"containers": containers})) == [
        "miniCluster.containers: exactly one container needs runFlux: true",
        "miniCluster.containers[0].name: required for a container that does not run Flux",
        "miniCluster.containers[1].name: required for a container that does not run Flux",
    ]


def test_nodes_must_divide_evenly_over_two_zones() -> None:
    pool = {"compactPlacement": False, "zones": ["us-central1-a", "us-central1-b"], "location": "us-central1"}
    assert _problems(_cpu({**pool, "nodeCount": 4})) == []
    assert _problems(_cpu({**pool, "nodeCount": 5}, {"size": 5})) == [
        "nodePool.nodeCount: GKE puts the same number of nodes in each zone: 5 nodes do not divide over 2 zones; "
        "use a multiple of 2"
    ]


@pytest.mark.parametrize(
    ("reservation", "problems"),
    [
        (
            {"consumeType": "SPECIFIC_RESERVATION", "key": "compute.googleapis.com/reservation-name"},
            ["nodePool.reservation: SPECIFIC_RESERVATION needs key and values"],
        ),
        (
            {"consumeType": "ANY_RESERVATION", "key": "compute.googleapis.com/reservation-name"},
            ["nodePool.reservation: key and values apply only to SPECIFIC_RESERVATION"],
        ),
        (
            {"consumeType": "ANY_RESERVATION", "values": ["r"]},
            ["nodePool.reservation: key and values apply only to SPECIFIC_RESERVATION"],
        ),
    ],
)
def test_reservation_key_and_values_go_with_a_specific_reservation(
    reservation: dict[str, Any], problems: list[str]
) -> None:
    assert _problems(_cpu({"reservation": reservation})) == problems


def test_a_shared_gpu_counts_once_per_client_for_packed_brokers() -> None:
    # Time-sharing with 2 clients: the node's one GPU serves two containers.
    config = _gpu_pool("a2-highgpu-1g", [{"image": "app:1"}], **_PACKED)
    config["nodePool"]["gpu"] = {"sharingStrategy": "TIME_SHARING", "maxSharedClientsPerGpu": 2}
    assert _problems(config) == []


def test_a_pool_name_gke_would_refuse_is_refused() -> None:
    assert _problems(_cpu({"name": "Bad_Name"})) == [
        "nodePool.name: 'Bad_Name': 1-40 lowercase letters, digits and '-', starting with a letter"
    ]


@pytest.mark.parametrize(
    ("length", "pool_name_length"),
    [
        (35, 40),  # NAME-pool fits GKE's 40 characters
        (38, 40),  # cut to 40: NAME-p
        (39, 39),  # cut to 40 would end in '-': dropped
    ],
)
def test_the_default_pool_name_fits_gkes_40_characters(length: int, pool_name_length: int) -> None:
    config = _cpu(mini_cluster={"name": "a" * length})
    pool = load_spec(config).node_pool
    assert pool is not None and pool.name is not None
    assert pool.name == f"{'a' * length}-pool"[:pool_name_length]


def test_a_curve_certificate_a_broker_would_refuse_is_refused_at_its_field() -> None:
    config = _cpu()
    config["curveCertificate"] = "curve\n"
    assert _problems(config) == ["curveCertificate: certificate has no metadata section"]


def test_threads_per_core_on_a_two_vcpu_fixed_smt_machine_names_the_family_rule() -> None:
    pool = {"machineType": "t2d-standard-2", "compactPlacement": False, "threadsPerCore": 2}
    assert _problems(_cpu(pool, {"size": 1})) == [
        "nodePool.threadsPerCore: threads per core cannot be set on t2d-standard-2: T2D machines run 1 thread "
        "per core, fixed; set it to null"
    ]

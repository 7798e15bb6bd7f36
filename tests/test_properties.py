"""Properties that hold for every valid experiment, over random specs."""

from __future__ import annotations

import tomllib
from fractions import Fraction
from typing import Any

from ClusterShell.NodeSet import NodeSet
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from schema_checks import validate_core_object, validate_minicluster

from flux_minicluster import SpecError, load_spec
from flux_minicluster.broker import fluxfacts
from flux_minicluster.broker.certificate import certificate_text, parse_certificate, public_key_for
from flux_minicluster.catalog.machines import MACHINE_TYPES
from flux_minicluster.catalog.quantities import quantity_value
from flux_minicluster.cli.render import rendered_resources

MACHINES = ["c2d-standard-112", "c3-standard-88", "h3-standard-88", "n2-standard-32", "g2-standard-24", "a2-highgpu-8g"]
names = st.from_regex(r"\A[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,8})?\Z")
# Sizes each storage class provisions (Filestore tiers start at 1 TiB, Basic SSD at 2.5 TiB).
VOLUME_SIZES: dict[str | None, list[str | int]] = {
    None: ["10Gi", "1Ti", "500G", 1024],
    "standard-rwx": ["1Ti", 2**40, "2Ti"],
    "premium-rwx": ["2560Gi", "3Ti"],
}


@st.composite
def experiments(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(1, 64))
    max_size = draw(st.integers(size, 128))
    min_size = draw(st.integers(1, size))
    name = draw(names)
    config: dict[str, Any] = {
        "miniCluster": {
            "name": name,
            "namespace": draw(names.filter(lambda n: n != "default" and not n.startswith("kube-"))),
            "backend": draw(st.sampled_from(["native", "operator"])),
            "size": size,
            "maxSize": max_size,
            "minSize": min_size,
            "interactive": draw(st.booleans()),
            "containers": [
                {"image": "ghcr.io/example/app:1", "command": draw(st.sampled_from([None, "lmp -in in.x"]))}
            ],
            "flux": {"queuePolicy": draw(st.sampled_from(["fcfs", "easy", "conservative", "hybrid"]))},
        },
    }
    if draw(st.booleans()):
        container = config["miniCluster"]["containers"][0]
        container["volumes"] = {"out": {"path": "/out", "claimName": "results"}}
        storage_class = draw(st.sampled_from(sorted(VOLUME_SIZES, key=str)))
        config["miniCluster"]["dataVolumes"] = {
            "results": {
                "size": draw(st.sampled_from(VOLUME_SIZES[storage_class])),
                "storageClassName": storage_class,
                "keep": draw(st.booleans()),
            }
        }
    if draw(st.booleans()):
        zones = draw(st.sampled_from([["us-central1-a"], ["us-central1-a", "us-central1-b", "us-central1-c"]]))
        per_zone = draw(st.integers(-(-size // len(zones)), 128 // len(zones)))
        config["nodePool"] = {
            "cluster": "hpc",
            "location": draw(st.sampled_from(["us-central1", "us-central1-a"])),
            "zones": zones,
            "compactPlacement": len(zones) == 1,
            "machineType": draw(st.sampled_from(MACHINES)),
            "nodeCount": per_zone * len(zones),
        }
    else:
        config["kubernetes"] = {"context": "kind-flux"}
    return config


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=experiments())
def test_rendered_objects_are_always_schema_valid(config: dict[str, Any], crd_schema: dict[str, Any]) -> None:
    config.pop("kubernetes", None)
    spec = load_spec(config)
    for resource in rendered_resources(spec):
        body = resource.body
        if body.get("kind") == "MiniCluster":
            validate_minicluster(body, crd_schema)
        elif "apiVersion" in body and not resource.type_token.endswith("Patch"):
            validate_core_object(body)


@settings(max_examples=100, deadline=None)
@given(config=experiments())
def test_broker_hostlist_always_covers_max_size(config: dict[str, Any]) -> None:
    config.pop("kubernetes", None)
    spec = load_spec(config)
    mc = spec.mini_cluster
    bodies = {r.body.get("kind"): r.body for r in rendered_resources(spec)}
    if mc.backend == "native":
        text = bodies["ConfigMap"]["data"]["broker.toml"]
    else:
        text = bodies["MiniCluster"]["spec"]["flux"]["brokerConfig"]
    bootstrap = tomllib.loads(text)["bootstrap"]
    hosts = [h for entry in bootstrap["hosts"] for h in NodeSet(entry["host"])]
    expected = [fluxfacts.broker_hostname(mc.name, i) for i in range(config["miniCluster"]["maxSize"])]
    assert sorted(hosts) == sorted(expected)
    assert hosts[0] == fluxfacts.broker_hostname(mc.name, 0)
    assert bootstrap["default_connect"] == f"tcp://%h.{mc.headless_name}:%p"


@settings(max_examples=200, deadline=None)
@given(secret=st.binary(min_size=32, max_size=32), name=names)
def test_certificate_public_key_always_matches_secret_key(secret: bytes, name: str) -> None:
    parsed = parse_certificate(certificate_text(secret, f"{name}-0"))
    assert parsed.keys.public_key == public_key_for(parsed.keys.secret_key)


# Independent statements of GKE's reservations ("Plan GKE Standard node sizes"),
# written as the page lists them, to check the spec against.
def gke_allocatable_cpu(cores: Fraction) -> Fraction:
    reserved = Fraction(6, 100) * min(cores, 1) + Fraction(1, 100) * max(min(cores, 2) - 1, 0)
    reserved += Fraction(5, 1000) * max(min(cores, 4) - 2, 0) + Fraction(25, 10000) * max(cores - 4, 0)
    return cores - reserved


def gke_allocatable_memory_gib(gib: Fraction) -> Fraction:
    tiers = [(0, 4, "0.25"), (4, 8, "0.20"), (8, 16, "0.10"), (16, 128, "0.06"), (128, 10**9, "0.02")]
    reserved = sum((Fraction(share) * max(min(gib, high) - low, 0) for low, high, share in tiers), Fraction(0))
    return gib - reserved - Fraction(100, 1024)


@st.composite
def any_pool_stacks(draw: st.DrawFn) -> dict[str, Any]:
    """Stacks that may break any node pool rule: the catalog's own names and
    near misses, zones in and out of the location, requests near a node's size."""
    machine = draw(st.sampled_from([*sorted(MACHINE_TYPES), "c2d-standard-113", "n2-standard-3"]))
    zones = draw(st.sampled_from([["us-central1-a"], ["us-central1-a", "us-central1-b"], ["europe-west4-a"]]))
    size = draw(st.integers(1, 8))
    pool: dict[str, Any] = {
        "cluster": "hpc",
        "location": draw(st.sampled_from(["us-central1", "us-central1-a", "europe-west4"])),
        "zones": zones,
        "machineType": machine,
        "nodeCount": draw(st.integers(1, 9)),
        "compactPlacement": draw(st.booleans()),
        "threadsPerCore": draw(st.sampled_from([1, 2, None])),
        "egressBandwidthTier": "DEFAULT",
    }
    if machine.startswith("n1-") and draw(st.booleans()):
        pool["gpu"] = {
            "type": draw(st.sampled_from(["nvidia-tesla-t4", "nvidia-tesla-v100"])),
            "count": draw(st.integers(1, 8)),
        }
    resources: dict[str, dict[str, Any]] = {"requests": {}, "limits": {}}
    kind = draw(st.sampled_from(["requests", "limits"]))
    resources[kind]["cpu"] = f"{draw(st.integers(1, 400_000))}m"
    resources[kind]["memory"] = f"{draw(st.integers(1, 4_000_000))}Mi"
    return {
        "nodePool": pool,
        "miniCluster": {
            "name": "app",
            "namespace": "app",
            "size": size,
            "allowPacking": draw(st.booleans()),
            "containers": [{"image": "ghcr.io/example/app:1", "resources": resources}],
        },
    }


def pod_asks(container: dict[str, Any], resource: str) -> Fraction:
    resources = container["resources"]
    text = resources["requests"].get(resource, resources["limits"].get(resource))
    return quantity_value(text)


@settings(max_examples=300, deadline=None)
@given(config=any_pool_stacks())
def test_every_accepted_pool_stack_fits_its_nodes(config: dict[str, Any]) -> None:
    try:
        spec = load_spec(config)
    except SpecError:
        event("refused")
        return
    event("accepted")
    pool, mc = spec.node_pool, spec.mini_cluster
    assert pool is not None
    shape = MACHINE_TYPES[pool.machine_type]
    # The machine type is one Compute Engine lists, its zones lie in the cluster's region.
    region = "-".join(pool.cluster_location.split("-")[:2])
    assert all(zone.rsplit("-", 1)[0] == region for zone in pool.zones)
    assert pool.node_count % len(pool.zones) == 0
    if not mc.allow_packing:
        assert pool.node_count >= mc.size
    # One pod per node (or as many as packing needs) fits what GKE leaves to pods.
    per_node = -(-mc.size // pool.node_count) if mc.allow_packing else 1
    smt_off = pool.threads_per_core == 1 and not pool.machine_type.startswith(("h3-", "h4d-", "t2d-", "t2a-"))
    cores = Fraction(shape.vcpus // 2 if smt_off else shape.vcpus)
    container = config["miniCluster"]["containers"][0]
    assert pod_asks(container, "cpu") * per_node <= gke_allocatable_cpu(cores)
    assert pod_asks(container, "memory") * per_node <= gke_allocatable_memory_gib(shape.memory_gib) * 2**30
    if pool.gpu is not None and pool.gpu.type == "nvidia-tesla-t4":
        assert pool.gpu_count in (1, 2, 4)

"""Properties that hold for every valid experiment, over random specs."""

from __future__ import annotations

import tomllib
from typing import Any

from ClusterShell.NodeSet import NodeSet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schema_checks import validate_core_object, validate_minicluster

from flux_minicluster import fluxfacts, load_spec
from flux_minicluster.certificate import certificate_text, parse_certificate, public_key_for
from flux_minicluster.render import rendered_resources

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
        elif "apiVersion" in body:
            validate_core_object(body)


@settings(max_examples=100, deadline=None)
@given(config=experiments())
def test_broker_hostlist_always_covers_max_size(config: dict[str, Any]) -> None:
    config.pop("kubernetes", None)
    spec = load_spec(config)
    mc = spec.mini_cluster
    (minicluster,) = [r.body for r in rendered_resources(spec) if r.body.get("kind") == "MiniCluster"]
    bootstrap = tomllib.loads(minicluster["spec"]["flux"]["brokerConfig"])["bootstrap"]
    hosts = [h for entry in bootstrap["hosts"] for h in NodeSet(entry["host"])]
    expected = [fluxfacts.broker_hostname(mc.name, i) for i in range(config["miniCluster"]["maxSize"])]
    assert sorted(hosts) == sorted(expected)
    assert hosts[0] == fluxfacts.broker_hostname(mc.name, 0)
    assert bootstrap["default_connect"] == f"tcp://%h.{mc.headless_name}.{mc.namespace}.svc.cluster.local:%p"


@settings(max_examples=200, deadline=None)
@given(secret=st.binary(min_size=32, max_size=32), name=names)
def test_certificate_public_key_always_matches_secret_key(secret: bytes, name: str) -> None:
    parsed = parse_certificate(certificate_text(secret, f"{name}-0"))
    assert parsed.keys.public_key == public_key_for(parsed.keys.secret_key)

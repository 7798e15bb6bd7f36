"""FluxMiniCluster and the stack program under the Pulumi mock engine."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from conftest import CPU_CONFIG, ROOT, stack_files

from flux_minicluster import FluxMiniCluster, SpecError, fluxfacts
from flux_minicluster.certificate import certificate_text
from flux_minicluster.program import run
from flux_minicluster.testing import RANDOM_BYTES, is_secret_value, run_under_mocks

NODE_POOL = "gcp:container/nodePool:NodePool"
MINICLUSTER = "kubernetes:flux-framework.org/v1alpha2:MiniCluster"
SECRET = "kubernetes:core/v1:Secret"
CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"
OPERATOR = "kubernetes:yaml/v2:ConfigFile"
SECRET_KEY = certificate_text(RANDOM_BYTES, "lammps-0").split('secret-key = "')[1].split('"')[0]


def recording_options(seen: dict[str, pulumi.ResourceOptions]) -> None:
    """Record every resource's options (old-style transformations run under mocks)."""

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        seen[args.name] = args.opts

    pulumi.runtime.register_stack_transformation(record)


def run_recording_options(config: dict[str, Any]) -> tuple[Any, dict[str, pulumi.ResourceOptions]]:
    """Evaluate one FluxMiniCluster named lammps; returns the mocks and each resource's options."""
    seen: dict[str, pulumi.ResourceOptions] = {}

    def program() -> Any:
        recording_options(seen)
        return FluxMiniCluster("lammps", config)

    mocks, _ = run_under_mocks(program)
    return mocks, seen


def stack_config(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())["config"]


def test_cpu_node_pool_is_compact_with_smt_off() -> None:
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", CPU_CONFIG))
    pool = mocks.one(NODE_POOL).inputs
    assert pool["placementPolicy"] == {"type": "COMPACT"}
    assert pool["nodeConfig"]["advancedMachineFeatures"]["threadsPerCore"] == 1
    assert pool["nodeConfig"]["gvnic"] == {"enabled": True}
    assert "initialNodeCount" not in pool


def test_gpu_pool_has_accelerators_taint_and_pods_tolerate_it() -> None:
    config = stack_config(ROOT / "stacks" / "Pulumi.h100-gpu.yaml")
    mocks, _ = run_under_mocks(run, config)
    node_config = mocks.one(NODE_POOL).inputs["nodeConfig"]
    assert node_config["guestAccelerators"][0]["type"] == "nvidia-h100-80gb"
    assert node_config["guestAccelerators"][0]["count"] == 8
    assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"} in node_config["taints"]
    pod = mocks.one(MINICLUSTER).inputs["spec"]["pod"]
    assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]


def test_minicluster_hosts_cover_max_size_and_hold_no_secret_key() -> None:
    mocks, _ = run_under_mocks(
        lambda: FluxMiniCluster("lammps", {**CPU_CONFIG, "miniCluster": {**CPU_CONFIG["miniCluster"], "maxSize": 6}})
    )
    minicluster = mocks.one(MINICLUSTER).inputs
    hosts = tomllib.loads(minicluster["spec"]["flux"]["brokerConfig"])["bootstrap"]["hosts"]
    assert hosts == [{"host": "lammps-[0-5]"}]
    assert SECRET_KEY not in json.dumps(minicluster)
    assert "curveCert" not in minicluster["spec"]["flux"]


def test_certificate_secret_data_and_output_are_secret() -> None:
    captured: dict[str, Any] = {}

    def program() -> Any:
        cluster = FluxMiniCluster("lammps", CPU_CONFIG)
        captured["cluster"] = cluster
        return cluster.certificate.is_secret()

    mocks, certificate_is_secret = run_under_mocks(program)
    string_data = mocks.one(SECRET).inputs["stringData"]
    assert is_secret_value(string_data)
    assert SECRET_KEY in string_data["value"]["curve.cert"]
    assert certificate_is_secret is True
    # No other registered input holds the secret key in the clear.
    for resource in mocks.resources:
        if resource.typ != SECRET:
            assert SECRET_KEY not in json.dumps(resource.inputs), resource.name


def test_user_certificate_replaces_generated_one() -> None:
    own = certificate_text(bytes(32 * [7]), "lammps-0")
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", CPU_CONFIG, curve_certificate=own))
    assert mocks.by_type("random:index/randomBytes:RandomBytes") == []
    assert mocks.one(SECRET).inputs["stringData"]["value"]["curve.cert"] == own


def test_lead_broker_endpoint_is_exported() -> None:
    def program() -> Any:
        cluster = FluxMiniCluster("lammps", CPU_CONFIG)
        return {"host": cluster.lead_broker_host, "broker": cluster.lead_broker, "pool": cluster.node_pool_name}

    _, outputs = run_under_mocks(program)
    assert outputs["host"] == "lammps-0.lammps.lammps.svc.cluster.local"
    assert outputs["broker"]["port"] == fluxfacts.BROKER_PORT
    assert outputs["broker"]["selector"] == "job-name=lammps,batch.kubernetes.io/job-completion-index=0"
    assert "flux submit" in outputs["broker"]["submit_command"]
    assert outputs["pool"] == "lammps-pool"


def test_parents_providers_and_dependencies() -> None:
    mocks, seen = run_recording_options(CPU_CONFIG)
    component = seen["lammps"]
    for name in (
        "lammps-node-pool",
        "lammps-flux-operator",
        "lammps-namespace",
        "lammps-curve-cert",
        "lammps-minicluster",
    ):
        assert seen[name].parent is not None and seen[name].parent._name == "lammps", name
    k8s_provider = seen["lammps-minicluster"].provider
    assert k8s_provider is not None and k8s_provider._name == "lammps-kubernetes"
    assert seen["lammps-flux-operator"].provider is k8s_provider
    assert seen["lammps-node-pool"].delete_before_replace
    waits_for = {r._name for r in seen["lammps-minicluster"].depends_on or []}
    assert {"lammps-flux-operator", "lammps-node-pool", "lammps-curve-cert"} <= waits_for
    assert not seen["lammps-flux-operator"].depends_on  # the operator does not wait for the node pool
    assert component.parent is None
    kubeconfig = json.loads(mocks.one("pulumi:providers:kubernetes").inputs["kubeconfig"])
    assert kubeconfig["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://203.0.113.10"


def test_changes_other_than_size_replace_the_minicluster() -> None:
    mocks, seen = run_recording_options(CPU_CONFIG)
    options = seen["lammps-minicluster"]
    assert options.delete_before_replace
    replace_on = set(options.replace_on_changes or [])
    assert "spec.maxSize" in replace_on and "spec.flux" in replace_on
    assert "spec.size" not in replace_on
    written = set(mocks.one(MINICLUSTER).inputs["spec"]) - {"size"}
    assert {f"spec.{key}" for key in written} <= replace_on


def with_data_volume(keep: bool) -> dict[str, Any]:
    mc = CPU_CONFIG["miniCluster"]
    container = {**mc["containers"][0], "volumes": {"out": {"path": "/results", "claimName": "results"}}}
    data_volume = {"size": "1Ti", "storageClassName": "standard-rwx", "keep": keep}
    return {**CPU_CONFIG, "miniCluster": {**mc, "containers": [container], "dataVolumes": {"results": data_volume}}}


def test_kept_data_volume_and_its_namespace_outlive_destroy() -> None:
    mocks, seen = run_recording_options(with_data_volume(keep=True))
    claim = mocks.one(CLAIM).inputs
    assert claim["metadata"]["name"] == "results" and claim["metadata"]["namespace"] == "lammps"
    assert claim["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": "1Ti"}},
        "storageClassName": "standard-rwx",
    }
    assert seen["lammps-data-results"].retain_on_delete
    # Deleting the namespace would delete the claim in it.
    assert seen["lammps-namespace"].retain_on_delete
    for name in ("lammps-curve-cert", "lammps-minicluster"):
        assert not seen[name].retain_on_delete, name
    # The MiniCluster's pods mount the claim and are deleted before it.
    assert "lammps-data-results" in {r._name for r in seen["lammps-minicluster"].depends_on or []}
    assert seen["lammps-data-results"].parent._name == "lammps"
    container = mocks.one(MINICLUSTER).inputs["spec"]["containers"][0]
    assert container["volumes"]["out"] == {"claimName": "results", "path": "/results", "readOnly": False}


def test_data_volume_not_kept_goes_with_the_stack() -> None:
    mocks, seen = run_recording_options(with_data_volume(keep=False))
    assert mocks.one(CLAIM).inputs["metadata"]["name"] == "results"
    assert not seen["lammps-data-results"].retain_on_delete
    assert not seen["lammps-namespace"].retain_on_delete


def test_caller_provider_is_used_and_no_gke_is_touched() -> None:
    seen: dict[str, pulumi.ResourceOptions] = {}
    config = {"miniCluster": CPU_CONFIG["miniCluster"]}

    def program() -> Any:
        import pulumi_kubernetes as k8s

        recording_options(seen)
        provider = k8s.Provider("mine", context="kind-flux")
        return FluxMiniCluster("lammps", config, pulumi.ResourceOptions(providers=[provider]))

    mocks, _ = run_under_mocks(program)
    assert mocks.by_type(NODE_POOL) == []
    assert [r.name for r in mocks.by_type("pulumi:providers:kubernetes")] == ["mine"]
    assert seen["lammps-minicluster"].provider._name == "mine"


def test_no_provider_and_no_node_pool_is_refused() -> None:
    def program() -> None:
        with pytest.raises(ValueError, match="Kubernetes provider"):
            FluxMiniCluster("x", {"miniCluster": CPU_CONFIG["miniCluster"]})

    mocks, _ = run_under_mocks(program)
    assert mocks.resources == []


def test_invalid_args_register_nothing() -> None:
    bad = {**CPU_CONFIG, "miniCluster": {**CPU_CONFIG["miniCluster"], "size": 9}}

    def program() -> Any:
        with pytest.raises(SpecError) as caught:
            FluxMiniCluster("lammps", bad)
        return [p.path for p in caught.value.problems]

    mocks, paths = run_under_mocks(program)
    assert paths == ["nodePool.nodeCount"]
    assert mocks.resources == []


def test_invalid_stack_fails_with_the_field_and_registers_nothing() -> None:
    config = stack_config(ROOT / "stacks" / "Pulumi.lammps-cpu.yaml")
    config["flux-minicluster:nodePool"]["zones"] = ["us-central1-a", "us-central1-b"]

    def program() -> Any:
        with pytest.raises(pulumi.RunError, match=r"nodePool\.zones: compact placement"):
            run()

    mocks, _ = run_under_mocks(program, config)
    assert mocks.resources == []


@pytest.mark.parametrize("stack", stack_files(), ids=lambda p: p.stem)
def test_every_stack_evaluates_identically_twice(stack: Path) -> None:
    first, _ = run_under_mocks(run, stack_config(stack))
    second, _ = run_under_mocks(run, stack_config(stack))
    assert first.by_type(MINICLUSTER)
    assert first.canonical() == second.canonical()


def _modules_loaded_evaluating(stack: str, modules: list[str]) -> dict[str, bool]:
    """Evaluate a stack under mocks in a fresh interpreter; which of ``modules`` it loaded."""
    script = f"""
import json, sys, yaml
from flux_minicluster.program import run
from flux_minicluster.testing import run_under_mocks
config = yaml.safe_load(open({str(ROOT / "stacks" / f"Pulumi.{stack}.yaml")!r}))["config"]
mocks, _ = run_under_mocks(run, config)
assert any(r.typ.endswith(":MiniCluster") for r in mocks.resources)
print(json.dumps({{name: name in sys.modules for name in {modules!r}}}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded: dict[str, bool] = json.loads(result.stdout)
    return loaded


def test_existing_cluster_stack_never_imports_pulumi_gcp() -> None:
    assert _modules_loaded_evaluating("kind-local", ["pulumi_gcp", "pulumi_kubernetes"]) == {
        "pulumi_gcp": False,
        "pulumi_kubernetes": True,
    }


def test_generated_broker_config_needs_no_toml_parser_or_hostlist_library() -> None:
    # Only a user-supplied flux.brokerConfig is parsed and checked; every
    # other program run is spared loading the libraries that check it.
    assert _modules_loaded_evaluating("lammps-cpu", ["tomllib", "ClusterShell", "pydantic"]) == {
        "tomllib": False,
        "ClusterShell": False,
        "pydantic": True,
    }


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*/__main__.py")), ids=lambda p: p.parent.name)
def test_every_example_evaluates_identically_twice(example: Path) -> None:
    import runpy

    def program() -> None:
        runpy.run_path(str(example), run_name="__main__")

    first, _ = run_under_mocks(program, project=example.parent.name)
    second, _ = run_under_mocks(program, project=example.parent.name)
    assert first.by_type(MINICLUSTER)
    assert first.canonical() == second.canonical()

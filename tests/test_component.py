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
from conftest import CPU_CONFIG, ROOT, stack_files

from flux_minicluster import FluxMiniCluster, SpecError
from flux_minicluster.broker import fluxfacts
from flux_minicluster.broker.certificate import certificate_text
from flux_minicluster.component.program import run
from flux_minicluster.testing import RANDOM_BYTES, is_secret_value, run_under_mocks, stack_settings

NODE_POOL = "gcp:container/nodePool:NodePool"
MINICLUSTER = "kubernetes:flux-framework.org/v1alpha2:MiniCluster"
JOB = "kubernetes:batch/v1:Job"
SIZE_PATCH = "kubernetes:batch/v1:JobPatch"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
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
    return stack_settings(path)


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
    pod = mocks.one(JOB).inputs["spec"]["template"]["spec"]
    assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    (broker,) = pod["containers"]
    assert broker["resources"]["limits"]["nvidia.com/gpu"] == 8


def test_broker_hosts_cover_max_size_and_no_object_but_the_secret_holds_the_key() -> None:
    mocks, _ = run_under_mocks(
        lambda: FluxMiniCluster("lammps", {**CPU_CONFIG, "miniCluster": {**CPU_CONFIG["miniCluster"], "maxSize": 6}})
    )
    config = mocks.one(CONFIG_MAP).inputs
    hosts = tomllib.loads(config["data"]["broker.toml"])["bootstrap"]["hosts"]
    assert hosts == [{"host": "lammps-[0-5]"}]
    for typ in (CONFIG_MAP, JOB, SIZE_PATCH):
        assert SECRET_KEY not in json.dumps(mocks.one(typ).inputs), typ


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


KUBERNETES_CHILDREN = (
    "lammps-namespace",
    "lammps-curve-cert",
    "lammps-flux-config",
    "lammps-service",
    "lammps-job",
    "lammps-size",
    "lammps-budget",
)


def test_parents_providers_and_dependencies() -> None:
    mocks, seen = run_recording_options(CPU_CONFIG)
    component = seen["lammps"]
    assert component.parent is None
    k8s_provider = seen["lammps-job"].provider
    assert k8s_provider is not None and k8s_provider._name == "lammps-kubernetes"
    for name in ("lammps-node-pool", *KUBERNETES_CHILDREN):
        assert seen[name].parent is not None and seen[name].parent._name == "lammps", name
    for name in KUBERNETES_CHILDREN:
        assert seen[name].provider is k8s_provider, name
    assert seen["lammps-node-pool"].delete_before_replace
    waits_for = {r._name for r in seen["lammps-job"].depends_on or []}
    assert {"lammps-node-pool", "lammps-flux-config", "lammps-service"} <= waits_for
    assert {"lammps-curve-cert", "lammps-node-pool"} <= {r._name for r in seen["lammps-flux-config"].depends_on or []}
    assert {r._name for r in seen["lammps-size"].depends_on or []} == {"lammps-job"}
    assert {r._name for r in seen["lammps-budget"].depends_on or []} == {"lammps-size"}
    provider = mocks.one("pulumi:providers:kubernetes").inputs
    # A secret, like any kubeconfig the state could otherwise hold in plaintext.
    assert is_secret_value(provider["kubeconfig"])
    kubeconfig = json.loads(provider["kubeconfig"]["value"])
    assert kubeconfig["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://203.0.113.10"
    # A CA rotation or new endpoint keeps the provider, and every object on it.
    assert provider["clusterIdentifier"] == "hpc"


def test_brokers_are_replaced_with_their_certificate_config_and_node_pool() -> None:
    _, seen = run_recording_options(CPU_CONFIG)
    config, job = seen["lammps-flux-config"], seen["lammps-job"]
    # depends_on alone never cascades a replacement; replace_with does.
    assert {r._name for r in config.replace_with or []} == {"lammps-curve-cert", "lammps-node-pool"}
    assert {r._name for r in job.replace_with or []} == {"lammps-flux-config"}
    assert job.delete_before_replace and config.delete_before_replace
    # The size patch and the budget are re-applied (and waited for) whenever the Job is new.
    assert {r._name for r in seen["lammps-size"].replace_with or []} == {"lammps-job"}
    assert {r._name for r in seen["lammps-budget"].replace_with or []} == {"lammps-job"}


def test_a_new_machine_type_replaces_the_node_pool_instead_of_recreating_its_nodes() -> None:
    """GKE rolls a machine type, disk or image change out by recreating every node,
    which would kill the brokers behind Pulumi's back; the pool is replaced
    instead, and the brokers with it. The paths are in the engine's names,
    taken here from pulumi-gcp's own input types."""
    from pulumi._types import input_type_py_to_pulumi_names
    from pulumi_gcp.container import NodePoolNodeConfigArgs

    _, seen = run_recording_options(CPU_CONFIG)
    engine = input_type_py_to_pulumi_names(NodePoolNodeConfigArgs)
    recreating = (
        "machine_type",
        "disk_type",
        "disk_size_gb",
        "image_type",
        "kubelet_config",
        "gvnic",
        "gcfs_config",
        "workload_metadata_config",
    )
    expected = {f"nodeConfig.{engine[field]}" for field in recreating} | {"networkConfig"}
    assert set(seen["lammps-node-pool"].replace_on_changes or []) == expected
    assert "lammps-node-pool" in {r._name for r in seen["lammps-flux-config"].replace_with or []}


def test_operator_minicluster_is_replaced_with_its_certificate_and_node_pool() -> None:
    config = {**CPU_CONFIG, "miniCluster": {**CPU_CONFIG["miniCluster"], "backend": "operator"}}
    _, seen = run_recording_options(config)
    minicluster = seen["lammps-minicluster"]
    assert {r._name for r in minicluster.replace_with or []} == {"lammps-curve-cert", "lammps-node-pool"}
    replace_on = set(minicluster.replace_on_changes or [])
    assert "spec.maxSize" in replace_on and "spec.flux" in replace_on and "spec.size" not in replace_on


def test_job_counts_belong_to_the_size_patch_which_starts_the_job() -> None:
    mocks, seen = run_recording_options(CPU_CONFIG)
    job = mocks.one(JOB).inputs
    assert job["spec"]["completionMode"] == "Indexed"
    assert job["spec"]["parallelism"] == job["spec"]["completions"] == 4
    # Created suspended: a replacement Job (created with the counts it was first
    # declared with) starts only once the patch has set the current ones.
    assert job["spec"]["suspend"] is True
    assert job["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    assert set(seen["lammps-job"].ignore_changes or []) == {"spec.parallelism", "spec.completions", "spec.suspend"}
    patch = mocks.one(SIZE_PATCH).inputs
    assert patch["spec"] == {"parallelism": 4, "completions": 4, "suspend": False}
    assert patch["metadata"]["name"] == "lammps"
    assert patch["metadata"]["annotations"] == {"pulumi.com/patchForce": "true", "pulumi.com/skipAwait": "true"}
    # Its delete would hand back an Indexed Job's required completions.
    assert seen["lammps-size"].retain_on_delete


def test_the_component_watches_its_brokers_come_up_with_the_clusters_kubeconfig() -> None:
    def program() -> Any:
        cluster = FluxMiniCluster("lammps", {**CPU_CONFIG, "miniCluster": {**CPU_CONFIG["miniCluster"], "minSize": 2}})
        return pulumi.Output.from_input(cluster.lead_broker_host.resources()).apply(
            lambda resources: sorted(r._name for r in resources)
        )

    mocks, depends = run_under_mocks(program)
    (request,) = mocks.waits
    assert (request.expect.namespace, request.expect.job, request.expect.size) == ("lammps", "lammps", 4)
    assert request.expect.waits_for_jobs and request.expect.broker_container == "lammps"
    assert request.timeout_seconds == 30 * 60
    # The node pool's cluster, as the component's Kubernetes provider reaches it.
    kubeconfig = json.loads(request.kubeconfig)
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://203.0.113.10"
    # The outputs resolve once the instance is up: after the patch started the Job, and every object exists.
    assert depends == ["lammps-budget", "lammps-size"]
    # No provider wait: the watch does it, and fails fast.
    assert "annotations" not in mocks.one("kubernetes:policy/v1:PodDisruptionBudget").inputs["metadata"]


def test_without_a_kubeconfig_the_provider_waits_for_every_broker() -> None:
    mc = {**CPU_CONFIG["miniCluster"], "size": 3}

    def program() -> Any:
        import pulumi_kubernetes as k8s

        provider = k8s.Provider("mine", context="kind-flux")
        return FluxMiniCluster("lammps", {"miniCluster": mc}, pulumi.ResourceOptions(providers=[provider]))

    mocks, _ = run_under_mocks(program)
    assert mocks.waits == []
    budget = mocks.one("kubernetes:policy/v1:PodDisruptionBudget").inputs
    assert budget["metadata"]["annotations"]["pulumi.com/waitFor"] == "jsonpath={.status.currentHealthy}=3"


def test_a_command_runs_to_completion_under_pulumi_up() -> None:
    mc = {**CPU_CONFIG["miniCluster"], "containers": [{"image": "lmp", "command": "lmp -in in.reaxc"}]}
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", {**CPU_CONFIG, "miniCluster": mc}))
    (request,) = mocks.waits
    assert not request.expect.waits_for_jobs  # done when the Job completes
    assert mocks.one(JOB).inputs["spec"]["backoffLimit"] == 0


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
    for name in ("lammps-curve-cert", "lammps-job"):
        assert not seen[name].retain_on_delete, name
    # The broker pods mount the claim and are deleted before it: the Job after
    # its ConfigMap, which is created after the claim.
    assert "lammps-data-results" in {r._name for r in seen["lammps-flux-config"].depends_on or []}
    assert seen["lammps-data-results"].parent._name == "lammps"
    pod = mocks.one(JOB).inputs["spec"]["template"]["spec"]
    assert {"name": "out", "persistentVolumeClaim": {"claimName": "results"}} in pod["volumes"]
    assert {"name": "out", "mountPath": "/results"} in pod["containers"][0]["volumeMounts"]


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
    for name in KUBERNETES_CHILDREN:
        assert seen[name].provider._name == "mine", name


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
    assert first.by_type(JOB)
    assert first.canonical() == second.canonical()


def _modules_loaded_evaluating(stack: str, modules: list[str]) -> dict[str, bool]:
    """Evaluate a stack under mocks in a fresh interpreter; which of ``modules`` it loaded."""
    script = f"""
import json, sys, yaml
from flux_minicluster.component.program import run
from pathlib import Path
from flux_minicluster.testing import run_under_mocks, stack_settings
config = stack_settings(Path({str(ROOT / "stacks" / f"Pulumi.{stack}.yaml")!r}))
mocks, _ = run_under_mocks(run, config)
assert any(r.typ == "kubernetes:batch/v1:Job" for r in mocks.resources)
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
    assert first.by_type(JOB) or first.by_type(CRD)
    assert first.canonical() == second.canonical()


def test_an_instance_that_does_not_come_up_fails_pulumi_up_with_the_reason_alone() -> None:
    from flux_minicluster.bringup.waiter import BringUpError

    def cannot_pull(request: Any, report: Any) -> str:
        report("0 of 4 brokers joined the instance")
        raise BringUpError("pod lammps/lammps-0-x (rank 0): container lammps cannot pull its image (ImagePullBackOff)")

    def program() -> Any:
        return FluxMiniCluster("lammps", CPU_CONFIG).lead_broker_host

    # RunError: Pulumi prints its message without a Python traceback.
    with pytest.raises(
        pulumi.RunError, match=r"rank 0\): container lammps cannot pull its image \(ImagePullBackOff\)$"
    ):
        run_under_mocks(program, waiter=cannot_pull)


def test_a_preview_waits_for_nothing() -> None:
    def waits_forever(request: Any, report: Any) -> str:
        raise AssertionError("a preview must not watch the cluster")

    mocks, _ = run_under_mocks(
        lambda: FluxMiniCluster("lammps", CPU_CONFIG).namespace, preview=True, waiter=waits_forever
    )
    assert mocks.waits == [] and mocks.by_type(JOB)


def test_nothing_is_created_on_a_cluster_too_old_for_the_native_backend(created_types: list[str]) -> None:
    from flux_minicluster.bringup.waiter import BringUpError

    def too_old(kubeconfig: str) -> str:
        raise BringUpError(
            "the cluster runs Kubernetes 1.28 (v1.28.9-gke.1000); the native backend needs 1.31 or later"
        )

    with pytest.raises(pulumi.RunError, match=r"Kubernetes 1\.28 .* needs 1\.31 or later"):
        run_under_mocks(lambda: FluxMiniCluster("lammps", CPU_CONFIG).lead_broker_host, checker=too_old)
    # The node pool and the provider, yes; nothing in the cluster.
    assert created_types and not [t for t in created_types if t.startswith("kubernetes:")]


def test_the_cluster_is_checked_before_the_namespace_is_created() -> None:
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", CPU_CONFIG))
    (checked,) = mocks.checks
    assert json.loads(checked)["clusters"][0]["cluster"]["server"] == "https://203.0.113.10"

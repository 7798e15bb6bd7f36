"""What a second `pulumi up` does: replacements predicted from what we register.

The mock engine diffs nothing, so these tests compute the object paths an
edit changes and check them against the replace rules the component
registers (``lifecycle.py``: the provider's own replace paths, and ours).
"""

from __future__ import annotations

import copy
import json
import socket
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from conftest import CPU_CONFIG, ROOT, stack_files

from flux_minicluster import FluxMiniCluster, load_spec
from flux_minicluster.broker.certificate import certificate_text
from flux_minicluster.cli.render import rendered_resources
from flux_minicluster.cli.update_plan import changed_paths
from flux_minicluster.component.flux_operator import FluxOperator
from flux_minicluster.component.program import run
from flux_minicluster.kubernetes_objects import BUDGET, CERTIFICATE, CONFIG, DATA_VOLUME, JOB, SIZE, kubernetes_objects
from flux_minicluster.lifecycle import LIFECYCLE, replaced_by
from flux_minicluster.stackfile.reader import read_stack
from flux_minicluster.testing import is_secret_value, run_under_mocks, stack_settings

CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"


def object_changes(before: Any, after: Any) -> dict[str, list[str]]:
    """For each role, the paths an edit changes."""
    old = {o.role + o.suffix: o for o in kubernetes_objects(before, "CERT")}
    new = {o.role + o.suffix: o for o in kubernetes_objects(after, "CERT")}
    assert set(old) == set(new)
    return {key: changed_paths(old[key].body, new[key].body) for key in old if old[key].body != new[key].body}


def role_of(key: str) -> str:
    return next(role for role in LIFECYCLE if key.startswith(role))


@pytest.mark.parametrize("stack", stack_files(), ids=lambda p: p.stem)
@pytest.mark.parametrize("backend", ["native", "operator"])
def test_a_size_change_within_max_size_replaces_nothing(stack: Path, backend: str) -> None:
    spec = read_stack(stack).spec
    mc = spec.mini_cluster
    assert mc.max_size is not None
    smaller = mc.size - 1 if mc.size > mc.min_size else mc.size + 1
    assert mc.min_size <= smaller <= mc.max_size, "the stack leaves no room to scale"
    before = spec.model_copy(update={"mini_cluster": mc.model_copy(update={"backend": backend})})
    after = before.model_copy(update={"mini_cluster": before.mini_cluster.model_copy(update={"size": smaller})})
    changes = object_changes(before, after)
    if backend == "native" and not mc.waits_for_jobs:
        # The command's task counts change with the size: it runs again (README's update table).
        assert 'data["entrypoint.sh"]' in replaced_by(CONFIG, changes[CONFIG + "flux-config"])
        return
    for key, paths in changes.items():
        assert replaced_by(role_of(key), paths) == [], (key, paths)
    if backend == "native":
        # The Job's counts belong to the size patch; the budget counts the new ranks.
        assert sorted(changes.pop(JOB + "job")) == ["spec.completions", "spec.parallelism"]
        assert sorted(changes.pop(SIZE + "size")) == ["spec.completions", "spec.parallelism"]
        assert changes.pop(BUDGET + "budget") == ["spec.minAvailable"]
    else:
        assert changes.pop("minicluster" + "minicluster") == ["spec.size"]
    assert changes == {}


def test_without_max_size_a_size_change_replaces_the_instance(cpu_config: dict[str, Any]) -> None:
    before = load_spec(cpu_config)
    cpu_config["miniCluster"]["size"] = 3
    changes = object_changes(before, load_spec(cpu_config))
    # The hostlist follows maxSize, which follows size: a new config, so new brokers.
    assert replaced_by(CONFIG, changes[CONFIG + "flux-config"]) == ['data["broker.toml"]', 'data["entrypoint.sh"]']
    assert CONFIG in LIFECYCLE[JOB].replace_with


def test_a_new_certificate_replaces_the_secret_and_with_it_the_brokers() -> None:
    spec = load_spec(CPU_CONFIG)
    old = {o.role: o.body for o in kubernetes_objects(spec, certificate_text(bytes(32), "lammps-0"))}
    new = {o.role: o.body for o in kubernetes_objects(spec, certificate_text(bytes([1] * 32), "lammps-0"))}
    assert replaced_by(CERTIFICATE, changed_paths(old[CERTIFICATE], new[CERTIFICATE])) == ['stringData["curve.cert"]']
    assert CERTIFICATE in replacing(JOB) and CERTIFICATE in replacing("minicluster")
    # Nothing else carries the certificate, so nothing else changes.
    assert all(old[role] == new[role] for role in old if role != CERTIFICATE)
    assert "BEGIN" not in str(old[CONFIG]) and certificate_text(bytes(32), "lammps-0") not in str(old[CONFIG])


def test_a_node_pool_replacement_replaces_the_brokers() -> None:
    assert "node-pool" in replacing(JOB)
    assert "node-pool" in replacing("minicluster")


def test_a_data_volume_replacement_replaces_the_brokers_that_hold_it() -> None:
    assert DATA_VOLUME in replacing(JOB)


def replacing(role: str) -> set[str]:
    """Every role whose replacement replaces ``role``, directly or through another."""
    found: set[str] = set()
    todo = list(LIFECYCLE[role].replace_with)
    while todo:
        other = todo.pop()
        if other not in found:
            found.add(other)
            todo += LIFECYCLE[other].replace_with if other in LIFECYCLE else []
    return found


def test_renaming_the_minicluster_keeps_every_resource_name() -> None:
    spec = read_stack("stacks/Pulumi.lammps-cpu.yaml").spec
    renamed = spec.model_copy(update={"mini_cluster": spec.mini_cluster.model_copy(update={"name": "reaxff"})})
    assert [r.name for r in rendered_resources(spec)] == [r.name for r in rendered_resources(renamed)]


def test_stack_program_names_resources_after_the_stack_not_the_minicluster() -> None:
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.kind-local.yaml").read_text())["config"]
    first, _ = run_under_mocks(run, config)
    config["flux-minicluster:miniCluster"]["name"] = "renamed"
    second, _ = run_under_mocks(run, config)
    assert sorted(r.name for r in first.resources) == sorted(r.name for r in second.resources)


def stack_config(name: str) -> dict[str, Any]:
    return stack_settings(ROOT / "stacks" / f"Pulumi.{name}.yaml")


def test_plaintext_certificate_in_the_stack_is_refused_by_the_program() -> None:
    config = stack_config("kind-local")
    config["flux-minicluster:curveCertificate"] = certificate_text(bytes(32), "hello-0")

    def program() -> None:
        with pytest.raises(pulumi.RunError, match="pulumi config set --secret"):
            run()

    mocks, _ = run_under_mocks(program, config)
    assert mocks.resources == []
    # The same text set with --secret is taken.
    mocks, _ = run_under_mocks(run, config, secret_keys=["flux-minicluster:curveCertificate"])
    assert mocks.by_type("kubernetes:core/v1:Secret")


def test_a_kubeconfig_file_reaches_the_provider_as_a_secret(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: hunter2}}]\n")
    config = stack_config("kind-local")
    config["flux-minicluster:kubernetes"]["kubeconfig"] = str(kubeconfig)
    mocks, _ = run_under_mocks(run, config)
    (provider,) = mocks.by_type("pulumi:providers:kubernetes")
    assert is_secret_value(provider.inputs["kubeconfig"])
    assert "hunter2" not in json.dumps({k: v for k, v in provider.inputs.items() if k != "kubeconfig"})


def test_a_context_and_a_node_pool_in_one_stack_are_refused() -> None:
    config = stack_config("lammps-cpu")
    config["flux-minicluster:kubernetes"] = {"context": "kind-flux"}

    def program() -> None:
        with pytest.raises(pulumi.RunError, match="kubernetes: a stack with nodePool"):
            run()

    mocks, _ = run_under_mocks(program, config)
    assert mocks.resources == []


def record_options(seen: dict[str, pulumi.ResourceOptions]) -> None:
    def record(args: pulumi.ResourceTransformationArgs) -> None:
        seen[args.name] = args.opts

    pulumi.runtime.register_stack_transformation(record)


def test_operator_install_keeps_its_crd_on_destroy_and_never_reads_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the operator install opened a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    seen: dict[str, pulumi.ResourceOptions] = {}

    def program() -> None:
        import pulumi_kubernetes as k8s

        record_options(seen)
        provider = k8s.Provider("cluster", context="kind-flux")
        FluxOperator("flux-operator", opts=pulumi.ResourceOptions(providers=[provider]))

    mocks, _ = run_under_mocks(program)
    (crd,) = mocks.by_type(CRD)
    assert seen[crd.name].retain_on_delete
    kept = [name for name, options in seen.items() if options.retain_on_delete]
    assert kept == [crd.name], "only the CRD outlives destroy"
    (deployment,) = mocks.by_type("kubernetes:apps/v1:Deployment")
    images = [c["image"] for c in deployment.inputs["spec"]["template"]["spec"]["containers"]]
    assert images == ["ghcr.io/flux-framework/flux-operator:latest"]


def test_an_experiment_installs_no_operator_unless_asked() -> None:
    for name in ("lammps-cpu", "kind-local", "h100-gpu"):
        mocks, _ = run_under_mocks(run, stack_config(name))
        assert mocks.by_type(CRD) == [], name
        assert mocks.by_type("flux-minicluster:index:FluxOperator") == [], name


def test_operator_image_can_be_pinned_by_digest() -> None:
    config = copy.deepcopy(CPU_CONFIG)
    config["miniCluster"]["backend"] = "operator"
    config["operator"] = {"install": True, "image": "ghcr.io/flux-framework/flux-operator@sha256:" + "a" * 64}
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", config))
    (deployment,) = mocks.by_type("kubernetes:apps/v1:Deployment")
    (manager,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert manager["image"].endswith("a" * 64) and manager["imagePullPolicy"] == "IfNotPresent"
    assert mocks.by_type(CRD)


@pytest.mark.parametrize("backend", ["native", "operator"])
def test_an_integer_empty_dir_size_limit_is_written_as_a_string(backend: str) -> None:
    config = copy.deepcopy(CPU_CONFIG)
    container = config["miniCluster"]["containers"][0]
    container["volumes"] = {"scratch": {"path": "/scratch", "emptyDir": True, "emptyDirSizeLimit": 1024}}
    config["miniCluster"]["backend"] = backend
    text = json.dumps([o.body for o in kubernetes_objects(load_spec(config), "CERT")])
    # The CRD types it as a string, and a Kubernetes quantity is one.
    assert '"emptyDirSizeLimit": "1024"' in text or '"sizeLimit": "1024"' in text
    assert "1024," not in text and "1024}" not in text

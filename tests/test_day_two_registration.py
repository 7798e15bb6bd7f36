"""What a real cluster's day two asks of the registrations: properties the real engine acts on.

The mock engine neither diffs, waits nor reads; ``provider_model.py`` says
what pulumi-kubernetes and the Pulumi engine do with what the component
registers, and these tests hold every registration to it, for every stack
shape: options, property dependencies, annotations.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
from conftest import CPU_CONFIG, stack_files
from provider_model import delete_waits, refresh_reads

from flux_minicluster import FluxMiniCluster
from flux_minicluster.backends.native.objects import job_digest
from flux_minicluster.component.program import run
from flux_minicluster.testing import run_under_mocks, stack_settings


@dataclass
class Registration:
    """One resource as registered: its inputs (camelCase, as the engine gets them),
    its options, and the resources each top-level input depends on."""

    name: str
    typ: str
    inputs: dict[str, Any]
    options: pulumi.ResourceOptions
    depends: dict[str, set[str]]

    @property
    def body(self) -> dict[str, Any]:
        """The Kubernetes object, with the engine's floats read back as the integers they were."""
        return _ints(self.inputs)


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def register(program: Any, config: dict[str, Any] | None = None) -> dict[str, Registration]:
    """Every resource a program registers, with the dependencies of each of its inputs."""
    seen: dict[str, tuple[str, pulumi.ResourceOptions, dict[str, Any]]] = {}

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        seen[args.name] = (args.type_, args.opts, dict(args.props or {}))

    async def dependencies() -> dict[str, dict[str, set[str]]]:
        found: dict[str, dict[str, set[str]]] = {}
        for name, (_, _, props) in list(seen.items()):
            found[name] = {}
            for key, value in props.items():
                resources = await pulumi.Output.from_input(value).resources()
                found[name][key] = {r._name for r in resources}  # type: ignore[attr-defined]
        return found

    def evaluate() -> Any:
        pulumi.runtime.register_stack_transformation(record)
        program()
        return pulumi.Output.from_input(asyncio.ensure_future(dependencies()))

    mocks, depends = run_under_mocks(evaluate, config)
    inputs = {r.name: r.inputs for r in mocks.resources}
    return {
        name: Registration(name, typ, inputs.get(name, {}), options, depends[name])
        for name, (typ, options, _) in seen.items()
        if typ.startswith("kubernetes:") or typ.startswith("gcp:")
    }


def stack_config(path: Path) -> dict[str, Any]:
    return stack_settings(path)


def shapes() -> Iterator[tuple[str, Any, dict[str, Any] | None]]:
    """Every kind of stack: the shipped ones, a command, a data volume, Kueue, the operator backend."""
    for path in stack_files():
        yield path.stem, run, stack_config(path)
    command = copy.deepcopy(CPU_CONFIG)
    command["miniCluster"]["containers"][0]["command"] = "lmp -in in.lj"
    with_volume = copy.deepcopy(CPU_CONFIG)
    with_volume["miniCluster"]["containers"][0]["volumes"] = {"out": {"path": "/out", "claimName": "out"}}
    with_volume["miniCluster"]["dataVolumes"] = {"out": {"size": "1Ti", "storageClassName": "standard-rwx"}}
    kueue = copy.deepcopy(CPU_CONFIG)
    kueue["miniCluster"]["jobLabels"] = {"kueue.x-k8s.io/queue-name": "hpc"}
    operator = copy.deepcopy(CPU_CONFIG)
    operator["miniCluster"]["backend"] = "operator"
    for label, config in (("command", command), ("volume", with_volume), ("kueue", kueue), ("operator", operator)):
        yield label, (lambda c=config: FluxMiniCluster("experiment", c)), None


SHAPES = list(shapes())
NATIVE = [shape for shape in SHAPES if shape[0] != "operator"]


@pytest.fixture(scope="module", params=SHAPES, ids=[s[0] for s in SHAPES])
def registered(request: pytest.FixtureRequest) -> dict[str, Registration]:
    _, program, config = request.param
    return register(program, config)


@pytest.fixture(scope="module", params=NATIVE, ids=[s[0] for s in NATIVE])
def native(request: pytest.FixtureRequest) -> dict[str, Registration]:
    """The registrations of a stack of the native backend (a Job, its ConfigMap, its patch)."""
    _, program, config = request.param
    return register(program, config)


def tombstone_races(registered: dict[str, Registration]) -> list[str]:
    """Each object deleted before its replacement is created whose deletion is
    not waited for: the replacement would meet it still terminating.

    Its deletion is waited for when the provider waits (``delete_waits``), or
    when it belongs to an object whose deletion the provider waits for and
    that blocks on it (an owner reference with ``blockOwnerDeletion``), which
    the engine deletes after it (its ``metadata`` depends on the owner: the
    engine deletes dependents first), and which is replaced whenever it is
    (the owner holds its digest, and replaces on it).
    """
    by_object = {(r.body.get("kind"), r.body.get("metadata", {}).get("name")): r for r in registered.values()}
    races = []
    for reg in registered.values():
        body = reg.body
        if not reg.typ.startswith("kubernetes:") or reg.typ.endswith("Patch") or not reg.options.delete_before_replace:
            continue
        if delete_waits(body):
            continue
        owners = [o for o in body["metadata"].get("ownerReferences", []) if o.get("blockOwnerDeletion")]
        guarded = False
        for owner_ref in owners:
            owner = by_object.get((owner_ref["kind"], owner_ref["name"]))
            if owner is None or not delete_waits(owner.body) or not owner.options.delete_before_replace:
                continue
            deleted_first = owner.name in reg.depends.get("metadata", set())
            holds_digest = job_digest(body) in json.dumps(owner.body.get("data", {}))
            replaces_on_it = "data" in (owner.options.replace_on_changes or [])
            if deleted_first and holds_digest and replaces_on_it:
                guarded = True
        if not guarded:
            races.append(f"{reg.name} ({body['kind']}): its deletion is not waited for")
    return races


def test_no_object_deleted_before_its_replacement_races_its_tombstone(registered: dict[str, Registration]) -> None:
    assert tombstone_races(registered) == []


def test_the_tombstone_check_sees_a_job_whose_deletion_nothing_waits_for() -> None:
    registered = register(lambda: FluxMiniCluster("experiment", CPU_CONFIG))
    (job,) = [r for r in registered.values() if r.typ == "kubernetes:batch/v1:Job"]
    assert tombstone_races(registered) == []
    # Without its owner (as before: skipAwait alone), the provider would not wait.
    job.inputs["metadata"] = {k: v for k, v in job.inputs["metadata"].items() if k != "ownerReferences"}
    assert tombstone_races(registered) == ["experiment-job (Job): its deletion is not waited for"]
    # With the owner but no property dependency on it, the engine may delete the owner first.
    job.inputs["metadata"] = registered["experiment-job"].inputs["metadata"]
    owner_free = register(lambda: FluxMiniCluster("experiment", CPU_CONFIG))
    owner_free["experiment-job"].depends["metadata"] = set()
    assert tombstone_races(owner_free) == ["experiment-job (Job): its deletion is not waited for"]


def formed(body: dict[str, Any]) -> dict[str, Any]:
    """The object as the API server shows it once the instance has formed and waits for jobs."""
    live = copy.deepcopy(body)
    if body.get("kind") == "Job":
        size = body["spec"]["parallelism"]
        live["spec"]["suspend"] = False
        live["status"] = {"active": size, "ready": size, "startTime": "2026-12-04T10:00:00Z", "terminating": 0}
    if body.get("kind") == "PodDisruptionBudget":
        size = body["spec"]["minAvailable"]
        live["status"] = {"currentHealthy": size, "desiredHealthy": size, "expectedPods": size, "disruptionsAllowed": 0}
    return live


def test_a_refresh_of_a_formed_instance_reads_every_object_healthy(registered: dict[str, Registration]) -> None:
    bodies = [r.body for r in registered.values() if r.typ.startswith("kubernetes:")]
    assert bodies
    assert {b["kind"]: refresh_reads(b, formed(b)) for b in bodies} == {b["kind"]: "healthy" for b in bodies}


def test_the_refresh_model_reads_a_running_job_with_a_wait_annotation_unhealthy() -> None:
    """The size patch as it was (waitFor, no skipAwait): every refresh reported it unhealthy."""
    patch = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "a", "annotations": {"pulumi.com/waitFor": "jsonpath={.status.ready}=2"}},
        "spec": {"parallelism": 2, "completions": 2},
    }
    assert refresh_reads(patch, formed(patch)) == "unhealthy"


def test_config_and_certificate_are_replaced_whatever_the_provider_is_told(
    registered: dict[str, Registration],
) -> None:
    """enableConfigMapMutable / enableSecretMutable update them in place unless they are
    immutable (pulumi-kubernetes provider/pkg/provider/diff.go); running brokers
    would keep the old content while new ranks read the new one."""
    for reg in registered.values():
        if reg.body.get("kind") in ("ConfigMap", "Secret") and reg.name.startswith("experiment-"):
            assert reg.body["immutable"] is True, reg.name
            data = "data" if reg.body["kind"] == "ConfigMap" else "stringData"
            assert data in (reg.options.replace_on_changes or []), reg.name


def test_a_replacement_job_starts_suspended_at_the_current_size(native: dict[str, Registration]) -> None:
    (job,) = [r for r in native.values() if r.typ == "kubernetes:batch/v1:Job"]
    (patch,) = [r for r in native.values() if r.typ == "kubernetes:batch/v1:JobPatch"]
    # The engine feeds a replacement the ignored fields' old values: the Job is created
    # suspended, and the patch sets the counts before anything starts.
    assert job.body["spec"]["suspend"] is True
    assert set(job.options.ignore_changes or []) >= {"spec.parallelism", "spec.completions", "spec.suspend"}
    size = job.body["spec"]["parallelism"]
    assert patch.body["spec"]["parallelism"] == patch.body["spec"]["completions"] == size
    if "kueue.x-k8s.io/queue-name" in job.body["metadata"]["labels"]:
        assert "suspend" not in patch.body["spec"]  # Kueue starts it when it admits it
    else:
        assert patch.body["spec"]["suspend"] is False
    assert job.name in {r._name for r in patch.options.replace_with or []}  # type: ignore[attr-defined]


def test_brokers_go_before_the_volumes_certificate_and_pool_they_use(native: dict[str, Registration]) -> None:
    """When a claim, the Secret or the pool is replaced, the engine deletes what depends on
    it first: the ConfigMap names each of them in its data, and the Job depends on the
    ConfigMap (calculateDependentReplacements, pulumi/pulumi step_generator.go). A
    claim still mounted by brokers would otherwise hang in Terminating."""
    (config,) = [r for r in native.values() if r.typ == "kubernetes:core/v1:ConfigMap"]
    uses = {
        r.name
        for r in native.values()
        if r.typ
        in ("kubernetes:core/v1:Secret", "kubernetes:core/v1:PersistentVolumeClaim", "gcp:container/nodePool:NodePool")
    }
    assert uses and uses <= config.depends["data"]
    assert config.name in native["experiment-job"].depends["metadata"]

"""What reaches each child resource, checked on every child under the mock engine.

Per-object builders are pinned elsewhere; these tests pin the wiring between
the spec, the arguments of ``FluxMiniCluster`` and what every registered
resource receives: its provider, the cluster override, the certificate's
secrecy, derived defaults and user text passed through unchanged.
"""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pulumi
import pytest
from conftest import CPU_CONFIG, ROOT

from flux_minicluster import FluxMiniCluster
from flux_minicluster.broker import fluxfacts
from flux_minicluster.broker.certificate import certificate_text
from flux_minicluster.cli import main
from flux_minicluster.component.program import run
from flux_minicluster.testing import RecordingMocks, is_secret_value, run_under_mocks, stack_settings

SECRET = "kubernetes:core/v1:Secret"
JOB = "kubernetes:batch/v1:Job"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE = "kubernetes:core/v1:Service"
MINICLUSTER = "kubernetes:flux-framework.org/v1alpha2:MiniCluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
K8S_PROVIDER = "pulumi:providers:kubernetes"


def config_with(**mini_cluster: Any) -> dict[str, Any]:
    config = copy.deepcopy(CPU_CONFIG)
    config["miniCluster"].update(mini_cluster)
    return config


OPERATOR = config_with(backend="operator")
OPERATOR_INSTALLED = {**config_with(backend="operator"), "operator": {"install": True}}
WITH_DATA = config_with(
    containers=[{"image": "lmp", "volumes": {"out": {"path": "/results", "claimName": "results"}}}],
    dataVolumes={"results": {"size": "1Ti", "storageClassName": "standard-rwx"}},
)
COMMAND = config_with(containers=[{"image": "lmp", "command": "lmp -in in.reaxc"}])

SHAPES = {
    "native": CPU_CONFIG,
    "native-command": COMMAND,
    "native-data-volume": WITH_DATA,
    "operator": OPERATOR,
    "operator-installed": OPERATOR_INSTALLED,
}


def kubernetes_objects(mocks: RecordingMocks) -> list[Any]:
    return [r for r in mocks.resources if r.typ.startswith("kubernetes:")]


def provider_name(reference: str | None) -> str:
    """The resource name in a provider reference ``URN::ID``."""
    assert reference, "no provider"
    urn = reference.rsplit("::", 1)[0]
    assert "pulumi:providers:kubernetes::" in urn, urn
    return urn.rsplit("::", 1)[1]


@pytest.mark.parametrize("config", SHAPES.values(), ids=SHAPES.keys())
def test_every_kubernetes_object_uses_the_pool_cluster_provider(config: dict[str, Any]) -> None:
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", config))
    objects = kubernetes_objects(mocks)
    assert len({r.typ for r in objects}) >= 3  # the shape really built its objects
    assert [r.name for r in mocks.by_type(K8S_PROVIDER)] == ["lammps-kubernetes"]
    for resource in objects:
        assert provider_name(resource.provider) == "lammps-kubernetes", resource.name


@pytest.mark.parametrize("config", SHAPES.values(), ids=SHAPES.keys())
def test_every_kubernetes_object_uses_the_callers_provider(config: dict[str, Any]) -> None:
    without_pool = {k: v for k, v in config.items() if k != "nodePool"}

    def program() -> Any:
        import pulumi_kubernetes as k8s

        provider = k8s.Provider("mine", context="kind-flux")
        return FluxMiniCluster("lammps", without_pool, pulumi.ResourceOptions(providers=[provider]))

    mocks, _ = run_under_mocks(program)
    objects = kubernetes_objects(mocks)
    assert objects and mocks.by_type(NODE_POOL) == []
    for resource in objects:
        assert provider_name(resource.provider) == "mine", resource.name


def test_cluster_override_reaches_the_node_pool_and_the_provider() -> None:
    other = "projects/p/locations/us-central1-a/clusters/other"
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", CPU_CONFIG, cluster=other))
    assert mocks.one(NODE_POOL).inputs["cluster"] == other
    provider = mocks.one(K8S_PROVIDER).inputs
    assert provider["clusterIdentifier"] == other
    # The kubeconfig comes from looking up the override's cluster, by name.
    assert json.loads(provider["kubeconfig"]["value"])["contexts"][0]["context"]["cluster"] == "other"


def test_without_override_the_node_pool_joins_the_stack_cluster() -> None:
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", CPU_CONFIG))
    assert mocks.one(NODE_POOL).inputs["cluster"] == "hpc"


# The certificate's three sources; each must leave the Secret's data secret
# and keep the secret key out of every other input.
OWN = certificate_text(bytes(32 * [7]), "lammps-0")
OWN_SECRET_KEY = OWN.split('secret-key = "')[1].split('"')[0]


def _from_stack() -> FluxMiniCluster:
    return FluxMiniCluster("lammps", {**CPU_CONFIG, "curveCertificate": OWN})


def _from_argument() -> FluxMiniCluster:
    return FluxMiniCluster("lammps", CPU_CONFIG, curve_certificate=OWN)


def _generated() -> FluxMiniCluster:
    return FluxMiniCluster("lammps", CPU_CONFIG)


def _generated_operator() -> FluxMiniCluster:
    return FluxMiniCluster("lammps", OPERATOR)


def _from_stack_operator() -> FluxMiniCluster:
    return FluxMiniCluster("lammps", {**OPERATOR, "curveCertificate": OWN})


def _from_argument_operator() -> FluxMiniCluster:
    return FluxMiniCluster("lammps", OPERATOR, curve_certificate=OWN)


CERTIFICATE_PATHS = {
    "generated": _generated,
    "stack": _from_stack,
    "argument": _from_argument,
    "generated-operator": _generated_operator,
    "stack-operator": _from_stack_operator,
    "argument-operator": _from_argument_operator,
}


@pytest.mark.parametrize("make", CERTIFICATE_PATHS.values(), ids=CERTIFICATE_PATHS.keys())
def test_certificate_is_secret_on_every_path(make: Any) -> None:
    def program() -> Any:
        return make().certificate.is_secret()

    mocks, output_is_secret = run_under_mocks(program)
    assert output_is_secret is True
    data = mocks.one(SECRET).inputs["stringData"]
    assert is_secret_value(data)
    text = data["value"][fluxfacts.CERT_SECRET_KEY]
    secret_key = text.split('secret-key = "')[1].split('"')[0]
    if make in (_from_stack, _from_argument, _from_stack_operator, _from_argument_operator):
        assert text == OWN
    for resource in mocks.resources:
        if resource.typ != SECRET:
            assert secret_key not in json.dumps(resource.inputs), resource.name


def test_certificate_from_secret_stack_config_stays_secret() -> None:
    config = stack_settings(ROOT / "stacks" / "Pulumi.lammps-cpu.yaml")
    config["flux-minicluster:curveCertificate"] = OWN
    mocks, _ = run_under_mocks(run, config, secret_keys=["flux-minicluster:curveCertificate"])
    data = mocks.one(SECRET).inputs["stringData"]
    assert is_secret_value(data) and data["value"][fluxfacts.CERT_SECRET_KEY] == OWN
    for resource in mocks.resources:
        if resource.typ != SECRET:
            assert OWN_SECRET_KEY not in json.dumps(resource.inputs), resource.name


# GPU pools: with no limit of its own, the Flux container gets every GPU of
# its node (one broker per node).
T4_POOL = {
    **CPU_CONFIG["nodePool"],
    "machineType": "n1-standard-16",
    "compactPlacement": False,
    "gpu": {"type": "nvidia-tesla-t4", "count": 2},
}


@pytest.mark.parametrize("backend", ["native", "operator"])
def test_flux_container_gets_every_gpu_of_an_attached_gpu_pool(backend: str) -> None:
    config = {**config_with(backend=backend), "nodePool": T4_POOL}
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", config))
    if backend == "native":
        (container,) = mocks.one(JOB).inputs["spec"]["template"]["spec"]["containers"]
    else:
        (container,) = mocks.one(MINICLUSTER).inputs["spec"]["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 2


@pytest.mark.parametrize("strategy", ["TIME_SHARING", "MPS"])
def test_flux_container_gets_one_gpu_of_a_shared_gpu_pool(strategy: str) -> None:
    # GKE time-sharing and MPS: a container may ask for one shared GPU.
    gpu = {**T4_POOL["gpu"], "sharingStrategy": strategy, "maxSharedClientsPerGpu": 4}
    config = {**CPU_CONFIG, "nodePool": {**T4_POOL, "gpu": gpu}}
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", config))
    (container,) = mocks.one(JOB).inputs["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1


def test_flux_container_gets_the_built_in_gpus_of_a_gpu_machine() -> None:
    config = {**CPU_CONFIG, "nodePool": {**CPU_CONFIG["nodePool"], "machineType": "a2-highgpu-4g"}}
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", config))
    (container,) = mocks.one(JOB).inputs["spec"]["template"]["spec"]["containers"]
    # a2-highgpu-4g: four A100 (Compute Engine accelerator-optimized machines).
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 4


def test_a_container_limit_of_its_own_is_kept_on_a_gpu_pool() -> None:
    containers = [{"image": "lmp", "resources": {"limits": {"nvidia.com/gpu": 1}}}]
    config = {**config_with(containers=containers), "nodePool": T4_POOL}
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", config))
    (container,) = mocks.one(JOB).inputs["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1


def test_cpu_pool_gives_no_gpus() -> None:
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", CPU_CONFIG))
    (container,) = mocks.one(JOB).inputs["spec"]["template"]["spec"]["containers"]
    assert "nvidia.com/gpu" not in json.dumps(container)


@pytest.mark.parametrize("backend", ["native", "operator"])
def test_lead_broker_host_follows_headless_name(backend: str) -> None:
    config = config_with(headlessName="brokers", backend=backend, clusterDomain="hpc.example")

    def program() -> Any:
        cluster = FluxMiniCluster("lammps", config)
        return {"host": cluster.lead_broker_host, "broker": cluster.lead_broker}

    mocks, outputs = run_under_mocks(program)
    # Pod NAME-0 in subdomain HEADLESS of namespace NS (FACTS.md section 4), in the cluster's domain.
    assert outputs["host"] == "lammps-0.brokers.lammps.svc.hpc.example"
    assert outputs["broker"]["host"] == outputs["host"]
    if backend == "native":
        assert mocks.one(SERVICE).inputs["metadata"]["name"] == "brokers"
        assert mocks.one(JOB).inputs["spec"]["template"]["spec"]["subdomain"] == "brokers"
        bootstrap = tomllib.loads(mocks.one(CONFIG_MAP).inputs["data"]["broker.toml"])["bootstrap"]
        # The brokers leave the domain to their pods' DNS search path.
        assert bootstrap["default_connect"] == "tcp://%h.brokers:%p"
    else:
        assert mocks.one(MINICLUSTER).inputs["spec"]["network"]["headlessName"] == "brokers"


USER_BROKER_CONFIG = {
    "native": (
        "\n# written by hand: leading and trailing blank lines, comments and spacing stay\n"
        "[bootstrap]\n"
        f'curve_cert = "{fluxfacts.CERT_PATH}"\n'
        "default_port = 8050  # kept as written\n"
        'default_bind = "tcp://eth0:%p"\n'
        'default_connect = "tcp://%h.lammps.lammps.svc.cluster.local:%p"\n'
        'hosts = [ { host = "lammps-[0-3]" } ]\n'
        "\n[extra]\nkey = 'single quotes'\n\n\n"
    ),
    "operator": (
        "  # written by hand\n"
        "[bootstrap]\n"
        f'curve_cert = "{fluxfacts.CERT_PATH}"\n'
        "default_port = 8050  # kept as written\n"
        'default_bind = "tcp://eth0:%p"\n'
        'default_connect = "tcp://%h.lammps.lammps.svc.cluster.local:%p"\n'
        'hosts = [ { host = "lammps-[0-3]" } ]\n'
    ),
}


@pytest.mark.parametrize("backend", ["native", "operator"])
def test_user_broker_config_is_passed_through_unchanged(backend: str) -> None:
    text = USER_BROKER_CONFIG[backend]
    config = config_with(backend=backend, flux={"brokerConfig": text})
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", config))
    if backend == "native":
        assert mocks.one(CONFIG_MAP).inputs["data"]["broker.toml"] == text
    else:
        assert mocks.one(MINICLUSTER).inputs["spec"]["flux"]["brokerConfig"] == text


def _write_stacks(tmp_path: Path, bad_at: int | None) -> list[str]:
    good = (ROOT / "stacks" / "Pulumi.lammps-cpu.yaml").read_text()
    bad = good.replace("nodeCount: 8", "nodeCount: 7")
    paths = []
    for index in range(3):
        path = tmp_path / f"Pulumi.s{index}.yaml"
        path.write_text(bad if index == bad_at else good)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("bad_at", [0, 1, 2], ids=["first", "middle", "last"])
def test_validate_of_three_stacks_exits_2_when_any_one_is_bad(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad_at: int
) -> None:
    stacks = _write_stacks(tmp_path, bad_at)
    assert main(["validate", *stacks]) == 2
    out, err = capsys.readouterr()
    # Every stack is checked: the good ones are reported valid, the bad one by its field.
    assert sorted(line.split(":")[0] for line in out.splitlines() if not line.startswith("  ")) == sorted(
        s for i, s in enumerate(stacks) if i != bad_at
    )
    assert "nodePool.nodeCount" in err and stacks[bad_at] in err


def test_validate_of_three_good_stacks_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stacks = _write_stacks(tmp_path, None)
    assert main(["validate", *stacks]) == 0
    assert capsys.readouterr().out.count(": valid") == 3

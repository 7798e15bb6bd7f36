"""FluxMiniCluster constructed through the component provider, as for a TypeScript or YAML program.

The engine calls the provider's ``construct`` with the program's inputs:
camelCase names, every number a float, secrets and values of other resources
as outputs. Under the mock engine, what that registers must be exactly what
the Python program registers for the same settings.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from conftest import CPU_CONFIG, ROOT

from flux_minicluster import FluxMiniCluster
from flux_minicluster.args import Container, FluxMiniClusterArgs, MiniCluster, NodePool
from flux_minicluster.broker.certificate import certificate_text
from flux_minicluster.component.provider import COMPUTED_CLUSTER, FluxMiniClusterProvider
from flux_minicluster.testing import is_secret_value, run_under_mocks
from flux_minicluster.testing import stack_settings as settings_of

TOKEN = "flux-minicluster:index:FluxMiniCluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
SECRET = "kubernetes:core/v1:Secret"


@pytest.fixture(scope="module")
def provider() -> FluxMiniClusterProvider:
    return FluxMiniClusterProvider()


def as_engine_sends(value: Any) -> Any:
    """Values as the engine delivers them to a provider: numbers are floats."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {key: as_engine_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_engine_sends(item) for item in value]
    return value


def stack_settings(stack: str) -> dict[str, Any]:
    config = settings_of(ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    return {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith("flux-minicluster:")}


def construct(provider: FluxMiniClusterProvider, inputs: dict[str, Any]) -> Any:
    return lambda: provider.construct("lammps", TOKEN, inputs, pulumi.ResourceOptions()).state


def test_construct_registers_what_the_python_program_registers(provider: FluxMiniClusterProvider) -> None:
    settings = stack_settings("lammps-cpu")
    through_provider, state = run_under_mocks(construct(provider, as_engine_sends(settings)))
    in_python, lead_broker = run_under_mocks(lambda: FluxMiniCluster("lammps", settings).lead_broker)
    assert len(through_provider.resources) == len(in_python.resources) > 5
    assert through_provider.canonical() == in_python.canonical()
    # The provider hosting the component for another language watches the brokers come up too.
    assert [w.expect for w in through_provider.waits] == [w.expect for w in in_python.waits] != []
    # The outputs come back under their schema names, the lead broker's too.
    assert state["leadBroker"] == {
        "host": lead_broker["host"],
        "port": lead_broker["port"],
        "localUri": lead_broker["local_uri"],
        "selector": lead_broker["selector"],
        "namespace": lead_broker["namespace"],
        "container": lead_broker["container"],
        "shellCommand": lead_broker["shell_command"],
        "submitCommand": lead_broker["submit_command"],
        "fluxCommand": lead_broker["flux_command"],
        "fluxUri": lead_broker["flux_uri"],
    }
    assert state["nodePoolName"] == "lammps-pool"


def test_python_typed_arguments_register_what_the_stack_spelling_registers() -> None:
    typed = FluxMiniClusterArgs(
        node_pool=NodePool(
            cluster="hpc",
            location="us-central1-a",
            zones=["us-central1-a"],
            machine_type="c2d-standard-112",
            node_count=4,
        ),
        mini_cluster=MiniCluster(
            name="lammps",
            namespace="lammps",
            size=4,
            containers=[Container(image="ghcr.io/converged-computing/metric-lammps:latest")],
        ),
    )
    with_typed, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", typed))
    with_dict, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", CPU_CONFIG))
    assert with_typed.canonical() == with_dict.canonical()


def test_a_computed_cluster_and_a_secret_certificate_reach_the_resources(
    provider: FluxMiniClusterProvider,
) -> None:
    cluster_id = "projects/p/locations/us-central1-a/clusters/made-here"
    certificate = certificate_text(bytes(range(32, 64)), "lammps-0")
    inputs = as_engine_sends(CPU_CONFIG)
    mocks, _ = run_under_mocks(
        lambda: (
            provider.construct(
                "lammps",
                TOKEN,
                {
                    **inputs,
                    "nodePool": {**inputs["nodePool"], "cluster": pulumi.Output.from_input(cluster_id)},
                    "curveCertificate": pulumi.Output.secret(certificate),
                },
                pulumi.ResourceOptions(),
            ).state
        )
    )
    assert mocks.one(NODE_POOL).inputs["cluster"] == cluster_id
    assert COMPUTED_CLUSTER not in mocks.canonical()
    stored = mocks.one(SECRET).inputs["stringData"]
    assert is_secret_value(stored)
    assert certificate in stored["value"].values()


def test_invalid_settings_are_reported_as_invalid_inputs_by_field(provider: FluxMiniClusterProvider) -> None:
    inputs = as_engine_sends(CPU_CONFIG)
    inputs["miniCluster"]["maxSize"] = 2.0  # below size 4
    with pytest.raises(pulumi.InputPropertiesError) as raised:
        run_under_mocks(construct(provider, inputs))
    assert [error["property_path"] for error in raised.value.errors or []] == ["miniCluster.size"]


def test_a_missing_required_input_is_named(provider: FluxMiniClusterProvider) -> None:
    inputs = as_engine_sends(CPU_CONFIG)
    del inputs["miniCluster"]["namespace"]
    with pytest.raises(pulumi.InputPropertiesError) as raised:
        run_under_mocks(construct(provider, inputs))
    assert raised.value.errors == [{"property_path": "miniCluster.namespace", "reason": "Field required"}]


def test_other_settings_must_be_known_before_the_deployment(provider: FluxMiniClusterProvider) -> None:
    inputs = as_engine_sends(CPU_CONFIG)

    def program() -> Any:
        inputs["miniCluster"]["namespace"] = pulumi.Output.from_input("lammps")
        return construct(provider, inputs)()

    with pytest.raises(pulumi.InputPropertyError) as raised:
        run_under_mocks(program)
    assert raised.value.property_path == "miniCluster.namespace"
    assert "must be known before the deployment" in raised.value.reason

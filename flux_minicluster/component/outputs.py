"""Typed outputs of ``FluxMiniCluster``, for Pulumi's schema inference.

``lead_broker`` is a plain dict at run time, keyed by these names; as a
``TypedDict`` it becomes the ``LeadBrokerEndpoint`` object type of the package
schema, with camelCase names (``localUri``, ``submitCommand``) in other
languages.
"""

from collections.abc import Mapping
from typing import TypedDict

from ..endpoint import LeadBroker
from ..names import camel_case


class LeadBrokerEndpoint(TypedDict):
    """Rank 0 of the MiniCluster, where jobs go, and kubectl commands that reach it."""

    host: str
    """DNS name of the lead broker, NAME-0.HEADLESS.NAMESPACE.svc.cluster.local."""
    port: int
    """Port the other brokers connect to (ZeroMQ with CURVE, not a client API)."""
    local_uri: str
    """Flux URI inside the lead broker's pod, for flux proxy."""
    selector: str
    """Label selector of the lead broker's pod: job name and completion index 0."""
    namespace: str
    """Namespace of the MiniCluster."""
    container: str
    """Name of the container that runs the Flux broker."""
    shell_command: str
    """A kubectl command that opens a shell inside the Flux instance."""
    submit_command: str
    """A kubectl command that submits a test job to the instance."""
    flux_command: str
    """A kubectl command that runs the flux command written after it in the instance (flux run, flux jobs, ...)."""
    flux_uri: str
    """The instance for flux-core on your machine: FLUX_SSH=flux-minicluster-ssh flux proxy FLUX_URI."""


def lead_broker_endpoint(broker: LeadBroker) -> LeadBrokerEndpoint:
    """The endpoint as the component outputs it."""
    return LeadBrokerEndpoint(
        host=broker.host,
        port=broker.port,
        local_uri=broker.local_uri,
        selector=broker.selector,
        namespace=broker.namespace,
        container=broker.container,
        shell_command=broker.shell_command,
        submit_command=broker.submit_command,
        flux_command=broker.flux_command,
        flux_uri=broker.flux_uri,
    )


def camel_case_keys(endpoint: Mapping[str, object]) -> dict[str, object]:
    """The endpoint keyed as stack outputs and other languages name it (``localUri``)."""
    return {camel_case(key): value for key, value in endpoint.items()}

"""What a stack file says: the experiment, and where to run it.

A stack file keeps this package's settings under the ``flux-minicluster:``
namespace (``flux-minicluster:miniCluster``, ``flux-minicluster:nodePool``,
``flux-minicluster:operator``, ``flux-minicluster:kubernetes`` and the secret
``flux-minicluster:curveCertificate``); other namespaces (``gcp:project``)
belong to providers.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from ..errors import raise_rule_errors
from .base import SpecModel
from .experiment import ExperimentSpec

CONFIG_NAMESPACE = "flux-minicluster"
SECRET_KEYS = frozenset({"curveCertificate"})
PLAINTEXT_CERTIFICATE = (
    "holds a secret key in plaintext; remove it and set it encrypted: "
    f"pulumi config set --secret {CONFIG_NAMESPACE}:curveCertificate < my.cert"
)


class KubernetesTarget(SpecModel):
    """The cluster to use when the stack creates no node pool (kind, on-premises)."""

    context: str | None = Field(None, description="kubeconfig context, for example kind-flux.")
    kubeconfig: str | None = Field(None, description="Path of a kubeconfig file.")


class StackConfig(ExperimentSpec):
    """What a stack file says: the experiment, and where to run it."""

    kubernetes: KubernetesTarget | None = Field(
        None, description="Cluster to use when there is no nodePool; never taken silently from your kubeconfig."
    )

    @model_validator(mode="after")
    def _cluster_is_named(self) -> StackConfig:
        if self.node_pool is None and self.kubernetes is None:
            raise_rule_errors(
                "StackConfig",
                [(("kubernetes",), "name the cluster (context, kubeconfig) when the stack declares no nodePool")],
            )
        if self.node_pool is not None and self.kubernetes is not None:
            # The pool would be made on nodePool.cluster and the brokers sent
            # wherever the context points: possibly another cluster.
            raise_rule_errors(
                "StackConfig",
                [
                    (
                        ("kubernetes",),
                        "a stack with nodePool reaches its GKE cluster directly; remove kubernetes "
                        "(or remove nodePool to use a cluster that has its own nodes)",
                    )
                ],
            )
        return self


def config_keys() -> list[str]:
    """The keys this package reads under its namespace, as the stack spells them."""
    return [str(info.alias or name) for name, info in StackConfig.model_fields.items()]

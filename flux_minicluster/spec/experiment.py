"""One experiment: an optional node pool, one MiniCluster, the operator install."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from ..broker import fluxfacts
from ..broker.certificate import parse_certificate
from ..errors import Location, SpecError, problems_from_validation_error, raise_rule_errors
from . import fit
from .base import ImageReference, SpecModel
from .minicluster import MiniClusterSpec
from .nodepool import NodePoolSpec


class OperatorSpec(SpecModel):
    """Installing the Flux Operator from the manifest this package vendors.

    The operator, its CRD and its cluster roles belong to the whole cluster:
    install it once per cluster (``examples/flux-operator``), not with every
    experiment. ``install: true`` is for a cluster that runs one experiment.
    """

    install: bool = Field(
        False, description="Install the Flux Operator with this stack; leave false when the cluster has it."
    )
    image: ImageReference | None = Field(
        None,
        min_length=1,
        description="Controller image, best pinned by digest; defaults to the manifest's "
        f"{fluxfacts.FLUX_OPERATOR_IMAGE}.",
    )


class ExperimentSpec(SpecModel):
    """Everything one stack declares."""

    node_pool: NodePoolSpec | None = Field(
        None, description="A GKE node pool to create; leave out on a cluster that has its nodes."
    )
    mini_cluster: MiniClusterSpec
    operator: OperatorSpec = Field(default_factory=OperatorSpec)
    curve_certificate: SecretStr | None = Field(
        None,
        description="Your own CURVE certificate (ZCert text); a secret. By default one is generated and kept in the stack state.",
    )

    @field_validator("curve_certificate")
    @classmethod
    def _broker_accepts_certificate(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_certificate(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _pool_fits_minicluster(self) -> ExperimentSpec:
        pool, mc = self.node_pool, self.mini_cluster
        broken = fit.extended_resource_problems(mc) + fit.storage_problems(mc)
        if pool is not None:
            if pool.name is None:
                pool.name = f"{mc.name}-pool"[:40].rstrip("-")
            broken += fit.pool_fit_problems(pool, mc)
        broken += self._bucket_problems()
        if self.operator.install and mc.backend == "native":
            # Cluster-wide objects that nothing of this experiment would use.
            broken.append(
                (
                    ("operator", "install"),
                    "the native backend runs without an operator; set miniCluster.backend: operator",
                )
            )
        raise_rule_errors("ExperimentSpec", broken)
        return self

    def _bucket_problems(self) -> list[tuple[Location, str]]:
        """Buckets are mounted by GKE's Cloud Storage FUSE driver, as the pods' Workload Identity."""
        pool, buckets = self.node_pool, self.mini_cluster.buckets
        if not buckets:
            return []
        if pool is None:
            return [
                (
                    ("miniCluster", "dataVolumes", name, "bucket"),
                    "a bucket is mounted by GKE's Cloud Storage FUSE driver and reached through the "
                    "cluster's Workload Identity; declare nodePool (its cluster)",
                )
                for name in buckets
            ]
        if pool.workload_identity is False:
            return [
                (
                    ("nodePool", "workloadIdentity"),
                    f"pods reach the bucket of dataVolumes.{next(iter(buckets))} through GKE's metadata "
                    "server (Workload Identity); leave it out or set it true",
                )
            ]
        pool.workload_identity = True
        return []


def load_spec(data: Any) -> ExperimentSpec:
    """Validate plain data (a stack's config) into an ``ExperimentSpec``.

    Raises ``SpecError`` listing every problem with the field it is about.
    """
    if isinstance(data, ExperimentSpec):
        return data
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as error:
        raise SpecError(problems_from_validation_error(error)) from None

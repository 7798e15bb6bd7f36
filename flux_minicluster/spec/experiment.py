"""One experiment: an optional node pool, one MiniCluster, the operator install."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from .. import fluxfacts
from ..certificate import parse_certificate
from ..errors import SpecError, problems_from_validation_error, raise_rule_errors
from . import fit
from .base import SpecModel
from .minicluster import MiniClusterSpec
from .nodepool import NodePoolSpec

_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")


class OperatorSpec(SpecModel):
    """Whether and which Flux Operator release is installed on the cluster."""

    install: bool = Field(True, description="Install the operator; false when the cluster has it.")
    version: str = Field(fluxfacts.FLUX_OPERATOR_VERSION, description="Operator release to install.")

    @field_validator("version")
    @classmethod
    def _release_version(cls, value: str) -> str:
        if not _VERSION.match(value):
            raise ValueError(f"{value!r} is not a release version such as {fluxfacts.FLUX_OPERATOR_VERSION}")
        return value


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
        raise_rule_errors("ExperimentSpec", broken)
        return self


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

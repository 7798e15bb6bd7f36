"""Stack configuration -> ``ExperimentSpec``, for the Pulumi program and offline.

A stack file (``stacks/Pulumi.<stack>.yaml``) keeps this package's settings
under the project's namespace: ``flux-minicluster:miniCluster``,
``flux-minicluster:nodePool``, ``flux-minicluster:operator`` and the secret
``flux-minicluster:curveCertificate``. Other namespaces (``gcp:project``, ...)
belong to providers and are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from .errors import Problem, SpecError, fail, problems_from_validation_error, raise_rule_errors
from .spec import ExperimentSpec
from .spec.base import SpecModel

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


@dataclass(frozen=True)
class StackFile:
    """A stack read from disk: its validated spec and what could not be read offline."""

    name: str
    path: Path
    spec: StackConfig
    encrypted_keys: frozenset[str] = field(default_factory=frozenset)


def spec_from_config(values: dict[str, Any]) -> StackConfig:
    """Validate the values of this package's namespace (keys without the prefix)."""
    try:
        return StackConfig.model_validate(values)
    except ValidationError as error:
        raise SpecError(problems_from_validation_error(error)) from None


def stack_path(stack: str | Path, stacks_dir: Path = Path("stacks")) -> Path:
    """A stack file path, from a path or from a stack name such as ``lammps-cpu``."""
    path = Path(stack)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return stacks_dir / f"Pulumi.{stack}.yaml"


def read_stack(stack: str | Path) -> StackFile:
    """Read and validate a stack file; raises ``SpecError`` naming each field."""
    path = stack_path(stack)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(str(path), "no such stack file")
    except yaml.YAMLError as error:
        fail(str(path), f"is not valid YAML: {_one_line(error)}")
    if document is None:
        document = {}
    if not isinstance(document, dict):
        fail(str(path), "a stack file is a mapping with a config: key")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        fail("config", "must be a mapping of namespace:key to value")
    values: dict[str, Any] = {}
    encrypted: set[str] = set()
    for full_key, value in config.items():
        namespace, _, key = str(full_key).partition(":")
        if namespace != CONFIG_NAMESPACE:
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            if key not in SECRET_KEYS:
                raise SpecError([Problem(key, "only curveCertificate is read as a secret value")])
            # Encrypted with the stack's secrets provider: only Pulumi can read
            # it, so it is checked when the program runs, not here.
            encrypted.add(key)
            continue
        if key in SECRET_KEYS:
            raise SpecError([Problem(key, PLAINTEXT_CERTIFICATE)])
        values[key] = value
    name = path.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")
    return StackFile(name=name, path=path, spec=spec_from_config(values), encrypted_keys=frozenset(encrypted))


def _one_line(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem

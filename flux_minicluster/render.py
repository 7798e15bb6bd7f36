"""Every object an experiment creates, as YAML documents, without a cloud.

The documents come from the same builders the Pulumi component uses, in the
order ``pulumi up`` creates them. The CURVE certificate is redacted unless a
caller asks for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

from . import fluxfacts, names
from .certificate import SECRET_BYTES, certificate_text
from .kubernetes_objects import PATCH_ROLES, kubernetes_objects
from .nodepool_args import node_pool_args
from .operator_manifest import CRD_KIND, object_suffix, operator_objects
from .spec import ExperimentSpec

REDACTED = "<redacted: the CURVE certificate holds the secret key; render with --show-secrets>"
KEPT_ON_DESTROY = "kept on pulumi destroy"
ENCRYPTED = "<encrypted in the stack file: Pulumi decrypts it when the program runs>"


@dataclass(frozen=True)
class RenderedResource:
    """One resource: its Pulumi type, its resource name and what it is given."""

    type_token: str
    name: str
    body: dict[str, Any]
    retain_on_delete: bool = False


def rendered_resources(
    spec: ExperimentSpec,
    *,
    name: str = names.STACK_COMPONENT,
    show_secrets: bool = False,
    certificate_encrypted: bool = False,
) -> list[RenderedResource]:
    """All resources of one experiment, in creation order, named as the
    component ``name`` names them (the stack program's by default)."""
    resources = []
    if spec.node_pool is not None:
        resources.append(RenderedResource(names.NODE_POOL_TYPE, names.node_pool(name), node_pool_args(spec.node_pool)))
    if spec.operator.install:
        operator = names.operator(name)
        for obj in operator_objects(spec.operator.image):
            resources.append(
                RenderedResource(
                    names.kubernetes_type(obj),
                    names.child(operator, object_suffix(obj)),
                    obj,
                    retain_on_delete=obj["kind"] == CRD_KIND,
                )
            )
    certificate = _certificate(spec, show_secrets=show_secrets, encrypted=certificate_encrypted)
    for kobj in kubernetes_objects(spec, certificate):
        resources.append(
            RenderedResource(
                names.kubernetes_type(kobj.body, patch=kobj.role in PATCH_ROLES),
                names.child(name, kobj.suffix),
                kobj.body,
                kobj.retain_on_delete,
            )
        )
    return resources


def _certificate(spec: ExperimentSpec, *, show_secrets: bool, encrypted: bool) -> str:
    if encrypted:
        return ENCRYPTED
    if not show_secrets:
        return REDACTED
    if spec.curve_certificate is not None:
        return spec.curve_certificate.get_secret_value()
    # pulumi up generates the secret bytes once and keeps them in the stack
    # state; offline there is no state, so this is a fresh, valid example.
    return certificate_text(os.urandom(SECRET_BYTES), fluxfacts.broker_hostname(spec.mini_cluster.name, 0))


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings (broker config, scripts), sorted nowhere,
    and every value written out where it is used (no YAML anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def to_yaml(resource: RenderedResource) -> str:
    """One YAML document, headed by a comment naming the Pulumi resource."""
    body = yaml.dump(resource.body, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=4096)
    kept = f" ({KEPT_ON_DESTROY})" if resource.retain_on_delete else ""
    return f"# {resource.type_token} {resource.name}{kept}\n{body}"


def render_stream(resources: list[RenderedResource]) -> str:
    """All documents as one YAML stream."""
    return "---\n".join(to_yaml(r) for r in resources)

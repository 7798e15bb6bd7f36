"""Every object an experiment creates, as YAML documents, without a cloud.

The documents come from the same builders the Pulumi component uses, in the
order ``pulumi up`` creates them. The CURVE certificate is redacted unless a
caller asks for it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import SecretStr

from .. import names
from ..backends.flux_operator.manifest import CRD_KIND, object_suffix, operator_objects
from ..broker import fluxfacts
from ..broker.certificate import SECRET_BYTES, certificate_text
from ..gke.nodepool import node_pool_args
from ..gke.storage import bucket_args, bucket_member_args
from ..kubernetes_objects import PATCH_ROLES, SecretValue, kubernetes_objects
from ..lifecycle import BUCKET, BUCKET_ACCESS, NODE_POOL, OPERATOR
from ..spec import ExperimentSpec

REDACTED = "<redacted: the CURVE certificate holds the secret key; render with --show-secrets>"
REDACTED_VALUE = "<redacted: a secret environment variable; render with --show-secrets>"
KEPT_ON_DESTROY = "kept on pulumi destroy"
ENCRYPTED = "<encrypted in the stack file: Pulumi decrypts it when the program runs>"


@dataclass(frozen=True)
class RenderedResource:
    """One resource: its Pulumi type, its resource name, what it is given, and
    its role in the experiment (a ``lifecycle`` role: what updates do to it)."""

    type_token: str
    name: str
    body: dict[str, Any]
    retain_on_delete: bool = False
    role: str = ""


def rendered_resources(
    spec: ExperimentSpec,
    *,
    name: str = names.STACK_COMPONENT,
    show_secrets: bool = False,
    certificate: str | None = None,
    encrypted: Collection[str] = (),
    secret_value: SecretValue | None = None,
) -> list[RenderedResource]:
    """All resources of one experiment, in creation order, named as the
    component ``name`` names them (the stack program's by default).

    ``certificate`` stands in for the certificate's text when given
    (``ENCRYPTED``, or a description that changes when the certificate would).
    Secret variables are redacted unless ``show_secrets``; those whose value
    is one of the ciphertexts ``encrypted`` say so even then.
    ``secret_value`` replaces both rules (``diff``: an identity).
    """
    resources = []
    if spec.node_pool is not None:
        resources.append(
            RenderedResource(
                names.NODE_POOL_TYPE, names.node_pool(name), node_pool_args(spec.node_pool), role=NODE_POOL
            )
        )
    resources += _bucket_resources(spec, name)
    if spec.operator.install:
        operator = names.operator(name)
        for obj in operator_objects(spec.operator.image):
            resources.append(
                RenderedResource(
                    names.kubernetes_type(obj),
                    names.child(operator, object_suffix(obj)),
                    obj,
                    retain_on_delete=obj["kind"] == CRD_KIND,
                    role=OPERATOR,
                )
            )
    if certificate is None:
        certificate = _certificate(spec, show_secrets=show_secrets)
    if secret_value is None:
        secret_value = _shown_secret_values(show_secrets, frozenset(encrypted))
    for kobj in kubernetes_objects(spec, certificate, secret_value=secret_value):
        resources.append(
            RenderedResource(
                names.kubernetes_type(kobj.body, patch=kobj.role in PATCH_ROLES),
                names.child(name, kobj.suffix),
                kobj.body,
                kobj.retain_on_delete,
                role=kobj.role,
            )
        )
    return resources


def _bucket_resources(spec: ExperimentSpec, name: str) -> list[RenderedResource]:
    """Each bucket the stack creates, and each grant to the brokers' service account.

    The grant's principal names the cluster's project number and Workload
    Identity pool, which ``pulumi up`` reads from GCP: here they stand in as text.
    """
    mc = spec.mini_cluster
    project = spec.node_pool.cluster_project if spec.node_pool is not None else None
    number = f"<number of project {project}>" if project else "<number of the cluster's project>"
    pool = f"{project}.svc.id.goog" if project else "<the cluster's workload pool: PROJECT_ID.svc.id.goog>"
    found = []
    for volume, bucket in mc.buckets.items():
        kept = mc.data_volumes[volume].kept
        if bucket.create:
            args = bucket_args(spec, volume, bucket, kept=kept)
            found.append(
                RenderedResource(
                    names.BUCKET_TYPE, names.bucket(name, bucket.name), args, retain_on_delete=kept, role=BUCKET
                )
            )
        member = bucket_member_args(mc, volume, bucket, project_number=number, workload_pool=pool)
        found.append(
            RenderedResource(
                names.BUCKET_ACCESS_TYPE, names.bucket_access(name, bucket.name), member, role=BUCKET_ACCESS
            )
        )
    return found


def _shown_secret_values(show: bool, encrypted: frozenset[str]) -> SecretValue:
    def shown(key: str, value: SecretStr) -> str:
        if not show:
            return REDACTED_VALUE
        text = value.get_secret_value()
        return ENCRYPTED if text in encrypted else text

    return shown


def secret_value_stand_in(key: str, value: SecretStr) -> str:
    """What a secret variable is, without its value: a text that changes when the value does."""
    digest = hashlib.sha256(value.get_secret_value().encode("utf-8")).hexdigest()[:16]
    return f"<secret value: sha256 {digest}>"


def certificate_stand_in(spec: ExperimentSpec, ciphertext: str | None) -> str:
    """What the certificate is, without its key: a text that changes when the
    certificate ``pulumi up`` would use changes (for comparing two renders)."""
    if ciphertext is not None:
        digest = hashlib.sha256(ciphertext.encode("utf-8")).hexdigest()[:16]
        return f"<encrypted in the stack file: ciphertext sha256 {digest}>"
    lead = fluxfacts.broker_hostname(spec.mini_cluster.name, 0)
    return f"<generated for {lead} from random bytes pulumi up keeps in the stack state>"


def _certificate(spec: ExperimentSpec, *, show_secrets: bool) -> str:
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

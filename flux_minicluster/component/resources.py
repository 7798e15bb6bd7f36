"""Builder objects as pulumi-kubernetes resources: one typed resource per object.

Kept apart from the components so that each reads as a list of resources:
this module knows which pulumi-kubernetes class declares which kind.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

#: pulumi-kubernetes module of each API group.
_GROUP_MODULES = {
    "": "core",
    "apps": "apps",
    "batch": "batch",
    "policy": "policy",
    "rbac.authorization.k8s.io": "rbac",
    "apiextensions.k8s.io": "apiextensions",
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def register(
    resource_name: str, body: dict[str, Any], opts: pulumi.ResourceOptions, *, patch: bool = False
) -> pulumi.CustomResource:
    """Declare ``body`` (a Kubernetes object, or a patch of one) as a resource."""
    group, _, version = body["apiVersion"].rpartition("/")
    fields = {_snake(key): value for key, value in body.items() if key not in ("apiVersion", "kind")}
    module = _GROUP_MODULES.get(group)
    if module is None:
        # A custom resource, such as the Flux Operator's MiniCluster.
        return k8s.apiextensions.CustomResource(
            resource_name, api_version=body["apiVersion"], kind=body["kind"], **fields, opts=opts
        )
    kind = body["kind"] + ("Patch" if patch else "")
    resource_class = getattr(getattr(getattr(k8s, module), version), kind)
    resource: pulumi.CustomResource = resource_class(resource_name, **fields, opts=opts)
    return resource


def uid(resource: pulumi.Resource) -> pulumi.Output[str]:
    """The uid the API server gave an object when it created it."""
    metadata: pulumi.Output[Any] = resource.metadata  # type: ignore[attr-defined]
    return metadata.apply(lambda meta: meta["uid"] if isinstance(meta, dict) else meta.uid)


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()

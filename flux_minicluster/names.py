"""Resource names and Pulumi type tokens, shared by the component and ``render``.

Every child of a ``FluxMiniCluster`` named ``NAME`` is called ``NAME-<what>``,
so each URN reads as a path and ``render`` shows the names ``pulumi up`` uses.
"""

from __future__ import annotations

from typing import Any

COMPONENT_TYPE = "flux-minicluster:index:FluxMiniCluster"
OPERATOR_COMPONENT_TYPE = "flux-minicluster:index:FluxOperator"
NODE_POOL_TYPE = "gcp:container/nodePool:NodePool"
BUCKET_TYPE = "gcp:storage/bucket:Bucket"
BUCKET_ACCESS_TYPE = "gcp:storage/bucketIAMMember:BucketIAMMember"

#: The name the stack program gives its component: fixed, so that editing the
#: experiment (even renaming the MiniCluster) never changes a resource's URN.
STACK_COMPONENT = "experiment"


def child(name: str, suffix: str) -> str:
    return f"{name}-{suffix}"


def node_pool(name: str) -> str:
    return child(name, "node-pool")


def bucket(name: str, volume: str) -> str:
    return child(name, f"bucket-{volume}")


def bucket_access(name: str, volume: str) -> str:
    return child(name, f"bucket-{volume}-access")


def operator(name: str) -> str:
    return child(name, "flux-operator")


def certificate_secret_bytes(name: str) -> str:
    return child(name, "curve-secret-bytes")


def kubernetes_type(body: dict[str, Any], *, patch: bool = False) -> str:
    """The Pulumi type token of a Kubernetes object (``kubernetes:core/v1:Secret``) or of a patch of one."""
    group, _, version = body["apiVersion"].rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{body['kind']}{'Patch' if patch else ''}"


def camel_case(name: str) -> str:
    """``disk_size_gb`` -> ``diskSizeGb``: how Pulumi names a property outside Python."""
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)

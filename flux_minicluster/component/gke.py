"""The GKE side of the component, imported only when a stack declares a node pool.

Kept apart so that programs for clusters that bring their own nodes (kind,
on-premises) never import the large pulumi-gcp package.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from .. import names
from ..catalog.locations import parse_cluster
from ..gke.kubeconfig import gke_kubeconfig
from ..gke.nodepool import node_pool_args
from ..lifecycle import LIFECYCLE, NODE_POOL
from ..spec import ExperimentSpec


def node_pool_resource(
    parent: pulumi.Resource,
    name: str,
    spec: ExperimentSpec,
    *,
    cluster: pulumi.Input[str] | None,
    extra: pulumi.ResourceOptions | None,
) -> gcp.container.NodePool:
    """The node pool, replaced by deleting first: a compact placement policy
    and fixed node names cannot hold two pools at once. Changes GKE would
    roll out by recreating the nodes replace it instead (``lifecycle``)."""
    assert spec.node_pool is not None
    args: dict[str, Any] = node_pool_args(spec.node_pool)
    if cluster is not None:
        args["cluster"] = cluster
    opts = pulumi.ResourceOptions(
        parent=parent,
        delete_before_replace=True,
        replace_on_changes=[engine_path(path) for path in LIFECYCLE[NODE_POOL].replace_on_changes],
    )
    return gcp.container.NodePool(names.node_pool(name), **args, opts=pulumi.ResourceOptions.merge(opts, extra))


def engine_path(path: str) -> str:
    """A node pool argument path as the Pulumi engine names it: ``node_config.machine_type``
    -> ``nodeConfig.machineType`` (the SDK translates only top-level names)."""
    return ".".join(names.camel_case(part) for part in path.split("."))


def gke_kubernetes_provider(
    parent: pulumi.Resource, name: str, spec: ExperimentSpec, *, cluster: pulumi.Input[str] | None
) -> tuple[k8s.Provider, pulumi.Output[str]]:
    """A Kubernetes provider for the node pool's cluster, authenticated by gcloud,
    and its kubeconfig (a secret)."""
    pool = spec.node_pool
    assert pool is not None
    # get_cluster takes a bare name; an overriding ``cluster`` may be an id.
    cluster_name = pulumi.Output.from_input(cluster if cluster is not None else pool.cluster).apply(
        lambda value: parse_cluster(value).name
    )
    found = gcp.container.get_cluster_output(
        name=cluster_name,
        location=pool.cluster_location,
        project=pool.cluster_project,
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    kubeconfig: pulumi.Output[str] = found.apply(
        lambda c: pulumi.Output.secret(
            gke_kubeconfig(context=c.name, endpoint=c.endpoint, ca_certificate=c.master_auths[0].cluster_ca_certificate)
        )
    )
    provider = k8s.Provider(
        names.child(name, "kubernetes"),
        kubeconfig=kubeconfig,
        # The provider stays the same provider when the cluster's endpoint or
        # CA changes (a CA rotation), instead of replacing every object on it.
        cluster_identifier=pulumi.Output.from_input(cluster if cluster is not None else pool.cluster),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return provider, kubeconfig

"""The GKE side of the component, imported only when a stack declares a node pool.

Kept apart so that programs for clusters that bring their own nodes (kind,
on-premises) never import the large pulumi-gcp package.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from .. import names
from ..catalog.locations import parse_cluster
from ..gke.kubeconfig import gke_kubeconfig
from ..gke.nodepool import node_pool_args
from ..gke.storage import (
    WORKLOAD_POOL_SUFFIX,
    bucket_args,
    bucket_member_args,
    bucket_role,
    cluster_problems,
    existing_bucket_problem,
)
from ..lifecycle import BUCKET, BUCKET_ACCESS, LIFECYCLE, NODE_POOL
from ..spec import Bucket, ExperimentSpec, MiniClusterSpec


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


def find_cluster(
    parent: pulumi.Resource, spec: ExperimentSpec, *, cluster: pulumi.Input[str] | None
) -> pulumi.Output[gcp.container.GetClusterResult]:
    """The node pool's cluster, as GKE describes it."""
    pool = spec.node_pool
    assert pool is not None
    # get_cluster takes a bare name; an overriding ``cluster`` may be an id.
    cluster_name = pulumi.Output.from_input(cluster if cluster is not None else pool.cluster).apply(
        lambda value: parse_cluster(value).name
    )
    return gcp.container.get_cluster_output(
        name=cluster_name,
        location=pool.cluster_location,
        project=pool.cluster_project,
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )


def bucket_resources(
    parent: pulumi.Resource, name: str, spec: ExperimentSpec, found: pulumi.Output[gcp.container.GetClusterResult]
) -> dict[str, list[pulumi.Resource]]:
    """Each bucket data volume's bucket (when the stack creates it) and the grant
    that lets the brokers' service account use it, by role.

    Resources are named by the bucket, not the volume: renaming a volume keeps
    them (a new grant for the same bucket and account would be the same IAM
    binding, which deleting the old one would take away). Fails before
    anything is created, with the command that fixes it, when the cluster
    lacks Workload Identity or the Cloud Storage FUSE driver, or a bucket
    that exists cannot be written through Workload Identity.
    """
    pool, mc = spec.node_pool, spec.mini_cluster
    assert pool is not None
    workload_pool = found.apply(partial(_cluster_ready_for_buckets, pool.cluster_location))
    # The principal names the pool's project (PROJECT_ID.svc.id.goog) by its number.
    project = gcp.organizations.get_project_output(
        project_id=workload_pool.apply(lambda pool_name: pool_name.removesuffix(WORKLOAD_POOL_SUFFIX)),
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    rules = LIFECYCLE[BUCKET]
    made: dict[str, list[pulumi.Resource]] = {BUCKET: [], BUCKET_ACCESS: []}
    for volume_name, bucket in mc.buckets.items():
        kept = mc.data_volumes[volume_name].kept
        created: gcp.storage.Bucket | None = None
        usable: pulumi.Output[Any] = pulumi.Output.from_input(True)
        if bucket.create:
            created = gcp.storage.Bucket(
                names.bucket(name, bucket.name),
                **bucket_args(spec, volume_name, bucket, kept=kept),
                opts=pulumi.ResourceOptions(
                    parent=parent,
                    # A fixed, global name: the old bucket must go before a new one takes it.
                    delete_before_replace=True,
                    retain_on_delete=kept or None,
                    ignore_changes=[engine_path(path) for path in rules.ignore_changes],
                ),
            )
            made[BUCKET].append(created)
        else:
            existing = gcp.storage.get_bucket_output(name=bucket.name, opts=pulumi.InvokeOutputOptions(parent=parent))
            usable = existing.apply(partial(_existing_bucket_ready, bucket_role(mc, volume_name)))
        member = pulumi.Output.all(project.number, workload_pool, usable).apply(
            partial(_member, mc, volume_name, bucket)
        )
        made[BUCKET_ACCESS].append(
            gcp.storage.BucketIAMMember(
                names.bucket_access(name, bucket.name),
                # The created bucket's own output: a new bucket is a new grant (its
                # old one went with the old bucket), not only a later one.
                bucket=created.name if created is not None else member["bucket"],
                role=member["role"],
                member=member["member"],
                opts=pulumi.ResourceOptions(
                    parent=parent,
                    replace_with=[created] if created is not None else None,
                    delete_before_replace=True,
                ),
            )
        )
    return made


def _member(mc: MiniClusterSpec, volume_name: str, bucket: Bucket, found: list[Any]) -> dict[str, Any]:
    number, workload_pool, _ = found
    return bucket_member_args(mc, volume_name, bucket, project_number=str(number), workload_pool=workload_pool)


def _cluster_ready_for_buckets(location: str, cluster: gcp.container.GetClusterResult) -> str:
    """The cluster's Workload Identity pool, once it is known to mount buckets."""
    pools = [c.workload_pool for c in cluster.workload_identity_configs or [] if c.workload_pool]
    fuse = any(
        driver.enabled for addons in cluster.addons_configs or [] for driver in addons.gcs_fuse_csi_driver_configs or []
    )
    problems = cluster_problems(cluster.name, location, pools[0] if pools else None, fuse)
    if problems:
        # The message alone, without a Python traceback.
        raise pulumi.RunError("; ".join(problems))
    return pools[0]


def _existing_bucket_ready(role: str, found: gcp.storage.GetBucketResult) -> bool:
    problem = existing_bucket_problem(found.name, role, uniform_access=found.uniform_bucket_level_access)
    if problem is not None:
        raise pulumi.RunError(problem)
    return True


def gke_kubernetes_provider(
    parent: pulumi.Resource,
    name: str,
    found: pulumi.Output[gcp.container.GetClusterResult],
    *,
    cluster_id: pulumi.Input[str],
) -> tuple[k8s.Provider, pulumi.Output[str]]:
    """A Kubernetes provider for the node pool's cluster, authenticated by gcloud,
    and its kubeconfig (a secret)."""
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
        cluster_identifier=cluster_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return provider, kubeconfig

"""Cloud Storage buckets as data volumes: the bucket, who may use it, and how pods mount it.

Plain dicts in pulumi-gcp's snake_case shape (the bucket and its IAM member)
and in the Kubernetes API's (the CSI volume), shared by the component and
``render``. The brokers reach a bucket as their Kubernetes service account,
through Workload Identity: no key is stored anywhere, and the grant is on the
one bucket, not the project.
"""

from __future__ import annotations

from typing import Any

from ..catalog.buckets import FUSE_DRIVER, READ_ONLY_ROLE, READ_WRITE_ROLE, workload_identity_principal
from ..catalog.locations import region_of
from ..spec import Bucket, ExperimentSpec, MiniClusterSpec

#: A Workload Identity pool's name: its project's id and this.
WORKLOAD_POOL_SUFFIX = ".svc.id.goog"
#: Files written through the mount are the pod's user's, and its group's to share.
FILE_MODE = "664"
DIR_MODE = "775"


def bucket_url(bucket: Bucket) -> str:
    return f"gs://{bucket.name}"


def bucket_location(spec: ExperimentSpec, bucket: Bucket) -> str:
    """Where a created bucket is: as given, or in the node pool's region (next to the brokers)."""
    if bucket.location is not None:
        return bucket.location
    assert spec.node_pool is not None, "a validated spec with a bucket has a node pool"
    return region_of(spec.node_pool.cluster_location).upper()


def bucket_args(spec: ExperimentSpec, volume_name: str, bucket: Bucket, *, kept: bool) -> dict[str, Any]:
    """Arguments of ``gcp.storage.Bucket`` for a bucket the stack creates."""
    args: dict[str, Any] = {
        "name": bucket.name,
        "location": bucket_location(spec, bucket),
        # Workload Identity grants work on buckets with uniform access only,
        # and results stay private whatever an object's ACL would say.
        "uniform_bucket_level_access": True,
        "public_access_prevention": "enforced",
        # keep: false asks for the data to go with the stack.
        "force_destroy": not kept,
        "labels": {"managed-by": "flux-minicluster", "minicluster": spec.mini_cluster.name, "volume": volume_name},
    }
    project = bucket.project or (spec.node_pool.cluster_project if spec.node_pool is not None else None)
    if project is not None:
        args["project"] = project
    return args


def bucket_role(mc: MiniClusterSpec, volume_name: str) -> str:
    """Read and write, unless every container mounts the bucket read-only."""
    mounts = [v for c in mc.containers for v in c.volumes.values() if v.data_volume == volume_name]
    return READ_ONLY_ROLE if mounts and all(v.read_only for v in mounts) else READ_WRITE_ROLE


def bucket_member_args(
    mc: MiniClusterSpec, volume_name: str, bucket: Bucket, *, project_number: str, workload_pool: str
) -> dict[str, Any]:
    """Arguments of ``gcp.storage.BucketIAMMember``: the brokers' service account may use the bucket."""
    account = mc.broker_service_account
    assert account is not None, "pods that mount a bucket run as a service account of their own"
    return {
        "bucket": bucket.name,
        "role": bucket_role(mc, volume_name),
        "member": workload_identity_principal(project_number, workload_pool, mc.namespace, account),
    }


def bucket_volume_source(mc: MiniClusterSpec, bucket: Bucket, read_only: bool) -> dict[str, Any]:
    """The pod's CSI volume: the bucket, mounted as the pod's user (``ro`` comes with ``readOnly``)."""
    options: list[str] = []
    if mc.pod.run_as_user is not None:
        options.append(f"uid={mc.pod.run_as_user}")
    group = mc.pod.effective_fs_group
    if group is not None:
        options.append(f"gid={group}")
    options += [f"file-mode={FILE_MODE}", f"dir-mode={DIR_MODE}", *bucket.mount_options]
    source: dict[str, Any] = {
        "driver": FUSE_DRIVER,
        "volumeAttributes": {"bucketName": bucket.name, "mountOptions": ",".join(options)},
    }
    if read_only:
        source["readOnly"] = True
    return source


def cluster_problems(cluster: str, location: str, workload_pool: str | None, fuse_driver: bool | None) -> list[str]:
    """What the cluster lacks for buckets: Workload Identity, the Cloud Storage FUSE add-on."""
    problems = []
    update = f"gcloud container clusters update {cluster} --location {location}"
    if not workload_pool:
        problems.append(
            f"cluster {cluster} has no Workload Identity, which pods need to reach a bucket: "
            f"{update} --workload-pool=PROJECT_ID{WORKLOAD_POOL_SUFFIX}"
        )
    if not fuse_driver:
        problems.append(
            f"cluster {cluster} has no Cloud Storage FUSE CSI driver, which mounts buckets: "
            f"{update} --update-addons GcsFuseCsiDriver=ENABLED"
        )
    return problems


def existing_bucket_problem(name: str, role: str, *, uniform_access: bool) -> str | None:
    """Why a bucket the stack does not create cannot be written through Workload Identity, if it cannot."""
    if role == READ_WRITE_ROLE and not uniform_access:
        return (
            f"bucket {name} has no uniform bucket-level access, which writing through Workload Identity "
            f"needs: gcloud storage buckets update gs://{name} --uniform-bucket-level-access"
        )
    return None

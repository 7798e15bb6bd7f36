"""What ``pulumi up`` does to each object when the experiment changes: one table.

The Pulumi engine replaces a resource only for its own replace paths (the
provider's, and ``replace_on_changes``) or when a resource named in its
``replace_with`` is replaced; ``depends_on`` orders operations but never
cascades a replacement. The component registers its resources with the
options in this table, and ``flux-minicluster diff`` predicts replacements
from the same table, so the two cannot disagree.

The rules that shape it:

- Brokers must never run with different certificates or configs (they hang
  silently): every object that runs brokers is replaced with the Secret, the
  ConfigMap and the node pool.
- A size change within ``maxSize`` is an update in place: the native Job's
  ``parallelism`` and ``completions`` belong to its size patch, not to the
  Job (the provider would replace a Job whose counts change).
- Objects have fixed names, so a replacement deletes the old one first, and
  the new one is created only once the old one is gone: the provider waits
  for each deletion, except a Job's, whose wait goes with the ``skipAwait``
  that spares it a completion check on refresh. The native Job therefore
  belongs to its ConfigMap, which is replaced whenever the Job is (it holds
  the Job's digest and the uids of what the instance uses). The Job's inputs
  depend on the ConfigMap's uid, so Pulumi deletes the Job before the
  ConfigMap (``calculateDependentReplacements`` in pulumi/pulumi
  ``pkg/resource/deploy/step_generator.go``), and deleting the ConfigMap
  waits until the Job and its pods are gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .kubernetes_objects import (
    BUDGET,
    CERTIFICATE,
    CONFIG,
    DATA_VOLUME,
    ENVIRONMENT,
    JOB,
    MINICLUSTER,
    NAMESPACE,
    SERVICE,
    SERVICE_ACCOUNT,
    SIZE,
)

#: Roles of the resources outside the MiniCluster's namespace.
NODE_POOL = "node-pool"
OPERATOR = "operator"
BUCKET = "bucket"
BUCKET_ACCESS = "bucket-access"

#: Every Kubernetes object is replaced when its name or namespace changes.
_NAMED = ("metadata.name", "metadata.namespace")

_POD_TEMPLATE_OWNER = ("spec.selector",)

#: What the Pulumi Kubernetes provider (v4) replaces an object for, by kind,
#: besides its name: ``forceNew`` in pulumi-kubernetes
#: ``provider/pkg/provider/diff.go``. Secrets and ConfigMaps are replaced when
#: their data changes because the provider treats them as immutable (its
#: default). Patch resources are replaced only for their name.
PROVIDER_REPLACES_BY_KIND: dict[str, tuple[str, ...]] = {
    "Secret": ("type", "data", "stringData"),
    "ConfigMap": ("data", "binaryData"),
    "Service": ("spec.clusterIP",),
    "PersistentVolumeClaim": ("spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"),
    "ResourceQuota": ("spec.scopes",),
    "Job": ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    "Deployment": _POD_TEMPLATE_OWNER,
    "DaemonSet": _POD_TEMPLATE_OWNER,
    "StatefulSet": (
        "spec.podManagementPolicy",
        "spec.revisionHistoryLimit",
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
    ),
    "RoleBinding": ("roleRef",),
    "ClusterRoleBinding": ("roleRef",),
    "StorageClass": ("parameters", "provisioner"),
}


def kubernetes_replaces(kind: str, *, patch: bool = False) -> tuple[str, ...]:
    """The paths the Kubernetes provider replaces an object of ``kind`` for."""
    if patch:
        return _NAMED
    return _NAMED + PROVIDER_REPLACES_BY_KIND.get(kind, ())


@dataclass(frozen=True)
class Lifecycle:
    """How one role's object is treated on update and destroy."""

    #: Paths the Pulumi Kubernetes provider itself replaces on (its Diff,
    #: ``forceNewProperties`` in pulumi-kubernetes ``provider/pkg/provider/diff.go``
    #: for v4; ``metadata.name`` and ``metadata.namespace`` for every kind).
    provider_replaces: tuple[str, ...] = _NAMED
    #: Paths this package adds (``replace_on_changes``).
    replace_on_changes: tuple[str, ...] = ()
    #: Paths left to another resource after creation (``ignore_changes``).
    ignore_changes: tuple[str, ...] = ()
    #: Roles whose replacement replaces this object (``replace_with``).
    replace_with: tuple[str, ...] = ()
    #: Roles this object is created after and deleted before (``depends_on``).
    depends_on: tuple[str, ...] = ()
    #: What restarting it means for a running instance.
    restarts_instance: bool = False
    #: Left in place on delete and replace: Pulumi only forgets it.
    retain_on_delete: bool = False

    @property
    def replace_paths(self) -> tuple[str, ...]:
        return self.provider_replaces + self.replace_on_changes

    def ignores(self, path: str) -> bool:
        """Whether a change at ``path`` is left alone (``ignore_changes``)."""
        return any(_under(path, ignored) for ignored in self.ignore_changes)


#: Node pool arguments that make pulumi-gcp create a new pool: ``ForceNew`` in
#: ``google_container_node_pool`` of terraform-provider-google-beta (which
#: pulumi-gcp wraps; ``resource_container_node_pool.go`` and ``node_config.go``,
#: v7.45). Node counts and zones, labels, taints, management and upgrade
#: settings update in place without touching the nodes.
NODE_POOL_REPLACES: tuple[str, ...] = (
    "name",
    "cluster",
    "location",
    "project",
    "placement_policy",
    "node_config.oauth_scopes",
    "node_config.service_account",
    "node_config.spot",
    "node_config.reservation_affinity",
    "node_config.advanced_machine_features",
    "node_config.guest_accelerators",
    "node_config.secondary_boot_disks",
)

#: Node pool arguments pulumi-gcp updates in place, by GKE recreating every
#: node (one at a time, by the pool's upgrade settings): machine type and boot
#: disk (GKE "Migrate workloads to different machine types"), image type
#: (terraform-provider-google's container_cluster docs: "will delete and
#: recreate all nodes"), kubelet settings (GKE "Customizing node system
#: configuration": "a rolling update ... recreating nodes"), and gVNIC, image
#: streaming, workload metadata and the egress tier (GKE's list of node pool
#: changes that recreate nodes). Each would restart the brokers node by node
#: and, on rank 0's node, the whole instance: the pool is replaced instead,
#: with the brokers, and ``pulumi up`` waits for the new instance.
NODE_POOL_RECREATES_NODES: tuple[str, ...] = (
    "node_config.machine_type",
    "node_config.disk_type",
    "node_config.disk_size_gb",
    "node_config.image_type",
    "node_config.kubelet_config",
    "node_config.gvnic",
    "node_config.gcfs_config",
    "node_config.workload_metadata_config",
    "network_config",
)

#: Bucket arguments that make pulumi-gcp create a new bucket (``ForceNew`` in
#: terraform-provider-google-beta ``resource_storage_bucket.go``): a bucket
#: keeps its name, location and project for life.
BUCKET_REPLACES: tuple[str, ...] = ("name", "location", "project")
#: An IAM member is all identity: any change is a new grant
#: (``resource_iam_member.go``: every field ``ForceNew``).
BUCKET_ACCESS_REPLACES: tuple[str, ...] = ("bucket", "role", "member", "condition")

#: Every role, with the reason for each choice.
LIFECYCLE: dict[str, Lifecycle] = {
    # Deleting a node pool evicts every pod on it: the brokers go with it.
    NODE_POOL: Lifecycle(
        provider_replaces=NODE_POOL_REPLACES,
        replace_on_changes=NODE_POOL_RECREATES_NODES,
        restarts_instance=True,
    ),
    NAMESPACE: Lifecycle(),
    # A bucket outlives the stack unless keep: false (then force_destroy
    # deletes its objects with it); a new name is a new bucket.
    # Its location and project are left as created: replacing a bucket under
    # the same name would delete it first (with its objects unless kept, and
    # its grant while brokers use it), and a kept one blocks its replacement.
    BUCKET: Lifecycle(provider_replaces=BUCKET_REPLACES, ignore_changes=("location", "project")),
    # The grant goes with its bucket: a new bucket (which starts with no
    # grants) gets a new one, as does a new role or service account. The old grant goes first: one for the same
    # member and role is the same binding, and deleting it after creating
    # the new one would take the access away.
    BUCKET_ACCESS: Lifecycle(provider_replaces=BUCKET_ACCESS_REPLACES, replace_with=(BUCKET,), depends_on=(BUCKET,)),
    SERVICE_ACCOUNT: Lifecycle(provider_replaces=kubernetes_replaces("ServiceAccount"), depends_on=(NAMESPACE,)),
    # Immutable: a new certificate is a new Secret, even on a provider told
    # that Secrets are mutable (enableSecretMutable).
    CERTIFICATE: Lifecycle(
        provider_replaces=kubernetes_replaces("Secret"),
        replace_on_changes=("stringData", "data", "immutable"),
        depends_on=(NAMESPACE,),
    ),
    # The same for the secret variables: new values are a new Secret, and the
    # brokers that read them at start are replaced with it.
    ENVIRONMENT: Lifecycle(
        provider_replaces=kubernetes_replaces("Secret"),
        replace_on_changes=("stringData", "data", "immutable"),
        depends_on=(NAMESPACE,),
    ),
    DATA_VOLUME: Lifecycle(
        provider_replaces=kubernetes_replaces("PersistentVolumeClaim"),
        depends_on=(NAMESPACE,),
    ),
    # The instance's root: it holds the broker config, the scripts and what
    # the instance runs with, and owns the Job. Immutable: new data is a new
    # ConfigMap, whatever the provider is told about mutable ConfigMaps.
    CONFIG: Lifecycle(
        provider_replaces=kubernetes_replaces("ConfigMap"),
        replace_on_changes=("data", "immutable"),
        replace_with=(CERTIFICATE, ENVIRONMENT, DATA_VOLUME, NODE_POOL),
        depends_on=(NAMESPACE, CERTIFICATE, ENVIRONMENT, DATA_VOLUME, NODE_POOL),
    ),
    SERVICE: Lifecycle(provider_replaces=kubernetes_replaces("Service"), depends_on=(NAMESPACE,)),
    # The pod template of a Job is immutable, and an update in place would
    # re-apply the counts the Job was created with: every change but the
    # size (owned by the size patch) replaces the Job, and with it the instance.
    JOB: Lifecycle(
        provider_replaces=kubernetes_replaces("Job"),
        replace_on_changes=("spec", "metadata"),
        ignore_changes=("spec.parallelism", "spec.completions", "spec.suspend"),
        replace_with=(CONFIG,),
        # Its pods mount buckets as the service account once access is granted.
        depends_on=(NAMESPACE, CONFIG, SERVICE, NODE_POOL, SERVICE_ACCOUNT, BUCKET_ACCESS),
        restarts_instance=True,
    ),
    # Re-applied with a new Job. Kept on delete: taking it away would hand
    # back fields no one else sets (an Indexed Job's completions is required:
    # pulumi-kubernetes provider.go refuses to delete a Patch that manages a
    # required field), and the Job it patches is deleted on its own.
    SIZE: Lifecycle(
        provider_replaces=kubernetes_replaces("Job", patch=True),
        replace_with=(JOB,),
        depends_on=(JOB,),
        retain_on_delete=True,
    ),
    # Re-created with a new Job, so that pulumi up waits for its brokers.
    BUDGET: Lifecycle(
        provider_replaces=kubernetes_replaces("PodDisruptionBudget"),
        replace_with=(JOB,),
        depends_on=(SIZE,),
    ),
    # The operator turns its MiniCluster into a Job it does not update: every
    # change but size replaces it.
    MINICLUSTER: Lifecycle(
        replace_on_changes=tuple(
            f"spec.{field}"
            for field in (
                "maxSize",
                "minSize",
                "tasks",
                "interactive",
                "network",
                "flux",
                "containers",
                "pod",
                "jobLabels",
                "deadlineSeconds",
            )
        ),
        replace_with=(CERTIFICATE, ENVIRONMENT, NODE_POOL),
        depends_on=(NAMESPACE, CERTIFICATE, ENVIRONMENT, DATA_VOLUME, NODE_POOL, OPERATOR),
        restarts_instance=True,
    ),
}


def lifecycle_of(role: str, body: dict[str, Any]) -> Lifecycle:
    """The rules for one resource: its role's, or for an object of the operator's
    manifest (or any other), the Kubernetes provider's for its kind."""
    if role in LIFECYCLE:
        return LIFECYCLE[role]
    return Lifecycle(provider_replaces=kubernetes_replaces(body["kind"]))


def replaced_by(rules: str | Lifecycle, changed_paths: list[str]) -> list[str]:
    """The changed paths (dotted, from the object's root) that replace an object
    with these rules (or a role's)."""
    if isinstance(rules, str):
        rules = LIFECYCLE[rules]
    found = []
    for path in changed_paths:
        if rules.ignores(path):
            continue
        if any(_under(path, replace) for replace in rules.replace_paths):
            found.append(path)
    return found


def _under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or inside it (``a.b``, ``a.b.c``, ``a.b[0]``, ``a.b["k"]``)."""
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")

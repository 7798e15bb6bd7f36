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
- Objects have fixed names, so a replacement deletes the old one first.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kubernetes_objects import (
    CERTIFICATE,
    CONFIG,
    DATA_VOLUME,
    JOB,
    MINICLUSTER,
    NAMESPACE,
    SERVICE,
    SIZE,
)

#: Roles of the resources outside the MiniCluster's namespace.
NODE_POOL = "node-pool"
OPERATOR = "operator"


@dataclass(frozen=True)
class Lifecycle:
    """How one role's object is treated on update and destroy."""

    #: Paths the Pulumi Kubernetes provider itself replaces on (its Diff,
    #: ``forceNewProperties`` in pulumi-kubernetes ``provider/pkg/provider/diff.go``
    #: for v4; ``metadata.name`` and ``metadata.namespace`` for every kind).
    provider_replaces: tuple[str, ...] = ("metadata.name", "metadata.namespace")
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

    @property
    def replace_paths(self) -> tuple[str, ...]:
        return self.provider_replaces + self.replace_on_changes


_NAMED = ("metadata.name", "metadata.namespace")

#: Every role, with the reason for each choice.
LIFECYCLE: dict[str, Lifecycle] = {
    NAMESPACE: Lifecycle(),
    # The provider replaces a Secret whose data changes (it treats Secrets as
    # immutable unless the provider is told otherwise).
    CERTIFICATE: Lifecycle(
        provider_replaces=(*_NAMED, "type", "data", "stringData"),
        depends_on=(NAMESPACE,),
    ),
    DATA_VOLUME: Lifecycle(
        provider_replaces=(*_NAMED, "spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"),
        depends_on=(NAMESPACE,),
    ),
    # Likewise for a ConfigMap whose data changes.
    CONFIG: Lifecycle(provider_replaces=(*_NAMED, "data", "binaryData"), depends_on=(NAMESPACE,)),
    SERVICE: Lifecycle(provider_replaces=(*_NAMED, "spec.clusterIP"), depends_on=(NAMESPACE,)),
    # The pod template of a Job is immutable, and an update in place would
    # re-apply the counts the Job was created with: every change but the
    # size (owned by the size patch) replaces the Job, and with it the instance.
    JOB: Lifecycle(
        provider_replaces=(*_NAMED, "spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
        replace_on_changes=("spec", "metadata.labels", "metadata.annotations"),
        ignore_changes=("spec.parallelism", "spec.completions"),
        replace_with=(CERTIFICATE, CONFIG, NODE_POOL),
        depends_on=(NAMESPACE, CERTIFICATE, CONFIG, SERVICE, DATA_VOLUME, NODE_POOL),
        restarts_instance=True,
    ),
    # Re-applied with a new Job, so pulumi up waits for the new brokers too.
    SIZE: Lifecycle(replace_with=(JOB,), depends_on=(JOB,)),
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
        replace_with=(CERTIFICATE, NODE_POOL),
        depends_on=(NAMESPACE, CERTIFICATE, DATA_VOLUME, NODE_POOL, OPERATOR),
        restarts_instance=True,
    ),
}


def replaced_by(role: str, changed_paths: list[str]) -> list[str]:
    """The changed paths (dotted, from the object's root) that replace an object of ``role``."""
    rules = LIFECYCLE[role]
    found = []
    for path in changed_paths:
        if any(_under(path, ignored) for ignored in rules.ignore_changes):
            continue
        if any(_under(path, replace) for replace in rules.replace_paths):
            found.append(path)
    return found


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")

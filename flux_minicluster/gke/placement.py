"""Where broker pods run and what they ask for, the same for both backends.

The node pool made for the MiniCluster is selected by its GKE label, its
taints (and a GPU pool's) are tolerated, and on a GPU pool the Flux
container asks for every GPU of its node unless told otherwise.
"""

from __future__ import annotations

from typing import Any

from ..broker import fluxfacts
from ..spec import Container, ExperimentSpec

#: Pods the cluster autoscaler never evicts to remove their node.
SAFE_TO_EVICT_ANNOTATION = "cluster-autoscaler.kubernetes.io/safe-to-evict"


def pod_annotations(spec: ExperimentSpec) -> dict[str, str]:
    """The user's pod annotations, and on a pool that scales to zero the one
    that keeps the autoscaler from moving a broker (its rank would restart)."""
    annotations = dict(spec.mini_cluster.pod.annotations)
    if spec.node_pool is not None and spec.node_pool.scale_to_zero:
        annotations[SAFE_TO_EVICT_ANNOTATION] = "false"
    return dict(sorted(annotations.items()))


def node_selector(spec: ExperimentSpec) -> dict[str, str]:
    """The user's selector, plus the node pool's label when the stack declares one."""
    selector = dict(spec.mini_cluster.pod.node_selector)
    pool = spec.node_pool
    if pool is not None:
        # Brokers belong on the compact pool made for them, not on system nodes.
        assert pool.name is not None
        selector.setdefault(fluxfacts.GKE_NODEPOOL_LABEL, pool.name)
    return dict(sorted(selector.items()))


def tolerations(spec: ExperimentSpec) -> list[dict[str, Any]]:
    """The user's tolerations, then one for each taint of the node pool."""
    found = [t.model_dump(by_alias=True, exclude_none=True) for t in spec.mini_cluster.pod.tolerations]
    pool = spec.node_pool
    if pool is None:
        return found
    taints = [(t.key, t.value, t.effect) for t in pool.taints]
    if pool.gpu is not None:
        taints.append((fluxfacts.GPU_TAINT_KEY, fluxfacts.GPU_TAINT_VALUE, "NoSchedule"))
    for key, value, effect in taints:
        toleration = {"key": key, "operator": "Equal", "value": value, "effect": effect}
        if toleration not in found:
            found.append(toleration)
    return found


def container_resources(spec: ExperimentSpec, container: Container) -> dict[str, Any]:
    """Requests and limits; the Flux container on a GPU pool gets its node's GPUs by default."""
    limits = dict(container.resources.limits)
    pool = spec.node_pool
    # Without a limit the GPUs are not visible to the container. A shared GPU
    # is handed out one per container (GKE's time-sharing and MPS).
    if container.run_flux and pool is not None and pool.gpu is not None:
        limits.setdefault(fluxfacts.GPU_RESOURCE, pool.default_gpu_limit)
    resources: dict[str, Any] = {}
    if limits:
        resources["limits"] = dict(sorted(limits.items()))
    if container.resources.requests:
        resources["requests"] = dict(sorted(container.resources.requests.items()))
    return resources

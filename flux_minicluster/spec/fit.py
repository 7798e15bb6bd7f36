"""Rules between the node pool and the MiniCluster: what Kubernetes would
refuse or never schedule, checked before anything is created.

Each pod holds one broker; its containers' requests (or limits, where a
container gives no request: Kubernetes then requests the limit) must fit what
one node leaves to pods. Kubernetes facts: extended resources such as
``nvidia.com/gpu`` cannot be overcommitted, so a container that requests one
must set the same limit (Kubernetes API validation, "Limit must be set for
non overcommitable resources" and "must be equal to ... limit").
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from ..broker import fluxfacts
from ..catalog import allocatable, gpus
from ..catalog.buckets import FUSE_REQUEST_ANNOTATIONS, FUSE_SIDECAR_REQUESTS
from ..catalog.quantities import GIB, quantity_value
from ..catalog.storage import GKE_STORAGE_CLASSES
from ..errors import Location
from .minicluster import MiniClusterSpec
from .nodepool import NodePoolSpec

Broken = list[tuple[Location, str]]
_CONTAINERS: Location = ("miniCluster", "containers")


def _is_extended(resource: str) -> bool:
    """Extended resources carry a domain other than kubernetes.io (nvidia.com/gpu)."""
    domain, slash, _ = resource.partition("/")
    return bool(slash) and not domain.endswith("kubernetes.io")


def extended_resource_problems(mc: MiniClusterSpec) -> Broken:
    """A request of an extended resource needs an equal limit."""
    broken: Broken = []
    for index, container in enumerate(mc.containers):
        resources = container.resources
        for name, request in sorted(resources.requests.items()):
            if not _is_extended(name):
                continue
            where: Location = (*_CONTAINERS, index, "resources", "requests", name)
            limit = resources.limits.get(name)
            if limit is None:
                broken.append((where, f"{name} cannot be overcommitted: set limits.{name} to the same value"))
            elif quantity_value(limit) != quantity_value(request):
                broken.append(
                    (where, f"{name} cannot be overcommitted: the request ({request}) must equal the limit ({limit})")
                )
    return broken


def storage_problems(mc: MiniClusterSpec) -> Broken:
    """Access modes and sizes the storage classes GKE ships can give."""
    broken: Broken = []
    for name, volume in sorted(mc.data_volumes.items()):
        storage_class = GKE_STORAGE_CLASSES.get(volume.storage_class_name or "")
        if storage_class is None or volume.size is None:
            continue
        where: Location = ("miniCluster", "dataVolumes", name)
        if volume.access_mode not in storage_class.access_modes:
            modes = ", ".join(sorted(storage_class.access_modes))
            broken.append(
                (
                    (*where, "accessMode"),
                    f"{volume.storage_class_name} gives {modes}, not {volume.access_mode}; "
                    "for ReadWriteMany use a Filestore class such as standard-rwx",
                )
            )
        if storage_class.min_bytes is not None and quantity_value(volume.size) < storage_class.min_bytes:
            broken.append(
                (
                    (*where, "size"),
                    f"{volume.storage_class_name} provisions at least {storage_class.min_text}, not {volume.size}",
                )
            )
    return broken


def pool_fit_problems(pool: NodePoolSpec, mc: MiniClusterSpec) -> Broken:
    """Brokers get nodes, and each node can hold the pods it must."""
    broken: Broken = []
    if pool.node_count < mc.size and not mc.allow_packing:
        broken.append(
            (
                ("nodePool", "nodeCount"),
                f"{pool.node_count} nodes cannot give each of the {mc.size} brokers "
                "a node of its own; add nodes or set miniCluster.allowPacking: true",
            )
        )
    if pool.node_count > 1 and mc.max_size is not None and mc.max_size > 1:
        for name, volume in sorted(mc.data_volumes.items()):
            if volume.access_mode == "ReadWriteOnce":
                broken.append(
                    (
                        ("miniCluster", "dataVolumes", name, "accessMode"),
                        f"a ReadWriteOnce volume attaches to one node, but brokers run on {pool.node_count} "
                        "nodes; use ReadWriteMany (on GKE, storageClassName: standard-rwx)",
                    )
                )
    try:
        machine = pool.machine
    except ValueError:
        return broken  # reported at nodePool.machineType
    pods_per_node = math.ceil(mc.size / pool.node_count) if mc.allow_packing else 1
    per_node = f"{pods_per_node} brokers per node ask" if pods_per_node > 1 else "the pod asks"
    smt = f" with threadsPerCore {pool.threads_per_core}" if pool.sets_threads_per_core else ""

    cpu_where, cpu = _pod_request(mc, "cpu")
    cpu_free = allocatable.allocatable_cpu(Fraction(pool.node_cpus))
    if cpu * pods_per_node > cpu_free:
        broken.append(
            (
                cpu_where,
                f"{pool.machine_type}{smt} gives {float(cpu_free):.2f} allocatable CPUs; "
                f"{per_node} {_number(cpu * pods_per_node)}{_sidecar_note(mc, 'cpu')}",
            )
        )
    memory_where, memory = _pod_request(mc, "memory")
    memory_free = allocatable.allocatable_memory(machine.memory_gib * GIB)
    if memory * pods_per_node > memory_free:
        broken.append(
            (
                memory_where,
                f"{pool.machine_type} gives {float(memory_free / GIB):.2f}Gi allocatable memory; "
                f"{per_node} {float(memory * pods_per_node / GIB):.2f}Gi{_sidecar_note(mc, 'memory')}",
            )
        )
    broken += _gpu_problems(pool, mc, pods_per_node)
    if not broken:
        broken += _task_problems(pool, mc)
    return broken


def _number(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else f"{float(value):.2f}"


def _asked(
    requests: dict[str, str | int | float], limits: dict[str, str | int | float], resource: str
) -> tuple[str, str | int | float] | None:
    """What a container asks of a resource: its request, else its limit."""
    if resource in requests:
        return "requests", requests[resource]
    if resource in limits:
        return "limits", limits[resource]
    return None


def _pod_request(mc: MiniClusterSpec, resource: str) -> tuple[Location, Fraction]:
    """The pod's total request of ``resource``, and where to report it; with
    buckets, the Cloud Storage FUSE sidecar's request counts too."""
    total, askers = Fraction(0), []
    for index, container in enumerate(mc.containers):
        asked = _asked(container.resources.requests, container.resources.limits, resource)
        if asked is not None:
            total += quantity_value(asked[1])
            askers.append((*_CONTAINERS, index, "resources", asked[0], resource))
    if mc.buckets and resource in FUSE_SIDECAR_REQUESTS:
        annotation = FUSE_REQUEST_ANNOTATIONS[resource]
        total += quantity_value(mc.pod.annotations.get(annotation, FUSE_SIDECAR_REQUESTS[resource]))
    return (askers[0] if len(askers) == 1 else _CONTAINERS), total


def _sidecar_note(mc: MiniClusterSpec, resource: str) -> str:
    if not mc.buckets:
        return ""
    asked = mc.pod.annotations.get(FUSE_REQUEST_ANNOTATIONS[resource], FUSE_SIDECAR_REQUESTS[resource])
    return f", with the Cloud Storage FUSE sidecar's {asked}"


def _gpu_problems(pool: NodePoolSpec, mc: MiniClusterSpec, pods_per_node: int) -> Broken:
    broken: Broken = []
    resource = fluxfacts.GPU_RESOURCE
    shared = pool.gpu is not None and pool.gpu.sharing_strategy is not None
    total, askers = 0, []
    for index, container in enumerate(mc.containers):
        limit = container.resources.limits.get(resource)
        where: Location = (*_CONTAINERS, index, "resources", "limits", resource)
        if limit is None and container.run_flux and pool.gpu is not None:
            # What the builder gives a Flux container that sets no limit.
            limit = pool.default_gpu_limit
            where = (*_CONTAINERS, index, "resources", "limits")
        if limit is None:
            continue
        amount = quantity_value(limit)
        if amount.denominator != 1:
            continue  # refused with the container's resources (whole numbers only)
        count = int(amount)
        total += count
        askers.append(where)
        if shared and count > gpus.MAX_GPUS_PER_CONTAINER_WHEN_SHARED:
            broken.append(
                (
                    where,
                    f"a container on shared GPUs may use at most {gpus.MAX_GPUS_PER_CONTAINER_WHEN_SHARED} "
                    f"{resource}; it asks {count}",
                )
            )
        elif count > pool.gpus_per_node_for_pods:
            broken.append((where, f"{count} GPUs cannot fit on a node with {pool.gpus_per_node_for_pods}"))
    if len(askers) > 1 and total * pods_per_node > pool.gpus_per_node_for_pods and not broken:
        broken.append(
            (
                _CONTAINERS,
                f"the containers of one pod ask {total} {resource} together; a node offers {pool.gpus_per_node_for_pods}",
            )
        )
    elif len(askers) == 1 and pods_per_node > 1 and total * pods_per_node > pool.gpus_per_node_for_pods and not broken:
        broken.append(
            (
                askers[0],
                f"{pods_per_node} brokers per node ask {total * pods_per_node} {resource}; a node offers {pool.gpus_per_node_for_pods}",
            )
        )
    return broken


#: ``flux submit``'s per-task counts among the user's flags: ``-c 4``, ``-c4``, ``--cores-per-task=4``.
_CORES_PER_TASK = re.compile(r"(?:^|\s)(?:-c\s*|--cores-per-task[=\s])(\d+)")
_GPUS_PER_TASK = re.compile(r"(?:^|\s)(?:-g\s*|--gpus-per-task[=\s])(\d+)")


def _per_task(option_flags: str | None, pattern: re.Pattern[str]) -> int | None:
    found = pattern.search(option_flags or "")
    return int(found.group(1)) if found else None


def _task_problems(pool: NodePoolSpec, mc: MiniClusterSpec) -> Broken:
    """``tasks`` (one core each, or the flags' count) must fit the cores, and GPUs, that
    Flux finds on the brokers: the node's physical cores, or the Flux container's
    exclusive CPUs under the static CPU manager."""
    machine = pool.machine
    tasks = mc.effective_tasks
    cores = machine.cores
    smt = pool.threads_per_core if pool.sets_threads_per_core else machine.native_threads_per_core
    limit = mc.flux_container.resources.limits.get("cpu")
    where = f"{mc.size} brokers on {pool.machine_type}"
    if pool.cpu_manager_policy == "static" and limit is not None and quantity_value(limit).denominator == 1:
        # Exclusive CPUs: whole cores when SMT is on, so the cores are the CPUs over the threads.
        cores = max(1, int(quantity_value(limit)) // (smt or 1))
        where += f" (the Flux container's {limit} exclusive CPUs)"
    broken: Broken = []
    per_task = _per_task(mc.flux.option_flags, _CORES_PER_TASK) or 1
    if tasks * per_task > mc.size * cores:
        broken.append(
            (
                ("miniCluster", "tasks"),
                f"{tasks} tasks of {per_task} core(s) need {tasks * per_task} cores; {where} give "
                f"{mc.size * cores} ({cores} each); lower tasks or add brokers",
            )
        )
    gpus_per_task = _per_task(mc.flux.option_flags, _GPUS_PER_TASK)
    if gpus_per_task is not None:
        limit = mc.flux_container.resources.limits.get(fluxfacts.GPU_RESOURCE, pool.default_gpu_limit)
        gpus = int(limit) if str(limit).isdigit() else 0
        if tasks * gpus_per_task > mc.size * gpus:
            broken.append(
                (
                    ("miniCluster", "tasks"),
                    f"{tasks} tasks of {gpus_per_task} GPU(s) need {tasks * gpus_per_task} GPUs; {mc.size} brokers "
                    f"give {mc.size * gpus} ({gpus} each); lower tasks or the GPUs per task",
                )
            )
    return broken

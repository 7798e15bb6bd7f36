"""The GKE node pool request, as keyword arguments of ``gcp.container.NodePool``.

Plain dicts in pulumi-gcp's snake_case shape: the component passes them to
the resource as they are, and ``render`` prints them, so a reviewer reads
exactly what ``pulumi up`` asks GKE for.
"""

from __future__ import annotations

from typing import Any

from ..broker import fluxfacts
from ..spec import NodePoolSpec

_TAINT_EFFECT = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def node_pool_args(pool: NodePoolSpec) -> dict[str, Any]:
    """Arguments of the node pool; no ``initial_node_count``, which forces recreation."""
    max_surge, max_unavailable = pool.upgrade_surge
    args: dict[str, Any] = {
        "name": pool.name,
        "cluster": pool.cluster,
        "location": pool.cluster_location,
        "node_locations": list(pool.zones),
        # GKE's node_count is per zone: the pool's total is split evenly.
        "node_count": pool.nodes_per_zone,
        "node_config": _node_config(pool),
        "management": {"auto_repair": pool.auto_repair, "auto_upgrade": pool.auto_upgrade},
        # Compact placement rules out blue-green upgrades. A compact or
        # reserved pool has no spare VM to surge into, so it upgrades in place.
        "upgrade_settings": {"strategy": "SURGE", "max_surge": max_surge, "max_unavailable": max_unavailable},
    }
    if pool.scale_to_zero:
        # Bounds for the whole pool, all zones together; the autoscaler only
        # removes nodes (pods pinned by safe-to-evict) and adds them back for
        # pending pods, up to nodeCount.
        args["autoscaling"] = {"total_min_node_count": 0, "total_max_node_count": pool.node_count}
    if pool.cluster_project:
        args["project"] = pool.cluster_project
    if pool.compact_placement:
        placement: dict[str, Any] = {"type": "COMPACT"}
        if pool.placement_policy_name:
            placement["policy_name"] = pool.placement_policy_name
        args["placement_policy"] = placement
    if pool.egress_bandwidth_tier != "DEFAULT":
        args["network_config"] = {
            "network_performance_config": {"total_egress_bandwidth_tier": pool.egress_bandwidth_tier}
        }
    return args


def _node_config(pool: NodePoolSpec) -> dict[str, Any]:
    config: dict[str, Any] = {
        "machine_type": pool.machine_type,
        "image_type": pool.image_type,
        "disk_type": pool.boot_disk_type,
        "disk_size_gb": pool.disk_size_gb,
        "gvnic": {"enabled": pool.gvnic},
        "kubelet_config": {"cpu_manager_policy": pool.cpu_manager_policy},
        # Access is governed by the service account's IAM roles; Google
        # recommends the cloud-platform scope with a dedicated account.
        "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "labels": dict(sorted(pool.labels.items())),
        "taints": [_taint(t.key, t.value, t.effect) for t in pool.taints],
    }
    if pool.service_account is not None:
        config["service_account"] = pool.service_account
    if pool.sets_threads_per_core:
        config["advanced_machine_features"] = {"threads_per_core": pool.threads_per_core}
    if pool.workload_identity:
        # Pods get tokens for their Kubernetes service account from GKE's metadata server.
        config["workload_metadata_config"] = {"mode": "GKE_METADATA"}
    if pool.image_streaming:
        config["gcfs_config"] = {"enabled": True}
    if pool.image_cache_disk is not None:
        # One disk: pulumi-gcp sends only the first of the list to GKE
        # (terraform-provider-google#19037).
        config["secondary_boot_disks"] = [{"disk_image": pool.image_cache_disk, "mode": "CONTAINER_IMAGE_CACHE"}]
    if pool.spot:
        config["spot"] = True
    if pool.reservation is not None:
        affinity: dict[str, Any] = {"consume_reservation_type": pool.reservation.consume_type}
        if pool.reservation.key:
            affinity["key"] = pool.reservation.key
            affinity["values"] = list(pool.reservation.values)
        config["reservation_affinity"] = affinity
    if pool.gpu is not None:
        config["guest_accelerators"] = [_accelerator(pool)]
        # Declared in the pool's own config, so that the pool and the pods'
        # toleration name the same taint explicitly (GKE would add it too).
        config["taints"].append(_taint(fluxfacts.GPU_TAINT_KEY, fluxfacts.GPU_TAINT_VALUE, "NoSchedule"))
    return config


def _accelerator(pool: NodePoolSpec) -> dict[str, Any]:
    assert pool.gpu is not None
    accelerator: dict[str, Any] = {
        "type": pool.gpu_type,
        "count": pool.gpu_count,
        "gpu_driver_installation_config": {"gpu_driver_version": pool.gpu.driver_version},
    }
    if pool.gpu.sharing_strategy:
        accelerator["gpu_sharing_config"] = {
            "gpu_sharing_strategy": pool.gpu.sharing_strategy,
            "max_shared_clients_per_gpu": pool.gpu.max_shared_clients_per_gpu,
        }
    return accelerator


def _taint(key: str, value: str, effect: str) -> dict[str, str]:
    return {"key": key, "value": value, "effect": _TAINT_EFFECT[effect]}

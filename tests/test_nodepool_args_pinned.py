"""The node pool request, pinned whole: every field name is pulumi-gcp's
``gcp.container.NodePool`` argument (FACTS.md section 6), every value what
the stack asked for or GKE's documented default."""

from __future__ import annotations

from typing import Any

from flux_minicluster.gke.nodepool import node_pool_args
from flux_minicluster.spec import NodePoolSpec

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


def test_a_tuned_cpu_pool_asks_gke_for_every_setting_it_was_given() -> None:
    pool = NodePoolSpec.model_validate(
        {
            "cluster": "projects/hpc-proj/locations/us-central1/clusters/hpc",
            "name": "flux-pool",
            "zones": ["us-central1-a"],
            "machineType": "c2-standard-60",
            "nodeCount": 4,
            "placementPolicyName": "hpc-policy",
            "egressBandwidthTier": "TIER_1",
            "imageStreaming": True,
            "spot": True,
            "reservation": {
                "consumeType": "SPECIFIC_RESERVATION",
                "key": "compute.googleapis.com/reservation-name",
                "values": ["hpc-res"],
            },
            "labels": {"team": "hpc", "app": "flux"},
            "taints": [{"key": "dedicated", "value": "flux", "effect": "NoExecute"}],
            "serviceAccount": "nodes@hpc-proj.iam.gserviceaccount.com",
            "diskType": "pd-ssd",
            "diskSizeGb": 200,
            "cpuManagerPolicy": "none",
            "autoRepair": False,
            "maxSurge": 0,
            "maxUnavailable": 2,
        }
    )
    assert node_pool_args(pool) == {
        "name": "flux-pool",
        "cluster": "projects/hpc-proj/locations/us-central1/clusters/hpc",
        "location": "us-central1",
        "project": "hpc-proj",
        "node_locations": ["us-central1-a"],
        "node_count": 4,
        "management": {"auto_repair": False, "auto_upgrade": True},
        "upgrade_settings": {"strategy": "SURGE", "max_surge": 0, "max_unavailable": 2},
        "placement_policy": {"type": "COMPACT", "policy_name": "hpc-policy"},
        "network_config": {"network_performance_config": {"total_egress_bandwidth_tier": "TIER_1"}},
        "node_config": {
            "machine_type": "c2-standard-60",
            "image_type": "COS_CONTAINERD",
            "disk_type": "pd-ssd",
            "disk_size_gb": 200,
            "gvnic": {"enabled": True},
            "kubelet_config": {"cpu_manager_policy": "none"},
            "oauth_scopes": [CLOUD_PLATFORM],
            "labels": {"app": "flux", "team": "hpc"},
            "taints": [{"key": "dedicated", "value": "flux", "effect": "NO_EXECUTE"}],
            "service_account": "nodes@hpc-proj.iam.gserviceaccount.com",
            "advanced_machine_features": {"threads_per_core": 1},
            "gcfs_config": {"enabled": True},
            "spot": True,
            "reservation_affinity": {
                "consume_reservation_type": "SPECIFIC_RESERVATION",
                "key": "compute.googleapis.com/reservation-name",
                "values": ["hpc-res"],
            },
        },
    }


def test_a_spread_pool_with_shared_attached_gpus_asks_for_accelerators_and_their_taint() -> None:
    pool = NodePoolSpec.model_validate(
        {
            "cluster": "hpc",
            "location": "us-central1",
            "name": "gpu-pool",
            "zones": ["us-central1-a", "us-central1-b"],
            "machineType": "n1-standard-8",
            "nodeCount": 4,
            "compactPlacement": False,
            "taints": [{"key": "a"}],
            "gpu": {
                "type": "nvidia-tesla-t4",
                "count": 1,
                "driverVersion": "LATEST",
                "sharingStrategy": "TIME_SHARING",
                "maxSharedClientsPerGpu": 4,
            },
        }
    )
    args: dict[str, Any] = node_pool_args(pool)
    assert args == {
        "name": "gpu-pool",
        "cluster": "hpc",
        "location": "us-central1",
        "node_locations": ["us-central1-a", "us-central1-b"],
        # node_count is per zone (FACTS.md section 6): 4 nodes over 2 zones.
        "node_count": 2,
        "management": {"auto_repair": True, "auto_upgrade": True},
        "upgrade_settings": {"strategy": "SURGE", "max_surge": 1, "max_unavailable": 0},
        "node_config": {
            "machine_type": "n1-standard-8",
            "image_type": "COS_CONTAINERD",
            "disk_type": "pd-balanced",
            "disk_size_gb": 100,
            "gvnic": {"enabled": True},
            "kubelet_config": {"cpu_manager_policy": "static"},
            "oauth_scopes": [CLOUD_PLATFORM],
            "labels": {},
            "taints": [
                {"key": "a", "value": "", "effect": "NO_SCHEDULE"},
                {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"},
            ],
            "advanced_machine_features": {"threads_per_core": 1},
            "guest_accelerators": [
                {
                    "type": "nvidia-tesla-t4",
                    "count": 1,
                    "gpu_driver_installation_config": {"gpu_driver_version": "LATEST"},
                    "gpu_sharing_config": {"gpu_sharing_strategy": "TIME_SHARING", "max_shared_clients_per_gpu": 4},
                }
            ],
        },
    }


def test_a_compact_pool_without_policy_name_asks_only_for_the_compact_type() -> None:
    pool = NodePoolSpec.model_validate(
        {
            "cluster": "hpc",
            "location": "us-central1-a",
            "zones": ["us-central1-a"],
            "machineType": "c2d-standard-112",
            "nodeCount": 2,
            "reservation": {"consumeType": "ANY_RESERVATION"},
        }
    )
    args = node_pool_args(pool)
    assert args["placement_policy"] == {"type": "COMPACT"}
    assert args["node_config"]["reservation_affinity"] == {"consume_reservation_type": "ANY_RESERVATION"}
    assert "project" not in args and "network_config" not in args

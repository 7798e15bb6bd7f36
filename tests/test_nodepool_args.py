"""The node pool request: node counts per zone, disk, upgrades, repair and the node service account."""

from __future__ import annotations

from typing import Any

import pytest

from flux_minicluster import SpecError, load_spec
from flux_minicluster.gke.nodepool import node_pool_args

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


def args(config: dict[str, Any]) -> dict[str, Any]:
    pool = load_spec(config).node_pool
    assert pool is not None
    return node_pool_args(pool)


def problems(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SpecError) as caught:
        load_spec(config)
    return {p.path: p.message for p in caught.value.problems}


def three_zones(config: dict[str, Any], total: int) -> dict[str, Any]:
    config["nodePool"].update(
        location="us-central1",
        zones=["us-central1-a", "us-central1-b", "us-central1-c"],
        compactPlacement=False,
        nodeCount=total,
    )
    return config


def test_single_zone_pool_asks_for_all_its_nodes_in_that_zone(cpu_config: dict[str, Any]) -> None:
    assert args(cpu_config)["node_count"] == cpu_config["nodePool"]["nodeCount"]


def test_node_count_is_split_over_the_zones(cpu_config: dict[str, Any]) -> None:
    # GKE's node_count is per zone (pulumi-gcp: "the number of nodes per instance group").
    assert args(three_zones(cpu_config, 6))["node_count"] == 2


def test_node_count_that_does_not_divide_over_the_zones_is_refused(cpu_config: dict[str, Any]) -> None:
    assert "multiple of 3" in problems(three_zones(cpu_config, 4))["nodePool.nodeCount"]


def test_broker_per_node_check_counts_nodes_of_all_zones(cpu_config: dict[str, Any]) -> None:
    three_zones(cpu_config, 6)["miniCluster"]["size"] = 6
    assert args(cpu_config)["node_count"] == 2  # 2 per zone, 6 nodes for 6 brokers
    cpu_config["miniCluster"]["size"] = 7
    assert "6 nodes cannot give each of the 7 brokers" in problems(cpu_config)["nodePool.nodeCount"]


def test_boot_disk_defaults_to_what_the_series_takes(cpu_config: dict[str, Any]) -> None:
    assert args(cpu_config)["node_config"]["disk_type"] == "pd-balanced"
    cpu_config["nodePool"]["machineType"] = "c4d-standard-32"
    assert args(cpu_config)["node_config"]["disk_type"] == "hyperdisk-balanced"


def test_given_boot_disk_is_rendered(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["diskType"] = "pd-ssd"
    assert args(cpu_config)["node_config"]["disk_type"] == "pd-ssd"


def test_threads_per_core_is_not_sent_for_machines_with_fixed_smt(cpu_config: dict[str, Any]) -> None:
    assert args(cpu_config)["node_config"]["advanced_machine_features"] == {"threads_per_core": 1}
    cpu_config["nodePool"]["machineType"] = "h3-standard-88"
    assert "advanced_machine_features" not in args(cpu_config)["node_config"]


def test_management_defaults_to_auto_upgrade_and_repair(cpu_config: dict[str, Any]) -> None:
    assert args(cpu_config)["management"] == {"auto_repair": True, "auto_upgrade": True}


def test_management_can_be_turned_off(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(autoUpgrade=False, autoRepair=False)
    assert args(cpu_config)["management"] == {"auto_repair": False, "auto_upgrade": False}


def surge(config: dict[str, Any]) -> tuple[int, int]:
    settings = args(config)["upgrade_settings"]
    assert settings["strategy"] == "SURGE"
    return settings["max_surge"], settings["max_unavailable"]


def test_compact_pool_upgrades_in_place(cpu_config: dict[str, Any]) -> None:
    assert surge(cpu_config) == (0, 1)


def test_reserved_pool_upgrades_in_place(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(compactPlacement=False, reservation={"consumeType": "ANY_RESERVATION"})
    assert surge(cpu_config) == (0, 1)


def test_unreserved_spread_pool_surges_one_node(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["compactPlacement"] = False
    assert surge(cpu_config) == (1, 0)


def test_surge_settings_can_be_given(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(maxSurge=2, maxUnavailable=0)
    assert surge(cpu_config) == (2, 0)


def test_surge_and_unavailable_both_zero_are_refused(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"].update(maxUnavailable=0)
    assert "cannot both be 0" in problems(cpu_config)["nodePool.maxSurge"]


def test_default_service_account_is_left_to_gke(cpu_config: dict[str, Any]) -> None:
    node_config = args(cpu_config)["node_config"]
    assert "service_account" not in node_config
    assert node_config["oauth_scopes"] == [CLOUD_PLATFORM]


def test_service_account_keeps_the_cloud_platform_scope(cpu_config: dict[str, Any]) -> None:
    email = "flux-nodes@my-project.iam.gserviceaccount.com"
    cpu_config["nodePool"]["serviceAccount"] = email
    node_config = args(cpu_config)["node_config"]
    assert (node_config["service_account"], node_config["oauth_scopes"]) == (email, [CLOUD_PLATFORM])


def test_service_account_that_is_not_an_email_is_refused(cpu_config: dict[str, Any]) -> None:
    cpu_config["nodePool"]["serviceAccount"] = "flux-nodes"
    assert "service account email" in problems(cpu_config)["nodePool.serviceAccount"]

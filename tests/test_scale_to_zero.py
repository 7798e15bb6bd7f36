"""A node pool that GKE scales to zero once the instance has ended: what the
pool asks GKE for, what the broker pods carry so the autoscaler leaves them
alone while they run, and what each later change does to the pool."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flux_minicluster import load_spec
from flux_minicluster.cli.render import rendered_resources
from flux_minicluster.cli.update_plan import plan_update
from flux_minicluster.gke.nodepool import node_pool_args
from flux_minicluster.spec import ExperimentSpec

SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"

STACK: dict[str, Any] = {
    "nodePool": {
        "cluster": "hpc",
        "location": "us-central1",
        "zones": ["us-central1-a", "us-central1-b"],
        "machineType": "c2d-standard-56",
        "compactPlacement": False,
        "nodeCount": 6,
        "scaleToZero": True,
    },
    "miniCluster": {
        "name": "md",
        "namespace": "lab",
        "headlessName": "ranks",
        "size": 6,
        "minSize": 4,
        "containers": [{"image": "app:1"}],
        "pod": {"annotations": {"example.com/owner": "lab"}},
    },
}


def stack(**pool: Any) -> ExperimentSpec:
    config = copy.deepcopy(STACK)
    config["nodePool"].update(pool)
    return load_spec(config)


def test_the_pool_may_shrink_to_zero_and_grow_to_its_node_count() -> None:
    args = node_pool_args(stack().node_pool)  # type: ignore[arg-type]
    # Bounds for the whole pool: the per-zone fields would allow 6 in each zone.
    assert args["autoscaling"] == {"total_min_node_count": 0, "total_max_node_count": 6}
    # pulumi up still asks for every node at once, per zone.
    assert args["node_count"] == 3


def test_a_pool_without_it_has_no_autoscaler() -> None:
    assert "autoscaling" not in node_pool_args(stack(scaleToZero=False).node_pool)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["native", "operator"])
def test_the_autoscaler_may_not_evict_a_broker_to_free_its_node(backend: str) -> None:
    config = copy.deepcopy(STACK)
    if backend == "operator":
        config["miniCluster"]["backend"] = "operator"
    for scale_to_zero, expected in ((True, {SAFE_TO_EVICT: "false"}), (False, {})):
        config["nodePool"]["scaleToZero"] = scale_to_zero
        bodies = [r.body for r in rendered_resources(load_spec(config), certificate="CERT")]
        pods = [_pod_template(body) for body in bodies if _runs_brokers(body)]
        assert len(pods) == 1
        assert pods[0]["annotations"] == {"example.com/owner": "lab", **expected}


def _runs_brokers(body: dict[str, Any]) -> bool:
    # The Job itself, not the patch that sets its size.
    return body.get("kind") == "MiniCluster" or (body.get("kind") == "Job" and "template" in body["spec"])


def _pod_template(body: dict[str, Any]) -> dict[str, Any]:
    if body["kind"] == "Job":
        return body["spec"]["template"]["metadata"]  # type: ignore[no-any-return]
    return body["spec"]["pod"]  # type: ignore[no-any-return]


def test_more_nodes_raise_the_bound_in_place_without_touching_the_brokers() -> None:
    before = rendered_resources(stack(), certificate="CERT")
    after = rendered_resources(stack(nodeCount=8), certificate="CERT")
    plan = plan_update(before, after)
    changed = {step.resource.name: step.action for step in plan.steps}
    assert changed == {"experiment-node-pool": "update"}, changed

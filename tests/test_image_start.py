"""Options that start big images sooner on GKE: image streaming and a
secondary boot disk that caches images, as GKE documents their rules."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CPU_CONFIG

from flux_minicluster import SpecError, load_spec
from flux_minicluster.cli import main
from flux_minicluster.cli.render import rendered_resources
from flux_minicluster.cli.update_plan import plan_update
from flux_minicluster.gke.nodepool import node_pool_args

REGISTRY_IMAGE = "us-central1-docker.pkg.dev/lab/hpc/lammps:2024"
CACHE = "projects/lab-images/global/images/lammps-cache"


def config(**pool: Any) -> dict[str, Any]:
    data = copy.deepcopy(CPU_CONFIG)
    data["nodePool"].update(pool)
    return data


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(data)
    return [line.strip().split(": ", 1)[0] for line in str(caught.value).splitlines()[1:]]


def test_a_cache_disk_is_attached_to_every_node_as_an_image_cache() -> None:
    args = node_pool_args(load_spec(config(imageStreaming=True, imageCacheDisk=CACHE)).node_pool)  # type: ignore[arg-type]
    assert args["node_config"]["gcfs_config"] == {"enabled": True}
    assert args["node_config"]["secondary_boot_disks"] == [{"disk_image": CACHE, "mode": "CONTAINER_IMAGE_CACHE"}]


def test_a_pool_without_one_asks_for_none() -> None:
    args = node_pool_args(load_spec(config(imageStreaming=True)).node_pool)  # type: ignore[arg-type]
    assert "secondary_boot_disks" not in args["node_config"]


@pytest.mark.parametrize(
    ("pool", "field"),
    [
        ({"imageCacheDisk": CACHE}, "nodePool.imageCacheDisk"),
        ({"imageStreaming": True, "imageCacheDisk": "lammps-cache"}, "nodePool.imageCacheDisk"),
        ({"imageStreaming": True, "imageCacheDisk": "projects/Lab/global/images/x"}, "nodePool.imageCacheDisk"),
        ({"imageStreaming": True, "imageType": "UBUNTU_CONTAINERD", "gvnic": False}, "nodePool.imageStreaming"),
    ],
)
def test_gke_s_rules_are_checked_offline(pool: dict[str, Any], field: str) -> None:
    assert problems(config(**pool)) == [field]


def test_another_cache_disk_replaces_the_pool_and_the_brokers() -> None:
    before = rendered_resources(load_spec(config(imageStreaming=True, imageCacheDisk=CACHE)), certificate="C")
    after = rendered_resources(load_spec(config(imageStreaming=True, imageCacheDisk=CACHE + "-v2")), certificate="C")
    steps = {step.resource.name: step for step in plan_update(before, after).steps}
    assert steps["experiment-node-pool"].action == "replace"
    assert steps["experiment-node-pool"].because == ("node_config.secondary_boot_disks[0].disk_image",)


def _validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: dict[str, Any]) -> list[str]:
    path = tmp_path / "Pulumi.streamed.yaml"
    path.write_text(yaml.safe_dump({"config": {f"flux-minicluster:{k}": v for k, v in data.items()}}))
    assert main(["validate", str(path)]) == 0
    return [line.strip() for line in capsys.readouterr().out.splitlines() if "imageStreaming" in line]


def test_validate_names_each_image_streaming_cannot_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = config(imageStreaming=True)
    data["miniCluster"]["containers"] = [{"image": REGISTRY_IMAGE}]
    (line,) = _validate(tmp_path, capsys, data)
    # The application image is in Artifact Registry; the default view image (ghcr.io) is not.
    assert line.startswith("warning: nodePool.imageStreaming: ghcr.io/converged-computing/flux-view-ubuntu:")
    assert "pull it whole" in line
    data["miniCluster"]["flux"] = {"viewImage": "us-docker.pkg.dev/lab/hpc/flux-view:noble"}
    assert _validate(tmp_path, capsys, data) == []
    data["nodePool"]["imageStreaming"] = False
    data["miniCluster"]["flux"] = {}
    assert _validate(tmp_path, capsys, data) == []

"""The view image mounted as a read-only image volume instead of copied: the
pod the builder writes, the backends and clusters that take it, and what the
component refuses before anything is created in the cluster."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest
from conftest import CPU_CONFIG

from flux_minicluster import FluxMiniCluster, SpecError, load_spec
from flux_minicluster.kubernetes_objects import kubernetes_objects
from flux_minicluster.testing import run_under_mocks

VIEW = "us-docker.pkg.dev/lab/hpc/flux-view:noble"


def config(**mini_cluster: Any) -> dict[str, Any]:
    data = copy.deepcopy(CPU_CONFIG)
    data["miniCluster"].update({"flux": {"viewImage": VIEW, "viewImageVolume": True}, **mini_cluster})
    return data


def pod_spec(data: dict[str, Any]) -> dict[str, Any]:
    objects = {o.role: o.body for o in kubernetes_objects(load_spec(data), "C")}
    return objects["job"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_the_view_image_is_a_read_only_volume_and_nothing_copies_it() -> None:
    pod = pod_spec(config())
    assert "initContainers" not in pod
    assert {"name": "flux-view-image", "image": {"reference": VIEW, "pullPolicy": "IfNotPresent"}} in pod["volumes"]
    (flux,) = pod["containers"]
    mounts = {m["mountPath"]: m for m in flux["volumeMounts"]}
    assert mounts["/mnt/flux-view-image"] == {
        "name": "flux-view-image",
        "mountPath": "/mnt/flux-view-image",
        "readOnly": True,
    }
    # The emptyDir stays, for the broker's config and state.
    assert mounts["/mnt/flux"]["name"] == "flux-view"


def test_another_user_gets_the_image_s_software_tree_where_the_view_points() -> None:
    pod = pod_spec(config(pod={"runAsUser": 1000}))
    (flux,) = pod["containers"]
    mounts = {m["mountPath"]: m for m in flux["volumeMounts"]}
    assert mounts["/opt/software"] == {
        "name": "flux-view-image",
        "mountPath": "/opt/software",
        "subPath": "opt/software",
        "readOnly": True,
    }


def test_the_copy_stays_the_default() -> None:
    data = config()
    data["miniCluster"]["flux"] = {"viewImage": VIEW}
    pod = pod_spec(data)
    assert [c["image"] for c in pod["initContainers"]] == [VIEW]
    assert not [v for v in pod["volumes"] if "image" in v]


def test_the_operator_backend_refuses_it() -> None:
    with pytest.raises(SpecError, match=r"miniCluster\.flux\.viewImageVolume: the Flux Operator copies the view"):
        load_spec(config(backend="operator"))


@pytest.mark.parametrize(("version", "refused"), [("1.34", True), ("1.35", False), ("1.36", False)])
def test_pulumi_up_refuses_a_cluster_without_image_volumes_before_creating_anything_in_it(
    created_types: list[str], version: str, refused: bool
) -> None:
    def program() -> Any:
        return FluxMiniCluster("lammps", config()).lead_broker_host

    if refused:
        with pytest.raises(pulumi.RunError, match=rf"Kubernetes {version}; flux\.viewImageVolume needs 1\.35"):
            run_under_mocks(program, checker=lambda _: version)
        assert created_types and not [t for t in created_types if t.startswith("kubernetes:")]
    else:
        run_under_mocks(program, checker=lambda _: version)
        assert [t for t in created_types if t == "kubernetes:batch/v1:Job"]

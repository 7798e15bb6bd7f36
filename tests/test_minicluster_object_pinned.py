"""The operator backend's MiniCluster object, pinned whole for one experiment
that uses every option: field names are the Flux Operator's v1alpha2 CRD
(FACTS.md, the CRD beside it), the certificate install what a broker needs
(FACTS.md section 8: a 0600 copy of the Secret's file)."""

from __future__ import annotations

import copy
from typing import Any

from test_native_objects_pinned import CONFIG, LABELS

from flux_minicluster.kubernetes_objects import kubernetes_objects
from flux_minicluster.spec import load_spec

INSTALL_CERTIFICATE = (
    "mkdir -p /mnt/flux/config/curve && rm -f /mnt/flux/config/curve/minicluster.cert && "
    "(umask 077 && cp /flux_minicluster/curve/curve.cert /mnt/flux/config/curve/minicluster.cert)"
)


def _minicluster(**changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(CONFIG)
    config["miniCluster"]["backend"] = "operator"
    config["miniCluster"]["flux"] = {
        "optionFlags": "-o cpu-affinity=per-task",
        "topology": "kary:2",
        "connectTimeout": "10s",
        "logLevel": 7,
        "queuePolicy": "easy",
    }
    config["miniCluster"]["containers"][0]["commands"] = {
        "pre": "echo pre",
        "brokerPre": "echo lead",
        "post": "echo post",
    }
    config["miniCluster"]["containers"][0]["launcher"] = True
    config["miniCluster"].update(changes)
    objects = list(kubernetes_objects(load_spec(config), "CERTIFICATE TEXT"))
    assert [o.role for o in objects] == ["namespace", "certificate", "data-volume", "minicluster"]
    return objects[-1].body


def test_minicluster_object_carries_every_option_under_its_crd_name() -> None:
    body = _minicluster()
    broker_config = body["spec"]["flux"].pop("brokerConfig")
    assert '"/mnt/flux/config/curve/minicluster.cert"' in broker_config
    assert body == {
        "apiVersion": "flux-framework.org/v1alpha2",
        "kind": "MiniCluster",
        "metadata": {"name": "lammps", "namespace": "lab", "labels": LABELS},
        "spec": {
            "size": 2,
            "maxSize": 4,
            "minSize": 1,
            "interactive": False,
            "tasks": 2,
            "jobLabels": {"kueue.x-k8s.io/queue-name": "q"},
            "deadlineSeconds": 3600,
            "network": {"headlessName": "lammps"},
            "flux": {
                "container": {"image": "ghcr.io/converged-computing/flux-view-ubuntu:tag-noble"},
                "connectTimeout": "10s",
                "logLevel": 7,
                "scheduler": {"queuePolicy": "easy"},
                "optionFlags": "-o cpu-affinity=per-task",
                "topology": "kary:2",
            },
            "containers": [
                {
                    "name": "lammps",
                    "image": "app:1",
                    "command": "lmp -in in.lj",
                    "workingDir": "/work",
                    "environment": {"A": "1", "B": "2"},
                    "resources": {"limits": {"memory": "64Gi"}, "requests": {"cpu": "4"}},
                    "volumes": {
                        "cfg": {
                            "configMapName": "cfg",
                            "items": {"a": "a.txt", "b": "b.txt"},
                            "path": "/cfg",
                            "readOnly": False,
                        },
                        "creds": {"path": "/creds", "readOnly": True, "secretName": "creds"},
                        "data": {"claimName": "results", "path": "/data", "readOnly": False},
                        "scratch": {
                            "emptyDir": True,
                            "emptyDirMedium": "memory",
                            "emptyDirSizeLimit": "1Gi",
                            "path": "/scratch",
                            "readOnly": False,
                        },
                        "flux-minicluster-curve": {
                            "secretName": "lammps-curve-cert",
                            "path": "/flux_minicluster/curve",
                            "readOnly": True,
                        },
                    },
                    "commands": {
                        "brokerPre": "echo lead",
                        "post": "echo post",
                        "pre": f"{INSTALL_CERTIFICATE}\necho pre",
                    },
                    "runFlux": True,
                    "launcher": True,
                },
                {"name": "sidecar", "image": "side:1", "command": "sleep infinity"},
            ],
            "pod": {
                "nodeSelector": {"cloud.google.com/gke-nodepool": "lammps-pool", "disk": "ssd"},
                "tolerations": [
                    {"key": "special", "operator": "Exists"},
                    {"key": "dedicated", "operator": "Equal", "value": "flux", "effect": "NoSchedule"},
                ],
                "labels": {"tier": "hpc"},
                "annotations": {"note": "x"},
                "serviceAccountName": "runner",
            },
        },
    }


def test_sorted_maps_keep_their_sorted_order() -> None:
    spec = _minicluster()["spec"]
    flux = spec["containers"][0]
    assert list(flux["commands"]) == ["brokerPre", "post", "pre"]
    assert list(flux["volumes"]) == ["cfg", "creds", "data", "scratch", "flux-minicluster-curve"]
    assert list(flux["volumes"]["cfg"]) == ["configMapName", "items", "path", "readOnly"]
    assert list(flux["volumes"]["cfg"]["items"]) == ["a", "b"]


def test_without_user_hooks_the_flux_container_only_installs_the_certificate() -> None:
    config = copy.deepcopy(CONFIG)
    config["miniCluster"]["backend"] = "operator"
    config["nodePool"] = None
    config["miniCluster"]["containers"][0]["volumes"] = {}
    config["miniCluster"]["dataVolumes"] = {}
    body = list(kubernetes_objects(load_spec(config), "C"))[-1].body
    (flux, sidecar) = body["spec"]["containers"]
    assert flux["commands"] == {"pre": INSTALL_CERTIFICATE}
    assert "launcher" not in flux
    assert "pod" in body["spec"] and body["spec"]["pod"]["serviceAccountName"] == "runner"
    assert "commands" not in sidecar and "volumes" not in sidecar


def test_an_integer_empty_dir_size_limit_is_written_as_a_string() -> None:
    # The CRD types emptyDirSizeLimit as a string.
    config = copy.deepcopy(CONFIG)
    config["miniCluster"]["backend"] = "operator"
    config["miniCluster"]["containers"][0]["volumes"]["scratch"]["emptyDirSizeLimit"] = 1073741824
    body = list(kubernetes_objects(load_spec(config), "C"))[-1].body
    assert body["spec"]["containers"][0]["volumes"]["scratch"]["emptyDirSizeLimit"] == "1073741824"

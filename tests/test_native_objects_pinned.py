"""The native backend's objects, pinned whole for one experiment that uses
every option: field names are the Kubernetes API's (core/v1, batch/v1), the
layout the Flux Operator's (FACTS.md sections 1 and 4), the annotations the
Pulumi Kubernetes provider's."""

from __future__ import annotations

import copy
import json
import tomllib
from typing import Any

from flux_minicluster.kubernetes_objects import kubernetes_objects
from flux_minicluster.spec import load_spec

CONFIG: dict[str, Any] = {
    "nodePool": {
        "cluster": "hpc",
        "location": "us-central1-a",
        "zones": ["us-central1-a"],
        "machineType": "c2d-standard-112",
        "nodeCount": 4,
        "taints": [{"key": "dedicated", "value": "flux"}],
    },
    "miniCluster": {
        "name": "lammps",
        "namespace": "lab",
        "size": 2,
        "maxSize": 4,
        "deadlineSeconds": 3600,
        "jobLabels": {"kueue.x-k8s.io/queue-name": "q"},
        "containers": [
            {
                "image": "app:1",
                "runFlux": True,
                "command": "lmp -in in.lj",
                "workingDir": "/work",
                "environment": {"B": "2", "A": "1"},
                "resources": {"requests": {"cpu": "4"}, "limits": {"memory": "64Gi"}},
                "volumes": {
                    "data": {"path": "/data", "claimName": "results"},
                    "creds": {"path": "/creds", "secretName": "creds", "readOnly": True},
                    "cfg": {"path": "/cfg", "configMapName": "cfg", "items": {"b": "b.txt", "a": "a.txt"}},
                    "scratch": {
                        "path": "/scratch",
                        "emptyDir": True,
                        "emptyDirMedium": "memory",
                        "emptyDirSizeLimit": "1Gi",
                    },
                },
            },
            {"name": "sidecar", "image": "side:1", "command": "sleep infinity"},
        ],
        "dataVolumes": {"results": {"size": "1Ti", "storageClassName": "standard-rwx"}},
        "pod": {
            "labels": {"tier": "hpc"},
            "annotations": {"note": "x"},
            "serviceAccountName": "runner",
            "nodeSelector": {"disk": "ssd"},
            "tolerations": [{"key": "special", "operator": "Exists"}],
        },
    },
}

LABELS = {"app.kubernetes.io/instance": "lammps", "app.kubernetes.io/managed-by": "flux-minicluster"}
POD_LABELS = {**LABELS, "app.kubernetes.io/component": "flux-broker"}
VIEW_MOUNT = {"name": "flux-view", "mountPath": "/mnt/flux"}
CONFIG_MOUNT = {"name": "flux-minicluster-config", "mountPath": "/flux_minicluster/config", "readOnly": True}
CERT_MOUNT = {"name": "flux-minicluster-curve", "mountPath": "/flux_minicluster/curve", "readOnly": True}


def _objects(**mini_cluster: Any) -> dict[str, dict[str, Any]]:
    config = copy.deepcopy(CONFIG)
    config["miniCluster"].update(mini_cluster)
    return {obj.role: obj.body for obj in kubernetes_objects(load_spec(config), "CERTIFICATE TEXT")}


def test_objects_come_in_creation_order_with_their_names() -> None:
    objects = kubernetes_objects(load_spec(CONFIG), "CERTIFICATE TEXT")
    assert [(o.role, o.suffix, o.retain_on_delete) for o in objects] == [
        ("namespace", "namespace", False),
        ("certificate", "curve-cert", False),
        ("data-volume", "data-results", False),
        ("config", "flux-config", False),
        ("service", "service", False),
        ("job", "job", False),
        ("size", "size", False),
        ("budget", "budget", False),
    ]


def test_namespace_secret_and_claim() -> None:
    objects = _objects()
    assert objects["namespace"] == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "lab", "labels": LABELS},
    }
    assert objects["certificate"] == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "lammps-curve-cert", "namespace": "lab", "labels": LABELS},
        "type": "Opaque",
        "immutable": True,
        "stringData": {"curve.cert": "CERTIFICATE TEXT"},
    }
    assert objects["data-volume"] == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": "results",
            "namespace": "lab",
            "labels": LABELS,
            "annotations": {"pulumi.com/skipAwait": "true"},
        },
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "resources": {"requests": {"storage": "1Ti"}},
            "storageClassName": "standard-rwx",
        },
    }


def test_config_map_carries_the_broker_config_the_three_scripts_and_the_instances_identity() -> None:
    config_map = _objects()["config"]
    assert config_map["metadata"] == {"name": "lammps-flux", "namespace": "lab", "labels": LABELS}
    assert config_map["immutable"] is True
    assert sorted(config_map["data"]) == ["broker.toml", "entrypoint.sh", "init.sh", "instance.json", "ready.sh"]
    # The hostlist covers maxSize, not size (FACTS.md section 2).
    bootstrap = tomllib.loads(config_map["data"]["broker.toml"])["bootstrap"]
    assert bootstrap["hosts"] == [{"host": "lammps-[0-3]"}]
    assert bootstrap["curve_cert"] == "/mnt/flux/config/curve/minicluster.cert"
    identity = json.loads(config_map["data"]["instance.json"])
    assert set(identity) == {"job", "certificate", "dataVolumes", "nodePool"}
    assert identity["certificate"] == "<assigned when curve-cert is created>"
    assert identity["dataVolumes"] == {"results": "<assigned when data-results is created>"}


def test_headless_service_publishes_every_broker_before_it_is_ready() -> None:
    assert _objects()["service"] == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "lammps", "namespace": "lab", "labels": LABELS},
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": POD_LABELS,
            "ports": [{"name": "flux-broker", "port": 8050, "targetPort": 8050}],
        },
    }


def test_indexed_job_for_a_command_with_every_pod_option() -> None:
    assert _objects()["job"] == {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "lammps",
            "namespace": "lab",
            "labels": {**LABELS, "kueue.x-k8s.io/queue-name": "q"},
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "name": "lammps-flux",
                    "uid": "<assigned when flux-config is created>",
                    "blockOwnerDeletion": True,
                }
            ],
            "annotations": {"pulumi.com/skipAwait": "true"},
        },
        "spec": {
            "completionMode": "Indexed",
            "completions": 2,
            "parallelism": 2,
            "suspend": True,
            # A command runs once: its first failure ends it.
            "backoffLimit": 0,
            "activeDeadlineSeconds": 3600,
            "template": {
                "metadata": {"labels": {**POD_LABELS, "tier": "hpc"}, "annotations": {"note": "x"}},
                "spec": {
                    "subdomain": "lammps",
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "serviceAccountName": "runner",
                    "nodeSelector": {"cloud.google.com/gke-nodepool": "lammps-pool", "disk": "ssd"},
                    "tolerations": [
                        {"key": "special", "operator": "Exists"},
                        {"key": "dedicated", "operator": "Equal", "value": "flux", "effect": "NoSchedule"},
                    ],
                    "affinity": {
                        "podAntiAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "labelSelector": {"matchLabels": {"job-name": "lammps"}},
                                    "topologyKey": "kubernetes.io/hostname",
                                }
                            ]
                        }
                    },
                    "initContainers": [
                        {
                            "name": "flux-view",
                            "image": "ghcr.io/converged-computing/flux-view-ubuntu:tag-noble",
                            "command": ["/bin/sh", "/flux_minicluster/config/init.sh"],
                            "volumeMounts": [VIEW_MOUNT, CONFIG_MOUNT],
                        }
                    ],
                    "containers": [
                        {
                            "name": "lammps",
                            "image": "app:1",
                            "command": ["/bin/sh", "/flux_minicluster/config/entrypoint.sh"],
                            "readinessProbe": {
                                "exec": {"command": ["/bin/sh", "/flux_minicluster/config/ready.sh"]},
                                "periodSeconds": 2,
                                "timeoutSeconds": 10,
                                "failureThreshold": 1,
                            },
                            "ports": [{"name": "flux-broker", "containerPort": 8050}],
                            "workingDir": "/work",
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "resources": {"limits": {"memory": "64Gi"}, "requests": {"cpu": "4"}},
                            "volumeMounts": [
                                VIEW_MOUNT,
                                CONFIG_MOUNT,
                                CERT_MOUNT,
                                {"name": "cfg", "mountPath": "/cfg"},
                                {"name": "creds", "mountPath": "/creds", "readOnly": True},
                                {"name": "data", "mountPath": "/data"},
                                {"name": "scratch", "mountPath": "/scratch"},
                            ],
                        },
                        {"name": "sidecar", "image": "side:1", "command": ["/bin/sh", "-c", "sleep infinity"]},
                    ],
                    "volumes": [
                        {"name": "flux-view", "emptyDir": {}},
                        {"name": "flux-minicluster-config", "configMap": {"name": "lammps-flux"}},
                        # A broker refuses a certificate readable by group or other (FACTS.md section 8).
                        {
                            "name": "flux-minicluster-curve",
                            "secret": {"secretName": "lammps-curve-cert", "defaultMode": 0o400},
                        },
                        {
                            "name": "cfg",
                            "configMap": {
                                "name": "cfg",
                                "items": [{"key": "a", "path": "a.txt"}, {"key": "b", "path": "b.txt"}],
                            },
                        },
                        {"name": "creds", "secret": {"secretName": "creds"}},
                        {"name": "data", "persistentVolumeClaim": {"claimName": "results"}},
                        {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
                    ],
                },
            },
        },
    }


def test_an_instance_that_waits_for_jobs_starts_a_failed_rank_again() -> None:
    spec = _objects(interactive=True, retriesPerBroker=3)["job"]["spec"]
    assert {k: spec[k] for k in ("backoffLimitPerIndex", "maxFailedIndexes", "podFailurePolicy")} == {
        "backoffLimitPerIndex": 3,
        "maxFailedIndexes": 0,
        "podFailurePolicy": {
            "rules": [
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
                {
                    "action": "Ignore",
                    "onExitCodes": {"containerName": "lammps", "operator": "In", "values": [75]},
                },
            ]
        },
    }
    assert "backoffLimit" not in spec


def test_the_size_patch_sets_the_counts_and_leaves_suspend_to_kueue() -> None:
    # CONFIG's jobLabels hand the Job to Kueue, which starts it when it admits it.
    assert _objects(interactive=True)["size"] == {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "lammps",
            "namespace": "lab",
            "annotations": {"pulumi.com/patchForce": "true", "pulumi.com/skipAwait": "true"},
        },
        "spec": {"parallelism": 2, "completions": 2},
    }
    assert _objects(interactive=True, jobLabels={})["size"]["spec"] == {
        "parallelism": 2,
        "completions": 2,
        "suspend": False,
    }


def test_the_budget_holds_drains_while_every_broker_is_up() -> None:
    assert _objects(interactive=True)["budget"] == {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "lammps", "namespace": "lab", "labels": LABELS},
        "spec": {
            "minAvailable": 2,
            "selector": {"matchLabels": POD_LABELS},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


def test_when_the_provider_waits_the_budget_waits_for_every_broker_and_the_patch_for_a_command() -> None:
    config = copy.deepcopy(CONFIG)
    config["miniCluster"]["interactive"] = True
    waiting = {o.role: o.body for o in kubernetes_objects(load_spec(config), "C", provider_waits=True)}
    assert waiting["budget"]["metadata"]["annotations"] == {
        "pulumi.com/waitFor": "jsonpath={.status.currentHealthy}=2",
        "pulumi.com/timeoutSeconds": "1800",
    }
    assert waiting["size"]["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"
    command = {o.role: o.body for o in kubernetes_objects(load_spec(CONFIG), "C", provider_waits=True)}
    # The provider's Job check on the patch waits for the command to finish.
    assert command["size"]["metadata"]["annotations"] == {
        "pulumi.com/patchForce": "true",
        "pulumi.com/timeoutSeconds": "1800",
    }
    assert "annotations" not in command["budget"]["metadata"]


def test_an_empty_dir_on_disk_has_no_medium() -> None:
    config = copy.deepcopy(CONFIG)
    config["miniCluster"]["containers"][0]["volumes"] = {"scratch": {"path": "/scratch", "emptyDir": True}}
    config["miniCluster"]["dataVolumes"] = {}
    objects = {o.role: o.body for o in kubernetes_objects(load_spec(config), "C")}
    volumes = objects["job"]["spec"]["template"]["spec"]["volumes"]
    assert volumes[-1] == {"name": "scratch", "emptyDir": {}}


def _pod_spec(config: dict[str, Any]) -> dict[str, Any]:
    objects = {o.role: o.body for o in kubernetes_objects(load_spec(config), "C")}
    pod: dict[str, Any] = objects["job"]["spec"]["template"]["spec"]
    return pod


def _small(**mini_cluster: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "miniCluster": {"name": "lammps", "namespace": "lab", "size": 2, "containers": [{"image": "app:1"}]}
    }
    config["miniCluster"].update(mini_cluster)
    return config


# Soft anti-affinity, as the operator sets it (FACTS.md section 1), at the
# strongest weight Kubernetes accepts (1-100).
PREFERRED = {
    "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 100,
                "podAffinityTerm": {
                    "labelSelector": {"matchLabels": {"job-name": "lammps"}},
                    "topologyKey": "kubernetes.io/hostname",
                },
            }
        ]
    }
}


def test_without_a_node_pool_one_broker_per_node_is_only_preferred() -> None:
    assert _pod_spec(_small())["affinity"] == PREFERRED


def test_packing_on_a_node_pool_makes_one_broker_per_node_a_preference() -> None:
    config = copy.deepcopy(CONFIG)
    config["miniCluster"]["allowPacking"] = True
    assert _pod_spec(config)["affinity"] == PREFERRED


def _gpu_config(gpu: dict[str, Any], machine_type: str = "a2-highgpu-2g") -> dict[str, Any]:
    config = _small(containers=[{"image": "app:1", "runFlux": True}, {"name": "sidecar", "image": "side:1"}])
    config["nodePool"] = {
        "cluster": "hpc",
        "location": "us-central1-a",
        "zones": ["us-central1-a"],
        "machineType": machine_type,
        "nodeCount": 2,
        "gpu": gpu,
    }
    return config


def test_on_a_gpu_pool_the_flux_container_gets_every_gpu_of_its_node() -> None:
    # a2-highgpu-2g carries two A100s (FACTS.md section 6); the sidecar asks for none.
    flux, sidecar = _pod_spec(_gpu_config({}))["containers"]
    assert flux["resources"] == {"limits": {"nvidia.com/gpu": 2}}
    assert "resources" not in sidecar


def test_on_shared_gpus_the_flux_container_gets_one() -> None:
    # GKE: a container that uses a shared GPU may request only one nvidia.com/gpu.
    config = _gpu_config({"sharingStrategy": "TIME_SHARING", "maxSharedClientsPerGpu": 2}, "a2-highgpu-1g")
    flux, _ = _pod_spec(config)["containers"]
    assert flux["resources"] == {"limits": {"nvidia.com/gpu": 1}}


def test_a_gpu_limit_in_milli_units_names_that_many_gpus_in_the_resource_set() -> None:
    # Kubernetes reads 2000m as two GPUs; the resource set must say 0-1.
    config = _gpu_config({})
    config["miniCluster"]["containers"][0]["resources"] = {"limits": {"nvidia.com/gpu": "2000m"}}
    objects = {o.role: o.body for o in kubernetes_objects(load_spec(config), "C")}
    scripts = [text for body in objects.values() for text in body.get("data", {}).values() if "flux R encode" in text]
    assert scripts and all("--gpus=0-1" in text for text in scripts)

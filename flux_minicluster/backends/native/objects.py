"""A MiniCluster without an operator: a ConfigMap, a headless Service, an Indexed Job.

Plain namespaced objects that any conformant cluster runs: nothing
cluster-scoped, nothing a namespace administrator could not create.

- The ConfigMap holds the broker config and the scripts (``entrypoint.py``),
  no secret.
- The headless Service gives every pod ``NAME-i.HEADLESS.NS.svc.cluster.local``
  as soon as it has an address, ready or not: brokers must find each other
  before any of them can be ready.
- The Indexed Job runs ``size`` pods named ``NAME-0`` ... as the broker
  config's ``hosts`` expects. A pod that fails is not restarted and the Job
  fails with it: a broker restarted into a running instance could disagree
  with it, and a failed Job is something ``pulumi up`` and ``kubectl`` show.
- The size patch sets ``parallelism`` and ``completions`` of the running Job
  (elastic Indexed Jobs) and carries the wait for readiness, so a size change
  is an update in place that waits for the new ranks to join.
"""

from __future__ import annotations

from typing import Any

from ...broker import fluxfacts
from ...gke.placement import container_resources, node_selector, tolerations
from ...spec import Container, ExperimentSpec, Volume
from .entrypoint import entrypoint_script, init_script, ready_script

#: Annotations the Pulumi Kubernetes provider reads on an object's inputs.
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
WAIT_FOR_ANNOTATION = "pulumi.com/waitFor"
TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds"
PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce"

#: Label our pods carry, selected by the headless Service.
COMPONENT_LABEL = "app.kubernetes.io/component"
BROKER_COMPONENT = "flux-broker"


def config_map_name(spec: ExperimentSpec) -> str:
    return f"{spec.mini_cluster.name}-flux"


def config_map(spec: ExperimentSpec, *, labels: dict[str, str], broker_config: str) -> dict[str, Any]:
    mc = spec.mini_cluster
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": config_map_name(spec), "namespace": mc.namespace, "labels": labels},
        "data": {
            fluxfacts.BROKER_CONFIG_KEY: broker_config,
            fluxfacts.ENTRYPOINT_KEY: entrypoint_script(mc, mc.flux_container),
            fluxfacts.INIT_SCRIPT_KEY: init_script(),
            fluxfacts.READY_SCRIPT_KEY: ready_script(),
        },
    }


def headless_service(spec: ExperimentSpec, *, labels: dict[str, str]) -> dict[str, Any]:
    mc = spec.mini_cluster
    assert mc.headless_name is not None
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": mc.headless_name, "namespace": mc.namespace, "labels": labels},
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": _pod_labels(labels),
            "ports": [{"name": "flux-broker", "port": fluxfacts.BROKER_PORT, "targetPort": fluxfacts.BROKER_PORT}],
        },
    }


def waits_for_readiness(spec: ExperimentSpec) -> bool:
    """An instance that waits for jobs is ready when every broker is; a command runs to completion."""
    mc = spec.mini_cluster
    return mc.interactive or not mc.flux_container.command


def broker_job(spec: ExperimentSpec, *, labels: dict[str, str], secret_name: str) -> dict[str, Any]:
    mc = spec.mini_cluster
    assert mc.headless_name is not None
    job_spec: dict[str, Any] = {
        "completionMode": "Indexed",
        "completions": mc.size,
        "parallelism": mc.size,
        "backoffLimit": 0,
    }
    if mc.deadline_seconds is not None:
        job_spec["activeDeadlineSeconds"] = mc.deadline_seconds
    job_spec["template"] = {
        "metadata": {"labels": {**_pod_labels(labels), **dict(sorted(mc.pod.labels.items()))}},
        "spec": _pod_spec(spec, secret_name),
    }
    if mc.pod.annotations:
        job_spec["template"]["metadata"]["annotations"] = dict(sorted(mc.pod.annotations.items()))
    if waits_for_readiness(spec):
        # The size patch does the waiting; left alone, the provider would wait
        # for the Job to complete, which an instance that waits for jobs never does.
        annotations = {SKIP_AWAIT_ANNOTATION: "true"}
    else:
        # A command: pulumi up waits until it has run on the instance, and fails with it.
        annotations = {TIMEOUT_ANNOTATION: str(mc.ready_timeout_minutes * 60)}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": mc.name,
            "namespace": mc.namespace,
            "labels": {**labels, **dict(sorted(mc.job_labels.items()))},
            "annotations": annotations,
        },
        "spec": job_spec,
    }


def size_patch(spec: ExperimentSpec) -> dict[str, Any]:
    """The Job's size, applied over the Job; waits until ``size`` brokers are ready."""
    mc = spec.mini_cluster
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": mc.name,
            "namespace": mc.namespace,
            "annotations": {
                # The Job object declared the size first; this patch owns it from then on.
                PATCH_FORCE_ANNOTATION: "true",
                WAIT_FOR_ANNOTATION: f"jsonpath={{.status.ready}}={mc.size}",
                TIMEOUT_ANNOTATION: str(mc.ready_timeout_minutes * 60),
            },
        },
        "spec": {"parallelism": mc.size, "completions": mc.size},
    }


def _pod_labels(labels: dict[str, str]) -> dict[str, str]:
    return {**labels, COMPONENT_LABEL: BROKER_COMPONENT}


def _pod_spec(spec: ExperimentSpec, secret_name: str) -> dict[str, Any]:
    mc = spec.mini_cluster
    assert mc.headless_name is not None
    config_mount = {
        "name": fluxfacts.NATIVE_CONFIG_VOLUME,
        "mountPath": fluxfacts.NATIVE_CONFIG_MOUNT,
        "readOnly": True,
    }
    view_mount = {"name": fluxfacts.FLUX_VIEW_VOLUME, "mountPath": fluxfacts.FLUX_VIEW_MOUNT}
    pod: dict[str, Any] = {
        "subdomain": mc.headless_name,
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
    }
    if mc.pod.service_account_name:
        pod["serviceAccountName"] = mc.pod.service_account_name
    selector = node_selector(spec)
    if selector:
        pod["nodeSelector"] = selector
    found = tolerations(spec)
    if found:
        pod["tolerations"] = found
    pod["affinity"] = _one_broker_per_node(spec)
    pod["initContainers"] = [
        {
            "name": "flux-view",
            "image": mc.flux.view_image,
            "command": ["/bin/sh", f"{fluxfacts.NATIVE_CONFIG_MOUNT}/{fluxfacts.INIT_SCRIPT_KEY}"],
            "volumeMounts": [view_mount, config_mount],
        }
    ]
    pod["containers"] = [_container(spec, c, [view_mount, config_mount]) for c in mc.containers]
    pod["volumes"] = [
        {"name": fluxfacts.FLUX_VIEW_VOLUME, "emptyDir": {}},
        {"name": fluxfacts.NATIVE_CONFIG_VOLUME, "configMap": {"name": config_map_name(spec)}},
        {
            "name": fluxfacts.CERT_VOLUME_NAME,
            # A broker refuses a certificate that group or others can read.
            "secret": {"secretName": secret_name, "defaultMode": fluxfacts.CERT_FILE_MODE},
        },
        *(_volume(name, volume) for name, volume in _user_volumes(spec)),
    ]
    return pod


def _one_broker_per_node(spec: ExperimentSpec) -> dict[str, Any]:
    """Brokers of a pool made for them each get a node (required); elsewhere, preferred."""
    mc = spec.mini_cluster
    term = {
        "labelSelector": {"matchLabels": {fluxfacts.JOB_NAME_LABEL: mc.name}},
        "topologyKey": "kubernetes.io/hostname",
    }
    if spec.node_pool is not None and not mc.allow_packing:
        return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]
        }
    }


def _container(spec: ExperimentSpec, container: Container, flux_mounts: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {"name": container.name, "image": container.image}
    mounts = [
        {"name": name, "mountPath": volume.path, **({"readOnly": True} if volume.read_only else {})}
        for name, volume in sorted(container.volumes.items())
    ]
    if container.run_flux:
        script = f"{fluxfacts.NATIVE_CONFIG_MOUNT}/{fluxfacts.ENTRYPOINT_KEY}"
        body["command"] = ["/bin/sh", script]
        ready = f"{fluxfacts.NATIVE_CONFIG_MOUNT}/{fluxfacts.READY_SCRIPT_KEY}"
        body["readinessProbe"] = {
            "exec": {"command": ["/bin/sh", ready]},
            "periodSeconds": 2,
            "timeoutSeconds": 10,
            "failureThreshold": 1,
        }
        body["ports"] = [{"name": "flux-broker", "containerPort": fluxfacts.BROKER_PORT}]
        mounts = [
            *flux_mounts,
            {"name": fluxfacts.CERT_VOLUME_NAME, "mountPath": fluxfacts.CERT_MOUNT_DIR, "readOnly": True},
            *mounts,
        ]
    elif container.command:
        body["command"] = ["/bin/sh", "-c", container.command]
    if container.working_dir:
        body["workingDir"] = container.working_dir
    if container.environment:
        body["env"] = [{"name": key, "value": value} for key, value in sorted(container.environment.items())]
    resources = container_resources(spec, container)
    if resources:
        body["resources"] = resources
    if mounts:
        body["volumeMounts"] = mounts
    return body


def _user_volumes(spec: ExperimentSpec) -> list[tuple[str, Volume]]:
    """Each user volume once (containers may mount the same volume by name)."""
    seen: dict[str, Volume] = {}
    for container in spec.mini_cluster.containers:
        for name, volume in container.volumes.items():
            seen.setdefault(name, volume)
    return sorted(seen.items())


def _volume(name: str, volume: Volume) -> dict[str, Any]:
    if volume.claim_name is not None:
        return {"name": name, "persistentVolumeClaim": {"claimName": volume.claim_name}}
    if volume.secret_name is not None:
        return {"name": name, "secret": {"secretName": volume.secret_name}}
    if volume.config_map_name is not None:
        source: dict[str, Any] = {"name": volume.config_map_name}
        if volume.items:
            source["items"] = [{"key": key, "path": path} for key, path in sorted(volume.items.items())]
        return {"name": name, "configMap": source}
    empty_dir: dict[str, Any] = {}
    if volume.empty_dir_medium == "memory":
        empty_dir["medium"] = "Memory"
    if volume.empty_dir_size_limit is not None:
        empty_dir["sizeLimit"] = str(volume.empty_dir_size_limit)
    return {"name": name, "emptyDir": empty_dir}

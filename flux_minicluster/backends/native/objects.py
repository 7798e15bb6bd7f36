"""A MiniCluster without an operator: a ConfigMap, a headless Service, an
Indexed Job, its size patch and a disruption budget.

Plain namespaced objects that any conformant cluster (Kubernetes 1.31 or
later) runs: nothing cluster-scoped, nothing a namespace administrator could
not create.

- The ConfigMap holds the broker config and the scripts (``entrypoint.py``),
  no secret, and the identity of what this instance runs with (``instance.json``:
  a digest of the Job, the uids of the certificate Secret and the data
  volumes, the node pool): whatever replaces the instance changes it. It is
  immutable, and the Job belongs to it (an owner reference that blocks its
  deletion), so deleting it waits until the Job and its pods are gone.
- The headless Service gives every pod ``NAME-i.HEADLESS`` in the pods' DNS
  search path as soon as it has an address, ready or not: brokers must find
  each other before any of them can be ready.
- The Indexed Job runs ``size`` pods named ``NAME-0`` ... as the broker
  config's ``hosts`` expects. It is created suspended; the size patch sets its
  counts and starts it, so a replacement starts at the current size. In an
  instance that waits for jobs, a broker's pod that fails is started again as
  the same rank (``retriesPerBroker`` times; drains and preemptions are not
  counted), and a rank that keeps failing fails the Job.
- The size patch owns ``parallelism``, ``completions`` and (unless Kueue does)
  ``suspend``: a size change is an update in place.
- The disruption budget makes voluntary evictions (node drains, upgrades)
  wait while every broker is up, and counts the brokers that are ready.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ...broker import fluxfacts
from ...catalog.buckets import FUSE_ANNOTATION
from ...catalog.quantities import quantity_value
from ...gke.placement import container_resources, node_selector, pod_annotations, tolerations
from ...gke.storage import bucket_volume_source
from ...spec import Container, ExperimentSpec, MiniClusterSpec, Volume, secret_environment_key
from .entrypoint import entrypoint_script, init_script, ready_script

#: Annotations the Pulumi Kubernetes provider reads on an object's inputs
#: (pulumi-kubernetes ``provider/pkg/metadata/annotations.go``).
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
WAIT_FOR_ANNOTATION = "pulumi.com/waitFor"
TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds"
PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce"

#: Label our pods carry, selected by the headless Service and the budget.
COMPONENT_LABEL = "app.kubernetes.io/component"
BROKER_COMPONENT = "flux-broker"
#: The Job's fields its size patch owns once the Job exists.
SIZE_FIELDS = ("parallelism", "completions", "suspend")


def config_map_name(spec: ExperimentSpec) -> str:
    return f"{spec.mini_cluster.name}-flux"


def config_map(spec: ExperimentSpec, *, labels: dict[str, str], broker_config: str, instance: Any) -> dict[str, Any]:
    """The broker config, the scripts and ``instance`` (the instance's identity, as JSON text)."""
    mc = spec.mini_cluster
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": config_map_name(spec), "namespace": mc.namespace, "labels": labels},
        # New content is a new ConfigMap, whatever the provider is told about
        # mutable ConfigMaps (pulumi-kubernetes provider/pkg/provider/diff.go).
        "immutable": True,
        "data": {
            fluxfacts.BROKER_CONFIG_KEY: broker_config,
            fluxfacts.ENTRYPOINT_KEY: entrypoint_script(mc, mc.flux_container, gpus=_gpus(spec)),
            fluxfacts.INIT_SCRIPT_KEY: init_script(spec.mini_cluster.flux.view_copy),
            fluxfacts.READY_SCRIPT_KEY: ready_script(),
            fluxfacts.INSTANCE_KEY: instance,
        },
    }


def _gpus(spec: ExperimentSpec) -> int:
    """The GPUs the Flux container is given (its ``nvidia.com/gpu`` limit)."""
    limit = container_resources(spec, spec.mini_cluster.flux_container).get("limits", {}).get(fluxfacts.GPU_RESOURCE, 0)
    return int(quantity_value(limit))


def job_digest(job: dict[str, Any]) -> str:
    """A digest of everything in the Job that replacing it would change: all
    but the fields its size patch owns, and its owner."""
    body = json.loads(json.dumps({k: v for k, v in job.items() if k != "metadata"}))
    for key in SIZE_FIELDS:
        body["spec"].pop(key, None)
    metadata = {k: v for k, v in job["metadata"].items() if k != "ownerReferences"}
    text = json.dumps({"metadata": metadata, **body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
            "selector": pod_labels(labels),
            "ports": [{"name": "flux-broker", "port": fluxfacts.BROKER_PORT, "targetPort": fluxfacts.BROKER_PORT}],
        },
    }


def broker_job(spec: ExperimentSpec, *, labels: dict[str, str], secret_name: str, owner_uid: Any) -> dict[str, Any]:
    """The Indexed Job of the brokers, created suspended and owned by the ConfigMap ``owner_uid`` names."""
    mc = spec.mini_cluster
    assert mc.headless_name is not None
    job_spec: dict[str, Any] = {
        "completionMode": "Indexed",
        "completions": mc.size,
        "parallelism": mc.size,
        # The size patch starts it at the current size (a replacement Job is
        # created with the counts it was first declared with).
        "suspend": True,
    }
    if mc.waits_for_jobs:
        # A rank whose pod failed is started again as the same rank, and
        # rejoins the instance; one that keeps failing fails the Job at once.
        job_spec["backoffLimitPerIndex"] = mc.retries_per_broker
        job_spec["maxFailedIndexes"] = 0
        job_spec["podFailurePolicy"] = {"rules": _restart_uncounted(mc.flux_container)}
    else:
        # A command runs once: any failure ends it, with the reason.
        job_spec["backoffLimit"] = 0
    if mc.deadline_seconds is not None:
        job_spec["activeDeadlineSeconds"] = mc.deadline_seconds
    job_spec["template"] = {
        "metadata": {"labels": {**pod_labels(labels), **dict(sorted(mc.pod.labels.items()))}},
        "spec": _pod_spec(spec, secret_name),
    }
    annotations = pod_annotations(spec)
    if mc.buckets:
        # The driver's webhook adds the sidecar that mounts the buckets.
        annotations[FUSE_ANNOTATION] = "true"
    if annotations:
        job_spec["template"]["metadata"]["annotations"] = dict(sorted(annotations.items()))
    owner = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": config_map_name(spec),
        "uid": owner_uid,
        "blockOwnerDeletion": True,
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": mc.name,
            "namespace": mc.namespace,
            "labels": {**labels, **dict(sorted(mc.job_labels.items()))},
            # Deleting the ConfigMap waits until this Job and its pods are gone.
            "ownerReferences": [owner],
            # No provider wait on create (the Job is suspended until the size
            # patch) and no completion check on refresh, which a Job that
            # waits for jobs never passes. The provider's delete wait goes
            # with it for a Job (allowsSkipAwaitWithDelete in
            # pulumi-kubernetes provider/pkg/metadata/overrides.go); the
            # owner's deletion waits instead.
            "annotations": {SKIP_AWAIT_ANNOTATION: "true"},
        },
        "spec": job_spec,
    }


def _restart_uncounted(container: Container) -> list[dict[str, Any]]:
    """Pod failures that start the rank again without counting against its retries."""
    return [
        # Drains, preemption, eviction, a node gone (Kubernetes pkg/controller/job).
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
        # The broker ended cleanly: its pod was stopped, or the instance shut down.
        {
            "action": "Ignore",
            "onExitCodes": {
                "containerName": container.name,
                "operator": "In",
                "values": [fluxfacts.BROKER_ENDED_EXIT_CODE],
            },
        },
    ]


def size_patch(spec: ExperimentSpec, *, provider_waits: bool) -> dict[str, Any]:
    """The Job's size, applied over the Job, and its start.

    Kueue starts a Job that carries its queue label itself, when it admits it;
    then the patch leaves ``suspend`` alone. ``provider_waits``: a command's
    end is waited for by the provider (its Job check) rather than by the component.
    """
    mc = spec.mini_cluster
    annotations = {
        # The Job object declared the size first; this patch owns it from then on.
        PATCH_FORCE_ANNOTATION: "true",
    }
    if provider_waits and not mc.waits_for_jobs:
        annotations[TIMEOUT_ANNOTATION] = str(mc.ready_timeout_minutes * 60)
    else:
        # No Job check on create or refresh: the budget or the component waits.
        annotations[SKIP_AWAIT_ANNOTATION] = "true"
    body: dict[str, Any] = {"parallelism": mc.size, "completions": mc.size}
    if mc.kueue_queue is None:
        body["suspend"] = False
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": mc.name, "namespace": mc.namespace, "annotations": annotations},
        "spec": body,
    }


def disruption_budget(spec: ExperimentSpec, *, labels: dict[str, str], provider_waits: bool) -> dict[str, Any]:
    """Voluntary evictions wait while every broker is up; ``currentHealthy`` counts the ready ones.

    A Job has no scale subresource, so only an integer ``minAvailable`` works
    (Kubernetes pkg/controller/disruption). Pods that are not ready may always
    be evicted: a stuck broker must not hold a node drain.
    """
    mc = spec.mini_cluster
    metadata: dict[str, Any] = {"name": mc.name, "namespace": mc.namespace, "labels": labels}
    if provider_waits and mc.waits_for_jobs:
        # pulumi up returns once every broker is ready; the provider reads a
        # budget back without any check of its own on refresh.
        metadata["annotations"] = {
            WAIT_FOR_ANNOTATION: f"jsonpath={{.status.currentHealthy}}={mc.size}",
            TIMEOUT_ANNOTATION: str(mc.ready_timeout_minutes * 60),
        }
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata,
        "spec": {
            "minAvailable": mc.size,
            "selector": {"matchLabels": pod_labels(labels)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


def pod_labels(labels: Mapping[str, str]) -> dict[str, str]:
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
    if mc.broker_service_account is not None:
        pod["serviceAccountName"] = mc.broker_service_account
    if mc.effective_termination_grace_seconds is not None:
        pod["terminationGracePeriodSeconds"] = mc.effective_termination_grace_seconds
    security = _security_context(spec)
    if security:
        pod["securityContext"] = security
    selector = node_selector(spec)
    if selector:
        pod["nodeSelector"] = selector
    found = tolerations(spec)
    if found:
        pod["tolerations"] = found
    pod["affinity"] = _one_broker_per_node(spec)
    flux_mounts: list[dict[str, Any]] = [view_mount, config_mount]
    view_volumes: list[dict[str, Any]] = [{"name": fluxfacts.FLUX_VIEW_VOLUME, "emptyDir": {}}]
    if mc.flux.view_image_volume:
        # No init container: the view image is a read-only volume, copied nowhere.
        image_volume = fluxfacts.FLUX_VIEW_IMAGE_VOLUME
        view_volumes.append(
            {"name": image_volume, "image": {"reference": mc.flux.view_image, "pullPolicy": "IfNotPresent"}}
        )
        flux_mounts.append({"name": image_volume, "mountPath": fluxfacts.FLUX_VIEW_IMAGE_MOUNT, "readOnly": True})
        if mc.pod.run_as_user is not None:
            # As for a copy below: mounted where the view's files point.
            flux_mounts.append(
                {
                    "name": image_volume,
                    "mountPath": fluxfacts.VIEW_IMAGE_SOFTWARE,
                    "subPath": fluxfacts.VIEW_IMAGE_SOFTWARE.lstrip("/"),
                    "readOnly": True,
                }
            )
    else:
        pod["initContainers"] = [
            {
                "name": "flux-view",
                "image": mc.flux.view_image,
                "command": ["/bin/sh", f"{fluxfacts.NATIVE_CONFIG_MOUNT}/{fluxfacts.INIT_SCRIPT_KEY}"],
                "volumeMounts": [view_mount, config_mount],
            }
        ]
    if mc.pod.run_as_user is not None and not mc.flux.view_image_volume:
        # A user other than root may not write to the image's /opt: the view's
        # software is mounted where its files point instead of linked there.
        flux_mounts.append(
            {
                "name": fluxfacts.FLUX_VIEW_VOLUME,
                "mountPath": fluxfacts.VIEW_IMAGE_SOFTWARE,
                "subPath": fluxfacts.FLUX_SOFTWARE_ROOT.rsplit("/", 1)[1],
            }
        )
    pod["containers"] = [_container(spec, c, flux_mounts) for c in mc.containers]
    pod["volumes"] = [
        *view_volumes,
        {"name": fluxfacts.NATIVE_CONFIG_VOLUME, "configMap": {"name": config_map_name(spec)}},
        {
            "name": fluxfacts.CERT_VOLUME_NAME,
            "secret": {"secretName": secret_name, "defaultMode": fluxfacts.CERT_FILE_MODE},
        },
        *(_volume(spec, name, volume) for name, volume in _user_volumes(spec)),
    ]
    return pod


def _security_context(spec: ExperimentSpec) -> dict[str, int]:
    pod = spec.mini_cluster.pod
    context: dict[str, int] = {}
    if pod.run_as_user is not None:
        context["runAsUser"] = pod.run_as_user
    group = pod.effective_run_as_group
    if group is not None:
        context["runAsGroup"] = group
    fs_group = pod.effective_fs_group
    if fs_group is not None:
        context["fsGroup"] = fs_group
    return context


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
        body["env"] = _environment(spec.mini_cluster, container)
    resources = container_resources(spec, container)
    if resources:
        body["resources"] = resources
    if mounts:
        body["volumeMounts"] = mounts
    return body


def _environment(mc: MiniClusterSpec, container: Container) -> list[dict[str, Any]]:
    """The container's variables: plain values as written, secret ones from the experiment's Secret."""
    found: list[dict[str, Any]] = []
    for key, value in sorted(container.environment.items()):
        if isinstance(value, str):
            found.append({"name": key, "value": value})
            continue
        where = {"name": mc.environment_secret_name, "key": secret_environment_key(container.name or mc.name, key)}
        found.append({"name": key, "valueFrom": {"secretKeyRef": where}})
    return found


def _user_volumes(spec: ExperimentSpec) -> list[tuple[str, Volume]]:
    """Each user volume once (containers may mount the same volume by name)."""
    seen: dict[str, Volume] = {}
    for container in spec.mini_cluster.containers:
        for name, volume in container.volumes.items():
            seen.setdefault(name, volume)
    return sorted(seen.items())


def _volume(spec: ExperimentSpec, name: str, volume: Volume) -> dict[str, Any]:
    mc = spec.mini_cluster
    if volume.data_volume is not None and volume.data_volume in mc.buckets:
        return {"name": name, "csi": bucket_volume_source(mc, mc.buckets[volume.data_volume], volume.read_only)}
    if volume.data_volume is not None:
        return {"name": name, "persistentVolumeClaim": {"claimName": volume.data_volume}}
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

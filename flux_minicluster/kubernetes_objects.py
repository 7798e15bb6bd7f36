"""The Kubernetes objects of one MiniCluster, as plain dicts.

Namespace, a Secret holding the CURVE certificate, the claims of its data
volumes, and the Flux Operator's MiniCluster. The certificate text is passed
in and only ever placed in the Secret: it may be a plain string (offline
render) or a Pulumi Output (the component), so this module never needs to
know which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import fluxfacts
from .broker_config import broker_config, broker_config_text
from .spec import Container, DataVolume, ExperimentSpec, MiniClusterSpec, Volume

MANAGED_BY = "flux-minicluster"

#: Every MiniCluster spec field this package writes except ``size``: the
#: operator scales ``size`` in place but does not carry other changes into the
#: Job it made, so a change to any of these replaces the MiniCluster.
REPLACE_ON_CHANGE_FIELDS = tuple(
    f"spec.{field}"
    for field in (
        "maxSize",
        "minSize",
        "tasks",
        "interactive",
        "network",
        "flux",
        "containers",
        "pod",
        "jobLabels",
        "deadlineSeconds",
    )
)


#: Annotation that tells the Pulumi Kubernetes provider not to wait for an
#: object to become ready.
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"


@dataclass(frozen=True)
class KubernetesObject:
    """One object, the suffix of its resource name (``NAME-<suffix>``), and
    whether it outlives ``pulumi destroy``."""

    suffix: str
    body: dict[str, Any]
    retain_on_delete: bool = False


def certificate_secret_name(mc: MiniClusterSpec) -> str:
    return f"{mc.name}-curve-cert"


def effective_broker_config(mc: MiniClusterSpec) -> str:
    """The broker config every rank reads: the user's own, or the generated one."""
    if mc.flux.broker_config is not None:
        return mc.flux.broker_config
    assert mc.max_size is not None and mc.headless_name is not None
    return broker_config_text(
        broker_config(
            name=mc.name,
            namespace=mc.namespace,
            headless_name=mc.headless_name,
            max_size=mc.max_size,
            queue_policy=mc.flux.queue_policy,
        )
    )


def install_certificate_command() -> str:
    """Shell run on every rank before ``flux start``.

    Kubernetes mounts Secret files with mode 0644, which a broker refuses
    (``readable by group/other``); the copy made under umask 077 is 0600 and
    owned by the user that runs the broker.
    """
    source = f"{fluxfacts.CERT_MOUNT_DIR}/{fluxfacts.CERT_SECRET_KEY}"
    target = fluxfacts.CERT_BROKER_PATH
    return f"mkdir -p {target.rsplit('/', 1)[0]} && rm -f {target} && (umask 077 && cp {source} {target})"


def data_volume_suffix(volume_name: str) -> str:
    return f"data-{volume_name}"


def kubernetes_objects(spec: ExperimentSpec, certificate: Any) -> list[KubernetesObject]:
    """Namespace, certificate Secret, data volume claims and MiniCluster, in the order they are applied."""
    mc = spec.mini_cluster
    # Deleting a namespace deletes every claim in it, so a kept claim keeps
    # its namespace too.
    keep_namespace = any(volume.keep for volume in mc.data_volumes.values())
    return [
        KubernetesObject("namespace", namespace_object(mc), retain_on_delete=keep_namespace),
        KubernetesObject("curve-cert", certificate_secret(mc, certificate)),
        *(
            KubernetesObject(data_volume_suffix(name), data_volume_claim(mc, name, volume), volume.keep)
            for name, volume in sorted(mc.data_volumes.items())
        ),
        KubernetesObject("minicluster", minicluster_object(spec)),
    ]


def _labels(mc: MiniClusterSpec) -> dict[str, str]:
    return {
        "app.kubernetes.io/instance": mc.name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def namespace_object(mc: MiniClusterSpec) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": mc.namespace, "labels": _labels(mc)},
    }


def certificate_secret(mc: MiniClusterSpec, certificate: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": certificate_secret_name(mc), "namespace": mc.namespace, "labels": _labels(mc)},
        "type": "Opaque",
        "stringData": {fluxfacts.CERT_SECRET_KEY: certificate},
    }


def data_volume_claim(mc: MiniClusterSpec, name: str, volume: DataVolume) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": [volume.access_mode],
        "resources": {"requests": {"storage": volume.size}},
    }
    if volume.storage_class_name is not None:
        spec["storageClassName"] = volume.storage_class_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "namespace": mc.namespace,
            "labels": _labels(mc),
            # The MiniCluster's pods are the claim's first consumer: with a
            # WaitForFirstConsumer storage class (GKE's default) it stays
            # Pending until they exist, so waiting for it to bind would stall.
            "annotations": {SKIP_AWAIT_ANNOTATION: "true"},
        },
        "spec": spec,
    }


def minicluster_object(spec: ExperimentSpec) -> dict[str, Any]:
    mc = spec.mini_cluster
    body: dict[str, Any] = {
        "size": mc.size,
        "maxSize": mc.max_size,
        "minSize": mc.min_size,
        "tasks": mc.tasks,
        "interactive": mc.interactive,
        "network": {"headlessName": mc.headless_name},
        "flux": _flux_options(mc),
        "containers": [_container(spec, c) for c in mc.containers],
        "pod": _pod(spec),
    }
    if mc.job_labels:
        body["jobLabels"] = dict(sorted(mc.job_labels.items()))
    if mc.deadline_seconds is not None:
        body["deadlineSeconds"] = mc.deadline_seconds
    return {
        "apiVersion": fluxfacts.MINICLUSTER_API_VERSION,
        "kind": fluxfacts.MINICLUSTER_KIND,
        "metadata": {"name": mc.name, "namespace": mc.namespace, "labels": _labels(mc)},
        "spec": body,
    }


def _flux_options(mc: MiniClusterSpec) -> dict[str, Any]:
    flux = mc.flux
    options: dict[str, Any] = {
        "container": {"image": flux.view_image},
        "connectTimeout": flux.connect_timeout,
        "logLevel": flux.log_level,
        "scheduler": {"queuePolicy": flux.queue_policy},
        "brokerConfig": effective_broker_config(mc),
    }
    if flux.option_flags:
        options["optionFlags"] = flux.option_flags
    if flux.topology:
        options["topology"] = flux.topology
    return options


def _container(spec: ExperimentSpec, container: Container) -> dict[str, Any]:
    mc = spec.mini_cluster
    body: dict[str, Any] = {"name": container.name, "image": container.image}
    if container.command:
        body["command"] = container.command
    if container.working_dir:
        body["workingDir"] = container.working_dir
    if container.environment:
        body["environment"] = dict(sorted(container.environment.items()))
    resources = _resources(spec, container)
    if resources:
        body["resources"] = resources
    volumes = {name: _volume(v) for name, v in sorted(container.volumes.items())}
    commands = {key: value for key, value in container.commands.model_dump(by_alias=True).items() if value}
    if container.run_flux:
        volumes[fluxfacts.CERT_VOLUME_NAME] = {
            "secretName": certificate_secret_name(mc),
            "path": fluxfacts.CERT_MOUNT_DIR,
            "readOnly": True,
        }
        user_pre = commands.get("pre")
        commands["pre"] = install_certificate_command() + (f"\n{user_pre}" if user_pre else "")
        body["runFlux"] = True
    if volumes:
        body["volumes"] = volumes
    if commands:
        body["commands"] = dict(sorted(commands.items()))
    if container.launcher:
        body["launcher"] = True
    return body


def _resources(spec: ExperimentSpec, container: Container) -> dict[str, Any]:
    limits = dict(container.resources.limits)
    pool = spec.node_pool
    # On a GPU pool the Flux container asks for every GPU of its node unless
    # the user says otherwise: without a limit the GPUs are not visible to it.
    if container.run_flux and pool is not None and pool.gpu is not None:
        limits.setdefault(fluxfacts.GPU_RESOURCE, pool.gpu_count)
    resources: dict[str, Any] = {}
    if limits:
        resources["limits"] = dict(sorted(limits.items()))
    if container.resources.requests:
        resources["requests"] = dict(sorted(container.resources.requests.items()))
    return resources


def _volume(volume: Volume) -> dict[str, Any]:
    fields = volume.model_dump(by_alias=True, exclude_defaults=True)
    fields["path"] = volume.path
    fields["readOnly"] = volume.read_only
    if "items" in fields:
        fields["items"] = dict(sorted(fields["items"].items()))
    return dict(sorted(fields.items()))


def _pod(spec: ExperimentSpec) -> dict[str, Any]:
    mc, pool = spec.mini_cluster, spec.node_pool
    node_selector = dict(mc.pod.node_selector)
    tolerations = [t.model_dump(by_alias=True, exclude_none=True) for t in mc.pod.tolerations]
    if pool is not None:
        # Brokers belong on the compact pool made for them, not on system nodes.
        assert pool.name is not None
        node_selector.setdefault(fluxfacts.GKE_NODEPOOL_LABEL, pool.name)
        if pool.gpu is not None:
            gpu_toleration = {
                "key": fluxfacts.GPU_TAINT_KEY,
                "operator": "Equal",
                "value": fluxfacts.GPU_TAINT_VALUE,
                "effect": "NoSchedule",
            }
            if gpu_toleration not in tolerations:
                tolerations.append(gpu_toleration)
        for taint in pool.taints:
            toleration = {"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect}
            if toleration not in tolerations:
                tolerations.append(toleration)
    pod: dict[str, Any] = {}
    if node_selector:
        pod["nodeSelector"] = dict(sorted(node_selector.items()))
    if tolerations:
        pod["tolerations"] = tolerations
    if mc.pod.labels:
        pod["labels"] = dict(sorted(mc.pod.labels.items()))
    if mc.pod.annotations:
        pod["annotations"] = dict(sorted(mc.pod.annotations.items()))
    if mc.pod.service_account_name:
        pod["serviceAccountName"] = mc.pod.service_account_name
    return pod

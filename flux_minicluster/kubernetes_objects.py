"""Every Kubernetes object of one MiniCluster, as plain dicts, in creation order.

Both backends share the Namespace, the certificate Secret and the data volume
claims; the ``native`` backend adds a ConfigMap, a headless Service, an
Indexed Job and its size patch, the ``operator`` backend one MiniCluster
object. The certificate text is passed in and only ever placed in the Secret:
it may be a plain string (offline render) or a Pulumi Output (the
component), so this module never needs to know which.

Each object has a *role*; ``lifecycle.py`` says, per role, how updates treat
it, and the component and ``diff`` read that one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .backends.flux_operator.minicluster import minicluster_object
from .backends.native.objects import (
    SKIP_AWAIT_ANNOTATION,
    broker_job,
    config_map,
    headless_service,
    size_patch,
    waits_for_readiness,
)
from .broker import fluxfacts
from .broker.config import broker_config, broker_config_text
from .spec import DataVolume, ExperimentSpec, MiniClusterSpec

MANAGED_BY = "flux-minicluster"

#: Roles of the objects, in the order they are created.
NAMESPACE = "namespace"
CERTIFICATE = "certificate"
DATA_VOLUME = "data-volume"
CONFIG = "config"
SERVICE = "service"
JOB = "job"
SIZE = "size"
MINICLUSTER = "minicluster"

#: What a role's object is to the Pulumi Kubernetes provider: a patch of an
#: object another resource declares, rather than an object of its own.
PATCH_ROLES = frozenset({SIZE})


@dataclass(frozen=True)
class KubernetesObject:
    """One object: its role, the suffix of its resource name (``NAME-<suffix>``),
    its body, and whether it outlives ``pulumi destroy``."""

    role: str
    suffix: str
    body: dict[str, Any]
    retain_on_delete: bool = False


def certificate_secret_name(mc: MiniClusterSpec) -> str:
    return f"{mc.name}-curve-cert"


def certificate_path(mc: MiniClusterSpec) -> str:
    """Where each broker reads the certificate, as the backend delivers it."""
    return fluxfacts.NATIVE_CERT_PATH if mc.backend == "native" else fluxfacts.OPERATOR_CERT_PATH


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
            cert_path=certificate_path(mc),
        )
    )


def data_volume_suffix(volume_name: str) -> str:
    return f"data-{volume_name}"


def kubernetes_objects(spec: ExperimentSpec, certificate: Any) -> list[KubernetesObject]:
    """Every object of the experiment's MiniCluster, in the order they are applied."""
    mc = spec.mini_cluster
    labels = _labels(mc)
    # Deleting a namespace deletes every claim in it, so a kept claim keeps
    # its namespace too.
    keep_namespace = any(volume.keep for volume in mc.data_volumes.values())
    secret_name = certificate_secret_name(mc)
    objects = [
        KubernetesObject(NAMESPACE, "namespace", namespace_object(mc, labels), retain_on_delete=keep_namespace),
        KubernetesObject(CERTIFICATE, "curve-cert", certificate_secret(mc, certificate, labels)),
        *(
            KubernetesObject(
                DATA_VOLUME, data_volume_suffix(name), data_volume_claim(mc, name, volume, labels), volume.keep
            )
            for name, volume in sorted(mc.data_volumes.items())
        ),
    ]
    config_text = effective_broker_config(mc)
    if mc.backend == "operator":
        body = minicluster_object(spec, labels=labels, broker_config=config_text, secret_name=secret_name)
        return [*objects, KubernetesObject(MINICLUSTER, "minicluster", body)]
    objects += [
        KubernetesObject(CONFIG, "flux-config", config_map(spec, labels=labels, broker_config=config_text)),
        KubernetesObject(SERVICE, "service", headless_service(spec, labels=labels)),
        KubernetesObject(JOB, "job", broker_job(spec, labels=labels, secret_name=secret_name)),
    ]
    if waits_for_readiness(spec):
        objects.append(KubernetesObject(SIZE, "size", size_patch(spec)))
    return objects


def _labels(mc: MiniClusterSpec) -> dict[str, str]:
    return {
        "app.kubernetes.io/instance": mc.name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def namespace_object(mc: MiniClusterSpec, labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": mc.namespace, "labels": labels}}


def certificate_secret(mc: MiniClusterSpec, certificate: Any, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": certificate_secret_name(mc), "namespace": mc.namespace, "labels": labels},
        "type": "Opaque",
        "stringData": {fluxfacts.CERT_SECRET_KEY: certificate},
    }


def data_volume_claim(mc: MiniClusterSpec, name: str, volume: DataVolume, labels: dict[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": [volume.access_mode],
        "resources": {"requests": {"storage": str(volume.size)}},
    }
    if volume.storage_class_name is not None:
        spec["storageClassName"] = volume.storage_class_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "namespace": mc.namespace,
            "labels": labels,
            # The MiniCluster's pods are the claim's first consumer: with a
            # WaitForFirstConsumer storage class (GKE's default) it stays
            # Pending until they exist, so waiting for it to bind would stall.
            "annotations": {SKIP_AWAIT_ANNOTATION: "true"},
        },
        "spec": spec,
    }

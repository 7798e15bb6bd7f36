"""Every Kubernetes object of one MiniCluster, as plain dicts, in creation order.

Both backends share the Namespace, the certificate Secret and the data volume
claims (and, for buckets, the brokers' service account); the ``native`` backend adds a ConfigMap, a headless Service, an
Indexed Job, its size patch and a disruption budget, the ``operator`` backend
one MiniCluster object. The certificate text is passed in and only ever
placed in the Secret: it may be a plain string (offline render) or a Pulumi
Output (the component), so this module never needs to know which.

Some objects name what the API server assigns to an earlier one (its uid).
The objects are yielded one at a time, and ``uid_of`` is asked only for
objects already yielded: the component answers with the uid of the resource
it has just created (an Output that makes the later object depend on it), the
offline render with a stand-in text.

Each object has a *role*; ``lifecycle.py`` says, per role, how updates treat
it, and the component and ``diff`` read that one table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from .backends.flux_operator.minicluster import minicluster_object
from .backends.native.objects import (
    SKIP_AWAIT_ANNOTATION,
    broker_job,
    config_map,
    disruption_budget,
    headless_service,
    job_digest,
    size_patch,
)
from .broker import fluxfacts
from .broker.config import broker_config, broker_config_text
from .spec import DataVolume, ExperimentSpec, MiniClusterSpec

MANAGED_BY = "flux-minicluster"

#: Roles of the objects, in the order they are created.
NAMESPACE = "namespace"
SERVICE_ACCOUNT = "service-account"
CERTIFICATE = "certificate"
ENVIRONMENT = "environment"
DATA_VOLUME = "data-volume"
CONFIG = "config"
SERVICE = "service"
JOB = "job"
SIZE = "size"
BUDGET = "budget"
MINICLUSTER = "minicluster"

#: What a role's object is to the Pulumi Kubernetes provider: a patch of an
#: object another resource declares, rather than an object of its own.
PATCH_ROLES = frozenset({SIZE})

#: Resource name suffixes of the objects others refer to.
CERTIFICATE_SUFFIX = "curve-cert"
ENVIRONMENT_SUFFIX = "environment"
SERVICE_ACCOUNT_SUFFIX = "service-account"
CONFIG_SUFFIX = "flux-config"
NODE_POOL_SUFFIX = "node-pool"

#: The uid (or id) of an object already yielded, by its resource name suffix.
UidOf = Callable[[str], Any]
#: What the experiment's Secret holds for a secret variable, given its key
#: and value: the value as a Pulumi secret (the component), a redaction or a
#: digest (offline).
SecretValue = Callable[[str, SecretStr], Any]


def withheld(key: str, value: SecretStr) -> str:
    """A secret variable shown as withheld (the default: nothing reveals a value by accident)."""
    return f"<secret {key}>"


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


def effective_broker_config(mc: MiniClusterSpec) -> str:
    """The broker config every rank reads: the user's own, or the generated one."""
    if mc.flux.broker_config is not None:
        return mc.flux.broker_config
    assert mc.max_size is not None and mc.headless_name is not None
    return broker_config_text(
        broker_config(
            name=mc.name,
            headless_name=mc.headless_name,
            max_size=mc.max_size,
            queue_policy=mc.flux.queue_policy,
            cert_path=fluxfacts.CERT_PATH,
        )
    )


def data_volume_suffix(volume_name: str) -> str:
    return f"data-{volume_name}"


def stand_in_uid(suffix: str) -> str:
    """What an offline render shows for a uid the API server assigns."""
    return f"<assigned when {suffix} is created>"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=2)


def kubernetes_objects(
    spec: ExperimentSpec,
    certificate: Any,
    *,
    uid_of: UidOf = stand_in_uid,
    to_json: Callable[[Any], Any] = canonical_json,
    provider_waits: bool = False,
    secret_value: SecretValue = withheld,
) -> Iterator[KubernetesObject]:
    """Every object of the experiment's MiniCluster, in the order they are applied.

    ``to_json`` writes a value that holds what ``uid_of`` gave as JSON text.
    ``provider_waits``: the Pulumi Kubernetes provider waits for the instance
    (the component cannot watch it itself: no credentials), through the
    disruption budget or the size patch.
    """
    mc = spec.mini_cluster
    labels = _labels(mc)
    # Deleting a namespace deletes every claim in it, so a kept claim keeps
    # its namespace too (a bucket is outside it).
    claims = {name: volume for name, volume in sorted(mc.data_volumes.items()) if volume.bucket is None}
    keep_namespace = any(volume.kept for volume in claims.values())
    secret_name = certificate_secret_name(mc)
    yield KubernetesObject(NAMESPACE, "namespace", namespace_object(mc, labels), retain_on_delete=keep_namespace)
    if mc.buckets and mc.pod.service_account_name is None:
        yield KubernetesObject(SERVICE_ACCOUNT, SERVICE_ACCOUNT_SUFFIX, broker_service_account(mc, labels))
    yield KubernetesObject(CERTIFICATE, CERTIFICATE_SUFFIX, certificate_secret(mc, certificate, labels))
    if mc.secret_environment:
        yield KubernetesObject(ENVIRONMENT, ENVIRONMENT_SUFFIX, environment_secret(mc, secret_value, labels))
    for name, volume in claims.items():
        body = data_volume_claim(mc, name, volume, labels)
        yield KubernetesObject(DATA_VOLUME, data_volume_suffix(name), body, volume.kept)
    config_text = effective_broker_config(mc)
    if mc.backend == "operator":
        body = minicluster_object(spec, labels=labels, broker_config=config_text, secret_name=secret_name)
        yield KubernetesObject(MINICLUSTER, "minicluster", body)
        return
    # The Job is built first: the ConfigMap carries its digest, and the Job
    # then names the ConfigMap as its owner.
    job = broker_job(spec, labels=labels, secret_name=secret_name, owner_uid=None)
    instance = to_json(instance_identity(spec, job, uid_of))
    yield KubernetesObject(
        CONFIG, CONFIG_SUFFIX, config_map(spec, labels=labels, broker_config=config_text, instance=instance)
    )
    yield KubernetesObject(SERVICE, "service", headless_service(spec, labels=labels))
    job = broker_job(spec, labels=labels, secret_name=secret_name, owner_uid=uid_of(CONFIG_SUFFIX))
    yield KubernetesObject(JOB, "job", job)
    yield KubernetesObject(SIZE, "size", size_patch(spec, provider_waits=provider_waits))
    yield KubernetesObject(BUDGET, "budget", disruption_budget(spec, labels=labels, provider_waits=provider_waits))


def instance_identity(spec: ExperimentSpec, job: dict[str, Any], uid_of: UidOf) -> dict[str, Any]:
    """What this instance runs with: a digest of its Job and the uids of the
    certificate Secret, the environment Secret, the data volumes and the node pool. Whatever replaces
    one of them changes it."""
    identity: dict[str, Any] = {
        "job": job_digest(job),
        "certificate": uid_of(CERTIFICATE_SUFFIX),
        **({"environment": uid_of(ENVIRONMENT_SUFFIX)} if spec.mini_cluster.secret_environment else {}),
        "dataVolumes": {
            name: uid_of(data_volume_suffix(name))
            for name, volume in sorted(spec.mini_cluster.data_volumes.items())
            if volume.bucket is None
        },
    }
    if spec.node_pool is not None:
        identity["nodePool"] = uid_of(NODE_POOL_SUFFIX)
    return identity


def _labels(mc: MiniClusterSpec) -> dict[str, str]:
    return {
        "app.kubernetes.io/instance": mc.name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def namespace_object(mc: MiniClusterSpec, labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": mc.namespace, "labels": labels}}


def broker_service_account(mc: MiniClusterSpec, labels: dict[str, str]) -> dict[str, Any]:
    """The Kubernetes service account the brokers run as: the identity a bucket's IAM grant names."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": mc.broker_service_account, "namespace": mc.namespace, "labels": labels},
        # Nothing in the pods calls the Kubernetes API; the Cloud Storage FUSE
        # driver gets the account's tokens for the bucket on its own.
        "automountServiceAccountToken": False,
    }


def certificate_secret(mc: MiniClusterSpec, certificate: Any, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": certificate_secret_name(mc), "namespace": mc.namespace, "labels": labels},
        "type": "Opaque",
        # A new certificate is a new Secret, whatever the provider is told about
        # mutable Secrets (pulumi-kubernetes provider/pkg/provider/diff.go).
        "immutable": True,
        "stringData": {fluxfacts.CERT_SECRET_KEY: certificate},
    }


def environment_secret(mc: MiniClusterSpec, secret_value: SecretValue, labels: dict[str, str]) -> dict[str, Any]:
    """The containers' secret variables, one key each (``CONTAINER.VARIABLE``)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": mc.environment_secret_name, "namespace": mc.namespace, "labels": labels},
        "type": "Opaque",
        # New values are a new Secret, and the brokers are replaced with it:
        # a running container keeps the values it started with.
        "immutable": True,
        "stringData": {key: secret_value(key, value) for key, value in sorted(mc.secret_environment.items())},
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
            # The provider still waits for its deletion (pulumi-kubernetes
            # overrides.go: claims are not among allowsSkipAwaitWithDelete).
            "annotations": {SKIP_AWAIT_ANNOTATION: "true"},
        },
        "spec": spec,
    }

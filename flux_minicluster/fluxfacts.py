"""Facts about Flux and the Flux Operator, each defined once and named.

Every path, port and template here is what the Flux Operator's entrypoint and
a Flux broker expect; the builders take them from this module so that the
broker config, the certificate mount and the lead-broker endpoint cannot drift
apart.
"""

from __future__ import annotations

#: API group, version and kind of the Flux Operator's custom resource.
MINICLUSTER_API_VERSION = "flux-framework.org/v1alpha2"
MINICLUSTER_KIND = "MiniCluster"

#: Where the flux-view init container puts a Flux install; the operator's default.
FLUX_VIEW_MOUNT = "/mnt/flux"
FLUX_CONFIG_ROOT = f"{FLUX_VIEW_MOUNT}/config"
DEFAULT_FLUX_VIEW_IMAGE = "ghcr.io/converged-computing/flux-view-ubuntu:tag-noble"

#: TCP port of the broker overlay (ZeroMQ with CURVE), the operator's default.
BROKER_PORT = 8050
BROKER_BIND = "tcp://eth0:%p"

#: The resource file (R) the operator's entrypoint writes from the hostlist.
RESOURCE_PATH = f"{FLUX_CONFIG_ROOT}/etc/flux/system/R"
ARCHIVE_DBPATH = f"{FLUX_CONFIG_ROOT}/var/lib/flux/job-archive.sqlite"
LOCAL_URI = f"local://{FLUX_CONFIG_ROOT}/run/flux/local"
FLUX_VIEW_ENV_SCRIPT = f"{FLUX_VIEW_MOUNT}/flux-view.sh"

#: Where our certificate Secret is mounted (read-only, mode 0644 as Kubernetes
#: makes it) and where each rank copies it with mode 0600 before the broker
#: starts. The operator keeps writing its own certificate to ``curve.cert``
#: beside it; our broker config names ours, so that one is never used.
CERT_SECRET_KEY = "curve.cert"
CERT_MOUNT_DIR = "/flux_minicluster/curve"
CERT_BROKER_PATH = f"{FLUX_CONFIG_ROOT}/curve/minicluster.cert"
CERT_VOLUME_NAME = "flux-minicluster-curve"

#: Label that Kubernetes (1.28 and later) puts on every pod of an Indexed Job.
COMPLETION_INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
JOB_NAME_LABEL = "job-name"

#: Node label GKE puts on every node of a node pool.
GKE_NODEPOOL_LABEL = "cloud.google.com/gke-nodepool"

#: The taint a GPU node pool carries in its own config, and the toleration
#: MiniCluster pods need for it.
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"
GPU_RESOURCE = "nvidia.com/gpu"

#: Release of the Flux Operator this package installs by default, and where its
#: single-file manifest is published.
FLUX_OPERATOR_VERSION = "0.2.1"


def flux_operator_manifest_url(version: str) -> str:
    """The release manifest (Namespace, CRD, RBAC, Deployment) of one version."""
    return f"https://github.com/flux-framework/flux-operator/releases/download/{version}/flux-operator.yaml"


def service_domain(headless_name: str, namespace: str) -> str:
    """The DNS domain under which every broker pod resolves."""
    return f"{headless_name}.{namespace}.svc.cluster.local"


def broker_connect_template(headless_name: str, namespace: str) -> str:
    """The ``default_connect`` URI template; ``%h`` and ``%p`` are filled in by Flux."""
    return f"tcp://%h.{service_domain(headless_name, namespace)}:%p"


def broker_hostname(name: str, index: int) -> str:
    """Pod hostname of rank ``index``: the Indexed Job names pods ``NAME-INDEX``."""
    return f"{name}-{index}"


def hostlist(name: str, count: int) -> str:
    """The RFC 29 hostlist of ``count`` brokers, as the operator writes it."""
    if count == 1:
        return f"{name}-[0]"
    return f"{name}-[0-{count - 1}]"

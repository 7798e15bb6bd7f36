"""Facts about Flux and the Flux Operator, each defined once and named.

Every path, port and template here is what a Flux broker and the Flux
Operator (main branch, commit 0d75cef8, the manifest this package vendors)
expect. Both backends use the operator's layout of the Flux tree, so the
broker config, the exported commands and the certificate paths cannot drift
apart. Release 0.2.1 of the operator used ``/mnt/flux/view`` for everything
and is not supported.
"""

from __future__ import annotations

#: API group, version and kind of the Flux Operator's custom resource.
MINICLUSTER_API_VERSION = "flux-framework.org/v1alpha2"
MINICLUSTER_KIND = "MiniCluster"

#: The Flux tree in every broker pod: an emptyDir at ``/mnt/flux`` into which
#: the view image's init container copies a Flux install (``view``) and the
#: spack tree its files link into (``software``); ``config`` holds what one
#: instance writes (R, broker config, run and state directories).
FLUX_VIEW_MOUNT = "/mnt/flux"
FLUX_VIEW_ROOT = f"{FLUX_VIEW_MOUNT}/view"
FLUX_SOFTWARE_ROOT = f"{FLUX_VIEW_MOUNT}/software"
FLUX_CONFIG_ROOT = f"{FLUX_VIEW_MOUNT}/config"
DEFAULT_FLUX_VIEW_IMAGE = "ghcr.io/converged-computing/flux-view-ubuntu:tag-noble"
#: Inside a view image, ``/opt/view`` links to ``/opt/views/._view/<hash>``,
#: whose files link into ``/opt/software``.
VIEW_IMAGE_VIEWS = "/opt/views/._view"
VIEW_IMAGE_SOFTWARE = "/opt/software"
#: What a broker never reads of the view's software tree (tar patterns, at any
#: depth): headers, static libraries, manuals and Python's own test suite.
#: In a spack-built view, Boost's headers alone are about 150 MB.
VIEW_BUILD_ONLY = (
    "include",
    "*.a",
    "share/man",
    "share/doc",
    "share/info",
    "lib/python3.[0-9]/test",
    "lib/python3.[0-9][0-9]/test",
)

#: The DNS domain of most clusters; only exported names use it.
DEFAULT_CLUSTER_DOMAIN = "cluster.local"

#: TCP port of the broker overlay (ZeroMQ with CURVE), the operator's default.
BROKER_PORT = 8050
BROKER_BIND = "tcp://eth0:%p"

#: Where each instance keeps its state, and the broker options that name it.
BROKER_CONFIG_DIR = f"{FLUX_CONFIG_ROOT}/etc/flux/config"
RESOURCE_PATH = f"{FLUX_CONFIG_ROOT}/etc/flux/system/R"
CRON_DIR = f"{FLUX_CONFIG_ROOT}/etc/flux/system/cron.d"
STATE_DIR = f"{FLUX_CONFIG_ROOT}/var/lib/flux"
ARCHIVE_DBPATH = f"{STATE_DIR}/job-archive.sqlite"
RUN_DIR = f"{FLUX_CONFIG_ROOT}/run/flux"
LOCAL_URI = f"local://{RUN_DIR}/local"
#: Written by the entrypoint of either backend: puts Flux on PATH and sets
#: ``fluxsocket`` to the local URI. Exported commands source it.
FLUX_VIEW_ENV_SCRIPT = f"{FLUX_VIEW_MOUNT}/flux-view.sh"
#: How the entrypoint of an instance that waits for jobs exits when its broker
#: ended cleanly (the pod was stopped, or the instance shut down): not 0, so
#: that the Job starts the rank again rather than counting it done.
BROKER_ENDED_EXIT_CODE = 75
FLUX_SOCKET_VARIABLE = "fluxsocket"

#: The certificate Secret, its key, and where the Flux container mounts it.
CERT_SECRET_KEY = "curve.cert"
CERT_MOUNT_DIR = "/flux_minicluster/curve"
CERT_VOLUME_NAME = "flux-minicluster-curve"
#: Mode of the Secret's file as mounted (readable by its owner only).
CERT_FILE_MODE = 0o400
#: Where each rank copies the certificate before its broker starts, as a file
#: of the broker's own user with mode 0600: a broker refuses a certificate
#: that group or others can read, and a Secret volume's file belongs to root
#: (and is group-readable under an fsGroup).
CERT_PATH = f"{FLUX_CONFIG_ROOT}/curve/minicluster.cert"

#: Native backend: the ConfigMap with the broker config and the scripts.
NATIVE_CONFIG_MOUNT = "/flux_minicluster/config"
NATIVE_CONFIG_VOLUME = "flux-minicluster-config"
FLUX_VIEW_VOLUME = "flux-view"
#: The view image itself, mounted read-only as an image volume (no copy).
FLUX_VIEW_IMAGE_VOLUME = "flux-view-image"
FLUX_VIEW_IMAGE_MOUNT = "/mnt/flux-view-image"
BROKER_CONFIG_KEY = "broker.toml"
INIT_SCRIPT_KEY = "init.sh"
ENTRYPOINT_KEY = "entrypoint.sh"
READY_SCRIPT_KEY = "ready.sh"
#: What the instance runs with (a digest of its Job, the uids of the objects
#: it uses): any change to it is a new instance.
INSTANCE_KEY = "instance.json"

#: Labels that Kubernetes puts on every pod of an Indexed Job (1.28 and later).
COMPLETION_INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
JOB_NAME_LABEL = "job-name"

#: Node label GKE puts on every node of a node pool.
GKE_NODEPOOL_LABEL = "cloud.google.com/gke-nodepool"

#: The taint a GPU node pool carries in its own config, and the toleration
#: MiniCluster pods need for it.
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"
GPU_RESOURCE = "nvidia.com/gpu"

#: The Flux Operator this package installs: its manifest is vendored from this
#: commit (package data), never fetched.
FLUX_OPERATOR_COMMIT = "0d75cef855dee5351d68e32ec139a70e892b5268"
FLUX_OPERATOR_MANIFEST = "manifests/flux-operator-0d75cef8.yaml"
FLUX_OPERATOR_NAMESPACE = "operator-system"
FLUX_OPERATOR_DEPLOYMENT = "operator-controller-manager"
#: What the manifest runs; a moving tag, so README recommends pinning a digest.
FLUX_OPERATOR_IMAGE = "ghcr.io/flux-framework/flux-operator:latest"


def service_domain(headless_name: str, namespace: str, cluster_domain: str = DEFAULT_CLUSTER_DOMAIN) -> str:
    """The DNS domain under which every broker pod resolves, in full."""
    return f"{headless_name}.{namespace}.svc.{cluster_domain}"


def broker_connect_template(headless_name: str) -> str:
    """The ``default_connect`` URI template; ``%h`` and ``%p`` are filled in by Flux.

    ``HOST.HEADLESS`` resolves through the pod's DNS search path (its first
    entry is ``NAMESPACE.svc.CLUSTER_DOMAIN``), so brokers connect whatever
    the cluster's DNS domain is.
    """
    return f"tcp://%h.{headless_name}:%p"


def broker_hostname(name: str, index: int) -> str:
    """Pod hostname of rank ``index``: the Indexed Job names pods ``NAME-INDEX``."""
    return f"{name}-{index}"


def hostlist(name: str, count: int) -> str:
    """The RFC 29 hostlist of ``count`` brokers, as the operator writes it."""
    if count == 1:
        return f"{name}-[0]"
    return f"{name}-[0-{count - 1}]"

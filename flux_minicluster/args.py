"""Typed arguments of ``FluxMiniCluster``: the stack configuration keys as ``TypedDict``s.

Pulumi infers the package schema (for TypeScript, Go, C#, Java and YAML) from
these types: names become camelCase, docstrings become descriptions. Python
programs may use them too; a dict in stack spelling or an ``ExperimentSpec``
works as well, and the spec models validate every value either way.

Generated from the spec models by ``python -m flux_minicluster.component.gen_args``:
edit the models in ``flux_minicluster/spec/`` and regenerate.
"""

from typing import TYPE_CHECKING, Any, NotRequired, TypeAlias, TypedDict

import pulumi

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .spec import ExperimentSpec


class Reservation(TypedDict):
    """Which Compute Engine reservation the nodes consume."""

    consume_type: pulumi.Input[str]
    """ANY_RESERVATION, NO_RESERVATION or SPECIFIC_RESERVATION (with key and values)."""
    key: NotRequired[pulumi.Input[str]]
    """compute.googleapis.com/reservation-name for a specific one."""
    values: NotRequired[pulumi.Input[list[str]]]
    """Reservation names."""


class Gpu(TypedDict):
    """Accelerators on every node. For A2, A3, A4 and G2 machine types the type and count follow from the machine type and may be left out."""

    type: NotRequired[pulumi.Input[str]]
    """Accelerator type, for example nvidia-tesla-t4."""
    count: NotRequired[pulumi.Input[int]]
    """GPUs per node."""
    driver_version: NotRequired[pulumi.Input[str]]
    """Driver GKE installs; set explicitly so updates do not recreate the pool."""
    sharing_strategy: NotRequired[pulumi.Input[str]]
    """Let several containers share one GPU."""
    max_shared_clients_per_gpu: NotRequired[pulumi.Input[int]]
    """Containers per GPU when sharing is on (at most 48)."""


class Taint(TypedDict):
    """A taint on every node; MiniCluster pods get the matching toleration."""

    key: pulumi.Input[str]
    """Taint key."""
    value: NotRequired[pulumi.Input[str]]
    """Taint value."""
    effect: NotRequired[pulumi.Input[str]]
    """NoSchedule, PreferNoSchedule or NoExecute."""


class NodePool(TypedDict):
    """A node pool on an existing GKE cluster, tuned for tightly coupled HPC."""

    cluster: pulumi.Input[str]
    """The GKE cluster: its name, or its id projects/P/locations/L/clusters/N."""
    location: NotRequired[pulumi.Input[str]]
    """Region or zone of the cluster; taken from the id, required with a bare name."""
    project: NotRequired[pulumi.Input[str]]
    """GCP project; defaults to the id's, else the provider's."""
    name: NotRequired[pulumi.Input[str]]
    """Node pool name; defaults to <miniCluster.name>-pool."""
    zones: pulumi.Input[list[str]]
    """Zones the nodes are created in."""
    machine_type: pulumi.Input[str]
    """Compute Engine machine type, for example c2d-standard-112."""
    node_count: pulumi.Input[int]
    """Nodes in the pool, all zones together; GKE puts nodeCount / len(zones) in each zone."""
    compact_placement: NotRequired[pulumi.Input[bool]]
    """Place nodes close together (COMPACT policy)."""
    placement_policy_name: NotRequired[pulumi.Input[str]]
    """A named workload policy, needed for A3 High and later and H4D."""
    threads_per_core: NotRequired[pulumi.Input[int]]
    """1 turns SMT off, as HPC codes want; null keeps the machine default."""
    gvnic: NotRequired[pulumi.Input[bool]]
    """Google Virtual NIC, for higher network bandwidth."""
    egress_bandwidth_tier: NotRequired[pulumi.Input[str]]
    """TIER_1 raises egress bandwidth (needs gVNIC and >= 30 vCPUs)."""
    image_type: NotRequired[pulumi.Input[str]]
    """Node image."""
    image_streaming: NotRequired[pulumi.Input[bool]]
    """GKE image streaming: containers start before their image is fully pulled (images in Artifact Registry; others are pulled whole)."""
    image_cache_disk: NotRequired[pulumi.Input[str]]
    """A Compute Engine disk image of container images (gke-disk-image-builder), attached to every node as a secondary boot disk so they start without a pull: global/images/NAME or projects/PROJECT/global/images/NAME; needs imageStreaming."""
    spot: NotRequired[pulumi.Input[bool]]
    """Spot VMs: cheaper, can be preempted."""
    scale_to_zero: NotRequired[pulumi.Input[bool]]
    """Let GKE's cluster autoscaler remove nodes no MiniCluster pod runs on (autoscaling from 0 to nodeCount), so the pool stops billing once the instance has ended; pulumi up asks for nodeCount again."""
    reservation: NotRequired[pulumi.Input[Reservation]]
    """Reservation affinity."""
    gpu: NotRequired[pulumi.Input[Gpu]]
    """Accelerators on each node."""
    labels: NotRequired[pulumi.Input[dict[str, str]]]
    """Kubernetes labels on every node."""
    taints: NotRequired[pulumi.Input[list[Taint]]]
    """Taints on every node."""
    disk_type: NotRequired[pulumi.Input[str]]
    """Boot disk type; defaults to pd-balanced, or hyperdisk-balanced where the series needs it."""
    disk_size_gb: NotRequired[pulumi.Input[int]]
    """Boot disk size in GB."""
    cpu_manager_policy: NotRequired[pulumi.Input[str]]
    """Kubelet CPU manager; static pins Guaranteed pods to whole cores."""
    auto_upgrade: NotRequired[pulumi.Input[bool]]
    """GKE upgrades the nodes; required on clusters in a release channel."""
    auto_repair: NotRequired[pulumi.Input[bool]]
    """GKE recreates nodes that fail health checks."""
    max_surge: NotRequired[pulumi.Input[int]]
    """Extra nodes during an upgrade; defaults to 0 for compact or reserved pools, else 1."""
    max_unavailable: NotRequired[pulumi.Input[int]]
    """Nodes down at once during an upgrade; defaults to 1 for compact or reserved pools, else 0."""
    service_account: NotRequired[pulumi.Input[str]]
    """Service account of the nodes; the Compute Engine default account when left out."""
    max_hourly_cost: NotRequired[pulumi.Input[float]]
    """Refuse the stack when the pool's list price per hour (USD; Spot when spot is on) is above this, or cannot be estimated."""
    workload_identity: NotRequired[pulumi.Input[bool]]
    """Run GKE's metadata server on the nodes, so pods act as their Kubernetes service account (Workload Identity); on when a data volume is a bucket, else the cluster's default."""


class Resources(TypedDict):
    """Container requests and limits, as Kubernetes quantities."""

    limits: NotRequired[pulumi.Input[dict[str, str]]]
    """Limits by resource name, for example nvidia.com/gpu: 8."""
    requests: NotRequired[pulumi.Input[dict[str, str]]]
    """Requests by resource name, for example cpu: 4."""


class Volume(TypedDict):
    """An existing volume mounted into a container: exactly one source."""

    path: pulumi.Input[str]
    """Where it is mounted in the container."""
    read_only: NotRequired[pulumi.Input[bool]]
    """Mount it read-only."""
    data_volume: NotRequired[pulumi.Input[str]]
    """One of dataVolumes, whatever its kind (claim or bucket)."""
    claim_name: NotRequired[pulumi.Input[str]]
    """A claim: one of dataVolumes, or one that exists."""
    secret_name: NotRequired[pulumi.Input[str]]
    """An existing Secret."""
    config_map_name: NotRequired[pulumi.Input[str]]
    """An existing ConfigMap."""
    items: NotRequired[pulumi.Input[dict[str, str]]]
    """ConfigMap keys to file names."""
    empty_dir: NotRequired[pulumi.Input[bool]]
    """A fresh emptyDir."""
    empty_dir_medium: NotRequired[pulumi.Input[str]]
    """memory for a tmpfs."""
    empty_dir_size_limit: NotRequired[pulumi.Input[str]]
    """Size limit of the emptyDir, for example 1Gi."""


class Commands(TypedDict):
    """Shell lines the operator's entrypoint runs around ``flux start``."""

    init: NotRequired[pulumi.Input[str]]
    """Before anything else."""
    pre: NotRequired[pulumi.Input[str]]
    """On every rank, before the broker starts."""
    broker_pre: NotRequired[pulumi.Input[str]]
    """Only on the lead broker."""
    worker_pre: NotRequired[pulumi.Input[str]]
    """Only on the other ranks."""
    post: NotRequired[pulumi.Input[str]]
    """After the broker exits."""
    prefix: NotRequired[pulumi.Input[str]]
    """Wrapper put before flux start."""


class Container(TypedDict):
    """A container of every MiniCluster pod; exactly one runs the Flux broker."""

    name: NotRequired[pulumi.Input[str]]
    """Defaults to the MiniCluster name for the Flux container."""
    image: pulumi.Input[str]
    """Container image with the application."""
    command: NotRequired[pulumi.Input[str]]
    """Job the lead broker runs; none keeps the instance up."""
    working_dir: NotRequired[pulumi.Input[str]]
    """Working directory; the image's when left out."""
    environment: NotRequired[pulumi.Input[dict[str, str]]]
    """Environment variables. A secret value (secure: in a stack file) reaches the container from the experiment's Secret, never in plaintext in the Job."""
    resources: NotRequired[pulumi.Input[Resources]]
    """Container requests and limits, as Kubernetes quantities."""
    volumes: NotRequired[pulumi.Input[dict[str, Volume]]]
    """Volumes by name."""
    commands: NotRequired[pulumi.Input[Commands]]
    """Shell lines the operator's entrypoint runs around ``flux start``."""
    run_flux: NotRequired[pulumi.Input[bool]]
    """Runs the broker; defaults to true for a lone container."""
    launcher: NotRequired[pulumi.Input[bool]]
    """The command launches its own Flux jobs (workflow tools)."""


class FluxOptions(TypedDict):
    """How the Flux instance is configured."""

    view_image: NotRequired[pulumi.Input[str]]
    """Image that provides Flux."""
    view_copy: NotRequired[pulumi.Input[str]]
    """What the init container copies of the view image's software tree: runtime leaves out headers, static libraries, manuals and Python's test suite; all copies everything (to build against Flux's libraries in the broker container)."""
    view_image_volume: NotRequired[pulumi.Input[bool]]
    """Mount the view image read-only as an image volume instead of copying Flux out of it in an init container (native backend; Kubernetes 1.35 or later, nodes with containerd 2.1 or later)."""
    connect_timeout: NotRequired[pulumi.Input[str]]
    """tbon.connect_timeout of each broker."""
    log_level: NotRequired[pulumi.Input[int]]
    """Broker log level (syslog levels)."""
    option_flags: NotRequired[pulumi.Input[str]]
    """Extra flags for flux submit."""
    queue_policy: NotRequired[pulumi.Input[str]]
    """Fluxion queue policy: fcfs, easy, conservative or hybrid."""
    topology: NotRequired[pulumi.Input[str]]
    """tbon.topo, for example kary:2 or binomial."""
    broker_config: NotRequired[pulumi.Input[str]]
    """A complete broker config (TOML) replacing the generated one."""


class Toleration(TypedDict):
    """A Kubernetes toleration of every MiniCluster pod."""

    key: NotRequired[pulumi.Input[str]]
    """Taint key it tolerates; all keys when left out (with Exists)."""
    operator: NotRequired[pulumi.Input[str]]
    """Equal or Exists."""
    value: NotRequired[pulumi.Input[str]]
    """Taint value, for Equal."""
    effect: NotRequired[pulumi.Input[str]]
    """Effect it tolerates; all effects when left out."""


class PodOptions(TypedDict):
    """Settings of every MiniCluster pod."""

    node_selector: NotRequired[pulumi.Input[dict[str, str]]]
    """Node labels the pods must match."""
    tolerations: NotRequired[pulumi.Input[list[Toleration]]]
    """Taints the pods tolerate."""
    labels: NotRequired[pulumi.Input[dict[str, str]]]
    """Labels on every pod."""
    annotations: NotRequired[pulumi.Input[dict[str, str]]]
    """Annotations on every pod."""
    service_account_name: NotRequired[pulumi.Input[str]]
    """Service account the pods run as."""
    run_as_user: NotRequired[pulumi.Input[int]]
    """User ID the containers run as; the image's user when left out."""
    run_as_group: NotRequired[pulumi.Input[int]]
    """Group ID the containers run as; runAsUser's ID when left out."""
    fs_group: NotRequired[pulumi.Input[int]]
    """Group that owns the pod's volumes; runAsGroup when left out."""
    termination_grace_period_seconds: NotRequired[pulumi.Input[int]]
    """How long a stopped pod's processes get to finish; 120 when a bucket is mounted (time to upload files still open), else Kubernetes' 30."""


class Bucket(TypedDict):
    """A Cloud Storage bucket, mounted in every pod by GKE's Cloud Storage FUSE CSI driver."""

    name: pulumi.Input[str]
    """The bucket's name (globally unique), as in gs://NAME."""
    create: NotRequired[pulumi.Input[bool]]
    """Create the bucket; false mounts one that exists."""
    location: NotRequired[pulumi.Input[str]]
    """Where a created bucket is (US-CENTRAL1, US, ...); the node pool's region when left out."""
    project: NotRequired[pulumi.Input[str]]
    """Project a created bucket belongs to; the node pool's cluster's project when left out."""
    mount_options: NotRequired[pulumi.Input[list[str]]]
    """More gcsfuse mount options, for example implicit-dirs or only-dir=results."""


class DataVolume(TypedDict):
    """Storage created with the MiniCluster, for results and inputs: a claim, or a bucket."""

    size: NotRequired[pulumi.Input[str]]
    """A claim's capacity, for example 100Gi (Filestore needs at least 1Ti)."""
    storage_class_name: NotRequired[pulumi.Input[str]]
    """StorageClass; the cluster's default when left out (standard-rwx for Filestore on GKE)."""
    access_mode: NotRequired[pulumi.Input[str]]
    """ReadWriteMany lets brokers on every node share it."""
    bucket: NotRequired[pulumi.Input[Bucket]]
    """A Cloud Storage bucket instead of a claim (GKE)."""
    keep: NotRequired[pulumi.Input[bool]]
    """Keep it and its data when the stack is destroyed; by default a claim goes and a bucket the stack created stays."""


class MiniCluster(TypedDict):
    """One Flux instance: ``size`` pods, one broker each, rank 0 the lead broker."""

    name: pulumi.Input[str]
    """MiniCluster name; pods are NAME-0 ... NAME-(maxSize-1)."""
    namespace: pulumi.Input[str]
    """A namespace of its own (created)."""
    size: pulumi.Input[int]
    """Brokers started."""
    max_size: NotRequired[pulumi.Input[int]]
    """Brokers the instance can grow to (the broker hostlist); defaults to size."""
    min_size: NotRequired[pulumi.Input[int]]
    """Brokers that must be online before the instance runs jobs (broker.quorum)."""
    tasks: NotRequired[pulumi.Input[int]]
    """Tasks of the command; defaults to size."""
    interactive: NotRequired[pulumi.Input[bool]]
    """Keep the instance up after the command."""
    backend: NotRequired[pulumi.Input[str]]
    """native: a headless Service and an Indexed Job, no operator; operator: a MiniCluster object for an installed Flux Operator."""
    ready_timeout_minutes: NotRequired[pulumi.Input[int]]
    """How long pulumi up waits for every broker to join the instance."""
    retries_per_broker: NotRequired[pulumi.Input[int]]
    """How often a failed broker's pod is started again before the instance fails (per rank; pods stopped by a drain, preemption or eviction are not counted)."""
    cluster_domain: NotRequired[pulumi.Input[str]]
    """The cluster's DNS domain, for the lead broker's exported name; brokers find each other through their pods' DNS search path whatever it is."""
    containers: pulumi.Input[list[Container]]
    """A container of every MiniCluster pod; exactly one runs the Flux broker."""
    flux: NotRequired[pulumi.Input[FluxOptions]]
    """How the Flux instance is configured."""
    headless_name: NotRequired[pulumi.Input[str]]
    """Headless Service name; defaults to name."""
    pod: NotRequired[pulumi.Input[PodOptions]]
    """Settings of every MiniCluster pod."""
    job_labels: NotRequired[pulumi.Input[dict[str, str]]]
    """Labels on the Job (for example a Kueue queue)."""
    deadline_seconds: NotRequired[pulumi.Input[int]]
    """Active deadline of the Job."""
    allow_packing: NotRequired[pulumi.Input[bool]]
    """Allow more brokers than node pool nodes."""
    data_volumes: NotRequired[pulumi.Input[dict[str, DataVolume]]]
    """Claims created in the namespace, by name; mount them with claimName."""


class Operator(TypedDict):
    """Installing the Flux Operator from the manifest this package vendors."""

    install: NotRequired[pulumi.Input[bool]]
    """Install the Flux Operator with this stack; leave false when the cluster has it."""
    image: NotRequired[pulumi.Input[str]]
    """Controller image, best pinned by digest; defaults to the manifest's ghcr.io/flux-framework/flux-operator:latest."""


class FluxMiniClusterArgs(TypedDict):
    """Arguments of ``FluxMiniCluster``: one experiment, keyed as in a stack's configuration."""

    node_pool: NotRequired[pulumi.Input[NodePool]]
    """A GKE node pool to create; leave out on a cluster that has its nodes."""
    mini_cluster: pulumi.Input[MiniCluster]
    """One Flux instance: ``size`` pods, one broker each, rank 0 the lead broker."""
    operator: NotRequired[pulumi.Input[Operator]]
    """Installing the Flux Operator from the manifest this package vendors."""
    curve_certificate: NotRequired[pulumi.Input[str]]
    """Your own CURVE certificate (ZCert text); a secret. By default one is generated and kept in the stack state."""


if TYPE_CHECKING:
    #: What ``FluxMiniCluster`` accepts as ``args``. At run time the annotation
    #: is ``FluxMiniClusterArgs`` alone, the type Pulumi infers the schema from.
    ComponentArgs: TypeAlias = FluxMiniClusterArgs | ExperimentSpec | Mapping[str, Any]
else:
    ComponentArgs = FluxMiniClusterArgs

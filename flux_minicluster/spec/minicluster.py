"""The MiniCluster: how many Flux brokers, which containers, which Flux options."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from ..broker import fluxfacts
from ..broker.config import check_broker_config, shell_expanded_characters
from ..catalog.buckets import FUSE_ANNOTATION, FUSE_REQUEST_ANNOTATIONS, bucket_name_problems
from ..catalog.quantities import quantity_value
from ..errors import Location, raise_rule_errors
from .base import (
    DNS_SUBDOMAIN_MAX,
    AbsolutePath,
    Annotations,
    DnsLabel,
    EnvironmentValue,
    ImageReference,
    Labels,
    ObjectName,
    Quantity,
    SpecModel,
    check_dns_label,
    check_quantity,
    label_syntax_problems,
)

#: The most pods an Indexed Job runs: Kubernetes refuses more completions or
#: parallelism (``maxParallelismForIndexedJob`` and ``completionsSoftLimit`` in
#: ``pkg/apis/batch/validation/validation.go``); the Flux Operator's Job too.
INDEXED_JOB_MAX_PODS = 100_000

#: An environment variable's name: printable ASCII but '=' (Kubernetes'
#: relaxed rule, RelaxedEnvironmentVariableValidation, on by default since
#: 1.32); spaces too are refused here, as no shell can name them.
_ENVIRONMENT_NAME = re.compile(r"^[!-<>-~]+$")

#: Resources a container may name without a domain prefix (hugepages-SIZE aside).
_CORE_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
#: Pod labels the Job controller sets to the Job's name and uid (batch validation refuses others).
JOB_CONTROLLER_LABELS = (
    "job-name",
    "controller-uid",
    "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/controller-uid",
)

#: A key of a Secret's data (``IsConfigMapKey`` in Kubernetes' apimachinery validation).
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

#: Namespaces a MiniCluster must not share: the operator lists every pod of
#: its namespace, and these belong to the system or to the operator itself.
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease", "operator-system"})
#: Kubernetes keeps the ``kube-`` prefix for its own namespaces (Namespaces docs).
RESERVED_NAMESPACE_PREFIX = "kube-"
#: Paths the operator and this package mount into the Flux container.
RESERVED_MOUNTS = ("/mnt/flux", "/flux_operator", "/flux_minicluster")
#: Volume names this package gives its own volumes in every pod.
RESERVED_VOLUMES = frozenset({fluxfacts.CERT_VOLUME_NAME, fluxfacts.NATIVE_CONFIG_VOLUME, fluxfacts.FLUX_VIEW_VOLUME})

#: A bucket's pods get this long to stop (seconds): files still open when a
#: pod is stopped are uploaded as their processes close them.
BUCKET_FLUSH_SECONDS = 120

#: The Job label that hands a Job to Kueue, which then owns its ``suspend``.
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
_CLUSTER_DOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DURATION = re.compile(r"^[0-9]+(ms|s|m|h)$")
_TOPOLOGY = re.compile(r"^(kary:[0-9]+|binomial|mincrit(:[0-9]+)?)$")


class Resources(SpecModel):
    """Container requests and limits, as Kubernetes quantities."""

    limits: dict[str, Quantity] = Field({}, description="Limits by resource name, for example nvidia.com/gpu: 8.")
    requests: dict[str, Quantity] = Field({}, description="Requests by resource name, for example cpu: 4.")

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        # Kubernetes refuses a request above its limit (ValidateResourceRequirements).
        broken: list[tuple[Location, str]] = []
        for kind, amounts in (("limits", self.limits), ("requests", self.requests)):
            for resource, amount in sorted(amounts.items()):
                if resource not in _CORE_RESOURCES and not resource.startswith("hugepages-") and "/" not in resource:
                    broken.append(
                        (
                            (kind, resource),
                            f"{resource!r} is not a container resource: use cpu, memory, ephemeral-storage, "
                            "hugepages-SIZE or a domain/name such as nvidia.com/gpu",
                        )
                    )
                elif quantity_value(amount) < 0:
                    broken.append(((kind, resource), f"{amount} is negative; a quantity here is 0 or more"))
                elif (
                    "/" in resource
                    and not resource.startswith("kubernetes.io/")
                    and quantity_value(amount).denominator != 1
                ):
                    broken.append(((kind, resource), f"{resource} is counted in whole numbers, not {amount}"))
        for resource, asked in sorted(self.requests.items()):
            limit = self.limits.get(resource)
            if limit is not None and quantity_value(asked) > quantity_value(limit):
                broken.append((("requests", resource), f"{asked} is above its limit of {limit}"))
        raise_rule_errors("Resources", broken)
        return self


class Volume(SpecModel):
    """An existing volume mounted into a container: exactly one source."""

    path: AbsolutePath = Field(description="Where it is mounted in the container.")
    read_only: bool = Field(False, description="Mount it read-only.")
    data_volume: DnsLabel | None = Field(None, description="One of dataVolumes, whatever its kind (claim or bucket).")
    claim_name: ObjectName | None = Field(None, description="A claim: one of dataVolumes, or one that exists.")
    secret_name: ObjectName | None = Field(None, description="An existing Secret.")
    config_map_name: ObjectName | None = Field(None, description="An existing ConfigMap.")
    items: dict[str, str] = Field({}, description="ConfigMap keys to file names.")
    empty_dir: bool = Field(False, description="A fresh emptyDir.")
    empty_dir_medium: Literal["memory"] | None = Field(None, description="memory for a tmpfs.")
    empty_dir_size_limit: Quantity | None = Field(None, description="Size limit of the emptyDir, for example 1Gi.")

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Volume:
        sources = [self.data_volume, self.claim_name, self.secret_name, self.config_map_name, self.empty_dir or None]
        if sum(source is not None for source in sources) != 1:
            raise_rule_errors(
                "Volume", [((), "needs exactly one of dataVolume, claimName, secretName, configMapName, emptyDir")]
            )
        broken: list[tuple[Location, str]] = []
        for key, path in self.items.items():
            parts = path.split("/")
            if not key or not path or path.startswith("/") or ".." in parts:
                broken.append((("items", key), f"{path!r}: a file name inside the volume (relative, no '..')"))
        if self.empty_dir_size_limit is not None and quantity_value(self.empty_dir_size_limit) < 0:
            broken.append((("emptyDirSizeLimit",), f"{self.empty_dir_size_limit} is negative"))
        raise_rule_errors("Volume", broken)
        return self


class Bucket(SpecModel):
    """A Cloud Storage bucket, mounted in every pod by GKE's Cloud Storage FUSE CSI driver."""

    name: str = Field(description="The bucket's name (globally unique), as in gs://NAME.")
    create: bool = Field(True, description="Create the bucket; false mounts one that exists.")
    location: str | None = Field(
        None, description="Where a created bucket is (US-CENTRAL1, US, ...); the node pool's region when left out."
    )
    project: str | None = Field(
        None, description="Project a created bucket belongs to; the node pool's cluster's project when left out."
    )
    mount_options: list[str] = Field(
        [], description="More gcsfuse mount options, for example implicit-dirs or only-dir=results."
    )

    @model_validator(mode="after")
    def _cloud_storage_accepts(self) -> Bucket:
        broken: list[tuple[Location, str]] = [(("name",), problem) for problem in bucket_name_problems(self.name)]
        for index, option in enumerate(self.mount_options):
            key = option.split("=", 1)[0]
            if not option or "," in option or key in _OWN_MOUNT_OPTIONS:
                why = (
                    f"{key} follows the pod's runAsUser and fsGroup"
                    if key in _OWN_MOUNT_OPTIONS
                    else "one option per entry, such as implicit-dirs or metadata-cache:ttl-secs:60"
                )
                broken.append((("mountOptions", index), f"{option!r}: {why}"))
        if not self.create:
            for key in ("location", "project"):
                if getattr(self, key) is not None:
                    broken.append(((key,), "only for a bucket this stack creates (create: true)"))
        raise_rule_errors("Bucket", broken)
        return self


#: Mount options the component sets from the pod's security context.
_OWN_MOUNT_OPTIONS = frozenset({"uid", "gid", "file-mode", "dir-mode"})


class DataVolume(SpecModel):
    """Storage created with the MiniCluster, for results and inputs: a claim, or a bucket.

    A claim (``size``) is a PersistentVolumeClaim in the namespace; with
    ``keep`` the claim, its data and the namespace holding it outlive
    ``pulumi destroy``. A ``bucket`` is mounted through GKE's Cloud Storage
    FUSE driver; the brokers reach it as their own Kubernetes service account
    (Workload Identity), and a bucket the stack creates is kept unless
    ``keep: false``. Containers mount either with ``dataVolume`` set to its name.
    """

    size: Quantity | None = Field(
        None, description="A claim's capacity, for example 100Gi (Filestore needs at least 1Ti)."
    )
    storage_class_name: ObjectName | None = Field(
        None, description="StorageClass; the cluster's default when left out (standard-rwx for Filestore on GKE)."
    )
    access_mode: Literal["ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany", "ReadWriteOncePod"] = Field(
        "ReadWriteMany", description="ReadWriteMany lets brokers on every node share it."
    )
    bucket: Bucket | None = Field(None, description="A Cloud Storage bucket instead of a claim (GKE).")
    keep: bool | None = Field(
        None,
        description="Keep it and its data when the stack is destroyed; by default a claim goes "
        "and a bucket the stack created stays.",
    )

    @property
    def kept(self) -> bool:
        """Whether ``pulumi destroy`` leaves it (and its data) in place."""
        if self.keep is not None:
            return self.keep
        return self.bucket is not None

    @model_validator(mode="after")
    def _one_kind(self) -> DataVolume:
        broken: list[tuple[Location, str]] = []
        if (self.size is None) == (self.bucket is None):
            broken.append(((), "needs exactly one of size (a claim) and bucket"))
        elif self.size is not None and quantity_value(self.size) <= 0:
            broken.append((("size",), f"{self.size}: a claim needs a capacity above 0"))
        elif self.bucket is not None:
            for key in ("storage_class_name", "access_mode"):
                if key in self.model_fields_set:
                    alias = DataVolume.model_fields[key].alias or key
                    broken.append(((alias,), "a claim's setting; a bucket has none"))
            if self.keep is False and not self.bucket.create:
                broken.append((("keep",), "the stack never deletes a bucket it did not create (create: false)"))
        raise_rule_errors("DataVolume", broken)
        return self


def secret_environment_key(container: str, variable: str) -> str:
    """A secret variable's key in the experiment's Secret: ``CONTAINER.VARIABLE``."""
    return f"{container}.{variable}"


class Commands(SpecModel):
    """Shell lines the operator's entrypoint runs around ``flux start``."""

    init: str | None = Field(None, description="Before anything else.")
    pre: str | None = Field(None, description="On every rank, before the broker starts.")
    broker_pre: str | None = Field(None, description="Only on the lead broker.")
    worker_pre: str | None = Field(None, description="Only on the other ranks.")
    post: str | None = Field(None, description="After the broker exits.")
    prefix: str | None = Field(None, description="Wrapper put before flux start.")


class Container(SpecModel):
    """A container of every MiniCluster pod; exactly one runs the Flux broker."""

    name: DnsLabel | None = Field(None, description="Defaults to the MiniCluster name for the Flux container.")
    image: ImageReference = Field(min_length=1, description="Container image with the application.")
    command: str | None = Field(None, description="Job the lead broker runs; none keeps the instance up.")
    working_dir: AbsolutePath | None = Field(None, description="Working directory; the image's when left out.")
    environment: dict[str, EnvironmentValue] = Field(
        {},
        description="Environment variables. A secret value (secure: in a stack file) reaches the container "
        "from the experiment's Secret, never in plaintext in the Job.",
    )
    resources: Resources = Field(default_factory=Resources)
    volumes: dict[DnsLabel, Volume] = Field({}, description="Volumes by name.")
    commands: Commands = Field(default_factory=Commands)
    run_flux: bool | None = Field(None, description="Runs the broker; defaults to true for a lone container.")
    launcher: bool = Field(False, description="The command launches its own Flux jobs (workflow tools).")

    @model_validator(mode="after")
    def _secret_names_fit_a_secret_key(self) -> Container:
        broken: list[tuple[Location, str]] = []
        for key in self.environment:
            if not _ENVIRONMENT_NAME.match(key):
                broken.append(
                    (
                        ("environment", key),
                        f"{key!r} is not a variable name Kubernetes accepts: printable ASCII without '=' or spaces",
                    )
                )
        if self.name == fluxfacts.FLUX_VIEW_VOLUME:
            broken.append((("name",), f"{self.name!r} is the init container that copies Flux in; choose another name"))
        seen: dict[str, str] = {}
        for volume_name, volume in sorted(self.volumes.items()):
            other = seen.setdefault(volume.path.rstrip("/") or "/", volume_name)
            if other != volume_name:
                broken.append((("volumes", volume_name, "path"), f"{volume.path} is already mounted by volume {other}"))
        for key, value in self.environment.items():
            secret_key = secret_environment_key(self.name or "", key)
            if isinstance(value, SecretStr) and len(secret_key) > DNS_SUBDOMAIN_MAX:
                broken.append(
                    (
                        ("environment", key),
                        f"the Secret key {secret_key!r} has {len(secret_key)} characters; at most 253",
                    )
                )
            if isinstance(value, SecretStr) and not _SECRET_KEY.match(key):
                broken.append(
                    (
                        ("environment", key),
                        f"a secret variable's name is a Secret key: letters, digits, '-', '_' and '.'; got {key!r}",
                    )
                )
        raise_rule_errors("Container", broken)
        return self

    @property
    def secret_environment(self) -> dict[str, SecretStr]:
        """The variables whose values reach the container from the experiment's Secret."""
        return {key: value for key, value in sorted(self.environment.items()) if isinstance(value, SecretStr)}


class FluxOptions(SpecModel):
    """How the Flux instance is configured."""

    view_image: ImageReference = Field(fluxfacts.DEFAULT_FLUX_VIEW_IMAGE, description="Image that provides Flux.")
    view_copy: Literal["runtime", "all"] = Field(
        "runtime",
        description="What the init container copies of the view image's software tree: runtime leaves out "
        "headers, static libraries, manuals and Python's test suite; all copies everything (to build against "
        "Flux's libraries in the broker container).",
    )
    view_image_volume: bool = Field(
        False,
        description="Mount the view image read-only as an image volume instead of copying Flux out of it in an "
        "init container (native backend; Kubernetes 1.35 or later, nodes with containerd 2.1 or later).",
    )
    connect_timeout: str = Field("5s", description="tbon.connect_timeout of each broker.")
    log_level: int = Field(6, ge=0, le=7, description="Broker log level (syslog levels).")
    option_flags: str | None = Field(None, description="Extra flags for flux submit.")
    queue_policy: Literal["fcfs", "easy", "conservative", "hybrid"] = Field(
        "fcfs", description="Fluxion queue policy: fcfs, easy, conservative or hybrid."
    )
    topology: str | None = Field(None, description="tbon.topo, for example kary:2 or binomial.")
    broker_config: str | None = Field(None, description="A complete broker config (TOML) replacing the generated one.")

    @model_validator(mode="after")
    def _formats(self) -> FluxOptions:
        broken: list[tuple[Location, str]] = []
        if not _DURATION.match(self.connect_timeout):
            broken.append((("connectTimeout",), f"{self.connect_timeout!r} is not a duration such as 5s or 500ms"))
        if self.topology is not None and not _TOPOLOGY.match(self.topology):
            broken.append((("topology",), f"{self.topology!r}: use kary:N, binomial or mincrit[:N]"))
        raise_rule_errors("FluxOptions", broken)
        return self


class Toleration(SpecModel):
    """A Kubernetes toleration of every MiniCluster pod."""

    key: str | None = Field(None, description="Taint key it tolerates; all keys when left out (with Exists).")
    operator: Literal["Equal", "Exists"] = Field("Equal", description="Equal or Exists.")
    value: str | None = Field(None, description="Taint value, for Equal.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        None, description="Effect it tolerates; all effects when left out."
    )

    @model_validator(mode="after")
    def _operator_rules(self) -> Toleration:
        # Kubernetes' validateTolerations: an empty key matches every taint only with Exists,
        # and Exists takes no value.
        broken: list[tuple[Location, str]] = []
        if not self.key and self.operator != "Exists":
            broken.append((("operator",), "a toleration without a key matches every taint: it needs operator Exists"))
        if self.operator == "Exists" and self.value:
            broken.append((("value",), "operator Exists takes no value (it matches any)"))
        broken += label_syntax_problems(self.key or "", self.value or "", key_required=False)
        raise_rule_errors("Toleration", broken)
        return self


class PodOptions(SpecModel):
    """Settings of every MiniCluster pod."""

    node_selector: Labels = Field({}, description="Node labels the pods must match.")
    tolerations: list[Toleration] = Field([], description="Taints the pods tolerate.")
    labels: Labels = Field({}, description="Labels on every pod.")
    annotations: Annotations = Field({}, description="Annotations on every pod.")
    service_account_name: DnsLabel | None = Field(None, description="Service account the pods run as.")
    run_as_user: int | None = Field(
        None, ge=0, le=2147483647, description="User ID the containers run as; the image's user when left out."
    )
    run_as_group: int | None = Field(
        None, ge=0, le=2147483647, description="Group ID the containers run as; runAsUser's ID when left out."
    )
    fs_group: int | None = Field(
        None, ge=0, le=2147483647, description="Group that owns the pod's volumes; runAsGroup when left out."
    )
    termination_grace_period_seconds: int | None = Field(
        None,
        ge=0,
        description="How long a stopped pod's processes get to finish; 120 when a bucket is mounted "
        "(time to upload files still open), else Kubernetes' 30.",
    )

    @model_validator(mode="after")
    def _job_labels_left_to_the_controller(self) -> PodOptions:
        # Batch validation refuses a pod template whose Job labels differ from the Job's own.
        taken = [key for key in JOB_CONTROLLER_LABELS if key in self.labels]
        raise_rule_errors(
            "PodOptions",
            [(("labels", key), "the Job controller sets this label to the Job's name or uid") for key in taken],
        )
        return self

    @property
    def effective_run_as_group(self) -> int | None:
        return self.run_as_group if self.run_as_group is not None else self.run_as_user

    @property
    def effective_fs_group(self) -> int | None:
        return self.fs_group if self.fs_group is not None else self.effective_run_as_group


class MiniClusterSpec(SpecModel):
    """One Flux instance: ``size`` pods, one broker each, rank 0 the lead broker."""

    name: DnsLabel = Field(description="MiniCluster name; pods are NAME-0 ... NAME-(maxSize-1).")
    namespace: DnsLabel = Field(description="A namespace of its own (created).")
    size: int = Field(ge=1, description="Brokers started.")
    max_size: int | None = Field(
        None, ge=1, description="Brokers the instance can grow to (the broker hostlist); defaults to size."
    )
    min_size: int = Field(
        1, ge=1, description="Brokers that must be online before the instance runs jobs (broker.quorum)."
    )
    tasks: int | None = Field(None, ge=1, description="Tasks of the command; defaults to size.")
    interactive: bool = Field(False, description="Keep the instance up after the command.")
    backend: Literal["native", "operator"] = Field(
        "native",
        description="native: a headless Service and an Indexed Job, no operator; "
        "operator: a MiniCluster object for an installed Flux Operator.",
    )
    ready_timeout_minutes: int = Field(
        30, ge=1, description="How long pulumi up waits for every broker to join the instance."
    )
    retries_per_broker: int = Field(
        6,
        ge=0,
        le=100,
        description="How often a failed broker's pod is started again before the instance fails "
        "(per rank; pods stopped by a drain, preemption or eviction are not counted).",
    )
    cluster_domain: str = Field(
        fluxfacts.DEFAULT_CLUSTER_DOMAIN,
        description="The cluster's DNS domain, for the lead broker's exported name; brokers find each other "
        "through their pods' DNS search path whatever it is.",
    )
    containers: list[Container] = Field(min_length=1)
    flux: FluxOptions = Field(default_factory=FluxOptions)
    headless_name: DnsLabel | None = Field(None, description="Headless Service name; defaults to name.")
    pod: PodOptions = Field(default_factory=PodOptions)
    job_labels: Labels = Field({}, description="Labels on the Job (for example a Kueue queue).")
    deadline_seconds: int | None = Field(None, ge=1, description="Active deadline of the Job.")
    allow_packing: bool = Field(False, description="Allow more brokers than node pool nodes.")
    data_volumes: dict[DnsLabel, DataVolume] = Field(
        {}, description="Claims created in the namespace, by name; mount them with claimName."
    )

    @model_validator(mode="after")
    def _fill_defaults_and_check(self) -> MiniClusterSpec:
        # Defaults that depend on other fields are written into the spec, so
        # the rendered object says what will run rather than leaving it to the
        # operator's reconcile loop.
        self.max_size = self.max_size or self.size
        self.headless_name = self.headless_name or self.name
        if len(self.containers) == 1 and self.containers[0].run_flux is None:
            self.containers[0].run_flux = True
        flux_container = self.flux_container_index
        if flux_container is not None and self.containers[flux_container].name is None:
            self.containers[flux_container].name = self.name

        broken: list[tuple[Location, str]] = []
        if not self.min_size <= self.size <= self.max_size:
            broken.append(
                (("size",), f"needs 1 <= minSize ({self.min_size}) <= size ({self.size}) <= maxSize ({self.max_size})")
            )
        for field, count in (("size", self.size), ("maxSize", self.max_size)):
            if count > INDEXED_JOB_MAX_PODS:
                broken.append(
                    (
                        (field,),
                        f"{count:,} brokers: an Indexed Job runs at most {INDEXED_JOB_MAX_PODS:,} pods "
                        "(Kubernetes refuses more completions or parallelism)",
                    )
                )
        last_host = fluxfacts.broker_hostname(self.name, self.max_size - 1)
        try:
            check_dns_label(last_host)
        except ValueError:
            broken.append(
                (("name",), f"the last broker's hostname {last_host!r} would exceed 63 characters; shorten the name")
            )
        if self.namespace in RESERVED_NAMESPACES or self.namespace.startswith(RESERVED_NAMESPACE_PREFIX):
            broken.append(
                (("namespace",), f"{self.namespace!r} is reserved; a MiniCluster wants a namespace of its own")
            )
        if not self.headless_name[:1].isalpha():
            # Service names are DNS-1035 labels: they start with a letter.
            where = "headlessName" if self.headless_name != self.name else "name"
            broken.append(
                (
                    (where,),
                    f"{self.headless_name!r} names the headless Service, and Service names start with a "
                    "letter (DNS-1035); start it with a letter"
                    + ("" if where == "headlessName" else " or set headlessName"),
                )
            )
        if not _CLUSTER_DOMAIN.match(self.cluster_domain) or len(self.cluster_domain) > 253:
            broken.append((("clusterDomain",), f"{self.cluster_domain!r} is not a DNS domain such as cluster.local"))
        if self.backend == "operator":
            for key in ("run_as_user", "run_as_group", "fs_group"):
                if getattr(self.pod, key) is not None:
                    alias = PodOptions.model_fields[key].alias or key
                    broken.append(
                        (
                            ("pod", alias),
                            "the Flux Operator runs its own entrypoint as the image's user; "
                            "set it with backend: native",
                        )
                    )
            if self.flux.view_image_volume:
                broken.append(
                    (
                        ("flux", "viewImageVolume"),
                        "the Flux Operator copies the view itself; set it with backend: native",
                    )
                )
        broken += self._container_rules()
        broken += self._data_volume_rules()
        if self.flux.broker_config is not None:
            problems = check_broker_config(
                self.flux.broker_config, name=self.name, max_size=self.max_size, cert_path=fluxfacts.CERT_PATH
            )
            if self.backend == "operator":
                problems += shell_expanded_characters(self.flux.broker_config)
            broken += [(("flux", "brokerConfig"), problem) for problem in problems]
        raise_rule_errors("MiniClusterSpec", broken)
        return self

    @property
    def waits_for_jobs(self) -> bool:
        """An instance that stays up for jobs (no command, or ``interactive``) rather than ending with its command."""
        return self.interactive or not self.flux_container.command

    @property
    def kueue_queue(self) -> str | None:
        """The Kueue queue the Job is submitted to (its ``kueue.x-k8s.io/queue-name`` label), if any."""
        return self.job_labels.get(KUEUE_QUEUE_LABEL)

    @property
    def effective_tasks(self) -> int:
        """Tasks of the command (or of the exported submit command): ``tasks``, or one per broker."""
        return self.tasks or self.size

    @property
    def task_flags(self) -> str:
        """``flux submit``'s node and task counts for ``tasks`` across the brokers, as the
        operator computes them: every broker gets a task unless there are fewer tasks."""
        tasks = self.effective_tasks
        return f"-N {self.size} -n {tasks}" if tasks >= self.size else f"-n {tasks}"

    @property
    def flux_container_index(self) -> int | None:
        runs = [i for i, c in enumerate(self.containers) if c.run_flux]
        return runs[0] if len(runs) == 1 else None

    @property
    def flux_container(self) -> Container:
        index = self.flux_container_index
        assert index is not None, "validated spec has one Flux container"
        return self.containers[index]

    @property
    def environment_secret_name(self) -> str:
        """The Secret that holds the containers' secret environment variables."""
        return f"{self.name}-environment"

    @property
    def secret_environment(self) -> dict[str, SecretStr]:
        """Every secret variable of every container, by its key in the Secret."""
        return {
            secret_environment_key(container.name or self.name, key): value
            for container in self.containers
            for key, value in container.secret_environment.items()
        }

    @property
    def buckets(self) -> dict[str, Bucket]:
        """The data volumes that are Cloud Storage buckets, by name."""
        return {name: v.bucket for name, v in sorted(self.data_volumes.items()) if v.bucket is not None}

    @property
    def effective_termination_grace_seconds(self) -> int | None:
        """The pods' grace period, when it is not Kubernetes' default."""
        if self.pod.termination_grace_period_seconds is not None:
            return self.pod.termination_grace_period_seconds
        return BUCKET_FLUSH_SECONDS if self.buckets else None

    @property
    def broker_service_account(self) -> str | None:
        """The Kubernetes service account the pods run as: the user's, or the one
        created for them when they reach a bucket; None for the namespace's default."""
        if self.pod.service_account_name is not None:
            return self.pod.service_account_name
        return f"{self.name}-broker" if self.buckets else None

    def _data_volume_rules(self) -> list[tuple[Location, str]]:
        broken: list[tuple[Location, str]] = []
        mounted = set()
        for index, container in enumerate(self.containers):
            for volume_name, volume in sorted(container.volumes.items()):
                where_mount: Location = ("containers", index, "volumes", volume_name)
                if volume.data_volume is not None:
                    mounted.add(volume.data_volume)
                    if volume.data_volume not in self.data_volumes:
                        known = ", ".join(sorted(self.data_volumes)) or "none"
                        broken.append(
                            (
                                (*where_mount, "dataVolume"),
                                f"{volume.data_volume!r} is not one of dataVolumes ({known})",
                            )
                        )
                elif volume.claim_name is not None:
                    mounted.add(volume.claim_name)
                    if volume.claim_name in self.buckets:
                        broken.append(
                            (
                                (*where_mount, "claimName"),
                                f"{volume.claim_name} is a bucket, not a claim; mount it with "
                                f"dataVolume: {volume.claim_name}",
                            )
                        )
        assert self.max_size is not None
        for name, data in sorted(self.data_volumes.items()):
            where: Location = ("dataVolumes", name)
            if name not in mounted:
                # An unmounted volume is almost always a forgotten mount:
                # results would land on the container's disk and be lost.
                broken.append((where, f"no container mounts it; add a volume with dataVolume: {name}"))
            if data.bucket is not None and self.backend != "native":
                broken.append(
                    (
                        (*where, "bucket"),
                        "the operator's MiniCluster has no CSI volumes; mount a bucket with backend: native",
                    )
                )
            if data.bucket is None and data.access_mode == "ReadWriteOncePod" and self.max_size > 1:
                broken.append(
                    (
                        (*where, "accessMode"),
                        f"ReadWriteOncePod admits one pod, but all {self.max_size} brokers mount it; use ReadWriteMany",
                    )
                )
        for annotation in FUSE_REQUEST_ANNOTATIONS.values():
            value = self.pod.annotations.get(annotation)
            if self.buckets and value is not None:
                try:
                    check_quantity(value)
                except ValueError as error:
                    broken.append((("pod", "annotations", annotation), str(error)))
        first_of: dict[str, str] = {}
        for name, bucket in self.buckets.items():
            first = first_of.setdefault(bucket.name, name)
            if first != name:
                broken.append(
                    (
                        ("dataVolumes", name, "bucket", "name"),
                        f"{bucket.name} is already dataVolumes.{first}; mount that volume in more places instead",
                    )
                )
        fuse = self.pod.annotations.get(FUSE_ANNOTATION)
        if self.buckets and fuse is not None and fuse.lower() != "true":
            broken.append(
                (
                    ("pod", "annotations", FUSE_ANNOTATION),
                    f"{fuse!r} turns off the Cloud Storage FUSE driver that mounts the buckets; leave it out",
                )
            )
        return broken

    def _container_rules(self) -> list[tuple[Location, str]]:
        broken: list[tuple[Location, str]] = []
        if sum(bool(c.run_flux) for c in self.containers) != 1:
            broken.append((("containers",), "exactly one container needs runFlux: true"))
        names: set[str] = set()
        volumes_seen: dict[str, Volume] = {}
        for index, container in enumerate(self.containers):
            if container.name is None:
                broken.append((("containers", index, "name"), "required for a container that does not run Flux"))
            elif container.name in names:
                broken.append((("containers", index, "name"), f"{container.name!r} is used twice"))
            else:
                names.add(container.name)
            for volume_name, volume in container.volumes.items():
                where: Location = ("containers", index, "volumes", volume_name)
                # The operator merges volumes by name across containers: one
                # name may be mounted twice, but only as the same volume.
                seen = volumes_seen.setdefault(volume_name, volume)
                if volume_name in RESERVED_VOLUMES or seen != volume:
                    broken.append((where, f"volume name {volume_name!r} is already in use"))
                if any(volume.path == p or volume.path.startswith(p + "/") for p in RESERVED_MOUNTS):
                    broken.append(((*where, "path"), f"{volume.path} is reserved for Flux"))
        return broken

"""The GKE node pool an experiment runs on, and the rules GKE enforces on it."""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import Field, model_validator

from ..catalog import gpus, locations
from ..catalog.disks import BOOT_DISK_TYPES
from ..catalog.machines import COMPACT_PLACEMENT_MAX_NODES, MachineType, machine_type
from ..catalog.prices import PoolPrice, PriceTable, PriceTableError, money, pool_price, price_table
from ..catalog.quotas import QuotaUse, quota_uses
from ..errors import Location, raise_rule_errors
from .base import Labels, SpecModel, is_placeholder, label_syntax_problems

#: A Compute Engine image by path: in the pool's project, or another's.
_DISK_IMAGE = re.compile(r"^(projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/)?global/images/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_POOL_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
# A service account email: NAME@PROJECT.iam.gserviceaccount.com, or Google's own.
_SERVICE_ACCOUNT = re.compile(r"^[a-z0-9][-a-z0-9._]*@[a-z0-9][-a-z0-9.]*\.gserviceaccount\.com$")

BootDiskType = Literal["pd-standard", "pd-balanced", "pd-ssd", "hyperdisk-balanced"]
assert set(get_args(BootDiskType)) == set(BOOT_DISK_TYPES)


class Gpu(SpecModel):
    """Accelerators on every node. For A2, A3, A4 and G2 machine types the type
    and count follow from the machine type and may be left out."""

    type: str | None = Field(None, description="Accelerator type, for example nvidia-tesla-t4.")
    count: int | None = Field(None, ge=1, description="GPUs per node.")
    driver_version: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"] = Field(
        "DEFAULT", description="Driver GKE installs; set explicitly so updates do not recreate the pool."
    )
    sharing_strategy: Literal["TIME_SHARING", "MPS"] | None = Field(
        None, description="Let several containers share one GPU."
    )
    max_shared_clients_per_gpu: int | None = Field(
        None, ge=2, description="Containers per GPU when sharing is on (at most 48)."
    )


class Taint(SpecModel):
    """A taint on every node; MiniCluster pods get the matching toleration."""

    key: str = Field(description="Taint key.")
    value: str = Field("", description="Taint value.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = Field(
        "NoSchedule", description="NoSchedule, PreferNoSchedule or NoExecute."
    )

    @model_validator(mode="after")
    def _kubernetes_label_syntax(self) -> Taint:
        # A taint's key and value follow label syntax (ValidateTaint in core validation).
        broken: list[tuple[Location, str]] = []
        broken += label_syntax_problems(self.key, self.value, key_required=True)
        raise_rule_errors("Taint", broken)
        return self


class Reservation(SpecModel):
    """Which Compute Engine reservation the nodes consume."""

    consume_type: Literal["ANY_RESERVATION", "NO_RESERVATION", "SPECIFIC_RESERVATION"] = Field(
        description="ANY_RESERVATION, NO_RESERVATION or SPECIFIC_RESERVATION (with key and values)."
    )
    key: str | None = Field(None, description="compute.googleapis.com/reservation-name for a specific one.")
    values: list[str] = Field([], description="Reservation names.")


class NodePoolSpec(SpecModel):
    """A node pool on an existing GKE cluster, tuned for tightly coupled HPC."""

    cluster: str = Field(description="The GKE cluster: its name, or its id projects/P/locations/L/clusters/N.")
    location: str | None = Field(
        None, description="Region or zone of the cluster; taken from the id, required with a bare name."
    )
    project: str | None = Field(None, description="GCP project; defaults to the id's, else the provider's.")
    name: str | None = Field(None, description="Node pool name; defaults to <miniCluster.name>-pool.")
    zones: list[str] = Field(min_length=1, description="Zones the nodes are created in.")
    machine_type: str = Field(description="Compute Engine machine type, for example c2d-standard-112.")
    node_count: int = Field(
        ge=1, description="Nodes in the pool, all zones together; GKE puts nodeCount / len(zones) in each zone."
    )
    compact_placement: bool = Field(True, description="Place nodes close together (COMPACT policy).")
    placement_policy_name: str | None = Field(
        None, description="A named workload policy, needed for A3 High and later and H4D."
    )
    threads_per_core: Literal[1, 2] | None = Field(
        1, description="1 turns SMT off, as HPC codes want; null keeps the machine default."
    )
    gvnic: bool = Field(True, description="Google Virtual NIC, for higher network bandwidth.")
    egress_bandwidth_tier: Literal["DEFAULT", "TIER_1"] = Field(
        "DEFAULT", description="TIER_1 raises egress bandwidth (needs gVNIC and >= 30 vCPUs)."
    )
    image_type: str = Field("COS_CONTAINERD", description="Node image.")
    image_streaming: bool = Field(
        False,
        description="GKE image streaming: containers start before their image is fully pulled "
        "(images in Artifact Registry; others are pulled whole).",
    )
    image_cache_disk: str | None = Field(
        None,
        description="A Compute Engine disk image of container images (gke-disk-image-builder), attached to every "
        "node as a secondary boot disk so they start without a pull: global/images/NAME or "
        "projects/PROJECT/global/images/NAME; needs imageStreaming.",
    )
    spot: bool = Field(False, description="Spot VMs: cheaper, can be preempted.")
    scale_to_zero: bool = Field(
        False,
        description="Let GKE's cluster autoscaler remove nodes no MiniCluster pod runs on (autoscaling from 0 to "
        "nodeCount), so the pool stops billing once the instance has ended; pulumi up asks for nodeCount again.",
    )
    reservation: Reservation | None = Field(None, description="Reservation affinity.")
    gpu: Gpu | None = Field(None, description="Accelerators on each node.")
    labels: Labels = Field({}, description="Kubernetes labels on every node.")
    taints: list[Taint] = Field([], description="Taints on every node.")
    disk_type: BootDiskType | None = Field(
        None, description="Boot disk type; defaults to pd-balanced, or hyperdisk-balanced where the series needs it."
    )
    disk_size_gb: int = Field(100, ge=10, description="Boot disk size in GB.")
    cpu_manager_policy: Literal["static", "none"] = Field(
        "static", description="Kubelet CPU manager; static pins Guaranteed pods to whole cores."
    )
    auto_upgrade: bool = Field(True, description="GKE upgrades the nodes; required on clusters in a release channel.")
    auto_repair: bool = Field(True, description="GKE recreates nodes that fail health checks.")
    max_surge: int | None = Field(
        None, ge=0, description="Extra nodes during an upgrade; defaults to 0 for compact or reserved pools, else 1."
    )
    max_unavailable: int | None = Field(
        None,
        ge=0,
        description="Nodes down at once during an upgrade; defaults to 1 for compact or reserved pools, else 0.",
    )
    service_account: str | None = Field(
        None, description="Service account of the nodes; the Compute Engine default account when left out."
    )
    max_hourly_cost: float | None = Field(
        None,
        gt=0,
        description="Refuse the stack when the pool's list price per hour (USD; Spot when spot is on) is above "
        "this, or cannot be estimated.",
    )
    workload_identity: bool | None = Field(
        None,
        description="Run GKE's metadata server on the nodes, so pods act as their Kubernetes service account "
        "(Workload Identity); on when a data volume is a bucket, else the cluster's default.",
    )

    @property
    def machine(self) -> MachineType:
        return machine_type(self.machine_type)

    @property
    def cluster_ref(self) -> locations.ClusterRef:
        if is_placeholder(self.cluster):
            return locations.ClusterRef(self.cluster)  # to be set before pulumi up
        return locations.parse_cluster(self.cluster)

    @property
    def placeholders(self) -> dict[str, str]:
        """Settings still at a shipped stack's placeholder, by field."""
        found = {"cluster": self.cluster, "project": self.project or ""}
        return {f"nodePool.{key}": value for key, value in found.items() if is_placeholder(value)}

    @property
    def cluster_name(self) -> str:
        return self.cluster_ref.name

    @property
    def cluster_location(self) -> str:
        location = self.location or self.cluster_ref.location
        assert location is not None, "a validated pool has its cluster's location"
        return location

    @property
    def cluster_project(self) -> str | None:
        return self.project or self.cluster_ref.project

    @property
    def nodes_per_zone(self) -> int:
        """GKE's ``node_count``: one instance group per zone, each this size."""
        return self.node_count // len(self.zones)

    @property
    def boot_disk_type(self) -> str:
        """The disk type asked for, or the one the machine series takes by default."""
        return self.disk_type or self.machine.default_boot_disk_type

    @property
    def sets_threads_per_core(self) -> bool:
        """Whether the request carries threads per core (not on machines with SMT fixed)."""
        return self.threads_per_core is not None and self.machine.smt_configurable

    @property
    def node_cpus(self) -> int:
        """CPUs each node's kubelet sees."""
        return self.machine.node_cpus(self.threads_per_core)

    @property
    def holds_capacity_tight(self) -> bool:
        """Compact or reserved pools: no spare VM to surge into during an upgrade."""
        reserved = self.reservation is not None and self.reservation.consume_type != "NO_RESERVATION"
        return self.compact_placement or reserved

    @property
    def upgrade_surge(self) -> tuple[int, int]:
        """``(max_surge, max_unavailable)``: replace in place where no spare capacity exists."""
        surge, unavailable = (0, 1) if self.holds_capacity_tight else (1, 0)
        return (
            surge if self.max_surge is None else self.max_surge,
            unavailable if self.max_unavailable is None else self.max_unavailable,
        )

    @property
    def gpu_type(self) -> str | None:
        """The accelerator on each node, given or derived from the machine type."""
        if self.gpu is None:
            return None
        return self.gpu.type or self.machine.built_in_gpu

    @property
    def gpu_count(self) -> int:
        if self.gpu is None:
            return 0
        return self.gpu.count or self.machine.built_in_gpu_count

    @property
    def default_gpu_limit(self) -> int:
        """``nvidia.com/gpu`` of a Flux container that sets none: every GPU of its
        node, or one where GPUs are shared (GKE hands out a shared GPU one per
        container)."""
        if self.gpu is None:
            return 0
        return 1 if self.gpu.sharing_strategy else self.gpu_count

    @property
    def gpus_per_node_for_pods(self) -> int:
        """``nvidia.com/gpu`` a node offers pods: each shared GPU counts once per client."""
        if self.gpu is None:
            return 0
        return self.gpu_count * (self.gpu.max_shared_clients_per_gpu or 1)

    @model_validator(mode="before")
    @classmethod
    def _gpu_machines_get_a_gpu_block(cls, data: object) -> object:
        # A2/A3/A4/G2 machines always carry GPUs; declaring them (with an
        # explicit driver version) keeps GKE from changing the pool behind us.
        if isinstance(data, dict) and data.get("gpu") is None:
            name = data.get("machineType", data.get("machine_type"))
            if isinstance(name, str):
                try:
                    machine = machine_type(name)
                except ValueError:
                    return data
                if machine.built_in_gpu:
                    return {**data, "gpu": {}}
        return data

    @model_validator(mode="after")
    def _gke_rules(self) -> NodePoolSpec:
        broken: list[tuple[Location, str]] = []
        if self.name is not None and not _POOL_NAME.match(self.name):
            broken.append((("name",), f"{self.name!r}: 1-40 lowercase letters, digits and '-', starting with a letter"))
        broken += self._location_rules()
        if len(self.zones) > 1 and self.node_count % len(self.zones):
            broken.append(
                (
                    ("nodeCount",),
                    f"GKE puts the same number of nodes in each zone: {self.node_count} nodes do not divide "
                    f"over {len(self.zones)} zones; use a multiple of {len(self.zones)}",
                )
            )
        if self.service_account is not None and not _SERVICE_ACCOUNT.match(self.service_account):
            broken.append(
                (
                    ("serviceAccount",),
                    f"{self.service_account!r} is not a service account email (NAME@PROJECT.iam.gserviceaccount.com)",
                )
            )
        if sum(self.upgrade_surge) == 0:
            broken.append(
                (("maxSurge",), "maxSurge and maxUnavailable cannot both be 0: the upgrade could not progress")
            )
        if self.image_cache_disk is not None:
            if not _DISK_IMAGE.match(self.image_cache_disk):
                broken.append(
                    (
                        ("imageCacheDisk",),
                        f"{self.image_cache_disk!r} is not a disk image path: global/images/NAME or "
                        "projects/PROJECT/global/images/NAME",
                    )
                )
            if not self.image_streaming:
                broken.append(
                    (("imageCacheDisk",), "GKE serves a secondary boot disk's images only with imageStreaming")
                )
        if self.image_streaming and self.image_type != "COS_CONTAINERD":
            broken.append(
                (("imageStreaming",), f"GKE streams images only to COS_CONTAINERD nodes, not {self.image_type}")
            )
        if self.reservation is not None:
            specific = self.reservation.consume_type == "SPECIFIC_RESERVATION"
            if specific and not (self.reservation.key and self.reservation.values):
                broken.append((("reservation",), "SPECIFIC_RESERVATION needs key and values"))
            if not specific and (self.reservation.key or self.reservation.values):
                broken.append((("reservation",), "key and values apply only to SPECIFIC_RESERVATION"))
        try:
            machine = self.machine
        except ValueError as error:
            broken.append((("machineType",), str(error)))
        else:
            broken += self._machine_rules(machine)
            broken += self._budget_rules()
        raise_rule_errors("NodePoolSpec", broken)
        return self

    def _budget_rules(self) -> list[tuple[Location, str]]:
        if self.max_hourly_cost is None:
            return []
        try:
            price = self.price()
        except PriceTableError as error:
            return [(("maxHourlyCost",), str(error))]
        if price.per_hour is None:
            return [(("maxHourlyCost",), f"cannot be checked: {price.detail}; give a price table with --prices")]
        if price.per_hour > self.max_hourly_cost:
            return [
                (
                    ("maxHourlyCost",),
                    f"the pool's list price is {money(price.per_hour)} per hour ({price.detail}; "
                    f"prices of {price.table.date}), above the limit of {money(self.max_hourly_cost)}",
                )
            ]
        return []

    @property
    def region(self) -> str:
        return locations.region_of(self.zones[0])

    def price(self, table: PriceTable | None = None) -> PoolPrice:
        """The pool's list price per hour (``table``: the configured one by default)."""
        attached = self.gpu_type if self.gpu_type in gpus.N1_ATTACHABLE_GPUS else None
        return pool_price(
            table or price_table(),
            machine_type=self.machine_type,
            region=self.region,
            nodes=self.node_count,
            spot=self.spot,
            disk_type=self.boot_disk_type,
            disk_gb=self.disk_size_gb,
            attached_gpu=attached,
        )

    @property
    def quota_uses(self) -> list[QuotaUse]:
        """The Compute Engine quotas the pool consumes, in its region and globally."""
        return quota_uses(
            family=self.machine.family,
            vcpus=self.machine.vcpus,
            nodes=self.node_count,
            spot=self.spot,
            gpu_type=self.gpu_type,
            gpus=self.gpu_count,
            disk_type=self.boot_disk_type,
            disk_gb=self.disk_size_gb,
        )

    def _machine_rules(self, machine: MachineType) -> list[tuple[Location, str]]:
        broken = self._placement_rules(machine) + self._network_rules(machine) + self._gpu_rules(machine)
        if self.threads_per_core is not None and not machine.accepts_threads_per_core(self.threads_per_core):
            broken.append(
                (
                    ("threadsPerCore",),
                    f"threads per core cannot be set on {self.machine_type}: {machine.smt_fixed_reason}; set it to null",
                )
            )
        if self.disk_type is not None and self.disk_type not in machine.boot_disk_types:
            broken.append(
                (
                    ("diskType",),
                    f"{machine.series} machines boot from {', '.join(machine.boot_disk_types)}, not {self.disk_type}",
                )
            )
        return broken

    def _location_rules(self) -> list[tuple[Location, str]]:
        broken: list[tuple[Location, str]] = []
        try:
            ref = self.cluster_ref
        except ValueError as error:
            broken.append((("cluster",), str(error)))
            ref = None
        if self.location is not None and not (locations.is_region(self.location) or locations.is_zone(self.location)):
            broken.append((("location",), f"{self.location!r} is not a region (us-central1) or zone (us-central1-a)"))
            return broken
        if ref is not None and ref.location and self.location and ref.location != self.location:
            broken.append((("location",), f"{self.location!r} differs from the cluster id's location {ref.location!r}"))
        if ref is not None and ref.project and self.project and ref.project != self.project:
            broken.append((("project",), f"{self.project!r} differs from the cluster id's project {ref.project!r}"))
        if ref is not None and ref.location is None and self.location is None:
            broken.append(
                (
                    ("location",),
                    f"required when the cluster is given by name: {self.cluster!r} may be regional or zonal, and "
                    "the pool must name the cluster's own location (or give the id projects/P/locations/L/clusters/N)",
                )
            )
        cluster_location = self.location or (ref.location if ref else None)
        for index, zone in enumerate(self.zones):
            if not locations.is_zone(zone):
                broken.append((("zones", index), f"{zone!r} is not a zone (for example us-central1-a)"))
            elif cluster_location and locations.region_of(zone) != locations.region_of(cluster_location):
                broken.append(
                    (
                        ("zones", index),
                        f"{zone} is not in the cluster's location {cluster_location}; "
                        f"a node pool's zones lie in {locations.region_of(cluster_location)}",
                    )
                )
        return broken

    def _placement_rules(self, machine: MachineType) -> list[tuple[Location, str]]:
        broken: list[tuple[Location, str]] = []
        if not self.compact_placement:
            if self.placement_policy_name:
                broken.append((("placementPolicyName",), "a placement policy applies only with compactPlacement: true"))
            return broken
        if len(self.zones) != 1:
            broken.append(
                (
                    ("zones",),
                    f"compact placement is only available for node pools in a single zone; got {len(self.zones)}",
                )
            )
        if self.node_count > COMPACT_PLACEMENT_MAX_NODES:
            broken.append(
                (
                    ("nodeCount",),
                    f"a compact placement policy holds at most {COMPACT_PLACEMENT_MAX_NODES} nodes; "
                    f"got {self.node_count}",
                )
            )
        if not machine.supports_compact_placement:
            broken.append(
                (
                    ("machineType",),
                    f"compact placement is not available for the {machine.family} family; "
                    "use C2, C2D, C3, C3D, C4D, H3, H4D, N2, N2D, A2, A3, A4 or G2, or set compactPlacement: false",
                )
            )
        elif machine.compact_needs_workload_policy and not self.placement_policy_name:
            broken.append(
                (
                    ("placementPolicyName",),
                    f"GKE places {machine.series} compactly only through a named "
                    "workload policy; create one and name it here",
                )
            )
        return broken

    def _network_rules(self, machine: MachineType) -> list[tuple[Location, str]]:
        broken: list[tuple[Location, str]] = []
        if self.gvnic and not self.image_type.upper().startswith("COS"):
            broken.append((("imageType",), f"gVNIC needs a COS image, not {self.image_type}"))
        if self.egress_bandwidth_tier == "TIER_1":
            if not self.gvnic:
                broken.append((("egressBandwidthTier",), "TIER_1 needs gvnic: true"))
            if not machine.supports_tier_1:
                broken.append(
                    (
                        ("egressBandwidthTier",),
                        f"TIER_1 needs an N2, N2D, C2, C2D or C3 machine with at "
                        f"least 30 vCPUs; {self.machine_type} is not one",
                    )
                )
        return broken

    def _gpu_rules(self, machine: MachineType) -> list[tuple[Location, str]]:
        if self.gpu is None:
            return []
        broken: list[tuple[Location, str]] = []
        gpu_type = self.gpu_type
        attachable = frozenset({machine.built_in_gpu}) if machine.built_in_gpu else frozenset()
        if machine.family == "n1" and not machine.shared_core:
            attachable = gpus.N1_ATTACHABLE_GPUS
        if gpu_type is None:
            choices = ", ".join(sorted(attachable)) or "none"
            broken.append((("gpu", "type"), f"required for {self.machine_type} (attachable: {choices})"))
        elif gpu_type not in attachable:
            choices = ", ".join(sorted(attachable)) or "none: pick a GPU machine type"
            broken.append(
                (("gpu", "type"), f"{gpu_type} does not belong to the {machine.series} series (attachable: {choices})")
            )
        if machine.built_in_gpu and self.gpu.count not in (None, machine.built_in_gpu_count):
            broken.append(
                (
                    ("gpu", "count"),
                    f"{self.machine_type} comes with {machine.built_in_gpu_count} GPUs, not {self.gpu.count}",
                )
            )
        if not machine.built_in_gpu and self.gpu.count is None:
            broken.append((("gpu", "count"), f"required for GPUs attached to {self.machine_type}"))
        limits = gpus.N1_GPU_VCPU_LIMITS.get(gpu_type or "")
        if limits is not None and gpu_type in attachable and self.gpu.count is not None:
            if self.gpu.count not in limits:
                offered = ", ".join(str(n) for n in limits)
                broken.append((("gpu", "count"), f"{gpu_type} attaches in counts of {offered}, not {self.gpu.count}"))
            elif machine.vcpus > limits[self.gpu.count]:
                broken.append(
                    (
                        ("gpu", "count"),
                        f"with {self.gpu.count} {gpu_type}, a VM may have at most {limits[self.gpu.count]} "
                        f"vCPUs; {self.machine_type} has {machine.vcpus}",
                    )
                )
        clients = self.gpu.max_shared_clients_per_gpu
        if clients is not None and clients > gpus.MAX_SHARED_CLIENTS_PER_GPU:
            broken.append(
                (
                    ("gpu", "maxSharedClientsPerGpu"),
                    f"GKE shares a GPU among at most {gpus.MAX_SHARED_CLIENTS_PER_GPU} containers, not {clients}",
                )
            )
        if (self.gpu.sharing_strategy is None) != (self.gpu.max_shared_clients_per_gpu is None):
            broken.append((("gpu", "sharingStrategy"), "sharingStrategy and maxSharedClientsPerGpu go together"))
        return broken

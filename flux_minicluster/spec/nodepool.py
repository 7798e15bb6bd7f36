"""The GKE node pool an experiment runs on, and the rules GKE enforces on it."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from ..errors import Location, raise_rule_errors
from ..machines import MachineType, parse_machine_type
from .base import Labels, SpecModel

_CLUSTER_ID = re.compile(r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/clusters/(?P<name>[^/]+)$")
_ZONE = re.compile(r"^[a-z]+-[a-z]+[0-9]+-[a-z]$")
_POOL_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")


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
    max_shared_clients_per_gpu: int | None = Field(None, ge=2, description="Containers per GPU when sharing is on.")


class Taint(SpecModel):
    """A taint on every node; MiniCluster pods get the matching toleration."""

    key: str = Field(description="Taint key.")
    value: str = Field("", description="Taint value.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = Field(
        "NoSchedule", description="NoSchedule, PreferNoSchedule or NoExecute."
    )


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
        None, description="Region or zone of the cluster; defaults to the id's, else the first zone."
    )
    project: str | None = Field(None, description="GCP project; defaults to the id's, else the provider's.")
    name: str | None = Field(None, description="Node pool name; defaults to <miniCluster.name>-pool.")
    zones: list[str] = Field(min_length=1, description="Zones the nodes are created in.")
    machine_type: str = Field(description="Compute Engine machine type, for example c2d-standard-112.")
    node_count: int = Field(ge=1, description="Nodes in the pool.")
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
    image_streaming: bool = Field(False, description="GKE image streaming (faster start of big images).")
    spot: bool = Field(False, description="Spot VMs: cheaper, can be preempted.")
    reservation: Reservation | None = Field(None, description="Reservation affinity.")
    gpu: Gpu | None = Field(None, description="Accelerators on each node.")
    labels: Labels = Field({}, description="Kubernetes labels on every node.")
    taints: list[Taint] = Field([], description="Taints on every node.")
    disk_type: Literal["pd-standard", "pd-balanced", "pd-ssd", "hyperdisk-balanced"] = Field(
        "pd-balanced", description="Boot disk type."
    )
    disk_size_gb: int = Field(100, ge=10, description="Boot disk size in GB.")
    cpu_manager_policy: Literal["static", "none"] = Field(
        "static", description="Kubelet CPU manager; static pins Guaranteed pods to whole cores."
    )

    @property
    def machine(self) -> MachineType:
        return parse_machine_type(self.machine_type)

    @property
    def cluster_name(self) -> str:
        match = _CLUSTER_ID.match(self.cluster)
        return match["name"] if match else self.cluster

    @property
    def cluster_location(self) -> str:
        match = _CLUSTER_ID.match(self.cluster)
        return self.location or (match["location"] if match else self.zones[0])

    @property
    def cluster_project(self) -> str | None:
        match = _CLUSTER_ID.match(self.cluster)
        return self.project or (match["project"] if match else None)

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

    @model_validator(mode="before")
    @classmethod
    def _gpu_machines_get_a_gpu_block(cls, data: object) -> object:
        # A2/A3/A4/G2 machines always carry GPUs; declaring them (with an
        # explicit driver version) keeps GKE from changing the pool behind us.
        if isinstance(data, dict) and data.get("gpu") is None:
            machine_type = data.get("machineType", data.get("machine_type"))
            if isinstance(machine_type, str):
                try:
                    machine = parse_machine_type(machine_type)
                except ValueError:
                    return data
                if machine.built_in_gpu:
                    return {**data, "gpu": {}}
        return data

    @model_validator(mode="after")
    def _gke_rules(self) -> NodePoolSpec:
        broken: list[tuple[Location, str]] = []
        try:
            machine = self.machine
        except ValueError as error:
            raise_rule_errors("NodePoolSpec", [(("machineType",), str(error))])
            return self
        if self.name is not None and not _POOL_NAME.match(self.name):
            broken.append((("name",), f"{self.name!r}: 1-40 lowercase letters, digits and '-', starting with a letter"))
        for index, zone in enumerate(self.zones):
            if not _ZONE.match(zone):
                broken.append((("zones", index), f"{zone!r} is not a zone (for example us-central1-a)"))
        broken += self._placement_rules(machine)
        broken += self._network_rules(machine)
        broken += self._gpu_rules(machine)
        if self.threads_per_core is not None and not machine.smt_configurable:
            broken.append(
                (
                    ("threadsPerCore",),
                    f"threads per core cannot be set on {self.machine_type} (shared-core or fixed SMT); set it to null",
                )
            )
        if self.reservation is not None:
            specific = self.reservation.consume_type == "SPECIFIC_RESERVATION"
            if specific and not (self.reservation.key and self.reservation.values):
                broken.append((("reservation",), "SPECIFIC_RESERVATION needs key and values"))
            if not specific and (self.reservation.key or self.reservation.values):
                broken.append((("reservation",), "key and values apply only to SPECIFIC_RESERVATION"))
        raise_rule_errors("NodePoolSpec", broken)
        return self

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
        if gpu_type is None:
            choices = ", ".join(sorted(machine.attachable_gpus)) or "none"
            broken.append((("gpu", "type"), f"required for {self.machine_type} (attachable: {choices})"))
        elif gpu_type not in machine.attachable_gpus:
            choices = ", ".join(sorted(machine.attachable_gpus)) or "none: pick a GPU machine type"
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
        if (self.gpu.sharing_strategy is None) != (self.gpu.max_shared_clients_per_gpu is None):
            broken.append((("gpu", "sharingStrategy"), "sharingStrategy and maxSharedClientsPerGpu go together"))
        return broken

"""The validated description of an experiment (what a stack's config says)."""

from .experiment import ExperimentSpec, OperatorSpec, load_spec
from .minicluster import (
    Commands,
    Container,
    DataVolume,
    FluxOptions,
    MiniClusterSpec,
    PodOptions,
    Resources,
    Toleration,
    Volume,
)
from .nodepool import Gpu, NodePoolSpec, Reservation, Taint

__all__ = [
    "Commands",
    "Container",
    "DataVolume",
    "ExperimentSpec",
    "FluxOptions",
    "Gpu",
    "MiniClusterSpec",
    "NodePoolSpec",
    "OperatorSpec",
    "PodOptions",
    "Reservation",
    "Resources",
    "Taint",
    "Toleration",
    "Volume",
    "load_spec",
]

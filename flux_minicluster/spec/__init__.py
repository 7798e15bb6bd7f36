"""The validated description of an experiment (what a stack's config says)."""

from .experiment import ExperimentSpec, OperatorSpec, load_spec
from .minicluster import (
    Bucket,
    Commands,
    Container,
    DataVolume,
    FluxOptions,
    MiniClusterSpec,
    PodOptions,
    Resources,
    Toleration,
    Volume,
    secret_environment_key,
)
from .nodepool import Gpu, NodePoolSpec, Reservation, Taint
from .stack import KubernetesTarget, StackConfig

__all__ = [
    "Bucket",
    "Commands",
    "Container",
    "DataVolume",
    "ExperimentSpec",
    "FluxOptions",
    "Gpu",
    "KubernetesTarget",
    "MiniClusterSpec",
    "NodePoolSpec",
    "OperatorSpec",
    "PodOptions",
    "Reservation",
    "Resources",
    "StackConfig",
    "Taint",
    "Toleration",
    "Volume",
    "load_spec",
    "secret_environment_key",
]

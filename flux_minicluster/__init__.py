"""Flux Framework HPC clusters (MiniClusters) on Kubernetes, with Pulumi.

``FluxMiniCluster`` is the Pulumi component; ``load_spec`` validates an
experiment description; ``flux_minicluster.cli`` renders it offline. The
component is imported on first use, so the offline command and programs
that only need the spec do not pay for importing Pulumi providers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import Problem, SpecError
from .spec import ExperimentSpec, MiniClusterSpec, NodePoolSpec, load_spec

if TYPE_CHECKING:
    from .component import FluxMiniCluster

__all__ = [
    "ExperimentSpec",
    "FluxMiniCluster",
    "MiniClusterSpec",
    "NodePoolSpec",
    "Problem",
    "SpecError",
    "load_spec",
]


def __getattr__(name: str) -> Any:
    if name == "FluxMiniCluster":
        from .component import FluxMiniCluster

        return FluxMiniCluster
    raise AttributeError(f"module 'flux_minicluster' has no attribute {name!r}")

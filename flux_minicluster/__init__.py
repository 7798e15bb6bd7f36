"""Flux Framework HPC clusters (MiniClusters) on Kubernetes, with Pulumi.

``FluxMiniCluster`` is the Pulumi component; ``load_spec`` validates an
experiment description; ``flux_minicluster.cli`` renders it offline. Every
name is imported on first use, so a submodule (the offline command, the
mock-engine harness in ``flux_minicluster.testing``) loads only what it needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .component.minicluster import FluxMiniCluster
    from .errors import Problem, SpecError
    from .spec import ExperimentSpec, MiniClusterSpec, NodePoolSpec, load_spec

#: Each public name and the submodule that defines it.
_EXPORTS = {
    "ExperimentSpec": ".spec",
    "FluxMiniCluster": ".component.minicluster",
    "MiniClusterSpec": ".spec",
    "NodePoolSpec": ".spec",
    "Problem": ".errors",
    "SpecError": ".errors",
    "load_spec": ".spec",
}

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
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flux_minicluster' has no attribute {name!r}")
    return getattr(import_module(module, __name__), name)

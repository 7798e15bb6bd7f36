"""Shared test fixtures: example stacks, a valid spec to vary, the CRD schema."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from flux_minicluster.backends.flux_operator.manifest import minicluster_crd_schema

ROOT = Path(__file__).resolve().parent.parent
STACKS_DIR = ROOT / "stacks"
BAD_STACKS_DIR = Path(__file__).resolve().parent / "bad_stacks"
# The reference copy of the operator's main-branch CRD, beside the project
# when it is checked out with its shared folder.
REFERENCE_CRD_PATH = ROOT.parent / "shared" / "reference" / "minicluster-crd-v1alpha2.yaml"
KUBERNETES_VERSION = "1.33"

CPU_CONFIG: dict[str, Any] = {
    "nodePool": {
        "cluster": "hpc",
        "location": "us-central1-a",
        "zones": ["us-central1-a"],
        "machineType": "c2d-standard-112",
        "nodeCount": 4,
    },
    "miniCluster": {
        "name": "lammps",
        "namespace": "lammps",
        "size": 4,
        "containers": [{"image": "ghcr.io/converged-computing/metric-lammps:latest"}],
    },
}


@pytest.fixture
def cpu_config() -> dict[str, Any]:
    """A small valid experiment to vary, as stack config values."""
    return copy.deepcopy(CPU_CONFIG)


def stack_files() -> list[Path]:
    return sorted(STACKS_DIR.glob("Pulumi.*.yaml"))


@pytest.fixture(scope="session")
def crd_schema() -> dict[str, Any]:
    """The MiniCluster schema of the CRD the package installs (its vendored manifest)."""
    return minicluster_crd_schema()


@pytest.fixture
def created_types(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The type token of every resource the mock engine is asked to create, in order."""
    from flux_minicluster.testing import RecordingMocks

    created: list[str] = []
    new_resource = RecordingMocks.new_resource

    def recording(self: RecordingMocks, args: Any) -> Any:
        created.append(args.typ)
        return new_resource(self, args)

    monkeypatch.setattr(RecordingMocks, "new_resource", recording)
    return created

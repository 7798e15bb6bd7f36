"""Same input, same output: across interpreters, hash seeds and in the order written.

Running twice in one process cannot catch output that follows set or
hash order: Python fixes the string-hash seed per process. These tests run
each render in fresh interpreters with different ``PYTHONHASHSEED`` values and
compare the bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, stack_files

from flux_minicluster import FluxMiniCluster
from flux_minicluster.testing import run_under_mocks

SEEDS = ("0", "12345")
CLI = [sys.executable, "-m", "flux_minicluster.cli"]

# Zones in an order no sort would give; the pool spreads nodes over them as listed.
UNSORTED_ZONES = ["us-central1-f", "us-central1-a", "us-central1-c"]


def _run(args: list[str], seed: str, cwd: Path = ROOT) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(args, capture_output=True, check=True, env=env, cwd=cwd).stdout


def _variant_stacks(tmp_path: Path) -> list[Path]:
    """Shipped stacks plus variants that reach other code: operator backend,
    unordered zones, sets in the spec (labels, taints, data volumes)."""
    base = yaml.safe_load((ROOT / "stacks" / "Pulumi.lammps-cpu.yaml").read_text())
    config = base["config"]
    pool, mc = config["flux-minicluster:nodePool"], config["flux-minicluster:miniCluster"]
    variants = {
        "operator": {**config, "flux-minicluster:miniCluster": {**mc, "backend": "operator"}},
        "zones": {
            **config,
            "flux-minicluster:nodePool": {
                **pool,
                "zones": UNSORTED_ZONES,
                "location": "us-central1",
                "compactPlacement": False,
                "egressBandwidthTier": "DEFAULT",
                "nodeCount": 9,
            },
        },
        "sets": {
            **config,
            "flux-minicluster:nodePool": {
                **pool,
                "labels": {f"k{i}": f"v{i}" for i in range(12)},
                "taints": [{"key": f"t{i}", "value": "x"} for i in range(5)],
            },
            "flux-minicluster:miniCluster": {
                **mc,
                "pod": {"labels": {f"l{i}": "x" for i in range(12)}, "nodeSelector": {f"s{i}": "y" for i in range(6)}},
                "containers": [
                    {
                        **mc["containers"][0],
                        "environment": {f"E{i}": str(i) for i in range(12)},
                        "volumes": {
                            **{f"v{i}": {"path": f"/v{i}", "emptyDir": True} for i in range(6)},
                            "out": {"path": "/results", "claimName": "results"},
                        },
                    }
                ],
                "dataVolumes": {"results": {"size": "1Ti", "storageClassName": "standard-rwx"}},
            },
        },
    }
    paths = list(stack_files())
    for name, variant in variants.items():
        path = tmp_path / f"Pulumi.{name}.yaml"
        path.write_text(yaml.safe_dump({"config": variant}))
        paths.append(path)
    return paths


def test_render_is_byte_identical_under_different_hash_seeds(tmp_path: Path) -> None:
    for stack in _variant_stacks(tmp_path):
        first, second = (_run([*CLI, "render", str(stack)], seed) for seed in SEEDS)
        assert first, stack
        assert first == second, stack.name


def test_render_into_a_folder_is_byte_identical_under_different_hash_seeds(tmp_path: Path) -> None:
    stack = _variant_stacks(tmp_path)[-1]
    trees = []
    for seed in SEEDS:
        out = tmp_path / f"out-{seed}"
        _run([*CLI, "render", str(stack), "-o", str(out)], seed)
        trees.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert trees[0] and trees[0] == trees[1]


_DUMP = """
import sys, yaml
from flux_minicluster.component.program import run
from pathlib import Path
from flux_minicluster.testing import run_under_mocks, stack_settings
config = stack_settings(Path(sys.argv[1]))
mocks, _ = run_under_mocks(run, config)
# Sorted: the engine may receive registrations in any order (each waits on
# its own inputs); what it receives must not vary.
print(mocks.canonical())
"""


def test_registered_inputs_are_identical_under_different_hash_seeds(tmp_path: Path) -> None:
    for stack in _variant_stacks(tmp_path):
        first, second = (_run([sys.executable, "-c", _DUMP, str(stack)], seed) for seed in SEEDS)
        assert b"kubernetes:" in first, stack
        assert first == second, stack.name


def test_zones_render_in_the_order_written(tmp_path: Path) -> None:
    stack = next(p for p in _variant_stacks(tmp_path) if p.name == "Pulumi.zones.yaml")
    documents = list(yaml.safe_load_all(_run([*CLI, "render", str(stack)], SEEDS[0])))
    (pool,) = [d for d in documents if d and "node_locations" in d]
    assert pool["node_locations"] == UNSORTED_ZONES


def test_zones_reach_the_node_pool_in_the_order_written() -> None:
    config: dict[str, Any] = {
        "nodePool": {
            "cluster": "hpc",
            "location": "us-central1",
            "zones": UNSORTED_ZONES,
            "machineType": "c2d-standard-112",
            "nodeCount": 3,
            "compactPlacement": False,
        },
        "miniCluster": {"name": "lammps", "namespace": "lammps", "size": 3, "containers": [{"image": "lmp"}]},
    }
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", config))
    pool = mocks.one("gcp:container/nodePool:NodePool").inputs
    assert pool["nodeLocations"] == UNSORTED_ZONES
    assert pool["nodeCount"] == 1  # per zone


@pytest.mark.parametrize("stack", stack_files(), ids=lambda p: p.stem)
def test_render_in_process_matches_a_fresh_interpreter(stack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from flux_minicluster.cli import main

    assert main(["render", str(stack)]) == 0
    here = capsys.readouterr().out.encode()
    assert here == _run([*CLI, "render", str(stack)], SEEDS[1])


def test_the_registration_dump_reads_every_config_key(tmp_path: Path) -> None:
    # The dump above must see the stack's own config, or it compares nothing.
    stack = next(p for p in _variant_stacks(tmp_path) if p.name == "Pulumi.zones.yaml")
    registered = json.loads(_run([sys.executable, "-c", _DUMP, str(stack)], SEEDS[0]))
    (pool,) = [inputs for typ, _, inputs in registered if typ == "gcp:container/nodePool:NodePool"]
    assert pool["nodeLocations"] == UNSORTED_ZONES

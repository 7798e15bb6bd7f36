"""The benchmark's programs and harness (what they declare, not how fast)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import ROOT

from flux_minicluster.component.program import run
from flux_minicluster.names import COMPONENT_TYPE
from flux_minicluster.testing import RecordingMocks, run_under_mocks, stack_settings

sys.path.insert(0, str(ROOT / "bench"))

import handwritten_lammps
import sweep

JOB = "kubernetes:batch/v1:Job"


def registrations(mocks: RecordingMocks) -> list[tuple[str, str, str]]:
    """Every custom or provider registration (components left out), canonical."""
    return sorted(
        (r.typ, r.name, json.dumps(r.inputs, sort_keys=True)) for r in mocks.resources if r.typ != COMPONENT_TYPE
    )


def test_handwritten_baseline_declares_exactly_what_the_cpu_stack_declares() -> None:
    config = stack_settings(ROOT / "stacks" / "Pulumi.lammps-cpu.yaml")
    stack, _ = run_under_mocks(run, config)
    baseline, _ = run_under_mocks(handwritten_lammps.main, config)
    assert registrations(baseline) == registrations(stack)
    assert len(registrations(stack)) == len(stack.resources) - 1


def test_sweep_shares_one_node_pool_and_one_provider() -> None:
    mocks, _ = run_under_mocks(lambda: sweep.sweep(3))
    jobs = mocks.by_type(JOB)
    assert len(jobs) == 3
    assert len(mocks.by_type("gcp:container/nodePool:NodePool")) == 1
    assert len(mocks.by_type("pulumi:providers:kubernetes")) == 1
    namespaces = {job.inputs["metadata"]["namespace"] for job in jobs}
    assert namespaces == {"sweep-0", "sweep-1", "sweep-2"}
    selectors = {
        job.inputs["spec"]["template"]["spec"]["nodeSelector"]["cloud.google.com/gke-nodepool"] for job in jobs
    }
    assert selectors == {sweep.POOL}


def test_benchmark_runs_and_reports_every_section(tmp_path: Path) -> None:
    report = tmp_path / "bench.md"
    finished = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            *("--runs", "1", "--pairs", "1", "--scale", "1"),
            *("--output", str(report)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    text = report.read_text()
    assert finished.stdout.strip() == text.strip()
    for heading in ("## Stacks", "## Overhead", "## Scale", "## Startup", "## `flux-minicluster render`", "## Targets"):
        assert heading in text
    rows: dict[str, Any] = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    for stack in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        assert f"`{stack.name}`" in rows
    assert rows["`Pulumi.kind-local.yaml`"].rstrip(" |").endswith("no")
    overhead = next(section for section in text.split("\n## ") if section.startswith("Overhead"))
    assert [line.split("|")[1].strip() for line in overhead.splitlines() if line.startswith("| ")][2:] == [
        "1",
        "**median (min-max)**",
    ]


def test_harness_loads_nothing_a_handwritten_program_would_not() -> None:
    script = (
        "import json, sys, flux_minicluster.testing\n"
        "ours = sorted(m for m in sys.modules if m.startswith('flux_minicluster'))\n"
        "print(json.dumps([ours, 'pydantic' in sys.modules, 'cryptography' in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [["flux_minicluster", "flux_minicluster.testing"], False, False]


def test_broker_readiness_bench_forms_an_instance_and_runs_a_job() -> None:
    import pytest
    from broker_sandbox import flux_core_prefix

    prefix, why = flux_core_prefix()
    if prefix is None:
        pytest.skip(why)
    import broker_readiness

    ready, first_job = broker_readiness.one_instance(2, prefix)
    assert 0 < ready < broker_readiness.TIMEOUT_SECONDS
    assert 0 < first_job < broker_readiness.TIMEOUT_SECONDS

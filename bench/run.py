"""What flux-minicluster costs a Pulumi program, measured offline.

    python bench/run.py [--runs 5] [--pairs 15] [--scale 1,8,64] [--output bench/results.md]

Every figure comes from fresh processes that evaluate a program under the
Pulumi SDK's mock engine (no cloud, no Pulumi CLI), reported as the median
with min and max over ``--runs`` runs. Prints a Markdown report; ``--output``
also writes it to a file.

Each program is run once untimed before it is measured, and the measured
processes cache bytecode as Python does by default (whatever
``PYTHONDONTWRITEBYTECODE`` says here). That is how ``pulumi preview`` runs a
program from the second preview on; without it the first run of this
package would be charged for compiling its sources, while the installed
libraries of the hand-written program come compiled.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MEASURE = ROOT / "bench" / "measure.py"
CPU_STACK = ROOT / "stacks" / "Pulumi.lammps-cpu.yaml"

#: The targets the README reports against.
MAX_OVERHEAD_RATIO = 1.10
MAX_SWEEP_SECONDS = 5.0
SWEEP_TARGET_SIZE = 64
MAX_RENDER_SECONDS = 1.0


@dataclass(frozen=True)
class Run:
    """One process: its wall time from start to exit, and what it reported."""

    wall: float
    report: dict[str, Any]

    @property
    def seconds(self) -> float:
        return float(self.report.get("seconds", self.wall))


def _child_environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


CHILD_ENVIRONMENT = _child_environment()


def run_process(command: Sequence[str], *, parse: bool) -> Run:
    start = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, env=CHILD_ENVIRONMENT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if finished.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({finished.returncode}):\n{finished.stderr}")
    return Run(wall, json.loads(finished.stdout) if parse else {})


def measure(*args: str) -> Run:
    return run_process([sys.executable, str(MEASURE), *args], parse=True)


def render_command(stack: Path) -> list[str]:
    script = Path(sys.executable).with_name("flux-minicluster")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "flux_minicluster.cli"]
    return [*command, "render", str(stack.relative_to(ROOT))]


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    """median (min-max), in the given unit."""
    scaled = [v * scale for v in values]
    return f"{statistics.median(scaled):.{digits}f} ({min(scaled):.{digits}f}-{max(scaled):.{digits}f})"


def repeat(runs: int, what: Callable[[], Run]) -> list[Run]:
    """``runs`` timed runs after one untimed warm-up run."""
    what()
    return [what() for _ in range(runs)]


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def stack_section(stacks: list[Path], runs: int) -> list[str]:
    rows = []
    for stack in stacks:
        results = repeat(runs, functools.partial(measure, "stack", str(stack.relative_to(ROOT))))
        gcp = {r.report["pulumi_gcp_imported"] for r in results}
        rows.append(
            [
                f"`{stack.name}`",
                spread([r.seconds for r in results]),
                spread([r.wall for r in results]),
                results[0].report["resources"],
                spread([r.report["peak_mib"] for r in results], digits=0),
                "yes" if True in gcp else "no",
            ]
        )
    header = ["stack", "evaluation s", "process s", "resources", "peak MiB", "imports pulumi_gcp"]
    return ["## Stacks: one evaluation each", "", *table(header, rows), ""]


def overhead_section(pairs: int) -> tuple[list[str], float]:
    rows, ratios, evaluation_ratios = [], [], []
    run_component = functools.partial(measure, "stack", str(CPU_STACK.relative_to(ROOT)))
    run_handwritten = functools.partial(measure, "handwritten")
    run_component()  # one untimed warm-up each, as in ``repeat``
    run_handwritten()
    for pair in range(1, pairs + 1):
        component, handwritten = run_component(), run_handwritten()
        ratio = component.wall / handwritten.wall
        evaluation_ratio = component.seconds / handwritten.seconds
        ratios.append(ratio)
        evaluation_ratios.append(evaluation_ratio)
        rows.append(
            [pair, f"{component.wall:.3f}", f"{handwritten.wall:.3f}", f"{ratio:.3f}", f"{evaluation_ratio:.3f}"]
        )
    rows.append(["**median (min-max)**", "", "", spread(ratios, digits=3), spread(evaluation_ratios, digits=3)])
    header = ["pair", "component process s", "hand-written process s", "ratio (process)", "ratio (evaluation)"]
    lines = [
        "## Overhead: the lammps-cpu stack against the same resources written by hand",
        "",
        "Run alternately, component then hand-written (`bench/handwritten_lammps.py`), pair by pair.",
        "",
        *table(header, rows),
        "",
    ]
    return lines, statistics.median(ratios)


def levers_section(pairs: int) -> list[str]:
    """Levers tried against the evaluation overhead, on the lammps-cpu stack:
    the package's stack program with and without each."""
    stack = str(CPU_STACK.relative_to(ROOT))
    run_plain = functools.partial(measure, "stack-unfrozen", stack)
    run_frozen = functools.partial(measure, "stack", stack)
    run_plain()
    run_frozen()
    plain, frozen = [], []
    for _ in range(pairs):
        plain.append(run_plain().wall)
        frozen.append(run_frozen().wall)
    gain = 1 - statistics.median(frozen) / statistics.median(plain)
    crypto = repeat(3, functools.partial(measure, "import", "cryptography.hazmat.primitives.asymmetric.x25519"))
    rows = [
        [
            "`gc.freeze()` once the program's modules are imported (kept)",
            spread(plain, digits=3),
            spread(frozen, digits=3),
            f"{gain:+.1%} (median)",
        ],
        [
            "deferring imports a stack does not need",
            "",
            "",
            "not kept, nothing left to defer: every stack needs pydantic (validation), cryptography (the CURVE "
            f"certificate, {spread([r.seconds for r in crypto], scale=1000, digits=0)} ms once the SDK is loaded), "
            "pulumi_gcp or pulumi_kubernetes (the resources); the operator, bucket, broker-config and "
            "Kubernetes-API modules load only for stacks that use them",
        ],
    ]
    header = ["lever", "without: process s", "with: process s", "effect"]
    return [
        "## Levers tried against the overhead",
        "",
        f"The lammps-cpu stack, {pairs} runs of each, alternating.",
        "",
        *table(header, rows),
        "",
    ]


def scale_section(sizes: list[int], runs: int) -> tuple[list[str], dict[int, float]]:
    walls: dict[int, list[float]] = {}
    evaluations: dict[int, list[float]] = {}
    resources: dict[int, int] = {}
    for size in sizes:
        results = repeat(runs, functools.partial(measure, "sweep", str(size)))
        walls[size] = [r.wall for r in results]
        evaluations[size] = [r.seconds for r in results]
        resources[size] = results[0].report["resources"]
    smallest = min(sizes)
    rows = []
    for size in sizes:
        marginal = "-"
        if size > smallest:
            extra = statistics.median(evaluations[size]) - statistics.median(evaluations[smallest])
            marginal = f"{1000 * extra / (size - smallest):.1f}"
        rows.append([size, resources[size], spread(walls[size]), spread(evaluations[size]), marginal])
    header = ["MiniClusters", "resources", "process s", "evaluation s", f"marginal ms per MiniCluster (vs {smallest})"]
    lines = [
        "## Scale: N MiniClusters in one program, sharing one node pool (`bench/sweep.py`)",
        "",
        *table(header, rows),
        "",
    ]
    return lines, {size: statistics.median(walls[size]) for size in sizes}


def startup_section(runs: int) -> list[str]:
    rows = []
    for label, module in (
        ("`from pydantic import BaseModel` (the library that validates the spec)", "pydantic.main"),
        ("`from flux_minicluster import load_spec` (the spec and its rules)", "flux_minicluster.spec"),
        ("`from flux_minicluster import FluxMiniCluster`", "flux_minicluster.component.minicluster"),
    ):
        results = repeat(runs, functools.partial(measure, "import", module))
        imports_gcp = any(r.report["pulumi_gcp_imported"] for r in results)
        rows.append([label, spread([r.seconds for r in results], scale=1000, digits=0), "yes" if imports_gcp else "no"])
    return ["## Startup", "", *table(["import", "ms", "imports pulumi_gcp"], rows), ""]


def render_section(stacks: list[Path], runs: int) -> tuple[list[str], float]:
    rows, medians = [], []
    for stack in stacks:
        results = repeat(runs, functools.partial(run_process, render_command(stack), parse=False))
        medians.append(statistics.median(r.wall for r in results))
        rows.append([f"`flux-minicluster render {stack.relative_to(ROOT)}`", spread([r.wall for r in results])])
    lines = ["## `flux-minicluster render`, whole command from process start", "", *table(["command", "s"], rows), ""]
    return lines, max(medians)


def environment() -> list[str]:
    versions = ", ".join(
        f"{package} {metadata.version(package)}"
        for package in ("pulumi", "pulumi-gcp", "pulumi-kubernetes", "pulumi-random", "pydantic")
    )
    return [
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {versions}. {datetime.now(UTC):%Y-%m-%d}.",
        "",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--pairs", type=int, default=15, help="component/hand-written pairs (default 15)")
    parser.add_argument("--scale", default="1,8,64", help="MiniClusters per program (default 1,8,64)")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.pairs < 1:
        parser.error("--runs and --pairs must be at least 1")
    sizes = sorted({int(size) for size in args.scale.split(",")})
    stacks = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))

    command = f"python bench/run.py --runs {args.runs} --pairs {args.pairs} --scale {args.scale}"
    report = [f"# flux-minicluster benchmark (`{command}`)", ""]
    report += environment()
    lines, ratio = overhead_section(args.pairs)
    report += stack_section(stacks, args.runs) + lines + levers_section(args.pairs)
    lines, sweep_walls = scale_section(sizes, args.runs)
    report += lines + startup_section(args.runs)
    lines, slowest_render = render_section(stacks, args.runs)
    report += lines

    targets = [
        [
            "overhead ratio (process, median)",
            f"<= {MAX_OVERHEAD_RATIO:.2f}",
            f"{ratio:.3f}",
            ratio <= MAX_OVERHEAD_RATIO,
        ],
        [
            "slowest `render` (median)",
            f"< {MAX_RENDER_SECONDS:.0f} s",
            f"{slowest_render:.2f} s",
            slowest_render < MAX_RENDER_SECONDS,
        ],
    ]
    if SWEEP_TARGET_SIZE in sweep_walls:
        wall = sweep_walls[SWEEP_TARGET_SIZE]
        targets.insert(
            1,
            [
                f"{SWEEP_TARGET_SIZE} MiniClusters in one program (process, median)",
                f"< {MAX_SWEEP_SECONDS:.0f} s",
                f"{wall:.2f} s",
                wall < MAX_SWEEP_SECONDS,
            ],
        )
    rows = [[name, target, measured, "met" if met else "**missed**"] for name, target, measured, met in targets]
    report += ["## Targets", "", *table(["what", "target", "measured", ""], rows), ""]

    text = "\n".join(report)
    print(text)
    if args.output:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""One measurement in a fresh process; prints one JSON object.

    python bench/measure.py stack stacks/Pulumi.lammps-cpu.yaml
    python bench/measure.py stack-unfrozen stacks/Pulumi.lammps-cpu.yaml
    python bench/measure.py handwritten
    python bench/measure.py sweep 64
    python bench/measure.py import flux_minicluster.spec

``seconds`` runs from before the program's modules are imported to the end of
its evaluation under the mock engine. The harness is loaded first and not
counted; it imports the Pulumi SDK and nothing of flux_minicluster's own, so
both programs pay for their own imports. The parent process times the whole
process from start to exit.
"""

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


def evaluate(kind: str, argument: str | None) -> dict[str, Any]:
    from flux_minicluster.testing import run_under_mocks

    config: dict[str, Any] = {}
    start = time.perf_counter()
    if kind == "stack-unfrozen":
        # The stack program without its gc.freeze() lever.
        import gc

        gc.freeze = lambda: None
        kind = "stack"
    if kind == "stack":
        from flux_minicluster.component.program import run as program
        from flux_minicluster.testing import stack_settings

        config = stack_settings(Path(str(argument)))
    elif kind == "handwritten":
        sys.path.insert(0, str(BENCH))
        from handwritten_lammps import main as program
    elif kind == "sweep":
        sys.path.insert(0, str(BENCH))
        from sweep import sweep

        count = int(str(argument))

        def program() -> None:
            sweep(count)
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    mocks, _ = run_under_mocks(program, config)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "resources": len(mocks.resources)}


def import_time(module: str) -> dict[str, Any]:
    start = time.perf_counter()
    __import__(module)
    return {"seconds": time.perf_counter() - start}


def main(argv: list[str]) -> None:
    kind, argument = argv[0], (argv[1] if len(argv) > 1 else None)
    result = import_time(str(argument)) if kind == "import" else evaluate(kind, argument)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["pulumi_gcp_imported"] = "pulumi_gcp" in sys.modules
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])

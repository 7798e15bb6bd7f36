"""How long real Flux brokers take to form an instance from what the builders generate.

    sudo python bench/broker_readiness.py [--size 8] [--runs 5]

Starts ``--size`` brokers of the native backend (the ConfigMap's scripts,
unmodified, one UTS and mount namespace per rank in a private network
namespace, as ``tests/test_real_brokers.py`` runs them) and reports, as the
median with min and max over ``--runs`` instances:

- *ready*: from starting every rank at once to every rank's readiness probe
  passing (what ``pulumi up`` waits for);
- *first job*: from then to ``flux run -N SIZE true`` returning through the
  exported flux command.

Needs root and flux-core (``FLUX_CORE_PREFIX``, or ``tools/flux-core.sh``'s
cache). All brokers share this machine's cores, so the figures are an upper
bound for one broker per node.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from broker_sandbox import flux_core_prefix, in_pod, sandbox_for, wait_until  # noqa: E402

from flux_minicluster import load_spec  # noqa: E402
from flux_minicluster.endpoint import lead_broker  # noqa: E402

#: Bound of each wait.
TIMEOUT_SECONDS = 180


def one_instance(size: int, flux_core: Path) -> tuple[float, float]:
    spec = load_spec(
        {"miniCluster": {"name": "bench", "namespace": "bench", "size": size, "containers": [{"image": "app"}]}}
    )
    with sandbox_for(spec, flux_core) as box:
        started = time.monotonic()
        for index in range(size):
            box.start(index)
        if not wait_until(lambda: all(box.ready(i) for i in range(size)), TIMEOUT_SECONDS):
            raise SystemExit(f"the instance did not form in {TIMEOUT_SECONDS} s:\n{box.logs()}")
        ready = time.monotonic() - started
        flux = in_pod(lead_broker(spec.mini_cluster).flux_command)
        begun = time.monotonic()
        ran = box.exec(0, shlex.join([*flux, "run", f"-N{size}", "true"]), timeout=TIMEOUT_SECONDS)
        if ran.returncode != 0:
            raise SystemExit(f"flux run failed: {ran.stderr}")
        return ready, time.monotonic() - begun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    flux_core, why = flux_core_prefix()
    if flux_core is None:
        raise SystemExit(why)
    ready, first_job = [], []
    for _ in range(args.runs):
        r, j = one_instance(args.size, flux_core)
        ready.append(r)
        first_job.append(j)

    def figure(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"

    print(f"| {args.size} brokers, {args.runs} instances | ready | first job |")
    print("| --- | --- | --- |")
    print(f"| native backend, flux-core {flux_core.name.rsplit('-', 1)[-1]} | {figure(ready)} | {figure(first_job)} |")


if __name__ == "__main__":
    main()

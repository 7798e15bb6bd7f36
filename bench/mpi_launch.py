"""What launching an MPI job through the instance costs: LAMMPS by ``flux run`` and by ``mpirun``.

    sudo python bench/mpi_launch.py [--size 2] [--rounds 5] [--x 2 --y 2 --steps 300]

Forms a native MiniCluster of ``--size`` real Flux brokers (the ConfigMap's
scripts, unmodified, each pod on its own CPU, as the tests on real brokers run
them) and, in each round, runs the same LAMMPS Lennard-Jones input
(``tests/data/hpc/in.lj``, Debian's ``lmp`` on Open MPI) with one MPI rank
per pod, both ways, in alternating order:

- *flux run*: ``flux run -N SIZE -n SIZE lmp ...`` through the exported flux
  command, as a user submits it;
- *mpirun*: Open MPI's ``mpirun`` with a hostfile of the pods' names and an
  rsh agent that enters each pod (as the MPI Operator's launcher runs it,
  with ``kubectl exec`` as the agent), from a launcher in the pods' network.

It reports the median (min-max) of each way's wall time (start of the
command to its exit), of LAMMPS' own loop time and of their difference (the
launch and the set-up before the loop), and of the ratio flux run / mpirun of
each round's pair. Keep ``--size`` at or below this machine's cores:
oversubscribed Open MPI ranks busy-poll and distort both ways.

Needs root, flux-core (``FLUX_CORE_PREFIX``, or ``tools/flux-core.sh``'s
cache), and Debian's ``lammps`` and ``openmpi-bin``.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from broker_sandbox import Sandbox, flux_core_prefix, in_pod, load_stretch, sandbox_for  # noqa: E402

from flux_minicluster import load_spec  # noqa: E402
from flux_minicluster.endpoint import lead_broker  # noqa: E402
from flux_minicluster.spec import ExperimentSpec  # noqa: E402

INPUT = ROOT / "tests" / "data" / "hpc" / "in.lj"
#: Bound of each run.
TIMEOUT_SECONDS = 600
LOOP_TIME = re.compile(r"Loop time of ([0-9.]+) on (\d+) procs")


def rsh_agent(box: Sandbox, size: int, folder: Path) -> Path:
    """An rsh agent for mpirun: ``agent HOST WORDS...`` runs WORDS with a shell in
    pod HOST's broker container, as ``kubectl exec POD -- sh -c`` does."""
    cases = "\n".join(
        f'  {box.name}-{index}) exec {shlex.join(box.exec_argv(index, ["/bin/sh", "-c"]))} "$*" ;;'
        for index in range(size)
    )
    agent = folder / "rsh-agent"
    agent.write_text(
        "#!/bin/sh\n"
        'while [ "${1#-}" != "$1" ]; do shift; done  # options an rsh agent may get\n'
        'host="$1"; shift\n'
        f'case "$host" in\n{cases}\n'
        '  *) echo "rsh-agent: no pod $host" >&2; exit 1 ;;\n'
        "esac\n"
    )
    agent.chmod(0o755)
    return agent


def timed(command: list[str], ranks: int) -> tuple[float, float]:
    """Wall time of ``command`` and the loop time LAMMPS reports (on ``ranks`` MPI processes)."""
    begun = time.monotonic()
    ran = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS * load_stretch(), check=False)
    wall = time.monotonic() - begun
    found = LOOP_TIME.search(ran.stdout)
    if ran.returncode != 0 or found is None or int(found.group(2)) != ranks:
        raise SystemExit(f"{shlex.join(command[:4])} ... failed ({ran.returncode}):\n{ran.stdout}\n{ran.stderr}")
    return wall, float(found.group(1))


def experiment(size: int) -> ExperimentSpec:
    return load_spec(
        {"miniCluster": {"name": "bench", "namespace": "bench", "size": size, "containers": [{"image": "app"}]}}
    )


def measure(args: argparse.Namespace, flux_core: Path) -> dict[str, list[tuple[float, float]]]:
    spec = experiment(args.size)
    size = args.size
    lammps = ["lmp", "-in", "/opt/app/in.lj", "-log", "none", "-var", "x", str(args.x), "-var", "y", str(args.y)]
    lammps += ["-var", "steps", str(args.steps)]
    results: dict[str, list[tuple[float, float]]] = {"flux run": [], "mpirun": []}
    with tempfile.TemporaryDirectory(prefix="mpi-launch-") as scratch, sandbox_for(spec, flux_core) as box:
        app = Path(scratch) / "app"
        app.mkdir()
        shutil.copy(INPUT, app / "in.lj")
        # mpirun passes its rsh agent's path on to each orted, which checks that it
        # exists: the pods see the launcher's folder (and never run the agent).
        launcher = Path(scratch) / "launcher"
        launcher.mkdir()
        box.mounts = {"/opt/app": app, str(launcher): launcher}
        for index in range(size):
            box.start(index)
        box.wait_ready(list(range(size)), timeout=TIMEOUT_SECONDS)
        flux = in_pod(lead_broker(spec.mini_cluster).flux_command)
        through_flux = box.exec_argv(
            0, ["/bin/sh", "-c", shlex.join([*flux, "run", f"-N{size}", f"-n{size}", *lammps])]
        )
        hostfile = launcher / "hostfile"
        hostfile.write_text("".join(f"{box.name}-{index} slots=1\n" for index in range(size)))
        agent = rsh_agent(box, size, launcher)
        direct = ["nsenter", f"--net={box.netns}", "mpirun.openmpi", "--allow-run-as-root", "--hostfile", str(hostfile)]
        direct += [
            "--mca",
            "plm_rsh_agent",
            str(agent),
            "--mca",
            "plm_rsh_no_tree_spawn",
            "1",
            "-np",
            str(size),
            "--map-by",
            "node",
        ]
        # Each pod's CPU is its own (as a container's cpuset is); Open MPI's default
        # binding would put every pod's rank on the host's first core instead.
        direct += ["--bind-to", "none", *lammps]
        ways = {"flux run": through_flux, "mpirun": direct}
        for command in ways.values():  # once each, untimed: caches warm
            timed(command, size)
        for round_ in range(args.rounds):
            order = list(ways) if round_ % 2 == 0 else list(reversed(ways))
            for name in order:
                results[name].append(timed(ways[name], size))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=min(2, len(os.sched_getaffinity(0))))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--x", type=int, default=2)
    parser.add_argument("--y", type=int, default=2)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    if args.size > len(os.sched_getaffinity(0)):
        raise SystemExit(f"--size {args.size} is more ranks than this machine's {len(os.sched_getaffinity(0))} cores")
    flux_core, why = flux_core_prefix()
    if flux_core is None:
        raise SystemExit(why)
    results = measure(args, flux_core)

    def figure(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"

    atoms = 4000 * args.x * args.y
    print(
        f"| LAMMPS LJ, {atoms} atoms, {args.steps} steps, {args.size} ranks, {args.rounds} rounds | wall s | loop s | wall - loop s |"
    )
    print("| --- | --- | --- | --- |")
    for name, rows in results.items():
        walls, loops = [w for w, _ in rows], [lp for _, lp in rows]
        print(f"| {name} | {figure(walls)} | {figure(loops)} | {figure([w - lp for w, lp in rows])} |")
    flux, direct = results["flux run"], results["mpirun"]
    # Each round's two runs side by side: the ratio of each pair, then their median.
    pairs = [(f[0] / d[0], f[1] / d[1]) for f, d in zip(flux, direct, strict=True)]
    print(
        f"| ratio flux run / mpirun, per round | {figure([w for w, _ in pairs])} | {figure([lp for _, lp in pairs])} | |"
    )


if __name__ == "__main__":
    main()

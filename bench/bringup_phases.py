"""Where the time goes between starting a native MiniCluster's pods and every
broker ready, against bare ``flux broker`` processes from the same config.

    sudo python bench/bringup_phases.py [--sizes 8,64] [--rounds 3]

Both run in the sandbox the real-broker tests use (one UTS and mount namespace
per pod, a private network namespace, each pod on a CPU of this machine in
turn). *native*: the pod as the builders write it, its init container and
entrypoint unmodified (and with ``flux.viewImageVolume``: no init container). *bare*: the same pods and the same broker config,
certificate, resource set and options, with everything the entrypoint
prepares already in the pod's volume, and a container that only starts
``flux broker``. The two alternate, round by round.

Phases, each when the last rank reaches it (seconds from starting every pod
at once; median, min and max over ``--rounds``), read from each rank's log
as it is written: *init* (the init container's copy done), *broker* (the
broker's first log line), *joined* (connected to its parent and synced),
*rc1* (its rc1 done), *run* (the instance running), and *ready* (every
rank's readiness probe passing, which is what ``pulumi up`` waits for).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from broker_sandbox import Sandbox, flux_core_prefix, sandbox_for, wait_until  # noqa: E402

from flux_minicluster import load_spec  # noqa: E402
from flux_minicluster.backends.native.entrypoint import broker_options  # noqa: E402
from flux_minicluster.broker import fluxfacts  # noqa: E402
from flux_minicluster.spec import ExperimentSpec  # noqa: E402

TIMEOUT_SECONDS = 300
POLL_SECONDS = 0.02
#: Each phase, and the log line that marks it (the last rank's time counts).
PHASES: tuple[tuple[str, str], ...] = (
    ("init", "flux view "),
    ("broker", "builtins-success"),
    ("joined", "config-sync->init"),
    ("rc1", "init->quorum"),
    ("run", "quorum->run"),
)


def experiment(size: int, **flux: object) -> ExperimentSpec:
    mc = {"name": "up", "namespace": "bench", "size": size, "containers": [{"image": "app"}], "flux": flux}
    return load_spec({"miniCluster": mc})


def bare_entrypoint(spec: ExperimentSpec) -> str:
    """A container that only starts the broker, as the native one finally does."""
    mc = spec.mini_cluster
    options = " ".join(shlex.quote(option) for option in broker_options(mc))
    broker = f"flux broker --config-path={fluxfacts.BROKER_CONFIG_DIR} {options}"
    lead = fluxfacts.broker_hostname(mc.name, 0)
    return (
        "#!/bin/sh\n"
        f". {fluxfacts.FLUX_VIEW_ENV_SCRIPT}\n"
        f'if [ "$(cat /proc/sys/kernel/hostname)" = {lead} ]; then {broker} -Sbroker.rc2_none=1\n'
        f"else {broker}; fi\n"
    )


def prepare_bare(box: Sandbox, spec: ExperimentSpec) -> None:
    """Everything the native entrypoint writes, in each pod's volume before it starts."""
    mc = spec.mini_cluster
    assert mc.max_size is not None
    hosts = fluxfacts.hostlist(mc.name, mc.max_size)
    resource_set = os.popen(f"{box.flux_core}/bin/flux R encode --hosts={shlex.quote(hosts)} --cores=0").read()
    for index in range(mc.size):
        volume = box.root / f"pod-{index}" / "volume-flux-view"
        for folder in (fluxfacts.BROKER_CONFIG_DIR, fluxfacts.CRON_DIR, fluxfacts.STATE_DIR, fluxfacts.RUN_DIR):
            (volume / _inside(folder)).mkdir(parents=True, exist_ok=True)
        volume.chmod(0o777)
        (volume / _inside(fluxfacts.BROKER_CONFIG_DIR) / fluxfacts.BROKER_CONFIG_KEY).write_text(
            box.config_map[fluxfacts.BROKER_CONFIG_KEY]
        )
        (volume / _inside(fluxfacts.RESOURCE_PATH)).write_text(resource_set)
        cert = volume / _inside(fluxfacts.CERT_PATH)
        cert.parent.mkdir(parents=True, exist_ok=True)
        cert.write_text(box.secret[fluxfacts.CERT_SECRET_KEY])
        cert.chmod(0o600)
        (volume / _inside(fluxfacts.FLUX_VIEW_ENV_SCRIPT)).write_text(
            f"export PATH='{box.flux_core}/bin:/usr/bin:/bin'\n"
            f"export {fluxfacts.FLUX_SOCKET_VARIABLE}={fluxfacts.LOCAL_URI}\n"
        )


def _inside(path: str) -> str:
    """A path of the pod's /mnt/flux volume, relative to the volume."""
    return str(Path(path).relative_to(fluxfacts.FLUX_VIEW_MOUNT))


def one_round(spec: ExperimentSpec, flux_core: Path, bare: bool) -> dict[str, float]:
    """Seconds from starting every pod to each phase of the last rank."""
    size = spec.mini_cluster.size
    box = sandbox_for(spec, flux_core)
    if bare:
        box.config_map = {**box.config_map, fluxfacts.ENTRYPOINT_KEY: bare_entrypoint(spec)}
        box.pod = {key: value for key, value in box.pod.items() if key != "initContainers"}
    with box:
        if bare:
            prepare_bare(box, spec)
        logs = [box.root / f"rank-{index}.log" for index in range(size)]
        seen: dict[str, dict[int, float]] = {phase: {} for phase, _ in PHASES}
        started = time.monotonic()
        for index in range(size):
            box.start(index)

        def poll() -> bool:
            now = time.monotonic() - started
            for index, log in enumerate(logs):
                text = log.read_text(errors="replace") if log.exists() else ""
                for phase, mark in PHASES:
                    if index not in seen[phase] and mark in text:
                        seen[phase][index] = now
            return len(seen["run"]) == size

        if not wait_until(poll, TIMEOUT_SECONDS, POLL_SECONDS):
            raise SystemExit(f"the instance did not run in {TIMEOUT_SECONDS} s:\n{box.logs()}")
        if not wait_until(lambda: all(box.ready(i) for i in range(size)), TIMEOUT_SECONDS):
            raise SystemExit(f"the ranks were not ready in {TIMEOUT_SECONDS} s:\n{box.logs()}")
        ready = time.monotonic() - started
    phases = {phase: max(times.values()) for phase, times in seen.items() if len(times) == size}
    phases["ready"] = ready
    return phases


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,64")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    flux_core, why = flux_core_prefix()
    if flux_core is None:
        print(f"cannot run real brokers here: {why}", file=sys.stderr)
        return 2
    names = ["init", *(phase for phase, _ in PHASES[1:]), "ready"]
    print("| ranks | start | " + " | ".join(names) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in names) + " |")
    ratios: list[str] = []
    kinds: tuple[tuple[str, bool, dict[str, object]], ...] = (
        ("native", False, {}),
        ("native, `viewImageVolume`", False, {"viewImageVolume": True}),
        ("bare `flux broker`", True, {}),
    )
    for size in (int(s) for s in args.sizes.split(",")):
        rounds: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in kinds}
        for _ in range(args.rounds):
            for label, bare, flux in kinds:
                rounds[label].append(one_round(experiment(size, **flux), flux_core, bare))
        for label, _, _ in kinds:
            cells: list[str] = []
            for name in names:
                values = [r[name] for r in rounds[label] if name in r]
                cells.append(spread(values) if values else "-")
            print(f"| {size} | {label} | " + " | ".join(cells) + " |")
        bare_ready = statistics.median(r["ready"] for r in rounds["bare `flux broker`"])
        for label, bare, _ in kinds:
            if not bare:
                ready = statistics.median(r["ready"] for r in rounds[label])
                ratios.append(f"{size} ranks, {label} / bare: {ready / bare_ready:.2f}")
    print()
    print("; ".join(ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())

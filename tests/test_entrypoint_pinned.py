"""The native backend's shell scripts, pinned whole: a reviewer sees every
change to generated shell as a diff. The steps and paths are the Flux
Operator's (FACTS.md, "How a rank starts", sections 2 and 4), the broker
options those it passes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flux_minicluster.backends.native.entrypoint import (
    LINK_TREE,
    broker_options,
    entrypoint_script,
    init_script,
    lead_program,
    ready_script,
    submit_flags,
)
from flux_minicluster.spec import MiniClusterSpec

BASE: dict[str, Any] = {
    "name": "lammps",
    "namespace": "lab",
    "size": 2,
    "maxSize": 4,
    "containers": [{"image": "app:1"}],
}

STATE = "/mnt/flux/config"
OPTIONS = [
    f"-Scron.directory={STATE}/etc/flux/system/cron.d",
    "-Stbon.fanout=256",
    f"-Srundir={STATE}/run/flux",
    f"-Sstatedir={STATE}/var/lib/flux",
    f"-Slocal-uri=local://{STATE}/run/flux/local",
    "-Stbon.connect_timeout=5s",
    "-Sbroker.quorum=1",
    "-Slog-stderr-level=6",
    "-Slog-stderr-mode=local",
]


def _mc(**changes: Any) -> MiniClusterSpec:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return MiniClusterSpec.model_validate(data)


def _with_command(**container: Any) -> MiniClusterSpec:
    return _mc(containers=[{"image": "app:1", "command": "lmp -in in.lj", **container}])


def test_init_script_copies_everything_when_asked() -> None:
    assert init_script("all") == (
        "#!/bin/sh\n"
        "# Runs in the view image: copy its Flux install (a spack view whose files link\n"
        "# into /opt/software) into the volume the broker container mounts.\n"
        "set -eu\n"
        "views=/opt/views/._view\n"
        'view="$(ls "$views" | head -n 1)"\n'
        "mkdir -p /mnt/flux/view /mnt/flux/software\n"
        'cp -R "$views/$view/." /mnt/flux/view/\n'
        "cp -R /opt/software/. /mnt/flux/software/\n"
        'echo "flux view $view copied"\n'
    )


def test_ready_script_asks_the_local_broker_whether_the_instance_runs() -> None:
    assert ready_script() == (
        "#!/bin/sh\n"
        "# Readiness probe: the broker's state as its local socket reports it. A broker\n"
        "# that has not joined (wrong certificate, lead unreachable) stays in 'join'.\n"
        ". /mnt/flux/flux-view.sh || exit 1\n"
        'state="$(FLUX_URI="$fluxsocket" flux uptime 2>/dev/null)" || exit 1\n'
        "set -- $state\n"
        '[ "${2:-}" = run ]\n'
    )


def test_broker_options_are_the_operators_with_our_state_paths() -> None:
    assert broker_options(_mc()) == OPTIONS


def test_broker_options_carry_topology_timeout_quorum_and_log_level() -> None:
    mc = _mc(minSize=2, flux={"topology": "kary:2", "connectTimeout": "10s", "logLevel": 7})
    assert broker_options(mc) == [
        *OPTIONS[:5],
        "-Stbon.connect_timeout=10s",
        "-Stbon.topo=kary:2",
        "-Sbroker.quorum=2",
        "-Slog-stderr-level=7",
        "-Slog-stderr-mode=local",
    ]


@pytest.mark.parametrize(
    ("tasks", "flags"),
    [
        (None, "-N 2 -n 2"),  # one task per broker by default
        (2, "-N 2 -n 2"),  # as many tasks as brokers: every node gets one
        (8, "-N 2 -n 8"),
        (1, "-n 1"),  # fewer tasks than brokers: no node count
    ],
)
def test_submit_flags_name_the_nodes_only_when_every_node_gets_a_task(tasks: int | None, flags: str) -> None:
    assert submit_flags(_mc(tasks=tasks)) == flags


def test_submit_flags_end_with_the_users_option_flags() -> None:
    assert submit_flags(_mc(flux={"optionFlags": "-o cpu-affinity=per-task"})) == "-N 2 -n 2 -o cpu-affinity=per-task"


def test_lead_program_submits_the_command_and_waits_for_it() -> None:
    mc = _with_command(commands={"prefix": "time"})
    assert lead_program(mc, mc.containers[0]) == "time flux submit -N 2 -n 2 --quiet --watch lmp -in in.lj"


def test_a_launcher_command_runs_as_it_is() -> None:
    mc = _with_command(launcher=True)
    assert lead_program(mc, mc.containers[0]) == "lmp -in in.lj"


def test_an_interactive_instance_stays_up_after_the_command() -> None:
    mc = _mc(interactive=True, containers=[{"image": "app:1", "command": "hostname"}])
    assert lead_program(mc, mc.containers[0]) == (
        'flux submit -N 2 -n 2 --quiet --watch hostname; echo "the command exited with $?; '
        'the instance stays up for more jobs"; while :; do sleep 3600; done'
    )


def test_without_a_command_the_lead_runs_nothing() -> None:
    mc = _mc()
    assert lead_program(mc, mc.containers[0]) is None


CERT = f"{STATE}/curve/minicluster.cert"
_PREAMBLE = [
    "view=/mnt/flux/view",
    "# The view's files link into /opt/software: link the init container's copy there.",
    *LINK_TREE.splitlines(),
    "if [ /opt/software -ef /mnt/flux/software ] || [ ! -d /mnt/flux/software ]; then :",
    "elif [ ! -e /opt/software ] && ln -s /mnt/flux/software /opt/software 2>/dev/null; then :",
    "elif [ -d /opt/software ] && [ -w /opt/software ]; then link_tree /mnt/flux/software /opt/software || exit 1",
    'else echo "/opt/software cannot take the Flux view: it is not writable by $(id -u)" >&2; exit 1; fi',
    'export PATH="$PATH:$view/bin"',
    'for site in "$view"/lib/python3*/site-packages; do',
    '    if [ -d "$site" ]; then export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$site"; fi',
    "done",
    'if [ "${HOME:-/}" = / ]; then export HOME=/tmp; fi',
    'export FLUX_RC_EXTRA="$view/etc/flux/rc1.d"',
    "# The environment for kubectl exec sessions: Flux on PATH, the instance's socket.",
    "{ echo \"export PATH='$PATH'\"; echo \"export PYTHONPATH='${PYTHONPATH:-}'\"; "
    "echo \"export LD_LIBRARY_PATH='${LD_LIBRARY_PATH:-}'\"; "
    'echo "export fluxsocket=local:///mnt/flux/config/run/flux/local"; } > /mnt/flux/flux-view.sh',
    f"mkdir -p {STATE}/etc/flux/config {STATE}/etc/flux/system/cron.d {STATE}/var/lib/flux {STATE}/run/flux "
    f"{STATE}/curve",
    f"cp /flux_minicluster/config/broker.toml {STATE}/etc/flux/config/broker.toml",
    "# The certificate as a file of this broker's user that no one else can read.",
    f"rm -f {CERT}.new && (umask 077 && cat /flux_minicluster/curve/curve.cert > {CERT}.new) && "
    f"mv {CERT}.new {CERT} || exit 1",
    "# The resource set: every rank as this pod has it (its cores).",
    f"flux R encode --hosts=lammps-[0-3] --local > {STATE}/etc/flux/system/R.new && "
    f"mv {STATE}/etc/flux/system/R.new {STATE}/etc/flux/system/R || exit 1",
]
_RUN_BROKER = [
    "# The broker runs as a child so that the pod's stop request (SIGTERM) reaches",
    "# it and it leaves the instance cleanly; wait until it has ended.",
    '"$@" &',
    "broker=$!",
    "trap 'kill -TERM \"$broker\" 2>/dev/null' TERM INT",
    'while :; do wait "$broker"; status=$?; kill -0 "$broker" 2>/dev/null || break; done',
]
_BROKER = f"flux broker --config-path={STATE}/etc/flux/config $options"


def test_entrypoint_of_an_instance_that_waits_for_jobs() -> None:
    mc = _mc()
    assert entrypoint_script(mc, mc.containers[0]) == "\n".join(
        [
            "#!/bin/sh",
            "# One Flux broker of MiniCluster lammps; rank 0 (lammps-0) leads the instance.",
            "set -u",
            *_PREAMBLE,
            "options='" + " ".join(OPTIONS) + "'",
            'if [ "$(cat /proc/sys/kernel/hostname)" = lammps-0 ]; then',
            f"    set -- {_BROKER} -Sbroker.rc2_none=1",
            "else",
            f"    set -- {_BROKER}",
            "fi",
            *_RUN_BROKER,
            "# An instance that waits for jobs has no end of its own: a broker that ended",
            "# was stopped, and its rank must start again, not count as done.",
            'if [ "$status" -eq 0 ]; then status=75; fi',
            'exit "$status"',
            "",
        ]
    )


def test_entrypoint_runs_each_hook_where_the_operator_runs_it() -> None:
    mc = _with_command(
        commands={
            "init": "echo init",
            "pre": "echo pre\necho pre2",
            "brokerPre": "echo lead",
            "workerPre": "echo worker",
            "post": "echo post",
        }
    )
    assert entrypoint_script(mc, mc.containers[0]) == "\n".join(
        [
            "#!/bin/sh",
            "# One Flux broker of MiniCluster lammps; rank 0 (lammps-0) leads the instance.",
            "set -u",
            "# commands.init",
            "echo init",
            *_PREAMBLE,
            "# commands.pre",
            "echo pre",
            "echo pre2",
            "options='" + " ".join(OPTIONS) + "'",
            'if [ "$(cat /proc/sys/kernel/hostname)" = lammps-0 ]; then',
            "    # commands.brokerPre",
            "    echo lead",
            f"    set -- {_BROKER} sh -c 'flux submit -N 2 -n 2 --quiet --watch lmp -in in.lj'",
            "else",
            "    # commands.workerPre",
            "    echo worker",
            f"    set -- {_BROKER}",
            "fi",
            *_RUN_BROKER,
            "# commands.post",
            "echo post",
            'exit "$status"',
            "",
        ]
    )

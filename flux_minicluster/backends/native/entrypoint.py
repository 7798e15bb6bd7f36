"""The shell scripts that start a Flux broker in a native MiniCluster pod.

Three scripts, shipped in the MiniCluster's ConfigMap and run unmodified by
the tests on real brokers:

- ``init.sh``, in the init container of the view image: copies the image's
  Flux install into the pod's ``/mnt/flux`` volume, as the Flux Operator does;
- ``entrypoint.sh``, in the application container: sets up the environment,
  writes the resource set and the broker config, runs the ``commands`` hooks
  at the points the operator runs them, and starts the broker;
- ``ready.sh``, the readiness probe: a rank is ready when its broker has
  joined the instance and the instance runs (on rank 0: quorum reached and
  rc1 done, so job submissions are accepted).

Nothing here depends on ``size``, so changing it never changes the
ConfigMap: the ranks that join later read the same scripts. Every value is
quoted for the shell; hooks are the user's shell lines, inserted as written.
"""

from __future__ import annotations

import shlex

from ...broker import fluxfacts
from ...spec import Container, MiniClusterSpec

_SHEBANG = "#!/bin/sh\n"


def init_script(copy: str = "runtime") -> str:
    """Copy the view image's Flux install into the shared volume: its view (a
    tree of links) and the software tree they point into; ``runtime`` leaves
    out what a broker never reads (``VIEW_BUILD_ONLY``), ``all`` copies everything."""
    software = fluxfacts.VIEW_IMAGE_SOFTWARE
    target = fluxfacts.FLUX_SOFTWARE_ROOT
    if copy == "runtime":
        excludes = " ".join(f"--exclude={shlex.quote(pattern)}" for pattern in fluxfacts.VIEW_BUILD_ONLY)
        copy_software = (
            "if command -v tar >/dev/null 2>&1; then\n"
            f"    (cd {software} && tar -cf - {excludes} .) | tar -xf - -C {target}\n"
            f"else cp -R {software}/. {target}/; fi\n"
        )
    else:
        copy_software = f"cp -R {software}/. {target}/\n"
    return (
        _SHEBANG + "# Runs in the view image: copy its Flux install (a spack view whose files link\n"
        f"# into {software}) into the volume the broker container mounts.\n"
        "set -eu\n"
        f"views={shlex.quote(fluxfacts.VIEW_IMAGE_VIEWS)}\n"
        'view="$(ls "$views" | head -n 1)"\n'
        f"mkdir -p {fluxfacts.FLUX_VIEW_ROOT} {target}\n"
        f'cp -R "$views/$view/." {fluxfacts.FLUX_VIEW_ROOT}/\n' + copy_software + 'echo "flux view $view copied"\n'
    )


def broker_options(mc: MiniClusterSpec) -> list[str]:
    """``flux broker`` options, in the operator's order; none depends on size."""
    flux = mc.flux
    options = [
        f"-Scron.directory={fluxfacts.CRON_DIR}",
        "-Stbon.fanout=256",
        f"-Srundir={fluxfacts.RUN_DIR}",
        f"-Sstatedir={fluxfacts.STATE_DIR}",
        f"-Slocal-uri={fluxfacts.LOCAL_URI}",
        f"-Stbon.connect_timeout={flux.connect_timeout}",
    ]
    if flux.topology:
        options.append(f"-Stbon.topo={flux.topology}")
    options += [
        f"-Sbroker.quorum={mc.min_size}",
        f"-Slog-stderr-level={flux.log_level}",
        "-Slog-stderr-mode=local",
    ]
    return options


def submit_flags(mc: MiniClusterSpec) -> str:
    """``flux submit`` flags of the command: its task counts, then the user's options."""
    flags = mc.task_flags
    if mc.flux.option_flags:
        flags += f" {mc.flux.option_flags}"
    return flags


def lead_program(mc: MiniClusterSpec, container: Container) -> str | None:
    """What rank 0 runs inside the instance, or None for an instance that waits for jobs."""
    if not container.command:
        return None
    prefix = f"{container.commands.prefix} " if container.commands.prefix else ""
    if container.launcher:
        # Workflow tools (snakemake, nextflow) submit their own Flux jobs.
        run = f"{prefix}{container.command}"
    else:
        run = f"{prefix}flux submit {submit_flags(mc)} --quiet --watch {container.command}"
    if not mc.interactive:
        return run
    return (
        f'{run}; echo "the command exited with $?; the instance stays up for more jobs"; while :; do sleep 3600; done'
    )


#: Shell function that merges a tree into another by symbolic links: an entry
#: the target lacks is linked whole, a folder both have is merged inside. The
#: view's files link into /opt/software, where an application image built with
#: spack keeps its own packages too: linking merges the two without copying.
LINK_TREE = """\
link_tree() {
    for entry in "$1"/* "$1"/.[!.]*; do
        { [ -e "$entry" ] || [ -L "$entry" ]; } || continue
        name="${entry##*/}"
        if [ ! -e "$2/$name" ] && [ ! -L "$2/$name" ]; then
            ln -s "$entry" "$2/$name" || return 1
        elif [ -d "$entry" ] && [ -d "$2/$name" ] && [ ! -L "$2/$name" ]; then
            link_tree "$entry" "$2/$name" || return 1
        fi
    done
}"""


def entrypoint_script(mc: MiniClusterSpec, container: Container, gpus: int = 0) -> str:
    """Start this pod's broker: rank 0 leads, the others join it. ``gpus``: the
    GPUs the container is given, which the resource set names whatever the
    view's hwloc can see (it counts GPUs only through vendor libraries)."""
    assert mc.max_size is not None
    commands = container.commands
    lead = fluxfacts.broker_hostname(mc.name, 0)
    hosts = fluxfacts.hostlist(mc.name, mc.max_size)
    options = " ".join(shlex.quote(option) for option in broker_options(mc))
    config_file = f"{fluxfacts.BROKER_CONFIG_DIR}/{fluxfacts.BROKER_CONFIG_KEY}"
    cert = fluxfacts.CERT_PATH
    cert_source = f"{fluxfacts.CERT_MOUNT_DIR}/{fluxfacts.CERT_SECRET_KEY}"
    software = fluxfacts.VIEW_IMAGE_SOFTWARE
    program = lead_program(mc, container)
    if mc.flux.view_image_volume:
        # The view image itself, read-only: its view folder, and the software its files link to.
        image = fluxfacts.FLUX_VIEW_IMAGE_MOUNT
        find_view = [
            f"for view in {image}{fluxfacts.VIEW_IMAGE_VIEWS}/*; do break; done",
            f'[ -d "$view" ] || {{ echo "the view image mounted at {image} has no Flux view" >&2; exit 1; }}',
        ]
        view_software = f"{image}{software}"
        source = "image volume's software"
    else:
        find_view = [f"view={fluxfacts.FLUX_VIEW_ROOT}"]
        view_software = fluxfacts.FLUX_SOFTWARE_ROOT
        source = "init container's copy"
    lines = [
        _SHEBANG.rstrip("\n"),
        f"# One Flux broker of MiniCluster {mc.name}; rank 0 ({lead}) leads the instance.",
        "set -u",
        _hook("init", commands.init),
        *find_view,
        f"# The view's files link into {software}: link the {source} there.",
        LINK_TREE,
        f"if [ {software} -ef {view_software} ] || [ ! -d {view_software} ]; then :",
        f"elif [ ! -e {software} ] && ln -s {view_software} {software} 2>/dev/null; then :",
        f"elif [ -d {software} ] && [ -w {software} ]; then link_tree {view_software} {software} || exit 1",
        f'else echo "{software} cannot take the Flux view: it is not writable by $(id -u)" >&2; exit 1; fi',
        'export PATH="$PATH:$view/bin"',
        'for site in "$view"/lib/python3*/site-packages; do',
        '    if [ -d "$site" ]; then export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$site"; fi',
        "done",
        *(_runs_from_image_volume() if mc.flux.view_image_volume else []),
        'if [ "${HOME:-/}" = / ]; then export HOME=/tmp; fi',
        'export FLUX_RC_EXTRA="$view/etc/flux/rc1.d"',
        "# The environment for kubectl exec sessions: Flux on PATH, the instance's socket.",
        f"{{ echo \"export PATH='$PATH'\"; echo \"export PYTHONPATH='${{PYTHONPATH:-}}'\"; "
        f"echo \"export LD_LIBRARY_PATH='${{LD_LIBRARY_PATH:-}}'\"; "
        f'echo "export {fluxfacts.FLUX_SOCKET_VARIABLE}={fluxfacts.LOCAL_URI}"; }} '
        f"> {fluxfacts.FLUX_VIEW_ENV_SCRIPT}",
        f"mkdir -p {fluxfacts.BROKER_CONFIG_DIR} {fluxfacts.CRON_DIR} {fluxfacts.STATE_DIR} {fluxfacts.RUN_DIR} "
        f"{cert.rsplit('/', 1)[0]}",
        f"cp {fluxfacts.NATIVE_CONFIG_MOUNT}/{fluxfacts.BROKER_CONFIG_KEY} {config_file}",
        "# The certificate as a file of this broker's user that no one else can read.",
        f"rm -f {cert}.new && (umask 077 && cat {cert_source} > {cert}.new) && mv {cert}.new {cert} || exit 1",
        *_resource_set(hosts, gpus),
        *_expiration(mc.deadline_seconds),
        _hook("pre", commands.pre),
        f"options={shlex.quote(options)}",
        'if [ "$(cat /proc/sys/kernel/hostname)" = ' + shlex.quote(lead) + " ]; then",
        _hook("brokerPre", commands.broker_pre, indent="    "),
    ]
    broker = f"flux broker --config-path={fluxfacts.BROKER_CONFIG_DIR} $options"
    if program is None:
        lines.append(f"    set -- {broker} -Sbroker.rc2_none=1")
    else:
        lines.append(f"    set -- {broker} sh -c {shlex.quote(program)}")
    lines += [
        "else",
        _hook("workerPre", commands.worker_pre, indent="    "),
        f"    set -- {broker}",
        "fi",
        "# The broker runs as a child so that the pod's stop request (SIGTERM) reaches",
        "# it and it leaves the instance cleanly; wait until it has ended.",
        '"$@" &',
        "broker=$!",
        "trap 'kill -TERM \"$broker\" 2>/dev/null' TERM INT",
        'while :; do wait "$broker"; status=$?; kill -0 "$broker" 2>/dev/null || break; done',
        _hook("post", commands.post),
    ]
    if mc.waits_for_jobs:
        lines += [
            "# An instance that waits for jobs has no end of its own: a broker that ended",
            "# was stopped, and its rank must start again, not count as done.",
            f'if [ "$status" -eq 0 ]; then status={fluxfacts.BROKER_ENDED_EXIT_CODE}; fi',
        ]
    lines.append('exit "$status"')
    return "\n".join(line for line in lines if line) + "\n"


def _runs_from_image_volume() -> list[str]:
    """Kubernetes' API says image volumes are mounted noexec; where a node does so,
    say it at once rather than let the broker fail to start."""
    return [
        'flux version >/dev/null 2>&1 || { echo "flux from the view image volume does not run here '
        '(mounted noexec, or without its libraries): set flux.viewImageVolume to false" >&2; exit 1; }',
    ]


def drain_seconds(deadline: int) -> int:
    """How long before the Job's deadline the instance ends its jobs: 30 s, or
    half of a shorter deadline, so the ``post`` hook (copying results) runs
    before Kubernetes stops the pods."""
    return min(30, deadline // 2)


def _expiration(deadline: int | None) -> list[str]:
    """Lines that give the resource set an end (``execution.expiration``): Flux
    then refuses a job that asks for more time than is left, naming what is
    left, and ends running jobs with a timeout exception at that time."""
    if deadline is None:
        return []
    path = fluxfacts.RESOURCE_PATH
    return [
        f"# The instance ends {drain_seconds(deadline)} s before the Job's deadline of {deadline} s, "
        "counted from this broker's start.",
        f"expires=$(( $(date +%s) + {deadline - drain_seconds(deadline)} ))",
        f'sed \'s/"expiration": 0.0/"expiration": \'"$expires"\'.0/\' {path} > {path}.new '
        f'&& grep -q "\\"expiration\\": $expires" {path}.new && mv {path}.new {path} '
        '|| { echo "the resource set\'s end could not be written" >&2; exit 1; }',
    ]


def _resource_set(hosts: str, gpus: int) -> list[str]:
    """Lines that write the resource set R: every rank as this pod has it."""
    target = f"{fluxfacts.RESOURCE_PATH}.new && mv {fluxfacts.RESOURCE_PATH}.new {fluxfacts.RESOURCE_PATH} || exit 1"
    if not gpus:
        return [
            "# The resource set: every rank as this pod has it (its cores).",
            f"flux R encode --hosts={hosts} --local > {target}",
        ]
    return [
        f"# The resource set: every rank as this pod has it, its cores and the {gpus} GPU(s) it is given.",
        "cores=$(flux R encode --local | flux R decode --count=core) || exit 1",
        # An idset: "0" for one core ("0-0" is refused), "0-N" for more.
        'if [ "$cores" -gt 1 ]; then cores="0-$((cores - 1))"; else cores=0; fi',
        f"flux R encode --hosts={hosts} --cores=$cores --gpus={_idset(gpus)} > {target}",
    ]


def _idset(count: int) -> str:
    return "0" if count == 1 else f"0-{count - 1}"


def ready_script() -> str:
    """Exit 0 once this rank's broker has joined the instance and the instance runs."""
    return (
        _SHEBANG + "# Readiness probe: the broker's state as its local socket reports it. A broker\n"
        "# that has not joined (wrong certificate, lead unreachable) stays in 'join'.\n"
        f". {fluxfacts.FLUX_VIEW_ENV_SCRIPT} || exit 1\n"
        f'state="$(FLUX_URI="${fluxfacts.FLUX_SOCKET_VARIABLE}" flux uptime 2>/dev/null)" || exit 1\n'
        "set -- $state\n"
        '[ "${2:-}" = run ]\n'
    )


def _hook(name: str, lines: str | None, indent: str = "") -> str:
    if not lines:
        return ""
    body = "\n".join(indent + line for line in lines.splitlines())
    return f"{indent}# commands.{name}\n{body}"

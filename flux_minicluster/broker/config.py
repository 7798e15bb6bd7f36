"""The Flux broker configuration (TOML) every rank of a MiniCluster reads.

It is what the Flux Operator would write itself, with one change: the
certificate path names the file that comes from our Secret, so the secret
key never has to sit in the MiniCluster object or a ConfigMap.
The text is written by a TOML library, so it is valid by construction; a
user-supplied replacement is parsed and checked before anything is created,
because a broker that meets an unterminated array spins forever instead of
failing.
"""

from __future__ import annotations

import posixpath
from typing import Any

import tomli_w

from . import fluxfacts

#: Characters a POSIX shell expands inside an unquoted heredoc, which is how
#: the Flux Operator writes ``spec.flux.brokerConfig`` into ``broker.toml``.
SHELL_EXPANDED = ("$", "`", "\\")


def broker_config(*, name: str, headless_name: str, max_size: int, queue_policy: str, cert_path: str) -> dict[str, Any]:
    """The broker config as a TOML-shaped dict; ranks cover ``max_size`` hosts."""
    return {
        "access": {"allow-guest-user": True, "allow-root-owner": True},
        "resource": {"path": fluxfacts.RESOURCE_PATH},
        "bootstrap": {
            "curve_cert": cert_path,
            "default_port": fluxfacts.BROKER_PORT,
            "default_bind": fluxfacts.BROKER_BIND,
            "default_connect": fluxfacts.broker_connect_template(headless_name),
            "hosts": [{"host": fluxfacts.hostlist(name, max_size)}],
        },
        "archive": {"dbpath": fluxfacts.ARCHIVE_DBPATH, "period": "1m", "busytimeout": "50s"},
        "sched-fluxion-qmanager": {"queue-policy": queue_policy},
    }


def broker_config_text(config: dict[str, Any]) -> str:
    """Serialise a broker config; the result parses back to ``config``."""
    return tomli_w.dumps(config)


def shell_expanded_characters(text: str) -> list[str]:
    """Why the operator's shell would change this broker config (empty if it would not)."""
    found = [char for char in SHELL_EXPANDED if char in text]
    if not found:
        return []
    shown = " ".join(repr(char) for char in found)
    return [
        f"contains {shown}: the Flux Operator writes the broker config through an unquoted shell "
        "heredoc, which would expand them; remove them or use backend: native"
    ]


def check_broker_config(text: str, *, name: str, max_size: int, cert_path: str) -> list[str]:
    """Every reason a broker config would not boot this MiniCluster (empty if none).

    Checks what a real broker needs: valid TOML, a ``[bootstrap]`` table with an
    absolute ``curve_cert`` equal to ``cert_path`` (where the backend puts our
    certificate), an integer port, bind and connect templates, and ``hosts``
    that name every rank from ``NAME-0`` (the lead broker) to
    ``NAME-(maxSize-1)``.
    """
    # Imported here: only stacks that replace the generated config need a TOML
    # parser, and every Pulumi program run would pay for it otherwise.
    import tomllib

    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return [f"is not valid TOML: {error}"]
    bootstrap = config.get("bootstrap")
    if not isinstance(bootstrap, dict):
        return ["has no [bootstrap] table"]
    problems = []
    cert = bootstrap.get("curve_cert")
    if not isinstance(cert, str) or not posixpath.isabs(cert):
        problems.append("bootstrap.curve_cert must be an absolute path")
    elif posixpath.normpath(cert) != cert_path:
        problems.append(
            f"bootstrap.curve_cert must be {cert_path}, where each rank finds the certificate from its Secret"
        )
    port = bootstrap.get("default_port")
    if type(port) is not int or not 0 <= port <= 65535:
        problems.append("bootstrap.default_port must be an integer from 0 to 65535")
    for key in ("default_bind", "default_connect"):
        if not isinstance(bootstrap.get(key), str) or not bootstrap[key]:
            problems.append(f"bootstrap.{key} is required")
    problems.extend(_check_hosts(bootstrap.get("hosts"), name=name, max_size=max_size))
    return problems


def _check_hosts(hosts: object, *, name: str, max_size: int) -> list[str]:
    from ClusterShell.NodeSet import NodeSet, NodeSetParseError  # see check_broker_config

    if not isinstance(hosts, list) or not hosts:
        return ["bootstrap.hosts must be a non-empty array of { host = ... } tables"]
    named: list[str] = []
    for index, entry in enumerate(hosts):
        host = entry.get("host") if isinstance(entry, dict) else None
        if not isinstance(host, str):
            return [f"bootstrap.hosts[{index}] needs a host string"]
        try:
            named.extend(NodeSet(host))
        except NodeSetParseError as error:
            return [f"bootstrap.hosts[{index}].host {host!r} is not a hostlist: {error}"]
    lead = fluxfacts.broker_hostname(name, 0)
    problems = []
    if not named or named[0] != lead:
        problems.append(f"bootstrap.hosts must start with the lead broker {lead} (rank 0)")
    missing = [h for h in (fluxfacts.broker_hostname(name, i) for i in range(max_size)) if h not in named]
    if missing:
        problems.append(
            f"bootstrap.hosts must cover maxSize={max_size} brokers "
            f"({fluxfacts.hostlist(name, max_size)}); missing {NodeSet.fromlist(missing)}"
        )
    return problems

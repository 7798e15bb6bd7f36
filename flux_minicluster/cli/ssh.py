"""``flux-minicluster-ssh``: Flux commands from your machine to a MiniCluster, through ``kubectl``.

flux-core's ssh connector (``flux proxy ssh://...``, ``FLUX_URI=ssh://...``)
starts ``$FLUX_SSH [-p PORT] [USER@]HOST [env VAR=...] flux relay PATH``
(flux-core ``src/connectors/ssh/ssh.c``) and talks to the instance over that
command's standard input and output. With ``FLUX_SSH=flux-minicluster-ssh``
and the URI the stack exports (``fluxUri``)::

    ssh://CONTAINER@NAME.NAMESPACE/mnt/flux/config/run/flux/local

this turns that into ``kubectl exec -i`` into the lead broker's container,
which runs ``flux relay`` with the Flux of its view: no port is opened, and
Kubernetes RBAC alone decides who may (``pods/exec`` in the namespace).
``$KUBECTL`` names another kubectl.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

from ..broker import fluxfacts

USAGE = (
    "usage: FLUX_SSH=flux-minicluster-ssh flux proxy ssh://CONTAINER@NAME.NAMESPACE/PATH (the stack's fluxUri output)"
)
#: What runs in the lead broker's container: Flux from its view, relaying to the
#: instance's socket as the view's script names it (either backend), else to PATH ($0).
RELAY = (
    f'. {fluxfacts.FLUX_VIEW_ENV_SCRIPT} && socket="${{{fluxfacts.FLUX_SOCKET_VARIABLE}#local://}}" '
    '&& exec flux relay "${socket:-$0}"'
)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["-p"]:
        words = words[2:]  # a port means nothing to kubectl exec
    if not words or "relay" not in words[1:] or words.index("relay", 1) + 1 >= len(words):
        print(f"flux-minicluster-ssh: {USAGE}", file=sys.stderr)
        return 2
    container, _, host = words[0].rpartition("@")
    name, _, namespace = host.partition(".")
    if not name or not namespace or "." in namespace:
        print(f"flux-minicluster-ssh: {host!r} is not NAME.NAMESPACE; {USAGE}", file=sys.stderr)
        return 2
    path = words[words.index("relay", 1) + 1]
    kubectl = os.environ.get("KUBECTL", "kubectl")
    selector = f"{fluxfacts.JOB_NAME_LABEL}={name},{fluxfacts.COMPLETION_INDEX_LABEL}=0"
    try:
        found = subprocess.run(
            [kubectl, "get", "pod", "-n", namespace, "-l", selector, "-o", "name"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"flux-minicluster-ssh: {kubectl} did not run: {error}", file=sys.stderr)
        return 2
    pods = found.stdout.split()
    if found.returncode != 0 or not pods:
        why = (found.stderr.strip().splitlines() or ["no pod"])[-1]
        print(f"flux-minicluster-ssh: no lead broker of {namespace}/{name}: {why}", file=sys.stderr)
        return 2
    command = [kubectl, "exec", "-i", "-n", namespace, *(["-c", container] if container else []), pods[0]]
    command += ["--", "sh", "-c", RELAY, path]
    # The relay's stream goes straight through: this process becomes kubectl.
    os.execvp(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())

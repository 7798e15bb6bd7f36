"""Where jobs go: the lead broker (rank 0) of a MiniCluster and how to reach it."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from .broker import fluxfacts
from .spec import MiniClusterSpec


@dataclass(frozen=True)
class LeadBroker:
    """The lead broker's address and ready-to-paste commands for job submission."""

    host: str
    port: int
    local_uri: str
    selector: str
    namespace: str
    container: str
    shell_command: str
    submit_command: str
    flux_command: str
    flux_uri: str


def lead_broker(mc: MiniClusterSpec) -> LeadBroker:
    """The endpoint of rank 0: pod ``NAME-0``, Job completion index 0."""
    assert mc.headless_name is not None
    domain = fluxfacts.service_domain(mc.headless_name, mc.namespace, mc.cluster_domain)
    host = f"{fluxfacts.broker_hostname(mc.name, 0)}.{domain}"
    selector = f"{fluxfacts.JOB_NAME_LABEL}={mc.name},{fluxfacts.COMPLETION_INDEX_LABEL}=0"
    container = mc.flux_container.name
    assert container is not None
    pod = f'"$(kubectl get pod -n {mc.namespace} -l {selector} -o name)"'
    exec_prefix = f"kubectl exec -it -n {mc.namespace} -c {container} {pod} --"
    # The entrypoint's environment script puts Flux on PATH and names the
    # instance's socket in $fluxsocket, whichever backend wrote it.
    proxy = f'. {fluxfacts.FLUX_VIEW_ENV_SCRIPT} && flux proxy "${fluxfacts.FLUX_SOCKET_VARIABLE}"'

    # "$@": the words after the command, as sh -c passes them. flux proxy
    # would run them through a shell again, splitting quoted words; FLUX_URI
    # reaches the same instance with every word kept as written.
    any_flux = f'. {fluxfacts.FLUX_VIEW_ENV_SCRIPT} && FLUX_URI="${fluxfacts.FLUX_SOCKET_VARIABLE}" exec flux "$@"'

    def in_instance(command: str) -> str:
        return f"{exec_prefix} sh -c {shlex.quote(f'{proxy} {command}')}"

    return LeadBroker(
        host=host,
        port=fluxfacts.BROKER_PORT,
        local_uri=fluxfacts.LOCAL_URI,
        selector=selector,
        namespace=mc.namespace,
        container=container,
        shell_command=in_instance('"$(command -v bash || echo sh)"'),
        # The instance's shape: tasks across the brokers, as the stack's tasks say.
        submit_command=in_instance(f"flux submit --watch {mc.task_flags} hostname"),
        # No terminal (-i, not -it), so it works in scripts and pipes; the
        # words after it are the flux command's: `... run -N8 -n448 lmp`.
        flux_command=f"kubectl exec -i -n {mc.namespace} -c {container} {pod} -- sh -c {shlex.quote(any_flux)} flux",
        # For flux-core on your machine: FLUX_SSH=flux-minicluster-ssh (cli/ssh.py) reaches it through kubectl.
        flux_uri=f"ssh://{container}@{mc.name}.{mc.namespace}{fluxfacts.LOCAL_URI.removeprefix('local://')}",
    )

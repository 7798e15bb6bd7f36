"""A MiniCluster on a cluster you already have, through your own provider.

Run from this folder with a kubeconfig context (for example a kind cluster
made with ``kind create cluster --name flux``): ``pulumi stack init dev``,
``pulumi config set context kind-flux``, ``pulumi up``.
"""

import pulumi
import pulumi_kubernetes as k8s

from flux_minicluster import FluxMiniCluster
from flux_minicluster.bringup.kubeapi import local_kubeconfig

config = pulumi.Config()
context = config.get("context") or "kind-flux"
provider = k8s.Provider("cluster", context=context)
# The same kubeconfig, for the MiniCluster to watch its brokers come up.
found = local_kubeconfig(context=context)

hello = FluxMiniCluster(
    "hello",
    {
        "miniCluster": {
            "name": "hello",
            "namespace": "flux-hello",
            "size": 2,
            "interactive": True,
            "containers": [{"image": "ghcr.io/converged-computing/flux-view-ubuntu:tag-noble"}],
        }
    },
    pulumi.ResourceOptions(providers=[provider]),
    kubeconfig=pulumi.Output.secret(found) if found is not None else None,
)

pulumi.export("leadBroker", hello.lead_broker_host)
pulumi.export("shell", hello.lead_broker.apply(lambda broker: broker["shell_command"]))

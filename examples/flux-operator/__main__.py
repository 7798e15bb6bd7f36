"""The Flux Operator, installed once for a whole cluster.

Experiments with ``miniCluster.backend: operator`` need the operator on their
cluster but must not own it: its CRD and cluster roles are shared, and
deleting the CRD deletes every MiniCluster on the cluster. This program is
the one owner. Run it once per cluster, from this folder: ``pulumi stack init
my-cluster``, ``pulumi config set context my-cluster-context``, ``pulumi up``.
The manifest comes from the installed package (never fetched); pin the
controller image by digest with ``pulumi config set image
ghcr.io/flux-framework/flux-operator@sha256:...``.

``pulumi destroy`` removes the controller and keeps the CRD, so running
MiniClusters survive; remove it on purpose with ``kubectl delete crd
miniclusters.flux-framework.org`` once no experiment uses it.
"""

import pulumi
import pulumi_kubernetes as k8s

from flux_minicluster.component.flux_operator import FluxOperator

config = pulumi.Config()
provider = k8s.Provider("cluster", context=config.get("context") or "kind-flux")
operator = FluxOperator("flux-operator", image=config.get("image"), opts=pulumi.ResourceOptions(providers=[provider]))

pulumi.export("namespace", operator.namespace)
pulumi.export("crd", operator.crd_name)

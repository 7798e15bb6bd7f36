"""A GKE cluster of its own, with a CPU and a GPU MiniCluster on two node pools.

Run from this folder: ``pulumi stack init dev``, ``pulumi config set
gcp:project PROJECT``, ``pulumi up``.

What it creates, at Google's list prices of 2026-07-30 in us-central1 (the
package's table; an estimate): a zonal GKE cluster (its $0.10 per hour
management fee is credited by GKE's free tier for one zonal cluster per
billing account) with one e2-standard-4 node for system pods ($0.15 per hour),
4 c2d-standard-56 nodes ($10.22 per hour) and 2 g2-standard-24 nodes with two
L4 GPUs each ($4.03 per hour): about $14.50 per hour, billed until
``pulumi destroy``.
"""

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from flux_minicluster import FluxMiniCluster
from flux_minicluster.gke.kubeconfig import gke_kubeconfig

ZONE = "us-central1-a"

# A small default pool for system pods; the MiniClusters bring their own pools.
cluster = gcp.container.Cluster(
    "hpc",
    location=ZONE,
    initial_node_count=1,
    deletion_protection=False,
    node_config={"machine_type": "e2-standard-4"},
)
kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.master_auth.cluster_ca_certificate).apply(
    lambda v: pulumi.Output.secret(gke_kubeconfig(context=v[0], endpoint=v[1], ca_certificate=v[2]))
)
provider = k8s.Provider("hpc", kubeconfig=kubeconfig)
# Each MiniCluster also reads the cluster with it: pulumi up fails fast, with the
# reason, when a broker cannot start.

cpu = FluxMiniCluster(
    "lammps",
    {
        "nodePool": {
            "cluster": "hpc",
            "location": ZONE,
            "zones": [ZONE],
            "machineType": "c2d-standard-56",
            "nodeCount": 4,
        },
        "miniCluster": {
            "name": "lammps",
            "namespace": "lammps",
            "size": 4,
            "interactive": True,
            "containers": [{"image": "ghcr.io/converged-computing/metric-lammps:latest"}],
        },
    },
    pulumi.ResourceOptions(providers=[provider]),
    cluster=cluster.id,
    kubeconfig=kubeconfig,
)

gpu = FluxMiniCluster(
    "train",
    {
        "nodePool": {
            "cluster": "hpc",
            "location": ZONE,
            "zones": [ZONE],
            "machineType": "g2-standard-24",
            "nodeCount": 2,
        },
        "miniCluster": {
            "name": "train",
            "namespace": "train",
            "size": 2,
            "interactive": True,
            "containers": [{"image": "nvcr.io/nvidia/pytorch:24.08-py3"}],
        },
        # Both use the native backend: nothing is installed on the cluster.
    },
    pulumi.ResourceOptions(providers=[provider], depends_on=[cpu]),
    cluster=cluster.id,
    kubeconfig=kubeconfig,
)

pulumi.export("cpuLeadBroker", cpu.lead_broker_host)
pulumi.export("gpuLeadBroker", gpu.lead_broker_host)
pulumi.export("gpuSubmit", gpu.submit_command)

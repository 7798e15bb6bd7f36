"""A parameter sweep: N MiniClusters in one program, sharing one node pool.

The first MiniCluster creates the node pool; the others reuse its Kubernetes
provider, select its pool and wait for it.
Each has its own name and namespace.
"""

from typing import Any

import pulumi

from flux_minicluster import FluxMiniCluster

POOL = "sweep-pool"


def experiment(index: int) -> dict[str, Any]:
    config: dict[str, Any] = {
        "miniCluster": {
            "name": f"sweep-{index}",
            "namespace": f"sweep-{index}",
            "size": 4,
            "tasks": 4 * (index + 1),
            "containers": [{"image": "ghcr.io/converged-computing/metric-lammps:latest", "command": "lmp -in in.x"}],
        }
    }
    if index == 0:
        config["nodePool"] = {
            "name": POOL,
            "cluster": "hpc-cluster",
            "location": "us-central1-a",
            "zones": ["us-central1-a"],
            "machineType": "c2d-standard-112",
            "nodeCount": 4,
        }
    else:
        config["miniCluster"]["pod"] = {"nodeSelector": {"cloud.google.com/gke-nodepool": POOL}}
        config["miniCluster"]["allowPacking"] = True
    return config


def sweep(count: int) -> list[FluxMiniCluster]:
    first = FluxMiniCluster("sweep-0", experiment(0))
    shared = pulumi.ResourceOptions(providers=[first.kubernetes_provider], depends_on=[first])
    return [first, *(FluxMiniCluster(f"sweep-{i}", experiment(i), shared) for i in range(1, count))]

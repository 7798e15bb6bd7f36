"""A kubeconfig for a GKE cluster that authenticates with gke-gcloud-auth-plugin.

It holds no credential: each Kubernetes call runs the plugin, which asks
gcloud for a short-lived token, so the kubeconfig is safe in Pulumi state.
"""

from __future__ import annotations

import json


def gke_kubeconfig(*, context: str, endpoint: str, ca_certificate: str) -> str:
    """The kubeconfig (JSON) for a cluster's endpoint and CA (base64 PEM)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": context,
                "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca_certificate},
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
        "users": [
            {
                "name": context,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "gke-gcloud-auth-plugin",
                        "provideClusterInfo": True,
                        "installHint": "Install gke-gcloud-auth-plugin: "
                        "gcloud components install gke-gcloud-auth-plugin",
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }
    return json.dumps(config, sort_keys=True)

"""GKE: the node pool request, where broker pods land on it (selector,
tolerations, GPU limits), and the kubeconfig for a GKE cluster. Pure data
built from the spec; the Pulumi adapter turns it into resources."""

"""How a MiniCluster becomes Kubernetes objects, one folder per backend:
``native`` (plain namespaced objects, no operator) and ``flux_operator`` (a
MiniCluster custom resource for an installed Flux Operator). A new backend is
a new folder here, chosen in ``kubernetes_objects.py``."""

"""Watching a MiniCluster come up: ``pulumi up`` returns when every broker has
joined, or fails within minutes of the first state that cannot come right by
waiting, naming the pod, the reason and what to do. The decision
(``verdict.py``) is pure; the watch (``waiter.py``) reads the cluster through a
small API client (``kubeapi.py``)."""

"""The Flux Operator backend: one MiniCluster custom resource for an operator
installed on the cluster, and the operator's manifest this package vendors."""

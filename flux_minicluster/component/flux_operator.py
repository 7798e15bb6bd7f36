"""``FluxOperator``: the Flux Operator, installed once per cluster.

Its Namespace, CRD and cluster roles belong to the whole cluster, so one
stack or program per cluster owns them (``examples/flux-operator``); every
experiment with ``backend: operator`` only uses them. The CRD is kept on
``pulumi destroy``: deleting it would delete every MiniCluster on the
cluster, other experiments' running instances included.
"""

from __future__ import annotations

import pulumi

from .. import names
from ..backends.flux_operator.manifest import CRD_KIND, object_suffix, operator_objects
from ..broker import fluxfacts
from .resources import register


class FluxOperator(pulumi.ComponentResource):
    """The Flux Operator from the manifest vendored in this package (never fetched)."""

    namespace: pulumi.Output[str]
    """Namespace of the controller."""
    crd_name: pulumi.Output[str]
    """Name of the MiniCluster CustomResourceDefinition (kept on destroy)."""

    def __init__(
        self,
        name: str,
        *,
        image: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``image`` replaces the controller image, best pinned by digest; the
        manifest runs ``ghcr.io/flux-framework/flux-operator:latest``. Pass the
        cluster's Kubernetes provider in ``opts``."""
        super().__init__(names.OPERATOR_COMPONENT_TYPE, name, None, opts)
        created: list[pulumi.Resource] = []
        crd = deployment = None
        for obj in operator_objects(image):
            kind = obj["kind"]
            options = pulumi.ResourceOptions(
                parent=self,
                retain_on_delete=(kind == CRD_KIND) or None,
                # The controller starts once its CRD, roles and namespace exist.
                depends_on=list(created) if kind == "Deployment" else None,
            )
            resource = register(names.child(name, object_suffix(obj)), obj, options)
            created.append(resource)
            if kind == CRD_KIND:
                crd = resource
            elif kind == "Deployment":
                deployment = resource
        assert crd is not None and deployment is not None, "the vendored manifest has a CRD and a controller"
        # Resolve once the controller is available, so dependents wait for it.
        self.namespace = deployment.urn.apply(lambda _: fluxfacts.FLUX_OPERATOR_NAMESPACE)
        self.crd_name = crd.urn.apply(lambda _: f"miniclusters.{fluxfacts.MINICLUSTER_API_VERSION.split('/')[0]}")
        self.register_outputs({"namespace": self.namespace, "crd_name": self.crd_name})

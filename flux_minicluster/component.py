"""``FluxMiniCluster``: one Flux instance on Kubernetes, as a Pulumi component.

A thin adapter: the spec is validated first (bad input registers nothing),
the builders shape every object, and this module only turns them into
resources with the options that keep updates safe and previews calm.

Annotations are evaluated (no ``from __future__ import annotations``): Pulumi
infers the package schema from the ``args`` and output annotations at run time.
"""

import base64
from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from . import fluxfacts, names
from .args import ComponentArgs
from .certificate import SECRET_BYTES, certificate_text
from .endpoint import lead_broker
from .kubernetes_objects import REPLACE_ON_CHANGE_FIELDS, KubernetesObject, kubernetes_objects
from .outputs import LeadBrokerEndpoint, lead_broker_endpoint
from .spec import ExperimentSpec, load_spec


class FluxMiniCluster(pulumi.ComponentResource):
    """A GKE node pool (optional), the Flux Operator, one MiniCluster and its data volumes."""

    lead_broker: pulumi.Output[LeadBrokerEndpoint]
    """Rank 0: host, port, local URI, pod selector and kubectl commands."""
    lead_broker_host: pulumi.Output[str]
    """DNS name of the lead broker, NAME-0.HEADLESS.NAMESPACE.svc.cluster.local."""
    submit_command: pulumi.Output[str]
    """A kubectl command that submits a test job to the instance."""
    namespace: pulumi.Output[str]
    """Namespace of the MiniCluster."""
    minicluster_name: pulumi.Output[str]
    """Name of the MiniCluster object."""
    node_pool_name: pulumi.Output[str | None]
    """Name of the GKE node pool, or None when the cluster brings its own nodes."""
    certificate: pulumi.Output[str]
    """The CURVE certificate (a Pulumi secret)."""

    def __init__(
        self,
        name: str,
        args: ComponentArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        curve_certificate: pulumi.Input[str] | None = None,
        cluster: pulumi.Input[str] | None = None,
        node_pool_options: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the experiment ``args`` (a spec, or a dict in stack-config form).

        ``curve_certificate`` replaces the generated certificate (pass a
        secret). ``cluster`` overrides ``nodePool.cluster``, for example with
        the id of a cluster this program creates, so the pool waits for it.
        ``node_pool_options`` are merged into the node pool's options (for
        ``ignore_changes`` or ``protect``, which have no effect on a component).
        The Kubernetes provider comes from ``opts.providers``; without one it
        is built for the node pool's GKE cluster, never taken from the ambient
        kubeconfig.
        """
        spec = load_spec(args)  # raises SpecError before anything is registered
        k8s_provider = _kubernetes_provider(opts)
        if k8s_provider is None and spec.node_pool is None:
            raise ValueError(
                f"FluxMiniCluster {name!r}: pass a Kubernetes provider in opts.providers, "
                "or declare nodePool so the provider is built for its GKE cluster"
            )
        super().__init__(names.COMPONENT_TYPE, name, None, opts)
        mc = spec.mini_cluster

        node_pool = None
        if spec.node_pool is not None:
            from ._gke import gke_kubernetes_provider, node_pool_resource

            node_pool = node_pool_resource(self, name, spec, cluster=cluster, extra=node_pool_options)
            if k8s_provider is None:
                k8s_provider = gke_kubernetes_provider(self, name, spec, cluster=cluster)
        assert k8s_provider is not None  # passed in, or built for the node pool's cluster
        self.kubernetes_provider: pulumi.ProviderResource = k8s_provider
        """The provider its Kubernetes objects use: pass it to further MiniClusters
        or resources on the same cluster (Python only: not in the package schema)."""
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=k8s_provider)

        # The operator's CRD and controller; its own namespace, independent of
        # the node pool so both are created in parallel.
        operator = None
        if spec.operator.install:
            operator = k8s.yaml.v2.ConfigFile(
                names.operator(name),
                file=fluxfacts.flux_operator_manifest_url(spec.operator.version),
                opts=k8s_opts,
            )

        certificate = self._certificate(name, spec, curve_certificate)
        namespace_obj, secret_obj, *claim_objs, minicluster_obj = kubernetes_objects(spec, certificate)

        namespace = _kubernetes_resource(name, namespace_obj, k8s_opts)
        in_namespace = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[namespace]))
        secret = _kubernetes_resource(name, secret_obj, in_namespace)
        claims = [_kubernetes_resource(name, claim, in_namespace) for claim in claim_objs]
        # Everything but size changes the Job the operator made, which it does
        # not reconcile: replace the MiniCluster whole (deleting the old one
        # first, as names are fixed) instead of leaving a half-updated instance.
        # Depending on the operator, node pool, Secret and claims also orders
        # destroy: the MiniCluster's pods go first.
        waits_for = [r for r in (operator, node_pool, secret, *claims) if r is not None]
        minicluster = _kubernetes_resource(
            name,
            minicluster_obj,
            pulumi.ResourceOptions.merge(
                in_namespace,
                pulumi.ResourceOptions(
                    depends_on=waits_for,
                    replace_on_changes=list(REPLACE_ON_CHANGE_FIELDS),
                    delete_before_replace=True,
                ),
            ),
        )

        endpoint = lead_broker_endpoint(lead_broker(mc))
        # Outputs that resolve once the MiniCluster exists, so a program that
        # exports them waits for it.
        ready = minicluster.id
        self.lead_broker = ready.apply(lambda _: endpoint)
        self.lead_broker_host = ready.apply(lambda _: str(endpoint["host"]))
        self.submit_command = ready.apply(lambda _: str(endpoint["submit_command"]))
        self.namespace = namespace.id.apply(lambda _: mc.namespace)
        self.minicluster_name = ready.apply(lambda _: mc.name)
        self.node_pool_name = node_pool.name if node_pool is not None else pulumi.Output.from_input(None)
        self.certificate = certificate
        self.register_outputs(
            {
                "lead_broker": self.lead_broker,
                "lead_broker_host": self.lead_broker_host,
                "submit_command": self.submit_command,
                "namespace": self.namespace,
                "minicluster_name": self.minicluster_name,
                "node_pool_name": self.node_pool_name,
                "certificate": self.certificate,
            }
        )

    def _certificate(self, name: str, spec: ExperimentSpec, supplied: pulumi.Input[str] | None) -> pulumi.Output[str]:
        if supplied is not None:
            return pulumi.Output.secret(supplied)
        if spec.curve_certificate is not None:
            return pulumi.Output.secret(spec.curve_certificate.get_secret_value())
        # 32 random bytes kept in the stack state: the certificate derived from
        # them is the same on every update, so brokers never disagree.
        secret_bytes = random.RandomBytes(
            names.certificate_secret_bytes(name),
            length=SECRET_BYTES,
            opts=pulumi.ResourceOptions(parent=self),
        )
        lead = fluxfacts.broker_hostname(spec.mini_cluster.name, 0)
        return pulumi.Output.secret(
            secret_bytes.base64.apply(lambda b64: certificate_text(base64.b64decode(b64), lead))
        )


def _kubernetes_resource(name: str, obj: KubernetesObject, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """One builder object as a resource named ``NAME-<suffix>``, kept on destroy if it asks."""
    body = obj.body
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(retain_on_delete=obj.retain_on_delete or None))
    resource_name = names.child(name, obj.suffix)
    kind = body["kind"]
    if kind == "Namespace":
        return k8s.core.v1.Namespace(resource_name, metadata=body["metadata"], opts=opts)
    if kind == "Secret":
        return k8s.core.v1.Secret(
            resource_name, metadata=body["metadata"], type=body["type"], string_data=body["stringData"], opts=opts
        )
    if kind == "PersistentVolumeClaim":
        return k8s.core.v1.PersistentVolumeClaim(resource_name, metadata=body["metadata"], spec=body["spec"], opts=opts)
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=body["apiVersion"],
        kind=kind,
        metadata=body["metadata"],
        spec=body["spec"],
        opts=opts,
    )


def _kubernetes_provider(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
    """The Kubernetes provider the caller passed, if any."""
    if opts is None:
        return None
    candidates: list[pulumi.ProviderResource] = []
    if opts.provider is not None:
        candidates.append(opts.provider)
    providers = opts.providers
    if isinstance(providers, Mapping):
        candidates.extend(providers.values())
    elif providers:
        candidates.extend(providers)
    for provider in candidates:
        if getattr(provider, "package", None) == "kubernetes":
            return provider
    return None

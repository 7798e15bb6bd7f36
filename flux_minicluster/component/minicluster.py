"""``FluxMiniCluster``: one Flux instance on Kubernetes, as a Pulumi component.

A thin adapter: the spec is validated first (bad input registers nothing),
the builders shape every object, and the options each resource gets come
from one table (``lifecycle.py``), so updates keep a running instance unless
the change needs a new one, and never leave brokers disagreeing.

Annotations are evaluated (no ``from __future__ import annotations``): Pulumi
infers the package schema from the ``args`` and output annotations at run time.
"""

import base64
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_random as random

from .. import names
from ..args import ComponentArgs
from ..broker import fluxfacts
from ..broker.certificate import SECRET_BYTES, certificate_text
from ..endpoint import lead_broker
from ..errors import Problem, SpecError
from ..extras import require
from ..gke.storage import bucket_url
from ..kubernetes_objects import BUDGET, MINICLUSTER, NAMESPACE, NODE_POOL_SUFFIX, PATCH_ROLES, SIZE, kubernetes_objects
from ..lifecycle import BUCKET_ACCESS, LIFECYCLE, NODE_POOL, OPERATOR
from ..spec import ExperimentSpec, load_spec
from .flux_operator import FluxOperator
from .outputs import LeadBrokerEndpoint, lead_broker_endpoint
from .readiness import cluster_checked, instance_up
from .resources import register, uid


class FluxMiniCluster(pulumi.ComponentResource):
    """A GKE node pool (optional), one Flux MiniCluster and its data volumes."""

    lead_broker: pulumi.Output[LeadBrokerEndpoint]
    """Rank 0: host, port, local URI, pod selector and kubectl commands."""
    lead_broker_host: pulumi.Output[str]
    """DNS name of the lead broker, NAME-0.HEADLESS.NAMESPACE.svc.cluster.local."""
    submit_command: pulumi.Output[str]
    """A kubectl command that submits a test job to the instance."""
    namespace: pulumi.Output[str]
    """Namespace of the MiniCluster."""
    minicluster_name: pulumi.Output[str]
    """Name of the MiniCluster (the Job of the native backend, the MiniCluster object of the operator backend)."""
    node_pool_name: pulumi.Output[str | None]
    """Name of the GKE node pool, or None when the cluster brings its own nodes."""
    certificate: pulumi.Output[str]
    """The CURVE certificate (a Pulumi secret)."""
    buckets: pulumi.Output[dict[str, str]]
    """Where each bucket data volume's files land, by volume name: gs://BUCKET."""

    def __init__(
        self,
        name: str,
        args: ComponentArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        curve_certificate: pulumi.Input[str] | None = None,
        cluster: pulumi.Input[str] | None = None,
        node_pool_options: pulumi.ResourceOptions | None = None,
        kubeconfig: pulumi.Input[str] | None = None,
    ) -> None:
        """Declare the experiment ``args`` (a spec, or a dict in stack-config form).

        ``name`` names the component and every child's resource (``NAME-job``);
        keep it when you edit the experiment, since a new name means new
        resources. ``curve_certificate`` replaces the generated certificate
        (pass a secret). ``cluster`` overrides ``nodePool.cluster``, for
        example with the id of a cluster this program creates, so the pool
        waits for it. ``node_pool_options`` are merged into the node pool's
        options (for ``ignore_changes`` or ``protect``, which have no effect
        on a component). The Kubernetes provider comes from ``opts.providers``;
        without one it is built for the node pool's GKE cluster, never taken
        from the ambient kubeconfig.

        ``kubeconfig`` (a secret) lets the component watch its brokers come up
        on the provider's cluster: ``pulumi up`` then fails within minutes of
        a pod that cannot start, with the reason, instead of at the end of
        ``readyTimeoutMinutes``. The one built for a node pool's cluster is
        used when none is given; without either, the provider waits.
        """
        spec = load_spec(args)  # raises SpecError before anything is registered
        unset = dict(spec.node_pool.placeholders) if spec.node_pool is not None else {}
        if cluster is not None:
            unset.pop("nodePool.cluster", None)
        if unset:
            # A shipped stack's <your-gke-cluster>: fine offline, never a cluster to create a pool on.
            raise SpecError(
                [Problem(field, f"is {value}, a placeholder: name your own") for field, value in sorted(unset.items())]
            )
        k8s_provider = _kubernetes_provider(opts)
        if k8s_provider is None and spec.node_pool is None:
            raise ValueError(
                f"FluxMiniCluster {name!r}: pass a Kubernetes provider in opts.providers, "
                "or declare nodePool so the provider is built for its GKE cluster"
            )
        super().__init__(names.COMPONENT_TYPE, name, None, opts)
        mc = spec.mini_cluster
        outside: dict[str, pulumi.Resource] = {}

        node_pool = None
        gcp_resources: dict[str, list[pulumi.Resource]] = {}
        self.buckets: pulumi.Output[dict[str, str]] = pulumi.Output.from_input(
            {volume: bucket_url(bucket) for volume, bucket in mc.buckets.items()}
        )
        if spec.node_pool is not None:
            require("gke")
            from .gke import bucket_resources, find_cluster, gke_kubernetes_provider, node_pool_resource

            node_pool = outside[NODE_POOL] = node_pool_resource(
                self, name, spec, cluster=cluster, extra=node_pool_options
            )
            found = find_cluster(self, spec, cluster=cluster)
            if k8s_provider is None:
                cluster_id = pulumi.Output.from_input(cluster if cluster is not None else spec.node_pool.cluster)
                k8s_provider, built = gke_kubernetes_provider(self, name, found, cluster_id=cluster_id)
                kubeconfig = kubeconfig if kubeconfig is not None else built
            if mc.buckets:
                gcp_resources = bucket_resources(self, name, spec, found)
                # Where results land, once the brokers may write there.
                granted = [r.id for r in gcp_resources[BUCKET_ACCESS]]  # type: ignore[attr-defined]
                self.buckets = pulumi.Output.all(*granted).apply(
                    lambda _: {volume: bucket_url(bucket) for volume, bucket in mc.buckets.items()}
                )
        assert k8s_provider is not None  # passed in, or built for the node pool's cluster
        self.kubernetes_provider: pulumi.ProviderResource = k8s_provider
        """The provider its Kubernetes objects use: pass it to further MiniClusters
        or resources on the same cluster (Python only: not in the package schema)."""

        if spec.operator.install:
            # For a cluster that runs this one experiment; shared clusters
            # install the operator once, on their own (FluxOperator).
            outside[OPERATOR] = FluxOperator(
                names.operator(name),
                image=spec.operator.image,
                opts=pulumi.ResourceOptions(parent=self, providers=[k8s_provider]),
            )

        certificate = self._certificate(name, spec, curve_certificate)
        by_role: dict[str, list[pulumi.Resource]] = {role: [resource] for role, resource in outside.items()}
        by_role.update(gcp_resources)
        by_suffix: dict[str, pulumi.Resource] = {}

        def uid_of(suffix: str) -> pulumi.Output[str]:
            # Depending on it makes Pulumi delete what refers to it first when it is replaced.
            if suffix == NODE_POOL_SUFFIX:
                assert node_pool is not None
                return node_pool.id
            return uid(by_suffix[suffix])

        objects = kubernetes_objects(
            spec,
            certificate,
            uid_of=uid_of,
            to_json=lambda value: pulumi.Output.json_dumps(value, sort_keys=True, indent=2),
            # Without a kubeconfig the component cannot watch: the provider waits.
            provider_waits=kubeconfig is None,
            secret_value=lambda _key, value: pulumi.Output.secret(value.get_secret_value()),
        )
        # Nothing is created on a cluster too old for the native backend.
        checked: pulumi.Output[Any] | None = None
        if kubeconfig is not None and mc.backend == "native":
            checked = cluster_checked(self, kubeconfig, image_volumes=mc.flux.view_image_volume)
        for obj in objects:
            rules = LIFECYCLE[obj.role]
            related: Any = [r for role in rules.depends_on for r in by_role.get(role, [])]
            if obj.role == NAMESPACE and checked is not None:
                related = _after(checked, related)
            options = pulumi.ResourceOptions(
                parent=self,
                provider=k8s_provider,
                depends_on=related or None,
                replace_on_changes=list(rules.replace_on_changes) or None,
                ignore_changes=list(rules.ignore_changes) or None,
                replace_with=[r for role in rules.replace_with for r in by_role.get(role, [])] or None,
                # Fixed names: the old object must go before its replacement comes.
                delete_before_replace=True,
                retain_on_delete=(obj.retain_on_delete or rules.retain_on_delete) or None,
            )
            resource = register(names.child(name, obj.suffix), obj.body, options, patch=obj.role in PATCH_ROLES)
            by_role.setdefault(obj.role, []).append(resource)
            by_suffix[obj.suffix] = resource

        endpoint = lead_broker_endpoint(lead_broker(mc))
        # Outputs resolve once the instance is up: every broker ready (native,
        # waiting for jobs), the command done (native, with a command), or the
        # MiniCluster object accepted (operator).
        (last,) = by_role.get(BUDGET) or by_role[MINICLUSTER]
        ready_id: pulumi.Output[Any] = last.id  # type: ignore[attr-defined]
        if kubeconfig is not None and BUDGET in by_role:
            (size,) = by_role[SIZE]
            up = instance_up(self, mc, size.id, kubeconfig)  # type: ignore[attr-defined]
            ready_id = pulumi.Output.all(ready_id, up)
        self.lead_broker = ready_id.apply(lambda _: endpoint)
        self.lead_broker_host = ready_id.apply(lambda _: str(endpoint["host"]))
        self.submit_command = ready_id.apply(lambda _: str(endpoint["submit_command"]))
        (namespace,) = by_role[NAMESPACE]
        self.namespace = namespace.id.apply(lambda _: mc.namespace)  # type: ignore[attr-defined]
        self.minicluster_name = ready_id.apply(lambda _: mc.name)
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
                "buckets": self.buckets,
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


def _after(done: pulumi.Output[Any], resources: list[pulumi.Resource]) -> pulumi.Output[list[pulumi.Resource]]:
    """``resources`` as a dependency that also waits for ``done``."""
    return done.apply(lambda _: resources)


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

"""The experiment program: one stack's configuration -> one ``FluxMiniCluster``.

``stacks/__main__.py`` calls :func:`run`. Configuration lives under the
``flux-minicluster:`` namespace of the stack file; see the README for every key.
"""

from __future__ import annotations

import gc
import os
from typing import Any

import pulumi

from .. import names
from ..errors import Problem, SpecError, format_location
from ..spec.stack import CONFIG_NAMESPACE, PLAINTEXT_CERTIFICATE, StackConfig
from ..stackfile.placeholders import PROVIDER_KEYS, placeholder_messages
from ..stackfile.secure_values import SECTION, keep_environment_secret
from ..stackfile.validation import section_from_text, validate_config
from .outputs import camel_case_keys

#: Keys of the stack configuration, except the secret certificate.
CONFIG_KEYS = ("nodePool", "miniCluster", "operator", "kubernetes")


def read_config(config: pulumi.Config) -> StackConfig:
    """The validated stack configuration; raises ``SpecError`` naming each field."""
    values: dict[str, Any] = {}
    unreadable: list[Problem] = []
    for key in CONFIG_KEYS:
        # Pulumi hands every section over as JSON text, whichever way the stack file writes it.
        text = config.get(key)
        if text is None:
            continue
        value, problem = section_from_text(key, text)
        if problem is not None:
            unreadable.append(Problem(key, problem))
        elif key == SECTION and pulumi.runtime.is_config_secret(f"{CONFIG_NAMESPACE}:{key}"):
            # A secure value inside it (which one, Pulumi does not say): every
            # environment variable goes to the experiment's Secret, as offline.
            values[key] = keep_environment_secret(value)
        else:
            values[key] = value
    # Read as plain text so it is checked like any other field; it leaves the
    # spec only wrapped as a Pulumi secret.
    certificate = config.get("curveCertificate")
    if certificate is not None:
        if not pulumi.runtime.is_config_secret(f"{CONFIG_NAMESPACE}:curveCertificate"):
            # A secret key in plaintext in a stack file ends up in git.
            raise SpecError([Problem("curveCertificate", PLAINTEXT_CERTIFICATE)])
        values["curveCertificate"] = certificate
    # As strict as the offline command: a stack file passes both, or neither.
    spec, broken = validate_config(values, strict=True)
    if spec is not None and not unreadable:
        settings = {key: pulumi.Config(key.split(":")[0]).get(key.split(":")[1]) for key in PROVIDER_KEYS}
        unset = placeholder_messages(spec, settings)
        if unset:
            raise SpecError([Problem(field, message) for field, message in sorted(unset.items())])
        return spec
    said = {problem.path for problem in unreadable}
    problems = unreadable + [
        Problem(format_location(loc), message) for loc, message in broken if str(loc[0]) not in said
    ]
    raise SpecError(sorted(problems))


def run() -> None:
    """Declare the stack's experiment and export its lead broker endpoint."""
    try:
        spec = read_config(pulumi.Config(CONFIG_NAMESPACE))
    except SpecError as error:
        # RunError: Pulumi prints the message alone, without a Python traceback.
        raise pulumi.RunError(str(error)) from None

    from .minicluster import FluxMiniCluster

    # What the imports built lives until the program exits: frozen, the
    # collector does not walk it again, nor tear it down at exit (bench/run.py).
    gc.freeze()
    opts = None
    watch: pulumi.Output[str] | None = None
    if spec.kubernetes is not None:
        import pulumi_kubernetes as k8s

        from ..bringup.kubeapi import local_kubeconfig

        kubeconfig = None
        if spec.kubernetes.kubeconfig:
            with open(os.path.expanduser(spec.kubernetes.kubeconfig), encoding="utf-8") as file:
                # Its credentials would sit in plaintext in the provider's state otherwise.
                kubeconfig = pulumi.Output.secret(file.read())
        provider = k8s.Provider("kubernetes", context=spec.kubernetes.context, kubeconfig=kubeconfig)
        opts = pulumi.ResourceOptions(providers=[provider])
        # The same cluster and credentials, for the component to watch its brokers.
        found = local_kubeconfig(spec.kubernetes.kubeconfig, spec.kubernetes.context)
        watch = pulumi.Output.secret(found) if found is not None else None

    cluster = FluxMiniCluster(names.STACK_COMPONENT, spec, opts, kubeconfig=watch)
    pulumi.export("leadBrokerHost", cluster.lead_broker_host)
    # Stack outputs are camelCase throughout, as in other languages.
    pulumi.export("leadBroker", cluster.lead_broker.apply(camel_case_keys))
    pulumi.export("submitCommand", cluster.submit_command)
    pulumi.export("fluxCommand", cluster.lead_broker.apply(lambda broker: broker["flux_command"]))
    pulumi.export("fluxUri", cluster.lead_broker.apply(lambda broker: broker["flux_uri"]))
    pulumi.export("namespace", cluster.namespace)
    pulumi.export("miniClusterName", cluster.minicluster_name)
    pulumi.export("nodePoolName", cluster.node_pool_name)
    pulumi.export("buckets", cluster.buckets)

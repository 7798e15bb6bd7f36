"""The Flux Operator's MiniCluster object (the ``operator`` backend).

Every field written here is declared by the CRD of the operator manifest
this package vendors, so the API server prunes nothing (a pruned field
would differ on every update). The certificate reaches the ranks only
through our Secret: the operator's per-container volumes set no file mode,
so ``commands.pre`` copies it to a 0600 file that the broker config names.
"""

from __future__ import annotations

from typing import Any

from ...broker import fluxfacts
from ...gke.placement import container_resources, node_selector, pod_annotations, tolerations
from ...spec import Container, ExperimentSpec, Volume, secret_environment_key


def install_certificate_command() -> str:
    """Shell run on every rank before the broker starts.

    Kubernetes mounts Secret files with mode 0644 here, which a broker refuses
    (``readable by group/other``); the copy made under umask 077 is 0600 and
    owned by the user that runs the broker.
    """
    source = f"{fluxfacts.CERT_MOUNT_DIR}/{fluxfacts.CERT_SECRET_KEY}"
    target = fluxfacts.CERT_PATH
    return f"mkdir -p {target.rsplit('/', 1)[0]} && rm -f {target} && (umask 077 && cp {source} {target})"


def minicluster_object(
    spec: ExperimentSpec, *, labels: dict[str, str], broker_config: str, secret_name: str
) -> dict[str, Any]:
    mc = spec.mini_cluster
    body: dict[str, Any] = {
        "size": mc.size,
        "maxSize": mc.max_size,
        "minSize": mc.min_size,
        "interactive": mc.interactive,
        "network": {"headlessName": mc.headless_name},
        "flux": _flux_options(spec, broker_config),
        "containers": [_container(spec, c, secret_name) for c in mc.containers],
        "pod": _pod(spec),
    }
    if mc.flux_container.command:
        # Only a command uses it, and a default written here would follow size.
        body["tasks"] = mc.effective_tasks
    if mc.job_labels:
        body["jobLabels"] = dict(sorted(mc.job_labels.items()))
    if mc.deadline_seconds is not None:
        body["deadlineSeconds"] = mc.deadline_seconds
    return {
        "apiVersion": fluxfacts.MINICLUSTER_API_VERSION,
        "kind": fluxfacts.MINICLUSTER_KIND,
        "metadata": {"name": mc.name, "namespace": mc.namespace, "labels": labels},
        "spec": body,
    }


def _flux_options(spec: ExperimentSpec, broker_config: str) -> dict[str, Any]:
    flux = spec.mini_cluster.flux
    options: dict[str, Any] = {
        "container": {"image": flux.view_image},
        "connectTimeout": flux.connect_timeout,
        "logLevel": flux.log_level,
        "scheduler": {"queuePolicy": flux.queue_policy},
        "brokerConfig": broker_config,
    }
    if flux.option_flags:
        options["optionFlags"] = flux.option_flags
    if flux.topology:
        options["topology"] = flux.topology
    return options


def _container(spec: ExperimentSpec, container: Container, secret_name: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": container.name, "image": container.image}
    if container.command:
        body["command"] = container.command
    if container.working_dir:
        body["workingDir"] = container.working_dir
    plain = {key: value for key, value in sorted(container.environment.items()) if isinstance(value, str)}
    if plain:
        body["environment"] = plain
    mc = spec.mini_cluster
    if container.secret_environment:
        # The operator puts each into the container's env as a secretKeyRef.
        body["secrets"] = {
            key: {"name": mc.environment_secret_name, "key": secret_environment_key(container.name or mc.name, key)}
            for key in container.secret_environment
        }
    resources = container_resources(spec, container)
    if resources:
        body["resources"] = resources
    volumes = {name: _volume(v) for name, v in sorted(container.volumes.items())}
    commands = {key: value for key, value in container.commands.model_dump(by_alias=True).items() if value}
    if container.run_flux:
        volumes[fluxfacts.CERT_VOLUME_NAME] = {
            "secretName": secret_name,
            "path": fluxfacts.CERT_MOUNT_DIR,
            "readOnly": True,
        }
        user_pre = commands.get("pre")
        commands["pre"] = install_certificate_command() + (f"\n{user_pre}" if user_pre else "")
        body["runFlux"] = True
    if volumes:
        body["volumes"] = volumes
    if commands:
        body["commands"] = dict(sorted(commands.items()))
    if container.launcher:
        body["launcher"] = True
    return body


def _volume(volume: Volume) -> dict[str, Any]:
    fields = volume.model_dump(by_alias=True, exclude_defaults=True)
    if "dataVolume" in fields:
        # Only claims reach the operator (a bucket needs the native backend): the claim has the volume's name.
        fields["claimName"] = fields.pop("dataVolume")
    fields["path"] = volume.path
    fields["readOnly"] = volume.read_only
    if "items" in fields:
        fields["items"] = dict(sorted(fields["items"].items()))
    if "emptyDirSizeLimit" in fields:
        # The CRD types it as a string.
        fields["emptyDirSizeLimit"] = str(fields["emptyDirSizeLimit"])
    return dict(sorted(fields.items()))


def _pod(spec: ExperimentSpec) -> dict[str, Any]:
    mc = spec.mini_cluster
    pod: dict[str, Any] = {}
    selector = node_selector(spec)
    if selector:
        pod["nodeSelector"] = selector
    found = tolerations(spec)
    if found:
        pod["tolerations"] = found
    if mc.pod.labels:
        pod["labels"] = dict(sorted(mc.pod.labels.items()))
    if annotations := pod_annotations(spec):
        pod["annotations"] = annotations
    if mc.pod.service_account_name:
        pod["serviceAccountName"] = mc.pod.service_account_name
    return pod

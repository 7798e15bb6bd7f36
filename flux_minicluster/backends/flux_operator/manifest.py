"""The Flux Operator install, from the manifest vendored in this package.

The manifest (package data, see ``fluxfacts.FLUX_OPERATOR_MANIFEST``) is
read from the installed package, never fetched. Its objects are returned one
by one so that each can be rendered, and registered with options of its own:
the CRD outlives ``pulumi destroy``, since deleting it would delete every
MiniCluster on the cluster.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from ...broker import fluxfacts

CRD_KIND = "CustomResourceDefinition"


@cache
def _manifest_text() -> str:
    return resources.files(__package__).joinpath(fluxfacts.FLUX_OPERATOR_MANIFEST).read_text(encoding="utf-8")


def manifest_objects() -> list[dict[str, Any]]:
    """Every object of the vendored manifest, in its order (a fresh copy each call)."""
    return [doc for doc in yaml.safe_load_all(_manifest_text()) if doc]


def minicluster_crd_schema() -> dict[str, Any]:
    """The MiniCluster openAPIV3Schema of the CRD this package installs."""
    (crd,) = [obj for obj in manifest_objects() if obj["kind"] == CRD_KIND]
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == fluxfacts.MINICLUSTER_API_VERSION.split("/")[1]]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def operator_objects(image: str | None) -> list[dict[str, Any]]:
    """The manifest's objects, with the controller image replaced when one is given."""
    objects = manifest_objects()
    if image is not None:
        for obj in objects:
            if obj["kind"] == "Deployment" and obj["metadata"]["name"] == fluxfacts.FLUX_OPERATOR_DEPLOYMENT:
                for container in obj["spec"]["template"]["spec"]["containers"]:
                    if container["image"] == fluxfacts.FLUX_OPERATOR_IMAGE:
                        container["image"] = image
                        # A pinned image need not be pulled on every start.
                        container["imagePullPolicy"] = "IfNotPresent"
    return objects


def object_suffix(obj: dict[str, Any]) -> str:
    """A resource name suffix that reads as the object: ``clusterrole-operator-manager-role``."""
    name = obj["metadata"]["name"].replace(".", "-")
    return f"{obj['kind'].lower()}-{name}"

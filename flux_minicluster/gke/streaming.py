"""What image streaming does for a stack's images: GKE streams images stored
in Artifact Registry; any other is pulled whole before its container starts."""

from __future__ import annotations

import re

from ..spec import ExperimentSpec

#: Artifact Registry's Docker hosts: LOCATION-docker.pkg.dev.
_ARTIFACT_REGISTRY = re.compile(r"^[a-z0-9-]+-docker\.pkg\.dev/")


def pod_images(spec: ExperimentSpec) -> list[str]:
    """Every image a broker pod starts: the Flux view image and each container's."""
    mc = spec.mini_cluster
    return sorted({mc.flux.view_image, *(container.image for container in mc.containers)})


def streaming_warnings(spec: ExperimentSpec) -> list[str]:
    """One line for each image that a pool with image streaming still pulls whole."""
    pool = spec.node_pool
    if pool is None or not pool.image_streaming:
        return []
    return [
        f"{image} is not in Artifact Registry (LOCATION-docker.pkg.dev/...): image streaming does not serve it, "
        "nodes pull it whole before its container starts"
        for image in pod_images(spec)
        if not _ARTIFACT_REGISTRY.match(image)
    ]

"""Regions, zones and the forms of a GKE cluster reference.

Sources: Compute Engine "Regions and zones" (a zone is its region's name and
a letter, us-central1-a in us-central1); GKE "Types of clusters" and gcloud
``container node-pools create --node-locations`` (a pool's zones lie in the
cluster's region; a zonal cluster's pool may add zones of the same region);
terraform-provider-google's node pool ``cluster`` field, which pulumi-gcp
wraps: a cluster name, or the id ``projects/P/locations/L/clusters/N``, whose
parts it reads; and GKE cluster names: 1-40 lowercase letters, digits and
hyphens, starting with a letter and not ending with a hyphen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_ZONE = re.compile(r"^(?P<region>[a-z]+-[a-z]+[0-9]+)-[a-z]$")
_CLUSTER_ID = re.compile(r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/clusters/(?P<name>[^/]+)$")
_CLUSTER_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")


@dataclass(frozen=True)
class ClusterRef:
    """A GKE cluster as a stack names it; project and location only from an id."""

    name: str
    project: str | None = None
    location: str | None = None


def is_zone(location: str) -> bool:
    return _ZONE.match(location) is not None


def is_region(location: str) -> bool:
    return _REGION.match(location) is not None


def region_of(location: str) -> str:
    """The region of a zone, or the region itself."""
    match = _ZONE.match(location)
    return match["region"] if match else location


def parse_cluster(value: str) -> ClusterRef:
    """Read a cluster name or id; ``ValueError`` for anything the provider would not."""
    match = _CLUSTER_ID.match(value)
    if match:
        ref = ClusterRef(match["name"], match["project"], match["location"])
    elif "/" not in value:
        ref = ClusterRef(value)
    else:
        raise ValueError(
            f"{value!r} is neither a cluster name nor a cluster id of the form projects/P/locations/L/clusters/N"
        )
    if not _CLUSTER_NAME.match(ref.name):
        raise ValueError(
            f"{ref.name!r} is not a GKE cluster name (1-40 lowercase letters, digits and '-', starting with a letter)"
        )
    if ref.location is not None and not (is_zone(ref.location) or is_region(ref.location)):
        raise ValueError(f"{ref.location!r} in the cluster id is not a region or zone")
    return ref

"""Cloud Storage buckets and GKE's Cloud Storage FUSE CSI driver: what they accept.

Sources: Cloud Storage "Bucket naming rules" (names of 3 to 63 characters of
lowercase letters, digits, ``-`` and ``_``, or with dots up to 222 characters
and 63 between dots; starting and ending with a letter or digit; not an IP
address; not starting with ``goog``; not containing ``google`` or a close
misspelling; dotted names need a verified domain), GKE "Access Cloud Storage
buckets with the Cloud Storage FUSE CSI driver" (the pod annotation, the CSI
driver name, the ``bucketName`` and ``mountOptions`` volume attributes; the
sidecar's default requests, from the driver's webhook flags
``sidecar-cpu-request`` 250m, ``sidecar-memory-request`` 256Mi,
``sidecar-ephemeral-storage-request`` 5Gi in GoogleCloudPlatform/gcs-fuse-csi-driver
``cmd/webhook/main.go``), and "Authenticate to Google Cloud APIs from GKE
workloads" (the Workload Identity principal of a Kubernetes service account).
"""

from __future__ import annotations

import re

#: The CSI driver GKE installs with the GcsFuseCsiDriver add-on.
FUSE_DRIVER = "gcsfuse.csi.storage.gke.io"
#: The pod annotation that makes the driver's webhook inject its sidecar.
FUSE_ANNOTATION = "gke-gcsfuse/volumes"
#: Annotations that set the sidecar's requests, by Kubernetes resource.
FUSE_REQUEST_ANNOTATIONS = {
    "cpu": "gke-gcsfuse/cpu-request",
    "memory": "gke-gcsfuse/memory-request",
}
#: What the sidecar requests when no annotation says otherwise (and, by default,
#: its limits: requests equal limits, so a Guaranteed pod stays Guaranteed).
FUSE_SIDECAR_REQUESTS = {"cpu": "250m", "memory": "256Mi"}
#: IAM roles on a bucket: read and write objects, or read them only.
READ_WRITE_ROLE = "roles/storage.objectUser"
READ_ONLY_ROLE = "roles/storage.objectViewer"

_SIMPLE = re.compile(r"^[a-z0-9][a-z0-9_-]*[a-z0-9]$")
_DOTTED_PART = re.compile(r"^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
#: "google" and the misspellings the naming rules give as examples.
_GOOGLE_LIKE = re.compile(r"g[o0][o0]g[l1]e")


def bucket_name_problems(name: str) -> list[str]:
    """What the Cloud Storage naming rules refuse in ``name`` (empty when it is a valid name)."""
    if "." in name:
        if len(name) > 222:
            return [f"{name!r} has {len(name)} characters; a name with dots has at most 222"]
        parts = name.split(".")
        bad = [part for part in parts if not (0 < len(part) <= 63 and _DOTTED_PART.match(part))]
        if bad or len(name) < 3:
            return [
                f"{name!r}: each part between dots needs 1 to 63 lowercase letters, digits, '-' or '_', "
                "starting and ending with a letter or digit"
            ]
        if _IP_ADDRESS.match(name):
            return [f"{name!r} is an IP address, which Cloud Storage does not accept as a bucket name"]
    elif not (3 <= len(name) <= 63 and _SIMPLE.match(name)):
        return [
            f"{name!r} is not a bucket name: 3 to 63 lowercase letters, digits, '-' or '_', "
            "starting and ending with a letter or digit"
        ]
    if name.startswith("goog"):
        return [f"{name!r} starts with 'goog', which Cloud Storage keeps for Google"]
    if _GOOGLE_LIKE.search(name):
        return [f"{name!r} contains 'google' or a look-alike, which Cloud Storage refuses"]
    return []


def workload_identity_principal(project_number: str, workload_pool: str, namespace: str, account: str) -> str:
    """The IAM principal of Kubernetes service account ``namespace/account`` under Workload Identity."""
    return (
        f"principal://iam.googleapis.com/projects/{project_number}/locations/global/"
        f"workloadIdentityPools/{workload_pool}/subject/ns/{namespace}/sa/{account}"
    )

"""What the real Pulumi engine and pulumi-kubernetes do with a registration, from their source.

The mock engine runs none of this: no diff, no awaits, no reads. These
functions restate the rules the tests hold the component's registrations
to, each with the upstream file that backs it (pulumi-kubernetes v4.29-v4.32,
pulumi/pulumi's engine).
"""

from __future__ import annotations

from typing import Any

#: Kinds whose ``pulumi.com/skipAwait`` also skips the wait for their deletion
#: (``allowsSkipAwaitWithDelete``, provider/pkg/metadata/overrides.go): a
#: replacement created at once then meets the old object still terminating.
SKIP_AWAIT_SKIPS_DELETE_WAIT = frozenset(
    {
        ("v1", "Namespace"),
        ("v1", "Pod"),
        ("v1", "ReplicationController"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("batch/v1", "Job"),
    }
)

#: Kinds with a check on read (``awaitRead`` in provider/pkg/await/awaiters.go),
#: which ``pulumi refresh`` runs unless the inputs carry skipAwait
#: (provider/pkg/await/await.go, ``Read``); ``pulumi.com/waitFor`` does not
#: turn it off. A Patch resource of such a kind is read with the same check.
READ_CHECKED = frozenset(
    {
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "Job"),
        ("v1", "Pod"),
        ("v1", "Service"),
        ("networking.k8s.io/v1", "Ingress"),
    }
)

SKIP_AWAIT = "pulumi.com/skipAwait"


def _kind(body: dict[str, Any]) -> tuple[str, str]:
    return body["apiVersion"], body["kind"]


def skips_await(body: dict[str, Any]) -> bool:
    return body.get("metadata", {}).get("annotations", {}).get(SKIP_AWAIT) == "true"


def delete_waits(body: dict[str, Any]) -> bool:
    """Whether the provider waits until the object is gone when it deletes it."""
    return not (skips_await(body) and _kind(body) in SKIP_AWAIT_SKIPS_DELETE_WAIT)


def refresh_reads(body: dict[str, Any], live: dict[str, Any]) -> str:
    """What ``pulumi refresh`` reports for an object registered as ``body``, found as ``live``."""
    if _kind(body) not in READ_CHECKED or skips_await(body):
        return "healthy"
    kind = _kind(body)
    if kind == ("batch/v1", "Job"):
        # checker/job/check.go: ready only once Complete.
        conditions = {c["type"]: c["status"] for c in live.get("status", {}).get("conditions", [])}
        return "healthy" if conditions.get("Complete") == "True" else "unhealthy"
    if kind == ("v1", "Service") and body.get("spec", {}).get("clusterIP") == "None":
        return "healthy"  # a headless Service is ready as soon as it is seen
    return "unhealthy"  # not modelled: treat as a check that can fail

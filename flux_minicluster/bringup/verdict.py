"""Is a MiniCluster coming up, up, or failing? Decided from what the API server says.

Pure: it reads a Job, its pods and the namespace's events as the Kubernetes
API returns them (plain dicts) and remembers, from one look to the next, since
when each state has lasted. Waiting and failing look alike at first (a pod
that is Pending may be pulling a large image, or may never fit), so each
failure is called only when it cannot be a slow start:

- at once: the Job failed; a container ended with an error; an image name
  the runtime cannot parse;
- after a grace: an image that cannot be pulled, a container that cannot be
  created, a pod that fits no node while no node is being added for it, a
  volume that cannot be mounted, a broker that runs but has not joined the
  instance although its lead broker is up.

A pod still pulling its image, or waiting for a node the cluster autoscaler
is creating, is waiting however long it takes (up to ``readyTimeoutMinutes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Pod label of an Indexed Job's pods (Kubernetes 1.28 and later): the rank.
COMPLETION_INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
#: How the entrypoint of an instance that waits for jobs ends when its broker
#: was stopped: the rank is started again, nothing failed.
BROKER_ENDED_EXIT_CODE = 75

#: Seconds a state may last before it is called a failure.
IMAGE_PULL_GRACE = 60.0
CREATE_CONTAINER_GRACE = 60.0
UNSCHEDULABLE_GRACE = 90.0
NO_SCALE_UP_GRACE = 30.0
MOUNT_GRACE = 120.0
#: A bucket's mount waits for its new IAM grant to reach Cloud Storage, which
#: Google documents as usually 2 minutes, sometimes 7 or more.
BUCKET_MOUNT_GRACE = 480.0
JOIN_GRACE = 120.0

_IMAGE_PULL = frozenset({"ErrImagePull", "ImagePullBackOff"})
_CREATE_CONTAINER = frozenset({"CreateContainerConfigError", "CreateContainerError", "RunContainerError"})


@dataclass(frozen=True)
class Expectation:
    """What ``pulumi up`` waits for: ``size`` brokers ready (an instance that
    waits for jobs) or the Job's end (a command)."""

    namespace: str
    job: str
    size: int
    broker_container: str
    waits_for_jobs: bool
    #: Brokers that must be up before the lead broker can be (its quorum).
    min_size: int = 1
    kueue_queue: str | None = None
    #: The pods mount Cloud Storage buckets (their grants may still be on their way).
    mounts_buckets: bool = False


@dataclass(frozen=True)
class Observation:
    """One look at the cluster: the Job (None until it exists), its pods, the namespace's events."""

    job: Mapping[str, Any] | None
    pods: list[Mapping[str, Any]]
    events: list[Mapping[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Ready:
    """Every broker has joined (or the command has finished)."""

    summary: str


@dataclass(frozen=True)
class Waiting:
    """Not there yet, and nothing says it will not get there."""

    summary: str


@dataclass(frozen=True)
class Failed:
    """It will not come up by waiting: why, and what to do. ``logs_of`` names
    the pod and container whose last lines belong in the message."""

    message: str
    logs_of: tuple[str, str] | None = None


Verdict = Ready | Waiting | Failed


@dataclass
class Memory:
    """Since when each state has been seen, by a key naming the pod and the state."""

    since: dict[str, float] = field(default_factory=dict)

    def lasted(self, key: str, now: float) -> float:
        """Seconds ``key`` has held, counting from the first look that saw it."""
        return now - self.since.setdefault(key, now)

    def keep_only(self, keys: Iterable[str]) -> None:
        """Forget states no longer seen: a state that ends and comes back starts over."""
        alive = set(keys)
        self.since = {k: v for k, v in self.since.items() if k in alive}


def judge(expect: Expectation, seen: Observation, memory: Memory, now: float) -> Verdict:
    """The verdict on one look at the cluster, ``now`` seconds on a steady clock."""
    job = seen.job
    if job is not None:
        failed = _condition(job, "Failed")
        if failed is not None:
            return Failed(
                f"Job {expect.namespace}/{expect.job} failed: {failed.get('reason', '')}: {failed.get('message', '')}"
                f"{_last_failed_pod(seen.pods)}; see `kubectl describe job -n {expect.namespace} {expect.job}`"
            )
        if not expect.waits_for_jobs and _condition(job, "Complete") is not None:
            return Ready(f"the command finished on Job {expect.namespace}/{expect.job}")
    live = [pod for pod in seen.pods if not pod.get("metadata", {}).get("deletionTimestamp")]
    states: list[str] = []
    ready_ranks: set[str] = set()
    lead_ready = any(_is_ready(pod) and _rank(pod) == "0" for pod in live)
    # The lead broker can form the instance once its quorum of brokers runs.
    quorum_runs = len({_rank(pod) for pod in live if _broker_runs(expect, pod)}) >= expect.min_size
    for pod in sorted(live, key=_rank_order):
        verdict, keys = _judge_pod(expect, pod, seen.events, memory, now, lead_ready, quorum_runs)
        states += keys
        if isinstance(verdict, Failed):
            return verdict
        if _is_ready(pod):
            ready_ranks.add(_rank(pod))
    memory.keep_only(states)
    if job is None:
        return Waiting(f"Job {expect.namespace}/{expect.job} does not exist yet")
    if _is_suspended(job):
        if expect.kueue_queue:
            return Waiting(f"queued: Kueue admits the Job from queue {expect.kueue_queue}")
        return Waiting("the Job is suspended until its size patch starts it")
    if expect.waits_for_jobs and len(ready_ranks) >= expect.size:
        return Ready(f"{expect.size} of {expect.size} brokers joined the instance")
    pending = _waiting_summary(live, seen.events)
    if expect.waits_for_jobs:
        return Waiting(f"{len(ready_ranks)} of {expect.size} brokers joined the instance{pending}")
    return Waiting(f"the command runs{pending}")


def _judge_pod(
    expect: Expectation,
    pod: Mapping[str, Any],
    events: list[Mapping[str, Any]],
    memory: Memory,
    now: float,
    lead_ready: bool,
    quorum_runs: bool,
) -> tuple[Verdict | None, list[str]]:
    """A pod's failure, if it has one, and the keys of the states it is in."""
    name = pod["metadata"]["name"]
    rank = _rank(pod)
    who = f"pod {expect.namespace}/{name} (rank {rank})"
    status = pod.get("status", {})
    keys: list[str] = []
    if status.get("phase") == "Failed" and not _condition(pod, "DisruptionTarget"):
        for container in _container_statuses(pod):
            ended = container.get("state", {}).get("terminated")
            if ended and ended.get("exitCode", 0) not in (0, BROKER_ENDED_EXIT_CODE):
                reason = ended.get("reason") or "Error"
                return Failed(
                    f"{who}: container {container['name']} ended with exit code {ended['exitCode']} ({reason})"
                    f"{_detail(ended.get('message'))}; fix the command or image and run pulumi up again",
                    logs_of=(name, container["name"]),
                ), keys
    for container in _container_statuses(pod):
        waiting = container.get("state", {}).get("waiting") or {}
        reason = waiting.get("reason", "")
        detail = _detail(waiting.get("message"))
        # The kubelet alternates ErrImagePull and ImagePullBackOff: one state for both.
        kind = "image-pull" if reason in _IMAGE_PULL else "create" if reason in _CREATE_CONTAINER else reason
        key = f"{name}/{container['name']}/{kind}"
        if reason == "InvalidImageName":
            return Failed(
                f"{who}: container {container['name']} has an image name the container runtime cannot read"
                f"{detail}; write it as [registry/]repository[:tag|@digest], lowercase"
            ), keys
        if reason in _IMAGE_PULL:
            keys.append(key)
            if memory.lasted(key, now) >= IMAGE_PULL_GRACE:
                return Failed(
                    f"{who}: container {container['name']} cannot pull its image ({reason}){detail}; "
                    "check the image name and tag, and that the cluster's nodes may pull from its registry"
                ), keys
        elif reason in _CREATE_CONTAINER:
            keys.append(key)
            if memory.lasted(key, now) >= CREATE_CONTAINER_GRACE:
                return Failed(
                    f"{who}: container {container['name']} cannot be created ({reason}){detail}; "
                    "check the Secrets, ConfigMaps and settings it uses"
                ), keys
    scheduled = _condition(pod, "PodScheduled", status=None)
    if scheduled is not None and scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        key = f"{name}/unschedulable"
        keys.append(key)
        lasted = memory.lasted(key, now)
        pod_events = _events_of(events, name)
        scaling_up = any(e.get("reason") == "TriggeredScaleUp" for e in pod_events)
        no_scale_up = [e for e in pod_events if e.get("reason") == "NotTriggerScaleUp"]
        if not scaling_up and (lasted >= UNSCHEDULABLE_GRACE or (no_scale_up and lasted >= NO_SCALE_UP_GRACE)):
            why = _detail(scheduled.get("message"))
            extra = _detail(no_scale_up[-1].get("message")) if no_scale_up else ""
            return Failed(
                f"{who} fits no node{why}{extra}; check the node pool's size and machine type against "
                "the pod's requests, its taints and quota, and the compact placement's capacity"
            ), keys
    mount_failures = [e for e in _events_of(events, name) if e.get("reason") in ("FailedMount", "FailedAttachVolume")]
    if mount_failures and status.get("phase") == "Pending":
        key = f"{name}/mount"
        keys.append(key)
        grace = BUCKET_MOUNT_GRACE if expect.mounts_buckets else MOUNT_GRACE
        if memory.lasted(key, now) >= grace:
            message = str(mount_failures[-1].get("message") or "")
            check = (
                "check that the bucket exists and that its IAM grant names the pods' service account "
                "(the stack's bucket-*-access resource)"
                if "gcsfuse" in message
                else "check the data volumes' storage class and access mode, and the Secrets and "
                "ConfigMaps the pod mounts"
            )
            return Failed(f"{who} cannot mount its volumes{_detail(message)}; {check}"), keys
    if _broker_runs(expect, pod) and not _is_ready(pod):
        key = f"{name}/joining"
        # A rank waits for its lead broker; the lead, for its quorum.
        if (rank == "0" and quorum_runs) or (rank != "0" and lead_ready):
            keys.append(key)
            if memory.lasted(key, now) >= JOIN_GRACE:
                what = "has not formed the instance" if rank == "0" else "has not joined the instance"
                return Failed(
                    f"{who}: the broker runs but {what} after {int(JOIN_GRACE)} s; a rank with another "
                    "certificate or a lead broker it cannot reach waits forever: check the certificate and "
                    "the headless Service, and the broker's log",
                    logs_of=(name, expect.broker_container),
                ), keys
    return None, keys


def _waiting_summary(pods: list[Mapping[str, Any]], events: list[Mapping[str, Any]]) -> str:
    """What the pods that are not ready are doing, in a few words."""
    notes = []
    for pod in sorted(pods, key=_rank_order):
        if _is_ready(pod):
            continue
        rank = _rank(pod)
        reason = next(
            (
                c["state"]["waiting"].get("reason")
                for c in _container_statuses(pod)
                if c.get("state", {}).get("waiting")
            ),
            None,
        )
        if reason == "ContainerCreating" and any(e.get("reason") == "Pulling" for e in _events_of(events, _name(pod))):
            reason = "pulling its image"
        scheduled = _condition(pod, "PodScheduled", status=None)
        if scheduled is not None and scheduled.get("status") == "False":
            scaling = any(e.get("reason") == "TriggeredScaleUp" for e in _events_of(events, _name(pod)))
            reason = "waiting for a node being added" if scaling else "waiting for a node"
        notes.append(f"rank {rank}: {reason or pod.get('status', {}).get('phase', 'Pending')}")
    return f" ({'; '.join(notes[:4])}{'; ...' if len(notes) > 4 else ''})" if notes else ""


def _last_failed_pod(pods: list[Mapping[str, Any]]) -> str:
    for pod in sorted(pods, key=_rank_order):
        for container in _container_statuses(pod):
            ended = container.get("state", {}).get("terminated")
            if ended and ended.get("exitCode", 0) != 0:
                return f"; pod {_name(pod)} container {container['name']} ended with exit code {ended['exitCode']}"
    return ""


def _condition(obj: Mapping[str, Any], kind: str, status: str | None = "True") -> Mapping[str, Any] | None:
    for condition in obj.get("status", {}).get("conditions") or []:
        if condition.get("type") == kind and (status is None or condition.get("status") == status):
            return condition  # type: ignore[no-any-return]
    return None


def _broker_runs(expect: Expectation, pod: Mapping[str, Any]) -> bool:
    """Whether the pod's broker container has started (and not ended)."""
    statuses = pod.get("status", {}).get("containerStatuses") or []
    broker = next((c for c in statuses if c.get("name") == expect.broker_container), None)
    return broker is not None and bool(broker.get("state", {}).get("running"))


def _is_ready(pod: Mapping[str, Any]) -> bool:
    return _condition(pod, "Ready") is not None


def _is_suspended(job: Mapping[str, Any]) -> bool:
    return bool(job.get("spec", {}).get("suspend")) or _condition(job, "Suspended") is not None


def _container_statuses(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = pod.get("status", {})
    return [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]


def _events_of(events: list[Mapping[str, Any]], pod: str) -> list[Mapping[str, Any]]:
    return [
        e for e in events if e.get("involvedObject", {}).get("kind") == "Pod" and e["involvedObject"].get("name") == pod
    ]


def _name(pod: Mapping[str, Any]) -> str:
    return str(pod["metadata"]["name"])


def _rank(pod: Mapping[str, Any]) -> str:
    return str(pod.get("metadata", {}).get("labels", {}).get(COMPLETION_INDEX_LABEL, "?"))


def _rank_order(pod: Mapping[str, Any]) -> tuple[int, str]:
    rank = _rank(pod)
    return (int(rank) if rank.isdigit() else -1, _name(pod))


def _detail(message: object) -> str:
    text = " ".join(str(message or "").split())
    return f": {text}" if text else ""

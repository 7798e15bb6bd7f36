"""Watch a MiniCluster's Job and pods until the instance is up, fails, or time runs out.

Every few seconds: the Job, its pods and the namespace's events, judged by
``verdict.judge``. A failure ends the wait at once with its reason and the
last lines of the container it names; a change in what is awaited is
reported as it happens, so a long wait says what it waits for.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .verdict import Expectation, Failed, Memory, Observation, Ready, Waiting, judge

if TYPE_CHECKING:
    from .kubeapi import KubeClient

#: Seconds between two looks at the cluster.
POLL_SECONDS = 3.0
#: Lines of a failed container's log put in the message.
LOG_LINES = 20


#: The oldest Kubernetes that runs the native backend's Job as written:
#: elastic Indexed Jobs and pod failure policies are GA in 1.31, per-index
#: retries (backoffLimitPerIndex) on by default since 1.29. An older API
#: server drops the fields it does not know: a broker that fails would end
#: the instance, and the Job would differ from what was declared on every update.
MIN_KUBERNETES = (1, 31)


#: Image volumes (the view mounted, not copied): the ImageVolume feature is
#: on by default from Kubernetes 1.35 (beta in 1.33 and 1.34, off by default).
IMAGE_VOLUME_KUBERNETES = (1, 35)


class BringUpError(Exception):
    """The instance did not come up: one message for the user."""


def check_image_volumes(version: str) -> None:
    """``BringUpError`` when a cluster of ``version`` does not serve image volumes by default."""
    found = tuple(int(part) for part in version.split(".")[:2])
    if found < IMAGE_VOLUME_KUBERNETES:
        least = ".".join(str(n) for n in IMAGE_VOLUME_KUBERNETES)
        raise BringUpError(
            f"the cluster runs Kubernetes {version}; flux.viewImageVolume needs {least} or later (image volumes "
            "on by default) and nodes with containerd 2.1 or later: upgrade the cluster, or set "
            "flux.viewImageVolume to false"
        )


def check_cluster(kubeconfig: str) -> str:
    """The cluster's Kubernetes version (``1.33``); ``BringUpError`` when the
    cluster cannot be reached or is older than ``MIN_KUBERNETES``."""
    from .kubeapi import KubeApiError, KubeClient

    try:
        client = KubeClient.from_kubeconfig(kubeconfig)
        try:
            info = client.get("/version")
        finally:
            client.close()
    except KubeApiError as error:
        raise BringUpError(f"cannot check the cluster's Kubernetes version: {error}") from None
    major, minor = (int(m.group()) if (m := re.match(r"\d+", str(info.get(k, "")))) else 0 for k in ("major", "minor"))
    if (major, minor) < MIN_KUBERNETES:
        least = ".".join(str(n) for n in MIN_KUBERNETES)
        raise BringUpError(
            f"the cluster runs Kubernetes {major}.{minor} ({info.get('gitVersion', '?')}); the native backend needs "
            f"{least} or later (elastic Indexed Jobs, pod failure policies, per-broker retries): upgrade the "
            "cluster, or use miniCluster.backend: operator"
        )
    return f"{major}.{minor}"


@dataclass(frozen=True)
class WaitRequest:
    """What the component asks to be waited for."""

    expect: Expectation
    kubeconfig: str
    timeout_seconds: float


def wait_for_instance(
    request: WaitRequest,
    *,
    report: Callable[[str], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    poll_seconds: float = POLL_SECONDS,
) -> str:
    """Return what came up, or raise ``BringUpError`` with why not."""
    from .kubeapi import KubeApiError, KubeClient

    expect = request.expect
    client = KubeClient.from_kubeconfig(request.kubeconfig)
    memory = Memory()
    started = clock()
    said = ""
    try:
        while True:
            try:
                verdict = judge(expect, _look(client, expect), memory, clock())
            except KubeApiError as error:
                raise BringUpError(f"cannot watch MiniCluster {expect.namespace}/{expect.job}: {error}") from None
            if isinstance(verdict, Ready):
                return verdict.summary
            if isinstance(verdict, Failed):
                raise BringUpError(verdict.message + _log_tail(client, expect, verdict))
            assert isinstance(verdict, Waiting)
            if verdict.summary != said:
                report(verdict.summary)
                said = verdict.summary
            if clock() - started >= request.timeout_seconds:
                minutes = request.timeout_seconds / 60
                raise BringUpError(
                    f"MiniCluster {expect.namespace}/{expect.job} not up after {minutes:g} minutes "
                    f"(readyTimeoutMinutes): {verdict.summary}"
                )
            sleep(poll_seconds)
    finally:
        client.close()


def _look(client: KubeClient, expect: Expectation) -> Observation:
    from .kubeapi import KubeApiError

    namespace = f"/api/v1/namespaces/{expect.namespace}"
    try:
        job = client.get(f"/apis/batch/v1/namespaces/{expect.namespace}/jobs/{expect.job}")
    except KubeApiError as error:
        if error.status != 404:
            raise
        job = None
    pods = client.get(f"{namespace}/pods", labelSelector=f"job-name={expect.job}")["items"]
    events = client.get(f"{namespace}/events")["items"]
    return Observation(job=job, pods=pods, events=events)


def _log_tail(client: KubeClient, expect: Expectation, verdict: Failed) -> str:
    from .kubeapi import KubeApiError

    if verdict.logs_of is None:
        return ""
    pod, container = verdict.logs_of
    try:
        text = client.get_text(
            f"/api/v1/namespaces/{expect.namespace}/pods/{pod}/log", container=container, tailLines=LOG_LINES
        )
    except KubeApiError:
        return ""
    lines = text.rstrip("\n").splitlines()[-LOG_LINES:]
    if not lines:
        return ""
    return f"\nlast {len(lines)} lines of {pod} ({container}):\n" + "\n".join(f"  {line}" for line in lines)

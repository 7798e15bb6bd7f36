"""The component's own wait for its instance, during ``pulumi up``.

The Pulumi Kubernetes provider's waits only ever succeed or time out
(``pulumi.com/waitFor``), and report only the awaited object's own events.
With a kubeconfig, the component watches the Job and its pods itself
(``bringup``): ``pulumi up`` returns once every broker has joined, and fails
within minutes of the first state that waiting cannot fix, with the pod, the
reason and the broker's last log lines. It runs in whatever process hosts
the component (a Python program, or the provider that serves other
languages), never during a preview.

Before anything is created, the cluster's Kubernetes version is checked
against what the native backend needs. Tests replace both (``watching_with``):
under the mock engine there is no cluster to read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pulumi

from ..bringup.verdict import Expectation
from ..bringup.waiter import BringUpError, WaitRequest, check_cluster, check_image_volumes, wait_for_instance

if TYPE_CHECKING:
    from ..spec import MiniClusterSpec


class Watcher:
    """Reads the cluster for the component: its version before anything is
    created, then the instance until it is up."""

    def check(self, kubeconfig: str) -> str:
        return check_cluster(kubeconfig)

    def wait(self, request: WaitRequest, report: Callable[[str], None]) -> str:
        return wait_for_instance(request, report=report)


_watcher = Watcher()


@contextmanager
def watching_with(watcher: Watcher) -> Iterator[None]:
    """Use ``watcher`` instead of reading a cluster, inside the block."""
    global _watcher
    previous, _watcher = _watcher, watcher
    try:
        yield
    finally:
        _watcher = previous


def _in_background(owner: pulumi.Resource, work: Callable[[], str]) -> Any:
    """Run ``work`` off the event loop (it blocks), its BringUpError as a RunError."""
    loop = asyncio.get_running_loop()

    def run() -> str:
        try:
            return work()
        except BringUpError as error:
            # The message alone, without a Python traceback.
            raise pulumi.RunError(str(error)) from None

    return loop.run_in_executor(None, run)


def cluster_checked(
    owner: pulumi.Resource, kubeconfig: pulumi.Input[str], *, image_volumes: bool = False
) -> pulumi.Output[str]:
    """The cluster's Kubernetes version, once checked (not during a preview);
    ``image_volumes``: the pods mount the view image as a volume."""
    watcher = _watcher

    def checked(text: str) -> str:
        version = watcher.check(text)
        if image_volumes:
            check_image_volumes(version)
        return version

    def check(text: str) -> Any:
        if pulumi.runtime.is_dry_run():
            return "preview: not checked"
        return _in_background(owner, lambda: checked(text))

    return pulumi.Output.from_input(kubeconfig).apply(check)


def expectation(mc: MiniClusterSpec) -> Expectation:
    assert mc.flux_container.name is not None
    return Expectation(
        namespace=mc.namespace,
        job=mc.name,
        size=mc.size,
        broker_container=mc.flux_container.name,
        waits_for_jobs=mc.waits_for_jobs,
        min_size=mc.min_size,
        kueue_queue=mc.kueue_queue,
        mounts_buckets=bool(mc.buckets),
    )


def instance_up(
    owner: pulumi.Resource, mc: MiniClusterSpec, started: pulumi.Output[Any], kubeconfig: pulumi.Input[str]
) -> pulumi.Output[str]:
    """What came up, once ``started`` (the Job's start) resolves and the instance is up.

    A preview resolves at once: nothing runs to be watched.
    """
    watcher = _watcher
    expect = expectation(mc)
    timeout = mc.ready_timeout_minutes * 60.0

    def watch(values: list[Any]) -> Any:
        if pulumi.runtime.is_dry_run():
            return "preview: not watched"
        loop = asyncio.get_running_loop()

        def report(message: str) -> None:
            loop.call_soon_threadsafe(pulumi.log.info, message, owner)

        request = WaitRequest(expect, str(values[1]), timeout)
        return _in_background(owner, lambda: watcher.wait(request, report))

    return pulumi.Output.all(started, kubeconfig).apply(watch)

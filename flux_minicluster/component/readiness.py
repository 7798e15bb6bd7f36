"""The component's own wait for its instance, during ``pulumi up``.

The Pulumi Kubernetes provider's waits only ever succeed or time out
(``pulumi.com/waitFor``), and report only the awaited object's own events.
With a kubeconfig, the component watches the Job and its pods itself
(``bringup``): ``pulumi up`` returns once every broker has joined, and fails
within minutes of the first state that waiting cannot fix, with the pod, the
reason and the broker's last log lines. It runs in whatever process hosts
the component (a Python program, or the provider that serves other
languages), never during a preview.

Tests replace the watch (``waiting_with``): under the mock engine there is
no cluster to watch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pulumi

from ..bringup.verdict import Expectation
from ..bringup.waiter import BringUpError, WaitRequest, wait_for_instance

if TYPE_CHECKING:
    from ..spec import MiniClusterSpec

#: Waits for what a request asks, reporting progress; returns what came up.
Waiter = Callable[[WaitRequest, Callable[[str], None]], str]


def _watch(request: WaitRequest, report: Callable[[str], None]) -> str:
    return wait_for_instance(request, report=report)


_waiter: Waiter = _watch


@contextmanager
def waiting_with(waiter: Waiter) -> Iterator[None]:
    """Use ``waiter`` instead of watching a cluster, inside the block."""
    global _waiter
    previous, _waiter = _waiter, waiter
    try:
        yield
    finally:
        _waiter = previous


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
    )


def instance_up(
    owner: pulumi.Resource, mc: MiniClusterSpec, started: pulumi.Output[Any], kubeconfig: pulumi.Input[str]
) -> pulumi.Output[str]:
    """What came up, once ``started`` (the Job's start) resolves and the instance is up.

    A preview resolves at once: nothing runs to be watched.
    """
    waiter = _waiter
    expect = expectation(mc)
    timeout = mc.ready_timeout_minutes * 60.0

    def watch(values: list[Any]) -> Any:
        if pulumi.runtime.is_dry_run():
            return "preview: not watched"
        loop = asyncio.get_running_loop()

        def report(message: str) -> None:
            loop.call_soon_threadsafe(pulumi.log.info, message, owner)

        def run() -> str:
            try:
                return waiter(WaitRequest(expect, str(values[1]), timeout), report)
            except BringUpError as error:
                # The message alone, without a Python traceback.
                raise pulumi.RunError(str(error)) from None

        return loop.run_in_executor(None, run)

    return pulumi.Output.all(started, kubeconfig).apply(watch)

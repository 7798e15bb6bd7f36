"""The native backend on real Flux brokers: what the builders generate, run unmodified.

Each test renders a MiniCluster with the package's builders, lays its
ConfigMap and Secret out as the kubelet mounts them, and starts one broker
per rank in its own UTS and mount namespace inside a private network
namespace (``broker_sandbox.py``). Needs root and a flux-core build
(``tools/flux-core.sh``); skipped with the reason otherwise, and never
skipped under CI.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Iterator
from typing import Any

import pytest
from broker_sandbox import Sandbox, in_pod, load_stretch, real_brokers, sandbox_for, wait_until

from flux_minicluster import load_spec
from flux_minicluster.broker import fluxfacts
from flux_minicluster.broker.certificate import certificate_text
from flux_minicluster.endpoint import lead_broker
from flux_minicluster.spec import ExperimentSpec

PREFIX, pytestmark = real_brokers()

NAME, NAMESPACE = "hello", "flux-hello"
#: Bound of every wait on an idle machine; waits stretch while the machine is loaded.
JOIN_SECONDS = 60


def experiment(**mini_cluster: Any) -> ExperimentSpec:
    mc = {"name": NAME, "namespace": NAMESPACE, "containers": [{"image": "app"}], **mini_cluster}
    return load_spec({"miniCluster": mc})


def sandbox(spec: ExperimentSpec, certificate: str | None = None) -> Sandbox:
    assert PREFIX is not None
    return sandbox_for(spec, PREFIX, certificate)


@pytest.fixture
def interactive() -> Iterator[tuple[ExperimentSpec, Sandbox]]:
    # minSize 2: rank 0 is not ready until a second broker has joined.
    spec = experiment(size=2, maxSize=4, minSize=2, interactive=True)
    with sandbox(spec) as box:
        yield spec, box


def in_instance(box: Sandbox, command: str) -> Any:
    """A command through the lead broker's local URI, as the exported commands reach it."""
    return box.exec(0, f'. {fluxfacts.FLUX_VIEW_ENV_SCRIPT} && flux proxy "$fluxsocket" {command}', timeout=60)


def test_ranks_form_the_instance_and_readiness_follows_it(interactive: tuple[ExperimentSpec, Sandbox]) -> None:
    _spec, box = interactive
    box.start(1)
    # A worker alone waits for the lead broker: running, but not ready.
    time.sleep(3)
    assert box.ranks[1].process.poll() is None, box.logs()
    assert not box.ready(1)
    box.start(0)
    assert wait_until(lambda: box.exec(0, f"test -S {fluxfacts.RUN_DIR}/local").returncode == 0, JOIN_SECONDS), (
        box.logs()
    )
    box.wait_ready([0, 1], JOIN_SECONDS)
    online = in_instance(box, "flux resource list -s up -no {nnodes}")
    assert online.stdout.strip() == "2", online


def test_lead_broker_is_not_ready_before_its_quorum() -> None:
    spec = experiment(size=2, maxSize=2, minSize=2, interactive=True)
    with sandbox(spec) as box:
        box.start(0)
        assert wait_until(lambda: box.exec(0, f"test -S {fluxfacts.RUN_DIR}/local").returncode == 0, JOIN_SECONDS), (
            box.logs()
        )
        time.sleep(2)
        assert not box.ready(0), "rank 0 ready with 1 of 2 brokers"
        box.start(1)
        box.wait_ready([0], JOIN_SECONDS)


def test_exported_submit_command_runs_a_job_on_every_rank(interactive: tuple[ExperimentSpec, Sandbox]) -> None:
    spec, box = interactive
    box.start(0)
    box.start(1)
    box.wait_ready([0, 1], JOIN_SECONDS)
    # The script kubectl exec runs: everything after `sh -c`.
    script = shlex.split(lead_broker(spec.mini_cluster).submit_command)[-1]
    ran = box.exec(0, script, timeout=60)
    assert ran.returncode == 0, ran.stderr
    # flux submit --watch prints the job id, then each task's output.
    job_id, *hosts = ran.stdout.split()
    assert job_id.startswith("ƒ") and sorted(hosts) == [f"{NAME}-0", f"{NAME}-1"]


def test_exported_flux_command_runs_the_flux_command_written_after_it(
    interactive: tuple[ExperimentSpec, Sandbox],
) -> None:
    spec, box = interactive
    box.start(0)
    box.start(1)
    box.wait_ready([0, 1], JOIN_SECONDS)
    flux = in_pod(lead_broker(spec.mini_cluster).flux_command)
    # Words with spaces and $ reach the job as written: a shell inside the job expands them.
    job = ["sh", "-c", 'echo "$(hostname)" "$0"', "two words"]
    ran = box.exec(0, shlex.join([*flux, "run", "-N2", "--label-io", *job]))
    assert ran.returncode == 0, ran.stderr
    assert sorted(ran.stdout.splitlines()) == [f"0: {NAME}-0 two words", f"1: {NAME}-1 two words"]
    listed = box.exec(0, shlex.join([*flux, "resource", "list", "--states=up", "-no", "{nnodes}"]))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["2"]


def test_ranks_added_up_to_max_size_join_the_running_instance(interactive: tuple[ExperimentSpec, Sandbox]) -> None:
    _spec, box = interactive
    box.start(0)
    box.start(1)
    box.wait_ready([0, 1], JOIN_SECONDS)
    # What a size change does: the Job starts pods 2 and 3 with the same ConfigMap.
    box.start(2)
    box.start(3)
    box.wait_ready([2, 3], JOIN_SECONDS)
    online = in_instance(box, "flux resource list -s up -no {nnodes}")
    assert online.stdout.strip() == "4", online
    ran = in_instance(box, "flux run -N 4 hostname")
    assert sorted(ran.stdout.split()) == [f"{NAME}-{i}" for i in range(4)], ran.stderr


def test_a_rank_with_another_certificate_never_becomes_ready(interactive: tuple[ExperimentSpec, Sandbox]) -> None:
    _spec, box = interactive
    box.start(0)
    box.start(1)
    box.wait_ready([0, 1], JOIN_SECONDS)
    other = certificate_text(os.urandom(32), f"{NAME}-0")
    box.replace_secret({fluxfacts.CERT_SECRET_KEY: other}, directory="other-curve")
    box.start(2, curve="other-curve")
    assert not wait_until(lambda: box.ready(2), 15)
    assert box.ranks[2].process.poll() is None, "it hangs rather than failing"
    online = in_instance(box, "flux resource list -s up -no {nnodes}")
    assert online.stdout.strip() == "2"


def test_a_command_runs_and_every_rank_exits_0() -> None:
    spec = experiment(size=2, maxSize=2, containers=[{"image": "app", "command": "hostname"}])
    with sandbox(spec) as box:
        ranks = [box.start(0), box.start(1)]
        deadline = time.monotonic() + 120 * load_stretch()
        for rank in ranks:
            rank.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        assert [rank.process.returncode for rank in ranks] == [0, 0], box.logs()
        assert f"{NAME}-0" in box.log(0) and f"{NAME}-1" in box.log(0)


def test_hooks_run_where_the_operator_runs_them() -> None:
    commands = {
        "pre": "echo pre-ran",
        "brokerPre": "echo lead-only",
        "workerPre": "echo worker-only",
        "post": "echo post-ran",
    }
    spec = experiment(size=2, maxSize=2, containers=[{"image": "app", "command": "true", "commands": commands}])
    with sandbox(spec) as box:
        ranks = [box.start(0), box.start(1)]
        for rank in ranks:
            rank.process.wait(timeout=120 * load_stretch())
        lead, worker = box.log(0), box.log(1)
        assert "pre-ran" in lead and "lead-only" in lead and "worker-only" not in lead and "post-ran" in lead
        assert "pre-ran" in worker and "worker-only" in worker and "lead-only" not in worker

"""What ``pulumi up`` makes of recorded MiniCluster states: waiting, up, or failing (and why).

Each scenario in ``tests/data/bringup/`` is a sequence of looks at a Job, its
pods and the namespace's events, as the Kubernetes API shows them, with the
verdict each look must get. Failures that could still be a slow start are
called only after their grace; a slow start is never cut short.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from flux_minicluster.bringup.verdict import (
    IMAGE_PULL_GRACE,
    JOIN_GRACE,
    Expectation,
    Failed,
    Memory,
    Observation,
    Ready,
    Waiting,
    judge,
)

SCENARIOS = sorted((Path(__file__).resolve().parent / "data" / "bringup").glob("*.yaml"))
KINDS = {"waiting": Waiting, "ready": Ready, "failed": Failed}


def expectation(fields: dict[str, Any]) -> Expectation:
    return Expectation(
        namespace=fields["namespace"],
        job=fields["job"],
        size=fields["size"],
        broker_container=fields["brokerContainer"],
        waits_for_jobs=fields["waitsForJobs"],
        min_size=fields.get("minSize", 1),
        kueue_queue=fields.get("kueueQueue"),
        mounts_buckets=fields.get("mountsBuckets", False),
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_each_look_gets_its_verdict(scenario: Path) -> None:
    recorded = yaml.safe_load(scenario.read_text())
    expect = expectation(recorded["expect"])
    memory = Memory()
    for look in recorded["looks"]:
        seen = Observation(job=look.get("job"), pods=look.get("pods", []), events=look.get("events", []))
        verdict = judge(expect, seen, memory, float(look["at"]))
        assert isinstance(verdict, KINDS[look["verdict"]]), (look["at"], verdict)
        text = verdict.message if isinstance(verdict, Failed) else verdict.summary
        for words in look.get("message", []):
            assert words in text, (look["at"], words, text)
        if "logsOf" in look:
            assert isinstance(verdict, Failed) and verdict.logs_of == tuple(look["logsOf"])


def test_every_scenario_is_read() -> None:
    assert len(SCENARIOS) >= 15
    verdicts = {look["verdict"] for s in SCENARIOS for look in yaml.safe_load(s.read_text())["looks"]}
    assert verdicts == set(KINDS)


def _pulling(reason: str) -> Observation:
    pod = {
        "metadata": {"name": "a-0-x", "labels": {"batch.kubernetes.io/job-completion-index": "0"}},
        "status": {"phase": "Pending", "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": reason}}}]},
    }
    return Observation(job={"metadata": {"name": "a"}, "spec": {"suspend": False}}, pods=[pod])


EXPECT = Expectation(namespace="n", job="a", size=1, broker_container="a", waits_for_jobs=True)


def test_a_failing_state_that_ends_starts_its_grace_over() -> None:
    memory = Memory()
    assert isinstance(judge(EXPECT, _pulling("ErrImagePull"), memory, 0.0), Waiting)
    # The pull went through once, then failed again: the grace counts from the new failure.
    assert isinstance(judge(EXPECT, _pulling("ContainerCreating"), memory, 40.0), Waiting)
    assert isinstance(judge(EXPECT, _pulling("ImagePullBackOff"), memory, 50.0), Waiting)
    assert isinstance(judge(EXPECT, _pulling("ImagePullBackOff"), memory, 50.0 + IMAGE_PULL_GRACE - 1), Waiting)
    assert isinstance(judge(EXPECT, _pulling("ImagePullBackOff"), memory, 50.0 + IMAGE_PULL_GRACE), Failed)


def test_a_rank_waiting_for_a_lead_broker_that_is_not_up_is_not_stuck() -> None:
    def pod(rank: str, ready: bool, state: dict[str, Any]) -> dict[str, Any]:
        return {
            "metadata": {"name": f"a-{rank}-x", "labels": {"batch.kubernetes.io/job-completion-index": rank}},
            "status": {
                "phase": "Running" if "running" in state else "Pending",
                "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                "containerStatuses": [{"name": "a", "state": state}],
            },
        }

    expect = Expectation(namespace="n", job="a", size=2, broker_container="a", waits_for_jobs=True, min_size=2)
    job = {"metadata": {"name": "a"}, "spec": {"suspend": False}}
    pulling = Observation(
        job, [pod("0", False, {"waiting": {"reason": "ContainerCreating"}}), pod("1", False, {"running": {}})]
    )
    memory = Memory()
    # Rank 1 runs and waits for rank 0, which is still being created: however long.
    for at in (0.0, JOIN_GRACE, 10 * JOIN_GRACE):
        assert isinstance(judge(expect, pulling, memory, at), Waiting)

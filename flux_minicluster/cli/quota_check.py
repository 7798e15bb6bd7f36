"""``validate --check-quota``: the quotas a pool takes against the project's live limits.

Read with the user's own gcloud credentials (``gcloud compute regions
describe`` and ``gcloud compute project-info describe``: the ``quotas`` of
Compute Engine's ``regions.get`` and ``projects.get``); nothing is changed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from ..catalog.quotas import QuotaUse
from ..spec import NodePoolSpec

GCLOUD_TIMEOUT = 120


class QuotaCheckError(Exception):
    """The limits cannot be read (one line, for the user)."""


def quota_report(pool: NodePoolSpec) -> tuple[list[str], bool]:
    """One line per quota the pool takes, and whether every one has room."""
    project = pool.cluster_project or _gcloud("config", "get-value", "project", json_output=False).strip()
    if not project:
        raise QuotaCheckError("--check-quota: no project: set nodePool.project, or gcloud config set project P")
    regional = _limits(_gcloud("compute", "regions", "describe", pool.region, "--project", project))
    overall = _limits(_gcloud("compute", "project-info", "describe", "--project", project))
    lines, enough = [], True
    for use in pool.quota_uses:
        limits = overall if use.global_ else regional
        where = "the project" if use.global_ else pool.region
        line, ok = _check(use, limits, where)
        lines.append(line)
        enough = enough and ok
    return [f"quota check ({project}): {line}" for line in lines], enough


def _check(use: QuotaUse, limits: dict[str, tuple[float, float]], where: str) -> tuple[str, bool]:
    metric = use.metric
    if use.otherwise and limits.get(metric, (0.0, 0.0))[0] == 0:
        metric = use.otherwise  # no preemptible quota: Spot VMs count against the family's
    if metric not in limits:
        return f"{metric} {use.amount:,}: not reported for {where}; see Cloud Quotas in the console", True
    limit, usage = limits[metric]
    free = limit - usage
    if free >= use.amount:
        return f"{metric} {use.amount:,}: {free:,.0f} free of {limit:,.0f} in {where}", True
    return f"{metric} {use.amount:,}: only {free:,.0f} free of {limit:,.0f} in {where}; request more quota", False


def _limits(description: str) -> dict[str, tuple[float, float]]:
    try:
        quotas = json.loads(description).get("quotas", [])
        return {str(q["metric"]): (float(q["limit"]), float(q.get("usage", 0))) for q in quotas}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise QuotaCheckError(f"--check-quota: gcloud printed no quotas ({error})") from None


def _gcloud(*args: str, json_output: bool = True) -> Any:
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise QuotaCheckError("--check-quota: gcloud is not installed; the check reads limits with your credentials")
    command = [gcloud, *args] + (["--format=json"] if json_output else [])
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=GCLOUD_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise QuotaCheckError(f"--check-quota: gcloud {' '.join(args[:3])}: {error}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise QuotaCheckError(f"--check-quota: gcloud {' '.join(args[:3])}: {last}")
    return done.stdout

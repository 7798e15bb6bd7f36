"""What ``pulumi up`` would do to go from one render of a stack to another.

Offline and credential-free, for reviewing a change to a stack: each
resource is created, updated in place, replaced or deleted by the rules the
component registers it with (``lifecycle.LIFECYCLE``) and the providers' own
replace rules, so this prediction and ``pulumi up`` read the same table.

It compares what this package would send, not the live objects: fields the
API server or GKE fill in, and changes made outside Pulumi, are for
``pulumi preview`` to show.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ..kubernetes_objects import DATA_VOLUME, NAMESPACE
from ..lifecycle import BUCKET, BUCKET_ACCESS, lifecycle_of, replaced_by
from .render import RenderedResource, to_yaml

Action = Literal["create", "update", "replace", "delete"]

#: Pulumi's own marks for each step, as ``pulumi preview`` prints them.
MARK: dict[Action, str] = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


@dataclass(frozen=True)
class Step:
    """One resource that changes, and why."""

    action: Action
    resource: RenderedResource
    #: Every changed path that ``pulumi up`` acts on (ignored paths left out).
    changed: tuple[str, ...] = ()
    #: Why it is replaced: the paths that replace it, or ``NAME is replaced``
    #: for a resource it is replaced with.
    because: tuple[str, ...] = ()
    #: The resource before an update or a replacement.
    before: RenderedResource | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource.type_token, self.resource.name)


@dataclass(frozen=True)
class Scale:
    """How many brokers a version of a stack runs, and on how many nodes."""

    name: str
    size: int
    max_size: int
    #: Nodes of the stack's node pool (``None``: the stack declares no pool).
    nodes: int | None = None
    #: More than one broker per node (``allowPacking``).
    packed: bool = False


@dataclass(frozen=True)
class UpdatePlan:
    steps: tuple[Step, ...]
    unchanged: int
    #: Changes the stack makes that ``pulumi up`` leaves alone, by resource:
    #: settings fixed once a resource exists (a bucket's location).
    fixed: tuple[tuple[RenderedResource, tuple[str, ...]], ...] = ()
    #: The scale of the version before and after, when known.
    scales: tuple[Scale | None, Scale | None] = (None, None)

    def count(self, action: Action) -> int:
        return sum(1 for step in self.steps if step.action == action)

    @property
    def stops_instance(self) -> bool:
        return any(_stops_instance(step) for step in self.steps)

    @property
    def warnings(self) -> list[str]:
        found = _instance_stop(self.steps)
        found += [warning for step in self.steps for warning in _warnings(step)]
        found += _scaling(self, *self.scales)
        for resource, paths in self.fixed:
            found.append(
                f"{resource.name}: a bucket keeps its {' and '.join(paths)} for life, so pulumi up leaves "
                f"it as it is; for a bucket elsewhere, give it a new name"
            )
        return found


def plan_update(
    before: list[RenderedResource],
    after: list[RenderedResource],
    scales: tuple[Scale | None, Scale | None] = (None, None),
) -> UpdatePlan:
    """The steps from ``before`` to ``after``, in the order ``pulumi up`` takes them
    (creations and updates in creation order, then deletions); ``scales``, when
    known, add what a size change does to the ranks and the nodes."""
    old = {(r.type_token, r.name): r for r in before}
    new_keys = {(r.type_token, r.name) for r in after}
    steps: list[Step] = []
    replaced_roles: dict[str, list[str]] = {}
    fixed: list[tuple[RenderedResource, tuple[str, ...]]] = []
    unchanged = 0
    for resource in after:
        previous = old.get((resource.type_token, resource.name))
        if previous is None:
            steps.append(Step("create", resource))
            continue
        rules = lifecycle_of(resource.role, resource.body)
        every_change = changed_paths(previous.body, resource.body)
        changed = tuple(p for p in every_change if not rules.ignores(p))
        if resource.role == BUCKET and len(changed) < len(every_change):
            fixed.append((resource, tuple(p for p in every_change if rules.ignores(p))))
        because = tuple(replaced_by(rules, list(changed)))
        because += tuple(f"{name} is replaced" for role in rules.replace_with for name in replaced_roles.get(role, []))
        if because:
            steps.append(Step("replace", resource, changed, because, previous))
            replaced_roles.setdefault(resource.role, []).append(resource.name)
        elif changed:
            steps.append(Step("update", resource, changed, (), previous))
        else:
            unchanged += 1
    for resource in reversed(before):
        if (resource.type_token, resource.name) not in new_keys:
            steps.append(Step("delete", resource))
    return UpdatePlan(tuple(steps), unchanged, tuple(fixed), scales)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def changed_paths(before: Any, after: Any, at: str = "") -> list[str]:
    """The paths, dotted from the root (``spec.template.spec.containers[0].image``),
    where two bodies differ: a whole list when its length changes, else each item."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in list(before) + [k for k in after if k not in before]:
            found += changed_paths(before.get(key), after.get(key), _child(at, key))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        found = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            found += changed_paths(old, new, f"{at}[{index}]")
        return found
    return [] if before == after else [at]


def _child(at: str, key: Any) -> str:
    text = str(key)
    part = text if _PLAIN_KEY.fullmatch(text) else f'["{text}"]'
    if not at:
        return part
    return f"{at}{part}" if part.startswith("[") else f"{at}.{part}"


def _stops_instance(step: Step) -> bool:
    gone = step.action in ("replace", "delete")
    return gone and lifecycle_of(step.resource.role, step.resource.body).restarts_instance


def _what(step: Step) -> str:
    return f"{step.resource.name} is {'replaced' if step.action == 'replace' else 'deleted'}"


def _instance_stop(steps: tuple[Step, ...]) -> list[str]:
    """One line for the instance stopping, however many resources stop it:
    the first named with its reasons, the others as going with it."""
    stopping = [step for step in steps if _stops_instance(step)]
    if not stopping:
        return []
    first, *others = stopping
    why = f" ({', '.join(first.because)})" if first.because else ""
    also = f", and {', '.join(step.resource.name for step in others)} with it" if others else ""
    return [f"the running Flux instance is stopped and its jobs are lost: {_what(first)}{why}{also}"]


def _scaling(plan: UpdatePlan, before: Scale | None, after: Scale | None) -> list[str]:
    """What a size change does that the resources alone do not say."""
    if before is None or after is None or before.size == after.size:
        return []
    found = []
    if plan.stops_instance and before.max_size != after.max_size and after.max_size == after.size:
        room = max(before.size, after.size)
        found.append(
            f"size {before.size} -> {after.size} replaces the brokers because maxSize follows size; "
            f"with maxSize: {room} (or more) in the stack, size changes up to it scale the running instance in place"
        )
    if after.size < before.size:
        if not plan.stops_instance:
            first, last = after.size, before.size - 1
            hosts = ", ".join(f"{after.name}-{rank}" for rank in range(first, last + 1))
            if first == last:
                found.append(f"rank {first} ({hosts}) stops and leaves the instance; jobs running on it are lost")
            else:
                found.append(
                    f"ranks {first}-{last} ({hosts}) stop and leave the instance; jobs running on them are lost"
                )
        if after.nodes is not None and not after.packed and after.nodes > after.size:
            idle = after.nodes - after.size
            found.append(
                f"{idle} of the pool's {after.nodes} nodes run no broker at size {after.size} and keep billing "
                f"until nodePool.nodeCount follows ({after.size})"
            )
    return found


def _warnings(step: Step) -> list[str]:
    resource = step.resource
    gone = step.action in ("replace", "delete")
    if not gone:
        return []
    what = _what(step)
    why = f" ({', '.join(step.because)})" if step.because else ""
    found = []
    # What is deleted or replaced is the resource as it was.
    old = step.before or resource
    if resource.role == DATA_VOLUME:
        if old.retain_on_delete and step.action == "replace":
            found.append(
                f"{what}{why}, but it is kept on delete: Pulumi lets go of the old claim and cannot create "
                "the new one while it exists; rename the volume or delete the claim first"
            )
        elif not old.retain_on_delete:
            found.append(f"the data on volume {resource.name} is lost: {what}{why}")
    if resource.role == BUCKET:
        bucket = f"gs://{old.body['name']}"
        if old.retain_on_delete:
            found.append(
                f"{what}: kept, {bucket} stays with its files outside the stack; a stack that creates it "
                "again fails while it exists (mount it with create: false instead)"
            )
        else:
            found.append(f"{bucket} and every file in it are deleted (keep: false): {what}{why}")
    if resource.role == BUCKET_ACCESS and step.action == "replace":
        found.append(
            f"the brokers cannot use gs://{old.body['bucket']} from the old grant's removal until the new "
            f"grant reaches Cloud Storage (minutes): {what}{why}"
        )
    if resource.role == NAMESPACE and not old.retain_on_delete:
        found.append(f"everything in namespace {old.body['metadata']['name']} is deleted: {what}{why}")
    return found


def describe(plan: UpdatePlan, *, before_label: str, after_label: str, hunks: bool) -> str:
    """The plan as text: one unified diff per changed object, whose file names
    name the object, then a summary in Pulumi's words and the warnings."""
    lines: list[str] = []
    if hunks:
        for step in plan.steps:
            lines += _hunks(step, before_label, after_label)
    lines.append(f"Resources ({before_label} -> {after_label}):")
    width = max((len(step.resource.type_token) for step in plan.steps), default=0)
    name_width = max((len(step.resource.name) for step in plan.steps), default=0)
    for step in plan.steps:
        detail = ""
        if step.action == "replace":
            detail = f"  because {', '.join(step.because)}"
        elif step.action == "update":
            detail = f"  {', '.join(step.changed)}"
        mark = MARK[step.action]
        row = f"  {mark:>2} {step.action:<8} {step.resource.type_token:<{width}}  {step.resource.name:<{name_width}}{detail}"
        lines.append(row.rstrip())
    counts = [f"{plan.count(a)} to {a}" for a in ("create", "update", "replace", "delete") if plan.count(a)]
    lines.append(f"  {', '.join(counts) or 'no changes'}; {plan.unchanged} unchanged")
    lines += [f"warning: {warning}" for warning in plan.warnings]
    return "\n".join(lines) + "\n"


def _hunks(step: Step, before_label: str, after_label: str) -> Iterable[str]:
    resource = step.resource
    was = resource if step.action == "delete" else step.before
    old = to_yaml(was).splitlines() if was is not None else []
    new = [] if step.action == "delete" else to_yaml(resource).splitlines()
    title = f"{resource.type_token} {resource.name}"
    yield from difflib.unified_diff(
        old, new, fromfile=f"{before_label}: {title}", tofile=f"{after_label}: {title}", lineterm=""
    )

"""What a stack's node pool costs and which quotas it takes, as lines for the command's output."""

from __future__ import annotations

from ..catalog.prices import money
from ..spec import ExperimentSpec

SECONDS_PER_HOUR = 3600


def hourly_price(spec: ExperimentSpec) -> float | None:
    """The pool's list price per hour, when the stack declares a pool and the table prices it."""
    return spec.node_pool.price().per_hour if spec.node_pool is not None else None


def cost_lines(spec: ExperimentSpec) -> list[str]:
    """``price:``, ``run:`` and ``quota:`` lines; none for a stack without a node pool."""
    pool = spec.node_pool
    if pool is None:
        return []
    price = pool.price()
    lines = []
    if price.per_hour is None:
        lines.append(f"price: unknown: {price.detail} (give your own table with --prices)")
    else:
        lines.append(f"price: {money(price.per_hour)} per hour: {price.detail} ({price.note})")
        if pool.spot:
            on_demand = pool.model_copy(update={"spot": False}).price().per_hour
            if on_demand is not None:
                lines.append(f"price: {money(on_demand)} per hour on demand, for comparison")
        deadline = spec.mini_cluster.deadline_seconds
        if deadline is not None:
            hours = deadline / SECONDS_PER_HOUR
            lines.append(
                f"run: {money(price.per_hour * hours)} for the {hours:g} h the instance may run "
                "(deadlineSeconds); the pool bills on until it scales to zero or pulumi destroy removes it"
            )
    regional = ", ".join(str(use) for use in pool.quota_uses if not use.global_)
    project = ", ".join(str(use) for use in pool.quota_uses if use.global_)
    lines.append(f"quota: {regional} in {pool.region}; {project} in the project")
    return lines


def price_change(before: float | None, after: float | None) -> str | None:
    """``price: $A -> $B per hour (+$C)``, when both are known and differ."""
    if before is None or after is None or round(before, 2) == round(after, 2):
        return None
    sign = "+" if after > before else "-"
    return f"price: {money(before)} -> {money(after)} per hour ({sign}{money(abs(after - before))})"

"""A stack's resources as ``diff`` compares them, and the same as JSON for
another version of this package to hand over.

``flux-minicluster diff`` renders the old version of a stack with the package
as it was at that version: it runs ``python -m flux_minicluster.cli.comparison``
from that package's source in a separate interpreter, gives it the stack's
text on standard input, and reads the resources back. Keep the exchange as it
is (``FORMAT``): later versions read what earlier ones print.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..stackfile.reader import StackFile, parse_stack
from .cost import hourly_price
from .render import RenderedResource, certificate_stand_in, rendered_resources, secret_value_stand_in
from .update_plan import Scale

#: The version of the exchange between two versions of the package.
FORMAT = 1


def comparable_resources(stack: StackFile | None) -> list[RenderedResource]:
    """A stack's resources, with the certificate described, never shown."""
    if stack is None:
        return []
    ciphertext = stack.encrypted.get("curveCertificate")
    return rendered_resources(
        stack.spec, certificate=certificate_stand_in(stack.spec, ciphertext), secret_value=secret_value_stand_in
    )


@dataclass(frozen=True)
class Side:
    """One version of a stack as ``diff`` compares it."""

    resources: list[RenderedResource]
    #: ``None`` when the version that rendered it does not say.
    scale: Scale | None
    #: The node pool's list price per hour, when known.
    hourly: float | None = None


def side_of(stack: StackFile) -> Side:
    return Side(comparable_resources(stack), scale_of(stack), hourly_price(stack.spec))


def scale_of(stack: StackFile) -> Scale:
    """How many brokers the stack runs, and on how many nodes."""
    mc, pool = stack.spec.mini_cluster, stack.spec.node_pool
    assert mc.max_size is not None
    nodes = pool.node_count if pool is not None else None
    return Scale(mc.name, mc.size, mc.max_size, nodes, packed=mc.allow_packing)


def exchange(request: dict[str, Any]) -> dict[str, Any]:
    """The answer to one request: ``{"text", "label", "path"}`` -> resources
    and scale, or problems."""
    try:
        stack = parse_stack(request["text"], label=request["label"], path=Path(request["path"]))
    except SpecError as error:
        return {"format": FORMAT, "problems": [asdict(problem) for problem in error.problems]}
    return {
        "format": FORMAT,
        "resources": [asdict(r) for r in comparable_resources(stack)],
        "scale": asdict(scale_of(stack)),
        "hourly": hourly_price(stack.spec),
    }


def main() -> int:
    json.dump(exchange(json.load(sys.stdin)), sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

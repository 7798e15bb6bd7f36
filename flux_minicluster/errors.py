"""One error type for every way a stack can be wrong.

A ``SpecError`` carries a list of problems, each naming the field it is about
in the stack's own spelling (``miniCluster.containers[0].image``), so that the
command line, the Pulumi program and tests all report the same lines. A
problem read from a stack file also says where: ``FILE:LINE:``, the form
editors and CI annotations jump to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

Location = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule: where (a dotted field path) and what is wrong.

    ``file`` and ``line`` say where the stack file writes it, when known
    (``line`` 0: the file as a whole).
    """

    path: str
    message: str
    file: str = ""
    line: int = 0

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if not self.file:
            return text
        where = f"{self.file}:{self.line}:" if self.line else f"{self.file}:"
        return f"{where} {text}"


class SpecError(ValueError):
    """The stack configuration breaks one or more rules; nothing was created."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"invalid flux-minicluster configuration:\n{lines}")


def format_location(loc: Iterable[str | int]) -> str:
    """``("miniCluster", "containers", 0, "image")`` -> ``miniCluster.containers[0].image``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def problems_from_validation_error(error: ValidationError, prefix: Location = ()) -> list[Problem]:
    """Turn pydantic's errors into ``Problem`` lines, in a stable order."""
    problems = []
    for detail in error.errors(include_url=False):
        loc = prefix + tuple(detail["loc"])
        message = detail["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        problems.append(Problem(format_location(loc), message))
    return sorted(set(problems))


def raise_rule_errors(title: str, broken: Sequence[tuple[Location, str]]) -> None:
    """Raise one pydantic error for each broken cross-field rule, at its field.

    Raising pydantic's own error from a model validator lets pydantic prefix
    each location with the path to the model, so a rule checked on the
    MiniCluster reports ``miniCluster.maxSize`` rather than ``miniCluster``.
    """
    if not broken:
        return
    details = [
        InitErrorDetails(
            type=PydanticCustomError("rule", "{rule}", {"rule": message}),
            loc=loc,
            input=None,
        )
        for loc, message in broken
    ]
    raise ValidationError.from_exception_data(title, details)


def fail(path: str, message: str) -> NoReturn:
    """Raise a ``SpecError`` with a single problem."""
    raise SpecError([Problem(path, message)])

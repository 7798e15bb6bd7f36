"""Stack settings -> ``StackConfig``, with every problem at once.

Pydantic runs a model's rules only when all its fields are valid, so one
misspelled key would hide every cross-field problem of its section; the
passes here set refused values aside and validate again. The Pulumi program
and the offline command read settings through the same function.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import Any, get_args, get_origin

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..errors import Location, Problem, SpecError, format_location
from ..spec.stack import CONFIG_NAMESPACE, StackConfig
from .fields import as_model, field_info, type_at
from .messages import problem_message

#: Validation passes: each one sets aside the values the previous one refused.
_MAX_PASSES = 5


def section_from_text(key: str, text: str) -> tuple[Any, str | None]:
    """A section as ``pulumi config set`` stores it without ``--path``: JSON text
    (``'{"name": "lammps", ...}'``). The Pulumi program receives every section
    as such text, so both readers take it the same way. Returns the value, or
    ``None`` and the problem."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, (
            f"is the text {_shortened(text)!r}, which is not JSON ({error.msg}, column {error.colno}); "
            f"write the section as YAML key: value lines, or set it with pulumi config set {CONFIG_NAMESPACE}:{key} "
            "'{...JSON...}'"
        )


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def spec_from_config(values: dict[str, Any], *, strict: bool = False) -> StackConfig:
    """Validate the values of this package's namespace (keys without the prefix).

    ``strict`` refuses values pydantic would convert (``"4"`` or ``true`` for a
    number), as the stack file schema does.
    """
    spec, broken = validate_config(values, strict=strict)
    if spec is None:
        raise SpecError(sorted(Problem(format_location(loc), message) for loc, message in broken))
    return spec


def validate_config(values: Any, *, strict: bool = False) -> tuple[StackConfig | None, list[tuple[Location, str]]]:
    """The spec, or ``None`` and every problem with its location.

    Pydantic runs a model's rules only when all its fields are valid, so one
    misspelled key would hide every cross-field problem of its section. When
    a pass fails, the values it refused that can be left out (unknown keys,
    settings with a default) are set aside and the rest is validated again,
    keeping the new problems that are not about what was set aside.
    """
    found: dict[tuple[Location, str], None] = {}
    set_aside: list[Location] = []
    data = values
    for _ in range(_MAX_PASSES):
        try:
            spec = StackConfig.model_validate(data, strict=strict)
        except ValidationError as error:
            details = [
                d
                for d in error.errors(include_url=False)
                if not _about(tuple(d["loc"]), set_aside) and not _names_set_aside(d, set_aside)
            ]
            for detail in details:
                found.setdefault((tuple(detail["loc"]), problem_message(detail)), None)
            data, taken = _without(data, details)
            if not taken:
                break
            set_aside += taken
        else:
            return (None, list(found)) if found else (spec, [])
    return None, list(found)


def _about(loc: Location, set_aside: Iterable[Location]) -> bool:
    """Whether a problem concerns a value set aside: it, inside it, or around it."""
    for taken in set_aside:
        shorter = min(len(loc), len(taken))
        if loc[:shorter] == taken[:shorter]:
            return True
    return False


def _names_set_aside(detail: ErrorDetails, set_aside: Iterable[Location]) -> bool:
    """Whether a rule of the object a value was set aside from speaks of that value:
    it broke because the value is gone (``a and b go together``), not as written."""
    loc = tuple(detail["loc"])
    message = problem_message(detail)
    for taken in set_aside:
        owner, key = taken[:-1], str(taken[-1])
        if loc[: len(owner)] == owner and re.search(rf"\b{re.escape(key)}\b", message):
            return True
    return False


def _without(data: Any, details: list[ErrorDetails]) -> tuple[Any, list[Location]]:
    """A copy of ``data`` without the refused values a model can do without."""
    data = copy.deepcopy(data)
    taken: list[Location] = []
    for detail in details:
        loc = tuple(detail["loc"])
        if len(loc) < 2 or detail["type"] == "missing":
            continue
        parent = _value_at(data, loc[:-1])
        if not isinstance(parent, dict) or loc[-1] not in parent or not _can_leave_out(loc, detail["type"]):
            continue
        del parent[loc[-1]]
        taken.append(loc)
    return data, taken


def _value_at(data: Any, loc: Location) -> Any:
    for part in loc:
        in_mapping = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_mapping or in_list):
            return None
        data = data[part]
    return data


def _can_leave_out(loc: Location, kind: str) -> bool:
    """An unknown key, a setting with a default, or an entry of a plain mapping."""
    parent = type_at(StackConfig, loc[:-1])
    model = as_model(parent)
    if model is not None:
        info = field_info(model, loc[-1])
        return kind == "extra_forbidden" or (info is not None and not info.is_required())
    if get_origin(parent) is dict:
        return as_model(get_args(parent)[1]) is None
    return False

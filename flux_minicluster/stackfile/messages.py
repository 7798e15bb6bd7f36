"""Pydantic's errors said in YAML terms: what to write instead, and the key
that was probably meant."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from ..errors import Location
from ..spec.stack import CONFIG_NAMESPACE, StackConfig
from .fields import as_model, key_of, type_at

_WANTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "float_parsing": "a number",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "list_type": "a list (- item lines, or [a, b])",
}


#: Text that YAML would read as the type wanted, were it not quoted.
_UNQUOTED = {
    "int_type": lambda text: re.fullmatch(r"[-+]?[0-9]+", text) is not None,
    "bool_type": lambda text: text in ("true", "false"),
    "float_type": lambda text: re.fullmatch(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", text) is not None,
}


def problem_message(detail: ErrorDetails) -> str:
    """Pydantic's error, said so that a user knows what to write."""
    kind, value, loc = detail["type"], detail["input"], tuple(detail["loc"])
    context = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "missing":
        if len(loc) == 1:
            return f"required: add {CONFIG_NAMESPACE}:{loc[0]} under config:"
        return "required"
    if kind == "string_type" and isinstance(value, bool | int | float):
        return (
            f"expects a string, but YAML reads {_yaml_text(value)} as a {_yaml_kind(value)}: "
            "write it as a string: quote it (pulumi config set --path: add --type string)"
        )
    if kind in _UNQUOTED and isinstance(value, str) and _UNQUOTED[kind](value):
        return (
            f"expects {_WANTED[kind]}, not the text {value!r}: write it unquoted "
            "(pulumi config set --path: leave out --type string)"
        )
    if kind in _WANTED:
        return f"expects {_WANTED[kind]}, not {_describe(value)}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return f"must be one of {', '.join(choices)}, not {_describe(value)}{did_you_mean(str(value), choices)}"
    if kind == "greater_than_equal":
        return f"must be at least {context.get('ge')}, not {_describe(value)}"
    if kind == "less_than_equal":
        return f"must be at most {context.get('le')}, not {_describe(value)}"
    if kind == "too_short":
        return f"needs at least {context.get('min_length')} item(s)"
    if kind == "string_too_short":
        return "must not be empty"
    message = detail["msg"]
    return message.removeprefix("Value error, ")


def _unknown_key(loc: Location) -> str:
    model = as_model(type_at(StackConfig, loc[:-1]))
    if model is None:
        return "unknown key"
    keys = [key_of(name, info) for name, info in model.model_fields.items()]
    if len(loc) == 1:
        keys = [f"{CONFIG_NAMESPACE}:{key}" for key in keys]
        written = f"{CONFIG_NAMESPACE}:{loc[-1]}"
    else:
        written = str(loc[-1])
    hint = did_you_mean(written, keys) or did_you_mean(written, _nested_keys(model))
    return f"unknown key{hint}" if hint else f"unknown key; expected one of {', '.join(sorted(keys))}"


def _nested_keys(model: type[BaseModel]) -> list[str]:
    """Keys one section down, as ``flux.brokerConfig``: for a key written one level too high."""
    keys = []
    for name, info in model.model_fields.items():
        inner = as_model(info.annotation)
        if inner is not None:
            keys += [f"{key_of(name, info)}.{key_of(n, i)}" for n, i in inner.model_fields.items()]
    return keys


def closest(written: str, choices: Iterable[str]) -> str | None:
    """The choice closest to what was written (difflib, ignoring case), if any is close."""
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(written.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def did_you_mean(written: str, choices: Iterable[str]) -> str:
    close = closest(written, choices)
    return f"; did you mean {close}?" if close else ""


def _yaml_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else repr(value)


def _yaml_kind(value: Any) -> str:
    return "boolean" if isinstance(value, bool) else "number"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool | int | float):
        return f"the {_yaml_kind(value)} {_yaml_text(value)}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__

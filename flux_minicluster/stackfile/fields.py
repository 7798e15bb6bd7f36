"""What the settings models declare at a location: its type, its field, its
stack spelling. The validation passes and the messages walk the models with
these, so a problem can be set aside or explained in the stack's own terms."""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from ..errors import Location


def type_at(root: type[BaseModel], loc: Location) -> Any:
    """The type annotation that validates the value at ``loc``, or ``None``."""
    current: Any = root
    for part in loc:
        current = unwrap(current)
        model = as_model(current)
        if model is not None:
            info = field_info(model, part)
            if info is None:
                return None
            current = info.annotation
        elif get_origin(current) is list and isinstance(part, int):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
    return unwrap(current)


def unwrap(annotation: Any) -> Any:
    """``Annotated[X, ...]`` -> X; ``X | None`` -> X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def as_model(annotation: Any) -> type[BaseModel] | None:
    annotation = unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def field_info(model: type[BaseModel], key: str | int) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def key_of(name: str, info: Any) -> str:
    return str(info.alias or name)

"""Write ``flux_minicluster/args.py``: the spec models as ``TypedDict``s for Pulumi's schema inference.

Pulumi infers a component package's schema from type annotations, and cannot
read pydantic models. This turns each spec model into a ``TypedDict`` whose
fields are ``pulumi.Input`` types with the field's description as docstring,
so the models stay the one place where a setting is declared::

    python -m flux_minicluster.component.gen_args          # rewrite args.py
    python -m flux_minicluster.component.gen_args --check  # exit 1 when args.py is stale

A test regenerates the module in memory and compares it with the committed one.
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pulumi.provider.experimental.util import camel_case
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from ..spec import ExperimentSpec

ARGS_PATH = Path(__file__).resolve().parents[1] / "args.py"
ROOT_NAME = "FluxMiniClusterArgs"
ROOT_DOC = "Arguments of ``FluxMiniCluster``: one experiment, keyed as in a stack's configuration."
#: Scalar Python types and the name they are written with.
_SCALARS = {str: "str", int: "int", float: "float", bool: "bool"}


class GeneratorError(Exception):
    """A spec field that the package schema cannot express."""


@dataclass
class _Generator:
    """Collects one ``TypedDict`` per model, nested models before the models using them."""

    classes: list[str] = field(default_factory=list)
    names: dict[type[BaseModel], str] = field(default_factory=dict)

    def model(self, model: type[BaseModel], name: str | None = None, doc: str | None = None) -> str:
        if model in self.names:
            return self.names[model]
        name = name or type_name(model)
        if name in self.names.values():
            raise GeneratorError(f"two spec models would both be called {name}")
        self.names[model] = name
        lines = [f"class {name}(TypedDict):", *_docstring(doc or _model_doc(model), indent="    "), ""]
        for field_name, info in model.model_fields.items():
            where = f"{model.__name__}.{field_name}"
            alias = info.alias or field_name
            if camel_case(field_name) != alias:
                raise GeneratorError(f"{where}: Pulumi would call it {camel_case(field_name)!r}, the stack {alias!r}")
            annotation = f"pulumi.Input[{self.annotation(info.annotation, where)}]"
            if not info.is_required():
                annotation = f"NotRequired[{annotation}]"
            lines.append(f"    {field_name}: {annotation}")
            lines.extend(_docstring(_field_doc(info, where), indent="    "))
        self.classes.append("\n".join(lines))
        return name

    def annotation(self, tp: Any, where: str) -> str:
        """The annotation text for one spec type (absent means unset: ``None`` drops out)."""
        origin = typing.get_origin(tp)
        if origin is Annotated:
            return self.annotation(typing.get_args(tp)[0], where)
        if origin in (typing.Union, types.UnionType):
            members = [m for m in typing.get_args(tp) if m is not type(None)]
            if len(members) == 1:
                return self.annotation(members[0], where)
            written = {self.annotation(m, where) for m in members}
            # A Kubernetes quantity (``str | int``) is text on the wire: "16Gi", "4".
            if "str" in written and written <= set(_SCALARS.values()):
                return "str"
            raise GeneratorError(f"{where}: a union of {sorted(written)} has no schema type")
        if origin is Literal:
            kinds = {type(value) for value in typing.get_args(tp)}
            if len(kinds) != 1 or next(iter(kinds)) not in _SCALARS:
                raise GeneratorError(f"{where}: literal values of mixed or unsupported types")
            return _SCALARS[next(iter(kinds))]
        if origin is list:
            (item,) = typing.get_args(tp)
            return f"list[{self.annotation(item, where)}]"
        if origin is dict:
            key, value = typing.get_args(tp)
            if self.annotation(key, where) != "str":
                raise GeneratorError(f"{where}: map keys must be text")
            return f"dict[str, {self.annotation(value, where)}]"
        if tp is SecretStr:
            return "str"
        if tp in _SCALARS:
            return _SCALARS[tp]
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return self.model(tp)
        raise GeneratorError(f"{where}: unsupported type {tp!r}")


def type_name(model: type[BaseModel]) -> str:
    """The schema type of a nested model: ``NodePoolSpec`` -> ``NodePool``.

    No ``Args`` suffix: the SDK generators add their own to input types.
    """
    return model.__name__.removesuffix("Spec")


def _model_doc(model: type[BaseModel]) -> str:
    doc = (model.__doc__ or "").strip()
    if not doc or doc.startswith(f"{model.__name__}("):  # pydantic's own signature text
        raise GeneratorError(f"{model.__name__} has no docstring to describe its schema type")
    return " ".join(doc.split("\n\n")[0].split())


def _field_doc(info: FieldInfo, where: str) -> str:
    """The field's description, or the docstring of the model it holds."""
    if info.description:
        return info.description
    nested = [t for t in _walk(info.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
    if len(nested) == 1:
        return _model_doc(nested[0])
    raise GeneratorError(f"{where} has no description: add Field(description=...)")


def _walk(tp: Any) -> list[Any]:
    return [tp, *(inner for arg in typing.get_args(tp) for inner in _walk(arg))]


def _docstring(text: str, *, indent: str) -> list[str]:
    escaped = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if escaped.endswith('"'):
        escaped = escaped[:-1] + '\\"'
    return [f'{indent}"""{escaped}"""']


HEADER = '''"""Typed arguments of ``FluxMiniCluster``: the stack configuration keys as ``TypedDict``s.

Pulumi infers the package schema (for TypeScript, Go, C#, Java and YAML) from
these types: names become camelCase, docstrings become descriptions. Python
programs may use them too; a dict in stack spelling or an ``ExperimentSpec``
works as well, and the spec models validate every value either way.

Generated from the spec models by ``python -m flux_minicluster.component.gen_args``:
edit the models in ``flux_minicluster/spec/`` and regenerate.
"""

from typing import TYPE_CHECKING, Any, NotRequired, TypeAlias, TypedDict

import pulumi

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .spec import ExperimentSpec
'''

FOOTER = """
if TYPE_CHECKING:
    #: What ``FluxMiniCluster`` accepts as ``args``. At run time the annotation
    #: is ``FluxMiniClusterArgs`` alone, the type Pulumi infers the schema from.
    ComponentArgs: TypeAlias = FluxMiniClusterArgs | ExperimentSpec | Mapping[str, Any]
else:
    ComponentArgs = FluxMiniClusterArgs
"""


def typed_dicts(root: type[BaseModel], name: str, doc: str) -> str:
    """The ``TypedDict`` classes for ``root`` (called ``name``) and every model inside it."""
    generator = _Generator()
    generator.model(root, name, doc)
    return "\n\n\n".join(generator.classes)


def generate() -> str:
    """The text of ``args.py`` for the current spec models."""
    return f"{HEADER}\n\n{typed_dicts(ExperimentSpec, ROOT_NAME, ROOT_DOC)}\n\n{FOOTER}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 when args.py differs from the models")
    options = parser.parse_args(argv)
    text = generate()
    if options.check:
        stale = ARGS_PATH.read_text(encoding="utf-8") != text
        if stale:
            print(f"{ARGS_PATH} is stale: run python -m flux_minicluster.component.gen_args", file=sys.stderr)
        return 1 if stale else 0
    ARGS_PATH.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

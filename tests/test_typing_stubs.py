"""The provider SDK stubs in ``typings/`` declare only what the installed SDKs have.

mypy reads the stubs instead of the SDKs' generated sources; a stub that
names a class, property or keyword the SDK lacks would let a wrong call
type-check. Each declaration is looked up in the installed package.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest

TYPINGS = Path(__file__).resolve().parent.parent / "typings"


def _stub_modules() -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted(TYPINGS.rglob("*.pyi")):
        parts = path.relative_to(TYPINGS).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((module, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def _declared_keywords(function: ast.FunctionDef) -> list[str]:
    """Named parameters a stub declares, besides self, the resource name and opts."""
    args = function.args
    names = [a.arg for a in args.args + args.kwonlyargs]
    return [n for n in names if n not in ("self", "resource_name", "opts")]


def _parameters(real: Any) -> set[str]:
    return set(inspect.signature(real).parameters)


def _constructor_keywords(cls: type) -> set[str]:
    """What a resource class accepts: its ``<Name>Args`` fields, or its own signature."""
    module = importlib.import_module(cls.__module__)
    args_class = getattr(module, f"{cls.__name__}Args", None)
    accepted = _parameters(cls.__init__)
    if args_class is not None:
        accepted |= _parameters(args_class.__init__)
    internal = getattr(cls, "_internal_init", None)
    if internal is not None:
        accepted |= _parameters(internal)
    return accepted


def _declarations() -> list[tuple[str, str, ast.stmt]]:
    found = []
    for module, tree in _stub_modules():
        for node in tree.body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                found.append((module, node.name, node))
    return found


@pytest.mark.parametrize(("module", "name", "node"), _declarations(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_stubbed_name_exists_with_what_the_stub_says(module: str, name: str, node: ast.stmt) -> None:
    real = getattr(importlib.import_module(module), name)
    if isinstance(node, ast.FunctionDef):
        assert set(_declared_keywords(node)) <= _parameters(real), f"{module}.{name}"
        return
    assert isinstance(node, ast.ClassDef) and inspect.isclass(real)
    for member in node.body:
        if not isinstance(member, ast.FunctionDef):
            continue
        if member.name == "__init__":
            missing = set(_declared_keywords(member)) - _constructor_keywords(real)
            assert not missing, f"{module}.{name}: no keyword {sorted(missing)}"
        else:
            assert isinstance(inspect.getattr_static(real, member.name, None), property), (
                f"{module}.{name}.{member.name}"
            )


def test_the_check_sees_a_keyword_the_sdk_lacks() -> None:
    stub = ast.parse("def __init__(self, resource_name: str, *, kubeconfig: str, kube_config: str) -> None: ...")
    function = stub.body[0]
    assert isinstance(function, ast.FunctionDef)
    from pulumi_kubernetes import Provider

    assert set(_declared_keywords(function)) - _constructor_keywords(Provider) == {"kube_config"}


def test_every_stubbed_module_is_read_by_mypy_first() -> None:
    import tomllib

    config = tomllib.loads((TYPINGS.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert "typings" in config["mypy_path"]
    ignored = [o["module"] for o in config.get("overrides", []) if o.get("ignore_missing_imports")]
    stubbed = {module.split(".")[0] for module, _ in _stub_modules()}
    assert not any(m.split(".")[0] in stubbed for group in ignored for m in group)

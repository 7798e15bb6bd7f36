"""The package's shape: what users import stays put, and imports run one way.

The public names, the documented modules, the command and the component
tokens are a contract with users' programs and with generated SDKs in other
languages, whatever the folders look like inside. Inside, each folder is a
layer of the data flow (stack file -> spec -> builders -> adapter or
command), and a module imports only from layers below its own.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import flux_minicluster

PACKAGE = Path(flux_minicluster.__file__).parent

#: What ``from flux_minicluster import ...`` offers (README, "Use it in your own program").
PUBLIC_NAMES = {
    "ExperimentSpec",
    "FluxMiniCluster",
    "MiniClusterSpec",
    "NodePoolSpec",
    "Problem",
    "SpecError",
    "load_spec",
}
#: Modules the README tells users to import, and a name each must offer.
DOCUMENTED_MODULES = {
    "flux_minicluster.testing": "run_under_mocks",
    "flux_minicluster.args": "FluxMiniClusterArgs",
    "flux_minicluster.spec": "MiniClusterSpec",
}
#: Type tokens other languages' SDKs and existing stacks' URNs are built on.
TOKENS = {
    "FluxMiniCluster": "flux-minicluster:index:FluxMiniCluster",
    "FluxOperator": "flux-minicluster:index:FluxOperator",
}

#: The layers, lowest first. A module may import from its own group and from
#: groups of lower layers; groups that share a layer stay independent (one
#: backend never reaches into the other, the command never into the adapter).
LAYERS: list[set[str]] = [
    {"errors", "extras", "names"},
    {"catalog", "broker", "bringup"},
    {"spec"},
    {"stackfile", "gke"},
    {"backends.native", "backends.flux_operator"},
    {"kubernetes_objects", "endpoint"},
    {"lifecycle"},
    {"args"},
    {"component", "cli"},
    {"testing"},
]


def test_public_names_are_importable_from_the_package() -> None:
    assert set(flux_minicluster.__all__) == PUBLIC_NAMES
    for name in PUBLIC_NAMES:
        assert getattr(flux_minicluster, name) is not None, name
    assert flux_minicluster.FluxMiniCluster.__name__ == "FluxMiniCluster"
    assert flux_minicluster.load_spec(
        {"miniCluster": {"name": "a", "namespace": "b", "size": 1, "containers": [{"image": "i"}]}}
    )


@pytest.mark.parametrize("module", sorted(DOCUMENTED_MODULES))
def test_documented_modules_keep_their_names(module: str) -> None:
    assert hasattr(importlib.import_module(module), DOCUMENTED_MODULES[module])


def test_component_tokens_are_unchanged() -> None:
    from flux_minicluster import names
    from flux_minicluster.component.provider import FluxMiniClusterProvider

    assert TOKENS["FluxMiniCluster"] == names.COMPONENT_TYPE
    assert TOKENS["FluxOperator"] == names.OPERATOR_COMPONENT_TYPE
    import json

    schema = json.loads(FluxMiniClusterProvider(version="0.0.0").schema)
    assert list(schema["resources"]) == [TOKENS["FluxMiniCluster"]]


def test_the_command_is_where_the_console_script_and_python_m_find_it() -> None:
    (script,) = [e for e in importlib.metadata.entry_points(group="console_scripts") if e.name == "flux-minicluster"]
    assert script.value == "flux_minicluster.cli:main"
    assert callable(script.load())
    ran = subprocess.run([sys.executable, "-m", "flux_minicluster.cli", "--version"], capture_output=True, text=True)
    assert ran.returncode == 0 and ran.stdout.startswith("flux-minicluster "), ran


def test_the_repository_entry_points_import_what_exists() -> None:
    """``stacks/__main__.py`` (the stack program) and ``__main__.py`` (the plugin) name real modules."""
    root = PACKAGE.parent
    for entry in (root / "stacks" / "__main__.py", root / "__main__.py"):
        for node in ast.walk(ast.parse(entry.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("flux_minicluster"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{entry}: {node.module}.{alias.name}"


def _group(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts:
        return ""
    if parts[0] == "backends" and len(parts) > 1:
        return f"backends.{parts[1]}"
    return parts[0]


def _imports(source: str, module: str, is_package: bool) -> set[str]:
    """Every flux_minicluster module or package a file imports, as absolute names."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "flux_minicluster":
                continue
            found.add(target)
            for alias in node.names:
                relative = Path(*f"{target}.{alias.name}".split("."))
                if (PACKAGE.parent / relative).with_suffix(".py").exists() or (PACKAGE.parent / relative).is_dir():
                    found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "flux_minicluster"}
    return found


def _layer(group: str) -> int:
    for index, layer in enumerate(LAYERS):
        if group in layer:
            return index
    raise AssertionError(f"{group!r} is in no layer of LAYERS: place it there")


def _imports_against_the_layers(sources: dict[str, tuple[str, bool]]) -> list[str]:
    """Each import of a module (by name: source, is a package) that does not point down."""
    wrong = []
    for module, (source, is_package) in sorted(sources.items()):
        own = _group(module)
        for target in sorted(_imports(source, module, is_package)):
            other = _group(target)
            if other not in ("", own) and _layer(other) >= _layer(own):
                wrong.append(f"{module} ({own}) imports {target} ({other})")
    return wrong


def test_every_import_points_down_the_layers() -> None:
    sources = {}
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "__init__.py":
            continue  # the public names, imported lazily from every layer
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        sources[module] = (path.read_text(encoding="utf-8"), path.name == "__init__.py")
    assert _imports_against_the_layers(sources) == []


def test_the_layer_check_sees_an_upward_and_a_sideways_import() -> None:
    probes = {
        "flux_minicluster.spec.probe": ("from ..backends.native import objects\n", False),
        "flux_minicluster.backends.native.probe": (
            "from ..flux_operator.minicluster import minicluster_object\n",
            False,
        ),
        "flux_minicluster.cli.probe": ("from ..component.minicluster import FluxMiniCluster\n", False),
        "flux_minicluster.gke.probe": ("from ..spec import ExperimentSpec\nfrom . import placement\n", False),
    }
    assert _imports_against_the_layers(probes) == [
        "flux_minicluster.backends.native.probe (backends.native) imports "
        "flux_minicluster.backends.flux_operator.minicluster (backends.flux_operator)",
        "flux_minicluster.cli.probe (cli) imports flux_minicluster.component.minicluster (component)",
        "flux_minicluster.spec.probe (spec) imports flux_minicluster.backends.native (backends.native)",
        "flux_minicluster.spec.probe (spec) imports flux_minicluster.backends.native.objects (backends.native)",
    ]

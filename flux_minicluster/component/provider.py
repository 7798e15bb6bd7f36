"""``FluxMiniCluster`` for Pulumi programs in any language: the component provider.

``pulumi package add`` runs the repository's ``__main__.py``, which serves
this provider; Pulumi asks it for the package schema (inferred by the Pulumi
SDK from the annotations of ``FluxMiniCluster``, ``args.py`` and
``outputs.py``) and to construct the component for a TypeScript, Go, C#,
Java or YAML program.

It is the SDK's ``ComponentProvider`` with what a plain
``component_provider_host`` cannot do: pass the values a program computes
(a secret certificate, a cluster it creates) to the component's keyword
parameters, report invalid settings as invalid inputs naming each field, and
mark the certificate secret in the schema.
"""

import importlib.metadata
import json
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.errors import InputPropertiesError, InputPropertyError
from pulumi.provider import ConstructResult, main
from pulumi.provider.experimental.analyzer import Analyzer, ComponentDefinition
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError

from .. import names
from ..errors import SpecError
from .minicluster import FluxMiniCluster

#: The package name, as in the component's type token ``flux-minicluster:index:FluxMiniCluster``.
PACKAGE_NAME = names.COMPONENT_TYPE.split(":")[0]
#: Inputs that may be computed by the program, and the keyword parameter each goes to.
COMPUTED_INPUTS: dict[tuple[str, ...], str] = {
    ("curveCertificate",): "curve_certificate",
    ("nodePool", "cluster"): "cluster",
}
#: Stands in for a computed ``nodePool.cluster`` while the settings are
#: validated; the node pool and the Kubernetes provider use the computed value.
COMPUTED_CLUSTER = "computed-by-the-program"
#: Outputs and inputs the schema marks secret, so every SDK keeps them secret.
SECRET_PROPERTIES = {"properties": ("certificate",), "inputProperties": ("curveCertificate",)}
_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def package_version() -> str:
    """The version in ``pyproject.toml`` (a source checkout), else the installed one."""
    if _PYPROJECT.is_file():
        version: str = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
        return version
    return importlib.metadata.version(PACKAGE_NAME)


class FluxMiniClusterProvider(ComponentProvider):
    """Hosts ``FluxMiniCluster``; its schema is inferred from the Python annotations."""

    def __init__(self, version: str | None = None) -> None:
        super().__init__([FluxMiniCluster], PACKAGE_NAME, version=version or package_version())
        self.definition: ComponentDefinition = Analyzer(PACKAGE_NAME).analyze([FluxMiniCluster])[
            "component_definitions"
        ][FluxMiniCluster.__name__]
        self.schema = json.dumps(_with_secrets(json.loads(self.schema or "{}")))

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        """Build the component from the inputs the engine sends (camelCase, numbers as floats)."""
        self.validate_resource_type(PACKAGE_NAME, resource_type)
        known, computed = split_computed(inputs)
        # Passed in stack spelling, as the schema names them, so every problem
        # is reported with the name the program used; pydantic reads the
        # engine's floats (4.0) as the integers they stand for.
        try:
            component = FluxMiniCluster(name, known, options, **computed)
        except SpecError as error:
            raise InputPropertiesError(
                str(error), [{"property_path": p.path, "reason": p.message} for p in error.problems]
            ) from None
        except Exception as error:
            raise ComponentInitError(error) from error
        return ConstructResult(component.urn, self.get_state(component, self.definition))


def split_computed(inputs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate the values a program computes from those known now.

    The settings are validated before anything is created, so they must be
    known; only ``COMPUTED_INPUTS`` may be outputs of other resources, and
    they go to the component's keyword parameters.
    """
    known: dict[str, Any] = _copy(inputs)
    computed: dict[str, Any] = {}
    for path, value in _outputs(inputs, ()):
        keyword = COMPUTED_INPUTS.get(path)
        if keyword is None:
            where = ".".join(path)
            raise InputPropertyError(
                where,
                f"{where} must be known before the deployment, not the output of another resource: "
                "FluxMiniCluster validates every setting before it creates anything "
                "(only nodePool.cluster and curveCertificate may be outputs)",
            )
        computed[keyword] = value
        parent = known
        for key in path[:-1]:
            parent = parent[key]
        if keyword == "cluster":
            parent[path[-1]] = COMPUTED_CLUSTER
        else:
            del parent[path[-1]]
    return known, computed


def _copy(value: Any) -> Any:
    """A copy of the nested dicts and lists, so the engine's inputs stay as they came."""
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _outputs(value: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], pulumi.Output[Any]]]:
    """Every ``Output`` inside the inputs, with its path of schema names (list items by index)."""
    if isinstance(value, pulumi.Output):
        return [(path, value)]
    if isinstance(value, Mapping):
        return [found for key, item in value.items() for found in _outputs(item, (*path, str(key)))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _outputs(item, (*path, str(index)))]
    return []


def _with_secrets(schema: dict[str, Any]) -> dict[str, Any]:
    resource = schema["resources"][names.COMPONENT_TYPE]
    for section, properties in SECRET_PROPERTIES.items():
        for prop in properties:
            resource[section][prop]["secret"] = True
    return schema


def serve() -> None:
    """Run the provider as a plugin: the engine's address is the first argument."""
    main(FluxMiniClusterProvider(), sys.argv[1:])

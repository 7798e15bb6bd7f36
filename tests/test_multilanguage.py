"""The package schema other languages see, as the Pulumi SDK's own analyzer infers it.

The schema comes from ``FluxMiniClusterProvider`` (the SDK's
``ComponentProvider``, which runs ``pulumi.provider.experimental``'s
``Analyzer`` on ``FluxMiniCluster``), and is checked against the spec models,
the README's configuration reference and Pulumi's package metaschema.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from typing import Any, Literal

import jsonschema
import pytest
import yaml
from conftest import ROOT
from pydantic import BaseModel, Field, SecretStr

from flux_minicluster.component import gen_args
from flux_minicluster.component.gen_args import GeneratorError, type_name, typed_dicts
from flux_minicluster.component.provider import FluxMiniClusterProvider
from flux_minicluster.endpoint import LeadBroker
from flux_minicluster.spec import ExperimentSpec
from flux_minicluster.spec.base import Quantity, SpecModel

TOKEN = "flux-minicluster:index:FluxMiniCluster"
METASCHEMA = ROOT / "tests" / "data" / "pulumi-package-metaschema.json"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    provider = FluxMiniClusterProvider()
    assert provider.schema is not None
    parsed: dict[str, Any] = json.loads(provider.schema)
    return parsed


def component(schema: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = schema["resources"][TOKEN]
    return resource


def object_type(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["types"][f"flux-minicluster:index:{name}"]
    return found


def shape(prop: dict[str, Any]) -> str:
    """A property's type in short: string, array<string>, map<Container>, NodePool."""
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit(":", 1)[-1]
    if prop["type"] == "array":
        return f"array<{shape(prop['items'])}>"
    if prop["type"] == "object" and "additionalProperties" in prop:
        return f"map<{shape(prop['additionalProperties'])}>"
    return str(prop["type"])


def resolve(schema: dict[str, Any], path: list[str]) -> dict[str, Any] | None:
    """The schema property at a dotted stack path (``*`` for any map key, ``[]`` for list items)."""
    props: dict[str, Any] = component(schema)["inputProperties"]
    prop: dict[str, Any] | None = None
    for part in path:
        if prop is not None:
            while part not in ("*", "[]") and "$ref" not in prop:
                prop = prop.get("items") or prop.get("additionalProperties")
                if prop is None:
                    return None
            if part in ("*", "[]"):
                prop = prop.get("additionalProperties") if part == "*" else prop.get("items")
                continue
            props = object_type(schema, shape(prop))["properties"]
        prop = props.get(part)
        if prop is None:
            return None
    return prop


# -- the schema --------------------------------------------------------------


def test_the_component_token_names_package_module_and_class(schema: dict[str, Any]) -> None:
    assert schema["name"] == "flux-minicluster"
    assert list(schema["resources"]) == [TOKEN]
    assert component(schema)["isComponent"] is True


def test_the_package_version_is_the_one_in_pyproject(schema: dict[str, Any]) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert schema["version"] == pyproject["project"]["version"]


def test_every_spec_field_is_an_input_with_its_description_and_requiredness(schema: dict[str, Any]) -> None:
    """Walks the pydantic models, not the generated module: a field the schema lacks fails here."""
    seen: set[type[BaseModel]] = set()

    def check(model: type[BaseModel], props: dict[str, Any], required: list[str]) -> None:
        seen.add(model)
        assert set(props) == {info.alias for info in model.model_fields.values()}, model.__name__
        for info in model.model_fields.values():
            assert info.alias is not None
            prop = props[info.alias]
            assert prop.get("description"), f"{model.__name__}.{info.alias} has no description"
            if info.description:
                assert prop["description"] == info.description
            assert (info.alias in required) == info.is_required(), f"{model.__name__}.{info.alias}"
            for nested in _models_in(info.annotation):
                if nested not in seen:
                    typ = object_type(schema, type_name(nested))
                    assert typ["description"], nested.__name__
                    check(nested, typ["properties"], typ.get("required", []))

    resource = component(schema)
    check(ExperimentSpec, resource["inputProperties"], resource["requiredInputs"])
    assert len(seen) > 10


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    from typing import get_args

    found = [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []
    return found + [m for arg in get_args(annotation) for m in _models_in(arg)]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("miniCluster", "MiniCluster"),
        ("nodePool", "NodePool"),
        ("operator", "Operator"),
        ("curveCertificate", "string"),
        ("nodePool.nodeCount", "integer"),
        ("nodePool.zones", "array<string>"),
        ("nodePool.threadsPerCore", "integer"),  # Literal[1, 2]
        ("nodePool.egressBandwidthTier", "string"),  # Literal of names
        ("nodePool.gvnic", "boolean"),
        ("nodePool.labels", "map<string>"),
        ("nodePool.taints", "array<Taint>"),
        ("nodePool.gpu.count", "integer"),
        ("miniCluster.size", "integer"),
        ("miniCluster.containers", "array<Container>"),
        ("miniCluster.dataVolumes", "map<DataVolume>"),
        ("miniCluster.dataVolumes.*.size", "string"),  # a Kubernetes quantity, "1Ti"
        ("miniCluster.containers.[].resources.limits", "map<string>"),
        ("miniCluster.containers.[].volumes", "map<Volume>"),
        ("miniCluster.flux.queuePolicy", "string"),
        ("miniCluster.pod.tolerations", "array<Toleration>"),
    ],
)
def test_input_types(schema: dict[str, Any], path: str, expected: str) -> None:
    prop = resolve(schema, path.split("."))
    assert prop is not None, path
    assert shape(prop) == expected


def test_only_the_minicluster_is_required(schema: dict[str, Any]) -> None:
    assert component(schema)["requiredInputs"] == ["miniCluster"]
    assert sorted(object_type(schema, "MiniCluster")["required"]) == ["containers", "name", "namespace", "size"]


def test_every_output_is_described_and_the_lead_broker_is_typed(schema: dict[str, Any]) -> None:
    outputs = component(schema)["properties"]
    assert set(outputs) == {
        "leadBroker",
        "leadBrokerHost",
        "submitCommand",
        "namespace",
        "miniclusterName",
        "nodePoolName",
        "certificate",
        "buckets",
    }
    assert all(prop.get("description") for prop in outputs.values())
    assert shape(outputs["leadBroker"]) == "LeadBrokerEndpoint"
    endpoint = object_type(schema, "LeadBrokerEndpoint")["properties"]
    camel = {re.sub(r"_(.)", lambda m: m[1].upper(), f.name) for f in dataclasses.fields(LeadBroker)}
    assert set(endpoint) == camel
    assert all(prop.get("description") for prop in endpoint.values())
    assert shape(endpoint["port"]) == "integer"
    assert outputs["buckets"]["additionalProperties"]["type"] == "string"
    # Absent without a node pool, so not required.
    assert "nodePoolName" not in component(schema)["required"]


def test_the_certificate_is_secret_both_ways(schema: dict[str, Any]) -> None:
    assert component(schema)["properties"]["certificate"]["secret"] is True
    assert component(schema)["inputProperties"]["curveCertificate"]["secret"] is True


def test_the_schema_satisfies_pulumis_package_metaschema(schema: dict[str, Any]) -> None:
    # The metaschema's patterns are ECMAScript; Python spells named groups (?P<name>.
    metaschema = json.loads(METASCHEMA.read_text().replace("(?<", "(?P<"))
    validator = jsonschema.Draft202012Validator(metaschema)
    validator.check_schema(metaschema)
    assert [error.message for error in validator.iter_errors(schema)] == []
    broken = json.loads(json.dumps(schema))
    broken["resources"][TOKEN]["inputProperties"]["miniCluster"]["secret"] = "yes"
    assert list(validator.iter_errors(broken)), "the metaschema check must be able to fail"


def test_the_schema_names_every_key_the_readme_documents(schema: dict[str, Any]) -> None:
    """Every key of the README's configuration tables, except the program's own ``kubernetes``
    (other languages pass a Kubernetes provider in the resource options)."""
    readme = (ROOT / "README.md").read_text()
    reference = readme.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    contexts = {
        "### `nodePool`": ["nodePool"],
        "### `miniCluster`": ["miniCluster"],
        "Each entry of `dataVolumes`": ["miniCluster", "dataVolumes", "*"],
        "Each entry of `containers`": ["miniCluster", "containers", "[]"],
        "`flux`:": ["miniCluster", "flux"],
        "### `operator`": [],
    }
    prefix: list[str] | None = None
    keys: list[list[str]] = []
    for line in reference.splitlines():
        for marker, where in contexts.items():
            if line.startswith(marker):
                prefix = where
        match = re.match(r"^\| `([A-Za-z.]+)` \|", line)
        if match:
            assert prefix is not None, f"a README table the test does not know: {line}"
            keys.append([*prefix, *match[1].split(".")])
    assert len(keys) > 50
    missing = [".".join(k) for k in keys if k[0] != "kubernetes" and resolve(schema, k) is None]
    assert missing == []


# -- the generated module ------------------------------------------------------


def test_committed_args_module_matches_the_spec_models() -> None:
    assert gen_args.ARGS_PATH.read_text() == gen_args.generate(), (
        "flux_minicluster/args.py is stale: run python -m flux_minicluster.component.gen_args"
    )


class _Inner(SpecModel):
    """Something nested."""

    level: Literal[1, 2] = Field(1, description="A level.")


class _Outer(SpecModel):
    """Every kind of field."""

    name: str = Field(description="Text.")
    count: int | None = Field(None, description="A number.")
    on: bool = Field(False, description="A switch.")
    mode: Literal["a", "b"] = Field("a", description="A choice.")
    key: SecretStr | None = Field(None, description="A secret.")
    size: Quantity = Field(description="A quantity.")
    tags: list[str] = Field([], description="A list.")
    inner: _Inner | None = Field(None, description="A model.")
    by_name: dict[str, _Inner] = Field({}, description="Models by name.")
    undocumented: _Inner = Field(default_factory=_Inner)


def test_generator_maps_every_kind_of_field() -> None:
    text = typed_dicts(_Outer, "OuterArgs", "Arguments.")
    assert "class _Inner(TypedDict):\n" in text
    assert text.index("class _Inner") < text.index("class OuterArgs")  # defined before use
    for line in [
        "    name: pulumi.Input[str]",
        "    count: NotRequired[pulumi.Input[int]]",
        "    on: NotRequired[pulumi.Input[bool]]",
        "    mode: NotRequired[pulumi.Input[str]]",
        "    key: NotRequired[pulumi.Input[str]]",
        "    size: pulumi.Input[str]",
        "    tags: NotRequired[pulumi.Input[list[str]]]",
        "    inner: NotRequired[pulumi.Input[_Inner]]",
        "    by_name: NotRequired[pulumi.Input[dict[str, _Inner]]]",
        '    """Models by name."""',
        "    level: NotRequired[pulumi.Input[int]]",
        '    """Something nested."""',  # a model field without description: the model's docstring
    ]:
        assert f"{line}\n" in text, line


class _Undocumented(SpecModel):
    """A model."""

    value: str


class _Unioned(SpecModel):
    """A model."""

    value: _Inner | list[str] = Field(description="Either.")


def test_generator_refuses_what_the_schema_cannot_say() -> None:
    with pytest.raises(GeneratorError, match=r"_Undocumented.value has no description"):
        typed_dicts(_Undocumented, "Args", "Arguments.")
    with pytest.raises(GeneratorError, match=r"_Unioned.value: a union"):
        typed_dicts(_Unioned, "Args", "Arguments.")
    with pytest.raises(GeneratorError, match=r"_SnakeCase.by_name: Pulumi would call it 'byName', the stack 'by_name'"):
        typed_dicts(_SnakeCase, "Args", "Arguments.")


class _SnakeCase(BaseModel):
    """Keys that are not camelCase in the stack."""

    by_name: str = Field(description="Text.")


def test_the_yaml_example_declares_the_lammps_cpu_stack_with_the_package_type() -> None:
    program = yaml.safe_load((ROOT / "examples" / "yaml-lammps" / "Pulumi.yaml").read_text())
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.lammps-cpu.yaml").read_text())["config"]
    settings = {key.split(":", 1)[1]: value for key, value in stack.items() if key.startswith("flux-minicluster:")}
    (resource,) = program["resources"].values()
    assert resource["type"] == TOKEN
    assert resource["properties"] == settings
    assert program["packages"] == {"flux-minicluster": "../.."}

"""`flux-minicluster schema`: the stack file as written, for editors and CI.

The schema and the command must agree on the stack files of this project
and its tests, and the schema must refuse what it can express of the bad
ones (unknown keys, wrong types, out-of-range numbers).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import BAD_STACKS_DIR, CPU_CONFIG, ROOT, stack_files
from pydantic import ValidationError

from flux_minicluster.cli import main
from flux_minicluster.spec.stack import StackConfig

SCHEMA_FILE = ROOT / "schema" / "stack.schema.json"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<target>\S+)$")
#: Pydantic errors that a JSON Schema expresses too: types, ranges, enums, keys.
SCHEMA_ERRORS = frozenset(
    {
        "extra_forbidden",
        "missing",
        "string_type",
        "int_type",
        "bool_type",
        "dict_type",
        "list_type",
        "model_type",
        "literal_error",
        "greater_than_equal",
        "less_than_equal",
        "too_short",
        "string_too_short",
    }
)


def command_schema(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["schema"]) == 0
    schema: dict[str, Any] = json.loads(capsys.readouterr().out)
    return schema


@pytest.fixture
def validator(capsys: pytest.CaptureFixture[str]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(command_schema(capsys))


def as_stack_file(values: dict[str, Any], **others: Any) -> dict[str, Any]:
    """Settings (keys without the namespace) as a stack file writes them."""
    return {"config": {**others, **{f"flux-minicluster:{key}": value for key, value in values.items()}}}


def settings(document: dict[str, Any]) -> dict[str, Any]:
    prefix = "flux-minicluster:"
    return {k.removeprefix(prefix): v for k, v in document["config"].items() if k.startswith(prefix)}


def test_committed_schema_is_the_commands_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == command_schema(capsys)
    assert main(["schema"]) == 0
    assert SCHEMA_FILE.read_text() == capsys.readouterr().out


def test_schema_is_a_draft_2020_12_schema(capsys: pytest.CaptureFixture[str]) -> None:
    schema = command_schema(capsys)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_describes_the_file_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    schema = command_schema(capsys)
    config = schema["properties"]["config"]
    assert schema["required"] == ["config"]
    assert set(config["properties"]) == {
        f"flux-minicluster:{key}" for key in StackConfig.model_json_schema(by_alias=True)["properties"]
    }
    assert config["required"] == ["flux-minicluster:miniCluster"]


def all_properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, definition in [("", schema), *schema["$defs"].items(), ("config", schema["properties"]["config"])]:
        found += [(f"{name}.{key}", prop) for key, prop in definition.get("properties", {}).items()]
    return found


def test_every_property_has_a_readable_title(capsys: pytest.CaptureFixture[str]) -> None:
    # pydantic titles camelCase keys as one word ("Brokerpre"); a title reads as words.
    for where, prop in all_properties(command_schema(capsys)):
        key = where.rpartition(".")[2].partition(":")[2] or where.rpartition(".")[2]
        title = prop.get("title", "")
        assert title[:1].isupper(), where
        assert title.replace(" ", "").lower() == key.lower(), where
        assert " " in title or key[1:].islower(), where


def test_every_key_of_the_file_and_its_sections_is_described(capsys: pytest.CaptureFixture[str]) -> None:
    schema = command_schema(capsys)
    described = [*schema["properties"].items(), *schema["properties"]["config"]["properties"].items()]
    assert [key for key, prop in described if not prop.get("description")] == []


def test_shipped_stacks_point_their_editor_at_the_committed_schema() -> None:
    for stack in stack_files():
        match = MODELINE.match(stack.read_text().splitlines()[0])
        assert match, f"{stack.name} has no yaml-language-server modeline on its first line"
        assert (stack.parent / match["target"]).resolve() == SCHEMA_FILE


def good_stacks() -> list[tuple[str, dict[str, Any]]]:
    """Every stack this project ships or its tests treat as valid."""
    stacks = [(path.stem, yaml.safe_load(path.read_text())) for path in stack_files()]
    stacks.append(("conftest-cpu", as_stack_file(CPU_CONFIG, **{"gcp:project": "p"})))
    encrypted = yaml.safe_load((ROOT / "stacks" / "Pulumi.kind-local.yaml").read_text())
    encrypted["config"]["flux-minicluster:curveCertificate"] = {"secure": "v1:abc"}
    stacks.append(("encrypted-certificate", encrypted))
    with_keys = copy.deepcopy(encrypted)
    with_keys.update(secretsprovider="passphrase", encryptionsalt="v1:salt", environment=["dev"])
    with_keys["config"]["kubernetes:context"] = "kind-flux"
    stacks.append(("pulumi-keys", with_keys))
    return stacks


@pytest.mark.parametrize(("name", "document"), good_stacks(), ids=[name for name, _ in good_stacks()])
def test_good_stacks_pass_the_schema_and_the_command(
    name: str, document: dict[str, Any], validator: jsonschema.Draft202012Validator, tmp_path: Path
) -> None:
    assert [e.message for e in validator.iter_errors(document)] == []
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["validate", str(path)]) == 0


def bad_stack_documents() -> list[Path]:
    return [p for p in sorted(BAD_STACKS_DIR.glob("*.yaml")) if _loads(p) is not None]


def _loads(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return None


def test_schema_refuses_the_bad_stacks_it_can_express(validator: jsonschema.Draft202012Validator) -> None:
    expressible = []
    for stack in bad_stack_documents():
        document = _loads(stack)
        try:
            StackConfig.model_validate(settings(document), strict=True)
        except ValidationError as error:
            if {detail["type"] for detail in error.errors()} & SCHEMA_ERRORS:
                expressible.append(stack)
                assert list(validator.iter_errors(document)), f"the schema accepts {stack.name}"
    assert expressible, "no bad stack has an error a schema can express"


KIND = yaml.safe_load((ROOT / "stacks" / "Pulumi.kind-local.yaml").read_text())


def varied(change: str) -> dict[str, Any]:
    document = copy.deepcopy(KIND)
    config = document["config"]
    mc = config["flux-minicluster:miniCluster"]
    if change == "unknown-key":
        mc["sise"] = 4
    elif change == "version-as-number":
        config["flux-minicluster:operator"] = {"version": 0.2}
    elif change == "size-zero":
        mc["size"] = 0
    elif change == "size-as-text":
        mc["size"] = "4"
    elif change == "flag-as-number":
        mc["interactive"] = 1
    elif change == "secure-form-for-a-section":
        config["flux-minicluster:operator"] = {"secure": "v1:abc"}
    elif change == "no-namespace":
        config["operator"] = {"install": False}
    elif change == "unknown-top-level-key":
        document["confg"] = {}
    elif change == "no-cluster-named":
        del config["flux-minicluster:kubernetes"]
    else:
        raise AssertionError(change)
    return document


CHANGES = [
    "unknown-key",
    "version-as-number",
    "size-zero",
    "size-as-text",
    "flag-as-number",
    "secure-form-for-a-section",
    "no-namespace",
    "unknown-top-level-key",
    "no-cluster-named",
]


@pytest.mark.parametrize("change", CHANGES)
def test_schema_and_command_both_refuse(
    change: str, validator: jsonschema.Draft202012Validator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = varied(change)
    assert list(validator.iter_errors(document)), "the schema accepts it"
    path = tmp_path / "Pulumi.varied.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["validate", str(path)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_size_one_is_accepted_by_both(validator: jsonschema.Draft202012Validator, tmp_path: Path) -> None:
    document = copy.deepcopy(KIND)
    mc = document["config"]["flux-minicluster:miniCluster"]
    mc.update(size=1, maxSize=1, dataVolumes={}, containers=[{"image": "x"}])
    assert list(validator.iter_errors(document)) == []
    path = tmp_path / "Pulumi.one.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["validate", str(path)]) == 0


@pytest.mark.parametrize("command", ["validate", "schema"])
def test_command_imports_no_pulumi_package(command: str) -> None:
    args = [str(ROOT / "stacks" / "Pulumi.h100-gpu.yaml")] if command == "validate" else []
    script = (
        "import contextlib, io, sys\n"
        "from flux_minicluster.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main([{command!r}, *{args!r}]) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

"""Stack files as `pulumi config set` writes them: the offline command and `pulumi up` agree on each.

`pulumi config set KEY '{...}'` stores a whole section as JSON text;
`--path` stores integers as numbers, `true`/`false` as booleans and
everything else as text; `--type string` stores text. The Pulumi program gets
every section as JSON text (``Config.get``). For each form, `validate` and
the program's reader must accept the same files, and refuse the same ones at
the same fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from test_cli import run

from flux_minicluster.component.program import read_config
from flux_minicluster.errors import SpecError
from flux_minicluster.spec.stack import CONFIG_NAMESPACE
from flux_minicluster.testing import run_under_mocks

SECTION = {"name": "hello", "namespace": "hello", "size": 2, "containers": [{"image": "app"}]}
TARGET = {"context": "kind-flux"}


def stack_text(mini_cluster: Any) -> str:
    config = {f"{CONFIG_NAMESPACE}:kubernetes": TARGET, f"{CONFIG_NAMESPACE}:miniCluster": mini_cluster}
    return yaml.safe_dump({"config": config}, sort_keys=False)


def offline(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> list[str]:
    """The problems `flux-minicluster validate` reports, without file and line."""
    path = tmp_path / "Pulumi.forms.yaml"
    path.write_text(text)
    code, _, err = run(capsys, "validate", str(path))
    assert (code == 0) == (err == [])
    return [line.split(": ", 1)[1] for line in err]


def online(text: str) -> list[str]:
    """The problems `pulumi up` reports: the stack file's values as the engine hands them to the program."""
    values = yaml.safe_load(text)["config"]
    found: list[str] = []

    def program() -> None:
        try:
            read_config(pulumi.Config(CONFIG_NAMESPACE))
        except SpecError as error:
            found.extend(str(problem) for problem in error.problems)

    # A mapping reaches the program as its JSON text, a string as written (run_under_mocks does as the engine).
    run_under_mocks(program, values)
    return found


FORMS: list[tuple[str, Any, list[str]]] = [
    ("a section as JSON text (pulumi config set KEY '{...}')", json.dumps(SECTION), []),
    ("--path numbers and booleans", {**SECTION, "size": 4, "interactive": True}, []),
    (
        "--path keeps 0.5 as text, a quantity either way",
        {**SECTION, "containers": [{"image": "app", "resources": {"requests": {"cpu": "0.5", "memory": 1}}}]},
        [],
    ),
    (
        "a YAML number for a quantity",
        {**SECTION, "containers": [{"image": "app", "resources": {"requests": {"cpu": 0.5}}}]},
        [],
    ),
    (
        "--type string where a number goes",
        {**SECTION, "size": "4"},
        [
            "miniCluster.size: expects a whole number, not the text '4': write it unquoted "
            "(pulumi config set --path: leave out --type string)"
        ],
    ),
    (
        "--type string where a boolean goes",
        {**SECTION, "interactive": "true"},
        [
            "miniCluster.interactive: expects true or false, not the text 'true': write it unquoted "
            "(pulumi config set --path: leave out --type string)"
        ],
    ),
    (
        "--path writes a number where text goes",
        {**SECTION, "containers": [{"image": "app", "environment": {"OMP_NUM_THREADS": 4}}]},
        [
            "miniCluster.containers[0].environment.OMP_NUM_THREADS: expects a string, but YAML reads 4 as a "
            "number: write it as a string: quote it (pulumi config set --path: add --type string)"
        ],
    ),
    (
        "a section as text that is not JSON",
        "name=hello",
        [
            "miniCluster: is the text 'name=hello', which is not JSON (Expecting value, column 1); write the "
            "section as YAML key: value lines, or set it with pulumi config set flux-minicluster:miniCluster "
            "'{...JSON...}'"
        ],
    ),
    (
        "a section as JSON text that is not a mapping",
        "[1, 2]",
        ["miniCluster: expects a mapping (key: value lines), not a list"],
    ),
]


@pytest.mark.parametrize(("form", "section", "problems"), FORMS, ids=[form for form, _, _ in FORMS])
def test_validate_and_pulumi_up_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str, section: Any, problems: list[str]
) -> None:
    text = stack_text(section)
    assert offline(tmp_path, capsys, text) == problems
    assert online(text) == problems

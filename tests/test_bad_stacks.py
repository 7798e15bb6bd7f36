"""Every file in tests/bad_stacks is rejected by `validate` with exit 2, naming
the field its first line announces, and `render -o` writes nothing for it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import BAD_STACKS_DIR, ROOT

from flux_minicluster.cli import main

BAD_STACKS = sorted(BAD_STACKS_DIR.glob("*.yaml"))


def expected_field(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must say which field it breaks"
    return first.removeprefix("# expect: ")


def without_location(line: str, stack: Path) -> str:
    """A problem line without its ``FILE:LINE:`` prefix, which must name the stack."""
    match = re.match(r"^(?P<file>[^:]+):(\d+:)? (?P<rest>.*)$", line)
    assert match and match["file"] == str(stack.relative_to(ROOT)), line
    return match["rest"]


@pytest.mark.parametrize("stack", BAD_STACKS, ids=lambda p: p.stem)
def test_each_bad_stack_breaks_only_the_rule_it_announces(
    stack: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stack broken twice at one field would still be refused there if the
    # rule it is named for were dropped: each stack must break one rule only.
    monkeypatch.chdir(ROOT)
    main(["validate", str(stack.relative_to(ROOT))])
    lines = [without_location(line, stack) for line in capsys.readouterr().err.strip().splitlines()]
    field = expected_field(stack)
    whole_file = field == str(stack.relative_to(ROOT))
    fields = [field for _ in lines] if whole_file else [line.split(": ", 1)[0] for line in lines]
    # Validate's later passes set a refused value aside to find the rules it
    # hid; what setting it aside breaks (a rule pairing it with another
    # field) is not reported.
    assert fields == [field], lines


@pytest.mark.parametrize("stack", BAD_STACKS, ids=lambda p: p.stem)
def test_validate_rejects_naming_the_field(
    stack: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["validate", str(stack.relative_to(ROOT))])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert lines, "no problem reported"
    field = expected_field(stack)
    if field == str(stack.relative_to(ROOT)):  # a problem of the file as a whole
        assert any(line.startswith(f"{field}:") for line in lines), err
    else:
        assert any(without_location(line, stack).startswith(f"{field}: ") for line in lines), err
    assert "Traceback" not in err


@pytest.mark.parametrize("stack", BAD_STACKS, ids=lambda p: p.stem)
def test_render_writes_nothing_for_a_bad_stack(stack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["render", str(stack), "-o", str(out)]) == 2
    assert not out.exists()
    assert capsys.readouterr().out == ""

"""No input hangs or crashes `flux-minicluster`, and a broken file is reported where it breaks.

Hostile or broken stack files (alias bombs, huge files, bytes YAML refuses),
an output that cannot be written, random text: each ends in one line per
problem and exit status 2, never a traceback, and in a moment.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli import GOOD, LAMMPS, run, write_stack

from flux_minicluster.errors import SpecError
from flux_minicluster.stackfile.reader import MAX_STACK_CHARACTERS, parse_stack
from flux_minicluster.stackfile.yamllines import MAX_EXPANDED_VALUES

CONSOLE_SCRIPT = Path(sys.executable).with_name("flux-minicluster")
#: Far beyond what any of these inputs takes once refused, far below what an unbounded one takes.
HANG = 30


def billion_laughs(levels: int = 8) -> str:
    """Nine times nine times ... 'lol': 9**levels values from a few hundred bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghij"[: levels - 1]:
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
        previous = name
    lines.append(f"config:\n  flux-minicluster:miniCluster: *{previous}")
    return "\n".join(lines) + "\n"


def cli(*args: str, stdout: int | None = subprocess.PIPE, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        input=stdin,
        text=True,
        timeout=HANG,
        check=False,
    )


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = write_stack(tmp_path, billion_laughs())
    done = cli("validate", str(path))
    assert done.returncode == 2
    assert done.stderr == (
        f"{path}: is refused: its anchors and aliases expand to more than {MAX_EXPANDED_VALUES:,} values\n"
    )


def test_anchors_within_reason_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("    size: 2\n", "    size: &n 2\n    maxSize: *n\n")
    assert run(capsys, "validate", str(write_stack(tmp_path, text)))[0] == 0


def test_an_alias_inside_itself_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_stack(tmp_path, "config: &loop\n  flux-minicluster:miniCluster: *loop\n")
    assert run(capsys, "validate", str(path)) == (
        2,
        "",
        [f"{path}: is refused: an alias refers to a value that contains it"],
    )


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    filler = "".join(f"  # padding line {i}\n" for i in range(MAX_STACK_CHARACTERS // 20))
    path = write_stack(tmp_path, GOOD + filler)
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2 and out == ""
    assert err == [
        f"{path}: has {path.stat().st_size:,} characters; a stack file holds at most {MAX_STACK_CHARACTERS:,}"
    ]


@pytest.mark.parametrize(
    "args",
    [["render", str(LAMMPS)], ["schema"], ["validate", str(LAMMPS)], ["diff", str(LAMMPS), "--against", str(LAMMPS)]],
)
def test_an_output_that_cannot_be_written_is_one_line_and_exit_2(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = cli(*args, stdout=full.fileno())
    assert done.returncode == 2
    assert done.stderr == "flux-minicluster: cannot write the output: No space left on device\n"


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("config: [\n", 1, "while parsing a flow node"),
        ("config: {a: 1\n", 1, "while parsing a flow mapping"),
        ("\tconfig: 1\n", 1, "found character '\\t' that cannot start any token (column 1)"),
        ("config:\n  a: b\n c: d\n", 3, "expected <block end>"),
        ('config:\n  flux-minicluster:miniCluster:\n    name: "x\n', 3, "while scanning a quoted scalar (column 11)"),
        ("config:\n  a: 1\n  b: \x07\n", 3, "unacceptable character #x0007 (column 6)"),
        ("config:\n  a: *nope\n", 2, "found undefined alias 'nope' (column 6)"),
    ],
)
def test_a_yaml_error_is_reported_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, says: str
) -> None:
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"{path}:{line}: is not valid YAML: ")
    assert says in err[0]


def test_the_old_version_can_come_from_standard_input(tmp_path: Path) -> None:
    path = write_stack(tmp_path, GOOD.replace("size: 2", "size: 3"))
    done = cli("diff", str(path), "--against", "-", "--summary", stdin=GOOD)
    assert done.returncode == 0, done.stderr
    rendered, resources = done.stdout.splitlines()[:2]
    assert rendered.startswith("rendered: both sides by the installed flux-minicluster ")
    assert resources == f"Resources (<stdin> -> {path}):"
    assert "+- replace  kubernetes:core/v1:ConfigMap" in done.stdout


#: Stack-like YAML: keys and values a stack file has, put together at random.
_KEYS = st.sampled_from(
    ["config", "flux-minicluster:miniCluster", "name", "size", "containers", "image", "nodePool", "secure", "a", "<<"]
)
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=30)
)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=25
)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _VALUES, max_size=4))
def test_any_stack_shaped_document_is_read_or_refused_with_problems(document: dict[str, object]) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    try:
        parse_stack(text, label="fuzz.yaml", path=Path("fuzz.yaml"))
    except SpecError as error:
        assert error.problems and all(p.message for p in error.problems)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400), st.integers(0, len(GOOD)))
def test_any_text_spliced_into_a_stack_is_read_or_refused_with_problems(junk: str, at: int) -> None:
    text = GOOD[:at] + junk + GOOD[at:]
    try:
        parse_stack(text, label="fuzz.yaml", path=Path("fuzz.yaml"))
    except SpecError as error:
        assert error.problems and all(p.message for p in error.problems)

"""`flux-minicluster` as a user meets it: bad paths, pipes, output folders,
stack names, standard input, and messages that say where and what to write."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, STACKS_DIR

from flux_minicluster.cli.main import OUTPUT_MANIFEST, main
from flux_minicluster.errors import SpecError
from flux_minicluster.stackfile import validation
from flux_minicluster.stackfile.validation import spec_from_config

KIND_LOCAL = STACKS_DIR / "Pulumi.kind-local.yaml"
LAMMPS = STACKS_DIR / "Pulumi.lammps-cpu.yaml"
CONSOLE_SCRIPT = Path(sys.executable).with_name("flux-minicluster")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, list[str]]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


def write_stack(folder: Path, text: str, name: str = "Pulumi.test.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line containing ``fragment``, found by reading the text."""
    return next(number for number, line in enumerate(text.splitlines(), start=1) if fragment in line)


# A small valid stack on an existing cluster, to vary in the tests below.
GOOD = """\
config:
  gcp:project: my-project
  flux-minicluster:kubernetes:
    context: kind-flux
  flux-minicluster:miniCluster:
    name: hello
    namespace: hello
    size: 2
    containers:
      - image: ghcr.io/converged-computing/flux-view-ubuntu:tag-noble
"""


def test_good_stack_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_stack(tmp_path, GOOD)
    assert run(capsys, "validate", str(path))[:2] == (0, f"{path}: valid\n")


# -- hardening -----------------------------------------------------------------


def test_directory_as_stack_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "render", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == [f"{tmp_path}: is a directory, not a stack file"]


def test_unreadable_stack_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, which reads any file whatever its mode: make reading fail as it would.
    path = write_stack(tmp_path, GOOD)
    original = Path.read_text

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", refuse)
    code, out, err = run(capsys, "validate", str(path))
    assert (code, out) == (2, "")
    assert err == [f"{path}: cannot be read: permission denied"]


def test_existing_file_as_output_dir_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("mine\n")
    code, out, err = run(capsys, "render", str(KIND_LOCAL), "-o", str(target))
    assert (code, out) == (2, "")
    assert len(err) == 1 and err[0].startswith(f"{target}: exists and is not a folder")
    assert target.read_text() == "mine\n"


def console_command() -> list[str]:
    if CONSOLE_SCRIPT.exists():
        return [str(CONSOLE_SCRIPT)]
    return [sys.executable, "-m", "flux_minicluster.cli"]


def test_reader_closing_the_pipe_early_is_a_quiet_exit(tmp_path: Path) -> None:
    # The reader closes its end before the command writes a byte, so every
    # write meets a closed pipe, however small the output.
    errors = tmp_path / "stderr"
    with errors.open("w") as stderr:
        process = subprocess.Popen([*console_command(), "render", str(LAMMPS)], stdout=subprocess.PIPE, stderr=stderr)
        assert process.stdout is not None
        process.stdout.close()
        code = process.wait(timeout=60)
    assert errors.read_text() == ""
    assert code == 0


def test_render_into_head_prints_one_line_and_no_traceback() -> None:
    command = " ".join(console_command())
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} render {LAMMPS} | head -1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stderr == ""
    assert result.returncode == 0
    assert result.stdout.startswith("# ") and result.stdout.count("\n") == 1


def rendered_names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} - {OUTPUT_MANIFEST}


def test_render_o_leaves_no_file_of_an_earlier_render(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rendered"
    assert run(capsys, "render", str(LAMMPS), "-o", str(out))[0] == 0
    first = rendered_names(out)
    assert run(capsys, "render", str(KIND_LOCAL), "-o", str(out))[0] == 0
    second = rendered_names(out)
    fresh = tmp_path / "fresh"
    assert run(capsys, "render", str(KIND_LOCAL), "-o", str(fresh))[0] == 0
    assert second == rendered_names(fresh)
    assert first - second, "the two stacks must render different files for this test to mean anything"


def test_render_o_refuses_a_folder_holding_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("keep me\n")
    code, out, err = run(capsys, "render", str(KIND_LOCAL), "-o", str(tmp_path))
    assert (code, out) == (2, "")
    assert len(err) == 1 and "notes.txt" in err[0] and err[0].startswith(f"{tmp_path}: ")
    assert {p.name for p in tmp_path.iterdir()} == {"notes.txt"}


def test_render_o_removes_nothing_outside_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim.yaml"
    victim.write_text("not rendered\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / OUTPUT_MANIFEST).write_text("../victim.yaml\n")
    assert run(capsys, "render", str(KIND_LOCAL), "-o", str(out))[0] == 0
    assert victim.read_text() == "not rendered\n"


def test_files_with_the_secret_key_are_owner_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    previous = os.umask(0)  # a permissive umask must not matter
    try:
        assert run(capsys, "render", str(KIND_LOCAL), "--show-secrets", "-o", str(out))[0] == 0
    finally:
        os.umask(previous)
    with_key = [p for p in out.iterdir() if "secret-key" in p.read_text()]
    assert with_key, "--show-secrets wrote no secret key"
    for path in out.iterdir():
        if path.name != OUTPUT_MANIFEST:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_stack_name_resolves_from_the_project_root(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT / "tests" / "bad_stacks")
    code, out, _ = run(capsys, "validate", "kind-local")
    assert (code, out) == (0, "kind-local: valid\n")


def test_default_stack_resolves_from_the_project_root(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    _, at_root, _ = run(capsys, "render")
    monkeypatch.chdir(ROOT / "tests")
    code, below, _ = run(capsys, "render")
    assert code == 0
    assert below.split("# kubernetes:core/v1:Secret")[0] == at_root.split("# kubernetes:core/v1:Secret")[0]


def test_stack_name_uses_the_projects_stack_config_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: mine\nruntime: python\nstackConfigDir: settings\n")
    (tmp_path / "settings").mkdir()
    stack = write_stack(tmp_path / "settings", GOOD.replace("size: 2", "size: 0"), "Pulumi.mine.yaml")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    code, _, err = run(capsys, "validate", "mine")
    assert code == 2
    assert err == [
        f"{os.path.relpath(stack, deep)}:{line_of(GOOD, 'size:')}: miniCluster.size: must be at least 1, not the number 0"
    ]


def test_unknown_stack_name_suggests_the_closest(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, _, err = run(capsys, "validate", "kind-locl")
    assert code == 2
    assert len(err) == 1 and err[0].endswith("did you mean kind-local?")


def project(folder: Path) -> Path:
    """A project whose stacks live in ``stacks/``: ``alpha`` and ``beta``."""
    (folder / "Pulumi.yaml").write_text("name: lab\nruntime: python\nstackConfigDir: stacks\n")
    (folder / "stacks").mkdir()
    for name in ("alpha", "beta"):
        write_stack(folder / "stacks", GOOD, f"Pulumi.{name}.yaml")
    return folder


def test_a_stack_file_named_at_the_project_root_points_to_the_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project(tmp_path))
    assert run(capsys, "validate", "Pulumi.beta.yaml") == (
        2,
        "",
        ["Pulumi.beta.yaml: no such stack file; did you mean stacks/Pulumi.beta.yaml (the stack beta)?"],
    )
    assert run(capsys, "validate", "stacks/Pulumi.gamma.yaml")[2] == [
        "stacks/Pulumi.gamma.yaml: no such stack file; the project's stacks are stacks/Pulumi.STACK.yaml: alpha, beta"
    ]


def test_the_project_file_is_not_taken_for_a_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project(tmp_path))
    assert run(capsys, "validate", "Pulumi.yaml") == (
        2,
        "",
        [
            "Pulumi.yaml: is the Pulumi project file, not a stack; the project's stacks are stacks/Pulumi.STACK.yaml: alpha, beta"
        ],
    )


def test_no_stack_outside_a_project_says_what_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in ("render", "diff"):
        args = [command] if command == "render" else [command, "--against", "HEAD"]
        assert run(capsys, *args) == (
            2,
            "",
            [
                "stacks/Pulumi.lammps-cpu.yaml: no stack given, and no Pulumi.yaml here or above to find the "
                "default stack in; give a stack file or run this in the project"
            ],
        )


def test_dash_reads_the_stack_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(KIND_LOCAL.read_text()))
    code, from_stdin, _ = run(capsys, "render", "-")
    _, from_file, _ = run(capsys, "render", str(KIND_LOCAL))
    assert code == 0
    assert from_stdin == from_file


def test_problems_read_from_standard_input_say_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(GOOD.replace("size: 2", "size: 0")))
    code, _, err = run(capsys, "validate", "-")
    assert code == 2
    assert err == [f"<stdin>:{line_of(GOOD, 'size:')}: miniCluster.size: must be at least 1, not the number 0"]


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"flux-minicluster {metadata.version('flux-minicluster')}\n")


def test_validate_of_several_stacks_exits_2_when_any_is_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_stack(tmp_path, GOOD, "Pulumi.good.yaml")
    bad = write_stack(tmp_path, GOOD.replace("size: 2", "size: 0"), "Pulumi.bad.yaml")
    code, out, err = run(capsys, "validate", str(good), str(bad), str(KIND_LOCAL))
    assert code == 2
    assert out.splitlines() == [f"{good}: valid", f"{KIND_LOCAL}: valid"]
    assert len(err) == 1 and err[0].startswith(f"{bad}:")
    assert run(capsys, "validate", str(good), str(KIND_LOCAL))[0] == 0


# -- messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "suggestion"),
    [
        ("    size: 2", "    sise: 2\n    size: 2", "miniCluster.sise", "size"),
        ("      - image:", "      - imgae: x\n        image:", "miniCluster.containers[0].imgae", "image"),
        (
            "  flux-minicluster:kubernetes:",
            "  flux-minicluster:kubernetis: {}\n  flux-minicluster:kubernetes:",
            "kubernetis",
            "flux-minicluster:kubernetes",
        ),
        ("    size: 2", "    size: 2\n    brokerConfig: x", "miniCluster.brokerConfig", "flux.brokerConfig"),
    ],
    ids=["section-key", "nested-key", "config-key", "key-one-level-too-high"],
)
def test_unknown_key_names_the_closest_valid_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, field: str, suggestion: str
) -> None:
    text = GOOD.replace(old, new)
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    line = line_of(text, field.rpartition(".")[2].rpartition("]")[2] + ":")
    assert err == [f"{path}:{line}: {field}: unknown key; did you mean {suggestion}?"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("flux-minicluster:miniCluster", "flux-minicluser:miniCluster"),
            "did you mean flux-minicluster:miniCluster?",
        ),
        (GOOD.replace("flux-minicluster:miniCluster", "miniCluster"), "write flux-minicluster:miniCluster"),
        ("", "is empty"),
        ("# only a comment\n", "is empty"),
        ("secretsprovider: passphrase\n", "has no config: section"),
        ("flux-minicluster:miniCluster:\n  name: hello\n", "belongs under config:"),
    ],
    ids=["misspelled-namespace", "no-namespace", "empty", "comment-only", "no-config", "settings-at-top-level"],
)
def test_misplaced_settings_get_their_own_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert any(expected in line for line in err), err
    assert not any("miniCluster: required" in line or "Field required" in line for line in err), err


def test_number_where_a_string_is_wanted_says_to_quote_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD + "  flux-minicluster:operator:\n    image: 0.2\n"
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert err == [
        f"{path}:{line_of(text, 'image: 0.2')}: operator.image: expects a string, but YAML reads 0.2 as a number: "
        "write it as a string: quote it (pulumi config set --path: add --type string)"
    ]


@pytest.mark.parametrize(
    ("value", "wanted"),
    [("'2'", "a whole number"), ("true", "a whole number"), ("[2]", "a whole number")],
)
def test_wrong_type_says_what_type_is_wanted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, wanted: str
) -> None:
    path = write_stack(tmp_path, GOOD.replace("size: 2", f"size: {value}"))
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert len(err) == 1 and f"miniCluster.size: expects {wanted}, not " in err[0]


POOL_TOO_SMALL = """\
config:
  flux-minicluster:nodePool:
    cluster: hpc
    location: us-central1
    zones: [us-central1-a]
    machineType: c2d-standard-112
    nodeCount: 1
  flux-minicluster:miniCluster:
    name: lammps
    namespace: lammps
    size: 4
    containers:
      - image: ghcr.io/converged-computing/metric-lammps:latest
"""


def test_field_error_does_not_hide_a_rule_across_sections(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # nodeCount < size is checked on the whole experiment; the operator's
    # field error alone used to stop validation before that rule ran.
    text = POOL_TOO_SMALL + "  flux-minicluster:operator:\n    image: 0.2\n"
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert [line.split(": ")[1] for line in err] == ["nodePool.nodeCount", "operator.image"]


def test_field_error_does_not_hide_a_rule_of_its_own_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace("namespace: hello", "namespace: default\n    interactive: maybe")
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert [line.split(": ")[1] for line in err] == ["miniCluster.namespace", "miniCluster.interactive"]


def test_problem_lines_point_at_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = POOL_TOO_SMALL.replace("nodeCount: 1", "nodeCount: 4").replace("size: 4", "size: 4\n    maxSize: 0")
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert err == [f"{path}:{line_of(text, 'maxSize:')}: miniCluster.maxSize: must be at least 1, not the number 0"]


def test_missing_key_points_at_its_parent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("- image: ghcr.io/converged-computing/flux-view-ubuntu:tag-noble", "- workingDir: /tmp")
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert err == [f"{path}:{line_of(text, '- workingDir')}: miniCluster.containers[0].image: required"]


def test_duplicate_key_is_refused_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("    size: 2", "    size: 2\n    size: 3")
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    first = line_of(text, "size: 2")
    assert err == [
        f"{path}:{first + 1}: miniCluster.size: written twice (first on line {first}); YAML would keep only this one"
    ]


def test_invalid_yaml_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("size: 2", "size: [2")
    path = write_stack(tmp_path, text)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"{path}:") and "is not valid YAML" in err[0]


def test_pulumi_program_path_reports_every_problem_without_a_file() -> None:
    values = yaml.safe_load(POOL_TOO_SMALL)["config"]
    values = {key.partition(":")[2]: value for key, value in values.items()}
    values["operator"] = {"image": 0.2}
    with pytest.raises(SpecError) as raised:
        spec_from_config(values)
    assert [(p.path, p.file) for p in raised.value.problems] == [("nodePool.nodeCount", ""), ("operator.image", "")]


def test_one_pass_alone_would_hide_the_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What the passes are for: with a single pass the rule goes unreported.
    monkeypatch.setattr(validation, "_MAX_PASSES", 1)
    values = {key.partition(":")[2]: value for key, value in yaml.safe_load(POOL_TOO_SMALL)["config"].items()}
    values["operator"] = {"image": 0.2}
    with pytest.raises(SpecError) as raised:
        spec_from_config(values)
    assert [p.path for p in raised.value.problems] == ["operator.image"]


def test_copied_project_renders_from_anywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(STACKS_DIR, tmp_path / "stacks")
    (tmp_path / "deep").mkdir()
    monkeypatch.chdir(tmp_path / "deep")
    code, out, _ = run(capsys, "render", "kind-local")
    assert code == 0 and "# kubernetes:batch/v1:Job experiment-job" in out


def test_a_cross_field_problem_is_still_reported_beside_a_refused_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Setting a refused value aside hides only the rules that speak of it."""
    stack = write_stack(
        tmp_path,
        GOOD.replace("    size: 2\n", "    size: 2\n    minSize: 3\n    sise: 2\n"),
    )
    code, _, err = run(capsys, "validate", str(stack))
    assert code == 2
    fields = sorted(line.split(": ")[1] for line in err)
    assert fields == ["miniCluster.sise", "miniCluster.size"], err
    assert "minSize" in next(line for line in err if ": miniCluster.size: " in line)

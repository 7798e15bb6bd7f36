"""The README as a user follows it: its Python snippets run as written, and
what it lists (stack outputs and their keys) is what the program exports."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pulumi
import pytest
import yaml
from conftest import ROOT

from flux_minicluster import load_spec
from flux_minicluster.component.program import run
from flux_minicluster.endpoint import lead_broker
from flux_minicluster.testing import run_under_mocks, stack_settings

README = (ROOT / "README.md").read_text()
LAMMPS = ROOT / "stacks" / "Pulumi.lammps-cpu.yaml"
PYTHON_BLOCKS = re.findall(r"^```python\n(.*?)^```", README, flags=re.S | re.M)


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    shell_blocks = re.findall(r"^```sh\n(.*?)^```", README, flags=re.S | re.M)
    (command,) = [block.strip() for block in shell_blocks if "pytest" in block and block.startswith("python3 -m venv")]
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == command
    assert all(line.startswith(("#", "set ", "cd ")) or not line for line in ci[1:-1])


def test_the_readme_has_python_snippets() -> None:
    assert any("run_under_mocks" in block for block in PYTHON_BLOCKS)
    assert any("FluxMiniCluster(" in block and "run_under_mocks" not in block for block in PYTHON_BLOCKS)


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda b: b.splitlines()[0][:40])
def test_each_python_snippet_runs_as_written(block: str) -> None:
    if "run_under_mocks" in block:
        # A test snippet: self-contained, it runs in a plain interpreter.
        done = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return
    # A Pulumi program: it runs under the engine (here the mock engine).
    mocks, _ = run_under_mocks(lambda: exec(compile(block, "README.md", "exec"), {}))
    assert mocks.resources, "the snippet registered nothing"


def exported_outputs(monkeypatch: pytest.MonkeyPatch, stack: str) -> dict[str, Any]:
    exported: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: exported.__setitem__(name, value))

    def program() -> Any:
        run()
        return dict(exported)

    config = stack_settings(ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    _, resolved = run_under_mocks(program, config)
    return dict(resolved)


def readme_table(heading: str) -> dict[str, str]:
    """First column (without backticks) -> second column of the table under ``heading``."""
    section = README[README.index(heading) :]
    rows = re.findall(r"^\| `([^`]+)` \| (.*) \|$", section.split("\n### ", 1)[0], flags=re.M)
    return dict(rows)


def test_every_stack_output_is_listed_in_the_readme_with_its_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = exported_outputs(monkeypatch, "lammps-cpu")
    listed = readme_table("### Stack outputs")
    assert set(outputs) == set(listed)
    keys_listed = re.findall(r"`(\w+)`", listed["leadBroker"].split("An object:", 1)[1])
    assert list(outputs["leadBroker"]) == keys_listed


def test_stack_outputs_are_camel_case_throughout(monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = exported_outputs(monkeypatch, "kind-local")
    names = [*outputs, *outputs["leadBroker"]]
    assert [name for name in names if "_" in name or not name[0].islower()] == []
    assert outputs["leadBroker"]["localUri"].startswith("local://")
    assert outputs["nodePoolName"] is None
    # The flux command is the lead broker's, exported on its own for scripts.
    assert outputs["fluxCommand"] == outputs["leadBroker"]["fluxCommand"]
    assert outputs["fluxCommand"].endswith(" flux")


def test_mypy_with_the_readme_settings_checks_a_users_settings_models(tmp_path) -> None:
    """A user's program type-checked with the mypy settings the README gives."""
    start = README.index("```toml\n[tool.mypy]\nplugins")
    settings = README[start + len("```toml\n") : README.index("```", start + 7)]
    # From source, mypy would also report on the package's own modules; an
    # installed package is silent but for the types it exports.
    # The cloud providers' large packages are skipped, to keep this test quick.
    silent = (
        '\n[[tool.mypy.overrides]]\nmodule = ["flux_minicluster.*"]\nfollow_imports = "silent"\n'
        '\n[[tool.mypy.overrides]]\nmodule = ["pulumi_gcp.*", "pulumi_kubernetes.*", "pulumi_random.*"]\n'
        'follow_imports = "skip"\n'
    )
    (tmp_path / "pyproject.toml").write_text(settings + silent)
    (tmp_path / "experiment.py").write_text(
        "from flux_minicluster import ExperimentSpec\n"
        "from flux_minicluster.spec import MiniClusterSpec\n"
        "good = ExperimentSpec(mini_cluster=MiniClusterSpec(name='a', namespace='a', size=2, containers=[]))\n"
        "bad = ExperimentSpec(mini_cluster=MiniClusterSpec(name='a', namespace='a', size='2', containers=[]))\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(tmp_path / "pyproject.toml"),
            "--no-incremental",
            str(tmp_path / "experiment.py"),
        ],
        cwd=ROOT,  # where the package is importable, as it is from an installed wheel
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and errors[0].startswith(f"{tmp_path / 'experiment.py'}:4:"), done.stdout
    assert 'Argument "size" to "MiniClusterSpec" has incompatible type "str"; expected "int"' in errors[0]


def test_the_readme_flux_mc_function_hands_flux_every_word_as_quoted(tmp_path) -> None:
    """The README's shell function, with stand-ins for pulumi and kubectl that
    record what kubectl would run: the words reach flux unsplit."""
    start = README.index("flux_mc() {")
    function = README[start : README.index("\n", start)]
    mini_cluster = yaml.safe_load(LAMMPS.read_text())["config"]["flux-minicluster:miniCluster"]
    broker = lead_broker(load_spec({"miniCluster": mini_cluster}).mini_cluster)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "flux-command").write_text(broker.flux_command)
    stand_ins = {
        "pulumi": f'[ "$*" = "stack output fluxCommand" ] && cat {tmp_path / "flux-command"}',
        # `kubectl get pod ... -o name` names the pod; `kubectl exec` records its arguments.
        "kubectl": f'if [ "$1" = get ]; then echo pod/lammps-0-x; else printf "%s\\n" "$@" > {tmp_path / "argv"}; fi',
    }
    for name, body in stand_ins.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    script = f"{function}\nflux_mc run -N8 -n448 sh -c 'echo \"two words\" $HOME'"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(["bash", "-c", script], env=env, check=True, timeout=30)
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[: argv.index("--")] == ["exec", "-i", "-n", "lammps", "-c", "lammps", "pod/lammps-0-x"]
    assert argv[argv.index("--") + 1 : argv.index("--") + 3] == ["sh", "-c"]
    assert argv[argv.index("--") + 4 :] == ["flux", "run", "-N8", "-n448", "sh", "-c", 'echo "two words" $HOME']


def test_the_readmes_example_messages_are_what_validate_prints() -> None:
    stack = ROOT / "tests" / "data" / "readme" / "Pulumi.mine.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "flux_minicluster.cli", "validate", str(stack.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    printed = done.stderr.replace("tests/data/readme/", "stacks/").splitlines()
    readme = (ROOT / "README.md").read_text()
    shown = [line for line in readme.splitlines() if line.startswith("stacks/Pulumi.mine.yaml:")]
    assert done.returncode == 2 and printed == shown

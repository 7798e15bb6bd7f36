"""The README's offline check of the examples, run as a user runs it."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def readme_command() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    line = next(line for line in readme.splitlines() if line.startswith("python -m flux_minicluster.testing "))
    return shlex.split(line)


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_the_readme_command_evaluates_every_python_example() -> None:
    command = readme_command()
    assert command[:3] == ["python", "-m", "flux_minicluster.testing"]
    folders = command[3:]
    assert sorted(folders) == sorted(
        str(path.parent.relative_to(ROOT)) for path in (ROOT / "examples").glob("*/__main__.py")
    )
    done = run(*command[1:])
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == folders
    for line in lines:
        count = int(re.match(r"^[^:]+: (\d+) resources: ", line).group(1))  # type: ignore[union-attr]
        assert count > 0 and "kubernetes:" in line, line


def test_a_program_that_fails_says_each_problem_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (broken / "__main__.py").write_text(
        "from flux_minicluster import FluxMiniCluster\nFluxMiniCluster('x', {'miniCluster': {'name': 'x'}})\n"
    )
    done = run("-m", "flux_minicluster.testing", str(broken), str(ROOT / "examples" / "flux-operator"))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines == [
        f"{broken}: failed: miniCluster.{field}: Field required" for field in ("containers", "namespace", "size")
    ]
    assert done.stdout.startswith(f"{ROOT / 'examples' / 'flux-operator'}: ")


def test_a_stack_s_settings_reach_the_program(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.kind.yaml"
    stack.write_text((ROOT / "stacks" / "Pulumi.kind-local.yaml").read_text())
    done = run("-m", "flux_minicluster.testing", str(ROOT), "--stack", str(stack))
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert "kubernetes:batch/v1:Job" in done.stdout

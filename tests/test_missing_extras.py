"""A program without the extra it needs is told which one to install.

Each case runs a fresh interpreter in which the packages of an extra cannot
be imported (as in an environment installed without it) and reads the last
line Python prints.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

HIDE = """
import sys
hidden = set(sys.argv[1].split(","))

class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in hidden:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Hide())
exec(sys.argv[2])
"""


def last_line(hidden: str, code: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", HIDE, hidden, code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    return done.returncode, (done.stderr.strip().splitlines() or [""])[-1]


@pytest.mark.parametrize(
    ("hidden", "code"),
    [
        ("pulumi", "from flux_minicluster import FluxMiniCluster"),
        ("pulumi_kubernetes", "from flux_minicluster import FluxMiniCluster"),
        ("pulumi_random", "from flux_minicluster.component.program import run"),
    ],
)
def test_the_component_without_the_pulumi_extra_names_it(hidden: str, code: str) -> None:
    code_, line = last_line(hidden, code)
    assert code_ == 1
    assert line == (
        "ModuleNotFoundError: the Pulumi component (FluxMiniCluster) and the stack program need "
        f"{hidden.replace('_', '-')}: pip install 'flux-minicluster[pulumi]'"
    )


def test_a_node_pool_without_the_gke_extra_names_it() -> None:
    code = (
        "from flux_minicluster.testing import run_under_mocks\n"
        "from flux_minicluster import FluxMiniCluster\n"
        "config = {'nodePool': {'cluster': 'hpc', 'location': 'us-central1-a', 'zones': ['us-central1-a'],"
        " 'machineType': 'c2d-standard-112', 'nodeCount': 2},"
        " 'miniCluster': {'name': 'x', 'namespace': 'x', 'size': 2, 'containers': [{'image': 'busybox'}]}}\n"
        "run_under_mocks(lambda: FluxMiniCluster('x', config))\n"
    )
    returncode, line = last_line("pulumi_gcp", code)
    assert returncode == 1
    assert line == (
        "ModuleNotFoundError: GKE node pools and Cloud Storage buckets need pulumi-gcp: "
        "pip install 'flux-minicluster[gke]'"
    )


def test_the_offline_command_needs_no_extra() -> None:
    returncode, line = last_line(
        "pulumi,pulumi_kubernetes,pulumi_random,pulumi_gcp",
        "from flux_minicluster.cli import main; sys.exit(main(['validate', 'stacks/Pulumi.lammps-cpu.yaml']))",
    )
    assert (returncode, line) == (0, "")

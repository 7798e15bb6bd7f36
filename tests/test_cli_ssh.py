"""flux-minicluster-ssh: what flux-core's ssh connector starts becomes kubectl exec into the lead broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flux_minicluster import load_spec
from flux_minicluster.cli.ssh import RELAY
from flux_minicluster.endpoint import lead_broker

#: A kubectl that records its words and finds one pod.
RECORDING_KUBECTL = """#!{python}
import json, sys
with open({calls!r}, "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1] == "get":
    print({pods!r})
"""


def shim(tmp_path: Path, *words: str, pods: str = "pod/sim-0-abcde") -> tuple[subprocess.CompletedProcess[str], list]:
    kubectl = tmp_path / "kubectl"
    calls = tmp_path / "calls"
    kubectl.write_text(RECORDING_KUBECTL.format(python=sys.executable, calls=str(calls), pods=pods))
    kubectl.chmod(0o755)
    environment = {**os.environ, "KUBECTL": str(kubectl)}
    command = [sys.executable, "-m", "flux_minicluster.cli.ssh", *words]
    ran = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)
    recorded = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    return ran, recorded


def test_the_connectors_command_becomes_kubectl_exec_into_the_lead_container(tmp_path: Path) -> None:
    mc = load_spec({"miniCluster": {"name": "sim", "namespace": "lab", "size": 3, "containers": [{"image": "a"}]}})
    uri = lead_broker(mc.mini_cluster).flux_uri
    assert uri == "ssh://sim@sim.lab/mnt/flux/config/run/flux/local"
    # As flux-core's ssh connector builds it (ssh.c): port, user@host, env, flux relay /path.
    words = ["-p", "22", "sim@sim.lab", "env", "PATH=/laptop/bin", "LD_LIBRARY_PATH=/laptop/lib", "flux", "relay"]
    ran, calls = shim(tmp_path, *words, "/mnt/flux/config/run/flux/local")
    assert ran.returncode == 0, ran.stderr
    selector = "job-name=sim,batch.kubernetes.io/job-completion-index=0"
    assert calls == [
        ["get", "pod", "-n", "lab", "-l", selector, "-o", "name"],
        [
            "exec",
            "-i",
            "-n",
            "lab",
            "-c",
            "sim",
            "pod/sim-0-abcde",
            "--",
            "sh",
            "-c",
            RELAY,
            "/mnt/flux/config/run/flux/local",
        ],
    ]
    # The laptop's PATH and libraries stay on the laptop: the pod's view runs the relay.
    assert "/laptop" not in json.dumps(calls)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ([], "usage: FLUX_SSH=flux-minicluster-ssh"),
        (["sim@sim.lab", "flux", "proxy", "/x"], "usage:"),
        (["sim@sim.lab", "flux", "relay"], "usage:"),
        (["sim@sim", "flux", "relay", "/x"], "'sim' is not NAME.NAMESPACE"),
        (["sim@sim.lab.svc", "flux", "relay", "/x"], "'sim.lab.svc' is not NAME.NAMESPACE"),
    ],
)
def test_words_that_are_not_a_relay_to_a_minicluster_are_refused(
    tmp_path: Path, words: list[str], message: str
) -> None:
    ran, calls = shim(tmp_path, *words)
    assert ran.returncode == 2 and message in ran.stderr and calls == []


def test_no_lead_pod_is_said_before_any_exec(tmp_path: Path) -> None:
    ran, calls = shim(tmp_path, "sim@sim.lab", "flux", "relay", "/x", pods="")
    assert ran.returncode == 2 and "no lead broker of lab/sim" in ran.stderr
    assert [call[0] for call in calls] == ["get"]


def test_a_missing_kubectl_is_named(tmp_path: Path) -> None:
    environment = {**os.environ, "KUBECTL": str(tmp_path / "no-kubectl")}
    command = [sys.executable, "-m", "flux_minicluster.cli.ssh", "sim@sim.lab", "flux", "relay", "/x"]
    ran = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 2 and "no-kubectl did not run" in ran.stderr

"""The real-broker sandboxes leave the host alone, so runs of the suite can share a machine.

A sandbox builds each pod's view of the filesystem inside the pod's own mount
namespace and its network without a name; these tests check that nothing of
it reaches the host, that two instances of the same MiniCluster (same pod
names, same paths) form side by side, and that the whole real-broker suite
passes while another run of it is under way.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from broker_sandbox import Sandbox, in_pod, load_stretch, real_brokers, sandbox_for

from flux_minicluster import load_spec
from flux_minicluster.endpoint import lead_broker
from flux_minicluster.spec import ExperimentSpec

PREFIX, pytestmark = real_brokers()
ROOT = Path(__file__).resolve().parent.parent
#: Host folders a careless sandbox would write into, and the host's mount table.
WATCHED = ("/", "/mnt", "/etc", "/run", "/opt")


def experiment(name: str = "twin", size: int = 2) -> ExperimentSpec:
    return load_spec(
        {"miniCluster": {"name": name, "namespace": "side", "size": size, "containers": [{"image": "app"}]}}
    )


def sandbox(spec: ExperimentSpec) -> Sandbox:
    assert PREFIX is not None
    return sandbox_for(spec, PREFIX)


def host_state() -> dict[str, object]:
    state: dict[str, object] = {path: sorted(os.listdir(path)) for path in WATCHED}
    with open("/proc/self/mountinfo", encoding="utf-8") as mounts:
        state["mounts"] = sorted(line.split()[4] for line in mounts)
    state["/etc/hosts"] = Path("/etc/hosts").read_text(encoding="utf-8")
    return state


def run_on_every_rank(spec: ExperimentSpec, box: Sandbox) -> list[str]:
    flux = in_pod(lead_broker(spec.mini_cluster).flux_command)
    ran = box.exec(0, shlex.join([*flux, "run", f"-N{spec.mini_cluster.size}", "hostname"]), timeout=60)
    assert ran.returncode == 0, ran.stderr + box.logs()
    return sorted(ran.stdout.split())


def test_a_sandbox_leaves_the_host_as_it_was() -> None:
    before = host_state()
    spec = experiment()
    with sandbox(spec) as box:
        box.start(0)
        box.start(1)
        box.wait_ready([0, 1])
        # The pods see their own paths; the host has none of them.
        assert box.exec(1, "test -d /flux_minicluster/config && test -d /mnt/flux/view").returncode == 0
        assert not Path("/flux_minicluster").exists()
        during = host_state()
    assert during == before
    assert host_state() == before


def test_a_pod_cannot_write_to_the_hosts_folders() -> None:
    spec = experiment()
    with sandbox(spec) as box:
        box.start(0)
        box.wait_ready([0])
        probe = f"flux-sandbox-probe-{os.getpid()}"
        for folder in ("/usr", "/etc", "/var"):
            wrote = box.exec(0, f"touch {folder}/{probe}")
            assert wrote.returncode != 0 and "Read-only file system" in wrote.stderr, wrote
            assert not Path(folder, probe).exists()
        # Its own folders are writable, as a container's are.
        assert box.exec(0, f"touch /tmp/{probe} /opt/{probe} /root/{probe}").returncode == 0


def test_two_instances_of_one_minicluster_form_side_by_side() -> None:
    spec = experiment()
    with sandbox(spec) as first, sandbox(spec) as second:
        for box in (first, second):
            box.start(0)
            box.start(1)
        first.wait_ready([0, 1])
        second.wait_ready([0, 1])
        assert run_on_every_rank(spec, first) == run_on_every_rank(spec, second) == ["twin-0", "twin-1"]
        # Each instance holds its own two brokers, each rank with its own certificate's peers.
        for box in (first, second):
            online = box.exec(
                0, '. /mnt/flux/flux-view.sh && flux proxy "$fluxsocket" flux resource list -s up -no {nnodes}'
            )
            assert online.stdout.split() == ["2"], online


def test_the_real_broker_tests_pass_while_another_run_of_them_is_under_way() -> None:
    other = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_real_brokers.py"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )
    formed = 0
    try:
        # Meanwhile, instances of the MiniCluster those tests use, one after another.
        spec = load_spec(
            {"miniCluster": {"name": "hello", "namespace": "flux-hello", "size": 2, "containers": [{"image": "app"}]}}
        )
        deadline = time.monotonic() + 300 * load_stretch()
        while other.poll() is None and time.monotonic() < deadline:
            with sandbox(spec) as box:
                box.start(0)
                box.start(1)
                box.wait_ready([0, 1])
                assert run_on_every_rank(spec, box) == ["hello-0", "hello-1"]
                formed += 1
        output, _ = other.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()
    assert other.returncode == 0, output
    assert formed >= 1 and " passed" in output and "failed" not in output, output

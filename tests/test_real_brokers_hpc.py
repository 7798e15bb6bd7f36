"""Real HPC work on an instance of real Flux brokers: MPI programs, LAMMPS, GPUs.

Each test forms an instance from what the builders generate
(``broker_sandbox.py``), each pod on its own CPU, and runs work the way a
user does, through the exported flux command: ``flux run -N SIZE -n TASKS``.
MPI comes from Debian: MPICH reads Flux's PMI-1 wire protocol (``PMI_FD``)
itself; Open MPI 4.1 uses its ``pmix/flux`` component, which loads Flux's
PMI library (``FLUX_PMI_LIBRARY_PATH``, set by the Flux shell). LAMMPS is
Debian's, built on Open MPI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from broker_sandbox import Sandbox, in_pod, load_stretch, real_brokers, sandbox_for

from flux_minicluster import load_spec
from flux_minicluster.endpoint import lead_broker
from flux_minicluster.spec import ExperimentSpec

PREFIX, pytestmark = real_brokers()
DATA = Path(__file__).resolve().parent / "data" / "hpc"

#: An MPI program that says where each rank runs and checks the communicator.
HELLO = r"""
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, size, sum = 0;
    char host[256];
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    gethostname(host, sizeof host);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d of %d on %s sum %d\n", rank, size, host, sum);
    MPI_Finalize();
    return 0;
}
"""


def experiment(size: int, **mini_cluster: Any) -> ExperimentSpec:
    mc = {"name": "hpc", "namespace": "hpc", "size": size, "containers": [{"image": "app"}], **mini_cluster}
    return load_spec({"miniCluster": mc})


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The application's files: the MPI program built with each MPI, and a LAMMPS input."""
    folder = tmp_path_factory.mktemp("app")
    (folder / "hello.c").write_text(HELLO)
    for mpi in ("mpich", "openmpi"):
        compiler = shutil.which(f"mpicc.{mpi}")
        assert compiler, f"mpicc.{mpi} (Debian's {mpi} development package) is part of the test set-up"
        subprocess.run([compiler, "-o", folder / f"hello-{mpi}", folder / "hello.c"], check=True)
    shutil.copy(DATA / "in.lj", folder / "in.lj")
    return folder


@contextmanager
def formed(spec: ExperimentSpec, app: Path) -> Iterator[Sandbox]:
    assert PREFIX is not None
    with sandbox_for(spec, PREFIX) as box:
        box.mounts = {"/opt/app": app}
        for index in range(spec.mini_cluster.size):
            box.start(index)
        box.wait_ready(list(range(spec.mini_cluster.size)))
        yield box


def flux(spec: ExperimentSpec, box: Sandbox, *words: str, check: bool = True) -> Any:
    ran = box.exec(0, shlex.join([*in_pod(lead_broker(spec.mini_cluster).flux_command), *words]), timeout=120)
    if check:
        assert ran.returncode == 0, ran.stderr + box.logs()
    return ran


@pytest.mark.parametrize("mpi", ["mpich", "openmpi"])
def test_an_mpi_program_runs_across_every_broker(app: Path, mpi: str) -> None:
    spec = experiment(2)
    with formed(spec, app) as box:
        out = flux(spec, box, "run", "-N2", "-n2", f"/opt/app/hello-{mpi}").stdout
        lines = sorted(out.splitlines())
        # One communicator of every task, one rank on each broker, and a collective across them.
        assert lines == ["rank 0 of 2 on hpc-0 sum 1", "rank 1 of 2 on hpc-1 sum 1"], out


def test_more_tasks_than_brokers_share_one_communicator(app: Path) -> None:
    spec = experiment(3)
    with formed(spec, app) as box:
        out = flux(spec, box, "run", "-N3", "-n3", "/opt/app/hello-mpich").stdout
        ranks = sorted(re.findall(r"rank (\d) of 3 on (hpc-\d) sum 3", out))
        assert ranks == [("0", "hpc-0"), ("1", "hpc-1"), ("2", "hpc-2")], out


def test_lammps_runs_one_simulation_across_every_broker(app: Path) -> None:
    spec = experiment(2)
    with formed(spec, app) as box:
        out = flux(spec, box, "run", "-N2", "-n2", "lmp", "-in", "/opt/app/in.lj", "-log", "none").stdout
        assert re.search(r"Loop time of [0-9.]+ on 2 procs for 100 steps with 4000 atoms", out), out
        assert "1 by 1 by 2 MPI processor grid" in out


def gpu_stack(**pool: Any) -> ExperimentSpec:
    """The h100-gpu stack's shape on a smaller scale: one broker per GPU node."""
    return load_spec(
        {
            "nodePool": {
                "cluster": "hpc",
                "location": "us-central1-a",
                "zones": ["us-central1-a"],
                "nodeCount": 2,
                **pool,
            },
            "miniCluster": {"name": "hpc", "namespace": "hpc", "size": 2, "containers": [{"image": "app"}]},
        }
    )


def test_every_gpu_of_a_node_is_in_the_resource_set_and_schedulable(app: Path) -> None:
    spec = gpu_stack(machineType="a3-highgpu-8g", placementPolicyName="a3", threadsPerCore=1)
    with formed(spec, app) as box:
        # The view's hwloc finds no GPU here (nor, without NVIDIA's libraries, in a pod):
        # the resource set names the GPUs the container is given.
        assert flux(spec, box, "resource", "list", "-no", "{ngpus}").stdout.split() == ["16"]
        devices = flux(spec, box, "run", "-N2", "-g", "8", "printenv", "CUDA_VISIBLE_DEVICES").stdout
        assert devices.split() == ["0,1,2,3,4,5,6,7"] * 2
        refused = flux(spec, box, "run", "-N2", "-g", "9", "true", check=False)
        assert refused.returncode != 0 and "unsatisfiable" in refused.stderr


def test_a_shared_gpu_is_one_gpu_to_flux(app: Path) -> None:
    spec = gpu_stack(machineType="a2-highgpu-1g", gpu={"sharingStrategy": "TIME_SHARING", "maxSharedClientsPerGpu": 2})
    with formed(spec, app) as box:
        assert flux(spec, box, "run", "-N2", "-g", "1", "printenv", "CUDA_VISIBLE_DEVICES").stdout.split() == ["0"] * 2
        refused = flux(spec, box, "run", "-N1", "-g", "2", "true", check=False)
        assert refused.returncode != 0 and "unsatisfiable" in refused.stderr


#: A stand-in for kubectl with the two requests the ssh shim makes: which pod is
#: the lead broker (by label), and ``exec -i`` into its container. It answers
#: only for the lead pod of the sandbox, and runs exec in that pod's namespaces.
STAND_IN_KUBECTL = """#!{python}
import json, os, sys
pod, namespace, container, selector, enter, calls = json.loads({facts!r})
words = sys.argv[1:]
with open(calls, "a") as log:
    log.write(json.dumps(words) + "\\n")
if words[:2] == ["get", "pod"]:
    if words[2:] == ["-n", namespace, "-l", selector, "-o", "name"]:
        print("pod/" + pod)
    else:
        print("No resources found in " + words[3] + " namespace.", file=sys.stderr)
    sys.exit(0)
if words[:6] == ["exec", "-i", "-n", namespace, "-c", container] and words[6:8] == ["pod/" + pod, "--"]:
    os.execvp(enter[0], enter + words[8:])
print("error: the stand-in kubectl does not know " + " ".join(words), file=sys.stderr)
sys.exit(1)
"""


def stand_in_kubectl(folder: Path, spec: ExperimentSpec, box: Sandbox) -> Path:
    mc = spec.mini_cluster
    lead = lead_broker(mc)
    facts = [f"{mc.name}-0-x7k2p", mc.namespace, lead.container, lead.selector, box.exec_argv(0, []), ""]
    facts[-1] = str(folder / "kubectl-calls")
    script = folder / "kubectl"
    script.write_text(STAND_IN_KUBECTL.format(python=sys.executable, facts=json.dumps(facts)))
    script.chmod(0o755)
    return script


def from_a_laptop(kubectl: Path, *words: str, uri: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run host flux-core's ``words`` with the ssh connector through the shim, as a laptop does."""
    assert PREFIX is not None
    shim = Path(sys.executable).parent / "flux-minicluster-ssh"
    assert shim.exists(), "the package's console scripts are installed next to this Python"
    environment = {"PATH": os.environ["PATH"], "HOME": str(kubectl.parent), "TMPDIR": str(kubectl.parent)}
    environment |= {"FLUX_SSH": str(shim), "KUBECTL": str(kubectl)}
    if uri is not None:
        environment["FLUX_URI"] = uri
    flux_bin = str(PREFIX / "bin" / "flux")
    return subprocess.run(
        [flux_bin, *words], env=environment, capture_output=True, text=True, timeout=120 * load_stretch(), check=False
    )


def test_a_laptop_submits_through_kubectl_with_the_exported_uri(app: Path, tmp_path: Path) -> None:
    spec = experiment(2, headlessName="ranks", containers=[{"image": "app", "name": "lmp"}])
    uri = lead_broker(spec.mini_cluster).flux_uri
    with formed(spec, app) as box:
        kubectl = stand_in_kubectl(tmp_path, spec, box)
        proxied = from_a_laptop(kubectl, "proxy", uri, "flux", "run", "-N2", "hostname")
        assert proxied.returncode == 0, proxied.stderr + box.logs()
        assert sorted(proxied.stdout.split()) == ["hpc-0", "hpc-1"]
        # Any flux command takes the URI too: an MPI job across every rank, then its record.
        mpi = from_a_laptop(kubectl, "run", "-N2", "-n2", "/opt/app/hello-mpich", uri=uri)
        assert sorted(mpi.stdout.splitlines()) == ["rank 0 of 2 on hpc-0 sum 1", "rank 1 of 2 on hpc-1 sum 1"], (
            mpi.stderr
        )
        jobs = from_a_laptop(kubectl, "jobs", "-a", "-no", "{status}", uri=uri)
        assert jobs.stdout.split() == ["COMPLETED", "COMPLETED"], jobs.stderr
    calls = [json.loads(line) for line in (tmp_path / "kubectl-calls").read_text().splitlines()]
    assert {call[0] for call in calls} == {"get", "exec"}, "only kubectl reached the instance"


def test_a_uri_naming_no_instance_fails_with_the_reason(app: Path, tmp_path: Path) -> None:
    spec = experiment(2)
    with formed(spec, app) as box:
        kubectl = stand_in_kubectl(tmp_path, spec, box)
        wrong = lead_broker(spec.mini_cluster).flux_uri.replace("@hpc.hpc/", "@hpc.elsewhere/")
        failed = from_a_laptop(kubectl, "jobs", uri=wrong)
        assert failed.returncode != 0
        assert "no lead broker of elsewhere/hpc" in failed.stderr


def test_the_launch_bench_runs_lammps_both_ways_across_every_broker() -> None:
    """bench/mpi_launch.py's two launches, once: flux run, and mpirun with an rsh agent into each pod."""
    assert PREFIX is not None
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import mpi_launch

    settings = argparse.Namespace(size=2, rounds=1, x=1, y=1, steps=20)
    results = mpi_launch.measure(settings, PREFIX)
    # Each way ran LAMMPS on 2 MPI processes (timed() refuses another count) and took time.
    assert {name: len(rows) for name, rows in results.items()} == {"flux run": 1, "mpirun": 1}
    assert all(wall > loop > 0 for rows in results.values() for wall, loop in rows)


def test_a_deadline_ends_the_instance_s_jobs_before_kubernetes_stops_its_pods(app: Path) -> None:
    # deadlineSeconds 40: the instance ends 20 s after the lead broker starts.
    spec = experiment(2, deadlineSeconds=40)
    with formed(spec, app) as box:
        too_long = flux(spec, box, "run", "-N2", "-t", "1h", "hostname", check=False)
        assert too_long.returncode != 0
        assert re.search(r"job duration \(1h\) exceeds remaining instance lifetime \(\d+(\.\d+)?s\)", too_long.stderr)
        fits = flux(spec, box, "run", "-N2", "-t", "2s", "hostname").stdout
        assert sorted(fits.split()) == ["hpc-0", "hpc-1"]
        # A job without a time limit runs until the instance's end, then ends with a timeout.
        job = flux(spec, box, "submit", "-N2", "sleep", "300").stdout.strip()
        ended = flux(spec, box, "job", "wait-event", "-t", "60", job, "clean", check=False)
        events = flux(spec, box, "job", "eventlog", job).stdout
        assert ended.returncode == 0, events
        assert re.search(r"exception type=\"timeout\" .*note=\"resource allocation expired\"", events), events

"""A formed instance on real Flux brokers through what a real cluster's day two does to pods.

Node repairs, upgrades, preemption and drains kill a broker's pod; the Job
then starts a new pod for the same rank: same hostname, the same scripts, a
fresh emptyDir. These tests do exactly that to the sandbox's pods
(``broker_sandbox.py``) and check what the instance and the Job would see:
the rank rejoins, the lead broker sees every rank, and jobs run on all of them.
"""

from __future__ import annotations

import os
import shlex
import signal
from pathlib import Path
from typing import Any

import pytest
from broker_sandbox import Sandbox, in_pod, load_stretch, real_brokers, sandbox_for, wait_until

from flux_minicluster import load_spec
from flux_minicluster.broker import fluxfacts
from flux_minicluster.endpoint import lead_broker
from flux_minicluster.kubernetes_objects import effective_broker_config
from flux_minicluster.spec import ExperimentSpec

PREFIX, pytestmark = real_brokers()
NAME = "day"


def experiment(size: int = 3, **mini_cluster: Any) -> ExperimentSpec:
    mc = {
        "name": NAME,
        "namespace": "day-two",
        "headlessName": "ranks",
        "size": size,
        "minSize": size,
        "containers": [{"image": "app"}],
        **mini_cluster,
    }
    return load_spec({"miniCluster": mc})


def sandbox(spec: ExperimentSpec) -> Sandbox:
    assert PREFIX is not None
    return sandbox_for(spec, PREFIX)


def form(box: Sandbox, size: int) -> None:
    for index in range(size):
        box.start(index)
    box.wait_ready(list(range(size)))


def flux(spec: ExperimentSpec, box: Sandbox, *words: str) -> str:
    """A flux command through the exported command, in rank 0's pod."""
    ran = box.exec(0, shlex.join([*in_pod(lead_broker(spec.mini_cluster).flux_command), *words]), timeout=60)
    assert ran.returncode == 0, ran.stderr + box.logs()
    return ran.stdout


def ranks_up(spec: ExperimentSpec, box: Sandbox) -> int:
    """How many ranks the lead broker's resource module counts as up."""
    return int(flux(spec, box, "resource", "list", "-s", "up", "-no", "{nnodes}").split()[0])


def assert_every_rank_serves(spec: ExperimentSpec, box: Sandbox) -> None:
    size = spec.mini_cluster.size
    # A rank's probe passes once its own broker runs; the lead learns it came
    # back a moment later (the online group), as a real instance's does.
    wait_until(lambda: ranks_up(spec, box) == size, 30)
    assert ranks_up(spec, box) == size, box.logs()
    hosts = flux(spec, box, "run", f"-N{size}", "hostname").split()
    assert sorted(hosts) == [f"{NAME}-{i}" for i in range(size)]


def exit_code(box: Sandbox, index: int, timeout: float) -> int | None:
    """How pod ``index``'s broker container ended, or None while it runs."""
    process = box.ranks[index].process
    wait_until(lambda: process.poll() is not None, timeout)
    return process.poll()


def test_a_lost_follower_comes_back_as_the_same_rank() -> None:
    spec = experiment()
    with sandbox(spec) as box:
        form(box, 3)
        box.kill(2)  # its processes and its emptyDir, as a node loss does
        box.start(2)  # the Job's replacement pod: same index, fresh volumes
        box.wait_ready([0, 1, 2])
        assert_every_rank_serves(spec, box)


def test_two_followers_lost_at_once_come_back() -> None:
    spec = experiment(size=4)
    with sandbox(spec) as box:
        form(box, 4)
        box.kill(1)
        box.kill(3)
        box.start(3)
        box.start(1)
        box.wait_ready([0, 1, 2, 3])
        assert_every_rank_serves(spec, box)


def test_losing_the_lead_broker_restarts_the_instance() -> None:
    spec = experiment()
    with sandbox(spec) as box:
        form(box, 3)
        box.kill(0)
        box.start(0)
        # The new lead broker turns the old ranks away; each ends with a
        # failure, which the Job counts against the rank's retries and starts again.
        for index in (1, 2):
            code = exit_code(box, index, 120)
            assert code not in (None, 0, fluxfacts.BROKER_ENDED_EXIT_CODE), (code, box.logs())
            box.kill(index)
            box.start(index)
        box.wait_ready([0, 1, 2])
        assert_every_rank_serves(spec, box)


def test_a_stopped_follower_leaves_at_once_and_asks_to_be_started_again() -> None:
    spec = experiment()
    with sandbox(spec) as box:
        form(box, 3)
        # What the kubelet does to a pod it stops (drain, preemption): SIGTERM to the entrypoint.
        os.kill(box.ranks[2].process.pid, signal.SIGTERM)
        # Within the default grace period of 30 s, and not counted as done.
        assert exit_code(box, 2, 20) == fluxfacts.BROKER_ENDED_EXIT_CODE, box.logs()
        assert box.ready(0) and box.ready(1)
        box.kill(2)
        box.start(2)
        box.wait_ready([0, 1, 2])
        assert_every_rank_serves(spec, box)


def test_a_stopped_lead_broker_ends_every_rank_to_be_started_again() -> None:
    spec = experiment()
    with sandbox(spec) as box:
        form(box, 3)
        os.kill(box.ranks[0].process.pid, signal.SIGTERM)
        # The instance shuts down cleanly; no rank counts as done.
        assert [exit_code(box, i, 30) for i in range(3)] == [fluxfacts.BROKER_ENDED_EXIT_CODE] * 3, box.logs()
        for index in range(3):
            box.kill(index)
        form(box, 3)
        assert_every_rank_serves(spec, box)


def test_a_command_keeps_its_exit_codes() -> None:
    spec = experiment(size=2, containers=[{"image": "app", "command": "sh -c 'exit 3'"}])
    with sandbox(spec) as box:
        box.start(0)
        box.start(1)
        assert exit_code(box, 0, 120) == 3, box.logs()
        assert exit_code(box, 1, 60) == 0, box.logs()


def test_the_view_is_linked_into_an_images_own_software_tree(tmp_path: Path) -> None:
    spec = experiment(size=2)
    with sandbox(spec) as box:
        # A package of the view image's software tree, and one of the application image's.
        flux_package = box.root / "view-image" / "opt" / "software" / "linux-x86_64" / "flux-core-0.88"
        flux_package.mkdir(parents=True)
        (flux_package / "marker").write_text("flux\n")
        app = tmp_path / "image"
        (app / "opt" / "software" / "linux-x86_64" / "lammps-2024").mkdir(parents=True)
        (app / "opt" / "software" / "linux-x86_64" / "lammps-2024" / "marker").write_text("app\n")
        for index in range(2):
            box.start(index, image=app if index == 0 else None)
        box.wait_ready([0, 1])
        merged = box.exec(0, "cat /opt/software/linux-x86_64/*/marker")
        assert sorted(merged.stdout.split()) == ["app", "flux"], merged
        # Linked, not copied: the view's package is a link beside the image's own.
        assert box.exec(0, "test -L /opt/software/linux-x86_64/flux-core-0.88").returncode == 0
        assert not (app / "opt" / "software" / "linux-x86_64" / "lammps-2024").is_symlink()
        # Where the image has no software tree, the whole tree is one link.
        assert box.exec(1, "test -L /opt/software && cat /opt/software/linux-x86_64/*/marker").stdout == "flux\n"


def test_an_image_that_runs_as_another_user_forms_the_instance() -> None:
    spec = experiment(size=2, pod={"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 2000})
    with sandbox(spec) as box:
        form(box, 2)
        whoami = flux(spec, box, "run", "-N2", "id", "-u").split()
        assert whoami == ["1000", "1000"]
        # The broker's copy of the key is its own, and no one else's.
        copy = box.exec(1, f"stat -c '%u %a' {fluxfacts.CERT_PATH}")
        assert copy.stdout.split() == ["1000", "600"], copy
        assert wait_until(lambda: box.ready(1), 5 * load_stretch())


@pytest.mark.parametrize(("copy", "copied"), [("runtime", ["bin/tool", "lib/libtool.so"]), ("all", None)])
def test_the_init_container_copies_what_a_broker_reads_of_the_view(copy: str, copied: list[str] | None) -> None:
    spec = experiment(size=2, flux={"viewCopy": copy})
    with sandbox(spec) as box:
        # A package of the view image's software tree, with what only a build would read.
        package = box.root / "view-image" / "opt" / "software" / "linux-x86_64" / "tool-1.0"
        files = ["bin/tool", "include/tool.h", "lib/libtool.a", "lib/libtool.so", "share/man/man1/tool.1"]
        for name in files:
            (package / name).parent.mkdir(parents=True, exist_ok=True)
            (package / name).write_text(name)
        form(box, 2)
        listing = box.exec(1, "cd /opt/software/linux-x86_64/tool-1.0 && find . -type f | sort").stdout
        assert [line.removeprefix("./") for line in listing.split()] == (copied or files)
        assert sorted(flux(spec, box, "run", "-N2", "hostname").split()) == [f"{NAME}-0", f"{NAME}-1"]


@pytest.mark.parametrize("pod", [{}, {"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 2000}])
def test_the_view_image_mounted_as_a_volume_forms_the_instance_with_nothing_copied(pod: dict[str, Any]) -> None:
    spec = experiment(size=2, flux={"viewImageVolume": True}, pod=pod)
    with sandbox(spec) as box:
        assert "initContainers" not in box.pod
        form(box, 2)
        hosts = flux(spec, box, "run", "-N2", "hostname").split()
        assert sorted(hosts) == [f"{NAME}-0", f"{NAME}-1"]
        for index in range(2):
            # The view's files resolve through /opt/software to the image volume, read-only.
            flux_path = box.exec(index, '. /mnt/flux/flux-view.sh && readlink -f "$(command -v flux)"').stdout
            assert flux_path.strip() == str(box.flux_core / "bin" / "flux")
            assert box.exec(index, "ls /mnt/flux").stdout.split() == ["config", "flux-view.sh"]
            assert box.exec(index, "touch /mnt/flux-view-image/opt/x").returncode != 0


def test_brokers_find_each_other_whatever_the_clusters_dns_domain() -> None:
    assert PREFIX is not None
    for domain in ("cluster.local", "hpc.example.org"):
        spec = experiment(size=2)
        # Names resolve only as a cluster resolves them: a DNS server, and each pod's search path.
        with sandbox_for(spec, PREFIX, cluster_domain=domain) as box:
            form(box, 2)
            assert_every_rank_serves(spec, box)


def test_a_broker_config_naming_another_clusters_domain_never_forms() -> None:
    """What the search path spares: the generated config with the domain written in."""
    assert PREFIX is not None
    generated = effective_broker_config(experiment(size=2).mini_cluster)
    config = generated.replace("tcp://%h.ranks:%p", "tcp://%h.ranks.day-two.svc.cluster.local:%p")
    assert config != generated
    spec = experiment(size=2, minSize=1, flux={"brokerConfig": config})
    with sandbox_for(spec, PREFIX, cluster_domain="hpc.example.org") as box:
        box.start(0)
        box.start(1)
        box.wait_ready([0])
        assert not wait_until(lambda: box.ready(1), 15)
        assert "unable to resolve upstream peer day-0.ranks.day-two.svc.cluster.local" in box.log(1)

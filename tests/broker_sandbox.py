"""Run a native MiniCluster's generated scripts, unmodified, on real Flux brokers.

Each rank is a pod stand-in: its own UTS namespace (hostname ``NAME-i``) and
mount namespace, in which

- ``/mnt/flux`` is the rank's own empty directory (the pod's emptyDir),
- ``/flux_minicluster/config`` and ``/flux_minicluster/curve`` hold the
  ConfigMap and the Secret laid out as the kubelet mounts them (each key a
  symlink into a ``..data`` directory; the Secret's file with the volume's
  mode),
- ``/opt`` is the rank's own directory; for the init container it holds a
  view image's layout (``/opt/views/._view/<hash>``) that points at a local
  flux-core install.

All ranks share one network namespace made for the sandbox, where ``eth0``
has an address from TEST-NET-1 and the pods' cluster DNS names resolve to it
(``/etc/netns/<ns>/hosts``). No traffic leaves that namespace. Every wait is
bounded, and ``close`` kills every process group it started, by pid.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flux_minicluster.broker import fluxfacts
from flux_minicluster.broker.certificate import certificate_text
from flux_minicluster.kubernetes_objects import CONFIG, kubernetes_objects
from flux_minicluster.spec import ExperimentSpec

#: Where the tests look for flux-core, built by tools/flux-core.sh.
DEFAULT_FLUX_CORE = Path.home() / ".cache" / "flux-minicluster" / "flux-core-0.88.0"
SANDBOX_ADDRESS = "192.0.2.1"  # TEST-NET-1, only inside the sandbox's namespace
MOUNT_POINTS = ("/mnt/flux", "/flux_minicluster/config", "/flux_minicluster/curve")


def flux_core_prefix() -> tuple[Path | None, str]:
    """The flux-core install to use, or None and why not."""
    configured = os.environ.get("FLUX_CORE_PREFIX")
    prefix = Path(configured) if configured else DEFAULT_FLUX_CORE
    if configured == "":
        return None, "tools/flux-core.sh could not build flux-core here (see its message)"
    if os.geteuid() != 0:
        return None, "needs root for network, UTS and mount namespaces"
    for tool in ("ip", "unshare", "nsenter", "mount"):
        if shutil.which(tool) is None:
            return None, f"needs {tool} (iproute2, util-linux)"
    if not (prefix / "bin" / "flux").exists():
        return None, f"no flux-core at {prefix}; build it with tools/flux-core.sh and set FLUX_CORE_PREFIX"
    return prefix, ""


def lay_out_volume(root: Path, files: Mapping[str, str], mode: int) -> None:
    """Write ``files`` as the kubelet writes a ConfigMap or Secret volume."""
    data = root / "..2026_01_01_00_00_00.000000000"
    data.mkdir(parents=True)
    for key, text in files.items():
        path = data / key
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)
    (root / "..data").symlink_to(data.name)
    for key in files:
        (root / key).symlink_to(f"..data/{key}")


@dataclass
class Rank:
    index: int
    hostname: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Sandbox:
    """One MiniCluster's pods as processes; use as a context manager."""

    name: str
    service_domain: str
    max_size: int
    config_map: Mapping[str, str]
    secret: Mapping[str, str]
    secret_mode: int
    flux_core: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="flux-sandbox-")))
    ranks: dict[int, Rank] = field(default_factory=dict)
    netns: str = field(default_factory=lambda: f"fluxmc{os.getpid()}x{time.monotonic_ns() % 100000}")
    _created_mount_points: list[Path] = field(default_factory=list)

    def __enter__(self) -> Sandbox:
        try:
            self._network()
            self._volumes()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _network(self) -> None:
        ns = self.netns
        _run(["ip", "netns", "add", ns])
        _run(["ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"])
        _run(["ip", "-n", ns, "addr", "add", f"{SANDBOX_ADDRESS}/24", "dev", "eth0"])
        for link in ("lo", "eth0", "eth1"):
            _run(["ip", "-n", ns, "link", "set", link, "up"])
        hosts = ["127.0.0.1 localhost"]
        hosts += [f"{SANDBOX_ADDRESS} {self.name}-{i}.{self.service_domain}" for i in range(self.max_size)]
        etc = Path("/etc/netns") / ns
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "hosts").write_text("\n".join(hosts) + "\n", encoding="utf-8")

    def _volumes(self) -> None:
        for point in MOUNT_POINTS:
            path = Path(point)
            if not path.exists():
                path.mkdir(parents=True)
                self._created_mount_points.append(path)
        lay_out_volume(self.root / "config", self.config_map, 0o644)
        self.replace_secret(self.secret)
        # A view image's layout whose entries point at the local flux-core.
        view = self.root / "view-image" / "views" / "._view" / "emulated"
        view.mkdir(parents=True)
        for entry in sorted(self.flux_core.iterdir()):
            (view / entry.name).symlink_to(entry)
        (self.root / "view-image" / "software").mkdir()

    def replace_secret(self, secret: Mapping[str, str], directory: str = "curve") -> Path:
        target = self.root / directory
        if target.exists():
            shutil.rmtree(target)
        lay_out_volume(target, secret, self.secret_mode)
        return target

    def _binds(self, index: int, opt: Path, curve: str) -> str:
        pod = self.root / f"pod-{index}"
        binds = {
            "/mnt/flux": pod / "flux",
            "/flux_minicluster/config": self.root / "config",
            "/flux_minicluster/curve": self.root / curve,
            "/opt": opt,
        }
        for source in binds.values():
            source.mkdir(parents=True, exist_ok=True)
        return " && ".join(f"mount --bind {shlex.quote(str(src))} {dst}" for dst, src in binds.items())

    def start(self, index: int, *, curve: str = "curve") -> Rank:
        """Start pod ``index``: its init container, then its broker container."""
        hostname = f"{self.name}-{index}"
        log = self.root / f"rank-{index}.log"
        init = (
            f"hostname {hostname} && {self._binds(index, self.root / 'view-image', curve)} && "
            "/bin/sh /flux_minicluster/config/init.sh"
        )
        main = (
            f"hostname {hostname} && {self._binds(index, self.root / f'pod-{index}' / 'opt', curve)} && "
            "exec /bin/sh /flux_minicluster/config/entrypoint.sh"
        )
        script = f"{self._in_pod(init)} && exec {self._in_pod(main)}"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                ["/bin/sh", "-c", script], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        rank = Rank(index, hostname, process, log)
        self.ranks[index] = rank
        return rank

    def _in_pod(self, command: str) -> str:
        return (
            f"ip netns exec {self.netns} unshare --uts --mount --propagation private /bin/sh -c {shlex.quote(command)}"
        )

    def exec(self, index: int, command: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in pod ``index`` (its namespaces), like ``kubectl exec``."""
        pid = self._broker_shell_pid(index)
        return subprocess.run(
            ["nsenter", f"--target={pid}", "--uts", "--mount", "--net", "/bin/sh", "-c", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ready(self, index: int) -> bool:
        """The pod's readiness probe, as the kubelet runs it."""
        return self.exec(index, "/bin/sh /flux_minicluster/config/ready.sh", timeout=15).returncode == 0

    def _broker_shell_pid(self, index: int) -> int:
        """The process running the entrypoint (in the pod's namespaces)."""
        rank = self.ranks[index]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = subprocess.run(
                ["pgrep", "-s", str(rank.process.pid), "-f", "/flux_minicluster/config/entrypoint.sh"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.split()
            if found:
                return int(found[0])
            if rank.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"pod {index} has no running entrypoint:\n{self.log(index)}")

    def log(self, index: int) -> str:
        return self.ranks[index].log.read_text(errors="replace")

    def close(self) -> None:
        for rank in self.ranks.values():
            _kill_group(rank.process)
        subprocess.run(["ip", "netns", "delete", self.netns], capture_output=True, check=False)
        shutil.rmtree(Path("/etc/netns") / self.netns, ignore_errors=True)
        for path in reversed(self._created_mount_points):
            try:
                path.rmdir()
                if path.parent != Path("/") and not any(path.parent.iterdir()):
                    path.parent.rmdir()
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def sandbox_for(spec: ExperimentSpec, flux_core: Path, certificate: str | None = None) -> Sandbox:
    """The sandbox of one native MiniCluster: its ConfigMap as the builders
    render it, and its certificate (a fresh one unless given)."""
    mc = spec.mini_cluster
    certificate = certificate or certificate_text(os.urandom(32), fluxfacts.broker_hostname(mc.name, 0))
    (config,) = [o.body for o in kubernetes_objects(spec, certificate) if o.role == CONFIG]
    assert mc.max_size is not None and mc.headless_name is not None
    return Sandbox(
        name=mc.name,
        service_domain=fluxfacts.service_domain(mc.headless_name, mc.namespace),
        max_size=mc.max_size,
        config_map=config["data"],
        secret={fluxfacts.CERT_SECRET_KEY: certificate},
        secret_mode=fluxfacts.CERT_FILE_MODE,
        flux_core=flux_core,
    )


def in_pod(kubectl_exec: str) -> list[str]:
    """What a ``kubectl exec ... -- COMMAND`` runs in the pod: COMMAND's words."""
    words = shlex.split(kubectl_exec)
    return words[words.index("--") + 1 :]


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    # Whatever the session left behind (brokers started by the entrypoint).
    subprocess.run(["pkill", "-KILL", "-s", str(process.pid)], capture_output=True, check=False)


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True)

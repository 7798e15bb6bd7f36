"""Run a native MiniCluster's generated scripts, unmodified, on real Flux brokers.

Each container of a pod is a process tree in its own UTS namespace (hostname
``NAME-i``) and mount namespace, whose root is built inside that namespace
alone, as a container's is:

- a tmpfs, with the host's system folders (``/usr``, ``/etc`` ...) bound in
  read-only, and the flux-core build at its own path;
- ``/mnt/flux``, ``/tmp`` and ``/opt``: the pod's own folders (its emptyDir,
  and the image's writable layer);
- ``/flux_minicluster/config`` and ``/flux_minicluster/curve``: the ConfigMap
  and the Secret laid out as the kubelet mounts them (each key a symlink into
  a ``..data`` directory; the Secret's file with the volume's mode);
- ``/etc/hosts`` and ``/etc/resolv.conf``: the sandbox's own, where the pods'
  cluster DNS names resolve.

For the init container, ``/opt`` holds a view image's layout
(``/opt/views/._view/<hash>``) that points at the flux-core build.

All pods share one network namespace that the sandbox creates without a name
(it lives as long as a holder process), where ``eth0`` has an address from
TEST-NET-1; no traffic leaves it. Nothing is written outside the sandbox's
temporary folder: no mount point, ``/etc/netns`` or ``/run/netns`` entry on
the host, so any number of sandboxes, of the same MiniCluster or not, run side
by side. Every wait is bounded (and stretched while the machine is loaded),
and ``close`` kills every process group it started, by pid.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flux_minicluster.broker import fluxfacts
from flux_minicluster.broker.certificate import certificate_text
from flux_minicluster.kubernetes_objects import CONFIG, JOB, kubernetes_objects
from flux_minicluster.spec import ExperimentSpec

#: Where the tests look for flux-core, built by tools/flux-core.sh.
DEFAULT_FLUX_CORE = Path.home() / ".cache" / "flux-minicluster" / "flux-core-0.88.0"
SANDBOX_ADDRESS = "192.0.2.1"  # TEST-NET-1, only inside the sandbox's namespace
#: What a container runtime gives a process: a plain PATH and HOME, nothing of the test's own environment.
POD_ENVIRONMENT = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
#: Host folders a pod sees as they are (kernel interfaces), and folders it gets of its own.
_KERNEL = ("proc", "sys", "dev")
_POD_OWN = ("mnt", "opt", "tmp", "root", "flux_minicluster", "lost+found")
_SYSTEM = ("usr", "etc", "var", "run", "bin", "sbin", "lib", "lib64")
#: How far waits stretch on a loaded machine, at most.
_MAX_STRETCH = 4.0


def flux_core_prefix() -> tuple[Path | None, str]:
    """The flux-core install to use, or None and why not."""
    configured = os.environ.get("FLUX_CORE_PREFIX")
    prefix = Path(configured) if configured else DEFAULT_FLUX_CORE
    if configured == "":
        return None, "tools/flux-core.sh could not build flux-core here (see its message)"
    if os.geteuid() != 0:
        return None, "needs root for network, UTS and mount namespaces"
    for tool in ("ip", "unshare", "nsenter", "mount", "chroot", "dnsmasq"):
        if shutil.which(tool) is None:
            return None, f"needs {tool} (iproute2, util-linux, coreutils, dnsmasq-base)"
    if not (prefix / "bin" / "flux").exists():
        return None, f"no flux-core at {prefix}; build it with tools/flux-core.sh and set FLUX_CORE_PREFIX"
    return prefix, ""


#: Asks 127.0.0.1:53 for one A record (RFC 1035 message); exits 0 when it gets an answer.
_DNS_PROBE = """
import socket, struct, sys
name = sys.argv[1]
query = struct.pack("!HHHHHH", 0x5353, 0x0100, 1, 0, 0, 0)
query += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\\0" + struct.pack("!HH", 1, 1)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(1)
sock.sendto(query, ("127.0.0.1", 53))
answer = sock.recv(512)
sys.exit(0 if struct.unpack("!H", answer[6:8])[0] > 0 else 1)
"""


def real_brokers() -> tuple[Path | None, Any]:
    """The flux-core build and the mark that skips a test module without one.

    Under CI a missing build is an error, not a skip: a skipped test on real
    brokers proves nothing.
    """
    import pytest

    prefix, why = flux_core_prefix()
    if prefix is None and os.environ.get("CI") == "true":
        raise RuntimeError(f"CI must run the tests on real brokers: {why}")
    return prefix, pytest.mark.skipif(prefix is None, reason=why)


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


def load_stretch() -> float:
    """How much slower than idle this machine is now: the run queue per core, at least 1."""
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    return min(max(1.0, load), _MAX_STRETCH)


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass, ``timeout``
    being what an idle machine needs: the wait stretches while the machine is
    loaded, up to a bound."""
    started = time.monotonic()
    while time.monotonic() - started < timeout * load_stretch():
        if condition():
            return True
        time.sleep(interval)
    return condition()


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
    headless: str
    namespace: str
    max_size: int
    config_map: Mapping[str, str]
    secret: Mapping[str, str]
    #: The pod template's spec, as the Job carries it: containers, mounts, security context.
    pod: Mapping[str, Any]
    flux_core: Path
    #: A cluster DNS domain: names resolve as in a cluster, through a resolver
    #: and each pod's DNS search path, and nowhere else. None: from /etc/hosts.
    cluster_domain: str | None = None
    #: Host folders every broker container sees read-only, by path (an application's files).
    mounts: Mapping[str, Path] = field(default_factory=dict)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="flux-sandbox-")))
    ranks: dict[int, Rank] = field(default_factory=dict)
    _network: subprocess.Popen[bytes] | None = None
    _resolver: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Sandbox:
        try:
            self._make_network()
            self._volumes()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def netns(self) -> str:
        """The network namespace of every pod, as a path nsenter takes."""
        assert self._network is not None
        return f"/proc/{self._network.pid}/ns/net"

    def _make_network(self) -> None:
        # A namespace with no name: it lives while its holder sleeps.
        self._network = subprocess.Popen(
            ["unshare", "--net", "--", "sleep", "infinity"], start_new_session=True, stdin=subprocess.DEVNULL
        )
        own = os.stat("/proc/self/ns/net").st_ino
        if not wait_until(lambda: os.stat(self.netns).st_ino != own, 10):
            raise RuntimeError("the sandbox's network namespace did not come up")
        for command in (
            "ip link add eth0 type veth peer name eth1",
            f"ip addr add {SANDBOX_ADDRESS}/24 dev eth0",
            "ip link set lo up",
            "ip link set eth0 up",
            "ip link set eth1 up",
        ):
            _run(["nsenter", f"--net={self.netns}", *command.split()])
        hosts = ["127.0.0.1 localhost"]
        if self.cluster_domain is None:
            domain = fluxfacts.service_domain(self.headless, self.namespace)
            for i in range(self.max_size):
                # The pod's own name in full, and as the search path completes it.
                hosts.append(f"{SANDBOX_ADDRESS} {self.name}-{i}.{domain} {self.name}-{i}.{self.headless}")
            # No resolver answers inside the namespace: every name is in hosts.
            resolv = "nameserver 127.0.0.1\n"
        else:
            self._start_resolver(self.cluster_domain)
            # What the kubelet writes for a pod with the ClusterFirst DNS policy.
            search = f"{self.namespace}.svc.{self.cluster_domain} svc.{self.cluster_domain} {self.cluster_domain}"
            resolv = f"nameserver 127.0.0.1\nsearch {search}\noptions ndots:5\n"
        (self.root / "hosts").write_text("\n".join(hosts) + "\n", encoding="utf-8")
        (self.root / "resolv.conf").write_text(resolv, encoding="utf-8")

    def _start_resolver(self, cluster_domain: str) -> None:
        """A DNS server inside the namespace answering for the pods only by their full names."""
        domain = fluxfacts.service_domain(self.headless, self.namespace, cluster_domain)
        records = self.root / "cluster-dns"
        records.write_text(
            "".join(f"{SANDBOX_ADDRESS} {self.name}-{i}.{domain}\n" for i in range(self.max_size)), encoding="utf-8"
        )
        self._resolver = subprocess.Popen(
            [
                "nsenter",
                f"--net={self.netns}",
                "dnsmasq",
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                f"--addn-hosts={records}",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--user=root",
                f"--pid-file={self.root / 'dnsmasq.pid'}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        probe = ["nsenter", f"--net={self.netns}", sys.executable, "-c", _DNS_PROBE, f"{self.name}-0.{domain}"]
        if not wait_until(lambda: subprocess.run(probe, capture_output=True, check=False).returncode == 0, 10):
            raise RuntimeError("the sandbox's DNS server did not answer")

    def _volumes(self) -> None:
        lay_out_volume(self.root / "config", self.config_map, 0o644)
        self.replace_secret(self.secret)
        # A view image's layout: the view's entries link into /opt/software,
        # where the package (here the local flux-core build) is installed.
        opt = self.root / "view-image" / "opt"
        package = Path("linux-x86_64") / "flux-core-0.88.0-emulated"
        (opt / "software" / package).parent.mkdir(parents=True)
        (opt / "software" / package).symlink_to(self.flux_core)
        view = opt / "views" / "._view" / "emulated"
        view.mkdir(parents=True)
        for entry in sorted(self.flux_core.iterdir()):
            (view / entry.name).symlink_to(Path("/opt/software") / package / entry.name)

    @property
    def _security(self) -> Mapping[str, int]:
        security: Mapping[str, int] = self.pod.get("securityContext", {})
        return security

    def _user(self) -> tuple[int | None, int | None, int | None]:
        """The pod's user, group and supplementary group (its fsGroup), if it sets a user."""
        security = self._security
        if "runAsUser" not in security:
            return None, None, None
        group = security["runAsGroup"]
        return security["runAsUser"], group, security.get("fsGroup", group)

    def _cpu(self, index: int) -> int:
        """The CPU pod ``index`` runs on: each pod its own, as each broker has its own
        node's (pods share them only when there are more pods than CPUs)."""
        allowed = sorted(os.sched_getaffinity(0))
        return allowed[index % len(allowed)]

    def _environment(self) -> dict[str, str]:
        """A container's environment: a user without an entry in the image's
        /etc/passwd gets HOME=/, as container runtimes give it."""
        if self._user()[0] is None:
            return dict(POD_ENVIRONMENT)
        return {**POD_ENVIRONMENT, "HOME": "/"}

    def replace_secret(self, secret: Mapping[str, str], directory: str = "curve") -> Path:
        """Lay out the certificate Secret's volume as the kubelet does: its mode, and
        under an fsGroup the group's, which can then read it too."""
        (volume,) = [v for v in self.pod["volumes"] if "secret" in v]
        mode = volume["secret"]["defaultMode"]
        target = self.root / directory
        if target.exists():
            shutil.rmtree(target)
        group = self._security.get("fsGroup")
        lay_out_volume(target, secret, mode if group is None else mode | 0o040)
        if group is not None:
            for path in target.rglob("*"):
                os.chown(path, 0, group, follow_symlinks=False)
        return target

    def _volume_source(self, index: int, name: str, curve: str) -> Path:
        """The host folder behind pod ``index``'s volume ``name``."""
        (volume,) = [v for v in self.pod["volumes"] if v["name"] == name]
        if name == fluxfacts.NATIVE_CONFIG_VOLUME:
            return self.root / "config"
        if name == fluxfacts.CERT_VOLUME_NAME:
            return self.root / curve
        if "image" in volume:
            # An image volume of the view image: its files as the image has them.
            return self.root / "view-image"
        if "persistentVolumeClaim" in volume:
            # A claim every pod mounts (ReadWriteMany): one folder for all.
            folder = self.root / f"claim-{volume['persistentVolumeClaim']['claimName']}"
            folder.mkdir(exist_ok=True)
            return folder
        if "configMap" in volume or "secret" in volume:
            # A user's ConfigMap or Secret: empty here.
            folder = self.root / f"pod-{index}" / f"volume-{name}"
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        if "emptyDir" in volume:
            folder = self.root / f"pod-{index}" / f"volume-{name}"
            if not folder.exists():
                folder.mkdir(parents=True)
                # The kubelet makes an emptyDir writable by everyone, or by the fsGroup.
                group = self._security.get("fsGroup")
                folder.chmod(0o777 if group is None else 0o2775)
                if group is not None:
                    os.chown(folder, 0, group)
            return folder
        raise ValueError(f"the sandbox has no stand-in for volume {name!r}: {volume}")

    def _container_root(
        self, index: int, container: Mapping[str, Any], image: Path, curve: str, mounts: Mapping[str, Path]
    ) -> str:
        """Shell lines that build a container's root inside its own mount namespace:
        the host's system folders, the image's own (``image``: its /opt), and the
        container's volume mounts as the pod spec lists them."""
        pod = self.root / f"pod-{index}"
        top = pod / f"{container['name']}-root"
        tmp = pod / f"{container['name']}-tmp"
        for folder in (top, tmp, image / "opt"):
            folder.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o1777)
        q = shlex.quote
        lines = [f"mount -t tmpfs -o mode=0755 pod-root {q(str(top))}"]
        # The flux-core build is bound in at its own path, in a folder of the
        # container's own (a home folder may be closed to other users).
        prefix_top = self.flux_core.parts[1]
        own = {*_POD_OWN} if prefix_top in _SYSTEM else {*_POD_OWN, prefix_top}
        for entry in sorted(Path("/").iterdir()):
            inside = q(str(top / entry.name))
            if entry.is_symlink():
                lines.append(f"ln -s {q(os.readlink(entry))} {inside}")
            elif not entry.is_dir():
                continue
            elif entry.name in _KERNEL:
                lines.append(f"mkdir {inside} && mount --rbind {q(str(entry))} {inside}")
            elif entry.name in own:
                lines.append(f"mkdir {inside}")
            else:
                lines.append(f"mkdir {inside} && mount --rbind {q(str(entry))} {inside}")
                lines.append(f"mount -o remount,bind,ro {inside}")
        binds: list[tuple[str, Path, bool]] = [
            ("/tmp", tmp, False),
            ("/opt", image / "opt", False),
            ("/etc/hosts", self.root / "hosts", True),
            ("/etc/resolv.conf", self.root / "resolv.conf", True),
        ]
        if prefix_top in own:
            binds.append((str(self.flux_core), self.flux_core, True))
        sub_paths: set[Path] = set()
        for mount in container.get("volumeMounts", []):
            source = self._volume_source(index, mount["name"], curve)
            if "subPath" in mount:
                # Made when the container starts, after the init containers
                # (which may make it first, as their own user), as the kubelet does.
                source = source / mount["subPath"]
                sub_paths.add(source)
            binds.append((mount["mountPath"], source, bool(mount.get("readOnly"))))
        binds += [(target, source, True) for target, source in sorted(mounts.items())]
        for target, source, read_only in binds:
            inside = q(str(top / target.lstrip("/")))
            if source in sub_paths:
                lines.append(f"mkdir -p {q(str(source))} {inside}")
            elif source.is_dir():
                lines.append(f"mkdir -p {inside}")
            lines.append(f"mount --bind {q(str(source))} {inside}")
            if read_only:
                lines.append(f"mount -o remount,bind,ro {inside}")
        return "set -e\n" + "\n".join(lines) + "\n"

    def _in_container(
        self,
        index: int,
        container: Mapping[str, Any],
        image: Path,
        curve: str,
        mounts: Mapping[str, Path] | None = None,
    ) -> str:
        """A host shell line that runs ``container`` of pod ``index``: its command,
        as its user (the pod's security context), in its root."""
        top = self.root / f"pod-{index}" / f"{container['name']}-root"
        environment = " ".join(f"{k}={shlex.quote(v)}" for k, v in self._environment().items())
        user = ""
        uid, gid, groups = self._user()
        if uid is not None:
            user = f"--userspec={uid}:{gid} --groups={groups} "
        command = shlex.join(container["command"])
        inside = (
            self._container_root(index, container, image, curve, mounts or {})
            + f"hostname {self.name}-{index}\n"
            + f"exec taskset -c {self._cpu(index)} chroot {user}{shlex.quote(str(top))} /usr/bin/env -i {environment} "
            + f"/bin/sh -c {shlex.quote('cd / && exec ' + command)}\n"
        )
        return (
            f"nsenter --net={self.netns} unshare --uts --mount --propagation private /bin/sh -c {shlex.quote(inside)}"
        )

    def start(
        self, index: int, *, curve: str = "curve", image: Path | None = None, mounts: Mapping[str, Path] | None = None
    ) -> Rank:
        """Start pod ``index``: its init container, then its broker container.

        ``image``: a folder standing for the application image's own files
        (its ``opt``), fresh for the pod by default. ``mounts``: host folders
        the broker container sees read-only, by path (an application's files).
        """
        hostname = f"{self.name}-{index}"
        log = self.root / f"rank-{index}.log"
        (main_container,) = [c for c in self.pod["containers"] if _runs_flux(c)]
        main = self._in_container(
            index, main_container, image or self.root / f"pod-{index}" / "image", curve, mounts or self.mounts
        )
        inits = [
            self._in_container(index, c, self.root / "view-image", curve) for c in self.pod.get("initContainers", [])
        ]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                ["/bin/sh", "-c", " && ".join([*inits, f"exec {main}"])],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        rank = Rank(index, hostname, process, log)
        self.ranks[index] = rank
        return rank

    def exec(self, index: int, command: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in pod ``index``'s broker container, like ``kubectl exec``.

        A command still running after ``timeout`` seconds (stretched on a loaded
        machine) is killed and reported as failed, with exit status 124."""
        argv = self.exec_argv(index, ["/bin/sh", "-c", command])
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=timeout * load_stretch(), check=False)
        except subprocess.TimeoutExpired as late:
            return subprocess.CompletedProcess(argv, 124, _text(late.stdout), _text(late.stderr))

    def exec_argv(self, index: int, words: list[str]) -> list[str]:
        """The host command that runs ``words`` in pod ``index``'s broker container:
        its namespaces, root, CPU, user and environment, as ``kubectl exec`` does."""
        pid = self._broker_shell_pid(index)
        environment = [f"{k}={v}" for k, v in self._environment().items()]
        argv = ["nsenter", f"--target={pid}", "--uts", "--mount", "--net", "--root", "--wd"]
        argv += ["taskset", "-c", str(self._cpu(index))]
        user, group, groups = self._user()
        if user is not None:
            argv += ["setpriv", f"--reuid={user}", f"--regid={group}", f"--groups={groups}"]
        return [*argv, "/usr/bin/env", "-i", *environment, *words]

    def ready(self, index: int) -> bool:
        """The pod's readiness probe, as the kubelet runs it (a probe past its timeout fails)."""
        script = f"{fluxfacts.NATIVE_CONFIG_MOUNT}/{fluxfacts.READY_SCRIPT_KEY}"
        return self.exec(index, f"/bin/sh {script}", timeout=10).returncode == 0

    def wait_ready(self, indexes: list[int], timeout: float = 60) -> None:
        """Wait until every rank of ``indexes`` passes its probe; fail with every rank's log."""
        if not wait_until(lambda: all(self.ready(i) for i in indexes), timeout):
            not_ready = [i for i in indexes if not self.ready(i)]
            raise AssertionError(f"ranks {not_ready} not ready within {timeout} s (stretched by load)\n{self.logs()}")

    def _broker_shell_pid(self, index: int) -> int:
        """The process running the entrypoint (in the pod's namespaces and root)."""
        rank = self.ranks[index]
        entrypoint = f"{fluxfacts.NATIVE_CONFIG_MOUNT}/{fluxfacts.ENTRYPOINT_KEY}"
        deadline = time.monotonic() + 30 * load_stretch()
        while time.monotonic() < deadline:
            found = subprocess.run(
                ["pgrep", "-s", str(rank.process.pid), "-f", f"^/bin/sh {entrypoint}"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.split()
            if found:
                return int(found[0])
            if rank.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"pod {index} has no running entrypoint:\n{self.logs()}")

    def log(self, index: int) -> str:
        return self.ranks[index].log.read_text(errors="replace")

    def logs(self, lines: int = 30) -> str:
        """The last ``lines`` of every rank's log, for a failure message."""
        parts = []
        for index in sorted(self.ranks):
            tail = self.log(index).splitlines()[-lines:]
            parts.append(f"--- rank {index} ({self.name}-{index}), last {len(tail)} lines ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def kill(self, index: int) -> None:
        """Kill pod ``index``'s whole process tree, as a node loss does, and forget the pod.

        Its emptyDir (``/mnt/flux``) and writable layer go with it: a pod started
        again with the same index begins from nothing, as the Job's replacement pod does.
        """
        rank = self.ranks.pop(index)
        _kill_group(rank.process, signal.SIGKILL)
        shutil.rmtree(self.root / f"pod-{index}", ignore_errors=True)
        rank.log.rename(rank.log.with_suffix(f".{time.monotonic_ns()}.log"))

    def close(self) -> None:
        for rank in self.ranks.values():
            _kill_group(rank.process)
        if self._resolver is not None:
            _kill_group(self._resolver)
        if self._network is not None:
            _kill_group(self._network)
        shutil.rmtree(self.root, ignore_errors=True)


def sandbox_for(
    spec: ExperimentSpec, flux_core: Path, certificate: str | None = None, *, cluster_domain: str | None = None
) -> Sandbox:
    """The sandbox of one native MiniCluster: its ConfigMap and pod spec as the
    builders render them, and its certificate (a fresh one unless given).
    ``cluster_domain``: resolve names through a DNS server and the pods' search
    path in that domain, as a cluster does."""
    mc = spec.mini_cluster
    certificate = certificate or certificate_text(os.urandom(32), fluxfacts.broker_hostname(mc.name, 0))
    objects = {o.role: o.body for o in kubernetes_objects(spec, certificate)}
    assert mc.max_size is not None and mc.headless_name is not None
    return Sandbox(
        name=mc.name,
        headless=mc.headless_name,
        namespace=mc.namespace,
        max_size=mc.max_size,
        config_map=objects[CONFIG]["data"],
        secret={fluxfacts.CERT_SECRET_KEY: certificate},
        pod=objects[JOB]["spec"]["template"]["spec"],
        flux_core=flux_core,
        cluster_domain=cluster_domain,
    )


def _runs_flux(container: Mapping[str, Any]) -> bool:
    command: list[str] = container.get("command", [""])
    return command[-1].endswith(f"/{fluxfacts.ENTRYPOINT_KEY}")


def in_pod(kubectl_exec: str) -> list[str]:
    """What a ``kubectl exec ... -- COMMAND`` runs in the pod: COMMAND's words."""
    words = shlex.split(kubectl_exec)
    return words[words.index("--") + 1 :]


def _text(output: bytes | str | None) -> str:
    if output is None:
        return ""
    return output if isinstance(output, str) else output.decode(errors="replace")


def _kill_group(process: subprocess.Popen[bytes], first: signal.Signals = signal.SIGTERM) -> None:
    for sig, grace in ((first, 5.0), (signal.SIGKILL, 5.0)):
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

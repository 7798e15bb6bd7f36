"""The bring-up watch end to end, against a Kubernetes API server stand-in on loopback.

The stand-in serves what a real API server would for one MiniCluster (its
Job, its pods, the namespace's events, a container's log), over TLS with its
own certificate, to a client that authenticates as a kubeconfig says. The
states change along a timeline read on the watch's own clock, which the test
drives: minutes of bring-up pass in milliseconds.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from flux_minicluster.bringup.verdict import Expectation
from flux_minicluster.bringup.waiter import BringUpError, WaitRequest, check_cluster, wait_for_instance

TOKEN = "t0ken-for-the-test"
EXPECT = Expectation(namespace="lab", job="mc", size=2, broker_container="mc", waits_for_jobs=True)


def _self_signed(directory: Path) -> tuple[Path, Path, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = directory / "server.crt", directory / "server.key"
    cert_file.write_bytes(pem)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file, pem


@dataclass
class Cluster:
    """The API server stand-in: states along a timeline, on a clock the test moves."""

    timeline: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)
    now: float = 0.0
    requests: list[str] = field(default_factory=list)
    server: str = ""
    ca: bytes = b""

    def state(self) -> dict[str, Any]:
        return [state for at, state in self.timeline if at <= self.now][-1]

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def kubeconfig(self, user: dict[str, Any] | None = None, ca: bytes | None = None) -> str:
        return yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "lab",
                "contexts": [{"name": "lab", "context": {"cluster": "c", "user": "u"}}],
                "clusters": [
                    {
                        "name": "c",
                        "cluster": {
                            "server": self.server,
                            "certificate-authority-data": base64.b64encode(ca or self.ca).decode(),
                        },
                    }
                ],
                "users": [{"name": "u", "user": user if user is not None else {"token": TOKEN}}],
            }
        )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    cert_file, key_file, pem = _self_signed(tmp_path)
    stand_in = Cluster(ca=pem)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urllib.parse.urlparse(self.path)
            stand_in.requests.append(self.path)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._json(401, {"kind": "Status", "message": "Unauthorized", "code": 401})
            state, parts = stand_in.state(), url.path.strip("/").split("/")
            if url.path == "/version":
                return self._json(200, state["version"])
            if url.path == "/apis/batch/v1/namespaces/lab/jobs/mc":
                job = state.get("job")
                return self._json(200, job) if job else self._json(404, {"kind": "Status", "message": "not found"})
            if url.path == "/api/v1/namespaces/lab/pods":
                assert urllib.parse.parse_qs(url.query) == {"labelSelector": ["job-name=mc"]}
                return self._json(200, {"kind": "PodList", "items": state.get("pods", [])})
            if url.path == "/api/v1/namespaces/lab/events":
                return self._json(200, {"kind": "EventList", "items": state.get("events", [])})
            if parts[-1] == "log" and parts[-2] in stand_in.logs:
                body = stand_in.logs[parts[-2]].encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(body)
                return None
            return self._json(404, {"kind": "Status", "message": f"no {url.path}"})

        def _json(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    stand_in.server = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def job(**status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "mc"},
        "spec": {"suspend": False},
        "status": status,
    }


def pod(rank: int, *, ready: bool = False, waiting: str | None = None, ended: int | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"running": {"startedAt": "2026-12-04T10:00:00Z"}}
    phase = "Running"
    if waiting:
        state, phase = {"waiting": {"reason": waiting, "message": f"{waiting} for ghcr.io/lab/app:tpyo"}}, "Pending"
    if ended is not None:
        state, phase = {"terminated": {"exitCode": ended, "reason": "Error"}}, "Failed"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"mc-{rank}-abcde", "labels": {"batch.kubernetes.io/job-completion-index": str(rank)}},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"name": "mc", "ready": ready, "state": state}],
        },
    }


def watch(
    cluster: Cluster, *, timeout: float = 1800, kubeconfig: str | None = None, said: list[str] | None = None
) -> str:
    request = WaitRequest(EXPECT, kubeconfig or cluster.kubeconfig(), timeout)
    return wait_for_instance(
        request,
        report=(said if said is not None else []).append,
        clock=cluster.clock,
        sleep=cluster.sleep,
        poll_seconds=10,
    )


def test_a_bad_image_fails_the_wait_within_two_minutes_with_the_pod_and_the_reason(cluster: Cluster) -> None:
    cluster.timeline = [
        (0, {"job": None}),
        (5, {"job": job(active=2), "pods": [pod(0, waiting="ContainerCreating"), pod(1, waiting="ContainerCreating")]}),
        (20, {"job": job(active=2), "pods": [pod(0, waiting="ErrImagePull"), pod(1, waiting="ImagePullBackOff")]}),
    ]
    with pytest.raises(BringUpError) as failed:
        watch(cluster)
    message = str(failed.value)
    assert "pod lab/mc-0-abcde (rank 0)" in message and "cannot pull its image" in message, message
    assert "ghcr.io/lab/app:tpyo" in message
    # Within two minutes of the first failing state (at 20 s), not at the end of the 30-minute timeout.
    assert 20 + 60 <= cluster.now <= 20 + 120


def test_a_slow_start_is_waited_for_and_the_wait_says_what_it_waits_for(cluster: Cluster) -> None:
    cluster.timeline = [
        (0, {"job": job(active=2), "pods": [pod(0, waiting="ContainerCreating"), pod(1, waiting="ContainerCreating")]}),
        (1200, {"job": job(active=2), "pods": [pod(0, ready=True), pod(1)]}),
        (1210, {"job": job(active=2, ready=2), "pods": [pod(0, ready=True), pod(1, ready=True)]}),
    ]
    said: list[str] = []
    assert watch(cluster, said=said) == "2 of 2 brokers joined the instance"
    assert cluster.now >= 1210
    assert said[0] == "0 of 2 brokers joined the instance (rank 0: ContainerCreating; rank 1: ContainerCreating)"
    assert "1 of 2 brokers joined the instance" in said[-1]


def test_a_crashed_broker_fails_with_its_last_log_lines(cluster: Cluster) -> None:
    cluster.timeline = [(0, {"job": job(active=1, failed=1), "pods": [pod(0, ready=True), pod(1, ended=1)]})]
    lines = [f"flux-broker: line {i}" for i in range(30)] + ["flux-broker: bootstrap.curve_cert: Invalid argument"]
    cluster.logs["mc-1-abcde"] = "\n".join(lines) + "\n"
    with pytest.raises(BringUpError) as failed:
        watch(cluster)
    message = str(failed.value)
    assert "rank 1" in message and "exit code 1" in message
    assert message.endswith("  flux-broker: bootstrap.curve_cert: Invalid argument")
    assert "flux-broker: line 10" not in message and "flux-broker: line 11" in message  # the last 20 lines
    assert any(
        r.startswith("/api/v1/namespaces/lab/pods/mc-1-abcde/log?container=mc&tailLines=20") for r in cluster.requests
    )


def test_a_wait_that_runs_out_of_time_says_where_it_stood(cluster: Cluster) -> None:
    cluster.timeline = [(0, {"job": job(active=2), "pods": [pod(0, ready=True), pod(1, waiting="ContainerCreating")]})]
    with pytest.raises(BringUpError, match=r"not up after 5 minutes \(readyTimeoutMinutes\): 1 of 2 brokers"):
        watch(cluster, timeout=300)
    assert 300 <= cluster.now < 310


def test_the_token_of_an_exec_credential_plugin_is_used(cluster: Cluster, tmp_path: Path) -> None:
    plugin = tmp_path / "credential-plugin"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": TOKEN},
    }
    plugin.write_text(f"import json, sys\nprint(json.dumps({credential!r}))\n")
    user = {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable, "args": [str(plugin)]}
    }
    cluster.timeline = [(0, {"job": job(ready=2), "pods": [pod(0, ready=True), pod(1, ready=True)]})]
    assert watch(cluster, kubeconfig=cluster.kubeconfig(user=user)) == "2 of 2 brokers joined the instance"


def test_refused_credentials_fail_the_wait_with_the_apis_answer(cluster: Cluster) -> None:
    cluster.timeline = [(0, {"job": job()})]
    with pytest.raises(
        BringUpError,
        match=r"cannot watch MiniCluster lab/mc: GET /apis/batch/v1/namespaces/lab/jobs/mc: 401 Unauthorized",
    ):
        watch(cluster, kubeconfig=cluster.kubeconfig(user={"token": "wrong"}))


def test_a_server_whose_certificate_the_kubeconfig_does_not_trust_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    _, _, other = _self_signed(tmp_path / "other")
    cluster.timeline = [(0, {"job": job()})]
    with pytest.raises(BringUpError, match="CERTIFICATE_VERIFY_FAILED"):
        watch(cluster, kubeconfig=cluster.kubeconfig(ca=other))
    assert cluster.requests == []


@pytest.mark.parametrize(
    ("version", "reads"),
    [
        ({"major": "1", "minor": "33", "gitVersion": "v1.33.4"}, "1.33"),
        # GKE writes a plus after the minor version.
        ({"major": "1", "minor": "31+", "gitVersion": "v1.31.6-gke.1020000"}, "1.31"),
    ],
)
def test_a_recent_cluster_is_taken(cluster: Cluster, version: dict[str, str], reads: str) -> None:
    cluster.timeline = [(0, {"version": version})]
    assert check_cluster(cluster.kubeconfig()) == reads


def test_a_cluster_older_than_the_native_backend_needs_is_refused_with_both_versions(cluster: Cluster) -> None:
    cluster.timeline = [(0, {"version": {"major": "1", "minor": "30+", "gitVersion": "v1.30.9-gke.1"}})]
    with pytest.raises(
        BringUpError, match=r"runs Kubernetes 1\.30 \(v1\.30\.9-gke\.1\); the native backend needs 1\.31"
    ):
        check_cluster(cluster.kubeconfig())

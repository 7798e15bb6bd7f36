"""`flux-minicluster render`: what a reviewer sees is what pulumi up creates."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, stack_files
from schema_checks import validate_core_object, validate_minicluster

from flux_minicluster.broker import fluxfacts
from flux_minicluster.broker.certificate import parse_certificate
from flux_minicluster.cli.main import DEFAULT_STACK, OUTPUT_MANIFEST, main


def render(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["render", *args])
    return code, capsys.readouterr().out


def documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def by_kind(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Documents by kind; the size patch (a partial Job, after the Job) as JobPatch."""
    found: dict[str, dict[str, Any]] = {}
    for doc in docs:
        kind = doc.get("kind", "NodePool")
        found["JobPatch" if kind == "Job" and "Job" in found else kind] = doc
    return found


@pytest.fixture
def in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_default_stack_renders_the_whole_experiment(in_project: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = render(capsys)
    assert code == 0
    objects = by_kind(documents(out))
    assert set(objects) == {
        "NodePool",
        "Namespace",
        "Secret",
        "ConfigMap",
        "Service",
        "Job",
        "JobPatch",
        "PodDisruptionBudget",
    }
    pool = objects["NodePool"]
    assert pool["placement_policy"]["type"] == "COMPACT"
    assert pool["node_config"]["advanced_machine_features"]["threads_per_core"] == 1
    assert "initial_node_count" not in pool
    job = objects["Job"]
    name = job["metadata"]["name"]
    hosts = tomllib.loads(objects["ConfigMap"]["data"]["broker.toml"])["bootstrap"]["hosts"]
    assert hosts == [{"host": fluxfacts.hostlist(name, 8)}]
    assert job["spec"]["completionMode"] == "Indexed"
    assert job["spec"]["template"]["spec"]["subdomain"] == objects["Service"]["metadata"]["name"]
    assert objects["Service"]["spec"]["clusterIP"] == "None"
    assert objects["Service"]["spec"]["publishNotReadyAddresses"] is True
    assert objects["Secret"]["metadata"]["namespace"] == objects["Namespace"]["metadata"]["name"]


def test_headers_name_pulumi_resources_in_creation_order(in_project: None, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = render(capsys)
    headers = [line for line in out.splitlines() if line.startswith("# ")]
    # The stream opens with the settings left to set, what the pool costs and the quotas it takes.
    notes = [line.split(":")[0] for line in headers if not line.startswith(("# gcp:", "# kubernetes:"))]
    assert notes == ["# warning", "# warning", "# price", "# quota"]
    assert headers[4:] == [
        "# gcp:container/nodePool:NodePool experiment-node-pool",
        "# kubernetes:core/v1:Namespace experiment-namespace",
        "# kubernetes:core/v1:Secret experiment-curve-cert",
        "# kubernetes:core/v1:ConfigMap experiment-flux-config",
        "# kubernetes:core/v1:Service experiment-service",
        "# kubernetes:batch/v1:Job experiment-job",
        "# kubernetes:batch/v1:JobPatch experiment-size",
        "# kubernetes:policy/v1:PodDisruptionBudget experiment-budget",
    ]


def test_kept_data_volume_is_marked_in_the_headers(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = render(capsys, str(ROOT / "stacks" / "Pulumi.h100-gpu.yaml"))
    headers = [line for line in out.splitlines() if line.startswith("# ")]
    kept_claim = "# kubernetes:core/v1:PersistentVolumeClaim experiment-data-checkpoints (kept on pulumi destroy)"
    assert kept_claim in headers
    assert "# kubernetes:core/v1:Namespace experiment-namespace (kept on pulumi destroy)" in headers
    assert "# kubernetes:core/v1:Secret experiment-curve-cert" in headers
    claim = by_kind(documents(out))["PersistentVolumeClaim"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    # created before the Job whose pods mount it
    assert headers.index(kept_claim) < headers.index("# kubernetes:batch/v1:Job experiment-job")


def test_operator_install_renders_the_vendored_manifest_with_the_crd_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.kind-local.yaml").read_text())
    stack["config"]["flux-minicluster:miniCluster"]["backend"] = "operator"
    stack["config"]["flux-minicluster:operator"] = {
        "install": True,
        "image": "registry.example/flux-operator@sha256:" + "0" * 64,
    }
    path = tmp_path / "Pulumi.op.yaml"
    path.write_text(yaml.safe_dump(stack))
    code, out = render(capsys, str(path))
    assert code == 0
    headers = [line for line in out.splitlines() if line.startswith("# ")]
    crd = "# kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition experiment-flux-operator-customresourcedefinition-miniclusters-flux-framework-org (kept on pulumi destroy)"
    assert crd in headers
    assert headers[-1] == "# kubernetes:flux-framework.org/v1alpha2:MiniCluster experiment-minicluster"
    (deployment,) = [d for d in documents(out) if d.get("kind") == "Deployment"]
    (manager,) = deployment["spec"]["template"]["spec"]["containers"]
    assert manager["image"].startswith("registry.example/flux-operator@sha256:")
    assert "kube-rbac-proxy" not in out


@pytest.mark.parametrize("stack", stack_files(), ids=lambda p: p.stem)
def test_every_stack_renders_schema_valid_objects(
    stack: Path, crd_schema: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = render(capsys, str(stack))
    assert code == 0
    objects = by_kind(documents(out))
    objects.pop("JobPatch")  # a patch of the Job, not an object of its own
    for doc in objects.values():
        if doc.get("kind") == "MiniCluster":
            validate_minicluster(doc, crd_schema)
        elif "apiVersion" in doc:
            validate_core_object(doc)


@pytest.mark.parametrize("stack", stack_files(), ids=lambda p: p.stem)
def test_rendering_twice_is_byte_identical(stack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert render(capsys, str(stack)) == render(capsys, str(stack))


@pytest.mark.parametrize("stack", stack_files(), ids=lambda p: p.stem)
def test_no_secret_key_without_show_secrets(stack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, shown = render(capsys, str(stack), "--show-secrets")
    secret_key = parse_certificate(by_kind(documents(shown))["Secret"]["stringData"]["curve.cert"]).keys.secret_key
    _, default = render(capsys, str(stack))
    assert "secret-key" not in default
    assert secret_key not in default
    assert "redacted" in by_kind(documents(default))["Secret"]["stringData"]["curve.cert"]


def test_certificate_reaches_ranks_only_through_the_secret(
    in_project: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = render(capsys, "--show-secrets")
    objects = by_kind(documents(out))
    secret_key = parse_certificate(objects["Secret"]["stringData"]["curve.cert"]).keys.secret_key
    for kind in ("ConfigMap", "Job", "JobPatch", "Service", "PodDisruptionBudget"):
        assert secret_key not in yaml.safe_dump(objects[kind]), kind
    pod = objects["Job"]["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == fluxfacts.CERT_VOLUME_NAME]
    # A broker refuses a certificate readable by group or others; 0400 it accepts.
    assert volume["secret"] == {"secretName": objects["Secret"]["metadata"]["name"], "defaultMode": 0o400}
    # Each rank copies it to a file of its own that the broker config names.
    config = tomllib.loads(objects["ConfigMap"]["data"]["broker.toml"])
    assert config["bootstrap"]["curve_cert"] == fluxfacts.CERT_PATH
    script = objects["ConfigMap"]["data"]["entrypoint.sh"]
    assert (
        f"umask 077 && cat {fluxfacts.CERT_MOUNT_DIR}/{fluxfacts.CERT_SECRET_KEY} > {fluxfacts.CERT_PATH}.new" in script
    )


def test_gpu_stack_wires_taint_toleration_and_limit(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = render(capsys, str(ROOT / "stacks" / "Pulumi.h100-gpu.yaml"))
    objects = by_kind(documents(out))
    pool = objects["NodePool"]
    assert pool["node_config"]["guest_accelerators"][0]["type"] == "nvidia-h100-80gb"
    assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"} in pool["node_config"]["taints"]
    pod = objects["Job"]["spec"]["template"]["spec"]
    assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    assert pod["nodeSelector"]["cloud.google.com/gke-nodepool"] == pool["name"]
    (broker,) = pod["containers"]
    assert broker["resources"]["limits"]["nvidia.com/gpu"] == 8


def test_output_dir_gets_one_file_per_object(
    in_project: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = render(capsys, "-o", str(tmp_path))
    assert code == 0
    files = sorted(p.name for p in tmp_path.iterdir() if p.name != OUTPUT_MANIFEST)
    assert files == [
        "01-experiment-node-pool.yaml",
        "02-experiment-namespace.yaml",
        "03-experiment-curve-cert.yaml",
        "04-experiment-flux-config.yaml",
        "05-experiment-service.yaml",
        "06-experiment-job.yaml",
        "07-experiment-size.yaml",
        "08-experiment-budget.yaml",
    ]
    assert all("secret-key" not in (tmp_path / f).read_text() for f in files)


def test_stack_name_resolves_in_stacks_folder(in_project: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert render(capsys, "kind-local")[0] == 0
    assert DEFAULT_STACK.endswith("lammps-cpu.yaml")


def test_encrypted_certificate_is_not_read_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.kind-local.yaml").read_text())
    stack["config"]["flux-minicluster:curveCertificate"] = {"secure": "v1:abc"}
    path = tmp_path / "Pulumi.enc.yaml"
    path.write_text(yaml.safe_dump(stack))
    code, out = render(capsys, str(path), "--show-secrets")
    assert code == 0
    assert "encrypted in the stack file" in by_kind(documents(out))["Secret"]["stringData"]["curve.cert"]


def test_schema_command_describes_stack_keys(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["schema"]) == 0
    config = json.loads(capsys.readouterr().out)["properties"]["config"]
    keys = {
        f"flux-minicluster:{key}" for key in ("nodePool", "miniCluster", "operator", "curveCertificate", "kubernetes")
    }
    assert keys <= set(config["properties"])
    assert "flux-minicluster:miniCluster" in config["required"]


def test_render_imports_no_pulumi_package() -> None:
    script = (
        "import contextlib, io, sys\n"
        "from flux_minicluster.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['render', {str(ROOT / 'stacks' / 'Pulumi.h100-gpu.yaml')!r}]) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

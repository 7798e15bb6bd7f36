"""Secret environment variables: encrypted in the stack file, kept in the
experiment's Secret, reaching the containers through ``secretKeyRef``.

Each test follows one path a value could leak through: the Job and the
ConfigMap (plaintext in the cluster and in the state), rendered YAML,
``diff`` output, problem lines, and the Pulumi program reading a section
that Pulumi hands over as a secret.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from conftest import CPU_CONFIG
from pydantic import SecretStr
from schema_checks import validate_core_object, validate_minicluster

from flux_minicluster import FluxMiniCluster, load_spec
from flux_minicluster.cli import main
from flux_minicluster.component.program import run
from flux_minicluster.kubernetes_objects import kubernetes_objects
from flux_minicluster.testing import is_secret_value, run_under_mocks

CIPHERTEXT = "v1:c2VjcmV0IGxpY2VuY2Uga2V5IGNpcGhlcnRleHQ="
PLAIN = "visible-in-the-stack-file"
DECRYPTED = "licence-4f9a-decrypted-by-pulumi"
SECRET = "kubernetes:core/v1:Secret"
JOB = "kubernetes:batch/v1:Job"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"

STACK = f"""\
config:
  flux-minicluster:kubernetes:
    context: kind-flux
  flux-minicluster:miniCluster:
    name: hello
    namespace: hello
    headlessName: ranks
    size: 2
    maxSize: 3
    containers:
      - image: ghcr.io/converged-computing/metric-lammps:latest
        environment:
          OMP_NUM_THREADS: {PLAIN}
          LICENSE_KEY:
            secure: {CIPHERTEXT}
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    path = tmp_path / "Pulumi.secret.yaml"
    path.write_text(STACK)
    return path


def documents(text: str) -> dict[str, dict[str, Any]]:
    """Rendered documents by their resource name (the comment line heading each)."""
    found = {}
    for document in text.split("---\n"):
        name = document.splitlines()[0].split()[2]
        found[name] = yaml.safe_load(document)
    return found


def test_render_keeps_values_in_the_secret_and_redacts_them(stack: Path, capsys) -> None:
    code, out, err = cli(capsys, "render", str(stack))
    assert (code, err) == (0, "")
    assert CIPHERTEXT not in out and PLAIN not in out
    objects = documents(out)
    secret = objects["experiment-environment"]
    assert set(secret["stringData"]) == {"hello.LICENSE_KEY", "hello.OMP_NUM_THREADS"}
    (broker,) = objects["experiment-job"]["spec"]["template"]["spec"]["containers"]
    # A section with one encrypted value keeps all its variables secret (as pulumi up does).
    assert broker["env"] == [
        {"name": name, "valueFrom": {"secretKeyRef": {"name": "hello-environment", "key": f"hello.{name}"}}}
        for name in ("LICENSE_KEY", "OMP_NUM_THREADS")
    ]
    for name, body in objects.items():
        if name != "experiment-size":  # a patch: part of a Job
            validate_core_object(body)


def test_show_secrets_shows_what_the_file_says_and_never_the_ciphertext_as_a_value(stack: Path, capsys) -> None:
    code, out, _ = cli(capsys, "render", str(stack), "--show-secrets")
    assert code == 0
    objects = documents(out)
    data = objects["experiment-environment"]["stringData"]
    assert data["hello.OMP_NUM_THREADS"] == PLAIN
    assert data["hello.LICENSE_KEY"].startswith("<encrypted in the stack file")
    for name, body in objects.items():
        if name != "experiment-environment":
            assert PLAIN not in json.dumps(body) and CIPHERTEXT not in json.dumps(body), name


def test_diff_compares_values_by_identity_and_replaces_the_brokers_with_new_ones(
    stack: Path, tmp_path: Path, capsys
) -> None:
    new = tmp_path / "Pulumi.new.yaml"
    new.write_text(STACK.replace(CIPHERTEXT, CIPHERTEXT.replace("c2Vj", "b3Ro")))
    code, out, err = cli(capsys, "diff", str(new), "--against", str(stack))
    assert (code, err) == (0, "")
    assert "c2Vj" not in out and "b3Ro" not in out and PLAIN not in out
    assert "+- replace  kubernetes:core/v1:Secret" in out and "experiment-environment" in out
    assert "because experiment-environment is replaced" in out
    assert "Flux instance is stopped" in out
    code, out, _ = cli(capsys, "diff", str(stack), "--against", str(stack), "--exit-code")
    assert code == 0 and "no changes" in out


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (
            ("      - image: ghcr", "      - command:\n          secure: v1:AAAA\n        image: ghcr"),
            11,
            "miniCluster.containers[0].command: only curveCertificate and containers' environment values are read "
            "as secret values",
        ),
        (
            (f"            secure: {CIPHERTEXT}", "            secure: [1, 2]"),
            15,
            "miniCluster.containers[0].environment.LICENSE_KEY.secure: the encrypted value is a string",
        ),
        (
            ("    context: kind-flux", "    context:\n      secure: v1:AAAA"),
            3,
            "kubernetes.context: only curveCertificate and containers' environment values are read as secret values",
        ),
    ],
)
def test_encrypted_values_elsewhere_are_refused_at_their_line(
    tmp_path: Path, capsys, edit: tuple[str, str], line: int, message: str
) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(STACK.replace(*edit))
    code, out, err = cli(capsys, "validate", str(path))
    assert (code, out) == (2, "")
    assert err == f"{path}:{line}: {message}\n"


def test_a_secret_variable_named_unlike_a_secret_key_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(STACK.replace("LICENSE_KEY:", "LICENSE KEY:"))
    code, _, err = cli(capsys, "validate", str(path))
    assert code == 2
    assert "miniCluster.containers[0].environment.LICENSE KEY: a secret variable's name is a Secret key" in err
    assert CIPHERTEXT not in err


def program_config() -> dict[str, Any]:
    """The stack's settings as Pulumi hands them to the program: the section decrypted."""
    section = yaml.safe_load(STACK)["config"]
    section["flux-minicluster:miniCluster"]["containers"][0]["environment"]["LICENSE_KEY"] = DECRYPTED
    return section


def test_pulumi_up_keeps_a_secret_section_s_variables_out_of_the_job_and_the_config() -> None:
    mocks, _ = run_under_mocks(run, program_config(), secret_keys=["flux-minicluster:miniCluster"])
    secrets = {r.name: r for r in mocks.by_type(SECRET)}
    data = secrets["experiment-environment"].inputs["stringData"]
    assert is_secret_value(data)
    assert data["value"] == {"hello.LICENSE_KEY": DECRYPTED, "hello.OMP_NUM_THREADS": PLAIN}
    for resource in mocks.resources:
        if resource.name != "experiment-environment":
            text = json.dumps(resource.inputs)
            assert DECRYPTED not in text and PLAIN not in text, resource.name
    (job,) = mocks.by_type(JOB)
    env = job.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [variable["valueFrom"]["secretKeyRef"]["key"] for variable in env] == [
        "hello.LICENSE_KEY",
        "hello.OMP_NUM_THREADS",
    ]


def test_a_section_pulumi_does_not_call_secret_keeps_its_variables_plain() -> None:
    config = program_config()
    mocks, _ = run_under_mocks(run, config)
    assert {r.name for r in mocks.by_type(SECRET)} == {"experiment-curve-cert"}
    (job,) = mocks.by_type(JOB)
    env = job.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "LICENSE_KEY", "value": DECRYPTED} in env


def test_a_problem_in_a_secret_section_does_not_print_its_values() -> None:
    config = program_config()
    config["flux-minicluster:miniCluster"]["size"] = 0

    def program() -> None:
        with pytest.raises(pulumi.RunError) as raised:
            run()
        assert "miniCluster.size" in str(raised.value)
        assert DECRYPTED not in str(raised.value) and PLAIN not in str(raised.value)

    mocks, _ = run_under_mocks(program, config, secret_keys=["flux-minicluster:miniCluster"])
    assert mocks.resources == []


def test_the_component_takes_secret_values_from_python() -> None:
    config = json.loads(json.dumps(CPU_CONFIG))
    config["miniCluster"]["containers"][0]["environment"] = {"TOKEN": SecretStr(DECRYPTED), "PLAIN": "x"}
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("lammps", config))
    assert DECRYPTED not in json.dumps([r.inputs for r in mocks.resources if r.typ != SECRET])
    (job,) = mocks.by_type(JOB)
    env = job.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "PLAIN", "value": "x"} in env
    assert repr(load_spec(config)).count(DECRYPTED) == 0


def test_the_operator_backend_names_the_secret_in_the_minicluster(crd_schema: dict[str, Any]) -> None:
    config = json.loads(json.dumps(CPU_CONFIG))
    config["miniCluster"]["backend"] = "operator"
    config["miniCluster"]["containers"][0]["environment"] = {"TOKEN": SecretStr(DECRYPTED), "PLAIN": "x"}
    objects = list(kubernetes_objects(load_spec(config), "C"))
    minicluster = objects[-1].body
    (container,) = minicluster["spec"]["containers"]
    assert container["environment"] == {"PLAIN": "x"}
    assert container["secrets"] == {"TOKEN": {"name": "lammps-environment", "key": "lammps.TOKEN"}}
    validate_minicluster(minicluster, crd_schema)
    assert DECRYPTED not in json.dumps([o.body for o in objects])


def test_validate_reads_the_stack_from_standard_input_too(capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(STACK))
    code, out, err = cli(capsys, "validate", "-")
    assert (code, out, err) == (0, "<stdin>: valid\n", "")
